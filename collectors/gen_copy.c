/*
 * collectors/gen_copy.c -- a generational collector: a bump-allocated
 * nursery whose survivors are copied out (Cheney scan), and an old
 * generation of allocator blocks collected by a non-moving mark-sweep.
 *
 *     mapped nursery (hb_map, never the allocator)
 *     +----------------------------+-----------+-----------+
 *     | eden: bump allocation      | survivor 0| survivor 1|   (survivors only
 *     +----------------------------+-----------+-----------+    when age > 1)
 *              | minor collection: copy the live          |
 *              v                                          v
 *     old generation: one al_alloc block per object, on allgc / finobj
 *     (as mark-sweep), collected by a major collection
 *
 * Every object has an 8-byte header in front of its hb_obj.  For an old
 * object it is the link of its list; for a young one it is unused until a
 * minor collection copies the object, then it holds the forwarding address
 * (GC_FORWARDED set).  hb_obj.gcbits carries the mark, the remembered bit,
 * the forwarded bit and the object's age (minor collections survived).
 *
 * Where objects go.  An object with a finalizer, or of more than
 * `large` bytes (8 KiB, or an eighth of eden if eden is smaller), is
 * allocated straight into the old generation: large ones because copying
 * them costs more than it saves, finalizable ones so that a finalizer only
 * ever runs in a major collection, on an object the oracle knows as a heap
 * block (finalizing dead nursery objects would need a list of them).  Every
 * other object is bumped in eden.
 *
 * Minor collection (eden full).  Roots are the registers and the remembered
 * set.  Each young object reached is copied: into the to-survivor space
 * while its age (after this collection) is below promote_age and the space
 * has room, else promoted -- copied into a fresh old block.  The scan is
 * Cheney's: a scan pointer walks the to-survivor space, and the objects
 * promoted in this collection form a FIFO list (linked through their
 * headers) that a second scan pointer walks, until both have caught up.
 * Then eden is empty and the survivor spaces swap.  With promote_age 1 (the
 * default, as OCaml) every survivor is promoted on its first collection and
 * no survivor space is mapped at all.  Registers are rewritten in place:
 * the strategy declares needs.moves_objects, and brings its own resize
 * (the replay loop's default holds the object across new_obj).
 *
 * Write barrier: a remembered set of old objects, not a card table.  Old
 * objects are blocks of whatever allocator the run uses (pool, malloc,
 * bump, jemalloc, ...), scattered over its address space, so there is no
 * contiguous old space for a card table to map; an object remembered set
 * (a vector of old objects, deduplicated by GC_REMEMBERED in the object)
 * works over any allocator and costs one compare on the common store.  A
 * store o.refs[i] = v remembers o when o is old, v is young and o is not
 * remembered yet.  The minor collection scans the whole of each remembered
 * object (its cost for a large array with one young slot is its length:
 * the price of not having cards), and keeps it remembered only if it
 * still points at a young object afterwards (a survivor not yet promoted).
 * Both "young" tests are an address-range compare against the nursery
 * mapping, so the barrier never touches the stored object.
 *
 * Major collection (the old generation outgrew its trigger, an old
 * allocation failed, or collect()): mark from the registers through both
 * generations without moving anything, run finalizers of unmarked finobj
 * objects, drop unmarked objects from the remembered set, sweep the old
 * lists, then evacuate the nursery with every survivor promoted, so the
 * whole heap is old and the nursery empty afterwards.  Marking first means
 * old space is freed before the nursery has to be absorbed, which matters
 * under a heap limit.  One major collection is one pause.
 *
 * Triggers.  At each collection point (eden full), a major collection runs
 * instead of a minor one when the old generation's bytes have passed
 * threshold = max(growth x old bytes after the last major, min_heap)
 * (cfg->growth, cfg->min_heap_bytes: the mark-sweep settings, defaults 2.0
 * and 1 MiB).  An old allocation that would pass the threshold runs a
 * major one first; if the allocator refuses, one emergency major runs.
 *
 * The "full" trigger (gc_config.trigger, --trigger full; it needs a heap
 * limit).  The old generation has no growth threshold: a major collection
 * runs only when the heap is full, that is when an old allocation would
 * not fit (old + nursery + size > limit) or a minor collection lacks its
 * copy reserve (old + nursery + young bytes > limit).  The nursery keeps
 * its size (at most an eighth of the limit, below) and its minor
 * collections when eden is full; its mapping counts in the heap.
 *
 * Heap limit (al_heap.limit_bytes).  Held bytes = old blocks + the mapped
 * nursery (eden and survivor spaces), and a minor collection needs a copy
 * reserve: room to promote every young byte.  So an old allocation must
 * keep old + nursery + size <= limit, and a minor collection runs only if
 * old + nursery + young bytes <= limit; when even a major collection
 * cannot make that room, new_obj returns NULL (the run's oom).  Under a
 * limit the nursery is shrunk, if need be, to an eighth of the limit, so
 * that nursery plus reserve stay a quarter of it.  Promotion can then fail
 * only if the operating system refuses memory the limit allowed; a half
 * copied nursery cannot be given back, so that aborts the process (the
 * run's isolation reports the repetition as a crash).
 *
 * Invariants (checked after every step in tests by gc_gen_copy_check):
 *   - Between collections no object is marked or forwarded.
 *   - Remembered-set completeness: every old object with a slot that points
 *     into the nursery has GC_REMEMBERED set, and the remembered set holds
 *     exactly the old objects with GC_REMEMBERED, once each.
 *   - Young objects lie in eden [base, top) or the from-survivor space
 *     [base, top), back to back (a linear walk parses them); every pointer
 *     to a young object points at the start of one.
 *   - st.bytes_live == old_bytes + young_bytes, each the sum of
 *     hb_obj_bytes(o, 8) over that generation; old_bytes == the bytes of
 *     the old blocks held from the heap.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/clock.h"
#include "harness/core/mem.h"
#include "harness/core/object.h"

#define GC_HEADER_BYTES 8

/* hb_obj.gcbits */
#define GC_MARK 1u       /* reached in the current major collection */
#define GC_REMEMBERED 2u /* old, and in the remembered set */
#define GC_FORWARDED 4u  /* young, copied: the header holds the new address */
#define GC_AGE_SHIFT 8
#define GC_AGE_MASK (0xFu << GC_AGE_SHIFT)
#define GC_MAX_AGE 15u

#define GC_DEFAULT_NURSERY ((size_t)4 << 20)
#define GC_MIN_NURSERY ((size_t)16 << 10)
#define GC_MAX_NURSERY ((size_t)1 << 34)
#define GC_DEFAULT_AGE 1u
#define GC_DEFAULT_GROWTH 2.0
#define GC_DEFAULT_MIN_HEAP ((uint64_t)1 << 20)
#define GC_LARGE_BYTES ((size_t)8 << 10)
#define GC_SURVIVOR_RATIO 8 /* each survivor space is eden / 8 */

typedef struct gc_header {
    hb_obj *next; /* old: list link; young and forwarded: the copy */
} gc_header;

_Static_assert(sizeof(gc_header) == GC_HEADER_BYTES, "the header is 8 bytes");

/* One bump space of the nursery.  Invariant: base <= top <= end. */
typedef struct space {
    char *base, *top, *end;
} space;

typedef struct gc_state {
    gc_env env; /* a copy; env.cfg is not kept (read once in create) */
    size_t fin_work; /* cfg->finalizer_work */
    double growth;
    uint64_t min_heap;
    int full;           /* the "full" trigger (collector.h): no growth policy */
    uint64_t threshold; /* major collection once old_bytes passes this */
    uint32_t promote_age;
    size_t large;  /* bigger objects are allocated old */
    char *nursery; /* the one mapping: eden, then the survivor spaces */
    size_t nursery_mapped;
    space eden;
    space surv[2];
    int from;      /* surv[from] holds the survivors; surv[1 - from] is empty */
    hb_obj *allgc; /* old objects without a finalizer */
    hb_obj *finobj;
    uint64_t old_bytes, old_count;
    uint64_t young_bytes, young_count;
    hb_vec remset; /* old objects with GC_REMEMBERED */
    hb_vec marks;  /* the major collection's mark stack */
    /* during a minor collection */
    space *to;
    hb_obj *promoted, **promoted_tail;
    int promote_all;
    uint64_t copied_bytes, copied_count;
    uint32_t serial;
    gc_stats st;
} gc_state;

static inline gc_header *header_of(hb_obj *o)
{
    return (gc_header *)hb_obj_block(o, GC_HEADER_BYTES);
}

static inline size_t obj_bytes(const hb_obj *o)
{
    return hb_obj_bytes(o, GC_HEADER_BYTES);
}

/* Bytes an object takes in the nursery: 8-aligned, back to back. */
static inline size_t young_span(size_t bytes)
{
    return (bytes + 7) & ~(size_t)7;
}

static inline int is_young(const gc_state *g, const hb_obj *o)
{
    return (uintptr_t)o - (uintptr_t)g->nursery < g->nursery_mapped;
}

static inline uint32_t age_of(const hb_obj *o)
{
    return (o->gcbits & GC_AGE_MASK) >> GC_AGE_SHIFT;
}

/* The first object of a space's region starting at p. */
static inline hb_obj *obj_at(char *p)
{
    return hb_block_obj(p, GC_HEADER_BYTES);
}

/* ===================================================================
 * The old generation's blocks
 * =================================================================== */

/* old + nursery + extra fits under the heap limit (always, without one). */
static int fits(const gc_state *g, uint64_t extra)
{
    uint64_t limit = g->env.heap->limit_bytes;
    return limit == 0 || g->old_bytes + g->nursery_mapped + extra <= limit;
}

static void link_old(gc_state *g, hb_obj *o)
{
    hb_obj **list = (o->flags & HB_F_FINALIZER) ? &g->finobj : &g->allgc;
    header_of(o)->next = *list;
    *list = o;
}

static void free_old(gc_state *g, hb_obj *o)
{
    size_t bytes = obj_bytes(o);
    g->old_bytes -= bytes;
    g->old_count--;
    g->st.objects_freed++;
    g->st.objects_live--;
    g->st.bytes_live -= bytes;
    al_free(g->env.heap, hb_obj_block(o, GC_HEADER_BYTES), bytes);
}

/* ===================================================================
 * Remembered set
 * =================================================================== */

/* A remembered set that cannot grow has no safe way out: a missing entry
 * would let a minor collection free a reachable object. */
static void remember(gc_state *g, hb_obj *o)
{
    if (hb_vec_push_word(&g->remset, (uintptr_t)o) != 0)
        abort();
    o->gcbits |= GC_REMEMBERED;
}

/* ===================================================================
 * Minor collection: copy, Cheney scan
 * =================================================================== */

/* Copies o out of the nursery into an old block; links it on the
 * promoted FIFO, which the scan walks. */
static hb_obj *promote(gc_state *g, hb_obj *o, size_t bytes)
{
    void *block = al_alloc(g->env.heap, bytes);
    if (block == NULL)
        abort(); /* the limit reserved room: only the OS refused (see top) */
    memcpy(block, hb_obj_block(o, GC_HEADER_BYTES), bytes);
    hb_obj *n = hb_block_obj(block, GC_HEADER_BYTES);
    n->gcbits = 0;
    header_of(n)->next = NULL;
    *g->promoted_tail = n;
    g->promoted_tail = &header_of(n)->next;
    g->old_bytes += bytes;
    g->old_count++;
    return n;
}

/* Copies o into the to-survivor space with the age given. */
static hb_obj *copy_to_survivor(gc_state *g, hb_obj *o, size_t bytes, uint32_t age)
{
    space *to = g->to;
    memcpy(to->top, hb_obj_block(o, GC_HEADER_BYTES), bytes);
    hb_obj *n = obj_at(to->top);
    to->top += young_span(bytes);
    n->gcbits = (uint16_t)(age << GC_AGE_SHIFT);
    g->copied_bytes += bytes;
    g->copied_count++;
    return n;
}

/* The new address of young object o, copying it on first sight. */
static hb_obj *forward(gc_state *g, hb_obj *o)
{
    if (o->gcbits & GC_FORWARDED)
        return header_of(o)->next;
    size_t bytes = obj_bytes(o);
    uint32_t age = age_of(o) + 1;
    hb_obj *n;
    if (g->promote_all || age >= g->promote_age ||
        (size_t)(g->to->end - g->to->top) < young_span(bytes))
        n = promote(g, o, bytes);
    else
        n = copy_to_survivor(g, o, bytes, age < GC_MAX_AGE ? age : GC_MAX_AGE);
    o->gcbits |= GC_FORWARDED;
    header_of(o)->next = n;
    return n;
}

/* Forwards every young slot of o; returns 1 when a slot still points into
 * the nursery afterwards (at a survivor). */
static int scan_slots(gc_state *g, hb_obj *o)
{
    int young = 0;
    for (uint32_t i = 0; i < o->nrefs; i++) {
        hb_obj *c = o->refs[i];
        if (c != NULL && is_young(g, c)) {
            o->refs[i] = c = forward(g, c);
            young |= is_young(g, c);
        }
    }
    return young;
}

static void forward_roots(gc_state *g)
{
    hb_obj **roots = g->env.roots;
    for (size_t i = 0; i < g->env.nroots; i++)
        if (roots[i] != NULL && is_young(g, roots[i]))
            roots[i] = forward(g, roots[i]);
}

/* Scans each remembered object; keeps those that still point at young
 * objects.  Entries are compacted in place: each read yields at most one
 * write at an index no greater, so the vector never grows here. */
static void scan_remembered(gc_state *g)
{
    uintptr_t *v = hb_vec_words(&g->remset);
    size_t n = g->remset.len;
    g->remset.len = 0;
    for (size_t i = 0; i < n; i++) {
        hb_obj *o = (hb_obj *)v[i];
        o->gcbits &= (uint16_t)~GC_REMEMBERED;
        if (scan_slots(g, o))
            remember(g, o);
    }
}

/* Cheney's loop over both destinations until neither has unscanned
 * objects.  A promoted object left pointing at a survivor is remembered. */
static void cheney_scan(gc_state *g)
{
    char *scan = g->to->base;
    hb_obj **pscan = &g->promoted;
    for (;;) {
        if (scan < g->to->top) {
            hb_obj *o = obj_at(scan);
            scan_slots(g, o);
            scan += young_span(obj_bytes(o));
        } else if (*pscan != NULL) {
            hb_obj *o = *pscan;
            if (scan_slots(g, o))
                remember(g, o);
            pscan = &header_of(o)->next;
        } else {
            break;
        }
    }
}

/* Puts this collection's promoted objects on allgc (none has a finalizer:
 * finalizable objects are born old). */
static void splice_promoted(gc_state *g)
{
    if (g->promoted == NULL)
        return;
    *g->promoted_tail = g->allgc;
    g->allgc = g->promoted;
}

/* Empties eden and the from-survivor space after everything live left
 * them; the survivor spaces swap. */
static void settle_nursery(gc_state *g, uint64_t old_before, uint64_t old_count_before)
{
    uint64_t promoted_bytes = g->old_bytes - old_before;
    uint64_t promoted_count = g->old_count - old_count_before;
    uint64_t dead_count = g->young_count - g->copied_count - promoted_count;
    uint64_t dead_bytes = g->young_bytes - g->copied_bytes - promoted_bytes;
    g->st.objects_freed += dead_count;
    g->st.objects_collected += dead_count;
    g->st.objects_live -= dead_count;
    g->st.bytes_live -= dead_bytes;
    g->young_count = g->copied_count;
    g->young_bytes = g->copied_bytes;
    g->eden.top = g->eden.base;
    g->surv[g->from].top = g->surv[g->from].base;
    g->from = 1 - g->from;
}

/* Moves every live young object out of eden and the from-survivor space.
 * With promote_all, into the old generation only. */
static void evacuate(gc_state *g, int promote_all)
{
    uint64_t old_before = g->old_bytes, count_before = g->old_count;
    g->to = &g->surv[1 - g->from];
    g->promoted = NULL;
    g->promoted_tail = &g->promoted;
    g->promote_all = promote_all;
    g->copied_bytes = g->copied_count = 0;
    forward_roots(g);
    scan_remembered(g);
    cheney_scan(g);
    splice_promoted(g);
    settle_nursery(g, old_before, count_before);
}

/* ===================================================================
 * Major collection: mark both generations, sweep the old one
 * =================================================================== */

static void mark_push(gc_state *g, hb_obj *o)
{
    if (o == NULL || (o->gcbits & GC_MARK))
        return;
    o->gcbits |= GC_MARK;
    if (o->nrefs > 0 && hb_vec_push_word(&g->marks, (uintptr_t)o) != 0)
        abort(); /* a mapped stack the OS will not grow: nothing safe to do */
}

static void mark_phase(gc_state *g)
{
    for (size_t i = 0; i < g->env.nroots; i++)
        mark_push(g, g->env.roots[i]);
    while (g->marks.len > 0) {
        hb_obj *o = (hb_obj *)hb_vec_pop_word(&g->marks);
        for (uint32_t i = 0; i < o->nrefs; i++)
            mark_push(g, o->refs[i]);
    }
}

/* Runs before anything is freed, so a finalizer may read what it points to. */
static void finalize_unreached(gc_state *g)
{
    for (hb_obj *o = g->finobj; o != NULL; o = header_of(o)->next) {
        if ((o->gcbits & GC_MARK) || (o->flags & HB_F_FINALIZED))
            continue;
        gc_run_finalizer(&g->env, g->fin_work, o);
        o->flags |= HB_F_FINALIZED;
        g->st.finalizers_run++;
    }
}

/* Drops the remembered objects about to be swept (still readable now). */
static void prune_remembered(gc_state *g)
{
    uintptr_t *v = hb_vec_words(&g->remset);
    size_t kept = 0;
    for (size_t i = 0; i < g->remset.len; i++)
        if (((hb_obj *)v[i])->gcbits & GC_MARK)
            v[kept++] = v[i];
    g->remset.len = kept;
}

static void sweep_list(gc_state *g, hb_obj **p)
{
    while (*p != NULL) {
        hb_obj *o = *p;
        if (o->gcbits & GC_MARK) {
            o->gcbits &= (uint16_t)~GC_MARK;
            p = &header_of(o)->next;
        } else {
            *p = header_of(o)->next; /* unlink before the block is freed */
            free_old(g, o);
            g->st.objects_collected++;
        }
    }
}

/* Clears the marks of a space's objects (a major collection that could
 * not evacuate the nursery). */
static void unmark_space(space *s)
{
    for (char *p = s->base; p < s->top;) {
        hb_obj *o = obj_at(p);
        o->gcbits &= (uint16_t)~GC_MARK;
        p += young_span(obj_bytes(o));
    }
}

/* threshold = max(growth x old_bytes, min_heap), saturating. */
static void set_threshold(gc_state *g)
{
    if (g->full) {
        g->threshold = UINT64_MAX; /* only the heap limit (fits) starts a major */
        return;
    }
    double t = g->growth * (double)g->old_bytes;
    uint64_t th = t >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)t;
    g->threshold = th > g->min_heap ? th : g->min_heap;
}

/* ===================================================================
 * Collections as pauses
 * =================================================================== */

static void report(gc_state *g, uint64_t start, int full)
{
    uint64_t end = hb_now_ns();
    g->st.collections++;
    if (full) {
        g->st.full_collections++;
        g->st.major_collections++;
        g->st.major_ns += end - start;
    } else {
        g->st.minor_collections++;
        g->st.minor_ns += end - start;
    }
    g->st.gen_collections[full ? 1 : 0]++;
    if (g->env.pause)
        g->env.pause(g->env.harness, start, end);
    if (g->env.collected)
        g->env.collected(g->env.harness, full);
}

static void minor_collection(gc_state *g)
{
    uint64_t start = hb_now_ns();
    evacuate(g, 0);
    report(g, start, 0);
}

/* Returns 1 when the nursery was evacuated (it is empty), 0 when the heap
 * limit left no copy reserve for it (young objects stay, unmarked). */
static int major_collection(gc_state *g)
{
    uint64_t start = hb_now_ns();
    mark_phase(g);
    finalize_unreached(g);
    prune_remembered(g);
    sweep_list(g, &g->allgc);
    sweep_list(g, &g->finobj);
    int moved = fits(g, g->young_bytes);
    if (moved) {
        evacuate(g, 1); /* copies clear the marks */
    } else {
        unmark_space(&g->eden);
        unmark_space(&g->surv[g->from]);
    }
    set_threshold(g);
    report(g, start, 1);
    return moved;
}

/* Eden is full: a minor collection, or a major one when the old generation
 * has passed its trigger or a minor one lacks its copy reserve.  Returns 0
 * when eden is empty afterwards. */
static int make_room(gc_state *g)
{
    if (g->old_bytes > g->threshold || !fits(g, g->young_bytes))
        return major_collection(g) ? 0 : -1;
    minor_collection(g);
    return 0;
}

/* ===================================================================
 * Allocation
 * =================================================================== */

static hb_obj *init_object(gc_state *g, hb_obj *o, size_t bytes, uint8_t kind, uint8_t flags,
                           uint32_t nrefs, uint32_t payload)
{
    o->kind = kind;
    o->flags = flags & HB_F_FINALIZER; /* FINALIZED is ours to set */
    o->gcbits = 0;
    o->nrefs = nrefs;
    o->payload = payload;
    o->serial = g->serial++;
    for (uint32_t i = 0; i < nrefs; i++)
        o->refs[i] = NULL;
    g->st.objects_allocated++;
    g->st.objects_live++;
    g->st.bytes_live += bytes;
    return o;
}

/* An old block within the heap limit (nursery counted), or NULL. */
static void *old_block(gc_state *g, size_t bytes)
{
    return fits(g, bytes) ? al_alloc(g->env.heap, bytes) : NULL;
}

static hb_obj *new_old(gc_state *g, size_t bytes, uint8_t kind, uint8_t flags, uint32_t nrefs,
                       uint32_t payload)
{
    int collected = 0;
    if (g->old_bytes + bytes > g->threshold) {
        major_collection(g); /* *dst still holds its old value: a root */
        collected = 1;
    }
    void *block = old_block(g, bytes);
    if (block == NULL && !collected) {
        major_collection(g); /* emergency: free what we can, retry once */
        block = old_block(g, bytes);
    }
    if (block == NULL)
        return NULL;
    hb_obj *o = init_object(g, hb_block_obj(block, GC_HEADER_BYTES), bytes, kind, flags, nrefs,
                            payload);
    link_old(g, o);
    g->old_bytes += bytes;
    g->old_count++;
    return o;
}

static hb_obj *new_young(gc_state *g, size_t bytes, uint8_t kind, uint8_t flags, uint32_t nrefs,
                         uint32_t payload)
{
    size_t span = young_span(bytes);
    if ((size_t)(g->eden.end - g->eden.top) < span && make_room(g) != 0)
        return NULL;
    hb_obj *o = obj_at(g->eden.top);
    g->eden.top += span;
    g->young_bytes += bytes;
    g->young_count++;
    return init_object(g, o, bytes, kind, flags, nrefs, payload);
}

static hb_obj *gc_new_obj(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                          uint32_t payload)
{
    gc_state *g = ctx;
    size_t bytes = GC_HEADER_BYTES + hb_obj_body_bytes(nrefs, payload);
    hb_obj *o = (flags & HB_F_FINALIZER) || bytes > g->large
                    ? new_old(g, bytes, kind, flags, nrefs, payload)
                    : new_young(g, bytes, kind, flags, nrefs, payload);
    if (o != NULL)
        *dst = o;
    return o;
}

/* ===================================================================
 * Barrier and the rest of the table
 * =================================================================== */

static void gc_reg_write(void *ctx, hb_obj **reg, hb_obj *val)
{
    (void)ctx;
    *reg = val; /* registers are roots, scanned whole: no barrier */
}

static void gc_field_store(void *ctx, hb_obj *o, uint32_t i, hb_obj *val)
{
    gc_state *g = ctx;
    o->refs[i] = val;
    if (val != NULL && is_young(g, val) && !is_young(g, o) && !(o->gcbits & GC_REMEMBERED))
        remember(g, o);
}

/* RESIZE: a new object with the first slots and the payload.  The old
 * object is read again after new_obj, which may have collected and moved
 * it (*reg is a root, rewritten in place). */
static hb_obj *gc_resize(void *ctx, hb_obj **reg, uint32_t nrefs)
{
    gc_state *g = ctx;
    hb_obj *tmp = NULL, *o = *reg;
    hb_obj *n = gc_new_obj(g, &tmp, o->kind, o->flags, nrefs, o->payload);
    if (n == NULL)
        return NULL;
    o = *reg;
    for (uint32_t i = 0; i < nrefs && i < o->nrefs; i++)
        gc_field_store(g, n, i, o->refs[i]);
    memcpy(hb_obj_payload(n), hb_obj_payload(o), o->payload);
    *reg = n;
    return n;
}

static void gc_collect(void *ctx)
{
    major_collection(ctx);
}

static void gc_stats_of(void *ctx, gc_stats *out)
{
    const gc_state *g = ctx;
    *out = g->st;
}

static int gc_holds(void *ctx, const hb_obj *o)
{
    const gc_state *g = ctx;
    const char *p = (const char *)o;
    const space *s = &g->surv[g->from];
    return (p >= g->eden.base && p < g->eden.top) || (p >= s->base && p < s->top);
}

/* ===================================================================
 * Create and destroy
 * =================================================================== */

/* Reads the settings; returns 0, or -1 (create fails) with the message in
 * err for a bad value. */
static int read_config(gc_state *g, const gc_config *cfg, size_t *nursery, hb_err *err)
{
    g->growth = GC_DEFAULT_GROWTH;
    g->min_heap = GC_DEFAULT_MIN_HEAP;
    g->promote_age = GC_DEFAULT_AGE;
    *nursery = GC_DEFAULT_NURSERY;
    if (cfg == NULL)
        return 0;
    g->full = gc_trigger_full(cfg);
    if (cfg->growth != 0.0) {
        if (!isfinite(cfg->growth) || cfg->growth < 1.0)
            return hb_fail(err, HB_ERR_USAGE,
                           "gen-copy: growth %g is invalid: expected a finite factor >= 1.0 "
                           "(0 means the default, %.1f)",
                           cfg->growth, GC_DEFAULT_GROWTH);
        g->growth = cfg->growth;
    }
    if (cfg->min_heap_bytes != 0)
        g->min_heap = cfg->min_heap_bytes;
    if (cfg->promote_age != 0) {
        if (cfg->promote_age > GC_MAX_AGE)
            return hb_fail(err, HB_ERR_USAGE,
                           "gen-copy: promotion age %u is invalid: expected 1 to %u "
                           "(0 means the default, %u)",
                           (unsigned)cfg->promote_age, (unsigned)GC_MAX_AGE,
                           (unsigned)GC_DEFAULT_AGE);
        g->promote_age = cfg->promote_age;
    }
    if (cfg->nursery_bytes != 0) {
        if (cfg->nursery_bytes < GC_MIN_NURSERY || cfg->nursery_bytes > GC_MAX_NURSERY)
            return hb_fail(err, HB_ERR_USAGE,
                           "gen-copy: nursery %zu bytes is invalid: expected %zu to %zu bytes "
                           "(0 means the default, %zu)",
                           cfg->nursery_bytes, (size_t)GC_MIN_NURSERY, (size_t)GC_MAX_NURSERY,
                           (size_t)GC_DEFAULT_NURSERY);
        *nursery = cfg->nursery_bytes;
    }
    return 0;
}

/* Maps eden and, when objects age, the two survivor spaces. */
static int map_nursery(gc_state *g, size_t eden)
{
    uint64_t limit = g->env.heap->limit_bytes;
    eden = eden / 16 * 16;
    if (limit != 0 && eden > limit / 8)
        eden = limit / 8 > GC_MIN_NURSERY / 4 ? (size_t)(limit / 8) / 16 * 16 : GC_MIN_NURSERY / 4;
    size_t surv = g->promote_age > 1 ? eden / GC_SURVIVOR_RATIO / 16 * 16 : 0;
    g->nursery_mapped = eden + 2 * surv;
    g->nursery = hb_map(g->nursery_mapped, 0);
    if (g->nursery == NULL)
        return -1;
    g->eden = (space){g->nursery, g->nursery, g->nursery + eden};
    for (int i = 0; i < 2; i++) {
        char *b = g->nursery + eden + (size_t)i * surv;
        g->surv[i] = (space){b, b, b + surv};
    }
    size_t large = eden / 8 < GC_LARGE_BYTES ? eden / 8 : GC_LARGE_BYTES;
    g->large = large > 64 ? large : 64;
    return 0;
}

static void *gc_create(const gc_env *env)
{
    if (env == NULL)
        return NULL; /* nowhere to say why */
    if (env->heap == NULL || (env->roots == NULL && env->nroots > 0)) {
        hb_fail(env->err, HB_ERR_USAGE, "gen-copy: expected an open heap and a register file in env");
        return NULL;
    }
    gc_state *g = hb_map(sizeof(gc_state), 0); /* mapped: not the workload's heap */
    if (g == NULL) {
        hb_fail(env->err, HB_ERR_NOMEM, "gen-copy: cannot map %zu bytes for the collector",
                sizeof(gc_state));
        return NULL;
    }
    *g = (gc_state){0};
    g->env = *env;
    g->fin_work = env->cfg ? env->cfg->finalizer_work : 0;
    g->env.cfg = NULL;
    g->env.err = NULL; /* read in create only */
    size_t eden;
    int bad = read_config(g, env->cfg, &eden, env->err) != 0;
    if (!bad && (map_nursery(g, eden) != 0 || hb_vec_init(&g->remset, sizeof(uintptr_t), 1024) != 0 ||
                 hb_vec_init(&g->marks, sizeof(uintptr_t), 4096) != 0)) {
        hb_fail(env->err, HB_ERR_NOMEM, "gen-copy: cannot map the nursery (%zu bytes) and tables",
                eden);
        bad = 1;
    }
    if (bad) {
        hb_vec_fini(&g->remset);
        hb_unmap(g->nursery, g->nursery_mapped);
        hb_unmap(g, sizeof(gc_state));
        return NULL;
    }
    set_threshold(g);
    return g;
}

static void free_list(gc_state *g, hb_obj *o)
{
    while (o != NULL) {
        hb_obj *next = header_of(o)->next;
        free_old(g, o);
        o = next;
    }
}

static void gc_destroy(void *ctx)
{
    gc_state *g = ctx;
    if (g == NULL)
        return;
    free_list(g, g->allgc);
    free_list(g, g->finobj);
    hb_vec_fini(&g->remset);
    hb_vec_fini(&g->marks);
    hb_unmap(g->nursery, g->nursery_mapped);
    hb_unmap(g, sizeof(gc_state));
}

/* ===================================================================
 * Debug validator (tests only; declared there, not in a header)
 * =================================================================== */

typedef struct check {
    const gc_state *g;
    unsigned char *starts; /* a bit per 8 nursery bytes: a live young object starts there */
    int bad;
    char *why;
    size_t cap;
} check;

static void problem(check *c, const char *what, const hb_obj *o)
{
    if (c->bad++ == 0 && c->why)
        snprintf(c->why, c->cap, "%s (object %p serial %u)", what, (const void *)o,
                 o ? o->serial : 0u);
}

static size_t start_bit(const check *c, const hb_obj *o)
{
    return (size_t)((const char *)o - c->g->nursery) / 8;
}

/* Records the object starts of a space (a linear walk from its base). */
static void note_starts(check *c, const space *s)
{
    for (char *p = s->base; p < s->top; p += young_span(obj_bytes(obj_at(p)))) {
        size_t bit = start_bit(c, obj_at(p));
        c->starts[bit / 8] |= (unsigned char)(1u << (bit % 8));
    }
}

static void check_young_ref(check *c, const hb_obj *from, const hb_obj *to)
{
    if (to == NULL || !is_young(c->g, to))
        return;
    size_t bit = start_bit(c, to);
    if ((uintptr_t)to % 8 != 0 || !(c->starts[bit / 8] & (1u << (bit % 8))))
        problem(c, "a pointer into the nursery names no live young object", from);
}

static void check_old_list(check *c, hb_obj *list, uint64_t *count,
                           uint64_t *bytes, uint64_t *remembered)
{
    const gc_state *g = c->g;
    for (hb_obj *o = list; o != NULL; o = header_of(o)->next) {
        (*count)++;
        *bytes += obj_bytes(o);
        if (is_young(g, o))
            problem(c, "an old list holds a nursery address", o);
        if (o->gcbits & (GC_MARK | GC_FORWARDED))
            problem(c, "an old object is marked or forwarded between collections", o);
        if (o->gcbits & GC_REMEMBERED)
            (*remembered)++;
        for (uint32_t i = 0; i < o->nrefs; i++) {
            if (o->refs[i] != NULL && is_young(g, o->refs[i]) && !(o->gcbits & GC_REMEMBERED))
                problem(c, "an old object points into the nursery but is not remembered", o);
            check_young_ref(c, o, o->refs[i]);
        }
    }
}

static void check_space(check *c, const space *s, uint64_t *count,
                        uint64_t *bytes)
{
    for (char *p = s->base; p < s->top;) {
        hb_obj *o = obj_at(p);
        (*count)++;
        *bytes += obj_bytes(o);
        if (o->gcbits & (GC_MARK | GC_FORWARDED | GC_REMEMBERED))
            problem(c, "a young object is marked, forwarded or remembered", o);
        if (o->flags & HB_F_FINALIZER)
            problem(c, "a finalizable object is young", o);
        for (uint32_t i = 0; i < o->nrefs; i++)
            check_young_ref(c, o, o->refs[i]);
        p += young_span(obj_bytes(o));
    }
}

static void check_remset(check *c, uint64_t remembered)
{
    const gc_state *g = c->g;
    const uintptr_t *v = hb_vec_words(&g->remset);
    if (g->remset.len != remembered)
        problem(c, "the remembered set's length differs from the remembered objects", NULL);
    for (size_t i = 0; i < g->remset.len; i++) {
        const hb_obj *o = (const hb_obj *)v[i];
        if (is_young(g, o) || !(o->gcbits & GC_REMEMBERED))
            problem(c, "the remembered set holds a young or unflagged object", o);
    }
}

int gc_gen_copy_check(void *ctx, char *why, size_t cap);

/*
 * Checks every invariant stated at the top of this file; returns the
 * number of problems and describes the first in why.  It walks the whole
 * heap: for tests, after every step.
 */
int gc_gen_copy_check(void *ctx, char *why, size_t cap)
{
    const gc_state *g = ctx;
    size_t map_bytes = g->nursery_mapped / 64 + 1;
    check c = {g, hb_map(map_bytes, 0), 0, why, cap};
    if (why && cap)
        why[0] = '\0';
    if (c.starts == NULL) {
        problem(&c, "no memory for the validator's bitmap", NULL);
        return c.bad;
    }
    note_starts(&c, &g->eden);
    note_starts(&c, &g->surv[g->from]);
    uint64_t oc = 0, ob = 0, rem = 0, yc = 0, yb = 0;
    check_old_list(&c, g->allgc, &oc, &ob, &rem);
    check_old_list(&c, g->finobj, &oc, &ob, &rem);
    check_remset(&c, rem);
    check_space(&c, &g->eden, &yc, &yb);
    check_space(&c, &g->surv[g->from], &yc, &yb);
    if (g->surv[1 - g->from].top != g->surv[1 - g->from].base)
        problem(&c, "the to-survivor space is not empty between collections", NULL);
    if (oc != g->old_count || ob != g->old_bytes)
        problem(&c, "the old lists do not add up to old_count / old_bytes", NULL);
    if (yc != g->young_count || yb != g->young_bytes)
        problem(&c, "the nursery does not add up to young_count / young_bytes", NULL);
    if (g->st.objects_live != oc + yc || g->st.bytes_live != ob + yb ||
        g->st.objects_live != g->st.objects_allocated - g->st.objects_freed)
        problem(&c, "objects_live / bytes_live do not match the generations", NULL);
    if (g->env.heap->live_bytes != g->old_bytes)
        problem(&c, "the heap's live bytes differ from the old generation's", NULL);
    for (size_t i = 0; i < g->env.nroots; i++)
        check_young_ref(&c, NULL, g->env.roots[i]);
    hb_unmap(c.starts, map_bytes);
    return c.bad;
}

const gc_strategy gc_gen_copy = {
    .name = "gen-copy",
    .description = "generational: bump nursery copied out (Cheney), remembered set, "
                   "mark-sweep old generation",
    .header_bytes = GC_HEADER_BYTES,
    .unavailable = NULL,
    .needs = {.allocator = NULL, .moves_objects = 1},
    .create = gc_create,
    .destroy = gc_destroy,
    .new_obj = gc_new_obj,
    .reg_write = gc_reg_write,
    .field_store = gc_field_store,
    .safepoint = NULL,
    .collect = gc_collect,
    .stats = gc_stats_of,
    .resize = gc_resize,
    .refcount = NULL,
    .holds = gc_holds,
};
