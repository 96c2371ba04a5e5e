/*
 * net_internal.h -- what the files of lib/net share and nothing else may
 * use: the timer heap behind the loop, and the loop's end-of-iteration
 * hooks that transports use to flush batched output.
 */
#ifndef SIPHON_NET_INTERNAL_H
#define SIPHON_NET_INTERNAL_H

#include <siphon/net.h>

/* ---- timer heap (timer_heap.c) ----------------------------------------- */

/*
 * A binary min-heap of timers ordered by (deadline, insertion sequence),
 * so that timers with equal deadlines fire in the order they were added.
 * Timers live in a slot array; the heap holds slot numbers and each slot
 * knows its heap position, which makes cancel O(log n) without a search.
 * An id is (generation << 32 | slot + 1): a slot's generation changes on
 * every reuse, so a stale id never cancels a newer timer.
 */
typedef struct timer_slot {
    uint64_t deadline;
    uint64_t seq;                /* insertion order, breaks deadline ties */
    siphon_loop_timer_fn *cb;
    void *arg;
    uint32_t gen;                /* generation of the current occupant */
    uint32_t pos;                /* index in heap[] while pending */
    uint32_t next_free;          /* free-list link while free */
    bool live;
} timer_slot;

typedef struct timer_heap {
    timer_slot *slots;
    uint32_t nslots, slots_cap;
    uint32_t free_head;          /* UINT32_MAX when the free list is empty */
    uint32_t *heap;              /* slot numbers, heap[0] is the earliest */
    uint32_t n;
    uint64_t seq;                /* next insertion sequence number */
} timer_heap;

void timer_heap_init(timer_heap *h);
void timer_heap_free(timer_heap *h);
/* Returns 0 and the id (never 0), or SIPHON_ENOMEM / SIPHON_ETOOBIG. */
int timer_heap_add(timer_heap *h, uint64_t deadline, siphon_loop_timer_fn *cb,
                   void *arg, uint64_t *id);
/* Returns 0 or SIPHON_ENOENT. */
int timer_heap_cancel(timer_heap *h, uint64_t id);
/* Earliest deadline, or UINT64_MAX when empty. */
uint64_t timer_heap_min(const timer_heap *h);
/*
 * Remove the earliest timer if its deadline is <= now; fills cb, arg and
 * id and returns true, else returns false.
 */
bool timer_heap_pop_due(timer_heap *h, uint64_t now, siphon_loop_timer_fn **cb,
                        void **arg, uint64_t *id);
/* Pending timers. */
uint32_t timer_heap_count(const timer_heap *h);

/* ---- loop hooks (loop.c) ----------------------------------------------- */

typedef struct siphon_loop_hook_ siphon_loop_hook_;
typedef void siphon_loop_hook_fn_(siphon_loop *loop, void *arg);

/* Call fn at the end of every siphon_loop_run_once(). Returns 0 or
 * SIPHON_ENOMEM. */
int siphon_loop_hook_add_(siphon_loop *loop, siphon_loop_hook_fn_ *fn,
                          void *arg, siphon_loop_hook_ **out);
/* Remove a hook; safe from inside callbacks and hooks (freed later). */
void siphon_loop_hook_remove_(siphon_loop *loop, siphon_loop_hook_ *hk);
/* True while run_once is calling callbacks or hooks. */
bool siphon_loop_dispatching_(const siphon_loop *loop);

/* ---- test seam (udp.c) ------------------------------------------------- */

/*
 * The batch send call udp.c makes, sendmmsg(2) unless a unit test swaps
 * it. A full socket buffer (EAGAIN) cannot be provoked on loopback, where
 * the kernel hands each datagram to the receiver at once, so the tests
 * simulate it here. Process-wide; nothing but tests may change it.
 */
typedef int net_sendmmsg_fn(int fd, struct mmsghdr *msgs, unsigned int n,
                            int flags);
extern net_sendmmsg_fn *siphon_net_sendmmsg_;

#endif
