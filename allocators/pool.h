/*
 * allocators/pool.h -- the pool backend's breakdown, for tests and the dump.
 *
 * The backend itself is the table `al_pool` (name "pool"): a small-object
 * allocator in the pymalloc model.  Requests of 1..512 bytes are served from
 * 32 size classes (class i holds (i+1)*16 bytes) carved out of pools, which
 * are carved out of arenas mapped from the operating system; larger requests
 * go to the C library's malloc and are counted apart.  See allocators/pool.c
 * for the layers and the pool states.
 *
 * Everything here is read-only inspection: it walks every pool, so it costs
 * time proportional to the mapped arenas and is never called on a hot path.
 */
#ifndef HB_POOL_H
#define HB_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"

#define AL_POOL_NCLASSES 32
#define AL_POOL_MAX_SMALL 512 /* larger requests go to malloc */
#define AL_POOL_HEADER_BYTES 48 /* in every pool in use, after its colour */
#define AL_POOL_COLOUR_STEP 64  /* one cache line */
#define AL_POOL_MAX_COLOURS 8

/*
 * Header colouring: the header of the pool at address `pool` (pool-aligned)
 * sits al_pool_colour_bytes(pool, pool_bytes) bytes into it, and its blocks
 * follow the header, so headers of different pools fall in different cache
 * sets.  Colours: one per 2 KiB of pool, at most 8 (4 KiB pools: 2, 8 KiB:
 * 4, 16 KiB and up: 8), chosen by the pool's address bits.
 */
static inline size_t al_pool_colours(size_t pool_bytes)
{
    size_t n = pool_bytes / 2048;
    return n < 1 ? 1 : n > AL_POOL_MAX_COLOURS ? AL_POOL_MAX_COLOURS : n;
}

static inline size_t al_pool_colour_bytes(uintptr_t pool, size_t pool_bytes)
{
    return (size_t)((pool / pool_bytes) & (al_pool_colours(pool_bytes) - 1)) *
           AL_POOL_COLOUR_STEP;
}

/* Blocks of block_bytes that fit the pool at address `pool`. */
static inline uint64_t al_pool_capacity(uintptr_t pool, size_t pool_bytes, size_t block_bytes)
{
    return (pool_bytes - al_pool_colour_bytes(pool, pool_bytes) - AL_POOL_HEADER_BYTES) /
           block_bytes;
}

extern const al_backend al_pool;

/* Per size class: counts over the pools that hold at least one block. */
typedef struct al_pool_class_counts {
    uint64_t pools;       /* pools of this class in use (partly used or full) */
    uint64_t full_pools;  /* of those, the ones with no free block */
    uint64_t blocks_used; /* blocks handed out and not freed */
    uint64_t blocks_free; /* on the pools' free lists or not yet carved */
} al_pool_class_counts;

/*
 * Where the arena bytes go.  Identity, at every moment:
 *
 *   allocated + available + unused_pools + pool_headers + quantization
 *     + alignment == arenas_current * arena_bytes
 *
 * and, per class i with block size (i+1)*16:
 *   allocated == sum of blocks_used * size,  available == sum of blocks_free * size.
 */
typedef struct al_pool_breakdown {
    size_t arena_bytes, pool_bytes, pool_header_bytes; /* the settings in force */
    uint64_t pools_per_arena;

    uint64_t arenas_allocated; /* mapped over the heap's life */
    uint64_t arenas_reclaimed; /* unmapped again */
    uint64_t arenas_highwater; /* most arenas mapped at one moment */
    uint64_t arenas_current;   /* mapped now */

    uint64_t pools_used;  /* holding at least one block (partly used or full) */
    uint64_t pools_empty; /* emptied and on their arena's free-pool list */
    uint64_t pools_fresh; /* never carved since their arena was mapped */

    uint64_t allocated_bytes;    /* blocks in use, class-rounded */
    uint64_t available_bytes;    /* free blocks of used pools + their uncarved tails */
    uint64_t unused_pool_bytes;  /* (pools_empty + pools_fresh) * pool_bytes */
    uint64_t pool_header_bytes_total; /* pools_used * pool_header_bytes */
    uint64_t quantization_bytes; /* per used pool, the tail too small for a block */
    uint64_t alignment_bytes;    /* per used pool, its colour: the bytes before
                                    its header (nothing is lost before an
                                    arena's first pool: arenas are mapped
                                    pool-aligned) */

    uint64_t large_count; /* live requests passed to malloc */
    uint64_t large_bytes; /* their malloc_usable_size, summed */

    al_pool_class_counts cls[AL_POOL_NCLASSES];
} al_pool_breakdown;

/* Fills *out from a context made by al_pool.create. */
void al_pool_get_breakdown(void *ctx, al_pool_breakdown *out);

/*
 * Walks every arena, pool and free list and checks the invariants written in
 * allocators/pool.c.  Returns NULL if all hold, else a static string naming
 * the first broken one.  Expensive (touches every free block): for tests.
 */
const char *al_pool_check(void *ctx);

#endif
