/*
 * allocators/jemalloc.c -- the `jemalloc` backend: jemalloc 5 as installed
 * (libjemalloc.so.2), opened in isolation by allocators/peer_loader.c.
 *
 * Calls: malloc(size) and free(p) -- this copy's own, resolved from its
 * handle -- with the process's default arenas and thread cache, as a
 * program that links jemalloc gets them.  Not mallocx/sdallocx, although
 * they are jemalloc's sized API: measured with heapbench-native
 * (scripts/compare.sh part d), a 16-byte alloc+free pair cost 26.8 ns
 * through mallocx/sdallocx, 18.8 through malloc/sdallocx and 12.7 through
 * malloc/free, against 11.3 for a plain loop with jemalloc under
 * LD_PRELOAD: in 5.3 only malloc and free take the thread-cache fast paths
 * (imalloc_fastpath, free_fastpath) in this build.  Requests under 16 bytes are rounded
 * up to 16: jemalloc's 8-byte class is only 8-byte aligned, and AL_ALIGN is
 * 16 (every class from 16 up is a multiple of 16, so it is aligned).
 *
 * Figures:
 *   block_bytes      mallctl "stats.allocated" after an "epoch" refresh,
 *                    read when stats() is called (off the clock; nothing is
 *                    counted per op, see al_peer_books): the bytes of the
 *                    size classes of the blocks jemalloc has handed out.
 *   footprint_bytes  mallctl "stats.resident" after an "epoch" refresh:
 *                    resident pages jemalloc maps, its metadata and unused
 *                    dirty pages included -- the nearest match to "held from
 *                    the operating system".  "stats.mapped" leaves out dirty
 *                    pages of inactive extents; both are in dump().
 *   The figures are jemalloc's process-wide statistics; nothing else in the
 *   process calls this copy of jemalloc, so they are this backend's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"

#define JE_MIN_BYTES 16
#define JE_ARENAS_ALL 4096 /* MALLCTL_ARENAS_ALL */

static void *(*je_malloc)(size_t);
static void (*je_free_)(void *);
static int (*je_mallctl)(const char *, void *, size_t *, void *, size_t);

static const al_peer_sym je_syms[] = {
    {"malloc", &je_malloc, 0},
    {"free", &je_free_, 0},
    {"mallctl", &je_mallctl, 0},
    {NULL, NULL, 0},
};

static al_peer_lib je_lib = {
    .soname = "libjemalloc.so.2",
    .env = "HB_PEER_LIB_JEMALLOC",
    .package = "libjemalloc2 (apt-get install libjemalloc2 or libjemalloc-dev)",
    .syms = je_syms,
};

/* Peaks of the readings of stats.allocated and stats.resident. */
typedef al_peer_books je_heap;

static size_t je_round(size_t size)
{
    return size < JE_MIN_BYTES ? JE_MIN_BYTES : size;
}

static const char *je_unavailable(void)
{
    return al_peer_load(&je_lib);
}

static const char *je_version(void)
{
    const char *v = NULL;
    size_t len = sizeof v;
    if (al_peer_load(&je_lib) != NULL || je_mallctl("version", &v, &len, NULL, 0) != 0 || !v)
        return "unavailable";
    return v;
}

/* A statistic of type size_t, or 0 when jemalloc was built without it. */
static uint64_t je_stat(const char *name)
{
    size_t v = 0, len = sizeof v;
    if (je_mallctl(name, &v, &len, NULL, 0) != 0)
        return 0;
    return v;
}

/* jemalloc caches its statistics; writing "epoch" refreshes them. */
static void je_refresh(void)
{
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    je_mallctl("epoch", &epoch, &len, &epoch, len);
}

static void *je_create(const al_config *cfg)
{
    (void)cfg; /* jemalloc is tuned through MALLOC_CONF, not al_config */
    if (al_peer_load(&je_lib) != NULL)
        return NULL;
    return calloc(1, sizeof(je_heap));
}

/* Hands cached and dirty pages back, so the next heap starts comparably. */
static void je_destroy(void *ctx)
{
    je_mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
    char name[64];
    snprintf(name, sizeof name, "arena.%d.purge", JE_ARENAS_ALL);
    je_mallctl(name, NULL, NULL, NULL, 0);
    free(ctx);
}

static void *je_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return je_malloc(je_round(size));
}

static void je_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size; /* free, not sdallocx: see the top of the file */
    je_free_(p);
}

/* al_heap calls this copy's malloc and free directly (al_backend.entry). */
static void je_entry(void *ctx, al_entry *out)
{
    (void)ctx;
    out->alloc = je_malloc;
    out->free = je_free_;
}

static void je_stats(void *ctx, al_backend_stats *out)
{
    je_heap *h = ctx;
    je_refresh();
    al_peer_books_stats(h, je_stat("stats.allocated"), je_stat("stats.resident"), out);
}

static void je_dump(void *ctx, FILE *out)
{
    (void)ctx;
    static const char *const names[] = {"stats.allocated", "stats.active", "stats.metadata",
                                        "stats.resident", "stats.mapped", "stats.retained"};
    je_refresh();
    fprintf(out, "jemalloc %s\n", je_version());
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        fprintf(out, "  %-16s %llu\n", names[i], (unsigned long long)je_stat(names[i]));
}

const al_backend al_jemalloc = {
    .name = "jemalloc",
    .description = "jemalloc 5 (dlopen'd libjemalloc.so.2; footprint = stats.resident)",
    .version = je_version,
    .unavailable = je_unavailable,
    .create = je_create,
    .destroy = je_destroy,
    .alloc = je_alloc,
    .free = je_free,
    .reset = NULL,
    .stats = je_stats,
    .threads = "native (the library's own thread caches)",
    .dump = je_dump,
    .entry = je_entry,
};
