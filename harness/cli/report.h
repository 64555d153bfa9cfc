/*
 * harness/cli/report.h -- command layer: what `heapbench report --format csv`
 * writes, for the test that checks plots/README.md against it.
 */
#ifndef HB_REPORT_H
#define HB_REPORT_H

#include <stdio.h>

/* The header lines of summary.csv, mmu.csv and pauses.csv, one per stream. */
void hb_report_headers(FILE *summary, FILE *mmu, FILE *pauses);

#endif
