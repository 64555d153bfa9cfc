/*
 * collectors/registry.c -- the collector strategies by name.
 *
 * The table lists every strategy the suite knows; the first is the default.
 * A strategy that cannot run on this machine stays listed and says why
 * through its unavailable(), so that `heapbench list` shows it.  Each
 * strategy file exports exactly one `const gc_strategy`; adding one is one
 * line in GC_REGISTRY below, which yields both its declaration and its entry.
 */
#include <string.h>

#include "harness/core/registry.h"

#include "collectors/collector.h"

/* One line per strategy, the default first. */
#define GC_REGISTRY(X) \
    X(gc_rc)           \
    X(gc_rc_cycle)     \
    X(gc_mark_sweep)   \
    X(gc_gen_copy)     \
    X(gc_boehm)

#define GC_DECLARE(table) extern const gc_strategy table;
#define GC_ENTRY(table) &table,

GC_REGISTRY(GC_DECLARE)

const gc_strategy *const gc_strategies[] = {GC_REGISTRY(GC_ENTRY)};

const size_t gc_strategy_count = sizeof gc_strategies / sizeof gc_strategies[0];

static const char *name_at(size_t i)
{
    return gc_strategies[i]->name;
}

const gc_strategy *gc_find(const char *name)
{
    size_t i = hb_registry_index(name_at, gc_strategy_count, name);
    return i < gc_strategy_count ? gc_strategies[i] : NULL;
}

void gc_names(char *buf, size_t cap)
{
    hb_registry_names(name_at, gc_strategy_count, buf, cap);
}
