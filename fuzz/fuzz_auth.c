/*
 * fuzz_auth.c -- fuzz harness for digest authentication (lib/auth).
 *
 * RFC 7616 (challenges, credentials, Authentication-Info, userhash),
 * RFC 8760 (one challenge per algorithm), RFC 3261 §22.
 *
 * The input is up to five lines: a header value, then optionally a
 * username, a password, a Request-URI and a body (a missing or unusable
 * line takes a default). The header value is parsed as a challenge list,
 * as credentials and as Authentication-Info, verified against a fixed
 * server and loaded as a users JSON text.
 *
 * Invariants:
 *   [auth-client-reparse] credentials the client builds for any challenge
 *     it accepts parse back, carry the uri and username given, and their
 *     response is the digest of the parsed values;
 *   [auth-roundtrip] a server configured like the first usable challenge
 *     (realm, algorithm, qop, opaque, userhash) accepts the answer a
 *     client gives to its own challenge, for the fuzzed username,
 *     password, uri and body;
 *   [auth-info] the client accepts that server's Authentication-Info;
 *   [auth-replay] the same credentials a second time are a replay;
 *   every error fills siphon_perr, every verdict reason is a C string.
 */
#include "fuzz_common.h"

#include <siphon/auth.h>

static uint32_t fuzz_rng_state;

static int fuzz_rng(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    for (size_t i = 0; i < len; i++) {
        fuzz_rng_state = fuzz_rng_state * 1103515245u + 12345u;
        buf[i] = (uint8_t)(fuzz_rng_state >> 16);
    }
    return 0;
}

static const uint8_t fuzz_secret[32] = "fuzz-secret-fuzz-secret-fuzz-sec";

typedef struct lookup_ctx {
    const char *user;
    const char *password;
} lookup_ctx;

static int fuzz_lookup(void *arg, siphon_str realm, siphon_str username,
                       bool userhash, siphon_auth_algo algo,
                       siphon_auth_secret *out)
{
    const lookup_ctx *l = arg;
    siphon_str name = siphon_str_c(l->user);
    if (userhash) {
        char h[SIPHON_AUTH_MAX_HEX + 1];
        siphon_str p[2] = {name, realm};
        if (siphon_auth_hash(algo, p, 2, h) != 0 ||
            !siphon_str_eq(username, siphon_str_c(h)))
            return SIPHON_ENOENT;
    } else if (!siphon_str_eq(username, name)) {
        return SIPHON_ENOENT;
    }
    memset(out, 0, sizeof *out);
    out->kind = SIPHON_AUTH_SECRET_PASSWORD;
    out->len = strlen(l->password);
    memcpy(out->value, l->password, out->len + 1);
    out->username_len = name.len;
    memcpy(out->username, name.p, name.len + 1);
    return 0;
}

static void touch_digest(const siphon_digest *d)
{
    fuzz_touch(d->scheme);
    fuzz_touch(d->realm);
    fuzz_touch(d->nonce);
    fuzz_touch(d->opaque);
    fuzz_touch(d->domain);
    fuzz_touch(d->algorithm);
    fuzz_touch(d->qop);
    fuzz_touch(d->charset);
    fuzz_touch(d->username);
    fuzz_touch(d->uri);
    fuzz_touch(d->response);
    fuzz_touch(d->cnonce);
    fuzz_touch(d->nc_text);
    fuzz_touch(d->rspauth);
    fuzz_touch(d->nextnonce);
    fuzz_sink ^= (uint32_t)d->algo ^ (uint32_t)d->qop_mask ^ d->nc;
    if (!d->algo_known && d->algorithm.len == 0)
        fuzz_fail("algorithm absent but not known (absent means MD5)");
}

static void check_err(int rc, const siphon_perr *e, const char *what)
{
    if (rc > 0)
        fuzz_fail("%s returned %d", what, rc);
    if (rc < 0 && rc != SIPHON_ENOMEM)
        fuzz_check_perr(e, rc, what);
}

/* A C string from a line, or the default when it is empty, has a NUL or
 * is too long for the API. */
static const char *line_or(char *buf, size_t cap, siphon_str line,
                           const char *dflt)
{
    if (!line.len || line.len >= cap || memchr(line.p, '\0', line.len))
        return dflt;
    memcpy(buf, line.p, line.len);
    buf[line.len] = '\0';
    return buf;
}

static siphon_str take_line(siphon_str *rest)
{
    const char *nl = rest->len ? memchr(rest->p, '\n', rest->len) : NULL;
    siphon_str l;
    if (!nl) {
        l = *rest;
        *rest = SIPHON_STR_NULL;
    } else {
        l = siphon_str_make(rest->p, (size_t)(nl - rest->p));
        *rest = siphon_str_make(nl + 1, rest->len - l.len - 1);
    }
    return l;
}

/* [auth-client-reparse] for every realm the client holds. */
static void client_reparse(siphon_auth_client *c, const char *user,
                           const char *pw, siphon_str method, siphon_str uri,
                           siphon_str body, const siphon_str *hdr)
{
    for (size_t i = 0; i < siphon_auth_client_count(c); i++) {
        siphon_buf b;
        siphon_buf_init(&b, 0);
        bool proxy;
        int rc = siphon_auth_client_authorize(c, i, method, uri, body, &b, &proxy);
        if (rc != 0) {
            siphon_buf_free(&b);
            continue;
        }
        siphon_arena a;
        siphon_arena_init(&a, NULL, 0);
        siphon_digest d;
        siphon_perr err;
        memset(&err, 0, sizeof err);
        siphon_str v = siphon_str_make(b.p, b.len);
        rc = siphon_digest_parse(&a, v, SIPHON_AUTH_CREDENTIALS, &d, &err);
        if (rc == SIPHON_ETOOBIG && b.len > SIPHON_AUTH_MAX_VALUE) {
            /* long fuzzed uri: the server would refuse it too */
        } else if (rc != 0 && !fuzz_skipped("auth-client-reparse")) {
            fuzz_dump("challenge", hdr->p, hdr->len);
            fuzz_dump("credentials", b.p, b.len);
            fuzz_fail("[auth-client-reparse] credentials do not parse: %s",
                      err.text);
        } else if (rc == 0) {
            char ha1[SIPHON_AUTH_MAX_HEX + 1] = "", want[SIPHON_AUTH_MAX_HEX + 1];
            siphon_str p[3] = {siphon_str_c(user), d.realm, siphon_str_c(pw)};
            bool ok = d.algo_known && siphon_auth_hash(d.algo, p, 3, ha1) == 0;
            siphon_auth_digest_in in = {
                .algo = d.algo, .ha1 = siphon_str_c(ha1), .nonce = d.nonce,
                .cnonce = d.cnonce, .nc = d.nc_text,
                .qop = d.qop.len ? d.qop_mask : SIPHON_AUTH_QOP_NONE,
                .method = method, .uri = d.uri, .body = body,
            };
            ok = ok && siphon_auth_digest(&in, want) == 0 &&
                 siphon_str_eq(d.response, siphon_str_c(want)) &&
                 siphon_str_eq(d.uri, uri) &&
                 (d.userhash || siphon_str_eq(d.username, siphon_str_c(user)));
            if (!ok && !fuzz_skipped("auth-client-reparse")) {
                fuzz_dump("challenge", hdr->p, hdr->len);
                fuzz_dump("credentials", b.p, b.len);
                fuzz_fail("[auth-client-reparse] credentials do not carry "
                          "what they were made of");
            }
        }
        siphon_arena_free(&a);
        siphon_buf_free(&b);
    }
}

/* [auth-roundtrip], [auth-info], [auth-replay] with a server shaped like
 * challenge d. */
static void server_roundtrip(const siphon_digest *d, const char *user,
                             const char *pw, siphon_str uri, siphon_str body)
{
    char realm[SIPHON_AUTH_MAX_NAME], opaque[SIPHON_AUTH_MAX_NAME];
    if (!d->algo_known || !d->realm.len ||
        !line_or(realm, sizeof realm, d->realm, NULL))
        return;
    bool has_opaque = d->opaque.p != NULL;
    if (has_opaque && d->opaque.len &&
        !line_or(opaque, sizeof opaque, d->opaque, NULL))
        return;
    if (has_opaque && !d->opaque.len)
        opaque[0] = '\0';
    if (uri.len >= 1024 || memchr(uri.p ? uri.p : "", '\0', uri.len))
        return;
    siphon_auth_server_config cfg;
    siphon_auth_server_config_default(&cfg);
    cfg.realm = realm;
    cfg.opaque = has_opaque ? opaque : NULL;
    cfg.algos[0] = d->algo;
    cfg.nalgos = 1;
    cfg.qop = d->qop_mask;
    cfg.userhash = d->userhash;
    cfg.secret = fuzz_secret;
    cfg.secret_len = sizeof fuzz_secret;
    cfg.rng = fuzz_rng;
    cfg.replay_slots = 4;
    siphon_auth_server *s = siphon_auth_server_new(&cfg, NULL);
    if (!s)
        return; /* -sess without qop */
    siphon_auth_client_config cc = {.username = user, .password = pw,
                                    .rng = fuzz_rng};
    siphon_auth_client *c = siphon_auth_client_new(&cc, NULL);
    siphon_buf ch, cr, info;
    siphon_buf_init(&ch, 0);
    siphon_buf_init(&cr, 0);
    siphon_buf_init(&info, 0);
    lookup_ctx lk = {user, pw};
    siphon_str method = SIPHON_STR_LIT("REGISTER");
    siphon_auth_request req = {method, uri, body};
    siphon_auth_verdict v;
    const char *broke = NULL;
    if (!c || siphon_auth_server_challenge(s, 0, 1000, false, &ch) != 0) {
        broke = "no client or no challenge";
    } else if (siphon_auth_client_challenge(c, siphon_str_make(ch.p, ch.len), false,
                                            NULL) != SIPHON_AUTH_CH_NEW) {
        broke = "client refused the server's challenge";
    } else if (siphon_auth_client_authorize(c, 0, method, uri, body, &cr, NULL) != 0) {
        broke = "client could not answer";
    } else if (siphon_auth_server_verify(s, siphon_str_make(cr.p, cr.len), &req,
                                         fuzz_lookup, &lk, 2000, &v) != SIPHON_AUTH_OK) {
        /* only a value past the size limit may be refused */
        broke = cr.len > SIPHON_AUTH_MAX_VALUE ? NULL : v.reason;
    } else if (siphon_auth_server_info(s, &v, body, true, 2000, &info) != 0 ||
               siphon_auth_client_check_info(c, 0, siphon_str_make(info.p, info.len),
                                             body, NULL) != 0) {
        if (!fuzz_skipped("auth-info")) {
            fuzz_dump("info", info.p, info.len);
            fuzz_fail("[auth-info] the client refuses the server's "
                      "Authentication-Info");
        }
    } else if (siphon_auth_server_verify(s, siphon_str_make(cr.p, cr.len), &req,
                                         fuzz_lookup, &lk, 2001, &v) !=
                   (d->qop_mask ? SIPHON_AUTH_REPLAY : SIPHON_AUTH_OK) &&
               !fuzz_skipped("auth-replay")) {
        fuzz_dump("credentials", cr.p, cr.len);
        fuzz_fail("[auth-replay] second use gave %s (%s)",
                  siphon_auth_result_name(v.result), v.reason);
    }
    if (broke && !fuzz_skipped("auth-roundtrip")) {
        fuzz_dump("challenge", ch.p, ch.len);
        fuzz_dump("credentials", cr.p, cr.len);
        fuzz_fail("[auth-roundtrip] %s (user \"%s\")", broke, user);
    }
    siphon_buf_free(&ch);
    siphon_buf_free(&cr);
    siphon_buf_free(&info);
    siphon_auth_client_free(c);
    siphon_auth_server_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so that reads past the end are caught */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    if (size)
        memcpy(copy, data, size);
    siphon_str rest = siphon_str_make(copy, size);
    siphon_str hdr = take_line(&rest);
    siphon_str l_user = take_line(&rest), l_pw = take_line(&rest);
    siphon_str l_uri = take_line(&rest), body = rest;
    char ubuf[SIPHON_AUTH_MAX_NAME], pbuf[SIPHON_AUTH_MAX_NAME];
    const char *user = line_or(ubuf, sizeof ubuf, l_user, "alice");
    const char *pw = line_or(pbuf, sizeof pbuf, l_pw, "secret");
    siphon_str uri = l_uri.len ? l_uri : SIPHON_STR_LIT("sip:example.com");
    siphon_str method = SIPHON_STR_LIT("REGISTER");
    fuzz_rng_state = (uint32_t)size;

    siphon_arena a;
    siphon_arena_init(&a, NULL, 0);
    siphon_perr err;

    /* as a challenge list */
    siphon_digest ch[SIPHON_AUTH_MAX_CHALLENGES];
    size_t n = 0;
    memset(&err, 0, sizeof err);
    int rc = siphon_digest_parse_challenges(&a, hdr, ch, SIPHON_AUTH_MAX_CHALLENGES,
                                            &n, &err);
    check_err(rc, &err, "siphon_digest_parse_challenges");
    if (n > SIPHON_AUTH_MAX_CHALLENGES)
        fuzz_fail("%zu challenges stored in an array of %d", n,
                  SIPHON_AUTH_MAX_CHALLENGES);
    for (size_t i = 0; i < n; i++)
        touch_digest(&ch[i]);

    /* the client: every usable challenge answered */
    siphon_auth_client_config cc = {.username = user, .password = pw,
                                    .server_order = (size & 2) != 0,
                                    .rng = fuzz_rng};
    siphon_auth_client *c = siphon_auth_client_new(&cc, NULL);
    if (!c)
        abort();
    memset(&err, 0, sizeof err);
    int cr = siphon_auth_client_challenge(c, hdr, false, &err);
    check_err(cr, &err, "siphon_auth_client_challenge");
    if (cr >= 0)
        client_reparse(c, user, pw, method, uri, body, &hdr);

    /* the server side, shaped like the first challenge the client took */
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            if (ch[i].algo_known && ch[i].nonce.len &&
                (ch[i].qop_mask || !ch[i].qop.len)) {
                server_roundtrip(&ch[i], user, pw, uri, body);
                break;
            }
    }

    /* as credentials, against a fixed server */
    siphon_auth_server_config cfg;
    siphon_auth_server_config_default(&cfg);
    cfg.realm = "example.com";
    cfg.opaque = "o";
    cfg.algos[0] = SIPHON_AUTH_SHA256;
    cfg.algos[1] = SIPHON_AUTH_MD5_SESS;
    cfg.qop = SIPHON_AUTH_QOP_AUTH | SIPHON_AUTH_QOP_AUTH_INT;
    cfg.secret = fuzz_secret;
    cfg.secret_len = sizeof fuzz_secret;
    cfg.rng = fuzz_rng;
    cfg.userhash = size & 1;
    cfg.replay_slots = 2;
    siphon_auth_server *s = siphon_auth_server_new(&cfg, NULL);
    if (!s)
        abort();
    lookup_ctx lk = {user, pw};
    siphon_auth_request req = {method, uri, body};
    siphon_auth_verdict v;
    siphon_auth_result r = siphon_auth_server_verify(s, hdr, &req, fuzz_lookup,
                                                     &lk, 5, &v);
    if (!fuzz_cstr_ok(v.reason, sizeof v.reason) || v.result != r)
        fuzz_fail("verdict reason not a C string, or result mismatch");
    fuzz_touch_cstr(v.reason);
    fuzz_touch_cstr(siphon_auth_result_name(r));
    siphon_digest d;
    memset(&err, 0, sizeof err);
    rc = siphon_digest_parse(&a, hdr, SIPHON_AUTH_CREDENTIALS, &d, &err);
    if (rc != SIPHON_ENOENT)
        check_err(rc, &err, "siphon_digest_parse(credentials)");
    if (rc == 0)
        touch_digest(&d);

    /* as Authentication-Info, against the client's last request */
    memset(&err, 0, sizeof err);
    rc = siphon_digest_parse(&a, hdr, SIPHON_AUTH_INFO, &d, &err);
    check_err(rc, &err, "siphon_digest_parse(info)");
    if (rc == 0)
        touch_digest(&d);
    if (siphon_auth_client_count(c) > 0) {
        memset(&err, 0, sizeof err);
        (void)siphon_auth_client_check_info(c, 0, hdr, body, &err);
    }

    /* as a users file */
    siphon_auth_users *u = NULL;
    memset(&err, 0, sizeof err);
    rc = siphon_auth_users_parse(hdr.p ? hdr.p : "", hdr.len, "example.com", &u,
                                 &err);
    if (rc == 0) {
        siphon_auth_secret sec;
        (void)siphon_auth_users_lookup(u, SIPHON_STR_LIT("example.com"),
                                       siphon_str_c(user), false,
                                       SIPHON_AUTH_MD5, &sec);
        siphon_auth_users_free(u);
    } else {
        fuzz_touch_cstr(err.text);
    }

    siphon_auth_server_free(s);
    siphon_auth_client_free(c);
    siphon_arena_free(&a);
    free(copy);
    return 0;
}
