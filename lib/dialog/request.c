/*
 * request.c -- requests within a dialog (RFC 3261 §12.2.1.1): the
 * Request-URI and Route set with loose and strict routing, To/From with
 * the dialog's tags, the local CSeq, the ACK for a 2xx (§13.2.2.4, kept
 * for its retransmissions), BYE (§15.1.1) and the BYE of a 2xx never
 * acknowledged (§13.3.1.4).
 */
#include "dialog_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- the Request-URI --------------------------------------------------- */

/*
 * A URI as a Request-URI: §12.2.1.1 asks to strip "any parameters that
 * are not allowed in a Request-URI" -- per the table of §19.1.1 that is
 * the method parameter and the headers component. A URI that does not
 * parse goes as it is (creation refused those, so this is only for
 * schemes we do not know).
 */
static int append_ruri(siphon_buf *b, siphon_str uri)
{
    char mem[1024];
    siphon_arena a;
    siphon_arena_init(&a, mem, sizeof mem);
    siphon_uri u;
    int rc;
    if (siphon_uri_parse(&a, uri.p, uri.len, &u, NULL) < 0 ||
        (u.scheme != SIPHON_URI_SIP && u.scheme != SIPHON_URI_SIPS)) {
        rc = siphon_buf_append_str(b, uri);
        siphon_arena_free(&a);
        return rc;
    }
    /* No '?' before the host ends can start the headers (the user part
     * may hold one, §25.1 user-unreserved). */
    const char *end = uri.p + uri.len;
    const char *hostend = u.host.p + u.host.len;
    if (hostend >= uri.p && hostend <= end) {
        const char *q = memchr(hostend, '?', (size_t)(end - hostend));
        if (q)
            end = q;
    }
    const char *cur = uri.p;
    rc = 0;
    for (size_t i = 0; rc == 0 && i < u.params.n; i++) {
        const siphon_param *p = &u.params.v[i];
        if (!siphon_str_caseeq_c(p->name, "method"))
            continue;
        const char *ps = p->name.p - 1; /* the ';' */
        const char *pe = p->has_value ? p->value.p + p->value.len
                                      : p->name.p + p->name.len;
        if (ps < cur || pe > end)
            continue;
        rc = siphon_buf_append(b, cur, (size_t)(ps - cur));
        cur = pe;
    }
    if (rc == 0 && end > cur)
        rc = siphon_buf_append(b, cur, (size_t)(end - cur));
    siphon_arena_free(&a);
    return rc;
}

/* ---- the next hop (§8.1.2) --------------------------------------------- */

siphon_str dlg_next_hop(const siphon_dialog *d, siphon_msg *m)
{
    /* With a loose first route the request goes to it; with a strict
     * one, it is the Request-URI already (§12.2.1.1), as it is with no
     * route set. */
    if (d->nroutes > 0 && d->routes[0].lr) {
        const void *v = NULL;
        if (siphon_msg_typed(m, SIPHON_HDR_ROUTE, &v, NULL) == 0 && v)
            return ((const siphon_nameaddr *)v)->uri_text;
    }
    return siphon_msg_ruri_str(m);
}

/* ---- CSeq -------------------------------------------------------------- */

int dlg_next_cseq(siphon_dialog_set *s, siphon_dialog *d, uint32_t *n)
{
    if (!d->has_local_cseq) {
        /* §12.2.1.1: "If the local sequence number is empty, an initial
         * value MUST be chosen using the guidelines of Section 8.1.1.5"
         * -- below 2^31; a small start leaves room to count up. */
        *n = (dlg_rand(s) & 0xffff) + 1;
        return 0;
    }
    /* §8.1.1.5: "MUST be less than 2**31". */
    if (d->local_cseq >= 0x7fffffffu)
        return SIPHON_ERANGE;
    *n = d->local_cseq + 1;
    return 0;
}

/* ---- building ---------------------------------------------------------- */

static int add_c(siphon_msgb *b, const char *name, siphon_str v)
{
    return siphon_msgb_add(b, siphon_str_c(name), v);
}

int dlg_build(siphon_dialog_set *s, siphon_dialog *d, siphon_str method,
              uint32_t cseq, bool contact, siphon_str content_type,
              siphon_str body, siphon_msg **out, siphon_str *next_hop)
{
    (void)s;
    *out = NULL;
    bool strict = d->nroutes > 0 && !d->routes[0].lr;
    siphon_buf ruri, tmp;
    siphon_buf_init(&ruri, 0);
    siphon_buf_init(&tmp, 0);
    /* §12.2.1.1: the remote target, or the strict router's URI. */
    int rc = append_ruri(&ruri, strict ? dstr_view(&d->routes[0].uri)
                                       : dstr_view(&d->remote_target));
    siphon_msgb *b = NULL;
    if (rc == 0) {
        b = siphon_msgb_request(method, siphon_str_make(ruri.p, ruri.len));
        if (!b)
            rc = SIPHON_EINVAL;
    }
    if (rc == 0)
        rc = add_c(b, "Max-Forwards", SIPHON_STR_LIT("70"));
    /* Route: the set in order (minus a strict first hop, which is now the
     * Request-URI, and with the remote target last). */
    for (size_t i = strict ? 1 : 0; rc == 0 && i < d->nroutes; i++)
        rc = add_c(b, "Route", dstr_view(&d->routes[i].value));
    if (rc == 0 && strict) {
        rc = siphon_buf_append_c(&tmp, "<");
        if (rc == 0)
            rc = siphon_buf_append_str(&tmp, dstr_view(&d->remote_target));
        if (rc == 0)
            rc = siphon_buf_append_c(&tmp, ">");
        if (rc == 0)
            rc = add_c(b, "Route", siphon_str_make(tmp.p, tmp.len));
    }
    if (rc == 0)
        rc = add_c(b, "To", dstr_view(&d->remote_hdr));
    if (rc == 0)
        rc = add_c(b, "From", dstr_view(&d->local_hdr));
    if (rc == 0)
        rc = add_c(b, "Call-ID", dstr_view(&d->call_id));
    if (rc == 0) {
        char num[16];
        tmp.len = 0;
        snprintf(num, sizeof num, "%u ", (unsigned)cseq);
        rc = siphon_buf_append_c(&tmp, num);
        if (rc == 0)
            rc = siphon_buf_append_str(&tmp, method);
        if (rc == 0)
            rc = add_c(b, "CSeq", siphon_str_make(tmp.p, tmp.len));
    }
    /* §12.2.1.1: "A UAC SHOULD include a Contact header field in any
     * target refresh requests within a dialog". */
    if (rc == 0 && contact && d->local_contact.len)
        rc = add_c(b, "Contact", dstr_view(&d->local_contact));
    if (rc == 0 && body.len)
        rc = siphon_msgb_set_body(b, content_type, body);
    if (rc == 0) {
        siphon_perr err;
        rc = siphon_msgb_finish(b, out, &err);
        /* The dialog's strings were checked when it was made; a message
         * that does not parse back means a bad method or body type from
         * the caller. */
        if (rc == SIPHON_EPARSE)
            rc = SIPHON_EINVAL;
    }
    siphon_msgb_free(b);
    siphon_buf_free(&ruri);
    siphon_buf_free(&tmp);
    if (rc < 0)
        return rc;
    if (next_hop)
        *next_hop = dlg_next_hop(d, *out);
    return 0;
}

/* Methods that refresh the target (RFC 3261 §12.2: INVITE; RFC 3311
 * UPDATE; RFC 6665 SUBSCRIBE and NOTIFY; RFC 3515 REFER). */
static bool target_refresh(siphon_method m)
{
    return m == SIPHON_METHOD_INVITE || m == SIPHON_METHOD_UPDATE ||
           m == SIPHON_METHOD_SUBSCRIBE || m == SIPHON_METHOD_NOTIFY ||
           m == SIPHON_METHOD_REFER;
}

int siphon_dialog_request(siphon_dialog_set *s, siphon_dialog *d,
                          siphon_str method, siphon_str content_type,
                          siphon_str body, uint64_t now_ms, siphon_msg **out,
                          siphon_str *next_hop)
{
    (void)now_ms;
    if (out)
        *out = NULL;
    if (next_hop)
        *next_hop = SIPHON_STR_NULL;
    if (!s || !d || !out || method.len == 0 || (body.len && !body.p))
        return SIPHON_EINVAL;
    siphon_method m = siphon_method_lookup(method.p, method.len);
    /* CANCEL copies the INVITE it cancels (§9.1); it is not built from
     * the dialog state. */
    if (m == SIPHON_METHOD_CANCEL)
        return SIPHON_EINVAL;
    if (d->state == SIPHON_DIALOG_TERMINATED)
        return SIPHON_ESTATE;
    int rc = dlg_reserve(s);
    if (rc < 0)
        return rc;
    if (m == SIPHON_METHOD_ACK) {
        /* §13.2.2.4: "the CSeq header field's sequence number MUST be the
         * same as the INVITE being acknowledged"; it uses no new number. */
        if (!d->has_invite_cseq || !d->invite_2xx)
            return SIPHON_ESTATE;
        siphon_msg *ack = NULL;
        rc = dlg_build(s, d, method, d->invite_cseq, false, content_type,
                       body, &ack, next_hop);
        if (rc < 0)
            return rc;
        siphon_msg_unref(d->ack);
        d->ack = siphon_msg_ref(ack);
        *out = ack;
        return 0;
    }
    /* §15: "The callee's UA MUST NOT send a BYE on a confirmed dialog
     * until it has received an ACK for its 2xx response or until the
     * server transaction times out"; and only the caller may end an
     * early dialog with BYE. */
    if (m == SIPHON_METHOD_BYE && d->role == SIPHON_DIALOG_UAS &&
        (d->state == SIPHON_DIALOG_EARLY || d->retx))
        return SIPHON_ESTATE;
    uint32_t n;
    rc = dlg_next_cseq(s, d, &n);
    if (rc < 0)
        return rc;
    rc = dlg_build(s, d, method, n, target_refresh(m), content_type, body, out,
                   next_hop);
    if (rc < 0)
        return rc;
    d->local_cseq = n;
    d->has_local_cseq = true;
    if (m == SIPHON_METHOD_INVITE) {
        /* A new INVITE: the next ACK is for it. */
        d->invite_cseq = n;
        d->has_invite_cseq = true;
        d->invite_2xx = false;
        d->uac_invite_pending = true; /* §14.2: glare until its final */
        siphon_msg_unref(d->ack);
        d->ack = NULL;
    }
    if (m == SIPHON_METHOD_BYE) /* §15.1.1 */
        dlg_terminate(s, d, SIPHON_DIALOG_REASON_BYE_SENT);
    return 0;
}

void dlg_no_ack(siphon_dialog_set *s, siphon_dialog *d)
{
    /* §13.3.1.4: the dialog stays confirmed (it already is: the 2xx
     * confirmed it), and a BYE ends the session. */
    siphon_msg_unref(d->retx);
    d->retx = NULL;
    dlg_emit(s, SIPHON_DIALOG_EV_NO_ACK, d, NULL, SIPHON_STR_NULL);
    uint32_t n;
    siphon_msg *bye = NULL;
    siphon_str hop = SIPHON_STR_NULL;
    if (dlg_next_cseq(s, d, &n) == 0 &&
        dlg_build(s, d, SIPHON_STR_LIT("BYE"), n, false, SIPHON_STR_NULL,
                  SIPHON_STR_NULL, &bye, &hop) == 0) {
        d->local_cseq = n;
        d->has_local_cseq = true;
        dlg_emit(s, SIPHON_DIALOG_EV_SEND, d, bye, hop);
        siphon_msg_unref(bye);
    }
    /* Without a BYE (no memory, CSeq exhausted) the dialog still ends:
     * the TU heard NO_ACK and can act. */
    dlg_terminate(s, d, SIPHON_DIALOG_REASON_NO_ACK);
}
