/*
 * harness/cli/claims.h -- command layer: `heapbench claims`, the common
 * claims about Python's memory management as experiments with computed
 * answers.
 *
 * One table (cl_claims, claims.c) holds one entry per claim: its id, the
 * claim in one sentence, the experiment as matrix runs (each run is one
 * `heapbench matrix` into DIR/<id>/<run tag>/, so every row has the common
 * schema and a rerun resumes), the figure's script (plots/claims/), the
 * rule stated in words and the rule as a function.  Adding a claim is one
 * entry.
 *
 * A rule is a pure function of its input (cl_input: the rows of each run,
 * the heap samples of the series files where the experiment writes them,
 * and a census of the workload's op stream) to its output (cl_output: the
 * answer, the measured numbers as Markdown, the figure's points).  It reads
 * no file and no clock, so a test feeds it crafted rows and checks that the
 * answer follows the data (tests/test_claims.c).
 */
#ifndef HB_CLAIMS_H
#define HB_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/formats/results.h"

#define CL_MAX_RUNS 6
#define CL_MAX_POINTS 128
#define CL_TEXT 8192

/* One `heapbench matrix` of an experiment: its cells and extra settings. */
typedef struct cl_run {
    const char *tag;   /* the sub-folder, DIR/<claim>/<tag> */
    const char *alist; /* -a, -c, -w (NULL: every registered one) */
    const char *clist;
    const char *wlist;
    const char *extra[4]; /* further matrix options ("--threshold=100,10,10") */
    int series;           /* --series */
} cl_run;

/* One heap sample of a series file (the columns a rule reads). */
typedef struct cl_sample {
    double ops, live, footprint;
} cl_sample;

/* The samples of one repetition of one cell. */
typedef struct cl_series {
    const char *allocator, *collector;
    uint64_t rep;
    const cl_sample *s;
    size_t n;
} cl_series;

/* What the generator emits for the run's workload at its scale and seed,
 * counted without replaying it (the rows do not count stores). */
typedef struct cl_census {
    uint64_t ops, news, sets, gets, movs, drops;
    /* Object bytes (the 16-byte common header, 8 per slot and the payload;
     * no collector header) of NEWs at most / over 512 bytes: the pool's
     * small-object path and its large-block path (allocators/pool.h). */
    uint64_t small_bytes, large_bytes, small_news, large_news;
} cl_census;

/* A run's data, as the command read it. */
typedef struct cl_set {
    const char *tag;
    const hb_row *rows;
    size_t n;
    const cl_series *series;
    size_t nseries;
    cl_census census;
} cl_set;

typedef struct cl_input {
    const cl_set *sets; /* one per run, in the entry's order */
    size_t nsets;
    double conf;             /* the intervals' confidence (0.95) */
    const char *unavailable; /* set: the experiment cannot run here, and why */
} cl_input;

typedef enum cl_verdict {
    CL_HOLDS, CL_NOT, CL_ONLY_WHEN, CL_UNDECIDED, CL_NOT_MEASURED
} cl_verdict;

/* One point of the figure: a median and its interval, in a group (a line
 * or a series of bars), at x (numeric) with a tic label. */
typedef struct cl_point {
    char group[48], xlabel[32];
    double x, median, lo, hi;
} cl_point;

typedef struct cl_output {
    cl_verdict verdict;
    char answer[512]; /* "holds only when ..." in full */
    char numbers[CL_TEXT]; /* Markdown: the measured numbers with intervals */
    size_t len;            /* of numbers */
    cl_point pts[CL_MAX_POINTS];
    size_t npts;
} cl_output;

typedef int (*cl_rule_fn)(const cl_input *in, cl_output *out);

/* The figure: script in plots/claims/ and its axes. */
typedef struct cl_figure {
    const char *script; /* "intervals.gp" or "series.gp" */
    const char *title, *xlabel, *ylabel;
    int xlog, ylog;
    const char *series_y; /* series.gp: "live", "ratio" (footprint over live) */
    int lines;            /* intervals.gp: join a group's points */
} cl_figure;

typedef struct cl_claim {
    const char *id;       /* the folder's and the section's name */
    const char *title;    /* the section heading */
    const char *sentence; /* the claim in one sentence */
    const char *experiment; /* what is compared, on what, and why */
    const char *rule_text;  /* the rule, in words, as the section states it */
    double scale;           /* the full run's scale (--quick: a share of it) */
    cl_run runs[CL_MAX_RUNS];
    size_t nruns;
    cl_figure fig;
    /* NULL when the experiment runs in any build; else the reason it
     * cannot run in this one (checked at run time), or NULL if it can. */
    const char *(*unavailable)(void);
    cl_rule_fn rule;
} cl_claim;

extern const cl_claim cl_claims[];
extern const size_t cl_nclaims;

const cl_claim *cl_find(const char *id);
/* "holds", "does not hold", "holds only when", "undecided", "not measured". */
const char *cl_verdict_name(cl_verdict v);

/* Counts the ops of workload `work` at (scale, seed) and the options of a
 * run (its extra settings), into c.  0, or -1 when it cannot be generated. */
int cl_census_of(const char *work, double scale, uint64_t seed, const char *const *extra,
                 cl_census *c);

#endif
