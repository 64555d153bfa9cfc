/*
 * tests/test_allocators.c -- the allocator contract, checked on every
 * registered backend, plus what is particular to `malloc` and `bump`.
 *
 * The contract tests are generated at run time: one cmocka test per
 * (check, backend) pair, named "check/backend", so a new backend in the
 * registry is tested without touching this file.  A backend that reports
 * itself unavailable is skipped with its reason.
 *
 * The contract (allocators/allocator.h): AL_ALIGN alignment, blocks that
 * neither overlap nor lose their contents, the wrapper's and the backend's
 * counters and their identities, NULL (not a crash) when memory cannot be
 * had, and the heap limit refused cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <malloc.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"
#include "harness/core/rng.h"

extern const al_backend al_malloc;
extern const al_backend al_bump;

#include "tests/test_support.h" /* UNDER_ASAN */

#if UNDER_ASAN
/* A huge malloc must return NULL, as in production, not abort the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

/* ---- helpers ---- */

static const al_backend *backend_of(void **state)
{
    const al_backend *b = *state;
    const char *why = b->unavailable ? b->unavailable() : NULL;
    if (why != NULL) {
        print_message("skipping %s: %s\n", b->name, why);
        skip();
    }
    return b;
}

static void open_heap(al_heap *h, const al_backend *b, const al_config *cfg)
{
    assert_int_equal(al_heap_open(h, b, cfg), 0);
    assert_ptr_equal(h->b, b);
}

static int aligned(const void *p)
{
    return ((uintptr_t)p & (AL_ALIGN - 1)) == 0;
}

/* A pattern that depends on the position, so a shifted overlap shows. */
static void fill(unsigned char *p, size_t n, unsigned tag)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(tag + i * 7);
}

static int intact(const unsigned char *p, size_t n, unsigned tag)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (unsigned char)(tag + i * 7))
            return 0;
    }
    return 1;
}

/* Mostly small sizes, one in 40 past a pool's classes and a bump chunk. */
static size_t random_size(hb_rng *r)
{
    if (hb_rng_below(r, 40) == 0)
        return (size_t)hb_rng_logu(r, 513, 3 << 20);
    return (size_t)hb_rng_logu(r, 1, 512);
}

/* Reads "label ... number" from a dump; fails the test if absent. */
static uint64_t dump_value(const char *dump, const char *label)
{
    const char *at = strstr(dump, label);
    unsigned long long v = 0;
    if (at == NULL || sscanf(at + strlen(label), "%llu", &v) != 1)
        fail_msg("dump has no line \"%s\" with a number:\n%s", label, dump);
    return v;
}

/* Not inlined: gcc 12 at -O2 otherwise mistakes the memstream's buffer
 * for the address of the local that names it (-Wdangling-pointer). */
__attribute__((noinline)) static char *dump_text(al_heap *h)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    h->b->dump(h->ctx, f);
    fclose(f);
    return buf;
}

/* ---- registry ---- */

static void registry_lists_the_builtins_pool_first(void **state)
{
    (void)state;
    assert_true(al_backend_count >= 3);
    assert_string_equal(al_backends[0]->name, "pool");
    assert_ptr_equal(al_find("malloc"), al_backends[1]);
    assert_ptr_equal(al_find("bump"), al_backends[2]);
    assert_null(al_find("no-such-allocator"));
    assert_null(al_find(""));
    assert_null(al_find(NULL));
    for (size_t i = 0; i < al_backend_count; i++) {
        const al_backend *b = al_backends[i];
        assert_non_null(b->name);
        assert_non_null(b->description);
        assert_ptr_equal(al_find(b->name), b);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(al_backends[j]->name, b->name);
    }
}

static void registry_names_joined_and_truncated(void **state)
{
    (void)state;
    char buf[512];
    al_names(buf, sizeof buf);
    assert_int_equal(strncmp(buf, "pool, malloc, bump", 18), 0);
    for (size_t i = 0; i < al_backend_count; i++)
        assert_non_null(strstr(buf, al_backends[i]->name));
    char small[7];
    memset(small, 'x', sizeof small);
    al_names(small, sizeof small);
    assert_string_equal(small, "pool, ");
    al_names(small, 0); /* must not write */
    assert_string_equal(small, "pool, ");
}

static void heap_open_refuses_bad_settings(void **state)
{
    (void)state;
    al_heap h;
    al_config bad = {.chunk_bytes = 1000};
    assert_int_equal(al_heap_open(&h, &al_bump, &bad), -1);
    assert_null(h.ctx);
    al_heap_close(&h); /* harmless on a heap that never opened */
    assert_int_equal(al_heap_open(&h, NULL, NULL), -1);
}

/* ---- the contract, per backend ---- */

static void contract_alignment(void **state)
{
    const al_backend *b = backend_of(state);
    al_heap h;
    open_heap(&h, b, NULL);
    enum { N = 4096 };
    static void *blocks[N + 1];
    for (size_t s = 1; s <= N; s++) {
        blocks[s] = al_alloc(&h, s);
        assert_non_null(blocks[s]);
        if (!aligned(blocks[s]))
            fail_msg("%s: %zu bytes at %p, not %d-aligned", b->name, s, blocks[s], AL_ALIGN);
    }
    static const size_t large[] = {8191, 65536, 65537, 1 << 20, (1 << 20) + 1, 3 << 20, 10 << 20};
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
        unsigned char *p = al_alloc(&h, large[i]);
        assert_non_null(p);
        assert_true(aligned(p));
        p[0] = 1;
        p[large[i] - 1] = 2; /* the whole block is usable */
        al_free(&h, p, large[i]);
    }
    for (size_t s = 1; s <= N; s++)
        al_free(&h, blocks[s], s);
    assert_int_equal(h.live_bytes, 0);
    al_heap_close(&h);
}

typedef struct blk {
    unsigned char *p;
    size_t size;
    unsigned tag;
} blk;

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const blk *)a)->p, y = (uintptr_t)((const blk *)b)->p;
    return x < y ? -1 : x > y;
}

static void check_disjoint(blk *v, size_t n)
{
    qsort(v, n, sizeof *v, by_address);
    for (size_t i = 1; i < n; i++) {
        if (v[i - 1].p + v[i - 1].size > v[i].p)
            fail_msg("blocks overlap: %p+%zu and %p", (void *)v[i - 1].p, v[i - 1].size,
                     (void *)v[i].p);
    }
}

static void alloc_filled(al_heap *h, hb_rng *r, blk *x, unsigned tag)
{
    x->size = random_size(r);
    x->p = al_alloc(h, x->size);
    assert_non_null(x->p);
    x->tag = tag;
    fill(x->p, x->size, tag);
}

static void contract_blocks_disjoint_and_kept(void **state)
{
    const al_backend *b = backend_of(state);
    al_heap h;
    open_heap(&h, b, NULL);
    hb_rng r;
    hb_rng_seed(&r, 42);
    enum { N = 3000 };
    blk *v = calloc(N, sizeof *v);
    assert_non_null(v);
    for (unsigned i = 0; i < N; i++)
        alloc_filled(&h, &r, &v[i], i);
    /* Free a random half, then refill those slots: reuse must not clobber. */
    for (unsigned i = 0; i < N; i++) {
        if (hb_rng_below(&r, 2) == 0) {
            assert_true(intact(v[i].p, v[i].size, v[i].tag));
            al_free(&h, v[i].p, v[i].size);
            alloc_filled(&h, &r, &v[i], i + N);
        }
    }
    for (unsigned i = 0; i < N; i++) {
        if (!intact(v[i].p, v[i].size, v[i].tag))
            fail_msg("%s: block %u (%zu bytes) lost its contents", b->name, i, v[i].size);
    }
    check_disjoint(v, N);
    for (unsigned i = 0; i < N; i++)
        al_free(&h, v[i].p, v[i].size);
    assert_int_equal(h.live_bytes, 0);
    free(v);
    al_heap_close(&h);
}

/* Backend counters: their own invariants, and peaks that never go down. */
static void check_backend_stats(const al_backend *b, const al_stats *s, al_stats *prev)
{
    const al_backend_stats *x = &s->b;
    assert_true(x->block_bytes >= s->live_bytes);
    assert_true(x->peak_block_bytes >= x->block_bytes);
    assert_true(x->peak_footprint_bytes >= x->footprint_bytes);
    assert_true(x->large_bytes <= x->block_bytes);
    if (x->footprint_exact || !UNDER_ASAN) {
        if (x->footprint_bytes + x->large_bytes < x->block_bytes)
            fail_msg("%s: footprint %llu + large %llu < block bytes %llu", b->name,
                     (unsigned long long)x->footprint_bytes, (unsigned long long)x->large_bytes,
                     (unsigned long long)x->block_bytes);
    }
    assert_true(s->peak_live_bytes >= prev->peak_live_bytes);
    assert_true(x->peak_block_bytes >= prev->b.peak_block_bytes);
    assert_true(x->peak_footprint_bytes >= prev->b.peak_footprint_bytes);
    *prev = *s;
}

static void contract_stats_identities(void **state)
{
    const al_backend *b = backend_of(state);
    al_heap h;
    open_heap(&h, b, NULL);
    hb_rng r;
    hb_rng_seed(&r, 7);
    enum { SLOTS = 1000, OPS = 20000 };
    blk *v = calloc(SLOTS, sizeof *v);
    assert_non_null(v);
    uint64_t live = 0, peak = 0, count = 0;
    al_stats prev = {0}, s;
    for (unsigned op = 0; op < OPS; op++) {
        blk *x = &v[hb_rng_below(&r, SLOTS)];
        if (x->p != NULL) {
            al_free(&h, x->p, x->size);
            live -= x->size;
            count--;
            x->p = NULL;
        } else {
            alloc_filled(&h, &r, x, op);
            live += x->size;
            count++;
            peak = live > peak ? live : peak;
        }
        assert_int_equal(h.live_bytes, live);
        assert_int_equal(h.peak_live_bytes, peak);
        if (op % 64 == 0) {
            al_heap_stats(&h, &s);
            assert_int_equal(s.live_bytes, live);
            assert_int_equal(s.failed, 0);
            check_backend_stats(b, &s, &prev);
        }
    }
    for (unsigned i = 0; i < SLOTS; i++)
        al_free(&h, v[i].p, v[i].size);
    al_heap_stats(&h, &s);
    assert_int_equal(s.live_bytes, 0);
    assert_int_equal(s.peak_live_bytes, peak);
    check_backend_stats(b, &s, &prev);
    free(v);
    al_heap_close(&h);
}

static void contract_null_on_failure(void **state)
{
    const al_backend *b = backend_of(state);
    al_heap h;
    open_heap(&h, b, NULL);
    void *keep[10];
    for (int i = 0; i < 10; i++)
        keep[i] = al_alloc(&h, 100);
    al_stats before, after;
    al_heap_stats(&h, &before);
    static const size_t huge[] = {(size_t)1 << 62, SIZE_MAX, SIZE_MAX - 4096, SIZE_MAX / 2 + 1};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        if (al_alloc(&h, huge[i]) != NULL)
            fail_msg("%s: a request of %zu bytes did not fail", b->name, huge[i]);
    }
    al_heap_stats(&h, &after);
    assert_int_equal(after.failed, before.failed + 4);
    assert_int_equal(after.live_bytes, before.live_bytes);
    assert_int_equal(after.peak_live_bytes, before.peak_live_bytes);
    /* Exact books do not move; a library's own reading may (libgc grows its
     * heap while trying to serve a refused request). */
    if (after.b.footprint_exact)
        assert_int_equal(after.b.block_bytes, before.b.block_bytes);
    assert_int_equal(after.b.large_count, before.b.large_count);
    /* The heap still works. */
    void *p = al_alloc(&h, 32);
    assert_non_null(p);
    al_free(&h, p, 32);
    for (int i = 0; i < 10; i++)
        al_free(&h, keep[i], 100);
    al_heap_close(&h);
}

static void contract_heap_limit(void **state)
{
    const al_backend *b = backend_of(state);
    al_heap h;
    open_heap(&h, b, NULL);
    al_heap_set_limit(&h, 10000);
    void *v[101];
    size_t n = 0;
    while (n < 101 && (v[n] = al_alloc(&h, 100)) != NULL)
        n++;
    assert_int_equal(n, 100);
    assert_int_equal(h.live_bytes, 10000);
    assert_int_equal(h.failed, 1);
    assert_null(al_alloc(&h, 1));
    assert_null(al_alloc(&h, 20000)); /* alone over the limit */
    assert_int_equal(h.failed, 3);
    assert_int_equal(h.live_bytes, 10000); /* refusals move no book */
    al_free(&h, v[--n], 100);
    v[n] = al_alloc(&h, 100);
    assert_non_null(v[n]);
    n++;
    for (size_t i = 0; i < n; i++)
        al_free(&h, v[i], 100);
    assert_int_equal(h.live_bytes, 0);
    al_heap_close(&h);
}

/* The watch's hook: records the live bytes it saw and raises the watch by
 * a random step, as run.c's does. */
typedef struct watch_log {
    al_heap *h;
    hb_rng *r;
    uint64_t calls, last_live;
} watch_log;

static void watch_hook(void *arg)
{
    watch_log *w = arg;
    w->calls++;
    w->last_live = w->h->live_bytes;
    w->h->watch_bytes = w->h->live_bytes + hb_rng_range(w->r, 1, 64 << 10);
}

/* al_alloc's one compare keeps every book it skips: under random work, a
 * limit changed on the way and a watch, after every call the peak is the
 * running maximum, the limit holds, check_bytes lies between live bytes and
 * min(peak, limit, watch), and the hook runs exactly once per crossing, at
 * the call after the allocation that crossed, seeing that crossing.  With
 * `cursor`, every call goes through one al_cursor taken at the start (put
 * after every 7th call, when the heap's books are checked; taken again
 * after the limit is changed, as its contract asks): the same books. */
static void books_under_random_work(void **state, int cursor)
{
    const al_backend *b = backend_of(state);
    al_heap h;
    open_heap(&h, b, NULL);
    hb_rng r;
    hb_rng_seed(&r, 7);
    watch_log w = {.h = &h, .r = &r};
    al_heap_set_watch(&h, 4096, watch_hook, &w);
    enum { N = 256 };
    void *v[N] = {0};
    size_t sz[N] = {0};
    uint64_t live = 0, peak = 0, limit = 0, due = 0, crossed_at = 0, refused = 0;
    al_cursor c = al_cursor_take(&h);
    for (int op = 0; op < 20000; op++) {
        if (op % 5000 == 2500) { /* a limit, set and lifted on the way */
            limit = limit ? 0 : live + (256 << 10);
            if (cursor)
                al_cursor_put(&c);
            al_heap_set_limit(&h, limit);
            c = al_cursor_take(&h);
        }
        size_t i = (size_t)hb_rng_below(&r, N);
        uint64_t calls = w.calls;
        if (v[i] != NULL) {
            if (cursor)
                al_cursor_free(&c, v[i], sz[i]);
            else
                al_free(&h, v[i], sz[i]);
            live -= sz[i];
            v[i] = NULL;
        } else {
            sz[i] = (size_t)hb_rng_range(&r, 0, 24 << 10);
            uint64_t want = sz[i] ? sz[i] : 1;
            v[i] = cursor ? al_cursor_alloc(&c, sz[i]) : al_alloc(&h, sz[i]);
            if (limit && live + want > limit) {
                assert_null(v[i]);
                refused++;
                sz[i] = 0;
            } else {
                assert_non_null(v[i]);
                sz[i] = (size_t)want;
                live += want;
            }
        }
        if (due) { /* the call after a crossing ran the hook, on that crossing's bytes */
            assert_int_equal(w.calls, calls + 1);
            assert_int_equal(w.last_live, crossed_at);
            due = 0;
        } else {
            assert_int_equal(w.calls, calls);
        }
        /* this op allocated (v[i] set) and live is past the watch: a crossing,
         * or a watch the hook left below live */
        if (v[i] != NULL && live > h.watch_bytes)
            due = 1, crossed_at = live;
        peak = live > peak ? live : peak;
        if (cursor && op % 7 != 0)
            continue; /* the books stay in the cursor for a few calls */
        if (cursor)
            al_cursor_put(&c);
        assert_int_equal(h.live_bytes, live);
        assert_int_equal(h.peak_live_bytes, peak);
        assert_true(!limit || h.live_bytes <= limit);
        assert_true(h.check_bytes >= h.live_bytes);
        assert_true(h.check_bytes <= peak);
        assert_true(!limit || h.check_bytes <= limit);
        assert_true(due || h.check_bytes <= h.watch_bytes || h.watch_bytes < h.live_bytes);
    }
    assert_true(w.calls > 10);
    assert_true(refused > 0);
    assert_int_equal(h.failed, refused);
    for (size_t i = 0; i < N; i++)
        if (v[i] != NULL)
            al_free(&h, v[i], sz[i]);
    assert_int_equal(h.live_bytes, 0);
    al_heap_close(&h);
}

static void contract_books_under_random_work(void **state)
{
    books_under_random_work(state, 0);
}

static void contract_cursor_books_under_random_work(void **state)
{
    books_under_random_work(state, 1);
}

static void contract_version_and_reset(void **state)
{
    const al_backend *b = backend_of(state);
    assert_non_null(b->version);
    assert_non_null(b->version());
    assert_true(strlen(b->version()) > 0);
    al_heap h;
    open_heap(&h, b, NULL);
    void *p = al_alloc(&h, 64);
    assert_non_null(p);
    if (b->reset == NULL) {
        al_heap_reset(&h); /* documented as doing nothing here */
        assert_int_equal(h.live_bytes, 64);
        al_free(&h, p, 64);
    } else {
        al_heap_reset(&h);
        assert_int_equal(h.live_bytes, 0);
        assert_int_equal(h.peak_live_bytes, 64);
        assert_non_null(al_alloc(&h, 64));
    }
    al_heap_close(&h);
}

/* ---- bump ---- */

static void bump_config_validated(void **state)
{
    (void)state;
    static const size_t bad[] = {1000, 4097, (size_t)1 << 31};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        al_config c = {.chunk_bytes = bad[i]};
        assert_null(al_bump.create(&c));
    }
    al_config ok = {.chunk_bytes = 8192};
    void *ctx = al_bump.create(&ok);
    assert_non_null(ctx);
    al_backend_stats s;
    al_bump.stats(ctx, &s);
    assert_int_equal(s.footprint_bytes, 8192);
    assert_int_equal(s.footprint_exact, 1);
    al_bump.destroy(ctx);
    ctx = al_bump.create(NULL); /* the default, 1 MiB */
    al_bump.stats(ctx, &s);
    assert_int_equal(s.footprint_bytes, 1 << 20);
    al_bump.destroy(ctx);
}

/* footprint == headers + blocks + waste + available: block bytes are
 * computed from the counts, available by walking the chunks. */
static void check_bump_identity(al_heap *h)
{
    char *d = dump_text(h);
    uint64_t fp = dump_value(d, "footprint (mapped bytes):");
    uint64_t blocks = dump_value(d, "  block bytes:");
    uint64_t sum = dump_value(d, "chunk headers:") + blocks + dump_value(d, "waste (tails, page slack):") +
                   dump_value(d, "available:");
    if (fp != sum)
        fail_msg("bump breakdown adds up to %llu, not the footprint %llu:\n%s",
                 (unsigned long long)sum, (unsigned long long)fp, d);
    al_backend_stats s;
    h->b->stats(h->ctx, &s);
    assert_int_equal(s.footprint_bytes, fp);
    assert_int_equal(s.block_bytes, blocks);
    free(d);
}

static void bump_bumps_and_spills(void **state)
{
    (void)state;
    al_config c = {.chunk_bytes = 4096};
    al_heap h;
    open_heap(&h, &al_bump, &c);
    char *a = al_alloc(&h, 1);
    char *b = al_alloc(&h, 17);
    char *d = al_alloc(&h, 16);
    assert_ptr_equal(b, a + 16); /* sizes rounded to 16, laid end to end */
    assert_ptr_equal(d, b + 32);
    for (int i = 0; i < 100; i++)
        assert_non_null(al_alloc(&h, 1000)); /* four per chunk at most */
    al_backend_stats s;
    al_bump.stats(h.ctx, &s);
    assert_int_equal(s.block_bytes, 16 + 32 + 16 + 100 * 1008);
    assert_true(s.footprint_bytes >= 26 * 4096);
    assert_int_equal(s.footprint_bytes % 4096, 0);
    check_bump_identity(&h);
    al_heap_close(&h);
}

static void bump_free_leaves_dead_bytes(void **state)
{
    (void)state;
    al_heap h;
    open_heap(&h, &al_bump, NULL);
    void *v[10];
    for (int i = 0; i < 10; i++)
        v[i] = al_alloc(&h, 100); /* 112 each */
    for (int i = 0; i < 4; i++)
        al_free(&h, v[i], 100);
    al_backend_stats s;
    al_bump.stats(h.ctx, &s);
    assert_int_equal(s.block_bytes, 1120); /* dead bytes stay counted */
    assert_int_equal(s.peak_block_bytes, 1120);
    assert_int_equal(h.live_bytes, 600);
    /* A freed block is never handed out again before reset. */
    void *p = al_alloc(&h, 100);
    for (int i = 0; i < 10; i++)
        assert_ptr_not_equal(p, v[i]);
    check_bump_identity(&h);
    al_heap_close(&h);
}

static void bump_big_requests_get_their_own_chunk(void **state)
{
    (void)state;
    al_config c = {.chunk_bytes = 65536};
    al_heap h;
    open_heap(&h, &al_bump, &c);
    char *small = al_alloc(&h, 32);
    unsigned char *big = al_alloc(&h, 1 << 20);
    assert_non_null(big);
    assert_true(aligned(big));
    memset(big, 0xAB, 1 << 20);
    char *next = al_alloc(&h, 32);
    assert_ptr_equal(next, small + 32); /* the current chunk keeps going */
    al_backend_stats s;
    al_bump.stats(h.ctx, &s);
    assert_int_equal(s.large_count, 1);
    assert_int_equal(s.large_bytes, 1 << 20);
    assert_int_equal(s.block_bytes, 64 + (1 << 20));
    assert_true(s.footprint_bytes >= 65536 + (1 << 20));
    assert_true(s.footprint_bytes <= 65536 + (1 << 20) + 2 * 4096);
    assert_int_equal(s.peak_footprint_bytes, s.footprint_bytes);
    check_bump_identity(&h);
    /* Exactly a chunk's payload still fits a standard chunk; one more does not. */
    assert_non_null(al_alloc(&h, 65536 - 16));
    al_bump.stats(h.ctx, &s);
    assert_int_equal(s.large_count, 1);
    assert_non_null(al_alloc(&h, 65536 - 15));
    al_bump.stats(h.ctx, &s);
    assert_int_equal(s.large_count, 2);
    check_bump_identity(&h);
    al_heap_close(&h);
}

static void bump_reset_rewinds_and_keeps_chunks(void **state)
{
    (void)state;
    al_config c = {.chunk_bytes = 8192};
    al_heap h;
    open_heap(&h, &al_bump, &c);
    char *first = al_alloc(&h, 48);
    for (int i = 0; i < 50; i++)
        assert_non_null(al_alloc(&h, 500)); /* several chunks */
    assert_non_null(al_alloc(&h, 100000));  /* a big one */
    al_backend_stats before, after;
    al_bump.stats(h.ctx, &before);
    al_heap_reset(&h);
    al_bump.stats(h.ctx, &after);
    assert_int_equal(after.block_bytes, 0);
    assert_int_equal(after.large_count, 0);
    assert_int_equal(after.peak_block_bytes, before.peak_block_bytes);
    /* The big chunk is unmapped; the standard chunks are kept for reuse. */
    assert_true(after.footprint_bytes < before.footprint_bytes);
    assert_true(after.footprint_bytes >= 4 * 8192);
    assert_int_equal(after.peak_footprint_bytes, before.peak_footprint_bytes);
    assert_int_equal(h.live_bytes, 0);
    check_bump_identity(&h);
    assert_ptr_equal(al_alloc(&h, 48), first); /* starts again at the beginning */
    for (int i = 0; i < 50; i++)
        assert_non_null(al_alloc(&h, 500));
    al_backend_stats again;
    al_bump.stats(h.ctx, &again);
    assert_int_equal(again.footprint_bytes, after.footprint_bytes); /* reused, none mapped */
    check_bump_identity(&h);
    al_heap_close(&h);
}

static void bump_identity_under_random_work(void **state)
{
    (void)state;
    al_config c = {.chunk_bytes = 16384};
    al_heap h;
    open_heap(&h, &al_bump, &c);
    hb_rng r;
    hb_rng_seed(&r, 99);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 2000; i++) {
            size_t n = random_size(&r) / 8 + 1;
            void *p = al_alloc(&h, n);
            assert_non_null(p);
            if (hb_rng_below(&r, 3) == 0)
                al_free(&h, p, n);
        }
        check_bump_identity(&h);
        al_heap_reset(&h);
        check_bump_identity(&h);
    }
    al_heap_close(&h);
}

/* ---- malloc ---- */

/*
 * Nothing is counted per op: block_bytes is mallinfo2's bytes in use (the
 * sanitizer's count under ASan), read at stats().  Between two readings
 * only this test's al_alloc/al_free run, so each reading moves by at least
 * the block's requested size, and by no more than its usable size plus the
 * chunk header and page rounding.
 */
static void malloc_reads_block_bytes_off_the_clock(void **state)
{
    (void)state;
    al_heap h;
    open_heap(&h, &al_malloc, NULL);
    static const size_t sizes[] = {1, 24, 25, 100, 1000, 4095, 200000, 5 << 20};
    enum { N = sizeof sizes / sizeof sizes[0] };
    void *v[N];
    al_backend_stats s, before;
    al_malloc.stats(h.ctx, &before);
    for (size_t i = 0; i < N; i++) {
        v[i] = al_alloc(&h, sizes[i]);
        assert_non_null(v[i]);
        al_malloc.stats(h.ctx, &s);
        uint64_t grew = s.block_bytes - before.block_bytes;
        if (grew < sizes[i] || grew > malloc_usable_size(v[i]) + 4096 + 16)
            fail_msg("malloc: block bytes grew by %llu for a block of %zu (usable %zu)",
                     (unsigned long long)grew, sizes[i], malloc_usable_size(v[i]));
        assert_true(s.peak_block_bytes >= s.block_bytes);
        before = s;
    }
    assert_int_equal(s.footprint_exact, 0);
    assert_int_equal(s.large_count, 0);
    if (!UNDER_ASAN)
        assert_true(s.footprint_bytes >= (5 << 20) + 200000); /* mallinfo2 sees them */
    /* A freed small chunk may sit in glibc's tcache, which mallinfo2 counts
     * as in use; the two mmapped blocks surely go back. */
    uint64_t peak = s.peak_block_bytes, full = s.block_bytes;
    for (size_t i = 0; i < N; i++)
        al_free(&h, v[i], sizes[i]);
    al_malloc.stats(h.ctx, &s);
    assert_true(full - s.block_bytes >= (5 << 20) + 200000);
    assert_int_equal(s.peak_block_bytes, peak); /* the peak of the readings stays */
    assert_true(s.peak_footprint_bytes >= s.footprint_bytes);
    assert_int_equal(strncmp(al_malloc.version(), "glibc ", 6), 0);
    al_heap_close(&h);
}

static void malloc_dump_names_mallinfo(void **state)
{
    (void)state;
    al_heap h;
    open_heap(&h, &al_malloc, NULL);
    void *p = al_alloc(&h, 1000);
    char *d = dump_text(&h);
    assert_true(dump_value(d, "block bytes (in use)") >= 1000);
    assert_non_null(strstr(d, "mallinfo2"));
    free(d);
    al_free(&h, p, 1000);
    al_heap_close(&h);
}

/* ---- the test list: fixed tests, then each contract check per backend ---- */

typedef struct contract {
    const char *name;
    CMUnitTestFunction fn;
} contract;

static const contract contracts[] = {
    {"alignment", contract_alignment},
    {"blocks_disjoint_and_kept", contract_blocks_disjoint_and_kept},
    {"stats_identities", contract_stats_identities},
    {"null_on_failure", contract_null_on_failure},
    {"heap_limit", contract_heap_limit},
    {"books_under_random_work", contract_books_under_random_work},
    {"cursor_books_under_random_work", contract_cursor_books_under_random_work},
    {"version_and_reset", contract_version_and_reset},
};

static const struct CMUnitTest fixed[] = {
    cmocka_unit_test(registry_lists_the_builtins_pool_first),
    cmocka_unit_test(registry_names_joined_and_truncated),
    cmocka_unit_test(heap_open_refuses_bad_settings),
    cmocka_unit_test(bump_config_validated),
    cmocka_unit_test(bump_bumps_and_spills),
    cmocka_unit_test(bump_free_leaves_dead_bytes),
    cmocka_unit_test(bump_big_requests_get_their_own_chunk),
    cmocka_unit_test(bump_reset_rewinds_and_keeps_chunks),
    cmocka_unit_test(bump_identity_under_random_work),
    cmocka_unit_test(malloc_reads_block_bytes_off_the_clock),
    cmocka_unit_test(malloc_dump_names_mallinfo),
};

int main(int argc, char **argv)
{
    (void)argc;
    al_peer_reexec_for_tls(argv, NULL); /* so that jemalloc can load; may not return */
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    size_t ncontract = sizeof contracts / sizeof contracts[0];
    size_t n = nfixed + ncontract * al_backend_count;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    char(*names)[96] = calloc(n, sizeof *names);
    if (tests == NULL || names == NULL)
        return 1;
    memcpy(tests, fixed, sizeof fixed);
    size_t k = nfixed;
    for (size_t c = 0; c < ncontract; c++) {
        for (size_t b = 0; b < al_backend_count; b++, k++) {
            snprintf(names[k], sizeof names[k], "%s/%s", contracts[c].name, al_backends[b]->name);
            tests[k].name = names[k];
            tests[k].test_func = contracts[c].fn;
            tests[k].initial_state = (void *)al_backends[b];
        }
    }
    int failed = _cmocka_run_group_tests("allocators", tests, n, NULL, NULL);
    free(tests);
    free(names);
    return failed;
}
