/*
 * harness/run/metrics.h -- pause histogram, pause log, minimum mutator
 * utilisation, the harness's work inside pauses, fragmentation.
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

/*
 * The harness's own work inside pauses.  The heap's watch samples the heap
 * and the process (untimed) each time live bytes pass its mark, and a
 * collector that allocates while it collects (gen-copy's promotion, a
 * finalizer's allocation) can pass the mark any number of times inside one
 * pause.  The log holds each such piece of work as (when it began, how long)
 * since the last pause, in time order; hb_excl_take, called as a pause ends,
 * gives the sum of those that began inside it and empties the log.  It
 * keeps the last HB_EXCL_MAX pieces: the watch rises by at least 1/64 of live
 * bytes a time, so a pause would need its live bytes to grow
 * e^(HB_EXCL_MAX/64)-fold (e^16) inside it to overflow.
 */
#define HB_EXCL_MAX 1024

typedef struct hb_excl {
    uint64_t at[HB_EXCL_MAX], ns[HB_EXCL_MAX];
    uint64_t n; /* pieces since the last take; the last HB_EXCL_MAX are kept */
} hb_excl;

void hb_excl_clear(hb_excl *x);
void hb_excl_add(hb_excl *x, uint64_t at_ns, uint64_t ns);
/* The ns of the pieces that began in [start_ns, end_ns); the log emptied. */
uint64_t hb_excl_take(hb_excl *x, uint64_t start_ns, uint64_t end_ns);

/* Fragmentation, Johnstone and Wilson: footprint / live - 1; 0 if live == 0. */
double hb_frag(uint64_t footprint, uint64_t live);

#endif
