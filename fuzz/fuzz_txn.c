/*
 * fuzz_txn.c -- fuzz harness for the transaction layer (lib/txn, RFC 3261
 * §17 with RFC 6026 and RFC 4320).
 *
 * The input is a script. Its first byte picks a layer configuration (bits
 * 0-1: four timer presets; bit 2: a clock origin of 0 or 10^12 ms; bit 3:
 * default T1/T2/T4 given as 0; bit 4 with preset 0: a NULL config); then
 * each op is an
 * opcode byte followed by its operands (bytes past the end read as 0):
 *
 *   op % 8  what                                 operands
 *   0       client starts a transaction           9 field bytes, reliable
 *   1       a request arrives from the network    mode [entry mask] fields,
 *                                                 reliable
 *   2       a response arrives                    mode [entry mask] fields,
 *                                                 status, reliable
 *   3       the TU responds to a server txn       txn, status, source, tag
 *   4       time advances, timers fire            amount
 *   5       the transport fails for a txn         txn
 *   6       events are drained with poll          count (low 2 bits 0:
 *                                                 only (count>>2)%8+1 polls)
 *   7       a message received before arrives     rx, reliable
 *           again (the same siphon_msg)
 *   0xFF    free the layer at once (events and a terminated handle
 *           still queued) and stop: no end-of-script checks
 *
 * Messages come from a small grammar: method (INVITE, OPTIONS, BYE,
 * REGISTER, ACK, CANCEL, INFO, an extension and "invite"), Via branch
 * (cookie, case variants of it, RFC 2543 branches, none), sent-by (host
 * case and port variants, or no Via at all), CSeq number and method
 * (normally the request's, sometimes another), To tag, Call-ID, From tag,
 * Request-URI (one that does not parse as a URI) with extras (two Route
 * fields, a folded From field).
 * "mode" with its high bit set derives the fields from an earlier
 * transaction (entry) and replaces only the fields whose bit is set in
 * mask, so retransmissions, ACKs, CANCELs, matching and nearly-matching
 * responses are one byte away. "txn" picks one of the live handles, or the
 * handle whose TERMINATED event the last poll returned (still valid until
 * the next poll, txn.h). At most 256 ops run; time steps are capped.
 *
 * A shadow model of every transaction handle (kind, last state seen
 * through siphon_txn_state_of, when it entered it) is checked after each
 * call and after each timer instant:
 *   - the kind never changes; a state belongs to its kind's figure;
 *   - every change is an edge of Figures 5-8 with RFC 6026's ACCEPTED
 *     (nothing leaves TERMINATED, COMPLETED never goes back, ...);
 *   - a call moves only what it concerns: client_start, respond and
 *     transport_error only their own transaction; a response only the
 *     client transaction it matches (§17.1.3, modelled here), to the
 *     state the figure gives; a request at most one INVITE server
 *     transaction, COMPLETED -> CONFIRMED (or TERMINATED when reliable)
 *     on an ACK;
 *   - return codes are the documented ones (EINVAL, EDUP, ESTATE exactly
 *     when the model says so);
 *   - timers fire only at their deadline: a transaction ends by a timer
 *     exactly when its Timer B, D, F, H, I, J, K, L or M is due (computed
 *     from when it entered the state and the configuration), never in a
 *     state that waits for the TU (ICT/IST PROCEEDING, NIST TRYING and
 *     PROCEEDING), and never overstays its timer; no deadline is in the
 *     past;
 *   - events: nothing names a transaction after its TERMINATED event (the
 *     last one, always preceded by the state TERMINATED); TIMEOUT and a
 *     terminating TRANSPORT_ERROR are followed by TERMINATED; a NIST
 *     never times out and never sends a response its TU did not give (so
 *     no 408 of its own, RFC 4320), an IST only adds its 100 Trying; a
 *     client sends its own request, and an ICT an ACK (same CSeq number
 *     and branch) only after a non-2xx final; RESPONSE events and STRAY
 *     responses are exactly those the model expects; every event carries
 *     the right user and message;
 *   - after a full drain, siphon_txn_count() is the number of live
 *     transactions;
 *   - at the end, once the TU has given every waiting server transaction
 *     a final response and the peer every ICT in PROCEEDING a final
 *     response, time advances by max(64*T1, Timer D, T4) and every
 *     transaction must have ended: count 0, no timer left, each reliable
 *     client sent its request once, an ICT at most 7 times;
 *   - memory: the replay build runs under LeakSanitizer, and every
 *     message and handle is touched under ASan.
 * Failures abort through fuzz_fail() with "[txn-...]" ids (fuzz/README.md
 * lists them); SIPHON_FUZZ_TRACE=1 prints every state change and event.
 * The seeds in corpus/fuzz_txn/ come from fuzz/gen_txn_seeds.py.
 */
#include "fuzz_common.h"

#include <siphon/msg.h>
#include <siphon/txn.h>

#include <strings.h>

enum {
    MAX_OPS = 256,
    MAXT = 320,   /* transactions per input (one per op at most) */
    MAXRX = 640,  /* received messages (ops + the end phase) */
    MAXRESP = 640 /* TU responses (ops + the end phase) */
};

/* ---- the message grammar ------------------------------------------------ */

enum {
    F_METHOD,
    F_BRANCH,
    F_SENTBY,
    F_CSEQ,
    F_CSEQM, /* 0: the method itself; k: methods[k - 1] */
    F_TOTAG,
    F_CALLID,
    F_FROMTAG,
    F_RURI,
    NFIELDS
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const methods[] = {"INVITE", "OPTIONS", "BYE",
                                      "REGISTER", "ACK", "CANCEL",
                                      "INFO",   "FOO",     "invite"};
static const char *const branches[] = {"z9hG4bKa1", "z9hG4bKA1", "z9hG4bKb2",
                                       "z9hG4bKc3", "Z9HG4BKa1", "old1",
                                       "OLD1",      NULL};
/* NULL: no Via at all (EINVAL everywhere). */
static const char *const sentbys[] = {"a.example.com", "A.Example.COM",
                                      "a.example.com:5060", "b.example.com",
                                      "b.example.com:5070", NULL};
static const unsigned long cseqs[] = {1, 2, 314159, 2147483647};
static const char *const totags[] = {NULL, "t1", "T1", "t2"};
static const char *const callids[] = {"c1@a.example.com", "c2@a.example.com",
                                      "C1@a.example.com"};
static const char *const fromtags[] = {"f1", "F1", "f2"};
/* F_RURI v: Request-URI ruris[v % 5] and extras v / 5 (0: none, 1: two
 * Route fields, 2: a folded From field). The last URI does not parse as a
 * URI (matching falls back to the text). */
static const char *const ruris[] = {"sip:bob@b.example.com",
                                    "sip:bob@B.EXAMPLE.COM",
                                    "sip:Bob@b.example.com",
                                    "sip:bob@b.example.com:5060",
                                    "sip:bob@[b.example.com"};
enum { N_EXTRAS = 3 };
static const int rx_statuses[] = {100, 180, 183, 199, 200, 202, 299, 300, 302,
                                  401, 404, 408, 486, 487, 500, 503, 603, 699};
static const int tu_statuses[] = {100, 101, 180, 183, 200, 202, 299, 300,
                                  400, 408, 486, 487, 500, 603, 699};
static const char *const tu_tags[] = {"t1", "t2", "T1"};

static const size_t field_n[NFIELDS] = {
    N(methods), N(branches), N(sentbys),  N(cseqs), 1 + N(methods),
    N(totags),  N(callids),  N(fromtags), N(ruris) * N_EXTRAS};

typedef struct fields {
    uint8_t f[NFIELDS];
} fields;

static uint8_t field_from_byte(int i, uint8_t b)
{
    if (i == F_CSEQM) /* mostly the request's own method */
        return b >= 0xE0 ? (uint8_t)(1 + b % N(methods)) : 0;
    return (uint8_t)(b % field_n[i]);
}

static const char *f_method(const fields *fl)
{
    return methods[fl->f[F_METHOD]];
}

static const char *f_cseq_method(const fields *fl)
{
    return fl->f[F_CSEQM] ? methods[fl->f[F_CSEQM] - 1] : f_method(fl);
}

static const char *f_branch(const fields *fl)
{
    return branches[fl->f[F_BRANCH]];
}

static bool f_has_via(const fields *fl)
{
    return sentbys[fl->f[F_SENTBY]] != NULL;
}

/* The request (status 0) or response the fields describe. */
static siphon_msg *build(const fields *fl, int status)
{
    char start[256], via[128] = "", text[1024];
    const char *br = f_branch(fl), *tt = totags[fl->f[F_TOTAG]];
    unsigned extra = fl->f[F_RURI] / N(ruris);
    if (status)
        snprintf(start, sizeof start, "SIP/2.0 %d %s", status,
                 siphon_status_phrase(status));
    else
        snprintf(start, sizeof start, "%s %s SIP/2.0\r\nMax-Forwards: 70%s",
                 f_method(fl), ruris[fl->f[F_RURI] % N(ruris)],
                 extra == 1 ? "\r\nRoute: <sip:p1.example.com;lr>\r\n"
                              "Route: <sip:p2.example.com;lr>"
                            : "");
    if (f_has_via(fl))
        snprintf(via, sizeof via, "Via: SIP/2.0/UDP %s%s%s\r\n",
                 sentbys[fl->f[F_SENTBY]], br ? ";branch=" : "",
                 br ? br : "");
    int n = snprintf(text, sizeof text,
                     "%s\r\n"
                     "%s"
                     "From: <sip:alice@a.example.com>%s;tag=%s\r\n"
                     "To: <sip:bob@b.example.com>%s%s\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %lu %s\r\n"
                     "Content-Length: 0\r\n"
                     "\r\n",
                     start, via, extra == 2 ? "\r\n\t" : "",
                     fromtags[fl->f[F_FROMTAG]], tt ? ";tag=" : "",
                     tt ? tt : "", callids[fl->f[F_CALLID]],
                     cseqs[fl->f[F_CSEQ]], f_cseq_method(fl));
    if (n < 0 || (size_t)n >= sizeof text)
        fuzz_fail("[txn-harness] message template overflow");
    siphon_msg *m = NULL;
    siphon_perr err;
    int rc = siphon_msg_parse(text, (size_t)n, NULL, &m, &err);
    if (rc < 0) {
        fuzz_dump("template", text, (size_t)n);
        fuzz_fail("[txn-harness] template does not parse: %d (%s) at %zu: %s",
                  rc, siphon_errname(rc), err.offset, err.text);
    }
    return m;
}

/* ---- the shadow model ---------------------------------------------------- */

typedef struct ent {
    siphon_txn *t;
    bool live; /* its TERMINATED event not yet polled */
    siphon_txn_kind kind;
    siphon_txn_state state; /* as last seen through the accessor */
    bool reliable;
    uint64_t start, entered;
    fields fl;
    siphon_msg *req; /* our reference to its request */
    void *user;
    unsigned req_sends, resp_expected, resp_seen;
    unsigned terr_calls, terr_events, timeouts;
    bool terr_last_ends; /* the last transport_error call terminated it */
    bool timeout_expected;
    bool expect_term; /* the next event must be TERMINATED */
    bool may_ack;     /* ICT: a non-2xx final was passed up */
    bool was_accepted;
} ent;

typedef struct rx {
    siphon_msg *m; /* our reference */
    fields fl;
    int status; /* 0: a request */
    bool reliable;
    uint64_t at;
} rx;

typedef struct resp {
    siphon_msg *m; /* our reference */
    int owner;     /* ent index when respond() took it, else -1 */
} resp;

typedef struct ctx {
    siphon_txn_layer *l;
    siphon_txn_config cfg;
    uint64_t now, bound;
    fuzz_script in;
    ent e[MAXT];
    size_t ne;
    rx r[MAXRX];
    size_t nr;
    resp s[MAXRESP];
    size_t ns;
    siphon_txn *just_term; /* valid until the next poll */
    size_t just_term_idx;
    unsigned stray_resp_expected, stray_resp_seen;
    unsigned long fired;
} ctx;

static ctx C;

static uint8_t rb(ctx *c)
{
    return fuzz_byte(&c->in);
}

static const char *kname(siphon_txn_kind k)
{
    return siphon_txn_kind_name(k);
}

static const char *sname(siphon_txn_state s)
{
    return siphon_txn_state_name(s);
}

static bool state_of_kind(siphon_txn_kind k, siphon_txn_state s)
{
    switch (k) {
    case SIPHON_TXN_ICT:
        return s == SIPHON_TXN_CALLING || s == SIPHON_TXN_PROCEEDING ||
               s == SIPHON_TXN_COMPLETED || s == SIPHON_TXN_ACCEPTED ||
               s == SIPHON_TXN_TERMINATED;
    case SIPHON_TXN_IST:
        return s == SIPHON_TXN_PROCEEDING || s == SIPHON_TXN_COMPLETED ||
               s == SIPHON_TXN_CONFIRMED || s == SIPHON_TXN_ACCEPTED ||
               s == SIPHON_TXN_TERMINATED;
    case SIPHON_TXN_NICT:
    case SIPHON_TXN_NIST:
        return s == SIPHON_TXN_TRYING || s == SIPHON_TXN_PROCEEDING ||
               s == SIPHON_TXN_COMPLETED || s == SIPHON_TXN_TERMINATED;
    }
    return false;
}

/* The edges of RFC 3261 Figures 5-8 as updated by RFC 6026 Figures 5 and
 * 7. Any live state may end (transport error, §17.1.4/§17.2.4); which
 * ends a timer may cause is checked apart, per state. */
static bool edge(siphon_txn_kind k, siphon_txn_state a, siphon_txn_state b)
{
    if (a == SIPHON_TXN_TERMINATED)
        return false;
    if (b == SIPHON_TXN_TERMINATED)
        return true;
    switch (k) {
    case SIPHON_TXN_ICT:
        return (a == SIPHON_TXN_CALLING &&
                (b == SIPHON_TXN_PROCEEDING || b == SIPHON_TXN_COMPLETED ||
                 b == SIPHON_TXN_ACCEPTED)) ||
               (a == SIPHON_TXN_PROCEEDING &&
                (b == SIPHON_TXN_COMPLETED || b == SIPHON_TXN_ACCEPTED));
    case SIPHON_TXN_IST:
        return (a == SIPHON_TXN_PROCEEDING &&
                (b == SIPHON_TXN_COMPLETED || b == SIPHON_TXN_ACCEPTED)) ||
               (a == SIPHON_TXN_COMPLETED && b == SIPHON_TXN_CONFIRMED);
    case SIPHON_TXN_NICT:
    case SIPHON_TXN_NIST:
        return (a == SIPHON_TXN_TRYING &&
                (b == SIPHON_TXN_PROCEEDING || b == SIPHON_TXN_COMPLETED)) ||
               (a == SIPHON_TXN_PROCEEDING && b == SIPHON_TXN_COMPLETED);
    }
    return false;
}

/* When the timer of e's current state ends it (UINT64_MAX: no timer, the
 * state waits for the TU or the peer). */
static uint64_t deadline(const ctx *c, const ent *e)
{
    uint64_t t64 = 64ull * c->cfg.t1_ms;
    switch (e->kind) {
    case SIPHON_TXN_ICT:
        switch (e->state) {
        case SIPHON_TXN_CALLING: /* Timer B */
            return e->start + t64;
        case SIPHON_TXN_COMPLETED: /* Timer D */
            return e->entered + (e->reliable ? 0 : c->cfg.d_ms);
        case SIPHON_TXN_ACCEPTED: /* Timer M */
            return e->entered + t64;
        default:
            return UINT64_MAX;
        }
    case SIPHON_TXN_NICT:
        switch (e->state) {
        case SIPHON_TXN_TRYING: /* Timer F, from the start */
        case SIPHON_TXN_PROCEEDING:
            return e->start + t64;
        case SIPHON_TXN_COMPLETED: /* Timer K */
            return e->entered + (e->reliable ? 0 : c->cfg.t4_ms);
        default:
            return UINT64_MAX;
        }
    case SIPHON_TXN_IST:
        switch (e->state) {
        case SIPHON_TXN_COMPLETED: /* Timer H */
        case SIPHON_TXN_ACCEPTED:  /* Timer L */
            return e->entered + t64;
        case SIPHON_TXN_CONFIRMED: /* Timer I */
            return e->entered + (e->reliable ? 0 : c->cfg.t4_ms);
        default:
            return UINT64_MAX;
        }
    case SIPHON_TXN_NIST:
        if (e->state == SIPHON_TXN_COMPLETED) /* Timer J */
            return e->entered + (e->reliable ? 0 : t64);
        return UINT64_MAX;
    }
    return UINT64_MAX;
}

/* Does a timer that ends e in its current state report a TIMEOUT? */
static bool ends_with_timeout(const ent *e)
{
    switch (e->kind) {
    case SIPHON_TXN_ICT:
        return e->state == SIPHON_TXN_CALLING; /* B */
    case SIPHON_TXN_NICT:
        return e->state == SIPHON_TXN_TRYING ||
               e->state == SIPHON_TXN_PROCEEDING; /* F */
    case SIPHON_TXN_IST:
        return e->state == SIPHON_TXN_COMPLETED; /* H */
    default:
        return false;
    }
}

static __attribute__((noreturn)) void fail_ent(const ctx *c, size_t i,
                                               const char *id,
                                               const char *what)
{
    const ent *e = &c->e[i];
    fuzz_fail("[%s] %s: txn #%zu %s (%s, %s, started %llu, state entered "
              "%llu, now %llu, T1 %u)",
              id, what, i, kname(e->kind), sname(e->state),
              e->reliable ? "reliable" : "unreliable",
              (unsigned long long)e->start, (unsigned long long)e->entered,
              (unsigned long long)c->now, c->cfg.t1_ms);
}

/* What caused the calls whose effects observe() checks. */
typedef enum cause {
    BY_TICK,   /* timers at instant c->now */
    BY_TARGET, /* only the target may change, to want */
    BY_REQ,    /* a request arrived; is_ack says whether an ACK */
    BY_NONE    /* nothing may change */
} cause;

/*
 * Read every live handle's kind and state through the accessors and check
 * each change against the figures and the cause.
 */
static void observe(ctx *c, cause why, size_t target, siphon_txn_state want,
                    bool is_ack)
{
    size_t changed = 0;
    for (size_t i = 0; i < c->ne; i++) {
        ent *e = &c->e[i];
        if (!e->live)
            continue;
        siphon_txn_kind k = siphon_txn_kind_of(e->t);
        siphon_txn_state s = siphon_txn_state_of(e->t);
        if (k != e->kind)
            fail_ent(c, i, "txn-kind", "the kind changed");
        if (!state_of_kind(k, s)) {
            fprintf(stderr, "state %d (%s)\n", (int)s, sname(s));
            fail_ent(c, i, "txn-state", "a state its figure does not have");
        }
        if (why == BY_TARGET && i == target && s != want) {
            fprintf(stderr, "expected %s, found %s\n", sname(want), sname(s));
            fail_ent(c, i, "txn-expected", "the call moved it wrongly");
        }
        if (s == e->state)
            continue;
        if (!edge(k, e->state, s)) {
            fprintf(stderr, "%s -> %s\n", sname(e->state), sname(s));
            fail_ent(c, i, "txn-edge", "a transition the RFC figures lack");
        }
        switch (why) {
        case BY_TICK:
            if (s != SIPHON_TXN_TERMINATED)
                fail_ent(c, i, "txn-timer-move",
                         "a timer moved it other than to TERMINATED");
            if (deadline(c, e) == UINT64_MAX)
                fail_ent(c, i, "txn-timer-wait",
                         "a timer ended a state that waits for the TU/peer");
            if (deadline(c, e) != c->now) {
                fprintf(stderr, "its timer was due at %llu\n",
                        (unsigned long long)deadline(c, e));
                fail_ent(c, i, "txn-timer-when",
                         "ended by a timer at the wrong time");
            }
            e->timeout_expected = ends_with_timeout(e);
            break;
        case BY_TARGET:
            if (i != target)
                fail_ent(c, i, "txn-crosstalk",
                         "changed by a call about another transaction");
            break;
        case BY_REQ: {
            siphon_txn_state ok = e->reliable ? SIPHON_TXN_TERMINATED
                                              : SIPHON_TXN_CONFIRMED;
            if (!is_ack || k != SIPHON_TXN_IST ||
                e->state != SIPHON_TXN_COMPLETED || s != ok) {
                fprintf(stderr, "%s -> %s on a%s request\n", sname(e->state),
                        sname(s), is_ack ? "n ACK" : " non-ACK");
                fail_ent(c, i, "txn-request-move",
                         "a request moved it wrongly");
            }
            if (++changed > 1)
                fail_ent(c, i, "txn-request-two",
                         "one request moved two transactions");
            break;
        }
        case BY_NONE:
            fail_ent(c, i, "txn-crosstalk", "changed by an unrelated call");
        }
        if (fuzz_tracing())
            fprintf(stderr, "%8llu  #%zu %s %s -> %s\n",
                    (unsigned long long)c->now, i, kname(k), sname(e->state),
                    sname(s));
        if (s == SIPHON_TXN_ACCEPTED)
            e->was_accepted = true;
        e->state = s;
        e->entered = c->now;
    }
    /* No transaction may overstay its timer. */
    for (size_t i = 0; i < c->ne; i++) {
        ent *e = &c->e[i];
        if (e->live && e->state != SIPHON_TXN_TERMINATED &&
            c->now >= deadline(c, e)) {
            fprintf(stderr, "its timer was due at %llu\n",
                    (unsigned long long)deadline(c, e));
            fail_ent(c, i, "txn-overstay", "still alive after its timer");
        }
    }
    uint64_t d = siphon_txn_next_deadline(c->l);
    if (why != BY_TICK && d <= c->now)
        fuzz_fail("[txn-deadline-past] next deadline %llu <= now %llu after "
                  "a call",
                  (unsigned long long)d, (unsigned long long)c->now);
}

static size_t find_live(const ctx *c, const siphon_txn *t)
{
    for (size_t i = 0; i < c->ne; i++)
        if (c->e[i].live && c->e[i].t == t)
            return i;
    return SIZE_MAX;
}

static ent *add_ent(ctx *c, siphon_txn *t, siphon_txn_kind k, siphon_msg *req,
                    const fields *fl, bool reliable, void *user)
{
    if (c->ne == MAXT)
        fuzz_fail("[txn-harness] more than %d transactions", MAXT);
    if (find_live(c, t) != SIZE_MAX)
        fuzz_fail("[txn-handle-reused] a new transaction has the handle of "
                  "a live one");
    ent *e = &c->e[c->ne++];
    memset(e, 0, sizeof *e);
    e->t = t;
    e->live = true;
    e->kind = k;
    e->state = k == SIPHON_TXN_ICT   ? SIPHON_TXN_CALLING
               : k == SIPHON_TXN_IST ? SIPHON_TXN_PROCEEDING
                                     : SIPHON_TXN_TRYING;
    e->reliable = reliable;
    e->start = e->entered = c->now;
    e->fl = *fl;
    e->req = siphon_msg_ref(req);
    e->user = user;
    return e;
}

static bool is_server(siphon_txn_kind k)
{
    return k == SIPHON_TXN_IST || k == SIPHON_TXN_NIST;
}

/* ---- events ---------------------------------------------------------------- */

static bool tu_gave(const ctx *c, size_t owner, const siphon_msg *m)
{
    for (size_t i = 0; i < c->ns; i++)
        if (c->s[i].m == m && c->s[i].owner == (int)owner)
            return true;
    return false;
}

static void check_send(ctx *c, size_t i, siphon_msg *m)
{
    ent *e = &c->e[i];
    if (!is_server(e->kind)) {
        if (m == e->req) {
            e->req_sends++;
            return;
        }
        const siphon_cseq *cs = siphon_msg_cseq(m), *rcs = siphon_msg_cseq(e->req);
        const siphon_via *v = siphon_msg_via(m), *rv = siphon_msg_via(e->req);
        if (e->kind == SIPHON_TXN_ICT && siphon_msg_is_request(m) &&
            siphon_msg_method_id(m) == SIPHON_METHOD_ACK && cs && rcs &&
            cs->num == rcs->num && v && rv &&
            siphon_str_eq(v->branch, rv->branch)) {
            if (!e->may_ack)
                fail_ent(c, i, "txn-ack-2xx",
                         "the ICT sent an ACK without a non-2xx final");
            return;
        }
        fuzz_dump("sent", siphon_msg_bytes(m).p, siphon_msg_bytes(m).len);
        fail_ent(c, i, "txn-client-send",
                 "a client sent something other than its request or ACK");
    }
    if (siphon_msg_is_request(m))
        fail_ent(c, i, "txn-server-send", "a server transaction sent a request");
    if (tu_gave(c, i, m))
        return;
    int st = siphon_msg_status(m);
    if (e->kind == SIPHON_TXN_IST && st == 100 &&
        c->cfg.trying_ms != SIPHON_TXN_NO_AUTO_100)
        return; /* §17.2.1: the automatic 100 Trying */
    fprintf(stderr, "status %d\n", st);
    fail_ent(c, i, "txn-own-response",
             e->kind == SIPHON_TXN_NIST
                 ? "a NIST sent a response its TU never gave (RFC 4320)"
                 : "an IST sent a response its TU never gave");
}

static void on_request_event(ctx *c, const siphon_txn_event *ev)
{
    rx *r = (rx *)ev->user;
    if (r < c->r || r >= c->r + c->nr || r->status || r->m != ev->msg)
        fuzz_fail("[txn-request-user] REQUEST with a user or message no "
                  "receive call gave");
    if (!ev->msg || !siphon_msg_is_request(ev->msg) ||
        siphon_msg_method_id(ev->msg) == SIPHON_METHOD_ACK)
        fuzz_fail("[txn-request-msg] REQUEST without a non-ACK request");
    siphon_txn_kind want = siphon_msg_method_id(ev->msg) == SIPHON_METHOD_INVITE
                               ? SIPHON_TXN_IST
                               : SIPHON_TXN_NIST;
    uint64_t now = c->now;
    c->now = r->at;
    ent *e = add_ent(c, ev->txn, want, ev->msg, &r->fl, r->reliable, r);
    c->now = now;
    size_t i = (size_t)(e - c->e);
    if (siphon_txn_kind_of(ev->txn) != want)
        fail_ent(c, i, "txn-kind", "REQUEST for a transaction of the wrong kind");
    if (siphon_txn_state_of(ev->txn) != e->state)
        fail_ent(c, i, "txn-initial", "a new server transaction moved before "
                                      "its TU saw it");
    if (siphon_txn_request(ev->txn) != ev->msg)
        fail_ent(c, i, "txn-accessor", "siphon_txn_request is not its request");
}

/* One poll; returns false when the queue was empty. */
static bool poll_one(ctx *c)
{
    siphon_txn_event ev;
    c->just_term = NULL; /* freed by this poll */
    if (!siphon_txn_poll(c->l, &ev))
        return false;
    if ((unsigned)ev.type > SIPHON_TXN_EV_TERMINATED)
        fuzz_fail("[txn-event-type] event type %d", (int)ev.type);
    bool wants_msg = ev.type <= SIPHON_TXN_EV_STRAY;
    if (wants_msg != (ev.msg != NULL))
        fuzz_fail("[txn-event-msg] %s event %s a message",
                  siphon_txn_event_name(ev.type), ev.msg ? "with" : "without");
    if (ev.msg)
        fuzz_touch(siphon_msg_bytes(ev.msg));
    if (fuzz_tracing()) {
        size_t k = ev.txn ? find_live(c, ev.txn) : SIZE_MAX;
        char what[48] = "";
        if (ev.msg && siphon_msg_is_request(ev.msg))
            snprintf(what, sizeof what, " %.*s",
                     (int)siphon_msg_method(ev.msg).len,
                     siphon_msg_method(ev.msg).p);
        else if (ev.msg)
            snprintf(what, sizeof what, " %d", siphon_msg_status(ev.msg));
        if (k == SIZE_MAX)
            fprintf(stderr, "%8llu  poll %s%s\n", (unsigned long long)c->now,
                    siphon_txn_event_name(ev.type), what);
        else
            fprintf(stderr, "%8llu  poll %s%s  #%zu\n",
                    (unsigned long long)c->now,
                    siphon_txn_event_name(ev.type), what, k);
    }
    if (ev.type == SIPHON_TXN_EV_STRAY) {
        if (ev.txn)
            fuzz_fail("[txn-stray] STRAY names a transaction");
        rx *r = (rx *)ev.user;
        if (r < c->r || r >= c->r + c->nr || r->m != ev.msg)
            fuzz_fail("[txn-stray] STRAY with a user/message no receive gave");
        if (siphon_msg_is_request(ev.msg)) {
            if (siphon_msg_method_id(ev.msg) != SIPHON_METHOD_ACK)
                fuzz_fail("[txn-stray] a non-ACK request went STRAY");
        } else {
            c->stray_resp_seen++;
        }
        siphon_msg_unref(ev.msg);
        return true;
    }
    if (!ev.txn)
        fuzz_fail("[txn-event-txn] %s without a transaction",
                  siphon_txn_event_name(ev.type));
    if (ev.type == SIPHON_TXN_EV_REQUEST) {
        on_request_event(c, &ev);
        siphon_msg_unref(ev.msg);
        return true;
    }
    size_t i = find_live(c, ev.txn);
    if (i == SIZE_MAX)
        fuzz_fail("[txn-after-terminated] %s event for a transaction that "
                  "is unknown or already TERMINATED",
                  siphon_txn_event_name(ev.type));
    ent *e = &c->e[i];
    if (ev.user != e->user || siphon_txn_user(ev.txn) != e->user)
        fail_ent(c, i, "txn-user", "event or accessor with the wrong user");
    if (e->expect_term && ev.type != SIPHON_TXN_EV_TERMINATED) {
        fprintf(stderr, "event %s\n", siphon_txn_event_name(ev.type));
        fail_ent(c, i, "txn-term-next",
                 "TIMEOUT/TRANSPORT_ERROR not followed by TERMINATED");
    }
    switch (ev.type) {
    case SIPHON_TXN_EV_SEND:
        check_send(c, i, ev.msg);
        break;
    case SIPHON_TXN_EV_RESPONSE: {
        if (is_server(e->kind) || siphon_msg_is_request(ev.msg))
            fail_ent(c, i, "txn-response-event", "RESPONSE on a server txn");
        const siphon_cseq *cs = siphon_msg_cseq(ev.msg);
        if (!cs || !siphon_str_eq(cs->method, siphon_msg_method(e->req)))
            fail_ent(c, i, "txn-response-event", "RESPONSE for another method");
        e->resp_seen++;
        break;
    }
    case SIPHON_TXN_EV_ACK:
        if (e->kind != SIPHON_TXN_IST || !e->was_accepted ||
            !siphon_msg_is_request(ev.msg) ||
            siphon_msg_method_id(ev.msg) != SIPHON_METHOD_ACK)
            fail_ent(c, i, "txn-ack-event",
                     "ACK event not for an ACK to an accepted IST");
        break;
    case SIPHON_TXN_EV_TIMEOUT:
        if (e->kind == SIPHON_TXN_NIST)
            fail_ent(c, i, "txn-nist-timeout",
                     "a NIST timed out on its own (RFC 4320)");
        if (++e->timeouts > 1)
            fail_ent(c, i, "txn-timeout-twice", "two TIMEOUT events");
        e->expect_term = true;
        break;
    case SIPHON_TXN_EV_TRANSPORT_ERROR:
        if (++e->terr_events > e->terr_calls)
            fail_ent(c, i, "txn-terr-event",
                     "TRANSPORT_ERROR without transport_error()");
        if (e->terr_events == e->terr_calls && e->terr_last_ends)
            e->expect_term = true;
        break;
    case SIPHON_TXN_EV_TERMINATED:
        if (siphon_txn_state_of(ev.txn) != SIPHON_TXN_TERMINATED ||
            e->state != SIPHON_TXN_TERMINATED)
            fail_ent(c, i, "txn-term-state",
                     "TERMINATED event while the state is not TERMINATED");
        e->live = false;
        e->expect_term = false;
        c->just_term = ev.txn;
        c->just_term_idx = i;
        break;
    default:
        break;
    }
    siphon_msg_unref(ev.msg);
    return true;
}

/* Poll until empty, then check the totals an empty queue must show. */
static void drain(ctx *c)
{
    size_t guard = 0;
    while (poll_one(c))
        if (++guard > 10000000)
            fuzz_fail("[txn-event-storm] more than 10^7 events");
    size_t live = 0;
    for (size_t i = 0; i < c->ne; i++) {
        ent *e = &c->e[i];
        if (e->live) {
            live++;
            if (e->state == SIPHON_TXN_TERMINATED)
                fail_ent(c, i, "txn-term-missing",
                         "TERMINATED state without its event");
        }
        if (e->resp_seen != e->resp_expected) {
            fprintf(stderr, "%u RESPONSE events, %u expected\n", e->resp_seen,
                    e->resp_expected);
            fail_ent(c, i, "txn-response-count",
                     "RESPONSE events differ from the model");
        }
        if (e->terr_events != e->terr_calls)
            fail_ent(c, i, "txn-terr-count",
                     "TRANSPORT_ERROR events differ from calls");
    }
    if (siphon_txn_count(c->l) != live)
        fuzz_fail("[txn-count] siphon_txn_count() %zu, %zu live transactions",
                  siphon_txn_count(c->l), live);
    if (c->stray_resp_seen != c->stray_resp_expected)
        fuzz_fail("[txn-stray-count] %u stray responses, the model expects %u",
                  c->stray_resp_seen, c->stray_resp_expected);
}

/* ---- operations -------------------------------------------------------- */

static bool reliable_byte(ctx *c)
{
    return rb(c) & 1;
}

static void read_fields(ctx *c, fields *fl)
{
    for (int i = 0; i < NFIELDS; i++)
        fl->f[i] = field_from_byte(i, rb(c));
}

/* mode: high bit set -> derive from an earlier transaction, replacing
 * the fields selected by a mask byte. */
static void read_message_fields(ctx *c, fields *fl)
{
    uint8_t mode = rb(c);
    if ((mode & 0x80) && c->ne) {
        *fl = c->e[rb(c) % c->ne].fl;
        uint8_t mask = rb(c);
        for (int i = 0; i < 8; i++)
            if (mask & (1u << i))
                fl->f[i] = field_from_byte(i, rb(c));
    } else {
        read_fields(c, fl);
    }
}

static void op_start(ctx *c)
{
    fields fl;
    read_fields(c, &fl);
    bool reliable = reliable_byte(c);
    if (c->ne == MAXT)
        return;
    siphon_msg *req = build(&fl, 0);
    const char *br = f_branch(&fl);
    int want = 0;
    if (siphon_msg_method_id(req) == SIPHON_METHOD_ACK || !br ||
        !f_has_via(&fl) ||
        strcmp(f_cseq_method(&fl), f_method(&fl)) != 0) {
        want = SIPHON_EINVAL;
    } else {
        for (size_t i = 0; i < c->ne; i++) {
            const ent *e = &c->e[i];
            if (e->live && !is_server(e->kind) &&
                e->state != SIPHON_TXN_TERMINATED &&
                strcasecmp(f_branch(&e->fl), br) == 0 &&
                strcmp(f_method(&e->fl), f_method(&fl)) == 0)
                want = SIPHON_EDUP;
        }
    }
    ent *slot = &c->e[c->ne]; /* the user of the transaction to be */
    static char poison; /* *out must be overwritten, even on failure */
    siphon_txn *t = (siphon_txn *)&poison;
    int rc = siphon_txn_client_start(c->l, req, reliable, slot, c->now, &t);
    if (rc != want)
        fuzz_fail("[txn-start-rc] client_start(%s, branch %s) returned %d "
                  "(%s), the model expects %d",
                  f_method(&fl), br ? br : "(none)", rc, siphon_errname(rc),
                  want);
    if (rc == 0) {
        if (!t)
            fuzz_fail("[txn-start-rc] client_start gave no handle");
        siphon_txn_kind k = siphon_msg_method_id(req) == SIPHON_METHOD_INVITE
                                ? SIPHON_TXN_ICT
                                : SIPHON_TXN_NICT;
        observe(c, BY_NONE, 0, 0, false); /* before it is known */
        add_ent(c, t, k, req, &fl, reliable, slot);
        observe(c, BY_TARGET, c->ne - 1, c->e[c->ne - 1].state, false);
    } else {
        if (t)
            fuzz_fail("[txn-start-rc] a failed client_start left *out set");
        observe(c, BY_NONE, 0, 0, false);
    }
    siphon_msg_unref(req);
}

/* The client transaction a response goes to (§17.1.3): branch (without
 * case) and CSeq method equal to the request's method. */
static size_t model_client_match(const ctx *c, const fields *fl)
{
    const char *br = f_branch(fl);
    if (!br || !f_has_via(fl))
        return SIZE_MAX;
    for (size_t i = 0; i < c->ne; i++) {
        const ent *e = &c->e[i];
        if (e->live && !is_server(e->kind) &&
            e->state != SIPHON_TXN_TERMINATED &&
            strcasecmp(f_branch(&e->fl), br) == 0 &&
            strcmp(f_method(&e->fl), f_cseq_method(fl)) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Hand one message to the layer and check what it did. */
static void receive(ctx *c, siphon_msg *m, const fields *fl, int status,
                    bool reliable)
{
    if (c->nr == MAXRX) {
        siphon_msg_unref(m);
        return;
    }
    rx *r = &c->r[c->nr++];
    r->m = m; /* takes the caller's reference */
    r->fl = *fl;
    r->status = status;
    r->reliable = reliable;
    r->at = c->now;
    bool is_req = status == 0;
    int want = 0;
    if (!f_has_via(fl) ||
        (is_req && strcmp(f_cseq_method(fl), f_method(fl)) != 0))
        want = SIPHON_EINVAL;

    size_t target = SIZE_MAX;
    siphon_txn_state to = SIPHON_TXN_TERMINATED;
    if (!is_req && want == 0) {
        target = model_client_match(c, fl);
        if (target == SIZE_MAX) {
            c->stray_resp_expected++;
        } else {
            ent *e = &c->e[target];
            bool prov = status < 200, ok = status >= 200 && status < 300;
            to = e->state;
            if (e->kind == SIPHON_TXN_ICT) {
                if (e->state == SIPHON_TXN_CALLING ||
                    e->state == SIPHON_TXN_PROCEEDING) {
                    e->resp_expected++;
                    if (prov)
                        to = SIPHON_TXN_PROCEEDING;
                    else if (ok)
                        to = SIPHON_TXN_ACCEPTED;
                    else {
                        e->may_ack = true;
                        to = e->reliable ? SIPHON_TXN_TERMINATED
                                         : SIPHON_TXN_COMPLETED;
                    }
                } else if (e->state == SIPHON_TXN_ACCEPTED && ok) {
                    e->resp_expected++;
                }
            } else if (e->state == SIPHON_TXN_TRYING ||
                       e->state == SIPHON_TXN_PROCEEDING) {
                e->resp_expected++;
                to = prov ? SIPHON_TXN_PROCEEDING
                     : e->reliable ? SIPHON_TXN_TERMINATED
                                   : SIPHON_TXN_COMPLETED;
            }
        }
    } else if (want == 0 && siphon_msg_method_id(m) == SIPHON_METHOD_CANCEL) {
        siphon_txn *f = siphon_txn_find_cancelled(c->l, m);
        if (f && (siphon_txn_kind_of(f) != SIPHON_TXN_IST ||
                  siphon_txn_state_of(f) == SIPHON_TXN_TERMINATED))
            fuzz_fail("[txn-find-cancelled] CANCEL refers to a %s in %s",
                      kname(siphon_txn_kind_of(f)),
                      sname(siphon_txn_state_of(f)));
    }

    int rc = siphon_txn_receive(c->l, m, reliable, r, c->now);
    if (rc != want) {
        fuzz_dump("received", siphon_msg_bytes(m).p, siphon_msg_bytes(m).len);
        fuzz_fail("[txn-receive-rc] receive returned %d (%s), expected %d", rc,
                  siphon_errname(rc), want);
    }
    if (rc != 0)
        observe(c, BY_NONE, 0, 0, false);
    else if (!is_req)
        observe(c, target == SIZE_MAX ? BY_NONE : BY_TARGET, target, to, false);
    else
        observe(c, BY_REQ, 0, 0,
                siphon_msg_method_id(m) == SIPHON_METHOD_ACK);
}

static void op_recv(ctx *c, bool response)
{
    fields fl;
    read_message_fields(c, &fl);
    int status = response ? rx_statuses[rb(c) % N(rx_statuses)] : 0;
    bool reliable = reliable_byte(c);
    receive(c, build(&fl, status), &fl, status, reliable);
}

static void op_again(ctx *c)
{
    uint8_t k = rb(c);
    bool reliable = reliable_byte(c);
    if (!c->nr)
        return;
    rx *r = &c->r[k % c->nr];
    fields fl = r->fl;
    receive(c, siphon_msg_ref(r->m), &fl, r->status, reliable);
}

/* A handle the script may use: a live one, or the one whose TERMINATED
 * event the last poll returned. Returns its index, or SIZE_MAX. */
static size_t pick_handle(ctx *c, uint8_t b)
{
    size_t live = 0;
    for (size_t i = 0; i < c->ne; i++)
        live += c->e[i].live;
    size_t n = live + (c->just_term != NULL);
    if (!n)
        return SIZE_MAX;
    size_t k = b % n;
    for (size_t i = 0; i < c->ne; i++)
        if (c->e[i].live && k-- == 0)
            return i;
    return c->just_term_idx;
}

static siphon_txn *handle_of(const ctx *c, size_t i)
{
    return c->e[i].live ? c->e[i].t : c->just_term;
}

static void respond(ctx *c, size_t i, siphon_msg *res)
{
    ent *e = &c->e[i];
    siphon_txn *t = handle_of(c, i);
    siphon_txn_state s = siphon_txn_state_of(t);
    if (siphon_txn_request(t) != e->req)
        fail_ent(c, i, "txn-accessor", "siphon_txn_request changed");
    int st = siphon_msg_status(res);
    const siphon_cseq *cs = siphon_msg_cseq(res);
    bool same = cs && siphon_str_eq(cs->method, siphon_msg_method(e->req));
    int want = 0;
    siphon_txn_state to = s;
    if (!is_server(e->kind) || !same)
        want = SIPHON_EINVAL;
    else if (s == SIPHON_TXN_TERMINATED)
        want = SIPHON_ESTATE;
    else if (e->kind == SIPHON_TXN_IST) {
        if (s == SIPHON_TXN_PROCEEDING)
            to = st < 200   ? SIPHON_TXN_PROCEEDING
                 : st < 300 ? SIPHON_TXN_ACCEPTED
                            : SIPHON_TXN_COMPLETED;
        else if (!(s == SIPHON_TXN_ACCEPTED && st >= 200 && st < 300))
            want = SIPHON_ESTATE;
    } else {
        if (s == SIPHON_TXN_TRYING || s == SIPHON_TXN_PROCEEDING)
            to = st < 200       ? SIPHON_TXN_PROCEEDING
                 : e->reliable ? SIPHON_TXN_TERMINATED
                               : SIPHON_TXN_COMPLETED;
        else
            want = SIPHON_ESTATE;
    }
    if (c->ns < MAXRESP) {
        c->s[c->ns].m = siphon_msg_ref(res);
        c->s[c->ns].owner = want == 0 ? (int)i : -1;
        c->ns++;
    } else if (want == 0) {
        siphon_msg_unref(res);
        return; /* could not track what it sends */
    }
    int rc = siphon_txn_respond(c->l, t, res, c->now);
    siphon_msg_unref(res);
    /* A response to another method is refused; which refusal comes first
     * on a terminated handle is not specified. */
    bool ok = rc == want ||
              (same == false && is_server(e->kind) && rc == SIPHON_ESTATE);
    if (!ok) {
        fprintf(stderr, "status %d\n", st);
        fail_ent(c, i, "txn-respond-rc", rc == 0 ? "respond accepted"
                                                 : "respond refused wrongly");
    }
    if (rc != 0 && c->ns && c->s[c->ns - 1].owner == (int)i)
        c->s[c->ns - 1].owner = -1;
    if (!e->live) { /* the just-terminated handle */
        if (siphon_txn_state_of(t) != SIPHON_TXN_TERMINATED)
            fail_ent(c, i, "txn-term-state", "a terminated handle came back");
        observe(c, BY_NONE, 0, 0, false);
    } else if (rc == 0) {
        observe(c, BY_TARGET, i, to, false);
    } else {
        observe(c, BY_NONE, 0, 0, false);
    }
}

static void op_respond(ctx *c)
{
    uint8_t sel = rb(c), stb = rb(c), src = rb(c), tag = rb(c);
    size_t i = pick_handle(c, sel);
    if (i == SIZE_MAX)
        return;
    siphon_msg *req = (src & 0x80) ? c->e[(src & 0x7f) % c->ne].req
                                   : siphon_txn_request(handle_of(c, i));
    siphon_msgb *b = siphon_msgb_response_to(
        req, tu_statuses[stb % N(tu_statuses)], SIPHON_STR_NULL,
        siphon_str_c(tu_tags[tag % N(tu_tags)]));
    if (!b)
        fuzz_fail("[txn-harness] siphon_msgb_response_to failed");
    respond(c, i, fuzz_build_or_die("txn-harness", "response", b));
}

static void op_transport_error(ctx *c)
{
    size_t i = pick_handle(c, rb(c));
    if (i == SIZE_MAX)
        return;
    ent *e = &c->e[i];
    siphon_txn *t = handle_of(c, i);
    siphon_txn_state s = siphon_txn_state_of(t);
    int want = s == SIPHON_TXN_TERMINATED ? SIPHON_ESTATE : 0;
    bool stays = e->kind == SIPHON_TXN_IST && s == SIPHON_TXN_ACCEPTED;
    int rc = siphon_txn_transport_error(c->l, t, c->now);
    if (rc != want)
        fail_ent(c, i, "txn-terr-rc", "transport_error returned wrongly");
    if (rc == 0) {
        e->terr_calls++;
        e->terr_last_ends = !stays;
        observe(c, BY_TARGET, i, stays ? s : SIPHON_TXN_TERMINATED, false);
    } else {
        observe(c, BY_NONE, 0, 0, false);
    }
}

/* Fire every timer up to target, one instant at a time. */
static void advance_to(ctx *c, uint64_t target)
{
    for (;;) {
        uint64_t d = siphon_txn_next_deadline(c->l);
        if (!fuzz_due("txn-deadline-past", d, target, &c->now))
            break;
        fuzz_count_fired("txn-tick", "txn-timer-storm",
                         siphon_txn_tick(c->l, d), &c->fired, 1000000);
        observe(c, BY_TICK, 0, 0, false);
        if (siphon_txn_next_deadline(c->l) <= d)
            fuzz_fail("[txn-deadline-past] a timer is still due after tick");
    }
    c->now = target;
    observe(c, BY_NONE, 0, 0, false);
}

static void op_advance(ctx *c)
{
    uint8_t b = rb(c);
    const siphon_txn_config *k = &c->cfg;
    uint64_t t1 = k->t1_ms, dt;
    switch (b % 16) {
    case 0: dt = 0; break;
    case 1: dt = 1; break;
    case 2: dt = t1 - 1; break;
    case 3: dt = t1; break;
    case 4: dt = t1 + 1; break;
    case 5: dt = 2 * t1; break;
    case 6: dt = k->t2_ms; break;
    case 7: dt = k->t4_ms; break;
    case 8: dt = k->trying_ms == SIPHON_TXN_NO_AUTO_100 ? 200 : k->trying_ms;
        break;
    case 9: dt = 32 * t1; break;
    case 10: dt = 64 * t1 - 1; break;
    case 11: dt = 64 * t1; break;
    case 12: dt = k->d_ms; break;
    case 13: dt = k->d_ms + 1; break;
    case 14: dt = (uint64_t)(b >> 4) * t1; break;
    default: dt = (uint64_t)(b >> 4) * 97; break;
    }
    advance_to(c, c->now + dt);
}

static void op_drain(ctx *c)
{
    uint8_t b = rb(c);
    if (b & 3) {
        drain(c);
        return;
    }
    for (int k = (b >> 2) % 8 + 1; k > 0 && poll_one(c); k--)
        ;
    /* The handle of the TERMINATED event just returned is still valid. */
    if (c->just_term &&
        siphon_txn_state_of(c->just_term) != SIPHON_TXN_TERMINATED)
        fuzz_fail("[txn-term-state] a just-terminated handle is not "
                  "TERMINATED");
}

/* ---- the end: every transaction must end in bounded time --------------- */

static void finish(ctx *c)
{
    drain(c);
    /* The TU gives every server transaction that waits for it a final
     * response; the peer every ICT in PROCEEDING (which has no timer). */
    for (size_t i = 0; i < c->ne; i++) {
        ent *e = &c->e[i];
        if (!e->live)
            continue;
        bool alt = i & 1;
        if ((e->kind == SIPHON_TXN_IST && e->state == SIPHON_TXN_PROCEEDING) ||
            (e->kind == SIPHON_TXN_NIST &&
             (e->state == SIPHON_TXN_TRYING ||
              e->state == SIPHON_TXN_PROCEEDING))) {
            siphon_msgb *b = siphon_msgb_response_to(
                e->req, alt ? 200 : (e->kind == SIPHON_TXN_IST ? 487 : 404),
                SIPHON_STR_NULL, SIPHON_STR_LIT("end"));
            siphon_msg *res = NULL;
            siphon_perr err;
            if (!b || siphon_msgb_finish(b, &res, &err) < 0)
                fuzz_fail("[txn-harness] cannot build the final response");
            siphon_msgb_free(b);
            respond(c, i, res);
        } else if (e->kind == SIPHON_TXN_ICT &&
                   e->state == SIPHON_TXN_PROCEEDING) {
            int st = alt ? 200 : 487;
            receive(c, build(&e->fl, st), &e->fl, st, false);
        }
        if (e->live && e->state != SIPHON_TXN_TERMINATED &&
            deadline(c, e) == UINT64_MAX)
            fail_ent(c, i, "txn-end-wait", "still waits after the final");
        drain(c);
    }
    uint64_t b = c->bound;
    advance_to(c, c->now + b);
    drain(c);
    if (siphon_txn_count(c->l) != 0 ||
        siphon_txn_next_deadline(c->l) != UINT64_MAX) {
        for (size_t i = 0; i < c->ne; i++)
            if (c->e[i].live)
                fail_ent(c, i, "txn-never-ends",
                         "alive after max(64*T1, D, T4) without input");
        fuzz_fail("[txn-never-ends] count %zu, next deadline %llu at the end",
                  siphon_txn_count(c->l),
                  (unsigned long long)siphon_txn_next_deadline(c->l));
    }
    for (size_t i = 0; i < c->ne; i++) {
        ent *e = &c->e[i];
        if (e->timeouts != (unsigned)e->timeout_expected)
            fail_ent(c, i, "txn-timeout-count",
                     e->timeouts ? "TIMEOUT without Timer B/F/H"
                                 : "Timer B/F/H fired without TIMEOUT");
        if (is_server(e->kind))
            continue;
        if (e->req_sends < 1 || (e->reliable && e->req_sends != 1) ||
            (e->kind == SIPHON_TXN_ICT && e->req_sends > 7)) {
            fprintf(stderr, "sent %u times\n", e->req_sends);
            fail_ent(c, i, "txn-retransmit", "wrong number of request sends");
        }
    }
}

/* ---- entry point ---------------------------------------------------------- */

static const siphon_txn_config presets[4] = {
    {.t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000, .d_ms = 32000,
     .trying_ms = 200},
    {.t1_ms = 100, .t2_ms = 400, .t4_ms = 500, .d_ms = 6400, .trying_ms = 0},
    {.t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000, .d_ms = 32000,
     .trying_ms = SIPHON_TXN_NO_AUTO_100},
    {.t1_ms = 1, .t2_ms = 4, .t4_ms = 5, .d_ms = 64, .trying_ms = 1},
};

/* Contracts of txn.h that need no script: names are never NULL, NULL
 * layers and handles are refused. */
static void check_api_edges(void)
{
    for (int i = -1; i <= 16; i++) {
        if (!siphon_txn_kind_name((siphon_txn_kind)i) ||
            !siphon_txn_state_name((siphon_txn_state)i) ||
            !siphon_txn_timer_name((siphon_txn_timer)i) ||
            !siphon_txn_event_name((siphon_txn_event_type)i))
            fuzz_fail("[txn-names] a name function returned NULL for %d", i);
        fuzz_touch_cstr(siphon_txn_kind_name((siphon_txn_kind)i));
        fuzz_touch_cstr(siphon_txn_state_name((siphon_txn_state)i));
        fuzz_touch_cstr(siphon_txn_timer_name((siphon_txn_timer)i));
        fuzz_touch_cstr(siphon_txn_event_name((siphon_txn_event_type)i));
    }
    siphon_txn_event ev;
    if (siphon_txn_count(NULL) != 0 ||
        siphon_txn_next_deadline(NULL) != UINT64_MAX ||
        siphon_txn_poll(NULL, &ev) ||
        siphon_txn_tick(NULL, 0) != SIPHON_EINVAL ||
        siphon_txn_receive(NULL, NULL, false, NULL, 0) != SIPHON_EINVAL ||
        siphon_txn_transport_error(NULL, NULL, 0) != SIPHON_EINVAL ||
        siphon_txn_client_start(NULL, NULL, false, NULL, 0, NULL) !=
            SIPHON_EINVAL ||
        siphon_txn_find_cancelled(NULL, NULL) != NULL)
        fuzz_fail("[txn-null] a NULL layer was not refused");
    siphon_txn_layer_free(NULL);
    if (siphon_txn_sizeof() == 0)
        fuzz_fail("[txn-null] siphon_txn_sizeof() is 0");
}

static void release(ctx *c)
{
    for (size_t i = 0; i < c->ne; i++)
        siphon_msg_unref(c->e[i].req);
    for (size_t i = 0; i < c->nr; i++)
        siphon_msg_unref(c->r[i].m);
    for (size_t i = 0; i < c->ns; i++)
        siphon_msg_unref(c->s[i].m);
    c->ne = c->nr = c->ns = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ctx *c = &C;
    fuzz_script_init(&c->in, data, size);
    c->ne = c->nr = c->ns = 0;
    c->just_term = NULL;
    c->stray_resp_expected = c->stray_resp_seen = 0;
    c->fired = 0;
    uint8_t cfgb = rb(c);
    c->cfg = presets[cfgb % 4];
    c->now = (cfgb & 4) ? 1000000000000ull : 0;
    uint64_t t64 = 64ull * c->cfg.t1_ms;
    c->bound = t64;
    if (c->cfg.d_ms > c->bound)
        c->bound = c->cfg.d_ms;
    if (c->cfg.t4_ms > c->bound)
        c->bound = c->cfg.t4_ms;
    check_api_edges();
    /* Zero T1/T2/T4 mean the defaults (txn.h); the model reads c->cfg. */
    siphon_txn_config given = c->cfg;
    if (cfgb & 8) {
        siphon_txn_config def = SIPHON_TXN_CONFIG_DEFAULT;
        if (c->cfg.t1_ms == def.t1_ms)
            given.t1_ms = 0;
        if (c->cfg.t2_ms == def.t2_ms)
            given.t2_ms = 0;
        if (c->cfg.t4_ms == def.t4_ms)
            given.t4_ms = 0;
    }
    c->l = siphon_txn_layer_new((cfgb & 16) && cfgb % 4 == 0 ? NULL : &given);
    if (!c->l)
        return 0;
    if (siphon_txn_count(c->l) != 0 ||
        siphon_txn_next_deadline(c->l) != UINT64_MAX)
        fuzz_fail("[txn-new] a new layer is not empty");

    int op;
    while ((op = fuzz_op(&c->in, MAX_OPS)) >= 0) {
        switch (op % 8) {
        case 0: op_start(c); break;
        case 1: op_recv(c, false); break;
        case 2: op_recv(c, true); break;
        case 3: op_respond(c); break;
        case 4: op_advance(c); break;
        case 5: op_transport_error(c); break;
        case 6: op_drain(c); break;
        default: op_again(c); break;
        }
    }
    if (op != FUZZ_OP_QUIT)
        finish(c);
    siphon_txn_layer_free(c->l);
    c->l = NULL;
    release(c);
    return 0;
}
