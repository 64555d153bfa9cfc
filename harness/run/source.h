/*
 * harness/run/source.h -- run core: where a repetition's ops come from, one
 * abstraction for a workload generator and a trace file.
 *
 * The run code asks a source for its name in rows, its scale and seed, how
 * many registers it needs and what drives it (a collector, or a heap alone
 * for an allocator trace), then, once per repetition, to feed its whole
 * stream into a sink.  It never asks which of the two it is.
 *
 * A trace is checked whole (header, checksum, every op) once, when the
 * source is made; each repetition then reads it in chunks with pread into
 * the sink's own buffer (so the file never counts in the peak RSS), as a
 * generator would fill it.  Reading, like generating, is never timed: the
 * sink's flush times only the replay.
 */
#ifndef HB_RUN_SOURCE_H
#define HB_RUN_SOURCE_H

#include <stdint.h>

#include "harness/core/err.h"
#include "harness/core/ops.h"
#include "harness/formats/trace.h"
#include "workloads/workload.h"

/* What replays a source's ops. */
typedef enum hb_drive {
    HB_DRIVE_COLLECTOR, /* an op stream: NEW, SET, ... through a collector */
    HB_DRIVE_HEAP,      /* an allocator trace: MALLOC, FREE, REALLOC on a heap */
} hb_drive;

typedef struct hb_source {
    char name[8 + HB_TRACE_SOURCE_BYTES]; /* rows' workload: "gcbench", "trace:sort" */
    double scale;
    uint64_t seed;
    hb_drive drive;
    uint32_t registers; /* >= 1 */
    uint32_t threads;   /* >= 1: the OS threads its ops run on (heap drive only) */
    int threaded;       /* 1: replayed by the threaded replay (harness/run/threads.h) */
    /* private: one of the two is set */
    const wl_workload *work;
    wl_params wp;
    const char *path;
    hb_trace_header h;
} hb_source;

/* A generator's source. */
void hb_source_workload(hb_source *s, const wl_workload *w, const wl_params *wp);
/* A trace file's source: its header checked, and with verify the whole file
 * (checksum, every op); 0, or -1 with e (HB_ERR_INPUT). */
int hb_source_trace(hb_source *s, const char *path, int verify, hb_err *e);

/* Feeds the whole stream into sink (flushing it as it fills); 0, or -1 with
 * why in err when the source could not produce it.  A stopped sink is not an
 * error. */
int hb_source_feed(const hb_source *s, hb_sink *sink, char *err, size_t cap);

/* Checks a chunk of an allocator trace (ops first.., untimed): ops accepted,
 * n when all are, with why in err otherwise.  Op streams are checked by
 * hb_ops_validate, which knows nothing of sources. */
size_t hb_source_check_heap_ops(const hb_source *s, const hb_op *ops, size_t n, uint64_t first,
                                char *err, size_t cap);

#endif
