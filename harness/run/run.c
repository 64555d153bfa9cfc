/*
 * harness/run/run.c -- one cell's repetitions: fresh heap, generate and replay,
 * measure, write the row.
 *
 * Timing.  The generator emits ops into a sink of HB_CHUNK_OPS; each flush
 * validates the chunk (untimed), then replays it between two clock reads.
 * The run's timeline is the sum of replay time only, so generation never
 * counts; harness work done inside a chunk (sampling the heap at the end of
 * a collection or at a PHASE marker, the oracle) is timed and subtracted
 * from the timeline too.  Pauses reported by the collector are placed on
 * that timeline for the MMU.
 *
 * Memory.  Everything the harness holds during a repetition (registers, op
 * buffer, pause log) is mapped directly, never taken from the C library's
 * malloc, so the `malloc` backend's footprint (read process-wide) counts
 * the workload alone.
 *
 * Traces.  A trace file (harness/formats/trace.h) is checked whole -- header,
 * checksum, every op -- once, before any repetition; each repetition then
 * reads it in chunks with pread (so the file never counts in the peak RSS)
 * into the same op buffer a generator would fill.  An op-stream trace
 * replays like a workload; an allocator trace replays against the heap
 * alone (hb_alloc_replay), with collector "none".
 */
#include "harness/run/run.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/core/clock.h"
#include "harness/formats/io.h"
#include "harness/run/metrics.h"
#include "harness/run/oracle.h"
#include "harness/run/replay.h"
#include "harness/formats/trace.h"

#define HB_CHUNK_OPS 4096
#define HB_MAX_PAUSES (64u << 20) /* reserved, touched only as used */
/* The heap is sampled for fragmentation every this many chunks (64 Ki ops),
 * between chunks (untimed), besides every collection's end and PHASE. */
#define HB_FRAG_SAMPLE_CHUNKS 16

volatile int hb_interrupted;

/* The trace being replayed (hb_run and the isolated child set it): its
 * header and its name in rows, "trace:SOURCE". */
static hb_trace_header run_trace;
static char run_trace_name[8 + HB_TRACE_SOURCE_BYTES];

static const char *work_name(const hb_run_config *cfg)
{
    return cfg->work ? cfg->work->name : run_trace_name;
}

static const char *coll_name(const hb_run_config *cfg)
{
    return cfg->coll ? cfg->coll->name : "none";
}

static int is_alloc_trace(const hb_run_config *cfg)
{
    return cfg->work == NULL && run_trace.kind == HB_TRACE_ALLOC;
}

static void on_sigint(int sig)
{
    (void)sig;
    hb_interrupted = 1;
}

void hb_install_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* ------------------------------------------------------------------ */
/* Process figures                                                      */
/* ------------------------------------------------------------------ */

/* Resets the process's peak RSS (VmHWM) so each repetition has its own. */
static void reset_peak_rss(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd >= 0) {
        ssize_t w = write(fd, "5", 1);
        (void)w;
        close(fd);
    }
}

/* A field of /proc/self/status in kB, as bytes; 0 if absent. */
static uint64_t proc_status_bytes(const char *field)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strstr(buf, field);
    if (p == NULL)
        return 0;
    return strtoull(p + strlen(field), NULL, 10) * 1024;
}

static uint64_t minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_minflt;
}

static void *map_zeroed(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* One repetition                                                       */
/* ------------------------------------------------------------------ */

typedef struct rep {
    const hb_run_config *cfg;
    uint32_t rep_index;
    al_heap heap;   /* the real heap */
    al_heap shim;   /* the oracle's, when on */
    hb_oracle *oracle;
    gc_env env;
    hb_vm vm;
    int alloc_trace; /* replaying an allocator trace: avm, not vm */
    hb_avm avm;
    hb_trace_file trace; /* fd -1 when replaying a workload */
    hb_obj **regs;
    uint32_t nregs;
    hb_op *buf;
    size_t blocks_bytes; /* the allocator trace's register file, mapped */
    hb_hist hist;
    hb_pauselog plog;

    uint64_t timeline_ns;  /* replay time so far */
    uint64_t chunk_start;  /* when the current chunk's replay began */
    uint64_t excluded_ns;  /* harness work inside the current chunk */
    uint64_t gc_ns;
    int measuring;         /* 0 during the final, untimed collection */

    uint64_t sample_live_peak, sample_fp_at_live_peak, sample_fp_peak;
    uint64_t next_sample_ops, sample_every;
    uint64_t chunks;
    uint64_t oracle_tick; /* partial checks offered, for cfg->oracle's period */
    FILE *series;
    uint64_t progress_next_ns;
    int progress;

    const char *status;
    char err[256];
} rep;

static uint64_t rep_ops(const rep *r)
{
    return r->alloc_trace ? r->avm.ops : r->vm.ops;
}

static uint64_t timeline_at(const rep *r, uint64_t abs_ns)
{
    uint64_t in_chunk = abs_ns > r->chunk_start ? abs_ns - r->chunk_start : 0;
    in_chunk = in_chunk > r->excluded_ns ? in_chunk - r->excluded_ns : 0;
    return r->timeline_ns + in_chunk;
}

/* Samples the heap for fragmentation; with a series file, writes a row
 * when `event` is not NULL. */
static void sample(rep *r, const char *event)
{
    al_stats st;
    al_heap_stats(&r->heap, &st);
    uint64_t live = st.live_bytes, fp = st.b.footprint_bytes;
    if (live > r->sample_live_peak) {
        r->sample_live_peak = live;
        r->sample_fp_at_live_peak = fp;
    }
    if (fp > r->sample_fp_peak)
        r->sample_fp_peak = fp;
    if (r->series && event) {
        uint64_t now = hb_now_ns();
        fprintf(r->series, "%u,%.9f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.9f,%u,%s\n",
                r->rep_index, (double)timeline_at(r, now) / 1e9, rep_ops(r), live, fp,
                proc_status_bytes("VmRSS:"), (double)r->gc_ns / 1e9, r->vm.phase, event);
    }
}

static void on_pause(void *arg, uint64_t start, uint64_t end)
{
    rep *r = arg;
    if (!r->measuring)
        return;
    uint64_t d = end > start ? end - start : 0;
    hb_hist_add(&r->hist, d);
    r->gc_ns += d;
    uint64_t s = timeline_at(r, start);
    hb_pauselog_add(&r->plog, s, s + d);
}

static void run_oracle(rep *r, int complete)
{
    if (r->oracle && !complete && ++r->oracle_tick % (uint64_t)r->cfg->oracle != 0)
        return;
    if (r->oracle && hb_oracle_check(r->oracle, r->vm.gs, r->vm.gc, r->regs, r->nregs, complete) &&
        r->status == NULL) {
        r->status = "oracle";
        snprintf(r->err, sizeof r->err, "%s", hb_oracle_first(r->oracle));
    }
}

static void on_collected(void *arg, int full)
{
    rep *r = arg;
    if (!r->measuring) { /* the final collection: check, do not sample */
        run_oracle(r, full);
        return;
    }
    uint64_t t0 = hb_now_ns();
    sample(r, full ? "full-gc" : "gc");
    run_oracle(r, full);
    r->excluded_ns += hb_now_ns() - t0;
}

static void on_finalize(void *arg, hb_obj *o)
{
    rep *r = arg;
    if (r->oracle)
        hb_oracle_finalizing(r->oracle, o);
}

static void on_phase(hb_vm *vm, uint32_t phase)
{
    rep *r = vm->arg;
    (void)phase;
    uint64_t t0 = hb_now_ns();
    sample(r, "phase");
    r->excluded_ns += hb_now_ns() - t0;
}

static void show_progress(rep *r)
{
    uint64_t now = hb_now_ns();
    if (now < r->progress_next_ns)
        return;
    r->progress_next_ns = now + 200000000u;
    fprintf(stderr, "\r%s/%s/%s rep %u: %.1f M ops, %.2f s replayed ",
            r->cfg->alloc->name, coll_name(r->cfg), work_name(r->cfg),
            r->rep_index, (double)rep_ops(r) / 1e6, (double)r->timeline_ns / 1e9);
}

/* The untimed work after a chunk: samples, the oracle, progress. */
static void after_chunk(rep *r)
{
    r->chunks++;
    if (rep_ops(r) >= r->next_sample_ops) {
        sample(r, "ops");
        r->next_sample_ops = rep_ops(r) + r->sample_every;
    } else if (r->chunks % HB_FRAG_SAMPLE_CHUNKS == 0) {
        sample(r, NULL);
    }
    if (r->oracle)
        run_oracle(r, 0);
    if (r->progress)
        show_progress(r);
}

static int flush_chunk(hb_sink *s)
{
    rep *r = s->ctx;
    if (hb_interrupted)
        return 1;
    const char *why;
    size_t bad = hb_ops_validate(s->buf, s->len, r->nregs, &why);
    if (bad != s->len) {
        r->status = "error";
        snprintf(r->err, sizeof r->err, "op %" PRIu64 " (%s): %s",
                 s->emitted - s->len + bad, hb_op_name(s->buf[bad].code) ? hb_op_name(s->buf[bad].code) : "?", why);
        return 1;
    }
    r->excluded_ns = 0;
    r->chunk_start = hb_now_ns();
    hb_replay(&r->vm, s->buf, s->len);
    uint64_t end = hb_now_ns();
    uint64_t spent = end - r->chunk_start;
    r->timeline_ns += spent > r->excluded_ns ? spent - r->excluded_ns : 0;
    if (r->vm.status == HB_VM_OOM) {
        if (r->status == NULL)
            r->status = "oom";
        return 1;
    }
    after_chunk(r);
    return r->status != NULL;
}

/* An allocator trace's chunk: checked (untimed), replayed (timed). */
static int flush_alloc_chunk(hb_sink *s)
{
    rep *r = s->ctx;
    if (hb_interrupted)
        return 1;
    if (hb_trace_check_ops(&run_trace, s->buf, s->len, s->emitted - s->len, r->err,
                           sizeof r->err) != s->len) {
        r->status = "error";
        return 1;
    }
    r->excluded_ns = 0;
    r->chunk_start = hb_now_ns();
    hb_alloc_replay(&r->avm, s->buf, s->len);
    uint64_t spent = hb_now_ns() - r->chunk_start;
    r->timeline_ns += spent;
    if (r->avm.status == HB_VM_OOM) {
        if (r->status == NULL)
            r->status = "oom";
        return 1;
    }
    after_chunk(r);
    return r->status != NULL;
}

/* Feeds the trace file to the sink, chunk by chunk (reading is untimed:
 * the flush times only the replay). */
static int feed_trace(rep *r, hb_sink *sink)
{
    for (uint64_t i = 0; i < r->trace.h.ops && !hb_sink_stopped(sink); i += sink->cap) {
        long n = hb_trace_read(&r->trace, i, sink->buf, sink->cap);
        if (n <= 0)
            return -1;
        sink->len = (size_t)n;
        sink->emitted += (uint64_t)n;
        hb_sink_flush(sink);
    }
    return 0;
}

static int rep_open_alloc_trace(rep *r)
{
    r->blocks_bytes = (size_t)r->nregs * (sizeof(void *) + sizeof(uint32_t));
    char *m = map_zeroed(r->blocks_bytes);
    r->buf = map_zeroed(HB_CHUNK_OPS * sizeof(hb_op));
    if (m == NULL || r->buf == NULL) {
        snprintf(r->err, sizeof r->err, "could not map the register file or op buffer");
        if (m)
            munmap(m, r->blocks_bytes);
        return -1;
    }
    r->avm = (hb_avm){.heap = &r->heap, .blocks = (void **)m,
                      .sizes = (uint32_t *)(m + (size_t)r->nregs * sizeof(void *)),
                      .nregs = r->nregs};
    return 0;
}

static int rep_open(rep *r)
{
    const hb_run_config *cfg = r->cfg;
    if (al_heap_open(&r->heap, cfg->alloc, &cfg->acfg) != 0) {
        snprintf(r->err, sizeof r->err, "allocator %s could not be created", cfg->alloc->name);
        return -1;
    }
    r->heap.limit_bytes = cfg->heap_limit_bytes;
    if (r->alloc_trace)
        return rep_open_alloc_trace(r);
    al_heap *h = &r->heap;
    if (cfg->oracle) {
        r->oracle = hb_oracle_new(&r->heap, cfg->coll->header_bytes);
        if (r->oracle == NULL) {
            snprintf(r->err, sizeof r->err, "out of memory for the oracle");
            return -1;
        }
        hb_oracle_heap(r->oracle, &r->shim);
        h = &r->shim;
    }
    r->regs = map_zeroed((size_t)r->nregs * sizeof(hb_obj *));
    r->buf = map_zeroed(HB_CHUNK_OPS * sizeof(hb_op));
    if (r->regs == NULL || r->buf == NULL || hb_pauselog_init(&r->plog, HB_MAX_PAUSES) != 0) {
        snprintf(r->err, sizeof r->err, "could not map the register file, op buffer or pause log");
        return -1;
    }
    hb_hist_init(&r->hist);
    r->env = (gc_env){
        .heap = h, .roots = r->regs, .nroots = r->nregs, .cfg = &cfg->gcfg, .harness = r,
        .pause = on_pause, .finalize = on_finalize, .collected = on_collected,
    };
    void *gc = cfg->coll->create(&r->env);
    if (gc == NULL) {
        snprintf(r->err, sizeof r->err, "collector %s could not be created over %s",
                 cfg->coll->name, cfg->alloc->name);
        return -1;
    }
    r->vm = (hb_vm){.gs = cfg->coll, .gc = gc, .regs = r->regs, .nregs = r->nregs,
                    .on_phase = on_phase, .arg = r};
    return 0;
}

static void rep_close(rep *r)
{
    if (r->vm.gc)
        r->cfg->coll->destroy(r->vm.gc);
    r->vm.gc = NULL;
    hb_oracle_free(r->oracle);
    r->oracle = NULL;
    if (r->avm.blocks) {
        hb_avm_release(&r->avm);
        munmap(r->avm.blocks, r->blocks_bytes);
        r->avm.blocks = NULL;
    }
    if (r->heap.b)
        al_heap_close(&r->heap);
    hb_trace_close(&r->trace);
    if (r->regs)
        munmap(r->regs, (size_t)r->nregs * sizeof(hb_obj *));
    if (r->buf)
        munmap(r->buf, HB_CHUNK_OPS * sizeof(hb_op));
    hb_pauselog_free(&r->plog);
}

static void fill_row(rep *r, hb_row *row, uint64_t faults, uint64_t peak_rss)
{
    const hb_run_config *cfg = r->cfg;
    al_stats st;
    gc_stats gst;
    al_heap_stats(&r->heap, &st);
    memset(&gst, 0, sizeof gst);
    if (cfg->coll && r->vm.gc)
        cfg->coll->stats(r->vm.gc, &gst);
    double wall = (double)r->timeline_ns / 1e9;

    memset(row, 0, sizeof *row);
    row->allocator = cfg->alloc->name;
    row->collector = coll_name(cfg);
    row->workload = work_name(cfg);
    row->scale = cfg->work ? cfg->wp.scale : run_trace.scale;
    row->seed = cfg->work ? cfg->wp.seed : run_trace.seed;
    row->rep = r->rep_index;
    row->status = r->status ? r->status : "ok";
    row->ops = rep_ops(r);
    row->objects = r->alloc_trace ? r->avm.allocs : r->vm.objects;
    row->bytes_allocated = r->alloc_trace ? r->avm.bytes : r->vm.bytes;
    row->wall_s = wall;
    row->gc_s = (double)r->gc_ns / 1e9;
    row->mutator_s = wall > row->gc_s ? wall - row->gc_s : 0;
    row->ops_per_s = wall > 0 ? (double)row->ops / wall : 0;
    row->pauses = r->hist.count;
    row->pause_p50_us = hb_hist_quantile_ns(&r->hist, 0.50) / 1e3;
    row->pause_p90_us = hb_hist_quantile_ns(&r->hist, 0.90) / 1e3;
    row->pause_p99_us = hb_hist_quantile_ns(&r->hist, 0.99) / 1e3;
    row->pause_p999_us = hb_hist_quantile_ns(&r->hist, 0.999) / 1e3;
    row->pause_max_us = hb_hist_quantile_ns(&r->hist, 1.0) / 1e3;
    row->mmu_1ms = hb_mmu(&r->plog, r->timeline_ns, 1000000u);
    row->mmu_10ms = hb_mmu(&r->plog, r->timeline_ns, 10000000u);
    row->mmu_100ms = hb_mmu(&r->plog, r->timeline_ns, 100000000u);
    row->mmu_100us = hb_mmu(&r->plog, r->timeline_ns, 100000u);
    row->mmu_300us = hb_mmu(&r->plog, r->timeline_ns, 300000u);
    row->mmu_3ms = hb_mmu(&r->plog, r->timeline_ns, 3000000u);
    row->mmu_30ms = hb_mmu(&r->plog, r->timeline_ns, 30000000u);
    row->mmu_300ms = hb_mmu(&r->plog, r->timeline_ns, 300000000u);
    row->mmu_1s = hb_mmu(&r->plog, r->timeline_ns, 1000000000u);
    row->peak_live_bytes = st.peak_live_bytes;
    uint64_t fp_peak = st.b.peak_footprint_bytes;
    if (r->sample_fp_peak > fp_peak)
        fp_peak = r->sample_fp_peak;
    row->peak_footprint_bytes = fp_peak;
    row->frag_at_peak_live = hb_frag(r->sample_fp_at_live_peak, r->sample_live_peak);
    /* Both peaks from the same kind of measurement: exact where the backend
     * counts its footprint at every change, otherwise both from the samples
     * (a sampled footprint over an exact live peak would understate it). */
    row->frag_peaks = st.b.footprint_exact ? hb_frag(fp_peak, st.peak_live_bytes)
                                           : hb_frag(fp_peak, r->sample_live_peak);
    if (st.allocs == 0 && row->objects > 0) {
        /* The collector brought its own heap (boehm): no live bytes were
         * counted, so there is no fragmentation to report, only unknowns. */
        row->frag_at_peak_live = NAN;
        row->frag_peaks = NAN;
    }
    row->peak_rss_bytes = peak_rss;
    row->minor_faults = faults;
    row->header_bytes = cfg->coll ? cfg->coll->header_bytes : 0;
    row->collections = gst.collections;
    row->full_collections = gst.full_collections;
    row->finalizers_run = gst.finalizers_run;
    row->noop_ops = r->alloc_trace ? r->avm.noops : r->vm.noops;
    row->footprint_exact = (uint64_t)st.b.footprint_exact;
}

/* After the measured part: one full collection, then what is left that
 * nothing reachable points to is leaked (the cycles pure counting keeps). */
static void count_leaks(rep *r, hb_row *row)
{
    gc_stats gst;
    uint64_t objs = 0, bytes = 0;
    if (r->alloc_trace) { /* blocks the program never freed before it ended */
        row->leaked_objects = r->avm.live_blocks;
        row->leaked_bytes = r->avm.live_bytes;
        return;
    }
    r->measuring = 0;
    r->cfg->coll->collect(r->vm.gc);
    run_oracle(r, 0);
    r->cfg->coll->stats(r->vm.gc, &gst);
    if (hb_reachable(r->regs, r->nregs, r->cfg->coll->header_bytes, &objs, &bytes) != 0) {
        row->status = "error";
        return;
    }
    row->leaked_objects = gst.objects_live > objs ? gst.objects_live - objs : 0;
    row->leaked_bytes = gst.bytes_live > bytes ? gst.bytes_live - bytes : 0;
    if (r->status)
        row->status = r->status;
}

static int run_one(const hb_run_config *cfg, uint32_t rep_index, FILE *series, hb_row *row,
                   char *err, size_t errcap)
{
    rep r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.rep_index = rep_index;
    r.series = series;
    r.measuring = 1;
    r.sample_every = cfg->series_every_ops ? cfg->series_every_ops : 1000000u;
    r.next_sample_ops = r.sample_every;
    r.progress = cfg->progress && isatty(STDERR_FILENO);
    r.trace.fd = -1;
    r.alloc_trace = is_alloc_trace(cfg);
    if (cfg->work == NULL) { /* the header was checked by hb_run: read it again */
        if (hb_trace_open(&r.trace, cfg->trace_path, 0, err, errcap) != 0)
            return 2;
        r.nregs = r.trace.h.registers;
    } else {
        r.nregs = cfg->work->registers(&cfg->wp);
    }
    if (r.nregs == 0)
        r.nregs = 1;
    int rc = rep_open(&r);
    if (rc != 0) {
        snprintf(err, errcap, "%s", r.err);
        rep_close(&r);
        return 2;
    }
    hb_sink sink = {.buf = r.buf, .cap = HB_CHUNK_OPS, .ctx = &r,
                    .flush = r.alloc_trace ? flush_alloc_chunk : flush_chunk};
    reset_peak_rss();
    uint64_t faults0 = minor_faults();
    r.chunk_start = hb_now_ns(); /* the timeline starts at 0 */
    sample(&r, "start");
    int gen = cfg->work ? cfg->work->generate(&cfg->wp, &sink) : feed_trace(&r, &sink);
    hb_sink_flush(&sink);
    if (gen != 0 && r.status == NULL) {
        r.status = "error";
        snprintf(r.err, sizeof r.err, "%s %s could not be read", cfg->work ? "workload" : "trace",
                 cfg->work ? cfg->work->name : cfg->trace_path);
    }
    if (hb_interrupted) {
        rep_close(&r);
        return 130;
    }
    sample(&r, "end");
    uint64_t faults = minor_faults() - faults0;
    uint64_t peak_rss = proc_status_bytes("VmHWM:");
    fill_row(&r, row, faults, peak_rss);
    count_leaks(&r, row);
    if (r.err[0])
        snprintf(err, errcap, "%s", r.err);
    if (r.progress)
        fprintf(stderr, "\r\033[K");
    rep_close(&r);
    return 0;
}

/* A row with its names and status, and nothing measured (NaN, 0). */
static void blank_row(const hb_run_config *cfg, uint32_t rep_index, const char *status, hb_row *row)
{
#define HB_BLANK_STR(name) row->name = "";
#define HB_BLANK_U64(name) row->name = 0;
#define HB_BLANK_F64(name) row->name = NAN;
#define HB_BLANK_(type, name) HB_BLANK_##type(name)
    HB_ROW_FIELDS(HB_BLANK_)
#undef HB_BLANK_
    row->allocator = cfg->alloc->name;
    row->collector = coll_name(cfg);
    row->workload = work_name(cfg);
    row->scale = cfg->work ? cfg->wp.scale : run_trace.scale;
    row->seed = cfg->work ? cfg->wp.seed : run_trace.seed;
    row->rep = rep_index;
    row->header_bytes = cfg->coll ? cfg->coll->header_bytes : 0;
    row->status = status;
}

/*
 * Isolation.  With cfg->isolate, each repetition runs in a child process.
 * Where the binary offers the hidden `__rep` entry (hb_rep_exe set, as the
 * heapbench command does), the child is a fresh image of the program
 * (fork + exec): nothing the parent did -- libraries it loaded to list them,
 * memory a peer allocator took with sbrk, glibc arenas -- is inherited, so
 * the malloc backend's process-wide footprint and the peak RSS are the
 * repetition's own.  Elsewhere (tests) the child is a plain fork.  The
 * request and the row travel through pipes; names are resolved again on
 * each side, so no pointer crosses an exec.
 */
const char *hb_rep_exe;

typedef struct rep_request {
    char alloc[64], coll[64], work[64]; /* coll "": none; work "": the trace */
    char trace[4096];
    al_config acfg;
    gc_config gcfg;
    wl_params wp;
    uint64_t heap_limit_bytes, series_every_ops;
    int oracle, progress, quiet;
    int series_fd; /* -1: none */
    uint32_t rep_index;
} rep_request;

typedef struct child_msg {
    int rc;
    hb_row row; /* its strings are the child's: run_isolated replaces them */
    char status[32];
    char err[256];
} child_msg;

/* Runs the repetition and sends the result; the child's whole job. */
static int child_run(const hb_run_config *cfg, uint32_t rep_index, FILE *series, int out_fd)
{
    child_msg m;
    memset(&m, 0, sizeof m);
    m.rc = run_one(cfg, rep_index, series, &m.row, m.err, sizeof m.err);
    if (m.rc == 0)
        snprintf(m.status, sizeof m.status, "%s", m.row.status);
    if (series)
        fflush(series);
    return hb_write_all(out_fd, &m, sizeof m) ? 3 : 0;
}

int hb_rep_child_main(int in_fd, int out_fd)
{
    rep_request q;
    hb_run_config cfg;
    if (hb_read_all(in_fd, &q, sizeof q) != sizeof q)
        return 3;
    memset(&cfg, 0, sizeof cfg);
    cfg.alloc = al_find(q.alloc);
    cfg.coll = q.coll[0] ? gc_find(q.coll) : NULL;
    cfg.work = q.work[0] ? wl_find(q.work) : NULL;
    if (q.trace[0]) {
        hb_trace_file t;
        char err[512];
        if (hb_trace_open(&t, q.trace, 0, err, sizeof err) != 0)
            return 3;
        hb_trace_close(&t);
        run_trace = t.h;
        snprintf(run_trace_name, sizeof run_trace_name, "trace:%s", t.h.source);
        cfg.trace_path = q.trace;
    }
    if (!cfg.alloc || (q.coll[0] && !cfg.coll) || (q.work[0] && !cfg.work) ||
        (!cfg.work && !cfg.trace_path) || (!cfg.coll && !is_alloc_trace(&cfg)))
        return 3;
    cfg.acfg = q.acfg;
    cfg.gcfg = q.gcfg;
    cfg.wp = q.wp;
    cfg.heap_limit_bytes = q.heap_limit_bytes;
    cfg.series_every_ops = q.series_every_ops;
    cfg.oracle = q.oracle;
    cfg.progress = q.progress;
    cfg.quiet = q.quiet;
    hb_install_sigint();
    FILE *series = q.series_fd >= 0 ? fdopen(q.series_fd, "a") : NULL;
    static char iobuf[1 << 16];
    if (series)
        setvbuf(series, iobuf, _IOFBF, sizeof iobuf);
    return child_run(&cfg, q.rep_index, series, out_fd);
}

/* Starts the child: exec of hb_rep_exe when set, else a plain fork. */
static pid_t spawn_child(const hb_run_config *cfg, uint32_t rep_index, FILE *series, int out_fd)
{
    int req[2];
    if (hb_rep_exe && pipe(req) != 0)
        return -1;
    pid_t pid = fork();
    if (pid != 0) {
        if (hb_rep_exe) {
            close(req[0]);
            rep_request q;
            memset(&q, 0, sizeof q);
            snprintf(q.alloc, sizeof q.alloc, "%s", cfg->alloc->name);
            snprintf(q.coll, sizeof q.coll, "%s", cfg->coll ? cfg->coll->name : "");
            snprintf(q.work, sizeof q.work, "%s", cfg->work ? cfg->work->name : "");
            snprintf(q.trace, sizeof q.trace, "%s", cfg->work ? "" : cfg->trace_path);
            q.acfg = cfg->acfg;
            q.gcfg = cfg->gcfg;
            q.wp = cfg->wp;
            q.heap_limit_bytes = cfg->heap_limit_bytes;
            q.series_every_ops = cfg->series_every_ops;
            q.oracle = cfg->oracle;
            q.progress = cfg->progress;
            q.quiet = cfg->quiet;
            q.series_fd = series ? fileno(series) : -1;
            q.rep_index = rep_index;
            if (pid > 0)
                hb_write_all(req[1], &q, sizeof q);
            close(req[1]);
        }
        return pid;
    }
    if (hb_rep_exe) {
        char in[16], out[16];
        close(req[1]);
        snprintf(in, sizeof in, "%d", req[0]);
        snprintf(out, sizeof out, "%d", out_fd);
        execl(hb_rep_exe, "heapbench", "__rep", in, out, (char *)NULL);
        _exit(127);
    }
    _exit(child_run(cfg, rep_index, series, out_fd));
}

/* Reads the child's message.  A SIGINT that reached only this process (not
 * the whole process group, as a terminal's would) is passed on to the
 * child, which then stops at its next chunk. */
static size_t read_from_child(int fd, void *buf, size_t n, pid_t pid)
{
    char *p = buf;
    size_t got = 0;
    int forwarded = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) {
            if (hb_interrupted && !forwarded++)
                kill(pid, SIGINT);
            continue;
        }
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* One repetition in a child process; a child that dies leaves a row saying how. */
static int run_isolated(const hb_run_config *cfg, uint32_t rep_index, FILE *series, hb_row *row,
                        char *status, char *err, size_t errcap)
{
    int fds[2];
    fflush(stdout);
    fflush(stderr);
    if (series)
        fflush(series);
    if (pipe(fds) != 0) {
        snprintf(err, errcap, "pipe: %s", strerror(errno));
        return 2;
    }
    pid_t pid = spawn_child(cfg, rep_index, series, fds[1]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(err, errcap, "fork: %s", strerror(errno));
        return 2;
    }
    child_msg m;
    size_t got = read_from_child(fds[0], &m, sizeof m, pid);
    close(fds[0]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    if (hb_interrupted) /* the repetition in progress is dropped, whatever it did */
        return 130;
    if (got == sizeof m && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        snprintf(err, errcap, "%s", m.err);
        if (m.rc != 0)
            return m.rc;
        *row = m.row;
        snprintf(status, 32, "%s", m.status);
        row->status = status;
        row->allocator = cfg->alloc->name;
        row->collector = coll_name(cfg);
        row->workload = work_name(cfg);
        return 0;
    }
    blank_row(cfg, rep_index, "crash", row);
    if (WIFSIGNALED(wstatus))
        snprintf(err, errcap, "the repetition's process died of signal %d (%s)", WTERMSIG(wstatus),
                 strsignal(WTERMSIG(wstatus)));
    else
        snprintf(err, errcap, "the repetition's process exited with status %d",
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    return hb_interrupted ? 130 : 0;
}

static FILE *open_series(const char *path, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s.tmp", path);
    static char iobuf[1 << 16]; /* so that stdio never mallocs mid-run */
    FILE *f = fopen(tmp, "w");
    if (f && setvbuf(f, iobuf, _IOFBF, sizeof iobuf) != 0) {
        fclose(f);
        return NULL;
    }
    if (f)
        fprintf(f, "rep,t_s,ops,live_bytes,footprint_bytes,rss_bytes,gc_s_cumulative,phase,event\n");
    return f;
}

/* Checks the trace whole before anything runs; 0, or 2 with a message. */
static int check_trace(const hb_run_config *cfg)
{
    hb_trace_file t;
    char err[600];
    memset(&run_trace, 0, sizeof run_trace);
    if (cfg->work)
        return 0;
    if (cfg->trace_path == NULL) {
        fprintf(stderr, "heapbench: neither a workload nor a trace to replay\n");
        return 2;
    }
    if (hb_trace_open(&t, cfg->trace_path, 1, err, sizeof err) != 0) {
        fprintf(stderr, "heapbench: %s\n", err);
        return 2;
    }
    hb_trace_close(&t);
    run_trace = t.h;
    snprintf(run_trace_name, sizeof run_trace_name, "trace:%s", t.h.source);
    if (t.h.kind == HB_TRACE_ALLOC && cfg->coll != NULL) {
        fprintf(stderr, "heapbench: trace %s is an allocator trace: it replays without a "
                "collector (frees are explicit), expected no -c\n", cfg->trace_path);
        return 2;
    }
    if (t.h.kind == HB_TRACE_OPS && cfg->coll == NULL) {
        fprintf(stderr, "heapbench: trace %s is an op stream: it needs a collector (-c)\n",
                cfg->trace_path);
        return 2;
    }
    return 0;
}

int hb_run(const hb_run_config *cfg, hb_row_fn on_row, void *arg)
{
    if (check_trace(cfg) != 0)
        return 2;
    char tmp[4096];
    FILE *series = NULL;
    if (cfg->series_path && (series = open_series(cfg->series_path, tmp, sizeof tmp)) == NULL) {
        fprintf(stderr, "heapbench: cannot write the series file %s: %s\n", cfg->series_path,
                strerror(errno));
        return 2;
    }
    int result = 0;
    uint32_t total = cfg->warmup + (cfg->reps ? cfg->reps : 1);
    for (uint32_t i = 0; i < total && result != 130; i++) {
        if (hb_interrupted) {
            result = 130;
            break;
        }
        hb_row row;
        char err[256] = "";
        int measured = i >= cfg->warmup;
        char status[32];
        uint32_t idx = measured ? i - cfg->warmup + 1 : 0;
        FILE *out = measured ? series : NULL;
        int rc = cfg->isolate ? run_isolated(cfg, idx, out, &row, status, err, sizeof err)
                              : run_one(cfg, idx, out, &row, err, sizeof err);
        if (rc != 0) {
            if (rc == 2)
                fprintf(stderr, "heapbench: %s\n", err);
            result = rc;
            break;
        }
        if (err[0] && !cfg->quiet)
            fprintf(stderr, "heapbench: %s/%s/%s rep %u: %s: %s\n", cfg->alloc->name,
                    coll_name(cfg), work_name(cfg), (unsigned)row.rep, row.status, err);
        if (!measured)
            continue;
        if (strcmp(row.status, "ok") != 0)
            result = 1;
        if (on_row && on_row(arg, &row) != 0) {
            result = 3;
            break;
        }
    }
    if (series) {
        int bad = fclose(series) != 0;
        if (result == 130 || result == 2 || bad)
            unlink(tmp);
        else if (rename(tmp, cfg->series_path) != 0)
            result = 2;
    }
    return result;
}
