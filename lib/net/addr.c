/*
 * addr.c -- numeric transport addresses: parse, format, compare.
 *
 * Forms: "192.0.2.1:5060" and "[2001:db8::1]:5060", the host and port
 * halves of RFC 3986 §3.2.2-3.2.3 (IP-literal in brackets) as SIP uses
 * them in hostport (RFC 3261 §25.1), plus an RFC 4007 §11 zone
 * ("[fe80::1%eth0]:5060"), which a link-local bind needs. The literals
 * themselves are checked by inet_pton(3). Names are refused on purpose:
 * resolving them is RFC 3263 work for the DNS layer, and a parser that
 * silently called getaddrinfo would block the loop.
 */
#include <siphon/net.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* Longest literal we copy out for inet_pton: an IPv6 address with an
 * embedded IPv4 (45 chars), "%" and an interface name (IF_NAMESIZE). */
#define LITERAL_MAX (INET6_ADDRSTRLEN + 1 + IF_NAMESIZE)

static int parse_port(siphon_str s, uint16_t *port)
{
    uint64_t v;
    /* Digits only: "+5060", " 5060" and "" are refused. */
    int rv = siphon_str_to_u64(s, 65535, &v);
    if (rv < 0)
        return rv;
    *port = (uint16_t)v;
    return 0;
}

/* An IPv6 literal, possibly with "%zone". */
static int parse_v6(siphon_str host, uint16_t port,
                    struct sockaddr_storage *out, socklen_t *outlen)
{
    char lit[LITERAL_MAX + 1];
    if (host.len == 0 || host.len > LITERAL_MAX)
        return SIPHON_EPARSE;
    memcpy(lit, host.p, host.len);
    lit[host.len] = 0;
    if (memchr(lit, 0, host.len))
        return SIPHON_EPARSE;
    uint32_t scope = 0;
    char *pct = strchr(lit, '%');
    if (pct) {
        *pct = 0;
        const char *zone = pct + 1;
        if (!*zone)
            return SIPHON_EPARSE;
        uint64_t v;
        if (siphon_str_to_u64(siphon_str_c(zone), UINT32_MAX, &v) == 0) {
            scope = (uint32_t)v;
        } else {
            scope = if_nametoindex(zone);
            if (scope == 0)
                return SIPHON_EPARSE;
        }
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET6, lit, &s6->sin6_addr) != 1)
        return SIPHON_EPARSE;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    s6->sin6_scope_id = scope;
    if (outlen)
        *outlen = sizeof *s6;
    return 0;
}

static int parse_v4(siphon_str host, uint16_t port,
                    struct sockaddr_storage *out, socklen_t *outlen)
{
    char lit[INET_ADDRSTRLEN];
    if (host.len == 0 || host.len >= sizeof lit)
        return SIPHON_EPARSE;
    memcpy(lit, host.p, host.len);
    lit[host.len] = 0;
    struct sockaddr_in *s4 = (struct sockaddr_in *)out;
    memset(out, 0, sizeof *out);
    /* inet_pton accepts only the four-part dotted decimal, unlike
     * inet_aton's "127.1" and octal forms that differ between stacks. */
    if (memchr(lit, 0, host.len) ||
        inet_pton(AF_INET, lit, &s4->sin_addr) != 1)
        return SIPHON_EPARSE;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (outlen)
        *outlen = sizeof *s4;
    return 0;
}

int siphon_addr_from_host(siphon_str host, uint16_t port,
                          struct sockaddr_storage *out, socklen_t *outlen)
{
    if (host.len == 0)
        return SIPHON_EPARSE;
    if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
        return parse_v6(siphon_str_make(host.p + 1, host.len - 2), port, out,
                        outlen);
    if (memchr(host.p, ':', host.len))
        return parse_v6(host, port, out, outlen);
    return parse_v4(host, port, out, outlen);
}

int siphon_addr_parse(siphon_str text, struct sockaddr_storage *out,
                      socklen_t *outlen)
{
    const char *p = text.p, *end = text.p + text.len;
    uint16_t port;
    int rv;
    if (text.len == 0)
        return SIPHON_EPARSE;
    if (p[0] == '[') {
        const char *close = memchr(p, ']', text.len);
        if (!close || close + 1 >= end || close[1] != ':')
            return SIPHON_EPARSE;
        rv = parse_port(siphon_str_make(close + 2, (size_t)(end - close - 2)),
                        &port);
        if (rv < 0)
            return rv;
        return parse_v6(siphon_str_make(p + 1, (size_t)(close - p - 1)), port,
                        out, outlen);
    }
    /* Unbracketed: exactly one colon, else "::1:5060" would be ambiguous. */
    const char *colon = memchr(p, ':', text.len);
    if (!colon || memchr(colon + 1, ':', (size_t)(end - colon - 1)))
        return SIPHON_EPARSE;
    rv = parse_port(siphon_str_make(colon + 1, (size_t)(end - colon - 1)),
                    &port);
    if (rv < 0)
        return rv;
    return parse_v4(siphon_str_make(p, (size_t)(colon - p)), port, out,
                    outlen);
}

int siphon_addr_format(const struct sockaddr *sa, char *buf, size_t cap)
{
    char lit[INET6_ADDRSTRLEN];
    char zone[IF_NAMESIZE + 2] = "";
    int n;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, lit, sizeof lit);
        n = snprintf(buf, cap, "%s:%u", lit, (unsigned)ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, lit, sizeof lit);
        /* Numeric zones keep the output parseable on any host. */
        if (s6->sin6_scope_id)
            snprintf(zone, sizeof zone, "%%%u", (unsigned)s6->sin6_scope_id);
        n = snprintf(buf, cap, "[%s%s]:%u", lit, zone,
                     (unsigned)ntohs(s6->sin6_port));
    } else {
        if (cap)
            buf[0] = 0;
        return SIPHON_EINVAL;
    }
    if (n < 0 || (size_t)n >= cap)
        return SIPHON_ETOOBIG;
    return n;
}

static int cmp_bytes(const void *a, const void *b, size_t n)
{
    int c = memcmp(a, b, n);
    return (c > 0) - (c < 0);
}

int siphon_addr_cmp(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return a->sa_family < b->sa_family ? -1 : 1;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        int c = cmp_bytes(&x->sin_addr, &y->sin_addr, sizeof x->sin_addr);
        if (c)
            return c;
        return cmp_bytes(&x->sin_port, &y->sin_port, sizeof x->sin_port);
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        int c = cmp_bytes(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
        if (c)
            return c;
        c = cmp_bytes(&x->sin6_port, &y->sin6_port, sizeof x->sin6_port);
        if (c)
            return c;
        if (x->sin6_scope_id != y->sin6_scope_id)
            return x->sin6_scope_id < y->sin6_scope_id ? -1 : 1;
        return 0;
    }
    return 0; /* other families: no order defined, all equal */
}

uint16_t siphon_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

socklen_t siphon_addr_len(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return sizeof(struct sockaddr_in);
    if (sa->sa_family == AF_INET6)
        return sizeof(struct sockaddr_in6);
    return 0;
}
