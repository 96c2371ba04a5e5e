/*
 * test_net_resolve.c -- the RFC 3263 resolver without a DNS server: the
 * raw-answer walker (RFC 1035 §4.1, §4.1.4 compression) on hand-built
 * messages, RFC 2782 SRV ordering with a fixed RNG, and the RFC 3263
 * §4.2 shortcuts (numeric host, sips -> TLS) that must send nothing.
 */
#include "unit.h"

#include "net/resolve_internal.h"

#include <siphon/uri.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* A message builder: just enough to write the tests' packets. */
typedef struct pkt {
    uint8_t b[512];
    size_t n;
} pkt;

static void put8(pkt *p, unsigned v) { p->b[p->n++] = (uint8_t)v; }
static void put16(pkt *p, unsigned v) { put8(p, v >> 8); put8(p, v & 0xFF); }
static void put32(pkt *p, uint32_t v) { put16(p, v >> 16); put16(p, v & 0xFFFF); }
static void putname(pkt *p, const char *dotted)
{
    while (*dotted) {
        const char *e = strchr(dotted, '.');
        size_t l = e ? (size_t)(e - dotted) : strlen(dotted);
        put8(p, (unsigned)l);
        memcpy(p->b + p->n, dotted, l);
        p->n += l;
        dotted += l + (e ? 1 : 0);
    }
    put8(p, 0);
}

/* Header with qd=1, an=ancount, then the question "_sip._udp.example.test"
 * SRV IN at offset 12. */
static void srv_head(pkt *p, unsigned ancount)
{
    p->n = 0;
    put16(p, 0x1234);
    put16(p, 0x8180);
    put16(p, 1);
    put16(p, ancount);
    put16(p, 0);
    put16(p, 0);
    putname(p, "_sip._udp.example.test");
    put16(p, DNS_T_SRV);
    put16(p, 1);
}

/* An SRV RR whose owner is a pointer to the question and whose target
 * is "h<i>" followed by a pointer to "example.test" (offset 12 + 10). */
static void srv_rr(pkt *p, uint32_t ttl, int i)
{
    put16(p, 0xC00C);
    put16(p, DNS_T_SRV);
    put16(p, 1);
    put32(p, ttl);
    put16(p, 6 + 3 + 2);
    put16(p, 10);
    put16(p, 5);
    put16(p, 5060);
    put8(p, 2);
    put8(p, 'h');
    put8(p, '0' + i);
    put16(p, 0xC000 | 22);
}

UNIT_TEST(net_resolve_ttl_walk)
{
    pkt p;
    uint32_t ttl = 0;
    unsigned cnt = 0;
    srv_head(&p, 2);
    srv_rr(&p, 300, 1);
    srv_rr(&p, 120, 2);
    CHECK_INT(dns_answer_ttl(p.b, p.n, DNS_T_SRV, &ttl, &cnt), 0);
    CHECK_INT(ttl, 120);
    CHECK_INT(cnt, 2);
    CHECK_INT(dns_answer_ttl(p.b, p.n, DNS_T_A, &ttl, &cnt), 0);
    CHECK_INT(cnt, 0);

    /* the compressed target of the second RR decodes through a pointer */
    char name[DNS_NAME_MAX];
    size_t next = 0;
    size_t off = p.n - 5; /* "\2h2" + pointer */
    CHECK_INT(dns_read_name(p.b, p.n, off, name, sizeof name, &next), 0);
    CHECK(strcmp(name, "h2.example.test") == 0);
    CHECK_INT(next, p.n);
    CHECK_INT(dns_read_name(p.b, p.n, 12, name, sizeof name, &next), 0);
    CHECK(strcmp(name, "_sip._udp.example.test") == 0);

    /* RFC 2181 §8: a TTL with the top bit set counts as 0 */
    srv_head(&p, 1);
    srv_rr(&p, 0x80000001u, 1);
    CHECK_INT(dns_answer_ttl(p.b, p.n, DNS_T_SRV, &ttl, &cnt), 0);
    CHECK_INT(ttl, 0);

    /* no answers: count 0, ttl 0 */
    srv_head(&p, 0);
    CHECK_INT(dns_answer_ttl(p.b, p.n, DNS_T_SRV, &ttl, &cnt), 0);
    CHECK_INT(cnt, 0);
}

UNIT_TEST(net_resolve_ttl_malformed)
{
    pkt p;
    uint32_t ttl;
    unsigned cnt;
    char name[DNS_NAME_MAX];
    size_t next;

    /* Every truncation of a valid message is refused, never overread
     * (ASan watches the heap copy of exactly cut bytes). */
    srv_head(&p, 2);
    srv_rr(&p, 300, 1);
    srv_rr(&p, 120, 2);
    for (size_t cut = 0; cut < p.n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, p.b, cut);
        CHECK_INT(dns_answer_ttl(copy, cut, DNS_T_SRV, &ttl, &cnt),
                  SIPHON_EPARSE);
        free(copy);
    }
    /* an answer count larger than the records present */
    srv_head(&p, 3);
    srv_rr(&p, 300, 1);
    CHECK_INT(dns_answer_ttl(p.b, p.n, DNS_T_SRV, &ttl, &cnt), SIPHON_EPARSE);

    /* a pointer to itself, a forward pointer, and a two-pointer loop */
    uint8_t self[] = {0xC0, 0x00};
    CHECK_INT(dns_read_name(self, sizeof self, 0, name, sizeof name, &next),
              SIPHON_EPARSE);
    uint8_t fwd[] = {0xC0, 0x02, 0x00};
    CHECK_INT(dns_read_name(fwd, sizeof fwd, 0, name, sizeof name, &next),
              SIPHON_EPARSE);
    uint8_t loop2[] = {0x01, 'a', 0xC0, 0x00};
    CHECK_INT(dns_read_name(loop2, sizeof loop2, 0, name, sizeof name, &next),
              SIPHON_EPARSE);
    uint8_t back[] = {0x01, 'a', 0xC0, 0x00};
    CHECK_INT(dns_read_name(back, sizeof back, 2, name, sizeof name, &next),
              SIPHON_EPARSE); /* the pointed-to run ends in the same pointer */
    uint8_t ok[] = {0x01, 'a', 0x00, 0x01, 'b', 0xC0, 0x00};
    CHECK_INT(dns_read_name(ok, sizeof ok, 3, name, sizeof name, &next), 0);
    CHECK(strcmp(name, "b.a") == 0);
    CHECK_INT(next, 7);
    /* label types 01 and 10 are not allowed */
    uint8_t ext[] = {0x41, 'a', 0x00};
    CHECK_INT(dns_read_name(ext, sizeof ext, 0, name, sizeof name, &next),
              SIPHON_EPARSE);
    /* a name over 255 octets */
    uint8_t longn[400];
    size_t o = 0;
    for (int i = 0; i < 5; i++) {
        longn[o++] = 60;
        memset(longn + o, 'x', 60);
        o += 60;
    }
    longn[o++] = 0;
    CHECK_INT(dns_read_name(longn, o, 0, name, sizeof name, &next),
              SIPHON_ETOOBIG);
    /* a short output buffer */
    CHECK_INT(dns_read_name(ok, sizeof ok, 3, name, 3, &next), SIPHON_ETOOBIG);

    /* Random bytes behind a valid header: any answer, never a crash. */
    uint64_t s = 42;
    for (int round = 0; round < 2000; round++) {
        uint8_t *m = malloc(64);
        for (int i = 0; i < 64; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            m[i] = (uint8_t)(s >> 56);
        }
        m[4] = 0, m[5] = 1, m[6] = 0, m[7] = (uint8_t)(round % 4);
        (void)dns_answer_ttl(m, 64, DNS_T_SRV, &ttl, &cnt);
        free(m);
    }
}

/* RFC 2308: a NODATA answer with an SOA in the authority section may be
 * cached for min(SOA TTL, MINIMUM); without one, not at all. */
UNIT_TEST(net_resolve_negative_ttl)
{
    pkt p;
    uint32_t ttl = 0;
    srv_head(&p, 0);
    p.b[9] = 1; /* nscount */
    put16(&p, 0xC000 | 22); /* owner: example.test (compressed) */
    put16(&p, 6);
    put16(&p, 1);
    put32(&p, 3600);
    size_t rdl = p.n;
    put16(&p, 0);
    size_t rd0 = p.n;
    put8(&p, 2), put8(&p, 'n'), put8(&p, 's'), put16(&p, 0xC000 | 22);
    put16(&p, 0xC000 | 22); /* rname: just the pointer */
    put32(&p, 1), put32(&p, 2), put32(&p, 3), put32(&p, 4), put32(&p, 60);
    p.b[rdl] = (uint8_t)((p.n - rd0) >> 8);
    p.b[rdl + 1] = (uint8_t)(p.n - rd0);
    CHECK_INT(dns_negative_ttl(p.b, p.n, &ttl), 0);
    CHECK_INT(ttl, 60);
    /* SOA TTL smaller than MINIMUM */
    p.b[rd0 - 6] = 0, p.b[rd0 - 5] = 0, p.b[rd0 - 4] = 0, p.b[rd0 - 3] = 30;
    CHECK_INT(dns_negative_ttl(p.b, p.n, &ttl), 0);
    CHECK_INT(ttl, 30);
    /* truncations are refused */
    for (size_t cut = 0; cut < p.n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, p.b, cut);
        CHECK(dns_negative_ttl(copy, cut, &ttl) < 0);
        free(copy);
    }
    /* no SOA */
    srv_head(&p, 0);
    CHECK_INT(dns_negative_ttl(p.b, p.n, &ttl), SIPHON_ENOENT);
}

static uint32_t fixed_val;
static uint32_t fixed_rng(void *arg)
{
    (void)arg;
    return fixed_val;
}

static srv_rec mk(uint16_t prio, uint16_t weight, const char *t)
{
    srv_rec r;
    memset(&r, 0, sizeof r);
    r.priority = prio;
    r.weight = weight;
    r.port = 5060;
    snprintf(r.target, sizeof r.target, "%s", t);
    return r;
}

UNIT_TEST(net_resolve_srv_order)
{
    /* priority first, whatever the weights */
    srv_rec v[5] = {mk(20, 100, "c"), mk(10, 10, "a"), mk(10, 90, "b"),
                    mk(30, 0, "d"), mk(5, 0, "z")};
    fixed_val = 0; /* r = 0: the first record of the running list */
    srv_order(v, 5, fixed_rng, NULL);
    CHECK(!strcmp(v[0].target, "z"));
    CHECK(!strcmp(v[1].target, "a"));
    CHECK(!strcmp(v[2].target, "b"));
    CHECK(!strcmp(v[3].target, "c"));
    CHECK(!strcmp(v[4].target, "d"));

    /* r = 50 of sum 100: running sums 10, 100 -> b first */
    srv_rec w[2] = {mk(10, 10, "a"), mk(10, 90, "b")};
    fixed_val = 50;
    srv_order(w, 2, fixed_rng, NULL);
    CHECK(!strcmp(w[0].target, "b"));
    CHECK(!strcmp(w[1].target, "a"));

    /* weight 0 goes to the front of the running list: chosen only when
     * r == 0 (RFC 2782), otherwise after the weighted ones */
    srv_rec z[3] = {mk(1, 50, "x"), mk(1, 0, "zero"), mk(1, 50, "y")};
    fixed_val = 1;
    srv_order(z, 3, fixed_rng, NULL);
    CHECK(!strcmp(z[0].target, "x"));
    CHECK(!strcmp(z[1].target, "y"));
    CHECK(!strcmp(z[2].target, "zero"));
    srv_rec z2[2] = {mk(1, 50, "x"), mk(1, 0, "zero")};
    fixed_val = 0;
    srv_order(z2, 2, fixed_rng, NULL);
    CHECK(!strcmp(z2[0].target, "zero"));

    /* distribution: with an LCG, weight 90 wins about 90% of the time */
    uint64_t st = 7;
    int bfirst = 0;
    for (int i = 0; i < 1000; i++) {
        srv_rec d[2] = {mk(1, 10, "a"), mk(1, 90, "b")};
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        fixed_val = (uint32_t)(st >> 33);
        srv_order(d, 2, fixed_rng, NULL);
        bfirst += d[0].target[0] == 'b';
    }
    CHECK(bfirst > 850 && bfirst < 950);
    srv_order(NULL, 0, fixed_rng, NULL); /* empty is fine */
}

/* ---- the §4.2 shortcuts through the public API --------------------------- */

typedef struct got {
    bool called;
    int status;
    siphon_resolve_result *res;
} got;

static void on_res(void *arg, int status, siphon_resolve_result *res)
{
    got *g = arg;
    g->called = true;
    g->status = status;
    g->res = res;
}

static int resolve_text(siphon_loop *loop, siphon_resolver *r,
                        const char *text, got *g)
{
    siphon_arena a;
    siphon_uri u;
    siphon_arena_init(&a, NULL, 0);
    memset(g, 0, sizeof *g);
    int st = siphon_uri_parse(&a, text, strlen(text), &u, NULL);
    if (st == 0)
        st = siphon_resolve(r, &u, on_res, g, NULL);
    siphon_arena_free(&a);
    if (st < 0)
        return st;
    CHECK(!g->called); /* never from inside siphon_resolve() */
    /* at most ~3 s of real time, whatever the loop's clock */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (t = t0; !g->called && t.tv_sec - t0.tv_sec < 3;) {
        siphon_loop_run_once(loop, 10);
        clock_gettime(CLOCK_MONOTONIC, &t);
    }
    return g->called ? 0 : SIPHON_ETIMEDOUT;
}

static void check_one(const got *g, siphon_resolve_transport tp,
                      const char *addr)
{
    char buf[SIPHON_ADDR_STRLEN];
    CHECK_INT(g->status, 0);
    if (!g->res)
        return;
    CHECK_INT(g->res->n, 1);
    CHECK_INT(g->res->v[0].transport, tp);
    siphon_addr_format((const struct sockaddr *)&g->res->v[0].addr, buf,
                       sizeof buf);
    if (strcmp(buf, addr))
        unit_fail(__FILE__, __LINE__, "got %s, expected %s", buf, addr);
}

UNIT_TEST(net_resolve_numeric)
{
    siphon_loop *loop;
    siphon_resolver *r;
    siphon_resolver_config cfg;
    got g;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_resolver_config_default(&cfg);
    cfg.servers = "127.0.0.1:9"; /* must never be asked */
    CHECK_INT(siphon_resolver_new(loop, &cfg, &r), 0);

    CHECK_INT(resolve_text(loop, r, "sip:192.0.2.1", &g), 0);
    check_one(&g, SIPHON_RESOLVE_UDP, "192.0.2.1:5060");
    CHECK_INT(g.res ? g.res->v[0].expires_ms : 0, UINT64_MAX);
    CHECK(siphon_resolve_next(g.res) == &g.res->v[0]);
    CHECK(siphon_resolve_next(g.res) == NULL);
    siphon_resolve_result_free(g.res);

    CHECK_INT(resolve_text(loop, r, "sips:alice@[2001:db8::1]", &g), 0);
    check_one(&g, SIPHON_RESOLVE_TLS, "[2001:db8::1]:5061");
    siphon_resolve_result_free(g.res);

    CHECK_INT(resolve_text(loop, r, "sip:192.0.2.1:5070;transport=TCP", &g), 0);
    check_one(&g, SIPHON_RESOLVE_TCP, "192.0.2.1:5070");
    siphon_resolve_result_free(g.res);

    CHECK_INT(resolve_text(loop, r, "sips:192.0.2.1;transport=tcp", &g), 0);
    check_one(&g, SIPHON_RESOLVE_TLS, "192.0.2.1:5061");
    siphon_resolve_result_free(g.res);

    /* maddr overrides the host (RFC 3263 §4) */
    CHECK_INT(resolve_text(loop, r, "sip:x.example.test;maddr=198.51.100.7", &g),
              0);
    check_one(&g, SIPHON_RESOLVE_UDP, "198.51.100.7:5060");
    siphon_resolve_result_free(g.res);

    /* refused before any work */
    CHECK_INT(resolve_text(loop, r, "sips:192.0.2.1;transport=udp", &g),
              SIPHON_EINVAL);
    CHECK_INT(resolve_text(loop, r, "sip:192.0.2.1;transport=sctp", &g),
              SIPHON_EINVAL);
    CHECK_INT(resolve_text(loop, r, "tel:+15551234", &g), SIPHON_EINVAL);

    /* a cancelled query never calls back */
    siphon_arena a;
    siphon_uri u;
    siphon_resolve_query *q;
    siphon_arena_init(&a, NULL, 0);
    memset(&g, 0, sizeof g);
    CHECK_INT(siphon_uri_parse(&a, "sip:192.0.2.9", 13, &u, NULL), 0);
    CHECK_INT(siphon_resolve(r, &u, on_res, &g, &q), 0);
    siphon_resolve_cancel(q);
    siphon_loop_run_once(loop, 0);
    CHECK(!g.called);
    /* and one left pending is freed with the resolver */
    CHECK_INT(siphon_resolve(r, &u, on_res, &g, NULL), 0);
    siphon_arena_free(&a);

    siphon_resolver_stats st;
    siphon_resolver_get_stats(r, &st);
    CHECK_INT(st.dns_queries, 0);
    siphon_resolver_free(r);
    CHECK(!g.called);
    siphon_loop_free(loop);
}

/* A server that never answers: the query times out with c-ares' own
 * timer driven by the loop (real clock, 100 ms, one try). */
UNIT_TEST(net_resolve_timeout)
{
    siphon_loop *loop;
    siphon_resolver *r;
    siphon_resolver_config cfg;
    struct sockaddr_storage ss;
    char servers[SIPHON_ADDR_STRLEN];
    got g;
    CHECK_INT(siphon_loop_new(&loop), 0);
    /* bound but never read: datagrams pile up unanswered */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sin;
    CHECK(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    siphon_addr_format((struct sockaddr *)&ss, servers, sizeof servers);
    siphon_resolver_config_default(&cfg);
    cfg.servers = servers;
    cfg.timeout_ms = 100;
    cfg.tries = 1;
    CHECK_INT(siphon_resolver_new(loop, &cfg, &r), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(resolve_text(loop, r, "sip:nowhere.test:5060", &g), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_INT(g.status, SIPHON_ETIMEDOUT);
    CHECK(g.res == NULL);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 90 && ms < 900);
    siphon_resolver_free(r);
    close(fd);
    siphon_loop_free(loop);
}
