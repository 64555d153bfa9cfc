/*
 * harness/run/threads.c -- run core: the threaded allocator replay
 * (contract and the ordering argument in threads.h).
 *
 * Layout: prepare (untimed: count, split, stamp), the worker's op loop
 * (the only timed code), run (start together, join, sum), release.
 */
#include "harness/run/threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness/core/clock.h"
#include "harness/run/replay.h"

/*
 * ThreadSanitizer sees the harness's own synchronisation but not that of a
 * library loaded with dlopen (mimalloc, jemalloc, tcmalloc are not built
 * with it): a block freed on one thread and handed out again on another
 * would look like a race on its bytes.  The annotations say what every
 * allocator guarantees, that a free happens before the allocation that
 * reuses the block; they exist only in a TSan build.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HB_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HB_TSAN 1
#endif
#ifdef HB_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define tsan_block_freed(p) __tsan_release(p)
#define tsan_block_taken(p) __tsan_acquire(p)
#else
#define tsan_block_freed(p) ((void)(p))
#define tsan_block_taken(p) ((void)(p))
#endif

/* Spins on a mailbox before yielding the CPU: a hand-over is normally a
 * few hundred nanoseconds away, but with more threads than cores the
 * thread that must go first may not be running at all. */
#define HB_SPINS_BEFORE_YIELD 128

/* Mailboxes get a cache line each while they fit this, else half of one. */
#define HB_MAIL_PAD_LIMIT (16u << 20)
#define HB_LINE 64
#define HB_PAGE 4096

enum { TV_WAIT = HB_TV_WAIT, TV_PUBLISH = HB_TV_PUBLISH };

/* A register in one thread's file. */
typedef struct tslot {
    void *block;
    uint32_t size;
    uint32_t owner; /* the thread that allocated the block */
} tslot;

/* A register's mailbox: the block on its way to another thread. */
typedef struct tmail {
    uint32_t version; /* hand-overs published so far (atomic) */
    uint32_t size;
    uint32_t owner;
    uint32_t pad_;
    void *block;
} tmail;

_Static_assert(sizeof(tmail) <= 32, "a mailbox fits half a cache line");

/* The shared words, each on its own line (in 64-bit words). */
enum { SH_LIVE = 0, SH_PEAK = HB_LINE / 8, SH_ABORT = 2 * HB_LINE / 8, SH_WORDS = 3 * HB_LINE / 8 };

static void *map_zeroed(size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static size_t round_up(size_t x, size_t to)
{
    return (x + to - 1) / to * to;
}

size_t hb_ops_check_threads(const hb_op *ops, size_t n, uint32_t nthreads)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].thread >= nthreads)
            return i;
    return n;
}

/* ------------------------------------------------------------------ */
/* Prepare (untimed)                                                    */
/* ------------------------------------------------------------------ */

/* Per-register scratch of prepare, unmapped at its end. */
typedef struct scratch {
    size_t *last;     /* position of the register's last op so far (SIZE_MAX: none) */
    uint32_t *stamp;  /* its hand-overs so far */
    uint32_t *held;   /* the bytes its block counts (0: empty), for the peak */
    uint32_t *local;  /* its number in the thread named by tag */
    uint16_t *tag;    /* thread + 1 that local belongs to (0: none) */
    size_t bytes;
} scratch;

static int scratch_open(scratch *s, uint32_t nregs)
{
    s->bytes = (size_t)nregs * (sizeof(size_t) + 3 * sizeof(uint32_t) + sizeof(uint16_t));
    char *m = map_zeroed(s->bytes);
    if (m == NULL)
        return -1;
    s->last = (size_t *)m;
    s->stamp = (uint32_t *)(s->last + nregs);
    s->held = s->stamp + nregs;
    s->local = s->held + nregs;
    s->tag = (uint16_t *)(s->local + nregs);
    memset(s->last, 0xff, (size_t)nregs * sizeof(size_t));
    return 0;
}

static int map_streams(hb_tvm *vm, size_t n)
{
    size_t idx = ((size_t)vm->nthreads + 1) * sizeof(size_t);
    vm->streams_bytes = n * sizeof(hb_op) + 3 * idx;
    char *m = map_zeroed(vm->streams_bytes);
    if (m == NULL)
        return -1;
    vm->streams_map = m;
    vm->ops_by_thread = (hb_op *)m;
    vm->start = (size_t *)(m + n * sizeof(hb_op));
    vm->hstart = vm->start + vm->nthreads + 1;
    vm->sbase = vm->hstart + vm->nthreads + 1;
    return 0;
}

/* The live bytes an op adds in the global order (REALLOC: the new block
 * counts before the old one is dropped, as the replay moves it); the peak
 * is the highest running sum. */
static void peak_step(hb_tvm *vm, scratch *s, const hb_op *op, int64_t *live)
{
    uint32_t r = op->a, size = op->c ? op->c : 1;
    switch (op->code) {
    case HB_OP_MALLOC:
        if (s->held[r] == 0)
            *live += size, s->held[r] = size;
        break;
    case HB_OP_FREE:
        *live -= s->held[r], s->held[r] = 0;
        break;
    case HB_OP_REALLOC:
        *live += size;
        if ((uint64_t)*live > vm->stream_peak)
            vm->stream_peak = (uint64_t)*live;
        *live -= s->held[r], s->held[r] = size;
        break;
    default:
        break;
    }
    if (*live > 0 && (uint64_t)*live > vm->stream_peak)
        vm->stream_peak = (uint64_t)*live;
}

/* Each thread's ops in global order; an op whose register last ran on
 * another thread WAITs for that op, which PUBLISHes; b: the register's
 * hand-overs before the op (a WAIT expects it, a PUBLISH stores b + 1). */
static void split_and_mark(hb_tvm *vm, scratch *s, const hb_op *ops, size_t n)
{
    size_t *at = vm->start;
    int64_t live = 0;
    for (size_t i = 0; i < n; i++)
        at[ops[i].thread + 1]++;
    for (uint32_t t = 0; t < vm->nthreads; t++)
        at[t + 1] += at[t];
    size_t fill[HB_MAX_THREADS + 1];
    memcpy(fill, at, ((size_t)vm->nthreads + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++) {
        hb_op op = ops[i];
        uint32_t r = op.a;
        op.flags = 0;
        if (s->last[r] != SIZE_MAX) {
            hb_op *prev = &vm->ops_by_thread[s->last[r]];
            if (prev->thread != op.thread) {
                prev->flags |= TV_PUBLISH;
                s->stamp[r]++;
                op.flags |= TV_WAIT;
                vm->handovers++;
            }
        }
        op.b = s->stamp[r];
        s->last[r] = fill[op.thread]++;
        vm->ops_by_thread[s->last[r]] = op;
        peak_step(vm, s, &op, &live);
    }
}

/* Each thread's hand-over records (the register of every marked op, in
 * its order) and its registers renumbered 0.. in the order it meets them. */
static int renumber(hb_tvm *vm, scratch *s)
{
    size_t nhand = 0;
    for (size_t i = 0; i < vm->nops; i++)
        nhand += vm->ops_by_thread[i].flags != 0;
    vm->nhand = nhand;
    vm->hand_bytes = nhand * sizeof(uint32_t);
    vm->hand_map = map_zeroed(vm->hand_bytes);
    if (vm->hand_map == NULL)
        return -1;
    vm->hand = (uint32_t *)vm->hand_map;
    size_t k = 0, slots = 0;
    for (uint32_t t = 0; t < vm->nthreads; t++) {
        uint32_t nl = 0;
        vm->hstart[t] = k;
        vm->sbase[t] = slots;
        for (size_t i = vm->start[t]; i < vm->start[t + 1]; i++) {
            hb_op *op = &vm->ops_by_thread[i];
            uint32_t r = op->a;
            if (op->flags)
                vm->hand[k++] = r;
            if (s->tag[r] != t + 1)
                s->tag[r] = (uint16_t)(t + 1), s->local[r] = nl++;
            op->a = s->local[r];
        }
        /* each file on pages of its own: no line (nor the adjacent-line
         * prefetch pair) shared with another thread's */
        slots += round_up(nl ? nl : 1, HB_PAGE / sizeof(tslot));
    }
    vm->hstart[vm->nthreads] = k;
    vm->sbase[vm->nthreads] = slots;
    vm->nslots = slots;
    return 0;
}

static int map_registers(hb_tvm *vm)
{
    vm->mail_stride = (size_t)vm->nregs * HB_LINE <= HB_MAIL_PAD_LIMIT ? HB_LINE : HB_LINE / 2;
    size_t shared = round_up(SH_WORDS * sizeof(uint64_t), HB_PAGE);
    size_t mail = round_up((size_t)vm->nregs * vm->mail_stride, HB_PAGE);
    vm->regs_bytes = shared + mail + vm->nslots * sizeof(tslot);
    vm->regs_map = map_zeroed(vm->regs_bytes);
    if (vm->regs_map == NULL)
        return -1;
    vm->shared = (uint64_t *)vm->regs_map;
    vm->mail = vm->regs_map + shared;
    vm->slots = vm->mail + mail;
    return 0;
}

int hb_tvm_prepare(hb_tvm *vm, al_heap *heap, const hb_op *ops, size_t n, uint32_t nregs,
                   uint32_t nthreads, hb_err *e)
{
    memset(vm, 0, sizeof *vm);
    vm->heap = heap;
    vm->nregs = nregs ? nregs : 1;
    vm->nthreads = nthreads ? nthreads : 1;
    vm->nops = n;
    if (vm->nthreads > HB_MAX_THREADS)
        return hb_fail(e, HB_ERR_USAGE, "%u threads, expected 1..%d", vm->nthreads, HB_MAX_THREADS);
    size_t bad = hb_ops_check_threads(ops, n, vm->nthreads);
    if (bad != n)
        return hb_fail(e, HB_ERR_INPUT, "op %zu runs on thread %u, expected a thread below %u",
                       bad, ops[bad].thread, vm->nthreads);
    scratch s;
    if (scratch_open(&s, vm->nregs) != 0)
        return hb_fail(e, HB_ERR_INPUT, "could not map prepare's table of %u registers",
                       vm->nregs);
    int ok = map_streams(vm, n) == 0;
    if (ok)
        split_and_mark(vm, &s, ops, n);
    ok = ok && renumber(vm, &s) == 0 && map_registers(vm) == 0;
    munmap(s.last, s.bytes);
    vm->map_bytes = vm->streams_bytes + vm->hand_bytes;
    if (!ok) {
        hb_tvm_free(vm);
        return hb_fail(e, HB_ERR_INPUT, "could not map %zu ops for %u threads", n, vm->nthreads);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* One thread's replay (timed)                                          */
/* ------------------------------------------------------------------ */

/* One thread: what it reads per op, copied out of the shared vm, and what
 * it counts, on cache lines of its own. */
typedef struct worker {
    _Alignas(HB_LINE) al_heap *heap;
    tslot *slot;               /* its register file */
    const hb_op *op, *end;     /* its stream */
    const uint32_t *hand;      /* its hand-over records */
    char *mail;
    size_t mail_stride;
    uint64_t *shared;
    uint64_t limit;            /* the heap limit: 0, no shared count */
    uint32_t id;
    pthread_t tid;
    int *go;
    int64_t live;              /* bytes allocated minus freed here */
    uint64_t ops, noops, allocs, bytes, frees, cross, waits, failed;
} worker;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline tmail *mail_of(const worker *w, uint32_t r)
{
    return (tmail *)(w->mail + (size_t)r * w->mail_stride);
}

/* Waits until the mailbox reaches version v; -1 when another thread ran
 * out of memory (the op it waits for will never come). */
static int wait_turn(worker *w, tmail *m, uint32_t v)
{
    if (__atomic_load_n(&m->version, __ATOMIC_ACQUIRE) == v)
        return 0;
    w->waits++;
    for (unsigned spins = 0; __atomic_load_n(&m->version, __ATOMIC_ACQUIRE) != v; spins++) {
        if (__atomic_load_n(&w->shared[SH_ABORT], __ATOMIC_RELAXED))
            return -1;
        if (spins < HB_SPINS_BEFORE_YIELD)
            cpu_relax();
        else
            sched_yield();
    }
    return 0;
}

/* The block arrives from the mailbox (after the acquire: no race); the
 * mailbox is emptied, so that release finds each block in one place. */
static void take_over(tslot *s, tmail *m)
{
    s->block = m->block;
    s->size = m->size;
    s->owner = m->owner;
    m->block = NULL;
}

/* The block leaves for the next thread on the register: version v + 1. */
static void publish(tslot *s, tmail *m, uint32_t v)
{
    m->block = s->block;
    m->size = s->size;
    m->owner = s->owner;
    s->block = NULL;
    __atomic_store_n(&m->version, v + 1, __ATOMIC_RELEASE);
}

/* The heap limit's shared count: refuses past the limit as al_alloc does. */
static int limit_grow(worker *w, uint64_t bytes)
{
    uint64_t *live = &w->shared[SH_LIVE], *peak = &w->shared[SH_PEAK];
    uint64_t now = __atomic_add_fetch(live, bytes, __ATOMIC_RELAXED);
    if (now > w->limit) {
        __atomic_sub_fetch(live, bytes, __ATOMIC_RELAXED);
        return -1;
    }
    uint64_t p = __atomic_load_n(peak, __ATOMIC_RELAXED);
    while (now > p &&
           !__atomic_compare_exchange_n(peak, &p, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    return 0;
}

/* One byte per page, as replay.c's allocator traces write new blocks. */
static inline void touch_pages(unsigned char *p, uint32_t bytes)
{
    for (uint32_t off = 0; off < bytes; off += 4096)
        p[off] = (unsigned char)off;
}

static void *take_block(worker *w, uint32_t bytes)
{
    size_t size = bytes ? bytes : 1;
    if (w->limit && limit_grow(w, size) != 0) {
        w->failed++;
        return NULL;
    }
    void *p = al_call_alloc(w->heap, size); /* al_alloc's call, books apart */
    if (p == NULL) {
        if (w->limit)
            __atomic_sub_fetch(&w->shared[SH_LIVE], size, __ATOMIC_RELAXED);
        w->failed++;
        return NULL;
    }
    tsan_block_taken(p);
    touch_pages(p, bytes);
    w->live += (int64_t)size;
    w->allocs++;
    w->bytes += bytes;
    return p;
}

static void drop_block(worker *w, tslot *s)
{
    size_t size = s->size ? s->size : 1;
    al_poison_(s->block, size);
    tsan_block_freed(s->block);
    al_call_free(w->heap, s->block, size);
    if (w->limit)
        __atomic_sub_fetch(&w->shared[SH_LIVE], size, __ATOMIC_RELAXED);
    w->live -= (int64_t)size;
    w->frees++;
    w->cross += s->owner != w->id;
    s->block = NULL;
}

static void hold_block(worker *w, tslot *s, void *p, uint32_t bytes)
{
    s->block = p;
    s->size = bytes;
    s->owner = w->id;
}

/* REALLOC of a held block: always a move, as replay.c does it. */
static int move_block(worker *w, tslot *s, uint32_t bytes)
{
    uint32_t old = s->size;
    void *p = take_block(w, bytes);
    if (p == NULL)
        return -1;
    memcpy(p, s->block, old < bytes ? old : bytes);
    drop_block(w, s);
    hold_block(w, s, p, bytes);
    return 0;
}

/* TOUCH: n single-byte read-modify-writes walking the block, wrapping at
 * its end.  Volatile, so each is a load and a store the compiler keeps:
 * the traffic on the block's cache line is the point (false sharing). */
static void scratch_block(unsigned char *p, uint32_t size, uint32_t n)
{
    volatile unsigned char *q = p;
    uint32_t k = 0;
    if (size == 0)
        return;
    for (uint32_t i = 0; i < n; i++) {
        q[k] = (unsigned char)(q[k] + 1);
        if (++k == size)
            k = 0;
    }
}

/* The op on its register, whose turn it is.  -1: out of memory. */
static int do_op(worker *w, tslot *s, const hb_op *op)
{
    void *p;
    switch (op->code) {
    case HB_OP_MALLOC:
        if (s->block != NULL) {
            w->noops++;
            return 0;
        }
        if ((p = take_block(w, op->c)) == NULL)
            return -1;
        hold_block(w, s, p, op->c);
        return 0;
    case HB_OP_FREE:
        if (s->block != NULL)
            drop_block(w, s);
        else
            w->noops++;
        return 0;
    case HB_OP_REALLOC:
        if (s->block != NULL)
            return move_block(w, s, op->c);
        if ((p = take_block(w, op->c)) == NULL)
            return -1;
        hold_block(w, s, p, op->c);
        return 0;
    case HB_OP_TOUCH:
        if (s->block != NULL)
            scratch_block(s->block, s->size, op->c);
        else
            w->noops++;
        return 0;
    default:
        w->noops++;
        return 0;
    }
}

static void replay_stream(worker *w)
{
    const uint32_t *hand = w->hand;
    for (const hb_op *op = w->op; op < w->end; op++) {
        tslot *s = &w->slot[op->a];
        tmail *m = op->flags ? mail_of(w, *hand++) : NULL;
        if (op->flags & TV_WAIT) {
            if (wait_turn(w, m, op->b) != 0)
                return;
            take_over(s, m);
        }
        int bad = do_op(w, s, op);
        if (op->flags & TV_PUBLISH)
            publish(s, m, op->b);
        if (bad) {
            __atomic_store_n(&w->shared[SH_ABORT], 1, __ATOMIC_RELAXED);
            return;
        }
        w->ops++;
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    while (!__atomic_load_n(w->go, __ATOMIC_ACQUIRE))
        sched_yield();
    replay_stream(w);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The threaded phase                                                   */
/* ------------------------------------------------------------------ */

static void worker_init(hb_tvm *vm, worker *w, uint32_t t, int *go)
{
    memset(w, 0, sizeof *w);
    w->heap = vm->heap;
    w->slot = (tslot *)vm->slots + vm->sbase[t];
    w->op = vm->ops_by_thread + vm->start[t];
    w->end = vm->ops_by_thread + vm->start[t + 1];
    w->hand = vm->hand + vm->hstart[t];
    w->mail = vm->mail;
    w->mail_stride = vm->mail_stride;
    w->shared = vm->shared;
    w->limit = vm->heap->limit_bytes;
    w->id = t;
    w->go = go;
}

static void sum_workers(hb_tvm *vm, const worker *ws, uint64_t live0)
{
    al_heap *h = vm->heap;
    int64_t live = (int64_t)live0;
    for (uint32_t t = 0; t < vm->nthreads; t++) {
        const worker *w = &ws[t];
        vm->ops += w->ops;
        vm->noops += w->noops;
        vm->allocs += w->allocs;
        vm->bytes += w->bytes;
        vm->frees += w->frees;
        vm->cross_thread_frees += w->cross;
        vm->waits += w->waits;
        h->failed += w->failed;
        live += w->live;
    }
    vm->live_blocks = vm->allocs - vm->frees;
    vm->live_bytes = h->live_bytes = (uint64_t)live;
    uint64_t peak = h->limit_bytes ? vm->shared[SH_PEAK] : live0 + vm->stream_peak;
    if (peak > h->peak_live_bytes)
        h->peak_live_bytes = peak;
    al_heap_recheck(h);
}

uint64_t hb_tvm_run(hb_tvm *vm)
{
    worker *ws = map_zeroed((size_t)vm->nthreads * sizeof(worker));
    int go = 0;
    uint32_t started = 1;
    al_heap *h = vm->heap;
    uint64_t live0 = h->live_bytes;
    if (ws == NULL) {
        vm->status = HB_VM_OOM;
        return 0;
    }
    vm->shared[SH_LIVE] = vm->shared[SH_PEAK] = live0;
    vm->shared[SH_ABORT] = 0;
    for (uint32_t t = 0; t < vm->nthreads; t++)
        worker_init(vm, &ws[t], t, &go);
    for (; started < vm->nthreads; started++)
        if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) != 0)
            break;
    /* Threads that could not start: their ops run here, after thread 0's
     * would deadlock, so none start and the caller sees status OOM. */
    if (started < vm->nthreads)
        vm->shared[SH_ABORT] = 1;
    uint64_t t0 = hb_now_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    if (!vm->shared[SH_ABORT])
        replay_stream(&ws[0]);
    for (uint32_t t = 1; t < started; t++)
        pthread_join(ws[t].tid, NULL);
    uint64_t wall = hb_now_ns() - t0;
    if (vm->shared[SH_ABORT])
        vm->status = HB_VM_OOM;
    sum_workers(vm, ws, live0);
    if (getenv("HB_TVM_DEBUG"))
        fprintf(stderr, "tvm: %llu ns, waits %llu, handovers %llu\n", (unsigned long long)wall, (unsigned long long)vm->waits, (unsigned long long)vm->handovers);
    munmap(ws, (size_t)vm->nthreads * sizeof(worker));
    return wall;
}

void hb_tvm_release(hb_tvm *vm)
{
    tslot *slots = vm->slots;
    for (size_t i = 0; i < vm->nslots; i++) {
        if (slots[i].block != NULL)
            al_free(vm->heap, slots[i].block, slots[i].size);
        slots[i] = (tslot){0};
    }
    /* blocks published but never taken: a run ended early */
    for (uint32_t r = 0; r < vm->nregs; r++) {
        tmail *m = (tmail *)(vm->mail + (size_t)r * vm->mail_stride);
        if (m->block != NULL)
            al_free(vm->heap, m->block, m->size);
    }
    memset(vm->mail, 0, (size_t)vm->nregs * vm->mail_stride);
}

void hb_tvm_free(hb_tvm *vm)
{
    if (vm->streams_map)
        munmap(vm->streams_map, vm->streams_bytes);
    if (vm->hand_map)
        munmap(vm->hand_map, vm->hand_bytes);
    if (vm->regs_map)
        munmap(vm->regs_map, vm->regs_bytes);
    vm->streams_map = vm->hand_map = vm->regs_map = NULL;
    vm->ops_by_thread = NULL;
}

/* ------------------------------------------------------------------ */
/* The GIL model (contract and the hand-over's argument in threads.h)   */
/* ------------------------------------------------------------------ */

typedef struct gil_sync {
    pthread_mutex_t mu;
    pthread_cond_t *cv;   /* [nthreads + 1]: each mutator's, then the feeder's */
    pthread_t *tid;       /* [nthreads] */
    struct gil_arg {
        hb_gvm *g;
        uint32_t id;
    } *arg;               /* [nthreads] */
} gil_sync;

static size_t gil_avail(const hb_gvm *g, uint32_t t)
{
    return g->q[t].len - g->head[t];
}

/* The thread after t round the ring that has a slice to run: with final,
 * the first with ops left (t itself last; nthreads when none has); before
 * it, simply t + 1 (an empty queue then only means "not generated yet"). */
static uint32_t gil_next(const hb_gvm *g, uint32_t t)
{
    uint32_t n = g->nthreads;
    if (!g->final)
        return (t + 1) % n;
    for (uint32_t k = 1; k <= n; k++) {
        uint32_t u = (t + k) % n;
        if (gil_avail(g, u) > 0)
            return u;
    }
    return n;
}

/* The slices from `cur` on, while ops are queued; returns who takes the
 * turn: another mutator, or the feeder (nthreads). */
static uint32_t gil_slices(hb_gvm *g)
{
    uint32_t t = g->cur, feeder = g->nthreads;
    for (;;) {
        size_t k = gil_avail(g, t);
        if (k > g->left)
            k = (size_t)g->left;
        if (k > 0) {
            hb_vm *vm = &g->vms[t];
            size_t done = hb_replay(vm, (const hb_op *)g->q[t].v + g->head[t], k);
            if (g->last != t && done > 0) {
                g->switches += g->last != feeder;
                g->last = t;
            }
            g->head[t] += done;
            g->left -= done;
            if (vm->status == HB_VM_OOM) {
                g->status = HB_VM_OOM;
                return feeder;
            }
        }
        if (g->left > 0 && !g->final)
            return feeder; /* t needs ops not generated yet: same slice next batch */
        uint32_t u = gil_next(g, t);
        if (u == feeder)
            return feeder; /* every stream has ended */
        g->cur = u;
        g->left = g->interval;
        if (gil_avail(g, u) == 0)
            return feeder;
        if (u != t)
            return u;
    }
}

static void gil_hand(gil_sync *s, hb_gvm *g, uint32_t to)
{
    g->turn = to;
    pthread_cond_signal(&s->cv[to]);
}

static void *gil_mutator(void *arg)
{
    struct gil_arg *a = arg;
    hb_gvm *g = a->g;
    gil_sync *s = g->sync;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (g->turn != a->id && !g->quit)
            pthread_cond_wait(&s->cv[a->id], &s->mu);
        if (g->quit)
            break;
        pthread_mutex_unlock(&s->mu);
        uint32_t to = gil_slices(g); /* the GIL held: nobody else runs */
        pthread_mutex_lock(&s->mu);
        gil_hand(s, g, to);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static size_t gil_map_bytes(uint32_t n)
{
    return (size_t)n * (sizeof(hb_vm) + sizeof(hb_vec) + sizeof(size_t) + sizeof(pthread_t) +
                        sizeof(struct gil_arg)) +
           ((size_t)n + 1) * sizeof(pthread_cond_t) + sizeof(gil_sync) + 64;
}

static void gil_carve(hb_gvm *g)
{
    uint32_t n = g->nthreads;
    char *m = g->map;
    gil_sync *s = (gil_sync *)m;
    m += sizeof *s;
    s->cv = (pthread_cond_t *)m;
    m += ((size_t)n + 1) * sizeof(pthread_cond_t);
    g->vms = (hb_vm *)m;
    m += (size_t)n * sizeof(hb_vm);
    g->q = (hb_vec *)m;
    m += (size_t)n * sizeof(hb_vec);
    g->head = (size_t *)m;
    m += (size_t)n * sizeof(size_t);
    s->tid = (pthread_t *)m;
    m += (size_t)n * sizeof(pthread_t);
    s->arg = (struct gil_arg *)m;
    g->sync = s;
}

int hb_gvm_open(hb_gvm *g, uint32_t nthreads, uint64_t interval, hb_err *e)
{
    memset(g, 0, sizeof *g);
    if (nthreads < 1 || nthreads > HB_MAX_THREADS)
        return hb_fail(e, HB_ERR_USAGE, "%u mutator threads, expected 1..%d", nthreads,
                       HB_MAX_THREADS);
    g->nthreads = nthreads;
    g->interval = interval ? interval : HB_GIL_DEFAULT_INTERVAL;
    g->left = g->interval;
    g->turn = g->last = nthreads; /* the feeder holds the GIL */
    g->map_bytes = gil_map_bytes(nthreads);
    g->map = map_zeroed(g->map_bytes);
    if (g->map == NULL)
        return hb_fail(e, HB_ERR_INPUT, "could not map the GIL model's %u mutators", nthreads);
    gil_carve(g);
    gil_sync *s = g->sync;
    pthread_mutex_init(&s->mu, NULL);
    for (uint32_t t = 0; t <= nthreads; t++)
        pthread_cond_init(&s->cv[t], NULL);
    for (uint32_t t = 0; t < nthreads; t++)
        if (hb_vec_init(&g->q[t], sizeof(hb_op), 256) != 0) {
            hb_gvm_close(g);
            return hb_fail(e, HB_ERR_INPUT, "could not map the op queue of mutator %u", t);
        }
    for (; g->started < nthreads; g->started++) {
        s->arg[g->started] = (struct gil_arg){g, g->started};
        if (pthread_create(&s->tid[g->started], NULL, gil_mutator, &s->arg[g->started]) != 0) {
            uint32_t got = g->started;
            hb_gvm_close(g);
            return hb_fail(e, HB_ERR_INPUT, "could not start mutator thread %u of %u", got,
                           nthreads);
        }
    }
    return 0;
}

void hb_gvm_bind(hb_gvm *g, const hb_vm *tmpl)
{
    for (uint32_t t = 0; t < g->nthreads; t++) {
        g->vms[t] = *tmpl;
        g->vms[t].status = HB_VM_OK;
        g->vms[t].ops = g->vms[t].noops = g->vms[t].objects = g->vms[t].bytes = 0;
    }
}

/* The replayed prefix of a queue is dropped once it is half the queue. */
static void gil_compact(hb_vec *q, size_t *head)
{
    if (*head == 0 || *head < q->len / 2)
        return;
    memmove(q->v, (hb_op *)q->v + *head, (q->len - *head) * sizeof(hb_op));
    q->len -= *head;
    *head = 0;
}

size_t hb_gvm_queue(hb_gvm *g, hb_op *ops, size_t n)
{
    size_t bad = hb_ops_check_threads(ops, n, g->nthreads);
    if (bad != n)
        return bad;
    for (uint32_t t = 0; t < g->nthreads; t++)
        gil_compact(&g->q[t], &g->head[t]);
    for (size_t i = 0; i < n; i++) {
        hb_vec *q = &g->q[ops[i].thread];
        if (q->len == q->cap && hb_vec_grow(q) != 0)
            return (size_t)-1;
        ops[i].thread = 0;
        ((hb_op *)q->v)[q->len++] = ops[i];
    }
    return n;
}

int hb_gvm_ready(const hb_gvm *g)
{
    size_t want = g->left < HB_GIL_BATCH ? (size_t)g->left : HB_GIL_BATCH;
    return gil_avail(g, g->cur) >= want;
}

void hb_gvm_run(hb_gvm *g, int final)
{
    gil_sync *s = g->sync;
    uint32_t feeder = g->nthreads;
    if (g->status == HB_VM_OOM)
        return;
    pthread_mutex_lock(&s->mu);
    g->final = final;
    gil_hand(s, g, g->cur);
    while (g->turn != feeder)
        pthread_cond_wait(&s->cv[feeder], &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void hb_gvm_sum(const hb_gvm *g, hb_vm *out)
{
    out->ops = out->noops = out->objects = out->bytes = 0;
    for (uint32_t t = 0; t < g->nthreads; t++) {
        out->ops += g->vms[t].ops;
        out->noops += g->vms[t].noops;
        out->objects += g->vms[t].objects;
        out->bytes += g->vms[t].bytes;
    }
}

uint64_t hb_gvm_queue_bytes(const hb_gvm *g)
{
    uint64_t b = 0;
    for (uint32_t t = 0; g->map && t < g->nthreads; t++)
        b += hb_resident_bytes(g->q[t].v, g->q[t].cap * sizeof(hb_op));
    return b;
}

void hb_gvm_close(hb_gvm *g)
{
    if (g->map == NULL)
        return;
    gil_sync *s = g->sync;
    pthread_mutex_lock(&s->mu);
    g->quit = 1;
    for (uint32_t t = 0; t < g->nthreads; t++)
        pthread_cond_signal(&s->cv[t]);
    pthread_mutex_unlock(&s->mu);
    for (uint32_t t = 0; t < g->started; t++)
        pthread_join(s->tid[t], NULL);
    for (uint32_t t = 0; t < g->nthreads; t++)
        hb_vec_fini(&g->q[t]);
    for (uint32_t t = 0; t <= g->nthreads; t++)
        pthread_cond_destroy(&s->cv[t]);
    pthread_mutex_destroy(&s->mu);
    munmap(g->map, g->map_bytes);
    g->map = NULL;
}
