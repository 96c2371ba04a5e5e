/*
 * bench/alloc_count.c -- LD_PRELOAD shim that counts heap allocations
 * (malloc, calloc, realloc) for "bench_parse --allocs". It forwards to
 * glibc's own entry points, so behaviour is unchanged; only the counter,
 * which bench_parse finds with dlsym(), is added. It is never linked into
 * the timed binary, so the timing runs pay nothing for it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

extern uint64_t bench_alloc_calls;
uint64_t bench_alloc_calls;

void *malloc(size_t n)
{
    bench_alloc_calls++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    bench_alloc_calls++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    bench_alloc_calls++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}
