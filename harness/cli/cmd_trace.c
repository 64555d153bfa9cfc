/*
 * harness/cli/cmd_trace.c -- command layer: `heapbench trace gen|dump`.
 *
 * gen writes a workload's op stream to a trace file (the same workload,
 * scale and seed always give the same bytes); dump prints a trace as text,
 * header first, after checking it whole.  (`heapbench record` is in
 * cmd_record.c.)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/formats/trace.h"
#include "workloads/workload.h"

/* ------------------------------------------------------------------ */
/* trace gen                                                            */
/* ------------------------------------------------------------------ */

static const char gen_usage[] =
    "usage: heapbench trace gen -w WORK [--scale S] [--seed N] -o FILE\n"
    "\n"
    "Writes WORK's op stream to FILE (trace format v1, harness/formats/trace.h); the same\n"
    "workload, scale and seed give a byte-identical file.  Replay it with\n"
    "heapbench run --trace FILE -a ALLOC -c COLL.\n";

typedef struct gen_ctx {
    hb_trace_writer w;
    uint32_t nregs;
    int failed;        /* a write failed (errno kept) */
    const char *why;   /* a generated op was invalid */
    uint64_t bad_op;
} gen_ctx;

static int gen_flush(hb_sink *s)
{
    gen_ctx *g = s->ctx;
    size_t bad = hb_ops_validate(s->buf, s->len, g->nregs, &g->why);
    if (bad != s->len) {
        g->bad_op = s->emitted - s->len + bad;
        return 1;
    }
    if (hb_trace_append(&g->w, s->buf, s->len) != 0) {
        g->failed = errno ? errno : EIO;
        return 1;
    }
    return 0;
}

static int gen_write(const wl_workload *wk, const wl_params *wp, const char *out)
{
    static hb_op buf[4096];
    static gen_ctx g;
    hb_trace_header h;
    memset(&h, 0, sizeof h);
    memset(&g, 0, sizeof g);
    h.kind = HB_TRACE_OPS;
    h.seed = wp->seed;
    h.scale = wp->scale;
    snprintf(h.source, sizeof h.source, "%.16s", wk->name);
    g.nregs = wk->registers(wp) ? wk->registers(wp) : 1;
    if (hb_trace_create(&g.w, out, &h) != 0) {
        fprintf(stderr, "heapbench trace gen: cannot write %s: %s\n", out, strerror(errno));
        return HB_EXIT_USAGE;
    }
    hb_sink sink = {.buf = buf, .cap = sizeof buf / sizeof buf[0], .flush = gen_flush, .ctx = &g};
    hb_err why;
    hb_err_clear(&why);
    wl_params p = *wp;
    p.err = &why;
    int rc = wk->generate(&p, &sink);
    hb_sink_flush(&sink);
    if (g.why || g.failed || rc != 0) {
        if (g.why)
            fprintf(stderr, "heapbench trace gen: workload %s emitted a bad op %" PRIu64 ": %s\n",
                    wk->name, g.bad_op, g.why);
        else if (g.failed)
            fprintf(stderr, "heapbench trace gen: cannot write %s: %s\n", out, strerror(g.failed));
        else if (why.msg[0])
            fprintf(stderr, "heapbench trace gen: %s\n", why.msg);
        else
            fprintf(stderr, "heapbench trace gen: workload %s could not generate its stream\n",
                    wk->name);
        hb_trace_abandon(&g.w);
        return HB_EXIT_FAIL;
    }
    uint64_t n = g.w.h.ops;
    if (hb_trace_finish(&g.w, g.nregs) != 0) {
        fprintf(stderr, "heapbench trace gen: cannot write %s: %s\n", out, strerror(errno));
        return HB_EXIT_FAIL;
    }
    fprintf(stderr, "heapbench trace gen: %s: %" PRIu64 " ops, %" PRIu32 " registers, %" PRIu64
            " bytes\n", out, n, g.nregs, HB_TRACE_HEADER_BYTES + 16 * n + 8);
    return HB_EXIT_OK;
}

static int cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"workload", required_argument, 0, 'w'}, {"scale", required_argument, 0, 's'},
        {"seed", required_argument, 0, 'S'},     {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    const char *wname = NULL, *out = NULL;
    wl_params wp = {.scale = 1.0, .seed = 1};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': wname = optarg; break;
        case 'o': out = optarg; break;
        case 's':
            if (hb_parse_double(optarg, &wp.scale) != 0 || wp.scale <= 0 || wp.scale > 1e4)
                return hb_usage_error("trace gen", "bad value '%s' for --scale, expected a "
                                                   "number > 0 and <= 10000", optarg);
            break;
        case 'S':
            if (hb_parse_u64(optarg, &wp.seed) != 0)
                return hb_usage_error("trace gen", "bad value '%s' for --seed, expected a whole "
                                                   "number", optarg);
            break;
        case 'h': fputs(gen_usage, stdout); return HB_EXIT_OK;
        case ':': return hb_usage_error("trace gen", "option '%s' needs a value", argv[optind - 1]);
        default:
            return hb_usage_error("trace gen", "unknown option '%s' (see heapbench trace gen "
                                               "--help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return hb_usage_error("trace gen", "unexpected argument '%s'", argv[optind]);
    if (wname == NULL || out == NULL)
        return hb_usage_error("trace gen", "missing %s, expected -w WORK -o FILE",
                              wname ? "-o FILE" : "-w WORK");
    const void *wk = NULL;
    int rc = hb_resolve("trace gen", &wl_registry, wname, &wk);
    return rc ? rc : gen_write(wk, &wp, out);
}

/* ------------------------------------------------------------------ */
/* trace dump                                                           */
/* ------------------------------------------------------------------ */

static const char dump_usage[] =
    "usage: heapbench trace dump FILE [--limit N]\n"
    "\n"
    "Checks FILE whole (header, checksum, every op), then prints its header and\n"
    "one op per line: index, name, operands.  --limit N prints the first N ops.\n";

static const char *const kind_names[] = {"LEAF", "CONTAINER", "ARRAY"};

static void dump_op(FILE *out, uint64_t i, const hb_op *op)
{
    fprintf(out, "%" PRIu64 " %s", i, hb_op_name(op->code));
    switch (op->code) {
    case HB_OP_NEW:
        fprintf(out, " r=%" PRIu32 " kind=%s%s nrefs=%" PRIu32 " bytes=%" PRIu32, op->a,
                kind_names[op->kind], op->flags & HB_F_FINALIZER ? " finalizer" : "", op->b, op->c);
        break;
    case HB_OP_SET:
        if (op->c == HB_NIL)
            fprintf(out, " r=%" PRIu32 " i=%" PRIu32 " s=nil", op->a, op->b);
        else
            fprintf(out, " r=%" PRIu32 " i=%" PRIu32 " s=%" PRIu32, op->a, op->b, op->c);
        break;
    case HB_OP_GET:
        fprintf(out, " d=%" PRIu32 " r=%" PRIu32 " i=%" PRIu32, op->a, op->b, op->c);
        break;
    case HB_OP_MOV: fprintf(out, " d=%" PRIu32 " s=%" PRIu32, op->a, op->b); break;
    case HB_OP_DROP: case HB_OP_FREE: fprintf(out, " r=%" PRIu32, op->a); break;
    case HB_OP_TOUCH:
        fprintf(out, " r=%" PRIu32 " bytes=%" PRIu32 " byte=0x%02x", op->a, op->c, op->kind);
        break;
    case HB_OP_PHASE: fprintf(out, " n=%" PRIu32, op->c); break;
    case HB_OP_MALLOC: case HB_OP_REALLOC:
        fprintf(out, " r=%" PRIu32 " bytes=%" PRIu32, op->a, op->c);
        break;
    default: break;
    }
    fputc('\n', out);
}

static int dump_file(const char *path, uint64_t limit)
{
    hb_trace_file t;
    char err[600];
    if (hb_trace_open(&t, path, 1, err, sizeof err) != 0) {
        fprintf(stderr, "heapbench trace dump: %s\n", err);
        return HB_EXIT_USAGE;
    }
    const hb_trace_header *h = &t.h;
    printf("# heapbench trace %s\nversion %" PRIu32 "\nkind %" PRIu32 " (%s)\nregisters %" PRIu32
           "\nflags %" PRIu32 "\nops %" PRIu64 "\nseed %" PRIu64 "\nscale %.17g\nsource %s\n",
           path, h->version, h->kind, hb_trace_kind_name(h->kind), h->registers, h->flags, h->ops,
           h->seed, h->scale, h->source);
    static hb_op buf[4096];
    uint64_t n = limit < h->ops ? limit : h->ops;
    for (uint64_t i = 0; i < n; i += 4096) {
        long got = hb_trace_read(&t, i, buf, n - i < 4096 ? (size_t)(n - i) : 4096);
        if (got <= 0) {
            fprintf(stderr, "heapbench trace dump: %s: read error at op %" PRIu64 "\n", path, i);
            hb_trace_close(&t);
            return HB_EXIT_FAIL;
        }
        for (long k = 0; k < got; k++)
            dump_op(stdout, i + (uint64_t)k, &buf[k]);
    }
    hb_trace_close(&t);
    return fflush(stdout) == 0 ? HB_EXIT_OK : HB_EXIT_FAIL;
}

static int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        {"limit", required_argument, 0, 'l'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    uint64_t limit = UINT64_MAX;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (hb_parse_u64(optarg, &limit) != 0)
                return hb_usage_error("trace dump", "bad value '%s' for --limit, expected a "
                                                    "whole number of ops", optarg);
            break;
        case 'h': fputs(dump_usage, stdout); return HB_EXIT_OK;
        case ':': return hb_usage_error("trace dump", "option '%s' needs a value", argv[optind - 1]);
        default: return hb_usage_error("trace dump", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return hb_usage_error("trace dump", "expected one FILE, got %d arguments", argc - optind);
    return dump_file(argv[optind], limit);
}

int hb_cmd_trace(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "gen") == 0)
        return cmd_gen(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "dump") == 0)
        return cmd_dump(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(gen_usage, stdout);
        fputs("\n", stdout);
        fputs(dump_usage, stdout);
        return HB_EXIT_OK;
    }
    return hb_usage_error("trace", "unknown subcommand '%s', expected gen or dump",
                          argc >= 2 ? argv[1] : "");
}
