/*
 * allocators/registry.c -- the table of allocator backends, looked up by
 * name, and the al_heap wrapper's out-of-line functions.
 *
 * The registry is a static array whose first entry is the default (as
 * SQLite's mem backends).  Adding a backend is one line in AL_REGISTRY
 * below.  The heap functions here are the slow, rare half of the
 * wrapper: open, close, stats and reset; the per-allocation half (al_alloc,
 * al_free) is inline in allocators/allocator.h.
 */
#include "allocators/allocator.h"

#include <stdio.h>
#include <string.h>

#include "harness/core/registry.h"

/* One line per backend, the default first; the peers (dlopen'd) after the
 * built-in ones. */
#define AL_REGISTRY(X) \
    X(al_pool)         \
    X(al_malloc)       \
    X(al_bump)         \
    X(al_jemalloc)     \
    X(al_mimalloc)     \
    X(al_tcmalloc)     \
    X(al_boehm)

#define AL_DECLARE(table) extern const al_backend table;
#define AL_INDEX(table) AL_AT_##table,
#define AL_SOURCE(table) &table,
#define AL_ENTRY(table) &filled[AL_AT_##table],

AL_REGISTRY(AL_DECLARE)
enum { AL_REGISTRY(AL_INDEX) AL_COUNT };

/* The backends' own tables, and the registry's copies of them with every
 * optional slot filled in (see fill_defaults). */
static const al_backend *const sources[AL_COUNT] = {AL_REGISTRY(AL_SOURCE)};
static al_backend filled[AL_COUNT];

const al_backend *const al_backends[] = {AL_REGISTRY(AL_ENTRY)};

const size_t al_backend_count = sizeof al_backends / sizeof al_backends[0];

/*
 * Optional slots get defaults here, once, before main (a constructor), so
 * that no caller tests a slot for NULL: unavailable() answers "available",
 * dump() writes nothing.  reset stays NULL where absent: it is a capability
 * (al_heap_reset and callers ask for it), not a step that may be skipped.
 */
static const char *always_available(void)
{
    return NULL;
}

static const char *version_unknown(void)
{
    return "unknown";
}

static void dump_nothing(void *ctx, FILE *out)
{
    (void)ctx;
    (void)out;
}

__attribute__((constructor)) static void fill_defaults(void)
{
    for (size_t i = 0; i < al_backend_count; i++) {
        al_backend *b = &filled[i];
        *b = *sources[i];
        if (b->unavailable == NULL)
            b->unavailable = always_available;
        if (b->version == NULL)
            b->version = version_unknown;
        if (b->dump == NULL)
            b->dump = dump_nothing;
    }
}

static size_t count(void) { return al_backend_count; }
static const void *at(size_t i) { return al_backends[i]; }
static const char *name_at(size_t i) { return al_backends[i]->name; }
static const char *unavailable_at(size_t i) { return al_backends[i]->unavailable(); }

const hb_registry al_registry = {"allocator", count, at, name_at, unavailable_at};

const al_backend *al_find(const char *name)
{
    return hb_registry_find(&al_registry, name);
}

void al_names(char *buf, size_t cap)
{
    hb_registry_names(&al_registry, buf, cap);
}

/* ---- heaps ---- */

int al_heap_open(al_heap *h, const al_backend *b, const al_config *cfg)
{
    static const al_config defaults; /* all zero: every backend's default */
    memset(h, 0, sizeof *h);
    /* b may be a backend's own table (tests open heaps over &al_bump), whose
     * optional slots may be NULL: the one place that asks. */
    if (b == NULL || (b->unavailable != NULL && b->unavailable() != NULL))
        return -1;
    void *ctx = b->create(cfg ? cfg : &defaults);
    if (ctx == NULL)
        return -1;
    h->b = b;
    h->ctx = ctx;
    if (b->entry != NULL)
        b->entry(ctx, &h->lib);
    h->watch_bytes = UINT64_MAX; /* no hook */
    return 0; /* check_bytes 0: the first allocation takes the slow path */
}

/* check_bytes from the peak, the limit and the watch (al_heap's invariants).
 * A watch already passed but not yet fired pins it at live_bytes, so the
 * next allocation of any size comes here. */
void al_heap_recheck(al_heap *h)
{
    uint64_t c = h->peak_live_bytes;
    if (h->limit_bytes && h->limit_bytes < c)
        c = h->limit_bytes;
    if (h->on_high != NULL && h->watch_bytes < c)
        c = h->watch_bytes;
    h->check_bytes = c > h->live_bytes ? c : h->live_bytes;
}

void al_heap_set_limit(al_heap *h, uint64_t limit_bytes)
{
    h->limit_bytes = limit_bytes;
    al_heap_recheck(h);
}

void al_heap_set_watch(al_heap *h, uint64_t watch_bytes, void (*on_high)(void *arg), void *arg)
{
    h->watch_bytes = watch_bytes;
    h->on_high = on_high;
    h->watch_arg = arg;
    h->watch_due = 0;
    al_heap_recheck(h);
}

void al_heap_watch_fire(al_heap *h)
{
    h->watch_due = 0;
    if (h->on_high != NULL && h->live_bytes > h->watch_bytes)
        h->on_high(h->watch_arg);
    al_heap_recheck(h);
}

/* An allocation past check_bytes: the watch due from the last one, the
 * limit, the call, the peak, and whether this one passed the watch. */
void *al_alloc_slow(al_heap *h, size_t size)
{
    if (size == 0) /* a cursor's size 0 comes here as it is */
        size = 1;
    if (h->watch_due)
        al_heap_watch_fire(h);
    if (h->limit_bytes && size > h->limit_bytes - h->live_bytes) {
        h->failed++; /* no book moved: check_bytes stands */
        return NULL;
    }
    void *p = al_count_alloc_(h, al_call_alloc(h, size), size);
    if (p == NULL)
        return NULL;
    if (h->live_bytes > h->peak_live_bytes)
        h->peak_live_bytes = h->live_bytes;
    if (h->on_high != NULL && h->live_bytes > h->watch_bytes)
        h->watch_due = 1;
    al_heap_recheck(h);
    return p;
}

al_cursor_step al_cursor_alloc_slow(al_heap *h, uint64_t room, size_t size)
{
    h->live_bytes = h->check_bytes - room;
    al_cursor_step st = {al_alloc_slow(h, size), 0};
    st.room = h->check_bytes - h->live_bytes;
    return st;
}

uint64_t al_cursor_fire(al_heap *h, uint64_t room)
{
    h->live_bytes = h->check_bytes - room;
    al_heap_watch_fire(h);
    return h->check_bytes - h->live_bytes;
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
    out->failed = h->failed;
    if (h->b != NULL && h->ctx != NULL)
        h->b->stats(h->ctx, &out->b);
}

/*
 * Every live block is freed at once, so live_bytes drops to 0.  Peaks stay.
 * A backend without reset is left untouched: callers check b->reset first.
 */
void al_heap_reset(al_heap *h)
{
    if (h->b == NULL || h->ctx == NULL || h->b->reset == NULL)
        return;
    h->b->reset(h->ctx);
    h->live_bytes = 0;
    al_heap_recheck(h);
}
