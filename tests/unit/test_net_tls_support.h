/*
 * test_net_tls_support.h -- what the TLS, WebSocket and interop tests
 * share: a throw-away PKI made by tools/test-certs.sh, contexts built from
 * it, a server and client pair on one loop, the timeout and large-message
 * exchanges that TLS and WebSocket go through alike, free loopback ports,
 * and child processes started and stopped by pid.
 */
#ifndef SIPHON_TEST_NET_TLS_SUPPORT_H
#define SIPHON_TEST_NET_TLS_SUPPORT_H

#include "test_net_tcp_support.h"

#include <sys/types.h>

/* The directory holding the test PKI (made once per run, removed at
 * exit), or NULL when openssl or tools/test-certs.sh is missing. */
const char *tlst_certs(void);
/* Whether the test PKI is there; when it is not, the case is recorded as
 * skipped, saying why. */
bool tlst_need_certs(void);
/* dir/name in a static buffer (one of four rotating ones). */
const char *tlst_path(const char *name);

/* A context: server ones carry server.pem/key; ca is a file name in the
 * PKI dir (NULL: none given, the system store). Returns NULL on failure
 * (a test failure is recorded). */
siphon_tls_ctx *tlst_ctx(const siphon_tls_config *base, bool server,
                         const char *ca);

/* A TCP port on 127.0.0.1 (and ::1 when want6) below 10000 that is free
 * now, or 0. */
unsigned tlst_free_port(bool want6);
/* Wait until something accepts TCP on 127.0.0.1:port (or until the child
 * dies / ms pass). */
bool tlst_wait_port(unsigned port, pid_t child, int ms);
/* Whether a child of ours is still running (it is not reaped). */
bool tlst_alive(pid_t pid);
/* Whether an executable exists. */
bool tlst_have(const char *path);
/* Start argv (argv[0] a path) with fork/exec, stdin from /dev/null and
 * stdout/stderr to log (NULL: /dev/null); the child gets SIGTERM if the
 * test runner dies. Returns the pid or -1. */
pid_t tlst_spawn(char *const argv[], const char *log);
/* SIGTERM, then SIGKILL after ms; reaps. Returns the exit status as
 * waitpid gives it. */
int tlst_stop(pid_t pid, int ms);
/* Wait up to ms for the child to exit by itself; true and *status when
 * it did (the loop runs meanwhile when loop is not NULL). */
bool tlst_wait_exit(pid_t pid, siphon_loop *loop, int ms, int *status);

/* Run argv to its end: spawn it (output to log), wait up to ms for it to
 * exit (running loop meanwhile when not NULL), and stop it if it has not.
 * True when it exited by itself; *status is the wait status either way
 * (0 when it could not be started). */
bool tlst_run(char *const argv[], const char *log, siphon_loop *loop, int ms,
              int *status);
/* The port for a case against the peer program: a free one below 10000,
 * or 0 after a skip saying why (no program, no PKI, no port). */
unsigned tlst_peer_port(const char *program);

/* OPTIONS sip:x@host over transport (e.g. "TLS", "WS") in buf. */
int tlst_options(char *buf, size_t cap, const char *transport,
                 const char *host, int n);
/* siphon_tcp_send_named from tcp to dst (server_name may be NULL). */
int tlst_send(siphon_tcp *tcp, const struct sockaddr_storage *dst,
              const char *server_name, const void *bytes, size_t len,
              siphon_tcp_conn **conn);
/* tlst_send of the tlst_options request (transport, host, n). */
int tlst_send_options(siphon_tcp *tcp, const struct sockaddr_storage *dst,
                      const char *server_name, const char *transport,
                      const char *host, int n, siphon_tcp_conn **conn);

/* ---- a server and a client on one loop --------------------------------- */

typedef struct tlst_pair {
    siphon_loop *loop;
    siphon_tls_ctx *sctx, *cctx;   /* owned; NULL without TLS */
    tcpt_side srv, cli;            /* srv answers requests with a 200 */
} tlst_pair;

/* How tlst_pair_open makes a pair. A zeroed one gives TLS with default
 * contexts and transports, the client trusting ca.pem. */
typedef struct tlst_pair_cfg {
    bool plain;                          /* no TLS (ws rather than wss) */
    const siphon_tls_config *server_tls; /* NULL: defaults */
    const siphon_tls_config *client_tls; /* NULL: defaults */
    const char *client_ca;               /* PKI file; NULL: ca.pem */
    const siphon_tcp_config *tcp;        /* NULL: defaults (its tls is
                                          * replaced by the pair's) */
    const siphon_tcp_config *client_tcp; /* the client's; NULL: as tcp */
    siphon_tcp_recv_fn *recv;            /* NULL: the tcpt_side callbacks */
    void *recv_arg;
} tlst_pair_cfg;

/* Open p with its server listening on bind. False, after a skip when
 * that is the reason, when the case cannot run; tlst_pair_close is due
 * either way. */
bool tlst_pair_open(tlst_pair *p, const char *bind, const tlst_pair_cfg *cfg);
void tlst_pair_close(tlst_pair *p);
/* The server sends tcpt_msg_fmt number n to the address the last request
 * came from and the loop runs until the client holds want messages.
 * Returns the connection it went on (§18.2.2: the inbound one). */
siphon_tcp_conn *tlst_pair_send_back(tlst_pair *p, int n, int want);

/* ---- timeouts on the virtual clock (tcpt_vclock) ------------------------- */

/* A raw client connects to p's server, writes start and then nothing:
 * first_msg_timeout (60 s) must close it with SIPHON_ETIMEDOUT, and not a
 * millisecond sooner. *ss gets the server's counters. */
void tlst_expect_first_msg_timeout(tlst_pair *p, const char *start,
                                   siphon_tcp_stats *ss);
/* A client transport made with cfg sends OPTIONS over transport, naming
 * server_name, to a listener that never answers: connect_timeout (32 s)
 * must end it as a transport error with SIPHON_ETIMEDOUT, and not a
 * millisecond sooner. *cs gets the client's counters. */
void tlst_expect_connect_timeout(const siphon_tcp_config *cfg,
                                 const char *transport,
                                 const char *server_name,
                                 siphon_tcp_stats *cs);
/* A listening socket on 127.0.0.1 that accepts nothing by itself (the
 * kernel completes connections to it), its address in *addr. A test
 * failure is recorded when it cannot be made. */
int tlst_listen_raw(struct sockaddr_storage *addr);

/* ---- large messages ------------------------------------------------------- */

/* A MESSAGE with a body of that many bytes, all 'x' but the last, 'Z',
 * which says it arrived whole (malloc'd; *len its size). */
char *tlst_big_message(size_t body, size_t *len);

/* What tlst_big_cb saw (its arg). */
typedef struct tlst_big_seen {
    bool echo;               /* send what arrives inbound straight back */
    int n;                   /* messages, on either side */
    size_t sizes[4];         /* of the first four */
    siphon_tcp_conn *conn;   /* the last one came on */
} tlst_big_seen;
/* A receive callback for tlst_big_message messages: checks that each is
 * whole and records it in arg. */
void tlst_big_cb(siphon_tcp *tcp, siphon_tcp_conn *conn, const char *bytes,
                 size_t len, const struct sockaddr *peer,
                 const struct sockaddr *local, uint64_t arrival_ms,
                 void *arg);

#endif
