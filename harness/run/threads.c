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
    void *p = vm->heap->b->alloc(vm->heap->ctx, size);
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
    vm->heap->b->free(vm->heap->ctx, vm->blocks[r], size);
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
