/*
 * allocators/pool.c -- the pool backend: a small-object allocator in the
 * pymalloc model (size classes, pools, arenas), exported as `al_pool`.
 *
 * Layers, top to bottom:
 *
 *     alloc(size) / free(p, size)
 *        |  size <= 512: a block of the size class (size - 1) / 16
 *     pool: one pool_bytes region (16 KiB) serving one class; a 48-byte
 *        |  header at a small "colour" offset, then blocks; pool-aligned, so
 *        |  free() finds the header by masking the block's address and
 *        |  adding the colour (see below)
 *     arena: one arena_bytes region (1 MiB) cut into pools; mapped with mmap
 *        |  (never the C library) and unmapped when all its pools are empty
 *     the operating system
 *
 *     size > 512: the C library's malloc, behind a 16-byte header naming
 *     the block's slot in the large table, so destroy() can free what is
 *     still live and stats() can walk them.
 *
 * Size classes, 16-byte alignment (class i holds (i+1)*16 bytes):
 *
 *     request    1-16  17-32  33-48  ...  497-512
 *     block        16     32     48  ...      512
 *     class         0      1      2  ...       31
 *
 * Pool states.  A pool holding at least one block belongs to one class and
 * is either *used* (has a free block: it is on that class's doubly linked
 * used list) or *full* (no free block: on no list; a free() links it back at
 * the *tail*).  Allocation always takes the head pool.  A pool with no
 * block is *empty*: on its arena's free-pool list, or never carved yet
 * (above the arena's `fresh` mark).  Blocks are
 * carved lazily: a new pool hands out its blocks by a bump pointer; freed
 * blocks go on the pool's free list (LIFO) and are reused first.
 * Invariant: a pool on a used list has freeblock != NULL; when alloc pops
 * its last listed block, one more is carved from the bump at once, or the
 * pool is full and leaves the list.  So freeblock == NULL <=> pool full.
 *
 * Tail, not front (pymalloc links it at the front): with random frees most
 * pools are full, and front linking makes the head a pool with one free
 * block, so about every other op flips a pool full <-> used and writes a
 * neighbour pool's header (headers sit at pool-aligned addresses, all in
 * the same few cache sets).  Queued at the tail, a pool gathers frees
 * before it is used again, the head serves many allocations in a row, and
 * pools left alone drain.  Measured on the churn benchmark (10,000 live,
 * sizes 16..512): pool/glibc time 1.17 with front linking, 0.77 with tail.
 * Within a pool reuse stays LIFO.
 *
 * Arenas.  Those with a free pool are on the *usable* list, kept sorted by
 * ascending free-pool count; new pools come from the head, so nearly full
 * arenas fill up and nearly empty ones drain and can be unmapped.  Keeping
 * the order costs O(1): last_with[n] is the last usable arena with n free
 * pools, so an arena whose count grows by one jumps straight behind the
 * last arena of its new group.  An arena whose pools are all empty is
 * unmapped unless it is the only entirely empty one, which is kept back so
 * a heap hovering at an arena boundary does not map and unmap on each op.
 *
 * Header colouring.  Headers at pool-aligned addresses all fall in the
 * same cache sets (16 KiB apart: one set of a 64-set L1, 8 sets of a
 * 2048-set L2), so with ~100 pools in use the header loads of free() and
 * alloc() miss for want of ways, not of capacity.  Each pool's header
 * therefore sits al_pool_colour_bytes(pool) bytes in: 0, 64, ..., 448 by
 * bits of the pool's address (fewer colours for pools under 16 KiB), and
 * its blocks follow it.  The bytes before the header are the breakdown's
 * alignment line.  Measured on the churn benchmark (10,000 live, sizes
 * 16..512, 16 KiB pools): about 18% less time per op than headers at
 * offset 0, for 224 bytes per used pool on average (1.4%).
 *
 * Arenas are mapped over-long and trimmed to a pool-aligned start, so no
 * space is lost before an arena's first pool (the cost is two extra munmap
 * calls per arena, which is rare).  The context and one
 * small descriptor per arena come from malloc, as CPython's arena table
 * does; they are a few hundred bytes per MiB of arena and not in the
 * footprint.
 *
 * Books off the clock.  alloc and free keep no byte counts: what a pool
 * must know to work (its ref count, its lists) is all they write, as the
 * C libraries the suite compares pool with keep nothing for it either.
 * The figures are computed when stats() is called (the harness calls it
 * untimed, at its samples): block bytes by walking the carved pools (ref
 * times class size) and the large table (malloc_usable_size of each), so a
 * call costs time proportional to the pools carved and the large blocks
 * live.  The footprint comes from counts kept per arena mapped, not per
 * block: arenas_current * arena_bytes, and its peak arenas_highwater *
 * arena_bytes, exact at every moment (until a block goes to the C
 * library: see pool_stats).  The peak of block bytes is the peak of the
 * stats() readings, as the C libraries' backends report it.  The large
 * table (8 bytes per live large block, mapped apart, not in the footprint,
 * as the context is not) is the one book the large path keeps, and it is
 * there for destroy(), not for a figure.
 *
 * Memcheck (allocators/vg.h; no code at all unless HB_VALGRIND).  The
 * context is a mempool and each small block a block of it, of the size
 * requested; an arena is inaccessible from its mapping on, except the
 * headers of carved pools and the blocks handed out.  A free block stays
 * inaccessible even to the pool: link_get and link_set open its link for
 * their own access only, so a collector that touches a freed block, link
 * bytes included, is reported.  Large blocks are malloc's, which valgrind
 * tracks by itself.
 */
#include "allocators/pool.h"
#include "allocators/thread_lock.h"
#include "allocators/vg.h"

#include <assert.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define CLASS_SHIFT 4
#define DEFAULT_ARENA_BYTES ((size_t)1 << 20)
#define DEFAULT_POOL_BYTES ((size_t)16 << 10)
#define MIN_POOL_BYTES ((size_t)4 << 10)
#define MAX_ARENA_BYTES ((size_t)1 << 30)

typedef struct pool_block {
    struct pool_block *next;
} pool_block;

typedef struct pool_arena pool_arena;

/* At its colour offset in every pool that is or was in use; 48 bytes. */
typedef struct pool_hdr {
    pool_block *freeblock;       /* free list head; NULL <=> the pool is full */
    struct pool_hdr *next, *prev; /* used list of the class; next also links
                                     the arena's free-pool list */
    pool_arena *arena;
    uintptr_t bump;              /* first block never carved */
    uint32_t ref;                /* blocks handed out; 0 <=> empty */
    uint32_t szidx;              /* size class */
} pool_hdr;

_Static_assert(sizeof(pool_hdr) == AL_POOL_HEADER_BYTES, "pool header size");
_Static_assert(AL_POOL_HEADER_BYTES % AL_ALIGN == 0, "blocks must stay aligned");

/*
 * One mapped arena.  Invariants: base is pool-aligned; base <= fresh <=
 * base + arena_bytes; nfreepools == (pools on freepools) + (pools at or
 * above fresh); the arena is on the usable list <=> nfreepools > 0.
 */
struct pool_arena {
    uintptr_t base;
    uintptr_t fresh;      /* first never-carved pool */
    pool_hdr *freepools;  /* emptied pools, linked through next */
    uint32_t nfreepools;
    pool_arena *prev, *next;         /* usable list */
    pool_arena *all_prev, *all_next; /* every mapped arena */
};

/* In front of every large block: its slot in the large table.  A table,
 * not a list, so that stats() reads the blocks' sizes with the next ones
 * prefetched (a list walk is one cache miss after another); a free moves
 * the table's last block into the freed slot, touching one other header
 * where unlinking from a list touches two. */
typedef struct large_hdr {
    size_t slot;
    size_t unused; /* keeps the block 16-aligned */
} large_hdr;

_Static_assert(sizeof(large_hdr) % AL_ALIGN == 0, "large blocks must stay aligned");

/*
 * No byte counts are kept (see "Books off the clock"); what stats() reports
 * is computed from the pools, the large table and the arena counts.
 */
typedef struct pool_ctx {
    pool_hdr *used[AL_POOL_NCLASSES]; /* first: the hot path reads it */
    pool_hdr *used_tail[AL_POOL_NCLASSES];
    uintptr_t pool_mask;
    unsigned pool_shift;     /* log2(pool_bytes) */
    uintptr_t colour_mask;   /* colours - 1 (al_pool_colour_bytes) */
    large_hdr **large;       /* the live large blocks, large[h->slot] == h */
    size_t nlarge, large_cap; /* large_cap > 0 <=> a large block was ever made */
    uint64_t glibc_base;     /* the C library's holdings when created */
    uint64_t stat_peak;      /* peak of the reported footprint over stats() calls */
    uint64_t stat_peak_blocks; /* peak of block bytes over stats() calls */
    pool_arena *usable;     /* sorted by ascending nfreepools */
    pool_arena **last_with; /* [npools + 1]: last usable arena with n free pools */
    pool_arena *all;
    size_t arena_bytes, pool_bytes, page_bytes;
    uint32_t npools; /* pools per arena */
    uint64_t arenas_allocated, arenas_reclaimed, arenas_current, arenas_highwater;
    al_thread_lock gil; /* threads > 1: the one lock (see "The GIL model") */
} pool_ctx;

/* The only accesses to a free block: its link, opened just around them. */
static inline pool_block *link_get(const pool_block *b)
{
    al_vg_defined(b, sizeof *b);
    pool_block *next = b->next;
    al_vg_noaccess(b, sizeof *b);
    return next;
}

static inline void link_set(pool_block *b, pool_block *next)
{
    al_vg_undefined(b, sizeof *b);
    b->next = next;
    al_vg_noaccess(b, sizeof *b);
}

static inline size_t class_bytes(uint32_t idx)
{
    return (size_t)(idx + 1) << CLASS_SHIFT;
}

/* Bytes before the header of the pool at base; al_pool_colour_bytes with
 * the division done by shift (al_pool_check compares the two). */
static inline uintptr_t colour_of(const pool_ctx *c, uintptr_t base)
{
    return ((base >> c->pool_shift) & c->colour_mask) * AL_POOL_COLOUR_STEP;
}

static inline pool_hdr *header_at(const pool_ctx *c, uintptr_t base)
{
    return (pool_hdr *)(base + colour_of(c, base));
}

static inline uintptr_t base_of(const pool_ctx *c, const pool_hdr *p)
{
    return (uintptr_t)p & c->pool_mask;
}

/* Bytes of the pool after its colour and header: room for blocks. */
static inline size_t pool_room(const pool_ctx *c, const pool_hdr *p)
{
    return c->pool_bytes - colour_of(c, base_of(c, p)) - AL_POOL_HEADER_BYTES;
}

static inline uint32_t pool_capacity(const pool_ctx *c, const pool_hdr *p)
{
    return (uint32_t)(pool_room(c, p) / class_bytes(p->szidx));
}

/* ------------------------------------------------------------------ */
/* Arenas: mapping                                                     */
/* ------------------------------------------------------------------ */

/* Maps arena_bytes at a pool-aligned address: over-map by one pool less a
 * page, then unmap the slack on either side. */
static uintptr_t map_aligned(const pool_ctx *c)
{
    size_t extra = c->pool_bytes > c->page_bytes ? c->pool_bytes - c->page_bytes : 0;
    void *m = mmap(NULL, c->arena_bytes + extra, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 0;
    uintptr_t raw = (uintptr_t)m;
    uintptr_t base = (raw + c->pool_bytes - 1) & c->pool_mask;
    size_t head = base - raw, tail = extra - head;
    if (head)
        munmap(m, head);
    if (tail)
        munmap((void *)(base + c->arena_bytes), tail);
    return base;
}

/* A new arena, all pools fresh, on the all-arenas list but not yet usable. */
static pool_arena *arena_map(pool_ctx *c)
{
    pool_arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->base = map_aligned(c);
    if (a->base == 0) {
        free(a);
        return NULL;
    }
    al_vg_noaccess((void *)a->base, c->arena_bytes); /* pools open as carved */
    a->fresh = a->base;
    a->nfreepools = c->npools;
    a->all_next = c->all;
    if (c->all)
        c->all->all_prev = a;
    c->all = a;
    c->arenas_allocated++;
    if (++c->arenas_current > c->arenas_highwater)
        c->arenas_highwater = c->arenas_current;
    return a;
}

/* Returns an arena (already off the usable list) to the system. */
static void arena_unmap(pool_ctx *c, pool_arena *a)
{
    if (a->all_prev)
        a->all_prev->all_next = a->all_next;
    else
        c->all = a->all_next;
    if (a->all_next)
        a->all_next->all_prev = a->all_prev;
    munmap((void *)a->base, c->arena_bytes);
    free(a);
    c->arenas_current--;
    c->arenas_reclaimed++;
}

/* ------------------------------------------------------------------ */
/* Arenas: the usable list, sorted by free-pool count                  */
/* ------------------------------------------------------------------ */

static void usable_unlink(pool_ctx *c, pool_arena *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else
        c->usable = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->prev = a->next = NULL;
}

/* Inserts a behind pos, or at the head when pos is NULL. */
static void usable_insert_after(pool_ctx *c, pool_arena *a, pool_arena *pos)
{
    a->prev = pos;
    a->next = pos ? pos->next : c->usable;
    if (a->next)
        a->next->prev = a;
    if (pos)
        pos->next = a;
    else
        c->usable = a;
}

/* Called before a's count changes: a leaves its group in last_with. */
static void last_with_leave(pool_ctx *c, pool_arena *a)
{
    uint32_t n = a->nfreepools;
    if (c->last_with[n] == a)
        c->last_with[n] = (a->prev && a->prev->nfreepools == n) ? a->prev : NULL;
}

/* a, the head of the usable list, gave out one pool.  It had the fewest
 * free pools, so with one fewer it is alone in its group at the head. */
static void arena_lost_pool(pool_ctx *c, pool_arena *a)
{
    assert(a == c->usable);
    last_with_leave(c, a);
    if (--a->nfreepools == 0) {
        usable_unlink(c, a);
        return;
    }
    c->last_with[a->nfreepools] = a;
}

/* A second entirely empty arena goes back to the system. */
static void arena_release(pool_ctx *c, pool_arena *a)
{
    if (a->nfreepools > 0) {
        last_with_leave(c, a);
        usable_unlink(c, a);
    }
    arena_unmap(c, a);
}

/* One of a's pools became empty: a moves behind the last arena with as
 * many free pools as it now has (or stays, when already in place). */
static void arena_gained_pool(pool_ctx *c, pool_arena *a)
{
    uint32_t n = a->nfreepools + 1;
    pool_arena *dest = c->last_with[n];
    if (n == c->npools && dest != NULL) {
        arena_release(c, a);
        return;
    }
    if (n == 1) {
        /* a was full, so off the list: every usable arena has >= 1 */
        a->nfreepools = 1;
        usable_insert_after(c, a, dest);
    } else {
        pool_arena *old_last = c->last_with[n - 1];
        last_with_leave(c, a);
        a->nfreepools = n;
        if (dest == NULL && old_last != a)
            dest = old_last;
        if (dest != NULL) {
            usable_unlink(c, a);
            usable_insert_after(c, a, dest);
        }
    }
    c->last_with[n] = a;
}

/* ------------------------------------------------------------------ */
/* Pools                                                               */
/* ------------------------------------------------------------------ */

/* An empty pool from the fullest usable arena (mapping one if none). */
static pool_hdr *pool_take(pool_ctx *c)
{
    pool_arena *a = c->usable;
    if (a == NULL) {
        a = arena_map(c);
        if (a == NULL)
            return NULL;
        usable_insert_after(c, a, NULL);
        c->last_with[a->nfreepools] = a;
    }
    pool_hdr *p = a->freepools;
    if (p != NULL) {
        a->freepools = p->next;
    } else {
        p = header_at(c, a->fresh);
        a->fresh += c->pool_bytes;
        al_vg_undefined(p, AL_POOL_HEADER_BYTES);
        p->arena = a;
    }
    arena_lost_pool(c, a);
    return p;
}

static void used_unlink(pool_ctx *c, pool_hdr *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        c->used[p->szidx] = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        c->used_tail[p->szidx] = p->prev;
}

/* New pools and full pools that got a block back queue at the tail (see
 * the header); a new pool is only started when the list is empty. */
static void used_append(pool_ctx *c, pool_hdr *p)
{
    pool_hdr *t = c->used_tail[p->szidx];
    p->next = NULL;
    p->prev = t;
    if (t)
        t->next = p;
    else
        c->used[p->szidx] = p;
    c->used_tail[p->szidx] = p;
}

/* A pool for class idx with its first block listed and the rest uncarved;
 * it becomes the class's used list (which was empty). */
static pool_hdr *pool_start(pool_ctx *c, uint32_t idx)
{
    pool_hdr *p = pool_take(c);
    if (p == NULL)
        return NULL;
    uintptr_t first = (uintptr_t)p + AL_POOL_HEADER_BYTES;
    p->szidx = idx;
    p->ref = 0;
    p->freeblock = (pool_block *)first;
    link_set(p->freeblock, NULL);
    p->bump = first + class_bytes(idx);
    used_append(c, p);
    return p;
}

/* The head pool of its used list ran out of listed blocks: carve the next
 * one, or, if none is left, the pool is full and leaves the list. */
static void pool_refill(pool_ctx *c, pool_hdr *p)
{
    size_t size = class_bytes(p->szidx);
    if (p->bump + size <= base_of(c, p) + c->pool_bytes) {
        pool_block *b = (pool_block *)p->bump;
        link_set(b, NULL);
        p->freeblock = b;
        p->bump += size;
        return;
    }
    c->used[p->szidx] = p->next;
    if (p->next)
        p->next->prev = NULL;
    else
        c->used_tail[p->szidx] = NULL;
}

/* The pool's last block was freed: back to its arena's free-pool list. */
static void pool_emptied(pool_ctx *c, pool_hdr *p, int was_full)
{
    if (!was_full)
        used_unlink(c, p);
    pool_arena *a = p->arena;
    p->next = a->freepools;
    a->freepools = p;
    arena_gained_pool(c, a); /* may unmap a, and p with it */
}

/* ------------------------------------------------------------------ */
/* Large requests: the C library                                       */
/* ------------------------------------------------------------------ */

/*
 * Doubles the large table (a page the first time); 0 or -1.  Mapped, not
 * malloc'd: a table from the C library is one more chunk in the heap the
 * large blocks share, and its growth changed where they went: measured on
 * large-arrays (scale 0.5, pool/mark-sweep), 24 MiB more peak RSS with a
 * realloc'd table than with none (likely cause: glibc raises its mmap
 * threshold when a mapped chunk is freed).
 */
static int large_grow(pool_ctx *c)
{
    size_t old = c->large_cap * sizeof *c->large;
    size_t bytes = old ? old * 2 : c->page_bytes;
    if (bytes < old)
        return -1;
    void *t = old ? mremap(c->large, old, bytes, MREMAP_MAYMOVE)
                  : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return -1;
    c->large = t;
    c->large_cap = bytes / sizeof *c->large;
    return 0;
}

static void *large_alloc(pool_ctx *c, size_t size)
{
    if (size > SIZE_MAX - sizeof(large_hdr))
        return NULL;
    if (c->nlarge == c->large_cap && large_grow(c) != 0)
        return NULL;
    large_hdr *h = malloc(sizeof *h + size);
    if (h == NULL)
        return NULL;
    h->slot = c->nlarge;
    c->large[c->nlarge++] = h;
    return h + 1;
}

static void large_free(pool_ctx *c, void *ptr)
{
    large_hdr *h = (large_hdr *)ptr - 1;
    large_hdr *last = c->large[--c->nlarge];
    c->large[h->slot] = last;
    last->slot = h->slot;
    free(h);
}

/* ------------------------------------------------------------------ */
/* The table's entry points                                            */
/* ------------------------------------------------------------------ */

static void *pool_alloc(void *vctx, size_t size)
{
    pool_ctx *c = vctx;
    if (size > AL_POOL_MAX_SMALL)
        return large_alloc(c, size);
    uint32_t idx = (uint32_t)((size - 1) >> CLASS_SHIFT);
    pool_hdr *p = c->used[idx];
    if (p == NULL && (p = pool_start(c, idx)) == NULL)
        return NULL;
    pool_block *b = p->freeblock;
    p->ref++;
    if ((p->freeblock = link_get(b)) == NULL)
        pool_refill(c, p);
    al_vg_alloc(c, b, size);
    return b;
}

static void pool_free(void *vctx, void *ptr, size_t size)
{
    pool_ctx *c = vctx;
    if (size > AL_POOL_MAX_SMALL) {
        large_free(c, ptr);
        return;
    }
    pool_hdr *p = header_at(c, (uintptr_t)ptr & c->pool_mask);
    assert(p->szidx == (size - 1) >> CLASS_SHIFT && p->ref > 0);
    pool_block *b = ptr, *head = p->freeblock;
    al_vg_free(c, b);
    link_set(b, head);
    p->freeblock = b;
    if (--p->ref == 0)
        pool_emptied(c, p, head == NULL);
    else if (head == NULL)
        used_append(c, p); /* was full: usable again, behind the others */
}

static int is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* 0 if the settings are usable; otherwise says why on stderr, -1. */
static int check_sizes(size_t arena, size_t pool, size_t page)
{
    if (!is_pow2(pool) || pool < MIN_POOL_BYTES) {
        fprintf(stderr, "pool: pool_bytes %zu is not valid (expected a power of two >= %zu)\n",
                pool, MIN_POOL_BYTES);
        return -1;
    }
    if (!is_pow2(arena) || arena < pool || arena > MAX_ARENA_BYTES) {
        fprintf(stderr,
                "pool: arena_bytes %zu is not valid (expected a power of two from pool_bytes "
                "%zu to %zu)\n",
                arena, pool, MAX_ARENA_BYTES);
        return -1;
    }
    if (arena % page != 0) {
        fprintf(stderr, "pool: arena_bytes %zu is not a multiple of the page size %zu\n", arena,
                page);
        return -1;
    }
    return 0;
}

/* What the C library holds from the system: its main arena (sbrk) and its
 * mmapped chunks, free chunks it keeps included. */
static uint64_t glibc_held(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (uint64_t)mi.arena + (uint64_t)mi.hblkhd;
}

static void *pool_create(const al_config *cfg)
{
    size_t arena = cfg && cfg->arena_bytes ? cfg->arena_bytes : DEFAULT_ARENA_BYTES;
    size_t pool = cfg && cfg->pool_bytes ? cfg->pool_bytes : DEFAULT_POOL_BYTES;
    long page = sysconf(_SC_PAGESIZE);
    size_t page_bytes = page > 0 ? (size_t)page : 4096;
    if (check_sizes(arena, pool, page_bytes) != 0)
        return NULL;
    pool_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->arena_bytes = arena;
    c->pool_bytes = pool;
    c->page_bytes = page_bytes;
    c->pool_mask = ~(uintptr_t)(pool - 1);
    c->pool_shift = (unsigned)__builtin_ctzll((unsigned long long)pool);
    c->colour_mask = al_pool_colours(pool) - 1;
    c->npools = (uint32_t)(arena / pool);
    c->last_with = calloc((size_t)c->npools + 1, sizeof *c->last_with);
    if (c->last_with == NULL) {
        free(c);
        return NULL;
    }
    c->glibc_base = glibc_held();
    al_vg_pool_create(c);
    return c;
}

/* ------------------------------------------------------------------ */
/* The GIL model                                                        */
/* ------------------------------------------------------------------ */

static void pool_destroy(void *vctx);

/*
 * pymalloc is not thread-safe: CPython calls it with the GIL held, so two
 * threads never allocate at once.  Under threads > 1 the heap is given one
 * mutex taken around every alloc and free, which is that model: threads
 * serialise on the allocator and a cross-thread free is an ordinary free
 * (the block goes back to its pool's free list, whichever thread it came
 * from).  With one thread there is no lock; the entry points test one
 * pointer, so the single-thread path is the same code it was.
 */
static void *pool_entry_alloc(void *vctx, size_t size)
{
    pool_ctx *c = vctx;
    al_thread_lock_take(&c->gil);
    void *p = pool_alloc(c, size);
    al_thread_lock_give(&c->gil);
    return p;
}

static void pool_entry_free(void *vctx, void *ptr, size_t size)
{
    pool_ctx *c = vctx;
    al_thread_lock_take(&c->gil);
    pool_free(c, ptr, size);
    al_thread_lock_give(&c->gil);
}

static void *pool_create_gil(const al_config *cfg)
{
    pool_ctx *c = pool_create(cfg);
    if (c != NULL && al_thread_lock_open(&c->gil, cfg) != 0) {
        pool_destroy(c);
        return NULL;
    }
    return c;
}

static void pool_destroy(void *vctx)
{
    pool_ctx *c = vctx;
    if (c == NULL)
        return;
    al_thread_lock_close(&c->gil);
    al_vg_pool_destroy(c);
    while (c->all != NULL) {
        pool_arena *a = c->all;
        c->all = a->all_next;
        munmap((void *)a->base, c->arena_bytes);
        free(a);
    }
    for (size_t i = 0; i < c->nlarge; i++)
        free(c->large[i]);
    if (c->large_cap)
        munmap(c->large, c->large_cap * sizeof *c->large);
    free(c->last_with);
    free(c);
}

/* ------------------------------------------------------------------ */
/* Statistics, computed when asked (see "Books off the clock")         */
/* ------------------------------------------------------------------ */

/* Bytes in live small blocks: ref * class size over every carved pool
 * (an empty one has ref 0). */
static uint64_t small_block_bytes(const pool_ctx *c)
{
    uint64_t n = 0;
    for (const pool_arena *a = c->all; a != NULL; a = a->all_next)
        for (uintptr_t x = a->base; x < a->fresh; x += c->pool_bytes) {
            const pool_hdr *p = header_at(c, x);
            n += (uint64_t)p->ref * class_bytes(p->szidx);
        }
    return n;
}

/* Blocks ahead whose chunk header is prefetched while one is read. */
#define LARGE_PREFETCH 16

/* The live large blocks: their count and what the C library holds for
 * them (malloc_usable_size of each chunk, its header included; glibc
 * reads the size word just below the chunk, hence the prefetch there). */
static void large_sum(const pool_ctx *c, uint64_t *bytes, uint64_t *count)
{
    uint64_t n = 0;
    for (size_t i = 0; i < c->nlarge; i++) {
        if (i + LARGE_PREFETCH < c->nlarge)
            __builtin_prefetch((const char *)c->large[i + LARGE_PREFETCH] - sizeof(size_t));
        n += malloc_usable_size(c->large[i]);
    }
    *bytes = n;
    *count = c->nlarge;
}

/*
 * The footprint reported: arena bytes mapped, exact, with its peak the
 * most arenas ever mapped at once, as long as no block went to the C
 * library.  Once one has, the C library's holdings for them are what it
 * keeps from the system (its arena and mmapped chunks, read with
 * mallinfo2, over what it held when the heap was created), not the usable
 * sizes of the live chunks: read when stats() is called, so the footprint
 * is sampled (footprint_exact 0) and its peak is the peak of those reads
 * (never below the arenas' own peak, a lower bound of the true one).
 * mallinfo2 is process-wide; in a run, nothing else of the process takes
 * from malloc.
 */
static void pool_stats(void *vctx, al_backend_stats *out)
{
    pool_ctx *c = vctx;
    uint64_t large_bytes, large_count;
    large_sum(c, &large_bytes, &large_count);
    uint64_t blocks = small_block_bytes(c) + large_bytes;
    if (blocks > c->stat_peak_blocks)
        c->stat_peak_blocks = blocks;
    uint64_t fp = c->arenas_current * c->arena_bytes;
    uint64_t peak = c->arenas_highwater * c->arena_bytes;
    if (c->large_cap > 0) {
        uint64_t g = glibc_held();
        fp += g > c->glibc_base ? g - c->glibc_base : 0;
        if (fp > c->stat_peak)
            c->stat_peak = fp;
        if (c->stat_peak > peak)
            peak = c->stat_peak;
    }
    *out = (al_backend_stats){
        .block_bytes = blocks,
        .peak_block_bytes = c->stat_peak_blocks,
        .footprint_bytes = fp,
        .peak_footprint_bytes = peak,
        .large_bytes = large_bytes,
        .large_count = large_count,
        .footprint_exact = c->large_cap == 0,
    };
}

static const char *pool_version(void)
{
    return "1 (pymalloc model, 32 classes of 16 bytes)";
}

/* ------------------------------------------------------------------ */
/* Breakdown and dump                                                  */
/* ------------------------------------------------------------------ */

static void breakdown_pool(const pool_ctx *c, const pool_hdr *p, al_pool_breakdown *out)
{
    uint64_t size = class_bytes(p->szidx), cap = pool_capacity(c, p);
    al_pool_class_counts *k = &out->cls[p->szidx];
    k->pools++;
    k->full_pools += p->ref == cap;
    k->blocks_used += p->ref;
    k->blocks_free += cap - p->ref;
    out->pools_used++;
    out->allocated_bytes += p->ref * size;
    out->available_bytes += (cap - p->ref) * size;
    out->pool_header_bytes_total += AL_POOL_HEADER_BYTES;
    out->quantization_bytes += pool_room(c, p) % size;
    out->alignment_bytes += colour_of(c, base_of(c, p));
}

static void breakdown_arena(const pool_ctx *c, const pool_arena *a, al_pool_breakdown *out)
{
    for (uintptr_t x = a->base; x < a->fresh; x += c->pool_bytes) {
        const pool_hdr *p = header_at(c, x);
        if (p->ref == 0)
            out->pools_empty++;
        else
            breakdown_pool(c, p, out);
    }
    out->pools_fresh += (a->base + c->arena_bytes - a->fresh) / c->pool_bytes;
}

void al_pool_get_breakdown(void *ctx, al_pool_breakdown *out)
{
    const pool_ctx *c = ctx;
    *out = (al_pool_breakdown){
        .arena_bytes = c->arena_bytes,
        .pool_bytes = c->pool_bytes,
        .pool_header_bytes = AL_POOL_HEADER_BYTES,
        .pools_per_arena = c->npools,
        .arenas_allocated = c->arenas_allocated,
        .arenas_reclaimed = c->arenas_reclaimed,
        .arenas_highwater = c->arenas_highwater,
        .arenas_current = c->arenas_current,
    };
    large_sum(c, &out->large_bytes, &out->large_count);
    for (const pool_arena *a = c->all; a != NULL; a = a->all_next)
        breakdown_arena(c, a, out);
    out->unused_pool_bytes = (out->pools_empty + out->pools_fresh) * c->pool_bytes;
    /* alignment_bytes: only colours (summed per used pool above); arenas
     * start pool-aligned and hold a whole number of pools. */
}

static void dump_classes(const al_pool_breakdown *bd, FILE *out)
{
    fprintf(out, "class  size  pools  full  blocks in use  free blocks\n");
    for (uint32_t i = 0; i < AL_POOL_NCLASSES; i++) {
        const al_pool_class_counts *k = &bd->cls[i];
        if (k->pools == 0)
            continue;
        fprintf(out, "%5u  %4zu  %5llu  %4llu  %13llu  %11llu\n", i, class_bytes(i),
                (unsigned long long)k->pools, (unsigned long long)k->full_pools,
                (unsigned long long)k->blocks_used, (unsigned long long)k->blocks_free);
    }
}

static void dump_line(FILE *out, const char *what, uint64_t v)
{
    fprintf(out, "%-40s = %15llu\n", what, (unsigned long long)v);
}

static void pool_dump(void *ctx, FILE *out)
{
    al_pool_breakdown bd;
    al_pool_get_breakdown(ctx, &bd);
    char line[80];
    fprintf(out, "pool allocator: %zu-byte arenas of %llu %zu-byte pools, %zu-byte pool header\n",
            bd.arena_bytes, (unsigned long long)bd.pools_per_arena, bd.pool_bytes,
            bd.pool_header_bytes);
    dump_classes(&bd, out);
    fputc('\n', out);
    dump_line(out, "# arenas allocated total", bd.arenas_allocated);
    dump_line(out, "# arenas reclaimed", bd.arenas_reclaimed);
    dump_line(out, "# arenas highwater mark", bd.arenas_highwater);
    dump_line(out, "# arenas allocated current", bd.arenas_current);
    snprintf(line, sizeof line, "%llu arenas * %zu bytes/arena",
             (unsigned long long)bd.arenas_current, bd.arena_bytes);
    dump_line(out, line, bd.arenas_current * bd.arena_bytes);
    fputc('\n', out);
    dump_line(out, "# bytes in allocated blocks", bd.allocated_bytes);
    dump_line(out, "# bytes in available blocks", bd.available_bytes);
    snprintf(line, sizeof line, "%llu unused pools * %zu bytes",
             (unsigned long long)(bd.pools_empty + bd.pools_fresh), bd.pool_bytes);
    dump_line(out, line, bd.unused_pool_bytes);
    dump_line(out, "# bytes lost to pool headers", bd.pool_header_bytes_total);
    dump_line(out, "# bytes lost to quantization", bd.quantization_bytes);
    dump_line(out, "# bytes lost to header colouring", bd.alignment_bytes);
    dump_line(out, "Total", bd.allocated_bytes + bd.available_bytes + bd.unused_pool_bytes +
                                 bd.pool_header_bytes_total + bd.quantization_bytes +
                                 bd.alignment_bytes);
    fputc('\n', out);
    dump_line(out, "# large requests (malloc) live", bd.large_count);
    dump_line(out, "# bytes in large requests (usable size)", bd.large_bytes);
}

/* ------------------------------------------------------------------ */
/* The validator (tests)                                               */
/* ------------------------------------------------------------------ */

/* Checks one used or full pool's free list and counts against ref. */
static const char *check_pool(const pool_ctx *c, const pool_arena *a, const pool_hdr *p)
{
    if (p->arena != a)
        return "pool header names the wrong arena";
    if (p->szidx >= AL_POOL_NCLASSES)
        return "pool size class out of range";
    uintptr_t base = base_of(c, p);
    if ((uintptr_t)p != base + al_pool_colour_bytes(base, c->pool_bytes))
        return "pool header not at its colour offset";
    uint32_t cap = pool_capacity(c, p);
    size_t size = class_bytes(p->szidx);
    uintptr_t first = (uintptr_t)p + AL_POOL_HEADER_BYTES, end = base + c->pool_bytes;
    if (p->ref > cap)
        return "pool ref exceeds its capacity";
    if (p->bump < first + size || p->bump > end || (p->bump - first) % size != 0)
        return "pool bump pointer out of place";
    uint64_t listed = 0;
    for (const pool_block *b = p->freeblock; b != NULL; b = link_get(b)) {
        uintptr_t x = (uintptr_t)b;
        if (x < first || x >= p->bump || (x - first) % size != 0)
            return "free block outside the pool's carved blocks";
        if (++listed > cap)
            return "pool free list longer than its capacity (a cycle?)";
    }
    uint64_t uncarved = (end - p->bump) / size;
    if (listed + uncarved + p->ref != cap)
        return "pool free + uncarved + in use != capacity";
    if ((p->freeblock == NULL) != (p->ref == cap))
        return "pool full but has a free block, or not full with none listed";
    return NULL;
}

/* Checks one arena's pools; adds its live small bytes to *small. */
static const char *check_arena(const pool_ctx *c, const pool_arena *a, uint64_t *small)
{
    if (a->base & ~c->pool_mask)
        return "arena base not pool-aligned";
    if (a->fresh < a->base || a->fresh > a->base + c->arena_bytes)
        return "arena fresh mark out of range";
    uint64_t listed = 0;
    for (const pool_hdr *p = a->freepools; p != NULL; p = p->next) {
        uintptr_t x = (uintptr_t)p & c->pool_mask;
        if (x < a->base || x >= a->fresh || p != header_at(c, x) || p->ref != 0)
            return "bad pool on an arena's free-pool list";
        if (++listed > c->npools)
            return "arena free-pool list too long (a cycle?)";
    }
    uint64_t empty = 0;
    for (uintptr_t x = a->base; x < a->fresh; x += c->pool_bytes) {
        const pool_hdr *p = header_at(c, x);
        if (p->ref == 0) {
            empty++;
            continue;
        }
        const char *why = check_pool(c, a, p);
        if (why)
            return why;
        *small += (uint64_t)p->ref * class_bytes(p->szidx);
    }
    if (empty != listed)
        return "empty pools not all on the free-pool list";
    if (a->nfreepools != listed + (a->base + c->arena_bytes - a->fresh) / c->pool_bytes)
        return "arena nfreepools miscounted";
    return NULL;
}

/* Used lists: linked both ways, right class, not full; counts them. */
static const char *check_used_lists(const pool_ctx *c, uint64_t limit, uint64_t *n)
{
    for (uint32_t i = 0; i < AL_POOL_NCLASSES; i++) {
        const pool_hdr *prev = NULL;
        for (const pool_hdr *p = c->used[i]; p != NULL; prev = p, p = p->next) {
            if (p->prev != prev || p->szidx != i || p->ref == 0 || p->freeblock == NULL)
                return "bad pool on a used list";
            if (++*n > limit)
                return "used list too long (a cycle?)";
        }
        if (c->used_tail[i] != prev)
            return "used_tail does not name the last pool of its list";
    }
    return NULL;
}

/* Usable list: sorted, linked both ways, last_with consistent. */
static const char *check_usable(const pool_ctx *c, uint64_t *n)
{
    const pool_arena *prev = NULL;
    for (const pool_arena *a = c->usable; a != NULL; prev = a, a = a->next) {
        if (a->prev != prev || a->nfreepools == 0 || a->nfreepools > c->npools)
            return "bad arena on the usable list";
        if (prev && prev->nfreepools > a->nfreepools)
            return "usable list not sorted by free-pool count";
        int last = a->next == NULL || a->next->nfreepools != a->nfreepools;
        if (last != (c->last_with[a->nfreepools] == a))
            return "last_with does not name the last arena of a group";
        if (++*n > c->arenas_current)
            return "usable list too long (a cycle?)";
    }
    uint64_t groups = 0;
    for (uint32_t k = 0; k <= c->npools; k++)
        groups += c->last_with[k] != NULL;
    uint64_t seen = 0;
    for (const pool_arena *a = c->usable; a != NULL; a = a->next)
        seen += a->next == NULL || a->next->nfreepools != a->nfreepools;
    return groups == seen ? NULL : "last_with names an arena that is not usable";
}

/* The large table: every live block's header names its own slot. */
static const char *check_large(const pool_ctx *c)
{
    if (c->nlarge > c->large_cap)
        return "more large blocks than the large table holds";
    for (size_t i = 0; i < c->nlarge; i++)
        if (c->large[i] == NULL || c->large[i]->slot != i)
            return "a large block's header does not name its slot";
    return NULL;
}

const char *al_pool_check(void *ctx)
{
    const pool_ctx *c = ctx;
    uint64_t arenas = 0, small = 0, usable = 0, empty_arenas = 0, partial = 0, listed = 0;
    uint64_t on_usable = 0;
    const char *why;
    for (const pool_arena *a = c->all; a != NULL; a = a->all_next) {
        if ((why = check_arena(c, a, &small)) != NULL)
            return why;
        usable += a->nfreepools > 0;
        empty_arenas += a->nfreepools == c->npools;
        if (++arenas > c->arenas_current)
            return "more arenas than arenas_current";
    }
    if (arenas != c->arenas_current || empty_arenas > 1)
        return "arena count wrong, or more than one entirely empty arena kept";
    if ((why = check_large(c)) != NULL) /* before the breakdown reads the table */
        return why;
    al_pool_breakdown bd;
    al_pool_get_breakdown(ctx, &bd);
    for (uint32_t i = 0; i < AL_POOL_NCLASSES; i++)
        partial += bd.cls[i].pools - bd.cls[i].full_pools;
    if ((why = check_used_lists(c, partial, &listed)) != NULL)
        return why;
    if (listed != partial)
        return "a partly used pool is missing from its used list";
    if ((why = check_usable(c, &on_usable)) != NULL)
        return why;
    if (on_usable != usable)
        return "an arena with free pools is missing from the usable list";
    if (small_block_bytes(c) != small)
        return "stats' walk of the pools disagrees with the validator's";
    return NULL;
}

const al_backend al_pool = {
    .name = "pool",
    .description = "pymalloc-style pools: 32 classes up to 512 B in 16 KiB pools, 1 MiB arenas",
    .version = pool_version,
    .unavailable = NULL,
    .create = pool_create_gil,
    .destroy = pool_destroy,
    .alloc = pool_entry_alloc,
    .free = pool_entry_free,
    .reset = NULL,
    .stats = pool_stats,
    .dump = pool_dump,
    .threads = "a global lock: the GIL model (threads take turns, as under CPython's GIL)",
};
