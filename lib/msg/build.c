/*
 * build.c -- the message builder, responses to requests and the default
 * reason phrases.
 *
 * RFC 3261 §7.1/§7.2 (start lines), §7.3 (header fields and compact
 * forms), §8.2.6 (building a UAS response: Via, From, To, Call-ID, CSeq
 * copied and the To tag added), §8.2.6.1 (Timestamp in 100 Trying), §16.6
 * step 8 (a new Via goes on top), §18.3 (Content-Length), §21 (status
 * codes), and the extension codes listed in siphon_status_phrase().
 *
 * A parsed siphon_msg is immutable, so changes go through a builder: a
 * start line, an ordered list of (name, value) fields and a body, each an
 * owned copy. finish prints canonically (the same form as
 * SIPHON_PRINT_CANONICAL) and parses the result, so what a builder yields
 * has been through the same parser as anything received.
 */
#include "msg_internal.h"

#include <stdlib.h>
#include <string.h>

/* An owned byte string. */
typedef struct ostr {
    char *p;
    size_t len;
} ostr;

typedef struct field {
    siphon_hdr_id id;   /* siphon_hdr_lookup(name), cached for matching */
    ostr name;          /* as given ("v", "X-Foo") */
    ostr value;         /* one line: never CR or LF */
} field;

struct siphon_msgb {
    bool is_request;
    ostr method;        /* requests */
    ostr ruri;
    int status;         /* responses */
    ostr reason;
    ostr version;       /* "SIP/2.0" unless copied from a message */
    field *f;
    size_t n, cap;
    ostr body;
};

/* ---- small helpers ----------------------------------------------------- */

static int ostr_set(ostr *o, siphon_str s)
{
    /* malloc(0) may return NULL; one spare byte keeps "empty" distinct
     * from "failed". */
    char *p = malloc(s.len ? s.len : 1);
    if (!p)
        return SIPHON_ENOMEM;
    if (s.len)
        memcpy(p, s.p, s.len);
    free(o->p);
    o->p = p;
    o->len = s.len;
    return 0;
}

static siphon_str ostr_view(const ostr *o)
{
    return siphon_str_make(o->p, o->len);
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 3261 §25.1 token: header names and methods. */
static bool is_token(siphon_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9'))
            continue;
        if (!memchr("-.!%*_+`'~", c, 10))
            return false;
    }
    return true;
}

/* Text that fits on one line: no CR, LF or NUL, which would let a value
 * end the field (or the header section) early. */
static bool is_line_text(siphon_str s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] == '\r' || s.p[i] == '\n' || s.p[i] == '\0')
            return false;
    return true;
}

static siphon_str trim(siphon_str s)
{
    while (s.len && is_wsp(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_wsp(s.p[s.len - 1]))
        s.len--;
    return s;
}

/*
 * Two names denote the same header when both are known and map to the
 * same id (so "v" is "Via"), else when they are equal ignoring case
 * (RFC 3261 §7.3.1).
 */
static bool same_header(const field *f, siphon_hdr_id id, siphon_str name)
{
    if (f->id != SIPHON_HDR_OTHER || id != SIPHON_HDR_OTHER)
        return f->id == id;
    return siphon_str_caseeq(ostr_view(&f->name), name);
}

static void field_free(field *f)
{
    free(f->name.p);
    free(f->value.p);
}

/*
 * Insert a field at index at (0..b->n). value must already be one line;
 * it is stored trimmed so that what is printed is what re-parses.
 */
static int insert_field(siphon_msgb *b, size_t at, siphon_str name,
                        siphon_str value)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        field *nf = realloc(b->f, cap * sizeof *nf);
        if (!nf)
            return SIPHON_ENOMEM;
        b->f = nf;
        b->cap = cap;
    }
    field nw = {siphon_hdr_lookup(name.p, name.len), {NULL, 0}, {NULL, 0}};
    if (ostr_set(&nw.name, name) < 0 || ostr_set(&nw.value, trim(value)) < 0) {
        field_free(&nw);
        return SIPHON_ENOMEM;
    }
    memmove(&b->f[at + 1], &b->f[at], (b->n - at) * sizeof *b->f);
    b->f[at] = nw;
    b->n++;
    return 0;
}

static void remove_at(siphon_msgb *b, size_t at)
{
    field_free(&b->f[at]);
    memmove(&b->f[at], &b->f[at + 1], (b->n - at - 1) * sizeof *b->f);
    b->n--;
}

/* Copy a received field value with its folding collapsed (RFC 3261
 * §7.3.1), so that stored values never hold a line break. */
static int insert_unfolded(siphon_msgb *b, size_t at, siphon_str name,
                           siphon_str value)
{
    char *u = malloc(value.len ? value.len : 1);
    if (!u)
        return SIPHON_ENOMEM;
    size_t ulen = value.len ? msg_unfold(value, u) : 0;
    int rc = insert_field(b, at, name, siphon_str_make(u, ulen));
    free(u);
    return rc;
}

static siphon_msgb *msgb_new(void)
{
    siphon_msgb *b = calloc(1, sizeof *b);
    if (b && ostr_set(&b->version, SIPHON_STR_LIT("SIP/2.0")) < 0) {
        free(b);
        return NULL;
    }
    return b;
}

/* ---- start lines ------------------------------------------------------- */

/*
 * Set the Request-Line. The method must be a token (RFC 3261 §7.1) and the
 * Request-URI one run of non-whitespace text; the URI syntax itself is
 * left to the parser at finish, so that a test can still build an odd
 * URI. Returns 0, SIPHON_EINVAL or SIPHON_ENOMEM.
 */
int siphon_msgb_set_request_line(siphon_msgb *b, siphon_str method,
                                 siphon_str ruri)
{
    if (!b || !is_token(method) || ruri.len == 0 || !is_line_text(ruri))
        return SIPHON_EINVAL;
    for (size_t i = 0; i < ruri.len; i++)
        if (is_wsp(ruri.p[i]))
            return SIPHON_EINVAL;
    int rc;
    if ((rc = ostr_set(&b->method, method)) < 0 ||
        (rc = ostr_set(&b->ruri, ruri)) < 0)
        return rc;
    b->is_request = true;
    return 0;
}

/*
 * Make the builder a response. status must have three digits (RFC 3261
 * §7.2; the parser at finish may still refuse codes above 699). A reason
 * with a NULL pointer takes the default phrase; a non-NULL empty view
 * keeps the phrase empty, for tests of that case. Returns 0,
 * SIPHON_EINVAL or SIPHON_ENOMEM.
 */
int siphon_msgb_set_status(siphon_msgb *b, int status, siphon_str reason)
{
    if (!b || status < 100 || status > 999 || !is_line_text(reason))
        return SIPHON_EINVAL;
    if (!reason.p)
        reason = siphon_str_c(siphon_status_phrase(status));
    int rc = ostr_set(&b->reason, reason);
    if (rc < 0)
        return rc;
    b->status = status;
    b->is_request = false;
    return 0;
}

siphon_msgb *siphon_msgb_request(siphon_str method, siphon_str ruri)
{
    siphon_msgb *b = msgb_new();
    if (b && siphon_msgb_set_request_line(b, method, ruri) < 0) {
        siphon_msgb_free(b);
        return NULL;
    }
    return b;
}

siphon_msgb *siphon_msgb_response(int status, siphon_str reason)
{
    siphon_msgb *b = msgb_new();
    if (b && siphon_msgb_set_status(b, status, reason) < 0) {
        siphon_msgb_free(b);
        return NULL;
    }
    return b;
}

/*
 * A builder holding m's start line (normalised Request-URI, version as
 * received), every header field with folding collapsed, and the body.
 * Returns NULL when malloc fails or m is NULL.
 */
siphon_msgb *siphon_msgb_from_msg(const siphon_msg *m)
{
    if (!m)
        return NULL;
    siphon_msgb *b = msgb_new();
    if (!b)
        return NULL;
    int rc = ostr_set(&b->version, m->version);
    if (rc == 0 && m->is_request) {
        b->is_request = true;
        if ((rc = ostr_set(&b->method, m->method)) == 0)
            rc = ostr_set(&b->ruri, m->ruri);
    } else if (rc == 0) {
        b->status = m->status;
        rc = ostr_set(&b->reason, m->reason);
    }
    for (size_t i = 0; rc == 0 && i < m->nhdrs; i++)
        rc = insert_unfolded(b, b->n, m->hdrs[i].name, m->hdrs[i].value);
    if (rc == 0)
        rc = ostr_set(&b->body, m->body);
    if (rc < 0) {
        siphon_msgb_free(b);
        return NULL;
    }
    return b;
}

void siphon_msgb_free(siphon_msgb *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        field_free(&b->f[i]);
    free(b->f);
    free(b->method.p);
    free(b->ruri.p);
    free(b->reason.p);
    free(b->version.p);
    free(b->body.p);
    free(b);
}

/* ---- header fields ----------------------------------------------------- */

/* Names must be tokens and values single lines (RFC 3261 §7.3.1): a CR or
 * LF in either would let a caller inject fields. */
static bool valid_field(const siphon_msgb *b, siphon_str name,
                        siphon_str value)
{
    return b && is_token(name) && is_line_text(value);
}

int siphon_msgb_add(siphon_msgb *b, siphon_str name, siphon_str value)
{
    if (!valid_field(b, name, value))
        return SIPHON_EINVAL;
    return insert_field(b, b->n, name, value);
}

int siphon_msgb_add_top(siphon_msgb *b, siphon_str name, siphon_str value)
{
    if (!valid_field(b, name, value))
        return SIPHON_EINVAL;
    siphon_hdr_id id = siphon_hdr_lookup(name.p, name.len);
    size_t at = 0;
    while (at < b->n && !same_header(&b->f[at], id, name))
        at++;
    /* No field of that name: the top of the header section, which is
     * where a new topmost Via belongs when there was none. */
    if (at == b->n)
        at = 0;
    return insert_field(b, at, name, value);
}

int siphon_msgb_set(siphon_msgb *b, siphon_str name, siphon_str value)
{
    if (!valid_field(b, name, value))
        return SIPHON_EINVAL;
    siphon_hdr_id id = siphon_hdr_lookup(name.p, name.len);
    /* The one field takes the place of the first it replaces; the name
     * given is used, as the caller may have switched forms ("v" to
     * "Via"). */
    size_t first = b->n;
    for (size_t i = b->n; i-- > 0;) {
        if (same_header(&b->f[i], id, name)) {
            remove_at(b, i);
            first = i;
        }
    }
    return insert_field(b, first, name, value);
}

int siphon_msgb_remove(siphon_msgb *b, siphon_str name, bool first_only)
{
    if (!b || name.len == 0)
        return SIPHON_EINVAL;
    siphon_hdr_id id = siphon_hdr_lookup(name.p, name.len);
    int removed = 0;
    for (size_t i = 0; i < b->n;) {
        if (!same_header(&b->f[i], id, name)) {
            i++;
            continue;
        }
        remove_at(b, i);
        removed++;
        if (first_only)
            break;
    }
    return removed;
}

int siphon_msgb_set_body(siphon_msgb *b, siphon_str content_type,
                         siphon_str body)
{
    if (!b)
        return SIPHON_EINVAL;
    int rc;
    if (content_type.len &&
        (rc = siphon_msgb_set(b, SIPHON_STR_LIT("Content-Type"),
                              content_type)) < 0)
        return rc;
    return ostr_set(&b->body, body);
}

/* ---- output ------------------------------------------------------------ */

/*
 * Append the canonical form to out: single-SP start line, full names for
 * known headers, every Content-Length dropped and one computed from the
 * body written last (RFC 3261 §18.3: the builder cannot be trusted to have
 * kept a Content-Length in step with set_body). Returns 0, SIPHON_EINVAL
 * (no start line yet), SIPHON_ENOMEM or SIPHON_ETOOBIG.
 */
int siphon_msgb_print(siphon_msgb *b, siphon_buf *out)
{
    if (!b || !out || (b->is_request ? !b->method.p : b->status == 0))
        return SIPHON_EINVAL;
    /* Appended piecewise rather than with "%.*s": a copied reason or
     * method could hold a NUL, which printf would stop at. */
    siphon_str first = b->is_request ? ostr_view(&b->method)
                                     : ostr_view(&b->version);
    siphon_str third = b->is_request ? ostr_view(&b->version)
                                     : ostr_view(&b->reason);
    int rc = siphon_buf_append_str(out, first);
    if (rc == 0 && b->is_request)
        rc = siphon_buf_append(out, " ", 1);
    if (rc == 0)
        rc = b->is_request ? siphon_buf_append_str(out, ostr_view(&b->ruri))
                           : siphon_buf_append(out, " ", 1) == 0
                                 ? siphon_buf_append_uint(out, (uint64_t)b->status, 3)
                                 : SIPHON_ENOMEM;
    if (rc == 0)
        rc = siphon_buf_append(out, " ", 1);
    if (rc == 0)
        rc = siphon_buf_append_str(out, third);
    if (rc == 0)
        rc = siphon_buf_append(out, "\r\n", 2);
    for (size_t i = 0; rc == 0 && i < b->n; i++) {
        const field *f = &b->f[i];
        if (f->id == SIPHON_HDR_CONTENT_LENGTH)
            continue;
        const char *full = siphon_hdr_name(f->id);
        siphon_str name = full ? siphon_str_c(full) : ostr_view(&f->name);
        if ((rc = siphon_buf_append_str(out, name)) == 0 &&
            (rc = siphon_buf_append(out, f->value.len ? ": " : ":",
                                    f->value.len ? 2 : 1)) == 0 &&
            (rc = siphon_buf_append(out, f->value.p, f->value.len)) == 0)
            rc = siphon_buf_append(out, "\r\n", 2);
    }
    if (rc == 0)
        rc = siphon_buf_append(out, "Content-Length: ", 16);
    if (rc == 0)
        rc = siphon_buf_append_uint(out, b->body.len, 1);
    if (rc == 0)
        rc = siphon_buf_append(out, "\r\n\r\n", 4);
    if (rc == 0)
        rc = siphon_buf_append(out, b->body.p, b->body.len);
    return rc;
}

/*
 * Print and parse with the default options (a datagram). *out receives
 * one reference on success; on failure it is NULL and err (if not NULL)
 * says why. The builder is left as it was.
 */
int siphon_msgb_finish(siphon_msgb *b, siphon_msg **out, siphon_perr *err)
{
    if (!out)
        return SIPHON_EINVAL;
    *out = NULL;
    siphon_buf buf;
    siphon_buf_init(&buf, 0);
    int rc = siphon_msgb_print(b, &buf);
    if (rc == 0)
        rc = siphon_msg_parse(buf.p, buf.len, NULL, out, err);
    siphon_buf_free(&buf);
    return rc;
}

/* ---- responses (RFC 3261 §8.2.6) --------------------------------------- */

static int copy_first(siphon_msgb *b, const siphon_msg *req, siphon_hdr_id id)
{
    long i = siphon_msg_hdr_next(req, id, 0);
    if (i < 0)
        return 0;
    return insert_unfolded(b, b->n, siphon_str_c(siphon_hdr_name(id)),
                           req->hdrs[i].value);
}

/* The To field with ;tag=to_tag appended (RFC 3261 §8.2.6.2). */
static int copy_to(siphon_msgb *b, siphon_msg *req, int status,
                   siphon_str to_tag)
{
    long i = siphon_msg_hdr_next(req, SIPHON_HDR_TO, 0);
    if (i < 0)
        return 0;
    siphon_str v = req->hdrs[i].value;
    /* A 100 creates no dialog, so it carries no tag (§8.2.6.1). A To
     * that does not parse is copied untouched: the request deserves a
     * 400, and guessing where a tag would go helps nobody. */
    const siphon_nameaddr *to = siphon_msg_to(req);
    if (!to || to->has_tag || status == 100 || to_tag.len == 0)
        return insert_unfolded(b, b->n, SIPHON_STR_LIT("To"), v);
    char *u = malloc(v.len + 5 + to_tag.len);
    if (!u)
        return SIPHON_ENOMEM;
    size_t n = v.len ? msg_unfold(v, u) : 0;
    memcpy(u + n, ";tag=", 5);
    memcpy(u + n + 5, to_tag.p, to_tag.len);
    int rc = insert_field(b, b->n, SIPHON_STR_LIT("To"),
                          siphon_str_make(u, n + 5 + to_tag.len));
    free(u);
    return rc;
}

/*
 * A builder for a response to req. The caller adds anything else (Contact,
 * Record-Route for dialog-creating responses per §12.1.1, a body) and
 * frees the builder. Returns NULL when req is not a request, status is
 * not 100..699, to_tag is not a token, or malloc fails.
 */
siphon_msgb *siphon_msgb_response_to(siphon_msg *req, int status,
                                     siphon_str reason, siphon_str to_tag)
{
    if (!req || !req->is_request || status < 100 || status > 699 ||
        (to_tag.len && !is_token(to_tag)))
        return NULL;
    if (reason.len == 0)
        reason = siphon_str_c(siphon_status_phrase(status));
    siphon_msgb *b = siphon_msgb_response(status, reason);
    if (!b)
        return NULL;
    int rc = 0;
    /* §8.2.6.2: every Via, in order, so the response retraces the path. */
    for (long i = siphon_msg_hdr_next(req, SIPHON_HDR_VIA, 0);
         rc == 0 && i >= 0;
         i = siphon_msg_hdr_next(req, SIPHON_HDR_VIA, (size_t)i + 1))
        rc = insert_unfolded(b, b->n, SIPHON_STR_LIT("Via"),
                             req->hdrs[i].value);
    if (rc == 0)
        rc = copy_first(b, req, SIPHON_HDR_FROM);
    if (rc == 0)
        rc = copy_to(b, req, status, to_tag);
    if (rc == 0)
        rc = copy_first(b, req, SIPHON_HDR_CALL_ID);
    if (rc == 0)
        rc = copy_first(b, req, SIPHON_HDR_CSEQ);
    /* §8.2.6.1: a 100 echoes the request's Timestamp so that the client
     * can measure the round trip. */
    if (rc == 0 && status == 100)
        rc = copy_first(b, req, SIPHON_HDR_TIMESTAMP);
    if (rc < 0) {
        siphon_msgb_free(b);
        return NULL;
    }
    return b;
}

/* Append the fields of one id as received (line terminators included). */
static int append_lines(siphon_buf *out, const siphon_msg *req, siphon_hdr_id id, bool first_only)
{
    int rc = 0;
    for (size_t i = req->first[id]; rc == 0 && i; i = req->hdrs[i - 1].next) {
        rc = siphon_buf_append_str(out, req->hdrs[i - 1].line);
        if (first_only)
            break;
    }
    return rc;
}

int siphon_msg_response(siphon_msg *req, int status, siphon_str reason,
                        siphon_str to_tag, siphon_msg **out)
{
    *out = NULL;
    if (!req || !req->is_request || status < 100 || status > 699 ||
        (to_tag.len && !is_token(to_tag)))
        return SIPHON_EINVAL;
    if (reason.len == 0)
        reason = siphon_str_c(siphon_status_phrase(status));
    /* a stack buffer covers ordinary requests without a malloc */
    char stack[2048];
    siphon_buf b;
    siphon_buf_init_with(&b, stack, sizeof stack, 0);
    int rc = siphon_buf_append(&b, "SIP/2.0 ", 8);
    if (rc == 0)
        rc = siphon_buf_append_uint(&b, (uint64_t)status, 3);
    if (rc == 0)
        rc = siphon_buf_append(&b, " ", 1);
    if (rc == 0)
        rc = siphon_buf_append_str(&b, reason);
    if (rc == 0)
        rc = siphon_buf_append(&b, "\r\n", 2);
    /* §8.2.6.2: every Via in order, From, To, Call-ID, CSeq */
    if (rc == 0)
        rc = append_lines(&b, req, SIPHON_HDR_VIA, false);
    if (rc == 0)
        rc = append_lines(&b, req, SIPHON_HDR_FROM, true);
    if (rc == 0 && req->first[SIPHON_HDR_TO]) {
        const siphon_hdr *to = &req->hdrs[req->first[SIPHON_HDR_TO] - 1];
        const siphon_nameaddr *na = siphon_msg_to(req);
        bool add_tag = to_tag.len && status != 100 && !(na && na->has_tag);
        if (!add_tag) {
            rc = siphon_buf_append_str(&b, to->line);
        } else {
            /* the value, then ";tag=", then the line's own terminator */
            const char *vend = to->value.p + to->value.len;
            rc = siphon_buf_append(&b, to->line.p, (size_t)(vend - to->line.p));
            if (rc == 0)
                rc = siphon_buf_append(&b, ";tag=", 5);
            if (rc == 0)
                rc = siphon_buf_append_str(&b, to_tag);
            if (rc == 0)
                rc = siphon_buf_append(&b, "\r\n", 2);
        }
    }
    if (rc == 0)
        rc = append_lines(&b, req, SIPHON_HDR_CALL_ID, true);
    if (rc == 0)
        rc = append_lines(&b, req, SIPHON_HDR_CSEQ, true);
    /* §8.2.6.1: a 100 echoes the Timestamp */
    if (rc == 0 && status == 100)
        rc = append_lines(&b, req, SIPHON_HDR_TIMESTAMP, true);
    if (rc == 0)
        rc = siphon_buf_append(&b, "Content-Length: 0\r\n\r\n", 21);
    if (rc == 0) {
        siphon_parse_opts o;
        siphon_parse_opts_default(&o);
        /* the request met the limits; its copied lines may be long */
        o.max_line = req->opts.max_line > o.max_line ? req->opts.max_line : o.max_line;
        o.max_headers = req->opts.max_headers + 8;
        if (b.len > o.max_msg_size)
            o.max_msg_size = b.len;
        rc = siphon_msg_parse(b.p, b.len, &o, out, NULL);
    }
    siphon_buf_free(&b);
    return rc == SIPHON_ENOMEM ? rc : rc ? SIPHON_EINVAL : 0;
}

/* ---- reason phrases ---------------------------------------------------- */

typedef struct phrase {
    int code;
    const char *text;
} phrase;

/*
 * RFC 3261 §21, plus the extension codes in common use: 199 (RFC 6228),
 * 202 and 489 (RFC 3265), 204 (RFC 5839), 412 (RFC 3903), 417 (RFC 4412),
 * 422 (RFC 4028), 428 (RFC 4474), 429 (RFC 3892), 430 and 439 (RFC 5626),
 * 433 (RFC 5079), 440 (RFC 5393), 469 (RFC 6086), 470 (RFC 5360), 494
 * (RFC 3329), 580 (RFC 3312), 607 (RFC 8197), 608 (RFC 8688). Sorted by
 * code for the binary search.
 */
static const phrase phrases[] = {
    {100, "Trying"},                     {180, "Ringing"},
    {181, "Call Is Being Forwarded"},    {182, "Queued"},
    {183, "Session Progress"},           {199, "Early Dialog Terminated"},
    {200, "OK"},                         {202, "Accepted"},
    {204, "No Notification"},            {300, "Multiple Choices"},
    {301, "Moved Permanently"},          {302, "Moved Temporarily"},
    {305, "Use Proxy"},                  {380, "Alternative Service"},
    {400, "Bad Request"},                {401, "Unauthorized"},
    {402, "Payment Required"},           {403, "Forbidden"},
    {404, "Not Found"},                  {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"}, {408, "Request Timeout"},
    {410, "Gone"},                       {412, "Conditional Request Failed"},
    {413, "Request Entity Too Large"},   {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},     {416, "Unsupported URI Scheme"},
    {417, "Unknown Resource-Priority"},  {420, "Bad Extension"},
    {421, "Extension Required"},         {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},         {428, "Use Identity Header"},
    {429, "Provide Referrer Identity"},  {430, "Flow Failed"},
    {433, "Anonymity Disallowed"},
    {439, "First Hop Lacks Outbound Support"}, {440, "Max-Breadth Exceeded"},
    {469, "Bad Info Package"},           {470, "Consent Needed"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"}, {482, "Loop Detected"},
    {483, "Too Many Hops"},              {484, "Address Incomplete"},
    {485, "Ambiguous"},                  {486, "Busy Here"},
    {487, "Request Terminated"},         {488, "Not Acceptable Here"},
    {489, "Bad Event"},                  {491, "Request Pending"},
    {493, "Undecipherable"},             {494, "Security Agreement Required"},
    {500, "Server Internal Error"},      {501, "Not Implemented"},
    {502, "Bad Gateway"},                {503, "Service Unavailable"},
    {504, "Server Time-out"},            {505, "Version Not Supported"},
    {513, "Message Too Large"},          {580, "Precondition Failure"},
    {600, "Busy Everywhere"},            {603, "Decline"},
    {604, "Does Not Exist Anywhere"},    {606, "Not Acceptable"},
    {607, "Unwanted"},                   {608, "Rejected"},
};

const char *siphon_status_phrase(int status)
{
    size_t lo = 0, hi = sizeof phrases / sizeof phrases[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (phrases[mid].code == status)
            return phrases[mid].text;
        if (phrases[mid].code < status)
            lo = mid + 1;
        else
            hi = mid;
    }
    return "Unknown";
}
