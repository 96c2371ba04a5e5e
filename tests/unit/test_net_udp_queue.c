/*
 * test_net_udp_queue.c -- the send queue under pressure: EAGAIN keeps the
 * queue and waits for writability, the queue bound refuses new datagrams,
 * and a per-datagram error drops only that datagram. The kernel never says
 * EAGAIN for UDP on loopback, so sendmmsg is swapped for a fake through
 * the seam in net_internal.h; the datagrams that do go out are real.
 */
#include "unit.h"

#include "net/net_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>

static int fake_errno;      /* 0: pass through */
static int fake_calls;

static int fake_sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n,
                         int flags)
{
    fake_calls++;
    if (fake_errno) {
        errno = fake_errno;
        if (fake_errno != EAGAIN)
            fake_errno = 0; /* hard errors hit one datagram only */
        return -1;
    }
    return sendmmsg(fd, msgs, n, flags);
}

typedef struct sink {
    int received, next_seq, out_of_order;
} sink;

static void sink_cb(siphon_udp *udp, const char *bytes, size_t len,
                    const struct sockaddr *src, socklen_t srclen,
                    uint64_t arrival_ms, void *arg)
{
    sink *s = arg;
    char text[32];
    int seq = -1;
    (void)udp;
    (void)src;
    (void)srclen;
    (void)arrival_ms;
    snprintf(text, sizeof text, "%.*s", (int)len, bytes);
    if (sscanf(text, "seq %d", &seq) != 1 || seq < s->next_seq)
        s->out_of_order++;
    s->next_seq = seq + 1;
    s->received++;
}

static int send_seq(siphon_udp *udp, const struct sockaddr_storage *to,
                    int seq)
{
    char msg[16];
    int n = snprintf(msg, sizeof msg, "seq %d", seq);
    return siphon_udp_send(udp, (const struct sockaddr *)to,
                           sizeof(struct sockaddr_in), msg, (size_t)n);
}

static void quiet(siphon_log_level level, const char *module,
                  const char *text, void *arg)
{
    (void)level;
    (void)module;
    (void)text;
    (*(int *)arg)++;
}

UNIT_TEST(net_udp_queue_eagain)
{
    siphon_loop *loop;
    siphon_udp *a = NULL, *b = NULL;
    siphon_udp_config cfg;
    sink sa = {0}, sb = {0};
    struct sockaddr_storage bl;
    int logs = 0;
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    siphon_udp_config_default(&cfg);
    cfg.batch = 8;
    cfg.queue_max = 16;
    if (siphon_udp_open(loop, "127.0.0.1:0", &cfg, sink_cb, &sa, &a) != 0 ||
        siphon_udp_open(loop, "127.0.0.1:0", NULL, sink_cb, &sb, &b) != 0) {
        siphon_udp_close(a);
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    CHECK_INT(siphon_udp_local(b, &bl), 0);
    siphon_net_sendmmsg_ = fake_sendmmsg;
    siphon_log_set_hook(quiet, &logs);

    /* The kernel pushes back: the full batch stays queued. */
    fake_errno = EAGAIN;
    for (int i = 0; i < 16; i++)
        CHECK_INT(send_seq(a, &bl, i), 0);
    siphon_udp_stats st;
    siphon_udp_get_stats(a, &st);
    CHECK_INT(st.tx_eagain, 1);       /* blocked: no retry per send */
    CHECK_INT(st.tx_datagrams, 0);
    /* The bound: the 17th is refused, not queued. */
    CHECK_INT(send_seq(a, &bl, 16), SIPHON_EAGAIN);
    /* Writability is watched, so the loop (and a host loop) wakes. */
    struct pollfd pfd = {.fd = siphon_loop_fd(loop), .events = POLLIN};
    CHECK_INT(poll(&pfd, 1, 0), 1);
    CHECK_INT(siphon_loop_run_once(loop, 0), 1); /* OUT: tries, EAGAIN */
    siphon_udp_get_stats(a, &st);
    CHECK_INT(st.tx_eagain, 2);
    CHECK_INT(st.tx_datagrams, 0);

    /* The buffer drains: everything goes out, in order. */
    fake_errno = 0;
    for (int i = 0; i < 100 && sb.received < 16; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(sb.received, 16);
    CHECK_INT(sb.out_of_order, 0);
    siphon_udp_get_stats(a, &st);
    CHECK_INT(st.tx_datagrams, 16);
    CHECK_INT(st.tx_max_batch, 8);
    CHECK_INT(siphon_udp_flush(a), 0);
    CHECK_INT(poll(&pfd, 1, 0), 0);   /* OUT no longer watched */

    /* A hard error drops one datagram; the rest of the batch goes. */
    fake_errno = ENETUNREACH;
    for (int i = 16; i < 20; i++)
        CHECK_INT(send_seq(a, &bl, i), 0);
    CHECK_INT(siphon_udp_flush(a), 0);
    for (int i = 0; i < 100 && sb.received < 19; i++)
        siphon_loop_run_once(loop, 10);
    CHECK_INT(sb.received, 19);
    CHECK_INT(sb.out_of_order, 0);
    siphon_udp_get_stats(a, &st);
    CHECK_INT(st.tx_errors, 1);
    CHECK(logs >= 1); /* the drop was logged */

    siphon_log_set_hook(NULL, NULL);
    siphon_net_sendmmsg_ = sendmmsg;
    siphon_udp_close(a);
    siphon_udp_close(b);
    siphon_loop_free(loop);
}

/* Closing with datagrams still queued frees them (ASan checks). */
UNIT_TEST(net_udp_close_with_queue)
{
    siphon_loop *loop;
    siphon_udp *a = NULL;
    sink s = {0};
    struct sockaddr_storage to;
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    if (siphon_udp_open(loop, "127.0.0.1:0", NULL, sink_cb, &s, &a) != 0) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    CHECK_INT(siphon_udp_local(a, &to), 0);
    siphon_net_sendmmsg_ = fake_sendmmsg;
    fake_errno = EAGAIN;
    for (int i = 0; i < 40; i++)
        CHECK_INT(send_seq(a, &to, i), 0);
    fake_errno = 0;
    siphon_net_sendmmsg_ = sendmmsg;
    siphon_udp_close(a);
    CHECK_INT(siphon_loop_run_once(loop, 0), 0);
    siphon_loop_free(loop);
}
