/*
 * tcp.c -- the TCP transport: RFC 3261 §18 over a stream, with RFC 5626
 * §4.4.1 CRLF keep-alives.
 *
 * See socket(7), tcp(7), accept4(2), connect(2) (EINPROGRESS and
 * SO_ERROR), send(2) (MSG_NOSIGNAL), ipv6(7) (IPV6_V6ONLY).
 *
 * Receiving: each connection owns a growing buffer. After every read the
 * buffer is cut into frames by siphon_frame_stream(): leading CRLFs are
 * skipped (RFC 3261 §7.5), CRLFCRLF is a ping answered with one CRLF
 * (RFC 5626 §4.4.1), a bare CRLF is a pong that only proves the peer is
 * alive, and a message ends where Content-Length says (§18.3). A framing
 * error means we no longer know where the next message starts, so that
 * one connection is closed; the others are untouched.
 *
 * Sending: §18.1.1 asks a client to reuse a connection to the same
 * address, port and transport, and §18.2.2 sends a response back over the
 * connection the request arrived on. Both come down to one lookup by
 * remote address:port over all connections, inbound and outbound. Bytes
 * are written at once when possible; the rest waits in a bounded
 * per-connection queue for EPOLLOUT, so one stalled peer cannot eat the
 * memory meant for all of them.
 *
 * Protection: total and per-peer-address connection limits, a first
 * message deadline for accepted connections (a slowloris client trickles
 * a request and never ends it) and an idle timeout. One loop timer per
 * connection; activity only moves a timestamp, and the timer re-arms
 * itself when it fires early, so a busy connection costs no timer calls.
 *
 * Lifetime: connections are freed only when no callback of this
 * transport is on the stack (tcp->busy), so a callback may close its own
 * connection or the whole transport.
 *
 * TLS and WebSocket: a transport configured with a TLS context runs TLS
 * (RFC 3261 §26.3.1, RFC 5630) on every connection, and one configured
 * for WebSocket carries SIP over WebSocket (RFC 7118), over TLS or not.
 * Both sit inside the same connection pipeline: tls.c replaces recv(2)
 * and send(2) with SSL_read and SSL_write below the output queue and the
 * framer, and tcp_ws.c replaces the Content-Length framer with the
 * WebSocket layer. Limits, timeouts, reuse and close reports stay the
 * same; the TLS handshake and the WS upgrade count as part of connecting
 * (outbound) or of the first message (inbound).
 *
 * This file holds the transport: configuration, the listener (with a
 * short pause when the process runs out of fds, instead of spinning on a
 * listener that stays readable), connect, the lookup for reuse, and life
 * cycle. One connection's I/O, framing and timers are in tcp_conn.c.
 *
 * Costs, said plainly: connection lookups are linear scans of the table,
 * fine for the thousands of connections a test tool holds, not for a
 * carrier-grade proxy (a hash by address would be the fix). EOF from the
 * peer closes the whole connection, without waiting to send queued
 * responses on a half-closed socket.
 */
#include "tcp_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void siphon_tcp_config_default(siphon_tcp_config *cfg)
{
    *cfg = (siphon_tcp_config){
        .max_conns = 4096,
        .max_conns_per_peer = 256,
        .idle_timeout_ms = 1800u * 1000u,
        .first_msg_timeout_ms = 60u * 1000u,
        .connect_timeout_ms = 32u * 1000u,
        .out_queue_max = 8u << 20,
        .backlog = 128,
    };
    siphon_parse_opts_default(&cfg->parse);
    cfg->parse.stream = true;
}

/* ---- helpers ------------------------------------------------------------ */

/* Same remote IP address (port ignored): the unit of the per-peer limit. */
static bool same_host(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

static unsigned count_open(const siphon_tcp *tcp, const struct sockaddr *host,
                           unsigned *per_host)
{
    unsigned n = 0, h = 0;
    for (const siphon_tcp_conn *c = tcp->conns; c; c = c->next) {
        n++;
        if (host && same_host((const struct sockaddr *)&c->peer, host))
            h++;
    }
    if (per_host)
        *per_host = h;
    return n;
}

/* Free closed connections once no callback of ours is running. */
static void reap(siphon_tcp *tcp)
{
    if (tcp->busy)
        return;
    while (tcp->dead) {
        siphon_tcp_conn *c = tcp->dead;
        tcp->dead = c->next;
        siphon_tcp_conn_free_(c);
    }
}

static void destroy(siphon_tcp *tcp)
{
    reap(tcp);
    free(tcp->ws_path);
    free(tcp->ws_origin);
    free(tcp);
}

/* Leave a callback section: free what was closed inside it. */
void siphon_tcp_leave_(siphon_tcp *tcp)
{
    tcp->busy--;
    if (tcp->busy)
        return;
    if (tcp->closed)
        destroy(tcp);
    else
        reap(tcp);
}

static void on_accept_resume(siphon_loop *loop, uint64_t id, void *arg)
{
    siphon_tcp *tcp = arg;
    (void)id;
    tcp->accept_timer = 0;
    siphon_loop_watch_modify(loop, tcp->lwatch, SIPHON_LOOP_IN);
}

/*
 * accept4 failed for want of a resource (EMFILE, ENFILE, ENOBUFS...).
 * The connection stays in the kernel's queue and the listener stays
 * readable, so a level-triggered loop would spin on it: stop watching
 * for a moment instead, and say why clients wait.
 */
static void accept_pause(siphon_tcp *tcp, int err)
{
    siphon_log(SIPHON_LOG_WARN, "net", "tcp accept: %s; pausing %d ms",
               strerror(err), TCP_ACCEPT_PAUSE_MS);
    if (tcp->accept_timer ||
        siphon_loop_watch_modify(tcp->loop, tcp->lwatch, 0) < 0)
        return;
    uint64_t when = siphon_loop_now(tcp->loop) + TCP_ACCEPT_PAUSE_MS;
    if (siphon_loop_timer_add(tcp->loop, when, on_accept_resume, tcp,
                              &tcp->accept_timer) < 0) {
        tcp->accept_timer = 0;
        siphon_loop_watch_modify(tcp->loop, tcp->lwatch, SIPHON_LOOP_IN);
    }
}

static void on_accept(siphon_loop *loop, siphon_watch *w, int fd,
                      unsigned revents, void *arg)
{
    siphon_tcp *tcp = arg;
    (void)loop;
    (void)w;
    (void)revents;
    tcp->busy++;
    for (int i = 0; i < TCP_ACCEPT_BATCH && !tcp->closed; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl,
                          SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                accept_pause(tcp, errno);
            break;
        }
        const struct sockaddr *peer = (const struct sockaddr *)&ss;
        unsigned per_host;
        unsigned total = count_open(tcp, peer, &per_host);
        if (total >= tcp->cfg.max_conns ||
            per_host >= tcp->cfg.max_conns_per_peer) {
            char who[SIPHON_ADDR_STRLEN];
            if (siphon_addr_format(peer, who, sizeof who) < 0)
                snprintf(who, sizeof who, "?");
            siphon_log(SIPHON_LOG_INFO, "net",
                       "tcp %s: refused, %s connection limit reached", who,
                       total >= tcp->cfg.max_conns ? "total" : "per-peer");
            tcp->stats.refused_limit++;
            close(cfd);
            continue;
        }
        siphon_tcp_conn *c;
        if (siphon_tcp_conn_new_(tcp, cfd, true, peer, NULL, &c) < 0) {
            close(cfd);
            continue;
        }
        tcp->stats.accepted++;
    }
    siphon_tcp_leave_(tcp);
}

/* Start a non-blocking connect to dest. Returns 0 and *out, or an error. */
static int conn_connect(siphon_tcp *tcp, const struct sockaddr *dest,
                        const char *server_name, siphon_tcp_conn **out)
{
    unsigned per_host;
    unsigned total = count_open(tcp, dest, &per_host);
    if (total >= tcp->cfg.max_conns ||
        per_host >= tcp->cfg.max_conns_per_peer)
        return SIPHON_ETOOBIG;
    int fd = socket(dest->sa_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "tcp socket: %s",
                   strerror(errno));
        return SIPHON_EIO;
    }
    int rv;
    do
        rv = connect(fd, dest, siphon_addr_len(dest));
    while (rv < 0 && errno == EINTR);
    if (rv < 0 && errno != EINPROGRESS) {
        char who[SIPHON_ADDR_STRLEN];
        if (siphon_addr_format(dest, who, sizeof who) < 0)
            snprintf(who, sizeof who, "?");
        /* INFO, as for a connect that fails later: a peer being down
         * is news for the transaction layer, not a fault of ours. */
        siphon_log(SIPHON_LOG_INFO, "net", "tcp connect %s: %s", who,
                   strerror(errno));
        close(fd);
        tcp->stats.connect_failed++;
        return SIPHON_EIO;
    }
    /* Even an immediate success is finished by on_conn_ready, which sees
     * the socket writable at once: one code path for both outcomes. */
    rv = siphon_tcp_conn_new_(tcp, fd, false, dest, server_name, out);
    if (rv < 0)
        close(fd);
    return rv;
}

int siphon_tcp_send(siphon_tcp *tcp, const struct sockaddr *dest,
                    socklen_t destlen, const void *bytes, size_t len,
                    siphon_tcp_conn **conn)
{
    return siphon_tcp_send_named(tcp, dest, destlen, NULL, bytes, len, conn);
}

int siphon_tcp_send_named(siphon_tcp *tcp, const struct sockaddr *dest,
                          socklen_t destlen, const char *server_name,
                          const void *bytes, size_t len,
                          siphon_tcp_conn **conn)
{
    if (conn)
        *conn = NULL;
    if (tcp->closed)
        return SIPHON_ESTATE;
    socklen_t need = siphon_addr_len(dest);
    if (need == 0 || destlen < need || (!bytes && len))
        return SIPHON_EINVAL;
    if (len > tcp->cfg.out_queue_max)
        return SIPHON_ETOOBIG;
    siphon_tcp_conn *c = NULL;
    for (siphon_tcp_conn *k = tcp->conns; k; k = k->next) {
        if (siphon_addr_cmp((const struct sockaddr *)&k->peer, dest) == 0) {
            c = k;
            break;
        }
    }
    tcp->busy++;
    int rv = 0;
    if (!c)
        rv = conn_connect(tcp, dest, server_name, &c);
    if (rv == 0)
        rv = siphon_tcp_conn_send_(c, bytes, len);
    if (rv == 0 && conn)
        *conn = c;
    siphon_tcp_leave_(tcp);
    return rv;
}

/* ---- life cycle --------------------------------------------------------- */

static int check_config(const siphon_tcp_config *c)
{
    if (c->max_conns < 1 || c->max_conns_per_peer < 1 ||
        c->out_queue_max < 2 || c->backlog < 1 ||
        c->parse.max_msg_size < 1)
        return SIPHON_EINVAL;
    return 0;
}

static int open_listener(siphon_tcp *tcp, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int rv = siphon_addr_parse(siphon_str_c(addr), &ss, &sl);
    if (rv < 0)
        return rv;
    tcp->lfd = socket(ss.ss_family,
                      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (tcp->lfd < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "tcp socket: %s",
                   strerror(errno));
        return SIPHON_EIO;
    }
    int on = 1;
    /* SO_REUSEADDR: a restarted server must not wait out TIME_WAIT of
     * its previous run's connections before binding 5060 again. */
    if (setsockopt(tcp->lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        (ss.ss_family == AF_INET6 &&
         setsockopt(tcp->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
                    sizeof on) < 0)) {
        siphon_log(SIPHON_LOG_ERROR, "net", "tcp setsockopt: %s",
                   strerror(errno));
        return SIPHON_EIO;
    }
    if (bind(tcp->lfd, (struct sockaddr *)&ss, sl) < 0 ||
        listen(tcp->lfd, tcp->cfg.backlog) < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "tcp listen %s: %s", addr,
                   strerror(errno));
        return SIPHON_EIO;
    }
    return siphon_loop_watch(tcp->loop, tcp->lfd, SIPHON_LOOP_IN, on_accept,
                             tcp, &tcp->lwatch);
}

int siphon_tcp_open(siphon_loop *loop, const char *listen_addr,
                    const siphon_tcp_config *cfg, siphon_tcp_recv_fn *cb,
                    void *arg, siphon_tcp **out)
{
    *out = NULL;
    if (!loop || !cb)
        return SIPHON_EINVAL;
    siphon_tcp *tcp = calloc(1, sizeof *tcp);
    if (!tcp)
        return SIPHON_ENOMEM;
    tcp->loop = loop;
    tcp->lfd = -1;
    tcp->cb = cb;
    tcp->arg = arg;
    if (cfg)
        tcp->cfg = *cfg;
    else
        siphon_tcp_config_default(&tcp->cfg);
    tcp->cfg.parse.stream = true; /* §18.3: Content-Length is mandatory */
    int rv = check_config(&tcp->cfg);
    if (rv == 0 && listen_addr && tcp->cfg.tls && !tcp->cfg.tls->has_cert)
        /* Every handshake will fail: say so once, now, rather than per
         * connection. Not refused: a test tool may want exactly that. */
        siphon_log(SIPHON_LOG_WARN, "net",
                   "tls listen %s: the TLS context has no certificate; "
                   "every handshake will fail",
                   listen_addr);
    /* Our copies: the caller's strings need not outlive the call. */
    tcp->cfg.ws_path = tcp->cfg.ws_origin = NULL;
    if (rv == 0 && cfg && cfg->ws_path &&
        !(tcp->cfg.ws_path = tcp->ws_path = strdup(cfg->ws_path)))
        rv = SIPHON_ENOMEM;
    if (rv == 0 && cfg && cfg->ws_origin &&
        !(tcp->cfg.ws_origin = tcp->ws_origin = strdup(cfg->ws_origin)))
        rv = SIPHON_ENOMEM;
    if (rv == 0 && listen_addr)
        rv = open_listener(tcp, listen_addr);
    if (rv < 0) {
        if (tcp->lfd >= 0)
            close(tcp->lfd);
        free(tcp->ws_path);
        free(tcp->ws_origin);
        free(tcp);
        return rv;
    }
    *out = tcp;
    return 0;
}

void siphon_tcp_set_closed_cb(siphon_tcp *tcp, siphon_tcp_closed_fn *cb,
                              void *arg)
{
    tcp->closed_cb = cb;
    tcp->closed_arg = arg;
}

void siphon_tcp_close(siphon_tcp *tcp)
{
    if (!tcp || tcp->closed)
        return;
    tcp->closed = true;
    siphon_loop_unwatch(tcp->loop, tcp->lwatch);
    tcp->lwatch = NULL;
    if (tcp->accept_timer)
        siphon_loop_timer_cancel(tcp->loop, tcp->accept_timer);
    tcp->accept_timer = 0;
    if (tcp->lfd >= 0)
        close(tcp->lfd);
    tcp->lfd = -1;
    while (tcp->conns)
        siphon_tcp_conn_detach_(tcp->conns);
    if (!tcp->busy)
        destroy(tcp);
}

int siphon_tcp_local(const siphon_tcp *tcp, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (tcp->lfd < 0)
        return SIPHON_ENOENT;
    socklen_t sl = sizeof *out;
    if (getsockname(tcp->lfd, (struct sockaddr *)out, &sl) < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "getsockname: %s",
                   strerror(errno));
        return SIPHON_EIO;
    }
    return 0;
}

const struct sockaddr *siphon_tcp_conn_peer(const siphon_tcp_conn *c)
{
    return (const struct sockaddr *)&c->peer;
}

const struct sockaddr *siphon_tcp_conn_local(const siphon_tcp_conn *c)
{
    return (const struct sockaddr *)&c->local;
}

bool siphon_tcp_conn_inbound(const siphon_tcp_conn *c)
{
    return c->inbound;
}

size_t siphon_tcp_conn_queued(const siphon_tcp_conn *c)
{
    return c->wlen - c->woff;
}

void siphon_tcp_get_stats(const siphon_tcp *tcp, siphon_tcp_stats *out)
{
    *out = tcp->stats;
}
