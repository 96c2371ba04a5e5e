/*
 * test_ua_tls.c -- the endpoint over TLS, WS and WSS (RFC 3261 §26,
 * RFC 7118): requests located from sip:/sips: URIs with their transport
 * parameter, the Via naming the transport, responses back over the same
 * connection (§18.2.2), and a failed certificate check reaching the TU
 * as a transport error (§17.1.4).
 */
#include "test_net_tls_support.h"
#include "unit.h"

#include <siphon/ua.h>

#include <stdio.h>
#include <string.h>

typedef struct seen {
    int requests, finals, status, err;
    char via_transport[8];
} seen;

static void uas_request(void *arg, siphon_ua *ua, siphon_txn *stx,
                        siphon_msg *req, const siphon_ua_flow *from)
{
    seen *s = arg;
    (void)from;
    if (!stx)
        return;
    s->requests++;
    const siphon_via *v = siphon_msg_via(req);
    snprintf(s->via_transport, sizeof s->via_transport, "%.*s",
             v ? (int)v->transport.len : 0, v ? v->transport.p : "");
    siphon_msg *resp = NULL;
    CHECK_INT(siphon_msg_response(req, 200, SIPHON_STR_NULL,
                                  siphon_str_c("s"), &resp), 0);
    CHECK_INT(siphon_ua_respond(ua, stx, resp), 0);
    siphon_msg_unref(resp);
}

static void uac_response(void *arg, siphon_ua_client *c, siphon_msg *resp,
                         int err, bool final)
{
    seen *s = arg;
    (void)c;
    if (!final)
        return;
    s->finals++;
    s->err = err;
    s->status = resp ? siphon_msg_status(resp) : 0;
}

static siphon_msg *options(const char *ruri, int n)
{
    char text[512];
    int len = snprintf(text, sizeof text,
                       "OPTIONS %s SIP/2.0\r\nMax-Forwards: 70\r\n"
                       "From: <sip:a@localhost>;tag=t%d\r\nTo: <sip:b@localhost>\r\n"
                       "Call-ID: ua-tls-%d\r\nCSeq: 1 OPTIONS\r\n"
                       "Content-Length: 0\r\n\r\n",
                       ruri, n, n);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msg_parse(text, (size_t)len, NULL, &m, &err), 0);
    return m;
}

UNIT_TEST(ua_tls_ws_wss)
{
    if (!tlst_certs()) {
        unit_skip("openssl or tools/test-certs.sh missing");
        return;
    }
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_tls_ctx *server_ctx = tlst_ctx(NULL, true, "ca.pem");
    siphon_tls_ctx *client_ctx = tlst_ctx(NULL, false, "ca.pem");
    siphon_tls_ctx *wrong_ctx = tlst_ctx(NULL, false, "other-ca.pem");
    CHECK(server_ctx && client_ctx && wrong_ctx);

    seen srv = {0};
    siphon_ua_handlers h = {.request = uas_request, .arg = &srv};
    siphon_ua *b;
    CHECK_INT(siphon_ua_new(loop, NULL, &h, &b), 0);
    siphon_ua_listen_opts lo = {.tls = server_ctx};
    struct sockaddr_storage a_tls, a_ws, a_wss;
    CHECK_INT(siphon_ua_listen(b, SIPHON_RESOLVE_TLS, "127.0.0.1:0", &lo,
                               &a_tls), 0);
    CHECK_INT(siphon_ua_listen(b, SIPHON_RESOLVE_WS, "127.0.0.1:0", NULL,
                               &a_ws), 0);
    CHECK_INT(siphon_ua_listen(b, SIPHON_RESOLVE_WSS, "127.0.0.1:0", &lo,
                               &a_wss), 0);
    /* A TLS listening point needs its certificate. */
    CHECK_INT(siphon_ua_listen(b, SIPHON_RESOLVE_TLS, "127.0.0.1:0", NULL,
                               NULL), SIPHON_EINVAL);

    siphon_ua_config cfg;
    siphon_ua_config_default(&cfg);
    cfg.tls_client = client_ctx;
    siphon_ua *a;
    CHECK_INT(siphon_ua_new(loop, &cfg, NULL, &a), 0);
    CHECK_INT(siphon_ua_listen(a, SIPHON_RESOLVE_UDP, "127.0.0.1:0", NULL,
                               NULL), 0);

    struct {
        const char *fmt;
        struct sockaddr_storage *addr;
        const char *via;
    } cases[] = {
        {"sip:b@127.0.0.1:%u;transport=tls", &a_tls, "TLS"},
        {"sips:b@127.0.0.1:%u", &a_tls, "TLS"},
        {"sip:b@127.0.0.1:%u;transport=ws", &a_ws, "WS"},
        {"sips:b@127.0.0.1:%u;transport=ws", &a_wss, "WSS"},
    };
    for (int i = 0; i < 4; i++) {
        char ruri[128];
        snprintf(ruri, sizeof ruri, cases[i].fmt,
                 siphon_addr_port((struct sockaddr *)cases[i].addr));
        seen cl = {0};
        siphon_msg *req = options(ruri, i);
        CHECK_INT(siphon_ua_request(a, req, NULL, uac_response, &cl, NULL), 0);
        siphon_msg_unref(req);
        for (int k = 0; k < 300 && !cl.finals; k++)
            siphon_loop_run_once(loop, 10);
        CHECK_INT(cl.status, 200);
        CHECK_INT(srv.requests, i + 1);
        CHECK(strcmp(srv.via_transport, cases[i].via) == 0);
    }

    /* A client that trusts another CA: the handshake fails, and the TU
     * hears a transport error instead of waiting for Timer F. */
    siphon_ua_config bad = cfg;
    bad.tls_client = wrong_ctx;
    siphon_ua *c;
    CHECK_INT(siphon_ua_new(loop, &bad, NULL, &c), 0);
    char ruri[128];
    snprintf(ruri, sizeof ruri, "sip:b@127.0.0.1:%u;transport=tls",
             siphon_addr_port((struct sockaddr *)&a_tls));
    seen cl = {0};
    siphon_msg *req = options(ruri, 9);
    CHECK_INT(siphon_ua_request(c, req, NULL, uac_response, &cl, NULL), 0);
    siphon_msg_unref(req);
    for (int k = 0; k < 300 && !cl.finals; k++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(cl.finals, 1);
    CHECK_INT(cl.err, SIPHON_ETLS);
    CHECK_INT(srv.requests, 4);

    siphon_ua_free(c);
    siphon_ua_free(a);
    siphon_ua_free(b);
    siphon_tls_ctx_free(server_ctx);
    siphon_tls_ctx_free(client_ctx);
    siphon_tls_ctx_free(wrong_ctx);
    siphon_loop_free(loop);
}
