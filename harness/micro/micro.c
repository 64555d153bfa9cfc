/*
 * harness/micro/micro.c -- micro layer: `heapbench-micro`: allocator microbenchmarks on Google
 * Benchmark (through harness/micro/gbench_shim.h).
 *
 * Benchmarks come from a table of families; each family registers one
 * benchmark per variant, named family/allocator[/bytes].  Adding a family
 * is one function and one table line.  The collector families
 * (collect_live, collect_garbage, store, replay/direct) are in
 * harness/micro/micro_gc.c.
 *
 *   alloc_pair/<allocator>/<bytes>  an allocation of one size, a store of
 *       one word into the block, its free; bytes in 16 .. 65536.  One more
 *       block of that size is held live throughout (and again after a
 *       reset), so that no allocator's page or pool empties at every free:
 *       that path's cost depends on what else the process holds (mimalloc's
 *       16-byte pair: 5.3 ns with no other 16-byte block live, 2.7 with one).
 *   alloc_churn/<allocator>         a live set of 10,000 objects; each op
 *       frees a random one and allocates a new size in its place.  Sizes:
 *       1/3 uniform 16-32 B, 1/3 uniform 33-64 B, 1/3 log-uniform 65-512 B
 *       (mean about 96 B), the mostly-small shape of a Python heap.
 *   raw_churn/libc                  alloc_churn's stream on malloc/free
 *       directly, without al_heap: what the accounting costs.
 *
 * Counters: items_per_second = ops per second of CPU time; bytes_per_second
 * (alloc_pair) = bytes handed out, not bytes touched (one word per block is
 * written); ns_per_op = thread CPU ns per op over the timed part; resets =
 * untimed heap resets (below).
 *
 * Fairness: every op goes through al_heap's books, in an al_cursor for
 * each timed batch (the books in registers, as the allocator-trace replay
 * keeps them), so every backend pays the same accounting; heaps are opened
 * and filled before the timer starts and closed after it stops; the churn's random choices (slot
 * and size of each op, seed CHURN_SEED) are generated once, before any
 * benchmark, and every backend replays the same stream.  One op is one
 * Google Benchmark iteration, so time per iteration is time per op.
 *
 * A backend that never reuses memory (bump) would map gigabytes in a long
 * run, so a heap with reset() is reset between batches whenever its blocks
 * (live + dead) pass RESET_BLOCK_BYTES; the reset and the re-allocation of
 * the live set run with the timer paused, and the count is reported in the
 * `resets` counter.  Those figures therefore leave out the cost of reset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"
#include "build_info.h"
#include "harness/micro/churn.h"
#include "harness/micro/gbench_shim.h"
#include "harness/micro/micro_gc.h"
#include "harness/core/rng.h"

#define CHURN_LIVE HB_CHURN_LIVE
#define CHURN_OPS HB_CHURN_OPS
#define CHURN_SEED HB_CHURN_SEED
#define RESET_BLOCK_BYTES ((uint64_t)32 << 20)
#define CHECK_BYTES ((uint64_t)8 << 20) /* most bytes allocated between checks */

/* ---- contexts: allocated at registration, freed after the run ---- */

static void **ctx_list;
static size_t ctx_count, ctx_cap;

static void *ctx_new(size_t bytes)
{
    if (ctx_count == ctx_cap) {
        size_t cap = ctx_cap ? 2 * ctx_cap : 64;
        void **grown = realloc(ctx_list, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        ctx_list = grown;
        ctx_cap = cap;
    }
    void *c = calloc(1, bytes);
    if (c != NULL)
        ctx_list[ctx_count++] = c;
    return c;
}

static void ctx_free_all(void)
{
    for (size_t i = 0; i < ctx_count; i++)
        free(ctx_list[i]);
    free(ctx_list);
    ctx_list = NULL;
    ctx_count = ctx_cap = 0;
}

/* ---- shared by the allocator families ---- */

typedef struct alloc_ctx {
    const al_backend *b;
    size_t bytes; /* alloc_pair: the size; alloc_churn: unused */
} alloc_ctx;

/* Opens the heap, or marks the run failed (with the reason) and returns 0. */
static int open_or_fail(hb_bench_state *st, al_heap *h, const al_backend *b)
{
    static char msg[256];
    const char *why = b->unavailable ? b->unavailable() : NULL;
    if (why != NULL) {
        snprintf(msg, sizeof msg, "%s unavailable: %s", b->name, why);
        hb_bench_error(st, msg);
        return 0;
    }
    if (al_heap_open(h, b, NULL) != 0) {
        snprintf(msg, sizeof msg, "%s: creating the heap failed", b->name);
        hb_bench_error(st, msg);
        return 0;
    }
    return 1;
}

/* Ops per batch such that a batch allocates at most CHECK_BYTES. */
static uint64_t batch_for(const al_backend *b, size_t max_bytes)
{
    if (b->reset == NULL)
        return HB_BENCH_BATCH;
    uint64_t n = CHECK_BYTES / max_bytes;
    n = n < 1 ? 1 : n;
    return n < HB_BENCH_BATCH ? n : HB_BENCH_BATCH;
}

/* Called between batches (timed); the reset itself runs paused. */
static int needs_reset(al_heap *h)
{
    if (h->b->reset == NULL)
        return 0;
    al_backend_stats s;
    h->b->stats(h->ctx, &s);
    return s.block_bytes > RESET_BLOCK_BYTES;
}

/*
 * CPU time of this thread while the library's timer runs (started at the
 * first batch, stopped around pauses and at the end), for ns_per_op.
 */
typedef struct op_clock {
    uint64_t started, cpu_ns;
    int running;
} op_clock;

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void clock_go(op_clock *c)
{
    if (!c->running) {
        c->started = thread_cpu_ns();
        c->running = 1;
    }
}

static void clock_stop(op_clock *c)
{
    if (c->running)
        c->cpu_ns += thread_cpu_ns() - c->started;
    c->running = 0;
}

/* Resets the heap with the timer (and the op clock) stopped. */
static void reset_untimed(hb_bench_state *st, op_clock *clk, al_heap *h)
{
    clock_stop(clk);
    hb_bench_pause(st);
    al_heap_reset(h);
}

static void resume_timed(hb_bench_state *st, op_clock *clk)
{
    hb_bench_resume(st);
    clock_go(clk);
}

static void finish_counters(hb_bench_state *st, const op_clock *clk, uint64_t resets)
{
    uint64_t ops = hb_bench_iterations(st);
    hb_bench_items_processed(st, ops);
    hb_bench_counter(st, "ns_per_op", ops ? (double)clk->cpu_ns / (double)ops : 0.0,
                     HB_COUNTER_PLAIN);
    hb_bench_counter(st, "resets", (double)resets, HB_COUNTER_PLAIN);
}

/* ---- alloc_pair ---- */

static const size_t pair_sizes[] = {16, 32, 64, 128, 256, 512, 4096, 65536};

static void bm_alloc_pair(hb_bench_state *st, void *arg)
{
    const alloc_ctx *c = arg;
    al_heap h;
    if (!open_or_fail(st, &h, c->b))
        return;
    size_t size = c->bytes;
    uint64_t resets = 0, n;
    op_clock clk = {0};
    void *pin = al_alloc(&h, size);
    if (pin == NULL) {
        hb_bench_error(st, "allocation failed");
        goto out;
    }
    hb_bench_set_batch(st, batch_for(c->b, size));
    while (hb_bench_next_batch(st, &n)) {
        clock_go(&clk);
        al_cursor cur = al_cursor_take(&h);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t *p = al_cursor_alloc(&cur, size);
            if (p == NULL) {
                al_cursor_put(&cur);
                hb_bench_error(st, "allocation failed");
                goto out;
            }
            *p = i; /* the block is used, as an object header would be */
            al_cursor_free(&cur, p, size);
        }
        al_cursor_put(&cur);
        if (needs_reset(&h)) {
            reset_untimed(st, &clk, &h);
            pin = al_alloc(&h, size);
            resets++;
            resume_timed(st, &clk);
            if (pin == NULL) {
                hb_bench_error(st, "allocation failed after a reset");
                goto out;
            }
        }
    }
    clock_stop(&clk);
    al_free(&h, pin, size);
    hb_bench_bytes_processed(st, hb_bench_iterations(st) * size);
    finish_counters(st, &clk, resets);
out:
    al_heap_close(&h);
}

static int register_alloc_pair(void)
{
    char name[128];
    for (size_t a = 0; a < al_backend_count; a++) {
        for (size_t i = 0; i < sizeof pair_sizes / sizeof pair_sizes[0]; i++) {
            alloc_ctx *c = ctx_new(sizeof *c);
            if (c == NULL)
                return -1;
            c->b = al_backends[a];
            c->bytes = pair_sizes[i];
            snprintf(name, sizeof name, "alloc_pair/%s/%zu", c->b->name, c->bytes);
            if (hb_bench_register(name, bm_alloc_pair, c) == NULL)
                return -1;
        }
    }
    return 0;
}

/* ---- alloc_churn ---- */

typedef hb_churn_op churn_op;

static uint16_t churn_first_size[CHURN_LIVE];
static churn_op *churn_ops; /* CHURN_OPS entries */

/* The one op stream every backend replays; generated before any timing. */
static int churn_generate(void)
{
    churn_ops = malloc(CHURN_OPS * sizeof *churn_ops);
    if (churn_ops == NULL)
        return -1;
    hb_churn_generate(churn_first_size, churn_ops);
    return 0;
}

typedef struct churn_set {
    void *p[CHURN_LIVE];
    uint16_t size[CHURN_LIVE];
} churn_set;

/* Allocates the live set at the sizes it holds now; 0 on failure. */
static int churn_fill(al_heap *h, churn_set *s)
{
    for (size_t i = 0; i < CHURN_LIVE; i++) {
        uint64_t *p = al_alloc(h, s->size[i]);
        if (p == NULL)
            return 0;
        *p = i;
        s->p[i] = p;
    }
    return 1;
}

static void churn_empty(al_heap *h, churn_set *s)
{
    for (size_t i = 0; i < CHURN_LIVE; i++) {
        al_free(h, s->p[i], s->size[i]);
        s->p[i] = NULL;
    }
}

/* One batch of n ops from the stream, starting at *pos; 0 on failure. */
static int churn_batch(al_heap *h, churn_set *s, uint64_t *pos, uint64_t n)
{
    uint64_t k = *pos;
    const churn_op *ops = churn_ops; /* a local: see harness/micro/native.c */
    al_cursor c = al_cursor_take(h);
    int ok = 1;
    for (uint64_t end = k + n; k < end; k++) {
        churn_op op = ops[k & (CHURN_OPS - 1)];
        al_cursor_free(&c, s->p[op.slot], s->size[op.slot]);
        uint64_t *p = al_cursor_alloc(&c, op.size);
        if (p == NULL) {
            s->p[op.slot] = NULL; /* freed: churn_empty must not free it again */
            ok = 0;
            break;
        }
        *p = k;
        s->p[op.slot] = p;
        s->size[op.slot] = op.size;
    }
    al_cursor_put(&c);
    *pos = k;
    return ok;
}

static void churn_run(hb_bench_state *st, al_heap *h, churn_set *s)
{
    uint64_t pos = 0, resets = 0, n;
    op_clock clk = {0};
    hb_bench_set_batch(st, batch_for(h->b, 512));
    while (hb_bench_next_batch(st, &n)) {
        clock_go(&clk);
        if (!churn_batch(h, s, &pos, n)) {
            hb_bench_error(st, "allocation failed");
            return;
        }
        if (needs_reset(h)) {
            reset_untimed(st, &clk, h);
            int ok = churn_fill(h, s);
            resets++;
            resume_timed(st, &clk);
            if (!ok) {
                hb_bench_error(st, "allocation failed refilling after reset");
                return;
            }
        }
    }
    clock_stop(&clk);
    churn_empty(h, s);
    finish_counters(st, &clk, resets);
    hb_bench_label(st, "live 10000; 1/3 16-32 B, 1/3 33-64 B, 1/3 log-uniform 65-512 B");
}

static void bm_alloc_churn(hb_bench_state *st, void *arg)
{
    const alloc_ctx *c = arg;
    churn_set *s = malloc(sizeof *s);
    if (s == NULL) {
        hb_bench_error(st, "out of memory for the live set");
        return;
    }
    memcpy(s->size, churn_first_size, sizeof s->size);
    al_heap h;
    if (open_or_fail(st, &h, c->b)) {
        if (churn_fill(&h, s))
            churn_run(st, &h, s);
        else
            hb_bench_error(st, "allocation failed filling the live set");
        al_heap_close(&h);
    }
    free(s);
}

static int register_alloc_churn(void)
{
    char name[128];
    if (churn_ops == NULL && churn_generate() != 0)
        return -1;
    for (size_t a = 0; a < al_backend_count; a++) {
        alloc_ctx *c = ctx_new(sizeof *c);
        if (c == NULL)
            return -1;
        c->b = al_backends[a];
        snprintf(name, sizeof name, "alloc_churn/%s", c->b->name);
        if (hb_bench_register(name, bm_alloc_churn, c) == NULL)
            return -1;
    }
    return 0;
}

/* ---- raw_churn: the same stream on malloc/free directly ---- */

/*
 * Not an allocator backend: the reference that shows what the al_heap
 * wrapper and the backend table cost, by replaying alloc_churn's stream
 * with no accounting at all.  heapbench-native (harness/micro/native.c)
 * does the same for every backend, each in its own process.
 */
static int raw_fill(churn_set *s)
{
    for (size_t i = 0; i < CHURN_LIVE; i++) {
        uint64_t *p = malloc(s->size[i]);
        if (p == NULL)
            return 0;
        *p = i;
        s->p[i] = p;
    }
    return 1;
}

static void raw_empty(churn_set *s)
{
    for (size_t i = 0; i < CHURN_LIVE; i++) {
        free(s->p[i]);
        s->p[i] = NULL;
    }
}

static int raw_batch(churn_set *s, uint64_t *pos, uint64_t n)
{
    uint64_t k = *pos;
    for (uint64_t end = k + n; k < end; k++) {
        churn_op op = churn_ops[k & (CHURN_OPS - 1)];
        free(s->p[op.slot]);
        uint64_t *p = malloc(op.size);
        if (p == NULL)
            return 0;
        *p = k;
        s->p[op.slot] = p;
        s->size[op.slot] = op.size;
    }
    *pos = k;
    return 1;
}

static void bm_raw_churn(hb_bench_state *st, void *arg)
{
    (void)arg;
    churn_set *s = calloc(1, sizeof *s);
    if (s == NULL) {
        hb_bench_error(st, "out of memory for the live set");
        return;
    }
    memcpy(s->size, churn_first_size, sizeof s->size);
    uint64_t pos = 0, n;
    op_clock clk = {0};
    if (!raw_fill(s)) {
        hb_bench_error(st, "malloc failed filling the live set");
        goto out;
    }
    while (hb_bench_next_batch(st, &n)) {
        clock_go(&clk);
        if (!raw_batch(s, &pos, n)) {
            hb_bench_error(st, "malloc failed");
            goto out;
        }
    }
    clock_stop(&clk);
    finish_counters(st, &clk, 0);
    hb_bench_label(st, "malloc/free with no accounting: the reference for alloc_churn/malloc");
out:
    raw_empty(s); /* free(NULL) is fine for slots never filled */
    free(s);
}

static int register_raw_churn(void)
{
    if (churn_ops == NULL && churn_generate() != 0)
        return -1;
    return hb_bench_register("raw_churn/libc", bm_raw_churn, NULL) ? 0 : -1;
}

/* ---- the families ---- */

typedef struct family {
    const char *name;
    int (*register_all)(void); /* 0, or -1 when out of memory */
} family;

static const family families[] = {
    {"alloc_pair", register_alloc_pair},
    {"alloc_churn", register_alloc_churn},
    {"raw_churn", register_raw_churn},
    {"collect_live", hb_micro_register_collect_live},
    {"collect_garbage", hb_micro_register_collect_garbage},
    {"store", hb_micro_register_store},
    {"replay", hb_micro_register_replay},
};

/* ---- the program ---- */

/* What the JSON "context" must say for a figure to be traced to a build. */
static void add_context(void)
{
    char key[96];
    hb_bench_context("heapbench_version", HB_VERSION);
    hb_bench_context("heapbench_git_commit", HB_GIT_COMMIT);
    hb_bench_context("heapbench_build_type", HB_BUILD_TYPE);
    hb_bench_context("heapbench_compiler", HB_COMPILER);
    hb_bench_context("heapbench_cflags", HB_CFLAGS);
    char seed[24];
    snprintf(seed, sizeof seed, "0x%llx", (unsigned long long)CHURN_SEED);
    hb_bench_context("churn_seed", seed);
    hb_bench_context("churn_mix", HB_CHURN_MIX);
    hb_bench_context("ns_per_op", "thread CPU time per op, timed part only (clock_gettime "
                                  "CLOCK_THREAD_CPUTIME_ID)");
    for (size_t a = 0; a < al_backend_count; a++) {
        const al_backend *b = al_backends[a];
        const char *why = b->unavailable ? b->unavailable() : NULL;
        snprintf(key, sizeof key, "allocator_version.%s", b->name);
        hb_bench_context(key, why ? "unavailable" : b->version ? b->version() : "unknown");
    }
}

int main(int argc, char **argv)
{
    hb_err tls; /* room for jemalloc's TLS; may not return */
    if (al_peer_reexec_for_tls(argv, &tls) != 0)
        fprintf(stderr, "heapbench-micro: %s\n", tls.msg);
    if (hb_bench_init(&argc, argv) != 0) {
        fprintf(stderr, "heapbench-micro: bad command line (above), expected only "
                        "--benchmark_* flags with valid values (see --help)\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        if (families[i].register_all() != 0) {
            fprintf(stderr, "heapbench-micro: registering %s failed (out of memory)\n",
                    families[i].name);
            return 1;
        }
    }
    add_context();
    uint64_t ran = hb_bench_run();
    hb_bench_shutdown();
    ctx_free_all();
    free(churn_ops);
    if (ran == 0) {
        fprintf(stderr, "heapbench-micro: no benchmark matches --benchmark_filter\n");
        return 2;
    }
    return 0;
}
