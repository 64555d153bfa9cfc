/*
 * harness/cli/cells.h -- command layer: the cell a results row belongs to
 * (allocator x collector x workload x thread count x heap factor), as
 * report (cmd_report.c) and the time-space view (lbo.c) both group rows,
 * and the coverage line both print under their tables.
 */
#ifndef HB_CLI_CELLS_H
#define HB_CLI_CELLS_H

#include <stddef.h>
#include <stdint.h>

#include "harness/formats/results.h"

typedef struct hb_cell_key {
    const char *alloc, *coll, *work; /* the row's strings: they must outlive the key */
    uint32_t threads;                /* 1 for rows of one thread (or before the column) */
    double factor;                   /* heap_factor (matrix --heap-factors); 0: none */
} hb_cell_key;

/* The cell of a row: NaN heap factors (rows before the column) are 0. */
hb_cell_key hb_cell_of(const hb_row *r);

int hb_cell_same(const hb_cell_key *a, const hb_cell_key *b);

/* The index of key among n cells of stride bytes that each begin with an
 * hb_cell_key; n when none matches. */
size_t hb_cell_find(const void *cells, size_t n, size_t stride, const hb_cell_key *key);

/* Widens [*lo, *hi] (start: 1, 0) to take in level x. */
void hb_level_take(double *lo, double *hi, double x);

/* "96.9%", "93.8-96.9%" when cells reached different levels, or "none"
 * (lo > hi: no cell had a level). */
void hb_fmt_levels(char *buf, size_t cap, double lo, double hi);

#endif
