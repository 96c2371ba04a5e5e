/*
 * siphon/net.h -- the I/O edge: an epoll event loop with a timer heap,
 * numeric socket addresses and the UDP transport.
 *
 * This is the only part of libsiphon that makes system calls (DESIGN.md,
 * "Layers"). The sans-I/O core is driven from here: bytes arrive through
 * transport callbacks together with the loop's notion of "now", and the
 * core's deadlines become loop timers.
 *
 * Threading: a loop and everything attached to it belong to one thread.
 * Nothing here locks.
 *
 * Embedding: the loop is one epoll fd plus one deadline. A host loop (the
 * Tcl notifier in sipcheck) watches siphon_loop_fd() for readability, arms
 * one timer to siphon_loop_next_deadline(), and calls
 * siphon_loop_run_once(loop, 0) when either fires. siphond runs
 * siphon_loop_run() natively.
 *
 * Errors are 0 or a negative SIPHON_E* code (siphon/base.h); failed system
 * calls give SIPHON_EIO and are logged through siphon_log() with module
 * "net" and the errno text. Callbacks must return normally (no longjmp
 * out of them); they may call any function here on the same loop unless
 * the function says otherwise.
 */
#ifndef SIPHON_NET_H
#define SIPHON_NET_H

#include <siphon/base.h>

#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- event loop -------------------------------------------------------- */

typedef struct siphon_loop siphon_loop;
typedef struct siphon_watch siphon_watch;

/* Event bits for fd watches. ERR and HUP are always reported, even when
 * not asked for (as epoll_ctl(2) does). */
enum {
    SIPHON_LOOP_IN = 1u << 0,  /* readable (EPOLLIN) */
    SIPHON_LOOP_OUT = 1u << 1, /* writable (EPOLLOUT) */
    SIPHON_LOOP_ERR = 1u << 2, /* error condition (EPOLLERR) */
    SIPHON_LOOP_HUP = 1u << 3  /* hang-up (EPOLLHUP, EPOLLRDHUP) */
};

/* A clock in milliseconds. It must never go backwards. */
typedef uint64_t siphon_clock_fn(void *arg);

/* Called when a watched fd is ready; revents is a set of SIPHON_LOOP_*. */
typedef void siphon_loop_fd_fn(siphon_loop *loop, siphon_watch *w, int fd,
                               unsigned revents, void *arg);

/* Called once when a timer's deadline has passed. The timer is already
 * gone: cancelling id from inside the callback returns SIPHON_ENOENT. */
typedef void siphon_loop_timer_fn(siphon_loop *loop, uint64_t id,
                                  void *arg);

/*
 * Create a loop. Its epoll fd is close-on-exec (see siphon_loop_fd for
 * why its number matters). Returns 0 and sets *out, or
 * SIPHON_ENOMEM / SIPHON_EIO. The caller owns the loop.
 */
int siphon_loop_new(siphon_loop **out);

/*
 * Destroy a loop: closes the epoll fd and frees every watch, timer and
 * pending deferred item. It does not close watched fds. Close transports
 * (siphon_udp_close) first: a transport that outlives its loop must not
 * be used again. Not callable from inside a callback of that loop. NULL
 * is allowed.
 */
void siphon_loop_free(siphon_loop *loop);

/*
 * The epoll fd, for a host event loop to watch for readability. It
 * becomes readable whenever some watched fd is ready. The loop owns it:
 * never close it or add fds to it directly.
 *
 * Tcl 8.6 on Debian uses a select(2) notifier, which cannot watch fds
 * >= FD_SETSIZE (1024). The kernel hands out the lowest free fd number,
 * so the epoll fd is below 1024 unless 1024 fds were already open when
 * the loop was made (siphon_loop_new then logs a warning; duplicating
 * cannot help, as no lower number is free). Create the loop early (a Tcl
 * binding: when the package loads) and check the result is < 1024
 * before giving it to Tcl_CreateFileHandler. Sockets watched through the
 * loop may have any number: only this one fd meets select().
 */
int siphon_loop_fd(const siphon_loop *loop);

/*
 * Replace the clock (default: CLOCK_MONOTONIC in ms). A virtual clock
 * lets tests run Timer B or an hour-long registration in microseconds:
 * advance it, then call siphon_loop_run_once(loop, 0). fn NULL restores
 * the default. Existing deadlines are kept as they are, so switch clocks
 * before adding timers.
 */
void siphon_loop_set_clock(siphon_loop *loop, siphon_clock_fn *fn, void *arg);

/* The loop clock's current time in ms. */
uint64_t siphon_loop_now(siphon_loop *loop);

/* The earliest timer deadline (loop clock, ms), or UINT64_MAX if none. */
uint64_t siphon_loop_next_deadline(const siphon_loop *loop);

/*
 * One iteration: wait for fd events for at most timeout_ms (0 polls, -1
 * waits without limit; either way no longer than until the next timer
 * deadline as measured by the loop clock), call the callbacks of ready
 * fds, then fire the timers that are due in deadline order (equal
 * deadlines in the order they were added; at most as many as were
 * pending when the timer phase began, so a timer re-armed at "now" fires
 * once per iteration instead of spinning), then flush transports' queued
 * output. Returns the number of callbacks called (>= 0), or SIPHON_ESTATE
 * when called from inside one of this loop's callbacks, or SIPHON_EIO.
 *
 * With a virtual clock pass 0: a positive wait would be measured in real
 * milliseconds.
 */
int siphon_loop_run_once(siphon_loop *loop, int timeout_ms);

/*
 * Iterate until siphon_loop_stop() is called or there is nothing left to
 * wait for (no watches and no timers). Returns 0, or the first negative
 * code from siphon_loop_run_once().
 */
int siphon_loop_run(siphon_loop *loop);

/* Make siphon_loop_run() return after the current iteration. */
void siphon_loop_stop(siphon_loop *loop);

/*
 * Watch fd for events (SIPHON_LOOP_IN and/or SIPHON_LOOP_OUT; level
 * triggered). The fd stays the caller's: unwatch it before closing it.
 * One watch per fd. Returns 0 and sets *out (may be NULL if the caller
 * never needs to modify or unwatch), SIPHON_EINVAL (fd < 0, cb NULL) or
 * SIPHON_EIO (epoll_ctl failed, e.g. EEXIST or EPERM for regular files).
 */
int siphon_loop_watch(siphon_loop *loop, int fd, unsigned events,
                      siphon_loop_fd_fn *cb, void *arg, siphon_watch **out);

/* Change the events of a watch. Returns 0, SIPHON_EINVAL (w NULL or
 * already unwatched) or SIPHON_EIO. */
int siphon_loop_watch_modify(siphon_loop *loop, siphon_watch *w,
                             unsigned events);

/*
 * Stop watching. w is invalid afterwards, but the memory stays until the
 * end of the current iteration, so unwatching any watch -- including the
 * one being dispatched -- from inside a callback is safe, and the pending
 * events of that watch are not delivered. NULL is allowed.
 */
void siphon_loop_unwatch(siphon_loop *loop, siphon_watch *w);

/*
 * Call cb once the loop clock reaches deadline_ms (absolute). Returns 0
 * and sets *id (never 0; out may be NULL), or SIPHON_EINVAL / ENOMEM.
 */
int siphon_loop_timer_add(siphon_loop *loop, uint64_t deadline_ms,
                          siphon_loop_timer_fn *cb, void *arg, uint64_t *id);

/*
 * Cancel a pending timer: its callback will not be called, even when it
 * is due in the iteration that is running. Returns 0, or SIPHON_ENOENT if
 * id has fired, was cancelled or never existed (ids are not reused soon:
 * a stale id does not cancel someone else's timer).
 */
int siphon_loop_timer_cancel(siphon_loop *loop, uint64_t id);

/* ---- addresses --------------------------------------------------------- */

/* Room for any text siphon_addr_format() writes, with the NUL. */
#define SIPHON_ADDR_STRLEN 80

/*
 * Parse a numeric transport address: "192.0.2.1:5060", "[2001:db8::1]:5060"
 * or "[fe80::1%eth0]:5060" (RFC 4007 §11 zone). The port is required and
 * may be 0 (ephemeral, for binding). Host names are refused: resolution
 * belongs to the DNS layer (RFC 3263). Returns 0 and fills *out (zeroed
 * first) and *outlen (may be NULL), or SIPHON_EPARSE / SIPHON_ERANGE
 * (port > 65535).
 */
int siphon_addr_parse(siphon_str text, struct sockaddr_storage *out,
                      socklen_t *outlen);

/*
 * The same from a host and a port kept apart, as in a Via (RFC 3261
 * §20.42) or a URI: host is an IPv4 literal, or an IPv6 literal with or
 * without brackets.
 */
int siphon_addr_from_host(siphon_str host, uint16_t port,
                          struct sockaddr_storage *out, socklen_t *outlen);

/*
 * Write "a.b.c.d:port" or "[v6]:port" into buf (NUL-terminated). Returns
 * the length written, SIPHON_EINVAL (not AF_INET/AF_INET6) or
 * SIPHON_ETOOBIG (cap too small; SIPHON_ADDR_STRLEN always suffices).
 */
int siphon_addr_format(const struct sockaddr *sa, char *buf, size_t cap);

/*
 * A total order: family, then address bytes, then port, then IPv6 scope.
 * Returns <0, 0 or >0. An IPv4-mapped IPv6 address is not equal to the
 * IPv4 address, because the two are different sockets' views.
 */
int siphon_addr_cmp(const struct sockaddr *a, const struct sockaddr *b);

/* The port in host order (0 for other families). */
uint16_t siphon_addr_port(const struct sockaddr *sa);

/* sizeof the family's sockaddr, or 0 for other families. */
socklen_t siphon_addr_len(const struct sockaddr *sa);

/* ---- UDP transport (RFC 3261 §18) -------------------------------------- */

typedef struct siphon_udp siphon_udp;

typedef struct siphon_udp_config {
    int rcvbuf;            /* SO_RCVBUF bytes; 0 keeps the system default */
    int sndbuf;            /* SO_SNDBUF bytes; 0 keeps the system default */
    unsigned batch;        /* datagrams per recvmmsg/sendmmsg, 1..1024 */
    size_t max_datagram;   /* receive buffer per datagram, <= 65535 */
    unsigned queue_max;    /* datagrams waiting to be sent, >= batch */
} siphon_udp_config;

/*
 * Defaults: batch 32, max_datagram 65535 (no SIP message is lost to
 * truncation), queue_max 4096, and 4 MiB socket buffers -- the kernel
 * default (~208 KiB) drops datagrams under load (SIPp's 64 KiB worse
 * still). The kernel caps the sizes at net.core.rmem_max/wmem_max.
 */
void siphon_udp_config_default(siphon_udp_config *cfg);

/*
 * A datagram arrived. bytes/len are valid only during the call (the
 * buffer is reused for the next batch). src is the sender, srclen its
 * length. arrival_ms is the loop clock when the batch was read. The
 * callback may send, and may close udp.
 */
typedef void siphon_udp_recv_fn(siphon_udp *udp, const char *bytes,
                                size_t len, const struct sockaddr *src,
                                socklen_t srclen, uint64_t arrival_ms,
                                void *arg);

/*
 * Open a UDP socket bound to addr (siphon_addr_parse syntax; port 0
 * picks an ephemeral port; IPv6 sockets are IPV6_V6ONLY) and watch it on
 * loop. cfg NULL means the defaults. cb receives every datagram. Returns
 * 0 and sets *out, or SIPHON_EPARSE / SIPHON_EINVAL / SIPHON_ENOMEM /
 * SIPHON_EIO (socket, setsockopt or bind failed; logged). Close with
 * siphon_udp_close().
 */
int siphon_udp_open(siphon_loop *loop, const char *addr,
                    const siphon_udp_config *cfg, siphon_udp_recv_fn *cb,
                    void *arg, siphon_udp **out);

/*
 * Close the socket and free the transport. Queued datagrams that could
 * not be sent are dropped. Safe from inside any callback, including this
 * transport's receive callback (the memory is released afterwards).
 * NULL is allowed.
 */
void siphon_udp_close(siphon_udp *udp);

/* The bound address (with the real port when 0 was asked). Returns 0 or
 * SIPHON_EIO. */
int siphon_udp_local(const siphon_udp *udp, struct sockaddr_storage *out);

/* The socket, e.g. for getsockopt. Owned by the transport. */
int siphon_udp_socket(const siphon_udp *udp);

/*
 * Queue one datagram (bytes are copied). Queued datagrams go out in
 * sendmmsg batches: when a batch is full, at the end of the current loop
 * iteration when sent from a callback, or at the next iteration
 * otherwise (the socket is then watched for writability, so an embedding
 * host loop wakes up). If the kernel says EAGAIN the queue waits for
 * EPOLLOUT. Returns 0, SIPHON_EINVAL (bad family, len > 65507 IPv4 /
 * 65527 IPv6, or dest of the other family), SIPHON_EAGAIN (queue_max
 * reached: the datagram is not queued), SIPHON_ENOMEM, SIPHON_EIO (the
 * socket itself is unusable; logged) or SIPHON_ESTATE (udp was closed by
 * the receive callback that is still running). Errors of
 * individual datagrams at flush time (unreachable network, EMSGSIZE...)
 * drop that datagram and are logged and counted, not returned.
 */
int siphon_udp_send(siphon_udp *udp, const struct sockaddr *dest,
                    socklen_t destlen, const void *bytes, size_t len);

/*
 * Try to send everything queued now. Returns the number of datagrams
 * still queued (0 when all went out), or SIPHON_EIO.
 */
int siphon_udp_flush(siphon_udp *udp);

/* Counters, for tests and statistics. */
typedef struct siphon_udp_stats {
    uint64_t rx_datagrams;
    uint64_t rx_calls;      /* recvmmsg calls that returned >= 1 */
    uint64_t rx_max_batch;  /* most datagrams returned by one recvmmsg */
    uint64_t rx_truncated;  /* dropped: larger than max_datagram */
    uint64_t tx_datagrams;
    uint64_t tx_calls;      /* sendmmsg calls that sent >= 1 */
    uint64_t tx_max_batch;
    uint64_t tx_errors;     /* datagrams dropped by a send error */
    uint64_t tx_eagain;     /* times the kernel said EAGAIN */
} siphon_udp_stats;

/* Copy the transport's counters into *out (no side effects). */
void siphon_udp_get_stats(const siphon_udp *udp, siphon_udp_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_NET_H */
