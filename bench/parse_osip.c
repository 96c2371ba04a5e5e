/*
 * bench/parse_osip.c -- the benchmark's work per message, done with
 * libosip2 (GNU oSIP parser).
 *
 * osip_message_parse() copies the bytes into a buffer of its own before it
 * parses (it rewrites folding in place), so that copy is the receive-path
 * copy and the adapter makes none. Every header osip knows is parsed into
 * its typed form during the call; the reads below only walk the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "bench.h"

#ifndef BENCH_OSIP_VERSION
#define BENCH_OSIP_VERSION "?"
#endif

void init_osip(void)
{
    parser_init();
}

const char *version_osip(void)
{
    return "libosip2 " BENCH_OSIP_VERSION;
}

static inline uint64_t one(const corpus *c, size_t i, bench_visit_fn *visit,
                           void *arg)
{
    bench_fields f = {0};
    osip_message_t *m = NULL;
    if (osip_message_init(&m) != 0)
        return 0;
    if (osip_message_parse(m, c->msg[i], c->len[i]) != 0) {
        if (visit)
            visit(i, &f, arg);
        osip_message_free(m);
        return 0;
    }
    f.parsed = true;
    f.request = MSG_IS_REQUEST(m);
    if (f.request)
        f.method = bstr_c(m->sip_method);
    else
        f.status = m->status_code;

    osip_via_t *via = NULL;
    if (osip_message_get_via(m, 0, &via) >= 0 && via) {
        osip_generic_param_t *b = NULL;
        if (osip_via_param_get_byname(via, "branch", &b) == 0 && b)
            f.branch = bstr_c(b->gvalue);
    }
    osip_generic_param_t *tag = NULL;
    if (m->from && osip_from_get_tag(m->from, &tag) == 0 && tag)
        f.from_tag = bstr_c(tag->gvalue);
    tag = NULL;
    if (m->to && osip_to_get_tag(m->to, &tag) == 0 && tag)
        f.to_tag = bstr_c(tag->gvalue);

    /* osip splits the Call-ID at '@'; the length is that of the whole. */
    char cid[512];
    if (m->call_id && m->call_id->number) {
        const char *num = m->call_id->number, *host = m->call_id->host;
        size_t nl = strlen(num), hl = host ? strlen(host) : 0;
        f.call_id = bstr_make(num, nl + (host ? 1 + hl : 0));
        if (visit && host && nl + 1 + hl < sizeof cid) {
            /* verification only: show the value as one string */
            memcpy(cid, num, nl);
            cid[nl] = '@';
            memcpy(cid + nl + 1, host, hl);
            f.call_id = bstr_make(cid, nl + 1 + hl);
        }
    }
    if (m->cseq) {
        if (m->cseq->number)
            f.cseq = strtoull(m->cseq->number, NULL, 10);
        f.cseq_method = bstr_c(m->cseq->method);
    }
    osip_contact_t *ct = NULL;
    if (osip_message_get_contact(m, 0, &ct) >= 0 && ct && ct->url) {
        f.contact_user = bstr_c(ct->url->username);
        f.contact_host = bstr_c(ct->url->host);
    }
    uint64_t sum = bench_fields_sum(&f);
    if (visit)
        visit(i, &f, arg);
    osip_message_free(m);
    return sum;
}

uint64_t run_osip(const corpus *c)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, NULL, NULL);
    return sum;
}

uint64_t check_osip(const corpus *c, bench_visit_fn *visit, void *arg)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, visit, arg);
    return sum;
}
