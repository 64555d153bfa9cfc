/*
 * allocators/registry.c -- the table of allocator backends, looked up by
 * name, and the al_heap wrapper's out-of-line functions.
 *
 * The registry is a static array whose first entry is the default (as
 * SQLite's mem backends).  Adding a backend is one `extern` line and one
 * array line below.  The heap functions here are the slow, rare half of the
 * wrapper: open, close, stats and reset; the per-allocation half (al_alloc,
 * al_free) is inline in allocators/allocator.h.
 */
#include "allocators/allocator.h"

#include <stdio.h>
#include <string.h>

#include "harness/core/registry.h"

extern const al_backend al_pool;
extern const al_backend al_malloc;
extern const al_backend al_bump;
/* ---- peer backends: one extern line each ---- */
extern const al_backend al_jemalloc;
extern const al_backend al_mimalloc;
extern const al_backend al_tcmalloc;
extern const al_backend al_boehm;
/* ---- end of peer backends ---- */

const al_backend *const al_backends[] = {
    &al_pool, /* the default */
    &al_malloc,
    &al_bump,
    /* ---- peer backends: one line each ---- */
    &al_jemalloc,
    &al_mimalloc,
    &al_tcmalloc,
    &al_boehm,
    /* ---- end of peer backends ---- */
};

const size_t al_backend_count = sizeof al_backends / sizeof al_backends[0];

static const char *name_at(size_t i)
{
    return al_backends[i]->name;
}

const al_backend *al_find(const char *name)
{
    size_t i = hb_registry_index(name_at, al_backend_count, name);
    return i < al_backend_count ? al_backends[i] : NULL;
}

void al_names(char *buf, size_t cap)
{
    hb_registry_names(name_at, al_backend_count, buf, cap);
}

/* ---- heaps ---- */

int al_heap_open(al_heap *h, const al_backend *b, const al_config *cfg)
{
    static const al_config defaults; /* all zero: every backend's default */
    memset(h, 0, sizeof *h);
    if (b == NULL || (b->unavailable != NULL && b->unavailable() != NULL))
        return -1;
    void *ctx = b->create(cfg ? cfg : &defaults);
    if (ctx == NULL)
        return -1;
    h->b = b;
    h->ctx = ctx;
    return 0;
}

/* Safe on a heap that failed to open or was already closed. */
void al_heap_close(al_heap *h)
{
    if (h->b != NULL && h->ctx != NULL)
        h->b->destroy(h->ctx);
    memset(h, 0, sizeof *h);
}

void al_heap_stats(al_heap *h, al_stats *out)
{
    memset(out, 0, sizeof *out);
    out->live_bytes = h->live_bytes;
    out->peak_live_bytes = h->peak_live_bytes;
    out->allocs = h->allocs;
    out->frees = h->frees;
    out->failed = h->failed;
    if (h->b != NULL && h->ctx != NULL)
        h->b->stats(h->ctx, &out->b);
}

/*
 * Every live block is freed at once, so the wrapper counts them as freed:
 * live_bytes drops to 0 and frees catches up with allocs (the invariant
 * allocs - frees == live blocks holds).  Peaks stay.  A backend without reset
 * is left untouched: callers check b->reset first.
 */
void al_heap_reset(al_heap *h)
{
    if (h->b == NULL || h->ctx == NULL || h->b->reset == NULL)
        return;
    h->b->reset(h->ctx);
    h->live_bytes = 0;
    h->frees = h->allocs;
}
