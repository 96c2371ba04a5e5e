/*
 * bench/bench_parse.c -- parser benchmark driver: siphon against libosip2,
 * sofia-sip and libre on the corpus from gen_corpus (see bench/README.md
 * and ../shared/reference/benchmarks.md, "Parser").
 *
 * Default run: load the corpus, pin to one CPU, verify every parser field
 * by field against the generator's values (untimed), one warm-up pass,
 * then N interleaved rounds (the order rotates each round) timing only the
 * parse loop with CLOCK_MONOTONIC; print the median msgs/s and MB/s. A
 * checksum mismatch is a failure (exit 1).
 *
 *   --only NAME   run one parser once, nothing else (for callgrind);
 *                 "none" loads the corpus and parses nothing
 *   --allocs      count heap allocations per message instead of timing
 *                 (run under LD_PRELOAD=build/bench/alloc_count.so)
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

typedef struct parser {
    const char *name;  /* as on the command line */
    void (*init)(void);
    uint64_t (*run)(const corpus *c);
    uint64_t (*check)(const corpus *c, bench_visit_fn *visit, void *arg);
    const char *(*version)(void);
    bool peer;         /* a parser we compare siphon with */
    bool floor;        /* the memchr floor: no checksum */
    /* results */
    bool selected;
    bool ok;           /* every checksum matched */
    uint64_t sum;
    size_t bad_msgs;   /* messages with at least one wrong field */
    double *times;
    double median;
} parser;

#define P(n, peer, floor) {#n, init_##n, run_##n, check_##n, version_##n, peer, floor, \
                           false, true, 0, 0, NULL, 0}
static parser parsers[] = {
#ifdef BENCH_WITH_SIPHON
    P(siphon, false, false),
#endif
    P(sofia, true, false),
    P(osip, true, false),
    P(re, true, false),
    P(floor, false, true),
};
#define NPARSERS (sizeof parsers / sizeof parsers[0])

/* ---- corpus loading ------------------------------------------------------ */

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int load_corpus(const char *path, corpus *c)
{
    size_t len;
    unsigned char *buf = (unsigned char *)slurp(path, &len);
    if (!buf) {
        fprintf(stderr, "bench_parse: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (len < BENCH_HDR_LEN || memcmp(buf, BENCH_MAGIC, 8) != 0) {
        fprintf(stderr, "bench_parse: %s is not a corpus file\n", path);
        return -1;
    }
    size_t n = get_u32(buf + 8);
    const char **msg = calloc(n ? n : 1, sizeof *msg);
    uint32_t *lens = calloc(n ? n : 1, sizeof *lens);
    if (!msg || !lens)
        return -1;
    size_t off = BENCH_HDR_LEN;
    for (size_t i = 0; i < n; i++) {
        if (off + 4 > len || off + 4 + get_u32(buf + off) > len) {
            fprintf(stderr, "bench_parse: %s is truncated at message %zu\n", path, i);
            return -1;
        }
        lens[i] = get_u32(buf + off);
        msg[i] = (const char *)buf + off + 4;
        off += 4 + lens[i];
    }
    c->total = c->n = n;
    c->msg = msg;
    c->len = lens;
    c->expected = get_u64(buf + 24);
    c->bytes = get_u64(buf + 16);
    c->exp = NULL;
    return 0;
}

/* corpus.expect: header line, then one TSV line per message. */
static int load_expect(const char *path, corpus *c)
{
    size_t len;
    char *buf = slurp(path, &len);
    if (!buf)
        return -1;
    bench_expect *e = calloc(c->total ? c->total : 1, sizeof *e);
    if (!e)
        return -1;
    char *line = buf, *next;
    size_t i = 0;
    for (; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#')
            continue;
        if (i >= c->total)
            break;
        char *col[12];
        int k = 0;
        for (char *p = line; k < 12;) {
            col[k++] = p;
            char *t = strchr(p, '\t');
            if (!t)
                break;
            *t = '\0';
            p = t + 1;
        }
        if (k != 12 || strtoul(col[0], NULL, 10) != i) {
            fprintf(stderr, "bench_parse: %s: bad line for message %zu\n", path, i);
            return -1;
        }
        bench_expect *x = &e[i];
        snprintf(x->form, sizeof x->form, "%s", col[1]);
        x->request = !(col[2][0] >= '0' && col[2][0] <= '9');
        if (x->request)
            x->method = bstr_c(col[2]);
        else
            x->status = atoi(col[2]);
        x->branch = bstr_c(col[3]);
        x->from_tag = bstr_c(col[4]);
        x->to_tag = bstr_c(col[5]);
        x->call_id = bstr_c(col[6]);
        x->cseq = strtoull(col[7], NULL, 10);
        x->cseq_method = bstr_c(col[8]);
        x->contact_user = bstr_c(col[9]);
        x->contact_host = bstr_c(col[10]);
        x->sum = strtoull(col[11], NULL, 10);
        i++;
    }
    if (i != c->total) {
        fprintf(stderr, "bench_parse: %s has %zu messages, the corpus %zu\n", path, i,
                c->total);
        return -1;
    }
    c->exp = e;
    return 0;
}

/* Use only the first n messages; recompute bytes and expected checksum. */
static void limit_corpus(corpus *c, size_t n)
{
    if (n >= c->total)
        return;
    c->n = n;
    c->bytes = 0;
    c->expected = 0;
    for (size_t i = 0; i < n; i++) {
        c->bytes += c->len[i];
        if (c->exp)
            c->expected += c->exp[i].sum;
    }
}

/* ---- field-by-field verification ----------------------------------------- */

typedef struct verify_ctx {
    const corpus *c;
    const char *name;
    size_t bad_msgs;
    size_t shown;
    size_t field_bad[10];
} verify_ctx;

static const char *const FIELD_NAMES[10] = {
    "parse", "method/status", "via_branch", "from_tag", "to_tag",
    "call_id", "cseq_number", "cseq_method", "contact_user", "contact_host",
};

static bool same(bstr a, bstr b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void show(verify_ctx *v, size_t idx, const bench_expect *x, int field,
                 bstr want, bstr got)
{
    if (v->shown++ >= 20)
        return;
    char start[16];
    if (x->request)
        snprintf(start, sizeof start, "%.*s", (int)x->method.n, x->method.p);
    else
        snprintf(start, sizeof start, "%d", x->status);
    fprintf(stderr,
            "  %s: message %zu [%s] %s (CSeq %" PRIu64 " %.*s): %s expected \"%.*s\" (%zu)"
            " got \"%.*s\" (%zu)\n",
            v->name, idx, x->form, start, x->cseq, (int)x->cseq_method.n, x->cseq_method.p,
            FIELD_NAMES[field], (int)want.n, want.p ? want.p : "", want.n,
            (int)(got.n > 200 ? 200 : got.n), got.p ? got.p : "", got.n);
}

static void visit(size_t idx, const bench_fields *f, void *arg)
{
    verify_ctx *v = arg;
    const bench_expect *x = &v->c->exp[idx];
    bool bad = false;
    char wbuf[24], gbuf[24];
#define CHECK_STR(k, want, got)                  \
    if (!same(want, got)) {                      \
        v->field_bad[k]++;                       \
        show(v, idx, x, k, want, got);           \
        bad = true;                              \
    }
    if (!f->parsed) {
        v->field_bad[0]++;
        show(v, idx, x, 0, bstr_c("parsed"), bstr_c("rejected"));
        v->bad_msgs++;
        return;
    }
    if (x->request != f->request || (x->request && !same(x->method, f->method)) ||
        (!x->request && x->status != f->status)) {
        v->field_bad[1]++;
        snprintf(wbuf, sizeof wbuf, "%d", x->status);
        snprintf(gbuf, sizeof gbuf, "%d", f->status);
        show(v, idx, x, 1, x->request ? x->method : bstr_c(wbuf),
             f->request ? f->method : bstr_c(gbuf));
        bad = true;
    }
    CHECK_STR(2, x->branch, f->branch)
    CHECK_STR(3, x->from_tag, f->from_tag)
    CHECK_STR(4, x->to_tag, f->to_tag)
    CHECK_STR(5, x->call_id, f->call_id)
    if (x->cseq != f->cseq) {
        v->field_bad[6]++;
        snprintf(wbuf, sizeof wbuf, "%" PRIu64, x->cseq);
        snprintf(gbuf, sizeof gbuf, "%" PRIu64, f->cseq);
        show(v, idx, x, 6, bstr_c(wbuf), bstr_c(gbuf));
        bad = true;
    }
    CHECK_STR(7, x->cseq_method, f->cseq_method)
    CHECK_STR(8, x->contact_user, f->contact_user)
    CHECK_STR(9, x->contact_host, f->contact_host)
#undef CHECK_STR
    if (bad)
        v->bad_msgs++;
}

/* Returns the number of messages with a wrong field. */
static size_t verify(parser *p, const corpus *c)
{
    verify_ctx v = {.c = c, .name = p->name};
    uint64_t sum = p->check(c, visit, &v);
    if (v.bad_msgs) {
        fprintf(stderr, "%s: %zu of %zu messages differ from the generator (", p->name,
                v.bad_msgs, c->n);
        const char *sep = "";
        for (int k = 0; k < 10; k++)
            if (v.field_bad[k]) {
                fprintf(stderr, "%s%s %zu", sep, FIELD_NAMES[k], v.field_bad[k]);
                sep = ", ";
            }
        fprintf(stderr, ")\n");
    }
    if (sum != c->expected && !v.bad_msgs)
        fprintf(stderr, "%s: checksum %" PRIu64 " != expected %" PRIu64
                        " although every field matched\n", p->name, sum, c->expected);
    return v.bad_msgs + (sum != c->expected && !v.bad_msgs);
}

/* ---- timing ---------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 1234567.8 -> "1,234,568" */
static const char *grouped(double v, char *buf, size_t cap)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%.0f", v);
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

static parser *find(const char *name)
{
    for (size_t i = 0; i < NPARSERS; i++)
        if (!strcmp(parsers[i].name, name))
            return &parsers[i];
    return NULL;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_parse [--corpus FILE] [--expect FILE] [--rounds N] [--count N]\n"
            "                   [--only NAME|none] [--allocs] [--cpu N|--no-pin]\n"
            "                   [--no-verify] [--tsv FILE] [--list]\n"
            "parsers:");
    for (size_t i = 0; i < NPARSERS; i++)
        fprintf(stderr, " %s", parsers[i].name);
    fprintf(stderr, "\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *corpus_path = "build/bench/corpus.bin", *expect_path = NULL;
    const char *only = NULL, *tsv = NULL;
    int rounds = 9, cpu = 0;
    size_t count = (size_t)-1;
    bool do_verify = true, allocs = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--corpus") && val)
            corpus_path = argv[++i];
        else if (!strcmp(a, "--expect") && val)
            expect_path = argv[++i];
        else if (!strcmp(a, "--rounds") && val)
            rounds = atoi(argv[++i]);
        else if (!strcmp(a, "--count") && val)
            count = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--only") && val)
            only = argv[++i];
        else if (!strcmp(a, "--cpu") && val)
            cpu = atoi(argv[++i]);
        else if (!strcmp(a, "--no-pin"))
            cpu = -1;
        else if (!strcmp(a, "--no-verify"))
            do_verify = false;
        else if (!strcmp(a, "--allocs"))
            allocs = true;
        else if (!strcmp(a, "--tsv") && val)
            tsv = argv[++i];
        else if (!strcmp(a, "--list")) {
            for (size_t k = 0; k < NPARSERS; k++)
                printf("%s\t%s\n", parsers[k].name, parsers[k].version());
            return 0;
        } else
            usage();
    }
    if (rounds < 1)
        usage();

    corpus c;
    if (load_corpus(corpus_path, &c) != 0)
        return 2;
    char def_expect[4096];
    if (!expect_path) {
        snprintf(def_expect, sizeof def_expect, "%s", corpus_path);
        char *dot = strrchr(def_expect, '.');
        if (dot && !strchr(dot, '/'))
            *dot = '\0';
        strncat(def_expect, ".expect", sizeof def_expect - strlen(def_expect) - 1);
        expect_path = def_expect;
    }
    if (load_expect(expect_path, &c) != 0) {
        if (count != (size_t)-1 && count < c.total) {
            fprintf(stderr, "bench_parse: --count needs %s\n", expect_path);
            return 2;
        }
        do_verify = false;
    }
    if (c.exp && count == (size_t)-1) {
        uint64_t s = 0;
        for (size_t i = 0; i < c.total; i++)
            s += c.exp[i].sum;
        if (s != c.expected) {
            fprintf(stderr, "bench_parse: %s does not belong to %s (checksums differ)\n",
                    expect_path, corpus_path);
            return 2;
        }
    }
    limit_corpus(&c, count);

    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            fprintf(stderr, "bench_parse: cannot pin to CPU %d: %s (continuing)\n", cpu,
                    strerror(errno));
    }

    /* --only: one pass of one parser, nothing else (callgrind). */
    if (only) {
        if (!strcmp(only, "none")) {
            printf("none: %zu messages loaded, nothing parsed\n", c.n);
            return 0;
        }
        parser *p = find(only);
        if (!p)
            usage();
        p->init();
        uint64_t sum = p->run(&c);
        bool ok = p->floor || sum == c.expected;
        printf("%s: %zu messages, checksum %" PRIu64 " (expected %" PRIu64 ") %s\n", p->name,
               c.n, sum, c.expected, p->floor ? "n/a" : ok ? "ok" : "MISMATCH");
        return ok ? 0 : 1;
    }

    for (size_t i = 0; i < NPARSERS; i++)
        parsers[i].init();

    /* --allocs: heap allocations per message, counted by the preload shim. */
    if (allocs) {
        uint64_t *counter = dlsym(RTLD_DEFAULT, "bench_alloc_calls");
        if (!counter) {
            fprintf(stderr, "bench_parse: --allocs needs LD_PRELOAD=.../alloc_count.so\n");
            return 2;
        }
        FILE *out = tsv ? fopen(tsv, "w") : NULL;
        for (size_t i = 0; i < NPARSERS; i++) {
            parser *p = &parsers[i];
            p->run(&c); /* lazy one-off set-up is not per-message work */
            uint64_t before = *counter;
            p->run(&c);
            double per = (double)(*counter - before) / (double)c.n;
            printf("%-8s %8.1f allocations/msg\n", p->name, per);
            if (out)
                fprintf(out, "%s\t%.1f\n", p->name, per);
        }
        if (out)
            fclose(out);
        return 0;
    }

    printf("corpus: %zu messages, %.2f MB (mean %.1f B), expected checksum %" PRIu64 "\n",
           c.n, (double)c.bytes / 1e6, (double)c.bytes / (double)c.n, c.expected);

    fflush(stdout);
    int failed = 0;
    if (do_verify) {
        for (size_t i = 0; i < NPARSERS; i++) {
            parser *p = &parsers[i];
            if (p->floor)
                continue;
            p->bad_msgs = verify(p, &c);
            if (p->bad_msgs) {
                p->ok = false;
                failed = 1;
            }
        }
    }

    /* warm-up, and the first checksum check */
    for (size_t i = 0; i < NPARSERS; i++) {
        parser *p = &parsers[i];
        p->sum = p->run(&c);
        if (!p->floor && p->sum != c.expected) {
            p->ok = false;
            failed = 1;
        }
        p->times = calloc((size_t)rounds, sizeof(double));
        if (!p->times)
            return 2;
    }

    for (int r = 0; r < rounds; r++) {
        for (size_t k = 0; k < NPARSERS; k++) {
            parser *p = &parsers[(k + (size_t)r) % NPARSERS];
            double t0 = now_s();
            uint64_t sum = p->run(&c);
            double t1 = now_s();
            p->times[r] = t1 - t0;
            if (sum != p->sum) {
                p->ok = false;
                failed = 1;
            }
        }
    }

    parser *fastest_peer = NULL, *siphon = find("siphon");
    for (size_t i = 0; i < NPARSERS; i++) {
        parser *p = &parsers[i];
        qsort(p->times, (size_t)rounds, sizeof(double), cmp_double);
        p->median = (rounds % 2) ? p->times[rounds / 2]
                                 : (p->times[rounds / 2 - 1] + p->times[rounds / 2]) / 2;
        if (p->peer && (!fastest_peer || p->median < fastest_peer->median))
            fastest_peer = p;
    }

    FILE *out = tsv ? fopen(tsv, "w") : NULL;
    if (tsv && !out)
        fprintf(stderr, "bench_parse: cannot write %s\n", tsv);
    printf("\nmedian of %d interleaved rounds, one core%s, parse loop only:\n\n", rounds,
           cpu >= 0 ? " (pinned)" : "");
    printf("| %-28s | %12s | %9s | %-14s |\n", "parser", "msgs/s", "MB/s", "checksum");
    printf("|------------------------------|-------------:|----------:|----------------|\n");
    for (size_t i = 0; i < NPARSERS; i++) {
        parser *p = &parsers[i];
        double mps = (double)c.n / p->median, mbs = (double)c.bytes / p->median / 1e6;
        char g[32];
        const char *ck = p->floor ? "n/a" : p->ok ? "ok" : "MISMATCH";
        printf("| %-28s | %12s | %9.1f | %-14s |\n", p->version(), grouped(mps, g, sizeof g),
               mbs, ck);
        if (out)
            fprintf(out, "%s\t%s\t%.0f\t%.1f\t%s\t%" PRIu64 "\t%" PRIu64 "\t%.6f\n", p->name,
                    p->version(), mps, mbs, ck, p->sum, c.expected, p->median);
    }
    if (out)
        fclose(out);
    if (siphon && fastest_peer)
        printf("\nsiphon / fastest peer (%s): %.2fx msgs/s\n", fastest_peer->version(),
               fastest_peer->median / siphon->median);
    for (size_t i = 0; i < NPARSERS; i++) {
        parser *p = &parsers[i];
        if (!p->floor && !p->ok)
            fprintf(stderr, "bench_parse: FAIL: %s: checksum %" PRIu64 ", expected %" PRIu64
                            "; %zu messages with a wrong field%s\n", p->name, p->sum,
                    c.expected, p->bad_msgs, p->bad_msgs ? " (listed above)" : "");
    }
    return failed;
}
