/*
 * tests/test_pool.c -- the pool backend (allocators/pool.c) against its
 * contract: alignment and size-class rounding, LIFO reuse, lazy carving,
 * the pool and arena life cycle (empty pools back to their arena, empty
 * arenas unmapped but one, the fullest arena used first), the breakdown
 * identity and the stats identities after random work, large requests
 * counted apart, settable sizes, bad settings and failed requests.
 *
 * Heaps are filled by hand over the table (al_heap h = {.b = &al_pool,...})
 * so that only the inline wrappers of allocator.h are needed; al_pool_check
 * walks every invariant the backend states after each step that matters.
 * Under valgrind, one more test checks the memcheck annotations of this
 * backend and of bump (allocators/vg.h): what is addressable and defined.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocators/allocator.h"
#include "allocators/pool.h"
#include "allocators/vg.h"
#include "harness/core/rng.h"

/* Under AddressSanitizer a refused malloc must return NULL, as glibc's does,
 * rather than abort: the backend's contract is tested, not the sanitizer's. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

static al_heap open_heap(size_t arena_bytes, size_t pool_bytes)
{
    al_config cfg = {.arena_bytes = arena_bytes, .pool_bytes = pool_bytes};
    al_heap h = {.b = &al_pool, .ctx = al_pool.create(&cfg)};
    assert_non_null(h.ctx);
    return h;
}

static void close_heap(al_heap *h)
{
    assert_null(al_pool_check(h->ctx));
    al_pool.destroy(h->ctx);
    h->ctx = NULL;
}

static void check(al_heap *h)
{
    const char *why = al_pool_check(h->ctx);
    if (why != NULL)
        fail_msg("pool invariant broken: %s", why);
}

static al_pool_breakdown breakdown(al_heap *h)
{
    al_pool_breakdown bd;
    al_pool_get_breakdown(h->ctx, &bd);
    return bd;
}

static al_backend_stats bstats(al_heap *h)
{
    al_backend_stats s;
    al_pool.stats(h->ctx, &s);
    return s;
}

static uint64_t round16(size_t size)
{
    return (size + 15) / 16 * 16;
}

/* The colour of the pool at `pool`, worked out by hand from the rule in
 * pool.h: 64 bytes per step, one colour per 2 KiB of pool, at most 8. */
static size_t colour_by_hand(uintptr_t pool, size_t pool_bytes)
{
    size_t colours = pool_bytes >= 16 * KiB ? 8 : pool_bytes / (2 * KiB);
    return (size_t)(pool / pool_bytes % colours) * 64;
}

/* Blocks that fit the pool at `pool`: room after colour and header. */
static uint64_t capacity_at(uintptr_t pool, size_t pool_bytes, size_t block)
{
    return (pool_bytes - colour_by_hand(pool, pool_bytes) - AL_POOL_HEADER_BYTES) / block;
}

/* The capacity of every pool of this size for this block, whatever its
 * colour; the tests that use it assume one value, so it checks that. */
static uint64_t capacity(size_t pool_bytes, size_t block)
{
    uint64_t cap = capacity_at(0, pool_bytes, block);
    for (uintptr_t k = 1; k < 8; k++)
        assert_int_equal(capacity_at(k * pool_bytes, pool_bytes, block), cap);
    return cap;
}

static uintptr_t pool_of(const void *p, size_t pool_bytes)
{
    return (uintptr_t)p & ~(uintptr_t)(pool_bytes - 1);
}

/* The sum the breakdown must equal: every byte of every mapped arena. */
static void assert_identity(const al_pool_breakdown *bd)
{
    uint64_t parts = bd->allocated_bytes + bd->available_bytes + bd->unused_pool_bytes +
                     bd->pool_header_bytes_total + bd->quantization_bytes +
                     bd->alignment_bytes;
    assert_int_equal(parts, bd->arenas_current * bd->arena_bytes);
    uint64_t used = 0, avail = 0, pools = 0;
    for (size_t i = 0; i < AL_POOL_NCLASSES; i++) {
        used += bd->cls[i].blocks_used * (i + 1) * 16;
        avail += bd->cls[i].blocks_free * (i + 1) * 16;
        pools += bd->cls[i].pools;
    }
    assert_int_equal(used, bd->allocated_bytes);
    assert_int_equal(avail, bd->available_bytes);
    assert_int_equal(pools, bd->pools_used);
    assert_int_equal(bd->pools_used + bd->pools_empty + bd->pools_fresh,
                     bd->arenas_current * bd->pools_per_arena);
}

/* ---- blocks: alignment, rounding, reuse ---------------------------- */

static void test_alignment_every_size(void **state)
{
    (void)state;
    al_heap h = open_heap(0, 0);
    void *p[1025];
    for (size_t size = 1; size <= 1024; size++) {
        p[size] = al_alloc(&h, size);
        assert_non_null(p[size]);
        assert_int_equal((uintptr_t)p[size] % AL_ALIGN, 0);
        memset(p[size], 0xA5, size); /* the whole request is writable */
    }
    check(&h);
    for (size_t size = 1; size <= 1024; size++)
        al_free(&h, p[size], size);
    assert_int_equal(bstats(&h).block_bytes, 0);
    close_heap(&h);
}

static void test_class_rounding(void **state)
{
    (void)state;
    al_heap h = open_heap(0, 0);
    for (size_t size = 1; size <= AL_POOL_MAX_SMALL; size++) {
        void *p = al_alloc(&h, size);
        assert_non_null(p);
        assert_int_equal(bstats(&h).block_bytes, round16(size));
        al_pool_breakdown bd = breakdown(&h);
        assert_int_equal(bd.cls[(size - 1) / 16].blocks_used, 1);
        assert_int_equal(bd.allocated_bytes, round16(size));
        al_free(&h, p, size);
        assert_int_equal(bstats(&h).block_bytes, 0);
    }
    check(&h);
    close_heap(&h);
}

static void test_lifo_reuse(void **state)
{
    (void)state;
    al_heap h = open_heap(0, 0);
    void *a = al_alloc(&h, 40), *b = al_alloc(&h, 48), *c = al_alloc(&h, 33);
    assert_true(a != b && b != c && a != c);
    al_free(&h, b, 48);
    assert_ptr_equal(al_alloc(&h, 35), b); /* same class (33..48) */
    al_free(&h, a, 40);
    al_free(&h, c, 33);
    assert_ptr_equal(al_alloc(&h, 48), c); /* last freed, first reused */
    assert_ptr_equal(al_alloc(&h, 48), a);
    /* another class does not see these blocks */
    void *d = al_alloc(&h, 16);
    assert_true(d != a && d != b && d != c);
    al_free(&h, a, 48);
    al_free(&h, b, 35); /* freed with the size it was last given out at */
    al_free(&h, c, 48);
    al_free(&h, d, 16);
    check(&h);
    close_heap(&h);
}

/* A block freed into a full pool waits: the pool queues behind the partly
 * used ones, which serve first; once they are full, it is handed out. */
static void test_full_pool_queues_at_tail(void **state)
{
    (void)state;
    al_heap h = open_heap(64 * KiB, 4 * KiB);
    size_t cap = capacity(4 * KiB, 512);
    void *p[32];
    for (size_t i = 0; i < cap + 2; i++)
        p[i] = al_alloc(&h, 512);
    assert_true(pool_of(p[0], 4 * KiB) != pool_of(p[cap], 4 * KiB));
    assert_int_equal(breakdown(&h).cls[31].full_pools, 1);
    al_free(&h, p[3], 512);
    assert_int_equal(breakdown(&h).cls[31].full_pools, 0);
    /* the second pool has cap - 2 blocks left; they come first, in order */
    for (size_t i = cap + 2; i < 2 * cap; i++) {
        p[i] = al_alloc(&h, 500);
        assert_int_equal(pool_of(p[i], 4 * KiB), pool_of(p[cap], 4 * KiB));
    }
    check(&h);
    assert_ptr_equal(al_alloc(&h, 500), p[3]);
    p[2 * cap] = p[3];
    check(&h);
    for (size_t i = 0; i < 2 * cap; i++)
        al_free(&h, p[i], i == 3 || i >= cap + 2 ? 500 : 512); /* sizes as given out */
    close_heap(&h);
}

/* ---- pools ----------------------------------------------------------- */

static size_t resident_pages(void *start, size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char vec[64];
    assert_true(bytes / page <= sizeof vec);
    assert_int_equal(mincore(start, bytes, vec), 0);
    size_t n = 0;
    for (size_t i = 0; i < bytes / page; i++)
        n += vec[i] & 1;
    return n;
}

/* Blocks come from a bump pointer in address order, and a pool's pages (and
 * the arena's other pools) are not touched before blocks reach them. */
static void test_lazy_carving(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    al_heap h = open_heap(MiB, 64 * KiB);
    char *first = al_alloc(&h, 16);
    uintptr_t base = pool_of(first, 64 * KiB);
    assert_int_equal(base + colour_by_hand(base, 64 * KiB) + AL_POOL_HEADER_BYTES,
                     (uintptr_t)first);
    for (int i = 1; i < 8; i++)
        assert_ptr_equal(al_alloc(&h, 16), first + 16 * i);
    al_pool_breakdown bd = breakdown(&h);
    assert_int_equal(bd.cls[0].blocks_used, 8);
    assert_int_equal(bd.cls[0].blocks_free, capacity_at(base, 64 * KiB, 16) - 8);
    assert_int_equal(bd.alignment_bytes, colour_by_hand(base, 64 * KiB));
    assert_int_equal(bd.pools_fresh, bd.pools_per_arena - 1);
    void *pool = (void *)pool_of(first, 64 * KiB);
    if (page == 4 * KiB) {
        /* the first page holds header and blocks; the next 15 are untouched */
        assert_int_equal(resident_pages(pool, 64 * KiB), 1);
        assert_int_equal(resident_pages((char *)pool + 64 * KiB, 64 * KiB), 0);
    }
    close_heap(&h);
}

/* Headers sit at their colour offset, consecutive pools take every colour,
 * and the colours are the breakdown's alignment line. */
static void test_header_colouring(void **state)
{
    (void)state;
    const size_t sizes[] = {4 * KiB, 8 * KiB, 16 * KiB, 64 * KiB, MiB};
    const size_t colours[] = {2, 4, 8, 8, 8};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(al_pool_colours(sizes[i]), colours[i]);
        for (uintptr_t k = 0; k < 20; k++)
            assert_int_equal(al_pool_colour_bytes(k * sizes[i] + 7 * MiB, sizes[i]),
                             colour_by_hand(k * sizes[i] + 7 * MiB, sizes[i]));
    }
    al_heap h = open_heap(0, 0); /* 16 KiB pools: 31 blocks of 512 whatever the colour */
    enum { POOLS = 16, PER = 31 };
    assert_int_equal(capacity(16 * KiB, 512), PER);
    void *p[POOLS * PER];
    unsigned seen = 0;
    uint64_t colour_sum = 0, quant = 0;
    for (size_t i = 0; i < POOLS * PER; i++) {
        p[i] = al_alloc(&h, 512);
        uintptr_t base = pool_of(p[i], 16 * KiB);
        size_t c = colour_by_hand(base, 16 * KiB);
        if (i % PER == 0) { /* a fresh pool: its first block follows the header */
            assert_int_equal((uintptr_t)p[i], base + c + AL_POOL_HEADER_BYTES);
            seen |= 1u << (c / 64);
            colour_sum += c;
            quant += (16 * KiB - c - AL_POOL_HEADER_BYTES) % 512;
        } else {
            assert_int_equal(pool_of(p[i - 1], 16 * KiB), base);
        }
    }
    assert_int_equal(seen, 0xff);
    al_pool_breakdown bd = breakdown(&h);
    assert_int_equal(bd.pools_used, POOLS);
    assert_int_equal(bd.alignment_bytes, colour_sum);
    assert_int_equal(bd.quantization_bytes, quant);
    assert_identity(&bd);
    check(&h);
    for (size_t i = 0; i < POOLS * PER; i += 2)
        al_free(&h, p[i], 512);
    check(&h);
    for (size_t i = 1; i < POOLS * PER; i += 2)
        al_free(&h, p[i], 512);
    check(&h);
    bd = breakdown(&h);
    assert_int_equal(bd.alignment_bytes, 0);
    assert_identity(&bd);
    close_heap(&h);
}

static void test_empty_pool_returns_to_arena(void **state)
{
    (void)state;
    al_heap h = open_heap(0, 0);
    void *p[100];
    for (int i = 0; i < 100; i++)
        p[i] = al_alloc(&h, 64);
    al_pool_breakdown bd = breakdown(&h);
    assert_int_equal(bd.pools_used, 1);
    assert_int_equal(bd.pools_empty, 0);
    for (int i = 0; i < 100; i++)
        al_free(&h, p[i], 64);
    check(&h);
    bd = breakdown(&h);
    assert_int_equal(bd.pools_used, 0);
    assert_int_equal(bd.pools_empty, 1);
    assert_int_equal(bd.cls[3].pools, 0);
    assert_int_equal(bd.unused_pool_bytes, bd.arena_bytes);
    /* the emptied pool is reused, by any class, before a fresh one */
    void *q = al_alloc(&h, 300);
    assert_int_equal(pool_of(q, 16 * KiB), pool_of(p[0], 16 * KiB));
    bd = breakdown(&h);
    assert_int_equal(bd.pools_empty, 0);
    assert_int_equal(bd.cls[18].pools, 1);
    al_free(&h, q, 300);
    close_heap(&h);
}

/* ---- arenas ---------------------------------------------------------- */

static void test_arenas_unmapped_one_kept(void **state)
{
    (void)state;
    al_heap h = open_heap(64 * KiB, 4 * KiB);
    size_t per_arena = 16 * capacity(4 * KiB, 256), n = 3 * per_arena + 5;
    void **p = malloc(n * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        assert_non_null(p[i] = al_alloc(&h, 256));
    al_pool_breakdown bd = breakdown(&h);
    assert_int_equal(bd.arenas_current, 4);
    assert_int_equal(bd.arenas_allocated, 4);
    assert_int_equal(bstats(&h).footprint_bytes, 4 * 64 * KiB);
    for (size_t i = 0; i < n; i++) {
        al_free(&h, p[i], 256);
        if (i % 97 == 0)
            check(&h);
    }
    check(&h);
    bd = breakdown(&h);
    assert_int_equal(bd.arenas_current, 1); /* one kept back */
    assert_int_equal(bd.arenas_reclaimed, 3);
    assert_int_equal(bd.arenas_highwater, 4);
    assert_int_equal(bd.pools_used, 0);
    al_backend_stats s = bstats(&h);
    assert_int_equal(s.footprint_bytes, 64 * KiB);
    assert_int_equal(s.peak_footprint_bytes, 4 * 64 * KiB);
    /* hovering at the boundary: the kept arena serves, no new mapping */
    for (int r = 0; r < 50; r++) {
        void *q = al_alloc(&h, 16);
        al_free(&h, q, 16);
    }
    assert_int_equal(breakdown(&h).arenas_allocated, 4);
    free(p);
    close_heap(&h);
}

/*
 * Four-pool arenas, one 512-byte class: fill three arenas, then empty a
 * different number of pools in each.  New pools must come from the arena
 * with the fewest free pools, then the next fewest.
 */
typedef struct arena_rig {
    al_heap h;
    size_t cap;          /* blocks per pool */
    void *blk[12][8];    /* [pool][block] in carving order */
    uintptr_t arena[3];  /* base of each arena */
} arena_rig;

static int arena_of(const arena_rig *r, const void *p)
{
    for (int a = 0; a < 3; a++)
        if ((uintptr_t)p >= r->arena[a] && (uintptr_t)p < r->arena[a] + 16 * KiB)
            return a;
    return -1;
}

static void rig_fill(arena_rig *r)
{
    r->h = open_heap(16 * KiB, 4 * KiB);
    r->cap = capacity(4 * KiB, 512);
    assert_true(r->cap <= 8);
    for (int pl = 0; pl < 12; pl++)
        for (size_t b = 0; b < r->cap; b++)
            assert_non_null(r->blk[pl][b] = al_alloc(&r->h, 512));
    for (int a = 0; a < 3; a++) {
        /* fresh pools are carved upwards from the arena's base */
        r->arena[a] = pool_of(r->blk[4 * a][0], 4 * KiB);
        for (int pl = 0; pl < 4; pl++)
            assert_int_equal(pool_of(r->blk[4 * a + pl][0], 4 * KiB),
                             r->arena[a] + (uintptr_t)pl * 4 * KiB);
    }
    assert_int_equal(breakdown(&r->h).arenas_current, 3);
}

static void rig_empty_pool(arena_rig *r, int pl)
{
    for (size_t b = 0; b < r->cap; b++)
        al_free(&r->h, r->blk[pl][b], 512);
}

static void test_fullest_arena_first(void **state)
{
    (void)state;
    arena_rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    rig_fill(r);
    rig_empty_pool(r, 0); /* arena 0: 3 free pools */
    rig_empty_pool(r, 1);
    rig_empty_pool(r, 2);
    rig_empty_pool(r, 4); /* arena 1: 1 free pool */
    rig_empty_pool(r, 8); /* arena 2: 2 free pools */
    rig_empty_pool(r, 9);
    check(&r->h);
    /* each new class needs a new pool: arena 1, then 2, 2, then 0 */
    static const int want[] = {1, 2, 2, 0, 0, 0};
    void *q[6];
    for (int i = 0; i < 6; i++) {
        q[i] = al_alloc(&r->h, 16 * (size_t)(i + 1));
        assert_int_equal(arena_of(r, q[i]), want[i]);
        check(&r->h);
    }
    for (int i = 0; i < 6; i++)
        al_free(&r->h, q[i], 16 * (size_t)(i + 1));
    /* now the counts are 3, 1, 2 again; emptying one more pool of arena 1
     * makes it 2: it must queue behind arena 2, which had 2 first */
    rig_empty_pool(r, 5);
    check(&r->h);
    void *s = al_alloc(&r->h, 16);
    assert_int_equal(arena_of(r, s), 2);
    al_free(&r->h, s, 16);
    close_heap(&r->h);
    free(r);
}

/* ---- random work: the breakdown and stats identities ------------------- */

typedef struct live_set {
    void **p;
    size_t *size;
    size_t n, cap;
    uint64_t rounded_small; /* sum of class sizes of the live small blocks */
} live_set;

static void random_step(al_heap *h, live_set *ls, hb_rng *rng)
{
    int grow = ls->n == 0 || (ls->n < ls->cap && hb_rng_below(rng, 100) < 52);
    if (grow) {
        size_t size = hb_rng_below(rng, 20) == 0 ? (size_t)hb_rng_range(rng, 513, 5000)
                                                  : (size_t)hb_rng_range(rng, 1, 512);
        void *p = al_alloc(h, size);
        assert_non_null(p);
        memset(p, (int)(size & 0xff), size < 64 ? size : 64);
        ls->p[ls->n] = p;
        ls->size[ls->n++] = size;
        if (size <= AL_POOL_MAX_SMALL)
            ls->rounded_small += round16(size);
        return;
    }
    size_t i = (size_t)hb_rng_below(rng, ls->n);
    al_free(h, ls->p[i], ls->size[i]);
    if (ls->size[i] <= AL_POOL_MAX_SMALL)
        ls->rounded_small -= round16(ls->size[i]);
    ls->n--;
    ls->p[i] = ls->p[ls->n];
    ls->size[i] = ls->size[ls->n];
}

static void assert_stats_identities(al_heap *h, const live_set *ls, uint64_t *last_peak_fp)
{
    al_backend_stats s = bstats(h);
    al_pool_breakdown bd = breakdown(h);
    /* Exact while no block went to the C library; then arenas plus what
     * the C library holds, sampled. */
    if (s.large_count > 0)
        assert_int_equal(s.footprint_exact, 0);
    assert_int_equal(s.block_bytes, ls->rounded_small + s.large_bytes);
    assert_int_equal(bd.allocated_bytes, ls->rounded_small);
    if (s.footprint_exact)
        assert_int_equal(s.footprint_bytes, bd.arenas_current * bd.arena_bytes);
    else
        assert_true(s.footprint_bytes >= bd.arenas_current * bd.arena_bytes);
    assert_true(s.block_bytes >= h->live_bytes);
    assert_true(s.footprint_bytes >= s.block_bytes);
    assert_true(s.peak_block_bytes >= s.block_bytes);
    assert_true(s.peak_footprint_bytes >= s.footprint_bytes);
    assert_true(s.peak_footprint_bytes >= *last_peak_fp);
    *last_peak_fp = s.peak_footprint_bytes;
    assert_int_equal(s.large_bytes, bd.large_bytes);
    assert_int_equal(s.large_count, bd.large_count);
}

/* Frees every live block; then only the one kept-back arena may remain. */
static void drain(al_heap *h, live_set *ls)
{
    while (ls->n > 0) {
        ls->n--;
        al_free(h, ls->p[ls->n], ls->size[ls->n]);
    }
    al_pool_breakdown bd = breakdown(h);
    assert_identity(&bd);
    assert_true(bd.arenas_current <= 1);
    assert_int_equal(bd.arenas_reclaimed, bd.arenas_allocated - bd.arenas_current);
    assert_int_equal(bd.allocated_bytes, 0);
    assert_int_equal(bd.large_count, 0);
    assert_int_equal(bstats(h).block_bytes, 0);
}

/* Random alloc/free with a swinging live set, checking the identities every
 * 500 steps; drain_at_end: free everything before destroy, else destroy
 * with blocks still live (ASan then checks that destroy returns them). */
static void run_random(size_t arena_bytes, size_t pool_bytes, uint64_t seed, size_t steps,
                       int drain_at_end)
{
    al_heap h = open_heap(arena_bytes, pool_bytes);
    live_set ls = {.cap = 3000};
    ls.p = malloc(ls.cap * sizeof *ls.p);
    ls.size = malloc(ls.cap * sizeof *ls.size);
    assert_true(ls.p && ls.size);
    hb_rng rng;
    hb_rng_seed(&rng, seed);
    uint64_t last_peak_fp = 0, large_seen = 0;
    for (size_t k = 0; k < steps; k++) {
        /* swing the live set: fill up, then drain, so pools come and go */
        if (k % 8000 == 4000)
            ls.cap = 100;
        if (k % 8000 == 0)
            ls.cap = 3000;
        random_step(&h, &ls, &rng);
        if (k % 500 == 0) {
            al_pool_breakdown bd = breakdown(&h);
            assert_identity(&bd);
            assert_stats_identities(&h, &ls, &last_peak_fp);
            large_seen += bd.large_count;
        }
        if (k % 4000 == 0)
            check(&h);
    }
    assert_true(large_seen > 0);
    al_pool_breakdown bd = breakdown(&h);
    assert_identity(&bd);
    assert_true(bd.arenas_highwater >= bd.arenas_current);
    check(&h);
    if (drain_at_end) {
        drain(&h, &ls);
        check(&h);
    }
    free(ls.p);
    free(ls.size);
    close_heap(&h);
}

static void test_random_default(void **state)
{
    (void)state;
    run_random(0, 0, 1, 40000, 0);
    run_random(0, 0, 5, 20000, 1);
}

static void test_random_small_arenas(void **state)
{
    (void)state;
    run_random(256 * KiB, 4 * KiB, 2, 40000, 1);
    run_random(32 * KiB, 8 * KiB, 3, 40000, 0);
    run_random(4 * KiB, 4 * KiB, 4, 20000, 1); /* one pool per arena */
}

/* ---- large requests, settings, failures ------------------------------ */

static void test_large_counted_apart(void **state)
{
    (void)state;
    al_heap h = open_heap(0, 0);
    void *a = al_alloc(&h, 513), *b = al_alloc(&h, 100000);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal((uintptr_t)a % AL_ALIGN, 0);
    assert_int_equal((uintptr_t)b % AL_ALIGN, 0);
    memset(b, 1, 100000);
    al_backend_stats s = bstats(&h);
    assert_int_equal(s.large_count, 2);
    assert_true(s.large_bytes >= 513 + 100000);
    assert_int_equal(s.block_bytes, s.large_bytes);
    /* No arena mapped: the footprint is what the C library took from the
     * system since the heap was made (it may have had the room already),
     * so it is no longer counted exactly. */
    assert_int_equal(s.footprint_exact, 0);
    assert_true(s.footprint_bytes < 64 * MiB);
    assert_int_equal(breakdown(&h).arenas_current, 0);
    void *c = al_alloc(&h, 512); /* the largest small size stays in a pool */
    s = bstats(&h);
    assert_int_equal(s.large_count, 2);
    assert_true(s.footprint_bytes >= MiB); /* the arena, at least */
    al_free(&h, a, 513);
    al_free(&h, c, 512);
    s = bstats(&h);
    assert_int_equal(s.large_count, 1);
    assert_int_equal(s.block_bytes, s.large_bytes);
    al_free(&h, b, 100000);
    s = bstats(&h);
    assert_int_equal(s.large_count, 0);
    assert_int_equal(s.large_bytes, 0);
    assert_int_equal(s.block_bytes, 0);
    assert_true(s.peak_block_bytes >= 513 + 100000);
    close_heap(&h);
}

/* Large blocks freed in an order unlike their allocation's: the table
 * stays consistent (each header names its slot) and stats() sums them. */
static void test_large_table_frees_any_order(void **state)
{
    (void)state;
    enum { N = 300 };
    al_heap h = open_heap(0, 0);
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = al_alloc(&h, 600 + (size_t)i);
        assert_non_null(p[i]);
        memset(p[i], (int)i, 600 + (size_t)i);
    }
    uint64_t requested = 0;
    for (int i = 0; i < N; i++)
        requested += 600 + (uint64_t)i;
    al_backend_stats s = bstats(&h);
    assert_int_equal(s.large_count, N);
    assert_true(s.large_bytes >= requested);
    int left = N;
    for (int step = 0; step < 3; step++) /* every third block, from 0, 1, 2 */
        for (int i = step; i < N; i += 3) {
            al_free(&h, p[i], 600 + (size_t)i);
            left--;
            if (i % 31 == 0) {
                check(&h);
                assert_int_equal(bstats(&h).large_count, (uint64_t)left);
            }
        }
    s = bstats(&h);
    assert_int_equal(s.large_count, 0);
    assert_int_equal(s.block_bytes, 0);
    assert_true(s.peak_block_bytes >= requested);
    check(&h);
    close_heap(&h);
}

static void test_settable_sizes(void **state)
{
    (void)state;
    al_heap h = open_heap(256 * KiB, 4 * KiB);
    al_pool_breakdown bd = breakdown(&h);
    assert_int_equal(bd.arena_bytes, 256 * KiB);
    assert_int_equal(bd.pool_bytes, 4 * KiB);
    assert_int_equal(bd.pools_per_arena, 64);
    void *p[300];
    for (int i = 0; i < 300; i++) {
        p[i] = al_alloc(&h, 401);
        assert_non_null(p[i]);
    }
    /* 401 bytes round to 416; 9 such blocks fit a 4 KiB pool after its
     * header, with either of the two colours (0 or 64 bytes) */
    bd = breakdown(&h);
    assert_int_equal(capacity(4 * KiB, 416), 9);
    assert_int_equal(bd.cls[25].pools, (300 + 8) / 9);
    assert_int_equal(bd.arenas_current, 1);
    assert_int_equal(bstats(&h).footprint_bytes, 256 * KiB);
    assert_identity(&bd);
    for (int i = 0; i < 300; i++)
        al_free(&h, p[i], 401);
    close_heap(&h);
}

static void test_bad_settings(void **state)
{
    (void)state;
    static const al_config bad[] = {
        {.arena_bytes = MiB, .pool_bytes = 3000},     /* not a power of two */
        {.arena_bytes = MiB, .pool_bytes = 2 * KiB},  /* below 4 KiB */
        {.arena_bytes = 8 * KiB, .pool_bytes = 16 * KiB}, /* arena < pool */
        {.arena_bytes = 3 * MiB, .pool_bytes = 16 * KiB}, /* not a power of two */
        {.arena_bytes = (size_t)2 << 30, .pool_bytes = 16 * KiB}, /* above 1 GiB */
        {.arena_bytes = 0, .pool_bytes = 2 * MiB},    /* above the default arena */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *ctx = al_pool.create(&bad[i]);
        if (ctx != NULL) {
            al_pool.destroy(ctx);
            fail_msg("config %zu accepted", i);
        }
    }
    /* the defaults, spelled out or left zero, and a NULL config are fine */
    static const al_config good[] = {{0, 0, 0, 0}, {MiB, 16 * KiB, 0, 0}, {4 * KiB, 4 * KiB, 0, 0}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        void *ctx = al_pool.create(&good[i]);
        assert_non_null(ctx);
        al_pool.destroy(ctx);
    }
    void *ctx = al_pool.create(NULL);
    assert_non_null(ctx);
    al_pool.destroy(ctx);
}

static void test_refused_large_request(void **state)
{
    (void)state;
    al_heap h = open_heap(0, 0);
    void *small = al_alloc(&h, 24);
    al_backend_stats before = bstats(&h);
    assert_null(al_alloc(&h, (size_t)1 << 62));
    assert_null(al_alloc(&h, SIZE_MAX));
    assert_null(al_alloc(&h, SIZE_MAX - 8));
    assert_int_equal(h.failed, 3);
    al_backend_stats after = bstats(&h);
    /* field by field: the struct has padding */
    assert_int_equal(after.block_bytes, before.block_bytes);
    assert_int_equal(after.peak_block_bytes, before.peak_block_bytes);
    assert_int_equal(after.footprint_bytes, before.footprint_bytes);
    assert_int_equal(after.peak_footprint_bytes, before.peak_footprint_bytes);
    assert_int_equal(after.large_bytes, before.large_bytes);
    assert_int_equal(after.large_count, before.large_count);
    al_free(&h, small, 24);
    close_heap(&h);
}

/* A failed arena mapping gives NULL, not a crash, and the heap stays usable.
 * Run in a child under an address-space limit that a 1 GiB arena exceeds. */
static void test_failed_mapping(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        al_config cfg = {.arena_bytes = (size_t)1 << 30, .pool_bytes = 16 * KiB};
        void *ctx = al_pool.create(&cfg);
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (ctx == NULL || f == NULL || fscanf(f, "%ld", &pages) != 1)
            _exit(2);
        fclose(f);
        rlim_t now = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
        struct rlimit lim = {now + (256 << 20), now + (256 << 20)};
        if (setrlimit(RLIMIT_AS, &lim) != 0)
            _exit(3);
        if (al_pool.alloc(ctx, 32) != NULL)
            _exit(4);
        al_backend_stats s;
        al_pool.stats(ctx, &s);
        if (s.footprint_bytes != 0 || s.block_bytes != 0 || al_pool_check(ctx) != NULL)
            _exit(5);
        void *big = al_pool.alloc(ctx, 1000); /* malloc still works */
        if (big == NULL)
            _exit(6);
        al_pool.free(ctx, big, 1000);
        al_pool.destroy(ctx);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_dump_adds_up(void **state)
{
    (void)state;
    al_heap h = open_heap(0, 0);
    void *p[50];
    for (int i = 0; i < 50; i++)
        p[i] = al_alloc(&h, (size_t)(i * 37 % 700) + 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    al_pool.dump(h.ctx, out);
    fclose(out);
    al_pool_breakdown bd = breakdown(&h);
    char want[128];
    snprintf(want, sizeof want, "%-40s = %15llu\n", "Total",
             (unsigned long long)(bd.arenas_current * bd.arena_bytes));
    assert_non_null(strstr(buf, want));
    snprintf(want, sizeof want, "%-40s = %15llu\n", "# bytes in allocated blocks",
             (unsigned long long)bd.allocated_bytes);
    assert_non_null(strstr(buf, want));
    assert_non_null(strstr(buf, "# arenas highwater mark"));
    free(buf);
    for (int i = 0; i < 50; i++)
        al_free(&h, p[i], (size_t)(i * 37 % 700) + 1);
    close_heap(&h);
}

/* ---- memcheck annotations (only under valgrind) ---- */

/* 1 if [p, p + n) is addressable and every byte has validity `want`
 * (0x00 defined, 0xff undefined); 0 if some byte is not addressable.
 * Asks memcheck without making it report anything. */
static int vg_state(const void *p, size_t n, unsigned char want)
{
    unsigned char bits[64] = {0}; /* written by memcheck; zero elsewhere */
    assert_true(n <= sizeof bits);
    unsigned r = al_vg_vbits(p, bits, n);
    if (r == 3)
        return 0;
    assert_int_equal(r, 1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bits[i], want);
    return 1;
}

static void test_memcheck_sees_pool_blocks(void **state)
{
    (void)state;
    if (!al_vg_running())
        skip();
    unsigned errors = al_vg_errors();
    al_heap h = open_heap(0, 0);
    char *p = al_alloc(&h, 20); /* class 32: the next block is carved and listed */
    assert_true(vg_state(p, 20, 0xff));  /* live, undefined */
    assert_false(vg_state(p, 21, 0xff)); /* past the request: not addressable */
    assert_false(vg_state(p + 32, 8, 0xff)); /* the listed free block, link too */
    memset(p, 7, 20);
    assert_true(vg_state(p, 20, 0x00));
    check(&h); /* walks the free lists: their links are read without an error */
    al_free(&h, p, 20);
    assert_false(vg_state(p, 1, 0xff));     /* freed: the link bytes too */
    assert_false(vg_state(p + 8, 1, 0xff));
    char *q = al_alloc(&h, 32);
    assert_ptr_equal(q, p); /* LIFO reuse: open again, undefined */
    assert_true(vg_state(q, 32, 0xff));
    al_free(&h, q, 32);
    char *big = al_alloc(&h, 1000); /* malloc's, which valgrind tracks itself */
    assert_true(vg_state(big, 64, 0xff));
    al_free(&h, big, 1000);
    close_heap(&h);
    assert_int_equal(al_vg_errors(), errors);
}

static void test_memcheck_sees_bump_blocks(void **state)
{
    (void)state;
    if (!al_vg_running())
        skip();
    unsigned errors = al_vg_errors();
    const al_backend *bump = al_find("bump");
    assert_non_null(bump);
    al_config cfg = {.chunk_bytes = 64 * KiB};
    al_heap h = {.b = bump, .ctx = bump->create(&cfg)};
    assert_non_null(h.ctx);
    char *a = al_alloc(&h, 24), *b = al_alloc(&h, 40);
    assert_ptr_equal(b, a + 32);
    assert_true(vg_state(a, 24, 0xff));
    assert_false(vg_state(a + 24, 1, 0xff)); /* the rounding: not addressable */
    assert_false(vg_state(b + 48, 1, 0xff)); /* not bumped yet */
    char *huge = al_alloc(&h, 100 * KiB);     /* a chunk of its own */
    assert_true(vg_state(huge + 100 * KiB - 64, 64, 0xff));
    al_free(&h, a, 24); /* the bytes stay, but the block is gone */
    assert_false(vg_state(a, 1, 0xff));
    assert_true(vg_state(b, 40, 0xff));
    h.b->reset(h.ctx); /* every block gone */
    assert_false(vg_state(b, 1, 0xff));
    char *c = al_alloc(&h, 16);
    assert_ptr_equal(c, a); /* rewound: open again */
    assert_true(vg_state(c, 16, 0xff));
    bump->destroy(h.ctx);
    assert_int_equal(al_vg_errors(), errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_every_size),
        cmocka_unit_test(test_class_rounding),
        cmocka_unit_test(test_lifo_reuse),
        cmocka_unit_test(test_full_pool_queues_at_tail),
        cmocka_unit_test(test_lazy_carving),
        cmocka_unit_test(test_header_colouring),
        cmocka_unit_test(test_empty_pool_returns_to_arena),
        cmocka_unit_test(test_arenas_unmapped_one_kept),
        cmocka_unit_test(test_fullest_arena_first),
        cmocka_unit_test(test_random_default),
        cmocka_unit_test(test_random_small_arenas),
        cmocka_unit_test(test_large_counted_apart),
        cmocka_unit_test(test_large_table_frees_any_order),
        cmocka_unit_test(test_settable_sizes),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_refused_large_request),
        cmocka_unit_test(test_failed_mapping),
        cmocka_unit_test(test_dump_adds_up),
        cmocka_unit_test(test_memcheck_sees_pool_blocks),
        cmocka_unit_test(test_memcheck_sees_bump_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
