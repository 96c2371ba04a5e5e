/*
 * test_proxy_fork.c -- forking and response processing of the stateful
 * proxy core on a virtual clock: parallel and sequential forking (RFC
 * 3261 §16.6), recursion (§16.5), response processing and the best
 * response (§16.7), Timer C (§16.8), transport errors (§16.9) and CANCEL
 * (§16.10).
 */
#include "unit.h"
#include "test_proxy_support.h"
#include "txn_support.h"

#include <stdlib.h>

#define SRV ((void *)0x5e)
#define CHECK_TRACE(r, want) CHECK_STR(siphon_str_c(prec_trace(r)), want)

/* Feed a response from downstream to the forwarded request f. */
static void reply(siphon_proxy *px, prec *r, prec_ev *f, int status,
                  const char *totag, const char *extra, uint64_t now)
{
    CHECK(f != NULL);
    if (!f)
        return;
    siphon_msg *m = px_reply(f->msg, status, totag, extra);
    CHECK(m != NULL);
    prec_run(px, r, now);
    CHECK_INT(siphon_proxy_response(px, m, now), 0);
    prec_drain(px, r, now);
    siphon_msg_unref(m);
}

static siphon_msg *invite(void)
{
    return px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
}

/* The k-th FORWARD, looked up afresh (the array does not move). */
#define FWD(k) prec_nth(&r, SIPHON_PROXY_EV_FORWARD, (k))

UNIT_TEST(proxy_16_7_parallel_486_200_cancels_other)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com",
                              "sip:bob@c.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 3, 0) != NULL);
    prec_ev *a = FWD(0), *b = FWD(1), *c = FWD(2);
    reply(px, &r, a, 100, NULL, NULL, 10);  /* absorbed */
    reply(px, &r, c, 180, "tc", NULL, 20);  /* forwarded */
    reply(px, &r, a, 486, "ta", NULL, 30);  /* kept */
    reply(px, &r, b, 200, "tb", NULL, 40);  /* forwarded; c CANCELled */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 FORWARD#3 RESPOND(180)@20 "
                    "RESPOND(200)@40 CANCEL_BRANCH#3@40");
    prec_ev *cb = prec_nth(&r, SIPHON_PROXY_EV_CANCEL_BRANCH, 0);
    if (cb) {
        /* §9.1: the CANCEL mirrors the branch's INVITE. */
        CHECK_STR(siphon_msg_method(cb->msg), "CANCEL");
        CHECK_STR(siphon_msg_ruri_str(cb->msg), "sip:bob@c.example.com");
        CHECK_STR(siphon_str_c(cb->hop), "sip:bob@c.example.com");
        const siphon_via *v = siphon_msg_via(cb->msg);
        const siphon_via *vi = siphon_msg_via(FWD(2)->msg);
        CHECK(v && vi && siphon_str_eq(v->branch, vi->branch));
        const siphon_cseq *cs = siphon_msg_cseq(cb->msg);
        CHECK(cs && cs->num == 7 && cs->method_id == SIPHON_METHOD_CANCEL);
        /* Its 200 ends with us. */
        siphon_msg *ok = px_reply(cb->msg, 200, "tc", NULL);
        CHECK_INT(siphon_proxy_response(px, ok, 50), 0);
        siphon_msg_unref(ok);
    }
    prec_ev *up = prec_nth(&r, SIPHON_PROXY_EV_RESPOND, 1);
    if (up) {
        /* §16.7 step 3: our Via is gone, the client's is on top. */
        const siphon_via *v = siphon_msg_via(up->msg);
        CHECK(v && siphon_str_eq(v->branch, SIPHON_STR_LIT("z9hG4bKc1")));
        CHECK(up->server == SRV);
    }
    reply(px, &r, FWD(2), 487, "tc", NULL, 60);
    CHECK(strstr(prec_trace(&r), "DONE(200)@60") != NULL);
    CHECK_INT(siphon_proxy_count(px), 0);
    CHECK_INT(siphon_proxy_next_deadline(px), UINT64_MAX);
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_6_sequential_by_q)
{
    /* q 1.0 and 0.5 first? No: 0.8 x2 in parallel, then 0.5. */
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@low.example.com", "sip:bob@h1.example.com",
                              "sip:bob@h2.example.com"};
    const int q[] = {500, 800, 800};
    CHECK(px_route(px, &r, inv, SRV, tg, q, 3, 0) != NULL);
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2");
    CHECK_STR(siphon_msg_ruri_str(FWD(0)->msg), "sip:bob@h1.example.com");
    CHECK_STR(siphon_msg_ruri_str(FWD(1)->msg), "sip:bob@h2.example.com");
    reply(px, &r, FWD(0), 404, "x", NULL, 10);
    CHECK_INT(prec_count(&r, SIPHON_PROXY_EV_FORWARD), 2); /* h2 pending */
    reply(px, &r, FWD(1), 480, "y", NULL, 20);
    CHECK_INT(prec_count(&r, SIPHON_PROXY_EV_FORWARD), 3);
    if (FWD(2))
        CHECK_STR(siphon_msg_ruri_str(FWD(2)->msg), "sip:bob@low.example.com");
    reply(px, &r, FWD(2), 200, "z", NULL, 30);
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 FORWARD#3@20 RESPOND(200)@30 "
                    "DONE(200)@30");
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_7_6xx_ends_search)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com",
                              "sip:bob@later.example.com"};
    const int q[] = {900, 900, 100};
    CHECK(px_route(px, &r, inv, SRV, tg, q, 3, 0) != NULL);
    reply(px, &r, FWD(1), 180, "tb", NULL, 5);
    reply(px, &r, FWD(0), 603, "ta", NULL, 10);
    /* Not forwarded yet; b is CANCELled; the lower group never starts. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 RESPOND(180)@5 CANCEL_BRANCH#2@10");
    reply(px, &r, FWD(1), 487, "tb", NULL, 20);
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 RESPOND(180)@5 CANCEL_BRANCH#2@10 "
                    "RESPOND(603)@20 DONE(603)@20");
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_7_step6_best_response_404_500)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com",
                              "sip:bob@c.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 3, 0) != NULL);
    reply(px, &r, FWD(0), 500, "ta", NULL, 10);
    reply(px, &r, FWD(1), 404, "tb", NULL, 20);
    reply(px, &r, FWD(2), 302, "tc", "Contact: <sip:bob@elsewhere.example.com>\n", 30);
    /* 3xx is the lowest class: it wins over 404 and 500. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 FORWARD#3 RESPOND(302)@30 DONE(302)@30");
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);

    px = px_new(false);
    inv = invite();
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 2, 0) != NULL);
    reply(px, &r, FWD(0), 500, "ta", NULL, 10);
    reply(px, &r, FWD(1), 404, "tb", NULL, 20);
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 RESPOND(404)@20 DONE(404)@20");
    prec_ev *up = prec_nth(&r, SIPHON_PROXY_EV_RESPOND, 0);
    if (up) {
        const siphon_nameaddr *to = siphon_msg_to(up->msg);
        CHECK(to && siphon_str_eq(to->tag, SIPHON_STR_LIT("tb")));
    }
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_7_step6_503_becomes_500)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 1, 0) != NULL);
    reply(px, &r, FWD(0), 503, "ta", "Retry-After: 30\n", 10);
    CHECK_TRACE(&r, "FORWARD#1 RESPOND(500)@10 DONE(500)@10");
    prec_ev *up = prec_nth(&r, SIPHON_PROXY_EV_RESPOND, 0);
    if (up)
        CHECK_INT(siphon_msg_status(up->msg), 500);
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_7_step7_401_407_aggregation)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com",
                              "sip:bob@c.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 3, 0) != NULL);
    reply(px, &r, FWD(0), 404, "ta", NULL, 10);
    reply(px, &r, FWD(1), 401, "tb",
          "WWW-Authenticate: Digest realm=\"b.example.com\", nonce=\"n1\"\n", 20);
    reply(px, &r, FWD(2), 407, "tc",
          "Proxy-Authenticate: Digest realm=\"c.example.com\", nonce=\"n2\"\n"
          "WWW-Authenticate: Digest realm=\"c2.example.com\", nonce=\"n3\"\n",
          30);
    /* §16.7 step 6 prefers 401/407 within 4xx; step 7 merges them. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 FORWARD#3 RESPOND(401)@30 DONE(401)@30");
    prec_ev *up = prec_nth(&r, SIPHON_PROXY_EV_RESPOND, 0);
    if (up) {
        int www = 0, pa = 0;
        for (long i = siphon_msg_hdr_next(up->msg, SIPHON_HDR_WWW_AUTHENTICATE, 0);
             i >= 0; i = siphon_msg_hdr_next(up->msg, SIPHON_HDR_WWW_AUTHENTICATE,
                                              (size_t)i + 1))
            www++;
        for (long i = siphon_msg_hdr_next(up->msg, SIPHON_HDR_PROXY_AUTHENTICATE, 0);
             i >= 0; i = siphon_msg_hdr_next(up->msg, SIPHON_HDR_PROXY_AUTHENTICATE,
                                              (size_t)i + 1))
            pa++;
        CHECK_INT(www, 2);
        CHECK_INT(pa, 1);
    }
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_8_timer_c_408_when_nothing_answers)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 1, 0) != NULL);
    CHECK_INT(siphon_proxy_next_deadline(px), 185000);
    prec_run(px, &r, 200000);
    /* §16.8: no provisional: as if a 408 came; §16.7 step 6 sends it. */
    CHECK_TRACE(&r, "FORWARD#1 RESPOND(408)@185000 DONE(408)@185000");
    CHECK_INT(siphon_proxy_next_deadline(px), UINT64_MAX);
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_8_timer_c_reset_then_cancel)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 1, 0) != NULL);
    reply(px, &r, FWD(0), 180, "ta", NULL, 100000); /* resets Timer C */
    CHECK_INT(siphon_proxy_next_deadline(px), 285000);
    prec_run(px, &r, 285000);
    CHECK_TRACE(&r, "FORWARD#1 RESPOND(180)@100000 CANCEL_BRANCH#1@285000");
    /* The 487 comes: it is the best (only) response. */
    reply(px, &r, FWD(0), 487, "ta", NULL, 285100);
    CHECK_TRACE(&r, "FORWARD#1 RESPOND(180)@100000 CANCEL_BRANCH#1@285000 "
                    "RESPOND(487)@285100 DONE(487)@285100");
    prec_clear(&r);
    siphon_msg_unref(inv);

    /* A CANCELled branch that never answers: 64*T1 later it counts as a
     * 408. */
    inv = invite();
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 1, 0) != NULL);
    reply(px, &r, FWD(0), 183, "ta", NULL, 0);
    prec_run(px, &r, 500000);
    CHECK_TRACE(&r, "FORWARD#2 RESPOND(183) CANCEL_BRANCH#2@185000 "
                    "RESPOND(408)@217000 DONE(408)@217000");
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_10_cancel_from_upstream)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    siphon_msg *cancel = px_request("CANCEL", "sip:bob@biloxi.example.com", NULL);
    siphon_msg *other = tx_request("CANCEL", "z9hG4bKnone", SENTBY, NULL);
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 2, 0) != NULL);
    reply(px, &r, FWD(0), 180, "ta", NULL, 10);
    void *csrv = (void *)0xca;
    CHECK_INT(siphon_proxy_receive(px, cancel, csrv, NULL, 20, NULL),
              SIPHON_PROXY_HANDLED);
    prec_drain(px, &r, 20);
    /* 200 to the CANCEL; a is CANCELled now, b when it rings. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 RESPOND(180)@10 RESPOND(200)@20 "
                    "CANCEL_BRANCH#1@20");
    prec_ev *ok = prec_nth(&r, SIPHON_PROXY_EV_RESPOND, 1);
    if (ok) {
        CHECK(ok->server == csrv);
        const siphon_cseq *cs = siphon_msg_cseq(ok->msg);
        CHECK(cs && cs->method_id == SIPHON_METHOD_CANCEL);
    }
    reply(px, &r, FWD(1), 180, "tb", NULL, 30);
    CHECK(prec_count(&r, SIPHON_PROXY_EV_CANCEL_BRANCH) == 2);
    reply(px, &r, FWD(0), 487, "ta", NULL, 40);
    reply(px, &r, FWD(1), 487, "tb", NULL, 50);
    CHECK(strstr(prec_trace(&r), "RESPOND(487)@50 DONE(487)@50") != NULL);
    prec_clear(&r);
    /* A CANCEL that matches nothing. */
    CHECK_INT(siphon_proxy_receive(px, other, csrv, NULL, 60, NULL),
              SIPHON_PROXY_HANDLED);
    prec_drain(px, &r, 60);
    CHECK_TRACE(&r, "RESPOND(481)@60");
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_msg_unref(cancel);
    siphon_msg_unref(other);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_7_step5_2xx_retransmissions_forwarded)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 2, 0) != NULL);
    reply(px, &r, FWD(1), 180, "tb", NULL, 5);
    reply(px, &r, FWD(0), 200, "ta", NULL, 10);
    reply(px, &r, FWD(0), 200, "ta", NULL, 510);  /* retransmission */
    reply(px, &r, FWD(1), 200, "tb", NULL, 520);  /* the other fork's 2xx */
    /* Every 2xx goes up through the server transaction (§16.7 step 5);
     * the context is done once b has answered. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 RESPOND(180)@5 RESPOND(200)@10 "
                    "CANCEL_BRANCH#2@10 RESPOND(200)@510 RESPOND(200)@520 "
                    "DONE(200)@520");
    /* After DONE, a 2xx retransmission goes up statelessly (§16.7 step 1). */
    reply(px, &r, FWD(0), 200, "ta", NULL, 1010);
    CHECK(strstr(prec_trace(&r), "DONE(200)@520 RESPOND(200,stateless)@1010"));
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_7_non_invite_one_final)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("MESSAGE", "sip:bob@biloxi.example.com", NULL);
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com"};
    CHECK(px_route(px, &r, m, SRV, tg, NULL, 2, 0) != NULL);
    CHECK_INT(siphon_proxy_next_deadline(px), UINT64_MAX); /* no Timer C */
    reply(px, &r, FWD(0), 202, "ta", NULL, 10);
    reply(px, &r, FWD(1), 200, "tb", NULL, 20);
    /* No CANCEL for a non-INVITE (§9.1); one final only. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 RESPOND(202)@10 DONE(202)@20");
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_9_branch_failed_timeout_and_transport)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("OPTIONS", "sip:bob@biloxi.example.com", NULL);
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com"};
    CHECK(px_route(px, &r, m, SRV, tg, NULL, 2, 0) != NULL);
    CHECK_INT(siphon_proxy_branch_failed(px, FWD(0)->msg, SIPHON_EIO, 10), 0);
    CHECK_INT(siphon_proxy_branch_failed(px, FWD(0)->msg, SIPHON_EIO, 10), 0);
    CHECK_INT(siphon_proxy_branch_failed(px, FWD(1)->msg, SIPHON_ETIMEDOUT, 32000), 0);
    prec_drain(px, &r, 32000);
    /* 408 (4xx) beats 503 (5xx). */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2 RESPOND(408)@32000 DONE(408)@32000");
    CHECK_INT(siphon_proxy_branch_failed(px, FWD(0)->msg, SIPHON_EIO, 40000),
              SIPHON_ENOENT);
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_5_recursion_on_3xx)
{
    siphon_proxy_config cfg = SIPHON_PROXY_CONFIG_DEFAULT;
    cfg.host = "proxy.example.com";
    cfg.recurse = true;
    siphon_proxy *px = siphon_proxy_new(&cfg);
    prec r = {0};
    siphon_msg *inv = invite();
    const char *const tg[] = {"sip:bob@a.example.com"};
    CHECK(px_route(px, &r, inv, SRV, tg, NULL, 1, 0) != NULL);
    reply(px, &r, FWD(0), 302, "ta",
          "Contact: <sip:bob@x.example.com>;q=0.5, <sip:bob@y.example.com>;q=0.9, "
          "<sip:bob@a.example.com>\n", 10);
    /* y first (q 0.9), a is already in the target set. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2@10");
    if (FWD(1))
        CHECK_STR(siphon_msg_ruri_str(FWD(1)->msg), "sip:bob@y.example.com");
    reply(px, &r, FWD(1), 486, "ty", NULL, 20);
    if (FWD(2))
        CHECK_STR(siphon_msg_ruri_str(FWD(2)->msg), "sip:bob@x.example.com");
    reply(px, &r, FWD(2), 480, "tx", NULL, 30);
    /* The 302 was consumed by recursion: 480 and 486 remain; first 4xx. */
    CHECK_TRACE(&r, "FORWARD#1 FORWARD#2@10 FORWARD#3@20 RESPOND(486)@30 "
                    "DONE(486)@30");
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_10_cancel_before_forwarding)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *inv = invite();
    siphon_msg *cancel = px_request("CANCEL", "sip:bob@biloxi.example.com", NULL);
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(siphon_proxy_receive(px, inv, SRV, NULL, 0, &c), SIPHON_PROXY_CONTEXT);
    CHECK_INT(siphon_proxy_receive(px, cancel, (void *)0xca, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED);
    CHECK_INT(siphon_proxy_start(px, c, 0), SIPHON_ESTATE);
    CHECK_INT(siphon_proxy_add_target(px, c, "sip:x@y.example.com", -1, NULL),
              SIPHON_ESTATE);
    prec_drain(px, &r, 0);
    CHECK_TRACE(&r, "RESPOND(200) RESPOND(487) DONE(487)");
    prec_clear(&r);
    siphon_msg_unref(inv);
    siphon_msg_unref(cancel);
    siphon_proxy_free(px);
}
