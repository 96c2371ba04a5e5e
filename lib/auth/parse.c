/*
 * parse.c -- digest challenges, credentials and Authentication-Info
 * values, parsed into siphon_digest with their quoted-strings unquoted.
 *
 * RFC 3261 §25.1 (challenge, credentials, digest-response, ainfo),
 * RFC 7235 §2.1 and §4.1 (several challenges in one field, comma list),
 * RFC 7616 §3.3 (challenge parameters), §3.4 (credential parameters,
 * each at most once; username and username* exclusive), §3.5
 * (Authentication-Info), RFC 8187 §3.2 (username* ext-value).
 *
 * msg/ already splits these headers into generic parameters, but one of
 * its values holds one challenge, while a WWW-Authenticate field may list
 * several (RFC 7235 §4.1); and the values need unquoting, which needs
 * storage. So this parser works on the raw field value: it copies the
 * value into the caller's arena once and unquotes in place (an unquoted
 * string is never longer than its quoted form).
 *
 * Leniency: unquoted values are accepted wherever a quoted one is
 * required and the other way round (servers in the field write
 * algorithm="MD5" and nonce=abc), since neither changes the meaning.
 */
#include "auth_internal.h"

#include <string.h>

typedef struct pctx {
    char *base;       /* the arena copy of the value */
    char *p, *e;
    siphon_perr *err;
} pctx;

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 3261 §25.1 token characters */
static bool is_tok(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return true;
    return c && strchr("-.!%*_+`'~", c) != NULL;
}

static void skip_ws(pctx *c)
{
    while (c->p < c->e && is_ws(*c->p))
        c->p++;
}

static int perr(pctx *c, const char *at, const char *rule, const char *text)
{
    auth_perr(c->err, (size_t)(at - c->base), rule, "%s", text);
    return SIPHON_EPARSE;
}

static siphon_str read_token(pctx *c)
{
    char *s = c->p;
    while (c->p < c->e && is_tok(*c->p))
        c->p++;
    return siphon_str_make(s, (size_t)(c->p - s));
}

/*
 * A value: a quoted-string (unquoted in place) or a run of characters up
 * to whitespace or a comma (lenient: a token by the grammar).
 */
static int read_value(pctx *c, siphon_str *out, bool *quoted)
{
    char *s = c->p;
    if (c->p < c->e && *c->p == '"') {
        char *w = c->p;
        c->p++;
        while (c->p < c->e && *c->p != '"') {
            if (*c->p == '\\') {
                if (++c->p >= c->e)
                    break;
            }
            *w++ = *c->p++;
        }
        if (c->p >= c->e)
            return perr(c, s, "quoted-string", "unterminated quoted string");
        c->p++;
        *out = siphon_str_make(s, (size_t)(w - s));
        *quoted = true;
        return 0;
    }
    while (c->p < c->e && !is_ws(*c->p) && *c->p != ',' && *c->p != '"')
        c->p++;
    if (c->p == s)
        return perr(c, s, "auth-param", "parameter has no value");
    *out = siphon_str_make(s, (size_t)(c->p - s));
    *quoted = false;
    return 0;
}

/* qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT;
 * unknown qop values are ignored (RFC 7616 §3.3: "unrecognized options
 * MUST be ignored"). */
static int qop_mask_of(siphon_str v, bool list)
{
    int mask = 0;
    size_t i = 0;
    while (i < v.len) {
        while (i < v.len && (is_ws(v.p[i]) || v.p[i] == ','))
            i++;
        size_t s = i;
        while (i < v.len && !is_ws(v.p[i]) && v.p[i] != ',')
            i++;
        siphon_str t = siphon_str_make(v.p + s, i - s);
        if (siphon_str_caseeq_c(t, "auth"))
            mask |= SIPHON_AUTH_QOP_AUTH;
        else if (siphon_str_caseeq_c(t, "auth-int"))
            mask |= SIPHON_AUTH_QOP_AUTH_INT;
        else if (!list && t.len)
            return -1;
        if (!list)
            break;
    }
    return mask;
}

static int hexdig(char ch)
{
    return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

/* RFC 8187 ext-value = charset "'" [ language ] "'" value-chars; only
 * UTF-8 is taken, the percent-decoding is done in place. */
static int decode_ext_value(pctx *c, siphon_str *v)
{
    char *p = (char *)v->p, *e = p + v->len;
    char *q1 = memchr(p, '\'', v->len);
    char *q2 = q1 ? memchr(q1 + 1, '\'', (size_t)(e - q1 - 1)) : NULL;
    if (!q2)
        return perr(c, p, "ext-value", "username* is not charset'lang'value");
    if (!siphon_str_caseeq_c(siphon_str_make(p, (size_t)(q1 - p)), "UTF-8"))
        return perr(c, p, "ext-value", "username* charset must be UTF-8");
    char *w = p;
    for (char *r = q2 + 1; r < e; r++) {
        if (*r != '%') {
            *w++ = *r;
            continue;
        }
        if (e - r < 3 || !auth_is_hex(siphon_str_make(r + 1, 2), 2))
            return perr(c, r, "pct-encoded", "bad %-escape in username*");
        *w++ = (char)(hexdig(r[1]) << 4 | hexdig(r[2]));
        r += 2;
    }
    *v = siphon_str_make(p, (size_t)(w - p));
    return 0;
}

/* Parameters remembered for the at-most-once rule. */
enum {
    P_USERNAME = 1 << 0, P_REALM = 1 << 1, P_NONCE = 1 << 2, P_URI = 1 << 3,
    P_RESPONSE = 1 << 4, P_ALGORITHM = 1 << 5, P_CNONCE = 1 << 6,
    P_OPAQUE = 1 << 7, P_QOP = 1 << 8, P_NC = 1 << 9, P_USERHASH = 1 << 10,
    P_STALE = 1 << 11, P_DOMAIN = 1 << 12, P_CHARSET = 1 << 13,
    P_RSPAUTH = 1 << 14, P_NEXTNONCE = 1 << 15, P_USERNAME_STAR = 1 << 16
};

static const struct {
    const char *name;
    unsigned bit;
} pnames[] = {
    {"username", P_USERNAME}, {"realm", P_REALM}, {"nonce", P_NONCE},
    {"uri", P_URI}, {"response", P_RESPONSE}, {"algorithm", P_ALGORITHM},
    {"cnonce", P_CNONCE}, {"opaque", P_OPAQUE}, {"qop", P_QOP},
    {"nc", P_NC}, {"userhash", P_USERHASH}, {"stale", P_STALE},
    {"domain", P_DOMAIN}, {"charset", P_CHARSET}, {"rspauth", P_RSPAUTH},
    {"nextnonce", P_NEXTNONCE}, {"username*", P_USERNAME_STAR},
};

static int apply(pctx *c, siphon_digest *d, siphon_auth_kind kind,
                 unsigned *seen, siphon_str name, siphon_str v,
                 const char *at)
{
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof pnames / sizeof pnames[0]; i++)
        if (siphon_str_caseeq_c(name, pnames[i].name)) {
            bit = pnames[i].bit;
            break;
        }
    if (!bit)
        return 0; /* extension parameter: ignored (RFC 7616 §3.3, §3.4) */
    if (*seen & bit) {
        auth_perr(c->err, (size_t)(at - c->base), "auth-param",
                  "parameter \"%.*s\" appears twice", (int)name.len, name.p);
        return SIPHON_EPARSE;
    }
    *seen |= bit;
    if ((*seen & (P_USERNAME | P_USERNAME_STAR)) ==
        (P_USERNAME | P_USERNAME_STAR))
        return perr(c, at, "username", "username and username* both given");
    switch (bit) {
    case P_USERNAME: d->username = v; break;
    case P_USERNAME_STAR: {
        int rc = decode_ext_value(c, &v);
        if (rc)
            return rc;
        d->username = v;
        d->username_star = true;
        break;
    }
    case P_REALM: d->realm = v; break;
    case P_NONCE: d->nonce = v; break;
    case P_URI: d->uri = v; break;
    case P_RESPONSE: d->response = v; break;
    case P_ALGORITHM:
        d->algorithm = v;
        d->algo_known = siphon_auth_algo_lookup(v, &d->algo) == 0;
        break;
    case P_CNONCE: d->cnonce = v; break;
    case P_OPAQUE: d->opaque = v; break;
    case P_QOP: {
        d->qop = v;
        int m = qop_mask_of(v, kind == SIPHON_AUTH_CHALLENGE);
        d->qop_mask = m < 0 ? 0 : m;
        break;
    }
    case P_NC: {
        /* nc-value = 8LHEX */
        if (!auth_is_hex(v, 8))
            return perr(c, at, "nc-value", "nc must be 8 hex digits");
        uint32_t n = 0;
        for (size_t i = 0; i < 8; i++)
            n = n << 4 | (uint32_t)hexdig(v.p[i]);
        d->nc_text = v;
        d->nc = n;
        d->has_nc = true;
        break;
    }
    case P_USERHASH: d->userhash = siphon_str_caseeq_c(v, "true"); break;
    case P_STALE: d->stale = siphon_str_caseeq_c(v, "true"); break;
    case P_DOMAIN: d->domain = v; break;
    case P_CHARSET: d->charset = v; break;
    case P_RSPAUTH: d->rspauth = v; break;
    case P_NEXTNONCE: d->nextnonce = v; break;
    default: break;
    }
    return 0;
}

/* Is the input at c->p the start of a new challenge ("scheme" followed by
 * whitespace and not by '=')? Called just after a comma. */
static bool at_new_scheme(pctx *c)
{
    char *p = c->p;
    while (p < c->e && is_tok(*p))
        p++;
    if (p == c->p)
        return false;
    if (p == c->e || *p == ',')
        return true; /* a scheme with no parameters */
    if (!is_ws(*p))
        return false;
    while (p < c->e && is_ws(*p))
        p++;
    /* auth-scheme 1*SP ( token68 / auth-param ): both start with a token
     * character; "name =" is a parameter with spaces around '=' */
    return p == c->e || *p == ',' || (*p != '=' && is_tok(*p));
}

/*
 * The auth-params after a scheme (or of an Authentication-Info value),
 * until the end or, when in_list, until the next challenge begins.
 * foreign: a scheme we do not parse (token68 and anything else skipped).
 */
static int parse_params(pctx *c, siphon_digest *d, siphon_auth_kind kind,
                        bool in_list, bool foreign)
{
    unsigned seen = 0;
    for (;;) {
        skip_ws(c);
        while (c->p < c->e && *c->p == ',') { /* #rule: empty elements */
            c->p++;
            skip_ws(c);
        }
        if (c->p >= c->e)
            return 0;
        if (in_list && at_new_scheme(c))
            return 0;
        char *at = c->p;
        siphon_str name = read_token(c);
        if (foreign) {
            /* token68 or auth-params of another scheme: skip the element */
            while (c->p < c->e && *c->p != ',') {
                if (*c->p == '"') {
                    siphon_str v;
                    bool q;
                    int rc = read_value(c, &v, &q);
                    if (rc)
                        return rc;
                } else {
                    c->p++;
                }
            }
            d->nparams++;
            continue;
        }
        if (!name.len)
            return perr(c, at, "auth-param", "parameter name is not a token");
        skip_ws(c);
        if (c->p >= c->e || *c->p != '=')
            return perr(c, c->p, "auth-param", "expected '=' after a parameter name");
        c->p++;
        skip_ws(c);
        siphon_str v;
        bool quoted;
        int rc = read_value(c, &v, &quoted);
        if (rc)
            return rc;
        if (++d->nparams > SIPHON_AUTH_MAX_PARAMS) {
            auth_perr(c->err, (size_t)(at - c->base), "auth-param",
                      "more than %d parameters", SIPHON_AUTH_MAX_PARAMS);
            return SIPHON_ETOOBIG;
        }
        if ((rc = apply(c, d, kind, &seen, name, v, at)) != 0)
            return rc;
        skip_ws(c);
        if (c->p < c->e && *c->p != ',')
            return perr(c, c->p, "COMMA", "expected ',' between parameters");
    }
}

static int begin(siphon_arena *a, siphon_str value, pctx *c, siphon_perr *err)
{
    c->err = err;
    if (value.len > SIPHON_AUTH_MAX_VALUE) {
        auth_perr(err, SIPHON_AUTH_MAX_VALUE, "auth-value",
                  "header value of %zu bytes exceeds the %d-byte limit",
                  value.len, SIPHON_AUTH_MAX_VALUE);
        return SIPHON_ETOOBIG;
    }
    c->base = siphon_arena_dup(a, value.p ? value.p : "", value.len);
    if (!c->base)
        return SIPHON_ENOMEM;
    c->p = c->base;
    c->e = c->base + value.len;
    return 0;
}

static void digest_init(siphon_digest *d)
{
    memset(d, 0, sizeof *d);
    d->algo = SIPHON_AUTH_MD5; /* RFC 7616 §3.3: absent means MD5 */
    d->algo_known = true;
}

int siphon_digest_parse(siphon_arena *a, siphon_str value,
                        siphon_auth_kind kind, siphon_digest *out,
                        siphon_perr *err)
{
    pctx c;
    digest_init(out);
    int rc = begin(a, value, &c, err);
    if (rc)
        return rc;
    skip_ws(&c);
    if (kind != SIPHON_AUTH_INFO) {
        char *at = c.p;
        out->scheme = read_token(&c);
        if (!out->scheme.len)
            return perr(&c, at, "auth-scheme", "missing authentication scheme");
        if (c.p < c.e && !is_ws(*c.p))
            return perr(&c, c.p, "auth-scheme", "scheme must be followed by whitespace");
        if (!siphon_str_caseeq_c(out->scheme, "Digest")) {
            auth_perr(err, (size_t)(at - c.base), "auth-scheme",
                      "scheme \"%.*s\" is not Digest", (int)out->scheme.len,
                      out->scheme.p);
            return SIPHON_ENOENT;
        }
    }
    return parse_params(&c, out, kind, false, false);
}

int siphon_digest_parse_challenges(siphon_arena *a, siphon_str value,
                                   siphon_digest *out, size_t max, size_t *n,
                                   siphon_perr *err)
{
    pctx c;
    int rc = begin(a, value, &c, err);
    if (rc)
        return rc;
    for (;;) {
        skip_ws(&c);
        while (c.p < c.e && *c.p == ',') {
            c.p++;
            skip_ws(&c);
        }
        if (c.p >= c.e)
            return 0;
        char *at = c.p;
        siphon_digest tmp, *d = &tmp;
        digest_init(d);
        d->scheme = read_token(&c);
        if (!d->scheme.len)
            return perr(&c, at, "auth-scheme", "missing authentication scheme");
        if (c.p < c.e && !is_ws(*c.p) && *c.p != ',')
            return perr(&c, c.p, "auth-scheme", "scheme must be followed by whitespace");
        bool digest = siphon_str_caseeq_c(d->scheme, "Digest");
        if (digest && *n >= max) {
            auth_perr(err, (size_t)(at - c.base), "challenge",
                      "more than %zu digest challenges", max);
            return SIPHON_ETOOBIG;
        }
        if ((rc = parse_params(&c, d, SIPHON_AUTH_CHALLENGE, true, !digest)) != 0)
            return rc;
        if (digest)
            out[(*n)++] = tmp;
    }
}
