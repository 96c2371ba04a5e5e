/*
 * siphon/ua.h -- the endpoint: the transaction layer bound to real
 * transports (RFC 3261 §18) on an event loop.
 *
 * An endpoint owns listening points (UDP, TCP, TLS, WS, WSS), one
 * transaction layer driven by the loop's clock, and optionally a resolver
 * for RFC 3263. It does what §18 asks of the transport layer and what the
 * core must do around transactions:
 *
 *  - inbound requests get received/rport added to their top Via
 *    (§18.2.1, RFC 3581 §4) before the TU sees them, and responses go
 *    back per §18.2.2: over the connection the request came on when it is
 *    still open, else to received and rport or the sent-by port;
 *  - a malformed datagram never reaches a transaction: it is answered
 *    with 400 when its Via can be read and dropped otherwise;
 *  - a request over 1300 bytes that would go over UDP goes over TCP with
 *    its Via rewritten, and back to UDP if the connection is refused
 *    (§18.1.1);
 *  - requests are routed to the top Route (loose routing) or the
 *    Request-URI (§8.1.2), located with RFC 3263, and fail over to the
 *    next target on a transport error, a timeout or a 503 (RFC 3263 §4.3);
 *  - every message sent or received can be seen by a capture hook (pcap,
 *    HEP, ladders).
 *
 * Threading: one endpoint belongs to its loop's thread.
 */
#ifndef SIPHON_UA_H
#define SIPHON_UA_H

#include <siphon/auth.h>
#include <siphon/base.h>
#include <siphon/capture.h>
#include <siphon/dialog.h>
#include <siphon/msg.h>
#include <siphon/net.h>
#include <siphon/reg.h>
#include <siphon/txn.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct siphon_ua siphon_ua;
/* From net.h (TLS); repeated so this header stands while net.h grows. */
typedef struct siphon_tls_ctx siphon_tls_ctx;
typedef struct siphon_ua_client siphon_ua_client;

/* Transports, as in a Via (RFC 3261 §20.42, RFC 7118 §5.1). The values
 * are those of siphon_resolve_transport. */
typedef siphon_resolve_transport siphon_transport;

/* "UDP", "TCP", "TLS", "WS", "WSS"; "?" for anything else. */
const char *siphon_transport_name(siphon_transport t);
/* Parse a transport name, any case ("udp", "TLS"...). Returns 0 and sets
 * *out, or SIPHON_EINVAL. */
int siphon_transport_parse(siphon_str name, siphon_transport *out);
/* TCP, TLS, WS and WSS are reliable (§17.1.1.1, §17.1.2.1). */
bool siphon_transport_reliable(siphon_transport t);

/* Where a message came from or went to. */
typedef struct siphon_ua_flow {
    siphon_transport transport;
    struct sockaddr_storage local;
    struct sockaddr_storage peer;
} siphon_ua_flow;

typedef enum siphon_ua_dir { SIPHON_UA_RX = 0, SIPHON_UA_TX } siphon_ua_dir;

/*
 * Sees every message the endpoint sends or receives, as bytes, before
 * parsing on receive and after the transport accepted it on send.
 * ts_us is wall-clock Unix time in microseconds (captures need real
 * time, whatever the loop clock is).
 */
typedef void siphon_ua_capture_fn(void *arg, siphon_ua_dir dir,
                                  const siphon_ua_flow *flow,
                                  const char *bytes, size_t len,
                                  uint64_t ts_us);

/* ---- configuration ----------------------------------------------------- */

typedef struct siphon_ua_config {
    siphon_txn_config txn;      /* T1, T2, T4, Timer D, automatic 100 */
    siphon_parse_opts parse;    /* limits and strictness for what arrives */
    /* §18.1.1: requests longer than this that would go over UDP go over
     * TCP (1300 when the path MTU is unknown). 0 disables the switch. */
    size_t udp_max_request;
    /* Deliver every received message to the stray handler as it is,
     * without transactions: no retransmission absorbing, no automatic
     * responses. For tests that look at the peer's retransmissions. */
    bool raw;
    /* Answer malformed requests with 400 (default true). */
    bool reject_malformed;
    /* DNS servers for RFC 3263 ("127.0.0.1:5353"); NULL: resolv.conf. */
    const char *dns_servers;
    /* Keep dialogs (RFC 3261 §12, lib/dialog): see siphon_ua_dialogs(). */
    bool dialogs;
    /* With a policy (borrowed), new requests go through the §8.2 checks
     * and the §8.2.2.2 merged-request check (482) before the TU sees
     * them; refused ones are answered and never reach it. */
    const struct siphon_uas_policy *uas;
    /* Client TLS settings (SNI, verification) for outbound TLS and WSS
     * when no TLS listening point supplies a context; borrowed. NULL: a
     * context with the defaults is made on first use. */
    siphon_tls_ctx *tls_client;
} siphon_ua_config;

void siphon_ua_config_default(siphon_ua_config *cfg);

/* ---- handlers (the TU) ------------------------------------------------- */

typedef struct siphon_ua_handlers {
    /*
     * A new request created server transaction stx, or an ACK for a 2xx
     * arrived (stx NULL: it has no transaction, RFC 6026 §8.7). req has
     * received/rport already. Respond with siphon_ua_respond(); an INVITE
     * gets 100 Trying from the transaction after 200 ms (§17.2.1)
     * meanwhile.
     */
    void (*request)(void *arg, siphon_ua *ua, siphon_txn *stx, siphon_msg *req,
                    const siphon_ua_flow *from);
    /*
     * Responses that belong to no pending request: strays, and 2xx
     * retransmissions after the first (RFC 6026: the TU ACKs them
     * again); in raw mode every message, requests included.
     */
    void (*stray)(void *arg, siphon_ua *ua, siphon_msg *m,
                  const siphon_ua_flow *from);
    /*
     * A server transaction ended without the TU hearing otherwise: Timer
     * H fired (no ACK for a non-2xx, §17.2.1) or a response could not be
     * sent (§17.2.4). err is SIPHON_ETIMEDOUT or SIPHON_EIO. May be NULL.
     */
    void (*server_error)(void *arg, siphon_ua *ua, siphon_txn *stx, int err);
    /*
     * With config.dialogs: a dialog was created, changed state (EARLY ->
     * CONFIRMED), got no ACK for its 2xx (the endpoint sends the BYE), or
     * ended (ev->reason) -- the dialog is valid until this returns for
     * TERMINATED. SEND events are the endpoint's and never come here.
     * May be NULL.
     */
    void (*dialog)(void *arg, siphon_ua *ua, const siphon_dialog_event *ev);
    void *arg;
} siphon_ua_handlers;

/* ---- life cycle -------------------------------------------------------- */

/*
 * A new endpoint on loop. cfg NULL means the defaults; h may be NULL (no
 * TU: requests then get 501 from siphon_ua, and strays are dropped).
 * Transaction timers run on the loop clock, so a virtual loop clock makes
 * Timer B a matter of advancing it. Returns 0 and sets *out, or
 * SIPHON_ENOMEM.
 */
int siphon_ua_new(siphon_loop *loop, const siphon_ua_config *cfg,
                  const siphon_ua_handlers *h, siphon_ua **out);

/*
 * Free the endpoint: transactions end without callbacks, listening
 * points and connections close, pending client callbacks are never
 * called. Not callable from inside the endpoint's callbacks. NULL is
 * allowed.
 */
void siphon_ua_free(siphon_ua *ua);

/* ---- listening points -------------------------------------------------- */

typedef struct siphon_ua_listen_opts {
    siphon_tls_ctx *tls;        /* TLS and WSS: borrowed, must outlive ua */
    const siphon_udp_config *udp;
    const siphon_tcp_config *tcp; /* limits and timeouts for stream kinds */
} siphon_ua_listen_opts;

/*
 * Open a listening point of transport t on addr ("127.0.0.1:5060",
 * "[::1]:0"). A stream listening point also makes the outbound
 * connections of its kind. The first one of each transport is the one
 * requests go out on and whose address is written in Via and sent-by.
 * bound (may be NULL) receives the real address. Returns 0, SIPHON_EINVAL
 * (TLS/WSS without a context, bad transport), SIPHON_EPARSE (addr) or
 * SIPHON_EIO (bind failed; logged).
 */
int siphon_ua_listen(siphon_ua *ua, siphon_transport t, const char *addr,
                     const siphon_ua_listen_opts *o,
                     struct sockaddr_storage *bound);

/* The address of the first listening point of t. Returns 0 or
 * SIPHON_ENOENT. */
int siphon_ua_local(const siphon_ua *ua, siphon_transport t,
                    struct sockaddr_storage *out);

/* ---- capture ----------------------------------------------------------- */

/* Set (or with NULL clear) the capture hook. */
void siphon_ua_set_capture(siphon_ua *ua, siphon_ua_capture_fn *fn, void *arg);

/* Also write every message to w (borrowed; NULL stops). */
void siphon_ua_capture_pcap(siphon_ua *ua, siphon_pcap_writer *w);

/*
 * Also mirror every message as HEPv3 over UDP to collector ("ip:port"),
 * with the given options (copied; NULL: capture id 0, no key, Call-ID
 * correlation). NULL collector stops. Returns 0, SIPHON_EPARSE or
 * SIPHON_EIO.
 */
int siphon_ua_capture_hep(siphon_ua *ua, const char *collector,
                          const siphon_hep_opts *opts);

/* ---- sending ----------------------------------------------------------- */

/* Digest credentials (RFC 3261 §22): a request answered 401 or 407 is
 * sent again with them. */
typedef struct siphon_ua_credentials {
    const char *username;
    const char *password;
    unsigned algo_mask;   /* 1 << siphon_auth_algo; 0: all (auth.h) */
    bool first_only;      /* answer only the first challenge (an old UA) */
} siphon_ua_credentials;

/* Where a message goes when not derived from the message itself, and
 * how it is sent. */
typedef struct siphon_ua_dest {
    siphon_transport transport;  /* 0: UDP, or the URI's */
    const char *addr;            /* numeric "ip:port"; NULL: from the URI */
    const char *server_name;     /* TLS SNI and the name the certificate
                                    must match; NULL: the URI host when it
                                    is a name, else the address */
    /* NULL: a 401/407 goes to the TU like any final response. Copied. */
    const siphon_ua_credentials *credentials;
} siphon_ua_dest;

/*
 * Send bytes as they are, without a transaction or any rewriting, to
 * dest (addr required). Returns 0 or a negative code from the transport
 * (SIPHON_EIO, SIPHON_ETOOBIG...). For tests that must send malformed or
 * hand-made messages.
 */
int siphon_ua_send_raw(siphon_ua *ua, const siphon_ua_dest *dest,
                       const void *bytes, size_t len);

/*
 * A client transaction's outcome, called once per response and once
 * more at the end: resp is a response (final tells whether it is final),
 * or NULL with err SIPHON_ETIMEDOUT (Timer B/F), SIPHON_ETLS (the TLS
 * handshake or the certificate check failed), SIPHON_EIO (any other
 * transport error, §17.1.4: a refused or reset connection, a failed
 * WebSocket upgrade -- the log says which), SIPHON_ENOENT / SIPHON_EIO /
 * SIPHON_ETIMEDOUT from DNS when no target was found -- then final is
 * true. After a final call the handle is gone. resp is
 * borrowed (ref it to keep).
 */
typedef void siphon_ua_response_fn(void *arg, siphon_ua_client *c,
                                   siphon_msg *resp, int err, bool final);

/*
 * Send req through a client transaction (§17.1). With credentials, a 401
 * or 407 is answered (§22.2, §22.3): the request goes again with CSeq
 * plus one, a new branch and one Authorization / Proxy-Authorization per
 * realm, and again after a stale=true challenge; a challenge the
 * credentials already failed goes to the TU as the final response. The
 * TU does not see the challenges it did not need to. Without a Via the
 * endpoint adds "Via: SIP/2.0/<transport> <listening address>;branch=
 * z9hG4bK<random>;rport" once the transport is known; with one, req goes
 * as written (and no failover to another target is possible, as that
 * needs a new branch). The destination is dest's address, else the top
 * Route with ;lr, else the Request-URI, located per RFC 3263. An ACK is
 * sent without a transaction (cb is not called). The endpoint takes its
 * own reference to req. Returns 0 and sets *out (may be NULL), or
 * SIPHON_EINVAL / SIPHON_ENOMEM / SIPHON_EIO.
 */
int siphon_ua_request(siphon_ua *ua, siphon_msg *req,
                      const siphon_ua_dest *dest, siphon_ua_response_fn *cb,
                      void *arg, siphon_ua_client **out);

/*
 * Cancel the INVITE of client handle inv (§9.1): a CANCEL with the
 * INVITE's Request-URI, Call-ID, From, To, CSeq number, top Via and
 * Route set goes through its own non-INVITE client transaction to the
 * INVITE's current target; cb hears the CANCEL's response (the INVITE's
 * 487 still comes to inv's callback). §9.1 says a CANCEL SHOULD wait for
 * a provisional response; a test tool may send it earlier on purpose, so
 * that is left to the caller. Returns 0 and sets *out (may be NULL),
 * SIPHON_ESTATE (inv is no INVITE in progress) or SIPHON_ENOMEM.
 */
int siphon_ua_cancel(siphon_ua_client *inv, siphon_ua_response_fn *cb,
                     void *arg, siphon_ua_client **out);

/* The request as it was sent (with the endpoint's Via), borrowed; NULL
 * until it was sent. */
siphon_msg *siphon_ua_client_request(const siphon_ua_client *c);

/* Never call c's callback again; the transaction itself runs on. */
void siphon_ua_client_forget(siphon_ua_client *c);

/*
 * Send resp through its server transaction: stx when not NULL, else the
 * one resp belongs to (siphon_txn_find_server). The destination follows
 * §18.2.2 from the request's flow and top Via. Returns 0, SIPHON_ENOENT
 * (no such transaction: it ended, or the response matches none),
 * SIPHON_ESTATE (the transaction takes no such response) or SIPHON_EINVAL.
 * In raw mode there are no transactions: the response is sent statelessly
 * per §18.2.2 from its own top Via, over the first listening point of the
 * Via's transport.
 */
int siphon_ua_respond(siphon_ua *ua, siphon_txn *stx, siphon_msg *resp);

/* ---- UAS checks (RFC 3261 §8.2) ---------------------------------------- */

/* What a UAS serves; NULL-terminated lists, matched without case. */
typedef struct siphon_uas_policy {
    const char *const *methods;       /* §8.2.1: what Allow lists */
    const char *const *extensions;    /* §8.2.2.3: option tags supported */
    const char *const *schemes;       /* §8.2.2.1: Request-URI schemes */
    const char *const *content_types; /* §8.2.3: "type/subtype" */
    const char *const *encodings;     /* §8.2.3 */
    const char *const *languages;     /* §8.2.3 */
    /* The body types this UAS answers INVITE and OPTIONS with (an SDP
     * answer, capabilities): a request whose Accept allows none of them
     * gets 406 (§21.4.7). NULL or empty: never 406. */
    const char *const *sends;
} siphon_uas_policy;

/* Defaults: INVITE ACK CANCEL BYE OPTIONS INFO MESSAGE UPDATE; no
 * extensions; sip, sips, tel; application/sdp, text/plain,
 * message/sipfrag; identity; en; sends application/sdp. The lists are
 * static. */
void siphon_uas_policy_default(siphon_uas_policy *p);

/*
 * Run the §8.2 checks on req in the RFC's order (method, URI scheme,
 * Require, body, then what the answer's body may be) and return the
 * refusal to send -- 501, 405 with Allow, 416, 420 with Unsupported, 415
 * with Accept / Accept-Encoding / Accept-Language, 406 -- with one
 * reference, or NULL when req passes. ACK
 * and CANCEL always pass. The 400/505 of malformed requests come before
 * (the endpoint's verdict), 482 for merged requests needs the live
 * transactions (siphon_ua_config.uas does both).
 */
siphon_msg *siphon_uas_check(const siphon_uas_policy *p, siphon_msg *req);

/* ---- registrar (RFC 3261 §10.3) ----------------------------------------- */


/*
 * The endpoint as a registrar: with reg set, every REGISTER that passes
 * the transaction layer (and the §8.2 checks, when on) is answered here
 * and never reaches the TU. With auth set, it is first authenticated
 * (§10.3 step 3, §22): 401 with one challenge per configured algorithm
 * until the credentials check out (stale=true for an aged nonce), 400 for
 * a malformed answer. lookup finds a user's password or HA1 (auth.h's
 * siphon_auth_users_lookup serves a users file). Everything is borrowed.
 */
typedef struct siphon_ua_registrar {
    siphon_reg *reg;
    siphon_auth_server *auth;
    siphon_auth_lookup_fn *lookup;
    void *lookup_arg;
} siphon_ua_registrar;

/* Start (or with NULL stop) answering REGISTER. */
void siphon_ua_set_registrar(siphon_ua *ua, const siphon_ua_registrar *r);

/* ---- dialogs (RFC 3261 §12-§15) ----------------------------------------- */

/*
 * The endpoint's dialog set (NULL unless config.dialogs). With it on, the
 * endpoint feeds every response to INVITE and in-dialog requests to it,
 * answers requests of no dialog with 481 and out-of-order ones with 500
 * (§12.2.2), re-sends the stored ACK for retransmitted 2xx (§13.2.2.4),
 * makes UAS dialogs from the TU's responses to INVITE and retransmits
 * their 2xx until the ACK, sending a BYE after 64*T1 (§13.3.1.4).
 * Look dialogs up with siphon_dialog_find(); do not free it.
 */
siphon_dialog_set *siphon_ua_dialogs(siphon_ua *ua);

/*
 * Build a request within d (§12.2.1.1: Route set, remote target, CSeq+1;
 * an ACK takes the INVITE's CSeq and is kept for re-sending) and send it
 * through the endpoint (a client transaction, none for an ACK), to the
 * next hop the route set names. A BYE ends the dialog. Returns what
 * siphon_dialog_request() or siphon_ua_request() return.
 */
int siphon_ua_dialog_request(siphon_ua *ua, siphon_dialog *d,
                             siphon_str method, siphon_str content_type,
                             siphon_str body,
                             const siphon_ua_credentials *credentials,
                             siphon_ua_response_fn *cb, void *arg,
                             siphon_ua_client **out);

/* ---- registration client (RFC 3261 §10.2) ------------------------------ */

/*
 * A registration: one Contact of ours bound to an address-of-record at a
 * registrar, and kept bound. Every REGISTER of a registration has the
 * same Call-ID and From tag and a higher CSeq (§10.2; a digest retry's
 * CSeq+1 counts), To = From = the AOR, and our Contact with an expires
 * parameter (§10.2.1.1).
 *
 * The granted interval is read from the 200 (§10.2.4): the expires of
 * the Contact equal to ours (§19.1.4), else the Expires header, else what
 * was asked. The refresh goes out when 90% of the granted interval has
 * passed, but at least 32 s (Timer F) before the binding expires, and
 * never before half of it: 3600 s refreshes after 3240 s, 120 s after
 * 88 s, 60 s after 30 s. A 423 is answered once per REGISTER with the
 * Min-Expires value (§10.2.8), which is kept for later refreshes. Any
 * other failure (a final response other than 2xx -- 401/407 included
 * when the credentials did not do -- a timeout, a transport or DNS
 * error) is reported and the REGISTER tried again after retry_s seconds,
 * doubling with each failure in a row up to retry_max_s, or after the
 * response's Retry-After when it has one. All timing is on the loop
 * clock, so a virtual clock runs an hour of refreshes in microseconds.
 *
 * The registration belongs to its endpoint's loop thread and must be
 * freed before the endpoint.
 */
typedef struct siphon_ua_reg siphon_ua_reg;

typedef enum siphon_ua_reg_state {
    SIPHON_UA_REG_IDLE = 0,      /* not started, or stopped */
    SIPHON_UA_REG_REGISTERING,   /* REGISTER in flight, not bound yet */
    SIPHON_UA_REG_REGISTERED,    /* bound; refreshed before expiry */
    SIPHON_UA_REG_RETRY_WAIT,    /* the last REGISTER failed; retry armed */
    SIPHON_UA_REG_UNREGISTERING, /* expires=0 in flight */
    SIPHON_UA_REG_UNREGISTERED   /* unregister answered (or failed): done */
} siphon_ua_reg_state;

/* "idle", "registering", "registered", "retry-wait", "unregistering",
 * "unregistered". */
const char *siphon_ua_reg_state_name(siphon_ua_reg_state s);

/* What the callback hears after every REGISTER that ended. */
typedef struct siphon_ua_reg_event {
    siphon_ua_reg_state state;  /* the state after this outcome */
    bool unregister;            /* the outcome of siphon_ua_reg_unregister */
    bool refresh;               /* the REGISTER was a refresh or a retry */
    int status;                 /* final status; 0 when err is set */
    int err;                    /* 0, or SIPHON_ETIMEDOUT / SIPHON_EIO /
                                   SIPHON_ETLS / SIPHON_ENOENT (DNS) / the
                                   code siphon_ua_request returned */
    siphon_msg *resp;           /* the final response (borrowed), or NULL */
    uint32_t expires;           /* granted seconds (2xx, not unregister) */
    uint64_t retry_at;          /* RETRY_WAIT: when (loop clock, ms) */
} siphon_ua_reg_event;

/* May call siphon_ua_reg_stop(), _unregister() and _free() on r. */
typedef void siphon_ua_reg_fn(void *arg, siphon_ua_reg *r,
                              const siphon_ua_reg_event *ev);

typedef struct siphon_ua_reg_config {
    const char *aor;            /* To and From ("sip:alice@example.com");
                                   required, a SIP or SIPS URI */
    const char *registrar;      /* Request-URI; NULL: the AOR without its
                                   user part (§10.2: "sip:example.com") */
    const char *contact;        /* Contact URI; NULL: sip:USER@<first
                                   listening address of the transport>,
                                   ;transport=tcp/ws/wss or sips: for TLS */
    const char *display;        /* display name in To/From; NULL: none */
    uint32_t expires;           /* seconds asked for (0: 3600) */
    uint32_t retry_s;           /* first retry after a failure (0: 30) */
    uint32_t retry_max_s;       /* longest retry interval (0: 1800) */
    /* Where the REGISTERs go (addr NULL: the registrar URI located per
     * RFC 3263) and the digest credentials; everything copied. */
    siphon_ua_dest dest;
    siphon_ua_reg_fn *cb;       /* may be NULL */
    void *arg;
} siphon_ua_reg_config;

/*
 * A new idle registration on ua; nothing is sent until
 * siphon_ua_reg_start(). The strings of cfg are copied. Returns 0 and
 * sets *out, SIPHON_EINVAL (no AOR, an AOR or registrar that is not a
 * SIP/SIPS URI, a contact that does not parse, no listening point for
 * the default contact) or SIPHON_ENOMEM.
 */
int siphon_ua_reg_new(siphon_ua *ua, const siphon_ua_reg_config *cfg,
                      siphon_ua_reg **out);

/*
 * Send the REGISTER now (from IDLE, RETRY_WAIT or UNREGISTERED: a new
 * binding with the same Call-ID; while bound: an early refresh). Returns
 * 0, SIPHON_ESTATE (a REGISTER is in flight) or what siphon_ua_request()
 * returned (then nothing was sent and the state is unchanged).
 */
int siphon_ua_reg_start(siphon_ua_reg *r);

/*
 * Remove our binding (§10.2.2: our Contact with expires=0) and stop
 * refreshing; the callback hears the outcome with unregister set and
 * state UNREGISTERED. A REGISTER in flight is waited for first. Returns
 * 0, or SIPHON_ESTATE when idle or already unregistering (nothing to do)
 * or what siphon_ua_request() returned.
 */
int siphon_ua_reg_unregister(siphon_ua_reg *r);

/*
 * Stop without unregistering (the binding lapses at its expiry): no more
 * REGISTERs, timers cancelled, a REGISTER in flight forgotten, no more
 * callbacks until the next start. State IDLE.
 */
void siphon_ua_reg_stop(siphon_ua_reg *r);

/* Stop and free. Callable from the callback. NULL is allowed. */
void siphon_ua_reg_free(siphon_ua_reg *r);

typedef struct siphon_ua_reg_info {
    siphon_ua_reg_state state;
    int last_status;            /* status of the last final response, 0 */
    int last_err;               /* the last error, 0 */
    uint32_t expires;           /* seconds asked for next (after any 423) */
    uint32_t granted;           /* seconds granted by the last 2xx */
    uint64_t expires_at;        /* loop clock (ms) when the binding lapses;
                                   0 when not bound */
    uint64_t refresh_at;        /* next REGISTER (refresh or retry); 0 none */
    uint32_t cseq;              /* the last CSeq used */
    unsigned registrations;     /* 2xx to a REGISTER so far */
    unsigned failures;          /* failed REGISTERs in a row */
    const char *aor, *registrar, *contact, *call_id; /* owned by r */
} siphon_ua_reg_info;

void siphon_ua_reg_get_info(const siphon_ua_reg *r, siphon_ua_reg_info *out);

/* ---- statistics -------------------------------------------------------- */

typedef struct siphon_ua_stats {
    uint64_t rx_messages, tx_messages;
    uint64_t rx_malformed;       /* failed to parse or judged bad */
    uint64_t rejected_400;       /* of those, answered with 400 */
    uint64_t tcp_switches;       /* §18.1.1 UDP -> TCP for size */
    uint64_t failovers;          /* RFC 3263 §4.3 next target */
    uint64_t transport_errors;
} siphon_ua_stats;

void siphon_ua_get_stats(const siphon_ua *ua, siphon_ua_stats *out);

/* The endpoint's transaction layer and loop (borrowed). */
siphon_txn_layer *siphon_ua_txn_layer(siphon_ua *ua);
siphon_loop *siphon_ua_loop(siphon_ua *ua);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_UA_H */
