/*
 * siphon/proxy.h -- a stateful proxy core (RFC 3261 §16), sans-I/O.
 *
 * RFC 3261 §16.3 (request validation), §16.4 (route information
 * preprocessing), §16.5 (the target set, recursion on 3xx), §16.6
 * (forwarding: Request-URI, Max-Forwards, Record-Route, Via with a
 * loop-detection branch, parallel and sequential forking by q-value, Timer
 * C), §16.7 (response processing: the response context, immediate
 * forwarding of 1xx and 2xx, best response selection, 503 -> 500,
 * authentication challenge aggregation), §16.8 (Timer C), §16.9
 * (transport errors), §16.10 (CANCEL) and §16.11 (stateless forwarding of
 * an ACK for a 2xx).
 *
 * Design: the proxy sits *above* a transaction layer that the caller owns
 * and drives (siphon/txn.h), and consumes what comes out of it. It never
 * calls siphon_txn_* itself, so it can be driven -- and tested, and fuzzed
 * -- by plain messages and a virtual clock:
 *
 *   txn event                    the caller calls
 *   REQUEST (server txn t)       siphon_proxy_receive(px, msg, t, ...)
 *   STRAY request (ACK for 2xx)  siphon_proxy_receive(px, msg, NULL, ...)
 *   RESPONSE / STRAY response    siphon_proxy_response(px, msg, now)
 *   TIMEOUT / TRANSPORT_ERROR    siphon_proxy_branch_failed(px,
 *     of a client txn              siphon_txn_request(t), err, now)
 *
 * and what the proxy wants done comes back as events, drained with
 * siphon_proxy_poll():
 *
 *   FORWARD        start a client transaction for ev->msg towards
 *                  ev->next_hop (resolve it per RFC 3263); ev->branch == 0
 *                  means "send as is, no transaction" (§16.11)
 *   RESPOND        send ev->msg through the server transaction ev->server
 *                  (siphon_txn_respond), or statelessly where its top Via
 *                  says (§18.2.2) when ev->server is NULL
 *   CANCEL_BRANCH  start a client transaction for the CANCEL ev->msg
 *                  towards ev->next_hop (§9.1, built by the proxy)
 *   DONE           the response context ev->ctx is finished; it is the
 *                  context's last event
 *
 * A request that arrives with a server transaction either is answered or
 * forwarded at once (validation failure, CANCEL, OPTIONS with
 * Max-Forwards 0) or yields a response context: the caller then reads the
 * preprocessed request (siphon_proxy_ctx_request), decides the targets
 * (location service, routing logic), adds them with
 * siphon_proxy_add_target() and calls siphon_proxy_start() -- or answers
 * with siphon_proxy_reject().
 *
 * Responses are matched to branches by the top Via branch, which the
 * proxy generated; responses to the CANCELs it built are absorbed.
 *
 * Timers: Timer C (§16.6 step 11) per INVITE branch, and a 64*T1 guard
 * on every CANCELled branch (§9.1: a CANCELled transaction that gets no
 * final response is considered finished). The caller sleeps until
 * siphon_proxy_next_deadline() and calls siphon_proxy_tick().
 *
 * Lifetime of a context: the proxy owns it. It lives until its DONE event
 * has been returned by siphon_proxy_poll(); the handle stays valid until
 * the next call to siphon_proxy_poll() (or siphon_proxy_free()).
 */
#ifndef SIPHON_PROXY_H
#define SIPHON_PROXY_H

#include <siphon/base.h>
#include <siphon/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ----------------------------------------------------- */

/* 32 random bits per call: the unique part of branch ids and To tags. */
typedef uint32_t siphon_proxy_rng_fn(void *arg);
/* Whether uri names this proxy (an alias of host:port); optional. */
typedef bool siphon_proxy_is_local_fn(void *arg, const siphon_uri *uri);

typedef struct siphon_proxy_config {
    /* Our address as written in Via sent-by and Record-Route (required). */
    const char *host;
    uint16_t port;              /* 0: none written (5060/5061 implied) */
    const char *transport;      /* Via transport, "UDP" when NULL */
    bool record_route;          /* §16.6 step 4: add <sip:host;lr> */
    bool loop_detect;           /* §16.3 step 4: 482 Loop Detected */
    bool recurse;               /* §16.5: 3xx Contacts become targets */
    bool answer_options;        /* §16.3 step 3: OPTIONS with
                                   Max-Forwards 0 gets our 200 */
    /* Option tags this proxy supports, for Proxy-Require (§16.3 step 5);
     * NULL-terminated, or NULL for none. */
    const char *const *supported;
    uint32_t timer_c_ms;        /* §16.6 step 11, > 3 min (185000) */
    uint32_t t1_ms;             /* T1 for the 64*T1 CANCEL guard (500) */
    size_t max_branches;        /* targets per request (16) */
    size_t max_contexts;        /* live response contexts (4096) */
    siphon_proxy_is_local_fn *is_local;
    void *is_local_arg;
    /* NULL: a fixed-seed generator -- deterministic, for tests only. */
    siphon_proxy_rng_fn *rng;
    void *rng_arg;
} siphon_proxy_config;

#define SIPHON_PROXY_CONFIG_DEFAULT                                            \
    ((siphon_proxy_config){.host = NULL, .port = 0, .transport = NULL,        \
                           .record_route = false, .loop_detect = true,        \
                           .recurse = false, .answer_options = true,          \
                           .supported = NULL, .timer_c_ms = 185000,           \
                           .t1_ms = 500, .max_branches = 16,                  \
                           .max_contexts = 4096})

/* ---- events ------------------------------------------------------------ */

typedef enum siphon_proxy_event_type {
    SIPHON_PROXY_EV_FORWARD = 0,
    SIPHON_PROXY_EV_RESPOND,
    SIPHON_PROXY_EV_CANCEL_BRANCH,
    SIPHON_PROXY_EV_DONE
} siphon_proxy_event_type;

typedef struct siphon_proxy siphon_proxy;
typedef struct siphon_proxy_ctx siphon_proxy_ctx;

typedef struct siphon_proxy_event {
    siphon_proxy_event_type type;
    siphon_proxy_ctx *ctx;  /* NULL for stateless sends */
    void *server;           /* the server transaction given to
                               siphon_proxy_receive(), NULL: stateless */
    uint32_t branch;        /* FORWARD, CANCEL_BRANCH: branch id (>= 1);
                               0 for a stateless FORWARD */
    siphon_msg *msg;        /* one reference, the caller's (unref it);
                               NULL for DONE */
    siphon_str next_hop;    /* FORWARD, CANCEL_BRANCH: the top Route URI
                               or the Request-URI, a view into msg */
    int status;             /* RESPOND: the status; DONE: the final
                               status sent upstream (0: none) */
} siphon_proxy_event;

const char *siphon_proxy_event_name(siphon_proxy_event_type t);

/* ---- the proxy --------------------------------------------------------- */

/*
 * A new proxy. cfg->host is required (SIPHON_EINVAL through NULL); zero
 * numeric fields take their defaults. Returns NULL on a bad config or
 * when malloc fails. The strings of cfg are copied.
 */
siphon_proxy *siphon_proxy_new(const siphon_proxy_config *cfg);
/* Free the proxy, every context and queued event. NULL is fine. */
void siphon_proxy_free(siphon_proxy *px);
/* Live response contexts. */
size_t siphon_proxy_count(const siphon_proxy *px);

/* The earliest timer deadline, or UINT64_MAX when no timer runs. */
uint64_t siphon_proxy_next_deadline(const siphon_proxy *px);
/* Fire every timer due at now_ms. Returns the number fired or
 * SIPHON_ENOMEM. */
int siphon_proxy_tick(siphon_proxy *px, uint64_t now_ms);

/* Take the oldest event; false when none. Also frees the context whose
 * DONE the previous call returned. */
bool siphon_proxy_poll(siphon_proxy *px, siphon_proxy_event *ev);

/* ---- requests ---------------------------------------------------------- */

typedef enum siphon_proxy_disposition {
    SIPHON_PROXY_HANDLED = 0, /* answered, forwarded or dropped: see the
                                 events */
    SIPHON_PROXY_CONTEXT      /* *ctx_out: add targets and start */
} siphon_proxy_disposition;

/*
 * A request arrives. server is the caller's server transaction (opaque,
 * given back in RESPOND and DONE events); NULL means the request came
 * without one (an ACK for a 2xx, a stray request): it is forwarded
 * statelessly when it is an ACK or carries a Route (§16.11), else
 * dropped. verdict is the caller's syntax verdict (§16.3 step 1; NULL:
 * accepted). Runs §16.3 and §16.4. A CANCEL is handled at once (§16.10):
 * 200 and CANCELs down every branch of the INVITE it matches, else 481.
 * Returns SIPHON_PROXY_HANDLED or SIPHON_PROXY_CONTEXT (>= 0), or
 * SIPHON_EINVAL (not a request, no usable Via/CSeq), SIPHON_ETOOBIG
 * (max_contexts reached: answer 503 yourself) or SIPHON_ENOMEM.
 */
int siphon_proxy_receive(siphon_proxy *px, siphon_msg *req, void *server,
                         const siphon_verdict *verdict, uint64_t now_ms,
                         siphon_proxy_ctx **ctx_out);

/* The request after §16.4 preprocessing (borrowed). */
siphon_msg *siphon_proxy_ctx_request(const siphon_proxy_ctx *ctx);
void *siphon_proxy_ctx_server(const siphon_proxy_ctx *ctx);

/*
 * Add a target (§16.5): uri as text (copied), q in thousandths (0..1000;
 * negative: 1000, no q), route an optional Route value (a URI, copied) to
 * push on top for this target only (an outbound proxy), or NULL.
 * Duplicates (RFC 3261 §19.1.4 equality) are ignored. Returns 0,
 * SIPHON_EPARSE (uri), SIPHON_ETOOBIG (max_branches), SIPHON_ESTATE
 * (the context finished) or SIPHON_ENOMEM.
 */
int siphon_proxy_add_target(siphon_proxy *px, siphon_proxy_ctx *ctx,
                            const char *uri, int q, const char *route);

/*
 * Start forwarding (§16.6): the highest-q group of targets in parallel,
 * the next group when that one ends without a 2xx or 6xx. With no target
 * added the Request-URI is the target. Returns 0 or SIPHON_ESTATE.
 */
int siphon_proxy_start(siphon_proxy *px, siphon_proxy_ctx *ctx,
                       uint64_t now_ms);

/* Answer the context's request with status (>= 300) instead of
 * forwarding it (e.g. 404 from the location service). Returns 0 or
 * SIPHON_ESTATE / SIPHON_EINVAL. */
int siphon_proxy_reject(siphon_proxy *px, siphon_proxy_ctx *ctx, int status,
                        uint64_t now_ms);

/* ---- branch results ---------------------------------------------------- */

/*
 * A response from downstream (a client transaction's RESPONSE or a STRAY
 * response). Runs §16.7. Returns 0, SIPHON_ENOENT (not ours: dropped) or
 * SIPHON_ENOMEM.
 */
int siphon_proxy_response(siphon_proxy *px, siphon_msg *resp,
                          uint64_t now_ms);

/*
 * A client transaction ended without a final response: req is its
 * request (siphon_txn_request()). err SIPHON_ETIMEDOUT counts as a 408
 * (§16.7 step 6 / §16.8), anything else as a 503 (§16.9). Returns 0 or
 * SIPHON_ENOENT.
 */
int siphon_proxy_branch_failed(siphon_proxy *px, siphon_msg *req, int err,
                               uint64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_PROXY_H */
