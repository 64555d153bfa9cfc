/*
 * allocators/malloc.c -- the `malloc` backend: the C library's malloc/free.
 *
 * The baseline every other backend is compared against, so it adds nothing
 * of its own beyond exact block accounting.  block_bytes is the sum of
 * malloc_usable_size() over live blocks: added on alloc, subtracted on free
 * (the usable size is read before the block goes back to the library).
 *
 * The footprint cannot be counted at each change, because the library maps
 * and trims memory on its own schedule.  It is read from mallinfo2() when
 * stats() is called: arena (bytes of the heap arenas obtained with sbrk or
 * mmap) + hblkhd (bytes of blocks the library mmapped individually).  Two
 * consequences, stated in footprint_exact = 0:
 *   - the figure covers the whole process's malloc use, not only this heap
 *     (the harness's own buffers are in it too);
 *   - peak_footprint_bytes is the maximum over stats() calls, so a peak
 *     between two calls is missed.
 * Under AddressSanitizer malloc is the sanitizer's and mallinfo2() still
 * reads glibc's (idle) arenas, so the footprint means nothing there.
 */
#include "allocators/allocator.h"

#include <assert.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* malloc's result is aligned for max_align_t; 16 bytes on x86-64 glibc. */
_Static_assert(alignof(max_align_t) >= AL_ALIGN,
               "the C library's malloc must return AL_ALIGN-aligned blocks");

/* Invariant: block_bytes == sum of malloc_usable_size over live blocks. */
typedef struct mal_heap {
    uint64_t block_bytes;
    uint64_t peak_block_bytes;
    uint64_t peak_footprint_bytes; /* max over stats() calls */
    uint64_t blocks;               /* live blocks */
} mal_heap;

static const char *mal_version(void)
{
    static char buf[48];
    if (buf[0] == '\0')
        snprintf(buf, sizeof buf, "glibc %s", gnu_get_libc_version());
    return buf;
}

static void *mal_create(const al_config *cfg)
{
    (void)cfg; /* nothing to configure: the library tunes itself */
    return calloc(1, sizeof(mal_heap));
}

static void mal_destroy(void *ctx)
{
    free(ctx);
}

static void *mal_alloc(void *ctx, size_t size)
{
    mal_heap *m = ctx;
    void *p = malloc(size);
    if (p == NULL)
        return NULL;
    assert(((uintptr_t)p & (AL_ALIGN - 1)) == 0);
    m->block_bytes += malloc_usable_size(p);
    m->blocks++;
    if (m->block_bytes > m->peak_block_bytes)
        m->peak_block_bytes = m->block_bytes;
    return p;
}

static void mal_free(void *ctx, void *p, size_t size)
{
    mal_heap *m = ctx;
    (void)size; /* glibc's free is not sized; the usable size is what counts */
    m->block_bytes -= malloc_usable_size(p);
    m->blocks--;
    free(p);
}

static uint64_t mal_footprint_now(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (uint64_t)mi.arena + (uint64_t)mi.hblkhd;
}

static void mal_stats(void *ctx, al_backend_stats *out)
{
    mal_heap *m = ctx;
    uint64_t fp = mal_footprint_now();
    if (fp > m->peak_footprint_bytes)
        m->peak_footprint_bytes = fp;
    *out = (al_backend_stats){
        .block_bytes = m->block_bytes,
        .peak_block_bytes = m->peak_block_bytes,
        .footprint_bytes = fp,
        .peak_footprint_bytes = m->peak_footprint_bytes,
        .large_bytes = 0, /* every block is the library's; none passed on */
        .large_count = 0,
        .footprint_exact = 0,
    };
}

static void mal_dump(void *ctx, FILE *out)
{
    mal_heap *m = ctx;
    struct mallinfo2 mi = mallinfo2();
    fprintf(out, "malloc (%s): this heap\n", mal_version());
    fprintf(out, "  live blocks            %20llu\n", (unsigned long long)m->blocks);
    fprintf(out, "  block bytes (usable)   %20llu\n", (unsigned long long)m->block_bytes);
    fprintf(out, "  peak block bytes       %20llu\n", (unsigned long long)m->peak_block_bytes);
    fprintf(out, "malloc: the whole process, from mallinfo2()\n");
    fprintf(out, "  arena (heap) bytes     %20zu\n", mi.arena);
    fprintf(out, "  mmapped block bytes    %20zu  (%zu blocks)\n", mi.hblkhd, mi.hblks);
    fprintf(out, "  in use (non-mmapped)   %20zu\n", mi.uordblks);
    fprintf(out, "  free in arenas         %20zu  (%zu free chunks)\n", mi.fordblks, mi.ordblks);
    fprintf(out, "  releasable top         %20zu\n", mi.keepcost);
    fprintf(out, "  footprint              %20zu  (arena + mmapped)\n", mi.arena + mi.hblkhd);
}

const al_backend al_malloc = {
    .name = "malloc",
    .description = "the C library's malloc/free (footprint sampled from mallinfo2)",
    .version = mal_version,
    .unavailable = NULL,
    .create = mal_create,
    .destroy = mal_destroy,
    .alloc = mal_alloc,
    .free = mal_free,
    .reset = NULL,
    .stats = mal_stats,
    .dump = mal_dump,
};
