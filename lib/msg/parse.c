/*
 * parse.c -- the first pass over a SIP message: start line, header field
 * index and body framing.
 *
 * RFC 3261 §7.1 (Request-Line), §7.2 (Status-Line), §7.3 (header fields,
 * folding), §7.5 and §18.3 (framing, Content-Length), §25.1 (ABNF);
 * RFC 4475 §3.1.2.7-10 for the Request-Line deviations a liberal parser may
 * tolerate. Typed header values are parsed later, on demand (typed*.c).
 */
#include "msg_internal.h"
#include "scan.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void siphon_parse_opts_default(siphon_parse_opts *o)
{
    o->max_msg_size = 4u << 20;
    o->max_headers = 256;
    o->max_line = 32u << 10;
    o->strict = false;
    o->stream = false;
}

void msg_perr(siphon_perr *err, size_t offset, const char *header,
              const char *rule, const char *fmt, ...)
{
    if (!err)
        return;
    err->offset = offset;
    err->header = header;
    err->rule = rule;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
}

bool msg_finding(siphon_msg *m, siphon_finding_level level, const char *rule,
                 const char *rfc, const char *header, size_t offset,
                 const char *text)
{
    /* the same rule at the same place is reported once, even when typed
     * access re-parses a header */
    for (const siphon_finding *f = m->findings; f; f = f->next)
        if (f->offset == offset && strcmp(f->rule, rule) == 0)
            return m->opts.strict && level == SIPHON_FINDING_TOLERATED;
    siphon_finding *f = siphon_arena_alloc(&m->arena, sizeof *f);
    if (f) {
        f->level = level;
        f->rule = rule;
        f->rfc = rfc;
        f->header = header;
        f->offset = offset;
        f->text = text;
        if (m->findings_tail)
            m->findings_tail->next = f;
        else
            m->findings = f;
        m->findings_tail = f;
    }
    return m->opts.strict && level == SIPHON_FINDING_TOLERATED;
}

size_t msg_unfold(siphon_str v, char *out)
{
    /* nearly every value is on one line: copy it whole */
    if (!memchr(v.p, '\n', v.len) && !memchr(v.p, '\r', v.len)) {
        memcpy(out, v.p, v.len);
        return v.len;
    }
    size_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (c == '\r' || c == '\n') {
            /* a line break inside a value is always folding (the framer
             * ended the field at the first break not followed by WSP) */
            while (i + 1 < v.len && (v.p[i + 1] == '\r' || v.p[i + 1] == '\n' ||
                                     v.p[i + 1] == ' ' || v.p[i + 1] == '\t'))
                i++;
            /* collapse with whitespace already written before the break */
            while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
                n--;
            out[n++] = ' ';
            continue;
        }
        out[n++] = c;
    }
    return n;
}

/* ---- start line -------------------------------------------------------- */

static size_t off(const siphon_msg *m, const char *p)
{
    return (size_t)(p - m->bytes);
}

/* "SIP/" 1*DIGIT "." 1*DIGIT; "SIP" is case-insensitive (RFC 3261 §7.1
 * and RFC 2234 string literals). */
static bool is_sip_version(const char *p, size_t len)
{
    if (len < 7 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' ||
        (p[2] | 0x20) != 'p' || p[3] != '/')
        return false;
    size_t i = 4, d1 = 0, d2 = 0;
    while (i < len && cc((unsigned char)p[i], CC_DIGIT))
        i++, d1++;
    if (i >= len || p[i] != '.')
        return false;
    i++;
    while (i < len && cc((unsigned char)p[i], CC_DIGIT))
        i++, d2++;
    return i == len && d1 > 0 && d2 > 0;
}

static int parse_status_line(siphon_msg *m, const char *p, const char *end,
                             siphon_perr *err)
{
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || !is_sip_version(p, (size_t)(sp - p))) {
        msg_perr(err, 0, NULL, "SIP-Version",
                 "status line does not start with SIP/x.y and a space");
        return SIPHON_EPARSE;
    }
    m->version = siphon_str_make(p, (size_t)(sp - p));
    const char *c = sp + 1;
    const char *ce = c;
    while (ce < end && cc((unsigned char)*ce, CC_DIGIT))
        ce++;
    if (ce - c != 3 || (ce < end && *ce != ' ')) {
        msg_perr(err, off(m, c), NULL, "Status-Code",
                 "status code is not three digits");
        return SIPHON_EPARSE;
    }
    m->status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
    /* RFC 4475 §3.1.2.19: codes outside 100-699 cannot be acted on */
    if (m->status < 100 || m->status > 699) {
        msg_perr(err, off(m, c), NULL, "Status-Code",
                 "status code %d is outside 100-699", m->status);
        return SIPHON_EPARSE;
    }
    if (ce == end) {
        if (msg_finding(m, SIPHON_FINDING_TOLERATED, "status-line-no-sp",
                        "RFC 3261 §7.2", NULL, off(m, ce),
                        "status line has no SP before the (empty) reason phrase")) {
            msg_perr(err, off(m, ce), NULL, "Status-Line",
                     "missing SP after the status code");
            return SIPHON_EPARSE;
        }
        m->reason = siphon_str_make(ce, 0);
    } else {
        m->reason = siphon_str_make(ce + 1, (size_t)(end - ce - 1));
    }
    m->is_request = false;
    return 0;
}

/* Copy the URI without any whitespace (RFC 4475 §3.1.2.8, liberal). */
static int strip_uri_ws(siphon_msg *m, const char *p, const char *e,
                        siphon_str *out)
{
    char *d = siphon_arena_alloc(&m->arena, (size_t)(e - p) + 1);
    if (!d)
        return SIPHON_ENOMEM;
    size_t n = 0;
    for (; p < e; p++)
        if (!cc((unsigned char)*p, CC_WS))
            d[n++] = *p;
    *out = siphon_str_make(d, n);
    return 0;
}

static int parse_request_line(siphon_msg *m, const char *p, const char *end,
                              siphon_perr *err)
{
    const char *me = skip_token(p, end);
    if (me == p || me == end || *me != ' ') {
        msg_perr(err, off(m, me), NULL, "Method",
                 me == p ? "request line does not start with a method token"
                         : "method is not a token followed by SP");
        return SIPHON_EPARSE;
    }
    m->method = siphon_str_make(p, (size_t)(me - p));
    m->method_id = siphon_method_lookup(p, (size_t)(me - p));

    const char *u = me;
    while (u < end && *u == ' ')
        u++;
    const char *e = end;
    if (e > u && (e[-1] == ' ' || e[-1] == '\t')) {
        while (e > u && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (msg_finding(m, SIPHON_FINDING_TOLERATED, "request-line-trailing-sp",
                        "RFC 3261 §7.1; RFC 4475 §3.1.2.10", NULL, off(m, e),
                        "whitespace after SIP-Version at the end of the request line")) {
            msg_perr(err, off(m, e), NULL, "Request-Line",
                     "trailing whitespace after SIP-Version");
            return SIPHON_EPARSE;
        }
    }
    const char *v = e;
    while (v > u && v[-1] != ' ' && v[-1] != '\t')
        v--;
    if (v == u) {
        msg_perr(err, off(m, u), NULL, "Request-Line",
                 "request line needs Method SP Request-URI SP SIP-Version");
        return SIPHON_EPARSE;
    }
    m->version = siphon_str_make(v, (size_t)(e - v));
    if (!is_sip_version(v, (size_t)(e - v))) {
        msg_perr(err, off(m, v), NULL, "SIP-Version",
                 "\"%.*s\" is not a SIP version", (int)(e - v > 20 ? 20 : e - v), v);
        return SIPHON_EPARSE;
    }
    const char *ue = v - 1;
    while (ue > u && (ue[-1] == ' ' || ue[-1] == '\t'))
        ue--;
    if (u - me > 1 || (v - 1) - ue > 0) {
        if (msg_finding(m, SIPHON_FINDING_TOLERATED, "request-line-extra-sp",
                        "RFC 3261 §7.1; RFC 4475 §3.1.2.9", NULL,
                        off(m, u - me > 1 ? me : ue),
                        "more than one SP between request line elements")) {
            msg_perr(err, off(m, me), NULL, "Request-Line",
                     "elements separated by more than one SP");
            return SIPHON_EPARSE;
        }
    }
    if (ue <= u) {
        msg_perr(err, off(m, u), NULL, "Request-URI", "empty Request-URI");
        return SIPHON_EPARSE;
    }
    m->ruri_wire = siphon_str_make(u, (size_t)(ue - u));
    m->ruri = m->ruri_wire;

    /* the line holds no CR or LF, so SP and HTAB are the only LWS */
    if (padded_find2(u, ue, ' ', '\t')) {
        if (msg_finding(m, SIPHON_FINDING_TOLERATED, "request-uri-lws",
                        "RFC 3261 §25.1; RFC 4475 §3.1.2.8", NULL, off(m, u),
                        "whitespace inside the Request-URI (ignored)")) {
            msg_perr(err, off(m, u), NULL, "Request-URI",
                     "whitespace inside the Request-URI");
            return SIPHON_EPARSE;
        }
        int rc = strip_uri_ws(m, u, ue, &m->ruri);
        if (rc)
            return rc;
    }
    if (m->ruri.len >= 2 && m->ruri.p[0] == '<' && m->ruri.p[m->ruri.len - 1] == '>') {
        if (msg_finding(m, SIPHON_FINDING_TOLERATED, "request-uri-angle-brackets",
                        "RFC 3261 §25.1; RFC 4475 §3.1.2.7", NULL, off(m, u),
                        "Request-URI enclosed in < > (brackets stripped)")) {
            msg_perr(err, off(m, u), NULL, "Request-URI",
                     "Request-URI enclosed in < >");
            return SIPHON_EPARSE;
        }
        m->ruri.p++;
        m->ruri.len -= 2;
    }
    if (m->ruri.len == 0) {
        msg_perr(err, off(m, u), NULL, "Request-URI", "empty Request-URI");
        return SIPHON_EPARSE;
    }
    m->is_request = true;
    return 0;
}

/* ---- header fields ----------------------------------------------------- */

/*
 * Where the first ':' is in the 16 bytes at p (the copy is padded by
 * MSG_PAD, so the load stays inside it), when no CR, LF, SP or HTAB comes
 * before it. Returns false otherwise, and on machines without SSE2, where
 * the scalar path (skip_token) does all the work.
 */
static inline bool name_colon16(const char *p, unsigned *colon)
{
#if defined(__SSE2__) && !defined(SIPHON_NO_SIMD)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned cmask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
    if (!cmask)
        return false;
    unsigned k = (unsigned)__builtin_ctz(cmask);
    unsigned stop = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')))));
    if (stop & ((1u << k) - 1))
        return false;
    *colon = k;
    return true;
#else
    (void)p;
    (void)colon;
    return false;
#endif
}

/* Room for one more field: the limit check and the array growth, off the
 * common path (add_header calls it only when nhdrs reaches *room). */
static int grow_headers(siphon_msg *m, size_t *cap, size_t *room, const siphon_hdr *h,
                        siphon_perr *err)
{
    if (m->nhdrs >= m->opts.max_headers) {
        msg_perr(err, off(m, h->line.p), NULL, "message-header",
                 "more than %zu header fields", m->opts.max_headers);
        return SIPHON_ETOOBIG;
    }
    if (*cap == 0) {
        m->hdrs = m->hdrs_inline;
        *cap = MSG_INLINE_HDRS;
    }
    if (m->nhdrs == *cap) {
        size_t ncap = *cap * 2;
        siphon_hdr *n = siphon_arena_alloc_raw(&m->arena, ncap * sizeof *n);
        if (!n)
            return SIPHON_ENOMEM;
        if (m->nhdrs)
            memcpy(n, m->hdrs, m->nhdrs * sizeof *n);
        m->hdrs = n;
        *cap = ncap;
    }
    *room = *cap < m->opts.max_headers ? *cap : m->opts.max_headers;
    return 0;
}

static inline int add_header(siphon_msg *m, size_t *cap, size_t *room, const siphon_hdr *h,
                             siphon_perr *err)
{
    if (m->nhdrs >= *room) {
        int rc = grow_headers(m, cap, room, h, err);
        if (rc)
            return rc;
    }
    siphon_hdr *d = &m->hdrs[m->nhdrs];
    d->id = h->id;
    d->name = h->name;
    d->value = h->value;
    d->line = h->line;
    d->next = 0;
    if (h->id) {
        /* chain fields of one id so that typed access walks only them */
        uint16_t self = (uint16_t)(m->nhdrs + 1);
        if (m->last[h->id])
            m->hdrs[m->last[h->id] - 1].next = self;
        else
            m->first[h->id] = self;
        m->last[h->id] = self;
    }
    m->nhdrs++;
    return 0;
}

/*
 * Index the header fields starting at p. On return *body points at the
 * first body byte (or end when the blank line is missing).
 */
static int parse_headers(siphon_msg *m, const char *p, const char *end,
                         const char **body, siphon_perr *err)
{
    size_t cap = 0, room = 0;
    bool bare_lf_seen = false;
    while (p < end) {
        /* the blank line that ends the header section */
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            if (*p == '\n' && !bare_lf_seen) {
                bare_lf_seen = true;
                if (msg_finding(m, SIPHON_FINDING_TOLERATED, "bare-lf",
                                "RFC 3261 §7", NULL, off(m, p),
                                "line ended by LF alone instead of CRLF")) {
                    msg_perr(err, off(m, p), NULL, "CRLF",
                             "line ended by LF alone");
                    return SIPHON_EPARSE;
                }
            }
            *body = p + (*p == '\n' ? 1 : 2);
            return 0;
        }
        if (*p == ' ' || *p == '\t') {
            /* a line of whitespace only: some senders end the header
             * section with it; a liberal parser takes it as the empty line */
            const char *q = p;
            while (q < end && (*q == ' ' || *q == '\t'))
                q++;
            if (q < end && (*q == '\n' || (*q == '\r' && q + 1 < end && q[1] == '\n'))) {
                if (msg_finding(m, SIPHON_FINDING_TOLERATED, "whitespace-empty-line",
                                "RFC 3261 §7", NULL, off(m, p),
                                "header section ended by a line of whitespace")) {
                    msg_perr(err, off(m, p), NULL, "CRLF",
                             "header section ended by a line of whitespace");
                    return SIPHON_EPARSE;
                }
                *body = q + (*q == '\n' ? 1 : 2);
                return 0;
            }
            msg_perr(err, off(m, p), NULL, "message-header",
                     "continuation line with no header field before it");
            return SIPHON_EPARSE;
        }
        siphon_hdr h;
        const char *ne = NULL, *c = NULL;
        unsigned colon;
        /* fast path: a known name directly followed by its colon within 16
         * bytes; the lookup validates the name, so no per-byte scan */
        if (name_colon16(p, &colon) && colon > 0) {
            h.id = msg_hdr_lookup_padded(p, colon);
            if (h.id != SIPHON_HDR_OTHER) {
                ne = p + colon;
                c = ne;
            }
        }
        if (!c) {
            ne = skip_token(p, end);
            if (ne == p) {
                msg_perr(err, off(m, p), NULL, "header-name",
                         "header field does not start with a token");
                return SIPHON_EPARSE;
            }
            h.id = msg_hdr_lookup_padded(p, (size_t)(ne - p));
            c = ne;
            while (c < end && (*c == ' ' || *c == '\t'))
                c++;
            /* HCOLON allows no line break before the colon (RFC 3261
             * §25.1); tolerate a folded one. The copy is zero-padded
             * (MSG_PAD), so looking one byte past end is safe. */
            const char *f = c;
            if (c < end && *c != ':' && *f == '\r')
                f++;
            if (c < end && *c != ':' && *f == '\n' && (f[1] == ' ' || f[1] == '\t')) {
                f++;
                while (f < end && (*f == ' ' || *f == '\t'))
                    f++;
                if (f < end && *f == ':') {
                    if (msg_finding(m, SIPHON_FINDING_TOLERATED, "folded-before-colon",
                                    "RFC 3261 §25.1 HCOLON", NULL, off(m, c),
                                    "line folded between header name and colon")) {
                        msg_perr(err, off(m, c), NULL, "HCOLON",
                                 "line folded between header name and colon");
                        return SIPHON_EPARSE;
                    }
                    c = f;
                }
            }
        }
        h.name = siphon_str_make(p, (size_t)(ne - p));
        if (c >= end || *c != ':') {
            msg_perr(err, off(m, p), NULL, "HCOLON",
                     "header \"%.*s\" has no colon after its name",
                     (int)(h.name.len > 40 ? 40 : h.name.len), h.name.p);
            return SIPHON_EPARSE;
        }
        /* find the end of the field: a line break not followed by WSP */
        const char *q = c + 1;
        const char *line_end;
        const char *next;
        for (;;) {
            const char *lf = padded_find_lf(q, end);
            if (!lf) {
                line_end = next = end;
                break;
            }
            if (lf[-1] != '\r' && !bare_lf_seen) {
                bare_lf_seen = true;
                if (msg_finding(m, SIPHON_FINDING_TOLERATED, "bare-lf",
                                "RFC 3261 §7", NULL, off(m, lf),
                                "line ended by LF alone instead of CRLF")) {
                    msg_perr(err, off(m, lf), NULL, "CRLF",
                             "line ended by LF alone");
                    return SIPHON_EPARSE;
                }
            }
            if (lf[1] == ' ' || lf[1] == '\t') {
                /* a whitespace-only line is not folding: see above */
                const char *w = lf + 1;
                while (w < end && (*w == ' ' || *w == '\t'))
                    w++;
                if (w == end || (*w != '\r' && *w != '\n')) {
                    q = lf + 1;
                    continue;
                }
            }
            line_end = lf[-1] == '\r' ? lf - 1 : lf;
            next = lf + 1;
            break;
        }
        if ((size_t)(line_end - p) > m->opts.max_line) {
            msg_perr(err, off(m, p), siphon_hdr_name(h.id), "message-header",
                     "header field longer than %zu bytes", m->opts.max_line);
            return SIPHON_ETOOBIG;
        }
        const char *vs = skip_ws(c + 1, line_end);
        const char *ve = rskip_ws(vs, line_end);
        h.value = siphon_str_make(vs, (size_t)(ve - vs));
        h.line = siphon_str_make(p, (size_t)(next - p));
        int rc = add_header(m, &cap, &room, &h, err);
        if (rc)
            return rc;
        p = next;
    }
    /* RFC 3261 §7: the empty line is mandatory even without a body */
    if (m->opts.stream) {
        msg_perr(err, off(m, end), NULL, "CRLF",
                 "header section not terminated by an empty line");
        return SIPHON_EPARSE;
    }
    if (msg_finding(m, SIPHON_FINDING_TOLERATED, "missing-empty-line",
                    "RFC 3261 §7", NULL, off(m, end),
                    "datagram ends without the empty line after the headers")) {
        msg_perr(err, off(m, end), NULL, "CRLF",
                 "header section not terminated by an empty line");
        return SIPHON_EPARSE;
    }
    *body = end;
    return 0;
}

/* ---- Content-Length and the body ---------------------------------------- */

static int frame_body(siphon_msg *m, const char *body, const char *end,
                      siphon_perr *err)
{
    size_t avail = (size_t)(end - body);
    bool have = false;
    uint64_t cl = 0;
    for (size_t i = m->first[SIPHON_HDR_CONTENT_LENGTH]; i; i = m->hdrs[i - 1].next) {
        const siphon_hdr *h = &m->hdrs[i - 1];
        uint64_t v;
        int rc = siphon_str_to_u64(h->value, UINT32_MAX, &v);
        if (rc) {
            msg_perr(err, off(m, h->value.p), "Content-Length", "Content-Length",
                     rc == SIPHON_ERANGE ? "Content-Length is too large"
                     : h->value.len && h->value.p[0] == '-'
                         ? "Content-Length is negative"
                         : "Content-Length is not a decimal number");
            return SIPHON_EPARSE;
        }
        if (have && v != cl) {
            /* RFC 4475 §3.3.9: no way to know which one frames the body */
            msg_perr(err, off(m, h->line.p), "Content-Length", "Content-Length",
                     "multiple Content-Length values (%llu and %llu)",
                     (unsigned long long)cl, (unsigned long long)v);
            return SIPHON_EDUP;
        }
        if (have && msg_finding(m, SIPHON_FINDING_TOLERATED, "duplicate-content-length",
                                "RFC 3261 §20.14", "Content-Length",
                                off(m, h->line.p), "Content-Length appears twice")) {
            msg_perr(err, off(m, h->line.p), "Content-Length", "Content-Length",
                     "Content-Length appears twice");
            return SIPHON_EDUP;
        }
        have = true;
        cl = v;
    }
    if (!have) {
        if (m->opts.stream) {
            msg_perr(err, off(m, body), "Content-Length", "Content-Length",
                     "Content-Length is required on stream transports (RFC 3261 §18.3)");
            return SIPHON_EPARSE;
        }
        cl = avail;
    }
    if (cl > avail) {
        msg_perr(err, off(m, body), "Content-Length", "Content-Length",
                 "Content-Length %llu is larger than the %zu body bytes present",
                 (unsigned long long)cl, avail);
        return SIPHON_EPARSE;
    }
    m->body = siphon_str_make(body, (size_t)cl);
    m->trailing = avail - (size_t)cl;
    if (m->trailing)
        msg_finding(m, SIPHON_FINDING_NOTE, "trailing-bytes",
                    "RFC 3261 §18.3; RFC 4475 §3.1.1.8", NULL,
                    off(m, body) + (size_t)cl,
                    "bytes after Content-Length ignored");
    m->len = off(m, body) + (size_t)cl;
    return 0;
}

/* ---- message blocks ------------------------------------------------------ */

/*
 * Each thread keeps a few freed message blocks of the standard size, so
 * that a receive loop (parse, handle, free) does not go through malloc for
 * every message. Blocks are returned to malloc when the thread exits.
 */
#define POOL_KEEP 16
typedef struct block_pool {
    void *blocks[POOL_KEEP];
    int n;
    bool registered; /* the thread-exit destructor is armed */
} block_pool;

static _Thread_local block_pool pool;
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_drain(void *arg)
{
    block_pool *bp = arg;
    while (bp->n > 0)
        free(bp->blocks[--bp->n]);
    bp->registered = false;
}

static void pool_init_key(void)
{
    /* the destructor frees a thread's cache when it exits */
    (void)pthread_key_create(&pool_key, pool_drain);
}

static siphon_msg *block_alloc(size_t len)
{
    if (len <= MSG_POOL_BYTES) {
        if (pool.n > 0) {
            siphon_msg *m = pool.blocks[--pool.n];
            m->pooled = true;
            return m;
        }
        siphon_msg *m = malloc(sizeof *m + MSG_POOL_BYTES + MSG_PAD);
        if (m)
            m->pooled = true;
        return m;
    }
    siphon_msg *m = malloc(sizeof *m + len + MSG_PAD);
    if (m)
        m->pooled = false;
    return m;
}

static void block_free(siphon_msg *m)
{
    if (m->pooled && pool.n < POOL_KEEP) {
        if (!pool.registered) {
            pthread_once(&pool_once, pool_init_key);
            (void)pthread_setspecific(pool_key, &pool);
            pool.registered = true;
        }
        pool.blocks[pool.n++] = m;
        return;
    }
    free(m);
}

/* ---- entry points ------------------------------------------------------ */

int siphon_msg_parse(const char *buf, size_t len, const siphon_parse_opts *opts,
                     siphon_msg **out, siphon_perr *err)
{
    siphon_parse_opts defaults;
    if (!opts) {
        siphon_parse_opts_default(&defaults);
        opts = &defaults;
    }
    *out = NULL;
    if (len > opts->max_msg_size) {
        msg_perr(err, opts->max_msg_size, NULL, "SIP-message",
                 "message of %zu bytes exceeds the %zu-byte limit", len,
                 opts->max_msg_size);
        return SIPHON_ETOOBIG;
    }
    siphon_msg *m = block_alloc(len);
    if (!m)
        return SIPHON_ENOMEM;
    bool pooled = m->pooled;
    memset(m, 0, MSG_ZEROED_PART);
    m->pooled = pooled;
    m->refs = 1;
    m->opts = *opts;
    if (m->opts.max_headers > 65534)
        m->opts.max_headers = 65534;
    siphon_arena_init(&m->arena, m->arena_inline, sizeof m->arena_inline);
    char *bytes = (char *)(m + 1);
    if (len)
        memcpy(bytes, buf, len);
    memset(bytes + len, 0, MSG_PAD);
    m->bytes = bytes;
    m->len = len;

    const char *p = bytes, *end = bytes + len;
    int rc;
    /* RFC 3261 §7.5: CRLFs before the start line are ignored */
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    if (p == end) {
        msg_perr(err, 0, NULL, "SIP-message",
                 len ? "only line breaks (a keep-alive), no message" : "empty input");
        rc = SIPHON_EPARSE;
        goto fail;
    }
    if (p != bytes)
        msg_finding(m, SIPHON_FINDING_NOTE, "leading-crlf", "RFC 3261 §7.5",
                    NULL, 0, "line breaks before the start line ignored");
    const char *lf = padded_find_lf(p, end);
    const char *le = lf ? lf : end;
    if (le > p && le[-1] == '\r')
        le--;
    if ((size_t)(le - p) > m->opts.max_line) {
        msg_perr(err, off(m, p), NULL, "Request-Line",
                 "start line longer than %zu bytes", m->opts.max_line);
        rc = SIPHON_ETOOBIG;
        goto fail;
    }
    if (!lf) {
        msg_perr(err, off(m, end), NULL, "CRLF", "start line is not terminated");
        rc = SIPHON_EPARSE;
        goto fail;
    }
    const char *ctl = padded_find2(p, le, '\0', '\r');
    if (ctl) {
        msg_perr(err, off(m, ctl), NULL, "Request-Line",
                 "control character in the start line");
        rc = SIPHON_EPARSE;
        goto fail;
    }
    m->start_line = siphon_str_make(p, (size_t)(le - p));
    if (le - p >= 4 && memcmp(p, "SIP/", 4) == 0)
        rc = parse_status_line(m, p, le, err);
    else
        rc = parse_request_line(m, p, le, err);
    if (rc)
        goto fail;
    if (*lf == '\n' && (lf == p || lf[-1] != '\r') &&
        msg_finding(m, SIPHON_FINDING_TOLERATED, "bare-lf", "RFC 3261 §7", NULL,
                    off(m, lf), "line ended by LF alone instead of CRLF")) {
        msg_perr(err, off(m, lf), NULL, "CRLF", "line ended by LF alone");
        rc = SIPHON_EPARSE;
        goto fail;
    }

    const char *body;
    rc = parse_headers(m, lf + 1, end, &body, err);
    if (rc)
        goto fail;
    rc = frame_body(m, body, end, err);
    if (rc)
        goto fail;
    *out = m;
    return 0;
fail:
    if (err && rc == SIPHON_ENOMEM)
        msg_perr(err, 0, NULL, "SIP-message", "out of memory");
    siphon_arena_free(&m->arena);
    block_free(m);
    return rc;
}

siphon_msg *siphon_msg_ref(siphon_msg *m)
{
    if (m)
        m->refs++;
    return m;
}

void siphon_msg_unref(siphon_msg *m)
{
    if (!m || --m->refs > 0)
        return;
    siphon_arena_free(&m->arena);
    block_free(m);
}

/* ---- accessors --------------------------------------------------------- */

bool siphon_msg_is_request(const siphon_msg *m) { return m->is_request; }
siphon_method siphon_msg_method_id(const siphon_msg *m) { return m->method_id; }
siphon_str siphon_msg_method(const siphon_msg *m) { return m->method; }
siphon_str siphon_msg_ruri_str(const siphon_msg *m) { return m->ruri; }
siphon_str siphon_msg_version(const siphon_msg *m) { return m->version; }
int siphon_msg_status(const siphon_msg *m) { return m->status; }
siphon_str siphon_msg_reason(const siphon_msg *m) { return m->reason; }
siphon_str siphon_msg_body(const siphon_msg *m) { return m->body; }
const siphon_parse_opts *siphon_msg_opts(const siphon_msg *m) { return &m->opts; }
size_t siphon_msg_hdr_count(const siphon_msg *m) { return m->nhdrs; }
siphon_str siphon_msg_start_line(const siphon_msg *m) { return m->start_line; }
const siphon_finding *siphon_msg_findings(const siphon_msg *m) { return m->findings; }

siphon_str siphon_msg_bytes(const siphon_msg *m)
{
    return siphon_str_make(m->bytes, m->len);
}

const siphon_hdr *siphon_msg_hdr_at(const siphon_msg *m, size_t i)
{
    return i < m->nhdrs ? &m->hdrs[i] : NULL;
}

long siphon_msg_hdr_next(const siphon_msg *m, siphon_hdr_id id, size_t from)
{
    if ((unsigned)id >= SIPHON_HDR__COUNT)
        return -1;
    if (id != SIPHON_HDR_OTHER) {
        for (size_t i = m->first[id]; i; i = m->hdrs[i - 1].next)
            if (i - 1 >= from)
                return (long)(i - 1);
        return -1;
    }
    for (size_t i = from; i < m->nhdrs; i++)
        if (m->hdrs[i].id == id)
            return (long)i;
    return -1;
}

long siphon_msg_hdr_next_name(const siphon_msg *m, const char *name,
                              size_t len, size_t from)
{
    siphon_hdr_id id = siphon_hdr_lookup(name, len);
    if (id != SIPHON_HDR_OTHER)
        return siphon_msg_hdr_next(m, id, from);
    siphon_str n = siphon_str_make(name, len);
    for (size_t i = from; i < m->nhdrs; i++)
        if (m->hdrs[i].id == SIPHON_HDR_OTHER && siphon_str_caseeq(m->hdrs[i].name, n))
            return (long)i;
    return -1;
}
