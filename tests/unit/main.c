/*
 * main.c -- the unit test runner. Runs every registered test (or those
 * whose names contain argv[1]), one line each in TAP style, and ends with
 * "unit: N passed, N failed, N skipped".
 */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

typedef struct unit_case {
    const char *name;
    unit_fn *fn;
} unit_case;

static unit_case *cases;
static size_t ncases, capcases;
static int current_failures;
static const char *current_skip;

void unit_register(const char *name, unit_fn *fn)
{
    if (ncases == capcases) {
        capcases = capcases ? capcases * 2 : 64;
        cases = realloc(cases, capcases * sizeof *cases);
        if (!cases)
            abort();
    }
    cases[ncases].name = name;
    cases[ncases].fn = fn;
    ncases++;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "#   %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    current_failures++;
}

void unit_skip(const char *why)
{
    current_skip = why;
}

char *unit_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = 0;
    *len = n;
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const unit_case *)a)->name, ((const unit_case *)b)->name);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0, skipped = 0, n = 0;
    qsort(cases, ncases, sizeof *cases, by_name);
    for (size_t i = 0; i < ncases; i++) {
        if (filter && !strstr(cases[i].name, filter))
            continue;
        current_failures = 0;
        current_skip = NULL;
        cases[i].fn();
        n++;
        if (current_failures) {
            printf("not ok %d - %s\n", n, cases[i].name);
            failed++;
        } else if (current_skip) {
            printf("ok %d - %s # SKIP %s\n", n, cases[i].name, current_skip);
            skipped++;
        } else {
            printf("ok %d - %s\n", n, cases[i].name);
            passed++;
        }
        fflush(stdout);
    }
    printf("1..%d\n", n);
    /* the suite name lets tools/run-tests.sh tell builds apart */
    const char *suite = getenv("UNIT_SUITE");
    printf("%s: %d passed, %d failed, %d skipped\n", suite && *suite ? suite : "unit", passed,
           failed, skipped);
    free(cases);
    return failed ? 1 : 0;
}
