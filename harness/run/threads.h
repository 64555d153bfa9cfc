/*
 * harness/run/threads.h -- run core: an allocator stream replayed on N OS
 * threads, the order that matters kept.
 *
 * The input is one stream of allocator ops (MALLOC, FREE, REALLOC) in a
 * global order, each op tagged with its thread (harness/core/ops.h): a
 * generator's interleaving, or a recorded program's calls in the order the
 * recorder saw them.  Before timing, hb_tvm_prepare splits it into one
 * stream per thread and stamps each op with its register's version: the
 * number of ops on that register before it in the global order (kept in
 * the op's b, which allocator ops do not use).
 *
 * The timed phase (hb_tvm_run) starts every thread at once; each replays
 * its own ops, and before an op on register r it waits until r's version
 * reaches the op's stamp (an acquire load; spin, then sched_yield), does
 * the op, and stores stamp + 1 (a release store).  Why this is enough:
 *   - only ops on the same register conflict (a block lives in one
 *     register), so keeping each register's order keeps every edge that
 *     matters: a block is freed only after its allocation happened, and a
 *     register is reused only after its block was freed, on any thread;
 *   - ops on different registers commute, so the threads are free to run
 *     them in any order and at full speed between hand-overs;
 *   - it cannot deadlock: the globally earliest op not yet done always has
 *     every earlier op on its register done, so its thread can go on;
 *   - it is deterministic: every FREE frees the block of the same MALLOC on
 *     the same thread, every replay (the figures may vary, the frees not).
 * The release/acquire pair on the version is also what makes the block
 * pointer and size of the register visible to the next thread (no data
 * race: clean under ThreadSanitizer).
 *
 * A cross-thread free is a FREE (or REALLOC's release of the old block) on
 * another thread than the one that allocated the block; they are counted.
 *
 * Accounting: each thread keeps its own counts, summed after the join; the
 * heap's live bytes, their peak and the heap limit are one shared relaxed
 * atomic (every backend pays it alike).  After hb_tvm_run the heap's
 * wrapper counters (al_heap) hold the totals, as if al_alloc had counted.
 */
#ifndef HB_RUN_THREADS_H
#define HB_RUN_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"
#include "harness/core/err.h"
#include "harness/core/ops.h"

#define HB_MAX_THREADS 255

typedef struct hb_tvm {
    al_heap *heap;
    uint32_t nregs, nthreads;
    int status;                /* enum hb_vm_status (replay.h) */
    /* totals, after hb_tvm_run */
    uint64_t ops, noops, allocs, bytes, frees;
    uint64_t cross_thread_frees;
    uint64_t waits;            /* ops that found their register not ready */
    uint64_t live_blocks, live_bytes;
    /* private */
    hb_op *ops_by_thread;      /* the streams, one after the other */
    size_t *start;             /* [nthreads + 1]: thread t's ops are [start[t], start[t+1]) */
    size_t nops;
    void **blocks;
    uint32_t *sizes, *version;
    uint8_t *owner;            /* the thread that allocated the register's block */
    size_t map_bytes, regs_bytes;
    char *regs_map;
    uint64_t live_shared, peak_shared; /* atomics */
    int abort_shared;                  /* atomic: a thread ran out of memory */
} hb_tvm;

/*
 * Splits ops[0..n) (global order, already checked: registers < nregs) into
 * per-thread streams with their version stamps; untimed.  0, or -1 with e
 * (an op's thread is not below nthreads, or no memory).
 */
int hb_tvm_prepare(hb_tvm *vm, al_heap *heap, const hb_op *ops, size_t n, uint32_t nregs,
                   uint32_t nthreads, hb_err *e);

/* Replays every stream on its thread (the calling thread is thread 0);
 * returns the wall time of the threaded phase in ns.  May be called again
 * after hb_tvm_release: the same blocks are freed by the same threads. */
uint64_t hb_tvm_run(hb_tvm *vm);

/* Frees every block still held (untimed, on the calling thread) and resets
 * the registers for another run. */
void hb_tvm_release(hb_tvm *vm);

/* Unmaps everything prepare mapped. */
void hb_tvm_free(hb_tvm *vm);

/* The thread numbers in ops[0..n) are all below nthreads: n, or the index
 * of the first op past it. */
size_t hb_ops_check_threads(const hb_op *ops, size_t n, uint32_t nthreads);

#endif
