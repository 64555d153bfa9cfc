/*
 * harness/cli/lbo.h -- command layer: the time-space view and the
 * lower-bound overhead of a results folder's rows (lbo.c), for report.
 */
#ifndef HB_LBO_H
#define HB_LBO_H

#include <stddef.h>
#include <stdio.h>

#include "harness/formats/results.h"

/* With csv: writes dir/timespace.csv (whole or not at all); with table:
 * prints the LBO table there.  0, or -1 when the file cannot be written. */
int hb_lbo_report(const char *dir, const hb_row *rows, size_t n, int csv, FILE *table);

#endif
