/*
 * harness/cli/cmd_matrix.c -- `heapbench matrix` and `heapbench merge`: every chosen
 * allocator x collector x workload into one resumable results folder, and
 * the joining of folders that shards of one sweep wrote.
 *
 * Cells come in a fixed order (allocators, then collectors, then workloads,
 * each in the order given or registered) and are numbered before anything
 * about this machine is asked, so `--shard I/N` (cells whose number mod N is
 * I) names the same slice on every machine even when one lacks a library.
 * A pairing is not a cell at all when a collector brings its own allocator
 * (gc_strategy.requires_allocator): it pairs with that allocator only, and
 * that allocator with such collectors only.  A cell whose allocator or
 * collector is unavailable in this build is skipped with a note.
 *
 * Resuming: a cell's rows are appended to rows.csv in one atomic write when
 * the cell ends, so a kill loses at most the cell in progress.  A cell is
 * done when rows.csv holds each of its repetitions, or any row of it whose
 * status is not "ok" (the row says why; rerunning would say it again).
 * meta.json's settings must match the command's, or the folder is refused:
 * rows of two different sweeps never mix.
 *
 * Each repetition runs in a child process of its own (hb_run's isolate), so
 * no cell inherits the C library heap of the ones before it (the malloc
 * backend's footprint, mallinfo2, and the peak RSS are process-wide), and a
 * crash costs one row, with status "crash".
 *
 * hb_run writes one series file per cell (a rep column, 1-based); it is
 * split here into series/<alloc>_<coll>_<work>_rep<k>.csv, each written to
 * a temporary name and renamed.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/core/clock.h"
#include "harness/formats/machine.h"
#include "harness/formats/results.h"
#include "harness/run/run.h"
#include "build_info.h"

#define MX_MAX_NAMES 64
#define MX_PATH 4096

/* snprintf for paths: the compiler cannot bound them, and a path that does
 * not fit is an error (-1, ENAMETOOLONG) rather than a silent truncation. */
__attribute__((format(printf, 3, 4))) static int mkpath(char *buf, size_t cap, const char *fmt,
                                                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static const char matrix_usage[] =
    "usage: heapbench matrix [options]\n"
    "\n"
    "Runs every chosen allocator x collector x workload into a results folder:\n"
    "rows.csv (one row per repetition), meta.json (machine, build, settings) and,\n"
    "with --series, series/<alloc>_<coll>_<work>_rep<k>.csv.  Rerunning the same\n"
    "command resumes: cells whose rows are all present are skipped.\n"
    "\n"
    "  -a LIST            allocators, comma-separated; default every registered one\n"
    "  -c LIST            collectors; default every registered one\n"
    "  -w LIST            workloads; default every registered one\n"
    "      --scale S      amount of work, > 0; default 1.0\n"
    "      --reps R       measured repetitions per cell, >= 1; default 6 (the fewest\n"
    "                     for which a median has a 95% distribution-free interval)\n"
    "      --warmup K     repetitions run first in each cell, not reported; default 1\n"
    "      --seed N       the generators' seed; default 1\n"
    "      --out DIR      the results folder; default results/<date>-<id>, where id\n"
    "                     is a hash of the settings (an existing one is reused)\n"
    "      --shard I/N    run only cells whose number mod N is I (0 <= I < N)\n"
    "      --series       write time series per repetition\n"
    "      --heap-limit SIZE  refuse allocations past SIZE live bytes (K, M, G)\n"
    "\n"
    "Exit status: 0 every cell ok, 1 some cell not ok, 2 bad usage, 130 interrupted.\n";

static const char merge_usage[] =
    "usage: heapbench merge OUT DIR...\n"
    "\n"
    "Joins results folders written by `heapbench matrix --shard` into OUT: rows\n"
    "deduplicated by allocator, collector, workload and repetition, series files\n"
    "copied, and a meta.json that lists every shard's own meta.json.  Folders\n"
    "whose settings differ are refused.\n";

/* ------------------------------------------------------------------ */
/* Settings and cells                                                   */
/* ------------------------------------------------------------------ */

typedef struct mx_opts {
    const char *alist, *clist, *wlist, *out;
    double scale;
    uint64_t reps, warmup, seed, heap_limit;
    unsigned shard_i, shard_n;
    int series;
} mx_opts;

typedef struct mx_cell {
    const al_backend *a;
    const gc_strategy *c;
    const wl_workload *w;
    size_t index;     /* in the full, unsharded order */
    const char *skip; /* why it cannot run here, or NULL */
    int done, failed; /* from rows.csv */
} mx_cell;

typedef struct mx_sel {
    const al_backend *a[MX_MAX_NAMES];
    const gc_strategy *c[MX_MAX_NAMES];
    const wl_workload *w[MX_MAX_NAMES];
    size_t na, nc, nw;
} mx_sel;

/* Splits a comma list and looks each name up with find(); usage error on
 * an unknown or repeated name, naming the valid choices. */
static int resolve_list(const char *what, const char *list, const void **out, size_t *n,
                        const void *(*find)(const char *), void (*names)(char *, size_t))
{
    char buf[1024], *save = NULL;
    if (mkpath(buf, sizeof buf, "%s", list))
        return hb_usage_error("matrix", "the %s list is too long", what);
    *n = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const void *p = find(tok);
        if (p == NULL) {
            char valid[512];
            names(valid, sizeof valid);
            return hb_usage_error("matrix", "unknown %s '%s', expected one of: %s", what, tok,
                                  valid);
        }
        for (size_t i = 0; i < *n; i++)
            if (out[i] == p)
                return hb_usage_error("matrix", "%s '%s' is named twice", what, tok);
        if (*n == MX_MAX_NAMES)
            return hb_usage_error("matrix", "more than %d %ss", MX_MAX_NAMES, what);
        out[(*n)++] = p;
    }
    if (*n == 0)
        return hb_usage_error("matrix", "empty %s list, expected names separated by commas", what);
    return 0;
}

static const void *find_a(const char *s) { return al_find(s); }
static const void *find_c(const char *s) { return gc_find(s); }
static const void *find_w(const char *s) { return wl_find(s); }

static int select_all(const mx_opts *o, mx_sel *s)
{
    memset(s, 0, sizeof *s);
    int rc = 0;
    if (o->alist)
        rc = resolve_list("allocator", o->alist, (const void **)s->a, &s->na, find_a, al_names);
    else
        for (size_t i = 0; i < al_backend_count && i < MX_MAX_NAMES; i++)
            s->a[s->na++] = al_backends[i];
    if (rc == 0 && o->clist)
        rc = resolve_list("collector", o->clist, (const void **)s->c, &s->nc, find_c, gc_names);
    else if (rc == 0)
        for (size_t i = 0; i < gc_strategy_count && i < MX_MAX_NAMES; i++)
            s->c[s->nc++] = gc_strategies[i];
    if (rc == 0 && o->wlist)
        rc = resolve_list("workload", o->wlist, (const void **)s->w, &s->nw, find_w, wl_names);
    else if (rc == 0)
        for (size_t i = 0; i < wl_workload_count && i < MX_MAX_NAMES; i++)
            s->w[s->nw++] = wl_workloads[i];
    return rc;
}

/* An allocator that some registered collector requires is that collector's
 * own (boehm's heap): it pairs with nothing else. */
static int exclusive_allocator(const al_backend *a)
{
    for (size_t i = 0; i < gc_strategy_count; i++) {
        const char *req = gc_strategies[i]->requires_allocator;
        if (req && strcmp(req, a->name) == 0)
            return 1;
    }
    return 0;
}

static int pairs(const al_backend *a, const gc_strategy *c)
{
    if (c->requires_allocator)
        return strcmp(c->requires_allocator, a->name) == 0;
    return !exclusive_allocator(a);
}

static const char *why_unavailable(const mx_cell *x)
{
    if (x->a->unavailable && x->a->unavailable())
        return x->a->unavailable();
    if (x->c->unavailable && x->c->unavailable())
        return x->c->unavailable();
    return NULL;
}

/* Every pairing in the fixed order; returns the count (cells malloc'd). */
static size_t build_cells(const mx_sel *s, mx_cell **out)
{
    mx_cell *cells = calloc(s->na * s->nc * s->nw + 1, sizeof *cells);
    size_t n = 0;
    if (cells == NULL)
        return 0;
    for (size_t i = 0; i < s->na; i++)
        for (size_t j = 0; j < s->nc; j++)
            for (size_t k = 0; k < s->nw; k++) {
                if (!pairs(s->a[i], s->c[j]))
                    continue;
                mx_cell *x = &cells[n];
                x->a = s->a[i];
                x->c = s->c[j];
                x->w = s->w[k];
                x->index = n++;
                x->skip = why_unavailable(x);
            }
    *out = cells;
    return n;
}

/* The "settings" object of meta.json: everything that decides the rows. */
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
    fprintf(f,
            "], \"scale\": %.17g, \"seed\": %" PRIu64 ", \"reps\": %" PRIu64
            ", \"warmup\": %" PRIu64 ", \"heap_limit_bytes\": %" PRIu64
            ", \"series\": %s, \"commit\": \"%s\", \"build_type\": \"%s\"}",
            o->scale, o->seed, o->reps, o->warmup, o->heap_limit, o->series ? "true" : "false",
            HB_GIT_COMMIT, HB_BUILD_TYPE);
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

enum { O_SCALE = 256, O_REPS, O_WARMUP, O_SEED, O_OUT, O_SHARD, O_SERIES, O_LIMIT, O_HELP };

static const struct option matrix_opts[] = {
    {"scale", required_argument, 0, O_SCALE},   {"reps", required_argument, 0, O_REPS},
    {"warmup", required_argument, 0, O_WARMUP}, {"seed", required_argument, 0, O_SEED},
    {"out", required_argument, 0, O_OUT},       {"shard", required_argument, 0, O_SHARD},
    {"series", no_argument, 0, O_SERIES},       {"heap-limit", required_argument, 0, O_LIMIT},
    {"help", no_argument, 0, O_HELP},           {0, 0, 0, 0},
};

static int bad_value(const char *opt, const char *v, const char *expected)
{
    return hb_usage_error("matrix", "bad value '%s' for %s, expected %s", v, opt, expected);
}

static int parse_shard(const char *v, mx_opts *o)
{
    unsigned i, n;
    char tail;
    if (sscanf(v, "%u/%u%c", &i, &n, &tail) != 2 || n == 0 || i >= n || n > 1000000)
        return bad_value("--shard", v, "I/N with 0 <= I < N, e.g. 0/2");
    o->shard_i = i;
    o->shard_n = n;
    return 0;
}

static int parse_one(int opt, const char *v, mx_opts *o)
{
    switch (opt) {
    case 'a': o->alist = v; return 0;
    case 'c': o->clist = v; return 0;
    case 'w': o->wlist = v; return 0;
    case O_SCALE:
        return hb_parse_double(v, &o->scale) || !(o->scale > 0)
                   ? bad_value("--scale", v, "a number > 0") : 0;
    case O_REPS:
        return hb_parse_u64(v, &o->reps) || o->reps < 1 || o->reps > 100000
                   ? bad_value("--reps", v, "an integer from 1 to 100000") : 0;
    case O_WARMUP:
        return hb_parse_u64(v, &o->warmup) || o->warmup > 100000
                   ? bad_value("--warmup", v, "an integer from 0 to 100000") : 0;
    case O_SEED: return hb_parse_u64(v, &o->seed) ? bad_value("--seed", v, "an integer >= 0") : 0;
    case O_OUT: o->out = v; return 0;
    case O_SHARD: return parse_shard(v, o);
    case O_SERIES: o->series = 1; return 0;
    case O_LIMIT:
        return hb_parse_size(v, &o->heap_limit) ? bad_value("--heap-limit", v, "a size like 512M")
                                                : 0;
    default: return HB_EXIT_USAGE;
    }
}

/* Returns -1 for --help (usage printed), 0, or a usage error's status. */
static int parse_matrix_opts(int argc, char **argv, mx_opts *o)
{
    *o = (mx_opts){.scale = 1.0, .reps = 6, .warmup = 1, .seed = 1, .shard_n = 1};
    optind = 0; /* glibc: a full re-initialisation, so repeated calls work */
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":a:c:w:h", matrix_opts, NULL)) != -1) {
        if (opt == 'h' || opt == O_HELP) {
            fputs(matrix_usage, stdout);
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
    return 0;
}

/* ------------------------------------------------------------------ */
/* The results folder                                                   */
/* ------------------------------------------------------------------ */

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "heapbench: cannot create %s: %s\n", path, strerror(errno));
    return -1;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[MX_PATH];
    mkpath(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (make_dir(buf))
            return -1;
        *p = '/';
    }
    return make_dir(buf);
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

/* The first member of two settings objects whose values differ. */
static void settings_diff(const char *a, const char *b, char *msg, size_t cap)
{
    static const char *const keys[] = {"allocators", "collectors", "workloads", "scale",
                                       "seed",       "reps",       "warmup",    "heap_limit_bytes",
                                       "series",     "commit",     "build_type"};
    const char *ae = a + strlen(a), *be = b + strlen(b);
    snprintf(msg, cap, "settings differ");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t la = 0, lb = 0;
        const char *va = hb_json_find(a, ae, keys[i], &la), *vb = hb_json_find(b, be, keys[i], &lb);
        if (va && vb && la == lb && memcmp(va, vb, la) == 0)
            continue;
        snprintf(msg, cap, "%s is %.*s in one and %.*s in the other", keys[i], (int)(va ? la : 4),
                 va ? va : "none", (int)(vb ? lb : 4), vb ? vb : "none");
        return;
    }
}

/* The raw "settings" of a meta.json text (malloc'd), or NULL. */
static char *meta_settings(const char *meta)
{
    size_t len;
    const char *v = hb_json_find(meta, meta + strlen(meta), "settings", &len);
    return v ? strndup(v, len) : NULL;
}

/* Writes meta.json, or checks that an existing one has our settings. */
static int prepare_meta(const char *dir, const char *settings, const hb_meta *m)
{
    char path[MX_PATH];
    mkpath(path, sizeof path, "%s/meta.json", dir);
    char *old = hb_read_file(path, NULL);
    if (old == NULL) {
        if (errno != ENOENT || hb_meta_write(path, m) == 0)
            return errno == ENOENT ? 0 : (fprintf(stderr, "heapbench: cannot read %s: %s\n",
                                                  path, strerror(errno)), -1);
        fprintf(stderr, "heapbench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *theirs = meta_settings(old);
    int rc = 0;
    if (theirs == NULL || strcmp(theirs, settings) != 0) {
        char msg[512] = "it has no settings";
        if (theirs)
            settings_diff(theirs, settings, msg, sizeof msg);
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

/* Marks cells done from the rows already in rows.csv.  -1 if unreadable. */
static int mark_done(const char *dir, mx_cell *cells, size_t n, uint64_t reps)
{
    char path[MX_PATH], err[512];
    mkpath(path, sizeof path, "%s/rows.csv", dir);
    if (access(path, F_OK) != 0)
        return 0;
    hb_row *rows;
    char *arena;
    long nr = hb_rows_read_csv(path, &rows, &arena, err, sizeof err);
    if (nr < 0) {
        fprintf(stderr, "heapbench matrix: cannot resume from %s: %s\n", path, err);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        mx_cell *x = &cells[i];
        uint64_t seen = 0; /* a bit per repetition 1..64; beyond, counted */
        uint64_t extra = 0;
        for (long r = 0; r < nr; r++) {
            const hb_row *w = &rows[r];
            if (strcmp(w->allocator, x->a->name) || strcmp(w->collector, x->c->name) ||
                strcmp(w->workload, x->w->name))
                continue;
            if (strcmp(w->status, "ok") != 0)
                x->failed = 1;
            if (w->rep >= 1 && w->rep <= 64)
                seen |= UINT64_C(1) << (w->rep - 1);
            else if (w->rep > 64 && w->rep <= reps)
                extra++;
        }
        uint64_t have = (uint64_t)__builtin_popcountll(seen) + extra;
        x->done = x->failed || have >= reps;
    }
    hb_rows_free(rows, arena);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Running a cell                                                       */
/* ------------------------------------------------------------------ */

/* The rows of one cell, collected without allocating while hb_run runs
 * (the malloc backend's footprint is read process-wide). */
typedef struct mx_batch {
    const mx_cell *cell;
    hb_row *rows;
    char (*status)[32];
    size_t n, cap;
} mx_batch;

static int collect_row(void *arg, const hb_row *row)
{
    mx_batch *b = arg;
    if (b->n == b->cap)
        return 0; /* more rows than reps: cannot happen; never grow mid-run */
    hb_row *r = &b->rows[b->n];
    *r = *row;
    snprintf(b->status[b->n], sizeof b->status[0], "%s", row->status ? row->status : "error");
    r->status = b->status[b->n];
    r->allocator = b->cell->a->name;
    r->collector = b->cell->c->name;
    r->workload = b->cell->w->name;
    b->n++;
    return 0;
}

/* A row that records why the cell stopped when hb_run said 2 (a setup
 * error, message on stderr): the repetition after the last one it gave. */
static void error_row(mx_batch *b, const mx_opts *o)
{
    if (b->n >= b->cap)
        return;
    hb_row *r = &b->rows[b->n];
    memset(r, 0, sizeof *r);
    r->allocator = b->cell->a->name;
    r->collector = b->cell->c->name;
    r->workload = b->cell->w->name;
    r->scale = o->scale;
    r->seed = o->seed;
    r->rep = b->n + 1;
    snprintf(b->status[b->n], sizeof b->status[0], "error");
    r->status = b->status[b->n];
    b->n++;
}

static void series_name(char *buf, size_t cap, const char *dir, const mx_cell *x, const char *tail)
{
    mkpath(buf, cap, "%s/series/%s_%s_%s%s", dir, x->a->name, x->c->name, x->w->name, tail);
}

static int finish_rep_file(FILE *f, const char *tmp, const char *final)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, final) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Splits the cell's series file (rep in the first column) into one file
 * per repetition, each through a temporary name; removes the cell file. */
static int split_series(const char *dir, const mx_cell *x)
{
    char all[MX_PATH], tmp[MX_PATH], final[MX_PATH], header[512], line[1024];
    series_name(all, sizeof all, dir, x, ".cell.csv");
    FILE *in = fopen(all, "r");
    if (in == NULL)
        return -1;
    FILE *out = NULL;
    long cur = -1;
    int rc = fgets(header, sizeof header, in) ? 0 : -1;
    while (rc == 0 && fgets(line, sizeof line, in)) {
        long rep = strtol(line, NULL, 10);
        if (rep != cur) {
            if (out && finish_rep_file(out, tmp, final))
                rc = -1;
            char tail[64];
            snprintf(tail, sizeof tail, "_rep%ld.csv", rep);
            series_name(final, sizeof final, dir, x, tail);
            mkpath(tmp, sizeof tmp, "%s.tmp", final);
            out = fopen(tmp, "w");
            if (out == NULL) {
                rc = -1;
                break;
            }
            fputs(header, out);
            cur = rep;
        }
        fputs(line, out);
    }
    if (out && finish_rep_file(out, tmp, final))
        rc = -1;
    fclose(in);
    unlink(all);
    return rc;
}

/* Keeps only rows whose repetition rows.csv lacks (a cell redone after
 * some of its rows were removed by hand). */
static size_t drop_present(const char *dir, mx_batch *b)
{
    char path[MX_PATH], err[256];
    mkpath(path, sizeof path, "%s/rows.csv", dir);
    hb_row *rows;
    char *arena;
    long total;
    if (access(path, F_OK) != 0 ||
        (total = hb_rows_read_csv(path, &rows, &arena, err, sizeof err)) < 0)
        return b->n;
    size_t keep = 0;
    for (size_t i = 0; i < b->n; i++) {
        int present = 0;
        for (long r = 0; r < total && !present; r++)
            present = rows[r].rep == b->rows[i].rep &&
                      !strcmp(rows[r].allocator, b->rows[i].allocator) &&
                      !strcmp(rows[r].collector, b->rows[i].collector) &&
                      !strcmp(rows[r].workload, b->rows[i].workload);
        if (!present) {
            b->rows[keep] = b->rows[i];
            memcpy(b->status[keep], b->status[i], sizeof b->status[0]);
            b->rows[keep].status = b->status[keep];
            keep++;
        }
    }
    hb_rows_free(rows, arena);
    return b->n = keep;
}

/* Runs one cell and appends its rows.  Returns hb_run's status (0, 1, 130)
 * with 2 turned into an "error" row, or -1 when rows.csv cannot be written. */
static int run_cell(const char *dir, const mx_opts *o, mx_cell *x)
{
    mx_batch b = {.cell = x, .cap = o->reps};
    b.rows = calloc(b.cap, sizeof *b.rows);
    b.status = calloc(b.cap, sizeof *b.status);
    char series[MX_PATH], rows_path[MX_PATH];
    series_name(series, sizeof series, dir, x, ".cell.csv");
    mkpath(rows_path, sizeof rows_path, "%s/rows.csv", dir);
    hb_run_config cfg = {
        .alloc = x->a, .coll = x->c, .work = x->w,
        .wp = {.scale = o->scale, .seed = o->seed},
        .reps = (uint32_t)o->reps, .warmup = (uint32_t)o->warmup,
        .heap_limit_bytes = o->heap_limit, .series_path = o->series ? series : NULL,
        .isolate = 1,
    };
    int rc = b.rows && b.status ? hb_run(&cfg, collect_row, &b) : -1;
    if (rc == 2 || rc == 3)
        error_row(&b, o);
    if (rc == 0 || rc == 1 || rc == 2 || rc == 3) {
        if (o->series && rc != 2 && rc != 3 && split_series(dir, x) != 0)
            fprintf(stderr, "heapbench matrix: could not split the series of %s/%s/%s\n",
                    x->a->name, x->c->name, x->w->name);
        drop_present(dir, &b);
        if (b.n && hb_rows_append_csv(rows_path, b.rows, b.n) != 0) {
            fprintf(stderr, "heapbench matrix: cannot append to %s: %s\n", rows_path,
                    strerror(errno));
            rc = -1;
        }
        x->done = rc >= 0;
        x->failed = rc > 0;
        if (rc > 0)
            rc = 1;
    }
    free(b.rows);
    free(b.status);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Progress                                                             */
/* ------------------------------------------------------------------ */

typedef struct mx_progress {
    size_t total, done;  /* cells of this shard that can run; done so far */
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

/* "[done/total] cell: what  elapsed E, about L left"; the estimate is the
 * mean time of the cells this invocation ran, times the cells remaining. */
static void show_progress(const mx_progress *p, const mx_cell *x, const char *what)
{
    double el = (double)(hb_now_ns() - p->start_ns) / 1e9;
    char e[32], l[32] = "?";
    fmt_duration(e, sizeof e, el);
    if (p->ran)
        fmt_duration(l, sizeof l, el / (double)p->ran * (double)(p->total - p->done));
    fprintf(stderr, "%s[%zu/%zu] %s/%s/%s: %s  elapsed %s, about %s left%s", p->tty ? "\r\033[K" : "",
            p->done, p->total, x->a->name, x->c->name, x->w->name, what, e, l, p->tty ? "" : "\n");
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
    p->ncells = build_cells(&p->sel, &p->cells);
    if (p->ncells == 0)
        return hb_usage_error("matrix", "no allocator pairs with the chosen collectors (a "
                                        "collector with its own allocator needs that one in -a)");
    if ((p->settings = settings_json(&p->o, &p->sel)) == NULL)
        return HB_EXIT_FAIL;
    snprintf(p->id, sizeof p->id, "%06" PRIx64,
             hb_hash64(p->settings, strlen(p->settings)) & 0xffffff);
    if (p->o.out && mkpath(p->dir, sizeof p->dir, "%s", p->o.out))
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
    mkpath(sub, sizeof sub, "%s/series", p->dir);
    if (make_dirs(p->dir) || (p->o.series && make_dir(sub)))
        return HB_EXIT_USAGE;
    if (prepare_meta(p->dir, p->settings, &m))
        return HB_EXIT_USAGE;
    if (mark_done(p->dir, p->cells, p->ncells, p->o.reps))
        return HB_EXIT_USAGE;
    return 0;
}

static int mine(const mx_plan *p, const mx_cell *x)
{
    return x->index % p->o.shard_n == p->o.shard_i && x->skip == NULL;
}

static int run_cells(mx_plan *p)
{
    mx_progress pr = {.start_ns = hb_now_ns(), .tty = isatty(STDERR_FILENO)};
    int status = HB_EXIT_OK;
    for (size_t i = 0; i < p->ncells; i++)
        if (mine(p, &p->cells[i])) {
            pr.total++;
            pr.done += p->cells[i].done;
            if (p->cells[i].failed)
                status = HB_EXIT_FAIL;
        }
    if (pr.done)
        fprintf(stderr, "heapbench matrix: resuming %s: %zu of %zu cells already done\n", p->dir,
                pr.done, pr.total);
    hb_install_sigint();
    for (size_t i = 0; i < p->ncells && !hb_interrupted; i++) {
        mx_cell *x = &p->cells[i];
        if (!mine(p, x) || x->done)
            continue;
        if (pr.tty)
            show_progress(&pr, x, "running");
        int rc = run_cell(p->dir, &p->o, x);
        if (rc < 0)
            return HB_EXIT_FAIL;
        if (rc == 130)
            break;
        pr.done++;
        pr.ran++;
        if (rc)
            status = HB_EXIT_FAIL;
        show_progress(&pr, x, rc ? "NOT ok (see its rows' status)" : "ok");
    }
    if (pr.tty)
        fputc('\n', stderr);
    fprintf(stderr, "heapbench matrix: %s%zu cells ran, %zu of %zu done; results in %s\n",
            hb_interrupted ? "interrupted: the cell in progress was dropped; " : "", pr.ran,
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
    free(p.cells);
    free(p.settings);
    return rc < 0 ? HB_EXIT_OK : rc; /* -1: --help */
}

/* ------------------------------------------------------------------ */
/* heapbench merge                                                      */
/* ------------------------------------------------------------------ */

typedef struct mg_src {
    const char *dir;
    char *meta;     /* the whole meta.json */
    char *settings; /* its settings object */
    hb_row *rows;
    char *arena;
    long n;
} mg_src;

static int load_source(mg_src *s)
{
    char path[MX_PATH], err[512];
    mkpath(path, sizeof path, "%s/meta.json", s->dir);
    if ((s->meta = hb_read_file(path, NULL)) == NULL)
        return hb_usage_error("merge", "cannot read %s: %s, expected a folder written by "
                                       "heapbench matrix", path, strerror(errno));
    if ((s->settings = meta_settings(s->meta)) == NULL)
        return hb_usage_error("merge", "%s has no settings, expected a meta.json written by "
                                       "heapbench matrix", path);
    mkpath(path, sizeof path, "%s/rows.csv", s->dir);
    if (access(path, F_OK) != 0)
        return 0; /* a shard that has not finished a cell yet */
    s->n = hb_rows_read_csv(path, &s->rows, &s->arena, err, sizeof err);
    if (s->n < 0)
        return hb_usage_error("merge", "cannot read %s: %s", path, err);
    return 0;
}

static int same_key(const hb_row *a, const hb_row *b)
{
    return a->rep == b->rep && !strcmp(a->allocator, b->allocator) &&
           !strcmp(a->collector, b->collector) && !strcmp(a->workload, b->workload);
}

/* Every row once per (allocator, collector, workload, rep), first seen
 * wins.  Quadratic, which is fine for the few thousand rows of a sweep. */
static size_t dedup_rows(mg_src *src, size_t ns, hb_row *out, size_t *dups)
{
    size_t n = 0;
    *dups = 0;
    for (size_t s = 0; s < ns; s++)
        for (long i = 0; i < src[s].n; i++) {
            size_t j = 0;
            while (j < n && !same_key(&out[j], &src[s].rows[i]))
                j++;
            if (j < n)
                (*dups)++;
            else
                out[n++] = src[s].rows[i];
        }
    return n;
}

static int copy_file(const char *from, const char *to)
{
    if (link(from, to) == 0)
        return 0;
    FILE *in = fopen(from, "rb"), *out = NULL;
    char tmp[MX_PATH], buf[1 << 15];
    mkpath(tmp, sizeof tmp, "%s.tmp", to);
    int rc = in && (out = fopen(tmp, "wb")) ? 0 : -1;
    size_t k;
    while (rc == 0 && (k = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, k, out) == k ? 0 : -1;
    if (in)
        fclose(in);
    if (out && (fclose(out) != 0 || rc != 0 || rename(tmp, to) != 0))
        rc = -1;
    if (rc)
        unlink(tmp);
    return rc;
}

/* Copies series files that OUT does not have yet; returns how many. */
static size_t copy_series(const char *out, const mg_src *src, size_t ns)
{
    char pattern[MX_PATH], dst[MX_PATH];
    size_t copied = 0;
    for (size_t s = 0; s < ns; s++) {
        mkpath(pattern, sizeof pattern, "%s/series/*.csv", src[s].dir);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) != 0)
            continue;
        mkpath(dst, sizeof dst, "%s/series", out);
        make_dir(dst);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            mkpath(dst, sizeof dst, "%s/series/%s", out, strrchr(g.gl_pathv[i], '/') + 1);
            if (access(dst, F_OK) != 0 && copy_file(g.gl_pathv[i], dst) == 0)
                copied++;
        }
        globfree(&g);
    }
    return copied;
}

static int write_merged_meta(const char *out, const mg_src *src, size_t ns, int argc, char **argv)
{
    char path[MX_PATH], tmp[MX_PATH], now[32];
    mkpath(path, sizeof path, "%s/meta.json", out);
    mkpath(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    size_t len = 0;
    const char *id = hb_json_find(src[0].meta, src[0].meta + strlen(src[0].meta), "settings_id",
                                  &len);
    hb_utc_now(now, sizeof now);
    fprintf(f, "{\n  \"tool\": \"heapbench\",\n  \"merged\": true,\n  \"settings_id\": %.*s,\n",
            (int)(id ? len : 2), id ? id : "\"\"");
    fprintf(f, "  \"settings\": %s,\n  \"merge_time\": \"%s\",\n  \"command\": [", src[0].settings,
            now);
    for (int i = 0; i < argc; i++) {
        fputs(i ? ", " : "", f);
        hb_json_str(f, argv[i]);
    }
    fputs("],\n  \"shards\": [\n", f);
    for (size_t s = 0; s < ns; s++) {
        fputs("    {\"dir\": ", f);
        hb_json_str(f, src[s].dir);
        fprintf(f, ", \"meta\": %s}%s\n", src[s].meta, s + 1 < ns ? "," : "");
    }
    fputs("  ]\n}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int merge_into(const char *out, mg_src *src, size_t ns, int argc, char **argv)
{
    size_t total = 0, dups;
    for (size_t s = 0; s < ns; s++)
        total += (size_t)src[s].n;
    hb_row *rows = calloc(total + 1, sizeof *rows);
    if (rows == NULL)
        return HB_EXIT_FAIL;
    size_t n = dedup_rows(src, ns, rows, &dups);
    char path[MX_PATH], tmp[MX_PATH];
    mkpath(path, sizeof path, "%s/rows.csv", out);
    mkpath(tmp, sizeof tmp, "%s/rows.csv.tmp", out);
    unlink(tmp);
    int rc = make_dirs(out) || (n && hb_rows_append_csv(tmp, rows, n)) ||
             (n && rename(tmp, path)) || write_merged_meta(out, src, ns, argc, argv);
    free(rows);
    if (rc) {
        unlink(tmp);
        fprintf(stderr, "heapbench merge: cannot write into %s: %s\n", out, strerror(errno));
        return HB_EXIT_FAIL;
    }
    size_t copied = copy_series(out, src, ns);
    fprintf(stderr, "heapbench merge: %zu rows from %zu folders into %s (%zu duplicates dropped, "
                    "%zu series files)\n", n, ns, out, dups, copied);
    return HB_EXIT_OK;
}

int hb_cmd_merge(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(merge_usage, stdout);
        return HB_EXIT_OK;
    }
    if (argc < 3)
        return hb_usage_error("merge", "expected OUT and at least one results folder");
    const char *out = argv[1];
    char path[MX_PATH];
    mkpath(path, sizeof path, "%s/rows.csv", out);
    if (access(path, F_OK) == 0)
        return hb_usage_error("merge", "%s already has rows.csv, expected a new or empty folder",
                              out);
    size_t ns = (size_t)argc - 2;
    mg_src *src = calloc(ns, sizeof *src);
    int rc = src ? 0 : HB_EXIT_FAIL;
    for (size_t s = 0; s < ns && rc == 0; s++) {
        src[s].dir = argv[s + 2];
        rc = load_source(&src[s]);
        if (rc == 0 && s > 0 && strcmp(src[s].settings, src[0].settings) != 0) {
            char msg[512];
            settings_diff(src[0].settings, src[s].settings, msg, sizeof msg);
            rc = hb_usage_error("merge", "%s and %s come from different settings: %s; expected "
                                         "shards of one sweep", src[0].dir, src[s].dir, msg);
        }
    }
    if (rc == 0)
        rc = merge_into(out, src, ns, argc, argv);
    for (size_t s = 0; src && s < ns; s++) {
        free(src[s].meta);
        free(src[s].settings);
        if (src[s].rows)
            hb_rows_free(src[s].rows, src[s].arena);
    }
    free(src);
    return rc;
}
