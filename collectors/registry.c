/*
 * collectors/registry.c -- the collector strategies by name, and the one
 * pairing rule.
 *
 * The table lists every strategy the suite knows; the first is the default.
 * A strategy that cannot run on this machine stays listed and says why
 * through its unavailable(), so that `heapbench list` shows it.  Each
 * strategy file exports one `const gc_strategy` (boehm.c two: libgc's
 * stop-the-world and incremental modes); adding one is one line in
 * GC_REGISTRY below, which yields its declaration and its entry.
 * The registry's entries are copies of those tables with the optional slots
 * filled in (fill_defaults), so no caller tests a slot for NULL.
 */
#include <stdio.h>
#include <string.h>

#include "harness/core/registry.h"

#include "collectors/collector.h"

/* One line per strategy, the default first. */
#define GC_REGISTRY(X) \
    X(gc_rc)           \
    X(gc_rc_cycle)     \
    X(gc_mark_sweep)   \
    X(gc_incremental)  \
    X(gc_gen_copy)     \
    X(gc_boehm)        \
    X(gc_boehm_incremental)

#define GC_DECLARE(table) extern const gc_strategy table;
#define GC_INDEX(table) GC_AT_##table,
#define GC_SOURCE(table) &table,
#define GC_ENTRY(table) &filled[GC_AT_##table],

GC_REGISTRY(GC_DECLARE)
enum { GC_REGISTRY(GC_INDEX) GC_COUNT };

static const gc_strategy *const sources[GC_COUNT] = {GC_REGISTRY(GC_SOURCE)};
static gc_strategy filled[GC_COUNT];

const gc_strategy *const gc_strategies[] = {GC_REGISTRY(GC_ENTRY)};

const size_t gc_strategy_count = sizeof gc_strategies / sizeof gc_strategies[0];

static const char *always_available(void)
{
    return NULL;
}

static void no_safepoint(void *ctx)
{
    (void)ctx;
}

/* refcount stays NULL where absent: it is a capability (the oracle checks
 * counts only of strategies that keep them), not a step to skip. */
__attribute__((constructor)) static void fill_defaults(void)
{
    for (size_t i = 0; i < GC_COUNT; i++) {
        gc_strategy *g = &filled[i];
        *g = *sources[i];
        if (g->unavailable == NULL)
            g->unavailable = always_available;
        if (g->safepoint == NULL)
            g->safepoint = no_safepoint;
    }
}

static size_t count(void) { return gc_strategy_count; }
static const void *at(size_t i) { return gc_strategies[i]; }
static const char *name_at(size_t i) { return gc_strategies[i]->name; }
static const char *unavailable_at(size_t i) { return gc_strategies[i]->unavailable(); }

const hb_registry gc_registry = {"collector", count, at, name_at, unavailable_at};

const gc_strategy *gc_find(const char *name)
{
    return hb_registry_find(&gc_registry, name);
}

void gc_names(char *buf, size_t cap)
{
    hb_registry_names(&gc_registry, buf, cap);
}

/* ------------------------------------------------------------------ */
/* Pairing                                                              */
/* ------------------------------------------------------------------ */

/* The collector whose own heap allocator a is (its constraints name a), or NULL. */
static const gc_strategy *owner_of(const al_backend *a)
{
    for (size_t i = 0; i < gc_strategy_count; i++) {
        const char *own = gc_strategies[i]->needs.allocator;
        if (own && strcmp(own, a->name) == 0)
            return gc_strategies[i];
    }
    return NULL;
}

int gc_pairs(const al_backend *a, const gc_strategy *g, char *why, size_t cap)
{
    const gc_strategy *owner = owner_of(a);
    if (g->needs.allocator && strcmp(g->needs.allocator, a->name) != 0)
        snprintf(why, cap, "collector '%s' runs only with allocator '%s' (it brings its own "
                 "heap), not '%s'", g->name, g->needs.allocator, a->name);
    else if (g->needs.allocator == NULL && owner != NULL)
        snprintf(why, cap, "allocator '%s' is collector '%s''s own heap: it runs only with that "
                 "collector, not '%s'", a->name, owner->name, g->name);
    else
        return 1;
    return 0;
}
