/*
 * buf.c -- growable byte buffers with a ceiling.
 */
#include <siphon/base.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void siphon_buf_init(siphon_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->borrowed = false;
}

void siphon_buf_init_with(siphon_buf *b, char *mem, size_t cap, size_t max)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->max = max;
    b->borrowed = mem != NULL && cap > 0;
    if (!b->borrowed)
        b->p = NULL, b->cap = 0;
}

static int reserve(siphon_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return SIPHON_ETOOBIG;
    size_t need = b->len + extra + 1; /* keep room for a NUL terminator */
    if (b->max && need - 1 > b->max)
        return SIPHON_ETOOBIG;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p;
    if (b->borrowed) {
        /* leave the caller's storage: copy what is there to the heap */
        p = malloc(cap);
        if (p && b->len)
            memcpy(p, b->p, b->len);
    } else {
        p = realloc(b->p, cap);
    }
    if (!p)
        return SIPHON_ENOMEM;
    b->borrowed = false;
    b->p = p;
    b->cap = cap;
    return 0;
}

int siphon_buf_append(siphon_buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

int siphon_buf_append_str(siphon_buf *b, siphon_str s)
{
    return siphon_buf_append(b, s.p, s.len);
}

int siphon_buf_append_c(siphon_buf *b, const char *s)
{
    return siphon_buf_append(b, s, strlen(s));
}

int siphon_buf_append_uint(siphon_buf *b, uint64_t v, unsigned min_digits)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof tmp);
    while (n < min_digits && n < sizeof tmp)
        tmp[sizeof tmp - 1 - n++] = '0';
    return siphon_buf_append(b, tmp + sizeof tmp - n, n);
}

int siphon_buf_printf(siphon_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SIPHON_EINVAL;
    int rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *siphon_buf_take(siphon_buf *b, size_t *len)
{
    char *p = b->p;
    if (len)
        *len = b->len;
    if (b->borrowed || !p) {
        /* the caller gets heap memory it can free */
        p = malloc(b->len + 1);
        if (p) {
            if (b->len)
                memcpy(p, b->p, b->len);
            p[b->len] = 0;
        }
    }
    b->p = NULL;
    b->len = b->cap = 0;
    b->borrowed = false;
    return p;
}

void siphon_buf_free(siphon_buf *b)
{
    if (!b->borrowed)
        free(b->p);
    b->borrowed = false;
    b->p = NULL;
    b->len = b->cap = 0;
}
