/*
 * tests/test_footprint.c -- the one footprint: for every allocator, every
 * collector it pairs with and every workload (tiny scale), and for an
 * allocator trace holding one block of 1 GiB, each row has
 *     peak_live_bytes <= peak_footprint_bytes <= peak_rss_bytes,
 * the footprint being resident memory over the start-of-run baseline.  And
 * for pool, whose own statistic is exact where no block goes to the C
 * library, the peak of that statistic at the samples is within 2% of its
 * exact peak (the figure is printed).
 *
 * Each run is isolated (a child process), so the process's resident memory
 * is the repetition's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/formats/results.h"
#include "harness/formats/trace.h"
#include "harness/run/run.h"
#include "workloads/workload.h"

typedef struct got {
    int n;
    hb_row row;
    char status[16];
} got;

static int keep(void *arg, const hb_row *row)
{
    got *g = arg;
    g->n++;
    g->row = *row;
    snprintf(g->status, sizeof g->status, "%s", row->status);
    return 0;
}

static int usable(const al_backend *a)
{
    return a->unavailable == NULL || a->unavailable() == NULL;
}

/* The bounds, with the names of the cell in the message. */
static void check_bounds(const char *cell, const hb_row *r)
{
    if (r->peak_footprint_bytes < r->peak_live_bytes || r->peak_footprint_bytes > r->peak_rss_bytes)
        fail_msg("%s: peak footprint %" PRIu64 " outside [peak live %" PRIu64
                 ", peak RSS %" PRIu64 "]",
                 cell, r->peak_footprint_bytes, r->peak_live_bytes, r->peak_rss_bytes);
}

static void every_allocator_collector_workload_is_bounded(void **state)
{
    (void)state;
    int cells = 0;
    for (size_t ai = 0; ai < al_backend_count; ai++) {
        const al_backend *a = al_backends[ai];
        if (!usable(a))
            continue;
        int heap_done = 0;
        for (size_t gi = 0; gi < gc_strategy_count; gi++) {
            const gc_strategy *g = gc_strategies[gi];
            char why[256];
            if ((g->unavailable && g->unavailable()) || !gc_pairs(a, g, why, sizeof why))
                continue;
            for (size_t wi = 0; wi < wl_workload_count; wi++) {
                const char *w = wl_workloads[wi]->name;
                /* an allocator workload runs without a collector: once per
                 * allocator, in its first paired collector's turn */
                int heap = wl_workloads[wi]->heap;
                if (heap && heap_done)
                    continue;
                got k = {0};
                hb_run_config cfg = {.alloc = a->name, .coll = heap ? NULL : g->name, .work = w,
                                     .wp = {.scale = 0.005, .seed = 3}, .reps = 1, .isolate = 1};
                char cell[128];
                snprintf(cell, sizeof cell, "%s/%s/%s", a->name, heap ? "none" : g->name, w);
                int rc = hb_run(&cfg, keep, &k, NULL);
                if (rc != 0 || k.n != 1 || strcmp(k.status, "ok") != 0)
                    fail_msg("%s: rc %d, %d rows, status %s", cell, rc, k.n, k.status);
                check_bounds(cell, &k.row);
                assert_true(k.row.baseline_rss_bytes > 0);
                cells++;
            }
            heap_done = 1;
        }
    }
    print_message("%d cells bounded\n", cells);
    assert_true(cells >= 3 * 3 * 5); /* pool, malloc, bump x rc, rc-cycle, mark-sweep at least */
}

/* One block of 1 GiB, written whole by the replay, then freed. */
static void a_one_gib_block_is_counted(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "/tmp/hb-test-footprint-%d.hbt", (int)getpid());
    hb_op ops[] = {
        {.code = HB_OP_MALLOC, .a = 0, .c = 64},
        {.code = HB_OP_MALLOC, .a = 1, .c = 1u << 30},
        {.code = HB_OP_MALLOC, .a = 2, .c = 100},
        {.code = HB_OP_FREE, .a = 1},
        {.code = HB_OP_FREE, .a = 0},
    };
    hb_trace_writer w;
    hb_trace_header h;
    memset(&h, 0, sizeof h);
    h.kind = HB_TRACE_ALLOC;
    snprintf(h.source, sizeof h.source, "gib");
    assert_int_equal(hb_trace_create(&w, path, &h), 0);
    assert_int_equal(hb_trace_append(&w, ops, sizeof ops / sizeof ops[0]), 0);
    assert_int_equal(hb_trace_finish(&w, 3), 0);
    int tried = 0;
    for (size_t ai = 0; ai < al_backend_count; ai++) {
        const al_backend *a = al_backends[ai];
        if (!usable(a) || strcmp(a->name, "boehm") == 0) /* boehm: a collector's heap only */
            continue;
        got k = {0};
        hb_run_config cfg = {.alloc = a->name, .trace_path = path, .reps = 1, .isolate = 1};
        int rc = hb_run(&cfg, keep, &k, NULL);
        if (rc != 0 || k.n != 1 || strcmp(k.status, "ok") != 0)
            fail_msg("%s: rc %d, %d rows, status %s", a->name, rc, k.n, k.status);
        check_bounds(a->name, &k.row);
        assert_true(k.row.peak_live_bytes >= (1u << 30));
        print_message("%s: 1 GiB block, peak footprint %.1f MiB\n", a->name,
                      (double)k.row.peak_footprint_bytes / 1048576.0);
        tried++;
    }
    unlink(path);
    assert_true(tried >= 3);
}

/* pool over an allocator trace of small blocks only (<= 512 B, none goes
 * to the C library): its statistic is exact, and the samples' peak of it
 * (taken at live highs, between chunks) is within 2% of the exact peak.
 * Live bytes rise to about 20 MiB, fall by half, rise again, fall. */
static void pool_sampled_peak_agrees_with_exact(void **state)
{
    (void)state;
    enum { NREGS = 120000 };
    char path[256];
    snprintf(path, sizeof path, "/tmp/hb-test-footprint-small-%d.hbt", (int)getpid());
    hb_trace_writer w;
    hb_trace_header h;
    memset(&h, 0, sizeof h);
    h.kind = HB_TRACE_ALLOC;
    snprintf(h.source, sizeof h.source, "small");
    assert_int_equal(hb_trace_create(&w, path, &h), 0);
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 2; round++) {
        for (uint32_t r = 0; r < NREGS; r++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            hb_op m = {.code = HB_OP_MALLOC, .a = r, .c = 16 + (uint32_t)(x % 497)};
            assert_int_equal(hb_trace_append(&w, &m, 1), 0);
        }
        for (uint32_t r = 0; r < NREGS; r += 1 + round) {
            hb_op f = {.code = HB_OP_FREE, .a = r};
            assert_int_equal(hb_trace_append(&w, &f, 1), 0);
        }
    }
    assert_int_equal(hb_trace_finish(&w, NREGS), 0);
    got k = {0};
    hb_run_config cfg = {.alloc = "pool", .trace_path = path, .reps = 1, .isolate = 1};
    assert_int_equal(hb_run(&cfg, keep, &k, NULL), 0);
    unlink(path);
    assert_int_equal(k.row.alloc_stat_exact, 1);
    double exact = (double)k.row.alloc_stat_peak_bytes;
    double sampled = (double)k.row.alloc_stat_sampled_peak_bytes;
    print_message("pool, small blocks: sampled peak of its statistic %.0f of exact %.0f (%.4f)\n",
                  sampled, exact, sampled / exact);
    assert_true(exact > 0);
    assert_true(sampled <= exact);
    assert_true(sampled >= 0.98 * exact);
    check_bounds("pool/small blocks", &k.row);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocator_collector_workload_is_bounded),
        cmocka_unit_test(a_one_gib_block_is_counted),
        cmocka_unit_test(pool_sampled_peak_agrees_with_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
