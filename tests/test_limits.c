/*
 * tests/test_limits.c -- --heap-limit: under a limit too small for the
 * workload's live set, every collector first collects (those that can),
 * then fails cleanly: the run ends with status "oom", its row is written,
 * and a matrix goes on to its next cell.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/formats/results.h"
#include "harness/run/run.h"

typedef struct seen {
    int n;
    char status[8][16];
    uint64_t ops[8];
} seen;

static int keep(void *arg, const hb_row *row)
{
    seen *s = arg;
    if (s->n < 8) {
        snprintf(s->status[s->n], 16, "%s", row->status);
        s->ops[s->n] = row->ops;
    }
    s->n++;
    return 0;
}

/* gcbench keeps a long-lived tree of depth 16 (megabytes): 256 KiB cannot
 * hold it, whatever is collected. */
static void each_collector_ends_oom_with_a_row(void **state)
{
    (void)state;
    int tried = 0;
    for (size_t i = 0; i < gc_strategy_count; i++) {
        const gc_strategy *g = gc_strategies[i];
        if (g->unavailable && g->unavailable())
            continue;
        const al_backend *a = al_find(g->needs.allocator ? g->needs.allocator : "pool");
        if (a == NULL || (a->unavailable && a->unavailable()))
            continue;
        for (int isolate = 0; isolate < 2; isolate++) {
            seen s = {0};
            hb_run_config cfg = {.alloc = a->name, .coll = g->name, .work = "gcbench",
                                 .wp = {.scale = 0.05, .seed = 1}, .reps = 1,
                                 .heap_limit_bytes = 256 << 10, .isolate = isolate};
            int rc = hb_run(&cfg, keep, &s, NULL);
            if (rc != 1 || s.n != 1 || strcmp(s.status[0], "oom") != 0)
                fail_msg("%s/%s isolate=%d: rc %d, %d rows, status '%s'; expected 1, 1, oom",
                         a->name, g->name, isolate, rc, s.n, s.n ? s.status[0] : "");
            assert_true(s.ops[0] > 0); /* it ran until the limit, not refused at the start */
        }
        tried++;
    }
    assert_true(tried >= 3); /* rc, rc-cycle, mark-sweep at least */
}

/* Under a generous limit the same run is ok: the limit, not the setup,
 * made the oom above. */
static void a_sufficient_limit_is_ok(void **state)
{
    (void)state;
    seen s = {0};
    hb_run_config cfg = {.alloc = "pool", .coll = "mark-sweep",
                         .work = "gcbench", .wp = {.scale = 0.05, .seed = 1}, .reps = 1, .heap_limit_bytes = 1u << 30};
    assert_int_equal(hb_run(&cfg, keep, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.status[0], "ok");
}

static void matrix_goes_on_after_an_oom_cell(void **state)
{
    (void)state;
    char dir[] = "/tmp/hb_test_limits_XXXXXX", rows_path[128], cmd[160];
    assert_non_null(mkdtemp(dir));
    snprintf(rows_path, sizeof rows_path, "%s/rows.csv", dir);
    char *argv[] = {"matrix", "-a", "pool,bump", "-c", "rc,mark-sweep", "-w", "gcbench",
                    "--scale", "0.05", "--reps", "1", "--warmup", "0", "--heap-limit", "256K",
                    "--out", dir, NULL};
    int rc = hb_cmd_matrix(17, argv);
    assert_int_equal(rc, HB_EXIT_FAIL); /* some cell not ok */
    hb_row *rows;
    char *arena;
    long n = hb_rows_read_csv(rows_path, &rows, &arena, NULL);
    assert_int_equal(n, 4); /* every cell has its row: the oom did not stop the matrix */
    for (long i = 0; i < n; i++)
        assert_string_equal(rows[i].status, "oom");
    hb_rows_free(rows, arena);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_collector_ends_oom_with_a_row),
        cmocka_unit_test(a_sufficient_limit_is_ok),
        cmocka_unit_test(matrix_goes_on_after_an_oom_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
