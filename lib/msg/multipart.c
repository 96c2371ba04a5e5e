/*
 * multipart.c -- splitting multipart bodies (any subtype) into parts.
 *
 * RFC 2046 §5.1.1 (common syntax: boundary, delimiter, close-delimiter,
 * preamble, epilogue), RFC 2045 §5.1 (the Content-Type boundary
 * parameter), RFC 5621 (message body handling in SIP), RFC 4475 §3.1.1.11
 * (mpart01: a multipart/mixed body with a binary part holding NULs).
 *
 * Parts are views into the message bytes; only the part records and their
 * header arrays are allocated, from the message arena, and the result is
 * cached on the message. The body is binary: nothing here relies on NUL
 * termination. Nested multiparts are not descended into; a caller that
 * wants them can feed a part back through a message of its own.
 */
#include "msg_internal.h"

#include <stdlib.h>
#include <string.h>

static const char RFC2046[] = "RFC 2046 §5.1.1";

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_lws(char c)
{
    return is_wsp(c) || c == '\r' || c == '\n';
}

static siphon_str trim_lws(siphon_str s)
{
    while (s.len && is_lws(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_lws(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* Fill err (when wanted) naming RFC 2046 as the rule's source. */
static void fail(siphon_perr *err, size_t offset, const char *header,
                 const char *rule, const char *text)
{
    if (err)
        msg_perr(err, offset, header, rule, "%s (%s)", text, RFC2046);
}

static size_t msg_offset(const siphon_msg *m, const char *p)
{
    return (size_t)(p - m->bytes);
}

/* The boundary parameter value may be a quoted-string (RFC 2045 §5.1);
 * bchars exclude '\' and '"', so dropping the quotes is all it takes. */
static siphon_str unquote(siphon_str v)
{
    v = trim_lws(v);
    if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
        return siphon_str_make(v.p + 1, v.len - 2);
    return v;
}

/*
 * The boundary of m's body, from the typed Content-Type (RFC 3261
 * §20.15 media-type; its parse errors are the ones the rest of the stack
 * reports). Returns 0, SIPHON_ENOENT (no Content-Type or not multipart),
 * SIPHON_EPARSE with err filled, or SIPHON_ENOMEM.
 */
static int find_boundary(siphon_msg *m, siphon_str *boundary,
                         siphon_perr *err)
{
    const void *tv = NULL;
    int rc = siphon_msg_typed(m, SIPHON_HDR_CONTENT_TYPE, &tv, err);
    if (rc < 0)
        return rc;
    const siphon_hval *hv = tv;
    /* The typed value holds the type alone; the subtype (mixed,
     * alternative, related, ...) does not change the syntax. */
    if (!siphon_str_caseeq_c(hv->value, "multipart"))
        return SIPHON_ENOENT;
    const siphon_param *bp = siphon_params_find(&hv->params, "boundary");
    if (bp)
        *boundary = unquote(bp->value);
    if (!bp || boundary->len == 0) {
        long at = siphon_msg_hdr_next(m, SIPHON_HDR_CONTENT_TYPE, 0);
        fail(err, at < 0 ? 0 : msg_offset(m, m->hdrs[at].value.p),
             "Content-Type", "boundary",
             "multipart Content-Type without a usable boundary parameter");
        return SIPHON_EPARSE;
    }
    return 0;
}

/* ---- delimiters -------------------------------------------------------- */

typedef struct delim {
    size_t start;   /* where the part before it ends: its line break */
    size_t next;    /* first byte of the next part (after the line) */
    bool close;     /* "--boundary--" */
    bool bare_lf;   /* the delimiter line used LF rather than CRLF */
} delim;

/*
 * Find the next delimiter at or after from. A delimiter is "--" boundary
 * at the start of the body or right after a line break (RFC 2046: the
 * CRLF before it belongs to the delimiter), then either "--" (the close
 * delimiter) or transport padding and a line break. "--boundary" followed
 * by anything else is data that happens to start with the boundary.
 * Line breaks may be bare LF, which is reported as tolerated.
 */
static bool find_delim(siphon_str body, siphon_str bnd, size_t from,
                       delim *d)
{
    size_t need = 2 + bnd.len;
    for (size_t i = from; i + need <= body.len; i++) {
        const char *p = memchr(body.p + i, '-', body.len - i);
        if (!p)
            return false;
        i = (size_t)(p - body.p);
        if (i + need > body.len)
            return false;
        if ((i > 0 && body.p[i - 1] != '\n') || body.p[i + 1] != '-' ||
            memcmp(body.p + i + 2, bnd.p, bnd.len) != 0)
            continue;
        size_t j = i + need;
        d->bare_lf = false;
        d->start = i;
        if (i > 0) {
            d->start = i - 1;
            if (i > 1 && body.p[i - 2] == '\r')
                d->start = i - 2;
            else
                d->bare_lf = true;
        }
        if (j + 2 <= body.len && body.p[j] == '-' && body.p[j + 1] == '-') {
            d->close = true;
            d->next = body.len;
            return true;
        }
        while (j < body.len && is_wsp(body.p[j]))
            j++;
        if (j == body.len) {
            /* Body ends on an open delimiter: treated as the close
             * delimiter the sender forgot (the caller reports it). */
            d->close = false;
            d->next = body.len;
            return true;
        }
        if (body.p[j] == '\r' && j + 1 < body.len && body.p[j + 1] == '\n') {
            d->close = false;
            d->next = j + 2;
            return true;
        }
        if (body.p[j] == '\n') {
            d->close = false;
            d->bare_lf = true;
            d->next = j + 1;
            return true;
        }
    }
    return false;
}

/* ---- part headers ------------------------------------------------------ */

/* RFC 5322 §3.6.8 field-name: printable ASCII except ':'. */
static bool is_ftext(char c)
{
    return c > ' ' && c < 127 && c != ':';
}

/*
 * Walk the header section of the part [s, e). With out NULL it only
 * counts and checks the fields; with out it fills them. *body_at receives
 * where the part body starts (e when there is no blank line: a part of
 * headers only, RFC 2046 body-part's optional body). Returns the number
 * of fields, or SIPHON_EPARSE with err filled.
 */
static long part_headers(const siphon_msg *m, const char *s, const char *e,
                         siphon_hdr *out, const char **body_at,
                         siphon_perr *err)
{
    long n = 0;
    const char *p = s;
    for (;;) {
        if (p >= e) {
            *body_at = e;
            return n;
        }
        if (*p == '\n' || (*p == '\r' && p + 1 < e && p[1] == '\n')) {
            *body_at = p + (*p == '\n' ? 1 : 2);
            return n;
        }
        /* One field: its first line and every continuation line. */
        const char *f = p;
        const char *end = f;
        do {
            const char *lf = memchr(end, '\n', (size_t)(e - end));
            end = lf ? lf + 1 : e;
        } while (end < e && is_wsp(*end));
        const char *colon = f;
        while (colon < end && is_ftext(*colon))
            colon++;
        const char *name_end = colon;
        while (colon < end && is_wsp(*colon))
            colon++;
        if (name_end == f || colon == end || *colon != ':') {
            fail(err, msg_offset(m, f), NULL, "body-part",
                 "malformed header line in a multipart body part");
            return SIPHON_EPARSE;
        }
        if (out) {
            siphon_hdr *h = &out[n];
            h->name = siphon_str_make(f, (size_t)(name_end - f));
            h->id = siphon_hdr_lookup(h->name.p, h->name.len);
            h->value = trim_lws(
                siphon_str_make(colon + 1, (size_t)(end - colon - 1)));
            if (h->value.len == 0)
                h->value.p = colon + 1;
            h->line = siphon_str_make(f, (size_t)(end - f));
        }
        n++;
        p = end;
    }
}

/* ---- splitting --------------------------------------------------------- */

typedef struct range {
    size_t s, e;
} range;

/*
 * Record a tolerated deviation once: the first attempt records it; a
 * later attempt (after a cached failure) only needs to know whether
 * strict mode makes it an error.
 */
static bool tolerate(siphon_msg *m, const char *rule, size_t offset,
                     const char *text)
{
    if (m->parts_state != TYPED_UNPARSED)
        return m->opts.strict;
    return msg_finding(m, SIPHON_FINDING_TOLERATED, rule, RFC2046, NULL,
                       offset, text);
}

/* Find the part ranges; *out is malloc'd (the caller frees). */
static int split(siphon_msg *m, siphon_str bnd, range **out, size_t *nout,
                 siphon_perr *err)
{
    siphon_str body = m->body;
    size_t body_off = msg_offset(m, body.p);
    range *r = NULL;
    size_t n = 0, cap = 0;
    bool bare_lf = false;
    delim d;
    *out = NULL;
    *nout = 0;
    /* Everything before the first delimiter is preamble (ignored). */
    if (!find_delim(body, bnd, 0, &d)) {
        fail(err, body_off, NULL, "multipart-body",
             "the boundary never appears in the body");
        return SIPHON_EPARSE;
    }
    bare_lf = d.bare_lf;
    bool closed = d.close;
    size_t cursor = d.next;
    while (!closed) {
        delim nd;
        bool found = find_delim(body, bnd, cursor, &nd);
        size_t end = found ? (nd.start > cursor ? nd.start : cursor)
                           : body.len;
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            range *nr = realloc(r, cap * sizeof *nr);
            if (!nr) {
                free(r);
                return SIPHON_ENOMEM;
            }
            r = nr;
        }
        r[n].s = cursor;
        r[n].e = end;
        n++;
        if (!found || nd.next == body.len) {
            /* The close delimiter is mandatory; a sender that stops
             * without it has still sent readable parts. */
            if (!(found && nd.close) &&
                tolerate(m, "multipart-no-close-delimiter",
                         body_off + body.len,
                         "multipart body ends without its close delimiter")) {
                free(r);
                fail(err, body_off + body.len, NULL, "close-delimiter",
                     "multipart body ends without its close delimiter");
                return SIPHON_EPARSE;
            }
            break;
        }
        bare_lf |= nd.bare_lf;
        closed = nd.close;
        cursor = nd.next;
    }
    if (n == 0) {
        fail(err, body_off, NULL, "multipart-body",
             "multipart body with no body part");
        return SIPHON_EPARSE;
    }
    if (bare_lf && tolerate(m, "multipart-bare-lf", body_off,
                            "multipart delimiter line ends in LF, not CRLF")) {
        free(r);
        fail(err, body_off, NULL, "delimiter",
             "multipart delimiter line ends in LF, not CRLF");
        return SIPHON_EPARSE;
    }
    *out = r;
    *nout = n;
    return 0;
}

/* Check every part before allocating anything, so that a failed split
 * leaves the arena as it was and can be repeated to refill err. */
static int build_parts(siphon_msg *m, const range *r, size_t n,
                       const siphon_part **first, siphon_perr *err)
{
    const char *b = m->body.p;
    const char *body_at;
    for (size_t i = 0; i < n; i++) {
        long rc = part_headers(m, b + r[i].s, b + r[i].e, NULL, &body_at, err);
        if (rc < 0)
            return (int)rc;
    }
    siphon_part *head = NULL, **tail = &head;
    for (size_t i = 0; i < n; i++) {
        const char *s = b + r[i].s, *e = b + r[i].e;
        long nh = part_headers(m, s, e, NULL, &body_at, err);
        siphon_part *p = siphon_arena_alloc(&m->arena, sizeof *p);
        siphon_hdr *h = nh ? siphon_arena_alloc(&m->arena,
                                                (size_t)nh * sizeof *h)
                           : NULL;
        if (!p || (nh && !h))
            return SIPHON_ENOMEM;
        part_headers(m, s, e, h, &body_at, err);
        p->hdrs = h;
        p->nhdrs = (size_t)nh;
        p->body = siphon_str_make(body_at, (size_t)(e - body_at));
        for (long k = 0; k < nh; k++) {
            if (h[k].id == SIPHON_HDR_CONTENT_TYPE) {
                p->content_type = h[k].value;
                break;
            }
        }
        *tail = p;
        tail = &p->next;
    }
    *first = head;
    return 0;
}

/*
 * Split m's multipart body (see msg.h). The parts live as long as m. The
 * result, and a body that is not multipart, are cached; an error is
 * recomputed on the next call so that err is filled again.
 */
int siphon_msg_parts(siphon_msg *m, const siphon_part **first,
                     siphon_perr *err)
{
    if (!m || !first)
        return SIPHON_EINVAL;
    *first = NULL;
    if (m->parts_state == TYPED_OK) {
        *first = m->parts;
        return 0;
    }
    if (m->parts_state == TYPED_ABSENT)
        return SIPHON_ENOENT;
    siphon_str bnd;
    int rc = find_boundary(m, &bnd, err);
    range *r = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = split(m, bnd, &r, &n, err);
    if (rc == 0)
        rc = build_parts(m, r, n, first, err);
    free(r);
    if (rc == 0) {
        m->parts = *first;
        m->parts_state = TYPED_OK;
    } else if (rc == SIPHON_ENOENT) {
        m->parts_state = TYPED_ABSENT;
    } else if (rc != SIPHON_ENOMEM) {
        m->parts_state = TYPED_ERROR;
    }
    return rc;
}
