/*
 * tests/test_boehm_incremental.c -- the `boehm-incremental` collector:
 * libgc with GC_enable_incremental, in the same figures as `boehm`.
 *
 * A gcbench row ends ok with its pauses recorded (each repetition in a
 * child, as heapbench runs it, so this process's libgc stays in its
 * stop-the-world mode until the last test); it pairs with libgc's heap
 * alone; and, libgc having one mode per process, plain `boehm` refuses to
 * start once incremental mode is on, saying why, rather than run
 * incrementally under the wrong name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"
#include "collectors/collector.h"
#include "harness/formats/results.h"
#include "harness/run/run.h"

static int missing(void)
{
    const gc_strategy *g = gc_find("boehm-incremental");
    assert_non_null(g);
    const char *why = g->unavailable();
    if (why)
        print_message("boehm-incremental unavailable here: %s\n", why);
    return why != NULL;
}

typedef struct got {
    int n;
    hb_row row;
} got;

static int keep(void *arg, const hb_row *row)
{
    got *k = arg;
    if (k->n++ == 0)
        k->row = *row;
    return 0;
}

static got run_gcbench(const char *coll)
{
    got k = {0};
    hb_run_config cfg = {.alloc = "boehm", .coll = coll, .work = "gcbench",
                         .wp = {.scale = 0.05, .seed = 1}, .reps = 1, .isolate = 1};
    int rc = hb_run(&cfg, keep, &k, NULL);
    if (rc != 0 || k.n != 1 || strcmp(k.row.status, "ok") != 0)
        fail_msg("boehm/%s gcbench: rc %d, %d rows, status '%s'; expected 0, 1, ok", coll, rc,
                 k.n, k.n ? k.row.status : "");
    return k;
}

static void gcbench_row_ok_with_pauses(void **state)
{
    (void)state;
    if (missing())
        skip();
    got k = run_gcbench("boehm-incremental");
    assert_true(k.row.collections > 0);
    assert_true(k.row.pauses > 0);
    assert_true(k.row.gc_s > 0);
    assert_true(k.row.pause_max_us > 0);
    assert_true(k.row.gc_s <= k.row.wall_s);
    /* libgc is conservative: a stale word on a stack can keep an object or
     * two alive after the last collection (under ASan, 1 object of 40
     * bytes in 3 of 40 runs); a leak of the workload's structures would be
     * thousands. */
    assert_true(k.row.leaked_objects <= 8);
    /* The child's incremental mode did not reach this process. */
    assert_false(al_gc_api_get()->is_incremental_mode());
    got b = run_gcbench("boehm");
    assert_true(b.row.pauses > 0);
}

static void pairs_with_libgc_heap_only(void **state)
{
    (void)state;
    const gc_strategy *g = gc_find("boehm-incremental");
    assert_non_null(g);
    char why[256];
    assert_true(gc_pairs(al_find("boehm"), g, why, sizeof why));
    assert_false(gc_pairs(al_find("pool"), g, why, sizeof why));
    assert_non_null(strstr(why, "boehm-incremental"));
    assert_false(gc_pairs(al_find("boehm"), gc_find("mark-sweep"), why, sizeof why));
}

/* Last: it turns incremental mode on in this process for good. */
static void plain_boehm_refused_once_incremental(void **state)
{
    (void)state;
    if (missing())
        skip();
    const gc_strategy *inc = gc_find("boehm-incremental"), *stw = gc_find("boehm");
    al_heap heap = {.b = al_find("boehm")};
    hb_obj *regs[4] = {0};
    hb_err err = {0};
    gc_env env = {.heap = &heap, .roots = regs, .nroots = 4, .err = &err};
    void *ctx = inc->create(&env);
    assert_non_null(ctx);
    assert_true(al_gc_api_get()->is_incremental_mode());
    for (int i = 0; i < 1000; i++)
        assert_non_null(inc->new_obj(ctx, &regs[i % 4], HB_CONTAINER, 0, 2, 16));
    inc->collect(ctx);
    inc->destroy(ctx);

    assert_null(stw->create(&env));
    assert_non_null(strstr(err.msg, "incremental mode was enabled earlier"));
    assert_non_null(strstr(err.msg, "fresh process"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gcbench_row_ok_with_pauses),
        cmocka_unit_test(pairs_with_libgc_heap_only),
        cmocka_unit_test(plain_boehm_refused_once_incremental),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
