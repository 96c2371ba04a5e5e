/*
 * siphon/auth.h -- HTTP digest authentication for SIP, both sides.
 *
 * RFC 3261 §22 (SIP's use of digest: 401/407, Authorization and
 * Proxy-Authorization, uri = Request-URI §22.4), RFC 7616 (digest with
 * SHA-256, SHA-512-256, -sess variants, qop auth/auth-int, userhash,
 * Authentication-Info), RFC 8760 (SIP: one challenge per algorithm, in
 * order of preference; the client picks the first it supports, which is
 * how siphon picks the strongest when the server orders them so).
 *
 * Sans-I/O: nothing here reads a clock, a socket or rand(). Time comes in
 * as now_ms, randomness from a siphon_auth_rng_fn. The one exception is
 * siphon_auth_users_load(), a loader the caller invokes on purpose.
 *
 * Hostile input is bounded: a header value longer than
 * SIPHON_AUTH_MAX_VALUE or with more than SIPHON_AUTH_MAX_PARAMS
 * parameters is refused with SIPHON_ETOOBIG (and a reason), before any
 * hashing happens.
 */
#ifndef SIPHON_AUTH_H
#define SIPHON_AUTH_H

#include <siphon/base.h>
#include <siphon/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ------------------------------------------------------------ */

#define SIPHON_AUTH_MAX_VALUE 4096    /* bytes in one header value */
#define SIPHON_AUTH_MAX_PARAMS 32     /* auth-params in one challenge/credential */
#define SIPHON_AUTH_MAX_CHALLENGES 16 /* challenges kept from one response */
#define SIPHON_AUTH_MAX_HEX 64        /* longest digest in hex (SHA-256) */
#define SIPHON_AUTH_MAX_NAME 256      /* username, realm, cnonce kept copied */

/* ---- algorithms and qop ------------------------------------------------ */

/* RFC 7616 §3.2 / §6.1 registry. Order: weakest hash first, so that a
 * larger value of (algo >> 1) is a stronger hash. */
typedef enum siphon_auth_algo {
    SIPHON_AUTH_MD5 = 0,
    SIPHON_AUTH_MD5_SESS,
    SIPHON_AUTH_SHA256,
    SIPHON_AUTH_SHA256_SESS,
    SIPHON_AUTH_SHA512_256,
    SIPHON_AUTH_SHA512_256_SESS,
    SIPHON_AUTH__ALGO_COUNT
} siphon_auth_algo;

/* "MD5", "SHA-256-sess", ...; NULL for an out-of-range value. */
const char *siphon_auth_algo_name(siphon_auth_algo a);
/* Case-insensitive lookup of an algorithm token. 0 or SIPHON_ENOENT. */
int siphon_auth_algo_lookup(siphon_str name, siphon_auth_algo *out);
/* Hex digits of the algorithm's digest: 32 or 64. */
size_t siphon_auth_algo_hexlen(siphon_auth_algo a);
/* True for the -sess variants (RFC 7616 §3.4.2 session A1). */
bool siphon_auth_algo_is_sess(siphon_auth_algo a);

/* qop values, as a bit mask where a list is meant. NONE is RFC 2069
 * compatibility (no qop): only used when a server offers no qop. */
enum {
    SIPHON_AUTH_QOP_NONE = 0,
    SIPHON_AUTH_QOP_AUTH = 1,
    SIPHON_AUTH_QOP_AUTH_INT = 2
};

/*
 * Hex digest (lowercase, NUL-terminated, into out[SIPHON_AUTH_MAX_HEX+1])
 * of the n parts joined by ':' -- the H(a:b:c) of RFC 7616 §3.4.
 * Returns 0 or SIPHON_ENOMEM (OpenSSL failed).
 */
int siphon_auth_hash(siphon_auth_algo a, const siphon_str *parts, size_t n,
                     char *out);

/*
 * The request digest of RFC 7616 §3.4.1 from its pieces. ha1 is the base
 * H(username:realm:password) (the -sess A1 is derived here); qop is
 * SIPHON_AUTH_QOP_NONE, _AUTH or _AUTH_INT; body is hashed for auth-int.
 * method empty gives the rspauth digest of Authentication-Info (§3.5,
 * A2 = ":" uri). nc is the 8-hex-digit text as sent. out as above.
 */
typedef struct siphon_auth_digest_in {
    siphon_auth_algo algo;
    siphon_str ha1;        /* hex */
    siphon_str nonce;
    siphon_str cnonce;
    siphon_str nc;
    int qop;
    siphon_str method;
    siphon_str uri;
    siphon_str body;
} siphon_auth_digest_in;
int siphon_auth_digest(const siphon_auth_digest_in *in, char *out);

/* ---- parsed digest values ---------------------------------------------- */

typedef enum siphon_auth_kind {
    SIPHON_AUTH_CHALLENGE = 0,  /* WWW-Authenticate, Proxy-Authenticate */
    SIPHON_AUTH_CREDENTIALS,    /* Authorization, Proxy-Authorization */
    SIPHON_AUTH_INFO            /* Authentication-Info (no scheme) */
} siphon_auth_kind;

/*
 * One digest challenge, credentials or Authentication-Info, with the
 * quoted-string values unquoted. Views point into the arena given to the
 * parser (which holds a copy of the value), not into the input.
 */
typedef struct siphon_digest {
    siphon_str scheme;        /* "Digest" (any case as written) */
    siphon_str realm;
    siphon_str nonce;
    siphon_str opaque;
    siphon_str domain;
    siphon_str algorithm;     /* as written; empty: MD5 (RFC 7616 §3.3) */
    siphon_auth_algo algo;    /* parsed; MD5 when absent */
    bool algo_known;          /* algorithm absent or one of the six */
    int qop_mask;             /* challenge: the offered list; credentials
                                 and info: the one qop chosen */
    siphon_str qop;           /* as written (unquoted) */
    bool stale;               /* challenge */
    bool userhash;            /* challenge: offered; credentials: used */
    siphon_str charset;
    /* credentials */
    siphon_str username;      /* from username, or decoded username* */
    bool username_star;       /* came from username* (RFC 8187) */
    siphon_str uri;
    siphon_str response;
    siphon_str cnonce;
    siphon_str nc_text;
    uint32_t nc;
    bool has_nc;
    /* Authentication-Info */
    siphon_str rspauth;
    siphon_str nextnonce;
    size_t nparams;
} siphon_digest;

/*
 * Parse one credentials value ("Digest username=..., ...") or one
 * Authentication-Info value. Returns 0, SIPHON_ENOENT (credentials of
 * another scheme: out->scheme is set), SIPHON_EPARSE or SIPHON_ETOOBIG
 * (err filled, offsets in value) or SIPHON_ENOMEM. A parameter given
 * twice is SIPHON_EPARSE (RFC 7616 §3.4: each at most once).
 */
int siphon_digest_parse(siphon_arena *a, siphon_str value,
                        siphon_auth_kind kind, siphon_digest *out,
                        siphon_perr *err);

/*
 * Parse a challenge field value, which may hold several challenges in a
 * comma list ("Digest realm=..., algorithm=SHA-256, Digest realm=...,
 * Basic realm=..."; RFC 7235 §4.1). Digest challenges are stored in
 * out[0..max) and counted in *n (which is not reset: call repeatedly over
 * every field); other schemes are skipped. More than max Digest challenges
 * is SIPHON_ETOOBIG. Errors as siphon_digest_parse().
 */
int siphon_digest_parse_challenges(siphon_arena *a, siphon_str value,
                                   siphon_digest *out, size_t max, size_t *n,
                                   siphon_perr *err);

/* ---- randomness -------------------------------------------------------- */

/* Fill buf with len unpredictable bytes. Returns 0 or a negative code. */
typedef int siphon_auth_rng_fn(void *arg, uint8_t *buf, size_t len);
/* A ready RNG over OpenSSL's RAND_bytes (arg unused), for callers that do
 * not need determinism. */
int siphon_auth_rng_openssl(void *arg, uint8_t *buf, size_t len);

/* ---- server ------------------------------------------------------------ */

typedef struct siphon_auth_server_config {
    const char *realm;              /* required */
    /* Challenge order = preference order (RFC 8760 §2.3). SIPp 3.6.1 and
     * sipsak read only the first challenge and know only MD5: put MD5
     * first for them. */
    siphon_auth_algo algos[SIPHON_AUTH__ALGO_COUNT];
    size_t nalgos;                  /* 0: SHA-256 then MD5 */
    int qop;                        /* mask offered; NONE: RFC 2069 style
                                       (not with -sess: no cnonce) */
    uint64_t nonce_lifetime_ms;     /* 0: 300000 (5 minutes) */
    const char *opaque;             /* NULL: no opaque */
    /* Nonce HMAC key, copied; >= 16 bytes. NULL: 32 bytes from rng, so
     * nonces (and the in-memory replay table) die with the server object.
     * A shared secret lets instances accept each other's nonces, but each
     * keeps its own replay table. */
    const uint8_t *secret;
    size_t secret_len;
    size_t replay_slots;            /* nonce-count table; 0: 1024 */
    bool userhash;                  /* offer userhash=true (§3.4.4) */
    siphon_auth_rng_fn *rng;        /* required: nonce uniqueness */
    void *rng_arg;
} siphon_auth_server_config;

/* Defaults: no realm or rng (the caller sets them), a random secret,
 * SHA-256 then MD5, qop=auth, 5 minute nonces, 1024 replay slots. */
void siphon_auth_server_config_default(siphon_auth_server_config *c);

typedef struct siphon_auth_server siphon_auth_server;

/* Returns NULL with *err set (SIPHON_EINVAL for a bad config, for example
 * a short secret, a missing realm or rng, a -sess algorithm without qop;
 * SIPHON_ENOMEM; the rng's error). */
siphon_auth_server *siphon_auth_server_new(const siphon_auth_server_config *c,
                                           int *err);
void siphon_auth_server_free(siphon_auth_server *s);

/* Number of challenges a 401/407 carries: one per configured algorithm. */
size_t siphon_auth_server_nchallenges(const siphon_auth_server *s);

/*
 * Append the index-th challenge value (without the header name) to out:
 * Digest realm, nonce (fresh, stateless: issued at now_ms), opaque,
 * algorithm, qop, stale=true when asked, userhash=true when configured.
 */
int siphon_auth_server_challenge(siphon_auth_server *s, size_t index,
                                 uint64_t now_ms, bool stale, siphon_buf *out);

/* Add every challenge to a 401 (WWW-Authenticate) or 407
 * (Proxy-Authenticate, proxy true) response being built. */
int siphon_auth_server_add_challenges(siphon_auth_server *s, siphon_msgb *b,
                                      bool proxy, uint64_t now_ms, bool stale);

/* What a password lookup gives back. */
typedef struct siphon_auth_secret {
    enum { SIPHON_AUTH_SECRET_PASSWORD, SIPHON_AUTH_SECRET_HA1 } kind;
    char value[SIPHON_AUTH_MAX_NAME];  /* password, or hex H(user:realm:pw) */
    size_t len;
    /* Userhash lookups: the real username, which A1 is made of. */
    char username[SIPHON_AUTH_MAX_NAME];
    size_t username_len;
} siphon_auth_secret;

/*
 * The credential lookup. username is as sent; with userhash it is the hex
 * H(username:realm) (RFC 7616 §3.4.4) and the callback fills
 * out->username with the real name. For HA1, give the base HA1 of algo's
 * hash (MD5 and MD5-sess share one). Returns 0, or SIPHON_ENOENT when the
 * user is unknown or has no secret usable with algo.
 */
typedef int siphon_auth_lookup_fn(void *arg, siphon_str realm,
                                  siphon_str username, bool userhash,
                                  siphon_auth_algo algo,
                                  siphon_auth_secret *out);

typedef enum siphon_auth_result {
    SIPHON_AUTH_OK = 0,
    SIPHON_AUTH_NO_CREDENTIALS, /* none for our realm: challenge (401/407) */
    SIPHON_AUTH_UNKNOWN_USER,   /* challenge again (do not reveal which) */
    SIPHON_AUTH_BAD_RESPONSE,   /* wrong password: challenge again */
    SIPHON_AUTH_BAD_NONCE,      /* forged, foreign or garbled nonce */
    SIPHON_AUTH_STALE,          /* right password, expired nonce:
                                   challenge with stale=true */
    SIPHON_AUTH_REPLAY,         /* nonce-count not above the last seen */
    SIPHON_AUTH_MALFORMED       /* answer 400 (RFC 7616 §3.4.6) */
} siphon_auth_result;

/* "ok", "no-credentials", ... ; never NULL. */
const char *siphon_auth_result_name(siphon_auth_result r);

/* The request a credential is checked against (RFC 3261 §22.4). */
typedef struct siphon_auth_request {
    siphon_str method;
    siphon_str ruri;    /* the Request-URI, as in the request line */
    siphon_str body;    /* for auth-int */
} siphon_auth_request;

typedef struct siphon_auth_verdict {
    siphon_auth_result result;
    char reason[160];             /* for people and logs */
    siphon_auth_algo algo;
    int qop;
    bool userhash;
    char username[SIPHON_AUTH_MAX_NAME];  /* the real name once known */
    /* kept for siphon_auth_server_info() */
    char ha1[SIPHON_AUTH_MAX_HEX + 1];    /* base HA1 */
    char nonce[SIPHON_AUTH_MAX_NAME];
    char cnonce[SIPHON_AUTH_MAX_NAME];
    char nc[9];
    char uri[1024];
} siphon_auth_verdict;

/*
 * Check one Authorization/Proxy-Authorization value against req. Checks
 * scheme, realm, algorithm and qop against the config, uri against the
 * Request-URI, the nonce's HMAC and age, the response (constant-time), and
 * the nonce-count (repeated or lower nc is a replay). Records nc on
 * success. A uri parameter of 1024 bytes or more, or a username or cnonce
 * of SIPHON_AUTH_MAX_NAME or more, is MALFORMED. Returns v->result.
 * A server object is not thread-safe (the replay table): one per thread,
 * or a lock around verify.
 */
siphon_auth_result siphon_auth_server_verify(siphon_auth_server *s,
                                             siphon_str value,
                                             const siphon_auth_request *req,
                                             siphon_auth_lookup_fn *lookup,
                                             void *lookup_arg, uint64_t now_ms,
                                             siphon_auth_verdict *v);

/*
 * The same over a parsed request: the Authorization (or, proxy true,
 * Proxy-Authorization) field whose realm is ours (RFC 3261 §22.3: one per
 * realm), with method, Request-URI and body taken from the message.
 */
siphon_auth_result siphon_auth_server_verify_msg(siphon_auth_server *s,
                                                 siphon_msg *req, bool proxy,
                                                 siphon_auth_lookup_fn *lookup,
                                                 void *lookup_arg,
                                                 uint64_t now_ms,
                                                 siphon_auth_verdict *v);

/*
 * Append an Authentication-Info value for a verified request (RFC 7616
 * §3.5): qop, rspauth, cnonce, nc, and nextnonce when asked. body is the
 * response body (auth-int). v must be a SIPHON_AUTH_OK verdict.
 */
int siphon_auth_server_info(siphon_auth_server *s,
                            const siphon_auth_verdict *v, siphon_str body,
                            bool nextnonce, uint64_t now_ms, siphon_buf *out);

/* ---- client ------------------------------------------------------------ */

typedef struct siphon_auth_client_config {
    const char *username;
    const char *password;
    /* Algorithms the client accepts (bit 1 << algo); 0: all six. A
     * first-only MD5 client (SIPp 3.6.1, sipsak) is emulated with
     * 1 << SIPHON_AUTH_MD5 and first_only. */
    unsigned algo_mask;
    bool first_only;        /* consider only the first Digest challenge */
    /* Take the topmost supported challenge of a realm, as RFC 8760 §2.4
     * says, instead of the strongest (the default: the same whenever the
     * server lists the strongest first, and safer when it does not). */
    bool server_order;
    bool no_userhash;       /* ignore userhash=true offers */
    siphon_auth_rng_fn *rng;  /* required: cnonces */
    void *rng_arg;
} siphon_auth_client_config;

typedef struct siphon_auth_client siphon_auth_client;

/* Returns NULL with *err set (SIPHON_EINVAL: no username, password or rng). */
siphon_auth_client *siphon_auth_client_new(const siphon_auth_client_config *c,
                                           int *err);
void siphon_auth_client_free(siphon_auth_client *c);
/* Change the credentials (after SIPHON_AUTH_CH_REJECTED, for example);
 * resets every realm's "answered" mark. */
int siphon_auth_client_set_credentials(siphon_auth_client *c,
                                       const char *username,
                                       const char *password);

/* What a 401/407 means for the client. */
typedef enum siphon_auth_ch_result {
    SIPHON_AUTH_CH_NEW = 0,    /* a new realm or nonce: answer it */
    SIPHON_AUTH_CH_STALE,      /* stale=true: retry, same password */
    SIPHON_AUTH_CH_REJECTED    /* this realm refused our answer (no
                                  stale): the password is wrong */
} siphon_auth_ch_result;

/*
 * Take the challenges of one header value (proxy: Proxy-Authenticate).
 * Per realm, keeps the strongest supported (SHA-512-256 > SHA-256 > MD5;
 * with server_order, the topmost supported; with first_only, the first
 * Digest challenge only) and its nonce; the nc
 * restarts at 1 on a new nonce. The choice is made within this one value:
 * to choose across several fields, join their values with ", " or use
 * siphon_auth_client_challenge_msg(). Returns a siphon_auth_ch_result (>= 0),
 * SIPHON_ENOENT (no usable Digest challenge) or a parse error.
 */
int siphon_auth_client_challenge(siphon_auth_client *c, siphon_str value,
                                 bool proxy, siphon_perr *err);

/* The same over every WWW-Authenticate and Proxy-Authenticate field of a
 * 401/407 response; the choice spans all the fields of a kind (RFC 8760
 * sends one challenge per field). The result is the "worst" over the
 * realms (REJECTED > NEW > STALE). */
int siphon_auth_client_challenge_msg(siphon_auth_client *c, siphon_msg *resp,
                                     siphon_perr *err);

/*
 * Tell the client that a request carrying credentials got a response
 * other than 401/407: the answers were good. A later challenge (a new
 * nonce when the old one expired, from a server that does not say stale)
 * is then NEW rather than REJECTED.
 */
void siphon_auth_client_succeeded(siphon_auth_client *c);

/* Realms currently held (each gives one credentials field). */
size_t siphon_auth_client_count(const siphon_auth_client *c);

/*
 * Append the credentials value for the index-th realm to out: a fresh
 * cnonce from the RNG, the next nc. *proxy tells which header it goes in
 * (Proxy-Authorization when true). Marks the realm answered.
 */
int siphon_auth_client_authorize(siphon_auth_client *c, size_t index,
                                 siphon_str method, siphon_str uri,
                                 siphon_str body, siphon_buf *out,
                                 bool *proxy);

/* Add one Authorization/Proxy-Authorization field per realm held to a
 * request being built. */
int siphon_auth_client_add_headers(siphon_auth_client *c, siphon_msgb *b,
                                   siphon_str method, siphon_str uri,
                                   siphon_str body);

/*
 * Check an Authentication-Info value (RFC 7616 §3.5) against the last
 * credentials sent for realm index: rspauth must match (mutual
 * authentication); a nextnonce replaces the nonce. body is the response
 * body. A value without rspauth proves nothing and is accepted (only its
 * nextnonce is taken). Returns 0, SIPHON_EINVAL (rspauth wrong or
 * cnonce/nc differ), SIPHON_ESTATE (nothing sent yet) or a parse error.
 */
int siphon_auth_client_check_info(siphon_auth_client *c, size_t index,
                                  siphon_str value, siphon_str body,
                                  siphon_perr *err);

/* ---- users file -------------------------------------------------------- */

typedef struct siphon_auth_users siphon_auth_users;

/*
 * Load a JSON users file for one realm: {"alice": "secret"} (a plaintext
 * password) or {"alice": {"ha1": {"MD5": "hex", "SHA-256": "hex",
 * "SHA-512-256": "hex"}}} (HA1 per hash for that realm), or
 * {"alice": {"password": "secret"}}. The file must not be readable by
 * group or others (stat mode & 077). Returns 0 with *out, or SIPHON_EIO
 * (cannot open/stat), SIPHON_EINVAL (permissions, wrong shape),
 * SIPHON_EPARSE (bad JSON: err->text names the file, line and column),
 * SIPHON_ENOMEM. err->text always names the file.
 */
int siphon_auth_users_load(const char *path, const char *realm,
                           siphon_auth_users **out, siphon_perr *err);
/* The same from a JSON text (no file or permission check). */
int siphon_auth_users_parse(const char *json, size_t len, const char *realm,
                            siphon_auth_users **out, siphon_perr *err);
void siphon_auth_users_free(siphon_auth_users *u);
size_t siphon_auth_users_count(const siphon_auth_users *u);
/* A siphon_auth_lookup_fn over a users set (arg is the siphon_auth_users). */
int siphon_auth_users_lookup(void *arg, siphon_str realm, siphon_str username,
                             bool userhash, siphon_auth_algo algo,
                             siphon_auth_secret *out);

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_AUTH_H */
