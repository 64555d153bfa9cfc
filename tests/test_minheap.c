/*
 * tests/test_minheap.c -- the minimum-heap search (harness/run/heapfactor.c):
 * heap-factor parsing, minheap.csv round trip, and a real search on rc,
 * whose minimum heap is exactly its peak of live bytes (it never collects),
 * checked against runs at that limit and 3% below it; the probe log makes a
 * second search run nothing new.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/run/heapfactor.h"
#include "harness/run/run.h"

static void heap_factors_parse(void **state)
{
    (void)state;
    double f[HB_MAX_HEAP_FACTORS];
    hb_err e;
    assert_int_equal(hb_heap_factors_parse("1.25,1.5,2,3,4,6", f, HB_MAX_HEAP_FACTORS, &e), 6);
    assert_true(f[0] == 1.25 && f[5] == 6);
    assert_int_equal(hb_heap_factors_parse("0.5", f, HB_MAX_HEAP_FACTORS, &e), -1);
    assert_non_null(strstr(e.msg, "'0.5'"));
    assert_int_equal(hb_heap_factors_parse("2,1.5", f, HB_MAX_HEAP_FACTORS, &e), -1);
    assert_int_equal(hb_heap_factors_parse("x", f, HB_MAX_HEAP_FACTORS, &e), -1);
    assert_int_equal(hb_heap_factors_parse("", f, HB_MAX_HEAP_FACTORS, &e), -1);
    assert_true(hb_heap_factor_limit(1.5, 1001) == 1502); /* ceil */
}

static void minheap_csv_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/hb_test_minheapXXXXXX", path[256], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/minheap.csv", dir);
    hb_minheap m[2] = {{"pool", "rc", "gcbench", 0.1, 7, "0123456789abcdef", 1000, 990, 1200, 12, "ok"},
                       {"boehm", "boehm", "cycles", 1, 1, "fedcba9876543210", 0, 0, 5, 1, "oom"}};
    hb_err e;
    assert_int_equal(hb_minheap_write(path, m, 2, &e), 0);
    hb_minheap *v;
    assert_int_equal(hb_minheap_read(path, &v, err, sizeof err), 2);
    assert_memory_equal(&v[0], &m[0], sizeof m[0]);
    assert_string_equal(v[1].status, "oom");
    assert_true(v[1].min_heap_bytes == 0);
    free(v);
    unlink(path);
    rmdir(dir);
}

static int status_at(hb_run_config c, uint64_t limit)
{
    c.heap_limit_bytes = limit;
    c.reps = 1;
    hb_err e;
    return hb_run(&c, NULL, NULL, &e);
}

static void search_rc(void **state)
{
    (void)state;
    char dir[] = "/tmp/hb_test_minheapXXXXXX";
    assert_non_null(mkdtemp(dir));
    hb_run_config c;
    hb_settings_defaults(&c);
    c.alloc = "pool";
    c.coll = "rc";
    c.work = "small-objects";
    c.wp.scale = 0.002;
    c.isolate = 0;
    c.progress = 0;
    hb_minheap m;
    int cached = 1;
    hb_err e;
    assert_int_equal(hb_minheap_get(dir, &c, NULL, &m, &cached, &e), 0);
    assert_int_equal(cached, 0);
    assert_string_equal(m.status, "ok");
    assert_true(m.min_heap_bytes > 0 && m.fail_bytes < m.min_heap_bytes);
    assert_true((double)m.min_heap_bytes <= (double)m.fail_bytes * 1.01 + 1);
    assert_true(m.min_heap_bytes == m.unlimited_peak_bytes); /* rc: its peak exactly */
    assert_int_equal(status_at(c, m.min_heap_bytes), 0);
    assert_int_equal(status_at(c, (uint64_t)(0.97 * (double)m.min_heap_bytes)), 1);
    hb_minheap again;
    assert_int_equal(hb_minheap_get(dir, &c, NULL, &again, &cached, &e), 0);
    assert_int_equal(cached, 1);
    assert_true(again.min_heap_bytes == m.min_heap_bytes);
    /* Without minheap.csv the search is read back from the probe log. */
    char path[256];
    snprintf(path, sizeof path, "%s/minheap.csv", dir);
    unlink(path);
    hb_minheap resumed;
    assert_int_equal(hb_minheap_get(dir, &c, NULL, &resumed, &cached, &e), 0);
    assert_true(resumed.min_heap_bytes == m.min_heap_bytes); /* read back from the probe log */
    snprintf(path, sizeof path, "%s/minheap-probes.csv", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/minheap.csv", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_factors_parse),
        cmocka_unit_test(minheap_csv_round_trip),
        cmocka_unit_test(search_rc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
