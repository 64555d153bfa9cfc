/*
 * harness/run/metrics.h -- pause histogram, pause log, minimum mutator
 * utilisation, fragmentation.
 *
 * All of it lives in memory mapped directly from the OS (never the C
 * library's malloc), so the malloc backend's footprint counts only what the
 * workload asked for.
 */
#ifndef HB_METRICS_H
#define HB_METRICS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Log-linear histogram of durations in nanoseconds (the HDR histogram's
 * idea): values below 2^HB_HIST_SUB_BITS are exact; above, each power of two
 * is split into 2^HB_HIST_SUB_BITS equal buckets, so a bucket's width is at
 * most 1/128 of its lower bound and a reported value (the bucket's midpoint)
 * is within 0.4% of any value in it.  Fixed size: 7424 buckets of 4 bytes
 * (29 KiB) for the whole range of uint64; a full bucket saturates.
 */
#define HB_HIST_SUB_BITS 7
#define HB_HIST_BUCKETS ((64 - HB_HIST_SUB_BITS + 1) << HB_HIST_SUB_BITS)

typedef struct hb_hist {
    uint64_t count;
    uint64_t sum_ns;
    uint64_t min_ns, max_ns; /* exact */
    uint32_t n[HB_HIST_BUCKETS];
} hb_hist;

void hb_hist_init(hb_hist *h);
void hb_hist_add(hb_hist *h, uint64_t ns);
/* The q-quantile (0 <= q <= 1) by the nearest-rank definition, within the
 * histogram's relative error; q == 1 gives the exact maximum; 0 if empty. */
double hb_hist_quantile_ns(const hb_hist *h, double q);
/* Merges b into a. */
void hb_hist_merge(hb_hist *a, const hb_hist *b);

/*
 * The pause log: every pause as (start, end) in ns since the run's start,
 * in the order they ended (non-overlapping, increasing).  Grows in mapped
 * memory reserved up front (untouched pages cost nothing).
 */
typedef struct hb_pauselog {
    uint64_t *se; /* se[2i] start, se[2i+1] end */
    size_t n, cap;
    uint64_t total_ns;
} hb_pauselog;

int hb_pauselog_init(hb_pauselog *l, size_t max_pauses);
void hb_pauselog_free(hb_pauselog *l);
/* Returns 0, or -1 when the reservation is full (the pause is then only
 * counted in total_ns, and hb_pauselog_add keeps returning -1).  A pause
 * overlapping the previous one is clipped to keep the log ordered. */
int hb_pauselog_add(hb_pauselog *l, uint64_t start_ns, uint64_t end_ns);
void hb_pauselog_clear(hb_pauselog *l);

/*
 * Minimum mutator utilisation (Cheng and Blelloch) for windows of length
 * window_ns over a run of length run_ns: the least fraction of any window
 * [t, t + window_ns] inside [0, run_ns] not spent in pauses.  Exact: the
 * minimum is attained by a window that starts at a pause start or ends at a
 * pause end, and every such window is examined (linear time, two pointers).
 * A window longer than the run gives the whole run's utilisation; a
 * zero-length window gives 0 if anything was paused, else 1.  NaN when the
 * log overflowed (a pause went unlogged), rather than an overstatement.
 */
double hb_mmu(const hb_pauselog *l, uint64_t run_ns, uint64_t window_ns);

/* Fragmentation, Johnstone and Wilson: footprint / live - 1; 0 if live == 0. */
double hb_frag(uint64_t footprint, uint64_t live);

#endif
