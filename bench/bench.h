/*
 * bench/bench.h -- shared types for the parser benchmark: the corpus in
 * memory, the fields every adapter reads from a parsed message, and the
 * checksum those fields add up to (defined once, here, for every adapter
 * and for the corpus generator; bench/README.md describes it).
 */
#ifndef SIPHON_BENCH_H
#define SIPHON_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- corpus file ------------------------------------------------------- */

/*
 * corpus.bin, all integers little-endian:
 *   0  char[8]  magic "SIPHBC01"
 *   8  u32      number of messages
 *  12  u32      0 (reserved)
 *  16  u64      total message bytes (records' payloads)
 *  24  u64      expected checksum over all messages
 *  32  records: u32 length, then that many bytes of one SIP message
 * corpus.expect (TSV, one line per message after a header line) holds the
 * fields the generator put in, for per-field diagnosis.
 */
#define BENCH_MAGIC "SIPHBC01"
#define BENCH_HDR_LEN 32

/* A view: pointer + length (never NUL-terminated by contract). */
typedef struct bstr {
    const char *p;
    size_t n;
} bstr;

/* What the generator put into one message (from corpus.expect). */
typedef struct bench_expect {
    char form[12];       /* plain | compact | folded | folded-lc */
    bool request;
    int status;          /* responses */
    bstr method;         /* requests */
    bstr branch, from_tag, to_tag, call_id, cseq_method;
    uint64_t cseq;
    bstr contact_user, contact_host;
    uint64_t sum;        /* this message's checksum contribution */
} bench_expect;

typedef struct corpus {
    size_t n;                 /* messages to use (may be < total) */
    size_t total;             /* messages in the file */
    const char *const *msg;   /* msg[i]: start of message i */
    const uint32_t *len;      /* len[i]: its length */
    uint64_t bytes;           /* sum of len[0..n) */
    uint64_t expected;        /* expected checksum over msg[0..n) */
    const bench_expect *exp;  /* per message, or NULL without the .expect */
} corpus;

/* ---- fields read from a parsed message ---------------------------------- */

typedef struct bench_fields {
    bool parsed;          /* the parser accepted the message */
    bool request;
    int status;           /* responses: the status code */
    bstr method;          /* requests: the method */
    bstr branch;          /* top Via's branch parameter value */
    bstr from_tag;
    bstr to_tag;          /* empty when To has no tag */
    bstr call_id;
    uint64_t cseq;        /* CSeq number */
    bstr cseq_method;
    bstr contact_user;    /* first Contact's URI user; empty if none */
    bstr contact_host;    /* first Contact's URI host; empty if none */
} bench_fields;

/*
 * THE checksum, per message:
 *   (status code for a response | length of the method for a request)
 *   + len(top Via branch) + len(From tag) + len(To tag, 0 if none)
 *   + len(Call-ID) + CSeq number + len(CSeq method)
 *   + len(first Contact URI user) + len(first Contact URI host)
 * Absent fields contribute 0. A message that fails to parse contributes 0.
 */
static inline uint64_t bench_sum(bool request, int status, size_t method_len,
                                 size_t branch, size_t from_tag,
                                 size_t to_tag, size_t call_id,
                                 uint64_t cseq, size_t cseq_method,
                                 size_t contact_user, size_t contact_host)
{
    return (request ? (uint64_t)method_len : (uint64_t)status) + branch +
           from_tag + to_tag + call_id + cseq + cseq_method + contact_user +
           contact_host;
}

static inline uint64_t bench_fields_sum(const bench_fields *f)
{
    if (!f->parsed)
        return 0;
    return bench_sum(f->request, f->status, f->method.n, f->branch.n,
                     f->from_tag.n, f->to_tag.n, f->call_id.n, f->cseq,
                     f->cseq_method.n, f->contact_user.n, f->contact_host.n);
}

static inline bstr bstr_c(const char *s)
{
    bstr b = {s, s ? strlen(s) : 0};
    return b;
}

static inline bstr bstr_make(const char *p, size_t n)
{
    bstr b = {p, p ? n : 0};
    return b;
}

/*
 * Verification hook: adapters call it (when not NULL) for each message
 * while the parsed message is still alive, so the views are valid.
 */
typedef void bench_visit_fn(size_t idx, const bench_fields *f, void *arg);

/* ---- adapters ----------------------------------------------------------- */

/*
 * Each adapter: init (one-off library set-up, not timed), run (parse every
 * message of c, return the checksum), check (same, calling visit per
 * message; not timed), version (a string for the table).
 */
#define BENCH_ADAPTER(name)                                                   \
    void init_##name(void);                                                   \
    uint64_t run_##name(const corpus *c);                                     \
    uint64_t check_##name(const corpus *c, bench_visit_fn *visit, void *arg); \
    const char *version_##name(void);

BENCH_ADAPTER(siphon)
BENCH_ADAPTER(osip)
BENCH_ADAPTER(sofia)
BENCH_ADAPTER(re)
BENCH_ADAPTER(floor)

#endif /* SIPHON_BENCH_H */
