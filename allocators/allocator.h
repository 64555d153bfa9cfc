/*
 * allocators/allocator.h -- the allocator interface.
 *
 * Layers, top to bottom:
 *
 *     collector / microbenchmark / trace replayer
 *          |  al_alloc(heap, size), al_free(heap, p, size)
 *     al_heap: the one wrapper that does the byte accounting every backend
 *          |  shares (bytes requested live, their peak, the limit, the watch)
 *     al_backend: one table per backend (pool, malloc, bump, ...), each in
 *          |  its own file, every function static but the table
 *     the operating system (mmap) or a C library
 *
 * A backend is a table of function pointers with a context pointer first.
 * Adding one is one file exporting one `const al_backend` and one line in
 * allocators/registry.c.
 *
 * Contract for every backend:
 *   - alloc(ctx, size) with size >= 1 returns a block of at least `size`
 *     bytes aligned to AL_ALIGN, or NULL when it cannot get memory.  It never
 *     aborts or crashes on a failed mapping.
 *   - free(ctx, p, size) receives the same size that alloc was given (sized
 *     deallocation, as Lua's allocator is told the size).  p is never NULL.
 *   - stats() reports its own counters exactly (see al_backend_stats).
 *   - reset(), when present, frees every block at once.
 *
 * Preconditions (size >= 1, p != NULL) are checked once, in al_heap, not in
 * every backend.
 */
#ifndef HB_ALLOCATOR_H
#define HB_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>

#include "harness/core/err.h"
#include <stdio.h>
#include <string.h>

#define AL_ALIGN 16

/* Settings a backend may read; zero means "the backend's default". */
typedef struct al_config {
    size_t arena_bytes; /* pool: bytes per arena (default 1 MiB) */
    size_t pool_bytes;  /* pool: bytes per pool (default 16 KiB) */
    size_t chunk_bytes; /* bump: bytes per mapped chunk (default 1 MiB) */
    uint64_t threads;   /* OS threads that will call the heap at once (0, 1: one);
                           a backend with a `threads` note makes itself safe
                           for them when it is above 1, and only then */
    /* Where create() says why it returned NULL for a bad value (one line
     * naming it and what was expected); may be NULL.  Not a setting: never
     * sent to a repetition's process, the caller points it at its own. */
    hb_err *err;
} al_config;

/*
 * What a backend counts about itself.  Invariants, whenever stats() returns:
 *   block_bytes      >= the requested bytes of the blocks it holds live
 *   peak_*           >= the current value, and never decreases
 *   footprint_bytes  covers block_bytes except for blocks it passed on to
 *                    another allocator (large_bytes), which the footprint
 *                    includes only if it can see them.
 */
typedef struct al_backend_stats {
    uint64_t block_bytes;          /* bytes in live blocks, after rounding */
    uint64_t peak_block_bytes;
    uint64_t footprint_bytes;      /* bytes held from the operating system */
    uint64_t peak_footprint_bytes; /* exact, or sampled: see footprint_exact */
    uint64_t large_bytes;          /* live bytes of requests passed to the system */
    uint64_t large_count;          /* live count of those requests */
    int footprint_exact;           /* 1: counted at every change; 0: read from
                                      the library when stats() is called, so
                                      its peak is the peak of the samples */
} al_backend_stats;

/* A library's own malloc and free (see al_backend.entry). */
typedef struct al_entry {
    void *(*alloc)(size_t size);
    void (*free)(void *p);
} al_entry;

typedef struct al_backend {
    const char *name;        /* as given to -a */
    const char *description; /* one line, for `heapbench list` */
    const char *(*version)(void);
    /* NULL when usable; otherwise a reason, e.g. "install libjemalloc-dev".
     * A backend's table may leave the slot (and version, dump) NULL; the
     * registry's entries and every open heap have them filled in
     * (allocators/registry.c), so callers never test them. */
    const char *(*unavailable)(void);
    void *(*create)(const al_config *cfg); /* NULL on failure */
    void (*destroy)(void *ctx);            /* returns everything to the OS */
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *p, size_t size);
    void (*reset)(void *ctx); /* optional (NULL): free every block at once */
    void (*stats)(void *ctx, al_backend_stats *out);
    void (*dump)(void *ctx, FILE *out); /* optional (filled: writes nothing): a breakdown */
    /* How the backend is safe when cfg->threads > 1 ("native", "a global
     * lock: the GIL model"), shown by `heapbench list`; NULL: it is not,
     * and a threaded run refuses it. */
    const char *threads;
    /* Optional (NULL): for a backend whose alloc and free are exactly a
     * library's malloc and free (malloc, jemalloc, mimalloc, tcmalloc; boehm's
     * GC_malloc_atomic_uncollectable and GC_free),
     * fills *out with those entry points; al_heap_open asks once, and then
     * al_alloc/al_free call them directly -- one indirect call, no ctx, no
     * wrapper, no PLT -- as a program linked with the library calls them.
     * Sizes under AL_ALIGN are raised to AL_ALIGN on that path (the peers'
     * 8-byte classes are only 8-aligned). */
    void (*entry)(void *ctx, struct al_entry *out);
} al_backend;

/*
 * The accounting wrapper.  Its books are bytes only -- what a limit, a
 * peak and a watch need; counting blocks and objects is the client's (the
 * collectors, the replays), which counts them anyway.  Invariants:
 *   live_bytes       == sum of sizes allocated and not yet freed (every
 *                       size counts at least 1, so 0 means no live block)
 *   peak_live_bytes  == max of live_bytes over the heap's life
 *   limit_bytes == 0, or live_bytes <= limit_bytes
 *   live_bytes <= check_bytes <= min(peak_live_bytes, limit_bytes or
 *                   UINT64_MAX, watch_bytes when on_high is set)
 * The last one is what keeps al_alloc's timed path to one compare: an
 * allocation that would take live_bytes past check_bytes -- past the peak,
 * the limit or the watch -- goes to al_alloc_slow, which does the rest.  So
 * limit_bytes and the watch are set through al_heap_set_limit and
 * al_heap_set_watch, which restore it; a field written by hand is not seen
 * until the next slow allocation.  While an al_cursor is out (below), the
 * cursor holds live_bytes.
 */
typedef struct al_heap {
    const al_backend *b;
    void *ctx;
    al_entry lib; /* b->entry's, or NULLs (b->alloc/b->free with ctx) */
    uint64_t live_bytes;
    uint64_t check_bytes; /* see the invariants */
    int watch_due;        /* the watch was passed: on_high runs at the next call */
    uint64_t peak_live_bytes;
    uint64_t failed;      /* allocations refused (no memory, or the limit) */
    uint64_t limit_bytes; /* 0: no limit */
    /* The high-water watch: once an allocation takes live_bytes above
     * watch_bytes, on_high(watch_arg) is called at the start of the next
     * al_alloc or al_free (al_heap_watch_fire), and it raises watch_bytes.
     * At the next call, not at once, so that every block counted in
     * live_bytes has been written by its owner when the hook looks at the
     * process; at a free too, so that the crossing is seen before anything
     * falls back below it.  On the timed path this costs every backend the
     * same: nothing in al_alloc (the watch is inside check_bytes), one test
     * of watch_due in al_free.  on_high NULL (the default, and a heap built
     * by hand) turns it off. */
    uint64_t watch_bytes;
    void (*on_high)(void *watch_arg);
    void *watch_arg;
} al_heap;

/* Everything about a heap at one moment: the wrapper's and the backend's. */
typedef struct al_stats {
    uint64_t live_bytes, peak_live_bytes;
    uint64_t failed;
    al_backend_stats b;
} al_stats;

/* ---- registry (allocators/registry.c) ---- */

extern const al_backend *const al_backends[]; /* first entry is the default */
extern const size_t al_backend_count;

/* The backend with this name, or NULL. */
const al_backend *al_find(const char *name);

/* Writes "pool, malloc, bump" (every registered name) into buf. */
void al_names(char *buf, size_t cap);

/* ---- heaps ---- */

/* Creates a heap over backend b; returns 0, or -1 if the backend failed. */
int al_heap_open(al_heap *h, const al_backend *b, const al_config *cfg);
void al_heap_close(al_heap *h);
void al_heap_stats(al_heap *h, al_stats *out);
/* Frees every block at once; only for backends with reset. */
void al_heap_reset(al_heap *h);
/* The heap limit in bytes (0: none); an allocation that would take
 * live_bytes past it is refused (NULL, failed counted). */
void al_heap_set_limit(al_heap *h, uint64_t limit_bytes);
/* The watch: on_high(arg) once live_bytes has passed watch_bytes (see
 * al_heap); on_high NULL turns it off. */
void al_heap_set_watch(al_heap *h, uint64_t watch_bytes, void (*on_high)(void *arg), void *arg);
/* Restores check_bytes after live_bytes or the peak were written by hand
 * (the threaded replay's books). */
void al_heap_recheck(al_heap *h);
/* al_alloc's path past check_bytes, and the watch's call (registry.c). */
void *al_alloc_slow(al_heap *h, size_t size);
void al_heap_watch_fire(al_heap *h);

#if defined(HB_POISON)
/* Debug builds: freed memory is overwritten so that a stale use shows. */
#define AL_POISON_BYTE 0xDB
#define al_poison_(p, n) memset((p), AL_POISON_BYTE, (n))
#else
#define al_poison_(p, n) ((void)0)
#endif

/* Past this many live bytes an allocation meets the limit or the watch
 * (the peak aside): what the planned books of a replay stop at. */
static inline uint64_t al_heap_threshold(const al_heap *h)
{
    uint64_t lim = h->limit_bytes ? h->limit_bytes : UINT64_MAX;
    return h->on_high != NULL && h->watch_bytes < lim ? h->watch_bytes : lim;
}

/* The backend call al_alloc and al_free make, without the heap's books
 * (size >= 1, p != NULL): the library's own entry when the backend has one,
 * else its table.  The threaded replay calls these, keeping its books in
 * atomics of its own, so every thread count times the same call. */
static inline void *al_call_alloc(al_heap *h, size_t size)
{
    return h->lib.alloc ? h->lib.alloc(size < AL_ALIGN ? AL_ALIGN : size)
                        : h->b->alloc(h->ctx, size);
}

static inline void al_call_free(al_heap *h, void *p, size_t size)
{
    if (h->lib.free)
        h->lib.free(p);
    else
        h->b->free(h->ctx, p, size);
}

/* The books of one allocation the backend answered with p (NULL: refused). */
static inline void *al_count_alloc_(al_heap *h, void *p, size_t size)
{
    if (p == NULL) {
        h->failed++;
        return NULL;
    }
    h->live_bytes += size;
    return p;
}

/* One allocation with the books in the heap, as the collectors make them:
 * one compare (check_bytes folds in the peak, the limit and the watch),
 * the call, one add.  A loop of many calls takes an al_cursor instead. */
static inline void *al_alloc(al_heap *h, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > h->check_bytes - h->live_bytes)
        return al_alloc_slow(h, size);
    return al_count_alloc_(h, al_call_alloc(h, size), size);
}

static inline void al_free(al_heap *h, void *p, size_t size)
{
    if (p == NULL)
        return;
    if (h->watch_due)
        al_heap_watch_fire(h);
    if (size == 0)
        size = 1;
    al_poison_(p, size);
    al_call_free(h, p, size);
    h->live_bytes -= size;
}

/*
 * A loop's copy of a heap's books, for loops that allocate and free many
 * blocks in a row (the allocator-trace replay, heapbench-micro): between
 * al_cursor_take and al_cursor_put the room left under check_bytes is a
 * local, so inlined into one function whose locals never escape it lives
 * in a register, and an allocation costs a compare and a subtract where
 * al_alloc loads and stores the heap's books around every call.  The same
 * books, the same slow path: past the room, or at a free with the watch
 * due, the cursor calls out of line (al_cursor_alloc_slow, al_cursor_fire:
 * the books passed and returned by value, so that the loop keeps them in
 * registers and carries none of the slow path's code).  While a cursor is
 * out the heap's live_bytes is stale; nothing else may allocate from or
 * free to that heap, or read its books, until the put.
 */
typedef struct al_cursor {
    al_heap *h;
    uint64_t room; /* h->check_bytes - live bytes */
    int due;       /* h->watch_due */
} al_cursor;

static inline al_cursor al_cursor_take(al_heap *h)
{
    al_cursor c = {h, h->check_bytes - h->live_bytes, h->watch_due};
    return c;
}

/* Writes the books back; the cursor may go on being used. */
static inline void al_cursor_put(const al_cursor *c)
{
    c->h->live_bytes = c->h->check_bytes - c->room;
}

/* What al_cursor_alloc_slow returns: the block (NULL: refused) and the room
 * after it (registry.c). */
typedef struct al_cursor_step {
    void *p;
    uint64_t room;
} al_cursor_step;

/* al_alloc_slow with the books of a cursor whose room is `room`. */
__attribute__((cold)) al_cursor_step al_cursor_alloc_slow(al_heap *h, uint64_t room, size_t size);
/* The watch's call with those books; returns the room after it. */
__attribute__((cold)) uint64_t al_cursor_fire(al_heap *h, uint64_t room);

static inline void *al_cursor_alloc(al_cursor *c, size_t size)
{
    /* size 0 wraps past any room: the slow path raises it to 1 */
    if (__builtin_expect(size - 1 >= c->room, 0)) {
        al_cursor_step st = al_cursor_alloc_slow(c->h, c->room, size);
        c->room = st.room;
        c->due = c->h->watch_due;
        return st.p;
    }
    void *p = al_call_alloc(c->h, size);
    if (__builtin_expect(p != NULL, 1))
        c->room -= size;
    else
        c->h->failed++;
    return p;
}

/* p != NULL: the loops that take a cursor know which blocks they hold. */
static inline void al_cursor_free(al_cursor *c, void *p, size_t size)
{
    if (__builtin_expect(c->due, 0)) {
        c->room = al_cursor_fire(c->h, c->room);
        c->due = c->h->watch_due;
    }
    if (size == 0)
        size = 1;
    al_poison_(p, size);
    c->room += size;
    al_call_free(c->h, p, size);
}

#endif
