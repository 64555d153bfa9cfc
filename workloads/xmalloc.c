/*
 * workloads/xmalloc.c -- an allocator workload: producer-consumer, after
 * xmalloc-test (mimalloc-bench), on N threads.
 *
 * Threads go in pairs: thread 2i allocates batches of XM_BATCH blocks
 * (8..512 bytes) and thread 2i + 1 frees them, so every free is a
 * cross-thread free and the producer's allocator sees its blocks come back
 * only from elsewhere.  An odd last thread (and a run on one thread)
 * produces and consumes itself.  Each pair cycles through a ring of
 * XM_RING batches of registers: in round k the producer fills batch k and
 * the consumer frees batch k - 1, so a free comes one round after its
 * allocation and a register is refilled XM_RING - 1 rounds after it was
 * freed: slack both ways for the threads to run without waiting.
 * Deterministic from (seed, scale, threads); ends with every block freed.
 */
#include "workloads/common.h"

#define XM_BATCH 256u
#define XM_RING 8u
#define XM_MIN_BYTES 8u
#define XM_MAX_BYTES 512u
#define XM_ROUNDS_PER_SCALE 20000.0 /* per pair: XM_BATCH blocks each; 1.0: about 0.3 s */

/* Pairs, counting an odd last thread as a pair with itself. */
static uint32_t xm_pairs(const wl_params *p)
{
    return (wl_threads(p) + 1) / 2;
}

static uint32_t xm_registers(const wl_params *p)
{
    return xm_pairs(p) * XM_RING * XM_BATCH;
}

static void xm_produce(hb_sink *s, hb_rng *rng, uint8_t t, uint32_t base)
{
    for (uint32_t j = 0; j < XM_BATCH; j++)
        hb_malloc_on(s, t, base + j, (uint32_t)hb_rng_range(rng, XM_MIN_BYTES, XM_MAX_BYTES));
}

static void xm_consume(hb_sink *s, uint8_t t, uint32_t base)
{
    for (uint32_t j = 0; j < XM_BATCH; j++)
        hb_free_on(s, t, base + j);
}

/* Round k of every pair: fill batch k, free batch k - 1 (k == rounds: the
 * last free only). */
static void xm_round(hb_sink *s, hb_rng *rng, uint32_t n, uint64_t k, uint64_t rounds)
{
    for (uint32_t pair = 0; pair < (n + 1) / 2; pair++) {
        uint8_t prod = (uint8_t)(2 * pair);
        uint8_t cons = 2 * pair + 1 < n ? (uint8_t)(2 * pair + 1) : prod;
        uint32_t ring = pair * XM_RING * XM_BATCH;
        if (k < rounds)
            xm_produce(s, rng, prod, ring + (uint32_t)(k % XM_RING) * XM_BATCH);
        if (k > 0)
            xm_consume(s, cons, ring + (uint32_t)((k - 1) % XM_RING) * XM_BATCH);
    }
}

static int xm_generate(const wl_params *p, hb_sink *s)
{
    hb_rng rng;
    uint64_t rounds = wl_heap_open(&rng, p, XM_ROUNDS_PER_SCALE);
    if (rounds == 0)
        rounds = 1;
    for (uint64_t k = 0; k <= rounds && !hb_sink_stopped(s); k++)
        xm_round(s, &rng, wl_threads(p), k, rounds);
    return 0;
}

const wl_workload wl_xmalloc = {
    .name = "xmalloc",
    .description = "allocator, N threads (xmalloc-test): producer-consumer pairs, one thread "
                   "allocates batches of 8-512 B blocks, the other frees them",
    .registers = xm_registers,
    .generate = xm_generate,
    .heap = 1,
};
