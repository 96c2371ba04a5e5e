/*
 * test_net_udp.c -- the UDP transport over loopback: 1000 datagrams each
 * way between two sockets on one loop (order, source addresses, batching
 * in both directions), an OPTIONS request answered with a 200 built by
 * siphon_msgb_response_to, truncation, close from inside the receive
 * callback, and argument checks. IPv6 cases skip when ::1 is unusable.
 *
 * Every wait is a bounded number of loop iterations with a short timeout,
 * so a lost datagram fails the test instead of hanging it.
 */
#include "unit.h"

#include <siphon/msg.h>
#include <siphon/net.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct peer {
    siphon_udp *udp;
    struct sockaddr_storage local;
    struct sockaddr_storage other;  /* the expected source */
    int received, next_seq, out_of_order, bad_src;
    bool echo;
    int echo_errors;
    int close_after;                /* close self after this many; 0 never */
    uint64_t last_arrival;
    /* OPTIONS exchange */
    int status;
    char cseq_method[16];
    char branch[64];
} peer;

static void seq_cb(siphon_udp *udp, const char *bytes, size_t len,
                   const struct sockaddr *src, socklen_t srclen,
                   uint64_t arrival_ms, void *arg)
{
    peer *p = arg;
    char text[32];
    int seq = -1;
    snprintf(text, sizeof text, "%.*s", (int)len, bytes);
    if (sscanf(text, "seq %d", &seq) != 1 || seq != p->next_seq)
        p->out_of_order++;
    p->next_seq = seq + 1;
    p->received++;
    p->last_arrival = arrival_ms;
    if (siphon_addr_cmp(src, (const struct sockaddr *)&p->other) != 0 ||
        srclen != siphon_addr_len(src))
        p->bad_src++;
    if (p->echo && siphon_udp_send(udp, src, srclen, bytes, len) != 0)
        p->echo_errors++;
    if (p->close_after && p->received == p->close_after) {
        siphon_udp_close(udp);
        p->udp = NULL;
    }
}

/* Open a and b on bind ("127.0.0.1:0" or "[::1]:0"). Returns false (and
 * closes what opened) when the family is unusable here. */
static bool open_pair(siphon_loop *loop, const char *bind,
                      const siphon_udp_config *cfg, siphon_udp_recv_fn *cb,
                      peer *a, peer *b)
{
    if (siphon_udp_open(loop, bind, cfg, cb, a, &a->udp) != 0)
        return false;
    if (siphon_udp_open(loop, bind, cfg, cb, b, &b->udp) != 0) {
        siphon_udp_close(a->udp);
        return false;
    }
    CHECK_INT(siphon_udp_local(a->udp, &a->local), 0);
    CHECK_INT(siphon_udp_local(b->udp, &b->local), 0);
    CHECK(siphon_addr_port((struct sockaddr *)&a->local) != 0);
    CHECK(siphon_addr_port((struct sockaddr *)&b->local) != 0);
    a->other = b->local;
    b->other = a->local;
    return true;
}

/* Warnings and errors the library logged while a test ran. */
static int log_problems;
static void count_log(siphon_log_level level, const char *module,
                      const char *text, void *arg)
{
    (void)module;
    (void)arg;
    if (level <= SIPHON_LOG_WARN) {
        log_problems++;
        printf("#   log: %s\n", text);
    }
}

/* Run the loop until *count reaches want, at most `iters` iterations. */
static void run_until(siphon_loop *loop, const int *count, int want,
                      int iters)
{
    for (int i = 0; i < iters && *count < want; i++)
        siphon_loop_run_once(loop, 10);
}

static void thousand(const char *bind, const char *family)
{
    enum { TOTAL = 1000, BURST = 50 };
    siphon_loop *loop;
    peer a = {0}, b = {.echo = true};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    if (!open_pair(loop, bind, NULL, seq_cb, &a, &b)) {
        siphon_loop_free(loop);
        unit_skip(family);
        return;
    }
    log_problems = 0;
    siphon_log_set_hook(count_log, NULL);
    int fd = siphon_udp_socket(a.udp);
    int rcv = 0;
    socklen_t sl = sizeof rcv;
    CHECK_INT(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &sl), 0);
    CHECK(rcv > 64 * 1024); /* more than SIPp's default, whatever the cap */

    /* Bursts from outside the loop: full batches go at once, the rest
     * when the loop runs. b echoes from its callback, so its replies go
     * out batched at the end of each iteration. */
    char msg[32];
    for (int sent = 0; sent < TOTAL;) {
        for (int k = 0; k < BURST; k++, sent++) {
            int n = snprintf(msg, sizeof msg, "seq %d", sent);
            CHECK_INT(siphon_udp_send(a.udp, (struct sockaddr *)&b.local,
                                      siphon_addr_len((struct sockaddr *)
                                                      &b.local),
                                      msg, (size_t)n), 0);
        }
        run_until(loop, &a.received, sent, 100);
        CHECK_INT(b.received, sent);
        CHECK_INT(a.received, sent);
        if (a.received != sent)
            break;
    }
    CHECK_INT(b.received, TOTAL);
    CHECK_INT(a.received, TOTAL);
    CHECK_INT(b.out_of_order, 0);
    CHECK_INT(a.out_of_order, 0);
    CHECK_INT(b.bad_src, 0);
    CHECK_INT(a.bad_src, 0);
    CHECK_INT(b.echo_errors, 0);
    CHECK(b.last_arrival != 0);

    siphon_udp_stats sa, sb;
    siphon_udp_get_stats(a.udp, &sa);
    siphon_udp_get_stats(b.udp, &sb);
    CHECK_INT(sa.tx_datagrams, TOTAL);
    CHECK_INT(sb.rx_datagrams, TOTAL);
    CHECK_INT(sb.tx_datagrams, TOTAL);
    CHECK(sb.rx_max_batch > 1);            /* recvmmsg returned a batch */
    CHECK(sa.rx_max_batch > 1);
    CHECK(sa.tx_max_batch > 1);            /* sendmmsg sent a batch */
    CHECK(sb.tx_max_batch > 1);            /* echoes batched per iteration */
    CHECK(sb.rx_calls < TOTAL);
    CHECK_INT(sa.tx_errors + sb.tx_errors, 0);
    CHECK_INT(sa.rx_truncated + sb.rx_truncated, 0);
    siphon_log_set_hook(NULL, NULL);
    CHECK_INT(log_problems, 0);
    /* Nothing queued is left behind, and no OUT interest keeps the loop
     * busy: a poll finds nothing to do. */
    CHECK_INT(siphon_udp_flush(a.udp), 0);
    CHECK_INT(siphon_loop_run_once(loop, 0), 0);
    siphon_udp_close(a.udp);
    siphon_udp_close(b.udp);
    CHECK_INT(siphon_loop_run(loop), 0); /* nothing left: returns */
    siphon_loop_free(loop);
}

UNIT_TEST(net_udp_thousand_v4)
{
    thousand("127.0.0.1:0", "IPv4 loopback unavailable");
}

UNIT_TEST(net_udp_thousand_v6)
{
    thousand("[::1]:0", "::1 unavailable (no IPv6 loopback)");
}

/* ---- an OPTIONS ping answered 200 (RFC 3261 §11.2) -------------------- */

static void sip_cb(siphon_udp *udp, const char *bytes, size_t len,
                   const struct sockaddr *src, socklen_t srclen,
                   uint64_t arrival_ms, void *arg)
{
    peer *p = arg;
    siphon_msg *m = NULL;
    (void)arrival_ms;
    p->received++;
    if (siphon_msg_parse(bytes, len, NULL, &m, NULL) != 0) {
        p->out_of_order++;
        return;
    }
    if (siphon_msg_is_request(m)) {
        /* The UAS side: answer from the source address (§18.2.2 would use
         * the Via; on loopback they are the same). */
        siphon_msgb *rb = siphon_msgb_response_to(m, 200, SIPHON_STR_NULL,
                                                  SIPHON_STR_LIT("b7f3"));
        siphon_buf out;
        siphon_buf_init(&out, 0);
        if (rb && siphon_msgb_print(rb, &out) == 0)
            CHECK_INT(siphon_udp_send(udp, src, srclen, out.p, out.len), 0);
        else
            p->out_of_order++;
        siphon_buf_free(&out);
        siphon_msgb_free(rb);
    } else {
        const siphon_cseq *cs = siphon_msg_cseq(m);
        const siphon_via *via = siphon_msg_via(m);
        p->status = siphon_msg_status(m);
        if (cs)
            snprintf(p->cseq_method, sizeof p->cseq_method, "%.*s",
                     (int)cs->method.len, cs->method.p);
        if (via)
            snprintf(p->branch, sizeof p->branch, "%.*s",
                     (int)via->branch.len, via->branch.p);
    }
    siphon_msg_unref(m);
}

UNIT_TEST(net_udp_options_200)
{
    siphon_loop *loop;
    peer uac = {0}, uas = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    if (!open_pair(loop, "127.0.0.1:0", NULL, sip_cb, &uac, &uas)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    char port[8], req[512];
    snprintf(port, sizeof port, "%u",
             (unsigned)siphon_addr_port((struct sockaddr *)&uac.local));
    int n = snprintf(req, sizeof req,
                     "OPTIONS sip:uas@127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:%s;branch=z9hG4bKnet1\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:uac@127.0.0.1>;tag=a1\r\n"
                     "To: <sip:uas@127.0.0.1>\r\n"
                     "Call-ID: net-options-1@127.0.0.1\r\n"
                     "CSeq: 1 OPTIONS\r\n"
                     "Content-Length: 0\r\n\r\n",
                     port);
    CHECK_INT(siphon_udp_send(uac.udp, (struct sockaddr *)&uas.local,
                              sizeof(struct sockaddr_in), req, (size_t)n), 0);
    run_until(loop, &uac.received, 1, 100);
    CHECK_INT(uas.received, 1);
    CHECK_INT(uac.received, 1);
    CHECK_INT(uas.out_of_order + uac.out_of_order, 0);
    CHECK_INT(uac.status, 200);
    CHECK(strcmp(uac.cseq_method, "OPTIONS") == 0);
    CHECK(strcmp(uac.branch, "z9hG4bKnet1") == 0);
    siphon_udp_close(uac.udp);
    siphon_udp_close(uas.udp);
    siphon_loop_free(loop);
}

/* ---- edges ------------------------------------------------------------ */

UNIT_TEST(net_udp_close_in_callback)
{
    siphon_loop *loop;
    peer a = {0}, b = {.close_after = 1};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    if (!open_pair(loop, "127.0.0.1:0", NULL, seq_cb, &a, &b)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    /* Ten datagrams, so b's first recvmmsg holds more than the one it
     * handles before closing itself. */
    for (int i = 0; i < 10; i++) {
        char msg[16];
        int len = snprintf(msg, sizeof msg, "seq %d", i);
        CHECK_INT(siphon_udp_send(a.udp, (struct sockaddr *)&b.local,
                                  sizeof(struct sockaddr_in), msg,
                                  (size_t)len), 0);
    }
    CHECK_INT(siphon_udp_flush(a.udp), 0);
    run_until(loop, &b.received, 1, 100);
    for (int i = 0; i < 5; i++)
        siphon_loop_run_once(loop, 0);
    CHECK_INT(b.received, 1);
    CHECK(b.udp == NULL);
    siphon_udp_close(a.udp);
    siphon_loop_free(loop);
}

UNIT_TEST(net_udp_truncated_and_args)
{
    siphon_loop *loop;
    siphon_udp_config cfg;
    peer a = {0}, b = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    siphon_udp_config_default(&cfg);
    cfg.max_datagram = 100;
    cfg.rcvbuf = cfg.sndbuf = 0; /* system defaults */
    if (!open_pair(loop, "127.0.0.1:0", &cfg, seq_cb, &a, &b)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    char big[200];
    memset(big, 'x', sizeof big);
    const struct sockaddr *dst = (struct sockaddr *)&b.local;
    CHECK_INT(siphon_udp_send(a.udp, dst, sizeof(struct sockaddr_in), big,
                              sizeof big), 0);
    CHECK_INT(siphon_udp_send(a.udp, dst, sizeof(struct sockaddr_in),
                              "seq 0", 5), 0);
    run_until(loop, &b.received, 1, 100);
    siphon_udp_stats st;
    siphon_udp_get_stats(b.udp, &st);
    CHECK_INT(st.rx_truncated, 1);
    CHECK_INT(b.received, 1);
    CHECK_INT(b.out_of_order, 0);

    /* Wrong family, short length, oversize payload. */
    struct sockaddr_storage v6;
    CHECK_INT(siphon_addr_parse(siphon_str_c("[::1]:5060"), &v6, NULL), 0);
    CHECK_INT(siphon_udp_send(a.udp, (struct sockaddr *)&v6,
                              sizeof(struct sockaddr_in6), "x", 1),
              SIPHON_EINVAL);
    CHECK_INT(siphon_udp_send(a.udp, dst, 4, "x", 1), SIPHON_EINVAL);
    static char huge[65508];
    CHECK_INT(siphon_udp_send(a.udp, dst, sizeof(struct sockaddr_in), huge,
                              sizeof huge), SIPHON_EINVAL);
    /* An empty datagram is legal UDP (a keep-alive, RFC 5626 §4.4.1 uses
     * CRLF, but nothing forbids zero bytes). */
    CHECK_INT(siphon_udp_send(a.udp, dst, sizeof(struct sockaddr_in), "", 0),
              0);
    CHECK_INT(siphon_udp_flush(a.udp), 0);

    /* Open failures. */
    siphon_udp *u = NULL;
    CHECK_INT(siphon_udp_open(loop, "localhost:5060", NULL, seq_cb, NULL, &u),
              SIPHON_EPARSE);
    CHECK(u == NULL);
    cfg.batch = 0;
    CHECK_INT(siphon_udp_open(loop, "127.0.0.1:0", &cfg, seq_cb, NULL, &u),
              SIPHON_EINVAL);
    siphon_udp_config_default(&cfg);
    cfg.queue_max = cfg.batch - 1;
    CHECK_INT(siphon_udp_open(loop, "127.0.0.1:0", &cfg, seq_cb, NULL, &u),
              SIPHON_EINVAL);
    /* Binding a port in use fails with EIO (logged), not a crash. */
    char taken[SIPHON_ADDR_STRLEN];
    CHECK(siphon_addr_format(dst, taken, sizeof taken) > 0);
    CHECK_INT(siphon_udp_open(loop, taken, NULL, seq_cb, NULL, &u),
              SIPHON_EIO);
    CHECK(u == NULL);
    siphon_udp_close(a.udp);
    siphon_udp_close(b.udp);
    siphon_udp_close(NULL);
    siphon_loop_free(loop);
}

/*
 * A datagram queued outside any iteration (a Tcl script calling send)
 * must wake a host loop that only watches siphon_loop_fd(): the socket is
 * then watched for writability until the queue is flushed.
 */
UNIT_TEST(net_udp_wakes_host_loop)
{
    siphon_loop *loop;
    peer a = {0}, b = {0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    if (!open_pair(loop, "127.0.0.1:0", NULL, seq_cb, &a, &b)) {
        siphon_loop_free(loop);
        unit_skip("IPv4 loopback unavailable");
        return;
    }
    struct pollfd pfd = {.fd = siphon_loop_fd(loop), .events = POLLIN};
    CHECK_INT(poll(&pfd, 1, 0), 0);
    CHECK_INT(siphon_udp_send(a.udp, (struct sockaddr *)&b.local,
                              sizeof(struct sockaddr_in), "seq 0", 5), 0);
    CHECK_INT(poll(&pfd, 1, 0), 1);       /* the host would call run_once */
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);   /* a: OUT, flushed */
    run_until(loop, &b.received, 1, 100);
    CHECK_INT(b.received, 1);
    /* With the queue empty nothing is pending: the host loop sleeps. */
    CHECK_INT(poll(&pfd, 1, 0), 0);
    siphon_udp_close(a.udp);
    siphon_udp_close(b.udp);
    siphon_loop_free(loop);
}
