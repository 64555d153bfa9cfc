/*
 * workloads/cache_scratch.c -- an allocator workload: false sharing, after
 * the cache-scratch benchmark (Berger et al.'s Hoard suite, as run in
 * mimalloc-bench), on N threads.
 *
 * The model: one thread allocates a small block for every thread, one
 * after the other, so the blocks sit side by side, several to a cache
 * line.  It hands block t to thread t, which frees it: a cross-thread free
 * for every thread but the first.  Then each thread, again and again,
 * allocates a block of the same size and writes into it many times before
 * freeing it.  An allocator that gives a thread back the block it was just
 * handed (a per-thread free list that takes remote frees, as glibc's
 * tcache) puts the threads' blocks in one cache line, and their writes make
 * the line bounce between the cores: passive false sharing, which shows as
 * lost throughput at 2 threads and more.  An allocator that returns remote
 * frees to their owner's heap (mimalloc, Hoard) gives each thread blocks
 * from its own pages and does not share.
 *
 * The hand-over is repeated every round of CS_ITERS iterations (the
 * original hands over once; rounds keep the case alive as the run grows
 * with the scale, and give cross_thread_frees = (N - 1) x rounds).
 * Registers: [0, N) the handed-over blocks, [N, 2N) each thread's scratch
 * block, so a thread waits for the allocating thread only at a hand-over,
 * and the allocating thread for a thread only a round later.
 *
 * Writes are TOUCH ops on the heap drive: CS_BYTES x CS_REPS single-byte
 * read-modify-writes walking the block, as the original's loop over its
 * object (harness/run/threads.c).  Deterministic from (scale, threads);
 * ends with every block freed.
 */
#include "workloads/common.h"

#define CS_BYTES 8u    /* the original's small object: many to a cache line */
#define CS_REPS 500u   /* passes of writes over the block per iteration */
#define CS_ITERS 1000u /* iterations per thread between hand-overs */
#define CS_ITERS_PER_SCALE 200000.0 /* per thread */

static uint32_t cs_registers(const wl_params *p)
{
    return 2 * wl_threads(p);
}

/* Thread 0 allocates every thread's block, back to back. */
static void cs_hand_out(hb_sink *s, uint32_t n)
{
    for (uint32_t t = 0; t < n; t++)
        hb_malloc_on(s, 0, t, CS_BYTES);
}

/* Thread t frees the block it was handed, then scratches its own blocks. */
static void cs_scratch(hb_sink *s, uint32_t n, uint32_t t, uint64_t iters)
{
    uint32_t r = n + t;
    hb_free_on(s, (uint8_t)t, t);
    for (uint64_t i = 0; i < iters; i++) {
        hb_malloc_on(s, (uint8_t)t, r, CS_BYTES);
        hb_touch_on(s, (uint8_t)t, r, CS_BYTES * CS_REPS);
        hb_free_on(s, (uint8_t)t, r);
    }
}

static int cs_generate(const wl_params *p, hb_sink *s)
{
    uint32_t n = wl_threads(p);
    uint64_t iters = (uint64_t)(p->scale * CS_ITERS_PER_SCALE);
    for (uint64_t done = 0; done < iters && !hb_sink_stopped(s); done += CS_ITERS) {
        uint64_t k = iters - done < CS_ITERS ? iters - done : CS_ITERS;
        cs_hand_out(s, n);
        for (uint32_t t = 0; t < n; t++)
            cs_scratch(s, n, t, k);
    }
    return 0;
}

const wl_workload wl_cache_scratch = {
    .name = "cache-scratch",
    .description = "allocator, N threads (cache-scratch, false sharing): one thread allocates "
                   "8 B blocks side by side and hands one to each thread, which frees it, then "
                   "allocates, writes 4000 times and frees blocks of the same size",
    .registers = cs_registers,
    .generate = cs_generate,
    .heap = 1,
};
