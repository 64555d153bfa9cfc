/*
 * harness/run/run.c -- run core: one cell's repetitions: fresh heap, feed
 * the source and replay, measure, write the row.
 *
 * Timing.  The source emits ops into a sink of HB_CHUNK_OPS; each flush
 * validates the chunk (untimed), then replays it between two clock reads.
 * The run's timeline is the sum of replay time only, so generation never
 * counts; harness work done inside a chunk (sampling the heap at the end of
 * a collection or at a PHASE marker, the oracle) is timed and subtracted
 * from the timeline too.  Pauses reported by the collector are placed on
 * that timeline for the MMU.
 *
 * Memory.  The footprint is one quantity for every backend: the process's
 * resident memory (the kernel's count) less a baseline taken before the
 * heap is created, less what the harness itself holds.  Everything the
 * harness holds during a repetition (registers, op buffer, pause log,
 * series buffer) is mapped directly, never taken from the C library's
 * malloc, and written before the baseline, so it is in the baseline; the
 * generators' scratch (hb_scratch_map) and the pause log's growth past
 * what was written before are counted and taken off.  Samples read the
 * anonymous resident memory (/proc/self/statm: resident - shared); the peak
 * is the kernel's high-water mark (VmHWM, reset at the baseline), so it is
 * exact and taken at the same moments for every backend.  Samples come at
 * the start, after each collection, at PHASE markers, every few chunks, and
 * whenever live bytes pass the highest sample so far (the heap's watch,
 * al_heap.on_high); they give the footprint at live's peak, at the
 * footprint's own peak, and its mean over time.  The backend's own
 * statistic (mapped bytes, mallinfo2, stats.resident, ...) is read at the
 * same samples and reported in a column of its own.
 *
 * Drives.  A source's ops drive either a collector (an op stream: hb_replay)
 * or a heap alone (an allocator trace: hb_alloc_replay, collector "none").
 * The two differ in a few steps -- open, check and replay a chunk, count,
 * find the leaks, close -- gathered in one table per drive (drives[]), so
 * the repetition's code runs either without asking which.
 *
 * Errors.  Nothing here prints: setup errors go back through hb_err, a
 * repetition that ends not ok is told to cfg->on_note, and how far one has
 * got to hb_run_progress.
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
#include "harness/core/mem.h"
#include "harness/core/registry.h"
#include "harness/formats/io.h"
#include "harness/run/metrics.h"
#include "harness/run/oracle.h"
#include "harness/run/replay.h"
#include "harness/run/source.h"
#include "harness/run/threads.h"

#define HB_CHUNK_OPS 4096
_Static_assert(HB_CHUNK_OPS <= HB_AVM_PLAN_OPS, "a chunk is planned at once");
#define HB_MAX_PAUSES (64u << 20) /* reserved, touched only as used */
/* The heap is sampled for fragmentation every this many chunks (64 Ki ops),
 * between chunks (untimed), besides every collection's end and PHASE. */
#define HB_FRAG_SAMPLE_CHUNKS 16
/* The pause log's first bytes, written before the baseline (64 Ki pauses);
 * growth past them is counted and taken off the footprint. */
#define HB_PLOG_PREFAULT (1u << 20)
/* The heap's watch is raised by this fraction of live bytes past each
 * sample (and at least HB_WATCH_MIN): the sampled peak of live bytes, and
 * of any statistic that follows live bytes, is then within 1/64 (1.6%) of
 * its true peak, and a run from nothing to P bytes live costs about
 * 64 ln(P / HB_WATCH_MIN) samples (about 550 for 1 GiB), each an untimed
 * read of /proc. */
#define HB_WATCH_SHIFT 6
#define HB_WATCH_MIN (16u << 10)

volatile sig_atomic_t hb_interrupted;

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
/* The plan: names resolved, the pairing checked                        */
/* ------------------------------------------------------------------ */

typedef struct run_plan {
    const al_backend *alloc;
    const gc_strategy *coll; /* NULL: "none" (a heap-driven source) */
    hb_source src;
} run_plan;

static const char *coll_name(const run_plan *p)
{
    return p->coll ? p->coll->name : "none";
}

static int plan_source(const hb_run_config *cfg, int verify, hb_source *src, hb_err *e)
{
    const void *w = cfg->custom_work;
    if (w == NULL && cfg->work == NULL && cfg->trace_path == NULL)
        return hb_fail(e, HB_ERR_USAGE, "neither a workload nor a trace to replay");
    if (cfg->trace_path && (cfg->work || w))
        return hb_fail(e, HB_ERR_USAGE, "both a workload and a trace given, expected one of them");
    if (cfg->trace_path)
        return hb_source_trace(src, cfg->trace_path, verify, e);
    if (w == NULL && hb_registry_resolve(&wl_registry, cfg->work, &w, e) != 0)
        return -1;
    wl_params wp = cfg->wp;
    wp.threads = (uint32_t)cfg->acfg.threads;
    hb_source_workload(src, w, &wp);
    return 0;
}

/* The drive decides whether there is a collector: an op stream needs one,
 * an allocator trace refuses one (its frees are explicit). */
static int plan_collector(const hb_run_config *cfg, run_plan *p, hb_err *e)
{
    const void *g = cfg->custom_coll;
    if (p->src.drive == HB_DRIVE_HEAP && (cfg->coll || g))
        return hb_fail(e, HB_ERR_USAGE, "%s %s is an allocator %s: it replays without a "
                       "collector (frees are explicit), expected no -c",
                       cfg->trace_path ? "trace" : "workload",
                       cfg->trace_path ? cfg->trace_path : p->src.name,
                       cfg->trace_path ? "trace" : "workload");
    if (p->src.drive == HB_DRIVE_HEAP)
        return 0;
    if (cfg->coll == NULL && g == NULL)
        return hb_fail(e, HB_ERR_USAGE, "%s%s is an op stream: it needs a collector (-c)",
                       cfg->trace_path ? "trace " : "workload ",
                       cfg->trace_path ? cfg->trace_path : p->src.name);
    if (g == NULL && hb_registry_resolve(&gc_registry, cfg->coll, &g, e) != 0)
        return -1;
    p->coll = g;
    if (gc_trigger_check(cfg->gcfg.trigger, cfg->heap_limit_bytes, e) != 0)
        return -1;
    char why[256];
    if (!gc_pairs(p->alloc, p->coll, why, sizeof why))
        return hb_fail(e, HB_ERR_USAGE, "%s", why);
    return 0;
}

/* The workloads that run as several mutators, "server, small-objects". */
static void mutator_workloads(char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < wl_workload_count && at < cap; i++)
        if (wl_workloads[i]->mutators)
            at += (size_t)snprintf(buf + at, cap - at, "%s%s", at ? ", " : "",
                                   wl_workloads[i]->name);
}

/* Collector sources on more than one thread run in the GIL model: a
 * workload that emits one stream per mutator, a collector that does not
 * scan the threads' stacks (boehm, which brings its own heap, would have to
 * register them).  The allocator is called by one mutator at a time. */
static int plan_mutators(const hb_run_config *cfg, run_plan *p, hb_err *e)
{
    uint64_t asked = cfg->acfg.threads;
    char names[256];
    if (p->src.threads <= 1) {
        mutator_workloads(names, sizeof names);
        return hb_fail(e, HB_ERR_USAGE, "--threads %" PRIu64 " with %s %s: its op stream is "
                       "one mutator's, expected --threads 1, a workload with mutators of its own "
                       "(%s: the GIL model) or an allocator workload (larson, xmalloc, ...)",
                       asked, cfg->trace_path ? "trace" : "workload", p->src.name, names);
    }
    if (p->coll->needs.allocator != NULL)
        return hb_fail(e, HB_ERR_USAGE, "--threads %" PRIu64 " with collector %s: it scans the "
                       "stacks of the threads it knows, and the GIL model's mutators are not "
                       "registered with it, expected --threads 1 or another collector", asked,
                       p->coll->name);
    return 0;
}

/* Threads: heap sources on a backend that says how it is safe
 * (al_backend.threads), collector sources in the GIL model; a trace brings
 * its own count. */
static int plan_threads(const hb_run_config *cfg, run_plan *p, hb_err *e)
{
    uint64_t asked = cfg->acfg.threads;
    if (p->src.drive == HB_DRIVE_COLLECTOR && (asked > 1 || p->src.threads > 1))
        return plan_mutators(cfg, p, e);
    if (cfg->trace_path && asked > 1 && asked != p->src.threads)
        return hb_fail(e, HB_ERR_USAGE, "--threads %" PRIu64 " with trace %s, which runs on %"
                       PRIu32 " thread(s), expected --threads %" PRIu32 " or none", asked,
                       cfg->trace_path, p->src.threads, p->src.threads);
    if (p->src.threads > 1 && p->alloc->threads == NULL)
        return hb_fail(e, HB_ERR_USAGE, "allocator %s is not safe under threads (%" PRIu32
                       " asked), expected --threads 1 or a backend `heapbench list` marks "
                       "thread-safe", p->alloc->name, p->src.threads);
    return 0;
}

static int plan_run(const hb_run_config *cfg, int verify, run_plan *p, hb_err *e)
{
    const void *a = NULL;
    memset(p, 0, sizeof *p);
    if (hb_registry_resolve(&al_registry, cfg->alloc, &a, e) != 0)
        return -1;
    p->alloc = a;
    if (plan_source(cfg, verify, &p->src, e) != 0)
        return -1;
    if (plan_collector(cfg, p, e) != 0)
        return -1;
    return plan_threads(cfg, p, e);
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

/* Resident bytes of the process (statm's resident) and the anonymous part
 * of them (resident - shared: what neither a file nor shared memory
 * backs).  0, 0 if unreadable. */
static void proc_resident(uint64_t *rss, uint64_t *anon)
{
    char buf[256];
    *rss = *anon = 0;
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    unsigned long long size = 0, res = 0, shared = 0;
    if (sscanf(buf, "%llu %llu %llu", &size, &res, &shared) != 3)
        return;
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    *rss = (uint64_t)res * pg;
    *anon = res > shared ? (uint64_t)(res - shared) * pg : 0;
}

static size_t round_to_page(size_t bytes)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (bytes + pg - 1) / pg * pg;
}

static uint64_t minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_minflt;
}

/* The process's CPU time (user and system, every thread) and its
 * involuntary context switches so far: one getrusage, read outside the
 * timed spans, beside them. */
typedef struct cpu_mark {
    uint64_t cpu_ns, preempted;
} cpu_mark;

static cpu_mark cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
                  (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
    return (cpu_mark){us * 1000u, (uint64_t)ru.ru_nivcsw};
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

typedef struct rep rep;

/* What a repetition does differently by drive (see the file's opening). */
typedef struct drive_ops {
    int (*map)(rep *r);                  /* the harness's buffers; 0, or -1 with r->err */
    int (*open)(rep *r);                 /* over the heap; 0, or -1 with r->err */
    size_t (*check)(rep *r, hb_sink *s); /* ops of the chunk accepted; r->err */
    void (*replay)(rep *r, const hb_op *ops, size_t n);
    void (*counts)(const rep *r, hb_row *row); /* ops, objects, bytes, noops */
    void (*leaks)(rep *r, hb_row *row);
    void (*close)(rep *r);
} drive_ops;

struct rep {
    const hb_run_config *cfg;
    const run_plan *plan;
    const drive_ops *d;
    uint32_t rep_index;
    al_heap heap;   /* the real heap */
    al_heap shim;   /* the oracle's, when on */
    hb_oracle *oracle;
    gc_env env;
    hb_vm vm;   /* HB_DRIVE_COLLECTOR */
    hb_avm avm; /* HB_DRIVE_HEAP */
    hb_tvm tvm; /* a threaded heap source */
    hb_gvm gvm; /* a collector source's mutators (the GIL model) */
    hb_vec tops; /* its ops, gathered (untimed) until the threaded phase */
    uint64_t thr_bytes; /* what tops and the threaded streams hold, off the footprint */
    hb_obj **regs;
    uint32_t nregs;
    hb_op *buf;
    hb_hist hist;
    hb_pauselog plog;

    uint64_t timeline_ns;  /* replay time so far */
    uint64_t chunk_start;  /* when the current chunk's replay began */
    uint64_t excluded_ns;  /* harness work inside the current chunk */
    hb_excl watch_log;     /* heap-watch samples since the last pause (on_pause) */
    uint64_t gc_ns;
    uint64_t cpu_ns, preempted; /* over the timed spans (cpu_now), the harness's work off */
    int measuring;         /* 0 during the final, untimed collection */

    /* The baseline: resident and anonymous resident bytes, and scratch held,
     * before the heap was created (the harness's buffers written). */
    uint64_t base_rss, base_anon, base_scratch;
    int in_chunk;          /* a chunk is being replayed (timeline_at) */

    /* Samples: live, footprint (resident, net of the harness), the
     * backend's own statistic; peaks of each with the other at that
     * moment; the time-weighted sum of footprint / live (measure #1). */
    uint64_t sample_live_peak, sample_fp_at_live_peak, sample_fp_peak, sample_live_at_fp_peak;
    uint64_t sample_stat_peak;
    double jw1_sum, jw1_time;     /* sum of ratio * seconds, and seconds */
    double last_ratio, last_t;    /* the previous sample's, for the weight */
    int have_last;
    uint64_t next_sample_ops, sample_every;
    uint64_t chunks;
    uint64_t oracle_tick; /* partial checks offered, for cfg->oracle's period */
    FILE *series;
    uint64_t progress_next_ns;
    int progress;
    int oom;               /* the last chunk's replay ran out of memory */

    const char *status;
    char err[256];
};

static uint64_t rep_ops(const rep *r)
{
    hb_row row;
    r->d->counts(r, &row);
    return row.ops;
}

/* The timeline at abs_ns: replay time only.  Between chunks it is the
 * replay time so far (the last chunk is in timeline_ns already). */
static uint64_t timeline_at(const rep *r, uint64_t abs_ns)
{
    if (!r->in_chunk)
        return r->timeline_ns;
    uint64_t in_chunk = abs_ns > r->chunk_start ? abs_ns - r->chunk_start : 0;
    in_chunk = in_chunk > r->excluded_ns ? in_chunk - r->excluded_ns : 0;
    return r->timeline_ns + in_chunk;
}

/* What the harness holds now that was not in the baseline: scratch mapped
 * since, and the pause log's pages past those written before. */
static uint64_t harness_growth(const rep *r, uint64_t scratch)
{
    uint64_t g = scratch > r->base_scratch ? scratch - r->base_scratch : 0;
    uint64_t plog = round_to_page(r->plog.n * 2 * sizeof(uint64_t));
    return g + r->thr_bytes + (plog > HB_PLOG_PREFAULT ? plog - HB_PLOG_PREFAULT : 0);
}

static uint64_t net_of(uint64_t bytes, uint64_t base, uint64_t growth)
{
    return bytes > base + growth ? bytes - base - growth : 0;
}

/* The footprint now: anonymous resident bytes gained since the baseline,
 * net of the harness's growth.  *rss: the process's resident bytes. */
static uint64_t footprint_now(const rep *r, uint64_t *rss)
{
    uint64_t anon;
    proc_resident(rss, &anon);
    return net_of(anon, r->base_anon, harness_growth(r, hb_scratch_bytes()));
}

/* Measure #1's running sum: the previous sample's footprint / live holds
 * until this one (time-weighted, on the replay timeline). */
static void weigh_sample(rep *r, double t, uint64_t live, uint64_t fp)
{
    if (r->have_last && t > r->last_t) {
        r->jw1_sum += r->last_ratio * (t - r->last_t);
        r->jw1_time += t - r->last_t;
    }
    r->have_last = live > 0;
    r->last_ratio = live > 0 ? (double)fp / (double)live : 0.0;
    r->last_t = t;
}

/* Samples the heap and the process; with a series file, writes a row when
 * `event` is not NULL. */
static void sample(rep *r, const char *event)
{
    al_stats st;
    uint64_t rss;
    al_heap_stats(&r->heap, &st);
    uint64_t live = st.live_bytes, stat = st.b.footprint_bytes;
    uint64_t fp = footprint_now(r, &rss);
    double t = (double)timeline_at(r, hb_now_ns()) / 1e9;
    if (live > r->sample_live_peak) {
        r->sample_live_peak = live;
        r->sample_fp_at_live_peak = fp;
    }
    if (fp > r->sample_fp_peak) {
        r->sample_fp_peak = fp;
        r->sample_live_at_fp_peak = live;
    }
    if (stat > r->sample_stat_peak)
        r->sample_stat_peak = stat;
    weigh_sample(r, t, live, fp);
    if (r->series && event)
        fprintf(r->series,
                "%u,%.9f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.9f,%u,%s,%" PRIu64 "\n",
                r->rep_index, t, rep_ops(r), live, fp, rss, (double)r->gc_ns / 1e9, r->vm.phase,
                event, stat);
}

/* The heap's watch (al_heap.on_high): live bytes passed the highest sample
 * so far.  Sampled untimed, and the watch raised by a step (HB_WATCH_SHIFT). */
static void on_high(void *arg)
{
    rep *r = arg;
    uint64_t t0 = hb_now_ns();
    sample(r, NULL);
    uint64_t live = r->heap.live_bytes, step = live >> HB_WATCH_SHIFT;
    r->heap.watch_bytes = live + (step > HB_WATCH_MIN ? step : HB_WATCH_MIN);
    uint64_t t1 = hb_now_ns();
    r->excluded_ns += t1 - t0;
    hb_excl_add(&r->watch_log, t0, t1 - t0); /* mid-pause, if a collector allocated: on_pause */
}

static void on_pause(void *arg, uint64_t start, uint64_t end)
{
    rep *r = arg;
    if (!r->measuring)
        return;
    uint64_t d = end > start ? end - start : 0;
    uint64_t in = hb_excl_take(&r->watch_log, start, end); /* every sample inside it */
    d = d > in ? d - in : 0;
    hb_hist_add(&r->hist, d);
    r->gc_ns += d;
    /* Its start on the timeline: inside a chunk, the samples inside it are
     * in excluded_ns already, so count back from its end. */
    uint64_t e = timeline_at(r, end);
    uint64_t s = !r->in_chunk ? timeline_at(r, start) : e > d ? e - d : 0;
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

hb_progress_fn hb_run_progress;

static void tell_progress(const rep *r, int done)
{
    hb_progress p = {.alloc = r->plan->alloc->name, .coll = coll_name(r->plan),
                     .source = r->plan->src.name, .rep = r->rep_index, .ops = rep_ops(r),
                     .replayed_s = (double)r->timeline_ns / 1e9, .done = done};
    hb_run_progress(&p);
}

static void show_progress(rep *r)
{
    uint64_t now = hb_now_ns();
    if (now < r->progress_next_ns)
        return;
    r->progress_next_ns = now + 200000000u;
    tell_progress(r, 0);
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

/* What one cpu_now() costs (ns, the least of a few timed calls): a span
 * between two of them holds about one call's work besides its own, the
 * return from the first and the entry into the second. */
static uint64_t cpu_call_ns(void)
{
    static uint64_t cost = UINT64_MAX;
    if (cost == UINT64_MAX) {
        for (int i = 0; i < 16; i++) {
            uint64_t t0 = hb_now_ns();
            (void)cpu_now();
            uint64_t d = hb_now_ns() - t0;
            cost = d < cost ? d : cost;
        }
    }
    return cost;
}

/* The CPU time and preemptions since c0 into the repetition's; the harness
 * work inside (on the CPU too) taken off as it is off the timeline, and the
 * reading's own cost. */
static void add_cpu(rep *r, cpu_mark c0, uint64_t excluded_ns)
{
    cpu_mark c1 = cpu_now();
    uint64_t cpu = c1.cpu_ns - c0.cpu_ns, off = excluded_ns + cpu_call_ns();
    r->cpu_ns += cpu > off ? cpu - off : 0;
    r->preempted += c1.preempted - c0.preempted;
}

/* ops[0..n) replayed on the timeline, the harness's work inside taken off. */
static void replay_timed(rep *r, const hb_op *ops, size_t n)
{
    cpu_mark c0 = cpu_now();
    r->excluded_ns = 0;
    r->chunk_start = hb_now_ns();
    r->in_chunk = 1;
    r->d->replay(r, ops, n);
    uint64_t spent = hb_now_ns() - r->chunk_start;
    r->timeline_ns += spent > r->excluded_ns ? spent - r->excluded_ns : 0;
    r->in_chunk = 0;
    add_cpu(r, c0, r->excluded_ns);
}

/* A chunk: checked (untimed), replayed (timed), then the untimed work. */
static int flush_chunk(hb_sink *s)
{
    rep *r = s->ctx;
    if (hb_interrupted)
        return 1;
    if (r->d->check(r, s) != s->len) {
        r->status = "error";
        return 1;
    }
    replay_timed(r, s->buf, s->len);
    if (r->oom) {
        if (r->status == NULL)
            r->status = "oom";
        return 1;
    }
    after_chunk(r);
    return r->status != NULL;
}

/* ---- the collector drive: an op stream through a collector ---- */

/* Registers, op buffer and pause log, written (resident) before the
 * baseline: the pause log's first HB_PLOG_PREFAULT bytes only. */
static int coll_map(rep *r)
{
    r->regs = map_zeroed((size_t)r->nregs * sizeof(hb_obj *));
    r->buf = map_zeroed(HB_CHUNK_OPS * sizeof(hb_op));
    if (r->regs == NULL || r->buf == NULL || hb_pauselog_init(&r->plog, HB_MAX_PAUSES) != 0) {
        snprintf(r->err, sizeof r->err, "could not map the register file, op buffer or pause log");
        return -1;
    }
    memset(r->regs, 0, (size_t)r->nregs * sizeof(hb_obj *));
    memset(r->buf, 0, HB_CHUNK_OPS * sizeof(hb_op));
    size_t pre = HB_MAX_PAUSES * 2 * sizeof(uint64_t);
    memset(r->plog.se, 0, pre < HB_PLOG_PREFAULT ? pre : HB_PLOG_PREFAULT);
    hb_hist_init(&r->hist);
    return 0;
}

static int coll_open(rep *r)
{
    const hb_run_config *cfg = r->cfg;
    const gc_strategy *gs = r->plan->coll;
    al_heap *h = &r->heap;
    if (cfg->oracle) {
        r->oracle = hb_oracle_new(&r->heap, gs->header_bytes);
        if (r->oracle == NULL) {
            snprintf(r->err, sizeof r->err, "out of memory for the oracle");
            return -1;
        }
        hb_oracle_heap(r->oracle, &r->shim);
        h = &r->shim;
    }
    r->env = (gc_env){
        .heap = h, .roots = r->regs, .nroots = r->nregs, .cfg = &cfg->gcfg, .harness = r,
        .pause = on_pause, .finalize = on_finalize, .collected = on_collected,
    };
    hb_err why;
    hb_err_clear(&why);
    r->env.err = &why; /* read by create alone */
    void *gc = gs->create(&r->env);
    r->env.err = NULL;
    if (gc == NULL) {
        if (why.msg[0]) /* names the collector already */
            snprintf(r->err, sizeof r->err, "%.*s", (int)sizeof r->err - 1, why.msg);
        else
            snprintf(r->err, sizeof r->err, "collector %s could not be created over %s", gs->name,
                     r->plan->alloc->name);
        return -1;
    }
    r->vm = (hb_vm){.gs = gs, .gc = gc, .regs = r->regs, .nregs = r->nregs,
                    .on_phase = on_phase, .arg = r};
    return 0;
}

static size_t coll_check(rep *r, hb_sink *s)
{
    const char *why;
    size_t bad = hb_ops_validate(s->buf, s->len, r->nregs, &why);
    if (bad != s->len)
        snprintf(r->err, sizeof r->err, "op %" PRIu64 " (%s): %s", s->emitted - s->len + bad,
                 hb_op_name(s->buf[bad].code) ? hb_op_name(s->buf[bad].code) : "?", why);
    return bad;
}

static void coll_replay(rep *r, const hb_op *ops, size_t n)
{
    hb_replay(&r->vm, ops, n);
    r->oom = r->vm.status == HB_VM_OOM;
}

/* The counts every drive reports, from its own replayer's fields. */
static void put_counts(hb_row *row, uint64_t ops, uint64_t objects, uint64_t bytes,
                       uint64_t noops)
{
    row->ops = ops;
    row->objects = objects;
    row->bytes_allocated = bytes;
    row->noop_ops = noops;
}

static void put_leaks(hb_row *row, uint64_t objects, uint64_t bytes)
{
    row->leaked_objects = objects;
    row->leaked_bytes = bytes;
}

static int no_open(rep *r)
{
    (void)r;
    return 0;
}

static void coll_counts(const rep *r, hb_row *row)
{
    put_counts(row, r->vm.ops, r->vm.objects, r->vm.bytes, r->vm.noops);
}

/* After the measured part: one full collection, then what is left that
 * nothing reachable points to is leaked (the cycles pure counting keeps). */
static void coll_leaks(rep *r, hb_row *row)
{
    const gc_strategy *gs = r->plan->coll;
    gc_stats gst;
    uint64_t objs = 0, bytes = 0;
    r->measuring = 0;
    gs->collect(r->vm.gc);
    run_oracle(r, 0);
    gs->stats(r->vm.gc, &gst);
    if (gst.objects_stranded && r->err[0] == '\0')
        snprintf(r->err, sizeof r->err, "collector %s: the release stack could not grow; %" PRIu64
                 " objects were left unfreed until the end of the run", gs->name,
                 gst.objects_stranded);
    if (hb_reachable(r->regs, r->nregs, gs->header_bytes, &objs, &bytes) != 0) {
        row->status = "error";
        return;
    }
    put_leaks(row, gst.objects_live > objs ? gst.objects_live - objs : 0,
              gst.bytes_live > bytes ? gst.bytes_live - bytes : 0);
    if (r->status)
        row->status = r->status;
}

static void coll_close(rep *r)
{
    if (r->vm.gc)
        r->plan->coll->destroy(r->vm.gc);
    r->vm.gc = NULL;
    hb_oracle_free(r->oracle);
    r->oracle = NULL;
}

/* ---- the heap drive: an allocator trace against the heap alone ---- */

/* The block registers, their shadow, the plan and the op buffer, written
 * before the baseline. */
static int heap_map(rep *r)
{
    r->buf = map_zeroed(HB_CHUNK_OPS * sizeof(hb_op));
    if (hb_avm_init(&r->avm, &r->heap, r->nregs) != 0 || r->buf == NULL) {
        snprintf(r->err, sizeof r->err, "could not map the register file or op buffer");
        hb_avm_fini(&r->avm);
        return -1;
    }
    memset(r->buf, 0, HB_CHUNK_OPS * sizeof(hb_op));
    return 0;
}

static size_t heap_check_ops(rep *r, hb_sink *s)
{
    return hb_source_check_heap_ops(&r->plan->src, s->buf, s->len, s->emitted - s->len, r->err,
                                    sizeof r->err);
}

/* The chunk checked, then its books planned: both untimed. */
static size_t heap_check(rep *r, hb_sink *s)
{
    size_t ok = heap_check_ops(r, s);
    if (ok == s->len)
        hb_alloc_plan(&r->avm, s->buf, s->len);
    return ok;
}

static void heap_replay(rep *r, const hb_op *ops, size_t n)
{
    hb_alloc_replay(&r->avm, ops, n);
    r->oom = r->avm.status == HB_VM_OOM;
}

static void heap_counts(const rep *r, hb_row *row)
{
    put_counts(row, r->avm.ops, r->avm.allocs, r->avm.bytes, r->avm.noops);
}

/* Blocks the program never freed before it ended. */
static void heap_leaks(rep *r, hb_row *row)
{
    put_leaks(row, r->avm.live_blocks, r->avm.live_bytes);
}

static void heap_close(rep *r)
{
    if (r->avm.blocks) {
        hb_avm_release(&r->avm);
        hb_avm_fini(&r->avm);
    }
}

/* ---- the threaded drive: a heap source on N OS threads ---- */

/* Chunks are checked and gathered (untimed); the replay is one threaded
 * phase after the source ends (thr_finish), timed as a whole. */
static int thr_map(rep *r)
{
    r->buf = map_zeroed(HB_CHUNK_OPS * sizeof(hb_op));
    if (r->buf == NULL || hb_vec_init(&r->tops, sizeof(hb_op), 1u << 16) != 0) {
        snprintf(r->err, sizeof r->err, "could not map the op buffer");
        return -1;
    }
    return 0;
}

static size_t thr_check(rep *r, hb_sink *s)
{
    size_t ok = heap_check_ops(r, s);
    if (ok != s->len)
        return ok;
    if (hb_vec_reserve(&r->tops, r->tops.len + s->len) != 0) {
        snprintf(r->err, sizeof r->err, "out of memory for the threaded op streams");
        return 0;
    }
    memcpy((hb_op *)r->tops.v + r->tops.len, s->buf, s->len * sizeof(hb_op));
    r->tops.len += s->len;
    /* the gathered ops are the harness's: off every sample's footprint */
    r->thr_bytes = round_to_page(r->tops.len * sizeof(hb_op));
    return ok;
}

static void thr_gather(rep *r, const hb_op *ops, size_t n)
{
    (void)r, (void)ops, (void)n; /* gathered by thr_check; replayed by thr_finish */
}

static void thr_finish(rep *r)
{
    hb_err e;
    const hb_source *src = &r->plan->src;
    if (r->status)
        return;
    if (hb_tvm_prepare(&r->tvm, &r->heap, r->tops.v, r->tops.len, r->nregs, src->threads,
                       &e) != 0) {
        r->status = "error";
        snprintf(r->err, sizeof r->err, "%.255s", e.msg);
        return;
    }
    /* The gathered ops, the per-thread streams and their registers are the
     * harness's, mapped after the baseline: counted as its growth (at most
     * what they hold, so the footprint errs low, as for the scratch). */
    r->thr_bytes = round_to_page(r->tops.len * sizeof(hb_op)) + r->tvm.map_bytes +
                   r->tvm.regs_bytes;
    cpu_mark c0 = cpu_now();
    r->timeline_ns += hb_tvm_run(&r->tvm);
    add_cpu(r, c0, 0);
    if (r->tvm.status == HB_VM_OOM)
        r->status = "oom";
}

static void thr_counts(const rep *r, hb_row *row)
{
    put_counts(row, r->tvm.ops, r->tvm.allocs, r->tvm.bytes, r->tvm.noops);
    row->threads = r->plan->src.threads;
    row->cross_thread_frees = r->tvm.cross_thread_frees;
}

static void thr_leaks(rep *r, hb_row *row)
{
    put_leaks(row, r->tvm.live_blocks, r->tvm.live_bytes);
}

static void thr_close(rep *r)
{
    if (r->tvm.regs_map)
        hb_tvm_release(&r->tvm);
    hb_tvm_free(&r->tvm);
    hb_vec_fini(&r->tops);
}

/* ---- the GIL drive: a collector source's mutators on N OS threads ---- */

/* Each chunk is queued on its threads (untimed); a batch runs when the
 * mutator on turn has ops enough (timed, GIL hand-overs included), and the
 * last after the source ends (gil_finish).  Everything else is the
 * collector drive's. */
static int gil_map(rep *r)
{
    hb_err e;
    if (coll_map(r) != 0)
        return -1;
    if (hb_gvm_open(&r->gvm, r->plan->src.threads, r->cfg->switch_interval, &e) != 0) {
        snprintf(r->err, sizeof r->err, "%.255s", e.msg);
        return -1;
    }
    return 0;
}

static void gil_on_phase(hb_vm *vm, uint32_t phase)
{
    rep *r = vm->arg;
    r->vm.phase = phase;
    on_phase(&r->vm, phase);
}

static int gil_open(rep *r)
{
    if (coll_open(r) != 0)
        return -1;
    r->vm.on_phase = gil_on_phase;
    hb_gvm_bind(&r->gvm, &r->vm);
    return 0;
}

static size_t gil_check(rep *r, hb_sink *s)
{
    size_t ok = hb_gvm_queue(&r->gvm, s->buf, s->len);
    if (ok == (size_t)-1) {
        snprintf(r->err, sizeof r->err, "out of memory for the mutators' op queues");
        return 0;
    }
    if (ok != s->len) {
        snprintf(r->err, sizeof r->err, "op %" PRIu64 " runs on thread %u, expected a thread "
                 "below %u", s->emitted - s->len + ok, s->buf[ok].thread, r->gvm.nthreads);
        return ok;
    }
    r->thr_bytes = round_to_page(hb_gvm_queue_bytes(&r->gvm));
    return coll_check(r, s); /* the queued copies are these ops, their thread zeroed */
}

static void gil_replay(rep *r, const hb_op *ops, size_t n)
{
    (void)ops;
    if (n == 0 || hb_gvm_ready(&r->gvm))
        hb_gvm_run(&r->gvm, n == 0);
    r->oom = r->gvm.status == HB_VM_OOM;
}

/* The last batch, every op queued: the streams run to their ends. */
static void gil_finish(rep *r)
{
    if (r->status)
        return;
    replay_timed(r, NULL, 0);
    if (r->oom && r->status == NULL)
        r->status = "oom";
}

static void gil_counts(const rep *r, hb_row *row)
{
    hb_vm sum;
    hb_gvm_sum(&r->gvm, &sum);
    put_counts(row, sum.ops, sum.objects, sum.bytes, sum.noops);
    row->gil_switches = r->gvm.switches;
}

static void gil_close(rep *r)
{
    hb_gvm_close(&r->gvm);
    coll_close(r);
}

static const drive_ops gil_drive = {gil_map, gil_open, gil_check, gil_replay, gil_counts, coll_leaks,
                                    gil_close};

static const drive_ops thread_drive = {thr_map, no_open, thr_check, thr_gather, thr_counts, thr_leaks,
                                       thr_close};

static const drive_ops drives[] = {
    [HB_DRIVE_COLLECTOR] = {coll_map, coll_open, coll_check, coll_replay, coll_counts, coll_leaks, coll_close},
    [HB_DRIVE_HEAP] = {heap_map, no_open, heap_check, heap_replay, heap_counts, heap_leaks, heap_close},
};

/* ---- opening, the row, closing ---- */

/* The baseline, after the harness's buffers are written and before the
 * heap exists: what the process holds resident now is not the heap's.  The
 * kernel's high-water mark restarts here, so the peak is the heap's too. */
static void take_baseline(rep *r)
{
    reset_peak_rss();
    hb_scratch_reset_peak();
    r->base_scratch = hb_scratch_bytes();
    proc_resident(&r->base_rss, &r->base_anon);
}

/* The heap's watch on: the first sample past HB_WATCH_MIN live bytes. */
static void watch_heap(rep *r)
{
    hb_excl_clear(&r->watch_log);
    al_heap_set_watch(&r->heap, HB_WATCH_MIN, on_high, r);
}

static int rep_open(rep *r)
{
    const run_plan *p = r->plan;
    if (r->d->map(r) != 0)
        return -1;
    take_baseline(r);
    al_config acfg = r->cfg->acfg;
    /* a trace's own count; the GIL model's mutators call the heap one at a
     * time, so its backend runs its one-thread path, as pymalloc runs under
     * CPython's GIL */
    acfg.threads = p->src.drive == HB_DRIVE_HEAP ? p->src.threads : 1;
    hb_err e = {0};
    acfg.err = &e;
    if (al_heap_open(&r->heap, p->alloc, &acfg) != 0) {
        if (e.kind != HB_ERR_NONE)
            snprintf(r->err, sizeof r->err, "%.255s", e.msg);
        else
            snprintf(r->err, sizeof r->err, "allocator %s could not be created", p->alloc->name);
        return -1;
    }
    al_heap_set_limit(&r->heap, r->cfg->heap_limit_bytes);
    watch_heap(r);
    return r->d->open(r);
}

static void rep_close(rep *r)
{
    r->d->close(r);
    if (r->heap.b)
        al_heap_close(&r->heap);
    if (r->regs)
        munmap(r->regs, (size_t)r->nregs * sizeof(hb_obj *));
    if (r->buf)
        munmap(r->buf, HB_CHUNK_OPS * sizeof(hb_op));
    hb_pauselog_free(&r->plog);
}

/* The names and what identifies the run, the same in every row. */
static void row_names(const run_plan *p, uint32_t rep_index, hb_row *row)
{
    row->allocator = p->alloc->name;
    row->collector = coll_name(p);
    row->workload = p->src.name;
    row->scale = p->src.scale;
    row->seed = p->src.seed;
    row->rep = rep_index;
    row->header_bytes = p->coll ? p->coll->header_bytes : 0;
    row->threads = p->src.threads ? p->src.threads : 1;
}

/*
 * The memory columns.  The peak footprint is the kernel's high-water mark
 * over the baseline, net of the harness's growth at its largest (the
 * scratch's peak, the pause log at the end: both can only overstate what
 * the harness held at the peak's moment, so this errs low), and never below
 * a sample.  Johnstone and Wilson's four measures, each as footprint / live
 * - 1: #1 averaged over the run's time, #2 at the moment of most live
 * bytes, #3 at the moment of most footprint, #4 the two peaks, whenever
 * each came.  #1-#3 come from the samples; #4 from the exact peaks.
 */
static void fill_memory(rep *r, hb_row *row, const al_stats *st, uint64_t peak_rss)
{
    uint64_t growth = harness_growth(r, hb_scratch_peak());
    uint64_t fp_peak = net_of(peak_rss, r->base_rss, growth);
    if (r->sample_fp_peak > fp_peak)
        fp_peak = r->sample_fp_peak;
    row->peak_footprint_bytes = fp_peak;
    row->frag_jw1_mean = r->jw1_time > 0 ? r->jw1_sum / r->jw1_time - 1.0 : NAN;
    row->frag_jw2_at_peak_live = hb_frag(r->sample_fp_at_live_peak, r->sample_live_peak);
    row->frag_jw3_at_peak_footprint = hb_frag(r->sample_fp_peak, r->sample_live_at_fp_peak);
    row->frag_jw4_peaks = hb_frag(fp_peak, st->peak_live_bytes);
    /* The backend's own peak (exact where alloc_stat_exact), and the peak of
     * the same statistic at the samples: where both can be had they show
     * how close the samples come to the true peak. */
    uint64_t stat_peak = st->b.peak_footprint_bytes;
    row->alloc_stat_peak_bytes = r->sample_stat_peak > stat_peak ? r->sample_stat_peak : stat_peak;
    row->alloc_stat_sampled_peak_bytes = r->sample_stat_peak;
    row->alloc_stat_exact = (uint64_t)st->b.footprint_exact;
    row->baseline_rss_bytes = r->base_rss;
}

static void fill_row(rep *r, hb_row *row, uint64_t faults, uint64_t peak_rss)
{
    const run_plan *p = r->plan;
    al_stats st;
    gc_stats gst;
    al_heap_stats(&r->heap, &st);
    memset(&gst, 0, sizeof gst);
    if (p->coll && r->vm.gc)
        p->coll->stats(r->vm.gc, &gst);
    double wall = (double)r->timeline_ns / 1e9;

    memset(row, 0, sizeof *row);
    row_names(p, r->rep_index, row);
    row->status = r->status ? r->status : "ok";
    r->d->counts(r, row);
    row->wall_s = wall;
    row->gc_s = (double)r->gc_ns / 1e9;
    row->mutator_s = wall > row->gc_s ? wall - row->gc_s : 0;
    row->ops_per_s = wall > 0 ? (double)row->ops / wall : 0;
    row->cpu_s = (double)r->cpu_ns / 1e9;
    row->involuntary_switches = r->preempted;
    row->pauses = r->hist.count;
    for (size_t k = 0; k < hb_n_pause_quantiles; k++) /* the lists in results.h */
        *hb_row_f64(row, hb_pause_quantiles[k].off) =
            hb_hist_quantile_ns(&r->hist, hb_pause_quantiles[k].q) / 1e3;
    for (size_t k = 0; k < hb_n_mmu_windows; k++)
        *hb_row_f64(row, hb_mmu_windows[k].off) = hb_mmu(&r->plog, r->timeline_ns, hb_mmu_windows[k].ns);
    row->peak_live_bytes = st.peak_live_bytes;
    fill_memory(r, row, &st, peak_rss);
    if (st.peak_live_bytes == 0 && row->objects > 0) {
        /* The collector brought its own heap (boehm): no live bytes were
         * counted, so there is no fragmentation to report, only unknowns;
         * its footprint is measured like every other. */
        row->frag_jw1_mean = NAN;
        row->frag_jw2_at_peak_live = NAN;
        row->frag_jw3_at_peak_footprint = NAN;
        row->frag_jw4_peaks = NAN;
    }
    row->peak_rss_bytes = peak_rss;
    row->minor_faults = faults;
    row->collections = gst.collections;
    row->full_collections = gst.full_collections;
    row->finalizers_run = gst.finalizers_run;
    row->minor_collections = gst.minor_collections;
    row->major_collections = gst.major_collections;
    row->minor_gc_s = (double)gst.minor_ns / 1e9;
    row->major_gc_s = (double)gst.major_ns / 1e9;
}

hb_pass_fn hb_run_on_pass;

/* One pass of the source, in this process (measured 0: a warm-up pass).  0
 * with the row filled, 130 when interrupted, or 2 with err (the repetition
 * could not be set up). */
static int run_pass(const hb_run_config *cfg, const run_plan *p, uint32_t rep_index, int measured,
                    FILE *series, hb_row *row, char *err, size_t errcap)
{
    rep r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.plan = p;
    int gil = p->src.drive == HB_DRIVE_COLLECTOR && p->src.threads > 1;
    r.d = p->src.threaded ? &thread_drive : gil ? &gil_drive : &drives[p->src.drive];
    r.rep_index = rep_index;
    r.series = series;
    r.measuring = 1;
    r.sample_every = cfg->series_every_ops ? cfg->series_every_ops : 1000000u;
    r.next_sample_ops = r.sample_every;
    r.progress = cfg->progress && hb_run_progress != NULL;
    r.nregs = p->src.registers;
    if (rep_open(&r) != 0) {
        snprintf(err, errcap, "%s", r.err);
        rep_close(&r);
        return 2;
    }
    hb_sink sink = {.buf = r.buf, .cap = HB_CHUNK_OPS, .ctx = &r, .flush = flush_chunk};
    uint64_t faults0 = minor_faults();
    (void)cpu_call_ns(); /* measured once, before anything is timed */
    r.chunk_start = hb_now_ns(); /* the timeline starts at 0 */
    sample(&r, "start");
    char why[256];
    int fed = hb_source_feed(&p->src, &sink, why, sizeof why);
    hb_sink_flush(&sink);
    if (p->src.threaded && fed == 0 && !hb_interrupted)
        thr_finish(&r);
    if (gil && fed == 0 && !hb_interrupted)
        gil_finish(&r);
    if (fed != 0 && r.status == NULL) {
        r.status = "error";
        snprintf(r.err, sizeof r.err, "%s", why);
    }
    if (hb_interrupted) {
        rep_close(&r);
        return 130;
    }
    sample(&r, "end");
    /* the final collection and the release are not sampled */
    al_heap_set_watch(&r.heap, UINT64_MAX, NULL, NULL);
    uint64_t faults = minor_faults() - faults0;
    uint64_t peak_rss = proc_status_bytes("VmHWM:");
    fill_row(&r, row, faults, peak_rss);
    r.d->leaks(&r, row);
    if (r.err[0])
        snprintf(err, errcap, "%s", r.err);
    if (r.progress)
        tell_progress(&r, 1);
    if (hb_run_on_pass != NULL)
        hb_run_on_pass(rep_index, measured, row);
    rep_close(&r);
    return 0;
}

/* One repetition: cfg->warmup untimed passes of the same work in this
 * process, each on a fresh heap and its row discarded, so that the measured
 * pass finds code, the C library and the page tables warm; then the
 * measured pass (peak RSS and faults are reset at its start). */
static int run_one(const hb_run_config *cfg, const run_plan *p, uint32_t rep_index, FILE *series,
                   hb_row *row, char *err, size_t errcap)
{
    for (uint64_t w = 0; w < cfg->warmup; w++) {
        int rc = run_pass(cfg, p, rep_index, 0, NULL, row, err, errcap);
        if (rc != 0)
            return rc;
        err[0] = '\0';
    }
    return run_pass(cfg, p, rep_index, 1, series, row, err, errcap);
}

/* A row with its names and status, and nothing measured (NaN, 0). */
static void blank_row(const run_plan *p, uint32_t rep_index, const char *status, hb_row *row)
{
#define HB_BLANK_STR(name) row->name = "";
#define HB_BLANK_U64(name) row->name = 0;
#define HB_BLANK_F64(name) row->name = NAN;
#define HB_BLANK_(type, name) HB_BLANK_##type(name)
    HB_ROW_FIELDS(HB_BLANK_)
#undef HB_BLANK_
    row_names(p, rep_index, row);
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
 * request is the settings list as text (hb_settings_write) behind a small
 * fixed head; names are resolved again on the child's side, so no pointer
 * crosses an exec.  The row comes back whole through a second pipe.
 */
const char *hb_rep_exe;

typedef struct request_head {
    uint32_t rep_index;
    int32_t series_fd; /* -1: none */
    uint32_t text_bytes;
} request_head;

int hb_rep_request_write(int fd, const hb_run_config *cfg, uint32_t rep_index, int series_fd,
                         hb_err *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return hb_fail(e, HB_ERR_SYSTEM, "cannot build the repetition's request: %s",
                       strerror(errno));
    int rc = hb_settings_write(cfg, f, e);
    fclose(f);
    request_head h = {rep_index, series_fd, (uint32_t)len};
    if (rc == 0 && (hb_write_all(fd, &h, sizeof h) != 0 || hb_write_all(fd, text, len) != 0))
        rc = hb_fail(e, HB_ERR_SYSTEM, "cannot send the repetition's request: %s", strerror(errno));
    free(text);
    return rc;
}

int hb_rep_request_read(int fd, hb_run_config *cfg, uint32_t *rep_index, int *series_fd,
                        char *text, size_t cap, hb_err *e)
{
    request_head h;
    if (hb_read_all(fd, &h, sizeof h) != sizeof h || h.text_bytes >= cap ||
        hb_read_all(fd, text, h.text_bytes) != h.text_bytes)
        return hb_fail(e, HB_ERR_INPUT, "the repetition's request is cut short or too long");
    text[h.text_bytes] = '\0';
    *rep_index = h.rep_index;
    *series_fd = h.series_fd;
    return hb_settings_read(cfg, text, e);
}

typedef struct child_msg {
    int rc;
    hb_row row; /* its strings are the child's: run_isolated replaces them */
    char status[32];
    char err[256];
} child_msg;

/* Runs the repetition and sends the result; the child's whole job. */
static int child_run(const hb_run_config *cfg, const run_plan *p, uint32_t rep_index,
                     FILE *series, int out_fd)
{
    child_msg m;
    memset(&m, 0, sizeof m);
    m.rc = run_one(cfg, p, rep_index, series, &m.row, m.err, sizeof m.err);
    if (m.rc == 0)
        snprintf(m.status, sizeof m.status, "%s", m.row.status);
    if (series)
        fflush(series);
    return hb_write_all(out_fd, &m, sizeof m) ? 3 : 0;
}

int hb_rep_child_main(int in_fd, int out_fd)
{
    static char text[16384];
    hb_run_config cfg;
    run_plan p;
    uint32_t rep_index = 0;
    int series_fd = -1;
    if (hb_rep_request_read(in_fd, &cfg, &rep_index, &series_fd, text, sizeof text, NULL) != 0 ||
        plan_run(&cfg, 0, &p, NULL) != 0)
        return 3;
    hb_install_sigint();
    FILE *series = series_fd >= 0 ? fdopen(series_fd, "a") : NULL;
    static char iobuf[1 << 16];
    memset(iobuf, 0, sizeof iobuf); /* resident before the baseline */
    if (series)
        setvbuf(series, iobuf, _IOFBF, sizeof iobuf);
    return child_run(&cfg, &p, rep_index, series, out_fd);
}

/* Starts the child: exec of hb_rep_exe when set, else a plain fork. */
static pid_t spawn_child(const hb_run_config *cfg, const run_plan *p, uint32_t rep_index,
                         FILE *series, int out_fd)
{
    int req[2];
    if (hb_rep_exe && pipe(req) != 0)
        return -1;
    pid_t pid = fork();
    if (pid != 0) {
        if (hb_rep_exe) {
            close(req[0]);
            if (pid > 0) /* a failed write shows as the child's exit 3: a crash row */
                hb_rep_request_write(req[1], cfg, rep_index, series ? fileno(series) : -1, NULL);
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
    _exit(child_run(cfg, p, rep_index, series, out_fd));
}

/* Reads the child's message.  A SIGINT that reached only this process (not
 * the whole process group, as a terminal's would) is passed on to the
 * child, which then stops at its next chunk. */
static size_t read_from_child(int fd, void *buf, size_t n, pid_t pid)
{
    char *q = buf;
    size_t got = 0;
    int forwarded = 0;
    while (got < n) {
        ssize_t r = read(fd, q + got, n - got);
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
static int run_isolated(const hb_run_config *cfg, const run_plan *p, uint32_t rep_index,
                        FILE *series, hb_row *row, char *status, char *err, size_t errcap)
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
    pid_t pid = spawn_child(cfg, p, rep_index, series, fds[1]);
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
        row->allocator = p->alloc->name;
        row->collector = coll_name(p);
        row->workload = p->src.name;
        return 0;
    }
    blank_row(p, rep_index, "crash", row);
    if (WIFSIGNALED(wstatus))
        snprintf(err, errcap, "the repetition's process died of signal %d (%s)", WTERMSIG(wstatus),
                 strsignal(WTERMSIG(wstatus)));
    else
        snprintf(err, errcap, "the repetition's process exited with status %d",
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    return hb_interrupted ? 130 : 0;
}

/* The series file, written whole or not at all (hb_atomic), through a
 * static buffer so that stdio never mallocs mid-run. */
static int open_series(const char *path, hb_atomic *a, hb_err *e)
{
    static char iobuf[1 << 16];
    memset(iobuf, 0, sizeof iobuf); /* resident before any baseline */
    if (hb_atomic_open(a, path, e) != 0)
        return -1;
    /* The repetitions' child processes (exec'd) write into this descriptor:
     * it must survive exec, unlike the writer's other files. */
    int fl = fcntl(a->fd, F_GETFD);
    if (fl < 0 || fcntl(a->fd, F_SETFD, fl & ~FD_CLOEXEC) != 0) {
        hb_atomic_abort(a);
        return hb_fail(e, HB_ERR_SYSTEM, "cannot pass the series file %s to repetitions", path);
    }
    if (setvbuf(a->f, iobuf, _IOFBF, sizeof iobuf) != 0) {
        hb_atomic_abort(a);
        return hb_fail(e, HB_ERR_SYSTEM, "cannot buffer the series file %s", path);
    }
    fprintf(a->f, "rep,t_s,ops,live_bytes,footprint_bytes,rss_bytes,gc_s_cumulative,phase,event,"
                  "alloc_stat_bytes\n");
    return 0;
}

/* The repetitions in order; the run's status (see hb_run). */
static int run_reps(const hb_run_config *cfg, const run_plan *p, FILE *series, hb_row_fn on_row,
                    void *arg, hb_err *e)
{
    uint32_t total = (uint32_t)(cfg->reps ? cfg->reps : 1);
    int result = 0;
    for (uint32_t i = 0; i < total; i++) {
        if (hb_interrupted)
            return 130;
        hb_row row;
        char err[256] = "", status[32];
        uint32_t idx = i + 1;
        int rc = cfg->isolate ? run_isolated(cfg, p, idx, series, &row, status, err, sizeof err)
                              : run_one(cfg, p, idx, series, &row, err, sizeof err);
        if (rc == 2)
            return hb_fail(e, HB_ERR_SYSTEM, "%s", err), 2;
        if (rc != 0)
            return rc;
        if (err[0] && cfg->on_note)
            cfg->on_note(cfg->note_arg, &row, err);
        if (strcmp(row.status, "ok") != 0)
            result = 1;
        if (on_row && on_row(arg, &row) != 0)
            return 3;
    }
    return result;
}

int hb_run(const hb_run_config *cfg, hb_row_fn on_row, void *arg, hb_err *e)
{
    run_plan p;
    hb_atomic series = {0};
    if (plan_run(cfg, 1, &p, e) != 0)
        return 2;
    if (cfg->series_path && open_series(cfg->series_path, &series, e) != 0)
        return 2;
    int result = run_reps(cfg, &p, series.f, on_row, arg, e);
    if (series.f == NULL)
        return result;
    if (result == 130 || result == 2) {
        hb_atomic_abort(&series);
        return result;
    }
    return hb_atomic_commit(&series, e) == 0 ? result : 2;
}
