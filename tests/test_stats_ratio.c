/*
 * tests/test_stats_ratio.c -- the ratio of means (Kalibera and Jones, Fieller's
 * interval) with Welch-Satterthwaite degrees of freedom, and the coverage the
 * distribution-free interval of the median really has, against worked examples
 * computed by hand (harness/cli/stats.h).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "harness/cli/stats.h"

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.10g, want %.10g (tolerance %g)", got, want, tol);
}

/* Equal sizes and variances: df = n1 + n2 - 2 = 4, t(0.975, 4) = 2.7764451.
 * Times 9, 10, 11 over 19, 20, 21: means 10 and 20, s^2/n = 1/3 each;
 * a = 400 - t^2/3, b = 200, c = 100 - t^2/3, rho = (b -+ sqrt(b^2 - ac)) / a. */
static void test_fieller_equal_variances(void **state)
{
    (void)state;
    const double num[] = {9, 10, 11}, den[] = {19, 20, 21};
    hb_ratio r;
    assert_int_equal(hb_ratio_ci(num, 3, den, 3, 0.95, &r), 0);
    assert_close(r.ratio, 0.5, 1e-12);
    assert_close(r.df, 4, 1e-12);
    assert_close(r.lo, 0.4132760043, 1e-8);
    assert_close(r.hi, 0.5931894014, 1e-8);
    assert_true(r.bounded);
}

/* Unequal variances: s^2 = 0.625 and 20 over n = 5 each, so s^2/n = 0.125 and
 * 4; df = 4.125^2 / (0.125^2/4 + 4^2/4) = 4.2497561, not the pooled 8. */
static void test_welch_df(void **state)
{
    (void)state;
    assert_close(hb_welch_df(0.125, 5, 4, 5), 4.249756098, 1e-8);
    assert_close(hb_welch_df(1.0 / 3, 3, 1.0 / 3, 3), 4, 1e-12);
    assert_true(isnan(hb_welch_df(1, 1, 1, 5)));

    const double num[] = {10, 10.5, 11, 9.5, 9}, den[] = {18, 22, 26, 14, 20};
    hb_ratio r;
    assert_int_equal(hb_ratio_ci(num, 5, den, 5, 0.95, &r), 0);
    assert_close(r.df, 4.249756098, 1e-8);
    /* The interval is Fieller's with t on that df: rebuild it from the parts. */
    double t = hb_t_quantile(0.975, r.df), h = t * t;
    double a = 400 - h * 4, b = 200, c = 100 - h * 0.125;
    assert_close(r.lo, (b - sqrt(b * b - a * c)) / a, 1e-12);
    assert_close(r.hi, (b + sqrt(b * b - a * c)) / a, 1e-12);
    /* Wider than the pooled-df interval would be (t(4.25) > t(8)). */
    double t8 = hb_t_quantile(0.975, 8), h8 = t8 * t8;
    double a8 = 400 - h8 * 4, c8 = 100 - h8 * 0.125;
    assert_true(r.hi - r.lo > 2 * sqrt(b * b - a8 * c8) / a8);
}

/* Coverage of [x(j), x(n-j+1)]: 1 - 2 P(Bin(n, 1/2) <= j - 1).  Five samples
 * give only [min, max] at 1 - 2/32 = 93.75%; six give 1 - 2/64 = 96.875%. */
static void test_median_coverage(void **state)
{
    (void)state;
    const double x[] = {5, 1, 4, 2, 3, 6, 7, 8, 9, 10, 11, 12};
    hb_interval iv;
    assert_int_equal(hb_median_ci(x, 5, 0.95, &iv), 1); /* short of 95% */
    assert_close(iv.level, 0.9375, 1e-12);
    assert_close(iv.lo, 1, 0);
    assert_close(iv.hi, 5, 0);
    assert_int_equal(hb_median_ci(x, 6, 0.95, &iv), 0);
    assert_close(iv.level, 0.96875, 1e-12);
    /* n = 12: j = 3 covers 1 - 2 (1 + 12 + 66) / 4096 = 0.961425781. */
    assert_int_equal(hb_median_ci(x, 12, 0.95, &iv), 0);
    assert_close(iv.level, 1 - 2.0 * 79 / 4096, 1e-12);
    assert_close(iv.lo, 3, 0);
    assert_close(iv.hi, 10, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fieller_equal_variances),
        cmocka_unit_test(test_welch_df),
        cmocka_unit_test(test_median_coverage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
