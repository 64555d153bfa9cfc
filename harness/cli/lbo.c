/*
 * harness/cli/lbo.c -- command layer: the time-space view of a results
 * folder for `heapbench report`: per allocator x collector x workload x
 * heap factor, time, gc time, pause p99 and footprint, and the lower-bound
 * overhead (LBO; Cai, Blackburn et al., ISPASS 2022) in time and in space,
 * into timespace.csv (the figures' input) and as a table.
 *
 * The LBO's baseline is the least memory-management cost measured for the
 * workload: in time, the smallest median mutator_s over every ok cell of
 * the workload (the work without collection time, on the cheapest
 * allocator seen); in space, the smallest median peak_live_bytes (the live
 * data; boehm counts none, so it never sets it).  Each repetition's
 * overhead is wall_s / base_time - 1 and peak_footprint_bytes / base_live -
 * 1; a cell's is their median with its distribution-free interval of the
 * median at 95% (the coverage it reached, ci_level, is written and printed:
 * 96.9% with 6 ok rows, less below), the baseline taken as exact
 * (results/README.md).
 */
#include "harness/cli/lbo.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cells.h"
#include "harness/cli/stats.h"
#include "harness/formats/io.h"

#define LBO_CONF 0.95

/* The summarized quantities, in timespace.csv's order. */
#define LBO_QUANTITIES(Q) \
    Q(wall_s) Q(gc_s) Q(pause_p99_us) Q(peak_footprint_bytes) Q(lbo_time) Q(lbo_space)
#define LBO_IDX_(name) LBO_##name,
enum { LBO_QUANTITIES(LBO_IDX_) LBO_NQ };
#undef LBO_IDX_

typedef struct lbo_cell {
    hb_cell_key k; /* first: hb_cell_find */
    uint64_t min_heap;
    size_t n_ok;
    const hb_row **ok; /* its ok rows */
    hb_summary s[LBO_NQ];
    double mutator_median, live_median;
} lbo_cell;

struct hb_lbo {
    lbo_cell *v;
    const hb_row **ok;
    size_t n;
};

static lbo_cell *find(lbo_cell *v, size_t n, const hb_row *r)
{
    hb_cell_key k = hb_cell_of(r);
    size_t i = hb_cell_find(v, n, sizeof *v, &k);
    return i < n ? &v[i] : NULL;
}

/* The cells of the ok rows, first-seen order; returns how many (-1: no memory). */
static long group(const hb_row *rows, size_t n, lbo_cell *v, const hb_row **ok)
{
    size_t nc = 0, used = 0;
    for (size_t i = 0; i < n; i++) {
        if (hb_status_parse(rows[i].status) != HB_STATUS_OK || find(v, nc, &rows[i]))
            continue;
        v[nc++] = (lbo_cell){.k = hb_cell_of(&rows[i]), .min_heap = rows[i].min_heap_bytes};
    }
    for (size_t c = 0; c < nc; c++) { /* each cell's rows, contiguous in ok[] */
        v[c].ok = &ok[used];
        for (size_t i = 0; i < n; i++)
            if (hb_status_parse(rows[i].status) == HB_STATUS_OK && find(v, nc, &rows[i]) == &v[c])
                v[c].ok[v[c].n_ok++] = &rows[i];
        used += v[c].n_ok;
    }
    return (long)nc;
}

static double median_of(const lbo_cell *c, size_t off)
{
    double x[c->n_ok + 1];
    for (size_t i = 0; i < c->n_ok; i++)
        x[i] = *(const double *)((const char *)c->ok[i] + off);
    return hb_median(x, c->n_ok);
}

static double live_median(const lbo_cell *c)
{
    double x[c->n_ok + 1];
    for (size_t i = 0; i < c->n_ok; i++)
        x[i] = (double)c->ok[i]->peak_live_bytes;
    return hb_median(x, c->n_ok);
}

/* The workload's baselines: least median mutator time, least median live
 * bytes above zero. */
static void baselines(const lbo_cell *v, size_t n, const char *work, double *t, double *live)
{
    *t = INFINITY;
    *live = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].k.work, work) != 0)
            continue;
        if (v[i].mutator_median > 0 && v[i].mutator_median < *t)
            *t = v[i].mutator_median;
        if (v[i].live_median > 0 && v[i].live_median < *live)
            *live = v[i].live_median;
    }
}

static void summarize(lbo_cell *c, double base_t, double base_live)
{
    double x[LBO_NQ][c->n_ok + 1];
    for (size_t i = 0; i < c->n_ok; i++) {
        const hb_row *r = c->ok[i];
        x[LBO_wall_s][i] = r->wall_s;
        x[LBO_gc_s][i] = r->gc_s;
        x[LBO_pause_p99_us][i] = r->pause_p99_us;
        x[LBO_peak_footprint_bytes][i] = (double)r->peak_footprint_bytes;
        x[LBO_lbo_time][i] = isfinite(base_t) ? r->wall_s / base_t - 1 : NAN;
        x[LBO_lbo_space][i] =
            isfinite(base_live) ? (double)r->peak_footprint_bytes / base_live - 1 : NAN;
    }
    for (int q = 0; q < LBO_NQ; q++)
        hb_summarize(x[q], c->n_ok, LBO_CONF, &c->s[q]);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.9g", v);
    else
        fputs(",", f);
}

static void write_csv(FILE *f, const lbo_cell *v, size_t n)
{
    fputs("allocator,collector,workload,combo,heap_factor,min_heap_bytes,n_ok", f);
#define LBO_HDR_(name) fputs("," #name "_median," #name "_lo," #name "_hi", f);
    LBO_QUANTITIES(LBO_HDR_)
#undef LBO_HDR_
    fputs(",ci_level\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s,%s,%s,%s/%s,%.9g,%llu,%zu", v[i].k.alloc, v[i].k.coll, v[i].k.work, v[i].k.alloc,
                v[i].k.coll, v[i].k.factor, (unsigned long long)v[i].min_heap, v[i].n_ok);
        for (int q = 0; q < LBO_NQ; q++) {
            csv_num(f, v[i].s[q].median);
            csv_num(f, v[i].s[q].median_ci.lo);
            csv_num(f, v[i].s[q].median_ci.hi);
        }
        csv_num(f, v[i].s[LBO_wall_s].median_ci.level); /* every quantity has n_ok values */
        fputc('\n', f);
    }
}

void hb_lbo_levels(const hb_lbo *l, double *lo, double *hi)
{
    *lo = 1, *hi = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].n_ok != 0 && isfinite(l->v[i].s[LBO_lbo_time].median))
            hb_level_take(lo, hi, l->v[i].s[LBO_lbo_time].median_ci.level);
    if (*hi < *lo)
        *lo = *hi = NAN;
}

static void fmt_levels(char *buf, size_t cap, const hb_lbo *l)
{
    double lo, hi;
    hb_lbo_levels(l, &lo, &hi);
    hb_fmt_levels(buf, cap, lo, hi);
}

static void fmt_pct(char *buf, size_t cap, const hb_summary *s)
{
    if (!isfinite(s->median))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.0f%% [%.0f, %.0f]", 100 * s->median, 100 * s->median_ci.lo,
                 100 * s->median_ci.hi);
}

static void write_table(FILE *out, const hb_lbo *l)
{
    const lbo_cell *v = l->v;
    size_t n = l->n;
    char lv[48];
    fmt_levels(lv, sizeof lv, l);
    fprintf(out, "\nLower-bound overhead (LBO; baseline: the workload's least median mutator "
                 "time and least median peak live bytes),\nmedians over ok repetitions with "
                 "distribution-free intervals of the median (coverage %s)\n", lv);
    const char *last = NULL;
    for (size_t i = 0; i < n; i++) {
        if (last == NULL || strcmp(last, v[i].k.work) != 0) {
            fprintf(out, "\n%s\n  %-22s %6s %5s %-22s %-22s\n", v[i].k.work, "allocator/collector",
                    "heap x", "ok", "LBO time", "LBO space");
            last = v[i].k.work;
        }
        char combo[96], hf[16], t[48], sp[48];
        snprintf(combo, sizeof combo, "%s/%s", v[i].k.alloc, v[i].k.coll);
        if (v[i].k.factor)
            snprintf(hf, sizeof hf, "%.3g", v[i].k.factor);
        else
            snprintf(hf, sizeof hf, "-");
        fmt_pct(t, sizeof t, &v[i].s[LBO_lbo_time]);
        fmt_pct(sp, sizeof sp, &v[i].s[LBO_lbo_space]);
        fprintf(out, "  %-22s %6s %5zu %-22s %-22s\n", combo, hf, v[i].n_ok, t, sp);
    }
}

/* Cells in order of their workload's first appearance, stable otherwise. */
static void sort_by_work(lbo_cell *v, size_t n)
{
    size_t *w = calloc(n + 1, sizeof *w);
    if (w == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        for (w[i] = 0; strcmp(v[w[i]].k.work, v[i].k.work) != 0; w[i]++)
            ;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && w[j - 1] > w[j]; j--) {
            lbo_cell t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
            size_t k = w[j];
            w[j] = w[j - 1];
            w[j - 1] = k;
        }
    free(w);
}

hb_lbo *hb_lbo_compute(const hb_row *rows, size_t n)
{
    hb_lbo *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->v = calloc(n + 1, sizeof *l->v);
    l->ok = calloc(n + 1, sizeof *l->ok);
    long nc = l->v && l->ok ? group(rows, n, l->v, l->ok) : -1;
    if (nc < 0) {
        hb_lbo_free(l);
        return NULL;
    }
    l->n = (size_t)nc;
    for (size_t i = 0; i < l->n; i++) {
        l->v[i].mutator_median = median_of(&l->v[i], offsetof(hb_row, mutator_s));
        l->v[i].live_median = live_median(&l->v[i]);
    }
    for (size_t i = 0; i < l->n; i++) {
        double bt, bl;
        baselines(l->v, l->n, l->v[i].k.work, &bt, &bl);
        summarize(&l->v[i], bt, bl);
    }
    sort_by_work(l->v, l->n);
    return l;
}

void hb_lbo_free(hb_lbo *l)
{
    if (l == NULL)
        return;
    free(l->v);
    free(l->ok);
    free(l);
}

int hb_lbo_find(const hb_lbo *l, const char *alloc, const char *coll, const char *work,
                uint64_t threads, double factor, hb_summary *time, hb_summary *space)
{
    hb_cell_key k = {.alloc = alloc, .coll = coll, .work = work,
                     .threads = threads > 1 ? (uint32_t)threads : 1, .factor = factor};
    size_t i = l ? hb_cell_find(l->v, l->n, sizeof *l->v, &k) : 0;
    if (l && i < l->n) {
        *time = l->v[i].s[LBO_lbo_time];
        *space = l->v[i].s[LBO_lbo_space];
        return 0;
    }
    hb_summary none = {.mean = NAN, .sd = NAN, .median = NAN,
                       .mean_ci = {NAN, NAN, NAN}, .median_ci = {NAN, NAN, NAN}};
    *time = *space = none;
    return -1;
}

int hb_lbo_write(const hb_lbo *l, const char *dir, int csv, FILE *table)
{
    int rc = 0;
    if (l->n == 0)
        return 0;
    char path[4096];
    hb_atomic a;
    if (csv) {
        rc = -1;
        if (hb_path(path, sizeof path, "%s/timespace.csv", dir) == 0 &&
            hb_atomic_open(&a, path, NULL) == 0) {
            write_csv(a.f, l->v, l->n);
            rc = hb_atomic_commit(&a, NULL);
        }
    }
    if (table)
        write_table(table, l);
    return rc;
}

int hb_lbo_report(const char *dir, const hb_row *rows, size_t n, int csv, FILE *table)
{
    hb_lbo *l = hb_lbo_compute(rows, n);
    int rc = l ? hb_lbo_write(l, dir, csv, table) : -1;
    hb_lbo_free(l);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The README's paragraphs on the sweep                                 */
/* ------------------------------------------------------------------ */

/* Cell b beats cell a: no worse in time and space, better in one. */
static int dominates(const lbo_cell *b, const lbo_cell *a)
{
    double bt = b->s[LBO_lbo_time].median, bs = b->s[LBO_lbo_space].median;
    double at = a->s[LBO_lbo_time].median, as = a->s[LBO_lbo_space].median;
    return bt <= at && bs <= as && (bt < at || bs < as);
}

static int on_front(const hb_lbo *l, const lbo_cell *a)
{
    if (!isfinite(a->s[LBO_lbo_time].median) || !isfinite(a->s[LBO_lbo_space].median))
        return 0;
    for (size_t i = 0; i < l->n; i++) {
        const lbo_cell *b = &l->v[i];
        if (b != a && !strcmp(b->k.work, a->k.work) && isfinite(b->s[LBO_lbo_time].median) &&
            isfinite(b->s[LBO_lbo_space].median) && dominates(b, a))
            return 0;
    }
    return 1;
}

/* "`pool/rc` at 1.5x (time +248%, space +19%)" for each front cell of work,
 * by space. */
static void md_front(FILE *f, const hb_lbo *l, const char *work)
{
    size_t shown = 0;
    double last = -INFINITY;
    for (;;) { /* the next front cell by space overhead (few cells: quadratic is fine) */
        const lbo_cell *next = NULL;
        for (size_t i = 0; i < l->n; i++) {
            const lbo_cell *c = &l->v[i];
            double sp = c->s[LBO_lbo_space].median;
            if (!strcmp(c->k.work, work) && sp > last && on_front(l, c) &&
                (next == NULL || sp < next->s[LBO_lbo_space].median))
                next = c;
        }
        if (next == NULL)
            break;
        last = next->s[LBO_lbo_space].median;
        fprintf(f, "%s`%s/%s` at %gx (time %+.0f%%, space %+.0f%%)", shown ? ", " : "",
                next->k.alloc, next->k.coll, next->k.factor, 100 * next->s[LBO_lbo_time].median,
                100 * next->s[LBO_lbo_space].median);
        shown++;
    }
    if (shown == 0)
        fputs("no cell with both overheads", f);
}

/* The sweep's factors, scale and least repetitions, for the caption. */
static void md_settings(FILE *f, const hb_lbo *l, const hb_row *rows, size_t n)
{
    double fs[64];
    size_t nf = 0, reps = SIZE_MAX;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = 0;
        while (k < nf && fs[k] != l->v[i].k.factor)
            k++;
        if (k == nf && nf < 64)
            fs[nf++] = l->v[i].k.factor;
        reps = l->v[i].n_ok < reps ? l->v[i].n_ok : reps;
    }
    for (size_t i = 1; i < nf; i++) /* ascending */
        for (size_t j = i; j > 0 && fs[j - 1] > fs[j]; j--) {
            double t = fs[j];
            fs[j] = fs[j - 1];
            fs[j - 1] = t;
        }
    fputs("`matrix --heap-factors ", f);
    for (size_t i = 0; i < nf; i++)
        fprintf(f, "%s%g", i ? "," : "", fs[i]);
    fprintf(f, "` at scale %g, %zu repetitions", n ? rows[0].scale : 0.0, reps);
}

void hb_lbo_markdown(FILE *f, const char *dir, const char *url)
{
    char path[4096];
    if (hb_path(path, sizeof path, "%s/timespace/rows.csv", dir) || access(path, R_OK) != 0)
        return;
    hb_row *rows;
    char *arena;
    long n = hb_rows_read_csv(path, &rows, &arena, NULL);
    hb_lbo *l = n > 0 ? hb_lbo_compute(rows, (size_t)n) : NULL;
    if (l && l->n) {
        char lv[48];
        const char *w = l->v[0].k.work;
        fmt_levels(lv, sizeof lv, l);
        fprintf(f, "\n![time against heap size](%s/sweep_timespace_time_%s.png)\n\n", url, w);
        fprintf(f, "The time-space sweep (`%s/timespace`: ", dir);
        md_settings(f, l, rows, (size_t)n);
        fprintf(f, "): wall time on `%s` against the heap limit as a multiple of each cell's "
                   "minimum heap (minheap.csv), one line per collector; bars: intervals of the "
                   "median (coverage %s). `sweep_timespace_{time,gc,p99}_<workload>.png` have "
                   "the others.\n", w, lv);
        fprintf(f, "\n![lower-bound overhead](%s/sweep_lbo_%s.png)\n\n", url, w);
        fprintf(f, "Lower-bound overhead on `%s`, time against space, one point per collector "
                   "and heap factor (baselines: the workload's least median mutator time and "
                   "least median peak live bytes). The Pareto fronts (the points no other beats "
                   "in both), by space overhead:", w);
        const char *last = NULL;
        for (size_t i = 0; i < l->n; i++) {
            if (last && !strcmp(last, l->v[i].k.work))
                continue;
            last = l->v[i].k.work;
            fprintf(f, " `%s`: ", last);
            md_front(f, l, last);
            fputc('.', f);
        }
        fputc('\n', f);
    }
    hb_lbo_free(l);
    if (n >= 0)
        hb_rows_free(rows, arena);
}
