/*
 * resolve_io.c -- the resolver's edge: c-ares bound to the siphon loop,
 * and the cache of raw answers.
 *
 * c-ares runs without threads or blocking: ARES_OPT_SOCK_STATE_CB says
 * which of its sockets want reading or writing, we watch exactly those
 * with siphon_loop_watch() and hand events to ares_process_fd(); one loop
 * timer, re-armed to ares_timeout(), drives its retransmissions and
 * timeouts (c-ares' own retry schedule, RFC 1035 §4.2.1 over UDP with
 * TCP fallback for truncated answers). c-ares measures those deadlines
 * in real time; the loop timer only tells it when to look. Under a
 * virtual clock a DNS timeout is therefore reported once both the
 * virtual timer has fired and the real deadline has passed.
 *
 * The cache keeps raw answers for their smallest TTL (RFC 1035 §3.2.1,
 * RFC 2181 §8) measured on the loop clock, so a virtual clock expires
 * them as it does every other deadline.
 */
#include "resolve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* xorshift64*: good enough to spread SRV load; not for secrets. */
static uint32_t default_rng(void *arg)
{
    uint64_t *s = arg;
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (uint32_t)((*s * 2685821657736338717ULL) >> 32);
}

/* ---- c-ares <-> loop ---------------------------------------------------- */

static void on_timer(siphon_loop *loop, uint64_t id, void *arg);

void resolve_arm_timer(siphon_resolver *r)
{
    struct timeval tv, *t;
    if (r->timer) {
        siphon_loop_timer_cancel(r->loop, r->timer);
        r->timer = 0;
    }
    if (r->freeing || !(t = ares_timeout(r->ch, NULL, &tv)))
        return;
    /* Round up: a timer that fires a little before c-ares' deadline
     * would find nothing to do and re-arm for 0 ms again and again. */
    uint64_t ms = (uint64_t)t->tv_sec * 1000 +
                  ((uint64_t)t->tv_usec + 999) / 1000;
    if (ms == 0)
        ms = 1;
    siphon_loop_timer_add(r->loop, siphon_loop_now(r->loop) + ms, on_timer, r,
                          &r->timer);
}

static void on_timer(siphon_loop *loop, uint64_t id, void *arg)
{
    siphon_resolver *r = arg;
    r->timer = 0;
    ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    resolve_arm_timer(r);
}

static void on_fd(siphon_loop *loop, siphon_watch *w, int fd,
                  unsigned revents, void *arg)
{
    siphon_resolver *r = arg;
    /* Errors and hang-ups are read events for c-ares: the read fails and
     * it moves the query to the next server. */
    ares_socket_t rfd = revents & (SIPHON_LOOP_IN | SIPHON_LOOP_ERR |
                                   SIPHON_LOOP_HUP) ? fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = revents & SIPHON_LOOP_OUT ? fd : ARES_SOCKET_BAD;
    ares_process_fd(r->ch, rfd, wfd);
    resolve_arm_timer(r);
}

static void sock_state(void *data, ares_socket_t fd, int readable,
                       int writable)
{
    siphon_resolver *r = data;
    size_t i = 0;
    while (i < r->nsocks && r->socks[i].fd != fd)
        i++;
    unsigned ev = (readable ? SIPHON_LOOP_IN : 0) |
                  (writable ? SIPHON_LOOP_OUT : 0);
    if (!ev) { /* c-ares is about to close it */
        if (i < r->nsocks) {
            siphon_loop_unwatch(r->loop, r->socks[i].w);
            r->socks[i] = r->socks[--r->nsocks];
        }
        return;
    }
    if (i < r->nsocks) {
        siphon_loop_watch_modify(r->loop, r->socks[i].w, ev);
        return;
    }
    if (r->nsocks == r->capsocks) {
        size_t cap = r->capsocks ? r->capsocks * 2 : 4;
        sockw *n = realloc(r->socks, cap * sizeof *n);
        if (!n) { /* the query will time out; nothing better to do */
            siphon_log(SIPHON_LOG_ERROR, "dns", "no memory to watch fd %d",
                       fd);
            return;
        }
        r->socks = n;
        r->capsocks = cap;
    }
    siphon_watch *w;
    if (siphon_loop_watch(r->loop, fd, ev, on_fd, r, &w) < 0) {
        siphon_log(SIPHON_LOG_ERROR, "dns", "cannot watch fd %d", fd);
        return;
    }
    r->socks[r->nsocks].fd = fd;
    r->socks[r->nsocks++].w = w;
}

/* ---- cache (raw answers, keyed by lower-case name and type) ------------- */

static void cache_drop(siphon_resolver *r, size_t i)
{
    free(r->cache[i].buf);
    r->cache[i] = r->cache[--r->ncache];
}

const cache_entry *resolve_cache_get(siphon_resolver *r, const char *key,
                                     uint16_t type, uint64_t now)
{
    for (size_t i = 0; i < r->ncache; i++) {
        cache_entry *e = &r->cache[i];
        if (e->type != type || strcmp(e->key, key) != 0)
            continue;
        if (e->expires_ms <= now) {
            cache_drop(r, i);
            return NULL;
        }
        return e;
    }
    return NULL;
}

void resolve_cache_put(siphon_resolver *r, const char *key, uint16_t type,
                       const uint8_t *buf, int len, uint32_t ttl)
{
    if (r->cfg.no_cache || ttl == 0 || len <= 0)
        return;
    uint64_t now = siphon_loop_now(r->loop);
    for (size_t i = 0; i < r->ncache;) { /* replace, and sweep the dead */
        cache_entry *e = &r->cache[i];
        if (e->expires_ms <= now || (e->type == type && !strcmp(e->key, key)))
            cache_drop(r, i);
        else
            i++;
    }
    if (r->ncache == r->cfg.cache_max) { /* evict the soonest to expire */
        size_t v = 0;
        for (size_t i = 1; i < r->ncache; i++)
            if (r->cache[i].expires_ms < r->cache[v].expires_ms)
                v = i;
        cache_drop(r, v);
    }
    uint8_t *copy = malloc((size_t)len);
    if (!copy)
        return;
    memcpy(copy, buf, (size_t)len);
    cache_entry *e = &r->cache[r->ncache++];
    snprintf(e->key, sizeof e->key, "%s", key);
    e->type = type;
    e->buf = copy;
    e->len = len;
    e->expires_ms = now + (uint64_t)ttl * 1000;
}

void siphon_resolver_flush_cache(siphon_resolver *r)
{
    while (r && r->ncache)
        cache_drop(r, 0);
}


void siphon_resolver_config_default(siphon_resolver_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

int siphon_resolver_new(siphon_loop *loop, const siphon_resolver_config *cfg,
                        siphon_resolver **out)
{
    if (!loop || !out)
        return SIPHON_EINVAL;
    siphon_resolver *r = calloc(1, sizeof *r);
    if (!r)
        return SIPHON_ENOMEM;
    r->loop = loop;
    if (cfg)
        r->cfg = *cfg;
    if (!r->cfg.cache_max)
        r->cfg.cache_max = 256;
    r->cache = calloc(r->cfg.cache_max, sizeof *r->cache);
    if (!r->cache) {
        free(r);
        return SIPHON_ENOMEM;
    }
    if (!r->cfg.rng) {
        if (getrandom(&r->rng_state, sizeof r->rng_state, GRND_NONBLOCK) !=
            (ssize_t)sizeof r->rng_state)
            r->rng_state = (uint64_t)time(NULL) ^ (uintptr_t)r;
        r->rng_state |= 1; /* xorshift must not start at 0 */
        r->cfg.rng = default_rng;
        r->cfg.rng_arg = &r->rng_state;
    }
    int st = ares_library_init(ARES_LIB_INIT_ALL);
    if (st != ARES_SUCCESS) {
        siphon_log(SIPHON_LOG_ERROR, "dns", "ares_library_init: %s",
                   ares_strerror(st));
        free(r->cache);
        free(r);
        return SIPHON_EIO;
    }
    struct ares_options o;
    memset(&o, 0, sizeof o);
    int mask = ARES_OPT_SOCK_STATE_CB;
    o.sock_state_cb = sock_state;
    o.sock_state_cb_data = r;
    if (r->cfg.timeout_ms) {
        o.timeout = (int)r->cfg.timeout_ms;
        mask |= ARES_OPT_TIMEOUTMS;
    }
    if (r->cfg.tries) {
        o.tries = (int)r->cfg.tries;
        mask |= ARES_OPT_TRIES;
    }
    st = ares_init_options(&r->ch, &o, mask);
    if (st == ARES_SUCCESS && r->cfg.servers && r->cfg.servers[0]) {
        st = ares_set_servers_ports_csv(r->ch, r->cfg.servers);
        if (st != ARES_SUCCESS) {
            siphon_log(SIPHON_LOG_ERROR, "dns", "servers \"%s\": %s",
                       r->cfg.servers, ares_strerror(st));
            ares_destroy(r->ch);
            ares_library_cleanup();
            free(r->cache);
            free(r);
            return SIPHON_EINVAL;
        }
    } else if (st != ARES_SUCCESS) {
        siphon_log(SIPHON_LOG_ERROR, "dns", "ares_init_options: %s",
                   ares_strerror(st));
        ares_library_cleanup();
        free(r->cache);
        free(r);
        return SIPHON_EIO;
    }
    r->cfg.servers = NULL; /* not kept: the caller's string may go away */
    *out = r;
    return 0;
}


void resolve_io_release(siphon_resolver *r)
{
    for (size_t i = 0; i < r->nsocks; i++)
        siphon_loop_unwatch(r->loop, r->socks[i].w);
    free(r->socks);
    siphon_resolver_flush_cache(r);
    free(r->cache);
    ares_library_cleanup();
    free(r);
}
