/*
 * siphon/txn.h -- the RFC 3261 §17 transaction layer, sans-I/O.
 *
 * The four transaction state machines of RFC 3261 §17 (INVITE client
 * §17.1.1, non-INVITE client §17.1.2, INVITE server §17.2.1, non-INVITE
 * server §17.2.2) as updated by RFC 6026 (the ACCEPTED state, Timers L
 * and M) and RFC 4320 (no 408 to a non-INVITE that timed out), with the
 * matching rules of §17.1.3 and §17.2.3 (including the RFC 2543 fallback)
 * and CANCEL matching (§9.2).
 *
 * The layer reads no clock and touches no socket. Every entry point takes
 * the current time in milliseconds (any monotonic origin) from the caller.
 * Timers live in a min-heap: the caller sleeps until
 * siphon_txn_next_deadline() and then calls siphon_txn_tick(). Everything
 * the layer wants done -- send a message, hand one to the TU, report a
 * timeout -- is queued as an event that the caller drains with
 * siphon_txn_poll() after each call.
 *
 * Events the caller acts on: SEND (transmit), RESPONSE (client TU),
 * REQUEST (a new server transaction for the server TU), ACK (an ACK for a
 * 2xx that matched an INVITE server transaction, RFC 6026), STRAY (for
 * the core: matched nothing), TIMEOUT, TRANSPORT_ERROR and TERMINATED.
 *
 * Lifetime of a transaction: the layer owns it. It lives until the
 * SIPHON_TXN_EV_TERMINATED event for it has been returned by
 * siphon_txn_poll(); the handle stays valid until the *next* call to
 * siphon_txn_poll() (or siphon_txn_layer_free()), which frees it. The
 * TERMINATED event is always the last event of a transaction.
 */
#ifndef SIPHON_TXN_H
#define SIPHON_TXN_H

#include <siphon/base.h>
#include <siphon/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ----------------------------------------------------- */

/* siphon_txn_config.trying_ms value that turns the automatic 100 off. */
#define SIPHON_TXN_NO_AUTO_100 UINT32_MAX

typedef struct siphon_txn_config {
    uint32_t t1_ms;     /* RTT estimate, RFC 3261 §17.1.1.1 (500) */
    uint32_t t2_ms;     /* cap of non-INVITE and 2xx/G retransmits (4000) */
    uint32_t t4_ms;     /* max time a message lives in the network (5000) */
    uint32_t d_ms;      /* Timer D on unreliable transports, >= 32 s (32000) */
    /* The INVITE server transaction sends 100 Trying itself when the TU
     * has not responded within this time (§17.2.1: 200 ms). 0 sends it at
     * once; SIPHON_TXN_NO_AUTO_100 never. */
    uint32_t trying_ms;
} siphon_txn_config;

#define SIPHON_TXN_CONFIG_DEFAULT                                              \
    ((siphon_txn_config){.t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000,           \
                         .d_ms = 32000, .trying_ms = 200})

/* ---- kinds, states, timers --------------------------------------------- */

typedef enum siphon_txn_kind {
    SIPHON_TXN_ICT = 0, /* INVITE client, §17.1.1 */
    SIPHON_TXN_NICT,    /* non-INVITE client, §17.1.2 */
    SIPHON_TXN_IST,     /* INVITE server, §17.2.1 */
    SIPHON_TXN_NIST     /* non-INVITE server, §17.2.2 */
} siphon_txn_kind;

typedef enum siphon_txn_state {
    SIPHON_TXN_CALLING = 0, /* ICT */
    SIPHON_TXN_TRYING,      /* NICT, NIST */
    SIPHON_TXN_PROCEEDING,  /* all */
    SIPHON_TXN_COMPLETED,   /* all */
    SIPHON_TXN_CONFIRMED,   /* IST */
    SIPHON_TXN_ACCEPTED,    /* ICT, IST (RFC 6026) */
    SIPHON_TXN_TERMINATED
} siphon_txn_state;

typedef enum siphon_txn_timer {
    SIPHON_TXN_TIMER_NONE = 0,
    SIPHON_TXN_TIMER_A, /* ICT INVITE retransmit, unreliable only */
    SIPHON_TXN_TIMER_B, /* ICT timeout, 64*T1 */
    SIPHON_TXN_TIMER_D, /* ICT wait in COMPLETED: d_ms / 0 */
    SIPHON_TXN_TIMER_E, /* NICT retransmit, unreliable only */
    SIPHON_TXN_TIMER_F, /* NICT timeout, 64*T1 */
    SIPHON_TXN_TIMER_G, /* IST final response retransmit, unreliable */
    SIPHON_TXN_TIMER_H, /* IST wait for ACK, 64*T1 */
    SIPHON_TXN_TIMER_I, /* IST wait in CONFIRMED: T4 / 0 */
    SIPHON_TXN_TIMER_J, /* NIST wait in COMPLETED: 64*T1 / 0 */
    SIPHON_TXN_TIMER_K, /* NICT wait in COMPLETED: T4 / 0 */
    SIPHON_TXN_TIMER_L, /* IST wait in ACCEPTED: 64*T1 (RFC 6026) */
    SIPHON_TXN_TIMER_M, /* ICT wait in ACCEPTED: 64*T1 (RFC 6026) */
    SIPHON_TXN_TIMER_TRYING /* IST: automatic 100 (not an RFC letter) */
} siphon_txn_timer;

/* Names for logs and tests: "ICT", "PROCEEDING", "A"; never NULL. */
const char *siphon_txn_kind_name(siphon_txn_kind k);
const char *siphon_txn_state_name(siphon_txn_state s);
const char *siphon_txn_timer_name(siphon_txn_timer t);

/* ---- events ------------------------------------------------------------ */

typedef enum siphon_txn_event_type {
    /* Transmit ev->msg for ev->txn to the peer in ev->user's context. */
    SIPHON_TXN_EV_SEND = 0,
    /* A response for the client TU (ICT/NICT). */
    SIPHON_TXN_EV_RESPONSE,
    /* A new server transaction ev->txn was created for request ev->msg. */
    SIPHON_TXN_EV_REQUEST,
    /* An ACK matched an INVITE server transaction in ACCEPTED: it
     * acknowledges a 2xx and goes to the TU (RFC 6026 §8.7). */
    SIPHON_TXN_EV_ACK,
    /* ev->msg matched no transaction and starts none (ev->txn is NULL): a
     * stray response, an ACK for a 2xx, a 2xx retransmitted after the ICT
     * ended. The core handles it (§17.1.1.2, §18.1.2, RFC 6026). ev->user
     * is the user given to siphon_txn_receive(). */
    SIPHON_TXN_EV_STRAY,
    /* Timer B, F or H fired (ev->msg NULL). TERMINATED follows. */
    SIPHON_TXN_EV_TIMEOUT,
    /* siphon_txn_transport_error() was called (§17.1.4, §17.2.4).
     * TERMINATED follows (not for an IST in ACCEPTED, RFC 6026). */
    SIPHON_TXN_EV_TRANSPORT_ERROR,
    /* The last event of ev->txn; see the lifetime rule at the top. */
    SIPHON_TXN_EV_TERMINATED
} siphon_txn_event_type;

typedef struct siphon_txn siphon_txn;
typedef struct siphon_txn_layer siphon_txn_layer;

typedef struct siphon_txn_event {
    siphon_txn_event_type type;
    siphon_txn *txn;  /* NULL for STRAY */
    siphon_msg *msg;  /* one reference, owned by the caller (unref it);
                         NULL for TIMEOUT, TRANSPORT_ERROR, TERMINATED */
    void *user;       /* the transaction's user (STRAY: receive's user) */
} siphon_txn_event;

/* Name of an event type ("SEND"); never NULL. */
const char *siphon_txn_event_name(siphon_txn_event_type t);

/* ---- the layer --------------------------------------------------------- */

/*
 * A new, empty layer. cfg may be NULL for SIPHON_TXN_CONFIG_DEFAULT; zero
 * T1/T2/T4 are replaced by the defaults. Returns NULL when malloc fails.
 * The caller owns the layer and frees it with siphon_txn_layer_free().
 */
siphon_txn_layer *siphon_txn_layer_new(const siphon_txn_config *cfg);

/*
 * Free the layer, every transaction in it and every queued event (their
 * message references are dropped). Handles become invalid. NULL is fine.
 */
void siphon_txn_layer_free(siphon_txn_layer *l);

/* Transactions not yet terminated. */
size_t siphon_txn_count(const siphon_txn_layer *l);

/*
 * The size of one transaction object (56 bytes on LP64), for memory
 * budgets and benchmarks. A live transaction also uses at most two timer
 * heap entries (32 bytes each) and one hash bucket pointer, so under 160
 * bytes in all; its request and last response (or ACK) are shared,
 * refcounted siphon_msg objects and not counted.
 */
size_t siphon_txn_sizeof(void);

/* ---- time -------------------------------------------------------------- */

/* The earliest timer deadline, or UINT64_MAX when no timer runs. */
uint64_t siphon_txn_next_deadline(const siphon_txn_layer *l);

/*
 * Fire every timer whose deadline is <= now_ms, earliest first (ties in
 * the order they were set). Events are queued. Returns the number fired,
 * or SIPHON_ENOMEM (the layer stays consistent; events may be missing).
 */
int siphon_txn_tick(siphon_txn_layer *l, uint64_t now_ms);

/* ---- the event queue --------------------------------------------------- */

/*
 * Take the oldest event. Returns false when the queue is empty. The caller
 * owns ev->msg's reference. Also frees the transaction whose TERMINATED
 * event the previous call returned.
 */
bool siphon_txn_poll(siphon_txn_layer *l, siphon_txn_event *ev);

/* ---- client transactions (§17.1) --------------------------------------- */

/*
 * Start a client transaction for req: ICT for INVITE, NICT for any other
 * method except ACK (which has no transaction, §17.1: SIPHON_EINVAL). req
 * must carry a top Via with a branch (the TU adds it, §8.1.1.7) and a CSeq.
 * reliable says whether the transport is reliable (no retransmissions,
 * zero wait timers). user is the caller's transport context, given back in
 * every event of this transaction. The layer takes its own reference to
 * req. Queues SEND(req) and starts Timers A/B or E/F. *out (may be NULL)
 * receives the handle. Returns 0, SIPHON_EINVAL (bad request),
 * SIPHON_EDUP (a client transaction with that branch and method exists)
 * or SIPHON_ENOMEM.
 */
int siphon_txn_client_start(siphon_txn_layer *l, siphon_msg *req,
                            bool reliable, void *user, uint64_t now_ms,
                            siphon_txn **out);

/* ---- input from the transport ------------------------------------------ */

/*
 * Hand a message received from the transport to the layer. Responses are
 * matched to client transactions (§17.1.3), requests to server
 * transactions (§17.2.3; ACK to a non-2xx finds its INVITE server
 * transaction, CANCEL gets its own; branches without the z9hG4bK cookie
 * use the RFC 2543 rules). A request that matches nothing creates a server
 * transaction (queues REQUEST); an ACK or response that matches nothing
 * queues STRAY. user is the transport context of a new server transaction
 * (and of STRAY events); reliable is its transport's reliability. The
 * layer takes its own references to msg; the caller keeps its own.
 * Like siphon_txn_respond(), it then fires every timer due at now_ms, as
 * siphon_txn_tick() would: that is how the zero-length Timers D, I, J and
 * K of reliable transports take effect at once. Sent-by comparison
 * (§17.2.3) is host (case-insensitive) and port as written, so "h" and
 * "h:5060" differ, as a retransmission never changes them. Returns 0,
 * SIPHON_EINVAL (no usable Via or CSeq, or a request whose CSeq method is
 * not its method) or SIPHON_ENOMEM.
 */
int siphon_txn_receive(siphon_txn_layer *l, siphon_msg *msg, bool reliable,
                       void *user, uint64_t now_ms);

/* ---- server TU input ---------------------------------------------------- */

/*
 * The server TU sends resp (a response to txn's request) through txn
 * (§17.2.1, §17.2.2). The layer takes its own reference. Queues SEND and
 * moves the state machine: IST 1xx stays in PROCEEDING, 2xx goes to
 * ACCEPTED (Timer L; later 2xx retransmissions from the TU are sent as
 * given), 300-699 to COMPLETED (Timers G/H); NIST 1xx to PROCEEDING,
 * 200-699 to COMPLETED (Timer J). Returns 0, SIPHON_EINVAL (not a
 * response, or a client transaction) or SIPHON_ESTATE (the state takes no
 * such response, e.g. a second final response, or the transaction has
 * terminated).
 */
int siphon_txn_respond(siphon_txn_layer *l, siphon_txn *txn, siphon_msg *resp,
                       uint64_t now_ms);

/*
 * The transport failed to send a message of txn (§17.1.4, §17.2.4). Queues
 * TRANSPORT_ERROR then TERMINATED -- except for an IST in ACCEPTED, which
 * only informs the TU and stays until Timer L (RFC 6026 Figure 7).
 * Returns 0, or SIPHON_ESTATE when txn has already terminated.
 */
int siphon_txn_transport_error(siphon_txn_layer *l, siphon_txn *txn,
                               uint64_t now_ms);

/*
 * The INVITE server transaction a CANCEL request refers to (§9.2: matched
 * like the INVITE itself per §17.2.3), or NULL. No side effects.
 */
siphon_txn *siphon_txn_find_cancelled(siphon_txn_layer *l, siphon_msg *cancel);

/*
 * The server transaction (IST or NIST) that resp, a response the TU made
 * for one of its requests, belongs to: same top Via branch and sent-by
 * and the request's method in CSeq (§17.2.3), or the RFC 2543 key for
 * branches without the cookie. NULL when none is live. No side effects.
 * This lets a TU that keeps only messages (a Tcl script) respond.
 */
siphon_txn *siphon_txn_find_server(siphon_txn_layer *l, siphon_msg *resp);

/* ---- accessors ---------------------------------------------------------- */

siphon_txn_kind siphon_txn_kind_of(const siphon_txn *t);
siphon_txn_state siphon_txn_state_of(const siphon_txn *t);
void *siphon_txn_user(const siphon_txn *t);
/* The request that created the transaction (borrowed: ref it to keep). */
siphon_msg *siphon_txn_request(const siphon_txn *t);
/* The last response the server sent, or the ACK an ICT built; borrowed;
 * NULL if none. */
siphon_msg *siphon_txn_last(const siphon_txn *t);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_TXN_H */
