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

#define SRV ((void *)0x5e)
#define CHECK_TRACE(r, want) CHECK_STR(siphon_str_c(prec_trace(r)), want)

/* One request in; returns what siphon_proxy_receive said. */
static int in(siphon_proxy *px, prec *r, siphon_msg *m, siphon_proxy_ctx **c)
{
    int rc = siphon_proxy_receive(px, m, SRV, NULL, 0, c);
    prec_drain(px, r, 0);
    return rc;
}

UNIT_TEST(proxy_16_3_step3_max_forwards_zero_483)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com",
                               "Max-Forwards: 0\n");
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(px, &r, m, &c), SIPHON_PROXY_HANDLED);
    CHECK(c == NULL);
    CHECK_TRACE(&r, "RESPOND(483)");
    if (r.n == 1) {
        CHECK_INT(siphon_msg_status(r.ev[0].msg), 483);
        CHECK(r.ev[0].server == SRV);
        /* §8.2.6.2: our own response carries our To tag. */
        const siphon_nameaddr *to = siphon_msg_to(r.ev[0].msg);
        CHECK(to && to->has_tag);
    }
    CHECK_INT(siphon_proxy_count(px), 0);
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_3_step3_options_max_forwards_zero_answered)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("OPTIONS", "sip:bob@biloxi.example.com",
                               "Max-Forwards: 0\n");
    CHECK_INT(in(px, &r, m, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(&r, "RESPOND(200)");
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_3_step2_uri_scheme_416)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "im:bob@biloxi.example.com", NULL);
    siphon_msg *t = px_request("INVITE", "tel:+15551234", NULL);
    CHECK_INT(in(px, &r, m, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(&r, "RESPOND(416)");
    prec_clear(&r);
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(px, &r, t, &c), SIPHON_PROXY_CONTEXT); /* tel is ours */
    CHECK_INT(siphon_proxy_reject(px, c, 404, 0), 0);
    prec_drain(px, &r, 0);
    CHECK_TRACE(&r, "RESPOND(404) DONE(404)");
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_msg_unref(t);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_3_step1_caller_verdict)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    siphon_verdict v = {.kind = SIPHON_VERDICT_REJECT, .status = 400};
    CHECK_INT(siphon_proxy_receive(px, m, SRV, &v, 0, NULL),
              SIPHON_PROXY_HANDLED);
    v.kind = SIPHON_VERDICT_DROP;
    CHECK_INT(siphon_proxy_receive(px, m, SRV, &v, 0, NULL),
              SIPHON_PROXY_HANDLED);
    prec_drain(px, &r, 0);
    CHECK_TRACE(&r, "RESPOND(400)");
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_3_step5_proxy_require_420)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com",
                               "Max-Forwards: 70\n"
                               "Proxy-Require: foo, bar\n"
                               "Proxy-Require: baz\n");
    siphon_msg *ok = px_request("INVITE", "sip:bob@biloxi.example.com",
                                "Max-Forwards: 70\nProxy-Require: foo\n");
    CHECK_INT(in(px, &r, m, NULL), SIPHON_PROXY_HANDLED);
    CHECK_TRACE(&r, "RESPOND(420)");
    if (r.n == 1)
        CHECK_STR(siphon_str_c(px_hdr(r.ev[0].msg, "Unsupported")),
                  "bar, baz");
    prec_clear(&r);
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(px, &r, ok, &c), SIPHON_PROXY_CONTEXT); /* foo: supported */
    CHECK_INT(siphon_proxy_reject(px, c, 480, 0), 0);
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_msg_unref(ok);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_3_step4_loop_482_and_spiral)
{
    /* The forwarded request comes back to us unchanged: 482. The same
     * request sent back with a new Request-URI is a spiral: forwarded. */
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    const char *const tg[] = {"sip:bob@biloxi.example.com"};
    CHECK(px_route(px, &r, m, SRV, tg, NULL, 1, 0) != NULL);
    prec_ev *f = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
    CHECK(f != NULL);
    if (f) {
        siphon_msg *back = siphon_msg_ref(f->msg);
        prec_clear(&r);
        CHECK_INT(in(px, &r, back, NULL), SIPHON_PROXY_HANDLED);
        CHECK_TRACE(&r, "RESPOND(482)");
        prec_clear(&r);
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
        siphon_proxy_ctx *c = NULL;
        CHECK_INT(in(px, &r, sp, &c), SIPHON_PROXY_CONTEXT);
        CHECK_INT(siphon_proxy_reject(px, c, 404, 0), 0);
        siphon_msg_unref(sp);
        siphon_msg_unref(back);
    }
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_4_strict_route_recovery)
{
    /* A strict router put our Record-Route URI in the Request-URI and
     * the real one last in Route. */
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("BYE", "sip:proxy.example.com;lr",
                               "Max-Forwards: 70\n"
                               "Route: <sip:p2.example.com;lr>, "
                               "<sip:bob@pc.example.com>\n");
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(px, &r, m, &c), SIPHON_PROXY_CONTEXT);
    if (c) {
        siphon_msg *p = siphon_proxy_ctx_request(c);
        CHECK_STR(siphon_msg_ruri_str(p), "sip:bob@pc.example.com");
        CHECK_STR(siphon_str_c(px_hdr(p, "Route")), "<sip:p2.example.com;lr>");
        CHECK_INT(siphon_proxy_start(px, c, 0), 0);
        prec_drain(px, &r, 0);
        prec_ev *f = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
        CHECK(f != NULL);
        if (f) {
            CHECK_STR(siphon_msg_ruri_str(f->msg), "sip:bob@pc.example.com");
            CHECK_STR(siphon_str_c(f->hop), "sip:p2.example.com;lr");
        }
    }
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_4_route_pop)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("BYE", "sip:bob@pc.example.com",
                               "Max-Forwards: 70\n"
                               "Route: <sip:proxy.example.com;lr>\n"
                               "Route: <sip:p2.example.com;lr>\n");
    siphon_msg *last = px_request("BYE", "sip:bob@pc.example.com",
                                  "Max-Forwards: 70\n"
                                  "Route: <sip:proxy.example.com:5060;lr>\n");
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(px, &r, m, &c), SIPHON_PROXY_CONTEXT);
    if (c) {
        CHECK_STR(siphon_str_c(px_hdr(siphon_proxy_ctx_request(c), "Route")),
                  "<sip:p2.example.com;lr>");
        CHECK_INT(siphon_proxy_start(px, c, 0), 0);
        prec_drain(px, &r, 0);
        prec_ev *f = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
        if (f)
            CHECK_STR(siphon_str_c(f->hop), "sip:p2.example.com;lr");
    }
    prec_clear(&r);
    CHECK_INT(in(px, &r, last, &c), SIPHON_PROXY_CONTEXT);
    if (c) {
        siphon_msg *p = siphon_proxy_ctx_request(c);
        CHECK(siphon_msg_hdr_next(p, SIPHON_HDR_ROUTE, 0) < 0);
        CHECK_INT(siphon_proxy_start(px, c, 0), 0);
        prec_drain(px, &r, 0);
        prec_ev *f = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
        if (f) /* no Route left: the Request-URI is the next hop */
            CHECK_STR(siphon_str_c(f->hop), "sip:bob@pc.example.com");
    }
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_msg_unref(last);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_6_step4_record_route_added)
{
    siphon_proxy *px = px_new(true);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com",
                               "Max-Forwards: 70\n"
                               "Record-Route: <sip:up.example.com;lr>\n");
    siphon_msg *s = px_request("INVITE", "sips:bob@biloxi.example.com", NULL);
    siphon_msg *reg = px_request("REGISTER", "sip:biloxi.example.com", NULL);
    CHECK(px_route(px, &r, m, SRV, NULL, NULL, 0, 0) != NULL);
    CHECK(px_route(px, &r, s, SRV, NULL, NULL, 0, 0) != NULL);
    CHECK(px_route(px, &r, reg, SRV, NULL, NULL, 0, 0) != NULL);
    prec_ev *f = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
    prec_ev *fs = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 1);
    prec_ev *fr = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 2);
    CHECK(f && fs && fr);
    if (f && fs && fr) {
        /* Ours on top, the upstream one kept below. */
        CHECK_STR(siphon_str_c(px_hdr(f->msg, "Record-Route")),
                  "<sip:proxy.example.com;lr>");
        long i = siphon_msg_hdr_next(f->msg, SIPHON_HDR_RECORD_ROUTE, 0);
        long j = i >= 0 ? siphon_msg_hdr_next(f->msg, SIPHON_HDR_RECORD_ROUTE,
                                              (size_t)i + 1)
                        : -1;
        CHECK(j >= 0);
        CHECK_STR(siphon_str_c(px_hdr(fs->msg, "Record-Route")),
                  "<sips:proxy.example.com;lr>");
        CHECK(siphon_msg_hdr_next(fr->msg, SIPHON_HDR_RECORD_ROUTE, 0) < 0);
    }
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_msg_unref(s);
    siphon_msg_unref(reg);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_6_step3_max_forwards_decrement)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("MESSAGE", "sip:bob@biloxi.example.com",
                               "Max-Forwards: 5\n");
    siphon_msg *none = px_request("MESSAGE", "sip:bob@biloxi.example.com",
                                  "Subject: no max-forwards\n");
    CHECK(px_route(px, &r, m, SRV, NULL, NULL, 0, 0) != NULL);
    CHECK(px_route(px, &r, none, SRV, NULL, NULL, 0, 0) != NULL);
    prec_ev *a = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
    prec_ev *b = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 1);
    CHECK(a && b);
    if (a && b) {
        CHECK_STR(siphon_str_c(px_hdr(a->msg, "Max-Forwards")), "4");
        CHECK_STR(siphon_str_c(px_hdr(b->msg, "Max-Forwards")), "70");
        /* step 9: Content-Length is there and right. */
        CHECK_STR(siphon_str_c(px_hdr(a->msg, "Content-Length")), "0");
    }
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_msg_unref(none);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_6_step8_via_branch_loop_detection)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    const char *const tg[] = {"sip:bob@a.example.com", "sip:bob@b.example.com"};
    CHECK(px_route(px, &r, m, SRV, tg, NULL, 2, 0) != NULL);
    prec_ev *a = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
    prec_ev *b = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 1);
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
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_6_step6_target_route)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(px, &r, m, &c), SIPHON_PROXY_CONTEXT);
    if (c) {
        CHECK_INT(siphon_proxy_add_target(px, c, "sip:bob@pc.example.com", -1,
                                          "sip:outbound.example.com;lr"), 0);
        CHECK_INT(siphon_proxy_add_target(px, c, "sip:bob@pc.example.com", 500,
                                          NULL), 0); /* duplicate: ignored */
        CHECK_INT(siphon_proxy_add_target(px, c, "not a uri", -1, NULL),
                  SIPHON_EPARSE);
        CHECK_INT(siphon_proxy_start(px, c, 0), 0);
        CHECK_INT(siphon_proxy_start(px, c, 0), SIPHON_ESTATE);
        prec_drain(px, &r, 0);
        CHECK_INT(prec_count(&r, SIPHON_PROXY_EV_FORWARD), 1);
        prec_ev *f = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
        if (f) {
            CHECK_STR(siphon_str_c(f->hop), "sip:outbound.example.com;lr");
            CHECK_STR(siphon_msg_ruri_str(f->msg), "sip:bob@pc.example.com");
        }
    }
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_16_11_ack_for_2xx_stateless)
{
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *ack = px_request("ACK", "sip:bob@pc.example.com",
                                 "Max-Forwards: 70\n"
                                 "Route: <sip:proxy.example.com;lr>, "
                                 "<sip:p2.example.com;lr>\n");
    siphon_msg *dead = px_request("ACK", "sip:bob@pc.example.com",
                                  "Max-Forwards: 0\n");
    siphon_msg *stray = px_request("INFO", "sip:bob@pc.example.com", NULL);
    CHECK_INT(siphon_proxy_receive(px, ack, NULL, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED);
    CHECK_INT(siphon_proxy_receive(px, ack, NULL, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED);
    CHECK_INT(siphon_proxy_receive(px, dead, NULL, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED);
    CHECK_INT(siphon_proxy_receive(px, stray, NULL, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED);
    prec_drain(px, &r, 0);
    CHECK_TRACE(&r, "FORWARD#0 FORWARD#0");
    if (r.n == 2) {
        CHECK(r.ev[0].ctx == NULL && r.ev[0].server == NULL);
        CHECK_STR(siphon_str_c(r.ev[0].hop), "sip:p2.example.com;lr");
        CHECK_STR(siphon_str_c(px_hdr(r.ev[0].msg, "Max-Forwards")), "69");
        /* §16.11: a retransmission gets the same branch. */
        const siphon_via *a = siphon_msg_via(r.ev[0].msg);
        const siphon_via *b = siphon_msg_via(r.ev[1].msg);
        CHECK(a && b && siphon_str_eq(a->branch, b->branch));
    }
    CHECK_INT(siphon_proxy_count(px), 0);
    prec_clear(&r);
    siphon_msg_unref(ack);
    siphon_msg_unref(dead);
    siphon_msg_unref(stray);
    siphon_proxy_free(px);
}

UNIT_TEST(proxy_limits_branches_contexts)
{
    siphon_proxy_config cfg = SIPHON_PROXY_CONFIG_DEFAULT;
    cfg.host = "proxy.example.com";
    cfg.max_branches = 2;
    cfg.max_contexts = 1;
    siphon_proxy *px = siphon_proxy_new(&cfg);
    CHECK(px != NULL);
    cfg.host = NULL;
    CHECK(siphon_proxy_new(&cfg) == NULL);
    if (!px)
        return;
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(siphon_proxy_receive(px, m, SRV, NULL, 0, &c),
              SIPHON_PROXY_CONTEXT);
    CHECK_INT(siphon_proxy_receive(px, m, SRV, NULL, 0, NULL), SIPHON_ETOOBIG);
    CHECK_INT(siphon_proxy_add_target(px, c, "sip:a@x.example.com", -1, NULL), 0);
    CHECK_INT(siphon_proxy_add_target(px, c, "sip:b@x.example.com", -1, NULL), 0);
    CHECK_INT(siphon_proxy_add_target(px, c, "sip:c@x.example.com", -1, NULL),
              SIPHON_ETOOBIG);
    CHECK_INT(siphon_proxy_receive(px, siphon_msg_ref(m), NULL, NULL, 0, NULL),
              SIPHON_PROXY_HANDLED); /* no Route: dropped */
    siphon_msg_unref(m);
    siphon_msg *resp = NULL;
    CHECK_INT(siphon_msg_response(m, 200, SIPHON_STR_NULL, SIPHON_STR_NULL,
                                  &resp), 0);
    CHECK_INT(siphon_proxy_receive(px, resp, SRV, NULL, 0, NULL), SIPHON_EINVAL);
    CHECK_INT(siphon_proxy_response(px, resp, 0), SIPHON_ENOENT);
    siphon_msg_unref(resp);
    prec_drain(px, &r, 0);
    CHECK_INT(r.n, 0);
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px); /* with a live context */
}

UNIT_TEST(proxy_16_6_step6_strict_router_next_hop)
{
    /* The target's route is a strict router (no ;lr): it becomes the
     * Request-URI and the target goes last in Route (§16.6 steps 6-7). */
    siphon_proxy *px = px_new(false);
    prec r = {0};
    siphon_msg *m = px_request("INVITE", "sip:bob@biloxi.example.com", NULL);
    siphon_proxy_ctx *c = NULL;
    CHECK_INT(in(px, &r, m, &c), SIPHON_PROXY_CONTEXT);
    if (c) {
        CHECK_INT(siphon_proxy_add_target(px, c, "sip:bob@pc.example.com", -1,
                                          "sip:strict.example.com"), 0);
        CHECK_INT(siphon_proxy_start(px, c, 0), 0);
        prec_drain(px, &r, 0);
        prec_ev *f = prec_nth(&r, SIPHON_PROXY_EV_FORWARD, 0);
        CHECK(f != NULL);
        if (f) {
            CHECK_STR(siphon_msg_ruri_str(f->msg), "sip:strict.example.com");
            CHECK_STR(siphon_str_c(px_hdr(f->msg, "Route")),
                      "<sip:bob@pc.example.com>");
            CHECK_STR(siphon_str_c(f->hop), "sip:strict.example.com");
            /* Its CANCEL goes the same way. */
            siphon_msg *p180 = NULL;
            siphon_msgb *b = siphon_msgb_response_to(
                f->msg, 180, SIPHON_STR_NULL, SIPHON_STR_LIT("t"));
            CHECK_INT(siphon_msgb_finish(b, &p180, NULL), 0);
            siphon_msgb_free(b);
            CHECK_INT(siphon_proxy_response(px, p180, 1), 0);
            siphon_msg_unref(p180);
            siphon_msg *cancel = px_request("CANCEL", "sip:bob@biloxi.example.com",
                                            NULL);
            CHECK_INT(siphon_proxy_receive(px, cancel, (void *)1, NULL, 2, NULL),
                      SIPHON_PROXY_HANDLED);
            siphon_msg_unref(cancel);
            prec_drain(px, &r, 2);
            prec_ev *cb = prec_nth(&r, SIPHON_PROXY_EV_CANCEL_BRANCH, 0);
            CHECK(cb != NULL);
            if (cb) {
                CHECK_STR(siphon_str_c(cb->hop), "sip:strict.example.com");
                CHECK_STR(siphon_msg_ruri_str(cb->msg), "sip:strict.example.com");
            }
        }
    }
    prec_clear(&r);
    siphon_msg_unref(m);
    siphon_proxy_free(px);
}
