/*
 * harness/run/run.h -- run core: one cell, an allocator x collector x source
 * (a workload or a trace, harness/run/source.h), run for warm-up and
 * measured repetitions, each on a fresh heap.
 *
 * Per repetition: the source emits ops into a sink whose flush validates
 * the chunk (untimed), replays it (timed), and samples the heap (untimed);
 * pauses reported by the collector go into the histogram and the pause log.
 * At the end (untimed): a full collection, then the leak count (objects
 * still allocated that nothing reachable from the registers points to).
 *
 * The configuration is plain data described by one list (hb_run_config,
 * harness/run/settings.h): registry names, not tables, so the same record
 * is what a repetition's child process receives.
 */
#ifndef HB_RUN_H
#define HB_RUN_H

#include <signal.h>
#include <stdint.h>

#include "harness/core/err.h"
#include "harness/formats/results.h"
#include "harness/run/settings.h"

/* Called once per measured repetition with its row (valid during the call). */
typedef int (*hb_row_fn)(void *arg, const hb_row *row);

/*
 * Returns 0 when every repetition's status is "ok", 1 when some row says
 * otherwise (oom, ...; cfg->on_note hears why), 2 on a setup error (e says
 * what: an unknown name, a pairing refused, a bad trace), and 130 when
 * interrupted by SIGINT (the repetition in progress is dropped, rows already
 * passed to on_row stand).  A nonzero return from on_row stops the run (3).
 * Never prints: with cfg->progress set, hb_run_progress hears how far a
 * repetition has got.
 */
int hb_run(const hb_run_config *cfg, hb_row_fn on_row, void *arg, hb_err *e);

/* Where a repetition stands, at most five times a second and once at its
 * end (done 1); the names are valid during the call. */
typedef struct hb_progress {
    const char *alloc, *coll, *source;
    uint32_t rep;
    uint64_t ops;
    double replayed_s; /* timed replay so far */
    int done;
} hb_progress;
typedef void (*hb_progress_fn)(const hb_progress *p);
/* Set by the command layer (a line on a terminal); NULL: none.  Inherited
 * by a forked repetition; an exec'd one sets it again in main(). */
extern hb_progress_fn hb_run_progress;

/* Hears every pass of a repetition once it has run, in the process that
 * ran it: each warm-up pass (measured 0) and the measured one (1), with the
 * pass's row (valid during the call; a warm-up's is then discarded).  Called
 * after the pass's figures are taken, off the clock.  For tests: NULL (the
 * default) is none.  Inherited by a forked repetition; an exec'd one starts
 * without it. */
typedef void (*hb_pass_fn)(uint32_t rep, int measured, const hb_row *row);
extern hb_pass_fn hb_run_on_pass;

/* The program to exec for an isolated repetition ("/proc/self/exe" when
 * the binary dispatches `heapbench __rep IN OUT` to hb_rep_child_main);
 * NULL: isolated repetitions are plain forks. */
extern const char *hb_rep_exe;
/* The child's side: reads the request from in_fd, runs, writes to out_fd;
 * returns the child's exit status. */
int hb_rep_child_main(int in_fd, int out_fd);

/* The request as the parent writes it and the child reads it (tests). */
int hb_rep_request_write(int fd, const hb_run_config *cfg, uint32_t rep_index, int series_fd,
                         hb_err *e);
/* text: a buffer the names in cfg will point into, of cap bytes. */
int hb_rep_request_read(int fd, hb_run_config *cfg, uint32_t *rep_index, int *series_fd,
                        char *text, size_t cap, hb_err *e);

/* Set by the SIGINT handler that hb_install_sigint installs; polled
 * between chunks. */
extern volatile sig_atomic_t hb_interrupted;
void hb_install_sigint(void);

#endif
