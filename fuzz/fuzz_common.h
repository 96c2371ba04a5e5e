/*
 * fuzz_common.h -- helpers shared by the fuzz harnesses (fuzz_*.c).
 *
 * The harnesses read every byte of every view the library hands out, so
 * that AddressSanitizer sees a view that points outside its message or into
 * freed memory even when nothing else would use it. An invariant that
 * breaks is reported on stderr (what broke, and the bytes involved) and
 * then abort()s, which every fuzzing engine and the replay driver treat as
 * a crash.
 *
 * Everything here is static inline so that each harness stays a single
 * translation unit (OSS-Fuzz's build.sh compiles them one by one).
 */
#ifndef SIPHON_FUZZ_COMMON_H
#define SIPHON_FUZZ_COMMON_H

#include <siphon/base.h>
#include <siphon/uri.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The libFuzzer entry point, also driven by replay_main.c and AFL++. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Written by fuzz_touch() so that the reads cannot be optimised away. */
static volatile uint32_t fuzz_sink;

/* Print len bytes to stderr, C-escaped, at most 4096 of them. */
static inline void fuzz_dump(const char *label, const void *p, size_t len)
{
    const unsigned char *s = p;
    size_t n = len > 4096 ? 4096 : len;
    fprintf(stderr, "---- %s (%zu bytes) ----\n", label, len);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\n')
            fputs("\\n\n", stderr);
        else if (c == '\r')
            fputs("\\r", stderr);
        else if (c == '\t')
            fputs("\\t", stderr);
        else if (c == '\\')
            fputs("\\\\", stderr);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    if (n < len)
        fputs("\n[... truncated]", stderr);
    fputs("\n---- end ----\n", stderr);
}

/* Report a broken invariant and abort. */
static inline __attribute__((noreturn, format(printf, 1, 2))) void
fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("siphon fuzz: INVARIANT FAILED: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/*
 * SIPHON_FUZZ_SKIP="id,id,..." turns the named checks (the [id] in their
 * failure messages) into no-ops, so that fuzzing can go on past a known,
 * reported bug until it is fixed. Never set it in make test.
 */
static inline bool fuzz_skipped(const char *id)
{
    static const char *skip;
    static bool init;
    if (!init) {
        skip = getenv("SIPHON_FUZZ_SKIP");
        init = true;
    }
    if (!skip)
        return false;
    size_t n = strlen(id);
    for (const char *p = skip; (p = strstr(p, id)) != NULL; p += n)
        if ((p == skip || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

/* True when the NUL-terminated text fits in its array (cap bytes). */
static inline bool fuzz_cstr_ok(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/*
 * Read every byte of a view. base.h: "p may be NULL only when len is 0",
 * so a NULL pointer with a length is a broken invariant in itself.
 */
static inline void fuzz_touch(siphon_str s)
{
    if (s.len == 0)
        return;
    if (s.p == NULL)
        fuzz_fail("siphon_str with p == NULL and len == %zu", s.len);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ (unsigned char)s.p[i]) * 16777619u;
    fuzz_sink ^= h;
}

static inline void fuzz_touch_cstr(const char *s)
{
    if (s)
        fuzz_touch(siphon_str_make(s, strlen(s)));
}

static inline void fuzz_touch_params(const siphon_params *ps)
{
    if (ps->n && !ps->v)
        fuzz_fail("siphon_params with n == %zu and v == NULL", ps->n);
    for (size_t i = 0; i < ps->n; i++) {
        fuzz_touch(ps->v[i].name);
        fuzz_touch(ps->v[i].value);
        if (!ps->v[i].has_value && ps->v[i].value.len)
            fuzz_fail("parameter without has_value carries a value");
        /* The lookup must find the first parameter of this name. */
        if (ps->v[i].name.len && ps->v[i].name.len < 64 &&
            !memchr(ps->v[i].name.p, '\0', ps->v[i].name.len)) {
            char name[64];
            memcpy(name, ps->v[i].name.p, ps->v[i].name.len);
            name[ps->v[i].name.len] = '\0';
            const siphon_param *f = siphon_params_find(ps, name);
            if (!f || f < ps->v || f > &ps->v[i])
                fuzz_fail("siphon_params_find(\"%s\") misses parameter %zu",
                          name, i);
        }
    }
}

static inline void fuzz_touch_uri(const siphon_uri *u)
{
    fuzz_touch(u->raw);
    fuzz_touch(u->scheme_name);
    fuzz_touch(u->user);
    fuzz_touch(u->password);
    fuzz_touch(u->host);
    fuzz_touch_params(&u->params);
    fuzz_touch_params(&u->headers);
    fuzz_touch(u->number);
    fuzz_touch(u->opaque);
    fuzz_sink ^= (uint32_t)u->scheme ^ (uint32_t)u->host_type ^ u->port ^
                 (uint32_t)u->has_user ^ (uint32_t)u->has_password ^
                 (uint32_t)u->has_port ^ (uint32_t)u->global;
}

/*
 * Decode the escapes of a view into a buffer of exactly in.len bytes (so
 * that ASan catches a decoder that writes past what the API promises).
 */
static inline void fuzz_unescape(siphon_str in)
{
    char *out = malloc(in.len ? in.len : 1);
    if (!out)
        abort();
    size_t out_len = (size_t)-1;
    int rc = siphon_uri_unescape(in, out, &out_len);
    if (rc != 0 && rc != SIPHON_EPARSE)
        fuzz_fail("siphon_uri_unescape returned %d (%s)", rc,
                  siphon_errname(rc));
    if (out_len > in.len)
        fuzz_fail("siphon_uri_unescape grew %zu bytes into %zu", in.len,
                  out_len);
    fuzz_touch(siphon_str_make(out, out_len));
    free(out);
}

/*
 * After a parse error: base.h promises rule is never NULL, and the text
 * must be a C string within its array.
 */
static inline void fuzz_check_perr(const siphon_perr *e, int rc,
                                   const char *what)
{
    if (e->rule == NULL)
        fuzz_fail("%s failed with %d (%s) but left siphon_perr.rule NULL",
                  what, rc, siphon_errname(rc));
    fuzz_touch_cstr(e->rule);
    fuzz_touch_cstr(e->header);
    if (!fuzz_cstr_ok(e->text, sizeof e->text))
        fuzz_fail("%s: siphon_perr.text is not NUL-terminated", what);
    fuzz_touch_cstr(e->text);
    fuzz_touch_cstr(siphon_strerror(rc));
    fuzz_touch_cstr(siphon_errname(rc));
}

#endif /* SIPHON_FUZZ_COMMON_H */
