/*
 * tests/test_claims.c -- the rules of `heapbench claims` (harness/cli/claims.c)
 * on crafted rows: each answer follows the data (the same rule, other rows,
 * another answer; every rule's cases are a list of crafted runs checked by
 * one builder, t_case_check), the table is well formed, and the workload
 * options the claims added (--no-finalizers, --intern, --no-leaves) change
 * the stream as stated.
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

/* reps rows of a cell with each named column = its value * (1 + spread k),
 * k = 0..reps-1 (a small spread, or none: exact values). */
static void t_add_cols(t_run *run, const char *alloc, const char *coll, int reps,
                       const char *const *cols, const double *vals, double spread)
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
        for (size_t c = 0; c < 5 && cols[c]; c++)
            t_setcol(r, cols[c], vals[c] * (1 + spread * k));
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

/*
 * One crafted case: the claim, the columns its cells set, the cells (a run
 * tag, a cell, the columns' values; 6 repetitions each, 1% apart unless
 * exact), the census of every run, and the answer the rule must give (and
 * a text its answer or numbers must hold).  t_case_check builds the runs
 * and checks; every rule test is a list of these.
 */
#define T_MAX_CELLS 8
typedef struct t_cell {
    const char *tag, *alloc, *coll;
    double v[5];
} t_cell;

typedef struct t_case {
    const char *id;
    const char *cols[6]; /* NULL-ended */
    t_cell cells[T_MAX_CELLS]; /* a NULL tag ends them */
    cl_verdict want;
    const char *says;  /* NULL, or text in the answer or the numbers */
    int exact;         /* no spread between repetitions */
    cl_census census;  /* every run's */
} t_case;

static cl_output out;

static void t_case_check(const t_case *c)
{
    static t_run runs[CL_MAX_RUNS];
    cl_set sets[CL_MAX_RUNS];
    size_t ns = 0;
    for (size_t i = 0; i < T_MAX_CELLS && c->cells[i].tag; i++) {
        const t_cell *cell = &c->cells[i];
        size_t k = 0;
        while (k < ns && strcmp(sets[k].tag, cell->tag) != 0)
            k++;
        if (k == ns) {
            assert_true(ns < CL_MAX_RUNS);
            runs[ns].n = 0;
            sets[ns++] = (cl_set){.tag = cell->tag};
        }
        t_add_cols(&runs[k], cell->alloc, cell->coll, 6, c->cols, cell->v, c->exact ? 0 : 0.01);
    }
    for (size_t k = 0; k < ns; k++) {
        sets[k].rows = runs[k].rows;
        sets[k].n = runs[k].n;
        sets[k].census = c->census;
    }
    cl_verdict v = t_answer(c->id, sets, ns, &out);
    if (v != c->want)
        fail_msg("%s: got '%s', expected %s", c->id, out.answer, cl_verdict_name(c->want));
    if (c->says && !strstr(out.answer, c->says) && !strstr(out.numbers, c->says))
        fail_msg("%s: '%s' not in the answer '%s' or the numbers", c->id, c->says, out.answer);
}

static void t_cases(const t_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        t_case_check(&c[i]);
}

#define T_CASES(list) t_cases(list, sizeof list / sizeof list[0])


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

#define CEN_STORES {.ops = 3000000, .sets = 1000000}

static void test_rc_overhead(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"rc-overhead", {"mutator_s", "wall_s"},
         {{"run", "pool", "rc", {2.0, 2.0}}, {"run", "pool", "mark-sweep", {1.0, 1.5}}},
         CL_HOLDS, "per store", 0, CEN_STORES},
        {"rc-overhead", {"mutator_s"},
         {{"run", "pool", "rc", {1.0}}, {"run", "pool", "mark-sweep", {2.0}}}, CL_NOT, NULL, 0, {0}},
        {"rc-overhead", {"mutator_s"},
         {{"run", "pool", "rc", {1.0}}, {"run", "pool", "mark-sweep", {1.001}}}, CL_UNDECIDED, NULL,
         0, {0}},
    };
    T_CASES(c);
}

static void test_pauses(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"pauses", {"pause_max_us"},
         {{"run", "pool", "a", {50000}}, {"run", "pool", "b", {20000}}}, CL_HOLDS, NULL, 0, {0}},
        {"pauses", {"pause_max_us"},
         {{"run", "pool", "a", {500}}, {"run", "pool", "b", {200}}}, CL_NOT, NULL, 0, {0}},
        {"pauses", {"pause_max_us"},
         {{"run", "pool", "a", {5000}}, {"run", "pool", "b", {200}}}, CL_ONLY_WHEN, "`a`", 0, {0}},
        {"pauses", {"pause_max_us"},
         {{"run", "pool", "a", {1000}}, {"run", "pool", "b", {200}}}, CL_UNDECIDED, NULL, 1, {0}},
    };
    T_CASES(c);
}

/* Four thresholds' peaks (exact: no spread) beside rc's leak. */
#define CYCLES(p1, p2, p3, p4)                                                          \
    {{"t100", "pool", "rc-cycle", {p1}}, {"t1000", "pool", "rc-cycle", {p2}},          \
     {"t10000", "pool", "rc-cycle", {p3}}, {"t100000", "pool", "rc-cycle", {p4}},       \
     {"rc", "pool", "rc", {8e6, 7e6}}}

static void test_cycles_delay(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"cycles-delay", {"peak_live_bytes", "leaked_bytes"}, CYCLES(1e6, 2e6, 3e6, 4e6), CL_HOLDS,
         "leaked", 1, {0}},
        {"cycles-delay", {"peak_live_bytes", "leaked_bytes"}, CYCLES(1e6, 1e6, 3e6, 4e6),
         CL_ONLY_WHEN, "10000", 1, {0}},
        {"cycles-delay", {"peak_live_bytes", "leaked_bytes"}, CYCLES(1e6, 1e6, 1e6, 1e6), CL_NOT,
         NULL, 1, {0}},
    };
    T_CASES(c);
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
    static const char *const cols[] = {"frag_jw1_mean", NULL};
    static const double half[] = {0.5};
    cl_series sr[12];
    t_run r = {0};
    t_add_cols(&r, "A", "rc", 6, cols, half, 0.01);
    t_add_cols(&r, "B", "rc", 6, cols, half, 0.01);
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
    static const t_case c[] = {
        {"pools", {"wall_s", "peak_footprint_bytes"},
         {{"run", "pool", "rc", {1.0, 1e6}}, {"run", "malloc", "rc", {2.0, 2e6}}}, CL_HOLDS, NULL, 0,
         {0}},
        {"pools", {"wall_s", "peak_footprint_bytes"},
         {{"run", "pool", "rc", {1.0, 3e6}}, {"run", "malloc", "rc", {2.0, 2e6}}}, CL_ONLY_WHEN,
         "time", 0, {0}},
        {"pools", {"wall_s", "peak_footprint_bytes"},
         {{"run", "pool", "rc", {3.0, 1e6}}, {"run", "malloc", "rc", {2.0, 2e6}}}, CL_ONLY_WHEN,
         "footprint is", 0, {0}},
        {"pools", {"wall_s", "peak_footprint_bytes"},
         {{"run", "pool", "rc", {3.0, 3e6}}, {"run", "malloc", "rc", {2.0, 2e6}}}, CL_NOT, NULL, 0,
         {0}},
    };
    T_CASES(c);
}

#define META_COLS {"peak_footprint_bytes", "peak_live_bytes", "bytes_allocated", "objects", "header_bytes"}

static void test_metadata(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"metadata", META_COLS,
         {{"run", "pool", "rc", {2e6, 1e6, 1e8, 1e6, 8}}, {"run", "pool", "rc-cycle", {3e6, 1.2e6, 1.2e8, 1e6, 24}}},
         CL_HOLDS, NULL, 0, {0}},
        {"metadata", META_COLS,
         {{"run", "pool", "rc", {3e6, 1e6, 1e8, 1e6, 8}}, {"run", "pool", "rc-cycle", {2e6, 1.2e6, 1.2e8, 1e6, 24}}},
         CL_NOT, NULL, 0, {0}},
        /* The same footprint per object: the larger header costs nothing here. */
        {"metadata", META_COLS,
         {{"run", "pool", "rc", {2e6, 1e6, 1e8, 1e6, 8}}, {"run", "pool", "rc-cycle", {2e6, 1e6, 1e8, 1e6, 24}}},
         CL_NOT, NULL, 0, {0}},
    };
    T_CASES(c);
}

/* Two collectors' p99 pauses without finalizers, with an empty and with a
 * costly __del__. */
#define FIN(x0, x1, x2, y0, y1, y2)                                                        \
    {{"without", "pool", "x", {x0}}, {"with", "pool", "x", {x1}}, {"costly", "pool", "x", {x2}}, \
     {"without", "pool", "y", {y0}}, {"with", "pool", "y", {y1}}, {"costly", "pool", "y", {y2}}}

static void test_finalizers(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"finalizers", {"pause_p99_us"}, FIN(1000, 1000, 2000, 1000, 1000, 3000), CL_HOLDS,
         "does not lengthen", 0, {0}},
        {"finalizers", {"pause_p99_us"}, FIN(1000, 1500, 2000, 2000, 2000, 1000), CL_ONLY_WHEN,
         "the collector is `x`", 0, {0}},
        {"finalizers", {"pause_p99_us"}, FIN(3000, 3000, 2000, 2000, 2000, 1000), CL_NOT, NULL, 0,
         {0}},
        {"finalizers", {"pause_p99_us"}, FIN(1000, 1000, 1001, 1000, 1000, 1001), CL_UNDECIDED,
         NULL, 0, {0}},
        /* Only the empty __del__ is slower: that is not the claim's costly one. */
        {"finalizers", {"pause_p99_us"}, FIN(1000, 3000, 500, 1000, 3000, 500), CL_NOT,
         "alone lengthens", 0, {0}},
    };
    T_CASES(c);
}

/* The whole heap's peak footprint and the large-block path's (--no-leaves). */
#define LARGE(whole, arrays) {{"all", "pool", "rc", {whole}}, {"arrays", "pool", "rc", {arrays}}}

static void test_large_arrays(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"large-arrays", {"peak_footprint_bytes"}, LARGE(1e8, 8e7), CL_HOLDS, "own arenas", 0,
         {.small_bytes = 900, .large_bytes = 100}},
        {"large-arrays", {"peak_footprint_bytes"}, LARGE(1e8, 2e7), CL_NOT, NULL, 0,
         {.small_bytes = 100, .large_bytes = 900}},
        {"large-arrays", {"peak_footprint_bytes"}, LARGE(1e8, 5e7), CL_UNDECIDED, NULL, 0, {0}},
    };
    T_CASES(c);
    /* The footprint decides, not the bytes: most bytes large, little held. */
    assert_non_null(strstr(out.numbers, "held by the pool's own arenas"));
}

static void test_interned(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"interned", {"peak_footprint_bytes", "peak_live_bytes"},
         {{"fresh", "pool", "rc-cycle", {4e6, 2e6}}, {"shared", "pool", "rc-cycle", {3e6, 1e6}}},
         CL_HOLDS, NULL, 0, {0}},
        {"interned", {"peak_footprint_bytes", "peak_live_bytes"},
         {{"fresh", "pool", "rc-cycle", {4e6, 2e6}}, {"shared", "pool", "rc-cycle", {4e6, 1e6}}},
         CL_ONLY_WHEN, NULL, 0, {0}},
        {"interned", {"peak_footprint_bytes", "peak_live_bytes"},
         {{"fresh", "pool", "rc-cycle", {4e6, 2e6}}, {"shared", "pool", "rc-cycle", {4e6, 2e6}}},
         CL_NOT, NULL, 0, {0}},
    };
    T_CASES(c);
}

static void test_threads(void **state)
{
    (void)state;
    const cl_claim *cl = cl_find("threads");
    cl_input in = {.conf = 0.95, .unavailable = "no larson here"};
    memset(&out, 0, sizeof out);
    cl->rule(&in, &out);
    assert_int_equal(out.verdict, CL_NOT_MEASURED);
    assert_non_null(strstr(out.answer, "no larson here"));
    static const t_case c[] = {
        {"threads", {"ops_per_s", "threads"},
         {{"run", "A", "none", {1e6, 1}}, {"run", "A", "none", {1.9e6, 2}}}, CL_HOLDS, NULL, 1, {0}},
        {"threads", {"ops_per_s", "threads"},
         {{"run", "A", "none", {1e6, 1}}, {"run", "A", "none", {0.8e6, 2}}}, CL_NOT, NULL, 1, {0}},
        {"threads", {"ops_per_s", "threads"},
         {{"run", "A", "none", {1e6, 1}}, {"run", "A", "none", {1.9e6, 2}},
          {"run", "B", "none", {1e6, 1}}, {"run", "B", "none", {0.8e6, 2}}},
         CL_ONLY_WHEN, "`A`", 1, {0}},
    };
    T_CASES(c);
}

static void test_disable(void **state)
{
    (void)state;
    static const t_case c[] = {
        {"disable-gc", {"leaked_bytes", "peak_live_bytes"},
         {{"run", "pool", "rc", {5e6, 8e6}}, {"run", "pool", "rc-cycle", {0, 2e6}}}, CL_HOLDS, NULL,
         0, {0}},
        {"disable-gc", {"leaked_bytes", "peak_live_bytes"},
         {{"run", "pool", "rc", {0, 8e6}}, {"run", "pool", "rc-cycle", {0, 2e6}}}, CL_NOT, NULL, 0,
         {0}},
        {"disable-gc", {"leaked_bytes", "peak_live_bytes"},
         {{"run", "pool", "rc", {5e6, 8e6}}, {"run", "pool", "rc-cycle", {1e6, 2e6}}}, CL_UNDECIDED,
         NULL, 0, {0}},
    };
    T_CASES(c);
}

/* A row that is not ok is left out: a cell of only such rows is not measured. */
static void test_not_ok_rows_ignored(void **state)
{
    (void)state;
    static const char *const cols[] = {"mutator_s", NULL};
    static const double two[] = {2.0}, one[] = {1.0};
    t_run r = {0};
    t_add_cols(&r, "pool", "rc", 6, cols, two, 0.01);
    t_add_cols(&r, "pool", "mark-sweep", 6, cols, one, 0.01);
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
    /* No leaves: the same large blocks, (almost) no small object. */
    const char *noleaves[4] = {"--no-leaves"};
    assert_int_equal(cl_census_of("large-arrays", 0.002, 1, none, &a), 0);
    assert_int_equal(cl_census_of("large-arrays", 0.002, 1, noleaves, &b), 0);
    assert_true(a.large_news > 0 && a.large_news == b.large_news && a.large_bytes == b.large_bytes);
    assert_true(b.small_news * 100 < a.small_news && b.sets == 0);
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
