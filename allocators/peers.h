/*
 * allocators/peers.h -- loading the real peer libraries (jemalloc, mimalloc,
 * tcmalloc, libgc) without letting them take over the process's malloc.
 *
 * Linking any of the three allocators normally would interpose malloc/free
 * for the whole process, and then the `malloc` backend would silently stop
 * being the C library's.  So each library is opened at run time with
 * dlopen(RTLD_NOW | RTLD_LOCAL): its symbols never enter the global scope,
 * and we reach it only through the entry points resolved from its handle.
 * The binary builds and runs without any of them installed; a backend whose
 * library is missing reports why through al_backend.unavailable().
 *
 * jemalloc is built with the initial-exec TLS model (2.6 KiB of static TLS)
 * and glibc keeps only 512 bytes of surplus static TLS for dlopen by default,
 * so its dlopen fails unless the process was started with
 * GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384.  al_peer_reexec_for_tls
 * does that once, at the top of main, by re-executing the program with the
 * tunable added.
 *
 * Test hook: HB_PEER_LIB_<NAME> (e.g. HB_PEER_LIB_JEMALLOC) names another
 * file to open instead of the default soname; it is read at the first load.
 */
#ifndef HB_PEERS_H
#define HB_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"
#include "harness/core/err.h"

/* The tunable that gives dlopen room for jemalloc's static TLS. */
#define AL_PEER_TLS_TUNABLE "glibc.rtld.optional_static_tls=16384"

/* One entry point: its name and where to store the resolved address (the
 * address of a function-pointer variable of the right type). */
typedef struct al_peer_sym {
    const char *name;
    void *dst;
    int optional; /* 1: left NULL when the library lacks it */
} al_peer_sym;

/*
 * One library.  Invariants: state == 0 until the first al_peer_load; then
 * state == 1 with every required symbol resolved, or state == -1 with
 * reason[] saying why and naming the Debian package.
 */
typedef struct al_peer_lib {
    const char *soname;  /* "libjemalloc.so.2" */
    const char *env;     /* "HB_PEER_LIB_JEMALLOC" */
    const char *package; /* "libjemalloc2" */
    const al_peer_sym *syms; /* ends with a NULL name */
    int state;
    void *handle;
    char reason[384];
} al_peer_lib;

/* Opens the library once; NULL when usable, else the reason. */
const char *al_peer_load(al_peer_lib *lib);

/* The file malloc binds to in this process ("/lib/.../libc.so.6", or a
 * preloaded library's), "unknown" when dladdr cannot tell. */
const char *al_malloc_home(void);

/*
 * Call first thing in main().  When GLIBC_TUNABLES lacks the static TLS
 * tunable, re-executes /proc/self/exe with it added (once: a marker variable
 * stops loops) and does not return.  Returns 0 when nothing was needed or
 * HB_PEER_NO_REEXEC is set, -1 when the re-exec failed, with why in e (may
 * be NULL; the program goes on and jemalloc reports itself unavailable: the
 * caller decides whether to say so).
 */
int al_peer_reexec_for_tls(char **argv, hb_err *e);

/* ---- libgc, shared by the boehm allocator and the boehm collector ---- */

/* Events of GC_set_on_collection_event, as numbered in gc.h 8.2. */
enum al_gc_event {
    AL_GC_EVENT_START = 0,
    AL_GC_EVENT_MARK_START,
    AL_GC_EVENT_MARK_END,
    AL_GC_EVENT_RECLAIM_START,
    AL_GC_EVENT_RECLAIM_END,
    AL_GC_EVENT_END
};

typedef void (*al_gc_finalizer_fn)(void *obj, void *cd);
typedef void (*al_gc_reachable_fn)(void *obj, size_t bytes, void *cd);

/* libgc's entry points, resolved from libgc.so.1 (no gc.h needed to build). */
typedef struct al_gc_api {
    void (*init)(void);
    void *(*malloc_)(size_t);
    void *(*malloc_atomic)(size_t);
    void *(*malloc_typed)(size_t, uintptr_t descr);
    uintptr_t (*make_descriptor)(const uintptr_t *bitmap, size_t len);
    void *(*malloc_atomic_uncollectable)(size_t);
    void (*free_)(void *);
    size_t (*size)(const void *);
    void (*gcollect)(void);
    void (*set_max_heap_size)(size_t); /* 0: no limit */
    void (*add_roots)(void *low, void *high_plus_1);
    void (*remove_roots)(void *low, void *high_plus_1);
    void (*enable_incremental)(void);
    int (*is_incremental_mode)(void);
    void (*set_on_collection_event)(void (*)(int));
    void (*register_finalizer_no_order)(void *obj, al_gc_finalizer_fn fn, void *cd,
                                        al_gc_finalizer_fn *ofn, void **ocd);
    void (*set_finalize_on_demand)(int);
    int (*should_invoke_finalizers)(void);
    int (*invoke_finalizers)(void);
    size_t (*get_heap_size)(void);
    size_t (*get_free_bytes)(void);
    size_t (*get_unmapped_bytes)(void);
    uintptr_t (*get_gc_no)(void);
    unsigned (*get_version)(void);
    void *(*call_with_alloc_lock)(void *(*fn)(void *), void *cd);
    void (*enumerate_reachable_inner)(al_gc_reachable_fn fn, void *cd);
    /* For the "full" trigger (collectors/boehm.c); optional (NULL). */
    int (*expand_hp)(size_t bytes);
    void (*set_free_space_divisor)(uintptr_t);
    uintptr_t (*get_free_space_divisor)(void);
    void (*set_markers_count)(unsigned); /* optional: marker threads, set before GC_init */
    int (*get_parallel)(void);           /* optional: marker threads other than the caller */
} al_gc_api;

/* libgc loaded and GC_init done, or NULL (then al_gc_unavailable says why). */
const al_gc_api *al_gc_api_get(void);
const char *al_gc_unavailable(void);
/* "8.2.2", or "unavailable". */
const char *al_gc_version(void);

/*
 * The books every peer backend keeps, all of them read OFF the clock.
 *
 * Nothing is counted per allocation: asking the library for a block's usable
 * size on every alloc and free (malloc_usable_size, nallocx, mi_usable_size,
 * tc_nallocx, GC_size) cost 5-20 ns per op, more than some of these
 * libraries spend on the allocation itself, and pool and bump paid nothing
 * like it.  Instead, when stats() is called (a sample point, off the clock),
 * the backend reads the library's own figure of bytes in blocks it has
 * handed out (in_use) and its footprint.  Both are the library's
 * process-wide figures; the library serves only this backend (it is opened
 * with RTLD_LOCAL), so they are this heap's, plus the library's own
 * internal blocks where it counts those.  Invariants: every peak is the
 * maximum of the readings so far and never decreases.
 */
typedef struct al_peer_books {
    uint64_t peak_block_bytes;
    uint64_t peak_footprint_bytes;
} al_peer_books;

static inline void al_peer_books_stats(al_peer_books *b, uint64_t in_use, uint64_t footprint,
                                       al_backend_stats *out)
{
    if (in_use > b->peak_block_bytes)
        b->peak_block_bytes = in_use;
    if (footprint > b->peak_footprint_bytes)
        b->peak_footprint_bytes = footprint;
    *out = (al_backend_stats){
        .block_bytes = in_use,
        .peak_block_bytes = b->peak_block_bytes,
        .footprint_bytes = footprint,
        .peak_footprint_bytes = b->peak_footprint_bytes,
        .footprint_exact = 0,
    };
}

#endif
