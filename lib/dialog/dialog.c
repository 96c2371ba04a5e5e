/*
 * dialog.c -- the dialog state machine: creation on the UAC side
 * (RFC 3261 §12.1.2) and the UAS side (§12.1.1), the EARLY -> CONFIRMED
 * move of a 2xx and the forks of §13.2.2.4, requests received within a
 * dialog (§12.2.2: 481, 500 for a CSeq out of order, target refresh),
 * responses to requests sent within one (§12.2.1.2: 481 and 408 end it),
 * the 2xx retransmissions of a UAS until its ACK (§13.3.1.4, timers in
 * set.c), and termination (§12.3, §15).
 *
 * States (§12): EARLY, CONFIRMED, TERMINATED. Edges:
 *   (none)    -> EARLY       1xx with To tag (UAC receives, UAS sends)
 *   (none)    -> CONFIRMED   2xx (each fork its own dialog, §13.2.2.4)
 *   EARLY     -> CONFIRMED   2xx with the same tag
 *   EARLY     -> TERMINATED  300-699 to the INVITE; INVITE over unconfirmed
 *   any       -> TERMINATED  BYE sent or received; 481/408; no ACK;
 *                            siphon_dialog_terminate()
 */
#include "dialog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading messages -------------------------------------------------- */

typedef struct ids {
    siphon_str call_id;
    const siphon_nameaddr *from, *to;
    const siphon_cseq *cseq;
} ids;

static int read_ids(siphon_msg *m, ids *x)
{
    x->call_id = siphon_msg_call_id(m);
    x->from = siphon_msg_from(m);
    x->to = siphon_msg_to(m);
    x->cseq = siphon_msg_cseq(m);
    if (x->call_id.len == 0 || !x->from || !x->to || !x->cseq)
        return SIPHON_EINVAL;
    return 0;
}

static siphon_str tag_of(const siphon_nameaddr *na)
{
    return na->has_tag ? na->tag : SIPHON_STR_NULL;
}

/*
 * The URI of the first Contact (the remote target, §12.1.1/§12.1.2).
 * SIPHON_ENOENT when there is none, SIPHON_EPARSE when it cannot be one
 * ("*" or a URI that does not parse).
 */
static int contact_uri(siphon_msg *m, siphon_str *uri)
{
    if (siphon_msg_hdr_next(m, SIPHON_HDR_CONTACT, 0) < 0)
        return SIPHON_ENOENT;
    const siphon_nameaddr *c = siphon_msg_contact(m);
    if (!c || c->star || !siphon_nameaddr_uri(m, c, NULL))
        return SIPHON_EPARSE;
    *uri = c->uri_text;
    return 0;
}

/* Our own Contact value, kept whole for the requests we build. */
static int contact_value(siphon_msg *m, dstr *out)
{
    const siphon_nameaddr *c = siphon_msg_contact(m);
    if (!c || c->star)
        return 0;
    return dstr_set_line(out, c->raw);
}

/*
 * The route set from the Record-Route fields of m, every value of every
 * field in order, reversed on the UAC side (§12.1.2) and as received on
 * the UAS side (§12.1.1). A value without < > gets them, so that its
 * parameters stay header parameters when it goes back out in Route.
 */
static int load_routes(siphon_dialog_set *s, siphon_msg *m, bool reverse,
                       droute **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    const void *v = NULL;
    siphon_perr err;
    int rc = siphon_msg_typed(m, SIPHON_HDR_RECORD_ROUTE, &v, &err);
    if (rc == SIPHON_ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    size_t n = 0;
    for (const siphon_nameaddr *na = v; na; na = na->next)
        n++;
    if (n > s->cfg.max_routes)
        return SIPHON_ETOOBIG;
    droute *r = calloc(n ? n : 1, sizeof *r);
    if (!r)
        return SIPHON_ENOMEM;
    size_t i = 0;
    rc = 0;
    for (const siphon_nameaddr *na = v; rc == 0 && na; na = na->next, i++) {
        droute *e = &r[reverse ? n - 1 - i : i];
        const siphon_uri *u = siphon_nameaddr_uri(m, na, NULL);
        if (!u || na->star) {
            rc = SIPHON_EPARSE;
            break;
        }
        /* §16.12.1.1 / §19.1.1: lr marks a loose router. */
        e->lr = siphon_params_find(&u->params, "lr") != NULL;
        rc = dstr_set(&e->uri, na->uri_text);
        if (rc == 0 && na->bracketed) {
            rc = dstr_set_line(&e->value, na->raw);
        } else if (rc == 0) {
            const char *rest = na->uri_text.p + na->uri_text.len;
            const char *end = na->raw.p + na->raw.len;
            siphon_buf b;
            siphon_buf_init(&b, 0);
            rc = siphon_buf_append_c(&b, "<");
            if (rc == 0)
                rc = siphon_buf_append_str(&b, na->uri_text);
            if (rc == 0)
                rc = siphon_buf_append_c(&b, ">");
            if (rc == 0 && rest >= na->raw.p && rest < end)
                rc = siphon_buf_append(&b, rest, (size_t)(end - rest));
            if (rc == 0)
                rc = dstr_set_line(&e->value, siphon_str_make(b.p, b.len));
            siphon_buf_free(&b);
        }
    }
    if (rc < 0) {
        droutes_free(r, n);
        return rc;
    }
    *out = r;
    *nout = n;
    return 0;
}

/* §12.1.1, §12.1.2: "If the request was sent over TLS, and the
 * Request-URI contained a SIPS URI, the secure flag is set to TRUE" --
 * a sips Request-URI requires TLS on every hop (§19.1), so the scheme
 * decides here. */
static bool is_secure(siphon_msg *req)
{
    const siphon_uri *u = siphon_msg_ruri(req, NULL);
    return u && u->scheme == SIPHON_URI_SIPS;
}

static bool untagged_invite(siphon_msg *req)
{
    const siphon_nameaddr *to = siphon_msg_to(req);
    return siphon_msg_is_request(req) &&
           siphon_msg_method_id(req) == SIPHON_METHOD_INVITE && to &&
           !to->has_tag;
}

/* ---- events ------------------------------------------------------------ */

static void emit_state(siphon_dialog_set *s, siphon_dialog *d,
                       siphon_dialog_state prev)
{
    size_t before = s->evlen;
    dlg_emit(s, SIPHON_DIALOG_EV_STATE, d, NULL, SIPHON_STR_NULL);
    if (s->evlen > before)
        s->evq[(s->evhead + s->evlen - 1) % s->evcap].prev = prev;
}

/* ---- creation ---------------------------------------------------------- */

/*
 * A new dialog from the dialog-creating INVITE req and the response resp
 * (§12.1): the UAC reads the peer's side from resp, the UAS from req.
 */
static int create(siphon_dialog_set *s, siphon_dialog_role role,
                  siphon_dialog_state state, siphon_msg *req,
                  siphon_msg *resp, siphon_dialog **out)
{
    if (s->count >= s->cfg.max_dialogs)
        return SIPHON_ETOOBIG;
    ids rq, rs;
    if (read_ids(req, &rq) < 0 || read_ids(resp, &rs) < 0)
        return SIPHON_EINVAL;
    siphon_msg *peer = role == SIPHON_DIALOG_UAC ? resp : req;
    siphon_msg *mine = role == SIPHON_DIALOG_UAC ? req : resp;
    siphon_str target = SIPHON_STR_NULL;
    int rc = contact_uri(peer, &target);
    if (rc == SIPHON_ENOENT) {
        /* A 180 without Contact is common in the wild; the 2xx will have
         * one (§13.3.1.4). Meanwhile the UAC aims at the Request-URI it
         * used, and the UAS at the From URI. */
        target = role == SIPHON_DIALOG_UAC ? siphon_msg_ruri_str(req)
                                           : rq.from->uri_text;
        rc = 0;
    }
    if (rc < 0)
        return rc;
    siphon_dialog *d = calloc(1, sizeof *d);
    if (!d)
        return SIPHON_ENOMEM;
    d->role = (uint8_t)role;
    d->state = (uint8_t)state;
    d->secure = is_secure(req);
    d->create_cseq = rq.cseq->num;
    if (role == SIPHON_DIALOG_UAC) {
        /* §12.1.2: local = From (ours), remote = To of the response. */
        rc = dstr_set(&d->local_tag, tag_of(rs.from));
        if (rc == 0)
            rc = dstr_set(&d->remote_tag, tag_of(rs.to));
        if (rc == 0)
            rc = dstr_set_line(&d->local_hdr, rq.from->raw);
        if (rc == 0)
            rc = dstr_set_line(&d->remote_hdr, rs.to->raw);
        d->local_cseq = d->invite_cseq = rq.cseq->num;
        d->has_local_cseq = d->has_invite_cseq = true;
    } else {
        /* §12.1.1: local = To with our tag, remote = From. */
        rc = dstr_set(&d->local_tag, tag_of(rs.to));
        if (rc == 0)
            rc = dstr_set(&d->remote_tag, tag_of(rq.from));
        if (rc == 0)
            rc = dstr_set_line(&d->local_hdr, rs.to->raw);
        if (rc == 0)
            rc = dstr_set_line(&d->remote_hdr, rq.from->raw);
        d->remote_cseq = rq.cseq->num;
        d->has_remote_cseq = true;
    }
    if (rc == 0)
        rc = dstr_set(&d->call_id, rs.call_id);
    if (rc == 0)
        rc = dstr_set(&d->remote_target, target);
    if (rc == 0)
        rc = contact_value(mine, &d->local_contact);
    if (rc == 0)
        rc = load_routes(s, role == SIPHON_DIALOG_UAC ? resp : req,
                         role == SIPHON_DIALOG_UAC, &d->routes, &d->nroutes);
    if (rc == 0)
        rc = dlg_grow(s);
    if (rc < 0) {
        dlg_free(d);
        return rc;
    }
    d->invite_2xx = role == SIPHON_DIALOG_UAC &&
                    state == SIPHON_DIALOG_CONFIRMED;
    dlg_insert(s, d);
    dlg_emit(s, SIPHON_DIALOG_EV_CREATED, d, NULL, SIPHON_STR_NULL);
    *out = d;
    return 0;
}

/* §13.3.1.4: retransmit resp from T1 on until the ACK of cseq comes. */
static void start_retx(siphon_dialog_set *s, siphon_dialog *d,
                       siphon_msg *resp, uint32_t cseq, uint64_t now)
{
    siphon_msg_unref(d->retx);
    d->retx = siphon_msg_ref(resp);
    d->retx_cseq = cseq;
    d->retx_ms = s->cfg.t1_ms;
    uint64_t t64 = 64ull * s->cfg.t1_ms;
    d->retx_at = now > UINT64_MAX - s->cfg.t1_ms ? UINT64_MAX
                                                 : now + s->cfg.t1_ms;
    d->retx_end = now > UINT64_MAX - t64 ? UINT64_MAX : now + t64;
    dlg_timer_start(s, d);
}

/* Replace the remote target with the Contact of m, when it has one
 * (§12.2.1.2 for responses, §12.2.2 for requests). */
static int refresh_target(siphon_dialog *d, siphon_msg *m)
{
    siphon_str uri;
    int rc = contact_uri(m, &uri);
    if (rc == SIPHON_ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    return dstr_set(&d->remote_target, uri);
}

/* ---- responses to our requests ------------------------------------------ */

/* Early UAC dialogs that the INVITE (call_id, ltag, cseq) created. */
static size_t end_early(siphon_dialog_set *s, siphon_str call_id,
                        siphon_str ltag, uint32_t cseq,
                        siphon_dialog_reason reason, bool dry,
                        siphon_dialog **last)
{
    size_t n = 0;
    siphon_dialog *d = s->list;
    while (d) {
        siphon_dialog *next = d->next;
        if (d->role == SIPHON_DIALOG_UAC && d->state == SIPHON_DIALOG_EARLY &&
            d->create_cseq == cseq &&
            siphon_str_eq(dstr_view(&d->call_id), call_id) &&
            siphon_str_eq(dstr_view(&d->local_tag), ltag)) {
            n++;
            if (!dry) {
                dlg_terminate(s, d, reason);
                if (last)
                    *last = d;
            }
        }
        d = next;
    }
    return n;
}

/* EARLY -> CONFIRMED on the UAC side (§13.2.2.4). */
static int confirm_uac(siphon_dialog_set *s, siphon_dialog *d,
                       siphon_msg *resp)
{
    /* "the route set for the dialog MUST be recomputed based on the 2xx
     * response" -- RFC 2543 did not require Record-Route in a 1xx. The
     * INVITE is a target refresh too (§12.2.1.2): its 2xx's Contact is
     * the remote target. Parse everything before changing anything. */
    droute *r;
    size_t n;
    siphon_str uri;
    int rc = contact_uri(resp, &uri);
    if (rc < 0 && rc != SIPHON_ENOENT)
        return rc;
    bool has_target = rc == 0;
    dstr nt = {0};
    if (has_target && (rc = dstr_set(&nt, uri)) < 0)
        return rc;
    rc = load_routes(s, resp, true, &r, &n);
    if (rc < 0) {
        dstr_free(&nt);
        return rc;
    }
    droutes_free(d->routes, d->nroutes);
    d->routes = r;
    d->nroutes = n;
    if (has_target) {
        dstr_free(&d->remote_target);
        d->remote_target = nt;
    }
    d->state = SIPHON_DIALOG_CONFIRMED;
    d->invite_2xx = true;
    emit_state(s, d, SIPHON_DIALOG_EARLY);
    return SIPHON_DIALOG_MATCHED;
}

static int invite_2xx(siphon_dialog_set *s, siphon_msg *req, siphon_msg *resp,
                      const ids *x, siphon_dialog *d, siphon_dialog **out)
{
    if (!d) {
        /* §13.2.2.4: a 2xx of another fork makes a new CONFIRMED dialog
         * (the TU should ACK it and may send it a BYE). */
        if (!req || !untagged_invite(req))
            return SIPHON_DIALOG_NONE;
        int rc = create(s, SIPHON_DIALOG_UAC, SIPHON_DIALOG_CONFIRMED, req,
                        resp, out);
        return rc < 0 ? rc : SIPHON_DIALOG_MATCHED;
    }
    *out = d;
    switch ((siphon_dialog_state)d->state) {
    case SIPHON_DIALOG_EARLY:
        if (d->role == SIPHON_DIALOG_UAC && x->cseq->num == d->create_cseq)
            return confirm_uac(s, d, resp);
        break;
    case SIPHON_DIALOG_CONFIRMED:
        if (d->ack && d->has_invite_cseq && x->cseq->num == d->invite_cseq) {
            /* §13.2.2.4: a retransmitted 2xx gets the same ACK again. */
            dlg_emit(s, SIPHON_DIALOG_EV_SEND, d, d->ack,
                     dlg_next_hop(d, d->ack));
            return SIPHON_DIALOG_RETRANSMISSION;
        }
        /* A 2xx to a re-INVITE (or the first one again before the TU
         * built its ACK): §12.2.1.2 target refresh; the route set
         * stays. */
        if (d->has_invite_cseq && x->cseq->num == d->invite_cseq) {
            int rc = refresh_target(d, resp);
            if (rc < 0)
                return rc;
            d->invite_2xx = true;
        }
        break;
    case SIPHON_DIALOG_TERMINATED: /* never in the index */
        break;
    }
    return SIPHON_DIALOG_MATCHED;
}

int siphon_dialog_receive_response(siphon_dialog_set *s, siphon_msg *req,
                                   siphon_msg *resp, uint64_t now_ms,
                                   siphon_dialog **out)
{
    (void)now_ms;
    siphon_dialog *dummy;
    if (!out)
        out = &dummy;
    *out = NULL;
    if (!s || !resp || siphon_msg_is_request(resp) ||
        (req && !siphon_msg_is_request(req)))
        return SIPHON_EINVAL;
    ids x;
    if (read_ids(resp, &x) < 0)
        return SIPHON_EINVAL;
    int status = siphon_msg_status(resp);
    /* A 100 is hop by hop and carries no tag (§8.2.6.1); a response
     * without our From tag cannot be for one of our dialogs. */
    if (status <= 100 || !x.from->has_tag)
        return SIPHON_DIALOG_NONE;
    int rc = dlg_reserve(s);
    if (rc < 0)
        return rc;
    siphon_str ltag = x.from->tag, rtag = tag_of(x.to);
    siphon_dialog *d = dlg_lookup(s, x.call_id, ltag, rtag);
    bool invite = x.cseq->method_id == SIPHON_METHOD_INVITE;
    if (d && invite && status >= 200 && d->has_invite_cseq &&
        x.cseq->num == d->invite_cseq)
        d->uac_invite_pending = false; /* §14.1: our re-INVITE is done */

    if (invite && status >= 200 && status < 300)
        return invite_2xx(s, req, resp, &x, d, out);
    if (invite && status < 200) {
        if (d) {
            /* §12.1.2: the state is set at creation; a later 1xx of the
             * same dialog changes nothing. */
            *out = d;
            return SIPHON_DIALOG_MATCHED;
        }
        if (!x.to->has_tag || !req || !untagged_invite(req))
            return SIPHON_DIALOG_NONE;
        rc = create(s, SIPHON_DIALOG_UAC, SIPHON_DIALOG_EARLY, req, resp, out);
        return rc < 0 ? rc : SIPHON_DIALOG_MATCHED;
    }
    bool creating =
        invite && (req ? untagged_invite(req)
                       : (!d || (d->state == SIPHON_DIALOG_EARLY &&
                                 d->create_cseq == x.cseq->num)));
    if (creating) {
        /* §12.3: "if a request outside of a dialog generates a non-2xx
         * final response, any early dialogs created through provisional
         * responses to that request are terminated" -- every fork, as a
         * proxy forwards the final response only when all are done. */
        size_t n = end_early(s, x.call_id, ltag, x.cseq->num, 0, true, NULL);
        if (n == 0)
            return SIPHON_DIALOG_NONE;
        if ((rc = dlg_reserve_n(s, n)) < 0)
            return rc;
        siphon_dialog *last = NULL;
        end_early(s, x.call_id, ltag, x.cseq->num,
                  SIPHON_DIALOG_REASON_REJECTED, false, &last);
        *out = d && d->state == SIPHON_DIALOG_TERMINATED ? d : last;
        return SIPHON_DIALOG_MATCHED;
    }
    if (!d)
        return SIPHON_DIALOG_NONE;
    *out = d;
    if (status == 481) /* §12.2.1.2 */
        dlg_terminate(s, d, SIPHON_DIALOG_REASON_GONE);
    else if (status == 408)
        dlg_terminate(s, d, SIPHON_DIALOG_REASON_TIMEOUT);
    else if (status < 300 && x.cseq->method_id == SIPHON_METHOD_UPDATE &&
             (rc = refresh_target(d, resp)) < 0)
        return rc;
    return SIPHON_DIALOG_MATCHED;
}

int siphon_dialog_uac_invite_ended(siphon_dialog_set *s, siphon_msg *invite,
                                   uint64_t now_ms)
{
    (void)now_ms;
    ids x;
    if (!s || !invite || !siphon_msg_is_request(invite) ||
        read_ids(invite, &x) < 0)
        return SIPHON_EINVAL;
    if (!x.from->has_tag)
        return 0;
    size_t n = end_early(s, x.call_id, x.from->tag, x.cseq->num, 0, true,
                         NULL);
    if (n == 0)
        return 0;
    int rc = dlg_reserve_n(s, n);
    if (rc < 0)
        return rc;
    end_early(s, x.call_id, x.from->tag, x.cseq->num,
              SIPHON_DIALOG_REASON_UNCONFIRMED, false, NULL);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

int siphon_dialog_terminate(siphon_dialog_set *s, siphon_dialog *d,
                            siphon_dialog_reason reason, uint64_t now_ms)
{
    (void)now_ms;
    if (!s || !d || reason == SIPHON_DIALOG_REASON_NONE ||
        (unsigned)reason > SIPHON_DIALOG_REASON_LOCAL)
        return SIPHON_EINVAL;
    if (d->state == SIPHON_DIALOG_TERMINATED)
        return SIPHON_ESTATE;
    int rc = dlg_reserve(s);
    if (rc < 0)
        return rc;
    dlg_terminate(s, d, reason);
    return 0;
}

/* ---- requests from the peer (§12.2.2) ----------------------------------- */

static bool refreshes_target(siphon_method m)
{
    return m == SIPHON_METHOD_INVITE || m == SIPHON_METHOD_UPDATE ||
           m == SIPHON_METHOD_SUBSCRIBE || m == SIPHON_METHOD_NOTIFY ||
           m == SIPHON_METHOD_REFER;
}

int siphon_dialog_receive_request(siphon_dialog_set *s, siphon_msg *req,
                                  uint64_t now_ms, siphon_dialog **out,
                                  siphon_msg **resp)
{
    (void)now_ms;
    siphon_dialog *dummy;
    if (!out)
        out = &dummy;
    *out = NULL;
    if (resp)
        *resp = NULL;
    if (!s || !req || !siphon_msg_is_request(req))
        return SIPHON_EINVAL;
    ids x;
    if (read_ids(req, &x) < 0)
        return SIPHON_EINVAL;
    siphon_method m = siphon_msg_method_id(req);
    /* No To tag: outside any dialog. CANCEL belongs to the transaction
     * layer (§9.2), whatever its To says. */
    if (!x.to->has_tag || m == SIPHON_METHOD_CANCEL)
        return SIPHON_DIALOG_NONE;
    int rc = dlg_reserve(s);
    if (rc < 0)
        return rc;
    siphon_dialog *d = dlg_lookup(s, x.call_id, x.to->tag, tag_of(x.from));
    if (!d) {
        /* §12.2.2: "If the UAS wishes to reject the request because it
         * does not wish to recreate the dialog, it MUST respond to the
         * request with a 481". An ACK gets no response (§17). */
        if (m == SIPHON_METHOD_ACK)
            return SIPHON_DIALOG_NONE;
        if (resp && (rc = siphon_msg_response(req, 481, SIPHON_STR_NULL,
                                              SIPHON_STR_NULL, resp)) < 0)
            return rc;
        return SIPHON_DIALOG_REJECT;
    }
    *out = d;
    if (m == SIPHON_METHOD_ACK) {
        /* §13.3.1.4: "Response retransmissions cease when an ACK request
         * for the response is received." An ACK carries the INVITE's
         * CSeq number and does not move the remote CSeq. */
        if (d->retx && x.cseq->num == d->retx_cseq) {
            dlg_timer_stop(s, d);
            siphon_msg_unref(d->retx);
            d->retx = NULL;
        }
        return SIPHON_DIALOG_MATCHED;
    }
    if (d->has_remote_cseq && x.cseq->num < d->remote_cseq) {
        /* §12.2.2: "the request is out of order and MUST be rejected with
         * a 500 (Server Internal Error) response". */
        if (resp && (rc = siphon_msg_response(req, 500,
                                              SIPHON_STR_LIT("CSeq Out of Order"),
                                              SIPHON_STR_NULL, resp)) < 0)
            return rc;
        return SIPHON_DIALOG_REJECT;
    }
    if (m == SIPHON_METHOD_INVITE &&
        (d->uac_invite_pending ||
         (d->uas_invite_pending && x.cseq->num > d->uas_invite_cseq))) {
        /* §14.2: an INVITE while ours is in progress gets 491; a second
         * INVITE before our final response to the first gets 500 with a
         * Retry-After of 0 to 10 seconds. Either way the request was
         * received: its CSeq counts (§12.2.2), the target stays. */
        d->remote_cseq = x.cseq->num;
        d->has_remote_cseq = true;
        if (!resp)
            return SIPHON_DIALOG_REJECT;
        if (d->uac_invite_pending) {
            rc = siphon_msg_response(req, 491, SIPHON_STR_NULL,
                                     SIPHON_STR_NULL, resp);
            return rc < 0 ? rc : SIPHON_DIALOG_REJECT;
        }
        siphon_msgb *b = siphon_msgb_response_to(
            req, 500, SIPHON_STR_LIT("Previous INVITE Pending"),
            SIPHON_STR_NULL);
        char ra[8];
        snprintf(ra, sizeof ra, "%u", (unsigned)(dlg_rand(s) % 11));
        siphon_perr err;
        rc = !b ? SIPHON_ENOMEM
                : siphon_msgb_add(b, SIPHON_STR_LIT("Retry-After"),
                                  siphon_str_c(ra));
        if (rc == 0)
            rc = siphon_msgb_finish(b, resp, &err);
        siphon_msgb_free(b);
        return rc < 0 ? rc : SIPHON_DIALOG_REJECT;
    }
    if (refreshes_target(m) && (rc = refresh_target(d, req)) < 0)
        return rc;
    d->remote_cseq = x.cseq->num;
    d->has_remote_cseq = true;
    if (m == SIPHON_METHOD_INVITE) {
        d->uas_invite_pending = true;
        d->uas_invite_cseq = x.cseq->num;
    }
    if (m == SIPHON_METHOD_BYE) /* §15.1.2 */
        dlg_terminate(s, d, SIPHON_DIALOG_REASON_BYE_RECEIVED);
    return SIPHON_DIALOG_MATCHED;
}

/* ---- our responses (the UAS side) --------------------------------------- */

int siphon_dialog_uas_respond(siphon_dialog_set *s, siphon_msg *req,
                              siphon_msg *resp, uint64_t now_ms,
                              siphon_dialog **out)
{
    siphon_dialog *dummy;
    if (!out)
        out = &dummy;
    *out = NULL;
    if (!s || !req || !resp || !siphon_msg_is_request(req) ||
        siphon_msg_is_request(resp))
        return SIPHON_EINVAL;
    ids rq, rs;
    if (read_ids(req, &rq) < 0 || read_ids(resp, &rs) < 0 ||
        !siphon_str_eq(rq.call_id, rs.call_id) ||
        rq.cseq->num != rs.cseq->num)
        return SIPHON_EINVAL;
    int status = siphon_msg_status(resp);
    siphon_method m = siphon_msg_method_id(req);
    if (status <= 100)
        return SIPHON_DIALOG_NONE;
    int rc = dlg_reserve(s);
    if (rc == 0)
        rc = dlg_timer_reserve(s);
    if (rc < 0)
        return rc;
    siphon_str rtag = tag_of(rq.from);
    if (rq.to->has_tag) {
        /* Within a dialog: only a 2xx to a re-INVITE needs us. */
        siphon_dialog *d = dlg_lookup(s, rq.call_id, rq.to->tag, rtag);
        if (!d)
            return SIPHON_DIALOG_NONE;
        *out = d;
        if (m == SIPHON_METHOD_INVITE && status >= 200 &&
            rq.cseq->num == d->uas_invite_cseq)
            d->uas_invite_pending = false; /* §14.2: answered */
        if (m == SIPHON_METHOD_INVITE && status < 300) {
            dstr c = {0};
            if ((rc = contact_value(resp, &c)) < 0)
                return rc;
            if (c.p) {
                dstr_free(&d->local_contact);
                d->local_contact = c;
            }
            start_retx(s, d, resp, rq.cseq->num, now_ms);
        }
        return SIPHON_DIALOG_MATCHED;
    }
    if (m != SIPHON_METHOD_INVITE || !rs.to->has_tag)
        return SIPHON_DIALOG_NONE;
    siphon_dialog *d = dlg_lookup(s, rq.call_id, rs.to->tag, rtag);
    if (status < 200) {
        if (!d && (rc = create(s, SIPHON_DIALOG_UAS, SIPHON_DIALOG_EARLY, req,
                               resp, &d)) < 0)
            return rc;
        *out = d;
        return SIPHON_DIALOG_MATCHED;
    }
    if (status >= 300) {
        /* The early dialog ends with the INVITE (§12.3). */
        if (!d)
            return SIPHON_DIALOG_NONE;
        *out = d;
        if (d->state == SIPHON_DIALOG_EARLY)
            dlg_terminate(s, d, SIPHON_DIALOG_REASON_REJECTED);
        return SIPHON_DIALOG_MATCHED;
    }
    if (!d) {
        if ((rc = create(s, SIPHON_DIALOG_UAS, SIPHON_DIALOG_CONFIRMED, req,
                         resp, &d)) < 0)
            return rc;
    } else {
        *out = d;
        switch ((siphon_dialog_state)d->state) {
        case SIPHON_DIALOG_EARLY: {
            /* §12.1.1: the route set came from the request, so the 2xx
             * leaves it as it is; our Contact in the 2xx is the one that
             * counts. */
            dstr c = {0};
            if ((rc = contact_value(resp, &c)) < 0)
                return rc;
            if (c.p) {
                dstr_free(&d->local_contact);
                d->local_contact = c;
            }
            d->state = SIPHON_DIALOG_CONFIRMED;
            emit_state(s, d, SIPHON_DIALOG_EARLY);
            break;
        }
        case SIPHON_DIALOG_CONFIRMED:
            /* The TU passed its 2xx again: the retransmissions already
             * run (or the ACK came). */
            return SIPHON_DIALOG_MATCHED;
        case SIPHON_DIALOG_TERMINATED: /* never in the index */
            return SIPHON_DIALOG_NONE;
        }
    }
    *out = d;
    start_retx(s, d, resp, rq.cseq->num, now_ms);
    return SIPHON_DIALOG_MATCHED;
}

/* ---- accessors ---------------------------------------------------------- */

siphon_dialog_state siphon_dialog_state_of(const siphon_dialog *d)
{
    return (siphon_dialog_state)d->state;
}

siphon_dialog_role siphon_dialog_role_of(const siphon_dialog *d)
{
    return (siphon_dialog_role)d->role;
}

siphon_dialog_reason siphon_dialog_reason_of(const siphon_dialog *d)
{
    return (siphon_dialog_reason)d->reason;
}

siphon_str siphon_dialog_call_id(const siphon_dialog *d)
{
    return dstr_view(&d->call_id);
}

siphon_str siphon_dialog_local_tag(const siphon_dialog *d)
{
    return dstr_view(&d->local_tag);
}

siphon_str siphon_dialog_remote_tag(const siphon_dialog *d)
{
    return dstr_view(&d->remote_tag);
}

uint32_t siphon_dialog_local_cseq(const siphon_dialog *d, bool *has)
{
    if (has)
        *has = d->has_local_cseq;
    return d->local_cseq;
}

uint32_t siphon_dialog_remote_cseq(const siphon_dialog *d, bool *has)
{
    if (has)
        *has = d->has_remote_cseq;
    return d->remote_cseq;
}

siphon_str siphon_dialog_remote_target(const siphon_dialog *d)
{
    return dstr_view(&d->remote_target);
}

siphon_str siphon_dialog_local_contact(const siphon_dialog *d)
{
    return dstr_view(&d->local_contact);
}

size_t siphon_dialog_route_count(const siphon_dialog *d)
{
    return d->nroutes;
}

siphon_str siphon_dialog_route(const siphon_dialog *d, size_t i)
{
    return i < d->nroutes ? dstr_view(&d->routes[i].value) : SIPHON_STR_NULL;
}

bool siphon_dialog_secure(const siphon_dialog *d)
{
    return d->secure;
}

siphon_msg *siphon_dialog_ack(const siphon_dialog *d)
{
    return d->ack;
}

bool siphon_dialog_awaiting_ack(const siphon_dialog *d)
{
    return d->retx != NULL;
}

void *siphon_dialog_user(const siphon_dialog *d)
{
    return d->user;
}

void siphon_dialog_set_user(siphon_dialog *d, void *user)
{
    d->user = user;
}
