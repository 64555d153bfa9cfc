/*
 * harness/cli/cmd_report.c -- command layer: `heapbench report`, a results folder's rows summarized
 * per cell (allocator x collector x workload x threads) with confidence
 * intervals, and the throughput of each cell as a ratio to a baseline (the
 * baseline cell on the same thread count).
 *
 * Only rows whose status is ok (HB_STATUS_OK) enter the statistics; n counts every row
 * and n_ok those used, so a cell that ran out of memory shows as such rather
 * than as a fast cell.  For each metric: the median with its order-statistic
 * interval (harness/cli/stats.h), whose coverage is stated wherever it is
 * printed (ci_level: 96.9% with 6 ok rows, only 93.75% with 5, which is
 * why the interval is never called "95%" without its level).  Throughput
 * also gets its mean with a t interval, and the speed-up over a baseline as
 * Kalibera and Jones define it: the ratio of mean execution times, here
 * mean wall_s of the baseline over mean wall_s of the cell (both replay the
 * same ops), with Fieller's 95% interval on Welch-Satterthwaite degrees of
 * freedom.  Fieller's set for 1/rho is the inverse of the set for rho, so
 * this is exactly the time ratio's interval inverted.  The baseline of a
 * cell is, by default, allocator malloc with the cell's own collector and
 * workload; `--baseline A/C` fixes both (A/ alone fixes the allocator only).
 *
 * `--format csv` writes, into the folder, what the plot scripts read:
 * summary.csv (one line per cell, columns in plots/README.md), mmu.csv
 * (window vs minimum mutator utilisation per cell), pauses.csv (the pause
 * percentiles in long form) and summary.gp (gnuplot variables: the lists of
 * workloads, combinations and series files).
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cells.h"
#include "harness/cli/cli.h"
#include "harness/cli/report.h"
#include "harness/cli/lbo.h"
#include "harness/formats/io.h"
#include "harness/formats/machine.h"
#include "harness/formats/results.h"
#include "harness/cli/stats.h"

#define RP_CONF 0.95
#define RP_PATH 4096

static const char report_usage[] =
    "usage: heapbench report DIR [--baseline ALLOC/COLL] [--format table|csv] [--out FILE]\n"
    "\n"
    "       heapbench report DIR --markdown FILE\n"
    "\n"
    "Summarizes DIR/rows.csv per allocator x collector x workload: medians with\n"
    "distribution-free intervals (their coverage printed: 96.9% at 6 repetitions) of\n"
    "throughput, p99 and maximum pause, peak footprint and fragmentation, and the\n"
    "speed-up over a baseline: mean wall time of the baseline over the cell's, with\n"
    "a 95% Fieller interval (Kalibera & Jones, Welch-Satterthwaite degrees of\n"
    "freedom).  Only rows with status ok are summarized.\n"
    "\n"
    "  --baseline A/C  the baseline allocator/collector; default malloc with each\n"
    "                  cell's own collector (A/ alone: that allocator, own collector)\n"
    "  --format F      table (default, for people) or csv (for plots: writes\n"
    "                  DIR/summary.csv, mmu.csv, pauses.csv and summary.gp)\n"
    "  --out FILE      write the table or summary CSV to FILE instead\n"
    "  --markdown FILE write the README's figures section: the figures with their\n"
    "                  captions and every sentence with a number, computed from\n"
    "                  DIR's rows and meta.json (DIR is named as given)\n";

/*
 * The metrics summarized: every numeric row column (HB_ROW_FIELDS) but the
 * cell's settings (scale, seed, rep), in the row's order, which is also
 * summary.csv's.  A metric is addressed by its column: M(ops_per_s) is its
 * index, generated from the field list, so no list is kept in step by hand.
 */
#define RP_IDX_(type, name) RP_COL_##name,
enum { HB_ROW_FIELDS(RP_IDX_) RP_NCOLS };
#undef RP_IDX_
#define M(name) RP_COL_##name
#define RP_NMETRICS RP_NCOLS

/* threads is a setting too: with the names it decides the cell. */
static int is_metric(size_t m)
{
    return hb_row_columns[m].kind != 0 && m != M(scale) && m != M(seed) && m != M(rep) &&
           m != M(threads);
}

/* A row's thread count; 0 (rows from before the column) is 1. */
static double metric(const hb_row *r, size_t m)
{
    const char *p = (const char *)r + hb_row_columns[m].off;
    return hb_row_columns[m].kind == 1 ? (double)*(const uint64_t *)p : *(const double *)p;
}

/* The column index of a row column's offset (the MMU and quantile lists). */
static size_t metric_at(size_t off)
{
    for (size_t m = 0; m < hb_n_row_columns; m++)
        if (hb_row_columns[m].off == off)
            return m;
    return M(ops_per_s); /* unreachable: the lists name row columns (results.c) */
}

typedef struct rp_cell {
    hb_cell_key k; /* first: hb_cell_find */
    size_t n, n_ok;
    double *v[RP_NMETRICS]; /* ok rows' values per metric */
    hb_summary s[RP_NMETRICS];
    double mutator_frac_median; /* the whole run's utilisation */
    const struct rp_cell *base;
    hb_ratio ratio; /* the speed-up: mean base wall_s / mean wall_s */
    size_t work_idx, combo_idx;
} rp_cell;

typedef struct rp_report {
    hb_row *rows;
    char *arena;
    long nrows;
    rp_cell *cells;
    size_t ncells;
    const char *works[256], *combos[512]; /* distinct, first-seen order */
    size_t nworks, ncombos;
    const char *base_alloc, *base_coll; /* base_coll NULL: the cell's own */
    const char *dir;
    hb_lbo *lbo; /* the lower-bound overheads per cell (lbo.c) */
} rp_report;

/* ---- Grouping ---- */

static size_t intern(const char **list, size_t *n, size_t cap, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list[i], s) == 0)
            return i;
    if (*n < cap)
        list[(*n)++] = s;
    return *n - 1;
}

static rp_cell *find_cell(rp_report *R, const hb_cell_key *k)
{
    size_t i = hb_cell_find(R->cells, R->ncells, sizeof *R->cells, k);
    return i < R->ncells ? &R->cells[i] : NULL;
}

/* The combination label "alloc/coll", kept in the row arena's lifetime. */
static const char *combo_name(rp_report *R, const hb_row *r)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", r->allocator, r->collector);
    for (size_t i = 0; i < R->ncombos; i++)
        if (strcmp(R->combos[i], buf) == 0)
            return R->combos[i];
    return strdup(buf);
}

static int group_rows(rp_report *R)
{
    R->cells = calloc((size_t)R->nrows + 1, sizeof *R->cells);
    if (R->cells == NULL)
        return -1;
    for (long i = 0; i < R->nrows; i++) {
        const hb_row *r = &R->rows[i];
        hb_cell_key k = hb_cell_of(r);
        rp_cell *c = find_cell(R, &k);
        if (c == NULL) {
            c = &R->cells[R->ncells++];
            c->k = k;
            c->work_idx = intern(R->works, &R->nworks, 256, r->workload);
            const char *cn = combo_name(R, r);
            size_t before = R->ncombos;
            c->combo_idx = intern(R->combos, &R->ncombos, 512, cn);
            if (R->ncombos == before && cn != R->combos[c->combo_idx])
                free((char *)cn);
        }
        c->n++;
    }
    for (size_t i = 0; i < R->ncells; i++)
        for (size_t m = 0; m < RP_NMETRICS; m++)
            if (is_metric(m) && (R->cells[i].v[m] = calloc(R->cells[i].n + 1, sizeof(double))) == NULL)
                return -1;
    for (long i = 0; i < R->nrows; i++) {
        const hb_row *r = &R->rows[i];
        if (hb_status_parse(r->status) != HB_STATUS_OK)
            continue;
        hb_cell_key k = hb_cell_of(r);
        rp_cell *c = find_cell(R, &k);
        for (size_t m = 0; m < RP_NMETRICS; m++)
            if (is_metric(m))
                c->v[m][c->n_ok] = metric(r, m);
        c->n_ok++;
    }
    return 0;
}

/* ---- Statistics ---- */

static void summarize_cell(rp_cell *c)
{
    for (size_t m = 0; m < RP_NMETRICS; m++)
        if (is_metric(m))
            hb_summarize(c->v[m], c->n_ok, RP_CONF, &c->s[m]);
    double frac[c->n_ok + 1];
    for (size_t i = 0; i < c->n_ok; i++)
        frac[i] = c->v[M(wall_s)][i] > 0 ? 1 - c->v[M(gc_s)][i] / c->v[M(wall_s)][i] : NAN;
    c->mutator_frac_median = hb_median(frac, c->n_ok);
}

static void compare_to_baseline(rp_report *R, rp_cell *c)
{
    const char *bc = R->base_coll ? R->base_coll : c->k.coll;
    hb_cell_key k = c->k;
    k.alloc = R->base_alloc;
    k.coll = bc;
    c->base = find_cell(R, &k);
    c->ratio = (hb_ratio){NAN, NAN, NAN, 0, NAN};
    if (c->base == c) {
        c->ratio = (hb_ratio){1, 1, 1, 1, NAN}; /* the same sample: exactly 1 */
        return;
    }
    if (c->base && c->n_ok && c->base->n_ok)
        hb_ratio_ci(c->base->v[M(wall_s)], c->base->n_ok, c->v[M(wall_s)], c->n_ok, RP_CONF,
                    &c->ratio);
}

static void compute(rp_report *R)
{
    for (size_t i = 0; i < R->ncells; i++)
        summarize_cell(&R->cells[i]);
    for (size_t i = 0; i < R->ncells; i++)
        compare_to_baseline(R, &R->cells[i]);
}

/* ---- The table ---- */

static void fmt_ci(char *buf, size_t cap, const hb_summary *s, double scale)
{
    char m[16], lo[16], hi[16];
    hb_fmt_si(m, sizeof m, s->median / scale);
    hb_fmt_si(lo, sizeof lo, s->median_ci.lo / scale);
    hb_fmt_si(hi, sizeof hi, s->median_ci.hi / scale);
    snprintf(buf, cap, "%s [%s, %s]", m, lo, hi);
}

static void table_cell(FILE *out, const rp_cell *c)
{
    char combo[64], ops[64], p99[64], pmax[64], fp[64], frag[48], ratio[64];
    if (c->k.threads > 1 && c->k.factor)
        snprintf(combo, sizeof combo, "%s/%s %ut x%g", c->k.alloc, c->k.coll, c->k.threads, c->k.factor);
    else if (c->k.factor)
        snprintf(combo, sizeof combo, "%s/%s x%g", c->k.alloc, c->k.coll, c->k.factor);
    else if (c->k.threads > 1)
        snprintf(combo, sizeof combo, "%s/%s %ut", c->k.alloc, c->k.coll, c->k.threads);
    else
        snprintf(combo, sizeof combo, "%s/%s", c->k.alloc, c->k.coll);
    fmt_ci(ops, sizeof ops, &c->s[M(ops_per_s)], 1);
    fmt_ci(p99, sizeof p99, &c->s[M(pause_p99_us)], 1);
    fmt_ci(pmax, sizeof pmax, &c->s[M(pause_max_us)], 1);
    fmt_ci(fp, sizeof fp, &c->s[M(peak_footprint_bytes)], 1048576.0);
    snprintf(frag, sizeof frag, "%.2f", c->s[M(frag_jw4_peaks)].median);
    if (c->base == c)
        snprintf(ratio, sizeof ratio, "baseline");
    else if (isnan(c->ratio.ratio))
        snprintf(ratio, sizeof ratio, "-");
    else if (!c->ratio.bounded)
        snprintf(ratio, sizeof ratio, "%.3f [unbounded]", c->ratio.ratio);
    else
        snprintf(ratio, sizeof ratio, "%.3f [%.3f, %.3f]", c->ratio.ratio, c->ratio.lo,
                 c->ratio.hi);
    fprintf(out, "  %-22s %2zu/%-2zu %-24s %-22s %-26s %-24s %6s  %s\n", combo, c->n_ok, c->n,
            ops, ratio, p99, pmax, frag, fp);
}

/* The lowest and highest coverage of the cells' median intervals. */
static void median_levels(const rp_report *R, double *lo, double *hi)
{
    *lo = 1, *hi = 0;
    for (size_t i = 0; i < R->ncells; i++)
        if (R->cells[i].n_ok != 0)
            hb_level_take(lo, hi, R->cells[i].s[M(ops_per_s)].median_ci.level);
    if (*hi < *lo)
        *lo = *hi = NAN;
}

static void fmt_levels(char *buf, size_t cap, const rp_report *R)
{
    double lo, hi;
    median_levels(R, &lo, &hi);
    hb_fmt_levels(buf, cap, lo, hi);
}

/* How much the machine took from the timed replays: on the repetitions
 * that run one thread at a time (one thread, or the GIL's mutators), the
 * share of the replay the process was on a CPU, cpu_s / wall_s, and its
 * involuntary context switches per second of replay.  Rows without cpu_s
 * (folders from before it) are left out; nothing is printed without any. */
static void write_disturbance(FILE *out, const rp_report *R)
{
    size_t n = 0;
    const hb_row *least = NULL, *most = NULL;
    double *on = malloc((size_t)R->nrows * sizeof *on);
    double *sw = malloc((size_t)R->nrows * sizeof *sw);
    for (long i = 0; on != NULL && sw != NULL && i < R->nrows; i++) {
        const hb_row *r = &R->rows[i];
        int one_at_a_time = r->threads <= 1 || strcmp(r->collector, "none") != 0;
        if (!one_at_a_time || strcmp(r->status, "ok") != 0 || !(r->wall_s > 0) ||
            !(r->cpu_s > 0))
            continue;
        on[n] = r->cpu_s / r->wall_s;
        sw[n] = (double)r->involuntary_switches / r->wall_s;
        if (least == NULL || on[n] < least->cpu_s / least->wall_s)
            least = r;
        if (most == NULL || sw[n] > (double)most->involuntary_switches / most->wall_s)
            most = r;
        n++;
    }
    if (n > 0)
        fprintf(out, "\nThe machine: over the timed replays of the %zu repetitions that run one "
                     "thread at a time, CPU time over wall time (cpu_s / wall_s; below 1, the "
                     "process waited off a CPU) was a median %.3f (least %.3f, %s/%s/%s rep "
                     "%llu), and the process was preempted a median %.0f times per second of "
                     "replay (most %.0f, %s/%s/%s rep %llu).\n",
                n, hb_median(on, n), least->cpu_s / least->wall_s, least->allocator,
                least->collector, least->workload, (unsigned long long)least->rep,
                hb_median(sw, n), (double)most->involuntary_switches / most->wall_s,
                most->allocator, most->collector, most->workload, (unsigned long long)most->rep);
    free(on), free(sw);
}

static void write_table(FILE *out, const rp_report *R)
{
    const char *bc = R->base_coll ? R->base_coll : "(same collector)";
    char lv[48];
    fmt_levels(lv, sizeof lv, R);
    fprintf(out, "Medians over ok repetitions with distribution-free intervals of the median "
                 "(coverage %s);\nspeed-up = mean wall time of %s/%s over the cell's, with a "
                 "95%% Fieller interval\n(Kalibera & Jones; Welch-Satterthwaite degrees of "
                 "freedom).\n", lv, R->base_alloc, bc);
    for (size_t w = 0; w < R->nworks; w++) {
        fprintf(out, "\n%s\n  %-22s %5s %-24s %-22s %-26s %-24s %6s  %s\n", R->works[w],
                "allocator/collector", "ok/n", "ops/s", "speed-up", "pause p99 us",
                "pause max us", "frag", "peak footprint MiB");
        for (size_t i = 0; i < R->ncells; i++)
            if (R->cells[i].work_idx == w)
                table_cell(out, &R->cells[i]);
    }
    int short_ci = 0;
    for (size_t i = 0; i < R->ncells; i++)
        short_ci |= R->cells[i].n_ok > 0 && R->cells[i].s[M(ops_per_s)].median_ci.level < RP_CONF;
    if (short_ci)
        fprintf(out, "\nNote: cells with fewer than 6 ok repetitions show [min, max], whose "
                     "coverage is below 95%% (5: 93.75%%; summary.csv: ci_level).\n");
    write_disturbance(out, R);
}

/* ---- The files for the plots ---- */

static void csv_num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs(",", f); /* empty: gnuplot skips it */
    else
        fprintf(f, ",%.9g", v);
}

/* summary.csv's columns, in order (plots/README.md lists them; tests/test_docs.c checks). */
static void summary_header(FILE *f)
{
    fputs("allocator,collector,workload,combo,work_idx,combo_idx,threads,n,n_ok,ci_level", f);
    for (size_t m = 0; m < RP_NMETRICS; m++)
        if (is_metric(m))
            fprintf(f, ",%s_median,%s_lo,%s_hi", hb_row_columns[m].name, hb_row_columns[m].name,
                    hb_row_columns[m].name);
    fputs(",ops_per_s_mean,ops_per_s_mean_lo,ops_per_s_mean_hi,mean_ci_level,baseline,speedup,"
          "speedup_lo,speedup_hi,speedup_level,speedup_df", f);
    fputs(",lbo_time_median,lbo_time_lo,lbo_time_hi,lbo_space_median,lbo_space_lo,lbo_space_hi,"
          "lbo_level\n", f);
}

/* The cell's lower-bound overheads (lbo.c), time then space, and the
 * coverage their intervals reached. */
static void lbo_columns(FILE *f, const rp_report *R, const rp_cell *c)
{
    hb_summary t, sp;
    hb_lbo_find(R->lbo, c->k.alloc, c->k.coll, c->k.work, c->k.threads, c->k.factor, &t, &sp);
    csv_num(f, t.median);
    csv_num(f, t.median_ci.lo);
    csv_num(f, t.median_ci.hi);
    csv_num(f, sp.median);
    csv_num(f, sp.median_ci.lo);
    csv_num(f, sp.median_ci.hi);
    csv_num(f, isfinite(t.median) ? t.median_ci.level : NAN);
}

static void write_summary_csv(FILE *f, const rp_report *R)
{
    summary_header(f);
    for (size_t i = 0; i < R->ncells; i++) {
        const rp_cell *c = &R->cells[i];
        fprintf(f, "%s,%s,%s,%s/%s,%zu,%zu,%u,%zu,%zu", c->k.alloc, c->k.coll, c->k.work, c->k.alloc,
                c->k.coll, c->work_idx, c->combo_idx, c->k.threads, c->n, c->n_ok);
        csv_num(f, c->n_ok ? c->s[M(ops_per_s)].median_ci.level : NAN);
        for (size_t m = 0; m < RP_NMETRICS; m++) {
            if (!is_metric(m))
                continue;
            csv_num(f, c->s[m].median);
            csv_num(f, c->s[m].median_ci.lo);
            csv_num(f, c->s[m].median_ci.hi);
        }
        csv_num(f, c->s[M(ops_per_s)].mean);
        csv_num(f, c->s[M(ops_per_s)].mean_ci.lo);
        csv_num(f, c->s[M(ops_per_s)].mean_ci.hi);
        csv_num(f, c->n_ok > 1 ? c->s[M(ops_per_s)].mean_ci.level : NAN);
        if (c->base)
            fprintf(f, ",%s/%s", c->base->k.alloc, c->base->k.coll);
        else
            fputs(",", f);
        csv_num(f, c->ratio.ratio);
        csv_num(f, c->ratio.lo);
        csv_num(f, c->ratio.hi);
        csv_num(f, c->ratio.bounded ? RP_CONF : NAN);
        csv_num(f, c->ratio.df);
        lbo_columns(f, R, c);
        fputc('\n', f);
    }
}

static const char mmu_header[] = "allocator,collector,workload,combo,window_ms,mmu_median,mmu_lo,mmu_hi\n";
static const char pauses_header[] =
    "allocator,collector,workload,combo,work_idx,combo_idx,pct_idx,pct,us_median,us_lo,us_hi\n";

void hb_report_headers(FILE *summary, FILE *mmu, FILE *pauses)
{
    summary_header(summary);
    fputs(mmu_header, mmu);
    fputs(pauses_header, pauses);
}

/* The windows of HB_MMU_WINDOWS from the rows (exact, from each repetition's
 * pause log), and the whole run (window = median wall time: the overall mutator
 * fraction, MMU's limit) when the run is longer than 100 ms. */
static void write_mmu_csv(FILE *f, const rp_report *R)
{
    fputs(mmu_header, f);
    for (size_t i = 0; i < R->ncells; i++) {
        const rp_cell *c = &R->cells[i];
        if (c->n_ok == 0 || c->k.threads > 1) /* one thread's cells: mmu.csv has no threads column */
            continue;
        for (size_t k = 0; k < hb_n_mmu_windows; k++) {
            const hb_summary *s = &c->s[metric_at(hb_mmu_windows[k].off)];
            if (isnan(s->median))
                continue; /* rows written before the column existed */
            fprintf(f, "%s,%s,%s,%s/%s,%g", c->k.alloc, c->k.coll, c->k.work, c->k.alloc, c->k.coll,
                    hb_mmu_windows[k].ms);
            csv_num(f, s->median);
            csv_num(f, s->median_ci.lo);
            csv_num(f, s->median_ci.hi);
            fputc('\n', f);
        }
        double run_ms = c->s[M(wall_s)].median * 1e3;
        if (run_ms > 100) {
            fprintf(f, "%s,%s,%s,%s/%s,%.6g", c->k.alloc, c->k.coll, c->k.work, c->k.alloc, c->k.coll,
                    run_ms);
            csv_num(f, c->mutator_frac_median);
            fputs(",,\n", f);
        }
    }
}

/* Long form of the pause percentiles, one line per cell and percentile. */
static void write_pauses_csv(FILE *f, const rp_report *R)
{
    fputs(pauses_header, f);
    for (size_t i = 0; i < R->ncells; i++) {
        const rp_cell *c = &R->cells[i];
        for (size_t k = 0; k < hb_n_pause_quantiles && c->n_ok && c->k.threads == 1; k++) {
            const hb_summary *s = &c->s[metric_at(hb_pause_quantiles[k].off)];
            fprintf(f, "%s,%s,%s,%s/%s,%zu,%zu,%zu,%s", c->k.alloc, c->k.coll, c->k.work, c->k.alloc,
                    c->k.coll, c->work_idx, c->combo_idx, k, hb_pause_quantiles[k].label);
            csv_num(f, s->median);
            csv_num(f, s->median_ci.lo);
            csv_num(f, s->median_ci.hi);
            fputc('\n', f);
        }
    }
}

static void gp_list(FILE *f, const char *var, const char *const *s, size_t n)
{
    fprintf(f, "%s = \"", var);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? " " : "", s[i]);
    fprintf(f, "\"\n");
}

/* Distinct values of one of the cells' name fields, first-seen order. */
static size_t distinct(const rp_report *R, size_t off, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < R->ncells; i++)
        intern(out, &n, cap, *(const char *const *)((const char *)&R->cells[i] + off));
    return n;
}

/* The collector the per-allocator figures show: the baseline's, if fixed,
 * else the first one seen. */
static const char *figure_collector(const rp_report *R)
{
    return R->base_coll ? R->base_coll : R->ncells ? R->cells[0].k.coll : "";
}

/* Series files of the server workload, one per allocator (rep 1), under
 * the figure's collector. */
static void gp_series(FILE *f, const rp_report *R, const char *const *allocs, size_t na)
{
    const char *coll = figure_collector(R);
    char path[RP_PATH];
    fputs("fp_files = \"", f);
    int first = 1;
    for (size_t i = 0; i < na; i++) {
        snprintf(path, sizeof path, "%s/series/%s_%s_server_rep1.csv", R->dir, allocs[i], coll);
        if (access(path, R_OK) != 0)
            continue;
        fprintf(f, "%sseries/%s_%s_server_rep1.csv", first ? "" : " ", allocs[i], coll);
        first = 0;
    }
    fputs("\"\nfp_titles = \"", f);
    first = 1;
    for (size_t i = 0; i < na; i++) {
        snprintf(path, sizeof path, "%s/series/%s_%s_server_rep1.csv", R->dir, allocs[i], coll);
        if (access(path, R_OK) == 0) {
            fprintf(f, "%s%s", first ? "" : " ", allocs[i]);
            first = 0;
        }
    }
    fputs("\"\n", f);
}

/* For each combination, the place (1-based) of its cell's name field at off
 * in list: colour follows the allocator, pattern the collector. */
static void gp_combo_places(FILE *f, const char *var, const rp_report *R, size_t off,
                            const char **list, size_t *n)
{
    fprintf(f, "%s = \"", var);
    for (size_t k = 0; k < R->ncombos; k++)
        for (size_t i = 0; i < R->ncells; i++)
            if (R->cells[i].combo_idx == k) {
                const char *name = *(const char *const *)((const char *)&R->cells[i] + off);
                fprintf(f, "%s%zu", k ? " " : "", 1 + intern(list, n, 256, name));
                break;
            }
    fputs("\"\n", f);
}

static void write_summary_gp(FILE *f, const rp_report *R)
{
    const char *allocs[256], *colls[256];
    size_t na = distinct(R, offsetof(rp_cell, k.alloc), allocs, 256);
    size_t nc = distinct(R, offsetof(rp_cell, k.coll), colls, 256);
    fputs("# Written by heapbench report: the lists the plot scripts iterate over.\n", f);
    gp_list(f, "works", R->works, R->nworks);
    gp_list(f, "combos", R->combos, R->ncombos);
    gp_list(f, "allocs", allocs, na);
    gp_list(f, "colls", colls, nc);
    fprintf(f, "nworks = %zu\nncombos = %zu\nnallocs = %zu\nncolls = %zu\n", R->nworks, R->ncombos,
            na, nc);
    fprintf(f, "base_alloc = \"%s\"\nfig_coll = \"%s\"\n", R->base_alloc, figure_collector(R));
    char lv[48];
    fmt_levels(lv, sizeof lv, R);
    /* What the figures print beside their whiskers. */
    fprintf(f, "median_cov = \"%s\"\nspeedup_cov = \"%.0f%%\"\n", lv, RP_CONF * 100);
    const char *sp[256];
    size_t nsp = 0; /* collectors with a speed-up to draw (a baseline cell to compare) */
    for (size_t i = 0; i < R->ncells; i++)
        if (R->cells[i].base && R->cells[i].base != &R->cells[i])
            intern(sp, &nsp, 256, R->cells[i].k.coll);
    gp_list(f, "sp_colls", sp, nsp);
    fprintf(f, "nsp_colls = %zu\n", nsp);
    gp_combo_places(f, "combo_alloc", R, offsetof(rp_cell, k.alloc), allocs, &na);
    gp_combo_places(f, "combo_coll", R, offsetof(rp_cell, k.coll), colls, &nc);
    gp_series(f, R, allocs, na);
}

/* ---- The README's figures section (--markdown) ---- */

/*
 * Every number the README says about its figures is written here, from the
 * rows, by these rules:
 *   - a speed-up is "faster" when its whole 95% interval is above 1,
 *     "slower" when it is below 1, and a tie when the interval contains 1
 *     (or cannot be bounded); percentages are (speed-up - 1) x 100;
 *   - a footprint "over live" is the median of frag_jw4_peaks (peak footprint
 *     over peak live, less 1) on the server workload under the figures'
 *     collector, against that workload's median peak live bytes on the
 *     baseline allocator;
 *   - a pause is the median over repetitions of the cell's p99;
 *   - times come from meta.json's "elapsed" (matrix) and DIR/times.csv
 *     (what scripts/main.sh timed besides: micro, and main, the whole of
 *     its last invocation from the package check to the last figure).
 * Figures are linked from RP_FIG_URL, where scripts/update_readme.sh
 * copies them.
 */
#define RP_FIG_URL "plots/figures"
#define RP_MAX_LISTED 8

typedef struct rp_meta {
    char cpu[128];
    double cores, scale, reps, matrix_s, micro_s, main_s;
} rp_meta;

static double json_num_at(const char *obj, size_t len, const char *key)
{
    size_t l;
    const char *v = obj ? hb_json_find(obj, obj + len, key, &l) : NULL;
    return v ? hb_json_number(v, l) : NAN;
}

/* A member object of text, or NULL; *len its length. */
static const char *json_obj(const char *text, const char *key, size_t *len)
{
    return text ? hb_json_find(text, text + strlen(text), key, len) : NULL;
}

static void read_meta(const char *dir, rp_meta *m)
{
    char path[RP_PATH];
    *m = (rp_meta){.cores = NAN, .scale = NAN, .reps = NAN, .matrix_s = NAN, .micro_s = NAN,
                   .main_s = NAN};
    snprintf(m->cpu, sizeof m->cpu, "an unrecorded machine");
    snprintf(path, sizeof path, "%s/meta.json", dir);
    char *t = hb_read_file(path, NULL);
    size_t ls = 0, lm = 0, le = 0, lc = 0;
    const char *set = json_obj(t, "settings", &ls), *mach = json_obj(t, "machine", &lm);
    const char *el = json_obj(t, "elapsed", &le);
    const char *cpu = mach ? hb_json_find(mach, mach + lm, "cpu_model", &lc) : NULL;
    if (cpu)
        hb_json_string(cpu, lc, m->cpu, sizeof m->cpu);
    m->cores = json_num_at(mach, lm, "cores");
    m->scale = json_num_at(set, ls, "scale");
    m->reps = json_num_at(set, ls, "reps");
    m->matrix_s = json_num_at(el, le, "matrix_s");
    free(t);
    snprintf(path, sizeof path, "%s/times.csv", dir);
    FILE *f = fopen(path, "r");
    char line[256];
    double v;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "micro,%lf", &v) == 1)
            m->micro_s = v;
        else if (sscanf(line, "main,%lf", &v) == 1)
            m->main_s = v;
    if (f)
        fclose(f);
}

static void md_duration(FILE *f, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 60)
        fprintf(f, "%ld min %ld s", t / 60, t % 60);
    else
        fprintf(f, "%ld s", t);
}

/* A time in microseconds, as people read it. */
static void md_us(FILE *f, double us)
{
    if (us >= 1000)
        fprintf(f, "%.3g ms", us / 1000);
    else
        fprintf(f, "%.3g µs", us);
}

static int has_work(const rp_report *R, const char *w)
{
    for (size_t i = 0; i < R->nworks; i++)
        if (strcmp(R->works[i], w) == 0)
            return 1;
    return 0;
}

/* The workload the per-workload figures of the README show: w if the run
 * has it, else the first. */
static const char *md_work(const rp_report *R, const char *w)
{
    return has_work(R, w) ? w : R->nworks ? R->works[0] : "";
}

enum { RP_FASTER, RP_TIE, RP_SLOWER, RP_NKIND };

static int speedup_kind(const hb_ratio *r)
{
    if (!r->bounded || isnan(r->lo))
        return RP_TIE;
    return r->lo > 1 ? RP_FASTER : r->hi < 1 ? RP_SLOWER : RP_TIE;
}

/* ", 12-113% faster", or ", 31% slower" when both ends round alike. */
static void md_percent(FILE *f, double lo, double hi, const char *word)
{
    if (lround(lo) == lround(hi))
        fprintf(f, ", %.0f%% %s", lo, word);
    else
        fprintf(f, ", %.0f–%.0f%% %s", lo, hi, word);
}

/* "a of b cells ... (speed-up x-y: ...)" for one kind of one allocator. */
static void md_kind(FILE *f, const rp_report *R, const char *alloc, int kind, size_t count)
{
    static const char *const word[RP_NKIND] = {"faster", "a tie", "slower"};
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < R->ncells; i++) {
        const rp_cell *c = &R->cells[i];
        if (strcmp(c->k.alloc, alloc) || c->base == c || !c->base || isnan(c->ratio.ratio) ||
            speedup_kind(&c->ratio) != kind)
            continue;
        lo = c->ratio.ratio < lo ? c->ratio.ratio : lo;
        hi = c->ratio.ratio > hi ? c->ratio.ratio : hi;
    }
    fprintf(f, "%s in %zu (speed-up %.3f", word[kind], count, lo);
    if (hi > lo)
        fprintf(f, "–%.3f", hi);
    if (kind == RP_FASTER)
        md_percent(f, (lo - 1) * 100, (hi - 1) * 100, "faster");
    if (kind == RP_SLOWER)
        md_percent(f, (1 - hi) * 100, (1 - lo) * 100, "slower");
    if (kind != RP_FASTER) { /* name the exceptions */
        size_t listed = 0;
        fputs(": ", f);
        for (size_t i = 0; i < R->ncells; i++) {
            const rp_cell *c = &R->cells[i];
            if (strcmp(c->k.alloc, alloc) || c->base == c || !c->base || isnan(c->ratio.ratio) ||
                speedup_kind(&c->ratio) != kind)
                continue;
            if (listed < RP_MAX_LISTED && c->k.threads > 1)
                fprintf(f, "%s`%s`/`%s` on %u threads", listed ? ", " : "", c->k.work, c->k.coll,
                        c->k.threads);
            else if (listed < RP_MAX_LISTED)
                fprintf(f, "%s`%s`/`%s`", listed ? ", " : "", c->k.work, c->k.coll);
            listed++;
        }
        if (listed > RP_MAX_LISTED)
            fprintf(f, " and %zu more", listed - RP_MAX_LISTED);
    }
    fputc(')', f);
}

/* One sentence per allocator: how it compares with the baseline. */
static void md_speedups(FILE *f, const rp_report *R)
{
    const char *allocs[256];
    size_t na = distinct(R, offsetof(rp_cell, k.alloc), allocs, 256);
    for (size_t a = 0; a < na; a++) {
        size_t n[RP_NKIND] = {0}, total = 0;
        for (size_t i = 0; i < R->ncells; i++) {
            const rp_cell *c = &R->cells[i];
            if (strcmp(c->k.alloc, allocs[a]) || c->base == c || !c->base || isnan(c->ratio.ratio))
                continue;
            n[speedup_kind(&c->ratio)]++;
            total++;
        }
        if (total == 0)
            continue;
        fprintf(f, "- `%s` against `%s` (%zu cells): ", allocs[a], R->base_alloc, total);
        int first = 1;
        for (int k = 0; k < RP_NKIND; k++)
            if (n[k]) {
                fputs(first ? "" : "; ", f);
                md_kind(f, R, allocs[a], k, n[k]);
                first = 0;
            }
        fputs(".\n", f);
    }
}

/* The p99 pause of each collector on one workload, baseline allocator. */
static void md_pauses(FILE *f, const rp_report *R, const char *work)
{
    int first = 1;
    fprintf(f, "Median p99 pause on `%s` with `%s`: ", work, R->base_alloc);
    for (size_t i = 0; i < R->ncells; i++) {
        const rp_cell *c = &R->cells[i];
        const hb_summary *p = &c->s[M(pause_p99_us)];
        if (strcmp(c->k.work, work) || strcmp(c->k.alloc, R->base_alloc) || c->k.threads != 1 ||
            c->n_ok == 0)
            continue;
        fprintf(f, "%s`%s` ", first ? "" : ", ", c->k.coll);
        if (c->s[M(pauses)].median == 0 || isnan(p->median)) {
            fputs("none", f);
        } else {
            md_us(f, p->median);
            fputs(" [", f);
            md_us(f, p->median_ci.lo);
            fputs(", ", f);
            md_us(f, p->median_ci.hi);
            fputc(']', f);
        }
        first = 0;
    }
    fputs(first ? "no cells.\n" : ".\n", f);
}

/* Peak footprint over peak live on server, per allocator, figure collector. */
static void md_footprints(FILE *f, const rp_report *R)
{
    const char *coll = figure_collector(R);
    hb_cell_key k = {.alloc = R->base_alloc, .coll = coll, .work = "server", .threads = 1};
    const rp_cell *b = find_cell((rp_report *)R, &k);
    if (b == NULL || b->n_ok == 0) {
        fputs("The run has no `server` cells of the baseline allocator.\n", f);
        return;
    }
    fprintf(f, "At their peaks on `server` with `%s`, footprint over live (median peak live "
               "%.1f MiB): ", coll, b->s[M(peak_live_bytes)].median / 1048576.0);
    int first = 1;
    for (size_t i = 0; i < R->ncells; i++) {
        const rp_cell *c = &R->cells[i];
        double fr = c->s[M(frag_jw4_peaks)].median;
        if (strcmp(c->k.work, "server") || strcmp(c->k.coll, coll) || c->k.threads != 1 || c->n_ok == 0 ||
            isnan(fr))
            continue;
        fprintf(f, "%s`%s` %+.1f%%", first ? "" : ", ", c->k.alloc, fr * 100);
        first = 0;
    }
    fputs(".\n", f);
}

static void md_figure(FILE *f, const char *name, const char *alt)
{
    fprintf(f, "\n![%s](" RP_FIG_URL "/%s.png)\n\n", alt, name);
}

static void md_header(FILE *f, const rp_report *R, const rp_meta *m, const char *lv)
{
    fprintf(f, "From the run in [%s](%s/) (rows, report and meta.json): %zu cells", R->dir,
            R->dir, R->ncells);
    if (!isnan(m->scale))
        fprintf(f, " at scale %g", m->scale);
    if (!isnan(m->reps))
        fprintf(f, ", %g repetitions each", m->reps);
    fprintf(f, ", on %s", m->cpu);
    if (!isnan(m->cores))
        fprintf(f, " (%g cores)", m->cores);
    fputs(". The matrix took ", f);
    if (isnan(m->matrix_s))
        fputs("a time meta.json does not record", f);
    else
        md_duration(f, m->matrix_s);
    if (!isnan(m->micro_s)) {
        fputs(" and the microbenchmarks ", f);
        md_duration(f, m->micro_s);
    }
    if (!isnan(m->main_s)) {
        fputs("; the main job (`scripts/main.sh`, its last invocation, from the package check and "
              "the build to the last figure) took ", f);
        md_duration(f, m->main_s);
    }
    fprintf(f, ".\n\nIntervals: whiskers on medians are distribution-free intervals of the "
               "median, [x(j), x(n-j+1)], whose coverage here is %s; speed-ups are ratios of "
               "mean wall times (the baseline's over the cell's, Kalibera and Jones) with "
               "Fieller's 95%% interval on Welch–Satterthwaite degrees of freedom, and a "
               "speed-up whose interval contains 1 is called a tie. Colour is the allocator "
               "(the same in every figure), one panel per collector.\n", lv);
    write_disturbance(f, R);
}

static void write_markdown(FILE *f, const rp_report *R)
{
    rp_meta m;
    char lv[48];
    read_meta(R->dir, &m);
    fmt_levels(lv, sizeof lv, R);
    const char *pw = md_work(R, "gcbench");
    fprintf(f, "<!-- written by `heapbench report %s --markdown FILE`; edit the rules in "
               "harness/cli/cmd_report.c, not this text -->\n", R->dir);
    md_header(f, R, &m, lv);
    md_figure(f, "throughput", "throughput");
    fprintf(f, "Replay throughput (median ops/s, log scale) per workload, one panel per "
               "collector; whiskers: intervals of the median (coverage %s).\n", lv);
    md_figure(f, "throughput_ratio", "speed-up");
    fprintf(f, "Speed-up over `%s` with the same collector and workload (mean wall time of "
               "`%s` over the cell's; whiskers: 95%% Fieller intervals):\n\n",
            R->base_alloc, R->base_alloc);
    md_speedups(f, R);
    char fig[300];
    snprintf(fig, sizeof fig, "pauses_%s", pw);
    md_figure(f, fig, "pauses");
    fprintf(f, "Pause percentiles on `%s` (`pauses_<workload>.png` for the others), one panel per "
               "collector, a line per allocator; whiskers: intervals of the median (coverage "
               "%s). ", pw, lv);
    md_pauses(f, R, pw);
    snprintf(fig, sizeof fig, "mmu_%s", pw);
    md_figure(f, fig, "MMU");
    fprintf(f, "Minimum mutator utilisation against window length on `%s` with `%s` "
               "(`mmu_<workload>.png` for the others), computed exactly from each repetition's "
               "pause log; whiskers: intervals of the median (coverage %s).\n", pw,
            R->base_alloc, lv);
    md_figure(f, "footprint_server", "footprint");
    fprintf(f, "Footprint and live bytes over the `server` workload with `%s` (repetition 1, "
               "log scale). ", figure_collector(R));
    md_footprints(f, R);
    md_figure(f, "frag", "fragmentation");
    fprintf(f, "Peak footprint over peak live per allocator and workload (`frag_jw4_peaks + 1`, Johnstone and Wilson's measure #4) "
               "with `%s`; whiskers: intervals of the median (coverage %s).\n",
            figure_collector(R), lv);
    md_figure(f, "micro_churn", "microbenchmarks");
    fputs("`heapbench-micro`'s `alloc_churn`: a live set of 10,000 objects, each op frees one "
          "at random and allocates a Python-like size; "
          "[`micro_pair.png`](" RP_FIG_URL "/micro_pair.png) has alloc+free of one size from "
          "16 B to 64 KiB.\n", f);
    hb_lbo_markdown(f, R->dir, RP_FIG_URL); /* main.sh's time-space sweep, DIR/timespace */
}

/* ---- Output ---- */

typedef void (*rp_writer)(FILE *, const rp_report *);

/* Writes whole or not at all (hb_atomic_*), so a reader never sees half. */
static int write_atomic(const char *path, const rp_report *R, rp_writer fn)
{
    hb_atomic a;
    hb_err e;
    if (hb_atomic_open(&a, path, &e) == 0) {
        fn(a.f, R);
        if (hb_atomic_commit(&a, &e) == 0)
            return 0;
    }
    fprintf(stderr, "heapbench report: %s\n", e.msg);
    return -1;
}

static int write_csv_outputs(const char *dir, const char *out, const rp_report *R)
{
    char p[RP_PATH], q[RP_PATH], g[RP_PATH], u[RP_PATH];
    snprintf(p, sizeof p, "%s/summary.csv", dir);
    snprintf(u, sizeof u, "%s/pauses.csv", dir);
    snprintf(q, sizeof q, "%s/mmu.csv", dir);
    snprintf(g, sizeof g, "%s/summary.gp", dir);
    if (write_atomic(out ? out : p, R, write_summary_csv) || write_atomic(q, R, write_mmu_csv) ||
        write_atomic(u, R, write_pauses_csv) || write_atomic(g, R, write_summary_gp))
        return HB_EXIT_FAIL;
    fprintf(stderr, "heapbench report: wrote %s, %s, %s, %s\n", out ? out : p, q, u, g);
    return HB_EXIT_OK;
}

static void free_report(rp_report *R)
{
    for (size_t i = 0; i < R->ncells; i++)
        for (size_t m = 0; m < RP_NMETRICS; m++)
            free(R->cells[i].v[m]);
    for (size_t i = 0; i < R->ncombos; i++)
        free((char *)R->combos[i]);
    free(R->cells);
    if (R->rows)
        hb_rows_free(R->rows, R->arena);
}

/* ---- Options ---- */

typedef struct rp_opts {
    const char *dir, *out, *baseline, *markdown;
    int format;
} rp_opts;

static int parse_baseline(const char *b, rp_report *R, char *buf, size_t cap)
{
    const char *slash = strchr(b, '/');
    if (slash == NULL || slash == b || snprintf(buf, cap, "%s", b) >= (int)cap)
        return hb_usage_error("report", "bad value '%s' for --baseline, expected ALLOC/COLL "
                                        "(e.g. pool/rc-cycle) or ALLOC/", b);
    buf[slash - b] = '\0';
    R->base_alloc = buf;
    R->base_coll = slash[1] ? buf + (slash - b) + 1 : NULL;
    return 0;
}

static int parse_report_opts(int argc, char **argv, rp_opts *o)
{
    static const struct option opts[] = {
        {"baseline", required_argument, 0, 'b'}, {"format", required_argument, 0, 'f'},
        {"out", required_argument, 0, 'o'},      {"help", no_argument, 0, 'h'},
        {"markdown", required_argument, 0, 'm'},
        {0, 0, 0, 0},
    };
    *o = (rp_opts){.format = HB_FMT_TABLE};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': o->baseline = optarg; break;
        case 'o': o->out = optarg; break;
        case 'm': o->markdown = optarg; break;
        case 'f':
            o->format = hb_format_parse(optarg);
            if (o->format != HB_FMT_TABLE && o->format != HB_FMT_CSV)
                return hb_usage_error("report", "bad value '%s' for --format, expected table or "
                                                "csv", optarg);
            break;
        case 'h': fputs(report_usage, stdout); return -1;
        case ':': return hb_usage_error("report", "option '%s' needs a value", argv[optind - 1]);
        default:
            return hb_usage_error("report", "unknown option '%s' (see heapbench report --help)",
                                  argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return hb_usage_error("report", optind < argc ? "more than one folder given, expected DIR"
                                                      : "no results folder given, expected DIR");
    o->dir = argv[optind];
    return 0;
}

int hb_cmd_report(int argc, char **argv)
{
    rp_opts o;
    rp_report R;
    char base[256], path[RP_PATH];
    memset(&R, 0, sizeof R);
    int rc = parse_report_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? HB_EXIT_OK : rc;
    R.base_alloc = "malloc";
    R.dir = o.dir;
    if (o.baseline && (rc = parse_baseline(o.baseline, &R, base, sizeof base)))
        return rc;
    snprintf(path, sizeof path, "%s/rows.csv", o.dir);
    hb_err e;
    R.nrows = hb_rows_read_csv(path, &R.rows, &R.arena, &e);
    if (R.nrows < 0)
        return hb_usage_error("report", "cannot read %s: %s, expected a results folder", path,
                              e.msg);
    if (R.nrows == 0) {
        hb_rows_free(R.rows, R.arena);
        return hb_usage_error("report", "%s has no rows yet", path);
    }
    if (group_rows(&R) != 0) {
        free_report(&R);
        return HB_EXIT_FAIL;
    }
    compute(&R);
    R.lbo = hb_lbo_compute(R.rows, (size_t)R.nrows);
    if (o.markdown) {
        rc = write_atomic(o.markdown, &R, write_markdown) ? HB_EXIT_FAIL : HB_EXIT_OK;
    } else if (o.format == HB_FMT_CSV) {
        rc = write_csv_outputs(o.dir, o.out, &R);
    } else if (o.out) {
        rc = write_atomic(o.out, &R, write_table) ? HB_EXIT_FAIL : HB_EXIT_OK;
    } else {
        write_table(stdout, &R);
        rc = HB_EXIT_OK;
    }
    FILE *lbo_table = o.format != HB_FMT_CSV && !o.out && !o.markdown ? stdout : NULL;
    if ((R.lbo == NULL || hb_lbo_write(R.lbo, o.dir, o.format == HB_FMT_CSV, lbo_table)) &&
        rc == HB_EXIT_OK)
        rc = HB_EXIT_FAIL; /* timespace.csv and the LBO table (lbo.c) */
    hb_lbo_free(R.lbo);
    free_report(&R);
    return rc;
}
