/*
 * harness/cli/cmd_run.c -- `heapbench run`: one allocator x collector x
 * workload, its repetitions as rows.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/formats/results.h"
#include "harness/run/run.h"
#include "harness/formats/trace.h"

static const char run_usage[] =
    "usage: heapbench run -a ALLOC -c COLL -w WORK [options]\n"
    "       heapbench run -a ALLOC [-c COLL] --trace FILE [options]\n"
    "\n"
    "Replays one workload on one allocator x collector and prints one row per\n"
    "repetition (schema: results/README.md). Each repetition starts from a fresh\n"
    "heap; generating the op stream is never timed.\n"
    "\n"
    "      --trace FILE       replay a trace file instead of -w: an op stream\n"
    "                         (heapbench trace gen) with -c, or an allocator trace\n"
    "                         (heapbench record) without -c (collector 'none')\n"
    "  -a, --allocator NAME   allocator backend (heapbench list); default pool\n"
    "  -c, --collector NAME   collector strategy; default rc-cycle\n"
    "  -w, --workload NAME    workload generator; default small-objects\n"
    "      --scale S          amount of work, > 0 (1.0: roughly 1-5 s); default 1.0\n"
    "      --seed N           the generator's seed; default 1\n"
    "      --reps R           measured repetitions, >= 1; default 1\n"
    "      --warmup K         repetitions run first and not reported; default 0\n"
    "      --format F         table (default), csv or json (one object per line)\n"
    "      --out FILE         also append the rows to FILE as CSV (header once)\n"
    "      --series FILE      write a time series (CSV): a sample every --every ops\n"
    "                         and at the end of every collection\n"
    "      --every N          ops between series samples; default 1000000\n"
    "      --heap-limit SIZE  refuse allocations past SIZE live bytes (K, M, G):\n"
    "                         a collection is tried first, then the run ends 'oom'\n"
    "      --oracle           check every collection and every chunk of 4,096 ops\n"
    "                         against reachability computed apart (slow: each check\n"
    "                         walks the heap)\n"
    "      --oracle-every N   the oracle on complete collections, and on every Nth\n"
    "                         partial collection and chunk\n"
    "      --threshold A,B,C  rc-cycle generation thresholds; default 2000,10,10\n"
    "      --cpython312       rc-cycle with CPython 3.12's thresholds 700,10,10\n"
    "      --rc-pause-min N   rc, rc-cycle: a cascade is a pause once it has freed N\n"
    "                         objects besides the one released; default 32\n"
    "      --growth F         mark-sweep: collect when the heap grew by F; default 2.0\n"
    "      --incremental      boehm: incremental mode\n"
    "      --arena-bytes SIZE pool: arena size (power of two); default 1M\n"
    "      --pool-bytes SIZE  pool: pool size (power of two); default 16K\n"
    "      --chunk-bytes SIZE bump: chunk size; default 1M\n"
    "      --no-progress      no progress line on stderr\n"
    "\n"
    "Exit status: 0 all rows ok, 1 some row not ok (its status says why),\n"
    "2 bad usage or input, 130 interrupted.\n";

enum {
    O_SCALE = 256, O_SEED, O_REPS, O_WARMUP, O_FORMAT, O_OUT, O_SERIES, O_EVERY, O_LIMIT,
    O_ORACLE, O_THRESH, O_PY312, O_GROWTH, O_INCR, O_ARENA, O_POOL, O_CHUNK, O_NOPROG, O_HELP, O_RCMIN, O_ORACLE_EVERY,
    O_TRACE
};

static const struct option run_opts[] = {
    {"allocator", required_argument, 0, 'a'}, {"collector", required_argument, 0, 'c'},
    {"workload", required_argument, 0, 'w'},  {"scale", required_argument, 0, O_SCALE},
    {"seed", required_argument, 0, O_SEED},   {"reps", required_argument, 0, O_REPS},
    {"warmup", required_argument, 0, O_WARMUP}, {"format", required_argument, 0, O_FORMAT},
    {"out", required_argument, 0, O_OUT},     {"series", required_argument, 0, O_SERIES},
    {"every", required_argument, 0, O_EVERY}, {"heap-limit", required_argument, 0, O_LIMIT},
    {"oracle", no_argument, 0, O_ORACLE},     {"oracle-every", required_argument, 0, O_ORACLE_EVERY},     {"threshold", required_argument, 0, O_THRESH},
    {"cpython312", no_argument, 0, O_PY312},  {"rc-pause-min", required_argument, 0, O_RCMIN},  {"growth", required_argument, 0, O_GROWTH},
    {"incremental", no_argument, 0, O_INCR},  {"arena-bytes", required_argument, 0, O_ARENA},
    {"pool-bytes", required_argument, 0, O_POOL}, {"chunk-bytes", required_argument, 0, O_CHUNK},
    {"no-progress", no_argument, 0, O_NOPROG}, {"help", no_argument, 0, O_HELP},
    {"trace", required_argument, 0, O_TRACE},
    {0, 0, 0, 0},
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
    if (o->out_path && hb_rows_append_csv(o->out_path, row, 1) != 0) {
        fprintf(stderr, "heapbench run: cannot append to %s: %s\n", o->out_path,
                errno == EINVAL ? "its header is not this schema's" : strerror(errno));
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

static int parse_thresholds(const char *s, uint32_t t[3])
{
    uint64_t v[3];
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    for (int i = 0; i < 3; i++, tok = strtok_r(NULL, ",", &save))
        if (tok == NULL || hb_parse_u64(tok, &v[i]) != 0 || v[i] == 0 || v[i] > UINT32_MAX)
            return -1;
    if (tok != NULL)
        return -1;
    for (int i = 0; i < 3; i++)
        t[i] = (uint32_t)v[i];
    return 0;
}

/* With --trace: the file's header says whether a collector is needed
 * (op stream) or refused (allocator trace).  The whole file is checked by
 * hb_run before anything runs. */
static int trace_kind(const char *path, int w_given, int c_given, int *need_coll)
{
    hb_trace_file t;
    char err[600];
    if (w_given)
        return hb_usage_error("run", "both -w and --trace given, expected one of them");
    if (hb_trace_open(&t, path, 0, err, sizeof err) != 0) {
        fprintf(stderr, "heapbench run: %s\n", err);
        return HB_EXIT_USAGE;
    }
    hb_trace_close(&t);
    *need_coll = t.h.kind == HB_TRACE_OPS;
    if (!*need_coll && c_given)
        return hb_usage_error("run", "trace %s is an allocator trace: it replays without a "
                                     "collector (frees are explicit), expected no -c", path);
    return 0;
}

#define BAD(what, expected) \
    return hb_usage_error("run", "bad value '%s' for --%s, expected %s", optarg, what, expected)

int hb_cmd_run(int argc, char **argv)
{
    const char *aname = "pool", *cname = "rc-cycle", *wname = "small-objects";
    hb_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.wp.scale = 1.0;
    cfg.wp.seed = 1;
    cfg.reps = 1;
    cfg.progress = 1;
    cfg.isolate = 1;
    run_out out = {.format = HB_FMT_TABLE};
    uint64_t u;
    int c, c_given = 0, w_given = 0;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":a:c:w:h", run_opts, NULL)) != -1) {
        switch (c) {
        case 'a': aname = optarg; break;
        case 'c': cname = optarg; c_given = 1; break;
        case 'w': wname = optarg; w_given = 1; break;
        case O_TRACE: cfg.trace_path = optarg; break;
        case O_SCALE:
            if (hb_parse_double(optarg, &cfg.wp.scale) != 0 || cfg.wp.scale <= 0 || cfg.wp.scale > 1e4)
                BAD("scale", "a number > 0 and <= 10000");
            break;
        case O_SEED:
            if (hb_parse_u64(optarg, &cfg.wp.seed) != 0) BAD("seed", "a whole number");
            break;
        case O_REPS:
            if (hb_parse_u64(optarg, &u) != 0 || u < 1 || u > 100000) BAD("reps", "a whole number >= 1");
            cfg.reps = (uint32_t)u;
            break;
        case O_WARMUP:
            if (hb_parse_u64(optarg, &u) != 0 || u > 100000) BAD("warmup", "a whole number >= 0");
            cfg.warmup = (uint32_t)u;
            break;
        case O_FORMAT:
            if ((out.format = hb_format_parse(optarg)) < 0) BAD("format", "table, csv or json");
            break;
        case O_OUT: out.out_path = optarg; break;
        case O_SERIES: cfg.series_path = optarg; break;
        case O_EVERY:
            if (hb_parse_u64(optarg, &cfg.series_every_ops) != 0 || cfg.series_every_ops == 0)
                BAD("every", "a whole number of ops >= 1");
            break;
        case O_LIMIT:
            if (hb_parse_size(optarg, &cfg.heap_limit_bytes) != 0 || cfg.heap_limit_bytes == 0)
                BAD("heap-limit", "a size in bytes > 0, with an optional K, M or G suffix");
            break;
        case O_ORACLE: cfg.oracle = 1; break;
        case O_ORACLE_EVERY:
            if (hb_parse_u64(optarg, &u) != 0 || u < 1 || u > INT32_MAX)
                BAD("oracle-every", "a whole number >= 1");
            cfg.oracle = (int)u;
            break;
        case O_THRESH:
            if (parse_thresholds(optarg, cfg.gcfg.threshold) != 0)
                BAD("threshold", "three whole numbers >= 1, as 2000,10,10");
            break;
        case O_PY312: cfg.gcfg.cpython312 = 1; break;
        case O_RCMIN:
            if (hb_parse_u64(optarg, &u) != 0 || u < 1 || u > UINT32_MAX)
                BAD("rc-pause-min", "a whole number of objects >= 1");
            cfg.gcfg.rc_pause_min = (uint32_t)u;
            break;
        case O_GROWTH:
            if (hb_parse_double(optarg, &cfg.gcfg.growth) != 0 || cfg.gcfg.growth <= 1.0 ||
                cfg.gcfg.growth > 100)
                BAD("growth", "a factor > 1.0 and <= 100");
            break;
        case O_INCR: cfg.gcfg.incremental = 1; break;
        case O_ARENA:
            if (hb_parse_size(optarg, &u) != 0 || u == 0 || (u & (u - 1)))
                BAD("arena-bytes", "a power of two in bytes, as 1M");
            cfg.acfg.arena_bytes = u;
            break;
        case O_POOL:
            if (hb_parse_size(optarg, &u) != 0 || u == 0 || (u & (u - 1)))
                BAD("pool-bytes", "a power of two in bytes, as 16K");
            cfg.acfg.pool_bytes = u;
            break;
        case O_CHUNK:
            if (hb_parse_size(optarg, &u) != 0 || u < 4096)
                BAD("chunk-bytes", "a size in bytes >= 4096, as 1M");
            cfg.acfg.chunk_bytes = u;
            break;
        case O_NOPROG: cfg.progress = 0; break;
        case 'h': case O_HELP: fputs(run_usage, stdout); return HB_EXIT_OK;
        case ':': return hb_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
        default: return hb_usage_error("run", "unknown option '%s' (see heapbench run --help)",
                                       argv[optind - 1]);
        }
    }
    if (optind < argc)
        return hb_usage_error("run", "unexpected argument '%s' (see heapbench run --help)", argv[optind]);
    int rc, need_coll = 1;
    if (cfg.trace_path && (rc = trace_kind(cfg.trace_path, w_given, c_given, &need_coll)) != 0)
        return rc;
    if ((rc = hb_resolve_alloc("run", aname, &cfg.alloc)) ||
        (need_coll && (rc = hb_resolve_coll("run", cname, &cfg.coll))) ||
        (!cfg.trace_path && (rc = hb_resolve_work("run", wname, &cfg.work))))
        return rc;
    if (cfg.coll && !hb_pairing_ok(cfg.alloc, cfg.coll))
        return hb_usage_error("run", "collector '%s' runs only with allocator '%s', not '%s'",
                              cfg.coll->name, cfg.coll->requires_allocator, cfg.alloc->name);

    hb_install_sigint();
    rc = hb_run(&cfg, on_row, &out);
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
