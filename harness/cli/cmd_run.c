/*
 * harness/cli/cmd_run.c -- command layer: `heapbench run`: one allocator x
 * collector x workload (or trace), its repetitions as rows.
 *
 * The run's own options are parsed from the settings list
 * (harness/run/settings.h), as `matrix` parses them; the options here are
 * the ones only `run` has: one name each for -a, -c, -w, a trace, and where
 * the rows go.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/formats/results.h"
#include "harness/formats/trace.h"
#include "harness/run/run.h"

static const char run_usage_head[] =
    "usage: heapbench run -a ALLOC -c COLL -w WORK [options]\n"
    "       heapbench run -a ALLOC [-c COLL] --trace FILE [options]\n"
    "\n"
    "Replays one workload on one allocator x collector and prints one row per\n"
    "repetition (schema: results/README.md). Each repetition starts from a fresh\n"
    "heap; generating the op stream is never timed.\n"
    "\n"
    "      --trace FILE         replay a trace file instead of -w: an op stream\n"
    "                           (heapbench trace gen) with -c, or an allocator trace\n"
    "                           (heapbench record) without -c (collector 'none')\n"
    "  -a, --allocator NAME     allocator backend (heapbench list); default pool\n"
    "  -c, --collector NAME     collector strategy; default rc-cycle\n"
    "  -w, --workload NAME      workload generator; default small-objects\n"
    "      --format F           table (default), csv or json (one object per line)\n"
    "      --out FILE           also append the rows to FILE as CSV (header once)\n"
    "      --series FILE        write a time series (CSV): a sample every --every ops\n"
    "                           and at the end of every collection\n"
    "\n"
    "Run settings (the same for heapbench matrix):\n";

static const char run_usage_tail[] =
    "\n"
    "Exit status: 0 all rows ok, 1 some row not ok (its status says why),\n"
    "2 bad usage or input, 130 interrupted.\n";

enum { O_FORMAT = 256, O_OUT, O_SERIES, O_HELP, O_TRACE };

static const struct option run_own_opts[] = {
    {"allocator", required_argument, 0, 'a'}, {"collector", required_argument, 0, 'c'},
    {"workload", required_argument, 0, 'w'},  {"format", required_argument, 0, O_FORMAT},
    {"out", required_argument, 0, O_OUT},     {"series", required_argument, 0, O_SERIES},
    {"help", no_argument, 0, O_HELP},         {"trace", required_argument, 0, O_TRACE},
};

typedef struct run_out {
    int format;
    const char *out_path;
    hb_row *rows; /* kept for the table */
    size_t n, cap;
    int header_done;
    int write_failed;
    size_t done; /* rows passed on, in any format */
} run_out;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int on_row(void *arg, const hb_row *row)
{
    run_out *o = arg;
    o->done++;
    hb_err e;
    if (o->out_path && hb_rows_append_csv(o->out_path, row, 1, &e) != 0) {
        fprintf(stderr, "heapbench run: cannot append to %s: %s\n", o->out_path, e.msg);
        o->write_failed = 1;
        return 1;
    }
    if (o->format == HB_FMT_CSV) {
        if (!o->header_done++)
            hb_row_csv_header(stdout);
        hb_row_csv(stdout, row);
        fflush(stdout);
    } else if (o->format == HB_FMT_JSON) {
        hb_row_json(stdout, row);
        fflush(stdout);
    } else {
        if (o->n == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 8;
            hb_row *v = realloc(o->rows, cap * sizeof *v);
            if (v == NULL)
                return 1;
            o->rows = v;
            o->cap = cap;
        }
        o->rows[o->n] = *row;
        o->rows[o->n].status = dup_str(row->status);
        o->n++;
    }
    return 0;
}

/* With --trace: the file's header says whether a collector is needed (op
 * stream) or refused (allocator trace); the default -c applies only to the
 * first.  hb_run checks the whole file and the pairing before anything runs. */
static int trace_collector(hb_run_config *cfg, int c_given)
{
    hb_trace_file t;
    char err[600];
    if (hb_trace_open(&t, cfg->trace_path, 0, err, sizeof err) != 0)
        return hb_usage_error("run", "%s", err);
    hb_trace_close(&t);
    if (t.h.kind == HB_TRACE_ALLOC && !c_given)
        cfg->coll = NULL;
    return 0;
}

/* An allocator workload (larson, xmalloc, ...) replays without a
 * collector, as an allocator trace does: the default -c does not apply. */
static int heap_workload_collector(hb_run_config *cfg, int c_given)
{
    const wl_workload *w = cfg->work ? wl_find(cfg->work) : NULL;
    if (w && w->heap && !c_given)
        cfg->coll = NULL;
    return 0;
}

static int parse_run(int argc, char **argv, hb_run_config *cfg, run_out *out)
{
    struct option opts[64];
    size_t n = sizeof run_own_opts / sizeof run_own_opts[0];
    memcpy(opts, run_own_opts, sizeof run_own_opts);
    hb_setting_options(opts, &n, sizeof opts / sizeof opts[0] - 1);
    opts[n] = (struct option){0, 0, 0, 0};
    int c, c_given = 0, w_given = 0, rc;
    optind = 0; /* glibc: a full re-initialisation, so repeated calls work */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":a:c:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': cfg->alloc = optarg; break;
        case 'c': cfg->coll = optarg; c_given = 1; break;
        case 'w': cfg->work = optarg; w_given = 1; break;
        case O_TRACE: cfg->trace_path = optarg; break;
        case O_FORMAT:
            if ((out->format = hb_format_parse(optarg)) < 0)
                return hb_usage_error("run", "bad value '%s' for --format, expected table, csv "
                                      "or json", optarg);
            break;
        case O_OUT: out->out_path = optarg; break;
        case O_SERIES: cfg->series_path = optarg; break;
        case 'h': case O_HELP:
            fputs(run_usage_head, stdout);
            hb_setting_help(stdout);
            fputs(run_usage_tail, stdout);
            return -1;
        case ':': return hb_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
        case '?': return hb_usage_error("run", "unknown option '%s' (see heapbench run --help)",
                                        argv[optind - 1]);
        default:
            if ((rc = hb_setting_option("run", cfg, c, optarg)) != 0)
                return rc;
        }
    }
    if (optind < argc)
        return hb_usage_error("run", "unexpected argument '%s' (see heapbench run --help)", argv[optind]);
    if (cfg->trace_path == NULL)
        return heap_workload_collector(cfg, c_given);
    if (w_given)
        return hb_usage_error("run", "both -w and --trace given, expected one of them");
    cfg->work = NULL;
    return trace_collector(cfg, c_given);
}

int hb_cmd_run(int argc, char **argv)
{
    hb_run_config cfg;
    hb_settings_defaults(&cfg);
    cfg.on_note = hb_print_note;
    run_out out = {.format = HB_FMT_TABLE};
    int rc = parse_run(argc, argv, &cfg, &out);
    if (rc != 0)
        return rc < 0 ? HB_EXIT_OK : rc;

    hb_err e;
    hb_err_clear(&e);
    hb_install_sigint();
    rc = hb_run(&cfg, on_row, &out, &e);
    if (rc == 2)
        hb_report_err("run", &e);
    if (out.format == HB_FMT_TABLE && out.n > 0)
        hb_rows_table(stdout, out.rows, out.n);
    for (size_t i = 0; i < out.n; i++)
        free((char *)out.rows[i].status);
    free(out.rows);
    if (rc == 130)
        fprintf(stderr, "heapbench run: interrupted; %zu repetition(s) completed%s%s, the one in "
                "progress dropped\n", out.done,
                out.out_path ? " and appended to " : "", out.out_path ? out.out_path : "");
    if (rc == 3)
        rc = out.write_failed ? HB_EXIT_USAGE : HB_EXIT_FAIL;
    return rc;
}
