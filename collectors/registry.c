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

#include "collectors/collector.h"

/* One line per strategy, the default first. */
#define GC_REGISTRY(X) \
    X(gc_rc)           \
    X(gc_rc_cycle)     \
    X(gc_mark_sweep)   \
    X(gc_boehm)

#define GC_DECLARE(table) extern const gc_strategy table;
#define GC_ENTRY(table) &table,

GC_REGISTRY(GC_DECLARE)

const gc_strategy *const gc_strategies[] = {GC_REGISTRY(GC_ENTRY)};

const size_t gc_strategy_count = sizeof gc_strategies / sizeof gc_strategies[0];

const gc_strategy *gc_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < gc_strategy_count; i++) {
        if (strcmp(gc_strategies[i]->name, name) == 0)
            return gc_strategies[i];
    }
    return NULL;
}

/* Appends s at *len, keeping buf NUL-terminated; cuts s if it does not fit. */
static void append(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    size_t room = cap - 1 - *len;
    if (n > room)
        n = room;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* Writes "rc, rc-cycle, mark-sweep" into buf, cut short to fit cap. */
void gc_names(char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return;
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < gc_strategy_count; i++) {
        if (i > 0)
            append(buf, cap, &len, ", ");
        append(buf, cap, &len, gc_strategies[i]->name);
    }
}
