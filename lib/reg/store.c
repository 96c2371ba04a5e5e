/*
 * store.c -- the location service: address-of-record -> bindings, with
 * expiry on the caller's clock and an event queue.
 *
 * RFC 3261 §10.3 step 5 (the canonical AOR is the index), §10.2.1.1
 * (bindings expire), §16.6/§16.7 users of the bindings (ordered by q).
 *
 * AORs sit in a chained hash table keyed by the canonical key. Every
 * binding is one malloc block and sits both in its AOR's array and in a
 * min-heap of deadlines, so that next_deadline is O(1) and a tick costs
 * O(log n) per expired binding however many bindings there are.
 */
#include "reg_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- configuration and lifetime ------------------------------------------ */

siphon_reg *siphon_reg_new(const siphon_reg_config *cfg)
{
    siphon_reg *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    siphon_reg_config d = SIPHON_REG_CONFIG_DEFAULT;
    r->cfg = cfg ? *cfg : d;
    if (!r->cfg.default_expires)
        r->cfg.default_expires = d.default_expires;
    if (!r->cfg.max_expires)
        r->cfg.max_expires = d.max_expires;
    if (r->cfg.default_expires > r->cfg.max_expires)
        r->cfg.default_expires = r->cfg.max_expires;
    if (!r->cfg.max_per_aor)
        r->cfg.max_per_aor = d.max_per_aor;
    if (r->cfg.max_per_aor > REG_MAX_PER_AOR_CAP)
        r->cfg.max_per_aor = REG_MAX_PER_AOR_CAP;
    if (!r->cfg.max_total)
        r->cfg.max_total = d.max_total;
    if (!r->cfg.max_contacts)
        r->cfg.max_contacts = d.max_contacts;
    if (!r->cfg.warn_agent)
        r->cfg.warn_agent = "siphon";
    r->nbuckets = 64;
    r->buckets = calloc(r->nbuckets, sizeof *r->buckets);
    if (!r->buckets) {
        free(r);
        return NULL;
    }
    return r;
}

static void free_events(siphon_reg *r)
{
    free(r->polled);
    r->polled = NULL;
    while (r->qhead) {
        revent *e = r->qhead;
        r->qhead = e->next;
        free(e);
    }
    r->qtail = NULL;
    r->nevents = 0;
}

void siphon_reg_free(siphon_reg *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nbuckets; i++) {
        raor *a = r->buckets[i];
        while (a) {
            raor *next = a->next;
            for (size_t j = 0; j < a->n; j++)
                reg_bind_free(a->b[j]);
            free(a->b);
            free(a);
            a = next;
        }
    }
    free(r->buckets);
    free(r->heap);
    free_events(r);
    free(r);
}

size_t siphon_reg_count(const siphon_reg *r)
{
    return r ? r->nheap : 0;
}

size_t siphon_reg_aor_count(const siphon_reg *r)
{
    return r ? r->naors : 0;
}

/* ---- the canonical AOR key (§10.3 step 5) -------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * §10.3 step 5 says to convert escaped characters to their unescaped form.
 * Decoded bytes such as ':' or '@' would make the key ambiguous ("a:b@h"
 * is a user with a password too), so every byte outside unreserved and
 * user-unreserved (§25.1) is escaped again, always in upper case: "%61"
 * and "a" give the same key, and so do "%3a" and "%3A".
 */
static int put_userinfo(siphon_buf *out, siphon_str s)
{
    static const char keep[] = "-_.!~*'()&=+$,;?/";
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '%' && i + 2 < s.len && hexval(s.p[i + 1]) >= 0 &&
            hexval(s.p[i + 2]) >= 0) {
            c = (unsigned char)(hexval(s.p[i + 1]) * 16 + hexval(s.p[i + 2]));
            i += 2;
        }
        int rc;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || (c && strchr(keep, c))) {
            char ch = (char)c;
            rc = siphon_buf_append(out, &ch, 1);
        } else {
            static const char hex[] = "0123456789ABCDEF";
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = siphon_buf_append(out, e, 3);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int reg_key_of(const siphon_uri *u, siphon_buf *out)
{
    if (!u || (u->scheme != SIPHON_URI_SIP && u->scheme != SIPHON_URI_SIPS))
        return SIPHON_EINVAL;
    /* scheme and host are case-insensitive (§19.1.4); parameters and
     * headers are dropped (step 5), user-param included */
    int rc = siphon_buf_append_c(out, u->scheme == SIPHON_URI_SIPS ? "sips:" : "sip:");
    if (rc == 0 && u->has_user) {
        rc = put_userinfo(out, u->user);
        if (rc == 0 && u->has_password) {
            rc = siphon_buf_append(out, ":", 1);
            if (rc == 0)
                rc = put_userinfo(out, u->password);
        }
        if (rc == 0)
            rc = siphon_buf_append(out, "@", 1);
    }
    for (size_t i = 0; rc == 0 && i < u->host.len; i++) {
        char c = u->host.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        rc = siphon_buf_append(out, &c, 1);
    }
    /* sip:h and sip:h:5060 are different URIs (§19.1.4), so different AORs */
    if (rc == 0 && u->has_port) {
        rc = siphon_buf_append(out, ":", 1);
        if (rc == 0)
            rc = siphon_buf_append_uint(out, u->port, 1);
    }
    return rc;
}

int siphon_reg_aor_key(const siphon_uri *uri, siphon_buf *out)
{
    if (!out)
        return SIPHON_EINVAL;
    return reg_key_of(uri, out);
}

/* ---- AORs ----------------------------------------------------------------- */

static uint64_t hash_key(siphon_str k)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < k.len; i++)
        h = (h ^ (unsigned char)k.p[i]) * 1099511628211ull;
    return h;
}

raor *reg_aor_find(const siphon_reg *r, siphon_str key)
{
    uint64_t h = hash_key(key);
    for (raor *a = r->buckets[h & (r->nbuckets - 1)]; a; a = a->next)
        if (a->hash == h && siphon_str_eq(a->key, key))
            return a;
    return NULL;
}

static void rehash(siphon_reg *r)
{
    size_t nb = r->nbuckets * 2;
    raor **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < r->nbuckets; i++) {
        raor *a = r->buckets[i];
        while (a) {
            raor *next = a->next;
            a->next = b[a->hash & (nb - 1)];
            b[a->hash & (nb - 1)] = a;
            a = next;
        }
    }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = nb;
}

raor *reg_aor_get(siphon_reg *r, siphon_str key)
{
    raor *a = reg_aor_find(r, key);
    if (a)
        return a;
    a = calloc(1, sizeof *a + key.len + 1);
    if (!a)
        return NULL;
    char *k = (char *)(a + 1);
    if (key.len)
        memcpy(k, key.p, key.len);
    a->key = siphon_str_make(k, key.len);
    a->hash = hash_key(key);
    if (r->naors >= r->nbuckets)
        rehash(r);
    raor **slot = &r->buckets[a->hash & (r->nbuckets - 1)];
    a->next = *slot;
    *slot = a;
    r->naors++;
    return a;
}

void reg_aor_release(siphon_reg *r, raor *a)
{
    if (!a || a->n)
        return;
    raor **pp = &r->buckets[a->hash & (r->nbuckets - 1)];
    while (*pp && *pp != a)
        pp = &(*pp)->next;
    if (*pp)
        *pp = a->next;
    free(a->b);
    free(a);
    r->naors--;
}

/* ---- bindings ------------------------------------------------------------- */

static size_t al8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static siphon_str put(char **at, siphon_str s)
{
    if (!s.len)
        return siphon_str_make("", 0);
    char *d = *at;
    memcpy(d, s.p, s.len);
    *at += s.len;
    return siphon_str_make(d, s.len);
}

static bool skip_param(const siphon_param *p)
{
    /* the registrar decides the interval and writes it itself (§10.3
     * step 8), so a stored "expires" would only go stale */
    return siphon_str_caseeq_c(p->name, "expires");
}

rbind *reg_bind_new(siphon_reg *r, const bind_spec *s)
{
    size_t np = 0, text = s->aor.len + s->contact.len + s->display.len +
                          s->call_id.len + s->instance.len + s->source.len;
    for (size_t i = 0; s->params && i < s->params->n; i++) {
        if (skip_param(&s->params->v[i]))
            continue;
        np++;
        text += s->params->v[i].name.len + s->params->v[i].value.len;
    }
    for (size_t i = 0; i < s->npath; i++)
        text += s->path[i].len;
    size_t size = al8(sizeof(rbind)) + np * sizeof(siphon_param) +
                  s->npath * sizeof(siphon_str) + text;
    rbind *b = calloc(1, size);
    if (!b)
        return NULL;
    siphon_param *pv = (siphon_param *)((char *)b + al8(sizeof(rbind)));
    siphon_str *path = (siphon_str *)(pv + np);
    char *at = (char *)(path + s->npath);
    siphon_reg_binding *p = &b->pub;
    p->aor = put(&at, s->aor);
    p->contact = put(&at, s->contact);
    p->display = put(&at, s->display);
    p->call_id = put(&at, s->call_id);
    p->instance = put(&at, s->instance);
    p->source = put(&at, s->source);
    size_t k = 0;
    for (size_t i = 0; s->params && i < s->params->n; i++) {
        const siphon_param *src = &s->params->v[i];
        if (skip_param(src))
            continue;
        pv[k].name = put(&at, src->name);
        pv[k].value = put(&at, src->value);
        pv[k].has_value = src->has_value;
        k++;
    }
    p->params.v = np ? pv : NULL;
    p->params.n = np;
    for (size_t i = 0; i < s->npath; i++)
        path[i] = put(&at, s->path[i]);
    p->path = s->npath ? path : NULL;
    p->npath = s->npath;
    p->q = s->has_q ? s->q : 1000;
    p->has_q = s->has_q;
    p->expires_s = s->expires_s;
    p->expires_at = s->expires_at;
    p->updated_at = s->updated_at;
    p->cseq = s->cseq;
    p->reg_id = s->has_reg_id ? s->reg_id : 0;
    p->has_reg_id = s->has_reg_id;
    b->serial = ++r->serial;
    b->heap_idx = SIZE_MAX;
    return b;
}

void reg_bind_free(rbind *b)
{
    free(b);
}

/* ---- the deadline heap ------------------------------------------------------ */

static bool earlier(const rbind *a, const rbind *b)
{
    if (a->pub.expires_at != b->pub.expires_at)
        return a->pub.expires_at < b->pub.expires_at;
    return a->serial < b->serial;
}

static void heap_set(siphon_reg *r, size_t i, rbind *b)
{
    r->heap[i] = b;
    b->heap_idx = i;
}

static void sift_up(siphon_reg *r, size_t i)
{
    rbind *b = r->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(b, r->heap[parent]))
            break;
        heap_set(r, i, r->heap[parent]);
        i = parent;
    }
    heap_set(r, i, b);
}

static void sift_down(siphon_reg *r, size_t i)
{
    rbind *b = r->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= r->nheap)
            break;
        if (c + 1 < r->nheap && earlier(r->heap[c + 1], r->heap[c]))
            c++;
        if (!earlier(r->heap[c], b))
            break;
        heap_set(r, i, r->heap[c]);
        i = c;
    }
    heap_set(r, i, b);
}

/* Restore the heap after the entry at i changed its deadline. */
static void heap_fix(siphon_reg *r, size_t i)
{
    rbind *b = r->heap[i];
    sift_up(r, i);
    sift_down(r, b->heap_idx);
}

static void heap_remove(siphon_reg *r, rbind *b)
{
    size_t i = b->heap_idx;
    r->nheap--;
    if (i != r->nheap) {
        heap_set(r, i, r->heap[r->nheap]);
        heap_fix(r, i);
    }
    b->heap_idx = SIZE_MAX;
}

int reg_reserve(siphon_reg *r, raor *a, size_t nadd)
{
    if (a && a->n + nadd > a->cap) {
        size_t cap = a->cap ? a->cap : 4;
        while (cap < a->n + nadd)
            cap *= 2;
        rbind **v = realloc(a->b, cap * sizeof *v);
        if (!v)
            return SIPHON_ENOMEM;
        a->b = v;
        a->cap = cap;
    }
    if (r->nheap + nadd > r->capheap) {
        size_t cap = r->capheap ? r->capheap : 64;
        while (cap < r->nheap + nadd)
            cap *= 2;
        rbind **v = realloc(r->heap, cap * sizeof *v);
        if (!v)
            return SIPHON_ENOMEM;
        r->heap = v;
        r->capheap = cap;
    }
    return 0;
}

void reg_insert(siphon_reg *r, raor *a, rbind *b)
{
    b->aor = a;
    a->b[a->n++] = b;
    heap_set(r, r->nheap++, b);
    sift_up(r, b->heap_idx);
}

void reg_replace(siphon_reg *r, rbind *old, rbind *b)
{
    raor *a = old->aor;
    b->aor = a;
    for (size_t i = 0; i < a->n; i++)
        if (a->b[i] == old)
            a->b[i] = b;
    heap_set(r, old->heap_idx, b);
    heap_fix(r, b->heap_idx);
    reg_bind_free(old);
}

void reg_unlink(siphon_reg *r, rbind *b)
{
    raor *a = b->aor;
    for (size_t i = 0; i < a->n; i++) {
        if (a->b[i] == b) {
            /* keep the order: the 200 lists bindings sorted anyway, but a
             * stable array keeps "most recent" ties deterministic */
            memmove(&a->b[i], &a->b[i + 1], (a->n - i - 1) * sizeof *a->b);
            a->n--;
            break;
        }
    }
    heap_remove(r, b);
}

/* ---- events --------------------------------------------------------------- */

const char *siphon_reg_event_name(siphon_reg_event_type t)
{
    switch (t) {
    case SIPHON_REG_EV_ADDED: return "ADDED";
    case SIPHON_REG_EV_REFRESHED: return "REFRESHED";
    case SIPHON_REG_EV_REMOVED: return "REMOVED";
    case SIPHON_REG_EV_EXPIRED: return "EXPIRED";
    }
    return "UNKNOWN";
}

void reg_event(siphon_reg *r, siphon_reg_event_type t, const rbind *b)
{
    if (!r->cfg.max_events)
        return;
    if (r->nevents >= r->cfg.max_events) {
        r->dropped++;
        return;
    }
    const siphon_reg_binding *p = &b->pub;
    revent *e = malloc(sizeof *e + p->aor.len + p->contact.len + p->instance.len);
    if (!e) {
        r->dropped++;
        return;
    }
    char *at = (char *)(e + 1);
    e->next = NULL;
    e->ev.type = t;
    e->ev.aor = put(&at, p->aor);
    e->ev.contact = put(&at, p->contact);
    e->ev.instance = put(&at, p->instance);
    e->ev.reg_id = p->reg_id;
    e->ev.has_reg_id = p->has_reg_id;
    e->ev.expires_at = p->expires_at;
    if (r->qtail)
        r->qtail->next = e;
    else
        r->qhead = e;
    r->qtail = e;
    r->nevents++;
}

bool siphon_reg_poll(siphon_reg *r, siphon_reg_event *ev)
{
    if (!r || !ev)
        return false;
    free(r->polled);
    r->polled = NULL;
    revent *e = r->qhead;
    if (!e)
        return false;
    r->qhead = e->next;
    if (!r->qhead)
        r->qtail = NULL;
    r->nevents--;
    r->polled = e;
    *ev = e->ev;
    return true;
}

size_t siphon_reg_events_dropped(const siphon_reg *r)
{
    return r ? r->dropped : 0;
}

/* ---- time ----------------------------------------------------------------- */

uint64_t siphon_reg_next_deadline(const siphon_reg *r)
{
    return r && r->nheap ? r->heap[0]->pub.expires_at : UINT64_MAX;
}

size_t siphon_reg_tick(siphon_reg *r, uint64_t now_ms)
{
    size_t n = 0;
    while (r && r->nheap && r->heap[0]->pub.expires_at <= now_ms) {
        rbind *b = r->heap[0];
        raor *a = b->aor;
        reg_event(r, SIPHON_REG_EV_EXPIRED, b);
        reg_unlink(r, b);
        reg_bind_free(b);
        reg_aor_release(r, a);
        n++;
    }
    return n;
}

/* ---- queries -------------------------------------------------------------- */

static int by_preference(const void *x, const void *y)
{
    const siphon_reg_binding *a = *(const siphon_reg_binding *const *)x;
    const siphon_reg_binding *b = *(const siphon_reg_binding *const *)y;
    if (a->q != b->q)
        return a->q > b->q ? -1 : 1;
    if (a->updated_at != b->updated_at)
        return a->updated_at > b->updated_at ? -1 : 1;
    /* pub is the first member of rbind */
    uint64_t sa = ((const rbind *)a)->serial, sb = ((const rbind *)b)->serial;
    return sa > sb ? -1 : sa < sb;
}

void reg_sort(const siphon_reg_binding **v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, by_preference);
}

long siphon_reg_lookup_uri(siphon_reg *r, const siphon_uri *aor,
                           uint64_t now_ms, const siphon_reg_binding **out,
                           size_t max)
{
    if (!r || !aor || (max && !out))
        return SIPHON_EINVAL;
    char mem[256];
    siphon_buf key;
    siphon_buf_init_with(&key, mem, sizeof mem, 0);
    int rc = reg_key_of(aor, &key);
    if (rc) {
        siphon_buf_free(&key);
        return rc;
    }
    raor *a = reg_aor_find(r, siphon_str_make(key.p, key.len));
    siphon_buf_free(&key);
    if (!a)
        return 0;
    const siphon_reg_binding *live[REG_MAX_PER_AOR_CAP];
    size_t n = 0;
    for (size_t i = 0; i < a->n && n < REG_MAX_PER_AOR_CAP; i++)
        if (a->b[i]->pub.expires_at > now_ms)
            live[n++] = &a->b[i]->pub;
    reg_sort(live, n);
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = live[i];
    return (long)n;
}

long siphon_reg_lookup(siphon_reg *r, siphon_str aor_uri, uint64_t now_ms,
                       const siphon_reg_binding **out, size_t max)
{
    if (!r || (aor_uri.len && !aor_uri.p))
        return SIPHON_EINVAL;
    char mem[512];
    siphon_arena arena;
    siphon_arena_init(&arena, mem, sizeof mem);
    siphon_uri u;
    int rc = siphon_uri_parse(&arena, aor_uri.p, aor_uri.len, &u, NULL);
    long n = rc ? rc : siphon_reg_lookup_uri(r, &u, now_ms, out, max);
    siphon_arena_free(&arena);
    return n;
}

int siphon_reg_foreach(siphon_reg *r, siphon_reg_visit_fn *fn, void *arg)
{
    if (!r || !fn)
        return SIPHON_EINVAL;
    for (size_t i = 0; i < r->nbuckets; i++)
        for (raor *a = r->buckets[i]; a; a = a->next)
            for (size_t j = 0; j < a->n; j++) {
                int rc = fn(arg, &a->b[j]->pub);
                if (rc)
                    return rc;
            }
    return 0;
}

long siphon_reg_remove_aor(siphon_reg *r, siphon_str aor_uri)
{
    if (!r || (aor_uri.len && !aor_uri.p))
        return SIPHON_EINVAL;
    char mem[512];
    siphon_arena arena;
    siphon_arena_init(&arena, mem, sizeof mem);
    siphon_uri u;
    siphon_buf key;
    siphon_buf_init(&key, 0);
    int rc = siphon_uri_parse(&arena, aor_uri.p, aor_uri.len, &u, NULL);
    if (rc == 0)
        rc = reg_key_of(&u, &key);
    long n = rc;
    if (rc == 0) {
        raor *a = reg_aor_find(r, siphon_str_make(key.p, key.len));
        n = 0;
        while (a && a->n) {
            rbind *b = a->b[a->n - 1];
            reg_event(r, SIPHON_REG_EV_REMOVED, b);
            reg_unlink(r, b);
            reg_bind_free(b);
            n++;
        }
        reg_aor_release(r, a);
    }
    siphon_buf_free(&key);
    siphon_arena_free(&arena);
    return n;
}
