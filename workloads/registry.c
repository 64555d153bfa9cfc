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

/* The workload with this name, or NULL. */
const wl_workload *wl_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < wl_workload_count; i++) {
        if (strcmp(wl_workloads[i]->name, name) == 0)
            return wl_workloads[i];
    }
    return NULL;
}

/* Writes "small-objects, cycles, ..." into buf; truncates (always
 * terminated) when cap is too small. */
void wl_names(char *buf, size_t cap)
{
    if (cap == 0)
        return;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < wl_workload_count && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", wl_workloads[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
