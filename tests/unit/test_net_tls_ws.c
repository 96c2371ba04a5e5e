/*
 * test_net_tls_ws.c -- SIP over WebSocket (RFC 7118) on the stream
 * transport, ws and wss, over real loopback sockets: messages both ways,
 * several messages back to back (queued before the upgrade completes),
 * a 60 KB message, IPv6, an upgrade without the "sip" subprotocol
 * refused with an HTTP error and the connection closed, plain SIP sent
 * to a WS port, a client whose upgrade is refused or never answered (a
 * transport error, RFC 3261 §17.1.4), the first-message timeout covering
 * the upgrade, and the closing handshake (RFC 6455 §7.1.1).
 */
#include "unit.h"
#include "test_net_tls_support.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct wpair {
    siphon_loop *loop;
    siphon_tls_ctx *sctx, *cctx;
    tcpt_side srv, cli;
} wpair;

static bool wpair_open(wpair *p, const char *bind, bool tls,
                       const siphon_tcp_config *tcfg)
{
    memset(p, 0, sizeof *p);
    if (tls && !tlst_certs()) {
        unit_skip("openssl or tools/test-certs.sh missing");
        return false;
    }
    p->srv.answer = true;
    CHECK_INT(siphon_loop_new(&p->loop), 0);
    if (tls) {
        p->sctx = tlst_ctx(NULL, true, "ca.pem");
        p->cctx = tlst_ctx(NULL, false, "ca.pem");
        if (!p->sctx || !p->cctx)
            return false;
    }
    siphon_tcp_config cfg;
    if (tcfg)
        cfg = *tcfg;
    else
        siphon_tcp_config_default(&cfg);
    cfg.websocket = true;
    cfg.tls = p->sctx;
    if (!tcpt_open(p->loop, bind, &cfg, &p->srv)) {
        unit_skip("loopback address unavailable");
        return false;
    }
    cfg.tls = p->cctx;
    cfg.ws_path = "/sip";
    cfg.ws_origin = "https://siphon.test";
    CHECK(tcpt_open(p->loop, NULL, &cfg, &p->cli));
    return p->cli.tcp != NULL;
}

static void wpair_close(wpair *p)
{
    siphon_tcp_close(p->cli.tcp);
    siphon_tcp_close(p->srv.tcp);
    if (p->loop)
        siphon_loop_free(p->loop);
    siphon_tls_ctx_free(p->cctx);
    siphon_tls_ctx_free(p->sctx);
}

static int wpair_send(wpair *p, int n, siphon_tcp_conn **c)
{
    char req[512];
    int k = tlst_options(req, sizeof req, p->sctx ? "WSS" : "WS",
                         "localhost", n);
    const struct sockaddr *dst = (const struct sockaddr *)&p->srv.addr;
    return siphon_tcp_send_named(p->cli.tcp, dst, siphon_addr_len(dst),
                                 p->sctx ? "localhost" : NULL, req,
                                 (size_t)k, c);
}

/* ---- messages both ways ---------------------------------------------- */

static void ws_both_ways(const char *bind, bool tls)
{
    wpair p;
    if (!wpair_open(&p, bind, tls, NULL)) {
        wpair_close(&p);
        return;
    }
    /* Three requests before the connect, TLS handshake and upgrade are
     * done: the WS layer holds them and sends them after the 101. */
    siphon_tcp_conn *c = NULL;
    for (int i = 1; i <= 3; i++)
        CHECK_INT(wpair_send(&p, i, &c), 0);
    tcpt_run_until(p.loop, &p.cli.msgs, 3, 300);
    CHECK_INT(p.srv.msgs, 3);
    CHECK_INT(p.cli.msgs, 3);
    CHECK_INT(p.cli.status, 200);
    CHECK(strcmp(p.cli.branch, "z9hG4bK-t3") == 0);
    /* Each SIP message arrived alone, as its own WS message. */
    CHECK(strncmp(p.srv.last, "OPTIONS ", 8) == 0);
    CHECK(strstr(p.srv.last, "z9hG4bK-t3") != NULL);
    CHECK(strstr(p.srv.last, "z9hG4bK-t2") == NULL);
    /* The server's own request to the client, on the inbound conn. */
    siphon_tcp_conn *sc = p.srv.last_conn;
    char m[128];
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, 9, 9);
    const struct sockaddr *peer = (const struct sockaddr *)&p.srv.last_peer;
    siphon_tcp_conn *back = NULL;
    CHECK_INT(siphon_tcp_send(p.srv.tcp, peer, siphon_addr_len(peer), m,
                              (size_t)k, &back), 0);
    CHECK(back == sc);
    tcpt_run_until(p.loop, &p.cli.msgs, 4, 300);
    CHECK_INT(p.cli.msgs, 4);
    CHECK(strstr(p.cli.last, "m09") != NULL);
    if (tls && sc) {
        CHECK(siphon_tcp_conn_tls_version(sc) != NULL);
        const char *sni = siphon_tcp_conn_sni(sc);
        CHECK(sni && strcmp(sni, "localhost") == 0);
    }
    siphon_tcp_stats ss, cs;
    siphon_tcp_get_stats(p.srv.tcp, &ss);
    siphon_tcp_get_stats(p.cli.tcp, &cs);
    CHECK_INT(ss.ws_upgrades, 1);
    CHECK_INT(cs.ws_upgrades, 1);
    CHECK_INT(ss.ws_failures + cs.ws_failures, 0);
    CHECK_INT(ss.tls_handshakes, tls ? 1 : 0);
    CHECK_INT(ss.rx_messages, 3);
    CHECK_INT(cs.rx_messages, 4);
    siphon_tcp_conn_close(c);
    tcpt_run_until(p.loop, &p.srv.closed, 1, 200);
    CHECK_INT(p.srv.closed, 1);
    CHECK_INT(p.srv.transport_errors + p.cli.transport_errors, 0);
    wpair_close(&p);
}

UNIT_TEST(net_tls_ws_v4)
{
    ws_both_ways("127.0.0.1:0", false);
}

UNIT_TEST(net_tls_ws_v6)
{
    ws_both_ways("[::1]:0", false);
}

UNIT_TEST(net_tls_wss_v4)
{
    ws_both_ways("127.0.0.1:0", true);
}

UNIT_TEST(net_tls_wss_v6)
{
    ws_both_ways("[::1]:0", true);
}

/* ---- a 60 KB message over wss ------------------------------------------ */

static int big_n;
static size_t big_len;
static void big_cb(siphon_tcp *tcp, siphon_tcp_conn *conn, const char *bytes,
                   size_t len, const struct sockaddr *peer,
                   const struct sockaddr *local, uint64_t arrival_ms,
                   void *arg)
{
    (void)tcp;
    (void)peer;
    (void)local;
    (void)arrival_ms;
    (void)arg;
    big_n++;
    big_len = len;
    CHECK(bytes[len - 1] == 'Z');
    if (siphon_tcp_conn_inbound(conn))
        CHECK_INT(siphon_tcp_send_conn(conn, bytes, len), 0); /* echo */
}

UNIT_TEST(net_tls_wss_large_message)
{
    if (!tlst_certs()) {
        unit_skip("openssl or tools/test-certs.sh missing");
        return;
    }
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_tls_ctx *sctx = tlst_ctx(NULL, true, "ca.pem");
    siphon_tls_ctx *cctx = tlst_ctx(NULL, false, "ca.pem");
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.websocket = true;
    cfg.tls = sctx;
    siphon_tcp *srv = NULL, *cli = NULL;
    CHECK_INT(siphon_tcp_open(loop, "127.0.0.1:0", &cfg, big_cb, NULL, &srv),
              0);
    cfg.tls = cctx;
    CHECK_INT(siphon_tcp_open(loop, NULL, &cfg, big_cb, NULL, &cli), 0);
    struct sockaddr_storage addr;
    CHECK_INT(siphon_tcp_local(srv, &addr), 0);
    size_t body = 61440;
    char *m = malloc(body + 256);
    int h = snprintf(m, 256,
                     "MESSAGE sip:b@x SIP/2.0\r\nCall-ID: big\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     body);
    memset(m + h, 'x', body);
    m[(size_t)h + body - 1] = 'Z';
    size_t len = (size_t)h + body;
    big_n = 0;
    const struct sockaddr *dst = (const struct sockaddr *)&addr;
    CHECK_INT(siphon_tcp_send_named(cli, dst, siphon_addr_len(dst),
                                    "localhost", m, len, NULL), 0);
    tcpt_run_until(loop, &big_n, 2, 300);
    CHECK_INT(big_n, 2); /* there and back */
    CHECK_INT(big_len, len);
    free(m);
    siphon_tcp_close(cli);
    siphon_tcp_close(srv);
    siphon_loop_free(loop);
    siphon_tls_ctx_free(cctx);
    siphon_tls_ctx_free(sctx);
}

/* ---- refused upgrades -------------------------------------------------- */

/* Read what the server sends on fd until it closes (bounded). */
static size_t read_until_closed(siphon_loop *loop, int fd, char *buf,
                                size_t cap, bool *closed)
{
    size_t n = 0;
    *closed = false;
    for (int i = 0; i < 300 && !*closed; i++) {
        siphon_loop_run_once(loop, 2);
        ssize_t k = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
        if (k > 0)
            n += (size_t)k;
        else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            *closed = true;
    }
    buf[n] = 0;
    return n;
}

UNIT_TEST(net_tls_ws_upgrade_without_sip_refused)
{
    wpair p;
    if (!wpair_open(&p, "127.0.0.1:0", false, NULL)) {
        wpair_close(&p);
        return;
    }
    siphon_log_set_hook(tcpt_log_cb, NULL);
    /* A well-formed RFC 6455 upgrade offering another subprotocol. */
    const char *get = "GET / HTTP/1.1\r\n"
                      "Host: localhost\r\n"
                      "Upgrade: websocket\r\n"
                      "Connection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: chat\r\n\r\n";
    int fd = tcpt_raw_connect(&p.srv.addr);
    CHECK(fd >= 0);
    tcpt_raw_write(fd, get, strlen(get));
    char buf[2048];
    bool closed;
    read_until_closed(p.loop, fd, buf, sizeof buf, &closed);
    CHECK(closed);
    CHECK(strncmp(buf, "HTTP/1.1 400", 12) == 0); /* not a 101 */
    CHECK_INT(p.srv.closed, 1);
    CHECK_INT(p.srv.last_err, SIPHON_EPARSE);
    CHECK_INT(p.srv.transport_errors, 0);
    CHECK(strstr(tcpt_log_last, "upgrade failed") != NULL);
    close(fd);

    /* Plain SIP to a WS port: not an upgrade either. */
    fd = tcpt_raw_connect(&p.srv.addr);
    char m[128];
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, 1, 1);
    tcpt_raw_write(fd, m, (size_t)k);
    read_until_closed(p.loop, fd, buf, sizeof buf, &closed);
    CHECK(closed);
    CHECK_INT(p.srv.closed, 2);
    CHECK_INT(p.srv.msgs, 0);
    siphon_tcp_stats ss;
    siphon_tcp_get_stats(p.srv.tcp, &ss);
    CHECK_INT(ss.ws_failures, 2);
    CHECK_INT(ss.ws_upgrades, 0);
    CHECK_INT(ss.conns_open, 0);
    close(fd);
    siphon_log_set_hook(NULL, NULL);
    wpair_close(&p);
}

/* Our WS client against a server that answers the GET with an HTTP
 * error: the request we queued is lost, a transport error. */
UNIT_TEST(net_tls_ws_client_refused)
{
    siphon_loop *loop;
    tcpt_side cli = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.websocket = true;
    CHECK(tcpt_open(loop, NULL, &cfg, &cli));
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage addr;
    CHECK_INT(siphon_addr_parse(siphon_str_c("127.0.0.1:0"), &addr, NULL), 0);
    socklen_t sl = sizeof addr;
    CHECK_INT(bind(lfd, (struct sockaddr *)&addr, sizeof(struct sockaddr_in)),
              0);
    CHECK_INT(listen(lfd, 4), 0);
    CHECK_INT(getsockname(lfd, (struct sockaddr *)&addr, &sl), 0);
    siphon_log_set_hook(tcpt_log_cb, NULL);
    char req[512];
    int k = tlst_options(req, sizeof req, "WS", "localhost", 1);
    const struct sockaddr *dst = (const struct sockaddr *)&addr;
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), req,
                              (size_t)k, NULL), 0);
    int fd = -1;
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    for (int i = 0; i < 200 && poll(&pfd, 1, 0) == 0; i++)
        siphon_loop_run_once(loop, 2);
    fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    char buf[2048] = "";
    size_t n = 0;
    for (int i = 0; i < 200 && !strstr(buf, "\r\n\r\n"); i++) {
        siphon_loop_run_once(loop, 2);
        ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, MSG_DONTWAIT);
        if (r > 0)
            n += (size_t)r;
        buf[n] = 0;
    }
    CHECK(strncmp(buf, "GET / HTTP/1.1\r\n", 16) == 0);
    CHECK(strstr(buf, "Host: 127.0.0.1:") != NULL);
    CHECK(strstr(buf, "Sec-WebSocket-Protocol: sip\r\n") != NULL);
    const char *no = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    tcpt_raw_write(fd, no, strlen(no));
    tcpt_run_until(loop, &cli.closed, 1, 200);
    CHECK_INT(cli.closed, 1);
    CHECK_INT(cli.transport_errors, 1);
    CHECK_INT(cli.last_err, SIPHON_EPARSE);
    siphon_tcp_stats cs;
    siphon_tcp_get_stats(cli.tcp, &cs);
    CHECK_INT(cs.ws_failures, 1);
    siphon_log_set_hook(NULL, NULL);
    close(fd);
    close(lfd);
    siphon_tcp_close(cli.tcp);
    siphon_loop_free(loop);
}

/* The first-message deadline covers the upgrade: a client that sends
 * half a GET is cut off (virtual clock). */
UNIT_TEST(net_tls_ws_upgrade_times_out)
{
    wpair p;
    tcpt_vnow = 5000;
    if (!wpair_open(&p, "127.0.0.1:0", false, NULL)) {
        wpair_close(&p);
        return;
    }
    siphon_loop_set_clock(p.loop, tcpt_vclock, NULL);
    int fd = tcpt_raw_connect(&p.srv.addr);
    CHECK(fd >= 0);
    const char *half = "GET / HTTP/1.1\r\nHost: localhost\r\n";
    tcpt_raw_write(fd, half, strlen(half));
    tcpt_spin(p.loop, 5);
    tcpt_vnow += 60000 - 1;
    tcpt_spin(p.loop, 3);
    CHECK_INT(p.srv.closed, 0);
    tcpt_vnow += 2;
    CHECK(tcpt_raw_closed(p.loop, fd));
    CHECK_INT(p.srv.closed, 1);
    CHECK_INT(p.srv.last_err, SIPHON_ETIMEDOUT);
    siphon_tcp_stats ss;
    siphon_tcp_get_stats(p.srv.tcp, &ss);
    CHECK_INT(ss.ws_failures, 1);
    close(fd);
    wpair_close(&p);
}

/* ---- the closing handshake (RFC 6455 §7.1.1) ----------------------------- */

/* A raw client upgrades, then sends a close frame: the server echoes it
 * and closes the TCP connection once the echo is out (an orderly close). */
UNIT_TEST(net_tls_ws_closing_handshake)
{
    wpair p;
    if (!wpair_open(&p, "127.0.0.1:0", false, NULL)) {
        wpair_close(&p);
        return;
    }
    const char *get = "GET / HTTP/1.1\r\n"
                      "Host: localhost\r\n"
                      "Upgrade: websocket\r\n"
                      "Connection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: sip\r\n\r\n";
    int fd = tcpt_raw_connect(&p.srv.addr);
    CHECK(fd >= 0);
    tcpt_raw_write(fd, get, strlen(get));
    char buf[1024] = "";
    size_t n = 0;
    for (int i = 0; i < 200 && !strstr(buf, "\r\n\r\n"); i++) {
        siphon_loop_run_once(p.loop, 2);
        ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, MSG_DONTWAIT);
        if (r > 0)
            n += (size_t)r;
        buf[n] = 0;
    }
    CHECK(strncmp(buf, "HTTP/1.1 101", 12) == 0);
    if (strncmp(buf, "HTTP/1.1 101", 12) != 0)
        printf("# got: %s\n", buf);
    /* RFC 6455 §1.3's example key gives this accept value. */
    CHECK(strstr(buf, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != NULL);
    /* Close, status 1000, masked as a client must (§5.3). */
    const unsigned char mask[4] = {0x11, 0x22, 0x33, 0x44};
    unsigned char fr[8] = {0x88, 0x82, mask[0], mask[1], mask[2], mask[3],
                           0x03 ^ mask[0], 0xE8 ^ mask[1]};
    tcpt_raw_write(fd, (const char *)fr, sizeof fr);
    bool closed;
    size_t k = read_until_closed(p.loop, fd, buf, sizeof buf, &closed);
    CHECK(closed);
    CHECK(k >= 2 && (unsigned char)buf[0] == 0x88); /* the echoed close */
    CHECK_INT(p.srv.closed, 1);
    CHECK_INT(p.srv.last_err, 0);
    siphon_tcp_stats ss;
    siphon_tcp_get_stats(p.srv.tcp, &ss);
    CHECK_INT(ss.ws_upgrades, 1);
    CHECK_INT(ss.ws_failures, 0);
    close(fd);
    wpair_close(&p);
}

/* Our WS client whose upgrade is never answered: the upgrade is part of
 * connecting, so connect_timeout ends it, as a transport error. */
UNIT_TEST(net_tls_ws_client_upgrade_times_out)
{
    siphon_loop *loop;
    tcpt_side cli = {0};
    tcpt_vnow = 1000;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_loop_set_clock(loop, tcpt_vclock, NULL);
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.websocket = true;
    CHECK(tcpt_open(loop, NULL, &cfg, &cli));
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage addr;
    CHECK_INT(siphon_addr_parse(siphon_str_c("127.0.0.1:0"), &addr, NULL), 0);
    socklen_t sl = sizeof addr;
    CHECK_INT(bind(lfd, (struct sockaddr *)&addr, sizeof(struct sockaddr_in)),
              0);
    CHECK_INT(listen(lfd, 4), 0);
    CHECK_INT(getsockname(lfd, (struct sockaddr *)&addr, &sl), 0);
    char req[512];
    int k = tlst_options(req, sizeof req, "WS", "localhost", 1);
    const struct sockaddr *dst = (const struct sockaddr *)&addr;
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), req,
                              (size_t)k, NULL), 0);
    tcpt_spin(loop, 10); /* connected, GET written, no 101 */
    siphon_tcp_stats cs;
    siphon_tcp_get_stats(cli.tcp, &cs);
    CHECK_INT(cs.connected, 1);
    tcpt_vnow += 32000 - 1;
    tcpt_spin(loop, 3);
    CHECK_INT(cli.closed, 0);
    tcpt_vnow += 2;
    tcpt_run_until(loop, &cli.closed, 1, 100);
    CHECK_INT(cli.closed, 1);
    CHECK_INT(cli.last_err, SIPHON_ETIMEDOUT);
    CHECK_INT(cli.transport_errors, 1);
    siphon_tcp_get_stats(cli.tcp, &cs);
    CHECK_INT(cs.ws_failures, 1);
    CHECK_INT(cs.timeouts, 1);
    close(lfd);
    siphon_tcp_close(cli.tcp);
    siphon_loop_free(loop);
}
