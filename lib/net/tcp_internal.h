/*
 * tcp_internal.h -- what tcp.c (transport, listener, connect, life cycle)
 * and tcp_conn.c (one connection's I/O, framing and timers) share.
 * Nothing outside these two files may use it.
 */
#ifndef SIPHON_TCP_INTERNAL_H
#define SIPHON_TCP_INTERNAL_H

#include "net_internal.h"

/* Bytes asked of recv(2) per call, and connections accepted per event
 * before other fds get their turn. */
#define TCP_READ_CHUNK 16384
#define TCP_ACCEPT_BATCH 64
#define TCP_READ_ROUNDS 8
/* How long accepting pauses when the process is out of fds. */
#define TCP_ACCEPT_PAUSE_MS 100

typedef enum conn_state {
    CONN_CONNECTING,   /* non-blocking connect in progress */
    CONN_OPEN,
    CONN_DEAD          /* closed; freed when tcp->busy drops to 0 */
} conn_state;

struct siphon_tcp_conn {
    siphon_tcp *tcp;
    int fd;
    siphon_watch *watch;
    conn_state state;
    bool inbound;
    bool got_message;          /* a whole SIP message has arrived */
    bool out_armed;
    struct sockaddr_storage peer, local;
    /* receive buffer; the frame being assembled starts at rbuf[0] */
    char *rbuf;
    size_t rlen, rcap;
    siphon_framer fr;
    /* output queue: unsent bytes are wbuf[woff, wlen) */
    char *wbuf;
    size_t woff, wlen, wcap;
    /* timers */
    uint64_t created_ms, active_ms;
    uint64_t timer_id, timer_deadline;
    siphon_tcp_conn *prev, *next;
};

struct siphon_tcp {
    siphon_loop *loop;
    siphon_tcp_config cfg;
    int lfd;                   /* listener, -1 when client only */
    siphon_watch *lwatch;
    uint64_t accept_timer;     /* accepting paused (fd exhaustion) */
    siphon_tcp_recv_fn *cb;
    void *arg;
    siphon_tcp_closed_fn *closed_cb;
    void *closed_arg;
    siphon_tcp_conn *conns;    /* live connections */
    siphon_tcp_conn *dead;     /* closed, awaiting free */
    unsigned busy;
    bool closed;
    siphon_tcp_stats stats;
};

/* Format c's peer into buf for log lines; never fails. */
const char *siphon_tcp_peer_text_(const siphon_tcp_conn *c, char *buf,
                                  size_t cap);
/* Leave a callback section (tcp->busy): frees what was closed inside it,
 * and the transport itself when it was closed. */
void siphon_tcp_leave_(siphon_tcp *tcp);
/* Take c out of service (no events, timers or output) without telling
 * anyone; it is freed when tcp->busy drops to 0. */
void siphon_tcp_conn_detach_(siphon_tcp_conn *c);
/* Close c for err/sys_errno and call the closed callback. */
void siphon_tcp_conn_fail_(siphon_tcp_conn *c, int err, int sys_errno);
/* Queue and try to write; the caller holds tcp->busy. */
int siphon_tcp_conn_send_(siphon_tcp_conn *c, const void *bytes, size_t len);
/* A connection on fd, watched and in the table; NULL when out of memory
 * (fd is then still the caller's). */
siphon_tcp_conn *siphon_tcp_conn_new_(siphon_tcp *tcp, int fd, bool inbound,
                                      const struct sockaddr *peer);

#endif
