/*
 * test_net_tls_interop.c -- the TLS and WebSocket transports against
 * real peers on loopback:
 *   - sipsak (GnuTLS) sends OPTIONS over TLS to our server, which answers
 *     200 built with siphon_msg_response(); sipsak exits 0. sipsak's
 *     GnuTLS handshake only completes with TLS 1.2, so our server caps
 *     there (and sipsak prints ports with four digits: ports < 10000).
 *   - Kamailio 5.6 (tests/interop/kamailio/siphon.cfg) answers OPTIONS
 *     with 200; our TLS, WS (RFC 7118) and WSS clients each send one.
 * Peers are started here with fork/exec, waited for by port, and stopped
 * by pid (SIGTERM, then SIGKILL). A case skips, saying why, when its
 * program or the PKI is missing. Each takes about a second.
 */
#include "unit.h"
#include "test_net_tls_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIPSAK "/usr/bin/sipsak"
#define KAMAILIO "/usr/sbin/kamailio"
#define KAMAILIO_CFG "tests/interop/kamailio/siphon.cfg"

/* ---- sipsak -> our TLS server -------------------------------------------- */

static int responder_msgs;

/* Answer every request 200 on the connection it came on (§18.2.2). */
static void responder(siphon_tcp *tcp, siphon_tcp_conn *conn,
                      const char *bytes, size_t len,
                      const struct sockaddr *peer,
                      const struct sockaddr *local, uint64_t arrival_ms,
                      void *arg)
{
    (void)tcp;
    (void)peer;
    (void)local;
    (void)arrival_ms;
    (void)arg;
    responder_msgs++;
    siphon_parse_opts o;
    siphon_parse_opts_default(&o);
    o.stream = true;
    siphon_msg *req = NULL, *resp = NULL;
    if (siphon_msg_parse(bytes, len, &o, &req, NULL) != 0) {
        unit_fail(__FILE__, __LINE__, "unparsable request from sipsak");
        return;
    }
    if (siphon_msg_is_request(req) &&
        siphon_msg_response(req, 200, SIPHON_STR_NULL,
                            SIPHON_STR_LIT("siphon1"), &resp) == 0) {
        siphon_str b = siphon_msg_bytes(resp);
        CHECK_INT(siphon_tcp_send_conn(conn, b.p, b.len), 0);
        siphon_msg_unref(resp);
    }
    siphon_msg_unref(req);
}

UNIT_TEST(net_tls_interop_sipsak)
{
    unsigned port = tlst_peer_port(SIPSAK);
    if (!port)
        return;
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_tls_config tc;
    siphon_tls_config_default(&tc);
    tc.max_version = SIPHON_TLS_1_2;
    siphon_tls_ctx *ctx = tlst_ctx(&tc, true, "ca.pem");
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.tls = ctx;
    siphon_tcp *srv = NULL;
    char bind[32];
    snprintf(bind, sizeof bind, "127.0.0.1:%u", port);
    CHECK_INT(siphon_tcp_open(loop, bind, &cfg, responder, NULL, &srv), 0);
    responder_msgs = 0;
    char uri[64], ca[200];
    snprintf(uri, sizeof uri, "sip:ping@127.0.0.1:%u", port);
    snprintf(ca, sizeof ca, "--tls-ca-cert=%s", tlst_path("ca.pem"));
    char log[200];
    snprintf(log, sizeof log, "%s", tlst_path("sipsak.log"));
    char *argv[] = {SIPSAK, "-s", uri, "-E", "tls", ca, NULL};
    int st = 0;
    bool exited = srv && tlst_run(argv, log, loop, 5000, &st);
    CHECK(exited);
    CHECK_INT(responder_msgs, 1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        size_t n;
        char *text = unit_read_file(log, &n);
        printf("# sipsak said: %s\n", text ? text : "(nothing)");
        free(text);
    }
    siphon_tcp_stats ss;
    if (srv) {
        siphon_tcp_get_stats(srv, &ss);
        CHECK_INT(ss.tls_handshakes, 1);
    }
    siphon_tcp_close(srv);
    siphon_loop_free(loop);
    siphon_tls_ctx_free(ctx);
}

/* ---- our clients -> Kamailio ----------------------------------------------- */

/* Start Kamailio on port (udp/tcp/ws) and port+1 (tls/wss). Returns the
 * pid, or -1 with the reason in *why. */
static pid_t kamailio_start(unsigned port, const char **why)
{
    static char dir[200], a_port[32], a_tls[32], a_cert[240], a_key[240],
        pidf[240], log[240];
    snprintf(dir, sizeof dir, "%s", tlst_certs());
    snprintf(a_port, sizeof a_port, "PORT=%u", port);
    snprintf(a_tls, sizeof a_tls, "TLS_PORT=%u", port + 1);
    snprintf(a_cert, sizeof a_cert, "CERT=\"%s/server.pem\"", dir);
    snprintf(a_key, sizeof a_key, "KEY=\"%s/server.key\"", dir);
    snprintf(pidf, sizeof pidf, "%s/kamailio.pid", dir);
    snprintf(log, sizeof log, "%s/kamailio.log", dir);
    char *check[] = {KAMAILIO, "-c", "-f", KAMAILIO_CFG, "-A", a_port,
                     "-A", a_tls, "-A", a_cert, "-A", a_key, NULL};
    int st = 0;
    if (!tlst_run(check, log, NULL, 5000, &st) || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0) {
        *why = "kamailio -c rejects " KAMAILIO_CFG;
        return -1;
    }
    /* -DD: no fork to the background; -E: log to stderr (our log). */
    char *run[] = {KAMAILIO, "-f", KAMAILIO_CFG, "-DD", "-E", "-w", dir,
                   "-Y", dir, "-P", pidf, "-m", "32", "-M", "8", "-A",
                   a_port, "-A", a_tls, "-A", a_cert, "-A", a_key, NULL};
    pid_t pid = tlst_spawn(run, log);
    /* Still alive a moment after its ports answer: a Kamailio that could
     * not bind (another run took the port meanwhile) exits at once, and
     * the port that answered was someone else's. */
    bool up = pid > 0 && tlst_wait_port(port, pid, 4000) &&
              tlst_wait_port(port + 1, pid, 1000);
    if (up) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        up = tlst_alive(pid);
    }
    if (!up) {
        if (pid > 0)
            tlst_stop(pid, 500);
        *why = "kamailio did not start";
        return -1;
    }
    return pid;
}

typedef enum kind { K_TLS, K_WS, K_WSS } kind;

/* One OPTIONS from our client of that kind; returns the final status. */
static int kamailio_options(siphon_loop *loop, unsigned port, kind k,
                            siphon_tls_ctx *ctx)
{
    tcpt_side cli = {0};
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.tls = k == K_WS ? NULL : ctx;
    cfg.websocket = k != K_TLS;
    if (!tcpt_open(loop, NULL, &cfg, &cli))
        return -1;
    struct sockaddr_storage dst;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", k == K_WS ? port : port + 1);
    CHECK_INT(siphon_addr_parse(siphon_str_c(addr), &dst, NULL), 0);
    static const char *const names[] = {"TLS", "WS", "WSS"};
    CHECK_INT(tlst_send_options(cli.tcp, &dst, k == K_WS ? NULL : "localhost",
                                names[k], "127.0.0.1", 10 + k, NULL), 0);
    tcpt_run_until(loop, &cli.msgs, 1, 300);
    if (cli.closed)
        printf("# %s: connection closed (%s)\n", names[k],
               siphon_errname(cli.last_err));
    int status = cli.msgs ? cli.status : 0;
    siphon_tcp_stats st;
    siphon_tcp_get_stats(cli.tcp, &st);
    if (k != K_WS)
        CHECK_INT(st.tls_handshakes, 1);
    if (k != K_TLS)
        CHECK_INT(st.ws_upgrades, 1);
    siphon_tcp_close(cli.tcp);
    return status;
}

UNIT_TEST(net_tls_interop_kamailio)
{
    if (access(KAMAILIO_CFG, R_OK) != 0) {
        unit_skip(KAMAILIO_CFG " not found (run from the repository root)");
        return;
    }
    unsigned port = tlst_peer_port(KAMAILIO);
    if (!port)
        return;
    const char *why = NULL;
    pid_t pid = kamailio_start(port, &why);
    if (pid < 0) {
        unit_skip(why);
        return;
    }
    siphon_loop *loop;
    CHECK_INT(siphon_loop_new(&loop), 0);
    siphon_tls_ctx *ctx = tlst_ctx(NULL, false, "ca.pem");
    CHECK_INT(kamailio_options(loop, port, K_TLS, ctx), 200);
    CHECK_INT(kamailio_options(loop, port, K_WS, ctx), 200);
    CHECK_INT(kamailio_options(loop, port, K_WSS, ctx), 200);
    siphon_loop_free(loop);
    siphon_tls_ctx_free(ctx);
    int st = tlst_stop(pid, 2000);
    CHECK(WIFEXITED(st) || WIFSIGNALED(st));
}
