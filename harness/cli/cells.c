/*
 * harness/cli/cells.c -- command layer: grouping rows into cells (contract
 * in cells.h).
 */
#include "harness/cli/cells.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

hb_cell_key hb_cell_of(const hb_row *r)
{
    return (hb_cell_key){.alloc = r->allocator, .coll = r->collector, .work = r->workload,
                         .threads = r->threads > 1 ? (uint32_t)r->threads : 1,
                         .factor = isnan(r->heap_factor) ? 0 : r->heap_factor};
}

int hb_cell_same(const hb_cell_key *a, const hb_cell_key *b)
{
    return !strcmp(a->alloc, b->alloc) && !strcmp(a->coll, b->coll) &&
           !strcmp(a->work, b->work) && a->threads == b->threads && a->factor == b->factor;
}

size_t hb_cell_find(const void *cells, size_t n, size_t stride, const hb_cell_key *key)
{
    const char *p = cells;
    for (size_t i = 0; i < n; i++)
        if (hb_cell_same((const hb_cell_key *)(const void *)(p + i * stride), key))
            return i;
    return n;
}

void hb_level_take(double *lo, double *hi, double x)
{
    *lo = x < *lo ? x : *lo;
    *hi = x > *hi ? x : *hi;
}

void hb_fmt_levels(char *buf, size_t cap, double lo, double hi)
{
    if (hi < lo || isnan(lo))
        snprintf(buf, cap, "none");
    else if (lo == hi)
        snprintf(buf, cap, "%.1f%%", 100 * lo);
    else
        snprintf(buf, cap, "%.1f-%.1f%%", 100 * lo, 100 * hi);
}
