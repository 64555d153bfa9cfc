/*
 * tests/test_incremental.c -- the `incremental` collector.
 *
 * Three ways: through hb_run with the reachability oracle (random op
 * streams on every allocator that can run here, and every workload on pool,
 * malloc and bump), with the collector's debug validator of the tri-colour
 * invariant run after every step through the test hook; and directly over
 * the listing allocator of tests/test_heaps.h, for the deletion barrier
 * (an object moved from a white object into a black one during marking
 * survives; the same move without the barrier is caught by the validator),
 * for complete collections, for the pacing (a cycle is many steps), and
 * for the sweep's move of the table's tail (paid by the step's budget).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/test_rows.h"
#include "collectors/ms_core.h"
#include "harness/core/rng.h"
#include "harness/run/oracle.h"
#include "harness/run/run.h"
#include "tests/test_heaps.h"
#include "tests/test_gc_fx.h"
#include "tests/test_random_ops.h"

/* The test seams of collectors/incremental.c (not in a header). */
void gc_incremental_step_hook(void (*hook)(void *ctx, void *arg), void *arg);
uint64_t gc_incremental_validate(void *ctx);
int gc_incremental_marking(void *ctx);
void gc_incremental_last_step(void *ctx, size_t *budget, size_t *moved);

/* ---- the validator after every step ---- */

typedef struct vstate {
    uint64_t steps, checked, violations;
    uint64_t every; /* validate every this many steps */
} vstate;

static void validate_hook(void *ctx, void *arg)
{
    vstate *v = arg;
    if (v->steps++ % v->every != 0)
        return;
    v->checked++;
    v->violations += gc_incremental_validate(ctx);
}

/* HB_TEST_QUICK set (and not "0"): the valgrind pass of scripts/test.sh. */
static int quick(void)
{
    const char *q = getenv("HB_TEST_QUICK");
    return q != NULL && *q != '\0' && strcmp(q, "0") != 0;
}

/* ---- a random op stream (tests/test_random_ops.h) ---- */

/* One array in 50 wider than one scan chunk; a COLLECT rare (one drawn in
 * 50 kept): the cycles should be the paced ones. */
TEST_RANDOM_WORKLOAD(random_workload, 4096, 50, 50);

static void run_one(hb_run_config *cfg, seen *s, const char *what)
{
    memset(s, 0, sizeof *s);
    int rc = hb_run(cfg, keep_row, s, NULL);
    if (rc != 0 || s->n != 1 || strcmp(s->row.status, "ok") != 0)
        fail_msg("%s on %s: exit %d, status %s", what, cfg->alloc, rc,
                 s->n ? s->row.status : "(no row)");
}

/* Random streams on every allocator that runs here (boehm's heap is the
 * boehm collector's pairing), the oracle on every check, the validator
 * after every step. */
static void test_random_streams_every_allocator(void **state)
{
    (void)state;
    const double scale = quick() ? 0.05 : 0.3;
    size_t ran = 0;
    for (size_t i = 0; i < al_backend_count; i++) {
        const al_backend *a = al_backends[i];
        if ((a->unavailable && a->unavailable()) || strcmp(a->name, "boehm") == 0)
            continue;
        vstate v = {.every = 1};
        gc_incremental_step_hook(validate_hook, &v);
        hb_run_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.alloc = a->name;
        cfg.coll = "incremental";
        cfg.custom_work = &random_workload;
        cfg.wp.scale = scale;
        cfg.wp.seed = 500 + i;
        cfg.reps = 1;
        cfg.oracle = 1;
        cfg.gcfg.min_heap_bytes = 1u << 20; /* many cycles, each several steps */
        seen s;
        run_one(&cfg, &s, "random");
        gc_incremental_step_hook(NULL, NULL);
        print_message("%s: %llu cycles, %llu pauses, %llu steps validated, %llu violations\n",
                      a->name, (unsigned long long)s.row.collections,
                      (unsigned long long)s.row.pauses, (unsigned long long)v.checked,
                      (unsigned long long)v.violations);
        assert_int_equal(v.violations, 0);
        /* Shrunk streams (HB_TEST_QUICK) run about a fifth of the cycles. */
        assert_true(v.checked > (quick() ? 15u : 100u));
        assert_true(s.row.collections > (quick() ? 5u : 10u));
        assert_true(s.row.pauses > s.row.collections); /* some cycles are several steps */
        assert_int_equal(s.row.leaked_objects, 0);
        assert_true(s.row.finalizers_run > 0);
        ran++;
    }
    assert_true(ran >= 3); /* pool, malloc, bump at least */
}

/* Every workload on pool, malloc and bump, small, under the oracle; the
 * validator after every step (every 64th where the heap is large). */
static void test_workloads_under_oracle(void **state)
{
    (void)state;
    static const char *const allocs[] = {"pool", "malloc", "bump"};
    for (size_t w = 0; w < wl_workload_count; w++) {
        if (wl_workloads[w]->heap) /* allocator workloads: no collector (test_threads) */
            continue;
        int big = strcmp(wl_workloads[w]->name, "gcbench") == 0 ||
                  strcmp(wl_workloads[w]->name, "server") == 0;
        if (quick() && big)
            continue;
        for (size_t i = 0; i < 3; i++) {
            vstate v = {.every = big ? 64 : 1};
            gc_incremental_step_hook(validate_hook, &v);
            hb_run_config cfg;
            memset(&cfg, 0, sizeof cfg);
            cfg.alloc = allocs[i];
            cfg.coll = "incremental";
            cfg.work = wl_workloads[w]->name;
            cfg.wp.scale = 0.002;
            cfg.wp.seed = 11;
            cfg.reps = 1;
            cfg.oracle = 16;
            cfg.gcfg.min_heap_bytes = 65536;
            seen s;
            run_one(&cfg, &s, cfg.work);
            gc_incremental_step_hook(NULL, NULL);
            print_message("%s/%s: %llu cycles, %llu validated\n", cfg.work, allocs[i],
                          (unsigned long long)s.row.collections, (unsigned long long)v.checked);
            assert_int_equal(v.violations, 0);
            assert_true(v.checked > 0);
            assert_int_equal(s.row.noop_ops, 0);
            assert_int_equal(s.row.leaked_objects, 0);
        }
    }
}

/* ---- directly, over the listing allocator ---- */

typedef struct fx {
    gc_fx g;
    uint64_t pauses, completes;
} fx;

static void fx_pause(void *h, uint64_t a, uint64_t b)
{
    (void)a;
    (void)b;
    ((fx *)h)->pauses++;
}

static void fx_collected(void *h, int full)
{
    ((fx *)h)->completes += full ? 1 : 0;
}

static void fx_open(fx *f, size_t min_heap)
{
    memset(f, 0, sizeof *f);
    gc_fx_heap(&f->g, &test_alloc);
    f->g.cfg.min_heap_bytes = min_heap;
    gc_fx_start(&f->g, "incremental", f, fx_pause, NULL, fx_collected);
}

static void fx_close(fx *f)
{
    gc_stats st = gc_fx_stats(&f->g);
    assert_int_equal(st.objects_live, st.objects_allocated - st.objects_freed);
    f->g.s->destroy(f->g.ctx);
    talloc *a = f->g.heap.ctx;
    assert_int_equal(a->live, 0);
    assert_int_equal(a->bad_frees, 0);
    test_alloc.destroy(f->g.heap.ctx);
}

static hb_obj *fx_new(fx *f, uint32_t reg, uint32_t nrefs, uint32_t payload)
{
    hb_obj *o = gc_fx_new(&f->g, reg, 0, nrefs, payload);
    assert_non_null(o);
    return o;
}

typedef struct stepcount {
    uint64_t steps;
} stepcount;

static void count_hook(void *ctx, void *arg)
{
    (void)ctx;
    ((stepcount *)arg)->steps++;
}

/* A chain of 10,000 nodes from regs[0], its deepest node holding a leaf B;
 * garbage in regs[1] until a cycle has made two steps and is marking (the
 * chain's deep end is still white then). */
static hb_obj *build_and_start(fx *f, stepcount *sc, hb_obj **deepest)
{
    *deepest = fx_new(f, 0, 2, 8);
    hb_obj *b = fx_new(f, 2, 0, 64);
    memset(hb_obj_payload(b), 0x5a, 64);
    f->g.s->field_store(f->g.ctx, *deepest, 1, b);
    f->g.s->reg_write(f->g.ctx, &f->g.regs[2], NULL);
    for (int i = 0; i < 10000; i++) {
        hb_obj *n = f->g.s->new_obj(f->g.ctx, &f->g.regs[3], HB_CONTAINER, 0, 2, 8);
        f->g.s->field_store(f->g.ctx, n, 0, f->g.regs[0]);
        f->g.s->reg_write(f->g.ctx, &f->g.regs[0], n);
    }
    f->g.s->reg_write(f->g.ctx, &f->g.regs[3], NULL);
    assert_int_equal(sc->steps, 0);
    while (!(sc->steps >= 2 && gc_incremental_marking(f->g.ctx)))
        fx_new(f, 1, 0, 1000);
    return b;
}

/* During marking, B is moved from the white deepest node into a new (black)
 * object: through field_store the barrier shades it, the invariant holds
 * after every step and B survives the cycle intact. */
static void test_deletion_barrier_keeps_moved_object(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 1u << 20);
    stepcount sc = {0};
    gc_incremental_step_hook(count_hook, &sc);
    hb_obj *deepest, *b = build_and_start(&f, &sc, &deepest);
    assert_int_equal(gc_incremental_validate(f.g.ctx), 0);
    hb_obj *c = fx_new(&f, 4, 1, 0); /* allocated black */
    f.g.s->field_store(f.g.ctx, c, 0, b);
    f.g.s->field_store(f.g.ctx, deepest, 1, NULL); /* shades b */
    f.g.s->reg_write(f.g.ctx, &f.g.regs[0], NULL);   /* the chain dies */
    assert_int_equal(gc_incremental_validate(f.g.ctx), 0);
    uint64_t steps = sc.steps;
    while (gc_incremental_marking(f.g.ctx) || sc.steps == steps) {
        fx_new(&f, 1, 0, 1000);
        assert_int_equal(gc_incremental_validate(f.g.ctx), 0);
    }
    /* Marking 10,000 nodes (about 400 KB of work) took several bounded
     * steps, not one. */
    assert_true(sc.steps >= 5);
    for (int i = 0; i < 20000; i++) /* to the end of this cycle and the next */
        fx_new(&f, 1, 0, 1000);
    gc_incremental_step_hook(NULL, NULL);
    assert_ptr_equal(c->refs[0], b);
    for (int i = 0; i < 64; i++)
        assert_int_equal(hb_obj_payload(b)[i], 0x5a); /* ASan: not freed */
    gc_stats st;
    f.g.s->stats(f.g.ctx, &st);
    assert_true(st.collections >= 2);
    assert_true(st.objects_collected >= 10000); /* the dead chain went */
    fx_close(&f);
}

/* The same move as a raw store, bypassing the barrier: the validator must
 * see the white B reachable only through a black object.  (Put back before
 * the cycle goes on, so nothing is freed wrongly.) */
static void test_validator_catches_missing_barrier(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 1u << 20);
    stepcount sc = {0};
    gc_incremental_step_hook(count_hook, &sc);
    hb_obj *deepest, *b = build_and_start(&f, &sc, &deepest);
    gc_incremental_step_hook(NULL, NULL);
    hb_obj *c = fx_new(&f, 4, 1, 0);
    c->refs[0] = b;       /* raw: no barrier */
    deepest->refs[1] = NULL;
    assert_true(gc_incremental_validate(f.g.ctx) > 0);
    deepest->refs[1] = b; /* restore: reachable from gray again */
    assert_int_equal(gc_incremental_validate(f.g.ctx), 0);
    fx_close(&f);
}

/* collect() is complete: after it, only what the registers reach is left,
 * even what died in the middle of a cycle; it is one pause. */
static void test_collect_is_complete(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 65536);
    for (int i = 0; i < 5000; i++) {
        hb_obj *o = fx_new(&f, (uint32_t)(i % 4), 2, 16);
        f.g.s->field_store(f.g.ctx, o, 0, f.g.regs[(i + 1) % 4]);
    }
    gc_stats st;
    f.g.s->stats(f.g.ctx, &st);
    assert_true(st.collections > 0); /* cycles ran during allocation */
    uint64_t reach, bytes;
    assert_int_equal(hb_reachable(f.g.regs, 8, 0, &reach, &bytes), 0);
    uint64_t pauses = f.pauses;
    f.g.s->collect(f.g.ctx);
    assert_int_equal(f.pauses, pauses + 1);
    assert_int_equal(f.completes, 1);
    f.g.s->stats(f.g.ctx, &st);
    assert_int_equal(st.full_collections, 1);
    assert_int_equal(st.objects_live, reach);
    assert_int_equal(st.bytes_live, bytes);
    assert_int_equal(((talloc *)f.g.heap.ctx)->live, reach);
    assert_int_equal(gc_incremental_validate(f.g.ctx), 0); /* no colour left */
    fx_close(&f);
}

/* ---- the sweep's move of the entries allocated since it began ---- */

#define MOVE_WORK 8u /* collectors/incremental.c's IC_MOVE_WORK */

typedef struct movecheck {
    uint64_t steps, over, moving;
    size_t most, most_budget; /* the step that moved most, and its budget */
} movecheck;

static void move_hook(void *ctx, void *arg)
{
    movecheck *m = arg;
    size_t budget, moved;
    gc_incremental_last_step(ctx, &budget, &moved);
    m->steps++;
    m->over += moved > budget / MOVE_WORK + 1;
    m->moving += moved > 0;
    if (moved > m->most) {
        m->most = moved;
        m->most_budget = budget;
    }
}

/* Small objects allocated fast while a sweep runs leave it a long tail of
 * table entries to move down behind the survivors (most of the table, as in
 * gcbench): no step moves more of them than its budget pays at MOVE_WORK
 * each, and the move is spread over several steps.  (At one unit a move, a
 * step moved up to its whole budget, 49,200 entries: 40-100 us where the
 * other steps took 7.) */
static void test_sweep_move_paid_by_budget(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 1u << 20);
    movecheck m = {0};
    gc_incremental_step_hook(move_hook, &m);
    for (int i = 0; i < 20000; i++) { /* survivors: a chain from regs[0] */
        hb_obj *n = fx_new(&f, 3, 1, 0);
        f.g.s->field_store(f.g.ctx, n, 0, f.g.regs[0]);
        f.g.s->reg_write(f.g.ctx, &f.g.regs[0], n);
    }
    for (int i = 0; gc_fx_stats(&f.g).collections < 3; i++) { /* garbage */
        assert_true(i < 4000000);
        fx_new(&f, 1, 0, 0);
    }
    gc_incremental_step_hook(NULL, NULL);
    gc_stats st = gc_fx_stats(&f.g);
    print_message("%llu cycles, %llu steps, %llu of them moving entries, most %zu (budget %zu)\n",
                  (unsigned long long)st.collections, (unsigned long long)m.steps,
                  (unsigned long long)m.moving, m.most, m.most_budget);
    assert_true(st.collections >= 2);
    assert_int_equal(m.over, 0);
    assert_true(m.moving >= 2 * st.collections); /* each sweep moved entries */
    size_t chain = 0;
    for (hb_obj *o = f.g.regs[0]; o != NULL; o = o->refs[0])
        chain++;
    assert_int_equal(chain, 20000);
    fx_close(&f);
}

/* ms_core's sweep alone (incremental's unit for the move), over a table
 * of 30,000 dead objects, then 20,000 marked ones, with new (white)
 * entries appended between steps: 100 a step over the dead ones, 1,000
 * over the marked ones, so that at the end there are more new entries to
 * move down than a step can pay for.  Every step's work is at most its
 * budget plus one object's unit, it moves at most budget / MOVE_WORK + 1
 * entries, and the table ends up holding the survivors and the new
 * entries, each once, colourless, in the order they were allocated. */
#define SW_DEAD 30000u
#define SW_LIVE 20000u
#define SW_PAYLOAD 64u
#define SW_EXPECT 0x4000u /* gcbits: the test expects it in the table */

static void sweep_add(ms_core *c, uint16_t colour, uint16_t expect)
{
    size_t bytes = hb_obj_body_bytes(0, SW_PAYLOAD);
    assert_int_equal(ms_table_room(&c->all), 0);
    void *block = al_alloc(c->env.heap, bytes);
    assert_non_null(block);
    hb_obj *o = ms_init_object(c, &c->all, block, bytes, HB_LEAF, 0, 0, SW_PAYLOAD, colour);
    o->gcbits |= expect;
}

static void test_sweep_steps_bounded(void **state)
{
    (void)state;
    al_heap heap = {.b = &test_alloc, .ctx = test_alloc.create(NULL)};
    assert_non_null(heap.ctx);
    gc_env env = {.heap = &heap};
    ms_core c;
    memset(&c, 0, sizeof c);
    assert_int_equal(ms_core_init(&c, &env, 4096), 0);
    for (unsigned i = 0; i < SW_DEAD; i++)
        sweep_add(&c, 0, 0);
    for (unsigned i = 0; i < SW_LIVE; i++)
        sweep_add(&c, MS_COLOUR, SW_EXPECT);
    ms_sweep s;
    ms_sweep_begin(&s, &c.all);
    s.move_work = MOVE_WORK;
    const size_t budget = 49152; /* a paced step's: 32 KiB x 1.5 */
    const size_t unit = MS_WORK_SWEEP + hb_obj_body_bytes(0, SW_PAYLOAD) / MS_WORK_FREE_DIV;
    size_t added = 0, most = 0, steps = 0;
    while (!s.done) {
        unsigned n = s.r < SW_DEAD ? 100 : 1000;
        for (unsigned i = 0; i < n && steps < 200; i++, added++)
            sweep_add(&c, 0, SW_EXPECT);
        size_t moved = s.moved, work = ms_sweep_step(&c, &c.all, &s, budget);
        moved = s.moved - moved;
        assert_true(work <= budget + unit);
        assert_true(moved <= budget / MOVE_WORK + 1);
        most = moved > most ? moved : most;
        assert_true(++steps < 1000);
    }
    print_message("%zu steps, %zu added, most moved in a step %zu\n", steps, added, most);
    assert_true(most + 1 >= budget / MOVE_WORK); /* a move was cut by the budget */
    assert_int_equal(c.all.len, SW_LIVE + added);
    assert_int_equal(c.st.objects_live, SW_LIVE + added);
    assert_int_equal(c.st.objects_collected, SW_DEAD);
    for (size_t i = 0; i < c.all.len; i++) {
        hb_obj *o = (hb_obj *)hb_vec_words(&c.all)[i];
        assert_int_equal(o->gcbits, SW_EXPECT); /* expected, colourless */
        if (i > 0) /* serials grow with allocation: in order, none twice */
            assert_true(o->serial > ((hb_obj *)hb_vec_words(&c.all)[i - 1])->serial);
    }
    ms_core_fini(&c);
    assert_int_equal(((talloc *)heap.ctx)->live, 0);
    test_alloc.destroy(heap.ctx);
}

static void test_registered(void **state)
{
    (void)state;
    const gc_strategy *s = gc_find("incremental");
    assert_non_null(s);
    assert_int_equal(s->header_bytes, 0);
    assert_null(s->needs.allocator);
    assert_non_null(strstr(s->description, "incremental"));
    gc_config cfg = {.growth = 0.5};
    hb_obj *regs[1] = {NULL};
    al_heap heap = {.b = &test_alloc};
    gc_env env = {.heap = &heap, .roots = regs, .nroots = 1, .cfg = &cfg};
    assert_null(s->create(&env)); /* a pause below 1 */
    assert_null(s->create(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_deletion_barrier_keeps_moved_object),
        cmocka_unit_test(test_validator_catches_missing_barrier),
        cmocka_unit_test(test_collect_is_complete),
        cmocka_unit_test(test_sweep_move_paid_by_budget),
        cmocka_unit_test(test_sweep_steps_bounded),
        cmocka_unit_test(test_random_streams_every_allocator),
        cmocka_unit_test(test_workloads_under_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
