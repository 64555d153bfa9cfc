/*
 * tests/test_gc_fx.h -- the fixture the collector tests share: a heap, a
 * register file of FX_REGS roots, a configuration and one collector driven
 * through its table.  A test's own fixture embeds it first (as `g`) and
 * adds what it records from the callbacks.
 *
 *   memset(f, 0, sizeof *f); gc_fx_heap(&f->g, backend);
 *   f->g.cfg.... = ...;                          (the collector's settings)
 *   gc_fx_start(&f->g, "gen-copy", f, pause, finalize, collected);
 *
 * Included by one test file each; everything is static.
 */
#ifndef HB_TEST_GC_FX_H
#define HB_TEST_GC_FX_H

#include <stdint.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/object.h"

#define FX_REGS 8

typedef struct gc_fx {
    al_heap heap;
    hb_obj *regs[FX_REGS];
    gc_config cfg;
    gc_env env;
    const gc_strategy *s;
    void *ctx;
} gc_fx;

/* The heap over b (its create must succeed). */
static void gc_fx_heap(gc_fx *g, const al_backend *b)
{
    g->heap.b = b;
    g->heap.ctx = b->create(NULL);
    assert_non_null(g->heap.ctx);
}

/* The collector named coll over the heap, the registers as roots and
 * g->cfg, its callbacks told `harness` (finalize and collected may be NULL). */
static void gc_fx_start(gc_fx *g, const char *coll, void *harness,
                        void (*pause)(void *, uint64_t, uint64_t),
                        void (*finalize)(void *, hb_obj *), void (*collected)(void *, int))
{
    g->env = (gc_env){.heap = &g->heap, .roots = g->regs, .nroots = FX_REGS, .cfg = &g->cfg,
                      .harness = harness, .pause = pause, .finalize = finalize,
                      .collected = collected};
    g->s = gc_find(coll);
    assert_non_null(g->s);
    g->ctx = g->s->create(&g->env);
    assert_non_null(g->ctx);
}

static gc_stats gc_fx_stats(gc_fx *g)
{
    gc_stats st;
    g->s->stats(g->ctx, &st);
    return st;
}

/* A new object into register reg: a container when it has slots. */
static hb_obj *gc_fx_new(gc_fx *g, uint32_t reg, uint8_t flags, uint32_t nrefs,
                         uint32_t payload)
{
    uint8_t kind = nrefs ? HB_CONTAINER : HB_LEAF;
    return g->s->new_obj(g->ctx, &g->regs[reg], kind, flags, nrefs, payload);
}

#endif
