/*
 * harness/micro/micro_gc.c -- micro layer: collector and replay-loop microbenchmarks for
 * `heapbench-micro` (families registered from harness/micro/micro.c's table).
 *
 *   collect_live/<collector>     one full collection over a live graph of
 *       GRAPH_OBJECTS containers (a random tree: each new container hangs
 *       from a random earlier one's free slot), built untimed; time per
 *       collection, and the counter ns_per_object = that / GRAPH_OBJECTS.
 *   collect_garbage/<collector>  one full collection that frees
 *       GRAPH_OBJECTS containers of cyclic garbage (rings of 2..64),
 *       rebuilt untimed before every collection, with automatic
 *       collections off so the garbage is all there when the timer starts;
 *       GARBAGE_ITERATIONS collections each (the rebuild, not the timed
 *       part, is what costs).  gen-copy's nursery collects on its own while
 *       the rings are built (a nursery cannot be turned off), so its timed
 *       collection finds what was promoted: the counter
 *       freed_per_collection says how much.
 *       rc never frees cycles, and boehm collects on its own while the
 *       garbage is built: their runs are marked failed with that reason
 *       instead of timing something else.
 *   store/<collector>            one field store (SET): the barrier or the
 *       reference-count traffic it costs; values cycle over live objects.
 *   replay/<collector> and direct/<collector>  the same calls, once through
 *       hb_replay over an op stream and once from a C loop that makes them
 *       directly; the difference per op is the interpreter's own cost
 *       (printed by both as ns_per_op; the ratio is computed in the report).
 *
 * Every collector runs over the `malloc` backend (boehm over its own), so
 * only the collector differs.  Pauses reported during these runs are
 * dropped: the benchmark times the call itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "harness/micro/gbench_shim.h"
#include "harness/micro/micro_gc.h"
#include "harness/run/replay.h"
#include "harness/core/rng.h"

#define GRAPH_OBJECTS 1000000u
#define NREGS 64u
#define GARBAGE_ITERATIONS 8u /* collect_garbage: collections timed */
#define REPLAY_ROUNDS 4096u /* the replay stream: 6 ops a round */

typedef struct gc_bench {
    const gc_strategy *gs;
    al_heap heap;
    gc_env env;
    gc_config cfg;
    void *gc;
    hb_obj *regs[NREGS];
} gc_bench;

static void no_pause(void *h, uint64_t s, uint64_t e)
{
    (void)h, (void)s, (void)e;
}

static void no_finalize(void *h, hb_obj *o)
{
    (void)h, (void)o;
}

/* Opens a collector over its allocator, or marks the run failed.  With
 * manual set, no collection happens unless collect() is called (where the
 * strategy has a setting for it: not boehm), so a graph built untimed is
 * still whole when the timed collection starts. */
static int bench_open_cfg(hb_bench_state *st, gc_bench *b, const gc_strategy *gs, int manual)
{
    static char msg[256];
    const char *why = gs->unavailable ? gs->unavailable() : NULL;
    const al_backend *ab = al_find(gs->needs.allocator ? gs->needs.allocator : "malloc");
    if (why == NULL && ab && ab->unavailable)
        why = ab->unavailable();
    if (why) {
        snprintf(msg, sizeof msg, "%s unavailable: %s", gs->name, why);
        hb_bench_error(st, msg);
        return 0;
    }
    memset(b, 0, sizeof *b);
    b->gs = gs;
    if (manual) {
        for (int i = 0; i < 3; i++)
            b->cfg.threshold[i] = UINT32_MAX;
        b->cfg.min_heap_bytes = (size_t)1 << 40;
    }
    if (ab == NULL || al_heap_open(&b->heap, ab, NULL) != 0) {
        hb_bench_error(st, "could not open the heap");
        return 0;
    }
    b->env = (gc_env){.heap = &b->heap, .roots = b->regs, .nroots = NREGS, .cfg = &b->cfg,
                      .harness = b, .pause = no_pause, .finalize = no_finalize};
    b->gc = gs->create(&b->env);
    if (b->gc == NULL) {
        al_heap_close(&b->heap);
        hb_bench_error(st, "could not create the collector");
        return 0;
    }
    return 1;
}

static int bench_open(hb_bench_state *st, gc_bench *b, const gc_strategy *gs)
{
    return bench_open_cfg(st, b, gs, 0);
}

static void bench_close(gc_bench *b)
{
    b->gs->destroy(b->gc);
    al_heap_close(&b->heap);
}

/* ---- collect_live ---- */

/* A random tree of n containers with 2 slots and 16 payload bytes, rooted
 * in register 0.  Returns 0, or -1 when memory ran out. */
static int build_tree(gc_bench *b, uint32_t n, uint64_t seed)
{
    const gc_strategy *gs = b->gs;
    hb_obj **nodes = malloc((size_t)n * sizeof *nodes);
    uint32_t *free_slot = malloc((size_t)n * sizeof *free_slot);
    hb_rng rng;
    hb_rng_seed(&rng, seed);
    if (nodes == NULL || free_slot == NULL ||
        gs->new_obj(b->gc, &b->regs[0], HB_CONTAINER, 0, 2, 16) == NULL) {
        free(nodes);
        free(free_slot);
        return -1;
    }
    nodes[0] = b->regs[0];
    free_slot[0] = 0;
    uint32_t open = 1; /* nodes[0..open) may still have a free slot */
    for (uint32_t i = 1; i < n; i++) {
        if (gs->new_obj(b->gc, &b->regs[1], HB_CONTAINER, 0, 2, 16) == NULL)
            break;
        uint32_t p = (uint32_t)hb_rng_below(&rng, open);
        gs->field_store(b->gc, nodes[p], free_slot[p]++, b->regs[1]);
        if (free_slot[p] == 2) { /* full: swap it out of the open range */
            nodes[p] = nodes[open - 1];
            free_slot[p] = free_slot[open - 1];
            open--;
        }
        nodes[open] = b->regs[1];
        free_slot[open] = 0;
        open++;
    }
    gs->reg_write(b->gc, &b->regs[1], NULL);
    free(nodes);
    free(free_slot);
    return 0;
}

static void bm_collect_live(hb_bench_state *st, void *ctx)
{
    gc_bench b;
    uint64_t n, collections = 0;
    if (strcmp(((const gc_strategy *)ctx)->name, "rc") == 0) {
        hb_bench_error(st, "rc has no collection to time: its cost is in the reference-count "
                           "traffic (store/rc) and its cascades");
        return;
    }
    if (((const gc_strategy *)ctx)->needs.moves_objects) { /* build_tree keeps object pointers */
        hb_bench_error(st, "the tree builder holds objects outside the registers, which a moving collector rewrites");
        return;
    }
    if (!bench_open(st, &b, ctx))
        return;
    if (build_tree(&b, GRAPH_OBJECTS, 42) != 0) {
        hb_bench_error(st, "out of memory building the graph");
        bench_close(&b);
        return;
    }
    b.gs->collect(b.gc); /* settle: nothing young left over from building */
    while (hb_bench_next_batch(st, &n))
        for (uint64_t i = 0; i < n; i++, collections++)
            b.gs->collect(b.gc);
    gc_stats gst;
    b.gs->stats(b.gc, &gst);
    hb_bench_counter(st, "live_objects", (double)gst.objects_live, HB_COUNTER_PLAIN);
    /* (collections x objects) per second, inverted: seconds per object. */
    hb_bench_counter(st, "sec_per_object", (double)collections * GRAPH_OBJECTS,
                     HB_COUNTER_RATE | HB_COUNTER_INVERT);
    bench_close(&b);
}

/* ---- collect_garbage ---- */

/* n containers in rings of 2..64, no register left holding any of them. */
static int build_rings(gc_bench *b, uint32_t n, hb_rng *rng)
{
    const gc_strategy *gs = b->gs;
    uint32_t made = 0;
    while (made < n) {
        uint32_t len = (uint32_t)hb_rng_range(rng, 2, 64);
        if (gs->new_obj(b->gc, &b->regs[1], HB_CONTAINER, 0, 2, 16) == NULL)
            return -1;
        gs->reg_write(b->gc, &b->regs[2], b->regs[1]); /* the ring's first */
        for (uint32_t i = 1; i < len; i++) {
            if (gs->new_obj(b->gc, &b->regs[3], HB_CONTAINER, 0, 2, 16) == NULL)
                return -1;
            gs->field_store(b->gc, b->regs[1], 0, b->regs[3]);
            gs->reg_write(b->gc, &b->regs[1], b->regs[3]);
        }
        gs->field_store(b->gc, b->regs[1], 0, b->regs[2]); /* close the ring */
        made += len;
        for (uint32_t r = 1; r <= 3; r++)
            gs->reg_write(b->gc, &b->regs[r], NULL);
    }
    return 0;
}

static void bm_collect_garbage(hb_bench_state *st, void *ctx)
{
    gc_bench b;
    uint64_t n, freed = 0, collections = 0;
    hb_rng rng;
    hb_rng_seed(&rng, 7);
    if (!bench_open_cfg(st, &b, ctx, 1))
        return;
    if (strcmp(b.gs->name, "rc") == 0 || strcmp(b.gs->name, "boehm") == 0) {
        hb_bench_error(st, strcmp(b.gs->name, "rc") == 0
                               ? "rc never frees cyclic garbage (that is what it measures "
                                 "elsewhere as leaked_objects)"
                               : "boehm collects on its own while the garbage is built (it has "
                                 "no manual mode here), so one timed collection finds little");
        bench_close(&b);
        return;
    }
    hb_bench_set_batch(st, 1);
    while (hb_bench_next_batch(st, &n)) {
        hb_bench_pause(st);
        b.gs->collect(b.gc);
        gc_stats before, after;
        if (build_rings(&b, GRAPH_OBJECTS, &rng) != 0) {
            hb_bench_error(st, "out of memory building the garbage");
            break;
        }
        b.gs->stats(b.gc, &before);
        hb_bench_resume(st);
        b.gs->collect(b.gc);
        hb_bench_pause(st);
        b.gs->stats(b.gc, &after);
        freed += after.objects_freed - before.objects_freed;
        collections++;
        hb_bench_resume(st);
    }
    hb_bench_counter(st, "freed_per_collection", collections ? (double)freed / collections : 0,
                     HB_COUNTER_PLAIN);
    bench_close(&b);
}

/* ---- store ---- */

static void bm_store(hb_bench_state *st, void *ctx)
{
    gc_bench b;
    uint64_t n, k = 0;
    if (!bench_open(st, &b, ctx))
        return;
    const gc_strategy *gs = b.gs;
    int ok = gs->new_obj(b.gc, &b.regs[0], HB_CONTAINER, 0, 8, 0) != NULL;
    for (uint32_t r = 1; r < NREGS && ok; r++)
        ok = gs->new_obj(b.gc, &b.regs[r], HB_LEAF, 0, 0, 16) != NULL;
    if (!ok) {
        hb_bench_error(st, "out of memory");
        bench_close(&b);
        return;
    }
    hb_obj *target = b.regs[0];
    while (hb_bench_next_batch(st, &n)) {
        for (uint64_t i = 0; i < n; i++, k++)
            gs->field_store(b.gc, target, (uint32_t)(k & 7), b.regs[1 + (k % (NREGS - 1))]);
    }
    bench_close(&b);
}

/* ---- replay against direct calls ---- */

/* Round k's registers: a container, a leaf, and a scratch register. */
static inline void round_regs(uint64_t k, uint32_t *a, uint32_t *c, uint32_t *s)
{
    *a = (uint32_t)(k % NREGS);
    *c = (uint32_t)((k * 7 + 3) % NREGS);
    *s = (uint32_t)((k * 13 + 5) % NREGS);
}

static hb_op *replay_stream(void)
{
    static hb_op ops[REPLAY_ROUNDS * 6];
    size_t i = 0;
    for (uint64_t k = 0; k < REPLAY_ROUNDS; k++) {
        uint32_t a, c, x;
        round_regs(k, &a, &c, &x);
        ops[i++] = (hb_op){HB_OP_NEW, HB_CONTAINER, 0, 0, a, 2, 16};
        ops[i++] = (hb_op){HB_OP_NEW, HB_LEAF, 0, 0, c, 0, 16};
        ops[i++] = hb_op_make(HB_OP_SET, a, 0, c);
        ops[i++] = hb_op_make(HB_OP_GET, x, a, 0);
        ops[i++] = hb_op_make(HB_OP_MOV, c, a, 0);
        ops[i++] = hb_op_make(HB_OP_DROP, x, 0, 0);
    }
    return ops;
}

/* The same calls as one round of replay_stream, made directly. */
static inline void direct_round(gc_bench *b, uint64_t k)
{
    const gc_strategy *gs = b->gs;
    uint32_t a, c, x;
    round_regs(k, &a, &c, &x);
    gs->new_obj(b->gc, &b->regs[a], HB_CONTAINER, 0, 2, 16);
    gs->new_obj(b->gc, &b->regs[c], HB_LEAF, 0, 0, 16);
    gs->field_store(b->gc, b->regs[a], 0, b->regs[c]);
    gs->reg_write(b->gc, &b->regs[x], b->regs[a]->refs[0]);
    gs->reg_write(b->gc, &b->regs[c], b->regs[a]);
    gs->reg_write(b->gc, &b->regs[x], NULL);
}

static void bm_replay(hb_bench_state *st, void *ctx)
{
    gc_bench b;
    uint64_t n;
    const hb_op *ops = replay_stream();
    if (!bench_open(st, &b, ctx))
        return;
    hb_vm vm = {.gs = b.gs, .gc = b.gc, .regs = b.regs, .nregs = NREGS};
    hb_bench_set_batch(st, 6 * 64); /* whole rounds, as the direct loop runs */
    uint64_t pos = 0;
    while (hb_bench_next_batch(st, &n)) {
        while (n > 0) {
            uint64_t piece = REPLAY_ROUNDS * 6 - pos < n ? REPLAY_ROUNDS * 6 - pos : n;
            hb_replay(&vm, ops + pos, piece);
            pos = (pos + piece) % (REPLAY_ROUNDS * 6);
            n -= piece;
        }
    }
    if (vm.status != HB_VM_OK)
        hb_bench_error(st, "out of memory");
    hb_bench_counter(st, "noops", (double)vm.noops, HB_COUNTER_PLAIN);
    bench_close(&b);
}

static void bm_direct(hb_bench_state *st, void *ctx)
{
    gc_bench b;
    uint64_t n, ops = 0;
    if (!bench_open(st, &b, ctx))
        return;
    hb_bench_set_batch(st, 6 * 64);
    while (hb_bench_next_batch(st, &n)) {
        for (uint64_t i = 0; i < n; i += 6, ops += 6)
            direct_round(&b, (ops / 6) % REPLAY_ROUNDS);
    }
    bench_close(&b);
}

/* ---- registration ---- */

/* iterations: 0 for the library's choice (until --benchmark_min_time). */
static int register_each(const char *family, hb_bench_fn fn, uint64_t iterations)
{
    char name[128];
    for (size_t i = 0; i < gc_strategy_count; i++) {
        snprintf(name, sizeof name, "%s/%s", family, gc_strategies[i]->name);
        hb_bench *b = hb_bench_register(name, fn, (void *)gc_strategies[i]);
        if (b == NULL)
            return -1;
        if (iterations != 0)
            hb_bench_fixed_iterations(b, iterations);
    }
    return 0;
}

int hb_micro_register_collect_live(void)
{
    return register_each("collect_live", bm_collect_live, 0);
}

int hb_micro_register_collect_garbage(void)
{
    return register_each("collect_garbage", bm_collect_garbage, GARBAGE_ITERATIONS);
}

int hb_micro_register_store(void)
{
    return register_each("store", bm_store, 0);
}

int hb_micro_register_replay(void)
{
    return register_each("replay", bm_replay, 0) || register_each("direct", bm_direct, 0);
}
