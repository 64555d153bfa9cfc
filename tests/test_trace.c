/*
 * tests/test_trace.c -- trace files: gen is deterministic, a trace replays
 * exactly as its workload, allocator traces replay with their accounting,
 * and every kind of malformed file is refused with its byte offset, before
 * anything is replayed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/run/replay.h"
#include "harness/run/run.h"
#include "harness/formats/trace.h"
#include "tests/test_support.h"

static int setup(void **state)
{
    (void)state;
    return test_dir_make("hb_test_trace");
}

static int teardown(void **state)
{
    (void)state;
    return test_dir_remove();
}


static char *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *size = (size_t)n;
    return buf;
}

static void write_whole(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static int gen(const char *work, const char *scale, const char *seed, const char *out)
{
    char *argv[] = {"trace", "gen", "-w", (char *)work, "--scale", (char *)scale, "--seed",
                    (char *)seed, "-o", (char *)out, NULL};
    return hb_cmd_trace(10, argv);
}

/* Writes an allocator trace of these ops with the writer. */
static void write_alloc_trace(const char *path, const hb_op *ops, size_t n, uint32_t regs)
{
    hb_trace_writer w;
    hb_trace_header h;
    memset(&h, 0, sizeof h);
    h.kind = HB_TRACE_ALLOC;
    snprintf(h.source, sizeof h.source, "unit");
    assert_int_equal(hb_trace_create(&w, path, &h), 0);
    assert_int_equal(hb_trace_append(&w, ops, n), 0);
    assert_int_equal(hb_trace_finish(&w, regs), 0);
}

/* Re-seals a file's checksum after a deliberate edit of its body. */
static void reseal(char *buf, size_t size)
{
    uint64_t sum = hb_fnv1a(HB_FNV_OFFSET, buf, size - 8);
    for (int i = 0; i < 8; i++)
        buf[size - 8 + i] = (char)(sum >> (8 * i));
}

typedef struct rows {
    hb_row r[8];
    char status[8][16], work[8][32], coll[8][16];
    int n;
} rows;

static int keep_row(void *arg, const hb_row *row)
{
    rows *k = arg;
    if (k->n == 8)
        return 1;
    k->r[k->n] = *row;
    snprintf(k->status[k->n], 16, "%s", row->status);
    snprintf(k->work[k->n], 32, "%s", row->workload);
    snprintf(k->coll[k->n], 16, "%s", row->collector);
    k->n++;
    return 0;
}

/* ------------------------------------------------------------------ */

static void gen_is_deterministic(void **state)
{
    (void)state;
    char a[256], b[256], c[256];
    test_path(a, sizeof a, "a.hbt");
    test_path(b, sizeof b, "b.hbt");
    test_path(c, sizeof c, "c.hbt");
    assert_int_equal(gen("cycles", "0.002", "7", a), 0);
    assert_int_equal(gen("cycles", "0.002", "7", b), 0);
    assert_int_equal(gen("cycles", "0.002", "8", c), 0);
    size_t na, nb, nc;
    char *da = read_whole(a, &na), *db = read_whole(b, &nb), *dc = read_whole(c, &nc);
    assert_true(na > 72);
    assert_int_equal(na, nb);
    assert_memory_equal(da, db, na);
    assert_true(na != nc || memcmp(da, dc, na) != 0); /* another seed, another stream */

    hb_trace_header h;
    char err[600];
    assert_int_equal(hb_trace_check_buffer(da, na, &h, err, sizeof err), 0);
    assert_int_equal(h.kind, HB_TRACE_OPS);
    assert_int_equal(h.seed, 7);
    assert_true(h.scale == 0.002);
    assert_string_equal(h.source, "cycles");
    assert_int_equal(h.ops, (na - 72) / 16);
    free(da);
    free(db);
    free(dc);
}

static void trace_replays_as_its_workload(void **state)
{
    (void)state;
    char p[256];
    test_path(p, sizeof p, "g.hbt");
    assert_int_equal(gen("gcbench", "0.005", "3", p), 0);
    rows direct = {0}, traced = {0};
    hb_run_config cfg = {.alloc = "pool", .coll = "mark-sweep",
                         .work = "gcbench", .wp = {.scale = 0.005, .seed = 3}, .reps = 1};
    assert_int_equal(hb_run(&cfg, keep_row, &direct, NULL), 0);
    cfg.work = NULL;
    cfg.trace_path = p;
    assert_int_equal(hb_run(&cfg, keep_row, &traced, NULL), 0);
    assert_int_equal(direct.n, 1);
    assert_int_equal(traced.n, 1);
    assert_string_equal(traced.work[0], "trace:gcbench");
    assert_int_equal(traced.r[0].ops, direct.r[0].ops);
    assert_int_equal(traced.r[0].objects, direct.r[0].objects);
    assert_int_equal(traced.r[0].bytes_allocated, direct.r[0].bytes_allocated);
    assert_int_equal(traced.r[0].peak_live_bytes, direct.r[0].peak_live_bytes);
    assert_int_equal(traced.r[0].collections, direct.r[0].collections);
    assert_int_equal(traced.r[0].seed, 3);
}

static const hb_op small_alloc_trace[] = {
    {HB_OP_MALLOC, 0, 0, 0, 0, 0, 100}, {HB_OP_MALLOC, 0, 0, 0, 1, 0, 200},
    {HB_OP_REALLOC, 0, 0, 0, 0, 0, 300}, {HB_OP_FREE, 0, 0, 0, 1, 0, 0},
    {HB_OP_MALLOC, 0, 0, 0, 1, 0, 50},  {HB_OP_FREE, 0, 0, 0, 2, 0, 0},   /* empty: no-op */
    {HB_OP_MALLOC, 0, 0, 0, 0, 0, 8},   /* held: no-op */
    {HB_OP_REALLOC, 0, 0, 0, 2, 0, 70}, /* empty: a malloc */
};

static void alloc_trace_replays_with_accounting(void **state)
{
    (void)state;
    char p[256];
    test_path(p, sizeof p, "small.hbt");
    write_alloc_trace(p, small_alloc_trace, 8, 3);
    const char *names[] = {"pool", "malloc", "bump"};
    for (int i = 0; i < 3; i++) {
        rows k = {0};
        hb_run_config cfg = {.alloc = names[i], .trace_path = p, .reps = 2};
        assert_int_equal(hb_run(&cfg, keep_row, &k, NULL), 0);
        assert_int_equal(k.n, 2);
        assert_string_equal(k.status[1], "ok");
        assert_string_equal(k.coll[1], "none");
        assert_string_equal(k.work[1], "trace:unit");
        assert_int_equal(k.r[1].ops, 8);
        assert_int_equal(k.r[1].noop_ops, 2);
        assert_int_equal(k.r[1].objects, 5);            /* 3 mallocs, 2 realloc blocks */
        assert_int_equal(k.r[1].bytes_allocated, 720); /* 100+200+300+50+70 */
        assert_int_equal(k.r[1].peak_live_bytes, 600);  /* 100+200, then 300 before 100 goes */
        assert_int_equal(k.r[1].leaked_objects, 3);     /* r0 300, r1 50, r2 70 never freed */
        assert_int_equal(k.r[1].leaked_bytes, 420);
        assert_int_equal(k.r[1].header_bytes, 0);
        assert_int_equal(k.r[1].collections, 0);
    }
}

static void alloc_trace_over_the_limit_is_oom(void **state)
{
    (void)state;
    char p[256];
    test_path(p, sizeof p, "limit.hbt");
    write_alloc_trace(p, small_alloc_trace, 8, 3);
    rows k = {0};
    hb_run_config cfg = {.alloc = "pool", .trace_path = p, .reps = 1,
                         .heap_limit_bytes = 400};
    assert_int_equal(hb_run(&cfg, keep_row, &k, NULL), 1);
    assert_int_equal(k.n, 1);
    assert_string_equal(k.status[0], "oom");
    assert_int_equal(k.r[0].ops, 2); /* the REALLOC needed 600 live bytes */
}

static void alloc_replay_moves_contents(void **state)
{
    (void)state;
    al_heap heap;
    void *blocks[2] = {0};
    uint32_t sizes[2] = {0};
    assert_int_equal(al_heap_open(&heap, al_find("pool"), &(al_config){0}), 0);
    hb_avm vm = {.heap = &heap, .blocks = blocks, .sizes = sizes, .nregs = 2};
    hb_op m = {HB_OP_MALLOC, 0, 0, 0, 0, 0, 32};
    assert_int_equal(hb_alloc_replay(&vm, &m, 1), 1);
    memset(blocks[0], 0x3c, 32);
    hb_op r = {HB_OP_REALLOC, 0, 0, 0, 0, 0, 5000};
    assert_int_equal(hb_alloc_replay(&vm, &r, 1), 1);
    unsigned char expect[32];
    memset(expect, 0x3c, sizeof expect);
    assert_memory_equal(blocks[0], expect, 32);
    assert_int_equal(vm.live_blocks, 1);
    assert_int_equal(vm.live_bytes, 5000);
    assert_int_equal(heap.live_bytes, 5000);
    hb_avm_release(&vm);
    assert_int_equal(heap.live_bytes, 0);
    assert_null(blocks[0]);
    al_heap_close(&heap);
}

static int keep_one_row(void *arg, const hb_row *row)
{
    hb_row *out = arg;
    *out = *row;
    return 0;
}

/* Runs hb_run over a file and returns its status and the file's message. */
static int run_bad(const char *path, char *err, size_t cap)
{
    hb_trace_file t;
    int rc = hb_trace_open(&t, path, 1, err, cap);
    if (rc == 0)
        hb_trace_close(&t);
    hb_run_config cfg = {.alloc = "pool", .trace_path = path, .reps = 1};
    int run = hb_run(&cfg, NULL, NULL, NULL);
    assert_int_equal(run, rc == 0 ? 0 : 2);
    return rc;
}

static void expect_bad(const char *name, const char *buf, size_t n, const char *needle)
{
    char p[256], err[600];
    test_path(p, sizeof p, name);
    write_whole(p, buf, n);
    assert_int_equal(run_bad(p, err, sizeof err), -1);
    if (strstr(err, needle) == NULL)
        fail_msg("%s: message '%s' lacks '%s'", name, err, needle);
    assert_non_null(strstr(err, p)); /* the message names the file */
}

static void malformed_traces_are_refused(void **state)
{
    (void)state;
    char p[256];
    test_path(p, sizeof p, "good.hbt");
    write_alloc_trace(p, small_alloc_trace, 8, 3);
    size_t n;
    char *good = read_whole(p, &n), *b = malloc(n);
    char err[600];
    assert_int_equal(run_bad(p, err, sizeof err), 0);

    memcpy(b, good, n);
    b[64] = (char)0x9f; /* op 0's code; checksum resealed so the op check is reached */
    reseal(b, n);
    expect_bad("code.hbt", b, n, "byte 64: op 0 has unknown code 0x9f, expected 1..12");

    memcpy(b, good, n);
    b[64 + 16] = HB_OP_NEW; /* op 1: an op-stream op in an allocator trace */
    reseal(b, n);
    expect_bad("kind_op.hbt", b, n, "byte 80: op 1 is NEW, not allowed in an allocator trace");

    memcpy(b, good, n);
    b[64 + 32 + 4] = 9; /* op 2 names register 9 of 3 */
    reseal(b, n);
    expect_bad("reg.hbt", b, n, "byte 96: op 2 (REALLOC a=9");

    memcpy(b, good, n);
    b[70] ^= 1; /* content changed, checksum not resealed */
    expect_bad("sum.hbt", b, n, "checksum");
    char at[32];
    snprintf(at, sizeof at, "byte %zu:", n - 8);
    expect_bad("sum2.hbt", b, n, at);

    expect_bad("trunc.hbt", good, n - 3, "byte 24: op count 8 does not match");
    expect_bad("short.hbt", good, 40, "file ends after 40 bytes");
    expect_bad("empty.hbt", good, 0, "file ends after 0 bytes");

    memcpy(b, good, n);
    b[0] = 'X';
    expect_bad("magic.hbt", b, n, "byte 0: bad magic");
    memcpy(b, good, n);
    b[8] = 3;
    expect_bad("version.hbt", b, n, "byte 8: version 3, expected 1 or 2");
    memcpy(b, good, n);
    b[12] = 3;
    expect_bad("kind.hbt", b, n, "byte 12: kind 3");
    memcpy(b, good, n);
    memset(b + 16, 0, 4);
    expect_bad("regs0.hbt", b, n, "byte 16: 0 registers");
    memcpy(b, good, n);
    b[8] = 1; /* v1: byte 20 is flags */
    b[20] = 1;
    expect_bad("flags.hbt", b, n, "byte 20: flags 0x1, expected 0");
    memcpy(b, good, n);
    b[20] = 0; /* v2: byte 20 is the thread count */
    expect_bad("threads0.hbt", b, n, "byte 20: 0 threads, expected 1..255");
    memcpy(b, good, n);
    b[64 + 3] = 1; /* op 0 on thread 1 of a one-thread trace */
    reseal(b, n);
    expect_bad("thread.hbt", b, n, "byte 67: op 0 runs on thread 1, expected a thread below");
    memcpy(b, good, n);
    { /* op 0 made a TOUCH of one write more than a file may ask for */
        hb_op op;
        memcpy(&op, b + 64, sizeof op);
        op.code = HB_OP_TOUCH;
        op.c = HB_TOUCH_MAX_WRITES + 1;
        memcpy(b + 64, &op, sizeof op);
    }
    reseal(b, n);
    expect_bad("touch.hbt", b, n,
               "byte 64: op 0 is a TOUCH of 16777217 writes, expected at most 16777216");
    memcpy(b, good, n);
    b[50] = '\n';
    expect_bad("source.hbt", b, n, "byte 50: source name has byte 0x0a");
    free(good);
    free(b);
}

/* A version 1 file (written before threads: byte 20 flags 0) still reads,
 * as one thread, and replays as it did. */
static void version_1_traces_still_read(void **state)
{
    (void)state;
    char p[256], q[256], err[600];
    test_path(p, sizeof p, "v2.hbt");
    write_alloc_trace(p, small_alloc_trace, 8, 3);
    size_t n;
    char *b = read_whole(p, &n);
    assert_int_equal((unsigned char)b[8], 2);
    assert_int_equal((unsigned char)b[20], 1);
    b[8] = 1;
    b[20] = 0;
    reseal(b, n);
    test_path(q, sizeof q, "v1.hbt");
    write_whole(q, b, n);
    hb_trace_file t;
    assert_int_equal(hb_trace_open(&t, q, 1, err, sizeof err), 0);
    assert_int_equal(t.h.version, 1);
    assert_int_equal(t.h.threads, 1);
    hb_trace_close(&t);
    assert_int_equal(run_bad(q, err, sizeof err), 0);
    free(b);
}

/* A two-thread allocator trace: thread 1 frees what thread 0 allocated. */
static void threaded_trace_replays_on_its_threads(void **state)
{
    (void)state;
    char p[256];
    test_path(p, sizeof p, "t2.hbt");
    hb_trace_header h = {.kind = HB_TRACE_ALLOC, .threads = 2};
    snprintf(h.source, sizeof h.source, "two");
    hb_trace_writer w;
    assert_int_equal(hb_trace_create(&w, p, &h), 0);
    for (uint32_t r = 0; r < 64; r++) {
        hb_op m = {HB_OP_MALLOC, 0, 0, 0, r, 0, 24 + r};
        hb_op f = {HB_OP_FREE, 0, 0, (uint8_t)(r % 2), r, 0, 0};
        assert_int_equal(hb_trace_append(&w, &m, 1), 0);
        assert_int_equal(hb_trace_append(&w, &f, 1), 0);
    }
    assert_int_equal(hb_trace_finish(&w, 64), 0);
    hb_trace_file t;
    char err[600];
    assert_int_equal(hb_trace_open(&t, p, 1, err, sizeof err), 0);
    assert_int_equal(t.h.threads, 2);
    hb_trace_close(&t);
    hb_run_config cfg = {.alloc = "malloc", .trace_path = p};
    hb_row got;
    assert_int_equal(hb_run(&cfg, keep_one_row, &got, NULL), 0);
    assert_int_equal(got.threads, 2);
    assert_int_equal(got.cross_thread_frees, 32);
    assert_int_equal(got.ops, 128);
    assert_int_equal(got.noop_ops, 0);
}

static void op_stream_trace_needs_a_collector(void **state)
{
    (void)state;
    char p[256];
    test_path(p, sizeof p, "ops.hbt");
    assert_int_equal(gen("small-objects", "0.001", "1", p), 0);
    hb_run_config cfg = {.alloc = "pool", .trace_path = p, .reps = 1};
    assert_int_equal(hb_run(&cfg, NULL, NULL, NULL), 2);
    test_path(p, sizeof p, "alloc.hbt");
    write_alloc_trace(p, small_alloc_trace, 8, 3);
    cfg.trace_path = p;
    cfg.coll = "rc";
    assert_int_equal(hb_run(&cfg, NULL, NULL, NULL), 2); /* an allocator trace refuses one */
}

static void dump_prints_header_then_ops(void **state)
{
    (void)state;
    char p[256], out[256];
    test_path(p, sizeof p, "dump.hbt");
    test_path(out, sizeof out, "dump.txt");
    write_alloc_trace(p, small_alloc_trace, 8, 3);
    fflush(stdout);
    int saved = dup(1), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    char *argv[] = {"trace", "dump", p, NULL};
    int rc = hb_cmd_trace(3, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(rc, 0);
    size_t n;
    char *text = read_whole(out, &n);
    assert_non_null(strstr(text, "kind 2 (allocator trace)\nregisters 3\n"));
    assert_non_null(strstr(text, "ops 8\n"));
    assert_non_null(strstr(text, "source unit\n0 MALLOC r=0 bytes=100\n1 MALLOC r=1 bytes=200\n"
                                 "2 REALLOC r=0 bytes=300\n3 FREE r=1\n"));
    assert_non_null(strstr(text, "7 REALLOC r=2 bytes=70\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_is_deterministic),
        cmocka_unit_test(trace_replays_as_its_workload),
        cmocka_unit_test(alloc_trace_replays_with_accounting),
        cmocka_unit_test(alloc_trace_over_the_limit_is_oom),
        cmocka_unit_test(alloc_replay_moves_contents),
        cmocka_unit_test(malformed_traces_are_refused),
        cmocka_unit_test(version_1_traces_still_read),
        cmocka_unit_test(threaded_trace_replays_on_its_threads),
        cmocka_unit_test(op_stream_trace_needs_a_collector),
        cmocka_unit_test(dump_prints_header_then_ops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
