/*
 * harness/run/replay.h -- the replay loop: one op stream, one collector, one heap.
 *
 * The loop is a switch over op codes calling the collector's table; it is
 * the only code between the op stream and the collector, and its own cost
 * per op is measured by heapbench-micro's replay_overhead benchmark against
 * a loop that makes the same calls directly.
 */
#ifndef HB_REPLAY_H
#define HB_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/collector.h"
#include "harness/core/ops.h"

enum hb_vm_status { HB_VM_OK = 0, HB_VM_OOM = 1 };

typedef struct hb_vm {
    const gc_strategy *gs;
    void *gc;
    hb_obj **regs;
    uint32_t nregs;
    int status;        /* enum hb_vm_status */
    uint32_t phase;    /* the last PHASE marker */
    uint64_t ops;      /* ops replayed */
    uint64_t noops;    /* ops that did nothing (empty register, slot past the end) */
    uint64_t objects;  /* objects allocated */
    uint64_t bytes;    /* bytes requested for them, headers included */
    /* Optional: called at each PHASE op, outside nothing (the caller decides
     * what it times). */
    void (*on_phase)(struct hb_vm *vm, uint32_t phase);
    void *arg;
} hb_vm;

/*
 * Replays ops[0..n), which must have passed hb_ops_validate for vm->nregs.
 * Returns the number of ops replayed: n, or fewer when an allocation failed
 * (vm->status == HB_VM_OOM; the failing op is not counted).  Allocator-trace
 * ops (MALLOC, FREE, REALLOC) are no-ops here.
 */
size_t hb_replay(hb_vm *vm, const hb_op *ops, size_t n);

/*
 * Allocator traces (kind 2): a register file of raw blocks, no collector.
 *   MALLOC r n   r := al_alloc(n)      (r already holding a block: a no-op)
 *   FREE r       al_free(r); r := NULL (r empty: a no-op, as free(NULL))
 *   REALLOC r n  r empty: as MALLOC; else a new block of n, min(old, n)
 *                bytes copied, the old block freed -- always a move, so
 *                every backend does the same work whatever it could do in
 *                place
 * Every new block is written once, whole (REALLOC's new bytes past the
 * copy likewise), as the program that asked for it would fill it: without
 * that a backend that keeps its metadata apart from its blocks would show a
 * resident footprint below live bytes, pages a real program would have
 * touched.  NEW in hb_replay writes the object's payload in full for the
 * same reason.
 * Invariants: live_blocks == number of non-NULL blocks[i];
 * live_bytes == sum of sizes[i] over them.
 *
 * Books off the clock.  What a chunk of ops does to the books (the live
 * bytes after each op and at its height -- REALLOC holds both blocks at
 * once --, the counts) follows from the ops and the register file alone,
 * not from the backend, so hb_alloc_plan works it out before the chunk is
 * timed, on a shadow of the register file (each register's size + 1, 0
 * empty).  hb_alloc_replay then calls the backend with nothing else on the
 * clock (al_call_alloc/al_call_free: the table call every backend pays)
 * and writes the planned books into the heap between stretches.  The ops
 * where the heap's own checks could act -- an allocation that takes live
 * bytes past the limit or the watch (al_heap) as they stood when the chunk
 * was planned, and after such an op, any op while the watch is due -- are
 * replayed through an al_cursor instead, so the limit refuses, the peak
 * and the watch fire exactly where al_alloc and al_free would have them,
 * with the books as they stand at that op.  The watch only rises during a
 * chunk (run.c's on_high), so the planned stops are a superset of the ops
 * that need them; should it fall (or the limit), the rest of the chunk goes
 * through the cursor.
 */
#define HB_AVM_PLAN_OPS 4096 /* ops one plan covers */

typedef struct hb_avm_plan {
    size_t n;            /* ops planned; hb_alloc_replay takes exactly these */
    size_t nstops;       /* ops[stop[i]] go through the cursor */
    uint64_t live0;      /* the heap's live bytes before ops[0] */
    uint64_t thr;        /* the stops are the allocations that pass this */
    uint64_t allocs, bytes, noops; /* the chunk's counts */
    int64_t blocks, req; /* its change to live_blocks and live_bytes */
    uint64_t live[HB_AVM_PLAN_OPS]; /* the heap's live bytes after ops[k] */
    uint64_t peak[HB_AVM_PLAN_OPS]; /* the most at any moment of ops[0..k] */
    uint32_t stop[HB_AVM_PLAN_OPS];
    uint8_t does[HB_AVM_PLAN_OPS];  /* 1: ops[k] is not a no-op */
} hb_avm_plan;

typedef struct hb_avm {
    al_heap *heap;
    void **blocks;   /* per register: the block, or NULL */
    uint32_t *sizes; /* per register: the size it was asked for */
    uint32_t *shadow; /* per register: as planned, size + 1 (0: empty) */
    hb_avm_plan *plan;
    uint32_t nregs;
    int status;      /* enum hb_vm_status */
    uint64_t ops, noops;
    uint64_t allocs; /* blocks allocated (MALLOC, and REALLOC's new block) */
    uint64_t bytes;  /* bytes asked for them */
    uint64_t live_blocks, live_bytes;
} hb_avm;

/* Maps (zeroed, written) the register file, its shadow and the plan of a
 * vm on heap h; 0, or -1 out of memory.  hb_avm_fini unmaps them. */
int hb_avm_init(hb_avm *vm, al_heap *h, uint32_t nregs);
void hb_avm_fini(hb_avm *vm);

/* Plans ops[0..n), n <= HB_AVM_PLAN_OPS, which must have passed
 * hb_ops_validate for vm->nregs: the next hb_alloc_replay replays them. */
void hb_alloc_plan(hb_avm *vm, const hb_op *ops, size_t n);

/* Replays ops[0..n), planned by hb_alloc_plan (if they were not, it plans
 * them itself, the plan then inside the caller's clock, HB_AVM_PLAN_OPS at
 * a time); returns the ops replayed: n, or fewer when an allocation failed
 * (vm->status == HB_VM_OOM; the failing op is not counted). */
size_t hb_alloc_replay(hb_avm *vm, const hb_op *ops, size_t n);

/* Frees every block still held (the trace's unfreed blocks). */
void hb_avm_release(hb_avm *vm);

/* Bytes a NEW op asks the allocator for, collector header included. */
static inline uint64_t hb_new_bytes(const gc_strategy *gs, uint32_t nrefs, uint32_t payload)
{
    return gs->header_bytes + hb_obj_body_bytes(nrefs, payload);
}

#endif
