/*
 * test_net_timer.c -- the timer heap against a sorted reference, and the
 * loop's timers driven by a virtual clock.
 */
#include "unit.h"

#include "net/net_internal.h"

#include <stdint.h>
#include <stdlib.h>

/* A small deterministic generator (64-bit LCG, Knuth's MMIX constants),
 * so the sequence is the same on every run and platform. */
static uint64_t rng_state;
static uint32_t rng_next(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

typedef struct ref_timer {
    uint64_t deadline, seq, id;
    bool live;
} ref_timer;

/* The live reference timer that must fire first, or -1. */
static int ref_min(const ref_timer *r, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!r[i].live)
            continue;
        if (best < 0 || r[i].deadline < r[best].deadline ||
            (r[i].deadline == r[best].deadline && r[i].seq < r[best].seq))
            best = i;
    }
    return best;
}

static void dummy_cb(siphon_loop *loop, uint64_t id, void *arg)
{
    (void)loop;
    (void)id;
    (void)arg;
}

UNIT_TEST(net_timer_heap_random)
{
    enum { OPS = 6000 };
    static ref_timer ref[OPS];
    int nref = 0, live = 0, mismatches = 0;
    timer_heap h;
    timer_heap_init(&h);
    rng_state = 20261122;
    for (int op = 0; op < OPS; op++) {
        uint32_t r = rng_next() % 100;
        if (r < 55) {
            uint64_t dl = rng_next() % 1000, id = 0;
            CHECK_INT(timer_heap_add(&h, dl, dummy_cb, NULL, &id), 0);
            CHECK(id != 0);
            ref[nref] = (ref_timer){dl, (uint64_t)nref, id, true};
            nref++;
            live++;
        } else if (r < 80 && nref > 0) {
            int i = (int)(rng_next() % (uint32_t)nref);
            /* Cancelling a fired or cancelled id must say ENOENT. */
            int want = ref[i].live ? 0 : SIPHON_ENOENT;
            if (timer_heap_cancel(&h, ref[i].id) != want)
                mismatches++;
            if (ref[i].live)
                live--;
            ref[i].live = false;
        } else {
            uint64_t now = rng_next() % 1000;
            siphon_loop_timer_fn *cb;
            void *arg;
            uint64_t id;
            for (;;) {
                int m = ref_min(ref, nref);
                bool due = m >= 0 && ref[m].deadline <= now;
                bool popped = timer_heap_pop_due(&h, now, &cb, &arg, &id);
                if (due != popped || (popped && id != ref[m].id)) {
                    mismatches++;
                    break;
                }
                if (!popped)
                    break;
                ref[m].live = false;
                live--;
            }
        }
        if ((int)timer_heap_count(&h) != live)
            mismatches++;
        int m = ref_min(ref, nref);
        if (timer_heap_min(&h) != (m < 0 ? UINT64_MAX : ref[m].deadline))
            mismatches++;
    }
    /* Drain: everything left comes out in (deadline, insertion) order. */
    siphon_loop_timer_fn *cb;
    void *arg;
    uint64_t id;
    while (timer_heap_pop_due(&h, UINT64_MAX, &cb, &arg, &id)) {
        int m = ref_min(ref, nref);
        if (m < 0 || ref[m].id != id) {
            mismatches++;
            break;
        }
        ref[m].live = false;
    }
    CHECK_INT(ref_min(ref, nref), -1);
    CHECK_INT(timer_heap_count(&h), 0);
    CHECK_INT(mismatches, 0);
    /* Stale ids after slot reuse do not cancel the new occupant. */
    uint64_t a, b;
    CHECK_INT(timer_heap_add(&h, 5, dummy_cb, NULL, &a), 0);
    CHECK_INT(timer_heap_cancel(&h, a), 0);
    CHECK_INT(timer_heap_add(&h, 6, dummy_cb, NULL, &b), 0);
    CHECK(a != b);
    CHECK_INT(timer_heap_cancel(&h, a), SIPHON_ENOENT);
    CHECK_INT(timer_heap_cancel(&h, 0), SIPHON_ENOENT);
    CHECK_INT(timer_heap_cancel(&h, UINT64_MAX), SIPHON_ENOENT);
    CHECK_INT(timer_heap_count(&h), 1);
    timer_heap_free(&h);
}

/* ---- loop timers with a virtual clock ------------------------------- */

typedef struct vt_state {
    uint64_t now;            /* the virtual clock */
    char fired[64];          /* labels in firing order */
    int nfired;
    uint64_t cancel_id;      /* what the 'c' callback cancels */
    int cancel_rv, cancel_again_rv, cancel_self_rv;
    uint64_t self_id;
    int rearms;
} vt_state;

static vt_state vt;

static uint64_t vclock(void *arg)
{
    return ((vt_state *)arg)->now;
}

static void label_cb(siphon_loop *loop, uint64_t id, void *arg)
{
    (void)loop;
    (void)id;
    if (vt.nfired < (int)sizeof vt.fired - 1)
        vt.fired[vt.nfired++] = (char)(intptr_t)arg;
    vt.fired[vt.nfired] = 0;
}

static void cancel_cb(siphon_loop *loop, uint64_t id, void *arg)
{
    label_cb(loop, id, arg);
    vt.cancel_rv = siphon_loop_timer_cancel(loop, vt.cancel_id);
    vt.cancel_again_rv = siphon_loop_timer_cancel(loop, vt.cancel_id);
    /* The running timer is already gone. */
    vt.cancel_self_rv = siphon_loop_timer_cancel(loop, id);
}

/* Adds an already-due timer with an earlier deadline than the others. */
static void add_early_cb(siphon_loop *loop, uint64_t id, void *arg)
{
    label_cb(loop, id, arg);
    siphon_loop_timer_add(loop, 1, label_cb, (void *)'q', NULL);
}

/* Re-arms itself at "now": must fire once per iteration, not spin. */
static void rearm_cb(siphon_loop *loop, uint64_t id, void *arg)
{
    (void)id;
    vt.rearms++;
    if (vt.rearms < 100)
        siphon_loop_timer_add(loop, vt.now, rearm_cb, arg, NULL);
}

static int add_t(siphon_loop *loop, uint64_t deadline,
                 siphon_loop_timer_fn *cb, char label, uint64_t *id)
{
    return siphon_loop_timer_add(loop, deadline, cb, (void *)(intptr_t)label,
                                 id);
}

UNIT_TEST(net_loop_virtual_clock)
{
    siphon_loop *loop;
    vt = (vt_state){.now = 1000};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    siphon_loop_set_clock(loop, vclock, &vt);
    CHECK_INT(siphon_loop_now(loop), 1000);
    CHECK(siphon_loop_next_deadline(loop) == UINT64_MAX);
    CHECK_INT(siphon_loop_run_once(loop, 0), 0);

    /* Out-of-order deadlines; equal deadlines keep insertion order. */
    CHECK_INT(add_t(loop, 1030, label_cb, 'd', NULL), 0);
    CHECK_INT(add_t(loop, 1010, label_cb, 'a', NULL), 0);
    CHECK_INT(add_t(loop, 1020, label_cb, 'c', NULL), 0);
    CHECK_INT(add_t(loop, 1010, label_cb, 'b', NULL), 0);
    CHECK_INT(siphon_loop_next_deadline(loop), 1010);
    CHECK_INT(siphon_loop_run_once(loop, 0), 0); /* nothing due yet */
    vt.now = 1015;
    CHECK_INT(siphon_loop_run_once(loop, 0), 2);
    CHECK(strcmp(vt.fired, "ab") == 0);
    CHECK_INT(siphon_loop_next_deadline(loop), 1020);
    vt.now = 5000; /* a jump far past several deadlines: all fire, in order */
    CHECK_INT(siphon_loop_run_once(loop, 0), 2);
    CHECK(strcmp(vt.fired, "abcd") == 0);
    CHECK(siphon_loop_next_deadline(loop) == UINT64_MAX);

    /* Cancel from inside a callback, including a timer due in the same
     * iteration. */
    vt.nfired = 0;
    vt.fired[0] = 0;
    uint64_t victim, later, other;
    CHECK_INT(add_t(loop, 5001, cancel_cb, 'x', NULL), 0);
    CHECK_INT(add_t(loop, 5001, label_cb, 'v', &victim), 0);
    CHECK_INT(add_t(loop, 5002, label_cb, 'y', &other), 0);
    CHECK_INT(add_t(loop, 9000, label_cb, 'z', &later), 0);
    vt.cancel_id = victim;
    vt.now = 5002;
    CHECK_INT(siphon_loop_run_once(loop, 0), 2);
    CHECK(strcmp(vt.fired, "xy") == 0);
    CHECK_INT(vt.cancel_rv, 0);
    CHECK_INT(vt.cancel_again_rv, SIPHON_ENOENT);
    CHECK_INT(vt.cancel_self_rv, SIPHON_ENOENT);
    CHECK_INT(siphon_loop_timer_cancel(loop, other), SIPHON_ENOENT);
    CHECK_INT(siphon_loop_next_deadline(loop), 9000);
    CHECK_INT(siphon_loop_timer_cancel(loop, later), 0);
    CHECK(siphon_loop_next_deadline(loop) == UINT64_MAX);

    /* A due timer added by a callback keeps strict deadline order: it
     * runs before the older 'r', which the per-iteration budget (two
     * timers were pending) leaves for the next iteration. */
    vt.nfired = 0;
    vt.fired[0] = 0;
    CHECK_INT(siphon_loop_timer_add(loop, vt.now - 1, add_early_cb,
                                    (void *)'p', NULL), 0);
    CHECK_INT(siphon_loop_timer_add(loop, vt.now, label_cb, (void *)'r',
                                    NULL), 0);
    CHECK_INT(siphon_loop_run_once(loop, 0), 2);
    CHECK(strcmp(vt.fired, "pq") == 0);
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);
    CHECK(strcmp(vt.fired, "pqr") == 0);

    /* A timer that re-arms at "now" fires once per iteration. */
    CHECK_INT(siphon_loop_timer_add(loop, vt.now, rearm_cb, NULL, NULL), 0);
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);
    CHECK_INT(vt.rearms, 2);
    CHECK_INT(siphon_loop_next_deadline(loop), vt.now);

    /* A long virtual wait costs nothing: Timer B (64*T1 = 32 s). */
    int spins = 0;
    while (vt.rearms < 100 && spins++ < 200) {
        vt.now += 32000;
        siphon_loop_run_once(loop, 0);
    }
    CHECK_INT(vt.rearms, 100);
    CHECK(siphon_loop_next_deadline(loop) == UINT64_MAX);
    CHECK_INT(siphon_loop_timer_add(loop, 1, NULL, NULL, NULL), SIPHON_EINVAL);
    siphon_loop_free(loop);
}

static void stop_cb(siphon_loop *loop, uint64_t id, void *arg)
{
    (void)id;
    (*(int *)arg)++;
    siphon_loop_stop(loop);
}

UNIT_TEST(net_loop_run_real_clock)
{
    siphon_loop *loop;
    int fired = 0;
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    /* run() returns at once when there is nothing to wait for. */
    CHECK_INT(siphon_loop_run(loop), 0);
    uint64_t now = siphon_loop_now(loop);
    CHECK_INT(siphon_loop_timer_add(loop, now + 2, stop_cb, &fired, NULL), 0);
    CHECK_INT(siphon_loop_timer_add(loop, now + 3600000, stop_cb, &fired,
                                    NULL), 0);
    CHECK_INT(siphon_loop_run(loop), 0); /* stopped by the 2 ms timer */
    CHECK_INT(fired, 1);
    CHECK(siphon_loop_now(loop) >= now + 2);
    siphon_loop_free(loop); /* frees the hour-long timer */
}
