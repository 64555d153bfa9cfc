/*
 * tests/test_claims.c -- the rules of `heapbench claims` (harness/cli/claims.c)
 * on crafted rows: each answer follows the data (the same rule, other rows,
 * another answer), the table is well formed, and the two workload options
 * the claims added (--no-finalizers, --intern) change the stream as stated.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/cli/claims.h"
#include "harness/formats/results.h"

#define T_MAX_ROWS 64

/* A crafted run: rows made by t_add, each ok unless told. */
typedef struct t_run {
    hb_row rows[T_MAX_ROWS];
    size_t n;
} t_run;

static void t_setcol(hb_row *r, const char *col, double v)
{
    for (size_t i = 0; i < hb_n_row_columns; i++) {
        const hb_row_column *c = &hb_row_columns[i];
        if (strcmp(c->name, col) != 0)
            continue;
        if (c->kind == 1)
            *(uint64_t *)((char *)r + c->off) = (uint64_t)v;
        else if (c->kind == 2)
            *(double *)((char *)r + c->off) = v;
        return;
    }
    fail_msg("no column %s", col);
}

/* reps rows of a cell with column col = base * (1 + 0.01 k), k = 0..reps-1
 * (a small spread), and the other columns given as pairs after it. */
static void t_add(t_run *run, const char *alloc, const char *coll, int reps, const char *col,
                  double base, ...)
{
    for (int k = 0; k < reps; k++) {
        assert_true(run->n < T_MAX_ROWS);
        hb_row *r = &run->rows[run->n++];
        memset(r, 0, sizeof *r);
        r->allocator = alloc;
        r->collector = coll;
        r->workload = "w";
        r->status = "ok";
        r->rep = (uint64_t)k + 1;
        t_setcol(r, col, base * (1 + 0.01 * k));
        va_list ap;
        va_start(ap, base);
        for (const char *c = va_arg(ap, const char *); c; c = va_arg(ap, const char *))
            t_setcol(r, c, va_arg(ap, double) * (1 + 0.01 * k));
        va_end(ap);
    }
}

static cl_set t_set(const char *tag, const t_run *run)
{
    cl_set s = {.tag = tag, .rows = run->rows, .n = run->n};
    return s;
}

static cl_verdict t_answer(const char *id, cl_set *sets, size_t n, cl_output *out)
{
    const cl_claim *c = cl_find(id);
    assert_non_null(c);
    cl_input in = {.sets = sets, .nsets = n, .conf = 0.95};
    memset(out, 0, sizeof *out);
    c->rule(&in, out);
    assert_true(strncmp(out->answer, cl_verdict_name(out->verdict),
                        strlen(cl_verdict_name(out->verdict))) == 0);
    return out->verdict;
}

static cl_output out;

static void test_table(void **state)
{
    (void)state;
    assert_true(cl_nclaims >= 11);
    for (size_t i = 0; i < cl_nclaims; i++) {
        const cl_claim *c = &cl_claims[i];
        assert_true(c->nruns >= 1 && c->nruns <= CL_MAX_RUNS);
        assert_true(c->scale > 0 && c->rule && c->sentence && c->rule_text);
        assert_ptr_equal(cl_find(c->id), c);
        char p[512];
        snprintf(p, sizeof p, "%s/plots/claims/%s", HB_SOURCE_DIR, c->fig.script);
        assert_int_equal(access(p, R_OK), 0);
        for (size_t k = 0; k < c->nruns; k++)
            assert_non_null(c->runs[k].tag);
        /* No data: an answer all the same, never a crash. */
        cl_input in = {.nsets = 0, .conf = 0.95};
        cl_set empty[CL_MAX_RUNS];
        for (size_t k = 0; k < c->nruns; k++)
            empty[k] = (cl_set){.tag = c->runs[k].tag};
        in.sets = empty;
        in.nsets = c->nruns;
        memset(&out, 0, sizeof out);
        c->rule(&in, &out);
        assert_true(out.answer[0] != '\0');
    }
}

static void test_rc_overhead(void **state)
{
    (void)state;
    t_run r = {0};
    t_add(&r, "pool", "rc", 6, "mutator_s", 2.0, "wall_s", 2.0, NULL);
    t_add(&r, "pool", "mark-sweep", 6, "mutator_s", 1.0, "wall_s", 1.5, NULL);
    cl_set s = t_set("run", &r);
    s.census.sets = 1000000;
    s.census.ops = 3000000;
    assert_int_equal(t_answer("rc-overhead", &s, 1, &out), CL_HOLDS);
    assert_non_null(strstr(out.numbers, "per store"));
    t_run q = {0};
    t_add(&q, "pool", "rc", 6, "mutator_s", 1.0, NULL);
    t_add(&q, "pool", "mark-sweep", 6, "mutator_s", 2.0, NULL);
    s = t_set("run", &q);
    assert_int_equal(t_answer("rc-overhead", &s, 1, &out), CL_NOT);
    t_run e = {0};
    t_add(&e, "pool", "rc", 6, "mutator_s", 1.0, NULL);
    t_add(&e, "pool", "mark-sweep", 6, "mutator_s", 1.001, NULL);
    s = t_set("run", &e);
    assert_int_equal(t_answer("rc-overhead", &s, 1, &out), CL_UNDECIDED);
}

static void test_pauses(void **state)
{
    (void)state;
    t_run r = {0};
    t_add(&r, "pool", "a", 6, "pause_max_us", 50000.0, NULL);
    t_add(&r, "pool", "b", 6, "pause_max_us", 20000.0, NULL);
    cl_set s = t_set("run", &r);
    assert_int_equal(t_answer("pauses", &s, 1, &out), CL_HOLDS);
    t_run q = {0};
    t_add(&q, "pool", "a", 6, "pause_max_us", 500.0, NULL);
    t_add(&q, "pool", "b", 6, "pause_max_us", 200.0, NULL);
    s = t_set("run", &q);
    assert_int_equal(t_answer("pauses", &s, 1, &out), CL_NOT);
    t_run m = {0};
    t_add(&m, "pool", "a", 6, "pause_max_us", 5000.0, NULL);
    t_add(&m, "pool", "b", 6, "pause_max_us", 200.0, NULL);
    s = t_set("run", &m);
    assert_int_equal(t_answer("pauses", &s, 1, &out), CL_ONLY_WHEN);
    assert_non_null(strstr(out.answer, "`a`"));
}

static void test_cycles_delay(void **state)
{
    (void)state;
    t_run t[4], rc = {0};
    memset(t, 0, sizeof t);
    const char *tags[4] = {"t100", "t1000", "t10000", "t100000"};
    double rising[4] = {1e6, 2e6, 3e6, 4e6}, late[4] = {1e6, 1e6, 3e6, 4e6}, flat[4] = {1e6, 1e6, 1e6, 1e6};
    const double *cases[3] = {rising, late, flat};
    cl_verdict want[3] = {CL_HOLDS, CL_ONLY_WHEN, CL_NOT};
    t_add(&rc, "pool", "rc", 6, "peak_live_bytes", 8e6, "leaked_bytes", 7e6, NULL);
    for (int c = 0; c < 3; c++) {
        cl_set s[5];
        for (int k = 0; k < 4; k++) {
            t[k].n = 0;
            /* Exact (deterministic) peaks: no spread. */
            for (int j = 0; j < 6; j++)
                t_add(&t[k], "pool", "rc-cycle", 1, "peak_live_bytes", cases[c][k], NULL);
            s[k] = t_set(tags[k], &t[k]);
        }
        s[4] = t_set("rc", &rc);
        assert_int_equal(t_answer("cycles-delay", s, 5, &out), want[c]);
    }
    assert_non_null(strstr(out.numbers, "leaked"));
}

/* A series that goes from ratio a (first quarter) to b (last quarter). */
static void t_series(cl_sample *s, size_t n, double a, double b)
{
    for (size_t i = 0; i < n; i++) {
        double ops = (double)(i + 1) * 1000, r = i < n / 2 ? a : b;
        s[i] = (cl_sample){ops, 1e6, r * 1e6};
    }
}

static void test_fragmentation(void **state)
{
    (void)state;
    static cl_sample grow[6][40], flat[6][40];
    cl_series sr[12];
    t_run r = {0};
    t_add(&r, "A", "rc", 6, "frag_jw1_mean", 0.5, NULL);
    t_add(&r, "B", "rc", 6, "frag_jw1_mean", 0.5, NULL);
    for (int k = 0; k < 6; k++) {
        t_series(grow[k], 40, 1.2, 1.6 + 0.01 * k);
        t_series(flat[k], 40, 1.2, 1.2);
        sr[k] = (cl_series){"A", "rc", (uint64_t)k + 1, grow[k], 40};
        sr[6 + k] = (cl_series){"B", "rc", (uint64_t)k + 1, flat[k], 40};
    }
    cl_set s = t_set("run", &r);
    s.series = sr;
    s.nseries = 12;
    assert_int_equal(t_answer("fragmentation", &s, 1, &out), CL_ONLY_WHEN);
    assert_non_null(strstr(out.answer, "`A`"));
    for (int k = 0; k < 6; k++) /* B grows too */
        sr[6 + k].s = grow[k];
    assert_int_equal(t_answer("fragmentation", &s, 1, &out), CL_HOLDS);
    for (int k = 0; k < 12; k++)
        sr[k].s = flat[k % 6];
    assert_int_equal(t_answer("fragmentation", &s, 1, &out), CL_NOT);
}

static void test_pools(void **state)
{
    (void)state;
    t_run r = {0};
    t_add(&r, "pool", "rc", 6, "wall_s", 1.0, "peak_footprint_bytes", 1e6, NULL);
    t_add(&r, "malloc", "rc", 6, "wall_s", 2.0, "peak_footprint_bytes", 2e6, NULL);
    cl_set s = t_set("run", &r);
    assert_int_equal(t_answer("pools", &s, 1, &out), CL_HOLDS);
    t_run q = {0};
    t_add(&q, "pool", "rc", 6, "wall_s", 1.0, "peak_footprint_bytes", 3e6, NULL);
    t_add(&q, "malloc", "rc", 6, "wall_s", 2.0, "peak_footprint_bytes", 2e6, NULL);
    s = t_set("run", &q);
    assert_int_equal(t_answer("pools", &s, 1, &out), CL_ONLY_WHEN);
    t_run n = {0};
    t_add(&n, "pool", "rc", 6, "wall_s", 3.0, "peak_footprint_bytes", 3e6, NULL);
    t_add(&n, "malloc", "rc", 6, "wall_s", 2.0, "peak_footprint_bytes", 2e6, NULL);
    s = t_set("run", &n);
    assert_int_equal(t_answer("pools", &s, 1, &out), CL_NOT);
}

static void test_metadata(void **state)
{
    (void)state;
    t_run r = {0};
    t_add(&r, "pool", "rc", 6, "peak_footprint_bytes", 2e6, "peak_live_bytes", 1e6,
          "bytes_allocated", 1e8, "objects", 1e6, "header_bytes", 8.0, NULL);
    t_add(&r, "pool", "rc-cycle", 6, "peak_footprint_bytes", 3e6, "peak_live_bytes", 1.2e6,
          "bytes_allocated", 1.2e8, "objects", 1e6, "header_bytes", 24.0, NULL);
    cl_set s = t_set("run", &r);
    assert_int_equal(t_answer("metadata", &s, 1, &out), CL_HOLDS);
    t_run q = {0};
    t_add(&q, "pool", "rc", 6, "peak_footprint_bytes", 2e6, "peak_live_bytes", 1e6,
          "bytes_allocated", 1e8, "objects", 1e6, NULL);
    t_add(&q, "pool", "rc-cycle", 6, "peak_footprint_bytes", 2e6, "peak_live_bytes", 1.2e6,
          "bytes_allocated", 1.2e8, "objects", 1e6, NULL);
    s = t_set("run", &q);
    assert_int_not_equal(t_answer("metadata", &s, 1, &out), CL_HOLDS);
}

static void test_finalizers(void **state)
{
    (void)state;
    t_run w = {0}, wo = {0};
    t_add(&w, "pool", "x", 6, "pause_p99_us", 2000.0, NULL);
    t_add(&w, "pool", "y", 6, "pause_p99_us", 2000.0, NULL);
    t_add(&wo, "pool", "x", 6, "pause_p99_us", 1000.0, NULL);
    t_add(&wo, "pool", "y", 6, "pause_p99_us", 1000.0, NULL);
    cl_set s[2] = {t_set("with", &w), t_set("without", &wo)};
    assert_int_equal(t_answer("finalizers", s, 2, &out), CL_HOLDS);
    wo.n = 0;
    t_add(&wo, "pool", "x", 6, "pause_p99_us", 1000.0, NULL);
    t_add(&wo, "pool", "y", 6, "pause_p99_us", 2000.0, NULL);
    s[1] = t_set("without", &wo);
    assert_int_equal(t_answer("finalizers", s, 2, &out), CL_ONLY_WHEN);
    wo.n = 0;
    t_add(&wo, "pool", "x", 6, "pause_p99_us", 3000.0, NULL);
    t_add(&wo, "pool", "y", 6, "pause_p99_us", 2000.0, NULL);
    s[1] = t_set("without", &wo);
    assert_int_equal(t_answer("finalizers", s, 2, &out), CL_NOT);
}

static void test_large_arrays(void **state)
{
    (void)state;
    t_run r = {0};
    t_add(&r, "pool", "rc", 6, "peak_footprint_bytes", 1e7, NULL);
    cl_set s = t_set("run", &r);
    s.census.small_bytes = 100;
    s.census.large_bytes = 900;
    assert_int_equal(t_answer("large-arrays", &s, 1, &out), CL_HOLDS);
    s.census.large_bytes = 50;
    assert_int_equal(t_answer("large-arrays", &s, 1, &out), CL_NOT);
}

static void test_interned(void **state)
{
    (void)state;
    t_run fr = {0}, sh = {0};
    t_add(&fr, "pool", "rc-cycle", 6, "peak_footprint_bytes", 4e6, "peak_live_bytes", 2e6, NULL);
    t_add(&sh, "pool", "rc-cycle", 6, "peak_footprint_bytes", 3e6, "peak_live_bytes", 1e6, NULL);
    cl_set s[2] = {t_set("fresh", &fr), t_set("shared", &sh)};
    assert_int_equal(t_answer("interned", s, 2, &out), CL_HOLDS);
    sh.n = 0;
    t_add(&sh, "pool", "rc-cycle", 6, "peak_footprint_bytes", 4e6, "peak_live_bytes", 1e6, NULL);
    assert_int_equal(t_answer("interned", s, 2, &out), CL_ONLY_WHEN);
    sh.n = 0;
    t_add(&sh, "pool", "rc-cycle", 6, "peak_footprint_bytes", 4e6, "peak_live_bytes", 2e6, NULL);
    assert_int_equal(t_answer("interned", s, 2, &out), CL_NOT);
}

static void test_threads(void **state)
{
    (void)state;
    const cl_claim *c = cl_find("threads");
    cl_input in = {.conf = 0.95, .unavailable = "no larson here"};
    memset(&out, 0, sizeof out);
    c->rule(&in, &out);
    assert_int_equal(out.verdict, CL_NOT_MEASURED);
    assert_non_null(strstr(out.answer, "no larson here"));
    t_run r = {0};
    t_add(&r, "A", "none", 6, "ops_per_s", 1e6, "threads", 1.0, NULL);
    t_add(&r, "A", "none", 6, "ops_per_s", 1.9e6, "threads", 2.0, NULL);
    cl_set s = t_set("run", &r);
    assert_int_equal(t_answer("threads", &s, 1, &out), CL_HOLDS);
    r.n = 0;
    t_add(&r, "A", "none", 6, "ops_per_s", 1e6, "threads", 1.0, NULL);
    t_add(&r, "A", "none", 6, "ops_per_s", 0.8e6, "threads", 2.0, NULL);
    assert_int_equal(t_answer("threads", &s, 1, &out), CL_NOT);
}

static void test_disable(void **state)
{
    (void)state;
    t_run r = {0};
    t_add(&r, "pool", "rc", 6, "leaked_bytes", 5e6, "peak_live_bytes", 8e6, NULL);
    t_add(&r, "pool", "rc-cycle", 6, "leaked_bytes", 0.0, "peak_live_bytes", 2e6, NULL);
    cl_set s = t_set("run", &r);
    assert_int_equal(t_answer("disable-gc", &s, 1, &out), CL_HOLDS);
    r.n = 0;
    t_add(&r, "pool", "rc", 6, "leaked_bytes", 0.0, "peak_live_bytes", 8e6, NULL);
    t_add(&r, "pool", "rc-cycle", 6, "leaked_bytes", 0.0, "peak_live_bytes", 2e6, NULL);
    assert_int_equal(t_answer("disable-gc", &s, 1, &out), CL_NOT);
}

/* A row that is not ok is left out: a cell of only such rows is not measured. */
static void test_not_ok_rows_ignored(void **state)
{
    (void)state;
    t_run r = {0};
    t_add(&r, "pool", "rc", 6, "mutator_s", 2.0, NULL);
    t_add(&r, "pool", "mark-sweep", 6, "mutator_s", 1.0, NULL);
    for (size_t i = 6; i < 12; i++)
        r.rows[i].status = "oom";
    cl_set s = t_set("run", &r);
    assert_int_equal(t_answer("rc-overhead", &s, 1, &out), CL_UNDECIDED);
}

/* The options the claims added: the same stream but for what they change. */
static void test_workload_options(void **state)
{
    (void)state;
    const char *none[4] = {NULL}, *nofin[4] = {"--no-finalizers"}, *intern[4] = {"--intern"};
    cl_census a, b;
    assert_int_equal(cl_census_of("cycles", 0.002, 1, none, &a), 0);
    assert_int_equal(cl_census_of("cycles", 0.002, 1, nofin, &b), 0);
    assert_true(a.ops > 0 && a.ops == b.ops && a.news == b.news && a.sets == b.sets &&
                a.small_bytes == b.small_bytes);
    assert_int_equal(cl_census_of("small-objects", 0.002, 1, none, &a), 0);
    assert_int_equal(cl_census_of("small-objects", 0.002, 1, intern, &b), 0);
    /* Shared ints: fewer objects made, each replaced by a MOV. */
    assert_true(b.news < a.news && b.movs > a.movs);
    /* Each int leaf becomes a MOV; at most 17 of them (one per value) a NEW too. */
    uint64_t ints = b.movs - a.movs, cached = ints - (a.news - b.news);
    assert_true(cached >= 1 && cached <= 17 && b.ops == a.ops + cached);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_rc_overhead),
        cmocka_unit_test(test_pauses),       cmocka_unit_test(test_cycles_delay),
        cmocka_unit_test(test_fragmentation), cmocka_unit_test(test_pools),
        cmocka_unit_test(test_metadata),     cmocka_unit_test(test_finalizers),
        cmocka_unit_test(test_large_arrays), cmocka_unit_test(test_interned),
        cmocka_unit_test(test_threads),      cmocka_unit_test(test_disable),
        cmocka_unit_test(test_not_ok_rows_ignored), cmocka_unit_test(test_workload_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
