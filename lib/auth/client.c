/*
 * client.c -- the digest client side: choosing among the challenges of a
 * 401/407, answering them, and checking Authentication-Info.
 *
 * RFC 3261 §22.2 (UAC to UAS: 401, Authorization), §22.3 (proxy: 407,
 * Proxy-Authorization; one credentials field per realm challenged), RFC
 * 7616 §3.4 (credentials; nc counts requests per nonce, a new cnonce per
 * request), §3.3 (stale=true: retry with the new nonce, without asking
 * the user again), §3.4.4 (userhash), §3.5 (rspauth, nextnonce), RFC 8760
 * §2.4 (several challenges per realm, one per algorithm: the topmost
 * supported one; siphon takes the strongest unless told server_order).
 */
#include "auth_internal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REALMS 8

typedef struct realm_state {
    bool proxy;
    char realm[SIPHON_AUTH_MAX_NAME];
    char nonce[SIPHON_AUTH_MAX_NAME];
    char opaque[SIPHON_AUTH_MAX_NAME];
    bool has_opaque;
    siphon_auth_algo algo;
    int qop;                /* chosen: NONE, AUTH or AUTH_INT */
    bool userhash;
    uint32_t nc;            /* last nc sent with this nonce */
    bool answered;          /* credentials sent since the last challenge */
    /* the last request answered, for rspauth (§3.5) */
    bool sent;
    char sent_nonce[SIPHON_AUTH_MAX_NAME];
    char sent_cnonce[33];
    char sent_nc[9];
    int sent_qop;
    char *sent_uri;
} realm_state;

struct siphon_auth_client {
    siphon_auth_client_config cfg;
    char *username;
    char *password;
    realm_state realms[MAX_REALMS];
    size_t nrealms;
};

static char *dupz(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

int siphon_auth_client_set_credentials(siphon_auth_client *c,
                                       const char *username,
                                       const char *password)
{
    if (!username || !password || strlen(username) >= SIPHON_AUTH_MAX_NAME ||
        strlen(password) >= SIPHON_AUTH_MAX_NAME)
        return SIPHON_EINVAL;
    char *u = dupz(username), *p = dupz(password);
    if (!u || !p) {
        free(u);
        wipe_free(p);
        return SIPHON_ENOMEM;
    }
    free(c->username);
    wipe_free(c->password);
    c->username = u;
    c->password = p;
    for (size_t i = 0; i < c->nrealms; i++)
        c->realms[i].answered = false;
    return 0;
}

siphon_auth_client *siphon_auth_client_new(const siphon_auth_client_config *cfg,
                                           int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    if (!cfg || !cfg->rng) {
        *err = SIPHON_EINVAL;
        return NULL;
    }
    siphon_auth_client *c = calloc(1, sizeof *c);
    if (!c) {
        *err = SIPHON_ENOMEM;
        return NULL;
    }
    c->cfg = *cfg;
    if (!c->cfg.algo_mask)
        c->cfg.algo_mask = (1u << SIPHON_AUTH__ALGO_COUNT) - 1;
    *err = siphon_auth_client_set_credentials(c, cfg->username, cfg->password);
    if (*err) {
        siphon_auth_client_free(c);
        return NULL;
    }
    c->cfg.username = c->username;
    c->cfg.password = c->password;
    return c;
}

void siphon_auth_client_free(siphon_auth_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nrealms; i++)
        free(c->realms[i].sent_uri);
    free(c->username);
    wipe_free(c->password);
    free(c);
}

void siphon_auth_client_succeeded(siphon_auth_client *c)
{
    for (size_t i = 0; i < c->nrealms; i++)
        c->realms[i].answered = false;
}

size_t siphon_auth_client_count(const siphon_auth_client *c)
{
    return c->nrealms;
}

/* ---- challenges ----------------------------------------------------------- */

static bool has_nul(siphon_str s)
{
    return s.len && memchr(s.p, '\0', s.len) != NULL;
}

static bool usable(const siphon_auth_client *c, const siphon_digest *d)
{
    /* kept as C strings: a NUL (from a quoted-pair) cannot be kept */
    if (has_nul(d->realm) || has_nul(d->nonce) || has_nul(d->opaque))
        return false;
    if (!d->algo_known || !(c->cfg.algo_mask & (1u << d->algo)))
        return false;
    if (!d->nonce.len || d->nonce.len >= SIPHON_AUTH_MAX_NAME ||
        d->realm.len >= SIPHON_AUTH_MAX_NAME ||
        d->opaque.len >= SIPHON_AUTH_MAX_NAME)
        return false;
    /* a qop list of only unknown options leaves nothing we can answer */
    if (d->qop.len && !d->qop_mask)
        return false;
    /* -sess needs a cnonce, which is only sent with a qop */
    return !siphon_auth_algo_is_sess(d->algo) || d->qop_mask;
}

/* Hash strength: SHA-512-256 > SHA-256 > MD5; the -sess variant of a
 * hash ranks with it, and then the server's order decides (RFC 8760). */
static int strength(siphon_auth_algo a)
{
    return (int)a >> 1;
}

static int ch_rank(int r)
{
    return r == SIPHON_AUTH_CH_REJECTED ? 2 : r == SIPHON_AUTH_CH_NEW ? 1 : 0;
}

static realm_state *find_realm(siphon_auth_client *c, siphon_str realm,
                               bool proxy)
{
    for (size_t i = 0; i < c->nrealms; i++)
        if (c->realms[i].proxy == proxy &&
            siphon_str_eq(siphon_str_c(c->realms[i].realm), realm))
            return &c->realms[i];
    return NULL;
}

/* Take one chosen challenge; returns a siphon_auth_ch_result. */
static int take(siphon_auth_client *c, const siphon_digest *d, bool proxy)
{
    realm_state *st = find_realm(c, d->realm, proxy);
    int res = SIPHON_AUTH_CH_NEW;
    if (st) {
        if (d->stale)
            res = SIPHON_AUTH_CH_STALE;
        else if (st->answered)
            res = SIPHON_AUTH_CH_REJECTED;
    } else {
        if (c->nrealms == MAX_REALMS)
            return SIPHON_ETOOBIG;
        st = &c->realms[c->nrealms++];
        memset(st, 0, sizeof *st);
        st->proxy = proxy;
        auth_copy(st->realm, sizeof st->realm, d->realm);
    }
    if (!siphon_str_eq(siphon_str_c(st->nonce), d->nonce))
        st->nc = 0; /* §3.4: nc counts requests per nonce */
    auth_copy(st->nonce, sizeof st->nonce, d->nonce);
    st->has_opaque = d->opaque.p != NULL;
    auth_copy(st->opaque, sizeof st->opaque, d->opaque);
    st->algo = d->algo;
    /* auth when offered: auth-int only when it is all that is offered */
    st->qop = !d->qop.len ? SIPHON_AUTH_QOP_NONE
              : (d->qop_mask & SIPHON_AUTH_QOP_AUTH) ? SIPHON_AUTH_QOP_AUTH
                                                     : SIPHON_AUTH_QOP_AUTH_INT;
    st->userhash = d->userhash && !c->cfg.no_userhash;
    st->answered = false;
    return res;
}

/* Pick, per realm, the challenge to answer among n and take it. */
static int choose(siphon_auth_client *c, const siphon_digest *ch, size_t n,
                  bool proxy, siphon_perr *err)
{
    if (c->cfg.first_only && n > 1)
        n = 1; /* what SIPp 3.6.1 and sipsak do */
    int worst = -1;
    for (size_t i = 0; i < n; i++) {
        if (!usable(c, &ch[i]))
            continue;
        /* the strongest usable challenge of this realm, first on ties */
        bool best = true;
        for (size_t j = 0; j < n && best; j++) {
            if (j == i || !usable(c, &ch[j]) ||
                !siphon_str_eq(ch[j].realm, ch[i].realm))
                continue;
            int sj = strength(ch[j].algo), si = strength(ch[i].algo);
            if (c->cfg.server_order ? j < i : (sj > si || (sj == si && j < i)))
                best = false;
        }
        if (!best)
            continue;
        int r = take(c, &ch[i], proxy);
        if (r < 0) {
            auth_perr(err, 0, "challenge", "more than %d realms", MAX_REALMS);
            return r;
        }
        if (worst < 0 || ch_rank(r) > ch_rank(worst))
            worst = r;
    }
    if (worst < 0) {
        auth_perr(err, 0, "challenge", "no usable Digest challenge");
        return SIPHON_ENOENT;
    }
    return worst;
}

int siphon_auth_client_challenge(siphon_auth_client *c, siphon_str value,
                                 bool proxy, siphon_perr *err)
{
    char mem[2048];
    siphon_arena a;
    siphon_arena_init(&a, mem, sizeof mem);
    siphon_digest ch[SIPHON_AUTH_MAX_CHALLENGES];
    size_t n = 0;
    int rc = siphon_digest_parse_challenges(&a, value, ch, SIPHON_AUTH_MAX_CHALLENGES,
                                            &n, err);
    if (rc == 0)
        rc = choose(c, ch, n, proxy, err);
    siphon_arena_free(&a);
    return rc;
}

/*
 * RFC 8760 §2.3 puts one challenge per header field, so the choice spans
 * every field of a kind: gather them first, then choose once per kind.
 */
int siphon_auth_client_challenge_msg(siphon_auth_client *c, siphon_msg *resp,
                                     siphon_perr *err)
{
    static const siphon_hdr_id ids[2] = {SIPHON_HDR_WWW_AUTHENTICATE,
                                         SIPHON_HDR_PROXY_AUTHENTICATE};
    int worst = -1, rc = SIPHON_ENOENT;
    auth_perr(err, 0, "challenge", "no WWW-Authenticate or Proxy-Authenticate");
    for (int k = 0; k < 2; k++) {
        char mem[4096];
        siphon_arena a;
        siphon_arena_init(&a, mem, sizeof mem);
        siphon_digest ch[SIPHON_AUTH_MAX_CHALLENGES];
        size_t n = 0;
        int r = 0;
        for (long i = siphon_msg_hdr_next(resp, ids[k], 0); i >= 0 && r == 0;
             i = siphon_msg_hdr_next(resp, ids[k], (size_t)i + 1)) {
            const siphon_hdr *h = siphon_msg_hdr_at(resp, (size_t)i);
            r = siphon_digest_parse_challenges(&a, h->value, ch,
                                               SIPHON_AUTH_MAX_CHALLENGES, &n, err);
        }
        if (r == 0 && n > 0)
            r = choose(c, ch, n, k == 1, err);
        siphon_arena_free(&a);
        if (r >= 0 && n > 0) {
            if (worst < 0 || ch_rank(r) > ch_rank(worst))
                worst = r;
        } else if (r < 0 && (rc == SIPHON_ENOENT || r != SIPHON_ENOENT)) {
            rc = r;
        }
    }
    return worst >= 0 ? worst : rc;
}

/* ---- credentials ------------------------------------------------------------ */

static int ha1_of(const siphon_auth_client *c, const realm_state *st,
                  char *out)
{
    siphon_str p[3] = {siphon_str_c(c->username), siphon_str_c(st->realm),
                       siphon_str_c(c->password)};
    return siphon_auth_hash(st->algo, p, 3, out);
}

int siphon_auth_client_authorize(siphon_auth_client *c, size_t index,
                                 siphon_str method, siphon_str uri,
                                 siphon_str body, siphon_buf *out,
                                 bool *proxy)
{
    if (index >= c->nrealms)
        return SIPHON_EINVAL;
    realm_state *st = &c->realms[index];
    if (st->nc == UINT32_MAX)
        return SIPHON_ERANGE;
    uint8_t rnd[16];
    char cnonce[33], nc[9], ha1[SIPHON_AUTH_MAX_HEX + 1];
    char rsp[SIPHON_AUTH_MAX_HEX + 1], uh[SIPHON_AUTH_MAX_HEX + 1];
    int rc = c->cfg.rng(c->cfg.rng_arg, rnd, sizeof rnd);
    if (rc)
        return rc < 0 ? rc : SIPHON_EIO;
    auth_hex(rnd, sizeof rnd, cnonce);
    uint32_t next = st->nc + 1;
    snprintf(nc, sizeof nc, "%08x", (unsigned)next);
    if ((rc = ha1_of(c, st, ha1)) != 0)
        return rc;
    siphon_auth_digest_in in = {
        .algo = st->algo, .ha1 = siphon_str_c(ha1),
        .nonce = siphon_str_c(st->nonce), .cnonce = siphon_str_c(cnonce),
        .nc = siphon_str_c(nc), .qop = st->qop, .method = method, .uri = uri,
        .body = body,
    };
    rc = siphon_auth_digest(&in, rsp);
    OPENSSL_cleanse(ha1, sizeof ha1);
    if (rc)
        return rc;
    siphon_str user = siphon_str_c(c->username);
    if (st->userhash) {
        /* §3.4.4: username = H(unq(username) ":" unq(realm)) */
        siphon_str p[2] = {user, siphon_str_c(st->realm)};
        if ((rc = siphon_auth_hash(st->algo, p, 2, uh)) != 0)
            return rc;
        user = siphon_str_c(uh);
    }
    rc = siphon_buf_append_c(out, "Digest username=");
    if (!rc)
        rc = auth_append_quoted(out, user);
    if (!rc)
        rc = siphon_buf_append_c(out, ", realm=");
    if (!rc)
        rc = auth_append_quoted(out, siphon_str_c(st->realm));
    if (!rc)
        rc = siphon_buf_append_c(out, ", nonce=");
    if (!rc)
        rc = auth_append_quoted(out, siphon_str_c(st->nonce));
    if (!rc)
        rc = siphon_buf_append_c(out, ", uri=");
    if (!rc)
        rc = auth_append_quoted(out, uri);
    if (!rc)
        rc = siphon_buf_printf(out, ", response=\"%s\", algorithm=%s", rsp,
                               siphon_auth_algo_name(st->algo));
    if (!rc && st->qop != SIPHON_AUTH_QOP_NONE)
        rc = siphon_buf_printf(out, ", cnonce=\"%s\", qop=%s, nc=%s", cnonce,
                               st->qop == SIPHON_AUTH_QOP_AUTH_INT ? "auth-int"
                                                                   : "auth",
                               nc);
    if (!rc && st->has_opaque) {
        rc = siphon_buf_append_c(out, ", opaque=");
        if (!rc)
            rc = auth_append_quoted(out, siphon_str_c(st->opaque));
    }
    if (!rc && st->userhash)
        rc = siphon_buf_append_c(out, ", userhash=true");
    if (rc)
        return rc;
    char *u = malloc(uri.len + 1);
    if (!u)
        return SIPHON_ENOMEM;
    if (uri.len)
        memcpy(u, uri.p, uri.len);
    u[uri.len] = '\0';
    free(st->sent_uri);
    st->sent_uri = u;
    st->nc = next;
    st->answered = true;
    st->sent = true;
    memcpy(st->sent_nonce, st->nonce, sizeof st->nonce);
    memcpy(st->sent_cnonce, cnonce, sizeof cnonce);
    memcpy(st->sent_nc, nc, sizeof nc);
    st->sent_qop = st->qop;
    if (proxy)
        *proxy = st->proxy;
    return 0;
}

int siphon_auth_client_add_headers(siphon_auth_client *c, siphon_msgb *b,
                                   siphon_str method, siphon_str uri,
                                   siphon_str body)
{
    for (size_t i = 0; i < c->nrealms; i++) {
        char mem[512];
        siphon_buf v;
        siphon_buf_init_with(&v, mem, sizeof mem, 0);
        bool proxy = false;
        int rc = siphon_auth_client_authorize(c, i, method, uri, body, &v,
                                              &proxy);
        if (!rc)
            rc = siphon_msgb_add(b, proxy ? SIPHON_STR_LIT("Proxy-Authorization")
                                          : SIPHON_STR_LIT("Authorization"),
                                 siphon_str_make(v.p, v.len));
        siphon_buf_free(&v);
        if (rc)
            return rc;
    }
    return 0;
}

int siphon_auth_client_check_info(siphon_auth_client *c, size_t index,
                                  siphon_str value, siphon_str body,
                                  siphon_perr *err)
{
    if (index >= c->nrealms)
        return SIPHON_EINVAL;
    realm_state *st = &c->realms[index];
    if (!st->sent)
        return SIPHON_ESTATE;
    char mem[1024];
    siphon_arena a;
    siphon_arena_init(&a, mem, sizeof mem);
    siphon_digest d;
    int rc = siphon_digest_parse(&a, value, SIPHON_AUTH_INFO, &d, err);
    if (rc)
        goto out;
    rc = SIPHON_EINVAL;
    if ((d.cnonce.len && !siphon_str_eq(d.cnonce, siphon_str_c(st->sent_cnonce))) ||
        (d.has_nc && !siphon_str_eq(d.nc_text, siphon_str_c(st->sent_nc)))) {
        auth_perr(err, 0, "ainfo", "cnonce or nc differ from the request's");
        goto out;
    }
    if (d.rspauth.len) {
        char ha1[SIPHON_AUTH_MAX_HEX + 1], want[SIPHON_AUTH_MAX_HEX + 1];
        if ((rc = ha1_of(c, st, ha1)) != 0)
            goto out;
        siphon_auth_digest_in in = {
            .algo = st->algo, .ha1 = siphon_str_c(ha1),
            .nonce = siphon_str_c(st->sent_nonce),
            .cnonce = siphon_str_c(st->sent_cnonce),
            .nc = siphon_str_c(st->sent_nc), .qop = st->sent_qop,
            .method = SIPHON_STR_NULL, .uri = siphon_str_c(st->sent_uri),
            .body = body,
        };
        rc = siphon_auth_digest(&in, want);
        OPENSSL_cleanse(ha1, sizeof ha1);
        if (rc)
            goto out;
        if (!auth_hex_equal(d.rspauth, want, siphon_auth_algo_hexlen(st->algo))) {
            auth_perr(err, 0, "ainfo", "rspauth does not match");
            rc = SIPHON_EINVAL;
            goto out;
        }
    }
    if (d.nextnonce.len && d.nextnonce.len < SIPHON_AUTH_MAX_NAME) {
        /* §3.5: the next request uses nextnonce, nc from 1 */
        auth_copy(st->nonce, sizeof st->nonce, d.nextnonce);
        st->nc = 0;
    }
    rc = 0;
out:
    siphon_arena_free(&a);
    return rc;
}
