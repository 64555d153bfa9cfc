/*
 * harness/cli/cmd_report.c -- command layer: `heapbench report`, a results folder's rows summarized
 * per cell (allocator x collector x workload) with confidence intervals, and
 * the throughput of each cell as a ratio to a baseline.
 *
 * Only rows whose status is ok (HB_STATUS_OK) enter the statistics; n counts every row
 * and n_ok those used, so a cell that ran out of memory shows as such rather
 * than as a fast cell.  For each metric: the median with its order-statistic
 * 95% interval (harness/cli/stats.h; ci_level says the coverage really reached,
 * below 0.95 when a cell has fewer than 6 ok rows).  Throughput also gets
 * its mean with a t interval, and the ratio of mean ops_per_s to the
 * baseline's (Fieller, Kalibera and Jones).  The baseline of a cell is, by
 * default, allocator malloc with the cell's own collector and workload;
 * `--baseline A/C` fixes both (A/ alone fixes the allocator only).
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

#include "harness/cli/cli.h"
#include "harness/cli/report.h"
#include "harness/cli/lbo.h"
#include "harness/formats/io.h"
#include "harness/formats/results.h"
#include "harness/cli/stats.h"

#define RP_CONF 0.95
#define RP_PATH 4096

static const char report_usage[] =
    "usage: heapbench report DIR [--baseline ALLOC/COLL] [--format table|csv] [--out FILE]\n"
    "\n"
    "Summarizes DIR/rows.csv per allocator x collector x workload: medians with 95%\n"
    "distribution-free intervals of throughput, p99 and maximum pause, peak footprint\n"
    "and fragmentation, and throughput as a ratio of means to a baseline with a 95%\n"
    "Fieller interval (Kalibera & Jones).  Only rows with status ok are summarized.\n"
    "\n"
    "  --baseline A/C  the baseline allocator/collector; default malloc with each\n"
    "                  cell's own collector (A/ alone: that allocator, own collector)\n"
    "  --format F      table (default, for people) or csv (for plots: writes\n"
    "                  DIR/summary.csv, mmu.csv, pauses.csv and summary.gp)\n"
    "  --out FILE      write the table or summary CSV to FILE instead\n";

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

static int is_metric(size_t m)
{
    return hb_row_columns[m].kind != 0 && m != M(scale) && m != M(seed) && m != M(rep);
}

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
    const char *alloc, *coll, *work;
    size_t n, n_ok;
    double *v[RP_NMETRICS]; /* ok rows' values per metric */
    hb_summary s[RP_NMETRICS];
    double mutator_frac_median; /* the whole run's utilisation */
    const struct rp_cell *base;
    hb_ratio ratio;
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

static rp_cell *find_cell(rp_report *R, const char *a, const char *c, const char *w)
{
    for (size_t i = 0; i < R->ncells; i++)
        if (!strcmp(R->cells[i].alloc, a) && !strcmp(R->cells[i].coll, c) &&
            !strcmp(R->cells[i].work, w))
            return &R->cells[i];
    return NULL;
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
        rp_cell *c = find_cell(R, r->allocator, r->collector, r->workload);
        if (c == NULL) {
            c = &R->cells[R->ncells++];
            c->alloc = r->allocator;
            c->coll = r->collector;
            c->work = r->workload;
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
        rp_cell *c = find_cell(R, r->allocator, r->collector, r->workload);
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
    const char *bc = R->base_coll ? R->base_coll : c->coll;
    c->base = find_cell(R, R->base_alloc, bc, c->work);
    c->ratio = (hb_ratio){NAN, NAN, NAN, 0, NAN};
    if (c->base == c) {
        c->ratio = (hb_ratio){1, 1, 1, 1, NAN}; /* the same sample: exactly 1 */
        return;
    }
    if (c->base && c->n_ok && c->base->n_ok)
        hb_ratio_ci(c->v[M(ops_per_s)], c->n_ok, c->base->v[M(ops_per_s)], c->base->n_ok, RP_CONF, &c->ratio);
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
    snprintf(combo, sizeof combo, "%s/%s", c->alloc, c->coll);
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

static void write_table(FILE *out, const rp_report *R)
{
    const char *bc = R->base_coll ? R->base_coll : "(same collector)";
    fprintf(out, "Medians with 95%% distribution-free intervals over ok repetitions; ratio of mean "
                 "ops/s to %s/%s with a 95%% Fieller interval.\n", R->base_alloc, bc);
    for (size_t w = 0; w < R->nworks; w++) {
        fprintf(out, "\n%s\n  %-22s %5s %-24s %-22s %-26s %-24s %6s  %s\n", R->works[w],
                "allocator/collector", "ok/n", "ops/s", "ratio", "pause p99 us", "pause max us",
                "frag", "peak footprint MiB");
        for (size_t i = 0; i < R->ncells; i++)
            if (R->cells[i].work_idx == w)
                table_cell(out, &R->cells[i]);
    }
    int short_ci = 0;
    for (size_t i = 0; i < R->ncells; i++)
        short_ci |= R->cells[i].n_ok > 0 && R->cells[i].s[M(ops_per_s)].median_ci.level < RP_CONF;
    if (short_ci)
        fprintf(out, "\nNote: cells with fewer than 6 ok repetitions show [min, max], whose "
                     "coverage is below 95%% (summary.csv: ci_level).\n");
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
    fputs("allocator,collector,workload,combo,work_idx,combo_idx,n,n_ok,ci_level", f);
    for (size_t m = 0; m < RP_NMETRICS; m++)
        if (is_metric(m))
            fprintf(f, ",%s_median,%s_lo,%s_hi", hb_row_columns[m].name, hb_row_columns[m].name,
                    hb_row_columns[m].name);
    fputs(",ops_per_s_mean,ops_per_s_mean_lo,ops_per_s_mean_hi,baseline,ratio,ratio_lo,ratio_hi\n",
          f);
}

static void write_summary_csv(FILE *f, const rp_report *R)
{
    summary_header(f);
    for (size_t i = 0; i < R->ncells; i++) {
        const rp_cell *c = &R->cells[i];
        fprintf(f, "%s,%s,%s,%s/%s,%zu,%zu,%zu,%zu", c->alloc, c->coll, c->work, c->alloc,
                c->coll, c->work_idx, c->combo_idx, c->n, c->n_ok);
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
        if (c->base)
            fprintf(f, ",%s/%s", c->base->alloc, c->base->coll);
        else
            fputs(",", f);
        csv_num(f, c->ratio.ratio);
        csv_num(f, c->ratio.lo);
        csv_num(f, c->ratio.hi);
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
        if (c->n_ok == 0)
            continue;
        for (size_t k = 0; k < hb_n_mmu_windows; k++) {
            const hb_summary *s = &c->s[metric_at(hb_mmu_windows[k].off)];
            if (isnan(s->median))
                continue; /* rows written before the column existed */
            fprintf(f, "%s,%s,%s,%s/%s,%g", c->alloc, c->coll, c->work, c->alloc, c->coll,
                    hb_mmu_windows[k].ms);
            csv_num(f, s->median);
            csv_num(f, s->median_ci.lo);
            csv_num(f, s->median_ci.hi);
            fputc('\n', f);
        }
        double run_ms = c->s[M(wall_s)].median * 1e3;
        if (run_ms > 100) {
            fprintf(f, "%s,%s,%s,%s/%s,%.6g", c->alloc, c->coll, c->work, c->alloc, c->coll,
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
        for (size_t k = 0; k < hb_n_pause_quantiles && c->n_ok; k++) {
            const hb_summary *s = &c->s[metric_at(hb_pause_quantiles[k].off)];
            fprintf(f, "%s,%s,%s,%s/%s,%zu,%zu,%zu,%s", c->alloc, c->coll, c->work, c->alloc,
                    c->coll, c->work_idx, c->combo_idx, k, hb_pause_quantiles[k].label);
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
    return R->base_coll ? R->base_coll : R->ncells ? R->cells[0].coll : "";
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
    size_t na = distinct(R, offsetof(rp_cell, alloc), allocs, 256);
    size_t nc = distinct(R, offsetof(rp_cell, coll), colls, 256);
    fputs("# Written by heapbench report: the lists the plot scripts iterate over.\n", f);
    gp_list(f, "works", R->works, R->nworks);
    gp_list(f, "combos", R->combos, R->ncombos);
    gp_list(f, "allocs", allocs, na);
    gp_list(f, "colls", colls, nc);
    fprintf(f, "nworks = %zu\nncombos = %zu\nnallocs = %zu\nncolls = %zu\n", R->nworks, R->ncombos,
            na, nc);
    fprintf(f, "base_alloc = \"%s\"\nfig_coll = \"%s\"\n", R->base_alloc, figure_collector(R));
    gp_combo_places(f, "combo_alloc", R, offsetof(rp_cell, alloc), allocs, &na);
    gp_combo_places(f, "combo_coll", R, offsetof(rp_cell, coll), colls, &nc);
    gp_series(f, R, allocs, na);
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
    const char *dir, *out, *baseline;
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
    char base[256], path[RP_PATH], err[512];
    memset(&R, 0, sizeof R);
    int rc = parse_report_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? HB_EXIT_OK : rc;
    R.base_alloc = "malloc";
    R.dir = o.dir;
    if (o.baseline && (rc = parse_baseline(o.baseline, &R, base, sizeof base)))
        return rc;
    snprintf(path, sizeof path, "%s/rows.csv", o.dir);
    R.nrows = hb_rows_read_csv(path, &R.rows, &R.arena, err, sizeof err);
    if (R.nrows < 0)
        return hb_usage_error("report", "cannot read %s: %s, expected a results folder", path,
                              err);
    if (R.nrows == 0) {
        hb_rows_free(R.rows, R.arena);
        return hb_usage_error("report", "%s has no rows yet", path);
    }
    if (group_rows(&R) != 0) {
        free_report(&R);
        return HB_EXIT_FAIL;
    }
    compute(&R);
    if (o.format == HB_FMT_CSV) {
        rc = write_csv_outputs(o.dir, o.out, &R);
    } else if (o.out) {
        rc = write_atomic(o.out, &R, write_table) ? HB_EXIT_FAIL : HB_EXIT_OK;
    } else {
        write_table(stdout, &R);
        rc = HB_EXIT_OK;
    }
    if (hb_lbo_report(o.dir, R.rows, (size_t)R.nrows, o.format == HB_FMT_CSV,
                      o.format != HB_FMT_CSV && !o.out ? stdout : NULL) && rc == HB_EXIT_OK)
        rc = HB_EXIT_FAIL; /* timespace.csv and the LBO table (lbo.c) */
    free_report(&R);
    return rc;
}
