/*
 * test_txn_match.c -- transaction matching (RFC 3261 §17.1.3, §17.2.3
 * with the RFC 2543 fallback, §9.2 for CANCEL), bad input, the timer heap
 * order, and the bounded lifetime of every transaction once input stops.
 */
#include "unit.h"
#include "txn_support.h"

#include <stdio.h>

#define CHECK_TRACE(r, want) CHECK_STR(siphon_str_c(trec_trace(r)), want)

static void recv_at(siphon_txn_layer *l, trec *r, siphon_msg *m, uint64_t now)
{
    trec_run(l, r, now);
    CHECK_INT(siphon_txn_receive(l, m, false, NULL, now), 0);
    trec_drain(l, r, now);
}

/* ---- RFC 3261 matching ------------------------------------------------- */

UNIT_TEST(txn_match_server_branch_sentby_method)
{
    /* §17.2.3: branch AND sent-by AND method (ACK matching INVITE). */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv_a = txfix_req(&fx, "INVITE", "z9hG4bKsame", SENTBY, NULL);
    siphon_msg *inv_b = txfix_req(&fx, "INVITE", "z9hG4bKsame", "other.example.com", NULL);
    siphon_msg *inv_p = txfix_req(&fx, "INVITE", "z9hG4bKsame", "pc33.atlanta.example.com:5080", NULL);
    siphon_msg *opt_a = txfix_req(&fx, "OPTIONS", "z9hG4bKsame", SENTBY, NULL);
    siphon_msg *can_a = txfix_req(&fx, "CANCEL", "z9hG4bKsame", SENTBY, NULL);
    siphon_msg *can_b = txfix_req(&fx, "CANCEL", "z9hG4bKsame", "other.example.com", NULL);
    siphon_msg *can_x = txfix_req(&fx, "CANCEL", "z9hG4bKnone", SENTBY, NULL);
    siphon_msg *ack_a = txfix_req(&fx, "ACK", "z9hG4bKsame", SENTBY, NULL);
    recv_at(l, &r, inv_a, 0);
    siphon_txn *ta = trec_last_request(&r);
    recv_at(l, &r, inv_b, 0);
    siphon_txn *tb = trec_last_request(&r);
    recv_at(l, &r, inv_p, 0);
    siphon_txn *tp = trec_last_request(&r);
    recv_at(l, &r, opt_a, 0);
    siphon_txn *to = trec_last_request(&r);
    recv_at(l, &r, can_a, 0);
    siphon_txn *tc = trec_last_request(&r);
    /* Five distinct server transactions. */
    CHECK_INT(trec_count(&r, SIPHON_TXN_EV_REQUEST), 5);
    CHECK_INT(siphon_txn_count(l), 5);
    CHECK(ta != tb && ta != tp && tb != tp && ta != to && ta != tc && to != tc);
    CHECK_INT(siphon_txn_kind_of(tc), SIPHON_TXN_NIST);
    /* §9.2: the CANCEL finds its INVITE, by sent-by too. */
    CHECK(siphon_txn_find_cancelled(l, can_a) == ta);
    CHECK(siphon_txn_find_cancelled(l, can_b) == tb);
    CHECK(siphon_txn_find_cancelled(l, can_x) == NULL);
    CHECK(siphon_txn_find_cancelled(l, inv_a) == NULL); /* not a CANCEL */
    /* The CANCEL's own retransmission matches its NIST, not the IST. */
    siphon_msg *ok = txfix_resp(&fx, can_a, 200, "s");
    trec_clear(&r);
    CHECK_INT(siphon_txn_respond(l, tc, ok, 10), 0);
    trec_drain(l, &r, 10);
    recv_at(l, &r, can_a, 20);
    CHECK_TRACE(&r, "SEND(200)@10 SEND(200)@20");
    /* The ACK for a non-2xx goes to the IST of its sender. */
    siphon_msg *r487 = txfix_resp(&fx, inv_a, 487, "s");
    CHECK_INT(siphon_txn_respond(l, ta, r487, 30), 0);
    recv_at(l, &r, ack_a, 40);
    CHECK_INT(siphon_txn_state_of(ta), SIPHON_TXN_CONFIRMED);
    CHECK_INT(siphon_txn_state_of(tb), SIPHON_TXN_PROCEEDING);
    txfix_end(&fx);
}

UNIT_TEST(txn_match_client_branch_method)
{
    /* §17.1.3: the CANCEL shares the INVITE's branch; the CSeq method
     * tells their responses apart. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKcb", SENTBY, NULL);
    siphon_msg *can = txfix_req(&fx, "CANCEL", "z9hG4bKcb", SENTBY, NULL);
    siphon_txn *ti = NULL, *tc = NULL;
    CHECK_INT(siphon_txn_client_start(l, inv, true, NULL, 0, &ti), 0);
    CHECK_INT(siphon_txn_client_start(l, can, true, NULL, 0, &tc), 0);
    CHECK_INT(siphon_txn_client_start(l, inv, true, NULL, 0, NULL), SIPHON_EDUP);
    siphon_msg *ok_c = txfix_resp(&fx, can, 200, "s");
    siphon_msg *r487 = txfix_resp(&fx, inv, 487, "s");
    siphon_msg *oreq = txfix_req(&fx, "OPTIONS", "z9hG4bKzz", SENTBY, NULL);
    siphon_msg *other = txfix_resp(&fx, oreq, 200, "s");
    trec_drain(l, &r, 0);
    recv_at(l, &r, ok_c, 10);
    CHECK_INT(siphon_txn_state_of(ti), SIPHON_TXN_CALLING);
    recv_at(l, &r, r487, 20);
    recv_at(l, &r, other, 30);
    CHECK_TRACE(&r, "SEND(INVITE)@0 SEND(CANCEL)@0 RESPONSE(200)@10 "
                    "TERMINATED@10 SEND(ACK)@20 RESPONSE(487)@20 "
                    "TERMINATED@20 STRAY(200)@30");
    CHECK(r.ev[2].txn == tc && r.ev[5].txn == ti);
    txfix_end(&fx);
}

/* ---- RFC 2543 fallback (§17.2.3) ---------------------------------------- */

static siphon_msg *old_msg(const char *method, const char *cseq_method,
                           const char *totag, const char *via, unsigned cseq)
{
    char text[1024];
    snprintf(text, sizeof text,
             "%s sip:bob@biloxi.example.com SIP/2.0\n"
             "Via: %s\n"
             "From: <sip:alice@old.example.com>;tag=aa\n"
             "To: <sip:bob@biloxi.example.com>%s%s\n"
             "Call-ID: 2543@old.example.com\n"
             "CSeq: %u %s\n"
             "Content-Length: 0\n"
             "\n",
             method, via, totag ? ";tag=" : "", totag ? totag : "", cseq,
             cseq_method);
    return tx_parse(text);
}

UNIT_TEST(txn_match_rfc2543_fallback)
{
    TXN_FIXTURE(fx, NULL);
    const char *via = "SIP/2.0/UDP old.example.com:5060;branch=1";
    siphon_msg *inv = txfix_keep(&fx, old_msg("INVITE", "INVITE", NULL, via, 7));
    siphon_msg *inv8 = txfix_keep(&fx, old_msg("INVITE", "INVITE", NULL, via, 8));
    siphon_msg *ack = txfix_keep(&fx, old_msg("ACK", "ACK", "srv", via, 7));
    siphon_msg *ack_bad = txfix_keep(&fx, old_msg("ACK", "ACK", "other", via, 7));
    siphon_msg *can = txfix_keep(&fx, old_msg("CANCEL", "CANCEL", NULL, via, 7));
    siphon_msg *nob = txfix_keep(
        &fx, old_msg("OPTIONS", "OPTIONS", NULL, "SIP/2.0/UDP old.example.com", 9));
    recv_at(l, &r, inv, 0);
    siphon_txn *t = trec_last_request(&r);
    recv_at(l, &r, inv, 100);  /* a retransmission: same transaction */
    recv_at(l, &r, inv8, 100); /* a new CSeq: a new transaction */
    siphon_txn *t8 = trec_last_request(&r);
    CHECK(t != t8);
    CHECK(siphon_txn_find_cancelled(l, can) == t);
    recv_at(l, &r, can, 150);  /* the CANCEL's own NIST */
    siphon_txn *tc = trec_last_request(&r);
    CHECK(tc != t && siphon_txn_kind_of(tc) == SIPHON_TXN_NIST);
    siphon_msg *r486 = txfix_resp(&fx, inv, 486, "srv");
    CHECK_INT(siphon_txn_respond(l, t, r486, 200), 0);
    trec_drain(l, &r, 200);
    /* The ACK must carry the To tag of the response the IST sent. */
    recv_at(l, &r, ack_bad, 300);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_COMPLETED);
    recv_at(l, &r, ack, 400);
    CHECK_INT(siphon_txn_state_of(t), SIPHON_TXN_CONFIRMED);
    /* No branch at all: the fallback too, and retransmissions match. */
    recv_at(l, &r, nob, 500);
    recv_at(l, &r, nob, 600);
    CHECK_TRACE(&r, "REQUEST(INVITE)@0 REQUEST(INVITE)@100 REQUEST(CANCEL)@150 "
                    "SEND(486)@200 SEND(100)@300 STRAY(ACK)@300 "
                    "REQUEST(OPTIONS)@500");
    txfix_end(&fx);
}

UNIT_TEST(txn_match_rfc2543_ack_for_2xx)
{
    /* RFC 6026 §7.1 with the fallback: the ACK for the 2xx carries the
     * 2xx's To tag, matches the IST in ACCEPTED and goes to the TU. */
    TXN_FIXTURE(fx, NULL);
    const char *via = "SIP/2.0/UDP old.example.com";
    siphon_msg *inv = txfix_keep(&fx, old_msg("INVITE", "INVITE", NULL, via, 3));
    siphon_msg *ack = txfix_keep(&fx, old_msg("ACK", "ACK", "SRV", via, 3)); /* tag case */
    recv_at(l, &r, inv, 0);
    siphon_txn *t = trec_last_request(&r);
    siphon_msg *ok = txfix_resp(&fx, inv, 200, "srv");
    CHECK_INT(siphon_txn_respond(l, t, ok, 10), 0);
    trec_drain(l, &r, 10);
    recv_at(l, &r, ack, 20);
    CHECK_TRACE(&r, "REQUEST(INVITE)@0 SEND(200)@10 ACK(ACK)@20");
    txfix_end(&fx);
}

UNIT_TEST(txn_match_branch_case)
{
    /* §7.3.1: the branch is a token, matched without regard to case. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *reg = txfix_req(&fx, "REGISTER", "z9hG4bKAbC", SENTBY, NULL);
    siphon_msg *reg2 = txfix_req(&fx, "REGISTER", "z9hG4bKaBc", SENTBY, NULL);
    siphon_msg *ok = txfix_resp(&fx, reg2, 200, "s");
    CHECK_INT(siphon_txn_client_start(l, reg, true, NULL, 0, NULL), 0);
    trec_drain(l, &r, 0);
    recv_at(l, &r, ok, 5);
    CHECK_TRACE(&r, "SEND(REGISTER)@0 RESPONSE(200)@5 TERMINATED@5");
    trec_clear(&r);
    recv_at(l, &r, reg, 10);
    recv_at(l, &r, reg2, 20); /* the same server transaction */
    CHECK_INT(trec_count(&r, SIPHON_TXN_EV_REQUEST), 1);
    txfix_end(&fx);
}

/* ---- bad input ---------------------------------------------------------- */

UNIT_TEST(txn_bad_input)
{
    TXN_FIXTURE(fx, NULL);
    siphon_msg *novia = tx_parse("OPTIONS sip:a@b SIP/2.0\n"
                                 "From: <sip:c@d>;tag=1\nTo: <sip:a@b>\n"
                                 "Call-ID: x\nCSeq: 1 OPTIONS\n\n");
    siphon_msg *nocseq = tx_parse("OPTIONS sip:a@b SIP/2.0\n"
                                  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
                                  "Call-ID: x\n\n");
    siphon_msg *resp_novia = tx_parse("SIP/2.0 200 OK\nCall-ID: x\n"
                                      "CSeq: 1 OPTIONS\n\n");
    siphon_msg *mismatch = txfix_req(&fx, "OPTIONS", "z9hG4bKmm", SENTBY, "INFO");
    siphon_msg *ack = txfix_req(&fx, "ACK", "z9hG4bKack", SENTBY, NULL);
    siphon_msg *nobranch = tx_parse("OPTIONS sip:a@b SIP/2.0\n"
                                    "Via: SIP/2.0/UDP h\n"
                                    "Call-ID: x\nCSeq: 1 OPTIONS\n\n");
    txfix_keep(&fx, novia);
    txfix_keep(&fx, nocseq);
    txfix_keep(&fx, resp_novia);
    txfix_keep(&fx, nobranch);
    CHECK(novia && nocseq && resp_novia && mismatch && ack && nobranch);
    CHECK_INT(siphon_txn_receive(l, novia, false, NULL, 0), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_receive(l, nocseq, false, NULL, 0), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_receive(l, resp_novia, false, NULL, 0), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_receive(l, mismatch, false, NULL, 0), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_receive(NULL, ack, false, NULL, 0), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_receive(l, NULL, false, NULL, 0), SIPHON_EINVAL);
    siphon_txn *t = (siphon_txn *)1;
    CHECK_INT(siphon_txn_client_start(l, ack, false, NULL, 0, &t), SIPHON_EINVAL);
    CHECK(t == NULL);
    CHECK_INT(siphon_txn_client_start(l, novia, false, NULL, 0, NULL), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_client_start(l, nobranch, false, NULL, 0, NULL), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_client_start(l, mismatch, false, NULL, 0, NULL), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_client_start(l, resp_novia, false, NULL, 0, NULL), SIPHON_EINVAL);
    CHECK(siphon_txn_find_cancelled(l, novia) == NULL);
    CHECK(siphon_txn_find_cancelled(NULL, ack) == NULL);
    CHECK_INT(siphon_txn_transport_error(l, NULL, 0), SIPHON_EINVAL);
    CHECK_INT(siphon_txn_tick(NULL, 0), SIPHON_EINVAL);
    CHECK(!siphon_txn_poll(NULL, NULL));
    /* Nothing was created or queued. */
    trec_drain(l, &r, 0);
    CHECK_INT(r.n, 0);
    CHECK_INT(siphon_txn_count(l), 0);
    txfix_end(&fx);
    siphon_txn_layer_free(NULL);
}

/* ---- the clock ----------------------------------------------------------- */

UNIT_TEST(txn_tick_late_catches_up)
{
    /* One late tick fires every due timer in deadline order, each at its
     * own deadline, so the schedule does not stretch. */
    TXN_FIXTURE(fx, NULL);
    siphon_msg *inv = txfix_req(&fx, "INVITE", "z9hG4bKlate", SENTBY, NULL);
    siphon_msg *opt = txfix_req(&fx, "OPTIONS", "z9hG4bKlate2", SENTBY, NULL);
    CHECK_INT(siphon_txn_client_start(l, inv, false, NULL, 0, NULL), 0);
    CHECK_INT(siphon_txn_client_start(l, opt, false, NULL, 1000, NULL), 0);
    trec_drain(l, &r, 0);
    CHECK_INT(siphon_txn_tick(l, 8000), 7);
    trec_drain(l, &r, 8000);
    /* INVITE: A at 500, 1500, 3500, 7500; OPTIONS: E at 1500, 2500,
     * 4500 (8500 not yet due). At the 1500 tie the OPTIONS' E, armed
     * first, fires first. */
    CHECK_TRACE(&r, "SEND(INVITE)@0 SEND(OPTIONS)@0 SEND(INVITE)@8000 "
                    "SEND(OPTIONS)@8000 SEND(INVITE)@8000 SEND(OPTIONS)@8000 "
                    "SEND(INVITE)@8000 SEND(OPTIONS)@8000 SEND(INVITE)@8000");
    CHECK_INT(siphon_txn_next_deadline(l), 8500);
    txfix_end(&fx);
}

/* ---- bounded lifetime ----------------------------------------------------- */

/*
 * Every transaction in a state with a timer terminates within 64*T1 (or
 * Timer D's 32 s) of the last input. The states that wait for the TU by
 * design -- ICT PROCEEDING (the TU CANCELs; Timer C is a proxy's), IST
 * PROCEEDING and NIST TRYING/PROCEEDING (the TU must answer, RFC 4320 bars
 * a 408 from the transaction) -- end as soon as the TU acts, which this
 * test does too.
 */
UNIT_TEST(txn_quiescence)
{
    TXN_FIXTURE(fx, NULL);
    enum { N = 24 };
    siphon_msg *keep[4 * N];
    size_t nk = 0;
    for (int i = 0; i < N; i++) {
        bool reliable = i & 1;
        char br[32];
        snprintf(br, sizeof br, "z9hG4bKq%d", i);
        const char *meth = (i / 2) % 2 ? "INVITE" : "NOTIFY";
        siphon_msg *req = tx_request(meth, br, SENTBY, NULL);
        keep[nk++] = req;
        /* Clients, driven into every state that has a timer. */
        siphon_txn *c = NULL;
        CHECK_INT(siphon_txn_client_start(l, req, reliable, NULL, 0, &c), 0);
        int step = (i / 4) % 3;
        int st = step == 0 ? 0 : step == 1 ? 200 : 486;
        if (st) {
            siphon_msg *resp = tx_response(req, st, "t");
            keep[nk++] = resp;
            CHECK_INT(siphon_txn_receive(l, resp, reliable, NULL, 100), 0);
        }
        /* Servers, answered 1xx/2xx/4xx and left alone. */
        snprintf(br, sizeof br, "z9hG4bKs%d", i);
        siphon_msg *sreq = tx_request(meth, br, "server.example.com", NULL);
        keep[nk++] = sreq;
        CHECK_INT(siphon_txn_receive(l, sreq, reliable, NULL, 100), 0);
        trec_drain(l, &r, 100);
        siphon_txn *s = trec_last_request(&r);
        siphon_msg *sresp = tx_response(sreq, st ? st : 180, "t");
        keep[nk++] = sresp;
        CHECK_INT(siphon_txn_respond(l, s, sresp, 200), 0);
        if (!st) {
            /* The TU's final answer, which those states wait for. */
            siphon_msg *fin = tx_response(sreq, 500, "t");
            CHECK_INT(siphon_txn_respond(l, s, fin, 300), 0);
            siphon_msg_unref(fin);
        }
    }
    trec_drain(l, &r, 300);
    trec_run(l, &r, 300 + 32000);
    CHECK_INT(siphon_txn_count(l), 0);
    CHECK_INT(siphon_txn_next_deadline(l), UINT64_MAX);
    CHECK_INT(trec_count(&r, SIPHON_TXN_EV_TERMINATED), 2 * N);
    siphon_txn_event ev;
    CHECK(!siphon_txn_poll(l, &ev));
    for (size_t i = 0; i < nk; i++)
        siphon_msg_unref(keep[i]);
    txfix_end(&fx);
}

UNIT_TEST(txn_sizeof_budget)
{
    /* The budget: 512 bytes per live transaction, messages
     * excluded (they are shared). */
    printf("#   sizeof(siphon_txn) = %zu\n", siphon_txn_sizeof());
    CHECK(siphon_txn_sizeof() <= 512);
}

UNIT_TEST(txn_match_many)
{
    /* Enough transactions to grow the index several times; each response
     * and each retransmission still finds its own. */
    enum { N = 1500 };
    siphon_txn_layer *l = siphon_txn_layer_new(NULL);
    static siphon_msg *req[N];
    static siphon_txn *cli[N];
    char br[32];
    for (int i = 0; i < N; i++) {
        snprintf(br, sizeof br, "z9hG4bKm%d", i);
        req[i] = tx_request(i % 3 ? "OPTIONS" : "INVITE", br, SENTBY, NULL);
        CHECK_INT(siphon_txn_client_start(l, req[i], true, NULL, 0, &cli[i]), 0);
        CHECK_INT(siphon_txn_receive(l, req[i], true, NULL, 0), 0);
    }
    CHECK_INT(siphon_txn_count(l), 2 * N);
    siphon_txn_event ev;
    while (siphon_txn_poll(l, &ev))
        siphon_msg_unref(ev.msg);
    int wrong = 0;
    for (int i = N; i-- > 0;) {
        siphon_msg *r = tx_response(req[i], 180, "t");
        CHECK_INT(siphon_txn_receive(l, r, true, NULL, 1), 0);
        siphon_msg_unref(r);
        CHECK_INT(siphon_txn_receive(l, req[i], true, NULL, 1), 0);
        while (siphon_txn_poll(l, &ev)) {
            if (ev.type != SIPHON_TXN_EV_RESPONSE || ev.txn != cli[i])
                wrong++;
            siphon_msg_unref(ev.msg);
        }
    }
    CHECK_INT(wrong, 0);
    siphon_txn_layer_free(l);
    for (int i = 0; i < N; i++)
        siphon_msg_unref(req[i]);
}
