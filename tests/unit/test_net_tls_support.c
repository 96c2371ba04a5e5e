/*
 * test_net_tls_support.c -- helpers for the TLS, WebSocket and interop
 * tests (see test_net_tls_support.h).
 */
#include "unit.h"
#include "test_net_tls_support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char certdir[64];
static bool cert_tried;

static void remove_certs(void)
{
    if (!certdir[0])
        return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", certdir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", certdir);
}

const char *tlst_certs(void)
{
    if (cert_tried)
        return certdir[0] ? certdir : NULL;
    cert_tried = true;
    if (access("tools/test-certs.sh", X_OK) != 0 ||
        system("openssl version >/dev/null 2>&1") != 0)
        return NULL;
    snprintf(certdir, sizeof certdir, "/tmp/siphon-tls-XXXXXX");
    if (!mkdtemp(certdir)) {
        certdir[0] = 0;
        return NULL;
    }
    atexit(remove_certs);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "tools/test-certs.sh '%s' >/dev/null 2>&1",
             certdir);
    if (system(cmd) != 0) {
        remove_certs();
        certdir[0] = 0;
        return NULL;
    }
    return certdir;
}

const char *tlst_path(const char *name)
{
    static char bufs[4][160];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", certdir, name);
    return b;
}

siphon_tls_ctx *tlst_ctx(const siphon_tls_config *base, bool server,
                         const char *ca)
{
    siphon_tls_config cfg;
    if (base)
        cfg = *base;
    else
        siphon_tls_config_default(&cfg);
    char cert[160], key[160], cafile[160];
    if (server) {
        snprintf(cert, sizeof cert, "%s", tlst_path("server.pem"));
        snprintf(key, sizeof key, "%s", tlst_path("server.key"));
        cfg.cert_file = cert;
        cfg.key_file = key;
    }
    if (ca) {
        snprintf(cafile, sizeof cafile, "%s", tlst_path(ca));
        cfg.ca_file = cafile;
    }
    siphon_tls_ctx *t = NULL;
    int rv = siphon_tls_ctx_new(&cfg, &t);
    if (rv != 0)
        unit_fail(__FILE__, __LINE__, "siphon_tls_ctx_new: %s",
                  siphon_errname(rv));
    return t;
}

static bool bind_ok(int family, unsigned port)
{
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        a->sin6_addr = in6addr_loopback;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
        sl = sizeof *a;
    }
    bool ok = bind(fd, (struct sockaddr *)&ss, sl) == 0;
    close(fd);
    return ok;
}

unsigned tlst_free_port(bool want6)
{
    /* Below 10000 (sipsak prints at most four digits of a port), away
     * from 5060-5061, starting at a pid-dependent spot so that parallel
     * runs rarely collide. */
    unsigned span = 3000;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned start =
        ((unsigned)getpid() * 7919u + (unsigned)now.tv_nsec / 1000u) % span;
    for (unsigned i = 0; i < span; i++) {
        unsigned p = 6000 + (start + i) % span;
        if (bind_ok(AF_INET, p) && bind_ok(AF_INET, p + 1) &&
            (!want6 || bind_ok(AF_INET6, p)))
            return p;
    }
    return 0;
}

bool tlst_wait_port(unsigned port, pid_t child, int ms)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < ms / 10; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return false;
        int rv = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rv == 0)
            return true;
        if (child > 0 && !tlst_alive(child))
            return false;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

bool tlst_alive(pid_t pid)
{
    /* WNOWAIT: look without reaping, so that the pid stays ours until
     * tlst_stop reaps it (a reaped pid could be reused by anyone). */
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return false;
    return si.si_pid == 0;
}

bool tlst_have(const char *path)
{
    return access(path, X_OK) == 0;
}

pid_t tlst_spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* The child: if the test runner dies, so does the peer (no orphaned
     * Kamailio holding ports). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                   0600);
    if (in < 0 || out < 0)
        _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execv(argv[0], argv);
    _exit(127);
}

bool tlst_wait_exit(pid_t pid, siphon_loop *loop, int ms, int *status)
{
    for (int i = 0; i < ms / 10; i++) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return true;
        if (loop)
            siphon_loop_run_once(loop, 10);
        else {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return false;
}

int tlst_stop(pid_t pid, int ms)
{
    int st = 0;
    if (pid <= 0)
        return -1;
    kill(pid, SIGTERM);
    if (tlst_wait_exit(pid, NULL, ms, &st))
        return st;
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return st;
}

int tlst_options(char *buf, size_t cap, const char *transport,
                 const char *host, int n)
{
    return snprintf(buf, cap,
                    "OPTIONS sip:ping@%s SIP/2.0\r\n"
                    "Via: SIP/2.0/%s client.invalid;rport;branch=z9hG4bK-t%d\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:t@client.invalid>;tag=f%d\r\n"
                    "To: <sip:ping@%s>\r\n"
                    "Call-ID: tls-%d@client.invalid\r\n"
                    "CSeq: 1 OPTIONS\r\n"
                    "Content-Length: 0\r\n\r\n",
                    host, transport, n, n, host, n);
}
