/*
 * bench/bench_txn.c -- in-process server transaction throughput and the
 * memory of a live transaction (issue [2/8] item 8).
 *
 * Each transaction is what a UAS does with a request that arrives: parse
 * the datagram, match it (siphon_txn_receive creates the server
 * transaction), take the REQUEST event, make the response from the request
 * (RFC 3261 §8.2.6, siphon_msg_response, which prints and parses it), hand
 * it to the transaction, take the SEND event and copy
 * the response's bytes out as a transport would. Non-INVITE requests are
 * OPTIONS answered 200 (NIST -> COMPLETED, Timer J); INVITEs are answered
 * 200 (IST -> ACCEPTED, Timer L). UDP semantics: every 10,000
 * transactions the (virtual) clock moves on by 33 s and the layer's timers
 * fire, so Timers J and L end the transactions inside the timed loop, as
 * they would in a server running steadily, and the live set stays bounded.
 *
 * Memory per live transaction: the heap in use (mallinfo2) with N live
 * transactions, minus the heap in use when the same N requests and
 * responses are kept without any transaction layer -- so the shared,
 * reference-counted request and response are not counted, as the issue
 * asks.
 *
 *   bench_txn [--count N] [--rounds R] [--cpu C|--no-pin]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <siphon/msg.h>
#include <siphon/txn.h>

#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct reqs {
    char **text;
    size_t *len;
    size_t n;
} reqs;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Requests with unique branches, Call-IDs and tags, made before timing. */
static void make_reqs(reqs *r, size_t n, const char *method)
{
    r->text = calloc(n, sizeof *r->text);
    r->len = calloc(n, sizeof *r->len);
    r->n = n;
    if (!r->text || !r->len) {
        fprintf(stderr, "bench_txn: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        char buf[1024];
        int len = snprintf(buf, sizeof buf,
                           "%s sip:service@192.0.2.10:5060 SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK%08zx.%u;rport\r\n"
                           "Max-Forwards: 70\r\n"
                           "From: \"Load\" <sip:load@192.0.2.20>;tag=%zx\r\n"
                           "To: <sip:service@192.0.2.10>\r\n"
                           "Call-ID: %zx-bench@192.0.2.20\r\n"
                           "CSeq: 1 %s\r\n"
                           "Contact: <sip:load@192.0.2.20:5060>\r\n"
                           "User-Agent: siphon-bench\r\n"
                           "Content-Length: 0\r\n\r\n",
                           method, i, (unsigned)(i * 2654435761u), i * 7919, i, method);
        r->text[i] = malloc((size_t)len);
        if (!r->text[i]) {
            fprintf(stderr, "bench_txn: out of memory\n");
            exit(2);
        }
        memcpy(r->text[i], buf, (size_t)len);
        r->len[i] = (size_t)len;
    }
}

static void free_reqs(reqs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->text[i]);
    free(r->text);
    free(r->len);
}

/* The UAS's answer (RFC 3261 §8.2.6), made in one step. */
static siphon_msg *answer(siphon_msg *req, int status)
{
    static const siphon_str tag = SIPHON_STR_LIT("bench7a1");
    siphon_msg *resp = NULL;
    (void)siphon_msg_response(req, status, SIPHON_STR_NULL, tag, &resp);
    return resp;
}

/* The output side: where a transport would copy the bytes to send. */
static char out_buf[65536];
static size_t out_total;

static void transmit(siphon_msg *m)
{
    siphon_str b = siphon_msg_bytes(m);
    if (b.len <= sizeof out_buf) {
        memcpy(out_buf, b.p, b.len);
        out_total += b.len;
    }
}

/*
 * One timed round: every request through the layer. Returns transactions
 * per second; *ok counts the responses sent.
 */
static double run_round(const reqs *r, int status, size_t *ok, size_t *live)
{
    siphon_txn_layer *l = siphon_txn_layer_new(NULL);
    uint64_t now = 1000;
    size_t peak = 0;
    *ok = 0;
    double t0 = now_s();
    for (size_t i = 0; i < r->n; i++) {
        if (i % 10000 == 0 && i) {
            size_t c = siphon_txn_count(l);
            peak = c > peak ? c : peak;
            now += 33000;
            siphon_txn_tick(l, now);
            siphon_txn_event tev;
            while (siphon_txn_poll(l, &tev))
                siphon_msg_unref(tev.msg);
        }
        siphon_msg *m;
        if (siphon_msg_parse(r->text[i], r->len[i], NULL, &m, NULL) != 0)
            continue;
        if (siphon_txn_receive(l, m, false, NULL, now) != 0) {
            siphon_msg_unref(m);
            continue;
        }
        siphon_msg_unref(m);
        siphon_txn_event ev;
        while (siphon_txn_poll(l, &ev)) {
            if (ev.type == SIPHON_TXN_EV_REQUEST) {
                siphon_msg *resp = answer(ev.msg, status);
                if (resp && siphon_txn_respond(l, ev.txn, resp, now) == 0)
                    (*ok)++;
                siphon_msg_unref(resp);
            } else if (ev.type == SIPHON_TXN_EV_SEND) {
                transmit(ev.msg);
            }
            siphon_msg_unref(ev.msg);
        }
    }
    double dt = now_s() - t0;
    size_t c = siphon_txn_count(l);
    *live = c > peak ? c : peak;
    /* end the round as the clock would: Timers J and L fire */
    siphon_txn_tick(l, now + 64 * 500 + 1);
    siphon_txn_event ev;
    while (siphon_txn_poll(l, &ev))
        siphon_msg_unref(ev.msg);
    siphon_txn_layer_free(l);
    return (double)r->n / dt;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* Heap per live transaction, not counting its request and response. */
static double memory_per_txn(const reqs *r, int status)
{
    size_t n = r->n;
    /* the messages alone, kept as the transactions would keep them */
    siphon_msg **keep = calloc(2 * n, sizeof *keep);
    size_t base = heap_in_use();
    for (size_t i = 0; i < n; i++) {
        siphon_msg *m;
        if (siphon_msg_parse(r->text[i], r->len[i], NULL, &m, NULL) != 0)
            continue;
        keep[2 * i] = m;
        keep[2 * i + 1] = answer(m, status);
    }
    size_t msgs_only = heap_in_use() - base;
    for (size_t i = 0; i < 2 * n; i++)
        siphon_msg_unref(keep[i]);
    free(keep);

    base = heap_in_use();
    siphon_txn_layer *l = siphon_txn_layer_new(NULL);
    for (size_t i = 0; i < n; i++) {
        siphon_msg *m;
        if (siphon_msg_parse(r->text[i], r->len[i], NULL, &m, NULL) != 0)
            continue;
        siphon_txn_receive(l, m, false, NULL, 1000);
        siphon_msg_unref(m);
        siphon_txn_event ev;
        while (siphon_txn_poll(l, &ev)) {
            if (ev.type == SIPHON_TXN_EV_REQUEST) {
                siphon_msg *resp = answer(ev.msg, status);
                if (resp)
                    siphon_txn_respond(l, ev.txn, resp, 1000);
                siphon_msg_unref(resp);
            }
            siphon_msg_unref(ev.msg);
        }
    }
    size_t with_txns = heap_in_use() - base;
    size_t live = siphon_txn_count(l);
    siphon_txn_layer_free(l);
    if (live == 0)
        return 0;
    return ((double)with_txns - (double)msgs_only) / (double)live;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t count = 100000;
    int rounds = 5, cpu = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
            cpu = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-pin"))
            cpu = -1;
        else {
            fprintf(stderr, "usage: bench_txn [--count N] [--rounds R] [--cpu C|--no-pin]\n");
            return 2;
        }
    }
    if (count == 0 || rounds < 1 || rounds > 99) {
        fprintf(stderr, "bench_txn: --count must be > 0 and --rounds 1..99\n");
        return 2;
    }
    /* a server keeps its heap: do not hand pages back between rounds */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    static const struct {
        const char *name, *method;
        int status;
    } kinds[] = {{"non-INVITE (OPTIONS -> 200)", "OPTIONS", 200},
                 {"INVITE (INVITE -> 200)", "INVITE", 200}};
    printf("server transactions: %zu per round, median of %d rounds, UDP semantics with the\n"
           "clock moved 33 s every 10,000 (Timers J/L end them), one core\n",
           count, rounds);
    printf("| transaction | tx/s | us/tx | memory per live tx (B) | responses ok |\n");
    printf("|---|---:|---:|---:|---:|\n");
    int st = 0;
    double nist_rate = 0, worst_mem = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        reqs r;
        make_reqs(&r, count, kinds[k].method);
        double rate[99];
        size_t ok = 0, live = 0;
        /* one untimed round first: the heap grows to its working size */
        (void)run_round(&r, kinds[k].status, &ok, &live);
        for (int i = 0; i < rounds; i++)
            rate[i] = run_round(&r, kinds[k].status, &ok, &live);
        qsort(rate, (size_t)rounds, sizeof rate[0], cmp_double);
        double med = rate[rounds / 2];
        double mem = memory_per_txn(&r, kinds[k].status);
        printf("| %s | %.0f | %.3f | %.0f | %zu/%zu |\n", kinds[k].name, med, 1e6 / med, mem,
               ok, count);
        if (ok != count || live != (count < 10000 ? count : 10000))
            st = 1;
        if (k == 0)
            nist_rate = med;
        if (mem > worst_mem)
            worst_mem = mem;
        free_reqs(&r);
    }
    printf("target [2/8]: >= 500,000 non-INVITE server tx/s: %.0f -> %s\n", nist_rate,
           nist_rate >= 500000 ? "met" : "NOT met");
    printf("target [2/8]: <= 512 bytes per live transaction: %.0f -> %s\n", worst_mem,
           worst_mem <= 512 ? "met" : "NOT met");
    printf("(sizeof(siphon_txn) = %zu; bytes sent %zu)\n", siphon_txn_sizeof(), out_total);
    return st;
}
