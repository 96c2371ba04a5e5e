/*
 * regclient.c -- the registration client (RFC 3261 §10.2): binds one
 * Contact to an address-of-record and keeps it bound, refreshing it on
 * the loop clock before it expires (§10.2.1, §10.2.4), raising the
 * interval after 423 Interval Too Brief (§10.2.8), retrying failures
 * with a backoff, and removing the binding with expires=0 (§10.2.2).
 *
 * Each REGISTER goes through siphon_ua_request(), which answers 401/407
 * with the credentials (§22.2) at CSeq+1: the CSeq of the request a
 * final response answers is taken as the last one used, so the next
 * REGISTER of the registration always has a higher one (§10.2: same
 * Call-ID and From tag, CSeq incremented).
 */
#include "ua_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_DEFAULT_EXPIRES 3600u
#define REG_DEFAULT_RETRY_S 30u
#define REG_DEFAULT_RETRY_MAX_S 1800u
/* Timer F (64*T1 with the default T1): a refresh goes out at least this
 * long before the binding lapses, so that even a REGISTER that needs all
 * its retransmissions is answered in time. */
#define REG_REFRESH_GUARD_MS 32000u
/* A forgotten REGISTER may still go again with digest (client.c answers
 * up to 4 challenges): the next REGISTER skips past those CSeqs. */
#define REG_CSEQ_SKIP 8u

struct siphon_ua_reg {
    siphon_ua *ua;
    siphon_loop *loop;
    /* what every REGISTER says (owned copies) */
    char *aor, *registrar, *contact, *display, *call_id, *tag;
    siphon_arena arena;         /* behind contact_uri's parameters */
    siphon_uri contact_uri;     /* §10.2.4: our Contact in the 200 */
    uint32_t expires;           /* asked for next; raised by a 423 */
    uint32_t retry_s, retry_max_s;
    siphon_ua_dest dest;
    char *dest_addr, *dest_sn, *user, *password;
    siphon_ua_credentials cred;
    siphon_ua_reg_fn *cb;
    void *arg;
    /* state */
    siphon_ua_reg_state state;
    uint32_t cseq;              /* the last one used */
    siphon_ua_client *cur;      /* the REGISTER in flight */
    bool cur_unreg;             /* it is the expires=0 one */
    bool cur_refresh;           /* it is not the first after a start */
    bool cur_423;               /* it answers a 423 */
    bool sending;               /* inside siphon_ua_request() */
    /* An outcome that came back inside siphon_ua_request() (a send that
     * failed at once): handled from a loop timer, never re-entering the
     * caller of start/unregister or the refresh timer. */
    bool deferred;
    siphon_msg *deferred_resp;
    int deferred_err;
    uint64_t defer_timer;
    bool unreg_pending;         /* unregister once cur has ended */
    uint64_t timer;             /* refresh or retry; 0 none */
    uint64_t timer_at;
    uint32_t granted;
    uint64_t expires_at;        /* 0: not bound */
    unsigned registrations, failures;
    int last_status, last_err;
    unsigned busy;              /* callbacks running */
    bool freed;                 /* free once busy drops to 0 */
};

const char *siphon_ua_reg_state_name(siphon_ua_reg_state s)
{
    switch (s) {
    case SIPHON_UA_REG_IDLE: return "idle";
    case SIPHON_UA_REG_REGISTERING: return "registering";
    case SIPHON_UA_REG_REGISTERED: return "registered";
    case SIPHON_UA_REG_RETRY_WAIT: return "retry-wait";
    case SIPHON_UA_REG_UNREGISTERING: return "unregistering";
    case SIPHON_UA_REG_UNREGISTERED: return "unregistered";
    }
    return "?";
}

/* ---- construction -------------------------------------------------------- */

static char *dup_or_null(const char *s, bool *fail)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *fail = true;
    return d;
}

/* The buffer's text as a C string of its own; NULL on ENOMEM. */
static char *buf_cstr(const siphon_buf *b)
{
    char *s = malloc(b->len + 1);
    if (s) {
        if (b->len)
            memcpy(s, b->p, b->len);
        s[b->len] = '\0';
    }
    return s;
}

/* ndigits random hex digits: Call-ID (§8.1.1.4), From tag (§19.3). */
static void random_hex(char *buf, size_t ndigits)
{
    char br[24];
    size_t n = 0;
    while (n < ndigits) {
        ua_new_branch(br);
        for (size_t i = 7; i < 23 && n < ndigits; i++)
            buf[n++] = br[i];
    }
    buf[n] = '\0';
}

/* A SIP or SIPS URI (§10.2: the AOR and the registrar are). */
static int parse_sip_uri(siphon_arena *a, const char *s, siphon_uri *out)
{
    siphon_perr err;
    if (!s || siphon_uri_parse(a, s, strlen(s), out, &err) < 0)
        return SIPHON_EINVAL;
    if (out->scheme != SIPHON_URI_SIP && out->scheme != SIPHON_URI_SIPS)
        return SIPHON_EINVAL;
    return 0;
}

/* The transport a URI asks for: ;transport=, else TLS for sips. */
static bool uri_transport(const siphon_uri *u, siphon_transport *out)
{
    const siphon_param *p = siphon_params_find(&u->params, "transport");
    if (p && p->has_value && siphon_transport_parse(p->value, out) == 0) {
        if (u->scheme == SIPHON_URI_SIPS && *out == SIPHON_RESOLVE_TCP)
            *out = SIPHON_RESOLVE_TLS;
        return true;
    }
    if (u->scheme == SIPHON_URI_SIPS) {
        *out = SIPHON_RESOLVE_TLS;
        return true;
    }
    return false;
}

/*
 * sip:USER@<address of the first listening point of the transport the
 * REGISTERs take>, with ;transport= for TCP, WS and WSS and sips: for TLS
 * and WSS (as [$a uri] writes them). With no listening point of that
 * transport and none named, the first listening point of any transport.
 */
static int default_contact(siphon_ua *ua, const siphon_uri *aor,
                           const siphon_uri *registrar,
                           const siphon_ua_dest *dest, siphon_buf *out)
{
    siphon_transport want = SIPHON_RESOLVE_UDP;
    bool named = false;
    if (dest->transport) {
        want = dest->transport;
        named = true;
    } else if (!dest->addr && uri_transport(registrar, &want)) {
        named = true;
    }
    const ua_lp *lp = NULL;
    for (const ua_lp *l = ua->lps; l && !lp; l = l->next)
        if (l->listening && l->tp == want)
            lp = l;
    for (const ua_lp *l = ua->lps; l && !lp && !named; l = l->next)
        if (l->listening)
            lp = l;
    if (!lp)
        return SIPHON_EINVAL;
    char host[SIPHON_ADDR_STRLEN];
    if (siphon_addr_format((const struct sockaddr *)&lp->addr, host,
                           sizeof host) < 0)
        return SIPHON_EINVAL;
    bool secure = lp->tp == SIPHON_RESOLVE_TLS || lp->tp == SIPHON_RESOLVE_WSS;
    int rc = siphon_buf_append_c(out, secure ? "sips:" : "sip:");
    if (aor->has_user && aor->user.len) {
        rc |= siphon_buf_append_str(out, aor->user);
        rc |= siphon_buf_append_c(out, "@");
    }
    rc |= siphon_buf_append_c(out, host);
    if (lp->tp == SIPHON_RESOLVE_TCP)
        rc |= siphon_buf_append_c(out, ";transport=tcp");
    else if (lp->tp == SIPHON_RESOLVE_WS)
        rc |= siphon_buf_append_c(out, ";transport=ws");
    else if (lp->tp == SIPHON_RESOLVE_WSS)
        rc |= siphon_buf_append_c(out, ";transport=wss");
    return rc < 0 ? SIPHON_ENOMEM : 0;
}

static void reg_destroy(siphon_ua_reg *r)
{
    free(r->aor);
    free(r->registrar);
    free(r->contact);
    free(r->display);
    free(r->call_id);
    free(r->tag);
    free(r->dest_addr);
    free(r->dest_sn);
    free(r->user);
    free(r->password);
    siphon_arena_free(&r->arena);
    free(r);
}

int siphon_ua_reg_new(siphon_ua *ua, const siphon_ua_reg_config *cfg,
                      siphon_ua_reg **out)
{
    if (out)
        *out = NULL;
    if (!ua || !cfg || !cfg->aor || !out)
        return SIPHON_EINVAL;
    const siphon_ua_credentials *cr = cfg->dest.credentials;
    if (cr && (!cr->username || !cr->password))
        return SIPHON_EINVAL;
    siphon_ua_reg *r = calloc(1, sizeof *r);
    if (!r)
        return SIPHON_ENOMEM;
    siphon_arena_init(&r->arena, NULL, 0);
    r->ua = ua;
    r->loop = siphon_ua_loop(ua);
    r->expires = cfg->expires ? cfg->expires : REG_DEFAULT_EXPIRES;
    r->retry_s = cfg->retry_s ? cfg->retry_s : REG_DEFAULT_RETRY_S;
    r->retry_max_s = cfg->retry_max_s ? cfg->retry_max_s
                                      : REG_DEFAULT_RETRY_MAX_S;
    if (r->retry_max_s < r->retry_s)
        r->retry_max_s = r->retry_s;
    r->cb = cfg->cb;
    r->arg = cfg->arg;
    /* §10.2: a CSeq to start from; any value below 2^31 will do
     * (§8.1.1.5), a small one leaves room for a long life. */
    r->cseq = 0;

    bool fail = false;
    int rc = 0;
    siphon_uri aor, registrar;
    siphon_buf b;
    siphon_buf_init(&b, 0);
    r->aor = dup_or_null(cfg->aor, &fail);
    r->display = dup_or_null(cfg->display, &fail);
    r->dest_addr = dup_or_null(cfg->dest.addr, &fail);
    r->dest_sn = dup_or_null(cfg->dest.server_name, &fail);
    if (cr) {
        r->user = dup_or_null(cr->username, &fail);
        r->password = dup_or_null(cr->password, &fail);
    }
    if (fail) {
        rc = SIPHON_ENOMEM;
        goto out;
    }
    if ((rc = parse_sip_uri(&r->arena, r->aor, &aor)) < 0)
        goto out;
    if (cfg->registrar) {
        r->registrar = dup_or_null(cfg->registrar, &fail);
    } else {
        /* §10.2: the Request-URI names the domain of the location
         * service, without "userinfo" and "@". */
        rc = siphon_buf_printf(&b, "%s:%.*s",
                               aor.scheme == SIPHON_URI_SIPS ? "sips" : "sip",
                               (int)aor.host.len, aor.host.p);
        if (rc == 0 && aor.has_port)
            rc = siphon_buf_printf(&b, ":%u", (unsigned)aor.port);
        if (rc < 0 || !(r->registrar = buf_cstr(&b)))
            fail = true;
        b.len = 0;
    }
    if (fail) {
        rc = SIPHON_ENOMEM;
        goto out;
    }
    if ((rc = parse_sip_uri(&r->arena, r->registrar, &registrar)) < 0)
        goto out;
    r->dest.transport = cfg->dest.transport;
    r->dest.addr = r->dest_addr;
    r->dest.server_name = r->dest_sn;
    if (cr) {
        r->cred = *cr;
        r->cred.username = r->user;
        r->cred.password = r->password;
        r->dest.credentials = &r->cred;
    }
    if (cfg->dest.addr) {
        struct sockaddr_storage ss;
        if (siphon_addr_parse(siphon_str_c(cfg->dest.addr), &ss, NULL) < 0) {
            rc = SIPHON_EINVAL;
            goto out;
        }
    }
    if (cfg->contact) {
        r->contact = dup_or_null(cfg->contact, &fail);
    } else {
        if ((rc = default_contact(ua, &aor, &registrar, &r->dest, &b)) < 0)
            goto out;
        if (!(r->contact = buf_cstr(&b)))
            fail = true;
    }
    if (fail) {
        rc = SIPHON_ENOMEM;
        goto out;
    }
    {
        siphon_perr err;
        if (siphon_uri_parse(&r->arena, r->contact, strlen(r->contact),
                             &r->contact_uri, &err) < 0) {
            rc = SIPHON_EINVAL;
            goto out;
        }
    }
    char id[40];
    random_hex(id, 32);
    r->call_id = strdup(id);
    random_hex(id, 16);
    r->tag = strdup(id);
    if (!r->call_id || !r->tag)
        rc = SIPHON_ENOMEM;
out:
    siphon_buf_free(&b);
    if (rc < 0) {
        reg_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* ---- the REGISTER --------------------------------------------------------- */

/* The name-addr of To and From: the AOR, with the display name. */
static int add_aor(siphon_buf *v, const siphon_ua_reg *r)
{
    int rc = 0;
    if (r->display && *r->display)
        rc |= siphon_buf_printf(v, "\"%s\" ", r->display);
    rc |= siphon_buf_printf(v, "<%s>", r->aor);
    return rc;
}

static siphon_msg *build_register(const siphon_ua_reg *r, uint32_t cseq,
                                  uint32_t expires)
{
    siphon_msgb *b = siphon_msgb_request(siphon_str_c("REGISTER"),
                                         siphon_str_c(r->registrar));
    if (!b)
        return NULL;
    siphon_buf v;
    siphon_buf_init(&v, 0);
    int rc = siphon_msgb_add(b, siphon_str_c("Max-Forwards"),
                             siphon_str_c("70"));
    /* §10.2: To and From are the AOR; the From tag stays the same. */
    rc |= add_aor(&v, r);
    rc |= siphon_msgb_add(b, siphon_str_c("To"), siphon_str_make(v.p, v.len));
    v.len = 0;
    rc |= add_aor(&v, r);
    rc |= siphon_buf_printf(&v, ";tag=%s", r->tag);
    rc |= siphon_msgb_add(b, siphon_str_c("From"),
                          siphon_str_make(v.p, v.len));
    rc |= siphon_msgb_add(b, siphon_str_c("Call-ID"), siphon_str_c(r->call_id));
    v.len = 0;
    rc |= siphon_buf_printf(&v, "%u REGISTER", (unsigned)cseq);
    rc |= siphon_msgb_add(b, siphon_str_c("CSeq"), siphon_str_make(v.p, v.len));
    /* §10.2.1.1: the interval per binding, as a Contact parameter. */
    v.len = 0;
    rc |= siphon_buf_printf(&v, "<%s>;expires=%u", r->contact,
                            (unsigned)expires);
    rc |= siphon_msgb_add(b, siphon_str_c("Contact"),
                          siphon_str_make(v.p, v.len));
    siphon_msg *out = NULL;
    siphon_perr err;
    if (rc < 0 || siphon_msgb_finish(b, &out, &err) < 0)
        out = NULL;
    siphon_msgb_free(b);
    siphon_buf_free(&v);
    return out;
}

static void on_response(void *arg, siphon_ua_client *c, siphon_msg *resp,
                        int err, bool final);
static void on_deferred(siphon_loop *loop, uint64_t id, void *arg);

/* A REGISTER is in flight or its outcome waits to be handled. */
static bool in_flight(const siphon_ua_reg *r)
{
    return r->cur || r->deferred;
}

/* Send the next REGISTER (expires=0 when unreg). Returns 0 (r->cur set,
 * or the outcome deferred) or what siphon_ua_request() returned. */
static int send_register(siphon_ua_reg *r, bool unreg, bool refresh,
                         bool after_423)
{
    uint32_t cseq = r->cseq + 1;
    siphon_msg *m = build_register(r, cseq, unreg ? 0 : r->expires);
    if (!m)
        return SIPHON_ENOMEM;
    siphon_ua_client *c = NULL;
    r->cur_unreg = unreg;
    r->cur_refresh = refresh;
    r->cur_423 = after_423;
    r->sending = true;
    int rc = siphon_ua_request(r->ua, m, &r->dest, on_response, r, &c);
    r->sending = false;
    siphon_msg_unref(m);
    if (rc < 0) {
        r->deferred = false;    /* never called back (client.c) */
        siphon_msg_unref(r->deferred_resp);
        r->deferred_resp = NULL;
        return rc;
    }
    if (cseq > r->cseq)
        r->cseq = cseq;
    if (r->deferred) {
        if (siphon_loop_timer_add(r->loop, siphon_loop_now(r->loop),
                                  on_deferred, r, &r->defer_timer) < 0) {
            r->deferred = false;
            siphon_msg_unref(r->deferred_resp);
            r->deferred_resp = NULL;
            return SIPHON_ENOMEM;
        }
    } else {
        r->cur = c;
    }
    return 0;
}

/* ---- timers ------------------------------------------------------------- */

static void cancel_timer(siphon_ua_reg *r)
{
    if (r->timer)
        siphon_loop_timer_cancel(r->loop, r->timer);
    r->timer = 0;
    r->timer_at = 0;
}

static void on_timer(siphon_loop *loop, uint64_t id, void *arg);

static void arm_timer(siphon_ua_reg *r, uint64_t at)
{
    cancel_timer(r);
    if (siphon_loop_timer_add(r->loop, at, on_timer, r, &r->timer) < 0)
        r->timer = 0;
    else
        r->timer_at = at;
}

/* When to refresh a binding granted for granted_s from now_ms: after 90%
 * of the interval, but at least REG_REFRESH_GUARD_MS before it lapses,
 * and never before half of it. */
static uint64_t refresh_deadline(uint64_t now_ms, uint32_t granted_s)
{
    uint64_t iv = (uint64_t)granted_s * 1000u;
    uint64_t at = iv / 10 * 9;
    if (iv > REG_REFRESH_GUARD_MS && iv - REG_REFRESH_GUARD_MS < at)
        at = iv - REG_REFRESH_GUARD_MS;
    else if (iv <= REG_REFRESH_GUARD_MS)
        at = 0;
    if (at < iv / 2)
        at = iv / 2;
    return now_ms + at;
}

/* ---- outcomes ------------------------------------------------------------ */

/* Call the callback. Returns false when r was freed from inside it. */
static bool report(siphon_ua_reg *r, const siphon_ua_reg_event *ev)
{
    if (!r->cb)
        return true;
    r->busy++;
    r->cb(r->arg, r, ev);
    r->busy--;
    if (r->freed) {
        if (!r->busy)
            reg_destroy(r);
        return false;
    }
    return true;
}

/* §10.2.4: the interval granted to our Contact. */
static uint32_t granted_expires(const siphon_ua_reg *r, siphon_msg *resp)
{
    const void *first;
    siphon_perr err;
    if (siphon_msg_typed(resp, SIPHON_HDR_CONTACT, &first, &err) == 0) {
        for (const siphon_nameaddr *na = first; na; na = na->next) {
            const siphon_uri *u = siphon_nameaddr_uri(resp, na, &err);
            if (u && na->has_expires && siphon_uri_equal(u, &r->contact_uri))
                return na->expires;
        }
    }
    if (siphon_msg_typed(resp, SIPHON_HDR_EXPIRES, &first, &err) == 0) {
        const siphon_hval *h = first;
        if (h->has_num)
            return h->num > UINT32_MAX ? UINT32_MAX : (uint32_t)h->num;
    }
    return r->expires;
}

/* A numeric header of resp (Min-Expires, Retry-After); 0 when absent. */
static uint64_t header_num(siphon_msg *resp, siphon_hdr_id id)
{
    const void *first;
    siphon_perr err;
    if (resp && siphon_msg_typed(resp, id, &first, &err) == 0) {
        const siphon_hval *h = first;
        if (h->has_num)
            return h->num;
    }
    return 0;
}

static void fail_and_retry(siphon_ua_reg *r, siphon_ua_reg_event *ev,
                           siphon_msg *resp)
{
    uint64_t now = siphon_loop_now(r->loop);
    r->failures++;
    uint64_t delay = header_num(resp, SIPHON_HDR_RETRY_AFTER);
    if (delay > UINT32_MAX)
        delay = UINT32_MAX;
    if (!delay) {
        delay = r->retry_s;
        for (unsigned i = 1; i < r->failures && delay < r->retry_max_s; i++)
            delay *= 2;
        if (delay > r->retry_max_s)
            delay = r->retry_max_s;
    }
    if (r->expires_at && r->expires_at <= now)
        r->expires_at = 0;      /* the binding lapsed meanwhile */
    r->state = SIPHON_UA_REG_RETRY_WAIT;
    arm_timer(r, now + delay * 1000u);
    ev->state = r->state;
    ev->retry_at = r->timer_at;
}

/* A REGISTER could not even be sent: the same as a failed one. */
static void send_failed(siphon_ua_reg *r, int rc, bool unreg, bool refresh)
{
    siphon_ua_reg_event ev = {.unregister = unreg, .refresh = refresh,
                              .err = rc};
    r->last_status = 0;
    r->last_err = rc;
    if (unreg) {
        r->state = SIPHON_UA_REG_UNREGISTERED;
        ev.state = r->state;
    } else {
        fail_and_retry(r, &ev, NULL);
    }
    report(r, &ev);
}

/* The REGISTER in flight ended (resp, or err with resp NULL). */
static void handle_final(siphon_ua_reg *r, siphon_msg *resp, int err)
{
    int status = resp ? siphon_msg_status(resp) : 0;
    uint64_t now = siphon_loop_now(r->loop);
    siphon_ua_reg_event ev = {.unregister = r->cur_unreg,
                              .refresh = r->cur_refresh,
                              .status = status,
                              .err = resp ? 0 : (err ? err : SIPHON_EIO),
                              .resp = resp};
    r->last_status = status;
    r->last_err = ev.err;

    if (r->cur_unreg) {
        /* §10.2.2: done, whatever the answer; a failed removal lapses at
         * the binding's expiry. */
        r->state = SIPHON_UA_REG_UNREGISTERED;
        if (status >= 200 && status < 300)
            r->expires_at = 0;
        ev.state = r->state;
        report(r, &ev);
        return;
    }
    if (status == 423 && !r->cur_423) {
        /* §10.2.8: ask again with at least Min-Expires; kept for the
         * refreshes. Only once per REGISTER, so that a registrar that
         * keeps answering 423 cannot make a loop. */
        uint64_t min = header_num(resp, SIPHON_HDR_MIN_EXPIRES);
        if (min > r->expires && min <= UINT32_MAX) {
            r->expires = (uint32_t)min;
            if (!r->unreg_pending &&
                send_register(r, false, r->cur_refresh, true) == 0)
                return;
        }
    }
    uint32_t granted = 0;
    if (status >= 200 && status < 300)
        granted = granted_expires(r, resp);
    if (granted) {
        r->granted = granted;
        r->expires_at = now + (uint64_t)granted * 1000u;
        r->registrations++;
        r->failures = 0;
        r->state = SIPHON_UA_REG_REGISTERED;
        arm_timer(r, refresh_deadline(now, granted));
        ev.state = r->state;
        ev.expires = granted;
    } else {
        /* A failure, or a 2xx that did not keep our binding. */
        fail_and_retry(r, &ev, resp);
    }
    if (!report(r, &ev))
        return;
    if (r->unreg_pending && !in_flight(r)) {
        r->unreg_pending = false;
        int rc = siphon_ua_reg_unregister(r);
        if (rc < 0)
            send_failed(r, rc, true, false);
    }
}

static void on_response(void *arg, siphon_ua_client *c, siphon_msg *resp,
                        int err, bool final)
{
    siphon_ua_reg *r = arg;
    if (!final || (!r->sending && c != r->cur))
        return;
    /* The digest retry used CSeq+1 (or more): what went last counts. */
    siphon_msg *sent = siphon_ua_client_request(c);
    const siphon_cseq *cs = sent ? siphon_msg_cseq(sent) : NULL;
    if (cs && cs->num > r->cseq)
        r->cseq = cs->num;
    if (r->sending) {
        r->deferred = true;
        r->deferred_resp = resp ? siphon_msg_ref(resp) : NULL;
        r->deferred_err = err;
        return;
    }
    r->cur = NULL;
    handle_final(r, resp, err);
}

static void on_deferred(siphon_loop *loop, uint64_t id, void *arg)
{
    siphon_ua_reg *r = arg;
    (void)loop;
    (void)id;
    r->defer_timer = 0;
    siphon_msg *resp = r->deferred_resp;
    r->deferred_resp = NULL;
    r->deferred = false;
    r->busy++;              /* keep r while resp is held */
    handle_final(r, resp, r->deferred_err);
    r->busy--;
    siphon_msg_unref(resp);
    if (r->freed && !r->busy)
        reg_destroy(r);
}

static void on_timer(siphon_loop *loop, uint64_t id, void *arg)
{
    siphon_ua_reg *r = arg;
    (void)loop;
    (void)id;
    r->timer = 0;
    r->timer_at = 0;
    if (in_flight(r) || (r->state != SIPHON_UA_REG_REGISTERED &&
                   r->state != SIPHON_UA_REG_RETRY_WAIT))
        return;
    int rc = send_register(r, false, true, false);
    if (rc < 0)
        send_failed(r, rc, false, true);
}

/* ---- control -------------------------------------------------------------- */

int siphon_ua_reg_start(siphon_ua_reg *r)
{
    if (!r || r->freed)
        return SIPHON_EINVAL;
    if (in_flight(r) || r->state == SIPHON_UA_REG_UNREGISTERING)
        return SIPHON_ESTATE;
    bool refresh = r->state == SIPHON_UA_REG_REGISTERED ||
                   r->state == SIPHON_UA_REG_RETRY_WAIT;
    siphon_ua_reg_state was = r->state;
    if (!refresh)
        r->state = SIPHON_UA_REG_REGISTERING;
    int rc = send_register(r, false, refresh, false);
    if (rc < 0) {
        r->state = was;
        return rc;
    }
    cancel_timer(r);
    return 0;
}

int siphon_ua_reg_unregister(siphon_ua_reg *r)
{
    if (!r || r->freed)
        return SIPHON_EINVAL;
    if (r->state == SIPHON_UA_REG_IDLE ||
        r->state == SIPHON_UA_REG_UNREGISTERING || r->unreg_pending)
        return SIPHON_ESTATE;
    cancel_timer(r);
    if (in_flight(r)) {
        /* The REGISTER in flight may still be answered (or retried with
         * digest) after an expires=0 sent now: wait for its end. */
        r->unreg_pending = true;
        return 0;
    }
    siphon_ua_reg_state was = r->state;
    r->state = SIPHON_UA_REG_UNREGISTERING;
    int rc = send_register(r, true, false, false);
    if (rc < 0)
        r->state = was;
    return rc;
}

void siphon_ua_reg_stop(siphon_ua_reg *r)
{
    if (!r)
        return;
    cancel_timer(r);
    if (r->cur) {
        siphon_ua_client_forget(r->cur);
        r->cur = NULL;
        r->cseq += REG_CSEQ_SKIP;
    }
    if (r->defer_timer)
        siphon_loop_timer_cancel(r->loop, r->defer_timer);
    r->defer_timer = 0;
    r->deferred = false;
    siphon_msg_unref(r->deferred_resp);
    r->deferred_resp = NULL;
    r->unreg_pending = false;
    r->state = SIPHON_UA_REG_IDLE;
}

void siphon_ua_reg_free(siphon_ua_reg *r)
{
    if (!r || r->freed)
        return;
    siphon_ua_reg_stop(r);
    r->freed = true;
    if (!r->busy)
        reg_destroy(r);
}

void siphon_ua_reg_get_info(const siphon_ua_reg *r, siphon_ua_reg_info *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    uint64_t now = siphon_loop_now(r->loop);
    out->state = r->state;
    out->last_status = r->last_status;
    out->last_err = r->last_err;
    out->expires = r->expires;
    out->granted = r->granted;
    out->expires_at = r->expires_at > now ? r->expires_at : 0;
    out->refresh_at = r->timer_at;
    out->cseq = r->cseq;
    out->registrations = r->registrations;
    out->failures = r->failures;
    out->aor = r->aor;
    out->registrar = r->registrar;
    out->contact = r->contact;
    out->call_id = r->call_id;
}
