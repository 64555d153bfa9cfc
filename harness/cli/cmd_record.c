/*
 * harness/cli/cmd_record.c -- command layer: `heapbench record`, a program's
 * allocator calls into allocator traces.
 *
 * It runs the program with the recording preload library
 * (harness/record/record_preload.c), which writes one allocator trace per
 * process: the top process's to FILE, each process it starts with exec to
 * FILE.PID.PROGRAM.  Processes forked without exec are not recorded (they
 * share the parent's history up to the fork, and the trace of one process
 * must stand alone).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_info.h"
#include "harness/cli/cli.h"
#include "harness/formats/io.h"

#define RECORD_LIB_NAME "libheapbench-record.so"

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
    "      --lib PATH   the preload library; default $HEAPBENCH_RECORD_LIB, else\n"
    "                   " RECORD_LIB_NAME " next to the heapbench binary, in\n"
    "                   BIN/../lib (installed) or in " HB_INSTALL_LIB "\n"
    "\n"
    "Exit status: 0 the program exited 0 and its trace was written, 1 otherwise\n"
    "(also when the program cannot be started), 2 bad usage.\n";

/* dir/RECORD_LIB_NAME into out if it exists; 0 or -1. */
static int lib_in(const char *dir, char *out, size_t cap)
{
    return hb_path(out, cap, "%s/" RECORD_LIB_NAME, dir) == 0 && access(out, R_OK) == 0 ? 0 : -1;
}

/* The preload library: --lib, $HEAPBENCH_RECORD_LIB, next to the binary (a
 * build folder), BIN/../lib (an install under any prefix), the configured
 * lib folder.  Made absolute: the program may change folders. */
static int find_lib(const char *given, char *out, size_t cap)
{
    const char *env = getenv("HEAPBENCH_RECORD_LIB");
    char exe[PATH_MAX], bin[PATH_MAX], up[PATH_MAX + 32];
    if (given || env) {
        hb_path(out, cap, "%s", given ? given : env);
    } else {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return -1;
        exe[n] = '\0';
        hb_path(bin, sizeof bin, "%s", dirname(exe));
        hb_path(up, sizeof up, "%s/" HB_LIB_FROM_BIN, bin);
        if (lib_in(bin, out, cap) != 0 && lib_in(up, out, cap) != 0 &&
            lib_in(HB_INSTALL_LIB, out, cap) != 0)
            return -1;
    }
    char *abs = realpath(out, NULL);
    if (abs == NULL)
        return -1;
    hb_path(out, cap, "%s", abs);
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
    if (pid < 0) { /* the system's failure, not the user's: 1, not 2 */
        fprintf(stderr, "heapbench record: cannot start %s: fork: %s\n", argv[optind],
                strerror(errno));
        unlink(index);
        return HB_EXIT_FAIL;
    }
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
