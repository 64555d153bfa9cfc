/*
 * harness/run.c -- one cell's repetitions: fresh heap, generate and replay,
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
 */
#include "harness/run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/metrics.h"
#include "harness/oracle.h"
#include "harness/replay.h"

#define HB_CHUNK_OPS 4096
#define HB_MAX_PAUSES (64u << 20) /* reserved, touched only as used */

volatile int hb_interrupted;

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
    hb_obj **regs;
    uint32_t nregs;
    hb_op *buf;
    hb_hist hist;
    hb_pauselog plog;

    uint64_t timeline_ns;  /* replay time so far */
    uint64_t chunk_start;  /* when the current chunk's replay began */
    uint64_t excluded_ns;  /* harness work inside the current chunk */
    uint64_t gc_ns;
    int measuring;         /* 0 during the final, untimed collection */

    uint64_t sample_live_peak, sample_fp_at_live_peak, sample_fp_peak;
    uint64_t next_sample_ops, sample_every;
    FILE *series;
    uint64_t progress_next_ns;
    int progress;

    const char *status;
    char err[256];
} rep;

static uint64_t timeline_at(const rep *r, uint64_t abs_ns)
{
    uint64_t in_chunk = abs_ns > r->chunk_start ? abs_ns - r->chunk_start : 0;
    in_chunk = in_chunk > r->excluded_ns ? in_chunk - r->excluded_ns : 0;
    return r->timeline_ns + in_chunk;
}

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
    if (r->series) {
        uint64_t now = hb_now_ns();
        fprintf(r->series, "%u,%.9f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.9f,%u,%s\n",
                r->rep_index, (double)timeline_at(r, now) / 1e9, r->vm.ops, live, fp,
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
            r->cfg->alloc->name, r->cfg->coll->name, r->cfg->work ? r->cfg->work->name : "trace",
            r->rep_index, (double)r->vm.ops / 1e6, (double)r->timeline_ns / 1e9);
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
    if (r->vm.ops >= r->next_sample_ops) {
        sample(r, "ops");
        r->next_sample_ops = r->vm.ops + r->sample_every;
    }
    if (r->oracle)
        run_oracle(r, 0);
    if (r->progress)
        show_progress(r);
    return r->status != NULL;
}

static int rep_open(rep *r)
{
    const hb_run_config *cfg = r->cfg;
    if (al_heap_open(&r->heap, cfg->alloc, &cfg->acfg) != 0) {
        snprintf(r->err, sizeof r->err, "allocator %s could not be created", cfg->alloc->name);
        return -1;
    }
    r->heap.limit_bytes = cfg->heap_limit_bytes;
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
    if (r->heap.b)
        al_heap_close(&r->heap);
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
    cfg->coll->stats(r->vm.gc, &gst);
    double wall = (double)r->timeline_ns / 1e9;

    memset(row, 0, sizeof *row);
    row->allocator = cfg->alloc->name;
    row->collector = cfg->coll->name;
    row->workload = cfg->work ? cfg->work->name : "trace";
    row->scale = cfg->wp.scale;
    row->seed = cfg->wp.seed;
    row->rep = r->rep_index;
    row->status = r->status ? r->status : "ok";
    row->ops = r->vm.ops;
    row->objects = r->vm.objects;
    row->bytes_allocated = r->vm.bytes;
    row->wall_s = wall;
    row->gc_s = (double)r->gc_ns / 1e9;
    row->mutator_s = wall > row->gc_s ? wall - row->gc_s : 0;
    row->ops_per_s = wall > 0 ? (double)r->vm.ops / wall : 0;
    row->pauses = r->hist.count;
    row->pause_p50_us = hb_hist_quantile_ns(&r->hist, 0.50) / 1e3;
    row->pause_p90_us = hb_hist_quantile_ns(&r->hist, 0.90) / 1e3;
    row->pause_p99_us = hb_hist_quantile_ns(&r->hist, 0.99) / 1e3;
    row->pause_p999_us = hb_hist_quantile_ns(&r->hist, 0.999) / 1e3;
    row->pause_max_us = hb_hist_quantile_ns(&r->hist, 1.0) / 1e3;
    row->mmu_1ms = hb_mmu(&r->plog, r->timeline_ns, 1000000u);
    row->mmu_10ms = hb_mmu(&r->plog, r->timeline_ns, 10000000u);
    row->mmu_100ms = hb_mmu(&r->plog, r->timeline_ns, 100000000u);
    row->peak_live_bytes = st.peak_live_bytes;
    uint64_t fp_peak = st.b.peak_footprint_bytes;
    if (r->sample_fp_peak > fp_peak)
        fp_peak = r->sample_fp_peak;
    row->peak_footprint_bytes = fp_peak;
    row->frag_at_peak_live = hb_frag(r->sample_fp_at_live_peak, r->sample_live_peak);
    row->frag_peaks = hb_frag(fp_peak, st.peak_live_bytes);
    row->peak_rss_bytes = peak_rss;
    row->minor_faults = faults;
    row->header_bytes = cfg->coll->header_bytes;
    row->collections = gst.collections;
    row->full_collections = gst.full_collections;
    row->finalizers_run = gst.finalizers_run;
    row->noop_ops = r->vm.noops;
    row->footprint_exact = (uint64_t)st.b.footprint_exact;
}

/* After the measured part: one full collection, then what is left that
 * nothing reachable points to is leaked (the cycles pure counting keeps). */
static void count_leaks(rep *r, hb_row *row)
{
    gc_stats gst;
    uint64_t objs = 0, bytes = 0;
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
    r.nregs = cfg->work->registers(&cfg->wp);
    if (r.nregs == 0)
        r.nregs = 1;
    int rc = rep_open(&r);
    if (rc != 0) {
        snprintf(err, errcap, "%s", r.err);
        rep_close(&r);
        return 2;
    }
    hb_sink sink = {.buf = r.buf, .cap = HB_CHUNK_OPS, .flush = flush_chunk, .ctx = &r};
    reset_peak_rss();
    uint64_t faults0 = minor_faults();
    r.chunk_start = hb_now_ns(); /* the timeline starts at 0 */
    sample(&r, "start");
    int gen = cfg->work->generate(&cfg->wp, &sink);
    hb_sink_flush(&sink);
    if (gen != 0 && r.status == NULL) {
        r.status = "error";
        snprintf(r.err, sizeof r.err, "workload %s could not generate its stream", cfg->work->name);
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

int hb_run(const hb_run_config *cfg, hb_row_fn on_row, void *arg)
{
    if (cfg->work == NULL) {
        fprintf(stderr, "heapbench: trace replay is not available in this build\n");
        return 2;
    }
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
        hb_row row;
        char err[256] = "";
        int measured = i >= cfg->warmup;
        int rc = run_one(cfg, measured ? i - cfg->warmup + 1 : 0, measured ? series : NULL, &row,
                         err, sizeof err);
        if (rc != 0) {
            if (rc == 2)
                fprintf(stderr, "heapbench: %s\n", err);
            result = rc;
            break;
        }
        if (err[0] && !cfg->quiet)
            fprintf(stderr, "heapbench: %s/%s/%s rep %u: %s: %s\n", cfg->alloc->name,
                    cfg->coll->name, cfg->work->name, (unsigned)row.rep, row.status, err);
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
