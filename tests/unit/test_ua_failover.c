/*
 * test_ua_failover.c -- RFC 3263 §4.3 through the endpoint, against a
 * real dnsmasq: a request located by SRV moves to the next target on a
 * 503, on a refused TCP connection (a transport error, RFC 3261 §17.1.4)
 * and on a timeout (Timer F, on a virtual clock).
 */
#include "dnsmasq_support.h"
#include "test_net_tcp_support.h"
#include "unit.h"

#include <siphon/ua.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct peer {
    siphon_ua *ua;
    uint16_t port;
    int answer, requests;
} peer;

static void peer_request(void *arg, siphon_ua *ua, siphon_txn *stx,
                         siphon_msg *req, const siphon_ua_flow *from)
{
    peer *p = arg;
    (void)from;
    if (!stx)
        return;
    p->requests++;
    siphon_msg *resp = NULL;
    if (p->answer &&
        siphon_msg_response(req, p->answer, SIPHON_STR_NULL,
                            siphon_str_c("p"), &resp) == 0) {
        siphon_ua_respond(ua, stx, resp);
        siphon_msg_unref(resp);
    }
}

/* A peer listening on UDP and TCP at the same loopback port. */
static void peer_open(siphon_loop *loop, peer *p, int answer)
{
    memset(p, 0, sizeof *p);
    p->answer = answer;
    siphon_ua_handlers h = {.request = peer_request, .arg = p};
    CHECK_INT(siphon_ua_new(loop, NULL, &h, &p->ua), 0);
    struct sockaddr_storage a;
    CHECK_INT(siphon_ua_listen(p->ua, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               &a),
              0);
    p->port = siphon_addr_port((struct sockaddr *)&a);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", p->port);
    CHECK_INT(siphon_ua_listen(p->ua, SIPHON_RESOLVE_TCP, addr, NULL, NULL), 0);
}

typedef struct outcome {
    int finals, status, err;
} outcome;

static void on_response(void *arg, siphon_ua_client *c, siphon_msg *resp,
                        int err, bool final)
{
    outcome *o = arg;
    (void)c;
    if (!final)
        return;
    o->finals++;
    o->err = err;
    o->status = resp ? siphon_msg_status(resp) : 0;
}

static siphon_msg *options_to(const char *ruri)
{
    static int seq;
    char text[512];
    int n = snprintf(text, sizeof text,
                     "OPTIONS %s SIP/2.0\r\nMax-Forwards: 70\r\n"
                     "From: <sip:a@fo.test>;tag=f\r\nTo: <%s>\r\n"
                     "Call-ID: fo-%d\r\nCSeq: 7 OPTIONS\r\n"
                     "Content-Length: 0\r\n\r\n",
                     ruri, ruri, ++seq);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parse(text, (size_t)n, NULL, &m, &err), 0);
    return m;
}

UNIT_TEST(ua_failover_503_refused_and_timeout)
{
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    tcpt_vnow = 5000000;
    siphon_loop_set_clock(loop, tcpt_vclock, NULL);
    peer busy, good;
    peer_open(loop, &busy, 503);
    peer_open(loop, &good, 200);
    /* A UDP port that never answers, and a TCP port nobody listens on. */
    int silent_port = free_port();
    int silent = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)silent_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(bind(silent, (struct sockaddr *)&sin, sizeof sin), 0);
    int refused_port = free_port();

    char rec[8][128];
    snprintf(rec[0], sizeof rec[0],
             "--srv-host=_sip._udp.busy.test,one.fo.test,%u,10,0", busy.port);
    snprintf(rec[1], sizeof rec[1],
             "--srv-host=_sip._udp.busy.test,two.fo.test,%u,20,0", good.port);
    snprintf(rec[2], sizeof rec[2],
             "--srv-host=_sip._tcp.refused.test,one.fo.test,%d,10,0",
             refused_port);
    snprintf(rec[3], sizeof rec[3],
             "--srv-host=_sip._tcp.refused.test,two.fo.test,%u,20,0",
             good.port);
    snprintf(rec[4], sizeof rec[4],
             "--srv-host=_sip._udp.silent.test,one.fo.test,%d,10,0",
             silent_port);
    snprintf(rec[5], sizeof rec[5],
             "--srv-host=_sip._udp.silent.test,two.fo.test,%u,20,0", good.port);
    snprintf(rec[6], sizeof rec[6], "--host-record=one.fo.test,127.0.0.1");
    snprintf(rec[7], sizeof rec[7], "--host-record=two.fo.test,127.0.0.1");
    const char *records[8];
    for (int i = 0; i < 8; i++)
        records[i] = rec[i];
    dm d;
    if (!dm_start(&d, 60, records, 8)) {
        close(silent);
        siphon_ua_free(busy.ua);
        siphon_ua_free(good.ua);
        siphon_loop_free(loop);
        return;
    }
    char servers[64];
    snprintf(servers, sizeof servers, "127.0.0.1:%d", d.port);
    siphon_ua_config cfg;
    siphon_ua_config_default(&cfg);
    cfg.dns_servers = servers;
    siphon_ua *ua;
    CHECK_INT(siphon_ua_new(loop, &cfg, NULL, &ua), 0);
    CHECK_INT(siphon_ua_listen(ua, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               NULL),
              0);

    /* 503 from the first SRV target: the second answers 200. */
    outcome o = {0};
    siphon_msg *req = options_to("sip:x@busy.test;transport=udp");
    CHECK_INT(siphon_ua_request(ua, req, NULL, on_response, &o, NULL), 0);
    siphon_msg_unref(req);
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.status, 200);
    CHECK_INT(busy.requests, 1);
    CHECK_INT(good.requests, 1);

    /* Connection refused by the first: a transport error, then TCP to
     * the second. */
    memset(&o, 0, sizeof o);
    req = options_to("sip:x@refused.test;transport=tcp");
    CHECK_INT(siphon_ua_request(ua, req, NULL, on_response, &o, NULL), 0);
    siphon_msg_unref(req);
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.status, 200);
    CHECK_INT(good.requests, 2);

    /* Silence: Timer F (32 s of virtual time) moves on to the second. */
    memset(&o, 0, sizeof o);
    req = options_to("sip:x@silent.test;transport=udp");
    CHECK_INT(siphon_ua_request(ua, req, NULL, on_response, &o, NULL), 0);
    siphon_msg_unref(req);
    siphon_ua_stats st;
    siphon_ua_get_stats(ua, &st);
    uint64_t sent_before = st.tx_messages;
    for (int i = 0; i < 300; i++) { /* DNS answers in real time */
        siphon_loop_run_once(loop, 10);
        siphon_ua_get_stats(ua, &st);
        if (st.tx_messages > sent_before)
            break;
    }
    CHECK_INT(o.finals, 0);
    tcpt_vnow += 32000;
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.status, 200);
    CHECK_INT(good.requests, 3);
    siphon_ua_get_stats(ua, &st);
    CHECK_INT(st.failovers, 3);

    /* A name with no records at all: the TU hears ENOENT. */
    memset(&o, 0, sizeof o);
    req = options_to("sip:x@nothing.test");
    CHECK_INT(siphon_ua_request(ua, req, NULL, on_response, &o, NULL), 0);
    siphon_msg_unref(req);
    for (int i = 0; i < 300 && !o.finals; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(o.finals, 1);
    CHECK_INT(o.err, SIPHON_ENOENT);

    siphon_ua_free(ua);
    dm_stop(&d);
    close(silent);
    siphon_ua_free(busy.ua);
    siphon_ua_free(good.ua);
    siphon_loop_free(loop);
}
