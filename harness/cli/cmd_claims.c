/*
 * harness/cli/cmd_claims.c -- command layer: `heapbench claims`, the common
 * claims about Python's memory management answered with data.
 *
 * For each entry of the claims table (harness/cli/claims.c) it runs the
 * entry's experiment as ordinary `heapbench matrix` runs, one folder each
 * (DIR/<claim>/<run>/: rows.csv in the common schema, meta.json, series/),
 * so a rerun of the same command resumes every one where it stopped; then
 * it reads the rows (and the series files, and a census of the workload's
 * op stream where the entry asks), applies the entry's rule, writes the
 * figure's points (DIR/<claim>/claim.csv, claim_vars.gp), draws the figure
 * with gnuplot (plots/claims/ scripts into DIR/<claim>/figures/) and writes
 * DIR/claims.md, one section per claim, whole or not at all.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_info.h"
#include "harness/cli/claims.h"
#include "harness/cli/cli.h"
#include "harness/core/clock.h"
#include "harness/core/ops.h"
#include "harness/formats/io.h"
#include "harness/formats/machine.h"
#include "harness/formats/results.h"
#include "harness/run/settings.h"
#include "workloads/workload.h"

#define CC_PATH 4096
#define CC_QUICK_REPS 5
#define CC_FULL_REPS 6
#define CC_QUICK_SHARE 0.15 /* --quick: this share of each experiment's scale */

extern char **environ;

static const char claims_usage[] =
    "usage: heapbench claims [--out DIR] [--quick] [--scale X] [--reps N]\n"
    "\n"
    "Runs one experiment per common claim about Python's memory management\n"
    "(reference-count overhead, pauses, cycles, fragmentation, pools, headers,\n"
    "finalizers, large arrays, small-int sharing, threads, disabling the\n"
    "collector), each as ordinary matrix runs in DIR/<claim>/<run>/, and writes\n"
    "DIR/claims.md: per claim the experiment, its figure (DIR/<claim>/figures/,\n"
    "PDF and PNG, drawn with gnuplot), the measured numbers with their intervals\n"
    "and the answer its stated rule computes from them.  Rerunning the same\n"
    "command resumes.\n"
    "\n"
    "      --out DIR    the folder; default results/claims (results/claims-quick)\n"
    "      --quick      15% of each experiment's scale and 5 repetitions\n"
    "                   (the full run: 6); under 5 minutes on a 2-core machine\n"
    "      --scale X    multiplies every experiment's scale (also HB_CLAIMS_SCALE),\n"
    "                   default 1; tests shrink the run with it\n"
    "      --reps N     repetitions per cell instead of 5 or 6 (at least 2)\n"
    "\n"
    "Exit status: 0 every section answered, 1 a run or a figure failed (the report\n"
    "is written and says so), 2 bad usage, 130 interrupted.\n";

typedef struct cc_opts {
    const char *out;
    int quick;
    double scale; /* the multiplier */
    uint64_t reps;
} cc_opts;

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

static int parse_scale(const char *v, const char *what, double *out)
{
    if (hb_parse_double(v, out) != 0 || !(*out > 0) || *out > 100)
        return hb_usage_error("claims", "bad value '%s' for %s, expected a number in (0, 100]", v,
                              what);
    return 0;
}

/* -1 for --help, 0, or a usage error's status. */
static int parse_opts(int argc, char **argv, cc_opts *o)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},   {"quick", no_argument, 0, 'q'},
        {"scale", required_argument, 0, 's'}, {"reps", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    *o = (cc_opts){.scale = 1};
    const char *env = getenv("HB_CLAIMS_SCALE");
    if (env && *env && parse_scale(env, "HB_CLAIMS_SCALE", &o->scale))
        return HB_EXIT_USAGE;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(claims_usage, stdout); return -1;
        case 'o': o->out = optarg; break;
        case 'q': o->quick = 1; break;
        case 's':
            if (parse_scale(optarg, "--scale", &o->scale))
                return HB_EXIT_USAGE;
            break;
        case 'r':
            if (hb_parse_u64(optarg, &o->reps) != 0 || o->reps < 2 || o->reps > 1000)
                return hb_usage_error("claims", "bad value '%s' for --reps, expected a whole "
                                      "number from 2 to 1000", optarg);
            break;
        case ':':
            return hb_usage_error("claims", "option '%s' needs a value", argv[optind - 1]);
        default:
            return hb_usage_error("claims", "unknown option '%s', expected --out, --quick, "
                                  "--scale, --reps or --help", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return hb_usage_error("claims", "unexpected argument '%s' (see heapbench claims --help)",
                              argv[optind]);
    if (o->out == NULL)
        o->out = o->quick ? "results/claims-quick" : "results/claims";
    if (o->reps == 0)
        o->reps = o->quick ? CC_QUICK_REPS : CC_FULL_REPS;
    if (strchr(o->out, '\'') || strchr(o->out, '"'))
        return hb_usage_error("claims", "--out '%s' has a quote in its name, expected none (gnuplot "
                              "reads the path)", o->out);
    return 0;
}

static double claim_scale(const cc_opts *o, const cl_claim *c)
{
    return c->scale * (o->quick ? CC_QUICK_SHARE : 1) * o->scale;
}

/* ------------------------------------------------------------------ */
/* The census of an op stream                                           */
/* ------------------------------------------------------------------ */

static int census_flush(hb_sink *s)
{
    cl_census *c = s->ctx;
    for (size_t i = 0; i < s->len; i++) {
        const hb_op *op = &s->buf[i];
        c->ops++;
        switch (op->code) {
        case HB_OP_NEW: {
            uint64_t bytes = 16 + 8 * (uint64_t)op->b + op->c;
            c->news++;
            if (bytes <= 512)
                c->small_bytes += bytes, c->small_news++;
            else
                c->large_bytes += bytes, c->large_news++;
            break;
        }
        case HB_OP_SET: c->sets++; break;
        case HB_OP_GET: c->gets++; break;
        case HB_OP_MOV: c->movs++; break;
        case HB_OP_DROP: c->drops++; break;
        default: break;
        }
    }
    return 0;
}

/* The run's settings as a config: its extra options applied by name. */
static int run_config(hb_run_config *cfg, double scale, const char *const *extra)
{
    char s[64];
    hb_settings_defaults(cfg);
    snprintf(s, sizeof s, "%.17g", scale);
    if (hb_setting_set(cfg, HB_SETTING_scale, s, NULL) != 0)
        return -1;
    for (size_t k = 0; k < 4 && extra[k]; k++) {
        const char *opt = extra[k] + 2, *eq = strchr(opt, '=');
        size_t len = eq ? (size_t)(eq - opt) : strlen(opt);
        for (int i = 0; i < HB_SETTING_COUNT; i++)
            if (hb_settings[i].option && strlen(hb_settings[i].option) == len &&
                strncmp(hb_settings[i].option, opt, len) == 0)
                hb_setting_set(cfg, i, eq ? eq + 1 : NULL, NULL);
    }
    return 0;
}

int cl_census_of(const char *work, double scale, uint64_t seed, const char *const *extra,
                 cl_census *c)
{
    memset(c, 0, sizeof *c);
    const wl_workload *w = wl_find(work);
    hb_run_config cfg;
    if (w == NULL || run_config(&cfg, scale, extra) != 0)
        return -1;
    cfg.wp.seed = seed;
    hb_op *buf = calloc(4096, sizeof *buf);
    if (buf == NULL)
        return -1;
    hb_sink sink = {.buf = buf, .cap = 4096, .flush = census_flush, .ctx = c};
    int rc = w->generate(&cfg.wp, &sink);
    hb_sink_flush(&sink);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Running an experiment                                                */
/* ------------------------------------------------------------------ */

static int run_path(char *buf, size_t cap, const cc_opts *o, const cl_claim *c, const cl_run *r)
{
    return hb_path(buf, cap, "%s/%s/%s", o->out, c->id, r->tag);
}

/* One matrix into DIR/<claim>/<run>: its status (0, 1, 2, 130). */
static int run_matrix(const cc_opts *o, const cl_claim *c, const cl_run *r, uint64_t round)
{
    char dir[CC_PATH], scale[64], reps[32], upto[32];
    if (run_path(dir, sizeof dir, o, c, r))
        return hb_usage_error("claims", "--out path too long, expected under %d bytes", CC_PATH);
    snprintf(scale, sizeof scale, "%.6g", claim_scale(o, c));
    snprintf(reps, sizeof reps, "%" PRIu64, o->reps);
    snprintf(upto, sizeof upto, "%" PRIu64, round);
    char *argv[32];
    int n = 0;
    argv[n++] = "matrix";
    if (r->alist)
        argv[n++] = "-a", argv[n++] = (char *)r->alist;
    if (r->clist)
        argv[n++] = "-c", argv[n++] = (char *)r->clist;
    if (r->wlist)
        argv[n++] = "-w", argv[n++] = (char *)r->wlist;
    argv[n++] = "--out", argv[n++] = dir;
    argv[n++] = "--scale", argv[n++] = scale;
    argv[n++] = "--reps", argv[n++] = reps;
    argv[n++] = "--no-progress";
    argv[n++] = "--rounds", argv[n++] = upto;
    if (r->series)
        argv[n++] = "--series";
    for (size_t k = 0; k < 4 && r->extra[k]; k++)
        argv[n++] = (char *)r->extra[k];
    argv[n] = NULL;
    fprintf(stderr, "heapbench claims: %s/%s: matrix at scale %s, round %s of %s\n", c->id, r->tag,
            scale, upto, reps);
    return hb_cmd_matrix(n, argv);
}

/* ------------------------------------------------------------------ */
/* Reading a run's data                                                 */
/* ------------------------------------------------------------------ */

typedef struct cc_data {
    cl_set sets[CL_MAX_RUNS];
    hb_row *rows[CL_MAX_RUNS];
    char *arena[CL_MAX_RUNS];
    cl_series *series[CL_MAX_RUNS];
    size_t nseries[CL_MAX_RUNS];
    char *names; /* the series' allocator and collector names, one block */
} cc_data;

static int column_of(const char *header, const char *name)
{
    int k = 0;
    for (const char *p = header; *p && *p != '\n'; k++) {
        size_t len = strcspn(p, ",\n");
        if (len == strlen(name) && strncmp(p, name, len) == 0)
            return k;
        p += len + (p[len] == ',');
    }
    return -1;
}

/* The samples of one series file into sr (s malloc'd). */
static int read_samples(const char *path, cl_series *sr)
{
    size_t len;
    char *text = hb_read_whole(path, &len, NULL);
    if (text == NULL)
        return -1;
    int ko = column_of(text, "ops"), kl = column_of(text, "live_bytes"),
        kf = column_of(text, "footprint_bytes");
    size_t cap = 1024, n = 0;
    cl_sample *s = malloc(cap * sizeof *s);
    char *line = strchr(text, '\n');
    while (s && ko >= 0 && kl >= 0 && kf >= 0 && line && line[1]) {
        line++;
        double v[64] = {0};
        int k = 0;
        for (const char *p = line; k < 64 && *p && *p != '\n'; k++) {
            v[k] = strtod(p, NULL);
            p += strcspn(p, ",\n");
            if (*p == ',')
                p++;
        }
        if (n == cap) {
            cl_sample *t = realloc(s, 2 * cap * sizeof *s);
            if (t == NULL)
                break;
            s = t, cap *= 2;
        }
        s[n++] = (cl_sample){v[ko], v[kl], v[kf]};
        line = strchr(line, '\n');
    }
    free(text);
    sr->s = s;
    sr->n = n;
    return s ? 0 : -1;
}

/* Every series/<a>_<c>_<w>_rep<k>.csv of a run folder. */
static void read_series(const char *dir, cl_series **out, size_t *nout)
{
    char pattern[CC_PATH];
    glob_t g;
    *out = NULL;
    *nout = 0;
    if (hb_path(pattern, sizeof pattern, "%s/series/*_rep*.csv", dir) ||
        glob(pattern, 0, NULL, &g) != 0)
        return;
    cl_series *s = calloc(g.gl_pathc, sizeof *s);
    for (size_t i = 0; s && i < g.gl_pathc; i++) {
        const char *base = strrchr(g.gl_pathv[i], '/') + 1;
        char *a = strdup(base);
        char *u1 = a ? strchr(a, '_') : NULL, *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
        char *rep = strstr(base, "_rep");
        if (u2 == NULL || rep == NULL || read_samples(g.gl_pathv[i], &s[*nout]) != 0) {
            free(a);
            continue;
        }
        *u1 = *u2 = '\0';
        s[*nout].allocator = a; /* a owns both names */
        s[*nout].collector = u1 + 1;
        s[*nout].rep = strtoull(rep + 4, NULL, 10);
        (*nout)++;
    }
    globfree(&g);
    *out = s;
}

static int load_data(const cc_opts *o, const cl_claim *c, cc_data *d)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < c->nruns; i++) {
        const cl_run *r = &c->runs[i];
        char dir[CC_PATH], path[CC_PATH];
        hb_err e;
        cl_set *s = &d->sets[i];
        s->tag = r->tag;
        if (run_path(dir, sizeof dir, o, c, r) || hb_path(path, sizeof path, "%s/rows.csv", dir))
            return -1;
        if (access(path, R_OK) == 0) {
            long n = hb_rows_read_csv(path, &d->rows[i], &d->arena[i], &e);
            if (n < 0) {
                fprintf(stderr, "heapbench claims: cannot read %s: %s\n", path, e.msg);
                return -1;
            }
            s->rows = d->rows[i];
            s->n = (size_t)n;
        }
        if (r->series)
            read_series(dir, &d->series[i], &d->nseries[i]);
        s->series = d->series[i];
        s->nseries = d->nseries[i];
        if (r->wlist && strchr(r->wlist, ',') == NULL)
            cl_census_of(r->wlist, claim_scale(o, c), 1, r->extra, &s->census);
    }
    return 0;
}

static void free_data(const cl_claim *c, cc_data *d)
{
    for (size_t i = 0; i < c->nruns; i++) {
        hb_rows_free(d->rows[i], d->arena[i]);
        for (size_t k = 0; k < d->nseries[i]; k++) {
            free((void *)d->series[i][k].s);
            free((void *)d->series[i][k].allocator);
        }
        free(d->series[i]);
    }
}

/* ------------------------------------------------------------------ */
/* The figure                                                           */
/* ------------------------------------------------------------------ */

static int has_claim_scripts(char *out, size_t cap, const char *plots)
{
    char probe[CC_PATH];
    return hb_path(out, cap, "%s/claims", plots) == 0 &&
           hb_path(probe, sizeof probe, "%s/intervals.gp", out) == 0 && access(probe, R_OK) == 0;
}

/* plots/claims/ as `heapbench plot` finds plots/: $HEAPBENCH_PLOTS, the
 * installed share folder beside the binary or at the prefix, the source tree. */
static int find_claim_scripts(char *out, size_t cap)
{
    const char *env = getenv("HEAPBENCH_PLOTS");
    if (env && *env)
        return has_claim_scripts(out, cap, env) ? 0 : -1;
    char exe[CC_PATH], bin[CC_PATH];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        if (hb_path(bin, sizeof bin, "%s/" HB_PLOTS_FROM_BIN, exe) == 0 &&
            has_claim_scripts(out, cap, bin))
            return 0;
    }
    if (has_claim_scripts(out, cap, HB_INSTALL_PLOTS) || has_claim_scripts(out, cap, HB_SOURCE_PLOTS))
        return 0;
    return -1;
}

/* The group names in the order of first appearance; returns the index of
 * p's group (1-based). */
static size_t group_index(const cl_output *out, size_t upto, const char **names, size_t *n)
{
    const char *g = out->pts[upto].group;
    for (size_t k = 0; k < *n; k++)
        if (strcmp(names[k], g) == 0)
            return k + 1;
    names[(*n)++] = g;
    return *n;
}

/* claim.csv (the points) and claim_vars.gp (axes, groups, series files). */
static int write_figure_data(const char *cdir, const cl_claim *c, const cl_output *out,
                             const cc_data *d)
{
    char path[CC_PATH];
    hb_atomic a;
    const char *names[CL_MAX_POINTS];
    size_t ng = 0;
    if (hb_path(path, sizeof path, "%s/claim.csv", cdir) || hb_atomic_open(&a, path, NULL))
        return -1;
    fputs("group,gi,x,xlabel,median,lo,hi\n", a.f);
    size_t gi[CL_MAX_POINTS];
    for (size_t i = 0; i < out->npts; i++)
        gi[i] = group_index(out, i, names, &ng);
    /* Group by group, so that a group's line is not broken by the others' rows. */
    for (size_t g = 1; g <= ng; g++)
        for (size_t i = 0; i < out->npts; i++) {
            const cl_point *p = &out->pts[i];
            if (gi[i] == g)
                fprintf(a.f, "\"%s\",%zu,%.9g,\"%s\",%.9g,%.9g,%.9g\n", p->group, g, p->x,
                        p->xlabel, p->median, p->lo, p->hi);
        }
    if (hb_atomic_commit(&a, NULL))
        return -1;
    if (hb_path(path, sizeof path, "%s/claim_vars.gp", cdir) || hb_atomic_open(&a, path, NULL))
        return -1;
    fprintf(a.f, "# Written by heapbench claims.\nclaim_id = \"%s\"\nfig_title = \"%s\"\n"
                 "x_label = \"%s\"\ny_label = \"%s\"\nx_log = %d\ny_log = %d\nwith_lines = %d\n"
                 "series_y = \"%s\"\nngroups = %zu\n",
            c->id, c->fig.title, c->fig.xlabel, c->fig.ylabel, c->fig.xlog, c->fig.ylog,
            c->fig.lines, c->fig.series_y ? c->fig.series_y : "", ng);
    for (size_t k = 0; k < ng; k++)
        fprintf(a.f, "group_%zu = \"%s\"\n", k + 1, names[k]);
    /* Series: repetition 1 of each cell of the first run with series. */
    fputs("series_files = \"", a.f);
    for (size_t i = 0, sp = 0; i < c->nruns; i++)
        for (size_t k = 0; c->runs[i].series && k < d->nseries[i]; k++)
            if (d->series[i][k].rep == 1)
                fprintf(a.f, "%s%s/series/%s_%s_%s_rep1.csv", sp++ ? " " : "", c->runs[i].tag,
                        d->series[i][k].allocator, d->series[i][k].collector, c->runs[i].wlist);
    fputs("\"\nseries_titles = \"", a.f);
    for (size_t i = 0, sp = 0; i < c->nruns; i++)
        for (size_t k = 0; c->runs[i].series && k < d->nseries[i]; k++)
            if (d->series[i][k].rep == 1) {
                int one_alloc = c->runs[i].alist && !strchr(c->runs[i].alist, ',');
                fprintf(a.f, "%s%s", sp++ ? " " : "",
                        one_alloc ? d->series[i][k].collector : d->series[i][k].allocator);
            }
    fputs("\"\n", a.f);
    return hb_atomic_commit(&a, NULL);
}

/* 0 when DIR/<claim>/figures/<claim>.pdf and .png exist and are not empty. */
static int figures_present(const char *cdir, const char *id)
{
    static const char *const ext[] = {"pdf", "png"};
    for (int k = 0; k < 2; k++) {
        char p[CC_PATH];
        struct stat st;
        if (hb_path(p, sizeof p, "%s/figures/%s.%s", cdir, id, ext[k]) || stat(p, &st) != 0 ||
            st.st_size == 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The report                                                           */
/* ------------------------------------------------------------------ */

typedef struct cc_section {
    cl_output out;
    double seconds;      /* wall time of its runs and figure, over every invocation
                            that wrote the folder (DIR/<claim>/seconds.txt) */
    double this_seconds; /* of this invocation alone */
    int figure_ok;
    int matrix_rc[CL_MAX_RUNS];
    const char *unavailable;
} cc_section;

static void write_runs(FILE *f, const cc_opts *o, const cl_claim *c, const cc_section *s)
{
    fprintf(f, "Runs (each a `heapbench matrix` folder, scale %.4g, %" PRIu64 " repetitions a "
               "cell, every repetition in a fresh process, seed 1):\n\n",
            claim_scale(o, c), o->reps);
    for (size_t i = 0; i < c->nruns; i++) {
        const cl_run *r = &c->runs[i];
        fprintf(f, "- [`%s/%s`](%s/%s/rows.csv): -a %s -c %s -w %s", c->id, r->tag, c->id, r->tag,
                r->alist ? r->alist : "(every allocator)", r->clist ? r->clist : "(every collector)",
                r->wlist ? r->wlist : "(every workload)");
        for (size_t k = 0; k < 4 && r->extra[k]; k++)
            fprintf(f, " %s", r->extra[k]);
        if (r->series)
            fputs(" --series", f);
        if (s->unavailable)
            fputs(" (not run)", f);
        else if (s->matrix_rc[i] == 1)
            fputs(" (some cell did not end ok: its rows are left out)", f);
        else if (s->matrix_rc[i] != 0)
            fprintf(f, " (the matrix failed, status %d)", s->matrix_rc[i]);
        fputc('\n', f);
    }
    fputc('\n', f);
}

static void write_section(FILE *f, const cc_opts *o, const cl_claim *c, const cc_section *s)
{
    fprintf(f, "## %s\n\n**Claim.** %s\n\n**Experiment.** %s\n\n", c->title, c->sentence,
            c->experiment);
    write_runs(f, o, c, s);
    int series = strcmp(c->fig.script, "series.gp") == 0;
    if (s->figure_ok && series)
        fprintf(f, "![%s](%s/figures/%s.png)\n\n[PDF](%s/figures/%s.pdf) · drawn by "
                   "`plots/claims/%s` from repetition 1's series files (listed in "
                   "[`%s/claim_vars.gp`](%s/claim_vars.gp)); the numbers below are over every "
                   "repetition.\n\n",
                c->id, c->id, c->id, c->id, c->id, c->fig.script, c->id, c->id);
    else if (s->figure_ok)
        fprintf(f, "![%s](%s/figures/%s.png)\n\n[PDF](%s/figures/%s.pdf) · drawn by "
                   "`plots/claims/%s` from [`%s/claim.csv`](%s/claim.csv); points: medians; "
                   "whiskers: intervals of the median.\n\n",
                c->id, c->id, c->id, c->id, c->id, c->fig.script, c->id, c->id);
    else
        fprintf(f, "Figure: not drawn (%s).\n\n",
                s->unavailable ? "not measured" : "gnuplot missing or failed; see stderr");
    fprintf(f, "**Measured** (medians with distribution-free intervals of the median, their "
               "coverage stated; ratios of means with Fieller's 95%% interval):\n\n%s\n",
            s->out.numbers[0] ? s->out.numbers : "- nothing\n");
    fprintf(f, "**Rule.** %s\n\n**Answer: %s.**\n\n", c->rule_text, s->out.answer);
}

/* "4 min 12 s", "37 s". */
static const char *fmt_duration(char *buf, size_t cap, double s)
{
    if (s >= 60)
        snprintf(buf, cap, "%d min %d s", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%.0f s", s);
    return buf;
}

/* The full run's time from this one's: each experiment's time grows with
 * its scale and its repetitions (a repetition is a fresh process running a
 * stream proportional to scale), so time x (full scale / this scale) x
 * (full reps / these reps).  The fixed costs per process scale too, so this
 * errs long. */
static double full_estimate(const cc_opts *o, const cc_section *secs)
{
    double share = (o->quick ? CC_QUICK_SHARE : 1) * o->scale, t = 0;
    for (size_t i = 0; i < cl_nclaims; i++)
        t += secs[i].seconds / share * CC_FULL_REPS / (double)o->reps;
    return t;
}

static double total_seconds(const cc_section *secs, int this_only)
{
    double t = 0;
    for (size_t i = 0; i < cl_nclaims; i++)
        t += this_only ? secs[i].this_seconds : secs[i].seconds;
    return t;
}

/* A claim's time over the invocations: what DIR/<claim>/seconds.txt holds
 * plus this one's, written back.  A resumed run thus reports the time the
 * folder took, not the few seconds of the resume. */
static double add_seconds(const char *cdir, double now)
{
    char path[CC_PATH];
    double prev = 0;
    if (hb_path(path, sizeof path, "%s/seconds.txt", cdir) != 0)
        return now;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%lf", &prev) != 1 || !(prev >= 0))
            prev = 0;
        fclose(f);
    }
    hb_atomic a;
    if (hb_atomic_open(&a, path, NULL) == 0) {
        fprintf(a.f, "%.3f\n", prev + now);
        hb_atomic_commit(&a, NULL);
    }
    return prev + now;
}

/* The summary: every claim, its answer and its time. */
static void write_summary(FILE *f, const cc_section *secs, const char *prefix)
{
    char d[32];
    fprintf(f, "| claim | answer | time |\n| --- | --- | ---: |\n");
    for (size_t i = 0; i < cl_nclaims; i++)
        fprintf(f, "| [%s](%s#%s) | %s | %s |\n", cl_claims[i].title, prefix, cl_claims[i].id,
                cl_verdict_name(secs[i].out.verdict), fmt_duration(d, sizeof d, secs[i].seconds));
    fputc('\n', f);
}

/* The sentence on this invocation's time (and the full run's estimate). */
static void write_times(FILE *f, const cc_opts *o, const cc_section *secs)
{
    char d[32], e[32];
    char t[32];
    fprintf(f, "The runs took %s wall (%s build; the times per claim in the table, each summed "
               "over the invocations that wrote this folder: this one took %s).",
            fmt_duration(d, sizeof d, total_seconds(secs, 0)), HB_BUILD_TYPE,
            fmt_duration(t, sizeof t, total_seconds(secs, 1)));
    if (o->quick || o->scale != 1 || o->reps != CC_FULL_REPS)
        fprintf(f, " The full run (`heapbench claims`: every experiment at its full scale, %d "
                   "repetitions) is estimated from these times at %s (each time x the ratio of "
                   "scales x the ratio of repetitions).",
                CC_FULL_REPS, fmt_duration(e, sizeof e, full_estimate(o, secs)));
    fputs("\n\n", f);
}

/* DIR/readme_section.md: the README's claims block (tests/readme_claims.sh
 * checks the README against it): the times, the answers and the first two
 * figures, with links from the source tree's root through --out. */
static int write_readme_section(const cc_opts *o, const cc_section *secs)
{
    char path[CC_PATH], md[CC_PATH];
    hb_atomic a;
    if (hb_path(path, sizeof path, "%s/readme_section.md", o->out) ||
        hb_path(md, sizeof md, "%s/claims.md", o->out) || hb_atomic_open(&a, path, NULL) != 0)
        return -1;
    FILE *f = a.f;
    fprintf(f, "<!-- written by `heapbench claims` into %s/readme_section.md -->\n", o->out);
    fprintf(f, "The committed %s run is [%s](%s). ", o->quick ? "quick" : "full", md, md);
    write_times(f, o, secs);
    write_summary(f, secs, md);
    fprintf(f, "Its first figures (the rest are linked from each section of the report):\n\n");
    for (size_t i = 0, shown = 0; i < cl_nclaims && shown < 2; i++)
        if (secs[i].figure_ok) {
            fprintf(f, "![%s](%s/%s/figures/%s.png)\n\n", cl_claims[i].title, o->out,
                    cl_claims[i].id, cl_claims[i].id);
            shown++;
        }
    return hb_atomic_commit(&a, NULL);
}

static int write_report(const cc_opts *o, const cc_section *secs, int argc, char **argv)
{
    char path[CC_PATH];
    hb_atomic a;
    hb_err e;
    if (hb_path(path, sizeof path, "%s/claims.md", o->out) || hb_atomic_open(&a, path, &e) != 0)
        return -1;
    FILE *f = a.f;
    fprintf(f, "# The claims, answered with data\n\n<!-- written by `heapbench claims`; the "
               "answers are computed by the rules in harness/cli/claims.c -->\n\n");
    fprintf(f, "Written by `heapbench");
    for (int i = 0; i < argc; i++)
        fprintf(f, " %s", argv[i]);
    fprintf(f, "` (heapbench %s, %s build, commit %s): %s run, %" PRIu64 " repetitions a cell, "
               "each experiment's scale times %.4g%s. Every run below is an ordinary results "
               "folder (rows.csv, meta.json with the machine); rerunning the command resumes.\n\n",
            HB_VERSION, HB_BUILD_TYPE, HB_GIT_COMMIT, o->quick ? "the quick" : "the full", o->reps,
            (o->quick ? CC_QUICK_SHARE : 1) * o->scale, o->quick ? " (quick: a share of the full scale)" : "");
    write_times(f, o, secs);
    fprintf(f, "Each answer is one of holds, does not hold, holds only when …, undecided (the "
               "intervals cannot tell) or not measured, and is computed from the intervals by the "
               "rule its section states.\n\n");
    write_summary(f, secs, "");
    for (size_t i = 0; i < cl_nclaims; i++) {
        fprintf(f, "<a id=\"%s\"></a>\n\n", cl_claims[i].id);
        write_section(f, o, &cl_claims[i], &secs[i]);
    }
    return hb_atomic_commit(&a, &e);
}

/* ------------------------------------------------------------------ */
/* heapbench claims                                                     */
/* ------------------------------------------------------------------ */

/*
 * Runs and answers one claim; its worst status (0, 1, 130, or 2).  The
 * folders a claim compares run round by round (matrix --rounds): round k
 * of every folder, one after the other, then round k + 1, so that a slow
 * spell of the machine lands on every folder's cells alike, as the matrix
 * interleaves the cells of one folder.  A folder's status is the worst of
 * its rounds'.
 */
static int do_claim(const cc_opts *o, const cl_claim *c, const char *scripts, cc_section *s)
{
    int worst = 0;
    uint64_t t0 = hb_now_ns();
    s->unavailable = c->unavailable ? c->unavailable() : NULL;
    for (size_t i = 0; i < c->nruns; i++)
        s->matrix_rc[i] = 0;
    for (uint64_t k = 1; k <= o->reps && !s->unavailable; k++)
        for (size_t i = 0; i < c->nruns; i++) {
            int rc = run_matrix(o, c, &c->runs[i], k);
            if (rc == HB_EXIT_INTERRUPTED || rc == HB_EXIT_USAGE) {
                s->matrix_rc[i] = rc;
                return rc;
            }
            if (rc > s->matrix_rc[i])
                s->matrix_rc[i] = rc;
            worst = rc ? HB_EXIT_FAIL : worst;
        }
    cc_data d;
    if (!s->unavailable && load_data(o, c, &d) != 0) {
        free_data(c, &d);
        return HB_EXIT_FAIL;
    }
    if (s->unavailable)
        memset(&d, 0, sizeof d);
    cl_input in = {.sets = d.sets, .nsets = s->unavailable ? 0 : c->nruns, .conf = 0.95,
                   .unavailable = s->unavailable};
    c->rule(&in, &s->out);
    char cdir[CC_PATH], script[CC_PATH];
    hb_path(cdir, sizeof cdir, "%s/%s", o->out, c->id);
    if (!s->unavailable && write_figure_data(cdir, c, &s->out, &d) == 0 && scripts &&
        hb_path(script, sizeof script, "%s/%s", scripts, c->fig.script) == 0) {
        if (hb_run_gnuplot(cdir, script) != 0)
            fprintf(stderr, "heapbench claims: gnuplot failed on %s for %s\n", script, c->id);
        s->figure_ok = figures_present(cdir, c->id) == 0;
        if (!s->figure_ok)
            worst = HB_EXIT_FAIL;
    }
    if (!s->unavailable && !scripts)
        worst = HB_EXIT_FAIL;
    free_data(c, &d);
    s->this_seconds = (double)(hb_now_ns() - t0) / 1e9;
    s->seconds = add_seconds(cdir, s->this_seconds);
    fprintf(stderr, "heapbench claims: %s: %s (%.1f s)\n", c->id, s->out.answer, s->this_seconds);
    return worst;
}

int hb_cmd_claims(int argc, char **argv)
{
    cc_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? HB_EXIT_OK : rc;
    hb_err e;
    if (hb_mkdirs(o.out, &e) != 0)
        return hb_usage_error("claims", "bad --out '%s': %s", o.out, e.msg);
    char scripts[CC_PATH];
    int have_scripts = find_claim_scripts(scripts, sizeof scripts) == 0;
    if (!have_scripts)
        fprintf(stderr, "heapbench claims: no plots/claims/intervals.gp under $HEAPBENCH_PLOTS or "
                        "%s: the figures are not drawn\n", HB_SOURCE_PLOTS);
    cc_section *secs = calloc(cl_nclaims, sizeof *secs);
    if (secs == NULL)
        return HB_EXIT_FAIL;
    int worst = 0;
    for (size_t i = 0; i < cl_nclaims; i++) {
        rc = do_claim(&o, &cl_claims[i], have_scripts ? scripts : NULL, &secs[i]);
        if (rc == HB_EXIT_INTERRUPTED || rc == HB_EXIT_USAGE) {
            free(secs);
            return rc;
        }
        worst = rc > worst ? rc : worst;
    }
    if (write_report(&o, secs, argc, argv) != 0 || write_readme_section(&o, secs) != 0) {
        fprintf(stderr, "heapbench claims: cannot write %s/claims.md\n", o.out);
        worst = HB_EXIT_FAIL;
    } else {
        fprintf(stderr, "heapbench claims: the report is %s/claims.md\n", o.out);
    }
    free(secs);
    return worst;
}
