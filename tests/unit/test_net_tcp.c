/*
 * test_net_tcp.c -- the TCP transport over loopback (RFC 3261 §18,
 * RFC 5626 §4.4.1): framing of back-to-back and byte-by-byte messages,
 * CRLF keep-alives, framing errors that close one connection only,
 * connection reuse both ways (§18.1.1, §18.2.2), connection limits, the
 * first-message timeout on a virtual clock, a refused connect reported as
 * a transport error (§17.1.4), the output queue ceiling, and an OPTIONS
 * answered 200. IPv6 cases skip when ::1 is unusable.
 *
 * Raw peers are plain blocking sockets (test_net_tcp_support.c), so the
 * bytes on the wire are exactly what the test wrote. Every wait is a
 * bounded number of loop iterations, so a lost message fails instead of
 * hanging. Edge cases are in test_net_tcp_edges.c.
 */
#include "unit.h"
#include "test_net_tcp_support.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- framing (RFC 3261 §18.3, §7.5; RFC 5626 §4.4.1) ---------------- */

static void framing(const char *bind, const char *skip)
{
    siphon_loop *loop;
    tcpt_side srv = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    if (!tcpt_open(loop, bind, NULL, &srv)) {
        siphon_loop_free(loop);
        unit_skip(skip);
        return;
    }
    char three[512];
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        n += (size_t)snprintf(three + n, sizeof three - n, tcpt_msg_fmt, i, i);

    /* Three messages in one write. */
    int a = tcpt_raw_connect(&srv.addr);
    CHECK(a >= 0);
    tcpt_raw_write(a, three, n);
    tcpt_run_until(loop, &srv.msgs, 3, 100);
    tcpt_spin(loop, 3);
    CHECK_INT(srv.msgs, 3);
    CHECK(strstr(srv.last, "m02") != NULL);

    /* The same, one byte per write, the loop running between them. */
    int b = tcpt_raw_connect(&srv.addr);
    CHECK(b >= 0);
    for (size_t i = 0; i < n; i++) {
        tcpt_raw_write(b, three + i, 1);
        siphon_loop_run_once(loop, 0);
    }
    tcpt_run_until(loop, &srv.msgs, 6, 100);
    tcpt_spin(loop, 3);
    CHECK_INT(srv.msgs, 6);
    CHECK(strstr(srv.last, "Call-ID: c2") != NULL);
    CHECK_INT(srv.last_len, n / 3);

    /* A double CRLF is a ping: exactly one CRLF comes back. */
    tcpt_raw_write(a, "\r\n\r\n", 4);
    char pong[8] = {0};
    struct pollfd pfd = {.fd = a, .events = POLLIN};
    for (int i = 0; i < 100 && poll(&pfd, 1, 0) == 0; i++)
        siphon_loop_run_once(loop, 1);
    tcpt_spin(loop, 3);
    CHECK_INT(recv(a, pong, sizeof pong, MSG_DONTWAIT), 2);
    CHECK(strcmp(pong, "\r\n") == 0);

    /* A bare CRLF before a message is a pong: skipped. */
    char one[128];
    memcpy(one, "\r\n", 2);
    int k = 2 + snprintf(one + 2, sizeof one - 2, tcpt_msg_fmt, 7, 7);
    tcpt_raw_write(b, one, (size_t)k);
    tcpt_run_until(loop, &srv.msgs, 7, 100);
    CHECK_INT(srv.msgs, 7);
    CHECK(strncmp(srv.last, "MESSAGE", 7) == 0);

    siphon_tcp_stats st;
    siphon_tcp_get_stats(srv.tcp, &st);
    CHECK_INT(st.accepted, 2);
    CHECK_INT(st.conns_open, 2);
    CHECK_INT(st.rx_messages, 7);
    CHECK_INT(st.pings, 1);
    CHECK_INT(st.pongs, 1);
    CHECK_INT(st.framing_errors, 0);
    close(a);
    close(b);
    tcpt_run_until(loop, &srv.closed, 2, 100);
    CHECK_INT(srv.closed, 2);
    CHECK_INT(srv.transport_errors, 0);
    siphon_tcp_close(srv.tcp);
    siphon_loop_free(loop);
}

UNIT_TEST(net_tcp_framing_v4)
{
    framing("127.0.0.1:0", "IPv4 loopback unavailable");
}

UNIT_TEST(net_tcp_framing_v6)
{
    framing("[::1]:0", "::1 unavailable (no IPv6 loopback)");
}

/* A framing error closes that connection only (RFC 3261 §18.3). */
UNIT_TEST(net_tcp_framing_errors)
{
    siphon_loop *loop;
    tcpt_side srv = {0};
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.parse.max_msg_size = 4096;
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!tcpt_open(loop, "127.0.0.1:0", &cfg, &srv)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    tcpt_log_warns = 0;
    siphon_log_set_hook(tcpt_log_cb, NULL);
    int good = tcpt_raw_connect(&srv.addr);
    int nolen = tcpt_raw_connect(&srv.addr);
    int big = tcpt_raw_connect(&srv.addr);
    CHECK(good >= 0 && nolen >= 0 && big >= 0);
    const char *no_cl = "OPTIONS sip:b@x SIP/2.0\r\nCall-ID: x\r\n\r\n";
    tcpt_raw_write(nolen, no_cl, strlen(no_cl));
    CHECK(tcpt_raw_closed(loop, nolen));
    CHECK(strstr(tcpt_log_last, "framing error") != NULL);
    CHECK(strstr(tcpt_log_last, "127.0.0.1:") != NULL);
    const char *huge = "OPTIONS sip:b@x SIP/2.0\r\n"
                       "Content-Length: 100000\r\n\r\n";
    tcpt_raw_write(big, huge, strlen(huge));
    CHECK(tcpt_raw_closed(loop, big));
    char one[128];
    int k = snprintf(one, sizeof one, tcpt_msg_fmt, 1, 1);
    tcpt_raw_write(good, one, (size_t)k);
    tcpt_run_until(loop, &srv.msgs, 1, 100);
    CHECK_INT(srv.msgs, 1);
    siphon_tcp_stats st;
    siphon_tcp_get_stats(srv.tcp, &st);
    CHECK_INT(st.framing_errors, 2);
    CHECK_INT(st.conns_open, 1);
    CHECK_INT(srv.closed, 2);
    CHECK_INT(tcpt_log_warns, 2);
    siphon_log_set_hook(NULL, NULL);
    close(good);
    close(nolen);
    close(big);
    siphon_tcp_close(srv.tcp);
    siphon_loop_free(loop);
}

/* ---- reuse (RFC 3261 §18.1.1, §18.2.2) ------------------------------ */

static void reuse(const char *bind, const char *skip)
{
    siphon_loop *loop;
    tcpt_side srv = {0}, cli = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!tcpt_open(loop, bind, NULL, &srv)) {
        siphon_loop_free(loop);
        unit_skip(skip);
        return;
    }
    CHECK(tcpt_open(loop, NULL, NULL, &cli));
    struct sockaddr_storage none;
    CHECK_INT(siphon_tcp_local(cli.tcp, &none), SIPHON_ENOENT);
    const struct sockaddr *dst = (const struct sockaddr *)&srv.addr;
    char m[128];
    siphon_tcp_conn *c1 = NULL, *c2 = NULL, *back = NULL;
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, 1, 1);
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), m,
                              (size_t)k, &c1), 0);
    k = snprintf(m, sizeof m, tcpt_msg_fmt, 2, 2);
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), m,
                              (size_t)k, &c2), 0);
    CHECK(c1 != NULL && c1 == c2);
    CHECK(!siphon_tcp_conn_inbound(c1));
    tcpt_run_until(loop, &srv.msgs, 2, 100);
    CHECK_INT(srv.msgs, 2);
    CHECK(srv.last_conn != NULL && siphon_tcp_conn_inbound(srv.last_conn));
    /* The peer's address is the client's ephemeral port: sending there
     * must use the inbound connection, not dial a new one. */
    CHECK(siphon_addr_cmp((struct sockaddr *)&srv.last_peer,
                          siphon_tcp_conn_local(c1)) == 0);
    k = snprintf(m, sizeof m, tcpt_msg_fmt, 3, 3);
    const struct sockaddr *src = (const struct sockaddr *)&srv.last_peer;
    CHECK_INT(siphon_tcp_send(srv.tcp, src, siphon_addr_len(src), m,
                              (size_t)k, &back), 0);
    CHECK(back == srv.last_conn);
    tcpt_run_until(loop, &cli.msgs, 1, 100);
    CHECK_INT(cli.msgs, 1);
    CHECK(cli.last_conn == c1);
    siphon_tcp_stats ss, cs;
    siphon_tcp_get_stats(srv.tcp, &ss);
    siphon_tcp_get_stats(cli.tcp, &cs);
    CHECK_INT(ss.accepted, 1);
    CHECK_INT(ss.connected, 0);
    CHECK_INT(cs.connected, 1);
    CHECK_INT(cs.accepted, 0);
    CHECK_INT(cs.conns_open, 1);
    siphon_tcp_close(cli.tcp);
    tcpt_run_until(loop, &srv.closed, 1, 100);
    CHECK_INT(srv.closed, 1);
    CHECK_INT(cli.closed, 0); /* siphon_tcp_close calls no callbacks */
    siphon_tcp_close(srv.tcp);
    siphon_loop_free(loop);
}

UNIT_TEST(net_tcp_reuse_v4)
{
    reuse("127.0.0.1:0", "IPv4 loopback unavailable");
}

UNIT_TEST(net_tcp_reuse_v6)
{
    reuse("[::1]:0", "::1 unavailable (no IPv6 loopback)");
}

/* ---- limits ---------------------------------------------------------- */

static void limit_case(unsigned total, unsigned per_peer)
{
    siphon_loop *loop;
    tcpt_side srv = {0};
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.max_conns = total;
    cfg.max_conns_per_peer = per_peer;
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!tcpt_open(loop, "127.0.0.1:0", &cfg, &srv)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    unsigned allowed = total < per_peer ? total : per_peer;
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = tcpt_raw_connect(&srv.addr);
        CHECK(fds[i] >= 0);
        tcpt_spin(loop, 3); /* accept in order */
    }
    for (unsigned i = allowed; i < 4; i++)
        CHECK(tcpt_raw_closed(loop, fds[i]));
    siphon_tcp_stats st;
    siphon_tcp_get_stats(srv.tcp, &st);
    CHECK_INT(st.accepted, allowed);
    CHECK_INT(st.refused_limit, 4 - allowed);
    CHECK_INT(st.conns_open, allowed);
    /* An accepted one still works. */
    char m[128];
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, 1, 1);
    tcpt_raw_write(fds[0], m, (size_t)k);
    tcpt_run_until(loop, &srv.msgs, 1, 100);
    CHECK_INT(srv.msgs, 1);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    siphon_tcp_close(srv.tcp);
    siphon_loop_free(loop);
}

UNIT_TEST(net_tcp_limits)
{
    limit_case(100, 2); /* per peer: every client is 127.0.0.1 */
    limit_case(3, 100); /* total */
}

/* ---- first-message timeout (slowloris) on a virtual clock ------------ */


UNIT_TEST(net_tcp_first_message_timeout)
{
    siphon_loop *loop;
    tcpt_side srv = {0};
    tcpt_vnow = 1000;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_loop_set_clock(loop, tcpt_vclock, NULL);
    if (!tcpt_open(loop, "127.0.0.1:0", NULL, &srv)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    int slow = tcpt_raw_connect(&srv.addr);
    int fine = tcpt_raw_connect(&srv.addr);
    CHECK(slow >= 0 && fine >= 0);
    tcpt_spin(loop, 3);
    const char *part = "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/TCP";
    tcpt_raw_write(slow, part, strlen(part));
    char m[128];
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, 1, 1);
    tcpt_raw_write(fine, m, (size_t)k);
    tcpt_run_until(loop, &srv.msgs, 1, 100);
    CHECK_INT(srv.msgs, 1);
    tcpt_vnow = 1000 + 60000 - 1;
    tcpt_spin(loop, 3);
    CHECK_INT(srv.closed, 0);
    tcpt_vnow = 1000 + 60000;
    CHECK(tcpt_raw_closed(loop, slow));
    CHECK_INT(srv.closed, 1);
    CHECK_INT(srv.last_err, SIPHON_ETIMEDOUT);
    CHECK_INT(srv.transport_errors, 0);
    siphon_tcp_stats st;
    siphon_tcp_get_stats(srv.tcp, &st);
    CHECK_INT(st.timeouts, 1);
    CHECK_INT(st.conns_open, 1);
    /* The one that spoke is under the 1800 s idle timeout instead, and
     * traffic pushes that further. */
    tcpt_vnow += 1799 * 1000;
    tcpt_raw_write(fine, m, (size_t)k);
    tcpt_run_until(loop, &srv.msgs, 2, 100);
    tcpt_vnow += 1799 * 1000;
    tcpt_spin(loop, 3);
    CHECK_INT(srv.closed, 1);
    tcpt_vnow += 1000;
    CHECK(tcpt_raw_closed(loop, fine));
    CHECK_INT(srv.closed, 2);
    close(slow);
    close(fine);
    siphon_tcp_close(srv.tcp);
    siphon_loop_free(loop);
}

/* ---- transport errors (RFC 3261 §17.1.4) and the queue ceiling ------- */

UNIT_TEST(net_tcp_connect_refused)
{
    siphon_loop *loop;
    tcpt_side cli = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    CHECK(tcpt_open(loop, NULL, NULL, &cli));
    /* A port nobody listens on: bind one, note it, close it. */
    struct sockaddr_storage dead;
    CHECK_INT(siphon_addr_parse(siphon_str_c("127.0.0.1:0"), &dead, NULL),
              0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t sl = sizeof dead;
    CHECK_INT(bind(fd, (struct sockaddr *)&dead, sizeof(struct sockaddr_in)),
              0);
    CHECK_INT(getsockname(fd, (struct sockaddr *)&dead, &sl), 0);
    close(fd);
    siphon_tcp_conn *c = NULL;
    int rv = siphon_tcp_send(cli.tcp, (struct sockaddr *)&dead,
                             sizeof(struct sockaddr_in), "x\r\n", 3, &c);
    if (rv == 0) {
        tcpt_run_until(loop, &cli.closed, 1, 100);
        CHECK_INT(cli.closed, 1);
        CHECK_INT(cli.transport_errors, 1);
        CHECK_INT(cli.last_err, SIPHON_EIO);
        CHECK_INT(cli.last_errno, ECONNREFUSED);
    } else {
        CHECK_INT(rv, SIPHON_EIO); /* refused at once: the caller knows */
    }
    siphon_tcp_stats st;
    siphon_tcp_get_stats(cli.tcp, &st);
    CHECK_INT(st.connect_failed, 1);
    CHECK_INT(st.conns_open, 0);
    siphon_tcp_close(cli.tcp);
    siphon_loop_free(loop);
}

UNIT_TEST(net_tcp_queue_ceiling)
{
    siphon_loop *loop;
    tcpt_side srv = {0}, cli = {0};
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.out_queue_max = 100;
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!tcpt_open(loop, "127.0.0.1:0", NULL, &srv)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    CHECK(tcpt_open(loop, NULL, &cfg, &cli));
    const struct sockaddr *dst = (const struct sockaddr *)&srv.addr;
    char m[128];
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, 1, 1);
    CHECK(k > 50 && k <= 100);
    siphon_tcp_conn *c = NULL;
    /* The connect is still in progress: the bytes wait in the queue. */
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), m,
                              (size_t)k, &c), 0);
    CHECK_INT(siphon_tcp_conn_queued(c), k);
    CHECK_INT(siphon_tcp_send_conn(c, m, (size_t)k), SIPHON_EAGAIN);
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), m, 101,
                              NULL), SIPHON_ETOOBIG);
    tcpt_run_until(loop, &srv.msgs, 1, 100);
    CHECK_INT(srv.msgs, 1);
    CHECK_INT(siphon_tcp_conn_queued(c), 0);
    CHECK_INT(siphon_tcp_send_conn(c, m, (size_t)k), 0);
    tcpt_run_until(loop, &srv.msgs, 2, 100);
    CHECK_INT(srv.msgs, 2);
    siphon_tcp_close(cli.tcp);
    siphon_tcp_close(srv.tcp);
    siphon_loop_free(loop);
}

/* ---- OPTIONS answered 200 (RFC 3261 §11.2) over TCP ------------------ */

UNIT_TEST(net_tcp_options_200)
{
    siphon_loop *loop;
    tcpt_side uas = {.answer = true}, uac = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!tcpt_open(loop, "127.0.0.1:0", NULL, &uas)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    CHECK(tcpt_open(loop, NULL, NULL, &uac));
    const char *req = "OPTIONS sip:uas@127.0.0.1;transport=tcp SIP/2.0\r\n"
                      "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKtcp1\r\n"
                      "Max-Forwards: 70\r\n"
                      "From: <sip:uac@127.0.0.1>;tag=a1\r\n"
                      "To: <sip:uas@127.0.0.1>\r\n"
                      "Call-ID: tcp-options-1@127.0.0.1\r\n"
                      "CSeq: 1 OPTIONS\r\n"
                      "Content-Length: 0\r\n\r\n";
    const struct sockaddr *dst = (const struct sockaddr *)&uas.addr;
    CHECK_INT(siphon_tcp_send(uac.tcp, dst, siphon_addr_len(dst), req,
                              strlen(req), NULL), 0);
    tcpt_run_until(loop, &uac.msgs, 1, 100);
    CHECK_INT(uas.msgs, 1);
    CHECK_INT(uac.msgs, 1);
    CHECK_INT(uac.status, 200);
    CHECK(strcmp(uac.branch, "z9hG4bKtcp1") == 0);
    siphon_tcp_close(uac.tcp);
    siphon_tcp_close(uas.tcp);
    siphon_loop_free(loop);
}
