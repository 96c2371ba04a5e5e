/*
 * fuzz_dialog.c -- fuzz harness for the dialog layer (lib/dialog, RFC 3261
 * §12, §13.2.2.4, §13.3.1.4, §14, §15).
 *
 * The input is a script. Its first byte picks the configuration (bits
 * 0-1: T1/T2 presets; bits 2-3: max_dialogs 2, 4, 8 or the default; bit
 * 4: max_routes 2 instead of the default; bit 5: a clock origin of 10^12
 * ms). Then each op is an opcode byte and its operands (bytes past the
 * end read as 0):
 *
 *   op % 10  what
 *   0        a response to one of our INVITEs arrives (UAC): invite,
 *            status, To tag, Record-Route set, Contact, req or NULL
 *   1        an INVITE from the peer arrives and the TU answers it (UAS):
 *            invite, status, our tag, Record-Route set, Contact
 *   2        a request arrives within (or almost within) a dialog:
 *            method, Call-ID, To tag, From tag, CSeq, Contact
 *   3        the TU builds a request in a live dialog: dialog, method,
 *            body
 *   4        a response to a request the TU built arrives: which, status,
 *            req or NULL
 *   5        time advances, timers fire
 *   6        the TU ends a dialog (siphon_dialog_terminate)
 *   7        one of our INVITE client transactions ends
 *   8        the TU answers a request received within a dialog again
 *            (a re-INVITE 2xx: retransmissions)
 *   9        the last 2xx to an INVITE of ours arrives again
 *   0xFF     end every dialog, poll one event, free the set with the
 *            rest still queued, and stop
 *
 * Messages come from a small grammar: two Call-IDs, our From tags f1/f2
 * and peer tags t1/t2/T1 (tags are case-sensitive), CSeq numbers near 1,
 * 2^31 and 2^32, Record-Route sets (none, loose, two loose, a strict
 * router first, unbracketed, a URI that does not parse, more than
 * max_routes, a method parameter and headers), and Contacts (none, sip,
 * sips, "*", unparsable, with headers).
 *
 * After every op the events are drained and a shadow model of every
 * dialog handle is checked:
 *   - states only move EARLY -> CONFIRMED -> TERMINATED; CREATED comes
 *     first and TERMINATED last, and nothing names a dialog after it;
 *   - the route set never changes once the dialog is CONFIRMED;
 *   - the local CSeq strictly increases with every request but ACK, an
 *     ACK carries the CSeq of our last INVITE; the remote CSeq never
 *     decreases; a 500 comes only for a CSeq lower than it;
 *   - a built request carries the dialog's Call-ID and tags, its method
 *     in CSeq, Max-Forwards 70, one Route per route set entry, and its
 *     next hop is a view into it; BYE ends the dialog at once;
 *   - a SEND of a response is a 2xx; NO_ACK is followed by TERMINATED;
 *   - return codes are documented ones, never ENOMEM;
 *   - siphon_dialog_count() is the number of live dialogs;
 *   - at the end, after 64*T1 more without input every timer has ended,
 *     and terminating every dialog leaves the set empty;
 *   - memory: LeakSanitizer in the replay build.
 * Failures abort through fuzz_fail() with "[dialog-...]" ids;
 * SIPHON_FUZZ_TRACE=1 prints every event.
 */
#include "fuzz_common.h"

#include <siphon/dialog.h>
#include <siphon/msg.h>

enum {
    MAX_OPS = 256,
    MAXD = 512,  /* dialogs per input */
    NBUILT = 8   /* requests the TU built, kept for responses */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the message grammar ------------------------------------------------ */

static const char *const callids[] = {"c1@a.example.com", "c2@a.example.com"};
static const char *const ourtags[] = {"f1", "f2"};
static const char *const peertags[] = {NULL, "t1", "t2", "T1"};
static const char *const uastags[] = {"u1", "u2"};
/* Tags an in-dialog request may carry in To and From. */
static const char *const anytags[] = {NULL, "u1", "u2", "f1", "f2", "t1",
                                      "t2", "zz"};
static const unsigned long cseqs[] = {1, 2, 3, 100, 2147483646, 2147483647,
                                      4294967295ul};
static const char *const rrsets[] = {
    NULL,
    "<sip:p1.example.com;lr>",
    "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
    "<sip:p1.example.com>, <sip:p2.example.com;lr>",
    "<sip:p2.example.com;lr>\r\nRecord-Route: <sip:p9.example.com>",
    "sip:p3.example.com;lr",
    "<sip:[bad>",
    "<sip:p4.example.com;lr;method=INVITE?X=y>",
    "<sip:a;lr>, <sip:b;lr>, <sip:c;lr>",
};
static const char *const contacts[] = {
    NULL,
    "<sip:bob@192.0.2.1>",
    "<sips:bob@192.0.2.2;transport=tls>",
    "*",
    "<sip:bob@[bad>",
    "<sip:bob@h.example.com?Subject=x>",
    "Bob <sip:bob@192.0.2.3;method=BYE>;expires=5",
};
static const int uac_statuses[] = {100, 180, 183, 199, 200, 202, 299,
                                   302, 401, 404, 408, 481, 486, 500, 603};
static const int uas_statuses[] = {100, 180, 183, 200, 202, 486, 603};
static const int dlg_statuses[] = {100, 180, 200, 202, 401, 408, 481, 491,
                                   500};
static const char *const methods[] = {"ACK",   "BYE",     "INFO",
                                      "INVITE", "UPDATE", "MESSAGE",
                                      "CANCEL", "OPTIONS", "PRACK",
                                      "NOTIFY"};

/* ---- the model ----------------------------------------------------------- */

typedef struct ent {
    siphon_dialog *d;
    bool live;
    siphon_dialog_state state;
    bool frozen;           /* route set snapshot taken (CONFIRMED) */
    char routes[1024];
    bool has_local, has_remote;
    uint32_t local, remote;
    bool has_invite;
    uint32_t invite_cseq;  /* our last INVITE's, for the ACK */
} ent;

typedef struct ctx {
    siphon_dialog_set *s;
    siphon_dialog_config cfg;
    uint64_t now;
    fuzz_script in;
    ent e[MAXD];
    size_t ne;
    siphon_msg *inv[4];     /* our INVITEs (UAC), built lazily */
    siphon_msg *pinv[4];    /* the peer's INVITEs (UAS) */
    siphon_msg *built[NBUILT]; /* requests the TU built */
    size_t nbuilt;
    siphon_msg *last2xx;    /* the last 2xx to one of our INVITEs */
    siphon_msg *last2xx_req;
    siphon_msg *lastreq;    /* last request received within a dialog */
    unsigned long fired;
} ctx;

static ctx C;

static uint8_t rb(ctx *c)
{
    return fuzz_byte(&c->in);
}

static siphon_msg *parse_or_die(const char *text, size_t n)
{
    return fuzz_parse_or_die("dialog-harness", text, n);
}

static siphon_msg *our_invite(ctx *c, unsigned k)
{
    k %= 4;
    if (c->inv[k])
        return c->inv[k];
    char t[1024];
    int n = snprintf(t, sizeof t,
                     "INVITE %s:bob@b.example.com SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKu%u\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:alice@a.example.com>;tag=%s\r\n"
                     "To: <sip:bob@b.example.com>\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %lu INVITE\r\n"
                     "Contact: <sip:alice@192.0.2.100>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     k == 3 ? "sips" : "sip", k, ourtags[k & 1],
                     callids[(k >> 1) & 1], cseqs[(k * 3) % N(cseqs)]);
    c->inv[k] = parse_or_die(t, (size_t)n);
    return c->inv[k];
}

static siphon_msg *peer_invite(ctx *c, unsigned k, unsigned rr, unsigned ct)
{
    k %= 4;
    siphon_msg_unref(c->pinv[k]);
    const char *rrs = rrsets[rr % N(rrsets)];
    const char *cts = contacts[ct % N(contacts)];
    const char *ft = peertags[1 + (k & 1)];
    char t[2048];
    int n = snprintf(t, sizeof t,
                     "INVITE sip:bob@192.0.2.4 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKp%u\r\n"
                     "Max-Forwards: 70\r\n"
                     "%s%s%s"
                     "From: <sip:alice@a.example.com>;tag=%s\r\n"
                     "To: <sip:bob@b.example.com>\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %lu INVITE\r\n"
                     "%s%s%s"
                     "Content-Length: 0\r\n\r\n",
                     k, rrs ? "Record-Route: " : "", rrs ? rrs : "",
                     rrs ? "\r\n" : "", ft, callids[(k >> 1) & 1],
                     cseqs[k % N(cseqs)], cts ? "Contact: " : "",
                     cts ? cts : "", cts ? "\r\n" : "");
    c->pinv[k] = parse_or_die(t, (size_t)n);
    return c->pinv[k];
}

static siphon_msg *response(siphon_msg *req, int status, const char *tag,
                            const char *rr, const char *contact)
{
    siphon_msgb *b = siphon_msgb_response_to(req, status, SIPHON_STR_NULL,
                                             siphon_str_c(tag));
    if (!b)
        fuzz_fail("[dialog-harness] response_to failed");
    const char *p = rr;
    while (p) {
        const char *nl = strstr(p, "\r\nRecord-Route: ");
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        siphon_msgb_add(b, SIPHON_STR_LIT("Record-Route"),
                        siphon_str_make(p, n));
        p = nl ? nl + 16 : NULL;
    }
    if (contact)
        siphon_msgb_add(b, SIPHON_STR_LIT("Contact"), siphon_str_c(contact));
    return fuzz_build_or_die("dialog-harness", "response", b);
}

/* ---- the shadow model ----------------------------------------------------- */

static ent *find_ent(ctx *c, const siphon_dialog *d)
{
    for (size_t i = c->ne; i-- > 0;)
        if (c->e[i].live && c->e[i].d == d)
            return &c->e[i];
    return NULL;
}

static void routes_text(const siphon_dialog *d, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < siphon_dialog_route_count(d); i++) {
        siphon_str r = siphon_dialog_route(d, i);
        fuzz_touch(r);
        int n = snprintf(out + o, cap - o, "%.*s|", (int)r.len, r.p);
        if (n < 0 || (size_t)n >= cap - o)
            break;
        o += (size_t)n;
    }
}

static void check_ent(ctx *c, ent *e)
{
    siphon_dialog *d = e->d;
    siphon_dialog_state st = siphon_dialog_state_of(d);
    if (st == SIPHON_DIALOG_TERMINATED)
        fuzz_fail("[dialog-term-live] TERMINATED without its event");
    if (e->state == SIPHON_DIALOG_CONFIRMED && st != SIPHON_DIALOG_CONFIRMED)
        fuzz_fail("[dialog-state-back] CONFIRMED went back to %s",
                  siphon_dialog_state_name(st));
    e->state = st;
    fuzz_touch(siphon_dialog_call_id(d));
    fuzz_touch(siphon_dialog_local_tag(d));
    fuzz_touch(siphon_dialog_remote_tag(d));
    fuzz_touch(siphon_dialog_remote_target(d));
    fuzz_touch(siphon_dialog_local_contact(d));
    if (siphon_dialog_remote_target(d).len == 0)
        fuzz_fail("[dialog-target] empty remote target");
    char r[1024];
    routes_text(d, r, sizeof r);
    if (st == SIPHON_DIALOG_CONFIRMED) {
        if (!e->frozen) {
            e->frozen = true;
            memcpy(e->routes, r, sizeof r);
        } else if (strcmp(e->routes, r) != 0) {
            fuzz_fail("[dialog-route-changed] route set of a confirmed "
                      "dialog changed:\n  %s\n  %s", e->routes, r);
        }
    }
    bool has;
    uint32_t v = siphon_dialog_local_cseq(d, &has);
    if (e->has_local && (!has || v < e->local))
        fuzz_fail("[dialog-local-cseq] local CSeq went back");
    e->has_local = has;
    e->local = v;
    v = siphon_dialog_remote_cseq(d, &has);
    if (e->has_remote && (!has || v < e->remote))
        fuzz_fail("[dialog-remote-cseq] remote CSeq went back %u -> %u",
                  (unsigned)e->remote, (unsigned)v);
    e->has_remote = has;
    e->remote = v;
    siphon_msg *ack = siphon_dialog_ack(d);
    if (ack)
        fuzz_touch(siphon_msg_bytes(ack));
    (void)c;
}

static bool in_msg(siphon_msg *m, siphon_str v)
{
    siphon_str b = siphon_msg_bytes(m);
    return v.len && v.p >= b.p && v.p + v.len <= b.p + b.len;
}

static void drain(ctx *c)
{
    siphon_dialog_event ev;
    bool expect_term = false;
    siphon_dialog *term_of = NULL;
    while (siphon_dialog_poll(c->s, &ev)) {
        if (fuzz_tracing())
            fprintf(stderr, "  @%llu %s %p %s %s\n",
                    (unsigned long long)c->now,
                    siphon_dialog_event_name(ev.type), (void *)ev.dialog,
                    siphon_dialog_state_name(ev.state),
                    siphon_dialog_reason_name(ev.reason));
        ent *e = find_ent(c, ev.dialog);
        if (expect_term && (ev.type != SIPHON_DIALOG_EV_SEND ||
                            ev.dialog != term_of) &&
            ev.type != SIPHON_DIALOG_EV_TERMINATED)
            fuzz_fail("[dialog-no-ack] NO_ACK not followed by TERMINATED");
        switch (ev.type) {
        case SIPHON_DIALOG_EV_CREATED:
            if (e)
                fuzz_fail("[dialog-created-twice] CREATED for a live dialog");
            if (c->ne == MAXD)
                fuzz_fail("[dialog-harness] too many dialogs");
            e = &c->e[c->ne++];
            memset(e, 0, sizeof *e);
            e->d = ev.dialog;
            e->live = true;
            e->state = ev.state;
            if (siphon_dialog_role_of(ev.dialog) == SIPHON_DIALOG_UAC) {
                /* §12.1.2: the local CSeq is the INVITE's (checked
                 * against the INVITE where the op knows it). */
                e->has_invite = true;
                e->invite_cseq = siphon_dialog_local_cseq(ev.dialog, NULL);
            }
            break;
        case SIPHON_DIALOG_EV_STATE:
            if (!e || ev.prev != SIPHON_DIALOG_EARLY ||
                ev.state != SIPHON_DIALOG_CONFIRMED)
                fuzz_fail("[dialog-state-edge] STATE %s -> %s",
                          siphon_dialog_state_name(ev.prev),
                          siphon_dialog_state_name(ev.state));
            break;
        case SIPHON_DIALOG_EV_SEND:
            if (!e || !ev.msg)
                fuzz_fail("[dialog-send] SEND without dialog or message");
            fuzz_touch(siphon_msg_bytes(ev.msg));
            if (siphon_msg_is_request(ev.msg)) {
                if (!in_msg(ev.msg, ev.next_hop))
                    fuzz_fail("[dialog-next-hop] next hop not in the message");
            } else if (siphon_msg_status(ev.msg) / 100 != 2 ||
                       ev.next_hop.len) {
                fuzz_fail("[dialog-send] a response SEND that is no 2xx");
            }
            break;
        case SIPHON_DIALOG_EV_NO_ACK:
            if (!e)
                fuzz_fail("[dialog-no-ack] NO_ACK for an unknown dialog");
            expect_term = true;
            term_of = ev.dialog;
            break;
        case SIPHON_DIALOG_EV_TERMINATED:
            if (!e)
                fuzz_fail("[dialog-term] TERMINATED for an unknown dialog");
            if (ev.state != SIPHON_DIALOG_TERMINATED ||
                ev.reason == SIPHON_DIALOG_REASON_NONE)
                fuzz_fail("[dialog-term] TERMINATED without state/reason");
            if (expect_term && ev.dialog == term_of) {
                if (ev.reason != SIPHON_DIALOG_REASON_NO_ACK)
                    fuzz_fail("[dialog-no-ack] wrong reason");
                expect_term = false;
            }
            e->live = false;
            break;
        default:
            fuzz_fail("[dialog-event] unknown event %d", (int)ev.type);
        }
        siphon_msg_unref(ev.msg);
    }
    if (expect_term)
        fuzz_fail("[dialog-no-ack] NO_ACK without TERMINATED");
    size_t live = 0;
    for (size_t i = 0; i < c->ne; i++)
        if (c->e[i].live) {
            live++;
            check_ent(c, &c->e[i]);
        }
    if (live != siphon_dialog_count(c->s))
        fuzz_fail("[dialog-count] count %zu, model %zu",
                  siphon_dialog_count(c->s), live);
}

static void check_rc(int rc, const char *what)
{
    if (fuzz_tracing())
        fprintf(stderr, "  %s -> %d%s%s\n", what, rc, rc < 0 ? " " : "",
                rc < 0 ? siphon_errname(rc) : "");
    if (rc == SIPHON_ENOMEM)
        fuzz_fail("[dialog-rc] %s: ENOMEM without a failing malloc", what);
    if (rc < 0 && rc != SIPHON_EINVAL && rc != SIPHON_EPARSE &&
        rc != SIPHON_ETOOBIG && rc != SIPHON_ESTATE && rc != SIPHON_ERANGE)
        fuzz_fail("[dialog-rc] %s returned %d (%s)", what, rc,
                  siphon_errname(rc));
    if (rc > SIPHON_DIALOG_REJECT)
        fuzz_fail("[dialog-rc] %s returned %d", what, rc);
}

/* ---- ops ------------------------------------------------------------------ */

static void op_uac_response(ctx *c)
{
    siphon_msg *inv = our_invite(c, rb(c));
    int status = uac_statuses[rb(c) % N(uac_statuses)];
    const char *tag = peertags[rb(c) % N(peertags)];
    const char *rr = rrsets[rb(c) % N(rrsets)];
    const char *ct = contacts[rb(c) % N(contacts)];
    bool noreq = rb(c) & 1;
    siphon_msg *r = response(inv, status, tag, rr, ct);
    siphon_dialog *d = NULL;
    size_t before = siphon_dialog_count(c->s);
    int rc = siphon_dialog_receive_response(c->s, noreq ? NULL : inv, r,
                                            c->now, &d);
    bool created = siphon_dialog_count(c->s) > before;
    if (created && (noreq || (!tag && status / 100 == 1)))
        fuzz_fail("[dialog-create] a dialog without INVITE or To tag");
    check_rc(rc, "receive_response");
    if (rc == SIPHON_DIALOG_MATCHED && !d)
        fuzz_fail("[dialog-match] MATCHED without a dialog");
    if (status / 100 == 2 && rc >= 0) {
        siphon_msg_unref(c->last2xx);
        siphon_msg_unref(c->last2xx_req);
        c->last2xx = siphon_msg_ref(r);
        c->last2xx_req = siphon_msg_ref(inv);
    }
    drain(c);
    /* A UAC dialog this INVITE made: its local CSeq is the INVITE's
     * (§12.1.2) until the TU sends something. */
    ent *e = d ? find_ent(c, d) : NULL;
    if (e && rc == SIPHON_DIALOG_MATCHED && !noreq && created &&
        siphon_dialog_local_cseq(d, NULL) != siphon_msg_cseq(inv)->num)
        fuzz_fail("[dialog-create-cseq] local CSeq is not the INVITE's");
    siphon_msg_unref(r);
}

static void op_uas(ctx *c)
{
    uint8_t k = rb(c), rr = rb(c), ct = rb(c);
    siphon_msg *inv = peer_invite(c, k, rr, ct);
    int status = uas_statuses[rb(c) % N(uas_statuses)];
    const char *tag = uastags[rb(c) % N(uastags)];
    siphon_msg *r = response(inv, status, tag, NULL, "<sip:bob@192.0.2.4>");
    siphon_dialog *d = NULL;
    int rc = siphon_dialog_uas_respond(c->s, inv, r, c->now, &d);
    check_rc(rc, "uas_respond");
    if (rc == SIPHON_DIALOG_MATCHED && !d)
        fuzz_fail("[dialog-match] MATCHED without a dialog");
    siphon_msg_unref(r);
    drain(c);
}

static void op_request_in(ctx *c)
{
    const char *method = methods[rb(c) % N(methods)];
    const char *cid = callids[rb(c) % N(callids)];
    const char *tt = anytags[rb(c) % N(anytags)];
    const char *ft = anytags[rb(c) % N(anytags)];
    unsigned long cs = cseqs[rb(c) % N(cseqs)];
    const char *ct = contacts[rb(c) % N(contacts)];
    char t[2048];
    int n = snprintf(t, sizeof t,
                     "%s sip:bob@192.0.2.4 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKr\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:alice@a.example.com>%s%s\r\n"
                     "To: <sip:bob@b.example.com>%s%s\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %lu %s\r\n"
                     "%s%s%s"
                     "Content-Length: 0\r\n\r\n",
                     method, ft ? ";tag=" : "", ft ? ft : "",
                     tt ? ";tag=" : "", tt ? tt : "", cid, cs, method,
                     ct ? "Contact: " : "", ct ? ct : "", ct ? "\r\n" : "");
    siphon_msg *req = parse_or_die(t, (size_t)n);
    siphon_dialog *d = NULL;
    siphon_msg *resp = NULL;
    ent *before = NULL;
    uint32_t remote = 0;
    bool has_remote = false;
    int rc = siphon_dialog_receive_request(c->s, req, c->now, &d, &resp);
    check_rc(rc, "receive_request");
    if (rc == SIPHON_DIALOG_REJECT) {
        if (!resp)
            fuzz_fail("[dialog-reject] REJECT without a response");
        int st = siphon_msg_status(resp);
        /* §14.2 glare: 491 while our INVITE is in progress, 500 with a
         * Retry-After for a second INVITE before our final response; both
         * only for an INVITE, and the remote CSeq moves as usual. */
        bool glare = d && strcmp(method, "INVITE") == 0 &&
                     (st == 491 ||
                      (st == 500 && siphon_msg_hdr_next_name(
                                        resp, "Retry-After", 11, 0) >= 0));
        if (!glare && ((d && st != 500) || (!d && st != 481)))
            fuzz_fail("[dialog-reject] REJECT with %d", st);
        if (!glare && d && (before = find_ent(c, d)) != NULL) {
            remote = siphon_dialog_remote_cseq(d, &has_remote);
            if (!has_remote || (uint32_t)cs >= remote)
                fuzz_fail("[dialog-500] 500 for a CSeq not out of order");
        }
    } else if (resp) {
        fuzz_fail("[dialog-reject] a response without REJECT");
    }
    if (rc == SIPHON_DIALOG_MATCHED && !strcmp(method, "BYE") && d &&
        siphon_dialog_state_of(d) != SIPHON_DIALOG_TERMINATED)
        fuzz_fail("[dialog-bye] BYE received did not end the dialog");
    if (rc == SIPHON_DIALOG_MATCHED) {
        siphon_msg_unref(c->lastreq);
        c->lastreq = siphon_msg_ref(req);
    }
    siphon_msg_unref(resp);
    siphon_msg_unref(req);
    drain(c);
}

static ent *pick_live(ctx *c, uint8_t b)
{
    size_t live = 0;
    for (size_t i = 0; i < c->ne; i++)
        live += c->e[i].live;
    if (!live)
        return NULL;
    size_t k = b % live;
    for (size_t i = 0; i < c->ne; i++)
        if (c->e[i].live && k-- == 0)
            return &c->e[i];
    return NULL;
}

static void check_built(ent *e, siphon_msg *m, siphon_str hop,
                        const char *method, size_t nroutes)
{
    siphon_dialog *d = e->d;
    fuzz_touch(siphon_msg_bytes(m));
    if (!in_msg(m, hop))
        fuzz_fail("[dialog-next-hop] next hop not in the request");
    const siphon_cseq *cs = siphon_msg_cseq(m);
    const siphon_nameaddr *to = siphon_msg_to(m), *from = siphon_msg_from(m);
    if (!cs || !to || !from)
        fuzz_fail("[dialog-build] request without CSeq/To/From");
    if (!siphon_str_eq(cs->method, siphon_str_c(method)) ||
        !siphon_str_eq(siphon_msg_method(m), siphon_str_c(method)))
        fuzz_fail("[dialog-build] method and CSeq method differ");
    if (!siphon_str_eq(siphon_msg_call_id(m), siphon_dialog_call_id(d)))
        fuzz_fail("[dialog-build] Call-ID differs");
    if (!from->has_tag ||
        !siphon_str_eq(from->tag, siphon_dialog_local_tag(d)))
        fuzz_fail("[dialog-build] From tag is not the local tag");
    siphon_str rt = siphon_dialog_remote_tag(d);
    if (rt.len ? !(to->has_tag && siphon_str_eq(to->tag, rt)) : to->has_tag)
        fuzz_fail("[dialog-build] To tag is not the remote tag");
    long mf = siphon_msg_hdr_next(m, SIPHON_HDR_MAX_FORWARDS, 0);
    if (mf < 0 || !siphon_str_eq(siphon_msg_hdr_at(m, (size_t)mf)->value,
                                 SIPHON_STR_LIT("70")))
        fuzz_fail("[dialog-build] Max-Forwards is not 70");
    size_t nr = 0;
    for (long i = siphon_msg_hdr_next(m, SIPHON_HDR_ROUTE, 0); i >= 0;
         i = siphon_msg_hdr_next(m, SIPHON_HDR_ROUTE, (size_t)i + 1))
        nr++;
    if (nr != nroutes)
        fuzz_fail("[dialog-build] %zu Route fields for %zu routes", nr,
                  nroutes);
    if (!strcmp(method, "ACK")) {
        if (!e->has_invite || cs->num != e->invite_cseq)
            fuzz_fail("[dialog-ack-cseq] ACK CSeq %u, INVITE %u",
                      (unsigned)cs->num, (unsigned)e->invite_cseq);
    } else {
        if (e->has_local && cs->num <= e->local)
            fuzz_fail("[dialog-local-cseq] CSeq %u after %u",
                      (unsigned)cs->num, (unsigned)e->local);
        if (cs->num == 0 || cs->num >= 0x80000000u)
            fuzz_fail("[dialog-local-cseq] CSeq %u out of range",
                      (unsigned)cs->num);
        e->has_local = true;
        e->local = cs->num;
        if (!strcmp(method, "INVITE")) {
            e->has_invite = true;
            e->invite_cseq = cs->num;
        }
    }
}

static void op_build(ctx *c)
{
    ent *e = pick_live(c, rb(c));
    const char *method = methods[rb(c) % N(methods)];
    bool body = rb(c) & 1;
    if (!e)
        return;
    siphon_dialog *d = e->d;
    size_t nroutes = siphon_dialog_route_count(d);
    bool was_early = siphon_dialog_state_of(d) == SIPHON_DIALOG_EARLY;
    bool awaiting = siphon_dialog_awaiting_ack(d);
    siphon_msg *m = NULL;
    siphon_str hop;
    int rc = siphon_dialog_request(
        c->s, d, siphon_str_c(method),
        body ? SIPHON_STR_LIT("application/sdp") : SIPHON_STR_NULL,
        body ? SIPHON_STR_LIT("v=0\r\n") : SIPHON_STR_NULL, c->now, &m, &hop);
    check_rc(rc, "request");
    bool uas = siphon_dialog_role_of(d) == SIPHON_DIALOG_UAS;
    if (!strcmp(method, "CANCEL") && rc != SIPHON_EINVAL)
        fuzz_fail("[dialog-cancel] CANCEL built in a dialog");
    if (!strcmp(method, "ACK") && !e->has_invite && rc != SIPHON_ESTATE)
        fuzz_fail("[dialog-ack] ACK without an INVITE: %d", rc);
    if (!strcmp(method, "BYE") && uas && (was_early || awaiting) &&
        rc != SIPHON_ESTATE)
        fuzz_fail("[dialog-bye] UAS BYE before ACK or in early");
    if (rc == 0) {
        if (!m)
            fuzz_fail("[dialog-build] 0 without a message");
        check_built(e, m, hop, method, nroutes);
        if (!strcmp(method, "BYE") &&
            siphon_dialog_state_of(d) != SIPHON_DIALOG_TERMINATED)
            fuzz_fail("[dialog-bye] BYE sent did not end the dialog");
        if (c->nbuilt == NBUILT) {
            siphon_msg_unref(c->built[0]);
            memmove(c->built, c->built + 1,
                    (NBUILT - 1) * sizeof c->built[0]);
            c->nbuilt--;
        }
        c->built[c->nbuilt++] = m;
    } else if (m) {
        fuzz_fail("[dialog-build] a message with an error");
    }
    drain(c);
}

static void op_dialog_response(ctx *c)
{
    uint8_t k = rb(c);
    int status = dlg_statuses[rb(c) % N(dlg_statuses)];
    bool noreq = rb(c) & 1;
    const char *ct = contacts[rb(c) % N(contacts)];
    if (!c->nbuilt)
        return;
    siphon_msg *req = c->built[k % c->nbuilt];
    if (siphon_msg_method_id(req) == SIPHON_METHOD_ACK)
        return;
    siphon_msg *r = response(req, status, NULL, "<sip:evil.example.com;lr>",
                             ct);
    siphon_dialog *d = NULL;
    int rc = siphon_dialog_receive_response(c->s, noreq ? NULL : req, r,
                                            c->now, &d);
    check_rc(rc, "receive_response (in dialog)");
    if (rc >= 0 && d && (status == 481 || status == 408) &&
        siphon_dialog_state_of(d) != SIPHON_DIALOG_TERMINATED &&
        siphon_msg_method_id(req) != SIPHON_METHOD_INVITE)
        fuzz_fail("[dialog-481] %d did not end the dialog", status);
    if (status / 100 == 2 && siphon_msg_method_id(req) == SIPHON_METHOD_INVITE &&
        rc >= 0) {
        siphon_msg_unref(c->last2xx);
        siphon_msg_unref(c->last2xx_req);
        c->last2xx = siphon_msg_ref(r);
        c->last2xx_req = siphon_msg_ref(req);
    }
    siphon_msg_unref(r);
    drain(c);
}

static void advance_to(ctx *c, uint64_t target)
{
    for (;;) {
        uint64_t d = siphon_dialog_next_deadline(c->s);
        if (!fuzz_due("dialog-deadline-past", d, target, &c->now))
            break;
        fuzz_count_fired("dialog-tick", "dialog-timer-storm",
                         siphon_dialog_tick(c->s, d), &c->fired, 100000);
        drain(c);
        if (siphon_dialog_next_deadline(c->s) <= d)
            fuzz_fail("[dialog-deadline-past] a timer is still due");
    }
    c->now = target;
}

static void op_advance(ctx *c)
{
    uint8_t b = rb(c);
    uint64_t t1 = c->cfg.t1_ms, dt;
    switch (b % 8) {
    case 0: dt = 0; break;
    case 1: dt = 1; break;
    case 2: dt = t1; break;
    case 3: dt = 2 * t1; break;
    case 4: dt = c->cfg.t2_ms; break;
    case 5: dt = 64 * t1 - 1; break;
    case 6: dt = 64 * t1; break;
    default: dt = (uint64_t)(b >> 3) * 97; break;
    }
    advance_to(c, c->now + dt);
}

static void op_terminate(ctx *c)
{
    ent *e = pick_live(c, rb(c));
    uint8_t r = rb(c);
    if (!e)
        return;
    int rc = siphon_dialog_terminate(c->s, e->d, (siphon_dialog_reason)(r % 10),
                                     c->now);
    check_rc(rc, "terminate");
    bool valid = r % 10 >= 1 && r % 10 <= 8;
    if ((rc == 0) != valid)
        fuzz_fail("[dialog-terminate] reason %d gave %d", r % 10, rc);
    drain(c);
}

static void op_invite_ended(ctx *c)
{
    siphon_msg *inv = our_invite(c, rb(c));
    int rc = siphon_dialog_uac_invite_ended(c->s, inv, c->now);
    check_rc(rc, "uac_invite_ended");
    drain(c);
}

static void op_reinvite_2xx(ctx *c)
{
    uint8_t st = rb(c);
    if (!c->lastreq || siphon_msg_method_id(c->lastreq) != SIPHON_METHOD_INVITE)
        return;
    siphon_msg *r = response(c->lastreq, st & 1 ? 200 : 486, NULL, NULL,
                             "<sip:bob@192.0.2.4>");
    int rc = siphon_dialog_uas_respond(c->s, c->lastreq, r, c->now, NULL);
    check_rc(rc, "uas_respond (re-INVITE)");
    siphon_msg_unref(r);
    drain(c);
}

static void op_2xx_again(ctx *c)
{
    bool noreq = rb(c) & 1;
    if (!c->last2xx)
        return;
    int rc = siphon_dialog_receive_response(
        c->s, noreq ? NULL : c->last2xx_req, c->last2xx, c->now, NULL);
    check_rc(rc, "receive_response (2xx again)");
    drain(c);
}

/* ---- the end ---------------------------------------------------------------- */

static void finish(ctx *c)
{
    drain(c);
    /* §13.3.1.4: every 2xx retransmission ends within 64*T1. */
    advance_to(c, c->now + 64ull * c->cfg.t1_ms);
    if (siphon_dialog_next_deadline(c->s) != UINT64_MAX)
        fuzz_fail("[dialog-timer-end] a timer runs after 64*T1 without input");
    for (size_t i = 0; i < c->ne; i++)
        if (c->e[i].live) {
            int rc = siphon_dialog_terminate(c->s, c->e[i].d,
                                             SIPHON_DIALOG_REASON_LOCAL, c->now);
            if (rc != 0)
                fuzz_fail("[dialog-terminate] a live dialog refused: %d", rc);
        }
    drain(c);
    if (siphon_dialog_count(c->s) != 0)
        fuzz_fail("[dialog-count] dialogs left after terminating all");
}

static void release(ctx *c)
{
    for (size_t i = 0; i < 4; i++) {
        siphon_msg_unref(c->inv[i]);
        siphon_msg_unref(c->pinv[i]);
        c->inv[i] = c->pinv[i] = NULL;
    }
    for (size_t i = 0; i < c->nbuilt; i++)
        siphon_msg_unref(c->built[i]);
    c->nbuilt = 0;
    siphon_msg_unref(c->last2xx);
    siphon_msg_unref(c->last2xx_req);
    siphon_msg_unref(c->lastreq);
    c->last2xx = c->last2xx_req = c->lastreq = NULL;
    c->ne = 0;
}

static const struct {
    uint32_t t1, t2;
} presets[4] = {{500, 4000}, {100, 400}, {1, 4}, {0, 0}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ctx *c = &C;
    fuzz_script_init(&c->in, data, size);
    c->fired = 0;
    uint8_t cfgb = rb(c);
    siphon_dialog_config cfg = SIPHON_DIALOG_CONFIG_DEFAULT;
    cfg.t1_ms = presets[cfgb % 4].t1;
    cfg.t2_ms = presets[cfgb % 4].t2;
    static const size_t maxd[4] = {2, 4, 8, 0};
    cfg.max_dialogs = maxd[(cfgb >> 2) % 4];
    if (cfgb & 16)
        cfg.max_routes = 2;
    c->now = (cfgb & 32) ? 1000000000000ull : 0;
    c->s = siphon_dialog_set_new(&cfg);
    if (!c->s)
        return 0;
    /* Zero T1/T2 mean the defaults (dialog.h). */
    c->cfg = cfg;
    if (!c->cfg.t1_ms)
        c->cfg.t1_ms = 500;
    int op;
    while ((op = fuzz_op(&c->in, MAX_OPS)) >= 0) {
        fuzz_trace_op(op % 10, c->now);
        switch (op % 10) {
        case 0: op_uac_response(c); break;
        case 1: op_uas(c); break;
        case 2: op_request_in(c); break;
        case 3: op_build(c); break;
        case 4: op_dialog_response(c); break;
        case 5: op_advance(c); break;
        case 6: op_terminate(c); break;
        case 7: op_invite_ended(c); break;
        case 8: op_reinvite_2xx(c); break;
        default: op_2xx_again(c); break;
        }
    }
    if (op != FUZZ_OP_QUIT) {
        finish(c);
    } else {
        /* Free with events queued: TERMINATED events whose dialogs only
         * the queue holds, and one just polled (the zombie). */
        for (size_t i = 0; i < c->ne; i++)
            if (c->e[i].live)
                siphon_dialog_terminate(c->s, c->e[i].d,
                                        SIPHON_DIALOG_REASON_LOCAL, c->now);
        siphon_dialog_event ev;
        if (siphon_dialog_poll(c->s, &ev))
            siphon_msg_unref(ev.msg);
    }
    siphon_dialog_set_free(c->s);
    c->s = NULL;
    release(c);
    return 0;
}
