/*
 * collectors/rc_cycle.c -- `rc-cycle`: reference counting plus a
 * generational cycle detector on CPython's model (Python/gc.c, 3.12/3.13).
 *
 * Counting, release cascades and their pauses are rc's (rc_core.h).  On top:
 *
 * Tracking.  Containers (HB_CONTAINER, tuple-like here; HB_ARRAY with slots
 * or with no payload, list-like: an empty list is tracked, as PyList_New
 * tracks every list) are linked into generation lists, as CPython tracks objects that can hold references;
 * leaves are never tracked (they cannot be part of a cycle).  A new tracked
 * object enters generation 0; survivors of a collection move one
 * generation up; the oldest keeps its survivors.
 *
 * Triggers, checked at every new_obj before it allocates (leaves included),
 * so a collection runs at the first allocation after the count went over,
 * as CPython 3.12+ runs it at the first check after the tracked allocation
 * that crossed the threshold:
 *   gen 0  when tracked allocations minus tracked deallocations since its
 *          last collection exceed threshold[0];
 *   gen 1  when gen 0 has been collected more than threshold[1] times since;
 *   gen 2  when gen 1 has been collected more than threshold[2] times since,
 *          unless long_lived_pending < long_lived_total / 4 (so a full
 *          collection, which is the expensive one, waits until the objects
 *          promoted into the oldest generation since the last one are at
 *          least a quarter of those that survived it).
 * The oldest eligible generation is collected, with all younger ones.
 * Thresholds: (2000, 10, 10) as CPython 3.13, (700, 10, 10) as 3.12.
 * Under a heap limit an allocation the heap refuses runs a full collection
 * (all generations) and is retried once.  Under the "full" trigger
 * (gc_config.trigger, --trigger full) the generation thresholds stay as
 * they are, and a full collection also runs before any allocation that
 * would pass the limit (gc_heap_fits), so the heap is filled before the
 * detector frees what counting could not; if that made no room, oom.
 *
 * Detection, on the merged list `young` of the generations collected:
 *   update_refs       copy each count into the object's prev word;
 *   subtract_refs     for each slot from inside the set to inside the set,
 *                     decrement the referent's copy: what remains counts the
 *                     references from outside (registers, older objects);
 *   move_unreachable  objects with a copy > 0 are reachable, and so is all
 *                     they reach; the rest go to `unreachable`;
 * with the survivors passing the tuple rule in the same walk (CPython's
 * untrack_tuples: a container whose slots all hold leaves or untracked
 * containers leaves the generations),
 * the finalizers of the unreachable run (once each), the detection runs
 * again over the unreachable alone (handle_resurrected: what a finalizer
 * made reachable survives), and the still unreachable are cleared (slots set to NULL by normal releases, so the
 * counts cascade and free them), and the survivors are promoted.
 *
 * objects_collected counts every object freed inside a collection: the
 * cyclic garbage and whatever only it held, leaves included (CPython's own
 * figure counts the unreachable tracked objects only).
 *
 * Header: 24 bytes, honestly counted: the count word (8, as rc) and a
 * two-word list link.  The copied count needs no word of its own: during a
 * collection it lives in the prev word of the objects being collected (whose
 * list is then walked forward only), and move_unreachable rebuilds the prev
 * pointers as it goes, as CPython does.  Leaves pay the 24 bytes too (one
 * header size per strategy), where CPython's untracked types carry no link:
 * that overstates rc-cycle's memory for leaf-heavy workloads by 16 bytes a
 * leaf.
 *
 * README.md ("Where rc-cycle departs from CPython's gc.c") lists what differs
 * from gc.c and what each changes: --keep-tuples, retrack(), the header on
 * leaves, and RESIZE as alloc + copy + free (rc_core_move).
 */
#include "collectors/rc_core.h"

#define RCC_GENS 3

typedef struct rcc_gen {
    rc_gchead head;     /* sentinel of a circular list; its prev is a pointer */
    uint32_t threshold;
    uint64_t count;     /* collections of the next younger generation since
                           this one was last collected (gen 0 uses core.young) */
} rcc_gen;

typedef struct rcc {
    rc_core core; /* first: the state is mapped as one block */
    rcc_gen gen[RCC_GENS];
    uint64_t long_lived_total;   /* survivors of the last full collection */
    uint64_t long_lived_pending; /* promoted into the oldest since then */
    rc_gchead parked; /* containers untracked by the tuple rule (untrack_tuples) */
    int full;         /* the "full" trigger (collector.h) */
} rcc;

/* ---- lists ---- */

static void list_init(rc_gchead *l)
{
    l->next = l;
    l->prev = (uintptr_t)l;
}

static int list_empty(const rc_gchead *l)
{
    return l->next == l;
}

/* Appends n at the tail of l; only l->prev and the old tail's next are
 * read or written, so it works while the list is walked forward with
 * copied counts in the members' prev words. */
static void list_append(rc_gchead *n, rc_gchead *l)
{
    rc_gchead *last = (rc_gchead *)l->prev;
    last->next = n;
    n->prev = (uintptr_t)last;
    n->next = l;
    l->prev = (uintptr_t)n;
}

static void list_remove(rc_gchead *n)
{
    rc_gchead *prev = (rc_gchead *)n->prev;
    prev->next = n->next;
    n->next->prev = (uintptr_t)prev;
}

/* Moves every member of from to the tail of to; from becomes empty. */
static void list_merge(rc_gchead *from, rc_gchead *to)
{
    if (list_empty(from))
        return;
    rc_gchead *to_last = (rc_gchead *)to->prev;
    rc_gchead *first = from->next, *last = (rc_gchead *)from->prev;
    to_last->next = first;
    first->prev = (uintptr_t)to_last;
    last->next = to;
    to->prev = (uintptr_t)last;
    list_init(from);
}

static uint64_t list_size(const rc_gchead *l)
{
    uint64_t n = 0;
    for (const rc_gchead *h = l->next; h != l; h = h->next)
        n++;
    return n;
}

/* ---- tracking ---- */

/* What CPython tracks: containers, and arrays that hold references -- a
 * reference array without payload is a list, tracked from its creation even
 * when empty, as PyList_New tracks every list; an array of payload alone is
 * bytes-like and never tracked. */
static int is_container(uint8_t kind, uint32_t nrefs, uint32_t payload)
{
    return kind == HB_CONTAINER || (kind == HB_ARRAY && (nrefs > 0 || payload == 0));
}

static void track(rcc *s, hb_obj *o)
{
    o->gcbits |= RC_GB_TRACKED;
    list_append(rc_head(o), &s->gen[0].head);
    s->core.young++;
}

/* ---- detection ---- */

/* Could r be part of a cycle?  As CPython's _PyObject_GC_MAY_BE_TRACKED:
 * NULL counts as yes (a tuple being filled), leaves and payload arrays as
 * no, a container as yes while tracked; lists (reference arrays) always. */
static int may_be_tracked(const hb_obj *r)
{
    if (r == NULL)
        return 1;
    if (r->kind == HB_CONTAINER)
        return (r->gcbits & RC_GB_TRACKED) != 0;
    return is_container(r->kind, r->nrefs, r->payload);
}


/* Copies each count into prev (the list becomes forward-only). */
static void update_refs(rc_gchead *young)
{
    for (rc_gchead *h = young->next; h != young; h = h->next) {
        hb_obj *o = rc_head_obj(h);
        h->prev = rc_w(o)->count;
        o->gcbits |= RC_GB_COLLECTING;
    }
}

/* Removes references internal to the set from the copies. */
static void subtract_refs(rc_gchead *young)
{
    for (rc_gchead *h = young->next; h != young; h = h->next) {
        hb_obj *o = rc_head_obj(h);
        for (uint32_t i = 0; i < o->nrefs; i++) {
            hb_obj *r = o->refs[i];
            if (r && (r->gcbits & RC_GB_COLLECTING))
                rc_head(r)->prev--;
        }
    }
}

/*
 * r is referenced by a reachable object.  If r was already moved to
 * unreachable, it goes back to young's tail to be scanned in turn; if it is
 * ahead in young with a copy of 0, its copy becomes 1 so that it is kept
 * when reached.  Either way young->prev stays young's true tail.
 */
static void visit_reachable(hb_obj *r, rc_gchead *young)
{
    if (r == NULL || !(r->gcbits & RC_GB_COLLECTING))
        return;
    rc_gchead *h = rc_head(r);
    if (r->gcbits & RC_GB_UNREACHABLE) {
        list_remove(h); /* unreachable is an ordinary list */
        r->gcbits &= (uint16_t)~RC_GB_UNREACHABLE;
        list_append(h, young);
        h->prev = 1;
    } else if (h->prev == 0) {
        h->prev = 1;
    }
}

/*
 * Splits young into reachable (left in young, prev pointers rebuilt) and
 * unreachable.  Invariant of the walk: everything in young before h has
 * been scanned and is reachable, with a valid prev pointer; `prev` is the
 * last of them.  Objects moved back from unreachable are appended at the
 * tail and scanned when the walk gets there.
 *
 * With `parked` (the first pass of a collection, tuple rule on), the tuple
 * rule is applied in the same walk, as CPython's untrack_tuples does on the
 * survivors right after: a reachable container none of whose slots may be
 * tracked leaves young for `parked`.  The slots are the ones the scan reads
 * anyway, so the rule costs no second walk over the survivors.
 */
static void move_unreachable(rcc *s, rc_gchead *young, rc_gchead *unreachable, rc_gchead *parked)
{
    rc_gchead *prev = young;
    rc_gchead *h = young->next;
    while (h != young) {
        hb_obj *o = rc_head_obj(h);
        if (h->prev > 0) {
            int untrackable = parked != NULL && o->kind == HB_CONTAINER;
            for (uint32_t i = 0; i < o->nrefs; i++) {
                hb_obj *r = o->refs[i];
                visit_reachable(r, young);
                untrackable = untrackable && !may_be_tracked(r);
            }
            o->gcbits &= (uint16_t)~RC_GB_COLLECTING;
            if (untrackable) {
                prev->next = h->next;
                list_append(h, parked);
                o->gcbits = (uint16_t)((o->gcbits & ~RC_GB_TRACKED) | RC_GB_PARKED);
                s->core.st.objects_untracked++;
            } else {
                h->prev = (uintptr_t)prev;
                prev = h;
            }
        } else {
            prev->next = h->next;
            o->gcbits |= RC_GB_UNREACHABLE;
            list_append(h, unreachable);
        }
        h = prev->next; /* read after the scan: an append may have changed it */
    }
    young->prev = (uintptr_t)prev;
}

/* Runs each unreachable object's finalizer once. */
static void finalize_garbage(rcc *s, rc_gchead *unreachable)
{
    for (rc_gchead *h = unreachable->next; h != unreachable; h = h->next)
        rc_finalize(&s->core, rc_head_obj(h));
}

/* update_refs, subtract_refs, move_unreachable: splits the set into what
 * is reachable from outside it (left in `set`) and `unreachable`. */
static void deduce_unreachable(rcc *s, rc_gchead *set, rc_gchead *unreachable, rc_gchead *parked)
{
    update_refs(set);
    subtract_refs(set);
    list_init(unreachable);
    move_unreachable(s, set, unreachable, parked);
}

/*
 * A finalizer may have made some of the unreachable reachable again (stored
 * one in a register or a live object).  As CPython's
 * handle_resurrected_objects, the detection runs a second time over the
 * unreachable set alone, with the counts as they are now: what something
 * outside holds, and all it reaches, is resurrected and joins `old`; the
 * rest is still garbage.  CPython runs this pass on every collection, so
 * rc-cycle does too, resurrection or not.
 */
static void handle_resurrected(rcc *s, rc_gchead *unreachable, rc_gchead *still, rc_gchead *old)
{
    for (rc_gchead *h = unreachable->next; h != unreachable; h = h->next)
        rc_head_obj(h)->gcbits &= (uint16_t)~RC_GB_UNREACHABLE;
    deduce_unreachable(s, unreachable, still, NULL);
    list_merge(unreachable, old);
}

/* Sets every slot of o to NULL with normal releases. */
static void clear_slots(rcc *s, hb_obj *o)
{
    for (uint32_t i = 0; i < o->nrefs; i++) {
        hb_obj *r = o->refs[i];
        o->refs[i] = NULL;
        rc_release(&s->core, r);
    }
}

/*
 * Clears the unreachable objects; the cascades free them (and whatever only
 * they held) and unlink them from the list.  o is held across its own
 * clearing, since clearing may drop the last other references to it.  An
 * object still listed afterwards (only possible if something outside still
 * held it, i.e. never without resurrection) moves to `old`.
 */
static void delete_garbage(rcc *s, rc_gchead *unreachable, rc_gchead *old)
{
    while (!list_empty(unreachable)) {
        rc_gchead *h = unreachable->next;
        hb_obj *o = rc_head_obj(h);
        o->gcbits &= (uint16_t)~(RC_GB_COLLECTING | RC_GB_UNREACHABLE);
        rc_incref(o);
        clear_slots(s, o);
        rc_release(&s->core, o);
        if (unreachable->next == h) { /* still allocated: compares addresses only */
            list_remove(h);
            list_append(h, old);
        }
    }
}

/* ---- the tuple rule ---- */

/*
 * A store of a possible cycle member into a parked container.  CPython's
 * tuples are immutable, so an untracked one never comes to point at a
 * cycle; here it can, and a cycle through parked containers (which may
 * point at each other) would never be found.  So every parked container is
 * tracked again, in the oldest generation (they are survivors), and the
 * tuple rule parks them again at later collections.  The workloads write
 * leaves into old containers, never containers, so this stays rare.
 */
static void retrack(rcc *s)
{
    for (rc_gchead *h = s->parked.next; h != &s->parked; h = h->next) {
        hb_obj *o = rc_head_obj(h);
        o->gcbits = (uint16_t)((o->gcbits & ~RC_GB_PARKED) | RC_GB_TRACKED);
    }
    list_merge(&s->parked, &s->gen[RCC_GENS - 1].head);
}

/* ---- collections ---- */

/* The bookkeeping CPython does when generation g is collected. */
static void account_start(rcc *s, int g)
{
    if (g + 1 < RCC_GENS)
        s->gen[g + 1].count++;
    for (int i = 1; i <= g; i++)
        s->gen[i].count = 0;
    s->core.young = 0;
    s->core.st.collections++;
    s->core.st.gen_collections[g]++;
    if (g == RCC_GENS - 1)
        s->core.st.full_collections++;
}

/* Moves the survivors in young up one generation (or keeps them in the
 * oldest), keeping the long-lived counts. */
static void promote(rcc *s, int g, rc_gchead *young)
{
    if (g == RCC_GENS - 1) {
        s->long_lived_pending = 0;
        s->long_lived_total = list_size(young);
        return;
    }
    if (g == RCC_GENS - 2)
        s->long_lived_pending += list_size(young);
    list_merge(young, &s->gen[g + 1].head);
}

/* Collects generation g and all younger ones: one pause, then the
 * harness's collected() hook (full when g is the oldest). */
static void collect_gen(rcc *s, int g)
{
    uint64_t t0 = hb_now_ns();
    rc_gchead unreachable, still;
    rc_gchead *young = &s->gen[g].head;
    rc_gchead *old = g + 1 < RCC_GENS ? &s->gen[g + 1].head : young;

    s->core.in_collection = 1;
    account_start(s, g);
    for (int i = 0; i < g; i++)
        list_merge(&s->gen[i].head, young);
    int tuple_rule = !(s->core.env.cfg && s->core.env.cfg->keep_tuples);
    deduce_unreachable(s, young, &unreachable, tuple_rule ? &s->parked : NULL);
    promote(s, g, young);
    finalize_garbage(s, &unreachable);
    handle_resurrected(s, &unreachable, &still, old);
    delete_garbage(s, &still, old);
    s->core.in_collection = 0;
    const gc_env *env = &s->core.env;
    uint64_t t1 = hb_now_ns();
    if (g == RCC_GENS - 1) { /* the oldest: the whole heap */
        s->core.st.major_collections++;
        s->core.st.major_ns += t1 - t0;
    } else {
        s->core.st.minor_collections++;
        s->core.st.minor_ns += t1 - t0;
    }
    if (env->pause)
        env->pause(env->harness, t0, t1);
    if (env->collected)
        env->collected(env->harness, g == RCC_GENS - 1);
}

/* The oldest generation whose trigger holds, as CPython's
 * collect_generations; called when gen 0 is over its threshold. */
static void collect_generations(rcc *s)
{
    for (int g = RCC_GENS - 1; g >= 0; g--) {
        uint64_t count = g == 0 ? s->core.young : s->gen[g].count;
        if (count <= s->gen[g].threshold)
            continue;
        if (g == RCC_GENS - 1 && s->long_lived_pending < s->long_lived_total / 4)
            continue;
        collect_gen(s, g);
        return;
    }
}

/* ---- the strategy ---- */

static void set_thresholds(rcc *s, const gc_config *cfg)
{
    static const uint32_t cpython313[RCC_GENS] = {2000, 10, 10};
    static const uint32_t cpython312[RCC_GENS] = {700, 10, 10};
    const uint32_t *def = cfg && cfg->cpython312 ? cpython312 : cpython313;
    for (int g = 0; g < RCC_GENS; g++) {
        uint32_t t = cfg ? cfg->threshold[g] : 0;
        s->gen[g].threshold = t ? t : def[g];
    }
}

static void *rcc_create(const gc_env *env)
{
    if (env == NULL)
        return NULL; /* nowhere to say why */
    if (env->heap == NULL) {
        hb_fail(env->err, HB_ERR_USAGE,
                "rc-cycle: no heap given: expected an open al_heap in env->heap");
        return NULL;
    }
    rcc *s = (rcc *)rc_core_new(env, RC_CYCLE_HEADER_BYTES, sizeof(rcc));
    if (s == NULL)
        return NULL;
    for (int g = 0; g < RCC_GENS; g++)
        list_init(&s->gen[g].head);
    list_init(&s->parked);
    set_thresholds(s, env->cfg);
    s->full = gc_trigger_full(env->cfg);
    return s;
}

static void rcc_destroy(void *ctx)
{
    if (ctx)
        rc_core_destroy(ctx, sizeof(rcc));
}

static hb_obj *rcc_new_obj(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                           uint32_t payload)
{
    rcc *s = ctx;
    if (s->core.young > s->gen[0].threshold)
        collect_generations(s);
    int collected = 0;
    if (s->full && !gc_heap_fits(s->core.env.heap, s->core.hdr + hb_obj_body_bytes(nrefs, payload))) {
        collect_gen(s, RCC_GENS - 1); /* the heap is full */
        collected = 1;
    }
    hb_obj *o = rc_core_alloc(&s->core, kind, flags, nrefs, payload);
    if (o == NULL && !collected) {
        collect_gen(s, RCC_GENS - 1);
        o = rc_core_alloc(&s->core, kind, flags, nrefs, payload);
    }
    if (o == NULL)
        return NULL;
    if (is_container(kind, nrefs, payload))
        track(s, o);
    rc_core_put(&s->core, dst, o);
    return o;
}

static void rcc_reg_write(void *ctx, hb_obj **reg, hb_obj *val)
{
    rc_core_put(ctx, reg, val);
}

static void rcc_field_store(void *ctx, hb_obj *o, uint32_t i, hb_obj *val)
{
    if (o && (o->gcbits & RC_GB_PARKED) && val && val->kind != HB_LEAF &&
        is_container(val->kind, val->nrefs, val->payload))
        retrack(ctx);
    rc_core_field_store(ctx, o, i, val);
}

/* RESIZE: moved in place when the register is the object's only
 * reference, as CPython's list_resize reallocates the items and touches no
 * count; otherwise a copy (the other holders keep the old object).  An
 * array that gains slots becomes trackable. */
static hb_obj *rcc_resize(void *ctx, hb_obj **reg, uint32_t nrefs)
{
    rcc *s = ctx;
    hb_obj *o = *reg, *tmp = NULL;
    if (rc_w(o)->count == 1) {
        hb_obj *n = rc_core_move(&s->core, reg, nrefs);
        if (n == NULL) { /* the heap limit: a full collection first, as new_obj */
            collect_gen(s, RCC_GENS - 1);
            n = rc_core_move(&s->core, reg, nrefs);
        }
        if (n && !(n->gcbits & RC_GB_LISTED) && is_container(n->kind, n->nrefs, n->payload))
            track(s, n);
        return n;
    }
    hb_obj *n = rcc_new_obj(s, &tmp, o->kind, o->flags, nrefs, o->payload);
    if (n == NULL)
        return NULL;
    rc_core_copy_into(n, o);
    rc_core_put(&s->core, reg, n);
    rc_core_put(&s->core, &tmp, NULL);
    return n;
}

/* A full collection of all generations, like gc.collect(). */
static void rcc_collect(void *ctx)
{
    collect_gen(ctx, RCC_GENS - 1);
}

static void rcc_stats(void *ctx, gc_stats *out)
{
    *out = ((rcc *)ctx)->core.st;
}

static uint64_t rcc_refcount(void *ctx, const hb_obj *o)
{
    (void)ctx;
    return rc_core_refcount(o);
}

const gc_strategy gc_rc_cycle = {
    .name = "rc-cycle",
    .description = "reference counting plus CPython's generational cycle detector",
    .header_bytes = RC_CYCLE_HEADER_BYTES,
    .unavailable = NULL,
    .needs = {.allocator = NULL},
    .create = rcc_create,
    .destroy = rcc_destroy,
    .new_obj = rcc_new_obj,
    .reg_write = rcc_reg_write,
    .field_store = rcc_field_store,
    .safepoint = NULL,
    .collect = rcc_collect,
    .stats = rcc_stats,
    .resize = rcc_resize,
    .refcount = rcc_refcount,
};
