/*
 * workloads/gcbench.c -- `gcbench`: the shape of Boehm's GCBench, binary
 * trees built top-down and bottom-up next to long-lived data.
 *
 * In order, each part opening with a PHASE marker (0, 1, 2, ...):
 *   0. a stretch tree of depth GB_STRETCH_DEPTH (18), built bottom-up and
 *      dropped, to grow the heap once;
 *   1. a long-lived tree of depth GB_LONG_LIVED_DEPTH (16), built top-down, and
 *      a long-lived array of 500,000 doubles (a 4,000,000-byte HB_ARRAY leaf
 *      payload, half of it written, as GCBench fills half), both kept in
 *      registers to the end of the stream;
 *   2.. for each depth d = 4, 6, ..., 16: NumIters(d) trees built top-down
 *      (NEW the node, then NEW its two children and SET them, then populate
 *      each child) and as many bottom-up (make both children, then NEW the
 *      node and SET them), each dropped once built.
 * A tree of depth d has TreeSize(d) = 2^(d+1) - 1 nodes; NumIters(d) =
 * 2 * TreeSize(18) / TreeSize(d), so every depth allocates about the same
 * number of nodes.  A node is a container of 2 references and 8 payload
 * bytes (GCBench's two ints); nodes at the bottom have NULL children.  The
 * numbers and the register file are workloads/gcbench.h's, shared with the
 * native twin (harness/micro/gcbench_native.c).
 *
 * Parameters: scale multiplies NumIters(d), rounded, at least 1 per depth;
 * the stretch and long-lived depths and the array stay fixed, so a stream
 * at any scale has about 1 M ops of fixed work (the stretch and long-lived
 * trees) and, below scale 0.125, the floor of one tree per depth adds more.
 * Scale 1.0 is GCBench itself: about 15 M nodes, about 45 M ops.
 */
#include "workloads/gcbench.h"

static uint32_t gb_registers(const wl_params *p)
{
    (void)p;
    return GB_REGS;
}

static void gb_new_node(wl_gen *g, uint32_t r)
{
    wl_gen_new(g, r, HB_CONTAINER, 0, GB_NODE_NREFS, GB_NODE_PAYLOAD);
}

static wl_shape gb_node_shape(void)
{
    return wl_shape_of(HB_CONTAINER, GB_NODE_NREFS, GB_NODE_PAYLOAD);
}

/* Top-down: gives the node in register `node` (at level k) two new
 * children, then populates each; depth counts the levels still to add. */
static void gb_populate(wl_gen *g, uint32_t node, uint32_t k, uint32_t depth)
{
    if (depth == 0)
        return;
    uint32_t child = GB_R_PATH + k;
    gb_new_node(g, child);
    wl_gen_set(g, node, 0, child);
    gb_new_node(g, child);
    wl_gen_set(g, node, 1, child);
    if (depth == 1)
        return;
    for (uint32_t i = 0; i < 2; i++) {
        wl_gen_get(g, child, node, i, gb_node_shape());
        gb_populate(g, child, k + 1, depth - 1);
    }
}

static void gb_drop_path(wl_gen *g)
{
    for (uint32_t k = 0; k < GB_LEVELS; k++) {
        if (g->reg[GB_R_PATH + k].live)
            wl_gen_drop(g, GB_R_PATH + k);
    }
}

/* Bottom-up: a whole tree of this depth into dst, whose node is at level k. */
static void gb_make(wl_gen *g, uint32_t dst, uint32_t k, uint32_t depth)
{
    if (depth == 0) {
        gb_new_node(g, dst);
        return;
    }
    gb_make(g, GB_R_LEFT + k, k + 1, depth - 1);
    gb_make(g, GB_R_RIGHT + k, k + 1, depth - 1);
    gb_new_node(g, dst);
    wl_gen_set(g, dst, 0, GB_R_LEFT + k);
    wl_gen_set(g, dst, 1, GB_R_RIGHT + k);
    wl_gen_drop(g, GB_R_LEFT + k);
    wl_gen_drop(g, GB_R_RIGHT + k);
}

static void gb_long_lived(wl_gen *g)
{
    gb_new_node(g, GB_R_LONG_TREE);
    gb_populate(g, GB_R_LONG_TREE, 0, GB_LONG_LIVED_DEPTH);
    gb_drop_path(g);
    wl_gen_new(g, GB_R_LONG_ARRAY, HB_ARRAY, 0, 0, GB_ARRAY_BYTES);
    wl_gen_touch(g, GB_R_LONG_ARRAY, GB_ARRAY_WRITTEN);
}

/* NumIters(depth), scaled, trees each way, each dropped once built. */
static void gb_construction(wl_gen *g, uint32_t depth, double scale)
{
    uint64_t n = gb_iters(scale, depth);
    for (uint64_t i = 0; i < n && !wl_gen_stopped(g); i++) {
        gb_new_node(g, GB_R_TREE);
        gb_populate(g, GB_R_TREE, 0, depth);
        wl_gen_drop(g, GB_R_TREE);
        gb_drop_path(g);
    }
    for (uint64_t i = 0; i < n && !wl_gen_stopped(g); i++) {
        gb_make(g, GB_R_TREE, 0, depth);
        wl_gen_drop(g, GB_R_TREE);
    }
}

static int gb_generate(const wl_params *p, hb_sink *out)
{
    wl_gen g;
    if (wl_gen_open(&g, "gcbench", p, out, GB_REGS) != 0)
        return -1;
    uint32_t phase = 0;
    wl_gen_phase(&g, phase++);
    gb_make(&g, GB_R_TREE, 0, GB_STRETCH_DEPTH);
    wl_gen_drop(&g, GB_R_TREE);
    wl_gen_phase(&g, phase++);
    gb_long_lived(&g);
    for (uint32_t d = GB_MIN_DEPTH; d <= GB_MAX_DEPTH && !wl_gen_stopped(&g); d += GB_DEPTH_STEP) {
        wl_gen_phase(&g, phase++);
        gb_construction(&g, d, p->scale);
    }
    /* The long-lived tree and array stay in their registers: live at the end. */
    wl_gen_close(&g);
    return 0;
}

const wl_workload wl_gcbench = {
    .name = "gcbench",
    .description = "GCBench: trees of depth 4-16 built top-down and bottom-up beside a "
                   "long-lived tree and array",
    .registers = gb_registers,
    .generate = gb_generate,
};
