/*
 * harness/cli/cli.h -- command layer: the `heapbench` subcommands and what
 * they share: usage errors, and the run settings as options.
 *
 * Every subcommand is `int hb_cmd_NAME(int argc, char **argv)` with argv[0]
 * the subcommand's name; it returns the process's exit status:
 *   0 success, 1 a run that did not end ok, 2 usage or input error,
 *   130 interrupted.
 * Usage errors print "heapbench CMD: <what was wrong>, expected <what>" on
 * stderr, naming the bad value and the valid choices.  Only this layer
 * prints; the layers below return an hb_err (hb_report_err prints one).
 */
#ifndef HB_CLI_H
#define HB_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/err.h"
#include "harness/core/registry.h"
#include "harness/run/settings.h"

#define HB_EXIT_OK 0
#define HB_EXIT_FAIL 1
#define HB_EXIT_USAGE 2
#define HB_EXIT_INTERRUPTED 130

int hb_cmd_list(int argc, char **argv);
int hb_cmd_run(int argc, char **argv);
int hb_cmd_matrix(int argc, char **argv);
int hb_cmd_merge(int argc, char **argv);
int hb_cmd_report(int argc, char **argv);
int hb_cmd_plot(int argc, char **argv);
/* gnuplot SCRIPT with dir='DIR' (cmd_plot.c); 0 when it exited 0. */
int hb_run_gnuplot(const char *dir, const char *script);
int hb_cmd_trace(int argc, char **argv);  /* trace gen | trace dump */
int hb_cmd_record(int argc, char **argv); /* a program's allocator trace */
int hb_cmd_minheap(int argc, char **argv); /* minimum heaps by bisection */
int hb_cmd_claims(int argc, char **argv);  /* the claims report (cmd_claims.c) */

/* Prints "heapbench CMD: message\n" on stderr and returns HB_EXIT_USAGE. */
int hb_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints e as "heapbench CMD: message" and returns its exit status: 2 for
 * usage and input errors, 1 otherwise. */
int hb_report_err(const char *cmd, const hb_err *e);

/* hb_run's note (a repetition that did not end ok, and why) as one line on
 * stderr: "heapbench: ALLOC/COLL/WORK rep N: STATUS: why". */
struct hb_row;
void hb_print_note(void *arg, const struct hb_row *row, const char *why);

/* hb_run's progress as one line on stderr, rewritten in place and cleared
 * at the repetition's end: main() installs it when stderr is a terminal. */
struct hb_progress;
void hb_print_progress(const struct hb_progress *p);

/* A name looked up in a registry (al_registry, gc_registry, wl_registry,
 * harness/core/registry.h): 0 and *out set, or the usage message naming
 * the bad value and the valid choices (or why it cannot run here) and
 * HB_EXIT_USAGE. */
int hb_resolve(const char *cmd, const hb_registry *r, const char *name, const void **out);

/*
 * The run settings (harness/run/settings.h) as options, the same for every
 * command that runs: hb_setting_options appends their getopt entries to
 * opts[*n..cap) (each one's val is HB_OPT_SETTING + its index; the aliases
 * follow the settings); hb_setting_option applies the one getopt returned
 * (0, or the usage error's status); hb_setting_help prints their help lines.
 */
#define HB_OPT_SETTING 1000
void hb_setting_options(struct option *opts, size_t *n, size_t cap);
int hb_setting_option(const char *cmd, hb_run_config *c, int val, const char *arg);
void hb_setting_help(FILE *out);

/* meta.json's settings (cmd_matrix.c, for matrix and merge): the raw
 * "settings" object of a meta.json text (malloc'd) or NULL, and the first
 * member in which two of them differ, as "KEY is A in one and B in the other". */
char *hb_meta_settings(const char *meta);
void hb_settings_diff(const char *a, const char *b, char *msg, size_t cap);

#endif
