/*
 * harness/run/settings.h -- run core: the run settings, one list.
 *
 * HB_RUN_SETTINGS is the one description of a run's configuration (as
 * mimalloc's MI_STAT_FIELDS is of its statistics).  From it come:
 *   - the top-level members of hb_run_config (the others live in the
 *     plug-ins' own al_config, gc_config, wl_params, which they read);
 *   - the defaults of the command line (`heapbench run` and `matrix` alike);
 *   - the parsing of every option, with its bounds and its help line, for
 *     both commands, so they accept and refuse the same values;
 *   - the request sent to a repetition's child process and its reading back
 *     (hb_settings_write / hb_settings_read: "key=value" lines);
 *   - the "settings" of a results folder's meta.json and the list of keys
 *     compared when a folder is resumed or merged.
 * Adding a setting is one line below plus its use.
 *
 * Columns: X(AT, TYPE, member, key, option, role, default, lo, hi, help)
 *   AT      where the member lives: RUN (hb_run_config itself, declared
 *           from this list), AL (acfg), GC (gcfg), WL (wp)
 *   TYPE    NAME (a registry name or a path: text), F64 (lo < v <= hi),
 *           U64, SIZE (bytes, K/M/G suffixes), POW2 (a power-of-two size),
 *           (all lo <= v <= hi), ON (an option without a value that sets 1),
 *           OFF (one that sets 0), THRESH (three whole numbers a,b,c)
 *   option  the long option of `run` and `matrix`, or NULL (set by the
 *           commands themselves: names, paths, isolation)
 *   role    SWEEP: decides the rows, so it is part of a results folder's
 *           identity; VIEW: how the run shows itself, not identity; CELL: one
 *           cell's own (names, paths), not a folder-wide setting
 *   default the command line's default as text (parsed like a value), or NULL
 *           for zero, which means "the plug-in's default" for AL and GC members
 *
 * Zero in any member means the default of whoever reads it (hb_run: 1 rep,
 * a sample every 1,000,000 ops; the plug-ins: their own), so a zeroed
 * hb_run_config with names and a scale set is a valid run (tests do that).
 */
#ifndef HB_RUN_SETTINGS_H
#define HB_RUN_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/err.h"
#include "harness/formats/results.h"
#include "workloads/workload.h"

/* Where the rc options' help sends the reader for the pause rule, whose
 * one statement is GC_RC_PAUSE_RULE (collectors/collector.h); the help
 * states only the defaults, from the same constants. */
#define HB_RC_RULE_AT "the rule: README, How it measures, Pauses"

#define HB_RUN_SETTINGS(X) \
    X(RUN, NAME, alloc, "allocator", NULL, CELL, "pool", 0, 0, "allocator backend (heapbench list)") \
    X(RUN, NAME, coll, "collector", NULL, CELL, "rc-cycle", 0, 0, "collector strategy; none: an allocator trace") \
    X(RUN, NAME, work, "workload", NULL, CELL, "small-objects", 0, 0, "workload generator; none: a trace") \
    X(RUN, NAME, trace_path, "trace", NULL, CELL, NULL, 0, 0, "a trace file replayed instead of a workload") \
    X(RUN, NAME, series_path, "series_path", NULL, CELL, NULL, 0, 0, "the time series CSV") \
    X(RUN, U64, isolate, "isolate", NULL, CELL, "1", 0, 1, "each repetition in a child process") \
    X(WL, F64, scale, "scale", "scale", SWEEP, "1.0", 0, 1e4, "amount of work (1.0: roughly 1-5 s)") \
    X(WL, U64, seed, "seed", "seed", SWEEP, "1", 0, UINT64_MAX, "the generators' seed") \
    X(RUN, U64, reps, "reps", "reps", SWEEP, "1", 1, 100000, "measured repetitions") \
    X(RUN, U64, warmup, "warmup", "warmup", SWEEP, "0", 0, 100000, "untimed passes of the work before the measured one, in its process, each on a fresh heap") \
    X(RUN, SIZE, heap_limit_bytes, "heap_limit_bytes", "heap-limit", SWEEP, NULL, 1, UINT64_MAX, \
      "refuse allocations past SIZE live bytes: a collection is tried first, then the row says oom") \
    X(RUN, U64, series_every_ops, "series_every_ops", "every", SWEEP, NULL, 1, UINT64_MAX, \
      "ops between time-series samples (default 1000000)") \
    X(RUN, U64, oracle, "oracle", "oracle-every", SWEEP, NULL, 1, INT32_MAX, \
      "the reachability oracle on complete collections and every Nth partial one and chunk") \
    X(WL, ON, no_finalizers, "no_finalizers", "no-finalizers", SWEEP, NULL, 0, 1, \
      "cycles: no object gets a finalizer (the same stream otherwise)") \
    X(WL, ON, intern, "intern", "intern", SWEEP, NULL, 0, 1, \
      "small-objects: int-like leaves are shared, one per value, as CPython's small-int cache") \
    X(WL, ON, no_leaves, "no_leaves", "no-leaves", SWEEP, NULL, 0, 1, \
      "large-arrays: the arrays' slots stay empty (the same large blocks, no small leaves)") \
    X(GC, THRESH, threshold, "threshold", "threshold", SWEEP, NULL, 1, UINT32_MAX, \
      "rc-cycle generation thresholds (default 2000,10,10)") \
    X(GC, ON, cpython312, "cpython312", "cpython312", SWEEP, NULL, 0, 1, \
      "rc-cycle with CPython 3.12's thresholds 700,10,10") \
    X(GC, U64, rc_pause_min, "rc_pause_min", "rc-pause-min", SWEEP, NULL, 1, UINT32_MAX, \
      "rc, rc-cycle: the pause rule's object bound, the clock read at a cascade's Nth object " \
      "(default " GC_STR(GC_RC_CLOCK_OBJECTS) "; " HB_RC_RULE_AT ")") \
    X(GC, U64, rc_pause_ns, "rc_pause_ns", "rc-pause-ns", SWEEP, NULL, 1, UINT64_MAX, \
      "rc, rc-cycle: the pause rule's time bound, N ns (default " GC_STR(GC_RC_PAUSE_US) "000; " \
      HB_RC_RULE_AT ")") \
    X(GC, SIZE, rc_pause_bytes, "rc_pause_bytes", "rc-pause-bytes", SWEEP, NULL, 1, UINT64_MAX, \
      "rc, rc-cycle: the pause rule's byte bound, SIZE freed (default " GC_STR(GC_RC_PAUSE_MIB) \
      "M; " HB_RC_RULE_AT ")") \
    X(GC, ON, keep_tuples, "keep_tuples", "keep-tuples", SWEEP, NULL, 0, 1, \
      "rc-cycle: no tuple rule (containers are never untracked)") \
    X(GC, F64, growth, "growth", "growth", SWEEP, NULL, 1, 100, \
      "mark-sweep: collect when the heap grew by this factor (default 2.0)") \
    X(GC, SIZE, min_heap_bytes, "min_heap_bytes", NULL, SWEEP, NULL, 0, UINT64_MAX, \
      "mark-sweep: never collect below this (default 1M)") \
    X(GC, SIZE, finalizer_work, "finalizer_work", "finalizer-work", SWEEP, NULL, 1, 1ull << 30, \
      "every collector: each finalizer writes SIZE bytes before the object is freed (a costly __del__)") \
    X(GC, NAME, trigger, "trigger", "trigger", SWEEP, NULL, 0, 0, \
      "what starts a tracing collection: growth (default: each collector's growth policy, the heap limit a cap) or full (only when the next allocation would pass --heap-limit; needs it)") \
    X(GC, ON, incremental, "incremental", "incremental", SWEEP, NULL, 0, 1, "boehm: incremental mode") \
    X(GC, SIZE, nursery_bytes, "nursery_bytes", "nursery", SWEEP, NULL, 16384, 17179869184.0, \
      "gen-copy: bytes of the nursery's eden (default 4M)") \
    X(GC, U64, promote_age, "promote_age", "promote-age", SWEEP, NULL, 1, 15, \
      "gen-copy: minor collections survived before promotion (default 1)") \
    X(AL, POW2, arena_bytes, "arena_bytes", "arena-bytes", SWEEP, NULL, 1, UINT64_MAX, \
      "pool: arena size (default 1M)") \
    X(AL, POW2, pool_bytes, "pool_bytes", "pool-bytes", SWEEP, NULL, 1, UINT64_MAX, \
      "pool: pool size (default 16K)") \
    X(AL, U64, threads, "threads", "threads", SWEEP, NULL, 1, 255, \
      "OS threads: allocator workloads and traces run natively, server and small-objects as GIL-model mutators (default 1, or a trace's count)") \
    X(RUN, U64, switch_interval, "switch_interval", "switch-interval", SWEEP, NULL, 1, 16777216, \
      "GIL model: ops a mutator runs before it hands the GIL to the next (default 100000, about CPython's 5 ms)") \
    X(AL, SIZE, chunk_bytes, "chunk_bytes", "chunk-bytes", SWEEP, NULL, 4096, UINT64_MAX, \
      "bump: chunk size (default 1M)") \
    X(RUN, OFF, progress, "progress", "no-progress", VIEW, "1", 0, 1, "no progress line on stderr")

/* Options that set a listed member to a fixed value: X(option, member, value, help). */
#define HB_RUN_SETTING_ALIASES(X) \
    X("oracle", oracle, "1", "the oracle on every collection and chunk of 4,096 ops (slow)")

/* The C type of a RUN member, by TYPE. */
#define HB_SETTING_CTYPE_NAME const char *
#define HB_SETTING_CTYPE_F64 double
#define HB_SETTING_CTYPE_U64 uint64_t
#define HB_SETTING_CTYPE_SIZE uint64_t
#define HB_SETTING_CTYPE_POW2 uint64_t
#define HB_SETTING_CTYPE_ON int
#define HB_SETTING_CTYPE_OFF int
#define HB_SETTING_MEMBER_RUN(T, m) HB_SETTING_CTYPE_##T m;
#define HB_SETTING_MEMBER_AL(T, m)
#define HB_SETTING_MEMBER_GC(T, m)
#define HB_SETTING_MEMBER_WL(T, m)
#define HB_SETTING_MEMBER_(at, T, m, key, opt, role, def, lo, hi, help) HB_SETTING_MEMBER_##at(T, m)

/* Reports a repetition that ended not ok, with why (the CLI prints it). */
typedef void (*hb_note_fn)(void *arg, const hb_row *row, const char *why);

typedef struct hb_run_config {
    HB_RUN_SETTINGS(HB_SETTING_MEMBER_)
    al_config acfg;
    gc_config gcfg;
    wl_params wp;
    /* In-process only, never sent to a child: a workload or a collector that
     * is not in a registry (tests, fuzzers; they replace `work`, `coll`), and
     * the note callback. */
    const wl_workload *custom_work;
    const gc_strategy *custom_coll;
    hb_note_fn on_note;
    void *note_arg;
} hb_run_config;

/* ---- the list as data, for the command line ---- */

typedef enum hb_setting_type {
    HB_SET_NAME, HB_SET_F64, HB_SET_U64, HB_SET_SIZE, HB_SET_POW2, HB_SET_ON, HB_SET_OFF,
    HB_SET_THRESH
} hb_setting_type;
typedef enum hb_setting_role { HB_ROLE_SWEEP, HB_ROLE_VIEW, HB_ROLE_CELL } hb_setting_role;

typedef struct hb_setting_desc {
    const char *key, *option; /* option NULL: not a command-line option */
    hb_setting_type type;
    hb_setting_role role;
    const char *def, *help;
    double lo, hi;
} hb_setting_desc;

#define HB_SETTING_INDEX_(at, T, m, ...) HB_SETTING_##m,
enum { HB_RUN_SETTINGS(HB_SETTING_INDEX_) HB_SETTING_COUNT };

extern const hb_setting_desc hb_settings[HB_SETTING_COUNT];

typedef struct hb_setting_alias {
    const char *option;
    int index; /* into hb_settings */
    const char *value, *help;
} hb_setting_alias;
extern const hb_setting_alias hb_setting_aliases[];
extern const size_t hb_setting_alias_count;

/* Number parsers: 0 on success, -1 (nothing stored) on a malformed or
 * out-of-range value.  Sizes take K, M, G suffixes (powers of 1024). */
int hb_parse_u64(const char *s, uint64_t *out);
int hb_parse_double(const char *s, double *out);
int hb_parse_size(const char *s, uint64_t *out);

/* Zero, then every listed default (the command line's starting point). */
void hb_settings_defaults(hb_run_config *c);

/* Sets setting i from text, checking its bounds; 0, or -1 with e naming the
 * value, the option (or key) and what was expected (HB_ERR_USAGE).  A NAME
 * keeps the pointer: text must outlive c.  ON and OFF ignore text. */
int hb_setting_set(hb_run_config *c, int i, const char *text, hb_err *e);

/* "what values setting i takes", as the error message and help say it. */
void hb_setting_expected(int i, char *buf, size_t cap);

/* Writes setting i's value: as a request value (json 0) or a JSON value. */
void hb_setting_print(const hb_run_config *c, int i, FILE *f, int json);

/* The request: every listed setting that is not zero (unset) as
 * "key=value\n".  -1 (e) when a text value cannot travel (holds a newline). */
int hb_settings_write(const hb_run_config *c, FILE *f, hb_err *e);
/* Reads a request written by hb_settings_write from text (modified in
 * place; c's names point into it).  Starts from zero: unknown keys are
 * refused, missing ones (zero: unset) stay zero. */
int hb_settings_read(hb_run_config *c, char *text, hb_err *e);

/* The SWEEP settings as JSON members ("scale": 1, ...), comma-separated,
 * without braces: the part of meta.json's settings this list decides. */
void hb_settings_json(const hb_run_config *c, FILE *f);
/* The JSON keys hb_settings_json writes, in order; returns how many. */
size_t hb_settings_json_keys(const char **keys, size_t cap);

/* Two configurations are the same run when their requests are the same. */
int hb_settings_equal(const hb_run_config *a, const hb_run_config *b);

#endif
