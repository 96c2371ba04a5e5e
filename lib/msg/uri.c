/*
 * uri.c -- parsing SIP/SIPS URIs and generic absolute URIs, parameters and
 * %HH escapes.
 *
 * RFC 3261 §19.1.1 (components), §25.1 (SIP-URI ABNF: userinfo, hostport,
 * uri-parameters, headers), RFC 3986 §3.1 (scheme). tel: URIs are parsed in
 * uri_tel.c, comparison lives in uri_compare.c.
 */
#include "msg_internal.h"
#include "scan.h"

#include <stdio.h>
#include <string.h>

static int fail(siphon_perr *err, const char *base, const char *at,
                const char *rule, const char *text)
{
    if (err) {
        err->offset = (size_t)(at - base);
        err->header = NULL;
        err->rule = rule;
        snprintf(err->text, sizeof err->text, "%s", text);
    }
    return SIPHON_EPARSE;
}

const siphon_param *siphon_params_find(const siphon_params *ps, const char *name)
{
    siphon_str n = siphon_str_c(name);
    for (size_t i = 0; i < ps->n; i++)
        if (siphon_str_caseeq(ps->v[i].name, n))
            return &ps->v[i];
    return NULL;
}

int siphon_uri_unescape(siphon_str in, char *out, size_t *out_len)
{
    int rc = 0;
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        if (in.p[i] == '%') {
            int h = i + 2 < in.len + 0 ? hexval((unsigned char)in.p[i + 1]) : -1;
            int l = h >= 0 ? hexval((unsigned char)in.p[i + 2]) : -1;
            if (h >= 0 && l >= 0) {
                out[n++] = (char)(h * 16 + l);
                i += 2;
                continue;
            }
            rc = SIPHON_EPARSE;
        }
        out[n++] = in.p[i];
    }
    *out_len = n;
    return rc;
}

/* escaped = "%" HEXDIG HEXDIG: true when p starts a valid escape */
static bool is_escape(const char *p, const char *end)
{
    return end - p >= 3 && p[0] == '%' && hexval((unsigned char)p[1]) >= 0 &&
           hexval((unsigned char)p[2]) >= 0;
}

/* Scan a run of chars of class cls or %HH escapes; returns the first
 * other byte. */
static inline __attribute__((always_inline)) const char *
scan_escaped(const char *p, const char *end, unsigned cls)
{
    while (p < end) {
        if (cc((unsigned char)*p, cls)) {
            p = scan_class(p + 1, end, cls);
        } else if (*p == '%' && is_escape(p, end)) {
            p += 3;
        } else {
            return p;
        }
    }
    return p;
}

/*
 * host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1). Returns
 * the end of the host or NULL.
 */
const char *siphon_scan_host_(const char *p, const char *end,
                              siphon_host_type *type)
{
    if (p < end && *p == '[') {
        const char *q = p + 1;
        int colons = 0;
        while (q < end && (hexval((unsigned char)*q) >= 0 || *q == ':' || *q == '.')) {
            colons += *q == ':';
            q++;
        }
        if (q >= end || *q != ']' || colons < 2 || q - p > 46)
            return NULL;
        *type = SIPHON_HOST_IPV6;
        return q + 1;
    }
    /* a host starting with a digit is tried as an IPv4address first, in
     * one pass: four groups of 1-3 digits up to 255 */
    if (p < end && (unsigned)(*p - '0') < 10) {
        const char *r = p;
        unsigned groups = 0;
        for (;;) {
            unsigned v = 0, digits = 0, d;
            while (r < end && (d = (unsigned)(*r - '0')) < 10 && digits < 4) {
                v = v * 10 + d;
                digits++;
                r++;
            }
            if (digits == 0 || digits > 3 || v > 255)
                break;
            if (++groups == 4) {
                /* it is IPv4 unless a name continues (e.g. 1.2.3.4.example) */
                if (r < end && (cc((unsigned char)*r, CC_HOSTLABEL) || *r == '.'))
                    break;
                *type = SIPHON_HOST_IPV4;
                return r;
            }
            if (r >= end || *r != '.')
                break;
            r++;
        }
    }
    /* hostname, label by label (so empty labels show); the toplabel must
     * start with a letter */
    const char *q = p;
    const char *top = p;
    for (;;) {
        const char *label = q;
        q = scan_class(q, end, CC_HOSTLABEL);
        if (q == label) {
            /* empty label: only allowed as the end of "name." */
            if (q == p || q[-1] != '.')
                return NULL;
            break;
        }
        top = label;
        if (q < end && *q == '.')
            q++;
        else
            break;
    }
    if (*p == '-' || !cc((unsigned char)*top, CC_ALNUM) || cc((unsigned char)*top, CC_DIGIT))
        return NULL;
    *type = SIPHON_HOST_NAME;
    return q;
}

/* Count separators to size the parameter arrays in one allocation. */
static size_t count_char(const char *p, const char *end, char c)
{
    size_t n = 0;
    while (p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static int parse_sip(siphon_arena *a, const char *s, const char *p,
                     const char *end, siphon_uri *u, siphon_perr *err)
{
    /* userinfo ends at the first '@' (no '@' may appear unescaped in the
     * host, parameters or headers) */
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *colon = NULL;
        const char *q = scan_escaped(p, at, CC_USER);
        if (q < at && *q == ':') {
            colon = q;
            q = scan_escaped(q + 1, at, CC_PASSWORD);
        }
        if (q != at)
            return fail(err, s, q, "userinfo", "invalid character in the user part");
        const char *ue = colon ? colon : at;
        if (ue == p)
            return fail(err, s, p, "user", "empty user part before '@'");
        u->user = siphon_str_make(p, (size_t)(ue - p));
        u->has_user = true;
        if (colon) {
            u->password = siphon_str_make(colon + 1, (size_t)(at - colon - 1));
            u->has_password = true;
        }
        p = at + 1;
    }
    const char *he = siphon_scan_host_(p, end, &u->host_type);
    if (!he)
        return fail(err, s, p, "host", "missing or malformed host");
    u->host = siphon_str_make(p, (size_t)(he - p));
    p = he;
    if (p < end && *p == ':') {
        const char *d = ++p;
        unsigned port = 0;
        while (p < end && cc((unsigned char)*p, CC_DIGIT) && port <= 65535)
            port = port * 10 + (unsigned)(*p++ - '0');
        if (p == d || port > 65535)
            return fail(err, s, d, "port", "port is not a number from 0 to 65535");
        u->port = (uint16_t)port;
        u->has_port = true;
    }
    /* paramchar excludes '?', so the parameters end where headers begin */
    size_t cap = 0;
    while (p < end && *p == ';') {
        const char *ns = ++p;
        const char *ne = scan_escaped(p, end, CC_PARAMCHAR);
        if (ne == ns)
            return fail(err, s, ns, "uri-parameter", "empty URI parameter name");
        if (u->params.n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            siphon_param *nv = siphon_arena_alloc_raw(a, ncap * sizeof *nv);
            if (!nv)
                return SIPHON_ENOMEM;
            if (u->params.n)
                memcpy(nv, u->params.v, u->params.n * sizeof *nv);
            u->params.v = nv;
            cap = ncap;
        }
        siphon_param *pr = &u->params.v[u->params.n++];
        pr->name = siphon_str_make(ns, (size_t)(ne - ns));
        pr->value = siphon_str_make(ne, 0);
        pr->has_value = false;
        p = ne;
        if (p < end && *p == '=') {
            const char *vs = ++p;
            p = scan_escaped(p, end, CC_PARAMCHAR);
            pr->value = siphon_str_make(vs, (size_t)(p - vs));
            pr->has_value = true;
        }
    }
    if (p < end && *p != '?')
        return fail(err, s, p, "uri-parameter", "unexpected character after the host");
    if (p < end) {
        p++;
        size_t nh = count_char(p, end, '&') + 1;
        u->headers.v = siphon_arena_alloc(a, nh * sizeof(siphon_param));
        if (!u->headers.v)
            return SIPHON_ENOMEM;
        for (;;) {
            const char *ns = p;
            const char *ne = scan_escaped(p, end, CC_HNVCHAR);
            if (ne == ns || ne >= end || *ne != '=')
                return fail(err, s, ne, "header", "URI header is not hname=hvalue");
            const char *vs = ne + 1;
            const char *ve = scan_escaped(vs, end, CC_HNVCHAR);
            siphon_param *pr = &u->headers.v[u->headers.n++];
            pr->name = siphon_str_make(ns, (size_t)(ne - ns));
            pr->value = siphon_str_make(vs, (size_t)(ve - vs));
            pr->has_value = true;
            if (ve == end)
                break;
            if (*ve != '&')
                return fail(err, s, ve, "headers", "invalid character in URI headers");
            p = ve + 1;
        }
    }
    return 0;
}

int siphon_uri_parse(siphon_arena *a, const char *s, size_t len,
                     siphon_uri *out, siphon_perr *err)
{
    memset(out, 0, sizeof *out);
    const char *end = s + len;
    const char *p = s;
    /* the common case first: "sip:" in any case */
    if (len > 4 && (s[0] | 0x20) == 's' && (s[1] | 0x20) == 'i' && (s[2] | 0x20) == 'p' &&
        s[3] == ':') {
        out->raw = siphon_str_make(s, len);
        out->scheme_name = siphon_str_make(s, 3);
        out->opaque = siphon_str_make(s + 4, len - 4);
        out->scheme = SIPHON_URI_SIP;
        return parse_sip(a, s, s + 4, end, out, err);
    }
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1) */
    if (p == end || !cc((unsigned char)*p, CC_ALNUM) || cc((unsigned char)*p, CC_DIGIT))
        return fail(err, s, p, "scheme", "URI does not start with a scheme");
    while (p < end && cc((unsigned char)*p, CC_SCHEME))
        p++;
    if (p == end || *p != ':')
        return fail(err, s, p, "scheme", "URI scheme is not followed by ':'");
    out->raw = siphon_str_make(s, len);
    out->scheme_name = siphon_str_make(s, (size_t)(p - s));
    out->opaque = siphon_str_make(p + 1, (size_t)(end - p - 1));
    if (NAME_IS(out->scheme_name, "sip"))
        out->scheme = SIPHON_URI_SIP;
    else if (NAME_IS(out->scheme_name, "sips"))
        out->scheme = SIPHON_URI_SIPS;
    else if (NAME_IS(out->scheme_name, "tel"))
        out->scheme = SIPHON_URI_TEL;
    else
        out->scheme = SIPHON_URI_OTHER;
    switch (out->scheme) {
    case SIPHON_URI_SIP:
    case SIPHON_URI_SIPS:
        return parse_sip(a, s, p + 1, end, out, err);
    case SIPHON_URI_TEL:
        return siphon_uri_parse_tel_(a, s, len, out, err);
    case SIPHON_URI_OTHER:
        /* absoluteURI: hier-part / opaque-part, both made of uric */
        if (p + 1 == end)
            return fail(err, s, p + 1, "absoluteURI", "empty URI after the scheme");
        for (const char *q = p + 1; q < end; q++) {
            unsigned char c = (unsigned char)*q;
            if (c <= ' ' || c >= 0x7f || strchr("<>\"{}|\\^`", c))
                return fail(err, s, q, "absoluteURI", "character not allowed in a URI");
        }
        return 0;
    }
    return fail(err, s, s, "scheme", "unknown scheme");
}

bool siphon_uri_equal(const siphon_uri *a, const siphon_uri *b)
{
    if (a->scheme != b->scheme)
        return false;
    switch (a->scheme) {
    case SIPHON_URI_SIP:
    case SIPHON_URI_SIPS:
        return siphon_uri_equal_sip_(a, b);
    case SIPHON_URI_TEL:
        return siphon_uri_equal_tel_(a, b);
    case SIPHON_URI_OTHER:
        return siphon_str_caseeq(a->scheme_name, b->scheme_name) &&
               siphon_str_eq(a->opaque, b->opaque);
    }
    return false;
}
