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
 * free() only counts: the bytes stay in block_bytes (they are "dead") until
 * reset().  reset() unmaps the big chunks and rewinds to the first standard
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
 * Memcheck (allocators/vg.h; no code at all unless HB_VALGRIND).  The heap
 * is a mempool and each block a block of it, of the size requested; a
 * chunk's payload is inaccessible until bumped.  Although free() keeps the
 * bytes, it makes the block inaccessible, so a collector that still reads
 * a block it freed is reported; reset() makes every block inaccessible.
 */
#include "allocators/allocator.h"
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
 * Invariants: cur and end lie in `current`, a chunk of the standard list
 * (first -> ... -> current -> retained ...); big chunks are on their own list;
 * dead_bytes <= block_bytes; footprint == sum of the bytes of every chunk.
 */
typedef struct bump_heap {
    char *cur, *end;
    bump_chunk *first, *current, *big;
    size_t chunk_bytes;
    size_t page;
    uint64_t block_bytes, peak_block_bytes, dead_bytes;
    uint64_t footprint, peak_footprint;
    uint64_t waste;
    uint64_t large_bytes, large_count; /* blocks in big chunks, since reset */
    uint64_t chunks, big_chunks;       /* mapped now */
    uint64_t resets;
    pthread_mutex_t *lock; /* threads > 1: taken around alloc and free */
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

static bump_chunk *map_chunk(bump_heap *h, size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    bump_chunk *c = m;
    c->next = NULL;
    c->bytes = bytes;
    al_vg_noaccess((char *)c + BUMP_HDR, bytes - BUMP_HDR); /* opened as bumped */
    h->footprint += bytes;
    if (h->footprint > h->peak_footprint)
        h->peak_footprint = h->footprint;
    return c;
}

static void unmap_chunk(bump_heap *h, bump_chunk *c)
{
    h->footprint -= c->bytes;
    munmap(c, c->bytes);
}

static void enter_chunk(bump_heap *h, bump_chunk *c)
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

static void *bump_create(const al_config *cfg)
{
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
    h->chunk_bytes = want;
    h->page = page;
    h->first = map_chunk(h, want);
    if (h->first == NULL) {
        free(h);
        return NULL;
    }
    h->chunks = 1;
    enter_chunk(h, h->first);
    al_vg_pool_create(h);
    return h;
}

static void unmap_list(bump_heap *h, bump_chunk *c)
{
    while (c != NULL) {
        bump_chunk *next = c->next;
        unmap_chunk(h, c);
        c = next;
    }
}

static void bump_destroy(void *ctx)
{
    bump_heap *h = ctx;
    al_vg_pool_destroy(h);
    unmap_list(h, h->big);
    unmap_list(h, h->first);
    if (h->lock) {
        pthread_mutex_destroy(h->lock);
        free(h->lock);
    }
    free(h);
}

/* ---- allocation ---- */

static void count_block(bump_heap *h, size_t r)
{
    h->block_bytes += r;
    if (h->block_bytes > h->peak_block_bytes)
        h->peak_block_bytes = h->block_bytes;
}

/* A request larger than a chunk's payload: a chunk of its own. */
static void *alloc_big(bump_heap *h, size_t r)
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
    count_block(h, r);
    return (char *)c + BUMP_HDR;
}

/* The current chunk is too full: abandon its tail, move to the next one. */
static void *alloc_next_chunk(bump_heap *h, size_t r)
{
    bump_chunk *next = h->current->next; /* retained by an earlier reset */
    if (next == NULL) {
        next = map_chunk(h, h->chunk_bytes);
        if (next == NULL)
            return NULL;
        h->current->next = next;
        h->chunks++;
    }
    h->waste += (uint64_t)(h->end - h->cur);
    enter_chunk(h, next);
    char *p = h->cur;
    h->cur += r;
    count_block(h, r);
    return p;
}

static void *bump_carve(bump_heap *h, size_t size)
{
    if (size > SIZE_MAX - AL_ALIGN)
        return NULL;
    size_t r = round_align(size);
    if (r <= (size_t)(h->end - h->cur)) {
        char *p = h->cur;
        h->cur += r;
        count_block(h, r);
        return p;
    }
    if (r > h->chunk_bytes - BUMP_HDR)
        return alloc_big(h, r);
    return alloc_next_chunk(h, r);
}

static void *bump_alloc(void *ctx, size_t size)
{
    void *p = bump_carve(ctx, size);
    if (p != NULL)
        al_vg_alloc(ctx, p, size);
    return p;
}

/* The bytes stay allocated until reset; only count them as dead (and, for
 * memcheck, make them inaccessible). */
static void bump_free(void *ctx, void *p, size_t size)
{
    bump_heap *h = ctx;
    al_vg_free(h, p);
    h->dead_bytes += round_align(size);
}

/*
 * Threads.  The bump pointer is one per heap; under threads > 1 a mutex
 * guards it (a bump is a few instructions, so the lock is most of the cost:
 * a threaded run measures the serialised model, not per-thread chunks).
 * One thread: no lock, one pointer test.
 */
static void *bump_entry_alloc(void *ctx, size_t size)
{
    bump_heap *h = ctx;
    if (h->lock == NULL)
        return bump_alloc(h, size);
    pthread_mutex_lock(h->lock);
    void *p = bump_alloc(h, size);
    pthread_mutex_unlock(h->lock);
    return p;
}

static void bump_entry_free(void *ctx, void *p, size_t size)
{
    bump_heap *h = ctx;
    if (h->lock == NULL) {
        bump_free(h, p, size);
        return;
    }
    pthread_mutex_lock(h->lock);
    bump_free(h, p, size);
    pthread_mutex_unlock(h->lock);
}

static void *bump_create_locked(const al_config *cfg)
{
    bump_heap *h = bump_create(cfg);
    if (h == NULL || cfg == NULL || cfg->threads <= 1)
        return h;
    h->lock = malloc(sizeof *h->lock);
    if (h->lock == NULL || pthread_mutex_init(h->lock, NULL) != 0) {
        free(h->lock);
        h->lock = NULL;
        bump_destroy(h);
        return NULL;
    }
    return h;
}

/* Memcheck: every block is forgotten, and the payload of the standard
 * chunks, kept for reuse, is inaccessible until bumped again. */
static void vg_forget_blocks(bump_heap *h)
{
#if AL_VG
    al_vg_pool_destroy(h);
    al_vg_pool_create(h);
    for (const bump_chunk *c = h->first; c != NULL; c = c->next)
        al_vg_noaccess((const char *)c + BUMP_HDR, c->bytes - BUMP_HDR);
#else
    (void)h;
#endif
}

static void bump_reset(void *ctx)
{
    bump_heap *h = ctx;
    vg_forget_blocks(h);
    unmap_list(h, h->big);
    h->big = NULL;
    h->big_chunks = 0;
    enter_chunk(h, h->first);
    h->block_bytes = h->dead_bytes = h->waste = 0;
    h->large_bytes = h->large_count = 0;
    h->resets++;
}

/* ---- statistics ---- */

static void bump_stats(void *ctx, al_backend_stats *out)
{
    bump_heap *h = ctx;
    *out = (al_backend_stats){
        .block_bytes = h->block_bytes,
        .peak_block_bytes = h->peak_block_bytes,
        .footprint_bytes = h->footprint,
        .peak_footprint_bytes = h->peak_footprint,
        .large_bytes = h->large_bytes,
        .large_count = h->large_count,
        .footprint_exact = 1,
    };
}

/* Bytes not yet handed out: the current tail and the retained chunks. */
static uint64_t available_bytes(const bump_heap *h)
{
    uint64_t n = (uint64_t)(h->end - h->cur);
    for (const bump_chunk *c = h->current->next; c != NULL; c = c->next)
        n += c->bytes - BUMP_HDR;
    return n;
}

static uint64_t retained_chunks(const bump_heap *h)
{
    uint64_t n = 0;
    for (const bump_chunk *c = h->current->next; c != NULL; c = c->next)
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
    fprintf(out, "bump (chunk %zu bytes, %llu resets)\n", h->chunk_bytes,
            (unsigned long long)h->resets);
    dump_line(out, "standard chunks:", h->chunks);
    dump_line(out, "  retained, unused:", retained_chunks(h));
    dump_line(out, "big chunks:", h->big_chunks);
    dump_line(out, "footprint (mapped bytes):", h->footprint);
    dump_line(out, "  block bytes:", h->block_bytes);
    dump_line(out, "    of which live:", h->block_bytes - h->dead_bytes);
    dump_line(out, "    of which dead:", h->dead_bytes);
    dump_line(out, "  chunk headers:", (h->chunks + h->big_chunks) * BUMP_HDR);
    dump_line(out, "  waste (tails, page slack):", h->waste);
    dump_line(out, "  available:", available_bytes(h));
    dump_line(out, "large blocks:", h->large_count);
    dump_line(out, "large bytes:", h->large_bytes);
    dump_line(out, "peak block bytes:", h->peak_block_bytes);
    dump_line(out, "peak footprint:", h->peak_footprint);
}

const al_backend al_bump = {
    .name = "bump",
    .description = "pointer bump through mmapped chunks; free is a no-op, reset frees all",
    .version = bump_version,
    .unavailable = NULL,
    .create = bump_create_locked,
    .destroy = bump_destroy,
    .alloc = bump_entry_alloc,
    .free = bump_entry_free,
    .reset = bump_reset,
    .stats = bump_stats,
    .dump = bump_dump,
    .threads = "a lock around the one bump pointer",
};
