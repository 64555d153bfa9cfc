/*
 * harness/cli/cli.h -- the `heapbench` subcommands and the parsing they share.
 *
 * Every subcommand is `int hb_cmd_NAME(int argc, char **argv)` with argv[0]
 * the subcommand's name; it returns the process's exit status:
 *   0 success, 1 a run that did not end ok, 2 usage or input error,
 *   130 interrupted.
 * Usage errors print "heapbench CMD: <what was wrong>, expected <what>" on
 * stderr, naming the bad value and the valid choices.
 */
#ifndef HB_CLI_H
#define HB_CLI_H

#include <stddef.h>
#include <stdint.h>

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
int hb_cmd_trace(int argc, char **argv);  /* trace gen | trace dump */
int hb_cmd_record(int argc, char **argv); /* a program's allocator trace */

/* Prints "heapbench CMD: message\n" on stderr and returns HB_EXIT_USAGE. */
int hb_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Number parsers: 0 on success, -1 (nothing stored) on a malformed or
 * out-of-range value.  Sizes take K, M, G suffixes (powers of 1024). */
int hb_parse_u64(const char *s, uint64_t *out);
int hb_parse_double(const char *s, double *out);
int hb_parse_size(const char *s, uint64_t *out);

/*
 * Name lookups for -a, -c, -w: 0 and *out set, or a usage message naming
 * the bad value and the valid choices (or why an existing backend cannot
 * be used here) and HB_EXIT_USAGE.
 */
struct al_backend;
struct gc_strategy;
struct wl_workload;
int hb_resolve_alloc(const char *cmd, const char *name, const struct al_backend **out);
int hb_resolve_coll(const char *cmd, const char *name, const struct gc_strategy **out);
int hb_resolve_work(const char *cmd, const char *name, const struct wl_workload **out);
/* Whether collector g may run over allocator a (requires_allocator). */
int hb_pairing_ok(const struct al_backend *a, const struct gc_strategy *g);

#endif
