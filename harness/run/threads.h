/*
 * harness/run/threads.h -- run core: an allocator stream replayed on N OS
 * threads, the order that matters kept; and collector workloads' mutators
 * on N OS threads in the GIL model (below: hb_gvm).
 *
 * The input is one stream of allocator ops (MALLOC, FREE, REALLOC, TOUCH)
 * in a global order, each op tagged with its thread (harness/core/ops.h): a
 * generator's interleaving, or a recorded program's calls in the order the
 * recorder saw them.  Before timing, hb_tvm_prepare splits it into one
 * stream per thread and marks the hand-overs: an op whose register's
 * previous op (in the global order) ran on another thread WAITs for it; an
 * op whose register's next op runs on another thread PUBLISHes.  Each
 * thread has its own register file (its registers renumbered densely, on
 * pages of its own), so between hand-overs it touches no line another
 * thread writes -- as a native program's threads keep their blocks in
 * their own arrays.  A hand-over goes through the register's mailbox (its
 * own cache line while the mailboxes fit 16 MiB): the publisher moves the
 * register's block, size and owner into it and stores its version (a
 * release store; the version counts the register's hand-overs so far); the
 * waiter spins (then sched_yields) on an acquire load until the version is
 * the one prepare stamped on its op, and moves the block into its own
 * register file.  Why this is enough:
 *   - only ops on the same register conflict (a block lives in one
 *     register); ops on one thread run in its order, and every change of
 *     thread on a register is a publish-wait pair, so each register's order
 *     is kept: a block is freed only after its allocation happened, and a
 *     register is reused only after its block was freed, on any thread;
 *   - ops on different registers commute, so the threads are free to run
 *     them in any order and at full speed between hand-overs;
 *   - it cannot deadlock: the globally earliest op not yet done always has
 *     every earlier op on its register done, so its thread can go on;
 *   - it is deterministic: every FREE frees the block of the same MALLOC on
 *     the same thread, every replay (the figures may vary, the frees not);
 *   - the version, not a full/empty flag, names the hand-over: with three
 *     threads or more a later receiver must not take an earlier one's block.
 * The release/acquire pair on the version is also what makes the block
 * pointer and size visible to the next thread (no data race: clean under
 * ThreadSanitizer).
 *
 * A cross-thread free is a FREE (or REALLOC's release of the old block) on
 * another thread than the one that allocated the block; they are counted.
 *
 * Accounting: each thread keeps its own counts and its own signed sum of
 * live bytes, on its own cache lines, summed after the join: nothing shared
 * is written per op, as a native program writes nothing shared.  The peak
 * of live bytes is not sampled from the threads: prepare computes it exactly
 * and untimed from the global order (the sizes are in the ops) -- the peak
 * of the interleaving the stream describes, the same on every run, which a
 * one-thread replay of the stream would also find.  A heap limit, when set,
 * needs one shared count to refuse past it: then (only then) every alloc
 * and free adds to a shared relaxed atomic, and the peak is that count's.
 * A run that ends early (out of memory, no limit) keeps the whole stream's
 * peak.  After hb_tvm_run the heap's wrapper counters (al_heap) hold the
 * totals, as if al_alloc had counted.
 */
#ifndef HB_RUN_THREADS_H
#define HB_RUN_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"
#include "harness/core/err.h"
#include "harness/core/mem.h"
#include "harness/core/ops.h"
#include "harness/run/replay.h"

#define HB_MAX_THREADS 255

/*
 * The prepared streams, as heapbench-native's threaded reference reads them
 * (the same ops and hand-over points, replayed by a plain loop): thread t's
 * ops are ops_by_thread[start[t] .. start[t+1]), each with a = its register
 * in t's own file (sbase[t+1] - sbase[t] registers), b = the register's
 * hand-overs before it, and flags: HB_TV_WAIT (wait until the mailbox's
 * version is b, then take its block), HB_TV_PUBLISH (after the op, put the
 * block in the mailbox and store version b + 1).  Every op with a flag has
 * one hand-over record, hand[hstart[t] ..] in t's order: its mailbox (the
 * register's number in the stream).
 */
enum { HB_TV_WAIT = 1, HB_TV_PUBLISH = 2 };

typedef struct hb_tvm {
    al_heap *heap;
    uint32_t nregs, nthreads;
    int status;                /* enum hb_vm_status (replay.h) */
    /* totals, after hb_tvm_run */
    uint64_t ops, noops, allocs, bytes, frees;
    uint64_t cross_thread_frees;
    uint64_t waits;            /* hand-overs that found their register not ready */
    uint64_t handovers;        /* ops that wait for another thread's op (prepare) */
    uint64_t live_blocks, live_bytes;
    uint64_t stream_peak;      /* peak live bytes of the stream in global order (prepare) */
    size_t map_bytes, regs_bytes; /* what prepare mapped: streams, registers */
    /* private */
    hb_op *ops_by_thread;      /* the streams, one after the other */
    size_t *start;             /* [nthreads + 1]: thread t's ops are [start[t], start[t+1]) */
    size_t *hstart;            /* [nthreads + 1]: thread t's hand-over records */
    size_t *sbase;             /* [nthreads + 1]: thread t's slots, in slots from slots */
    uint32_t *hand;            /* a hand-over op's register, in each thread's order */
    size_t nops, nhand, nslots;
    void *slots;               /* every thread's register file, each on its own pages */
    char *mail;                /* [nregs] hand-over mailboxes, mail_stride bytes each */
    size_t mail_stride;
    uint64_t *shared;          /* the limit's live bytes, peak, abort: own cache lines */
    char *streams_map, *hand_map, *regs_map;
    size_t streams_bytes, hand_bytes;
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

/*
 * The GIL model: a collector workload's mutators (one op stream per thread,
 * each on its own registers: workloads/mutators.h) on N OS threads, one at
 * a time, as CPython's threads take turns on its global interpreter lock.
 *
 * Who runs.  The GIL is a turn: `turn` names the one thread that may touch
 * the collector, the heap and the registers -- a mutator 0..N-1, or the
 * feeder (N: the run's own thread, which generates ops, samples the heap
 * and runs the oracle between batches).  A thread that is not on turn
 * sleeps on its own condition variable; the holder hands over by setting
 * `turn` under the mutex and signalling exactly the next thread's
 * variable.  Why a turn and not a bare mutex: a mutex lets the thread
 * that just released it take it straight back (the convoy CPython's old
 * GIL had and its 3.2 GIL fixed with forced switching), so a mutator could
 * starve; a turn handed round the ring is fair by construction -- each
 * mutator with ops left runs its slice in order, so every thread
 * progresses -- and one wake-up per hand-over, not a thundering herd.  The
 * mutex's lock and unlock order each holder's writes before the next
 * holder's reads (clean under ThreadSanitizer, no atomics needed).
 *
 * When it switches.  A mutator runs `interval` ops (its slice), then the
 * turn goes to the next thread round the ring that still has ops; a
 * mutator whose stream has ended drops out.  Switching by op count, not by
 * time as CPython does (5 ms), makes the interleaving a function of the
 * streams and the interval alone: the same ops run in the same order on
 * every run and every machine.  A collection runs inside the slice of the
 * mutator whose allocation triggered it, with the GIL held: every other
 * mutator is asleep, so the world is stopped with no handshake, and the
 * roots are every thread's registers (one register file).
 *
 * Feeding.  The feeder queues each chunk's ops on their threads (untimed),
 * and hands the turn to the slice's mutator once it has ops enough for a
 * good stretch (hb_gvm_ready); the run goes on, from mutator to mutator,
 * until the one on turn needs ops not generated yet -- then the turn comes
 * back to the feeder, and the same mutator resumes the same slice in the
 * next batch.  So where batches end changes nothing in the order of ops.
 * The queues hold about interval x threads ops (16 bytes each).
 *
 * `switches` counts the hand-overs between two mutators: the times a
 * mutator replayed an op after another one had.
 */
#define HB_GIL_DEFAULT_INTERVAL 100000
#define HB_GIL_BATCH 65536 /* ops on turn that make a batch worth starting */

typedef struct hb_gvm {
    uint32_t nthreads;
    uint64_t interval;
    int status;         /* enum hb_vm_status: HB_VM_OOM once a mutator ran out */
    uint64_t switches;
    /* private: the schedule (touched by the holder of the GIL only) */
    hb_vm *vms;         /* [nthreads]: each mutator's counters */
    hb_vec *q;          /* [nthreads]: its queued ops */
    size_t *head;       /* [nthreads]: the first not yet replayed */
    uint32_t cur;       /* whose slice it is */
    uint32_t last;      /* who replayed the last op (nthreads: nobody yet) */
    uint64_t left;      /* ops left in the slice */
    int final;          /* every op is queued: an empty queue is an ended stream */
    /* private: the GIL */
    void *sync;         /* mutex, condition variables, threads */
    uint32_t turn, started;
    int quit;
    char *map;
    size_t map_bytes;
} hb_gvm;

/* Maps the schedule and starts the nthreads mutators (asleep until a batch);
 * interval 0: HB_GIL_DEFAULT_INTERVAL.  0, or -1 with e. */
int hb_gvm_open(hb_gvm *g, uint32_t nthreads, uint64_t interval, hb_err *e);
/* Every mutator's vm becomes a copy of tmpl (collector, registers, hooks),
 * its counters zero. */
void hb_gvm_bind(hb_gvm *g, const hb_vm *tmpl);
/* Queues ops[0..n) on their threads (the feeder, untimed) and sets their
 * thread to zero, as the one-thread replay and hb_ops_validate read them.
 * n, or the index of the first op whose thread is not below nthreads; -1
 * (as size_t) when a queue could not grow. */
size_t hb_gvm_queue(hb_gvm *g, hb_op *ops, size_t n);
/* The mutator on turn has ops enough to start a batch. */
int hb_gvm_ready(const hb_gvm *g);
/* One batch: the turn goes to the mutators and comes back when the one on
 * turn needs ops not queued yet -- or, with final (every op queued), when
 * every stream has ended or a mutator ran out of memory. */
void hb_gvm_run(hb_gvm *g, int final);
/* The mutators' counters summed into out (ops, noops, objects, bytes). */
void hb_gvm_sum(const hb_gvm *g, hb_vm *out);
/* Resident bytes of the queues' mappings (the harness's, off the footprint;
 * the mapped capacity is up to twice what was ever written). */
uint64_t hb_gvm_queue_bytes(const hb_gvm *g);
/* Stops and joins the mutators, unmaps everything. */
void hb_gvm_close(hb_gvm *g);

#endif
