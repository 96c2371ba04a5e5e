/*
 * forward.c -- the target set (RFC 3261 §16.5) and forwarding to it
 * (§16.6): parallel and sequential forking by q-value, the copy of the
 * request for each target (Request-URI, Max-Forwards, Record-Route, Route,
 * Via with a loop-detection branch), Timer C, CANCEL of branches (§9.1,
 * §16.7 step 10, §16.10) and stateless forwarding (§16.11).
 */
#include "proxy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- §16.5 the target set ---------------------------------------------- */

static bool same_target(const char *a, const char *b)
{
    siphon_arena ar;
    siphon_arena_init(&ar, NULL, 0);
    siphon_uri ua, ub;
    bool eq = siphon_uri_parse(&ar, a, strlen(a), &ua, NULL) == 0 &&
              siphon_uri_parse(&ar, b, strlen(b), &ub, NULL) == 0 &&
              siphon_uri_equal(&ua, &ub);
    siphon_arena_free(&ar);
    return eq;
}

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* Add a target; 1 when added, 0 when a duplicate, or an error. */
static int add_target(siphon_proxy *px, siphon_proxy_ctx *ctx, siphon_str uri,
                      int q, const char *route)
{
    char *u = dupn(uri.p ? uri.p : "", uri.len);
    if (!u)
        return SIPHON_ENOMEM;
    siphon_arena ar;
    siphon_arena_init(&ar, NULL, 0);
    siphon_uri parsed;
    int rc = siphon_uri_parse(&ar, u, strlen(u), &parsed, NULL);
    siphon_arena_free(&ar);
    if (rc < 0 || strlen(u) != uri.len) {
        free(u);
        return SIPHON_EPARSE;
    }
    /* §16.5: a target set holds each URI once. */
    for (size_t i = 0; i < ctx->ntargets; i++)
        if (same_target(ctx->targets[i].uri, u)) {
            free(u);
            return 0;
        }
    if (ctx->ntargets >= px->cfg.max_branches) {
        free(u);
        return SIPHON_ETOOBIG;
    }
    char *r = NULL;
    if (route && !(r = dupn(route, strlen(route)))) {
        free(u);
        return SIPHON_ENOMEM;
    }
    ptarget *t = &ctx->targets[ctx->ntargets++];
    t->uri = u;
    t->route = r;
    t->q = q < 0 || q > 1000 ? 1000 : q;
    t->tried = false;
    return 1;
}

int siphon_proxy_add_target(siphon_proxy *px, siphon_proxy_ctx *ctx,
                            const char *uri, int q, const char *route)
{
    if (!px || !ctx || !uri)
        return SIPHON_EINVAL;
    if (ctx->state == PCTX_FINISHED || ctx->final_sent)
        return SIPHON_ESTATE;
    int rc = add_target(px, ctx, siphon_str_c(uri), q, route);
    return rc < 0 ? rc : 0;
}

/* §16.5: recursion on a 3xx adds its Contacts. Returns how many were new. */
int p_recurse(siphon_proxy *px, siphon_proxy_ctx *ctx, siphon_msg *resp)
{
    const void *cv = NULL;
    if (siphon_msg_typed(resp, SIPHON_HDR_CONTACT, &cv, NULL) < 0)
        return 0;
    int added = 0;
    for (const siphon_nameaddr *na = cv; na; na = na->next) {
        if (na->star || !siphon_nameaddr_uri(resp, na, NULL))
            continue;
        int rc = add_target(px, ctx, na->uri_text, na->has_q ? na->q : -1,
                            NULL);
        if (rc > 0)
            added++;
    }
    return added;
}

/* ---- §16.6 one copy per target ------------------------------------------- */

static int max_forwards(siphon_msg *req)
{
    const void *hv = NULL;
    if (siphon_msg_typed(req, SIPHON_HDR_MAX_FORWARDS, &hv, NULL) < 0)
        return -1;
    const siphon_hval *v = hv;
    return v && v->has_num ? (int)(v->num > 255 ? 255 : v->num) : -1;
}

/* The next hop: the top Route's URI, else the Request-URI (§16.6 step 7,
 * §16.12). A view into m. */
static siphon_str next_hop_of(siphon_msg *m)
{
    const void *rv = NULL;
    if (siphon_msg_typed(m, SIPHON_HDR_ROUTE, &rv, NULL) == 0 && rv)
        return ((const siphon_nameaddr *)rv)->uri_text;
    return siphon_msg_ruri_str(m);
}

/*
 * §16.6 step 6: a next hop without ;lr is a strict router (RFC 2543). It
 * wants its own URI as the Request-URI, and the real Request-URI as the
 * last Route value. *m is replaced when it changes; returns 1 then (the
 * next hop is the new Request-URI, §16.6 step 7), 0 when nothing changed.
 */
static int strict_route_fixup(siphon_msg **m)
{
    enum { MAXR = 64 };
    const void *rv = NULL;
    if (siphon_msg_typed(*m, SIPHON_HDR_ROUTE, &rv, NULL) < 0 || !rv)
        return 0;
    const siphon_nameaddr *top = rv;
    const siphon_uri *tu = siphon_nameaddr_uri(*m, top, NULL);
    if (!tu || siphon_params_find(&tu->params, "lr"))
        return 0;
    siphon_str vals[MAXR + 1];
    size_t n = 0;
    for (const siphon_nameaddr *na = top->next; na && n < MAXR; na = na->next)
        vals[n++] = na->raw;
    char last[1100];
    siphon_str ru = siphon_msg_ruri_str(*m);
    int w = snprintf(last, sizeof last, "<%.*s>", (int)ru.len, ru.p);
    if (w < 0 || (size_t)w >= sizeof last)
        return SIPHON_ETOOBIG;
    vals[n++] = siphon_str_make(last, (size_t)w);
    siphon_msgb *b = siphon_msgb_from_msg(*m);
    if (!b)
        return SIPHON_ENOMEM;
    int rc = siphon_msgb_set_request_line(b, siphon_msg_method(*m),
                                          top->uri_text);
    if (rc >= 0)
        rc = p_set_routes(b, vals, n);
    siphon_msg *out = NULL;
    if (rc >= 0)
        rc = siphon_msgb_finish(b, &out, NULL);
    siphon_msgb_free(b);
    if (rc < 0)
        return rc;
    siphon_msg_unref(*m);
    *m = out;
    return 1;
}

static int set_max_forwards(siphon_msgb *b, siphon_msg *req)
{
    /* §16.6 step 3: one less, or 70 when the request had none. */
    int mf = max_forwards(req);
    char v[8];
    snprintf(v, sizeof v, "%d", mf < 0 ? 70 : (mf > 0 ? mf - 1 : 0));
    return siphon_msgb_set(b, SIPHON_STR_LIT("Max-Forwards"), siphon_str_c(v));
}

static int add_via(siphon_proxy *px, siphon_msgb *b, const char *branch)
{
    char v[600];
    if (px->cfg.port)
        snprintf(v, sizeof v, "SIP/2.0/%s %s:%u;branch=%s", px->transport,
                 px->host, (unsigned)px->cfg.port, branch);
    else
        snprintf(v, sizeof v, "SIP/2.0/%s %s;branch=%s", px->transport,
                 px->host, branch);
    return siphon_msgb_add_top(b, SIPHON_STR_LIT("Via"), siphon_str_c(v));
}

static bool wants_record_route(siphon_method m)
{
    /* A REGISTER creates no dialog and a CANCEL or ACK follows the route
     * of its INVITE: Record-Route means nothing to them. */
    return m != SIPHON_METHOD_REGISTER && m != SIPHON_METHOD_CANCEL &&
           m != SIPHON_METHOD_ACK;
}

static int forward_to(siphon_proxy *px, siphon_proxy_ctx *ctx, ptarget *t,
                      uint64_t now)
{
    if (ctx->nbr >= px->cfg.max_branches)
        return SIPHON_ETOOBIG;
    pbranch *br = &ctx->br[ctx->nbr];
    memset(br, 0, sizeof *br);
    br->id = px->next_id++;
    if (px->next_id == 0)
        px->next_id = 1;
    /* §16.6 step 8: the hash part lets §16.3 step 4 find loops; the
     * rest makes the branch unique. */
    snprintf(br->via_branch, sizeof br->via_branch, "z9hG4bK%s.%x%08x",
             ctx->hash, (unsigned)br->id, (unsigned)prng32(px));
    siphon_msgb *b = siphon_msgb_from_msg(ctx->req);
    if (!b)
        return SIPHON_ENOMEM;
    int rc = siphon_msgb_set_request_line(b, siphon_msg_method(ctx->req),
                                          siphon_str_c(t->uri)); /* step 2 */
    if (rc >= 0)
        rc = set_max_forwards(b, ctx->req);                    /* step 3 */
    if (rc >= 0 && px->cfg.record_route && wants_record_route(ctx->method)) {
        /* step 4: sips when the request was (§16.6 step 4). */
        const siphon_uri *ru = siphon_msg_ruri(ctx->req, NULL);
        bool sips = ru && ru->scheme == SIPHON_URI_SIPS;
        char rr[600];
        snprintf(rr, sizeof rr, "<%s%s;lr>", sips ? "sips" : "sip",
                 px->self_text + 3);
        rc = siphon_msgb_add_top(b, SIPHON_STR_LIT("Record-Route"),
                                 siphon_str_c(rr));
    }
    if (rc >= 0 && t->route) {                                 /* step 6 */
        char r[1100];
        snprintf(r, sizeof r, "<%s>", t->route);
        rc = siphon_msgb_add_top(b, SIPHON_STR_LIT("Route"), siphon_str_c(r));
    }
    if (rc >= 0)
        rc = add_via(px, b, br->via_branch);                   /* step 8 */
    siphon_msg *m = NULL;
    if (rc >= 0)                          /* step 9: Content-Length */
        rc = siphon_msgb_finish(b, &m, NULL);
    siphon_msgb_free(b);
    int strict = 0;
    if (rc >= 0 && (strict = rc = strict_route_fixup(&m)) < 0)
        siphon_msg_unref(m);
    if (rc < 0)
        return rc;
    br->req = m;
    br->next_hop = strict ? siphon_msg_ruri_str(m) : next_hop_of(m); /* 7 */
    br->state = PBR_CALLING;
    if (ctx->method == SIPHON_METHOD_INVITE)                  /* step 11 */
        br->timer_c = now + px->cfg.timer_c_ms;
    rc = pq_push(px, SIPHON_PROXY_EV_FORWARD, ctx, ctx->server, br->id, m,
                 br->next_hop, 0);
    if (rc < 0) {
        siphon_msg_unref(m);
        br->req = NULL;
        return rc;
    }
    ctx->nbr++;
    return 0;
}

/*
 * §16.6: forward to the highest-q group of untried targets at once
 * (parallel), keeping lower groups for when this one ends (sequential).
 * Nothing new after a final was sent, a 6xx came or upstream CANCELled.
 * Returns the number of branches started.
 */
int p_fork_next(siphon_proxy *px, siphon_proxy_ctx *ctx, uint64_t now)
{
    if (ctx->final_sent || ctx->got_6xx || ctx->cancelled)
        return 0;
    int best = -1;
    for (size_t i = 0; i < ctx->ntargets; i++)
        if (!ctx->targets[i].tried && ctx->targets[i].q > best)
            best = ctx->targets[i].q;
    if (best < 0)
        return 0;
    int n = 0;
    for (size_t i = 0; i < ctx->ntargets; i++) {
        ptarget *t = &ctx->targets[i];
        if (t->tried || t->q != best)
            continue;
        t->tried = true;
        if (forward_to(px, ctx, t, now) == 0)
            n++;
    }
    return n;
}

int siphon_proxy_start(siphon_proxy *px, siphon_proxy_ctx *ctx,
                       uint64_t now_ms)
{
    if (!px || !ctx)
        return SIPHON_EINVAL;
    if (ctx->state != PCTX_NEW)
        return SIPHON_ESTATE;
    ctx->state = PCTX_FORWARDING;
    /* §16.5: with no target decided, the Request-URI is the target. */
    if (ctx->ntargets == 0) {
        int rc = add_target(px, ctx, siphon_msg_ruri_str(ctx->req), -1, NULL);
        if (rc < 0) {
            /* A URI we cannot forward to: answer rather than hang. */
            int st = rc == SIPHON_EPARSE ? 400 : 500;
            rc = p_respond_new(px, ctx->req, ctx->server, ctx, st, NULL, NULL);
            ctx->final_sent = st;
            pctx_unlink_done(px, ctx);
            return rc < 0 ? rc : 0;
        }
    }
    if (p_fork_next(px, ctx, now_ms) == 0) {
        /* Nothing could be sent (memory): the request still gets its
         * final response, from §16.7 step 6 (a 408 with no branch). */
        return p_branch_completed(px, ctx, now_ms);
    }
    return 0;
}

/* ---- §9.1 CANCEL of a branch --------------------------------------------- */

static int copy_fields(siphon_msgb *b, siphon_msg *m, siphon_hdr_id id)
{
    int rc = 0;
    for (long i = siphon_msg_hdr_next(m, id, 0); i >= 0 && rc >= 0;
         i = siphon_msg_hdr_next(m, id, (size_t)i + 1)) {
        const siphon_hdr *h = siphon_msg_hdr_at(m, (size_t)i);
        rc = siphon_msgb_add(b, siphon_str_c(siphon_hdr_name(id)), h->value);
    }
    return rc;
}

static int build_cancel(siphon_msg *inv, siphon_msg **out)
{
    /* §9.1: same Request-URI, Call-ID, To, From, CSeq number, Route; a
     * single Via equal to the INVITE's top one. */
    const siphon_via *v = siphon_msg_via(inv);
    const siphon_cseq *cs = siphon_msg_cseq(inv);
    if (!v || !cs)
        return SIPHON_EINVAL;
    siphon_msgb *b = siphon_msgb_request(SIPHON_STR_LIT("CANCEL"),
                                         siphon_msg_ruri_str(inv));
    if (!b)
        return SIPHON_ENOMEM;
    char cseq[32];
    snprintf(cseq, sizeof cseq, "%u CANCEL", (unsigned)cs->num);
    int rc = siphon_msgb_add(b, SIPHON_STR_LIT("Via"), v->raw);
    if (rc >= 0)
        rc = copy_fields(b, inv, SIPHON_HDR_ROUTE);
    if (rc >= 0)
        rc = siphon_msgb_add(b, SIPHON_STR_LIT("Max-Forwards"),
                             SIPHON_STR_LIT("70"));
    if (rc >= 0)
        rc = copy_fields(b, inv, SIPHON_HDR_FROM);
    if (rc >= 0)
        rc = copy_fields(b, inv, SIPHON_HDR_TO);
    if (rc >= 0)
        rc = siphon_msgb_add(b, SIPHON_STR_LIT("Call-ID"),
                             siphon_msg_call_id(inv));
    if (rc >= 0)
        rc = siphon_msgb_add(b, SIPHON_STR_LIT("CSeq"), siphon_str_c(cseq));
    if (rc >= 0)
        rc = siphon_msgb_finish(b, out, NULL);
    siphon_msgb_free(b);
    return rc < 0 ? rc : 0;
}

int p_cancel_branch(siphon_proxy *px, siphon_proxy_ctx *ctx, pbranch *b,
                    uint64_t now)
{
    if (ctx->method != SIPHON_METHOD_INVITE || b->state == PBR_COMPLETED ||
        b->cancel_sent)
        return 0;
    if (b->state == PBR_CALLING) {
        /* §9.1: no CANCEL before a provisional response; it goes when
         * one comes (or Timer C / Timer B ends the branch). */
        b->cancel_wanted = true;
        return 0;
    }
    siphon_msg *c = NULL;
    int rc = build_cancel(b->req, &c);
    if (rc < 0)
        return rc;
    /* §9.1: the CANCEL goes where its INVITE went (its Request-URI and
     * Route are the INVITE's); the view is into the CANCEL itself. */
    bool to_ruri = b->next_hop.p == siphon_msg_ruri_str(b->req).p;
    rc = pq_push(px, SIPHON_PROXY_EV_CANCEL_BRANCH, ctx, ctx->server, b->id, c,
                 to_ruri ? siphon_msg_ruri_str(c) : next_hop_of(c), 0);
    siphon_msg_unref(c);
    if (rc < 0)
        return rc;
    b->cancel_sent = true;
    b->cancel_wanted = false;
    b->timer_c = 0;
    /* §9.1: a CANCELled request that gets no final within 64*T1 is
     * considered finished. */
    b->guard = now + 64ull * px->cfg.t1_ms;
    return 0;
}

int p_cancel_pending(siphon_proxy *px, siphon_proxy_ctx *ctx, uint64_t now)
{
    int rc = 0;
    for (size_t i = 0; i < ctx->nbr; i++) {
        int r = p_cancel_branch(px, ctx, &ctx->br[i], now);
        if (r < 0)
            rc = r;
    }
    return rc;
}

/* ---- Via handling ---------------------------------------------------------- */

int p_pop_via(siphon_msgb *b, siphon_msg *m)
{
    long i = siphon_msg_hdr_next(m, SIPHON_HDR_VIA, 0);
    const siphon_via *v = siphon_msg_via(m);
    if (i < 0 || !v)
        return SIPHON_EINVAL;
    siphon_str val = siphon_msg_hdr_at(m, (size_t)i)->value;
    siphon_msgb_remove(b, SIPHON_STR_LIT("Via"), true);
    /* The field may hold more values (§7.3.1): keep the rest. */
    const char *end = val.p + val.len;
    const char *p = v->raw.p + v->raw.len;
    if (p < val.p || p > end)
        return 0;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
                       *p == ','))
        p++;
    if (p == end)
        return 0;
    return siphon_msgb_add_top(b, SIPHON_STR_LIT("Via"),
                               siphon_str_make(p, (size_t)(end - p)));
}

/* ---- §16.11 stateless forwarding ------------------------------------------- */

int p_forward_stateless(siphon_proxy *px, siphon_msg *req)
{
    char hash[17];
    p_loop_hash(req, hash);
    /* §16.11: a stateless branch must come out the same for a
     * retransmission, so it derives from the request, top Via included. */
    const siphon_via *tv = siphon_msg_via(req);
    uint32_t h = 2166136261u;
    for (size_t i = 0; tv && i < tv->branch.len; i++)
        h = (h ^ (unsigned char)tv->branch.p[i]) * 16777619u;
    char branch[48];
    snprintf(branch, sizeof branch, "z9hG4bK%s.s%08x", hash, (unsigned)h);
    siphon_msgb *b = siphon_msgb_from_msg(req);
    if (!b)
        return SIPHON_ENOMEM;
    int rc = set_max_forwards(b, req);
    if (rc >= 0)
        rc = add_via(px, b, branch);
    siphon_msg *m = NULL;
    if (rc >= 0)
        rc = siphon_msgb_finish(b, &m, NULL);
    siphon_msgb_free(b);
    int strict = 0;
    if (rc >= 0 && (strict = rc = strict_route_fixup(&m)) < 0)
        siphon_msg_unref(m);
    if (rc < 0)
        return rc;
    rc = pq_push(px, SIPHON_PROXY_EV_FORWARD, NULL, NULL, 0, m,
                 strict ? siphon_msg_ruri_str(m) : next_hop_of(m), 0);
    siphon_msg_unref(m);
    return rc;
}
