/*
 * collectors/boehm.c -- the `boehm` strategy: libgc 8.2 (Boehm-Demers-Weiser),
 * a conservative, non-moving mark-sweep collector that brings its own heap.
 *
 *     replay loop --new_obj--> GC_malloc_atomic / GC_malloc_explicitly_typed
 *                  reg_write, field_store: plain stores (no barrier needed)
 *                  collect --> GC_gcollect
 *
 * Objects.  header_bytes is 0: the hb_obj is the start of the GC block.
 * What libgc scans is chosen so that it sees exactly the references:
 *   - nrefs == 0 (leaves, payload-only arrays): GC_malloc_atomic, never
 *     scanned, so payload bytes are never mistaken for pointers;
 *   - nrefs > 0: GC_malloc_explicitly_typed with a bitmap descriptor that
 *     marks only the reference slots (not the 16-byte header, not the
 *     payload).  Above BG_TYPED_MAX_REFS slots, GC_malloc (the whole object
 *     scanned conservatively) -- the one place payload is scanned.
 * Roots: the register file (GC_add_roots over env->roots), plus what libgc
 * always scans conservatively: the stack, registers and static data of the
 * process.  A stale word there can keep an object alive; that is this
 * collector's nature, and shows in its figures.
 *
 * Pauses come from libgc's collection events: GC_EVENT_START..GC_EVENT_END
 * for a stop-the-world collection; in incremental mode, the world-stopped
 * parts it announces (MARK_START..MARK_END, RECLAIM_START..RECLAIM_END).
 * The small marking steps incremental mode does inside allocations have no
 * event and are not reported as pauses; they count as allocation time.
 *
 * Finalizers: GC_register_finalizer_no_order; libgc is set to finalize on
 * demand, and this file runs them (GC_invoke_finalizers) after a collection
 * in new_obj, safepoint and collect.  libgc reclaims a finalized object only
 * at the next collection, so collect() collects a second time when
 * finalizers ran (both pauses are reported): after collect() nothing that
 * was unreachable is left but what the conservative roots hold.
 *
 * Object accounting.  libgc frees by sweeping and tells no one, so frees are
 * not counted one by one.  Instead, when stats() is called right after a full
 * collection (nothing allocated since: the marks are exactly the survivors),
 * it counts this instance's marked objects (a census with
 * GC_enumerate_reachable_objects_inner; objects carry the instance's tag in
 * gcbits).  At any other moment:
 *   objects_live = survivors at the last census + objects allocated since
 * an upper bound (objects that died since are counted until the next census,
 * as a mark-sweep counts garbage it has not swept); bytes_live likewise.
 * objects_freed = objects_collected = objects_allocated - objects_live.
 * The census runs in stats(), outside the replay's timed region.
 *
 * The "full" trigger (gc_config.trigger, --trigger full, with a heap
 * limit): libgc has no "collect only when the heap is full" setting.  The
 * closest: GC_set_max_heap_size(limit) as under any limit, GC_expand_hp to
 * the limit at create (the heap is the limit from the start, its footprint
 * too, as far as libgc maps its pages), and GC_set_free_space_divisor(2^20),
 * so that GC_should_collect() holds as soon as anything was allocated.
 * libgc collects only when an allocation finds no free block (in
 * GC_collect_or_expand); while the used heap is below the size asked of
 * GC_expand_hp it splits free blocks instead of collecting, and past it the
 * divisor makes it collect rather than grow.  What stays libgc's own: a
 * small object needs a free object of its size class or a free 4 KiB block
 * (a heap with free space in other classes' blocks but no free block
 * collects, and ends oom if the collection frees no whole block: on
 * small-objects' 1.5-2.5 MiB heaps the survivors of a heap filled before
 * collecting lie scattered over every block, and runs at 1.5x and 2x the
 * minimum heap ended oom with two thirds of the heap free, where growth,
 * collecting while the heap is compact, passed), and its block headers and
 * mark bits lie outside the limit.  In incremental mode the divisor is left
 * as it is: libgc starts marking steps in every allocation once
 * GC_should_collect() holds, so 2^20 made it collect all the time (45,000
 * collections on small-objects at scale 0.02, 4 s instead of 0.03 s): its
 * cycles start by libgc's divisor rule, in a heap fixed at the limit.
 *
 * libgc is one per process: its heap, its incremental mode (once enabled, it
 * stays on) and its heap limit are shared by every instance; destroy()
 * removes the instance's roots and collects, and finalizers of objects left
 * over from a destroyed instance are ignored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/peers.h"
#include "collectors/collector.h"
#include "harness/core/clock.h"

#define BG_MAX_INSTANCES 16   /* live at once; each needs a finalizer slot */
#define BG_TYPED_MAX_REFS 4096 /* descriptors cached up to this many slots */
#define BG_HEADER_WORDS (sizeof(hb_obj) / sizeof(uintptr_t))
#define BG_FULL_DIVISOR ((uintptr_t)1 << 20) /* "full": collect, never grow */

typedef struct bg_ctx {
    gc_env env;
    size_t fin_work; /* cfg->finalizer_work */
    const al_gc_api *gc;
    uint16_t tag;         /* nonzero; in every object's gcbits */
    uint64_t gc_no_start; /* GC_get_gc_no() at create */
    uint64_t allocated, finalizers_run;
    /* Census: live objects and bytes at the last census, plus those
     * allocated since.  census_due: a full collection ended and nothing was
     * allocated after it, so the mark bits are exactly the survivors. */
    uint64_t census_objects, census_bytes;
    uint64_t since_objects, since_bytes;
    int census_due;
    /* Pause tracking: outer is a START..END collection, inner a stopped
     * phase announced on its own (incremental mode). */
    int pause_outer, pause_inner;
    uint64_t pause_start_ns;
    uint64_t pause_ns; /* the collections' pauses: every one is major */
    uintptr_t old_divisor; /* libgc's free-space divisor before create (0: not changed) */
} bg_ctx;

/* Instances alive, for finalizers (found by tag) and collection events
 * (delivered to the instance whose call is inside libgc). */
static bg_ctx *bg_live[BG_MAX_INSTANCES];
static bg_ctx *bg_active;
static uint16_t bg_last_tag;
static int bg_event_hooked;

/* Reference-slot descriptors by slot count; 0 means not made yet. */
static uintptr_t bg_descr[BG_TYPED_MAX_REFS + 1];

static const char *bg_unavailable(void)
{
    return al_gc_unavailable();
}

/* ==================== Pauses ==================== */

static void bg_pause_begin(bg_ctx *c, int outer)
{
    if (c->pause_outer || c->pause_inner)
        return;
    c->pause_start_ns = hb_now_ns();
    if (outer)
        c->pause_outer = 1;
    else
        c->pause_inner = 1;
}

static void bg_pause_end(bg_ctx *c, int outer)
{
    if (outer ? !c->pause_outer : !c->pause_inner)
        return;
    uint64_t end = hb_now_ns();
    c->pause_outer = c->pause_inner = 0;
    if (c->env.pause)
        c->env.pause(c->env.harness, c->pause_start_ns, end);
    c->pause_ns += end - c->pause_start_ns;
}

static void bg_on_event(int ev)
{
    bg_ctx *c = bg_active;
    if (c == NULL)
        return;
    switch (ev) {
    case AL_GC_EVENT_START: bg_pause_begin(c, 1); break;
    case AL_GC_EVENT_MARK_START:
    case AL_GC_EVENT_RECLAIM_START: bg_pause_begin(c, 0); break;
    case AL_GC_EVENT_MARK_END:
    case AL_GC_EVENT_RECLAIM_END: bg_pause_end(c, 0); break;
    case AL_GC_EVENT_END: bg_pause_end(c, 1); break;
    default: break;
    }
}

/* ==================== Finalization ==================== */

static bg_ctx *bg_by_tag(uint16_t tag)
{
    for (size_t i = 0; i < BG_MAX_INSTANCES; i++)
        if (bg_live[i] && bg_live[i]->tag == tag)
            return bg_live[i];
    return NULL;
}

/* Runs once per object (libgc forgets the registration when it calls). */
static void bg_finalizer(void *obj, void *cd)
{
    bg_ctx *c = bg_by_tag((uint16_t)(uintptr_t)cd);
    if (c == NULL)
        return; /* left over from a destroyed instance */
    hb_obj *o = obj;
    o->flags |= HB_F_FINALIZED;
    c->finalizers_run++;
    gc_run_finalizer(&c->env, c->fin_work, o);
}

/* Returns the number of finalizers run. */
static int bg_run_finalizers(bg_ctx *c)
{
    if (!c->gc->should_invoke_finalizers())
        return 0;
    return c->gc->invoke_finalizers();
}

/* ==================== Allocation ==================== */

/* The descriptor naming the nrefs slots after the header as the only
 * pointers; cached, because libgc keeps every long one it makes. */
static uintptr_t bg_descriptor(const al_gc_api *gc, uint32_t nrefs)
{
    if (bg_descr[nrefs])
        return bg_descr[nrefs];
    size_t words = BG_HEADER_WORDS + nrefs;
    size_t bits = 8 * sizeof(uintptr_t);
    uintptr_t *map = calloc((words + bits - 1) / bits, sizeof *map);
    if (map == NULL)
        return 0;
    for (size_t w = BG_HEADER_WORDS; w < words; w++)
        map[w / bits] |= (uintptr_t)1 << (w % bits);
    bg_descr[nrefs] = gc->make_descriptor(map, words);
    free(map);
    return bg_descr[nrefs];
}

static void *bg_allocate(bg_ctx *c, uint32_t nrefs, size_t bytes)
{
    if (nrefs == 0)
        return c->gc->malloc_atomic(bytes);
    if (nrefs > BG_TYPED_MAX_REFS)
        return c->gc->malloc_(bytes);
    uintptr_t d = bg_descriptor(c->gc, nrefs);
    return d ? c->gc->malloc_typed(bytes, d) : c->gc->malloc_(bytes);
}

static void bg_fill(bg_ctx *c, hb_obj *o, uint8_t kind, uint8_t flags, uint32_t nrefs,
                    uint32_t payload)
{
    o->kind = kind;
    o->flags = flags;
    o->gcbits = c->tag;
    o->nrefs = nrefs;
    o->payload = payload;
    o->serial = (uint32_t)c->allocated;
    /* Typed and conservative blocks come zeroed; said here, not assumed. */
    memset(o->refs, 0, (size_t)nrefs * sizeof(hb_obj *));
}

static hb_obj *bg_new_obj(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                          uint32_t payload)
{
    bg_ctx *c = ctx;
    size_t bytes = hb_obj_body_bytes(nrefs, payload);
    bg_active = c;
    hb_obj *o = bg_allocate(c, nrefs, bytes);
    if (o == NULL)
        return NULL;
    bg_fill(c, o, kind, flags, nrefs, payload);
    if (flags & HB_F_FINALIZER)
        c->gc->register_finalizer_no_order(o, bg_finalizer, (void *)(uintptr_t)c->tag, NULL,
                                           NULL);
    c->allocated++;
    c->since_objects++;
    c->since_bytes += bytes;
    c->census_due = 0;
    *dst = o;
    bg_run_finalizers(c);
    return o;
}

/* ==================== Mutator stores ==================== */

static void bg_reg_write(void *ctx, hb_obj **reg, hb_obj *val)
{
    (void)ctx;
    *reg = val;
}

static void bg_field_store(void *ctx, hb_obj *o, uint32_t i, hb_obj *val)
{
    (void)ctx;
    if (i < o->nrefs)
        o->refs[i] = val;
}

/* ==================== Collection ==================== */

static void bg_safepoint(void *ctx)
{
    bg_ctx *c = ctx;
    bg_active = c;
    bg_run_finalizers(c);
}

static void bg_collect(void *ctx)
{
    bg_ctx *c = ctx;
    bg_active = c;
    c->gc->gcollect();
    if (bg_run_finalizers(c) > 0)
        c->gc->gcollect(); /* reclaims what the finalizers were run for */
    c->census_due = 1;
}

/* ==================== Census and stats ==================== */

typedef struct bg_census {
    uint16_t tag;
    uint64_t objects, bytes;
} bg_census;

static void bg_census_visit(void *obj, size_t bytes, void *cd)
{
    bg_census *k = cd;
    const hb_obj *o = obj;
    if (bytes < sizeof(hb_obj) || o->gcbits != k->tag || o->kind >= HB_KIND_COUNT)
        return;
    k->objects++;
    k->bytes += hb_obj_bytes(o, 0);
}

static const al_gc_api *bg_census_api; /* for the locked callback */

static void *bg_census_locked(void *cd)
{
    bg_census_api->enumerate_reachable_inner(bg_census_visit, cd);
    return NULL;
}

static void bg_take_census(bg_ctx *c)
{
    bg_census k = {.tag = c->tag};
    bg_census_api = c->gc;
    c->gc->call_with_alloc_lock(bg_census_locked, &k);
    c->census_objects = k.objects;
    c->census_bytes = k.bytes;
    c->since_objects = c->since_bytes = 0;
    c->census_due = 0;
}

static void bg_stats(void *ctx, gc_stats *out)
{
    bg_ctx *c = ctx;
    if (c->census_due)
        bg_take_census(c);
    uint64_t live = c->census_objects + c->since_objects;
    uint64_t collections = (uint64_t)c->gc->get_gc_no() - c->gc_no_start;
    *out = (gc_stats){
        .objects_allocated = c->allocated,
        .objects_freed = c->allocated - live,
        .objects_live = live,
        .bytes_live = c->census_bytes + c->since_bytes,
        .collections = collections,
        .full_collections = collections,
        .major_collections = collections,
        .major_ns = c->pause_ns,
        .objects_collected = c->allocated - live,
        .finalizers_run = c->finalizers_run,
    };
}

/* ==================== Life cycle ==================== */

static int bg_claim_slot(bg_ctx *c)
{
    for (size_t i = 0; i < BG_MAX_INSTANCES; i++) {
        if (bg_live[i] == NULL) {
            do
                c->tag = ++bg_last_tag;
            while (c->tag == 0 || bg_by_tag(c->tag));
            bg_live[i] = c;
            return 0;
        }
    }
    return -1;
}

static void bg_release_slot(bg_ctx *c)
{
    for (size_t i = 0; i < BG_MAX_INSTANCES; i++)
        if (bg_live[i] == c)
            bg_live[i] = NULL;
}

/* The "full" trigger: the heap grown to the limit at once (GC_expand_hp,
 * which also sets libgc's requested heap size, below which it splits free
 * blocks rather than collect), and a free-space divisor so large that
 * libgc, finding no free block, collects rather than try to grow.  libgc
 * cannot be told more exactly (see the top).  The divisor is libgc's, one
 * per process: destroy() puts the old one back. */
static void bg_fixed_heap(bg_ctx *c, size_t limit)
{
    const al_gc_api *gc = c->gc;
    if (gc->expand_hp == NULL || gc->set_free_space_divisor == NULL ||
        gc->get_free_space_divisor == NULL)
        return; /* an older libgc: the limit alone (the README says so) */
    size_t heap = gc->get_heap_size();
    if (heap < limit)
        (void)gc->expand_hp(limit - heap); /* refused past the maximum: as far as it goes */
    if (gc->is_incremental_mode())
        return; /* its marking steps start whenever GC_should_collect(): see the top */
    c->old_divisor = gc->get_free_space_divisor();
    gc->set_free_space_divisor(BG_FULL_DIVISOR);
}

/* The mode this instance wants, set up in libgc (which has one mode per
 * process); 0, or -1 with the message in env->err. */
static int bg_set_mode(const al_gc_api *gc, const gc_env *env, int incremental)
{
    if (incremental && !gc->is_incremental_mode()) {
        gc->enable_incremental();
        if (!gc->is_incremental_mode())
            return hb_fail(env->err, HB_ERR_USAGE,
                           "boehm: libgc refused incremental mode (GC_enable_incremental left "
                           "GC_is_incremental_mode 0): it needs a dirty-page tracker "
                           "(mprotect and a SIGSEGV handler, or /proc/self/pagemap soft-dirty "
                           "bits) that this process cannot use");
    }
    if (!incremental && gc->is_incremental_mode())
        return hb_fail(env->err, HB_ERR_USAGE,
                       "boehm: libgc's incremental mode was enabled earlier in this process "
                       "(boehm-incremental or --incremental) and cannot be turned off: expected "
                       "a fresh process (heapbench runs each repetition in its own)");
    return 0;
}

static void *bg_create_mode(const gc_env *env, int incremental)
{
    if (env == NULL)
        return NULL; /* nowhere to say why */
    const al_gc_api *gc = al_gc_api_get();
    if (gc == NULL) {
        hb_fail(env->err, HB_ERR_USAGE, "boehm: libgc could not be loaded");
        return NULL;
    }
    if (bg_set_mode(gc, env, incremental) != 0)
        return NULL;
    bg_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        hb_fail(env->err, HB_ERR_NOMEM, "boehm: out of memory for the collector's state");
        return NULL;
    }
    if (bg_claim_slot(c) != 0) {
        free(c);
        hb_fail(env->err, HB_ERR_USAGE, "boehm: more than %d instances alive at once",
                BG_MAX_INSTANCES);
        return NULL;
    }
    c->env = *env;
    c->fin_work = env->cfg ? env->cfg->finalizer_work : 0;
    c->env.err = NULL; /* read in create only */
    c->gc = gc;
    if (!bg_event_hooked) {
        gc->set_on_collection_event(bg_on_event);
        bg_event_hooked = 1;
    }
    if (env->heap && env->heap->limit_bytes)
        gc->set_max_heap_size((size_t)env->heap->limit_bytes);
    if (gc_trigger_full(env->cfg) && env->heap && env->heap->limit_bytes)
        bg_fixed_heap(c, (size_t)env->heap->limit_bytes);
    if (env->nroots)
        gc->add_roots(env->roots, env->roots + env->nroots);
    c->gc_no_start = gc->get_gc_no();
    return c;
}

static void *bg_create(const gc_env *env)
{
    return bg_create_mode(env, env && env->cfg && env->cfg->incremental);
}

static void *bg_create_incremental(const gc_env *env)
{
    return bg_create_mode(env, 1);
}

static void bg_destroy(void *ctx)
{
    bg_ctx *c = ctx;
    const al_gc_api *gc = c->gc;
    if (bg_active == c)
        bg_active = NULL;
    bg_release_slot(c); /* from here its finalizers are ignored */
    if (c->env.nroots)
        gc->remove_roots(c->env.roots, c->env.roots + c->env.nroots);
    if (c->env.heap && c->env.heap->limit_bytes)
        gc->set_max_heap_size(0);
    if (c->old_divisor)
        gc->set_free_space_divisor(c->old_divisor);
    gc->gcollect(); /* its objects are unreachable now: reclaim them */
    gc->invoke_finalizers();
    free(c);
}

const gc_strategy gc_boehm = {
    .name = "boehm",
    .description = "libgc 8.2 conservative mark-sweep (dlopen'd libgc.so.1), own heap",
    .header_bytes = 0,
    .unavailable = bg_unavailable,
    .needs = {.allocator = "boehm"},
    .create = bg_create,
    .destroy = bg_destroy,
    .new_obj = bg_new_obj,
    .reg_write = bg_reg_write,
    .field_store = bg_field_store,
    .safepoint = bg_safepoint,
    .collect = bg_collect,
    .stats = bg_stats,
    .refcount = NULL,
};

/* The same collector with libgc's incremental mode (GC_enable_incremental):
 * marking in small steps inside allocations, between world-stopped phases;
 * the pauses are those phases (see Pauses above). */
const gc_strategy gc_boehm_incremental = {
    .name = "boehm-incremental",
    .description = "libgc 8.2 in incremental mode (GC_enable_incremental: dirty-page "
                   "tracking, marking in steps), own heap",
    .header_bytes = 0,
    .unavailable = bg_unavailable,
    .needs = {.allocator = "boehm"},
    .create = bg_create_incremental,
    .destroy = bg_destroy,
    .new_obj = bg_new_obj,
    .reg_write = bg_reg_write,
    .field_store = bg_field_store,
    .safepoint = bg_safepoint,
    .collect = bg_collect,
    .stats = bg_stats,
    .refcount = NULL,
};
