/*
 * test_txn_support.c -- the virtual-clock harness of the transaction
 * tests (see txn_support.h). No tests here.
 */
#include "txn_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

siphon_msg *tx_parse(const char *text)
{
    size_t n = strlen(text);
    char *buf = malloc(2 * n + 1);
    if (!buf)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n')
            buf[j++] = '\r';
        buf[j++] = text[i];
    }
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msg_parse(buf, j, NULL, &m, &err) < 0) {
        printf("#   tx_parse failed at %zu (%s): %s\n", err.offset, err.rule,
               err.text);
        m = NULL;
    }
    free(buf);
    return m;
}

siphon_msg *tx_request(const char *method, const char *branch,
                       const char *sentby, const char *cseq_method)
{
    char text[1024];
    snprintf(text, sizeof text,
             "%s sip:bob@biloxi.example.com SIP/2.0\n"
             "Via: SIP/2.0/UDP %s;branch=%s\n"
             "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKprx\n"
             "Route: <sip:edge.example.com;lr>\n"
             "Max-Forwards: 70\n"
             "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
             "To: Bob <sip:bob@biloxi.example.com>\n"
             "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\n"
             "CSeq: 314159 %s\n"
             "Contact: <sip:alice@pc33.atlanta.example.com>\n"
             "Content-Length: 0\n"
             "\n",
             method, sentby, branch, cseq_method ? cseq_method : method);
    return tx_parse(text);
}

siphon_msg *tx_response(siphon_msg *req, int status, const char *totag)
{
    siphon_msgb *b = siphon_msgb_response_to(req, status, SIPHON_STR_NULL,
                                             siphon_str_c(totag));
    if (!b)
        return NULL;
    siphon_msg *m = NULL;
    siphon_perr err;
    if (siphon_msgb_finish(b, &m, &err) < 0)
        m = NULL;
    siphon_msgb_free(b);
    return m;
}

void trec_drain(siphon_txn_layer *l, trec *r, uint64_t now)
{
    siphon_txn_event ev;
    while (siphon_txn_poll(l, &ev)) {
        if (r->n == sizeof r->ev / sizeof r->ev[0]) {
            siphon_msg_unref(ev.msg);
            continue;
        }
        trec_ev *e = &r->ev[r->n++];
        e->type = ev.type;
        e->txn = ev.txn;
        e->msg = ev.msg;
        e->at = now;
    }
}

void trec_run(siphon_txn_layer *l, trec *r, uint64_t until)
{
    for (;;) {
        uint64_t d = siphon_txn_next_deadline(l);
        if (d > until)
            break;
        siphon_txn_tick(l, d);
        trec_drain(l, r, d);
    }
}

void trec_clear(trec *r)
{
    for (size_t i = 0; i < r->n; i++)
        siphon_msg_unref(r->ev[i].msg);
    r->n = 0;
}

size_t trec_count(const trec *r, siphon_txn_event_type type)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n; i++)
        c += r->ev[i].type == type;
    return c;
}

long trec_find(const trec *r, siphon_txn_event_type type, size_t nth)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->ev[i].type == type && nth-- == 0)
            return (long)i;
    return -1;
}

const char *trec_trace(const trec *r)
{
    static char out[8192];
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < r->n && o < sizeof out - 64; i++) {
        const trec_ev *e = &r->ev[i];
        char what[32] = "";
        if (e->msg && siphon_msg_is_request(e->msg)) {
            siphon_str m = siphon_msg_method(e->msg);
            snprintf(what, sizeof what, "(%.*s)", (int)m.len, m.p);
        } else if (e->msg) {
            snprintf(what, sizeof what, "(%d)", siphon_msg_status(e->msg));
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s%s@%llu",
                              i ? " " : "", siphon_txn_event_name(e->type),
                              what, (unsigned long long)e->at);
    }
    return out;
}

siphon_txn *trec_last_request(const trec *r)
{
    for (size_t i = r->n; i-- > 0;)
        if (r->ev[i].type == SIPHON_TXN_EV_REQUEST)
            return r->ev[i].txn;
    return NULL;
}

siphon_txn_layer *txfix_begin(txfix *f, const siphon_txn_config *cfg, trec *r)
{
    memset(f, 0, sizeof *f);
    f->l = siphon_txn_layer_new(cfg);
    f->r = r;
    return f->l;
}

siphon_msg *txfix_keep(txfix *f, siphon_msg *m)
{
    if (!m)
        return NULL;
    if (f->nmsg == TXFIX_MAX_MSGS) {
        fprintf(stderr, "txfix_keep: more than %d messages\n", TXFIX_MAX_MSGS);
        abort();
    }
    f->msg[f->nmsg++] = m;
    return m;
}

siphon_msg *txfix_req(txfix *f, const char *method, const char *branch,
                      const char *sentby, const char *cseq_method)
{
    return txfix_keep(f, tx_request(method, branch, sentby, cseq_method));
}

siphon_msg *txfix_resp(txfix *f, siphon_msg *req, int status, const char *totag)
{
    return txfix_keep(f, tx_response(req, status, totag));
}

void txfix_end(txfix *f)
{
    if (f->r)
        trec_clear(f->r);
    for (size_t i = 0; i < f->nmsg; i++)
        siphon_msg_unref(f->msg[i]);
    f->nmsg = 0;
    siphon_txn_layer_free(f->l);
    f->l = NULL;
}
