/*
 * test_proxy.c -- the stateful proxy core, rule by rule: request
 * validation (RFC 3261 §16.3), route information preprocessing (§16.4),
 * the copy forwarded to each target (§16.6), stateless ACK forwarding
 * (§16.11) and the limits. Forking and responses: test_proxy_fork.c.
 */
#include "unit.h"
#include "test_proxy_support.h"
#include "txn_support.h"

#include <stdlib.h>

/* One request in from PX_SRV at 0; returns what siphon_proxy_receive said. */
static int in(pxt *t, siphon_msg *m, siphon_proxy_ctx **c)
{
    return px_in(t, m, PX_SRV, 0, c);
}

/* A request that passes validation (§16.3) and so yields a context. */
static siphon_proxy_ctx *in_ctx(pxt *t, siphon_msg *m)
{
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(t, m, &c), SIPHON_PROXY_CONTEXT);
    return c;
}

/* A request that passes validation, then rejected with status (the
 * context has to end somehow). */
static void in_and_reject(pxt *t, siphon_msg *m, int status)
{
    siphon_proxy_ctx *c = in_ctx(t, m);
    CHECK_INT(siphon_proxy_reject(t->px, c, status, 0), 0);
    prec_drain(t->px, &t->r, 0);
}

UNIT_TEST(proxy_16_3_step3_max_forwards_zero_483)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "INVITE", "sip:bob@biloxi.example.com",
                           "Max-Forwards: 0\n");
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(t, m, &c), SIPHON_PROXY_HANDLED);
    CHECK(c == NULL);
    CHECK_TRACE(t, "RESPOND(483)");
    if (t->r.n == 1) {
        CHECK_INT(siphon_msg_status(t->r.ev[0].msg), 483);
        CHECK(t->r.ev[0].server == PX_SRV);
        /* §8.2.6.2: our own response carries our To tag. */
        const siphon_nameaddr *to = siphon_msg_to(t->r.ev[0].msg);
        CHECK(to && to->has_tag);
    }
    CHECK_INT(siphon_proxy_count(t->px), 0);
    px_end(t);
}

UNIT_TEST(proxy_16_3_step3_options_max_forwards_zero_answered)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "OPTIONS", "sip:bob@biloxi.example.com",
                           "Max-Forwards: 0\n");
    CHECK_INT(in(t, m, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(t, "RESPOND(200)");
    px_end(t);
}

UNIT_TEST(proxy_16_3_step2_uri_scheme_416)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "INVITE", "im:bob@biloxi.example.com", NULL);
    siphon_msg *tel = px_req(t, "INVITE", "tel:+15551234", NULL);
    CHECK_INT(in(t, m, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(t, "RESPOND(416)");
    prec_clear(&t->r);
    in_and_reject(t, tel, 404); /* tel is ours */
    CHECK_TRACE(t, "RESPOND(404) DONE(404)");
    px_end(t);
}

UNIT_TEST(proxy_16_3_step1_caller_verdict)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_invite(t);
    siphon_verdict v = {.kind = SIPHON_VERDICT_REJECT, .status = 400};
    CHECK_INT(siphon_proxy_receive(t->px, m, PX_SRV, &v, 0, NULL),
              SIPHON_PROXY_HANDLED);
    v.kind = SIPHON_VERDICT_DROP;
    CHECK_INT(siphon_proxy_receive(t->px, m, PX_SRV, &v, 0, NULL),
              SIPHON_PROXY_HANDLED);
    prec_drain(t->px, &t->r, 0);
    CHECK_TRACE(t, "RESPOND(400)");
    px_end(t);
}

UNIT_TEST(proxy_16_3_step5_proxy_require_420)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "INVITE", "sip:bob@biloxi.example.com",
                           "Max-Forwards: 70\n"
                           "Proxy-Require: foo, bar\n"
                           "Proxy-Require: baz\n");
    siphon_msg *ok = px_req(t, "INVITE", "sip:bob@biloxi.example.com",
                            "Max-Forwards: 70\nProxy-Require: foo\n");
    CHECK_INT(in(t, m, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(t, "RESPOND(420)");
    if (t->r.n == 1)
        CHECK_STR(siphon_str_c(px_hdr(t->r.ev[0].msg, "Unsupported")),
                  "bar, baz");
    prec_clear(&t->r);
    in_and_reject(t, ok, 480); /* foo: supported */
    px_end(t);
}

UNIT_TEST(proxy_16_3_step4_loop_482_and_spiral)
{
    /* The forwarded request comes back to us unchanged: 482. The same
     * request sent back with a new Request-URI is a spiral: forwarded. */
    pxt *t = px_begin(px_new(false));
    const char *const tg[] = {"sip:bob@biloxi.example.com"};
    CHECK(px_route(t, px_invite(t), tg, NULL, 1) != NULL);
    prec_ev *f = px_fwd(t, 0);
    CHECK(f != NULL);
    if (f) {
        siphon_msg *back = px_own(t, siphon_msg_ref(f->msg));
        prec_clear(&t->r);
        CHECK_INT(in(t, back, NULL), SIPHON_PROXY_HANDLED);
        CHECK_TRACE(t, "RESPOND(482)");
        prec_clear(&t->r);
        /* Spiral: the next element changed the Request-URI. */
        siphon_msgb *b = siphon_msgb_from_msg(back);
        siphon_msgb_set_request_line(b, SIPHON_STR_LIT("INVITE"),
                                     SIPHON_STR_LIT("sip:bob@pc.example.com"));
        siphon_msgb_add_top(b, SIPHON_STR_LIT("Via"),
                            SIPHON_STR_LIT("SIP/2.0/UDP next.example.com;"
                                           "branch=z9hG4bKnext"));
        siphon_msg *sp = NULL;
        CHECK_INT(siphon_msgb_finish(b, &sp, NULL), 0);
        siphon_msgb_free(b);
        in_and_reject(t, px_own(t, sp), 404);
    }
    px_end(t);
}

UNIT_TEST(proxy_16_4_strict_route_recovery)
{
    /* A strict router put our Record-Route URI in the Request-URI and
     * the real one last in Route. */
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "BYE", "sip:proxy.example.com;lr",
                           "Max-Forwards: 70\n"
                           "Route: <sip:p2.example.com;lr>, "
                           "<sip:bob@pc.example.com>\n");
    siphon_proxy_ctx *c = in_ctx(t, m);
    if (c) {
        siphon_msg *p = siphon_proxy_ctx_request(c);
        CHECK_STR(siphon_msg_ruri_str(p), "sip:bob@pc.example.com");
        CHECK_STR(siphon_str_c(px_hdr(p, "Route")), "<sip:p2.example.com;lr>");
        px_check_sent(px_start(t, c), "sip:bob@pc.example.com",
                      "sip:p2.example.com;lr");
    }
    px_end(t);
}

UNIT_TEST(proxy_16_4_route_pop)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "BYE", "sip:bob@pc.example.com",
                           "Max-Forwards: 70\n"
                           "Route: <sip:proxy.example.com;lr>\n"
                           "Route: <sip:p2.example.com;lr>\n");
    siphon_msg *last = px_req(t, "BYE", "sip:bob@pc.example.com",
                              "Max-Forwards: 70\n"
                              "Route: <sip:proxy.example.com:5060;lr>\n");
    siphon_proxy_ctx *c = in_ctx(t, m);
    if (c) {
        CHECK_STR(siphon_str_c(px_hdr(siphon_proxy_ctx_request(c), "Route")),
                  "<sip:p2.example.com;lr>");
        px_check_sent(px_start(t, c), NULL, "sip:p2.example.com;lr");
    }
    prec_clear(&t->r);
    c = in_ctx(t, last);
    if (c) {
        siphon_msg *p = siphon_proxy_ctx_request(c);
        CHECK(siphon_msg_hdr_next(p, SIPHON_HDR_ROUTE, 0) < 0);
        /* No Route left: the Request-URI is the next hop. */
        px_check_sent(px_start(t, c), NULL, "sip:bob@pc.example.com");
    }
    px_end(t);
}

UNIT_TEST(proxy_16_6_step4_record_route_added)
{
    pxt *t = px_begin(px_new(true));
    siphon_msg *m = px_req(t, "INVITE", "sip:bob@biloxi.example.com",
                           "Max-Forwards: 70\n"
                           "Record-Route: <sip:up.example.com;lr>\n");
    siphon_msg *s = px_req(t, "INVITE", "sips:bob@biloxi.example.com", NULL);
    siphon_msg *reg = px_req(t, "REGISTER", "sip:biloxi.example.com", NULL);
    CHECK(px_route(t, m, NULL, NULL, 0) != NULL);
    CHECK(px_route(t, s, NULL, NULL, 0) != NULL);
    CHECK(px_route(t, reg, NULL, NULL, 0) != NULL);
    prec_ev *f = px_fwd(t, 0), *fs = px_fwd(t, 1), *fr = px_fwd(t, 2);
    CHECK(f && fs && fr);
    if (f && fs && fr) {
        /* Ours on top, the upstream one kept below. */
        CHECK_STR(siphon_str_c(px_hdr(f->msg, "Record-Route")),
                  "<sip:proxy.example.com;lr>");
        CHECK(px_hdr_count(f->msg, SIPHON_HDR_RECORD_ROUTE) >= 2);
        CHECK_STR(siphon_str_c(px_hdr(fs->msg, "Record-Route")),
                  "<sips:proxy.example.com;lr>");
        CHECK(siphon_msg_hdr_next(fr->msg, SIPHON_HDR_RECORD_ROUTE, 0) < 0);
    }
    px_end(t);
}

UNIT_TEST(proxy_16_6_step3_max_forwards_decrement)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *m = px_req(t, "MESSAGE", "sip:bob@biloxi.example.com",
                           "Max-Forwards: 5\n");
    siphon_msg *none = px_req(t, "MESSAGE", "sip:bob@biloxi.example.com",
                              "Subject: no max-forwards\n");
    CHECK(px_route(t, m, NULL, NULL, 0) != NULL);
    CHECK(px_route(t, none, NULL, NULL, 0) != NULL);
    prec_ev *a = px_fwd(t, 0), *b = px_fwd(t, 1);
    CHECK(a && b);
    if (a && b) {
        CHECK_STR(siphon_str_c(px_hdr(a->msg, "Max-Forwards")), "4");
        CHECK_STR(siphon_str_c(px_hdr(b->msg, "Max-Forwards")), "70");
        /* step 9: Content-Length is there and right. */
        CHECK_STR(siphon_str_c(px_hdr(a->msg, "Content-Length")), "0");
    }
    px_end(t);
}

UNIT_TEST(proxy_16_6_step8_via_branch_loop_detection)
{
    pxt *t = px_begin(px_new(false));
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com"};
    CHECK(px_route(t, px_invite(t), tg, NULL, 2) != NULL);
    prec_ev *a = px_fwd(t, 0), *b = px_fwd(t, 1);
    CHECK(a && b);
    if (a && b) {
        const siphon_via *va = siphon_msg_via(a->msg);
        const siphon_via *vb = siphon_msg_via(b->msg);
        CHECK(va && vb);
        if (va && vb) {
            CHECK_STR(va->host, "proxy.example.com");
            /* The magic cookie, a hash part common to the request's
             * branches (what §16.3 step 4 recomputes), then a unique
             * part. */
            CHECK(va->branch.len > 24 && memcmp(va->branch.p, "z9hG4bK", 7) == 0);
            CHECK(vb->branch.len > 24 &&
                  memcmp(va->branch.p, vb->branch.p, 24) == 0);
            CHECK(!siphon_str_eq(va->branch, vb->branch));
        }
        CHECK_STR(siphon_msg_ruri_str(a->msg), "sip:bob@a.example.com");
        CHECK_STR(siphon_msg_ruri_str(b->msg), "sip:bob@b.example.com");
        /* The client's Via is kept below ours. */
        const void *vv = NULL;
        CHECK_INT(siphon_msg_typed(a->msg, SIPHON_HDR_VIA, &vv, NULL), 0);
        const siphon_via *v2 = vv ? ((const siphon_via *)vv)->next : NULL;
        CHECK(v2 && siphon_str_eq(v2->branch, SIPHON_STR_LIT("z9hG4bKc1")));
        CHECK(a->branch != b->branch && a->branch && b->branch);
    }
    px_end(t);
}

UNIT_TEST(proxy_16_6_step6_target_route)
{
    pxt *t = px_begin(px_new(false));
    siphon_proxy_ctx *c = in_ctx(t, px_invite(t));
    if (c) {
        CHECK_INT(siphon_proxy_add_target(t->px, c, "sip:bob@pc.example.com",
                                          -1, "sip:outbound.example.com;lr"),
                  0);
        CHECK_INT(siphon_proxy_add_target(t->px, c, "sip:bob@pc.example.com",
                                          500, NULL), 0); /* duplicate: ignored */
        CHECK_INT(siphon_proxy_add_target(t->px, c, "not a uri", -1, NULL),
                  SIPHON_EPARSE);
        prec_ev *f = px_start(t, c);
        CHECK_INT(siphon_proxy_start(t->px, c, 0), SIPHON_ESTATE);
        prec_drain(t->px, &t->r, 0);
        CHECK_INT(prec_count(&t->r, SIPHON_PROXY_EV_FORWARD), 1);
        px_check_sent(f, "sip:bob@pc.example.com",
                      "sip:outbound.example.com;lr");
    }
    px_end(t);
}

UNIT_TEST(proxy_16_11_ack_for_2xx_stateless)
{
    pxt *t = px_begin(px_new(false));
    siphon_msg *ack = px_req(t, "ACK", "sip:bob@pc.example.com",
                             "Max-Forwards: 70\n"
                             "Route: <sip:proxy.example.com;lr>, "
                             "<sip:p2.example.com;lr>\n");
    siphon_msg *dead = px_req(t, "ACK", "sip:bob@pc.example.com",
                              "Max-Forwards: 0\n");
    siphon_msg *stray = px_req(t, "INFO", "sip:bob@pc.example.com", NULL);
    CHECK_INT(px_in(t, ack, NULL, 0, NULL), SIPHON_PROXY_HANDLED);
    CHECK_INT(px_in(t, ack, NULL, 0, NULL), SIPHON_PROXY_HANDLED);
    CHECK_INT(px_in(t, dead, NULL, 0, NULL), SIPHON_PROXY_HANDLED);
    CHECK_INT(px_in(t, stray, NULL, 0, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(t, "FORWARD#0 FORWARD#0");
    if (t->r.n == 2) {
        const prec_ev *e = t->r.ev;
        CHECK(e[0].ctx == NULL && e[0].server == NULL);
        CHECK_STR(siphon_str_c(e[0].hop), "sip:p2.example.com;lr");
        CHECK_STR(siphon_str_c(px_hdr(e[0].msg, "Max-Forwards")), "69");
        /* §16.11: a retransmission gets the same branch. */
        const siphon_via *a = siphon_msg_via(e[0].msg);
        const siphon_via *b = siphon_msg_via(e[1].msg);
        CHECK(a && b && siphon_str_eq(a->branch, b->branch));
    }
    CHECK_INT(siphon_proxy_count(t->px), 0);
    px_end(t);
}

UNIT_TEST(proxy_limits_branches_contexts)
{
    siphon_proxy_config cfg = px_config(false);
    cfg.max_branches = 2;
    cfg.max_contexts = 1;
    pxt *t = px_begin(siphon_proxy_new(&cfg));
    cfg.host = NULL;
    CHECK(siphon_proxy_new(&cfg) == NULL);
    if (!t->px) {
        px_end(t);
        return;
    }
    siphon_msg *m = px_invite(t);
    siphon_proxy_ctx *c = in_ctx(t, m);
    CHECK_INT(in(t, m, NULL), SIPHON_ETOOBIG);
    CHECK_INT(siphon_proxy_add_target(t->px, c, "sip:a@x.example.com", -1, NULL),
              0);
    CHECK_INT(siphon_proxy_add_target(t->px, c, "sip:b@x.example.com", -1, NULL),
              0);
    CHECK_INT(siphon_proxy_add_target(t->px, c, "sip:c@x.example.com", -1, NULL),
              SIPHON_ETOOBIG);
    CHECK_INT(px_in(t, m, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED); /* no Route: dropped */
    siphon_msg *resp = NULL;
    CHECK_INT(siphon_msg_response(m, 200, SIPHON_STR_NULL, SIPHON_STR_NULL,
                                  &resp), 0);
    px_own(t, resp);
    CHECK_INT(in(t, resp, NULL), SIPHON_EINVAL);
    CHECK_INT(siphon_proxy_response(t->px, resp, 0), SIPHON_ENOENT);
    prec_drain(t->px, &t->r, 0);
    CHECK_INT(t->r.n, 0);
    px_end(t); /* with a live context */
}

UNIT_TEST(proxy_16_6_step6_strict_router_next_hop)
{
    /* The target's route is a strict router (no ;lr): it becomes the
     * Request-URI and the target goes last in Route (§16.6 steps 6-7). */
    pxt *t = px_begin(px_new(false));
    siphon_proxy_ctx *c = in_ctx(t, px_invite(t));
    if (c) {
        CHECK_INT(siphon_proxy_add_target(t->px, c, "sip:bob@pc.example.com",
                                          -1, "sip:strict.example.com"), 0);
        prec_ev *f = px_start(t, c);
        px_check_sent(f, "sip:strict.example.com", "sip:strict.example.com");
        if (f) {
            CHECK_STR(siphon_str_c(px_hdr(f->msg, "Route")),
                      "<sip:bob@pc.example.com>");
            /* Its CANCEL goes the same way. */
            px_answer(t, f, 180, "t", NULL, 1);
            siphon_msg *cancel = px_req(t, "CANCEL",
                                        "sip:bob@biloxi.example.com", NULL);
            CHECK_INT(px_in(t, cancel, (void *)1, 2, NULL),
                      SIPHON_PROXY_HANDLED);
            px_check_sent(prec_nth(&t->r, SIPHON_PROXY_EV_CANCEL_BRANCH, 0),
                          "sip:strict.example.com", "sip:strict.example.com");
        }
    }
    px_end(t);
}
