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

/* The walk's primitives: each one op through the checked emitters. */
struct gb_walker {
    wl_gen g;
};

static void gbw_node(gb_walker *w, uint32_t r)
{
    wl_gen_new(&w->g, r, HB_CONTAINER, 0, GB_NODE_NREFS, GB_NODE_PAYLOAD);
}

static void gbw_set(gb_walker *w, uint32_t node, uint32_t i, uint32_t child)
{
    wl_gen_set(&w->g, node, i, child);
}

static void gbw_get(gb_walker *w, uint32_t dst, uint32_t node, uint32_t i)
{
    wl_gen_get(&w->g, dst, node, i, wl_shape_of(HB_CONTAINER, GB_NODE_NREFS, GB_NODE_PAYLOAD));
}

static void gbw_drop(gb_walker *w, uint32_t r)
{
    wl_gen_drop(&w->g, r);
}

static int gbw_live(gb_walker *w, uint32_t r)
{
    return w->g.reg[r].live;
}

static void gbw_array(gb_walker *w, uint32_t r)
{
    wl_gen_new(&w->g, r, HB_ARRAY, 0, 0, GB_ARRAY_BYTES);
    wl_gen_touch(&w->g, r, GB_ARRAY_WRITTEN);
}

static void gbw_phase(gb_walker *w, uint32_t n)
{
    wl_gen_phase(&w->g, n);
}

/* A stream has no failure inside a tree: a stopped sink drops what follows. */
static int gbw_failed(gb_walker *w)
{
    (void)w;
    return 0;
}

static int gbw_stopped(gb_walker *w)
{
    return wl_gen_stopped(&w->g);
}

static int gb_generate(const wl_params *p, hb_sink *out)
{
    gb_walker w;
    if (wl_gen_open(&w.g, "gcbench", p, out, GB_REGS) != 0)
        return -1;
    gb_walk(&w, p->scale);
    wl_gen_close(&w.g);
    return 0;
}

const wl_workload wl_gcbench = {
    .name = "gcbench",
    .description = "GCBench: trees of depth 4-16 built top-down and bottom-up beside a "
                   "long-lived tree and array",
    .registers = gb_registers,
    .generate = gb_generate,
};
