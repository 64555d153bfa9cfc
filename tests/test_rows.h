/*
 * tests/test_rows.h -- the row keeper the collector and replay tests pass to
 * hb_run: it keeps the last row and counts them.  Header-only.
 */
#ifndef HB_TEST_ROWS_H
#define HB_TEST_ROWS_H

#include "harness/formats/results.h"

typedef struct seen {
    hb_row row;
    int n;
} seen;

static inline int keep_row(void *arg, const hb_row *row)
{
    seen *s = arg;
    s->row = *row;
    s->n++;
    return 0;
}

#endif
