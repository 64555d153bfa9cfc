/*
 * allocators/mimalloc.c -- the `mimalloc` backend: mimalloc 2 as installed
 * (libmimalloc.so.2), opened in isolation by allocators/peer_loader.c.
 *
 * Calls: mi_malloc(size) and mi_free(p) (malloc and free are the same
 * functions), on the default heap of the calling thread, as a program linked
 * with mimalloc gets them.  Not mi_free_size: in libmimalloc.so.2 it is a
 * jump through the PLT to mi_free, one more indirect hop per free.  Requests
 * under 16 bytes are rounded up to 16: mimalloc's 8-byte bin is only 8-byte
 * aligned, and AL_ALIGN is 16 (every bin from 16 up is 16-aligned; the test
 * checks every size up to 4 KiB).
 *
 * Figures:
 *   block_bytes      read when stats() is called (off the clock; nothing is
 *                    counted per op, see al_peer_books) by walking the pages
 *                    of the calling thread's default heap with
 *                    mi_heap_visit_blocks, areas only: the sum over pages of
 *                    blocks in use times their block size.  One visit per
 *                    page, not per block.  Blocks of other threads' heaps
 *                    are not seen (heapbench allocates on one thread).
 *   footprint_bytes  current_commit from mi_process_info: the bytes mimalloc
 *                    has committed from the operating system (segments,
 *                    their metadata included).  Its current_rss is not used:
 *                    it describes the whole process, not mimalloc.
 *   The figures are mimalloc's process-wide statistics; nothing else in the
 *   process calls this copy of mimalloc, so they are this backend's.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"

#define MI_MIN_BYTES 16

static void *(*mi_malloc_)(size_t);
static void (*mi_free_)(void *);
/* The first fields of mimalloc's mi_heap_area_t, as in mimalloc.h 2.x. */
typedef struct mi_area_head {
    void *blocks;
    size_t reserved, committed, used, block_size;
} mi_area_head;
typedef bool (*mi_visit_fn)(const void *heap, const mi_area_head *area, void *block,
                            size_t block_size, void *arg);
static void *(*mi_heap_get_default_)(void);
static bool (*mi_heap_visit_blocks_)(const void *heap, bool all_blocks, mi_visit_fn fn,
                                     void *arg);
static void (*mi_process_info_)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
                                size_t *, size_t *);
static int (*mi_version_)(void);
static void (*mi_collect_)(bool);

static const al_peer_sym mi_syms[] = {
    {"mi_malloc", &mi_malloc_, 0},
    {"mi_free", &mi_free_, 0},
    {"mi_heap_get_default", &mi_heap_get_default_, 0},
    {"mi_heap_visit_blocks", &mi_heap_visit_blocks_, 0},
    {"mi_process_info", &mi_process_info_, 0},
    {"mi_version", &mi_version_, 0},
    {"mi_collect", &mi_collect_, 0},
    {NULL, NULL, 0},
};

static al_peer_lib mi_lib = {
    .soname = "libmimalloc.so.2",
    .env = "HB_PEER_LIB_MIMALLOC",
    .package = "libmimalloc2.0 (apt-get install libmimalloc2.0 or libmimalloc-dev)",
    .syms = mi_syms,
};

/* Peaks of the readings of the area walk and of current_commit. */
typedef al_peer_books mi_heap_ctx;

static const char *mi_unavailable(void)
{
    return al_peer_load(&mi_lib);
}

/* mi_version() is major*100 + minor*10 + patch (209 is 2.0.9). */
static const char *mi_version_str(void)
{
    static char buf[32];
    if (al_peer_load(&mi_lib) != NULL)
        return "unavailable";
    int v = mi_version_();
    snprintf(buf, sizeof buf, "%d.%d.%d", v / 100, v / 10 % 10, v % 10);
    return buf;
}

static void mi_info(size_t *commit, size_t *peak_commit)
{
    size_t elapsed, user, sys, rss, peak_rss, faults;
    mi_process_info_(&elapsed, &user, &sys, &rss, &peak_rss, commit, peak_commit, &faults);
}

static void *mi_create(const al_config *cfg)
{
    (void)cfg; /* mimalloc is tuned through MIMALLOC_* variables */
    if (al_peer_load(&mi_lib) != NULL)
        return NULL;
    return calloc(1, sizeof(mi_heap_ctx));
}

/* Hands free pages back, so the next heap starts comparably. */
static void mi_destroy(void *ctx)
{
    mi_collect_(true);
    free(ctx);
}

static void *mi_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return mi_malloc_(size < MI_MIN_BYTES ? MI_MIN_BYTES : size);
}

static void mi_free(void *ctx, void *p, size_t size)
{
    (void)ctx, (void)size; /* mimalloc finds the size from the page */
    mi_free_(p);
}

/* al_heap calls mi_malloc and mi_free directly (al_backend.entry). */
static void mi_entry(void *ctx, al_entry *out)
{
    (void)ctx;
    out->alloc = mi_malloc_;
    out->free = mi_free_;
}

/* Called once per page (block == NULL: areas only). */
static bool mi_add_area(const void *heap, const mi_area_head *area, void *block,
                        size_t block_size, void *arg)
{
    (void)heap, (void)block_size;
    if (block == NULL)
        *(uint64_t *)arg += (uint64_t)area->used * area->block_size;
    return true;
}

static uint64_t mi_in_use(void)
{
    uint64_t sum = 0;
    mi_heap_visit_blocks_(mi_heap_get_default_(), false, mi_add_area, &sum);
    return sum;
}

static void mi_stats(void *ctx, al_backend_stats *out)
{
    mi_heap_ctx *h = ctx;
    size_t commit = 0, peak_commit = 0;
    mi_info(&commit, &peak_commit);
    al_peer_books_stats(h, mi_in_use(), commit, out);
}

static void mi_dump(void *ctx, FILE *out)
{
    (void)ctx;
    size_t commit = 0, peak_commit = 0;
    mi_info(&commit, &peak_commit);
    fprintf(out, "mimalloc %s\n  committed        %zu\n  peak committed   %zu "
                 "(process lifetime)\n  block bytes      %llu\n",
            mi_version_str(), commit, peak_commit, (unsigned long long)mi_in_use());
}

const al_backend al_mimalloc = {
    .name = "mimalloc",
    .description = "mimalloc 2 (dlopen'd libmimalloc.so.2; footprint = committed bytes)",
    .version = mi_version_str,
    .unavailable = mi_unavailable,
    .create = mi_create,
    .destroy = mi_destroy,
    .alloc = mi_alloc,
    .free = mi_free,
    .reset = NULL,
    .stats = mi_stats,
    .threads = "native (the library's own thread caches)",
    .dump = mi_dump,
    .entry = mi_entry,
};
