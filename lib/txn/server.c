/*
 * server.c -- the server transactions: INVITE (RFC 3261 §17.2.1, Figure 7
 * as updated by RFC 6026 §7.1 with the ACCEPTED state and Timer L) and
 * non-INVITE (§17.2.2, Figure 8, with RFC 4320's rule that the server
 * never answers a late request with 408 on its own).
 */
#include "txn_internal.h"

/* ---- creation ---------------------------------------------------------- */

int txn_server_start(siphon_txn_layer *l, siphon_msg *req, bool reliable,
                     void *user, uint64_t now)
{
    txn_key k;
    if (txn_key_request(req, &k) < 0)
        return SIPHON_EINVAL;
    bool invite = siphon_msg_method_id(req) == SIPHON_METHOD_INVITE;
    siphon_txn *t = txn_new(l, invite ? SIPHON_TXN_IST : SIPHON_TXN_NIST, req,
                            reliable, user);
    if (!t)
        return SIPHON_ENOMEM;
    t->hash = k.hash;
    t->rfc2543 = k.rfc2543;
    txn_index(l, t);
    if (invite) {
        /* §17.2.1: PROCEEDING at once; a 100 goes out unless the TU
         * answers within trying_ms, to stop the client's Timer A. */
        t->state = SIPHON_TXN_PROCEEDING;
        if (l->cfg.trying_ms != SIPHON_TXN_NO_AUTO_100)
            txn_timer_set(l, t, SLOT_RETX, SIPHON_TXN_TIMER_TRYING,
                          now, l->cfg.trying_ms);
    } else {
        t->state = SIPHON_TXN_TRYING; /* §17.2.2 */
    }
    txn_emit(l, SIPHON_TXN_EV_REQUEST, t, req, user);
    return 0;
}

/* ---- requests matching an existing server transaction ------------------ */

static void ist_request(siphon_txn_layer *l, siphon_txn *t, siphon_msg *req,
                        uint64_t now)
{
    bool ack = siphon_msg_method_id(req) == SIPHON_METHOD_ACK;
    switch ((siphon_txn_state)t->state) {
    case SIPHON_TXN_PROCEEDING:
        /* §17.2.1: a retransmitted INVITE gets the last provisional
         * again (if there is none yet, the 100 timer will answer). */
        if (!ack && t->last)
            txn_send(l, t, t->last);
        break;
    case SIPHON_TXN_COMPLETED:
        if (!ack) {
            if (t->last)
                txn_send(l, t, t->last);
        } else {
            /* §17.2.1: the ACK ends the retransmissions of the final;
             * Timer I absorbs further ACK retransmissions. */
            t->state = SIPHON_TXN_CONFIRMED;
            txn_timer_cancel(l, t, SLOT_RETX);
            txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_I,
                          now, (t->reliable ? 0 : l->cfg.t4_ms));
        }
        break;
    case SIPHON_TXN_ACCEPTED:
        /* RFC 6026 §7.1: INVITE retransmissions are absorbed (the TU
         * retransmits its 2xx); an ACK that matched goes to the TU. */
        if (ack)
            txn_emit(l, SIPHON_TXN_EV_ACK, t, req, t->user);
        break;
    default:
        /* CONFIRMED absorbs both ACK and INVITE retransmissions. */
        break;
    }
}

static void nist_request(siphon_txn_layer *l, siphon_txn *t)
{
    /* §17.2.2: TRYING absorbs retransmissions (the TU has not answered);
     * PROCEEDING and COMPLETED resend the last response. */
    if ((t->state == SIPHON_TXN_PROCEEDING ||
         t->state == SIPHON_TXN_COMPLETED) && t->last)
        txn_send(l, t, t->last);
}

void txn_server_request(siphon_txn_layer *l, siphon_txn *t, siphon_msg *req,
                        uint64_t now)
{
    if (t->kind == SIPHON_TXN_IST)
        ist_request(l, t, req, now);
    else
        nist_request(l, t);
}

/* ---- responses from the TU --------------------------------------------- */

static void keep_last(siphon_txn *t, siphon_msg *resp)
{
    siphon_msg_ref(resp);
    siphon_msg_unref(t->last);
    t->last = resp;
}

static int ist_respond(siphon_txn_layer *l, siphon_txn *t, siphon_msg *resp,
                       int st, uint64_t now)
{
    uint32_t t1 = l->cfg.t1_ms;
    switch ((siphon_txn_state)t->state) {
    case SIPHON_TXN_PROCEEDING:
        keep_last(t, resp);
        /* The TU answered, so the automatic 100 is not needed. */
        txn_timer_cancel(l, t, SLOT_RETX);
        txn_send(l, t, resp);
        if (st < 200)
            return 0;
        if (st < 300) {
            /* RFC 6026 §7.1: ACCEPTED; the TU (not the transaction)
             * retransmits the 2xx, and Timer L keeps the transaction to
             * absorb INVITE retransmissions and pass ACKs up. */
            t->state = SIPHON_TXN_ACCEPTED;
            txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_L, now, 64ull * t1);
            return 0;
        }
        /* §17.2.1: COMPLETED; G retransmits the final until the ACK, H
         * bounds the wait for it. */
        t->state = SIPHON_TXN_COMPLETED;
        t->retx_ms = t1;
        if (!t->reliable)
            txn_timer_set(l, t, SLOT_RETX, SIPHON_TXN_TIMER_G, now, t1);
        txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_H, now, 64ull * t1);
        return 0;
    case SIPHON_TXN_ACCEPTED:
        /* RFC 6026 Figure 7: "2xx from TU / send response". */
        if (st < 200 || st >= 300)
            return SIPHON_ESTATE;
        keep_last(t, resp);
        txn_send(l, t, resp);
        return 0;
    default:
        return SIPHON_ESTATE;
    }
}

static int nist_respond(siphon_txn_layer *l, siphon_txn *t, siphon_msg *resp,
                        int st, uint64_t now)
{
    if (t->state != SIPHON_TXN_TRYING && t->state != SIPHON_TXN_PROCEEDING)
        return SIPHON_ESTATE;
    keep_last(t, resp);
    txn_send(l, t, resp);
    if (st < 200) {
        t->state = SIPHON_TXN_PROCEEDING;
        return 0;
    }
    /* §17.2.2: COMPLETED; Timer J absorbs request retransmissions for as
     * long as the client might still retransmit (64*T1). */
    t->state = SIPHON_TXN_COMPLETED;
    txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_J,
                  now, (t->reliable ? 0 : 64ull * l->cfg.t1_ms));
    return 0;
}

int siphon_txn_respond(siphon_txn_layer *l, siphon_txn *txn, siphon_msg *resp,
                       uint64_t now_ms)
{
    if (!l || !txn || !resp || siphon_msg_is_request(resp) ||
        (txn->kind != SIPHON_TXN_IST && txn->kind != SIPHON_TXN_NIST))
        return SIPHON_EINVAL;
    int st = siphon_msg_status(resp);
    if (st < 100 || st > 699)
        return SIPHON_EINVAL;
    /* A response to some other request would corrupt the transaction's
     * retransmissions (§17.2: the TU answers the transaction's request). */
    const siphon_cseq *cs = siphon_msg_cseq(resp);
    if (!cs || !siphon_str_eq(cs->method, siphon_msg_method(txn->req)))
        return SIPHON_EINVAL;
    if (txn->state == SIPHON_TXN_TERMINATED)
        return SIPHON_ESTATE;
    if (txn_reserve(l) < 0)
        return SIPHON_ENOMEM;
    int rc = txn->kind == SIPHON_TXN_IST
                 ? ist_respond(l, txn, resp, st, now_ms)
                 : nist_respond(l, txn, resp, st, now_ms);
    if (rc < 0)
        return rc;
    /* Zero-length timers (Timer J on reliable transports) fire now. */
    siphon_txn_tick(l, now_ms);
    if (l->oom) {
        l->oom = false;
        return SIPHON_ENOMEM;
    }
    return 0;
}

/* ---- timers ------------------------------------------------------------ */

void txn_server_timer(siphon_txn_layer *l, siphon_txn *t, siphon_txn_timer tm,
                      uint64_t now)
{
    switch (tm) {
    case SIPHON_TXN_TIMER_TRYING:
        /* §17.2.1: the TU was silent for 200 ms; say 100 Trying. */
        if (t->state == SIPHON_TXN_PROCEEDING && !t->last) {
            siphon_msgb *b =
                siphon_msgb_response_to(t->req, 100, SIPHON_STR_NULL,
                                        SIPHON_STR_NULL);
            siphon_msg *m = NULL;
            siphon_perr err;
            if (b && siphon_msgb_finish(b, &m, &err) == 0) {
                t->last = m;
                txn_send(l, t, m);
            } else {
                l->oom = true;
            }
            siphon_msgb_free(b);
        }
        break;
    case SIPHON_TXN_TIMER_G:
        /* §17.2.1: resend the final, doubling up to T2. */
        if (t->state != SIPHON_TXN_COMPLETED || !t->last)
            break;
        txn_send(l, t, t->last);
        t->retx_ms = txn_backoff(t->retx_ms, l->cfg.t2_ms);
        txn_timer_set(l, t, SLOT_RETX, SIPHON_TXN_TIMER_G, now, t->retx_ms);
        break;
    case SIPHON_TXN_TIMER_H:
        /* §17.2.1: the ACK never came; inform the TU. */
        txn_emit(l, SIPHON_TXN_EV_TIMEOUT, t, NULL, t->user);
        txn_terminate(l, t);
        break;
    case SIPHON_TXN_TIMER_I:
    case SIPHON_TXN_TIMER_J:
    case SIPHON_TXN_TIMER_L:
        txn_terminate(l, t);
        break;
    default:
        break;
    }
}
