/*
 * harness/cli/cmd_list.c -- command layer: `heapbench list`, the
 * allocators, collectors and workloads this build has.
 */
#include <stdio.h>
#include <string.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/cli/cli.h"
#include "workloads/workload.h"

static void list_item(const char *name, const char *desc, const char *why_not)
{
    if (why_not)
        printf("  %-17s %s (unavailable: %s)\n", name, desc, why_not);
    else
        printf("  %-17s %s\n", name, desc);
}

int hb_cmd_list(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("usage: heapbench list\n\n"
                   "Prints the allocators, collectors and workloads this build has, each with a\n"
                   "one-line description; an unavailable one says what to install.\n");
            return HB_EXIT_OK;
        }
        return hb_usage_error("list", "unexpected argument '%s', expected none", argv[1]);
    }
    printf("allocators (-a):\n");
    for (size_t i = 0; i < al_backend_count; i++)
        list_item(al_backends[i]->name, al_backends[i]->description, al_backends[i]->unavailable());
    printf("collectors (-c):\n");
    for (size_t i = 0; i < gc_strategy_count; i++)
        list_item(gc_strategies[i]->name, gc_strategies[i]->description,
                  gc_strategies[i]->unavailable());
    printf("workloads (-w):\n");
    for (size_t i = 0; i < wl_workload_count; i++)
        list_item(wl_workloads[i]->name, wl_workloads[i]->description, NULL);
    return HB_EXIT_OK;
}
