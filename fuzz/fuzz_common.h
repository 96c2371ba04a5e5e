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
#include <siphon/msg.h>
#include <siphon/uri.h>

#include <stdarg.h>
#include <stdbool.h>
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

/* ---- scripts (the state-machine harnesses) ------------------------------ */

/*
 * fuzz_dialog, fuzz_proxy and fuzz_txn read their input as a script: a
 * configuration byte, then opcodes with their operands. Bytes past the
 * end read as 0, so that every input is a complete script and a mutation
 * that cuts one short still drives the machine somewhere.
 */
typedef struct fuzz_script {
    const uint8_t *p;
    size_t len, pos;
    int ops; /* opcodes fuzz_op() has handed out */
} fuzz_script;

static inline void fuzz_script_init(fuzz_script *s, const uint8_t *data,
                                    size_t size)
{
    s->p = data;
    s->len = size;
    s->pos = 0;
    s->ops = 0;
}

static inline uint8_t fuzz_byte(fuzz_script *s)
{
    return s->pos < s->len ? s->p[s->pos++] : 0;
}

/* What fuzz_op() returns besides an opcode. */
enum {
    FUZZ_OP_END = -1, /* the script, or the budget of max_ops, is used up */
    FUZZ_OP_QUIT = -2 /* opcode 0xFF: stop and free what is live as it is */
};

/* The next opcode (0 ... 254), FUZZ_OP_END or FUZZ_OP_QUIT. The budget
 * bounds the time one input can take; trailing operands past it are
 * never read as opcodes. */
static inline int fuzz_op(fuzz_script *s, int max_ops)
{
    if (s->ops >= max_ops || s->pos >= s->len)
        return FUZZ_OP_END;
    s->ops++;
    uint8_t op = fuzz_byte(s);
    return op == 0xFF ? FUZZ_OP_QUIT : op;
}

/* SIPHON_FUZZ_TRACE set and not "0": the harness prints every op and
 * event on stderr. Read once, not for every input. */
static inline bool fuzz_tracing(void)
{
    static int on = -1;
    if (on < 0) {
        const char *tr = getenv("SIPHON_FUZZ_TRACE");
        on = tr && *tr && strcmp(tr, "0") != 0;
    }
    return on;
}

/* Under SIPHON_FUZZ_TRACE: the op about to run, at virtual time now. */
static inline void fuzz_trace_op(int op, uint64_t now)
{
    if (fuzz_tracing())
        fprintf(stderr, "op %d @%llu\n", op, (unsigned long long)now);
}

/* A message the harness built from one of its templates. One that does
 * not parse is a bug in the harness, reported under [id]. */
static inline siphon_msg *fuzz_parse_or_die(const char *id, const char *text,
                                            size_t n)
{
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msg_parse(text, n, NULL, &m, &err) < 0) {
        fuzz_dump("template", text, n);
        fuzz_fail("[%s] template does not parse: %s", id, err.text);
    }
    return m;
}

/* The message a harness put together with b, which is freed. One that
 * does not build is a bug in the harness, reported under [id]. */
static inline siphon_msg *fuzz_build_or_die(const char *id, const char *what,
                                            siphon_msgb *b)
{
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msgb_finish(b, &m, &err) < 0)
        fuzz_fail("[%s] %s does not build: %s", id, what, err.text);
    siphon_msgb_free(b);
    return m;
}

/*
 * Virtual time in a timer loop: d, the machine's next deadline, is due by
 * until. A deadline before *now is one the machine should have fired
 * already: reported under [id]. Moves *now to d; false (and *now as it
 * was) when d is not due.
 */
static inline bool fuzz_due(const char *id, uint64_t d, uint64_t until,
                            uint64_t *now)
{
    if (d > until)
        return false;
    if (d < *now)
        fuzz_fail("[%s] deadline %llu before now %llu", id,
                  (unsigned long long)d, (unsigned long long)*now);
    *now = d;
    return true;
}

/*
 * A tick at a due deadline fired `fired` timers: it must fire one at least
 * ([tick_id]), and all in all (*total) no more than limit ([storm_id]):
 * more is a timer that re-arms itself without time passing.
 */
static inline void fuzz_count_fired(const char *tick_id, const char *storm_id,
                                    int fired, unsigned long *total,
                                    unsigned long limit)
{
    if (fired < 1)
        fuzz_fail("[%s] tick at a due deadline fired %d", tick_id, fired);
    *total += (unsigned)fired;
    if (*total > limit)
        fuzz_fail("[%s] more than %lu timers fired", storm_id, limit);
}

#endif /* SIPHON_FUZZ_COMMON_H */
