/*
 * test_txn_client.c -- the client transactions on a virtual clock:
 * RFC 3261 §17.1.1 (Figure 5, as updated by RFC 6026 §7.2) and §17.1.2
 * (Figure 6), with the exact retransmission schedules and the ACK of
 * §17.1.1.3.
 *
 * Figure arrows and the tests that walk them (T1 = 500 ms, T2 = 4 s,
 * T4 = 5 s):
 *
 * Figure 5, INVITE client transaction (RFC 6026 version):
 *   F5.1  INVITE from TU / INVITE sent -> Calling      txn_ict_timer_a_b_udp
 *   F5.2  Calling: Timer A / INVITE sent, A doubled    txn_ict_timer_a_b_udp
 *   F5.3  Calling: Timer B / inform TU -> Terminated   txn_ict_timer_a_b_udp,
 *                                                      txn_ict_timer_b_tcp
 *   F5.4  Calling: Transport Err / inform TU -> Term.  txn_ict_transport_error
 *   F5.5  Calling: 2xx / to TU -> Accepted (6026)      txn_ict_2xx_accepted
 *   F5.6  Calling: 1xx / to TU -> Proceeding           txn_ict_proceeding_completed_udp
 *   F5.7  Calling: 300-699 / ACK sent, to TU -> Compl. txn_ict_final_tcp
 *   F5.8  Proceeding: 1xx / to TU                      txn_ict_proceeding_completed_udp
 *   F5.9  Proceeding: 2xx / to TU -> Accepted (6026)   txn_ict_proceeding_2xx_accepted
 *   F5.10 Proceeding: 300-699 / ACK, to TU -> Compl.   txn_ict_proceeding_completed_udp
 *   F5.11 Completed: 300-699 / ACK sent                txn_ict_proceeding_completed_udp
 *   F5.12 Completed: Transport Err / inform TU -> T.   txn_ict_transport_error
 *   F5.13 Completed: Timer D -> Terminated             txn_ict_proceeding_completed_udp (32 s),
 *                                                      txn_ict_final_tcp (0)
 *   F5.14 Accepted: 2xx / to TU (6026)                 txn_ict_2xx_accepted
 *   F5.15 Accepted: Timer M -> Terminated (6026)       txn_ict_2xx_accepted
 *
 * Figure 6, non-INVITE client transaction:
 *   F6.1  Request from TU / send -> Trying             txn_nict_timer_e_f_udp
 *   F6.2  Trying: Timer E / send, E=min(2E,T2)         txn_nict_timer_e_f_udp
 *   F6.3  Trying: Timer F / inform TU -> Terminated    txn_nict_timer_e_f_udp, txn_nict_timer_f_tcp
 *   F6.4  Trying: Transport Err / inform TU -> Term.   txn_nict_transport_error
 *   F6.5  Trying: 1xx / to TU -> Proceeding            txn_nict_proceeding_e_t2
 *   F6.6  Trying: 200-699 / to TU -> Completed         txn_nict_final_completed_udp
 *   F6.7  Proceeding: Timer E / send, E=T2             txn_nict_proceeding_e_t2
 *   F6.8  Proceeding: 1xx / to TU                      txn_nict_proceeding_final_tcp
 *   F6.9  Proceeding: Timer F / inform TU -> Term.     txn_nict_proceeding_e_t2
 *   F6.10 Proceeding: Transport Err / inform TU -> T.  txn_nict_transport_error
 *   F6.11 Proceeding: 200-699 / to TU -> Completed     txn_nict_proceeding_final_tcp
 *   F6.12 Completed: Timer K -> Terminated             txn_nict_final_completed_udp (5 s),
 *                                                      txn_nict_proceeding_final_tcp (0)
 */
#include "unit.h"
#include "txn_support.h"

#include <stdlib.h>

#define CHECK_TRACE(r, want) CHECK_STR(siphon_str_c(trec_trace(r)), want)

/* Header value of the first field with this id, or an empty view. */
static siphon_str hval(siphon_msg *m, siphon_hdr_id id, size_t nth)
{
    long i = -1;
    for (size_t k = 0; k <= nth; k++) {
        i = siphon_msg_hdr_next(m, id, (size_t)(i + 1));
        if (i < 0)
            return SIPHON_STR_LIT("");
    }
    return siphon_msg_hdr_at(m, (size_t)i)->value;
}

static siphon_txn *start(siphon_txn_layer *l, siphon_msg *req, bool reliable,
                         trec *r, uint64_t now)
{
    siphon_txn *t = NULL;
    CHECK_INT(siphon_txn_client_start(l, req, reliable, NULL, now, &t), 0);
    trec_drain(l, r, now);
    return t;
}

static void recv_at(siphon_txn_layer *l, trec *r, siphon_msg *m, uint64_t now)
{
    trec_run(l, r, now);
    CHECK_INT(siphon_txn_receive(l, m, false, NULL, now), 0);
    trec_drain(l, r, now);
}

/* ---- INVITE client transaction (§17.1.1, RFC 6026) -------------------- */

UNIT_TEST(txn_ict_timer_a_b_udp)
{
    /* Timer A: 0.5, 1, 2, 4, 8, 16 s intervals; Timer B at 64*T1. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bK776asdhds", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, inv, false, &r, 0);
    CHECK(t != NULL);
    CHECK_INT(siphon_txn_kind_of(t), SIPHON_TXN_ICT);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_CALLING);
    CHECK_INT(siphon_txn_next_deadline(l), 500);
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "SEND(INVITE)@0 SEND(INVITE)@500 SEND(INVITE)@1500 "
                    "SEND(INVITE)@3500 SEND(INVITE)@7500 SEND(INVITE)@15500 "
                    "SEND(INVITE)@31500 TIMEOUT@32000 TERMINATED@32000");
    CHECK(r.n > 0 && r.ev[0].msg == inv); /* the very request, shared */
    CHECK_INT(siphon_txn_count(l), 0);
    CHECK_INT(siphon_txn_next_deadline(l), UINT64_MAX);
    txfix_end(&fx);
}

UNIT_TEST(txn_ict_timer_b_tcp)
{
    /* §17.1.1.2: no Timer A on a reliable transport; B still runs. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKb", "pc33.atlanta.example.com", NULL);
    start(l, inv, true, &r, 0);
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "SEND(INVITE)@0 TIMEOUT@32000 TERMINATED@32000");
    txfix_end(&fx);
}

UNIT_TEST(txn_ict_proceeding_completed_udp)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKpc", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, inv, false, &r, 0);
    siphon_msg *r180 = txfix_resp(&fx, inv, 180, "314159");
    siphon_msg *r486 = txfix_resp(&fx, inv, 486, "314159");
    recv_at(l, &r, r180, 700);      /* F5.6: after one retransmission */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_PROCEEDING);
    CHECK_INT(siphon_txn_next_deadline(l), UINT64_MAX); /* A and B off */
    recv_at(l, &r, r180, 10000);    /* F5.8 */
    recv_at(l, &r, r486, 20000);    /* F5.10 */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_COMPLETED);
    recv_at(l, &r, r486, 21000);    /* F5.11: the ACK again */
    trec_run(l, &r, 100000);        /* F5.13: Timer D = 32 s */
    CHECK_TRACE(&r, "SEND(INVITE)@0 SEND(INVITE)@500 RESPONSE(180)@700 "
                    "RESPONSE(180)@10000 SEND(ACK)@20000 RESPONSE(486)@20000 "
                    "SEND(ACK)@21000 TERMINATED@52000");

    /* §17.1.1.3: the ACK, header by header. */
    long i = trec_find(&r, SIPHON_TXN_EV_SEND, 2);
    CHECK(i >= 0);
    if (i >= 0) {
        siphon_msg *ack = r.ev[i].msg;
        CHECK_STR(siphon_msg_start_line(ack), "ACK sip:bob@biloxi.example.com SIP/2.0");
        CHECK_STR(hval(ack, SIPHON_HDR_VIA, 0),
                  "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKpc");
        CHECK_INT(siphon_msg_hdr_next(ack, SIPHON_HDR_VIA, 0) >= 0, 1);
        CHECK_STR(hval(ack, SIPHON_HDR_VIA, 1), ""); /* only the top Via */
        CHECK_STR(hval(ack, SIPHON_HDR_ROUTE, 0), "<sip:edge.example.com;lr>");
        CHECK_STR(hval(ack, SIPHON_HDR_FROM, 0),
                  "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
        CHECK_STR(hval(ack, SIPHON_HDR_TO, 0),
                  "Bob <sip:bob@biloxi.example.com>;tag=314159");
        CHECK_STR(hval(ack, SIPHON_HDR_CALL_ID, 0),
                  "a84b4c76e66710@pc33.atlanta.example.com");
        CHECK_STR(hval(ack, SIPHON_HDR_CSEQ, 0), "314159 ACK");
        CHECK_STR(hval(ack, SIPHON_HDR_MAX_FORWARDS, 0), "70");
        CHECK_STR(hval(ack, SIPHON_HDR_CONTACT, 0), ""); /* not copied */
        /* The retransmitted ACK is the same message object. */
        long j = trec_find(&r, SIPHON_TXN_EV_SEND, 3);
        CHECK(j >= 0 && r.ev[j].msg == ack);
    }
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
}

UNIT_TEST(txn_ict_final_tcp)
{
    /* F5.7 and Timer D = 0 on a reliable transport. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKft", "pc33.atlanta.example.com", NULL);
    start(l, inv, true, &r, 0);
    siphon_msg *r404 = txfix_resp(&fx, inv, 404, "x1");
    recv_at(l, &r, r404, 100);
    CHECK_TRACE(&r, "SEND(INVITE)@0 SEND(ACK)@100 RESPONSE(404)@100 TERMINATED@100");
    CHECK_INT(siphon_txn_count(l), 0);
    /* After the end the final is a stray (§18.1.2). */
    recv_at(l, &r, r404, 200);
    CHECK_INT(r.ev[r.n - 1].type, SIPHON_TXN_EV_STRAY);
    txfix_end(&fx);
}

UNIT_TEST(txn_ict_2xx_accepted)
{
    /* RFC 6026 §7.2: 2xx -> ACCEPTED, retransmitted 2xx passed up, Timer
     * M = 64*T1, then a 2xx is a stray for the core. No ACK is built: the
     * TU acknowledges a 2xx itself (§13.2.2.4). */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKacc", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, inv, false, &r, 0);
    siphon_msg *ok = txfix_resp(&fx, inv, 200, "a");
    siphon_msg *ok2 = txfix_resp(&fx, inv, 200, "b"); /* another fork */
    siphon_msg *r180 = txfix_resp(&fx, inv, 180, "a");
    recv_at(l, &r, ok, 100);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_ACCEPTED);
    CHECK_INT(siphon_txn_next_deadline(l), 32100);
    recv_at(l, &r, ok, 1000);
    recv_at(l, &r, ok2, 2000);
    recv_at(l, &r, r180, 3000); /* not shown in ACCEPTED: dropped */
    trec_run(l, &r, 40000);
    recv_at(l, &r, ok, 40000);
    CHECK_TRACE(&r, "SEND(INVITE)@0 RESPONSE(200)@100 RESPONSE(200)@1000 "
                    "RESPONSE(200)@2000 TERMINATED@32100 STRAY(200)@40000");
    txfix_end(&fx);
}

UNIT_TEST(txn_ict_proceeding_2xx_accepted)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKp2", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, inv, true, &r, 0);
    siphon_msg *r183 = txfix_resp(&fx, inv, 183, "a");
    siphon_msg *ok = txfix_resp(&fx, inv, 200, "a");
    recv_at(l, &r, r183, 10);
    recv_at(l, &r, ok, 5000);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_ACCEPTED);
    trec_run(l, &r, 100000);
    /* Timer M is 64*T1 on every transport (RFC 6026 §8.4). */
    CHECK_TRACE(&r, "SEND(INVITE)@0 RESPONSE(183)@10 RESPONSE(200)@5000 "
                    "TERMINATED@37000");
    txfix_end(&fx);
}

UNIT_TEST(txn_ict_transport_error)
{
    /* §17.1.4: in CALLING (F5.4) and in COMPLETED (F5.12). */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKte1", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, inv, false, &r, 0);
    trec_run(l, &r, 600);
    CHECK_INT(siphon_txn_transport_error(l, t, 600), 0);
    trec_drain(l, &r, 600);
    CHECK_TRACE(&r, "SEND(INVITE)@0 SEND(INVITE)@500 TRANSPORT_ERROR@600 "
                    "TERMINATED@600");
    CHECK_INT(siphon_txn_count(l), 0);
    CHECK_INT(siphon_txn_next_deadline(l), UINT64_MAX);
    trec_clear(&r);

    siphon_msg *inv2 = txfix_req(&fx, "INVITE", "z9hG4bKte2", "pc33.atlanta.example.com", NULL);
    siphon_msg *r500 = txfix_resp(&fx, inv2, 500, "z");
    t = start(l, inv2, false, &r, 1000);
    recv_at(l, &r, r500, 1200);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_COMPLETED);
    CHECK_INT(siphon_txn_transport_error(l, t, 1300), 0);
    trec_drain(l, &r, 1300);
    CHECK_TRACE(&r, "SEND(INVITE)@1000 SEND(ACK)@1200 RESPONSE(500)@1200 "
                    "TRANSPORT_ERROR@1300 TERMINATED@1300");
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
}

/* ---- non-INVITE client transaction (§17.1.2) --------------------------- */

UNIT_TEST(txn_nict_timer_e_f_udp)
{
    /* E: 0.5, 1, 2, 4, 4, 4 ... s; F at 32 s. RFC 4320: only TIMEOUT,
     * never a synthesised 408. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *opt = txfix_req(&fx, "OPTIONS", "z9hG4bKef", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, opt, false, &r, 0);
    CHECK_INT(siphon_txn_kind_of(t), SIPHON_TXN_NICT);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_TRYING);
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "SEND(OPTIONS)@0 SEND(OPTIONS)@500 SEND(OPTIONS)@1500 "
                    "SEND(OPTIONS)@3500 SEND(OPTIONS)@7500 SEND(OPTIONS)@11500 "
                    "SEND(OPTIONS)@15500 SEND(OPTIONS)@19500 SEND(OPTIONS)@23500 "
                    "SEND(OPTIONS)@27500 SEND(OPTIONS)@31500 TIMEOUT@32000 "
                    "TERMINATED@32000");
    CHECK_INT(trec_count(&r, SIPHON_TXN_EV_RESPONSE), 0);
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
}

UNIT_TEST(txn_nict_timer_f_tcp)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *reg = txfix_req(&fx, "REGISTER", "z9hG4bKft", "pc33.atlanta.example.com", NULL);
    start(l, reg, true, &r, 0);
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "SEND(REGISTER)@0 TIMEOUT@32000 TERMINATED@32000");
    txfix_end(&fx);
}

UNIT_TEST(txn_nict_proceeding_e_t2)
{
    /* A provisional in TRYING -> PROCEEDING; from the next firing on, E
     * is T2 (§17.1.2.2); F still ends it. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *bye = txfix_req(&fx, "BYE", "z9hG4bKpe", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, bye, false, &r, 0);
    siphon_msg *r100 = txfix_resp(&fx, bye, 100, NULL);
    recv_at(l, &r, r100, 600);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_PROCEEDING);
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "SEND(BYE)@0 SEND(BYE)@500 RESPONSE(100)@600 "
                    "SEND(BYE)@1500 SEND(BYE)@5500 SEND(BYE)@9500 "
                    "SEND(BYE)@13500 SEND(BYE)@17500 SEND(BYE)@21500 "
                    "SEND(BYE)@25500 SEND(BYE)@29500 TIMEOUT@32000 "
                    "TERMINATED@32000");
    txfix_end(&fx);
}

UNIT_TEST(txn_nict_final_completed_udp)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *opt = txfix_req(&fx, "OPTIONS", "z9hG4bKfc", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, opt, false, &r, 0);
    siphon_msg *ok = txfix_resp(&fx, opt, 200, "t");
    recv_at(l, &r, ok, 100);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_COMPLETED);
    recv_at(l, &r, ok, 2000); /* absorbed by Timer K's wait */
    trec_run(l, &r, 100000);
    CHECK_TRACE(&r, "SEND(OPTIONS)@0 RESPONSE(200)@100 TERMINATED@5100");
    txfix_end(&fx);
}

UNIT_TEST(txn_nict_proceeding_final_tcp)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *sub = txfix_req(&fx, "SUBSCRIBE", "z9hG4bKpf", "pc33.atlanta.example.com", NULL);
    siphon_txn *t = start(l, sub, true, &r, 0);
    siphon_msg *r100 = txfix_resp(&fx, sub, 100, NULL);
    siphon_msg *r183 = txfix_resp(&fx, sub, 183, "t");
    siphon_msg *r202 = txfix_resp(&fx, sub, 202, "t");
    recv_at(l, &r, r100, 10);
    recv_at(l, &r, r183, 20); /* F6.8 */
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_PROCEEDING);
    recv_at(l, &r, r202, 30); /* F6.11, then K = 0 */
    CHECK_TRACE(&r, "SEND(SUBSCRIBE)@0 RESPONSE(100)@10 RESPONSE(183)@20 "
                    "RESPONSE(202)@30 TERMINATED@30");
    txfix_end(&fx);
}

UNIT_TEST(txn_nict_transport_error)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *a = txfix_req(&fx, "MESSAGE", "z9hG4bKn1", "pc33.atlanta.example.com", NULL);
    siphon_msg *b = txfix_req(&fx, "MESSAGE", "z9hG4bKn2", "pc33.atlanta.example.com", NULL);
    siphon_txn *ta = start(l, a, true, &r, 0);
    siphon_txn *tb = start(l, b, true, &r, 0);
    siphon_msg *r180 = txfix_resp(&fx, b, 180, "q");
    recv_at(l, &r, r180, 5);
    CHECK_INT(siphon_txn_transport_error(l, ta, 10), 0); /* F6.4 TRYING */
    CHECK_INT(siphon_txn_transport_error(l, tb, 10), 0); /* F6.10 PROCEEDING */
    /* Terminated but not yet consumed: a second report is refused. */
    CHECK_INT(siphon_txn_transport_error(l, ta, 10), SIPHON_ESTATE);
    trec_drain(l, &r, 10);
    CHECK_TRACE(&r, "SEND(MESSAGE)@0 SEND(MESSAGE)@0 RESPONSE(180)@5 "
                    "TRANSPORT_ERROR@10 TERMINATED@10 TRANSPORT_ERROR@10 "
                    "TERMINATED@10");
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
}
