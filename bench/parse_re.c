/*
 * bench/parse_re.c -- the benchmark's work per message, done with libre
 * (creytiv/baresip "re") sip_msg_decode().
 *
 * The receive path of libre reads a datagram into an mbuf it allocates;
 * the adapter does the same (mbuf_alloc + mbuf_write_mem), then decodes.
 * sip_msg_decode() parses the start line, the top Via, From, To, CSeq and
 * Call-ID eagerly and keeps every other field raw; the first Contact is
 * decoded here with sip_addr_decode(), as a user of libre would.
 */
#include <stdio.h>
#include <string.h>

#include <re.h>

#include "bench.h"

#ifndef BENCH_RE_VERSION
#define BENCH_RE_VERSION "?"
#endif

void init_re(void)
{
    (void)libre_init();
}

const char *version_re(void)
{
    return "libre " BENCH_RE_VERSION;
}

static inline bstr pl_view(const struct pl *pl)
{
    return bstr_make(pl->p, pl->l);
}

static inline uint64_t one(const corpus *c, size_t i, bench_visit_fn *visit,
                           void *arg)
{
    bench_fields f = {0};
    struct mbuf *mb = mbuf_alloc(c->len[i]);
    if (!mb)
        return 0;
    if (mbuf_write_mem(mb, (const uint8_t *)c->msg[i], c->len[i]) != 0) {
        mem_deref(mb);
        return 0;
    }
    mb->pos = 0;
    struct sip_msg *msg = NULL;
    if (sip_msg_decode(&msg, mb) != 0) {
        if (visit)
            visit(i, &f, arg);
        mem_deref(mb);
        return 0;
    }
    f.parsed = true;
    f.request = msg->req;
    if (f.request)
        f.method = pl_view(&msg->met);
    else
        f.status = msg->scode;
    f.branch = pl_view(&msg->via.branch);
    f.from_tag = pl_view(&msg->from.tag);
    f.to_tag = pl_view(&msg->to.tag);
    f.call_id = pl_view(&msg->callid);
    f.cseq = msg->cseq.num;
    f.cseq_method = pl_view(&msg->cseq.met);
    const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
    struct sip_addr addr;
    if (h && sip_addr_decode(&addr, &h->val) == 0) {
        f.contact_user = pl_view(&addr.uri.user);
        f.contact_host = pl_view(&addr.uri.host);
    }
    uint64_t sum = bench_fields_sum(&f);
    if (visit)
        visit(i, &f, arg);
    mem_deref(msg);
    mem_deref(mb);
    return sum;
}

uint64_t run_re(const corpus *c)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, NULL, NULL);
    return sum;
}

uint64_t check_re(const corpus *c, bench_visit_fn *visit, void *arg)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += one(c, i, visit, arg);
    return sum;
}
