/*
 * test_net_tls_support.h -- what the TLS, WebSocket and interop tests
 * share: a throw-away PKI made by tools/test-certs.sh, contexts built from
 * it, free loopback ports, and child processes started and stopped by pid.
 */
#ifndef SIPHON_TEST_NET_TLS_SUPPORT_H
#define SIPHON_TEST_NET_TLS_SUPPORT_H

#include "test_net_tcp_support.h"

#include <sys/types.h>

/* The directory holding the test PKI (made once per run, removed at
 * exit), or NULL when openssl or tools/test-certs.sh is missing. */
const char *tlst_certs(void);
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

/* OPTIONS sip:x@host over transport (e.g. "TLS", "WS") in buf. */
int tlst_options(char *buf, size_t cap, const char *transport,
                 const char *host, int n);

#endif
