/*
 * harness/run/metrics.c -- the pause histogram, the pause log, minimum mutator
 * utilisation and fragmentation.
 *
 * The histogram is log-linear (the HDR histogram's idea): a value v below
 * 2^SUB (SUB = HB_HIST_SUB_BITS = 7) has a bucket of its own; above, with
 * e = floor(log2 v), the power of two [2^e, 2^(e+1)) is cut into 2^SUB equal
 * buckets of width 2^(e-SUB).  Bucket i therefore covers
 *
 *     i < 2^SUB:  [i, i]
 *     else:       let g = i / 2^SUB (>= 1), k = i % 2^SUB, shift = g - 1:
 *                 [(2^SUB + k) << shift, ((2^SUB + k + 1) << shift) - 1]
 *
 * and a value reported as its bucket's midpoint is off by at most half a
 * width, less than 1/256 of the value (0.4%).
 *
 * The pause log keeps every pause as (start, end) in memory reserved with
 * mmap(MAP_NORESERVE): the malloc backend's footprint is measured over the
 * whole process, so nothing here may go through the C library's malloc.
 *
 * MMU follows Cheng and Blelloch: the paused time inside a window [t, t+w]
 * is piecewise linear in t, and it has a local maximum only where t enters a
 * pause (t = a pause's start) or t+w leaves one (t+w = a pause's end), or at
 * the run's edges, which clamping pauses to [0, run] turns into the same two
 * cases.  So the candidates are every window starting at a pause start and
 * every window ending at a pause end, each shifted back inside [0, run].
 * Both families come in increasing order, so the paused time of each window
 * is read off a prefix sum with a forward-only cursor: linear time.  (Either
 * family alone would do -- sliding a worst window forward over the gap at
 * its start loses nothing -- but both are examined, as the definition
 * states, and the tests check the result against a brute-force search.)
 */
#include "harness/run/metrics.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Histogram
 * ------------------------------------------------------------------------ */

#define SUB HB_HIST_SUB_BITS
#define SUB_COUNT ((uint64_t)1 << SUB)

static unsigned floor_log2(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v); /* v > 0 */
}

static size_t bucket_of(uint64_t v)
{
    if (v < SUB_COUNT)
        return (size_t)v;
    unsigned shift = floor_log2(v) - SUB;
    uint64_t k = (v >> shift) - SUB_COUNT; /* 0 .. 2^SUB - 1 */
    return (size_t)((uint64_t)(shift + 1) * SUB_COUNT + k);
}

/* The midpoint of bucket i: exact for the buckets of width 1. */
static double bucket_mid(size_t i)
{
    if (i < SUB_COUNT)
        return (double)i;
    unsigned shift = (unsigned)(i / SUB_COUNT) - 1;
    uint64_t k = i % SUB_COUNT;
    double lo = (double)((SUB_COUNT + k) << shift);
    double width = (double)((uint64_t)1 << shift);
    return lo + (width - 1.0) / 2.0;
}

void hb_hist_init(hb_hist *h)
{
    memset(h, 0, sizeof *h);
}

void hb_hist_add(hb_hist *h, uint64_t ns)
{
    if (h->count == 0 || ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
    h->count++;
    h->sum_ns += ns;
    size_t i = bucket_of(ns);
    /* A bucket saturates rather than wraps: 2^32 pauses of one size is far
     * beyond any run; quantiles then fall back to the maximum (see below). */
    if (h->n[i] != UINT32_MAX)
        h->n[i]++;
}

/* The nearest rank of q among count values: ceil(q * count), at least 1.
 * The product is nudged down by a few ulps so that 0.99 * 100 (which is
 * 99.00000000000001 in binary for some q) still gives rank 99. */
static uint64_t nearest_rank(double q, uint64_t count)
{
    double x = q * (double)count;
    double r = ceil(x - x * 1e-12);
    if (r < 1.0)
        return 1;
    if (r >= (double)count)
        return count;
    return (uint64_t)r;
}

static double clamp_to_range(const hb_hist *h, double v)
{
    if (v < (double)h->min_ns)
        return (double)h->min_ns;
    if (v > (double)h->max_ns)
        return (double)h->max_ns;
    return v;
}

double hb_hist_quantile_ns(const hb_hist *h, double q)
{
    if (h->count == 0)
        return 0.0;
    if (!(q > 0.0)) /* also NaN */
        return (double)h->min_ns;
    if (q >= 1.0)
        return (double)h->max_ns;
    uint64_t rank = nearest_rank(q, h->count);
    uint64_t seen = 0;
    for (size_t i = 0; i < HB_HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank) /* The midpoint may lie past min or max: clamp. */
            return clamp_to_range(h, bucket_mid(i));
    }
    return (double)h->max_ns; /* only if a bucket saturated */
}

void hb_hist_merge(hb_hist *a, const hb_hist *b)
{
    if (b->count == 0)
        return;
    if (a->count == 0 || b->min_ns < a->min_ns)
        a->min_ns = b->min_ns;
    if (b->max_ns > a->max_ns)
        a->max_ns = b->max_ns;
    a->count += b->count;
    a->sum_ns += b->sum_ns;
    for (size_t i = 0; i < HB_HIST_BUCKETS; i++) {
        uint64_t s = (uint64_t)a->n[i] + b->n[i];
        a->n[i] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
    }
}

/* ------------------------------------------------------------------------
 * Pause log
 *
 * Invariant: se[0] <= se[1] <= se[2] <= ... <= se[2n-1] (pauses ordered and
 * disjoint), and total_ns == sum of (end - start) over every pause added,
 * logged or not.  A pause that overlaps the previous logged one is clipped
 * to start where that one ended, so shared time is counted once.
 * ------------------------------------------------------------------------ */

static size_t page_round(size_t bytes)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t p = pg > 0 ? (size_t)pg : 4096;
    return (bytes + p - 1) / p * p;
}

int hb_pauselog_init(hb_pauselog *l, size_t max_pauses)
{
    memset(l, 0, sizeof *l);
    if (max_pauses == 0)
        return 0; /* a log that keeps nothing: every add returns -1 */
    if (max_pauses > (SIZE_MAX / 2 - 65536) / (2 * sizeof(uint64_t))) {
        errno = EOVERFLOW;
        return -1;
    }
    size_t bytes = page_round(max_pauses * 2 * sizeof(uint64_t));
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    l->se = p;
    l->cap = max_pauses;
    return 0;
}

void hb_pauselog_free(hb_pauselog *l)
{
    if (l->se != NULL)
        munmap(l->se, page_round(l->cap * 2 * sizeof(uint64_t)));
    memset(l, 0, sizeof *l);
}

int hb_pauselog_add(hb_pauselog *l, uint64_t start_ns, uint64_t end_ns)
{
    if (end_ns < start_ns)
        end_ns = start_ns; /* a clock read out of order: an empty pause */
    if (l->n > 0 && start_ns < l->se[2 * l->n - 1])
        start_ns = l->se[2 * l->n - 1];
    if (end_ns < start_ns)
        end_ns = start_ns; /* wholly inside the previous pause */
    l->total_ns += end_ns - start_ns;
    if (l->n >= l->cap)
        return -1;
    l->se[2 * l->n] = start_ns;
    l->se[2 * l->n + 1] = end_ns;
    l->n++;
    return 0;
}

void hb_pauselog_clear(hb_pauselog *l)
{
    /* The pages stay mapped: the next repetition reuses them without
     * faulting them in again inside its measured time. */
    l->n = 0;
    l->total_ns = 0;
}

/* ------------------------------------------------------------------------
 * The harness's work inside pauses
 * ------------------------------------------------------------------------ */

void hb_excl_clear(hb_excl *x)
{
    x->n = 0;
}

void hb_excl_add(hb_excl *x, uint64_t at_ns, uint64_t ns)
{
    size_t i = (size_t)(x->n % HB_EXCL_MAX);
    x->at[i] = at_ns;
    x->ns[i] = ns;
    x->n++;
}

uint64_t hb_excl_take(hb_excl *x, uint64_t start_ns, uint64_t end_ns)
{
    uint64_t sum = 0, kept = x->n < HB_EXCL_MAX ? x->n : HB_EXCL_MAX;
    for (uint64_t k = 0; k < kept; k++) { /* newest first: stop at the first before start */
        size_t i = (size_t)((x->n - 1 - k) % HB_EXCL_MAX);
        if (x->at[i] < start_ns)
            break;
        if (x->at[i] < end_ns)
            sum += x->ns[i];
    }
    x->n = 0;
    return sum;
}

/* ------------------------------------------------------------------------
 * Minimum mutator utilisation
 * ------------------------------------------------------------------------ */

/*
 * A forward-only reader of P(x), the paused time in [0, x], with every pause
 * clipped to [0, run].  Calls must come with x nondecreasing; each pause is
 * passed over once, so a whole family of windows costs O(n).
 */
typedef struct paused_cursor {
    const hb_pauselog *l;
    uint64_t run;
    size_t j;      /* pauses before j end at or before the last x */
    uint64_t done; /* their total (clipped) length */
} paused_cursor;

static uint64_t clip(uint64_t t, uint64_t run)
{
    return t < run ? t : run;
}

static uint64_t paused_upto(paused_cursor *c, uint64_t x)
{
    const uint64_t *se = c->l->se;
    while (c->j < c->l->n && clip(se[2 * c->j + 1], c->run) <= x) {
        c->done += clip(se[2 * c->j + 1], c->run) - clip(se[2 * c->j], c->run);
        c->j++;
    }
    uint64_t part = 0;
    if (c->j < c->l->n) {
        uint64_t s = clip(se[2 * c->j], c->run);
        if (s < x)
            part = x - s; /* x lies inside pause j */
    }
    return c->done + part;
}

/* The most paused time in any window [t, t+w] with t a pause start, or t+w
 * a pause end (ends_family), moved back inside [0, run].  Needs w <= run. */
static uint64_t worst_window(const hb_pauselog *l, uint64_t run, uint64_t w,
                             int ends_family)
{
    paused_cursor lo = { l, run, 0, 0 }, hi = { l, run, 0, 0 };
    uint64_t worst = 0;
    for (size_t i = 0; i < l->n; i++) {
        uint64_t t;
        if (ends_family) {
            uint64_t e = clip(l->se[2 * i + 1], run);
            t = e < w ? 0 : e - w;
        } else {
            uint64_t s = clip(l->se[2 * i], run);
            t = s > run - w ? run - w : s;
        }
        /* t is nondecreasing in i within each family: both cursors move
         * forward only. */
        uint64_t a = paused_upto(&lo, t);
        uint64_t b = paused_upto(&hi, t + w);
        if (b - a > worst)
            worst = b - a;
    }
    return worst;
}

static uint64_t logged_total(const hb_pauselog *l)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < l->n; i++)
        sum += l->se[2 * i + 1] - l->se[2 * i];
    return sum;
}

static uint64_t paused_in_run(const hb_pauselog *l, uint64_t run)
{
    paused_cursor c = { l, run, 0, 0 };
    return paused_upto(&c, run);
}

/*
 * Returns NaN when the log overflowed and a pause of nonzero length was not
 * logged: the true MMU is then unknown, and the logged pauses alone would
 * overstate it.  A zero-length window returns 0 if any time in the run was
 * paused (the limit as the window shrinks to an instant inside a pause),
 * else 1.
 */
double hb_mmu(const hb_pauselog *l, uint64_t run_ns, uint64_t window_ns)
{
    if (logged_total(l) != l->total_ns)
        return NAN;
    if (run_ns == 0)
        return 1.0;
    uint64_t whole = paused_in_run(l, run_ns);
    if (whole == 0)
        return 1.0;
    if (window_ns == 0)
        return 0.0;
    if (window_ns >= run_ns)
        return (double)(run_ns - whole) / (double)run_ns;
    uint64_t a = worst_window(l, run_ns, window_ns, 0);
    uint64_t b = worst_window(l, run_ns, window_ns, 1);
    uint64_t worst = a > b ? a : b;
    return (double)(window_ns - worst) / (double)window_ns;
}

/* ------------------------------------------------------------------------
 * Fragmentation
 * ------------------------------------------------------------------------ */

/* Negative when footprint < live: possible for a sampled footprint (the
 * malloc backend) and left visible rather than hidden. */
double hb_frag(uint64_t footprint, uint64_t live)
{
    if (live == 0)
        return 0.0;
    return (double)footprint / (double)live - 1.0;
}
