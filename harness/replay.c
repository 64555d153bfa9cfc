/*
 * harness/replay.c -- the interpreter of the mutator instruction set.
 *
 * Each op turns into at most one call through the collector's table; the
 * checks that make any validated stream safe (empty register, slot index
 * past the object) are one compare each and are counted as no-ops, never
 * skipped silently.
 */
#include "harness/replay.h"

#include <string.h>

static inline hb_obj *slot_owner(hb_obj *o, uint32_t i)
{
    return (o != NULL && i < o->nrefs) ? o : NULL;
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
