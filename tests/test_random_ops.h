/*
 * tests/test_random_ops.h -- the random op stream the replay, incremental
 * and gen-copy tests run through hb_run under the oracle: one generator,
 * its mix given as parameters (largest array payload, wide arrays, how
 * often a drawn COLLECT is kept).  Header-only; everything is static.
 *
 * The generator does not track the graph, so some ops are no-ops by design
 * (they exercise those paths too).  A parameter left at its "off" value
 * draws nothing, so each test's stream is the one it had before the
 * generator was shared.
 */
#ifndef HB_TEST_RANDOM_OPS_H
#define HB_TEST_RANDOM_OPS_H

#include <stdint.h>

#include "harness/core/ops.h"
#include "harness/core/rng.h"
#include "workloads/workload.h"

#define TEST_RANDOM_NREGS 48

typedef struct test_random_mix {
    uint32_t array_bytes;    /* an array's payload is below this (others' below 64) */
    uint32_t wide_one_in;    /* one array in this many has 3000 slots; 0: none */
    uint32_t collect_one_in; /* a drawn COLLECT is kept one time in this many, else
                              * it is a TOUCH; 1: always kept (draws nothing) */
} test_random_mix;

/* Wider than one scan chunk of the marking collectors. */
#define TEST_RANDOM_WIDE 3000

static inline uint32_t test_random_regs(const wl_params *p)
{
    (void)p;
    return TEST_RANDOM_NREGS;
}

static inline void test_random_new(const test_random_mix *m, hb_rng *rng, hb_sink *s,
                                   uint32_t a)
{
    uint8_t kind = (uint8_t)hb_rng_below(rng, 3);
    uint32_t nrefs = kind == HB_LEAF ? 0 : (uint32_t)hb_rng_below(rng, 5);
    if (m->wide_one_in && kind == HB_ARRAY && hb_rng_below(rng, m->wide_one_in) == 0)
        nrefs = TEST_RANDOM_WIDE;
    uint8_t fin = hb_rng_below(rng, 20) == 0 ? HB_F_FINALIZER : 0;
    hb_new(s, a, kind, fin, nrefs,
           (uint32_t)hb_rng_below(rng, kind == HB_ARRAY ? m->array_bytes : 64));
}

/* Is a drawn COLLECT kept?  Draws only when it is sometimes not. */
static inline int test_random_collects(const test_random_mix *m, hb_rng *rng)
{
    return m->collect_one_in <= 1 || hb_rng_below(rng, m->collect_one_in) == 0;
}

/* scale * 1e6 ops from p->seed, in the mix m. */
static inline int test_random_ops(const test_random_mix *m, const wl_params *p, hb_sink *s)
{
    hb_rng rng;
    hb_rng_seed(&rng, p->seed);
    uint64_t n = (uint64_t)(p->scale * 1e6);
    for (uint64_t i = 0; i < n && !hb_sink_stopped(s); i++) {
        uint32_t a = (uint32_t)hb_rng_below(&rng, TEST_RANDOM_NREGS);
        uint32_t b = (uint32_t)hb_rng_below(&rng, TEST_RANDOM_NREGS);
        uint64_t dice = hb_rng_below(&rng, 1000);
        if (dice < 250) {
            test_random_new(m, &rng, s, a);
        } else if (dice < 600) {
            /* two draws in one call, in the compiler's order: kept as it was,
             * so the streams (and the tests' bounds) stay those measured */
            hb_set(s, a, (uint32_t)hb_rng_below(&rng, 4), hb_rng_below(&rng, 8) ? b : HB_NIL);
        } else if (dice < 780) {
            hb_get(s, a, b, (uint32_t)hb_rng_below(&rng, 4));
        } else if (dice < 860) {
            hb_mov(s, a, b);
        } else if (dice < 960) {
            hb_drop(s, a);
        } else if (dice < 999 || !test_random_collects(m, &rng)) {
            hb_touch(s, a, (uint32_t)hb_rng_below(&rng, 128));
        } else {
            hb_collect(s);
        }
    }
    return 0;
}

/* Defines `static const wl_workload var` ("random") generating the mix
 * {array_bytes, wide_one_in, collect_one_in}. */
#define TEST_RANDOM_WORKLOAD(var, array_bytes, wide_one_in, collect_one_in)                      \
    static int var##_generate(const wl_params *p, hb_sink *s)                                    \
    {                                                                                            \
        static const test_random_mix mix = {(array_bytes), (wide_one_in), (collect_one_in)};     \
        return test_random_ops(&mix, p, s);                                                      \
    }                                                                                            \
    static const wl_workload var = {.name = "random", .description = "random op stream",       \
                                    .registers = test_random_regs, .generate = var##_generate}

#endif
