/*
 * harness/cli/claims.c -- command layer: the claims table of `heapbench
 * claims` and the rules that answer each claim from its data (claims.h).
 *
 * Every rule reads only its cl_input and writes only its cl_output: the
 * answer is computed from the intervals, never typed.  The intervals are the
 * report's: a median's distribution-free interval [x(j), x(n-j+1)] (its
 * coverage stated beside it), and for ratios of means Fieller's interval
 * (harness/cli/stats.h).  "A above B" means A's interval lies wholly above
 * B's (A.lo > B.hi); intervals that overlap decide nothing.
 */
#include "harness/cli/claims.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/stats.h"
#include "harness/formats/results.h"
#include "harness/run/settings.h"
#include "workloads/workload.h"

#define CL_MAX_REPS 256
#define CL_MAX_NAMES 16
#define MIB 1048576.0

/* ------------------------------------------------------------------ */
/* Reading rows                                                         */
/* ------------------------------------------------------------------ */

/* A row column by name as a double (an unknown name: NaN). */
static double row_value(const hb_row *r, const char *col)
{
    for (size_t i = 0; i < hb_n_row_columns; i++) {
        const hb_row_column *c = &hb_row_columns[i];
        if (strcmp(c->name, col) != 0)
            continue;
        const char *p = (const char *)r + c->off;
        if (c->kind == 1)
            return (double)*(const uint64_t *)p;
        if (c->kind == 2)
            return *(const double *)p;
    }
    return NAN;
}

static int row_matches(const hb_row *r, const char *alloc, const char *coll)
{
    return r->status && strcmp(r->status, "ok") == 0 &&
           (alloc == NULL || strcmp(r->allocator, alloc) == 0) &&
           (coll == NULL || strcmp(r->collector, coll) == 0);
}

/* The column of every ok row of the cell (NULL: any allocator/collector). */
static size_t pick(const cl_set *s, const char *alloc, const char *coll, const char *col,
                   double *out)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n && n < CL_MAX_REPS; i++)
        if (row_matches(&s->rows[i], alloc, coll))
            out[n++] = row_value(&s->rows[i], col);
    return n;
}

/* The distinct allocator (which 0) or collector (1) names of ok rows, in
 * the order of the rows. */
static size_t names_in(const cl_set *s, int which, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n; i++) {
        const hb_row *r = &s->rows[i];
        const char *name = which ? r->collector : r->allocator;
        if (!row_matches(r, NULL, NULL))
            continue;
        size_t k = 0;
        while (k < n && strcmp(out[k], name) != 0)
            k++;
        if (k == n && n < CL_MAX_NAMES)
            out[n++] = name;
    }
    return n;
}

static const cl_set *set_tagged(const cl_input *in, const char *tag)
{
    for (size_t i = 0; i < in->nsets; i++)
        if (strcmp(in->sets[i].tag, tag) == 0)
            return &in->sets[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Estimates                                                            */
/* ------------------------------------------------------------------ */

/* A median and its distribution-free interval; n == 0: nothing measured. */
typedef struct cl_est {
    size_t n;
    double med, lo, hi, level;
} cl_est;

static cl_est estimate(const double *x, size_t n, double conf)
{
    cl_est e = {.n = n, .med = NAN, .lo = NAN, .hi = NAN, .level = 0};
    hb_interval iv;
    if (n == 0 || hb_median_ci(x, n, conf, &iv) < 0)
        return e;
    e.med = hb_median(x, n);
    e.lo = iv.lo;
    e.hi = iv.hi;
    e.level = iv.level;
    return e;
}

static cl_est est_of(const cl_input *in, const cl_set *s, const char *alloc, const char *coll,
                     const char *col)
{
    double x[CL_MAX_REPS];
    return estimate(x, pick(s, alloc, coll, col, x), in->conf);
}

static int above(cl_est a, cl_est b)
{
    return a.n && b.n && a.lo > b.hi;
}

static cl_est scaled(cl_est e, double k)
{
    e.med *= k;
    e.lo *= k;
    e.hi *= k;
    return e;
}

/* ------------------------------------------------------------------ */
/* Writing the output                                                   */
/* ------------------------------------------------------------------ */

__attribute__((format(printf, 2, 3))) static void say(cl_output *o, const char *fmt, ...)
{
    if (o->len >= sizeof o->numbers - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->numbers + o->len, sizeof o->numbers - o->len, fmt, ap);
    va_end(ap);
    if (w > 0)
        o->len += (size_t)w < sizeof o->numbers - o->len ? (size_t)w : sizeof o->numbers - o->len - 1;
}

__attribute__((format(printf, 3, 4))) static int answer(cl_output *o, cl_verdict v,
                                                        const char *fmt, ...)
{
    o->verdict = v;
    int w = snprintf(o->answer, sizeof o->answer, "%s", cl_verdict_name(v));
    if (fmt && w > 0 && (size_t)w < sizeof o->answer) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(o->answer + w, sizeof o->answer - (size_t)w, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static void point(cl_output *o, const char *group, double x, const char *xlabel, cl_est e)
{
    if (o->npts == CL_MAX_POINTS || e.n == 0)
        return;
    cl_point *p = &o->pts[o->npts++];
    snprintf(p->group, sizeof p->group, "%s", group);
    snprintf(p->xlabel, sizeof p->xlabel, "%s", xlabel);
    p->x = x;
    p->median = e.med;
    p->lo = e.lo;
    p->hi = e.hi;
}

/* "12.3 [11.9, 12.8] unit (n 6, 96.9%)"; "not measured" when n is 0. */
static const char *fmt_est(char *buf, size_t cap, cl_est e, const char *unit)
{
    if (e.n == 0)
        snprintf(buf, cap, "not measured (no ok row)");
    else
        snprintf(buf, cap, "%.4g [%.4g, %.4g]%s%s (n %zu, coverage %.1f%%)", e.med, e.lo, e.hi,
                 unit[0] ? " " : "", unit, e.n, 100 * e.level);
    return buf;
}

/* Appends name to a comma list. */
static void list_add(char *list, size_t cap, const char *name)
{
    size_t l = strlen(list);
    snprintf(list + l, cap - l, "%s`%s`", l ? ", " : "", name);
}

static int too_few(cl_output *o, const char *what)
{
    say(o, "- %s\n", what);
    return answer(o, CL_UNDECIDED, ": %s", what);
}

/* ------------------------------------------------------------------ */
/* The one shape of a rule over a list                                  */
/* ------------------------------------------------------------------ */

/*
 * Most claims are answered per item (a collector, an allocator, a budget)
 * and then over the items: the claim holds when it holds for every item,
 * does not hold when it holds for none and every item decided, and holds
 * only for the items it holds for otherwise.  A rule files each item with
 * tally() and answers with tally_answer(); the words are the entry's.
 */
typedef enum { CL_NO = 0, CL_YES = 1, CL_OPEN = 2 } cl_mark;

typedef struct cl_tally {
    char list[3][256]; /* by cl_mark: the items' names, "`a`, `b`" */
    size_t n[3];
} cl_tally;

static void tally(cl_tally *t, const char *name, cl_mark m)
{
    list_add(t->list[m], sizeof t->list[m], name);
    t->n[m]++;
}

static size_t tally_total(const cl_tally *t)
{
    return t->n[CL_NO] + t->n[CL_YES] + t->n[CL_OPEN];
}

/* all: the answer's text when every item holds; none: when none does; kind:
 * the items' noun ("collector") in "holds only when the collector is ...". */
static int tally_answer(cl_output *o, const cl_tally *t, const char *all, const char *none,
                        const char *kind)
{
    size_t total = tally_total(t);
    if (total == 0)
        return too_few(o, "no item has ok rows to compare");
    if (t->n[CL_YES] == total)
        return answer(o, CL_HOLDS, ": %s", all);
    if (t->n[CL_NO] == total)
        return answer(o, CL_NOT, ": %s", none);
    if (t->n[CL_YES] == 0)
        return answer(o, CL_UNDECIDED, ": it holds for certain for no %s (undecided: %s)", kind,
                      t->list[CL_OPEN]);
    return answer(o, CL_ONLY_WHEN, " the %s is %s (not: %s%s%s)", kind, t->list[CL_YES],
                  t->n[CL_NO] ? t->list[CL_NO] : "none", t->n[CL_OPEN] ? "; undecided: " : "",
                  t->list[CL_OPEN]);
}

/* CL_YES when a lies above b, CL_NO when below or, if ties_no, when they
 * overlap, CL_OPEN when they overlap otherwise. */
static cl_mark compare(cl_est a, cl_est b, int ties_no)
{
    if (above(a, b))
        return CL_YES;
    return above(b, a) || ties_no ? CL_NO : CL_OPEN;
}

/* ------------------------------------------------------------------ */
/* Reference counting has real overhead                                 */
/* ------------------------------------------------------------------ */

static int rule_rc_overhead(const cl_input *in, cl_output *o)
{
    const cl_set *s = &in->sets[0];
    double rc[CL_MAX_REPS], ms[CL_MAX_REPS];
    size_t nr = pick(s, NULL, "rc", "mutator_s", rc), nm = pick(s, NULL, "mark-sweep", "mutator_s", ms);
    char b[160];
    static const char *const cols[] = {"mutator_s", "wall_s"};
    static const char *const what[] = {"mutator", "whole run"};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 2; c++) {
            const char *coll = c ? "mark-sweep" : "rc";
            cl_est e = est_of(in, s, NULL, coll, cols[k]);
            say(o, "- `%s` %s time: %s\n", coll, what[k], fmt_est(b, sizeof b, e, "s"));
            point(o, coll, k + 1, what[k], e);
        }
    if (nr < 2 || nm < 2)
        return too_few(o, "fewer than two ok repetitions of rc or mark-sweep");
    hb_ratio r;
    hb_ratio_ci(rc, nr, ms, nm, in->conf, &r);
    const cl_census *c = &s->census;
    double extra = hb_mean(rc, nr) - hb_mean(ms, nm);
    uint64_t writes = c->sets + c->gets + c->movs + c->drops;
    say(o, "- mutator time of rc over mark-sweep (ratio of means, Fieller 95%%): %.3f [%.3f, %.3f]\n",
        r.ratio, r.lo, r.hi);
    if (c->sets)
        say(o, "- stores (SET ops) in the stream: %llu of %llu ops (%.1f%%); rc's extra mutator "
               "time per store: %.2f ns; per reference write (SET, GET, MOV, DROP: %llu): %.2f ns\n",
            (unsigned long long)c->sets, (unsigned long long)c->ops, 100.0 * (double)c->sets / (double)c->ops,
            extra / (double)c->sets * 1e9, (unsigned long long)writes,
            writes ? extra / (double)writes * 1e9 : NAN);
    if (r.bounded && r.lo > 1)
        return answer(o, CL_HOLDS, ": rc's mutator time is %.2fx mark-sweep's [%.2f, %.2f]", r.ratio,
                      r.lo, r.hi);
    if (r.bounded && r.hi < 1)
        return answer(o, CL_NOT, ": rc's mutator time is %.2fx mark-sweep's [%.2f, %.2f], less",
                      r.ratio, r.lo, r.hi);
    return answer(o, CL_UNDECIDED, ": the ratio's interval contains 1 (a tie)");
}

/* ------------------------------------------------------------------ */
/* Pauses are unpredictable and hurt real-time code                     */
/* ------------------------------------------------------------------ */

static const struct {
    const char *col, *label;
} cl_quantiles[] = {{"pause_p50_us", "p50"},   {"pause_p90_us", "p90"}, {"pause_p99_us", "p99"},
                    {"pause_p999_us", "p99.9"}, {"pause_max_us", "max"}};

static void pause_points(const cl_input *in, const cl_set *s, const char *coll, const char *group,
                         cl_output *o)
{
    for (size_t q = 0; q < sizeof cl_quantiles / sizeof cl_quantiles[0]; q++)
        point(o, group, (double)q + 1, cl_quantiles[q].label,
              scaled(est_of(in, s, NULL, coll, cl_quantiles[q].col), 1e-3));
}

static int rule_pauses(const cl_input *in, cl_output *o)
{
    const cl_set *s = &in->sets[0];
    const char *colls[CL_MAX_NAMES];
    size_t nc = names_in(s, 1, colls);
    if (nc == 0)
        return too_few(o, "no ok row");
    static const double budget_us[2] = {1000, 10000};
    cl_tally miss[2]; /* per budget: YES missed, NO met, OPEN */
    memset(miss, 0, sizeof miss);
    char b[4][160];
    for (size_t i = 0; i < nc; i++) {
        cl_est mx = est_of(in, s, NULL, colls[i], "pause_max_us");
        say(o, "- `%s`: longest pause %s; p99 %s; MMU at 1 ms %s, at 10 ms %s\n", colls[i],
            fmt_est(b[0], sizeof b[0], scaled(mx, 1e-3), "ms"),
            fmt_est(b[1], sizeof b[1], scaled(est_of(in, s, NULL, colls[i], "pause_p99_us"), 1e-3), "ms"),
            fmt_est(b[2], sizeof b[2], est_of(in, s, NULL, colls[i], "mmu_1ms"), ""),
            fmt_est(b[3], sizeof b[3], est_of(in, s, NULL, colls[i], "mmu_10ms"), ""));
        pause_points(in, s, colls[i], colls[i], o);
        for (int k = 0; k < 2; k++) {
            cl_est budget = {.n = 1, .med = budget_us[k], .lo = budget_us[k], .hi = budget_us[k]};
            tally(&miss[k], colls[i], compare(mx, budget, 0));
        }
    }
    for (int k = 0; k < 2; k++)
        say(o, "- %s ms budget: met by %s; missed by %s; undecided: %s\n", k ? "10" : "1",
            miss[k].n[CL_NO] ? miss[k].list[CL_NO] : "none",
            miss[k].n[CL_YES] ? miss[k].list[CL_YES] : "none",
            miss[k].n[CL_OPEN] ? miss[k].list[CL_OPEN] : "none");
    if (miss[1].n[CL_YES] == nc)
        return answer(o, CL_HOLDS, ": every collector's longest pause is over 10 ms");
    if (miss[0].n[CL_NO] == nc)
        return answer(o, CL_NOT, ": every collector's longest pause is under 1 ms");
    if (miss[0].n[CL_YES] == 0)
        return answer(o, CL_UNDECIDED, ": no collector misses 1 ms for certain (undecided: %s)",
                      miss[0].list[CL_OPEN]);
    return answer(o, CL_ONLY_WHEN, " the budget is 1 ms (missed by %s)%s%s%s; met at 10 ms by %s",
                  miss[0].list[CL_YES], miss[1].n[CL_YES] ? " or 10 ms (missed by " : "",
                  miss[1].list[CL_YES], miss[1].n[CL_YES] ? ")" : "",
                  miss[1].n[CL_NO] ? miss[1].list[CL_NO] : "none");
}

/* ------------------------------------------------------------------ */
/* Cycles delay freeing until the detector runs                         */
/* ------------------------------------------------------------------ */

static int rule_cycles_delay(const cl_input *in, cl_output *o)
{
    const cl_set *lo = NULL, *hi = NULL, *first_above = NULL;
    double tlo = INFINITY, thi = -1;
    char b[160], b2[160];
    for (size_t i = 0; i < in->nsets; i++) {
        const cl_set *s = &in->sets[i];
        if (s->tag[0] != 't' || est_of(in, s, NULL, "rc-cycle", "peak_live_bytes").n == 0)
            continue;
        double t = atof(s->tag + 1);
        if (t < tlo)
            tlo = t, lo = s;
        if (t > thi)
            thi = t, hi = s;
    }
    const cl_set *rcs = set_tagged(in, "rc");
    cl_est rc_live = scaled(est_of(in, rcs, NULL, "rc", "peak_live_bytes"), 1 / MIB);
    cl_est rc_leak = scaled(est_of(in, rcs, NULL, "rc", "leaked_bytes"), 1 / MIB);
    for (size_t i = 0; i < in->nsets; i++) {
        const cl_set *s = &in->sets[i];
        if (s->tag[0] != 't')
            continue;
        double t = atof(s->tag + 1);
        cl_est e = scaled(est_of(in, s, NULL, "rc-cycle", "peak_live_bytes"), 1 / MIB);
        say(o, "- threshold %.0f: peak live %s; collections %s\n", t, fmt_est(b, sizeof b, e, "MiB"),
            fmt_est(b2, sizeof b2, est_of(in, s, NULL, "rc-cycle", "collections"), ""));
        point(o, "rc-cycle", t, s->tag + 1, e);
        point(o, "rc (no detector)", t, s->tag + 1, rc_live);
        if (lo && s != lo && t < (first_above ? atof(first_above->tag + 1) : INFINITY) &&
            above(est_of(in, s, NULL, "rc-cycle", "peak_live_bytes"),
                  est_of(in, lo, NULL, "rc-cycle", "peak_live_bytes")))
            first_above = s;
    }
    say(o, "- rc (never frees a cycle): peak live %s, leaked %s\n", fmt_est(b, sizeof b, rc_live, "MiB"),
        fmt_est(b2, sizeof b2, rc_leak, "MiB"));
    if (lo == NULL || lo == hi)
        return too_few(o, "fewer than two thresholds with ok rows");
    if (first_above == NULL)
        return answer(o, CL_NOT, ": peak live memory at threshold %.0f is not above that at %.0f",
                      thi, tlo);
    double tf = atof(first_above->tag + 1);
    int next = 1; /* first_above is the second threshold */
    for (size_t i = 0; i < in->nsets; i++) {
        double t = atof(in->sets[i].tag + 1);
        if (in->sets[i].tag[0] == 't' && t > tlo && t < tf)
            next = 0;
    }
    if (next)
        return answer(o, CL_HOLDS, ": peak live memory rises with the threshold (from %.0f on)", tf);
    return answer(o, CL_ONLY_WHEN, " the generation-0 threshold is %.0f or more", tf);
}

/* ------------------------------------------------------------------ */
/* Fragmentation grows in long-running programs                         */
/* ------------------------------------------------------------------ */

/* The median of footprint over live among the samples whose ops lie in
 * [a, b]; NaN when there are none. */
static double ratio_in(const cl_series *sr, double a, double b)
{
    double x[4096];
    size_t n = 0;
    for (size_t i = 0; i < sr->n && n < sizeof x / sizeof x[0]; i++)
        if (sr->s[i].ops >= a && sr->s[i].ops <= b && sr->s[i].live > 0)
            x[n++] = sr->s[i].footprint / sr->s[i].live;
    return n ? hb_median(x, n) : NAN;
}

/* Late over early: footprint/live in the last quarter of the run's ops
 * over that in the first quarter (after the start sample). */
static double frag_growth(const cl_series *sr)
{
    double end = 0;
    for (size_t i = 0; i < sr->n; i++)
        end = sr->s[i].ops > end ? sr->s[i].ops : end;
    double early = ratio_in(sr, 1, 0.25 * end), late = ratio_in(sr, 0.75 * end, end);
    return early > 0 ? late / early : NAN;
}

static int rule_fragmentation(const cl_input *in, cl_output *o)
{
    const cl_set *s = &in->sets[0];
    const char *allocs[CL_MAX_NAMES];
    size_t na = names_in(s, 0, allocs);
    cl_tally t;
    memset(&t, 0, sizeof t);
    char b[2][160];
    for (size_t i = 0; i < na; i++) {
        double g[CL_MAX_REPS];
        size_t n = 0;
        for (size_t k = 0; k < s->nseries && n < CL_MAX_REPS; k++)
            if (strcmp(s->series[k].allocator, allocs[i]) == 0 && !isnan(frag_growth(&s->series[k])))
                g[n++] = frag_growth(&s->series[k]);
        cl_est e = estimate(g, n, in->conf);
        say(o, "- `%s`: footprint/live, last quarter over first quarter %s; time-mean "
               "footprint/live - 1 (frag_jw1_mean) %s\n",
            allocs[i], fmt_est(b[0], sizeof b[0], e, "x"),
            fmt_est(b[1], sizeof b[1], est_of(in, s, allocs[i], NULL, "frag_jw1_mean"), ""));
        point(o, "growth", (double)i + 1, allocs[i], e);
        cl_est limit = {.n = 1, .med = 1.05, .lo = 1.05, .hi = 1.05};
        tally(&t, allocs[i], e.n ? compare(e, limit, 0) : CL_OPEN);
    }
    if (na == 0)
        return too_few(o, "no ok row");
    return tally_answer(o, &t, "footprint/live grows by more than 5% on every allocator",
                        "footprint/live grows by less than 5% on every allocator", "allocator");
}

/* ------------------------------------------------------------------ */
/* Pools cut small-object overhead                                      */
/* ------------------------------------------------------------------ */

static int rule_pools(const cl_input *in, cl_output *o)
{
    const cl_set *s = &in->sets[0];
    const char *allocs[CL_MAX_NAMES];
    size_t na = names_in(s, 0, allocs);
    double pool[CL_MAX_REPS], other[CL_MAX_REPS];
    size_t np = pick(s, "pool", NULL, "wall_s", pool);
    cl_est fp_pool = est_of(in, s, "pool", NULL, "peak_footprint_bytes");
    cl_est t_malloc = est_of(in, s, "malloc", NULL, "wall_s");
    cl_est fp_malloc = est_of(in, s, "malloc", NULL, "peak_footprint_bytes");
    char b[2][160], beats[256] = "";
    int faster = 0, smaller = 0;
    for (size_t i = 0; i < na; i++) {
        size_t no = pick(s, allocs[i], NULL, "wall_s", other);
        cl_est t = est_of(in, s, allocs[i], NULL, "wall_s");
        cl_est fp = est_of(in, s, allocs[i], NULL, "peak_footprint_bytes");
        say(o, "- `%s`: time %s; peak footprint %s", allocs[i], fmt_est(b[0], sizeof b[0], t, "s"),
            fmt_est(b[1], sizeof b[1], scaled(fp, 1 / MIB), "MiB"));
        if (t_malloc.n)
            point(o, "time", (double)i + 1, allocs[i], scaled(t, 1 / t_malloc.med));
        if (fp_malloc.n)
            point(o, "peak footprint", (double)i + 1, allocs[i], scaled(fp, 1 / fp_malloc.med));
        hb_ratio r;
        if (strcmp(allocs[i], "pool") != 0 && np >= 2 && no >= 2 &&
            hb_ratio_ci(other, no, pool, np, in->conf, &r) == 0 && r.bounded) {
            say(o, "; pool's speed-up over it %.3f [%.3f, %.3f]", r.ratio, r.lo, r.hi);
            int f = r.lo > 1, sm = above(fp, fp_pool);
            if (strcmp(allocs[i], "malloc") == 0)
                faster = f, smaller = sm;
            else if (f && sm)
                list_add(beats, sizeof beats, allocs[i]);
        }
        say(o, "\n");
    }
    if (np < 2 || t_malloc.n < 2)
        return too_few(o, "fewer than two ok repetitions of pool or malloc");
    say(o, "- pool is faster and smaller than these peers too: %s\n", beats[0] ? beats : "none");
    if (faster && smaller)
        return answer(o, CL_HOLDS, ": pool is faster than malloc and its footprint smaller");
    if (faster)
        return answer(o, CL_ONLY_WHEN, " time is the overhead: pool is faster than malloc, its "
                                       "footprint not smaller");
    if (smaller)
        return answer(o, CL_ONLY_WHEN, " footprint is the overhead: pool's is smaller than "
                                       "malloc's, its time not faster");
    return answer(o, CL_NOT, ": pool is neither faster than malloc nor smaller");
}

/* ------------------------------------------------------------------ */
/* Per-object metadata inflates the footprint                           */
/* ------------------------------------------------------------------ */

/* Per repetition: peak footprint over the live objects at the peak, the
 * latter estimated as peak live bytes over the mean object's bytes
 * (bytes_allocated / objects, headers included): the rows count bytes, not
 * live objects. */
static cl_est footprint_per_object(const cl_input *in, const cl_set *s, const char *coll)
{
    double fp[CL_MAX_REPS], live[CL_MAX_REPS], ba[CL_MAX_REPS], ob[CL_MAX_REPS], x[CL_MAX_REPS];
    size_t n = pick(s, NULL, coll, "peak_footprint_bytes", fp);
    pick(s, NULL, coll, "peak_live_bytes", live);
    pick(s, NULL, coll, "bytes_allocated", ba);
    pick(s, NULL, coll, "objects", ob);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (ob[i] > 0 && live[i] > 0 && ba[i] > 0)
            x[m++] = fp[i] / (live[i] / (ba[i] / ob[i]));
    return estimate(x, m, in->conf);
}

static int rule_metadata(const cl_input *in, cl_output *o)
{
    const cl_set *s = &in->sets[0];
    const char *colls[CL_MAX_NAMES];
    size_t nc = names_in(s, 1, colls);
    char b[2][160];
    for (size_t i = 0; i < nc; i++) {
        cl_est h = est_of(in, s, NULL, colls[i], "header_bytes");
        double ba[CL_MAX_REPS], ob[CL_MAX_REPS];
        size_t n = pick(s, NULL, colls[i], "bytes_allocated", ba);
        pick(s, NULL, colls[i], "objects", ob);
        double mean_obj = n && ob[0] > 0 ? ba[0] / ob[0] : NAN;
        cl_est f = footprint_per_object(in, s, colls[i]);
        say(o, "- `%s`: header %.0f B (+16 B common) of a mean object of %.1f B (%.1f%%); "
               "peak footprint per live object %s; peak live %s\n",
            colls[i], h.med, mean_obj, 100 * (h.med + 16) / mean_obj,
            fmt_est(b[0], sizeof b[0], f, "B"),
            fmt_est(b[1], sizeof b[1], scaled(est_of(in, s, NULL, colls[i], "peak_live_bytes"), 1 / MIB), "MiB"));
        h.lo = h.hi = h.med = h.med + 16;
        point(o, "header bytes (16 + collector's)", (double)i + 1, colls[i], h);
        point(o, "peak footprint per live object", (double)i + 1, colls[i], f);
    }
    cl_est small = footprint_per_object(in, s, "rc"), big = footprint_per_object(in, s, "rc-cycle");
    cl_est hs = est_of(in, s, NULL, "rc", "header_bytes"), hb = est_of(in, s, NULL, "rc-cycle", "header_bytes");
    if (small.n == 0 || big.n == 0)
        return too_few(o, "no ok row of rc or rc-cycle");
    say(o, "- the rule's pair: rc (header %.0f B) and rc-cycle (header %.0f B), which free the "
           "same objects at the same moments on acyclic work\n", hs.med, hb.med);
    if (above(big, small))
        return answer(o, CL_HOLDS, ": rc-cycle's %.0f more header bytes raise the footprint per "
                                   "live object from %.1f to %.1f B", hb.med - hs.med, small.med, big.med);
    if (above(small, big) || big.hi <= small.lo)
        return answer(o, CL_NOT, ": the larger header does not raise the footprint per live object");
    return answer(o, CL_UNDECIDED, ": the footprint-per-object intervals of rc and rc-cycle overlap");
}

/* ------------------------------------------------------------------ */
/* Finalizers cause delays                                              */
/* ------------------------------------------------------------------ */

static int rule_finalizers(const cl_input *in, cl_output *o)
{
    const cl_set *wo = set_tagged(in, "without"), *w = set_tagged(in, "with"),
                 *cw = set_tagged(in, "costly");
    static const char *const tags[] = {"no finalizer", "empty finalizer", "costly finalizer"};
    const cl_set *sets[] = {wo, w, cw};
    const char *colls[CL_MAX_NAMES];
    size_t nc = names_in(cw, 1, colls);
    cl_tally t;
    memset(&t, 0, sizeof t);
    char b[3][160], g[64];
    for (size_t i = 0; i < nc; i++) {
        cl_est p99[3];
        for (int k = 0; k < 3; k++) {
            p99[k] = est_of(in, sets[k], NULL, colls[i], "pause_p99_us");
            snprintf(g, sizeof g, "%s, %s", colls[i], tags[k]);
            pause_points(in, sets[k], colls[i], g, o);
        }
        say(o, "- `%s`: p99 pause without finalizers %s; with an empty __del__ %s; with a costly "
               "__del__ %s\n", colls[i], fmt_est(b[0], sizeof b[0], scaled(p99[0], 1e-3), "ms"),
            fmt_est(b[1], sizeof b[1], scaled(p99[1], 1e-3), "ms"),
            fmt_est(b[2], sizeof b[2], scaled(p99[2], 1e-3), "ms"));
        cl_est fin = est_of(in, cw, NULL, colls[i], "finalizers_run");
        cl_est col = est_of(in, cw, NULL, colls[i], "collections");
        cl_est gc0 = est_of(in, wo, NULL, colls[i], "gc_s"), gc2 = est_of(in, cw, NULL, colls[i], "gc_s");
        say(o, "  - longest pause: %s without, %s costly; finalizers run %.0f in %.0f collections; "
               "collector time %.3f s without, %.3f s costly: %.1f us more per finalizer run (the "
               "cost of one costly __del__); an empty __del__ alone %s the p99 pause\n",
            fmt_est(b[0], sizeof b[0], scaled(est_of(in, wo, NULL, colls[i], "pause_max_us"), 1e-3), "ms"),
            fmt_est(b[1], sizeof b[1], scaled(est_of(in, cw, NULL, colls[i], "pause_max_us"), 1e-3), "ms"),
            fin.med, col.med, gc0.med, gc2.med, fin.med > 0 ? (gc2.med - gc0.med) / fin.med * 1e6 : NAN,
            above(p99[1], p99[0]) ? "lengthens" : "does not lengthen");
        if (p99[0].n && p99[2].n)
            tally(&t, colls[i], compare(p99[2], p99[0], 0));
    }
    if (tally_total(&t) == 0)
        return too_few(o, "no collector has ok rows with and without finalizers");
    return tally_answer(o, &t, "a costly __del__ lengthens the p99 pause for every collector",
                        "no collector's p99 pause is longer with a costly __del__", "collector");
}

/* ------------------------------------------------------------------ */
/* Large arrays live in a second heap                                   */
/* ------------------------------------------------------------------ */

static cl_est exact(double v)
{
    return (cl_est){.n = 1, .med = v, .lo = v, .hi = v, .level = 1};
}

/* a - b with the interval of the difference: [a.lo - b.hi, a.hi - b.lo]. */
static cl_est minus(cl_est a, cl_est b)
{
    cl_est d = a;
    d.n = a.n < b.n ? a.n : b.n;
    d.med = a.med - b.med;
    d.lo = a.lo - b.hi;
    d.hi = a.hi - b.lo;
    return d;
}

static int rule_large_arrays(const cl_input *in, cl_output *o)
{
    const cl_set *all = set_tagged(in, "all"), *arr = set_tagged(in, "arrays");
    const cl_census *c = all ? &all->census : NULL;
    char b[3][160];
    cl_est whole = scaled(est_of(in, all, "pool", NULL, "peak_footprint_bytes"), 1 / MIB);
    cl_est large = scaled(est_of(in, arr, "pool", NULL, "peak_footprint_bytes"), 1 / MIB);
    cl_est arenas = minus(whole, large);
    point(o, "peak footprint (MiB)", 1, "whole", whole);
    point(o, "peak footprint (MiB)", 2, "large path", large);
    point(o, "peak footprint (MiB)", 3, "arenas", arenas);
    if (c && c->small_bytes + c->large_bytes > 0) {
        double total = (double)(c->small_bytes + c->large_bytes);
        point(o, "bytes allocated (MiB)", 4, "<=512 B", exact((double)c->small_bytes / MIB));
        point(o, "bytes allocated (MiB)", 5, ">512 B", exact((double)c->large_bytes / MIB));
        say(o, "- bytes allocated through the pool's small-object path (<= 512 B): %.1f MiB in "
               "%llu objects; through its large-block path: %.1f MiB in %llu objects (%.1f%% of "
               "the bytes; counted exactly from the op stream)\n",
            (double)c->small_bytes / MIB, (unsigned long long)c->small_news,
            (double)c->large_bytes / MIB, (unsigned long long)c->large_news,
            100 * (double)c->large_bytes / total);
    }
    say(o, "- peak footprint of the whole heap (`pool`, the workload as is) %s\n",
        fmt_est(b[0], sizeof b[0], whole, "MiB"));
    say(o, "- held by the large-block path (`pool`, `--no-leaves`: the same large blocks, no "
           "small object) %s\n", fmt_est(b[1], sizeof b[1], large, "MiB"));
    say(o, "- held by the pool's own arenas (the difference; its interval from the two "
           "intervals) %s\n", fmt_est(b[2], sizeof b[2], arenas, "MiB"));
    if (whole.n == 0 || large.n == 0)
        return too_few(o, "no ok rows of one of the two runs");
    double share = large.med / whole.med;
    if (large.lo > whole.hi / 2)
        return answer(o, CL_HOLDS, ": the large-block path holds %.0f%% of the peak footprint, "
                                   "outside the pools", 100 * share);
    if (large.hi < whole.lo / 2)
        return answer(o, CL_NOT, ": the large-block path holds only %.0f%% of the peak footprint",
                      100 * share);
    return answer(o, CL_UNDECIDED, ": the large-block path's share (%.0f%%) cannot be told from "
                                   "half", 100 * share);
}

/* ------------------------------------------------------------------ */
/* The small-int cache saves memory                                     */
/* ------------------------------------------------------------------ */

static int rule_interned(const cl_input *in, cl_output *o)
{
    const cl_set *fr = set_tagged(in, "fresh"), *sh = set_tagged(in, "shared");
    static const char *const cols[] = {"peak_live_bytes", "peak_footprint_bytes", "objects"};
    static const char *const what[] = {"peak live", "peak footprint", "objects made"};
    cl_est e[2][3];
    char b[2][160];
    for (int k = 0; k < 3; k++) {
        e[0][k] = est_of(in, fr, NULL, NULL, cols[k]);
        e[1][k] = est_of(in, sh, NULL, NULL, cols[k]);
        double unit = k < 2 ? 1 / MIB : 1e-6;
        say(o, "- %s: fresh leaves %s; shared leaves %s\n", what[k],
            fmt_est(b[0], sizeof b[0], scaled(e[0][k], unit), k < 2 ? "MiB" : "M"),
            fmt_est(b[1], sizeof b[1], scaled(e[1][k], unit), k < 2 ? "MiB" : "M"));
        if (k < 2) {
            point(o, "fresh", k + 1, what[k], scaled(e[0][k], unit));
            point(o, "shared", k + 1, what[k], scaled(e[1][k], unit));
        }
    }
    if (e[0][1].n == 0 || e[1][1].n == 0)
        return too_few(o, "no ok rows of one of the variants");
    if (above(e[0][1], e[1][1]))
        return answer(o, CL_HOLDS, ": sharing lowers the peak footprint from %.2f to %.2f MiB",
                      e[0][1].med / MIB, e[1][1].med / MIB);
    if (above(e[0][0], e[1][0]))
        return answer(o, CL_ONLY_WHEN, " memory means live bytes: sharing lowers them from %.2f to "
                                       "%.2f MiB, the footprint intervals overlap",
                      e[0][0].med / MIB, e[1][0].med / MIB);
    return answer(o, CL_NOT, ": sharing lowers neither the peak live bytes nor the footprint");
}

/* ------------------------------------------------------------------ */
/* The GIL serialises allocation                                        */
/* ------------------------------------------------------------------ */

static const char *threads_unavailable(void);

/* The column of the ok rows of an allocator's cell on t threads (the rows'
 * `threads` column; 0, an older row, is one thread). */
static size_t pick_threads(const cl_set *s, const char *alloc, double t, const char *col,
                           double *out)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n && n < CL_MAX_REPS; i++) {
        double rt = row_value(&s->rows[i], "threads");
        if (row_matches(&s->rows[i], alloc, NULL) && (rt > 1 ? rt : 1) == t)
            out[n++] = row_value(&s->rows[i], col);
    }
    return n;
}

static int rule_threads(const cl_input *in, cl_output *o)
{
    if (in->unavailable) {
        say(o, "- not measured: %s\n", in->unavailable);
        return answer(o, CL_NOT_MEASURED, ": %s", in->unavailable);
    }
    const cl_set *s = &in->sets[0];
    const char *allocs[CL_MAX_NAMES];
    size_t na = names_in(s, 0, allocs);
    cl_tally t;
    memset(&t, 0, sizeof t);
    char b[2][160];
    for (size_t i = 0; i < na; i++) {
        double x1[CL_MAX_REPS], x2[CL_MAX_REPS];
        size_t n1 = pick_threads(s, allocs[i], 1, "ops_per_s", x1);
        size_t n2 = pick_threads(s, allocs[i], 2, "ops_per_s", x2);
        cl_est e1 = scaled(estimate(x1, n1, in->conf), 1e-6), e2 = scaled(estimate(x2, n2, in->conf), 1e-6);
        point(o, "one mutator (GIL model)", (double)i + 1, allocs[i], e1);
        point(o, "two threads (free-threaded)", (double)i + 1, allocs[i], e2);
        hb_ratio r;
        if (n1 < 2 || n2 < 2 || hb_ratio_ci(x2, n2, x1, n1, in->conf, &r) != 0 || !r.bounded)
            continue;
        say(o, "- `%s`: allocation throughput one thread %s, two threads %s; ratio %.3f [%.3f, %.3f]\n",
            allocs[i], fmt_est(b[0], sizeof b[0], e1, "Mops/s"), fmt_est(b[1], sizeof b[1], e2, "Mops/s"),
            r.ratio, r.lo, r.hi);
        tally(&t, allocs[i], r.lo > 1 ? CL_YES : CL_NO);
    }
    if (tally_total(&t) == 0)
        return too_few(o, "no allocator has ok rows on one and two threads");
    return tally_answer(o, &t, "two free threads allocate faster than one on every allocator",
                        "no allocator allocates faster on two free threads", "allocator");
}

/* ------------------------------------------------------------------ */
/* Disabling the collector leaks cycles                                 */
/* ------------------------------------------------------------------ */

static int rule_disable(const cl_input *in, cl_output *o)
{
    const cl_set *s = &in->sets[0];
    cl_est leak_rc = scaled(est_of(in, s, NULL, "rc", "leaked_bytes"), 1 / MIB);
    cl_est leak_cy = scaled(est_of(in, s, NULL, "rc-cycle", "leaked_bytes"), 1 / MIB);
    cl_est live_rc = scaled(est_of(in, s, NULL, "rc", "peak_live_bytes"), 1 / MIB);
    cl_est live_cy = scaled(est_of(in, s, NULL, "rc-cycle", "peak_live_bytes"), 1 / MIB);
    char b[2][160];
    say(o, "- leaked at the end: rc (collector disabled) %s; rc-cycle %s\n",
        fmt_est(b[0], sizeof b[0], leak_rc, "MiB"), fmt_est(b[1], sizeof b[1], leak_cy, "MiB"));
    say(o, "- peak live: rc %s; rc-cycle %s\n", fmt_est(b[0], sizeof b[0], live_rc, "MiB"),
        fmt_est(b[1], sizeof b[1], live_cy, "MiB"));
    point(o, "rc", 1, "leaked", leak_rc);
    point(o, "rc-cycle", 1, "leaked", leak_cy);
    point(o, "rc", 2, "peak live", live_rc);
    point(o, "rc-cycle", 2, "peak live", live_cy);
    if (leak_rc.n == 0 || leak_cy.n == 0)
        return too_few(o, "no ok rows of rc or rc-cycle");
    if (leak_rc.hi <= 0)
        return answer(o, CL_NOT, ": rc leaked nothing");
    if (leak_rc.lo > 0 && leak_cy.hi <= 0 && above(live_rc, live_cy))
        return answer(o, CL_HOLDS, ": without the detector %.1f MiB of cycles leak and the peak "
                                   "live memory is %.1fx", leak_rc.med, live_rc.med / live_cy.med);
    return answer(o, CL_UNDECIDED, ": rc leaks, but rc-cycle leaks too or the peaks overlap");
}

/* ------------------------------------------------------------------ */
/* The table                                                            */
/* ------------------------------------------------------------------ */

/* The threads work: the larson workload and a `threads` setting. */
static const char *threads_unavailable(void)
{
    int have_setting = 0;
    for (int i = 0; i < HB_SETTING_COUNT; i++)
        if (hb_settings[i].option && strcmp(hb_settings[i].option, "threads") == 0)
            have_setting = 1;
    if (wl_find("larson") == NULL || !have_setting)
        return "this build has no `larson` workload or no `--threads` setting (the threads "
               "work is not merged)";
    return NULL;
}

const cl_claim cl_claims[] = {
    {"rc-overhead", "Reference counting has real overhead",
     "Reference counting slows the mutator: every store and register write pays for a count.",
     "Mutator time (wall time less pauses) of `rc` against `mark-sweep`, on `pool`, on `gcbench` "
     "(tree building: a store per node); the cost per store is rc's extra mean mutator time over "
     "the stream's SET ops, counted from the op stream.",
     "The claim holds when the Fieller 95% interval of rc's mean mutator time over mark-sweep's lies above 1; "
     "does not hold when it lies below 1; undecided (a tie) when it contains 1.",
     0.4,
     {{"run", "pool", "rc,mark-sweep", "gcbench", {NULL}, 0}}, 1,
     {"intervals.gp", "mutator and whole-run time, gcbench", "", "seconds", 0, 0, NULL, 0},
     NULL, rule_rc_overhead},
    {"pauses", "GC pauses are unpredictable and hurt real-time code",
     "Collection pauses are long and irregular enough to break a latency budget.",
     "Pause percentiles, longest pause and MMU at 1 ms and 10 ms windows of every collector on "
     "`server` (on `pool`; `boehm` on its own allocator).",
     "A collector meets a budget when its longest pause's interval lies below it and misses it when "
     "the interval lies above; the claim holds when every collector misses 10 ms, does not hold "
     "when every collector meets 1 ms, and otherwise holds only for the budgets and collectors "
     "that miss.",
     0.2,
     {{"run", "pool,boehm", NULL, "server", {NULL}, 0}}, 1,
     {"intervals.gp", "pause percentiles, server", "", "pause (ms)", 0, 1, NULL, 1},
     NULL, rule_pauses},
    {"cycles-delay", "Cycles delay freeing until the detector runs",
     "Cyclic garbage stays allocated until the cycle detector runs, so memory grows with its "
     "threshold.",
     "Peak live bytes of `rc-cycle` on `cycles` (on `pool`) with the generation-0 threshold at "
     "100, 1,000, 10,000 and 100,000 (`--threshold T,10,10`), beside `rc`, which never frees a "
     "cycle. The live data is the same in every run, so differences are garbage still held.",
     "The claim holds when the peak-live interval at the second-smallest threshold lies above the smallest "
     "threshold's; holds only when the threshold is T or more when T is the smallest threshold "
     "whose interval lies above the smallest's; does not hold when none does.",
     0.2,
     {{"t100", "pool", "rc-cycle", "cycles", {"--threshold=100,10,10"}, 0},
      {"t1000", "pool", "rc-cycle", "cycles", {"--threshold=1000,10,10"}, 0},
      {"t10000", "pool", "rc-cycle", "cycles", {"--threshold=10000,10,10"}, 0},
      {"t100000", "pool", "rc-cycle", "cycles", {"--threshold=100000,10,10"}, 0},
      {"rc", "pool", "rc", "cycles", {NULL}, 0}}, 5,
     {"intervals.gp", "peak live bytes against the generation-0 threshold, cycles",
      "generation-0 threshold", "peak live (MiB)", 1, 0, NULL, 1},
     NULL, rule_cycles_delay},
    {"fragmentation", "Fragmentation grows in long-running programs",
     "A long-running program's heap fragments: footprint over live bytes rises as it runs.",
     "Footprint over live bytes across a `server` run (its value sizes drift through four phases) "
     "for every allocator under `rc`, from the series files: the median of footprint/live in the "
     "last quarter of the run's ops over that in the first quarter, per repetition.",
     "An allocator's fragmentation grows when that ratio's interval lies above 1.05 and does not "
     "when it lies below 1.05; the claim holds when every allocator grows, does not hold when none "
     "does, and holds only for the allocators that grow otherwise.",
     0.3,
     {{"run", NULL, "rc", "server", {"--every=200000"}, 1}}, 1,
     {"series.gp", "footprint over live bytes, server, rc", "ops replayed (millions)",
      "footprint / live", 0, 1, "ratio", 0},
     NULL, rule_fragmentation},
    {"pools", "Pools cut small-object overhead",
     "A pool allocator for small objects (pymalloc) is faster and smaller than the general "
     "allocator.",
     "Wall time and peak footprint of every allocator on `small-objects` under `rc`: objects of "
     "32-232 B (16-200 B payload, a 16-byte header, 8 B per slot, rc's count), all inside 16-512 B.",
     "The claim holds when pool's speed-up over malloc (Fieller 95%) lies above 1 and pool's peak-footprint "
     "interval lies below malloc's; holds only for time or only for footprint when one of the two "
     "does; does not hold when neither does.",
     0.3,
     {{"run", NULL, "rc", "small-objects", {NULL}, 0}}, 1,
     {"intervals.gp", "small-objects under rc, relative to malloc", "", "relative to malloc", 0, 0,
      NULL, 0},
     NULL, rule_pools},
    {"metadata", "Per-object metadata inflates the footprint",
     "Each object's collector header (CPython's GC header) makes the heap larger.",
     "Header bytes of every collector against the mean object (bytes allocated over objects), and "
     "peak footprint per live object (live objects at the peak estimated as peak live bytes over "
     "the mean object's bytes), on `small-objects`, on `pool`.",
     "The claim holds when rc-cycle's footprint-per-live-object interval lies above rc's (the two free the "
     "same objects at the same moments here; rc-cycle's header is the larger); does not hold when "
     "it lies below; undecided when they overlap.",
     0.3,
     {{"run", "pool", NULL, "small-objects", {NULL}, 0}}, 1,
     {"intervals.gp", "bytes per object, small-objects", "", "bytes", 0, 0, NULL, 0},
     NULL, rule_metadata},
    {"finalizers", "A complex __del__ causes delays",
     "Objects whose finalizer (__del__) does real work lengthen collection pauses.",
     "Pause percentiles of `rc-cycle` and `mark-sweep` on `cycles` (on `pool`; 5% of objects "
     "have a finalizer) in three runs of the same graph: `--no-finalizers` (no finalizer), "
     "as it is (a finalizer that does nothing: the collector's handling of finalizable objects "
     "alone) and `--finalizer-work=1M` (each finalizer writes 1 MiB before its object is "
     "freed, a costly __del__: the work runs inside the pause the collector runs its "
     "finalizers in, as CPython runs __del__ inside the collection).",
     "It holds for a collector when its p99 pause interval with the costly __del__ lies above "
     "the one without finalizers, and not when it lies below (overlapping intervals decide "
     "nothing); the claim holds when it holds for every collector, does not hold when for none, "
     "holds only for those collectors when for some, and is undecided otherwise. The empty "
     "__del__'s effect and the measured cost of one costly __del__ are reported beside it.",
     0.2,
     {{"without", "pool", "rc-cycle,mark-sweep", "cycles", {"--no-finalizers"}, 0},
      {"with", "pool", "rc-cycle,mark-sweep", "cycles", {NULL}, 0},
      {"costly", "pool", "rc-cycle,mark-sweep", "cycles", {"--finalizer-work=1M"}, 0}}, 3,
     {"intervals.gp", "pause percentiles, cycles: no, empty and costly finalizers",
      "", "pause (ms)", 0, 1, NULL, 1},
     NULL, rule_finalizers},
    {"large-arrays", "Large arrays live in a second heap",
     "Libraries such as NumPy keep their arrays in a second heap outside the object allocator.",
     "Peak footprint (resident memory held for the heap, the harness's one footprint) of "
     "`large-arrays` on `pool` under `rc`, split between the pool's own arenas and its "
     "large-block path (requests over 512 B, passed to the C library): the large-block path's "
     "is measured in a run of the same stream with `--no-leaves` (the same large blocks, "
     "allocated and freed at the same moments, no small object: what the C library then "
     "holds is that path's alone); the arenas' is the whole heap's less that (the two peaks "
     "may fall at different moments, so this is the arenas' share at the whole heap's peak "
     "at most). The bytes requested through each path are counted from the op stream beside it.",
     "The claim holds when the large-block path's peak-footprint interval lies above half of the "
     "whole heap's (its upper end); does not hold when it lies below half of the whole heap's "
     "lower end; undecided otherwise.",
     0.3,
     {{"all", "pool", "rc", "large-arrays", {NULL}, 0},
      {"arrays", "pool", "rc", "large-arrays", {"--no-leaves"}, 0}}, 2,
     {"intervals.gp", "large-arrays: footprint by path, and bytes requested", "", "MiB", 0, 0,
      NULL, 0},
     NULL, rule_large_arrays},
    {"interned", "The small-int cache saves memory",
     "Sharing one object per small int, as CPython's small-int cache does, saves memory.",
     "`small-objects` under `rc-cycle` on `pool` with fresh int-like leaves and with `--intern` "
     "(one shared leaf per value, 17 values; the same statements otherwise).",
     "The claim holds when the peak-footprint interval with shared leaves lies below the one with fresh "
     "leaves; holds only for live bytes when only the peak-live intervals are so apart; does not "
     "hold otherwise.",
     0.3,
     {{"fresh", "pool", "rc-cycle", "small-objects", {NULL}, 0},
      {"shared", "pool", "rc-cycle", "small-objects", {"--intern"}, 0}}, 2,
     {"intervals.gp", "small-objects with fresh and shared int leaves", "", "MiB", 0, 0, NULL, 0},
     NULL, rule_interned},
    {"threads", "The GIL serialises allocation across threads",
     "Under a global interpreter lock allocation is serialised: free threads would allocate faster.",
     "Allocation throughput (ops/s) of `larson` on every allocator with one mutator at a time "
     "(one thread, the GIL model: the threads' work runs one after the other) against two "
     "OS threads (free-threaded; this machine has 2 cores): `matrix --threads 1,2`, whose "
     "allocator-workload cells have collector `none`.",
     "It holds for an allocator when the Fieller 95% interval of its mean throughput on two threads "
     "over one lies above 1; the claim holds when it holds for every allocator, does not hold when "
     "for none, and holds only for those allocators otherwise.",
     0.3,
     {{"run", NULL, "rc", "larson", {"--threads=1,2"}, 0}}, 1,
     {"intervals.gp", "larson allocation throughput", "", "Mops/s", 0, 0, NULL, 0},
     threads_unavailable, rule_threads},
    {"disable-gc", "Disabling the collector leaks cycles",
     "With the cycle collector disabled (gc.disable()), cyclic garbage is never freed.",
     "`rc` (reference counting alone: CPython with the collector disabled) against `rc-cycle` on "
     "`cycles`, on `pool`: bytes leaked at the end, peak live, and live bytes over the run from "
     "the series files.",
     "The claim holds when rc's leaked-bytes interval lies above 0, rc-cycle leaks nothing and rc's peak-live "
     "interval lies above rc-cycle's; does not hold when rc leaks nothing; undecided otherwise.",
     0.2,
     {{"run", "pool", "rc,rc-cycle", "cycles", {"--every=100000"}, 1}}, 1,
     {"series.gp", "live bytes over the run, cycles", "ops replayed (millions)", "live (MiB)", 0, 1,
      "live", 0},
     NULL, rule_disable},
};
const size_t cl_nclaims = sizeof cl_claims / sizeof cl_claims[0];

const cl_claim *cl_find(const char *id)
{
    for (size_t i = 0; i < cl_nclaims; i++)
        if (strcmp(cl_claims[i].id, id) == 0)
            return &cl_claims[i];
    return NULL;
}

const char *cl_verdict_name(cl_verdict v)
{
    static const char *const names[] = {"holds", "does not hold", "holds only when", "undecided",
                                        "not measured"};
    return v <= CL_NOT_MEASURED ? names[v] : "?";
}
