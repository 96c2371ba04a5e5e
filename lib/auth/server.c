/*
 * server.c -- the digest server side: challenges with stateless nonces,
 * credential verification with nonce-count replay protection, and
 * Authentication-Info.
 *
 * RFC 3261 §22.1-§22.4 (401/407, one credential per realm, uri is the
 * Request-URI), RFC 7616 §3.3 (challenge, stale), §3.4 (verification),
 * §3.4.6 (uri mismatch: 400), §3.5 (Authentication-Info), §5.4-§5.5
 * (nonce construction, replay), RFC 8760 §2.3 (one challenge per
 * algorithm, in preference order).
 *
 * Nonces are stateless (RFC 7616 §3.3 suggests time-stamp ":" H(time-stamp
 * ":" ETag ":" secret)): 8 bytes of issue time in ms, 8 random bytes, and
 * the first 16 bytes of HMAC-SHA256(secret, label | time | random |
 * realm), base64url-encoded (43 characters). Any nonce this server issued
 * is recognised without storage, and its age gives "stale".
 *
 * Replay protection needs state, bounded here: a table of the nonces seen
 * with the highest nc accepted for each. When it is full the entry issued
 * first is dropped and the "floor" rises to its issue time; a nonce issued
 * at or before the floor that is not in the table may have been seen, so
 * it is answered stale (the client retries with a fresh nonce) rather
 * than trusted. Nothing is ever accepted twice.
 */
#include "auth_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_RAW 32      /* time(8) | random(8) | mac(16) */
#define NONCE_TEXT 43     /* base64url of 32 bytes, unpadded */
#define MAC_LEN 16

typedef struct replay_slot {
    uint8_t mac[MAC_LEN]; /* identifies the nonce */
    uint64_t issued;
    uint32_t nc;
    bool used;
} replay_slot;

struct siphon_auth_server {
    siphon_auth_server_config cfg;  /* realm/opaque/secret point below */
    char *realm;
    char *opaque;
    uint8_t *secret;
    replay_slot *slots;
    size_t nslots;
    uint64_t floor;                 /* highest issue time evicted */
    bool floor_set;
};

static const char *const result_names[] = {
    [SIPHON_AUTH_OK] = "ok",
    [SIPHON_AUTH_NO_CREDENTIALS] = "no-credentials",
    [SIPHON_AUTH_UNKNOWN_USER] = "unknown-user",
    [SIPHON_AUTH_BAD_RESPONSE] = "bad-response",
    [SIPHON_AUTH_BAD_NONCE] = "bad-nonce",
    [SIPHON_AUTH_STALE] = "stale",
    [SIPHON_AUTH_REPLAY] = "replay",
    [SIPHON_AUTH_MALFORMED] = "malformed",
};

const char *siphon_auth_result_name(siphon_auth_result r)
{
    if ((unsigned)r >= sizeof result_names / sizeof result_names[0])
        return "unknown";
    return result_names[r];
}

void siphon_auth_server_config_default(siphon_auth_server_config *c)
{
    memset(c, 0, sizeof *c);
    c->algos[0] = SIPHON_AUTH_SHA256;
    c->algos[1] = SIPHON_AUTH_MD5;
    c->nalgos = 2;
    c->qop = SIPHON_AUTH_QOP_AUTH;
    c->nonce_lifetime_ms = 300000;
    c->replay_slots = 1024;
}

static char *dupz(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

siphon_auth_server *siphon_auth_server_new(const siphon_auth_server_config *c,
                                           int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = SIPHON_EINVAL;
    if (!c || !c->realm || (c->secret && c->secret_len < 16) || !c->rng ||
        c->nalgos > SIPHON_AUTH__ALGO_COUNT ||
        (c->qop & ~(SIPHON_AUTH_QOP_AUTH | SIPHON_AUTH_QOP_AUTH_INT)) ||
        !*c->realm || strlen(c->realm) >= SIPHON_AUTH_MAX_NAME ||
        (c->opaque && strlen(c->opaque) >= SIPHON_AUTH_MAX_NAME))
        return NULL;
    /* a -sess A1 needs the cnonce, which only comes with a qop (RFC 2617
     * §3.2.2: no cnonce without qop) */
    for (size_t i = 0; i < c->nalgos; i++)
        if ((unsigned)c->algos[i] >= SIPHON_AUTH__ALGO_COUNT ||
            (siphon_auth_algo_is_sess(c->algos[i]) && !c->qop))
            return NULL;
    *err = SIPHON_ENOMEM;
    siphon_auth_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *c;
    if (!s->cfg.nalgos) {
        s->cfg.algos[0] = SIPHON_AUTH_SHA256;
        s->cfg.algos[1] = SIPHON_AUTH_MD5;
        s->cfg.nalgos = 2;
    }
    if (!s->cfg.nonce_lifetime_ms)
        s->cfg.nonce_lifetime_ms = 300000;
    s->nslots = c->replay_slots ? c->replay_slots : 1024;
    s->realm = dupz(c->realm);
    s->opaque = c->opaque ? dupz(c->opaque) : NULL;
    if (!c->secret)
        s->cfg.secret_len = 32;
    s->secret = malloc(s->cfg.secret_len);
    s->slots = calloc(s->nslots, sizeof *s->slots);
    if (!s->realm || (c->opaque && !s->opaque) || !s->secret || !s->slots) {
        siphon_auth_server_free(s);
        return NULL;
    }
    if (c->secret) {
        memcpy(s->secret, c->secret, c->secret_len);
    } else {
        /* a secret of this instance only: nonces die with it, so that the
         * replay table, which also dies with it, cannot be bypassed by
         * replaying across a restart */
        int rc = c->rng(c->rng_arg, s->secret, s->cfg.secret_len);
        if (rc) {
            *err = rc < 0 ? rc : SIPHON_EIO;
            siphon_auth_server_free(s);
            return NULL;
        }
    }
    s->cfg.realm = s->realm;
    s->cfg.opaque = s->opaque;
    s->cfg.secret = s->secret;
    *err = 0;
    return s;
}

void siphon_auth_server_free(siphon_auth_server *s)
{
    if (!s)
        return;
    free(s->realm);
    free(s->opaque);
    if (s->secret)
        OPENSSL_cleanse(s->secret, s->cfg.secret_len);
    free(s->secret);
    free(s->slots);
    free(s);
}

size_t siphon_auth_server_nchallenges(const siphon_auth_server *s)
{
    return s->cfg.nalgos;
}

/* ---- nonces ----------------------------------------------------------------- */

static int nonce_mac(const siphon_auth_server *s, const uint8_t *head,
                     uint8_t *mac)
{
    static const char label[] = "siphon digest nonce v1";
    uint8_t msg[sizeof label + 16 + SIPHON_AUTH_MAX_NAME];
    size_t rl = strlen(s->realm), n = 0;
    memcpy(msg, label, sizeof label);
    n += sizeof label;
    memcpy(msg + n, head, 16);
    n += 16;
    memcpy(msg + n, s->realm, rl);
    n += rl;
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned flen = 0;
    if (!HMAC(EVP_sha256(), s->secret, (int)s->cfg.secret_len, msg, n, full,
              &flen) || flen < MAC_LEN)
        return SIPHON_ENOMEM;
    memcpy(mac, full, MAC_LEN);
    return 0;
}

static int nonce_make(siphon_auth_server *s, uint64_t now_ms,
                      char out[NONCE_TEXT + 1])
{
    uint8_t raw[NONCE_RAW];
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)(now_ms >> (56 - 8 * i));
    int rc = s->cfg.rng(s->cfg.rng_arg, raw + 8, 8);
    if (rc)
        return rc < 0 ? rc : SIPHON_EIO;
    if ((rc = nonce_mac(s, raw, raw + 16)) != 0)
        return rc;
    auth_b64url_encode(raw, NONCE_RAW, out);
    return 0;
}

/* Check a nonce's MAC; gives its issue time and MAC. */
static bool nonce_check(const siphon_auth_server *s, siphon_str nonce,
                        uint64_t *issued, uint8_t *mac)
{
    uint8_t raw[NONCE_RAW], want[MAC_LEN];
    if (nonce.len != NONCE_TEXT ||
        auth_b64url_decode(nonce, raw, sizeof raw) != NONCE_RAW)
        return false;
    if (nonce_mac(s, raw, want) != 0 ||
        CRYPTO_memcmp(want, raw + 16, MAC_LEN) != 0)
        return false;
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = t << 8 | raw[i];
    *issued = t;
    memcpy(mac, raw + 16, MAC_LEN);
    return true;
}

static bool expired(const siphon_auth_server *s, uint64_t issued,
                    uint64_t now_ms)
{
    return now_ms > issued && now_ms - issued > s->cfg.nonce_lifetime_ms;
}

/* ---- replay table ------------------------------------------------------------ */

typedef enum { NC_OK, NC_REPLAY, NC_FORGOTTEN } nc_verdict;

/* Accept nc for the nonce (mac, issued) if it is above the last seen. */
static nc_verdict replay_check(siphon_auth_server *s, const uint8_t *mac,
                               uint64_t issued, uint32_t nc, uint64_t now_ms)
{
    replay_slot *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < s->nslots; i++) {
        replay_slot *r = &s->slots[i];
        if (!r->used || expired(s, r->issued, now_ms)) {
            /* an expired nonce is refused as stale anyway: reuse its slot,
             * raising the floor too, so that a clock that steps back
             * cannot revive it */
            if (r->used && (!s->floor_set || r->issued > s->floor)) {
                s->floor = r->issued;
                s->floor_set = true;
            }
            r->used = false;
            if (!free_slot)
                free_slot = r;
            continue;
        }
        if (memcmp(r->mac, mac, MAC_LEN) == 0) {
            if (nc <= r->nc)
                return NC_REPLAY;
            r->nc = nc;
            return NC_OK;
        }
        if (!oldest || r->issued < oldest->issued)
            oldest = r;
    }
    if (s->floor_set && issued <= s->floor)
        return NC_FORGOTTEN;
    if (!free_slot) {
        free_slot = oldest;
        if (!s->floor_set || oldest->issued > s->floor)
            s->floor = oldest->issued;
        s->floor_set = true;
        if (issued <= s->floor)
            return NC_FORGOTTEN;
    }
    memcpy(free_slot->mac, mac, MAC_LEN);
    free_slot->issued = issued;
    free_slot->nc = nc;
    free_slot->used = true;
    return NC_OK;
}

/* ---- challenges --------------------------------------------------------------- */

int siphon_auth_server_challenge(siphon_auth_server *s, size_t index,
                                 uint64_t now_ms, bool stale, siphon_buf *out)
{
    if (index >= s->cfg.nalgos)
        return SIPHON_EINVAL;
    char nonce[NONCE_TEXT + 1];
    int rc = nonce_make(s, now_ms, nonce);
    if (rc)
        return rc;
    rc = siphon_buf_append_c(out, "Digest realm=");
    if (!rc)
        rc = auth_append_quoted(out, siphon_str_c(s->realm));
    if (!rc)
        rc = siphon_buf_printf(out, ", nonce=\"%s\"", nonce);
    if (!rc && s->opaque) {
        rc = siphon_buf_append_c(out, ", opaque=");
        if (!rc)
            rc = auth_append_quoted(out, siphon_str_c(s->opaque));
    }
    if (!rc)
        rc = siphon_buf_printf(out, ", algorithm=%s",
                               siphon_auth_algo_name(s->cfg.algos[index]));
    if (!rc && s->cfg.qop) {
        /* auth first: clients that read one value take the cheap one */
        const char *q = s->cfg.qop == SIPHON_AUTH_QOP_AUTH ? "auth"
                        : s->cfg.qop == SIPHON_AUTH_QOP_AUTH_INT ? "auth-int"
                                                                 : "auth,auth-int";
        rc = siphon_buf_printf(out, ", qop=\"%s\"", q);
    }
    if (!rc && stale)
        rc = siphon_buf_append_c(out, ", stale=true");
    if (!rc && s->cfg.userhash)
        rc = siphon_buf_append_c(out, ", userhash=true");
    return rc;
}

int siphon_auth_server_add_challenges(siphon_auth_server *s, siphon_msgb *b,
                                      bool proxy, uint64_t now_ms, bool stale)
{
    siphon_str name = proxy ? SIPHON_STR_LIT("Proxy-Authenticate")
                            : SIPHON_STR_LIT("WWW-Authenticate");
    for (size_t i = 0; i < s->cfg.nalgos; i++) {
        char mem[512];
        siphon_buf v;
        siphon_buf_init_with(&v, mem, sizeof mem, SIPHON_AUTH_MAX_VALUE);
        int rc = siphon_auth_server_challenge(s, i, now_ms, stale, &v);
        if (!rc)
            rc = siphon_msgb_add(b, name, siphon_str_make(v.p, v.len));
        siphon_buf_free(&v);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- verification ------------------------------------------------------------- */

static siphon_auth_result done(siphon_auth_verdict *v, siphon_auth_result r,
                               const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static siphon_auth_result done(siphon_auth_verdict *v, siphon_auth_result r,
                               const char *fmt, ...)
{
    v->result = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof v->reason, fmt, ap);
    va_end(ap);
    return r;
}

static bool algo_offered(const siphon_auth_server *s, siphon_auth_algo a)
{
    for (size_t i = 0; i < s->cfg.nalgos; i++)
        if (s->cfg.algos[i] == a)
            return true;
    return false;
}

/* RFC 3261 §22.4 and RFC 7616 §3.4.6: the uri parameter names the
 * Request-URI. Equal text is the rule in practice; URIs that differ only
 * where §19.1.4 allows (case of the host, parameter order) also match. */
static bool uri_matches(siphon_arena *a, siphon_str given, siphon_str ruri)
{
    if (siphon_str_eq(given, ruri))
        return true;
    siphon_uri ug, ur;
    if (siphon_uri_parse(a, given.p, given.len, &ug, NULL) != 0 ||
        siphon_uri_parse(a, ruri.p, ruri.len, &ur, NULL) != 0)
        return false;
    return siphon_uri_equal(&ug, &ur);
}

static siphon_auth_result verify_digest(siphon_auth_server *s,
                                        const siphon_digest *d,
                                        siphon_arena *arena,
                                        const siphon_auth_request *req,
                                        siphon_auth_lookup_fn *lookup,
                                        void *lookup_arg, uint64_t now_ms,
                                        siphon_auth_verdict *v)
{
    /* §3.4: the parameters a digest-response must carry */
    if (!d->username.len)
        return done(v, SIPHON_AUTH_MALFORMED, "no username");
    if (!d->nonce.len)
        return done(v, SIPHON_AUTH_MALFORMED, "no nonce");
    if (!d->uri.len)
        return done(v, SIPHON_AUTH_MALFORMED, "no uri");
    if (!d->response.len)
        return done(v, SIPHON_AUTH_MALFORMED, "no response");
    if (!siphon_str_eq(d->realm, siphon_str_c(s->realm)))
        return done(v, SIPHON_AUTH_NO_CREDENTIALS, "realm \"%.*s\" is not \"%s\"",
                    (int)(d->realm.len > 64 ? 64 : d->realm.len),
                    d->realm.p ? d->realm.p : "", s->realm);
    if (!d->algo_known)
        return done(v, SIPHON_AUTH_MALFORMED, "unknown algorithm \"%.*s\"",
                    (int)(d->algorithm.len > 32 ? 32 : d->algorithm.len),
                    d->algorithm.p);
    if (!algo_offered(s, d->algo))
        return done(v, SIPHON_AUTH_MALFORMED, "algorithm %s was not offered",
                    siphon_auth_algo_name(d->algo));
    v->algo = d->algo;
    int qop = SIPHON_AUTH_QOP_NONE;
    if (d->qop.len) {
        qop = d->qop_mask;
        if (!qop)
            return done(v, SIPHON_AUTH_MALFORMED, "unknown qop \"%.*s\"",
                        (int)(d->qop.len > 32 ? 32 : d->qop.len), d->qop.p);
        if (!(qop & s->cfg.qop))
            return done(v, SIPHON_AUTH_MALFORMED, "qop %s was not offered",
                        qop == SIPHON_AUTH_QOP_AUTH ? "auth" : "auth-int");
        if (!d->cnonce.len || !d->has_nc)
            return done(v, SIPHON_AUTH_MALFORMED, "qop without cnonce and nc");
        if (d->nc == 0)
            return done(v, SIPHON_AUTH_MALFORMED, "nc is zero");
    } else if (s->cfg.qop) {
        /* RFC 7616 §3.4: qop is required when the challenge offered it */
        return done(v, SIPHON_AUTH_MALFORMED, "qop missing");
    }
    v->qop = qop;
    v->userhash = d->userhash;
    if (d->userhash && !s->cfg.userhash)
        return done(v, SIPHON_AUTH_MALFORMED, "userhash was not offered");
    if (!auth_copy(v->uri, sizeof v->uri, d->uri) ||
        !auth_copy(v->cnonce, sizeof v->cnonce, d->cnonce) ||
        !auth_copy(v->nonce, sizeof v->nonce, d->nonce))
        return done(v, SIPHON_AUTH_MALFORMED, "uri, cnonce or nonce too long");
    if (d->has_nc)
        auth_copy(v->nc, sizeof v->nc, d->nc_text);
    if (s->opaque && !siphon_str_eq(d->opaque, siphon_str_c(s->opaque)))
        return done(v, SIPHON_AUTH_MALFORMED, "opaque does not match");
    if (!uri_matches(arena, d->uri, req->ruri))
        return done(v, SIPHON_AUTH_MALFORMED,
                    "uri \"%.*s\" is not the Request-URI",
                    (int)(d->uri.len > 80 ? 80 : d->uri.len), d->uri.p);
    uint64_t issued;
    uint8_t mac[MAC_LEN];
    if (!nonce_check(s, d->nonce, &issued, mac))
        return done(v, SIPHON_AUTH_BAD_NONCE, "nonce was not issued here");
    size_t hexlen = siphon_auth_algo_hexlen(d->algo);
    if (!auth_is_hex(d->response, hexlen))
        return done(v, SIPHON_AUTH_MALFORMED, "response is not %zu hex digits",
                    hexlen);

    /* the user and the base HA1 */
    siphon_auth_secret sec;
    memset(&sec, 0, sizeof sec);
    if (d->username.len >= SIPHON_AUTH_MAX_NAME)
        return done(v, SIPHON_AUTH_MALFORMED, "username too long");
    if (!d->userhash)
        auth_copy(v->username, sizeof v->username, d->username);
    if (!lookup || lookup(lookup_arg, siphon_str_c(s->realm), d->username,
                          d->userhash, d->algo, &sec) != 0) {
        /* do the hashing anyway, so that an unknown name takes about as
         * long as a wrong password: no probing for names by timing */
        static const char zeros[] = "00000000000000000000000000000000"
                                    "00000000000000000000000000000000";
        char sink[SIPHON_AUTH_MAX_HEX + 1];
        siphon_auth_digest_in in = {
            .algo = d->algo, .ha1 = siphon_str_make(zeros, hexlen),
            .nonce = d->nonce, .cnonce = d->cnonce, .nc = d->nc_text,
            .qop = qop, .method = req->method, .uri = d->uri, .body = req->body,
        };
        (void)siphon_auth_digest(&in, sink);
        return done(v, SIPHON_AUTH_UNKNOWN_USER, "unknown user");
    }
    siphon_str user = d->username;
    if (d->userhash) {
        if (sec.username_len >= sizeof sec.username)
            return done(v, SIPHON_AUTH_UNKNOWN_USER, "bad lookup answer");
        user = siphon_str_make(sec.username, sec.username_len);
        auth_copy(v->username, sizeof v->username, user);
    }
    if (sec.len >= sizeof sec.value)
        return done(v, SIPHON_AUTH_UNKNOWN_USER, "bad lookup answer");
    char ha1[SIPHON_AUTH_MAX_HEX + 1];
    if (sec.kind == SIPHON_AUTH_SECRET_HA1) {
        siphon_str h = siphon_str_make(sec.value, sec.len);
        if (!auth_is_hex(h, hexlen))
            return done(v, SIPHON_AUTH_UNKNOWN_USER,
                        "stored HA1 is not %zu hex digits", hexlen);
        for (size_t i = 0; i < hexlen; i++) {
            char c = sec.value[i];
            ha1[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
        }
        ha1[hexlen] = '\0';
    } else {
        siphon_str p[3] = {user, siphon_str_c(s->realm),
                           siphon_str_make(sec.value, sec.len)};
        if (siphon_auth_hash(d->algo, p, 3, ha1) != 0)
            return done(v, SIPHON_AUTH_MALFORMED, "hash failed");
    }
    OPENSSL_cleanse(&sec, sizeof sec);
    memcpy(v->ha1, ha1, hexlen + 1);

    siphon_auth_digest_in in = {
        .algo = d->algo, .ha1 = siphon_str_make(ha1, hexlen),
        .nonce = d->nonce, .cnonce = d->cnonce, .nc = d->nc_text, .qop = qop,
        .method = req->method, .uri = d->uri, .body = req->body,
    };
    char want[SIPHON_AUTH_MAX_HEX + 1];
    if (siphon_auth_digest(&in, want) != 0)
        return done(v, SIPHON_AUTH_MALFORMED, "hash failed");
    bool good = auth_hex_equal(d->response, want, hexlen);
    OPENSSL_cleanse(ha1, sizeof ha1);
    if (!good)
        return done(v, SIPHON_AUTH_BAD_RESPONSE, "wrong response");
    /* §3.3: stale only once the response proved the password */
    if (expired(s, issued, now_ms))
        return done(v, SIPHON_AUTH_STALE, "nonce expired");
    if (qop != SIPHON_AUTH_QOP_NONE) {
        switch (replay_check(s, mac, issued, d->nc, now_ms)) {
        case NC_OK: break;
        case NC_REPLAY:
            return done(v, SIPHON_AUTH_REPLAY, "nc %08x already seen",
                        (unsigned)d->nc);
        case NC_FORGOTTEN:
            return done(v, SIPHON_AUTH_STALE,
                        "nonce dropped from the replay table");
        }
    }
    return done(v, SIPHON_AUTH_OK, "ok");
}

static void verdict_init(siphon_auth_verdict *v)
{
    memset(v, 0, sizeof *v);
}

siphon_auth_result siphon_auth_server_verify(siphon_auth_server *s,
                                             siphon_str value,
                                             const siphon_auth_request *req,
                                             siphon_auth_lookup_fn *lookup,
                                             void *lookup_arg, uint64_t now_ms,
                                             siphon_auth_verdict *v)
{
    verdict_init(v);
    char mem[2048];
    siphon_arena a;
    siphon_arena_init(&a, mem, sizeof mem);
    siphon_digest d;
    siphon_perr err;
    siphon_auth_result r;
    int rc = siphon_digest_parse(&a, value, SIPHON_AUTH_CREDENTIALS, &d, &err);
    if (rc == SIPHON_ENOENT)
        r = done(v, SIPHON_AUTH_NO_CREDENTIALS, "%s", err.text);
    else if (rc)
        r = done(v, SIPHON_AUTH_MALFORMED, "%s", rc == SIPHON_ENOMEM ? "out of memory" : err.text);
    else
        r = verify_digest(s, &d, &a, req, lookup, lookup_arg, now_ms, v);
    siphon_arena_free(&a);
    return r;
}

siphon_auth_result siphon_auth_server_verify_msg(siphon_auth_server *s,
                                                 siphon_msg *req, bool proxy,
                                                 siphon_auth_lookup_fn *lookup,
                                                 void *lookup_arg,
                                                 uint64_t now_ms,
                                                 siphon_auth_verdict *v)
{
    verdict_init(v);
    if (!siphon_msg_is_request(req))
        return done(v, SIPHON_AUTH_MALFORMED, "not a request");
    siphon_auth_request r = {siphon_msg_method(req), siphon_msg_ruri_str(req),
                             siphon_msg_body(req)};
    siphon_hdr_id id = proxy ? SIPHON_HDR_PROXY_AUTHORIZATION
                             : SIPHON_HDR_AUTHORIZATION;
    siphon_str realm = siphon_str_c(s->realm);
    siphon_auth_result res = done(v, SIPHON_AUTH_NO_CREDENTIALS,
                                  "no %s for realm \"%s\"",
                                  siphon_hdr_name(id), s->realm);
    for (long i = siphon_msg_hdr_next(req, id, 0); i >= 0;
         i = siphon_msg_hdr_next(req, id, (size_t)i + 1)) {
        const siphon_hdr *h = siphon_msg_hdr_at(req, (size_t)i);
        char mem[2048];
        siphon_arena a;
        siphon_arena_init(&a, mem, sizeof mem);
        siphon_digest d;
        siphon_perr err;
        int rc = siphon_digest_parse(&a, h->value, SIPHON_AUTH_CREDENTIALS,
                                     &d, &err);
        bool ours = rc == 0 && siphon_str_eq(d.realm, realm);
        if (rc != 0 && rc != SIPHON_ENOENT) {
            /* a field we cannot read may be the one for us: report it
             * unless a later field is ours */
            res = done(v, SIPHON_AUTH_MALFORMED, "%s: %s", siphon_hdr_name(id),
                       rc == SIPHON_ENOMEM ? "out of memory" : err.text);
        } else if (ours) {
            verdict_init(v);
            res = verify_digest(s, &d, &a, &r, lookup, lookup_arg, now_ms, v);
        }
        siphon_arena_free(&a);
        if (ours)
            return res;
    }
    return res;
}

int siphon_auth_server_info(siphon_auth_server *s,
                            const siphon_auth_verdict *v, siphon_str body,
                            bool nextnonce, uint64_t now_ms, siphon_buf *out)
{
    if (v->result != SIPHON_AUTH_OK)
        return SIPHON_EINVAL;
    size_t hexlen = siphon_auth_algo_hexlen(v->algo);
    siphon_auth_digest_in in = {
        .algo = v->algo, .ha1 = siphon_str_make(v->ha1, hexlen),
        .nonce = siphon_str_c(v->nonce), .cnonce = siphon_str_c(v->cnonce),
        .nc = siphon_str_c(v->nc), .qop = v->qop,
        .method = SIPHON_STR_NULL, .uri = siphon_str_c(v->uri), .body = body,
    };
    char rsp[SIPHON_AUTH_MAX_HEX + 1];
    int rc = siphon_auth_digest(&in, rsp);
    if (rc)
        return rc;
    if (v->qop != SIPHON_AUTH_QOP_NONE) {
        rc = siphon_buf_printf(out, "qop=%s, ", v->qop == SIPHON_AUTH_QOP_AUTH_INT
                                                    ? "auth-int" : "auth");
    }
    if (!rc)
        rc = siphon_buf_printf(out, "rspauth=\"%s\"", rsp);
    if (!rc && v->qop != SIPHON_AUTH_QOP_NONE) {
        rc = siphon_buf_append_c(out, ", cnonce=");
        if (!rc)
            rc = auth_append_quoted(out, siphon_str_c(v->cnonce));
        if (!rc)
            rc = siphon_buf_printf(out, ", nc=%s", v->nc);
    }
    if (!rc && nextnonce) {
        char nonce[NONCE_TEXT + 1];
        rc = nonce_make(s, now_ms, nonce);
        if (!rc)
            rc = siphon_buf_printf(out, ", nextnonce=\"%s\"", nonce);
    }
    return rc;
}
