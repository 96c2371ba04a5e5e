/*
 * tcp_conn.c -- one stream connection: reading and framing (RFC 3261
 * §18.3, §7.5), keep-alives (RFC 5626 §4.4.1), the output queue, the
 * non-blocking connect, the TLS handshake, timeouts and closing with an
 * RFC 3261 §17.1.4 transport-error report. The transport around it is in
 * tcp.c, whose banner explains the design.
 *
 * Layers: the byte layer (conn_read_bytes / conn_write_bytes) is recv(2)
 * and send(2), or SSL_read/SSL_write from tls.c when the transport has a
 * TLS context. Above it sits either the SIP framer or, on a websocket
 * transport, the WebSocket layer (tcp_ws.c, RFC 7118), which hands whole
 * messages up. The output queue always holds bytes for the byte layer:
 * plaintext for TLS (encrypted as it is written), frames for WebSocket.
 * Until a TLS handshake completes nothing is written from the queue, so
 * a message sent on a fresh connection simply waits there.
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
    if (c->state == CONN_OPEN)
        siphon_tls_shutdown_(c); /* close_notify, best effort */
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
    /* An outbound connection that never got through its TLS handshake or
     * WebSocket upgrade lost whatever was handed to it, even when that
     * sits in the WS layer rather than in our queue. */
    info.transport_error = err != 0 && (info.unsent > 0 ||
                                        !siphon_tcp_conn_ready_(c));
    if (!info.connected && err != 0)
        tcp->stats.connect_failed++;
    if (c->state == CONN_HANDSHAKE && err != 0)
        tcp->stats.tls_failures++;
    if (c->ws && err != 0 && !c->ws_failed &&
        !siphon_ws_is_open_(c->ws)) {
        c->ws_failed = true;
        tcp->stats.ws_failures++;
    }
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

bool siphon_tcp_conn_ready_(const siphon_tcp_conn *c)
{
    if (c->inbound)
        return true;
    return c->state == CONN_OPEN && (!c->ws || siphon_ws_is_open_(c->ws));
}

/* When c should time out given its state, or UINT64_MAX for never. The
 * TLS handshake and the WebSocket upgrade are part of connecting for an
 * outbound connection and part of the first message for an inbound one
 * (a client that never finishes its ClientHello is a slowloris too). */
static uint64_t conn_deadline(const siphon_tcp_conn *c)
{
    const siphon_tcp_config *cfg = &c->tcp->cfg;
    if (!siphon_tcp_conn_ready_(c))
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
    const char *what =
        c->state == CONN_CONNECTING                  ? "connect"
        : c->state == CONN_HANDSHAKE                 ? "TLS handshake"
        : (c->ws && !siphon_ws_is_open_(c->ws))      ? "WebSocket upgrade"
        : (c->inbound && !c->got_message)            ? "first message"
                                                     : "idle";
    siphon_log(SIPHON_LOG_INFO, "net", "tcp %s: %s timeout, closing",
               siphon_tcp_peer_text_(c, who, sizeof who), what);
    tcp->stats.timeouts++;
    tcp->busy++;
    int sys = siphon_tcp_conn_ready_(c) ? 0 : ETIMEDOUT;
    siphon_tcp_conn_fail_(c, SIPHON_ETIMEDOUT, sys);
    siphon_tcp_leave_(tcp);
}

static void touch(siphon_tcp_conn *c)
{
    c->active_ms = siphon_loop_now(c->tcp->loop);
}

/* ---- output ------------------------------------------------------------- */

/* Watch for writability exactly while connecting, holding output that
 * can be written, or while OpenSSL waits to write. */
static void conn_interest(siphon_tcp_conn *c)
{
    bool queued = c->wlen > c->woff;
    bool want;
    switch (c->state) {
    case CONN_CONNECTING:
        want = true;
        break;
    case CONN_HANDSHAKE:
        want = c->tls_hs_want_out;
        break;
    case CONN_OPEN:
        want = c->ssl ? (queued && !c->tls_wr_want_in) || c->tls_rd_want_out
                      : queued;
        break;
    default:
        return;
    }
    if (want == c->out_armed)
        return;
    unsigned ev = SIPHON_LOOP_IN | (want ? SIPHON_LOOP_OUT : 0);
    if (siphon_loop_watch_modify(c->tcp->loop, c->watch, ev) == 0)
        c->out_armed = want;
}

/* The byte layer, writing: TCP_IO_OK with *n, TCP_IO_AGAIN, or
 * SIPHON_EIO (*sys set) / SIPHON_ETLS. */
static int conn_write_bytes(siphon_tcp_conn *c, const char *buf, size_t len,
                            size_t *n, int *sys)
{
    if (c->ssl)
        return siphon_tls_write_(c, buf, len, n, sys);
    ssize_t k;
    /* MSG_NOSIGNAL: a peer that went away must give EPIPE, not kill the
     * process with SIGPIPE. */
    do
        k = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return TCP_IO_AGAIN;
        *sys = errno;
        return SIPHON_EIO;
    }
    *n = (size_t)k;
    c->tcp->stats.tx_bytes += (uint64_t)k;
    return TCP_IO_OK;
}

/* The byte layer, reading: TCP_IO_OK with *n, TCP_IO_AGAIN, TCP_IO_EOF,
 * or SIPHON_EIO (*sys set) / SIPHON_ETLS. */
static int conn_read_bytes(siphon_tcp_conn *c, char *buf, size_t cap,
                           size_t *n, int *sys)
{
    if (c->ssl)
        return siphon_tls_read_(c, buf, cap, n, sys);
    ssize_t k;
    do
        k = recv(c->fd, buf, cap, MSG_DONTWAIT);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return TCP_IO_AGAIN;
        *sys = errno;
        return SIPHON_EIO;
    }
    if (k == 0)
        return TCP_IO_EOF;
    *n = (size_t)k;
    c->tcp->stats.rx_bytes += (uint64_t)k;
    return TCP_IO_OK;
}

/* Write queued bytes until done or the byte layer pushes back. Returns
 * 0, or SIPHON_EIO (*sys set) / SIPHON_ETLS when the connection is
 * broken. Nothing is written before the TLS handshake completes. */
static int conn_flush(siphon_tcp_conn *c, int *sys)
{
    while (c->state == CONN_OPEN && c->woff < c->wlen) {
        size_t n = 0;
        int k = conn_write_bytes(c, c->wbuf + c->woff, c->wlen - c->woff,
                                 &n, sys);
        if (k == TCP_IO_AGAIN)
            break;
        if (k < 0)
            return k;
        c->woff += n;
    }
    if (c->woff == c->wlen)
        c->woff = c->wlen = 0;
    return 0;
}

/* Flush, closing c when that fails. Returns false when c was closed. */
static bool conn_flush_or_fail(siphon_tcp_conn *c, siphon_log_level level)
{
    int sys = 0;
    int rv = conn_flush(c, &sys);
    if (rv == 0)
        return true;
    if (!c->ssl) { /* tls.c logged its failures itself */
        char who[SIPHON_ADDR_STRLEN];
        siphon_log(level, "net", "tcp %s: send: %s",
                   siphon_tcp_peer_text_(c, who, sizeof who), strerror(sys));
    }
    c->tls_broken = true;
    siphon_tcp_conn_fail_(c, rv, sys);
    return false;
}

/* A WebSocket whose closing handshake is over: close once the last
 * frame went out (RFC 6455 §7.1.1: the server closes TCP first). */
static void conn_after_io(siphon_tcp_conn *c)
{
    if (c->state != CONN_OPEN || !c->close_when_flushed)
        return;
    if (c->wlen > c->woff && !conn_flush_or_fail(c, SIPHON_LOG_INFO))
        return;
    if (c->wlen == c->woff)
        siphon_tcp_conn_fail_(c, c->close_err, 0);
}

int siphon_tcp_conn_queue_(siphon_tcp_conn *c, const void *bytes, size_t len)
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
    int rv = c->ws ? siphon_tcp_ws_send_(c, bytes, len)
                   : siphon_tcp_conn_queue_(c, bytes, len);
    if (rv < 0)
        return rv;
    touch(c);
    if (!conn_flush_or_fail(c, SIPHON_LOG_WARN))
        return SIPHON_EIO;
    conn_after_io(c);
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
    for (int round = 0;; round++) {
        /* A few rounds, then other fds get their turn: the socket stays
         * readable. Bytes OpenSSL already decrypted do not make it
         * readable, so those are always taken. */
        if (round >= TCP_READ_ROUNDS && !(c->ssl && SSL_has_pending(c->ssl)))
            return;
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
        size_t n = 0;
        int sys = 0;
        int k = conn_read_bytes(c, c->rbuf + c->rlen, c->rcap - c->rlen, &n,
                                &sys);
        if (k == TCP_IO_AGAIN)
            return;
        if (k < 0) {
            if (!c->ssl) {
                char who[SIPHON_ADDR_STRLEN];
                siphon_log(SIPHON_LOG_INFO, "net", "tcp %s: recv: %s",
                           siphon_tcp_peer_text_(c, who, sizeof who),
                           strerror(sys));
            }
            c->tls_broken = true;
            siphon_tcp_conn_fail_(c, k, sys);
            return;
        }
        if (k == TCP_IO_EOF) {
            /* Orderly close by the peer. Bytes we still owed it are lost,
             * which the transaction layer must hear about. */
            bool lost = c->wlen > c->woff;
            siphon_tcp_conn_fail_(c, lost ? SIPHON_EIO : 0, lost ? EPIPE : 0);
            return;
        }
        c->rlen += n;
        uint64_t now = siphon_loop_now(tcp->loop);
        if (c->ws) {
            /* The WS layer keeps its own partial frames. */
            c->rlen = 0;
            if (!siphon_tcp_ws_input_(c, c->rbuf, n, now))
                return;
            /* What the WS layer wrote while being fed (the 101, pongs,
             * replies sent from the receive callback) goes out now. */
            if (c->wlen > c->woff && !conn_flush_or_fail(c, SIPHON_LOG_INFO))
                return;
            conn_arm(c); /* an upgrade or first message moves the deadline */
        } else if (!conn_frames(c, now)) {
            return;
        }
        /* A short recv(2) drained the socket; SSL_read returns one record
         * at a time, so TLS reads on until WANT_READ. */
        if (!c->ssl && n < TCP_READ_CHUNK)
            return;
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
    c->state = c->ssl ? CONN_HANDSHAKE : CONN_OPEN;
    tcp->stats.connected++;
    socklen_t ll = sizeof c->local;
    getsockname(c->fd, (struct sockaddr *)&c->local, &ll);
    touch(c);
    conn_arm(c);
}

/* One step of the TLS handshake; on success the queued plaintext can go. */
static void conn_handshake(siphon_tcp_conn *c)
{
    int sys = 0;
    int r = siphon_tls_handshake_(c, &sys);
    if (r == 0)
        return;
    if (r < 0) {
        siphon_tcp_conn_fail_(c, r, sys);
        return;
    }
    c->state = CONN_OPEN;
    c->tcp->stats.tls_handshakes++;
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
    if (c->state == CONN_HANDSHAKE)
        conn_handshake(c);
    /* TLS: either direction may be what an earlier SSL call waited for,
     * and a handshake that just finished may have left application data
     * decrypted in OpenSSL, so TLS tries both (a spare SSL_read costs
     * one recv(2) that says EAGAIN). */
    if (c->state == CONN_OPEN &&
        ((revents & SIPHON_LOOP_OUT) || (c->ssl && c->wlen > c->woff)))
        conn_flush_or_fail(c, SIPHON_LOG_INFO);
    /* Read on ERR/HUP too: recv returns the pending data first, then
     * the error or EOF that says why. */
    if (c->state == CONN_OPEN &&
        (c->ssl ||
         (revents & (SIPHON_LOOP_IN | SIPHON_LOOP_ERR | SIPHON_LOOP_HUP))))
        conn_read(c);
    conn_after_io(c);
    conn_interest(c);
    siphon_tcp_leave_(tcp);
}

/* ---- connections -------------------------------------------------------- */

void siphon_tcp_conn_free_(siphon_tcp_conn *c)
{
    SSL_free(c->ssl); /* frees our BIO too; the fd is already closed */
    siphon_ws_free_(c->ws);
    free(c->server_name);
    free(c->sni);
    free(c->peer_subject);
    free(c->rbuf);
    free(c->wbuf);
    free(c);
}

int siphon_tcp_conn_new_(siphon_tcp *tcp, int fd, bool inbound,
                         const struct sockaddr *peer,
                         const char *server_name, siphon_tcp_conn **out)
{
    *out = NULL;
    siphon_tcp_conn *c = calloc(1, sizeof *c);
    if (!c)
        return SIPHON_ENOMEM;
    c->tcp = tcp;
    c->fd = fd;
    c->inbound = inbound;
    c->state = inbound ? (tcp->cfg.tls ? CONN_HANDSHAKE : CONN_OPEN)
                       : CONN_CONNECTING;
    memcpy(&c->peer, peer, siphon_addr_len(peer));
    siphon_framer_init(&c->fr);
    c->created_ms = c->active_ms = siphon_loop_now(tcp->loop);
    int rv = 0;
    if (server_name && !(c->server_name = strdup(server_name)))
        rv = SIPHON_ENOMEM;
    if (rv == 0 && tcp->cfg.tls)
        rv = siphon_tls_conn_init_(c);
    /* A WS client queues its upgrade request now; it goes out once the
     * connect (and TLS handshake) completes. */
    if (rv == 0 && tcp->cfg.websocket)
        rv = siphon_tcp_ws_init_(c);
    unsigned ev = SIPHON_LOOP_IN | (inbound ? 0 : SIPHON_LOOP_OUT);
    if (rv == 0)
        rv = siphon_loop_watch(tcp->loop, fd, ev, on_conn_ready, c,
                               &c->watch);
    if (rv < 0) {
        siphon_tcp_conn_free_(c);
        return rv;
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
    *out = c;
    return 0;
}

/* ---- TLS facts ------------------------------------------------------------ */

const char *siphon_tcp_conn_sni(const siphon_tcp_conn *c)
{
    return c->tls_version ? c->sni : NULL; /* handshake done */
}

const char *siphon_tcp_conn_tls_version(const siphon_tcp_conn *c)
{
    return c->tls_version ? c->tls_version : NULL; /* handshake done */
}

const char *siphon_tcp_conn_peer_subject(const siphon_tcp_conn *c)
{
    return c->tls_version ? c->peer_subject : NULL; /* handshake done */
}
