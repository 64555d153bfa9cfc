/*
 * tests/test_gen_copy.c -- the generational copying collector (gen-copy).
 *
 * Driven through its table over tests/test_heaps.h's listing allocator, with
 * a small register file as roots and a small nursery so that every test
 * sees many minor collections.  After every step the collector's own debug
 * validator (gc_gen_copy_check: remembered-set completeness -- every old
 * object pointing into the nursery is remembered --, the nursery parsing
 * back to back, every young pointer naming a young object, the byte and
 * object counts of both generations) must find nothing.  Random op streams
 * are checked against a shadow graph kept here by object serial (objects
 * move, serials do not); and through the harness (hb_run) on every
 * allocator and every workload under the reachability oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_rows.h"
#include "collectors/collector.h"
#include "harness/core/object.h"
#include "harness/core/rng.h"
#include "harness/run/run.h"
#include "tests/test_heaps.h"
#include "tests/test_gc_fx.h"
#include "tests/test_payload.h"
#include "tests/test_random_ops.h"
#include "workloads/workload.h"

/* The test seam of collectors/gen_copy.c (tests only, not in a header). */
int gc_gen_copy_check(void *ctx, char *why, size_t cap);

#define NREGS FX_REGS
#define KIB ((size_t)1 << 10)
#define NO_MAJOR ((size_t)1 << 40) /* a min_heap_bytes that never triggers */

/* ---- the fixture ---- */

typedef struct fx {
    gc_fx g;
    uint64_t npauses, nfull, nfinalized;
    int finalized_twice;
} fx;

static void on_pause(void *harness, uint64_t start, uint64_t end)
{
    fx *f = harness;
    assert_true(start <= end);
    f->npauses++;
}

static void on_collected(void *harness, int full)
{
    fx *f = harness;
    f->nfull += full != 0;
}

static void on_finalize(void *harness, hb_obj *o)
{
    fx *f = harness;
    if (o->flags & HB_F_FINALIZED)
        f->finalized_twice = 1;
    f->nfinalized++;
}

static void fx_open(fx *f, size_t nursery, uint32_t age, size_t min_heap)
{
    memset(f, 0, sizeof *f);
    gc_fx_heap(&f->g, &test_alloc);
    f->g.cfg.nursery_bytes = nursery;
    f->g.cfg.promote_age = age;
    f->g.cfg.min_heap_bytes = min_heap;
    gc_fx_start(&f->g, "gen-copy", f, on_pause, on_finalize, on_collected);
}

static gc_stats fx_stats(fx *f)
{
    return gc_fx_stats(&f->g);
}

static void fx_valid(fx *f)
{
    char why[256];
    int bad = gc_gen_copy_check(f->g.ctx, why, sizeof why);
    if (bad)
        fail_msg("gen-copy validator: %d problems, first: %s", bad, why);
}

static void fx_close(fx *f)
{
    fx_valid(f);
    gc_stats st = fx_stats(f);
    assert_int_equal(st.collections, f->npauses);
    assert_int_equal(st.minor_collections + st.major_collections, st.collections);
    assert_int_equal(st.major_collections, st.full_collections);
    assert_int_equal(st.full_collections, f->nfull);
    assert_int_equal(st.objects_live, st.objects_allocated - st.objects_freed);
    assert_false(f->finalized_twice);
    f->g.s->destroy(f->g.ctx);
    assert_int_equal(f->g.heap.live_bytes, 0);
    assert_int_equal(((talloc *)f->g.heap.ctx)->live, 0);
    assert_int_equal(((talloc *)f->g.heap.ctx)->bad_frees, 0);
    test_alloc.destroy(f->g.heap.ctx);
}

static hb_obj *fx_new(fx *f, uint32_t reg, uint8_t flags, uint32_t nrefs, uint32_t payload)
{
    return gc_fx_new(&f->g, reg, flags, nrefs, payload);
}

/* Allocates garbage into register `reg` until a minor collection ran. */
static void force_minor(fx *f, uint32_t reg)
{
    uint64_t before = fx_stats(f).minor_collections;
    while (fx_stats(f).minor_collections == before)
        assert_non_null(fx_new(f, reg, 0, 0, 48));
    f->g.s->reg_write(f->g.ctx, &f->g.regs[reg], NULL);
}

static int young(fx *f, hb_obj *o)
{
    return f->g.s->holds(f->g.ctx, o);
}

/* ===================================================================
 * Moving, aging, promotion
 * =================================================================== */

static void test_table(void **state)
{
    (void)state;
    const gc_strategy *s = gc_find("gen-copy");
    assert_non_null(s);
    assert_int_equal(s->header_bytes, 8);
    assert_true(s->needs.moves_objects);
    assert_non_null(s->holds);
    assert_null(s->needs.allocator);
    assert_non_null(s->resize);
    for (size_t i = 0; i < gc_strategy_count; i++)
        if (strcmp(gc_strategies[i]->name, "gen-copy") != 0)
            assert_false(gc_strategies[i]->needs.moves_objects);
}

/* Age 1: the first minor collection promotes a survivor, rewrites the
 * register, keeps its contents; garbage is gone. */
static void test_promote_on_first_survival(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 16 * KIB, 1, NO_MAJOR);
    hb_obj *a = fx_new(&f, 0, 0, 2, 40);
    fill(a);
    hb_obj *b = fx_new(&f, 1, 0, 0, 24);
    fill(b);
    f.g.s->field_store(f.g.ctx, a, 0, b);
    f.g.s->field_store(f.g.ctx, a, 1, a);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    uint32_t sa = a->serial, sb = b->serial;
    assert_true(young(&f, a));
    assert_int_equal(f.g.heap.live_bytes, 0); /* nothing old yet */
    force_minor(&f, 2);
    fx_valid(&f);
    hb_obj *na = f.g.regs[0];
    assert_ptr_not_equal(na, a);
    assert_false(young(&f, na));
    assert_int_equal(na->serial, sa);
    assert_true(intact(na));
    assert_ptr_equal(na->refs[1], na); /* the self-loop follows the move */
    assert_int_equal(na->refs[0]->serial, sb);
    assert_true(intact(na->refs[0]));
    assert_false(young(&f, na->refs[0]));
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.major_collections, 0);
    /* the two survivors, and the garbage regs[2] held when eden filled (a
     * register being overwritten is a root until the new object exists) */
    assert_int_equal(((talloc *)f.g.heap.ctx)->live, 3);
    assert_true(st.objects_collected > 100);
    fx_close(&f);
}

/* Age 3: a survivor stays in the nursery (a survivor space) for two minor
 * collections and is promoted by the third. */
static void test_aging_semispace(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 32 * KIB, 3, NO_MAJOR);
    hb_obj *a = fx_new(&f, 0, 0, 1, 16);
    fill(a);
    hb_obj *prev = a;
    for (int round = 1; round <= 3; round++) {
        force_minor(&f, 3);
        fx_valid(&f);
        hb_obj *now = f.g.regs[0];
        assert_ptr_not_equal(now, prev); /* moved every time */
        assert_true(intact(now));
        if (round < 3) {
            assert_true(young(&f, now));
            assert_int_equal(f.g.heap.live_bytes, 0);
        } else {
            assert_false(young(&f, now));
            assert_int_equal(f.g.heap.live_bytes, 8 + hb_obj_body_bytes(1, 16));
        }
        prev = now;
    }
    fx_close(&f);
}

/* A young object reachable only from an old one survives a minor
 * collection: the barrier remembered the old object. */
static void test_barrier_keeps_young_alive(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 16 * KIB, 1, NO_MAJOR);
    fx_new(&f, 0, 0, 4, 0);
    force_minor(&f, 3); /* regs[0] is old now */
    hb_obj *old = f.g.regs[0];
    assert_false(young(&f, old));
    for (uint32_t i = 0; i < 4; i++) {
        hb_obj *y = fx_new(&f, 1, 0, 0, 32);
        fill(y);
        assert_true(young(&f, y));
        f.g.s->field_store(f.g.ctx, old, i, y);
        fx_valid(&f);
    }
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    force_minor(&f, 3);
    fx_valid(&f);
    for (uint32_t i = 0; i < 4; i++) {
        assert_non_null(old->refs[i]);
        assert_false(young(&f, old->refs[i]));
        assert_true(intact(old->refs[i]));
    }
    /* old, its four children, and one garbage object per force_minor (the
     * register being overwritten when eden filled) */
    assert_int_equal(((talloc *)f.g.heap.ctx)->live, 7);
    f.g.s->collect(f.g.ctx);
    assert_int_equal(((talloc *)f.g.heap.ctx)->live, 5);
    fx_close(&f);
}

/* With aging, an old object pointing at a survivor stays remembered, and a
 * promoted object pointing at a survivor becomes remembered. */
static void test_remembered_across_collections(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 32 * KIB, 2, NO_MAJOR);
    fx_new(&f, 0, 0, 1, 0); /* will be old after two minors */
    force_minor(&f, 3);
    force_minor(&f, 3);
    hb_obj *old = f.g.regs[0];
    assert_false(young(&f, old));
    fx_new(&f, 1, 0, 1, 8); /* a young chain: regs[1] -> c */
    hb_obj *c = fx_new(&f, 2, 0, 0, 8);
    fill(c);
    f.g.s->field_store(f.g.ctx, f.g.regs[1], 0, c);
    f.g.s->field_store(f.g.ctx, old, 0, f.g.regs[1]);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    force_minor(&f, 3); /* both age 1 now, in a survivor space */
    fx_valid(&f);
    hb_obj *x = old->refs[0];
    assert_true(young(&f, x));
    assert_true(young(&f, x->refs[0]));
    /* x gets a fresh child d (a young-to-young store: no barrier); the
     * next minor promotes x (age 2) but keeps d (age 1) young, so the
     * promoted x must be remembered. */
    hb_obj *d = fx_new(&f, 1, 0, 0, 16);
    fill(d);
    f.g.s->field_store(f.g.ctx, x, 0, d);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    force_minor(&f, 3);
    fx_valid(&f);
    x = old->refs[0];
    assert_false(young(&f, x));
    assert_true(young(&f, x->refs[0]));
    assert_true(intact(x->refs[0]));
    assert_false(young(&f, f.g.regs[2])); /* c: age 2, promoted */
    assert_true(intact(f.g.regs[2]));
    force_minor(&f, 3); /* d promoted: nothing young is left to point at */
    fx_valid(&f);
    assert_false(young(&f, x->refs[0]));
    assert_true(intact(x->refs[0]));
    fx_close(&f);
}

/* The validator is not a rubber stamp: a store that bypasses the barrier
 * is caught. */
static void test_validator_catches_missing_barrier(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 16 * KIB, 1, NO_MAJOR);
    fx_new(&f, 0, 0, 1, 0);
    force_minor(&f, 3);
    hb_obj *old = f.g.regs[0];
    hb_obj *y = fx_new(&f, 1, 0, 0, 8);
    old->refs[0] = y; /* no barrier */
    char why[256];
    assert_true(gc_gen_copy_check(f.g.ctx, why, sizeof why) > 0);
    assert_non_null(strstr(why, "not remembered"));
    f.g.s->field_store(f.g.ctx, old, 0, y); /* through the barrier: fine */
    fx_valid(&f);
    fx_close(&f);
}

/* Large and finalizable objects are born old; finalizers run once, in a
 * major collection, and may read what the object points to. */
static void test_large_and_finalizable_are_old(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 64 * KIB, 1, NO_MAJOR);
    hb_obj *big = fx_new(&f, 0, 0, 0, 64 * 1024);
    assert_false(young(&f, big));
    hb_obj *fin = fx_new(&f, 1, HB_F_FINALIZER, 1, 8);
    assert_false(young(&f, fin));
    hb_obj *child = fx_new(&f, 2, 0, 0, 100);
    fill(child);
    f.g.s->field_store(f.g.ctx, fin, 0, child);
    fx_valid(&f);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[2], NULL);
    force_minor(&f, 3);
    assert_int_equal(f.nfinalized, 0);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    f.g.s->collect(f.g.ctx);
    fx_valid(&f);
    assert_int_equal(f.nfinalized, 1);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.finalizers_run, 1);
    assert_int_equal(st.objects_live, 1);
    assert_ptr_equal(f.g.regs[0], big); /* old objects never move */
    f.g.s->collect(f.g.ctx);
    assert_int_equal(f.nfinalized, 1);
    fx_close(&f);
}

/* The old generation is collected when it passes its trigger: a live list
 * promoted into it grows it, garbage promoted with it is swept. */
static void test_major_trigger(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 16 * KIB, 1, 64 * KIB);
    for (uint32_t i = 0; i < 20000; i++) {
        hb_obj *o = fx_new(&f, 1, 0, 1, 24);
        assert_non_null(o);
        if (i % 4 == 0) { /* a quarter lives on a list in regs[0] */
            f.g.s->field_store(f.g.ctx, o, 0, f.g.regs[0]);
            f.g.s->reg_write(f.g.ctx, &f.g.regs[0], o);
        }
        if (i % 997 == 0)
            fx_valid(&f);
    }
    gc_stats st = fx_stats(&f);
    assert_true(st.minor_collections > 20);
    assert_true(st.major_collections >= 2);
    assert_true(st.minor_ns > 0 && st.major_ns > 0);
    f.g.s->collect(f.g.ctx);
    st = fx_stats(&f);
    assert_int_equal(st.objects_live, 5001); /* the list and regs[1]'s last object */
    uint32_t n = 0;
    for (hb_obj *o = f.g.regs[0]; o; o = o->refs[0])
        n++;
    assert_int_equal(n, 5000);
    fx_close(&f);
}

/* Under a heap limit, nursery and copy reserve count: the heap's old bytes
 * never pass limit - nursery, and a live set that cannot fit ends in a
 * clean NULL with the register unchanged. */
static void test_heap_limit(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, 16 * KIB, 1, 0);
    f.g.s->destroy(f.g.ctx);
    al_heap_set_limit(&f.g.heap, 256 * KIB);
    f.g.ctx = f.g.s->create(&f.g.env); /* the nursery is sized under the limit */
    assert_non_null(f.g.ctx);
    hb_obj *o = NULL;
    uint32_t made = 0;
    for (;;) {
        hb_obj *before = f.g.regs[1];
        o = fx_new(&f, 1, 0, 1, 100);
        if (o == NULL) {
            assert_ptr_equal(f.g.regs[1], before);
            break;
        }
        f.g.s->field_store(f.g.ctx, o, 0, f.g.regs[0]);
        f.g.s->reg_write(f.g.ctx, &f.g.regs[0], o);
        made++;
        assert_true(f.g.heap.live_bytes + 16 * KIB <= f.g.heap.limit_bytes);
        if (made % 101 == 0)
            fx_valid(&f);
    }
    assert_true(made > 1000);
    fx_valid(&f);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[0], NULL); /* garbage now: it runs again */
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    assert_non_null(fx_new(&f, 1, 0, 1, 100));
    fx_close(&f);
}

static void test_bad_config_rejected(void **state)
{
    (void)state;
    const gc_strategy *s = gc_find("gen-copy");
    al_heap heap = {.b = &test_alloc, .ctx = test_alloc.create(NULL)};
    hb_obj *regs[2] = {NULL, NULL};
    gc_config cfg = {0};
    gc_env env = {.heap = &heap, .roots = regs, .nroots = 2, .cfg = &cfg};
    cfg.nursery_bytes = 1024;
    assert_null(s->create(&env));
    cfg.nursery_bytes = 0;
    cfg.promote_age = 16;
    assert_null(s->create(&env));
    cfg.promote_age = 0;
    cfg.growth = 0.5;
    assert_null(s->create(&env));
    cfg.growth = 0;
    void *ctx = s->create(&env);
    assert_non_null(ctx);
    s->destroy(ctx);
    env.cfg = NULL;
    ctx = s->create(&env);
    assert_non_null(ctx);
    s->destroy(ctx);
    assert_null(s->create(NULL));
    test_alloc.destroy(heap.ctx);
}

/* ===================================================================
 * Random op streams against a shadow graph (by serial)
 * =================================================================== */

#define MAX_OBJ 200000u

typedef struct shadow {
    uint32_t *nrefs;
    int32_t *edges; /* edges[serial * 4 + i]: serial or -1; at most 4 slots */
    unsigned char *seen;
} shadow;

/* Walks the real graph from the registers and compares it with the
 * shadow: slots name the objects the shadow says, payloads are intact.
 * Returns the objects reached. */
static uint64_t compare_graph(fx *f, shadow *sh)
{
    static hb_obj *stack[MAX_OBJ];
    size_t sp = 0;
    uint64_t reached = 0;
    memset(sh->seen, 0, MAX_OBJ);
    for (uint32_t r = 0; r < NREGS; r++)
        if (f->g.regs[r] && !sh->seen[f->g.regs[r]->serial]) {
            sh->seen[f->g.regs[r]->serial] = 1;
            stack[sp++] = f->g.regs[r];
        }
    while (sp > 0) {
        hb_obj *o = stack[--sp];
        reached++;
        assert_true(intact(o));
        assert_int_equal(o->nrefs, sh->nrefs[o->serial]);
        for (uint32_t i = 0; i < o->nrefs; i++) {
            int32_t want = sh->edges[(size_t)o->serial * 4 + i];
            hb_obj *c = o->refs[i];
            if (want < 0) {
                assert_null(c);
                continue;
            }
            assert_non_null(c);
            assert_int_equal(c->serial, (uint32_t)want);
            if (!sh->seen[c->serial]) {
                sh->seen[c->serial] = 1;
                stack[sp++] = c;
            }
        }
    }
    return reached;
}

static void random_stream(uint64_t seed, size_t nursery, uint32_t age, size_t min_heap,
                          uint32_t steps)
{
    fx f;
    shadow sh;
    hb_rng r;
    hb_rng_seed(&r, seed);
    fx_open(&f, nursery, age, min_heap);
    sh.nrefs = calloc(MAX_OBJ, sizeof *sh.nrefs);
    sh.edges = malloc((size_t)MAX_OBJ * 4 * sizeof *sh.edges);
    sh.seen = calloc(MAX_OBJ, 1);
    assert_true(sh.nrefs && sh.edges && sh.seen);
    for (uint32_t step = 0; step < steps; step++) {
        uint32_t a = (uint32_t)hb_rng_below(&r, NREGS), b = (uint32_t)hb_rng_below(&r, NREGS);
        uint64_t dice = hb_rng_below(&r, 1000);
        if (dice < 300) {
            uint32_t nrefs = (uint32_t)hb_rng_below(&r, 5);
            uint8_t flags = hb_rng_below(&r, 100) == 0 ? HB_F_FINALIZER : 0;
            uint32_t payload = hb_rng_below(&r, 400) == 0 ? 9000 + (uint32_t)hb_rng_below(&r, 4000)
                                                          : (uint32_t)hb_rng_below(&r, 64);
            hb_obj *o = fx_new(&f, a, flags, nrefs, payload);
            assert_non_null(o);
            assert_true(o->serial < MAX_OBJ);
            fill(o);
            sh.nrefs[o->serial] = nrefs;
            for (uint32_t i = 0; i < 4; i++)
                sh.edges[(size_t)o->serial * 4 + i] = -1;
        } else if (dice < 650) {
            hb_obj *o = f.g.regs[a];
            uint32_t i = (uint32_t)hb_rng_below(&r, 4);
            if (o && i < o->nrefs) {
                hb_obj *v = hb_rng_below(&r, 8) ? f.g.regs[b] : NULL;
                f.g.s->field_store(f.g.ctx, o, i, v);
                sh.edges[(size_t)o->serial * 4 + i] = v ? (int32_t)v->serial : -1;
            }
        } else if (dice < 820) {
            hb_obj *o = f.g.regs[b];
            uint32_t i = (uint32_t)hb_rng_below(&r, 4);
            if (o && i < o->nrefs)
                f.g.s->reg_write(f.g.ctx, &f.g.regs[a], o->refs[i]);
        } else if (dice < 900) {
            f.g.s->reg_write(f.g.ctx, &f.g.regs[a], f.g.regs[b]);
        } else if (dice < 998) {
            f.g.s->reg_write(f.g.ctx, &f.g.regs[a], NULL);
        } else {
            f.g.s->collect(f.g.ctx);
            uint64_t reached = compare_graph(&f, &sh);
            assert_int_equal(fx_stats(&f).objects_live, reached); /* complete */
            assert_int_equal(((talloc *)f.g.heap.ctx)->live, reached);
        }
        fx_valid(&f);
        if (step % 64 == 0)
            compare_graph(&f, &sh);
    }
    gc_stats st = fx_stats(&f);
    print_message("seed %llu nursery %zu age %u: %llu minor, %llu major, %llu objects\n",
                  (unsigned long long)seed, nursery, age,
                  (unsigned long long)st.minor_collections,
                  (unsigned long long)st.major_collections,
                  (unsigned long long)st.objects_allocated);
    assert_true(st.minor_collections > 10);
    free(sh.nrefs);
    free(sh.edges);
    free(sh.seen);
    fx_close(&f);
}

static void test_random_streams(void **state)
{
    (void)state;
    static const uint32_t ages[] = {1, 2, 4};
    for (uint64_t seed = 1; seed <= 6; seed++)
        random_stream(seed, 16 * KIB, ages[seed % 3], seed % 2 ? 256 * KIB : NO_MAJOR, 40000);
}

/* ===================================================================
 * Through the harness: every allocator, every workload, the oracle
 * =================================================================== */

/* Arrays up to 12,000 bytes (some above the large-object bound go straight
 * to the old generation); every drawn COLLECT kept. */
TEST_RANDOM_WORKLOAD(random_workload, 12000, 0, 1);

/* Available, and not a collector's own heap (those pair with their owner
 * only: collector.h's gc_constraints). */
static int usable(const al_backend *a)
{
    for (size_t k = 0; k < gc_strategy_count; k++)
        if (gc_strategies[k]->needs.allocator &&
            strcmp(gc_strategies[k]->needs.allocator, a->name) == 0)
            return 0;
    return !(a->unavailable && a->unavailable());
}

static int quick(void)
{
    const char *q = getenv("HB_TEST_QUICK");
    return q != NULL && *q != '\0' && strcmp(q, "0") != 0;
}

static void run_checked(const al_backend *a, const wl_workload *w, double scale, uint64_t seed,
                        size_t nursery, uint32_t age, int oracle_every)
{
    hb_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.alloc = a->name;
    cfg.coll = "gen-copy";
    cfg.custom_work = w;
    cfg.wp.scale = scale;
    cfg.wp.seed = seed;
    cfg.reps = 1;
    cfg.oracle = oracle_every;
    cfg.gcfg.nursery_bytes = nursery;
    cfg.gcfg.promote_age = age;
    cfg.gcfg.min_heap_bytes = 256 * KIB;
    seen s;
    memset(&s, 0, sizeof s);
    int rc = hb_run(&cfg, keep_row, &s, NULL);
    if (rc != 0 || s.n != 1 || strcmp(s.row.status, "ok") != 0)
        fail_msg("%s on %s/gen-copy (nursery %zu, age %u): exit %d, status %s", w->name, a->name,
                 nursery, age, rc, s.n ? s.row.status : "(no row)");
    assert_int_equal(s.row.leaked_objects, 0);
    assert_int_equal(s.row.noop_ops == 0 || w == &random_workload, 1);
    assert_true(s.row.collections > s.row.full_collections); /* minor ones ran */
}

static void test_random_on_every_allocator_under_oracle(void **state)
{
    (void)state;
    int tried = 0;
    for (size_t i = 0; i < al_backend_count; i++) {
        if (!usable(al_backends[i]))
            continue;
        run_checked(al_backends[i], &random_workload, quick() ? 0.05 : 0.2, 100 + i, 32 * KIB,
                    1 + (uint32_t)(i % 3), 1);
        tried++;
    }
    assert_true(tried >= 3);
}

/* gcbench's stretch and long-lived trees and server's 48 MiB cache fill cost
 * the same at any scale; under the oracle gcbench takes 3 times as long. */
static int fixed_cost(const wl_workload *w)
{
    return strcmp(w->name, "gcbench") == 0 || strcmp(w->name, "server") == 0;
}

/* Every workload on every allocator, with the same assertions on every row.
 * The oracle checks what the collector decides, which the allocator under it
 * does not change: a fixed-cost workload runs under it on one allocator (a
 * different one for each such workload), the others under it everywhere. */
static void test_workloads_on_every_allocator_under_oracle(void **state)
{
    (void)state;
    size_t fixed = 0;
    for (size_t w = 0; w < wl_workload_count; w++) {
        if (wl_workloads[w]->heap) /* allocator workloads: no collector (test_threads) */
            continue;
        int once = fixed_cost(wl_workloads[w]);
        size_t k = 0;
        for (size_t i = 0; i < al_backend_count; i++) {
            if (!usable(al_backends[i]))
                continue;
            int oracle = !once || k++ == fixed;
            run_checked(al_backends[i], wl_workloads[w], 0.002, 11, 64 * KIB,
                        (uint32_t)(1 + (w + i) % 3), oracle ? 16 : 0);
        }
        fixed += once;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_promote_on_first_survival),
        cmocka_unit_test(test_aging_semispace),
        cmocka_unit_test(test_barrier_keeps_young_alive),
        cmocka_unit_test(test_remembered_across_collections),
        cmocka_unit_test(test_validator_catches_missing_barrier),
        cmocka_unit_test(test_large_and_finalizable_are_old),
        cmocka_unit_test(test_major_trigger),
        cmocka_unit_test(test_heap_limit),
        cmocka_unit_test(test_bad_config_rejected),
        cmocka_unit_test(test_random_streams),
        cmocka_unit_test(test_random_on_every_allocator_under_oracle),
        cmocka_unit_test(test_workloads_on_every_allocator_under_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
