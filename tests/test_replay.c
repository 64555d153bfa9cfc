/*
 * tests/test_replay.c -- random op streams on every allocator x collector,
 * with the reachability oracle checking every collection and every chunk;
 * and a deliberately broken collector that the oracle must catch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness/run/oracle.h"
#include "harness/run/run.h"
#include "tests/test_random_ops.h"
#include "tests/test_rows.h"

/* Arrays up to 4 KiB; every drawn COLLECT kept. */
TEST_RANDOM_WORKLOAD(random_workload, 4096, 0, 1);

static int run_random(const al_backend *a, const gc_strategy *g, double scale, uint64_t seed,
                      seen *out)
{
    hb_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.alloc = a->name;
    cfg.custom_coll = g; /* the broken strategies below are in no registry */
    cfg.custom_work = &random_workload;
    cfg.wp.scale = scale;
    cfg.wp.seed = seed;
    cfg.reps = 1;
    cfg.oracle = 1;
    cfg.gcfg.threshold[0] = 50; /* collect often, so the oracle sees many collections */
    cfg.gcfg.threshold[1] = 3;
    cfg.gcfg.threshold[2] = 3;
    cfg.gcfg.min_heap_bytes = 16384;
    memset(out, 0, sizeof *out);
    return hb_run(&cfg, keep_row, out, NULL);
}

/* HB_TEST_QUICK set (and not "0"): the valgrind pass of scripts/test.sh. */
static int quick(void)
{
    const char *q = getenv("HB_TEST_QUICK");
    return q != NULL && *q != '\0' && strcmp(q, "0") != 0;
}

/* A million ops per combination; 200,000 when quick. */
static void test_all_combinations_under_oracle(void **state)
{
    (void)state;
    const double scale = quick() ? 0.2 : 1.0;
    const uint64_t ops = (uint64_t)(scale * 1e6);
    static const char *const allocs[] = {"pool", "malloc", "bump"};
    static const char *const colls[] = {"rc", "rc-cycle", "mark-sweep"};
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 3; j++) {
            const al_backend *a = al_find(allocs[i]);
            const gc_strategy *g = gc_find(colls[j]);
            assert_non_null(a);
            assert_non_null(g);
            seen s;
            int rc = run_random(a, g, scale, 1000 + i * 3 + j, &s);
            print_message("%s/%s: status %s, %llu ops, %llu objects, %llu collections, "
                          "%llu leaked\n", allocs[i], colls[j], s.row.status,
                          (unsigned long long)s.row.ops, (unsigned long long)s.row.objects,
                          (unsigned long long)s.row.collections,
                          (unsigned long long)s.row.leaked_objects);
            assert_int_equal(rc, 0);
            assert_int_equal(s.n, 1);
            assert_string_equal(s.row.status, "ok");
            assert_int_equal(s.row.ops, ops);
            assert_true(s.row.objects > ops / 5);
            if (strcmp(colls[j], "rc") != 0)
                assert_int_equal(s.row.leaked_objects, 0);
            if (strcmp(colls[j], "rc") != 0)
                assert_true(s.row.collections > 10);
        }
    }
}

/* Workloads with a fixed cost whatever the scale (gcbench's stretch and
 * long-lived trees, about a million ops; server's warm-up fill of its 48 MiB
 * cache): under valgrind they take minutes, so quick runs leave them out. */
static int fixed_cost(const wl_workload *w)
{
    return strcmp(w->name, "gcbench") == 0 || strcmp(w->name, "server") == 0;
}

/* Every workload on every allocator x collector, small, with the same
 * assertions on every row.  The oracle checks what a collector decides
 * (what it frees, its counts), which the allocator under it does not
 * change: a fixed-cost workload, whose oracle checks are 95% of its time
 * (counting collectors recount every reference at every check), runs under
 * the oracle on one allocator per collector -- the diagonal, so every
 * allocator and every collector has it once -- and the other pairs without;
 * the other workloads run under it everywhere. */
static void test_workloads_on_all_combinations_under_oracle(void **state)
{
    (void)state;
    static const char *const allocs[] = {"pool", "malloc", "bump"};
    static const char *const colls[] = {"rc", "rc-cycle", "mark-sweep"};
    for (size_t w = 0; w < wl_workload_count; w++) {
        if (wl_workloads[w]->heap) /* allocator workloads: no collector (test_threads) */
            continue;
        if (quick() && fixed_cost(wl_workloads[w])) {
            print_message("quick: %s left out\n", wl_workloads[w]->name);
            continue;
        }
        for (size_t i = 0; i < 3; i++) {
            for (size_t j = 0; j < 3; j++) {
                hb_run_config cfg;
                memset(&cfg, 0, sizeof cfg);
                cfg.alloc = allocs[i];
                cfg.coll = colls[j];
                cfg.work = wl_workloads[w]->name;
                cfg.wp.scale = 0.002;
                cfg.wp.seed = 11;
                cfg.reps = 1;
                /* every complete collection; every 16th other check */
                cfg.oracle = fixed_cost(wl_workloads[w]) && i != j ? 0 : 16;
                seen s;
                memset(&s, 0, sizeof s);
                int rc = hb_run(&cfg, keep_row, &s, NULL);
                if (rc != 0 || strcmp(s.row.status, "ok") != 0)
                    fail_msg("%s on %s/%s: exit %d, status %s", cfg.work, allocs[i],
                             colls[j], rc, s.n ? s.row.status : "(no row)");
                assert_true(s.row.ops > 0);
                assert_int_equal(s.row.noop_ops, 0);
                /* Only pure counting leaks, and only where there are cycles. */
                if (strcmp(colls[j], "rc") != 0 || strcmp(cfg.work, "cycles") != 0)
                    assert_int_equal(s.row.leaked_objects, 0);
                else
                    assert_true(s.row.leaked_objects > 0);
            }
        }
    }
}

/* Pure counting must leak the cycles the random graph makes, and say so. */
static void test_rc_reports_leaks(void **state)
{
    (void)state;
    seen s;
    assert_int_equal(run_random(al_find("malloc"), gc_find("rc"), 0.2, 7, &s), 0);
    assert_string_equal(s.row.status, "ok");
    assert_true(s.row.leaked_objects > 0);
    assert_true(s.row.leaked_bytes >= s.row.leaked_objects * 16);
}

/* ---- a broken collector: never frees, yet claims complete collections ---- */

typedef struct hoarder {
    gc_env env;
    gc_stats st;
} hoarder;

static void *hoarder_create(const gc_env *env)
{
    hoarder *h = calloc(1, sizeof *h);
    if (h)
        h->env = *env;
    return h;
}

static void hoarder_destroy(void *ctx)
{
    free(ctx); /* leaks its objects on purpose: the oracle heap is torn down too */
}

static void hoarder_reg_write(void *ctx, hb_obj **reg, hb_obj *val)
{
    (void)ctx;
    *reg = val;
}

static hb_obj *hoarder_new(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                           uint32_t payload)
{
    hoarder *h = ctx;
    hb_obj *o = al_alloc(h->env.heap, hb_obj_body_bytes(nrefs, payload));
    if (o == NULL)
        return NULL;
    memset(o, 0, hb_obj_body_bytes(nrefs, 0));
    o->kind = kind;
    o->flags = flags;
    o->nrefs = nrefs;
    o->payload = payload;
    h->st.objects_allocated++;
    h->st.objects_live++;
    h->st.bytes_live += hb_obj_body_bytes(nrefs, payload);
    *dst = o;
    return o;
}

static void hoarder_store(void *ctx, hb_obj *o, uint32_t i, hb_obj *val)
{
    (void)ctx;
    o->refs[i] = val;
}

static void hoarder_collect(void *ctx)
{
    hoarder *h = ctx;
    h->st.collections++;
    h->st.full_collections++;
    h->env.collected(h->env.harness, 1);
}

static void hoarder_stats(void *ctx, gc_stats *out)
{
    *out = ((hoarder *)ctx)->st;
}

static const gc_strategy hoarder_strategy = {
    .name = "hoarder", .description = "broken on purpose", .header_bytes = 0,
    .create = hoarder_create, .destroy = hoarder_destroy, .new_obj = hoarder_new,
    .reg_write = hoarder_reg_write, .field_store = hoarder_store, .collect = hoarder_collect,
    .stats = hoarder_stats,
};

static void test_oracle_catches_garbage_left_by_a_full_collection(void **state)
{
    (void)state;
    seen s;
    int rc = run_random(al_find("bump"), &hoarder_strategy, 0.01, 3, &s);
    assert_int_equal(rc, 1);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.row.status, "oracle");
}

/* A slot naming a freed block is reported, and the freed block is never read. */
static void test_oracle_catches_a_dangling_slot(void **state)
{
    (void)state;
    al_heap real, shim;
    assert_int_equal(al_heap_open(&real, al_find("malloc"), &(al_config){0}), 0);
    hb_oracle *o = hb_oracle_new(&real, 0);
    assert_non_null(o);
    hb_oracle_heap(o, &shim);
    hb_obj *parent = al_alloc(&shim, hb_obj_body_bytes(2, 0));
    hb_obj *child = al_alloc(&shim, hb_obj_body_bytes(0, 8));
    memset(parent, 0, hb_obj_body_bytes(2, 0));
    memset(child, 0, hb_obj_body_bytes(0, 0));
    parent->kind = HB_CONTAINER;
    parent->nrefs = 2;
    child->payload = 8;
    parent->refs[1] = child;
    hb_obj *regs[2] = {parent, NULL};
    assert_int_equal(hb_oracle_check(o, &hoarder_strategy, NULL, regs, 2, 1), 0);
    al_free(&shim, child, hb_obj_body_bytes(0, 8));
    assert_int_equal(hb_oracle_check(o, &hoarder_strategy, NULL, regs, 2, 0), 1);
    assert_non_null(strstr(hb_oracle_first(o), "names a freed object"));
    al_free(&shim, parent, hb_obj_body_bytes(2, 0));
    hb_oracle_free(o);
    al_heap_close(&real);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_combinations_under_oracle),
        cmocka_unit_test(test_workloads_on_all_combinations_under_oracle),
        cmocka_unit_test(test_rc_reports_leaks),
        cmocka_unit_test(test_oracle_catches_garbage_left_by_a_full_collection),
        cmocka_unit_test(test_oracle_catches_a_dangling_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
