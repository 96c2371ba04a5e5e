/*
 * test_txn_server.c -- the server transactions on a virtual clock:
 * RFC 3261 §17.2.1 (Figure 7, as updated by RFC 6026 §7.1) and §17.2.2
 * (Figure 8), with RFC 4320's "no 408 from the transaction".
 *
 * Figure arrows and the tests that walk them (T1 = 500 ms, T2 = 4 s,
 * T4 = 5 s):
 *
 * Figure 7, INVITE server transaction (RFC 6026 version):
 *   F7.1  INVITE / pass to TU, 100 if TU silent 200ms  txn_ist_proceeding_completed_udp
 *   F7.2  Proceeding: INVITE / send last response      txn_ist_proceeding_completed_udp
 *   F7.3  Proceeding: 101-199 from TU / send           txn_ist_proceeding_completed_udp
 *   F7.4  Proceeding: Transport Err / inform TU -> T.  txn_ist_transport_error
 *   F7.5  Proceeding: 2xx from TU / send -> Accepted   txn_ist_2xx_accepted
 *   F7.6  Proceeding: 300-699 from TU / send -> Compl. txn_ist_proceeding_completed_udp
 *   F7.7  Completed: INVITE / send response            txn_ist_proceeding_completed_udp
 *   F7.8  Completed: Timer G / send response           txn_ist_timer_g_h_udp
 *   F7.9  Completed: Timer H / inform TU -> Terminated txn_ist_timer_g_h_udp, txn_ist_tcp
 *   F7.10 Completed: Transport Err / inform TU -> T.   txn_ist_transport_error
 *   F7.11 Completed: ACK / - -> Confirmed              txn_ist_proceeding_completed_udp, txn_ist_tcp
 *   F7.12 Confirmed: Timer I -> Terminated             txn_ist_proceeding_completed_udp (5 s),
 *                                                      txn_ist_tcp (0)
 *   F7.13 Accepted: 2xx from TU / send (6026)          txn_ist_2xx_accepted
 *   F7.14 Accepted: ACK / to TU (6026)                 txn_ist_2xx_accepted
 *   F7.15 Accepted: INVITE / absorb (6026)             txn_ist_2xx_accepted
 *   F7.16 Accepted: Transport Err / inform TU (6026)   txn_ist_2xx_accepted
 *   F7.17 Accepted: Timer L -> Terminated (6026)       txn_ist_2xx_accepted
 *
 * Figure 8, non-INVITE server transaction:
 *   F8.1  Request / pass to TU -> Trying               txn_nist_trying_completed_udp
 *   F8.2  Trying: 1xx from TU / send -> Proceeding     txn_nist_proceeding_tcp
 *   F8.3  Trying: 200-699 from TU / send -> Completed  txn_nist_trying_completed_udp
 *   F8.4  Proceeding: 1xx from TU / send               txn_nist_proceeding_tcp
 *   F8.5  Proceeding: Request / send response          txn_nist_proceeding_tcp
 *   F8.6  Proceeding: 200-699 from TU / send -> Compl. txn_nist_proceeding_tcp
 *   F8.7  Proceeding: Transport Err / inform TU -> T.  txn_nist_transport_error
 *   F8.8  Completed: Request / send response           txn_nist_trying_completed_udp
 *   F8.9  Completed: Transport Err / inform TU -> T.   txn_nist_transport_error
 *   F8.10 Completed: Timer J -> Terminated             txn_nist_trying_completed_udp (32 s),
 *                                                      txn_nist_proceeding_tcp (0)
 */
#include "unit.h"
#include "txn_support.h"

#define CHECK_TRACE(r, want) CHECK_STR(siphon_str_c(trec_trace(r)), want)

static void recv_at(siphon_txn_layer *l, trec *r, siphon_msg *m, bool reliable,
                    uint64_t now)
{
    trec_run(l, r, now);
    CHECK_INT(siphon_txn_receive(l, m, reliable, NULL, now), 0);
    trec_drain(l, r, now);
}

static void respond_at(siphon_txn_layer *l, trec *r, siphon_txn *t,
                       siphon_msg *m, uint64_t now)
{
    trec_run(l, r, now);
    CHECK_INT(siphon_txn_respond(l, t, m, now), 0);
    trec_drain(l, r, now);
}

/* ---- INVITE server transaction (§17.2.1, RFC 6026) --------------------- */

UNIT_TEST(txn_ist_proceeding_completed_udp)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKist1", SENTBY, NULL);
    siphon_msg *ack = txfix_req(&fx, "ACK", "z9hG4bKist1", SENTBY, NULL);
    siphon_msg *r180 = txfix_resp(&fx, inv, 180, "srv");
    siphon_msg *r486 = txfix_resp(&fx, inv, 486, "srv");
    recv_at(l, &r, inv, false, 0);                 /* F7.1 */
    siphon_txn *t = trec_last_request(&r);
    CHECK(t != NULL);
    if (!t) {
        txfix_end(&fx);
        return;
    }
    CHECK_INT(siphon_txn_kind_of(t), SIPHON_TXN_IST);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_PROCEEDING);
    recv_at(l, &r, inv, false, 100); /* nothing to resend yet */
    recv_at(l, &r, inv, false, 300);               /* F7.2 (the 100) */
    respond_at(l, &r, t, r180, 400);               /* F7.3 */
    recv_at(l, &r, inv, false, 500);               /* F7.2 (the 180) */
    respond_at(l, &r, t, r486, 1000);              /* F7.6 */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_COMPLETED);
    recv_at(l, &r, inv, false, 3000);              /* F7.7 */
    recv_at(l, &r, ack, false, 9000);              /* F7.11 */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_CONFIRMED);
    recv_at(l, &r, inv, false, 10000);  /* CONFIRMED absorbs both */
    recv_at(l, &r, ack, false, 11000);
    trec_run(l, &r, 100000);                       /* F7.12: I = T4 */
    CHECK_TRACE(&r, "REQUEST(INVITE)@0 SEND(100)@200 SEND(100)@300 "
                    "SEND(180)@400 SEND(180)@500 SEND(486)@1000 "
                    "SEND(486)@1500 SEND(486)@2500 SEND(486)@3000 "
                    "SEND(486)@4500 SEND(486)@8500 TERMINATED@14000");
    /* §17.2.1: the automatic 100 carries no To tag, copies the Vias. */
    long i = trec_find(&r, SIPHON_TXN_EV_SEND, 0);
    if (i >= 0) {
        siphon_msg *m = r.ev[i].msg;
        const siphon_nameaddr *to = siphon_msg_to(m);
        CHECK(to && !to->has_tag);
        const siphon_via *v = siphon_msg_via(m);
        CHECK(v && siphon_str_eq(v->branch, SIPHON_STR_LIT("z9hG4bKist1")));
        CHECK_STR(siphon_msg_call_id(m), "a84b4c76e66710@pc33.atlanta.example.com");
    }
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
}

UNIT_TEST(txn_ist_timer_g_h_udp)
{
    /* G: 0.5, 1, 2, 4, 4, 4 ... s (capped at T2); H at 64*T1. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKgh", SENTBY, NULL);
    siphon_msg *r302 = txfix_resp(&fx, inv, 302, "srv");
    recv_at(l, &r, inv, false, 0);
    respond_at(l, &r, trec_last_request(&r), r302, 0); /* before the 100 timer */
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "REQUEST(INVITE)@0 SEND(302)@0 SEND(302)@500 "
                    "SEND(302)@1500 SEND(302)@3500 SEND(302)@7500 "
                    "SEND(302)@11500 SEND(302)@15500 SEND(302)@19500 "
                    "SEND(302)@23500 SEND(302)@27500 SEND(302)@31500 "
                    "TIMEOUT@32000 TERMINATED@32000");
    txfix_end(&fx);
}

UNIT_TEST(txn_ist_tcp)
{
    /* Reliable: no G; ACK -> CONFIRMED -> I = 0 at once. A second IST
     * never ACKed times out on H. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKtcp1", SENTBY, NULL);
    siphon_msg *ack = txfix_req(&fx, "ACK", "z9hG4bKtcp1", SENTBY, NULL);
    siphon_msg *inv2 = txfix_req(&fx, "INVITE", "z9hG4bKtcp2", SENTBY, NULL);
    siphon_msg *r404 = txfix_resp(&fx, inv, 404, "s");
    siphon_msg *r603 = txfix_resp(&fx, inv2, 603, "s");
    recv_at(l, &r, inv, true, 0);
    respond_at(l, &r, trec_last_request(&r), r404, 10);
    recv_at(l, &r, ack, true, 20);
    recv_at(l, &r, inv2, true, 30);
    respond_at(l, &r, trec_last_request(&r), r603, 40);
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "REQUEST(INVITE)@0 SEND(404)@10 TERMINATED@20 "
                    "REQUEST(INVITE)@30 SEND(603)@40 TIMEOUT@32040 "
                    "TERMINATED@32040");
    txfix_end(&fx);
}

UNIT_TEST(txn_ist_2xx_accepted)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKacc", SENTBY, NULL);
    siphon_msg *ack_same = txfix_req(&fx, "ACK", "z9hG4bKacc", SENTBY, NULL);
    siphon_msg *ack_new = txfix_req(&fx, "ACK", "z9hG4bKnewbranch", SENTBY, NULL);
    siphon_msg *ok = txfix_resp(&fx, inv, 200, "srv");
    siphon_msg *r486 = txfix_resp(&fx, inv, 486, "srv");
    recv_at(l, &r, inv, false, 0);
    siphon_txn *t = trec_last_request(&r);
    respond_at(l, &r, t, ok, 50);                  /* F7.5 */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_ACCEPTED);
    recv_at(l, &r, inv, false, 100);               /* F7.15: absorbed */
    respond_at(l, &r, t, ok, 550);                 /* F7.13: TU resends */
    CHECK_INT(siphon_txn_respond(l, t, r486, 600), SIPHON_ESTATE);
    recv_at(l, &r, ack_same, false, 700);          /* F7.14 */
    recv_at(l, &r, ack_new, false, 800); /* the usual 2xx ACK: stray */
    CHECK_INT(siphon_txn_transport_error(l, t, 900), 0); /* F7.16 */
    trec_drain(l, &r, 900);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_ACCEPTED);
    trec_run(l, &r, 100000);                       /* F7.17: L = 64*T1 */
    CHECK_TRACE(&r, "REQUEST(INVITE)@0 SEND(200)@50 SEND(200)@550 "
                    "ACK(ACK)@700 STRAY(ACK)@800 TRANSPORT_ERROR@900 "
                    "TERMINATED@32050");
    /* The TU answered before 200 ms: no 100 was generated. */
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
}

UNIT_TEST(txn_ist_transport_error)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *a = txfix_req(&fx, "INVITE", "z9hG4bKtea", SENTBY, NULL);
    siphon_msg *b = txfix_req(&fx, "INVITE", "z9hG4bKteb", SENTBY, NULL);
    siphon_msg *r500 = txfix_resp(&fx, b, 500, "s");
    recv_at(l, &r, a, false, 0);
    siphon_txn *ta = trec_last_request(&r);
    recv_at(l, &r, b, false, 0);
    siphon_txn *tb = trec_last_request(&r);
    respond_at(l, &r, tb, r500, 10);
    CHECK_INT(siphon_txn_transport_error(l, ta, 20), 0); /* F7.4 */
    CHECK_INT(siphon_txn_transport_error(l, tb, 20), 0); /* F7.10 */
    trec_drain(l, &r, 20);
    CHECK_TRACE(&r, "REQUEST(INVITE)@0 REQUEST(INVITE)@0 SEND(500)@10 "
                    "TRANSPORT_ERROR@20 TERMINATED@20 TRANSPORT_ERROR@20 "
                    "TERMINATED@20");
    CHECK_INT(siphon_txn_count(l), 0);
    CHECK_INT(siphon_txn_next_deadline(l), UINT64_MAX);
    txfix_end(&fx);
}

UNIT_TEST(txn_ist_auto_100_config)
{
    /* The 200 ms of §17.2.1 is configurable: at once, or never. */
    siphon_txn_config cfg = SIPHON_TXN_CONFIG_DEFAULT;
    cfg.trying_ms = 0;
    TXN_FIXTURE(fx, &cfg);
    siphon_msg *inv = tx_request("INVITE", "z9hG4bKa0", SENTBY, NULL);
    recv_at(l, &r, inv, false, 7);
    CHECK_TRACE(&r, "REQUEST(INVITE)@7 SEND(100)@7");
    txfix_end(&fx);

    cfg.trying_ms = SIPHON_TXN_NO_AUTO_100;
    l = txfix_begin(&fx, &cfg, &r);
    txfix_keep(&fx, inv); /* the same INVITE, now the fixture's */
    recv_at(l, &r, inv, false, 0);
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "REQUEST(INVITE)@0");
    CHECK_INT(siphon_txn_next_deadline(l), UINT64_MAX);
    txfix_end(&fx); /* frees the live IST too */
}

/* ---- non-INVITE server transaction (§17.2.2) ---------------------------- */

UNIT_TEST(txn_nist_trying_completed_udp)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *opt = txfix_req(&fx, "OPTIONS", "z9hG4bKn1", SENTBY, NULL);
    siphon_msg *ok = txfix_resp(&fx, opt, 200, "s");
    recv_at(l, &r, opt, false, 0);                 /* F8.1 */
    siphon_txn *t = trec_last_request(&r);
    CHECK_INT(siphon_txn_kind_of(t), SIPHON_TXN_NIST);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_TRYING);
    /* RFC 4320: however long the TU is silent, no 408 and no timer. */
    CHECK_INT(siphon_txn_next_deadline(l), UINT64_MAX);
    recv_at(l, &r, opt, false, 40000); /* TRYING absorbs */
    respond_at(l, &r, t, ok, 40100);               /* F8.3 */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_COMPLETED);
    CHECK_INT(siphon_txn_respond(l, t, ok, 40150), SIPHON_ESTATE);
    recv_at(l, &r, opt, false, 40200);             /* F8.8 */
    trec_run(l, &r, 100000);                       /* F8.10: J = 64*T1 */
    recv_at(l, &r, opt, false, 100000); /* after J: a new transaction */
    CHECK_TRACE(&r, "REQUEST(OPTIONS)@0 SEND(200)@40100 SEND(200)@40200 "
                    "TERMINATED@72100 REQUEST(OPTIONS)@100000");
    CHECK_INT(siphon_txn_count(l), 1);
    txfix_end(&fx);
}

UNIT_TEST(txn_nist_proceeding_tcp)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *reg = txfix_req(&fx, "REGISTER", "z9hG4bKn2", SENTBY, NULL);
    siphon_msg *r100 = txfix_resp(&fx, reg, 100, NULL);
    siphon_msg *r183 = txfix_resp(&fx, reg, 183, "s");
    siphon_msg *r401 = txfix_resp(&fx, reg, 401, "s");
    recv_at(l, &r, reg, true, 0);
    siphon_txn *t = trec_last_request(&r);
    respond_at(l, &r, t, r100, 10);                /* F8.2 */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_PROCEEDING);
    respond_at(l, &r, t, r183, 20);                /* F8.4 */
    recv_at(l, &r, reg, true, 30);                 /* F8.5 */
    respond_at(l, &r, t, r401, 40);                /* F8.6, J = 0 */
    CHECK_TRACE(&r, "REQUEST(REGISTER)@0 SEND(100)@10 SEND(183)@20 "
                    "SEND(183)@30 SEND(401)@40 TERMINATED@40");
    txfix_end(&fx);
}

UNIT_TEST(txn_nist_transport_error)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *a = txfix_req(&fx, "INFO", "z9hG4bKnta", SENTBY, NULL);
    siphon_msg *b = txfix_req(&fx, "INFO", "z9hG4bKntb", SENTBY, NULL);
    siphon_msg *r180 = txfix_resp(&fx, a, 180, "s");
    siphon_msg *r200 = txfix_resp(&fx, b, 200, "s");
    recv_at(l, &r, a, false, 0);
    siphon_txn *ta = trec_last_request(&r);
    recv_at(l, &r, b, false, 0);
    siphon_txn *tb = trec_last_request(&r);
    respond_at(l, &r, ta, r180, 5);
    respond_at(l, &r, tb, r200, 5);
    CHECK_INT(siphon_txn_transport_error(l, ta, 9), 0); /* F8.7 */
    CHECK_INT(siphon_txn_transport_error(l, tb, 9), 0); /* F8.9 */
    trec_drain(l, &r, 9);
    CHECK_TRACE(&r, "REQUEST(INFO)@0 REQUEST(INFO)@0 SEND(180)@5 SEND(200)@5 "
                    "TRANSPORT_ERROR@9 TERMINATED@9 TRANSPORT_ERROR@9 "
                    "TERMINATED@9");
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
}

UNIT_TEST(txn_server_respond_errors)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *opt = txfix_req(&fx, "OPTIONS", "z9hG4bKre", SENTBY, NULL);
    siphon_msg *cli = txfix_req(&fx, "OPTIONS", "z9hG4bKrc", SENTBY, NULL);
    recv_at(l, &r, opt, false, 0);
    siphon_txn *t = trec_last_request(&r);
    siphon_txn *c = NULL;
    CHECK_INT(siphon_txn_client_start(l, cli, false, NULL, 0, &c), 0);
    CHECK_INT(siphon_txn_respond(l, t, opt, 0), SIPHON_EINVAL); /* a request */
    CHECK_INT(siphon_txn_respond(l, c, opt, 0), SIPHON_EINVAL); /* client */
    CHECK_INT(siphon_txn_respond(NULL, t, opt, 0), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_respond(l, NULL, opt, 0), SIPHON_EINVAL);
    trec_drain(l, &r, 0);
    txfix_end(&fx);
}
