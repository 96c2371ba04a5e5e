/*
 * tcp_conn.c -- one TCP connection: reading and framing (RFC 3261 §18.3,
 * §7.5), keep-alives (RFC 5626 §4.4.1), the output queue, the
 * non-blocking connect, timeouts and closing with an RFC 3261 §17.1.4
 * transport-error report. The transport around it is in tcp.c, whose
 * banner explains the design.
 */
#include "tcp_internal.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *siphon_tcp_peer_text_(const siphon_tcp_conn *c, char *buf,
                                  size_t cap)
{
    if (siphon_addr_format((const struct sockaddr *)&c->peer, buf, cap) < 0)
        snprintf(buf, cap, "?");
    return buf;
}

/* ---- closing ------------------------------------------------------------ */

/* Take a connection out of service: no more events, timers or output. */
void siphon_tcp_conn_detach_(siphon_tcp_conn *c)
{
    siphon_tcp *tcp = c->tcp;
    siphon_loop_unwatch(tcp->loop, c->watch);
    c->watch = NULL;
    if (c->timer_id)
        siphon_loop_timer_cancel(tcp->loop, c->timer_id);
    c->timer_id = 0;
    close(c->fd);
    c->fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else
        tcp->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = tcp->dead;
    tcp->dead = c;
    c->state = CONN_DEAD;
    tcp->stats.conns_open--;
}

/*
 * Close c for a reason and tell the owner. RFC 3261 §17.1.4: when bytes
 * a transaction handed us are lost, the transaction must hear of it, so
 * the info says whether this counts as a transport error.
 */
void siphon_tcp_conn_fail_(siphon_tcp_conn *c, int err, int sys_errno)
{
    if (c->state == CONN_DEAD)
        return;
    siphon_tcp *tcp = c->tcp;
    siphon_tcp_close_info info = {
        .err = err,
        .sys_errno = sys_errno,
        .unsent = c->wlen - c->woff,
        .connected = c->state != CONN_CONNECTING,
    };
    info.transport_error = err != 0 && (info.unsent > 0 || !info.connected);
    if (!info.connected && err != 0)
        tcp->stats.connect_failed++;
    siphon_tcp_conn_detach_(c);
    if (tcp->closed_cb) {
        tcp->busy++;
        tcp->closed_cb(tcp, c, (const struct sockaddr *)&c->peer, &info,
                       tcp->closed_arg);
        siphon_tcp_leave_(tcp);
    }
}

void siphon_tcp_conn_close(siphon_tcp_conn *c)
{
    if (!c)
        return;
    siphon_tcp *tcp = c->tcp;
    tcp->busy++;
    siphon_tcp_conn_fail_(c, 0, 0);
    siphon_tcp_leave_(tcp);
}

/* ---- timers ------------------------------------------------------------- */

/* When c should time out given its state, or UINT64_MAX for never. */
static uint64_t conn_deadline(const siphon_tcp_conn *c)
{
    const siphon_tcp_config *cfg = &c->tcp->cfg;
    if (c->state == CONN_CONNECTING)
        return cfg->connect_timeout_ms ? c->created_ms +
                                             cfg->connect_timeout_ms
                                       : UINT64_MAX;
    if (c->inbound && !c->got_message)
        return cfg->first_msg_timeout_ms ? c->created_ms +
                                               cfg->first_msg_timeout_ms
                                         : UINT64_MAX;
    return cfg->idle_timeout_ms ? c->active_ms + cfg->idle_timeout_ms
                                : UINT64_MAX;
}

static void on_timer(siphon_loop *loop, uint64_t id, void *arg);

/* Make sure a timer fires no later than the connection's deadline. A
 * later deadline is left to on_timer, which re-arms instead of closing. */
static void conn_arm(siphon_tcp_conn *c)
{
    uint64_t dl = conn_deadline(c);
    if (c->timer_id && c->timer_deadline <= dl)
        return;
    if (c->timer_id)
        siphon_loop_timer_cancel(c->tcp->loop, c->timer_id);
    c->timer_id = 0;
    if (dl == UINT64_MAX)
        return;
    if (siphon_loop_timer_add(c->tcp->loop, dl, on_timer, c,
                              &c->timer_id) == 0)
        c->timer_deadline = dl;
    else
        c->timer_id = 0;
}

static void on_timer(siphon_loop *loop, uint64_t id, void *arg)
{
    siphon_tcp_conn *c = arg;
    siphon_tcp *tcp = c->tcp;
    (void)id;
    c->timer_id = 0;
    uint64_t dl = conn_deadline(c);
    if (siphon_loop_now(loop) < dl) {
        conn_arm(c); /* traffic moved the deadline */
        return;
    }
    char who[SIPHON_ADDR_STRLEN];
    const char *what = c->state == CONN_CONNECTING ? "connect"
                       : (c->inbound && !c->got_message) ? "first message"
                                                          : "idle";
    siphon_log(SIPHON_LOG_INFO, "net", "tcp %s: %s timeout, closing",
               siphon_tcp_peer_text_(c, who, sizeof who), what);
    tcp->stats.timeouts++;
    tcp->busy++;
    int sys = c->state == CONN_CONNECTING ? ETIMEDOUT : 0;
    siphon_tcp_conn_fail_(c, SIPHON_ETIMEDOUT, sys);
    siphon_tcp_leave_(tcp);
}

static void touch(siphon_tcp_conn *c)
{
    c->active_ms = siphon_loop_now(c->tcp->loop);
}

/* ---- output ------------------------------------------------------------- */

/* Watch for writability exactly while connecting or holding output. */
static void conn_interest(siphon_tcp_conn *c)
{
    if (c->state == CONN_DEAD)
        return;
    bool want = c->state == CONN_CONNECTING || c->wlen > c->woff;
    if (want == c->out_armed)
        return;
    unsigned ev = SIPHON_LOOP_IN | (want ? SIPHON_LOOP_OUT : 0);
    if (siphon_loop_watch_modify(c->tcp->loop, c->watch, ev) == 0)
        c->out_armed = want;
}

/* Write queued bytes until done or the kernel pushes back. Returns 0, or
 * a positive errno when the connection is broken. */
static int conn_flush(siphon_tcp_conn *c)
{
    while (c->state == CONN_OPEN && c->woff < c->wlen) {
        /* MSG_NOSIGNAL: a peer that went away must give EPIPE, not kill
         * the process with SIGPIPE. */
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return errno;
        }
        c->woff += (size_t)n;
        c->tcp->stats.tx_bytes += (uint64_t)n;
    }
    if (c->woff == c->wlen)
        c->woff = c->wlen = 0;
    return 0;
}

static int queue_bytes(siphon_tcp_conn *c, const void *bytes, size_t len)
{
    if (c->woff > 0 && c->wcap - c->wlen < len) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
    }
    if (c->wcap - c->wlen < len) {
        size_t cap = c->wcap ? c->wcap : 4096;
        while (cap - c->wlen < len)
            cap *= 2;
        char *nb = realloc(c->wbuf, cap);
        if (!nb)
            return SIPHON_ENOMEM;
        c->wbuf = nb;
        c->wcap = cap;
    }
    memcpy(c->wbuf + c->wlen, bytes, len);
    c->wlen += len;
    return 0;
}

/* Send inside a callback section (busy held by the caller). */
int siphon_tcp_conn_send_(siphon_tcp_conn *c, const void *bytes, size_t len)
{
    siphon_tcp *tcp = c->tcp;
    if (c->state == CONN_DEAD || tcp->closed)
        return SIPHON_ESTATE;
    if (len > tcp->cfg.out_queue_max)
        return SIPHON_ETOOBIG;
    size_t queued = c->wlen - c->woff;
    if (queued + len > tcp->cfg.out_queue_max)
        return SIPHON_EAGAIN;
    int rv = queue_bytes(c, bytes, len);
    if (rv < 0)
        return rv;
    touch(c);
    int e = conn_flush(c);
    if (e) {
        char who[SIPHON_ADDR_STRLEN];
        siphon_log(SIPHON_LOG_WARN, "net", "tcp %s: send: %s",
                   siphon_tcp_peer_text_(c, who, sizeof who), strerror(e));
        siphon_tcp_conn_fail_(c, SIPHON_EIO, e);
        return SIPHON_EIO;
    }
    conn_interest(c);
    return 0;
}

int siphon_tcp_send_conn(siphon_tcp_conn *c, const void *bytes, size_t len)
{
    if (!c || (!bytes && len))
        return SIPHON_EINVAL;
    siphon_tcp *tcp = c->tcp;
    tcp->busy++;
    int rv = siphon_tcp_conn_send_(c, bytes, len);
    siphon_tcp_leave_(tcp);
    return rv;
}

/* ---- input -------------------------------------------------------------- */

/*
 * Cut the buffer into frames and deliver them. Returns false when the
 * connection (or the transport) was closed meanwhile.
 */
static bool conn_frames(siphon_tcp_conn *c, uint64_t now)
{
    siphon_tcp *tcp = c->tcp;
    size_t off = 0;
    while (off < c->rlen) {
        size_t flen = 0;
        siphon_perr perr = {0};
        int k = siphon_frame_stream(&c->fr, c->rbuf + off, c->rlen - off,
                                    &tcp->cfg.parse, &flen, &perr);
        if (k < 0) {
            char who[SIPHON_ADDR_STRLEN];
            siphon_log(SIPHON_LOG_WARN, "net",
                       "tcp %s: framing error, closing connection: %s (%s)",
                       siphon_tcp_peer_text_(c, who, sizeof who), perr.text,
                       siphon_errname(k));
            tcp->stats.framing_errors++;
            siphon_tcp_conn_fail_(c, k, 0);
            return false;
        }
        if (k == SIPHON_FRAME_NEED_MORE)
            break;
        siphon_framer_init(&c->fr);
        const char *frame = c->rbuf + off;
        off += flen;
        c->active_ms = now;
        if (k == SIPHON_FRAME_PING) {
            /* RFC 5626 §4.4.1: answer a double CRLF with a single one. */
            tcp->stats.pings++;
            if (siphon_tcp_conn_send_(c, "\r\n", 2) == SIPHON_EIO)
                return false;
        } else if (k == SIPHON_FRAME_PONG) {
            tcp->stats.pongs++;
        } else {
            c->got_message = true;
            tcp->stats.rx_messages++;
            tcp->cb(tcp, c, frame, flen, (const struct sockaddr *)&c->peer,
                    (const struct sockaddr *)&c->local, now, tcp->arg);
            if (c->state == CONN_DEAD || tcp->closed)
                return false;
        }
    }
    if (off > 0) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    conn_arm(c);
    return true;
}

/* Read what the socket has, a few chunks at most, framing as we go. */
static void conn_read(siphon_tcp_conn *c)
{
    siphon_tcp *tcp = c->tcp;
    /* The framer refuses anything past max_msg_size, so the buffer never
     * needs more than one message plus one read. */
    size_t hard = tcp->cfg.parse.max_msg_size + TCP_READ_CHUNK;
    for (int round = 0; round < TCP_READ_ROUNDS; round++) {
        if (c->rcap - c->rlen < TCP_READ_CHUNK && c->rcap < hard) {
            size_t cap = c->rcap ? c->rcap * 2 : TCP_READ_CHUNK;
            while (cap - c->rlen < TCP_READ_CHUNK)
                cap *= 2;
            if (cap > hard)
                cap = hard;
            char *nb = realloc(c->rbuf, cap);
            if (!nb) {
                siphon_tcp_conn_fail_(c, SIPHON_ENOMEM, 0);
                return;
            }
            c->rbuf = nb;
            c->rcap = cap;
        }
        if (c->rlen == c->rcap) {
            /* Unreachable: the framer refuses first. */
            siphon_tcp_conn_fail_(c, SIPHON_ETOOBIG, 0);
            return;
        }
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen,
                         MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            int e = errno;
            char who[SIPHON_ADDR_STRLEN];
            siphon_log(SIPHON_LOG_INFO, "net", "tcp %s: recv: %s",
                       siphon_tcp_peer_text_(c, who, sizeof who), strerror(e));
            siphon_tcp_conn_fail_(c, SIPHON_EIO, e);
            return;
        }
        if (n == 0) {
            /* Orderly close by the peer. Bytes we still owed it are lost,
             * which the transaction layer must hear about. */
            bool lost = c->wlen > c->woff;
            siphon_tcp_conn_fail_(c, lost ? SIPHON_EIO : 0, lost ? EPIPE : 0);
            return;
        }
        c->rlen += (size_t)n;
        tcp->stats.rx_bytes += (uint64_t)n;
        if (!conn_frames(c, siphon_loop_now(tcp->loop)))
            return;
        if ((size_t)n < TCP_READ_CHUNK)
            return; /* drained */
    }
}

/* The non-blocking connect finished, one way or the other (connect(2):
 * read SO_ERROR once the socket is writable). */
static void conn_connected(siphon_tcp_conn *c)
{
    siphon_tcp *tcp = c->tcp;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        soerr = errno;
    if (soerr) {
        char who[SIPHON_ADDR_STRLEN];
        siphon_log(SIPHON_LOG_INFO, "net", "tcp connect %s: %s",
                   siphon_tcp_peer_text_(c, who, sizeof who), strerror(soerr));
        siphon_tcp_conn_fail_(c, SIPHON_EIO, soerr);
        return;
    }
    c->state = CONN_OPEN;
    tcp->stats.connected++;
    socklen_t ll = sizeof c->local;
    getsockname(c->fd, (struct sockaddr *)&c->local, &ll);
    touch(c);
    conn_arm(c);
}

static void on_conn_ready(siphon_loop *loop, siphon_watch *w, int fd,
                          unsigned revents, void *arg)
{
    siphon_tcp_conn *c = arg;
    siphon_tcp *tcp = c->tcp;
    (void)loop;
    (void)w;
    (void)fd;
    tcp->busy++;
    if (c->state == CONN_CONNECTING &&
        (revents & (SIPHON_LOOP_OUT | SIPHON_LOOP_ERR | SIPHON_LOOP_HUP)))
        conn_connected(c);
    if (c->state == CONN_OPEN && (revents & SIPHON_LOOP_OUT)) {
        int e = conn_flush(c);
        if (e) {
            char who[SIPHON_ADDR_STRLEN];
            siphon_log(SIPHON_LOG_INFO, "net", "tcp %s: send: %s",
                       siphon_tcp_peer_text_(c, who, sizeof who), strerror(e));
            siphon_tcp_conn_fail_(c, SIPHON_EIO, e);
        }
    }
    /* Read on ERR/HUP too: recv returns the pending data first, then
     * the error or EOF that says why. */
    if (c->state == CONN_OPEN &&
        (revents & (SIPHON_LOOP_IN | SIPHON_LOOP_ERR | SIPHON_LOOP_HUP)))
        conn_read(c);
    conn_interest(c);
    siphon_tcp_leave_(tcp);
}

/* ---- connections -------------------------------------------------------- */

siphon_tcp_conn *siphon_tcp_conn_new_(siphon_tcp *tcp, int fd, bool inbound,
                                      const struct sockaddr *peer)
{
    siphon_tcp_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->tcp = tcp;
    c->fd = fd;
    c->inbound = inbound;
    c->state = inbound ? CONN_OPEN : CONN_CONNECTING;
    memcpy(&c->peer, peer, siphon_addr_len(peer));
    siphon_framer_init(&c->fr);
    c->created_ms = c->active_ms = siphon_loop_now(tcp->loop);
    unsigned ev = SIPHON_LOOP_IN | (inbound ? 0 : SIPHON_LOOP_OUT);
    if (siphon_loop_watch(tcp->loop, fd, ev, on_conn_ready, c,
                          &c->watch) < 0) {
        free(c);
        return NULL;
    }
    c->out_armed = !inbound;
    /* Each send(2) here carries whole messages, so Nagle's algorithm can
     * only hold back a second one (a 200 after a 100 Trying) until the
     * peer's delayed ACK, some 40 ms later. */
    int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0)
        siphon_log(SIPHON_LOG_DEBUG, "net", "TCP_NODELAY: %s",
                   strerror(errno));
    socklen_t ll = sizeof c->local;
    getsockname(fd, (struct sockaddr *)&c->local, &ll);
    c->next = tcp->conns;
    if (tcp->conns)
        tcp->conns->prev = c;
    tcp->conns = c;
    tcp->stats.conns_open++;
    conn_arm(c);
    return c;
}
