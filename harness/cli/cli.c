/*
 * harness/cli/cli.c -- parsing shared by the subcommands, and `heapbench list`.
 */
#include "harness/cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "workloads/workload.h"

int hb_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "heapbench %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return HB_EXIT_USAGE;
}

int hb_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int hb_parse_double(const char *s, double *out)
{
    char *end;
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int hb_parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if ((*end == 'b' || *end == 'B') && shift)
        end++;
    if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static void list_item(const char *name, const char *desc, const char *why_not)
{
    if (why_not)
        printf("  %-14s %s (unavailable: %s)\n", name, desc, why_not);
    else
        printf("  %-14s %s\n", name, desc);
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
    for (size_t i = 0; i < al_backend_count; i++) {
        const al_backend *b = al_backends[i];
        list_item(b->name, b->description, b->unavailable ? b->unavailable() : NULL);
    }
    printf("collectors (-c):\n");
    for (size_t i = 0; i < gc_strategy_count; i++) {
        const gc_strategy *g = gc_strategies[i];
        list_item(g->name, g->description, g->unavailable ? g->unavailable() : NULL);
    }
    printf("workloads (-w):\n");
    for (size_t i = 0; i < wl_workload_count; i++)
        list_item(wl_workloads[i]->name, wl_workloads[i]->description, NULL);
    return HB_EXIT_OK;
}

int hb_resolve_alloc(const char *cmd, const char *name, const al_backend **out)
{
    char names[512];
    const al_backend *b = al_find(name);
    if (b == NULL) {
        al_names(names, sizeof names);
        return hb_usage_error(cmd, "unknown allocator '%s', expected one of: %s", name, names);
    }
    const char *why = b->unavailable ? b->unavailable() : NULL;
    if (why)
        return hb_usage_error(cmd, "allocator '%s' is unavailable in this build: %s", name, why);
    *out = b;
    return 0;
}

int hb_resolve_coll(const char *cmd, const char *name, const gc_strategy **out)
{
    char names[512];
    const gc_strategy *g = gc_find(name);
    if (g == NULL) {
        gc_names(names, sizeof names);
        return hb_usage_error(cmd, "unknown collector '%s', expected one of: %s", name, names);
    }
    const char *why = g->unavailable ? g->unavailable() : NULL;
    if (why)
        return hb_usage_error(cmd, "collector '%s' is unavailable in this build: %s", name, why);
    *out = g;
    return 0;
}

int hb_resolve_work(const char *cmd, const char *name, const wl_workload **out)
{
    char names[512];
    const wl_workload *w = wl_find(name);
    if (w == NULL) {
        wl_names(names, sizeof names);
        return hb_usage_error(cmd, "unknown workload '%s', expected one of: %s", name, names);
    }
    *out = w;
    return 0;
}

int hb_pairing_ok(const al_backend *a, const gc_strategy *g)
{
    return g->requires_allocator == NULL || strcmp(g->requires_allocator, a->name) == 0;
}
