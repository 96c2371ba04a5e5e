/*
 * txn_internal.h -- the transaction object, the layer, and the helpers the
 * state machines share (timer heap, hash index, event queue).
 */
#ifndef SIPHON_TXN_INTERNAL_H
#define SIPHON_TXN_INTERNAL_H

#include <siphon/txn.h>

/*
 * A transaction holds at most two timers at once: a retransmission timer
 * (A, E, G, or the automatic-100 timer) and a wait/timeout timer (B, D, F,
 * H, I, J, K, L, M). Two slots with their heap positions keep the object
 * small and cancellation O(log n).
 */
enum { SLOT_RETX = 0, SLOT_WAIT = 1, NSLOTS = 2 };
#define NO_HEAP UINT32_MAX

struct siphon_txn {
    siphon_txn *hnext;        /* hash chain */
    siphon_msg *req;          /* the request that created it */
    siphon_msg *last;         /* server: last response sent; ICT: the ACK */
    void *user;               /* the caller's transport context */
    uint32_t hash;            /* of the match key, see match.c */
    uint32_t heap_idx[NSLOTS];
    uint32_t retx_ms;         /* current A/E/G interval */
    uint8_t kind;             /* siphon_txn_kind */
    uint8_t state;            /* siphon_txn_state */
    uint8_t timer[NSLOTS];    /* siphon_txn_timer per slot */
    bool reliable;
    bool rfc2543;             /* keyed by the RFC 2543 fallback rules */
    bool indexed;             /* in the hash table */
};

typedef struct heap_ent {
    uint64_t deadline;
    uint64_t seq;             /* arming order, for stable ties */
    siphon_txn *t;
    uint32_t slot;
} heap_ent;

struct siphon_txn_layer {
    siphon_txn_config cfg;
    /* hash index: power-of-two buckets, chained */
    siphon_txn **buckets;
    size_t nbuckets;
    size_t count;             /* live (indexed) transactions */
    /* timer min-heap */
    heap_ent *heap;
    size_t nheap, capheap;
    uint64_t seq;
    /* event ring */
    siphon_txn_event *evq;
    size_t evhead, evlen, evcap;
    siphon_txn *zombie;       /* freed on the next poll */
    bool oom;                 /* an event could not be queued */
};

/* Double a retransmission interval, capped at cap (and never wrapping,
 * which would make a timer fire at once, forever). */
static inline uint32_t txn_backoff(uint32_t v, uint32_t cap)
{
    uint64_t d = (uint64_t)v * 2;
    return d < cap ? (uint32_t)d : cap;
}

/* layer.c */
int txn_emit(siphon_txn_layer *l, siphon_txn_event_type type, siphon_txn *t,
             siphon_msg *msg, void *user);
/* Arm a slot to fire delay_ms after now (saturating: never wraps). */
void txn_timer_set(siphon_txn_layer *l, siphon_txn *t, int slot,
                   siphon_txn_timer which, uint64_t now, uint64_t delay_ms);
void txn_timer_cancel(siphon_txn_layer *l, siphon_txn *t, int slot);
void txn_terminate(siphon_txn_layer *l, siphon_txn *t);
int txn_index(siphon_txn_layer *l, siphon_txn *t);
siphon_txn *txn_new(siphon_txn_layer *l, siphon_txn_kind kind,
                    siphon_msg *req, bool reliable, void *user);
int txn_send(siphon_txn_layer *l, siphon_txn *t, siphon_msg *m);
int txn_reserve(siphon_txn_layer *l);

/* match.c */
typedef struct txn_key {
    uint32_t hash;
    bool rfc2543;
} txn_key;
/* Key of a request (for server transactions, ACK folded into INVITE). */
int txn_key_request(siphon_msg *req, txn_key *k);
/* Key of a response (client transactions). */
int txn_key_response(siphon_msg *resp, txn_key *k);
siphon_txn *txn_match_response(siphon_txn_layer *l, siphon_msg *resp);
/* as_invite: match as if the method were INVITE (CANCEL, §9.2). */
siphon_txn *txn_match_request(siphon_txn_layer *l, siphon_msg *req,
                              bool as_invite);
bool txn_same_method(siphon_msg *a, siphon_msg *b);

/* client.c / server.c */
void txn_client_response(siphon_txn_layer *l, siphon_txn *t, siphon_msg *resp,
                         uint64_t now);
void txn_client_timer(siphon_txn_layer *l, siphon_txn *t, siphon_txn_timer tm,
                      uint64_t now);
void txn_server_request(siphon_txn_layer *l, siphon_txn *t, siphon_msg *req,
                        uint64_t now);
void txn_server_timer(siphon_txn_layer *l, siphon_txn *t, siphon_txn_timer tm,
                      uint64_t now);
int txn_server_start(siphon_txn_layer *l, siphon_msg *req, bool reliable,
                     void *user, uint64_t now);

#endif
