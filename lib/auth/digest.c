/*
 * digest.c -- the digest computations shared by server and client: the
 * algorithm registry, H() and the request digest, plus the small coding
 * helpers (hex, base64url, quoted-string) the other files use.
 *
 * RFC 7616 §3.2 (algorithms: MD5, SHA-256, SHA-512-256 and -sess),
 * §3.4.1 (response), §3.4.2 (A1, session A1), §3.4.3 (A2, auth-int),
 * §3.4.4 (userhash), §3.5 (rspauth: A2 without the method);
 * RFC 8760 §2 (the same for SIP).
 *
 * SHA-512-256 is FIPS 180-4 SHA-512/256 (its own initial value), as RFC
 * 7616 §3.2 says. The §3.9.2 example values of RFC 7616 were computed
 * with SHA-512 truncated to 256 bits instead (see test_auth.c); siphon
 * follows the normative text.
 */
#include "auth_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

/* ---- algorithms ----------------------------------------------------------- */

static const char *const algo_names[SIPHON_AUTH__ALGO_COUNT] = {
    [SIPHON_AUTH_MD5] = "MD5",
    [SIPHON_AUTH_MD5_SESS] = "MD5-sess",
    [SIPHON_AUTH_SHA256] = "SHA-256",
    [SIPHON_AUTH_SHA256_SESS] = "SHA-256-sess",
    [SIPHON_AUTH_SHA512_256] = "SHA-512-256",
    [SIPHON_AUTH_SHA512_256_SESS] = "SHA-512-256-sess",
};

const char *siphon_auth_algo_name(siphon_auth_algo a)
{
    if ((unsigned)a >= SIPHON_AUTH__ALGO_COUNT)
        return NULL;
    return algo_names[a];
}

int siphon_auth_algo_lookup(siphon_str name, siphon_auth_algo *out)
{
    for (int i = 0; i < SIPHON_AUTH__ALGO_COUNT; i++)
        if (siphon_str_caseeq_c(name, algo_names[i])) {
            *out = (siphon_auth_algo)i;
            return 0;
        }
    return SIPHON_ENOENT;
}

size_t siphon_auth_algo_hexlen(siphon_auth_algo a)
{
    return a >= SIPHON_AUTH_SHA256 ? 64 : 32;
}

bool siphon_auth_algo_is_sess(siphon_auth_algo a)
{
    return a == SIPHON_AUTH_MD5_SESS || a == SIPHON_AUTH_SHA256_SESS ||
           a == SIPHON_AUTH_SHA512_256_SESS;
}

static const EVP_MD *algo_md(siphon_auth_algo a)
{
    switch (a) {
    case SIPHON_AUTH_MD5:
    case SIPHON_AUTH_MD5_SESS: return EVP_md5();
    case SIPHON_AUTH_SHA256:
    case SIPHON_AUTH_SHA256_SESS: return EVP_sha256();
    case SIPHON_AUTH_SHA512_256:
    case SIPHON_AUTH_SHA512_256_SESS: return EVP_sha512_256();
    default: return NULL;
    }
}

/* ---- hashing -------------------------------------------------------------- */

int siphon_auth_hash(siphon_auth_algo a, const siphon_str *parts, size_t n,
                     char *out)
{
    const EVP_MD *md = algo_md(a);
    if (!md)
        return SIPHON_EINVAL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return SIPHON_ENOMEM;
    int ok = EVP_DigestInit_ex(ctx, md, NULL);
    for (size_t i = 0; ok && i < n; i++) {
        if (i > 0)
            ok = EVP_DigestUpdate(ctx, ":", 1);
        if (ok && parts[i].len)
            ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].len);
    }
    uint8_t dig[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (ok)
        ok = EVP_DigestFinal_ex(ctx, dig, &dlen);
    EVP_MD_CTX_free(ctx);
    if (!ok || dlen * 2 > SIPHON_AUTH_MAX_HEX)
        return SIPHON_ENOMEM;
    auth_hex(dig, dlen, out);
    return 0;
}

int siphon_auth_digest(const siphon_auth_digest_in *in, char *out)
{
    char ha1s[SIPHON_AUTH_MAX_HEX + 1], ha2[SIPHON_AUTH_MAX_HEX + 1];
    char hbody[SIPHON_AUTH_MAX_HEX + 1];
    siphon_str ha1 = in->ha1;
    int rc;
    if (siphon_auth_algo_is_sess(in->algo)) {
        /* §3.4.2: A1 = H(user:realm:pw) ":" nonce ":" cnonce */
        siphon_str p[3] = {in->ha1, in->nonce, in->cnonce};
        if ((rc = siphon_auth_hash(in->algo, p, 3, ha1s)) != 0)
            return rc;
        ha1 = siphon_str_c(ha1s);
    }
    /* §3.4.3: A2 = method ":" uri [":" H(body)]; §3.5 leaves method empty
     * for rspauth, which the join makes ":" uri. */
    if (in->qop == SIPHON_AUTH_QOP_AUTH_INT) {
        if ((rc = siphon_auth_hash(in->algo, &in->body, 1, hbody)) != 0)
            return rc;
        siphon_str p[3] = {in->method, in->uri, siphon_str_c(hbody)};
        rc = siphon_auth_hash(in->algo, p, 3, ha2);
    } else {
        siphon_str p[2] = {in->method, in->uri};
        rc = siphon_auth_hash(in->algo, p, 2, ha2);
    }
    if (rc != 0)
        return rc;
    if (in->qop == SIPHON_AUTH_QOP_NONE) {
        /* RFC 2069 compatibility (RFC 2617 §3.2.2.1) */
        siphon_str p[3] = {ha1, in->nonce, siphon_str_c(ha2)};
        return siphon_auth_hash(in->algo, p, 3, out);
    }
    siphon_str qop = in->qop == SIPHON_AUTH_QOP_AUTH_INT
                         ? SIPHON_STR_LIT("auth-int")
                         : SIPHON_STR_LIT("auth");
    siphon_str p[6] = {ha1, in->nonce, in->nc, in->cnonce, qop,
                       siphon_str_c(ha2)};
    return siphon_auth_hash(in->algo, p, 6, out);
}

int siphon_auth_rng_openssl(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    if (len > (size_t)0x7fffffff)
        return SIPHON_EINVAL;
    return RAND_bytes(buf, (int)len) == 1 ? 0 : SIPHON_EIO;
}

/* ---- coding helpers ------------------------------------------------------- */

void auth_perr(siphon_perr *err, size_t offset, const char *rule,
               const char *fmt, ...)
{
    if (!err)
        return;
    err->offset = offset;
    err->header = NULL;
    err->rule = rule;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
}

void auth_hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool auth_is_hex(siphon_str s, size_t len)
{
    if (s.len != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hexval((unsigned char)s.p[i]) < 0)
            return false;
    return true;
}

bool auth_hex_equal(siphon_str a, const char *b, size_t len)
{
    if (a.len != len || len > SIPHON_AUTH_MAX_HEX)
        return false;
    char low[SIPHON_AUTH_MAX_HEX];
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)a.p[i];
        low[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    return CRYPTO_memcmp(low, b, len) == 0;
}

static const char b64u[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t auth_b64url_encode(const uint8_t *p, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64u[v >> 18];
        out[o++] = b64u[(v >> 12) & 63];
        out[o++] = b64u[(v >> 6) & 63];
        out[o++] = b64u[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = b64u[v >> 18];
        out[o++] = b64u[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64u[v >> 18];
        out[o++] = b64u[(v >> 12) & 63];
        out[o++] = b64u[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64u_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long auth_b64url_decode(siphon_str s, uint8_t *out, size_t max)
{
    if (s.len % 4 == 1)
        return -1;
    size_t need = s.len / 4 * 3 + (s.len % 4 ? s.len % 4 - 1 : 0);
    if (need > max)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        int v = b64u_val((unsigned char)s.p[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* non-canonical trailing bits would let two spellings name one nonce */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

int auth_append_quoted(siphon_buf *b, siphon_str s)
{
    int rc = siphon_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; rc == 0 && i <= s.len; i++) {
        if (i == s.len || s.p[i] == '"' || s.p[i] == '\\') {
            if (i > run)
                rc = siphon_buf_append(b, s.p + run, i - run);
            if (rc == 0 && i < s.len)
                rc = siphon_buf_append(b, "\\", 1);
            run = i;
        }
    }
    return rc ? rc : siphon_buf_append(b, "\"", 1);
}

bool auth_copy(char *dst, size_t cap, siphon_str s)
{
    if (s.len >= cap || memchr(s.p ? s.p : "", '\0', s.len)) {
        dst[0] = '\0';
        return false;
    }
    if (s.len)
        memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return true;
}
