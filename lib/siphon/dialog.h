/*
 * siphon/dialog.h -- the RFC 3261 dialog layer, sans-I/O.
 *
 * RFC 3261 §12 (dialogs: creation §12.1, requests within a dialog §12.2,
 * termination §12.3), §13.2.2.4 (the UAC's 2xx and its ACK, forking),
 * §13.3.1.4 (the UAS retransmits its 2xx until the ACK comes), §14
 * (re-INVITE, target refresh) and §15 (BYE).
 *
 * A siphon_dialog_set owns every dialog and matches messages to them by
 * dialog ID (Call-ID, local tag, remote tag). It sits above the
 * transaction layer (siphon/txn.h) and beside it: the caller runs the
 * transactions, and tells the set about the requests and responses that
 * pass, in both directions. The set reads no clock and touches no socket:
 * every entry point takes the current time (now_ms) from the caller, and
 * tags, Call-IDs and local CSeq starts come from an injected RNG. What the
 * set wants done -- send a 2xx again, send an ACK again, send the BYE of
 * a 2xx never acknowledged -- is queued as an event that the caller
 * drains with siphon_dialog_poll() after each call, as with lib/txn.
 *
 * Flows (the caller's side):
 *   UAC  send INVITE; every response to it goes to
 *        siphon_dialog_receive_response(set, invite, resp): a 1xx with a
 *        To tag creates an EARLY dialog, a 2xx a CONFIRMED one (or
 *        confirms the early one of that tag), a 300-699 ends the early
 *        ones. Build the ACK with siphon_dialog_request(d, "ACK"); later
 *        2xx retransmissions are answered from the stored ACK by the set.
 *        When the INVITE client transaction ends, call
 *        siphon_dialog_uac_invite_ended(): early dialogs of other forks
 *        that never got their 2xx end then (§13.2.2.4).
 *   UAS  an INVITE without To tag arrives; answer it, and give each
 *        response with a To tag to siphon_dialog_uas_respond(set, inv,
 *        resp): 101-199 create an EARLY dialog, 2xx a CONFIRMED one and
 *        start the 2xx retransmissions (§13.3.1.4), 300-699 end it.
 *   Both every request with a To tag goes to
 *        siphon_dialog_receive_request() (§12.2.2: 481, 500, target
 *        refresh, BYE), every response to a request sent within a dialog
 *        to siphon_dialog_receive_response() (§12.2.1.2: 481/408 end the
 *        dialog, a 2xx to a target refresh updates the remote target);
 *        requests within a dialog come from siphon_dialog_request().
 *
 * Lifetime of a dialog: the set owns it. It lives until the
 * SIPHON_DIALOG_EV_TERMINATED event for it has been returned by
 * siphon_dialog_poll(); the handle stays valid until the next call to
 * siphon_dialog_poll() (or siphon_dialog_set_free()), which frees it. A
 * terminated dialog no longer matches anything. TERMINATED is always the
 * last event of a dialog.
 */
#ifndef SIPHON_DIALOG_H
#define SIPHON_DIALOG_H

#include <siphon/base.h>
#include <siphon/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ----------------------------------------------------- */

/*
 * The source of randomness: 32 random bits per call. Tags need at least
 * 32 random bits (RFC 3261 §19.3) and Call-IDs must be globally unique
 * (§8.1.1.4), so give a cryptographic source on the network.
 */
typedef uint32_t siphon_dialog_rng_fn(void *arg);

typedef struct siphon_dialog_config {
    uint32_t t1_ms;      /* RFC 3261 §17.1.1.1 T1 (500): first 2xx retransmit */
    uint32_t t2_ms;      /* cap of the 2xx retransmit interval (4000) */
    size_t max_dialogs;  /* dialogs alive at once (4096); more: ETOOBIG */
    size_t max_routes;   /* Record-Route entries kept (32); more: ETOOBIG */
    /* NULL: a fixed-seed generator -- deterministic, for tests only. */
    siphon_dialog_rng_fn *rng;
    void *rng_arg;
} siphon_dialog_config;

#define SIPHON_DIALOG_CONFIG_DEFAULT                                           \
    ((siphon_dialog_config){.t1_ms = 500, .t2_ms = 4000, .max_dialogs = 4096,  \
                            .max_routes = 32, .rng = NULL, .rng_arg = NULL})

/* ---- states, roles, reasons -------------------------------------------- */

typedef enum siphon_dialog_state {
    SIPHON_DIALOG_EARLY = 0,   /* created by a 1xx with a To tag (§12.1) */
    SIPHON_DIALOG_CONFIRMED,   /* created or confirmed by a 2xx */
    SIPHON_DIALOG_TERMINATED   /* §12.3, §15 */
} siphon_dialog_state;

typedef enum siphon_dialog_role {
    SIPHON_DIALOG_UAC = 0,     /* we sent the request that created it */
    SIPHON_DIALOG_UAS          /* we answered it */
} siphon_dialog_role;

typedef enum siphon_dialog_reason {
    SIPHON_DIALOG_REASON_NONE = 0,
    SIPHON_DIALOG_REASON_BYE_SENT,      /* we built a BYE (§15.1.1) */
    SIPHON_DIALOG_REASON_BYE_RECEIVED,  /* the peer sent BYE (§15.1.2) */
    SIPHON_DIALOG_REASON_REJECTED,      /* early: 300-699 to the INVITE
                                           (§12.3, §13.2.2.3) */
    SIPHON_DIALOG_REASON_UNCONFIRMED,   /* early: the INVITE ended without
                                           a 2xx for it (§13.2.2.4) */
    SIPHON_DIALOG_REASON_NO_ACK,        /* 64*T1 without ACK; BYE sent
                                           (§13.3.1.4) */
    SIPHON_DIALOG_REASON_TIMEOUT,       /* 408, or a client transaction
                                           timeout (§12.2.1.2) */
    SIPHON_DIALOG_REASON_GONE,          /* 481 (§12.2.1.2) */
    SIPHON_DIALOG_REASON_LOCAL          /* siphon_dialog_terminate() */
} siphon_dialog_reason;

/* Names for logs and tests ("EARLY", "UAC", "BYE_SENT"); never NULL. */
const char *siphon_dialog_state_name(siphon_dialog_state s);
const char *siphon_dialog_role_name(siphon_dialog_role r);
const char *siphon_dialog_reason_name(siphon_dialog_reason r);

/* ---- events ------------------------------------------------------------ */

typedef enum siphon_dialog_event_type {
    /* Transmit ev->msg. A request (an ACK again, the no-ACK BYE) goes to
     * ev->next_hop (RFC 3261 §8.1.2, §12.2.1.1; resolve it per RFC 3263;
     * the caller adds the Via, and runs a client transaction for a BYE);
     * a response (a 2xx retransmission) goes where its Via says
     * (§18.2.2), next_hop empty. */
    SIPHON_DIALOG_EV_SEND = 0,
    /* ev->dialog was created, in state ev->state. */
    SIPHON_DIALOG_EV_CREATED,
    /* ev->dialog moved from ev->prev to ev->state (EARLY -> CONFIRMED). */
    SIPHON_DIALOG_EV_STATE,
    /* §13.3.1.4: no ACK came for our 2xx within 64*T1. A SEND of the BYE
     * and the TERMINATED event follow. */
    SIPHON_DIALOG_EV_NO_ACK,
    /* The last event of ev->dialog, with ev->reason; see the lifetime
     * rule at the top. */
    SIPHON_DIALOG_EV_TERMINATED
} siphon_dialog_event_type;

typedef struct siphon_dialog siphon_dialog;
typedef struct siphon_dialog_set siphon_dialog_set;

typedef struct siphon_dialog_event {
    siphon_dialog_event_type type;
    siphon_dialog *dialog;
    siphon_msg *msg;          /* SEND: one reference, the caller's (unref
                                 it); NULL otherwise */
    siphon_str next_hop;      /* SEND of a request: a view into msg */
    siphon_dialog_state state, prev;
    siphon_dialog_reason reason; /* TERMINATED */
    void *user;               /* the dialog's user pointer */
} siphon_dialog_event;

const char *siphon_dialog_event_name(siphon_dialog_event_type t);

/* ---- the set ----------------------------------------------------------- */

/*
 * A new, empty set. cfg may be NULL for SIPHON_DIALOG_CONFIG_DEFAULT; zero
 * fields take their defaults. Returns NULL when malloc fails. Free it with
 * siphon_dialog_set_free().
 */
siphon_dialog_set *siphon_dialog_set_new(const siphon_dialog_config *cfg);

/* Free the set, every dialog and queued event (dropping their message
 * references). Handles become invalid. NULL is fine. */
void siphon_dialog_set_free(siphon_dialog_set *s);

/* Dialogs not yet terminated. */
size_t siphon_dialog_count(const siphon_dialog_set *s);

/* The earliest timer deadline (a 2xx retransmission or its 64*T1 end),
 * or UINT64_MAX when no timer runs. */
uint64_t siphon_dialog_next_deadline(const siphon_dialog_set *s);

/* Fire every timer due at now_ms, earliest first. Returns the number
 * fired, SIPHON_EINVAL (s NULL) or SIPHON_ENOMEM. */
int siphon_dialog_tick(siphon_dialog_set *s, uint64_t now_ms);

/*
 * Take the oldest event; false when there is none. The caller owns
 * ev->msg's reference. Also frees the dialog whose TERMINATED event the
 * previous call returned.
 */
bool siphon_dialog_poll(siphon_dialog_set *s, siphon_dialog_event *ev);

/* What the RNG gives, formatted for the wire. */
typedef enum siphon_dialog_token {
    SIPHON_DIALOG_TOKEN_TAG = 0, /* 16 hex digits (64 bits, §19.3) */
    SIPHON_DIALOG_TOKEN_CALL_ID, /* 32 hex digits (128 bits, §8.1.1.4) */
    SIPHON_DIALOG_TOKEN_BRANCH   /* "z9hG4bK" + 16 hex digits (§8.1.1.7) */
} siphon_dialog_token;

/* Write a NUL-terminated token into buf. Returns its length, or
 * SIPHON_EINVAL (unknown kind) / SIPHON_ETOOBIG (cap too small). */
int siphon_dialog_new_token(siphon_dialog_set *s, siphon_dialog_token kind,
                            char *buf, size_t cap);

/* ---- what an input was ------------------------------------------------- */

typedef enum siphon_dialog_match {
    /* Not the dialog layer's business: a request without To tag, a
     * CANCEL, a response that belongs to no dialog and creates none. */
    SIPHON_DIALOG_NONE = 0,
    /* Belongs to *out (which may have just been created, changed state
     * or ended): hand it to the TU. */
    SIPHON_DIALOG_MATCHED,
    /* A 2xx retransmission for an INVITE already acknowledged: the set
     * queued the stored ACK again (§13.2.2.4). Nothing for the TU. */
    SIPHON_DIALOG_RETRANSMISSION,
    /* A request refused: *resp holds the response to send through the
     * request's server transaction (481, §12.2.2; 500 for a CSeq out of
     * order, §12.2.2). *out is the dialog for a 500, NULL for a 481. */
    SIPHON_DIALOG_REJECT
} siphon_dialog_match;

/* ---- input ------------------------------------------------------------- */

/*
 * A response to a request we sent: req is that request (from the client
 * transaction), or NULL when it is not at hand (a 2xx retransmitted after
 * the INVITE client transaction ended, a STRAY event of lib/txn); without
 * req no dialog is created. Per RFC 3261:
 *   - to an INVITE without To tag (dialog-creating): a 101-199 with a To
 *     tag creates an EARLY dialog (§12.1.2: route set = Record-Route
 *     reversed, remote target = Contact, local CSeq = the INVITE's,
 *     remote CSeq empty, secure for a sips Request-URI); a 2xx confirms
 *     the dialog of its To tag, recomputing the route set and the remote
 *     target from it (§13.2.2.4), or creates a CONFIRMED one -- each fork
 *     its own; a 300-699 ends every early dialog of that INVITE (§12.3);
 *   - a 2xx to an INVITE we already acknowledged: the stored ACK is
 *     queued again (RETRANSMISSION);
 *   - within a dialog: 481 and 408 end it (§12.2.1.2); a 2xx to a target
 *     refresh (INVITE, UPDATE) replaces the remote target with its
 *     Contact; the route set never changes once CONFIRMED.
 * *out (may be NULL) receives the dialog. Returns a siphon_dialog_match
 * (>= 0; NONE also for a 100 and for a response without From tag, which
 * no dialog of ours can have), SIPHON_EINVAL (resp is no response, or
 * lacks Call-ID, From, To or CSeq), SIPHON_EPARSE (a Contact or Record-Route URI that does not
 * parse), SIPHON_ETOOBIG (max_dialogs or max_routes reached) or
 * SIPHON_ENOMEM. On an error the set is unchanged.
 */
int siphon_dialog_receive_response(siphon_dialog_set *s, siphon_msg *req,
                                   siphon_msg *resp, uint64_t now_ms,
                                   siphon_dialog **out);

/*
 * A request received (after the transaction layer, i.e. once per server
 * transaction; ACKs for 2xx as lib/txn hands them up). Without a To tag,
 * or a CANCEL: NONE. With one (§12.2.2), matched by Call-ID, To tag
 * (local) and From tag (remote):
 *   - no dialog: REJECT with *resp a 481 -- except an ACK: NONE, drop it;
 *   - an ACK with the CSeq of our 2xx stops its retransmissions;
 *   - a CSeq lower than the remote CSeq: REJECT with a 500;
 *   - an INVITE while our INVITE in this dialog awaits its final
 *     response: REJECT with a 491; a second INVITE before our final
 *     response to the first: REJECT with a 500 and a Retry-After of 0 to
 *     10 s (§14.2; the remote CSeq still moves);
 *   - otherwise the remote CSeq becomes the request's; INVITE and UPDATE
 *     replace the remote target with their Contact (§12.2.2); BYE ends
 *     the dialog (§15.1.2; the caller answers 200, and 487 to a pending
 *     INVITE). MATCHED.
 * *out and *resp (may be NULL when the caller only wants the verdict;
 * *resp then is not built) receive the dialog and a response with one
 * reference. Returns a siphon_dialog_match, SIPHON_EINVAL (not a request,
 * or no Call-ID, From, To or CSeq), SIPHON_EPARSE (the Contact of a target
 * refresh does not parse: nothing changed, answer 400) or SIPHON_ENOMEM.
 * With lib/txn, pass REQUEST and ACK events, and STRAY requests: an ACK
 * for a 2xx has a branch of its own and usually matches no transaction.
 */
int siphon_dialog_receive_request(siphon_dialog_set *s, siphon_msg *req,
                                  uint64_t now_ms, siphon_dialog **out,
                                  siphon_msg **resp);

/*
 * A response we send to req (the server TU's side). To an INVITE without
 * To tag: a 101-199 with a To tag creates an EARLY dialog (§12.1.1:
 * route set = the request's Record-Route as received, remote target = its
 * Contact, remote CSeq = its CSeq, local CSeq empty), a 2xx confirms that
 * dialog or creates a CONFIRMED one, a 300-699 ends the early dialog.
 * Our Contact in resp becomes the local target. Any 2xx to an INVITE
 * (initial or re-INVITE) is retransmitted from then on at T1, 2*T1, ...
 * capped at T2 until its ACK arrives; after 64*T1 NO_ACK, a BYE and
 * TERMINATED follow (§13.3.1.4). The caller sends resp itself the first
 * time (through lib/txn; the retransmissions go through the INVITE
 * server transaction while it is ACCEPTED, RFC 6026, else straight to
 * the transport). Returns a siphon_dialog_match (NONE for responses of no
 * dialog, 100 or tagless), SIPHON_EINVAL (resp is no response to req:
 * Call-ID or CSeq number differ), SIPHON_EPARSE (a Contact or
 * Record-Route URI of the request that does not parse), SIPHON_ETOOBIG
 * (max_dialogs or max_routes) or SIPHON_ENOMEM.
 */
int siphon_dialog_uas_respond(siphon_dialog_set *s, siphon_msg *req,
                              siphon_msg *resp, uint64_t now_ms,
                              siphon_dialog **out);

/*
 * The client transaction of our dialog-creating INVITE ended (lib/txn's
 * TERMINATED for the ICT): every early dialog it created that no 2xx
 * confirmed ends (UNCONFIRMED), as no 2xx can come for it any more
 * (§13.2.2.4). Returns the number ended, or SIPHON_EINVAL.
 */
int siphon_dialog_uac_invite_ended(siphon_dialog_set *s, siphon_msg *invite,
                                   uint64_t now_ms);

/*
 * End a dialog now: reason LOCAL (the TU gives up), TIMEOUT (a client
 * transaction within it timed out, which §12.2.1.2 treats as a 408) or
 * any other. Queues TERMINATED. Returns 0, SIPHON_EINVAL or SIPHON_ESTATE
 * (already terminated).
 */
int siphon_dialog_terminate(siphon_dialog_set *s, siphon_dialog *d,
                            siphon_dialog_reason reason, uint64_t now_ms);

/* ---- requests within a dialog ------------------------------------------ */

/*
 * Build a request within d (RFC 3261 §12.2.1.1): To = remote URI and
 * tag, From = local URI and tag, Call-ID, CSeq = local CSeq + 1 (chosen
 * from the RNG when empty, as a UAS's is), Max-Forwards 70, Route = the
 * route set, Request-URI = the remote target -- or, when the first route
 * has no ;lr (a strict router), that route, with the remote target last
 * in Route. Target refresh methods (INVITE, UPDATE, SUBSCRIBE, NOTIFY,
 * REFER) carry our Contact. No Via: the caller (lib/ua) adds it with a
 * new branch.
 *   ACK takes the CSeq number of our last INVITE (§13.2.2.4) and is
 *   stored: later 2xx retransmissions get it again. CANCEL is refused
 *   (not a request within a dialog: it copies the INVITE, §9.1).
 *   BYE ends the dialog (BYE_SENT, §15.1.1): TERMINATED is queued.
 * method is the method name (extensions allowed); body may be empty;
 * content_type applies when body is not. *out receives the request (one
 * reference); *next_hop (may be NULL) a view into it of the URI to send
 * to (§8.1.2: the first Route, or the Request-URI for a strict router or
 * an empty route set). Returns 0, SIPHON_EINVAL (CANCEL, a method or body
 * type that does not make a valid message), SIPHON_ESTATE (d ended; ACK
 * before a 2xx to our last INVITE; BYE from the UAS of an early dialog or before the
 * ACK of its 2xx, §15), SIPHON_ERANGE (the local CSeq would pass 2^31-1,
 * §8.1.1.5) or SIPHON_ENOMEM.
 */
int siphon_dialog_request(siphon_dialog_set *s, siphon_dialog *d,
                          siphon_str method, siphon_str content_type,
                          siphon_str body, uint64_t now_ms, siphon_msg **out,
                          siphon_str *next_hop);

/* ---- accessors ---------------------------------------------------------- */

siphon_dialog_state siphon_dialog_state_of(const siphon_dialog *d);
siphon_dialog_role siphon_dialog_role_of(const siphon_dialog *d);
siphon_dialog_reason siphon_dialog_reason_of(const siphon_dialog *d);
/* The dialog ID (§12): views owned by the dialog. */
siphon_str siphon_dialog_call_id(const siphon_dialog *d);
siphon_str siphon_dialog_local_tag(const siphon_dialog *d);
siphon_str siphon_dialog_remote_tag(const siphon_dialog *d);
/* Sequence numbers; *has false when still empty (§12.1). */
uint32_t siphon_dialog_local_cseq(const siphon_dialog *d, bool *has);
uint32_t siphon_dialog_remote_cseq(const siphon_dialog *d, bool *has);
/* The remote target URI (from the peer's Contact). */
siphon_str siphon_dialog_remote_target(const siphon_dialog *d);
/* Our Contact value (name-addr), empty when none was seen. */
siphon_str siphon_dialog_local_contact(const siphon_dialog *d);
/* Route set entries in the order requests use them (name-addr values as
 * in Record-Route, with their parameters). */
size_t siphon_dialog_route_count(const siphon_dialog *d);
siphon_str siphon_dialog_route(const siphon_dialog *d, size_t i);
bool siphon_dialog_secure(const siphon_dialog *d);
/* The stored ACK for our last INVITE (borrowed), or NULL. */
siphon_msg *siphon_dialog_ack(const siphon_dialog *d);
/* True while a 2xx of ours waits for its ACK (§13.3.1.4). */
bool siphon_dialog_awaiting_ack(const siphon_dialog *d);
void *siphon_dialog_user(const siphon_dialog *d);
void siphon_dialog_set_user(siphon_dialog *d, void *user);

/*
 * The live dialog with this ID, or NULL (no side effects). local and
 * remote tags as the dialog sees them.
 */
siphon_dialog *siphon_dialog_find(siphon_dialog_set *s, siphon_str call_id,
                                  siphon_str local_tag, siphon_str remote_tag);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_DIALOG_H */
