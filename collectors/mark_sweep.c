/*
 * collectors/mark_sweep.c -- a precise, stop-the-world, non-moving
 * mark-sweep collector: the tracing baseline the other strategies are
 * compared against.
 *
 * A collection is one pause: the previous collection's sweep, if any of it
 * is left, is finished; edges from the registers (env->roots[0 ..
 * nroots)) go on the mark stack, the drain marks everything reachable
 * through the prefetch FIFO (collectors/ms_core.h), env->finalize is
 * called on every unmarked object of the finalizer table and of the large
 * table, and the large table is swept (below).  Finalized objects are
 * freed by the same sweeps as the rest: finalizers never resurrect here
 * (collector.h).
 *
 * Large blocks are freed in the pause.  An object of MS_BIG (256 KiB) or
 * more is entered in a third table, `big` (with a finalizer or without),
 * instead of ms_core's `all` or `fin`, and every collection sweeps that
 * table at its end, inside its pause: a dead large block goes back to the
 * allocator (its munmap, ~7 ms for a touched 64 MiB array) before the
 * collection ends, as libgc frees a dead large object when its collection
 * ends (GC_start_reclaim gives every unmarked block holding one large
 * object back at once, and queues only the blocks of small objects for
 * the lazy sweep), and as rc's pause rule times the same free in a
 * cascade.  The table holds few entries (a large block per 256 KiB of
 * heap at most), so sweeping it whole costs the pause little.
 *
 * Lazy sweep.  A collection the trigger starts does not sweep in its
 * pause: the allocations after it do, in batches (pay_sweep), each
 * allocation paying for sweep work in proportion to its bytes (up to a
 * bound), at a rate that ends the sweep once an eighth of the headroom to
 * the next collection has been allocated.  A batch frees the unmarked objects of the next stretch
 * of the object tables to the allocator and clears the survivors' marks,
 * so the blocks it frees are reused, still in cache, by the allocations
 * that follow, as in libgc, which sweeps a block when an allocation finds
 * its free list empty.  collect() and the emergency collection below sweep
 * at once, in their pause.
 *   - Objects allocated while a sweep is pending are white and lie past
 *     the end the sweep was given (ms_core.h's ms_sweep): the sweep keeps
 *     them without testing their colour.
 *   - An allocation of MS_BIG (256 KiB) or more finishes the pending
 *     sweep first (mutator time), so the dead blocks under MS_BIG (large
 *     arrays of 4 KiB and up on large-arrays) are given back before a large
 *     one is taken: the footprint stays near that of an eager sweep.
 *   - Unswept garbage is still allocated: it counts in the heap's
 *     footprint and against --heap-limit, and in gc_stats until swept.  A
 *     triggered collection tells the harness it was not complete (the
 *     oracle checks it for freed reachable objects, not for garbage left).
 *
 * What is timed, beside boehm's (collectors/boehm.c: a pause is libgc's
 * GC_EVENT_START..GC_EVENT_END).  The same kind of quantity on both sides:
 *   - in gc_s: marking, finalization, and whatever of the previous sweep is
 *     still pending when a collection begins (libgc 8.2 finishes its
 *     pending sweep, GC_reclaim_all, inside START..END when the collection
 *     comes from GC_gcollect or GC_collect_or_expand; one GC_maybe_gc starts
 *     drops the unswept blocks instead, GC_start_reclaim rebuilding their
 *     free lists from the new marks, inside START..END too);
 *   - not in gc_s, mutator time: the sweep batches run by allocation, as
 *     libgc's GC_continue_reclaim inside GC_malloc, which no event brackets.
 *   - in gc_s too: freeing the dead objects of MS_BIG or more, as libgc
 *     frees dead large objects (and wholly empty blocks of small ones) in
 *     its pause; every smaller dead object is freed by a sweep batch,
 *     outside it (the allocator owns the blocks, so there is no empty
 *     block to give back at once).
 *
 * Objects have no collector header: the mark bits are in hb_obj.gcbits,
 * the object tables in mapped memory (ms_core.h says why).  Invariant:
 * st.objects_live == the entries of all, fin and big (less [w, r) of a
 * pending sweep); big's objects carry no mark outside a collection.
 *
 * Heap-growth policy (the trigger).  new_obj collects before an allocation
 * that would take the bytes marked by the last collection plus the bytes
 * allocated since above `threshold` (what bytes_live was when the sweep was
 * eager; garbage not yet swept does not count, so the sweep's pace does not
 * move collections); after each collection
 *
 *     threshold = max(threshold, growth x marked, min_heap_bytes)
 *
 * (growth 2.0, min_heap_bytes 4 MiB by default).  The threshold never
 * shrinks: like Boehm's heap, which only grows (GC_free_space_divisor
 * decides between collecting and growing: libgc collects once the heap is
 * full and more than about (2 x pointerful live + pointer-free live / 4 +
 * roots) / 3 bytes were allocated since the last collection, and expands
 * the heap otherwise), a heap grown once for a peak (GCBench's stretch tree)
 * stays available, so the two collectors make comparable numbers of
 * collections.  The 4 MiB floor plays the part of libgc's minimum heap and
 * its root set (the process's static data and stack count in its divisor
 * rule, so a small live set still gets a heap of a few MiB).
 *
 * The "full" trigger (gc_config.trigger, --trigger full; it needs a heap
 * limit).  No growth policy: new_obj collects when the allocation would
 * pass the heap limit (the wrapper's live bytes, unswept garbage
 * included, plus its size: gc_heap_fits), and at no other time; the
 * collection sweeps in its pause (a lazy sweep would leave the heap full
 * of garbage for the very allocation that could not fit); if there is
 * still no room, new_obj returns NULL (oom).  So the heap is a fixed one
 * of --heap-limit bytes, filled before each collection, as MMTk's and
 * DaCapo's heap-size sweeps assume.
 *
 * If the allocator refuses, the pending sweep is finished first (mutator
 * time, as libgc sweeps before it collects for a refused allocation) and
 * the allocation retried; if it is refused again, one emergency collection
 * runs, sweeping at once (unless this call has just collected), and the
 * allocation is retried once more.
 *
 * reg_write and field_store are plain stores: nothing runs concurrently
 * with the mutator, so no barrier is needed.
 */
#include <math.h>
#include <stdint.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "collectors/ms_core.h"
#include "harness/core/clock.h"
#include "harness/core/mem.h"
#include "harness/core/object.h"

#define MS_DEFAULT_GROWTH 2.0
#define MS_DEFAULT_MIN_HEAP ((uint64_t)4 << 20)
#define MS_STACK_MAX_WORDS (SIZE_MAX / sizeof(uintptr_t) / 4)
#define MS_LAZY_BATCH 64u /* table entries one lazy sweep step takes at least */
#define MS_LAZY_SHARE 8u  /* the sweep ends within 1/8 of the headroom */
#define MS_LAZY_MAX_WORK ((uint64_t)4096 * MS_WORK_SWEEP) /* one allocation's most */
#define MS_BIG ((size_t)256 << 10) /* a large block: in `big`, freed in the pause when
                                     dead; an allocation this large finishes the sweep */
#define MS_RATE_SHIFT 16  /* sweep_rate and sweep_owed are 48.16 fixed point */

typedef struct ms_state {
    ms_core c;
    double growth;
    uint64_t min_heap;
    int full;           /* the "full" trigger (collector.h): no growth policy */
    uint64_t threshold; /* collect before base + allocd would pass this */
    uint64_t base;      /* bytes marked by the last collection (0 before one) */
    uint64_t allocd;    /* bytes allocated since the last collection */
    /* The pending sweep: [r, end) of each table still holds the last
     * collection's colours (ms_core.h's ms_sweep). */
    int sweeping;
    ms_sweep sw_all, sw_fin;
    hb_vec big;          /* objects of MS_BIG bytes or more (hb_obj * words) */
    uint64_t sweep_rate; /* table entries owed per byte allocated */
    uint64_t sweep_owed; /* table entries owed, not yet swept */
} ms_state;

/* Tests only: the cap on the mark stack of collectors created from now on. */
static size_t ms_stack_cap = MS_STACK_MAX_WORDS;

void gc_mark_sweep_cap_stack(size_t max_entries);
int gc_mark_sweep_sweeping(void *ctx);

/*
 * Caps the mark stack, in words, of every mark-sweep collector created
 * after the call; SIZE_MAX restores the default (no practical cap).  It
 * exists so that tests can exercise the overflow rescan; benchmarks never
 * call it.
 */
void gc_mark_sweep_cap_stack(size_t max_entries)
{
    ms_stack_cap = max_entries < MS_STACK_MAX_WORDS ? max_entries : MS_STACK_MAX_WORDS;
}

/* Tests only: 1 while a collection's sweep is still pending. */
int gc_mark_sweep_sweeping(void *ctx)
{
    return ((const ms_state *)ctx)->sweeping;
}

/* ===================================================================
 * Lazy sweep
 * =================================================================== */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Sweeps up to `budget` work (ms_core.h's units), the table of objects
 * without finalizers first; clears `sweeping` when both are packed. */
static void sweep_some(ms_state *g, size_t budget)
{
    ms_core *c = &g->c;
    if (!g->sw_all.done) {
        size_t w = ms_sweep_step(c, &c->all, &g->sw_all, budget);
        budget = w < budget ? budget - w : 0;
    }
    if (g->sw_all.done && !g->sw_fin.done && budget > 0)
        ms_sweep_step(c, &c->fin, &g->sw_fin, budget);
    g->sweeping = !(g->sw_all.done && g->sw_fin.done);
}

static void finish_sweep(ms_state *g)
{
    while (g->sweeping)
        sweep_some(g, SIZE_MAX);
    g->sweep_owed = 0;
}

/* After a collection: the sweep is paid by allocation, at a rate that
 * does all its work (ms_core.h's units: a fixed amount per entry, and
 * 1/MS_WORK_FREE_DIV of each dead object's bytes) by the time
 * 1/MS_LAZY_SHARE of the headroom to the next collection is allocated;
 * what is left is finished by the next collection, in its pause.  Why an
 * eighth: the blocks the sweep frees are what the allocations after a
 * collection reuse; swept by half the headroom, gcbench's peak footprint
 * was 48.9 MiB against 44.1 MiB with the sweep in the pause, by an eighth
 * 45.1 MiB, for the same wall time (pool, scale 1). */
static void begin_lazy_sweep(ms_state *g)
{
    ms_core *c = &g->c;
    ms_sweep_begin(&g->sw_all, &c->all);
    ms_sweep_begin(&g->sw_fin, &c->fin);
    g->sweeping = 1;
    g->sweep_owed = 0;
    uint64_t entries = (uint64_t)c->all.len + c->fin.len;
    uint64_t dead = c->st.bytes_live - g->base;
    uint64_t work = sat_add(sat_mul(entries, MS_WORK_SWEEP), dead / MS_WORK_FREE_DIV);
    uint64_t share = g->threshold > g->base ? (g->threshold - g->base) / MS_LAZY_SHARE : 0;
    g->sweep_rate = share == 0 ? UINT64_MAX
                               : sat_mul(work, (uint64_t)1 << MS_RATE_SHIFT) / share + 1;
}

/* Called by every allocation below MS_BIG while a sweep is pending
 * (a larger one finishes the sweep first: with the dead large arrays still
 * held while new ones were mapped, large-arrays' peak footprint was 438 MiB
 * against 300 MiB with the sweep in the pause): adds
 * the work it pays for, and sweeps once a batch is owed, at most
 * MS_LAZY_MAX_WORK per allocation (so a huge allocation does not sweep the
 * whole heap at once, a pause in all but name).  Mutator time (no pause),
 * as libgc's sweep of a block when a free list runs dry. */
static void pay_sweep(ms_state *g, size_t bytes)
{
    g->sweep_owed = sat_add(g->sweep_owed, sat_mul(bytes, g->sweep_rate));
    uint64_t work = g->sweep_owed >> MS_RATE_SHIFT;
    if (work < MS_LAZY_BATCH * MS_WORK_SWEEP)
        return;
    if (work > MS_LAZY_MAX_WORK)
        work = MS_LAZY_MAX_WORK; /* the rest stays owed, paid by the next ones */
    g->sweep_owed -= work << MS_RATE_SHIFT;
    sweep_some(g, (size_t)work);
}

/* ===================================================================
 * Collection and trigger
 * =================================================================== */

/* threshold = max(threshold, growth x live, min_heap), saturating. */
static void set_threshold(ms_state *g, uint64_t live)
{
    if (g->full) {
        g->threshold = UINT64_MAX; /* only the heap limit starts a collection */
        return;
    }
    double t = g->growth * (double)live;
    uint64_t th = t >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)t;
    if (th < g->min_heap)
        th = g->min_heap;
    if (th > g->threshold)
        g->threshold = th;
}

/* Marks from the registers; the overflow rescan covers the large table
 * too. */
static void mark_phase(ms_state *g)
{
    ms_core *c = &g->c;
    c->overflowed = 0;
    c->marked_bytes = 0;
    ms_push_roots(c, 0, c->env.nroots);
    ms_mark_drain(c, SIZE_MAX);
    ms_mark_overflow_rescan(c, &g->big);
}

/* ===================================================================
 * Large blocks
 * =================================================================== */

/* The table an object of `bytes` goes to: big from MS_BIG up, else all or
 * fin by its flags. */
static hb_vec *table_of(ms_state *g, uint8_t flags, size_t bytes)
{
    return bytes >= MS_BIG ? &g->big : ms_table_for(&g->c, flags);
}

/* Runs the finalizer of every unmarked large object that has one not yet
 * run, before anything is freed (a finalizer may read what it points to). */
static void finalize_big(ms_state *g)
{
    ms_core *c = &g->c;
    uintptr_t *v = hb_vec_words(&g->big);
    for (size_t i = 0; i < g->big.len; i++) {
        hb_obj *o = (hb_obj *)v[i];
        if (!(o->gcbits & MS_MARK) && gc_finalizer_due(o))
            ms_finalize_object(c, o);
    }
}

/* Frees the unmarked large objects and clears the survivors' marks, inside
 * the pause: ms_core's sweep of the whole table at once (nothing is added
 * to it meanwhile), packed in order. */
static void sweep_big(ms_state *g)
{
    ms_sweep s;
    ms_sweep_begin(&s, &g->big);
    ms_sweep_step(&g->c, &g->big, &s, SIZE_MAX);
}

/*
 * One full collection, reported as one pause: the pending sweep finished,
 * then mark, finalize, the large blocks swept, and the rest swept.  lazy:
 * the sweep of all and fin is left to allocation (pay_sweep), and the
 * harness is told the collection was not complete (garbage is still held
 * until swept); otherwise it is swept here.  Either way the dead large
 * blocks are freed here.
 */
static void full_collection(ms_state *g, int lazy)
{
    ms_core *c = &g->c;
    uint64_t start = hb_now_ns();
    finish_sweep(g);
    mark_phase(g);
    size_t at = 0;
    ms_finalize_step(c, &at, c->fin.len, SIZE_MAX);
    finalize_big(g);
    sweep_big(g);
    g->base = c->marked_bytes;
    g->allocd = 0;
    set_threshold(g, g->base);
    begin_lazy_sweep(g);
    if (!lazy)
        finish_sweep(g);
    c->st.collections++;
    c->st.full_collections++;
    c->st.major_collections++; /* every collection is of the whole heap */
    uint64_t end = hb_now_ns();
    c->st.major_ns += end - start;
    if (c->env.pause)
        c->env.pause(c->env.harness, start, end);
    if (c->env.collected)
        c->env.collected(c->env.harness, !lazy);
}

/* ===================================================================
 * The strategy's table
 * =================================================================== */

/* Reads the settings; returns 0, or -1 with the message in err. */
static int read_config(ms_state *g, const gc_config *cfg, hb_err *err)
{
    g->growth = MS_DEFAULT_GROWTH;
    g->min_heap = MS_DEFAULT_MIN_HEAP;
    if (cfg == NULL)
        return 0;
    g->full = gc_trigger_full(cfg);
    if (cfg->growth != 0.0) {
        if (!isfinite(cfg->growth) || cfg->growth < 1.0) {
            return hb_fail(err, HB_ERR_USAGE,
                           "mark-sweep: growth %g is invalid: expected a finite factor >= 1.0 "
                           "(0 means the default, %.1f)",
                           cfg->growth, MS_DEFAULT_GROWTH);
        }
        g->growth = cfg->growth;
    }
    if (cfg->min_heap_bytes != 0)
        g->min_heap = cfg->min_heap_bytes;
    return 0;
}

static int check_env(const gc_env *env)
{
    if (env == NULL)
        return -1; /* nowhere to say why */
    if (env->heap == NULL)
        return hb_fail(env->err, HB_ERR_USAGE,
                       "mark-sweep: no heap given: expected an open al_heap in env->heap");
    if (env->roots == NULL && env->nroots > 0)
        return hb_fail(env->err, HB_ERR_USAGE,
                       "mark-sweep: env->roots is NULL with nroots %zu: expected a register file",
                       env->nroots);
    return 0;
}

static void ms_destroy(void *ctx)
{
    ms_state *g = ctx;
    if (g == NULL)
        return;
    finish_sweep(g); /* packs the tables; runs no finalizer */
    if (g->big.v)
        ms_free_table(&g->c, &g->big);
    hb_vec_fini(&g->big);
    ms_core_fini(&g->c);
    hb_unmap(g, sizeof *g);
}

static void *ms_create(const gc_env *env)
{
    if (check_env(env) != 0)
        return NULL;
    /* The state is mapped too, to keep malloc's footprint the workload's. */
    ms_state *g = hb_map(sizeof *g, 0);
    if (g == NULL) {
        hb_fail(env->err, HB_ERR_NOMEM, "mark-sweep: cannot map %zu bytes for the collector",
                sizeof *g);
        return NULL;
    }
    if (read_config(g, env->cfg, env->err) != 0) {
        hb_unmap(g, sizeof *g);
        return NULL;
    }
    if (ms_core_init(&g->c, env, ms_stack_cap) != 0 ||
        hb_vec_init(&g->big, sizeof(uintptr_t), 64) != 0) {
        hb_fail(env->err, HB_ERR_NOMEM, "mark-sweep: cannot map the object tables and mark stack");
        ms_destroy(g);
        return NULL;
    }
    set_threshold(g, 0);
    return g;
}

/* al_alloc, with room in the object's table made first. */
static void *alloc_block(ms_state *g, uint8_t flags, size_t bytes)
{
    if (ms_table_room(table_of(g, flags, bytes)) != 0)
        return NULL;
    return al_alloc(g->c.env.heap, bytes);
}

static hb_obj *ms_new_obj(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                          uint32_t payload)
{
    ms_state *g = ctx;
    size_t bytes = hb_obj_body_bytes(nrefs, payload);
    int collected = 0;
    if (g->full) {
        if (!gc_heap_fits(g->c.env.heap, bytes)) {
            full_collection(g, 0); /* the heap is full: swept in the pause */
            collected = 1;
        }
    } else if (g->base + g->allocd + bytes > g->threshold) {
        full_collection(g, 1); /* *dst still holds its old value: a root */
        collected = 1;
    }
    if (g->sweeping && bytes >= MS_BIG)
        finish_sweep(g); /* the dead blocks under MS_BIG go back before a large one is taken */
    else if (g->sweeping)
        pay_sweep(g, bytes);
    void *block = alloc_block(g, flags, bytes);
    if (block == NULL && g->sweeping) {
        finish_sweep(g); /* what the last collection found dead is freed first */
        block = alloc_block(g, flags, bytes);
    }
    if (block == NULL && !collected) {
        full_collection(g, 0); /* emergency: free what we can, retry once */
        block = alloc_block(g, flags, bytes);
    }
    if (block == NULL)
        return NULL;
    g->allocd += bytes;
    hb_obj *o = ms_init_object(&g->c, table_of(g, flags, bytes), block, bytes, kind, flags, nrefs,
                               payload, 0);
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
    full_collection(ctx, 0);
}

static void ms_stats(void *ctx, gc_stats *out)
{
    const ms_state *g = ctx;
    *out = g->c.st;
}

const gc_strategy gc_mark_sweep = {
    .name = "mark-sweep",
    .description = "precise stop-the-world mark-sweep, prefetching mark, lazy sweep paid by allocation "
                   "(dead blocks of 256 KiB or more freed in the pause); "
                   "heap grows by a factor (default 2), never shrinks",
    .header_bytes = 0,
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
