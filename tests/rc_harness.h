/*
 * tests/rc_harness.h -- what the reference-counting tests share: a register
 * file, the callbacks that count pauses, collections and finalizer calls,
 * and thin wrappers over a strategy's table.  Included by tests/test_rc.c
 * and tests/test_rc_cycle.c; everything is static.
 */
#ifndef HB_RC_HARNESS_H
#define HB_RC_HARNESS_H

#include "collectors/collector.h"
#include "tests/test_heaps.h"

/* Is p the object of a live block? */
static int ta_is_live(talloc *a, const hb_obj *p, size_t hdr)
{
    for (tblock *b = a->head.next; b != &a->head; b = b->next)
        if ((const char *)(b + 1) + hdr == (const char *)p)
            return 1;
    return 0;
}

#define NREGS 16

typedef struct th {
    al_heap heap;
    hb_obj *regs[NREGS];
    gc_config cfg;
    gc_env env;
    const gc_strategy *gs;
    void *gc;
    uint64_t pauses;
    uint64_t last_start, last_end;
    uint64_t collected, collected_full;
    uint64_t finalized, finalized_twice, finalized_broken;
} th;

static void on_pause(void *h, uint64_t s, uint64_t e)
{
    th *t = h;
    t->pauses++;
    t->last_start = s;
    t->last_end = e;
}

static void on_collected(void *h, int full)
{
    th *t = h;
    t->collected++;
    t->collected_full += full != 0;
}

/* A finalizer runs on a whole object: each child it names is still live
 * with a count of at least 1. */
static void on_finalize(void *h, hb_obj *o)
{
    th *t = h;
    t->finalized++;
    if (o->flags & HB_F_FINALIZED)
        t->finalized_twice++;
    for (uint32_t i = 0; i < o->nrefs; i++)
        if (o->refs[i] && t->gs->refcount(t->gc, o->refs[i]) == 0)
            t->finalized_broken++;
}

/* A heap over b with every cascade of two objects or more reported as a
 * pause (timed from its second object, and a pause at any size): the rc
 * tests check the default rule on their own.  The caller may set t->cfg,
 * then calls th_start. */
static void th_begin(th *t, const al_backend *b)
{
    memset(t, 0, sizeof *t);
    t->cfg.rc_pause_min = 2;
    t->cfg.rc_pause_bytes = 1;
    t->heap.b = b;
    t->heap.ctx = b->create(NULL);
    assert_non_null(t->heap.ctx);
}

static void th_start(th *t, const gc_strategy *gs)
{
    t->gs = gs;
    t->env = (gc_env){.heap = &t->heap, .roots = t->regs, .nroots = NREGS, .cfg = &t->cfg,
                      .harness = t, .pause = on_pause, .finalize = on_finalize,
                      .collected = on_collected};
    t->gc = t->gs->create(&t->env);
    assert_non_null(t->gc);
}

static void th_close(th *t)
{
    t->gs->destroy(t->gc);
    assert_int_equal(t->heap.allocs, t->heap.frees);
    assert_int_equal(t->heap.live_bytes, 0);
    t->heap.b->destroy(t->heap.ctx);
}

static gc_stats th_stats(th *t)
{
    gc_stats s;
    t->gs->stats(t->gc, &s);
    return s;
}

static hb_obj *th_new(th *t, uint32_t r, uint8_t kind, uint8_t flags, uint32_t nrefs,
                      uint32_t payload)
{
    hb_obj *o = t->gs->new_obj(t->gc, &t->regs[r], kind, flags, nrefs, payload);
    assert_non_null(o);
    assert_ptr_equal(t->regs[r], o);
    return o;
}

static void th_set(th *t, uint32_t r, uint32_t i, int s)
{
    t->gs->field_store(t->gc, t->regs[r], i, s < 0 ? NULL : t->regs[s]);
}

static void th_mov(th *t, uint32_t d, int s)
{
    t->gs->reg_write(t->gc, &t->regs[d], s < 0 ? NULL : t->regs[s]);
}

#endif
