/*
 * test_auth_server.c -- digest server and client against each other, on a
 * virtual clock and a counting RNG (lib/auth).
 *
 * RFC 3261 §22 (401/407, uri = Request-URI, one credential per realm),
 * RFC 7616 §3.3 (stale), §3.4 (verification, nc), §3.4.4 (userhash), §3.5
 * (Authentication-Info), RFC 8760 §2.3-§2.4 (one challenge per algorithm in
 * preference order; first-only MD5 clients such as SIPp 3.6.1 and sipsak).
 */
#include "unit.h"

#include <siphon/auth.h>

static uint32_t rng_counter;

static int count_rng(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(++rng_counter * 2654435761u >> 24);
    return 0;
}

#define REALM "example.com"
#define RURI "sip:registrar.example.com"

static int pw_lookup(void *arg, siphon_str realm, siphon_str username,
                     bool userhash, siphon_auth_algo algo,
                     siphon_auth_secret *out)
{
    (void)arg;
    static const char *const users[][2] = {{"alice", "secret"},
                                           {"bob", "hunter2"}};
    for (size_t i = 0; i < 2; i++) {
        siphon_str name = siphon_str_c(users[i][0]);
        if (userhash) {
            char h[SIPHON_AUTH_MAX_HEX + 1];
            siphon_str p[2] = {name, realm};
            siphon_auth_hash(algo, p, 2, h);
            if (!siphon_str_eq(username, siphon_str_c(h)))
                continue;
        } else if (!siphon_str_eq(username, name)) {
            continue;
        }
        out->kind = SIPHON_AUTH_SECRET_PASSWORD;
        out->len = strlen(users[i][1]);
        memcpy(out->value, users[i][1], out->len + 1);
        out->username_len = name.len;
        memcpy(out->username, name.p, name.len + 1);
        return 0;
    }
    return SIPHON_ENOENT;
}

static siphon_auth_server *mk_server(const siphon_auth_algo *algos, size_t n,
                                     int qop, bool userhash, size_t slots)
{
    static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";
    siphon_auth_server_config cfg;
    siphon_auth_server_config_default(&cfg);
    cfg.realm = REALM;
    cfg.secret = secret;
    cfg.secret_len = sizeof secret;
    cfg.rng = count_rng;
    cfg.qop = qop;
    cfg.userhash = userhash;
    cfg.opaque = "op\"aque";
    cfg.replay_slots = slots;
    cfg.nonce_lifetime_ms = 30000;
    for (size_t i = 0; i < n; i++)
        cfg.algos[i] = algos[i];
    cfg.nalgos = n;
    int err = 1;
    siphon_auth_server *s = siphon_auth_server_new(&cfg, &err);
    CHECK(s != NULL);
    CHECK_INT(err, 0);
    return s;
}

static siphon_auth_client *mk_client(const char *user, const char *pw,
                                     unsigned mask, bool first_only)
{
    siphon_auth_client_config cfg = {.username = user, .password = pw,
                                     .algo_mask = mask,
                                     .first_only = first_only,
                                     .rng = count_rng};
    int err = 1;
    siphon_auth_client *c = siphon_auth_client_new(&cfg, &err);
    CHECK(c != NULL);
    CHECK_INT(err, 0);
    return c;
}

/* A 401 (or 407) with the server's challenges, as a parsed message. */
static siphon_msg *challenge_msg(siphon_auth_server *s, bool proxy,
                                 uint64_t now, bool stale)
{
    siphon_msgb *b = siphon_msgb_response(proxy ? 407 : 401, SIPHON_STR_NULL);
    siphon_msgb_add(b, SIPHON_STR_LIT("Via"),
                    SIPHON_STR_LIT("SIP/2.0/UDP a.example.com;branch=z9hG4bK1"));
    CHECK_INT(siphon_auth_server_add_challenges(s, b, proxy, now, stale), 0);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msgb_finish(b, &m, &err), 0);
    siphon_msgb_free(b);
    return m;
}

/* Feed the challenges to the client; returns its siphon_auth_ch_result. */
static int feed(siphon_auth_client *c, siphon_auth_server *s, bool proxy,
                uint64_t now, bool stale)
{
    siphon_msg *m = challenge_msg(s, proxy, now, stale);
    siphon_perr err;
    int r = m ? siphon_auth_client_challenge_msg(c, m, &err) : -100;
    siphon_msg_unref(m);
    return r;
}

typedef struct cred {
    char v[SIPHON_AUTH_MAX_VALUE];
    size_t len;
} cred;

static void answer(siphon_auth_client *c, const char *method, const char *uri,
                   const char *body, cred *out)
{
    siphon_buf b;
    siphon_buf_init(&b, 0);
    bool proxy = true;
    int rc = siphon_auth_client_authorize(c, 0, siphon_str_c(method),
                                          siphon_str_c(uri), siphon_str_c(body),
                                          &b, &proxy);
    CHECK_INT(rc, 0);
    out->len = b.len < sizeof out->v ? b.len : sizeof out->v - 1;
    memcpy(out->v, b.p ? b.p : "", out->len);
    out->v[out->len] = '\0';
    siphon_buf_free(&b);
}

static siphon_auth_result check(siphon_auth_server *s, const cred *cr,
                                const char *method, const char *ruri,
                                const char *body, uint64_t now,
                                siphon_auth_verdict *v)
{
    siphon_auth_request req = {siphon_str_c(method), siphon_str_c(ruri),
                               siphon_str_c(body)};
    return siphon_auth_server_verify(s, siphon_str_make(cr->v, cr->len), &req,
                                     pw_lookup, NULL, now, v);
}

/* The chosen algorithm shows in the credentials as algorithm=NAME,. */
static bool uses_algo(const cred *cr, siphon_auth_algo a)
{
    char want[64];
    snprintf(want, sizeof want, "algorithm=%s,", siphon_auth_algo_name(a));
    const char *p = strstr(cr->v, want);
    return p && p[-1] == ' ';
}

/* ---- every algorithm x qop ------------------------------------------------ */

UNIT_TEST(auth_roundtrip_all)
{
    static const int qops[] = {SIPHON_AUTH_QOP_AUTH, SIPHON_AUTH_QOP_AUTH_INT,
                               SIPHON_AUTH_QOP_AUTH | SIPHON_AUTH_QOP_AUTH_INT,
                               SIPHON_AUTH_QOP_NONE};
    for (int a = 0; a < SIPHON_AUTH__ALGO_COUNT; a++)
        for (size_t q = 0; q < sizeof qops / sizeof qops[0]; q++) {
            siphon_auth_algo algo = (siphon_auth_algo)a;
            if (siphon_auth_algo_is_sess(algo) && !qops[q])
                continue; /* refused: see auth_config_errors */
            siphon_auth_server *s = mk_server(&algo, 1, qops[q], false, 0);
            siphon_auth_client *c = mk_client("alice", "secret", 0, false);
            if (!s || !c)
                return;
            CHECK_INT(feed(c, s, false, 1000, false), SIPHON_AUTH_CH_NEW);
            cred cr;
            answer(c, "INVITE", "sip:bob@example.com", "v=0\r\n", &cr);
            CHECK(uses_algo(&cr, algo));
            siphon_auth_verdict v;
            siphon_auth_result r = check(s, &cr, "INVITE", "sip:bob@example.com",
                                         "v=0\r\n", 2000, &v);
            if (r != SIPHON_AUTH_OK)
                printf("#   %s qop %d: %s (%s)\n", siphon_auth_algo_name(algo),
                       qops[q], siphon_auth_result_name(r), v.reason);
            CHECK_INT(r, SIPHON_AUTH_OK);
            CHECK_STR(siphon_str_c(v.username), "alice");
            CHECK_INT(v.algo, algo);
            /* auth is taken when offered; auth-int when it is all there is */
            CHECK_INT(v.qop, qops[q] == SIPHON_AUTH_QOP_AUTH_INT
                                 ? SIPHON_AUTH_QOP_AUTH_INT
                             : qops[q] ? SIPHON_AUTH_QOP_AUTH
                                       : SIPHON_AUTH_QOP_NONE);
            /* mutual authentication (§3.5), with a nextnonce */
            siphon_buf info;
            siphon_buf_init(&info, 0);
            CHECK_INT(siphon_auth_server_info(s, &v, SIPHON_STR_LIT("ok"), true,
                                              2000, &info), 0);
            siphon_perr err;
            CHECK_INT(siphon_auth_client_check_info(c, 0, siphon_str_make(info.p, info.len),
                                                    SIPHON_STR_LIT("ok"), &err), 0);
            /* a tampered rspauth is refused */
            char *rp = info.p ? strstr(info.p, "rspauth=\"") : NULL;
            if (rp) {
                rp[9] = rp[9] == '0' ? '1' : '0';
                CHECK_INT(siphon_auth_client_check_info(c, 0,
                              siphon_str_make(info.p, info.len),
                              SIPHON_STR_LIT("ok"), &err),
                          SIPHON_EINVAL);
            }
            siphon_buf_free(&info);
            /* the next request goes with the nextnonce, nc 1 */
            if (qops[q]) {
                cred cr2;
                answer(c, "BYE", "sip:bob@example.com", "", &cr2);
                CHECK(strstr(cr2.v, "nc=00000001") != NULL);
                CHECK_INT(check(s, &cr2, "BYE", "sip:bob@example.com", "", 3000, &v),
                          SIPHON_AUTH_OK);
                /* the first credentials again: a replay */
                CHECK_INT(check(s, &cr, "INVITE", "sip:bob@example.com", "v=0\r\n",
                                3000, &v), SIPHON_AUTH_REPLAY);
            }
            siphon_auth_client_free(c);
            siphon_auth_server_free(s);
        }
}

/* ---- algorithm offers (RFC 8760) ------------------------------------------ */

static void offer_case_order(const siphon_auth_algo *algos, size_t n,
                             unsigned mask, bool first_only, bool server_order,
                             int want_ch, siphon_auth_algo want)
{
    siphon_auth_server *s = mk_server(algos, n, SIPHON_AUTH_QOP_AUTH, false, 0);
    siphon_auth_client *c = mk_client("bob", "hunter2", mask, first_only);
    if (!s || !c)
        return;
    if (server_order) {
        siphon_auth_client_free(c);
        siphon_auth_client_config cfg = {.username = "bob", .password = "hunter2",
                                         .algo_mask = mask, .server_order = true,
                                         .rng = count_rng};
        c = siphon_auth_client_new(&cfg, NULL);
        if (!c)
            return;
    }
    CHECK_INT(siphon_auth_server_nchallenges(s), n);
    CHECK_INT(feed(c, s, true, 0, false), want_ch);
    if (want_ch == SIPHON_AUTH_CH_NEW) {
        cred cr;
        answer(c, "REGISTER", RURI, "", &cr);
        CHECK(strncmp(cr.v, "Digest username=\"bob\"", 21) == 0);
        CHECK(uses_algo(&cr, want));
        siphon_auth_verdict v;
        CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 1, &v), SIPHON_AUTH_OK);
        CHECK_INT(v.algo, want);
    }
    siphon_auth_client_free(c);
    siphon_auth_server_free(s);
}

static void offer_case(const siphon_auth_algo *algos, size_t n, unsigned mask,
                       bool first_only, int want_ch, siphon_auth_algo want)
{
    offer_case_order(algos, n, mask, first_only, false, want_ch, want);
}

UNIT_TEST(auth_offers)
{
    const unsigned md5_only = 1u << SIPHON_AUTH_MD5;
    siphon_auth_algo md5_first[] = {SIPHON_AUTH_MD5, SIPHON_AUTH_SHA256,
                                    SIPHON_AUTH_SHA512_256};
    siphon_auth_algo sha_first[] = {SIPHON_AUTH_SHA256, SIPHON_AUTH_MD5};
    siphon_auth_algo sess[] = {SIPHON_AUTH_MD5, SIPHON_AUTH_SHA256_SESS};
    siphon_auth_algo only_md5[] = {SIPHON_AUTH_MD5};
    siphon_auth_algo only_sha512[] = {SIPHON_AUTH_SHA512_256};
    /* a full client takes the strongest, wherever it is in the list */
    offer_case(md5_first, 3, 0, false, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_SHA512_256);
    offer_case(sha_first, 2, 0, false, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_SHA256);
    offer_case(sess, 2, 0, false, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_SHA256_SESS);
    offer_case(only_md5, 1, 0, false, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_MD5);
    offer_case(only_sha512, 1, 0, false, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_SHA512_256);
    /* a first-only MD5 client (SIPp 3.6.1, sipsak) works with MD5 first */
    offer_case(md5_first, 3, md5_only, true, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_MD5);
    offer_case(only_md5, 1, md5_only, true, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_MD5);
    /* ... and fails with SHA-256 first, which is why the order is a setting */
    offer_case(sha_first, 2, md5_only, true, SIPHON_ENOENT, SIPHON_AUTH_MD5);
    /* an MD5-only client that reads every challenge finds MD5 second */
    offer_case(sha_first, 2, md5_only, false, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_MD5);
    offer_case(only_sha512, 1, md5_only, false, SIPHON_ENOENT, SIPHON_AUTH_MD5);
    /* RFC 8760 §2.4 to the letter: the topmost supported */
    offer_case_order(md5_first, 3, 0, false, true, SIPHON_AUTH_CH_NEW, SIPHON_AUTH_MD5);
    offer_case_order(sha_first, 2, 0, false, true, SIPHON_AUTH_CH_NEW,
                     SIPHON_AUTH_SHA256);
    offer_case_order(sha_first, 2, md5_only, false, true, SIPHON_AUTH_CH_NEW,
                     SIPHON_AUTH_MD5);
}

/* A challenge value lists the parameters in the expected form. */
UNIT_TEST(auth_challenge_value)
{
    siphon_auth_algo a[] = {SIPHON_AUTH_SHA256};
    siphon_auth_server *s = mk_server(a, 1, SIPHON_AUTH_QOP_AUTH | SIPHON_AUTH_QOP_AUTH_INT,
                                      true, 0);
    if (!s)
        return;
    siphon_buf b;
    siphon_buf_init(&b, 0);
    CHECK_INT(siphon_auth_server_challenge(s, 0, 5, true, &b), 0);
    CHECK_INT(siphon_auth_server_challenge(s, 1, 5, true, &b), SIPHON_EINVAL);
    CHECK_INT(siphon_buf_append(&b, "", 1), 0);
    CHECK(strncmp(b.p, "Digest realm=\"example.com\", nonce=\"", 35) == 0);
    CHECK(strstr(b.p, ", opaque=\"op\\\"aque\", algorithm=SHA-256, "
                      "qop=\"auth,auth-int\", stale=true, userhash=true") != NULL);
    siphon_arena ar;
    siphon_arena_init(&ar, NULL, 0);
    siphon_digest d[2];
    size_t n = 0;
    siphon_perr err;
    CHECK_INT(siphon_digest_parse_challenges(&ar, siphon_str_c(b.p), d, 2, &n, &err), 0);
    CHECK_INT(n, 1);
    CHECK_STR(d[0].opaque, "op\"aque");
    CHECK_INT(d[0].nonce.len, 43);
    siphon_arena_free(&ar);
    siphon_buf_free(&b);
    siphon_auth_server_free(s);
}

/* ---- stale, replay, failures --------------------------------------------- */

UNIT_TEST(auth_stale_retry)
{
    siphon_auth_algo a[] = {SIPHON_AUTH_SHA256, SIPHON_AUTH_MD5};
    siphon_auth_server *s = mk_server(a, 2, SIPHON_AUTH_QOP_AUTH, false, 0);
    siphon_auth_client *c = mk_client("alice", "secret", 0, false);
    if (!s || !c)
        return;
    CHECK_INT(feed(c, s, false, 0, false), SIPHON_AUTH_CH_NEW);
    cred cr;
    answer(c, "REGISTER", RURI, "", &cr);
    siphon_auth_verdict v;
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 30000, &v), SIPHON_AUTH_OK);
    answer(c, "REGISTER", RURI, "", &cr);
    /* past the 30 s lifetime: right password, old nonce */
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 30001, &v), SIPHON_AUTH_STALE);
    CHECK_INT(feed(c, s, false, 30001, true), SIPHON_AUTH_CH_STALE);
    answer(c, "REGISTER", RURI, "", &cr);
    CHECK(strstr(cr.v, "nc=00000001") != NULL);
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 30002, &v), SIPHON_AUTH_OK);
    /* a stale nonce with a wrong password is a wrong password */
    siphon_auth_client *bad = mk_client("alice", "wrong", 0, false);
    if (bad) {
        CHECK_INT(feed(bad, s, false, 0, false), SIPHON_AUTH_CH_NEW);
        answer(bad, "REGISTER", RURI, "", &cr);
        CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 90000, &v),
                  SIPHON_AUTH_BAD_RESPONSE);
        siphon_auth_client_free(bad);
    }
    siphon_auth_client_free(c);
    siphon_auth_server_free(s);
}

UNIT_TEST(auth_replay)
{
    siphon_auth_algo a[] = {SIPHON_AUTH_MD5};
    siphon_auth_server *s = mk_server(a, 1, SIPHON_AUTH_QOP_AUTH, false, 0);
    siphon_auth_client *c = mk_client("alice", "secret", 0, false);
    if (!s || !c)
        return;
    CHECK_INT(feed(c, s, false, 0, false), SIPHON_AUTH_CH_NEW);
    cred c1, c2, c3;
    answer(c, "OPTIONS", RURI, "", &c1);
    answer(c, "OPTIONS", RURI, "", &c2);
    answer(c, "OPTIONS", RURI, "", &c3);
    siphon_auth_verdict v;
    CHECK_INT(check(s, &c2, "OPTIONS", RURI, "", 1, &v), SIPHON_AUTH_OK);
    CHECK_INT(check(s, &c2, "OPTIONS", RURI, "", 2, &v), SIPHON_AUTH_REPLAY);
    CHECK_INT(check(s, &c1, "OPTIONS", RURI, "", 3, &v), SIPHON_AUTH_REPLAY);
    CHECK(strstr(v.reason, "00000001") != NULL);
    CHECK_INT(check(s, &c3, "OPTIONS", RURI, "", 4, &v), SIPHON_AUTH_OK);
    siphon_auth_client_free(c);
    siphon_auth_server_free(s);
}

/* A full table forgets the oldest nonce; that nonce is then stale, never
 * accepted again. */
UNIT_TEST(auth_replay_table_bounded)
{
    siphon_auth_algo a[] = {SIPHON_AUTH_SHA256};
    siphon_auth_server *s = mk_server(a, 1, SIPHON_AUTH_QOP_AUTH, false, 2);
    siphon_auth_client *c[3];
    cred first[3], second[3];
    siphon_auth_verdict v;
    for (int i = 0; i < 3; i++) {
        c[i] = mk_client("alice", "secret", 0, false);
        if (!s || !c[i])
            return;
        CHECK_INT(feed(c[i], s, false, (uint64_t)i * 10, false), SIPHON_AUTH_CH_NEW);
        answer(c[i], "REGISTER", RURI, "", &first[i]);
        answer(c[i], "REGISTER", RURI, "", &second[i]);
    }
    for (int i = 0; i < 3; i++)
        CHECK_INT(check(s, &first[i], "REGISTER", RURI, "", 100, &v), SIPHON_AUTH_OK);
    /* nonce 0 was dropped for nonce 2: its nc 2 is refused as stale */
    CHECK_INT(check(s, &second[0], "REGISTER", RURI, "", 101, &v), SIPHON_AUTH_STALE);
    CHECK_INT(check(s, &second[2], "REGISTER", RURI, "", 102, &v), SIPHON_AUTH_OK);
    CHECK_INT(check(s, &first[2], "REGISTER", RURI, "", 103, &v), SIPHON_AUTH_REPLAY);
    for (int i = 0; i < 3; i++)
        siphon_auth_client_free(c[i]);
    siphon_auth_server_free(s);
}

UNIT_TEST(auth_failures)
{
    siphon_auth_algo a[] = {SIPHON_AUTH_SHA256, SIPHON_AUTH_MD5};
    siphon_auth_server *s = mk_server(a, 2, SIPHON_AUTH_QOP_AUTH, false, 0);
    siphon_auth_client *c = mk_client("alice", "wrong", 0, false);
    siphon_auth_client *u = mk_client("mallory", "secret", 0, false);
    if (!s || !c || !u)
        return;
    siphon_auth_verdict v;
    cred cr;
    /* wrong password, then the client sees it refused */
    CHECK_INT(feed(c, s, false, 0, false), SIPHON_AUTH_CH_NEW);
    answer(c, "REGISTER", RURI, "", &cr);
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 1, &v), SIPHON_AUTH_BAD_RESPONSE);
    CHECK_INT(feed(c, s, false, 1, false), SIPHON_AUTH_CH_REJECTED);
    CHECK_INT(siphon_auth_client_set_credentials(c, "alice", "secret"), 0);
    answer(c, "REGISTER", RURI, "", &cr);
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 2, &v), SIPHON_AUTH_OK);
    /* after a success, a server that re-challenges without stale (a new
     * nonce) is answered again: that is no refusal */
    siphon_auth_client_succeeded(c);
    CHECK_INT(feed(c, s, false, 2, false), SIPHON_AUTH_CH_NEW);

    /* wrong uri: 400 territory (RFC 7616 §3.4.6); wrong method */
    answer(c, "REGISTER", RURI, "", &cr);
    CHECK_INT(check(s, &cr, "REGISTER", "sip:other.example.com", "", 3, &v),
              SIPHON_AUTH_MALFORMED);
    CHECK(strstr(v.reason, "Request-URI") != NULL);
    CHECK_INT(check(s, &cr, "INVITE", RURI, "", 3, &v), SIPHON_AUTH_BAD_RESPONSE);
    /* the same URI spelt differently still names the Request-URI */
    answer(c, "REGISTER", "sip:REGISTRAR.example.com", "", &cr);
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 4, &v), SIPHON_AUTH_OK);

    /* tampered nonce */
    answer(c, "REGISTER", RURI, "", &cr);
    char *n = strstr(cr.v, "nonce=\"");
    CHECK(n != NULL);
    if (n) {
        n[10] = n[10] == 'A' ? 'B' : 'A';
        CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 5, &v), SIPHON_AUTH_BAD_NONCE);
    }
    /* unknown user */
    CHECK_INT(feed(u, s, false, 0, false), SIPHON_AUTH_CH_NEW);
    answer(u, "REGISTER", RURI, "", &cr);
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 6, &v), SIPHON_AUTH_UNKNOWN_USER);

    /* hand-made: other realm, missing pieces, algorithm or qop not offered */
    static const struct {
        const char *v;
        siphon_auth_result r;
        const char *reason;
    } cases[] = {
        {"Digest username=\"a\", realm=\"other\", nonce=\"n\", uri=\"" RURI
         "\", response=\"00\"", SIPHON_AUTH_NO_CREDENTIALS, "not"},
        {"Basic YWxpY2U6c2VjcmV0", SIPHON_AUTH_NO_CREDENTIALS, "Digest"},
        {"Digest realm=\"example.com\"", SIPHON_AUTH_MALFORMED, "username"},
        {"Digest username=\"a\", realm=\"example.com\", nonce=\"n\", uri=\"" RURI
         "\", response=\"00\", algorithm=SHA-512-256, qop=auth, nc=00000001, "
         "cnonce=\"c\", opaque=\"op\\\"aque\"", SIPHON_AUTH_MALFORMED, "not offered"},
        {"Digest username=\"a\", realm=\"example.com\", nonce=\"n\", uri=\"" RURI
         "\", response=\"00\", algorithm=MD5, qop=auth-int, nc=00000001, "
         "cnonce=\"c\"", SIPHON_AUTH_MALFORMED, "qop"},
        {"Digest username=\"a\", realm=\"example.com\", nonce=\"n\", uri=\"" RURI
         "\", response=\"00\", algorithm=MD5", SIPHON_AUTH_MALFORMED, "qop missing"},
        {"Digest username=\"a\", realm=\"example.com\", nonce=\"n\", uri=\"" RURI
         "\", response=\"00\", qop=auth, cnonce=\"c\"", SIPHON_AUTH_MALFORMED, "nc"},
        {"Digest username=\"a\", realm=\"example.com\", nonce=\"n\", uri=\"" RURI
         "\", response=\"00\", qop=auth, nc=00000001, cnonce=\"c\"",
         SIPHON_AUTH_MALFORMED, "opaque"},
        {"Digest username=\"a\", realm=\"example.com\", nonce=\"n\", uri=\"" RURI
         "\", response=\"00\", qop=auth, nc=00000001, cnonce=\"c\", "
         "opaque=\"op\\\"aque\"", SIPHON_AUTH_BAD_NONCE, "nonce"},
        {"Digest username=\"a\", username=\"b\"", SIPHON_AUTH_MALFORMED, "twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        siphon_auth_request req = {SIPHON_STR_LIT("REGISTER"), SIPHON_STR_LIT(RURI),
                                   SIPHON_STR_NULL};
        siphon_auth_result r = siphon_auth_server_verify(
            s, siphon_str_c(cases[i].v), &req, pw_lookup, NULL, 7, &v);
        if (r != cases[i].r || !strstr(v.reason, cases[i].reason))
            unit_fail(__FILE__, __LINE__, "case %zu: %s (%s)", i,
                      siphon_auth_result_name(r), v.reason);
    }
    /* a hostile, huge header value is refused before any work */
    static char big[SIPHON_AUTH_MAX_VALUE * 4];
    memset(big, ' ', sizeof big - 1);
    memcpy(big, "Digest username=\"a\",", 20);
    siphon_auth_request req = {SIPHON_STR_LIT("REGISTER"), SIPHON_STR_LIT(RURI),
                               SIPHON_STR_NULL};
    CHECK_INT(siphon_auth_server_verify(s, siphon_str_c(big), &req, pw_lookup,
                                        NULL, 8, &v), SIPHON_AUTH_MALFORMED);
    CHECK(strstr(v.reason, "limit") != NULL);
    siphon_auth_client_free(c);
    siphon_auth_client_free(u);
    siphon_auth_server_free(s);
}

UNIT_TEST(auth_userhash)
{
    siphon_auth_algo a[] = {SIPHON_AUTH_SHA512_256_SESS};
    siphon_auth_server *s = mk_server(a, 1, SIPHON_AUTH_QOP_AUTH, true, 0);
    siphon_auth_client *c = mk_client("bob", "hunter2", 0, false);
    if (!s || !c)
        return;
    CHECK_INT(feed(c, s, false, 0, false), SIPHON_AUTH_CH_NEW);
    cred cr;
    answer(c, "REGISTER", RURI, "", &cr);
    CHECK(strstr(cr.v, "userhash=true") != NULL);
    CHECK(strstr(cr.v, "username=\"bob\"") == NULL);
    siphon_auth_verdict v;
    CHECK_INT(check(s, &cr, "REGISTER", RURI, "", 1, &v), SIPHON_AUTH_OK);
    CHECK(v.userhash);
    CHECK_STR(siphon_str_c(v.username), "bob");
    siphon_auth_client_free(c);
    siphon_auth_server_free(s);
}

/* Over parsed messages: the Authorization for our realm among others
 * (RFC 3261 §22.3), and a proxy's 407 / Proxy-Authorization. */
UNIT_TEST(auth_verify_msg)
{
    siphon_auth_algo a[] = {SIPHON_AUTH_SHA256, SIPHON_AUTH_MD5};
    siphon_auth_server *s = mk_server(a, 2, SIPHON_AUTH_QOP_AUTH_INT, false, 0);
    siphon_auth_client *c = mk_client("alice", "secret", 0, false);
    if (!s || !c)
        return;
    CHECK_INT(feed(c, s, true, 0, false), SIPHON_AUTH_CH_NEW);
    CHECK_INT(siphon_auth_client_count(c), 1);
    siphon_msgb *b = siphon_msgb_request(SIPHON_STR_LIT("MESSAGE"),
                                         SIPHON_STR_LIT("sip:bob@example.com"));
    siphon_msgb_add(b, SIPHON_STR_LIT("Via"),
                    SIPHON_STR_LIT("SIP/2.0/UDP a.example.com;branch=z9hG4bK2"));
    siphon_msgb_add(b, SIPHON_STR_LIT("Proxy-Authorization"),
                    SIPHON_STR_LIT("Digest username=\"x\", realm=\"elsewhere\", "
                                   "nonce=\"n\", uri=\"sip:bob@example.com\", "
                                   "response=\"0\""));
    siphon_msgb_set_body(b, SIPHON_STR_LIT("text/plain"), SIPHON_STR_LIT("hello"));
    CHECK_INT(siphon_auth_client_add_headers(c, b, SIPHON_STR_LIT("MESSAGE"),
                                             SIPHON_STR_LIT("sip:bob@example.com"),
                                             SIPHON_STR_LIT("hello")), 0);
    siphon_msg *m = NULL;
    siphon_perr err;
    CHECK_INT(siphon_msgb_finish(b, &m, &err), 0);
    siphon_auth_verdict v;
    if (m) {
        CHECK_INT(siphon_auth_server_verify_msg(s, m, true, pw_lookup, NULL, 1, &v),
                  SIPHON_AUTH_OK);
        CHECK_INT(v.qop, SIPHON_AUTH_QOP_AUTH_INT);
        /* no Authorization (WWW) at all */
        CHECK_INT(siphon_auth_server_verify_msg(s, m, false, pw_lookup, NULL, 1, &v),
                  SIPHON_AUTH_NO_CREDENTIALS);
    }
    siphon_msg_unref(m);
    /* auth-int: a changed body breaks the response */
    siphon_msgb_set_body(b, SIPHON_STR_NULL, SIPHON_STR_LIT("hellO"));
    siphon_msgb_remove(b, SIPHON_STR_LIT("Proxy-Authorization"), false);
    CHECK_INT(siphon_auth_client_add_headers(c, b, SIPHON_STR_LIT("MESSAGE"),
                                             SIPHON_STR_LIT("sip:bob@example.com"),
                                             SIPHON_STR_LIT("hello")), 0);
    m = NULL;
    CHECK_INT(siphon_msgb_finish(b, &m, &err), 0);
    if (m)
        CHECK_INT(siphon_auth_server_verify_msg(s, m, true, pw_lookup, NULL, 2, &v),
                  SIPHON_AUTH_BAD_RESPONSE);
    siphon_msg_unref(m);
    siphon_msgb_free(b);
    siphon_auth_client_free(c);
    siphon_auth_server_free(s);
}

UNIT_TEST(auth_config_errors)
{
    siphon_auth_server_config cfg;
    siphon_auth_server_config_default(&cfg);
    int err = 0;
    CHECK(siphon_auth_server_new(&cfg, &err) == NULL);
    CHECK_INT(err, SIPHON_EINVAL);
    cfg.realm = "r";
    cfg.secret = (const uint8_t *)"short";
    cfg.secret_len = 5;
    cfg.rng = count_rng;
    CHECK(siphon_auth_server_new(&cfg, &err) == NULL);
    CHECK_INT(err, SIPHON_EINVAL);
    /* -sess without qop: no cnonce to make the session key of */
    cfg.secret = (const uint8_t *)"0123456789abcdef";
    cfg.secret_len = 16;
    cfg.qop = SIPHON_AUTH_QOP_NONE;
    cfg.algos[0] = SIPHON_AUTH_MD5_SESS;
    cfg.nalgos = 1;
    CHECK(siphon_auth_server_new(&cfg, &err) == NULL);
    CHECK_INT(err, SIPHON_EINVAL);
    cfg.algos[0] = SIPHON_AUTH_MD5;
    siphon_auth_server *s = siphon_auth_server_new(&cfg, &err);
    CHECK(s != NULL);
    siphon_auth_server_free(s);
    /* no secret: one is drawn from the rng */
    cfg.secret = NULL;
    cfg.secret_len = 0;
    s = siphon_auth_server_new(&cfg, &err);
    CHECK(s != NULL);
    siphon_buf b;
    siphon_buf_init(&b, 0);
    if (s)
        CHECK_INT(siphon_auth_server_challenge(s, 0, 0, false, &b), 0);
    siphon_buf_free(&b);
    siphon_auth_server_free(s);
    siphon_auth_client_config cc = {.username = "a", .password = NULL,
                                    .rng = count_rng};
    CHECK(siphon_auth_client_new(&cc, &err) == NULL);
    CHECK_INT(err, SIPHON_EINVAL);
}
