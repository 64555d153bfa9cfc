/*
 * collectors/mark_sweep.c -- a precise, stop-the-world, non-moving
 * mark-sweep collector: the tracing baseline the other strategies are
 * compared against.
 *
 * Every object carries an 8-byte header in front of its hb_obj: the link to
 * the next object on one of two singly linked lists (as Lua's allgc/finobj):
 *
 *     allgc   objects without a finalizer
 *     finobj  objects with HB_F_FINALIZER, so that finding the unreachable
 *             ones to finalize walks those alone
 *
 * A collection is one pause: mark everything reachable from the registers
 * (env->roots[0 .. nroots)), call env->finalize on every unmarked object of
 * finobj, then sweep both lists, freeing every unmarked object and clearing
 * the mark of the others.  Finalized objects are freed in the same sweep:
 * finalizers never resurrect here (collector.h), so there is nothing to keep.
 * The pause includes the finalizer calls: they run inside the collection.
 *
 * Marking uses an explicit stack, never the C stack, so a list of ten
 * million objects marks in constant C stack.  The mark stack lives in memory
 * mapped from the OS (never malloc: the malloc backend's footprint is read
 * process-wide, and our own blocks would be counted as the workload's).  It
 * doubles with mremap; when it cannot grow, the object that did not fit
 * stays marked but unscanned, `overflowed` is set, and the heap is rescanned
 * for marked objects with unmarked children until nothing overflows.
 *
 * Invariants:
 *   - Between collections no object is marked (the sweep clears survivors).
 *   - During marking, a marked object with slots is on the mark stack, or
 *     has been scanned, or was refused by a full stack and `overflowed` is set.
 *   - When mark_phase returns, every object reachable from a register is
 *     marked, and no marked object points at an unmarked one.
 *   - st.bytes_live == sum of hb_obj_bytes(o, 8) over both lists; since only
 *     a collection frees, it is also (live after the last collection) +
 *     (bytes allocated since).
 *
 * Trigger: new_obj collects before an allocation that would take bytes_live
 * above `threshold` = max(growth x live after the last collection,
 * min_heap_bytes).  If the allocator refuses, one emergency collection runs
 * (unless this call has just collected) and the allocation is retried once.
 *
 * reg_write and field_store are plain stores: nothing runs concurrently with
 * the mutator, so no barrier is needed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/clock.h"
#include "harness/core/object.h"

#define MS_HEADER_BYTES 8
#define MS_MARK 1u /* in hb_obj.gcbits: reached in the current collection */

#define MS_DEFAULT_GROWTH 2.0
#define MS_DEFAULT_MIN_HEAP ((uint64_t)1 << 20)

#define MS_PAGE 4096u
#define MS_STACK_FIRST_BYTES (32u * 1024u) /* first mapping: 4096 entries */
#define MS_STACK_MAX_ENTRIES (SIZE_MAX / sizeof(hb_obj *) / 4)

/* The collector-private header: the link of the object's list. */
typedef struct ms_header {
    hb_obj *next;
} ms_header;

_Static_assert(sizeof(ms_header) == MS_HEADER_BYTES, "the header is 8 bytes");

/* The mark stack.  Invariant: len <= cap <= max; base maps cap entries
 * (rounded up to pages), or is NULL when cap == 0. */
typedef struct ms_stack {
    hb_obj **base;
    size_t len, cap;
    size_t max;     /* cap never grows past this */
    size_t mapped;  /* bytes mapped at base */
    int overflowed; /* a push was refused since the last rescan began */
} ms_stack;

typedef struct ms_state {
    gc_env env; /* a copy; env.cfg is not kept (read once in create) */
    double growth;
    uint64_t min_heap;
    uint64_t threshold; /* collect before bytes_live would pass this */
    hb_obj *allgc;      /* objects without a finalizer */
    hb_obj *finobj;     /* objects with HB_F_FINALIZER */
    ms_stack stack;
    uint32_t serial;
    gc_stats st;
} ms_state;

/* Tests only: the cap on the mark stack of collectors created from now on. */
static size_t ms_stack_cap = MS_STACK_MAX_ENTRIES;

void gc_mark_sweep_cap_stack(size_t max_entries);

/*
 * Caps the mark stack, in entries, of every mark-sweep collector created
 * after the call; SIZE_MAX restores the default (no practical cap).  It
 * exists so that tests can exercise the overflow rescan; benchmarks never
 * call it.
 */
void gc_mark_sweep_cap_stack(size_t max_entries)
{
    ms_stack_cap = max_entries < MS_STACK_MAX_ENTRIES ? max_entries : MS_STACK_MAX_ENTRIES;
}

static inline hb_obj **next_of(hb_obj *o)
{
    return &((ms_header *)hb_obj_block(o, MS_HEADER_BYTES))->next;
}

static inline size_t obj_bytes(const hb_obj *o)
{
    return hb_obj_bytes(o, MS_HEADER_BYTES);
}

/* ===================================================================
 * Mark stack
 * =================================================================== */

static void *map_bytes(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static size_t round_to_pages(size_t n)
{
    return (n + MS_PAGE - 1) / MS_PAGE * MS_PAGE;
}

/* Doubles the mapping (or makes the first one).  Returns 0, or -1 when the
 * stack is at its cap or the OS refused; the stack is unchanged then. */
static int stack_grow(ms_stack *s)
{
    if (s->cap >= s->max)
        return -1;
    size_t bytes = s->mapped ? s->mapped * 2 : MS_STACK_FIRST_BYTES;
    void *p = s->base ? mremap(s->base, s->mapped, bytes, MREMAP_MAYMOVE) : map_bytes(bytes);
    if (p == MAP_FAILED || p == NULL)
        return -1;
    size_t entries = bytes / sizeof(hb_obj *);
    s->base = p;
    s->mapped = bytes;
    s->cap = entries < s->max ? entries : s->max;
    return 0;
}

static void stack_release(ms_stack *s)
{
    if (s->base)
        munmap(s->base, s->mapped);
    s->base = NULL;
    s->len = s->cap = s->mapped = 0;
}

/* Pushes o, or records that it did not fit (it stays marked; a rescan
 * will scan it). */
static void stack_push(ms_stack *s, hb_obj *o)
{
    if (s->len == s->cap && stack_grow(s) != 0) {
        s->overflowed = 1;
        return;
    }
    s->base[s->len++] = o;
}

/* ===================================================================
 * Mark
 * =================================================================== */

/* Marks o; an object with slots goes on the stack to have them scanned. */
static void mark_object(ms_state *g, hb_obj *o)
{
    if (o == NULL || (o->gcbits & MS_MARK))
        return;
    o->gcbits |= MS_MARK;
    if (o->nrefs > 0)
        stack_push(&g->stack, o);
}

/* Marks o's children; returns the slots looked at. */
static size_t scan_object(ms_state *g, hb_obj *o)
{
    for (uint32_t i = 0; i < o->nrefs; i++)
        mark_object(g, o->refs[i]);
    return o->nrefs;
}

/* Scans until the stack is empty; returns the slots looked at. */
static size_t drain_stack(ms_state *g)
{
    size_t work = 0;
    while (g->stack.len > 0)
        work += scan_object(g, g->stack.base[--g->stack.len]);
    return work;
}

static size_t mark_roots(ms_state *g)
{
    for (size_t i = 0; i < g->env.nroots; i++)
        mark_object(g, g->env.roots[i]);
    return g->env.nroots;
}

/* After an overflow: scans every marked object of one list again, so that
 * children whose push was refused get marked.  Returns the slots looked at. */
static size_t rescan_list(ms_state *g, hb_obj *list)
{
    size_t work = 0;
    for (hb_obj *o = list; o != NULL; o = *next_of(o)) {
        if (o->gcbits & MS_MARK) {
            work += scan_object(g, o);
            work += drain_stack(g);
        }
    }
    return work;
}

/*
 * Marks everything reachable from the registers.  Each rescan pass that
 * overflows has marked at least one object more, so the loop ends.
 */
static size_t mark_phase(ms_state *g)
{
    g->stack.overflowed = 0;
    size_t work = mark_roots(g);
    work += drain_stack(g);
    while (g->stack.overflowed) {
        g->stack.overflowed = 0;
        work += rescan_list(g, g->allgc);
        work += rescan_list(g, g->finobj);
    }
    return work;
}

/* ===================================================================
 * Finalization
 * =================================================================== */

/* Calls the finalizer of every unreachable object of finobj.  Runs before
 * the sweep frees anything, so a finalizer may read the object and whatever
 * it points to.  Returns the finalizers run. */
static size_t finalize_unreached(ms_state *g)
{
    size_t n = 0;
    for (hb_obj *o = g->finobj; o != NULL; o = *next_of(o)) {
        if ((o->gcbits & MS_MARK) || (o->flags & HB_F_FINALIZED))
            continue;
        if (g->env.finalize)
            g->env.finalize(g->env.harness, o);
        o->flags |= HB_F_FINALIZED;
        n++;
    }
    g->st.finalizers_run += n;
    return n;
}

/* ===================================================================
 * Sweep
 * =================================================================== */

static void free_object(ms_state *g, hb_obj *o)
{
    size_t bytes = obj_bytes(o);
    g->st.objects_freed++;
    g->st.objects_live--;
    g->st.bytes_live -= bytes;
    al_free(g->env.heap, hb_obj_block(o, MS_HEADER_BYTES), bytes);
}

/* Frees the unmarked objects of the list at *p and unmarks the others.
 * Returns the objects freed. */
static size_t sweep_list(ms_state *g, hb_obj **p)
{
    size_t freed = 0;
    while (*p != NULL) {
        hb_obj *o = *p;
        if (o->gcbits & MS_MARK) {
            o->gcbits &= (uint16_t)~MS_MARK;
            p = next_of(o);
        } else {
            *p = *next_of(o); /* unlink before the block is freed (poisoned) */
            free_object(g, o);
            freed++;
        }
    }
    return freed;
}

/* Frees every object of a list, without finalizers (destroy). */
static void free_list(ms_state *g, hb_obj *o)
{
    while (o != NULL) {
        hb_obj *next = *next_of(o);
        free_object(g, o);
        o = next;
    }
}

/* ===================================================================
 * Collection and trigger
 * =================================================================== */

/* threshold = max(growth x bytes_live, min_heap), saturating at UINT64_MAX. */
static void set_threshold(ms_state *g)
{
    double t = g->growth * (double)g->st.bytes_live;
    uint64_t th = t >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)t;
    g->threshold = th > g->min_heap ? th : g->min_heap;
}

/* One full collection, reported as one pause. */
static void full_collection(ms_state *g)
{
    uint64_t start = hb_now_ns();
    mark_phase(g);
    finalize_unreached(g);
    size_t freed = sweep_list(g, &g->allgc);
    freed += sweep_list(g, &g->finobj);
    g->st.objects_collected += freed;
    g->st.collections++;
    g->st.full_collections++;
    set_threshold(g);
    uint64_t end = hb_now_ns();
    if (g->env.pause)
        g->env.pause(g->env.harness, start, end);
    if (g->env.collected)
        g->env.collected(g->env.harness, 1);
}

/* ===================================================================
 * The strategy's table
 * =================================================================== */

/* Reads the settings; returns 0, or -1 with a message on stderr. */
static int read_config(ms_state *g, const gc_config *cfg)
{
    g->growth = MS_DEFAULT_GROWTH;
    g->min_heap = MS_DEFAULT_MIN_HEAP;
    if (cfg == NULL)
        return 0;
    if (cfg->growth != 0.0) {
        if (!isfinite(cfg->growth) || cfg->growth < 1.0) {
            fprintf(stderr,
                    "mark-sweep: growth %g is invalid: expected a finite factor >= 1.0 "
                    "(0 means the default, %.1f)\n",
                    cfg->growth, MS_DEFAULT_GROWTH);
            return -1;
        }
        g->growth = cfg->growth;
    }
    if (cfg->min_heap_bytes != 0)
        g->min_heap = cfg->min_heap_bytes;
    return 0;
}

static int check_env(const gc_env *env)
{
    if (env == NULL || env->heap == NULL) {
        fprintf(stderr, "mark-sweep: no heap given: expected an open al_heap in env->heap\n");
        return -1;
    }
    if (env->roots == NULL && env->nroots > 0) {
        fprintf(stderr, "mark-sweep: env->roots is NULL with nroots %zu: expected a register file\n",
                env->nroots);
        return -1;
    }
    return 0;
}

static void *ms_create(const gc_env *env)
{
    if (check_env(env) != 0)
        return NULL;
    /* The context is mapped too, to keep malloc's footprint the workload's. */
    ms_state *g = map_bytes(round_to_pages(sizeof(ms_state)));
    if (g == NULL) {
        fprintf(stderr, "mark-sweep: cannot map %zu bytes for the collector\n", sizeof(ms_state));
        return NULL;
    }
    *g = (ms_state){0};
    g->env = *env;
    g->env.cfg = NULL;
    g->stack.max = ms_stack_cap;
    if (read_config(g, env->cfg) != 0) {
        munmap(g, round_to_pages(sizeof(ms_state)));
        return NULL;
    }
    set_threshold(g);
    return g;
}

static void ms_destroy(void *ctx)
{
    ms_state *g = ctx;
    if (g == NULL)
        return;
    free_list(g, g->allgc);
    free_list(g, g->finobj);
    stack_release(&g->stack);
    munmap(g, round_to_pages(sizeof(ms_state)));
}

/* Fills a fresh block and links it on its list. */
static hb_obj *init_object(ms_state *g, void *block, size_t bytes, uint8_t kind, uint8_t flags,
                           uint32_t nrefs, uint32_t payload)
{
    hb_obj *o = hb_block_obj(block, MS_HEADER_BYTES);
    o->kind = kind;
    o->flags = flags & HB_F_FINALIZER; /* FINALIZED is ours to set */
    o->gcbits = 0;
    o->nrefs = nrefs;
    o->payload = payload;
    o->serial = g->serial++;
    for (uint32_t i = 0; i < nrefs; i++)
        o->refs[i] = NULL;
    hb_obj **list = (o->flags & HB_F_FINALIZER) ? &g->finobj : &g->allgc;
    *next_of(o) = *list;
    *list = o;
    g->st.objects_allocated++;
    g->st.objects_live++;
    g->st.bytes_live += bytes;
    return o;
}

static hb_obj *ms_new_obj(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                          uint32_t payload)
{
    ms_state *g = ctx;
    size_t bytes = MS_HEADER_BYTES + hb_obj_body_bytes(nrefs, payload);
    int collected = 0;
    if (g->st.bytes_live + bytes > g->threshold) {
        full_collection(g); /* *dst still holds its old value: a root */
        collected = 1;
    }
    void *block = al_alloc(g->env.heap, bytes);
    if (block == NULL && !collected) {
        full_collection(g); /* emergency: free what we can, retry once */
        block = al_alloc(g->env.heap, bytes);
    }
    if (block == NULL)
        return NULL;
    hb_obj *o = init_object(g, block, bytes, kind, flags, nrefs, payload);
    *dst = o;
    return o;
}

static void ms_reg_write(void *ctx, hb_obj **reg, hb_obj *val)
{
    (void)ctx;
    *reg = val;
}

static void ms_field_store(void *ctx, hb_obj *o, uint32_t i, hb_obj *val)
{
    (void)ctx;
    o->refs[i] = val;
}

static void ms_collect(void *ctx)
{
    full_collection(ctx);
}

static void ms_stats(void *ctx, gc_stats *out)
{
    const ms_state *g = ctx;
    *out = g->st;
}

const gc_strategy gc_mark_sweep = {
    .name = "mark-sweep",
    .description = "precise stop-the-world mark-sweep; collects when the heap grows by a factor (default 2)",
    .header_bytes = MS_HEADER_BYTES,
    .unavailable = NULL,
    .needs = {.allocator = NULL},
    .create = ms_create,
    .destroy = ms_destroy,
    .new_obj = ms_new_obj,
    .reg_write = ms_reg_write,
    .field_store = ms_field_store,
    .safepoint = NULL,
    .collect = ms_collect,
    .stats = ms_stats,
    .refcount = NULL,
};
