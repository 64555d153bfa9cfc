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
    assert_int_equal(al_heap_open(&heap, al_find("pool"), &(al_config){0}), 0);
    hb_avm vm;
    assert_int_equal(hb_avm_init(&vm, &heap, 2), 0);
    void **blocks = vm.blocks;
    hb_op m = {HB_OP_MALLOC, 0, 0, 0, 0, 0, 32};
    assert_int_equal(hb_alloc_replay(&vm, &m, 1), 1);
    memset(blocks[0], 0x3c, 32);
    hb_op r = {HB_OP_REALLOC, 0, 0, 0, 0, 0, 5000};
    assert_int_equal(hb_alloc_replay(&vm, &r, 1), 1);
    unsigned char expect[32];
    memset(expect, 0x3c, sizeof expect);
    assert_memory_equal(blocks[0], expect, 32);
    assert_int_equal(heap.peak_live_bytes, 5032); /* both blocks at once */
    assert_int_equal(vm.live_blocks, 1);
    assert_int_equal(vm.live_bytes, 5000);
    assert_int_equal(heap.live_bytes, 5000);
    hb_avm_release(&vm);
    assert_int_equal(heap.live_bytes, 0);
    assert_null(blocks[0]);
    hb_avm_fini(&vm);
    al_heap_close(&heap);
}

/* ---- the planned books against the heap's own, op by op ---- */

#define PB_REGS 48
#define PB_OPS 60000
#define PB_CHUNK 1000
#define PB_CHUNK 1000
#define PB_HIGHS 4096

typedef struct pb_watch {
    al_heap *h;
    int limits; /* 1: every 8th call also sets the limit, lower than it was */
    uint64_t seen[PB_HIGHS]; /* live bytes at each on_high */
    size_t n;
} pb_watch;

/* The sample's moment recorded, the watch raised a little past live bytes
 * (run.c's: by a step), so that it is passed often; with limits, now and
 * then a limit set in mid-chunk. */
static void pb_on_high(void *arg)
{
    pb_watch *w = arg;
    uint64_t live = w->h->live_bytes;
    if (w->n < PB_HIGHS)
        w->seen[w->n++] = live;
    w->h->watch_bytes = live + 64;
    if (w->limits && w->n % 8 == 0)
        al_heap_set_limit(w->h, live + 30000);
}

/* Ops of every kind, no-ops among them, sizes 0 to ~20 KB. */
static void pb_ops(hb_op *ops, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint32_t x = (uint32_t)(seed >> 33), r = x % PB_REGS, k = (x >> 8) % 16;
        uint32_t size = (x >> 12) % 8 == 0 ? (x >> 16) % 20000 : (x >> 16) % 300;
        hb_op op = {HB_OP_MALLOC, 0, 0, 0, r, 0, size};
        if (k < 6)
            op.code = HB_OP_FREE, op.c = 0;
        else if (k < 8)
            op.code = HB_OP_REALLOC;
        else if (k < 9)
            op.code = HB_OP_TOUCH, op.c = size % 64;
        ops[i] = op;
    }
}

typedef struct pb_ref {
    void *blocks[PB_REGS];
    uint32_t sizes[PB_REGS];
    uint64_t allocs, bytes, noops, live_blocks, live_bytes;
} pb_ref;

/* The reference: every op through al_alloc/al_free, counted as it goes;
 * returns the ops done before an allocation failed. */
static size_t pb_reference(al_heap *h, pb_ref *s, const hb_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const hb_op *op = &ops[i];
        uint32_t r = op->a;
        void *p;
        switch (op->code) {
        case HB_OP_MALLOC:
            if (s->blocks[r]) {
                s->noops++;
                break;
            }
            if ((p = al_alloc(h, op->c)) == NULL)
                return i;
            s->blocks[r] = p, s->sizes[r] = op->c;
            s->allocs++, s->bytes += op->c, s->live_blocks++, s->live_bytes += op->c;
            break;
        case HB_OP_FREE:
            if (!s->blocks[r]) {
                s->noops++;
                break;
            }
            al_free(h, s->blocks[r], s->sizes[r]);
            s->blocks[r] = NULL, s->live_blocks--, s->live_bytes -= s->sizes[r];
            break;
        case HB_OP_REALLOC:
            if ((p = al_alloc(h, op->c)) == NULL)
                return i;
            if (s->blocks[r]) {
                al_free(h, s->blocks[r], s->sizes[r]);
                s->live_bytes -= s->sizes[r];
            } else {
                s->live_blocks++;
            }
            s->blocks[r] = p, s->sizes[r] = op->c;
            s->allocs++, s->bytes += op->c, s->live_bytes += op->c;
            break;
        default: /* TOUCH */
            s->noops += !(s->blocks[r] && s->sizes[r] > 0);
            break;
        }
    }
    return n;
}

/* squeeze: each chunk but the first, once planned, gets a limit 40 KB over
 * live bytes, below what the plan's stops were worked out for. */
static void pb_compare(uint64_t limit, uint64_t seed, int limits, int squeeze)
{
    static hb_op ops[PB_OPS];
    static pb_watch wa, wb;
    static pb_ref ref;
    pb_ops(ops, PB_OPS, seed);
    al_heap ha, hb;
    assert_int_equal(al_heap_open(&ha, al_find("pool"), &(al_config){0}), 0);
    assert_int_equal(al_heap_open(&hb, al_find("pool"), &(al_config){0}), 0);
    memset(&wa, 0, sizeof wa);
    memset(&wb, 0, sizeof wb);
    memset(&ref, 0, sizeof ref);
    wa.h = &ha, wb.h = &hb;
    wa.limits = wb.limits = limits;
    al_heap_set_watch(&ha, 4096, pb_on_high, &wa);
    al_heap_set_watch(&hb, 4096, pb_on_high, &wb);
    al_heap_set_limit(&ha, limit);
    al_heap_set_limit(&hb, limit);
    hb_avm vm;
    assert_int_equal(hb_avm_init(&vm, &ha, PB_REGS), 0);
    size_t done = 0, want = 0;
    for (size_t at = 0; at < PB_OPS && vm.status == HB_VM_OK; at += PB_CHUNK) {
        size_t n = PB_OPS - at < PB_CHUNK ? PB_OPS - at : PB_CHUNK;
        hb_alloc_plan(&vm, ops + at, n);
        if (squeeze && at > 0) {
            al_heap_set_limit(&ha, ha.live_bytes + 40000);
            al_heap_set_limit(&hb, hb.live_bytes + 40000);
        }
        done += hb_alloc_replay(&vm, ops + at, n);
        size_t got = pb_reference(&hb, &ref, ops + at, n);
        want += got;
        if (got < n)
            break;
    }
    assert_int_equal(done, want);
    assert_int_equal(vm.status == HB_VM_OOM, want < PB_OPS);
    assert_int_equal(want < PB_OPS, limit || limits || squeeze); /* each limit is met */
    assert_true(wb.n > (want < PB_OPS ? 0u : 10u)); /* the watch fired often enough to tell */
    assert_true(want > 1000); /* several chunks before any limit was met */
    assert_int_equal(wa.n, wb.n);
    assert_memory_equal(wa.seen, wb.seen, wa.n * sizeof wa.seen[0]);
    assert_int_equal(ha.live_bytes, hb.live_bytes);
    assert_int_equal(ha.peak_live_bytes, hb.peak_live_bytes);
    assert_int_equal(ha.failed, hb.failed);
    assert_int_equal(vm.allocs, ref.allocs);
    assert_int_equal(vm.bytes, ref.bytes);
    assert_int_equal(vm.noops, ref.noops);
    assert_int_equal(vm.live_blocks, ref.live_blocks);
    assert_int_equal(vm.live_bytes, ref.live_bytes);
    for (uint32_t r = 0; r < PB_REGS; r++) {
        assert_int_equal(vm.blocks[r] != NULL, ref.blocks[r] != NULL);
        if (ref.blocks[r])
            assert_int_equal(vm.sizes[r], ref.sizes[r]);
    }
    hb_avm_release(&vm);
    assert_int_equal(ha.live_bytes, 0);
    hb_avm_fini(&vm);
    for (uint32_t r = 0; r < PB_REGS; r++)
        if (ref.blocks[r])
            al_free(&hb, ref.blocks[r], ref.sizes[r]);
    al_heap_close(&ha);
    al_heap_close(&hb);
}

/* The replay's books are planned off the clock; the peak, the watch's
 * moments, the limit's refusal and the counts must be the heap's own. */
static void planned_books_are_the_heaps(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++)
        pb_compare(0, seed, 0, 0); /* no limit */
    pb_compare(90000, 5, 0, 0);    /* a limit some allocation meets */
    pb_compare(0, 6, 1, 0);        /* limits set by the watch's hook, in mid-chunk */
    pb_compare(0, 7, 0, 1);        /* limits set between the plan and the replay */
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
        cmocka_unit_test(planned_books_are_the_heaps),
        cmocka_unit_test(malformed_traces_are_refused),
        cmocka_unit_test(version_1_traces_still_read),
        cmocka_unit_test(threaded_trace_replays_on_its_threads),
        cmocka_unit_test(op_stream_trace_needs_a_collector),
        cmocka_unit_test(dump_prints_header_then_ops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
