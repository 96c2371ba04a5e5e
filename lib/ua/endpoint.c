/*
 * endpoint.c -- the endpoint: listening points, what arrives on them, the
 * transaction layer's event pump and its one loop timer (RFC 3261 §17,
 * §18). Requests and their routing are in client.c, Via rewriting and
 * response routing in route.c, captures in capture.c.
 *
 * Re-entrancy: handlers may call back into the endpoint (respond from
 * inside the request handler, start a request from a response). Such
 * calls only queue work in the transaction layer; the outermost pump
 * drains it, so no event is handled while another is half done and a
 * transaction handle never dies under a caller's feet.
 */
#include "ua_internal.h"

#include <stdlib.h>
#include <string.h>

void siphon_ua_config_default(siphon_ua_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->txn = SIPHON_TXN_CONFIG_DEFAULT;
    siphon_parse_opts_default(&cfg->parse);
    cfg->udp_max_request = 1300;
    cfg->reject_malformed = true;
}

uint64_t ua_now(siphon_ua *ua)
{
    return siphon_loop_now(ua->loop);
}

/* ---- the transaction layer's timer -------------------------------------- */

static void txn_timer_fired(siphon_loop *loop, uint64_t id, void *arg)
{
    siphon_ua *ua = arg;
    (void)loop;
    (void)id;
    ua->timer_id = 0;
    ua->timer_deadline = UINT64_MAX;
    siphon_txn_tick(ua->txl, ua_now(ua));
    if (ua->dlg)
        siphon_dialog_tick(ua->dlg, ua_now(ua));
    ua_pump(ua);
}

/* Keep exactly one loop timer at the layer's next deadline. */
static void rearm(siphon_ua *ua)
{
    uint64_t next = siphon_txn_next_deadline(ua->txl);
    if (ua->dlg && siphon_dialog_next_deadline(ua->dlg) < next)
        next = siphon_dialog_next_deadline(ua->dlg);
    if (next == ua->timer_deadline && (ua->timer_id || next == UINT64_MAX))
        return;
    if (ua->timer_id)
        siphon_loop_timer_cancel(ua->loop, ua->timer_id);
    ua->timer_id = 0;
    ua->timer_deadline = next;
    if (next != UINT64_MAX &&
        siphon_loop_timer_add(ua->loop, next, txn_timer_fired, ua,
                              &ua->timer_id) < 0) {
        ua->timer_deadline = UINT64_MAX;
        siphon_log(SIPHON_LOG_ERROR, "ua", "cannot arm the transaction timer");
    }
}

/* ---- sending ------------------------------------------------------------ */

int ua_send_bytes(siphon_ua *ua, ua_lp *lp, const struct sockaddr *dest,
                  const char *server_name, const char *bytes, size_t len)
{
    socklen_t dlen = siphon_addr_len(dest);
    if (!lp || !dlen)
        return SIPHON_EINVAL;
    int rc;
    siphon_ua_flow flow = {.transport = lp->tp, .local = lp->addr};
    memcpy(&flow.peer, dest, dlen);
    if (lp->udp) {
        rc = siphon_udp_send(lp->udp, dest, dlen, bytes, len);
    } else {
        siphon_tcp_conn *conn = NULL;
        rc = siphon_tcp_send_named(lp->tcp, dest, dlen, server_name, bytes,
                                   len, &conn);
        if (rc == 0 && conn)
            memcpy(&flow.local, siphon_tcp_conn_local(conn),
                   siphon_addr_len(siphon_tcp_conn_local(conn)));
    }
    if (rc < 0) {
        char where[SIPHON_ADDR_STRLEN];
        siphon_addr_format(dest, where, sizeof where);
        siphon_log(SIPHON_LOG_WARN, "ua", "send to %s over %s failed: %s",
                   where, siphon_transport_name(lp->tp), siphon_strerror(rc));
        ua->stats.transport_errors++;
        return rc;
    }
    ua->stats.tx_messages++;
    ua_capture(ua, SIPHON_UA_TX, &flow, bytes, len);
    return 0;
}

/* Send a server transaction's message back along its origin (§18.2.2). */
static void send_server(siphon_ua *ua, const siphon_txn_event *ev)
{
    ua_origin *o = ev->user;
    struct sockaddr_storage dest;
    if (ua_response_dest(ev->msg, &o->flow, &dest) < 0) {
        siphon_txn_transport_error(ua->txl, ev->txn, ua_now(ua));
        return;
    }
    siphon_str b = siphon_msg_bytes(ev->msg);
    if (ua_send_bytes(ua, o->lp, (struct sockaddr *)&dest, NULL, b.p, b.len) <
        0)
        siphon_txn_transport_error(ua->txl, ev->txn, ua_now(ua));
}

/* ---- the event pump ----------------------------------------------------- */

static bool is_client_kind(const siphon_txn *t)
{
    siphon_txn_kind k = siphon_txn_kind_of(t);
    return k == SIPHON_TXN_ICT || k == SIPHON_TXN_NICT;
}

static void deliver_request(siphon_ua *ua, siphon_txn *stx, siphon_msg *m,
                            const ua_origin *o)
{
    if (ua->h.request) {
        ua->h.request(ua->h.arg, ua, stx, m, &o->flow);
        return;
    }
    /* No TU: refuse what a transaction was made for (§8.2.1 spirit). */
    siphon_msg *resp = NULL;
    if (stx && siphon_msg_response(m, 501, SIPHON_STR_NULL,
                                   siphon_str_c("siphon"), &resp) == 0) {
        siphon_txn_respond(ua->txl, stx, resp, ua_now(ua));
        siphon_msg_unref(resp);
    }
}

static void unlink_adopted(siphon_ua *ua, ua_origin *o)
{
    if (o->prev)
        o->prev->next = o->next;
    else
        ua->adopted = o->next;
    if (o->next)
        o->next->prev = o->prev;
    o->prev = o->next = NULL;
}

/* After the outermost pump: every event that could name a pending origin
 * has been handled, so each is either a live transaction's user or
 * garbage. */
static void sweep_pending(siphon_ua *ua)
{
    ua_origin *o = ua->pending;
    ua->pending = NULL;
    while (o) {
        ua_origin *next = o->pnext;
        o->pending = false;
        o->pnext = NULL;
        if (o->adopted && !o->dead) {
            o->next = ua->adopted;
            if (ua->adopted)
                ua->adopted->prev = o;
            ua->adopted = o;
        } else {
            free(o);
        }
        o = next;
    }
}

/* §8.2: a request the UAS must refuse is answered through its server
 * transaction and never reaches the TU. */
static bool refused_by_policy(siphon_ua *ua, ua_origin *o, siphon_txn *stx,
                              siphon_msg *req)
{
    siphon_msg *resp = NULL;
    if (ua_merge_check(ua, o, req)) {
        /* §8.2.2.2: the same request reached us twice by two paths. */
        siphon_msgb *b = siphon_msgb_response_to(
            req, 482, siphon_str_c("Loop Detected (merged request)"),
            siphon_str_c("siphon-uas"));
        siphon_perr err;
        if (b && siphon_msgb_finish(b, &resp, &err) < 0)
            resp = NULL;
        siphon_msgb_free(b);
    } else {
        resp = siphon_uas_check(ua->cfg.uas, req);
    }
    if (!resp)
        return false;
    siphon_txn_respond(ua->txl, stx, resp, ua_now(ua));
    siphon_msg_unref(resp);
    return true;
}

static void server_event(siphon_ua *ua, const siphon_txn_event *ev)
{
    ua_origin *o = ev->user;
    switch (ev->type) {
    case SIPHON_TXN_EV_SEND:
        send_server(ua, ev);
        break;
    case SIPHON_TXN_EV_REQUEST:
        o->adopted = true;
        o->txn = ev->txn;
        if ((!ua->cfg.uas || !refused_by_policy(ua, o, ev->txn, ev->msg)) &&
            !ua_dialogs_request_in(ua, ev->txn, ev->msg) &&
            !ua_registrar_handle(ua, ev->txn, ev->msg, &o->flow))
            deliver_request(ua, ev->txn, ev->msg, o);
        break;
    case SIPHON_TXN_EV_ACK: /* RFC 6026 §8.7: the 2xx's ACK goes to the TU */
        if (!ua_dialogs_request_in(ua, NULL, ev->msg))
            deliver_request(ua, NULL, ev->msg, o);
        break;
    case SIPHON_TXN_EV_TIMEOUT:
    case SIPHON_TXN_EV_TRANSPORT_ERROR:
        if (ua->h.server_error)
            ua->h.server_error(ua->h.arg, ua, ev->txn,
                               ev->type == SIPHON_TXN_EV_TIMEOUT
                                   ? SIPHON_ETIMEDOUT
                                   : SIPHON_EIO);
        break;
    case SIPHON_TXN_EV_TERMINATED:
        ua_merge_forget(ua, o);
        o->txn = NULL;
        if (o->pending) {
            o->dead = true; /* the sweep frees it */
        } else {
            unlink_adopted(ua, o);
            free(o);
        }
        break;
    default:
        break;
    }
}

void ua_pump(siphon_ua *ua)
{
    if (ua->pumping)
        return;
    ua->pumping = true;
    siphon_txn_event ev;
    while (siphon_txn_poll(ua->txl, &ev)) {
        if (ev.type == SIPHON_TXN_EV_STRAY) {
            ua_origin *o = ev.user;
            /* An ACK that matched nothing acknowledges a 2xx whose
             * transaction has ended: it is the TU's (§17.2.3, RFC 6026). */
            if (siphon_msg_is_request(ev.msg)) {
                if (!ua_dialogs_request_in(ua, NULL, ev.msg))
                    deliver_request(ua, NULL, ev.msg, o);
            } else if (!ua_dialogs_response_in(ua, NULL, ev.msg) &&
                       ua->h.stray) {
                ua->h.stray(ua->h.arg, ua, ev.msg, &o->flow);
            }
        } else if (is_client_kind(ev.txn)) {
            ua_client_event(ua, &ev);
        } else {
            server_event(ua, &ev);
        }
        siphon_msg_unref(ev.msg);
    }
    ua->pumping = false;
    sweep_pending(ua);
    ua_dialogs_pump(ua);
    rearm(ua);
}

/* ---- receiving ---------------------------------------------------------- */

/* A request or response that cannot be used: §18.3 / RFC 4475 say answer
 * with 400 when the Via can be read so the sender stops retransmitting,
 * and drop it otherwise. */
static void refuse(siphon_ua *ua, ua_lp *lp, const siphon_ua_flow *flow,
                   siphon_msg *parsed, const char *bytes, size_t len,
                   int status, const char *why)
{
    ua->stats.rx_malformed++;
    char where[SIPHON_ADDR_STRLEN];
    siphon_addr_format((const struct sockaddr *)&flow->peer, where,
                       sizeof where);
    if (!ua->cfg.reject_malformed || !ua_bytes_are_request(bytes, len)) {
        siphon_log(SIPHON_LOG_INFO, "ua", "dropped message from %s: %s",
                   where, why);
        return;
    }
    siphon_msg *resp = NULL;
    if (parsed && siphon_msg_via(parsed)) {
        if (siphon_msg_response(parsed, status, siphon_str_c(why),
                                siphon_str_c("siphon"), &resp) < 0)
            resp = NULL;
    }
    if (!resp)
        resp = ua_salvage_400(bytes, len, why);
    struct sockaddr_storage dest;
    if (!resp || ua_response_dest(resp, flow, &dest) < 0) {
        siphon_log(SIPHON_LOG_INFO, "ua",
                   "dropped message from %s (no readable Via): %s", where,
                   why);
        siphon_msg_unref(resp);
        return;
    }
    siphon_log(SIPHON_LOG_INFO, "ua", "answered %d to %s: %s",
               siphon_msg_status(resp), where, why);
    siphon_str b = siphon_msg_bytes(resp);
    if (ua_send_bytes(ua, lp, (struct sockaddr *)&dest, NULL, b.p, b.len) == 0)
        ua->stats.rejected_400++;
    siphon_msg_unref(resp);
}

static void receive(siphon_ua *ua, ua_lp *lp, const char *bytes, size_t len,
                    const struct sockaddr *peer, const struct sockaddr *local)
{
    siphon_ua_flow flow = {.transport = lp->tp};
    memcpy(&flow.peer, peer, siphon_addr_len(peer));
    memcpy(&flow.local, local, siphon_addr_len(local));
    ua->stats.rx_messages++;
    ua_capture(ua, SIPHON_UA_RX, &flow, bytes, len);

    /* TCP and TLS frames were cut by Content-Length, which stream parsing
     * requires; a WebSocket message is whole as a datagram is. */
    siphon_parse_opts opts = ua->cfg.parse;
    opts.stream = lp->tp == SIPHON_RESOLVE_TCP || lp->tp == SIPHON_RESOLVE_TLS;
    siphon_verdict v;
    siphon_msg *m = NULL;
    if (ua->cfg.raw) {
        siphon_perr err;
        if (siphon_msg_parse(bytes, len, &opts, &m, &err) < 0) {
            ua->stats.rx_malformed++;
            return;
        }
        if (ua->h.stray)
            ua->h.stray(ua->h.arg, ua, m, &flow);
        siphon_msg_unref(m);
        return;
    }
    siphon_verdict_bytes(bytes, len, &opts, &v, &m);
    if (v.kind != SIPHON_VERDICT_ACCEPT) {
        refuse(ua, lp, &flow, m, bytes, len,
               v.kind == SIPHON_VERDICT_REJECT ? v.status : 400, v.reason);
        siphon_msg_unref(m);
        return;
    }
    if (siphon_msg_is_request(m)) {
        siphon_msg *stamped = ua_stamp_via(m, peer);
        siphon_msg_unref(m);
        if (!stamped)
            return;
        m = stamped;
    }
    ua_origin *o = calloc(1, sizeof *o);
    if (!o) {
        siphon_msg_unref(m);
        return;
    }
    o->lp = lp;
    o->flow = flow;
    /* The origin must outlive the events that carry it (REQUEST, STRAY):
     * it waits on the pending list until the pump has handled them. */
    o->pending = true;
    o->pnext = ua->pending;
    ua->pending = o;
    int rc = siphon_txn_receive(ua->txl, m, siphon_transport_reliable(lp->tp),
                                o, ua_now(ua));
    siphon_msg_unref(m);
    if (rc < 0)
        siphon_log(SIPHON_LOG_INFO, "ua", "transaction layer refused: %s",
                   siphon_strerror(rc));
    ua_pump(ua);
}

void ua_udp_recv_(siphon_udp *udp, const char *bytes, size_t len,
                     const struct sockaddr *src, socklen_t srclen,
                     uint64_t arrival_ms, void *arg)
{
    ua_lp *lp = arg;
    (void)udp;
    (void)srclen;
    (void)arrival_ms;
    receive(lp->ua, lp, bytes, len, src, (struct sockaddr *)&lp->addr);
}

void ua_tcp_recv_(siphon_tcp *tcp, siphon_tcp_conn *conn, const char *bytes,
                     size_t len, const struct sockaddr *peer,
                     const struct sockaddr *local, uint64_t arrival_ms,
                     void *arg)
{
    ua_lp *lp = arg;
    (void)tcp;
    (void)conn;
    (void)arrival_ms;
    receive(lp->ua, lp, bytes, len, peer, local);
}

void ua_tcp_closed_(siphon_tcp *tcp, siphon_tcp_conn *conn,
                       const struct sockaddr *peer,
                       const siphon_tcp_close_info *info, void *arg)
{
    ua_lp *lp = arg;
    (void)tcp;
    (void)conn;
    if (info->transport_error) {
        lp->ua->stats.transport_errors++;
        ua_client_transport_failed(lp->ua, lp->tp, peer,
                                   info->err == SIPHON_ETLS ? SIPHON_ETLS
                                                            : SIPHON_EIO);
    }
}

/* ---- life cycle --------------------------------------------------------- */

int siphon_ua_new(siphon_loop *loop, const siphon_ua_config *cfg,
                  const siphon_ua_handlers *h, siphon_ua **out)
{
    if (!loop || !out)
        return SIPHON_EINVAL;
    siphon_ua *ua = calloc(1, sizeof *ua);
    if (!ua)
        return SIPHON_ENOMEM;
    ua->loop = loop;
    if (cfg)
        ua->cfg = *cfg;
    else
        siphon_ua_config_default(&ua->cfg);
    if (h)
        ua->h = *h;
    ua->timer_deadline = UINT64_MAX;
    ua->txl = siphon_txn_layer_new(&ua->cfg.txn);
    if (!ua->txl || (ua->cfg.dialogs && ua_dialogs_init(ua) < 0)) {
        siphon_txn_layer_free(ua->txl);
        free(ua);
        return SIPHON_ENOMEM;
    }
    *out = ua;
    return 0;
}

void siphon_ua_free(siphon_ua *ua)
{
    if (!ua)
        return;
    if (ua->timer_id)
        siphon_loop_timer_cancel(ua->loop, ua->timer_id);
    ua_clients_free(ua);
    ua_dialogs_free(ua);
    /* Queued events and live server transactions point at origins, which
     * are all on the two lists: free the layer, then them. */
    siphon_txn_layer_free(ua->txl);
    for (ua_origin *o = ua->pending, *next; o; o = next) {
        next = o->pnext;
        free(o);
    }
    for (ua_origin *o = ua->adopted, *next; o; o = next) {
        next = o->next;
        free(o);
    }
    for (ua_lp *lp = ua->lps, *next; lp; lp = next) {
        next = lp->next;
        siphon_udp_close(lp->udp);
        siphon_tcp_close(lp->tcp);
        free(lp);
    }
    siphon_resolver_free(ua->resolver);
    siphon_tls_ctx_free(ua->tls_client_owned);
    ua_capture_free(ua);
    free(ua->merge);
    free(ua);
}

/* ---- the TU's side ------------------------------------------------------ */

int siphon_ua_respond(siphon_ua *ua, siphon_txn *stx, siphon_msg *resp)
{
    if (!ua || !resp || siphon_msg_is_request(resp))
        return SIPHON_EINVAL;
    if (!stx && !ua->cfg.raw)
        stx = siphon_txn_find_server(ua->txl, resp);
    if (stx) {
        int rc = siphon_txn_respond(ua->txl, stx, resp, ua_now(ua));
        if (rc == 0 && ua->dlg) {
            ua_origin *o = siphon_txn_user(stx);
            ua_dialogs_response_out(ua, siphon_txn_request(stx), resp,
                                    &o->flow);
        }
        ua_pump(ua);
        return rc;
    }
    if (!ua->cfg.raw)
        return SIPHON_ENOENT;
    /* Raw mode: stateless, §18.2.2 from the response's own Via, over the
     * first listening point of the Via's transport. */
    const siphon_via *v = siphon_msg_via(resp);
    siphon_transport tp;
    if (!v || siphon_transport_parse(v->transport, &tp) < 0)
        return SIPHON_EINVAL;
    ua_lp *lp = ua_lp_for(ua, tp, false);
    if (!lp)
        return SIPHON_ENOENT;
    siphon_ua_flow flow = {.transport = SIPHON_RESOLVE_UDP, .local = lp->addr};
    struct sockaddr_storage dest;
    int rc = ua_response_dest(resp, &flow, &dest);
    if (rc < 0)
        return rc;
    siphon_str b = siphon_msg_bytes(resp);
    return ua_send_bytes(ua, lp, (struct sockaddr *)&dest, NULL, b.p, b.len);
}

int siphon_ua_send_raw(siphon_ua *ua, const siphon_ua_dest *dest,
                       const void *bytes, size_t len)
{
    if (!ua || !dest || !dest->addr)
        return SIPHON_EINVAL;
    struct sockaddr_storage sa;
    int rc = siphon_addr_parse(siphon_str_c(dest->addr), &sa, NULL);
    if (rc < 0)
        return rc;
    ua_lp *lp = ua_lp_for(ua, dest->transport ? dest->transport
                                              : SIPHON_RESOLVE_UDP, true);
    if (!lp)
        return SIPHON_ENOENT;
    return ua_send_bytes(ua, lp, (struct sockaddr *)&sa, dest->server_name,
                         bytes, len);
}

void siphon_ua_get_stats(const siphon_ua *ua, siphon_ua_stats *out)
{
    *out = ua->stats;
}

siphon_txn_layer *siphon_ua_txn_layer(siphon_ua *ua)
{
    return ua->txl;
}

siphon_loop *siphon_ua_loop(siphon_ua *ua)
{
    return ua->loop;
}
