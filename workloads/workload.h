/*
 * workloads/workload.h -- the workload interface.
 *
 * A workload is a generator: deterministic from (seed, scale), it emits an op
 * stream (harness/core/ops.h) into a sink.  The sink replays ops as its buffer
 * fills, so generation interleaves with replay but is never timed, and the
 * stream is never held whole in memory.
 *
 * A generator keeps its own model of what each register holds (kind, slot
 * count), so every op it emits is meaningful; the replay loop still treats
 * a meaningless one as a counted no-op.  It should poll hb_sink_stopped() in
 * its outer loops and return early once the sink has stopped (out of
 * memory, interrupted).
 *
 * Adding one is one file exporting one `const wl_workload` and one line in
 * workloads/registry.c.
 */
#ifndef HB_WORKLOAD_H
#define HB_WORKLOAD_H

#include <stdint.h>

#include "harness/core/err.h"
#include "harness/core/ops.h"
#include "harness/core/object.h"
#include "harness/core/rng.h"

typedef struct wl_params {
    double scale;  /* 1.0 runs for roughly 1-5 s on the fastest combination */
    uint64_t seed;
    int no_finalizers; /* cycles: no finalizers (--no-finalizers) */
    int intern;        /* small-objects: shared small ints (--intern) */
    int no_leaves;     /* large-arrays: no leaves in the arrays (--no-leaves) */
    uint32_t threads; /* OS threads (0, 1: one): a heap workload's, or a mutators workload's */
    /* Where generate() says why it returned -1 (hb_fail: one line naming the
     * bad value or what ran out); may be NULL.  Not a setting: never sent to
     * a repetition's process, the caller points it at its own hb_err. */
    hb_err *err;
} wl_params;

typedef struct wl_workload {
    const char *name;
    const char *description; /* one line, for `heapbench list` */
    /* Registers the stream uses, at this scale. */
    uint32_t (*registers)(const wl_params *p);
    /* Emits the whole stream; 0 on success, -1 if it could not (a bad
     * scale, its own memory), with why in p->err.  Never prints.  A stopped
     * sink is not an error. */
    int (*generate)(const wl_params *p, hb_sink *out);
    /* 1: emits allocator ops (MALLOC, FREE, each with its thread), replayed
     * on a heap without a collector on p->threads OS threads, as an
     * allocator trace is; 0: an op stream for a collector, one thread. */
    int heap;
    /* 1: a collector workload that at p->threads > 1 emits one stream per
     * mutator thread (ops tagged with their thread, each thread its own
     * registers: workloads/mutators.h), replayed in the GIL model; 0: one
     * mutator only. */
    int mutators;
} wl_workload;

extern const wl_workload *const wl_workloads[]; /* first is the default */
extern const size_t wl_workload_count;

const wl_workload *wl_find(const char *name);
void wl_names(char *buf, size_t cap);

#endif
