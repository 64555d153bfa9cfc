/*
 * tests/test_matrix.c -- `heapbench matrix` and `merge` on tiny sweeps:
 * resuming adds nothing to a finished folder and exactly the missing cell to
 * a damaged one; shards are disjoint and cover the sweep; merge joins them
 * and refuses other settings; bad names and values exit 2; a cell that
 * ends not ok is done, and says so with exit 1; repetitions run round by
 * round, and a sweep killed and resumed has the rows of an uninterrupted
 * one; warm-up passes run inside the measured repetition.
 *
 * Every sweep is 2 allocators x 1 collector x 2 workloads at scale 0.001
 * (a few thousand ops per repetition), in a fresh folder under /tmp.
 */
#include <fcntl.h>
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
#include "harness/formats/machine.h"
#include "harness/formats/results.h"
#include "harness/run/run.h"

#define MAXARGS 32

static char root[64];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/hb_test_matrix_XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs a subcommand from a space-separated line ("matrix -a malloc ..."). */
__attribute__((format(printf, 2, 3))) static int cmd(int (*fn)(int, char **), const char *fmt, ...)
{
    static char line[2048];
    char *argv[MAXARGS + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int argc = 0;
    for (char *t = strtok(line, " "); t && argc < MAXARGS; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    return fn(argc, argv);
}

#define SWEEP "-a malloc,bump -c mark-sweep -w small-objects,server --scale 0.001 --reps 2 --warmup 0"

static long read_rows(const char *dir, hb_row **rows, char **arena)
{
    char path[600];
    hb_err e;
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    long n = hb_rows_read_csv(path, rows, arena, &e);
    if (n < 0)
        fail_msg("%s: %s", path, e.msg);
    return n;
}

static long count_rows(const char *dir)
{
    hb_row *rows;
    char *arena;
    long n = read_rows(dir, &rows, &arena);
    hb_rows_free(rows, arena);
    return n;
}

static int is_cell(const hb_row *r, const char *a, const char *w)
{
    return !strcmp(r->allocator, a) && !strcmp(r->workload, w);
}

/* Rewrites rows.csv without the rows of one cell; returns how many left. */
static long drop_cell(const char *dir, const char *a, const char *w)
{
    hb_row *rows;
    char *arena, path[600];
    long n = read_rows(dir, &rows, &arena), k = 0;
    for (long i = 0; i < n; i++)
        if (!is_cell(&rows[i], a, w))
            rows[k++] = rows[i];
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    unlink(path);
    assert_int_equal(hb_rows_append_csv(path, rows, (size_t)k, NULL), 0);
    hb_rows_free(rows, arena);
    return k;
}

static void test_resume(void **state)
{
    (void)state;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/resume", root);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --series --out %s", dir), 0);
    assert_int_equal(count_rows(dir), 8); /* 4 cells x 2 reps */
    char path[600];
    snprintf(path, sizeof path, "%s/series/bump_mark-sweep_server_rep2.csv", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    assert_int_equal(access(path, R_OK), 0);

    /* Nothing deleted: a rerun adds nothing. */
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --series --out %s", dir), 0);
    assert_int_equal(count_rows(dir), 8);

    /* One cell's rows gone: the rerun completes exactly that cell. */
    assert_int_equal(drop_cell(dir, "bump", "small-objects"), 6);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --series --out %s", dir), 0);
    hb_row *rows;
    char *arena;
    long n = read_rows(dir, &rows, &arena);
    assert_int_equal(n, 8);
    for (long i = 0; i < 6; i++) /* the untouched rows come first, as they were */
        assert_false(is_cell(&rows[i], "bump", "small-objects"));
    for (long i = 6; i < 8; i++) {
        assert_true(is_cell(&rows[i], "bump", "small-objects"));
        assert_int_equal(rows[i].rep, (uint64_t)(i - 5));
    }
    hb_rows_free(rows, arena);

    /* Other settings into the same folder are refused, not mixed. */
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --seed 7 --out %s", dir), 2);
    assert_int_equal(count_rows(dir), 8);
}

/* The set of cells in a folder as a bit mask over the 4 of SWEEP. */
static unsigned cell_mask(const char *dir)
{
    static const char *const a[] = {"malloc", "bump"}, *const w[] = {"small-objects", "server"};
    hb_row *rows;
    char *arena;
    unsigned mask = 0;
    long n = read_rows(dir, &rows, &arena);
    for (long i = 0; i < n; i++)
        for (unsigned k = 0; k < 4; k++)
            if (is_cell(&rows[i], a[k / 2], w[k % 2]))
                mask |= 1u << k;
    hb_rows_free(rows, arena);
    return mask;
}

static void test_shards_and_merge(void **state)
{
    (void)state;
    char s0[256], s1[256], all[256], out[256], out2[256], other[256];
    snprintf(s0, sizeof s0, "%s/s0", root);
    snprintf(s1, sizeof s1, "%s/s1", root);
    snprintf(all, sizeof all, "%s/all", root);
    snprintf(out, sizeof out, "%s/merged", root);
    snprintf(out2, sizeof out2, "%s/merged2", root);
    snprintf(other, sizeof other, "%s/other", root);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --shard 0/2 --out %s", s0), 0);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --shard 1/2 --out %s", s1), 0);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --out %s", all), 0);
    unsigned m0 = cell_mask(s0), m1 = cell_mask(s1);
    assert_int_equal(m0 & m1, 0);          /* disjoint */
    assert_int_equal(m0 | m1, cell_mask(all)); /* together, the whole sweep */
    assert_int_equal(cell_mask(all), 0xf);
    assert_int_equal(count_rows(s0) + count_rows(s1), 8);

    /* Merge, with a shard given twice: rows deduplicated by cell and rep. */
    assert_int_equal(cmd(hb_cmd_merge, "merge %s %s %s %s", out, s0, s1, s0), 0);
    assert_int_equal(count_rows(out), 8);
    assert_int_equal(cell_mask(out), 0xf);
    char meta[600];
    snprintf(meta, sizeof meta, "%s/meta.json", out);
    assert_int_equal(access(meta, R_OK), 0);
    /* A folder that already has rows is not merged into. */
    assert_int_equal(cmd(hb_cmd_merge, "merge %s %s", out, s0), 2);

    /* Another seed is another sweep: refused. */
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " SWEEP " --seed 9 --shard 1/2 --out %s", other),
                     0);
    assert_int_equal(cmd(hb_cmd_merge, "merge %s %s %s", out2, s0, other), 2);
    assert_int_not_equal(access(out2, F_OK) == 0 && count_rows(out2) > 0, 1);
}

static void test_usage_errors(void **state)
{
    (void)state;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/never", root);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix -a nosuch --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix -c malloc --out %s", dir), 2); /* not a collector */
    assert_int_equal(cmd(hb_cmd_matrix, "matrix -w small-objects,nosuch --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix -a malloc,malloc --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix --shard 2/2 --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix --shard 1 --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix --scale -1 --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix --reps 0 --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix --rounds 0 --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix --rounds 2x --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix --bogus --out %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_merge, "merge %s", dir), 2);
    assert_int_equal(cmd(hb_cmd_merge, "merge %s/m %s/nosuch", root, root), 2);
    assert_int_not_equal(access(dir, F_OK), 0); /* nothing was created */
}

static void test_failed_cell_is_done(void **state)
{
    (void)state;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/oom", root);
    /* 4 KiB of live data cannot hold the workload: every repetition is oom. */
#define OOM_ARGS "matrix -a malloc -c mark-sweep -w server --scale 0.001 --reps 2 " \
                 "--warmup 0 --heap-limit 4K --out %s"
    assert_int_equal(cmd(hb_cmd_matrix, OOM_ARGS, dir), 1);
    hb_row *rows;
    char *arena;
    long n = read_rows(dir, &rows, &arena);
    assert_true(n >= 1);
    assert_string_not_equal(rows[0].status, "ok");
    hb_rows_free(rows, arena);
    assert_int_equal(cmd(hb_cmd_matrix, OOM_ARGS, dir), 1); /* still not ok ... */
    assert_int_equal(count_rows(dir), n);               /* ... and not rerun */
}

/* Keeps the first `keep` rows of rows.csv: what a kill after that many
 * repetitions leaves (each repetition's row is appended whole). */
static void keep_first_rows(const char *dir, long keep)
{
    hb_row *rows;
    char *arena, path[600];
    long n = read_rows(dir, &rows, &arena);
    assert_true(keep <= n);
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    unlink(path);
    assert_int_equal(hb_rows_append_csv(path, rows, (size_t)keep, NULL), 0);
    hb_rows_free(rows, arena);
}

/* A row's identity with its status: what two sweeps must agree on. */
/* The rows' keys in the order rows.csv has them. */
static void row_keys_in_order(const char *dir, char keys[][96], long *n)
{
    hb_row *rows;
    char *arena;
    *n = read_rows(dir, &rows, &arena);
    for (long i = 0; i < *n; i++)
        snprintf(keys[i], 96, "%s/%s/%s/%llu/%s", rows[i].allocator, rows[i].collector,
                 rows[i].workload, (unsigned long long)rows[i].rep, rows[i].status);
    hb_rows_free(rows, arena);
}

static void row_keys(const char *dir, char keys[][96], long *n)
{
    row_keys_in_order(dir, keys, n);
    qsort(keys, (size_t)*n, 96, (int (*)(const void *, const void *))strcmp);
}

static void test_rounds_interleave_and_resume(void **state)
{
    (void)state;
    char dir[256], again[256], path[600];
    snprintf(dir, sizeof dir, "%s/rounds", root);
    snprintf(again, sizeof again, "%s/rounds_killed", root);
#define ROUNDS "-a malloc,bump -c mark-sweep -w small-objects,server --scale 0.001 --reps 3"
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " ROUNDS " --series --out %s", dir), 0);
    hb_row *rows;
    char *arena;
    long n = read_rows(dir, &rows, &arena);
    assert_int_equal(n, 12); /* 4 cells x 3 reps */
    /* Round by round: the k-th four rows are repetition k of each cell, in
     * an order of that round's: not the same in every round. */
    int same_order = 1;
    for (long i = 0; i < n; i++) {
        assert_int_equal(rows[i].rep, (uint64_t)(i / 4 + 1));
        for (long j = i / 4 * 4; j < i; j++)
            assert_false(is_cell(&rows[j], rows[i].allocator, rows[i].workload));
        if (i >= 4 && !is_cell(&rows[i % 4], rows[i].allocator, rows[i].workload))
            same_order = 0;
    }
    assert_false(same_order);
    hb_rows_free(rows, arena);
    snprintf(path, sizeof path, "%s/series/malloc_mark-sweep_server_rep3.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    assert_non_null(fgets(line, sizeof line, f));
    assert_int_equal(strtol(line, NULL, 10), 3); /* the rep column says which */
    fclose(f);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    char *meta = hb_read_file(path, NULL);
    assert_non_null(meta);
    assert_non_null(strstr(meta, "\"order\": \"shuffled rounds\", \"order_seed\": "));
    assert_non_null(strstr(meta, "\"elapsed\": {\"matrix_s\": "));
    assert_non_null(strstr(meta, "\"repetitions_run\": 12,"));
    free(meta);

    /* Killed after 6 repetitions (mid round 2), then resumed: the same rows. */
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " ROUNDS " --series --out %s", again), 0);
    keep_first_rows(again, 6);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " ROUNDS " --series --out %s", again), 0);
    static char ka[16][96], kb[16][96];
    long na, nb;
    /* the same order too: the rounds' shuffles come from the recorded seed */
    row_keys_in_order(dir, ka, &na);
    row_keys_in_order(again, kb, &nb);
    assert_int_equal(na, nb);
    for (long i = 0; i < na; i++)
        assert_string_equal(ka[i], kb[i]);
    row_keys(dir, ka, &na);
    snprintf(path, sizeof path, "%s/meta.json", again);
    meta = hb_read_file(path, NULL);
    assert_non_null(strstr(meta, "\"repetitions_run\": 18, \"invocations\": 2,"));
    free(meta);

    /* --rounds K stops after round K, and is no setting: the same folder
     * takes the next rounds, and ends with the rows of one sweep. */
    char upto[256];
    snprintf(upto, sizeof upto, "%s/rounds_upto", root);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " ROUNDS " --series --rounds 1 --out %s", upto), 0);
    assert_int_equal(count_rows(upto), 4);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " ROUNDS " --series --rounds 2 --out %s", upto), 0);
    assert_int_equal(count_rows(upto), 8);
    assert_int_equal(cmd(hb_cmd_matrix, "matrix " ROUNDS " --series --rounds 9 --out %s", upto), 0);
    row_keys(upto, kb, &nb);
    assert_int_equal(na, nb);
    for (long i = 0; i < na; i++)
        assert_string_equal(ka[i], kb[i]);
}

/* The passes the run made, as hb_run_on_pass heard them in the process that
 * ran each one (the repetitions' children: forks here, which inherit the
 * hook), one line per pass appended to pass_log. */
typedef struct pass_seen {
    long pid;
    unsigned rep;
    int measured;
    unsigned long long ops, objects;
} pass_seen;

static char pass_log[300];

static void log_pass(uint32_t rep, int measured, const hb_row *row)
{
    char line[160];
    int n = snprintf(line, sizeof line, "%ld %u %d %llu %llu\n", (long)getpid(), (unsigned)rep,
                     measured, (unsigned long long)row->ops, (unsigned long long)row->objects);
    int fd = open(pass_log, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd < 0)
        return; /* the test then sees a pass missing */
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

/* Runs the matrix line with the hook on; returns the passes it heard. */
static size_t matrix_passes(const char *args, const char *out, pass_seen *seen, size_t cap)
{
    snprintf(pass_log, sizeof pass_log, "%s.passes", out);
    unlink(pass_log);
    hb_run_on_pass = log_pass;
    int rc = cmd(hb_cmd_matrix, "matrix %s --out %s", args, out);
    hb_run_on_pass = NULL;
    assert_int_equal(rc, 0);
    FILE *f = fopen(pass_log, "r");
    assert_non_null(f);
    size_t n = 0;
    pass_seen p;
    while (fscanf(f, "%ld %u %d %llu %llu", &p.pid, &p.rep, &p.measured, &p.ops, &p.objects) == 5) {
        assert_true(n < cap);
        seen[n++] = p;
    }
    fclose(f);
    return n;
}

/* --warmup N runs N untimed passes inside each measured repetition's
 * process: the hook hears, for each repetition (the matrix runs each as a
 * one-repetition hb_run), N warm-up passes and then the measured one, all
 * in one process, a child of this one and not the previous repetition's;
 * every pass does the same work; the rows are still one per repetition,
 * numbered from 1, and measure one pass's work only. */
static void test_warmup_is_in_process(void **state)
{
    (void)state;
    enum { REPS = 2, WARMUP = 2 };
    char cold[256], warm[256];
    snprintf(cold, sizeof cold, "%s/cold", root);
    snprintf(warm, sizeof warm, "%s/warm", root);
#define ONE "-a malloc -c mark-sweep -w small-objects --scale 0.001 --reps 2"
    pass_seen c[8], w[8];
    assert_int_equal(matrix_passes(ONE, cold, c, 8), REPS); /* no warm-up: measured only */
    assert_int_equal(matrix_passes(ONE " --warmup 2", warm, w, 8), REPS * (WARMUP + 1));
    hb_row *a, *b;
    char *aa, *ab;
    assert_int_equal(read_rows(cold, &a, &aa), REPS);
    assert_int_equal(read_rows(warm, &b, &ab), REPS);
    for (int i = 0; i < REPS; i++) {
        assert_int_equal(c[i].measured, 1);
        assert_true(c[i].pid != (long)getpid());
        if (i > 0)
            assert_true(c[i].pid != c[i - 1].pid);
        const pass_seen *rw = &w[i * (WARMUP + 1)]; /* this repetition's passes, in order */
        for (int k = 0; k <= WARMUP; k++) {
            assert_int_equal(rw[k].rep, rw[WARMUP].rep); /* one hb_run's repetition */
            assert_int_equal(rw[k].measured, k == WARMUP);
            assert_true(rw[k].pid == rw[WARMUP].pid); /* the measured pass's process */
            assert_int_equal(rw[k].ops, a[i].ops);
            assert_int_equal(rw[k].objects, a[i].objects);
        }
        assert_true(rw[WARMUP].pid != (long)getpid());
        if (i > 0)
            assert_true(rw[WARMUP].pid != w[(i - 1) * (WARMUP + 1) + WARMUP].pid);
        assert_int_equal(b[i].rep, (uint64_t)(i + 1));
        /* the timed row is the measured pass's, none of the warm-up's work */
        assert_int_equal(b[i].ops, rw[WARMUP].ops);
        assert_int_equal(a[i].ops, b[i].ops);
        assert_int_equal(a[i].objects, b[i].objects);
        assert_int_equal(a[i].peak_live_bytes, b[i].peak_live_bytes);
    }
#undef ONE
    hb_rows_free(a, aa);
    hb_rows_free(b, ab);
}

static void test_report_reads_folder(void **state)
{
    (void)state;
    char dir[256], path[600];
    snprintf(dir, sizeof dir, "%s/resume", root);
    assert_int_equal(cmd(hb_cmd_report, "report %s --format csv", dir), 0);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    int lines = 0;
    while (fgets(line, sizeof line, f))
        lines++;
    fclose(f);
    assert_int_equal(lines, 1 + 4); /* header + one line per cell */
    assert_int_equal(cmd(hb_cmd_report, "report %s --baseline nope", dir), 2);
    assert_int_equal(cmd(hb_cmd_report, "report %s --format xml", dir), 2);
    assert_int_equal(cmd(hb_cmd_report, "report %s/nosuch", root), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_shards_and_merge),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_failed_cell_is_done),
        cmocka_unit_test(test_rounds_interleave_and_resume),
        cmocka_unit_test(test_warmup_is_in_process),
        cmocka_unit_test(test_report_reads_folder),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
