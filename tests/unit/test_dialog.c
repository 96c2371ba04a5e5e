/*
 * test_dialog.c -- the dialog layer (lib/dialog) on a virtual clock: UAC
 * dialogs (RFC 3261 §12.1.2, forking and ACK of §13.2.2.4, §12.3), UAS
 * dialogs (§12.1.1, the 2xx retransmissions and no-ACK BYE of
 * §13.3.1.4), requests within a dialog (§12.2.1.1, with loose and strict
 * routing), requests received within one (§12.2.2) and termination
 * (§12.2.1.2, §15).
 */
#include "dialog_support.h"
#include "unit.h"

/* ---- UAC: creation, forking, rejection ---------------------------------- */

UNIT_TEST(dialog_uac_early_then_confirmed)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite(BOB_URI);
    siphon_msg *r180 = dlg_reply(inv, 180, "t1", "<sip:bob@192.0.2.4>",
                                 "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
    siphon_msg *r200 = dlg_reply(inv, 200, "t1", "<sip:bob@192.0.2.5>",
                                 "<sip:p3.example.com;lr>\n"
                                 "Record-Route: <sip:p4.example.com;lr>");
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r180, 0, &d),
              SIPHON_DIALOG_MATCHED);
    dctx_drain(&c, 0);
    CHECK(d != NULL);
    if (!d)
        goto out;
    CHECK_STR(siphon_dialog_call_id(d), CALLID);
    /* §12.1.2: Record-Route reversed. */
    check_new_early(d, SIPHON_DIALOG_UAC, "1928301774", "t1",
                    "sip:bob@192.0.2.4");
    CHECK_STR(siphon_dialog_local_contact(d),
              "<sip:alice@pc33.atlanta.example.com>");
    CHECK(!siphon_dialog_secure(d));
    /* A second 180 of the same dialog changes nothing. */
    siphon_dialog *d2 = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r180, 10, &d2),
              SIPHON_DIALOG_MATCHED);
    CHECK(d2 == d);
    /* §13.2.2.4: the 2xx confirms it and recomputes the route set (and,
     * the INVITE being a target refresh, the remote target). */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 20, &d2),
              SIPHON_DIALOG_MATCHED);
    dctx_drain(&c, 20);
    CHECK(d2 == d);
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_CONFIRMED);
    CHECK_INT(siphon_dialog_route_count(d), 2);
    CHECK_STR(siphon_dialog_route(d, 0), "<sip:p4.example.com;lr>");
    CHECK_STR(siphon_dialog_route(d, 1), "<sip:p3.example.com;lr>");
    CHECK_STR(siphon_dialog_remote_target(d), "sip:bob@192.0.2.5");
    /* Once confirmed the route set never changes: a re-INVITE's 2xx with
     * another Record-Route leaves it. */
    siphon_msg *reinv = NULL;
    CHECK_INT(dctx_request(&c, d, "INVITE", 30, &reinv, NULL), 0);
    siphon_msg *re200 = reinv ? dlg_reply(reinv, 200, NULL, "<sip:bob@192.0.2.6>",
                                          "<sip:evil.example.com;lr>")
                              : NULL;
    if (re200) {
        CHECK_INT(siphon_dialog_receive_response(c.s, reinv, re200, 40, &d2),
                  SIPHON_DIALOG_MATCHED);
        CHECK_INT(siphon_dialog_route_count(d), 2);
        CHECK_STR(siphon_dialog_route(d, 0), "<sip:p4.example.com;lr>");
        CHECK_STR(siphon_dialog_remote_target(d), "sip:bob@192.0.2.6");
    }
    dctx_drain(&c, 40);
    CHECK_TRACE(&c, "CREATED(EARLY)@0 STATE(EARLY>CONFIRMED)@20");
    siphon_msg_unref(reinv);
    siphon_msg_unref(re200);
out:
    DCTX_DONE(&c, inv, r180, r200);
}

UNIT_TEST(dialog_uac_secure_and_tagless)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sips:bob@biloxi.example.com");
    /* §12.1.2: a 2xx without To tag makes a dialog with a null remote
     * tag; a 1xx without one makes none. */
    siphon_msg *r180 = dlg_reply(inv, 180, NULL, "<sips:bob@192.0.2.4>", NULL);
    siphon_msg *r200 = dlg_reply(inv, 200, NULL, "<sips:bob@192.0.2.4>", NULL);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r180, 0, &d),
              SIPHON_DIALOG_NONE);
    CHECK(d == NULL);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 0, &d),
              SIPHON_DIALOG_MATCHED);
    if (d) {
        CHECK(siphon_dialog_secure(d));
        CHECK_STR(siphon_dialog_remote_tag(d), "");
        CHECK_INT(siphon_dialog_route_count(d), 0);
    }
    DCTX_DONE(&c, inv, r180, r200);
}

UNIT_TEST(dialog_uac_forked)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite(BOB_URI);
    siphon_msg *a180 = dlg_reply(inv, 180, "ta", "<sip:bob@a.example.com>", NULL);
    siphon_msg *b180 = dlg_reply(inv, 180, "tb", "<sip:bob@b.example.com>", NULL);
    siphon_msg *b200 = dlg_reply(inv, 200, "tb", "<sip:bob@b.example.com>", NULL);
    siphon_msg *c200 = dlg_reply(inv, 200, "tc", "<sip:bob@c.example.com>", NULL);
    siphon_dialog *da = NULL, *db = NULL, *dc = NULL, *x = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, a180, 0, &da), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b180, 5, &db), 1);
    CHECK(da && db && da != db);
    CHECK_INT(siphon_dialog_count(c.s), 2);
    /* The 2xx confirms its own fork; the other stays early. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b200, 10, &x), 1);
    CHECK(x == db);
    if (da && db) {
        CHECK_INT(siphon_dialog_state_of(db), SIPHON_DIALOG_CONFIRMED);
        CHECK_INT(siphon_dialog_state_of(da), SIPHON_DIALOG_EARLY);
    }
    /* §13.2.2.4: a 2xx from a third fork makes a third dialog, confirmed,
     * which the TU ACKs and ends with BYE. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, c200, 15, &dc), 1);
    CHECK(dc && dc != da && dc != db);
    CHECK_INT(siphon_dialog_count(c.s), 3);
    if (dc) {
        CHECK_INT(siphon_dialog_state_of(dc), SIPHON_DIALOG_CONFIRMED);
        siphon_msg *ack = NULL, *bye = NULL;
        CHECK_INT(dctx_request(&c, dc, "ACK", 16, &ack, NULL), 0);
        CHECK_INT(dctx_request(&c, dc, "BYE", 16, &bye, NULL), 0);
        if (bye) {
            CHECK_STR(siphon_msg_ruri_str(bye), "sip:bob@c.example.com");
            CHECK(siphon_msg_cseq(bye)->num == 314160);
        }
        siphon_msg_unref(ack);
        siphon_msg_unref(bye);
    }
    /* The INVITE client transaction ends: the unconfirmed fork ends. */
    CHECK_INT(siphon_dialog_uac_invite_ended(c.s, inv, 32010), 1);
    CHECK_INT(siphon_dialog_count(c.s), 1);
    dctx_drain(&c, 32010);
    CHECK_TRACE(&c, "CREATED(EARLY)@32010 CREATED(EARLY)@32010 "
                    "STATE(EARLY>CONFIRMED)@32010 CREATED(CONFIRMED)@32010 "
                    "TERMINATED(BYE_SENT)@32010 TERMINATED(UNCONFIRMED)@32010");
    DCTX_DONE(&c, inv, a180, b180, b200, c200);
}

UNIT_TEST(dialog_uac_rejected_ends_early)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite(BOB_URI);
    siphon_msg *a180 = dlg_reply(inv, 180, "ta", "<sip:bob@a.example.com>", NULL);
    siphon_msg *b183 = dlg_reply(inv, 183, "tb", "<sip:bob@b.example.com>", NULL);
    siphon_msg *r486 = dlg_reply(inv, 486, "tz", NULL, NULL);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, a180, 0, NULL), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b183, 0, NULL), 1);
    CHECK_INT(siphon_dialog_count(c.s), 2);
    /* §12.3: a non-2xx final ends every early dialog of the INVITE,
     * whatever its To tag. */
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r486, 100, &d),
              SIPHON_DIALOG_MATCHED);
    CHECK(d != NULL);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    dctx_drain(&c, 100);
    CHECK_TRACE(&c, "CREATED(EARLY)@100 CREATED(EARLY)@100 "
                    "TERMINATED(REJECTED)@100 TERMINATED(REJECTED)@100");
    /* Nothing left to reject. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r486, 100, &d),
              SIPHON_DIALOG_NONE);
    DCTX_DONE(&c, inv, a180, b183, r486);
}

/* ---- UAC: ACK, re-ACK, requests within the dialog ----------------------- */

UNIT_TEST(dialog_uac_ack_and_reack)
{
    dctx c;
    siphon_msg *inv, *r200;
    siphon_dialog *d = uac_confirmed(
        &c, &inv, &r200, "<sip:bob@192.0.2.4>",
        "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
    if (!d)
        goto out;
    /* Before the TU built its ACK, a retransmission is the TU's. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 1, NULL),
              SIPHON_DIALOG_MATCHED);
    siphon_msg *ack = NULL;
    siphon_str hop;
    CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("ACK"),
                                    SIPHON_STR_LIT("application/sdp"),
                                    SIPHON_STR_LIT("v=0\r\n"), 2, &ack, &hop),
              0);
    if (!ack)
        goto out;
    /* §13.2.2.4: the INVITE's CSeq number, the dialog's routes. */
    CHECK_STR(siphon_msg_start_line(ack), "ACK sip:bob@192.0.2.4 SIP/2.0");
    CHECK(siphon_msg_cseq(ack)->num == 314159);
    CHECK_STR(siphon_msg_cseq(ack)->method, "ACK");
    CHECK_STR(hop, "sip:p2.example.com;lr");
    CHECK_STR(dlg_hdr(ack, "Route", 0), "<sip:p2.example.com;lr>");
    CHECK_STR(dlg_hdr(ack, "Route", 1), "<sip:p1.example.com;lr>");
    CHECK_STR(dlg_hdr(ack, "To", 0), "Bob <sip:bob@biloxi.example.com>;tag=t1");
    CHECK_STR(dlg_hdr(ack, "From", 0),
              "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
    CHECK_STR(dlg_hdr(ack, "Contact", 0), "");
    CHECK_STR(siphon_msg_body(ack), "v=0\r\n");
    CHECK(siphon_dialog_ack(d) == ack);
    /* The ACK takes no new CSeq number. */
    CHECK_INT(siphon_dialog_local_cseq(d, NULL), 314159);
    /* Every retransmitted 2xx (also after the ICT ended: req NULL) gets
     * the same ACK again. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 500, NULL),
              SIPHON_DIALOG_RETRANSMISSION);
    CHECK_INT(siphon_dialog_receive_response(c.s, NULL, r200, 1500, NULL),
              SIPHON_DIALOG_RETRANSMISSION);
    dctx_drain(&c, 1500);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@1500 SEND(ACK)@1500 SEND(ACK)@1500");
    for (size_t i = 0; i < c.n; i++)
        if (c.ev[i].type == SIPHON_DIALOG_EV_SEND) {
            CHECK(c.ev[i].msg == ack);
            CHECK_STR(c.ev[i].next_hop, "sip:p2.example.com;lr");
        }
    siphon_msg_unref(ack);
out:
    DCTX_DONE(&c, inv, r200);
}

UNIT_TEST(dialog_uac_requests_cseq_routes)
{
    dctx c;
    siphon_msg *inv, *r200;
    siphon_dialog *d =
        uac_confirmed(&c, &inv, &r200, "<sip:bob@192.0.2.4;transport=tcp>",
                      "<sip:p1.example.com;lr>");
    if (!d)
        goto out;
    static const char *const methods[] = {"INFO", "UPDATE", "MESSAGE",
                                          "INVITE", "ACK", "BYE"};
    static const unsigned cseqs[] = {314160, 314161, 314162, 314163, 314163,
                                     314164};
    for (size_t i = 0; i < 6; i++) {
        siphon_msg *m = NULL;
        siphon_str hop;
        CHECK_INT(dctx_request(&c, d, methods[i], 10, &m, &hop), 0);
        if (!m)
            continue;
        if (i == 3) {
            /* ACK needs the 2xx of the re-INVITE first. */
            siphon_msg *a = NULL;
            CHECK_INT(dctx_request(&c, d, "ACK", 10, &a, NULL), SIPHON_ESTATE);
            siphon_msg *ok = dlg_reply(m, 200, NULL,
                                       "<sip:bob@192.0.2.4;transport=tcp>", NULL);
            CHECK_INT(siphon_dialog_receive_response(c.s, m, ok, 10, NULL),
                      SIPHON_DIALOG_MATCHED);
            siphon_msg_unref(ok);
        }
        /* §12.2.1.1 */
        CHECK_STR(siphon_msg_ruri_str(m), "sip:bob@192.0.2.4;transport=tcp");
        CHECK(siphon_msg_cseq(m)->num == cseqs[i]);
        CHECK_STR(siphon_msg_cseq(m)->method, methods[i]);
        CHECK_STR(dlg_hdr(m, "Max-Forwards", 0), "70");
        CHECK_STR(dlg_hdr(m, "Route", 0), "<sip:p1.example.com;lr>");
        CHECK_STR(dlg_hdr(m, "Call-ID", 0), CALLID);
        CHECK_STR(hop, "sip:p1.example.com;lr");
        CHECK_STR(dlg_hdr(m, "Via", 0), "");
        /* Contact only on target refresh requests. */
        bool refresh = i == 1 || i == 3;
        CHECK_STR(dlg_hdr(m, "Contact", 0),
                  refresh ? "<sip:alice@pc33.atlanta.example.com>" : "");
        siphon_msg_unref(m);
    }
    /* §15.1.1: after BYE the dialog is gone. */
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_TERMINATED);
    CHECK_INT(siphon_dialog_reason_of(d), SIPHON_DIALOG_REASON_BYE_SENT);
    siphon_msg *m = NULL;
    CHECK_INT(dctx_request(&c, d, "INFO", 10, &m, NULL), SIPHON_ESTATE);
    CHECK_INT(siphon_dialog_count(c.s), 0);
out:
    DCTX_DONE(&c, inv, r200);
}

UNIT_TEST(dialog_strict_router)
{
    /* §12.2.1.1: the first route has no ;lr -- the Request-URI becomes
     * that route (parameters not allowed there stripped), the rest of
     * the set follows in Route, and the remote target goes last. */
    dctx c;
    siphon_msg *inv, *r200;
    /* Reversed on the UAC side: the strict router is the last one. */
    siphon_dialog *d = uac_confirmed(
        &c, &inv, &r200, "<sip:bob@bobpc.example.com?Subject=hi>",
        "<sip:p3.example.com;lr>, <sip:p2.example.com;lr>, "
        "<sip:p1.example.com;method=INVITE;maddr=10.0.0.1>");
    siphon_msg *m = NULL;
    siphon_str hop = SIPHON_STR_NULL;
    if (d)
        CHECK_INT(dctx_request(&c, d, "INFO", 0, &m, &hop), 0);
    if (m) {
        CHECK_STR(siphon_msg_ruri_str(m), "sip:p1.example.com;maddr=10.0.0.1");
        CHECK_STR(dlg_hdr(m, "Route", 0), "<sip:p2.example.com;lr>");
        CHECK_STR(dlg_hdr(m, "Route", 1), "<sip:p3.example.com;lr>");
        CHECK_STR(dlg_hdr(m, "Route", 2), "<sip:bob@bobpc.example.com?Subject=hi>");
        CHECK_STR(dlg_hdr(m, "Route", 3), "");
        CHECK_STR(hop, "sip:p1.example.com;maddr=10.0.0.1");
    }
    siphon_msg_unref(m);
    /* Loose routing, no headers in the Request-URI either. */
    siphon_msg *inv2 = uac_invite2("sip:bob@biloxi.example.com", "c2@x");
    siphon_msg *r2 = dlg_reply(inv2, 200, "t1",
                               "<sip:bob@bobpc.example.com;method=BYE?Subject=hi>",
                               NULL);
    d = NULL;
    m = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv2, r2, 0, &d), 1);
    if (d)
        CHECK_INT(dctx_request(&c, d, "INFO", 0, &m, &hop), 0);
    if (m) {
        CHECK_STR(siphon_msg_ruri_str(m), "sip:bob@bobpc.example.com");
        CHECK_STR(hop, "sip:bob@bobpc.example.com");
        CHECK_STR(dlg_hdr(m, "Route", 0), "");
    }
    DCTX_DONE(&c, m, inv, r200, inv2, r2);
}

UNIT_TEST(dialog_uac_in_dialog_failures)
{
    /* §12.2.1.2: 481 and 408 (or a transaction timeout) end the dialog;
     * other failures do not. */
    static const int statuses[] = {481, 408, 0, 491};
    static const char *const want[] = {"GONE", "TIMEOUT", "TIMEOUT", NULL};
    for (size_t k = 0; k < 4; k++) {
        dctx c;
        siphon_msg *inv, *r200;
        siphon_dialog *d = uac_confirmed(&c, &inv, &r200,
                                         "<sip:bob@192.0.2.4>", NULL);
        siphon_dialog *x = NULL;
        siphon_msg *info = NULL, *fail = NULL;
        if (d)
            CHECK_INT(dctx_request(&c, d, "INFO", 0, &info, NULL), 0);
        if (info && statuses[k]) {
            fail = dlg_reply(info, statuses[k], NULL, NULL, NULL);
            CHECK_INT(siphon_dialog_receive_response(c.s, info, fail, 5, &x),
                      SIPHON_DIALOG_MATCHED);
            CHECK(x == d);
        } else if (d) {
            CHECK_INT(siphon_dialog_terminate(c.s, d,
                                              SIPHON_DIALOG_REASON_TIMEOUT, 5),
                      0);
            CHECK_INT(siphon_dialog_terminate(c.s, d,
                                              SIPHON_DIALOG_REASON_LOCAL, 5),
                      SIPHON_ESTATE);
        }
        if (d) {
            if (want[k]) {
                CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_TERMINATED);
                CHECK_STR(siphon_str_c(siphon_dialog_reason_name(
                              siphon_dialog_reason_of(d))),
                          want[k]);
            } else {
                CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_CONFIRMED);
            }
        }
        DCTX_DONE(&c, info, fail, inv, r200);
    }
}

/* ---- UAS: creation, requests received ---------------------------------- */


UNIT_TEST(dialog_uas_create_and_requests)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_msg *r180 = uas_reply(inv, 180), *r200 = uas_reply(inv, 200);
    siphon_dialog *d = NULL, *x = NULL;
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r180, 0, &d),
              SIPHON_DIALOG_MATCHED);
    if (!d)
        goto out;
    /* §12.1.1: Record-Route as received, Contact of the request, remote
     * CSeq of the request, local CSeq empty. */
    check_new_early(d, SIPHON_DIALOG_UAS, "bt", "1928301774",
                    "sip:alice@pc33.atlanta.example.com");
    bool has;
    /* §15: the callee may not BYE an early dialog. */
    siphon_msg *m = NULL;
    CHECK_INT(dctx_request(&c, d, "BYE", 0, &m, NULL), SIPHON_ESTATE);
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r200, 100, &x), 1);
    CHECK(x == d);
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_CONFIRMED);
    CHECK_INT(siphon_dialog_route_count(d), 2);
    /* The ACK stops the 2xx retransmissions. */
    CHECK(siphon_dialog_awaiting_ack(d));
    siphon_msg *ack = alice_req("ACK", 314159, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, ack, 200, &x, NULL),
              SIPHON_DIALOG_MATCHED);
    CHECK(!siphon_dialog_awaiting_ack(d));
    /* Bob's own request: From his To with tag, To Alice's From, Route as
     * received, Request-URI her Contact, a fresh CSeq. */
    siphon_str hop;
    CHECK_INT(dctx_request(&c, d, "INFO", 300, &m, &hop), 0);
    if (m) {
        CHECK_STR(siphon_msg_ruri_str(m), "sip:alice@pc33.atlanta.example.com");
        CHECK_STR(dlg_hdr(m, "From", 0), "Bob <sip:bob@biloxi.example.com>;tag=bt");
        CHECK_STR(dlg_hdr(m, "To", 0),
                  "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
        CHECK_STR(dlg_hdr(m, "Route", 0), "<sip:p2.example.com;lr>");
        CHECK_STR(dlg_hdr(m, "Route", 1), "<sip:p1.example.com;lr>");
        CHECK_STR(hop, "sip:p2.example.com;lr");
        uint32_t first = siphon_msg_cseq(m)->num;
        CHECK(first >= 1 && first < 0x80000000u);
        CHECK_INT(siphon_dialog_local_cseq(d, &has), first);
        siphon_msg_unref(m);
        m = NULL;
        CHECK_INT(dctx_request(&c, d, "INFO", 300, &m, NULL), 0);
        if (m)
            CHECK(siphon_msg_cseq(m)->num == first + 1);
        siphon_msg_unref(m);
    }
    /* §12.2.2 target refresh: a re-INVITE with a new Contact. */
    siphon_msg *reinv = alice_req("INVITE", 314160, "bt",
                                  "<sip:alice@192.0.2.99>");
    siphon_msg *resp = NULL;
    CHECK_INT(siphon_dialog_receive_request(c.s, reinv, 400, &x, &resp),
              SIPHON_DIALOG_MATCHED);
    CHECK(x == d && resp == NULL);
    CHECK_STR(siphon_dialog_remote_target(d), "sip:alice@192.0.2.99");
    CHECK_INT(siphon_dialog_remote_cseq(d, NULL), 314160);
    /* A lower CSeq: 500 (§12.2.2). */
    siphon_msg *old = alice_req("INFO", 314159, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, old, 500, &x, &resp),
              SIPHON_DIALOG_REJECT);
    CHECK(x == d);
    if (resp) {
        CHECK_INT(siphon_msg_status(resp), 500);
        CHECK_STR(siphon_msg_reason(resp), "CSeq Out of Order");
    }
    siphon_msg_unref(resp);
    resp = NULL;
    CHECK_INT(siphon_dialog_remote_cseq(d, NULL), 314160);
    /* Unknown dialog: 481; an ACK for one: dropped; no To tag or a
     * CANCEL: not ours. */
    siphon_msg *unk = alice_req("INFO", 314170, "nosuch", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, unk, 600, &x, &resp),
              SIPHON_DIALOG_REJECT);
    CHECK(x == NULL);
    if (resp)
        CHECK_INT(siphon_msg_status(resp), 481);
    siphon_msg_unref(resp);
    resp = NULL;
    siphon_msg *unkack = alice_req("ACK", 314170, "nosuch", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, unkack, 600, &x, &resp),
              SIPHON_DIALOG_NONE);
    CHECK(resp == NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, inv, 600, &x, &resp),
              SIPHON_DIALOG_NONE);
    siphon_msg *cancel = alice_req("CANCEL", 314160, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, cancel, 600, &x, &resp),
              SIPHON_DIALOG_NONE);
    /* BYE ends it (§15.1.2). */
    siphon_msg *bye = alice_req("BYE", 314161, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, bye, 700, &x, &resp),
              SIPHON_DIALOG_MATCHED);
    CHECK(x == d);
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_TERMINATED);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    dctx_drain(&c, 700);
    CHECK_TRACE(&c, "CREATED(EARLY)@700 STATE(EARLY>CONFIRMED)@700 "
                    "TERMINATED(BYE_RECEIVED)@700");
    /* Gone: the BYE again would get a 481. */
    CHECK_INT(siphon_dialog_receive_request(c.s, bye, 800, &x, &resp),
              SIPHON_DIALOG_REJECT);
    DLG_UNREF(resp, ack, reinv, old, unk, unkack, cancel, bye);
out:
    DCTX_DONE(&c, inv, r180, r200);
}

UNIT_TEST(dialog_uas_rejected)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_msg *r180 = uas_reply(inv, 180), *r486 = uas_reply(inv, 486);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r180, 0, &d), 1);
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r486, 10, &d), 1);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    dctx_drain(&c, 10);
    CHECK_TRACE(&c, "CREATED(EARLY)@10 TERMINATED(REJECTED)@10");
    DCTX_DONE(&c, inv, r180, r486);
}

/* ---- UAS: §13.3.1.4 on a virtual clock ---------------------------------- */

UNIT_TEST(dialog_uas_2xx_retransmit_until_ack)
{
    /* T1 = 500, T2 = 4000: resend at 0.5, 1.5, 3.5, 7.5, 11.5 s ...;
     * the ACK at 9 s stops it. */
    dctx c;
    siphon_msg *inv, *r200;
    siphon_dialog *d = uas_confirmed(&c, NULL, &inv, &r200, 0);
    siphon_msg *ack = alice_req("ACK", 314159, "bt", NULL);
    siphon_msg *ack_other = alice_req("ACK", 314158, "bt", NULL);
    CHECK_INT(siphon_dialog_next_deadline(c.s), 500);
    dctx_run(&c, 8000);
    /* An ACK for another CSeq is not ours. */
    CHECK_INT(siphon_dialog_receive_request(c.s, ack_other, 8000, NULL, NULL),
              SIPHON_DIALOG_MATCHED);
    CHECK_INT(siphon_dialog_next_deadline(c.s), 11500);
    dctx_run(&c, 9000);
    CHECK_INT(siphon_dialog_receive_request(c.s, ack, 9000, NULL, NULL),
              SIPHON_DIALOG_MATCHED);
    CHECK(siphon_dialog_next_deadline(c.s) == UINT64_MAX);
    dctx_run(&c, 100000);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@0 SEND(200)@500 SEND(200)@1500 "
                    "SEND(200)@3500 SEND(200)@7500");
    for (size_t i = 0; i < c.n; i++)
        if (c.ev[i].type == SIPHON_DIALOG_EV_SEND) {
            CHECK(c.ev[i].msg == r200);
            CHECK_INT(c.ev[i].next_hop.len, 0);
        }
    /* Now the callee may BYE. */
    siphon_msg *bye = NULL;
    if (d)
        CHECK_INT(dctx_request(&c, d, "BYE", 100000, &bye, NULL), 0);
    DCTX_DONE(&c, bye, inv, r200, ack, ack_other);
}

UNIT_TEST(dialog_uas_no_ack_bye)
{
    dctx c;
    siphon_msg *inv, *r200;
    siphon_dialog *d = uas_confirmed(&c, NULL, &inv, &r200, 1000);
    /* The callee may not BYE before the ACK (§15). */
    siphon_msg *m = NULL;
    if (d)
        CHECK_INT(dctx_request(&c, d, "BYE", 1000, &m, NULL), SIPHON_ESTATE);
    dctx_run(&c, 100000);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@1000 SEND(200)@1500 SEND(200)@2500 "
                    "SEND(200)@4500 SEND(200)@8500 SEND(200)@12500 "
                    "SEND(200)@16500 SEND(200)@20500 SEND(200)@24500 "
                    "SEND(200)@28500 SEND(200)@32500 "
                    "NO_ACK@33000 SEND(BYE)@33000 TERMINATED(NO_ACK)@33000");
    CHECK_INT(siphon_dialog_count(c.s), 0);
    CHECK(siphon_dialog_next_deadline(c.s) == UINT64_MAX);
    long i = -1;
    for (size_t k = 0; k < c.n; k++)
        if (c.ev[k].type == SIPHON_DIALOG_EV_SEND &&
            siphon_msg_is_request(c.ev[k].msg))
            i = (long)k;
    if (i >= 0) {
        siphon_msg *bye = c.ev[i].msg;
        CHECK_STR(siphon_msg_ruri_str(bye), "sip:alice@pc33.atlanta.example.com");
        CHECK_STR(dlg_hdr(bye, "To", 0),
                  "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
        CHECK_STR(dlg_hdr(bye, "From", 0), "Bob <sip:bob@biloxi.example.com>;tag=bt");
        CHECK_STR(c.ev[i].next_hop, "sip:p2.example.com;lr");
        CHECK_STR(siphon_msg_cseq(bye)->method, "BYE");
    }
    DCTX_DONE(&c, inv, r200);
}

UNIT_TEST(dialog_uas_reinvite_2xx_retransmit)
{
    /* A 2xx to a re-INVITE is retransmitted too, with T1 = 100 and
     * T2 = 400, and the ACK of that re-INVITE stops it. */
    siphon_dialog_config cfg = SIPHON_DIALOG_CONFIG_DEFAULT;
    cfg.t1_ms = 100;
    cfg.t2_ms = 400;
    dctx c;
    siphon_msg *inv, *r200;
    uas_confirmed(&c, &cfg, &inv, &r200, 0);
    siphon_msg *ack = alice_req("ACK", 314159, "bt", NULL);
    siphon_msg *reinv = alice_req("INVITE", 314160, "bt", "<sip:a@192.0.2.7>");
    siphon_msg *re200 = reinv ? dlg_reply(reinv, 200, NULL, "<sip:bob@192.0.2.4>",
                                          NULL)
                              : NULL;
    siphon_msg *reack = alice_req("ACK", 314160, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, ack, 50, NULL, NULL), 1);
    CHECK_INT(siphon_dialog_receive_request(c.s, reinv, 1000, NULL, NULL), 1);
    CHECK_INT(siphon_dialog_uas_respond(c.s, reinv, re200, 1000, NULL), 1);
    dctx_run(&c, 2000);
    CHECK_INT(siphon_dialog_receive_request(c.s, reack, 2000, NULL, NULL), 1);
    dctx_run(&c, 100000);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@0 SEND(200)@1100 SEND(200)@1300 "
                    "SEND(200)@1700");
    CHECK_INT(siphon_dialog_count(c.s), 1);
    DCTX_DONE(&c, inv, r200, ack, reinv, re200, reack);
}

/* ---- limits, tokens, bad input ------------------------------------------ */

UNIT_TEST(dialog_limits)
{
    siphon_dialog_config cfg = SIPHON_DIALOG_CONFIG_DEFAULT;
    cfg.max_dialogs = 2;
    cfg.max_routes = 1;
    dctx c;
    dctx_init(&c, &cfg);
    siphon_msg *inv = uac_invite(BOB_URI);
    siphon_msg *a = dlg_reply(inv, 180, "ta", "<sip:b@a>", NULL);
    siphon_msg *b = dlg_reply(inv, 180, "tb", "<sip:b@b>", NULL);
    siphon_msg *cc = dlg_reply(inv, 180, "tc", "<sip:b@c>", NULL);
    siphon_msg *rr2 = dlg_reply(inv, 180, "td", "<sip:b@d>",
                                "<sip:p1;lr>, <sip:p2;lr>");
    siphon_msg *badc = dlg_reply(inv, 180, "te", "<sip:b@[bad>", NULL);
    siphon_msg *star = dlg_reply(inv, 180, "tf", "*", NULL);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, rr2, 0, &d),
              SIPHON_ETOOBIG);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, badc, 0, &d),
              SIPHON_EPARSE);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, star, 0, &d),
              SIPHON_EPARSE);
    CHECK(d == NULL);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, a, 0, &d), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b, 0, &d), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, cc, 0, &d),
              SIPHON_ETOOBIG);
    CHECK_INT(siphon_dialog_count(c.s), 2);
    /* Bad arguments. */
    CHECK_INT(siphon_dialog_receive_response(NULL, inv, a, 0, &d),
              SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_receive_response(c.s, a, inv, 0, &d),
              SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_receive_request(c.s, a, 0, &d, NULL),
              SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, inv, 0, &d), SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_tick(NULL, 0), SIPHON_EINVAL);
    CHECK(siphon_dialog_next_deadline(NULL) == UINT64_MAX);
    CHECK_INT(siphon_dialog_count(NULL), 0);
    siphon_dialog_event ev;
    CHECK(!siphon_dialog_poll(NULL, &ev));
    siphon_dialog_set_free(NULL);
    d = siphon_dialog_find(c.s, siphon_str_c(CALLID),
                           SIPHON_STR_LIT("1928301774"), SIPHON_STR_LIT("ta"));
    CHECK(d != NULL);
    siphon_msg *m = NULL;
    if (d) {
        CHECK_INT(dctx_request(&c, d, "CANCEL", 0, &m, NULL), SIPHON_EINVAL);
        CHECK_INT(dctx_request(&c, d, "BAD METHOD", 0, &m, NULL),
                  SIPHON_EINVAL);
    }
    /* Tokens from the RNG. */
    char buf[64];
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_TAG, buf,
                                      sizeof buf), 16);
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_CALL_ID, buf,
                                      sizeof buf), 32);
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_BRANCH, buf,
                                      sizeof buf), 23);
    CHECK(strncmp(buf, "z9hG4bK", 7) == 0);
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_TAG, buf, 16),
              SIPHON_ETOOBIG);
    DCTX_DONE(&c, inv, a, b, cc, rr2, badc, star);
}

static uint32_t fixed_rng(void *arg)
{
    unsigned *n = arg;
    return 0x01020304u + (*n)++;
}

UNIT_TEST(dialog_injected_rng)
{
    unsigned n = 0;
    siphon_dialog_config cfg = SIPHON_DIALOG_CONFIG_DEFAULT;
    cfg.rng = fixed_rng;
    cfg.rng_arg = &n;
    siphon_dialog_set *s = siphon_dialog_set_new(&cfg);
    char buf[64];
    CHECK_INT(siphon_dialog_new_token(s, SIPHON_DIALOG_TOKEN_TAG, buf,
                                      sizeof buf), 16);
    CHECK_STR(siphon_str_c(buf), "0102030401020305");
    CHECK_INT(n, 2);
    siphon_dialog_set_free(s);
}

UNIT_TEST(dialog_many)
{
    /* 300 UAS dialogs: the index grows past its first 64 buckets, each
     * is found by its ID, and ending them all empties the set. */
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_dialog *ds[300];
    for (int i = 0; i < 300; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "b%d", i);
        siphon_msg *r = dlg_reply(inv, 180, tag, "<sip:bob@192.0.2.4>", NULL);
        ds[i] = NULL;
        CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r, 0, &ds[i]), 1);
        if (ds[i])
            siphon_dialog_set_user(ds[i], &ds[i]);
        siphon_msg_unref(r);
    }
    CHECK_INT(siphon_dialog_count(c.s), 300);
    for (int i = 0; i < 300; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "b%d", i);
        siphon_dialog *d = siphon_dialog_find(c.s, siphon_str_c(CALLID),
                                              siphon_str_c(tag),
                                              SIPHON_STR_LIT("1928301774"));
        CHECK(d == ds[i]);
        if (d) {
            CHECK(siphon_dialog_user(d) == &ds[i]);
            CHECK_STR(siphon_str_c(siphon_dialog_role_name(
                          siphon_dialog_role_of(d))),
                      "UAS");
        }
    }
    /* Free the set with TERMINATED events still queued: no leak. */
    for (int i = 0; i < 300; i++)
        if (ds[i])
            CHECK_INT(siphon_dialog_terminate(c.s, ds[i],
                                              SIPHON_DIALOG_REASON_LOCAL, 1),
                      0);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    siphon_dialog_set_free(c.s);
    c.s = siphon_dialog_set_new(NULL);
    DCTX_DONE(&c, inv);
}
