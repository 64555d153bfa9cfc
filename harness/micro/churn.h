/*
 * harness/micro/churn.h -- the small-object churn stream, one definition
 * for heapbench-micro (alloc_churn, raw_churn) and heapbench-native.
 *
 * A live set of HB_CHURN_LIVE blocks; each op frees the block in one slot
 * and allocates a new size in its place.  Sizes: 1/3 uniform 16-32 B, 1/3
 * uniform 33-64 B, 1/3 log-uniform 65-512 B (mean about 96 B), the
 * mostly-small shape of a Python heap.  The stream is generated once, from
 * HB_CHURN_SEED, before anything is timed; the same seed gives the same
 * slots and sizes in every program, so both programs replay the same bytes.
 */
#ifndef HB_MICRO_CHURN_H
#define HB_MICRO_CHURN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/rng.h"

#define HB_CHURN_LIVE 10000
#define HB_CHURN_OPS_LOG2 18 /* the stream repeats every 2^18 ops */
#define HB_CHURN_OPS ((size_t)1 << HB_CHURN_OPS_LOG2)
#define HB_CHURN_SEED 0x6865617062656e63u /* "heapbenc" */
#define HB_CHURN_MIX "live 10000; 1/3 uniform 16-32 B, 1/3 uniform 33-64 B, " \
                     "1/3 log-uniform 65-512 B"

typedef struct hb_churn_op {
    uint16_t slot; /* < HB_CHURN_LIVE */
    uint16_t size; /* 16 .. 512 */
} hb_churn_op;

static inline uint16_t hb_churn_size(hb_rng *r)
{
    switch (hb_rng_below(r, 3)) {
    case 0:
        return (uint16_t)hb_rng_range(r, 16, 32);
    case 1:
        return (uint16_t)hb_rng_range(r, 33, 64);
    default:
        return (uint16_t)hb_rng_logu(r, 65, 512);
    }
}

/* Fills first[HB_CHURN_LIVE] (the live set's sizes) and ops[HB_CHURN_OPS]. */
static inline void hb_churn_generate(uint16_t *first, hb_churn_op *ops)
{
    hb_rng r;
    hb_rng_seed(&r, HB_CHURN_SEED);
    for (size_t i = 0; i < HB_CHURN_LIVE; i++)
        first[i] = hb_churn_size(&r);
    for (size_t i = 0; i < HB_CHURN_OPS; i++) {
        ops[i].slot = (uint16_t)hb_rng_below(&r, HB_CHURN_LIVE);
        ops[i].size = hb_churn_size(&r);
    }
}

#endif
