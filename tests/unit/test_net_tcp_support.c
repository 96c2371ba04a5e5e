/*
 * test_net_tcp_support.c -- helpers for the TCP transport tests (see
 * test_net_tcp_support.h).
 */
#include "unit.h"
#include "test_net_tcp_support.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void tcpt_recv_cb(siphon_tcp *tcp, siphon_tcp_conn *conn,
                    const char *bytes, size_t len,
                    const struct sockaddr *peer, const struct sockaddr *local,
                    uint64_t arrival_ms, void *arg)
{
    tcpt_side *s = arg;
    (void)tcp;
    (void)arrival_ms;
    s->msgs++;
    s->last_len = len < sizeof s->last ? len : sizeof s->last - 1;
    memcpy(s->last, bytes, s->last_len);
    s->last[s->last_len] = 0;
    s->last_conn = conn;
    memcpy(&s->last_peer, peer, siphon_addr_len(peer));
    CHECK(siphon_addr_cmp(local, siphon_tcp_conn_local(conn)) == 0);
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.stream = true;
    siphon_msg *m = NULL;
    if (siphon_msg_parse(bytes, len, &o, &m, NULL) != 0)
        return;
    if (siphon_msg_is_request(m) && s->answer) {
        siphon_msgb *rb = siphon_msgb_response_to(m, 200, SIPHON_STR_NULL,
                                                  SIPHON_STR_LIT("t1"));
        siphon_buf out;
        siphon_buf_init(&out, 0);
        CHECK(rb && siphon_msgb_print(rb, &out) == 0);
        CHECK_INT(siphon_tcp_send_conn(conn, out.p, out.len), 0);
        siphon_buf_free(&out);
        siphon_msgb_free(rb);
    } else if (!siphon_msg_is_request(m)) {
        const siphon_via *via = siphon_msg_via(m);
        s->status = siphon_msg_status(m);
        if (via)
            snprintf(s->branch, sizeof s->branch, "%.*s",
                     (int)via->branch.len, via->branch.p);
    }
    siphon_msg_unref(m);
}

void tcpt_closed_cb(siphon_tcp *tcp, siphon_tcp_conn *conn,
                      const struct sockaddr *peer,
                      const siphon_tcp_close_info *info, void *arg)
{
    tcpt_side *s = arg;
    (void)tcp;
    (void)peer;
    s->closed++;
    s->transport_errors += info->transport_error;
    s->last_err = info->err;
    s->last_errno = info->sys_errno;
    s->last_unsent = info->unsent;
    if (s->last_conn == conn)
        s->last_conn = NULL;
}

/* Open s with a listener on bind (NULL: client only). */
bool tcpt_open(siphon_loop *loop, const char *bind,
                      const siphon_tcp_config *cfg, tcpt_side *s)
{
    if (siphon_tcp_open(loop, bind, cfg, tcpt_recv_cb, s, &s->tcp) != 0)
        return false;
    siphon_tcp_set_closed_cb(s->tcp, tcpt_closed_cb, s);
    if (bind)
        CHECK_INT(siphon_tcp_local(s->tcp, &s->addr), 0);
    return true;
}

void tcpt_run_until(siphon_loop *loop, const int *count, int want,
                      int iters)
{
    for (int i = 0; i < iters && *count < want; i++)
        siphon_loop_run_once(loop, 10);
}

void tcpt_spin(siphon_loop *loop, int iters)
{
    for (int i = 0; i < iters; i++)
        siphon_loop_run_once(loop, 1);
}

/* A raw blocking client connected to addr, or -1. */
int tcpt_raw_connect(const struct sockaddr_storage *addr)
{
    const struct sockaddr *sa = (const struct sockaddr *)addr;
    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, sa, siphon_addr_len(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void tcpt_raw_write(int fd, const char *p, size_t n)
{
    CHECK_INT(send(fd, p, n, MSG_NOSIGNAL), (long long)n);
}

/* True when the server closed fd: EOF or reset within the wait. */
bool tcpt_raw_closed(siphon_loop *loop, int fd)
{
    char buf[64];
    for (int i = 0; i < 100; i++) {
        siphon_loop_run_once(loop, 1);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return true;
    }
    return false;
}

int tcpt_log_warns;
char tcpt_log_last[256];
void tcpt_log_cb(siphon_log_level level, const char *module,
                   const char *text, void *arg)
{
    (void)module;
    (void)arg;
    if (level <= SIPHON_LOG_WARN) {
        tcpt_log_warns++;
        snprintf(tcpt_log_last, sizeof tcpt_log_last, "%s", text);
    }
}

const char *tcpt_msg_fmt = "MESSAGE sip:b@x SIP/2.0\r\n"
                             "Call-ID: c%d\r\n"
                             "Content-Length: 3\r\n\r\n"
                             "m%02d";

uint64_t tcpt_vnow;
uint64_t tcpt_vclock(void *arg)
{
    (void)arg;
    return tcpt_vnow;
}
