/*
 * harness/cli/cmd_trace.c -- `heapbench trace gen|dump` and `heapbench record`.
 *
 * gen writes a workload's op stream to a trace file (the same workload,
 * scale and seed always give the same bytes); dump prints a trace as text,
 * header first, after checking it whole; record runs a program with the
 * recording preload library (harness/record/record_preload.c), which writes one
 * allocator trace per process: the top process's to FILE, each process it
 * starts with exec to FILE.PID.PROGRAM.  Processes forked without exec are
 * not recorded (they share the parent's history up to the fork, and the
 * trace of one process must stand alone).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/formats/trace.h"
#include "workloads/workload.h"

#define RECORD_LIB_NAME "libheapbench-record.so"

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
    int rc = wk->generate(wp, &sink);
    hb_sink_flush(&sink);
    if (g.why || g.failed || rc != 0) {
        if (g.why)
            fprintf(stderr, "heapbench trace gen: workload %s emitted a bad op %" PRIu64 ": %s\n",
                    wk->name, g.bad_op, g.why);
        else if (g.failed)
            fprintf(stderr, "heapbench trace gen: cannot write %s: %s\n", out, strerror(g.failed));
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

/* ------------------------------------------------------------------ */
/* record                                                               */
/* ------------------------------------------------------------------ */

static const char record_usage[] =
    "usage: heapbench record -o FILE [--lib PATH] -- PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with a preloaded library that logs its malloc, calloc, realloc,\n"
    "reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc and free\n"
    "calls (sizes and order, not addresses) into an allocator trace (kind 2).  The\n"
    "top process's trace is FILE; each process it starts with exec writes\n"
    "FILE.PID.PROGRAM; processes forked without exec are not recorded.  A trace is\n"
    "written when its process exits normally (exit or return from main); one that\n"
    "ends by a signal or _exit leaves none.  Alignment is not recorded.\n"
    "Replay with heapbench run --trace FILE -a ALLOC (no -c).\n"
    "\n"
    "  -o, --out FILE   the trace of the top process\n"
    "      --lib PATH   the preload library; default " RECORD_LIB_NAME " next to the\n"
    "                   heapbench binary (or $HEAPBENCH_RECORD_LIB)\n"
    "\n"
    "Exit status: 0 the program exited 0 and its trace was written, 1 otherwise,\n"
    "2 bad usage.\n";

/* The preload library: --lib, $HEAPBENCH_RECORD_LIB, or next to the binary. */
static int find_lib(const char *given, char *out, size_t cap)
{
    const char *env = getenv("HEAPBENCH_RECORD_LIB");
    char exe[PATH_MAX];
    if (given || env) {
        snprintf(out, cap, "%s", given ? given : env);
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return -1;
        exe[n] = '\0';
        snprintf(out, cap, "%s/%s", dirname(exe), RECORD_LIB_NAME);
    }
    char *abs = realpath(out, NULL);
    if (abs == NULL)
        return -1;
    snprintf(out, cap, "%s", abs);
    free(abs);
    return strpbrk(out, " :") ? -1 : 0; /* LD_PRELOAD splits on both */
}

static int absolute(const char *path, char *out, size_t cap)
{
    char cwd[PATH_MAX];
    if (path[0] == '/')
        return snprintf(out, cap, "%s", path) < (int)cap ? 0 : -1;
    if (getcwd(cwd, sizeof cwd) == NULL)
        return -1;
    return snprintf(out, cap, "%s/%s", cwd, path) < (int)cap ? 0 : -1;
}

static void exec_program(char **argv, const char *lib, const char *out, const char *index)
{
    char pid[32], preload[2 * PATH_MAX];
    const char *old = getenv("LD_PRELOAD");
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    snprintf(preload, sizeof preload, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
    if (setenv("HB_RECORD_OUT", out, 1) || setenv("HB_RECORD_TOP", pid, 1) ||
        setenv("HB_RECORD_INDEX", index, 1) || setenv("LD_PRELOAD", preload, 1))
        _exit(127);
    signal(SIGINT, SIG_DFL);
    execvp(argv[0], argv);
    fprintf(stderr, "heapbench record: cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Prints the index the processes wrote; returns whether the top one is in it. */
static int show_index(const char *index, const char *out)
{
    FILE *f = fopen(index, "r");
    char line[PATH_MAX + 256];
    int top = 0, n = 0;
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *pid = strtok_r(line, "\t\n", &save), *ops = strtok_r(NULL, "\t\n", &save),
             *regs = strtok_r(NULL, "\t\n", &save), *path = strtok_r(NULL, "\t\n", &save),
             *prog = strtok_r(NULL, "\t\n", &save);
        if (!pid || !ops || !regs || !path || !prog)
            continue;
        fprintf(stderr, "heapbench record: %s: %s ops, %s registers (%s, pid %s)\n", path, ops,
                regs, prog, pid);
        top |= strcmp(path, out) == 0;
        n++;
    }
    fclose(f);
    fprintf(stderr, "heapbench record: %d trace%s written\n", n, n == 1 ? "" : "s");
    return top;
}

/* Removes the unfinished traces of processes that exec'd away or died. */
static int remove_unfinished(const char *out)
{
    char dir[PATH_MAX], base[PATH_MAX], path[2 * PATH_MAX + 2];
    snprintf(dir, sizeof dir, "%s", out);
    snprintf(base, sizeof base, "%s", out);
    const char *d = dirname(dir), *b = basename(base);
    size_t blen = strlen(b);
    DIR *dp = opendir(d);
    int n = 0;
    if (dp == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(dp)) != NULL;)
        if (strncmp(e->d_name, b, blen) == 0 && e->d_name[blen] == '.' &&
            strstr(e->d_name + blen, ".tmp.") != NULL) {
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            n += unlink(path) == 0;
        }
    closedir(dp);
    return n;
}

int hb_cmd_record(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"lib", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0},
    };
    const char *out = NULL, *lib_arg = NULL;
    char lib[PATH_MAX], path[PATH_MAX], index[PATH_MAX + 16];
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'l': lib_arg = optarg; break;
        case 'h': fputs(record_usage, stdout); return HB_EXIT_OK;
        case ':': return hb_usage_error("record", "option '%s' needs a value", argv[optind - 1]);
        default: return hb_usage_error("record", "unknown option '%s' (see heapbench record --help)",
                                       argv[optind - 1]);
        }
    }
    if (out == NULL || optind >= argc)
        return hb_usage_error("record", "expected -o FILE -- PROGRAM [ARGS...]");
    if (find_lib(lib_arg, lib, sizeof lib) != 0)
        return hb_usage_error("record", "preload library '%s' not found or its path has a space "
                                        "or colon, expected the built " RECORD_LIB_NAME
                                        " (--lib PATH)", lib);
    if (absolute(out, path, sizeof path) != 0)
        return hb_usage_error("record", "output path '%s' too long", out);
    snprintf(index, sizeof index, "%s.index", path);
    FILE *f = fopen(index, "w");
    if (f == NULL || fclose(f) != 0)
        return hb_usage_error("record", "cannot write %s: %s", index, strerror(errno));
    unlink(path);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return hb_usage_error("record", "fork: %s", strerror(errno));
    if (pid == 0)
        exec_program(argv + optind, lib, path, index);
    void (*old)(int) = signal(SIGINT, SIG_IGN); /* the program decides what ^C does */
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    signal(SIGINT, old);
    int top = show_index(index, path);
    int junk = remove_unfinished(path);
    if (junk)
        fprintf(stderr, "heapbench record: removed %d unfinished trace%s (processes that exec'd "
                "again or did not exit normally)\n", junk, junk == 1 ? "" : "s");
    unlink(index);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
        if (WIFSIGNALED(ws))
            fprintf(stderr, "heapbench record: %s died of signal %d\n", argv[optind], WTERMSIG(ws));
        else
            fprintf(stderr, "heapbench record: %s exited with status %d\n", argv[optind],
                    WEXITSTATUS(ws));
        return HB_EXIT_FAIL;
    }
    if (!top) {
        fprintf(stderr, "heapbench record: no trace for %s (it did not exit normally, or it is "
                "statically linked)\n", argv[optind]);
        return HB_EXIT_FAIL;
    }
    return HB_EXIT_OK;
}
