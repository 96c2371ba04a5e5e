/*
 * siphon/reg.h -- the registrar and location service, sans-I/O.
 *
 * RFC 3261 §10.3 (processing REGISTER requests, steps 1-8), §10.2 (the
 * address-of-record is a SIP or SIPS URI), §19.1.4 (URI comparison),
 * §20.19/§20.23 (Expires, Min-Expires); RFC 3327 (Path), RFC 3608
 * (Service-Route), RFC 5626 §6 (outbound: +sip.instance and reg-id).
 *
 * The registrar reads no clock and touches no socket. Each entry point
 * takes now_ms, a monotonic time in milliseconds chosen by the caller (a
 * virtual clock runs a 3600 s registration in microseconds); only the Date
 * header of a 200 uses a separate wall-clock value. Authentication (§10.3
 * step 3) is the caller's job before it hands the REGISTER over; steps 4
 * and 5 (may this user touch this AOR, does the AOR exist) go through an
 * optional callback.
 *
 * The location service maps an address-of-record -- the To URI made
 * canonical per §10.3 step 5: URI parameters and headers removed, escapes
 * decoded, host lower-cased -- to its bindings. Bindings expire on the
 * caller's clock: siphon_reg_next_deadline() says when, siphon_reg_tick()
 * purges them. Changes are reported as events (ADDED, REFRESHED, REMOVED,
 * EXPIRED) that the caller drains with siphon_reg_poll().
 *
 * Pointers handed out (bindings, events) stay valid until the next call
 * that may change the store: siphon_reg_process(), siphon_reg_tick(),
 * siphon_reg_remove_aor(), siphon_reg_poll() for events, and
 * siphon_reg_free().
 */
#ifndef SIPHON_REG_H
#define SIPHON_REG_H

#include <siphon/base.h>
#include <siphon/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- configuration ----------------------------------------------------- */

/*
 * §10.3 steps 4 and 5: may the (already authenticated) sender modify the
 * bindings of aor (the canonical key), and is aor one of ours? Returns 0
 * to go on, or a status to answer with (403 Forbidden for step 4, 404 Not
 * Found for step 5; any 300-699 is accepted, other values become 500).
 */
typedef int siphon_reg_check_fn(void *arg, siphon_msg *req, siphon_str aor);

typedef struct siphon_reg_config {
    uint32_t default_expires; /* no expires param, no Expires header (3600) */
    uint32_t min_expires;     /* below it (and below 3600 s): 423 (60);
                                 0: no minimum */
    uint32_t max_expires;     /* longer intervals are shortened (86400) */
    size_t max_per_aor;       /* live bindings of one AOR (16, at most 128):
                                 more gives 403 */
    size_t max_total;         /* live bindings in all (100000): more gives 503 */
    size_t max_contacts;      /* Contact values in one REGISTER (32): more
                                 gives 403 before any of them is looked at */
    size_t max_events;        /* queued events (4096); when full, new events
                                 are dropped and counted. 0: no events */
    /* §10.3 step 1: the domains this registrar holds bindings for (host of
     * the Request-URI, case-insensitive): others are FORWARDed. Step 5: an
     * AOR (To) outside them gets 404. NULL/0: every domain. Borrowed: the
     * strings must outlive the registrar. */
    const char *const *domains;
    size_t ndomains;
    /* RFC 3608 §6: Service-Route values put in every 200 to a REGISTER
     * (for example "<sip:orig@scscf.example.com;lr>"). Borrowed. */
    const char *const *service_route;
    size_t nservice_route;
    /* Option tags accepted in Require besides "path" and "outbound" when
     * those are on (§10.3 step 2, §8.2.2.3). Borrowed. */
    const char *const *extensions;
    size_t nextensions;
    bool path;                /* RFC 3327: store Path, echo it, Supported */
    bool outbound;            /* RFC 5626: instance/reg-id bindings */
    /* warn-agent of the Warning fields in error responses (RFC 3261
     * §20.43): a hostport or token. NULL: "siphon". Borrowed. */
    const char *warn_agent;
    siphon_reg_check_fn *check; /* steps 4-5, may be NULL */
    void *check_arg;
} siphon_reg_config;

#define SIPHON_REG_CONFIG_DEFAULT                                              \
    ((siphon_reg_config){.default_expires = 3600, .min_expires = 60,           \
                         .max_expires = 86400, .max_per_aor = 16,              \
                         .max_total = 100000, .max_contacts = 32,              \
                         .max_events = 4096, .path = true, .outbound = true})

/* ---- bindings ---------------------------------------------------------- */

/* One binding (§10: a Contact of an AOR), owned by the registrar. */
typedef struct siphon_reg_binding {
    siphon_str aor;          /* the canonical AOR key ("sip:bob@example.com") */
    siphon_str contact;      /* the Contact URI as written (inside < >),
                                URI parameters and headers included */
    siphon_str display;      /* display name as written; may be empty */
    siphon_params params;    /* contact-params as written, in order,
                                "expires" left out (the registrar sets it) */
    uint16_t q;              /* q in thousandths; 1000 when absent */
    bool has_q;
    uint32_t expires_s;      /* the interval granted at the last update */
    uint64_t expires_at;     /* deadline, ms on the caller's clock */
    uint64_t updated_at;     /* now_ms of the last add or refresh */
    siphon_str call_id;      /* §10.3 step 7 ordering state */
    uint32_t cseq;
    const siphon_str *path;  /* RFC 3327 Path values, in order */
    size_t npath;
    siphon_str instance;     /* RFC 5626 +sip.instance as written (quotes
                                kept); empty if none */
    uint32_t reg_id;         /* RFC 5626 reg-id, when has_reg_id */
    bool has_reg_id;         /* false when absent or ignored (§6: outbound
                                off, or a first hop without "ob") */
    siphon_str source;       /* siphon_reg_input.source at the last update */
} siphon_reg_binding;

typedef struct siphon_reg siphon_reg;

/*
 * A new, empty registrar. cfg may be NULL for SIPHON_REG_CONFIG_DEFAULT;
 * zero limits take the defaults, max_per_aor is capped at 128 (every
 * binding is listed in one 200). Returns NULL when malloc fails. The
 * caller frees it with siphon_reg_free().
 */
siphon_reg *siphon_reg_new(const siphon_reg_config *cfg);
/* Free the registrar, its bindings and queued events. NULL is fine. */
void siphon_reg_free(siphon_reg *r);

/* Live and not yet purged bindings / AORs (see siphon_reg_tick()). */
size_t siphon_reg_count(const siphon_reg *r);
size_t siphon_reg_aor_count(const siphon_reg *r);

/*
 * The canonical AOR key of uri (§10.3 step 5): "sip:" or "sips:", the user
 * (and password) with escapes decoded and re-escaped the one canonical way,
 * the host lower-cased, the port when written. Appends to out. Returns 0,
 * SIPHON_EINVAL (not a SIP or SIPS URI, §10.2) or SIPHON_ENOMEM.
 */
int siphon_reg_aor_key(const siphon_uri *uri, siphon_buf *out);

/*
 * The live bindings of the AOR that aor_uri (a SIP/SIPS URI, parameters
 * ignored) names, ordered by q descending, ties by the most recently
 * updated first; bindings whose deadline is <= now_ms are left out even
 * before siphon_reg_tick() removes them. Fills out[0..max) and returns the
 * number of live bindings (which may exceed max), or SIPHON_EPARSE /
 * SIPHON_EINVAL for a URI that is not a SIP one. No side effects.
 */
long siphon_reg_lookup(siphon_reg *r, siphon_str aor_uri, uint64_t now_ms,
                       const siphon_reg_binding **out, size_t max);
/* The same for a parsed URI (a Request-URI, say). */
long siphon_reg_lookup_uri(siphon_reg *r, const siphon_uri *aor,
                           uint64_t now_ms, const siphon_reg_binding **out,
                           size_t max);

/* Call fn for every binding (in no particular order) until it returns
 * non-zero, which is then returned. fn must not change the registrar. */
typedef int siphon_reg_visit_fn(void *arg, const siphon_reg_binding *b);
int siphon_reg_foreach(siphon_reg *r, siphon_reg_visit_fn *fn, void *arg);

/*
 * Remove every binding of an AOR (administrative; REMOVED events).
 * Returns the number removed, or a negative code for a bad URI.
 */
long siphon_reg_remove_aor(siphon_reg *r, siphon_str aor_uri);

/* ---- time -------------------------------------------------------------- */

/* The earliest binding deadline, or UINT64_MAX when there is none. */
uint64_t siphon_reg_next_deadline(const siphon_reg *r);
/* Remove every binding whose deadline is <= now_ms (EXPIRED events).
 * Returns the number removed. */
size_t siphon_reg_tick(siphon_reg *r, uint64_t now_ms);

/* ---- REGISTER ---------------------------------------------------------- */

/* What the caller knows about the request besides its bytes. */
typedef struct siphon_reg_input {
    uint64_t now_ms;     /* the caller's monotonic clock */
    int64_t now_wall;    /* seconds since 1970 UTC for the Date header of
                            a 200 (§10.3 step 8); negative: no Date */
    siphon_str to_tag;   /* To tag for the response (§8.2.6.2), from the
                            caller's RNG; empty: none added */
    siphon_str source;   /* stored with the bindings (for example the
                            received transport/address or an RFC 5626 flow
                            token); may be empty */
} siphon_reg_input;

typedef enum siphon_reg_action {
    SIPHON_REG_RESPOND = 0, /* send result.response */
    SIPHON_REG_FORWARD      /* §10.3 step 1: not our domain; a proxy
                               forwards the request (no response made) */
} siphon_reg_action;

typedef struct siphon_reg_result {
    siphon_reg_action action;
    int status;             /* of the response; 0 for FORWARD */
    siphon_msg *response;   /* one reference, owned by the caller */
    const char *fault;      /* static text naming what was wrong (the
                               reason phrase of an error); NULL for a 200 */
    size_t added, refreshed, removed;
} siphon_reg_result;

/*
 * Process a REGISTER per RFC 3261 §10.3 and answer it. Steps: 1 domain
 * (FORWARD), 2 Require (420 with Unsupported), 4-5 the To URI as AOR (400
 * if not SIP/SIPS, 404 outside the domains), the check callback, 6 Contact "*" (only alone and
 * with Expires: 0, else 400), 7 per Contact: expires param, else Expires,
 * else the default; 0 < interval < min_expires (and < 3600) gives 423
 * with Min-Expires; above max_expires is shortened; the same Call-ID with
 * a CSeq not higher than the stored one gives 400 and changes nothing; a
 * different Call-ID replaces; 8 a 200 listing every live binding with its
 * expires, Date, Path echoed (RFC 3327 §5.3, when the UA supports path),
 * Service-Route, Supported, and Require: outbound when a reg-id was used
 * (RFC 5626 §6; 439 when a non-first hop gave no "ob" Path). No Contact:
 * a query, 200 with the bindings. Limits: 403 (per AOR, per request) or
 * 503 (in total). Every error response names its fault in the reason
 * phrase and a Warning. Updates are all-or-nothing. Fires due expiries
 * first, as siphon_reg_tick(in->now_ms) would.
 *
 * Returns 0 (see res), SIPHON_EINVAL (req is no REGISTER request, to_tag
 * is no token, or a NULL argument), SIPHON_EPARSE (the request is so
 * broken that no response can be built from its fields: the caller should
 * answer only what siphon_msg_verdict() accepts) or SIPHON_ENOMEM. On
 * error nothing changed and res->response is NULL.
 */
int siphon_reg_process(siphon_reg *r, siphon_msg *req,
                       const siphon_reg_input *in, siphon_reg_result *res);

/* ---- events ------------------------------------------------------------ */

typedef enum siphon_reg_event_type {
    SIPHON_REG_EV_ADDED = 0,  /* a new binding */
    SIPHON_REG_EV_REFRESHED,  /* an existing binding re-registered (its
                                 contact may have changed: RFC 5626) */
    SIPHON_REG_EV_REMOVED,    /* removed by a REGISTER or by the caller */
    SIPHON_REG_EV_EXPIRED     /* its deadline passed */
} siphon_reg_event_type;

const char *siphon_reg_event_name(siphon_reg_event_type t); /* "ADDED" */

typedef struct siphon_reg_event {
    siphon_reg_event_type type;
    siphon_str aor;
    siphon_str contact;
    siphon_str instance;
    uint32_t reg_id;
    bool has_reg_id;
    uint64_t expires_at;  /* the deadline (for REMOVED: the old one) */
} siphon_reg_event;

/*
 * Take the oldest event into *ev; false when there is none. The views in
 * *ev stay valid until the next siphon_reg_poll() or siphon_reg_free().
 */
bool siphon_reg_poll(siphon_reg *r, siphon_reg_event *ev);
/* Events dropped because the queue held max_events. */
size_t siphon_reg_events_dropped(const siphon_reg *r);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_REG_H */
