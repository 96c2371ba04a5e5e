/*
 * test_net_resolve_dns.c -- the RFC 3263 resolver against a real DNS
 * server: dnsmasq started on a loopback port for each test (stopped by
 * its pid), skipped with a message when dnsmasq is not installed.
 * Covers NAPTR -> SRV -> A/AAAA order (RFC 3263 §4.1-4.2), RFC 2782
 * priority and weight, the no-NAPTR and no-SRV fallbacks, failover
 * through the list (§4.3), TTL-bounded caching on a virtual clock, and
 * NXDOMAIN.
 */
#include "dnsmasq_support.h"
#include "unit.h"

#include <siphon/net.h>
#include <siphon/uri.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *records[] = {
    /* NAPTR: SCTP (unsupported, must be skipped) sorts first by order */
    "--naptr-record=example.test,5,50,s,SIP+D2S,,_sip._sctp.example.test",
    "--naptr-record=example.test,10,50,s,SIP+D2T,,_sip._tcp.example.test",
    "--naptr-record=example.test,20,50,s,SIP+D2U,,_sip._udp.example.test",
    "--naptr-record=example.test,30,50,s,SIPS+D2T,,_sips._tcp.example.test",
    "--srv-host=_sip._sctp.example.test,sctp.example.test,5060,1,0",
    "--srv-host=_sip._tcp.example.test,tcp2.example.test,5071,20,0",
    "--srv-host=_sip._tcp.example.test,tcp1.example.test,5070,10,0",
    "--srv-host=_sip._udp.example.test,udpz.example.test,5062,10,0",
    "--srv-host=_sip._udp.example.test,udpw.example.test,5063,10,100",
    "--srv-host=_sips._tcp.example.test,tls1.example.test,5061,10,0",
    "--srv-host=_sip._tcp.srvonly.test,tcp1.example.test,5090,10,0",
    "--host-record=tcp1.example.test,192.0.2.10,2001:db8::10",
    "--host-record=tcp2.example.test,192.0.2.11",
    "--host-record=udpz.example.test,192.0.2.20",
    "--host-record=udpw.example.test,192.0.2.21",
    "--host-record=tls1.example.test,192.0.2.30",
    "--host-record=sctp.example.test,192.0.2.99",
    "--host-record=aonly.test,192.0.2.40,2001:db8::40",
};

static uint64_t vnow = 1000000;
static uint64_t vclock(void *arg)
{
    (void)arg;
    return vnow;
}

static uint32_t rng_one(void *arg)
{
    (void)arg;
    return 1; /* any r > 0: a weighted record beats a weight-0 one */
}

typedef struct env {
    dm d;
    siphon_loop *loop;
    siphon_resolver *r;
} env;

static bool env_up(env *e, int ttl, bool virtual_clock)
{
    char servers[64];
    siphon_resolver_config cfg;
    memset(e, 0, sizeof *e);
    if (!dm_start(&e->d, ttl, records, sizeof records / sizeof records[0]))
        return false;
    siphon_loop_new(&e->loop);
    if (virtual_clock)
        siphon_loop_set_clock(e->loop, vclock, NULL);
    snprintf(servers, sizeof servers, "127.0.0.1:%d", e->d.port);
    siphon_resolver_config_default(&cfg);
    cfg.servers = servers;
    cfg.timeout_ms = 500;
    cfg.tries = 2;
    cfg.rng = rng_one;
    CHECK_INT(siphon_resolver_new(e->loop, &cfg, &e->r), 0);
    return e->r != NULL;
}

static void env_down(env *e)
{
    siphon_resolver_free(e->r);
    siphon_loop_free(e->loop);
    dm_stop(&e->d);
}

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

static int run(env *e, const char *text, got *g)
{
    siphon_arena a;
    siphon_uri u;
    siphon_arena_init(&a, NULL, 0);
    memset(g, 0, sizeof *g);
    int st = siphon_uri_parse(&a, text, strlen(text), &u, NULL);
    if (st == 0)
        st = siphon_resolve(e->r, &u, on_res, g, NULL);
    siphon_arena_free(&a);
    if (st < 0)
        return st;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (t = t0; !g->called && t.tv_sec - t0.tv_sec < 3;) {
        siphon_loop_run_once(e->loop, 10);
        clock_gettime(CLOCK_MONOTONIC, &t);
    }
    return g->called ? 0 : SIPHON_ETIMEDOUT;
}

static const char *tp_name(siphon_resolve_transport t)
{
    switch (t) {
    case SIPHON_RESOLVE_UDP: return "UDP";
    case SIPHON_RESOLVE_TCP: return "TCP";
    case SIPHON_RESOLVE_TLS: return "TLS";
    case SIPHON_RESOLVE_WS: return "WS";
    case SIPHON_RESOLVE_WSS: return "WSS";
    }
    return "?";
}

/* The list as "TCP 192.0.2.10:5070|TCP [2001:db8::10]:5070|...", walked
 * with siphon_resolve_next() as a caller failing over would (§4.3). */
static void check_list(int line, got *g, const char *want)
{
    char have[1024] = "";
    if (g->status != 0 || !g->res) {
        unit_fail(__FILE__, line, "status %d, expected a list", g->status);
        return;
    }
    const siphon_resolve_target *t;
    while ((t = siphon_resolve_next(g->res))) {
        char a[SIPHON_ADDR_STRLEN];
        siphon_addr_format((const struct sockaddr *)&t->addr, a, sizeof a);
        size_t l = strlen(have);
        snprintf(have + l, sizeof have - l, "%s%s %s", l ? "|" : "",
                 tp_name(t->transport), a);
    }
    if (strcmp(have, want))
        unit_fail(__FILE__, line, "got\n#     %s\n#   expected\n#     %s", have,
                  want);
    siphon_resolve_result_free(g->res);
    g->res = NULL;
}

UNIT_TEST(net_resolve_dns_order)
{
    env e;
    got g;
    siphon_resolver_stats st0, st1;
    if (!env_up(&e, 600, false))
        return;
    /* NAPTR order 10 (TCP) < 20 (UDP) < 30 (TLS), SCTP skipped; SRV
     * priority 10 before 20; weight 100 before weight 0; A before AAAA */
    CHECK_INT(run(&e, "sip:example.test", &g), 0);
    check_list(__LINE__, &g,
               "TCP 192.0.2.10:5070|TCP [2001:db8::10]:5070|"
               "TCP 192.0.2.11:5071|UDP 192.0.2.21:5063|UDP 192.0.2.20:5062|"
               "TLS 192.0.2.30:5061");
    /* sips: only SIPS+D2T (§4.1) */
    CHECK_INT(run(&e, "sips:bob@example.test", &g), 0);
    check_list(__LINE__, &g, "TLS 192.0.2.30:5061");
    /* ;transport: straight to that SRV, no NAPTR */
    CHECK_INT(run(&e, "sip:example.test;transport=udp", &g), 0);
    check_list(__LINE__, &g, "UDP 192.0.2.21:5063|UDP 192.0.2.20:5062");
    /* no NAPTR: SRV for each transport */
    CHECK_INT(run(&e, "sip:srvonly.test", &g), 0);
    check_list(__LINE__, &g, "TCP 192.0.2.10:5090|TCP [2001:db8::10]:5090");
    /* no SRV: A/AAAA with the default port and transport */
    CHECK_INT(run(&e, "sip:aonly.test", &g), 0);
    check_list(__LINE__, &g, "UDP 192.0.2.40:5060|UDP [2001:db8::40]:5060");
    CHECK_INT(run(&e, "sips:aonly.test", &g), 0);
    check_list(__LINE__, &g, "TLS 192.0.2.40:5061|TLS [2001:db8::40]:5061");
    /* explicit port: A and AAAA only, two queries */
    siphon_resolver_flush_cache(e.r);
    siphon_resolver_get_stats(e.r, &st0);
    CHECK_INT(run(&e, "sip:tcp1.example.test:5080;transport=tcp", &g), 0);
    check_list(__LINE__, &g, "TCP 192.0.2.10:5080|TCP [2001:db8::10]:5080");
    siphon_resolver_get_stats(e.r, &st1);
    CHECK_INT(st1.dns_queries - st0.dns_queries, 2);

    /* failover (§4.3): a 503 or transport error on the first target
     * means trying the next one, and so on until the list runs out */
    CHECK_INT(run(&e, "sip:example.test;transport=tcp", &g), 0);
    if (g.res) {
        const siphon_resolve_target *t1 = siphon_resolve_next(g.res);
        const siphon_resolve_target *t2 = siphon_resolve_next(g.res);
        const siphon_resolve_target *t3 = siphon_resolve_next(g.res);
        CHECK(t1 && t1->addr.ss_family == AF_INET && t1->port == 5070);
        CHECK(t2 && t2->addr.ss_family == AF_INET6 && t2->port == 5070);
        CHECK(t3 && t3->port == 5071);
        CHECK(siphon_resolve_next(g.res) == NULL);
        siphon_resolve_result_free(g.res);
    }

    /* IPv6 first, and IPv4 only */
    siphon_resolver *r6, *r4;
    siphon_resolver_config cfg;
    char servers[64];
    snprintf(servers, sizeof servers, "127.0.0.1:%d", e.d.port);
    siphon_resolver_config_default(&cfg);
    cfg.servers = servers;
    cfg.rng = rng_one;
    cfg.prefer_ipv6 = true;
    CHECK_INT(siphon_resolver_new(e.loop, &cfg, &r6), 0);
    cfg.prefer_ipv6 = false;
    cfg.no_ipv6 = true;
    CHECK_INT(siphon_resolver_new(e.loop, &cfg, &r4), 0);
    siphon_resolver *keep = e.r;
    e.r = r6;
    CHECK_INT(run(&e, "sip:srvonly.test", &g), 0);
    check_list(__LINE__, &g, "TCP [2001:db8::10]:5090|TCP 192.0.2.10:5090");
    e.r = r4;
    CHECK_INT(run(&e, "sip:aonly.test", &g), 0);
    check_list(__LINE__, &g, "UDP 192.0.2.40:5060");
    e.r = keep;
    siphon_resolver_free(r6);
    siphon_resolver_free(r4);
    env_down(&e);
}

static char last_log[512];
static void log_hook(siphon_log_level level, const char *module,
                     const char *text, void *arg)
{
    (void)arg;
    if (level <= SIPHON_LOG_WARN)
        snprintf(last_log, sizeof last_log, "%s: %s", module, text);
}

UNIT_TEST(net_resolve_dns_errors)
{
    env e;
    got g;
    if (!env_up(&e, 600, false))
        return;
    siphon_log_set_hook(log_hook, NULL);
    last_log[0] = '\0';
    siphon_resolver_stats s0, s1;
    siphon_resolver_get_stats(e.r, &s0);
    CHECK_INT(run(&e, "sip:nope.test", &g), 0);
    siphon_resolver_get_stats(e.r, &s1);
    CHECK_INT(s1.dns_queries - s0.dns_queries, 1); /* NXDOMAIN ends it */
    CHECK_INT(g.status, SIPHON_ENOENT);
    CHECK(g.res == NULL);
    if (!strstr(last_log, "nope.test") || !strstr(last_log, "NAPTR"))
        unit_fail(__FILE__, __LINE__, "log line: \"%s\"", last_log);
    /* the name exists but nothing SIP is there: no usable records */
    last_log[0] = '\0';
    CHECK_INT(run(&e, "sip:example.test:5060", &g), 0);
    CHECK_INT(g.status, SIPHON_ENOENT);
    CHECK(last_log[0] != '\0');
    if (!strstr(last_log, "no usable records"))
        unit_fail(__FILE__, __LINE__, "log line: \"%s\"", last_log);
    siphon_log_set_hook(NULL, NULL);
    env_down(&e);

    /* nothing listens on the server port (ICMP port unreachable): an
     * error soon, not a hang */
    siphon_loop *loop;
    siphon_resolver *r;
    siphon_resolver_config cfg;
    char servers[64];
    snprintf(servers, sizeof servers, "127.0.0.1:%d", free_port());
    siphon_loop_new(&loop);
    siphon_resolver_config_default(&cfg);
    cfg.servers = servers;
    cfg.timeout_ms = 200;
    cfg.tries = 1;
    CHECK_INT(siphon_resolver_new(loop, &cfg, &r), 0);
    e.loop = loop;
    e.r = r;
    CHECK_INT(run(&e, "sip:example.test", &g), 0);
    CHECK(g.status == SIPHON_EIO || g.status == SIPHON_ETIMEDOUT);
    CHECK(g.res == NULL);
    siphon_resolver_free(r);
    siphon_loop_free(loop);

    /* a bad server list */
    cfg.servers = "not an address";
    siphon_loop_new(&loop);
    CHECK_INT(siphon_resolver_new(loop, &cfg, &r), SIPHON_EINVAL);
    siphon_loop_free(loop);
}

UNIT_TEST(net_resolve_dns_ttl)
{
    env e;
    got g;
    siphon_resolver_stats s0, s1, s2, s3;
    vnow = 1000000;
    if (!env_up(&e, 5, true))
        return;
    CHECK_INT(run(&e, "sip:example.test", &g), 0);
    CHECK_INT(g.status, 0);
    if (g.res) {
        CHECK_INT(g.res->v[0].ttl, 5);
        CHECK_INT(g.res->v[0].expires_ms, vnow + 5000);
        siphon_resolve_result_free(g.res);
    }
    siphon_resolver_get_stats(e.r, &s0);
    CHECK_INT(s0.dns_queries, 14); /* NAPTR, 3 SRV, 5 targets x (A, AAAA) */

    /* before expiry: the same list from the cache, no traffic */
    vnow += 3000;
    CHECK_INT(run(&e, "sip:example.test", &g), 0);
    siphon_resolver_get_stats(e.r, &s1);
    /* only the four AAAA lookups that had no data go out again: dnsmasq
     * sends no SOA with them, and without one RFC 2308 §5 forbids
     * caching a negative answer */
    CHECK_INT(s1.dns_queries, s0.dns_queries + 4);
    CHECK(s1.cache_hits > s0.cache_hits);
    if (g.res) { /* remaining lifetime, not the original TTL */
        CHECK_INT(g.res->v[0].ttl, 2);
        CHECK_INT(g.res->v[0].expires_ms, vnow + 2000);
    }
    check_list(__LINE__, &g,
               "TCP 192.0.2.10:5070|TCP [2001:db8::10]:5070|"
               "TCP 192.0.2.11:5071|UDP 192.0.2.21:5063|UDP 192.0.2.20:5062|"
               "TLS 192.0.2.30:5061");

    /* after expiry: asked again */
    vnow += 2500;
    CHECK_INT(run(&e, "sip:example.test", &g), 0);
    siphon_resolver_get_stats(e.r, &s2);
    CHECK_INT(s2.dns_queries, s1.dns_queries + 14);
    siphon_resolve_result_free(g.res);

    /* cancel mid-flight: no callback, nothing leaks */
    siphon_resolver_flush_cache(e.r);
    siphon_arena a;
    siphon_uri u;
    siphon_resolve_query *q;
    siphon_arena_init(&a, NULL, 0);
    memset(&g, 0, sizeof g);
    CHECK_INT(siphon_uri_parse(&a, "sip:example.test", 16, &u, NULL), 0);
    CHECK_INT(siphon_resolve(e.r, &u, on_res, &g, &q), 0);
    siphon_arena_free(&a);
    siphon_loop_run_once(e.loop, 0); /* NAPTR sent */
    siphon_resolver_get_stats(e.r, &s3);
    CHECK(s3.dns_queries > s2.dns_queries);
    siphon_resolve_cancel(q);
    for (int i = 0; i < 20; i++)
        siphon_loop_run_once(e.loop, 10);
    CHECK(!g.called);

    /* freeing the resolver with a lookup in flight: no callback, no leak
     * (c-ares hands the lookup back with ARES_EDESTRUCTION) */
    siphon_resolver_flush_cache(e.r);
    siphon_arena_init(&a, NULL, 0);
    CHECK_INT(siphon_uri_parse(&a, "sip:example.test", 16, &u, NULL), 0);
    CHECK_INT(siphon_resolve(e.r, &u, on_res, &g, NULL), 0);
    siphon_arena_free(&a);
    siphon_loop_run_once(e.loop, 0);
    env_down(&e);
    CHECK(!g.called);
}
