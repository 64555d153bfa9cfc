/*
 * harness/cli/cmd_matrix.c -- command layer: `heapbench matrix`: every chosen
 * allocator x collector x workload into one resumable results folder.
 *
 * Cells come in a fixed order (allocators, then collectors, then workloads,
 * each in the order given or registered) and are numbered before anything
 * about this machine is asked, so `--shard I/N` (cells whose number mod N is
 * I) names the same slice on every machine even when one lacks a library.
 * A pairing that gc_pairs refuses (the one rule `run` obeys too: a collector
 * that brings its own allocator pairs with that one only, and that allocator
 * with it only) is not a cell at all.  A cell whose allocator or collector
 * is unavailable in this build is skipped with a note.
 *
 * Threads: an allocator workload (larson, xmalloc, cache-scratch: frees
 * explicit, no collector) makes one cell per allocator and thread count of
 * `--threads LIST`, with collector "none", after that allocator's collector
 * cells; a collector workload makes its cell at 1 thread whatever the list,
 * and one at each count above 1 when it has mutators of its own (server,
 * small-objects: the GIL model) and its collector does not bring its own
 * heap (boehm).
 * The list is part of the folder's identity ("thread_counts" in meta.json's
 * settings, written when it is not just 1, so older folders still resume).
 *
 * The run settings (scale, reps, the collectors' knobs, ...) are the list of
 * harness/run/settings.h, parsed as `run` parses them; meta.json's settings
 * and the keys compared on resuming come from the same list.
 *
 * Order: repetitions of different cells are interleaved, round by round:
 * repetition 1 of every cell, then repetition 2 of every cell, and so on,
 * the cells of round k in an order shuffled from MX_ORDER_SEED and k
 * (meta.json's settings say "order": "shuffled rounds", "order_seed").
 * Drift of a shared machine over the sweep then lands on every cell alike
 * and inside each cell's spread, instead of on the cells that happened to
 * run during it; and no cell always follows the same one (a process run
 * after one that touched hundreds of MiB was measured a third slower, so a
 * fixed order would give some cells a neighbour's cost in every round).
 * The same seed gives the same order every time, so a resumed sweep runs
 * what is left in the order the whole one would have.  Every repetition
 * replays the same work (the seed does not depend on the repetition), so a
 * repetition's number only names it.
 *
 * Resuming: each repetition's row is appended to rows.csv in one atomic
 * write when it ends, so a kill loses at most the repetition in progress.
 * On resuming, a repetition runs when rows.csv lacks it; a cell with a row
 * whose status is not "ok" runs no more repetitions (the row says why;
 * rerunning would say it again).  The rows of a killed and resumed sweep
 * are the rows of an uninterrupted one.  meta.json's settings must match
 * the command's, or the folder is refused: rows of two different sweeps
 * never mix.  meta.json's "elapsed" adds up the time spent running cells
 * over every invocation (what the README states as the suite's time).
 *
 * Each repetition runs in a child process of its own (hb_run's isolate), so
 * no cell inherits the C library heap of the ones before it (the malloc
 * backend's footprint, mallinfo2, and the peak RSS are process-wide), and a
 * crash costs one row, with status "crash".
 *
 * hb_run writes one series file per cell (a rep column, 1-based); it is
 * split here into series/<alloc>_<coll>_<work>_rep<k>.csv, each written
 * whole or not at all (hb_atomic).
 *
 * Heap factors (--heap-factors 1.25,2,4): every cell is run at each factor
 * of its minimum heap, as cells of their own (the factor is the innermost
 * axis of the order, so a shard takes a cell's factors in turn).  Before
 * round 1, the minimum heap of every allocator x collector x workload that
 * still owes repetitions is read from DIR/minheap.csv, or found as
 * `heapbench minheap` finds it (harness/run/heapfactor.c; its probe log
 * makes an interrupted search resume) and added there; each cell then runs
 * with --heap-limit ceil(factor x minimum), its rows saying heap_factor and
 * min_heap_bytes.  The factors are part of meta.json's settings, so a folder
 * resumes only under the same factors; minheap.csv is keyed by the cell's
 * other settings (settings_id), so it is never read for another sweep.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/core/clock.h"
#include "harness/core/rng.h"
#include "harness/formats/io.h"
#include "harness/formats/machine.h"
#include "harness/formats/results.h"
#include "harness/run/heapfactor.h"
#include "harness/run/run.h"
#include "harness/run/threads.h"
#include "build_info.h"

#define MX_MAX_NAMES 64
#define MX_PATH 4096
#define MX_ORDER_SEED 0x6f72646572ull /* "order": the rounds' shuffles */

static const char matrix_usage_head[] =
    "usage: heapbench matrix [options]\n"
    "\n"
    "Runs every chosen allocator x collector x workload into a results folder:\n"
    "rows.csv (one row per repetition), meta.json (machine, build, settings) and,\n"
    "with --series, series/<alloc>_<coll>_<work>_rep<k>.csv.  Rerunning the same\n"
    "command resumes: cells whose rows are all present are skipped.\n"
    "\n"
    "  -a LIST              allocators, comma-separated; default every registered one\n"
    "  -c LIST              collectors; default every registered one\n"
    "  -w LIST              workloads; default every registered one\n"
    "      --out DIR        the results folder; default results/<date>-<id>, where id\n"
    "                       is a hash of the settings (an existing one is reused)\n"
    "      --shard I/N      run only cells whose number mod N is I (0 <= I < N)\n"
    "      --rounds K       stop after round K (repetition K of every cell); not a\n"
    "                       setting: the folder stays the same sweep, and a later\n"
    "                       call with a larger K (or none) runs the rounds after it.\n"
    "                       heapbench claims runs the folders it compares so, round\n"
    "                       by round, one folder after the other\n"
    "      --series         write time series per repetition\n"
    "      --heap-factors L every cell at these multiples of its minimum heap, e.g.\n"
    "                       1.25,1.5,2,3,4,6 (minimums read from DIR/minheap.csv or\n"
    "                       found first, as heapbench minheap finds them)\n"
    "      --threads LIST   thread counts, comma-separated (e.g. 1,2): allocator\n"
    "                       workloads run at each, server and small-objects too (GIL\n"
    "                       model mutators); other collector workloads at 1 only\n"
    "\n"
    "Repetitions of different cells are interleaved: repetition 1 of every cell,\n"
    "then repetition 2, ...\n"
    "\n"
    "Run settings (the same for heapbench run; here --reps defaults to 6, the\n"
    "fewest for which a median has a 95% distribution-free interval):\n";

static const char matrix_usage_tail[] =
    "\n"
    "Exit status: 0 every cell ok, 1 some cell not ok, 2 bad usage, 130 interrupted.\n";

/* ------------------------------------------------------------------ */
/* Settings and cells                                                   */
/* ------------------------------------------------------------------ */

typedef struct mx_opts {
    const char *alist, *clist, *wlist, *out, *tlist;
    unsigned shard_i, shard_n;
    uint64_t rounds; /* --rounds K: stop after round K (0: every round) */
    int series;
    hb_run_config set; /* every cell's settings; the names are the cell's */
    double factors[HB_MAX_HEAP_FACTORS]; /* --heap-factors, increasing; nfactors 0: none */
    size_t nfactors;
} mx_opts;

typedef struct mx_cell {
    const al_backend *a;
    const gc_strategy *c;
    const wl_workload *w;
    size_t index;     /* in the full, unsharded order */
    const char *skip; /* why it cannot run here, or NULL */
    unsigned char *have; /* have[k]: repetition k (1..reps) is in rows.csv */
    size_t nhave;        /* how many of them */
    int failed;          /* some row's status is not ok: no more repetitions */
    double factor;       /* of its minimum heap (--heap-factors); 0: none */
    uint64_t min_heap;   /* that minimum, once known; 0: not known (or none) */
    uint32_t threads;    /* the OS threads its ops run on (mutators, in the GIL model) */
} mx_cell;

typedef struct mx_sel {
    const al_backend *a[MX_MAX_NAMES];
    const gc_strategy *c[MX_MAX_NAMES];
    const wl_workload *w[MX_MAX_NAMES];
    uint32_t t[MX_MAX_NAMES]; /* thread counts */
    size_t na, nc, nw, nt;
} mx_sel;

/* Splits a comma list and looks each name up in r; usage error on an
 * unknown or repeated name, naming the valid choices. */
static int resolve_list(const hb_registry *r, const char *list, const void **out, size_t *n)
{
    char buf[1024], *save = NULL;
    if (hb_path(buf, sizeof buf, "%s", list))
        return hb_usage_error("matrix", "the %s list is too long", r->what);
    *n = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const void *p = hb_registry_find(r, tok);
        if (p == NULL) {
            char valid[512];
            hb_registry_names(r, valid, sizeof valid);
            return hb_usage_error("matrix", "unknown %s '%s', expected one of: %s", r->what, tok,
                                  valid);
        }
        for (size_t i = 0; i < *n; i++)
            if (out[i] == p)
                return hb_usage_error("matrix", "%s '%s' is named twice", r->what, tok);
        if (*n == MX_MAX_NAMES)
            return hb_usage_error("matrix", "more than %d %ss", MX_MAX_NAMES, r->what);
        out[(*n)++] = p;
    }
    if (*n == 0)
        return hb_usage_error("matrix", "empty %s list, expected names separated by commas",
                              r->what);
    return 0;
}

/* The named entries, or every registered one. */
static int select_one(const hb_registry *r, const char *list, const void **out, size_t *n)
{
    if (list)
        return resolve_list(r, list, out, n);
    for (*n = 0; *n < r->count() && *n < MX_MAX_NAMES; (*n)++)
        out[*n] = r->at(*n);
    return 0;
}

/* ---- the thread-count axis ---- */

/* --threads LIST: distinct counts of 1..HB_MAX_THREADS; default 1. */
static int select_threads(const char *list, mx_sel *s)
{
    char buf[512], *save = NULL, *end;
    s->nt = 0;
    if (list == NULL) {
        s->t[s->nt++] = 1;
        return 0;
    }
    if (hb_path(buf, sizeof buf, "%s", list))
        return hb_usage_error("matrix", "the --threads list is too long");
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        errno = 0;
        unsigned long v = strtoul(tok, &end, 10);
        if (errno || *end || end == tok || tok[0] == '-' || v < 1 || v > HB_MAX_THREADS)
            return hb_usage_error("matrix", "bad thread count '%s' in --threads, expected whole "
                                  "numbers from 1 to %d separated by commas, e.g. 1,2",
                                  tok, HB_MAX_THREADS);
        for (size_t i = 0; i < s->nt; i++)
            if (s->t[i] == v)
                return hb_usage_error("matrix", "thread count %lu is named twice in --threads", v);
        if (s->nt == MX_MAX_NAMES)
            return hb_usage_error("matrix", "more than %d thread counts", MX_MAX_NAMES);
        s->t[s->nt++] = (uint32_t)v;
    }
    if (s->nt == 0)
        return hb_usage_error("matrix", "empty --threads list, expected counts separated by commas");
    return 0;
}

/* The collector of an allocator workload's cells: none (cfg.coll NULL). */
static const char *mx_none_unavailable(void)
{
    return NULL;
}

static const gc_strategy mx_none = {.name = "none", .unavailable = mx_none_unavailable};

static const char *why_unavailable(const mx_cell *x);

/* An allocator workload's cells for allocator i, one per thread count; a
 * count the backend is not safe at is skipped with a note, as `run`
 * refuses it. */
static size_t add_heap_cells(const mx_sel *s, size_t i, mx_cell *cells, size_t n)
{
    for (size_t k = 0; k < s->nw; k++)
        for (size_t t = 0; t < s->nt && s->w[k]->heap; t++) {
            mx_cell *x = &cells[n];
            x->a = s->a[i];
            x->c = &mx_none;
            x->w = s->w[k];
            x->threads = s->t[t];
            x->index = n++;
            x->skip = why_unavailable(x);
            if (x->skip == NULL && x->threads > 1 && x->a->threads == NULL)
                x->skip = "not safe under threads (heapbench list)";
        }
    return n;
}

/* The thread-count list in meta.json's settings, when it is not just 1. */
static void threads_json(const mx_sel *s, FILE *f)
{
    if (s->nt == 1 && s->t[0] == 1)
        return;
    fputs("\"thread_counts\": [", f);
    for (size_t i = 0; i < s->nt; i++)
        fprintf(f, "%s%u", i ? ", " : "", s->t[i]);
    fputs("], ", f);
}

static int select_all(const mx_opts *o, mx_sel *s)
{
    memset(s, 0, sizeof *s);
    int rc = select_one(&al_registry, o->alist, (const void **)s->a, &s->na);
    if (rc == 0)
        rc = select_one(&gc_registry, o->clist, (const void **)s->c, &s->nc);
    if (rc == 0)
        rc = select_one(&wl_registry, o->wlist, (const void **)s->w, &s->nw);
    if (rc == 0)
        rc = select_threads(o->tlist, s);
    return rc;
}

static const char *why_unavailable(const mx_cell *x)
{
    const char *why = x->a->unavailable();
    return why ? why : x->c->unavailable();
}

/* A collector workload runs at more than one thread in the GIL model when
 * it has mutators of its own and the collector does not bring its own heap
 * (boehm: `run` refuses it, saying why). */
static int mutators_cell(const gc_strategy *c, const wl_workload *w)
{
    return w->mutators && c->needs.allocator == NULL;
}

/* Every pairing in the fixed order; returns the count (cells malloc'd). */
static size_t build_cells(const mx_sel *s, mx_cell **out)
{
    mx_cell *cells = calloc(s->na * (s->nc + 1) * s->nt * s->nw + 1, sizeof *cells);
    size_t n = 0;
    if (cells == NULL)
        return 0;
    for (size_t i = 0; i < s->na; i++)
        for (size_t j = 0; j < s->nc; j++)
            for (size_t k = 0; k < s->nw; k++) {
                char why[256];
                if (s->w[k]->heap || !gc_pairs(s->a[i], s->c[j], why, sizeof why))
                    continue;
                /* its 1-thread cell whatever the list, then one per count above 1 */
                for (size_t t = 0; t <= s->nt; t++) {
                    uint32_t threads = t == 0 ? 1 : s->t[t - 1];
                    if (t > 0 && (threads == 1 || !mutators_cell(s->c[j], s->w[k])))
                        continue;
                    mx_cell *x = &cells[n];
                    x->a = s->a[i];
                    x->c = s->c[j];
                    x->w = s->w[k];
                    x->threads = threads;
                    x->index = n++;
                    x->skip = why_unavailable(x);
                }
            }
    for (size_t i = 0; i < s->na; i++)
        n = add_heap_cells(s, i, cells, n);
    *out = cells;
    return n;
}

/* ---- The heap-factor axis ---- */

/* With --heap-factors, each cell becomes one per factor, in the factors'
 * order, renumbered in the new order (the shard's unit).  Returns the new
 * count, or 0 (no memory). */
static size_t spread_heap_factors(const mx_opts *o, mx_cell **cells, size_t n)
{
    if (o->nfactors == 0 || n == 0)
        return n;
    mx_cell *v = calloc(n * o->nfactors + 1, sizeof *v);
    if (v == NULL)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < o->nfactors; f++, k++) {
            v[k] = (*cells)[i];
            v[k].factor = o->factors[f];
            v[k].index = k;
        }
    free(*cells);
    *cells = v;
    return k;
}

/* --heap-factors decide the rows: part of the folder's identity. */
static void heap_factors_json(const mx_opts *o, FILE *f)
{
    if (o->nfactors == 0)
        return;
    fputs(", \"heap_factors\": [", f);
    for (size_t i = 0; i < o->nfactors; i++)
        fprintf(f, "%s%.17g", i ? ", " : "", o->factors[i]);
    fputc(']', f);
}

static int parse_heap_factors(const char *v, mx_opts *o)
{
    hb_err e;
    int n = hb_heap_factors_parse(v, o->factors, HB_MAX_HEAP_FACTORS, &e);
    if (n < 0)
        return hb_report_err("matrix", &e);
    o->nfactors = (size_t)n;
    return 0;
}

/* The factors set each cell's limit: a fixed one besides would be ignored.
 * A heap-factor sweep collects when the heap is full (--trigger full)
 * unless told otherwise: under growth the limit is only a cap. */
static int check_heap_factors(mx_opts *o)
{
    if (o->nfactors && o->set.heap_limit_bytes)
        return hb_usage_error("matrix", "both --heap-limit and --heap-factors given, expected "
                                        "one of them (the factors set each cell's limit)");
    if (o->nfactors && o->set.gcfg.trigger == NULL)
        o->set.gcfg.trigger = "full";
    hb_err e; /* before any cell runs: each would say the same */
    if (gc_trigger_check(o->set.gcfg.trigger, o->nfactors ? 1 : o->set.heap_limit_bytes, &e) != 0)
        return hb_report_err("matrix", &e);
    return 0;
}

/* " x1.5 (limit N)" for the progress lines: the limit the cell runs at. */
static void heap_factor_label(char *buf, size_t cap, const mx_cell *x)
{
    if (x->factor && x->min_heap)
        snprintf(buf, cap, " x%g (limit %" PRIu64 ")", x->factor,
                 hb_heap_factor_limit(x->factor, x->min_heap));
    else if (x->factor)
        snprintf(buf, cap, " x%g (no minimum heap)", x->factor);
    else if (cap)
        buf[0] = 0;
}

/* A row's heap_factor (NaN in rows written before the column) against a
 * cell's (0: none). */
static int same_factor(double row, double cell)
{
    return (isnan(row) ? 0 : row) == cell;
}

/* The heap-factor columns of a row of cell x. */
static void stamp_heap_factor(hb_row *r, const mx_cell *x)
{
    r->heap_factor = x->factor;
    r->min_heap_bytes = x->min_heap;
}

/* "_hf1.5" for a cell with a factor, "" without: series names stay apart. */
static void heap_factor_tag(char *buf, size_t cap, const mx_cell *x)
{
    if (x->factor)
        snprintf(buf, cap, "_hf%g", x->factor);
    else if (cap)
        buf[0] = 0;
}

/* The "settings" object of meta.json: everything that decides the rows:
 * the cell lists, every SWEEP setting of the list, and the build. */
static char *settings_json(const mx_opts *o, const mx_sel *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    fputs("{\"allocators\": [", f);
    for (size_t i = 0; i < s->na; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", s->a[i]->name);
    fputs("], \"collectors\": [", f);
    for (size_t i = 0; i < s->nc; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", s->c[i]->name);
    fputs("], \"workloads\": [", f);
    for (size_t i = 0; i < s->nw; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", s->w[i]->name);
    fputs("], ", f);
    threads_json(s, f);
    hb_settings_json(&o->set, f);
    heap_factors_json(o, f);
    fprintf(f, ", \"series\": %s, \"order\": \"shuffled rounds\", \"order_seed\": %llu, "
               "\"commit\": \"%s\", \"build_type\": \"%s\"}",
            o->series ? "true" : "false", (unsigned long long)MX_ORDER_SEED, HB_GIT_COMMIT,
            HB_BUILD_TYPE);
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

enum { O_OUT = 256, O_SHARD, O_SERIES, O_HELP, O_THREADS, O_HEAP_FACTORS, O_ROUNDS };

/* Ahead of the settings' options: getopt takes the first exact match, so
 * matrix's --threads (a list) stands in for run's (one count). */
static const struct option matrix_own_opts[] = {
    {"threads", required_argument, 0, O_THREADS},
    {"out", required_argument, 0, O_OUT},   {"shard", required_argument, 0, O_SHARD},
    {"series", no_argument, 0, O_SERIES},   {"help", no_argument, 0, O_HELP},
    {"heap-factors", required_argument, 0, O_HEAP_FACTORS},
    {"rounds", required_argument, 0, O_ROUNDS},
};

static int parse_shard(const char *v, mx_opts *o)
{
    unsigned i, n;
    char tail;
    if (sscanf(v, "%u/%u%c", &i, &n, &tail) != 2 || n == 0 || i >= n || n > 1000000)
        return hb_usage_error("matrix", "bad value '%s' for --shard, expected I/N with "
                              "0 <= I < N, e.g. 0/2", v);
    o->shard_i = i;
    o->shard_n = n;
    return 0;
}

static int parse_rounds(const char *v, mx_opts *o)
{
    uint64_t k;
    if (*v == '0' || hb_parse_u64(v, &k) != 0 || k > 1000000) /* 1.., no leading 0 */
        return hb_usage_error("matrix", "bad value '%s' for --rounds, expected a whole number "
                              "from 1 to 1000000", v);
    o->rounds = k;
    return 0;
}

static int parse_one(int opt, const char *v, mx_opts *o)
{
    switch (opt) {
    case 'a': o->alist = v; return 0;
    case 'c': o->clist = v; return 0;
    case 'w': o->wlist = v; return 0;
    case O_OUT: o->out = v; return 0;
    case O_SHARD: return parse_shard(v, o);
    case O_SERIES: o->series = 1; return 0;
    case O_HEAP_FACTORS: return parse_heap_factors(v, o);
    case O_ROUNDS: return parse_rounds(v, o);
    case O_THREADS: o->tlist = v; return 0;
    default: return hb_setting_option("matrix", &o->set, opt, v);
    }
}

/* matrix's own default over the list's: 6 measured repetitions, the fewest
 * whose [min, max] covers the median with 95% (96.9%; 5 give 93.75%). */
static void matrix_defaults(mx_opts *o)
{
    *o = (mx_opts){.shard_n = 1};
    hb_settings_defaults(&o->set);
    hb_setting_set(&o->set, HB_SETTING_reps, "6", NULL);
}

/* Returns -1 for --help (usage printed), 0, or a usage error's status. */
static int parse_matrix_opts(int argc, char **argv, mx_opts *o)
{
    struct option opts[64];
    size_t n = sizeof matrix_own_opts / sizeof matrix_own_opts[0];
    memcpy(opts, matrix_own_opts, sizeof matrix_own_opts);
    hb_setting_options(opts, &n, sizeof opts / sizeof opts[0] - 1);
    opts[n] = (struct option){0, 0, 0, 0};
    matrix_defaults(o);
    optind = 0; /* glibc: a full re-initialisation, so repeated calls work */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":a:c:w:h", opts, NULL)) != -1) {
        if (opt == 'h' || opt == O_HELP) {
            fputs(matrix_usage_head, stdout);
            hb_setting_help(stdout);
            fputs(matrix_usage_tail, stdout);
            return -1;
        }
        if (opt == ':')
            return hb_usage_error("matrix", "option '%s' needs a value", argv[optind - 1]);
        if (opt == '?')
            return hb_usage_error("matrix", "unknown option '%s' (see heapbench matrix --help)",
                                  argv[optind - 1]);
        int rc = parse_one(opt, optarg, o);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return hb_usage_error("matrix", "unexpected argument '%s' (see heapbench matrix --help)",
                              argv[optind]);
    return check_heap_factors(o);
}

/* ------------------------------------------------------------------ */
/* The results folder                                                   */
/* ------------------------------------------------------------------ */

/* mkdir -p, with the message on stderr. */
static int make_dirs(const char *path)
{
    hb_err e;
    if (hb_mkdirs(path, &e) == 0)
        return 0;
    hb_report_err("matrix", &e);
    return -1;
}

/* results/<date>-<id>[-s<I>of<N>], reusing a folder of another date with
 * the same id, so that the same command resumes the same sweep. */
static void default_dir(const mx_opts *o, const char *id, char *out, size_t cap)
{
    char suffix[64] = "";
    if (o->shard_n > 1)
        snprintf(suffix, sizeof suffix, "-s%uof%u", o->shard_i, o->shard_n);
    char pattern[128];
    snprintf(pattern, sizeof pattern, "results/*-%s%s", id, suffix);
    glob_t g;
    if (glob(pattern, GLOB_ONLYDIR, NULL, &g) == 0 && g.gl_pathc > 0) {
        snprintf(out, cap, "%s", g.gl_pathv[g.gl_pathc - 1]);
        globfree(&g);
        return;
    }
    globfree(&g);
    char date[16];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    snprintf(out, cap, "results/%s-%s%s", date, id, suffix);
}

/* The first member of two settings objects whose values differ: the cell
 * lists, the list's SWEEP settings, then what settings_json adds. */
void hb_settings_diff(const char *a, const char *b, char *msg, size_t cap)
{
    const char *keys[HB_SETTING_COUNT + 8] = {"allocators", "collectors", "workloads",
                                              "thread_counts"};
    size_t n = 4 + hb_settings_json_keys(keys + 4, HB_SETTING_COUNT);
    keys[n++] = "heap_factors";
    keys[n++] = "series";
    keys[n++] = "order";
    keys[n++] = "order_seed";
    keys[n++] = "commit";
    keys[n++] = "build_type";
    const char *ae = a + strlen(a), *be = b + strlen(b);
    snprintf(msg, cap, "settings differ");
    for (size_t i = 0; i < n; i++) {
        size_t la = 0, lb = 0;
        const char *va = hb_json_find(a, ae, keys[i], &la), *vb = hb_json_find(b, be, keys[i], &lb);
        if ((va == NULL && vb == NULL) || (va && vb && la == lb && memcmp(va, vb, la) == 0))
            continue; /* absent from both (thread_counts of a one-thread sweep) is equal */
        snprintf(msg, cap, "%s is %.*s in one and %.*s in the other", keys[i], (int)(va ? la : 4),
                 va ? va : "none", (int)(vb ? lb : 4), vb ? vb : "none");
        return;
    }
}

/* The raw "settings" of a meta.json text (malloc'd), or NULL. */
char *hb_meta_settings(const char *meta)
{
    size_t len;
    const char *v = hb_json_find(meta, meta + strlen(meta), "settings", &len);
    return v ? strndup(v, len) : NULL;
}

/* Writes meta.json, or checks that an existing one has our settings. */
static int prepare_meta(const char *dir, const char *settings, const hb_meta *m)
{
    char path[MX_PATH];
    hb_path(path, sizeof path, "%s/meta.json", dir);
    char *old = hb_read_file(path, NULL);
    if (old == NULL) {
        hb_err e;
        if (errno != ENOENT) {
            fprintf(stderr, "heapbench matrix: cannot read %s: %s\n", path, strerror(errno));
            return -1;
        }
        if (hb_meta_write(path, m, &e) != 0) {
            hb_report_err("matrix", &e);
            return -1;
        }
        return 0;
    }
    char *theirs = hb_meta_settings(old);
    int rc = 0;
    if (theirs == NULL || strcmp(theirs, settings) != 0) {
        char msg[512] = "it has no settings";
        if (theirs)
            hb_settings_diff(theirs, settings, msg, sizeof msg);
        fprintf(stderr,
                "heapbench matrix: %s holds results of other settings (%s); "
                "choose another --out, expected a new folder or one written by this command\n",
                dir, msg);
        rc = -1;
    }
    free(theirs);
    free(old);
    return rc;
}

/* Marks the repetitions rows.csv holds, and the cells with a row not ok.
 * -1 if unreadable. */
static int mark_done(const char *dir, mx_cell *cells, size_t n, uint64_t reps)
{
    char path[MX_PATH];
    hb_err e;
    for (size_t i = 0; i < n; i++)
        if ((cells[i].have = calloc(reps + 1, 1)) == NULL)
            return -1;
    hb_path(path, sizeof path, "%s/rows.csv", dir);
    if (access(path, F_OK) != 0)
        return 0;
    hb_row *rows;
    char *arena;
    long nr = hb_rows_read_csv(path, &rows, &arena, &e);
    if (nr < 0) {
        fprintf(stderr, "heapbench matrix: cannot resume from %s: %s\n", path, e.msg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        mx_cell *x = &cells[i];
        for (long r = 0; r < nr; r++) {
            const hb_row *w = &rows[r];
            if (strcmp(w->allocator, x->a->name) || strcmp(w->collector, x->c->name) ||
                strcmp(w->workload, x->w->name) || (w->threads > 1 ? w->threads : 1) != x->threads ||
                !same_factor(w->heap_factor, x->factor))
                continue;
            if (strcmp(w->status, "ok") != 0)
                x->failed = 1;
            if (w->rep >= 1 && w->rep <= reps && !x->have[w->rep]) {
                x->have[w->rep] = 1;
                x->nhave++;
            }
        }
    }
    hb_rows_free(rows, arena);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Running a cell                                                       */
/* ------------------------------------------------------------------ */

/* The row of one repetition, collected without allocating while hb_run
 * runs (the malloc backend's footprint is read process-wide). */
typedef struct mx_batch {
    const mx_cell *cell;
    uint64_t rep; /* the repetition's number in the cell */
    hb_row row;
    char status[32];
    size_t n;
} mx_batch;

static int collect_row(void *arg, const hb_row *row)
{
    mx_batch *b = arg;
    if (b->n == 1)
        return 0; /* hb_run runs one repetition here: cannot happen */
    b->row = *row;
    snprintf(b->status, sizeof b->status, "%s", row->status ? row->status : "error");
    b->row.status = b->status;
    b->row.allocator = b->cell->a->name;
    b->row.collector = b->cell->c->name;
    b->row.workload = b->cell->w->name;
    b->row.rep = b->rep;
    stamp_heap_factor(&b->row, b->cell);
    b->n = 1;
    return 0;
}

/* A row that records why the cell stopped when hb_run said 2 (a setup
 * error, message on stderr). */
static void error_row(mx_batch *b, const mx_opts *o)
{
    hb_row *r = &b->row;
    memset(r, 0, sizeof *r);
    r->allocator = b->cell->a->name;
    r->collector = b->cell->c->name;
    r->workload = b->cell->w->name;
    r->scale = o->set.wp.scale;
    r->seed = o->set.wp.seed;
    r->rep = b->rep;
    r->threads = b->cell->threads;
    stamp_heap_factor(r, b->cell);
    snprintf(b->status, sizeof b->status, "error");
    r->status = b->status;
    b->n = 1;
}

static void series_name(char *buf, size_t cap, const char *dir, const mx_cell *x, const char *tail)
{
    char t[16] = "", hf[48];
    if (x->threads > 1) /* a thread count's own files; 1 keeps the old names */
        snprintf(t, sizeof t, "_t%u", x->threads);
    heap_factor_tag(hf, sizeof hf, x);
    hb_path(buf, cap, "%s/series/%s_%s_%s%s%s%s", dir, x->a->name, x->c->name, x->w->name, t, hf,
            tail);
}

/* Moves the repetition's series file (hb_run numbers it 1 in the first
 * column) to series/<cell>_rep<k>.csv with k in that column, written whole
 * or not at all; removes the temporary file. */
static int place_series(const char *dir, const mx_cell *x, uint64_t rep)
{
    char tmp[MX_PATH], final[MX_PATH], line[1024], tail[64];
    series_name(tmp, sizeof tmp, dir, x, ".rep.csv");
    FILE *in = fopen(tmp, "r");
    if (in == NULL)
        return -1;
    snprintf(tail, sizeof tail, "_rep%" PRIu64 ".csv", rep);
    series_name(final, sizeof final, dir, x, tail);
    hb_atomic out = {0};
    int rc = fgets(line, sizeof line, in) && hb_atomic_open(&out, final, NULL) == 0 ? 0 : -1;
    if (rc == 0) {
        fputs(line, out.f); /* the header */
        while (fgets(line, sizeof line, in)) {
            const char *rest = strchr(line, ',');
            fprintf(out.f, "%" PRIu64 "%s", rep, rest ? rest : "\n");
        }
        rc = hb_atomic_commit(&out, NULL);
    }
    fclose(in);
    unlink(tmp);
    return rc;
}

/* With --heap-factors: the cell's limit, factor x its minimum heap (found
 * before round 1, find_min_heaps).  0, or 2 (e) when the cell has none: its
 * run fails even without a limit, and the cell gets an "error" row saying
 * so, as for a setup error. */
static int cell_heap_limit(const mx_cell *x, hb_run_config *cfg, hb_err *e)
{
    if (x->factor == 0)
        return 0;
    if (x->min_heap == 0) {
        hb_fail(e, HB_ERR_INPUT, "%s/%s/%s has no minimum heap (minheap.csv: its run without a "
                                 "limit does not end ok), so no heap factor applies", x->a->name,
                x->c->name, x->w->name);
        return 2;
    }
    cfg->heap_limit_bytes = hb_heap_factor_limit(x->factor, x->min_heap);
    return 0;
}

/* Runs repetition `rep` of a cell and appends its row.  Returns hb_run's
 * status (0, 1, 130) with 2 turned into an "error" row, or -1 when rows.csv
 * cannot be written. */
static int run_rep(const char *dir, const mx_opts *o, mx_cell *x, uint64_t rep)
{
    mx_batch b = {.cell = x, .rep = rep};
    char series[MX_PATH], rows_path[MX_PATH];
    series_name(series, sizeof series, dir, x, ".rep.csv");
    hb_path(rows_path, sizeof rows_path, "%s/rows.csv", dir);
    hb_run_config cfg = o->set;
    cfg.reps = 1;
    cfg.alloc = x->a->name;
    cfg.coll = x->c == &mx_none ? NULL : x->c->name;
    cfg.work = x->w->name;
    cfg.acfg.threads = x->threads;
    cfg.series_path = o->series ? series : NULL;
    cfg.progress = 0; /* the matrix shows its own, per repetition */
    cfg.on_note = hb_print_note;
    hb_err e;
    hb_err_clear(&e);
    int rc = cell_heap_limit(x, &cfg, &e);
    if (rc == 0)
        rc = hb_run(&cfg, collect_row, &b, &e);
    if (rc == 2)
        hb_report_err("matrix", &e);
    if (rc == 2 || rc == 3)
        error_row(&b, o);
    if (rc == 0 || rc == 1 || rc == 2 || rc == 3) {
        if (o->series && rc != 2 && rc != 3 && place_series(dir, x, rep) != 0)
            fprintf(stderr, "heapbench matrix: could not write the series of %s/%s/%s rep %" PRIu64
                            "\n", x->a->name, x->c->name, x->w->name, rep);
        if (b.n && hb_rows_append_csv(rows_path, &b.row, 1, &e) != 0) {
            fprintf(stderr, "heapbench matrix: cannot append to %s: %s\n", rows_path, e.msg);
            return -1;
        }
        x->have[rep] = 1;
        x->nhave++;
        x->failed |= rc > 0;
        if (rc > 0)
            rc = 1;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Progress                                                             */
/* ------------------------------------------------------------------ */

typedef struct mx_progress {
    size_t total, done;  /* repetitions of this shard's cells to run; done so far */
    size_t ran;          /* run by this invocation */
    uint64_t start_ns;
    int tty;
} mx_progress;

static void fmt_duration(char *buf, size_t cap, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

/* "[done/total] cell rep k: what  elapsed E, about L left"; the estimate is
 * the mean time of the repetitions this invocation ran, times those left. */
static void show_progress(const mx_progress *p, const mx_cell *x, uint64_t rep, const char *what)
{
    double el = (double)(hb_now_ns() - p->start_ns) / 1e9;
    char e[32], l[32] = "?";
    fmt_duration(e, sizeof e, el);
    if (p->ran)
        fmt_duration(l, sizeof l, el / (double)p->ran * (double)(p->total - p->done));
    char hf[64];
    heap_factor_label(hf, sizeof hf, x);
    fprintf(stderr, "%s[%zu/%zu] %s/%s/%s%s rep %" PRIu64 ": %s  elapsed %s, about %s left%s",
            p->tty ? "\r\033[K" : "", p->done, p->total, x->a->name, x->c->name, x->w->name, hf,
            rep, what, e, l, p->tty ? "" : "\n");
}

/* ------------------------------------------------------------------ */
/* heapbench matrix                                                     */
/* ------------------------------------------------------------------ */

typedef struct mx_plan {
    mx_opts o;
    mx_sel sel;
    mx_cell *cells;
    size_t ncells;
    char dir[MX_PATH];
    char *settings;
    char id[8];
} mx_plan;

static int plan_matrix(int argc, char **argv, mx_plan *p)
{
    int rc = parse_matrix_opts(argc, argv, &p->o);
    if (rc)
        return rc;
    if ((rc = select_all(&p->o, &p->sel)) != 0)
        return rc;
    p->ncells = spread_heap_factors(&p->o, &p->cells, build_cells(&p->sel, &p->cells));
    if (p->ncells == 0)
        return hb_usage_error("matrix", "no allocator pairs with the chosen collectors (a "
                                        "collector with its own allocator needs that one in -a)");
    if ((p->settings = settings_json(&p->o, &p->sel)) == NULL)
        return HB_EXIT_FAIL;
    snprintf(p->id, sizeof p->id, "%06" PRIx64,
             hb_hash64(p->settings, strlen(p->settings)) & 0xffffff);
    if (p->o.out && hb_path(p->dir, sizeof p->dir, "%s", p->o.out))
        return hb_usage_error("matrix", "--out path too long, expected under %d bytes", MX_PATH);
    if (p->o.out == NULL)
        default_dir(&p->o, p->id, p->dir, sizeof p->dir);
    return 0;
}

/* Notes on skipped cells (malloc'd strings), for stderr and meta.json. */
static size_t skip_notes(const mx_plan *p, char **notes, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < p->ncells && n < cap; i++) {
        const mx_cell *x = &p->cells[i];
        if (x->index % p->o.shard_n != p->o.shard_i || x->skip == NULL)
            continue;
        if (asprintf(&notes[n], "%s/%s/%s: %s", x->a->name, x->c->name, x->w->name, x->skip) > 0)
            n++;
    }
    return n;
}

static int open_folder(mx_plan *p, int argc, char **argv, char **notes, size_t nnotes)
{
    char start[32], sub[MX_PATH];
    hb_utc_now(start, sizeof start);
    const char *names[MX_MAX_NAMES];
    for (size_t i = 0; i < p->sel.na; i++)
        names[i] = p->sel.a[i]->name;
    hb_meta m = {
        .settings_json = p->settings, .settings_id = p->id,
        .shard_index = p->o.shard_i, .shard_count = p->o.shard_n,
        .argc = argc, .argv = argv, .start_time = start,
        .allocators = names, .nallocators = p->sel.na,
        .skipped = (const char *const *)notes, .nskipped = nnotes,
    };
    hb_path(sub, sizeof sub, "%s/series", p->dir);
    if (make_dirs(p->dir) || (p->o.series && make_dirs(sub)))
        return HB_EXIT_USAGE;
    if (prepare_meta(p->dir, p->settings, &m))
        return HB_EXIT_USAGE;
    if (mark_done(p->dir, p->cells, p->ncells, p->o.set.reps))
        return HB_EXIT_USAGE;
    return 0;
}

static int mine(const mx_plan *p, const mx_cell *x)
{
    return x->index % p->o.shard_n == p->o.shard_i && x->skip == NULL;
}

/* Repetitions a cell still owes: none once a row of it is not ok. */
static uint64_t owed(const mx_plan *p, const mx_cell *x)
{
    return x->failed ? 0 : p->o.set.reps - x->nhave;
}

/* Adds this invocation's running time to meta.json's "elapsed" member (the
 * last one, written here only), so that a resumed sweep states its whole
 * time: {"matrix_s", "repetitions_run", "invocations", "end_time"}. */
static void record_elapsed(const char *dir, double seconds, size_t ran)
{
    char path[MX_PATH], now[32];
    hb_path(path, sizeof path, "%s/meta.json", dir);
    char *old = hb_read_file(path, NULL);
    if (old == NULL)
        return;
    size_t len = strlen(old), vlen = 0, l = 0;
    double before = 0, runs = 0, inv = 0;
    const char *v = hb_json_find(old, old + len, "elapsed", &vlen), *f;
    if (v && (f = hb_json_find(v, v + vlen, "matrix_s", &l)))
        before = hb_json_number(f, l);
    if (v && (f = hb_json_find(v, v + vlen, "repetitions_run", &l)))
        runs = hb_json_number(f, l);
    if (v && (f = hb_json_find(v, v + vlen, "invocations", &l)))
        inv = hb_json_number(f, l);
    const char *cut = strstr(old, ",\n  \"elapsed\": ");
    size_t keep = cut ? (size_t)(cut - old) : len;
    while (!cut && keep > 0 && old[keep - 1] != '}')
        keep--;
    if (!cut && keep > 0)
        keep--; /* the closing brace */
    while (!cut && keep > 0 && (old[keep - 1] == '\n' || old[keep - 1] == ' '))
        keep--;
    hb_utc_now(now, sizeof now);
    hb_atomic a;
    if (hb_atomic_open(&a, path, NULL) == 0) {
        fprintf(a.f, "%.*s,\n  \"elapsed\": {\"matrix_s\": %.1f, \"repetitions_run\": %.0f, "
                     "\"invocations\": %.0f, \"end_time\": \"%s\"}\n}\n",
                (int)keep, old, (isnan(before) ? 0 : before) + seconds,
                (isnan(runs) ? 0 : runs) + (double)ran, (isnan(inv) ? 0 : inv) + 1, now);
        hb_atomic_commit(&a, NULL);
    }
    free(old);
}

/* Runs one repetition and keeps the counts; -1 or 130 stop the sweep. */
static int step(mx_plan *p, mx_progress *pr, mx_cell *x, uint64_t k, int shown)
{
    if (pr->tty)
        show_progress(pr, x, k, "running");
    int rc = run_rep(p->dir, &p->o, x, k);
    if (rc < 0 || rc == 130)
        return rc;
    pr->done++;
    pr->ran++;
    if (x->failed) /* what it still owed will not run */
        pr->total -= (size_t)(p->o.set.reps - x->nhave);
    if (shown)
        show_progress(pr, x, k, rc ? "NOT ok (see its row's status)" : "ok");
    return rc;
}

/* ---- Minimum heaps, before round 1 (--heap-factors) ---- */

static void show_min_probe(void *arg, const hb_minheap *m, uint64_t limit, const char *status)
{
    (void)arg;
    fprintf(stderr, "\r\033[Kheapbench matrix: minimum heap of %s/%s/%s: probe %" PRIu64
                    " limit %" PRIu64 ": %s", m->allocator, m->collector, m->workload, m->probes,
            limit, status);
}

/* The minimum heap of cell x's allocator x collector x workload: from a
 * cell of the same three already asked, else minheap.csv or a search.
 * 0, or 130 when interrupted. */
static int min_heap_of(mx_plan *p, mx_cell *x, int tty, int shown)
{
    for (size_t i = 0; i < p->ncells; i++) {
        const mx_cell *y = &p->cells[i];
        if (y != x && y->min_heap && y->a == x->a && y->c == x->c && y->w == x->w) {
            x->min_heap = y->min_heap;
            return 0;
        }
    }
    hb_run_config cfg = p->o.set;
    cfg.alloc = x->a->name;
    cfg.coll = x->c->name;
    cfg.work = x->w->name;
    cfg.series_path = NULL;
    cfg.progress = 0;
    hb_minheap_opts mo = {.tol = 0.01, .on_probe = tty ? show_min_probe : NULL};
    hb_minheap m;
    hb_err e;
    hb_err_clear(&e);
    int cached = 0;
    int rc = hb_minheap_get(p->dir, &cfg, &mo, &m, &cached, &e);
    if (tty)
        fputs("\r\033[K", stderr);
    if (rc == 130)
        return rc;
    if (rc == 2) /* the cell's rows will say error (cell_heap_limit) */
        hb_report_err("matrix", &e);
    else if (shown || m.min_heap_bytes == 0)
        fprintf(stderr, "heapbench matrix: minimum heap of %s/%s/%s: %" PRIu64 " bytes (%s, %s%"
                        PRIu64 " probes)\n", x->a->name, x->c->name, x->w->name,
                m.min_heap_bytes, m.status, cached ? "from minheap.csv, " : "", m.probes);
    x->min_heap = rc == 0 ? m.min_heap_bytes : 0;
    return 0;
}

/* Every cell of this shard with a heap factor that still owes repetitions
 * learns its minimum heap.  0, or 130. */
static int find_min_heaps(mx_plan *p)
{
    int shown = p->o.set.progress, tty = shown && isatty(STDERR_FILENO);
    for (size_t i = 0; i < p->ncells && !hb_interrupted; i++) {
        mx_cell *x = &p->cells[i];
        if (x->factor == 0 || !mine(p, x) || owed(p, x) == 0 || x->min_heap)
            continue;
        if (min_heap_of(p, x, tty, shown) == 130)
            return 130;
    }
    return hb_interrupted ? 130 : 0;
}

/* Round k's order of the n cells: a Fisher-Yates shuffle from MX_ORDER_SEED
 * and k, the same on every run. */
static void round_order(size_t *order, size_t n, uint64_t k)
{
    hb_rng r;
    hb_rng_seed(&r, MX_ORDER_SEED ^ (k * 0x9e3779b97f4a7c15u));
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)hb_rng_below(&r, i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

static int run_cells(mx_plan *p)
{
    int shown = p->o.set.progress; /* --no-progress: no line per repetition either */
    mx_progress pr = {.start_ns = hb_now_ns(), .tty = shown && isatty(STDERR_FILENO)};
    int status = HB_EXIT_OK;
    for (size_t i = 0; i < p->ncells; i++)
        if (mine(p, &p->cells[i])) {
            pr.done += p->cells[i].nhave;
            pr.total += p->cells[i].nhave + owed(p, &p->cells[i]);
            if (p->cells[i].failed)
                status = HB_EXIT_FAIL;
        }
    if (pr.done)
        fprintf(stderr, "heapbench matrix: resuming %s: %zu of %zu repetitions already done\n",
                p->dir, pr.done, pr.total);
    hb_install_sigint();
    uint64_t t0 = pr.start_ns; /* the searches count in "elapsed", not in the estimate */
    int rc = find_min_heaps(p);
    pr.start_ns = hb_now_ns();
    /* Round k runs repetition k of every cell that lacks it, in round k's
     * order. */
    uint64_t last = p->o.rounds && p->o.rounds < p->o.set.reps ? p->o.rounds : p->o.set.reps;
    size_t *order = malloc((p->ncells ? p->ncells : 1) * sizeof *order);
    if (order == NULL)
        return HB_EXIT_FAIL;
    for (uint64_t k = 1; k <= last && rc >= 0 && rc != 130 && !hb_interrupted; k++) {
        round_order(order, p->ncells, k);
        for (size_t j = 0; j < p->ncells && rc >= 0 && rc != 130 && !hb_interrupted; j++) {
            mx_cell *x = &p->cells[order[j]];
            if (!mine(p, x) || x->failed || x->have[k])
                continue;
            if ((rc = step(p, &pr, x, k, shown)) > 0 && rc != 130)
                status = HB_EXIT_FAIL;
        }
    }
    free(order);
    if (pr.ran)
        record_elapsed(p->dir, (double)(hb_now_ns() - t0) / 1e9, pr.ran);
    if (rc < 0)
        return HB_EXIT_FAIL;
    if (pr.tty)
        fputc('\n', stderr);
    fprintf(stderr, "heapbench matrix: %s%zu repetitions ran, %zu of %zu done; results in %s\n",
            hb_interrupted ? "interrupted: the repetition in progress was dropped; " : "", pr.ran,
            pr.done, pr.total, p->dir);
    if (hb_interrupted)
        return HB_EXIT_INTERRUPTED;
    return status;
}

int hb_cmd_matrix(int argc, char **argv)
{
    mx_plan p;
    memset(&p, 0, sizeof p);
    char *notes[256];
    size_t nnotes = 0;
    int rc = plan_matrix(argc, argv, &p);
    if (rc == 0) {
        nnotes = skip_notes(&p, notes, sizeof notes / sizeof notes[0]);
        for (size_t i = 0; i < nnotes; i++)
            fprintf(stderr, "heapbench matrix: skipping %s\n", notes[i]);
        rc = open_folder(&p, argc, argv, notes, nnotes);
    }
    if (rc == 0)
        rc = run_cells(&p);
    for (size_t i = 0; i < nnotes; i++)
        free(notes[i]);
    for (size_t i = 0; i < p.ncells; i++)
        free(p.cells[i].have);
    free(p.cells);
    free(p.settings);
    return rc < 0 ? HB_EXIT_OK : rc; /* -1: --help */
}

