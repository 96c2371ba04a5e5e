/*
 * test_txn_walk.c -- a deterministic random walk over the transaction
 * layer (fixed seed, so `make test` stays reproducible): thousands of
 * interleaved starts, responses, retransmissions, ACKs, TU answers,
 * transport errors, strays and clock steps. It checks the invariants the
 * figures imply rather than one schedule:
 *   - every call returns 0 or a documented refusal, never crashes;
 *   - no event names a transaction after its TERMINATED event;
 *   - siphon_txn_count() equals the transactions not yet terminated;
 *   - once the TU has given every waiting transaction its final answer
 *     and input stops, all transactions end within 64*T1 (RFC 3261 §17,
 *     RFC 6026) and the layer is empty.
 */
#include "unit.h"
#include "txn_support.h"

#include <stdio.h>
#include <stdlib.h>

enum { MAXT = 4096 };

typedef struct walk {
    siphon_txn_layer *l;
    uint64_t rng;
    uint64_t now;
    siphon_txn *txn[MAXT]; /* NULL once terminated */
    siphon_msg *req[MAXT];
    size_t n;
    size_t live;
    int bad_events;
    size_t seen[SIPHON_TXN_EV_TERMINATED + 1]; /* events by type */
} walk;

static uint32_t rnd(walk *w, uint32_t n)
{
    /* A 64-bit LCG (Knuth's MMIX constants); the high bits are used. */
    w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(w->rng >> 33) % n;
}

static void track(walk *w, siphon_txn *t, siphon_msg *req)
{
    if (!t || w->n == MAXT)
        return;
    w->txn[w->n] = t;
    w->req[w->n] = siphon_msg_ref(req);
    w->n++;
    w->live++;
}

static size_t index_of(const walk *w, const siphon_txn *t)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->txn[i] == t)
            return i;
    return SIZE_MAX;
}

static void drain(walk *w)
{
    siphon_txn_event ev;
    while (siphon_txn_poll(w->l, &ev)) {
        if ((unsigned)ev.type <= SIPHON_TXN_EV_TERMINATED)
            w->seen[ev.type]++;
        if (ev.type == SIPHON_TXN_EV_REQUEST)
            track(w, ev.txn, ev.msg);
        if (ev.txn && index_of(w, ev.txn) == SIZE_MAX)
            w->bad_events++; /* an event for an unknown/ended txn */
        if (ev.type == SIPHON_TXN_EV_TERMINATED) {
            size_t i = index_of(w, ev.txn);
            if (i != SIZE_MAX) {
                w->txn[i] = NULL;
                w->live--;
            }
        }
        siphon_msg_unref(ev.msg);
    }
}

static void advance(walk *w, uint64_t to)
{
    for (;;) {
        uint64_t d = siphon_txn_next_deadline(w->l);
        if (d > to)
            break;
        siphon_txn_tick(w->l, d);
        drain(w);
    }
    w->now = to;
}

static const char *const methods[] = {"INVITE", "OPTIONS", "BYE", "INVITE",
                                      "REGISTER", "INFO"};
static const int statuses[] = {100, 180, 183, 200, 202, 302, 486, 487, 503};

static void give(walk *w, siphon_msg *m, bool reliable)
{
    if (m) {
        CHECK_INT(siphon_txn_receive(w->l, m, reliable, NULL, w->now), 0);
        siphon_msg_unref(m);
    }
    drain(w);
}

static void step(walk *w, int i)
{
    char br[48];
    bool reliable = rnd(w, 2);
    size_t k = w->n ? rnd(w, (uint32_t)w->n) : 0;
    siphon_txn *t = w->n ? w->txn[k] : NULL;
    siphon_msg *req = w->n ? w->req[k] : NULL;
    int st = statuses[rnd(w, sizeof statuses / sizeof statuses[0])];
    switch (rnd(w, 9)) {
    case 0: { /* a new client transaction */
        snprintf(br, sizeof br, "z9hG4bKc%d", i);
        siphon_msg *m = tx_request(methods[rnd(w, 6)], br, "a.example.com", NULL);
        siphon_txn *c = NULL;
        CHECK_INT(siphon_txn_client_start(w->l, m, reliable, NULL, w->now, &c), 0);
        track(w, c, m);
        siphon_msg_unref(m);
        drain(w);
        break;
    }
    case 1: /* a response to some request (client or not, ended or not) */
        if (req)
            give(w, tx_response(req, st, "t"), reliable);
        break;
    case 2: { /* a new request from the network */
        snprintf(br, sizeof br, i % 7 ? "z9hG4bKs%d" : "old%d", i);
        give(w, tx_request(methods[rnd(w, 6)], br, "b.example.com", NULL),
             reliable);
        break;
    }
    case 3: /* a retransmission of a request we know */
        if (req) {
            siphon_msg_ref(req);
            give(w, req, reliable);
        }
        break;
    case 4: /* an ACK or CANCEL on some request's branch */
        if (req) {
            const siphon_via *v = siphon_msg_via(req);
            snprintf(br, sizeof br, "%.*s", v ? (int)v->branch.len : 0,
                     v ? v->branch.p : "");
            siphon_msg *m = tx_request(rnd(w, 2) ? "ACK" : "CANCEL", br,
                                       v ? "b.example.com" : "x", NULL);
            if (m && siphon_msg_method_id(m) == SIPHON_METHOD_CANCEL &&
                siphon_txn_find_cancelled(w->l, m))
                CHECK_INT(siphon_txn_kind_of(siphon_txn_find_cancelled(w->l, m)),
                          SIPHON_TXN_IST);
            give(w, m, reliable);
        }
        break;
    case 5: /* the TU answers a server transaction */
    case 6:
        if (t && (siphon_txn_kind_of(t) == SIPHON_TXN_IST ||
                  siphon_txn_kind_of(t) == SIPHON_TXN_NIST)) {
            siphon_msg *r = tx_response(req, st, "t");
            int rc = siphon_txn_respond(w->l, t, r, w->now);
            CHECK(rc == 0 || rc == SIPHON_ESTATE);
            siphon_msg_unref(r);
            drain(w);
        }
        break;
    case 7:
        if (t && rnd(w, 4) == 0) {
            CHECK_INT(siphon_txn_transport_error(w->l, t, w->now), 0);
            drain(w);
        }
        break;
    default:
        advance(w, w->now + rnd(w, 3000));
        break;
    }
    CHECK_INT(siphon_txn_count(w->l), w->live);
}

UNIT_TEST(txn_random_walk)
{
    static walk w; /* large: keep it off the stack */
    memset(&w, 0, sizeof w);
    w.l = siphon_txn_layer_new(NULL);
    w.rng = 0x5eedf00dull;
    for (int i = 0; i < 3000; i++)
        step(&w, i);
    /* The TU ends what waits for it: a final for every server
     * transaction still without one, a 487 for every ICT still waiting. */
    for (size_t i = 0; i < w.n; i++) {
        siphon_txn *t = w.txn[i];
        if (!t)
            continue;
        siphon_txn_kind k = siphon_txn_kind_of(t);
        siphon_txn_state s = siphon_txn_state_of(t);
        if ((k == SIPHON_TXN_IST && s == SIPHON_TXN_PROCEEDING) ||
            (k == SIPHON_TXN_NIST &&
             (s == SIPHON_TXN_TRYING || s == SIPHON_TXN_PROCEEDING))) {
            siphon_msg *r = tx_response(w.req[i], 500, "t");
            CHECK_INT(siphon_txn_respond(w.l, t, r, w.now), 0);
            siphon_msg_unref(r);
        } else if (k == SIPHON_TXN_ICT && s == SIPHON_TXN_PROCEEDING) {
            siphon_msg *r = tx_response(w.req[i], 487, "t");
            CHECK_INT(siphon_txn_receive(w.l, r, false, NULL, w.now), 0);
            siphon_msg_unref(r);
        }
        drain(&w);
    }
    advance(&w, w.now + 64 * 500);
    CHECK_INT(w.bad_events, 0);
    CHECK_INT(w.live, 0);
    CHECK_INT(siphon_txn_count(w.l), 0);
    CHECK_INT(siphon_txn_next_deadline(w.l), UINT64_MAX);
    /* The walk is only worth something if it reached every outcome. */
    for (int e = 0; e <= SIPHON_TXN_EV_TERMINATED; e++) {
        if (w.seen[e] == 0)
            printf("#   never saw %s\n",
                   siphon_txn_event_name((siphon_txn_event_type)e));
        CHECK(w.seen[e] > 0);
    }
    for (size_t i = 0; i < w.n; i++)
        siphon_msg_unref(w.req[i]);
    siphon_txn_layer_free(w.l);
}
