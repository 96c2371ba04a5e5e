/*
 * test_net_tls.c -- SIP over TLS on the stream transport (RFC 3261 §18,
 * §26.3.1; RFC 5630; RFC 6066 §3) over real loopback sockets: messages
 * both ways with TLS 1.2 and 1.3 on IPv4 and IPv6, SNI, certificate and
 * name verification failures reported as transport errors with
 * SIPHON_ETLS (§17.1.4), insecure mode, a version mismatch, client
 * certificates, the key log, a stalled handshake on a virtual clock,
 * garbage instead of a ClientHello, a 60 KB message, CRLF keep-alives
 * inside TLS (RFC 5626 §4.4.1), partial SSL_write retries while the
 * queue moves, an outbound handshake that never finishes, and context
 * errors.
 *
 * The PKI comes from tools/test-certs.sh at run time; every case skips
 * when openssl is missing. Every wait is a bounded number of loop
 * iterations.
 */
#include "unit.h"
#include "test_net_tls_support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * A TLS server (answering requests) and a TLS client on one loop.
 * scfg/ccfg may be NULL (defaults); client_ca is a PKI file name for the
 * client's trust anchors. False (after unit_skip when that is the
 * reason) when the case cannot run.
 */
static bool pair_open(tlst_pair *p, const char *bind,
                      const siphon_tls_config *scfg,
                      const siphon_tls_config *ccfg, const char *client_ca)
{
    tlst_pair_cfg cfg = {
        .server_tls = scfg, .client_tls = ccfg, .client_ca = client_ca};
    return tlst_pair_open(p, bind, &cfg);
}

/* Send an OPTIONS from the client to the server, naming it. */
static int pair_send(tlst_pair *p, const char *name, int n,
                     siphon_tcp_conn **c)
{
    return tlst_send_options(p->cli.tcp, &p->srv.addr, name, "TLS",
                             "localhost", n, c);
}

/* ---- messages both ways --------------------------------------------- */

static void both_ways(const char *bind, siphon_tls_version v,
                      const char *name, const char *want_version)
{
    tlst_pair p;
    siphon_tls_config cc;
    siphon_tls_config_default(&cc);
    cc.min_version = cc.max_version = v;
    if (!pair_open(&p, bind, NULL, &cc, "ca.pem")) {
        tlst_pair_close(&p);
        return;
    }
    siphon_tcp_conn *c = NULL;
    CHECK_INT(pair_send(&p, name, 1, &c), 0);
    CHECK(c != NULL);
    /* Queued as plaintext until the handshake completes. */
    CHECK(c && siphon_tcp_conn_tls_version(c) == NULL);
    tcpt_run_until(p.loop, &p.cli.msgs, 1, 200);
    CHECK_INT(p.srv.msgs, 1);
    CHECK_INT(p.cli.msgs, 1);
    CHECK_INT(p.cli.status, 200);
    CHECK(strcmp(p.cli.branch, "z9hG4bK-t1") == 0);
    siphon_tcp_conn *sc = p.srv.last_conn;
    CHECK(sc != NULL);
    if (sc && c) {
        const char *ver = siphon_tcp_conn_tls_version(sc);
        CHECK(ver && strcmp(ver, want_version) == 0);
        ver = siphon_tcp_conn_tls_version(c);
        CHECK(ver && strcmp(ver, want_version) == 0);
        const char *sni = siphon_tcp_conn_sni(sc);
        if (name)
            CHECK(sni && strcmp(sni, name) == 0);
        else
            CHECK(sni == NULL); /* RFC 6066 §3: no IP literals in SNI */
        const char *subj = siphon_tcp_conn_peer_subject(c);
        CHECK(subj && strcmp(subj, "CN=localhost") == 0);
        CHECK(siphon_tcp_conn_peer_subject(sc) == NULL); /* no client cert */
        CHECK(siphon_tcp_conn_inbound(sc));
    }
    /* §18.2.2: a message to the client's address reuses the inbound TLS
     * connection instead of connecting to the client's ephemeral port. */
    CHECK(tlst_pair_send_back(&p, 2, 2) == sc);
    CHECK_INT(p.cli.msgs, 2);
    CHECK(strstr(p.cli.last, "m02") != NULL);
    /* And the client's second message reuses its connection. */
    siphon_tcp_conn *again = NULL;
    CHECK_INT(pair_send(&p, "ignored.example", 3, &again), 0);
    CHECK(again == c);
    tcpt_run_until(p.loop, &p.cli.msgs, 3, 200);
    CHECK_INT(p.cli.msgs, 3);
    siphon_tcp_stats ss, cs;
    siphon_tcp_get_stats(p.srv.tcp, &ss);
    siphon_tcp_get_stats(p.cli.tcp, &cs);
    CHECK_INT(ss.tls_handshakes, 1);
    CHECK_INT(cs.tls_handshakes, 1);
    CHECK_INT(ss.tls_failures, 0);
    CHECK_INT(ss.connected, 0);
    CHECK_INT(ss.accepted, 1);
    CHECK_INT(cs.connected, 1);
    CHECK_INT(ss.rx_messages, 2);
    CHECK(cs.tx_bytes > 0 && ss.rx_bytes >= cs.tx_bytes / 2);
    /* An orderly close reaches the server as EOF (close_notify). */
    siphon_tcp_conn_close(c);
    tcpt_run_until(p.loop, &p.srv.closed, 1, 200);
    CHECK_INT(p.srv.closed, 1);
    CHECK_INT(p.srv.last_err, 0);
    CHECK_INT(p.cli.transport_errors + p.srv.transport_errors, 0);
    tlst_pair_close(&p);
}

UNIT_TEST(net_tls_v4_tls13)
{
    both_ways("127.0.0.1:0", SIPHON_TLS_1_3, "localhost", "TLSv1.3");
}

UNIT_TEST(net_tls_v4_tls12)
{
    both_ways("127.0.0.1:0", SIPHON_TLS_1_2, "localhost", "TLSv1.2");
}

/* No name: the certificate must carry the address (SAN IP:::1). */
UNIT_TEST(net_tls_v6_tls13_by_address)
{
    both_ways("[::1]:0", SIPHON_TLS_1_3, NULL, "TLSv1.3");
}

UNIT_TEST(net_tls_v6_tls12)
{
    both_ways("[::1]:0", SIPHON_TLS_1_2, "localhost", "TLSv1.2");
}

/* ---- failures: transport errors with SIPHON_ETLS (§17.1.4) ---------- */

/* Every warning of a case, one per line (both ends log a failure). */
static char warn_text[4096];
static void warn_cb(siphon_log_level level, const char *module,
                    const char *text, void *arg)
{
    (void)module;
    (void)arg;
    size_t n = strlen(warn_text);
    if (level <= SIPHON_LOG_WARN && n < sizeof warn_text - 1)
        snprintf(warn_text + n, sizeof warn_text - n, "%s\n", text);
}

/* The client's connection fails; returns what its closed callback saw. */
static void expect_fail(tlst_pair *p, const char *name, const char *log_part)
{
    warn_text[0] = 0;
    siphon_log_set_hook(warn_cb, NULL);
    CHECK_INT(pair_send(p, name, 1, NULL), 0);
    tcpt_run_until(p->loop, &p->cli.closed, 1, 200);
    tcpt_run_until(p->loop, &p->srv.closed, 1, 200);
    siphon_log_set_hook(NULL, NULL);
    CHECK_INT(p->cli.closed, 1);
    CHECK_INT(p->cli.transport_errors, 1);
    CHECK_INT(p->cli.last_err, SIPHON_ETLS);
    CHECK(p->cli.last_unsent > 0);
    CHECK_INT(p->srv.msgs, 0);
    CHECK_INT(p->srv.closed, 1); /* the server saw it fail too */
    if (log_part && !strstr(warn_text, log_part))
        unit_fail(__FILE__, __LINE__, "log \"%s\" lacks \"%s\"",
                  warn_text, log_part);
    siphon_tcp_stats cs;
    siphon_tcp_get_stats(p->cli.tcp, &cs);
    CHECK_INT(cs.tls_failures, 1);
    CHECK_INT(cs.tls_handshakes, 0);
    CHECK_INT(cs.conns_open, 0);
}

UNIT_TEST(net_tls_unknown_ca_fails)
{
    tlst_pair p;
    if (pair_open(&p, "127.0.0.1:0", NULL, NULL, "other-ca.pem"))
        expect_fail(&p, "localhost", "certificate verify: ");
    tlst_pair_close(&p);
}

UNIT_TEST(net_tls_wrong_name_fails)
{
    tlst_pair p;
    if (pair_open(&p, "127.0.0.1:0", NULL, NULL, "ca.pem"))
        expect_fail(&p, "sip.example.com", "hostname mismatch");
    tlst_pair_close(&p);
}

/* insecure: neither the CA nor the name is checked (and it is logged). */
UNIT_TEST(net_tls_insecure_succeeds)
{
    tlst_pair p;
    siphon_tls_config cc;
    siphon_tls_config_default(&cc);
    cc.insecure = true;
    if (pair_open(&p, "127.0.0.1:0", NULL, &cc, "other-ca.pem")) {
        siphon_tcp_conn *c = NULL;
        CHECK_INT(pair_send(&p, "sip.example.com", 1, &c), 0);
        tcpt_run_until(p.loop, &p.cli.msgs, 1, 200);
        CHECK_INT(p.cli.status, 200);
        CHECK(c && siphon_tcp_conn_peer_subject(c) == NULL);
    }
    tlst_pair_close(&p);
}

/* Client at most 1.2, server at least 1.3: no common version. */
UNIT_TEST(net_tls_version_mismatch_fails)
{
    tlst_pair p;
    siphon_tls_config sc, cc;
    siphon_tls_config_default(&sc);
    siphon_tls_config_default(&cc);
    sc.min_version = SIPHON_TLS_1_3;
    cc.max_version = SIPHON_TLS_1_2;
    if (pair_open(&p, "127.0.0.1:0", &sc, &cc, "ca.pem"))
        expect_fail(&p, "localhost", "handshake failed");
    tlst_pair_close(&p);
}

/* verify_client: without a certificate the server refuses; with one it
 * accepts and reports the client's subject. */
static void client_cert(siphon_tls_version v, bool with_cert)
{
    tlst_pair p;
    siphon_tls_config sc, cc;
    siphon_tls_config_default(&sc);
    siphon_tls_config_default(&cc);
    sc.verify_client = true;
    cc.max_version = v;
    char cert[160], key[160];
    if (!tlst_need_certs())
        return;
    if (with_cert) {
        snprintf(cert, sizeof cert, "%s", tlst_path("client.pem"));
        snprintf(key, sizeof key, "%s", tlst_path("client.key"));
        cc.cert_file = cert;
        cc.key_file = key;
    }
    if (!pair_open(&p, "127.0.0.1:0", &sc, &cc, "ca.pem")) {
        tlst_pair_close(&p);
        return;
    }
    siphon_log_set_hook(tcpt_log_cb, NULL);
    CHECK_INT(pair_send(&p, "localhost", 1, NULL), 0);
    if (with_cert) {
        tcpt_run_until(p.loop, &p.cli.msgs, 1, 200);
        CHECK_INT(p.cli.status, 200);
        siphon_tcp_conn *sc_conn = p.srv.last_conn;
        const char *subj =
            sc_conn ? siphon_tcp_conn_peer_subject(sc_conn) : NULL;
        CHECK(subj && strcmp(subj, "CN=siphon-test-client") == 0);
    } else {
        tcpt_run_until(p.loop, &p.srv.closed, 1, 200);
        tcpt_run_until(p.loop, &p.cli.closed, 1, 200);
        CHECK_INT(p.srv.msgs, 0);
        CHECK_INT(p.srv.closed, 1);
        CHECK_INT(p.srv.last_err, SIPHON_ETLS);
        CHECK_INT(p.srv.transport_errors, 0); /* nothing of ours was lost */
        /* With TLS 1.3 the client finishes its handshake before the
         * server judges its (absent) certificate, so it learns of the
         * refusal only from the alert that follows; either way its
         * connection fails with SIPHON_ETLS. */
        CHECK_INT(p.cli.closed, 1);
        CHECK_INT(p.cli.last_err, SIPHON_ETLS);
        CHECK_INT(p.cli.msgs, 0);
        siphon_tcp_stats ss;
        siphon_tcp_get_stats(p.srv.tcp, &ss);
        CHECK_INT(ss.tls_failures, 1);
    }
    siphon_log_set_hook(NULL, NULL);
    tlst_pair_close(&p);
}

UNIT_TEST(net_tls_client_cert_required_missing_13)
{
    client_cert(SIPHON_TLS_1_3, false);
}

UNIT_TEST(net_tls_client_cert_required_missing_12)
{
    client_cert(SIPHON_TLS_1_2, false);
}

UNIT_TEST(net_tls_client_cert_required_present)
{
    client_cert(SIPHON_TLS_ANY, true);
}

/* ---- key log (NSS format, for Wireshark) ----------------------------- */

static void keylog(siphon_tls_version v, const char *label)
{
    tlst_pair p;
    siphon_tls_config cc;
    siphon_tls_config_default(&cc);
    if (!tlst_need_certs())
        return;
    char path[160];
    snprintf(path, sizeof path, "%s",
             tlst_path(v == SIPHON_TLS_1_3 ? "keys13.log" : "keys12.log"));
    unlink(path);
    cc.keylog_file = path;
    cc.max_version = v;
    if (pair_open(&p, "127.0.0.1:0", NULL, &cc, "ca.pem")) {
        CHECK_INT(pair_send(&p, "localhost", 1, NULL), 0);
        tcpt_run_until(p.loop, &p.cli.msgs, 1, 200);
        CHECK_INT(p.cli.status, 200);
        size_t n = 0;
        char *text = unit_read_file(path, &n);
        CHECK(text != NULL);
        if (text && !strstr(text, label))
            unit_fail(__FILE__, __LINE__, "key log lacks %s", label);
        free(text);
    }
    tlst_pair_close(&p);
}

UNIT_TEST(net_tls_keylog_13)
{
    keylog(SIPHON_TLS_1_3, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ");
}

UNIT_TEST(net_tls_keylog_12)
{
    keylog(SIPHON_TLS_1_2, "CLIENT_RANDOM ");
}

/* ---- hostile or broken clients -------------------------------------- */

/* A client that connects and never finishes its ClientHello is held to
 * first_msg_timeout (slowloris), on a virtual clock. */
UNIT_TEST(net_tls_stalled_handshake_times_out)
{
    tlst_pair p;
    if (pair_open(&p, "127.0.0.1:0", NULL, NULL, "ca.pem")) {
        siphon_tcp_stats ss;
        /* The first bytes of a TLS record header, then silence. */
        tlst_expect_first_msg_timeout(&p, "\x16\x03\x01", &ss);
        CHECK_INT(ss.timeouts, 1);
        CHECK_INT(ss.tls_failures, 1);
    }
    tlst_pair_close(&p);
}

/* Plain SIP to a TLS port: that connection closes, the others go on. */
UNIT_TEST(net_tls_garbage_closes_one_conn)
{
    tlst_pair p;
    if (!pair_open(&p, "127.0.0.1:0", NULL, NULL, "ca.pem")) {
        tlst_pair_close(&p);
        return;
    }
    siphon_log_set_hook(tcpt_log_cb, NULL);
    CHECK_INT(pair_send(&p, "localhost", 1, NULL), 0);
    tcpt_run_until(p.loop, &p.cli.msgs, 1, 200);
    int bad = tcpt_raw_connect(&p.srv.addr);
    CHECK(bad >= 0);
    char m[128];
    int k = snprintf(m, sizeof m, tcpt_msg_fmt, 1, 1);
    tcpt_raw_write(bad, m, (size_t)k);
    CHECK(tcpt_raw_closed(p.loop, bad));
    CHECK_INT(p.srv.closed, 1);
    CHECK_INT(p.srv.last_err, SIPHON_ETLS);
    CHECK(strstr(tcpt_log_last, "handshake failed") != NULL);
    /* The good connection still works. */
    CHECK_INT(pair_send(&p, "localhost", 2, NULL), 0);
    tcpt_run_until(p.loop, &p.cli.msgs, 2, 200);
    CHECK_INT(p.cli.msgs, 2);
    CHECK_INT(p.cli.closed, 0);
    siphon_log_set_hook(NULL, NULL);
    close(bad);
    tlst_pair_close(&p);
}

/* ---- a 60 KB message, both ways; keep-alives inside TLS --------------- */

/* A TLS pair for large messages: both ends receive with tlst_big_cb,
 * which records into seen; tcp NULL means the default transports. */
static bool big_pair_open(tlst_pair *p, const siphon_tcp_config *tcp,
                          tlst_big_seen *seen)
{
    tlst_pair_cfg cfg = {.tcp = tcp, .recv = tlst_big_cb, .recv_arg = seen};
    return tlst_pair_open(p, "127.0.0.1:0", &cfg);
}

UNIT_TEST(net_tls_large_message)
{
    tlst_pair p;
    tlst_big_seen seen = {0};
    if (!big_pair_open(&p, NULL, &seen)) {
        tlst_pair_close(&p);
        return;
    }
    size_t len;
    char *m = tlst_big_message(61440, &len);
    siphon_tcp_conn *c = NULL;
    CHECK_INT(tlst_send(p.cli.tcp, &p.srv.addr, "localhost", m, len, &c), 0);
    CHECK_INT(siphon_tcp_send_conn(c, m, len), 0); /* two back to back */
    tcpt_run_until(p.loop, &seen.n, 2, 300);
    CHECK_INT(seen.n, 2);
    CHECK_INT(seen.sizes[1], len);
    /* And back, on the inbound connection. */
    if (seen.conn)
        CHECK_INT(siphon_tcp_send_conn(seen.conn, m, len), 0);
    tcpt_run_until(p.loop, &seen.n, 3, 300);
    CHECK_INT(seen.n, 3);
    CHECK(seen.conn == c);
    /* RFC 5626 §4.4.1 inside TLS: a CRLFCRLF ping gets a CRLF pong. */
    CHECK_INT(siphon_tcp_send_conn(c, "\r\n\r\n", 4), 0);
    siphon_tcp_stats ss, cs;
    for (int i = 0; i < 200; i++) {
        siphon_loop_run_once(p.loop, 5);
        siphon_tcp_get_stats(p.cli.tcp, &cs);
        if (cs.pongs)
            break;
    }
    siphon_tcp_get_stats(p.srv.tcp, &ss);
    CHECK_INT(ss.pings, 1);
    CHECK_INT(cs.pongs, 1);
    free(m);
    tlst_pair_close(&p);
}

/* ---- contexts --------------------------------------------------------- */

UNIT_TEST(net_tls_ctx_errors)
{
    CHECK(strcmp(siphon_errname(SIPHON_ETLS), "SIPHON_ETLS") == 0);
    CHECK(strstr(siphon_strerror(SIPHON_ETLS), "TLS") != NULL);
    if (!tlst_need_certs())
        return;
    siphon_tls_config cfg;
    siphon_tls_ctx *t = NULL;
    char cert[160], key[160];
    siphon_log_set_hook(tcpt_log_cb, NULL);
    /* A certificate without its key. */
    siphon_tls_config_default(&cfg);
    snprintf(cert, sizeof cert, "%s", tlst_path("server.pem"));
    cfg.cert_file = cert;
    CHECK_INT(siphon_tls_ctx_new(&cfg, &t), SIPHON_EINVAL);
    /* A missing key file: named in the log. */
    snprintf(key, sizeof key, "%s", tlst_path("nonexistent.key"));
    cfg.key_file = key;
    CHECK_INT(siphon_tls_ctx_new(&cfg, &t), SIPHON_EIO);
    CHECK(strstr(tcpt_log_last, "nonexistent.key") != NULL);
    /* The client's key with the server's certificate. */
    snprintf(key, sizeof key, "%s", tlst_path("client.key"));
    CHECK_INT(siphon_tls_ctx_new(&cfg, &t), SIPHON_ETLS);
    CHECK(strstr(tcpt_log_last, "mismatch") != NULL);
    CHECK(strstr(tcpt_log_last, "client.key") != NULL);
    /* A key file that is not PEM. */
    snprintf(key, sizeof key, "%s", tlst_path("ca.pem"));
    CHECK_INT(siphon_tls_ctx_new(&cfg, &t), SIPHON_ETLS);
    /* min above max. */
    siphon_tls_config_default(&cfg);
    cfg.min_version = SIPHON_TLS_1_3;
    cfg.max_version = SIPHON_TLS_1_2;
    CHECK_INT(siphon_tls_ctx_new(&cfg, &t), SIPHON_EINVAL);
    /* A bad cipher list. */
    siphon_tls_config_default(&cfg);
    cfg.ciphers = "NO-SUCH-CIPHER";
    CHECK_INT(siphon_tls_ctx_new(&cfg, &t), SIPHON_ETLS);
    CHECK(t == NULL);
    /* The good one. */
    siphon_tls_config_default(&cfg);
    snprintf(key, sizeof key, "%s", tlst_path("server.key"));
    cfg.cert_file = cert;
    cfg.key_file = key;
    CHECK_INT(siphon_tls_ctx_new(&cfg, &t), 0);
    siphon_tls_ctx_free(t);
    siphon_tls_ctx_free(NULL);
    siphon_log_set_hook(NULL, NULL);
}

/* ---- partial writes: SSL_write's retry rule ----------------------------- */

/*
 * A 16 MB message fills the socket buffers, so SSL_write stops half way
 * (WANT_WRITE) and must later be repeated with the same bytes. A second
 * message queued meanwhile makes the queue compact and grow, moving
 * those bytes (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER); both must arrive
 * intact.
 */
UNIT_TEST(net_tls_partial_writes)
{
    siphon_tcp_config tcp;
    siphon_tcp_config_default(&tcp);
    tcp.parse.max_msg_size = 32u << 20;
    tcp.out_queue_max = 64u << 20;
    tlst_pair p;
    tlst_big_seen seen = {0};
    if (!big_pair_open(&p, &tcp, &seen)) {
        tlst_pair_close(&p);
        return;
    }
    size_t len1, len2;
    /* Just under 16 MiB, so that the queue (grown in powers of two) is
     * nearly full and the second message forces memmove and realloc. */
    char *m1 = tlst_big_message((16u << 20) - 200, &len1);
    char *m2 = tlst_big_message(70000, &len2);
    siphon_tcp_conn *c = NULL;
    CHECK_INT(tlst_send(p.cli.tcp, &p.srv.addr, "localhost", m1, len1, &c),
              0);
    /* Run until part of the first message went out. */
    bool partial = false;
    for (int i = 0; i < 500 && c && !partial; i++) {
        siphon_loop_run_once(p.loop, 1);
        size_t q = siphon_tcp_conn_queued(c);
        partial = q > 0 && q < len1;
    }
    if (!partial)
        printf("# the kernel took 16 MB at once; no partial write seen\n");
    if (c)
        CHECK_INT(siphon_tcp_send_conn(c, m2, len2), 0);
    tcpt_run_until(p.loop, &seen.n, 2, 1000);
    CHECK_INT(seen.n, 2);
    CHECK_INT(seen.sizes[0], len1);
    CHECK_INT(seen.sizes[1], len2);
    free(m1);
    free(m2);
    tlst_pair_close(&p);
}

/* ---- an outbound handshake that never finishes ------------------------- */

/* The server accepts TCP and says nothing: the handshake counts against
 * connect_timeout, and the queued request is a transport error. */
UNIT_TEST(net_tls_client_handshake_timeout)
{
    if (!tlst_need_certs())
        return;
    siphon_tls_ctx *cctx = tlst_ctx(NULL, false, "ca.pem");
    siphon_tcp_config cfg;
    siphon_tcp_config_default(&cfg);
    cfg.tls = cctx;
    siphon_tcp_stats cs;
    tlst_expect_connect_timeout(&cfg, "TLS", "localhost", &cs);
    CHECK_INT(cs.tls_failures, 1);
    CHECK_INT(cs.timeouts, 1);
    siphon_tls_ctx_free(cctx);
}
