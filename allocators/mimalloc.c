/*
 * allocators/mimalloc.c -- the `mimalloc` backend: mimalloc 2 as installed
 * (libmimalloc.so.2), opened in isolation by allocators/peer_loader.c.
 *
 * Calls: mi_malloc(size) and mi_free_size(p, size), on the default heap of
 * the calling thread, as a program linked with mimalloc would get.  Requests
 * under 16 bytes are rounded up to 16: mimalloc's 8-byte bin is only 8-byte
 * aligned, and AL_ALIGN is 16 (every bin from 16 up is 16-aligned; the test
 * checks every size up to 4 KiB).
 *
 * Figures:
 *   block_bytes      sum of mi_usable_size(p) over live blocks.
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
static void (*mi_free_size_)(void *, size_t);
static size_t (*mi_usable_size_)(const void *);
static void (*mi_process_info_)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
                                size_t *, size_t *);
static int (*mi_version_)(void);
static void (*mi_collect_)(bool);

static const al_peer_sym mi_syms[] = {
    {"mi_malloc", &mi_malloc_, 0},
    {"mi_free_size", &mi_free_size_, 0},
    {"mi_usable_size", &mi_usable_size_, 0},
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

/* Invariant: block_bytes == sum of mi_usable_size over live blocks. */
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
    mi_heap_ctx *h = ctx;
    void *p = mi_malloc_(size < MI_MIN_BYTES ? MI_MIN_BYTES : size);
    if (p == NULL)
        return NULL;
    al_peer_books_alloc(h, mi_usable_size_(p));
    return p;
}

static void mi_free(void *ctx, void *p, size_t size)
{
    mi_heap_ctx *h = ctx;
    al_peer_books_free(h, mi_usable_size_(p));
    mi_free_size_(p, size < MI_MIN_BYTES ? MI_MIN_BYTES : size);
}

static void mi_stats(void *ctx, al_backend_stats *out)
{
    mi_heap_ctx *h = ctx;
    size_t commit = 0, peak_commit = 0;
    mi_info(&commit, &peak_commit);
    al_peer_books_stats(h, commit, out);
}

static void mi_dump(void *ctx, FILE *out)
{
    mi_heap_ctx *h = ctx;
    size_t commit = 0, peak_commit = 0;
    mi_info(&commit, &peak_commit);
    fprintf(out, "mimalloc %s\n  committed        %zu\n  peak committed   %zu "
                 "(process lifetime)\n  block bytes      %llu\n",
            mi_version_str(), commit, peak_commit, (unsigned long long)h->block_bytes);
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
    .dump = mi_dump,
};
