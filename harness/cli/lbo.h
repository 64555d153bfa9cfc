/*
 * harness/cli/lbo.h -- command layer: the time-space view and the
 * lower-bound overhead of a results folder's rows (lbo.c), for report.
 */
#ifndef HB_LBO_H
#define HB_LBO_H

#include <stddef.h>
#include <stdio.h>

#include "harness/formats/results.h"

#include "harness/cli/stats.h"

/* The time-space view of a folder's rows: one cell per allocator x
 * collector x workload x thread count x heap factor (rows without one:
 * factor 0). */
typedef struct hb_lbo hb_lbo;

/* Groups and summarizes rows (kept by reference: they must outlive it);
 * NULL when out of memory. */
hb_lbo *hb_lbo_compute(const hb_row *rows, size_t n);
void hb_lbo_free(hb_lbo *l);

/* The LBO of one cell in time and in space (median, its interval and the
 * coverage it reached, median_ci.level); 0, or -1 when the cell has no ok
 * row (both then NaN). */
int hb_lbo_find(const hb_lbo *l, const char *alloc, const char *coll, const char *work,
                uint64_t threads, double factor, hb_summary *time, hb_summary *space);

/* The lowest and highest coverage of the cells' LBO intervals (NaN: none). */
void hb_lbo_levels(const hb_lbo *l, double *lo, double *hi);

/* With csv: writes dir/timespace.csv (whole or not at all); with table:
 * prints the LBO table there.  0, or -1 when the file cannot be written. */
int hb_lbo_write(const hb_lbo *l, const char *dir, int csv, FILE *table);

/* The README's paragraphs on the time-space sweep of main.sh, DIR/timespace
 * (nothing when it has no rows): its figures, linked as
 * url/sweep_<figure>.png (scripts/update_readme.sh copies them there), with
 * a caption and the Pareto front of each workload in words. */
void hb_lbo_markdown(FILE *f, const char *dir, const char *url);

/* hb_lbo_compute, hb_lbo_write and hb_lbo_free in one; -1 also when out of
 * memory. */
int hb_lbo_report(const char *dir, const hb_row *rows, size_t n, int csv, FILE *table);

#endif
