/*
 * test_net_tcp_edges.c -- the TCP transport's edges: closing from inside
 * callbacks, a connect that times out and a peer that resets with data
 * queued (both transport errors, RFC 3261 §17.1.4), and accept under fd
 * exhaustion.
 */
#include "unit.h"
#include "test_net_tcp_support.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- closing from inside callbacks ----------------------------------- */

static int closer_msgs;
static void closer_cb(siphon_tcp *tcp, siphon_tcp_conn *conn,
                      const char *bytes, size_t len,
                      const struct sockaddr *peer,
                      const struct sockaddr *local, uint64_t arrival_ms,
                      void *arg)
{
    (void)bytes;
    (void)len;
    (void)peer;
    (void)local;
    (void)arrival_ms;
    closer_msgs++;
    if (arg == (void *)1)
        siphon_tcp_conn_close(conn); /* the rest of the read is dropped */
    else
        siphon_tcp_close(tcp);       /* the whole transport */
}

UNIT_TEST(net_tcp_close_in_callback)
{
    for (int mode = 1; mode <= 2; mode++) {
        siphon_loop *loop;
        siphon_tcp *tcp = NULL;
        struct sockaddr_storage addr;
        CHECK_INT(siphon_loop_new(&loop), 0);
        if (siphon_tcp_open(loop, "127.0.0.1:0", NULL, closer_cb,
                            (void *)(intptr_t)mode, &tcp) != 0) {
            siphon_loop_free(loop);
            unit_skip("IPv4 loopback unavailable");
            return;
        }
        CHECK_INT(siphon_tcp_local(tcp, &addr), 0);
        closer_msgs = 0;
        int fd = tcpt_raw_connect(&addr);
        CHECK(fd >= 0);
        char three[512];
        size_t n = 0;
        for (int i = 0; i < 3; i++)
            n += (size_t)snprintf(three + n, sizeof three - n,
                                  tcpt_msg_fmt, i, i);
        tcpt_raw_write(fd, three, n);
        CHECK(tcpt_raw_closed(loop, fd));
        CHECK_INT(closer_msgs, 1);
        close(fd);
        if (mode == 1) {
            siphon_tcp_stats st;
            siphon_tcp_get_stats(tcp, &st);
            CHECK_INT(st.conns_open, 0);
            siphon_tcp_close(tcp);
        }
        siphon_loop_free(loop);
    }
}

/*
 * A connect that never completes times out (virtual clock) and, with a
 * request queued on it, is a transport error (§17.1.4). A listener that
 * never accepts, with its backlog full, makes Linux drop further SYNs, so
 * the connect stays pending; where that does not hold the case skips.
 */
UNIT_TEST(net_tcp_connect_timeout)
{
    siphon_loop *loop;
    tcpt_side cli = {0};
    tcpt_vnow = 5000;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_loop_set_clock(loop, tcpt_vclock, NULL);
    CHECK(tcpt_open(loop, NULL, NULL, &cli));
    struct sockaddr_storage la;
    CHECK_INT(siphon_addr_parse(siphon_str_c("127.0.0.1:0"), &la, NULL), 0);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t sl = sizeof la;
    CHECK_INT(bind(lfd, (struct sockaddr *)&la, sizeof(struct sockaddr_in)),
              0);
    CHECK_INT(listen(lfd, 0), 0);
    CHECK_INT(getsockname(lfd, (struct sockaddr *)&la, &sl), 0);
    int fill[4];
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&la, sizeof(struct sockaddr_in));
    }
    usleep(20000);
    siphon_tcp_conn *c = NULL;
    const struct sockaddr *dst = (const struct sockaddr *)&la;
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), "x\r\n", 3,
                              &c), 0);
    tcpt_spin(loop, 5);
    siphon_tcp_stats st;
    siphon_tcp_get_stats(cli.tcp, &st);
    if (st.connected > 0 || cli.closed > 0) {
        unit_skip("the kernel completed or refused the connect");
    } else {
        tcpt_vnow += 32000;
        tcpt_run_until(loop, &cli.closed, 1, 10);
        CHECK_INT(cli.closed, 1);
        CHECK_INT(cli.transport_errors, 1);
        CHECK_INT(cli.last_err, SIPHON_ETIMEDOUT);
        CHECK_INT(cli.last_errno, ETIMEDOUT);
        siphon_tcp_get_stats(cli.tcp, &st);
        CHECK_INT(st.timeouts, 1);
        CHECK_INT(st.connect_failed, 1);
    }
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
    siphon_tcp_close(cli.tcp);
    siphon_loop_free(loop);
}

/*
 * A peer that resets the connection while a large message is still
 * queued: the loss is a transport error (§17.1.4) with the unsent count.
 * The message is larger than loopback socket buffers hold, so part of it
 * must wait in our queue; if the kernel took it all the case skips.
 */
UNIT_TEST(net_tcp_reset_with_queued_data)
{
    siphon_loop *loop;
    tcpt_side cli = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    CHECK(tcpt_open(loop, NULL, NULL, &cli));
    struct sockaddr_storage la;
    CHECK_INT(siphon_addr_parse(siphon_str_c("127.0.0.1:0"), &la, NULL), 0);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t sl = sizeof la;
    CHECK_INT(bind(lfd, (struct sockaddr *)&la, sizeof(struct sockaddr_in)),
              0);
    CHECK_INT(listen(lfd, 4), 0);
    CHECK_INT(getsockname(lfd, (struct sockaddr *)&la, &sl), 0);
    size_t big = 7u << 20;
    char *blob = malloc(big);
    CHECK(blob != NULL);
    if (!blob)
        return;
    memset(blob, 'x', big);
    siphon_tcp_conn *c = NULL;
    const struct sockaddr *dst = (const struct sockaddr *)&la;
    CHECK_INT(siphon_tcp_send(cli.tcp, dst, siphon_addr_len(dst), blob, big,
                              &c), 0);
    int afd = accept(lfd, NULL, NULL);
    CHECK(afd >= 0);
    tcpt_spin(loop, 10);
    if (cli.closed || siphon_tcp_conn_queued(c) == 0) {
        unit_skip("the kernel buffered the whole message");
    } else {
        close(afd); /* unread data: the kernel sends a RST */
        afd = -1;
        tcpt_run_until(loop, &cli.closed, 1, 200);
        CHECK_INT(cli.closed, 1);
        CHECK_INT(cli.transport_errors, 1);
        CHECK_INT(cli.last_err, SIPHON_EIO);
        CHECK(cli.last_errno == ECONNRESET || cli.last_errno == EPIPE);
        CHECK(cli.last_unsent > 0);
    }
    if (afd >= 0)
        close(afd);
    close(lfd);
    free(blob);
    siphon_tcp_close(cli.tcp);
    siphon_loop_free(loop);
}

/*
 * Out of file descriptors: accept4 fails with EMFILE while the client
 * waits in the kernel's queue. The listener must pause (a level-triggered
 * loop would otherwise tcpt_spin on it) and accept once fds are back.
 */
UNIT_TEST(net_tcp_accept_emfile)
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
    int fd = tcpt_raw_connect(&srv.addr);
    CHECK(fd >= 0);
    struct rlimit old, low;
    CHECK_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
    int probe = dup(0);
    CHECK(probe >= 0);
    close(probe);
    low = old;
    low.rlim_cur = (rlim_t)probe; /* no new fd can be made */
    tcpt_log_warns = 0;
    siphon_log_set_hook(tcpt_log_cb, NULL);
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &low), 0);
    int calls = 0;
    for (int i = 0; i < 5; i++)
        calls += siphon_loop_run_once(loop, 0);
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
    siphon_log_set_hook(NULL, NULL);
    CHECK_INT(calls, 1);      /* woken once, then paused: no spinning */
    CHECK_INT(tcpt_log_warns, 1);
    CHECK(strstr(tcpt_log_last, "pausing") != NULL);
    siphon_tcp_stats st;
    siphon_tcp_get_stats(srv.tcp, &st);
    CHECK_INT(st.accepted, 0);
    tcpt_vnow += 100;
    tcpt_spin(loop, 5);
    siphon_tcp_get_stats(srv.tcp, &st);
    CHECK_INT(st.accepted, 1);
    close(fd);
    siphon_tcp_close(srv.tcp);
    siphon_loop_free(loop);
}
