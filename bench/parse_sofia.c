/*
 * bench/parse_sofia.c -- the benchmark's work per message, done with
 * sofia-sip's msg/sip parser.
 *
 * msg_make() is sofia's receive path in one call: it creates the message,
 * preloads its memory home, copies the bytes into the message's own
 * receive buffer and runs msg_extract() over them. The typed headers
 * (Via, From, To, Call-ID, CSeq, Contact) are parsed during extraction.
 */
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>

#include "bench.h"

#ifndef BENCH_SOFIA_VERSION
#define BENCH_SOFIA_VERSION "?"
#endif

void init_sofia(void)
{
    (void)sip_default_mclass();
}

const char *version_sofia(void)
{
    return "sofia-sip " BENCH_SOFIA_VERSION;
}

static inline uint64_t one(const corpus *c, size_t i, bench_visit_fn *visit,
                           void *arg)
{
    bench_fields f = {0};
    msg_t *msg = msg_make(sip_default_mclass(), 0, c->msg[i],
                          (ssize_t)c->len[i]);
    if (!msg)
        return 0;
    sip_t const *sip = sip_object(msg);
    if (!sip || msg_has_error(msg) || (!sip->sip_request && !sip->sip_status)) {
        if (visit)
            visit(i, &f, arg);
        msg_destroy(msg);
        return 0;
    }
    f.parsed = true;
    f.request = sip->sip_request != NULL;
    if (f.request)
        f.method = bstr_c(sip->sip_request->rq_method_name);
    else
        f.status = sip->sip_status->st_status;
    if (sip->sip_via)
        f.branch = bstr_c(sip->sip_via->v_branch);
    if (sip->sip_from)
        f.from_tag = bstr_c(sip->sip_from->a_tag);
    if (sip->sip_to)
        f.to_tag = bstr_c(sip->sip_to->a_tag);
    if (sip->sip_call_id)
        f.call_id = bstr_c(sip->sip_call_id->i_id);
    if (sip->sip_cseq) {
        f.cseq = sip->sip_cseq->cs_seq;
        f.cseq_method = bstr_c(sip->sip_cseq->cs_method_name);
    }
    if (sip->sip_contact) {
        f.contact_user = bstr_c(sip->sip_contact->m_url->url_user);
        f.contact_host = bstr_c(sip->sip_contact->m_url->url_host);
    }
    uint64_t sum = bench_fields_sum(&f);
    if (visit)
        visit(i, &f, arg);
    msg_destroy(msg);
    return sum;
}

uint64_t run_sofia(const corpus *c)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, NULL, NULL);
    return sum;
}

uint64_t check_sofia(const corpus *c, bench_visit_fn *visit, void *arg)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, visit, arg);
    return sum;
}
