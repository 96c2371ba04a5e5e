/*
 * test_proxy_support.c -- helpers for the proxy tests; see
 * test_proxy_support.h.
 */
#include "test_proxy_support.h"
#include "txn_support.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

siphon_proxy_config px_config(bool record_route)
{
    static const char *const sup[] = {"foo", NULL};
    siphon_proxy_config cfg = SIPHON_PROXY_CONFIG_DEFAULT;
    cfg.host = "proxy.example.com";
    cfg.record_route = record_route;
    cfg.supported = sup;
    cfg.max_branches = 8;
    return cfg;
}

siphon_proxy *px_new(bool record_route)
{
    siphon_proxy_config cfg = px_config(record_route);
    return siphon_proxy_new(&cfg);
}

siphon_msg *px_request(const char *method, const char *ruri, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "%s %s SIP/2.0\n"
             "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKc1\n"
             "%s"
             "From: Alice <sip:alice@atlanta.example.com>;tag=ft1\n"
             "To: Bob <sip:bob@biloxi.example.com>\n"
             "Call-ID: call1@client.example.com\n"
             "CSeq: 7 %s\n"
             "Contact: <sip:alice@client.example.com>\n"
             "Content-Length: 0\n"
             "\n",
             method, ruri, extra ? extra : "Max-Forwards: 70\n", method);
    return tx_parse(text);
}

siphon_msg *px_reply(siphon_msg *fwd, int status, const char *totag,
                     const char *extra)
{
    siphon_msgb *b = siphon_msgb_response_to(fwd, status, SIPHON_STR_NULL,
                                             siphon_str_c(totag));
    if (!b)
        return NULL;
    const char *p = extra;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *colon = memchr(p, ':', n);
        if (colon) {
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            siphon_msgb_add(b, siphon_str_make(p, (size_t)(colon - p)),
                            siphon_str_make(v, (size_t)(p + n - v)));
        }
        p = nl ? nl + 1 : NULL;
    }
    siphon_msg *m = NULL;
    if (siphon_msgb_finish(b, &m, NULL) < 0)
        m = NULL;
    siphon_msgb_free(b);
    return m;
}

void prec_drain(siphon_proxy *px, prec *r, uint64_t now)
{
    siphon_proxy_event ev;
    while (siphon_proxy_poll(px, &ev)) {
        if (r->n >= sizeof r->ev / sizeof r->ev[0]) {
            siphon_msg_unref(ev.msg);
            continue;
        }
        prec_ev *e = &r->ev[r->n++];
        memset(e, 0, sizeof *e);
        e->type = ev.type;
        e->ctx = ev.ctx;
        e->server = ev.server;
        e->branch = ev.branch;
        e->msg = ev.msg;
        e->status = ev.status;
        e->at = now;
        snprintf(e->hop, sizeof e->hop, "%.*s", (int)ev.next_hop.len,
                 ev.next_hop.p ? ev.next_hop.p : "");
    }
}

void prec_run(siphon_proxy *px, prec *r, uint64_t until)
{
    for (;;) {
        uint64_t d = siphon_proxy_next_deadline(px);
        if (d > until)
            break;
        siphon_proxy_tick(px, d);
        prec_drain(px, r, d);
    }
    prec_drain(px, r, until);
}

void prec_clear(prec *r)
{
    for (size_t i = 0; i < r->n; i++)
        siphon_msg_unref(r->ev[i].msg);
    r->n = 0;
}

size_t prec_count(const prec *r, siphon_proxy_event_type t)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->ev[i].type == t;
    return n;
}

prec_ev *prec_nth(prec *r, siphon_proxy_event_type t, size_t nth)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->ev[i].type == t && nth-- == 0)
            return &r->ev[i];
    return NULL;
}

const char *prec_trace(const prec *r)
{
    static char buf[8192];
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < r->n && o < sizeof buf - 64; i++) {
        const prec_ev *e = &r->ev[i];
        const char *name = siphon_proxy_event_name(e->type);
        int w;
        switch (e->type) {
        case SIPHON_PROXY_EV_FORWARD:
        case SIPHON_PROXY_EV_CANCEL_BRANCH:
            w = snprintf(buf + o, sizeof buf - o, "%s%s#%u", o ? " " : "",
                         name, (unsigned)e->branch);
            break;
        case SIPHON_PROXY_EV_RESPOND:
            w = snprintf(buf + o, sizeof buf - o, "%s%s(%d%s)", o ? " " : "",
                         name, e->status, e->server ? "" : ",stateless");
            break;
        default:
            w = snprintf(buf + o, sizeof buf - o, "%s%s(%d)", o ? " " : "",
                         name, e->status);
            break;
        }
        if (w > 0)
            o += (size_t)w;
        if (e->at && o < sizeof buf - 32) {
            w = snprintf(buf + o, sizeof buf - o, "@%llu",
                         (unsigned long long)e->at);
            if (w > 0)
                o += (size_t)w;
        }
    }
    return buf;
}

const char *px_hdr(siphon_msg *m, const char *name)
{
    static char buf[1024];
    buf[0] = 0;
    long i = siphon_msg_hdr_next_name(m, name, strlen(name), 0);
    if (i >= 0) {
        siphon_str v = siphon_msg_hdr_at(m, (size_t)i)->value;
        snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.p);
    }
    return buf;
}

size_t px_hdr_count(siphon_msg *m, siphon_hdr_id id)
{
    size_t n = 0;
    for (long i = siphon_msg_hdr_next(m, id, 0); i >= 0;
         i = siphon_msg_hdr_next(m, id, (size_t)i + 1))
        n++;
    return n;
}

/* ---- the per-test fixture ---------------------------------------------- */

pxt *px_begin(siphon_proxy *px)
{
    CHECK(px != NULL);
    pxt *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->px = px;
    return t;
}

void px_end(pxt *t)
{
    prec_clear(&t->r);
    for (size_t i = 0; i < t->nown; i++)
        siphon_msg_unref(t->own[i]);
    siphon_proxy_free(t->px);
    free(t);
}

siphon_msg *px_own(pxt *t, siphon_msg *m)
{
    CHECK(m != NULL);
    CHECK(t->nown < sizeof t->own / sizeof t->own[0]);
    if (t->nown < sizeof t->own / sizeof t->own[0])
        t->own[t->nown++] = m;
    return m;
}

siphon_msg *px_req(pxt *t, const char *method, const char *ruri,
                   const char *extra)
{
    return px_own(t, px_request(method, ruri, extra));
}

siphon_msg *px_invite(pxt *t)
{
    return px_req(t, "INVITE", "sip:bob@biloxi.example.com", NULL);
}

int px_in(pxt *t, siphon_msg *m, void *server, uint64_t now,
          siphon_proxy_ctx **c)
{
    int rc = siphon_proxy_receive(t->px, m, server, NULL, now, c);
    prec_drain(t->px, &t->r, now);
    return rc;
}

siphon_proxy_ctx *px_route(pxt *t, siphon_msg *req, const char *const *uris,
                           const int *qs, size_t n)
{
    siphon_proxy_ctx *c = NULL;
    if (px_in(t, req, PX_SRV, 0, &c) != SIPHON_PROXY_CONTEXT)
        return NULL;
    for (size_t i = 0; i < n; i++)
        CHECK_INT(siphon_proxy_add_target(t->px, c, uris[i],
                                          qs ? qs[i] : -1, NULL), 0);
    CHECK_INT(siphon_proxy_start(t->px, c, 0), 0);
    prec_drain(t->px, &t->r, 0);
    return c;
}

prec_ev *px_start(pxt *t, siphon_proxy_ctx *c)
{
    CHECK_INT(siphon_proxy_start(t->px, c, 0), 0);
    prec_drain(t->px, &t->r, 0);
    prec_ev *f = px_fwd(t, 0);
    CHECK(f != NULL);
    return f;
}

prec_ev *px_fwd(pxt *t, size_t k)
{
    return prec_nth(&t->r, SIPHON_PROXY_EV_FORWARD, k);
}

void px_check_sent(const prec_ev *e, const char *ruri, const char *hop)
{
    CHECK(e != NULL);
    if (!e)
        return;
    if (ruri)
        CHECK_STR(siphon_msg_ruri_str(e->msg), ruri);
    if (hop)
        CHECK_STR(siphon_str_c(e->hop), hop);
}

void px_answer(pxt *t, prec_ev *f, int status, const char *totag,
               const char *extra, uint64_t now)
{
    CHECK(f != NULL);
    if (!f)
        return;
    siphon_msg *m = px_reply(f->msg, status, totag, extra);
    CHECK(m != NULL);
    prec_run(t->px, &t->r, now);
    CHECK_INT(siphon_proxy_response(t->px, m, now), 0);
    prec_drain(t->px, &t->r, now);
    siphon_msg_unref(m);
}
