/*
 * tests/test_rc_cycle.c -- the `rc-cycle` strategy (collectors/rc_cycle.c),
 * driven through its table with a small register file as the roots.
 *
 * As in test_rc.c, the heap is a test-local allocator that lists every live
 * block, so counts, dangling references and reachability are checked by
 * walking the heap independently of the collector.  The generation
 * triggers are checked against hand-computed sequences and against a small
 * model of CPython's counters written here from the specification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/mman.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/clock.h"
#include "harness/core/rng.h"
#include "tests/rc_harness.h"

extern const gc_strategy gc_rc_cycle;

/* The test heaps and the harness (th_*): tests/test_heaps.h, tests/rc_harness.h. */

/* Opens a collector; thresholds of 0 mean the defaults. */
static void th_open3(th *t, const al_backend *b, uint32_t t0, uint32_t t1, uint32_t t2, int py312)
{
    th_begin(t, b);
    t->cfg.threshold[0] = t0;
    t->cfg.threshold[1] = t1;
    t->cfg.threshold[2] = t2;
    t->cfg.cpython312 = py312;
    th_start(t, &gc_rc_cycle);
}

static void th_open(th *t)
{
    th_open3(t, &test_alloc, 0, 0, 0, 0);
}

static tblock *block_of(th *t, hb_obj *o)
{
    return (tblock *)((char *)o - t->gs->header_bytes) - 1;
}

/* Objects reachable from the registers, counted by a walk of our own. */
static uint64_t th_reachable(th *t)
{
    talloc *a = t->heap.ctx;
    hb_obj **stack = malloc((a->live + NREGS + 1) * sizeof *stack);
    size_t n = 0;
    uint64_t reached = 0;
    assert_non_null(stack);
    for (tblock *b = a->head.next; b != &a->head; b = b->next)
        b->mark = 0;
    for (size_t r = 0; r < NREGS; r++)
        if (t->regs[r] && !block_of(t, t->regs[r])->mark) {
            block_of(t, t->regs[r])->mark = 1;
            stack[n++] = t->regs[r];
        }
    while (n > 0) {
        hb_obj *o = stack[--n];
        reached++;
        for (uint32_t i = 0; i < o->nrefs; i++) {
            hb_obj *c = o->refs[i];
            if (c && !block_of(t, c)->mark) {
                block_of(t, c)->mark = 1;
                stack[n++] = c;
            }
        }
    }
    free(stack);
    return reached;
}

/* ---- tests ---- */

static void test_table(void **state)
{
    (void)state;
    assert_string_equal(gc_rc_cycle.name, "rc-cycle");
    assert_int_equal(gc_rc_cycle.header_bytes, 24);
    assert_non_null(gc_rc_cycle.refcount);
    assert_null(gc_rc_cycle.create(NULL));
}

/* A 2-cycle and a 100-ring are freed by collect(), with a leaf only the
 * ring holds; a cycle still named by a register, and a self-cycle held by
 * one, are not.  Opening a ring turns it into a chain that counting frees. */
static void test_cycles_collected(void **state)
{
    (void)state;
    th t;
    th_open(&t);
    th_build_ring(&t, 4, 100, 0);
    t.gs->field_store(t.gc, t.regs[4], 0, NULL);
    assert_int_equal(th_stats(&t).objects_live, 1);
    th_mov(&t, 4, -1);
    assert_int_equal(th_stats(&t).objects_live, 0);
    assert_int_equal(th_stats(&t).collections, 0);

    th_new(&t, 0, HB_CONTAINER, 0, 1, 0); /* the 2-cycle r0 <-> r1 */
    th_new(&t, 1, HB_CONTAINER, 0, 2, 0);
    th_set(&t, 0, 0, 1);
    th_set(&t, 1, 0, 0);
    th_build_ring(&t, 4, 100, 0);
    th_new(&t, 5, HB_CONTAINER, 0, 2, 0); /* a ring member with a leaf */
    th_new(&t, 6, HB_LEAF, 0, 0, 8);
    th_set(&t, 5, 0, 4);
    th_set(&t, 5, 1, 6);
    th_set(&t, 4, 0, 5); /* head -> r5 -> head: the other 99 are freed now */
    assert_int_equal(th_stats(&t).objects_live, 2 + 1 + 2);
    th_mov(&t, 5, -1);
    th_mov(&t, 6, -1);
    th_build_ring(&t, 8, 100, 0);
    th_new(&t, 7, HB_CONTAINER, 0, 1, 0); /* kept: a live self-cycle */
    th_set(&t, 7, 0, 7);
    th_new(&t, 11, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 11, 0, 8); /* r11 -> the 100-ring: reachable for now */
    th_mov(&t, 8, -1);
    th_mov(&t, 0, -1);
    th_mov(&t, 1, -1);
    th_mov(&t, 4, -1);
    assert_int_equal(th_stats(&t).objects_live, 2 + 3 + 100 + 1 + 1);
    t.gs->collect(t.gc);
    gc_stats s = th_stats(&t);
    assert_int_equal(s.objects_live, 100 + 1 + 1);
    assert_int_equal(s.objects_collected, 2 + 3);
    th_check(&t);
    assert_int_equal(th_reachable(&t), s.objects_live);

    th_mov(&t, 11, -1); /* counting frees r11's container; the ring is garbage */
    t.gs->collect(t.gc);
    s = th_stats(&t);
    assert_int_equal(s.objects_live, 1);
    assert_int_equal(s.objects_collected, 105);
    assert_int_equal(s.collections, 2);
    assert_int_equal(s.full_collections, 2);
    assert_int_equal(s.gen_collections[2], 2);
    th_check(&t);
    th_close(&t);
}

/* Random stores with small thresholds (many automatic collections of every
 * generation) and explicit collections: counts stay exact, nothing named is
 * freed, and after each full collection exactly the reachable remain. */
static void test_random_stores(void **state)
{
    (void)state;
    th t;
    th_open3(&t, &test_alloc, 2, 1, 1, 0);
    /* SET three draws in seven, NULL one store in six; one new object in
     * four finalizable, objects with slots arrays half the time */
    static const th_mix mix = {.stores = 3, .null_one_in = 6, .finalizers = 1, .arrays = 1};
    hb_rng rng;
    hb_rng_seed(&rng, 1234);
    for (int batch = 0; batch < 60; batch++) {
        for (int k = 0; k < 200; k++)
            th_random_op(&t, &rng, &mix);
        th_check(&t);
        if (batch % 5 == 4) {
            t.gs->collect(t.gc);
            th_check(&t);
            assert_int_equal(th_reachable(&t), th_stats(&t).objects_live);
        }
    }
    gc_stats s = th_stats(&t);
    assert_true(s.gen_collections[0] > 100);
    assert_true(s.gen_collections[1] > 10);
    assert_true(s.gen_collections[2] > 12); /* some automatic, beyond the 12 explicit */
    assert_true(s.objects_collected > 100);
    assert_int_equal(t.finalized_twice, 0);
    assert_int_equal(t.finalized_broken, 0);
    assert_int_equal(t.finalized, s.finalizers_run);
    assert_int_equal(t.collected, s.collections);
    assert_int_equal(t.collected_full, s.full_collections);
    th_close(&t);
}

/* Cyclic garbage with finalizers: each runs once, on a whole object, before
 * anything is cleared; a finalizer leaf only the cycle holds runs once in
 * the cascade; destroy runs none. */
static void test_cycle_finalizers(void **state)
{
    (void)state;
    th t;
    th_open(&t);
    th_build_ring(&t, 0, 10, HB_F_FINALIZER);
    th_new(&t, 3, HB_CONTAINER, HB_F_FINALIZER, 2, 0);
    th_new(&t, 4, HB_LEAF, HB_F_FINALIZER, 0, 0);
    th_set(&t, 3, 0, 0); /* r3 -> ring */
    th_set(&t, 0, 0, 3); /* ring head -> r3: r3 joins the cycle, the ring's old link goes */
    th_set(&t, 3, 1, 4);
    th_mov(&t, 4, -1);
    gc_stats s = th_stats(&t);
    /* ring head -> r3 -> head: a 2-cycle with the leaf; the other 9 were freed
     * (and finalized) by counting when the head's old link was overwritten */
    assert_int_equal(t.finalized, 9);
    assert_int_equal(s.objects_live, 3);
    th_mov(&t, 0, -1);
    th_mov(&t, 3, -1);
    assert_int_equal(t.finalized, 9);
    t.gs->collect(t.gc);
    s = th_stats(&t);
    assert_int_equal(t.finalized, 12);
    assert_int_equal(s.finalizers_run, 12);
    assert_int_equal(t.finalized_twice, 0);
    assert_int_equal(t.finalized_broken, 0);
    assert_int_equal(s.objects_live, 0);

    th_build_ring(&t, 0, 50, HB_F_FINALIZER);
    th_mov(&t, 0, -1);
    t.gs->collect(t.gc);
    t.gs->collect(t.gc);
    assert_int_equal(t.finalized, 62);
    assert_int_equal(t.finalized_twice, 0);
    assert_int_equal(th_stats(&t).objects_live, 0);

    th_build_ring(&t, 0, 5, HB_F_FINALIZER); /* left for destroy */
    th_mov(&t, 0, -1);
    th_close(&t);
    assert_int_equal(t.finalized, 62);
}

/* Keeps n new containers alive on a chain held by register r. */
static void alloc_kept(th *t, uint32_t r, int n)
{
    for (int i = 0; i < n; i++) {
        th_new(t, 15, HB_CONTAINER, 0, 1, 0);
        th_set(t, 15, 0, (int)r);
        th_mov(t, r, 15);
    }
    th_mov(t, 15, -1);
}

/* gen 0 is collected when tracked allocations minus deallocations exceed
 * threshold[0]: with 10, at the 12th, 23rd, ... allocation, i.e.
 * floor((N - 1) / 11) collections after N. */
static void test_gen0_trigger(void **state)
{
    (void)state;
    th t;
    th_open3(&t, &test_alloc, 10, 1000, 1000, 0);
    alloc_kept(&t, 0, 11);
    assert_int_equal(th_stats(&t).gen_collections[0], 0);
    alloc_kept(&t, 0, 1);
    assert_int_equal(th_stats(&t).gen_collections[0], 1);
    alloc_kept(&t, 0, 1000 - 12);
    gc_stats s = th_stats(&t);
    assert_int_equal(s.gen_collections[0], (1000 - 1) / 11);
    assert_int_equal(s.gen_collections[1], 0);
    assert_int_equal(s.collections, s.gen_collections[0]);
    assert_int_equal(t.pauses, s.collections);
    assert_int_equal(t.collected, s.collections);
    assert_int_equal(t.collected_full, 0);
    th_check(&t);
    th_close(&t);
}

/* Leaves and slotless arrays are not tracked; deallocations of tracked
 * objects subtract, so a container replaced at once never adds up; arrays
 * with slots are tracked. */
static void test_gen0_counts_tracked_only(void **state)
{
    (void)state;
    th t;
    th_open3(&t, &test_alloc, 10, 1000, 1000, 0);
    for (int i = 0; i < 1000; i++)
        th_new(&t, 1, HB_LEAF, 0, 0, 0);
    for (int i = 0; i < 1000; i++)
        th_new(&t, 2, HB_ARRAY, 0, 0, 64);
    for (int i = 0; i < 1000; i++)
        th_new(&t, 3, i % 2 ? HB_ARRAY : HB_CONTAINER, 0, 2, 0);
    assert_int_equal(th_stats(&t).collections, 0);
    for (uint32_t i = 0; i < 10; i++) /* r3 holds one: with 10 more, 11 > 10 */
        th_new(&t, 4 + i, HB_ARRAY, 0, 1, 0);
    assert_int_equal(th_stats(&t).collections, 0);
    th_new(&t, 14, HB_LEAF, 0, 0, 0); /* the check runs at any allocation */
    assert_int_equal(th_stats(&t).collections, 1);
    th_check(&t);
    th_close(&t);
}

/* Counts tracked allocations until the first gen-0 collection. */
static int first_trigger(uint32_t t0, int py312)
{
    th t;
    th_open3(&t, &test_alloc, t0, 0, 0, py312);
    int n = 0;
    while (th_stats(&t).collections == 0) {
        alloc_kept(&t, 0, 1);
        n++;
    }
    th_close(&t);
    return n;
}

/* Defaults: 2000 as CPython 3.13, 700 with cpython312; explicit wins. */
static void test_thresholds(void **state)
{
    (void)state;
    assert_int_equal(first_trigger(0, 0), 2002);
    assert_int_equal(first_trigger(0, 1), 702);
    assert_int_equal(first_trigger(50, 1), 52);
    assert_int_equal(first_trigger(50, 0), 52);
}

/*
 * Promotion: a cycle that survived a gen-0 collection while named lives in
 * gen 1; once garbage, later gen-0 collections leave it and the next gen-1
 * collection frees it.  A cycle that dies young goes at the next gen 0.
 * Thresholds (10, 2, 1000): triggers go gen0, gen0, gen0, gen1, ...
 */
static void test_promotion(void **state)
{
    (void)state;
    th t;
    th_open3(&t, &test_alloc, 10, 2, 1000, 0);
    th_new(&t, 1, HB_CONTAINER, 0, 1, 0);
    th_new(&t, 2, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 1, 0, 2);
    th_set(&t, 2, 0, 1);
    while (th_stats(&t).gen_collections[0] < 1)
        alloc_kept(&t, 0, 1);
    th_mov(&t, 1, -1);
    th_mov(&t, 2, -1);
    while (th_stats(&t).gen_collections[0] < 3)
        alloc_kept(&t, 0, 1);
    gc_stats s = th_stats(&t);
    assert_int_equal(s.gen_collections[1], 0);
    assert_int_equal(s.objects_collected, 0); /* gen 0 did not see it */
    while (th_stats(&t).gen_collections[1] < 1)
        alloc_kept(&t, 0, 1);
    s = th_stats(&t);
    assert_int_equal(s.gen_collections[0], 3);
    assert_int_equal(s.objects_collected, 2);

    /* dies young */
    th_new(&t, 1, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 1, 0, 1);
    th_mov(&t, 1, -1);
    while (th_stats(&t).gen_collections[0] < 4)
        alloc_kept(&t, 0, 1);
    assert_int_equal(th_stats(&t).objects_collected, 3);
    th_check(&t);
    assert_int_equal(th_reachable(&t), th_stats(&t).objects_live);
    th_close(&t);
}

/* Allocation number (after collect()) of the first automatic full
 * collection, with `lived` long-lived containers and thresholds (10,1,1). */
static int first_full(int lived)
{
    th t;
    th_open3(&t, &test_alloc, 10, 1, 1, 0);
    alloc_kept(&t, 0, lived);
    t.gs->collect(t.gc);
    uint64_t full0 = th_stats(&t).full_collections;
    int n = 0;
    while (th_stats(&t).full_collections == full0) {
        alloc_kept(&t, 1, 1);
        n++;
    }
    th_close(&t);
    return n;
}

/*
 * The oldest generation waits for long_lived_pending >= long_lived_total/4.
 * With (10, 1, 1): gen 1 is collected at allocations 34, 67, 100, ...,
 * each adding 33 survivors to pending, and gen 2 becomes eligible by count
 * after the 2nd (allocation 67).  With 100 long-lived, 66 >= 25: the full
 * collection comes at the next trigger, allocation 78.  With 1000, it waits
 * until pending reaches 250: 8 gen-1 collections (allocation 265), then
 * allocation 276.  With 264 (a quarter is 66, exactly pending at 67) it
 * does not wait, as in CPython (it skips only while pending < total / 4).
 */
static void test_long_lived_rule(void **state)
{
    (void)state;
    assert_int_equal(first_full(100), 78);
    assert_int_equal(first_full(1000), 276);
    assert_int_equal(first_full(264), 78);
    assert_int_equal(first_full(268), 111); /* a quarter is 67: waits for the 3rd gen 1 */
}

/* A model of the counters, from the specification, for a stream of kept
 * allocations, leaf allocations and explicit collections. */
typedef struct model {
    uint64_t young, c1, c2, pending, total, n0, n1, n2;
    uint64_t gen[3];
    uint32_t t[3];
} model;

static void model_collect(model *m, int g)
{
    if (g == 0)
        m->c1++;
    else if (g == 1)
        m->c2++;
    if (g >= 1)
        m->c1 = 0;
    if (g >= 2)
        m->c2 = 0;
    m->young = 0;
    m->gen[g]++;
    if (g == 0) {
        m->n1 += m->n0;
        m->n0 = 0;
    } else if (g == 1) {
        m->pending += m->n0 + m->n1;
        m->n2 += m->n0 + m->n1;
        m->n0 = m->n1 = 0;
    } else {
        m->n2 += m->n0 + m->n1;
        m->n0 = m->n1 = 0;
        m->pending = 0;
        m->total = m->n2;
    }
}

/* Any allocation checks the trigger first; only a tracked one counts. */
static void model_alloc(model *m, int tracked)
{
    if (m->young > m->t[0]) {
        if (m->c2 > m->t[2] && !(m->pending < m->total / 4))
            model_collect(m, 2);
        else if (m->c1 > m->t[1])
            model_collect(m, 1);
        else
            model_collect(m, 0);
    }
    if (tracked) {
        m->young++;
        m->n0++;
    }
}

static void test_trigger_model(void **state)
{
    (void)state;
    static const uint32_t ts[][3] = {{10, 1, 1}, {3, 4, 2}, {25, 10, 10}, {1, 1, 1}};
    uint64_t auto_full = 0;
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        th t;
        th_open3(&t, &test_alloc, ts[k][0], ts[k][1], ts[k][2], 0);
        model m = {.t = {ts[k][0], ts[k][1], ts[k][2]}};
        hb_rng rng;
        hb_rng_seed(&rng, 99 + k);
        uint64_t explicit_full = 0;
        for (int i = 0; i < 3000; i++) {
            uint64_t x = hb_rng_below(&rng, 1000);
            if (x == 0) {
                t.gs->collect(t.gc);
                model_collect(&m, 2);
                explicit_full++;
            } else if (x < 100) {
                model_alloc(&m, 0); /* untracked: may collect, counts nothing */
                th_new(&t, 5, HB_LEAF, 0, 0, 0);
            } else {
                model_alloc(&m, 1);
                alloc_kept(&t, (uint32_t)(i % 4), 1);
            }
            gc_stats s = th_stats(&t);
            assert_int_equal(s.gen_collections[0], m.gen[0]);
            assert_int_equal(s.gen_collections[1], m.gen[1]);
            assert_int_equal(s.gen_collections[2], m.gen[2]);
        }
        assert_true(m.gen[1] > 0);
        auto_full += m.gen[2] - explicit_full;
        th_close(&t);
    }
    assert_true(auto_full > 10);
}

/* Pauses: a single free is none; a cascade outside a collection is one; a
 * collection is exactly one, cascades inside it included. */
static void test_pauses(void **state)
{
    (void)state;
    th t;
    th_open(&t);
    th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
    th_mov(&t, 0, -1);
    assert_int_equal(t.pauses, 0);
    th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
    th_new(&t, 1, HB_LEAF, 0, 0, 0);
    th_set(&t, 0, 0, 1);
    th_mov(&t, 1, -1);
    uint64_t before = hb_now_ns();
    th_mov(&t, 0, -1);
    uint64_t after = hb_now_ns();
    assert_int_equal(t.pauses, 1);
    assert_true(before <= t.last_start && t.last_start <= t.last_end && t.last_end <= after);

    /* a garbage 2-cycle holding a tree: clearing it cascades */
    th_new(&t, 0, HB_CONTAINER, 0, 2, 0);
    th_new(&t, 1, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 0, 0, 1);
    th_set(&t, 1, 0, 0);
    th_new(&t, 3, HB_CONTAINER, 0, 2, 0);
    th_new(&t, 4, HB_LEAF, 0, 0, 0);
    th_set(&t, 3, 0, 4);
    th_set(&t, 0, 1, 3);
    th_mov(&t, 3, -1);
    th_mov(&t, 4, -1);
    th_mov(&t, 0, -1);
    th_mov(&t, 1, -1);
    assert_int_equal(th_stats(&t).objects_live, 4);
    uint64_t p0 = t.pauses;
    before = hb_now_ns();
    t.gs->collect(t.gc);
    after = hb_now_ns();
    assert_int_equal(t.pauses, p0 + 1);
    assert_true(before <= t.last_start && t.last_start <= t.last_end && t.last_end <= after);
    assert_int_equal(t.collected, 1);
    assert_int_equal(t.collected_full, 1);
    assert_int_equal(th_stats(&t).objects_live, 0);
    th_close(&t);
}

/* Reachable objects keep their contents across many collections of every
 * generation while cyclic garbage churns around them. */
static void test_reachable_intact(void **state)
{
    (void)state;
    th t;
    th_open3(&t, &test_alloc, 20, 3, 3, 0);
    th_new(&t, 0, HB_CONTAINER, 0, 8, 32);
    memset(hb_obj_payload(t.regs[0]), 0x77, 32);
    for (uint32_t i = 0; i < 8; i++) {
        hb_obj *c = th_new(&t, 1, i % 2 ? HB_ARRAY : HB_CONTAINER, 0, 1, 64);
        memset(hb_obj_payload(c), (int)(0x10 + i), 64);
        th_set(&t, 0, i, 1);
        th_set(&t, 1, 0, 0); /* each child points back: cycles through the root */
    }
    th_mov(&t, 1, -1);
    hb_rng rng;
    hb_rng_seed(&rng, 5);
    for (int k = 0; k < 20000; k++) {
        uint32_t r = (uint32_t)hb_rng_range(&rng, 1, NREGS - 1);
        th_new(&t, r, HB_CONTAINER, 0, 2, 16);
        th_set(&t, r, 0, (int)hb_rng_range(&rng, 1, NREGS - 1));
        th_set(&t, r, 1, (int)hb_rng_range(&rng, 0, NREGS - 1));
    }
    t.gs->collect(t.gc);
    gc_stats s = th_stats(&t);
    assert_true(s.gen_collections[2] > 1);
    assert_true(s.objects_collected > 1000);
    hb_obj *root = t.regs[0];
    for (uint32_t i = 0; i < 32; i++)
        assert_int_equal(hb_obj_payload(root)[i], 0x77);
    for (uint32_t i = 0; i < 8; i++) {
        hb_obj *c = root->refs[i];
        assert_ptr_equal(c->refs[0], root);
        for (uint32_t j = 0; j < 64; j++)
            assert_int_equal(hb_obj_payload(c)[j], 0x10 + i);
    }
    th_check(&t);
    assert_int_equal(th_reachable(&t), s.objects_live);
    th_close(&t);
}

/* When the heap refuses, new_obj collects fully and retries; when even that
 * fails it returns NULL and leaves the register alone. */
static void test_out_of_memory(void **state)
{
    (void)state;
    th t;
    th_open3(&t, &test_alloc, 100000, 0, 0, 0);
    al_heap_set_limit(&t.heap, 100 * (24 + 16 + 8)); /* 100 one-slot containers */
    for (int i = 0; i < 1000; i++) {
        th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
        th_set(&t, 0, 0, 0);
        th_mov(&t, 0, -1);
    }
    gc_stats s = th_stats(&t);
    assert_true(s.full_collections >= 9);
    assert_true(s.objects_collected >= 900);
    th_new(&t, 1, HB_LEAF, 0, 0, 0);
    hb_obj *keep = t.regs[1];
    int refused = 0;
    for (int i = 0; i < 200 && !refused; i++) {
        hb_obj *o = t.gs->new_obj(t.gc, &t.regs[2], HB_CONTAINER, 0, 1, 0);
        if (o == NULL) {
            refused = 1;
            break;
        }
        th_set(&t, 2, 0, 0);
        th_mov(&t, 0, 2);
    }
    assert_true(refused);
    assert_null(t.gs->new_obj(t.gc, &t.regs[1], HB_CONTAINER, 0, 1, 0));
    assert_ptr_equal(t.regs[1], keep);
    th_check(&t);
    assert_int_equal(th_reachable(&t), th_stats(&t).objects_live);
    th_close(&t);
}

/* ---- the 10-million chain ---- */

#define CHAIN 10000000u

/* Ten million containers on a chain, built under the default thresholds
 * (collections of every generation scan it), freed by one release on a
 * 64 KiB thread stack. */
static void test_chain_no_stack_growth(void **state)
{
    (void)state;
    th t;
    th_open3(&t, &arena_alloc, 0, 0, 0, 0);
    th_build_long_chain(&t, CHAIN);
    gc_stats s = th_stats(&t);
    assert_int_equal(s.objects_live, CHAIN);
    assert_true(s.gen_collections[2] > 0);
    uint64_t p0 = t.pauses;
    th_release_on_small_stack(&t);
    s = th_stats(&t);
    assert_int_equal(s.objects_live, 0);
    assert_int_equal(((arena *)t.heap.ctx)->live, 0);
    assert_int_equal(t.pauses, p0 + 1);
    th_close(&t);
}

/* A finalizer that resurrects: it stores its object in register 9. */
static void resurrect_finalize(void *h, hb_obj *o)
{
    th *t = h;
    t->finalized++;
    if (t->regs[9] == NULL)
        t->gs->reg_write(t->gc, &t->regs[9], o);
}

/* A garbage 2-cycle A <-> B with a leaf under A; A's finalizer stores A in
 * a register.  The second detection pass (CPython's
 * handle_resurrected_objects) finds A, B and the leaf reachable again: all
 * stay whole.  Once the register drops, the next collection frees them and
 * the finalizer does not run twice. */
static void test_resurrection(void **state)
{
    (void)state;
    th t;
    th_begin(&t, &test_alloc);
    t.gs = &gc_rc_cycle;
    t.env = (gc_env){.heap = &t.heap, .roots = t.regs, .nroots = NREGS, .cfg = &t.cfg,
                     .harness = &t, .pause = on_pause, .finalize = resurrect_finalize,
                     .collected = on_collected};
    t.gc = t.gs->create(&t.env);
    assert_non_null(t.gc);
    hb_obj *A = th_new(&t, 0, HB_CONTAINER, HB_F_FINALIZER, 2, 0);
    hb_obj *B = th_new(&t, 1, HB_CONTAINER, 0, 1, 0);
    hb_obj *L = th_new(&t, 2, HB_LEAF, 0, 0, 8);
    th_set(&t, 0, 0, 1);
    th_set(&t, 0, 1, 2);
    th_set(&t, 1, 0, 0);
    for (uint32_t r = 0; r < 3; r++)
        th_mov(&t, r, -1);
    t.gs->collect(t.gc);
    assert_int_equal(t.finalized, 1);
    assert_ptr_equal(t.regs[9], A);
    assert_ptr_equal(A->refs[0], B);
    assert_ptr_equal(A->refs[1], L);
    assert_ptr_equal(B->refs[0], A);
    assert_int_equal(th_stats(&t).objects_live, 3);
    th_check(&t);
    th_mov(&t, 9, -1);
    t.gs->collect(t.gc);
    assert_int_equal(th_stats(&t).objects_live, 0);
    assert_int_equal(t.finalized, 1);
    th_close(&t);
}

/* The tuple rule: after a collection, a container whose slots all hold
 * leaves is untracked; one with a NULL slot, or holding a list, or a
 * tracked container, is not; one holding only untracked ones is (same
 * pass, when it comes later in the list, as in CPython). */
static void test_untrack_tuples(void **state)
{
    (void)state;
    th t;
    th_open(&t);
    th_new(&t, 0, HB_CONTAINER, 0, 2, 0); /* (leaf, leaf): untracked */
    th_new(&t, 5, HB_LEAF, 0, 0, 8);
    th_set(&t, 0, 0, 5);
    th_set(&t, 0, 1, 5);
    th_new(&t, 1, HB_CONTAINER, 0, 2, 0); /* (leaf, NULL): tracked */
    th_set(&t, 1, 0, 5);
    th_new(&t, 2, HB_CONTAINER, 0, 1, 0); /* (list,): tracked */
    th_new(&t, 6, HB_ARRAY, 0, 0, 0);     /* an empty list */
    th_set(&t, 2, 0, 6);
    th_new(&t, 3, HB_CONTAINER, 0, 1, 0); /* ((leaf, leaf),): untracked after r0 */
    th_set(&t, 3, 0, 0);
    th_new(&t, 4, HB_CONTAINER, 0, 1, 0); /* ((leaf, NULL),): tracked */
    th_set(&t, 4, 0, 1);
    th_mov(&t, 6, -1);
    assert_int_equal(th_stats(&t).objects_untracked, 0);
    t.gs->collect(t.gc);
    assert_int_equal(th_stats(&t).objects_untracked, 2);
    t.gs->collect(t.gc); /* nothing more: the others stay tracked */
    assert_int_equal(th_stats(&t).objects_untracked, 2);
    th_check(&t);
    th_close(&t);
}

/* The containers the first generation-0 collection untracks, thresholds
 * (10, 1000, 1000), a (leaf, leaf) container in gen 0 beside tracked ones;
 * keep_tuples as --keep-tuples. */
static uint64_t untracked_by_gen0(int keep_tuples)
{
    th t;
    th_begin(&t, &test_alloc);
    t.cfg.threshold[0] = 10;
    t.cfg.threshold[1] = 1000;
    t.cfg.threshold[2] = 1000;
    t.cfg.keep_tuples = keep_tuples;
    th_start(&t, &gc_rc_cycle);
    th_new(&t, 0, HB_CONTAINER, 0, 2, 0);
    th_new(&t, 5, HB_LEAF, 0, 0, 8);
    th_set(&t, 0, 0, 5);
    th_set(&t, 0, 1, 5);
    while (th_stats(&t).collections == 0)
        alloc_kept(&t, 1, 1); /* a chain of tracked containers */
    gc_stats s = th_stats(&t);
    assert_int_equal(s.gen_collections[0], 1);
    assert_int_equal(s.full_collections, 0);
    assert_int_equal(t.collected_full, 0);
    th_check(&t);
    th_close(&t);
    return s.objects_untracked;
}

/* The tuple rule runs in every collection, as CPython's untrack_tuples on
 * the young generation's survivors: a generation-0 collection untracks the
 * (leaf, leaf) container; with --keep-tuples nothing is untracked. */
static void test_untrack_tuples_gen0(void **state)
{
    (void)state;
    assert_int_equal(untracked_by_gen0(0), 1);
    assert_int_equal(untracked_by_gen0(1), 0);
}

/* A store of a container into an untracked one tracks it again, so a cycle
 * made through it is still found: (leaf,) is untracked, then a 1-slot
 * container C holding it is stored into its slot... the cycle T -> C -> T
 * is collected. */
static void test_retrack_on_store(void **state)
{
    (void)state;
    th t;
    th_open(&t);
    th_new(&t, 0, HB_CONTAINER, 0, 1, 0);
    th_new(&t, 1, HB_LEAF, 0, 0, 8);
    th_set(&t, 0, 0, 1);
    t.gs->collect(t.gc);
    assert_int_equal(th_stats(&t).objects_untracked, 1);
    th_new(&t, 2, HB_CONTAINER, 0, 1, 0);
    th_set(&t, 2, 0, 0); /* C -> T */
    th_set(&t, 0, 0, 2); /* T -> C: T is written a container */
    th_mov(&t, 0, -1);
    th_mov(&t, 2, -1);
    assert_int_equal(th_stats(&t).objects_live, 3);
    t.gs->collect(t.gc);
    assert_int_equal(th_stats(&t).objects_live, 1); /* the leaf, in r1 */
    th_check(&t);
    th_close(&t);
}

/* RESIZE moves a list held by one register in place (its items' counts
 * untouched, the object stays collectable in a cycle), and copies one held
 * twice (the other holder keeps the old object). */
static void test_resize(void **state)
{
    (void)state;
    th t;
    th_open(&t);
    th_new(&t, 0, HB_ARRAY, 0, 0, 0); /* [] : tracked from its creation */
    th_new(&t, 1, HB_LEAF, 0, 0, 8);
    hb_obj *n = t.gs->resize(t.gc, &t.regs[0], 4);
    assert_ptr_equal(t.regs[0], n);
    assert_int_equal(n->nrefs, 4);
    for (uint32_t i = 0; i < 4; i++)
        th_set(&t, 0, i, 1);
    assert_int_equal(t.gs->refcount(t.gc, t.regs[1]), 5);
    n = t.gs->resize(t.gc, &t.regs[0], 8);
    assert_int_equal(t.gs->refcount(t.gc, t.regs[1]), 5);
    assert_ptr_equal(n->refs[3], t.regs[1]);
    assert_null(n->refs[4]);
    n = t.gs->resize(t.gc, &t.regs[0], 2); /* shrinking releases the rest */
    assert_int_equal(t.gs->refcount(t.gc, t.regs[1]), 3);
    th_check(&t);
    th_mov(&t, 2, 0); /* now held twice: a copy */
    hb_obj *old = t.regs[0];
    n = t.gs->resize(t.gc, &t.regs[0], 3);
    assert_true(n != old);
    assert_ptr_equal(t.regs[2], old);
    assert_int_equal(old->nrefs, 2);
    assert_int_equal(t.gs->refcount(t.gc, t.regs[1]), 5);
    th_check(&t);
    /* the moved list in a cycle with itself is still collected */
    th_mov(&t, 2, -1);
    th_set(&t, 0, 2, 0);
    th_mov(&t, 0, -1);
    th_mov(&t, 1, -1);
    t.gs->collect(t.gc);
    assert_int_equal(th_stats(&t).objects_live, 0);
    th_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_cycles_collected),
        cmocka_unit_test(test_random_stores),
        cmocka_unit_test(test_cycle_finalizers),
        cmocka_unit_test(test_gen0_trigger),
        cmocka_unit_test(test_gen0_counts_tracked_only),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_promotion),
        cmocka_unit_test(test_long_lived_rule),
        cmocka_unit_test(test_trigger_model),
        cmocka_unit_test(test_pauses),
        cmocka_unit_test(test_reachable_intact),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_chain_no_stack_growth),
        cmocka_unit_test(test_resurrection),
        cmocka_unit_test(test_untrack_tuples),
        cmocka_unit_test(test_untrack_tuples_gen0),
        cmocka_unit_test(test_retrack_on_store),
        cmocka_unit_test(test_resize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
