/*
 * typed_misc.c -- authentication headers, Warning, Date, Timestamp and the
 * product lists of User-Agent and Server.
 *
 * RFC 3261 §20.7, §20.27, §20.28, §20.44 and §25.1 (challenge, credentials,
 * auth-param), RFC 7616/8760 digest parameters (kept generic here),
 * RFC 3261 §20.43 (Warning), §20.17 with RFC 1123/822 dates (RFC 4475
 * §3.1.2.12: a liberal element may normalise a non-GMT zone), §20.38
 * (Timestamp), §20.35/§20.41 (server-val).
 */
#include "typed_misc.h"

#include <string.h>

const char *skip_comment(const char *p, const char *end)
{
    int depth = 0;
    for (; p < end; p++) {
        if (*p == '\\') {
            if (++p >= end)
                return NULL;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')') {
            if (--depth == 0)
                return p + 1;
        }
    }
    return NULL;
}

/* auth-param = auth-param-name EQUAL ( token / quoted-string ), comma
 * separated; with_scheme: the value starts with the auth-scheme token. */
int parse_auth(tctx *t, const char *s, const char *e, bool with_scheme,
               siphon_auth *out)
{
    memset(out, 0, sizeof *out);
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    out->raw = siphon_str_make(p, (size_t)(e - p));
    if (with_scheme) {
        const char *ss = p;
        p = skip_token(p, e);
        if (p == ss)
            return terr(t, ss, "auth-scheme", "missing authentication scheme");
        out->scheme = siphon_str_make(ss, (size_t)(p - ss));
        if (p < e && !cc((unsigned char)*p, CC_WS))
            return terr(t, p, "auth-scheme", "scheme must be followed by whitespace");
    }
    size_t n = 1;
    for (const char *q = p; q < e; q++)
        n += *q == ',';
    out->params.v = siphon_arena_alloc(&t->m->arena, n * sizeof(siphon_param));
    if (!out->params.v)
        return SIPHON_ENOMEM;
    p = skip_ws(p, e);
    if (p == e)
        return with_scheme ? 0 : terr(t, p, "ainfo", "empty Authentication-Info");
    for (;;) {
        const char *ns = p;
        p = skip_token(p, e);
        if (p == ns)
            return terr(t, ns, "auth-param", "parameter name is not a token");
        siphon_param *pr = &out->params.v[out->params.n++];
        pr->name = siphon_str_make(ns, (size_t)(p - ns));
        p = skip_ws(p, e);
        if (p < e && *p == '=') {
            p = skip_ws(p + 1, e);
            const char *vs = p;
            if (p < e && *p == '"') {
                p = skip_quoted(p, e);
                if (!p)
                    return terr(t, vs, "quoted-string",
                                quoted_has_control(vs, e)
                                    ? "control octet in a quoted string"
                                    : "unterminated quoted string");
            } else {
                p = skip_token(p, e);
                if (p == vs)
                    return terr(t, vs, "auth-param", "parameter \"%.*s\" has no value",
                                (int)pr->name.len, pr->name.p);
            }
            pr->value = siphon_str_make(vs, (size_t)(p - vs));
            pr->has_value = true;
        } else if (with_scheme && out->params.n == 1 && p == e) {
            /* other-response may be a single token68-like blob */
            return 0;
        } else {
            return terr(t, p, "auth-param", "expected '=' after \"%.*s\"",
                        (int)pr->name.len, pr->name.p);
        }
        p = skip_ws(p, e);
        if (p == e)
            return 0;
        if (*p != ',')
            return terr(t, p, "COMMA", "expected ',' between auth parameters");
        p = skip_ws(p + 1, e);
    }
}

/* warning-value = warn-code SP warn-agent SP warn-text */
int parse_warning(tctx *t, const char *s, const char *e, siphon_warning *out)
{
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    out->raw = siphon_str_make(p, (size_t)(e - p));
    const char *d = p;
    while (p < e && cc((unsigned char)*p, CC_DIGIT))
        p++;
    if (p - d != 3)
        return terr(t, d, "warn-code", "warn-code must be three digits");
    out->code = (uint16_t)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
    p = skip_ws(p, e);
    const char *as = p;
    while (p < e && !cc((unsigned char)*p, CC_WS) && *p != '"')
        p++;
    if (p == as)
        return terr(t, as, "warn-agent", "missing warn-agent");
    out->agent = siphon_str_make(as, (size_t)(p - as));
    p = skip_ws(p, e);
    if (p == e || *p != '"')
        return terr(t, p, "warn-text", "warn-text must be a quoted string");
    const char *te = skip_quoted(p, e);
    if (!te || te != e)
        return terr(t, p, "warn-text", "malformed warn-text");
    out->text = siphon_str_make(p, (size_t)(te - p));
    return 0;
}

static int match_word(const char *p, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (memcmp(p, words[i], 3) == 0)
            return i;
    return -1;
}

static bool digits(const char *p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!cc((unsigned char)p[i], CC_DIGIT))
            return false;
        *v = *v * 10 + (p[i] - '0');
    }
    return true;
}

static int64_t days_from_civil(int y, int m, int d)
{
    /* proleptic Gregorian calendar, days since 1970-01-01 */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT"
 *               e.g. "Sat, 13 Nov 2010 23:29:00 GMT" (29 octets) */
int parse_date(tctx *t, const char *s, const char *e, siphon_date *out)
{
    static const char *const wkdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* RFC 822 §5.1 zones, in hours east of GMT, for liberal normalisation */
    static const struct { const char *name; int hours; } zones[] = {
        {"UT", 0}, {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
        {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    out->raw = siphon_str_make(p, (size_t)(e - p));
    int day, year, hh, mm, ss;
    if (e - p < 26 || match_word(p, wkdays, 7) < 0 || p[3] != ',' || p[4] != ' ' ||
        !digits(p + 5, 2, &day) || p[7] != ' ' || p[11] != ' ' ||
        !digits(p + 12, 4, &year) || p[16] != ' ' || !digits(p + 17, 2, &hh) ||
        p[19] != ':' || !digits(p + 20, 2, &mm) || p[22] != ':' ||
        !digits(p + 23, 2, &ss) || p[25] != ' ')
        return terr(t, p, "rfc1123-date", "Date is not \"Wkd, DD Mon YYYY HH:MM:SS GMT\"");
    int mon = match_word(p + 8, months, 12);
    if (mon < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
        return terr(t, p, "rfc1123-date", "Date has an impossible day, month or time");
    siphon_str zone = siphon_str_make(p + 26, (size_t)(e - p - 26));
    int offset_h = 0;
    if (siphon_str_eq(zone, SIPHON_STR_LIT("GMT"))) {
        out->gmt = true;
    } else {
        size_t i;
        for (i = 0; i < sizeof zones / sizeof zones[0]; i++)
            if (siphon_str_eq(zone, siphon_str_c(zones[i].name)))
                break;
        if (i == sizeof zones / sizeof zones[0])
            return terr(t, zone.p, "rfc1123-date", "Date has an unknown time zone");
        if (tfinding(t, SIPHON_FINDING_TOLERATED, zone.p, "date-not-gmt",
                     "RFC 3261 §20.17; RFC 4475 §3.1.2.12",
                     "Date is not in GMT (normalised to GMT)"))
            return terr(t, zone.p, "rfc1123-date", "Date must be in GMT");
        offset_h = zones[i].hours;
    }
    out->epoch = days_from_civil(year, mon + 1, day) * 86400 + hh * 3600 + mm * 60 + ss -
                 (int64_t)offset_h * 3600;
    return 0;
}

/* Timestamp = 1*(DIGIT) [ "." *(DIGIT) ] [ LWS delay ] */
int parse_timestamp(tctx *t, const char *s, const char *e, siphon_timestamp *out)
{
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    const char *vs = p;
    while (p < e && cc((unsigned char)*p, CC_DIGIT))
        p++;
    if (p == vs)
        return terr(t, vs, "Timestamp", "Timestamp must start with digits");
    if (p < e && *p == '.')
        for (p++; p < e && cc((unsigned char)*p, CC_DIGIT);)
            p++;
    out->value = siphon_str_make(vs, (size_t)(p - vs));
    const char *ds = skip_ws(p, e);
    if (ds == e)
        return 0;
    if (ds == p)
        return terr(t, p, "Timestamp", "invalid character in Timestamp");
    p = ds;
    while (p < e && (cc((unsigned char)*p, CC_DIGIT) || *p == '.'))
        p++;
    if (p != e)
        return terr(t, p, "delay", "Timestamp delay is not a number");
    out->delay = siphon_str_make(ds, (size_t)(e - ds));
    return 0;
}

/* server-val = product / comment; product = token [SLASH product-version] */
int parse_products_chain(tctx *t, const char *s, const char *e,
                         siphon_product **first)
{
    siphon_product **tail = first;
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    if (p == e)
        return terr(t, p, "server-val", "empty %s", tname(t));
    while (p < e) {
        siphon_product *v = siphon_arena_alloc(&t->m->arena, sizeof *v);
        if (!v)
            return SIPHON_ENOMEM;
        if (*p == '(') {
            const char *ce = skip_comment(p, e);
            if (!ce)
                return terr(t, p, "comment", "unterminated comment");
            v->text = siphon_str_make(p + 1, (size_t)(ce - p - 2));
            v->comment = true;
            p = ce;
        } else {
            const char *ts = p;
            p = skip_token(p, e);
            if (p == ts)
                return terr(t, ts, "product", "product is not a token");
            const char *q = skip_ws(p, e);
            if (q < e && *q == '/') {
                q = skip_ws(q + 1, e);
                const char *vs = q;
                q = skip_token(q, e);
                if (q == vs)
                    return terr(t, vs, "product-version", "missing product version after '/'");
                p = q;
            }
            v->text = siphon_str_make(ts, (size_t)(p - ts));
        }
        *tail = v;
        tail = &v->next;
        p = skip_ws(p, e);
    }
    return 0;
}
