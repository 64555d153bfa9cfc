/*
 * harness/run/replay.c -- the interpreter of the mutator instruction set.
 *
 * Each op turns into at most one call through the collector's table; the
 * checks that make any validated stream safe (empty register, slot index
 * past the object) are one compare each and are counted as no-ops, never
 * skipped silently.  A second, smaller loop replays allocator traces (real
 * programs' malloc calls) straight against a heap.
 */
#include "harness/run/replay.h"

#include <string.h>

static inline hb_obj *slot_owner(hb_obj *o, uint32_t i)
{
    return (o != NULL && i < o->nrefs) ? o : NULL;
}

/* RESIZE for a collector without its own: a new object, the slots copied
 * by field stores, then the register moved to it.  The new object is held
 * by a local only between new_obj and the register write, where nothing
 * collects (collector.h). */
static hb_obj *resize_by_copy(const gc_strategy *gs, void *gc, hb_obj **reg, uint32_t nrefs)
{
    hb_obj *o = *reg, *tmp = NULL;
    hb_obj *n = gs->new_obj(gc, &tmp, o->kind, o->flags, nrefs, o->payload);
    if (n == NULL)
        return NULL;
    for (uint32_t i = 0; i < nrefs && i < o->nrefs; i++)
        gs->field_store(gc, n, i, o->refs[i]);
    memcpy(hb_obj_payload(n), hb_obj_payload(o), o->payload);
    gs->reg_write(gc, reg, n);
    gs->reg_write(gc, &tmp, NULL);
    return n;
}

size_t hb_replay(hb_vm *vm, const hb_op *ops, size_t n)
{
    const gc_strategy *gs = vm->gs;
    void *gc = vm->gc;
    hb_obj **regs = vm->regs;
    uint64_t noops = 0, objects = 0, bytes = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        const hb_op *op = &ops[i];
        hb_obj *o;
        switch (op->code) {
        case HB_OP_NEW:
            o = gs->new_obj(gc, &regs[op->a], op->kind, op->flags, op->b, op->c);
            if (o == NULL) {
                vm->status = HB_VM_OOM;
                goto out;
            }
            /* Written in full when made, as a runtime initialises what it
             * allocates (the collector wrote the header and the slots): the
             * same cost for every backend, and resident >= live holds. */
            memset(hb_obj_payload(o), 0, o->payload);
            objects++;
            bytes += hb_new_bytes(gs, op->b, op->c);
            break;
        case HB_OP_SET:
            o = slot_owner(regs[op->a], op->b);
            if (o)
                gs->field_store(gc, o, op->b, op->c == HB_NIL ? NULL : regs[op->c]);
            else
                noops++;
            break;
        case HB_OP_GET:
            o = slot_owner(regs[op->b], op->c);
            if (o)
                gs->reg_write(gc, &regs[op->a], o->refs[op->c]);
            else
                noops++;
            break;
        case HB_OP_MOV:
            gs->reg_write(gc, &regs[op->a], regs[op->b]);
            break;
        case HB_OP_DROP:
            gs->reg_write(gc, &regs[op->a], NULL);
            break;
        case HB_OP_TOUCH:
            o = regs[op->a];
            if (o && o->payload) {
                size_t len = op->c < o->payload ? op->c : o->payload;
                memset(hb_obj_payload(o), op->kind, len);
            } else {
                noops++;
            }
            break;
        case HB_OP_COLLECT:
            gs->collect(gc);
            break;
        case HB_OP_RESIZE:
            o = regs[op->a];
            if (o == NULL || o->kind == HB_LEAF || (o->flags & HB_F_FINALIZER)) {
                noops++;
                break;
            }
            o = gs->resize ? gs->resize(gc, &regs[op->a], op->c)
                           : resize_by_copy(gs, gc, &regs[op->a], op->c);
            if (o == NULL) {
                vm->status = HB_VM_OOM;
                goto out;
            }
            bytes += hb_new_bytes(gs, op->c, o->payload);
            break;
        case HB_OP_PHASE:
            vm->phase = op->c;
            if (vm->on_phase)
                vm->on_phase(vm, op->c);
            break;
        default:
            noops++;
            break;
        }
    }
out:
    vm->ops += i;
    vm->noops += noops;
    vm->objects += objects;
    vm->bytes += bytes;
    return i;
}

/* ------------------------------------------------------------------ */
/* Allocator traces                                                     */
/* ------------------------------------------------------------------ */

/* A new block written once, whole, as its program would fill it. */
static inline void avm_touch(unsigned char *p, uint32_t bytes)
{
    memset(p, 0, bytes);
}

/* Register r now holds the new block p of `bytes`. */
static inline void avm_hold(hb_avm *vm, uint32_t r, void *p, uint32_t bytes)
{
    vm->blocks[r] = p;
    vm->sizes[r] = bytes;
    vm->allocs++;
    vm->bytes += bytes;
    vm->live_blocks++;
    vm->live_bytes += bytes;
}

/* The al_cursor c is hb_alloc_replay's: the heap's books in its registers. */
static inline int avm_take(hb_avm *vm, al_cursor *c, uint32_t r, uint32_t bytes)
{
    void *p = al_cursor_alloc(c, bytes);
    if (p == NULL)
        return -1;
    avm_touch(p, bytes);
    avm_hold(vm, r, p, bytes);
    return 0;
}

static inline void avm_drop(hb_avm *vm, al_cursor *c, uint32_t r)
{
    al_cursor_free(c, vm->blocks[r], vm->sizes[r]);
    vm->live_blocks--;
    vm->live_bytes -= vm->sizes[r];
    vm->blocks[r] = NULL;
}

/* REALLOC on a held block: move it. */
static inline int avm_move(hb_avm *vm, al_cursor *c, uint32_t r, uint32_t bytes)
{
    void *old = vm->blocks[r];
    uint32_t old_bytes = vm->sizes[r];
    void *p = al_cursor_alloc(c, bytes);
    if (p == NULL)
        return -1;
    memcpy(p, old, old_bytes < bytes ? old_bytes : bytes);
    if (bytes > old_bytes)
        avm_touch((unsigned char *)p + old_bytes, bytes - old_bytes);
    avm_drop(vm, c, r);
    avm_hold(vm, r, p, bytes);
    return 0;
}

size_t hb_alloc_replay(hb_avm *vm, const hb_op *ops, size_t n)
{
    uint64_t noops = 0;
    size_t i;
    al_cursor c = al_cursor_take(vm->heap);
    for (i = 0; i < n; i++) {
        const hb_op *op = &ops[i];
        int bad = 0;
        switch (op->code) {
        case HB_OP_MALLOC:
            if (vm->blocks[op->a] != NULL)
                noops++;
            else
                bad = avm_take(vm, &c, op->a, op->c);
            break;
        case HB_OP_FREE:
            if (vm->blocks[op->a] != NULL)
                avm_drop(vm, &c, op->a);
            else
                noops++;
            break;
        case HB_OP_REALLOC:
            bad = vm->blocks[op->a] ? avm_move(vm, &c, op->a, op->c)
                                    : avm_take(vm, &c, op->a, op->c);
            break;
        case HB_OP_TOUCH: /* as harness/run/threads.c: n byte writes, wrapping */
            if (vm->blocks[op->a] != NULL && vm->sizes[op->a] > 0)
                for (uint32_t k = 0; k < op->c; k++)
                    ((volatile unsigned char *)vm->blocks[op->a])[k % vm->sizes[op->a]]++;
            else
                noops++;
            break;
        default:
            noops++;
            break;
        }
        if (bad) {
            vm->status = HB_VM_OOM;
            break;
        }
    }
    al_cursor_put(&c);
    vm->ops += i;
    vm->noops += noops;
    return i;
}

void hb_avm_release(hb_avm *vm)
{
    al_cursor c = al_cursor_take(vm->heap);
    for (uint32_t r = 0; r < vm->nregs && vm->live_blocks > 0; r++)
        if (vm->blocks[r] != NULL)
            avm_drop(vm, &c, r);
    al_cursor_put(&c);
}
