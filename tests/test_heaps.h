/*
 * tests/test_heaps.h -- two test-local allocators the collector tests share.
 *
 * test_alloc: malloc with every live block on a list (with its size and a
 * mark for reachability walks), so a test can check a collector without
 * trusting it.  arena_alloc: one reserved mapping bumped through, for the
 * 10-million-object tests (rc, rc-cycle, mark-sweep) where a list entry per
 * block would double memory.  Included by one test file each; everything
 * is static.
 */
#ifndef HB_TEST_HEAPS_H
#define HB_TEST_HEAPS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "allocators/allocator.h"

/* ---- a listing allocator ---- */

/* A 32-byte prefix per block (keeps 16-byte alignment): the list link, the
 * size allocated, and a mark the reachability walk uses. */
typedef struct tblock {
    struct tblock *next, *prev;
    size_t size;
    size_t mark;
} tblock;

typedef struct talloc {
    tblock head;
    uint64_t live;
    uint64_t bad_frees;
} talloc;

static void *ta_create(const al_config *cfg)
{
    (void)cfg;
    talloc *a = calloc(1, sizeof *a);
    if (a)
        a->head.next = a->head.prev = &a->head;
    return a;
}

static void ta_destroy(void *ctx)
{
    free(ctx);
}

static void *ta_alloc(void *ctx, size_t size)
{
    talloc *a = ctx;
    tblock *b = malloc(sizeof(tblock) + size);
    if (b == NULL)
        return NULL;
    b->size = size;
    b->mark = 0;
    b->next = a->head.next;
    b->prev = &a->head;
    a->head.next->prev = b;
    a->head.next = b;
    a->live++;
    return b + 1;
}

static void ta_free(void *ctx, void *p, size_t size)
{
    talloc *a = ctx;
    tblock *b = (tblock *)p - 1;
    if (b->size != size)
        a->bad_frees++;
    b->prev->next = b->next;
    b->next->prev = b->prev;
    a->live--;
    free(b);
}

static void ta_stats(void *ctx, al_backend_stats *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
}

static const al_backend test_alloc = {
    .name = "test-list",
    .description = "malloc with a list of live blocks",
    .create = ta_create,
    .destroy = ta_destroy,
    .alloc = ta_alloc,
    .free = ta_free,
    .stats = ta_stats,
};

/* A bump arena: one reserved mapping (1 GiB, reserved only: ten million
 * small objects fit), blocks aligned to AL_ALIGN; free only counts. */
typedef struct arena {
    char *base, *top, *end;
    uint64_t live;
} arena;

#define ARENA_BYTES ((size_t)1 << 30)

static void *ar_create(const al_config *cfg)
{
    (void)cfg;
    arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->base = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a->base == MAP_FAILED) {
        free(a);
        return NULL;
    }
    a->top = a->base;
    a->end = a->base + ARENA_BYTES;
    return a;
}

static void ar_destroy(void *ctx)
{
    arena *a = ctx;
    munmap(a->base, ARENA_BYTES);
    free(a);
}

static void *ar_alloc(void *ctx, size_t size)
{
    arena *a = ctx;
    size = (size + AL_ALIGN - 1) / AL_ALIGN * AL_ALIGN;
    if ((size_t)(a->end - a->top) < size)
        return NULL;
    void *p = a->top;
    a->top += size;
    a->live++;
    return p;
}

static void ar_free(void *ctx, void *p, size_t size)
{
    (void)p;
    (void)size;
    ((arena *)ctx)->live--;
}

/* The footprint is what was bumped: nothing is ever given back. */
static void ar_stats(void *ctx, al_backend_stats *out)
{
    arena *a = ctx;
    *out = (al_backend_stats){.footprint_bytes = (uint64_t)(a->top - a->base),
                              .footprint_exact = 1};
}

static const al_backend arena_alloc = {
    .name = "test-arena",
    .description = "bump arena",
    .create = ar_create,
    .destroy = ar_destroy,
    .alloc = ar_alloc,
    .free = ar_free,
    .stats = ar_stats,
};

#endif
