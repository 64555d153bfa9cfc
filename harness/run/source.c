/*
 * harness/run/source.c -- run core: a workload generator or a trace file as
 * one source of ops (contract in source.h).
 */
#include "harness/run/source.h"

#include <stdio.h>
#include <string.h>

void hb_source_workload(hb_source *s, const wl_workload *w, const wl_params *wp)
{
    memset(s, 0, sizeof *s);
    s->work = w;
    s->wp = *wp;
    snprintf(s->name, sizeof s->name, "%s", w->name);
    s->scale = wp->scale;
    s->seed = wp->seed;
    s->drive = w->heap ? HB_DRIVE_HEAP : HB_DRIVE_COLLECTOR;
    s->registers = w->registers(wp);
    if (s->registers == 0)
        s->registers = 1;
    /* A heap workload is threaded at every count (1 included), so its
     * figures at 1 and N threads come from the same replay code. */
    s->threads = (w->heap || w->mutators) && wp->threads > 1 ? wp->threads : 1;
    s->threaded = w->heap;
    /* Its chunks are checked as an allocator trace's are. */
    s->h.kind = w->heap ? HB_TRACE_ALLOC : HB_TRACE_OPS;
    s->h.registers = s->registers;
    s->h.threads = s->threads;
}

int hb_source_trace(hb_source *s, const char *path, int verify, hb_err *e)
{
    hb_trace_file t;
    char err[600];
    memset(s, 0, sizeof *s);
    if (hb_trace_open(&t, path, verify, err, sizeof err) != 0)
        return hb_fail(e, HB_ERR_INPUT, "%s", err);
    hb_trace_close(&t);
    s->path = path;
    s->h = t.h;
    snprintf(s->name, sizeof s->name, "trace:%s", t.h.source);
    s->scale = t.h.scale;
    s->seed = t.h.seed;
    s->drive = t.h.kind == HB_TRACE_ALLOC ? HB_DRIVE_HEAP : HB_DRIVE_COLLECTOR;
    s->registers = t.h.registers ? t.h.registers : 1;
    s->threads = t.h.threads > 1 ? t.h.threads : 1;
    s->threaded = s->drive == HB_DRIVE_HEAP && s->threads > 1;
    return 0;
}

/* The trace, chunk by chunk, into the sink's buffer. */
static int feed_trace(const hb_source *s, hb_sink *sink, char *err, size_t cap)
{
    hb_trace_file t;
    if (hb_trace_open(&t, s->path, 0, err, cap) != 0)
        return -1;
    int rc = 0;
    for (uint64_t i = 0; i < t.h.ops && !hb_sink_stopped(sink); i += sink->cap) {
        long n = hb_trace_read(&t, i, sink->buf, sink->cap);
        if (n <= 0) {
            snprintf(err, cap, "trace %s could not be read", s->path);
            rc = -1;
            break;
        }
        sink->len = (size_t)n;
        sink->emitted += (uint64_t)n;
        hb_sink_flush(sink);
    }
    hb_trace_close(&t);
    return rc;
}

int hb_source_feed(const hb_source *s, hb_sink *sink, char *err, size_t cap)
{
    if (s->path)
        return feed_trace(s, sink, err, cap);
    hb_err why;
    hb_err_clear(&why);
    wl_params wp = s->wp;
    wp.err = &why;
    if (s->work->generate(&wp, sink) == 0)
        return 0;
    if (why.msg[0])
        snprintf(err, cap, "%s", why.msg);
    else
        snprintf(err, cap, "workload %s could not be generated", s->work->name);
    return -1;
}

size_t hb_source_check_heap_ops(const hb_source *s, const hb_op *ops, size_t n, uint64_t first,
                                char *err, size_t cap)
{
    return hb_trace_check_ops(&s->h, ops, n, first, err, cap);
}
