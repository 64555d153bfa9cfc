/*
 * tests/test_metrics.c -- the pause histogram, the pause log, MMU and
 * fragmentation against values worked out by hand, and MMU against a
 * brute-force search over every window on small random inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/metrics.h"

#define MS 1000000ull
#define US 1000ull

/* |got - want| within the histogram's promised 0.4% of want. */
static void assert_within(double got, double want)
{
    if (fabs(got - want) > want * 0.004) {
        fail_msg("got %.3f, want %.3f within 0.4%%", got, want);
    }
}

static hb_hist *new_hist(void)
{
    hb_hist *h = malloc(sizeof *h);
    assert_non_null(h);
    hb_hist_init(h);
    return h;
}

/* ---- histogram ---- */

static void test_hist_empty(void **state)
{
    (void)state;
    hb_hist *h = new_hist();
    assert_int_equal(h->count, 0);
    assert_true(hb_hist_quantile_ns(h, 0.5) == 0.0);
    assert_true(hb_hist_quantile_ns(h, 1.0) == 0.0);
    free(h);
}

static void test_hist_exact_small(void **state)
{
    (void)state;
    hb_hist *h = new_hist();
    for (uint64_t v = 100; v >= 1; v--) /* order must not matter */
        hb_hist_add(h, v);
    /* Nearest rank among 1..100: the q-quantile is ceil(100 q). */
    assert_true(hb_hist_quantile_ns(h, 0.5) == 50.0);
    assert_true(hb_hist_quantile_ns(h, 0.9) == 90.0);
    assert_true(hb_hist_quantile_ns(h, 0.99) == 99.0);
    assert_true(hb_hist_quantile_ns(h, 0.999) == 100.0);
    assert_true(hb_hist_quantile_ns(h, 0.001) == 1.0);
    assert_true(hb_hist_quantile_ns(h, 0.0) == 1.0);
    assert_true(hb_hist_quantile_ns(h, 1.0) == 100.0);
    assert_int_equal(h->min_ns, 1);
    assert_int_equal(h->max_ns, 100);
    assert_int_equal(h->count, 100);
    assert_int_equal(h->sum_ns, 5050);
    free(h);
}

static void test_hist_zero_and_127(void **state)
{
    (void)state;
    hb_hist *h = new_hist();
    for (uint64_t v = 0; v < 128; v++)
        hb_hist_add(h, v);
    assert_true(hb_hist_quantile_ns(h, 0.5) == 63.0); /* rank 64 */
    assert_true(hb_hist_quantile_ns(h, 0.99) == 126.0); /* rank ceil(126.72) */
    assert_int_equal(h->min_ns, 0);
    free(h);
}

static void test_hist_1_to_1000_us(void **state)
{
    (void)state;
    hb_hist *h = new_hist();
    for (uint64_t i = 1; i <= 1000; i++)
        hb_hist_add(h, i * US);
    assert_within(hb_hist_quantile_ns(h, 0.5), 500 * US);
    assert_within(hb_hist_quantile_ns(h, 0.9), 900 * US);
    assert_within(hb_hist_quantile_ns(h, 0.99), 990 * US);
    assert_within(hb_hist_quantile_ns(h, 0.999), 999 * US);
    assert_true(hb_hist_quantile_ns(h, 1.0) == 1000.0 * US); /* exact */
    assert_true(hb_hist_quantile_ns(h, 0.0) == 1.0 * US);    /* exact */
    assert_within(hb_hist_quantile_ns(h, 0.25), 250 * US);
    assert_within(hb_hist_quantile_ns(h, 0.002), 2 * US);
    free(h);
}

/* One value between two far-away ones: the median is that value's bucket
 * midpoint, unclamped; it must lie within 0.4% everywhere in the range. */
static void check_one_value(uint64_t v)
{
    hb_hist *h = new_hist();
    hb_hist_add(h, 0);
    hb_hist_add(h, v);
    hb_hist_add(h, UINT64_MAX);
    double got = hb_hist_quantile_ns(h, 0.5);
    if (v < 128)
        assert_true(got == (double)v);
    else
        assert_within(got, (double)v);
    assert_true(hb_hist_quantile_ns(h, 1.0) == (double)UINT64_MAX);
    free(h);
}

static void test_hist_relative_error_whole_range(void **state)
{
    (void)state;
    for (unsigned k = 0; k < 64; k++) {
        uint64_t p = (uint64_t)1 << k;
        check_one_value(p);
        check_one_value(p - 1);
        check_one_value(p + 1);
        check_one_value(p + p / 2 + 7);
    }
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 2000; i++) { /* xorshift64: values of every size */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_one_value(x >> (x % 64));
    }
}

static void test_hist_merge(void **state)
{
    (void)state;
    hb_hist *a = new_hist(), *b = new_hist(), *all = new_hist(), *e = new_hist();
    for (uint64_t i = 1; i <= 1000; i++) {
        hb_hist_add(i <= 400 ? a : b, i * 37 * US);
        hb_hist_add(all, i * 37 * US);
    }
    hb_hist_merge(a, b);
    assert_memory_equal(a, all, sizeof *a);
    hb_hist_merge(a, e); /* merging an empty one changes nothing */
    assert_memory_equal(a, all, sizeof *a);
    hb_hist_merge(e, b); /* into an empty one: min comes from b */
    assert_int_equal(e->min_ns, 401 * 37 * US);
    assert_int_equal(e->max_ns, 1000 * 37 * US);
    assert_int_equal(e->count, 600);
    free(a), free(b), free(all), free(e);
}

/* ---- pause log ---- */

static void test_pauselog_full_and_clear(void **state)
{
    (void)state;
    hb_pauselog l;
    assert_int_equal(hb_pauselog_init(&l, 3), 0);
    assert_int_equal(hb_pauselog_add(&l, 10, 20), 0);
    assert_int_equal(hb_pauselog_add(&l, 30, 35), 0);
    assert_int_equal(hb_pauselog_add(&l, 40, 41), 0);
    assert_int_equal(hb_pauselog_add(&l, 50, 60), -1);
    assert_int_equal(hb_pauselog_add(&l, 70, 71), -1);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.total_ns, 10 + 5 + 1 + 10 + 1);
    assert_int_equal(l.se[2], 30);
    assert_int_equal(l.se[5], 41);
    hb_pauselog_clear(&l);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.total_ns, 0);
    assert_int_equal(hb_pauselog_add(&l, 5, 6), 0);
    assert_int_equal(l.se[0], 5);
    hb_pauselog_free(&l);
    assert_null(l.se);
}

static void test_pauselog_overlap_and_reversed(void **state)
{
    (void)state;
    hb_pauselog l;
    assert_int_equal(hb_pauselog_init(&l, 16), 0);
    assert_int_equal(hb_pauselog_add(&l, 10, 20), 0);
    assert_int_equal(hb_pauselog_add(&l, 15, 30), 0); /* overlap counted once */
    assert_int_equal(hb_pauselog_add(&l, 22, 25), 0); /* wholly inside */
    assert_int_equal(hb_pauselog_add(&l, 50, 40), 0); /* reversed: empty */
    assert_int_equal(l.total_ns, 20);
    assert_int_equal(l.se[2], 20);
    assert_int_equal(l.se[3], 30);
    for (size_t i = 1; i < 2 * l.n; i++)
        assert_true(l.se[i - 1] <= l.se[i]);
    hb_pauselog_free(&l);
}

static void test_pauselog_zero_capacity_and_large(void **state)
{
    (void)state;
    hb_pauselog l;
    assert_int_equal(hb_pauselog_init(&l, 0), 0);
    assert_int_equal(hb_pauselog_add(&l, 1, 2), -1);
    assert_int_equal(l.total_ns, 1);
    hb_pauselog_free(&l);
    /* 16 MiB reserved; only the pages written are touched. */
    assert_int_equal(hb_pauselog_init(&l, (size_t)1 << 20), 0);
    for (uint64_t i = 0; i < 5000; i++)
        assert_int_equal(hb_pauselog_add(&l, i * 10, i * 10 + 3), 0);
    assert_int_equal(l.n, 5000);
    hb_pauselog_free(&l);
}

/* ---- MMU ---- */

static hb_pauselog make_log(const uint64_t *se, size_t n)
{
    hb_pauselog l;
    assert_int_equal(hb_pauselog_init(&l, n > 0 ? n : 1), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hb_pauselog_add(&l, se[2 * i], se[2 * i + 1]), 0);
    return l;
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-12)
        fail_msg("got %.15g, want %.15g", got, want);
}

static void test_mmu_one_pause(void **state)
{
    (void)state;
    const uint64_t se[] = { 4 * MS, 6 * MS };
    hb_pauselog l = make_log(se, 1);
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 0.0);
    assert_near(hb_mmu(&l, 10 * MS, 2 * MS), 0.0);
    assert_near(hb_mmu(&l, 10 * MS, 4 * MS), 0.5);
    assert_near(hb_mmu(&l, 10 * MS, 5 * MS), 0.6);
    assert_near(hb_mmu(&l, 10 * MS, 10 * MS), 0.8);
    assert_near(hb_mmu(&l, 10 * MS, 100 * MS), 0.8);
    hb_pauselog_free(&l);
}

static void test_mmu_two_close_pauses(void **state)
{
    (void)state;
    /* [2, 3] ms and [3.5, 4.5] ms in a 10 ms run. */
    const uint64_t se[] = { 2 * MS, 3 * MS, 3500 * US, 4500 * US };
    hb_pauselog l = make_log(se, 2);
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 0.0);
    assert_near(hb_mmu(&l, 10 * MS, 1500 * US), 0.5 / 1.5);
    assert_near(hb_mmu(&l, 10 * MS, 2500 * US), 0.5 / 2.5);
    assert_near(hb_mmu(&l, 10 * MS, 3 * MS), 1.0 / 3.0);
    assert_near(hb_mmu(&l, 10 * MS, 5 * MS), 3.0 / 5.0);
    assert_near(hb_mmu(&l, 10 * MS, 10 * MS), 0.8);
    hb_pauselog_free(&l);
}

static void test_mmu_pauses_at_edges(void **state)
{
    (void)state;
    const uint64_t se[] = { 0, 1 * MS, 9 * MS, 10 * MS };
    hb_pauselog l = make_log(se, 2);
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 0.0);
    assert_near(hb_mmu(&l, 10 * MS, 2 * MS), 0.5);
    assert_near(hb_mmu(&l, 10 * MS, 5 * MS), 0.8);
    assert_near(hb_mmu(&l, 10 * MS, 9500 * US), 8.0 / 9.5); /* holds both ends */
    assert_near(hb_mmu(&l, 10 * MS, 10 * MS), 0.8);
    hb_pauselog_free(&l);

    /* A pause running past the run's end counts only up to the end. */
    const uint64_t late[] = { 9500 * US, 11 * MS };
    l = make_log(late, 1);
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 0.5);
    assert_near(hb_mmu(&l, 10 * MS, 10 * MS), 0.95);
    assert_near(hb_mmu(&l, 10 * MS, 500 * US), 0.0);
    hb_pauselog_free(&l);

    /* Wholly after the run: no pause inside it. */
    const uint64_t after[] = { 12 * MS, 13 * MS };
    l = make_log(after, 1);
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 1.0);
    hb_pauselog_free(&l);
}

static void test_mmu_no_pauses_and_degenerate(void **state)
{
    (void)state;
    hb_pauselog l = make_log(NULL, 0);
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 1.0);
    assert_near(hb_mmu(&l, 10 * MS, 0), 1.0);
    assert_near(hb_mmu(&l, 0, 1 * MS), 1.0);
    hb_pauselog_free(&l);

    const uint64_t se[] = { 1 * MS, 2 * MS, 3 * MS, 3 * MS };
    l = make_log(se, 2);
    assert_near(hb_mmu(&l, 10 * MS, 0), 0.0); /* an instant inside a pause */
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 0.0);
    hb_pauselog_free(&l);
}

static void test_mmu_overflowed_log_is_nan(void **state)
{
    (void)state;
    hb_pauselog l;
    assert_int_equal(hb_pauselog_init(&l, 1), 0);
    assert_int_equal(hb_pauselog_add(&l, 1 * MS, 2 * MS), 0);
    assert_near(hb_mmu(&l, 10 * MS, 1 * MS), 0.0);
    assert_int_equal(hb_pauselog_add(&l, 5 * MS, 5 * MS), -1); /* empty: harmless */
    assert_false(isnan(hb_mmu(&l, 10 * MS, 1 * MS)));
    assert_int_equal(hb_pauselog_add(&l, 6 * MS, 7 * MS), -1);
    assert_true(isnan(hb_mmu(&l, 10 * MS, 1 * MS)));
    hb_pauselog_free(&l);
}

/* With integer times and window, the worst window starts at an integer, so
 * trying every integer start is an exact reference. */
static uint64_t brute_worst(const hb_pauselog *l, uint64_t run, uint64_t w)
{
    uint64_t worst = 0;
    for (uint64_t t = 0; t + w <= run; t++) {
        uint64_t paused = 0;
        for (size_t i = 0; i < l->n; i++) {
            uint64_t s = l->se[2 * i], e = l->se[2 * i + 1];
            uint64_t a = s > t ? s : t, b = e < t + w ? e : t + w;
            if (b > a)
                paused += b - a;
        }
        if (paused > worst)
            worst = paused;
    }
    return worst;
}

static void test_mmu_matches_brute_force(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int trial = 0; trial < 300; trial++) {
        hb_pauselog l;
        assert_int_equal(hb_pauselog_init(&l, 4096), 0);
        const uint64_t run = 200;
        uint64_t t = 0;
        for (;;) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t += x % 25;                       /* gap, may be 0 */
            uint64_t len = (x >> 8) % 12;      /* may be 0 */
            if (t >= run + 10)                 /* some pauses run past the end */
                break;
            assert_int_equal(hb_pauselog_add(&l, t, t + len), 0);
            t += len;
        }
        for (uint64_t w = 1; w <= run + 5; w += 1 + w / 8) {
            uint64_t ww = w < run ? w : run; /* longer windows: the whole run */
            double want = (double)(ww - brute_worst(&l, run, ww)) / (double)ww;
            double got = hb_mmu(&l, run, w);
            if (got != want)
                fail_msg("trial %d, window %llu: got %.17g, want %.17g", trial,
                         (unsigned long long)w, got, want);
        }
        hb_pauselog_free(&l);
    }
}

static void test_mmu_many_pauses(void **state)
{
    (void)state;
    /* 1,000,000 pauses of 1 us every 10 us: linear time keeps this quick;
     * any window of whole periods is 90% mutator. */
    hb_pauselog l;
    const size_t n = 1000000;
    assert_int_equal(hb_pauselog_init(&l, n), 0);
    for (uint64_t i = 0; i < n; i++)
        hb_pauselog_add(&l, i * 10 * US, i * 10 * US + 1 * US);
    uint64_t run = n * 10 * US;
    assert_near(hb_mmu(&l, run, 1 * MS), 0.9);
    assert_near(hb_mmu(&l, run, 1 * US), 0.0);
    assert_near(hb_mmu(&l, run, 5 * US), 0.8);
    assert_near(hb_mmu(&l, run, run), 0.9);
    hb_pauselog_free(&l);
}

/* ---- the harness's work inside pauses ---- */

static void test_excl_every_piece_inside(void **state)
{
    (void)state;
    static hb_excl x;
    hb_excl_clear(&x);
    hb_excl_add(&x, 5, 1);   /* before the pause: the mutator's time */
    hb_excl_add(&x, 10, 2);  /* at its start: inside */
    hb_excl_add(&x, 12, 4);
    hb_excl_add(&x, 19, 8);  /* the last before its end */
    assert_int_equal(hb_excl_take(&x, 10, 20), 2 + 4 + 8);
    assert_int_equal(hb_excl_take(&x, 0, 100), 0); /* taken: empty */
    hb_excl_add(&x, 30, 3);
    assert_int_equal(hb_excl_take(&x, 31, 40), 0); /* before this pause */
    hb_excl_add(&x, 50, 16);
    assert_int_equal(hb_excl_take(&x, 45, 50), 0); /* at its end: after */
}

static void test_excl_keeps_the_last_max(void **state)
{
    (void)state;
    static hb_excl x;
    hb_excl_clear(&x);
    for (uint64_t i = 0; i < HB_EXCL_MAX + 10; i++)
        hb_excl_add(&x, 100 + i, i);
    /* The first 10 are gone; of the rest, those from 100 + 500 on. */
    uint64_t want = 0;
    for (uint64_t i = 500; i < HB_EXCL_MAX + 10; i++)
        want += i;
    assert_int_equal(hb_excl_take(&x, 600, UINT64_MAX), want);
    for (uint64_t i = 0; i < HB_EXCL_MAX + 10; i++)
        hb_excl_add(&x, 100 + i, 1);
    assert_int_equal(hb_excl_take(&x, 0, UINT64_MAX), HB_EXCL_MAX);
}

/* ---- fragmentation ---- */

static void test_frag(void **state)
{
    (void)state;
    assert_near(hb_frag(150, 100), 0.5);
    assert_near(hb_frag(100, 100), 0.0);
    assert_near(hb_frag(4096, 1024), 3.0);
    assert_near(hb_frag(50, 100), -0.5); /* shown, not hidden */
    assert_near(hb_frag(12345, 0), 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_empty),
        cmocka_unit_test(test_hist_exact_small),
        cmocka_unit_test(test_hist_zero_and_127),
        cmocka_unit_test(test_hist_1_to_1000_us),
        cmocka_unit_test(test_hist_relative_error_whole_range),
        cmocka_unit_test(test_hist_merge),
        cmocka_unit_test(test_pauselog_full_and_clear),
        cmocka_unit_test(test_pauselog_overlap_and_reversed),
        cmocka_unit_test(test_pauselog_zero_capacity_and_large),
        cmocka_unit_test(test_mmu_one_pause),
        cmocka_unit_test(test_mmu_two_close_pauses),
        cmocka_unit_test(test_mmu_pauses_at_edges),
        cmocka_unit_test(test_mmu_no_pauses_and_degenerate),
        cmocka_unit_test(test_mmu_overflowed_log_is_nan),
        cmocka_unit_test(test_mmu_matches_brute_force),
        cmocka_unit_test(test_mmu_many_pauses),
        cmocka_unit_test(test_excl_every_piece_inside),
        cmocka_unit_test(test_excl_keeps_the_last_max),
        cmocka_unit_test(test_frag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
