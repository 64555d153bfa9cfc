/*
 * tests/cli_signals.c -- the heapbench binary as a user runs it: SIGINT
 * during `run` and `matrix` (exit status 130, completed rows intact, the row
 * in progress dropped), a malformed trace (exit 2, the byte offset in the
 * message), and `record` on a program no one here wrote (sort), replayed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/formats/results.h"
#include "harness/formats/trace.h"
#include "tests/test_support.h"

#ifndef HB_BIN
#error "HB_BIN: the heapbench binary's path (tests/cli_tests.cmake defines it)"
#endif

static int setup(void **state)
{
    (void)state;
    return test_dir_make("hb_test_cli");
}

static int teardown(void **state)
{
    (void)state;
    return test_dir_remove();
}

/* Starts HB_BIN with argv (argv[0] ignored), stderr to errpath; with
 * own_group, in a process group of its own (as a terminal's job). */
static pid_t start(char *const argv[], const char *errpath, int own_group)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (own_group)
            setpgid(0, 0);
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        dup2(null, 1);
        execv(HB_BIN, argv);
        _exit(127);
    }
    if (own_group)
        setpgid(pid, pid);
    return pid;
}

static int wait_status(pid_t pid)
{
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        assert_int_equal(errno, EINTR);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Data lines of a CSV file (0 if absent). */
static long data_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = -1;
    int c;
    if (f == NULL)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n < 0 ? 0 : n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until path has at least `want` rows (at most ~120 s). */
static void wait_rows(const char *path, long want)
{
    for (int i = 0; i < 2400 && data_lines(path) < want; i++)
        sleep_ms(50);
    assert_true(data_lines(path) >= want);
}

static char *slurp(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Every row in path parses and is ok; returns their count. */
static long whole_rows(const char *path)
{
    hb_row *rows;
    char *arena;
    hb_err e;
    long n = hb_rows_read_csv(path, &rows, &arena, &e);
    if (n < 0)
        fail_msg("%s: %s", path, e.msg);
    for (long i = 0; i < n; i++)
        assert_string_equal(rows[i].status, "ok");
    hb_rows_free(rows, arena);
    return n;
}

static void interrupt_run(int own_group)
{
    char rows[256], errp[256];
    snprintf(rows, sizeof rows, "%s/run%d.csv", test_dir(), own_group);
    snprintf(errp, sizeof errp, "%s/run%d.err", test_dir(), own_group);
    char *argv[] = {"heapbench", "run", "-a", "pool", "-c", "rc-cycle", "-w", "small-objects",
                    "--scale", "0.1", "--reps", "1000", "--format", "csv", "--out", rows,
                    "--no-progress", NULL};
    pid_t pid = start(argv, errp, own_group);
    wait_rows(rows, 2);
    sleep_ms(30); /* most likely inside a repetition now */
    assert_int_equal(kill(own_group ? -pid : pid, SIGINT), 0);
    assert_int_equal(wait_status(pid), 130);
    long n = whole_rows(rows);
    assert_true(n >= 2 && n < 1000);
    assert_int_equal(n, data_lines(rows)); /* no partial line either */
    char *err = slurp(errp);
    if (strstr(err, "interrupted;") == NULL || strstr(err, "repetition(s) completed") == NULL)
        fail_msg("stderr lacks the interruption summary: %s", err);
}

static void sigint_to_run_process(void **state)
{
    (void)state;
    interrupt_run(0);
}

static void sigint_to_run_group(void **state)
{
    (void)state;
    interrupt_run(1);
}

static void sigint_to_matrix(void **state)
{
    (void)state;
    char out[256], rows[300], errp[256];
    snprintf(out, sizeof out, "%s/mx", test_dir());
    snprintf(rows, sizeof rows, "%s/rows.csv", out);
    snprintf(errp, sizeof errp, "%s/mx.err", test_dir());
    char *argv[] = {"heapbench", "matrix", "-a", "pool,bump,malloc", "-c", "rc,rc-cycle,mark-sweep",
                    "-w", "small-objects,cycles", "--scale", "0.1", "--reps", "2", "--warmup", "0",
                    "--out", out, NULL};
    pid_t pid = start(argv, errp, 1);
    wait_rows(rows, 2);
    sleep_ms(30);
    assert_int_equal(kill(-pid, SIGINT), 0);
    assert_int_equal(wait_status(pid), 130);
    long n = whole_rows(rows);
    assert_true(n >= 2 && n < 36);
    assert_int_equal(n % 2, 0); /* whole cells only: 2 rows each */
    assert_int_equal(n, data_lines(rows));
}

static void malformed_trace_exits_2(void **state)
{
    (void)state;
    char p[256], errp[256];
    snprintf(p, sizeof p, "%s/bad.hbt", test_dir());
    snprintf(errp, sizeof errp, "%s/bad.err", test_dir());
    unsigned char b[64 + 16 + 8] = "HBTRACE";
    b[8] = 1;   /* version */
    b[12] = 2;  /* kind */
    b[16] = 1;  /* registers */
    b[24] = 1;  /* ops */
    b[64] = 0x9f;
    uint64_t sum = hb_fnv1a(HB_FNV_OFFSET, b, 80);
    for (int i = 0; i < 8; i++)
        b[80 + i] = (unsigned char)(sum >> (8 * i));
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, sizeof b, f), sizeof b);
    fclose(f);
    char *argv[] = {"heapbench", "run", "--trace", p, "-a", "pool", NULL};
    assert_int_equal(wait_status(start(argv, errp, 0)), 2);
    char want[400];
    snprintf(want, sizeof want, "trace %s: byte 64: op 0 has unknown code 0x9f, expected 1..12", p);
    if (strstr(slurp(errp), want) == NULL)
        fail_msg("stderr '%s' lacks '%s'", slurp(errp), want);
    char *dump[] = {"heapbench", "trace", "dump", p, NULL};
    assert_int_equal(wait_status(start(dump, errp, 0)), 2);
    assert_non_null(strstr(slurp(errp), want));
}

static void record_sort_and_replay(void **state)
{
    (void)state;
    char in[256], t[256], errp[256];
    snprintf(in, sizeof in, "%s/words", test_dir());
    snprintf(t, sizeof t, "%s/sort.hbt", test_dir());
    snprintf(errp, sizeof errp, "%s/rec.err", test_dir());
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    for (int i = 0; i < 20000; i++)
        fprintf(f, "%d word%d\n", (i * 7919) % 20000, i);
    fclose(f);
    char *argv[] = {"heapbench", "record", "-o", t, "--", "sort", in, "-o", "/dev/null", NULL};
    int rc = wait_status(start(argv, errp, 0));
    if (rc != 0)
        fail_msg("record exited %d: %s", rc, slurp(errp));
    hb_trace_file tf;
    char err[600];
    assert_int_equal(hb_trace_open(&tf, t, 1, err, sizeof err), 0);
    hb_trace_close(&tf);
    assert_int_equal(tf.h.kind, HB_TRACE_ALLOC);
    assert_true(tf.h.ops > 10);
    assert_string_equal(tf.h.source, "sort");
    char rows[256];
    snprintf(rows, sizeof rows, "%s/sort.csv", test_dir());
    char *run[] = {"heapbench", "run", "--trace", t, "-a", "pool", "--format", "csv", "--out", rows,
                   "--no-progress", NULL};
    assert_int_equal(wait_status(start(run, errp, 0)), 0);
    assert_int_equal(whole_rows(rows), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigint_to_run_process),
        cmocka_unit_test(sigint_to_run_group),
        cmocka_unit_test(sigint_to_matrix),
        cmocka_unit_test(malformed_trace_exits_2),
        cmocka_unit_test(record_sort_and_replay),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
