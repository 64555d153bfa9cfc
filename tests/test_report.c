/*
 * tests/test_report.c -- `heapbench report` on crafted rows: the numbers of
 * summary.csv (medians, their intervals and the coverage they reach, the
 * speed-up as a ratio of mean wall times with its Fieller interval and
 * Welch-Satterthwaite degrees of freedom) and the sentences of --markdown
 * (faster, tie, slower by the interval's place against 1), against worked
 * examples computed by hand.
 *
 * The rows: one collector (rc), one workload (w), ops = 1e6 in every row.
 *   malloc (baseline), 6 reps: wall 2.0 2.2 1.8 2.1 1.9 2.0 (mean 2, s^2 0.02)
 *   pool,  6 reps: wall 1.0 1.1 0.9 1.0 1.0 1.0  (mean 1, s^2 0.004)
 *   bump,  5 reps: wall 2.0 2.3 1.7 2.1 1.9      (mean 2: a tie)
 *   tcmalloc, 6 reps: wall 4.0 4.1 3.9 4.0 4.0 4.0 (mean 4: slower, 0.5)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/cli/cli.h"
#include "harness/cli/stats.h"
#include "harness/formats/machine.h"
#include "harness/formats/results.h"

static char root[64];

static const double base_w[] = {2.0, 2.2, 1.8, 2.1, 1.9, 2.0};
static const double pool_w[] = {1.0, 1.1, 0.9, 1.0, 1.0, 1.0};
static const double bump_w[] = {2.0, 2.3, 1.7, 2.1, 1.9};
static const double tc_w[] = {4.0, 4.1, 3.9, 4.0, 4.0, 4.0};

static void add_rows(hb_row *rows, size_t *n, const char *alloc, const double *wall, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        hb_row *r = &rows[(*n)++];
        memset(r, 0, sizeof *r);
        r->allocator = alloc;
        r->collector = "rc";
        r->workload = "w";
        r->status = "ok";
        r->scale = 1;
        r->seed = 1;
        r->rep = i + 1;
        r->ops = 1000000;
        r->wall_s = wall[i];
        r->ops_per_s = 1e6 / wall[i];
        r->peak_live_bytes = 1 << 20;
        r->peak_footprint_bytes = 1 << 21;
        r->frag_jw4_peaks = 1;
        /* CPU over wall: malloc 0.97, pool 0.98 (rep 3: 0.5), bump 0.99,
         * tcmalloc none (cpu_s 0: left out); rep x 10 preemptions. */
        double on = strcmp(alloc, "malloc") == 0 ? 0.97
                    : strcmp(alloc, "pool") == 0 ? (i == 2 ? 0.5 : 0.98)
                    : strcmp(alloc, "bump") == 0 ? 0.99 : 0;
        r->cpu_s = wall[i] * on;
        r->involuntary_switches = 10 * (i + 1);
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/hb_test_report_XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    hb_row rows[32];
    size_t n = 0;
    add_rows(rows, &n, "malloc", base_w, 6);
    add_rows(rows, &n, "pool", pool_w, 6);
    add_rows(rows, &n, "bump", bump_w, 5);
    add_rows(rows, &n, "tcmalloc", tc_w, 6);
    char path[128];
    snprintf(path, sizeof path, "%s/rows.csv", root);
    return hb_rows_append_csv(path, rows, n, NULL);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static int run_report(const char *a, const char *b, const char *c)
{
    char *argv[] = {"report", root, (char *)a, (char *)b, (char *)c, NULL};
    return hb_cmd_report(c ? 5 : b ? 4 : a ? 3 : 2, argv);
}

/* The value of column `col` on summary.csv's line of allocator `alloc`. */
static double field(const char *alloc, const char *col)
{
    char path[128], head[16384], line[16384];
    snprintf(path, sizeof path, "%s/summary.csv", root);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(head, sizeof head, f));
    int want = -1, k = 0;
    for (char *t = strtok(head, ",\n"); t; t = strtok(NULL, ",\n"), k++)
        if (strcmp(t, col) == 0)
            want = k;
    if (want < 0)
        fail_msg("summary.csv has no column %s", col);
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, alloc, strlen(alloc)) != 0 || line[strlen(alloc)] != ',')
            continue;
        char *p = line;
        for (int i = 0; i < want; i++)
            p = strchr(p, ',') + 1;
        v = *p == ',' || *p == '\n' ? NAN : strtod(p, NULL);
    }
    fclose(f);
    return v;
}

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.10g, want %.10g (tolerance %g)", got, want, tol);
}

/* Coverage: 6 reps: [x(1), x(6)] covers 1 - 2/64 = 96.875%; 5 reps: 1 - 2/32. */
static void test_medians_and_coverage(void **state)
{
    (void)state;
    assert_int_equal(run_report("--format", "csv", NULL), 0);
    assert_close(field("pool", "ci_level"), 0.96875, 1e-12);
    assert_close(field("bump", "ci_level"), 0.9375, 1e-12);
    assert_close(field("malloc", "wall_s_median"), 2.0, 1e-12);
    assert_close(field("malloc", "wall_s_lo"), 1.8, 1e-12);
    assert_close(field("malloc", "wall_s_hi"), 2.2, 1e-12);
    assert_close(field("pool", "mean_ci_level"), 0.95, 1e-12);
}

/* pool over malloc: speed-up = mean 2.0 / mean 1.0 = 2 (the ratio of mean
 * ops/s would be 1.0134...: not what Kalibera and Jones compare).  s^2/n:
 * 0.02/6 (malloc) and 0.004/6 (pool); Welch df = (0.024/6)^2 /
 * ((0.02/6)^2/5 + (0.004/6)^2/5) = 6.923077.  The interval is the time
 * ratio's inverted, and each bound solves Fieller's equation
 * (2 - rho 1)^2 = t^2 (0.02/6 + rho^2 0.004/6). */
static void test_speedup_is_ratio_of_mean_times(void **state)
{
    (void)state;
    assert_int_equal(run_report("--format", "csv", NULL), 0);
    double s = field("pool", "speedup"), lo = field("pool", "speedup_lo"),
           hi = field("pool", "speedup_hi"), df = field("pool", "speedup_df");
    assert_close(s, 2.0, 1e-9);
    assert_close(df, 6.923076923, 1e-6);
    assert_close(field("pool", "speedup_level"), 0.95, 1e-12);
    double t = hb_t_quantile(0.975, df);
    for (int i = 0; i < 2; i++) {
        double rho = i ? hi : lo;
        double lhs = (2 - rho) * (2 - rho), rhs = t * t * (0.02 / 6 + rho * rho * 0.004 / 6);
        assert_close(lhs, rhs, 1e-6);
    }
    assert_true(lo < 2 && hi > 2);
    hb_ratio tr; /* the time ratio, cell over baseline */
    assert_int_equal(hb_ratio_ci(pool_w, 6, base_w, 6, 0.95, &tr), 0);
    assert_close(lo, 1 / tr.hi, 1e-7);
    assert_close(hi, 1 / tr.lo, 1e-7);
    assert_close(field("malloc", "speedup"), 1, 0); /* the baseline itself */
    assert_close(field("tcmalloc", "speedup"), 0.5, 1e-9);
}

static char *read_all(const char *path)
{
    char *t = hb_read_file(path, NULL);
    assert_non_null(t);
    return t;
}

/* The README's sentences: faster / tie / slower by where the interval lies. */
static void test_markdown_sentences(void **state)
{
    (void)state;
    char md[128];
    snprintf(md, sizeof md, "%s/fig.md", root);
    assert_int_equal(run_report("--markdown", md, NULL), 0);
    char *t = read_all(md);
    assert_non_null(strstr(t, "- `pool` against `malloc` (1 cells): faster in 1 (speed-up "
                              "2.000, 100% faster)."));
    assert_non_null(strstr(t, "- `bump` against `malloc` (1 cells): a tie in 1 (speed-up 1.000: "
                              "`w`/`rc`)."));
    assert_non_null(strstr(t, "- `tcmalloc` against `malloc` (1 cells): slower in 1 (speed-up "
                              "0.500, 50% slower: `w`/`rc`)."));
    assert_non_null(strstr(t, "whose coverage here is 93.8-96.9%"));
    assert_non_null(strstr(t, "a time meta.json does not record"));
    free(t);
    /* Regenerating gives the same text, byte for byte. */
    char md2[128];
    snprintf(md2, sizeof md2, "%s/fig2.md", root);
    assert_int_equal(run_report("--markdown", md2, NULL), 0);
    char *a = read_all(md), *b = read_all(md2);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* The machine's paragraph: 17 rows with cpu_s (sorted ratios 0.5, 0.97 x6,
 * 0.98 x5, 0.99 x5: the 9th is 0.98); preemptions per second 10 (i + 1) /
 * wall, whose 9th smallest is 40 / 2.1 = 19.05 and largest pool rep 6's 60. */
static void test_machine_paragraph(void **state)
{
    (void)state;
    char out[128];
    snprintf(out, sizeof out, "%s/report.txt", root);
    assert_int_equal(run_report("--out", out, NULL), 0);
    char *t = read_all(out);
    assert_non_null(strstr(t, "over the timed replays of the 17 repetitions that run one thread "
                              "at a time, CPU time over wall time (cpu_s / wall_s; below 1, the "
                              "process waited off a CPU) was a median 0.980 (least 0.500, "
                              "pool/rc/w rep 3), and the process was preempted a median 19 "
                              "times per second of replay (most 60, pool/rc/w rep 6)."));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_medians_and_coverage),
        cmocka_unit_test(test_speedup_is_ratio_of_mean_times),
        cmocka_unit_test(test_markdown_sentences),
        cmocka_unit_test(test_machine_paragraph),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
