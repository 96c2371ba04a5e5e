/*
 * layer.c -- the transaction layer's machinery: the object lifetime, the
 * timer min-heap, the hash index, the event queue, and the input dispatch
 * of RFC 3261 §17.1.3 / §17.2.3 to the state machines in client.c and
 * server.c.
 *
 * Nothing here reads a clock: deadlines are absolute times in the
 * caller's millisecond scale, and siphon_txn_tick() fires what is due.
 */
#include "txn_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------- */

const char *siphon_txn_kind_name(siphon_txn_kind k)
{
    static const char *const n[] = {"ICT", "NICT", "IST", "NIST"};
    return (unsigned)k < 4 ? n[k] : "?";
}

const char *siphon_txn_state_name(siphon_txn_state s)
{
    static const char *const n[] = {"CALLING",   "TRYING",    "PROCEEDING",
                                    "COMPLETED", "CONFIRMED", "ACCEPTED",
                                    "TERMINATED"};
    return (unsigned)s < 7 ? n[s] : "?";
}

const char *siphon_txn_timer_name(siphon_txn_timer t)
{
    static const char *const n[] = {"none", "A", "B", "D", "E", "F", "G",
                                    "H",    "I", "J", "K", "L", "M", "100"};
    return (unsigned)t < 14 ? n[t] : "?";
}

const char *siphon_txn_event_name(siphon_txn_event_type t)
{
    static const char *const n[] = {"SEND",    "RESPONSE", "REQUEST",
                                    "ACK",     "STRAY",    "TIMEOUT",
                                    "TRANSPORT_ERROR",     "TERMINATED"};
    return (unsigned)t < 8 ? n[t] : "?";
}

/* ---- layer ------------------------------------------------------------- */

siphon_txn_layer *siphon_txn_layer_new(const siphon_txn_config *cfg)
{
    siphon_txn_layer *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    siphon_txn_config def = SIPHON_TXN_CONFIG_DEFAULT;
    l->cfg = cfg ? *cfg : def;
    /* Zero timers would make retransmission loops spin at one instant. */
    if (!l->cfg.t1_ms)
        l->cfg.t1_ms = def.t1_ms;
    if (!l->cfg.t2_ms)
        l->cfg.t2_ms = def.t2_ms;
    if (!l->cfg.t4_ms)
        l->cfg.t4_ms = def.t4_ms;
    l->nbuckets = 64;
    l->buckets = calloc(l->nbuckets, sizeof *l->buckets);
    if (!l->buckets) {
        free(l);
        return NULL;
    }
    return l;
}

static void txn_free(siphon_txn *t)
{
    siphon_msg_unref(t->req);
    siphon_msg_unref(t->last);
    free(t);
}

void siphon_txn_layer_free(siphon_txn_layer *l)
{
    if (!l)
        return;
    /* Terminated transactions live on only through their queued
     * TERMINATED event (and the zombie slot), so free them there. */
    for (size_t i = 0; i < l->evlen; i++) {
        siphon_txn_event *ev = &l->evq[(l->evhead + i) % l->evcap];
        siphon_msg_unref(ev->msg);
        if (ev->type == SIPHON_TXN_EV_TERMINATED)
            txn_free(ev->txn);
    }
    if (l->zombie)
        txn_free(l->zombie);
    for (size_t b = 0; b < l->nbuckets; b++) {
        siphon_txn *t = l->buckets[b];
        while (t) {
            siphon_txn *next = t->hnext;
            txn_free(t);
            t = next;
        }
    }
    free(l->buckets);
    free(l->heap);
    free(l->evq);
    free(l);
}

size_t siphon_txn_count(const siphon_txn_layer *l)
{
    return l ? l->count : 0;
}

size_t siphon_txn_sizeof(void)
{
    return sizeof(siphon_txn);
}

/* ---- event queue ------------------------------------------------------- */

int txn_emit(siphon_txn_layer *l, siphon_txn_event_type type, siphon_txn *t,
             siphon_msg *msg, void *user)
{
    /* Nothing follows a transaction's TERMINATED event. */
    if (t && t->state == SIPHON_TXN_TERMINATED &&
        type != SIPHON_TXN_EV_TERMINATED)
        return 0;
    /* txn_reserve() made room before the step began. */
    if (l->evlen == l->evcap) {
        l->oom = true;
        return SIPHON_ENOMEM;
    }
    siphon_txn_event *ev = &l->evq[(l->evhead + l->evlen) % l->evcap];
    ev->type = type;
    ev->txn = t;
    ev->msg = msg ? siphon_msg_ref(msg) : NULL;
    ev->user = user;
    l->evlen++;
    return 0;
}

/*
 * Room for everything one step can produce -- a handful of events and the
 * two timers of one transaction -- claimed before the step changes any
 * state, so that running out of memory refuses the step instead of
 * leaving a transaction half-moved (or a TERMINATED event unqueued).
 */
enum { EV_RESERVE = 8, HEAP_RESERVE = 2 };

int txn_reserve(siphon_txn_layer *l)
{
    if (l->evcap - l->evlen < EV_RESERVE) {
        size_t ncap = l->evcap ? l->evcap * 2 : 16;
        siphon_txn_event *q = malloc(ncap * sizeof *q);
        if (!q)
            return SIPHON_ENOMEM;
        /* Unwrap the ring into the new array. */
        for (size_t i = 0; i < l->evlen; i++)
            q[i] = l->evq[(l->evhead + i) % l->evcap];
        free(l->evq);
        l->evq = q;
        l->evcap = ncap;
        l->evhead = 0;
    }
    if (l->capheap - l->nheap < HEAP_RESERVE) {
        size_t ncap = l->capheap ? l->capheap * 2 : 32;
        heap_ent *h = realloc(l->heap, ncap * sizeof *h);
        if (!h)
            return SIPHON_ENOMEM;
        l->heap = h;
        l->capheap = ncap;
    }
    return 0;
}

int txn_send(siphon_txn_layer *l, siphon_txn *t, siphon_msg *m)
{
    return txn_emit(l, SIPHON_TXN_EV_SEND, t, m, t->user);
}

bool siphon_txn_poll(siphon_txn_layer *l, siphon_txn_event *ev)
{
    if (!l || !ev)
        return false;
    if (l->zombie) {
        txn_free(l->zombie);
        l->zombie = NULL;
    }
    if (l->evlen == 0)
        return false;
    *ev = l->evq[l->evhead];
    l->evhead = (l->evhead + 1) % l->evcap;
    l->evlen--;
    if (ev->type == SIPHON_TXN_EV_TERMINATED)
        l->zombie = ev->txn;
    return true;
}

/* ---- timer heap -------------------------------------------------------- */

static bool heap_less(const heap_ent *a, const heap_ent *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_place(siphon_txn_layer *l, size_t i, heap_ent e)
{
    l->heap[i] = e;
    e.t->heap_idx[e.slot] = (uint32_t)i;
}

static void heap_up(siphon_txn_layer *l, size_t i)
{
    heap_ent e = l->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&e, &l->heap[p]))
            break;
        heap_place(l, i, l->heap[p]);
        i = p;
    }
    heap_place(l, i, e);
}

static void heap_down(siphon_txn_layer *l, size_t i)
{
    heap_ent e = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && heap_less(&l->heap[c + 1], &l->heap[c]))
            c++;
        if (!heap_less(&l->heap[c], &e))
            break;
        heap_place(l, i, l->heap[c]);
        i = c;
    }
    heap_place(l, i, e);
}

static void heap_remove(siphon_txn_layer *l, size_t i)
{
    heap_ent gone = l->heap[i];
    gone.t->heap_idx[gone.slot] = NO_HEAP;
    l->nheap--;
    if (i == l->nheap)
        return;
    heap_ent moved = l->heap[l->nheap];
    heap_place(l, i, moved);
    heap_up(l, i);
    heap_down(l, moved.t->heap_idx[moved.slot]);
}

void txn_timer_cancel(siphon_txn_layer *l, siphon_txn *t, int slot)
{
    if (t->heap_idx[slot] != NO_HEAP)
        heap_remove(l, t->heap_idx[slot]);
    t->timer[slot] = SIPHON_TXN_TIMER_NONE;
}

void txn_timer_set(siphon_txn_layer *l, siphon_txn *t, int slot,
                   siphon_txn_timer which, uint64_t now, uint64_t delay_ms)
{
    uint64_t deadline = now > UINT64_MAX - 1 - delay_ms ? UINT64_MAX - 1
                                                        : now + delay_ms;
    txn_timer_cancel(l, t, slot);
    /* A terminated transaction must never be referenced by the heap. */
    if (t->state == SIPHON_TXN_TERMINATED)
        return;
    if (l->nheap == l->capheap) { /* txn_reserve() prevents this */
        l->oom = true;
        txn_terminate(l, t);
        return;
    }
    t->timer[slot] = (uint8_t)which;
    heap_ent e = {deadline, l->seq++, t, (uint32_t)slot};
    l->nheap++;
    heap_place(l, l->nheap - 1, e);
    heap_up(l, l->nheap - 1);
}

uint64_t siphon_txn_next_deadline(const siphon_txn_layer *l)
{
    return l && l->nheap ? l->heap[0].deadline : UINT64_MAX;
}

int siphon_txn_tick(siphon_txn_layer *l, uint64_t now_ms)
{
    if (!l)
        return SIPHON_EINVAL;
    int fired = 0;
    while (l->nheap && l->heap[0].deadline <= now_ms) {
        if (txn_reserve(l) < 0) {
            l->oom = true; /* the timer stays due for the next tick */
            break;
        }
        heap_ent e = l->heap[0];
        siphon_txn_timer which = (siphon_txn_timer)e.t->timer[e.slot];
        heap_remove(l, 0);
        e.t->timer[e.slot] = SIPHON_TXN_TIMER_NONE;
        /* The timer fires at its own deadline, not at now_ms, so that a
         * late tick does not stretch the retransmission schedule. */
        if (e.t->kind == SIPHON_TXN_ICT || e.t->kind == SIPHON_TXN_NICT)
            txn_client_timer(l, e.t, which, e.deadline);
        else
            txn_server_timer(l, e.t, which, e.deadline);
        fired++;
    }
    if (l->oom) {
        l->oom = false;
        return SIPHON_ENOMEM;
    }
    return fired;
}

/* ---- hash index -------------------------------------------------------- */

static int grow_index(siphon_txn_layer *l)
{
    size_t n = l->nbuckets * 2;
    siphon_txn **b = calloc(n, sizeof *b);
    if (!b)
        return SIPHON_ENOMEM;
    for (size_t i = 0; i < l->nbuckets; i++) {
        siphon_txn *t = l->buckets[i];
        while (t) {
            siphon_txn *next = t->hnext;
            t->hnext = b[t->hash & (n - 1)];
            b[t->hash & (n - 1)] = t;
            t = next;
        }
    }
    free(l->buckets);
    l->buckets = b;
    l->nbuckets = n;
    return 0;
}

int txn_index(siphon_txn_layer *l, siphon_txn *t)
{
    /* Growing is best effort: longer chains are slower, not wrong. */
    if (l->count >= l->nbuckets)
        (void)grow_index(l);
    siphon_txn **b = &l->buckets[t->hash & (l->nbuckets - 1)];
    t->hnext = *b;
    *b = t;
    t->indexed = true;
    l->count++;
    return 0;
}

static void unindex(siphon_txn_layer *l, siphon_txn *t)
{
    if (!t->indexed)
        return;
    siphon_txn **p = &l->buckets[t->hash & (l->nbuckets - 1)];
    while (*p && *p != t)
        p = &(*p)->hnext;
    if (*p)
        *p = t->hnext;
    t->hnext = NULL;
    t->indexed = false;
    l->count--;
}

siphon_txn *txn_new(siphon_txn_layer *l, siphon_txn_kind kind,
                    siphon_msg *req, bool reliable, void *user)
{
    (void)l;
    siphon_txn *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->req = siphon_msg_ref(req);
    t->user = user;
    t->kind = (uint8_t)kind;
    t->reliable = reliable;
    t->heap_idx[0] = t->heap_idx[1] = NO_HEAP;
    return t;
}

/*
 * The TERMINATED state: stop the timers, leave the index so that nothing
 * matches any more, and tell the caller. The object itself waits for the
 * event to be consumed (see siphon_txn_poll).
 */
void txn_terminate(siphon_txn_layer *l, siphon_txn *t)
{
    if (t->state == SIPHON_TXN_TERMINATED)
        return;
    t->state = SIPHON_TXN_TERMINATED;
    for (int s = 0; s < NSLOTS; s++)
        txn_timer_cancel(l, t, s);
    unindex(l, t);
    /* Cannot fail: every step reserves room for its events first. */
    txn_emit(l, SIPHON_TXN_EV_TERMINATED, t, NULL, t->user);
}

/* ---- input ------------------------------------------------------------- */

int siphon_txn_receive(siphon_txn_layer *l, siphon_msg *msg, bool reliable,
                       void *user, uint64_t now_ms)
{
    if (!l || !msg)
        return SIPHON_EINVAL;
    if (txn_reserve(l) < 0)
        return SIPHON_ENOMEM;
    txn_key k;
    if (siphon_msg_is_request(msg)) {
        if (txn_key_request(msg, &k) < 0)
            return SIPHON_EINVAL;
        siphon_txn *t = txn_match_request(l, msg, false);
        if (t)
            txn_server_request(l, t, msg, now_ms);
        else if (siphon_msg_method_id(msg) == SIPHON_METHOD_ACK)
            /* An ACK for a 2xx is its own transaction-less request
             * (§17.1.1.3, §13.2.2.4): the core or the TU takes it. */
            txn_emit(l, SIPHON_TXN_EV_STRAY, NULL, msg, user);
        else {
            int rc = txn_server_start(l, msg, reliable, user, now_ms);
            if (rc < 0)
                return rc;
        }
    } else {
        if (txn_key_response(msg, &k) < 0)
            return SIPHON_EINVAL;
        siphon_txn *t = txn_match_response(l, msg);
        if (t)
            txn_client_response(l, t, msg, now_ms);
        else
            /* §18.1.2: the core decides (2xx retransmissions after the
             * ICT ended reach the UAC core or a proxy, RFC 6026 §8.4). */
            txn_emit(l, SIPHON_TXN_EV_STRAY, NULL, msg, user);
    }
    /* Zero-length timers (reliable transports) fire at once. */
    siphon_txn_tick(l, now_ms);
    if (l->oom) {
        l->oom = false;
        return SIPHON_ENOMEM;
    }
    return 0;
}

int siphon_txn_transport_error(siphon_txn_layer *l, siphon_txn *txn,
                               uint64_t now_ms)
{
    (void)now_ms;
    if (!l || !txn)
        return SIPHON_EINVAL;
    if (txn->state == SIPHON_TXN_TERMINATED)
        return SIPHON_ESTATE;
    if (txn_reserve(l) < 0)
        return SIPHON_ENOMEM;
    /* §17.1.4 and §17.2.4: inform the TU and end the transaction; the
     * transport has already tried the alternatives of §18.2.2/RFC 3263. */
    txn_emit(l, SIPHON_TXN_EV_TRANSPORT_ERROR, txn, NULL, txn->user);
    /* RFC 6026 Figure 7: an IST in ACCEPTED only informs the TU -- the
     * failed message was a 2xx the TU retransmits, and the transaction
     * must still absorb INVITE retransmissions until Timer L. */
    if (!(txn->kind == SIPHON_TXN_IST && txn->state == SIPHON_TXN_ACCEPTED))
        txn_terminate(l, txn);
    return 0;
}

siphon_txn *siphon_txn_find_cancelled(siphon_txn_layer *l, siphon_msg *cancel)
{
    if (!l || !cancel || !siphon_msg_is_request(cancel) ||
        siphon_msg_method_id(cancel) != SIPHON_METHOD_CANCEL)
        return NULL;
    txn_key k;
    if (txn_key_request(cancel, &k) < 0)
        return NULL;
    return txn_match_request(l, cancel, true);
}

/* ---- accessors --------------------------------------------------------- */

siphon_txn_kind siphon_txn_kind_of(const siphon_txn *t)
{
    return (siphon_txn_kind)t->kind;
}

siphon_txn_state siphon_txn_state_of(const siphon_txn *t)
{
    return (siphon_txn_state)t->state;
}

void *siphon_txn_user(const siphon_txn *t)
{
    return t->user;
}

siphon_msg *siphon_txn_request(const siphon_txn *t)
{
    return t->req;
}

siphon_msg *siphon_txn_last(const siphon_txn *t)
{
    return t->last;
}
