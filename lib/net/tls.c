/*
 * tls.c -- TLS for the stream transport over OpenSSL 3: contexts
 * (siphon_tls_ctx), and the per-connection byte layer that tcp_conn.c
 * calls instead of recv(2)/send(2) when the transport has a context.
 *
 * RFC 3261 §26.3.1 and RFC 5630 make TLS hop by hop: each connection is
 * verified against the name the upper layer resolved (RFC 5922 §7.2),
 * so the name travels with siphon_tcp_send_named() into SNI (RFC 6066
 * §3, DNS names only: IP literals are not allowed in SNI) and into
 * X509_VERIFY_PARAM; without a name the certificate must carry the
 * peer's IP address.
 *
 * Non-blocking operation: the SSL object talks to the socket through a
 * small BIO of ours rather than SSL_set_fd(). OpenSSL's socket BIO
 * writes with write(2), which raises SIGPIPE when the peer has gone;
 * a library must not change the process's signal disposition, so our
 * BIO uses send(2) with MSG_NOSIGNAL, as the plain path does. Every SSL
 * call may want the other direction (a TLS 1.3 key update, session
 * tickets arriving while we write): the want-flags in the connection
 * tell tcp_conn.c which epoll events to ask for.
 *
 * SSL_write with SSL_MODE_ENABLE_PARTIAL_WRITE and
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: after WANT_WRITE the call must be
 * repeated with the same bytes (SSL_write(3)); the output queue only
 * grows at its end and is compacted by memmove, so the bytes at the
 * queue head are the same (perhaps at another address) and at least as
 * long, which is what those two modes allow.
 *
 * SSL_OP_IGNORE_UNEXPECTED_EOF: a peer that closes the TCP connection
 * without close_notify is reported as an orderly EOF. Truncation cannot
 * hurt SIP here: a message is delivered only once Content-Length bytes
 * (or a whole WebSocket message) arrived, and many SIP peers never send
 * close_notify.
 */
#include "tcp_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- our socket BIO ------------------------------------------------------ */

static BIO_METHOD *sock_method;
static pthread_once_t sock_once = PTHREAD_ONCE_INIT;

static int sock_write(BIO *b, const char *buf, int len)
{
    siphon_tcp_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n;
    do
        n = send(c->fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_write(b);
    if (n > 0)
        c->tcp->stats.tx_bytes += (uint64_t)n;
    return (int)n;
}

static int sock_read(BIO *b, char *buf, int len)
{
    siphon_tcp_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n;
    do
        n = recv(c->fd, buf, (size_t)len, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_read(b);
    if (n == 0)
        c->tls_eof = true;
    if (n > 0)
        c->tcp->stats.rx_bytes += (uint64_t)n;
    return (int)n;
}

static long sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    siphon_tcp_conn *c = BIO_get_data(b);
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1; /* nothing is buffered here */
    case BIO_CTRL_EOF:
        /* OpenSSL asks this to tell EOF from an error after a read of 0. */
        return c && c->tls_eof;
    default:
        return 0;
    }
}

static int sock_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void sock_method_make(void)
{
    int idx = BIO_get_new_index();
    BIO_METHOD *m = idx < 0 ? NULL
                            : BIO_meth_new(idx | BIO_TYPE_SOURCE_SINK,
                                           "siphon socket");
    if (!m)
        return; /* siphon_tls_conn_init_ then says ENOMEM */
    if (!BIO_meth_set_write(m, sock_write) ||
        !BIO_meth_set_read(m, sock_read) ||
        !BIO_meth_set_ctrl(m, sock_ctrl) ||
        !BIO_meth_set_create(m, sock_create)) {
        BIO_meth_free(m);
        return;
    }
    sock_method = m;
}

/* ---- errors ------------------------------------------------------------ */

/* OpenSSL's reasons, oldest first, "; "-separated; clears its queue. */
static void ssl_reasons(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof one);
        int k = snprintf(buf + n, cap - n, "%s%s", n ? "; " : "", one);
        if (k < 0 || (size_t)k >= cap - n)
            break;
        n += (size_t)k;
    }
    if (!buf[0])
        snprintf(buf, cap, "no reason given");
}

/* Log one failure of c's TLS session, with the verify result when the
 * certificate was the problem. */
static void log_failure(siphon_tcp_conn *c, const char *what, int sys)
{
    /* A socket error (a reset peer) is news, as for plain TCP; a TLS
     * failure is a fault somewhere worth a warning. */
    siphon_log_level level = sys ? SIPHON_LOG_INFO : SIPHON_LOG_WARN;
    char who[SIPHON_ADDR_STRLEN], why[768];
    ssl_reasons(why, sizeof why);
    long vr = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    if (sys && !strcmp(why, "no reason given"))
        snprintf(why, sizeof why, "%s", strerror(sys));
    if (vr != X509_V_OK)
        siphon_log(level, "net",
                   "tls %s: %s failed: %s; certificate verify: %s",
                   siphon_tcp_peer_text_(c, who, sizeof who), what, why,
                   X509_verify_cert_error_string(vr));
    else
        siphon_log(level, "net", "tls %s: %s failed: %s",
                   siphon_tcp_peer_text_(c, who, sizeof who), what, why);
}

/*
 * Turn an SSL call's result into TCP_IO_* or an error. want_in/want_out
 * receive what the call waits for.
 */
static int classify(siphon_tcp_conn *c, int ret, const char *what,
                    bool *want_out, bool *want_in, int *sys_errno)
{
    int sys = errno; /* before anything else can change it */
    int e = SSL_get_error(c->ssl, ret);
    if (want_out)
        *want_out = false;
    if (want_in)
        *want_in = false;
    switch (e) {
    case SSL_ERROR_WANT_READ:
        if (want_in)
            *want_in = true;
        return TCP_IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        if (want_out)
            *want_out = true;
        return TCP_IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return TCP_IO_EOF;
    case SSL_ERROR_SYSCALL:
        c->tls_broken = true;
        if (ERR_peek_error() == 0) {
            if (c->tls_eof || sys == 0)
                return TCP_IO_EOF;
            *sys_errno = sys;
            log_failure(c, what, sys);
            return SIPHON_EIO;
        }
        log_failure(c, what, 0);
        return SIPHON_ETLS;
    default:
        c->tls_broken = true;
        log_failure(c, what, 0);
        return SIPHON_ETLS;
    }
}

/* ---- contexts ------------------------------------------------------------ */

void siphon_tls_config_default(siphon_tls_config *cfg)
{
    *cfg = (siphon_tls_config){0};
}

static int proto_version(siphon_tls_version v)
{
    switch (v) {
    case SIPHON_TLS_1_2:
        return TLS1_2_VERSION;
    case SIPHON_TLS_1_3:
        return TLS1_3_VERSION;
    default:
        return 0; /* OpenSSL: no explicit bound */
    }
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    siphon_tls_ctx *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!t || !t->keylog)
        return;
    /* One line per secret; flushed so that Wireshark reading the file
     * live can decrypt the handshake that is happening. */
    fprintf(t->keylog, "%s\n", line);
    fflush(t->keylog);
}

/* Server side: keep the name the client asked for (RFC 6066 §3). We
 * serve one certificate, so any name is accepted. */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    (void)arg;
    siphon_tcp_conn *c = SSL_get_app_data(ssl);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (c && name && !c->sni)
        c->sni = strdup(name);
    return SSL_TLSEXT_ERR_OK;
}

/* A file must be readable: OpenSSL's own messages do not say which of
 * several files was missing. */
static int check_file(const char *what, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        siphon_log(SIPHON_LOG_ERROR, "net", "tls %s %s: %s", what, path,
                   strerror(errno));
        return SIPHON_EIO;
    }
    fclose(f);
    return 0;
}

static int refused(const char *what, const char *path)
{
    char why[768];
    ssl_reasons(why, sizeof why);
    siphon_log(SIPHON_LOG_ERROR, "net", "tls %s%s%s: %s", what,
               path ? " " : "", path ? path : "", why);
    return SIPHON_ETLS;
}

static int ctx_setup(siphon_tls_ctx *t, const siphon_tls_config *cfg)
{
    SSL_CTX *ctx = t->ctx;
    int rv;
    SSL_CTX_set_app_data(ctx, t);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Renegotiation buys SIP nothing and has a history of attacks. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_NO_RENEGOTIATION);
    int lo = proto_version(cfg->min_version);
    int hi = proto_version(cfg->max_version);
    if ((lo && !SSL_CTX_set_min_proto_version(ctx, lo)) ||
        (hi && !SSL_CTX_set_max_proto_version(ctx, hi)))
        return refused("protocol version", NULL);
    if (cfg->ciphers && !SSL_CTX_set_cipher_list(ctx, cfg->ciphers))
        return refused("cipher list", cfg->ciphers);
    if (cfg->ciphersuites &&
        !SSL_CTX_set_ciphersuites(ctx, cfg->ciphersuites))
        return refused("ciphersuites", cfg->ciphersuites);
    if (cfg->cert_file) {
        if ((rv = check_file("certificate", cfg->cert_file)) < 0 ||
            (rv = check_file("key", cfg->key_file)) < 0)
            return rv;
        if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
            return refused("certificate", cfg->cert_file);
        if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file,
                                        SSL_FILETYPE_PEM) != 1)
            return refused("key", cfg->key_file);
        if (SSL_CTX_check_private_key(ctx) != 1)
            return refused("key does not match certificate", cfg->key_file);
        t->has_cert = true;
    }
    if (cfg->ca_file) {
        if ((rv = check_file("CA file", cfg->ca_file)) < 0)
            return rv;
        if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1)
            return refused("CA file", cfg->ca_file);
        if (cfg->verify_client) {
            /* Tell clients which CAs we accept, so that one holding
             * several certificates can pick. */
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_file);
            if (names)
                SSL_CTX_set_client_CA_list(ctx, names);
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return refused("default verify paths", NULL);
    }
    /* A server caching sessions needs an id context once it verifies
     * clients, or resumption fails. */
    static const unsigned char sid[] = "siphon";
    SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    const char *kl = cfg->keylog_file ? cfg->keylog_file
                                      : getenv("SSLKEYLOGFILE");
    if (kl && *kl) {
        /* The key log decrypts every session: only the owner reads it. */
        int fd = open(kl, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || !(t->keylog = fdopen(fd, "a"))) {
            siphon_log(SIPHON_LOG_ERROR, "net", "tls key log %s: %s", kl,
                       strerror(errno));
            if (fd >= 0)
                close(fd);
            return SIPHON_EIO;
        }
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    }
    t->insecure = cfg->insecure;
    t->verify_client = cfg->verify_client;
    if (cfg->insecure)
        siphon_log(SIPHON_LOG_WARN, "net",
                   "tls: peer certificates will not be verified (insecure)");
    return 0;
}

int siphon_tls_ctx_new(const siphon_tls_config *cfg, siphon_tls_ctx **out)
{
    *out = NULL;
    if (!cfg || !cfg->cert_file != !cfg->key_file ||
        (cfg->min_version && cfg->max_version &&
         cfg->min_version > cfg->max_version) ||
        cfg->min_version > SIPHON_TLS_1_3 || cfg->max_version > SIPHON_TLS_1_3)
        return SIPHON_EINVAL;
    siphon_tls_ctx *t = calloc(1, sizeof *t);
    if (!t)
        return SIPHON_ENOMEM;
    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_method());
    if (!t->ctx) {
        free(t);
        refused("context", NULL); /* logs OpenSSL's reason */
        return SIPHON_ENOMEM;
    }
    int rv = ctx_setup(t, cfg);
    if (rv < 0) {
        siphon_tls_ctx_free(t);
        return rv;
    }
    *out = t;
    return 0;
}

void siphon_tls_ctx_free(siphon_tls_ctx *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    if (t->keylog)
        fclose(t->keylog);
    free(t);
}

/* ---- one connection -------------------------------------------------------- */

/* An IP literal (brackets allowed) in binary; its length, or 0. */
static size_t ip_literal(const char *name, unsigned char out[16])
{
    char tmp[64];
    size_t n = strlen(name);
    if (n >= sizeof tmp)
        return 0;
    if (n > 2 && name[0] == '[' && name[n - 1] == ']') {
        memcpy(tmp, name + 1, n - 2);
        tmp[n - 2] = 0;
    } else {
        memcpy(tmp, name, n + 1);
    }
    if (inet_pton(AF_INET, tmp, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, tmp, out) == 1)
        return 16;
    return 0;
}

/* Client side: what the certificate must say (RFC 5922 §7.2), and SNI. */
static int client_identity(siphon_tcp_conn *c)
{
    SSL *ssl = c->ssl;
    X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
    /* "*.example.com" may match, "ab*.example.com" may not. */
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    unsigned char ip[16];
    size_t iplen = 0;
    if (c->server_name && !(iplen = ip_literal(c->server_name, ip))) {
        if (!SSL_set_tlsext_host_name(ssl, c->server_name) ||
            !X509_VERIFY_PARAM_set1_host(vp, c->server_name, 0))
            return SIPHON_ETLS;
        return 0;
    }
    if (!iplen) {
        const struct sockaddr *sa = (const struct sockaddr *)&c->peer;
        if (sa->sa_family == AF_INET) {
            memcpy(ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
            iplen = 4;
        } else {
            memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
            iplen = 16;
        }
    }
    return X509_VERIFY_PARAM_set1_ip(vp, ip, iplen) ? 0 : SIPHON_ETLS;
}

int siphon_tls_conn_init_(siphon_tcp_conn *c)
{
    siphon_tls_ctx *t = c->tcp->cfg.tls;
    pthread_once(&sock_once, sock_method_make);
    if (!sock_method)
        return SIPHON_ENOMEM;
    ERR_clear_error();
    c->ssl = SSL_new(t->ctx);
    BIO *bio = c->ssl ? BIO_new(sock_method) : NULL;
    if (!bio) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
        return SIPHON_ENOMEM;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio);
    SSL_set_app_data(c->ssl, c);
    int rv = 0;
    if (c->inbound) {
        SSL_set_accept_state(c->ssl);
        if (t->verify_client)
            SSL_set_verify(c->ssl,
                           SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           NULL);
    } else {
        SSL_set_connect_state(c->ssl);
        SSL_set_verify(c->ssl, t->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                       NULL);
        rv = client_identity(c);
    }
    if (rv < 0) {
        char who[SIPHON_ADDR_STRLEN], why[512];
        ssl_reasons(why, sizeof why);
        siphon_log(SIPHON_LOG_ERROR, "net", "tls %s: cannot set up: %s",
                   siphon_tcp_peer_text_(c, who, sizeof who), why);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    return rv;
}

/* The subject of a verified peer certificate, RFC 2253 style. */
static char *peer_subject(SSL *ssl, bool verified)
{
    X509 *x = SSL_get0_peer_certificate(ssl);
    if (!x || !verified || SSL_get_verify_result(ssl) != X509_V_OK)
        return NULL;
    BIO *m = BIO_new(BIO_s_mem());
    if (!m)
        return NULL;
    char *out = NULL;
    if (X509_NAME_print_ex(m, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253) >= 0) {
        char *p;
        long n = BIO_get_mem_data(m, &p);
        out = malloc((size_t)n + 1);
        if (out) {
            memcpy(out, p, (size_t)n);
            out[n] = 0;
        }
    }
    BIO_free(m);
    return out;
}

int siphon_tls_handshake_(siphon_tcp_conn *c, int *sys_errno)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->tls_hs_want_out = false;
        c->tls_version = SSL_get_version(c->ssl);
        siphon_tls_ctx *t = c->tcp->cfg.tls;
        bool verified = c->inbound ? t->verify_client : !t->insecure;
        c->peer_subject = peer_subject(c->ssl, verified);
        unsigned char ip[16];
        if (!c->inbound && c->server_name && !c->sni &&
            !ip_literal(c->server_name, ip))
            c->sni = strdup(c->server_name); /* what client_identity sent */
        char who[SIPHON_ADDR_STRLEN];
        siphon_log(SIPHON_LOG_DEBUG, "net", "tls %s: %s %s%s%s%s",
                   siphon_tcp_peer_text_(c, who, sizeof who),
                   c->tls_version, SSL_get_cipher_name(c->ssl),
                   c->sni ? " sni=" : "", c->sni ? c->sni : "",
                   c->peer_subject ? " peer verified" : "");
        return 1;
    }
    int k = classify(c, r, "handshake", &c->tls_hs_want_out, NULL,
                     sys_errno);
    if (k == TCP_IO_AGAIN)
        return 0;
    if (k == TCP_IO_EOF) {
        /* The peer hung up in the middle of the handshake. */
        char who[SIPHON_ADDR_STRLEN];
        siphon_log(SIPHON_LOG_WARN, "net",
                   "tls %s: handshake failed: connection closed by peer",
                   siphon_tcp_peer_text_(c, who, sizeof who));
        c->tls_broken = true;
        return SIPHON_ETLS;
    }
    return k;
}

int siphon_tls_read_(siphon_tcp_conn *c, void *buf, size_t cap, size_t *n,
                     int *sys_errno)
{
    ERR_clear_error();
    *n = 0;
    if (SSL_read_ex(c->ssl, buf, cap, n) == 1) {
        c->tls_rd_want_out = false;
        return TCP_IO_OK;
    }
    return classify(c, 0, "read", &c->tls_rd_want_out, NULL, sys_errno);
}

int siphon_tls_write_(siphon_tcp_conn *c, const void *buf, size_t len,
                      size_t *n, int *sys_errno)
{
    ERR_clear_error();
    *n = 0;
    if (SSL_write_ex(c->ssl, buf, len, n) == 1) {
        c->tls_wr_want_in = false;
        return TCP_IO_OK;
    }
    bool out = false;
    int k = classify(c, 0, "write", &out, &c->tls_wr_want_in, sys_errno);
    if (k == TCP_IO_EOF) {
        /* The peer sent close_notify while we still had bytes for it. */
        *sys_errno = EPIPE;
        c->tls_broken = true;
        return SIPHON_EIO;
    }
    return k;
}

void siphon_tls_shutdown_(siphon_tcp_conn *c)
{
    /* SSL_shutdown after a fatal error is forbidden (SSL_shutdown(3)),
     * and before the handshake there is no session to close. */
    if (!c->ssl || c->tls_broken || !SSL_is_init_finished(c->ssl))
        return;
    ERR_clear_error();
    SSL_shutdown(c->ssl); /* one try, never waits for the peer's reply */
    ERR_clear_error();
}
