/*
 * harness/run/heapfactor.h -- run core: minimum heaps, found by bisection
 * over the heap limit, for `heapbench minheap` and `matrix --heap-factors`.
 *
 * The heap limit (hb_run_config.heap_limit_bytes) is the bytes a collector
 * holds from its allocator, headers, nursery and copy reserve included (for
 * a collector that brings its own heap, boehm, that heap's size); the
 * minimum heap of a cell (allocator x collector x workload at one scale and
 * seed) is the smallest limit at which one repetition ends "ok".
 *
 * The search: one run without a limit gives an upper bound (its peak of
 * bytes held; doubled until a run passes); halving finds a limit that
 * fails; then bisection (geometric) until the passing limit is within
 * tol (1%) of the failing one.  Because a run can pass by luck (a
 * conservative collector's stack words, a collection falling on a lucky
 * op), the two limits at the boundary are each run once more: a passing
 * limit that now fails becomes the failing one and the search goes on
 * above it; a failing limit that now passes becomes the passing one.
 *
 * The trigger (gc_config.trigger, --trigger) is the caller's, passed to
 * every probe with a limit: a minimum heap found under "growth" is not the
 * minimum under "full" (a collector that collects only when the heap is
 * full keeps other garbage at other moments), so a sweep finds its
 * minimums under the trigger it runs at (matrix --heap-factors: "full"),
 * and the trigger is part of the settings id, so the two minimums are two
 * cells of minheap.csv.  The one probe without a limit (the upper bound)
 * runs under "growth", since "full" needs a heap to fill.
 *
 * Every probe (its limit and status) is appended to a probe log as it ends,
 * so an interrupted search resumes where it was: a probe already in the log
 * is read back, not run again (the k-th probe of a limit reads the k-th
 * line for it, so the boundary's repeats are real runs).  Each probe is a
 * real repetition through hb_run, isolated in its own process as the
 * matrix runs them.  Never prints.
 */
#ifndef HB_HEAPFACTOR_H
#define HB_HEAPFACTOR_H

#include <stdint.h>

#include "harness/core/err.h"
#include "harness/run/settings.h"

/* One cell's answer (a line of minheap.csv, results/README.md). */
typedef struct hb_minheap {
    char allocator[64], collector[64], workload[64];
    double scale;
    uint64_t seed;
    char settings_id[17];    /* hash of the cell's other settings */
    uint64_t min_heap_bytes; /* the smallest limit seen to pass, twice */
    uint64_t fail_bytes;     /* the largest limit seen to fail below it (0: none) */
    uint64_t unlimited_peak_bytes; /* the peak held without a limit */
    uint64_t probes;         /* runs made (or read back from the log) */
    char status[16];         /* "ok", or the unlimited run's status */
} hb_minheap;

/* Called after each probe: limit, its status word, probes so far. */
typedef void (*hb_probe_fn)(void *arg, const hb_minheap *cell, uint64_t limit, const char *status);

typedef struct hb_minheap_opts {
    double tol;              /* relative bracket width at the end; default 0.01 */
    const char *probe_log;   /* the probe log (CSV), or NULL: none */
    hb_probe_fn on_probe;
    void *probe_arg;
} hb_minheap_opts;

/* The id of cfg's settings other than the heap limit, repetitions and how
 * the run shows itself: the cells of two sweeps that differ in, say, a
 * collector's threshold do not share minimum heaps. */
void hb_minheap_settings_id(const hb_run_config *cfg, char out[17]);

/*
 * Finds cfg's minimum heap (cfg names one allocator, collector, workload).
 * Returns 0 (out->status "ok", or the status of the run without a limit,
 * which then has no minimum: min_heap_bytes 0), 2 on a setup error (e), 130
 * when interrupted.
 */
int hb_minheap_find(const hb_run_config *cfg, const hb_minheap_opts *o, hb_minheap *out,
                    hb_err *e);

/* minheap.csv: its header, one line, and reading it (-1 and err when it
 * cannot be read; a missing file is 0 cells).  *out is malloc'd. */
void hb_minheap_csv_header(FILE *f);
void hb_minheap_csv(FILE *f, const hb_minheap *m);
long hb_minheap_read(const char *path, hb_minheap **out, char *err, size_t cap);
/* Writes cells to path whole (temp file then rename). */
int hb_minheap_write(const char *path, const hb_minheap *cells, size_t n, hb_err *e);
/* The cell of v[0..n) for cfg's names, scale, seed and settings id, or NULL. */
const hb_minheap *hb_minheap_lookup(const hb_minheap *v, size_t n, const hb_run_config *cfg);

/*
 * A cell's minimum heap kept in folder dir: read from dir/minheap.csv when
 * it holds the cell (*cached 1), else found (probe log
 * dir/minheap-probes.csv) and added to dir/minheap.csv, rewritten whole.
 * Returns as hb_minheap_find, or 2 (e) when minheap.csv cannot be read or
 * written.
 */
int hb_minheap_get(const char *dir, const hb_run_config *cfg, const hb_minheap_opts *o,
                   hb_minheap *out, int *cached, hb_err *e);

/* "1.25,1.5,2": up to cap factors, each 1 <= f <= 1000, increasing; the
 * count, or -1 (e names the bad value, HB_ERR_USAGE). */
#define HB_MAX_HEAP_FACTORS 32
int hb_heap_factors_parse(const char *s, double *out, size_t cap, hb_err *e);

/* The limit for factor f of minimum m: ceil(f * m). */
uint64_t hb_heap_factor_limit(double f, uint64_t m);

#endif
