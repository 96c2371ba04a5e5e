/*
 * bench/parse_floor.c -- the floor row of the table: memchr() for every LF
 * of every message, in place (no copy, no allocation, no fields). It is
 * what "touching every byte once" costs on this machine; no parser can go
 * below it. Its checksum is the number of LFs and is not compared.
 */
#include <string.h>

#include "bench.h"

void init_floor(void)
{
}

const char *version_floor(void)
{
    return "floor: memchr for every LF";
}

uint64_t run_floor(const corpus *c)
{
    uint64_t lines = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *p = c->msg[i], *end = p + c->len[i];
        while (p < end) {
            const char *lf = memchr(p, '\n', (size_t)(end - p));
            if (!lf)
                break;
            lines++;
            p = lf + 1;
        }
    }
    return lines;
}

uint64_t check_floor(const corpus *c, bench_visit_fn *visit, void *arg)
{
    return run_floor(c);
}
