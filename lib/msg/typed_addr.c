/*
 * typed_addr.c -- name-addr / addr-spec values (From, To, Contact, Route,
 * Record-Route, Path, Service-Route, Refer-To, Referred-By, Reply-To,
 * P-Asserted-Identity), Via values, and the generic-param grammar they
 * share.
 *
 * RFC 3261 §20.10 (the < > rule for URIs with ',', '?' or ';'), §20.42 and
 * §18.2.1 (Via), §25.1 (name-addr, display-name, via-parm, generic-param);
 * RFC 3581 (rport); RFC 4475 §3.1.2.13-15 (regbadct, badaspec, baddn).
 */
#include "typed_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

int terr(tctx *t, const char *at, const char *rule, const char *fmt, ...)
{
    if (t->err) {
        t->err->offset = (size_t)(at - t->m->bytes);
        t->err->header = tname(t);
        t->err->rule = rule;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->err->text, sizeof t->err->text, fmt, ap);
        va_end(ap);
    }
    return SIPHON_EPARSE;
}

bool tfinding(tctx *t, siphon_finding_level level, const char *at,
              const char *rule, const char *rfc, const char *text)
{
    return msg_finding(t->m, level, rule, rfc, tname(t),
                       (size_t)(at - t->m->bytes), text);
}

/* Header values lie inside the message's padded copy (msg_internal.h). */
const char *element_end(const char *p, const char *end)
{
    /* most fields hold one value: no comma at all means no split (an
     * unterminated quoted-string is then the element parser's to find) */
    if (p >= end || !padded_find2(p, end, ',', ','))
        return end;
    bool in_angle = false;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            p = skip_quoted(p, end);
            if (!p)
                return NULL;
            continue;
        }
        if (c == '<')
            in_angle = true;
        else if (c == '>')
            in_angle = false;
        else if (c == ',' && !in_angle)
            return p;
        p++;
    }
    return p;
}

/* What a liberal parser still takes as part of an unquoted value: any
 * visible character that is not a separator of the surrounding grammar. */
static bool loose_value_char(unsigned char c)
{
    return c > ' ' && c != 0x7f && c != ';' && c != ',' && c != '"' && c != '<' &&
           c != '>' && c != '=';
}

int parse_params(tctx *t, const char **pp, const char *end, siphon_params *out)
{
    const char *p = *pp;
    size_t cap = 0;
    out->v = NULL;
    out->n = 0;
    for (;;) {
        p = skip_ws(p, end);
        if (p == end || *p == ',')
            break;
        if (*p != ';')
            return terr(t, p, "generic-param", "unexpected '%c' where ';' or ',' was expected",
                        (unsigned char)*p >= ' ' && (unsigned char)*p < 0x7f ? *p : '?');
        p = skip_ws(p + 1, end);
        const char *ns = p;
        p = skip_token(p, end);
        if (p == ns)
            return terr(t, ns, "generic-param", "empty parameter name after ';'");
        if (out->n == cap) {
            /* grow by doubling inside the arena; most values have 1-3 */
            size_t ncap = cap ? cap * 2 : 4;
            siphon_param *nv = siphon_arena_alloc_raw(&t->m->arena, ncap * sizeof *nv);
            if (!nv)
                return SIPHON_ENOMEM;
            if (out->n)
                memcpy(nv, out->v, out->n * sizeof *nv);
            out->v = nv;
            cap = ncap;
        }
        siphon_param *pr = &out->v[out->n++];
        pr->name = siphon_str_make(ns, (size_t)(p - ns));
        pr->value = siphon_str_make(p, 0);
        pr->has_value = false;
        const char *q = skip_ws(p, end);
        if (q < end && *q == '=') {
            q = skip_ws(q + 1, end);
            const char *vs = q;
            if (q < end && *q == '"') {
                q = skip_quoted(q, end);
                if (!q)
                    return terr(t, vs, "quoted-string",
                                quoted_has_control(vs, end)
                                    ? "control octet in a quoted string in parameter"
                                    : "unterminated quoted string in parameter");
            } else {
                q = scan_class(q, end, CC_GENVALUE);
                if (q < end && loose_value_char((unsigned char)*q)) {
                    /* seen in the wild: '@' or '/' in branch and tag values */
                    if (tfinding(t, SIPHON_FINDING_TOLERATED, q, "param-value-chars",
                                 "RFC 3261 §25.1 gen-value",
                                 "parameter value with characters outside token/host"))
                        return terr(t, q, "gen-value", "invalid character in parameter value");
                    while (q < end && loose_value_char((unsigned char)*q))
                        q++;
                }
                if (q == vs)
                    return terr(t, vs, "gen-value", "parameter \"%.*s\" has '=' but no value",
                                (int)pr->name.len, pr->name.p);
            }
            pr->value = siphon_str_make(vs, (size_t)(q - vs));
            pr->has_value = true;
            p = q;
        }
    }
    *pp = p;
    return 0;
}

int parse_uri_in(tctx *t, const char *s, const char *e, siphon_uri *u)
{
    siphon_perr uerr;
    int rc = siphon_uri_parse(&t->m->arena, s, (size_t)(e - s), u, &uerr);
    if (rc == SIPHON_EPARSE)
        return terr(t, s + uerr.offset, uerr.rule, "bad URI: %s", uerr.text);
    return rc;
}

/* delta-seconds, clamped to 2^32-1 with a finding (RFC 3261 §20.19 range) */
static int parse_expires_param(tctx *t, const siphon_param *pr, siphon_nameaddr *out)
{
    uint64_t v;
    int rc = siphon_str_to_u64(pr->value, UINT32_MAX, &v);
    if (rc == SIPHON_ERANGE) {
        if (tfinding(t, SIPHON_FINDING_TOLERATED, pr->value.p, "expires-overlarge",
                     "RFC 3261 §20.19", "expires value above 2^32-1 clamped"))
            return terr(t, pr->value.p, "delta-seconds", "expires value above 2^32-1");
        v = UINT32_MAX;
    } else if (rc) {
        return terr(t, pr->value.p, "delta-seconds", "expires is not a number of seconds");
    }
    out->expires = (uint32_t)v;
    out->has_expires = true;
    return 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static int parse_q(tctx *t, const siphon_param *pr, siphon_nameaddr *out)
{
    const char *p = pr->value.p, *e = p + pr->value.len;
    if (p == e || (*p != '0' && *p != '1'))
        return terr(t, p, "qvalue", "q must be between 0 and 1");
    unsigned v = (unsigned)(*p - '0') * 1000, scale = 100;
    if (++p < e) {
        if (*p != '.')
            return terr(t, p, "qvalue", "q must be between 0 and 1");
        for (p++; p < e; p++, scale /= 10) {
            if (!cc((unsigned char)*p, CC_DIGIT) || scale == 0)
                return terr(t, p, "qvalue", "q has more than three decimals");
            v += (unsigned)(*p - '0') * scale;
        }
    }
    if (v > 1000)
        return terr(t, pr->value.p, "qvalue", "q must be between 0 and 1");
    out->q = (uint16_t)v;
    out->has_q = true;
    return 0;
}

int parse_nameaddr(tctx *t, const char *s, const char *e, bool contact,
                   siphon_nameaddr *out)
{
    memset(out, 0, sizeof *out);
    out->hdr_id_ = (uint8_t)t->id;
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    out->raw = siphon_str_make(p, (size_t)(e - p));
    if (p == e)
        return terr(t, p, "name-addr", "empty value");
    if (contact && *p == '*') {
        /* Contact: * stands alone (RFC 3261 §10.2.2); params are for
         * REGISTER's Expires header instead */
        if (skip_ws(p + 1, e) != e)
            return terr(t, p, "Contact", "'*' must be the whole Contact value");
        out->star = true;
        return 0;
    }
    const char *lt = NULL;
    if (*p == '"') {
        const char *q = skip_quoted(p, e);
        if (!q)
            return terr(t, p, "quoted-string",
                        quoted_has_control(p, e)
                            ? "control octet in a quoted string in display name"
                            : "unterminated quoted string in display name");
        out->display = siphon_str_make(p, (size_t)(q - p));
        q = skip_ws(q, e);
        if (q == e || *q != '<')
            return terr(t, q, "name-addr", "expected '<' after the display name");
        lt = q;
    } else {
        lt = padded_find2(p, e, '<', '<');
        if (lt) {
            const char *de = rskip_ws(p, lt);
            for (const char *q = p; q < de; q++)
                if (!cc((unsigned char)*q, CC_TOKEN | CC_WS))
                    return terr(t, q, "display-name",
                                "display name with '%c' must be a quoted string",
                                (unsigned char)*q >= ' ' && (unsigned char)*q < 0x7f ? *q : '?');
            out->display = siphon_str_make(p, (size_t)(de - p));
        }
    }
    if (lt) {
        const char *gt = padded_find2(lt, e, '>', '>');
        if (!gt)
            return terr(t, lt, "name-addr", "'<' without a closing '>'");
        const char *us = lt + 1, *ue = gt;
        if (us < ue && (cc((unsigned char)*us, CC_WS) || cc((unsigned char)ue[-1], CC_WS))) {
            if (tfinding(t, SIPHON_FINDING_TOLERATED, us, "addr-spec-lws",
                         "RFC 3261 §25.1; RFC 4475 §3.1.2.14",
                         "whitespace inside < > around the URI (ignored)"))
                return terr(t, us, "addr-spec", "whitespace inside < >");
            us = skip_ws(us, ue);
            ue = rskip_ws(us, ue);
        }
        if (us == ue)
            return terr(t, us, "addr-spec", "empty URI inside < >");
        out->uri_text = siphon_str_make(us, (size_t)(ue - us));
        out->bracketed = true;
        p = gt + 1;
    } else {
        /* addr-spec: the URI ends at the first ';' or whitespace; what
         * follows are header parameters (RFC 3261 §20.10) */
        const char *ue = p;
        while (ue < e && *ue != ';' && !cc((unsigned char)*ue, CC_WS))
            ue++;
        if (memchr(p, '?', (size_t)(ue - p)) || memchr(p, ',', (size_t)(ue - p))) {
            if (tfinding(t, SIPHON_FINDING_TOLERATED, p, "addr-spec-needs-brackets",
                         "RFC 3261 §20.10; RFC 4475 §3.1.2.13",
                         "URI with '?' or ',' not enclosed in < > (brackets inferred)"))
                return terr(t, p, "name-addr", "URI with '?' or ',' must be enclosed in < >");
        }
        if (ue == p)
            return terr(t, p, "addr-spec", "missing URI");
        out->uri_text = siphon_str_make(p, (size_t)(ue - p));
        p = ue;
    }
    int rc = parse_params(t, &p, e, &out->params);
    if (rc)
        return rc;
    if (p != e)
        return terr(t, p, "name-addr", "unexpected ',' in a single value");
    for (size_t i = 0; i < out->params.n; i++) {
        const siphon_param *pr = &out->params.v[i];
        if (NAME_IS(pr->name, "tag")) {
            if (!pr->has_value || !cc((unsigned char)pr->value.p[0], CC_TOKEN))
                return terr(t, pr->name.p, "tag-param", "tag needs a token value");
            out->tag = pr->value;
            out->has_tag = true;
        } else if (contact && NAME_IS(pr->name, "expires")) {
            if ((rc = parse_expires_param(t, pr, out)) != 0)
                return rc;
        } else if (contact && NAME_IS(pr->name, "q")) {
            if ((rc = parse_q(t, pr, out)) != 0)
                return rc;
        }
    }
    return 0;
}

const siphon_uri *siphon_nameaddr_uri(siphon_msg *m, const siphon_nameaddr *cna,
                                      siphon_perr *err)
{
    /* the value lives in m's arena and is ours to fill in */
    siphon_nameaddr *na = (siphon_nameaddr *)cna;
    if (na->star) {
        if (err)
            msg_perr(err, (size_t)(na->raw.p - m->bytes), siphon_hdr_name(na->hdr_id_),
                     "Contact", "\"*\" has no URI");
        return NULL;
    }
    if (na->uri_state_ == TYPED_OK)
        return na->uri_cache_;
    if (na->uri_state_ == TYPED_ERROR) {
        if (err)
            *err = *(const siphon_perr *)na->uri_cache_;
        return NULL;
    }
    siphon_perr local;
    tctx t = {m, NULL, (siphon_hdr_id)na->hdr_id_, &local};
    siphon_uri *u = siphon_arena_alloc_raw(&m->arena, sizeof *u);
    if (!u)
        return NULL;
    const char *us = na->uri_text.p, *ue = us + na->uri_text.len;
    int rc = parse_uri_in(&t, us, ue, u);
    const char *ws = us;
    if (rc == SIPHON_EPARSE)
        while (ws < ue && !cc((unsigned char)*ws, CC_WS))
            ws++;
    if (rc == SIPHON_EPARSE && ws < ue) {
        /* LWS (often folding) inside the URI: a liberal element removes it
         * where that is unambiguous, as for the Request-URI (RFC 4475
         * §3.1.2.8) */
        if (tfinding(&t, SIPHON_FINDING_TOLERATED, ws, "uri-lws",
                     "RFC 3261 §25.1; RFC 4475 §3.1.2.8", "whitespace inside a URI (removed)")) {
            rc = terr(&t, ws, "addr-spec", "whitespace inside a URI");
        } else {
            char *copy = siphon_arena_alloc_raw(&m->arena, (size_t)(ue - us) + 1);
            if (!copy)
                return NULL;
            size_t n = 0;
            for (const char *q = us; q < ue; q++)
                if (!cc((unsigned char)*q, CC_WS))
                    copy[n++] = *q;
            siphon_perr uerr;
            rc = siphon_uri_parse(&m->arena, copy, n, u, &uerr);
            if (rc == SIPHON_EPARSE)
                rc = terr(&t, us, uerr.rule, "bad URI: %s", uerr.text);
        }
    }
    if (rc) {
        siphon_perr *saved = rc == SIPHON_EPARSE ? siphon_arena_alloc_raw(&m->arena, sizeof *saved)
                                                 : NULL;
        if (saved) {
            *saved = local;
            na->uri_cache_ = saved;
            na->uri_state_ = TYPED_ERROR;
        }
        if (err)
            *err = local;
        return NULL;
    }
    na->uri_cache_ = u;
    na->uri_state_ = TYPED_OK;
    return u;
}

/* via-parm = sent-protocol LWS sent-by *( SEMI via-params ) */
int parse_via(tctx *t, const char *s, const char *e, siphon_via *out)
{
    memset(out, 0, sizeof *out);
    const char *p = skip_ws(s, e);
    e = rskip_ws(p, e);
    out->raw = siphon_str_make(p, (size_t)(e - p));
    siphon_str *parts[3] = {&out->protocol, &out->version, &out->transport};
    int part = 0;
    uint64_t w;
    /* fast path: nearly every Via starts "SIP/2.0/" with no LWS inside
     * (only the three letters are case-folded) */
    bool fast = e - p > 8 && (memcpy(&w, p, 8), (w | 0x202020ull) == 0x2f302e322f706973ull);
    if (fast) {
        out->protocol = siphon_str_make(p, 3);
        out->version = siphon_str_make(p + 4, 3);
        p = skip_ws(p + 8, e);
        part = 2;
    }
    for (; part < 3; part++) {
        if (part && !fast) {
            p = skip_ws(p, e);
            if (p == e || *p != '/')
                return terr(t, p, "sent-protocol", "expected '/' in SIP/2.0/transport");
            p = skip_ws(p + 1, e);
        }
        const char *ts = p;
        p = skip_token(p, e);
        if (p == ts)
            return terr(t, ts, "sent-protocol",
                        p == e ? "empty Via value" : "sent-protocol is not SIP/2.0/transport");
        *parts[part] = siphon_str_make(ts, (size_t)(p - ts));
    }
    const char *hs = skip_ws(p, e);
    if (hs == p && hs < e)
        return terr(t, hs, "sent-by", "expected whitespace before sent-by");
    const char *he = siphon_scan_host_(hs, e, &out->host_type);
    if (!he)
        return terr(t, hs, "sent-by", "missing or malformed host in Via");
    out->host = siphon_str_make(hs, (size_t)(he - hs));
    p = skip_ws(he, e);
    if (p < e && *p == ':') {
        p = skip_ws(p + 1, e);
        const char *d = p;
        unsigned port = 0;
        while (p < e && cc((unsigned char)*p, CC_DIGIT) && port <= 65535)
            port = port * 10 + (unsigned)(*p++ - '0');
        if (p == d || port > 65535)
            return terr(t, d, "port", "Via port is not a number from 0 to 65535");
        out->port = (uint16_t)port;
        out->has_port = true;
    } else {
        p = he;
    }
    int rc = parse_params(t, &p, e, &out->params);
    if (rc)
        return rc;
    if (p != e)
        return terr(t, p, "via-parm", "unexpected text in Via value");
    for (size_t i = 0; i < out->params.n; i++) {
        const siphon_param *pr = &out->params.v[i];
        if (NAME_IS(pr->name, "branch")) {
            if (!pr->has_value)
                return terr(t, pr->name.p, "via-branch", "branch needs a value");
            out->branch = pr->value;
            out->has_branch = true;
        } else if (NAME_IS(pr->name, "received")) {
            out->received = pr->value;
        } else if (NAME_IS(pr->name, "rport")) {
            out->has_rport = true;
            if (pr->has_value) {
                unsigned v = 0;
                size_t n = pr->value.len;
                for (size_t k = 0; k < n && v <= 65535; k++) {
                    unsigned d = (unsigned)((unsigned char)pr->value.p[k] - '0');
                    v = d < 10 ? v * 10 + d : 65536;
                }
                if (n == 0 || v > 65535)
                    return terr(t, pr->value.p, "response-port", "rport is not a port number");
                out->rport = (uint16_t)v;
            }
        } else if (NAME_IS(pr->name, "ttl")) {
            uint64_t v;
            if (!pr->has_value || siphon_str_to_u64(pr->value, 255, &v))
                return terr(t, pr->name.p, "via-ttl", "ttl must be 0-255");
        }
    }
    return 0;
}
