/*
 * harness/run/run.h -- one cell: an allocator x collector x workload, run for
 * warm-up and measured repetitions, each on a fresh heap.
 *
 * Per repetition: the generator emits ops into a sink whose flush validates
 * the chunk (untimed), replays it (timed), and samples the heap (untimed);
 * pauses reported by the collector go into the histogram and the pause log.
 * At the end (untimed): a full collection, then the leak count (objects
 * still allocated that nothing reachable from the registers points to).
 */
#ifndef HB_RUN_H
#define HB_RUN_H

#include <stdint.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/formats/results.h"
#include "workloads/workload.h"

typedef struct hb_run_config {
    const al_backend *alloc;
    const gc_strategy *coll;
    const wl_workload *work; /* NULL when replaying trace_path */
    const char *trace_path;  /* a trace file instead of a workload, or NULL */
    al_config acfg;
    gc_config gcfg;
    wl_params wp;
    uint32_t reps;   /* measured repetitions (>= 1) */
    uint32_t warmup; /* repetitions run first and not reported */
    uint64_t heap_limit_bytes; /* 0: none */
    const char *series_path;   /* time series CSV, or NULL */
    uint64_t series_every_ops; /* a sample every this many ops (0: 1,000,000) */
    /* The reachability oracle: 0 off; N >= 1 checks every complete
     * collection, and every Nth partial collection and chunk of ops
     * (1: every one; slow). */
    int oracle;
    int progress; /* a progress bar on stderr (only if it is a terminal) */
    int quiet;    /* no message on stderr for a repetition that failed */
    /* Run each repetition in a child process of its own (fork): the C
     * library's heap, libraries' process-wide state, peak RSS and faults
     * start fresh every time, and a crash costs one row (status "crash"),
     * not the run.  The CLI turns it on; tests and the fuzzer leave it off. */
    int isolate;
} hb_run_config;

/* Called once per measured repetition with its row (valid during the call). */
typedef int (*hb_row_fn)(void *arg, const hb_row *row);

/*
 * Returns 0 when every repetition's status is "ok", 1 when some row says
 * otherwise (oom, ...), 2 on a setup error (message on stderr), and 130 when
 * interrupted by SIGINT (the repetition in progress is dropped, rows already
 * passed to on_row stand).  A nonzero return from on_row stops the run (3).
 */
int hb_run(const hb_run_config *cfg, hb_row_fn on_row, void *arg);

/* The program to exec for an isolated repetition ("/proc/self/exe" when
 * the binary dispatches `heapbench __rep IN OUT` to hb_rep_child_main);
 * NULL: isolated repetitions are plain forks. */
extern const char *hb_rep_exe;
/* The child's side: reads the request from in_fd, runs, writes to out_fd;
 * returns the child's exit status. */
int hb_rep_child_main(int in_fd, int out_fd);

/* Set by the SIGINT handler that hb_run installs; polled between chunks. */
extern volatile int hb_interrupted;
void hb_install_sigint(void);

#endif
