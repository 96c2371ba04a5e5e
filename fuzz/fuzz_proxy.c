/*
 * fuzz_proxy.c -- fuzz harness for the stateful proxy core (lib/proxy,
 * RFC 3261 §16).
 *
 * The input is a script. Its first byte picks the configuration (bit 0:
 * Record-Route; bit 1: recursion on 3xx; bit 2: loop detection off; bits
 * 3-4: max_branches 1, 2, 4 or 8; bits 5-6: max_contexts 1, 2, 4 or 8;
 * bit 7: Timer C 1 s instead of 185 s). Then each op is an opcode byte and
 * its operands (bytes past the end read as 0):
 *
 *   op % 8  what
 *   0       a request arrives from upstream: method, Request-URI and
 *           Route variant, Max-Forwards, Proxy-Require, with or without a
 *           server transaction; if it yields a context: up to 5 targets
 *           with q-values, or a reject
 *   1       a response to one of the forwarded branches: branch, status
 *           (100 ... 699), To tag, 3xx Contacts / challenges
 *   2       time advances, timers fire
 *   3       upstream CANCELs one of its requests
 *   4       a branch's client transaction fails (timeout or transport)
 *   5       the response to a CANCEL the proxy sent
 *   6       a forwarded request comes back to the proxy (a loop or a
 *           spiral, with a new Request-URI)
 *   7       a 2xx to a branch again (a retransmission)
 *   0xFF    free the proxy with events queued and contexts live, stop
 *
 * After every op the events are drained and checked against a model of
 * every upstream request:
 *   - a request gets at most one non-2xx final through its server
 *     transaction, and nothing final after it (so never a 6xx followed
 *     by another final); only an INVITE gets more than one 2xx;
 *   - 100 never goes up; a 503 never goes up through a server
 *     transaction (§16.7 step 6 makes it 500); our Via never goes up;
 *   - DONE carries the first final sent, comes once, and then nothing
 *     names that server transaction; every branch of the request then
 *     has a final, a failure, a CANCEL, or never answered at all;
 *   - every FORWARD has Max-Forwards one less than received (70 when
 *     absent) and our Via on top with a z9hG4bK branch; a CANCEL_BRANCH
 *     only follows a provisional on an INVITE branch, once per branch;
 *   - return codes are documented ones;
 *   - at the end every branch fails (as Timer B/F would make it), time
 *     runs on, and then every request has had exactly one final, every
 *     context is DONE, and no timer runs;
 *   - memory: LeakSanitizer in the replay build.
 * Failures abort through fuzz_fail() with "[proxy-...]" ids;
 * SIPHON_FUZZ_TRACE=1 prints every event.
 */
#include "fuzz_common.h"

#include <siphon/msg.h>
#include <siphon/proxy.h>

enum {
    MAX_OPS = 256,
    MAXREQ = 64,   /* upstream requests per input */
    MAXBR = 256,   /* forwarded branches per input */
    MAXCAN = 64    /* CANCELs from upstream, and CANCELs we sent */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const methods[] = {"INVITE", "INVITE", "MESSAGE",
                                      "OPTIONS", "BYE", "REGISTER", "ACK",
                                      "INVITE"};
/* Request-URI | Route header (or NULL) */
static const char *const ruris[][2] = {
    {"sip:bob@b.example.com", NULL},
    {"sips:bob@b.example.com", NULL},
    {"tel:+15551234", NULL},
    {"im:bob@b.example.com", NULL},
    {"sip:proxy.example.com;lr", "<sip:p2.example.com;lr>, <sip:bob@pc.example.com>"},
    {"sip:bob@b.example.com", "<sip:proxy.example.com;lr>"},
    {"sip:bob@b.example.com", "<sip:proxy.example.com;lr>, <sip:p2.example.com;lr>"},
    {"sip:bob@b.example.com", "<sip:other.example.com;lr>"},
    {"sip:proxy.example.com", NULL},
    {"sip:bob@b.example.com", "<sip:proxy.example.com;lr>, <sip:strict.example.com>"},
};
static const int mfs[] = {70, 1, 0, -1, 255, 2};
static const char *const preqs[] = {NULL, "foo", "bar", "foo, baz"};
static const char *const targets[] = {
    "sip:bob@t1.example.com", "sip:bob@t2.example.com",
    "sip:bob@t3.example.com", "sips:bob@t4.example.com",
    "sip:bob@T1.EXAMPLE.COM", "tel:+15550000",
    "sip:bob@t5.example.com;transport=tcp", "not a uri"};
/* A target's own Route: none, a loose router, a strict one (§16.6 6). */
static const char *const routes[4] = {NULL, NULL, "sip:ob.example.com;lr",
                                      "sip:strict.example.com"};
static const int qs[] = {-1, 0, 500, 1000, 800, 500, 1001, 100};
static const int statuses[] = {100, 180, 183, 199, 200, 202, 299, 300, 302,
                               401, 404, 407, 408, 480, 486, 487, 500, 503,
                               600, 603, 699};
static const uint64_t deltas[] = {0, 1, 100, 500, 999, 1000, 32000, 64000,
                                  185000, 200000};

/* ---- the model ----------------------------------------------------------- */

typedef struct ureq {
    siphon_msg *msg;
    bool used;
    bool stateful;       /* has a server transaction */
    bool invite;
    int mf;              /* as received, -1 absent */
    int first_final;     /* first final status sent up, 0 none */
    int n2xx;
    bool done;
    bool expect_done;    /* a context was made */
} ureq;

typedef struct fbranch {
    siphon_msg *msg;     /* the forwarded request */
    size_t req;          /* index into reqs */
    uint32_t id;
    bool invite;
    bool prov, final, failed, cancelled;
    siphon_msg *last2xx;
} fbranch;

typedef struct ctx {
    siphon_proxy *px;
    siphon_proxy_config cfg;
    uint64_t now;
    fuzz_script in;
    ureq reqs[MAXREQ];
    size_t nreq;
    fbranch br[MAXBR];
    size_t nbr;
    siphon_msg *cancels[MAXCAN]; /* CANCELs the proxy sent */
    size_t ncan;
    int cancel_answers[MAXCAN];
    size_t nucan;
} ctx;

static ctx C;

static uint8_t rb(ctx *c)
{
    return fuzz_byte(&c->in);
}

static int mf_of(siphon_msg *m)
{
    const void *hv = NULL;
    if (siphon_msg_typed(m, SIPHON_HDR_MAX_FORWARDS, &hv, NULL) < 0)
        return -1;
    const siphon_hval *v = hv;
    return v && v->has_num ? (int)v->num : -1;
}

static bool via_is_ours(siphon_msg *m)
{
    const siphon_via *v = siphon_msg_via(m);
    return v && siphon_str_caseeq_c(v->host, "proxy.example.com");
}

/* Which upstream request a server handle is. */
static ureq *req_of(ctx *c, void *server)
{
    uintptr_t p = (uintptr_t)server, b = (uintptr_t)c->reqs;
    if (p >= b && p < b + sizeof c->reqs)
        return &c->reqs[(p - b) / sizeof c->reqs[0]];
    return NULL;
}

static int *cancel_of(ctx *c, void *server)
{
    uintptr_t p = (uintptr_t)server, b = (uintptr_t)c->cancel_answers;
    if (p >= b && p < b + sizeof c->cancel_answers)
        return &c->cancel_answers[(p - b) / sizeof c->cancel_answers[0]];
    return NULL;
}

static fbranch *branch_of(ctx *c, uint32_t id)
{
    for (size_t i = 0; i < c->nbr; i++)
        if (c->br[i].id == id)
            return &c->br[i];
    return NULL;
}

static void check_done(ctx *c, ureq *u, size_t ui)
{
    for (size_t i = 0; i < c->nbr; i++) {
        fbranch *b = &c->br[i];
        if (b->req != ui)
            continue;
        if (!b->final && !b->failed && !b->cancelled && b->prov && b->invite &&
            u->first_final && !fuzz_skipped("proxy-done-branch"))
            fuzz_fail("[proxy-done-branch] DONE with branch %u ringing, "
                      "neither answered nor CANCELled", (unsigned)b->id);
    }
}

static void drain(ctx *c)
{
    siphon_proxy_event ev;
    while (siphon_proxy_poll(c->px, &ev)) {
        if (fuzz_tracing())
            fprintf(stderr, "  %s branch=%u status=%d server=%p\n",
                    siphon_proxy_event_name(ev.type), (unsigned)ev.branch,
                    ev.status, ev.server);
        if (ev.msg)
            fuzz_touch(siphon_msg_bytes(ev.msg));
        fuzz_touch(ev.next_hop);
        ureq *u = req_of(c, ev.server);
        size_t ui = u ? (size_t)(u - c->reqs) : 0;
        switch (ev.type) {
        case SIPHON_PROXY_EV_FORWARD: {
            if (!ev.msg || !siphon_msg_is_request(ev.msg))
                fuzz_fail("[proxy-forward] FORWARD without a request");
            if (!via_is_ours(ev.msg))
                fuzz_fail("[proxy-via] forwarded without our Via on top");
            const siphon_via *v = siphon_msg_via(ev.msg);
            if (!v->has_branch || v->branch.len < 8 ||
                memcmp(v->branch.p, "z9hG4bK", 7) != 0)
                fuzz_fail("[proxy-via] branch without the magic cookie");
            if (ev.next_hop.len == 0)
                fuzz_fail("[proxy-forward] no next hop");
            if (u) {
                int want = u->mf < 0 ? 70 : u->mf - 1;
                if (mf_of(ev.msg) != want &&
                    !fuzz_skipped("proxy-max-forwards"))
                    fuzz_fail("[proxy-max-forwards] %d forwarded, %d received",
                              mf_of(ev.msg), u->mf);
                if (u->done)
                    fuzz_fail("[proxy-after-done] FORWARD after DONE");
                if (ev.branch == 0)
                    fuzz_fail("[proxy-forward] stateful FORWARD with branch 0");
                if (c->nbr < MAXBR) {
                    fbranch *b = &c->br[c->nbr++];
                    memset(b, 0, sizeof *b);
                    b->msg = siphon_msg_ref(ev.msg);
                    b->req = ui;
                    b->id = ev.branch;
                    b->invite = siphon_msg_method_id(ev.msg) ==
                                SIPHON_METHOD_INVITE;
                }
            } else if (ev.branch != 0 || ev.server) {
                fuzz_fail("[proxy-forward] stateless FORWARD with a branch");
            } else if (mf_of(ev.msg) < 0) {
                fuzz_fail("[proxy-max-forwards] stateless without one");
            }
            break;
        }
        case SIPHON_PROXY_EV_RESPOND: {
            if (!ev.msg || siphon_msg_is_request(ev.msg))
                fuzz_fail("[proxy-respond] RESPOND without a response");
            int st = siphon_msg_status(ev.msg);
            if (st != ev.status)
                fuzz_fail("[proxy-respond] status %d, event says %d", st,
                          ev.status);
            if (st == 100)
                fuzz_fail("[proxy-100] a 100 went up");
            int *ca = cancel_of(c, ev.server);
            if (ca) {
                if (*ca || (st != 200 && st != 481))
                    fuzz_fail("[proxy-cancel] CANCEL answered %d after %d", st,
                              *ca);
                *ca = st;
                break;
            }
            if (!u)
                break; /* stateless */
            /* (a request that came back to us has our Via on top) */
            if (via_is_ours(ev.msg) && !via_is_ours(u->msg))
                fuzz_fail("[proxy-via] our Via went up");
            if (u->done)
                fuzz_fail("[proxy-after-done] RESPOND %d after DONE", st);
            if (st < 200)
                break;
            if (st == 503)
                fuzz_fail("[proxy-503] a 503 went up (§16.7 step 6)");
            if (u->first_final >= 300)
                fuzz_fail("[proxy-one-final] %d after final %d", st,
                          u->first_final);
            if (st >= 300 && u->first_final)
                fuzz_fail("[proxy-one-final] %d after 2xx", st);
            if (st < 300 && u->n2xx && !u->invite)
                fuzz_fail("[proxy-one-final] second 2xx to a non-INVITE");
            if (st < 300)
                u->n2xx++;
            if (!u->first_final)
                u->first_final = st;
            break;
        }
        case SIPHON_PROXY_EV_CANCEL_BRANCH: {
            fbranch *b = branch_of(c, ev.branch);
            if (!b)
                fuzz_fail("[proxy-cancel] CANCEL of unknown branch %u",
                          (unsigned)ev.branch);
            if (!b->invite || !b->prov || b->cancelled)
                fuzz_fail("[proxy-cancel] CANCEL of branch %u (invite %d "
                          "provisional %d cancelled %d)",
                          (unsigned)b->id, b->invite, b->prov, b->cancelled);
            if (!ev.msg ||
                siphon_msg_method_id(ev.msg) != SIPHON_METHOD_CANCEL)
                fuzz_fail("[proxy-cancel] CANCEL_BRANCH without a CANCEL");
            b->cancelled = true;
            if (c->ncan < MAXCAN)
                c->cancels[c->ncan++] = siphon_msg_ref(ev.msg);
            break;
        }
        case SIPHON_PROXY_EV_DONE:
            if (!u)
                fuzz_fail("[proxy-done] DONE for no request");
            if (u->done)
                fuzz_fail("[proxy-done] DONE twice");
            if (ev.status != u->first_final)
                fuzz_fail("[proxy-done] DONE(%d), first final %d", ev.status,
                          u->first_final);
            if (!u->first_final)
                fuzz_fail("[proxy-done] DONE without a final response");
            u->done = true;
            check_done(c, u, ui);
            break;
        }
        siphon_msg_unref(ev.msg);
    }
}

/* ---- ops ------------------------------------------------------------------- */

static void op_request(ctx *c)
{
    uint8_t a = rb(c), b = rb(c), d = rb(c);
    if (c->nreq >= MAXREQ)
        return;
    size_t k = c->nreq++;
    ureq *u = &c->reqs[k];
    const char *method = methods[a % N(methods)];
    const char *const *ru = ruris[(a >> 3) % N(ruris)];
    int mf = mfs[(b & 7) % N(mfs)];
    const char *pr = preqs[(b >> 3) % N(preqs)];
    bool stateful = !(b & 0x80);
    char t[2048];
    char mfl[32] = "", route[256] = "", prl[64] = "";
    if (mf >= 0)
        snprintf(mfl, sizeof mfl, "Max-Forwards: %d\r\n", mf);
    if (ru[1])
        snprintf(route, sizeof route, "Route: %s\r\n", ru[1]);
    if (pr)
        snprintf(prl, sizeof prl, "Proxy-Require: %s\r\n", pr);
    int n = snprintf(t, sizeof t,
                     "%s %s SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKup%zu\r\n"
                     "%s%s%s"
                     "From: <sip:alice@a.example.com>;tag=f%zu\r\n"
                     "To: <sip:bob@b.example.com>%s\r\n"
                     "Call-ID: call%zu@a.example.com\r\n"
                     "CSeq: %u %s\r\n"
                     "Content-Length: 0\r\n\r\n",
                     method, ru[0], k, mfl, route, prl, k,
                     (d & 1) ? ";tag=tt" : "", k, 1u + (d >> 4), method);
    u->msg = fuzz_parse_or_die("proxy-harness", t, (size_t)n);
    u->used = true;
    u->stateful = stateful;
    u->invite = strcmp(method, "INVITE") == 0;
    u->mf = mf;
    siphon_proxy_ctx *pc = NULL;
    void *srv = stateful ? (void *)u : NULL;
    int rc = siphon_proxy_receive(c->px, u->msg, srv, NULL, c->now, &pc);
    if (rc != SIPHON_PROXY_HANDLED && rc != SIPHON_PROXY_CONTEXT &&
        rc != SIPHON_ETOOBIG)
        fuzz_fail("[proxy-rc] receive returned %d", rc);
    if (rc == SIPHON_ETOOBIG) {
        u->stateful = false; /* the caller would answer 503 itself */
        return;
    }
    if ((rc == SIPHON_PROXY_CONTEXT) != (pc != NULL))
        fuzz_fail("[proxy-rc] CONTEXT and ctx disagree");
    if (rc == SIPHON_PROXY_CONTEXT && !stateful)
        fuzz_fail("[proxy-rc] a context without a server transaction");
    if (!pc) {
        /* Handled at once (§16.3): a request with a server transaction
         * has its final response now (an ACK has none). */
        drain(c);
        if (stateful && strcmp(method, "ACK") != 0 && !u->first_final)
            fuzz_fail("[proxy-final] %s handled without a response", method);
        return;
    }
    u->expect_done = true;
    if (d & 2) {
        static const int rej[] = {404, 480, 300, 603, 200, 100};
        int st = rej[(d >> 2) % N(rej)];
        rc = siphon_proxy_reject(c->px, pc, st, c->now);
        if (rc != (st >= 300 ? 0 : SIPHON_EINVAL))
            fuzz_fail("[proxy-rc] reject(%d) returned %d", st, rc);
        if (rc == 0)
            return;
    }
    unsigned nt = rb(c) % 6;
    for (unsigned i = 0; i < nt; i++) {
        uint8_t x = rb(c);
        rc = siphon_proxy_add_target(c->px, pc, targets[x % N(targets)],
                                     qs[(x >> 3) % N(qs)],
                                     routes[x >> 6]);
        if (rc != 0 && rc != SIPHON_EPARSE && rc != SIPHON_ETOOBIG)
            fuzz_fail("[proxy-rc] add_target returned %d", rc);
    }
    rc = siphon_proxy_start(c->px, pc, c->now);
    if (rc != 0)
        fuzz_fail("[proxy-rc] start returned %d", rc);
}

static siphon_msg *reply_to(siphon_msg *fwd, int st, const char *tag,
                            uint8_t extra)
{
    siphon_msgb *b = siphon_msgb_response_to(fwd, st, SIPHON_STR_NULL,
                                             siphon_str_c(tag));
    if (!b)
        fuzz_fail("[proxy-harness] response_to failed");
    if (st >= 300 && st < 400 && (extra & 1))
        siphon_msgb_add(b, SIPHON_STR_LIT("Contact"),
                        SIPHON_STR_LIT("<sip:bob@r1.example.com>;q=0.5, "
                                       "<sip:bob@t1.example.com>, *"));
    if (st == 401 || (extra & 2))
        siphon_msgb_add(b, SIPHON_STR_LIT("WWW-Authenticate"),
                        SIPHON_STR_LIT("Digest realm=\"r\", nonce=\"n\""));
    if (st == 407)
        siphon_msgb_add(b, SIPHON_STR_LIT("Proxy-Authenticate"),
                        SIPHON_STR_LIT("Digest realm=\"p\", nonce=\"m\""));
    return fuzz_build_or_die("proxy-harness", "response", b);
}

/* A response from downstream; ENOENT: it matches no branch (any more). */
static void feed_response(ctx *c, siphon_msg *m, const char *what)
{
    int rc = siphon_proxy_response(c->px, m, c->now);
    if (rc != 0 && rc != SIPHON_ENOENT)
        fuzz_fail("[proxy-rc] %s returned %d", what, rc);
    siphon_msg_unref(m);
}

static void op_response(ctx *c, bool again)
{
    uint8_t a = rb(c), s = rb(c), x = rb(c);
    if (!c->nbr)
        return;
    fbranch *b = &c->br[a % c->nbr];
    siphon_msg *m;
    if (again) {
        if (!b->last2xx)
            return;
        m = siphon_msg_ref(b->last2xx);
    } else {
        int st = statuses[s % N(statuses)];
        static const char *const tags[] = {"ta", "tb", "tc"};
        m = reply_to(b->msg, st, st == 100 ? "" : tags[x % 3], x >> 2);
        if (st >= 200 && st < 300) {
            siphon_msg_unref(b->last2xx);
            b->last2xx = siphon_msg_ref(m);
        }
        if (st < 200) /* §9.1: a 100 makes a branch cancellable too */
            b->prov = true;
        if (st >= 200)
            b->final = true;
        /* Timer C ended a branch that never rang: the proxy counts it
         * answered (408), so a later 1xx is not "ringing" any more. */
    }
    feed_response(c, m, "response");
}

static void op_time(ctx *c)
{
    uint8_t a = rb(c);
    uint64_t until = c->now + deltas[a % N(deltas)];
    for (int guard = 0; guard < 10000; guard++) {
        if (!fuzz_due("proxy-timer", siphon_proxy_next_deadline(c->px), until,
                      &c->now))
            break;
        int rc = siphon_proxy_tick(c->px, c->now);
        if (rc < 0)
            fuzz_fail("[proxy-rc] tick returned %d", rc);
        drain(c);
    }
    c->now = until;
}

static void op_cancel(ctx *c)
{
    uint8_t a = rb(c);
    if (!c->nreq || c->nucan >= MAXCAN)
        return;
    ureq *u = &c->reqs[a % c->nreq];
    siphon_msgb *b = siphon_msgb_from_msg(u->msg);
    const siphon_cseq *cs = siphon_msg_cseq(u->msg);
    char v[32];
    snprintf(v, sizeof v, "%u CANCEL", cs ? (unsigned)cs->num : 1u);
    siphon_msgb_set_request_line(b, SIPHON_STR_LIT("CANCEL"),
                                 siphon_msg_ruri_str(u->msg));
    siphon_msgb_set(b, SIPHON_STR_LIT("CSeq"), siphon_str_c(v));
    siphon_msgb_remove(b, SIPHON_STR_LIT("Proxy-Require"), false);
    siphon_msg *m = fuzz_build_or_die("proxy-harness", "CANCEL", b);
    int *srv = &c->cancel_answers[c->nucan++];
    int rc = siphon_proxy_receive(c->px, m, (a & 0x80) ? NULL : srv, NULL,
                                  c->now, NULL);
    if (rc != SIPHON_PROXY_HANDLED)
        fuzz_fail("[proxy-rc] CANCEL receive returned %d", rc);
    siphon_msg_unref(m);
}

static void op_fail(ctx *c)
{
    uint8_t a = rb(c);
    if (!c->nbr)
        return;
    fbranch *b = &c->br[a % c->nbr];
    int rc = siphon_proxy_branch_failed(c->px, b->msg,
                                        (a & 0x80) ? SIPHON_EIO
                                                   : SIPHON_ETIMEDOUT,
                                        c->now);
    if (rc != 0 && rc != SIPHON_ENOENT)
        fuzz_fail("[proxy-rc] branch_failed returned %d", rc);
    b->failed = true;
}

static void op_cancel_answer(ctx *c)
{
    uint8_t a = rb(c);
    if (!c->ncan)
        return;
    siphon_msg *m = reply_to(c->cancels[a % c->ncan], (a & 1) ? 481 : 200,
                             "tc", 0);
    feed_response(c, m, "CANCEL response");
}

static void op_loop(ctx *c)
{
    uint8_t a = rb(c);
    if (!c->nbr || c->nreq >= MAXREQ)
        return;
    fbranch *b = &c->br[a % c->nbr];
    size_t k = c->nreq++;
    ureq *u = &c->reqs[k];
    siphon_msg *m;
    if (a & 0x80) {
        /* A spiral: the next hop changed the Request-URI. */
        siphon_msgb *bb = siphon_msgb_from_msg(b->msg);
        siphon_msgb_set_request_line(bb, siphon_msg_method(b->msg),
                                     SIPHON_STR_LIT("sip:bob@t9.example.com"));
        m = fuzz_build_or_die("proxy-harness", "spiral", bb);
    } else {
        m = siphon_msg_ref(b->msg);
    }
    u->msg = m;
    u->used = true;
    u->stateful = true;
    u->invite = siphon_msg_method_id(m) == SIPHON_METHOD_INVITE;
    u->mf = mf_of(m);
    siphon_proxy_ctx *pc = NULL;
    int rc = siphon_proxy_receive(c->px, m, u, NULL, c->now, &pc);
    if (rc == SIPHON_ETOOBIG) {
        u->stateful = false;
        return;
    }
    if (rc != SIPHON_PROXY_HANDLED && rc != SIPHON_PROXY_CONTEXT)
        fuzz_fail("[proxy-rc] receive returned %d", rc);
    if (!pc)
        return;
    u->expect_done = true;
    if (siphon_proxy_start(c->px, pc, c->now) != 0)
        fuzz_fail("[proxy-rc] start failed");
}

/* ---- the end ------------------------------------------------------------------ */

static void finish(ctx *c)
{
    /* What the transaction layer would do in the end: Timer B/F. */
    for (size_t i = 0; i < c->nbr; i++) {
        c->br[i].failed = true;
        siphon_proxy_branch_failed(c->px, c->br[i].msg, SIPHON_ETIMEDOUT,
                                   c->now);
        drain(c);
    }
    uint64_t end = c->now + 10ull * 185000 + 64ull * 500;
    for (int guard = 0; guard < 100000; guard++) {
        uint64_t d = siphon_proxy_next_deadline(c->px);
        if (d > end)
            break;
        c->now = d;
        siphon_proxy_tick(c->px, d);
        drain(c);
    }
    drain(c);
    if (siphon_proxy_next_deadline(c->px) != UINT64_MAX)
        fuzz_fail("[proxy-timers] a timer still runs at the end");
    if (siphon_proxy_count(c->px) != 0)
        fuzz_fail("[proxy-leftover] %zu contexts never finished",
                  siphon_proxy_count(c->px));
    for (size_t i = 0; i < c->nreq; i++) {
        ureq *u = &c->reqs[i];
        if (u->expect_done && (!u->done || !u->first_final))
            fuzz_fail("[proxy-final] request %zu: DONE %d, final %d", i,
                      u->done, u->first_final);
    }
}

static void reset(ctx *c)
{
    for (size_t i = 0; i < c->nreq; i++)
        siphon_msg_unref(c->reqs[i].msg);
    for (size_t i = 0; i < c->nbr; i++) {
        siphon_msg_unref(c->br[i].msg);
        siphon_msg_unref(c->br[i].last2xx);
    }
    for (size_t i = 0; i < c->ncan; i++)
        siphon_msg_unref(c->cancels[i]);
    memset(c, 0, sizeof *c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ctx *c = &C;
    reset(c);
    fuzz_script_init(&c->in, data, size);
    uint8_t cfgb = rb(c);
    static const char *const sup[] = {"foo", NULL};
    static const size_t mb[4] = {1, 2, 4, 8};
    static const size_t mc[4] = {1, 2, 4, 8};
    siphon_proxy_config cfg = SIPHON_PROXY_CONFIG_DEFAULT;
    cfg.host = "proxy.example.com";
    cfg.record_route = cfgb & 1;
    cfg.recurse = cfgb & 2;
    cfg.loop_detect = !(cfgb & 4);
    cfg.max_branches = mb[(cfgb >> 3) & 3];
    cfg.max_contexts = mc[(cfgb >> 5) & 3];
    cfg.timer_c_ms = (cfgb & 0x80) ? 1000 : 185000;
    cfg.supported = sup;
    c->cfg = cfg;
    c->px = siphon_proxy_new(&cfg);
    if (!c->px)
        fuzz_fail("[proxy-harness] siphon_proxy_new failed");
    int op;
    while ((op = fuzz_op(&c->in, MAX_OPS)) >= 0) {
        fuzz_trace_op(op % 8, c->now);
        switch (op % 8) {
        case 0: op_request(c); break;
        case 1: op_response(c, false); break;
        case 2: op_time(c); break;
        case 3: op_cancel(c); break;
        case 4: op_fail(c); break;
        case 5: op_cancel_answer(c); break;
        case 6: op_loop(c); break;
        case 7: op_response(c, true); break;
        }
        drain(c);
    }
    if (op != FUZZ_OP_QUIT)
        finish(c);
    siphon_proxy_free(c->px);
    c->px = NULL;
    reset(c);
    return 0;
}
