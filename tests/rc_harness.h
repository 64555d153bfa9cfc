/*
 * tests/rc_harness.h -- what the reference-counting tests share: a register
 * file, the callbacks that count pauses, collections and finalizer calls,
 * thin wrappers over a strategy's table, the check of every count against
 * the heap, the random store stream and the long chain both strategies are
 * run on.  Included by tests/test_rc.c and tests/test_rc_cycle.c;
 * everything is static.
 */
#ifndef HB_RC_HARNESS_H
#define HB_RC_HARNESS_H

#include <pthread.h>

#include "collectors/collector.h"
#include "harness/core/rng.h"
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

/*
 * Checks the heap against the collector: every register and slot names a
 * live block, every count equals the references found by walking every
 * live block, each block's size is its object's, and the byte and object
 * counts agree with the allocator.
 */
static void th_check(th *t)
{
    talloc *a = t->heap.ctx;
    size_t hdr = t->gs->header_bytes;
    gc_stats s = th_stats(t);
    assert_int_equal(s.objects_live, a->live);
    assert_int_equal(s.objects_live, s.objects_allocated - s.objects_freed);
    assert_int_equal(s.bytes_live, t->heap.live_bytes);
    assert_int_equal(a->bad_frees, 0);
    for (size_t r = 0; r < NREGS; r++)
        if (t->regs[r])
            assert_true(ta_is_live(a, t->regs[r], hdr));
    for (tblock *b = a->head.next; b != &a->head; b = b->next) {
        hb_obj *o = (hb_obj *)((char *)(b + 1) + hdr);
        uint64_t in = 0;
        for (size_t r = 0; r < NREGS; r++)
            in += t->regs[r] == o;
        for (tblock *c = a->head.next; c != &a->head; c = c->next) {
            hb_obj *p = (hb_obj *)((char *)(c + 1) + hdr);
            for (uint32_t i = 0; i < p->nrefs; i++)
                in += p->refs[i] == o;
        }
        assert_int_equal(t->gs->refcount(t->gc, o), in);
        assert_int_equal(b->size, hb_obj_bytes(o, hdr));
        for (uint32_t i = 0; i < o->nrefs; i++)
            if (o->refs[i])
                assert_true(ta_is_live(a, o->refs[i], hdr));
    }
}

/* A ring of n one-slot containers held by register r (r+1 and r+2 are
 * scratch, left empty): the last points back at the first. */
static void th_build_ring(th *t, uint32_t r, int n, uint8_t flags)
{
    th_new(t, r, HB_CONTAINER, flags, 1, 16);
    th_mov(t, r + 1, (int)r);
    for (int i = 1; i < n; i++) {
        th_new(t, r + 2, HB_CONTAINER, flags, 1, 16);
        th_set(t, r + 1, 0, (int)(r + 2));
        th_mov(t, r + 1, (int)(r + 2));
    }
    th_set(t, r + 1, 0, (int)r);
    th_mov(t, r + 1, -1);
    th_mov(t, r + 2, -1);
}

/* ---- the random store stream ---- */

/*
 * The mix of th_random_op.  An op is one of 4 + stores draws: a new leaf,
 * a new object with slots, `stores` draws of SET, a GET (a register takes
 * a child of another) and a MOV.  A switch left off draws nothing, so each
 * test's stream is the one it was measured with.
 */
typedef struct th_mix {
    uint32_t stores;      /* SET's share of the draws */
    uint32_t null_one_in; /* a SET stores NULL one time in this many */
    int finalizers;       /* one new object in four has a finalizer */
    int arrays;           /* a new object with slots is an array half the time */
} th_mix;

static void th_random_new(th *t, hb_rng *rng, const th_mix *m, uint32_t d, int slots)
{
    /* one draw per statement: argument order is unspecified */
    uint8_t kind = HB_LEAF;
    if (slots)
        kind = !m->arrays || hb_rng_below(rng, 2) ? HB_CONTAINER : HB_ARRAY;
    uint8_t fl = m->finalizers && hb_rng_below(rng, 4) == 0 ? HB_F_FINALIZER : 0;
    if (slots) {
        uint32_t n = (uint32_t)hb_rng_range(rng, 1, 4);
        th_new(t, d, kind, fl, n, 8);
    } else {
        uint32_t payload = (uint32_t)hb_rng_below(rng, 40);
        th_new(t, d, kind, fl, 0, payload);
    }
}

/* One op of the stream on registers drawn at random. */
static void th_random_op(th *t, hb_rng *rng, const th_mix *m)
{
    uint32_t d = (uint32_t)hb_rng_below(rng, NREGS);
    uint32_t s = (uint32_t)hb_rng_below(rng, NREGS);
    hb_obj *o = t->regs[s];
    uint64_t op = hb_rng_below(rng, 4 + m->stores);
    if (op < 2) {
        th_random_new(t, rng, m, d, op == 1);
    } else if (op < 2 + m->stores) {
        if (t->regs[d] && t->regs[d]->nrefs) {
            uint32_t i = (uint32_t)hb_rng_below(rng, t->regs[d]->nrefs);
            th_set(t, d, i, hb_rng_below(rng, m->null_one_in) ? (int)s : -1);
        }
    } else if (op == 2 + m->stores) {
        if (o && o->nrefs)
            t->gs->reg_write(t->gc, &t->regs[d], o->refs[hb_rng_below(rng, o->nrefs)]);
    } else {
        th_mov(t, d, hb_rng_below(rng, 3) ? (int)s : -1);
    }
}

/* ---- the long chain ---- */

/* r0 -> o(n-1) -> ... -> o(0), built through r1. */
static void th_build_long_chain(th *t, uint32_t n)
{
    th_new(t, 0, HB_CONTAINER, 0, 1, 0);
    for (uint32_t i = 1; i < n; i++) {
        th_new(t, 1, HB_CONTAINER, 0, 1, 0);
        th_set(t, 1, 0, 0);
        th_mov(t, 0, 1);
    }
    th_mov(t, 1, -1);
}

static void *release_r0(void *arg)
{
    th *t = arg;
    t->gs->reg_write(t->gc, &t->regs[0], NULL);
    return NULL;
}

/* Drops r0 on a thread with a 64 KiB stack: a recursive release of a long
 * chain would overflow it and crash the test. */
static void th_release_on_small_stack(th *t)
{
    pthread_attr_t attr;
    pthread_t tid;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 64 * 1024), 0);
    assert_int_equal(pthread_create(&tid, &attr, release_r0, t), 0);
    assert_int_equal(pthread_join(tid, NULL), 0);
    pthread_attr_destroy(&attr);
}

#endif
