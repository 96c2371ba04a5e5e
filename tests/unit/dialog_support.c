/*
 * dialog_support.c -- helpers for the dialog layer tests.
 */
#include "dialog_support.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse text with "\n" line ends (converted to CRLF); NULL on failure. */
siphon_msg *dlg_parse(const char *text)
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
siphon_msg *uac_invite2(const char *ruri, const char *callid)
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
    return dlg_parse(t);
}

siphon_msg *uac_invite(const char *ruri)
{
    return uac_invite2(ruri, CALLID);
}

/* The same INVITE as it reaches Bob, through two record-routing
 * proxies. */
siphon_msg *uas_invite(void)
{
    return dlg_parse(
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
siphon_msg *dlg_reply(siphon_msg *req, int status, const char *totag,
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
siphon_str dlg_hdr(siphon_msg *m, const char *name, int idx)
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

void dctx_init(dctx *c, const siphon_dialog_config *cfg)
{
    memset(c, 0, sizeof *c);
    c->s = siphon_dialog_set_new(cfg);
    if (!c->s)
        abort();
}

void dctx_drain(dctx *c, uint64_t now)
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
void dctx_run(dctx *c, uint64_t until)
{
    for (;;) {
        uint64_t t = siphon_dialog_next_deadline(c->s);
        if (t > until)
            break;
        CHECK(siphon_dialog_tick(c->s, t) >= 1);
        dctx_drain(c, t);
    }
}

void dctx_clear(dctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        siphon_msg_unref(c->ev[i].msg);
    c->n = 0;
}

void dctx_free(dctx *c)
{
    dctx_drain(c, 0);
    dctx_clear(c);
    siphon_dialog_set_free(c->s);
}

/* "CREATED(EARLY)@0 SEND(200)@500 STATE(EARLY>CONFIRMED)@0 ..." */
const char *dctx_trace(dctx *c)
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


/* Bob answers with status and tag "bt", his Contact. */
siphon_msg *uas_reply(siphon_msg *inv, int status)
{
    return dlg_reply(inv, status, "bt", "<sip:bob@192.0.2.4>", NULL);
}

/* A request from Alice within the dialog: method, CSeq, To tag, Contact. */
siphon_msg *alice_req(const char *method, unsigned cseq, const char *totag,
                      const char *contact)
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
    return dlg_parse(t);
}

void dlg_unref(siphon_msg *const *ms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        siphon_msg_unref(ms[i]);
}

int dctx_request(dctx *c, siphon_dialog *d, const char *method, uint64_t now,
                 siphon_msg **out, siphon_str *next_hop)
{
    return siphon_dialog_request(c->s, d, siphon_str_c(method),
                                 SIPHON_STR_NULL, SIPHON_STR_NULL, now, out,
                                 next_hop);
}

siphon_dialog *uac_confirmed(dctx *c, siphon_msg **inv, siphon_msg **r200,
                             const char *contact, const char *rr)
{
    dctx_init(c, NULL);
    *inv = uac_invite(BOB_URI);
    *r200 = dlg_reply(*inv, 200, "t1", contact, rr);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_receive_response(c->s, *inv, *r200, 0, &d),
              SIPHON_DIALOG_MATCHED);
    return d;
}

siphon_dialog *uas_confirmed(dctx *c, const siphon_dialog_config *cfg,
                             siphon_msg **inv, siphon_msg **r200,
                             uint64_t now)
{
    dctx_init(c, cfg);
    *inv = uas_invite();
    *r200 = uas_reply(*inv, 200);
    siphon_dialog *d = NULL;
    CHECK_INT(siphon_dialog_uas_respond(c->s, *inv, *r200, now, &d),
              SIPHON_DIALOG_MATCHED);
    dctx_drain(c, now);
    return d;
}

void check_new_early(siphon_dialog *d, siphon_dialog_role role,
                     const char *local_tag, const char *remote_tag,
                     const char *target)
{
    CHECK_INT(siphon_dialog_state_of(d), SIPHON_DIALOG_EARLY);
    CHECK_INT(siphon_dialog_role_of(d), role);
    CHECK_STR(siphon_dialog_local_tag(d), local_tag);
    CHECK_STR(siphon_dialog_remote_tag(d), remote_tag);
    CHECK_INT(siphon_dialog_route_count(d), 2);
    CHECK_STR(siphon_dialog_route(d, 0), "<sip:p2.example.com;lr>");
    CHECK_STR(siphon_dialog_route(d, 1), "<sip:p1.example.com;lr>");
    CHECK_STR(siphon_dialog_remote_target(d), target);
    bool uac = role == SIPHON_DIALOG_UAC, has;
    uint32_t sent = uac ? siphon_dialog_local_cseq(d, &has)
                        : siphon_dialog_remote_cseq(d, &has);
    CHECK_INT(sent, 314159);
    CHECK(has);
    if (uac)
        siphon_dialog_remote_cseq(d, &has);
    else
        siphon_dialog_local_cseq(d, &has);
    CHECK(!has);
}
