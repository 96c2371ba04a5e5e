/*
 * dialogs.c -- the endpoint's dialogs (RFC 3261 §12-§15): lib/dialog fed
 * with what the endpoint sends and receives, and its output sent.
 *
 * With siphon_ua_config.dialogs the endpoint
 *   - reports every response to an INVITE or an in-dialog request to the
 *     dialog set (§12.1.2, §12.2.1.2), and acknowledged 2xx
 *     retransmissions get the stored ACK again (§13.2.2.4) without
 *     bothering the TU;
 *   - checks requests with a To tag (§12.2.2): 481 for no dialog, 500
 *     for a CSeq out of order, answered without the TU;
 *   - makes UAS dialogs from the TU's responses to INVITE and
 *     retransmits their 2xx until the ACK (§13.3.1.4), over the flow the
 *     INVITE came on; after 64*T1 it sends the BYE itself;
 *   - builds and sends requests within a dialog for the TU
 *     (siphon_ua_dialog_request).
 */
#include "ua_internal.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static uint32_t dialog_rng(void *arg)
{
    (void)arg;
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) {
        static uint32_t x = 2463534242u; /* xorshift: never reached in practice */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        r = x;
    }
    return r;
}

int ua_dialogs_init(siphon_ua *ua)
{
    siphon_dialog_config dc = SIPHON_DIALOG_CONFIG_DEFAULT;
    dc.t1_ms = ua->cfg.txn.t1_ms;
    dc.t2_ms = ua->cfg.txn.t2_ms;
    dc.rng = dialog_rng;
    ua->dlg = siphon_dialog_set_new(&dc);
    return ua->dlg ? 0 : SIPHON_ENOMEM;
}

siphon_dialog_set *siphon_ua_dialogs(siphon_ua *ua)
{
    return ua ? ua->dlg : NULL;
}

/* A UAS dialog keeps the flow its INVITE came on: its 2xx retransmissions
 * go back that way (§18.2.2). The copies are listed so that the endpoint
 * can free those of dialogs still alive when it goes. */
static void remember_flow(siphon_ua *ua, siphon_dialog *d,
                          const siphon_ua_flow *flow)
{
    if (!d || siphon_dialog_user(d))
        return;
    ua_dflow *f = calloc(1, sizeof *f);
    if (!f)
        return;
    f->flow = *flow;
    f->next = ua->dflows;
    if (ua->dflows)
        ua->dflows->prev = f;
    ua->dflows = f;
    siphon_dialog_set_user(d, f);
}

static void forget_flow(siphon_ua *ua, ua_dflow *f)
{
    if (!f)
        return;
    if (f->prev)
        f->prev->next = f->next;
    else
        ua->dflows = f->next;
    if (f->next)
        f->next->prev = f->prev;
    free(f);
}

void ua_dialogs_response_out(siphon_ua *ua, siphon_msg *req, siphon_msg *resp,
                             const siphon_ua_flow *flow)
{
    if (!ua->dlg || !req)
        return;
    siphon_dialog *d = NULL;
    if (siphon_dialog_uas_respond(ua->dlg, req, resp, ua_now(ua), &d) > 0)
        remember_flow(ua, d, flow);
}

bool ua_dialogs_response_in(siphon_ua *ua, siphon_msg *req, siphon_msg *resp)
{
    if (!ua->dlg)
        return false;
    siphon_dialog *d = NULL;
    int m = siphon_dialog_receive_response(ua->dlg, req, resp, ua_now(ua), &d);
    if (m < 0)
        siphon_log(SIPHON_LOG_INFO, "ua", "dialog layer refused a %d: %s",
                   siphon_msg_status(resp), siphon_strerror(m));
    return m == SIPHON_DIALOG_RETRANSMISSION;
}

void ua_dialogs_invite_ended(siphon_ua *ua, siphon_msg *invite)
{
    if (ua->dlg && invite &&
        siphon_msg_method_id(invite) == SIPHON_METHOD_INVITE)
        siphon_dialog_uac_invite_ended(ua->dlg, invite, ua_now(ua));
}

bool ua_dialogs_request_in(siphon_ua *ua, siphon_txn *stx, siphon_msg *req)
{
    if (!ua->dlg)
        return false;
    siphon_dialog *d = NULL;
    siphon_msg *resp = NULL;
    int m = siphon_dialog_receive_request(ua->dlg, req, ua_now(ua), &d,
                                          stx ? &resp : NULL);
    if (m == SIPHON_DIALOG_REJECT && stx && resp) {
        /* §12.2.2: 481 or 500, answered here. */
        siphon_txn_respond(ua->txl, stx, resp, ua_now(ua));
        siphon_msg_unref(resp);
        return true;
    }
    siphon_msg_unref(resp);
    if (m == SIPHON_EPARSE && stx) {
        siphon_msg *bad = NULL;
        if (siphon_msg_response(req, 400, siphon_str_c("Bad Contact"),
                                SIPHON_STR_NULL, &bad) == 0) {
            siphon_txn_respond(ua->txl, stx, bad, ua_now(ua));
            siphon_msg_unref(bad);
        }
        return true;
    }
    return false;
}

/* Send what the dialog layer asks for: a request (the stored ACK again,
 * the no-ACK BYE) through the endpoint, a response (a 2xx
 * retransmission) back along its dialog's flow. */
static void dialog_send(siphon_ua *ua, const siphon_dialog_event *ev)
{
    if (siphon_msg_is_request(ev->msg)) {
        int rc = siphon_ua_request(ua, ev->msg, NULL, NULL, NULL, NULL);
        if (rc < 0)
            siphon_log(SIPHON_LOG_WARN, "ua", "dialog %.*s: cannot send %.*s: %s",
                       (int)siphon_dialog_call_id(ev->dialog).len,
                       siphon_dialog_call_id(ev->dialog).p,
                       (int)siphon_msg_method(ev->msg).len,
                       siphon_msg_method(ev->msg).p, siphon_strerror(rc));
        return;
    }
    const ua_dflow *df = ev->user;
    const siphon_ua_flow *flow = df ? &df->flow : NULL;
    ua_lp *lp = flow ? ua_lp_for(ua, flow->transport, false) : NULL;
    struct sockaddr_storage dest;
    if (!lp || ua_response_dest(ev->msg, flow, &dest) < 0)
        return;
    siphon_str b = siphon_msg_bytes(ev->msg);
    ua_send_bytes(ua, lp, (struct sockaddr *)&dest, NULL, b.p, b.len);
}

void ua_dialogs_pump(siphon_ua *ua)
{
    /* Sending may start a request, whose pump comes back here: the
     * outer loop picks up what that queues, and no dialog is freed under
     * an event being handled. */
    if (!ua->dlg || ua->dlg_pumping)
        return;
    ua->dlg_pumping = true;
    siphon_dialog_event ev;
    while (siphon_dialog_poll(ua->dlg, &ev)) {
        if (ev.type == SIPHON_DIALOG_EV_SEND)
            dialog_send(ua, &ev);
        else if (ua->h.dialog)
            ua->h.dialog(ua->h.arg, ua, &ev);
        if (ev.type == SIPHON_DIALOG_EV_TERMINATED) {
            forget_flow(ua, ev.user); /* a UAS dialog's flow */
            siphon_dialog_set_user(ev.dialog, NULL);
        }
        siphon_msg_unref(ev.msg);
    }
    ua->dlg_pumping = false;
}

void ua_dialogs_free(siphon_ua *ua)
{
    if (!ua->dlg)
        return;
    siphon_dialog_set_free(ua->dlg);
    ua->dlg = NULL;
    while (ua->dflows)
        forget_flow(ua, ua->dflows);
}

int siphon_ua_dialog_request(siphon_ua *ua, siphon_dialog *d,
                             siphon_str method, siphon_str content_type,
                             siphon_str body,
                             const siphon_ua_credentials *credentials,
                             siphon_ua_response_fn *cb, void *arg,
                             siphon_ua_client **out)
{
    if (!ua || !ua->dlg || !d)
        return SIPHON_EINVAL;
    siphon_msg *m = NULL;
    int rc = siphon_dialog_request(ua->dlg, d, method, content_type, body,
                                   ua_now(ua), &m, NULL);
    if (rc < 0)
        return rc;
    siphon_ua_dest dest = {.credentials = credentials};
    rc = siphon_ua_request(ua, m, &dest, cb, arg, out);
    siphon_msg_unref(m);
    ua_pump(ua); /* a BYE ended the dialog: its events go out now */
    return rc;
}
