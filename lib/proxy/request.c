/*
 * request.c -- what a proxy does with a request before it forwards it:
 * validation (RFC 3261 §16.3), route information preprocessing (§16.4),
 * the loop-detection hash (§16.6 step 8, checked by §16.3 step 4), CANCEL
 * (§16.10) and requests that come without a server transaction (§16.11).
 */
#include "proxy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- §16.6 step 8: the loop-detection hash -------------------------------- */

static uint64_t fnv(uint64_t h, siphon_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        h ^= (unsigned char)s.p[i];
        h *= 0x100000001b3ull;
    }
    /* A separator, so that ("ab","c") and ("a","bc") differ. */
    h ^= 0xff;
    h *= 0x100000001b3ull;
    return h;
}

static uint64_t fnv_fields(uint64_t h, siphon_msg *m, siphon_hdr_id id)
{
    for (long i = siphon_msg_hdr_next(m, id, 0); i >= 0;
         i = siphon_msg_hdr_next(m, id, (size_t)i + 1))
        h = fnv(h, siphon_msg_hdr_at(m, (size_t)i)->value);
    return h;
}

/*
 * §16.6 step 8 hashes the To tag, From tag, Call-ID, the Request-URI as
 * received, the topmost Via, the CSeq number, Proxy-Require and
 * Proxy-Authorization. We leave the topmost Via out: it is the previous
 * hop's, which differs on every trip around a loop, so with it §16.3 step
 * 4 could never find a loop (RFC 5393 §4.2 makes the same observation).
 * The Request-URI is taken after §16.4, as the caller will see it.
 */
void p_loop_hash(siphon_msg *req, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ull;
    const siphon_nameaddr *to = siphon_msg_to(req);
    const siphon_nameaddr *from = siphon_msg_from(req);
    const siphon_cseq *cs = siphon_msg_cseq(req);
    h = fnv(h, to && to->has_tag ? to->tag : SIPHON_STR_NULL);
    h = fnv(h, from && from->has_tag ? from->tag : SIPHON_STR_NULL);
    h = fnv(h, siphon_msg_call_id(req));
    h = fnv(h, siphon_msg_ruri_str(req));
    char num[16];
    snprintf(num, sizeof num, "%u", cs ? (unsigned)cs->num : 0u);
    h = fnv(h, siphon_str_c(num));
    h = fnv_fields(h, req, SIPHON_HDR_PROXY_REQUIRE);
    h = fnv_fields(h, req, SIPHON_HDR_PROXY_AUTHORIZATION);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* §16.3 step 4: one of the Vias is ours with the branch we would give
 * this very request now -- it has come back unchanged: a loop. A Via of
 * ours with another hash is a spiral, which is fine. */
static bool is_loop(siphon_proxy *px, siphon_msg *req)
{
    const void *vv = NULL;
    if (siphon_msg_typed(req, SIPHON_HDR_VIA, &vv, NULL) < 0)
        return false;
    char h[17];
    p_loop_hash(req, h);
    for (const siphon_via *v = vv; v; v = v->next) {
        if (!p_via_is_self(px, v) || v->branch.len < 7 + 16)
            continue;
        if (memcmp(v->branch.p, "z9hG4bK", 7) == 0 &&
            memcmp(v->branch.p + 7, h, 16) == 0)
            return true;
    }
    return false;
}

/* ---- §16.4 route information preprocessing ------------------------------ */

/* Route values, the URIs as written. */
static size_t route_values(siphon_msg *m, siphon_str *out, size_t cap)
{
    const void *rv = NULL;
    size_t n = 0;
    if (siphon_msg_typed(m, SIPHON_HDR_ROUTE, &rv, NULL) < 0)
        return 0;
    for (const siphon_nameaddr *na = rv; na && n < cap; na = na->next)
        out[n++] = na->raw;
    return n;
}

int p_set_routes(siphon_msgb *b, const siphon_str *v, size_t n)
{
    siphon_msgb_remove(b, SIPHON_STR_LIT("Route"), false);
    if (n == 0)
        return 0;
    siphon_buf buf;
    siphon_buf_init(&buf, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        if (i)
            rc = siphon_buf_append_c(&buf, ", ");
        if (rc >= 0)
            rc = siphon_buf_append_str(&buf, v[i]);
    }
    if (rc >= 0)
        rc = siphon_msgb_add(b, SIPHON_STR_LIT("Route"),
                             siphon_str_make(buf.p, buf.len));
    siphon_buf_free(&buf);
    return rc;
}

/*
 * §16.4: a Request-URI that is one of our Record-Route values means the
 * previous hop is a strict router: the real Request-URI is the last Route
 * value. Then a top Route naming us is ours to remove. *out gets the
 * request to go on with (req itself, referenced, when nothing changed).
 */
static int preprocess(siphon_proxy *px, siphon_msg *req, siphon_msg **out)
{
    enum { MAXR = 64 };
    siphon_str routes[MAXR];
    size_t nr = route_values(req, routes, MAXR);
    const void *rv = NULL;
    const siphon_nameaddr *first = NULL, *last = NULL;
    if (nr && siphon_msg_typed(req, SIPHON_HDR_ROUTE, &rv, NULL) == 0) {
        first = rv;
        for (last = first; last->next; last = last->next)
            ;
    }
    siphon_str ruri = siphon_msg_ruri_str(req);
    size_t from = 0, to = nr;
    if (nr && p_is_self(px, siphon_msg_ruri(req, NULL))) {
        const siphon_uri *lu = siphon_nameaddr_uri(req, last, NULL);
        if (lu) {
            ruri = last->uri_text; /* strict-route recovery */
            to = nr - 1;
        }
    }
    if (from < to) {
        const siphon_nameaddr *top = first;
        if (top && p_is_self(px, siphon_nameaddr_uri(req, top, NULL)))
            from = 1;
    }
    if (from == 0 && to == nr) {
        *out = siphon_msg_ref(req);
        return 0;
    }
    siphon_msgb *b = siphon_msgb_from_msg(req);
    if (!b)
        return SIPHON_ENOMEM;
    int rc = siphon_msgb_set_request_line(b, siphon_msg_method(req), ruri);
    if (rc >= 0)
        rc = p_set_routes(b, routes + from, to - from);
    if (rc >= 0)
        rc = siphon_msgb_finish(b, out, NULL);
    siphon_msgb_free(b);
    return rc < 0 ? rc : 0;
}

/* ---- §16.10 CANCEL ----------------------------------------------------- */

static bool same_sentby(const siphon_via *a, const siphon_via *b)
{
    return siphon_str_caseeq(a->host, b->host) &&
           (a->has_port ? a->port : 5060) == (b->has_port ? b->port : 5060);
}

static siphon_proxy_ctx *find_cancelled(siphon_proxy *px, siphon_msg *cancel)
{
    const siphon_via *cv = siphon_msg_via(cancel);
    if (!cv || !cv->has_branch)
        return NULL;
    for (siphon_proxy_ctx *c = px->ctxs; c; c = c->next) {
        if (c->method != SIPHON_METHOD_INVITE)
            continue;
        const siphon_via *v = siphon_msg_via(c->orig);
        /* §9.2 / §17.2.3: the CANCEL carries the INVITE's top Via. */
        if (v && v->has_branch && siphon_str_eq(v->branch, cv->branch) &&
            same_sentby(v, cv) &&
            siphon_str_eq(siphon_msg_call_id(c->orig),
                          siphon_msg_call_id(cancel)))
            return c;
    }
    return NULL;
}

static int on_cancel(siphon_proxy *px, siphon_msg *cancel, void *server,
                     uint64_t now)
{
    siphon_proxy_ctx *c = find_cancelled(px, cancel);
    if (!c) {
        /* §16.10 would forward it statelessly; but every INVITE goes
         * through a context here, so no one downstream can know it. */
        return p_respond_new(px, cancel, server, NULL, 481, NULL, NULL);
    }
    int rc = p_respond_new(px, cancel, server, NULL, 200, NULL, NULL);
    if (rc < 0)
        return rc;
    if (c->final_sent)
        return 0;
    c->cancelled = true;
    if (c->state == PCTX_NEW) {
        /* Not forwarded yet: the INVITE ends here with our 487. */
        rc = p_respond_new(px, c->req, c->server, c, 487, NULL, NULL);
        if (rc < 0)
            return rc;
        c->final_sent = 487;
        pctx_unlink_done(px, c);
        return 0;
    }
    rc = p_cancel_pending(px, c, now);
    p_maybe_done(px, c);
    return rc;
}

/* ---- §16.3 ----------------------------------------------------------- */

static bool supported(siphon_proxy *px, siphon_str tag)
{
    for (size_t i = 0; px->supported[i]; i++)
        if (siphon_str_caseeq_c(tag, px->supported[i]))
            return true;
    return false;
}

/* §16.3 step 5: the Proxy-Require tags we do not know, or 0. */
static int check_proxy_require(siphon_proxy *px, siphon_msg *req,
                               siphon_buf *unsup)
{
    const void *hv = NULL;
    if (siphon_msg_typed(req, SIPHON_HDR_PROXY_REQUIRE, &hv, NULL) < 0)
        return 0;
    int n = 0;
    for (const siphon_hval *v = hv; v; v = v->next) {
        if (supported(px, v->value))
            continue;
        if (n++)
            siphon_buf_append_c(unsup, ", ");
        siphon_buf_append_str(unsup, v->value);
    }
    return n;
}

static int max_forwards(siphon_msg *req)
{
    const void *hv = NULL;
    if (siphon_msg_typed(req, SIPHON_HDR_MAX_FORWARDS, &hv, NULL) < 0)
        return -1;
    const siphon_hval *v = hv;
    return v && v->has_num ? (int)(v->num > 255 ? 255 : v->num) : -1;
}

static int stateless(siphon_proxy *px, siphon_msg *req)
{
    /* §16.3 step 3: an ACK cannot be answered; one with no hops left is
     * dropped. */
    if (max_forwards(req) == 0)
        return SIPHON_PROXY_HANDLED;
    siphon_msg *pre = NULL;
    int rc = preprocess(px, req, &pre);
    if (rc < 0)
        return rc;
    bool has_route = siphon_msg_hdr_next(pre, SIPHON_HDR_ROUTE, 0) >= 0;
    /* §16.11: the ACK for a 2xx, and in-dialog strays that carry their
     * route, go on statelessly; anything else has nowhere to go. */
    if (siphon_msg_method_id(pre) == SIPHON_METHOD_ACK || has_route) {
        if (!(siphon_msg_method_id(pre) == SIPHON_METHOD_ACK && !has_route &&
              p_is_self(px, siphon_msg_ruri(pre, NULL))))
            rc = p_forward_stateless(px, pre);
    }
    siphon_msg_unref(pre);
    return rc < 0 ? rc : SIPHON_PROXY_HANDLED;
}

int siphon_proxy_receive(siphon_proxy *px, siphon_msg *req, void *server,
                         const siphon_verdict *verdict, uint64_t now_ms,
                         siphon_proxy_ctx **ctx_out)
{
    if (ctx_out)
        *ctx_out = NULL;
    if (!px || !req || !siphon_msg_is_request(req) || !siphon_msg_via(req) ||
        !siphon_msg_cseq(req))
        return SIPHON_EINVAL;
    siphon_method m = siphon_msg_method_id(req);
    /* §16.3 step 1 is the caller's parse and verdict. */
    if (verdict && verdict->kind == SIPHON_VERDICT_DROP)
        return SIPHON_PROXY_HANDLED;
    if (!server || m == SIPHON_METHOD_ACK) {
        if (verdict && verdict->kind != SIPHON_VERDICT_ACCEPT)
            return SIPHON_PROXY_HANDLED;
        return stateless(px, req);
    }
    int rc;
    if (verdict && verdict->kind == SIPHON_VERDICT_REJECT) {
        int st = verdict->status >= 300 && verdict->status <= 699
                     ? verdict->status : 400;
        rc = p_respond_new(px, req, server, NULL, st, NULL, NULL);
        return rc < 0 ? rc : SIPHON_PROXY_HANDLED;
    }
    if (m == SIPHON_METHOD_CANCEL) {
        rc = on_cancel(px, req, server, now_ms);
        return rc < 0 ? rc : SIPHON_PROXY_HANDLED;
    }
    /* §16.3 step 2: a scheme we cannot route. */
    const siphon_uri *ru = siphon_msg_ruri(req, NULL);
    int st = 0;
    if (!ru)
        st = 400;
    else if (ru->scheme != SIPHON_URI_SIP && ru->scheme != SIPHON_URI_SIPS &&
             ru->scheme != SIPHON_URI_TEL)
        st = 416;
    /* §16.3 step 3: no hops left. An OPTIONS may be answered by the
     * proxy as a UA would. */
    if (!st && max_forwards(req) == 0)
        st = (m == SIPHON_METHOD_OPTIONS && px->cfg.answer_options) ? 200
                                                                    : 483;
    if (st) {
        rc = p_respond_new(px, req, server, NULL, st, NULL, NULL);
        return rc < 0 ? rc : SIPHON_PROXY_HANDLED;
    }
    siphon_msg *pre = NULL;
    rc = preprocess(px, req, &pre);
    if (rc < 0)
        return rc;
    /* §16.3 step 4, on the preprocessed request so that the hash is the
     * one §16.6 step 8 gave it when we forwarded it. */
    if (px->cfg.loop_detect && is_loop(px, pre))
        st = 482;
    /* §16.3 step 5. */
    siphon_buf unsup;
    siphon_buf_init(&unsup, 4096);
    if (!st && check_proxy_require(px, pre, &unsup) > 0) {
        rc = p_respond_new(px, req, server, NULL, 420, "Unsupported",
                           unsup.p ? unsup.p : "");
        siphon_buf_free(&unsup);
        siphon_msg_unref(pre);
        return rc < 0 ? rc : SIPHON_PROXY_HANDLED;
    }
    siphon_buf_free(&unsup);
    if (st) {
        rc = p_respond_new(px, req, server, NULL, st, NULL, NULL);
        siphon_msg_unref(pre);
        return rc < 0 ? rc : SIPHON_PROXY_HANDLED;
    }
    if (px->nctx >= px->cfg.max_contexts) {
        siphon_msg_unref(pre);
        return SIPHON_ETOOBIG;
    }
    siphon_proxy_ctx *c = pctx_new(px, pre, req, server);
    siphon_msg_unref(pre);
    if (!c)
        return SIPHON_ENOMEM;
    if (ctx_out)
        *ctx_out = c;
    return SIPHON_PROXY_CONTEXT;
}

int siphon_proxy_reject(siphon_proxy *px, siphon_proxy_ctx *ctx, int status,
                        uint64_t now_ms)
{
    if (!px || !ctx || status < 300 || status > 699)
        return SIPHON_EINVAL;
    if (ctx->state != PCTX_NEW)
        return SIPHON_ESTATE;
    int rc = p_respond_new(px, ctx->req, ctx->server, ctx, status, NULL,
                           NULL);
    if (rc < 0)
        return rc;
    ctx->final_sent = status;
    pctx_unlink_done(px, ctx);
    return 0;
}
