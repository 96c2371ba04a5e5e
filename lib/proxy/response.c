/*
 * response.c -- response processing (RFC 3261 §16.7): the response
 * context and branch a response belongs to, 100 absorbed, 1xx and 2xx
 * forwarded at once, 6xx ending the search, the best response when every
 * branch has ended (lowest class, 4xx preferences, 503 -> 500, the 408 of
 * silence), authentication challenge aggregation (§16.7 step 7), CANCEL of
 * what is left (§16.7 step 10); Timer C (§16.8) and transport errors
 * (§16.9).
 */
#include "proxy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool find_branch(siphon_proxy *px, siphon_str branch,
                        siphon_proxy_ctx **cp, pbranch **bp)
{
    for (siphon_proxy_ctx *c = px->ctxs; c; c = c->next)
        for (size_t i = 0; i < c->nbr; i++)
            if (siphon_str_eq(siphon_str_c(c->br[i].via_branch), branch)) {
                *cp = c;
                *bp = &c->br[i];
                return true;
            }
    return false;
}

static bool has_via_left(siphon_msg *m)
{
    const void *vv = NULL;
    return siphon_msg_typed(m, SIPHON_HDR_VIA, &vv, NULL) == 0 && vv &&
           ((const siphon_via *)vv)->next;
}

static int copy_auth(siphon_msgb *b, siphon_msg *from)
{
    static const siphon_hdr_id ids[] = {SIPHON_HDR_WWW_AUTHENTICATE,
                                        SIPHON_HDR_PROXY_AUTHENTICATE};
    int rc = 0;
    for (size_t k = 0; k < 2 && rc >= 0; k++)
        for (long i = siphon_msg_hdr_next(from, ids[k], 0); i >= 0 && rc >= 0;
             i = siphon_msg_hdr_next(from, ids[k], (size_t)i + 1))
            rc = siphon_msgb_add(b, siphon_str_c(siphon_hdr_name(ids[k])),
                                 siphon_msg_hdr_at(from, (size_t)i)->value);
    return rc;
}

/*
 * Forward a downstream response upstream (§16.7 step 9): our Via off
 * (step 3), status rewritten when status != 0 (503 -> 500), challenges of
 * the other branches merged when ctx is given (step 7). server NULL sends
 * it statelessly.
 */
static int forward_resp(siphon_proxy *px, siphon_proxy_ctx *ctx, void *server,
                        siphon_msg *resp, int status, bool aggregate)
{
    if (!has_via_left(resp))
        return 0; /* it was for us: nowhere to go */
    siphon_msgb *b = siphon_msgb_from_msg(resp);
    if (!b)
        return SIPHON_ENOMEM;
    int rc = p_pop_via(b, resp);
    if (rc >= 0 && status)
        rc = siphon_msgb_set_status(b, status, SIPHON_STR_NULL);
    for (size_t i = 0; aggregate && ctx && i < ctx->nbr && rc >= 0; i++) {
        siphon_msg *o = ctx->br[i].resp;
        if (o && o != resp &&
            (siphon_msg_status(o) == 401 || siphon_msg_status(o) == 407))
            rc = copy_auth(b, o);
    }
    siphon_msg *m = NULL;
    if (rc >= 0)
        rc = siphon_msgb_finish(b, &m, NULL);
    siphon_msgb_free(b);
    if (rc < 0)
        return rc;
    rc = pq_push(px, SIPHON_PROXY_EV_RESPOND, server ? ctx : NULL, server, 0,
                 m, SIPHON_STR_NULL, siphon_msg_status(m));
    siphon_msg_unref(m);
    return rc;
}

static bool pending(const siphon_proxy_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nbr; i++)
        if (ctx->br[i].state != PBR_COMPLETED)
            return true;
    return false;
}

void p_maybe_done(siphon_proxy *px, siphon_proxy_ctx *ctx)
{
    if (ctx->state == PCTX_FORWARDING && ctx->final_sent && !pending(ctx))
        pctx_unlink_done(px, ctx);
}

/* §16.7 step 6: within 4xx these say best what the client can do. */
static bool preferred_4xx(int st)
{
    return st == 401 || st == 407 || st == 415 || st == 420 || st == 484;
}

static pbranch *best_branch(siphon_proxy_ctx *ctx)
{
    pbranch *best = NULL;
    for (size_t i = 0; i < ctx->nbr; i++) {
        pbranch *b = &ctx->br[i];
        if (b->status < 300)
            continue;
        if (!best) {
            best = b;
            continue;
        }
        int bc = best->status / 100, c = b->status / 100;
        if (bc == 6)
            break; /* the first 6xx wins */
        if (c == 6 || c < bc ||
            (c == 4 && bc == 4 && preferred_4xx(b->status) &&
             !preferred_4xx(best->status)))
            best = b;
    }
    return best;
}

/* §16.7 step 6: every branch has ended and nothing final went up yet. */
static int send_best(siphon_proxy *px, siphon_proxy_ctx *ctx)
{
    pbranch *b = best_branch(ctx);
    /* No response at all: 408; nothing could even be sent: 500. */
    int st = b ? b->status : ctx->nbr ? 408 : 500;
    int send = st == 503 ? 500 : st;
    int rc;
    if (b && b->resp)
        rc = forward_resp(px, ctx, ctx->server, b->resp,
                          send != st ? send : 0, st == 401 || st == 407);
    else
        rc = p_respond_new(px, ctx->req, ctx->server, ctx, send, NULL, NULL);
    if (rc >= 0)
        ctx->final_sent = send;
    return rc;
}

int p_branch_completed(siphon_proxy *px, siphon_proxy_ctx *ctx, uint64_t now)
{
    if (ctx->state != PCTX_FORWARDING)
        return 0;
    int rc = 0;
    if (!pending(ctx) && !ctx->final_sent) {
        /* §16.6: the group ended with no 2xx or 6xx: the next one. */
        if (p_fork_next(px, ctx, now) > 0)
            return 0;
        rc = send_best(px, ctx);
    }
    p_maybe_done(px, ctx);
    return rc;
}

static void complete(pbranch *b, int status, siphon_msg *keep)
{
    b->state = PBR_COMPLETED;
    b->status = status;
    b->timer_c = 0;
    b->guard = 0;
    b->cancel_wanted = false;
    if (keep) {
        siphon_msg_unref(b->resp);
        b->resp = siphon_msg_ref(keep);
    }
}

static int on_provisional(siphon_proxy *px, siphon_proxy_ctx *ctx,
                          pbranch *b, siphon_msg *resp, int st, uint64_t now)
{
    int rc = 0;
    switch (b->state) {
    case PBR_CALLING:
        b->state = PBR_PROCEEDING;
        /* fall through */
    case PBR_PROCEEDING:
        /* §16.7 step 2: Timer C restarts on 101-199. */
        if (st > 100 && b->timer_c)
            b->timer_c = now + px->cfg.timer_c_ms;
        /* §9.1: a CANCEL held back for want of a provisional goes now. */
        if (b->cancel_wanted)
            rc = p_cancel_branch(px, ctx, b, now);
        break;
    case PBR_COMPLETED:
        if (!b->answered && !b->cancel_sent &&
            ctx->method == SIPHON_METHOD_INVITE) {
            /* We gave up on it (Timer C, §16.8) but it is alive after
             * all: stop it ringing. */
            b->state = PBR_PROCEEDING;
            rc = p_cancel_branch(px, ctx, b, now);
            b->state = PBR_COMPLETED;
            b->guard = 0;
        }
        break;
    }
    /* §16.7 step 5: 101-199 go up at once until a final has; 100 is
     * hop-by-hop. */
    if (rc >= 0 && st > 100 && !ctx->final_sent)
        rc = forward_resp(px, ctx, ctx->server, resp, 0, false);
    return rc;
}

static int on_2xx(siphon_proxy *px, siphon_proxy_ctx *ctx, pbranch *b,
                  siphon_msg *resp, int st, uint64_t now)
{
    if (b->state != PBR_COMPLETED)
        complete(b, st, resp);
    b->answered = true;
    int rc = 0;
    bool first = !ctx->final_sent;
    /* §16.7 step 5: every 2xx to an INVITE goes up, even after a final;
     * through the server transaction while that takes it (a 2xx went
     * first), statelessly after a non-2xx. A non-INVITE has one final. */
    if (first)
        rc = forward_resp(px, ctx, ctx->server, resp, 0, false);
    else if (ctx->method == SIPHON_METHOD_INVITE)
        rc = forward_resp(px, ctx,
                          ctx->final_sent < 300 ? ctx->server : NULL, resp, 0,
                          false);
    if (rc >= 0 && first) {
        ctx->final_sent = st;
        rc = p_cancel_pending(px, ctx, now); /* §16.7 step 10 */
    }
    int r2 = p_branch_completed(px, ctx, now);
    return rc < 0 ? rc : r2;
}

static int on_final(siphon_proxy *px, siphon_proxy_ctx *ctx, pbranch *b,
                    siphon_msg *resp, int st, uint64_t now)
{
    if (b->state == PBR_COMPLETED)
        return 0; /* a retransmission, or a branch we had given up on */
    int rc = 0;
    bool keep = true;
    if (st < 400 && px->cfg.recurse && !ctx->final_sent && !ctx->got_6xx &&
        !ctx->cancelled && p_recurse(px, ctx, resp) > 0)
        keep = false; /* §16.7 step 4: its Contacts are targets now */
    /* A recursed 3xx is no candidate for §16.7 step 6: status 0. */
    complete(b, keep ? st : 0, keep ? resp : NULL);
    b->answered = true;
    if (st >= 600 && !ctx->got_6xx) {
        /* §16.7 step 5: a 6xx waits for the others, which are
         * CANCELled, and no new branch starts. */
        ctx->got_6xx = true;
        rc = p_cancel_pending(px, ctx, now);
    }
    int r2 = p_branch_completed(px, ctx, now);
    return rc < 0 ? rc : r2;
}

int siphon_proxy_response(siphon_proxy *px, siphon_msg *resp,
                          uint64_t now_ms)
{
    if (!px || !resp || siphon_msg_is_request(resp))
        return SIPHON_EINVAL;
    const siphon_via *v = siphon_msg_via(resp);
    const siphon_cseq *cs = siphon_msg_cseq(resp);
    if (!v || !cs)
        return SIPHON_ENOENT;
    int st = siphon_msg_status(resp);
    siphon_proxy_ctx *ctx;
    pbranch *b;
    if (!find_branch(px, v->branch, &ctx, &b)) {
        /* §16.7 step 1: no context: process it as a stateless proxy
         * would. Only a 2xx to an INVITE can still matter upstream (a
         * retransmission, or another fork's, after the context ended:
         * RFC 6026 §7.2); any other late response met a completed client
         * transaction up there and would only be absorbed. */
        if (!p_via_is_self(px, v) || cs->method_id != SIPHON_METHOD_INVITE ||
            st < 200 || st >= 300)
            return SIPHON_ENOENT;
        return forward_resp(px, NULL, NULL, resp, 0, false);
    }
    /* The answer to a CANCEL we sent ends with us (§16.10). */
    if (cs->method_id == SIPHON_METHOD_CANCEL)
        return 0;
    if (cs->method_id != ctx->method)
        return SIPHON_ENOENT;
    if (st < 200)
        return on_provisional(px, ctx, b, resp, st, now_ms);
    if (st < 300)
        return on_2xx(px, ctx, b, resp, st, now_ms);
    return on_final(px, ctx, b, resp, st, now_ms);
}

int siphon_proxy_branch_failed(siphon_proxy *px, siphon_msg *req, int err,
                               uint64_t now_ms)
{
    if (!px || !req)
        return SIPHON_EINVAL;
    const siphon_via *v = siphon_msg_via(req);
    const siphon_cseq *cs = siphon_msg_cseq(req);
    siphon_proxy_ctx *ctx;
    pbranch *b;
    if (!v || !cs || !find_branch(px, v->branch, &ctx, &b))
        return SIPHON_ENOENT;
    if (cs->method_id == SIPHON_METHOD_CANCEL || b->state == PBR_COMPLETED)
        return 0;
    /* §16.7 step 6 (timeout: 408) and §16.9 (transport error: 503). */
    complete(b, err == SIPHON_ETIMEDOUT ? 408 : 503, NULL);
    return p_branch_completed(px, ctx, now_ms);
}

/* ---- timers ------------------------------------------------------------- */

uint64_t siphon_proxy_next_deadline(const siphon_proxy *px)
{
    uint64_t best = UINT64_MAX;
    if (!px)
        return best;
    for (const siphon_proxy_ctx *c = px->ctxs; c; c = c->next)
        for (size_t i = 0; i < c->nbr; i++) {
            const pbranch *b = &c->br[i];
            if (b->timer_c && b->timer_c < best)
                best = b->timer_c;
            if (b->guard && b->guard < best)
                best = b->guard;
        }
    return best;
}

int siphon_proxy_tick(siphon_proxy *px, uint64_t now_ms)
{
    if (!px)
        return SIPHON_EINVAL;
    int fired = 0, err = 0;
    siphon_proxy_ctx *next;
    for (siphon_proxy_ctx *c = px->ctxs; c; c = next) {
        next = c->next;
        bool changed = false;
        for (size_t i = 0; i < c->nbr; i++) {
            pbranch *b = &c->br[i];
            if (b->timer_c && b->timer_c <= now_ms) {
                fired++;
                b->timer_c = 0;
                /* §16.8: CANCEL a branch that rings; one that never
                 * answered counts as a 408. */
                if (b->state == PBR_PROCEEDING) {
                    int rc = p_cancel_branch(px, c, b, now_ms);
                    if (rc < 0) {
                        err = rc;
                        complete(b, 408, NULL);
                        changed = true;
                    }
                } else if (b->state == PBR_CALLING) {
                    complete(b, 408, NULL);
                    changed = true;
                }
            }
            if (b->guard && b->guard <= now_ms) {
                fired++;
                b->guard = 0;
                if (b->state != PBR_COMPLETED) {
                    complete(b, 408, NULL); /* §9.1: 64*T1 after CANCEL */
                    changed = true;
                }
            }
        }
        if (changed) {
            int rc = p_branch_completed(px, c, now_ms);
            if (rc < 0)
                err = rc;
        } else {
            p_maybe_done(px, c);
        }
    }
    return err < 0 ? err : fired;
}
