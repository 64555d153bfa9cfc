/*
 * workloads/registry.c -- the table of workload generators, looked up by
 * name.
 *
 * A static array whose first entry is the default, as the allocator and
 * collector registries.  Adding a workload is one `extern` line and one
 * array line below.
 */
#include "workloads/workload.h"

#include <stdio.h>
#include <string.h>

#include "harness/core/registry.h"

extern const wl_workload wl_small_objects;
extern const wl_workload wl_cycles;
extern const wl_workload wl_large_arrays;
extern const wl_workload wl_gcbench;
extern const wl_workload wl_server;

const wl_workload *const wl_workloads[] = {
    &wl_small_objects, /* the default */
    &wl_cycles,
    &wl_large_arrays,
    &wl_gcbench,
    &wl_server,
};

const size_t wl_workload_count = sizeof wl_workloads / sizeof wl_workloads[0];

static const char *name_at(size_t i)
{
    return wl_workloads[i]->name;
}

const wl_workload *wl_find(const char *name)
{
    size_t i = hb_registry_index(name_at, wl_workload_count, name);
    return i < wl_workload_count ? wl_workloads[i] : NULL;
}

void wl_names(char *buf, size_t cap)
{
    hb_registry_names(name_at, wl_workload_count, buf, cap);
}
