/*
 * workloads/gcbench.h -- the shape of GCBench, shared by the `gcbench`
 * workload (workloads/gcbench.c, the op stream) and its native twin
 * (harness/micro/gcbench_native.c, the same program calling the collector's
 * table), so that the two cannot drift apart: the depths, the iteration
 * counts, the object sizes and the register file that holds the roots.
 *
 * A tree of depth d has gb_tree_size(d) = 2^(d+1) - 1 nodes; gb_num_iters(d)
 * = 2 * gb_tree_size(GB_STRETCH_DEPTH) / gb_tree_size(d), so every depth
 * allocates about the same number of nodes; gb_iters scales that, rounded,
 * at least one.  A node is a container of GB_NODE_NREFS references and
 * GB_NODE_PAYLOAD payload bytes (GCBench's two ints).
 */
#ifndef HB_WL_GCBENCH_H
#define HB_WL_GCBENCH_H

#include <stdint.h>

#include "workloads/common.h"

#define GB_STRETCH_DEPTH 18u
#define GB_LONG_LIVED_DEPTH 16u
#define GB_MIN_DEPTH 4u
#define GB_MAX_DEPTH 16u
#define GB_DEPTH_STEP 2u
#define GB_ARRAY_BYTES 4000000u /* 500,000 doubles */
#define GB_ARRAY_WRITTEN (GB_ARRAY_BYTES / 2) /* GCBench fills half */
#define GB_NODE_NREFS 2u
#define GB_NODE_PAYLOAD 8u
#define GB_LEVELS (GB_STRETCH_DEPTH + 1)

/* The register file (the roots), the same for the stream and the native. */
enum gb_register {
    GB_R_LONG_TREE = 0,
    GB_R_LONG_ARRAY,
    GB_R_TREE,                       /* the tree being built */
    GB_R_PATH,                       /* top-down: GB_R_PATH + k holds the node at level k + 1 */
    GB_R_LEFT = GB_R_PATH + GB_LEVELS,  /* bottom-up: GB_R_LEFT + k, GB_R_RIGHT + k hold */
    GB_R_RIGHT = GB_R_LEFT + GB_LEVELS, /* the children of a node at level k */
    GB_REGS = GB_R_RIGHT + GB_LEVELS
};

static inline uint64_t gb_tree_size(uint32_t depth)
{
    return (2ull << depth) - 1;
}

static inline uint64_t gb_num_iters(uint32_t depth)
{
    return 2 * gb_tree_size(GB_STRETCH_DEPTH) / gb_tree_size(depth);
}

/* Trees built each way at this depth and scale. */
static inline uint64_t gb_iters(double scale, uint32_t depth)
{
    return wl_scaled(scale, (double)gb_num_iters(depth));
}

#endif
