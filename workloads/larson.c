/*
 * workloads/larson.c -- an allocator workload: Larson and Krishnan's server
 * benchmark (as in mimalloc-bench's larson), on N threads.
 *
 * Each thread holds LA_SLOTS live blocks of random sizes (8..1000 bytes)
 * and, step after step, frees a random one of them and allocates a new one
 * in its place.  After every round of LA_SLOTS steps each thread hands a
 * quarter of its slots, blocks still live, to the next thread (t -> t + 1,
 * round the ring), which will free them later: the cross-thread frees that
 * make a per-thread allocator pass blocks back to their owner (Hoard's
 * blow-up case).  With one thread the hand-over is to itself.
 *
 * The stream is one global order, round by round, thread after thread, so
 * a handed-over block's free comes a round after its allocation: there is
 * slack for the threads to run freely between hand-overs.  Every register
 * is a slot's block; a step frees and refills the same register on the
 * same thread, so only hand-overs order one thread after another.
 * Deterministic from (seed, scale, threads); ends with every block freed.
 */
#include "harness/core/mem.h"
#include "workloads/common.h"

#include <string.h>

#define LA_SLOTS 5000u
#define LA_MIN_BYTES 8u
#define LA_MAX_BYTES 1000u
#define LA_STEPS_PER_SCALE 2500000.0 /* per thread: two ops each; 1.0: about 0.5 s a thread */

static uint32_t la_registers(const wl_params *p)
{
    return wl_threads(p) * LA_SLOTS;
}

/* Thread t's slots: slot[t * LA_SLOTS + i] is the register of its i-th block. */
static void la_fill(hb_sink *s, hb_rng *rng, const uint32_t *slot, uint32_t n)
{
    for (uint32_t t = 0; t < n; t++)
        for (uint32_t i = 0; i < LA_SLOTS; i++)
            hb_malloc_on(s, (uint8_t)t, slot[t * LA_SLOTS + i],
                         (uint32_t)hb_rng_range(rng, LA_MIN_BYTES, LA_MAX_BYTES));
}

static void la_round(hb_sink *s, hb_rng *rng, const uint32_t *slot, uint32_t t, uint64_t steps)
{
    for (uint64_t k = 0; k < steps; k++) {
        uint32_t r = slot[t * LA_SLOTS + hb_rng_below(rng, LA_SLOTS)];
        hb_free_on(s, (uint8_t)t, r);
        hb_malloc_on(s, (uint8_t)t, r, (uint32_t)hb_rng_range(rng, LA_MIN_BYTES, LA_MAX_BYTES));
    }
}

/* A quarter of every thread's slots (the same positions in each) moves to
 * the next thread: a rotation of the blocks' owners, round the ring. */
static void la_hand_over(hb_rng *rng, uint32_t *slot, uint32_t n)
{
    if (n < 2)
        return;
    for (uint32_t k = 0; k < LA_SLOTS / 4; k++) {
        uint32_t i = (uint32_t)hb_rng_below(rng, LA_SLOTS);
        uint32_t last = slot[(n - 1) * LA_SLOTS + i];
        for (uint32_t t = n - 1; t > 0; t--)
            slot[t * LA_SLOTS + i] = slot[(t - 1) * LA_SLOTS + i];
        slot[i] = last;
    }
}

static void la_drain(hb_sink *s, const uint32_t *slot, uint32_t n)
{
    for (uint32_t t = 0; t < n; t++)
        for (uint32_t i = 0; i < LA_SLOTS; i++)
            hb_free_on(s, (uint8_t)t, slot[t * LA_SLOTS + i]);
}

static int la_generate(const wl_params *p, hb_sink *s)
{
    uint32_t n = wl_threads(p);
    size_t bytes = (size_t)n * LA_SLOTS * sizeof(uint32_t);
    uint32_t *slot = hb_map(bytes, 0);
    if (slot == NULL)
        return -1;
    for (uint32_t r = 0; r < n * LA_SLOTS; r++)
        slot[r] = r;
    hb_rng rng;
    uint64_t steps = wl_heap_open(&rng, p, LA_STEPS_PER_SCALE);
    la_fill(s, &rng, slot, n);
    for (uint64_t done = 0; done < steps && !hb_sink_stopped(s); done += LA_SLOTS) {
        uint64_t k = steps - done < LA_SLOTS ? steps - done : LA_SLOTS;
        for (uint32_t t = 0; t < n; t++)
            la_round(s, &rng, slot, t, k);
        la_hand_over(&rng, slot, n);
    }
    la_drain(s, slot, n);
    hb_unmap(slot, bytes);
    return 0;
}

const wl_workload wl_larson = {
    .name = "larson",
    .description = "allocator, N threads (Larson): each frees and reallocates random blocks of "
                   "8-1000 B and hands a quarter of its live blocks to the next thread every round",
    .registers = la_registers,
    .generate = la_generate,
    .heap = 1,
};
