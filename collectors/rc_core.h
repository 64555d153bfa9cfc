/*
 * collectors/rc_core.h -- reference counting shared by `rc` and `rc-cycle`.
 *
 * Both strategies count references the same way: a register or a slot that
 * names an object is one reference; when a count reaches zero the object's
 * finalizer runs, its slots are released and it is freed.  The release
 * cascade is iterative over an explicit work stack, so freeing a chain of
 * any length uses a constant amount of C stack.  This header holds that
 * machinery as static inline functions over one struct (rc_core); rc.c adds
 * nothing to it, rc_cycle.c adds the generational cycle detector.
 *
 * Per-object header, in front of the hb_obj (harness/core/object.h):
 *
 *     rc:        [ count:32 | slot:32 ]                          8 bytes
 *     rc-cycle:  [ next ][ prev ][ count:32 | slot:32 ]          24 bytes
 *
 * The count word always sits right before the hb_obj, so every function
 * here finds it the same way whatever the strategy.  `slot` is the object's
 * index in the live table (below).  The count is 32 bits, as CPython 3.12's
 * 64-bit build effectively keeps its own: 2^32 references to one object
 * would need 32 GiB of slots or registers, so it cannot overflow here.
 *
 * The live table.  A reference-counting runtime never needs a list of all
 * its objects, but destroy() must free every object still allocated, and
 * under `rc` the garbage cycles are reachable from nothing at all.  So every
 * object is entered in a table (an array of pointers whose free entries are
 * chained through their own cells): adding and removing are O(1), one cell
 * write each.  Measured against a build without it (heapbench's workloads,
 * same process, alternating): within noise, 0 to 1.5% of replay time.
 * Nothing else reads it.
 *
 * Internal memory (the work stack, the table, the state itself) comes from
 * mmap, never the C library's malloc, which the `malloc` backend's
 * footprint reads process-wide.
 *
 * Invariants, between calls from the harness:
 *   count(o) == references to o from registers and from live objects' slots
 *   the work stack is empty (it is used only inside one cascade)
 *   st.objects_live == objects in the table; st.bytes_live == their bytes
 */
#ifndef HB_RC_CORE_H
#define HB_RC_CORE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/clock.h"
#include "harness/core/object.h"

/* 1: cascades read the clock and report pauses (the shipped setting).
 * 0 only to measure what the timing costs. */
#ifndef RC_CORE_TIMING
#define RC_CORE_TIMING 1
#endif

/*
 * The pause rule is GC_RC_PAUSE_RULE (collectors/collector.h: the one
 * sentence, quoted in README.md, built from the GC_RC_* constants that the
 * defaults below are made of; gc_config's rc_pause_* change three of them).
 * Here is why its bounds are what they are.
 *
 * Why time and bytes, not a count of objects: the release of one touched
 * 64 MiB array costs ~7 ms in munmap and frees one object.  Every collector
 * pays such a free inside a pause: mark-sweep frees its dead blocks of
 * MS_BIG (256 KiB) or more in the collection's pause (mark_sweep.c), gen-copy
 * sweeps its old generation, where every block over 8 KiB is allocated, in
 * the major collection's pause, incremental frees them in a sweep step
 * (each step a pause), and libgc frees dead large objects in its collection.
 * Why 10 us: it is a tenth of the shortest MMU window (0.1 ms), so no
 * cascade that stays mutator time can move MMU at any window by more than a
 * tenth; collections of every collector are pauses at any length.  Why
 * 1 MiB: a cascade that frees that much is a pause even when the allocator
 * defers the work (madvise later, an untouched mapping), so the rule does
 * not hang on a noisy clock for the large frees.
 *
 * Why the clock is read late: dropping a tuple with its items frees a
 * handful of objects in ~50 ns; timing every such cascade with two ~20 ns
 * clock reads cost 12% of throughput on small-objects.  A cascade of fewer
 * than 32 objects and 64 KiB is never timed; measured on every workload
 * (every cascade timed), the longest such cascade took well under 10 us
 * (README), so the rule loses nothing by not timing them.  Why finalizer
 * work counts towards the 64 KiB: a finalizer's cost is the bytes it
 * writes (--finalizer-work, gc_run_finalizer), as a free's grows with the
 * bytes it gives back.  Measured here (the same loop at -O2, least of 20):
 * 64 KiB written took 0.7 us, 1 MiB 10.4 us, 16 MiB 187 us; so a cheap
 * finalizer stays untimed, and one that writes 1 MiB or more is timed
 * whole and a pause by the time bound once it takes 10 us.  The clock is
 * read *before* the object that reaches either bound is finalized and
 * freed, so a large free or a costly finalizer is timed whole; the frees
 * before it (under ~1 us) are left to the mutator.
 */
#define RC_PAUSE_NS_DEFAULT ((uint64_t)GC_RC_PAUSE_US * 1000u)   /* gc_config.rc_pause_ns */
#define RC_PAUSE_BYTES_DEFAULT ((uint64_t)GC_RC_PAUSE_MIB << 20) /* gc_config.rc_pause_bytes */
#define RC_CLOCK_OBJECTS_DEFAULT ((uint32_t)GC_RC_CLOCK_OBJECTS) /* gc_config.rc_pause_min */
#define RC_CLOCK_BYTES ((uint64_t)GC_RC_CLOCK_KIB << 10)

/* ---- the header ---- */

typedef struct rc_word {
    uint32_t count; /* references from registers and slots */
    uint32_t slot;  /* index in the live table */
} rc_word;

/* rc-cycle's generation-list link.  Outside a collection, prev is a
 * pointer; during one, for the objects being collected, it holds the copied
 * count (CPython keeps gc_refs in _gc_prev the same way). */
typedef struct rc_gchead {
    struct rc_gchead *next;
    uintptr_t prev;
} rc_gchead;

#define RC_HEADER_BYTES sizeof(rc_word)
#define RC_CYCLE_HEADER_BYTES (sizeof(rc_gchead) + sizeof(rc_word))

_Static_assert(sizeof(rc_word) == 8, "the rc header is one word");
_Static_assert(sizeof(rc_gchead) + sizeof(rc_word) == 24, "the rc-cycle header is three words");

/* hb_obj.gcbits: only rc-cycle sets any of them. */
enum rc_gcbit {
    RC_GB_TRACKED = 1u << 0,     /* in a generation list */
    RC_GB_COLLECTING = 1u << 1,  /* in the generation being collected */
    RC_GB_UNREACHABLE = 1u << 2, /* tentatively unreachable (move_unreachable) */
    RC_GB_PARKED = 1u << 3       /* untracked by the tuple rule, in the parked list */
};
#define RC_GB_LISTED (RC_GB_TRACKED | RC_GB_PARKED) /* linked through the gc head */

static inline rc_word *rc_w(const hb_obj *o)
{
    return (rc_word *)((char *)o - sizeof(rc_word));
}

static inline rc_gchead *rc_head(const hb_obj *o)
{
    return (rc_gchead *)((char *)o - RC_CYCLE_HEADER_BYTES);
}

static inline hb_obj *rc_head_obj(rc_gchead *h)
{
    return (hb_obj *)((char *)h + RC_CYCLE_HEADER_BYTES);
}

/* ---- mapped memory ---- */

static inline void *rc_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static inline void rc_unmap(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

/* A growable array of words in mapped memory (mremap moves pages, it does
 * not copy them).  Invariant: len <= cap; v is NULL only when cap == 0. */
typedef struct rc_vec {
    uintptr_t *v;
    size_t len, cap;
} rc_vec;

#define RC_VEC_FIRST 4096 /* words: one 32 KiB mapping to start */

static inline int rc_vec_init(rc_vec *s)
{
    s->v = rc_map(RC_VEC_FIRST * sizeof(uintptr_t));
    s->len = 0;
    s->cap = s->v ? RC_VEC_FIRST : 0;
    return s->v ? 0 : -1;
}

static inline void rc_vec_fini(rc_vec *s)
{
    rc_unmap(s->v, s->cap * sizeof(uintptr_t));
    s->v = NULL;
    s->len = s->cap = 0;
}

/* Doubles the capacity; returns 0, or -1 (unchanged) if the OS refused. */
static inline int rc_vec_grow(rc_vec *s)
{
    size_t old = s->cap * sizeof(uintptr_t);
    void *p = mremap(s->v, old, 2 * old, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return -1;
    s->v = p;
    s->cap *= 2;
    return 0;
}

static inline int rc_vec_push(rc_vec *s, uintptr_t x)
{
    if (s->len == s->cap && rc_vec_grow(s) != 0)
        return -1;
    s->v[s->len++] = x;
    return 0;
}

/* ---- shared state ---- */

#define RC_NO_SLOT UINT32_MAX

typedef struct rc_core {
    gc_env env;  /* a copy: the caller's may not outlive create() */
    size_t fin_work; /* cfg->finalizer_work */
    size_t hdr;  /* header_bytes of the strategy: 8 or 24 */
    rc_vec work; /* objects whose count reached zero, slots not yet released */
    rc_vec table; /* live objects; a free cell holds (next free << 1) | 1 */
    uint32_t table_free; /* first free cell, or RC_NO_SLOT */
    uint32_t serial;     /* the next object's serial */
    int in_collection;   /* cascades inside a collection are part of its pause */
    uint32_t clock_objects; /* gc_config.rc_pause_min, or the default */
    uint64_t pause_ns;      /* gc_config.rc_pause_ns, or the default */
    uint64_t pause_bytes;   /* gc_config.rc_pause_bytes, or the default */
    uint64_t young;      /* rc-cycle: tracked allocations minus deallocations
                            since generation 0 was last collected (>= 0) */
    gc_stats st;
} rc_core;

/* Maps a zeroed state of `bytes` (>= sizeof(rc_core), whose first member is
 * the rc_core) and sets it up; NULL on failure. */
static inline rc_core *rc_core_new(const gc_env *env, size_t hdr, size_t bytes)
{
    rc_core *c = rc_map(bytes);
    if (c == NULL) {
        hb_fail(env->err, HB_ERR_NOMEM, "rc: cannot map %zu bytes for the collector", bytes);
        return NULL;
    }
    c->env = *env;
    c->env.err = NULL; /* read in create only */
    c->hdr = hdr;
    const gc_config *cfg = env->cfg;
    c->fin_work = cfg ? cfg->finalizer_work : 0;
    c->clock_objects = cfg && cfg->rc_pause_min ? cfg->rc_pause_min : RC_CLOCK_OBJECTS_DEFAULT;
    c->pause_ns = cfg && cfg->rc_pause_ns ? cfg->rc_pause_ns : RC_PAUSE_NS_DEFAULT;
    c->pause_bytes = cfg && cfg->rc_pause_bytes ? cfg->rc_pause_bytes : RC_PAUSE_BYTES_DEFAULT;
    c->table_free = RC_NO_SLOT;
    if (rc_vec_init(&c->work) != 0 || rc_vec_init(&c->table) != 0) {
        rc_vec_fini(&c->work);
        rc_vec_fini(&c->table);
        rc_unmap(c, bytes);
        hb_fail(env->err, HB_ERR_NOMEM, "rc: cannot map the release stack and live table");
        return NULL;
    }
    return c;
}

/* ---- the live table ---- */

static inline int rc_table_add(rc_core *c, hb_obj *o)
{
    uint32_t i = c->table_free;
    if (i != RC_NO_SLOT) {
        c->table_free = (uint32_t)(c->table.v[i] >> 1);
    } else {
        if (c->table.len == c->table.cap && rc_vec_grow(&c->table) != 0)
            return -1;
        if (c->table.len >= RC_NO_SLOT)
            return -1;
        i = (uint32_t)c->table.len++;
    }
    c->table.v[i] = (uintptr_t)o;
    rc_w(o)->slot = i;
    return 0;
}

static inline void rc_table_remove(rc_core *c, uint32_t i)
{
    c->table.v[i] = ((uintptr_t)c->table_free << 1) | 1u;
    c->table_free = i;
}

/* Frees every object still in the table (no finalizers, no releases: the
 * whole heap goes at once), then the core's own mappings and the state. */
static inline void rc_core_destroy(rc_core *c, size_t bytes)
{
    for (size_t i = 0; i < c->table.len; i++) {
        uintptr_t e = c->table.v[i];
        if (e & 1u)
            continue;
        hb_obj *o = (hb_obj *)e;
        al_free(c->env.heap, hb_obj_block(o, c->hdr), hb_obj_bytes(o, c->hdr));
    }
    rc_vec_fini(&c->work);
    rc_vec_fini(&c->table);
    rc_unmap(c, bytes);
}

/* ---- allocation and freeing ---- */

/* A new object with count 0, zeroed slots, in the table; NULL when the heap
 * or the table refuses. */
static inline hb_obj *rc_core_alloc(rc_core *c, uint8_t kind, uint8_t flags, uint32_t nrefs,
                                    uint32_t payload)
{
    size_t bytes = c->hdr + hb_obj_body_bytes(nrefs, payload);
    void *block = al_alloc(c->env.heap, bytes);
    if (block == NULL)
        return NULL;
    hb_obj *o = hb_block_obj(block, c->hdr);
    memset(block, 0, c->hdr + hb_obj_body_bytes(nrefs, 0));
    o->kind = kind;
    o->flags = flags & (uint8_t)~HB_F_FINALIZED;
    o->nrefs = nrefs;
    o->payload = payload;
    o->serial = c->serial++;
    if (rc_table_add(c, o) != 0) {
        al_free(c->env.heap, block, bytes);
        return NULL;
    }
    c->st.objects_allocated++;
    c->st.objects_live++;
    c->st.bytes_live += bytes;
    return o;
}

/* Unlinks a tracked object from its generation list (rc-cycle).  Lists are
 * consistent whenever an object can be freed: frees happen only outside a
 * collection's detection phase. */
static inline void rc_untrack(rc_core *c, hb_obj *o)
{
    rc_gchead *h = rc_head(o);
    rc_gchead *prev = (rc_gchead *)h->prev;
    prev->next = h->next;
    h->next->prev = (uintptr_t)prev;
    if (c->young > 0) /* collections reset it: frees after one must not wrap */
        c->young--;
}

/* Frees o (of `bytes`, its block size), whose slots have been released. */
static inline void rc_free_obj(rc_core *c, hb_obj *o, size_t bytes)
{
    if (o->gcbits & RC_GB_LISTED)
        rc_untrack(c, o);
    rc_table_remove(c, rc_w(o)->slot);
    c->st.objects_freed++;
    c->st.objects_live--;
    c->st.bytes_live -= bytes;
    if (c->in_collection)
        c->st.objects_collected++;
    al_free(c->env.heap, hb_obj_block(o, c->hdr), bytes);
}

/* Runs o's finalizer if it has one that has not run. */
static inline void rc_finalize(rc_core *c, hb_obj *o)
{
    if (!gc_finalizer_due(o))
        return;
    gc_run_finalizer(&c->env, c->fin_work, o);
    o->flags |= HB_F_FINALIZED;
    c->st.finalizers_run++;
}

/* ---- the release cascade ---- */

/* Remembers an object whose count reached zero.  If the stack cannot grow
 * (the OS refused a mapping) the object stays allocated with count 0: it is
 * still counted live and in the table, so the statistics stay exact and
 * destroy() frees it. */
static inline void rc_defer(rc_core *c, hb_obj *o)
{
    if (rc_vec_push(&c->work, (uintptr_t)o) != 0)
        c->st.objects_stranded++;
}

/* One cascade in progress: objects and bytes freed so far, bytes its
 * finalizers were set to write (cfg->finalizer_work each), and the time
 * the clock was read (0: not yet, and never inside a collection, whose
 * pause covers its cascades). */
typedef struct rc_cascade {
    uint32_t objects;
    uint64_t bytes;
    uint64_t written;
    uint64_t t0;
} rc_cascade;

/* Releases o's slots, deferring every child whose count reaches zero. */
static inline void rc_drop_slots(rc_core *c, hb_obj *o)
{
    for (uint32_t i = 0; i < o->nrefs; i++) {
        hb_obj *ch = o->refs[i];
        if (ch == NULL)
            continue;
        assert(rc_w(ch)->count > 0);
        if (--rc_w(ch)->count == 0)
            rc_defer(c, ch);
    }
}

/* o (of `bytes`) is about to be finalized and freed: reads the clock if
 * this object brings the cascade to clock_objects objects or RC_CLOCK_BYTES
 * freed plus written by finalizers (see the pause rule above). */
static inline void rc_count_free(rc_core *c, rc_cascade *k, const hb_obj *o, size_t bytes)
{
    k->objects++;
    k->bytes += bytes;
    if (gc_finalizer_due(o))
        k->written += c->fin_work;
    if (RC_CORE_TIMING && k->t0 == 0 && !c->in_collection &&
        (k->objects >= c->clock_objects || k->bytes + k->written >= RC_CLOCK_BYTES))
        k->t0 = hb_now_ns();
}

/* One dead object: finalizer first (the object is still whole), then its
 * slots, then its memory. */
static inline void rc_kill(rc_core *c, hb_obj *o, rc_cascade *k)
{
    size_t bytes = hb_obj_bytes(o, c->hdr);
    rc_count_free(c, k, o, bytes);
    rc_finalize(c, o);
    rc_drop_slots(c, o);
    rc_free_obj(c, o, bytes);
}

/* The cascade k has ended: a pause if it was timed and passed either bound. */
static inline void rc_cascade_end(rc_core *c, const rc_cascade *k)
{
    if (!RC_CORE_TIMING || k->t0 == 0 || c->env.pause == NULL)
        return;
    uint64_t t1 = hb_now_ns();
    if (t1 - k->t0 >= c->pause_ns || k->bytes >= c->pause_bytes)
        c->env.pause(c->env.harness, k->t0, t1);
}

/*
 * o's count has just reached zero.  Frees it and everything only it held:
 * one cascade, a pause by the rule above (GC_RC_PAUSE_RULE), ending when
 * the work stack is empty and everything has been freed.
 */
static inline void rc_dead(rc_core *c, hb_obj *o)
{
    rc_cascade k = {0, 0, 0, 0};
    rc_kill(c, o, &k);
    while (c->work.len > 0)
        rc_kill(c, (hb_obj *)c->work.v[--c->work.len], &k);
    rc_cascade_end(c, &k);
}

static inline void rc_incref(hb_obj *o)
{
    if (o) {
        assert(rc_w(o)->count < UINT32_MAX);
        rc_w(o)->count++;
    }
}

static inline void rc_release(rc_core *c, hb_obj *o)
{
    if (o == NULL)
        return;
    assert(rc_w(o)->count > 0);
    if (--rc_w(o)->count == 0)
        rc_dead(c, o);
}

/* *ref := val, for a register or a slot.  The new value is counted before
 * the old one is released, so storing what is already there (or something
 * only the old value holds) is safe. */
static inline void rc_core_put(rc_core *c, hb_obj **ref, hb_obj *val)
{
    hb_obj *old = *ref;
    rc_incref(val);
    *ref = val;
    rc_release(c, old);
}

static inline void rc_core_field_store(rc_core *c, hb_obj *o, uint32_t i, hb_obj *val)
{
    if (o == NULL || i >= o->nrefs) /* the replay loop filters these; be safe anyway */
        return;
    rc_core_put(c, &o->refs[i], val);
}

/* ---- RESIZE ---- */

/* After o's block moved to n: the live table and (rc-cycle) the generation
 * list name n instead. */
static inline void rc_relink(rc_core *c, hb_obj *n)
{
    c->table.v[rc_w(n)->slot] = (uintptr_t)n;
    if (n->gcbits & RC_GB_LISTED) {
        rc_gchead *h = rc_head(n);
        ((rc_gchead *)h->prev)->next = h;
        h->next->prev = (uintptr_t)h;
    }
}

/*
 * RESIZE when *reg is the only reference to its object: the object moves to
 * a block of the new size as realloc would move it (alloc, copy, free: the
 * allocator interface has no realloc), keeping its references without
 * touching their counts, as CPython's list_resize keeps the items; slots
 * cut off are released first (their cascades cannot reach o, which *reg
 * holds).  NULL when the heap refuses.
 */
static inline hb_obj *rc_core_move(rc_core *c, hb_obj **reg, uint32_t nrefs)
{
    hb_obj *o = *reg;
    uint32_t keep = nrefs < o->nrefs ? nrefs : o->nrefs;
    for (uint32_t i = keep; i < o->nrefs; i++) {
        hb_obj *r = o->refs[i];
        o->refs[i] = NULL;
        rc_release(c, r);
    }
    size_t old_bytes = hb_obj_bytes(o, c->hdr);
    size_t bytes = c->hdr + hb_obj_body_bytes(nrefs, o->payload);
    void *block = al_alloc(c->env.heap, bytes);
    if (block == NULL)
        return NULL;
    hb_obj *n = hb_block_obj(block, c->hdr);
    memcpy(block, hb_obj_block(o, c->hdr), c->hdr + hb_obj_body_bytes(keep, 0));
    memset(&n->refs[keep], 0, (size_t)(nrefs - keep) * sizeof(hb_obj *));
    n->nrefs = nrefs;
    memcpy(hb_obj_payload(n), hb_obj_payload(o), o->payload);
    rc_relink(c, n);
    *reg = n;
    c->st.bytes_live += bytes;
    c->st.bytes_live -= old_bytes;
    al_free(c->env.heap, hb_obj_block(o, c->hdr), old_bytes);
    return n;
}

/* n is a new copy of o (same kind, payload size): it takes its own
 * reference to each of o's first min(o, n) slots, and o's payload. */
static inline void rc_core_copy_into(hb_obj *n, const hb_obj *o)
{
    uint32_t keep = n->nrefs < o->nrefs ? n->nrefs : o->nrefs;
    for (uint32_t i = 0; i < keep; i++) {
        n->refs[i] = o->refs[i];
        rc_incref(n->refs[i]);
    }
    memcpy(hb_obj_payload(n), (const unsigned char *)&o->refs[o->nrefs], o->payload);
}

static inline uint64_t rc_core_refcount(const hb_obj *o)
{
    return rc_w(o)->count;
}

#endif
