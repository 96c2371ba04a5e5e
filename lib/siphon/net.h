/*
 * siphon/net.h -- the I/O edge: an epoll event loop with a timer heap,
 * numeric socket addresses, the UDP transport, the stream transport
 * (TCP, TLS over OpenSSL 3, and SIP over WebSocket, ws and wss) and the
 * RFC 3263 resolver.
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
#include <siphon/msg.h> /* siphon_parse_opts, for the TCP framer */

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
 * True while one of the loop's callbacks runs. An embedding host that
 * would wait for the loop (a Tcl script blocking in a callback) checks
 * this first: the loop cannot run inside itself, so such a wait could
 * never end.
 */
bool siphon_loop_dispatching(const siphon_loop *loop);

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

/* ---- TLS contexts (RFC 3261 §26.3.1, RFC 5630, RFC 6066 §3) ------------ */

/*
 * A TLS context wraps one OpenSSL 3 SSL_CTX (TLS_method()) and serves both
 * roles: a TCP transport given one (siphon_tcp_config.tls) runs TLS on
 * every connection, accepting with the certificate and connecting with
 * peer verification. One context may be shared by several transports; it
 * must outlive all of them.
 */
typedef struct siphon_tls_ctx siphon_tls_ctx;

typedef enum siphon_tls_version {
    SIPHON_TLS_ANY = 0,  /* OpenSSL's configured default bound */
    SIPHON_TLS_1_2,
    SIPHON_TLS_1_3
} siphon_tls_version;

typedef struct siphon_tls_config {
    const char *cert_file;   /* PEM chain, leaf first; needed to accept */
    const char *key_file;    /* PEM private key for cert_file */
    const char *ca_file;     /* PEM trust anchors; NULL: OpenSSL's default
                                verify paths */
    bool insecure;           /* do not verify the peer (logged as a
                                warning when the context is made) */
    bool verify_client;      /* server side: require a client certificate
                                that verifies against ca_file */
    siphon_tls_version min_version, max_version;
    const char *keylog_file; /* append NSS key log lines (for Wireshark);
                                NULL: $SSLKEYLOGFILE when set */
    const char *ciphers;     /* TLS 1.2 cipher list, NULL: default */
    const char *ciphersuites; /* TLS 1.3 suites, NULL: default */
} siphon_tls_config;

/* Defaults: all zero (no certificate, default trust store, peer
 * verification on, any version OpenSSL allows, no key log unless
 * $SSLKEYLOGFILE is set, default ciphers). */
void siphon_tls_config_default(siphon_tls_config *cfg);

/*
 * Make a context from cfg (the strings need not outlive the call).
 * Returns 0 and sets *out (the caller owns it: siphon_tls_ctx_free), or
 * SIPHON_EINVAL (key without certificate or the reverse, min_version >
 * max_version), SIPHON_EIO (a file cannot be read; the message names it
 * and the errno text), SIPHON_ETLS (OpenSSL refused a certificate, key,
 * CA file or cipher list, or the key does not match the certificate; the
 * message names the file and OpenSSL's reason) or SIPHON_ENOMEM. Every
 * failure is logged (module "net").
 */
int siphon_tls_ctx_new(const siphon_tls_config *cfg, siphon_tls_ctx **out);

/* Free a context no transport uses any more (closes the key log file).
 * NULL is allowed. */
void siphon_tls_ctx_free(siphon_tls_ctx *ctx);

/* ---- TCP, TLS and WebSocket transport (RFC 3261 §18, RFC 5626 §4.4.1,
 *      RFC 7118) ---------------------------------------------------------- */

/*
 * One transport type serves four kinds of stream, chosen by the config:
 * plain TCP (tls NULL, websocket false), TLS (tls set), WS (websocket,
 * RFC 7118 over plain TCP) and WSS (websocket and tls). A transport is
 * one kind: a SIP URI's ;transport selects the transport object, not a
 * per-connection mode. The framing, limits, timeouts, reuse and close
 * reporting below apply to all four.
 */

typedef struct siphon_tcp siphon_tcp;
typedef struct siphon_tcp_conn siphon_tcp_conn;

typedef struct siphon_tcp_config {
    unsigned max_conns;          /* open connections, inbound + outbound */
    unsigned max_conns_per_peer; /* connections with one remote IP address */
    uint64_t idle_timeout_ms;    /* close after this long without traffic
                                    once a message was seen; 0 never */
    uint64_t first_msg_timeout_ms; /* an accepted connection must deliver a
                                    whole message within this; 0 never */
    uint64_t connect_timeout_ms; /* an outbound connect must complete within
                                    this; 0 leaves it to the kernel */
    size_t out_queue_max;        /* unsent bytes kept per connection */
    int backlog;                 /* listen(2) backlog */
    siphon_parse_opts parse;     /* framer limits (stream is forced on);
                                    max_msg_size also bounds one WebSocket
                                    message */
    siphon_tls_ctx *tls;         /* borrowed, must outlive the transport;
                                    NULL: no TLS */
    bool websocket;              /* RFC 7118: SIP over WebSocket (ws, or wss
                                    with tls) */
    const char *ws_path;         /* client request-target; NULL: "/"
                                    (copied by siphon_tcp_open) */
    const char *ws_origin;       /* client Origin header; NULL: none
                                    (copied) */
    size_t ws_max_handshake;     /* largest HTTP upgrade request or reply;
                                    0: 8 KiB */
} siphon_tcp_config;

/*
 * Defaults: 4096 connections, 256 per peer address (many clients may sit
 * behind one NAT), idle timeout 1800 s, first-message timeout 60 s (a
 * slowloris client holding a connection open without ever finishing a
 * request), connect timeout 32 s (64*T1, as Timer B), an 8 MiB output
 * queue (two default-sized messages), backlog 128, and
 * siphon_parse_opts_default() limits; no TLS and no WebSocket.
 */
void siphon_tcp_config_default(siphon_tcp_config *cfg);

/*
 * A whole message arrived on conn (framed by Content-Length, RFC 3261
 * §18.3; not parsed: parse it with siphon_msg_parse and opts.stream =
 * true). On a websocket transport it is one whole WebSocket message
 * (RFC 7118 §5.2: one message per frame sequence; parse it with
 * opts.stream = false, as a datagram). bytes/len are valid only during
 * the call. peer and local are the connection's addresses; arrival_ms is
 * the loop clock when the bytes were read. The callback may send, close
 * conn, or close tcp.
 */
typedef void siphon_tcp_recv_fn(siphon_tcp *tcp, siphon_tcp_conn *conn,
                                const char *bytes, size_t len,
                                const struct sockaddr *peer,
                                const struct sockaddr *local,
                                uint64_t arrival_ms, void *arg);

/* Why a connection went away. */
typedef struct siphon_tcp_close_info {
    int err;           /* 0: orderly (peer FIN, siphon_tcp_conn_close);
                          SIPHON_EIO: socket error (sys_errno says which),
                          or the peer closed with our bytes unsent (EPIPE);
                          SIPHON_ETIMEDOUT: connect, idle or first-message
                          timeout (the TLS handshake and the WebSocket
                          upgrade count as part of connecting, or of the
                          first message when accepted);
                          SIPHON_EPARSE / SIPHON_ETOOBIG: framing, or a
                          bad WebSocket upgrade or frame;
                          SIPHON_ETLS: TLS handshake, certificate
                          verification or record failure (logged with
                          OpenSSL's reason and the X.509 verify result);
                          SIPHON_ENOMEM: no memory for the input buffer */
    int sys_errno;     /* ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE... or 0 */
    size_t unsent;     /* queued bytes that were never written */
    bool connected;    /* false: an outbound connect never completed */
    bool transport_error; /* RFC 3261 §17.1.4: data we were asked to send
                          was lost (err != 0 and unsent > 0, or a connect,
                          outbound TLS handshake or WebSocket upgrade
                          failed) -- tell the transaction layer */
} siphon_tcp_close_info;

/*
 * A connection is closing. Called once per connection, for every reason
 * except siphon_tcp_close(). conn is valid during the call and freed
 * after it; forget it now. The callback may send on other connections.
 */
typedef void siphon_tcp_closed_fn(siphon_tcp *tcp, siphon_tcp_conn *conn,
                                  const struct sockaddr *peer,
                                  const siphon_tcp_close_info *info,
                                  void *arg);

/*
 * Open a TCP transport on loop: a listener bound to listen_addr
 * (siphon_addr_parse syntax, port 0 for ephemeral, IPv6 is V6ONLY) or,
 * with listen_addr NULL, none (client only). cfg NULL means the defaults.
 * cb receives every message. Returns 0 and sets *out, or SIPHON_EPARSE /
 * SIPHON_EINVAL / SIPHON_ENOMEM / SIPHON_EIO (socket, bind or listen
 * failed; logged). A listener whose TLS context has no certificate opens
 * (every handshake will fail) with a warning.
 */
int siphon_tcp_open(siphon_loop *loop, const char *listen_addr,
                    const siphon_tcp_config *cfg, siphon_tcp_recv_fn *cb,
                    void *arg, siphon_tcp **out);

/* Set (or with NULL clear) the connection-closed callback. */
void siphon_tcp_set_closed_cb(siphon_tcp *tcp, siphon_tcp_closed_fn *cb,
                              void *arg);

/*
 * Close the listener and every connection (queued output is dropped, no
 * closed callbacks are called) and free the transport. Safe from inside
 * this transport's callbacks (the memory is released afterwards). NULL is
 * allowed.
 */
void siphon_tcp_close(siphon_tcp *tcp);

/* The listener's bound address. Returns 0, SIPHON_ENOENT (client only)
 * or SIPHON_EIO. */
int siphon_tcp_local(const siphon_tcp *tcp, struct sockaddr_storage *out);

/*
 * Send a message to dest (bytes are copied if they cannot be written at
 * once). Reuses an open or connecting connection whose remote address and
 * port equal dest -- outbound ones (§18.1.1) and inbound ones alike, so a
 * response sent to a request's source goes back over the connection the
 * request came on (§18.2.2) -- else starts a non-blocking connect and
 * queues the bytes until it completes. *conn (may be NULL) gets the
 * connection used. Returns 0, SIPHON_EINVAL (bad address or length),
 * SIPHON_ETOOBIG (len > out_queue_max, or a connection limit refuses a
 * new connection), SIPHON_EAGAIN (the queue ceiling: nothing queued),
 * SIPHON_ENOMEM, SIPHON_EIO (socket or connect failed at once; logged) or
 * SIPHON_ESTATE (tcp closed). A connect that fails later is reported
 * through the closed callback with transport_error set.
 */
int siphon_tcp_send(siphon_tcp *tcp, const struct sockaddr *dest,
                    socklen_t destlen, const void *bytes, size_t len,
                    siphon_tcp_conn **conn);

/*
 * siphon_tcp_send, naming the server: when a new connection is made,
 * server_name (may be NULL; copied) is what TLS verifies and announces.
 * A DNS name is sent as SNI (RFC 6066 §3; never an IP literal, which
 * SNI forbids) and the peer certificate must match it (RFC 5922 §7.2:
 * subjectAltName DNS entries); an IP literal must appear as an IP
 * address entry, and with NULL the certificate must carry dest's IP
 * address (RFC 5922 gives no rule for this case; an address is the only
 * identity there is). A WebSocket client
 * also sends it as the Host header (else the address text). A reused
 * connection keeps the name it was made with: reuse matches the address
 * only, as §18.1.1 asks. Returns as siphon_tcp_send, plus SIPHON_ETLS
 * when TLS cannot be set up for the connection (logged).
 */
int siphon_tcp_send_named(siphon_tcp *tcp, const struct sockaddr *dest,
                          socklen_t destlen, const char *server_name,
                          const void *bytes, size_t len,
                          siphon_tcp_conn **conn);

/*
 * Send on one connection. Partial writes are queued and flushed when the
 * socket is writable. Returns 0, SIPHON_EINVAL, SIPHON_ETOOBIG,
 * SIPHON_EAGAIN, SIPHON_ENOMEM, SIPHON_ESTATE (conn is closing), or
 * SIPHON_EIO: the write failed and the connection was closed (the closed
 * callback has run; conn is gone).
 */
int siphon_tcp_send_conn(siphon_tcp_conn *conn, const void *bytes,
                         size_t len);

/* Close one connection now (queued output is dropped); the closed
 * callback runs with err 0. */
void siphon_tcp_conn_close(siphon_tcp_conn *conn);

/* The connection's remote and local addresses. */
const struct sockaddr *siphon_tcp_conn_peer(const siphon_tcp_conn *conn);
const struct sockaddr *siphon_tcp_conn_local(const siphon_tcp_conn *conn);
/* True for accepted connections, false for ones we connected. */
bool siphon_tcp_conn_inbound(const siphon_tcp_conn *conn);
/* Bytes queued and not yet written. */
size_t siphon_tcp_conn_queued(const siphon_tcp_conn *conn);

/*
 * TLS facts of an established connection; NULL on plain connections and
 * before the handshake completes. The strings belong to the connection
 * and live as long as it does.
 *   _sni: server side, the name the client asked for (RFC 6066 §3), or
 *     NULL when it sent none; client side, the name we sent.
 *   _tls_version: "TLSv1.2", "TLSv1.3".
 *   _peer_subject: the subject of the peer's certificate when it was
 *     verified (one line, RFC 2253 order, "CN=localhost"); NULL when the
 *     peer sent none or verification was off (insecure).
 */
const char *siphon_tcp_conn_sni(const siphon_tcp_conn *conn);
const char *siphon_tcp_conn_tls_version(const siphon_tcp_conn *conn);
const char *siphon_tcp_conn_peer_subject(const siphon_tcp_conn *conn);

typedef struct siphon_tcp_stats {
    uint64_t conns_open;      /* now */
    uint64_t accepted;
    uint64_t connected;       /* outbound connects that completed */
    uint64_t connect_failed;
    uint64_t refused_limit;   /* accepted then closed by a connection limit */
    uint64_t framing_errors;
    uint64_t timeouts;        /* connect, first-message and idle */
    uint64_t rx_messages;
    uint64_t rx_bytes;        /* on the wire: TLS records, WS frames */
    uint64_t tx_bytes;
    uint64_t pings;           /* CRLFCRLF received (and answered) */
    uint64_t pongs;           /* bare CRLF received */
    uint64_t tls_handshakes;  /* TLS handshakes completed */
    uint64_t tls_failures;    /* handshakes that failed or timed out */
    uint64_t ws_upgrades;     /* WebSocket upgrades completed (RFC 7118) */
    uint64_t ws_failures;     /* upgrades refused or broken, and
                                 connections closed for a bad frame */
} siphon_tcp_stats;

/* Copy the transport's counters into *out (no side effects). */
void siphon_tcp_get_stats(const siphon_tcp *tcp, siphon_tcp_stats *out);

/* ---- resolver: RFC 3263 server location over c-ares ------------------- */

/*
 * Locating a SIP server (RFC 3263 §4): numeric hosts need no lookup; an
 * explicit port means A/AAAA only; a ;transport parameter means SRV for
 * that transport; otherwise NAPTR, then SRV (RFC 2782 priority and
 * weighted order), then A/AAAA. Lookups run on c-ares, whose sockets and
 * timeouts are driven by the loop. Answers are cached for their TTL
 * (negative ones for the SOA minimum, RFC 2308, when the server sends an
 * SOA), measured with the loop clock (a virtual clock works). c-ares'
 * own retransmission deadlines stay in real time: under a virtual clock
 * a server timeout needs the virtual timer and the real time to pass.
 */
#include <siphon/uri.h> /* siphon_uri (has its own guard and extern "C") */

typedef struct siphon_resolver siphon_resolver;
typedef struct siphon_resolve_query siphon_resolve_query;

typedef enum siphon_resolve_transport {
    SIPHON_RESOLVE_UDP = 1,
    SIPHON_RESOLVE_TCP,
    SIPHON_RESOLVE_TLS,
    SIPHON_RESOLVE_WS,   /* ;transport=ws (RFC 7118): A/AAAA only */
    SIPHON_RESOLVE_WSS
} siphon_resolve_transport;

/* Returns a uniformly distributed 32-bit number (RFC 2782 weights). */
typedef uint32_t siphon_resolve_rng_fn(void *arg);

typedef struct siphon_resolver_config {
    /* "127.0.0.1:5353,[::1]:53" (c-ares server CSV); NULL or "" uses
     * /etc/resolv.conf. */
    const char *servers;
    unsigned timeout_ms;          /* per try; 0 = c-ares default */
    unsigned tries;               /* 0 = c-ares default */
    bool no_ipv4;                 /* skip A lookups */
    bool no_ipv6;                 /* skip AAAA lookups */
    bool prefer_ipv6;             /* AAAA addresses before A per target */
    size_t cache_max;             /* answers kept; 0 = 256 */
    bool no_cache;
    siphon_resolve_rng_fn *rng;   /* NULL: seeded from getrandom(2) */
    void *rng_arg;
} siphon_resolver_config;

/* One place to send a request, in the order to try them. */
typedef struct siphon_resolve_target {
    siphon_resolve_transport transport;
    struct sockaddr_storage addr; /* port included */
    socklen_t addrlen;
    uint16_t port;
    uint32_t ttl;                 /* seconds; UINT32_MAX for numeric hosts */
    uint64_t expires_ms;          /* loop clock; UINT64_MAX for numeric */
} siphon_resolve_target;

/*
 * An ordered target list, owned by whoever received it in the callback
 * (free with siphon_resolve_result_free). Failover (RFC 3263 §4.3): on a
 * transport error, a timeout or a 503 from the current target, call
 * siphon_resolve_next() for the next one.
 */
typedef struct siphon_resolve_result {
    size_t n;
    size_t next;                  /* index siphon_resolve_next returns */
    siphon_resolve_target *v;
} siphon_resolve_result;

/*
 * status 0: res holds at least one target and belongs to the callee.
 * Otherwise res is NULL and status is SIPHON_ENOENT (NXDOMAIN or no
 * usable records), SIPHON_ETIMEDOUT (no server answered), SIPHON_EINVAL
 * (the URI cannot be resolved: tel:, sips with ;transport=udp...) or
 * SIPHON_EIO (server failure, refused); each failure is logged (module
 * "dns": name, type, c-ares status). Never called from inside
 * siphon_resolve(). The query handle is invalid once this returns.
 */
typedef void siphon_resolve_fn(void *arg, int status,
                               siphon_resolve_result *res);

/* Fill *cfg with the defaults (all zero: resolv.conf, both families). */
void siphon_resolver_config_default(siphon_resolver_config *cfg);

/*
 * Create a resolver on loop. cfg NULL means the defaults. Returns 0 and
 * sets *out, or SIPHON_ENOMEM, SIPHON_EINVAL (bad server list) or
 * SIPHON_EIO (c-ares initialisation failed; logged).
 */
int siphon_resolver_new(siphon_loop *loop, const siphon_resolver_config *cfg,
                        siphon_resolver **out);

/*
 * Destroy the resolver: pending queries end without their callbacks.
 * Not callable from inside a resolve callback. NULL is allowed.
 */
void siphon_resolver_free(siphon_resolver *r);

/*
 * Start locating uri (sip: or sips:; the URI need not outlive the call).
 * cb is called later from the loop. Returns 0 and sets *out (may be
 * NULL), or SIPHON_EINVAL / SIPHON_ENOMEM.
 */
int siphon_resolve(siphon_resolver *r, const siphon_uri *uri,
                   siphon_resolve_fn *cb, void *arg,
                   siphon_resolve_query **out);

/* Cancel a query whose callback has not run: it never will. Safe
 * (a no-op) from inside that callback. */
void siphon_resolve_cancel(siphon_resolve_query *q);

/* The next target to try, or NULL when the list is exhausted. */
const siphon_resolve_target *siphon_resolve_next(siphon_resolve_result *res);

void siphon_resolve_result_free(siphon_resolve_result *res);

typedef struct siphon_resolver_stats {
    uint64_t dns_queries;   /* queries handed to c-ares */
    uint64_t cache_hits;    /* answers taken from the cache */
} siphon_resolver_stats;

void siphon_resolver_get_stats(const siphon_resolver *r,
                               siphon_resolver_stats *out);

/* Drop every cached answer. */
void siphon_resolver_flush_cache(siphon_resolver *r);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_NET_H */
