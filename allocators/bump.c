/*
 * allocators/bump.c -- the `bump` backend: a pointer bumped through mapped
 * chunks; free does nothing; reset frees everything at once.
 *
 * The cheapest allocator there is, and the lower bound the others are
 * measured against (a copying collector's nursery allocates this way).
 *
 *     chunk (chunk_bytes, mmapped, page-aligned)
 *     +------+---------+---------+-----+---------------------------+
 *     | hdr  | block   | block   | ... | available: cur ... end    |
 *     +------+---------+---------+-----+---------------------------+
 *
 * Every block size is rounded up to AL_ALIGN; chunks are page-aligned and
 * the header is a multiple of AL_ALIGN, so every block is aligned.  When a
 * request does not fit in the current chunk's tail, the tail is abandoned
 * (counted as waste) and the next chunk is used.  A request larger than a
 * chunk's payload gets a chunk of its own ("big"), mapped to its size
 * rounded up to a page; the current chunk keeps being bumped.
 *
 * free() does nothing: the bytes stay in block_bytes (they are "dead")
 * until reset().  reset() unmaps the big chunks and rewinds to the first standard
 * chunk, KEEPING the other standard chunks mapped for reuse: a bump heap is
 * reset over and over (a nursery after each minor collection, a benchmark
 * between rounds), and unmapping would make every round pay mmap, munmap and
 * a page fault per page again.  The footprint therefore stays at its high
 * water until destroy(); that is the honest figure for this policy.
 *
 * Accounting identity, exact at every moment (the dump prints it):
 *   footprint == headers + block_bytes + waste + available
 * where headers = one header per mapped chunk, waste = abandoned chunk
 * tails + the page rounding of big chunks, and available = the current
 * chunk's tail + the payload of the retained chunks after it.
 *
 * Books off the clock.  An allocation that fits writes the bump pointer
 * and nothing else; free writes nothing.  The counts kept change only
 * where a chunk is mapped or left (footprint, waste, chunks, the big
 * blocks), and block_bytes is computed from the identity when stats() is
 * called.  Block bytes and the footprint only grow between resets (free
 * gives nothing back), so each peak is the larger of the value now and
 * the peak folded in at the last reset: exact, with no count per block.
 *
 * Threads (cfg->threads > 1).  Each thread bumps its own region: its own
 * current chunk, chunk lists and counters, claimed the first time the
 * thread calls (a thread-local note of the heap and its region; the claim
 * takes a mutex, once per thread, and regions are never given back), so an
 * allocation takes no lock and no atomic.  A free, of any thread's block,
 * touches nothing, so every region has one writer, its thread.  The
 * heap's figures are the sums over the regions, read when no thread
 * allocates (stats, dump, reset: the harness calls them between phases).
 * One thread: one region, no thread-local lookup, the path it always
 * was.
 *
 * Memcheck (allocators/vg.h; no code at all unless HB_VALGRIND).  The heap
 * is a mempool and each block a block of it, of the size requested; a
 * chunk's payload is inaccessible until bumped.  Although free() keeps the
 * bytes, it makes the block inaccessible, so a collector that still reads
 * a block it freed is reported; reset() makes every block inaccessible.
 */
#include "allocators/allocator.h"
#include "allocators/thread_lock.h"
#include "allocators/vg.h"

#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUMP_DEFAULT_CHUNK ((size_t)1 << 20)
#define BUMP_MAX_CHUNK ((size_t)1 << 30)

typedef struct bump_chunk {
    struct bump_chunk *next;
    size_t bytes; /* mapped bytes, header included */
} bump_chunk;

/* The header rounded up so that the first block is aligned. */
#define BUMP_HDR ((sizeof(bump_chunk) + AL_ALIGN - 1) & ~(size_t)(AL_ALIGN - 1))

/*
 * One thread's bump pointer and its books, none of them written by an
 * allocation that fits.  Invariants: cur and end lie in `current`, a chunk
 * of the standard list (first -> ... -> current -> retained ...); big
 * chunks are on their own list; footprint == sum of the bytes of every
 * chunk of the region.
 */
typedef struct bump_region {
    char *cur, *end;
    bump_chunk *first, *current, *big;
    size_t chunk_bytes, page;
    const void *vg;                    /* the heap: memcheck's pool */
    uint64_t footprint;
    uint64_t waste;
    uint64_t large_bytes, large_count; /* blocks in big chunks, since reset */
    uint64_t chunks, big_chunks;       /* mapped now */
    uint64_t behind;                   /* standard chunks before current */
    struct bump_region *next;          /* threads > 1: the heap's other regions */
} bump_region;

typedef struct bump_heap {
    bump_region one;      /* the only region, or the first thread's */
    bump_region *others;  /* threads > 1: the regions claimed after it */
    uint64_t id;          /* names the heap in the threads' notes */
    uint64_t peak_block_bytes, peak_footprint; /* folded in at resets */
    uint64_t resets;
    int claimed_one;      /* threads > 1: `one` has its thread */
    al_thread_lock claim; /* threads > 1: taken to claim a region */
} bump_heap;

static size_t round_align(size_t n)
{
    return (n + AL_ALIGN - 1) & ~(size_t)(AL_ALIGN - 1);
}

static const char *bump_version(void)
{
    return "builtin";
}

/* ---- mapping ---- */

static bump_chunk *map_chunk(bump_region *h, size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    bump_chunk *c = m;
    c->next = NULL;
    c->bytes = bytes;
    al_vg_noaccess((char *)c + BUMP_HDR, bytes - BUMP_HDR); /* opened as bumped */
    h->footprint += bytes;
    return c;
}

static void unmap_chunk(bump_region *h, bump_chunk *c)
{
    h->footprint -= c->bytes;
    munmap(c, c->bytes);
}

static void enter_chunk(bump_region *h, bump_chunk *c)
{
    h->current = c;
    h->cur = (char *)c + BUMP_HDR;
    h->end = (char *)c + c->bytes;
}

/* ---- create / destroy ---- */

static int chunk_size_ok(size_t bytes, size_t page)
{
    return bytes >= page && bytes <= BUMP_MAX_CHUNK && bytes % page == 0;
}

/* A region; with map_first its first chunk mapped (the heap's own region),
 * else mapped at its first allocation (a thread that only frees maps
 * nothing).  0 or -1. */
static int region_open(bump_region *r, const bump_heap *h, size_t chunk_bytes, size_t page,
                       int map_first)
{
    memset(r, 0, sizeof *r);
    r->chunk_bytes = chunk_bytes;
    r->page = page;
    r->vg = h;
    if (!map_first)
        return 0;
    r->first = map_chunk(r, chunk_bytes);
    if (r->first == NULL)
        return -1;
    r->chunks = 1;
    enter_chunk(r, r->first);
    return 0;
}

static void *bump_create(const al_config *cfg)
{
    static uint64_t heaps; /* atomic: heap ids, never reused */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t want = cfg && cfg->chunk_bytes ? cfg->chunk_bytes : BUMP_DEFAULT_CHUNK;
    if (!chunk_size_ok(want, page)) {
        fprintf(stderr,
                "bump: chunk_bytes %zu is not valid, expected a multiple of the page size "
                "(%zu) between %zu and %zu\n",
                want, page, page, BUMP_MAX_CHUNK);
        return NULL;
    }
    bump_heap *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    if (region_open(&h->one, h, want, page, 1) != 0 || al_thread_lock_open(&h->claim, cfg) != 0) {
        if (h->one.first)
            munmap(h->one.first, h->one.first->bytes);
        free(h);
        return NULL;
    }
    h->id = __atomic_add_fetch(&heaps, 1, __ATOMIC_RELAXED);
    al_vg_pool_create(h);
    return h;
}

static void unmap_list(bump_region *h, bump_chunk *c)
{
    while (c != NULL) {
        bump_chunk *next = c->next;
        unmap_chunk(h, c);
        c = next;
    }
}

static void region_close(bump_region *r)
{
    unmap_list(r, r->big);
    unmap_list(r, r->first);
}

static void bump_destroy(void *ctx)
{
    bump_heap *h = ctx;
    al_vg_pool_destroy(h);
    region_close(&h->one);
    while (h->others) {
        bump_region *r = h->others;
        h->others = r->next;
        region_close(r);
        free(r);
    }
    al_thread_lock_close(&h->claim);
    free(h);
}

/* ---- the calling thread's region ---- */

/* Each thread's note of the last heap it bumped and its region there. */
static _Thread_local struct {
    uint64_t heap;
    bump_region *r;
} mine;

/* A region for this thread: `one` if no thread has it yet, else a new one
 * on the others' list.  NULL without memory. */
static bump_region *claim_region(bump_heap *h)
{
    bump_region *r = NULL;
    al_thread_lock_take(&h->claim);
    if (!h->claimed_one) {
        h->claimed_one = 1;
        r = &h->one;
    } else if ((r = malloc(sizeof *r)) != NULL) {
        if (region_open(r, h, h->one.chunk_bytes, h->one.page, 0) == 0) {
            r->next = h->others;
            h->others = r;
        } else {
            free(r);
            r = NULL;
        }
    }
    al_thread_lock_give(&h->claim);
    return r;
}

static inline bump_region *region_of(bump_heap *h)
{
    if (!al_thread_lock_on(&h->claim))
        return &h->one;
    if (mine.heap == h->id)
        return mine.r;
    bump_region *r = claim_region(h);
    if (r != NULL) {
        mine.heap = h->id;
        mine.r = r;
    }
    return r;
}

/* ---- allocation ---- */

/* A request larger than a chunk's payload: a chunk of its own. */
static void *alloc_big(bump_region *h, size_t r)
{
    if (r > SIZE_MAX - BUMP_HDR - h->page)
        return NULL;
    size_t bytes = (BUMP_HDR + r + h->page - 1) & ~(h->page - 1);
    bump_chunk *c = map_chunk(h, bytes);
    if (c == NULL)
        return NULL;
    c->next = h->big;
    h->big = c;
    h->big_chunks++;
    h->waste += bytes - BUMP_HDR - r;
    h->large_bytes += r;
    h->large_count++;
    return (char *)c + BUMP_HDR;
}

/* The current chunk is too full: abandon its tail, move to the next one
 * (or the region's first, mapped now). */
static void *alloc_next_chunk(bump_region *h, size_t r)
{
    bump_chunk *next = h->current ? h->current->next : NULL; /* retained by a reset */
    if (next == NULL) {
        next = map_chunk(h, h->chunk_bytes);
        if (next == NULL)
            return NULL;
        if (h->current)
            h->current->next = next;
        else
            h->first = next;
        h->chunks++;
    }
    h->waste += (uint64_t)(h->end - h->cur);
    h->behind += h->current != NULL;
    enter_chunk(h, next);
    char *p = h->cur;
    h->cur += r;
    return p;
}

static void *bump_carve(bump_region *h, size_t size)
{
    if (size > SIZE_MAX - AL_ALIGN)
        return NULL;
    size_t r = round_align(size);
    if (r <= (size_t)(h->end - h->cur)) {
        char *p = h->cur;
        h->cur += r;
        return p;
    }
    if (r > h->chunk_bytes - BUMP_HDR)
        return alloc_big(h, r);
    return alloc_next_chunk(h, r);
}

static void *bump_alloc(void *ctx, size_t size)
{
    bump_region *r = region_of(ctx);
    void *p = r ? bump_carve(r, size) : NULL;
    if (p != NULL)
        al_vg_alloc(ctx, p, size);
    return p;
}

/* The bytes stay allocated until reset; for memcheck only, the block
 * becomes inaccessible. */
static void bump_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)p;
    (void)size;
    al_vg_free(ctx, p);
}

/* Every region of h as r, `one` first. */
#define EACH_REGION(h, r) \
    for (bump_region *r = &(h)->one; r != NULL; r = (r == &(h)->one ? (h)->others : r->next))

/* Bytes not yet handed out in r: its current tail and the payload of the
 * standard chunks retained after it (every standard chunk is chunk_bytes,
 * so no walk: stats() is cheap enough to call between timed batches). */
static uint64_t region_available(const bump_region *r)
{
    uint64_t after = r->chunks - r->behind - (r->current != NULL);
    return (uint64_t)(r->end - r->cur) + after * (r->chunk_bytes - BUMP_HDR);
}

/* The same, by walking the retained chunks: the dump's figure, so that the
 * identity it prints checks the count against the chunks. */
static uint64_t region_available_walked(const bump_region *r)
{
    uint64_t n = (uint64_t)(r->end - r->cur);
    for (const bump_chunk *c = r->current ? r->current->next : NULL; c; c = c->next)
        n += c->bytes - BUMP_HDR;
    return n;
}

/* r's block bytes, live and dead, from the identity (the file's opening). */
static uint64_t region_blocks(const bump_region *r)
{
    uint64_t headers = (r->chunks + r->big_chunks) * BUMP_HDR;
    return r->footprint - headers - r->waste - region_available(r);
}

/* The regions' books summed; the peaks exact (see the file's opening). */
typedef struct bump_totals {
    uint64_t block_bytes, peak_block_bytes, footprint, peak_footprint, waste;
    uint64_t large_bytes, large_count, chunks, big_chunks, regions;
} bump_totals;

static void sum_regions(bump_heap *h, bump_totals *t)
{
    memset(t, 0, sizeof *t);
    EACH_REGION(h, r) {
        t->block_bytes += region_blocks(r);
        t->footprint += r->footprint;
        t->waste += r->waste;
        t->large_bytes += r->large_bytes;
        t->large_count += r->large_count;
        t->chunks += r->chunks;
        t->big_chunks += r->big_chunks;
        t->regions++;
    }
    t->peak_block_bytes = h->peak_block_bytes > t->block_bytes ? h->peak_block_bytes : t->block_bytes;
    t->peak_footprint = h->peak_footprint > t->footprint ? h->peak_footprint : t->footprint;
}

/* Memcheck: every block is forgotten, and the payload of the standard
 * chunks, kept for reuse, is inaccessible until bumped again. */
static void vg_forget_blocks(bump_heap *h)
{
#if AL_VG
    al_vg_pool_destroy(h);
    al_vg_pool_create(h);
    EACH_REGION(h, r)
        for (const bump_chunk *c = r->first; c != NULL; c = c->next)
            al_vg_noaccess((const char *)c + BUMP_HDR, c->bytes - BUMP_HDR);
#else
    (void)h;
#endif
}

static void region_reset(bump_region *r)
{
    unmap_list(r, r->big);
    r->big = NULL;
    r->big_chunks = 0;
    if (r->first)
        enter_chunk(r, r->first);
    r->waste = 0;
    r->behind = 0;
    r->large_bytes = r->large_count = 0;
}

/* Called with no thread allocating. */
static void bump_reset(void *ctx)
{
    bump_heap *h = ctx;
    bump_totals t;
    sum_regions(h, &t);
    h->peak_block_bytes = t.peak_block_bytes;
    h->peak_footprint = t.peak_footprint;
    vg_forget_blocks(h);
    EACH_REGION(h, r)
        region_reset(r);
    h->resets++;
}

/* ---- statistics ---- */

static void bump_stats(void *ctx, al_backend_stats *out)
{
    bump_totals t;
    sum_regions(ctx, &t);
    *out = (al_backend_stats){
        .block_bytes = t.block_bytes,
        .peak_block_bytes = t.peak_block_bytes,
        .footprint_bytes = t.footprint,
        .peak_footprint_bytes = t.peak_footprint,
        .large_bytes = t.large_bytes,
        .large_count = t.large_count,
        .footprint_exact = 1,
    };
}

static uint64_t available_walked(bump_heap *h)
{
    uint64_t n = 0;
    EACH_REGION(h, r)
        n += region_available_walked(r);
    return n;
}

static uint64_t retained_chunks(bump_heap *h)
{
    uint64_t n = 0;
    EACH_REGION(h, r)
        for (const bump_chunk *c = r->current ? r->current->next : NULL; c; c = c->next)
            n++;
    return n;
}

static void dump_line(FILE *out, const char *label, uint64_t v)
{
    fprintf(out, "  %-28s %20llu\n", label, (unsigned long long)v);
}

static void bump_dump(void *ctx, FILE *out)
{
    bump_heap *h = ctx;
    bump_totals t;
    sum_regions(h, &t);
    fprintf(out, "bump (chunk %zu bytes, %llu resets, %llu region(s))\n", h->one.chunk_bytes,
            (unsigned long long)h->resets, (unsigned long long)t.regions);
    dump_line(out, "standard chunks:", t.chunks);
    dump_line(out, "  retained, unused:", retained_chunks(h));
    dump_line(out, "big chunks:", t.big_chunks);
    dump_line(out, "footprint (mapped bytes):", t.footprint);
    dump_line(out, "  block bytes:", t.block_bytes);
    dump_line(out, "  chunk headers:", (t.chunks + t.big_chunks) * BUMP_HDR);
    dump_line(out, "  waste (tails, page slack):", t.waste);
    dump_line(out, "  available:", available_walked(h));
    dump_line(out, "large blocks:", t.large_count);
    dump_line(out, "large bytes:", t.large_bytes);
    dump_line(out, "peak block bytes:", t.peak_block_bytes);
    dump_line(out, "peak footprint:", t.peak_footprint);
}

const al_backend al_bump = {
    .name = "bump",
    .description = "pointer bump through mmapped chunks; free is a no-op, reset frees all",
    .version = bump_version,
    .unavailable = NULL,
    .create = bump_create,
    .destroy = bump_destroy,
    .alloc = bump_alloc,
    .free = bump_free,
    .reset = bump_reset,
    .stats = bump_stats,
    .dump = bump_dump,
    .threads = "a bump region per thread (no lock; frees counted by the freeing thread)",
};
