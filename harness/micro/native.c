/*
 * harness/micro/native.c -- `heapbench-native`: one malloc/free stream, timed
 * natively and through heapbench's allocator table.
 *
 *   heapbench-native --family churn|pair16 --backend NAME --mode MODE[,MODE...]
 *                    [--ops N] [--write word|block]
 *   MODE: native, table, heap, cursor, heapbench or replay
 *
 * Families (the streams are generated before anything is timed):
 *   churn   alloc_churn's stream (harness/micro/churn.h): free the block of
 *           one slot of a 10,000-block live set, allocate a new size there.
 *   pair16  allocate 16 bytes, store one word, free: heapbench-micro's
 *           alloc_pair/<backend>/16.  One more 16-byte block is held live
 *           throughout (taken first, through the same path), so that no
 *           allocator's page or pool empties at every free: measured
 *           without it, mimalloc's pair cost 5.3 ns in a process holding no
 *           other 16-byte block and 2.7 with one, under LD_PRELOAD and
 *           dlopen'd alike, so the figure was set by what else the process
 *           happened to hold.
 * Modes, from the library alone to heapbench's whole path:
 *   native     a plain C loop calling malloc/free.  For the peers the
 *              library must be under LD_PRELOAD (checked with dladdr: the
 *              program refuses to time glibc under another name); for
 *              malloc it is glibc's.  pool and bump are not libraries:
 *              their native loop calls the backend table's alloc/free
 *              without the al_heap wrapper, the nearest thing to a program
 *              built on them.
 *   table      the call al_alloc/al_free make, without al_heap's books:
 *              for malloc and the peers the library's own malloc/free
 *              (al_backend.entry; the peers loaded as heapbench loads them,
 *              dlopen RTLD_LOCAL -- under LD_PRELOAD, the preloaded copy)
 *              called through a pointer; for pool and bump their table's
 *              alloc/free with its context.  native -> table is what
 *              dlopen and the indirect call cost.
 *   heap       al_alloc/al_free, the books in the al_heap, as the
 *              collectors call them: table + the live-bytes gauge (an add
 *              and a subtract through the heap) + the checks (one compare
 *              against check_bytes, in which the peak, the limit and the
 *              watch are folded; size 0; free of NULL; the watch's flag).
 *   cursor     the same books and checks through an al_cursor, in the
 *              loop's registers, as heapbench-micro's allocator benchmarks
 *              call them.
 *   heapbench  the allocator-trace replay's path (harness/run/replay.c):
 *              al_call_alloc/al_call_free on the al_heap, nothing else on
 *              the clock; the books of each batch worked out from the
 *              stream before it is timed and written into the heap after
 *              it, as hb_alloc_plan does (a batch that would pass the
 *              heap's limit or watch would go through the cursor; this
 *              program sets neither).  The figure the criteria are read
 *              from.  It leaves out what the replay's interpreter adds
 *              whatever the backend: the op's decoding and the register
 *              file.
 *              table -> heap and table -> cursor are what the books cost
 *              when kept on the clock.
 *   replay     the allocator-trace replay itself: the stream written as
 *              the hb_ops of a trace (churn: FREE slot, MALLOC slot size;
 *              pair16: MALLOC, FREE), planned by hb_alloc_plan before each
 *              stretch of HB_AVM_PLAN_OPS ops is timed and replayed by
 *              hb_alloc_replay -- heapbench run's code, op decoding and
 *              register file included.  The replay writes every new block
 *              whole, so it takes --write block, and the other lanes of the
 *              process then do the same (a memset of the block after each
 *              allocation): native -> replay is all heapbench adds to a
 *              program that fills what it allocates.
 *
 * --write word (the default): each new block gets one word, as an object
 * header would; --write block: the whole block is written (memset 0), as
 * the allocator-trace replay writes it.
 *
 * --mode a,b runs the modes in this one process, interleaved batch by
 * batch (16,384 ops; the lane that goes first moves on by one every turn),
 * each with its own backend instance (for the peers, the one library the
 * process has), live set or pin, and stream position: a slow spell of the
 * machine, and the process's layout and heap, land on every mode alike.
 * scripts/compare.sh runs each mode beside a native loop of its own.
 *
 * Every mode runs the same loop (one function, the mode a constant the
 * compiler folds), the same untimed warm-up pass first, and the same
 * schedule of untimed resets for bump (every RESET_BYTES of worst-case
 * allocation; bump never reuses memory).  Time is this thread's CPU time
 * over the timed batches only.  Prints one line per mode:
 *   family backend mode ns_per_op ops
 *
 * Exit status: 0, 1 when an allocation failed or the library could not be
 * loaded, 2 bad usage (or a native run without the library preloaded).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"
#include "harness/core/mem.h"
#include "harness/micro/churn.h"
#include "harness/run/replay.h"
#include "harness/run/threads.h"
#include "workloads/workload.h"

#define BATCH 16384u
#define RESET_BYTES ((uint64_t)32 << 20)
#define PAIR_BYTES 16
#define PAIR_WARM_OPS ((uint64_t)1 << 20)

/* MODE_HEAP: al_alloc/al_free; MODE_CURSOR: al_cursor_alloc/_free;
 * MODE_PLANNED: al_call_alloc/_free, the books planned per batch (a
 * threaded family: hb_tvm_run); all three open an al_heap. */
enum mode { MODE_LIBC, MODE_TABLE, MODE_HEAP, MODE_CURSOR, MODE_PLANNED, MODE_REPLAY };

typedef struct target {
    const al_backend *b;
    void *ctx;    /* MODE_TABLE */
    al_entry lib; /* MODE_TABLE: b->entry's, as al_heap_open takes them */
    al_heap heap; /* MODE_HEAP, MODE_CURSOR, MODE_PLANNED */
} target;

/* The backend's settings: threads for a threaded family (pool's lock,
 * bump's regions per thread), else every backend's default. */
static al_config run_cfg;

typedef struct live_set {
    void *p[HB_CHURN_LIVE];
    uint16_t size[HB_CHURN_LIVE];
} live_set;

static uint16_t first_size[HB_CHURN_LIVE];
static hb_churn_op *stream;
/* MODE_REPLAY: the stream as a trace's ops, two per stream op (rstream),
 * and the live set's (or the pin's) MALLOCs (rfill); register = slot,
 * pair16's block register 0 and its pin register 1. */
static hb_op *rstream, *rfill;
#define RFILL_OPS HB_CHURN_LIVE
#define PAIR_PIN_REG 1u
/* 1: --write block, every new block written whole (memset) */
static int write_block;

/* ---- the ways to allocate; `m` is a constant at every call ---- */

static inline __attribute__((always_inline)) void *op_alloc(enum mode m, target *t, al_cursor *c,
                                                           size_t n)
{
    switch (m) {
    case MODE_CURSOR:
        return al_cursor_alloc(c, n);
    case MODE_PLANNED: /* n >= 1 in every family */
        return al_call_alloc(&t->heap, n);
    case MODE_LIBC:
        return malloc(n);
    case MODE_TABLE:
        /* the call al_alloc makes, without its books */
        return t->lib.alloc ? t->lib.alloc(n < AL_ALIGN ? AL_ALIGN : n) : t->b->alloc(t->ctx, n);
    default:
        return al_alloc(&t->heap, n);
    }
}

static inline __attribute__((always_inline)) void op_free(enum mode m, target *t, al_cursor *c,
                                                          void *p, size_t n)
{
    switch (m) {
    case MODE_CURSOR:
        al_cursor_free(c, p, n);
        break;
    case MODE_PLANNED:
        al_call_free(&t->heap, p, n);
        break;
    case MODE_LIBC:
        free(p);
        break;
    case MODE_TABLE:
        if (t->lib.free)
            t->lib.free(p);
        else
            t->b->free(t->ctx, p, n);
        break;
    default:
        al_free(&t->heap, p, n);
    }
}

/* Keeps the compiler from pairing a malloc with its free and deleting both. */
static inline void escape(void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

/* ---- the loops ---- */

/* What a loop writes into a new block of n bytes: one word, or (wb) all of
 * it, as the allocator-trace replay does (memset, its size known only at
 * run time).  The escape first, else the compiler would make malloc and a
 * memset of 0 one calloc; n hidden from it, else pair16's constant 16 bytes
 * would become two stores where the replay calls memset. */
static inline __attribute__((always_inline)) void fill_new(int wb, uint64_t *p, size_t n,
                                                          uint64_t k)
{
    if (wb) {
        escape(p);
        __asm__ volatile("" : "+r"(n));
        memset(p, 0, n);
    } else {
        *p = k;
    }
}

static inline __attribute__((always_inline)) int churn_run(enum mode m, int wb, target *t,
                                                           live_set *s, uint64_t from, uint64_t n)
{
    /* A local copy: the compiler knows malloc and free leave globals alone
     * and would keep `stream` in a register in the native loop only; an
     * indirect call could change a global, so the other loops would load
     * it again on every op.  The same code in every mode. */
    const hb_churn_op *ops = stream;
    al_cursor c = {0};
    if (m == MODE_CURSOR)
        c = al_cursor_take(&t->heap);
    int rc = 0;
    for (uint64_t k = from, end = from + n; k < end; k++) {
        hb_churn_op op = ops[k & (HB_CHURN_OPS - 1)];
        op_free(m, t, &c, s->p[op.slot], s->size[op.slot]);
        uint64_t *p = op_alloc(m, t, &c, op.size);
        if (p == NULL) {
            rc = -1;
            break;
        }
        fill_new(wb, p, op.size, k); /* the block is used, as an object header would be */
        s->p[op.slot] = p;
        s->size[op.slot] = op.size;
    }
    if (m == MODE_CURSOR)
        al_cursor_put(&c);
    return rc;
}

static inline __attribute__((always_inline)) int pair_run(enum mode m, int wb, target *t,
                                                          uint64_t from, uint64_t n)
{
    al_cursor c = {0};
    if (m == MODE_CURSOR)
        c = al_cursor_take(&t->heap);
    int rc = 0;
    for (uint64_t k = from, end = from + n; k < end; k++) {
        uint64_t *p = op_alloc(m, t, &c, PAIR_BYTES);
        if (p == NULL) {
            rc = -1;
            break;
        }
        fill_new(wb, p, PAIR_BYTES, k);
        escape(p);
        op_free(m, t, &c, p, PAIR_BYTES);
    }
    if (m == MODE_CURSOR)
        al_cursor_put(&c);
    return rc;
}

/* One batch of family f in mode m, writing words or blocks (a switch the
 * compiler unfolds: each loop is compiled for its constants). */
#define RUN_MODES(fn, wb)                                                                      \
    switch (m) {                                                                               \
    case MODE_LIBC:                                                                            \
        return fn(MODE_LIBC, wb, t, RUN_ARGS);                                                 \
    case MODE_TABLE:                                                                           \
        return fn(MODE_TABLE, wb, t, RUN_ARGS);                                                \
    case MODE_HEAP:                                                                            \
        return fn(MODE_HEAP, wb, t, RUN_ARGS);                                                 \
    case MODE_PLANNED:                                                                         \
        return fn(MODE_PLANNED, wb, t, RUN_ARGS);                                              \
    default:                                                                                   \
        return fn(MODE_CURSOR, wb, t, RUN_ARGS);                                               \
    }

static int run_batch(int churn, enum mode m, target *t, live_set *s, uint64_t from, uint64_t n)
{
    if (churn) {
#define RUN_ARGS s, from, n
        if (write_block)
            RUN_MODES(churn_run, 1)
        RUN_MODES(churn_run, 0)
#undef RUN_ARGS
    }
#define RUN_ARGS from, n
    if (write_block)
        RUN_MODES(pair_run, 1)
    RUN_MODES(pair_run, 0)
#undef RUN_ARGS
}
#undef RUN_MODES

/* ---- the live set, the resets, the clock ---- */

/*
 * One mode's run: its own backend instance (for the peers, the one library
 * the process has), live set or pin, stream position and clock.  Several
 * lanes run in one process when --mode lists several modes (see main).
 */
typedef struct lane {
    enum mode m;
    const char *name; /* the mode as given */
    target t;
    live_set s;
    void *pin; /* pair16's one other live block of its size (see the top) */
    hb_avm vm; /* MODE_REPLAY: the replay's register file on t.heap */
    uint64_t pos, since_reset, ns;
} lane;

#define MAX_LANES 4

/* The mode of the untimed set-up calls (the live set, the pin): a cursor
 * lives only inside a timed loop, and the planned books only over a batch,
 * so their heap is called through al_alloc. */
static enum mode setup_mode(enum mode m)
{
    return m == MODE_CURSOR || m == MODE_PLANNED ? MODE_HEAP : m;
}

#define RSTREAM_BYTES (2 * HB_CHURN_OPS * sizeof(hb_op))
#define RFILL_BYTES (RFILL_OPS * sizeof(hb_op))

/* MODE_REPLAY's ops, written from the stream before anything is timed
 * (mapped, as the stream is); 0, or -1 out of memory. */
static int trace_ops(int churn)
{
    if ((rstream = hb_map(RSTREAM_BYTES, 0)) == NULL || (rfill = hb_map(RFILL_BYTES, 0)) == NULL)
        return -1;
    for (size_t k = 0; k < HB_CHURN_OPS; k++) {
        if (churn) {
            rstream[2 * k] = (hb_op){.code = HB_OP_FREE, .a = stream[k].slot};
            rstream[2 * k + 1] = (hb_op){.code = HB_OP_MALLOC, .a = stream[k].slot,
                                         .c = stream[k].size};
        } else {
            rstream[2 * k] = (hb_op){.code = HB_OP_MALLOC, .a = 0, .c = PAIR_BYTES};
            rstream[2 * k + 1] = (hb_op){.code = HB_OP_FREE, .a = 0};
        }
    }
    for (size_t i = 0; i < RFILL_OPS; i++)
        rfill[i] = (hb_op){.code = HB_OP_MALLOC, .a = (uint32_t)i, .c = first_size[i]};
    return 0;
}

/* MODE_REPLAY's set-up, untimed: the live set's (or the pin's) MALLOCs
 * replayed into the register file; 0, or -1 when one failed. */
static int replay_fill(int churn, lane *l)
{
    size_t n = churn ? RFILL_OPS : 1;
    const hb_op *ops = churn ? rfill : &(hb_op){.code = HB_OP_MALLOC, .a = PAIR_PIN_REG,
                                                .c = PAIR_BYTES};
    return hb_alloc_replay(&l->vm, ops, n) == n ? 0 : -1;
}

/*
 * MODE_PLANNED's books, as the allocator-trace replay keeps them
 * (hb_alloc_plan): worked out from the stream before the batch is timed --
 * live bytes after it, the most at any moment of it -- and written into
 * the heap after it.  A batch that would take live bytes past the heap's
 * limit or watch runs through the cursor instead, as the replay's stops do
 * (this program sets neither, so none does).
 */
typedef struct planned {
    uint64_t live, peak, high; /* high: the most during the batch */
} planned;

static uint16_t plan_size[HB_CHURN_LIVE];

static planned plan_batch(int churn, const lane *l, uint64_t n)
{
    const al_heap *h = &l->t.heap;
    planned pl = {h->live_bytes, h->peak_live_bytes, h->live_bytes};
    if (!churn) { /* one 16-byte block taken and given back per op */
        pl.high = pl.live + (n > 0 ? PAIR_BYTES : 0);
        if (pl.high > pl.peak)
            pl.peak = pl.high;
        return pl;
    }
    memcpy(plan_size, l->s.size, sizeof plan_size);
    for (uint64_t k = l->pos, end = l->pos + n; k < end; k++) {
        hb_churn_op op = stream[k & (HB_CHURN_OPS - 1)];
        pl.live = pl.live - plan_size[op.slot] + op.size; /* the free, then the allocation */
        plan_size[op.slot] = op.size;
        if (pl.live > pl.high)
            pl.high = pl.live;
    }
    if (pl.high > pl.peak)
        pl.peak = pl.high;
    return pl;
}



static int fill(lane *l)
{
    for (size_t i = 0; i < HB_CHURN_LIVE; i++) {
        uint64_t *p = op_alloc(setup_mode(l->m), &l->t, NULL, l->s.size[i]);
        if (p == NULL)
            return -1;
        *p = i;
        l->s.p[i] = p;
    }
    return 0;
}

static void empty(lane *l)
{
    for (size_t i = 0; i < HB_CHURN_LIVE; i++)
        op_free(setup_mode(l->m), &l->t, NULL, l->s.p[i], l->s.size[i]);
}

static int pin_take(lane *l)
{
    uint64_t *p = op_alloc(setup_mode(l->m), &l->t, NULL, PAIR_BYTES);
    if (p == NULL)
        return -1;
    *p = 0;
    l->pin = p;
    return 0;
}

static void pin_drop(lane *l)
{
    op_free(setup_mode(l->m), &l->t, NULL, l->pin, PAIR_BYTES);
    l->pin = NULL;
}

/* The lane's live set (churn) or pin (pair16), taken untimed; 0 or -1.
 * MODE_REPLAY keeps its blocks in the replay's register file. */
static int take_live(int churn, lane *l)
{
    if (l->m == MODE_REPLAY)
        return replay_fill(churn, l);
    return churn ? fill(l) : pin_take(l);
}

static void drop_live(int churn, lane *l)
{
    if (l->m == MODE_REPLAY)
        hb_avm_release(&l->vm); /* the register file empty, the books at 0 */
    else if (churn)
        empty(l);
    else
        pin_drop(l);
}

/* bump only: every block dies in place until reset; the live set is made
 * again afterwards.  Untimed, on the same schedule in every mode. */
static int reset_untimed(int churn, lane *l)
{
    if (l->m == MODE_REPLAY)
        drop_live(churn, l); /* the replay's registers and books, not only the blocks */
    if (l->m >= MODE_HEAP)
        al_heap_reset(&l->t.heap);
    else
        l->t.b->reset(l->t.ctx);
    return take_live(churn, l);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One batch of n <= BATCH ops of lane l from its stream position, its CPU
 * time added to l->ns when timed (else the warm-up), then bump's reset when
 * due. */
/* MODE_REPLAY: stream ops [pos, pos + n) as the replay runs a trace, each
 * stretch of HB_AVM_PLAN_OPS planned before its clock starts; the CPU time
 * of the replays, or 0 when an allocation failed. */
static int replay_batch(lane *l, uint64_t n, uint64_t *ns)
{
    const size_t per = HB_AVM_PLAN_OPS / 2; /* stream ops per plan */
    for (uint64_t done = 0; done < n;) {
        uint64_t at = (l->pos + done) & (HB_CHURN_OPS - 1);
        uint64_t k = n - done < per ? n - done : per;
        if (k > HB_CHURN_OPS - at)
            k = HB_CHURN_OPS - at;
        const hb_op *ops = rstream + 2 * at;
        hb_alloc_plan(&l->vm, ops, 2 * k);
        uint64_t t0 = thread_cpu_ns();
        size_t got = hb_alloc_replay(&l->vm, ops, 2 * k);
        *ns += thread_cpu_ns() - t0;
        if (got != 2 * k)
            return -1;
        done += k;
    }
    return 0;
}

static int run_one_batch(int churn, lane *l, uint64_t n, int timed)
{
    enum mode m = l->m;
    uint64_t ns = 0;
    if (m == MODE_REPLAY) {
        if (replay_batch(l, n, &ns) != 0)
            return -1;
    } else {
        planned pl = {0};
        if (m == MODE_PLANNED) {
            pl = plan_batch(churn, l, n);
            if (pl.high > al_heap_threshold(&l->t.heap))
                m = MODE_CURSOR;
        }
        uint64_t t0 = thread_cpu_ns();
        if (run_batch(churn, m, &l->t, &l->s, l->pos, n) != 0)
            return -1;
        ns = thread_cpu_ns() - t0;
        if (m == MODE_PLANNED) {
            l->t.heap.live_bytes = pl.live;
            l->t.heap.peak_live_bytes = pl.peak;
            al_heap_recheck(&l->t.heap);
        }
    }
    if (timed)
        l->ns += ns;
    l->pos += n;
    l->since_reset += n * (churn ? 512 : PAIR_BYTES); /* the worst case */
    if (l->t.b->reset && l->since_reset > RESET_BYTES) {
        if (reset_untimed(churn, l) != 0)
            return -1;
        l->since_reset = 0;
    }
    return 0;
}

/*
 * `ops` ops of every lane, a batch of each in turn, the lane that goes
 * first moving on by one every turn: each lane's batches are spread over
 * the same stretch of time, so what the machine does meanwhile lands on
 * every mode alike, and no lane always follows the same other one.
 */
static int run_lanes(int churn, lane *lanes, size_t nl, uint64_t ops, int timed)
{
    for (uint64_t done = 0, turn = 0; done < ops; turn++) {
        uint64_t n = ops - done < BATCH ? ops - done : BATCH;
        for (size_t k = 0; k < nl; k++)
            if (run_one_batch(churn, &lanes[(turn + k) % nl], n, timed) != 0)
                return -1;
        done += n;
    }
    return 0;
}

/* ---- threaded families: a heap workload's stream on N threads ---- */

/*
 * The stream of `heapbench run -w FAMILY --threads N --scale S` (larson,
 * xmalloc, cache-scratch), split and marked by hb_tvm_prepare (untimed):
 * the same per-thread ops and the same hand-over points.  Mode heapbench
 * replays it with hb_tvm_run on an al_heap, as `heapbench run` does.  Modes
 * native and table replay it with the loop below: each thread its own ops
 * and its own array of blocks (on its own pages), a hand-over through the
 * register's mailbox (a cache line each: its version, acquire/release, and
 * the block), malloc/free called directly (native; the library under
 * LD_PRELOAD) or the library's entry through a pointer (table), nothing
 * counted.  That is what a C program written for this stream would do; the
 * difference is what the harness adds: the table call, its counts, the
 * owner of each block (for cross-thread frees) and the checks.  Time is the
 * wall time of the threaded phase, all threads started together; the
 * figure is ns per op of the total (ops of every thread), so one thread's
 * figure compares with churn's and N threads' shows scaling.
 */
typedef struct nat_mail {
    _Alignas(64) uint32_t version;
    uint32_t size;
    void *block;
} nat_mail;

typedef struct nat_slot {
    void *block;
    uint32_t size;
} nat_slot;

typedef struct nat_thread {
    _Alignas(64) const hb_tvm *vm;
    target *t;
    nat_mail *mail;
    nat_slot *slot;
    size_t slot_bytes;
    uint32_t id;
    int *go, *stop;
    int failed;
    enum mode mode;
    pthread_t tid;
} nat_thread;

typedef struct nat_gather {
    hb_vec v;
    hb_op buf[4096];
} nat_gather;

static int nat_flush(hb_sink *s)
{
    nat_gather *g = s->ctx;
    if (hb_vec_reserve(&g->v, g->v.len + s->len) != 0)
        return 1;
    memcpy((hb_op *)g->v.v + g->v.len, s->buf, s->len * sizeof(hb_op));
    g->v.len += s->len;
    s->len = 0;
    return 0;
}

static inline void nat_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline __attribute__((always_inline)) void *nat_new(enum mode m, target *t, uint32_t c)
{
    void *p = op_alloc(m, t, NULL, c ? c : 1);
    if (p != NULL)
        for (uint32_t off = 0; off < c; off += 4096) /* as the replay writes new blocks */
            ((unsigned char *)p)[off] = (unsigned char)off;
    return p;
}

static inline __attribute__((always_inline)) int nat_op(enum mode m, target *t, nat_slot *s,
                                                        const hb_op *op)
{
    void *p;
    switch (op->code) {
    case HB_OP_MALLOC:
        if (s->block == NULL) {
            if ((s->block = nat_new(m, t, op->c)) == NULL)
                return -1;
            s->size = op->c;
        }
        return 0;
    case HB_OP_FREE:
        if (s->block != NULL)
            op_free(m, t, NULL, s->block, s->size ? s->size : 1);
        s->block = NULL;
        return 0;
    case HB_OP_REALLOC:
        if ((p = nat_new(m, t, op->c)) == NULL)
            return -1;
        if (s->block != NULL) {
            memcpy(p, s->block, s->size < op->c ? s->size : op->c);
            op_free(m, t, NULL, s->block, s->size ? s->size : 1);
        }
        s->block = p;
        s->size = op->c;
        return 0;
    case HB_OP_TOUCH:
        if (s->block != NULL && s->size > 0) {
            /* The size and the count in locals: the volatile byte stores
             * may alias s and op, so read through them the loop would load
             * both again on every byte (as the replay's does not). */
            volatile unsigned char *q = s->block;
            uint32_t size = s->size, n = op->c;
            for (uint32_t i = 0, k = 0; i < n; i++) {
                q[k] = (unsigned char)(q[k] + 1);
                if (++k == size)
                    k = 0;
            }
        }
        return 0;
    default:
        return 0;
    }
}

static inline __attribute__((always_inline)) void nat_stream(enum mode m, nat_thread *n)
{
    const hb_tvm *vm = n->vm;
    const hb_op *op = vm->ops_by_thread + vm->start[n->id];
    const hb_op *end = vm->ops_by_thread + vm->start[n->id + 1];
    const uint32_t *hand = vm->hand + vm->hstart[n->id];
    for (; op < end; op++) {
        nat_slot *s = &n->slot[op->a];
        nat_mail *mb = op->flags ? &n->mail[*hand++] : NULL;
        if (op->flags & HB_TV_WAIT) {
            for (unsigned k = 0; __atomic_load_n(&mb->version, __ATOMIC_ACQUIRE) != op->b; k++) {
                if (__atomic_load_n(n->stop, __ATOMIC_RELAXED))
                    return;
                if (k < 128)
                    nat_relax();
                else
                    sched_yield();
            }
            s->block = mb->block; /* the block is this thread's now: the mailbox */
            s->size = mb->size;   /* no longer holds it (else the end frees it twice) */
            mb->block = NULL;
        }
        int bad = nat_op(m, n->t, s, op);
        if (op->flags & HB_TV_PUBLISH) {
            mb->block = s->block;
            mb->size = s->size;
            s->block = NULL;
            __atomic_store_n(&mb->version, op->b + 1, __ATOMIC_RELEASE);
        }
        if (bad) {
            n->failed = 1;
            __atomic_store_n(n->stop, 1, __ATOMIC_RELAXED);
            return;
        }
    }
}

static void *nat_main(void *arg)
{
    nat_thread *n = arg;
    while (!__atomic_load_n(n->go, __ATOMIC_ACQUIRE))
        sched_yield();
    if (n->mode == MODE_LIBC)
        nat_stream(MODE_LIBC, n);
    else
        nat_stream(MODE_TABLE, n);
    return NULL;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The loop's threads, each with its own block array; 0, or -1 (no memory,
 * a thread not started, an allocation failed). */
static int nat_run(enum mode m, target *t, const hb_tvm *vm, uint64_t *ns)
{
    uint32_t nt = vm->nthreads, started = 1;
    size_t mail_bytes = (size_t)vm->nregs * sizeof(nat_mail);
    size_t thr_bytes = (size_t)nt * sizeof(nat_thread);
    nat_mail *mail = hb_map(mail_bytes, 0);
    nat_thread *th = hb_map(thr_bytes, 0);
    int go = 0, stop = 0, rc = 0;
    if (mail == NULL || th == NULL)
        return -1;
    for (uint32_t i = 0; i < nt; i++) {
        size_t nslots = vm->sbase[i + 1] - vm->sbase[i];
        th[i] = (nat_thread){.vm = vm, .t = t, .mail = mail, .id = i, .go = &go, .stop = &stop,
                             .mode = m, .slot_bytes = (nslots ? nslots : 1) * sizeof(nat_slot)};
        th[i].slot = hb_map(th[i].slot_bytes, 0);
        if (th[i].slot == NULL)
            return -1;
    }
    for (; started < nt; started++)
        if (pthread_create(&th[started].tid, NULL, nat_main, &th[started]) != 0)
            break;
    if (started < nt)
        stop = 1, rc = -1;
    uint64_t t0 = wall_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    if (!stop)
        nat_main(&th[0]);
    for (uint32_t i = 1; i < started; i++)
        pthread_join(th[i].tid, NULL);
    *ns = wall_ns() - t0;
    for (uint32_t i = 0; i < nt; i++) {
        rc |= th[i].failed ? -1 : 0;
        for (size_t k = 0; k < th[i].slot_bytes / sizeof(nat_slot); k++)
            if (th[i].slot[k].block)
                op_free(m, t, NULL, th[i].slot[k].block,
                        th[i].slot[k].size ? th[i].slot[k].size : 1);
        hb_unmap(th[i].slot, th[i].slot_bytes);
    }
    for (uint32_t r = 0; r < vm->nregs; r++)
        if (mail[r].block)
            op_free(m, t, NULL, mail[r].block, mail[r].size ? mail[r].size : 1);
    hb_unmap(mail, mail_bytes);
    hb_unmap(th, thr_bytes);
    return rc;
}

/* Generates the family's stream (untimed), prepares it, runs it once in
 * mode m on a fresh backend; prints the line. */
static int measure_threads(const wl_workload *w, enum mode m, target *t, const char *mode,
                           uint32_t threads, double scale)
{
    static nat_gather g;
    hb_err e = {0};
    wl_params p = {.scale = scale, .seed = 1, .threads = threads, .err = &e};
    hb_sink s = {.buf = g.buf, .cap = 4096, .flush = nat_flush, .ctx = &g};
    if (hb_vec_init(&g.v, sizeof(hb_op), 1u << 16) != 0 || w->generate(&p, &s) != 0 ||
        hb_sink_flush(&s) != 0 || s.stopped) {
        fprintf(stderr, "heapbench-native: %s: could not generate the stream %s\n", w->name, e.msg);
        return -1;
    }
    hb_tvm vm;
    al_heap *h = &t->heap;
    if (hb_tvm_prepare(&vm, h, g.v.v, g.v.len, w->registers(&p), threads, &e) != 0) {
        fprintf(stderr, "heapbench-native: %s\n", e.msg);
        return -1;
    }
    uint64_t ns = 0;
    int rc = 0;
    if (m == MODE_PLANNED) {
        ns = hb_tvm_run(&vm);
        rc = vm.status == HB_VM_OK ? 0 : -1;
        hb_tvm_release(&vm);
    } else {
        rc = nat_run(m, t, &vm, &ns);
    }
    if (rc == 0)
        printf("%s %s %s %.3f %zu %u\n", w->name, t->b->name, mode, (double)ns / (double)g.v.len,
               g.v.len, threads);
    hb_tvm_free(&vm);
    hb_vec_fini(&g.v);
    return rc;
}

/* ---- set-up and checks ---- */

/* The soname a native peer run must have under LD_PRELOAD. */
static const char *preload_soname(const char *backend)
{
    static const char *const map[][2] = {
        {"jemalloc", "libjemalloc.so"},
        {"mimalloc", "libmimalloc.so"},
        {"tcmalloc", "libtcmalloc"},
        {"malloc", "libc.so"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], backend) == 0)
            return map[i][1];
    return NULL;
}

static int usage(const char *why)
{
    fprintf(stderr,
            "heapbench-native: %s\n"
            "usage: heapbench-native --family churn|pair16 --backend NAME "
            "--mode MODE[,MODE...] [--ops N] [--write word|block]\n"
            "       MODE: native, table, heap, cursor, heapbench or replay (replay: "
            "--write block)\n"
            "       heapbench-native --family larson|xmalloc|cache-scratch --backend NAME "
            "--mode native|table|heapbench [--threads N] [--scale S]\n",
            why);
    return 2;
}

static int parse_ops(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v == 0 || v > ((uint64_t)1 << 40))
        return -1;
    *out = v;
    return 0;
}

/* Picks the internal mode; 0, or an exit status after a message. */
static int pick_mode(const char *mode, target *t, enum mode *m)
{
    const char *lib = preload_soname(t->b->name);
    if (strcmp(mode, "heapbench") == 0) {
        *m = MODE_PLANNED;
    } else if (strcmp(mode, "replay") == 0) {
        *m = MODE_REPLAY;
    } else if (strcmp(mode, "cursor") == 0) {
        *m = MODE_CURSOR;
    } else if (strcmp(mode, "heap") == 0) {
        *m = MODE_HEAP;
    } else if (strcmp(mode, "table") == 0 || (strcmp(mode, "native") == 0 && lib == NULL)) {
        *m = MODE_TABLE;
    } else if (strcmp(mode, "native") == 0) {
        *m = MODE_LIBC;
        if (strstr(al_malloc_home(), lib) == NULL) {
            fprintf(stderr, "heapbench-native: --mode native --backend %s needs %s under "
                            "LD_PRELOAD; malloc binds to %s\n",
                    t->b->name, lib, al_malloc_home());
            return 2;
        }
    } else {
        char msg[160];
        snprintf(msg, sizeof msg, "bad value '%s' for --mode, expected native, table, heap, "
                                   "cursor, heapbench or replay",
                 mode);
        return usage(msg);
    }
    return 0;
}

static int open_target(enum mode m, target *t)
{
    const char *why = t->b->unavailable ? t->b->unavailable() : NULL;
    if (why != NULL && m != MODE_LIBC) {
        fprintf(stderr, "heapbench-native: %s unavailable: %s\n", t->b->name, why);
        return 1;
    }
    if (m >= MODE_HEAP)
        return al_heap_open(&t->heap, t->b, &run_cfg) == 0 ? 0 : 1;
    if (m == MODE_TABLE) {
        t->ctx = t->b->create(&run_cfg);
        if (t->ctx && t->b->entry)
            t->b->entry(t->ctx, &t->lib);
        return t->ctx ? 0 : 1;
    }
    return 0;
}

static void close_target(enum mode m, target *t)
{
    if (m >= MODE_HEAP)
        al_heap_close(&t->heap);
    else if (m == MODE_TABLE)
        t->b->destroy(t->ctx);
}

/* Every lane's live set or pin, the warm-up (untimed), the timed ops, the
 * lanes interleaved batch by batch; prints a line per lane. */
static int measure(int churn, lane *lanes, size_t nl, const char *family, uint64_t ops)
{
    for (size_t i = 0; i < nl; i++) {
        memcpy(lanes[i].s.size, first_size, sizeof lanes[i].s.size);
        if (take_live(churn, &lanes[i]) != 0)
            return -1;
    }
    uint64_t warm = churn ? HB_CHURN_OPS : PAIR_WARM_OPS;
    if (run_lanes(churn, lanes, nl, warm, 0) != 0 || run_lanes(churn, lanes, nl, ops, 1) != 0)
        return -1;
    for (size_t i = 0; i < nl; i++) {
        lane *l = &lanes[i];
        drop_live(churn, l);
        if (l->m >= MODE_HEAP && l->t.heap.live_bytes != 0) {
            fprintf(stderr,
                    "heapbench-native: %s %s %s: %llu live bytes counted after the last free\n",
                    family, l->t.b->name, l->name, (unsigned long long)l->t.heap.live_bytes);
            return -1;
        }
    }
    for (size_t i = 0; i < nl; i++)
        printf("%s %s %s %.3f %llu\n", family, lanes[i].t.b->name, lanes[i].name,
               (double)lanes[i].ns / (double)ops, (unsigned long long)ops);
    return 0;
}

/* A threaded family: its own backend settings and stream. */
static int run_threaded(const wl_workload *w, enum mode m, target *t, const char *mode,
                        uint32_t threads, double scale)
{
    if (m == MODE_HEAP || m == MODE_CURSOR || m == MODE_REPLAY)
        return usage("a threaded family takes --mode native, table or heapbench (heap, "
                     "cursor and replay are one thread's)");
    if (threads > 1 && t->b->threads == NULL) {
        fprintf(stderr, "heapbench-native: %s is not safe under threads\n", t->b->name);
        return 2;
    }
    run_cfg.threads = threads;
    if (open_target(m, t) != 0)
        return 1;
    int rc = measure_threads(w, m, t, mode, threads, scale);
    if (rc != 0)
        fprintf(stderr, "heapbench-native: %s %s %s: the run failed\n", w->name, t->b->name, mode);
    /* The table modes leave the backend open: after threads that have
     * exited, mimalloc 2.0's forced collect (its destroy) was seen to spin
     * for minutes; the process ends here and nothing after it is timed. */
    if (m == MODE_PLANNED)
        close_target(m, t);
    fflush(stdout);
    return rc != 0;
}

int main(int argc, char **argv)
{
    hb_err tls; /* room for jemalloc's TLS; may not return */
    if (al_peer_reexec_for_tls(argv, &tls) != 0)
        fprintf(stderr, "heapbench-native: %s\n", tls.msg);
    const char *family = NULL, *backend = NULL, *mode = NULL;
    uint64_t ops = 0;
    uint32_t threads = 1;
    double scale = 0.3;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage("every option takes a value");
        if (strcmp(argv[i], "--family") == 0)
            family = argv[++i];
        else if (strcmp(argv[i], "--backend") == 0)
            backend = argv[++i];
        else if (strcmp(argv[i], "--mode") == 0)
            mode = argv[++i];
        else if (strcmp(argv[i], "--ops") == 0) {
            if (parse_ops(argv[++i], &ops) != 0)
                return usage("bad value for --ops, expected a whole number from 1 to 2^40");
        } else if (strcmp(argv[i], "--write") == 0) {
            ++i;
            if (strcmp(argv[i], "word") == 0 || strcmp(argv[i], "block") == 0) {
                write_block = argv[i][0] == 'b';
            } else {
                char msg[160];
                snprintf(msg, sizeof msg, "bad value '%.40s' for --write, expected word or block",
                         argv[i]);
                return usage(msg);
            }
        } else if (strcmp(argv[i], "--threads") == 0) {
            uint64_t v;
            if (parse_ops(argv[++i], &v) != 0 || v > HB_MAX_THREADS)
                return usage("bad value for --threads, expected a whole number from 1 to 255");
            threads = (uint32_t)v;
        } else if (strcmp(argv[i], "--scale") == 0) {
            char *end;
            scale = strtod(argv[++i], &end);
            if (*argv[i] == '\0' || *end != '\0' || !(scale > 0) || scale > 10000)
                return usage("bad value for --scale, expected a number > 0 and <= 10000");
        } else {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown option '%s'", argv[i]);
            return usage(msg);
        }
    }
    if (!family || !backend || !mode)
        return usage("--family, --backend and --mode are required");
    int churn = strcmp(family, "churn") == 0;
    const wl_workload *tw = NULL;
    if (strcmp(family, "larson") == 0 || strcmp(family, "xmalloc") == 0 ||
        strcmp(family, "cache-scratch") == 0)
        tw = wl_find(family);
    if (!churn && tw == NULL && strcmp(family, "pair16") != 0)
        return usage("bad value for --family, expected churn, pair16, larson, xmalloc or "
                     "cache-scratch");
    target t = {.b = al_find(backend)};
    if (t.b == NULL) {
        char names[256], msg[400];
        al_names(names, sizeof names);
        snprintf(msg, sizeof msg, "unknown backend '%s', expected one of %s", backend, names);
        return usage(msg);
    }
    if (ops == 0)
        ops = churn ? 16 * (uint64_t)HB_CHURN_OPS : (uint64_t)8 << 20; /* 25-80 ms each */
    /* --mode a,b,...: one lane per mode, run in this process interleaved */
    static lane lanes[MAX_LANES];
    static char modes[64];
    size_t nl = 0;
    if (strlen(mode) >= sizeof modes)
        return usage("--mode: at most four modes, comma-separated");
    strcpy(modes, mode);
    for (char *save = NULL, *tok = strtok_r(modes, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (nl == MAX_LANES)
            return usage("--mode: at most four modes, comma-separated");
        for (size_t i = 0; i < nl; i++)
            if (strcmp(lanes[i].name, tok) == 0) {
                char msg[160];
                snprintf(msg, sizeof msg, "--mode names '%s' twice", tok);
                return usage(msg);
            }
        lanes[nl].t = t;
        lanes[nl].name = tok;
        int rc = pick_mode(tok, &lanes[nl].t, &lanes[nl].m);
        if (rc != 0)
            return rc;
        nl++;
    }
    if (nl == 0)
        return usage("--mode names no mode");
    for (size_t i = 0; i < nl; i++)
        if (lanes[i].m == MODE_REPLAY && !write_block)
            return usage("--mode replay writes every new block whole, as the allocator-trace "
                         "replay does: it takes --write block (then every lane does)");
    if (tw != NULL) {
        if (nl > 1)
            return usage("a threaded family takes one --mode");
        return run_threaded(tw, lanes[0].m, &lanes[0].t, lanes[0].name, threads, scale);
    }
    /* The stream exists before the backend is opened and before any timing.
     * It is mapped, not malloc'd: under LD_PRELOAD malloc is the library
     * being measured, and the stream must sit in the same kind of memory in
     * every mode. */
    size_t stream_bytes = HB_CHURN_OPS * sizeof *stream;
    stream = hb_map(stream_bytes, 0);
    if (stream == NULL)
        return 1;
    hb_churn_generate(first_size, stream);
    for (size_t i = 0; i < nl; i++)
        if (lanes[i].m == MODE_REPLAY && rstream == NULL && trace_ops(churn) != 0)
            return 1;
    size_t opened = 0;
    int rc = 0;
    for (; opened < nl && rc == 0; opened++) {
        lane *l = &lanes[opened];
        rc = open_target(l->m, &l->t);
        if (rc == 0 && l->m == MODE_REPLAY &&
            hb_avm_init(&l->vm, &l->t.heap, churn ? HB_CHURN_LIVE : PAIR_PIN_REG + 1) != 0) {
            close_target(l->m, &l->t);
            rc = 1;
        }
    }
    if (rc == 0) {
        rc = measure(churn, lanes, nl, family, ops);
        if (rc != 0)
            fprintf(stderr, "heapbench-native: %s %s %s: allocation failed\n", family, backend,
                    mode);
    } else {
        opened--; /* the one that failed is not open */
    }
    for (size_t i = 0; i < opened; i++) {
        if (lanes[i].m == MODE_REPLAY)
            hb_avm_fini(&lanes[i].vm);
        close_target(lanes[i].m, &lanes[i].t);
    }
    hb_unmap(stream, stream_bytes);
    hb_unmap(rstream, RSTREAM_BYTES); /* NULL when no lane replayed */
    hb_unmap(rfill, RFILL_BYTES);
    return rc != 0;
}
