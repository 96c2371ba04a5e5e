/*
 * bench/parse_siphon.c -- the benchmark's work per message, done with
 * siphon's own parser (lib/msg).
 *
 * siphon_msg_parse() copies the bytes into the message it returns (the
 * message owns its bytes and arena), so that copy is the receive-path copy
 * and the adapter makes none. Typed headers are parsed on first access:
 * the reads below are what trigger the Via, From, To, CSeq and Contact
 * parses, so they are part of the measured work.
 */
#include <stdio.h>

#include <siphon/msg.h>

#include "bench.h"

#ifndef BENCH_SIPHON_VERSION
#define BENCH_SIPHON_VERSION "?"
#endif

void init_siphon(void)
{
}

const char *version_siphon(void)
{
    return "siphon " BENCH_SIPHON_VERSION;
}

static inline bstr sv(siphon_str s)
{
    return bstr_make(s.p, s.len);
}

static inline uint64_t one(const corpus *c, size_t i, bench_visit_fn *visit,
                           void *arg)
{
    bench_fields f = {0};
    siphon_msg *m = NULL;
    if (siphon_msg_parse(c->msg[i], c->len[i], NULL, &m, NULL) != 0 || !m) {
        if (visit)
            visit(i, &f, arg);
        siphon_msg_unref(m);
        return 0;
    }
    f.parsed = true;
    f.request = siphon_msg_is_request(m);
    if (f.request)
        f.method = sv(siphon_msg_method(m));
    else
        f.status = siphon_msg_status(m);
    const siphon_via *via = siphon_msg_via(m);
    if (via)
        f.branch = sv(via->branch);
    const siphon_nameaddr *na = siphon_msg_from(m);
    if (na)
        f.from_tag = sv(na->tag);
    na = siphon_msg_to(m);
    if (na)
        f.to_tag = sv(na->tag);
    f.call_id = sv(siphon_msg_call_id(m));
    const siphon_cseq *cs = siphon_msg_cseq(m);
    if (cs) {
        f.cseq = cs->num;
        f.cseq_method = sv(cs->method);
    }
    na = siphon_msg_contact(m);
    if (na) {
        const siphon_uri *u = siphon_nameaddr_uri(m, na, NULL);
        if (u) {
            f.contact_user = sv(u->user);
            f.contact_host = sv(u->host);
        }
    }
    uint64_t sum = bench_fields_sum(&f);
    if (visit)
        visit(i, &f, arg);
    siphon_msg_unref(m);
    return sum;
}

uint64_t run_siphon(const corpus *c)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, NULL, NULL);
    return sum;
}

uint64_t check_siphon(const corpus *c, bench_visit_fn *visit, void *arg)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, visit, arg);
    return sum;
}
