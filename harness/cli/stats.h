/*
 * harness/cli/stats.h -- command layer: the statistics every summary of repetitions uses.
 *
 * Repetitions of one cell are treated as independent samples of one random
 * quantity.  Location: median (robust, what the tables print) and mean (what
 * ratios compare).  Intervals, all two-sided at a confidence `conf` (0.95):
 *   - the mean: Student's t, mean +- t(1 - a/2, n - 1) * sd / sqrt(n);
 *   - the median: distribution-free, from order statistics: [x(j), x(n-j+1)]
 *     with the largest j whose binomial coverage 1 - 2 P(Bin(n, 1/2) < j) is
 *     at least conf.  No resampling, so no seed; exact for any continuous
 *     distribution.  Below 6 samples no such j exists at 95%: the interval
 *     is then [min, max] and `level` says the coverage it really has;
 *   - the ratio of two means (a cell over a baseline): Fieller's interval for
 *     independent samples, as Kalibera and Jones give it for ratios of mean
 *     execution times over repetitions (callers pass times, not rates: the
 *     ratio of mean rates is not the inverse of the ratio of mean times).
 *     The two cells' variances are not assumed equal: t is taken on the
 *     Welch-Satterthwaite degrees of freedom
 *       df = (s1^2/n1 + s2^2/n2)^2 / ((s1^2/n1)^2/(n1-1) + (s2^2/n2)^2/(n2-1)),
 *     which is n1 + n2 - 2 when n1 = n2 and the variances are equal.  When the baseline's mean is not clearly away from zero the
 *     set is unbounded; then lo = hi = NaN and bounded = 0.
 * Degenerate input gives NaN (never a crash): an empty sample, or a spread
 * from fewer than two values.
 */
#ifndef HB_STATS_H
#define HB_STATS_H

#include <stddef.h>

typedef struct hb_interval {
    double lo, hi;
    double level; /* the coverage actually achieved (>= conf unless short) */
} hb_interval;

typedef struct hb_ratio {
    double ratio;  /* mean(num) / mean(den) */
    double lo, hi; /* Fieller interval; NaN when unbounded */
    int bounded;   /* 0: the data cannot bound the ratio at this level */
    double df;     /* Welch-Satterthwaite degrees of freedom of its t */
} hb_ratio;

/* A sample's summary: everything the report prints for one column. */
typedef struct hb_summary {
    size_t n;
    double mean, sd, median;
    hb_interval mean_ci, median_ci;
} hb_summary;

double hb_mean(const double *x, size_t n);
/* Sample standard deviation (n - 1 in the denominator); NaN if n < 2. */
double hb_sd(const double *x, size_t n);
/* The median (the mean of the two middle values for even n); x unchanged. */
double hb_median(const double *x, size_t n);

/* The p-quantile of Student's t with df > 0 degrees of freedom, 0 < p < 1. */
double hb_t_quantile(double p, double df);
/* P(Bin(n, 1/2) <= k). */
double hb_binom_half_cdf(size_t n, size_t k);

/* Return 0, or -1 when the interval could not be formed (NaN bounds). */
int hb_mean_ci(const double *x, size_t n, double conf, hb_interval *out);
/* Returns 0, 1 when the achieved level is below conf (too few samples),
 * -1 for an empty sample. */
int hb_median_ci(const double *x, size_t n, double conf, hb_interval *out);
/* Welch-Satterthwaite degrees of freedom for two squared standard errors of
 * means (s^2/n) from samples of na and nb values; NaN if either n < 2. */
double hb_welch_df(double se2_a, size_t na, double se2_b, size_t nb);
/* Returns 0, or -1 when the ratio or its interval is undefined. */
int hb_ratio_ci(const double *num, size_t nn, const double *den, size_t nd,
                double conf, hb_ratio *out);

/* Fills every field of s (conf for both intervals). */
void hb_summarize(const double *x, size_t n, double conf, hb_summary *s);

#endif
