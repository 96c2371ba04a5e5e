/*
 * siphon/base.h -- error codes, string views, arenas and the log hook.
 *
 * Everything in libsiphon builds on these few types. Errors are 0 or a
 * negative SIPHON_E* code. Text is passed around as siphon_str views
 * (pointer + length, never NUL-terminated on the wire side, may contain NUL).
 * Per-message data lives in a siphon_arena, which is freed in one go.
 */
#ifndef SIPHON_BASE_H
#define SIPHON_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

enum {
    SIPHON_OK = 0,
    SIPHON_ENOMEM = -1,    /* allocation failed */
    SIPHON_EINVAL = -2,    /* bad argument from the caller */
    SIPHON_EPARSE = -3,    /* input does not follow the grammar */
    SIPHON_EAGAIN = -4,    /* incomplete input: feed more bytes */
    SIPHON_ETOOBIG = -5,   /* input exceeds a configured limit */
    SIPHON_ENOENT = -6,    /* the item asked for is not present */
    SIPHON_ERANGE = -7,    /* a number is out of its allowed range */
    SIPHON_EVERSION = -8,  /* unsupported SIP version (answer 505) */
    SIPHON_EDUP = -9,      /* a header that must appear once appears twice */
    SIPHON_EIO = -10,      /* an operating-system call failed */
    SIPHON_ESTATE = -11,   /* operation not allowed in the current state */
    SIPHON_ETIMEDOUT = -12, /* a timer expired */
    SIPHON_ETLS = -13      /* TLS handshake or certificate verification failed */
};

/* Human-readable text for an error code; never NULL. */
const char *siphon_strerror(int err);
/* The symbolic name ("SIPHON_EPARSE") of an error code; never NULL. */
const char *siphon_errname(int err);

/*
 * Where and why input was refused: the byte offset (from the start of the
 * message or string parsed), the header it was in (NULL for the start line
 * or a standalone string), the ABNF rule that failed (RFC 3261 §25 names
 * where there is one) and a sentence for people.
 */
typedef struct siphon_perr {
    size_t offset;
    const char *header; /* static string, or NULL */
    const char *rule;   /* static string, never NULL after an error */
    char text[160];
} siphon_perr;

/* ---- string views ------------------------------------------------------ */

/*
 * A view of bytes owned by someone else (normally a siphon_msg, which is
 * immutable once parsed, so views into it stay valid for its lifetime).
 * p may be NULL only when len is 0.
 */
typedef struct siphon_str {
    const char *p;
    size_t len;
} siphon_str;

#define SIPHON_STR_NULL ((siphon_str){NULL, 0})
#define SIPHON_STR_LIT(s) ((siphon_str){(s), sizeof(s) - 1})

static inline siphon_str siphon_str_make(const char *p, size_t len)
{
    siphon_str s = {p, len};
    return s;
}
/* Views of a C string; NULL gives the empty view. */
siphon_str siphon_str_c(const char *s);
bool siphon_str_eq(siphon_str a, siphon_str b);
/* ASCII case-insensitive equality (RFC 3261 §7.3.1 header names, tokens). */
bool siphon_str_caseeq(siphon_str a, siphon_str b);
bool siphon_str_caseeq_c(siphon_str a, const char *c);
/*
 * Parse a decimal unsigned number that must fill the whole view.
 * Returns 0, SIPHON_EPARSE (empty or non-digit) or SIPHON_ERANGE (> max).
 */
int siphon_str_to_u64(siphon_str s, uint64_t max, uint64_t *out);

/* ---- arena ------------------------------------------------------------- */

/*
 * A bump allocator. Allocations are 8-byte aligned and live until
 * siphon_arena_free(). The first block may be supplied by the caller (for
 * example storage inline in the owning object) so that small workloads do
 * not call malloc at all.
 */
typedef struct siphon_arena_block siphon_arena_block;
typedef struct siphon_arena {
    char *cur;                 /* next free byte in the current block */
    char *end;                 /* end of the current block */
    siphon_arena_block *heap;  /* malloc'd blocks, newest first */
    size_t total;              /* bytes handed out, for statistics */
} siphon_arena;

/* Initialise with an optional first block (may be NULL/0). */
void siphon_arena_init(siphon_arena *a, void *first, size_t first_len);
/* Returns zeroed memory, or NULL when malloc fails. */
void *siphon_arena_alloc(siphon_arena *a, size_t n);
/* Slow path of siphon_arena_alloc_raw: a new block. */
void *siphon_arena_grow_(siphon_arena *a, size_t n);
/* The same without zeroing, for callers that fill every byte. */
static inline void *siphon_arena_alloc_raw(siphon_arena *a, size_t n)
{
    n = n ? (n + 7) & ~(size_t)7 : 8;
    if (!a->cur || (size_t)(a->end - a->cur) < n)
        return siphon_arena_grow_(a, n);
    void *p = a->cur;
    a->cur += n;
    a->total += n;
    return p;
}
/* Copy n bytes into the arena; returns NULL when malloc fails. */
char *siphon_arena_dup(siphon_arena *a, const void *p, size_t n);
/* Release every malloc'd block. The arena may be re-initialised after. */
void siphon_arena_free(siphon_arena *a);

/* ---- growable byte buffer ---------------------------------------------- */

/*
 * A byte buffer with a ceiling: appends fail with SIPHON_ETOOBIG rather than
 * grow past max (0 means no ceiling).
 */
typedef struct siphon_buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max;
    bool borrowed; /* p is the caller's storage: copied, never freed */
} siphon_buf;

void siphon_buf_init(siphon_buf *b, size_t max);
/* Start in caller storage (for example a stack array); the buffer moves to
 * the heap only if it outgrows it. siphon_buf_free() is still required. */
void siphon_buf_init_with(siphon_buf *b, char *mem, size_t cap, size_t max);
int siphon_buf_append(siphon_buf *b, const void *p, size_t n);
int siphon_buf_append_str(siphon_buf *b, siphon_str s);
int siphon_buf_append_c(siphon_buf *b, const char *s);
/* Append v in decimal, zero-padded to at least min_digits (status codes
 * are three digits). Cheaper than siphon_buf_printf on hot paths. */
int siphon_buf_append_uint(siphon_buf *b, uint64_t v, unsigned min_digits);
int siphon_buf_printf(siphon_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Give the bytes away: the caller frees the result. The buffer is reset. */
char *siphon_buf_take(siphon_buf *b, size_t *len);
void siphon_buf_free(siphon_buf *b);

/* ---- logging ----------------------------------------------------------- */

typedef enum siphon_log_level {
    SIPHON_LOG_ERROR = 0,
    SIPHON_LOG_WARN,
    SIPHON_LOG_INFO,
    SIPHON_LOG_DEBUG
} siphon_log_level;

/*
 * The library never prints. It hands log lines to this hook, which is NULL
 * (silent) by default. The hook is process-wide.
 */
typedef void siphon_log_fn(siphon_log_level level, const char *module,
                           const char *text, void *arg);
void siphon_log_set_hook(siphon_log_fn *fn, void *arg);
void siphon_log(siphon_log_level level, const char *module, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif /* SIPHON_BASE_H */
