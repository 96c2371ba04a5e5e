/*
 * timer_heap.c -- the loop's timers: a binary min-heap over a slot array.
 *
 * A SIP element holds thousands of transaction timers (RFC 3261 §17:
 * A/B/D/E/F/G/H/I/J/K per transaction), most of them cancelled before
 * they fire, so both insert and cancel must be O(log n); an ordered list
 * (O(n) insert) would not do. The heap layout is the textbook one
 * (children of i at 2i+1 and 2i+2). Ordering is by deadline, then by
 * insertion sequence, which makes firing order deterministic: timers with
 * the same deadline fire first-in, first-out.
 */
#include "net_internal.h"

#include <stdlib.h>

#define NO_SLOT UINT32_MAX

void timer_heap_init(timer_heap *h)
{
    *h = (timer_heap){.free_head = NO_SLOT, .seq = 1};
}

void timer_heap_free(timer_heap *h)
{
    free(h->slots);
    free(h->heap);
    timer_heap_init(h);
}

uint32_t timer_heap_count(const timer_heap *h)
{
    return h->n;
}

/* Does slot a fire before slot b? */
static bool before(const timer_heap *h, uint32_t a, uint32_t b)
{
    const timer_slot *sa = &h->slots[a], *sb = &h->slots[b];
    if (sa->deadline != sb->deadline)
        return sa->deadline < sb->deadline;
    return sa->seq < sb->seq;
}

static void place(timer_heap *h, uint32_t pos, uint32_t slot)
{
    h->heap[pos] = slot;
    h->slots[slot].pos = pos;
}

static void sift_up(timer_heap *h, uint32_t pos)
{
    uint32_t slot = h->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!before(h, slot, h->heap[parent]))
            break;
        place(h, pos, h->heap[parent]);
        pos = parent;
    }
    place(h, pos, slot);
}

static void sift_down(timer_heap *h, uint32_t pos)
{
    uint32_t slot = h->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && before(h, h->heap[child + 1], h->heap[child]))
            child++;
        if (!before(h, h->heap[child], slot))
            break;
        place(h, pos, h->heap[child]);
        pos = child;
    }
    place(h, pos, slot);
}

/* Take the timer at heap position pos out of the heap and free its slot. */
static void remove_at(timer_heap *h, uint32_t pos)
{
    uint32_t slot = h->heap[pos];
    h->n--;
    if (pos != h->n) {
        /* The last element fills the hole; it may need to go either way. */
        uint32_t last = h->heap[h->n];
        place(h, pos, last);
        if (pos > 0 && before(h, last, h->heap[(pos - 1) / 2]))
            sift_up(h, pos);
        else
            sift_down(h, pos);
    }
    timer_slot *s = &h->slots[slot];
    s->live = false;
    s->cb = NULL;
    s->arg = NULL;
    s->gen++;
    s->next_free = h->free_head;
    h->free_head = slot;
}

static int grow(timer_heap *h)
{
    if (h->slots_cap >= NO_SLOT / 4)
        return SIPHON_ETOOBIG;
    uint32_t cap = h->slots_cap ? h->slots_cap * 2 : 64;
    timer_slot *s = realloc(h->slots, (size_t)cap * sizeof *s);
    if (!s)
        return SIPHON_ENOMEM;
    h->slots = s;
    /* The heap never holds more entries than there are slots. */
    uint32_t *hp = realloc(h->heap, (size_t)cap * sizeof *hp);
    if (!hp)
        return SIPHON_ENOMEM;
    h->heap = hp;
    h->slots_cap = cap;
    return 0;
}

int timer_heap_add(timer_heap *h, uint64_t deadline, siphon_loop_timer_fn *cb,
                   void *arg, uint64_t *id)
{
    uint32_t slot;
    if (h->free_head != NO_SLOT) {
        slot = h->free_head;
        h->free_head = h->slots[slot].next_free;
    } else {
        if (h->nslots == h->slots_cap) {
            int rv = grow(h);
            if (rv < 0)
                return rv;
        }
        slot = h->nslots++;
        h->slots[slot].gen = 1;
    }
    timer_slot *s = &h->slots[slot];
    s->deadline = deadline;
    s->seq = h->seq++;
    s->cb = cb;
    s->arg = arg;
    s->live = true;
    s->next_free = NO_SLOT;
    h->heap[h->n] = slot;
    s->pos = h->n;
    h->n++;
    sift_up(h, s->pos);
    *id = ((uint64_t)s->gen << 32) | ((uint64_t)slot + 1);
    return 0;
}

/* The slot an id names, or NO_SLOT when the id is stale or invalid. */
static uint32_t slot_of(const timer_heap *h, uint64_t id)
{
    uint64_t low = id & 0xffffffffu;
    if (low == 0 || low > h->nslots)
        return NO_SLOT;
    uint32_t slot = (uint32_t)(low - 1);
    const timer_slot *s = &h->slots[slot];
    if (!s->live || s->gen != (uint32_t)(id >> 32))
        return NO_SLOT;
    return slot;
}

int timer_heap_cancel(timer_heap *h, uint64_t id)
{
    uint32_t slot = slot_of(h, id);
    if (slot == NO_SLOT)
        return SIPHON_ENOENT;
    remove_at(h, h->slots[slot].pos);
    return 0;
}

uint64_t timer_heap_min(const timer_heap *h)
{
    return h->n ? h->slots[h->heap[0]].deadline : UINT64_MAX;
}

bool timer_heap_pop_due(timer_heap *h, uint64_t now, siphon_loop_timer_fn **cb,
                        void **arg, uint64_t *id)
{
    if (!h->n)
        return false;
    uint32_t slot = h->heap[0];
    timer_slot *s = &h->slots[slot];
    if (s->deadline > now)
        return false;
    *cb = s->cb;
    *arg = s->arg;
    *id = ((uint64_t)s->gen << 32) | ((uint64_t)slot + 1);
    remove_at(h, 0);
    return true;
}
