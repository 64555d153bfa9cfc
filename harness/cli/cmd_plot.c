/*
 * harness/cli/cmd_plot.c -- command layer: `heapbench plot DIR`, every figure
 * of a results folder.
 *
 * It brings the folder's derived files up to date (runs `report --format
 * csv` when summary.csv is missing or older than rows.csv; turns
 * heapbench-micro's Google Benchmark JSON, DIR/micro.json, into micro.csv),
 * then runs each script plots/NAME.gp through gnuplot with dir='DIR' and names the
 * files each wrote into DIR/figures/.  A script whose input is absent is
 * skipped with a note (no micro.json: no microbenchmark figure).  The
 * scripts are found with --scripts, $HEAPBENCH_PLOTS, in the installed share
 * folder, or in the source tree the binary was built from (find_scripts).
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "build_info.h"
#include "harness/formats/io.h"
#include "harness/formats/machine.h"

#define PL_PATH 4096

extern char **environ;

static const char plot_usage[] =
    "usage: heapbench plot DIR [--scripts PLOTS_DIR]\n"
    "\n"
    "Draws every figure of a results folder into DIR/figures/ (PDF for papers, PNG\n"
    "for screens) with the gnuplot scripts in plots/, running `heapbench report\n"
    "--format csv` first when DIR/summary.csv is missing or stale.  Needs gnuplot\n"
    "(apt-get install gnuplot-nox).\n";

/* What each known script reads; a script not listed always runs. */
static const struct {
    const char *script, *needs;
} pl_inputs[] = {
    {"footprint.gp", "series/*_server_rep1.csv"},
    {"micro.gp", "micro.csv"},
    {"hyperfine.gp", "hyperfine.csv"},
    {"timespace.gp", "timespace.csv"},
    {"lbo.gp", "timespace.csv"},
};

/* The figures of a heap-factor sweep (matrix --heap-factors): in such a
 * folder only these are drawn (the others would stack a cell's factors on
 * one bar or curve), and timespace.gp only there. */
static const char *const pl_sweep[] = {"timespace.gp", "lbo.gp"};

/* ---- Finding things ---- */

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char dir[PL_PATH], full[PL_PATH];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(dir, sizeof dir, "%.*s", (int)n, path);
        if (hb_path(full, sizeof full, "%s/%s", n ? dir : ".", prog) == 0 &&
            access(full, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

static int has_style(const char *dir)
{
    char p[PL_PATH];
    return hb_path(p, sizeof p, "%s/style.gp", dir) == 0 && access(p, R_OK) == 0;
}

/* The folder of the running binary, into buf; -1 if unknown. */
static int exe_dir(char *buf, size_t cap)
{
    char exe[PL_PATH];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    return hb_path(buf, cap, "%s", dirname(exe));
}

/*
 * The scripts, in this order: --scripts, $HEAPBENCH_PLOTS (either one must
 * hold style.gp); the installed share folder relative to the binary
 * (BIN/../share/heapbench/plots, so an install under any --prefix works) and
 * at the configured prefix; the source tree this binary was built from
 * (so a build in any folder works).
 */
static int find_scripts(const char *given, char *out, size_t cap)
{
    const char *env = getenv("HEAPBENCH_PLOTS");
    if (given || env)
        return hb_path(out, cap, "%s", given ? given : env) || !has_style(out) ? -1 : 0;
    char bin[PL_PATH];
    if (exe_dir(bin, sizeof bin) == 0 && hb_path(out, cap, "%s/" HB_PLOTS_FROM_BIN, bin) == 0 &&
        has_style(out))
        return 0;
    if (hb_path(out, cap, "%s", HB_INSTALL_PLOTS) == 0 && has_style(out))
        return 0;
    if (hb_path(out, cap, "%s", HB_SOURCE_PLOTS) == 0 && has_style(out))
        return 0;
    return -1;
}

/* ---- Derived files ---- */

static int stale(const char *dir, const char *derived, const char *source)
{
    char a[PL_PATH], b[PL_PATH];
    struct stat sa, sb;
    hb_path(a, sizeof a, "%s/%s", dir, derived);
    hb_path(b, sizeof b, "%s/%s", dir, source);
    if (stat(a, &sa) != 0)
        return 1;
    if (stat(b, &sb) != 0)
        return 0;
    return sa.st_mtim.tv_sec < sb.st_mtim.tv_sec ||
           (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec < sb.st_mtim.tv_nsec);
}

static int run_report(const char *dir)
{
    char *argv[] = {"report", (char *)dir, "--format", "csv", NULL};
    return hb_cmd_report(4, argv);
}

/* One benchmark entry of Google Benchmark's JSON. */
typedef struct pl_bench {
    char name[256], run_type[32], aggregate[32], unit[8];
    double real_time, ns_per_op;
} pl_bench;

static void get_str(const char *o, const char *e, const char *key, char *buf, size_t cap)
{
    size_t len;
    const char *v = hb_json_find(o, e, key, &len);
    if (v == NULL || hb_json_string(v, len, buf, cap) != 0)
        buf[0] = '\0';
}

static double get_num(const char *o, const char *e, const char *key)
{
    size_t len;
    const char *v = hb_json_find(o, e, key, &len);
    return v ? hb_json_number(v, len) : -1;
}

static void read_bench(const char *o, const char *e, pl_bench *b)
{
    get_str(o, e, "name", b->name, sizeof b->name);
    get_str(o, e, "run_type", b->run_type, sizeof b->run_type);
    get_str(o, e, "aggregate_name", b->aggregate, sizeof b->aggregate);
    get_str(o, e, "time_unit", b->unit, sizeof b->unit);
    b->real_time = get_num(o, e, "real_time");
    b->ns_per_op = get_num(o, e, "ns_per_op");
}

/* ns per op: the benchmark's own ns_per_op counter when it has one, else
 * its real time per iteration in ns. */
static double bench_ns(const pl_bench *b)
{
    if (b->ns_per_op > 0)
        return b->ns_per_op;
    double scale = !strcmp(b->unit, "us") ? 1e3 : !strcmp(b->unit, "ms") ? 1e6
                 : !strcmp(b->unit, "s")  ? 1e9 : 1;
    return b->real_time * scale;
}

/* family/allocator[/bytes][/other:args] -> one CSV line; 0 if written. */
static int bench_line(FILE *f, const pl_bench *b, const char **allocs, size_t *na)
{
    char name[256], *save = NULL;
    snprintf(name, sizeof name, "%s", b->name);
    char *fam = strtok_r(name, "/", &save), *al = strtok_r(NULL, "/", &save);
    char *sz = strtok_r(NULL, "/", &save);
    if (fam == NULL || al == NULL || bench_ns(b) <= 0)
        return -1;
    long bytes = sz && strspn(sz, "0123456789") == strlen(sz) ? atol(sz) : 0;
    fprintf(f, "%s,%s,", fam, al);
    if (bytes)
        fprintf(f, "%ld", bytes);
    fprintf(f, ",%.6g\n", bench_ns(b));
    /* The figure's series are the allocators of the allocator families. */
    if (strcmp(fam, "alloc_pair") != 0 && strcmp(fam, "alloc_churn") != 0)
        return 0;
    size_t i = 0;
    while (i < *na && strcmp(allocs[i], al))
        i++;
    if (i == *na && *na < 64)
        allocs[(*na)++] = strdup(al);
    return 0;
}

/* Walks the "benchmarks" array: medians of repetitions if there are any,
 * else the plain iterations.  Returns the lines written. */
static size_t convert_benchmarks(FILE *f, const char *arr, const char *end, const char **allocs,
                                 size_t *na)
{
    int use_median = strstr(arr, "\"aggregate_name\": \"median\"") != NULL;
    size_t lines = 0;
    const char *p = arr + 1;
    for (;;) {
        while (p < end && strchr(" \t\r\n,", *p))
            p++;
        if (p >= end || *p != '{')
            break;
        const char *e = hb_json_skip(p, end);
        if (e == NULL)
            break;
        pl_bench b;
        read_bench(p, e, &b);
        int take = use_median ? !strcmp(b.aggregate, "median")
                              : strcmp(b.run_type, "aggregate") != 0;
        if (take && bench_line(f, &b, allocs, na) == 0)
            lines++;
        p = e;
    }
    return lines;
}

static int write_micro_vars(const char *dir, const char **allocs, size_t na, hb_err *e)
{
    char path[PL_PATH];
    hb_atomic a;
    if (hb_path(path, sizeof path, "%s/micro_vars.gp", dir) != 0)
        return hb_fail(e, HB_ERR_USAGE, "folder name too long: '%.80s...'", dir);
    if (hb_atomic_open(&a, path, e) != 0)
        return -1;
    fputs("# Written by heapbench plot from micro.json.\nmicro_allocs = \"", a.f);
    for (size_t i = 0; i < na; i++)
        fprintf(a.f, "%s%s", i ? " " : "", allocs[i]);
    fputs("\"\n", a.f);
    return hb_atomic_commit(&a, e);
}

/* micro.json -> micro.csv and micro_vars.gp; 0 also when there is no
 * micro.json (no microbenchmarks in this folder). */
static int convert_micro(const char *dir)
{
    char in[PL_PATH], out[PL_PATH];
    if (hb_path(in, sizeof in, "%s/micro.json", dir) || hb_path(out, sizeof out, "%s/micro.csv", dir))
        return -1;
    size_t len;
    char *json = hb_read_whole(in, &len, NULL);
    if (json == NULL)
        return 0;
    const char *arr = hb_json_find(json, json + len, "benchmarks", &len);
    const char *allocs[64];
    size_t na = 0, lines = 0;
    hb_atomic a;
    hb_err e;
    hb_err_clear(&e);
    if (arr && hb_atomic_open(&a, out, &e) == 0) {
        fputs("family,allocator,bytes,ns_per_op\n", a.f);
        lines = convert_benchmarks(a.f, arr, arr + len, allocs, &na);
        if (lines == 0)
            hb_atomic_abort(&a);
        else if (hb_atomic_commit(&a, &e) == 0)
            write_micro_vars(dir, allocs, na, &e);
    }
    for (size_t i = 0; i < na; i++)
        free((char *)allocs[i]);
    free(json);
    if (e.kind != HB_ERR_NONE) {
        fprintf(stderr, "heapbench plot: %s\n", e.msg);
        return -1;
    }
    if (lines == 0) {
        fprintf(stderr, "heapbench plot: %s has no benchmarks I can read, expected Google "
                        "Benchmark JSON (heapbench-micro --benchmark_format=json)\n", in);
        return -1;
    }
    fprintf(stderr, "heapbench plot: %zu microbenchmarks from %s into %s\n", lines, in, out);
    return 0;
}

/* ---- Running the scripts ---- */

static const char *script_needs(const char *base)
{
    for (size_t i = 0; i < sizeof pl_inputs / sizeof pl_inputs[0]; i++)
        if (strcmp(pl_inputs[i].script, base) == 0)
            return pl_inputs[i].needs;
    return NULL;
}

static int input_present(const char *dir, const char *needs)
{
    char pattern[PL_PATH];
    glob_t g;
    if (hb_path(pattern, sizeof pattern, "%s/%s", dir, needs))
        return 0;
    int ok = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    return ok;
}

/* Runs gnuplot on `script` with dir='DIR' set; 0 when it exited 0. */
int hb_run_gnuplot(const char *dir, const char *script)
{
    char var[PL_PATH + 16];
    if (hb_path(var, sizeof var, "dir='%s'", dir))
        return -1;
    char *argv[] = {"gnuplot", "-e", var, (char *)script, NULL};
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) != 0)
        return -1;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Prints the figures named <stem>*.pdf|png written since `since`. */
static size_t name_outputs(const char *dir, const char *stem, time_t since)
{
    char pattern[PL_PATH];
    glob_t g;
    size_t n = 0;
    if (hb_path(pattern, sizeof pattern, "%s/figures/%s*.[pp][dn][fg]", dir, stem) ||
        glob(pattern, 0, NULL, &g) != 0)
        return 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat s;
        if (stat(g.gl_pathv[i], &s) == 0 && s.st_mtime >= since && s.st_size > 0) {
            printf("  %s\n", g.gl_pathv[i]);
            n++;
        }
    }
    globfree(&g);
    return n;
}

/* Some line of DIR/timespace.csv has a heap factor above 0. */
static int is_sweep(const char *dir)
{
    char path[PL_PATH];
    if (hb_path(path, sizeof path, "%s/timespace.csv", dir))
        return 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int k = -1, found = 0;
    if (fgets(line, sizeof line, f)) { /* the header: heap_factor's column */
        int i = 0;
        for (char *save, *t = strtok_r(line, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save), i++)
            if (strcmp(t, "heap_factor") == 0)
                k = i;
    }
    while (k >= 0 && !found && fgets(line, sizeof line, f)) {
        const char *p = line;
        for (int i = 0; i < k && p; i++)
            p = (p = strchr(p, ',')) ? p + 1 : NULL;
        found = p && strtod(p, NULL) > 0;
    }
    fclose(f);
    return found;
}

/* Why a script is not drawn for this folder, or NULL. */
static const char *sweep_skip(const char *dir, const char *base)
{
    int mine = 0;
    for (size_t i = 0; i < sizeof pl_sweep / sizeof pl_sweep[0]; i++)
        mine |= strcmp(pl_sweep[i], base) == 0;
    int sweep = is_sweep(dir);
    if (sweep && !mine)
        return "a heap-factor sweep (its figures: timespace_*, lbo_*)";
    if (!sweep && strcmp(base, "timespace.gp") == 0)
        return "no rows with heap factors (matrix --heap-factors)";
    return NULL;
}

static int run_script(const char *dir, const char *script)
{
    char base[256], stem[256];
    snprintf(base, sizeof base, "%s", strrchr(script, '/') ? strrchr(script, '/') + 1 : script);
    snprintf(stem, sizeof stem, "%.*s", (int)strcspn(base, "."), base);
    const char *needs = script_needs(base);
    if (needs && !input_present(dir, needs)) {
        printf("%s: skipped, no %s in %s\n", base, needs, dir);
        return 0;
    }
    const char *why = sweep_skip(dir, base);
    if (why) {
        printf("%s: skipped, %s\n", base, why);
        return 0;
    }
    time_t since = time(NULL) - 1;
    printf("%s:\n", base);
    fflush(stdout);
    if (hb_run_gnuplot(dir, script) != 0) {
        fprintf(stderr, "heapbench plot: gnuplot failed on %s (its message is above)\n", script);
        return -1;
    }
    if (name_outputs(dir, stem, since) == 0)
        printf("  (no figure: see the script's message above)\n");
    return 0;
}

static int run_all(const char *dir, const char *scripts)
{
    char pattern[PL_PATH];
    glob_t g;
    hb_path(pattern, sizeof pattern, "%s/*.gp", scripts);
    if (glob(pattern, 0, NULL, &g) != 0)
        return hb_usage_error("plot", "no gnuplot scripts in %s", scripts);
    int failed = 0;
    for (size_t i = 0; i < g.gl_pathc; i++)
        if (strcmp(strrchr(g.gl_pathv[i], '/') + 1, "style.gp") != 0)
            failed |= run_script(dir, g.gl_pathv[i]) != 0;
    globfree(&g);
    return failed ? HB_EXIT_FAIL : HB_EXIT_OK;
}

int hb_cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scripts", required_argument, 0, 's'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *given = NULL;
    char scripts[PL_PATH];
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(plot_usage, stdout);
            return HB_EXIT_OK;
        }
        if (c != 's')
            return hb_usage_error("plot", "bad option '%s' (see heapbench plot --help)",
                                  argv[optind - 1]);
        given = optarg;
    }
    if (optind + 1 != argc)
        return hb_usage_error("plot", "expected one results folder, DIR");
    const char *dir = argv[optind];
    if (strchr(dir, '\''))
        return hb_usage_error("plot", "folder '%s' has a quote in its name, expected none", dir);
    if (!on_path("gnuplot")) {
        fprintf(stderr, "heapbench plot: gnuplot not found on PATH; install it "
                        "(apt-get install gnuplot-nox) and run this again\n");
        return HB_EXIT_FAIL;
    }
    if (find_scripts(given, scripts, sizeof scripts) != 0)
        return hb_usage_error("plot", "cannot find the plot scripts (style.gp) in %s, %s or %s, "
                                      "expected --scripts DIR or HEAPBENCH_PLOTS",
                              "BIN/" HB_PLOTS_FROM_BIN, HB_INSTALL_PLOTS, HB_SOURCE_PLOTS);
    printf("scripts: %s\n", scripts);
    int rc = 0;
    if (stale(dir, "summary.csv", "rows.csv") || stale(dir, "summary.gp", "rows.csv") ||
        stale(dir, "timespace.csv", "rows.csv"))
        rc = run_report(dir);
    if (rc != 0)
        return rc;
    if (stale(dir, "micro.csv", "micro.json"))
        convert_micro(dir);
    return run_all(dir, scripts);
}
