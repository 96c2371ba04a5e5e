/*
 * test_dialog.c -- the dialog layer (lib/dialog) on a virtual clock: UAC
 * dialogs (RFC 3261 §12.1.2, forking and ACK of §13.2.2.4, §12.3), UAS
 * dialogs (§12.1.1, the 2xx retransmissions and no-ACK BYE of
 * §13.3.1.4), requests within a dialog (§12.2.1.1, with loose and strict
 * routing), requests received within one (§12.2.2) and termination
 * (§12.2.1.2, §15).
 */
#include "unit.h"

#include <siphon/dialog.h>

#include <stdlib.h>

/* ---- helpers: messages -------------------------------------------------- */

#define CALLID "a84b4c76e66710@pc33.atlanta.example.com"

/* Parse text with "\n" line ends (converted to CRLF); NULL on failure. */
static siphon_msg *dparse(const char *text)
{
    char buf[8192];
    size_t n = 0;
    for (const char *p = text; *p && n + 2 < sizeof buf; p++) {
        if (*p == '\n')
            buf[n++] = '\r';
        buf[n++] = *p;
    }
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msg_parse(buf, n, NULL, &m, &err) < 0) {
        unit_fail(__FILE__, __LINE__, "parse: %s", err.text);
        return NULL;
    }
    return m;
}

/* Alice's INVITE (RFC 3665 style), with Request-URI ruri and Call-ID. */
static siphon_msg *uac_invite2(const char *ruri, const char *callid)
{
    char t[2048];
    snprintf(t, sizeof t,
             "INVITE %s SIP/2.0\n"
             "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\n"
             "Max-Forwards: 70\n"
             "To: Bob <sip:bob@biloxi.example.com>\n"
             "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
             "Call-ID: %s\n"
             "CSeq: 314159 INVITE\n"
             "Contact: <sip:alice@pc33.atlanta.example.com>\n"
             "Content-Length: 0\n\n",
             ruri, callid);
    return dparse(t);
}

static siphon_msg *uac_invite(const char *ruri)
{
    return uac_invite2(ruri, CALLID);
}

/* The same INVITE as it reaches Bob, through two record-routing
 * proxies. */
static siphon_msg *uas_invite(void)
{
    return dparse(
        "INVITE sip:bob@192.0.2.4 SIP/2.0\n"
        "Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2\n"
        "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1\n"
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\n"
        "Max-Forwards: 68\n"
        "Record-Route: <sip:p2.example.com;lr>\n"
        "Record-Route: <sip:p1.example.com;lr>\n"
        "To: Bob <sip:bob@biloxi.example.com>\n"
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
        "Call-ID: " CALLID "\n"
        "CSeq: 314159 INVITE\n"
        "Contact: <sip:alice@pc33.atlanta.example.com>\n"
        "Content-Length: 0\n\n");
}

/* A response to req with a To tag (NULL: none added), a Contact and
 * Record-Route values (raw text after "Record-Route: "), each optional. */
static siphon_msg *reply(siphon_msg *req, int status, const char *totag,
                         const char *contact, const char *rr)
{
    siphon_msgb *b = siphon_msgb_response_to(req, status, SIPHON_STR_NULL,
                                             siphon_str_c(totag));
    if (!b)
        return NULL;
    siphon_msg *m = NULL;
    siphon_perr err;
    if (rr) {
        /* several fields: split the text at "\nRecord-Route: " */
        const char *p = rr;
        while (p) {
            const char *nl = strstr(p, "\nRecord-Route: ");
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            siphon_msgb_add(b, SIPHON_STR_LIT("Record-Route"),
                            siphon_str_make(p, len));
            p = nl ? nl + 15 : NULL;
        }
    }
    if (contact)
        siphon_msgb_add(b, SIPHON_STR_LIT("Contact"), siphon_str_c(contact));
    if (siphon_msgb_finish(b, &m, &err) < 0)
        unit_fail(__FILE__, __LINE__, "reply: %s", err.text);
    siphon_msgb_free(b);
    return m;
}

/* The idx-th value of a header field by name, or "" when absent. */
static siphon_str hdr(siphon_msg *m, const char *name, int idx)
{
    long i = -1;
    for (int k = 0; k <= idx; k++) {
        i = siphon_msg_hdr_next_name(m, name, strlen(name),
                                     i < 0 ? 0 : (size_t)i + 1);
        if (i < 0)
            return SIPHON_STR_LIT("");
    }
    return siphon_msg_hdr_at(m, (size_t)i)->value;
}

/* ---- helpers: the set and its events on a virtual clock ----------------- */

typedef struct dev {
    siphon_dialog_event_type type;
    siphon_dialog *dialog; /* identity only: may be freed */
    siphon_msg *msg;       /* owned by the recorder */
    siphon_str next_hop;   /* into msg */
    siphon_dialog_state state, prev;
    siphon_dialog_reason reason;
    uint64_t at;
} dev;

typedef struct dctx {
    siphon_dialog_set *s;
    dev ev[256];
    size_t n;
    char trace[4096];
} dctx;

static void dctx_init(dctx *c, const siphon_dialog_config *cfg)
{
    memset(c, 0, sizeof *c);
    c->s = siphon_dialog_set_new(cfg);
    if (!c->s)
        abort();
}

static void dctx_drain(dctx *c, uint64_t now)
{
    siphon_dialog_event e;
    while (siphon_dialog_poll(c->s, &e)) {
        if (c->n == sizeof c->ev / sizeof c->ev[0]) {
            siphon_msg_unref(e.msg);
            continue;
        }
        dev *d = &c->ev[c->n++];
        d->type = e.type;
        d->dialog = e.dialog;
        d->msg = e.msg;
        d->next_hop = e.next_hop;
        d->state = e.state;
        d->prev = e.prev;
        d->reason = e.reason;
        d->at = now;
    }
}

/* Fire the timers up to until at their deadlines, draining after each. */
static void dctx_run(dctx *c, uint64_t until)
{
    for (;;) {
        uint64_t t = siphon_dialog_next_deadline(c->s);
        if (t > until)
            break;
        CHECK(siphon_dialog_tick(c->s, t) >= 1);
        dctx_drain(c, t);
    }
}

static void dctx_clear(dctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        siphon_msg_unref(c->ev[i].msg);
    c->n = 0;
}

static void dctx_free(dctx *c)
{
    dctx_drain(c, 0);
    dctx_clear(c);
    siphon_dialog_set_free(c->s);
}

/* "CREATED(EARLY)@0 SEND(200)@500 STATE(EARLY>CONFIRMED)@0 ..." */
static const char *dctx_trace(dctx *c)
{
    size_t o = 0;
    c->trace[0] = '\0';
    for (size_t i = 0; i < c->n && o < sizeof c->trace - 64; i++) {
        const dev *d = &c->ev[i];
        char what[64] = "";
        switch (d->type) {
        case SIPHON_DIALOG_EV_SEND:
            if (siphon_msg_is_request(d->msg)) {
                siphon_str m = siphon_msg_method(d->msg);
                snprintf(what, sizeof what, "%.*s", (int)m.len, m.p);
            } else {
                snprintf(what, sizeof what, "%d", siphon_msg_status(d->msg));
            }
            break;
        case SIPHON_DIALOG_EV_CREATED:
            snprintf(what, sizeof what, "%s",
                     siphon_dialog_state_name(d->state));
            break;
        case SIPHON_DIALOG_EV_STATE:
            snprintf(what, sizeof what, "%s>%s",
                     siphon_dialog_state_name(d->prev),
                     siphon_dialog_state_name(d->state));
            break;
        case SIPHON_DIALOG_EV_TERMINATED:
            snprintf(what, sizeof what, "%s",
                     siphon_dialog_reason_name(d->reason));
            break;
        default:
            break;
        }
        o += (size_t)snprintf(c->trace + o, sizeof c->trace - o, "%s%s%s%s%s@%llu",
                              o ? " " : "", siphon_dialog_event_name(d->type),
                              what[0] ? "(" : "", what, what[0] ? ")" : "",
                              (unsigned long long)d->at);
    }
    return c->trace;
}

#define CHECK_TRACE(c, want) CHECK_STR(siphon_str_c(dctx_trace(c)), want)

/* ---- UAC: creation, forking, rejection ---------------------------------- */

UNIT_TEST(dialog_uac_early_then_confirmed)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
    siphon_msg *r180 = reply(inv, 180, "t1", "<sip:bob@192.0.2.4>",
                             "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
    siphon_msg *r200 = reply(inv, 200, "t1", "<sip:bob@192.0.2.5>",
                             "<sip:p3.example.com;lr>\n"
                             "Record-Route: <sip:p4.example.com;lr>");
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r180, 0, &d),
              SIPHON_DIALOG_MATCHED);
    dctx_drain(&c, 0);
    CHECK(d != NULL);
    if (!d)
        goto out;
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_EARLY);
    CHECK_INT(siphon_dialog_role_of(d), SIPHON_DIALOG_UAC);
    CHECK_STR(siphon_dialog_call_id(d), CALLID);
    CHECK_STR(siphon_dialog_local_tag(d), "1928301774");
    CHECK_STR(siphon_dialog_remote_tag(d), "t1");
    /* §12.1.2: Record-Route reversed. */
    CHECK_INT(siphon_dialog_route_count(d), 2);
    CHECK_STR(siphon_dialog_route(d, 0), "<sip:p2.example.com;lr>");
    CHECK_STR(siphon_dialog_route(d, 1), "<sip:p1.example.com;lr>");
    CHECK_STR(siphon_dialog_remote_target(d), "sip:bob@192.0.2.4");
    CHECK_STR(siphon_dialog_local_contact(d),
              "<sip:alice@pc33.atlanta.example.com>");
    bool has;
    CHECK_INT(siphon_dialog_local_cseq(d, &has), 314159);
    CHECK(has);
    siphon_dialog_remote_cseq(d, &has);
    CHECK(!has);
    CHECK(!siphon_dialog_secure(d));
    /* A second 180 of the same dialog changes nothing. */
    siphon_dialog *d2 = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r180, 10, &d2),
              SIPHON_DIALOG_MATCHED);
    CHECK(d2 == d);
    /* §13.2.2.4: the 2xx confirms it and recomputes the route set (and,
     * the INVITE being a target refresh, the remote target). */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 20, &d2),
              SIPHON_DIALOG_MATCHED);
    dctx_drain(&c, 20);
    CHECK(d2 == d);
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_CONFIRMED);
    CHECK_INT(siphon_dialog_route_count(d), 2);
    CHECK_STR(siphon_dialog_route(d, 0), "<sip:p4.example.com;lr>");
    CHECK_STR(siphon_dialog_route(d, 1), "<sip:p3.example.com;lr>");
    CHECK_STR(siphon_dialog_remote_target(d), "sip:bob@192.0.2.5");
    /* Once confirmed the route set never changes: a re-INVITE's 2xx with
     * another Record-Route leaves it. */
    siphon_msg *reinv = NULL;
    CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("INVITE"),
                                    SIPHON_STR_NULL, SIPHON_STR_NULL, 30,
                                    &reinv, NULL),
              0);
    siphon_msg *re200 = reinv ? reply(reinv, 200, NULL, "<sip:bob@192.0.2.6>",
                                      "<sip:evil.example.com;lr>")
                              : NULL;
    if (re200) {
        CHECK_INT(siphon_dialog_receive_response(c.s, reinv, re200, 40, &d2),
                  SIPHON_DIALOG_MATCHED);
        CHECK_INT(siphon_dialog_route_count(d), 2);
        CHECK_STR(siphon_dialog_route(d, 0), "<sip:p4.example.com;lr>");
        CHECK_STR(siphon_dialog_remote_target(d), "sip:bob@192.0.2.6");
    }
    dctx_drain(&c, 40);
    CHECK_TRACE(&c, "CREATED(EARLY)@0 STATE(EARLY>CONFIRMED)@20");
    siphon_msg_unref(reinv);
    siphon_msg_unref(re200);
out:
    siphon_msg_unref(inv);
    siphon_msg_unref(r180);
    siphon_msg_unref(r200);
    dctx_free(&c);
}

UNIT_TEST(dialog_uac_secure_and_tagless)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sips:bob@biloxi.example.com");
    /* §12.1.2: a 2xx without To tag makes a dialog with a null remote
     * tag; a 1xx without one makes none. */
    siphon_msg *r180 = reply(inv, 180, NULL, "<sips:bob@192.0.2.4>", NULL);
    siphon_msg *r200 = reply(inv, 200, NULL, "<sips:bob@192.0.2.4>", NULL);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r180, 0, &d),
              SIPHON_DIALOG_NONE);
    CHECK(d == NULL);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 0, &d),
              SIPHON_DIALOG_MATCHED);
    if (d) {
        CHECK(siphon_dialog_secure(d));
        CHECK_STR(siphon_dialog_remote_tag(d), "");
        CHECK_INT(siphon_dialog_route_count(d), 0);
    }
    siphon_msg_unref(inv);
    siphon_msg_unref(r180);
    siphon_msg_unref(r200);
    dctx_free(&c);
}

UNIT_TEST(dialog_uac_forked)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
    siphon_msg *a180 = reply(inv, 180, "ta", "<sip:bob@a.example.com>", NULL);
    siphon_msg *b180 = reply(inv, 180, "tb", "<sip:bob@b.example.com>", NULL);
    siphon_msg *b200 = reply(inv, 200, "tb", "<sip:bob@b.example.com>", NULL);
    siphon_msg *c200 = reply(inv, 200, "tc", "<sip:bob@c.example.com>", NULL);
    siphon_dialog *da = NULL, *db = NULL, *dc = NULL, *x = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, a180, 0, &da), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b180, 5, &db), 1);
    CHECK(da && db && da != db);
    CHECK_INT(siphon_dialog_count(c.s), 2);
    /* The 2xx confirms its own fork; the other stays early. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b200, 10, &x), 1);
    CHECK(x == db);
    if (da && db) {
        CHECK_INT(siphon_dialog_state_of(db), SIPHON_DIALOG_CONFIRMED);
        CHECK_INT(siphon_dialog_state_of(da), SIPHON_DIALOG_EARLY);
    }
    /* §13.2.2.4: a 2xx from a third fork makes a third dialog, confirmed,
     * which the TU ACKs and ends with BYE. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, c200, 15, &dc), 1);
    CHECK(dc && dc != da && dc != db);
    CHECK_INT(siphon_dialog_count(c.s), 3);
    if (dc) {
        CHECK_INT(siphon_dialog_state_of(dc), SIPHON_DIALOG_CONFIRMED);
        siphon_msg *ack = NULL, *bye = NULL;
        CHECK_INT(siphon_dialog_request(c.s, dc, SIPHON_STR_LIT("ACK"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 16,
                                        &ack, NULL),
                  0);
        CHECK_INT(siphon_dialog_request(c.s, dc, SIPHON_STR_LIT("BYE"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 16,
                                        &bye, NULL),
                  0);
        if (bye) {
            CHECK_STR(siphon_msg_ruri_str(bye), "sip:bob@c.example.com");
            CHECK(siphon_msg_cseq(bye)->num == 314160);
        }
        siphon_msg_unref(ack);
        siphon_msg_unref(bye);
    }
    /* The INVITE client transaction ends: the unconfirmed fork ends. */
    CHECK_INT(siphon_dialog_uac_invite_ended(c.s, inv, 32010), 1);
    CHECK_INT(siphon_dialog_count(c.s), 1);
    dctx_drain(&c, 32010);
    CHECK_TRACE(&c, "CREATED(EARLY)@32010 CREATED(EARLY)@32010 "
                    "STATE(EARLY>CONFIRMED)@32010 CREATED(CONFIRMED)@32010 "
                    "TERMINATED(BYE_SENT)@32010 TERMINATED(UNCONFIRMED)@32010");
    siphon_msg_unref(inv);
    siphon_msg_unref(a180);
    siphon_msg_unref(b180);
    siphon_msg_unref(b200);
    siphon_msg_unref(c200);
    dctx_free(&c);
}

UNIT_TEST(dialog_uac_rejected_ends_early)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
    siphon_msg *a180 = reply(inv, 180, "ta", "<sip:bob@a.example.com>", NULL);
    siphon_msg *b183 = reply(inv, 183, "tb", "<sip:bob@b.example.com>", NULL);
    siphon_msg *r486 = reply(inv, 486, "tz", NULL, NULL);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, a180, 0, NULL), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b183, 0, NULL), 1);
    CHECK_INT(siphon_dialog_count(c.s), 2);
    /* §12.3: a non-2xx final ends every early dialog of the INVITE,
     * whatever its To tag. */
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r486, 100, &d),
              SIPHON_DIALOG_MATCHED);
    CHECK(d != NULL);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    dctx_drain(&c, 100);
    CHECK_TRACE(&c, "CREATED(EARLY)@100 CREATED(EARLY)@100 "
                    "TERMINATED(REJECTED)@100 TERMINATED(REJECTED)@100");
    /* Nothing left to reject. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r486, 100, &d),
              SIPHON_DIALOG_NONE);
    siphon_msg_unref(inv);
    siphon_msg_unref(a180);
    siphon_msg_unref(b183);
    siphon_msg_unref(r486);
    dctx_free(&c);
}

/* ---- UAC: ACK, re-ACK, requests within the dialog ----------------------- */

UNIT_TEST(dialog_uac_ack_and_reack)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
    siphon_msg *r200 = reply(inv, 200, "t1", "<sip:bob@192.0.2.4>",
                             "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 0, &d), 1);
    if (!d)
        goto out;
    /* Before the TU built its ACK, a retransmission is the TU's. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 1, NULL),
              SIPHON_DIALOG_MATCHED);
    siphon_msg *ack = NULL;
    siphon_str hop;
    CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("ACK"),
                                    SIPHON_STR_LIT("application/sdp"),
                                    SIPHON_STR_LIT("v=0\r\n"), 2, &ack, &hop),
              0);
    if (!ack)
        goto out;
    /* §13.2.2.4: the INVITE's CSeq number, the dialog's routes. */
    CHECK_STR(siphon_msg_start_line(ack), "ACK sip:bob@192.0.2.4 SIP/2.0");
    CHECK(siphon_msg_cseq(ack)->num == 314159);
    CHECK_STR(siphon_msg_cseq(ack)->method, "ACK");
    CHECK_STR(hop, "sip:p2.example.com;lr");
    CHECK_STR(hdr(ack, "Route", 0), "<sip:p2.example.com;lr>");
    CHECK_STR(hdr(ack, "Route", 1), "<sip:p1.example.com;lr>");
    CHECK_STR(hdr(ack, "To", 0), "Bob <sip:bob@biloxi.example.com>;tag=t1");
    CHECK_STR(hdr(ack, "From", 0),
              "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
    CHECK_STR(hdr(ack, "Contact", 0), "");
    CHECK_STR(siphon_msg_body(ack), "v=0\r\n");
    CHECK(siphon_dialog_ack(d) == ack);
    /* The ACK takes no new CSeq number. */
    CHECK_INT(siphon_dialog_local_cseq(d, NULL), 314159);
    /* Every retransmitted 2xx (also after the ICT ended: req NULL) gets
     * the same ACK again. */
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 500, NULL),
              SIPHON_DIALOG_RETRANSMISSION);
    CHECK_INT(siphon_dialog_receive_response(c.s, NULL, r200, 1500, NULL),
              SIPHON_DIALOG_RETRANSMISSION);
    dctx_drain(&c, 1500);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@1500 SEND(ACK)@1500 SEND(ACK)@1500");
    for (size_t i = 0; i < c.n; i++)
        if (c.ev[i].type == SIPHON_DIALOG_EV_SEND) {
            CHECK(c.ev[i].msg == ack);
            CHECK_STR(c.ev[i].next_hop, "sip:p2.example.com;lr");
        }
    siphon_msg_unref(ack);
out:
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    dctx_free(&c);
}

UNIT_TEST(dialog_uac_requests_cseq_routes)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
    siphon_msg *r200 = reply(inv, 200, "t1", "<sip:bob@192.0.2.4;transport=tcp>",
                             "<sip:p1.example.com;lr>");
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 0, &d), 1);
    if (!d)
        goto out;
    static const char *const methods[] = {"INFO", "UPDATE", "MESSAGE",
                                          "INVITE", "ACK", "BYE"};
    static const unsigned cseqs[] = {314160, 314161, 314162, 314163, 314163,
                                     314164};
    for (size_t i = 0; i < 6; i++) {
        siphon_msg *m = NULL;
        siphon_str hop;
        CHECK_INT(siphon_dialog_request(c.s, d, siphon_str_c(methods[i]),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 10,
                                        &m, &hop),
                  0);
        if (!m)
            continue;
        if (i == 3) {
            /* ACK needs the 2xx of the re-INVITE first. */
            siphon_msg *a = NULL;
            CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("ACK"),
                                            SIPHON_STR_NULL, SIPHON_STR_NULL,
                                            10, &a, NULL),
                      SIPHON_ESTATE);
            siphon_msg *ok = reply(m, 200, NULL,
                                   "<sip:bob@192.0.2.4;transport=tcp>", NULL);
            CHECK_INT(siphon_dialog_receive_response(c.s, m, ok, 10, NULL),
                      SIPHON_DIALOG_MATCHED);
            siphon_msg_unref(ok);
        }
        /* §12.2.1.1 */
        CHECK_STR(siphon_msg_ruri_str(m), "sip:bob@192.0.2.4;transport=tcp");
        CHECK(siphon_msg_cseq(m)->num == cseqs[i]);
        CHECK_STR(siphon_msg_cseq(m)->method, methods[i]);
        CHECK_STR(hdr(m, "Max-Forwards", 0), "70");
        CHECK_STR(hdr(m, "Route", 0), "<sip:p1.example.com;lr>");
        CHECK_STR(hdr(m, "Call-ID", 0), CALLID);
        CHECK_STR(hop, "sip:p1.example.com;lr");
        CHECK_STR(hdr(m, "Via", 0), "");
        /* Contact only on target refresh requests. */
        bool refresh = i == 1 || i == 3;
        CHECK_STR(hdr(m, "Contact", 0),
                  refresh ? "<sip:alice@pc33.atlanta.example.com>" : "");
        siphon_msg_unref(m);
    }
    /* §15.1.1: after BYE the dialog is gone. */
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_TERMINATED);
    CHECK_INT(siphon_dialog_reason_of(d), SIPHON_DIALOG_REASON_BYE_SENT);
    siphon_msg *m = NULL;
    CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("INFO"),
                                    SIPHON_STR_NULL, SIPHON_STR_NULL, 10, &m,
                                    NULL),
              SIPHON_ESTATE);
    CHECK_INT(siphon_dialog_count(c.s), 0);
out:
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    dctx_free(&c);
}

UNIT_TEST(dialog_strict_router)
{
    /* §12.2.1.1: the first route has no ;lr -- the Request-URI becomes
     * that route (parameters not allowed there stripped), the rest of
     * the set follows in Route, and the remote target goes last. */
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
    /* Reversed on the UAC side: the strict router is the last one. */
    siphon_msg *r200 = reply(inv, 200, "t1",
                             "<sip:bob@bobpc.example.com?Subject=hi>",
                             "<sip:p3.example.com;lr>, <sip:p2.example.com;lr>, "
                             "<sip:p1.example.com;method=INVITE;maddr=10.0.0.1>");
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 0, &d), 1);
    siphon_msg *m = NULL;
    siphon_str hop = SIPHON_STR_NULL;
    if (d)
        CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("INFO"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 0,
                                        &m, &hop),
                  0);
    if (m) {
        CHECK_STR(siphon_msg_ruri_str(m), "sip:p1.example.com;maddr=10.0.0.1");
        CHECK_STR(hdr(m, "Route", 0), "<sip:p2.example.com;lr>");
        CHECK_STR(hdr(m, "Route", 1), "<sip:p3.example.com;lr>");
        CHECK_STR(hdr(m, "Route", 2), "<sip:bob@bobpc.example.com?Subject=hi>");
        CHECK_STR(hdr(m, "Route", 3), "");
        CHECK_STR(hop, "sip:p1.example.com;maddr=10.0.0.1");
    }
    siphon_msg_unref(m);
    /* Loose routing, no headers in the Request-URI either. */
    siphon_msg *inv2 = uac_invite2("sip:bob@biloxi.example.com", "c2@x");
    siphon_msg *r2 = reply(inv2, 200, "t1",
                           "<sip:bob@bobpc.example.com;method=BYE?Subject=hi>",
                           NULL);
    d = NULL;
    m = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv2, r2, 0, &d), 1);
    if (d)
        CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("INFO"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 0,
                                        &m, &hop),
                  0);
    if (m) {
        CHECK_STR(siphon_msg_ruri_str(m), "sip:bob@bobpc.example.com");
        CHECK_STR(hop, "sip:bob@bobpc.example.com");
        CHECK_STR(hdr(m, "Route", 0), "");
    }
    siphon_msg_unref(m);
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    siphon_msg_unref(inv2);
    siphon_msg_unref(r2);
    dctx_free(&c);
}

UNIT_TEST(dialog_uac_in_dialog_failures)
{
    /* §12.2.1.2: 481 and 408 (or a transaction timeout) end the dialog;
     * other failures do not. */
    static const int statuses[] = {481, 408, 0, 491};
    static const char *const want[] = {"GONE", "TIMEOUT", "TIMEOUT", NULL};
    for (size_t k = 0; k < 4; k++) {
        dctx c;
        dctx_init(&c, NULL);
        siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
        siphon_msg *r200 = reply(inv, 200, "t1", "<sip:bob@192.0.2.4>", NULL);
        siphon_dialog *d = NULL, *x = NULL;
        siphon_msg *info = NULL, *fail = NULL;
        CHECK_INT(siphon_dialog_receive_response(c.s, inv, r200, 0, &d), 1);
        if (d)
            CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("INFO"),
                                            SIPHON_STR_NULL, SIPHON_STR_NULL,
                                            0, &info, NULL),
                      0);
        if (info && statuses[k]) {
            fail = reply(info, statuses[k], NULL, NULL, NULL);
            CHECK_INT(siphon_dialog_receive_response(c.s, info, fail, 5, &x),
                      SIPHON_DIALOG_MATCHED);
            CHECK(x == d);
        } else if (d) {
            CHECK_INT(siphon_dialog_terminate(c.s, d,
                                              SIPHON_DIALOG_REASON_TIMEOUT, 5),
                      0);
            CHECK_INT(siphon_dialog_terminate(c.s, d,
                                              SIPHON_DIALOG_REASON_LOCAL, 5),
                      SIPHON_ESTATE);
        }
        if (d) {
            if (want[k]) {
                CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_TERMINATED);
                CHECK_STR(siphon_str_c(siphon_dialog_reason_name(
                              siphon_dialog_reason_of(d))),
                          want[k]);
            } else {
                CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_CONFIRMED);
            }
        }
        siphon_msg_unref(info);
        siphon_msg_unref(fail);
        siphon_msg_unref(inv);
        siphon_msg_unref(r200);
        dctx_free(&c);
    }
}

/* ---- UAS: creation, requests received ---------------------------------- */

/* Bob answers with status and tag "bt", his Contact. */
static siphon_msg *uas_reply(siphon_msg *inv, int status)
{
    return reply(inv, status, "bt", "<sip:bob@192.0.2.4>", NULL);
}

/* A request from Alice within the dialog: method, CSeq, To tag, Contact. */
static siphon_msg *alice_req(const char *method, unsigned cseq,
                             const char *totag, const char *contact)
{
    char t[2048];
    snprintf(t, sizeof t,
             "%s sip:bob@192.0.2.4 SIP/2.0\n"
             "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK%s%u\n"
             "Max-Forwards: 70\n"
             "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n"
             "To: Bob <sip:bob@biloxi.example.com>;tag=%s\n"
             "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
             "Call-ID: " CALLID "\n"
             "CSeq: %u %s\n"
             "%s%s%s"
             "Content-Length: 0\n\n",
             method, method, cseq, totag, cseq, method,
             contact ? "Contact: " : "", contact ? contact : "",
             contact ? "\n" : "");
    return dparse(t);
}

UNIT_TEST(dialog_uas_create_and_requests)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_msg *r180 = uas_reply(inv, 180), *r200 = uas_reply(inv, 200);
    siphon_dialog *d = NULL, *x = NULL;
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r180, 0, &d),
              SIPHON_DIALOG_MATCHED);
    if (!d)
        goto out;
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_EARLY);
    CHECK_INT(siphon_dialog_role_of(d), SIPHON_DIALOG_UAS);
    CHECK_STR(siphon_dialog_local_tag(d), "bt");
    CHECK_STR(siphon_dialog_remote_tag(d), "1928301774");
    /* §12.1.1: Record-Route as received, Contact of the request, remote
     * CSeq of the request, local CSeq empty. */
    CHECK_INT(siphon_dialog_route_count(d), 2);
    CHECK_STR(siphon_dialog_route(d, 0), "<sip:p2.example.com;lr>");
    CHECK_STR(siphon_dialog_route(d, 1), "<sip:p1.example.com;lr>");
    CHECK_STR(siphon_dialog_remote_target(d), "sip:alice@pc33.atlanta.example.com");
    bool has;
    CHECK_INT(siphon_dialog_remote_cseq(d, &has), 314159);
    CHECK(has);
    siphon_dialog_local_cseq(d, &has);
    CHECK(!has);
    /* §15: the callee may not BYE an early dialog. */
    siphon_msg *m = NULL;
    CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("BYE"),
                                    SIPHON_STR_NULL, SIPHON_STR_NULL, 0, &m,
                                    NULL),
              SIPHON_ESTATE);
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r200, 100, &x), 1);
    CHECK(x == d);
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_CONFIRMED);
    CHECK_INT(siphon_dialog_route_count(d), 2);
    /* The ACK stops the 2xx retransmissions. */
    CHECK(siphon_dialog_awaiting_ack(d));
    siphon_msg *ack = alice_req("ACK", 314159, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, ack, 200, &x, NULL),
              SIPHON_DIALOG_MATCHED);
    CHECK(!siphon_dialog_awaiting_ack(d));
    /* Bob's own request: From his To with tag, To Alice's From, Route as
     * received, Request-URI her Contact, a fresh CSeq. */
    siphon_str hop;
    CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("INFO"),
                                    SIPHON_STR_NULL, SIPHON_STR_NULL, 300, &m,
                                    &hop),
              0);
    if (m) {
        CHECK_STR(siphon_msg_ruri_str(m), "sip:alice@pc33.atlanta.example.com");
        CHECK_STR(hdr(m, "From", 0), "Bob <sip:bob@biloxi.example.com>;tag=bt");
        CHECK_STR(hdr(m, "To", 0),
                  "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
        CHECK_STR(hdr(m, "Route", 0), "<sip:p2.example.com;lr>");
        CHECK_STR(hdr(m, "Route", 1), "<sip:p1.example.com;lr>");
        CHECK_STR(hop, "sip:p2.example.com;lr");
        uint32_t first = siphon_msg_cseq(m)->num;
        CHECK(first >= 1 && first < 0x80000000u);
        CHECK_INT(siphon_dialog_local_cseq(d, &has), first);
        siphon_msg_unref(m);
        m = NULL;
        CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("INFO"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 300,
                                        &m, NULL),
                  0);
        if (m)
            CHECK(siphon_msg_cseq(m)->num == first + 1);
        siphon_msg_unref(m);
    }
    /* §12.2.2 target refresh: a re-INVITE with a new Contact. */
    siphon_msg *reinv = alice_req("INVITE", 314160, "bt",
                                  "<sip:alice@192.0.2.99>");
    siphon_msg *resp = NULL;
    CHECK_INT(siphon_dialog_receive_request(c.s, reinv, 400, &x, &resp),
              SIPHON_DIALOG_MATCHED);
    CHECK(x == d && resp == NULL);
    CHECK_STR(siphon_dialog_remote_target(d), "sip:alice@192.0.2.99");
    CHECK_INT(siphon_dialog_remote_cseq(d, NULL), 314160);
    /* A lower CSeq: 500 (§12.2.2). */
    siphon_msg *old = alice_req("INFO", 314159, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, old, 500, &x, &resp),
              SIPHON_DIALOG_REJECT);
    CHECK(x == d);
    if (resp) {
        CHECK_INT(siphon_msg_status(resp), 500);
        CHECK_STR(siphon_msg_reason(resp), "CSeq Out of Order");
    }
    siphon_msg_unref(resp);
    resp = NULL;
    CHECK_INT(siphon_dialog_remote_cseq(d, NULL), 314160);
    /* Unknown dialog: 481; an ACK for one: dropped; no To tag or a
     * CANCEL: not ours. */
    siphon_msg *unk = alice_req("INFO", 314170, "nosuch", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, unk, 600, &x, &resp),
              SIPHON_DIALOG_REJECT);
    CHECK(x == NULL);
    if (resp)
        CHECK_INT(siphon_msg_status(resp), 481);
    siphon_msg_unref(resp);
    resp = NULL;
    siphon_msg *unkack = alice_req("ACK", 314170, "nosuch", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, unkack, 600, &x, &resp),
              SIPHON_DIALOG_NONE);
    CHECK(resp == NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, inv, 600, &x, &resp),
              SIPHON_DIALOG_NONE);
    siphon_msg *cancel = alice_req("CANCEL", 314160, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, cancel, 600, &x, &resp),
              SIPHON_DIALOG_NONE);
    /* BYE ends it (§15.1.2). */
    siphon_msg *bye = alice_req("BYE", 314161, "bt", NULL);
    CHECK_INT(siphon_dialog_receive_request(c.s, bye, 700, &x, &resp),
              SIPHON_DIALOG_MATCHED);
    CHECK(x == d);
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_TERMINATED);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    dctx_drain(&c, 700);
    CHECK_TRACE(&c, "CREATED(EARLY)@700 STATE(EARLY>CONFIRMED)@700 "
                    "TERMINATED(BYE_RECEIVED)@700");
    /* Gone: the BYE again would get a 481. */
    CHECK_INT(siphon_dialog_receive_request(c.s, bye, 800, &x, &resp),
              SIPHON_DIALOG_REJECT);
    siphon_msg_unref(resp);
    siphon_msg_unref(ack);
    siphon_msg_unref(reinv);
    siphon_msg_unref(old);
    siphon_msg_unref(unk);
    siphon_msg_unref(unkack);
    siphon_msg_unref(cancel);
    siphon_msg_unref(bye);
out:
    siphon_msg_unref(inv);
    siphon_msg_unref(r180);
    siphon_msg_unref(r200);
    dctx_free(&c);
}

UNIT_TEST(dialog_uas_rejected)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_msg *r180 = uas_reply(inv, 180), *r486 = uas_reply(inv, 486);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r180, 0, &d), 1);
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r486, 10, &d), 1);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    dctx_drain(&c, 10);
    CHECK_TRACE(&c, "CREATED(EARLY)@10 TERMINATED(REJECTED)@10");
    siphon_msg_unref(inv);
    siphon_msg_unref(r180);
    siphon_msg_unref(r486);
    dctx_free(&c);
}

/* ---- UAS: §13.3.1.4 on a virtual clock ---------------------------------- */

UNIT_TEST(dialog_uas_2xx_retransmit_until_ack)
{
    /* T1 = 500, T2 = 4000: resend at 0.5, 1.5, 3.5, 7.5, 11.5 s ...;
     * the ACK at 9 s stops it. */
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_msg *r200 = uas_reply(inv, 200);
    siphon_msg *ack = alice_req("ACK", 314159, "bt", NULL);
    siphon_msg *ack_other = alice_req("ACK", 314158, "bt", NULL);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r200, 0, &d), 1);
    dctx_drain(&c, 0);
    CHECK_INT(siphon_dialog_next_deadline(c.s), 500);
    dctx_run(&c, 8000);
    /* An ACK for another CSeq is not ours. */
    CHECK_INT(siphon_dialog_receive_request(c.s, ack_other, 8000, NULL, NULL),
              SIPHON_DIALOG_MATCHED);
    CHECK_INT(siphon_dialog_next_deadline(c.s), 11500);
    dctx_run(&c, 9000);
    CHECK_INT(siphon_dialog_receive_request(c.s, ack, 9000, NULL, NULL),
              SIPHON_DIALOG_MATCHED);
    CHECK(siphon_dialog_next_deadline(c.s) == UINT64_MAX);
    dctx_run(&c, 100000);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@0 SEND(200)@500 SEND(200)@1500 "
                    "SEND(200)@3500 SEND(200)@7500");
    for (size_t i = 0; i < c.n; i++)
        if (c.ev[i].type == SIPHON_DIALOG_EV_SEND) {
            CHECK(c.ev[i].msg == r200);
            CHECK_INT(c.ev[i].next_hop.len, 0);
        }
    /* Now the callee may BYE. */
    siphon_msg *bye = NULL;
    if (d)
        CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("BYE"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL,
                                        100000, &bye, NULL),
                  0);
    siphon_msg_unref(bye);
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    siphon_msg_unref(ack);
    siphon_msg_unref(ack_other);
    dctx_free(&c);
}

UNIT_TEST(dialog_uas_no_ack_bye)
{
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_msg *r200 = uas_reply(inv, 200);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r200, 1000, &d), 1);
    dctx_drain(&c, 1000);
    /* The callee may not BYE before the ACK (§15). */
    siphon_msg *m = NULL;
    if (d)
        CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("BYE"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 1000,
                                        &m, NULL),
                  SIPHON_ESTATE);
    dctx_run(&c, 100000);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@1000 SEND(200)@1500 SEND(200)@2500 "
                    "SEND(200)@4500 SEND(200)@8500 SEND(200)@12500 "
                    "SEND(200)@16500 SEND(200)@20500 SEND(200)@24500 "
                    "SEND(200)@28500 SEND(200)@32500 "
                    "NO_ACK@33000 SEND(BYE)@33000 TERMINATED(NO_ACK)@33000");
    CHECK_INT(siphon_dialog_count(c.s), 0);
    CHECK(siphon_dialog_next_deadline(c.s) == UINT64_MAX);
    long i = -1;
    for (size_t k = 0; k < c.n; k++)
        if (c.ev[k].type == SIPHON_DIALOG_EV_SEND &&
            siphon_msg_is_request(c.ev[k].msg))
            i = (long)k;
    if (i >= 0) {
        siphon_msg *bye = c.ev[i].msg;
        CHECK_STR(siphon_msg_ruri_str(bye), "sip:alice@pc33.atlanta.example.com");
        CHECK_STR(hdr(bye, "To", 0),
                  "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
        CHECK_STR(hdr(bye, "From", 0), "Bob <sip:bob@biloxi.example.com>;tag=bt");
        CHECK_STR(c.ev[i].next_hop, "sip:p2.example.com;lr");
        CHECK_STR(siphon_msg_cseq(bye)->method, "BYE");
    }
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    dctx_free(&c);
}

UNIT_TEST(dialog_uas_reinvite_2xx_retransmit)
{
    /* A 2xx to a re-INVITE is retransmitted too, with T1 = 100 and
     * T2 = 400, and the ACK of that re-INVITE stops it. */
    siphon_dialog_config cfg = SIPHON_DIALOG_CONFIG_DEFAULT;
    cfg.t1_ms = 100;
    cfg.t2_ms = 400;
    dctx c;
    dctx_init(&c, &cfg);
    siphon_msg *inv = uas_invite();
    siphon_msg *r200 = uas_reply(inv, 200);
    siphon_msg *ack = alice_req("ACK", 314159, "bt", NULL);
    siphon_msg *reinv = alice_req("INVITE", 314160, "bt", "<sip:a@192.0.2.7>");
    siphon_msg *re200 = reinv ? reply(reinv, 200, NULL, "<sip:bob@192.0.2.4>",
                                      NULL)
                              : NULL;
    siphon_msg *reack = alice_req("ACK", 314160, "bt", NULL);
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r200, 0, NULL), 1);
    dctx_drain(&c, 0);
    CHECK_INT(siphon_dialog_receive_request(c.s, ack, 50, NULL, NULL), 1);
    CHECK_INT(siphon_dialog_receive_request(c.s, reinv, 1000, NULL, NULL), 1);
    CHECK_INT(siphon_dialog_uas_respond(c.s, reinv, re200, 1000, NULL), 1);
    dctx_run(&c, 2000);
    CHECK_INT(siphon_dialog_receive_request(c.s, reack, 2000, NULL, NULL), 1);
    dctx_run(&c, 100000);
    CHECK_TRACE(&c, "CREATED(CONFIRMED)@0 SEND(200)@1100 SEND(200)@1300 "
                    "SEND(200)@1700");
    CHECK_INT(siphon_dialog_count(c.s), 1);
    siphon_msg_unref(inv);
    siphon_msg_unref(r200);
    siphon_msg_unref(ack);
    siphon_msg_unref(reinv);
    siphon_msg_unref(re200);
    siphon_msg_unref(reack);
    dctx_free(&c);
}

/* ---- limits, tokens, bad input ------------------------------------------ */

UNIT_TEST(dialog_limits)
{
    siphon_dialog_config cfg = SIPHON_DIALOG_CONFIG_DEFAULT;
    cfg.max_dialogs = 2;
    cfg.max_routes = 1;
    dctx c;
    dctx_init(&c, &cfg);
    siphon_msg *inv = uac_invite("sip:bob@biloxi.example.com");
    siphon_msg *a = reply(inv, 180, "ta", "<sip:b@a>", NULL);
    siphon_msg *b = reply(inv, 180, "tb", "<sip:b@b>", NULL);
    siphon_msg *cc = reply(inv, 180, "tc", "<sip:b@c>", NULL);
    siphon_msg *rr2 = reply(inv, 180, "td", "<sip:b@d>",
                            "<sip:p1;lr>, <sip:p2;lr>");
    siphon_msg *badc = reply(inv, 180, "te", "<sip:b@[bad>", NULL);
    siphon_msg *star = reply(inv, 180, "tf", "*", NULL);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, rr2, 0, &d),
              SIPHON_ETOOBIG);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, badc, 0, &d),
              SIPHON_EPARSE);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, star, 0, &d),
              SIPHON_EPARSE);
    CHECK(d == NULL);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, a, 0, &d), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, b, 0, &d), 1);
    CHECK_INT(siphon_dialog_receive_response(c.s, inv, cc, 0, &d),
              SIPHON_ETOOBIG);
    CHECK_INT(siphon_dialog_count(c.s), 2);
    /* Bad arguments. */
    CHECK_INT(siphon_dialog_receive_response(NULL, inv, a, 0, &d),
              SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_receive_response(c.s, a, inv, 0, &d),
              SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_receive_request(c.s, a, 0, &d, NULL),
              SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_uas_respond(c.s, inv, inv, 0, &d), SIPHON_EINVAL);
    CHECK_INT(siphon_dialog_tick(NULL, 0), SIPHON_EINVAL);
    CHECK(siphon_dialog_next_deadline(NULL) == UINT64_MAX);
    CHECK_INT(siphon_dialog_count(NULL), 0);
    siphon_dialog_event ev;
    CHECK(!siphon_dialog_poll(NULL, &ev));
    siphon_dialog_set_free(NULL);
    d = siphon_dialog_find(c.s, siphon_str_c(CALLID),
                           SIPHON_STR_LIT("1928301774"), SIPHON_STR_LIT("ta"));
    CHECK(d != NULL);
    siphon_msg *m = NULL;
    if (d) {
        CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("CANCEL"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 0,
                                        &m, NULL),
                  SIPHON_EINVAL);
        CHECK_INT(siphon_dialog_request(c.s, d, SIPHON_STR_LIT("BAD METHOD"),
                                        SIPHON_STR_NULL, SIPHON_STR_NULL, 0,
                                        &m, NULL),
                  SIPHON_EINVAL);
    }
    /* Tokens from the RNG. */
    char buf[64];
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_TAG, buf,
                                      sizeof buf), 16);
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_CALL_ID, buf,
                                      sizeof buf), 32);
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_BRANCH, buf,
                                      sizeof buf), 23);
    CHECK(strncmp(buf, "z9hG4bK", 7) == 0);
    CHECK_INT(siphon_dialog_new_token(c.s, SIPHON_DIALOG_TOKEN_TAG, buf, 16),
              SIPHON_ETOOBIG);
    siphon_msg_unref(inv);
    siphon_msg_unref(a);
    siphon_msg_unref(b);
    siphon_msg_unref(cc);
    siphon_msg_unref(rr2);
    siphon_msg_unref(badc);
    siphon_msg_unref(star);
    dctx_free(&c);
}

static uint32_t fixed_rng(void *arg)
{
    unsigned *n = arg;
    return 0x01020304u + (*n)++;
}

UNIT_TEST(dialog_injected_rng)
{
    unsigned n = 0;
    siphon_dialog_config cfg = SIPHON_DIALOG_CONFIG_DEFAULT;
    cfg.rng = fixed_rng;
    cfg.rng_arg = &n;
    siphon_dialog_set *s = siphon_dialog_set_new(&cfg);
    char buf[64];
    CHECK_INT(siphon_dialog_new_token(s, SIPHON_DIALOG_TOKEN_TAG, buf,
                                      sizeof buf), 16);
    CHECK_STR(siphon_str_c(buf), "0102030401020305");
    CHECK_INT(n, 2);
    siphon_dialog_set_free(s);
}

UNIT_TEST(dialog_many)
{
    /* 300 UAS dialogs: the index grows past its first 64 buckets, each
     * is found by its ID, and ending them all empties the set. */
    dctx c;
    dctx_init(&c, NULL);
    siphon_msg *inv = uas_invite();
    siphon_dialog *ds[300];
    for (int i = 0; i < 300; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "b%d", i);
        siphon_msg *r = reply(inv, 180, tag, "<sip:bob@192.0.2.4>", NULL);
        ds[i] = NULL;
        CHECK_INT(siphon_dialog_uas_respond(c.s, inv, r, 0, &ds[i]), 1);
        if (ds[i])
            siphon_dialog_set_user(ds[i], &ds[i]);
        siphon_msg_unref(r);
    }
    CHECK_INT(siphon_dialog_count(c.s), 300);
    for (int i = 0; i < 300; i++) {
        char tag[16];
        snprintf(tag, sizeof tag, "b%d", i);
        siphon_dialog *d = siphon_dialog_find(c.s, siphon_str_c(CALLID),
                                              siphon_str_c(tag),
                                              SIPHON_STR_LIT("1928301774"));
        CHECK(d == ds[i]);
        if (d) {
            CHECK(siphon_dialog_user(d) == &ds[i]);
            CHECK_STR(siphon_str_c(siphon_dialog_role_name(
                          siphon_dialog_role_of(d))),
                      "UAS");
        }
    }
    /* Free the set with TERMINATED events still queued: no leak. */
    for (int i = 0; i < 300; i++)
        if (ds[i])
            CHECK_INT(siphon_dialog_terminate(c.s, ds[i],
                                              SIPHON_DIALOG_REASON_LOCAL, 1),
                      0);
    CHECK_INT(siphon_dialog_count(c.s), 0);
    siphon_dialog_set_free(c.s);
    c.s = siphon_dialog_set_new(NULL);
    siphon_msg_unref(inv);
    dctx_free(&c);
}
