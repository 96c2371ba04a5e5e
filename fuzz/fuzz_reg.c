/*
 * fuzz_reg.c -- fuzz harness for the registrar (lib/reg): RFC 3261 §10.3,
 * RFC 3327, RFC 5626 §6.
 *
 * The input is a script of steps separated by lines "%%":
 *   "+N ..."      advance the clock by N seconds (N < 10^6) and tick;
 *   "?URI"        look the AOR up;
 *   anything else a message, parsed and, when it is a REGISTER request,
 *                 processed at the current time.
 * A registrar with small limits (4 per AOR, 8 in all, 6 Contacts per
 * request, expires 60..7200) is used so that every limit is reached.
 *
 * Invariants, after every step:
 *   - a REGISTER gets a response (or FORWARD), never an error other than
 *     ENOMEM, or EPARSE for a request that siphon_msg_verdict() refuses;
 *     the response parses back with the status reported;
 *     every error response carries a Warning naming the fault;
 *   - a 200 lists exactly the live bindings of the To AOR, in the order
 *     siphon_reg_lookup gives, each with the expires left on its deadline;
 *   - no binding outlives its deadline, next_deadline is the earliest one;
 *   - the limits hold (per AOR, in total);
 *   - the events account for every change: ADDED - REMOVED - EXPIRED is
 *     the binding count;
 *   - siphon_reg_free leaves nothing behind (LeakSanitizer).
 */
#include "fuzz_common.h"

#include <siphon/msg.h>
#include <siphon/reg.h>

#define MAX_PER_AOR 4
#define MAX_TOTAL 8

typedef struct state {
    siphon_reg *r;
    uint64_t now;
    long expect;  /* bindings according to the events */
} state;

static void drain_events(state *s)
{
    siphon_reg_event ev;
    while (siphon_reg_poll(s->r, &ev)) {
        fuzz_touch(ev.aor);
        fuzz_touch(ev.contact);
        fuzz_touch(ev.instance);
        switch (ev.type) {
        case SIPHON_REG_EV_ADDED: s->expect++; break;
        case SIPHON_REG_EV_REFRESHED: break;
        case SIPHON_REG_EV_REMOVED:
        case SIPHON_REG_EV_EXPIRED: s->expect--; break;
        default: fuzz_fail("event of unknown type %d", (int)ev.type);
        }
    }
    if (siphon_reg_events_dropped(s->r))
        fuzz_fail("events dropped with a queue far larger than the store");
    if (s->expect != (long)siphon_reg_count(s->r))
        fuzz_fail("events say %ld bindings, the store holds %zu", s->expect,
                  siphon_reg_count(s->r));
}

typedef struct walk {
    uint64_t now, min;
    size_t n;
} walk;

static int visit(void *arg, const siphon_reg_binding *b)
{
    walk *w = arg;
    fuzz_touch(b->aor);
    fuzz_touch(b->contact);
    fuzz_touch(b->display);
    fuzz_touch(b->call_id);
    fuzz_touch(b->instance);
    fuzz_touch(b->source);
    fuzz_touch_params(&b->params);
    for (size_t i = 0; i < b->npath; i++)
        fuzz_touch(b->path[i]);
    if (b->expires_at <= w->now)
        fuzz_fail("a binding outlived its deadline (%llu <= now %llu)",
                  (unsigned long long)b->expires_at, (unsigned long long)w->now);
    if (b->expires_s < 60 || b->expires_s > 7200)
        fuzz_fail("granted interval %u outside 60..7200", b->expires_s);
    if (b->expires_at < w->min)
        w->min = b->expires_at;
    w->n++;
    return 0;
}

static void check_store(state *s)
{
    walk w = {s->now, UINT64_MAX, 0};
    siphon_reg_foreach(s->r, visit, &w);
    if (w.n != siphon_reg_count(s->r))
        fuzz_fail("foreach saw %zu bindings, count says %zu", w.n, siphon_reg_count(s->r));
    if (w.n > MAX_TOTAL)
        fuzz_fail("%zu bindings, above the limit %d", w.n, MAX_TOTAL);
    if (siphon_reg_next_deadline(s->r) != w.min)
        fuzz_fail("next_deadline %llu, earliest binding %llu",
                  (unsigned long long)siphon_reg_next_deadline(s->r),
                  (unsigned long long)w.min);
    if (siphon_reg_aor_count(s->r) > w.n)
        fuzz_fail("%zu AORs for %zu bindings: an empty AOR was kept",
                  siphon_reg_aor_count(s->r), w.n);
}

/* A 200 lists exactly the live bindings of the AOR, in lookup order. */
static void check_ok(state *s, siphon_msg *req, siphon_msg *resp)
{
    const siphon_nameaddr *to = siphon_msg_to(req);
    const siphon_uri *u = to ? siphon_nameaddr_uri(req, to, NULL) : NULL;
    if (!u)
        fuzz_fail("200 to a REGISTER without a usable To");
    const siphon_reg_binding *v[MAX_PER_AOR + 1];
    long n = siphon_reg_lookup_uri(s->r, u, s->now, v, MAX_PER_AOR + 1);
    if (n < 0 || n > MAX_PER_AOR)
        fuzz_fail("lookup of the AOR gave %ld (limit %d)", n, MAX_PER_AOR);
    const void *cv = NULL;
    int rc = siphon_msg_typed(resp, SIPHON_HDR_CONTACT, &cv, NULL);
    if (rc && rc != SIPHON_ENOENT)
        fuzz_fail("the 200's Contacts do not parse back (%s)", siphon_errname(rc));
    long i = 0;
    for (const siphon_nameaddr *c = rc == 0 ? cv : NULL; c; c = c->next, i++) {
        if (i >= n)
            fuzz_fail("the 200 lists more Contacts than the %ld live bindings", n);
        if (!siphon_str_eq(c->uri_text, v[i]->contact)) {
            fuzz_dump("in the 200", c->uri_text.p, c->uri_text.len);
            fuzz_dump("stored", v[i]->contact.p, v[i]->contact.len);
            fuzz_fail("Contact %ld of the 200 is not binding %ld", i, i);
        }
        uint64_t left = (v[i]->expires_at - s->now + 999) / 1000;
        if (!c->has_expires || c->expires != left)
            fuzz_fail("Contact %ld: expires %u, the binding has %llu s left", i,
                      c->expires, (unsigned long long)left);
    }
    if (i != n)
        fuzz_fail("the 200 lists %ld Contacts for %ld live bindings", i, n);
}

static void do_register(state *s, const char *p, size_t len)
{
    siphon_msg *m = NULL;
    if (siphon_msg_parse(p, len, NULL, &m, NULL) != 0)
        return;
    if (!siphon_msg_is_request(m) || siphon_msg_method_id(m) != SIPHON_METHOD_REGISTER) {
        siphon_msg_unref(m);
        return;
    }
    siphon_reg_input in = {.now_ms = s->now, .now_wall = (int64_t)(s->now / 1000),
                           .to_tag = SIPHON_STR_LIT("fz1"),
                           .source = SIPHON_STR_LIT("udp:192.0.2.9:5060")};
    siphon_reg_result res;
    int rc = siphon_reg_process(s->r, m, &in, &res);
    if (rc == SIPHON_ENOMEM) {
        siphon_msg_unref(m);
        return;
    }
    if (rc == SIPHON_EPARSE) {
        /* allowed only for a request the verdict refuses anyway */
        siphon_verdict v;
        siphon_msg_verdict(m, &v);
        if (v.kind == SIPHON_VERDICT_ACCEPT) {
            fuzz_dump("request", p, len);
            fuzz_fail("siphon_reg_process cannot answer a request the verdict accepts");
        }
        siphon_msg_unref(m);
        return;
    }
    if (rc != 0) {
        fuzz_dump("request", p, len);
        fuzz_fail("siphon_reg_process returned %s for a REGISTER", siphon_errname(rc));
    }
    if (res.action == SIPHON_REG_FORWARD)
        fuzz_fail("FORWARD without a domain list");
    if (!res.response || siphon_msg_status(res.response) != res.status ||
        res.status < 200 || res.status > 699)
        fuzz_fail("status %d and its response disagree", res.status);
    fuzz_touch(siphon_msg_bytes(res.response));
    if (res.status == 200) {
        check_ok(s, m, res.response);
    } else {
        siphon_str reason = siphon_msg_reason(res.response);
        if (!res.fault || !reason.len)
            fuzz_fail("error %d without a fault", res.status);
        if (siphon_msg_hdr_next(res.response, SIPHON_HDR_WARNING, 0) < 0)
            fuzz_fail("error %d without a Warning", res.status);
        if (res.added + res.refreshed + res.removed)
            fuzz_fail("error %d changed bindings", res.status);
    }
    siphon_msg_unref(res.response);
    siphon_msg_unref(m);
}

static void step(state *s, const char *p, size_t len)
{
    if (len && p[0] == '+') {
        uint64_t secs = 0;
        for (size_t i = 1; i < len && i < 7 && p[i] >= '0' && p[i] <= '9'; i++)
            secs = secs * 10 + (uint64_t)(p[i] - '0');
        s->now += secs * 1000 + (len > 1 && p[len - 1] == '!' ? 1 : 0);
        siphon_reg_tick(s->r, s->now);
    } else if (len && p[0] == '?') {
        const siphon_reg_binding *v[MAX_PER_AOR + 1];
        long n = siphon_reg_lookup(s->r, siphon_str_make(p + 1, len - 1), s->now, v,
                                   MAX_PER_AOR + 1);
        if (n > MAX_PER_AOR)
            fuzz_fail("lookup gave %ld bindings, limit %d", n, MAX_PER_AOR);
        for (long i = 0; i < n; i++) {
            if (v[i]->expires_at <= s->now)
                fuzz_fail("lookup returned an expired binding");
            if (i && (v[i]->q > v[i - 1]->q))
                fuzz_fail("lookup not ordered by q");
        }
        return; /* lookups change nothing */
    } else {
        do_register(s, p, len);
    }
    drain_events(s);
    check_store(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    siphon_reg_config cfg = SIPHON_REG_CONFIG_DEFAULT;
    cfg.max_per_aor = MAX_PER_AOR;
    cfg.max_total = MAX_TOTAL;
    cfg.max_contacts = 6;
    cfg.min_expires = 60;
    cfg.max_expires = 7200;
    static const char *const sr[] = {"<sip:orig@scscf.example.com;lr>"};
    cfg.service_route = sr;
    cfg.nservice_route = 1;
    state s = {siphon_reg_new(&cfg), 1000, 0};
    if (!s.r)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        /* the next "%%" line */
        const char *q = p;
        for (;;) {
            q = memmem(q, (size_t)(end - q), "%%\n", 3);
            if (!q || q == p || q[-1] == '\n')
                break;
            q++;
        }
        const char *e = q ? q : end;
        /* each step in a buffer of its own exact size, for ASan */
        size_t n = (size_t)(e - p);
        char *copy = malloc(n ? n : 1);
        if (!copy)
            abort();
        memcpy(copy, p, n);
        step(&s, copy, n);
        free(copy);
        p = q ? q + 3 : end;
    }
    siphon_reg_free(s.r);
    return 0;
}
