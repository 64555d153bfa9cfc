/*
 * harness/run/oracle.h -- reachability computed independently of any collector,
 * for the leak report and for the debug oracle.
 *
 * The oracle sits between a collector and its heap as an allocator shim: it
 * records every live block, so that after each collection it can check,
 * without trusting the collector:
 *   - no object reachable from the registers was freed (a register or slot
 *     that names a block the allocator no longer holds is reported, and is
 *     never dereferenced);
 *   - after a complete collection, every unreachable object was freed;
 *   - where the collector keeps reference counts, each equals the number of
 *     references to the object from registers and live objects' slots;
 *   - a finalizer runs at most once per object, on a live object.
 * It is for tests and --oracle runs: every check walks the heap.
 */
#ifndef HB_ORACLE_H
#define HB_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"

/* Objects and bytes (hb_obj_bytes with header_bytes) reachable from regs.
 * Returns 0, or -1 if it ran out of memory. */
int hb_reachable(hb_obj *const *regs, size_t nregs, size_t header_bytes,
                 uint64_t *objects, uint64_t *bytes);

typedef struct hb_oracle hb_oracle;

/* An oracle over the real heap `real`.  Install it with hb_oracle_heap(),
 * which fills `shim` so that allocations pass through the oracle. */
hb_oracle *hb_oracle_new(al_heap *real, size_t header_bytes);
void hb_oracle_heap(hb_oracle *o, al_heap *shim);
void hb_oracle_free(hb_oracle *o);

/* Checks the heap now; `complete` says every unreachable object must be gone.
 * Returns the number of violations found by this check. */
uint64_t hb_oracle_check(hb_oracle *o, const gc_strategy *gs, void *gc,
                         hb_obj *const *regs, size_t nregs, int complete);
/* Call from the finalize callback. */
void hb_oracle_finalizing(hb_oracle *o, hb_obj *obj);

uint64_t hb_oracle_violations(const hb_oracle *o);
uint64_t hb_oracle_checks(const hb_oracle *o);
/* The first violation's description, or "" when there was none. */
const char *hb_oracle_first(const hb_oracle *o);

#endif
