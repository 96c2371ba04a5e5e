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

bool tlst_need_certs(void)
{
    if (tlst_certs())
        return true;
    unit_skip("openssl or tools/test-certs.sh missing");
    return false;
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

bool tlst_run(char *const argv[], const char *log, siphon_loop *loop, int ms,
              int *status)
{
    *status = 0;
    pid_t pid = tlst_spawn(argv, log);
    if (pid <= 0)
        return false;
    if (tlst_wait_exit(pid, loop, ms, status))
        return true;
    *status = tlst_stop(pid, 500);
    return false;
}

unsigned tlst_peer_port(const char *program)
{
    if (!tlst_have(program)) {
        /* Static: unit_skip keeps the pointer until the case ends. */
        static char why[160];
        const char *slash = strrchr(program, '/');
        snprintf(why, sizeof why, "%s not installed",
                 slash ? slash + 1 : program);
        unit_skip(why);
        return 0;
    }
    if (!tlst_need_certs())
        return 0;
    unsigned port = tlst_free_port(false);
    if (!port)
        unit_skip("no free port below 10000");
    return port;
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

int tlst_send(siphon_tcp *tcp, const struct sockaddr_storage *dst,
              const char *server_name, const void *bytes, size_t len,
              siphon_tcp_conn **conn)
{
    const struct sockaddr *sa = (const struct sockaddr *)dst;
    return siphon_tcp_send_named(tcp, sa, siphon_addr_len(sa), server_name,
                                 bytes, len, conn);
}

int tlst_send_options(siphon_tcp *tcp, const struct sockaddr_storage *dst,
                      const char *server_name, const char *transport,
                      const char *host, int n, siphon_tcp_conn **conn)
{
    char req[512];
    int k = tlst_options(req, sizeof req, transport, host, n);
    return tlst_send(tcp, dst, server_name, req, (size_t)k, conn);
}

/* ---- a server and a client on one loop --------------------------------- */

/* One side of a pair: the tcpt_side callbacks unless the pair has its own
 * receive callback (such cases watch messages only: no closed callback). */
static bool pair_side_open(siphon_loop *loop, const char *bind,
                           const siphon_tcp_config *tcp,
                           const tlst_pair_cfg *cfg, tcpt_side *s)
{
    if (!cfg->recv)
        return tcpt_open(loop, bind, tcp, s);
    if (siphon_tcp_open(loop, bind, tcp, cfg->recv, cfg->recv_arg,
                        &s->tcp) != 0)
        return false;
    if (bind)
        CHECK_INT(siphon_tcp_local(s->tcp, &s->addr), 0);
    return true;
}

bool tlst_pair_open(tlst_pair *p, const char *bind, const tlst_pair_cfg *cfg)
{
    memset(p, 0, sizeof *p);
    if (!cfg->plain && !tlst_need_certs())
        return false;
    p->srv.answer = true;
    CHECK_INT(siphon_loop_new(&p->loop), 0);
    if (!cfg->plain) {
        p->sctx = tlst_ctx(cfg->server_tls, true, "ca.pem");
        p->cctx = tlst_ctx(cfg->client_tls, false,
                           cfg->client_ca ? cfg->client_ca : "ca.pem");
        if (!p->sctx || !p->cctx)
            return false;
    }
    siphon_tcp_config scfg, ccfg;
    if (cfg->tcp)
        scfg = *cfg->tcp;
    else
        siphon_tcp_config_default(&scfg);
    ccfg = cfg->client_tcp ? *cfg->client_tcp : scfg;
    scfg.tls = p->sctx;
    ccfg.tls = p->cctx;
    if (!pair_side_open(p->loop, bind, &scfg, cfg, &p->srv)) {
        unit_skip("loopback address unavailable");
        return false;
    }
    CHECK(pair_side_open(p->loop, NULL, &ccfg, cfg, &p->cli));
    return p->cli.tcp != NULL;
}

void tlst_pair_close(tlst_pair *p)
{
    siphon_tcp_close(p->cli.tcp);
    siphon_tcp_close(p->srv.tcp);
    if (p->loop)
        siphon_loop_free(p->loop);
    siphon_tls_ctx_free(p->cctx);
    siphon_tls_ctx_free(p->sctx);
}

siphon_tcp_conn *tlst_pair_send_back(tlst_pair *p, int n, int want)
{
    char m[128];
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, n, n);
    siphon_tcp_conn *back = NULL;
    CHECK_INT(tlst_send(p->srv.tcp, &p->srv.last_peer, NULL, m, (size_t)k,
                        &back), 0);
    tcpt_run_until(p->loop, &p->cli.msgs, want, 300);
    return back;
}

/* ---- timeouts on the virtual clock --------------------------------------- */

void tlst_expect_first_msg_timeout(tlst_pair *p, const char *start,
                                   siphon_tcp_stats *ss)
{
    tcpt_vnow = 1000;
    siphon_loop_set_clock(p->loop, tcpt_vclock, NULL);
    int fd = tcpt_raw_connect(&p->srv.addr);
    CHECK(fd >= 0);
    tcpt_raw_write(fd, start, strlen(start));
    tcpt_spin(p->loop, 5);
    tcpt_vnow += 60000 - 1;
    tcpt_spin(p->loop, 3);
    CHECK_INT(p->srv.closed, 0);
    tcpt_vnow += 2;
    CHECK(tcpt_raw_closed(p->loop, fd));
    CHECK_INT(p->srv.closed, 1);
    CHECK_INT(p->srv.last_err, SIPHON_ETIMEDOUT);
    siphon_tcp_get_stats(p->srv.tcp, ss);
    close(fd);
}

int tlst_listen_raw(struct sockaddr_storage *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK_INT(siphon_addr_parse(siphon_str_c("127.0.0.1:0"), addr, NULL), 0);
    socklen_t sl = sizeof *addr;
    CHECK_INT(bind(fd, (struct sockaddr *)addr, sizeof(struct sockaddr_in)),
              0);
    CHECK_INT(listen(fd, 4), 0);
    CHECK_INT(getsockname(fd, (struct sockaddr *)addr, &sl), 0);
    return fd;
}

void tlst_expect_connect_timeout(const siphon_tcp_config *cfg,
                                 const char *transport,
                                 const char *server_name,
                                 siphon_tcp_stats *cs)
{
    siphon_loop *loop;
    tcpt_side cli = {0};
    tcpt_vnow = 1000;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_loop_set_clock(loop, tcpt_vclock, NULL);
    CHECK(tcpt_open(loop, NULL, cfg, &cli));
    struct sockaddr_storage addr;
    int lfd = tlst_listen_raw(&addr);
    CHECK_INT(tlst_send_options(cli.tcp, &addr, server_name, transport,
                                "localhost", 1, NULL), 0);
    tcpt_spin(loop, 10); /* connected, first bytes sent, no answer */
    siphon_tcp_get_stats(cli.tcp, cs);
    CHECK_INT(cs->connected, 1);
    tcpt_vnow += 32000 - 1;
    tcpt_spin(loop, 3);
    CHECK_INT(cli.closed, 0);
    tcpt_vnow += 2;
    tcpt_run_until(loop, &cli.closed, 1, 100);
    CHECK_INT(cli.closed, 1);
    CHECK_INT(cli.last_err, SIPHON_ETIMEDOUT);
    CHECK_INT(cli.transport_errors, 1);
    siphon_tcp_get_stats(cli.tcp, cs);
    close(lfd);
    siphon_tcp_close(cli.tcp);
    siphon_loop_free(loop);
}

/* ---- large messages ------------------------------------------------------- */

char *tlst_big_message(size_t body, size_t *len)
{
    char *m = malloc(body + 256);
    int h = snprintf(m, 256,
                     "MESSAGE sip:b@x SIP/2.0\r\nCall-ID: big\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     body);
    memset(m + h, 'x', body);
    m[(size_t)h + body - 1] = 'Z';
    *len = (size_t)h + body;
    return m;
}

void tlst_big_cb(siphon_tcp *tcp, siphon_tcp_conn *conn, const char *bytes,
                 size_t len, const struct sockaddr *peer,
                 const struct sockaddr *local, uint64_t arrival_ms,
                 void *arg)
{
    tlst_big_seen *seen = arg;
    (void)tcp;
    (void)peer;
    (void)local;
    (void)arrival_ms;
    if (seen->n < 4)
        seen->sizes[seen->n] = len;
    seen->n++;
    seen->conn = conn;
    /* Every test message is over 60 KB and ends "...xZ". */
    CHECK(len > 60000 && bytes[len - 1] == 'Z' && bytes[len - 2] == 'x');
    if (seen->echo && siphon_tcp_conn_inbound(conn))
        CHECK_INT(siphon_tcp_send_conn(conn, bytes, len), 0);
}
