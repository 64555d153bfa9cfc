/*
 * allocators/tcmalloc.c -- the `tcmalloc` backend: gperftools' tcmalloc as
 * installed (libtcmalloc_minimal.so.4, the build without the profiler),
 * opened in isolation by allocators/peer_loader.c.
 *
 * Calls: al_alloc/al_free (the timed path) call tc_malloc(size) and
 * tc_free(p) directly through al_backend.entry, the thread-cached fast path
 * a program linked with tcmalloc gets from malloc and free; only a caller
 * of the table itself goes through tc_alloc/tc_free, which call tc_malloc
 * and tc_free_sized(p, size).  Requests under 16 bytes are rounded up to 16
 * on both paths (al_call_alloc raises them on the entry's): tcmalloc's
 * 8-byte class is only 8-byte aligned, and AL_ALIGN is 16 (every class from
 * 16 up is 16-aligned; the test checks).
 *
 * Figures:
 *   block_bytes      MallocExtension "generic.current_allocated_bytes",
 *                    read when stats() is called (off the clock; nothing is
 *                    counted per op, see al_peer_books): the bytes of the
 *                    size classes of the blocks tcmalloc has handed out.
 *   footprint_bytes  MallocExtension "generic.total_physical_bytes": bytes
 *                    of the page heap still mapped (heap_size minus
 *                    pageheap_unmapped_bytes) plus tcmalloc's metadata.
 *                    Falls back to heap_size - pageheap_unmapped_bytes when
 *                    the property is missing.
 *   The figures are tcmalloc's process-wide statistics; nothing else in the
 *   process calls this copy of tcmalloc, so they are this backend's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"

#define TC_MIN_BYTES 16

static void *(*tc_malloc_)(size_t);
static void (*tc_free_sized_)(void *, size_t);
static void (*tc_free_)(void *);
static const char *(*tc_version_)(int *, int *, const char **);
static int (*tc_property_)(const char *, size_t *);
static void (*tc_release_free_)(void);

static const al_peer_sym tc_syms[] = {
    {"tc_malloc", &tc_malloc_, 0},
    {"tc_free_sized", &tc_free_sized_, 0},
    {"tc_free", &tc_free_, 0},
    {"tc_version", &tc_version_, 0},
    {"MallocExtension_GetNumericProperty", &tc_property_, 0},
    {"MallocExtension_ReleaseFreeMemory", &tc_release_free_, 0},
    {NULL, NULL, 0},
};

static al_peer_lib tc_lib = {
    .soname = "libtcmalloc_minimal.so.4",
    .env = "HB_PEER_LIB_TCMALLOC",
    .package = "libtcmalloc-minimal4 (apt-get install libtcmalloc-minimal4 or "
               "libgoogle-perftools-dev)",
    .syms = tc_syms,
};

/* Peaks of the readings of current_allocated_bytes and the footprint. */
typedef al_peer_books tc_heap;

static size_t tc_round(size_t size)
{
    return size < TC_MIN_BYTES ? TC_MIN_BYTES : size;
}

static const char *tc_unavailable(void)
{
    return al_peer_load(&tc_lib);
}

/* tc_version returns "gperftools 2.10"; we keep the numbers. */
static const char *tc_version_str(void)
{
    static char buf[32];
    if (al_peer_load(&tc_lib) != NULL)
        return "unavailable";
    int major = 0, minor = 0;
    const char *patch = NULL;
    tc_version_(&major, &minor, &patch);
    snprintf(buf, sizeof buf, "%d.%d%s", major, minor, patch ? patch : "");
    return buf;
}

static uint64_t tc_property(const char *name)
{
    size_t v = 0;
    return tc_property_(name, &v) ? v : 0;
}

static uint64_t tc_footprint(void)
{
    size_t v = 0;
    if (tc_property_("generic.total_physical_bytes", &v))
        return v;
    return tc_property("generic.heap_size") - tc_property("tcmalloc.pageheap_unmapped_bytes");
}

static void *tc_create(const al_config *cfg)
{
    (void)cfg; /* tcmalloc is tuned through TCMALLOC_* variables */
    if (al_peer_load(&tc_lib) != NULL)
        return NULL;
    return calloc(1, sizeof(tc_heap));
}

/* Hands free pages back, so the next heap starts comparably. */
static void tc_destroy(void *ctx)
{
    tc_release_free_();
    free(ctx);
}

static void *tc_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return tc_malloc_(tc_round(size));
}

static void tc_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    tc_free_sized_(p, tc_round(size));
}

/* al_heap calls tc_malloc and tc_free directly (al_backend.entry): tc_free
 * is what free() is in a program linked with tcmalloc. */
static void tc_entry(void *ctx, al_entry *out)
{
    (void)ctx;
    out->alloc = tc_malloc_;
    out->free = tc_free_;
}

static void tc_stats(void *ctx, al_backend_stats *out)
{
    al_peer_books_stats(ctx, tc_property("generic.current_allocated_bytes"), tc_footprint(),
                        out);
}

static void tc_dump(void *ctx, FILE *out)
{
    (void)ctx;
    static const char *const names[] = {
        "generic.current_allocated_bytes", "generic.heap_size", "generic.total_physical_bytes",
        "tcmalloc.pageheap_free_bytes", "tcmalloc.pageheap_unmapped_bytes",
        "tcmalloc.current_total_thread_cache_bytes", "tcmalloc.central_cache_free_bytes"};
    fprintf(out, "tcmalloc %s\n", tc_version_str());
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        fprintf(out, "  %-42s %llu\n", names[i], (unsigned long long)tc_property(names[i]));
}

const al_backend al_tcmalloc = {
    .name = "tcmalloc",
    .description = "gperftools tcmalloc (dlopen'd libtcmalloc_minimal.so.4; footprint = "
                   "total_physical_bytes)",
    .version = tc_version_str,
    .unavailable = tc_unavailable,
    .create = tc_create,
    .destroy = tc_destroy,
    .alloc = tc_alloc,
    .free = tc_free,
    .reset = NULL,
    .stats = tc_stats,
    .threads = "native (the library's own thread caches)",
    .dump = tc_dump,
    .entry = tc_entry,
};
