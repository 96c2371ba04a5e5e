/*
 * listen.c -- the endpoint's listening points (RFC 3261 §18): one per
 * transport and address, plus the client-only stream transports made on
 * first use when a request must go over TCP, TLS, WS or WSS and nothing
 * listens on that transport.
 */
#include "ua_internal.h"

#include <stdlib.h>
#include <string.h>

static bool is_tls(siphon_transport t)
{
    return t == SIPHON_RESOLVE_TLS || t == SIPHON_RESOLVE_WSS;
}

/* The TLS context outbound connections of kind t use when no listening
 * point gives one: the configured client context, else defaults (peer
 * verification on, the system's trust store). */
static siphon_tls_ctx *client_tls(siphon_ua *ua)
{
    if (ua->cfg.tls_client)
        return ua->cfg.tls_client;
    if (!ua->tls_client_owned) {
        siphon_tls_config tc;
        siphon_tls_config_default(&tc);
        if (siphon_tls_ctx_new(&tc, &ua->tls_client_owned) < 0)
            return NULL;
    }
    return ua->tls_client_owned;
}

static ua_lp *lp_open(siphon_ua *ua, siphon_transport t, const char *addr,
                      const siphon_ua_listen_opts *o, int *rc)
{
    ua_lp *lp = calloc(1, sizeof *lp);
    if (!lp) {
        *rc = SIPHON_ENOMEM;
        return NULL;
    }
    lp->ua = ua;
    lp->tp = t;
    lp->listening = addr != NULL;
    if (t == SIPHON_RESOLVE_UDP) {
        *rc = siphon_udp_open(ua->loop, addr, o ? o->udp : NULL,
                              ua_udp_recv_, lp, &lp->udp);
        if (*rc == 0)
            *rc = siphon_udp_local(lp->udp, &lp->addr);
    } else {
        siphon_tcp_config cfg;
        if (o && o->tcp)
            cfg = *o->tcp;
        else
            siphon_tcp_config_default(&cfg);
        cfg.parse = ua->cfg.parse;
        cfg.websocket = t == SIPHON_RESOLVE_WS || t == SIPHON_RESOLVE_WSS;
        if (is_tls(t)) {
            cfg.tls = o && o->tls ? o->tls : client_tls(ua);
            if (!cfg.tls) {
                free(lp);
                *rc = SIPHON_EINVAL;
                return NULL;
            }
        }
        *rc = siphon_tcp_open(ua->loop, addr, &cfg, ua_tcp_recv_, lp,
                              &lp->tcp);
        if (*rc == 0) {
            siphon_tcp_set_closed_cb(lp->tcp, ua_tcp_closed_, lp);
            if (addr)
                *rc = siphon_tcp_local(lp->tcp, &lp->addr);
        }
    }
    if (*rc < 0) {
        siphon_udp_close(lp->udp);
        siphon_tcp_close(lp->tcp);
        free(lp);
        return NULL;
    }
    /* Appended: the first listening point of a transport stays the one
     * requests use. */
    ua_lp **tail = &ua->lps;
    while (*tail)
        tail = &(*tail)->next;
    *tail = lp;
    return lp;
}

int siphon_ua_listen(siphon_ua *ua, siphon_transport t, const char *addr,
                     const siphon_ua_listen_opts *o,
                     struct sockaddr_storage *bound)
{
    if (!ua || !addr || t < SIPHON_RESOLVE_UDP || t > SIPHON_RESOLVE_WSS)
        return SIPHON_EINVAL;
    if (is_tls(t) && !(o && o->tls))
        return SIPHON_EINVAL; /* a server needs its certificate */
    int rc;
    ua_lp *lp = lp_open(ua, t, addr, o, &rc);
    if (lp && bound)
        *bound = lp->addr;
    return lp ? 0 : rc;
}

ua_lp *ua_lp_for(siphon_ua *ua, siphon_transport tp, bool create)
{
    for (ua_lp *lp = ua->lps; lp; lp = lp->next)
        if (lp->tp == tp && lp->listening)
            return lp;
    for (ua_lp *lp = ua->lps; lp; lp = lp->next)
        if (lp->tp == tp)
            return lp;
    if (!create || tp == SIPHON_RESOLVE_UDP)
        return NULL; /* UDP needs a socket the TU chose */
    int rc;
    return lp_open(ua, tp, NULL, NULL, &rc);
}

int siphon_ua_local(const siphon_ua *ua, siphon_transport t,
                    struct sockaddr_storage *out)
{
    for (const ua_lp *lp = ua->lps; lp; lp = lp->next) {
        if (lp->tp == t && lp->listening) {
            *out = lp->addr;
            return 0;
        }
    }
    return SIPHON_ENOENT;
}
