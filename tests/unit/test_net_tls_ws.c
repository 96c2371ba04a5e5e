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

/* A WebSocket server (answering requests) and client on one loop, over
 * TLS (wss) or not (ws); the client asks for /sip from a web origin. */
static bool wpair_open(tlst_pair *p, const char *bind, bool tls)
{
    siphon_tcp_config srv, cli;
    siphon_tcp_config_default(&srv);
    srv.websocket = true;
    cli = srv;
    cli.ws_path = "/sip";
    cli.ws_origin = "https://siphon.test";
    tlst_pair_cfg cfg = {.plain = !tls, .tcp = &srv, .client_tcp = &cli};
    return tlst_pair_open(p, bind, &cfg);
}

static int wpair_send(tlst_pair *p, int n, siphon_tcp_conn **c)
{
    return tlst_send_options(p->cli.tcp, &p->srv.addr,
                             p->sctx ? "localhost" : NULL,
                             p->sctx ? "WSS" : "WS", "localhost", n, c);
}

/* ---- messages both ways ---------------------------------------------- */

static void ws_both_ways(const char *bind, bool tls)
{
    tlst_pair p;
    if (!wpair_open(&p, bind, tls)) {
        tlst_pair_close(&p);
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
    CHECK(tlst_pair_send_back(&p, 9, 4) == sc);
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
    tlst_pair_close(&p);
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

UNIT_TEST(net_tls_wss_large_message)
{
    siphon_tcp_config tcp;
    siphon_tcp_config_default(&tcp);
    tcp.websocket = true;
    tlst_big_seen seen = {.echo = true}; /* the server sends it back */
    tlst_pair_cfg cfg = {.tcp = &tcp, .recv = tlst_big_cb, .recv_arg = &seen};
    tlst_pair p;
    if (tlst_pair_open(&p, "127.0.0.1:0", &cfg)) {
        size_t len;
        char *m = tlst_big_message(61440, &len);
        CHECK_INT(tlst_send(p.cli.tcp, &p.srv.addr, "localhost", m, len,
                            NULL), 0);
        tcpt_run_until(p.loop, &seen.n, 2, 300);
        CHECK_INT(seen.n, 2); /* there and back */
        CHECK_INT(seen.sizes[1], len);
        free(m);
    }
    tlst_pair_close(&p);
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

/* Read from fd until the end of an HTTP head (bounded), as a string. */
static void read_http_head(siphon_loop *loop, int fd, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < 200 && !strstr(buf, "\r\n\r\n"); i++) {
        siphon_loop_run_once(loop, 2);
        ssize_t r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
        if (r > 0)
            n += (size_t)r;
        buf[n] = 0;
    }
}

/* A raw client that has sent p's server a well-formed RFC 6455 upgrade
 * offering protocol, with §1.3's example key. Returns its fd. */
static int raw_upgrade(tlst_pair *p, const char *protocol)
{
    char get[512];
    int k = snprintf(get, sizeof get,
                     "GET / HTTP/1.1\r\n"
                     "Host: localhost\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: %s\r\n\r\n",
                     protocol);
    int fd = tcpt_raw_connect(&p->srv.addr);
    CHECK(fd >= 0);
    tcpt_raw_write(fd, get, (size_t)k);
    return fd;
}

UNIT_TEST(net_tls_ws_upgrade_without_sip_refused)
{
    tlst_pair p;
    if (!wpair_open(&p, "127.0.0.1:0", false)) {
        tlst_pair_close(&p);
        return;
    }
    siphon_log_set_hook(tcpt_log_cb, NULL);
    /* An upgrade offering another subprotocol. */
    int fd = raw_upgrade(&p, "chat");
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
    tlst_pair_close(&p);
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
    struct sockaddr_storage addr;
    int lfd = tlst_listen_raw(&addr);
    siphon_log_set_hook(tcpt_log_cb, NULL);
    CHECK_INT(tlst_send_options(cli.tcp, &addr, NULL, "WS", "localhost", 1,
                                NULL), 0);
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    for (int i = 0; i < 200 && poll(&pfd, 1, 0) == 0; i++)
        siphon_loop_run_once(loop, 2);
    int fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    char buf[2048];
    read_http_head(loop, fd, buf, sizeof buf);
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
    tlst_pair p;
    if (wpair_open(&p, "127.0.0.1:0", false)) {
        siphon_tcp_stats ss;
        tlst_expect_first_msg_timeout(
            &p, "GET / HTTP/1.1\r\nHost: localhost\r\n", &ss);
        CHECK_INT(ss.ws_failures, 1);
    }
    tlst_pair_close(&p);
}

/* ---- the closing handshake (RFC 6455 §7.1.1) ----------------------------- */

/* A raw client upgrades, then sends a close frame: the server echoes it
 * and closes the TCP connection once the echo is out (an orderly close). */
UNIT_TEST(net_tls_ws_closing_handshake)
{
    tlst_pair p;
    if (!wpair_open(&p, "127.0.0.1:0", false)) {
        tlst_pair_close(&p);
        return;
    }
    int fd = raw_upgrade(&p, "sip");
    char buf[1024];
    read_http_head(p.loop, fd, buf, sizeof buf);
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
    tlst_pair_close(&p);
}

/* Our WS client whose upgrade is never answered: the upgrade is part of
 * connecting, so connect_timeout ends it, as a transport error. */
UNIT_TEST(net_tls_ws_client_upgrade_times_out)
{
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.websocket = true;
    siphon_tcp_stats cs;
    tlst_expect_connect_timeout(&cfg, "WS", NULL, &cs);
    CHECK_INT(cs.ws_failures, 1);
    CHECK_INT(cs.timeouts, 1);
}
