/*
 * route.c -- the Via rules of the transport layer: received and rport on
 * requests that arrive (RFC 3261 §18.2.1, RFC 3581 §4), where a response
 * goes (§18.2.2, RFC 3581 §4), and the 400 that answers bytes which do
 * not parse but whose Via can be read (§8.2, RFC 4475 §3.1.2).
 */
#include "ua_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- transports as a Via names them (§20.42, RFC 7118 §5.1) ---------- */

static const char *const transport_names[] = {
    [SIPHON_RESOLVE_UDP] = "UDP", [SIPHON_RESOLVE_TCP] = "TCP",
    [SIPHON_RESOLVE_TLS] = "TLS", [SIPHON_RESOLVE_WS] = "WS",
    [SIPHON_RESOLVE_WSS] = "WSS",
};

const char *siphon_transport_name(siphon_transport t)
{
    if ((unsigned)t < sizeof transport_names / sizeof *transport_names &&
        transport_names[t])
        return transport_names[t];
    return "?";
}

int siphon_transport_parse(siphon_str name, siphon_transport *out)
{
    for (unsigned t = SIPHON_RESOLVE_UDP; t <= SIPHON_RESOLVE_WSS; t++) {
        if (siphon_str_caseeq(name, siphon_str_c(transport_names[t]))) {
            *out = (siphon_transport)t;
            return 0;
        }
    }
    return SIPHON_EINVAL;
}

bool siphon_transport_reliable(siphon_transport t)
{
    return t != SIPHON_RESOLVE_UDP;
}

/* ---- Via rules --------------------------------------------------------- */

void ua_new_branch(char buf[24])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[8];
    if (RAND_bytes(r, sizeof r) != 1) {
        /* RAND_bytes only fails without an entropy source; a branch must
         * still be unique (§8.1.1.7), so mix time and a counter. */
        static uint64_t counter;
        uint64_t x = (uint64_t)(uintptr_t)buf ^ ++counter * 0x9e3779b97f4a7c15u;
        memcpy(r, &x, sizeof r);
    }
    memcpy(buf, "z9hG4bK", 7);
    for (size_t i = 0; i < sizeof r; i++) {
        buf[7 + 2 * i] = hex[r[i] >> 4];
        buf[8 + 2 * i] = hex[r[i] & 15];
    }
    buf[23] = '\0';
}

/* The numeric host of src, as it goes in received (no brackets, §20.42:
 * received is an IPv4address or IPv6address). */
static int host_text(const struct sockaddr *sa, char *buf, size_t cap)
{
    const void *a = sa->sa_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    return inet_ntop(sa->sa_family, a, buf, (socklen_t)cap) ? 0 : SIPHON_EINVAL;
}

/* Does the Via host name exactly the source address? A domain name never
 * does (§18.2.1: received is added "if the host portion ... contains a
 * domain name"). */
static bool host_is_source(const siphon_via *v, const struct sockaddr *src)
{
    if (v->host_type != SIPHON_HOST_IPV4 && v->host_type != SIPHON_HOST_IPV6)
        return false;
    struct sockaddr_storage h;
    if (siphon_addr_from_host(v->host, siphon_addr_port(src), &h, NULL) < 0)
        return false;
    return siphon_addr_cmp((struct sockaddr *)&h, src) == 0;
}

/* Is param p (a view into raw) named name? Then the span to drop runs
 * from the ';' before it to the end of its value. */
static bool param_span(siphon_str raw, const siphon_param *p, const char *name,
                       const char **start, const char **end)
{
    if (!siphon_str_caseeq(p->name, siphon_str_c(name)))
        return false;
    const char *s = p->name.p;
    while (s > raw.p && s[-1] != ';')
        s--;
    if (s > raw.p)
        s--;
    *start = s;
    *end = p->has_value ? p->value.p + p->value.len : p->name.p + p->name.len;
    return true;
}

siphon_msg *ua_stamp_via(siphon_msg *req, const struct sockaddr *src)
{
    const siphon_via *v = siphon_msg_via(req);
    if (!v)
        return siphon_msg_ref(req); /* the verdict already vetted it */
    bool need_received = !host_is_source(v, src);
    if (!need_received && !v->has_rport)
        return siphon_msg_ref(req);

    char ip[INET6_ADDRSTRLEN];
    if (host_text(src, ip, sizeof ip) < 0)
        return siphon_msg_ref(req);
    siphon_str all = siphon_msg_bytes(req);
    siphon_buf b;
    siphon_buf_init(&b, 0);
    int rc = 0;
    /* Everything before the top Via value's end, minus any received and
     * rport the sender wrote (ours replace them), then ours. */
    const char *cur = all.p;
    for (size_t i = 0; i < v->params.n; i++) {
        const char *s, *e;
        const siphon_param *p = &v->params.v[i];
        if (param_span(v->raw, p, "received", &s, &e) ||
            param_span(v->raw, p, "rport", &s, &e)) {
            rc |= siphon_buf_append(&b, cur, (size_t)(s - cur));
            cur = e;
        }
    }
    const char *vend = v->raw.p + v->raw.len;
    rc |= siphon_buf_append(&b, cur, (size_t)(vend - cur));
    rc |= siphon_buf_append_c(&b, ";received=");
    rc |= siphon_buf_append_c(&b, ip);
    if (v->has_rport) {
        /* RFC 3581 §4: rport carries the source port, and received is
         * added even when the host matched. */
        rc |= siphon_buf_append_c(&b, ";rport=");
        rc |= siphon_buf_append_uint(&b, siphon_addr_port(src), 1);
    }
    rc |= siphon_buf_append(&b, vend, (size_t)(all.p + all.len - vend));
    siphon_msg *out = NULL;
    siphon_perr err;
    if (rc < 0 || siphon_msg_parse(b.p, b.len, siphon_msg_opts(req), &out,
                                  &err) < 0)
        out = NULL;
    siphon_buf_free(&b);
    return out;
}

int ua_response_dest(siphon_msg *resp, const siphon_ua_flow *flow,
                     struct sockaddr_storage *out)
{
    /* §18.2.2: on a reliable transport the response goes back to where
     * the request came from, over its connection while that is open
     * (the stream transports reuse it by address). */
    if (siphon_transport_reliable(flow->transport)) {
        memcpy(out, &flow->peer, siphon_addr_len((const struct sockaddr *)&flow->peer));
        return 0;
    }
    const siphon_via *v = siphon_msg_via(resp);
    if (!v)
        return SIPHON_EINVAL;
    uint16_t port = v->has_port ? v->port : 5060;
    const siphon_param *maddr = siphon_params_find(&v->params, "maddr");
    siphon_str host;
    if (maddr && maddr->has_value) {
        host = maddr->value;               /* multicast or not, as told */
    } else if (v->received.len) {
        host = v->received;
        if (v->has_rport && v->rport)      /* RFC 3581 §4 */
            port = v->rport;
    } else {
        host = v->host;
    }
    if (siphon_addr_from_host(host, port, out, NULL) == 0)
        return 0;
    /* A name in sent-by with no received: only possible for a request we
     * did not stamp. The source address is the best answer. */
    memcpy(out, &flow->peer, siphon_addr_len((const struct sockaddr *)&flow->peer));
    if (v->has_rport && v->rport)
        ((struct sockaddr_in *)out)->sin_port = htons(v->rport);
    return 0;
}

/* A Request-Line (§7.1): a method token, SP, something, SP, "SIP/". Only
 * what starts like one is worth a 400: anything else on the port (a HEP
 * mirror, a stray protocol, noise) is dropped, or two endpoints could
 * answer each other's noise for ever. */
bool ua_bytes_are_request(const char *bytes, size_t len)
{
    while (len && (*bytes == '\r' || *bytes == '\n')) {
        bytes++;
        len--;
    }
    const char *lf = memchr(bytes, '\n', len);
    size_t n = lf ? (size_t)(lf - bytes) : len;
    size_t i = 0;
    while (i < n && (isalnum((unsigned char)bytes[i]) ||
                     strchr("-.!%*_+`'~", bytes[i])))
        i++;
    if (i == 0 || i >= n || bytes[i] != ' ')
        return false;
    return memmem(bytes + i, n - i, " SIP/", 5) != NULL;
}

/* Is line (without CRLF) a field of one of the names, long or compact? */
static bool line_is(const char *line, size_t n, const char *const *names)
{
    const char *colon = memchr(line, ':', n);
    if (!colon || line[0] == ' ' || line[0] == '\t')
        return false;
    size_t k = (size_t)(colon - line);
    while (k && (line[k - 1] == ' ' || line[k - 1] == '\t'))
        k--;
    for (; *names; names++)
        if (siphon_str_caseeq((siphon_str){line, k}, siphon_str_c(*names)))
            return true;
    return false;
}

/* One try at the 400: the kept fields copied, with each Via value cut
 * at its first ';' or ',' when trim_via (a Via whose parameters are
 * what is broken, RFC 4475 badinv01, still names where to answer). */
static siphon_msg *salvage(const char *bytes, size_t len, const char *why,
                           bool trim_via)
{
    static const char *const keep[] = {"Via", "v", "From", "f", "To", "t",
                                       "Call-ID", "i", "CSeq", NULL};
    static const char *const vias[] = {"Via", "v", NULL};
    siphon_buf b;
    siphon_buf_init(&b, 0);
    int rc = siphon_buf_append_c(&b, "SIP/2.0 400 ");
    /* The reason phrase must stay one line of text (§25.1). */
    for (const char *p = why && *why ? why : "Bad Request"; *p; p++)
        rc |= siphon_buf_append(&b, (*p == '\r' || *p == '\n') ? " " : p, 1);
    rc |= siphon_buf_append_c(&b, "\r\n");
    const char *p = bytes, *end = bytes + len;
    /* Skip the start line; stop at the blank line ending the header. */
    const char *lf = memchr(p, '\n', (size_t)(end - p));
    p = lf ? lf + 1 : end;
    while (p < end) {
        lf = memchr(p, '\n', (size_t)(end - p));
        const char *e = lf ? lf : end;
        size_t n = (size_t)(e - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        if (line_is(p, n, keep)) {
            if (trim_via && line_is(p, n, vias)) {
                const char *colon = memchr(p, ':', n);
                size_t k = (size_t)(colon - p) + 1;
                while (k < n && p[k] != ';' && p[k] != ',')
                    k++;
                n = k;
            }
            rc |= siphon_buf_append(&b, p, n);
            rc |= siphon_buf_append_c(&b, "\r\n");
        }
        p = lf ? lf + 1 : end;
    }
    rc |= siphon_buf_append_c(&b, "Content-Length: 0\r\n\r\n");
    siphon_msg *m = NULL;
    siphon_perr err;
    if (rc < 0 || siphon_msg_parse(b.p, b.len, NULL, &m, &err) < 0 ||
        !siphon_msg_via(m)) {
        siphon_msg_unref(m);
        m = NULL;
    }
    siphon_buf_free(&b);
    return m;
}

siphon_msg *ua_salvage_400(const char *bytes, size_t len, const char *why)
{
    siphon_msg *m = salvage(bytes, len, why, false);
    return m ? m : salvage(bytes, len, why, true);
}
