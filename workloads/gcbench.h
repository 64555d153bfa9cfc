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
 *
 * The walk itself (gb_walk: the stretch tree, the long-lived data, the
 * trees built each way at every depth) is written here once, over a few
 * primitives that each includer defines for its own struct gb_walker: the
 * workload emits ops, the native twin calls the collector.  They are plain
 * static functions, not a table of pointers, so the native twin's calls stay
 * direct and inlinable: what it measures is the collector, not an
 * indirection.
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

/* ---- the walk, over the includer's primitives ---- */

typedef struct gb_walker gb_walker; /* the includer's: complete in its file */

static void gbw_node(gb_walker *w, uint32_t r); /* a new node into register r */
static void gbw_set(gb_walker *w, uint32_t node, uint32_t i, uint32_t child);
static void gbw_get(gb_walker *w, uint32_t dst, uint32_t node, uint32_t i); /* a node's child */
static void gbw_drop(gb_walker *w, uint32_t r);
static int gbw_live(gb_walker *w, uint32_t r);
static void gbw_array(gb_walker *w, uint32_t r); /* the long-lived array, half written */
static void gbw_phase(gb_walker *w, uint32_t n);
static int gbw_failed(gb_walker *w);  /* polled inside a tree: give up at once */
static int gbw_stopped(gb_walker *w); /* polled between trees */

/* Top-down: gives the node in register `node` (at level k) two new
 * children, then populates each; depth counts the levels still to add. */
static void gb_populate(gb_walker *w, uint32_t node, uint32_t k, uint32_t depth)
{
    if (depth == 0 || gbw_failed(w))
        return;
    uint32_t child = GB_R_PATH + k;
    gbw_node(w, child);
    gbw_set(w, node, 0, child);
    gbw_node(w, child);
    gbw_set(w, node, 1, child);
    if (depth == 1)
        return;
    for (uint32_t i = 0; i < 2; i++) {
        gbw_get(w, child, node, i);
        gb_populate(w, child, k + 1, depth - 1);
    }
}

static void gb_drop_path(gb_walker *w)
{
    for (uint32_t k = 0; k < GB_LEVELS; k++)
        if (gbw_live(w, GB_R_PATH + k))
            gbw_drop(w, GB_R_PATH + k);
}

/* Bottom-up: a whole tree of this depth into dst, whose node is at level k. */
static void gb_make(gb_walker *w, uint32_t dst, uint32_t k, uint32_t depth)
{
    if (gbw_failed(w))
        return;
    if (depth == 0) {
        gbw_node(w, dst);
        return;
    }
    gb_make(w, GB_R_LEFT + k, k + 1, depth - 1);
    gb_make(w, GB_R_RIGHT + k, k + 1, depth - 1);
    gbw_node(w, dst);
    if (gbw_failed(w))
        return;
    gbw_set(w, dst, 0, GB_R_LEFT + k);
    gbw_set(w, dst, 1, GB_R_RIGHT + k);
    gbw_drop(w, GB_R_LEFT + k);
    gbw_drop(w, GB_R_RIGHT + k);
}

static void gb_long_lived(gb_walker *w)
{
    gbw_node(w, GB_R_LONG_TREE);
    gb_populate(w, GB_R_LONG_TREE, 0, GB_LONG_LIVED_DEPTH);
    gb_drop_path(w);
    gbw_array(w, GB_R_LONG_ARRAY);
}

/* NumIters(depth), scaled, trees each way, each dropped once built. */
static void gb_construction(gb_walker *w, uint32_t depth, double scale)
{
    uint64_t n = gb_iters(scale, depth);
    for (uint64_t i = 0; i < n && !gbw_stopped(w); i++) {
        gbw_node(w, GB_R_TREE);
        gb_populate(w, GB_R_TREE, 0, depth);
        gbw_drop(w, GB_R_TREE);
        gb_drop_path(w);
    }
    for (uint64_t i = 0; i < n && !gbw_stopped(w); i++) {
        gb_make(w, GB_R_TREE, 0, depth);
        gbw_drop(w, GB_R_TREE);
    }
}

/* The whole program, each part opening with a phase marker; the long-lived
 * tree and array stay in their registers to the end. */
static void gb_walk(gb_walker *w, double scale)
{
    uint32_t phase = 0;
    gbw_phase(w, phase++);
    gb_make(w, GB_R_TREE, 0, GB_STRETCH_DEPTH);
    gbw_drop(w, GB_R_TREE);
    gbw_phase(w, phase++);
    gb_long_lived(w);
    for (uint32_t d = GB_MIN_DEPTH; d <= GB_MAX_DEPTH && !gbw_stopped(w); d += GB_DEPTH_STEP) {
        gbw_phase(w, phase++);
        gb_construction(w, d, scale);
    }
}

#endif
