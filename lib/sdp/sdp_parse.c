/*
 * sdp_parse.c -- the SDP parser (RFC 8866 §5, grammar §9).
 *
 * One pass over the lines. Known lines fill the typed fields of the
 * session or of the current m= section; everything else is kept verbatim
 * with a finding, anchored after the known line it followed so that the
 * printer puts it back in place. Only limits (hostile input) and a body
 * with no "x=" line at all are errors: an SDP body is often read by a
 * tester who wants to see what is wrong with it, not a refusal.
 */
#include "sdp_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Findings kept per body: a garbage body of thousands of lines must not
 * produce thousands of records. */
#define SDP_MAX_FINDINGS 64

void siphon_sdp_opts_default(siphon_sdp_opts *o)
{
    o->max_size = 64 * 1024;
    o->max_lines = 2048;
    o->max_line = 4096;
    o->max_media = 64;
    o->strict = false;
}

/* ---- typed lines ------------------------------------------------------- */

static bool all_digits(siphon_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

/* Split v into exactly n SP-separated fields (t[0..n-1]); false when it
 * has fewer or more. */
static bool fields(siphon_str v, siphon_str *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        t[i] = sdp_token(&v);
    return t[n - 1].len != 0 && sdp_token(&v).len == 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
 * (RFC 8866 §5.2). */
int sdp_parse_origin(siphon_str v, siphon_sdp_origin *o)
{
    siphon_str t[6];
    if (!fields(v, t, 6))
        return SIPHON_EPARSE;
    /* §5.2: sess-id and sess-version are numeric strings; the version
     * must be a number for RFC 3264 §8 to work. */
    if (!all_digits(t[1]) || !all_digits(t[2]))
        return SIPHON_EPARSE;
    o->username = t[0];
    o->sess_id = t[1];
    o->sess_version = t[2];
    o->version = 0;
    if (siphon_str_to_u64(t[2], UINT64_MAX, &o->version) != 0)
        o->version = 0;
    o->nettype = t[3];
    o->addrtype = t[4];
    o->address = t[5];
    return 0;
}

/* c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). */
int sdp_parse_conn(siphon_str v, siphon_sdp_conn *c)
{
    siphon_str t[3];
    if (!fields(v, t, 3))
        return SIPHON_EPARSE;
    c->nettype = t[0];
    c->addrtype = t[1];
    c->address = t[2];
    const char *slash = memchr(t[2].p, '/', t[2].len);
    c->host = siphon_str_make(t[2].p, slash ? (size_t)(slash - t[2].p)
                                            : t[2].len);
    return 0;
}

/* b=<bwtype>:<bandwidth> (RFC 8866 §5.8). */
int sdp_parse_bw(siphon_str v, siphon_sdp_bw *b)
{
    const char *colon = memchr(v.p, ':', v.len);
    if (!colon || colon == v.p)
        return SIPHON_EPARSE;
    b->type = siphon_str_make(v.p, (size_t)(colon - v.p));
    if (memchr(b->type.p, ' ', b->type.len))
        return SIPHON_EPARSE;
    siphon_str num = siphon_str_make(colon + 1, v.len - b->type.len - 1);
    return siphon_str_to_u64(num, UINT64_MAX, &b->value) ? SIPHON_EPARSE : 0;
}

/* t=<start-time> <stop-time> (RFC 8866 §5.9). */
int sdp_parse_time(siphon_str v, siphon_sdp_time *t)
{
    siphon_str a = sdp_token(&v), b = sdp_token(&v), c = sdp_token(&v);
    if (c.len || siphon_str_to_u64(a, UINT64_MAX, &t->start) ||
        siphon_str_to_u64(b, UINT64_MAX, &t->stop))
        return SIPHON_EPARSE;
    t->repeats = NULL;
    t->nrepeats = 0;
    return 0;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... (§5.14). */
int sdp_parse_mline(siphon_arena *a, siphon_str v, siphon_sdp_media *m)
{
    siphon_str media = sdp_token(&v), port = sdp_token(&v),
               proto = sdp_token(&v);
    if (proto.len == 0)
        return SIPHON_EPARSE;
    uint64_t p, np = 0;
    const char *slash = memchr(port.p, '/', port.len);
    siphon_str pnum = siphon_str_make(port.p, slash ? (size_t)(slash - port.p)
                                                    : port.len);
    if (siphon_str_to_u64(pnum, 65535, &p))
        return SIPHON_EPARSE;
    if (slash) {
        siphon_str cnt = siphon_str_make(slash + 1,
                                         port.len - pnum.len - 1);
        /* A count of 0 could not be printed back: refuse it. */
        if (siphon_str_to_u64(cnt, 65535, &np) || np == 0)
            return SIPHON_EPARSE;
    }
    m->media = media;
    m->port = (uint32_t)p;
    m->nports = (uint32_t)np;
    m->proto = proto;
    for (;;) {
        siphon_str f = sdp_token(&v);
        if (f.len == 0)
            break;
        siphon_str *slot = SDP_PUSH(a, m->fmts, m->nfmts);
        if (!slot)
            return SIPHON_ENOMEM;
        *slot = f;
    }
    return 0;
}

/* a=<attribute>[:<value>] (RFC 8866 §5.13): the value is kept verbatim. */
void sdp_parse_attr(siphon_str v, siphon_sdp_attr *at)
{
    const char *colon = memchr(v.p, ':', v.len);
    if (colon) {
        at->name = siphon_str_make(v.p, (size_t)(colon - v.p));
        at->value = siphon_str_make(colon + 1, v.len - at->name.len - 1);
        at->has_value = true;
    } else {
        at->name = v;
        at->value = siphon_str_make(v.p + v.len, 0);
        at->has_value = false;
    }
}

/* ---- the line loop ----------------------------------------------------- */

typedef struct parser {
    siphon_sdp *s;
    siphon_arena *a;
    const siphon_sdp_opts *opts;
    siphon_sdp_media *m;   /* current m= section, NULL at session level */
    siphon_sdp_time *t;    /* last t=, for r= */
    int rank;              /* rank of the last known line at this level */
    char anchor;           /* its type letter */
    uint32_t line;
    size_t offset;
    bool oom;
    unsigned seen_once;    /* session lines allowed once, by rank bit */
} parser;

static void finding(parser *ps, const char *rule, const char *rfc,
                    const char *text)
{
    siphon_sdp *s = ps->s;
    if (s->nfindings >= SDP_MAX_FINDINGS)
        return;
    siphon_sdp_finding *f = SDP_PUSH(ps->a, s->findings, s->nfindings);
    if (!f) {
        ps->oom = true;
        return;
    }
    f->line = ps->line;
    f->offset = ps->offset;
    f->rule = rule;
    f->rfc = rfc;
    f->text = text;
}

/* Keep the whole line verbatim at the current level. */
static void keep(parser *ps, siphon_str text)
{
    siphon_sdp_line *l = ps->m ? SDP_PUSH(ps->a, ps->m->extra, ps->m->nextra)
                               : SDP_PUSH(ps->a, ps->s->extra, ps->s->nextra);
    if (!l) {
        ps->oom = true;
        return;
    }
    l->text = text;
    l->anchor = ps->anchor;
    l->line = ps->line;
}

static void keep_bad(parser *ps, siphon_str text, const char *rule,
                     const char *rfc, const char *why)
{
    finding(ps, rule, rfc, why);
    keep(ps, text);
}

/* Order check and anchor update for a known line of type c with rank r. */
static void placed(parser *ps, char c, int r)
{
    /* The anchor stays on the highest-ranked line so far: the printer
     * puts an out-of-order line back in its place, and a verbatim line
     * that followed it must still come after everything it followed. */
    if (r < ps->rank) {
        finding(ps, "line-order", "RFC 8866 §5",
                "line out of the order the RFC fixes; printed in that order");
        return;
    }
    ps->rank = r;
    ps->anchor = c == 'r' ? 't' : c;
}

/*
 * The helpers below serve both levels, which differ only in where a line
 * lands. Each is false when the line was not stored (kept verbatim with
 * its finding, or out of memory): the caller then must not count it as
 * placed.
 */

/* Append val to the arena array arr of n elements; false, with the
 * out-of-memory flag set, when the array cannot grow. A macro because
 * SDP_PUSH needs the element type. */
#define APPEND(ps, arr, n, val)                                                \
    (SDP_PUSH((ps)->a, (arr), (n)) ? ((arr)[(n) - 1] = (val), true)            \
                                   : ((ps)->oom = true, false))

/* keep_bad() for a line whose value does not parse: always false. */
static bool unparsed(parser *ps, siphon_str text, const char *rule,
                     const char *rfc, const char *why)
{
    keep_bad(ps, text, rule, rfc, why);
    return false;
}

/* c= (RFC 8866 §5.7) into *cn. */
static bool conn_line(parser *ps, siphon_str v, siphon_str text,
                      siphon_sdp_conn *cn)
{
    return sdp_parse_conn(v, cn) == 0 ||
           unparsed(ps, text, "bad-connection", "RFC 8866 §5.7",
                    "c= does not have three fields, kept verbatim");
}

/* b= (RFC 8866 §5.8) or a= (§5.13), appended to the lists of the
 * current level: they mean the same at both. */
static bool bw_or_attr(parser *ps, char c, siphon_str v, siphon_str text,
                       siphon_sdp_bw **bws, size_t *nbws,
                       siphon_sdp_attr **attrs, size_t *nattrs)
{
    if (c == 'b') {
        siphon_sdp_bw bw;
        if (sdp_parse_bw(v, &bw))
            return unparsed(ps, text, "bad-bandwidth", "RFC 8866 §5.8",
                            "b= is not type:number, kept verbatim");
        return APPEND(ps, *bws, *nbws, bw);
    }
    siphon_sdp_attr at;
    sdp_parse_attr(v, &at);
    if (at.name.len == 0)
        return unparsed(ps, text, "bad-attribute", "RFC 8866 §5.13",
                        "a= without an attribute name, kept verbatim");
    return APPEND(ps, *attrs, *nattrs, at);
}

/* k= (RFC 8866 §5.12): stored, but always a finding. */
static void key_line(parser *ps, siphon_str v, bool *has_key, siphon_str *key)
{
    *has_key = true;
    *key = v;
    finding(ps, "key-line", "RFC 8866 §5.12",
            "k= is obsolete and must not be used");
}

static void session_line(parser *ps, char c, siphon_str v, siphon_str text)
{
    siphon_sdp *s = ps->s;
    int r = sdp_rank_session(c);
    if (r < 0) {
        keep_bad(ps, text, "unknown-line", "RFC 8866 §5",
                 "unknown line type, kept verbatim");
        return;
    }
    /* Lines that appear at most once per session (RFC 8866 §5). */
    bool once = strchr("vosiuczk", c) != NULL;
    if (once && (ps->seen_once & (1u << r))) {
        keep_bad(ps, text, "duplicate-line", "RFC 8866 §5",
                 "line allowed once per session repeated, kept verbatim");
        return;
    }
    switch (c) {
    case 'v': {
        uint64_t ver;
        if (siphon_str_to_u64(v, 0xffffffffu, &ver)) {
            keep_bad(ps, text, "bad-version", "RFC 8866 §5.1",
                     "v= is not a number, kept verbatim");
            return;
        }
        s->has_version = true;
        s->version = (uint32_t)ver;
        if (ver != 0)
            finding(ps, "version-not-0", "RFC 8866 §5.1",
                    "v= is not 0, the only version defined");
        break;
    }
    case 'o':
        if (sdp_parse_origin(v, &s->origin)) {
            keep_bad(ps, text, "bad-origin", "RFC 8866 §5.2",
                     "o= does not have six fields with numeric sess-id and "
                     "sess-version, kept verbatim");
            return;
        }
        s->has_origin = true;
        break;
    case 's':
        s->has_name = true;
        s->name = v;
        if (v.len == 0)
            finding(ps, "empty-session-name", "RFC 8866 §5.3",
                    "s= is empty; a single space or \"-\" is expected");
        break;
    case 'i':
        s->has_info = true;
        s->info = v;
        break;
    case 'u':
        s->has_uri = true;
        s->uri = v;
        break;
    case 'e':
        if (!APPEND(ps, s->emails, s->nemails, v))
            return;
        break;
    case 'p':
        if (!APPEND(ps, s->phones, s->nphones, v))
            return;
        break;
    case 'c':
        if (!conn_line(ps, v, text, &s->conn))
            return;
        s->has_conn = true;
        break;
    case 'b':
    case 'a':
        if (!bw_or_attr(ps, c, v, text, &s->bws, &s->nbws, &s->attrs,
                        &s->nattrs))
            return;
        break;
    case 't': {
        siphon_sdp_time t;
        if (sdp_parse_time(v, &t)) {
            keep_bad(ps, text, "bad-timing", "RFC 8866 §5.9",
                     "t= is not two numbers, kept verbatim");
            return;
        }
        if (!APPEND(ps, s->times, s->ntimes, t))
            return;
        ps->t = &s->times[s->ntimes - 1];
        break;
    }
    case 'r':
        /* r= belongs to the t= just before it (§5.10). */
        if (!ps->t || ps->anchor != 't') {
            keep_bad(ps, text, "orphan-repeat", "RFC 8866 §5.10",
                     "r= does not follow a t= line, kept verbatim");
            return;
        }
        if (!APPEND(ps, ps->t->repeats, ps->t->nrepeats, v))
            return;
        break;
    case 'z':
        s->has_zone = true;
        s->zone = v;
        break;
    case 'k':
        key_line(ps, v, &s->has_key, &s->key);
        break;
    }
    if (once)
        ps->seen_once |= 1u << r;
    /* A t= after an r= resets the anchor; an r= must directly follow its
     * t= or another r=: keep anchor 't' for both. */
    placed(ps, c, r);
}

/* i= and k= come at most once per m= section (RFC 8866 §5): true when
 * this one is a repeat, now kept verbatim with why. */
static bool media_repeat(parser *ps, bool seen, siphon_str text,
                         const char *why)
{
    if (seen)
        keep_bad(ps, text, "duplicate-line", "RFC 8866 §5", why);
    return seen;
}

static void media_line(parser *ps, char c, siphon_str v, siphon_str text)
{
    siphon_sdp_media *m = ps->m;
    int r = sdp_rank_media(c);
    if (r < 0) {
        if (sdp_rank_session(c) >= 0)
            keep_bad(ps, text, "session-line-in-media", "RFC 8866 §5",
                     "a session-level line inside an m= section, kept "
                     "verbatim");
        else
            keep_bad(ps, text, "unknown-line", "RFC 8866 §5",
                     "unknown line type, kept verbatim");
        return;
    }
    switch (c) {
    case 'i':
        if (media_repeat(ps, m->has_info, text,
                         "i= repeated in an m= section, kept verbatim"))
            return;
        m->has_info = true;
        m->info = v;
        break;
    case 'c': {
        siphon_sdp_conn cn;
        if (!conn_line(ps, v, text, &cn) ||
            !APPEND(ps, m->conns, m->nconns, cn))
            return;
        break;
    }
    case 'b':
    case 'a':
        if (!bw_or_attr(ps, c, v, text, &m->bws, &m->nbws, &m->attrs,
                        &m->nattrs))
            return;
        break;
    case 'k':
        if (media_repeat(ps, m->has_key, text,
                         "k= repeated in an m= section, kept verbatim"))
            return;
        key_line(ps, v, &m->has_key, &m->key);
        break;
    }
    placed(ps, c, r);
}

static int start_media(parser *ps, siphon_str v)
{
    siphon_sdp *s = ps->s;
    if (s->nmedia >= ps->opts->max_media)
        return SIPHON_ETOOBIG;
    siphon_sdp_media *m = siphon_arena_alloc(ps->a, sizeof *m);
    siphon_sdp_media **slot = SDP_PUSH(ps->a, s->media, s->nmedia);
    if (!m || !slot)
        return SIPHON_ENOMEM;
    *slot = m;
    m->line = ps->line;
    ps->m = m;
    ps->rank = 0;
    ps->anchor = 'm';
    int rc = sdp_parse_mline(ps->a, v, m);
    if (rc == SIPHON_ENOMEM)
        return rc;
    if (rc) {
        /* The section still starts here, so that its lines do not land
         * in the previous one; the m= value prints back verbatim. */
        memset(m, 0, sizeof *m);
        m->line = ps->line;
        m->malformed = true;
        m->raw = v;
        finding(ps, "bad-media", "RFC 8866 §5.14",
                "m= is not <media> <port> <proto> <fmt>..., kept verbatim");
    } else if (m->nfmts == 0) {
        finding(ps, "no-formats", "RFC 8866 §5.14",
                "m= lists no media format");
    }
    return 0;
}

/* Checks that need the whole body (RFC 8866 §5 mandatory lines, §5.7). */
static void final_checks(parser *ps)
{
    siphon_sdp *s = ps->s;
    ps->line = 0;
    ps->offset = 0;
    if (!s->has_version)
        finding(ps, "missing-version", "RFC 8866 §5.1", "no v= line");
    if (!s->has_origin)
        finding(ps, "missing-origin", "RFC 8866 §5.2", "no valid o= line");
    if (!s->has_name)
        finding(ps, "missing-session-name", "RFC 8866 §5.3", "no s= line");
    if (s->ntimes == 0)
        finding(ps, "missing-timing", "RFC 8866 §5.9", "no valid t= line");
    for (size_t i = 0; i < s->nmedia; i++) {
        const siphon_sdp_media *m = s->media[i];
        ps->line = m->line;
        if (!s->has_conn && m->nconns == 0 && !m->malformed)
            finding(ps, "missing-connection", "RFC 8866 §5.7",
                    "no c= in the m= section nor at session level");
        int ndir = 0;
        for (size_t j = 0; j < m->nattrs; j++)
            if (siphon_sdp_dir_lookup(m->attrs[j].name) != SIPHON_SDP_DIR_NONE)
                ndir++;
        if (ndir > 1)
            finding(ps, "duplicate-direction", "RFC 3264 §5.1",
                    "more than one direction attribute in an m= section");
        /* a=rtpmap: well formed, and once per payload type (§6.6). */
        for (size_t j = 0; j < m->nattrs; j++) {
            if (!sdp_eq(m->attrs[j].name, "rtpmap"))
                continue;
            int pt;
            siphon_str nm;
            uint32_t rate, ch;
            if (siphon_sdp_parse_rtpmap(m->attrs[j].value, &pt, &nm, &rate,
                                        &ch)) {
                finding(ps, "bad-rtpmap", "RFC 8866 §6.6",
                        "a=rtpmap is not <pt> <name>/<rate>[/<channels>]");
                continue;
            }
            for (size_t k = j + 1; k < m->nattrs; k++) {
                int pt2;
                if (sdp_eq(m->attrs[k].name, "rtpmap") &&
                    siphon_sdp_parse_rtpmap(m->attrs[k].value, &pt2, &nm,
                                            &rate, &ch) == 0 &&
                    pt2 == pt) {
                    finding(ps, "duplicate-rtpmap", "RFC 8866 §6.6",
                            "two a=rtpmap lines for one payload type; the "
                            "first is used");
                    break;
                }
            }
        }
    }
}

/* Fill *err for a refused body; returns rc for the caller to pass on. */
static int refuse(siphon_perr *err, int rc, size_t offset, const char *rule,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int refuse(siphon_perr *err, int rc, size_t offset, const char *rule,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->offset = offset;
    err->rule = rule;
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return rc;
}

int siphon_sdp_parse(const char *buf, size_t len, const siphon_sdp_opts *opts,
                     siphon_sdp **out, siphon_perr *err)
{
    siphon_sdp_opts defaults;
    siphon_perr dummy;
    if (!opts) {
        siphon_sdp_opts_default(&defaults);
        opts = &defaults;
    }
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    *out = NULL;
    if (!buf && len)
        return SIPHON_EINVAL;
    if (len > opts->max_size)
        return refuse(err, SIPHON_ETOOBIG, opts->max_size, "max-size",
                      "SDP body of %zu bytes exceeds the %zu-byte limit", len,
                      opts->max_size);
    siphon_sdp *s = calloc(1, sizeof *s);
    if (!s)
        return SIPHON_ENOMEM;
    siphon_arena_init(&s->arena_, NULL, 0);
    s->bytes_ = siphon_arena_dup(&s->arena_, len ? buf : "", len);
    s->len_ = len;
    if (!s->bytes_) {
        siphon_sdp_free(s);
        return SIPHON_ENOMEM;
    }

    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.s = s;
    ps.a = &s->arena_;
    ps.opts = opts;
    const char *p = s->bytes_, *end = p + len;
    size_t good = 0, lines = 0;
    bool lf_noted = false;
    int rc = 0;
    while (p < end && rc == 0 && !ps.oom) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        siphon_str text = siphon_str_make(p, (size_t)(le - p));
        ps.line = (uint32_t)++lines;
        ps.offset = (size_t)(p - s->bytes_);
        if (lines > opts->max_lines) {
            rc = refuse(err, SIPHON_ETOOBIG, ps.offset, "max-lines",
                        "more than %zu lines in the SDP body", opts->max_lines);
            break;
        }
        if (nl && text.len && text.p[text.len - 1] == '\r') {
            text.len--;
        } else if (nl && !lf_noted) {
            /* §5: CRLF ends lines, but parsers should accept LF alone. */
            finding(&ps, "lf-line-end", "RFC 8866 §5",
                    "line ended by LF alone instead of CRLF");
            lf_noted = true;
        } else if (!nl) {
            finding(&ps, "no-final-line-end", "RFC 8866 §5",
                    "last line has no line end");
        }
        p = nl ? nl + 1 : end;
        if (text.len > opts->max_line) {
            rc = refuse(err, SIPHON_ETOOBIG, ps.offset, "max-line",
                        "line %zu is longer than %zu bytes", lines,
                        opts->max_line);
            break;
        }
        if (text.len == 0) {
            finding(&ps, "empty-line", "RFC 8866 §5",
                    "empty line ignored");
            continue;
        }
        char c = text.p[0];
        if (text.len < 2 || text.p[1] != '=' || c < 'a' || c > 'z') {
            keep_bad(&ps, text, "malformed-line", "RFC 8866 §5",
                     "not <type>=<value>, kept verbatim");
            continue;
        }
        good++;
        siphon_str v = siphon_str_make(text.p + 2, text.len - 2);
        if (c == 'm')
            rc = start_media(&ps, v);
        else if (ps.m)
            media_line(&ps, c, v, text);
        else
            session_line(&ps, c, v, text);
        if (rc == SIPHON_ETOOBIG)
            refuse(err, rc, ps.offset, "max-media",
                   "more than %zu m= sections", opts->max_media);
    }
    if (rc == 0 && ps.oom)
        rc = SIPHON_ENOMEM;
    if (rc == 0 && good == 0)
        rc = refuse(err, SIPHON_EPARSE, 0, "session-description",
                    "no <type>=<value> line: not an SDP body");
    if (rc == 0) {
        final_checks(&ps);
        if (ps.oom)
            rc = SIPHON_ENOMEM;
    }
    if (rc == 0 && opts->strict && s->nfindings) {
        const siphon_sdp_finding *f = &s->findings[0];
        rc = refuse(err, SIPHON_EPARSE, f->offset, f->rule, "line %u: %s (%s)",
                    (unsigned)f->line, f->text, f->rfc);
    }
    if (rc) {
        /* Nothing set err->offset when no rule was set: 0 keeps it. */
        if (rc == SIPHON_ENOMEM && !err->rule)
            refuse(err, rc, 0, "memory", "out of memory");
        siphon_sdp_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
