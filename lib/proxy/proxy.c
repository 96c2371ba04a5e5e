/*
 * proxy.c -- the proxy object: configuration, the event queue, response
 * context lifetime, and the helpers the other files share (is this URI or
 * Via us, generated responses). RFC 3261 §16.
 */
#include "proxy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *siphon_proxy_event_name(siphon_proxy_event_type t)
{
    switch (t) {
    case SIPHON_PROXY_EV_FORWARD: return "FORWARD";
    case SIPHON_PROXY_EV_RESPOND: return "RESPOND";
    case SIPHON_PROXY_EV_CANCEL_BRANCH: return "CANCEL_BRANCH";
    case SIPHON_PROXY_EV_DONE: return "DONE";
    }
    return "?";
}

static char *dupc(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

siphon_proxy *siphon_proxy_new(const siphon_proxy_config *cfg)
{
    if (!cfg || !cfg->host || !*cfg->host || strlen(cfg->host) > 255)
        return NULL;
    siphon_proxy *px = calloc(1, sizeof *px);
    if (!px)
        return NULL;
    px->cfg = *cfg;
    if (!px->cfg.timer_c_ms)
        px->cfg.timer_c_ms = 185000;
    if (!px->cfg.t1_ms)
        px->cfg.t1_ms = 500;
    if (!px->cfg.max_branches)
        px->cfg.max_branches = 16;
    if (!px->cfg.max_contexts)
        px->cfg.max_contexts = 4096;
    px->host = dupc(cfg->host);
    px->transport = dupc(cfg->transport ? cfg->transport : "UDP");
    size_t ns = 0;
    while (cfg->supported && cfg->supported[ns])
        ns++;
    px->supported = calloc(ns + 1, sizeof *px->supported);
    bool ok = px->host && px->transport && px->supported;
    for (size_t i = 0; ok && i < ns; i++)
        ok = (px->supported[i] = dupc(cfg->supported[i])) != NULL;
    px->cfg.host = px->host;
    px->cfg.transport = px->transport;
    px->cfg.supported = (const char *const *)px->supported;
    if (ok) {
        if (px->cfg.port)
            snprintf(px->self_text, sizeof px->self_text, "sip:%s:%u",
                     px->host, (unsigned)px->cfg.port);
        else
            snprintf(px->self_text, sizeof px->self_text, "sip:%s",
                     px->host);
        siphon_arena_init(&px->arena, NULL, 0);
        ok = siphon_uri_parse(&px->arena, px->self_text,
                              strlen(px->self_text), &px->self, NULL) == 0;
    }
    px->rng_state = 0x9E3779B97F4A7C15ull;
    px->next_id = 1;
    if (!ok) {
        siphon_proxy_free(px);
        return NULL;
    }
    return px;
}

static void ctx_free(siphon_proxy_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ntargets; i++) {
        free(c->targets[i].uri);
        free(c->targets[i].route);
    }
    free(c->targets);
    for (size_t i = 0; i < c->nbr; i++) {
        siphon_msg_unref(c->br[i].req);
        siphon_msg_unref(c->br[i].resp);
    }
    free(c->br);
    siphon_msg_unref(c->req);
    siphon_msg_unref(c->orig);
    free(c);
}

void siphon_proxy_free(siphon_proxy *px)
{
    if (!px)
        return;
    while (px->ctxs) {
        siphon_proxy_ctx *c = px->ctxs;
        px->ctxs = c->next;
        ctx_free(c);
    }
    ctx_free(px->dead);
    for (size_t i = px->q.head; i < px->q.n; i++) {
        siphon_msg_unref(px->q.v[i].msg);
        if (px->q.v[i].type == SIPHON_PROXY_EV_DONE)
            ctx_free(px->q.v[i].ctx);
    }
    free(px->q.v);
    for (size_t i = 0; px->supported && px->supported[i]; i++)
        free(px->supported[i]);
    free(px->supported);
    free(px->host);
    free(px->transport);
    siphon_arena_free(&px->arena);
    free(px);
}

size_t siphon_proxy_count(const siphon_proxy *px)
{
    return px ? px->nctx : 0;
}

uint32_t prng32(siphon_proxy *px)
{
    if (px->cfg.rng)
        return px->cfg.rng(px->cfg.rng_arg);
    /* xorshift64*: deterministic stand-in for tests (proxy.h). */
    uint64_t x = px->rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    px->rng_state = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

/* ---- events -------------------------------------------------------------- */

int pq_push(siphon_proxy *px, siphon_proxy_event_type type,
            siphon_proxy_ctx *ctx, void *server, uint32_t branch,
            siphon_msg *msg, siphon_str next_hop, int status)
{
    pevent_q *q = &px->q;
    if (q->head > 0 && q->head == q->n)
        q->head = q->n = 0;
    if (q->n == q->cap) {
        if (q->head > 0) {
            memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
            q->n -= q->head;
            q->head = 0;
        }
        if (q->n == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 16;
            siphon_proxy_event *v = realloc(q->v, cap * sizeof *v);
            if (!v)
                return SIPHON_ENOMEM;
            q->v = v;
            q->cap = cap;
        }
    }
    siphon_proxy_event *e = &q->v[q->n++];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->ctx = ctx;
    e->server = server;
    e->branch = branch;
    e->msg = msg ? siphon_msg_ref(msg) : NULL;
    e->next_hop = next_hop;
    e->status = status;
    return 0;
}

bool siphon_proxy_poll(siphon_proxy *px, siphon_proxy_event *ev)
{
    if (!px || !ev)
        return false;
    ctx_free(px->dead);
    px->dead = NULL;
    if (px->q.head >= px->q.n)
        return false;
    *ev = px->q.v[px->q.head++];
    if (ev->type == SIPHON_PROXY_EV_DONE)
        px->dead = ev->ctx;
    return true;
}

/* ---- contexts ------------------------------------------------------------ */

siphon_proxy_ctx *pctx_new(siphon_proxy *px, siphon_msg *req,
                           siphon_msg *orig, void *server)
{
    siphon_proxy_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->br = calloc(px->cfg.max_branches, sizeof *c->br);
    c->targets = calloc(px->cfg.max_branches, sizeof *c->targets);
    if (!c->br || !c->targets) {
        free(c->br);
        free(c->targets);
        free(c);
        return NULL;
    }
    c->px = px;
    c->req = siphon_msg_ref(req);
    c->orig = siphon_msg_ref(orig);
    c->server = server;
    c->method = siphon_msg_method_id(req);
    p_loop_hash(req, c->hash);
    c->next = px->ctxs;
    if (px->ctxs)
        px->ctxs->prev = c;
    px->ctxs = c;
    px->nctx++;
    return c;
}

/* Take a finished context off the live list and queue its DONE; the
 * event owns it from then on (freed after it is polled). */
void pctx_unlink_done(siphon_proxy *px, siphon_proxy_ctx *c)
{
    if (c->state == PCTX_FINISHED)
        return;
    if (pq_push(px, SIPHON_PROXY_EV_DONE, c, c->server, 0, NULL,
                SIPHON_STR_NULL, c->final_sent) < 0)
        return; /* stays live; retried at the next completion or tick */
    c->state = PCTX_FINISHED;
    if (c->prev)
        c->prev->next = c->next;
    else
        px->ctxs = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
    px->nctx--;
}

siphon_msg *siphon_proxy_ctx_request(const siphon_proxy_ctx *ctx)
{
    return ctx ? ctx->req : NULL;
}

void *siphon_proxy_ctx_server(const siphon_proxy_ctx *ctx)
{
    return ctx ? ctx->server : NULL;
}

/* ---- who we are (§16.4) -------------------------------------------------- */

static uint16_t default_port(const siphon_uri *u)
{
    return u->scheme == SIPHON_URI_SIPS ? 5061 : 5060;
}

bool p_is_self(siphon_proxy *px, const siphon_uri *uri)
{
    if (!uri)
        return false;
    if (px->cfg.is_local && px->cfg.is_local(px->cfg.is_local_arg, uri))
        return true;
    if (uri->scheme != SIPHON_URI_SIP && uri->scheme != SIPHON_URI_SIPS)
        return false;
    /* A URI with a user part names a resource, not this element. */
    if (uri->has_user)
        return false;
    if (!siphon_str_caseeq(uri->host, px->self.host))
        return false;
    uint16_t p1 = uri->has_port ? uri->port : default_port(uri);
    uint16_t p2 = px->cfg.port ? px->cfg.port : default_port(uri);
    return p1 == p2;
}

bool p_via_is_self(siphon_proxy *px, const siphon_via *v)
{
    if (!siphon_str_caseeq(v->host, px->self.host))
        return false;
    uint16_t p1 = v->has_port ? v->port : 5060;
    uint16_t p2 = px->cfg.port ? px->cfg.port : 5060;
    return p1 == p2;
}

/* ---- generated responses ------------------------------------------------- */

int p_respond_new(siphon_proxy *px, siphon_msg *req, void *server,
                  siphon_proxy_ctx *ctx, int status, const char *extra_name,
                  const char *extra_value)
{
    /* §8.2.6.2: a response we generate carries our own To tag. */
    char tag[20];
    snprintf(tag, sizeof tag, "%08x%08x", (unsigned)prng32(px),
             (unsigned)prng32(px));
    siphon_msg *resp = NULL;
    int rc;
    if (extra_name) {
        siphon_msgb *b = siphon_msgb_response_to(
            req, status, SIPHON_STR_NULL, siphon_str_c(tag));
        if (!b)
            return SIPHON_ENOMEM;
        rc = siphon_msgb_add(b, siphon_str_c(extra_name),
                             siphon_str_c(extra_value));
        if (rc >= 0)
            rc = siphon_msgb_finish(b, &resp, NULL);
        siphon_msgb_free(b);
    } else {
        rc = siphon_msg_response(req, status, SIPHON_STR_NULL,
                                 siphon_str_c(tag), &resp);
    }
    if (rc < 0)
        return rc;
    rc = pq_push(px, SIPHON_PROXY_EV_RESPOND, ctx, server, 0, resp,
                 SIPHON_STR_NULL, status);
    siphon_msg_unref(resp);
    return rc;
}
