/*
 * resolve.c -- RFC 3263 §4 server location on c-ares, driven by the loop.
 *
 * Steps (RFC 3263 §4.1-4.2): a numeric host needs no DNS; an explicit
 * port means A/AAAA of the host; a ;transport parameter means SRV for
 * that transport (RFC 3263 §4.2, RFC 2782); otherwise NAPTR (RFC 3403)
 * for the services SIP+D2U, SIP+D2T and SIPS+D2T (only SIPS+D2T for a
 * sips URI, §4.1), then SRV, then A/AAAA. Without usable NAPTR records we
 * ask SRV for every transport we support, and without SRV records A/AAAA
 * with the default port. The result is one ordered list: failing over
 * (§4.3) is taking the next entry.
 *
 * Answers are fetched raw with ares_query() so the TTLs can be read
 * (resolve_dns.c) and the raw bytes cached until the smallest TTL runs
 * out on the loop clock (resolve_io.c, with the c-ares/loop binding);
 * c-ares' own parsers decode the rdata.
 */
#include "resolve_internal.h"

#include <ares.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SRVQ 8   /* SRV names per query (NAPTR answers beyond: dropped) */
#define MAX_SLOTS 16 /* SRV targets (host, port, transport) per query */
#define MAX_ADDRS 8  /* addresses per target and family */

enum { ST_START, ST_NAPTR, ST_SRV, ST_ADDR };

typedef struct srvq {
    char name[DNS_NAME_MAX + 16];
    siphon_resolve_transport tp;
    uint32_t ttl;                   /* of the NAPTR that led here */
    srv_rec *recs;
    size_t n;
} srvq;

typedef struct slot {
    char name[DNS_NAME_MAX];
    siphon_resolve_transport tp;
    uint16_t port;
    uint32_t ttl;                   /* smallest TTL on the way here */
    siphon_resolve_target v4[MAX_ADDRS], v6[MAX_ADDRS];
    unsigned n4, n6;
} slot;

struct siphon_resolve_query {
    siphon_resolver *r;
    siphon_resolve_query *prev, *next;
    siphon_resolve_fn *cb;
    void *arg;
    int stage;
    unsigned pending;               /* outstanding lookups (+ guards) */
    bool cancelled, done;
    uint64_t start_timer;
    bool sips, has_tp, has_port, numeric;
    bool nxdomain;                  /* the NAPTR lookup said NXDOMAIN */
    siphon_resolve_transport tp;
    uint16_t port;
    struct sockaddr_storage num;
    socklen_t numlen;
    char host[DNS_NAME_MAX];
    /* the most telling failure so far, for the error report */
    int err_rank, err_status;
    uint16_t err_type;
    char err_name[DNS_NAME_MAX + 16];
    srvq sq[MAX_SRVQ];
    size_t nsq;
    slot sl[MAX_SLOTS];
    size_t nsl;
};


typedef struct lookup {
    siphon_resolve_query *q;
    uint16_t type;
    size_t idx;
    char name[DNS_NAME_MAX + 16];
} lookup;

static void advance(siphon_resolve_query *q);

static const char *type_name(uint16_t t)
{
    switch (t) {
    case DNS_T_A: return "A";
    case DNS_T_AAAA: return "AAAA";
    case DNS_T_SRV: return "SRV";
    case DNS_T_NAPTR: return "NAPTR";
    default: return "?";
    }
}

/* ---- one query ---------------------------------------------------------- */

static void query_free(siphon_resolve_query *q)
{
    siphon_resolver *r = q->r;
    if (q->prev)
        q->prev->next = q->next;
    else
        r->queries = q->next;
    if (q->next)
        q->next->prev = q->prev;
    for (size_t i = 0; i < q->nsq; i++)
        free(q->sq[i].recs);
    free(q);
}

/* Rank failures so the report names the most useful one: a timeout or
 * server failure beats NXDOMAIN, which beats "no such record" (normal
 * for NAPTR and SRV). */
static void note_error(siphon_resolve_query *q, const char *name,
                       uint16_t type, int status)
{
    int rank = status == ARES_ENODATA ? 1 : status == ARES_ENOTFOUND ? 2
             : status == ARES_ETIMEOUT ? 4 : 3;
    siphon_log(SIPHON_LOG_DEBUG, "dns", "%s %s: %s", name, type_name(type),
               ares_strerror(status));
    if (rank <= q->err_rank)
        return;
    q->err_rank = rank;
    q->err_status = status;
    q->err_type = type;
    snprintf(q->err_name, sizeof q->err_name, "%s", name);
}

static void lookup_done(siphon_resolve_query *q)
{
    if (--q->pending == 0) {
        if (q->cancelled)
            query_free(q);
        else
            advance(q);
    }
}

typedef struct naptr_pick {
    uint16_t order, pref;
    siphon_resolve_transport tp;
    char name[DNS_NAME_MAX];
} naptr_pick;

static void take_naptr(siphon_resolve_query *q, const uint8_t *buf, int len,
                       uint32_t ttl)
{
    struct ares_naptr_reply *head = NULL;
    naptr_pick pk[MAX_SRVQ];
    size_t n = 0;
    if (ares_parse_naptr_reply(buf, len, &head) != ARES_SUCCESS)
        return;
    for (struct ares_naptr_reply *p = head; p && n < MAX_SRVQ; p = p->next) {
        const char *svc = (const char *)p->service;
        siphon_resolve_transport tp;
        /* RFC 3263 §4.1: flag "s" means the replacement is an SRV name. */
        if (strcasecmp((const char *)p->flags, "s") != 0)
            continue;
        if (!strcasecmp(svc, "SIPS+D2T"))
            tp = SIPHON_RESOLVE_TLS;
        else if (q->sips) /* a sips URI may only use TLS (§4.1) */
            continue;
        else if (!strcasecmp(svc, "SIP+D2U"))
            tp = SIPHON_RESOLVE_UDP;
        else if (!strcasecmp(svc, "SIP+D2T"))
            tp = SIPHON_RESOLVE_TCP;
        else
            continue; /* SCTP, WS and unknown services */
        naptr_pick *k = &pk[n];
        k->order = p->order;
        k->pref = p->preference;
        k->tp = tp;
        snprintf(k->name, sizeof k->name, "%s", p->replacement);
        /* stable insertion by (order, preference), RFC 3403 §4.1 */
        size_t j = n++;
        while (j > 0 && (pk[j - 1].order > k->order ||
                         (pk[j - 1].order == k->order &&
                          pk[j - 1].pref > k->pref)))
            j--;
        naptr_pick t = *k;
        memmove(pk + j + 1, pk + j, (n - 1 - j) * sizeof *pk);
        pk[j] = t;
    }
    ares_free_data(head);
    for (size_t i = 0; i < n; i++) {
        srvq *s = &q->sq[q->nsq++];
        snprintf(s->name, sizeof s->name, "%s", pk[i].name);
        s->tp = pk[i].tp;
        s->ttl = ttl;
    }
}

static void take_srv(srvq *s, const uint8_t *buf, int len, uint32_t ttl)
{
    struct ares_srv_reply *head = NULL;
    size_t n = 0;
    if (ares_parse_srv_reply(buf, len, &head) != ARES_SUCCESS)
        return;
    for (struct ares_srv_reply *p = head; p; p = p->next)
        n++;
    free(s->recs);
    s->recs = n ? calloc(n, sizeof *s->recs) : NULL;
    s->n = s->recs ? n : 0;
    n = 0;
    for (struct ares_srv_reply *p = head; p && n < s->n; p = p->next, n++) {
        s->recs[n].priority = p->priority;
        s->recs[n].weight = p->weight;
        s->recs[n].port = p->port;
        snprintf(s->recs[n].target, DNS_NAME_MAX, "%s", p->host);
    }
    if (ttl < s->ttl)
        s->ttl = ttl;
    ares_free_data(head);
}

static void take_addr(slot *sl, uint16_t type, const uint8_t *buf, int len,
                      uint32_t cap)
{
    int n = MAX_ADDRS;
    if (type == DNS_T_A) {
        struct ares_addrttl at[MAX_ADDRS];
        if (ares_parse_a_reply(buf, len, NULL, at, &n) != ARES_SUCCESS)
            return;
        for (int i = 0; i < n && sl->n4 < MAX_ADDRS; i++) {
            siphon_resolve_target *t = &sl->v4[sl->n4++];
            struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;
            sin->sin_family = AF_INET;
            sin->sin_port = htons(sl->port);
            sin->sin_addr = at[i].ipaddr;
            t->addrlen = sizeof *sin;
            t->ttl = at[i].ttl < 0 ? 0 : (uint32_t)at[i].ttl;
            if (t->ttl > cap)
                t->ttl = cap;
        }
    } else {
        struct ares_addr6ttl at[MAX_ADDRS];
        if (ares_parse_aaaa_reply(buf, len, NULL, at, &n) != ARES_SUCCESS)
            return;
        for (int i = 0; i < n && sl->n6 < MAX_ADDRS; i++) {
            siphon_resolve_target *t = &sl->v6[sl->n6++];
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addr;
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons(sl->port);
            memcpy(&s6->sin6_addr, &at[i].ip6addr, sizeof s6->sin6_addr);
            t->addrlen = sizeof *s6;
            t->ttl = at[i].ttl < 0 ? 0 : (uint32_t)at[i].ttl;
            if (t->ttl > cap)
                t->ttl = cap;
        }
    }
}

/* An answer (fresh or cached) for lookup (type, idx) of q. cap bounds
 * the TTLs: for a cached answer, the seconds it has left. */
static void take_answer(siphon_resolve_query *q, uint16_t type, size_t idx,
                        const char *name, int status, const uint8_t *buf,
                        int len, uint32_t cap)
{
    uint32_t ttl = 0;
    unsigned cnt = 0;
    if (status == ARES_SUCCESS &&
        dns_answer_ttl(buf, (size_t)len, type, &ttl, &cnt) < 0)
        status = ARES_EBADRESP;
    if (status == ARES_SUCCESS && cnt == 0) /* a cached negative answer */
        status = (buf[3] & 0x0F) == 3 ? ARES_ENOTFOUND : ARES_ENODATA;
    if (status != ARES_SUCCESS) {
        note_error(q, name, type, status);
        if (type == DNS_T_NAPTR && status == ARES_ENOTFOUND)
            q->nxdomain = true;
        return;
    }
    if (ttl > cap)
        ttl = cap;
    if (type == DNS_T_NAPTR)
        take_naptr(q, buf, len, ttl);
    else if (type == DNS_T_SRV)
        take_srv(&q->sq[idx], buf, len, ttl);
    else
        take_addr(&q->sl[idx], type, buf, len,
                  ttl < q->sl[idx].ttl ? ttl : q->sl[idx].ttl);
}

static void on_answer(void *arg, int status, int timeouts,
                      unsigned char *abuf, int alen)
{
    lookup *lk = arg;
    siphon_resolve_query *q = lk->q;
    if (!q->cancelled && !q->r->freeing) {
        take_answer(q, lk->type, lk->idx, lk->name, status, abuf, alen,
                    UINT32_MAX);
        uint32_t ttl;
        unsigned cnt;
        if (status == ARES_SUCCESS &&
            dns_answer_ttl(abuf, (size_t)alen, lk->type, &ttl, &cnt) == 0 &&
            cnt)
            resolve_cache_put(q->r, lk->name, lk->type, abuf, alen, ttl);
        else if ((status == ARES_ENODATA || status == ARES_ENOTFOUND) &&
                 abuf && alen >= 12 &&
                 dns_negative_ttl(abuf, (size_t)alen, &ttl) == 0)
            resolve_cache_put(q->r, lk->name, lk->type, abuf, alen, ttl);
    }
    free(lk);
    lookup_done(q);
}

/* Start one lookup. Cache hits are taken at once; the caller holds a
 * pending guard so that this never completes the stage under its feet. */
static void issue(siphon_resolve_query *q, const char *name, uint16_t type,
                  size_t idx)
{
    siphon_resolver *r = q->r;
    char key[DNS_NAME_MAX + 16];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof key; i++)
        key[i] = (char)tolower((unsigned char)name[i]);
    key[i] = '\0';
    uint64_t now = siphon_loop_now(r->loop);
    const cache_entry *e = resolve_cache_get(r, key, type, now);
    if (e) {
        r->stats.cache_hits++;
        take_answer(q, type, idx, name, ARES_SUCCESS, e->buf, e->len,
                    (uint32_t)((e->expires_ms - now) / 1000));
        return;
    }
    lookup *lk = calloc(1, sizeof *lk);
    if (!lk) {
        note_error(q, name, type, ARES_ENOMEM);
        return;
    }
    lk->q = q;
    lk->type = type;
    lk->idx = idx;
    snprintf(lk->name, sizeof lk->name, "%s", key);
    q->pending++;
    r->stats.dns_queries++;
    ares_query(r->ch, key, 1 /* C_IN */, type, on_answer, lk);
}

static siphon_resolve_transport default_tp(const siphon_resolve_query *q)
{
    return q->sips ? SIPHON_RESOLVE_TLS : SIPHON_RESOLVE_UDP;
}

static uint16_t default_port(siphon_resolve_transport tp)
{
    /* RFC 3261 §19.1.2: 5061 for TLS; RFC 7118 keeps the same ports. */
    return tp == SIPHON_RESOLVE_TLS || tp == SIPHON_RESOLVE_WSS ? 5061 : 5060;
}

static void add_srvq(siphon_resolve_query *q, siphon_resolve_transport tp)
{
    const char *pfx = tp == SIPHON_RESOLVE_UDP ? "_sip._udp"
                    : tp == SIPHON_RESOLVE_TCP ? "_sip._tcp" : "_sips._tcp";
    srvq *s = &q->sq[q->nsq++];
    snprintf(s->name, sizeof s->name, "%s.%s", pfx, q->host);
    s->tp = tp;
    s->ttl = UINT32_MAX;
}

static void add_slot(siphon_resolve_query *q, const char *name,
                     siphon_resolve_transport tp, uint16_t port, uint32_t ttl)
{
    if (q->nsl == MAX_SLOTS)
        return;
    slot *s = &q->sl[q->nsl++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->tp = tp;
    s->port = port;
    s->ttl = ttl;
}

static void deliver(siphon_resolve_query *q, siphon_resolve_result *res,
                    int status)
{
    q->done = true;
    /* One line per failed resolution, naming the lookup that decided it
     * (the per-lookup lines are at DEBUG level). */
    if (status < 0 && q->err_rank > 1)
        siphon_log(SIPHON_LOG_WARN, "dns", "%s: %s %s: %s (%s)", q->host,
                   q->err_name, type_name(q->err_type),
                   ares_strerror(q->err_status), siphon_errname(status));
    else if (status < 0 && q->err_rank == 1)
        siphon_log(SIPHON_LOG_WARN, "dns",
                   "%s: no usable records (last: %s %s: %s) (%s)", q->host,
                   q->err_name, type_name(q->err_type),
                   ares_strerror(q->err_status), siphon_errname(status));
    else if (status < 0)
        siphon_log(SIPHON_LOG_WARN, "dns", "%s: %s", q->host,
                   siphon_errname(status));
    q->cb(q->arg, status, res);
    query_free(q);
}

static void finish(siphon_resolve_query *q)
{
    siphon_resolve_result *res = calloc(1, sizeof *res);
    size_t total = 0;
    for (size_t i = 0; i < q->nsl; i++)
        total += q->sl[i].n4 + q->sl[i].n6;
    if (res && total)
        res->v = calloc(total, sizeof *res->v);
    if (!res || !res->v) {
        if (res)
            free(res);
        int st = !total ? (q->err_rank == 4 ? SIPHON_ETIMEDOUT
                           : q->err_rank == 3 ? SIPHON_EIO : SIPHON_ENOENT)
                        : SIPHON_ENOMEM;
        deliver(q, NULL, st);
        return;
    }
    uint64_t now = siphon_loop_now(q->r->loop);
    for (size_t i = 0; i < q->nsl; i++) {
        slot *s = &q->sl[i];
        siphon_resolve_target *first = q->r->cfg.prefer_ipv6 ? s->v6 : s->v4;
        siphon_resolve_target *second = q->r->cfg.prefer_ipv6 ? s->v4 : s->v6;
        unsigned nf = q->r->cfg.prefer_ipv6 ? s->n6 : s->n4;
        unsigned ns = q->r->cfg.prefer_ipv6 ? s->n4 : s->n6;
        for (unsigned k = 0; k < nf + ns; k++) {
            siphon_resolve_target *t = &res->v[res->n++];
            *t = k < nf ? first[k] : second[k - nf];
            t->transport = s->tp;
            t->port = s->port;
            t->expires_ms = now + (uint64_t)t->ttl * 1000;
        }
    }
    deliver(q, res, 0);
}

/* The stage's lookups are all in: start the next one (or finish). */
static void advance(siphon_resolve_query *q)
{
    q->pending++; /* guard: cache hits must not re-enter advance() */
    if (q->stage == ST_NAPTR && q->nxdomain) {
        /* The host does not exist, so neither do the SRV names below it
         * nor its A/AAAA records (RFC 8020): stop here. */
        q->pending--;
        finish(q);
        return;
    }
    if (q->stage == ST_NAPTR) {
        if (q->nsq == 0) { /* no usable NAPTR: SRV per transport (§4.1) */
            if (!q->sips) {
                add_srvq(q, SIPHON_RESOLVE_UDP);
                add_srvq(q, SIPHON_RESOLVE_TCP);
            }
            add_srvq(q, SIPHON_RESOLVE_TLS);
        }
        q->stage = ST_SRV;
        for (size_t i = 0; i < q->nsq; i++)
            issue(q, q->sq[i].name, DNS_T_SRV, i);
    } else if (q->stage == ST_SRV) {
        siphon_resolver *r = q->r;
        for (size_t i = 0; i < q->nsq; i++) {
            srvq *s = &q->sq[i];
            srv_order(s->recs, s->n, r->cfg.rng, r->cfg.rng_arg);
            for (size_t k = 0; k < s->n; k++) /* "." = no service here */
                if (s->recs[k].target[0] && strcmp(s->recs[k].target, "."))
                    add_slot(q, s->recs[k].target, s->tp, s->recs[k].port,
                             s->ttl);
        }
        if (q->nsl == 0) { /* §4.2: no SRV, A/AAAA with default port */
            siphon_resolve_transport tp = q->has_tp ? q->tp : default_tp(q);
            add_slot(q, q->host, tp, default_port(tp), UINT32_MAX);
        }
        q->stage = ST_ADDR;
    } else if (q->stage == ST_ADDR) {
        q->pending--;
        finish(q);
        return;
    }
    if (q->stage == ST_ADDR) {
        for (size_t i = 0; i < q->nsl; i++) {
            if (!q->r->cfg.no_ipv4)
                issue(q, q->sl[i].name, DNS_T_A, i);
            if (!q->r->cfg.no_ipv6)
                issue(q, q->sl[i].name, DNS_T_AAAA, i);
        }
    }
    lookup_done(q);
}

static void start(siphon_loop *loop, uint64_t id, void *arg)
{
    siphon_resolve_query *q = arg;
    siphon_resolver *r = q->r;
    q->start_timer = 0;
    if (q->numeric) { /* RFC 3263 §4.2: an IP address needs no DNS */
        siphon_resolve_result *res = calloc(1, sizeof *res);
        if (res && !(res->v = calloc(1, sizeof *res->v))) {
            free(res);
            res = NULL;
        }
        if (!res) {
            deliver(q, NULL, SIPHON_ENOMEM);
            return;
        }
        siphon_resolve_target *t = &res->v[0];
        res->n = 1;
        t->transport = q->has_tp ? q->tp : default_tp(q);
        t->port = q->has_port ? q->port : default_port(t->transport);
        t->addr = q->num;
        t->addrlen = q->numlen;
        if (t->addr.ss_family == AF_INET)
            ((struct sockaddr_in *)&t->addr)->sin_port = htons(t->port);
        else
            ((struct sockaddr_in6 *)&t->addr)->sin6_port = htons(t->port);
        t->ttl = UINT32_MAX;
        t->expires_ms = UINT64_MAX;
        deliver(q, res, 0);
        return;
    }
    q->pending++;
    if (q->has_port || q->tp == SIPHON_RESOLVE_WS ||
        q->tp == SIPHON_RESOLVE_WSS) {
        /* §4.2: a port means no SRV; RFC 7118 defines no SRV for WS */
        siphon_resolve_transport tp = q->has_tp ? q->tp : default_tp(q);
        add_slot(q, q->host, tp, q->has_port ? q->port : default_port(tp),
                 UINT32_MAX);
        q->stage = ST_SRV;
    } else if (q->has_tp) { /* §4.1: the transport is known, skip NAPTR */
        add_srvq(q, q->tp);
        q->stage = ST_NAPTR;
    } else {
        q->stage = ST_NAPTR;
        issue(q, q->host, DNS_T_NAPTR, 0);
    }
    lookup_done(q);
    resolve_arm_timer(r);
}

/* ---- public API ---------------------------------------------------------- */

void siphon_resolver_free(siphon_resolver *r)
{
    if (!r)
        return;
    r->freeing = true;
    if (r->timer)
        siphon_loop_timer_cancel(r->loop, r->timer);
    r->timer = 0;
    for (siphon_resolve_query *q = r->queries; q; q = q->next) {
        q->cancelled = true;
        if (q->start_timer)
            siphon_loop_timer_cancel(r->loop, q->start_timer);
        q->start_timer = 0;
    }
    /* Outstanding lookups come back with ARES_EDESTRUCTION and free their
     * queries as the pending counts reach zero. */
    ares_destroy(r->ch);
    while (r->queries)
        query_free(r->queries);
    resolve_io_release(r);
}

int siphon_resolve(siphon_resolver *r, const siphon_uri *uri,
                   siphon_resolve_fn *cb, void *arg,
                   siphon_resolve_query **out)
{
    if (!r || !uri || !cb || r->freeing)
        return SIPHON_EINVAL;
    if (uri->scheme != SIPHON_URI_SIP && uri->scheme != SIPHON_URI_SIPS)
        return SIPHON_EINVAL;
    siphon_resolve_query *q = calloc(1, sizeof *q);
    if (!q)
        return SIPHON_ENOMEM;
    q->r = r;
    q->cb = cb;
    q->arg = arg;
    q->sips = uri->scheme == SIPHON_URI_SIPS;
    q->has_port = uri->has_port;
    q->port = uri->port;
    siphon_str host = uri->host;
    const siphon_param *p = siphon_params_find(&uri->params, "maddr");
    if (p && p->has_value && p->value.len) /* RFC 3263 §4: maddr wins */
        host = p->value;
    p = siphon_params_find(&uri->params, "transport");
    if (p && p->has_value) {
        static const struct { const char *n; siphon_resolve_transport t; }
        map[] = {{"udp", SIPHON_RESOLVE_UDP}, {"tcp", SIPHON_RESOLVE_TCP},
                 {"tls", SIPHON_RESOLVE_TLS}, {"ws", SIPHON_RESOLVE_WS},
                 {"wss", SIPHON_RESOLVE_WSS}};
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (siphon_str_caseeq_c(p->value, map[i].n)) {
                q->tp = map[i].t;
                q->has_tp = true;
            }
        if (q->has_tp && q->sips) {
            /* RFC 3261 §26.2.2: sips over tcp means TLS; RFC 7118 §5.2:
             * sips with transport=ws means WebSocket over TLS; over UDP
             * it cannot be secure at all. */
            if (q->tp == SIPHON_RESOLVE_TCP)
                q->tp = SIPHON_RESOLVE_TLS;
            else if (q->tp == SIPHON_RESOLVE_WS)
                q->tp = SIPHON_RESOLVE_WSS;
            else if (q->tp == SIPHON_RESOLVE_UDP)
                q->has_tp = false;
        }
        if (!q->has_tp) { /* sctp and unknown transports we cannot use */
            free(q);
            return SIPHON_EINVAL;
        }
    }
    if (host.len == 0 || host.len >= DNS_NAME_MAX) {
        free(q);
        return SIPHON_EINVAL;
    }
    if (siphon_addr_from_host(host, 0, &q->num, &q->numlen) == 0) {
        q->numeric = true;
    } else {
        memcpy(q->host, host.p, host.len);
        q->host[host.len] = '\0';
    }
    q->next = r->queries;
    if (q->next)
        q->next->prev = q;
    r->queries = q;
    /* Deferred to the loop, so cb never runs inside this call even for a
     * numeric host or a full cache hit. */
    int st = siphon_loop_timer_add(r->loop, siphon_loop_now(r->loop), start,
                                   q, &q->start_timer);
    if (st < 0) {
        query_free(q);
        return st;
    }
    if (out)
        *out = q;
    return 0;
}

void siphon_resolve_cancel(siphon_resolve_query *q)
{
    if (!q || q->done || q->cancelled)
        return;
    q->cancelled = true;
    if (q->start_timer) {
        siphon_loop_timer_cancel(q->r->loop, q->start_timer);
        query_free(q);
    }
    /* otherwise the last outstanding lookup frees it (lookup_done) */
}

const siphon_resolve_target *siphon_resolve_next(siphon_resolve_result *res)
{
    if (!res || res->next >= res->n)
        return NULL;
    return &res->v[res->next++];
}

void siphon_resolve_result_free(siphon_resolve_result *res)
{
    if (!res)
        return;
    free(res->v);
    free(res);
}

void siphon_resolver_get_stats(const siphon_resolver *r,
                               siphon_resolver_stats *out)
{
    *out = r->stats;
}

