/*
 * test_auth_users.c -- the JSON users file of the digest server
 * (lib/auth/users.c): plaintext and HA1 entries, the permission check,
 * JSON errors with line and column, and lookups through the server.
 */
#include "unit.h"

#include <siphon/auth.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int users_rng(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    static uint8_t n;
    for (size_t i = 0; i < len; i++)
        buf[i] = ++n;
    return 0;
}

/* Write text to dir/name with the given mode; returns the path (static). */
static const char *write_file(const char *dir, const char *name,
                              const char *text, mode_t mode)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

/* Register alice against a server whose lookup is the users file. */
static siphon_auth_result login(siphon_auth_users *u, siphon_auth_algo algo,
                                const char *user, const char *pw)
{
    static const uint8_t secret[16] = "users-test-key!!";
    siphon_auth_server_config cfg;
    siphon_auth_server_config_default(&cfg);
    cfg.realm = "example.com";
    cfg.secret = secret;
    cfg.secret_len = sizeof secret;
    cfg.rng = users_rng;
    cfg.algos[0] = algo;
    cfg.nalgos = 1;
    siphon_auth_server *s = siphon_auth_server_new(&cfg, NULL);
    siphon_auth_client_config cc = {.username = user, .password = pw,
                                    .rng = users_rng};
    siphon_auth_client *c = siphon_auth_client_new(&cc, NULL);
    siphon_auth_result r = SIPHON_AUTH_MALFORMED;
    siphon_buf b;
    siphon_buf_init(&b, 0);
    if (s && c && siphon_auth_server_challenge(s, 0, 0, false, &b) == 0 &&
        siphon_auth_client_challenge(c, siphon_str_make(b.p, b.len), false, NULL) ==
            SIPHON_AUTH_CH_NEW) {
        b.len = 0;
        siphon_auth_client_authorize(c, 0, SIPHON_STR_LIT("REGISTER"),
                                     SIPHON_STR_LIT("sip:example.com"),
                                     SIPHON_STR_NULL, &b, NULL);
        siphon_auth_request req = {SIPHON_STR_LIT("REGISTER"),
                                   SIPHON_STR_LIT("sip:example.com"),
                                   SIPHON_STR_NULL};
        siphon_auth_verdict v;
        r = siphon_auth_server_verify(s, siphon_str_make(b.p, b.len), &req,
                                      siphon_auth_users_lookup, u, 1, &v);
    }
    siphon_buf_free(&b);
    siphon_auth_client_free(c);
    siphon_auth_server_free(s);
    return r;
}

UNIT_TEST(auth_users_file)
{
    char dir[] = "/tmp/siphon-auth-XXXXXX";
    if (!mkdtemp(dir)) {
        unit_skip("mkdtemp failed");
        return;
    }
    siphon_auth_users *u = NULL;
    siphon_perr err;

    /* plaintext, 0600 */
    const char *p = write_file(dir, "plain.json",
                               "{\"alice\": \"secret\", \"bob\": {\"password\": \"pw\"}}\n",
                               0600);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), 0);
    if (u) {
        CHECK_INT(siphon_auth_users_count(u), 2);
        CHECK_INT(login(u, SIPHON_AUTH_SHA256, "alice", "secret"), SIPHON_AUTH_OK);
        CHECK_INT(login(u, SIPHON_AUTH_MD5_SESS, "bob", "pw"), SIPHON_AUTH_OK);
        CHECK_INT(login(u, SIPHON_AUTH_MD5, "alice", "nope"), SIPHON_AUTH_BAD_RESPONSE);
        CHECK_INT(login(u, SIPHON_AUTH_MD5, "carol", "secret"),
                  SIPHON_AUTH_UNKNOWN_USER);
        siphon_auth_users_free(u);
        u = NULL;
    }

    /* HA1 per hash: H(alice:example.com:secret) */
    p = write_file(dir, "ha1.json",
                   "{\"alice\": {\"ha1\": {"
                   "\"MD5\": \"A9F1C8D8B0E5A0F1AE1B6DE7B1B1E0E4\","
                   "\"SHA-256\": \"x\"}}}", 0600);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), SIPHON_EINVAL);
    CHECK(strstr(err.text, "ha1.json") != NULL);
    char ha1md5[SIPHON_AUTH_MAX_HEX + 1], ha1sha[SIPHON_AUTH_MAX_HEX + 1];
    siphon_str parts[3] = {SIPHON_STR_LIT("alice"), SIPHON_STR_LIT("example.com"),
                           SIPHON_STR_LIT("secret")};
    siphon_auth_hash(SIPHON_AUTH_MD5, parts, 3, ha1md5);
    siphon_auth_hash(SIPHON_AUTH_SHA256, parts, 3, ha1sha);
    char json[512];
    snprintf(json, sizeof json,
             "{\"alice\": {\"ha1\": {\"MD5\": \"%s\", \"SHA-256\": \"%s\"}}}",
             ha1md5, ha1sha);
    p = write_file(dir, "ha1.json", json, 0600);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), 0);
    if (u) {
        CHECK_INT(login(u, SIPHON_AUTH_MD5, "alice", "secret"), SIPHON_AUTH_OK);
        CHECK_INT(login(u, SIPHON_AUTH_SHA256_SESS, "alice", "secret"), SIPHON_AUTH_OK);
        CHECK_INT(login(u, SIPHON_AUTH_SHA256, "alice", "secret!"),
                  SIPHON_AUTH_BAD_RESPONSE);
        /* no SHA-512-256 HA1 stored: the user cannot use it */
        CHECK_INT(login(u, SIPHON_AUTH_SHA512_256, "alice", "secret"),
                  SIPHON_AUTH_UNKNOWN_USER);
        siphon_auth_users_free(u);
        u = NULL;
    }
    /* HA1s made for another realm are not used */
    CHECK_INT(siphon_auth_users_load(p, "other.example", &u, &err), 0);
    if (u) {
        CHECK_INT(login(u, SIPHON_AUTH_MD5, "alice", "secret"),
                  SIPHON_AUTH_UNKNOWN_USER);
        siphon_auth_users_free(u);
        u = NULL;
    }

    /* readable by others: refused, naming the file and the mode */
    p = write_file(dir, "open.json", "{\"alice\": \"secret\"}", 0644);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), SIPHON_EINVAL);
    CHECK(u == NULL);
    CHECK(strstr(err.text, "open.json") != NULL);
    CHECK(strstr(err.text, "0644") != NULL);
    p = write_file(dir, "group.json", "{\"alice\": \"secret\"}", 0640);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), SIPHON_EINVAL);

    /* bad JSON: line and column */
    p = write_file(dir, "bad.json", "{\n  \"alice\": \"secret\",\n  \"bob\" \"x\"\n}\n",
                   0600);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), SIPHON_EPARSE);
    CHECK(strstr(err.text, "bad.json:3:") != NULL);
    /* duplicate names, wrong shapes */
    p = write_file(dir, "dup.json", "{\"a\": \"x\", \"a\": \"y\"}", 0600);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), SIPHON_EPARSE);
    p = write_file(dir, "shape.json", "{\"a\": 5}", 0600);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), SIPHON_EINVAL);
    CHECK(strstr(err.text, "\"a\"") != NULL);
    p = write_file(dir, "list.json", "[\"a\"]", 0600);
    CHECK_INT(siphon_auth_users_load(p, "example.com", &u, &err), SIPHON_EINVAL);
    /* missing file */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.json", dir);
    CHECK_INT(siphon_auth_users_load(missing, "example.com", &u, &err), SIPHON_EIO);
    CHECK(strstr(err.text, "none.json") != NULL);

    static const char *const names[] = {"plain.json", "ha1.json", "open.json",
                                        "group.json", "bad.json", "dup.json",
                                        "shape.json", "list.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char f[600];
        snprintf(f, sizeof f, "%s/%s", dir, names[i]);
        unlink(f);
    }
    rmdir(dir);
}

UNIT_TEST(auth_users_parse_userhash)
{
    siphon_auth_users *u = NULL;
    siphon_perr err;
    const char *j = "{\"alice\": \"secret\"}";
    CHECK_INT(siphon_auth_users_parse(j, strlen(j), "example.com", &u, &err), 0);
    if (!u)
        return;
    char h[SIPHON_AUTH_MAX_HEX + 1];
    siphon_str p[2] = {SIPHON_STR_LIT("alice"), SIPHON_STR_LIT("example.com")};
    siphon_auth_hash(SIPHON_AUTH_SHA256, p, 2, h);
    siphon_auth_secret s;
    CHECK_INT(siphon_auth_users_lookup(u, SIPHON_STR_LIT("example.com"),
                                       siphon_str_c(h), true, SIPHON_AUTH_SHA256, &s),
              0);
    CHECK_STR(siphon_str_make(s.username, s.username_len), "alice");
    CHECK_INT(s.kind, SIPHON_AUTH_SECRET_PASSWORD);
    CHECK_INT(siphon_auth_users_lookup(u, SIPHON_STR_LIT("example.com"),
                                       siphon_str_c(h), true, SIPHON_AUTH_MD5, &s),
              SIPHON_ENOENT);
    siphon_auth_users_free(u);
    CHECK_INT(siphon_auth_users_parse("{", 1, "r", &u, &err), SIPHON_EPARSE);
    CHECK(strstr(err.text, ":1:") != NULL);
}
