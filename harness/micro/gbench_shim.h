/*
 * harness/micro/gbench_shim.h -- micro layer: a C API over Google Benchmark, so that the
 * microbenchmarks are written in C like the rest of the suite.
 *
 * The library does the statistics, the iteration count (until
 * --benchmark_min_time is reached), and the reports (console, or
 * --benchmark_format=json with the machine's context).  The shim only
 * forwards; harness/micro/gbench_shim.cc is the one C++ file in the project.
 *
 * A benchmark body, with its set-up outside the timed loop:
 *
 *     static void bm(hb_bench_state *st, void *ctx)
 *     {
 *         ...set up (not timed: the timer starts at the first batch)...
 *         uint64_t n;
 *         while (hb_bench_next_batch(st, &n)) {
 *             for (uint64_t i = 0; i < n; i++)
 *                 ...one op...
 *         }
 *         hb_bench_items_processed(st, hb_bench_iterations(st));
 *         ...tear down (not timed: the timer stopped at the last batch)...
 *     }
 *
 * Batches: each call to hb_bench_next_batch hands out at most the batch
 * limit (HB_BENCH_BATCH unless hb_bench_set_batch says otherwise) and never
 * more than the iterations the library asked for, so the reported iteration
 * count is exact and the loop's own cost is one call per batch (well under
 * a nanosecond per op).  An op may do anything, but one op == one
 * iteration: every per-iteration figure the library prints is per op.
 *
 * A family of benchmarks registers one name per variant, each with its own
 * ctx (no Google Benchmark argument lists: the name says everything).
 *
 * Calls on a state are valid only inside its benchmark's body.
 * hb_bench_items_processed, _bytes_processed, _label and _counter are
 * called after the loop ends.
 */
#ifndef HB_GBENCH_SHIM_H
#define HB_GBENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HB_BENCH_BATCH 1024

typedef struct hb_bench_state hb_bench_state; /* one run of one benchmark */
typedef struct hb_bench hb_bench;             /* a registered benchmark */
typedef void (*hb_bench_fn)(hb_bench_state *st, void *ctx);

/* ---- registration (before hb_bench_run) ---- */

/* Registers fn under name (copied); ctx is passed to every run of it and
 * must outlive hb_bench_run.  Returns NULL if the library refused. */
hb_bench *hb_bench_register(const char *name, hb_bench_fn fn, void *ctx);
/* Time per iteration printed in ns (default), us or ms: 'n', 'u', 'm'. */
void hb_bench_time_unit(hb_bench *b, char unit);
/* Runs b for exactly n iterations instead of until --benchmark_min_time:
 * for a benchmark whose untimed set-up per iteration dwarfs the timed part
 * (the library would repeat the set-up until the timed part adds up). */
void hb_bench_fixed_iterations(hb_bench *b, uint64_t n);

/* ---- inside a benchmark body ---- */

/* 1 with *n >= 1 ops to run now (the timer runs); 0 when done (stopped). */
int hb_bench_next_batch(hb_bench_state *st, uint64_t *n);
/* Largest batch handed out from now on (>= 1). */
void hb_bench_set_batch(hb_bench_state *st, uint64_t max);
/* Ops run so far (all of them, once the loop has ended). */
uint64_t hb_bench_iterations(const hb_bench_state *st);

/* Stop and restart the timer around untimed work inside the loop.  Each
 * pair costs about a microsecond: keep them rare (not per op). */
void hb_bench_pause(hb_bench_state *st);
void hb_bench_resume(hb_bench_state *st);

/* Marks the run as failed with msg; the body must then leave its loop
 * (break) and return.  The report shows the message instead of figures. */
void hb_bench_error(hb_bench_state *st, const char *msg);

void hb_bench_items_processed(hb_bench_state *st, uint64_t items);
void hb_bench_bytes_processed(hb_bench_state *st, uint64_t bytes);
void hb_bench_label(hb_bench_state *st, const char *label);

/* Counter flags; combine with |. */
enum {
    HB_COUNTER_PLAIN = 0,        /* the value as given */
    HB_COUNTER_RATE = 1,         /* value / seconds (CPU time, as items/s) */
    HB_COUNTER_PER_ITER = 2,     /* value / iterations */
    HB_COUNTER_INVERT = 4,       /* 1 / result, applied last */
};
void hb_bench_counter(hb_bench_state *st, const char *name, double value, unsigned flags);

/* ---- the program ---- */

/* Adds a key/value to the report's context (JSON "context" object). */
void hb_bench_context(const char *key, const char *value);
/* Parses and removes --benchmark_* flags from argv.  Returns 0, or -1 after
 * printing the flags it did not recognise. */
int hb_bench_init(int *argc, char **argv);
/* Runs the benchmarks selected by --benchmark_filter; returns how many. */
uint64_t hb_bench_run(void);
void hb_bench_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif
