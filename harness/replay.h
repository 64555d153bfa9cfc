/*
 * harness/replay.h -- the replay loop: one op stream, one collector, one heap.
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
#include "harness/ops.h"

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

/* Bytes a NEW op asks the allocator for, collector header included. */
static inline uint64_t hb_new_bytes(const gc_strategy *gs, uint32_t nrefs, uint32_t payload)
{
    return gs->header_bytes + hb_obj_body_bytes(nrefs, payload);
}

#endif
