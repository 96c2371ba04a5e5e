/*
 * udp.c -- the UDP transport (RFC 3261 §18.1.1, §18.2.1: one message per
 * datagram) with batched system calls.
 *
 * See recvmmsg(2), sendmmsg(2), socket(7) (SO_RCVBUF, SO_SNDBUF and their
 * FORCE variants), ipv6(7) (IPV6_V6ONLY), udp(7).
 *
 * Why batches: a SIP load test moves tens of thousands of datagrams per
 * second, and one system call per datagram is most of the cost. Receive
 * reads up to `batch` datagrams per recvmmsg into a fixed block of
 * max_datagram-sized buffers (64 KiB each by default, so nothing is ever
 * truncated). Send copies each datagram into a bounded ring and writes
 * the ring with sendmmsg when a batch is full or when the loop iteration
 * ends -- a response produced while handling a received batch then goes
 * out with the others.
 *
 * Why socket buffers matter: the kernel drops datagrams that arrive while
 * the receive buffer is full, and SIP's answer to loss is a retransmit
 * 500 ms later (Timer A/E/G), which looks like a slow peer. The default
 * here asks for 4 MiB, where SIPp's 64 KiB loses messages under load.
 *
 * Not here: RFC 3261 §18.1.1's move to a congestion-controlled transport
 * for requests near the path MTU is the caller's decision (ua/), and so
 * is RFC 3581 rport/received handling -- this layer reports the source
 * address and sends where it is told.
 * Costs, said plainly: each queued datagram is a malloc'd copy (a slab
 * sized for the queue would save two allocator calls per datagram under
 * load), and the arrival time is the loop clock when the batch was read,
 * not a kernel timestamp (SO_TIMESTAMPING), so it includes queueing delay.
 */
#include "net_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* sendmmsg/recvmmsg take at most UIO_MAXIOV (1024) messages per call. */
#define UDP_BATCH_MAX 1024
/* Receive batches per readiness event before yielding to other fds. */
#define UDP_RX_ROUNDS 4
/* Largest UDP payloads (65535 minus the IP and UDP headers; for IPv6
 * without jumbograms the IPv6 header is not counted in the length). */
#define UDP_MAX_PAYLOAD_V4 65507
#define UDP_MAX_PAYLOAD_V6 65527

typedef struct txq_entry {
    struct sockaddr_storage dest;
    socklen_t destlen;
    char *bytes;                /* malloc'd copy */
    size_t len;
} txq_entry;

struct siphon_udp {
    siphon_loop *loop;
    int fd;
    int family;
    siphon_watch *watch;
    siphon_loop_hook_ *hook;
    siphon_udp_config cfg;
    siphon_udp_recv_fn *cb;
    void *arg;
    /* receive side: batch buffers of cfg.max_datagram bytes each */
    char *rxbuf;
    struct mmsghdr *rxmsgs;
    struct iovec *rxiov;
    struct sockaddr_storage *rxaddr;
    /* send side: a ring of cfg.queue_max entries */
    txq_entry *q;
    unsigned qhead, qlen;
    struct mmsghdr *txmsgs;
    struct iovec *txiov;
    bool blocked;               /* the kernel said EAGAIN: wait for OUT */
    bool out_armed;             /* the watch asks for SIPHON_LOOP_OUT */
    /* life cycle: close from inside the receive callback is deferred */
    unsigned busy;
    bool closed;
    siphon_udp_stats stats;
};

net_sendmmsg_fn *siphon_net_sendmmsg_ = sendmmsg;

void siphon_udp_config_default(siphon_udp_config *cfg)
{
    *cfg = (siphon_udp_config){
        .rcvbuf = 4 << 20,
        .sndbuf = 4 << 20,
        .batch = 32,
        .max_datagram = 65535,
        .queue_max = 4096,
    };
}

/* ---- sending --------------------------------------------------------- */

static void drop_head(siphon_udp *udp)
{
    txq_entry *e = &udp->q[udp->qhead];
    free(e->bytes);
    e->bytes = NULL;
    udp->qhead = (udp->qhead + 1) % udp->cfg.queue_max;
    udp->qlen--;
}

/*
 * Watch for writability exactly when something must wake the loop: the
 * kernel pushed back (EAGAIN), or datagrams were queued outside an
 * iteration, where no end-of-iteration flush is coming. Inside an
 * iteration the hook flushes, and arming OUT would cost two epoll_ctl
 * calls per batch for nothing.
 */
static void update_interest(siphon_udp *udp)
{
    bool want = udp->qlen > 0 &&
                (udp->blocked || !siphon_loop_dispatching_(udp->loop));
    if (want == udp->out_armed || udp->closed)
        return;
    unsigned ev = SIPHON_LOOP_IN | (want ? SIPHON_LOOP_OUT : 0);
    if (siphon_loop_watch_modify(udp->loop, udp->watch, ev) == 0)
        udp->out_armed = want;
}

/* Write queued datagrams until the queue is empty or the kernel pushes
 * back. Returns 0 or SIPHON_EIO. */
static int flush_queue(siphon_udp *udp)
{
    while (udp->qlen > 0 && !udp->blocked && !udp->closed) {
        unsigned k = udp->qlen < udp->cfg.batch ? udp->qlen : udp->cfg.batch;
        for (unsigned i = 0; i < k; i++) {
            txq_entry *e = &udp->q[(udp->qhead + i) % udp->cfg.queue_max];
            udp->txiov[i] = (struct iovec){.iov_base = e->bytes,
                                           .iov_len = e->len};
            udp->txmsgs[i] = (struct mmsghdr){
                .msg_hdr = {.msg_name = &e->dest,
                            .msg_namelen = e->destlen,
                            .msg_iov = &udp->txiov[i],
                            .msg_iovlen = 1}};
        }
        int r = siphon_net_sendmmsg_(udp->fd, udp->txmsgs, k, 0);
        if (r < 0) {
            int err = errno;
            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK) {
                udp->blocked = true;
                udp->stats.tx_eagain++;
                break;
            }
            if (err == EBADF || err == ENOTSOCK || err == EFAULT) {
                siphon_log(SIPHON_LOG_ERROR, "net", "sendmmsg: %s",
                           strerror(err));
                return SIPHON_EIO;
            }
            /*
             * sendmmsg reports an error only when the first datagram
             * failed (ENETUNREACH, EMSGSIZE, EACCES, ENOBUFS...). Drop
             * that one and go on: UDP is unreliable, SIP retransmits.
             * ENOBUFS is not treated as EAGAIN because EPOLLOUT does not
             * signal its end, so waiting could stall the queue forever.
             */
            char where[SIPHON_ADDR_STRLEN];
            if (siphon_addr_format((struct sockaddr *)&udp->q[udp->qhead].dest,
                                   where, sizeof where) < 0)
                strcpy(where, "?");
            siphon_log(SIPHON_LOG_WARN, "net", "sendmmsg to %s: %s", where,
                       strerror(err));
            udp->stats.tx_errors++;
            drop_head(udp);
            continue;
        }
        udp->stats.tx_calls += r > 0;
        udp->stats.tx_datagrams += (unsigned)r;
        if ((uint64_t)r > udp->stats.tx_max_batch)
            udp->stats.tx_max_batch = (unsigned)r;
        for (int i = 0; i < r; i++)
            drop_head(udp);
    }
    return 0;
}

int siphon_udp_flush(siphon_udp *udp)
{
    udp->blocked = false; /* the caller asks us to try anyway */
    int rv = flush_queue(udp);
    update_interest(udp);
    return rv < 0 ? rv : (int)udp->qlen;
}

int siphon_udp_send(siphon_udp *udp, const struct sockaddr *dest,
                    socklen_t destlen, const void *bytes, size_t len)
{
    if (udp->closed)
        return SIPHON_ESTATE;
    socklen_t need = siphon_addr_len(dest);
    if (dest->sa_family != udp->family || need == 0 || destlen < need)
        return SIPHON_EINVAL;
    if (len > (udp->family == AF_INET ? UDP_MAX_PAYLOAD_V4
                                      : UDP_MAX_PAYLOAD_V6))
        return SIPHON_EINVAL;
    if (udp->qlen == udp->cfg.queue_max) {
        int rv = flush_queue(udp);
        if (rv < 0)
            return rv;
        if (udp->qlen == udp->cfg.queue_max)
            return SIPHON_EAGAIN;
    }
    /* malloc(0) may return NULL: keep one byte for empty datagrams. */
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return SIPHON_ENOMEM;
    if (len)
        memcpy(copy, bytes, len);
    txq_entry *e = &udp->q[(udp->qhead + udp->qlen) % udp->cfg.queue_max];
    memset(&e->dest, 0, sizeof e->dest);
    memcpy(&e->dest, dest, need);
    e->destlen = need;
    e->bytes = copy;
    e->len = len;
    udp->qlen++;
    int rv = 0;
    if (udp->qlen >= udp->cfg.batch)
        rv = flush_queue(udp);
    update_interest(udp);
    return rv;
}

/* End of a loop iteration: what callbacks queued goes out now. */
static void flush_hook(siphon_loop *loop, void *arg)
{
    siphon_udp *udp = arg;
    (void)loop;
    if (udp->qlen > 0)
        flush_queue(udp);
    update_interest(udp);
}

/* ---- receiving ------------------------------------------------------- */

static void receive(siphon_udp *udp)
{
    unsigned batch = udp->cfg.batch;
    for (int round = 0; round < UDP_RX_ROUNDS && !udp->closed; round++) {
        for (unsigned i = 0; i < batch; i++) {
            /* recvmmsg overwrites these; reset them every call. */
            udp->rxmsgs[i].msg_hdr.msg_namelen = sizeof udp->rxaddr[i];
            udp->rxmsgs[i].msg_hdr.msg_flags = 0;
            udp->rxmsgs[i].msg_len = 0;
        }
        int n = recvmmsg(udp->fd, udp->rxmsgs, batch, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                siphon_log(SIPHON_LOG_WARN, "net", "recvmmsg: %s",
                           strerror(errno));
            return;
        }
        if (n == 0)
            return;
        uint64_t now = siphon_loop_now(udp->loop);
        udp->stats.rx_calls++;
        if ((uint64_t)n > udp->stats.rx_max_batch)
            udp->stats.rx_max_batch = (unsigned)n;
        for (int i = 0; i < n && !udp->closed; i++) {
            struct msghdr *h = &udp->rxmsgs[i].msg_hdr;
            if (h->msg_flags & MSG_TRUNC) {
                /* A cut SIP message would parse as a different one. */
                udp->stats.rx_truncated++;
                siphon_log(SIPHON_LOG_WARN, "net",
                           "datagram larger than %zu bytes dropped",
                           udp->cfg.max_datagram);
                continue;
            }
            udp->stats.rx_datagrams++;
            udp->cb(udp, h->msg_iov->iov_base, udp->rxmsgs[i].msg_len,
                    (const struct sockaddr *)h->msg_name, h->msg_namelen,
                    now, udp->arg);
        }
        if ((unsigned)n < batch)
            return; /* drained */
    }
}

static void destroy(siphon_udp *udp)
{
    free(udp->rxbuf);
    free(udp->rxmsgs);
    free(udp->rxiov);
    free(udp->rxaddr);
    free(udp->q);
    free(udp->txmsgs);
    free(udp->txiov);
    free(udp);
}

static void on_ready(siphon_loop *loop, siphon_watch *w, int fd,
                     unsigned revents, void *arg)
{
    siphon_udp *udp = arg;
    (void)loop;
    (void)w;
    udp->busy++;
    if (revents & SIPHON_LOOP_ERR) {
        /* Reading SO_ERROR clears it, else epoll reports it forever. */
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
            siphon_log(SIPHON_LOG_DEBUG, "net", "udp socket error: %s",
                       strerror(soerr));
    }
    if (revents & SIPHON_LOOP_OUT) {
        udp->blocked = false;
        flush_queue(udp);
    }
    if (revents & SIPHON_LOOP_IN)
        receive(udp);
    udp->busy--;
    if (udp->closed) {
        if (!udp->busy)
            destroy(udp);
        return;
    }
    update_interest(udp);
}

/* ---- life cycle ------------------------------------------------------ */

/*
 * Ask for a socket buffer size. The FORCE variant passes the
 * net.core.[rw]mem_max cap but needs CAP_NET_ADMIN; without it fall back
 * to the capped request and say what we got.
 */
static void set_buffer(int fd, int force_opt, int opt, int want,
                       const char *name)
{
    if (want <= 0)
        return;
    if (setsockopt(fd, SOL_SOCKET, force_opt, &want, sizeof want) == 0)
        return;
    if (setsockopt(fd, SOL_SOCKET, opt, &want, sizeof want) < 0) {
        siphon_log(SIPHON_LOG_WARN, "net", "setsockopt(%s, %d): %s", name,
                   want, strerror(errno));
        return;
    }
    int got = 0;
    socklen_t sl = sizeof got;
    /* Linux reports twice the request (socket(7)): compare halves. */
    if (getsockopt(fd, SOL_SOCKET, opt, &got, &sl) == 0 && got / 2 < want)
        siphon_log(SIPHON_LOG_INFO, "net",
                   "%s capped at %d bytes (asked %d): raise net.core.%s_max",
                   name, got / 2, want,
                   opt == SO_RCVBUF ? "rmem" : "wmem");
}

static int check_config(const siphon_udp_config *c)
{
    if (c->batch < 1 || c->batch > UDP_BATCH_MAX)
        return SIPHON_EINVAL;
    if (c->max_datagram < 1 || c->max_datagram > 65535)
        return SIPHON_EINVAL;
    if (c->queue_max < c->batch || c->rcvbuf < 0 || c->sndbuf < 0)
        return SIPHON_EINVAL;
    return 0;
}

static int alloc_buffers(siphon_udp *udp)
{
    unsigned b = udp->cfg.batch;
    udp->rxbuf = malloc(b * udp->cfg.max_datagram);
    udp->rxmsgs = calloc(b, sizeof *udp->rxmsgs);
    udp->rxiov = calloc(b, sizeof *udp->rxiov);
    udp->rxaddr = calloc(b, sizeof *udp->rxaddr);
    udp->q = calloc(udp->cfg.queue_max, sizeof *udp->q);
    udp->txmsgs = calloc(b, sizeof *udp->txmsgs);
    udp->txiov = calloc(b, sizeof *udp->txiov);
    if (!udp->rxbuf || !udp->rxmsgs || !udp->rxiov || !udp->rxaddr ||
        !udp->q || !udp->txmsgs || !udp->txiov)
        return SIPHON_ENOMEM;
    for (unsigned i = 0; i < b; i++) {
        udp->rxiov[i] = (struct iovec){
            .iov_base = udp->rxbuf + (size_t)i * udp->cfg.max_datagram,
            .iov_len = udp->cfg.max_datagram};
        udp->rxmsgs[i].msg_hdr = (struct msghdr){
            .msg_name = &udp->rxaddr[i],
            .msg_namelen = sizeof udp->rxaddr[i],
            .msg_iov = &udp->rxiov[i],
            .msg_iovlen = 1};
    }
    return 0;
}

static int open_socket(siphon_udp *udp, const struct sockaddr_storage *ss,
                       socklen_t sslen, const char *addr)
{
    udp->fd = socket(udp->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     0);
    if (udp->fd < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "socket: %s", strerror(errno));
        return SIPHON_EIO;
    }
    if (udp->family == AF_INET6) {
        /* One socket per family keeps source-address and Via handling
         * unambiguous; v4-mapped addresses would blur them. */
        int on = 1;
        if (setsockopt(udp->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
                       sizeof on) < 0) {
            siphon_log(SIPHON_LOG_ERROR, "net", "IPV6_V6ONLY: %s",
                       strerror(errno));
            return SIPHON_EIO;
        }
    }
    set_buffer(udp->fd, SO_RCVBUFFORCE, SO_RCVBUF, udp->cfg.rcvbuf,
               "SO_RCVBUF");
    set_buffer(udp->fd, SO_SNDBUFFORCE, SO_SNDBUF, udp->cfg.sndbuf,
               "SO_SNDBUF");
    if (bind(udp->fd, (const struct sockaddr *)ss, sslen) < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "bind %s: %s", addr,
                   strerror(errno));
        return SIPHON_EIO;
    }
    return 0;
}

int siphon_udp_open(siphon_loop *loop, const char *addr,
                    const siphon_udp_config *cfg, siphon_udp_recv_fn *cb,
                    void *arg, siphon_udp **out)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    *out = NULL;
    if (!addr || !cb)
        return SIPHON_EINVAL;
    int rv = siphon_addr_parse(siphon_str_c(addr), &ss, &sslen);
    if (rv < 0)
        return rv;
    siphon_udp *udp = calloc(1, sizeof *udp);
    if (!udp)
        return SIPHON_ENOMEM;
    udp->loop = loop;
    udp->fd = -1;
    udp->family = ss.ss_family;
    udp->cb = cb;
    udp->arg = arg;
    if (cfg)
        udp->cfg = *cfg;
    else
        siphon_udp_config_default(&udp->cfg);
    rv = check_config(&udp->cfg);
    if (rv == 0)
        rv = alloc_buffers(udp);
    if (rv == 0)
        rv = open_socket(udp, &ss, sslen, addr);
    if (rv == 0)
        rv = siphon_loop_watch(loop, udp->fd, SIPHON_LOOP_IN, on_ready, udp,
                               &udp->watch);
    if (rv == 0)
        rv = siphon_loop_hook_add_(loop, flush_hook, udp, &udp->hook);
    if (rv < 0) {
        siphon_loop_unwatch(loop, udp->watch);
        if (udp->fd >= 0)
            close(udp->fd);
        destroy(udp);
        return rv;
    }
    *out = udp;
    return 0;
}

void siphon_udp_close(siphon_udp *udp)
{
    if (!udp || udp->closed)
        return;
    udp->closed = true;
    siphon_loop_unwatch(udp->loop, udp->watch);
    siphon_loop_hook_remove_(udp->loop, udp->hook);
    udp->watch = NULL;
    udp->hook = NULL;
    close(udp->fd);
    udp->fd = -1;
    while (udp->qlen > 0)
        drop_head(udp);
    if (!udp->busy)
        destroy(udp);
}

int siphon_udp_local(const siphon_udp *udp, struct sockaddr_storage *out)
{
    socklen_t sl = sizeof *out;
    memset(out, 0, sizeof *out);
    if (getsockname(udp->fd, (struct sockaddr *)out, &sl) < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "getsockname: %s",
                   strerror(errno));
        return SIPHON_EIO;
    }
    return 0;
}

int siphon_udp_socket(const siphon_udp *udp)
{
    return udp->fd;
}

void siphon_udp_get_stats(const siphon_udp *udp, siphon_udp_stats *out)
{
    *out = udp->stats;
}
