/*
 * tests/test_settings.c -- the run settings list (harness/run/settings.h)
 * and the pairing rule (gc_pairs):
 *   - a configuration survives the request to a repetition's process and
 *     back unchanged (through a real pipe), defaults and edge values alike;
 *   - `run` and `matrix` accept and refuse the same values, with exit 2 and
 *     a message naming the value and the bounds;
 *   - gc_pairs answers boehm/boehm yes, boehm over pool no, rc over the
 *     boehm allocator no (an exclusive allocator), rc over pool yes; and
 *     `run` refuses what the matrix never makes a cell of.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/cli/cli.h"
#include "harness/run/run.h"
#include "harness/run/settings.h"

/* ---- round trip ---- */

static void round_trip(const hb_run_config *in)
{
    int fds[2];
    static char text[16384];
    hb_run_config out;
    uint32_t rep = 0;
    int series_fd = 0;
    hb_err e;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(hb_rep_request_write(fds[1], in, 7, 42, &e), 0);
    close(fds[1]);
    if (hb_rep_request_read(fds[0], &out, &rep, &series_fd, text, sizeof text, &e) != 0)
        fail_msg("request not read back: %s", e.msg);
    close(fds[0]);
    assert_int_equal(rep, 7);
    assert_int_equal(series_fd, 42);
    assert_true(hb_settings_equal(in, &out));
    /* and member by member, for the ones the request's text could blur */
    assert_true(out.wp.scale == in->wp.scale);
    assert_int_equal(out.wp.seed, in->wp.seed);
    assert_int_equal(out.gcfg.threshold[2], in->gcfg.threshold[2]);
    assert_true(out.gcfg.growth == in->gcfg.growth);
    assert_int_equal(out.acfg.pool_bytes, in->acfg.pool_bytes);
    assert_int_equal(out.heap_limit_bytes, in->heap_limit_bytes);
    assert_int_equal(out.progress, in->progress);
    if (in->trace_path)
        assert_string_equal(out.trace_path, in->trace_path);
    else
        assert_null(out.trace_path);
}

static void defaults_round_trip(void **state)
{
    (void)state;
    hb_run_config c;
    hb_settings_defaults(&c);
    assert_string_equal(c.alloc, "pool");
    assert_true(c.wp.scale == 1.0);
    assert_int_equal(c.reps, 1);
    assert_int_equal(c.progress, 1);
    round_trip(&c);
}

static void every_setting_round_trips(void **state)
{
    (void)state;
    hb_run_config c;
    hb_settings_defaults(&c);
    c.alloc = "bump";
    c.coll = "mark-sweep";
    c.work = NULL;
    c.trace_path = "/tmp/some dir/a=b.hbt";
    c.wp.scale = 0.1 + 0.2; /* not exact in decimal: must survive */
    c.wp.seed = UINT64_MAX;
    c.reps = 100000;
    c.warmup = 3;
    c.heap_limit_bytes = 3u << 20;
    c.series_every_ops = 12345;
    c.oracle = 16;
    c.gcfg.threshold[0] = 700;
    c.gcfg.threshold[1] = 11;
    c.gcfg.threshold[2] = UINT32_MAX;
    c.gcfg.cpython312 = 1;
    c.gcfg.rc_pause_min = 1;
    c.gcfg.growth = 1.5;
    c.gcfg.min_heap_bytes = 16384;
    c.gcfg.incremental = 1;
    c.acfg.arena_bytes = 1u << 21;
    c.acfg.pool_bytes = 1u << 13;
    c.acfg.chunk_bytes = 8192;
    c.progress = 0;
    round_trip(&c);
    hb_run_config d = c;
    d.gcfg.growth = 1.5000000000000002;
    assert_false(hb_settings_equal(&c, &d));
}

static void a_newline_cannot_travel(void **state)
{
    (void)state;
    hb_run_config c;
    hb_settings_defaults(&c);
    c.trace_path = "a\nb";
    hb_err e;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(hb_rep_request_write(fds[1], &c, 1, -1, &e), -1);
    assert_non_null(strstr(e.msg, "newline"));
    close(fds[0]);
    close(fds[1]);
}

/* ---- run and matrix agree ---- */

static char root[64];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/hb_test_settings_XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs a subcommand from a space-separated line, stderr into a file; the
 * exit status, with the message in msg. */
static int cmd(int (*fn)(int, char **), char *msg, size_t cap, const char *fmt, ...)
{
    static char line[2048];
    char *argv[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int argc = 0;
    for (char *t = strtok(line, " "); t && argc < 39; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    char errpath[128];
    snprintf(errpath, sizeof errpath, "%s/stderr", root);
    fflush(stderr);
    int saved = dup(2);
    FILE *f = freopen(errpath, "w", stderr);
    assert_non_null(f);
    int rc = fn(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *in = fopen(errpath, "r");
    size_t n = in ? fread(msg, 1, cap - 1, in) : 0;
    msg[n] = '\0';
    if (in)
        fclose(in);
    return rc;
}

/* Values every command that runs must refuse, with the text its message
 * must hold (the value and the bounds). */
static const struct {
    const char *opts, *says;
} refused[] = {
    {"--scale 0", "bad value '0' for --scale, expected a number > 0 and <= 10000"},
    {"--scale 20000", "bad value '20000' for --scale, expected a number > 0 and <= 10000"},
    {"--scale nan", "for --scale"},
    {"--growth 1", "bad value '1' for --growth, expected a number > 1 and <= 100"},
    {"--growth 101", "for --growth"},
    {"--reps 0", "bad value '0' for --reps, expected a whole number from 1 to 100000"},
    {"--warmup -1", "for --warmup"},
    {"--every 0", "for --every"},
    {"--heap-limit 0", "for --heap-limit"},
    {"--heap-limit 12Q", "for --heap-limit"},
    {"--threshold 1,2", "expected three whole numbers >= 1"},
    {"--threshold 0,10,10", "for --threshold"},
    {"--rc-pause-min 0", "for --rc-pause-min"},
    {"--arena-bytes 3000", "expected a power of two"},
    {"--chunk-bytes 100", "for --chunk-bytes"},
    {"--oracle-every 0", "for --oracle-every"},
};

static void run_and_matrix_refuse_the_same_values(void **state)
{
    (void)state;
    char msg[4096];
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int r = cmd(hb_cmd_run, msg, sizeof msg, "run -a pool -c rc -w small-objects %s",
                    refused[i].opts);
        if (r != 2 || strstr(msg, refused[i].says) == NULL)
            fail_msg("run %s: exit %d, said '%s'; expected 2 and '%s'", refused[i].opts, r, msg,
                     refused[i].says);
        int m = cmd(hb_cmd_matrix, msg, sizeof msg, "matrix -a pool -c rc -w small-objects --out "
                    "%s/m %s", root, refused[i].opts);
        if (m != 2 || strstr(msg, refused[i].says) == NULL)
            fail_msg("matrix %s: exit %d, said '%s'; expected 2 and '%s'", refused[i].opts, m,
                     msg, refused[i].says);
    }
}

/* The options of the list both take (these were run's alone before), and
 * values at the bounds. */
static void run_and_matrix_accept_the_same_values(void **state)
{
    (void)state;
    char msg[4096];
    static const char opts[] =
        "--scale 0.0005 --reps 1 --warmup 0 --growth 1.01 --threshold 5,2,2 --rc-pause-min 1 "
        "--every 1000 --heap-limit 1G --no-progress --oracle-every 4 --pool-bytes 16K";
    int r = cmd(hb_cmd_run, msg, sizeof msg, "run -a pool -c mark-sweep -w small-objects "
                "--format csv %s", opts);
    if (r != 0)
        fail_msg("run: exit %d: %s", r, msg);
    int m = cmd(hb_cmd_matrix, msg, sizeof msg, "matrix -a pool -c mark-sweep -w small-objects "
                "--out %s/ok %s", root, opts);
    if (m != 0)
        fail_msg("matrix: exit %d: %s", m, msg);
    /* the folder's identity holds the list's settings */
    char path[256];
    snprintf(path, sizeof path, "%s/ok/meta.json", root);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char meta[16384];
    size_t n = fread(meta, 1, sizeof meta - 1, f);
    meta[n] = '\0';
    fclose(f);
    assert_non_null(strstr(meta, "\"growth\": 1.01"));
    assert_non_null(strstr(meta, "\"threshold\": [5, 2, 2]"));
    assert_non_null(strstr(meta, "\"scale\": 0.00050000000000000001"));
    assert_null(strstr(meta, "\"progress\"")); /* how it shows, not what it measures */
    /* resuming with another setting is refused, naming it */
    m = cmd(hb_cmd_matrix, msg, sizeof msg, "matrix -a pool -c mark-sweep -w small-objects "
            "--out %s/ok %s --cpython312", root, opts);
    assert_int_equal(m, 2);
    assert_non_null(strstr(msg, "cpython312 is false in one and true in the other"));
}

/* ---- pairing ---- */

static void pairing_rule(void **state)
{
    (void)state;
    char why[256];
    const al_backend *pool = al_find("pool"), *boehm_a = al_find("boehm");
    const gc_strategy *rc = gc_find("rc"), *boehm_c = gc_find("boehm");
    assert_non_null(boehm_a);
    assert_non_null(boehm_c);
    assert_int_equal(gc_pairs(pool, rc, why, sizeof why), 1);
    assert_int_equal(gc_pairs(boehm_a, boehm_c, why, sizeof why), 1);
    assert_int_equal(gc_pairs(pool, boehm_c, why, sizeof why), 0);
    assert_non_null(strstr(why, "collector 'boehm' runs only with allocator 'boehm'"));
    assert_int_equal(gc_pairs(boehm_a, rc, why, sizeof why), 0);
    assert_non_null(strstr(why, "allocator 'boehm' is collector 'boehm''s own heap"));
    for (size_t i = 0; i < gc_strategy_count; i++)
        assert_int_equal(gc_pairs(al_find("bump"), gc_strategies[i], why, sizeof why),
                         gc_strategies[i]->needs.allocator == NULL);
}

/* What the matrix never makes a cell of, `run` refuses: exit 2, no row. */
static void run_obeys_the_pairing_rule(void **state)
{
    (void)state;
    char msg[4096];
    if (al_find("boehm")->unavailable() || gc_find("boehm")->unavailable())
        skip(); /* libgc absent: run refuses the name before the pairing */
    int r = cmd(hb_cmd_run, msg, sizeof msg,
                "run -a boehm -c rc -w small-objects --scale 0.001 --format csv");
    assert_int_equal(r, 2);
    assert_non_null(strstr(msg, "allocator 'boehm' is collector 'boehm''s own heap"));
    r = cmd(hb_cmd_run, msg, sizeof msg,
            "run -a pool -c boehm -w small-objects --scale 0.001 --format csv");
    assert_int_equal(r, 2);
    assert_non_null(strstr(msg, "runs only with allocator 'boehm'"));
}

/* The registries fill in optional slots: no entry has a NULL one. */
static void registry_slots_are_filled(void **state)
{
    (void)state;
    for (size_t i = 0; i < al_backend_count; i++) {
        assert_non_null(al_backends[i]->unavailable);
        assert_non_null(al_backends[i]->version);
        assert_non_null(al_backends[i]->dump);
    }
    for (size_t i = 0; i < gc_strategy_count; i++) {
        assert_non_null(gc_strategies[i]->unavailable);
        assert_non_null(gc_strategies[i]->safepoint);
    }
    assert_null(al_find("pool")->unavailable()); /* the default says "available" */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_round_trip),
        cmocka_unit_test(every_setting_round_trips),
        cmocka_unit_test(a_newline_cannot_travel),
        cmocka_unit_test(run_and_matrix_refuse_the_same_values),
        cmocka_unit_test(run_and_matrix_accept_the_same_values),
        cmocka_unit_test(pairing_rule),
        cmocka_unit_test(run_obeys_the_pairing_rule),
        cmocka_unit_test(registry_slots_are_filled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
