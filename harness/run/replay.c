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

#include "harness/core/mem.h"

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

int hb_avm_init(hb_avm *vm, al_heap *h, uint32_t nregs)
{
    size_t regs = (size_t)nregs * (sizeof(void *) + 2 * sizeof(uint32_t));
    char *m = hb_map(regs ? regs : 1, 0);
    hb_avm_plan *plan = hb_map(sizeof *plan, 0);
    if (m == NULL || plan == NULL) {
        hb_unmap(m, regs ? regs : 1);
        hb_unmap(plan, sizeof *plan);
        return -1;
    }
    memset(m, 0, regs); /* resident before anything is measured */
    memset(plan, 0, sizeof *plan);
    *vm = (hb_avm){.heap = h, .blocks = (void **)m, .nregs = nregs, .plan = plan,
                   .sizes = (uint32_t *)(m + (size_t)nregs * sizeof(void *)),
                   .shadow = (uint32_t *)(m + (size_t)nregs * (sizeof(void *) + sizeof(uint32_t)))};
    return 0;
}

void hb_avm_fini(hb_avm *vm)
{
    size_t regs = (size_t)vm->nregs * (sizeof(void *) + 2 * sizeof(uint32_t));
    if (vm->blocks)
        hb_unmap(vm->blocks, regs ? regs : 1);
    hb_unmap(vm->plan, sizeof *vm->plan);
    vm->blocks = NULL;
    vm->plan = NULL;
}

/* The bytes the heap books for a block asked with n (al_alloc: 0 is 1). */
static inline uint64_t booked(uint32_t n)
{
    return n ? n : 1;
}

void hb_alloc_plan(hb_avm *vm, const hb_op *ops, size_t n)
{
    hb_avm_plan *pl = vm->plan;
    const al_heap *h = vm->heap;
    uint32_t *sh = vm->shadow;
    uint64_t thr = al_heap_threshold(h);
    uint64_t live = h->live_bytes, peak = h->peak_live_bytes;
    uint64_t allocs = 0, bytes = 0, noops = 0;
    int64_t blocks = 0, req = 0;
    size_t nstops = 0;
    pl->live0 = live;
    for (size_t k = 0; k < n; k++) {
        const hb_op *op = &ops[k];
        uint32_t r = op->a, old = sh[r]; /* size + 1, or 0 */
        uint64_t high = live;
        int does = 1;
        switch (op->code) {
        case HB_OP_MALLOC:
            if (old) {
                does = 0;
                break;
            }
            live += booked(op->c);
            high = live;
            sh[r] = op->c + 1;
            allocs++, bytes += op->c, blocks++, req += op->c;
            break;
        case HB_OP_FREE:
            if (!old) {
                does = 0;
                break;
            }
            live -= booked(old - 1);
            sh[r] = 0;
            blocks--, req -= old - 1;
            break;
        case HB_OP_REALLOC: /* the new block is taken before the old is freed */
            high = live + booked(op->c);
            live = high - (old ? booked(old - 1) : 0);
            sh[r] = op->c + 1;
            allocs++, bytes += op->c, req += (int64_t)op->c - (old ? old - 1 : 0);
            blocks += old ? 0 : 1;
            break;
        case HB_OP_TOUCH:
            does = old > 1;
            break;
        default:
            does = 0;
            break;
        }
        noops += !does;
        if (high > thr)
            pl->stop[nstops++] = (uint32_t)k;
        if (high > peak)
            peak = high;
        pl->live[k] = live;
        pl->peak[k] = peak;
        pl->does[k] = (uint8_t)does;
    }
    pl->n = n;
    pl->thr = thr;
    pl->nstops = nstops;
    pl->allocs = allocs, pl->bytes = bytes, pl->noops = noops;
    pl->blocks = blocks, pl->req = req;
}

/* A new block written once, whole, as its program would fill it. */
static inline void avm_touch(unsigned char *p, uint32_t bytes)
{
    memset(p, 0, bytes);
}

/* One allocation or free, through the cursor (cur) or straight to the
 * backend (cur NULL, no books). */
static inline __attribute__((always_inline)) void *avm_alloc(hb_avm *vm, al_cursor *cur,
                                                             uint32_t n)
{
    return cur ? al_cursor_alloc(cur, n) : al_call_alloc(vm->heap, booked(n));
}

static inline __attribute__((always_inline)) void avm_free(hb_avm *vm, al_cursor *cur, void *p,
                                                           uint32_t n)
{
    if (cur) {
        al_cursor_free(cur, p, n);
    } else {
        al_poison_(p, booked(n));
        al_call_free(vm->heap, p, booked(n));
    }
}

/*
 * One op on the register file.  cur NULL: the backend called directly
 * (al_call_alloc/al_call_free), no books; else through the cursor, the
 * heap's books and checks.  cur is a constant where this is inlined.
 * Returns -1 when an allocation failed (nothing changed), else 0.
 */
static inline __attribute__((always_inline)) int avm_op(hb_avm *vm, al_cursor *cur,
                                                        const hb_op *op)
{
    void **blk = &vm->blocks[op->a];
    uint32_t *sz = &vm->sizes[op->a];
    void *p;
    switch (op->code) {
    case HB_OP_MALLOC:
        if (*blk != NULL)
            return 0;
        p = avm_alloc(vm, cur, op->c);
        if (p == NULL)
            return -1;
        avm_touch(p, op->c);
        *blk = p;
        *sz = op->c;
        return 0;
    case HB_OP_FREE:
        if (*blk == NULL)
            return 0;
        avm_free(vm, cur, *blk, *sz);
        *blk = NULL;
        return 0;
    case HB_OP_REALLOC: /* always a move: a new block, the bytes copied, the old freed */
        p = avm_alloc(vm, cur, op->c);
        if (p == NULL)
            return -1;
        if (*blk != NULL) {
            uint32_t old = *sz;
            memcpy(p, *blk, old < op->c ? old : op->c);
            if (op->c > old)
                avm_touch((unsigned char *)p + old, op->c - old);
            avm_free(vm, cur, *blk, old);
        } else {
            avm_touch(p, op->c);
        }
        *blk = p;
        *sz = op->c;
        return 0;
    case HB_OP_TOUCH: /* as harness/run/threads.c: n byte writes, wrapping */
        if (*blk != NULL && *sz > 0)
            for (uint32_t k = 0; k < op->c; k++)
                ((volatile unsigned char *)*blk)[k % *sz]++;
        return 0;
    default:
        return 0;
    }
}

/* ops[from..to) with nothing on the clock but the backend; returns the
 * index of the op whose allocation failed, or `to`. */
static size_t avm_run(hb_avm *vm, const hb_op *ops, size_t from, size_t to)
{
    /* The register file's arrays and the heap's calls copied into locals
     * whose address never leaves this function: the backend's call could
     * write any memory it can reach, so read through vm and the heap they
     * would be loaded again at every op; here they stay in registers. */
    const al_heap *h = vm->heap;
    al_heap calls = {.b = h->b, .ctx = h->ctx, .lib = h->lib};
    hb_avm v = {.heap = &calls, .blocks = vm->blocks, .sizes = vm->sizes};
    for (size_t k = from; k < to; k++)
        if (avm_op(&v, NULL, &ops[k]) != 0)
            return k;
    return to;
}

/* The heap's books as planned before ops[k]. */
static void avm_book(hb_avm *vm, size_t k)
{
    const hb_avm_plan *pl = vm->plan;
    al_heap *h = vm->heap;
    h->live_bytes = k ? pl->live[k - 1] : pl->live0;
    if (k && pl->peak[k - 1] > h->peak_live_bytes)
        h->peak_live_bytes = pl->peak[k - 1];
    al_heap_recheck(h);
}

/* ops[k] through the cursor, the books as they stand; -1 if it failed. */
static int avm_checked(hb_avm *vm, const hb_op *ops, size_t k)
{
    avm_book(vm, k);
    al_cursor c = al_cursor_take(vm->heap);
    int rc = avm_op(vm, &c, &ops[k]);
    al_cursor_put(&c);
    return rc;
}

/* The plan's counts, for ops[0..k) when an allocation failed at ops[k]. */
static void avm_count(hb_avm *vm, const hb_op *ops, size_t k)
{
    const hb_avm_plan *pl = vm->plan;
    if (k == pl->n) {
        vm->allocs += pl->allocs, vm->bytes += pl->bytes, vm->noops += pl->noops;
        vm->live_blocks = (uint64_t)((int64_t)vm->live_blocks + pl->blocks);
        vm->live_bytes = (uint64_t)((int64_t)vm->live_bytes + pl->req);
        return;
    }
    /* rare: count again from what the register file holds now */
    for (size_t i = 0; i < k; i++) {
        vm->noops += !pl->does[i];
        if (pl->does[i] && (ops[i].code == HB_OP_MALLOC || ops[i].code == HB_OP_REALLOC))
            vm->allocs++, vm->bytes += ops[i].c;
    }
    vm->live_blocks = vm->live_bytes = 0;
    for (uint32_t r = 0; r < vm->nregs; r++) {
        vm->shadow[r] = vm->blocks[r] ? vm->sizes[r] + 1 : 0;
        if (vm->blocks[r])
            vm->live_blocks++, vm->live_bytes += vm->sizes[r];
    }
}

/* One plan's ops; returns how many were replayed. */
static size_t avm_replay_plan(hb_avm *vm, const hb_op *ops)
{
    const hb_avm_plan *pl = vm->plan;
    al_heap *h = vm->heap;
    size_t n = pl->n, k = 0, s = 0, bad = n;
    while (k < n) {
        /* the watch was passed: it fires at the heap's next call; or the
         * threshold fell below the plan's, whose stops no longer hold */
        if (h->watch_due || al_heap_threshold(h) < pl->thr) {
            if (avm_checked(vm, ops, k) != 0) {
                bad = k;
                break;
            }
            k++;
            continue;
        }
        while (s < pl->nstops && pl->stop[s] < k)
            s++;
        size_t to = s < pl->nstops ? pl->stop[s] : n;
        size_t at = avm_run(vm, ops, k, to);
        if (at < to) { /* the backend refused: the heap's books up to it */
            avm_book(vm, at);
            h->failed++;
            bad = at;
            break;
        }
        k = to;
        if (k < n) {
            if (avm_checked(vm, ops, k) != 0) {
                bad = k;
                break;
            }
            k++;
        }
    }
    if (bad == n)
        avm_book(vm, n);
    else /* the books stand as the cursor or avm_book left them */
        vm->status = HB_VM_OOM;
    avm_count(vm, ops, bad);
    vm->ops += bad;
    vm->plan->n = 0;
    return bad;
}

size_t hb_alloc_replay(hb_avm *vm, const hb_op *ops, size_t n)
{
    if (vm->plan->n == n && n > 0)
        return avm_replay_plan(vm, ops);
    size_t done = 0;
    while (done < n && vm->status == HB_VM_OK) {
        size_t m = n - done < HB_AVM_PLAN_OPS ? n - done : HB_AVM_PLAN_OPS;
        hb_alloc_plan(vm, ops + done, m);
        size_t got = avm_replay_plan(vm, ops + done);
        done += got;
        if (got < m)
            break;
    }
    return done;
}

void hb_avm_release(hb_avm *vm)
{
    al_cursor c = al_cursor_take(vm->heap);
    for (uint32_t r = 0; r < vm->nregs && vm->live_blocks > 0; r++)
        if (vm->blocks[r] != NULL) {
            al_cursor_free(&c, vm->blocks[r], vm->sizes[r]);
            vm->blocks[r] = NULL;
            vm->shadow[r] = 0;
            vm->live_blocks--;
            vm->live_bytes -= vm->sizes[r];
        }
    al_cursor_put(&c);
}
