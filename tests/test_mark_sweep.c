/*
 * tests/test_mark_sweep.c -- the mark-sweep collector and the collector
 * registry.
 *
 * The strategy is driven through its table (gc_find("mark-sweep")) with a
 * small register file as its roots, over test-local backends: a counting
 * malloc backend, so that every block the collector holds or frees is seen,
 * and tests/test_heaps.h's bump arena for the ten-million-object list
 * (100,000 objects when HB_TEST_QUICK is set, as in the valgrind pass).  A
 * random graph is checked against reachability computed here, with the
 * mark stack uncapped and capped (the overflow rescan), and the trigger
 * against collection points worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/object.h"
#include "harness/core/rng.h"
#include "tests/test_heaps.h"
#include "tests/test_gc_fx.h"
#include "tests/test_payload.h"

/* The test seam of collectors/mark_sweep.c (not in a header: tests only). */
void gc_mark_sweep_cap_stack(size_t max_entries);
int gc_mark_sweep_sweeping(void *ctx);

#define NREGS FX_REGS
#define MIB ((size_t)1 << 20)
#define NO_TRIGGER ((size_t)1 << 40) /* a min_heap_bytes that never triggers */
#define MAX_RECORDS 64

/* ---- a counting malloc backend ---- */

typedef struct tcount {
    uint64_t live_blocks, live_bytes, frees;
} tcount;

static void *tm_create(const al_config *cfg)
{
    (void)cfg;
    return calloc(1, sizeof(tcount));
}

static void tm_destroy(void *ctx)
{
    free(ctx);
}

static void *tm_alloc(void *ctx, size_t size)
{
    tcount *c = ctx;
    void *p = aligned_alloc(AL_ALIGN, (size + AL_ALIGN - 1) / AL_ALIGN * AL_ALIGN);
    if (p) {
        c->live_blocks++;
        c->live_bytes += size;
    }
    return p;
}

static void tm_free(void *ctx, void *p, size_t size)
{
    tcount *c = ctx;
    c->live_blocks--;
    c->live_bytes -= size;
    c->frees++;
    free(p);
}

static void tm_stats(void *ctx, al_backend_stats *out)
{
    tcount *c = ctx;
    *out = (al_backend_stats){.block_bytes = c->live_bytes, .footprint_exact = 1};
}

static const al_backend test_malloc = {
    .name = "test-malloc",
    .description = "malloc with counters, for tests",
    .create = tm_create,
    .destroy = tm_destroy,
    .alloc = tm_alloc,
    .free = tm_free,
    .stats = tm_stats,
};

/* ---- the fixture: a heap, a register file, one collector ---- */

typedef struct fx {
    gc_fx g;
    uint64_t npauses;
    uint64_t last_end;
    int pauses_ordered;          /* every pause had start <= end, after the last */
    uint64_t at_pause[MAX_RECORDS]; /* objects_allocated at each collection */
    uint64_t bytes_at_pause[MAX_RECORDS]; /* bytes_live after each collection */
    uint32_t *finalized;         /* serials, in the order finalized */
    size_t nfinalized, finalized_cap;
    int finalized_twice;         /* finalize saw HB_F_FINALIZED already set */
    uint32_t (*check_final)(hb_obj *o); /* optional check run in finalize */
    uint64_t bad_finals;         /* check_final returned nonzero */
} fx;

static void on_pause(void *harness, uint64_t start, uint64_t end)
{
    fx *f = harness;
    if (start > end || start < f->last_end)
        f->pauses_ordered = 0;
    f->last_end = end;
    if (f->npauses < MAX_RECORDS) {
        gc_stats st;
        f->g.s->stats(f->g.ctx, &st);
        f->at_pause[f->npauses] = st.objects_allocated;
        f->bytes_at_pause[f->npauses] = st.bytes_live;
    }
    f->npauses++;
}

static void on_finalize(void *harness, hb_obj *o)
{
    fx *f = harness;
    if (o->flags & HB_F_FINALIZED)
        f->finalized_twice = 1;
    if (f->check_final && f->check_final(o) != 0)
        f->bad_finals++;
    if (f->nfinalized == f->finalized_cap) {
        f->finalized_cap = f->finalized_cap ? 2 * f->finalized_cap : 256;
        f->finalized = realloc(f->finalized, f->finalized_cap * sizeof *f->finalized);
        assert_non_null(f->finalized);
    }
    f->finalized[f->nfinalized++] = o->serial;
}

static void fx_open(fx *f, const al_backend *b, double growth, size_t min_heap)
{
    memset(f, 0, sizeof *f);
    gc_fx_heap(&f->g, b);
    f->g.cfg.growth = growth;
    f->g.cfg.min_heap_bytes = min_heap;
    f->pauses_ordered = 1;
    gc_fx_start(&f->g, "mark-sweep", f, on_pause, on_finalize, NULL);
}

static gc_stats fx_stats(fx *f)
{
    return gc_fx_stats(&f->g);
}

/* Checks what holds after every step, then frees everything. */
static void fx_close(fx *f)
{
    gc_stats st = fx_stats(f);
    assert_int_equal(st.collections, f->npauses);
    assert_int_equal(st.full_collections, st.collections);
    assert_int_equal(st.objects_live, st.objects_allocated - st.objects_freed);
    assert_true(f->pauses_ordered);
    assert_false(f->finalized_twice);
    uint64_t finals = f->nfinalized;
    f->g.s->destroy(f->g.ctx);
    assert_int_equal(f->nfinalized, finals); /* destroy runs no finalizer */
    assert_int_equal(f->g.heap.live_bytes, 0);
    f->g.heap.b->destroy(f->g.heap.ctx);
    free(f->finalized);
}

static hb_obj *fx_new(fx *f, uint32_t reg, uint8_t flags, uint32_t nrefs, uint32_t payload)
{
    return gc_fx_new(&f->g, reg, flags, nrefs, payload);
}

static uint64_t block_bytes(uint32_t nrefs, uint32_t payload)
{
    return hb_obj_body_bytes(nrefs, payload); /* no collector header */
}

/* The payload that makes a one-slot object exactly 1 KiB (16 + 8 + 1000). */
#define PAY1K 1000u

/* ===================================================================
 * Registry
 * =================================================================== */

static void test_registry_find(void **state)
{
    (void)state;
    const gc_strategy *s = gc_find("mark-sweep");
    assert_non_null(s);
    assert_string_equal(s->name, "mark-sweep");
    assert_int_equal(s->header_bytes, 0); /* mark bits in gcbits, objects in a table */
    assert_null(s->refcount);
    assert_null(gc_find(NULL));
    assert_null(gc_find(""));
    assert_null(gc_find("mark"));
    assert_null(gc_find("Mark-Sweep"));
    assert_true(gc_strategy_count >= 3);
    for (size_t i = 0; i < gc_strategy_count; i++)
        assert_ptr_equal(gc_find(gc_strategies[i]->name), gc_strategies[i]);
    assert_string_equal(gc_strategies[0]->name, "rc"); /* the default */
    assert_non_null(gc_find("rc-cycle"));
}

static void test_registry_names(void **state)
{
    (void)state;
    char full[512], expect[512] = "";
    for (size_t i = 0; i < gc_strategy_count; i++) {
        if (i > 0)
            strcat(expect, ", ");
        strcat(expect, gc_strategies[i]->name);
    }
    gc_names(full, sizeof full);
    assert_string_equal(full, expect);
    assert_non_null(strstr(full, "mark-sweep"));

    char small[6];
    memset(small, 'x', sizeof small);
    gc_names(small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, expect, sizeof small - 1);

    char one = 'x';
    gc_names(&one, 1);
    assert_int_equal(one, '\0');
    gc_names(NULL, 0); /* nothing to write into: must not crash */
}

/* ===================================================================
 * Reachability, contents and counts
 * =================================================================== */

/* A tree of containers with payloads, plus garbage, over collections. */
static void test_reachable_survive_intact(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    /* regs[0]: a root container with 16 slots, each a chain of 20 objects */
    fx_new(&f, 0, 0, 16, 40);
    fill(f.g.regs[0]);
    uint64_t live = 1, bytes = block_bytes(16, 40);
    for (uint32_t i = 0; i < 16; i++) {
        for (uint32_t k = 0; k < 20; k++) {
            hb_obj *o = fx_new(&f, 1, 0, 1, 8 + k);
            fill(o);
            f.g.s->field_store(f.g.ctx, o, 0, f.g.regs[0]->refs[i]);
            f.g.s->field_store(f.g.ctx, f.g.regs[0], i, o);
            live++;
            bytes += block_bytes(1, 8 + k);
            hb_obj *junk = fx_new(&f, 2, 0, 0, 100); /* garbage once replaced */
            fill(junk);
        }
    }
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[2], NULL);
    for (int round = 0; round < 3; round++) {
        f.g.s->collect(f.g.ctx);
        gc_stats st = fx_stats(&f);
        assert_int_equal(st.objects_live, live);
        assert_int_equal(st.bytes_live, bytes);
        assert_int_equal(st.objects_collected, 320);
        assert_int_equal(st.collections, round + 1);
        assert_int_equal(f.g.heap.live_bytes, bytes);
        assert_int_equal(((tcount *)f.g.heap.ctx)->live_blocks, live);
    }
    assert_true(intact(f.g.regs[0]));
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t n = 0;
        for (hb_obj *o = f.g.regs[0]->refs[i]; o != NULL; o = o->refs[0]) {
            assert_true(intact(o));
            assert_int_equal(o->payload, 8 + 19 - n);
            assert_int_equal(o->gcbits & 1, 0); /* no mark left between collections */
            n++;
        }
        assert_int_equal(n, 20);
    }
    fx_close(&f);
}

/* Cycles, self-loops and a cycle through a finalizable object: all freed
 * once unreachable. */
static void test_unreachable_cycles_freed(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    hb_obj *a = fx_new(&f, 0, 0, 2, 0);
    hb_obj *b = fx_new(&f, 1, HB_F_FINALIZER, 1, 0);
    hb_obj *c = fx_new(&f, 2, 0, 1, 0);
    f.g.s->field_store(f.g.ctx, a, 0, b); /* a -> b -> c -> a, and a -> a */
    f.g.s->field_store(f.g.ctx, b, 0, c);
    f.g.s->field_store(f.g.ctx, c, 0, a);
    f.g.s->field_store(f.g.ctx, a, 1, a);
    fx_new(&f, 3, 0, 0, 64); /* a leaf that stays */
    f.g.s->collect(f.g.ctx);
    assert_int_equal(fx_stats(&f).objects_live, 4);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[2], NULL);
    f.g.s->collect(f.g.ctx); /* still reachable through regs[0] */
    assert_int_equal(fx_stats(&f).objects_live, 4);
    assert_int_equal(f.nfinalized, 0);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[0], NULL);
    f.g.s->collect(f.g.ctx);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.objects_live, 1);
    assert_int_equal(st.objects_collected, 3);
    assert_int_equal(st.objects_freed, 3);
    assert_int_equal(st.bytes_live, block_bytes(0, 64));
    assert_int_equal(st.finalizers_run, 1);
    assert_int_equal(f.nfinalized, 1);
    assert_int_equal(((tcount *)f.g.heap.ctx)->live_blocks, 1);
    fx_close(&f);
}

/* ---- random graphs against reachability computed here ---- */

typedef struct graph {
    uint32_t n, k;      /* objects, slots each */
    hb_obj **obj;       /* by serial */
    int32_t *edge;      /* edge[i*k + j]: serial of refs[j], or -1 */
    int32_t root[NREGS];
    unsigned char *reach;
} graph;

static void graph_build(fx *f, graph *g, uint64_t seed, uint32_t n, uint32_t k)
{
    hb_rng r;
    hb_rng_seed(&r, seed);
    g->n = n;
    g->k = k;
    g->obj = calloc(n, sizeof *g->obj);
    g->edge = malloc((size_t)n * k * sizeof *g->edge);
    g->reach = calloc(n, 1);
    assert_true(g->obj && g->edge && g->reach);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t flags = hb_rng_below(&r, 8) == 0 ? HB_F_FINALIZER : 0;
        g->obj[i] = fx_new(f, 0, flags, k, (uint32_t)hb_rng_below(&r, 24));
        assert_int_equal(g->obj[i]->serial, i);
        fill(g->obj[i]);
    }
    /* Sparse edges, mostly to older objects: long paths, some cycles. */
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < k; j++) {
            int32_t t = -1;
            if (hb_rng_below(&r, 100) < 60)
                t = (int32_t)(hb_rng_below(&r, 5) == 0 ? hb_rng_below(&r, n)
                                                        : (i > 0 ? i - 1 - hb_rng_below(&r, i < 4 ? i : 4) : 0));
            g->edge[(size_t)i * k + j] = t;
            f->g.s->field_store(f->g.ctx, g->obj[i], j, t < 0 ? NULL : g->obj[t]);
        }
    }
    for (uint32_t i = 0; i < NREGS; i++) {
        g->root[i] = hb_rng_below(&r, 3) == 0 ? -1 : (int32_t)hb_rng_below(&r, n);
        f->g.s->reg_write(f->g.ctx, &f->g.regs[i], g->root[i] < 0 ? NULL : g->obj[g->root[i]]);
    }
}

/* Marks g->reach by a breadth-first walk over the recorded edges. */
static uint64_t graph_reach(graph *g, uint64_t *bytes)
{
    uint32_t *queue = malloc((size_t)g->n * sizeof *queue);
    assert_non_null(queue);
    size_t head = 0, tail = 0;
    for (uint32_t i = 0; i < NREGS; i++) {
        if (g->root[i] >= 0 && !g->reach[g->root[i]]) {
            g->reach[g->root[i]] = 1;
            queue[tail++] = (uint32_t)g->root[i];
        }
    }
    *bytes = 0;
    while (head < tail) {
        uint32_t i = queue[head++];
        *bytes += block_bytes(g->k, g->obj[i]->payload);
        for (uint32_t j = 0; j < g->k; j++) {
            int32_t t = g->edge[(size_t)i * g->k + j];
            if (t >= 0 && !g->reach[t]) {
                g->reach[t] = 1;
                queue[tail++] = (uint32_t)t;
            }
        }
    }
    free(queue);
    return tail;
}

static void graph_free(graph *g)
{
    free(g->obj);
    free(g->edge);
    free(g->reach);
}

/* One collection of a random graph: exactly the unreachable objects go,
 * exactly the unreachable finalizable ones are finalized, the rest intact. */
static void check_random_graph(size_t stack_cap, uint64_t seed, uint32_t n, uint32_t k)
{
    gc_mark_sweep_cap_stack(stack_cap);
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    gc_mark_sweep_cap_stack(SIZE_MAX);
    graph g;
    graph_build(&f, &g, seed, n, k);
    uint64_t bytes, live = graph_reach(&g, &bytes);
    uint64_t finals = 0;
    unsigned char *want_final = calloc(n, 1);
    assert_non_null(want_final);
    for (uint32_t i = 0; i < n; i++) {
        if (!g.reach[i] && (g.obj[i]->flags & HB_F_FINALIZER)) {
            want_final[i] = 1;
            finals++;
        }
    }
    assert_true(live > n / 4 && live < n - n / 20); /* neither trivial nor all live */
    assert_true(finals > 0);

    f.g.s->collect(f.g.ctx);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.objects_live, live);
    assert_int_equal(st.bytes_live, bytes);
    assert_int_equal(st.objects_collected, n - live);
    assert_int_equal(st.finalizers_run, finals);
    assert_int_equal(f.nfinalized, finals);
    assert_int_equal(((tcount *)f.g.heap.ctx)->live_blocks, live);
    assert_int_equal(f.g.heap.live_bytes, bytes);
    for (size_t i = 0; i < f.nfinalized; i++) {
        assert_true(f.finalized[i] < n && want_final[f.finalized[i]]);
        want_final[f.finalized[i]] = 0; /* a second call for it would fail above */
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!g.reach[i])
            continue;
        hb_obj *o = g.obj[i];
        assert_true(intact(o));
        assert_int_equal(o->flags & HB_F_FINALIZED, 0);
        for (uint32_t j = 0; j < k; j++) {
            int32_t t = g.edge[(size_t)i * k + j];
            assert_ptr_equal(o->refs[j], t < 0 ? NULL : g.obj[t]);
        }
    }
    f.g.s->collect(f.g.ctx); /* a second collection changes nothing */
    st = fx_stats(&f);
    assert_int_equal(st.objects_live, live);
    assert_int_equal(st.finalizers_run, finals);
    free(want_final);
    graph_free(&g);
    fx_close(&f);
}

static void test_random_graphs(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++)
        check_random_graph(SIZE_MAX, seed, 20000, 3);
}

/* The same graphs with the mark stack capped: the overflow rescan must find
 * exactly the same live set (a cap of 0 refuses every push). */
static void test_mark_stack_overflow_rescan(void **state)
{
    (void)state;
    static const size_t caps[] = {0, 1, 3, 64};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
        check_random_graph(caps[c], 7 + c, 5000, 3);
}

/* One object with 100,000 slots, each to a container of 2: the mark stack
 * must grow past its first mapping (4096 entries), uncapped and capped. */
static void check_wide(size_t cap)
{
    gc_mark_sweep_cap_stack(cap);
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    gc_mark_sweep_cap_stack(SIZE_MAX);
    const uint32_t n = 100000;
    hb_obj *wide = fx_new(&f, 0, 0, n, 0);
    for (uint32_t i = 0; i < n; i++) {
        hb_obj *o = fx_new(&f, 1, 0, 2, 0);
        f.g.s->field_store(f.g.ctx, wide, i, o);
        hb_obj *leaf = fx_new(&f, 2, 0, 0, 4);
        fill(leaf);
        f.g.s->field_store(f.g.ctx, o, i & 1, leaf);
        fx_new(&f, 3, 0, 0, 4); /* garbage */
    }
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[2], NULL);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[3], NULL);
    f.g.s->collect(f.g.ctx);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.objects_live, 1 + 2 * (uint64_t)n);
    assert_int_equal(st.objects_collected, n);
    for (uint32_t i = 0; i < n; i += 997)
        assert_true(intact(wide->refs[i]->refs[i & 1]));
    fx_close(&f);
}

static void test_wide_object(void **state)
{
    (void)state;
    check_wide(SIZE_MAX);
    check_wide(100);
}

/* ===================================================================
 * Ten million objects in a list: no C stack growth
 * =================================================================== */

typedef struct collect_job {
    fx *f;
} collect_job;

static void *collect_thread(void *arg)
{
    collect_job *job = arg;
    job->f->g.s->collect(job->f->g.ctx);
    return NULL;
}

/* Runs one collection on a thread whose whole stack is 64 KiB. */
static void collect_on_small_stack(fx *f)
{
    pthread_attr_t attr;
    pthread_t t;
    collect_job job = {f};
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 64 * 1024), 0);
    assert_int_equal(pthread_create(&t, &attr, collect_thread, &job), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);
}

/* HB_TEST_QUICK set (and not "0"): the valgrind pass of scripts/test.sh,
 * where ten million objects would take minutes. */
static int quick(void)
{
    const char *q = getenv("HB_TEST_QUICK");
    return q != NULL && *q != '\0' && strcmp(q, "0") != 0;
}

/* Ten million; 100,000 when quick, still far too deep for a recursive mark
 * on a 64 KiB stack. */
static void test_long_list_small_stack(void **state)
{
    (void)state;
    const uint32_t n = quick() ? 100000 : 10000000;
    fx f;
    fx_open(&f, &arena_alloc, 0, NO_TRIGGER);
    for (uint32_t i = 0; i < n; i++) {
        hb_obj *o = fx_new(&f, 1, 0, 1, 0);
        assert_non_null(o);
        f.g.s->field_store(f.g.ctx, o, 0, f.g.regs[0]);
        f.g.s->reg_write(f.g.ctx, &f.g.regs[0], o);
    }
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    collect_on_small_stack(&f);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.collections, 1);
    assert_int_equal(st.objects_live, n);
    assert_int_equal(st.objects_collected, 0);
    assert_int_equal(st.bytes_live, (uint64_t)n * block_bytes(1, 0));

    /* Cut the list in the middle: the older half goes. */
    hb_obj *o = f.g.regs[0];
    for (uint32_t i = 0; i < n / 2 - 1; i++)
        o = o->refs[0];
    f.g.s->field_store(f.g.ctx, o, 0, NULL);
    collect_on_small_stack(&f);
    st = fx_stats(&f);
    assert_int_equal(st.objects_live, n / 2);
    assert_int_equal(st.objects_collected, n / 2);
    assert_int_equal(((arena *)f.g.heap.ctx)->live, n / 2);
    fx_close(&f);
}

/* ===================================================================
 * The trigger
 * =================================================================== */

/* Objects of exactly 1 KiB (16 + 8 + PAY1K), each pointing at the last,
 * all live: with min_heap 1 MiB a collection comes before the allocation
 * that would pass the threshold, which is max(threshold, growth x live,
 * 1 MiB). */
static void run_live_chain(fx *f, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        hb_obj *o = fx_new(f, 1, 0, 1, PAY1K);
        assert_non_null(o);
        f->g.s->field_store(f->g.ctx, o, 0, f->g.regs[0]);
        f->g.s->reg_write(f->g.ctx, &f->g.regs[0], o);
    }
    assert_int_equal(block_bytes(1, PAY1K), 1024);
}

static void check_trigger_points(fx *f, const uint64_t *want, size_t nwant)
{
    assert_int_equal(f->npauses, nwant);
    for (size_t i = 0; i < nwant; i++) {
        assert_int_equal(f->at_pause[i], want[i]);
        assert_int_equal(f->bytes_at_pause[i], want[i] * 1024); /* all live */
    }
}

static void test_trigger_growth_2(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 2.0, MIB);
    run_live_chain(&f, 10000);
    /* thresholds 1, 2, 4, 8 MiB: collections when 1024, 2048, ... are live */
    static const uint64_t want[] = {1024, 2048, 4096, 8192};
    check_trigger_points(&f, want, 4);
    fx_close(&f);
}

static void test_trigger_growth_1_5(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 1.5, MIB);
    run_live_chain(&f, 10000);
    /* thresholds 1, 1.5, 2.25, 3.375, 5.0625, 7.59375 MiB */
    static const uint64_t want[] = {1024, 1536, 2304, 3456, 5184, 7776};
    check_trigger_points(&f, want, 6);
    fx_close(&f);
}

static void test_trigger_default_config(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, 0); /* zero: growth 2.0, min_heap 4 MiB */
    run_live_chain(&f, 10000);
    static const uint64_t want[] = {4096, 8192};
    check_trigger_points(&f, want, 2);
    fx_close(&f);
}

/* Garbage only: the heap never drops below min_heap_bytes as a threshold.
 * The register being overwritten still holds its old object during the
 * collection, so one object survives each: after the first collection at
 * 1024 allocations, the next comes every 1023. */
static void test_trigger_min_heap(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 2.0, MIB);
    for (uint32_t i = 0; i < 5000; i++)
        assert_non_null(fx_new(&f, 0, 0, 1, PAY1K));
    static const uint64_t want[] = {1024, 2047, 3070, 4093};
    assert_int_equal(f.npauses, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(f.at_pause[i], want[i]);
    /* The garbage is swept during the allocations after each collection;
     * a complete collection leaves the register's object alone. */
    f.g.s->collect(f.g.ctx);
    assert_int_equal(fx_stats(&f).bytes_live, 1024);
    fx_close(&f);
}

/* The threshold never shrinks (as Boehm's heap): after a live chain of
 * 4 MiB (collections at 1, 2 and 4 MiB; threshold 8 MiB) dies, garbage
 * alone runs to 8 MiB before the next collection, not to 2 x live. */
static void test_trigger_never_shrinks(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 2.0, MIB);
    run_live_chain(&f, 4097);
    static const uint64_t want[] = {1024, 2048, 4096};
    check_trigger_points(&f, want, 3);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[0], NULL);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    for (uint32_t i = 0; i < 9000; i++)
        assert_non_null(fx_new(&f, 2, 0, 1, PAY1K));
    /* 4097 KiB of dead chain, then garbage up to 8 MiB: the collection comes
     * before allocation 8193 (the 4096th of garbage), not at 2 x 1 KiB. */
    assert_int_equal(f.npauses, 4);
    assert_int_equal(f.at_pause[3], 8192);
    f.g.s->collect(f.g.ctx);
    assert_int_equal(fx_stats(&f).bytes_live, 1024); /* the register's object */
    fx_close(&f);
}

/* ===================================================================
 * Lazy sweep
 * =================================================================== */

/* A collection the trigger starts leaves its sweep to the allocations
 * after it: objects allocated (and linked to survivors) while it is
 * pending are kept, the garbage is freed before an eighth of the headroom to the
 * next collection is allocated, and no mark is left once it is done. */
static void test_lazy_sweep_keeps_new_objects(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 2.0, MIB);
    fx_new(&f, 0, 0, 1, 0); /* regs[0]: the head of a chain, 24 bytes */
    for (uint32_t i = 0; i < 1023; i++)
        assert_non_null(fx_new(&f, 1, 0, 1, PAY1K)); /* garbage once replaced */
    assert_int_equal(f.npauses, 0);
    assert_non_null(fx_new(&f, 1, 0, 1, PAY1K)); /* the trigger: 1 MiB passed */
    assert_int_equal(f.npauses, 1);
    assert_true(gc_mark_sweep_sweeping(f.g.ctx));
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.objects_collected, 0); /* nothing freed in the pause */
    assert_int_equal(st.objects_live, 1025);   /* unswept garbage is still held */
    /* New objects while the sweep is pending, chained from regs[0]. */
    uint32_t chained = 0;
    while (gc_mark_sweep_sweeping(f.g.ctx)) {
        hb_obj *o = fx_new(&f, 2, 0, 1, PAY1K);
        assert_non_null(o);
        fill(o);
        f.g.s->field_store(f.g.ctx, o, 0, f.g.regs[0]->refs[0]);
        f.g.s->field_store(f.g.ctx, f.g.regs[0], 0, o);
        chained++;
        assert_true(chained < 160); /* about an eighth of the 1 MiB headroom */
    }
    assert_int_equal(f.npauses, 1);
    st = fx_stats(&f);
    assert_int_equal(st.objects_collected, 1022); /* regs[1]'s old value survived */
    assert_int_equal(st.objects_live, 3 + chained);
    uint32_t n = 0;
    for (hb_obj *o = f.g.regs[0]->refs[0]; o != NULL; o = o->refs[0]) {
        assert_true(intact(o));
        assert_int_equal(o->gcbits, 0);
        n++;
    }
    assert_int_equal(n, chained);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[2], NULL);
    f.g.s->collect(f.g.ctx);
    assert_false(gc_mark_sweep_sweeping(f.g.ctx));
    st = fx_stats(&f);
    assert_int_equal(st.objects_live, 1 + chained);
    assert_int_equal(f.g.heap.live_bytes, block_bytes(1, 0) + (uint64_t)chained * 1024);
    fx_close(&f);
}

/* The next collection finishes the pending sweep before it marks, inside
 * its pause; collect() sweeps at once and leaves no garbage. */
static void test_next_collection_finishes_sweep(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 2.0, MIB);
    for (uint32_t i = 0; i < 1025; i++)
        assert_non_null(fx_new(&f, 0, 0, 1, PAY1K));
    assert_int_equal(f.npauses, 1);
    assert_true(gc_mark_sweep_sweeping(f.g.ctx));
    f.g.s->collect(f.g.ctx);
    assert_int_equal(f.npauses, 2);
    assert_false(gc_mark_sweep_sweeping(f.g.ctx));
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.objects_collected, 1024);
    assert_int_equal(st.objects_live, 1);
    assert_int_equal(f.g.heap.live_bytes, 1024);
    fx_close(&f);
}

/* Unswept garbage counts against the heap limit; a refused allocation
 * first finishes the pending sweep (no second collection).  Limit and
 * threshold both 32 KiB: the 33rd allocation triggers a collection, which
 * leaves its 31 dead objects unswept, so the allocator refuses it; the
 * sweep is finished and the retry succeeds. */
static void test_limit_finishes_sweep_first(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 2.0, 32 * 1024);
    al_heap_set_limit(&f.g.heap, 32 * 1024);
    for (uint32_t i = 0; i < 32; i++)
        assert_non_null(fx_new(&f, 0, 0, 1, PAY1K));
    assert_int_equal(f.npauses, 0);
    assert_int_equal(f.g.heap.failed, 0);
    assert_non_null(fx_new(&f, 0, 0, 1, PAY1K)); /* collected, refused, swept, retried */
    assert_int_equal(f.npauses, 1);
    assert_int_equal(f.g.heap.failed, 1);
    assert_false(gc_mark_sweep_sweeping(f.g.ctx));
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.collections, 1);
    assert_int_equal(st.objects_collected, 31);
    assert_int_equal(st.objects_live, 2);
    assert_true(f.g.heap.live_bytes <= f.g.heap.limit_bytes);
    fx_close(&f);
}

/* A collection the trigger starts frees the dead blocks of 256 KiB or more
 * (mark_sweep.c's MS_BIG) in its own pause, finalizer first, and leaves
 * only the small garbage to the lazy sweep: when the pause is reported the
 * dead large block is no longer held, and the backend has freed exactly it.
 * The live large block survives whole, its mark cleared.  (Without the
 * eager free the pause would report its bytes still live and no free.) */
static void test_large_blocks_freed_in_pause(void **state)
{
    (void)state;
    const uint32_t big = 300u << 10;
    fx f;
    fx_open(&f, &test_malloc, 2.0, MIB);
    fx_new(&f, 0, HB_F_FINALIZER, 0, big); /* dead once r0 is cleared */
    hb_obj *kept = fx_new(&f, 1, 0, 0, big);
    fill(kept);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[0], NULL);
    uint32_t small = 0;
    while (f.npauses == 0) {
        assert_non_null(fx_new(&f, 2, 0, 1, PAY1K));
        small++;
    }
    assert_true(gc_mark_sweep_sweeping(f.g.ctx)); /* the small garbage is left */
    assert_int_equal(f.at_pause[0], 2 + (uint64_t)(small - 1));
    assert_int_equal(f.bytes_at_pause[0],
                     block_bytes(0, big) + (uint64_t)(small - 1) * block_bytes(1, PAY1K));
    assert_int_equal(f.nfinalized, 1);
    assert_int_equal(((tcount *)f.g.heap.ctx)->frees, 1);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.objects_collected, 1);
    assert_int_equal(st.finalizers_run, 1);
    assert_true(intact(kept));
    assert_int_equal(kept->gcbits, 0);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[2], NULL);
    f.g.s->collect(f.g.ctx);
    st = fx_stats(&f);
    assert_int_equal(st.objects_live, 1);
    assert_int_equal(f.g.heap.live_bytes, block_bytes(0, big));
    assert_true(intact(kept));
    fx_close(&f); /* destroy frees the live large block */
}

/* destroy() with a sweep pending frees every object once. */
static void test_destroy_while_sweeping(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 2.0, MIB);
    for (uint32_t i = 0; i < 1100; i++)
        assert_non_null(fx_new(&f, i % 2, i % 3 == 0 ? HB_F_FINALIZER : 0, 1, PAY1K));
    assert_true(gc_mark_sweep_sweeping(f.g.ctx));
    fx_close(&f); /* asserts every block was freed and none twice */
}

/* ===================================================================
 * Finalizers
 * =================================================================== */

/* A finalizer may read the object and what it points to: nothing of the
 * garbage is freed before every finalizer has run. */
static uint32_t final_reads_child(hb_obj *o)
{
    if (o->nrefs == 0 || o->refs[0] == NULL)
        return 0;
    return intact(o) && intact(o->refs[0]) ? 0 : 1;
}

static void test_finalizers_once(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    f.check_final = final_reads_child;
    /* regs[0] keeps a finalizable object alive; ten more become garbage, each
     * pointing at a plain garbage object with a payload, and the first one
     * at the second (finalizable garbage pointing at finalizable garbage). */
    hb_obj *kept = fx_new(&f, 0, HB_F_FINALIZER, 0, 16);
    fill(kept);
    hb_obj *gone[10];
    for (int i = 0; i < 10; i++) {
        gone[i] = fx_new(&f, 1, HB_F_FINALIZER, 2, 32);
        fill(gone[i]);
        hb_obj *child = fx_new(&f, 2, 0, 0, 200);
        fill(child);
        f.g.s->field_store(f.g.ctx, gone[i], 0, child);
    }
    f.g.s->field_store(f.g.ctx, gone[0], 1, gone[1]);
    uint32_t kept_serial = kept->serial;
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[2], NULL);
    f.g.s->collect(f.g.ctx);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.finalizers_run, 10);
    assert_int_equal(f.nfinalized, 10);
    assert_int_equal(f.bad_finals, 0);
    assert_int_equal(st.objects_live, 1); /* finalized objects go in the same sweep */
    for (size_t i = 0; i < f.nfinalized; i++)
        assert_int_not_equal(f.finalized[i], kept_serial);
    assert_int_equal(kept->flags, HB_F_FINALIZER); /* not finalized, still intact */
    assert_true(intact(kept));

    f.g.s->collect(f.g.ctx); /* nothing new */
    assert_int_equal(fx_stats(&f).finalizers_run, 10);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[0], NULL);
    f.g.s->collect(f.g.ctx);
    st = fx_stats(&f);
    assert_int_equal(st.finalizers_run, 11);
    assert_int_equal(f.finalized[10], kept_serial);
    assert_int_equal(st.objects_live, 0);
    fx_close(&f);
}

/* destroy frees finalizable objects still live without finalizing them. */
static void test_destroy_runs_no_finalizer(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    for (int i = 0; i < 100; i++)
        fx_new(&f, (uint32_t)(i % NREGS), HB_F_FINALIZER, 0, 8);
    assert_int_equal(((tcount *)f.g.heap.ctx)->live_blocks, 100);
    fx_close(&f); /* checks nfinalized unchanged and every block freed */
    assert_int_equal(f.nfinalized, 0);
}

/* ===================================================================
 * Allocation failure: the emergency collection
 * =================================================================== */

/* 64 KiB limit, 1 KiB objects, all garbage but the register's: the 65th
 * allocation fails, a collection frees 63, the retry succeeds; then every
 * 63 allocations the same. */
static void test_emergency_collection_frees(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    al_heap_set_limit(&f.g.heap, 64 * 1024);
    for (uint32_t i = 0; i < 200; i++)
        assert_non_null(fx_new(&f, 0, 0, 1, PAY1K));
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.collections, 3); /* at allocations 65, 128, 191 */
    assert_int_equal(f.g.heap.failed, 3);
    assert_int_equal(f.at_pause[0], 64);
    assert_int_equal(f.at_pause[1], 127);
    assert_int_equal(f.at_pause[2], 190);
    assert_int_equal(st.objects_live, 200 - 3 * 63);
    assert_true(f.g.heap.live_bytes <= f.g.heap.limit_bytes);
    fx_close(&f);
}

/* Everything live: new_obj returns NULL after one collection, leaves the
 * register and the counts alone; once garbage exists, it succeeds again. */
static void test_emergency_collection_fails_cleanly(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    al_heap_set_limit(&f.g.heap, 64 * 1024);
    run_live_chain(&f, 64);
    hb_obj *before = f.g.regs[1];
    gc_stats st0 = fx_stats(&f);
    hb_obj *o = fx_new(&f, 1, 0, 1, PAY1K);
    assert_null(o);
    assert_ptr_equal(f.g.regs[1], before);
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.collections, st0.collections + 1);
    assert_int_equal(st.objects_live, 64);
    assert_int_equal(st.objects_allocated, st0.objects_allocated);
    assert_int_equal(st.bytes_live, 64 * 1024);
    assert_int_equal(f.g.heap.failed, 2); /* the first try and the retry */
    /* A huge request fails the same way, without a crash. */
    assert_null(fx_new(&f, 2, 0, 0, UINT32_MAX));
    assert_null(f.g.regs[2]);

    f.g.s->reg_write(f.g.ctx, &f.g.regs[0], NULL); /* the chain becomes garbage */
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], NULL);
    o = fx_new(&f, 1, 0, 1, PAY1K);
    assert_non_null(o);
    assert_ptr_equal(f.g.regs[1], o);
    assert_int_equal(fx_stats(&f).objects_live, 1);
    fx_close(&f);
}

/* During an emergency collection the register being written still holds
 * its old object, a root: it is neither freed nor finalized then. */
static void test_emergency_keeps_old_register_value(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    al_heap_set_limit(&f.g.heap, 16 * 1024);
    hb_obj *old = fx_new(&f, 0, HB_F_FINALIZER, 0, PAY1K);
    fill(old);
    for (int i = 0; i < 15; i++)
        fx_new(&f, 1, 0, 1, PAY1K); /* fills the limit; 14 become garbage */
    assert_int_equal(fx_stats(&f).collections, 0);
    assert_non_null(fx_new(&f, 0, 0, 1, PAY1K)); /* over regs[0] */
    gc_stats st = fx_stats(&f);
    assert_int_equal(st.collections, 1);
    assert_int_equal(st.finalizers_run, 0);
    assert_int_equal(st.objects_collected, 14);
    f.g.s->collect(f.g.ctx); /* now `old` is unreachable */
    st = fx_stats(&f);
    assert_int_equal(st.finalizers_run, 1);
    assert_int_equal(st.objects_live, 2);
    fx_close(&f);
}

/* ===================================================================
 * Settings and plain stores
 * =================================================================== */

static void test_bad_config_rejected(void **state)
{
    (void)state;
    const gc_strategy *s = gc_find("mark-sweep");
    al_heap heap = {.b = &test_malloc};
    hb_obj *regs[2] = {NULL, NULL};
    gc_config cfg = {0};
    gc_env env = {.heap = &heap, .roots = regs, .nroots = 2, .cfg = &cfg};
    static const double bad[] = {0.5, -2.0, 0.999, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.growth = bad[i];
        assert_null(s->create(&env));
    }
    cfg.growth = 1.0; /* collect whenever the heap passes min_heap: allowed */
    void *ctx = s->create(&env);
    assert_non_null(ctx);
    s->destroy(ctx);
    cfg.growth = 0;
    env.cfg = NULL; /* no settings at all: the defaults */
    ctx = s->create(&env);
    assert_non_null(ctx);
    s->destroy(ctx);
    env.heap = NULL;
    assert_null(s->create(&env));
    assert_null(s->create(NULL));
    env.heap = &heap;
    env.roots = NULL;
    assert_null(s->create(&env));
}

/* ===================================================================
 * Every collector of the registry: create's errors, minor/major counts
 * =================================================================== */

typedef struct pause_sum {
    uint64_t ns, n;
} pause_sum;

static void sum_pause(void *harness, uint64_t start, uint64_t end)
{
    pause_sum *p = harness;
    p->ns += end - start;
    p->n++;
}

/* A collector that brings its own heap (boehm) is left out: it runs over
 * its allocator alone, never over the test heap. */
static int over_any_heap(const gc_strategy *s)
{
    return s->needs.allocator == NULL && (s->unavailable == NULL || s->unavailable() == NULL);
}

static void test_every_create_says_why(void **state)
{
    (void)state;
    hb_obj *regs[2] = {NULL, NULL};
    for (size_t k = 0; k < gc_strategy_count; k++) {
        const gc_strategy *s = gc_strategies[k];
        if (!over_any_heap(s))
            continue;
        hb_err err;
        hb_err_clear(&err);
        gc_env env = {.heap = NULL, .roots = regs, .nroots = 2, .err = &err};
        assert_null(s->create(&env));
        assert_int_equal(err.kind, HB_ERR_USAGE);
        /* one line that names the collector */
        assert_int_equal(strncmp(err.msg, s->name, strlen(s->name)), 0);
        assert_null(strchr(err.msg, '\n'));
    }
    /* a bad setting is named with its value */
    static const char *const tracing[] = {"mark-sweep", "incremental", "gen-copy"};
    for (size_t k = 0; k < sizeof tracing / sizeof tracing[0]; k++) {
        al_heap heap = {.b = &test_malloc};
        gc_config cfg = {.growth = 0.25};
        hb_err err;
        hb_err_clear(&err);
        gc_env env = {.heap = &heap, .roots = regs, .nroots = 2, .cfg = &cfg, .err = &err};
        const gc_strategy *s = gc_find(tracing[k]);
        assert_non_null(s);
        assert_null(s->create(&env));
        assert_int_equal(err.kind, HB_ERR_USAGE);
        assert_non_null(strstr(err.msg, "0.25"));
    }
}

static void test_every_minor_major_split(void **state)
{
    (void)state;
    for (size_t k = 0; k < gc_strategy_count; k++) {
        const gc_strategy *s = gc_strategies[k];
        if (!over_any_heap(s))
            continue;
        al_heap heap = {.b = &test_malloc, .ctx = test_malloc.create(NULL)};
        hb_obj *regs[NREGS] = {0};
        gc_config cfg = {.min_heap_bytes = 64 << 10, .nursery_bytes = 64 << 10};
        pause_sum p = {0, 0};
        gc_env env = {.heap = &heap, .roots = regs, .nroots = NREGS, .cfg = &cfg,
                      .harness = &p, .pause = sum_pause};
        void *ctx = s->create(&env);
        assert_non_null(ctx);
        /* a kept list and much garbage, so that every kind collects */
        for (uint32_t i = 0; i < 20000; i++) {
            assert_non_null(s->new_obj(ctx, &regs[1], HB_CONTAINER, 0, 2, 32));
            s->field_store(ctx, regs[1], 0, regs[0]);
            s->reg_write(ctx, &regs[0], i % 4 == 0 ? regs[1] : regs[0]);
            s->reg_write(ctx, &regs[1], NULL);
        }
        s->collect(ctx);
        gc_stats st;
        s->stats(ctx, &st);
        assert_int_equal(st.minor_collections + st.major_collections, st.collections);
        /* the collections' pauses are pauses; other pauses may be cascades */
        assert_true(st.minor_ns + st.major_ns <= p.ns);
        if (st.collections > 0)
            assert_true(st.major_collections > 0 && st.major_ns > 0);
        if (strcmp(s->name, "mark-sweep") == 0) {
            /* not generational: every collection major, every pause one */
            assert_true(st.collections > 1);
            assert_int_equal(st.minor_collections, 0);
            assert_int_equal(st.major_collections, p.n);
            assert_int_equal(st.major_ns, p.ns);
        }
        if (strcmp(s->name, "gen-copy") == 0)
            assert_true(st.minor_collections > 0 && st.minor_ns > 0);
        s->destroy(ctx);
        test_malloc.destroy(heap.ctx);
    }
}

static void test_plain_stores(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, &test_malloc, 0, NO_TRIGGER);
    hb_obj *a = fx_new(&f, 0, 0, 3, 0);
    assert_ptr_equal(f.g.regs[0], a);
    assert_null(a->refs[0]);
    assert_null(a->refs[2]);
    assert_int_equal(a->kind, HB_CONTAINER);
    assert_int_equal(a->nrefs, 3);
    f.g.s->reg_write(f.g.ctx, &f.g.regs[1], a);
    assert_ptr_equal(f.g.regs[1], a);
    f.g.s->field_store(f.g.ctx, a, 2, a);
    assert_ptr_equal(a->refs[2], a);
    assert_int_equal(fx_stats(&f).objects_live, 1);
    assert_int_equal(fx_stats(&f).collections, 0);
    /* HB_F_FINALIZED given by a caller is not taken: only the collector sets it */
    hb_obj *b = fx_new(&f, 2, HB_F_FINALIZER | HB_F_FINALIZED, 0, 0);
    assert_int_equal(b->flags, HB_F_FINALIZER);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_find),
        cmocka_unit_test(test_registry_names),
        cmocka_unit_test(test_reachable_survive_intact),
        cmocka_unit_test(test_unreachable_cycles_freed),
        cmocka_unit_test(test_random_graphs),
        cmocka_unit_test(test_mark_stack_overflow_rescan),
        cmocka_unit_test(test_wide_object),
        cmocka_unit_test(test_long_list_small_stack),
        cmocka_unit_test(test_trigger_growth_2),
        cmocka_unit_test(test_trigger_growth_1_5),
        cmocka_unit_test(test_trigger_default_config),
        cmocka_unit_test(test_trigger_min_heap),
        cmocka_unit_test(test_trigger_never_shrinks),
        cmocka_unit_test(test_lazy_sweep_keeps_new_objects),
        cmocka_unit_test(test_next_collection_finishes_sweep),
        cmocka_unit_test(test_limit_finishes_sweep_first),
        cmocka_unit_test(test_destroy_while_sweeping),
        cmocka_unit_test(test_large_blocks_freed_in_pause),
        cmocka_unit_test(test_finalizers_once),
        cmocka_unit_test(test_destroy_runs_no_finalizer),
        cmocka_unit_test(test_emergency_collection_frees),
        cmocka_unit_test(test_emergency_collection_fails_cleanly),
        cmocka_unit_test(test_emergency_keeps_old_register_value),
        cmocka_unit_test(test_bad_config_rejected),
        cmocka_unit_test(test_plain_stores),
        cmocka_unit_test(test_every_create_says_why),
        cmocka_unit_test(test_every_minor_major_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
