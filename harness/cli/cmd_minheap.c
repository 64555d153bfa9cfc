/*
 * harness/cli/cmd_minheap.c -- command layer: `heapbench minheap`: the
 * minimum heap of every chosen allocator x collector x workload, into a
 * results folder's minheap.csv (schema: results/README.md).
 *
 * The search itself is harness/run/heapfactor.c (bisection to 1% with a
 * repeat at the boundary, a probe log that makes it resumable); here: the
 * options (the run settings list, as run and matrix parse them), the cell
 * list (the one pairing rule, gc_pairs), progress on stderr and the table
 * on stdout.  Rerunning the same command reads finished cells back from
 * minheap.csv and finished probes from minheap-probes.csv.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/core/clock.h"
#include "harness/formats/io.h"
#include "harness/run/heapfactor.h"
#include "harness/run/run.h"

#define MH_MAX_NAMES 64

static const char minheap_usage_head[] =
    "usage: heapbench minheap -a LIST -c LIST -w LIST [--scale S] [--out DIR] [options]\n"
    "\n"
    "Finds, for every allocator x collector x workload, the smallest heap limit\n"
    "(--heap-limit: bytes the collector holds from its allocator, headers and\n"
    "reserves included) at which one repetition ends ok: bisection until the\n"
    "passing and the failing limit are within --tolerance, each of the two run\n"
    "once more at the end.  Each probe runs in its own process.  Answers go to\n"
    "DIR/minheap.csv (every probe to DIR/minheap-probes.csv); rerunning resumes.\n"
    "\n"
    "  -a LIST              allocators, comma-separated; default every registered one\n"
    "  -c LIST              collectors; default every registered one\n"
    "  -w LIST              workloads; default every registered one\n"
    "      --out DIR        the results folder; default results/minheap\n"
    "      --tolerance X    the bracket's relative width at the end, 0 < X <= 1;\n"
    "                       default 0.01\n"
    "\n"
    "Run settings (as for heapbench run; --heap-limit, --reps, --warmup are the\n"
    "search's own and ignored):\n";

static const char minheap_usage_tail[] =
    "\n"
    "Exit status: 0 every cell has a minimum heap, 1 some cell has none (its run\n"
    "fails without a limit), 2 bad usage, 130 interrupted.\n";

enum { O_OUT = 256, O_TOL, O_HELP };

static const struct option minheap_own_opts[] = {
    {"out", required_argument, 0, O_OUT},
    {"tolerance", required_argument, 0, O_TOL},
    {"help", no_argument, 0, O_HELP},
};

typedef struct mh_opts {
    const char *lists[3]; /* -a, -c, -w */
    const char *out;
    double tol;
    hb_run_config set;
} mh_opts;

typedef struct mh_sel {
    const void *v[3][MH_MAX_NAMES];
    size_t n[3];
} mh_sel;

static const hb_registry *const mh_regs[3] = {&al_registry, &gc_registry, &wl_registry};

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

/* A comma list looked up in r (or every registered entry). */
static int select_list(const hb_registry *r, const char *list, const void **out, size_t *n)
{
    *n = 0;
    if (list == NULL) {
        for (; *n < r->count() && *n < MH_MAX_NAMES; (*n)++)
            out[*n] = r->at(*n);
        return 0;
    }
    char buf[1024], *save = NULL;
    if (hb_path(buf, sizeof buf, "%s", list))
        return hb_usage_error("minheap", "the %s list is too long", r->what);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const void *p = hb_registry_find(r, tok); /* unavailable: skipped per cell */
        if (p == NULL) {
            char valid[512];
            hb_registry_names(r, valid, sizeof valid);
            return hb_usage_error("minheap", "unknown %s '%s', expected one of: %s", r->what, tok,
                                  valid);
        }
        if (*n == MH_MAX_NAMES)
            return hb_usage_error("minheap", "more than %d %ss", MH_MAX_NAMES, r->what);
        out[(*n)++] = p;
    }
    if (*n == 0)
        return hb_usage_error("minheap", "empty %s list, expected names separated by commas",
                              r->what);
    return 0;
}

static int parse_tol(const char *v, double *out)
{
    if (hb_parse_double(v, out) != 0 || !(*out > 0) || *out > 1)
        return hb_usage_error("minheap", "bad value '%s' for --tolerance, expected a number "
                              "with 0 < X <= 1, e.g. 0.01", v);
    return 0;
}

/* Returns -1 for --help, 0, or a usage error's status. */
static int parse_minheap(int argc, char **argv, mh_opts *o)
{
    struct option opts[64];
    size_t n = sizeof minheap_own_opts / sizeof minheap_own_opts[0];
    memcpy(opts, minheap_own_opts, sizeof minheap_own_opts);
    hb_setting_options(opts, &n, sizeof opts / sizeof opts[0] - 1);
    opts[n] = (struct option){0, 0, 0, 0};
    *o = (mh_opts){.tol = 0.01};
    hb_settings_defaults(&o->set);
    optind = 0;
    opterr = 0;
    int opt, rc = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, ":a:c:w:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'a': o->lists[0] = optarg; break;
        case 'c': o->lists[1] = optarg; break;
        case 'w': o->lists[2] = optarg; break;
        case O_OUT: o->out = optarg; break;
        case O_TOL: rc = parse_tol(optarg, &o->tol); break;
        case 'h': case O_HELP:
            fputs(minheap_usage_head, stdout);
            hb_setting_help(stdout);
            fputs(minheap_usage_tail, stdout);
            return -1;
        case ':': return hb_usage_error("minheap", "option '%s' needs a value", argv[optind - 1]);
        case '?': return hb_usage_error("minheap", "unknown option '%s' (see heapbench minheap "
                                        "--help)", argv[optind - 1]);
        default: rc = hb_setting_option("minheap", &o->set, opt, optarg);
        }
    }
    if (rc == 0 && optind < argc)
        rc = hb_usage_error("minheap", "unexpected argument '%s' (see heapbench minheap --help)",
                            argv[optind]);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Progress and the table                                               */
/* ------------------------------------------------------------------ */

typedef struct mh_view {
    int tty, shown;
    size_t cell, ncells;
    uint64_t start_ns;
} mh_view;

static void show_probe(void *arg, const hb_minheap *m, uint64_t limit, const char *status)
{
    mh_view *v = arg;
    if (!v->tty)
        return;
    char lim[32] = "none";
    if (limit)
        snprintf(lim, sizeof lim, "%" PRIu64, limit);
    fprintf(stderr, "\r\033[K[%zu/%zu] %s/%s/%s: probe %" PRIu64 " limit %s: %s  elapsed %.0f s",
            v->cell + 1, v->ncells, m->allocator, m->collector, m->workload, m->probes, lim, status,
            (double)(hb_now_ns() - v->start_ns) / 1e9);
}

static void show_cell(const mh_view *v, const hb_minheap *m, int cached)
{
    if (!v->shown)
        return;
    fprintf(stderr, "%s[%zu/%zu] %s/%s/%s: %s%s: min heap %" PRIu64 " bytes (fails at %" PRIu64
            "), %" PRIu64 " probes\n", v->tty ? "\r\033[K" : "", v->cell + 1, v->ncells,
            m->allocator, m->collector, m->workload, cached ? "from minheap.csv, " : "",
            m->status, m->min_heap_bytes, m->fail_bytes, m->probes);
}

static void print_table(const hb_minheap *v, size_t n)
{
    printf("%-10s %-12s %-14s %16s %16s %8s %s\n", "allocator", "collector", "workload",
           "min_heap_bytes", "fail_bytes", "probes", "status");
    for (size_t i = 0; i < n; i++)
        printf("%-10s %-12s %-14s %16" PRIu64 " %16" PRIu64 " %8" PRIu64 " %s\n", v[i].allocator,
               v[i].collector, v[i].workload, v[i].min_heap_bytes, v[i].fail_bytes, v[i].probes,
               v[i].status);
}

/* ------------------------------------------------------------------ */
/* heapbench minheap                                                    */
/* ------------------------------------------------------------------ */

static size_t count_cells(const mh_sel *s)
{
    size_t n = 0;
    char why[256];
    for (size_t i = 0; i < s->n[0]; i++)
        for (size_t j = 0; j < s->n[1]; j++)
            n += gc_pairs(s->v[0][i], s->v[1][j], why, sizeof why) ? s->n[2] : 0;
    return n;
}

/* One cell: 0, 1 (no minimum), 2, 130; the answer appended to *got. */
static int one_cell(const mh_opts *o, mh_view *view, const al_backend *a, const gc_strategy *c,
                    const wl_workload *w, hb_minheap *got)
{
    const char *why = a->unavailable() ? a->unavailable() : c->unavailable();
    if (why) {
        fprintf(stderr, "heapbench minheap: skipping %s/%s/%s: %s\n", a->name, c->name, w->name,
                why);
        return 0;
    }
    hb_run_config cfg = o->set;
    cfg.alloc = a->name;
    cfg.coll = c->name;
    cfg.work = w->name;
    hb_minheap_opts mo = {.tol = o->tol, .on_probe = show_probe, .probe_arg = view};
    hb_err e;
    hb_err_clear(&e);
    int cached = 0;
    int rc = hb_minheap_get(o->out, &cfg, &mo, got, &cached, &e);
    if (rc == 2)
        return hb_report_err("minheap", &e);
    if (rc == 130)
        return rc;
    show_cell(view, got, cached);
    return strcmp(got->status, "ok") == 0 ? 0 : 1;
}

static int run_all(const mh_opts *o, const mh_sel *s, hb_minheap *got, size_t *ngot)
{
    mh_view view = {.shown = o->set.progress, .ncells = count_cells(s), .start_ns = hb_now_ns()};
    view.tty = view.shown && isatty(STDERR_FILENO);
    int status = HB_EXIT_OK;
    char why[256];
    hb_install_sigint();
    for (size_t i = 0; i < s->n[0]; i++)
        for (size_t j = 0; j < s->n[1]; j++) {
            if (!gc_pairs(s->v[0][i], s->v[1][j], why, sizeof why))
                continue;
            for (size_t k = 0; k < s->n[2] && !hb_interrupted; k++, view.cell++) {
                int rc = one_cell(o, &view, s->v[0][i], s->v[1][j], s->v[2][k], &got[*ngot]);
                if (rc == 2 || rc == 130)
                    return rc;
                if (got[*ngot].allocator[0])
                    (*ngot)++;
                if (rc)
                    status = HB_EXIT_FAIL;
            }
        }
    return hb_interrupted ? HB_EXIT_INTERRUPTED : status;
}

int hb_cmd_minheap(int argc, char **argv)
{
    mh_opts o;
    mh_sel s;
    int rc = parse_minheap(argc, argv, &o);
    if (rc)
        return rc < 0 ? HB_EXIT_OK : rc;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = select_list(mh_regs[i], o.lists[i], s.v[i], &s.n[i]);
    if (rc)
        return rc;
    if (o.out == NULL)
        o.out = "results/minheap";
    hb_err e;
    if (hb_mkdirs(o.out, &e) != 0)
        return hb_report_err("minheap", &e);
    size_t ncells = count_cells(&s), ngot = 0;
    if (ncells == 0)
        return hb_usage_error("minheap", "no allocator pairs with the chosen collectors (a "
                                         "collector with its own allocator needs that one in -a)");
    hb_minheap *got = calloc(ncells, sizeof *got);
    if (got == NULL)
        return HB_EXIT_FAIL;
    rc = run_all(&o, &s, got, &ngot);
    if (rc == HB_EXIT_INTERRUPTED)
        fprintf(stderr, "\nheapbench minheap: interrupted; finished cells are in %s/minheap.csv, "
                "probes in %s/minheap-probes.csv (rerun to resume)\n", o.out, o.out);
    if (ngot)
        print_table(got, ngot);
    free(got);
    return rc;
}
