/*
 * test_net_tcp_support.h -- what the TCP transport tests share: a
 * transport with counters behind its callbacks, raw blocking peers, a log
 * catcher, a virtual clock and bounded loop waits.
 */
#ifndef SIPHON_TEST_NET_TCP_SUPPORT_H
#define SIPHON_TEST_NET_TCP_SUPPORT_H

#include <siphon/msg.h>
#include <siphon/net.h>

/* One transport and what its callbacks saw. */
typedef struct tcpt_side {
    siphon_tcp *tcp;
    struct sockaddr_storage addr;  /* listener */
    int msgs;
    char last[1024];
    size_t last_len;
    siphon_tcp_conn *last_conn;
    struct sockaddr_storage last_peer;
    bool answer;                   /* answer requests with a 200 */
    int status;                    /* of the last response received */
    char branch[64];
    int closed, transport_errors, last_err, last_errno;
    size_t last_unsent;
} tcpt_side;

/* The callbacks behind a tcpt_side (arg is the side). The receive one
 * answers requests with a 200 when side->answer is set. */
void tcpt_recv_cb(siphon_tcp *tcp, siphon_tcp_conn *conn, const char *bytes,
                  size_t len, const struct sockaddr *peer,
                  const struct sockaddr *local, uint64_t arrival_ms,
                  void *arg);
void tcpt_closed_cb(siphon_tcp *tcp, siphon_tcp_conn *conn,
                    const struct sockaddr *peer,
                    const siphon_tcp_close_info *info, void *arg);
/* Open s with a listener on bind (NULL: client only); false when the
 * address family is unusable here. */
bool tcpt_open(siphon_loop *loop, const char *bind,
               const siphon_tcp_config *cfg, tcpt_side *s);
/* Iterate until *count reaches want, at most iters times (10 ms waits). */
void tcpt_run_until(siphon_loop *loop, const int *count, int want, int iters);
/* Iterate iters times with 1 ms waits. */
void tcpt_spin(siphon_loop *loop, int iters);
/* A raw blocking client connected to addr, or -1. */
int tcpt_raw_connect(const struct sockaddr_storage *addr);
/* Write all n bytes (a test failure otherwise). */
void tcpt_raw_write(int fd, const char *p, size_t n);
/* True when the transport closed fd's connection within ~100 iterations. */
bool tcpt_raw_closed(siphon_loop *loop, int fd);

/* A log hook counting warnings and errors, keeping the last text. */
extern int tcpt_log_warns;
extern char tcpt_log_last[256];
void tcpt_log_cb(siphon_log_level level, const char *module, const char *text,
                 void *arg);

/* A MESSAGE with a 3-byte body; format with (call-id number, body number). */
extern const char *tcpt_msg_fmt;

/* A virtual clock for siphon_loop_set_clock (arg unused). */
extern uint64_t tcpt_vnow;
uint64_t tcpt_vclock(void *arg);

#endif
