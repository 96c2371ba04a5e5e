/*
 * client.c -- the client transactions: INVITE (RFC 3261 §17.1.1, Figure 5
 * as updated by RFC 6026 §7.2 with the ACCEPTED state and Timer M) and
 * non-INVITE (§17.1.2, Figure 6), including the ACK that the INVITE client
 * transaction builds for a non-2xx final response (§17.1.1.3).
 */
#include "txn_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- the ACK for a non-2xx final response (§17.1.1.3) ------------------ */

/* Header values may be folded; the builder takes single lines only, and
 * §7.3.1 makes folding equivalent to one SP. */
static int add_unfolded(siphon_msgb *b, const char *name, siphon_str v)
{
    siphon_buf buf;
    siphon_buf_init(&buf, 0);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < v.len; i++) {
        char c = v.p[i];
        if (c == '\r' || c == '\n')
            continue;
        rc = siphon_buf_append(&buf, &c, 1);
    }
    if (rc == 0)
        rc = siphon_msgb_add(b, siphon_str_c(name),
                             siphon_str_make(buf.p ? buf.p : "", buf.len));
    siphon_buf_free(&buf);
    return rc;
}

static int copy_all(siphon_msgb *b, siphon_msg *m, siphon_hdr_id id,
                    const char *name)
{
    int rc = 0;
    for (long i = siphon_msg_hdr_next(m, id, 0); rc == 0 && i >= 0;
         i = siphon_msg_hdr_next(m, id, (size_t)i + 1))
        rc = add_unfolded(b, name, siphon_msg_hdr_at(m, (size_t)i)->value);
    return rc;
}

static int copy_first(siphon_msgb *b, siphon_msg *m, siphon_hdr_id id,
                      const char *name)
{
    long i = siphon_msg_hdr_next(m, id, 0);
    if (i < 0)
        return SIPHON_EINVAL;
    return add_unfolded(b, name, siphon_msg_hdr_at(m, (size_t)i)->value);
}

/*
 * The ACK has the INVITE's Request-URI, Call-ID, From and CSeq number, the
 * response's To (with the tag the UAS chose), only the INVITE's top Via
 * (so it reaches the same server transaction, and the same branch), and
 * the INVITE's Route set, because it follows the INVITE's path hop by
 * hop. Max-Forwards is copied as every request needs one (§8.1.1.6).
 */
static siphon_msg *build_ack(siphon_msg *req, siphon_msg *resp)
{
    const siphon_via *via = siphon_msg_via(req);
    const siphon_cseq *cs = siphon_msg_cseq(req);
    if (!via || !cs)
        return NULL;
    siphon_msgb *b = siphon_msgb_request(SIPHON_STR_LIT("ACK"),
                                         siphon_msg_ruri_str(req));
    if (!b)
        return NULL;
    char cseq[32];
    snprintf(cseq, sizeof cseq, "%lu ACK", (unsigned long)cs->num);
    int rc = add_unfolded(b, "Via", via->raw);
    if (rc == 0)
        rc = copy_all(b, req, SIPHON_HDR_ROUTE, "Route");
    if (rc == 0 && siphon_msg_hdr_next(req, SIPHON_HDR_MAX_FORWARDS, 0) >= 0)
        rc = copy_first(b, req, SIPHON_HDR_MAX_FORWARDS, "Max-Forwards");
    if (rc == 0)
        rc = copy_first(b, req, SIPHON_HDR_FROM, "From");
    if (rc == 0)
        rc = copy_first(b, resp, SIPHON_HDR_TO, "To");
    if (rc == 0)
        rc = copy_first(b, req, SIPHON_HDR_CALL_ID, "Call-ID");
    if (rc == 0)
        rc = siphon_msgb_add(b, SIPHON_STR_LIT("CSeq"), siphon_str_c(cseq));
    siphon_msg *ack = NULL;
    siphon_perr err;
    if (rc == 0 && siphon_msgb_finish(b, &ack, &err) < 0)
        ack = NULL;
    siphon_msgb_free(b);
    return ack;
}

/* ---- start ------------------------------------------------------------- */

int siphon_txn_client_start(siphon_txn_layer *l, siphon_msg *req,
                            bool reliable, void *user, uint64_t now_ms,
                            siphon_txn **out)
{
    if (out)
        *out = NULL;
    if (!l || !req || !siphon_msg_is_request(req))
        return SIPHON_EINVAL;
    siphon_method m = siphon_msg_method_id(req);
    const siphon_via *v = siphon_msg_via(req);
    const siphon_cseq *cs = siphon_msg_cseq(req);
    /* §17: ACK has no client transaction (a non-2xx ACK is built by the
     * ICT, a 2xx ACK is sent by the TU directly). */
    if (m == SIPHON_METHOD_ACK || !v || !v->has_branch || !v->branch.len ||
        !cs || !siphon_str_eq(cs->method, siphon_msg_method(req)))
        return SIPHON_EINVAL;
    txn_key k;
    if (txn_key_response(req, &k) < 0) /* branch key, as responses use */
        return SIPHON_EINVAL;
    if (txn_reserve(l) < 0)
        return SIPHON_ENOMEM;
    /* Branch and method identify a client transaction (§17.1.3); a second
     * one would steal the first's responses. The request's CSeq method is
     * its method, so it matches like a response would. */
    if (txn_match_response(l, req))
        return SIPHON_EDUP;
    bool invite = m == SIPHON_METHOD_INVITE;
    siphon_txn *t = txn_new(l, invite ? SIPHON_TXN_ICT : SIPHON_TXN_NICT, req,
                            reliable, user);
    if (!t)
        return SIPHON_ENOMEM;
    t->hash = k.hash;
    txn_index(l, t);
    uint32_t t1 = l->cfg.t1_ms;
    if (invite) {
        /* §17.1.1.2: CALLING; Timer A only where the transport may lose
         * the INVITE, Timer B bounds the wait for any response. */
        t->state = SIPHON_TXN_CALLING;
        t->retx_ms = t1;
        if (!reliable)
            txn_timer_set(l, t, SLOT_RETX, SIPHON_TXN_TIMER_A, now_ms, t1);
        txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_B, now_ms, 64ull * t1);
    } else {
        /* §17.1.2.2: TRYING with Timers E (unreliable) and F. */
        t->state = SIPHON_TXN_TRYING;
        t->retx_ms = t1;
        if (!reliable)
            txn_timer_set(l, t, SLOT_RETX, SIPHON_TXN_TIMER_E, now_ms, t1);
        txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_F, now_ms, 64ull * t1);
    }
    txn_send(l, t, req);
    if (out)
        *out = t;
    if (l->oom) {
        l->oom = false;
        return SIPHON_ENOMEM;
    }
    return 0;
}

/* ---- responses --------------------------------------------------------- */

static void ict_response(siphon_txn_layer *l, siphon_txn *t, siphon_msg *resp,
                         uint64_t now)
{
    int st = siphon_msg_status(resp);
    bool provisional = st < 200, ok = st < 300 && !provisional;
    switch ((siphon_txn_state)t->state) {
    case SIPHON_TXN_CALLING:
    case SIPHON_TXN_PROCEEDING:
        if (provisional) {
            /* §17.1.1.2: stop retransmitting; with no Timer B in
             * PROCEEDING the TU (CANCEL, Timer C) bounds the wait. */
            t->state = SIPHON_TXN_PROCEEDING;
            txn_timer_cancel(l, t, SLOT_RETX);
            txn_timer_cancel(l, t, SLOT_WAIT);
            txn_emit(l, SIPHON_TXN_EV_RESPONSE, t, resp, t->user);
        } else if (ok) {
            /* RFC 6026 §7.2: ACCEPTED, so that 2xx retransmissions (and
             * 2xx from other forks) still reach the TU for Timer M. */
            t->state = SIPHON_TXN_ACCEPTED;
            txn_timer_cancel(l, t, SLOT_RETX);
            txn_emit(l, SIPHON_TXN_EV_RESPONSE, t, resp, t->user);
            txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_M,
                          now, 64ull * l->cfg.t1_ms);
        } else {
            /* §17.1.1.2: 300-699 -> ACK sent, response to TU, COMPLETED
             * with Timer D to absorb retransmitted finals. */
            /* If the ACK cannot be built (no memory, or a response
             * without To), the next retransmitted final tries again. */
            siphon_msg_unref(t->last);
            t->last = build_ack(t->req, resp);
            if (t->last)
                txn_send(l, t, t->last);
            t->state = SIPHON_TXN_COMPLETED;
            txn_timer_cancel(l, t, SLOT_RETX);
            txn_emit(l, SIPHON_TXN_EV_RESPONSE, t, resp, t->user);
            txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_D,
                          now, (t->reliable ? 0 : l->cfg.d_ms));
        }
        break;
    case SIPHON_TXN_COMPLETED:
        /* §17.1.1.2: a retransmitted final means our ACK was lost. */
        if (!provisional && !ok) {
            if (!t->last)
                t->last = build_ack(t->req, resp);
            if (t->last)
                txn_send(l, t, t->last);
        }
        break;
    case SIPHON_TXN_ACCEPTED:
        /* RFC 6026 §7.2: 2xx -> passed to the TU; anything else dropped. */
        if (ok)
            txn_emit(l, SIPHON_TXN_EV_RESPONSE, t, resp, t->user);
        break;
    default:
        break;
    }
}

static void nict_response(siphon_txn_layer *l, siphon_txn *t, siphon_msg *resp,
                          uint64_t now)
{
    int st = siphon_msg_status(resp);
    switch ((siphon_txn_state)t->state) {
    case SIPHON_TXN_TRYING:
    case SIPHON_TXN_PROCEEDING:
        txn_emit(l, SIPHON_TXN_EV_RESPONSE, t, resp, t->user);
        if (st < 200) {
            /* §17.1.2.2: Timer E keeps running, and from now on fires
             * every T2 (see nict_timer). */
            t->state = SIPHON_TXN_PROCEEDING;
        } else {
            /* COMPLETED: Timer K absorbs retransmitted finals. */
            t->state = SIPHON_TXN_COMPLETED;
            txn_timer_cancel(l, t, SLOT_RETX);
            txn_timer_set(l, t, SLOT_WAIT, SIPHON_TXN_TIMER_K,
                          now, (t->reliable ? 0 : l->cfg.t4_ms));
        }
        break;
    default:
        /* COMPLETED: response retransmissions are absorbed. */
        break;
    }
}

void txn_client_response(siphon_txn_layer *l, siphon_txn *t, siphon_msg *resp,
                         uint64_t now)
{
    int st = siphon_msg_status(resp);
    if (st < 100 || st > 699)
        return;
    if (t->kind == SIPHON_TXN_ICT)
        ict_response(l, t, resp, now);
    else
        nict_response(l, t, resp, now);
}

/* ---- timers ------------------------------------------------------------ */

void txn_client_timer(siphon_txn_layer *l, siphon_txn *t, siphon_txn_timer tm,
                      uint64_t now)
{
    switch (tm) {
    case SIPHON_TXN_TIMER_A:
        /* §17.1.1.2: retransmit, doubling each time, no cap (B ends it). */
        if (t->state != SIPHON_TXN_CALLING)
            break;
        txn_send(l, t, t->req);
        t->retx_ms = txn_backoff(t->retx_ms, UINT32_MAX);
        txn_timer_set(l, t, SLOT_RETX, SIPHON_TXN_TIMER_A, now, t->retx_ms);
        break;
    case SIPHON_TXN_TIMER_E:
        /* §17.1.2.2: doubling up to T2 in TRYING; once a provisional has
         * come (PROCEEDING) every T2. */
        if (t->state != SIPHON_TXN_TRYING && t->state != SIPHON_TXN_PROCEEDING)
            break;
        txn_send(l, t, t->req);
        if (t->state == SIPHON_TXN_PROCEEDING)
            t->retx_ms = l->cfg.t2_ms;
        else
            t->retx_ms = txn_backoff(t->retx_ms, l->cfg.t2_ms);
        txn_timer_set(l, t, SLOT_RETX, SIPHON_TXN_TIMER_E, now, t->retx_ms);
        break;
    case SIPHON_TXN_TIMER_B:
    case SIPHON_TXN_TIMER_F:
        /* §17.1.1.2 / §17.1.2.2: inform the TU of the timeout. RFC 4320:
         * nothing else -- no 408 is synthesised toward anyone. */
        txn_emit(l, SIPHON_TXN_EV_TIMEOUT, t, NULL, t->user);
        txn_terminate(l, t);
        break;
    case SIPHON_TXN_TIMER_D:
    case SIPHON_TXN_TIMER_K:
    case SIPHON_TXN_TIMER_M:
        txn_terminate(l, t);
        break;
    default:
        break;
    }
}
