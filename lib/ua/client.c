/*
 * client.c -- requests from the TU: where they go (RFC 3261 §8.1.2, RFC
 * 3263), the Via the endpoint adds (§8.1.1.7, §18.1.1, RFC 3581), the
 * switch to TCP for large requests (§18.1.1), failover to the next
 * target (RFC 3263 §4.3), CANCEL (§9.1) and the ACK for a 2xx (§13.2.2.4,
 * sent without a transaction).
 *
 * A client handle may live through several attempts: each attempt is one
 * client transaction towards one target, and is the transaction's user,
 * so that a late retransmission (or the ACK the INVITE client
 * transaction builds for a 503) still goes to that attempt's target.
 */
#include "ua_internal.h"

#include <siphon/auth.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ua_attempt {
    siphon_ua_client *c;
    ua_lp *lp;
    siphon_transport tp;
    struct sockaddr_storage dest;
    siphon_txn *txn;
    bool size_switched;     /* §18.1.1: would have been UDP */
    bool got_response;
    int fail_err;           /* why the transport failed, when known */
    struct ua_attempt *prev, *next; /* ua->attempts */
} ua_attempt;

static void attempt_link(siphon_ua *ua, ua_attempt *a)
{
    a->next = ua->attempts;
    if (ua->attempts)
        ua->attempts->prev = a;
    ua->attempts = a;
}

static void attempt_free(siphon_ua *ua, ua_attempt *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else
        ua->attempts = a->next;
    if (a->next)
        a->next->prev = a->prev;
    free(a);
}

static void client_free(siphon_ua_client *c)
{
    siphon_ua *ua = c->ua;
    if (c->prev)
        c->prev->next = c->next;
    else if (ua->clients == c)
        ua->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    siphon_resolve_cancel(c->query);
    siphon_resolve_result_free(c->targets);
    siphon_msg_unref(c->orig);
    siphon_msg_unref(c->sent);
    siphon_auth_client_free(c->auth);
    free(c->server_name);
    free(c);
}

static void maybe_free(siphon_ua_client *c)
{
    if (c->final_done && c->live == 0 && !c->query && !c->starting)
        client_free(c);
}

/* The TU hears the end: a final response or an error. */
static void finish(siphon_ua_client *c, siphon_msg *resp, int err)
{
    if (c->final_done)
        return;
    c->final_done = true;
    c->cur = NULL;
    if (!c->forgotten && c->cb)
        c->cb(c->arg, c, resp, err, true);
}

/* ---- the Via and the request that goes out ------------------------------ */

/* sent-by for tp: the listening point's address, or for a client-only
 * stream transport the first listening address (responses come back on
 * the connection anyway, §18.2.2). */
static void sent_by(siphon_ua *ua, ua_lp *lp, char *buf, size_t cap)
{
    const ua_lp *src = lp && lp->listening ? lp : NULL;
    for (const ua_lp *l = ua->lps; !src && l; l = l->next)
        if (l->listening)
            src = l;
    if (!src || siphon_addr_format((const struct sockaddr *)&src->addr, buf,
                                   cap) < 0)
        snprintf(buf, cap, "invalid.invalid");
}

static siphon_msg *with_via(siphon_ua_client *c, ua_lp *lp,
                            siphon_transport tp)
{
    char host[SIPHON_ADDR_STRLEN], branch[24];
    sent_by(c->ua, lp, host, sizeof host);
    ua_new_branch(branch);
    siphon_buf v;
    siphon_buf_init(&v, 0);
    int rc = siphon_buf_printf(&v, "SIP/2.0/%s %s;branch=%s;rport",
                               siphon_transport_name(tp), host, branch);
    siphon_msgb *b = siphon_msgb_from_msg(c->orig);
    siphon_msg *out = NULL;
    siphon_perr err;
    if (rc < 0 || !b ||
        siphon_msgb_add_top(b, siphon_str_c("Via"),
                            (siphon_str){v.p, v.len}) < 0 ||
        siphon_msgb_finish(b, &out, &err) < 0)
        out = NULL;
    siphon_msgb_free(b);
    siphon_buf_free(&v);
    return out;
}

/* ---- digest (§22) -------------------------------------------------------- */

/* Challenges one request may answer: a new realm or nonce, a stale one,
 * a proxy's after the registrar's... but never a loop. */
#define UA_AUTH_ROUNDS 4

static int auth_rng(void *arg, uint8_t *buf, size_t len)
{
    return siphon_auth_rng_openssl(arg, buf, len);
}

/* §22.2/§22.3: the same request again with credentials for every realm
 * held, CSeq plus one (§8.1.3.5), the old credentials dropped. */
static siphon_msg *with_credentials(siphon_ua_client *c)
{
    siphon_msg *orig = c->orig;
    const siphon_cseq *cs = siphon_msg_cseq(orig);
    if (!cs)
        return NULL;
    siphon_msgb *b = siphon_msgb_from_msg(orig);
    if (!b)
        return NULL;
    char cseq[64];
    snprintf(cseq, sizeof cseq, "%u %.*s", (unsigned)(cs->num + 1),
             (int)cs->method.len, cs->method.p);
    siphon_msg *out = NULL;
    siphon_perr err;
    int rc = siphon_msgb_set(b, siphon_str_c("CSeq"), siphon_str_c(cseq));
    siphon_msgb_remove(b, siphon_str_c("Authorization"), false);
    siphon_msgb_remove(b, siphon_str_c("Proxy-Authorization"), false);
    if (rc < 0 || siphon_auth_client_add_headers(
                      c->auth, b, siphon_msg_method(orig),
                      siphon_msg_ruri_str(orig), siphon_msg_body(orig)) < 0 ||
        siphon_msgb_finish(b, &out, &err) < 0)
        out = NULL;
    siphon_msgb_free(b);
    return out;
}

static int start_attempt(siphon_ua_client *c, siphon_transport tp,
                         const struct sockaddr *dest, bool size_retry);

/* A 401/407 on attempt a: true when the request went out again with
 * credentials (the challenge is handled), false when the TU must hear it
 * (no credentials, a Via of the TU's, too many rounds, or our answer was
 * refused). */
static bool answer_challenge(siphon_ua_client *c, ua_attempt *a,
                             siphon_msg *resp)
{
    if (!c->auth || !c->own_via || c->auth_rounds >= UA_AUTH_ROUNDS)
        return false;
    siphon_perr err;
    int r = siphon_auth_client_challenge_msg(c->auth, resp, &err);
    if (r < 0 || r == SIPHON_AUTH_CH_REJECTED) {
        siphon_log(SIPHON_LOG_INFO, "ua", "%d challenge not answered: %s",
                   siphon_msg_status(resp),
                   r < 0 ? siphon_strerror(r) : "credentials refused");
        return false;
    }
    siphon_msg *next = with_credentials(c);
    if (!next)
        return false;
    siphon_msg_unref(c->orig);
    c->orig = next;
    c->auth_rounds++;
    c->cur = NULL;
    /* Same target and transport: the challenge came from there. */
    if (start_attempt(c, a->tp, (struct sockaddr *)&a->dest, true) < 0) {
        c->cur = a;
        return false;
    }
    return true;
}

/* ---- attempts ----------------------------------------------------------- */

/* Move on after a failure of the current attempt: §18.1.1's UDP retry,
 * then the next RFC 3263 target, else the TU hears err. */
static void attempt_failed(siphon_ua_client *c, ua_attempt *a, int err,
                           siphon_msg *resp)
{
    siphon_ua *ua = c->ua;
    if (c->final_done || c->cur != a)
        return;
    c->cur = NULL;
    if (a->size_switched && !a->got_response && err == SIPHON_EIO &&
        a->tp == SIPHON_RESOLVE_TCP) {
        /* §18.1.1: a connection refused for a request that moved to TCP
         * only for its size is retried over UDP. */
        if (start_attempt(c, SIPHON_RESOLVE_UDP,
                          (struct sockaddr *)&a->dest, true) == 0)
            return;
    }
    const siphon_resolve_target *t;
    while (c->own_via && c->targets && (t = siphon_resolve_next(c->targets))) {
        ua->stats.failovers++;
        siphon_transport tp = c->forced_transport ? c->want_tp : t->transport;
        if (start_attempt(c, tp, (struct sockaddr *)&t->addr, false) == 0)
            return;
    }
    finish(c, resp, resp ? 0 : err);
}

static void attempt_send(siphon_ua *ua, ua_attempt *a, siphon_msg *m)
{
    siphon_str b = siphon_msg_bytes(m);
    if (ua_send_bytes(ua, a->lp, (struct sockaddr *)&a->dest,
                      a->c->server_name, b.p, b.len) < 0 &&
        a->txn)
        siphon_txn_transport_error(ua->txl, a->txn, ua_now(ua));
}

static int start_attempt(siphon_ua_client *c, siphon_transport tp,
                         const struct sockaddr *dest, bool size_retry)
{
    siphon_ua *ua = c->ua;
    bool switched = false;
    if (c->own_via && !size_retry && tp == SIPHON_RESOLVE_UDP &&
        ua->cfg.udp_max_request &&
        siphon_msg_bytes(c->orig).len + 80 > ua->cfg.udp_max_request) {
        /* §18.1.1: over 1300 bytes (the Via we add counts) with the path
         * MTU unknown goes over a congestion-controlled transport. */
        tp = SIPHON_RESOLVE_TCP;
        switched = true;
    }
    ua_lp *lp = ua_lp_for(ua, tp, true);
    if (!lp)
        return SIPHON_ENOENT;
    siphon_msg *m = c->own_via ? with_via(c, lp, tp) : siphon_msg_ref(c->orig);
    if (!m)
        return SIPHON_ENOMEM;
    ua_attempt *a = calloc(1, sizeof *a);
    if (!a) {
        siphon_msg_unref(m);
        return SIPHON_ENOMEM;
    }
    if (switched)
        ua->stats.tcp_switches++;
    a->c = c;
    a->lp = lp;
    a->tp = tp;
    a->size_switched = switched;
    memcpy(&a->dest, dest, siphon_addr_len(dest));
    siphon_msg_unref(c->sent);
    c->sent = m;
    if (c->no_txn) {
        /* §17: an ACK for a 2xx has no transaction; it goes once. */
        attempt_send(ua, a, m);
        free(a);
        c->final_done = true;
        return 0;
    }
    int rc = siphon_txn_client_start(ua->txl, m, siphon_transport_reliable(tp),
                                     a, ua_now(ua), &a->txn);
    if (rc < 0) {
        free(a);
        return rc;
    }
    attempt_link(ua, a);
    c->cur = a;
    c->live++;
    ua_pump(ua);
    return 0;
}

void ua_client_event(siphon_ua *ua, const siphon_txn_event *ev)
{
    ua_attempt *a = ev->user;
    siphon_ua_client *c = a->c;
    switch (ev->type) {
    case SIPHON_TXN_EV_SEND:
        attempt_send(ua, a, ev->msg);
        break;
    case SIPHON_TXN_EV_RESPONSE: {
        int status = siphon_msg_status(ev->msg);
        a->got_response = true;
        if (c->final_done || c->cur != a) {
            /* RFC 6026: 2xx retransmissions after the first reach the TU
             * so it can ACK again -- or, with dialogs, the dialog does. */
            if (ua_dialogs_response_in(ua, siphon_txn_request(a->txn),
                                       ev->msg))
                break;
            if (ua->h.stray) {
                siphon_ua_flow flow = {.transport = a->tp, .peer = a->dest,
                                       .local = a->lp->addr};
                ua->h.stray(ua->h.arg, ua, ev->msg, &flow);
            }
            break;
        }
        if (status == 503) {
            /* RFC 3263 §4.3: a 503 means try the next server. */
            attempt_failed(c, a, 0, ev->msg);
            break;
        }
        if ((status == 401 || status == 407) && answer_challenge(c, a, ev->msg))
            break;
        /* §12: dialogs learn of every response; an acknowledged 2xx seen
         * again only needs its ACK again (§13.2.2.4). */
        if (ua_dialogs_response_in(ua, siphon_txn_request(a->txn), ev->msg))
            break;
        if (status >= 200 && c->auth && c->auth_rounds)
            siphon_auth_client_succeeded(c->auth);
        if (status >= 200) {
            finish(c, ev->msg, 0);
        } else if (!c->forgotten && c->cb) {
            c->cb(c->arg, c, ev->msg, 0, false);
        }
        break;
    }
    case SIPHON_TXN_EV_TIMEOUT:
        attempt_failed(c, a, SIPHON_ETIMEDOUT, NULL);
        break;
    case SIPHON_TXN_EV_TRANSPORT_ERROR:
        attempt_failed(c, a, a->fail_err ? a->fail_err : SIPHON_EIO, NULL);
        break;
    case SIPHON_TXN_EV_TERMINATED:
        ua_dialogs_invite_ended(ua, siphon_txn_request(a->txn));
        if (c->cur == a)
            c->cur = NULL;
        attempt_free(ua, a);
        c->live--;
        maybe_free(c);
        break;
    default:
        break;
    }
}

void ua_client_transport_failed(siphon_ua *ua, siphon_transport tp,
                                const struct sockaddr *peer, int err)
{
    for (siphon_ua_client *c = ua->clients; c; c = c->next) {
        ua_attempt *a = c->cur;
        if (a && a->txn && a->tp == tp &&
            siphon_addr_cmp((struct sockaddr *)&a->dest, peer) == 0) {
            a->fail_err = err;
            siphon_txn_transport_error(ua->txl, a->txn, ua_now(ua));
        }
    }
    ua_pump(ua);
}

/* ---- locating the target ------------------------------------------------ */

static void resolved(void *arg, int status, siphon_resolve_result *res)
{
    siphon_ua_client *c = arg;
    c->query = NULL;
    if (status < 0) {
        finish(c, NULL, status);
        maybe_free(c);
        return;
    }
    c->targets = res;
    const siphon_resolve_target *t;
    int rc = SIPHON_ENOENT;
    c->starting = true;
    while ((t = siphon_resolve_next(res))) {
        siphon_transport tp = c->forced_transport ? c->want_tp : t->transport;
        if ((rc = start_attempt(c, tp, (struct sockaddr *)&t->addr, false)) == 0)
            break;
    }
    c->starting = false;
    if (rc < 0)
        finish(c, NULL, rc);
    maybe_free(c);
}

/* §8.1.2: the first Route when it is a loose router, else the
 * Request-URI (a strict router would need the URI rewritten: §12.2.1.1). */
static const siphon_uri *next_hop(siphon_msg *req)
{
    const void *first;
    siphon_perr err;
    if (siphon_msg_typed(req, SIPHON_HDR_ROUTE, &first, &err) == 0) {
        const siphon_nameaddr *na = first;
        const siphon_uri *u = siphon_nameaddr_uri(req, na, &err);
        if (u && siphon_params_find(&u->params, "lr"))
            return u;
    }
    return siphon_msg_ruri(req, &err);
}

static siphon_ua_client *client_new(siphon_ua *ua, siphon_msg *req,
                                    siphon_ua_response_fn *cb, void *arg)
{
    siphon_ua_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ua = ua;
    c->orig = siphon_msg_ref(req);
    c->cb = cb;
    c->arg = arg;
    c->next = ua->clients;
    if (ua->clients)
        ua->clients->prev = c;
    ua->clients = c;
    return c;
}

int siphon_ua_request(siphon_ua *ua, siphon_msg *req,
                      const siphon_ua_dest *dest, siphon_ua_response_fn *cb,
                      void *arg, siphon_ua_client **out)
{
    if (out)
        *out = NULL;
    if (!ua || !req || !siphon_msg_is_request(req))
        return SIPHON_EINVAL;
    siphon_ua_dest none = {0};
    if (!dest)
        dest = &none;
    siphon_ua_client *c = client_new(ua, req, cb, arg);
    if (!c)
        return SIPHON_ENOMEM;
    c->own_via = siphon_msg_hdr_next(req, SIPHON_HDR_VIA, 0) < 0;
    c->no_txn = siphon_msg_method_id(req) == SIPHON_METHOD_ACK;
    c->forced_transport = dest->transport != 0;
    c->want_tp = dest->transport;
    if (dest->server_name && !(c->server_name = strdup(dest->server_name))) {
        client_free(c);
        return SIPHON_ENOMEM;
    }
    if (dest->credentials && !c->no_txn) {
        const siphon_ua_credentials *cr = dest->credentials;
        siphon_auth_client_config ac = {.username = cr->username,
                                        .password = cr->password,
                                        .algo_mask = cr->algo_mask,
                                        .first_only = cr->first_only,
                                        .rng = auth_rng};
        int aerr = 0;
        if (!(c->auth = siphon_auth_client_new(&ac, &aerr))) {
            client_free(c);
            return aerr ? aerr : SIPHON_ENOMEM;
        }
    }
    int rc;
    if (dest->addr) {
        struct sockaddr_storage sa;
        rc = siphon_addr_parse(siphon_str_c(dest->addr), &sa, NULL);
        if (rc == 0) {
            c->starting = true;
            rc = start_attempt(c, dest->transport ? dest->transport
                                                  : SIPHON_RESOLVE_UDP,
                               (struct sockaddr *)&sa, false);
            c->starting = false;
        }
    } else {
        const siphon_uri *u = next_hop(req);
        rc = u ? 0 : SIPHON_EINVAL;
        if (rc == 0 && !ua->resolver) {
            siphon_resolver_config rcfg;
            siphon_resolver_config_default(&rcfg);
            rcfg.servers = ua->cfg.dns_servers;
            rc = siphon_resolver_new(ua->loop, &rcfg, &ua->resolver);
        }
        if (rc == 0)
            rc = siphon_resolve(ua->resolver, u, resolved, c, &c->query);
    }
    if (rc < 0) {
        client_free(c);
        return rc;
    }
    if (c->no_txn && !c->query) {
        client_free(c); /* the ACK went out */
        return 0;
    }
    if (out && !c->no_txn)
        *out = c;
    return 0;
}

/* §9.1: the CANCEL copies the INVITE's Request-URI, Call-ID, To, From,
 * CSeq number and top Via (so that it matches the INVITE's transactions
 * hop by hop) and its Route set. */
static siphon_msg *build_cancel(siphon_msg *inv)
{
    siphon_msgb *b = siphon_msgb_request(siphon_str_c("CANCEL"),
                                         siphon_msg_ruri_str(inv));
    if (!b)
        return NULL;
    int rc = 0;
    long vi = siphon_msg_hdr_next(inv, SIPHON_HDR_VIA, 0);
    const siphon_via *v = siphon_msg_via(inv);
    if (vi < 0 || !v)
        rc = SIPHON_EINVAL;
    else
        rc |= siphon_msgb_add(b, siphon_str_c("Via"), v->raw);
    static const siphon_hdr_id copied[] = {SIPHON_HDR_ROUTE, SIPHON_HDR_FROM,
                                           SIPHON_HDR_TO, SIPHON_HDR_CALL_ID};
    for (size_t k = 0; k < sizeof copied / sizeof *copied; k++)
        for (long i = siphon_msg_hdr_next(inv, copied[k], 0); i >= 0;
             i = siphon_msg_hdr_next(inv, copied[k], (size_t)i + 1)) {
            const siphon_hdr *h = siphon_msg_hdr_at(inv, (size_t)i);
            rc |= siphon_msgb_add(b, h->name, h->value);
        }
    const siphon_cseq *cs = siphon_msg_cseq(inv);
    char cseq[32];
    snprintf(cseq, sizeof cseq, "%u CANCEL", cs ? (unsigned)cs->num : 0u);
    rc |= siphon_msgb_add(b, siphon_str_c("CSeq"), siphon_str_c(cseq));
    rc |= siphon_msgb_add(b, siphon_str_c("Max-Forwards"), siphon_str_c("70"));
    siphon_msg *out = NULL;
    siphon_perr err;
    if (rc < 0 || !cs || siphon_msgb_finish(b, &out, &err) < 0)
        out = NULL;
    siphon_msgb_free(b);
    return out;
}

int siphon_ua_cancel(siphon_ua_client *inv, siphon_ua_response_fn *cb,
                     void *arg, siphon_ua_client **out)
{
    if (out)
        *out = NULL;
    if (!inv || !inv->cur || inv->final_done || !inv->sent ||
        siphon_msg_method_id(inv->sent) != SIPHON_METHOD_INVITE)
        return SIPHON_ESTATE;
    siphon_ua *ua = inv->ua;
    siphon_msg *cancel = build_cancel(inv->sent);
    if (!cancel)
        return SIPHON_ENOMEM;
    siphon_ua_client *c = client_new(ua, cancel, cb, arg);
    siphon_msg_unref(cancel);
    if (!c)
        return SIPHON_ENOMEM;
    /* Same target and transport as the INVITE (§9.1), and its Via. */
    c->starting = true;
    int rc = start_attempt(c, inv->cur->tp, (struct sockaddr *)&inv->cur->dest,
                           true);
    c->starting = false;
    if (rc < 0) {
        client_free(c);
        return rc;
    }
    if (out)
        *out = c;
    return 0;
}

siphon_msg *siphon_ua_client_request(const siphon_ua_client *c)
{
    return c ? c->sent : NULL;
}

void siphon_ua_client_forget(siphon_ua_client *c)
{
    if (!c)
        return;
    c->forgotten = true;
    if (c->query && !c->cur) {
        /* Nothing sent yet: nobody will ever need this handle. */
        c->final_done = true;
        siphon_resolve_cancel(c->query);
        c->query = NULL;
        maybe_free(c);
    }
}

void ua_clients_free(siphon_ua *ua)
{
    while (ua->attempts)
        attempt_free(ua, ua->attempts);
    while (ua->clients)
        client_free(ua->clients);
}
