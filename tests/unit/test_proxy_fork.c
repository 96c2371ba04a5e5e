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

/* The targets most tests fork to; a test takes the first n. */
static const char *const abc[] = {"sip:bob@a.example.com",
                                  "sip:bob@b.example.com",
                                  "sip:bob@c.example.com"};

/* A test on a fresh proxy that has routed an INVITE to uris[0..n) with
 * q-values qs (NULL: none); px_end(t) ends it. */
static pxt *forked(const char *const *uris, const int *qs, size_t n)
{
    pxt *t = px_begin(px_new(false));
    CHECK(px_route(t, px_invite(t), uris, qs, n) != NULL);
    return t;
}

/* The nth response that went up is there and has status. */
static prec_ev *went_up(pxt *t, size_t nth, int status)
{
    prec_ev *up = prec_nth(&t->r, SIPHON_PROXY_EV_RESPOND, nth);
    CHECK(up != NULL);
    if (up)
        CHECK_INT(siphon_msg_status(up->msg), status);
    return up;
}

UNIT_TEST(proxy_16_7_parallel_486_200_cancels_other)
{
    pxt *t = forked(abc, NULL, 3);
    prec_ev *a = px_fwd(t, 0), *b = px_fwd(t, 1), *c = px_fwd(t, 2);
    px_answer(t, a, 100, NULL, NULL, 10);  /* absorbed */
    px_answer(t, c, 180, "tc", NULL, 20);  /* forwarded */
    px_answer(t, a, 486, "ta", NULL, 30);  /* kept */
    px_answer(t, b, 200, "tb", NULL, 40);  /* forwarded; c CANCELled */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 FORWARD#3 RESPOND(180)@20 "
                   "RESPOND(200)@40 CANCEL_BRANCH#3@40");
    prec_ev *cb = prec_nth(&t->r, SIPHON_PROXY_EV_CANCEL_BRANCH, 0);
    if (cb) {
        /* §9.1: the CANCEL mirrors the branch's INVITE. */
        CHECK_STR(siphon_msg_method(cb->msg), "CANCEL");
        px_check_sent(cb, "sip:bob@c.example.com", "sip:bob@c.example.com");
        const siphon_via *v = siphon_msg_via(cb->msg);
        const siphon_via *vi = siphon_msg_via(px_fwd(t, 2)->msg);
        CHECK(v && vi && siphon_str_eq(v->branch, vi->branch));
        const siphon_cseq *cs = siphon_msg_cseq(cb->msg);
        CHECK(cs && cs->num == 7 && cs->method_id == SIPHON_METHOD_CANCEL);
        /* Its 200 ends with us. */
        siphon_msg *ok = px_reply(cb->msg, 200, "tc", NULL);
        CHECK_INT(siphon_proxy_response(t->px, ok, 50), 0);
        siphon_msg_unref(ok);
    }
    prec_ev *up = prec_nth(&t->r, SIPHON_PROXY_EV_RESPOND, 1);
    if (up) {
        /* §16.7 step 3: our Via is gone, the client's is on top. */
        const siphon_via *v = siphon_msg_via(up->msg);
        CHECK(v && siphon_str_eq(v->branch, SIPHON_STR_LIT("z9hG4bKc1")));
        CHECK(up->server == PX_SRV);
    }
    px_answer(t, px_fwd(t, 2), 487, "tc", NULL, 60);
    CHECK(strstr(prec_trace(&t->r), "DONE(200)@60") != NULL);
    CHECK_INT(siphon_proxy_count(t->px), 0);
    CHECK_INT(siphon_proxy_next_deadline(t->px), UINT64_MAX);
    px_end(t);
}

UNIT_TEST(proxy_16_6_sequential_by_q)
{
    /* q 1.0 and 0.5 first? No: 0.8 x2 in parallel, then 0.5. */
    const char *const tg[] = {"sip:bob@low.example.com", "sip:bob@h1.example.com",
                              "sip:bob@h2.example.com"};
    const int q[] = {500, 800, 800};
    pxt *t = forked(tg, q, 3);
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2");
    px_check_sent(px_fwd(t, 0), "sip:bob@h1.example.com", NULL);
    px_check_sent(px_fwd(t, 1), "sip:bob@h2.example.com", NULL);
    px_answer(t, px_fwd(t, 0), 404, "x", NULL, 10);
    CHECK_INT(prec_count(&t->r, SIPHON_PROXY_EV_FORWARD), 2); /* h2 pending */
    px_answer(t, px_fwd(t, 1), 480, "y", NULL, 20);
    CHECK_INT(prec_count(&t->r, SIPHON_PROXY_EV_FORWARD), 3);
    px_check_sent(px_fwd(t, 2), "sip:bob@low.example.com", NULL);
    px_answer(t, px_fwd(t, 2), 200, "z", NULL, 30);
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 FORWARD#3@20 RESPOND(200)@30 "
                   "DONE(200)@30");
    px_end(t);
}

UNIT_TEST(proxy_16_7_6xx_ends_search)
{
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com",
                              "sip:bob@later.example.com"};
    const int q[] = {900, 900, 100};
    pxt *t = forked(tg, q, 3);
    px_answer(t, px_fwd(t, 1), 180, "tb", NULL, 5);
    px_answer(t, px_fwd(t, 0), 603, "ta", NULL, 10);
    /* Not forwarded yet; b is CANCELled; the lower group never starts. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 RESPOND(180)@5 CANCEL_BRANCH#2@10");
    px_answer(t, px_fwd(t, 1), 487, "tb", NULL, 20);
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 RESPOND(180)@5 CANCEL_BRANCH#2@10 "
                   "RESPOND(603)@20 DONE(603)@20");
    px_end(t);
}

UNIT_TEST(proxy_16_7_step6_best_response_404_500)
{
    pxt *t = forked(abc, NULL, 3);
    px_answer(t, px_fwd(t, 0), 500, "ta", NULL, 10);
    px_answer(t, px_fwd(t, 1), 404, "tb", NULL, 20);
    px_answer(t, px_fwd(t, 2), 302, "tc",
              "Contact: <sip:bob@elsewhere.example.com>\n", 30);
    /* 3xx is the lowest class: it wins over 404 and 500. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 FORWARD#3 RESPOND(302)@30 DONE(302)@30");
    px_end(t);

    t = forked(abc, NULL, 2);
    px_answer(t, px_fwd(t, 0), 500, "ta", NULL, 10);
    px_answer(t, px_fwd(t, 1), 404, "tb", NULL, 20);
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 RESPOND(404)@20 DONE(404)@20");
    prec_ev *up = prec_nth(&t->r, SIPHON_PROXY_EV_RESPOND, 0);
    if (up) {
        const siphon_nameaddr *to = siphon_msg_to(up->msg);
        CHECK(to && siphon_str_eq(to->tag, SIPHON_STR_LIT("tb")));
    }
    px_end(t);
}

UNIT_TEST(proxy_16_7_step6_503_becomes_500)
{
    pxt *t = forked(abc, NULL, 1);
    px_answer(t, px_fwd(t, 0), 503, "ta", "Retry-After: 30\n", 10);
    CHECK_TRACE(t, "FORWARD#1 RESPOND(500)@10 DONE(500)@10");
    went_up(t, 0, 500);
    px_end(t);
}

UNIT_TEST(proxy_16_7_step7_401_407_aggregation)
{
    pxt *t = forked(abc, NULL, 3);
    px_answer(t, px_fwd(t, 0), 404, "ta", NULL, 10);
    px_answer(t, px_fwd(t, 1), 401, "tb",
              "WWW-Authenticate: Digest realm=\"b.example.com\", nonce=\"n1\"\n",
              20);
    px_answer(t, px_fwd(t, 2), 407, "tc",
              "Proxy-Authenticate: Digest realm=\"c.example.com\", nonce=\"n2\"\n"
              "WWW-Authenticate: Digest realm=\"c2.example.com\", nonce=\"n3\"\n",
              30);
    /* §16.7 step 6 prefers 401/407 within 4xx; step 7 merges them. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 FORWARD#3 RESPOND(401)@30 DONE(401)@30");
    prec_ev *up = prec_nth(&t->r, SIPHON_PROXY_EV_RESPOND, 0);
    if (up) {
        CHECK_INT(px_hdr_count(up->msg, SIPHON_HDR_WWW_AUTHENTICATE), 2);
        CHECK_INT(px_hdr_count(up->msg, SIPHON_HDR_PROXY_AUTHENTICATE), 1);
    }
    px_end(t);
}

UNIT_TEST(proxy_16_8_timer_c_408_when_nothing_answers)
{
    pxt *t = forked(abc, NULL, 1);
    CHECK_INT(siphon_proxy_next_deadline(t->px), 185000);
    prec_run(t->px, &t->r, 200000);
    /* §16.8: no provisional: as if a 408 came; §16.7 step 6 sends it. */
    CHECK_TRACE(t, "FORWARD#1 RESPOND(408)@185000 DONE(408)@185000");
    CHECK_INT(siphon_proxy_next_deadline(t->px), UINT64_MAX);
    px_end(t);
}

UNIT_TEST(proxy_16_8_timer_c_reset_then_cancel)
{
    pxt *t = forked(abc, NULL, 1);
    px_answer(t, px_fwd(t, 0), 180, "ta", NULL, 100000); /* resets Timer C */
    CHECK_INT(siphon_proxy_next_deadline(t->px), 285000);
    prec_run(t->px, &t->r, 285000);
    CHECK_TRACE(t, "FORWARD#1 RESPOND(180)@100000 CANCEL_BRANCH#1@285000");
    /* The 487 comes: it is the best (only) response. */
    px_answer(t, px_fwd(t, 0), 487, "ta", NULL, 285100);
    CHECK_TRACE(t, "FORWARD#1 RESPOND(180)@100000 CANCEL_BRANCH#1@285000 "
                   "RESPOND(487)@285100 DONE(487)@285100");
    prec_clear(&t->r);

    /* A CANCELled branch that never answers: 64*T1 later it counts as a
     * 408. */
    CHECK(px_route(t, px_invite(t), abc, NULL, 1) != NULL);
    px_answer(t, px_fwd(t, 0), 183, "ta", NULL, 0);
    prec_run(t->px, &t->r, 500000);
    CHECK_TRACE(t, "FORWARD#2 RESPOND(183) CANCEL_BRANCH#2@185000 "
                   "RESPOND(408)@217000 DONE(408)@217000");
    px_end(t);
}

UNIT_TEST(proxy_16_10_cancel_from_upstream)
{
    pxt *t = forked(abc, NULL, 2);
    siphon_msg *cancel = px_req(t, "CANCEL", "sip:bob@biloxi.example.com", NULL);
    siphon_msg *other = px_own(t, tx_request("CANCEL", "z9hG4bKnone", SENTBY,
                                             NULL));
    px_answer(t, px_fwd(t, 0), 180, "ta", NULL, 10);
    void *csrv = (void *)0xca;
    CHECK_INT(px_in(t, cancel, csrv, 20, NULL), SIPHON_PROXY_HANDLED);
    /* 200 to the CANCEL; a is CANCELled now, b when it rings. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 RESPOND(180)@10 RESPOND(200)@20 "
                   "CANCEL_BRANCH#1@20");
    prec_ev *ok = went_up(t, 1, 200);
    if (ok) {
        CHECK(ok->server == csrv);
        const siphon_cseq *cs = siphon_msg_cseq(ok->msg);
        CHECK(cs && cs->method_id == SIPHON_METHOD_CANCEL);
    }
    px_answer(t, px_fwd(t, 1), 180, "tb", NULL, 30);
    CHECK(prec_count(&t->r, SIPHON_PROXY_EV_CANCEL_BRANCH) == 2);
    px_answer(t, px_fwd(t, 0), 487, "ta", NULL, 40);
    px_answer(t, px_fwd(t, 1), 487, "tb", NULL, 50);
    CHECK(strstr(prec_trace(&t->r), "RESPOND(487)@50 DONE(487)@50") != NULL);
    prec_clear(&t->r);
    /* A CANCEL that matches nothing. */
    CHECK_INT(px_in(t, other, csrv, 60, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(t, "RESPOND(481)@60");
    px_end(t);
}

UNIT_TEST(proxy_16_7_step5_2xx_retransmissions_forwarded)
{
    pxt *t = forked(abc, NULL, 2);
    px_answer(t, px_fwd(t, 1), 180, "tb", NULL, 5);
    px_answer(t, px_fwd(t, 0), 200, "ta", NULL, 10);
    px_answer(t, px_fwd(t, 0), 200, "ta", NULL, 510);  /* retransmission */
    px_answer(t, px_fwd(t, 1), 200, "tb", NULL, 520);  /* the other fork's 2xx */
    /* Every 2xx goes up through the server transaction (§16.7 step 5);
     * the context is done once b has answered. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 RESPOND(180)@5 RESPOND(200)@10 "
                   "CANCEL_BRANCH#2@10 RESPOND(200)@510 RESPOND(200)@520 "
                   "DONE(200)@520");
    /* After DONE, a 2xx retransmission goes up statelessly (§16.7 step 1). */
    px_answer(t, px_fwd(t, 0), 200, "ta", NULL, 1010);
    CHECK(strstr(prec_trace(&t->r),
                 "DONE(200)@520 RESPOND(200,stateless)@1010"));
    px_end(t);
}

UNIT_TEST(proxy_16_7_non_invite_one_final)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "MESSAGE", "sip:bob@biloxi.example.com", NULL);
    CHECK(px_route(t, m, abc, NULL, 2) != NULL);
    CHECK_INT(siphon_proxy_next_deadline(t->px), UINT64_MAX); /* no Timer C */
    px_answer(t, px_fwd(t, 0), 202, "ta", NULL, 10);
    px_answer(t, px_fwd(t, 1), 200, "tb", NULL, 20);
    /* No CANCEL for a non-INVITE (§9.1); one final only. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 RESPOND(202)@10 DONE(202)@20");
    px_end(t);
}

UNIT_TEST(proxy_16_9_branch_failed_timeout_and_transport)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "OPTIONS", "sip:bob@biloxi.example.com", NULL);
    CHECK(px_route(t, m, abc, NULL, 2) != NULL);
    siphon_msg *a = px_fwd(t, 0)->msg, *b = px_fwd(t, 1)->msg;
    CHECK_INT(siphon_proxy_branch_failed(t->px, a, SIPHON_EIO, 10), 0);
    CHECK_INT(siphon_proxy_branch_failed(t->px, a, SIPHON_EIO, 10), 0);
    CHECK_INT(siphon_proxy_branch_failed(t->px, b, SIPHON_ETIMEDOUT, 32000), 0);
    prec_drain(t->px, &t->r, 32000);
    /* 408 (4xx) beats 503 (5xx). */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2 RESPOND(408)@32000 DONE(408)@32000");
    CHECK_INT(siphon_proxy_branch_failed(t->px, a, SIPHON_EIO, 40000),
              SIPHON_ENOENT);
    px_end(t);
}

UNIT_TEST(proxy_16_5_recursion_on_3xx)
{
    siphon_proxy_config cfg = px_config(false);
    cfg.recurse = true;
    pxt *t = px_begin(siphon_proxy_new(&cfg));
    CHECK(px_route(t, px_invite(t), abc, NULL, 1) != NULL);
    px_answer(t, px_fwd(t, 0), 302, "ta",
              "Contact: <sip:bob@x.example.com>;q=0.5, <sip:bob@y.example.com>;q=0.9, "
              "<sip:bob@a.example.com>\n", 10);
    /* y first (q 0.9), a is already in the target set. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2@10");
    px_check_sent(px_fwd(t, 1), "sip:bob@y.example.com", NULL);
    px_answer(t, px_fwd(t, 1), 486, "ty", NULL, 20);
    px_check_sent(px_fwd(t, 2), "sip:bob@x.example.com", NULL);
    px_answer(t, px_fwd(t, 2), 480, "tx", NULL, 30);
    /* The 302 was consumed by recursion: 480 and 486 remain; first 4xx. */
    CHECK_TRACE(t, "FORWARD#1 FORWARD#2@10 FORWARD#3@20 RESPOND(486)@30 "
                   "DONE(486)@30");
    px_end(t);
}

UNIT_TEST(proxy_16_10_cancel_before_forwarding)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *cancel = px_req(t, "CANCEL", "sip:bob@biloxi.example.com", NULL);
    siphon_proxy_ctx *c = NULL;
    /* Not drained until the end: the context lives until its DONE is
     * polled, and start and add_target must see it finished. */
    CHECK_INT(siphon_proxy_receive(t->px, px_invite(t), PX_SRV, NULL, 0, &c),
              SIPHON_PROXY_CONTEXT);
    CHECK_INT(siphon_proxy_receive(t->px, cancel, (void *)0xca, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED);
    CHECK_INT(siphon_proxy_start(t->px, c, 0), SIPHON_ESTATE);
    CHECK_INT(siphon_proxy_add_target(t->px, c, "sip:x@y.example.com", -1, NULL),
              SIPHON_ESTATE);
    prec_drain(t->px, &t->r, 0);
    CHECK_TRACE(t, "RESPOND(200) RESPOND(487) DONE(487)");
    px_end(t);
}
