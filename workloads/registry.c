/*
 * workloads/registry.c -- the table of workload generators, looked up by
 * name.
 *
 * A static array whose first entry is the default, as the allocator and
 * collector registries.  Adding a workload is one line in WL_REGISTRY.  A
 * workload has no optional slots, so the entries are the tables themselves.
 */
#include "workloads/workload.h"

#include <stdio.h>
#include <string.h>

#include "harness/core/registry.h"

#define WL_REGISTRY(X)   \
    X(wl_small_objects)  \
    X(wl_cycles)         \
    X(wl_large_arrays)   \
    X(wl_gcbench)        \
    X(wl_server)         \
    X(wl_larson)         \
    X(wl_xmalloc)        \
    X(wl_cache_scratch)

#define WL_DECLARE(table) extern const wl_workload table;
#define WL_ENTRY(table) &table,

WL_REGISTRY(WL_DECLARE)

const wl_workload *const wl_workloads[] = {WL_REGISTRY(WL_ENTRY)};

const size_t wl_workload_count = sizeof wl_workloads / sizeof wl_workloads[0];

static size_t count(void) { return wl_workload_count; }
static const void *at(size_t i) { return wl_workloads[i]; }
static const char *name_at(size_t i) { return wl_workloads[i]->name; }
static const char *unavailable_at(size_t i) { (void)i; return NULL; }

const hb_registry wl_registry = {"workload", count, at, name_at, unavailable_at};

const wl_workload *wl_find(const char *name)
{
    return hb_registry_find(&wl_registry, name);
}

void wl_names(char *buf, size_t cap)
{
    hb_registry_names(&wl_registry, buf, cap);
}
