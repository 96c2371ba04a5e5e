/*
 * cap_addr.c -- IP address + port values for capture/: parsing and printing the
 * "host:port" forms used in ladders and reports (IPv6 in brackets, as in
 * RFC 3986 §3.2.2 and the SIP hostport of RFC 3261 §25.1).
 */
#include <siphon/capture.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int parse_port(const char *p, uint16_t *port)
{
    if (*p < '0' || *p > '9')
        return SIPHON_EPARSE;
    unsigned long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return SIPHON_EPARSE;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535)
            return SIPHON_EPARSE;
    }
    *port = (uint16_t)v;
    return 0;
}

int siphon_capture_addr_parse(const char *text, siphon_capture_addr *out)
{
    char host[INET6_ADDRSTRLEN];
    siphon_capture_addr a;
    memset(&a, 0, sizeof a);
    if (!text || !out)
        return SIPHON_EPARSE;
    const char *colon;
    size_t hl;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return SIPHON_EPARSE;
        hl = (size_t)(close - text - 1);
        if (hl == 0 || hl >= sizeof host)
            return SIPHON_EPARSE;
        memcpy(host, text + 1, hl);
        host[hl] = 0;
        if (inet_pton(AF_INET6, host, a.ip) != 1)
            return SIPHON_EPARSE;
        a.family = AF_INET6;
        colon = close + 1;
    } else {
        colon = strchr(text, ':');
        if (!colon)
            return SIPHON_EPARSE;
        hl = (size_t)(colon - text);
        if (hl == 0 || hl >= sizeof host)
            return SIPHON_EPARSE;
        memcpy(host, text, hl);
        host[hl] = 0;
        if (inet_pton(AF_INET, host, a.ip) != 1)
            return SIPHON_EPARSE;
        a.family = AF_INET;
    }
    if (parse_port(colon + 1, &a.port))
        return SIPHON_EPARSE;
    *out = a;
    return 0;
}

int siphon_capture_addr_format(const siphon_capture_addr *a, char *out,
                               size_t outlen)
{
    char host[INET6_ADDRSTRLEN];
    int n;
    if (!out || outlen == 0)
        return SIPHON_EINVAL;
    if (a && a->family == AF_INET &&
        inet_ntop(AF_INET, a->ip, host, sizeof host))
        n = snprintf(out, outlen, "%s:%u", host, (unsigned)a->port);
    else if (a && a->family == AF_INET6 &&
             inet_ntop(AF_INET6, a->ip, host, sizeof host))
        n = snprintf(out, outlen, "[%s]:%u", host, (unsigned)a->port);
    else {
        snprintf(out, outlen, "?");
        return SIPHON_EINVAL;
    }
    if (n < 0 || (size_t)n >= outlen)
        return SIPHON_EINVAL;
    return n;
}

int siphon_capture_addr_from_sockaddr(const struct sockaddr *sa,
                                      siphon_capture_addr *out)
{
    if (!sa || !out)
        return SIPHON_EINVAL;
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in in4;
        memcpy(&in4, sa, sizeof in4); /* sa may be under-aligned storage */
        out->family = AF_INET;
        memcpy(out->ip, &in4.sin_addr, 4);
        out->port = ntohs(in4.sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        out->family = AF_INET6;
        memcpy(out->ip, &in6.sin6_addr, 16);
        out->port = ntohs(in6.sin6_port);
        return 0;
    }
    return SIPHON_EINVAL;
}

bool siphon_capture_addr_eq(const siphon_capture_addr *a,
                            const siphon_capture_addr *b)
{
    if (a->family != b->family || a->port != b->port)
        return false;
    size_t n = a->family == AF_INET6 ? 16 : 4;
    return memcmp(a->ip, b->ip, n) == 0;
}
