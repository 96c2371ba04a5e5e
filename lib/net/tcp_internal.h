/*
 * tcp_internal.h -- what the stream transport's files share: tcp.c
 * (transport, listener, connect, life cycle), tcp_conn.c (one
 * connection's I/O, framing and timers), tls.c (TLS contexts and the
 * TLS byte layer) and tcp_ws.c (the WebSocket glue, RFC 7118). Nothing
 * else may use it.
 */
#ifndef SIPHON_TCP_INTERNAL_H
#define SIPHON_TCP_INTERNAL_H

#include "net_internal.h"
#include "ws_internal.h"

#include <openssl/ssl.h>

/* Bytes asked of recv(2) per call, and connections accepted per event
 * before other fds get their turn. */
#define TCP_READ_CHUNK 16384
#define TCP_ACCEPT_BATCH 64
#define TCP_READ_ROUNDS 8
/* How long accepting pauses when the process is out of fds. */
#define TCP_ACCEPT_PAUSE_MS 100

typedef enum conn_state {
    CONN_CONNECTING,   /* non-blocking connect in progress */
    CONN_HANDSHAKE,    /* TLS handshake in progress */
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
    /* TLS (tls.c); ssl is NULL on plain connections */
    SSL *ssl;
    bool tls_hs_want_out;      /* the handshake waits for writability */
    bool tls_rd_want_out;      /* SSL_read waits for writability */
    bool tls_wr_want_in;       /* SSL_write waits for readability */
    bool tls_eof;              /* our BIO saw EOF (BIO_CTRL_EOF) */
    bool tls_broken;           /* fatal TLS or socket error: no close_notify */
    char *server_name;         /* outbound: SNI, name to verify, WS Host */
    char *sni;                 /* inbound: the name the client asked for */
    char *peer_subject;        /* verified peer certificate subject */
    const char *tls_version;   /* static string from OpenSSL */
    /* WebSocket (tcp_ws.c); ws is NULL unless cfg.websocket */
    siphon_ws *ws;
    bool ws_counted;           /* the upgrade was counted in the stats */
    bool ws_failed;            /* a WS failure was counted */
    bool close_when_flushed;   /* WS closing handshake over, or WS error */
    int close_err;             /* what to report then (0: orderly) */
    uint64_t ws_now;           /* arrival time of the bytes being fed */
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
    char *ws_path, *ws_origin; /* copies of the config's strings */
};

/* What the byte layer (plain or TLS) returns besides a SIPHON_E* code. */
enum {
    TCP_IO_OK = 0,             /* *n > 0 bytes moved */
    TCP_IO_AGAIN = 1,          /* nothing now; wait for the fd */
    TCP_IO_EOF = 2             /* orderly end of the stream */
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
/* A connection on fd, watched and in the table (with TLS and WebSocket
 * state when the transport has them). Returns 0 and *out, or
 * SIPHON_ENOMEM / SIPHON_ETLS / SIPHON_EIO (fd is then still the
 * caller's). server_name (outbound, may be NULL) is copied. */
int siphon_tcp_conn_new_(siphon_tcp *tcp, int fd, bool inbound,
                         const struct sockaddr *peer,
                         const char *server_name, siphon_tcp_conn **out);
/* Append to c's output queue without writing (no limit check). */
int siphon_tcp_conn_queue_(siphon_tcp_conn *c, const void *bytes,
                           size_t len);
/* Free a detached connection's memory. */
void siphon_tcp_conn_free_(siphon_tcp_conn *c);
/* Outbound: the TLS handshake and WebSocket upgrade are done, so data
 * handed to us can flow; inbound connections are always ready. */
bool siphon_tcp_conn_ready_(const siphon_tcp_conn *c);

/* ---- tls.c: the TLS byte layer ---------------------------------------- */

struct siphon_tls_ctx {
    SSL_CTX *ctx;
    FILE *keylog;              /* NULL: no key log */
    bool insecure, verify_client;
    bool has_cert;             /* can accept */
};

/* Make c->ssl for c's role on c->fd (SNI and the name or address to
 * verify for outbound). Returns 0, SIPHON_ENOMEM or SIPHON_ETLS. */
int siphon_tls_conn_init_(siphon_tcp_conn *c);
/* Drive the handshake. Returns 1 when done (version, SNI and subject
 * recorded), 0 when waiting (tls_hs_want_out says for what), or
 * SIPHON_ETLS / SIPHON_EIO (logged; *sys_errno set for EIO). */
int siphon_tls_handshake_(siphon_tcp_conn *c, int *sys_errno);
/* The TLS byte layer: TCP_IO_OK with *n, TCP_IO_AGAIN, TCP_IO_EOF, or
 * SIPHON_ETLS / SIPHON_EIO (logged; *sys_errno set for EIO). */
int siphon_tls_read_(siphon_tcp_conn *c, void *buf, size_t cap, size_t *n,
                     int *sys_errno);
int siphon_tls_write_(siphon_tcp_conn *c, const void *buf, size_t len,
                      size_t *n, int *sys_errno);
/* Send close_notify if the session is healthy (best effort). */
void siphon_tls_shutdown_(siphon_tcp_conn *c);

/* ---- tcp_ws.c: WebSocket on the connection (RFC 7118) ------------------ */

/* Make c->ws for c's role (a client queues its upgrade request at once).
 * Returns 0 or SIPHON_ENOMEM / SIPHON_EINVAL. */
int siphon_tcp_ws_init_(siphon_tcp_conn *c);
/* Feed stream bytes to the WebSocket; whole messages go to the receive
 * callback. Returns false when c (or the transport) was closed. */
bool siphon_tcp_ws_input_(siphon_tcp_conn *c, const char *bytes, size_t len,
                          uint64_t now);
/* Frame one SIP message into c's output queue (held back by the WS layer
 * until the upgrade completes). Returns 0 or a SIPHON_E* code. */
int siphon_tcp_ws_send_(siphon_tcp_conn *c, const void *bytes, size_t len);

#endif
