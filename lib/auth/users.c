/*
 * users.c -- the JSON users file a digest server looks passwords up in,
 * and the siphon_auth_lookup_fn over it.
 *
 * Two shapes per user, for one realm:
 *   {"alice": "secret"}                               plaintext password
 *   {"alice": {"ha1": {"MD5": "hex", "SHA-256": "hex"}}}
 *                                 HA1 = H(user:realm:password) per hash,
 *                                 so the file holds no password (RFC 7616
 *                                 §5.2: still password-equivalent)
 * plus {"alice": {"password": "secret"}}. The -sess algorithms use the
 * HA1 of their hash (RFC 7616 §3.4.2).
 *
 * This is the one function of lib/auth that touches the file system. It
 * refuses a file that group or others can read: it holds secrets.
 */
#include "auth_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (16u << 20)

/* HA1 slots: one per hash, indexed by algo >> 1. */
#define NHASH (SIPHON_AUTH__ALGO_COUNT / 2)

typedef struct user {
    char *name;
    char *password;                        /* NULL when only HA1s */
    char ha1[NHASH][SIPHON_AUTH_MAX_HEX + 1];  /* "" when absent */
} user;

struct siphon_auth_users {
    char *realm;
    user *v;
    size_t n;
};

void siphon_auth_users_free(siphon_auth_users *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->v[i].name);
        if (u->v[i].password) {
            OPENSSL_cleanse(u->v[i].password, strlen(u->v[i].password));
            free(u->v[i].password);
        }
    }
    if (u->v)
        OPENSSL_cleanse(u->v, u->n * sizeof *u->v);
    free(u->v);
    free(u->realm);
    free(u);
}

size_t siphon_auth_users_count(const siphon_auth_users *u)
{
    return u->n;
}

static char *dupz(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static int shape_err(siphon_perr *err, const char *src, const char *name,
                     const char *what)
{
    auth_perr(err, 0, "users-file", "%s: user \"%.40s\": %s", src, name, what);
    return SIPHON_EINVAL;
}

static int take_user(siphon_auth_users *u, const char *name, json_t *val,
                     const char *src, siphon_perr *err)
{
    user *us = &u->v[u->n];
    memset(us, 0, sizeof *us);
    if (!*name || strlen(name) >= SIPHON_AUTH_MAX_NAME)
        return shape_err(err, src, name, "empty or too long name");
    us->name = dupz(name);
    if (!us->name)
        return SIPHON_ENOMEM;
    u->n++; /* freed with the set from here on */
    json_t *pw = json_is_string(val) ? val : NULL;
    json_t *ha1 = NULL;
    if (json_is_object(val)) {
        pw = json_object_get(val, "password");
        ha1 = json_object_get(val, "ha1");
        if ((pw && !json_is_string(pw)) || (ha1 && !json_is_object(ha1)))
            return shape_err(err, src, name,
                             "\"password\" must be a string, \"ha1\" an object");
        if (!pw && !ha1)
            return shape_err(err, src, name, "needs \"password\" or \"ha1\"");
    } else if (!pw) {
        return shape_err(err, src, name,
                         "value must be a password string or an object");
    }
    if (pw) {
        if (json_string_length(pw) >= SIPHON_AUTH_MAX_NAME ||
            strlen(json_string_value(pw)) != json_string_length(pw))
            return shape_err(err, src, name, "password too long or has NUL");
        if (!(us->password = dupz(json_string_value(pw))))
            return SIPHON_ENOMEM;
    }
    const char *key;
    json_t *h;
    json_object_foreach(ha1, key, h) {
        siphon_auth_algo a;
        if (siphon_auth_algo_lookup(siphon_str_c(key), &a) != 0)
            return shape_err(err, src, name, "unknown algorithm in \"ha1\"");
        size_t hl = siphon_auth_algo_hexlen(a);
        if (!json_is_string(h) ||
            !auth_is_hex(siphon_str_make(json_string_value(h),
                                         json_string_length(h)), hl))
            return shape_err(err, src, name, "an HA1 is not a hex digest of the "
                                             "algorithm's length");
        char *dst = us->ha1[a >> 1];
        const char *s = json_string_value(h);
        for (size_t i = 0; i < hl; i++)
            dst[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
        dst[hl] = '\0';
    }
    return 0;
}

static int from_json(json_t *root, const char *realm, const char *src,
                     siphon_auth_users **out, siphon_perr *err)
{
    if (!json_is_object(root)) {
        auth_perr(err, 0, "users-file", "%s: the top level must be an object "
                  "of user names", src);
        return SIPHON_EINVAL;
    }
    siphon_auth_users *u = calloc(1, sizeof *u);
    if (!u)
        return SIPHON_ENOMEM;
    size_t n = json_object_size(root);
    u->v = calloc(n ? n : 1, sizeof *u->v);
    u->realm = dupz(realm ? realm : "");
    if (!u->v || !u->realm) {
        siphon_auth_users_free(u);
        return SIPHON_ENOMEM;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        int rc = take_user(u, key, val, src, err);
        if (rc) {
            siphon_auth_users_free(u);
            return rc;
        }
    }
    *out = u;
    return 0;
}

int siphon_auth_users_parse(const char *json, size_t len, const char *realm,
                            siphon_auth_users **out, siphon_perr *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        auth_perr(err, je.position > 0 ? (size_t)je.position : 0, "json",
                  "users JSON:%d:%d: %s", je.line, je.column, je.text);
        return SIPHON_EPARSE;
    }
    int rc = from_json(root, realm, "users JSON", out, err);
    json_decref(root);
    return rc;
}

int siphon_auth_users_load(const char *path, const char *realm,
                           siphon_auth_users **out, siphon_perr *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        auth_perr(err, 0, "users-file", "%s: %s", path, strerror(errno));
        return SIPHON_EIO;
    }
    /* fstat on the open file: no window between the check and the read */
    struct stat st;
    if (fstat(fd, &st) != 0) {
        auth_perr(err, 0, "users-file", "%s: %s", path, strerror(errno));
        close(fd);
        return SIPHON_EIO;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_FILE) {
        auth_perr(err, 0, "users-file", "%s: not a regular file of at most "
                  "16 MiB", path);
        close(fd);
        return SIPHON_EINVAL;
    }
    if (st.st_mode & 077) {
        auth_perr(err, 0, "users-file", "%s: readable or writable by group or "
                  "others (mode %04o); it holds passwords: chmod 600 it",
                  path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return SIPHON_EINVAL;
    }
    json_error_t je;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return SIPHON_ENOMEM;
    }
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root) {
        auth_perr(err, 0, "json", "%s:%d:%d: %s", path, je.line, je.column,
                  je.text);
        return SIPHON_EPARSE;
    }
    int rc = from_json(root, realm, path, out, err);
    json_decref(root);
    return rc;
}

int siphon_auth_users_lookup(void *arg, siphon_str realm, siphon_str username,
                             bool userhash, siphon_auth_algo algo,
                             siphon_auth_secret *out)
{
    siphon_auth_users *u = arg;
    if (!u || (unsigned)algo >= SIPHON_AUTH__ALGO_COUNT)
        return SIPHON_ENOENT;
    /* HA1s are only valid for the realm they were made for */
    bool same_realm = siphon_str_eq(realm, siphon_str_c(u->realm));
    for (size_t i = 0; i < u->n; i++) {
        user *us = &u->v[i];
        siphon_str name = siphon_str_c(us->name);
        if (userhash) {
            /* RFC 7616 §3.4.4: the client sent H(user:realm) */
            char h[SIPHON_AUTH_MAX_HEX + 1];
            siphon_str p[2] = {name, realm};
            if (siphon_auth_hash(algo, p, 2, h) != 0 ||
                !auth_hex_equal(username, h, strlen(h)))
                continue;
        } else if (!siphon_str_eq(name, username)) {
            continue;
        }
        memset(out, 0, sizeof *out);
        memcpy(out->username, us->name, name.len + 1);
        out->username_len = name.len;
        if (us->password) {
            out->kind = SIPHON_AUTH_SECRET_PASSWORD;
            out->len = strlen(us->password);
            memcpy(out->value, us->password, out->len + 1);
            return 0;
        }
        const char *h = us->ha1[algo >> 1];
        if (!*h || !same_realm)
            return SIPHON_ENOENT;
        out->kind = SIPHON_AUTH_SECRET_HA1;
        out->len = strlen(h);
        memcpy(out->value, h, out->len + 1);
        return 0;
    }
    return SIPHON_ENOENT;
}
