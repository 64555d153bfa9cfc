/*
 * tests/test_threads.c -- the threaded allocator replay (harness/run/threads.h)
 * over every thread-safe backend, the threaded workloads, the GIL model's
 * mutators (hand-over, progress, ops replayed, the oracle with several
 * mutators), bump's regions per thread, and the run-level rules (threads
 * refused for one-mutator workloads, boehm, and backends that are not safe).
 *
 * Run under ThreadSanitizer too (the tsan preset, scripts/test.sh): the
 * replay and every backend that says it is thread-safe must be race-free.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/mem.h"
#include "harness/run/replay.h"
#include "harness/run/run.h"
#include "harness/run/threads.h"
#include "workloads/workload.h"

/* ---- a whole stream gathered from a generator ---- */

typedef struct gathered {
    hb_vec v;
    hb_op buf[4096];
} gathered;

static int gather_flush(hb_sink *s)
{
    gathered *g = s->ctx;
    if (hb_vec_reserve(&g->v, g->v.len + s->len) != 0)
        return 1;
    memcpy((hb_op *)g->v.v + g->v.len, s->buf, s->len * sizeof(hb_op));
    g->v.len += s->len;
    s->len = 0;
    return 0;
}

static void gather(gathered *g, const wl_workload *w, double scale, uint32_t threads)
{
    wl_params p = {.scale = scale, .seed = 7, .threads = threads};
    assert_int_equal(hb_vec_init(&g->v, sizeof(hb_op), 1u << 16), 0);
    hb_sink s = {.buf = g->buf, .cap = 4096, .flush = gather_flush, .ctx = g};
    assert_int_equal(w->generate(&p, &s), 0);
    hb_sink_flush(&s);
    assert_false(s.stopped);
}

/* The cross-thread frees the stream implies, counted in global order: the
 * replay must find exactly these. */
static uint64_t expected_cross(const hb_op *ops, size_t n, uint32_t nregs)
{
    int16_t *owner = hb_map(nregs * sizeof *owner, 0);
    uint64_t cross = 0;
    for (uint32_t r = 0; r < nregs; r++)
        owner[r] = -1;
    for (size_t i = 0; i < n; i++) {
        const hb_op *op = &ops[i];
        if (op->code == HB_OP_FREE && owner[op->a] >= 0) {
            cross += owner[op->a] != op->thread;
            owner[op->a] = -1;
        } else if (op->code == HB_OP_MALLOC && owner[op->a] < 0) {
            owner[op->a] = op->thread;
        }
    }
    hb_unmap(owner, nregs * sizeof *owner);
    return cross;
}

static int usable_threaded(const al_backend *b)
{
    return b->threads != NULL && b->unavailable() == NULL;
}

/* Replays a workload twice on one backend; the same frees both times, all
 * blocks freed, the counts of the stream. */
static void replay_twice(const al_backend *b, const wl_workload *w, uint32_t threads)
{
    gathered *g = hb_map(sizeof *g, 0);
    gather(g, w, 0.02, threads);
    wl_params p = {.scale = 0.02, .seed = 7, .threads = threads};
    uint32_t nregs = w->registers(&p);
    uint64_t want = expected_cross(g->v.v, g->v.len, nregs);
    al_config cfg = {.threads = threads};
    al_heap h;
    assert_int_equal(al_heap_open(&h, b, &cfg), 0);
    hb_tvm vm;
    hb_err e;
    assert_int_equal(hb_tvm_prepare(&vm, &h, g->v.v, g->v.len, nregs, threads, &e), 0);
    for (int round = 0; round < 2; round++) {
        uint64_t cross0 = vm.cross_thread_frees, ops0 = vm.ops;
        hb_tvm_run(&vm);
        assert_int_equal(vm.status, HB_VM_OK);
        assert_int_equal(vm.ops - ops0, g->v.len);
        assert_int_equal(vm.cross_thread_frees - cross0, want);
        assert_int_equal(vm.noops, 0); /* every FREE found its block: the order held */
        assert_int_equal(vm.live_blocks, 0);
        assert_int_equal(h.live_bytes, 0);
        hb_tvm_release(&vm);
    }
    if (threads > 1)
        assert_true(want > 0);
    assert_true(h.peak_live_bytes > 0);
    hb_tvm_free(&vm);
    al_heap_close(&h);
    hb_vec_fini(&g->v);
    hb_unmap(g, sizeof *g);
}

static void every_backend(const wl_workload *w, uint32_t threads)
{
    for (size_t i = 0; i < al_backend_count; i++)
        if (usable_threaded(al_backends[i]))
            replay_twice(al_backends[i], w, threads);
}

extern const wl_workload wl_larson, wl_xmalloc, wl_cache_scratch;

static void larson_on_every_threaded_backend(void **state)
{
    (void)state;
    every_backend(&wl_larson, 2);
    every_backend(&wl_larson, 3);
}

static void xmalloc_on_every_threaded_backend(void **state)
{
    (void)state;
    every_backend(&wl_xmalloc, 2);
    every_backend(&wl_xmalloc, 4);
}

static void cache_scratch_on_every_threaded_backend(void **state)
{
    (void)state;
    every_backend(&wl_cache_scratch, 2);
    every_backend(&wl_cache_scratch, 3);
}

/* The model: at every hand-over (one a round of 1000 iterations) each
 * thread but the allocating one frees the block it was handed; every
 * thread writes only into the blocks it holds. */
static void cache_scratch_hands_over_and_writes(void **state)
{
    (void)state;
    gathered *g = hb_map(sizeof *g, 0);
    gather(g, &wl_cache_scratch, 0.02, 3); /* 4000 iterations a thread: 4 rounds */
    const hb_op *ops = g->v.v;
    uint64_t touches[3] = {0}, handed = 0;
    int8_t holder[6];
    memset(holder, -1, sizeof holder);
    for (size_t i = 0; i < g->v.len; i++) {
        const hb_op *op = &ops[i];
        assert_true(op->a < 6 && op->thread < 3);
        if (op->code == HB_OP_MALLOC) {
            assert_int_equal(holder[op->a], -1);
            holder[op->a] = (int8_t)op->thread;
            handed += op->a < 3;
            assert_true(op->a < 3 ? op->thread == 0 : op->a == 3u + op->thread);
        } else if (op->code == HB_OP_FREE) {
            assert_true(holder[op->a] >= 0);
            assert_true(op->a < 3 ? op->thread == op->a : holder[op->a] == op->thread);
            holder[op->a] = -1;
        } else {
            assert_int_equal(op->code, HB_OP_TOUCH);
            assert_int_equal(holder[op->a], op->thread);
            touches[op->thread]++;
        }
    }
    assert_int_equal(handed, 3 * 4);
    assert_int_equal(expected_cross(ops, g->v.len, 6), 2 * 4);
    for (int t = 0; t < 3; t++)
        assert_int_equal(touches[t], 4000);
    hb_vec_fini(&g->v);
    hb_unmap(g, sizeof *g);
}

static void one_thread_has_no_cross_frees(void **state)
{
    (void)state;
    gathered *g = hb_map(sizeof *g, 0);
    gather(g, &wl_larson, 0.01, 1);
    wl_params p = {.scale = 0.01, .seed = 7, .threads = 1};
    assert_int_equal(expected_cross(g->v.v, g->v.len, wl_larson.registers(&p)), 0);
    hb_vec_fini(&g->v);
    hb_unmap(g, sizeof *g);
}

/* Thread 1's first op frees the block thread 0 allocates only after a long
 * run of its own: the free must wait for it, never find the register empty. */
static void a_free_waits_for_its_allocation(void **state)
{
    (void)state;
    enum { N = 2000 };
    static hb_op ops[N + 2];
    size_t n = 0;
    for (uint32_t i = 1; i <= N; i++)
        ops[n++] = (hb_op){HB_OP_MALLOC, 0, 0, 0, i, 0, 32};
    ops[n++] = (hb_op){HB_OP_MALLOC, 0, 0, 0, 0, 0, 64};
    ops[n++] = (hb_op){HB_OP_FREE, 0, 0, 1, 0, 0, 0};
    al_config cfg = {.threads = 2};
    al_heap h;
    assert_int_equal(al_heap_open(&h, al_find("malloc"), &cfg), 0);
    hb_tvm vm;
    hb_err e;
    assert_int_equal(hb_tvm_prepare(&vm, &h, ops, n, N + 1, 2, &e), 0);
    for (int k = 0; k < 20; k++) {
        hb_tvm_run(&vm);
        assert_int_equal(vm.noops, 0);
        assert_int_equal(vm.cross_thread_frees, (uint64_t)k + 1);
        assert_int_equal(vm.live_blocks, N);
        hb_tvm_release(&vm);
        vm.ops = vm.noops = vm.allocs = vm.frees = vm.bytes = 0;
    }
    hb_tvm_free(&vm);
    al_heap_close(&h);
}

static void a_thread_past_the_count_is_refused(void **state)
{
    (void)state;
    hb_op ops[] = {{HB_OP_MALLOC, 0, 0, 3, 0, 0, 8}};
    al_heap h;
    al_config cfg = {.threads = 2};
    assert_int_equal(al_heap_open(&h, al_find("malloc"), &cfg), 0);
    hb_tvm vm;
    hb_err e;
    assert_int_equal(hb_tvm_prepare(&vm, &h, ops, 1, 1, 2, &e), -1);
    assert_non_null(strstr(e.msg, "thread 3"));
    al_heap_close(&h);
}

/* ---- through hb_run ---- */

typedef struct got {
    int rows;
    hb_row last;
} got;

static int keep_row(void *arg, const hb_row *row)
{
    got *g = arg;
    g->rows++;
    g->last = *row;
    g->last.status = strcmp(row->status, "ok") == 0 ? "ok" : "not ok";
    return 0;
}

static void run_cfg(hb_run_config *c, const char *alloc, const char *work, uint64_t threads)
{
    memset(c, 0, sizeof *c);
    c->alloc = alloc;
    c->work = work;
    c->wp.scale = 0.02;
    c->wp.seed = 3;
    c->acfg.threads = threads;
}

static void run_rows_say_threads_and_cross_frees(void **state)
{
    (void)state;
    const char *works[] = {"larson", "xmalloc", "cache-scratch"};
    for (size_t i = 0; i < al_backend_count; i++) {
        if (!usable_threaded(al_backends[i]))
            continue;
        for (size_t k = 0; k < 3; k++) {
            hb_run_config c;
            run_cfg(&c, al_backends[i]->name, works[k], 2);
            got g = {0};
            hb_err e;
            assert_int_equal(hb_run(&c, keep_row, &g, &e), 0);
            assert_int_equal(g.rows, 1);
            assert_string_equal(g.last.status, "ok");
            assert_int_equal(g.last.threads, 2);
            assert_true(g.last.cross_thread_frees > 0);
            assert_int_equal(g.last.leaked_objects, 0);
            assert_true(g.last.wall_s > 0);
        }
    }
}

/* cpu_s is the CPU time of the timed spans: nonzero, and at most what the
 * threads could use in wall_s (getrusage's microseconds and its own calls
 * allowed for), so never the untimed generation of the ops. */
static void cpu_time_is_the_timed_spans(void **state)
{
    (void)state;
    static const struct {
        const char *alloc, *coll, *work;
        uint32_t threads;
        double scale;
    } cells[] = {
        {"pool", "rc", "gcbench", 1, 0.2},
        {"malloc", "mark-sweep", "small-objects", 1, 0.2},
        {"pool", NULL, "larson", 2, 0.1},
    };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        hb_run_config c;
        run_cfg(&c, cells[i].alloc, cells[i].work, cells[i].threads);
        c.coll = cells[i].coll;
        c.wp.scale = cells[i].scale;
        got g = {0};
        hb_err e;
        assert_int_equal(hb_run(&c, keep_row, &g, &e), 0);
        assert_string_equal(g.last.status, "ok");
        double cap = (double)cells[i].threads * g.last.wall_s * 1.05 + 0.002;
        if (!(g.last.cpu_s > 0 && g.last.cpu_s <= cap))
            fail_msg("%s/%s/%s: cpu_s %.6f, wall_s %.6f; expected 0 < cpu_s <= %.6f",
                     cells[i].alloc, cells[i].coll ? cells[i].coll : "none", cells[i].work,
                     g.last.cpu_s, g.last.wall_s, cap);
    }
}

static void threads_refused_for_collectors_and_unsafe_backends(void **state)
{
    (void)state;
    hb_run_config c;
    got g = {0};
    hb_err e;
    run_cfg(&c, "pool", "gcbench", 2);
    c.coll = "rc";
    assert_int_equal(hb_run(&c, keep_row, &g, &e), 2);
    assert_non_null(strstr(e.msg, "one mutator's"));
    run_cfg(&c, "boehm", "server", 2);
    c.coll = "boehm";
    if (al_find("boehm")->unavailable() == NULL) {
        assert_int_equal(hb_run(&c, keep_row, &g, &e), 2);
        assert_non_null(strstr(e.msg, "not registered"));
    }
    for (size_t i = 0; i < al_backend_count; i++) {
        if (al_backends[i]->threads != NULL || al_backends[i]->unavailable() != NULL)
            continue;
        run_cfg(&c, al_backends[i]->name, "larson", 2);
        assert_int_equal(hb_run(&c, keep_row, &g, &e), 2);
        assert_non_null(strstr(e.msg, "not safe under threads"));
    }
    assert_int_equal(g.rows, 0);
}

/* ---- the peak of live bytes ---- */

/* The peak of live bytes of a stream walked once in its global order, as a
 * one-thread program would run it: a MALLOC on an empty register adds its
 * size (0 counts as 1, the byte the replay allocates), a FREE of a held
 * block takes its size off, a REALLOC is a FREE then a MALLOC.  *total:
 * every byte allocated. */
static uint64_t walked_peak(const hb_op *ops, size_t n, uint32_t nregs, uint64_t *total)
{
    uint32_t *held = hb_map(nregs * sizeof *held, 0); /* 0: the register is empty */
    uint64_t live = 0, peak = 0;
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        const hb_op *op = &ops[i];
        uint32_t size = op->c ? op->c : 1;
        assert_true(op->a < nregs);
        int frees = op->code == HB_OP_FREE || op->code == HB_OP_REALLOC;
        int mallocs = op->code == HB_OP_MALLOC || op->code == HB_OP_REALLOC;
        if (frees) {
            live -= held[op->a];
            held[op->a] = 0;
        }
        if (mallocs && held[op->a] == 0) {
            held[op->a] = size;
            live += size;
            *total += size;
        }
        if (live > peak)
            peak = live;
    }
    hb_unmap(held, nregs * sizeof *held);
    return peak;
}

/* larson and xmalloc on 2 threads over pool: the heap's peak after the
 * threaded replay, and the row's through hb_run, are the walk's peak. */
static void the_peak_is_the_streams(void **state)
{
    (void)state;
    const wl_workload *works[] = {&wl_larson, &wl_xmalloc};
    for (size_t k = 0; k < 2; k++) {
        const wl_workload *w = works[k];
        gathered *g = hb_map(sizeof *g, 0);
        gather(g, w, 0.02, 2);
        wl_params p = {.scale = 0.02, .seed = 7, .threads = 2};
        uint32_t nregs = w->registers(&p);
        uint64_t total, want = walked_peak(g->v.v, g->v.len, nregs, &total);
        /* the frees matter: the peak is neither nothing nor every byte */
        assert_true(want > 0 && want < total);

        al_config cfg = {.threads = 2};
        al_heap h;
        assert_int_equal(al_heap_open(&h, al_find("pool"), &cfg), 0);
        hb_tvm vm;
        hb_err e;
        assert_int_equal(hb_tvm_prepare(&vm, &h, g->v.v, g->v.len, nregs, 2, &e), 0);
        for (int round = 0; round < 2; round++) {
            hb_tvm_run(&vm);
            assert_int_equal(vm.status, HB_VM_OK);
            assert_true(vm.cross_thread_frees > 0); /* two threads did hand over */
            assert_int_equal(h.peak_live_bytes, want);
            hb_tvm_release(&vm);
        }
        hb_tvm_free(&vm);
        al_heap_close(&h);

        hb_run_config c;
        run_cfg(&c, "pool", w->name, 2);
        c.wp.seed = 7;
        got r = {0};
        assert_int_equal(hb_run(&c, keep_row, &r, &e), 0);
        assert_int_equal(r.rows, 1);
        assert_string_equal(r.last.status, "ok");
        assert_int_equal(r.last.threads, 2);
        assert_int_equal(r.last.ops, g->v.len);
        assert_int_equal(r.last.peak_live_bytes, want);
        hb_vec_fini(&g->v);
        hb_unmap(g, sizeof *g);
    }
}

/* ---- the GIL model ---- */

/* Thread t's stream: len[t] NEW/DROP pairs on its own register t. */
static size_t mutator_ops(hb_op *ops, const uint32_t *len, uint32_t n)
{
    size_t k = 0;
    uint32_t most = 0;
    for (uint32_t t = 0; t < n; t++)
        most = len[t] > most ? len[t] : most;
    for (uint32_t i = 0; i < most; i++)
        for (uint32_t t = 0; t < n; t++)
            if (i < len[t]) {
                ops[k++] = (hb_op){HB_OP_NEW, HB_LEAF, 0, (uint8_t)t, t, 0, 16};
                ops[k++] = (hb_op){HB_OP_DROP, 0, 0, (uint8_t)t, t, 0, 0};
            }
    return k;
}

/* The switches a fair round-robin of `interval`-op slices makes over
 * streams of 2 * len[t] ops, a finished stream dropping out. */
static uint64_t expected_switches(const uint32_t *len, uint32_t n, uint64_t interval)
{
    uint64_t left[8], sw = 0;
    uint32_t last = n;
    for (uint32_t t = 0; t < n; t++)
        left[t] = 2ull * len[t];
    for (int any = 1; any;) {
        any = 0;
        for (uint32_t t = 0; t < n; t++) {
            if (left[t] == 0)
                continue;
            any = 1;
            sw += last != n && last != t;
            last = t;
            left[t] -= left[t] < interval ? left[t] : interval;
        }
    }
    return sw;
}

/* Four mutators of unequal streams over rc: every op is replayed by its own
 * thread, fed in small chunks (many batches) or whole, and the hand-overs
 * are those of the fair schedule. */
static void gil_every_thread_progresses(void **state)
{
    (void)state;
    enum { NT = 4 };
    static const uint32_t len[NT] = {5, 700, 3000, 1200};
    static hb_op ops[2 * (5 + 700 + 3000 + 1200)];
    size_t n = mutator_ops(ops, len, NT);
    const uint64_t intervals[] = {1, 7, 1000, 100000};
    for (size_t v = 0; v < 4; v++)
        for (size_t chunk = 64; chunk <= n; chunk = chunk == n ? n + 1 : n) {
            static hb_op copy[sizeof ops / sizeof ops[0]];
            memcpy(copy, ops, n * sizeof *ops);
            al_heap h;
            assert_int_equal(al_heap_open(&h, al_find("malloc"), NULL), 0);
            static hb_obj *regs[NT];
            memset(regs, 0, sizeof regs);
            gc_env env = {.heap = &h, .roots = regs, .nroots = NT};
            const gc_strategy *gs = gc_find("rc");
            void *gc = gs->create(&env);
            assert_non_null(gc);
            hb_gvm g;
            hb_err e;
            assert_int_equal(hb_gvm_open(&g, NT, intervals[v], &e), 0);
            hb_vm tmpl = {.gs = gs, .gc = gc, .regs = regs, .nregs = NT};
            hb_gvm_bind(&g, &tmpl);
            for (size_t at = 0; at < n; at += chunk) {
                size_t k = n - at < chunk ? n - at : chunk;
                assert_int_equal(hb_gvm_queue(&g, copy + at, k), k);
                hb_gvm_run(&g, 0);
            }
            hb_gvm_run(&g, 1);
            assert_int_equal(g.status, HB_VM_OK);
            for (uint32_t t = 0; t < NT; t++) {
                assert_int_equal(g.vms[t].ops, 2ull * len[t]);
                assert_int_equal(g.vms[t].objects, len[t]);
            }
            assert_int_equal(g.switches, expected_switches(len, NT, intervals[v]));
            hb_gvm_close(&g);
            gs->destroy(gc);
            assert_int_equal(h.live_bytes, 0);
            al_heap_close(&h);
        }
}

static void gil_refuses_a_thread_past_the_count(void **state)
{
    (void)state;
    hb_op ops[] = {{HB_OP_NEW, HB_LEAF, 0, 0, 0, 0, 16}, {HB_OP_NEW, HB_LEAF, 0, 2, 1, 0, 16}};
    hb_gvm g;
    hb_err e;
    assert_int_equal(hb_gvm_open(&g, 2, 0, &e), 0);
    assert_int_equal(g.interval, HB_GIL_DEFAULT_INTERVAL);
    assert_int_equal(hb_gvm_queue(&g, ops, 2), 1);
    hb_gvm_close(&g);
}

/* The ops a workload emits at these parameters. */
static uint64_t emitted_ops(const wl_workload *w, double scale, uint32_t threads)
{
    gathered *g = hb_map(sizeof *g, 0);
    gather(g, w, scale, threads);
    uint64_t n = g->v.len;
    hb_vec_fini(&g->v);
    hb_unmap(g, sizeof *g);
    return n;
}

/* server and small-objects at 2 and 4 mutators, every collector that runs
 * them, over pool, malloc and bump, with the oracle on every collection and
 * chunk: ok, the thread count in the row, every op generated replayed. */
static void gil_oracle_with_several_mutators(void **state)
{
    (void)state;
    const char *works[] = {"server", "small-objects"}, *allocs[] = {"pool", "malloc", "bump"};
    const uint32_t counts[] = {2, 4};
    double scale = 0.001;
    for (size_t w = 0; w < 2; w++)
        for (size_t k = 0; k < 2; k++) {
            uint64_t want = emitted_ops(wl_find(works[w]), scale, counts[k]);
            for (size_t c = 0; c < gc_strategy_count; c++) {
                const gc_strategy *gs = gc_strategies[c];
                if (gs->needs.allocator != NULL || gs->unavailable() != NULL)
                    continue;
                for (size_t a = 0; a < 3; a++) {
                    hb_run_config cfg;
                    run_cfg(&cfg, allocs[a], works[w], counts[k]);
                    cfg.coll = gs->name;
                    cfg.wp.scale = scale;
                    cfg.wp.seed = 7;
                    cfg.oracle = getenv("HB_TEST_QUICK") ? 64 : 16; /* every complete collection, every Nth partial */
                    cfg.switch_interval = 500;
                    got gr = {0};
                    hb_err e;
                    assert_int_equal(hb_run(&cfg, keep_row, &gr, &e), 0);
                    assert_int_equal(gr.rows, 1);
                    if (strcmp(gr.last.status, "ok") != 0)
                        fail_msg("%s/%s/%s at %u mutators: not ok", allocs[a], gs->name,
                                 works[w], counts[k]);
                    assert_int_equal(gr.last.threads, counts[k]);
                    assert_int_equal(gr.last.ops, want);
                    assert_true(gr.last.gil_switches > 0);
                    assert_int_equal(gr.last.leaked_objects, 0);
                }
            }
        }
}

/* The threaded stream is each thread's own registers: thread t's ops name
 * registers of its share only, and thread 0 at one thread is the plain
 * stream. */
static void mutator_streams_use_their_own_registers(void **state)
{
    (void)state;
    const char *works[] = {"server", "small-objects"};
    for (size_t w = 0; w < 2; w++) {
        const wl_workload *wk = wl_find(works[w]);
        wl_params p1 = {.scale = 0.002, .seed = 7, .threads = 1};
        wl_params p3 = p1;
        p3.threads = 3;
        uint32_t per = wk->registers(&p1);
        assert_int_equal(wk->registers(&p3), 3 * per);
        gathered *g = hb_map(sizeof *g, 0);
        gather(g, wk, 0.002, 3);
        uint64_t per_thread[3] = {0};
        for (size_t i = 0; i < g->v.len; i++) {
            const hb_op *op = (const hb_op *)g->v.v + i;
            assert_true(op->thread < 3);
            per_thread[op->thread]++;
            if (op->code == HB_OP_NEW || op->code == HB_OP_DROP || op->code == HB_OP_SET)
                assert_int_equal(op->a / per, op->thread);
        }
        for (uint32_t t = 0; t < 3; t++)
            assert_true(per_thread[t] > 0);
        hb_vec_fini(&g->v);
        hb_unmap(g, sizeof *g);
    }
}

/* ---- bump: a region per thread ---- */

typedef struct bump_arg {
    al_heap *h;
    void *blocks[256];
} bump_arg;

static void *bump_worker(void *arg)
{
    bump_arg *a = arg;
    for (int i = 0; i < 256; i++)
        a->blocks[i] = a->h->b->alloc(a->h->ctx, 48);
    return NULL;
}

/* Two threads bump at once, then the main thread frees all their blocks
 * (another thread's): the books add up exactly. */
static void bump_regions_per_thread(void **state)
{
    (void)state;
    al_config cfg = {.threads = 2};
    al_heap h;
    assert_int_equal(al_heap_open(&h, al_find("bump"), &cfg), 0);
    bump_arg a[2] = {{.h = &h}, {.h = &h}};
    pthread_t tid[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&tid[t], NULL, bump_worker, &a[t]), 0);
    for (int t = 0; t < 2; t++)
        pthread_join(tid[t], NULL);
    al_backend_stats st;
    h.b->stats(h.ctx, &st);
    assert_int_equal(st.block_bytes, 2 * 256 * 48);
    assert_int_equal(st.peak_block_bytes, 2 * 256 * 48);
    /* different regions: no block of one thread lies in the other's chunk */
    uintptr_t lo0 = (uintptr_t)a[0].blocks[0], lo1 = (uintptr_t)a[1].blocks[0];
    assert_true(lo0 / (1u << 20) != lo1 / (1u << 20) || lo0 + 256 * 48 <= lo1 ||
                lo1 + 256 * 48 <= lo0);
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 256; i++) {
            assert_non_null(a[t].blocks[i]);
            h.b->free(h.ctx, a[t].blocks[i], 48);
        }
    h.b->stats(h.ctx, &st);
    assert_int_equal(st.block_bytes, 2 * 256 * 48); /* dead, kept until reset */
    h.b->reset(h.ctx);
    h.b->stats(h.ctx, &st);
    assert_int_equal(st.block_bytes, 0);
    assert_int_equal(st.peak_block_bytes, 2 * 256 * 48);
    al_heap_close(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(larson_on_every_threaded_backend),
        cmocka_unit_test(xmalloc_on_every_threaded_backend),
        cmocka_unit_test(cache_scratch_on_every_threaded_backend),
        cmocka_unit_test(cache_scratch_hands_over_and_writes),
        cmocka_unit_test(one_thread_has_no_cross_frees),
        cmocka_unit_test(a_free_waits_for_its_allocation),
        cmocka_unit_test(a_thread_past_the_count_is_refused),
        cmocka_unit_test(run_rows_say_threads_and_cross_frees),
        cmocka_unit_test(cpu_time_is_the_timed_spans),
        cmocka_unit_test(threads_refused_for_collectors_and_unsafe_backends),
        cmocka_unit_test(the_peak_is_the_streams),
        cmocka_unit_test(gil_every_thread_progresses),
        cmocka_unit_test(gil_refuses_a_thread_past_the_count),
        cmocka_unit_test(mutator_streams_use_their_own_registers),
        cmocka_unit_test(gil_oracle_with_several_mutators),
        cmocka_unit_test(bump_regions_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
