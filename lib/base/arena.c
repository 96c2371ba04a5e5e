/*
 * arena.c -- bump allocation for per-message data.
 *
 * Parsed messages allocate many small objects (header index, typed values,
 * parameter arrays) that all die together, so a bump allocator freed in one
 * go is both faster and simpler than individual frees.
 */
#include <siphon/base.h>

#include <stdlib.h>
#include <string.h>

struct siphon_arena_block {
    siphon_arena_block *next;
    size_t size;
    /* data follows, 8-byte aligned */
};

#define BLOCK_HDR ((sizeof(siphon_arena_block) + 7) & ~(size_t)7)
#define MIN_BLOCK 4096

void siphon_arena_init(siphon_arena *a, void *first, size_t first_len)
{
    a->heap = NULL;
    a->total = 0;
    if (first && first_len >= 8) {
        uintptr_t p = ((uintptr_t)first + 7) & ~(uintptr_t)7;
        a->cur = (char *)p;
        a->end = (char *)first + first_len;
    } else {
        a->cur = a->end = NULL;
    }
}

void *siphon_arena_alloc(siphon_arena *a, size_t n)
{
    void *p = siphon_arena_alloc_raw(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *siphon_arena_grow_(siphon_arena *a, size_t n)
{
    {
        size_t size = n > MIN_BLOCK / 2 ? n : MIN_BLOCK;
        /* grow block sizes with use so big messages need few mallocs */
        if (a->total > size)
            size = a->total < (1u << 20) ? a->total : (1u << 20);
        if (size < n)
            size = n;
        siphon_arena_block *b = malloc(BLOCK_HDR + size);
        if (!b)
            return NULL;
        b->next = a->heap;
        b->size = size;
        a->heap = b;
        a->cur = (char *)b + BLOCK_HDR;
        a->end = a->cur + size;
    }
    void *p = a->cur;
    a->cur += n;
    a->total += n;
    return p;
}

char *siphon_arena_dup(siphon_arena *a, const void *p, size_t n)
{
    char *d = siphon_arena_alloc_raw(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, p, n);
        d[n] = 0;
    }
    return d;
}

void siphon_arena_free(siphon_arena *a)
{
    siphon_arena_block *b = a->heap;
    while (b) {
        siphon_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->heap = NULL;
    a->cur = a->end = NULL;
    a->total = 0;
}
