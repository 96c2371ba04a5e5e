/*
 * replay_main.c -- run a fuzz harness over files, without a fuzzing engine.
 *
 *   fuzz_NAME_replay [-v] PATH...
 *
 * Linked with one fuzz_*.c instead of libFuzzer, so that the seed corpora
 * and every crash ever found (corpus/regress/) run as regression tests in
 * the sanitizer build, with gcc and without clang (DESIGN.md "Tests and
 * fuzzing layout"). A PATH is a file or a directory; directories are
 * walked recursively in sorted (strcmp) order so that runs are
 * reproducible. Names starting with '.' are skipped. Each file is read
 * into a heap buffer of exactly its size and fed to LLVMFuzzerTestOneInput
 * once, as libFuzzer does.
 *
 * Output: one line per failure ("FAIL path: why"), "-v" adds one line per
 * file before it runs, and the last line is
 *   fuzz-replay-NAME: N files
 * where NAME is the program name without "fuzz_" and "_replay" (msg, uri).
 * Exit status 0 when every path could be read and every input ran. A
 * crash or a broken invariant ends the process (abort or sanitizer
 * report): the file being run is printed first, and the non-zero exit is
 * the failure.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional hooks, present when the harness or a sanitizer defines them. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static const char *prog = "replay";
static char name[64] = "replay";
static int verbose;
static size_t nfiles, nfail;
static const char *current; /* the file being run, for crash reports */

/* Say which input was running when the process dies. Async-signal-safe. */
static void say_current(void)
{
    if (!current)
        return;
    static const char pre[] = "fuzz-replay: crashed on input ";
    ssize_t r = write(STDERR_FILENO, pre, sizeof pre - 1);
    r = write(STDERR_FILENO, current, strlen(current));
    r = write(STDERR_FILENO, "\n", 1);
    (void)r;
}

static void on_abort(int sig)
{
    say_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void fail(const char *path, const char *why)
{
    printf("FAIL %s: %s\n", path, why);
    nfail++;
}

/* Read a whole file into a buffer of exactly its size (1 byte if empty). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (!buf)
        return NULL;
    /* Exact size, so that a read one past the end is an ASan report. */
    char *exact = malloc(n ? n : 1);
    if (exact && n)
        memcpy(exact, buf, n);
    free(buf);
    *len = n;
    return exact;
}

static void run_file(const char *path)
{
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data) {
        fail(path, strerror(errno ? errno : EIO));
        return;
    }
    if (verbose) {
        printf("run %s (%zu bytes)\n", path, len);
        fflush(stdout);
    }
    current = path;
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    current = NULL;
    free(data);
    nfiles++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fail(path, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, not_hidden, by_name);
    if (n < 0) {
        fail(path, strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        size_t plen = strlen(path);
        size_t need = plen + 1 + strlen(ents[i]->d_name) + 1;
        char *child = malloc(need);
        if (!child) {
            fail(path, "out of memory");
        } else {
            snprintf(child, need, "%s%s%s", path,
                     plen && path[plen - 1] == '/' ? "" : "/",
                     ents[i]->d_name);
            run_path(child);
            free(child);
        }
        free(ents[i]);
    }
    free(ents);
}

/* "build/asan/fuzz-replay/fuzz_msg_replay" -> "msg" */
static void set_name(const char *argv0)
{
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    prog = base;
    if (strncmp(base, "fuzz_", 5) == 0)
        base += 5;
    size_t n = strlen(base);
    if (n > 7 && strcmp(base + n - 7, "_replay") == 0)
        n -= 7;
    if (n == 0 || n >= sizeof name)
        n = n ? sizeof name - 1 : 0;
    if (n == 0) {
        snprintf(name, sizeof name, "%s", "replay");
        return;
    }
    memcpy(name, base, n);
    name[n] = '\0';
}

int main(int argc, char **argv)
{
    set_name(argc > 0 ? argv[0] : "replay");
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines survive a crash */
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-v] PATH...\n", prog);
        return 2;
    }
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(say_current);
    signal(SIGABRT, on_abort);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);

    for (int i = first; i < argc; i++)
        run_path(argv[i]);
    printf("fuzz-replay-%s: %zu files\n", name, nfiles);
    return nfail ? 1 : 0;
}
