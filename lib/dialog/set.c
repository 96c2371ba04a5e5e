/*
 * set.c -- the dialog set's machinery: configuration, the hash index by
 * dialog ID (RFC 3261 §12), the event queue, the 2xx retransmission
 * timers of §13.3.1.4, dialog lifetime, and the tokens the injected RNG
 * makes (tags §19.3, Call-IDs §8.1.1.4, branches §8.1.1.7).
 *
 * Nothing here reads a clock: deadlines are absolute times in the
 * caller's millisecond scale, and siphon_dialog_tick() fires what is due.
 */
#include "dialog_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------- */

const char *siphon_dialog_state_name(siphon_dialog_state st)
{
    static const char *const n[] = {"EARLY", "CONFIRMED", "TERMINATED"};
    return (unsigned)st < 3 ? n[st] : "?";
}

const char *siphon_dialog_role_name(siphon_dialog_role r)
{
    static const char *const n[] = {"UAC", "UAS"};
    return (unsigned)r < 2 ? n[r] : "?";
}

const char *siphon_dialog_reason_name(siphon_dialog_reason r)
{
    static const char *const n[] = {"NONE",        "BYE_SENT", "BYE_RECEIVED",
                                    "REJECTED",    "UNCONFIRMED", "NO_ACK",
                                    "TIMEOUT",     "GONE",     "LOCAL"};
    return (unsigned)r < 9 ? n[r] : "?";
}

const char *siphon_dialog_event_name(siphon_dialog_event_type t)
{
    static const char *const n[] = {"SEND", "CREATED", "STATE", "NO_ACK",
                                    "TERMINATED"};
    return (unsigned)t < 5 ? n[t] : "?";
}

/* ---- strings ----------------------------------------------------------- */

int dstr_set(dstr *d, siphon_str v)
{
    char *p = malloc(v.len + 1);
    if (!p)
        return SIPHON_ENOMEM;
    if (v.len)
        memcpy(p, v.p, v.len);
    p[v.len] = '\0';
    free(d->p);
    d->p = p;
    d->len = v.len;
    return 0;
}

int dstr_set_line(dstr *d, siphon_str v)
{
    int rc = dstr_set(d, v);
    for (size_t i = 0; rc == 0 && i < d->len; i++)
        if (d->p[i] == '\r' || d->p[i] == '\n')
            d->p[i] = ' ';
    return rc;
}

void dstr_free(dstr *d)
{
    free(d->p);
    d->p = NULL;
    d->len = 0;
}

void droutes_free(droute *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dstr_free(&r[i].value);
        dstr_free(&r[i].uri);
    }
    free(r);
}

void dlg_free(siphon_dialog *d)
{
    if (!d)
        return;
    dstr_free(&d->call_id);
    dstr_free(&d->local_tag);
    dstr_free(&d->remote_tag);
    dstr_free(&d->local_hdr);
    dstr_free(&d->remote_hdr);
    dstr_free(&d->local_contact);
    dstr_free(&d->remote_target);
    droutes_free(d->routes, d->nroutes);
    siphon_msg_unref(d->ack);
    siphon_msg_unref(d->retx);
    free(d);
}

/* ---- the set ----------------------------------------------------------- */

siphon_dialog_set *siphon_dialog_set_new(const siphon_dialog_config *cfg)
{
    siphon_dialog_set *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    siphon_dialog_config def = SIPHON_DIALOG_CONFIG_DEFAULT;
    s->cfg = cfg ? *cfg : def;
    /* A zero T1 would retransmit a 2xx forever at one instant. */
    if (!s->cfg.t1_ms)
        s->cfg.t1_ms = def.t1_ms;
    if (!s->cfg.t2_ms)
        s->cfg.t2_ms = def.t2_ms;
    if (s->cfg.t2_ms < s->cfg.t1_ms)
        s->cfg.t2_ms = s->cfg.t1_ms;
    if (!s->cfg.max_dialogs)
        s->cfg.max_dialogs = def.max_dialogs;
    if (!s->cfg.max_routes)
        s->cfg.max_routes = def.max_routes;
    s->rng_state = 0x5170686f6e646c67u; /* "siphondlg" */
    s->nbuckets = 64;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    if (!s->buckets) {
        free(s);
        return NULL;
    }
    return s;
}

void siphon_dialog_set_free(siphon_dialog_set *s)
{
    if (!s)
        return;
    /* Terminated dialogs live on only through their queued TERMINATED
     * event (and the zombie slot). */
    for (size_t i = 0; i < s->evlen; i++) {
        siphon_dialog_event *ev = &s->evq[(s->evhead + i) % s->evcap];
        siphon_msg_unref(ev->msg);
        if (ev->type == SIPHON_DIALOG_EV_TERMINATED)
            dlg_free(ev->dialog);
    }
    dlg_free(s->zombie);
    siphon_dialog *d = s->list;
    while (d) {
        siphon_dialog *next = d->next;
        dlg_free(d);
        d = next;
    }
    free(s->buckets);
    free(s->heap);
    free(s->evq);
    free(s);
}

size_t siphon_dialog_count(const siphon_dialog_set *s)
{
    return s ? s->count : 0;
}

/* ---- randomness -------------------------------------------------------- */

uint32_t dlg_rand(siphon_dialog_set *s)
{
    if (s->cfg.rng)
        return s->cfg.rng(s->cfg.rng_arg);
    /* splitmix64: deterministic, so that tests and fuzzing reproduce. */
    uint64_t z = (s->rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return (uint32_t)((z ^ (z >> 31)) >> 16);
}

int siphon_dialog_new_token(siphon_dialog_set *s, siphon_dialog_token kind,
                            char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const char *prefix;
    size_t words;
    if (!s || !buf)
        return SIPHON_EINVAL;
    switch (kind) {
    case SIPHON_DIALOG_TOKEN_TAG:
        prefix = "";
        words = 2;
        break;
    case SIPHON_DIALOG_TOKEN_CALL_ID:
        prefix = "";
        words = 4;
        break;
    case SIPHON_DIALOG_TOKEN_BRANCH:
        prefix = "z9hG4bK"; /* §8.1.1.7 magic cookie */
        words = 2;
        break;
    default:
        return SIPHON_EINVAL;
    }
    size_t plen = strlen(prefix), n = plen + words * 8;
    if (cap < n + 1)
        return SIPHON_ETOOBIG;
    memcpy(buf, prefix, plen);
    char *p = buf + plen;
    for (size_t w = 0; w < words; w++) {
        uint32_t r = dlg_rand(s);
        for (int k = 7; k >= 0; k--) {
            p[k] = hex[r & 15];
            r >>= 4;
        }
        p += 8;
    }
    *p = '\0';
    return (int)n;
}

/* ---- hash index -------------------------------------------------------- */

static uint32_t fnv(uint32_t h, siphon_str v)
{
    for (size_t i = 0; i < v.len; i++)
        h = (h ^ (unsigned char)v.p[i]) * 16777619u;
    return (h ^ 0xff) * 16777619u; /* a separator: "ab"+"c" != "a"+"bc" */
}

uint32_t dlg_hash(siphon_str call_id, siphon_str ltag, siphon_str rtag)
{
    return fnv(fnv(fnv(2166136261u, call_id), ltag), rtag);
}

/* Call-IDs compare byte for byte (§8.1.1.4 "case-sensitive"); tags are
 * opaque tokens compared the same way (§19.3). */
siphon_dialog *dlg_lookup(siphon_dialog_set *s, siphon_str call_id,
                          siphon_str ltag, siphon_str rtag)
{
    uint32_t h = dlg_hash(call_id, ltag, rtag);
    for (siphon_dialog *d = s->buckets[h & (s->nbuckets - 1)]; d;
         d = d->hnext)
        if (d->hash == h && siphon_str_eq(dstr_view(&d->call_id), call_id) &&
            siphon_str_eq(dstr_view(&d->local_tag), ltag) &&
            siphon_str_eq(dstr_view(&d->remote_tag), rtag))
            return d;
    return NULL;
}

siphon_dialog *siphon_dialog_find(siphon_dialog_set *s, siphon_str call_id,
                                  siphon_str local_tag, siphon_str remote_tag)
{
    return s ? dlg_lookup(s, call_id, local_tag, remote_tag) : NULL;
}

/* Keep the load factor at most 1 so that lookups stay O(1). */
int dlg_grow(siphon_dialog_set *s)
{
    if (s->count < s->nbuckets)
        return 0;
    size_t n = s->nbuckets * 2;
    siphon_dialog **b = calloc(n, sizeof *b);
    if (!b)
        return SIPHON_ENOMEM;
    for (size_t i = 0; i < s->nbuckets; i++) {
        siphon_dialog *d = s->buckets[i];
        while (d) {
            siphon_dialog *next = d->hnext;
            d->hnext = b[d->hash & (n - 1)];
            b[d->hash & (n - 1)] = d;
            d = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
    return 0;
}

void dlg_insert(siphon_dialog_set *s, siphon_dialog *d)
{
    d->hash = dlg_hash(dstr_view(&d->call_id), dstr_view(&d->local_tag),
                       dstr_view(&d->remote_tag));
    siphon_dialog **b = &s->buckets[d->hash & (s->nbuckets - 1)];
    d->hnext = *b;
    *b = d;
    d->prev = NULL;
    d->next = s->list;
    if (s->list)
        s->list->prev = d;
    s->list = d;
    s->count++;
}

static void dlg_unlink(siphon_dialog_set *s, siphon_dialog *d)
{
    siphon_dialog **pp = &s->buckets[d->hash & (s->nbuckets - 1)];
    while (*pp && *pp != d)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = d->hnext;
    if (d->prev)
        d->prev->next = d->next;
    else
        s->list = d->next;
    if (d->next)
        d->next->prev = d->prev;
    d->prev = d->next = d->hnext = NULL;
    s->count--;
}

/* ---- events ------------------------------------------------------------ */

/* The most events one step queues: CREATED, STATE, NO_ACK, SEND, SEND,
 * TERMINATED -- or one TERMINATED per early dialog that a rejection ends,
 * which reserves per dialog (see dlg_terminate's callers). */
enum { EV_RESERVE = 8 };

int dlg_reserve_n(siphon_dialog_set *s, size_t k)
{
    while (s->evcap - s->evlen < k + EV_RESERVE) {
        size_t ncap = s->evcap ? s->evcap * 2 : 16;
        siphon_dialog_event *q = malloc(ncap * sizeof *q);
        if (!q)
            return SIPHON_ENOMEM;
        /* Unwrap the ring into the new array. */
        for (size_t i = 0; i < s->evlen; i++)
            q[i] = s->evq[(s->evhead + i) % s->evcap];
        free(s->evq);
        s->evq = q;
        s->evcap = ncap;
        s->evhead = 0;
    }
    return 0;
}

int dlg_reserve(siphon_dialog_set *s)
{
    return dlg_reserve_n(s, 0);
}

void dlg_emit(siphon_dialog_set *s, siphon_dialog_event_type type,
              siphon_dialog *d, siphon_msg *msg, siphon_str next_hop)
{
    /* dlg_reserve() made room before the step began; running past it is
     * a bug in this module, not something input can cause. */
    if (s->evlen == s->evcap)
        return;
    siphon_dialog_event *ev = &s->evq[(s->evhead + s->evlen) % s->evcap];
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->dialog = d;
    ev->msg = msg ? siphon_msg_ref(msg) : NULL;
    ev->next_hop = next_hop;
    ev->state = (siphon_dialog_state)d->state;
    ev->prev = (siphon_dialog_state)d->state;
    ev->reason = (siphon_dialog_reason)d->reason;
    ev->user = d->user;
    s->evlen++;
}

bool siphon_dialog_poll(siphon_dialog_set *s, siphon_dialog_event *ev)
{
    if (!s || !ev)
        return false;
    if (s->zombie) {
        dlg_free(s->zombie);
        s->zombie = NULL;
    }
    if (s->evlen == 0)
        return false;
    *ev = s->evq[s->evhead];
    s->evhead = (s->evhead + 1) % s->evcap;
    s->evlen--;
    if (ev->type == SIPHON_DIALOG_EV_TERMINATED)
        s->zombie = ev->dialog;
    return true;
}

void dlg_terminate(siphon_dialog_set *s, siphon_dialog *d,
                   siphon_dialog_reason reason)
{
    if (d->state == SIPHON_DIALOG_TERMINATED)
        return;
    dlg_timer_stop(s, d);
    dlg_unlink(s, d);
    d->state = SIPHON_DIALOG_TERMINATED;
    d->reason = (uint8_t)reason;
    /* The stored ACK and 2xx are of no use any more; drop them now
     * rather than when the zombie goes. */
    siphon_msg_unref(d->ack);
    d->ack = NULL;
    siphon_msg_unref(d->retx);
    d->retx = NULL;
    dlg_emit(s, SIPHON_DIALOG_EV_TERMINATED, d, NULL, SIPHON_STR_NULL);
}

/* ---- timers (§13.3.1.4) ------------------------------------------------ */

/* A dialog's next timer: its next 2xx retransmission or the 64*T1 end. */
static uint64_t dlg_deadline(const siphon_dialog *d)
{
    return d->retx_at < d->retx_end ? d->retx_at : d->retx_end;
}

/* Earliest deadline first; ties in the order they were armed. */
static bool heap_less(const siphon_dialog *a, const siphon_dialog *b)
{
    uint64_t x = dlg_deadline(a), y = dlg_deadline(b);
    return x < y || (x == y && a->tseq < b->tseq);
}

static void heap_put(siphon_dialog_set *s, size_t i, siphon_dialog *d)
{
    s->heap[i] = d;
    d->heap_idx = (uint32_t)i;
}

static void sift_up(siphon_dialog_set *s, size_t i)
{
    siphon_dialog *d = s->heap[i];
    while (i > 0 && heap_less(d, s->heap[(i - 1) / 2])) {
        heap_put(s, i, s->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_put(s, i, d);
}

static void sift_down(siphon_dialog_set *s, size_t i)
{
    siphon_dialog *d = s->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && heap_less(s->heap[c + 1], s->heap[c]))
            c++;
        if (!heap_less(s->heap[c], d))
            break;
        heap_put(s, i, s->heap[c]);
        i = c;
    }
    heap_put(s, i, d);
}

int dlg_timer_reserve(siphon_dialog_set *s)
{
    if (s->nheap < s->capheap)
        return 0;
    size_t ncap = s->capheap ? s->capheap * 2 : 16;
    siphon_dialog **h = realloc(s->heap, ncap * sizeof *h);
    if (!h)
        return SIPHON_ENOMEM;
    s->heap = h;
    s->capheap = ncap;
    return 0;
}

void dlg_timer_start(siphon_dialog_set *s, siphon_dialog *d)
{
    d->tseq = ++s->tseq;
    if (d->timer_on) {
        /* A new 2xx replaced the old one: its deadline moved. */
        sift_up(s, d->heap_idx);
        sift_down(s, d->heap_idx);
        return;
    }
    /* dlg_timer_reserve() made room before the step began. */
    if (s->nheap == s->capheap)
        return;
    d->timer_on = true;
    heap_put(s, s->nheap++, d);
    sift_up(s, d->heap_idx);
}

void dlg_timer_stop(siphon_dialog_set *s, siphon_dialog *d)
{
    if (!d->timer_on)
        return;
    size_t i = d->heap_idx;
    siphon_dialog *last = s->heap[--s->nheap];
    if (i < s->nheap) {
        heap_put(s, i, last);
        sift_up(s, i);
        sift_down(s, last->heap_idx);
    }
    d->timer_on = false;
}

uint64_t siphon_dialog_next_deadline(const siphon_dialog_set *s)
{
    return s && s->nheap ? dlg_deadline(s->heap[0]) : UINT64_MAX;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* One timer of d at its deadline: §13.3.1.4 retransmission or give-up. */
static void dlg_fire(siphon_dialog_set *s, siphon_dialog *d)
{
    if (d->retx_end <= d->retx_at) {
        /* "If the server retransmits the 2xx response for 64*T1 seconds
         * without receiving an ACK, the dialog is confirmed, but the
         * session SHOULD be terminated. This is accomplished with a BYE" */
        dlg_timer_stop(s, d);
        dlg_no_ack(s, d);
        return;
    }
    dlg_emit(s, SIPHON_DIALOG_EV_SEND, d, d->retx, SIPHON_STR_NULL);
    /* "an interval that starts at T1 seconds and doubles for each
     * retransmission until it reaches T2 seconds" */
    uint64_t next = (uint64_t)d->retx_ms * 2;
    d->retx_ms = next < s->cfg.t2_ms ? (uint32_t)next : s->cfg.t2_ms;
    d->retx_at = add_sat(d->retx_at, d->retx_ms);
    sift_down(s, d->heap_idx);
}

int siphon_dialog_tick(siphon_dialog_set *s, uint64_t now_ms)
{
    if (!s)
        return SIPHON_EINVAL;
    int fired = 0;
    while (s->nheap && dlg_deadline(s->heap[0]) <= now_ms) {
        if (dlg_reserve(s) < 0)
            return SIPHON_ENOMEM;
        dlg_fire(s, s->heap[0]);
        fired++;
    }
    return fired;
}
