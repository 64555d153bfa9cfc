/*
 * collectors/collector.h -- the collector interface.
 *
 *     replay loop (harness/run/replay.c)
 *         |  new_obj / reg_write / field_store / collect   (one table)
 *     gc_strategy: rc, rc-cycle, mark-sweep, ...  one file each
 *         |  al_alloc / al_free
 *     al_heap (allocators/allocator.h)
 *
 * A strategy owns the objects it allocates: it gives each a private header
 * of header_bytes in front of the common hb_obj (harness/core/object.h), applies
 * the effects of register writes and field stores (reference counts,
 * barriers), decides when to collect, and frees objects through the heap.
 *
 * Roots are the register file env->roots[0 .. env->nroots).  The harness
 * changes registers only through reg_write/new_obj, so a strategy may keep
 * counts for them.  A strategy with moves_objects set may also rewrite the
 * registers during a collection (new_obj, collect, safepoint): a caller
 * holds an object across those calls only in the register file.
 *
 * Contract:
 *   - new_obj(ctx, dst, ...) may collect *before* it allocates (the new
 *     object does not exist yet, and *dst still holds its old value, a root);
 *     then it allocates, zeroes the slots, fills the header and stores the
 *     object into *dst as reg_write would.  Returns the object, or NULL when
 *     memory could not be had even after a full collection; *dst unchanged.
 *   - Nothing else collects, except collect() and safepoint().
 *   - Every pause is reported once through env->pause with hb_now_ns()
 *     times: a collection, and a reference-count cascade by the pause rule
 *     (GC_RC_PAUSE_RULE, below).  Reading the clock is the strategy's job
 *     because it alone knows when a cascade started.
 *   - Finalizers: for an object with HB_F_FINALIZER, env->finalize is called
 *     exactly once before the object is freed, and the strategy sets
 *     HB_F_FINALIZED.  Finalizers here never resurrect.
 *   - destroy() frees every object still allocated (without finalizers).
 */
#ifndef HB_COLLECTOR_H
#define HB_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "allocators/allocator.h"
#include "harness/core/err.h"
#include "harness/core/object.h"

/*
 * The reference-count pause rule, for rc and rc-cycle (collectors/rc_core.h
 * applies it; why each bound is what it is, is written there).
 * GC_RC_PAUSE_RULE is its one statement, built from the four defaults
 * below: README.md quotes it word for word and every other place points
 * here (tests/test_docs.c fails if the README's sentence or a constant
 * drifts).  The finalizers count because a costly __del__ (--finalizer-work)
 * is work of the cascade that runs it: without them a cascade of one object
 * whose finalizer writes 16 MiB would never read the clock.
 */
#define GC_RC_PAUSE_US 10      /* a timed cascade this long is a pause (rc_pause_ns) */
#define GC_RC_PAUSE_MIB 1      /* so is one that frees this much (rc_pause_bytes) */
#define GC_RC_CLOCK_OBJECTS 32 /* the clock is read at this object (rc_pause_min) */
#define GC_RC_CLOCK_KIB 64     /* or at this many bytes freed plus written by finalizers */
#define GC_STR_(x) #x
#define GC_STR(x) GC_STR_(x) /* the text of a macro's value */
#define GC_RC_PAUSE_RULE                                                                        \
    "A reference-count cascade (every free caused by one decrement, the released object's "    \
    "own included, and the finalizers run before those frees) is a pause when it takes "       \
    GC_STR(GC_RC_PAUSE_US) " \xc2\xb5" "s or more or frees " GC_STR(GC_RC_PAUSE_MIB)           \
    " MiB or more; the clock is read once a cascade reaches " GC_STR(GC_RC_CLOCK_OBJECTS)       \
    " objects or " GC_STR(GC_RC_CLOCK_KIB) " KiB (the bytes it frees plus those its "            \
    "finalizers write), and a cascade smaller than both is mutator time."

/* Settings; zero means "the strategy's default". */
typedef struct gc_config {
    uint32_t threshold[3]; /* rc-cycle: (2000, 10, 10) as CPython 3.13 */
    int cpython312;        /* rc-cycle: use 3.12's thresholds (700, 10, 10) */
    int keep_tuples;       /* rc-cycle: no tuple rule (untrack_tuples off) */
    double growth;         /* mark-sweep: collect when the heap has grown by
                              this factor since the last one (default 2.0) */
    size_t min_heap_bytes; /* mark-sweep: never collect below this (default 1 MiB) */
    int incremental;       /* boehm: incremental mode */
    /* rc, rc-cycle: the bounds of the pause rule (GC_RC_PAUSE_RULE, which
     * states their defaults): rc_pause_min the object at which the clock is
     * read (1 times every cascade), rc_pause_ns the time and rc_pause_bytes
     * the bytes freed that make a timed cascade a pause.  The 64 KiB clock
     * bound has no setting. */
    uint32_t rc_pause_min;
    uint64_t rc_pause_ns;
    uint64_t rc_pause_bytes;
    size_t nursery_bytes;  /* gen-copy: bytes of the nursery's allocation area (eden)
                              (default 4 MiB) */
    uint32_t promote_age;  /* gen-copy: minor collections an object survives
                              before it is promoted (default 1) */
    size_t finalizer_work; /* every strategy: bytes each finalizer writes
                              (a costly __del__; default 0: none) */
    /* What starts a tracing collection: NULL or "growth" (each strategy's
     * own growth policy, the heap limit only a cap) or "full" (a fixed heap,
     * as MMTk's and DaCapo's methodology: collect when the next allocation
     * would pass the heap limit, and only then; each strategy's file says
     * what it does under it).  "full" needs a heap limit.  rc ignores it. */
    const char *trigger;
} gc_config;

/* 1 when cfg asks for the heap-full trigger. */
static inline int gc_trigger_full(const gc_config *cfg)
{
    return cfg != NULL && cfg->trigger != NULL && strcmp(cfg->trigger, "full") == 0;
}

/* 0 when trigger (NULL: the default) is a known one and, for "full", a
 * heap limit is set; else -1 with why in e (HB_ERR_USAGE). */
static inline int gc_trigger_check(const char *trigger, uint64_t limit_bytes, hb_err *e)
{
    if (trigger != NULL && strcmp(trigger, "growth") != 0 && strcmp(trigger, "full") != 0)
        return hb_fail(e, HB_ERR_USAGE, "bad value '%s' for --trigger, expected growth or full",
                       trigger);
    if (trigger != NULL && strcmp(trigger, "full") == 0 && limit_bytes == 0)
        return hb_fail(e, HB_ERR_USAGE, "--trigger full without a heap limit: expected "
                                        "--heap-limit SIZE (or matrix --heap-factors), the heap "
                                        "that is collected when full");
    return 0;
}

/* 1 when the heap limit (if any) lets `bytes` more be allocated: the test
 * al_alloc makes, asked before the call (so a collection under the "full"
 * trigger runs before an allocation is refused, not after). */
static inline int gc_heap_fits(const al_heap *h, size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    return h->limit_bytes == 0 || bytes <= h->limit_bytes - h->live_bytes;
}

/* What the harness gives a strategy. */
typedef struct gc_env {
    al_heap *heap;
    hb_obj **roots; /* the register file */
    size_t nroots;
    const gc_config *cfg;
    void *harness; /* passed back to the callbacks */
    void (*pause)(void *harness, uint64_t start_ns, uint64_t end_ns);
    void (*finalize)(void *harness, hb_obj *o);
    /* Called at the end of every collection, after its pause was reported
     * (not for reference-count cascades): full is 1 when the whole heap was
     * collected.  The harness samples the heap and runs the oracle here.
     * May be NULL: check before calling. */
    void (*collected)(void *harness, int full);
    /* Where create() says why it failed (hb_fail: one line naming the bad
     * value and what was expected); may be NULL.  Read by create() alone:
     * a strategy that keeps a copy of env clears it there. */
    hb_err *err;
} gc_env;

/* 1 when o has a finalizer that has not run yet. */
static inline int gc_finalizer_due(const hb_obj *o)
{
    return (o->flags & (HB_F_FINALIZER | HB_F_FINALIZED)) == HB_F_FINALIZER;
}

/* Runs o's finalizer: the work of a costly __del__ first (`work` bytes, the
 * strategy's copy of cfg->finalizer_work, written into a scratch buffer,
 * cycled; 0 by default), then env->finalize.  Every strategy calls its
 * finalizers through this, so the work lands in whatever pause the strategy
 * runs them in. */
static inline void gc_run_finalizer(const gc_env *env, size_t work, hb_obj *o)
{
    static unsigned char scratch[16384];
    size_t left = work;
    while (left > 0) {
        size_t n = left < sizeof scratch ? left : sizeof scratch;
        memset(scratch, (int)(left & 0xff), n);
        __asm__ volatile("" : : "r"(scratch) : "memory"); /* the writes are kept */
        left -= n;
    }
    if (env->finalize)
        env->finalize(env->harness, o);
}

/*
 * Counters.  Invariants:
 *   objects_live == objects_allocated - objects_freed
 *   bytes_live   == sum of hb_obj_bytes() of the live objects
 */
typedef struct gc_stats {
    uint64_t objects_allocated;
    uint64_t objects_freed;
    uint64_t objects_live;
    uint64_t bytes_live;
    uint64_t collections;      /* every collection, of any generation */
    uint64_t full_collections; /* of the whole heap */
    uint64_t gen_collections[3];
    uint64_t objects_collected; /* freed by tracing or cycle detection */
    uint64_t finalizers_run;
    uint64_t objects_untracked; /* rc-cycle: containers untracked by CPython's
                                   tuple rule (cumulative) */
    /* Every strategy: collections of the young generation(s) alone
     * (minor) and of the whole heap (major), and the time of their pauses.
     * minor + major == collections.  A non-generational strategy counts
     * every collection major (an incremental cycle is one major
     * collection, its time the sum of its steps); rc-cycle counts its
     * generation 0 and 1 collections minor.  Reference-count cascades are
     * not collections: their pauses are in neither time. */
    uint64_t minor_collections, major_collections;
    uint64_t minor_ns, major_ns;
    /* rc, rc-cycle: objects whose release was put off to destroy() because
     * the release stack could not grow (the OS refused a mapping); still
     * counted live.  The run says so in its note; nothing here prints. */
    uint64_t objects_stranded;
} gc_stats;

/*
 * What a strategy needs of its pairing, in one record (as MMTk's plan
 * constraints).  Read only by gc_pairs, the one rule every command uses.
 */
typedef struct gc_constraints {
    /* The one allocator it runs over (a collector that brings its own heap,
     * as boehm), or NULL: any allocator that is not another collector's own.
     * An allocator named here is exclusive: it pairs with its owner only. */
    const char *allocator;
    /* 1: collections move objects and rewrite the registers (env->roots);
     * a caller holds objects across new_obj/collect/safepoint only there. */
    int moves_objects;
} gc_constraints;

typedef struct gc_strategy {
    const char *name;
    const char *description; /* one line, for `heapbench list` */
    size_t header_bytes;     /* collector-private bytes per object */
    /* As in al_backend.  May be NULL in a strategy's table; the registry's
     * entries always have it (collectors/registry.c fills it in). */
    const char *(*unavailable)(void);
    gc_constraints needs;
    void *(*create)(const gc_env *env); /* NULL on failure, with env->err filled */
    void (*destroy)(void *ctx);
    hb_obj *(*new_obj)(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags,
                       uint32_t nrefs, uint32_t payload);
    void (*reg_write)(void *ctx, hb_obj **reg, hb_obj *val);
    void (*field_store)(void *ctx, hb_obj *o, uint32_t i, hb_obj *val);
    void (*safepoint)(void *ctx); /* optional (the registry fills in a no-op): may collect */
    void (*collect)(void *ctx);   /* a full collection */
    void (*stats)(void *ctx, gc_stats *out);
    /* Optional (NULL): the RESIZE op (harness/core/ops.h) on the non-leaf,
     * finalizer-free object in *reg: *reg becomes an object with nrefs
     * slots holding the first min(old, nrefs) references and the payload.
     * Returns it, or NULL when memory could not be had (*reg unchanged).
     * Does not collect.  NULL here: the replay loop makes a new object and
     * copies the slots with field stores (every collector's default). */
    hb_obj *(*resize)(void *ctx, hb_obj **reg, uint32_t nrefs);
    /* Optional (NULL): the object's reference count, for the oracle. */
    uint64_t (*refcount)(void *ctx, const hb_obj *o);
    /* Optional (NULL): 1 when o is a live object the strategy keeps outside
     * the heap (a nursery), for the oracle, which sees only heap blocks. */
    int (*holds)(void *ctx, const hb_obj *o);
} gc_strategy;

/* ---- registry (collectors/registry.c) ---- */

extern const gc_strategy *const gc_strategies[]; /* first is the default */
extern const size_t gc_strategy_count;

const gc_strategy *gc_find(const char *name);
void gc_names(char *buf, size_t cap);

/* The pairing rule, for every command: 1 when g may run over a; else 0 and
 * why (one line naming both) in why[0..cap). */
int gc_pairs(const al_backend *a, const gc_strategy *g, char *why, size_t cap);

#endif
