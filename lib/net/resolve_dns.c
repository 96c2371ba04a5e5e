/*
 * resolve_dns.c -- the pure helpers of the RFC 3263 resolver.
 *
 * - A walker over raw DNS responses (RFC 1035 §4.1: header, question
 *   section, resource records; §4.1.4 name compression). c-ares 1.18
 *   parses NAPTR and SRV rdata for us but drops the TTLs, and a cache
 *   must not outlive them (RFC 1035 §3.2.1, RFC 2181 §8), so we read the
 *   TTL fields ourselves. Everything here is input from the network:
 *   every read is bounds-checked and failures are errors, not asserts.
 * - RFC 2782 ordering of SRV records ("Usage rules": priority, then a
 *   weighted random selection), with the RNG injected so tests are
 *   deterministic.
 */
#include "resolve_internal.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

int dns_read_name(const uint8_t *msg, size_t len, size_t off, char *out,
                  size_t cap, size_t *next)
{
    size_t pos = off, o = 0, wire = 0;
    /* Every pointer must go below the start of the run of labels it
     * ends, so the sequence of jump targets strictly decreases and a
     * crafted message cannot make us loop. */
    size_t limit = off;
    bool jumped = false;

    if (cap == 0)
        return SIPHON_ETOOBIG;
    for (;;) {
        if (pos >= len)
            return SIPHON_EPARSE;
        uint8_t c = msg[pos];
        if (c == 0) {
            if (!jumped)
                *next = pos + 1;
            break;
        }
        if ((c & 0xC0) == 0xC0) {
            if (pos + 1 >= len)
                return SIPHON_EPARSE;
            size_t ptr = (size_t)(c & 0x3F) << 8 | msg[pos + 1];
            if (ptr >= limit)
                return SIPHON_EPARSE;
            if (!jumped)
                *next = pos + 2;
            jumped = true;
            pos = limit = ptr;
            continue;
        }
        if (c & 0xC0) /* 01 and 10: extended/obsolete label types */
            return SIPHON_EPARSE;
        if (pos + 1 + c > len)
            return SIPHON_EPARSE;
        wire += 1u + c;
        if (wire + 1 > 255) /* RFC 1035 §2.3.4, counting the root byte */
            return SIPHON_ETOOBIG;
        if (o + (o ? 1 : 0) + c + 1 > cap)
            return SIPHON_ETOOBIG;
        if (o)
            out[o++] = '.';
        memcpy(out + o, msg + pos + 1, c);
        o += c;
        pos += 1u + c;
    }
    out[o] = '\0';
    return 0;
}

/* Skip one question or read one RR header at *pos. For an RR, fills
 * type/ttl/rdata offset and length and moves *pos past the rdata. */
static int skip_question(const uint8_t *msg, size_t len, size_t *pos)
{
    char name[DNS_NAME_MAX];
    if (dns_read_name(msg, len, *pos, name, sizeof name, pos) < 0)
        return SIPHON_EPARSE;
    if (len - *pos < 4) /* QTYPE, QCLASS */
        return SIPHON_EPARSE;
    *pos += 4;
    return 0;
}

static int read_rr(const uint8_t *msg, size_t len, size_t *pos,
                   uint16_t *type, uint32_t *ttl, size_t *rdoff,
                   uint16_t *rdlen)
{
    char name[DNS_NAME_MAX];
    if (dns_read_name(msg, len, *pos, name, sizeof name, pos) < 0)
        return SIPHON_EPARSE;
    if (len - *pos < 10) /* TYPE CLASS TTL RDLENGTH */
        return SIPHON_EPARSE;
    *type = rd16(msg + *pos);
    *ttl = rd32(msg + *pos + 4);
    *rdlen = rd16(msg + *pos + 8);
    *pos += 10;
    if (len - *pos < *rdlen)
        return SIPHON_EPARSE;
    *rdoff = *pos;
    *pos += *rdlen;
    /* RFC 2181 §8: a TTL with the top bit set is to be read as 0. */
    if (*ttl > 0x7FFFFFFFu)
        *ttl = 0;
    return 0;
}

int dns_answer_ttl(const uint8_t *msg, size_t len, uint16_t qtype,
                   uint32_t *min_ttl, unsigned *count)
{
    size_t pos = 12, rdoff;
    uint32_t best = UINT32_MAX, ttl;
    uint16_t type, rdlen;
    unsigned n = 0;

    if (!msg || len < 12)
        return SIPHON_EPARSE;
    unsigned qd = rd16(msg + 4), an = rd16(msg + 6);
    for (unsigned i = 0; i < qd; i++)
        if (skip_question(msg, len, &pos) < 0)
            return SIPHON_EPARSE;
    for (unsigned i = 0; i < an; i++) {
        if (read_rr(msg, len, &pos, &type, &ttl, &rdoff, &rdlen) < 0)
            return SIPHON_EPARSE;
        if (ttl < best)
            best = ttl;
        if (type == qtype)
            n++;
    }
    *min_ttl = an ? best : 0;
    *count = n;
    return 0;
}

int dns_negative_ttl(const uint8_t *msg, size_t len, uint32_t *ttl_out)
{
    size_t pos = 12, rdoff;
    uint32_t ttl;
    uint16_t type, rdlen;
    char name[DNS_NAME_MAX];

    if (!msg || len < 12)
        return SIPHON_EPARSE;
    unsigned qd = rd16(msg + 4), an = rd16(msg + 6), ns = rd16(msg + 8);
    for (unsigned i = 0; i < qd; i++)
        if (skip_question(msg, len, &pos) < 0)
            return SIPHON_EPARSE;
    for (unsigned i = 0; i < an + ns; i++) {
        if (read_rr(msg, len, &pos, &type, &ttl, &rdoff, &rdlen) < 0)
            return SIPHON_EPARSE;
        if (i < an || type != 6 /* SOA */)
            continue;
        /* SOA rdata (RFC 1035 §3.3.13): MNAME RNAME SERIAL REFRESH RETRY
         * EXPIRE MINIMUM; the names may be compressed. */
        size_t p = rdoff, end = rdoff + rdlen;
        if (dns_read_name(msg, end, p, name, sizeof name, &p) < 0 ||
            dns_read_name(msg, end, p, name, sizeof name, &p) < 0 ||
            end - p != 20)
            return SIPHON_EPARSE;
        uint32_t minimum = rd32(msg + p + 16);
        if (minimum > 0x7FFFFFFFu)
            minimum = 0;
        /* RFC 2308 §5: the lesser of the SOA's TTL and its MINIMUM */
        *ttl_out = ttl < minimum ? ttl : minimum;
        return 0;
    }
    return SIPHON_ENOENT;
}

/* Move v[from] to v[to] (to <= from), shifting the rest up by one, so
 * the relative order of the others -- which matters for the weight-0
 * rule -- is kept. */
static void move_to(srv_rec *v, size_t to, size_t from)
{
    if (from == to)
        return;
    srv_rec t = v[from];
    memmove(v + to + 1, v + to, (from - to) * sizeof *v);
    v[to] = t;
}

void srv_order(srv_rec *v, size_t n, siphon_resolve_rng_fn *rng, void *arg)
{
    /* Stable insertion sort by priority: answers are a handful of RRs. */
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        while (j > 0 && v[j - 1].priority > v[i].priority)
            j--;
        move_to(v, j, i);
    }
    for (size_t g = 0; g < n;) {
        size_t end = g;
        while (end < n && v[end].priority == v[g].priority)
            end++;
        for (size_t k = g; k + 1 < end; k++) {
            /* "all those with weight 0 are placed at the beginning of
             * the list" (RFC 2782), then pick by running sum. */
            size_t z = k;
            for (size_t i = k; i < end; i++)
                if (v[i].weight == 0)
                    move_to(v, z++, i);
            uint32_t sum = 0;
            for (size_t i = k; i < end; i++)
                sum += v[i].weight;
            uint32_t r = sum ? rng(arg) % (sum + 1) : 0;
            uint32_t run = 0;
            size_t pick = k;
            for (size_t i = k; i < end; i++) {
                run += v[i].weight;
                if (run >= r) {
                    pick = i;
                    break;
                }
            }
            move_to(v, k, pick);
        }
        g = end;
    }
}
