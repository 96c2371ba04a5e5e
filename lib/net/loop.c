/*
 * loop.c -- the event loop: epoll(7) for fds, a min-heap for timers, an
 * injectable clock, and end-of-iteration hooks for batched output.
 *
 * See epoll_create1(2), epoll_ctl(2), epoll_wait(2), clock_gettime(2).
 *
 * The loop is built to be embedded. All fds sit in one epoll set, and an
 * epoll fd is itself pollable, so a host loop needs exactly one file
 * handler and one timer to drive everything (DESIGN.md, "Tcl binding").
 *
 * Re-entrancy: callbacks may add, modify and remove watches and timers,
 * including the watch being dispatched. epoll_wait hands back pointers to
 * watches, so a watch removed in the middle of a batch must not be freed
 * before the batch ends: removed watches go on a dead list, are skipped
 * by the rest of the batch, and are freed when the iteration ends.
 */
#include "net_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* Events taken from the kernel per epoll_wait; more wait for the next
 * iteration (level triggered, so nothing is lost). */
#define LOOP_MAX_EVENTS 64
/* FD_SETSIZE of a select(2)-based host notifier (Tcl 8.6 on Debian). */
#define LOOP_SELECT_LIMIT 1024

struct siphon_watch {
    siphon_loop *loop;
    int fd;
    unsigned events;            /* SIPHON_LOOP_IN | SIPHON_LOOP_OUT */
    siphon_loop_fd_fn *cb;
    void *arg;
    bool dead;                  /* unwatched; freed at the iteration's end */
    siphon_watch *prev, *next;  /* live list, or dead list (next only) */
};

struct siphon_loop_hook_ {
    siphon_loop_hook_fn_ *fn;
    void *arg;
    bool dead;
    siphon_loop_hook_ *next;
};

struct siphon_loop {
    int epfd;
    timer_heap timers;
    siphon_clock_fn *clock;
    void *clock_arg;
    siphon_watch *watches;      /* live watches */
    siphon_watch *dead;         /* unwatched during this iteration */
    siphon_loop_hook_ *hooks;
    bool hooks_dead;            /* some hook awaits unlinking */
    bool dispatching;           /* inside run_once's callback phase */
    bool stop;
};

/* ---- clock -------------------------------------------------------------- */

static uint64_t monotonic_ms(void *arg)
{
    (void)arg;
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail with a valid pointer (clock_gettime(2)). */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void siphon_loop_set_clock(siphon_loop *loop, siphon_clock_fn *fn, void *arg)
{
    loop->clock = fn ? fn : monotonic_ms;
    loop->clock_arg = fn ? arg : NULL;
}

uint64_t siphon_loop_now(siphon_loop *loop)
{
    return loop->clock(loop->clock_arg);
}

/* ---- life cycle --------------------------------------------------------- */

/*
 * Tcl's select notifier cannot watch fds >= 1024. Duplicating the fd
 * lower would not help: epoll_create1, like every call that makes an fd,
 * already returns the lowest free number (POSIX), so a high number means
 * every low one is taken. All we can do is say so; the cure is to create
 * the loop before opening many files.
 */
static void check_low(int fd)
{
    if (fd >= LOOP_SELECT_LIMIT)
        siphon_log(SIPHON_LOG_WARN, "net",
                   "epoll fd %d is >= %d: a select()-based host loop cannot "
                   "watch it; create the loop earlier", fd,
                   LOOP_SELECT_LIMIT);
}

int siphon_loop_new(siphon_loop **out)
{
    *out = NULL;
    siphon_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return SIPHON_ENOMEM;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "epoll_create1: %s",
                   strerror(errno));
        free(loop);
        return SIPHON_EIO;
    }
    check_low(loop->epfd);
    timer_heap_init(&loop->timers);
    siphon_loop_set_clock(loop, NULL, NULL);
    *out = loop;
    return 0;
}

static void free_dead(siphon_loop *loop)
{
    while (loop->dead) {
        siphon_watch *w = loop->dead;
        loop->dead = w->next;
        free(w);
    }
    if (loop->hooks_dead) {
        siphon_loop_hook_ **pp = &loop->hooks;
        while (*pp) {
            siphon_loop_hook_ *hk = *pp;
            if (hk->dead) {
                *pp = hk->next;
                free(hk);
            } else {
                pp = &hk->next;
            }
        }
        loop->hooks_dead = false;
    }
}

void siphon_loop_free(siphon_loop *loop)
{
    if (!loop)
        return;
    if (loop->watches)
        siphon_log(SIPHON_LOG_WARN, "net",
                   "loop freed with fds still watched");
    while (loop->watches) {
        siphon_watch *w = loop->watches;
        loop->watches = w->next;
        free(w);
    }
    for (siphon_loop_hook_ *hk = loop->hooks; hk; hk = hk->next)
        hk->dead = true;
    loop->hooks_dead = true;
    free_dead(loop);
    timer_heap_free(&loop->timers);
    close(loop->epfd);
    free(loop);
}

int siphon_loop_fd(const siphon_loop *loop)
{
    return loop->epfd;
}

uint64_t siphon_loop_next_deadline(const siphon_loop *loop)
{
    return timer_heap_min(&loop->timers);
}

void siphon_loop_stop(siphon_loop *loop)
{
    loop->stop = true;
}

bool siphon_loop_dispatching_(const siphon_loop *loop)
{
    return loop->dispatching;
}

/* ---- fd watches --------------------------------------------------------- */

static uint32_t to_epoll(unsigned events)
{
    uint32_t e = 0;
    if (events & SIPHON_LOOP_IN)
        e |= EPOLLIN;
    if (events & SIPHON_LOOP_OUT)
        e |= EPOLLOUT;
    return e;
}

static unsigned from_epoll(uint32_t e)
{
    unsigned ev = 0;
    if (e & (EPOLLIN | EPOLLPRI))
        ev |= SIPHON_LOOP_IN;
    if (e & EPOLLOUT)
        ev |= SIPHON_LOOP_OUT;
    if (e & EPOLLERR)
        ev |= SIPHON_LOOP_ERR;
    if (e & (EPOLLHUP | EPOLLRDHUP))
        ev |= SIPHON_LOOP_HUP;
    return ev;
}

int siphon_loop_watch(siphon_loop *loop, int fd, unsigned events,
                      siphon_loop_fd_fn *cb, void *arg, siphon_watch **out)
{
    if (out)
        *out = NULL;
    if (fd < 0 || !cb)
        return SIPHON_EINVAL;
    siphon_watch *w = calloc(1, sizeof *w);
    if (!w)
        return SIPHON_ENOMEM;
    *w = (siphon_watch){.loop = loop, .fd = fd, .events = events, .cb = cb,
                        .arg = arg};
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = w};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "epoll_ctl(ADD, %d): %s", fd,
                   strerror(errno));
        free(w);
        return SIPHON_EIO;
    }
    w->next = loop->watches;
    if (loop->watches)
        loop->watches->prev = w;
    loop->watches = w;
    if (out)
        *out = w;
    return 0;
}

int siphon_loop_watch_modify(siphon_loop *loop, siphon_watch *w,
                             unsigned events)
{
    if (!w || w->dead)
        return SIPHON_EINVAL;
    if (w->events == events)
        return 0;
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = w};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0) {
        siphon_log(SIPHON_LOG_ERROR, "net", "epoll_ctl(MOD, %d): %s", w->fd,
                   strerror(errno));
        return SIPHON_EIO;
    }
    w->events = events;
    return 0;
}

void siphon_loop_unwatch(siphon_loop *loop, siphon_watch *w)
{
    if (!w || w->dead)
        return;
    /* ENOENT/EBADF here mean the caller closed the fd first; the kernel
     * has then already dropped it from the set, so nothing is lost. */
    if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL) < 0)
        siphon_log(SIPHON_LOG_DEBUG, "net", "epoll_ctl(DEL, %d): %s", w->fd,
                   strerror(errno));
    if (w->prev)
        w->prev->next = w->next;
    else
        loop->watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->dead = true;
    w->prev = NULL;
    if (loop->dispatching) {
        w->next = loop->dead;
        loop->dead = w;
    } else {
        free(w);
    }
}

/* ---- timers ------------------------------------------------------------- */

int siphon_loop_timer_add(siphon_loop *loop, uint64_t deadline_ms,
                          siphon_loop_timer_fn *cb, void *arg, uint64_t *id)
{
    uint64_t tmp;
    if (!cb)
        return SIPHON_EINVAL;
    return timer_heap_add(&loop->timers, deadline_ms, cb, arg, id ? id : &tmp);
}

int siphon_loop_timer_cancel(siphon_loop *loop, uint64_t id)
{
    return timer_heap_cancel(&loop->timers, id);
}

/* ---- hooks -------------------------------------------------------------- */

int siphon_loop_hook_add_(siphon_loop *loop, siphon_loop_hook_fn_ *fn,
                          void *arg, siphon_loop_hook_ **out)
{
    siphon_loop_hook_ *hk = calloc(1, sizeof *hk);
    if (!hk)
        return SIPHON_ENOMEM;
    hk->fn = fn;
    hk->arg = arg;
    hk->next = loop->hooks;
    loop->hooks = hk;
    *out = hk;
    return 0;
}

void siphon_loop_hook_remove_(siphon_loop *loop, siphon_loop_hook_ *hk)
{
    if (!hk)
        return;
    hk->dead = true;
    loop->hooks_dead = true;
    if (!loop->dispatching)
        free_dead(loop);
}

/* ---- running ------------------------------------------------------------ */

/* How long epoll_wait may block: the caller's limit, shortened so that
 * the next timer is not late. */
static int wait_ms(siphon_loop *loop, int timeout_ms)
{
    uint64_t dl = timer_heap_min(&loop->timers);
    if (dl == UINT64_MAX)
        return timeout_ms < 0 ? -1 : timeout_ms;
    uint64_t now = siphon_loop_now(loop);
    uint64_t until = dl > now ? dl - now : 0;
    if (until > INT_MAX)
        until = INT_MAX;
    if (timeout_ms >= 0 && (uint64_t)timeout_ms < until)
        return timeout_ms;
    return (int)until;
}

bool siphon_loop_dispatching(const siphon_loop *loop)
{
    return loop->dispatching;
}

int siphon_loop_run_once(siphon_loop *loop, int timeout_ms)
{
    if (loop->dispatching)
        return SIPHON_ESTATE;
    struct epoll_event evs[LOOP_MAX_EVENTS];
    int n = epoll_wait(loop->epfd, evs, LOOP_MAX_EVENTS,
                       wait_ms(loop, timeout_ms));
    if (n < 0) {
        if (errno != EINTR) {
            siphon_log(SIPHON_LOG_ERROR, "net", "epoll_wait: %s",
                       strerror(errno));
            return SIPHON_EIO;
        }
        n = 0; /* a signal: still run the timers that are due */
    }
    int count = 0;
    loop->dispatching = true;
    for (int i = 0; i < n; i++) {
        siphon_watch *w = evs[i].data.ptr;
        if (w->dead)
            continue;
        w->cb(loop, w, w->fd, from_epoll(evs[i].events), w->arg);
        count++;
    }
    /* Strict deadline order, also for timers the callbacks add, but at
     * most as many as were pending: a timer that re-arms itself at "now"
     * must not keep this loop spinning. What is left is still due, so the
     * next iteration does not block. */
    uint32_t budget = timer_heap_count(&loop->timers);
    uint64_t now = siphon_loop_now(loop);
    siphon_loop_timer_fn *cb;
    void *arg;
    uint64_t id;
    while (budget > 0 &&
           timer_heap_pop_due(&loop->timers, now, &cb, &arg, &id)) {
        budget--;
        cb(loop, id, arg);
        count++;
    }
    for (siphon_loop_hook_ *hk = loop->hooks; hk; hk = hk->next) {
        if (!hk->dead)
            hk->fn(loop, hk->arg);
    }
    loop->dispatching = false;
    free_dead(loop);
    return count;
}

int siphon_loop_run(siphon_loop *loop)
{
    loop->stop = false;
    while (!loop->stop) {
        if (!loop->watches && !timer_heap_count(&loop->timers))
            break;
        int rv = siphon_loop_run_once(loop, -1);
        if (rv < 0)
            return rv;
    }
    return 0;
}
