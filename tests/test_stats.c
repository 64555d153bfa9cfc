/*
 * tests/test_stats.c -- harness/cli/stats.c against values computed by hand
 * (and checked against printed tables of Student's t and the binomial).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness/cli/stats.h"


static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, expected %.12g (tolerance %g)", got, want, tol);
}

static void test_mean_sd_median(void **state)
{
    (void)state;
    double x[] = {14, 10, 12};
    assert_close(hb_mean(x, 3), 12, 1e-12);
    assert_close(hb_sd(x, 3), 2, 1e-12); /* sqrt(((-2)^2 + 0 + 2^2) / 2) */
    assert_close(hb_median(x, 3), 12, 0);
    double even[] = {4, 1, 3, 2};
    assert_close(hb_median(even, 4), 2.5, 0);
    assert_true(x[0] == 14 && x[1] == 10); /* the input is left alone */
    assert_true(isnan(hb_mean(x, 0)));
    assert_true(isnan(hb_sd(x, 1)));
    assert_true(isnan(hb_median(x, 0)));
}

static void test_t_quantiles(void **state)
{
    (void)state;
    /* Printed tables of Student's t, two-sided 95% and 99%. */
    assert_close(hb_t_quantile(0.975, 1), 12.7062047, 1e-6);
    assert_close(hb_t_quantile(0.975, 2), 4.30265273, 1e-7);
    assert_close(hb_t_quantile(0.975, 4), 2.77644511, 1e-7);
    assert_close(hb_t_quantile(0.975, 9), 2.26215716, 1e-7);
    assert_close(hb_t_quantile(0.975, 29), 2.04522964, 1e-7);
    assert_close(hb_t_quantile(0.995, 10), 3.16927267, 1e-7);
    assert_close(hb_t_quantile(0.975, 1e7), 1.95996398, 1e-6); /* the normal */
    assert_close(hb_t_quantile(0.025, 4), -2.77644511, 1e-7);
    assert_close(hb_t_quantile(0.5, 3), 0, 1e-9);
    assert_true(isnan(hb_t_quantile(1.0, 3)));
    assert_true(isnan(hb_t_quantile(0.9, 0)));
}

static void test_binomial(void **state)
{
    (void)state;
    assert_close(hb_binom_half_cdf(10, 2), 56.0 / 1024, 1e-14); /* 1+10+45 */
    assert_close(hb_binom_half_cdf(10, 1), 11.0 / 1024, 1e-14);
    assert_close(hb_binom_half_cdf(5, 0), 1.0 / 32, 1e-14);
    assert_close(hb_binom_half_cdf(7, 7), 1, 0);
    /* Symmetry at a size where plain 2^-n would underflow. */
    assert_close(hb_binom_half_cdf(2001, 1000), 0.5, 1e-9);
}

static void test_mean_ci(void **state)
{
    (void)state;
    double x[] = {10, 12, 14};
    hb_interval ci;
    assert_int_equal(hb_mean_ci(x, 3, 0.95, &ci), 0);
    /* 12 -+ t(0.975, 2) * 2 / sqrt(3) */
    assert_close(ci.lo, 7.031724576, 1e-6);
    assert_close(ci.hi, 16.968275424, 1e-6);
    assert_int_equal(hb_mean_ci(x, 1, 0.95, &ci), -1);
    assert_true(isnan(ci.lo) && isnan(ci.hi));
}

static void test_median_ci(void **state)
{
    (void)state;
    double x[] = {9, 3, 7, 1, 10, 5, 2, 8, 4, 6}; /* 1..10 shuffled */
    hb_interval ci;
    /* n = 10: j = 2 covers 1 - 2 * 11/1024 = 0.9785; j = 3 only 0.8906. */
    assert_int_equal(hb_median_ci(x, 10, 0.95, &ci), 0);
    assert_close(ci.lo, 2, 0);
    assert_close(ci.hi, 9, 0);
    assert_close(ci.level, 1 - 2 * 11.0 / 1024, 1e-14);
    /* At 80% the interval narrows to j = 3: [3, 8], coverage 0.8906. */
    assert_int_equal(hb_median_ci(x, 10, 0.80, &ci), 0);
    assert_close(ci.lo, 3, 0);
    assert_close(ci.hi, 8, 0);
    assert_close(ci.level, 1 - 2 * 56.0 / 1024, 1e-14);
    /* n = 5 cannot reach 95%: [min, max] with its real coverage 15/16. */
    assert_int_equal(hb_median_ci(x, 5, 0.95, &ci), 1);
    assert_close(ci.lo, 1, 0);
    assert_close(ci.hi, 10, 0);
    assert_close(ci.level, 0.9375, 1e-14);
    /* n = 6 is the smallest that can: 1 - 2/64. */
    assert_int_equal(hb_median_ci(x, 6, 0.95, &ci), 0);
    assert_close(ci.level, 1 - 2.0 / 64, 1e-14);
    assert_int_equal(hb_median_ci(x, 0, 0.95, &ci), -1);
}

static void test_ratio_fieller(void **state)
{
    (void)state;
    double num[] = {20, 22, 24}, den[] = {10, 12, 14};
    hb_ratio r;
    assert_int_equal(hb_ratio_ci(num, 3, den, 3, 0.95, &r), 0);
    /* By hand: h = t(0.975, 4)^2 = 7.70865; a = 144 - 4h/3, b = 264,
     * c = 484 - 4h/3; (b -+ sqrt(b^2 - ac)) / a. */
    assert_close(r.ratio, 22.0 / 12, 1e-12);
    assert_close(r.lo, 1.37837636, 1e-7);
    assert_close(r.hi, 2.57011960, 1e-7);
    assert_int_equal(r.bounded, 1);
    /* Fieller's interval is not symmetric about the ratio. */
    assert_true(r.hi - r.ratio > r.ratio - r.lo);
    /* No spread at all: the interval collapses on the ratio. */
    double a[] = {3, 3, 3}, b[] = {2, 2, 2};
    assert_int_equal(hb_ratio_ci(a, 3, b, 3, 0.95, &r), 0);
    assert_close(r.lo, 1.5, 1e-12);
    assert_close(r.hi, 1.5, 1e-12);
}

static void test_ratio_unbounded(void **state)
{
    (void)state;
    /* A baseline whose mean (1) is well inside its own noise. */
    double num[] = {1, 2, 3}, den[] = {-1, 1, 3};
    hb_ratio r;
    assert_int_equal(hb_ratio_ci(num, 3, den, 3, 0.95, &r), -1);
    assert_close(r.ratio, 2, 1e-12);
    assert_int_equal(r.bounded, 0);
    assert_true(isnan(r.lo) && isnan(r.hi));
    double zero[] = {0, 0};
    assert_int_equal(hb_ratio_ci(num, 3, zero, 2, 0.95, &r), -1);
    assert_int_equal(hb_ratio_ci(num, 1, den, 3, 0.95, &r), -1);
    assert_close(r.ratio, 1, 1e-12); /* the point estimate still stands */
}

static void test_summarize(void **state)
{
    (void)state;
    double x[] = {5, 1, 4, 2, 3, 7, 6};
    hb_summary s;
    hb_summarize(x, 7, 0.95, &s);
    assert_int_equal(s.n, 7);
    assert_close(s.median, 4, 0);
    assert_close(s.mean, 4, 1e-12);
    /* n = 7: j = 1 covers 1 - 2/128 = 0.984; j = 2 covers 1 - 16/128 = 0.875. */
    assert_close(s.median_ci.lo, 1, 0);
    assert_close(s.median_ci.hi, 7, 0);
    assert_close(s.median_ci.level, 1 - 2.0 / 128, 1e-14);
    assert_true(s.mean_ci.lo < 4 && s.mean_ci.hi > 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_sd_median), cmocka_unit_test(test_t_quantiles),
        cmocka_unit_test(test_binomial),       cmocka_unit_test(test_mean_ci),
        cmocka_unit_test(test_median_ci),      cmocka_unit_test(test_ratio_fieller),
        cmocka_unit_test(test_ratio_unbounded), cmocka_unit_test(test_summarize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
