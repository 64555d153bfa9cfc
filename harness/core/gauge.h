/*
 * harness/core/gauge.h -- base layer: a "current and peak" gauge, the one way
 * the harness and the plug-ins keep a quantity and its high-water mark.
 * Invariant: cur <= peak.
 */
#ifndef HB_CORE_GAUGE_H
#define HB_CORE_GAUGE_H

#include <stdint.h>

typedef struct hb_gauge {
    uint64_t cur, peak;
} hb_gauge;

/* Adds n; returns 1 when this set a new peak (a caller may sample then). */
static inline int hb_gauge_add(hb_gauge *g, uint64_t n)
{
    g->cur += n;
    if (g->cur > g->peak) {
        g->peak = g->cur;
        return 1;
    }
    return 0;
}

static inline void hb_gauge_sub(hb_gauge *g, uint64_t n)
{
    g->cur -= n;
}

/* Sets the current value (for sampled quantities). */
static inline int hb_gauge_set(hb_gauge *g, uint64_t v)
{
    g->cur = v;
    if (v > g->peak) {
        g->peak = v;
        return 1;
    }
    return 0;
}

#endif
