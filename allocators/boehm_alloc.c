/*
 * allocators/boehm_alloc.c -- libgc (the Boehm-Demers-Weiser collector),
 * loaded at run time, and the `boehm` allocator backend over its heap.
 *
 * libgc.so.1 as Debian builds it does not redirect malloc (it exports no
 * malloc/free), so linking it would be harmless; it is dlopen'd all the same
 * so that the binary builds and runs without libgc-dev and libgc1, and so all
 * four peers load one way.  al_gc_api_get() opens it, calls GC_init once and
 * asks for finalizers on demand (they run only where collectors/boehm.c
 * calls GC_invoke_finalizers, never inside an arbitrary allocation).
 *
 * The `boehm` backend exists for the `boehm` collector, which names it in
 * needs.allocator: it is the pairing's name and its memory figures.  The
 * collector allocates from libgc directly (GC_malloc_atomic / typed), not
 * through al_alloc, because libgc frees by tracing, not through al_free.
 * Used on its own (with another collector), it is a real explicit allocator
 * over libgc's heap: GC_malloc_atomic_uncollectable and GC_free -- blocks
 * that are neither scanned nor collected -- which al_alloc/al_free call
 * directly through al_backend.entry, as the peers' malloc and free are
 * called.  The table's bo_alloc/bo_free call the same two functions and do
 * nothing else, so both paths give the same block for every size:
 * al_call_alloc raises sizes under AL_ALIGN to AL_ALIGN on the entry's, and
 * libgc serves every uncollectable request of 1..16 bytes from its one
 * 16-byte granule (it drops the extra byte a collectable object gets), so
 * that changes nothing (tests/test_peers.c compares GC_size on both paths).
 *
 * Figures:
 *   block_bytes      the footprint less GC_get_free_bytes() (free heap
 *                    blocks still mapped), read when stats() is called (off
 *                    the clock; nothing is counted per op, see
 *                    al_peer_books): every block libgc holds for objects,
 *                    the collector's own and not-yet-collected ones
 *                    included, and small blocks on its free lists.
 *   footprint_bytes  GC_get_heap_size() - GC_get_unmapped_bytes(): the GC
 *                    heap still mapped, collected objects of every
 *                    instance included.  libgc's heap is one per process and
 *                    grows across heaps; it never shrinks below what earlier
 *                    repetitions needed except by unmapping free blocks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"

static al_gc_api gc_api;

static const al_peer_sym gc_syms[] = {
    {"GC_init", &gc_api.init, 0},
    {"GC_malloc", &gc_api.malloc_, 0},
    {"GC_malloc_atomic", &gc_api.malloc_atomic, 0},
    {"GC_malloc_explicitly_typed", &gc_api.malloc_typed, 0},
    {"GC_make_descriptor", &gc_api.make_descriptor, 0},
    {"GC_malloc_atomic_uncollectable", &gc_api.malloc_atomic_uncollectable, 0},
    {"GC_free", &gc_api.free_, 0},
    {"GC_size", &gc_api.size, 0},
    {"GC_gcollect", &gc_api.gcollect, 0},
    {"GC_set_max_heap_size", &gc_api.set_max_heap_size, 0},
    {"GC_add_roots", &gc_api.add_roots, 0},
    {"GC_remove_roots", &gc_api.remove_roots, 0},
    {"GC_enable_incremental", &gc_api.enable_incremental, 0},
    {"GC_is_incremental_mode", &gc_api.is_incremental_mode, 0},
    {"GC_set_on_collection_event", &gc_api.set_on_collection_event, 0},
    {"GC_register_finalizer_no_order", &gc_api.register_finalizer_no_order, 0},
    {"GC_set_finalize_on_demand", &gc_api.set_finalize_on_demand, 0},
    {"GC_should_invoke_finalizers", &gc_api.should_invoke_finalizers, 0},
    {"GC_invoke_finalizers", &gc_api.invoke_finalizers, 0},
    {"GC_get_heap_size", &gc_api.get_heap_size, 0},
    {"GC_get_free_bytes", &gc_api.get_free_bytes, 0},
    {"GC_get_unmapped_bytes", &gc_api.get_unmapped_bytes, 0},
    {"GC_get_gc_no", &gc_api.get_gc_no, 0},
    {"GC_get_version", &gc_api.get_version, 0},
    {"GC_call_with_alloc_lock", &gc_api.call_with_alloc_lock, 0},
    {"GC_enumerate_reachable_objects_inner", &gc_api.enumerate_reachable_inner, 0},
    {"GC_expand_hp", &gc_api.expand_hp, 1},
    {"GC_set_free_space_divisor", &gc_api.set_free_space_divisor, 1},
    {"GC_get_free_space_divisor", &gc_api.get_free_space_divisor, 1},
    {"GC_set_markers_count", &gc_api.set_markers_count, 1},
    {"GC_get_parallel", &gc_api.get_parallel, 1},
    {NULL, NULL, 0},
};

static al_peer_lib gc_lib = {
    .soname = "libgc.so.1",
    .env = "HB_PEER_LIB_GC",
    .package = "libgc1 (apt-get install libgc1 or libgc-dev)",
    .syms = gc_syms,
};

static int gc_ready; /* GC_init done */

const char *al_gc_unavailable(void)
{
    return al_peer_load(&gc_lib);
}

const al_gc_api *al_gc_api_get(void)
{
    if (al_peer_load(&gc_lib) != NULL)
        return NULL;
    if (!gc_ready) {
        /* One marker, the mutator's own thread, as every other collector
         * here collects: a libgc built with parallel marking would otherwise
         * mark on every core (GC_MARKERS cannot undo this). */
        if (gc_api.set_markers_count)
            gc_api.set_markers_count(1);
        gc_api.init();
        gc_api.set_finalize_on_demand(1);
        gc_ready = 1;
    }
    return &gc_api;
}

/* GC_get_version() packs major << 16 | minor << 8 | micro. */
const char *al_gc_version(void)
{
    static char buf[64];
    if (al_peer_load(&gc_lib) != NULL)
        return "unavailable";
    unsigned v = gc_api.get_version();
    int par = gc_ready && gc_api.get_parallel ? gc_api.get_parallel() : 0;
    snprintf(buf, sizeof buf, "%u.%u.%u%s", v >> 16, (v >> 8) & 0xff, v & 0xff,
             par > 0 ? " (parallel marking)" : "");
    return buf;
}

/* ---- the `boehm` backend ---- */

/* Peaks of the readings of the blocks in use and of the footprint. */
typedef struct bo_heap {
    al_peer_books books;
    const al_gc_api *gc;
} bo_heap;

static uint64_t bo_footprint(const al_gc_api *gc)
{
    return (uint64_t)gc->get_heap_size() - gc->get_unmapped_bytes();
}

static void *bo_create(const al_config *cfg)
{
    (void)cfg;
    const al_gc_api *gc = al_gc_api_get();
    if (gc == NULL)
        return NULL;
    bo_heap *h = calloc(1, sizeof *h);
    if (h)
        h->gc = gc;
    return h;
}

static void bo_destroy(void *ctx)
{
    free(ctx);
}

static void *bo_alloc(void *ctx, size_t size)
{
    bo_heap *h = ctx;
    return h->gc->malloc_atomic_uncollectable(size);
}

static void bo_free(void *ctx, void *p, size_t size)
{
    (void)size;
    bo_heap *h = ctx;
    h->gc->free_(p);
}

/* al_heap calls libgc's two functions directly (al_backend.entry); they
 * take no context, and bo_alloc/bo_free add nothing to them. */
static void bo_entry(void *ctx, al_entry *out)
{
    bo_heap *h = ctx;
    out->alloc = h->gc->malloc_atomic_uncollectable;
    out->free = h->gc->free_;
}

static void bo_stats(void *ctx, al_backend_stats *out)
{
    bo_heap *h = ctx;
    uint64_t fp = bo_footprint(h->gc), free_bytes = h->gc->get_free_bytes();
    al_peer_books_stats(&h->books, fp > free_bytes ? fp - free_bytes : 0, fp, out);
}

static void bo_dump(void *ctx, FILE *out)
{
    bo_heap *h = ctx;
    fprintf(out, "libgc %s\n  heap size        %zu\n  free bytes       %zu\n"
                 "  unmapped bytes   %zu\n  collections      %llu\n",
            al_gc_version(), h->gc->get_heap_size(), h->gc->get_free_bytes(),
            h->gc->get_unmapped_bytes(), (unsigned long long)h->gc->get_gc_no());
}

const al_backend al_boehm = {
    .name = "boehm",
    .description = "libgc's heap (dlopen'd libgc.so.1); the boehm collector's pairing",
    .version = al_gc_version,
    .unavailable = al_gc_unavailable,
    .create = bo_create,
    .destroy = bo_destroy,
    .alloc = bo_alloc,
    .free = bo_free,
    .reset = NULL,
    .stats = bo_stats,
    .dump = bo_dump,
    .entry = bo_entry,
};
