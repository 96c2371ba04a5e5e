/*
 * resolve_internal.h -- the pure parts of the RFC 3263 resolver, shared by
 * resolve.c and resolve_dns.c and exposed to the unit tests: a bounds-
 * checked walker over raw DNS messages (RFC 1035 §4.1) that yields the
 * TTLs c-ares 1.18's parsed NAPTR/SRV structs do not carry, and the
 * RFC 2782 ordering of SRV records.
 */
#ifndef SIPHON_RESOLVE_INTERNAL_H
#define SIPHON_RESOLVE_INTERNAL_H

#include <siphon/net.h>

#include <stddef.h>
#include <stdint.h>

/* RR types (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 3403). */
enum {
    DNS_T_A = 1,
    DNS_T_CNAME = 5,
    DNS_T_AAAA = 28,
    DNS_T_SRV = 33,
    DNS_T_NAPTR = 35
};

/* Longest presentation-form name we produce, with the NUL (RFC 1035
 * §2.3.4: 255 octets on the wire). */
#define DNS_NAME_MAX 256

/*
 * Decode the (possibly compressed, RFC 1035 §4.1.4) name at msg[off] into
 * out as dotted text without the final dot ("" for the root). *next gets
 * the offset just past the name in place. Pointers must point backwards,
 * so loops are impossible. Returns 0, or SIPHON_EPARSE for a truncated or
 * malformed name, or SIPHON_ETOOBIG when it exceeds 255 octets / cap.
 */
int dns_read_name(const uint8_t *msg, size_t len, size_t off, char *out,
                  size_t cap, size_t *next);

/*
 * Walk a whole response: header, question section, answer section.
 * *min_ttl gets the smallest TTL among the answer RRs (CNAMEs included:
 * the chain is only as fresh as its weakest link), *count the number of
 * answer RRs of type qtype. With no answers *min_ttl is 0. Returns 0 or
 * SIPHON_EPARSE for any truncation or inconsistency; never reads out of
 * bounds.
 */
int dns_answer_ttl(const uint8_t *msg, size_t len, uint16_t qtype,
                   uint32_t *min_ttl, unsigned *count);

/*
 * How long a negative answer (NXDOMAIN or NODATA) may be cached: RFC 2308
 * §5, the smaller of the TTL and the MINIMUM field of the SOA in the
 * authority section. Returns 0, SIPHON_ENOENT when there is no SOA (such
 * an answer must not be cached, RFC 2308 §5) or SIPHON_EPARSE.
 */
int dns_negative_ttl(const uint8_t *msg, size_t len, uint32_t *ttl);

/* One SRV record as the resolver keeps it. */
typedef struct srv_rec {
    uint16_t priority, weight, port;
    char target[DNS_NAME_MAX];
} srv_rec;

/*
 * Reorder v[0..n) as RFC 2782 says a client must try them: ascending
 * priority; inside a priority, repeated weighted random choice where a
 * record's chance is proportional to its weight (weight 0 records are
 * kept at the front of the running list and so are picked only when the
 * random sum is 0, i.e. rarely when others have weight). rng gives the
 * random numbers.
 */
void srv_order(srv_rec *v, size_t n, siphon_resolve_rng_fn *rng, void *arg);

/* ---- the resolver object (resolve.c, resolve_io.c) ---------------------- */

#include <ares.h>

/* A cached raw answer; the key is the lower-case name. */
typedef struct cache_entry {
    char key[DNS_NAME_MAX + 16];
    uint16_t type;
    uint8_t *buf;
    int len;
    uint64_t expires_ms;
} cache_entry;

typedef struct sockw {
    int fd;
    siphon_watch *w;
} sockw;

struct siphon_resolver {
    siphon_loop *loop;
    ares_channel ch;
    siphon_resolver_config cfg;
    char *servers;
    uint64_t rng_state;
    uint64_t timer;                 /* ares_timeout() timer, 0 if none */
    sockw *socks;
    size_t nsocks, capsocks;
    cache_entry *cache;
    size_t ncache;
    siphon_resolve_query *queries;
    bool freeing;
    siphon_resolver_stats stats;
};

/* Re-arm the loop timer to c-ares' next deadline (ares_timeout). Call
 * after anything that may have sent a query. */
void resolve_arm_timer(siphon_resolver *r);

/* The live cached answer for (key, type) at now, or NULL (expired
 * entries are dropped on the way). */
const cache_entry *resolve_cache_get(siphon_resolver *r, const char *key,
                                     uint16_t type, uint64_t now);

/* Keep a copy of an answer for ttl seconds (no-op for ttl 0). */
void resolve_cache_put(siphon_resolver *r, const char *key, uint16_t type,
                       const uint8_t *buf, int len, uint32_t ttl);

/* Release what resolve_io.c set up (watches, cache, c-ares library
 * reference) and r itself; ares_destroy() must have run. */
void resolve_io_release(siphon_resolver *r);

#endif
