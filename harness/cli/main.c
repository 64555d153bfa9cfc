/*
 * harness/cli/main.c -- the `heapbench` command: dispatch to the subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocators/peers.h"
#include "build_info.h"
#include "harness/cli/cli.h"
#include "harness/run/run.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"list", hb_cmd_list, "the allocators, collectors and workloads available"},
    {"run", hb_cmd_run, "one allocator x collector x workload, rows per repetition"},
    {"matrix", hb_cmd_matrix, "every combination into a resumable results folder"},
    {"merge", hb_cmd_merge, "join the results folders of matrix shards"},
    {"report", hb_cmd_report, "medians, confidence intervals and ratios of a results folder"},
    {"plot", hb_cmd_plot, "the gnuplot figures of a results folder"},
    {"trace", hb_cmd_trace, "trace gen: a workload to a trace file; trace dump: one as text"},
    {"minheap", hb_cmd_minheap, "the smallest heap limit at which each cell completes"},
    {"record", hb_cmd_record, "a program's malloc/free calls into an allocator trace"},
    {"claims", hb_cmd_claims, "the common claims about Python's memory, answered with data"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: heapbench COMMAND [options]   (heapbench COMMAND --help)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].what);
    fprintf(out, "\nheapbench %s (%s build, commit %s)\n", HB_VERSION, HB_BUILD_TYPE, HB_GIT_COMMIT);
}

int main(int argc, char **argv)
{
    /* jemalloc needs more static TLS than glibc leaves for dlopen: restart
     * once with the tunable that provides it (see allocators/peers.h). */
    hb_err tls;
    if (al_peer_reexec_for_tls(argv, &tls) != 0)
        fprintf(stderr, "heapbench: %s\n", tls.msg);
    if (isatty(STDERR_FILENO))
        hb_run_progress = hb_print_progress;
    if (argc == 4 && strcmp(argv[1], "__rep") == 0) /* an isolated repetition (run.c) */
        return hb_rep_child_main(atoi(argv[2]), atoi(argv[3]));
    hb_rep_exe = "/proc/self/exe";
    if (argc < 2) {
        usage(stderr);
        return HB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return HB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("heapbench %s (%s build, commit %s)\n", HB_VERSION, HB_BUILD_TYPE, HB_GIT_COMMIT);
        return HB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "heapbench: unknown command '%s', expected one of:", argv[1]);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
    fprintf(stderr, "\n");
    return HB_EXIT_USAGE;
}
