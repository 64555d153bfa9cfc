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

#include "harness/clock.h"
#include "harness/metrics.h"
#include "harness/oracle.h"
#include "harness/replay.h"

#define HB_CHUNK_OPS 4096
#define HB_MAX_PAUSES (64u << 20) /* reserved, touched only as used */
/* The heap is sampled for fragmentation every this many chunks (64 Ki ops),
 * between chunks (untimed), besides every collection's end and PHASE. */
#define HB_FRAG_SAMPLE_CHUNKS 16

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
    uint64_t chunks;
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
    } else if (++r->chunks % HB_FRAG_SAMPLE_CHUNKS == 0) {
        sample(r, NULL);
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
    /* Both peaks from the same kind of measurement: exact where the backend
     * counts its footprint at every change, otherwise both from the samples
     * (a sampled footprint over an exact live peak would understate it). */
    row->frag_peaks = st.b.footprint_exact ? hb_frag(fp_peak, st.peak_live_bytes)
                                           : hb_frag(fp_peak, r->sample_live_peak);
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
    row->collector = cfg->coll->name;
    row->workload = cfg->work ? cfg->work->name : "trace";
    row->scale = cfg->wp.scale;
    row->seed = cfg->wp.seed;
    row->rep = rep_index;
    row->header_bytes = cfg->coll->header_bytes;
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
    char alloc[64], coll[64], work[64];
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
    hb_row row; /* strings are not valid in the parent: see fix_strings */
    char status[32];
    char err[256];
} child_msg;

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static size_t read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

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
    return write_all(out_fd, &m, sizeof m) ? 3 : 0;
}

int hb_rep_child_main(int in_fd, int out_fd)
{
    rep_request q;
    hb_run_config cfg;
    if (read_all(in_fd, &q, sizeof q) != sizeof q)
        return 3;
    memset(&cfg, 0, sizeof cfg);
    cfg.alloc = al_find(q.alloc);
    cfg.coll = gc_find(q.coll);
    cfg.work = wl_find(q.work);
    if (!cfg.alloc || !cfg.coll || !cfg.work)
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
            snprintf(q.coll, sizeof q.coll, "%s", cfg->coll->name);
            snprintf(q.work, sizeof q.work, "%s", cfg->work->name);
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
                write_all(req[1], &q, sizeof q);
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
    size_t got = read_all(fds[0], &m, sizeof m);
    close(fds[0]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    if (got == sizeof m && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        snprintf(err, errcap, "%s", m.err);
        if (m.rc != 0)
            return m.rc;
        *row = m.row;
        snprintf(status, 32, "%s", m.status);
        row->status = status;
        row->allocator = cfg->alloc->name;
        row->collector = cfg->coll->name;
        row->workload = cfg->work ? cfg->work->name : "trace";
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
