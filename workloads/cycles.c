/*
 * workloads/cycles.c -- `cycles`: cyclic garbage, the case reference
 * counting alone cannot reclaim.
 *
 * The stream is a sequence of batches.  A batch builds structures, each held
 * by one root register, until it holds BATCH_OBJECTS objects (or MAX_ROOTS
 * structures), TOUCHes them, then DROPs every root together.  Structures:
 * 2-cycles (20%), rings of 3-1000 objects (log-uniform, 20%), doubly linked
 * lists of 3-1000 (20%), binary trees of depth 2-7 whose nodes point at
 * their parents (25%), and random graphs of 8-200 nodes with 1-4 out-edges
 * each, held through a container of all their nodes (15%).  Every structure
 * is cyclic, so a pure reference counter leaks all of it.  5% of objects
 * carry HB_F_FINALIZER (none with --no-finalizers: the same draws are made,
 * so the stream is the same but for the flag).  Every tenth batch ends with a COLLECT, as a program
 * calling gc.collect() now and then.
 *
 * Parameters: scale multiplies the batch count (CY_BATCHES_PER_SCALE at
 * scale 1.0); a batch's size is fixed, so the live set is too.
 */
#include "workloads/common.h"

/* Calibration: batches at scale 1.0 (about 14,000 ops each). */
#define CY_BATCHES_PER_SCALE 11200.0

#define BATCH_OBJECTS 4096u
#define MAX_ROOTS 64u
#define COLLECT_EVERY 10u
#define TREE_MAX_DEPTH 7u
#define GRAPH_MAX_NODES 200u
#define FINALIZER_SHARE 0.05

enum {
    R_ROOT = 0, /* R_ROOT .. R_ROOT + MAX_ROOTS - 1: the batch */
    R_PREV = MAX_ROOTS,
    R_CUR,
    R_A,
    R_B,
    R_PATH, /* R_PATH + 1 .. R_PATH + TREE_MAX_DEPTH: a tree's path */
    CY_REGS = R_PATH + TREE_MAX_DEPTH + 1
};

typedef struct cy_state {
    wl_gen g;
    uint32_t budget; /* objects the batch may still make */
    int no_finalizers; /* wl_params: the flag is never set */
    /* The random graph being built: each node's slots and payload. */
    uint32_t node_refs[GRAPH_MAX_NODES];
    uint32_t node_payload[GRAPH_MAX_NODES];
} cy_state;

static uint32_t cy_registers(const wl_params *p)
{
    (void)p;
    return CY_REGS;
}

/* A container of nrefs slots into r; FINALIZER_SHARE of them finalizable. */
static void cy_new(cy_state *st, uint32_t r, uint32_t nrefs, uint32_t payload)
{
    /* The draw is made either way, so both variants build the same graph. */
    int fin = wl_chance(&st->g, FINALIZER_SHARE);
    uint8_t flags = fin && !st->no_finalizers ? HB_F_FINALIZER : 0;
    wl_gen_new(&st->g, r, HB_CONTAINER, flags, nrefs, payload);
    if (st->budget > 0)
        st->budget--;
}

/* n, clamped so the batch stays near BATCH_OBJECTS, but at least lo. */
static uint32_t cy_clamp(const cy_state *st, uint32_t n, uint32_t lo)
{
    if (n > st->budget)
        n = st->budget;
    return n < lo ? lo : n;
}

static void cy_drop_if_live(cy_state *st, uint32_t r)
{
    if (st->g.reg[r].live)
        wl_gen_drop(&st->g, r);
}

/* A ring of n >= 2 nodes (n == 2: a 2-cycle), each node's slot 0 the next. */
static void cy_ring(cy_state *st, uint32_t root, uint32_t n)
{
    wl_gen *g = &st->g;
    cy_new(st, root, 1, wl_range(g, 16, 48));
    wl_gen_mov(g, R_PREV, root);
    for (uint32_t i = 1; i < n; i++) {
        cy_new(st, R_CUR, 1, wl_range(g, 16, 48));
        wl_gen_set(g, R_PREV, 0, R_CUR);
        wl_gen_mov(g, R_PREV, R_CUR);
    }
    wl_gen_set(g, R_PREV, 0, root); /* closes the ring */
    cy_drop_if_live(st, R_PREV);
    cy_drop_if_live(st, R_CUR);
}

/* A doubly linked list of n nodes: slot 0 next, slot 1 prev. */
static void cy_dlist(cy_state *st, uint32_t root, uint32_t n)
{
    wl_gen *g = &st->g;
    cy_new(st, root, 2, wl_range(g, 16, 64));
    wl_gen_mov(g, R_PREV, root);
    for (uint32_t i = 1; i < n; i++) {
        cy_new(st, R_CUR, 2, wl_range(g, 16, 64));
        wl_gen_set(g, R_PREV, 0, R_CUR);
        wl_gen_set(g, R_CUR, 1, R_PREV);
        wl_gen_mov(g, R_PREV, R_CUR);
    }
    cy_drop_if_live(st, R_PREV);
    cy_drop_if_live(st, R_CUR);
}

/* Children of the node in register `parent` (at path level k), top-down:
 * slots 0 and 1 the children, slot 2 the parent. */
static void cy_subtree(cy_state *st, uint32_t parent, uint32_t k, uint32_t depth)
{
    if (depth == 0)
        return;
    wl_gen *g = &st->g;
    uint32_t child = R_PATH + k + 1;
    for (uint32_t i = 0; i < 2; i++) {
        cy_new(st, child, 3, 16);
        wl_gen_set(g, parent, i, child);
        wl_gen_set(g, child, 2, parent);
        cy_subtree(st, child, k + 1, depth - 1);
    }
}

static void cy_tree(cy_state *st, uint32_t root, uint32_t depth)
{
    cy_new(st, root, 3, 16);
    cy_subtree(st, root, 0, depth);
    for (uint32_t k = 1; k <= TREE_MAX_DEPTH; k++)
        cy_drop_if_live(st, R_PATH + k);
}

/* n nodes held by a container of n slots in root; every node slot points at
 * a random node. */
static void cy_graph(cy_state *st, uint32_t root, uint32_t n)
{
    wl_gen *g = &st->g;
    wl_gen_new(g, root, HB_CONTAINER, 0, n, 0);
    for (uint32_t i = 0; i < n; i++) {
        st->node_refs[i] = wl_range(g, 1, 4);
        st->node_payload[i] = wl_range(g, 16, 64);
        cy_new(st, R_A, st->node_refs[i], st->node_payload[i]);
        wl_gen_set(g, root, i, R_A);
    }
    for (uint32_t i = 0; i < n; i++) {
        wl_gen_get(g, R_A, root, i,
                   wl_shape_of(HB_CONTAINER, st->node_refs[i], st->node_payload[i]));
        for (uint32_t s = 0; s < st->node_refs[i]; s++) {
            uint32_t j = wl_range(g, 0, n - 1);
            wl_gen_get(g, R_B, root, j,
                       wl_shape_of(HB_CONTAINER, st->node_refs[j], st->node_payload[j]));
            wl_gen_set(g, R_A, s, R_B);
        }
    }
    cy_drop_if_live(st, R_A);
    cy_drop_if_live(st, R_B);
}

static void cy_structure(cy_state *st, uint32_t root)
{
    wl_gen *g = &st->g;
    double u = hb_rng_unit(&g->rng);
    if (u < 0.20) {
        cy_ring(st, root, 2);
    } else if (u < 0.40) {
        cy_ring(st, root, cy_clamp(st, wl_logu(g, 3, 1000), 3));
    } else if (u < 0.60) {
        cy_dlist(st, root, cy_clamp(st, wl_logu(g, 3, 1000), 3));
    } else if (u < 0.85) {
        uint32_t depth = wl_range(g, 2, TREE_MAX_DEPTH);
        while (depth > 2 && (2u << depth) - 1 > st->budget)
            depth--;
        cy_tree(st, root, depth);
    } else {
        cy_graph(st, root, cy_clamp(st, wl_range(g, 8, GRAPH_MAX_NODES), 8));
    }
}

static void cy_batch(cy_state *st, uint64_t b)
{
    wl_gen *g = &st->g;
    uint32_t roots = 0;
    st->budget = BATCH_OBJECTS;
    while (st->budget > 0 && roots < MAX_ROOTS)
        cy_structure(st, R_ROOT + roots++);
    for (uint32_t i = 0; i < roots; i++) {
        if (g->reg[R_ROOT + i].payload > 0)
            wl_gen_touch(g, R_ROOT + i, 16);
    }
    for (uint32_t i = 0; i < roots; i++)
        wl_gen_drop(g, R_ROOT + i);
    if ((b + 1) % COLLECT_EVERY == 0)
        wl_gen_collect(g);
}

static int cy_generate(const wl_params *p, hb_sink *out)
{
    cy_state st;
    if (wl_gen_open(&st.g, "cycles", p, out, CY_REGS) != 0)
        return -1;
    st.no_finalizers = p->no_finalizers;
    uint64_t n = wl_scaled(p->scale, CY_BATCHES_PER_SCALE);
    for (uint64_t b = 0; b < n && !wl_gen_stopped(&st.g); b++)
        cy_batch(&st, b);
    wl_gen_close(&st.g);
    return 0;
}

const wl_workload wl_cycles = {
    .name = "cycles",
    .description = "rings, doubly linked lists, parent-pointer trees and random graphs, "
                   "built and dropped in batches; 5% finalizable",
    .registers = cy_registers,
    .generate = cy_generate,
};
