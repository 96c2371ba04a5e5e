/*
 * unit.h -- the C unit test framework: UNIT_TEST(name) { ... } registers a
 * test by constructor, CHECK* macros record failures and continue.
 * Data-driven tests read files relative to the repository root (the runner
 * changes there) and report a skip with unit_skip() when optional data is
 * absent.
 */
#ifndef SIPHON_UNIT_H
#define SIPHON_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void unit_fn(void);
void unit_register(const char *name, unit_fn *fn);
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void unit_skip(const char *why);
/* Read a whole file; returns malloc'd bytes (NUL-terminated, not counted in
 * *len) or NULL. */
char *unit_read_file(const char *path, size_t *len);

#define UNIT_TEST(name)                                                        \
    static void name(void);                                                    \
    __attribute__((constructor)) static void name##_register(void)             \
    {                                                                          \
        unit_register(#name, name);                                            \
    }                                                                          \
    static void name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                 \
    } while (0)

#define CHECK_INT(a, b)                                                        \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            unit_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, \
                      b_);                                                     \
    } while (0)

/* Compare a siphon_str (or anything with .p/.len) with a C string. */
#define CHECK_STR(s, c)                                                        \
    do {                                                                       \
        const char *c_ = (c);                                                  \
        size_t cl_ = strlen(c_);                                               \
        if ((s).len != cl_ || memcmp((s).p, c_, cl_) != 0)                     \
            unit_fail(__FILE__, __LINE__, "%s == \"%.*s\", expected \"%s\"",   \
                      #s, (int)(s).len, (s).p ? (s).p : "", c_);               \
    } while (0)

#endif
