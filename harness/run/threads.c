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

/* Spins on a register before yielding the CPU: a hand-over is normally a
 * few hundred nanoseconds away, but with more threads than cores the
 * thread that must go first may not be running at all. */
#define HB_SPINS_BEFORE_YIELD 128

static void *map_zeroed(size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
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

static int map_streams(hb_tvm *vm, size_t n)
{
    vm->map_bytes = n * sizeof(hb_op) + ((size_t)vm->nthreads + 1) * sizeof(size_t);
    char *m = map_zeroed(vm->map_bytes);
    if (m == NULL)
        return -1;
    vm->ops_by_thread = (hb_op *)m;
    vm->start = (size_t *)(m + n * sizeof(hb_op));
    return 0;
}

static int map_registers(hb_tvm *vm)
{
    size_t r = vm->nregs;
    vm->regs_bytes = r * (sizeof(void *) + 2 * sizeof(uint32_t) + 1);
    vm->regs_map = map_zeroed(vm->regs_bytes);
    if (vm->regs_map == NULL)
        return -1;
    vm->blocks = (void **)vm->regs_map;
    vm->sizes = (uint32_t *)(vm->regs_map + r * sizeof(void *));
    vm->version = vm->sizes + r;
    vm->owner = (uint8_t *)(vm->version + r);
    return 0;
}

/* Each thread's ops, in global order, stamped with their register's
 * version; version[] is used as the stamp counter and left at zero. */
static void split_and_stamp(hb_tvm *vm, const hb_op *ops, size_t n)
{
    size_t *at = vm->start;
    for (size_t i = 0; i < n; i++)
        at[ops[i].thread + 1]++;
    for (uint32_t t = 0; t < vm->nthreads; t++)
        at[t + 1] += at[t];
    size_t fill[HB_MAX_THREADS + 1];
    memcpy(fill, at, ((size_t)vm->nthreads + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++) {
        hb_op op = ops[i];
        op.b = vm->version[op.a]++;
        vm->ops_by_thread[fill[op.thread]++] = op;
    }
    memset(vm->version, 0, (size_t)vm->nregs * sizeof(uint32_t));
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
    if (map_streams(vm, n) != 0 || map_registers(vm) != 0) {
        hb_tvm_free(vm);
        return hb_fail(e, HB_ERR_INPUT, "could not map %zu ops for %u threads", n, vm->nthreads);
    }
    split_and_stamp(vm, ops, n);
    return 0;
}

/* ------------------------------------------------------------------ */
/* One thread's replay (timed)                                          */
/* ------------------------------------------------------------------ */

/* What one thread counts, on its own cache lines. */
typedef struct worker {
    hb_tvm *vm;
    uint32_t id;
    pthread_t tid;
    int *go;
    uint64_t ops, noops, allocs, bytes, frees, cross, waits, failed;
    char pad[64];
} worker;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Waits until register r reaches version v; -1 when another thread ran out
 * of memory (the op it waits for will never come). */
static int wait_turn(worker *w, uint32_t r, uint32_t v)
{
    hb_tvm *vm = w->vm;
    if (__atomic_load_n(&vm->version[r], __ATOMIC_ACQUIRE) == v)
        return 0;
    w->waits++;
    for (unsigned spins = 0; __atomic_load_n(&vm->version[r], __ATOMIC_ACQUIRE) != v; spins++) {
        if (__atomic_load_n(&vm->abort_shared, __ATOMIC_RELAXED))
            return -1;
        if (spins < HB_SPINS_BEFORE_YIELD)
            cpu_relax();
        else
            sched_yield();
    }
    return 0;
}

/* The heap's live bytes, shared: refuses past the limit as al_alloc does. */
static int live_grow(hb_tvm *vm, uint64_t bytes)
{
    uint64_t now = __atomic_add_fetch(&vm->live_shared, bytes, __ATOMIC_RELAXED);
    uint64_t limit = vm->heap->limit_bytes;
    if (limit && now > limit) {
        __atomic_sub_fetch(&vm->live_shared, bytes, __ATOMIC_RELAXED);
        return -1;
    }
    uint64_t peak = __atomic_load_n(&vm->peak_shared, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&vm->peak_shared, &peak, now, 1,
                                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
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
    hb_tvm *vm = w->vm;
    size_t size = bytes ? bytes : 1;
    if (live_grow(vm, size) != 0) {
        w->failed++;
        return NULL;
    }
    void *p = al_call_alloc(vm->heap, size); /* al_alloc's call, books apart */
    if (p == NULL) {
        __atomic_sub_fetch(&vm->live_shared, size, __ATOMIC_RELAXED);
        w->failed++;
        return NULL;
    }
    tsan_block_taken(p);
    touch_pages(p, bytes);
    w->allocs++;
    w->bytes += bytes;
    return p;
}

static void drop_block(worker *w, uint32_t r)
{
    hb_tvm *vm = w->vm;
    size_t size = vm->sizes[r] ? vm->sizes[r] : 1;
    al_poison_(vm->blocks[r], size);
    tsan_block_freed(vm->blocks[r]);
    al_call_free(vm->heap, vm->blocks[r], size);
    __atomic_sub_fetch(&vm->live_shared, size, __ATOMIC_RELAXED);
    w->frees++;
    w->cross += vm->owner[r] != w->id;
    vm->blocks[r] = NULL;
}

static void hold_block(worker *w, uint32_t r, void *p, uint32_t bytes)
{
    w->vm->blocks[r] = p;
    w->vm->sizes[r] = bytes;
    w->vm->owner[r] = (uint8_t)w->id;
}

/* REALLOC of a held block: always a move, as replay.c does it. */
static int move_block(worker *w, uint32_t r, uint32_t bytes)
{
    hb_tvm *vm = w->vm;
    uint32_t old = vm->sizes[r];
    void *p = take_block(w, bytes);
    if (p == NULL)
        return -1;
    memcpy(p, vm->blocks[r], old < bytes ? old : bytes);
    drop_block(w, r);
    hold_block(w, r, p, bytes);
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
static int do_op(worker *w, const hb_op *op)
{
    hb_tvm *vm = w->vm;
    void *p;
    switch (op->code) {
    case HB_OP_MALLOC:
        if (vm->blocks[op->a] != NULL) {
            w->noops++;
            return 0;
        }
        if ((p = take_block(w, op->c)) == NULL)
            return -1;
        hold_block(w, op->a, p, op->c);
        return 0;
    case HB_OP_FREE:
        if (vm->blocks[op->a] != NULL)
            drop_block(w, op->a);
        else
            w->noops++;
        return 0;
    case HB_OP_REALLOC:
        if (vm->blocks[op->a] != NULL)
            return move_block(w, op->a, op->c);
        if ((p = take_block(w, op->c)) == NULL)
            return -1;
        hold_block(w, op->a, p, op->c);
        return 0;
    case HB_OP_TOUCH:
        if (vm->blocks[op->a] != NULL)
            scratch_block(vm->blocks[op->a], vm->sizes[op->a], op->c);
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
    hb_tvm *vm = w->vm;
    const hb_op *op = vm->ops_by_thread + vm->start[w->id];
    const hb_op *end = vm->ops_by_thread + vm->start[w->id + 1];
    for (; op < end; op++) {
        if (wait_turn(w, op->a, op->b) != 0)
            return;
        int bad = do_op(w, op);
        __atomic_store_n(&vm->version[op->a], op->b + 1, __ATOMIC_RELEASE);
        if (bad) {
            __atomic_store_n(&vm->abort_shared, 1, __ATOMIC_RELAXED);
            __atomic_store_n(&vm->status, HB_VM_OOM, __ATOMIC_RELAXED); /* read after the join */
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

static void sum_workers(hb_tvm *vm, const worker *ws)
{
    for (uint32_t t = 0; t < vm->nthreads; t++) {
        const worker *w = &ws[t];
        vm->ops += w->ops;
        vm->noops += w->noops;
        vm->allocs += w->allocs;
        vm->bytes += w->bytes;
        vm->frees += w->frees;
        vm->cross_thread_frees += w->cross;
        vm->waits += w->waits;
        vm->heap->allocs += w->allocs;
        vm->heap->frees += w->frees;
        vm->heap->failed += w->failed;
    }
    vm->live_blocks = vm->heap->allocs - vm->heap->frees;
    vm->live_bytes = vm->live_shared;
    vm->heap->live_bytes = vm->live_shared;
    if (vm->peak_shared > vm->heap->peak_live_bytes)
        vm->heap->peak_live_bytes = vm->peak_shared;
}

uint64_t hb_tvm_run(hb_tvm *vm)
{
    worker ws[HB_MAX_THREADS];
    int go = 0;
    uint32_t started = 1;
    al_heap *h = vm->heap;
    vm->live_shared = h->live_bytes;
    vm->peak_shared = h->peak_live_bytes;
    vm->abort_shared = 0;
    memset(ws, 0, (size_t)vm->nthreads * sizeof ws[0]);
    for (uint32_t t = 0; t < vm->nthreads; t++)
        ws[t] = (worker){.vm = vm, .id = t, .go = &go};
    for (; started < vm->nthreads; started++)
        if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) != 0)
            break;
    /* Threads that could not start: their ops run here, after thread 0's
     * would deadlock, so none start and the caller sees status OOM. */
    if (started < vm->nthreads)
        vm->abort_shared = 1;
    uint64_t t0 = hb_now_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    if (!vm->abort_shared)
        replay_stream(&ws[0]);
    for (uint32_t t = 1; t < started; t++)
        pthread_join(ws[t].tid, NULL);
    uint64_t wall = hb_now_ns() - t0;
    if (started < vm->nthreads)
        vm->status = HB_VM_OOM;
    sum_workers(vm, ws);
    return wall;
}

void hb_tvm_release(hb_tvm *vm)
{
    for (uint32_t r = 0; r < vm->nregs; r++) {
        if (vm->blocks[r] != NULL)
            al_free(vm->heap, vm->blocks[r], vm->sizes[r]);
        vm->blocks[r] = NULL;
    }
    memset(vm->version, 0, (size_t)vm->nregs * sizeof(uint32_t));
    memset(vm->owner, 0, vm->nregs);
}

void hb_tvm_free(hb_tvm *vm)
{
    if (vm->ops_by_thread)
        munmap(vm->ops_by_thread, vm->map_bytes);
    if (vm->regs_map)
        munmap(vm->regs_map, vm->regs_bytes);
    vm->ops_by_thread = NULL;
    vm->regs_map = NULL;
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
        b += (uint64_t)g->q[t].cap * sizeof(hb_op);
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
