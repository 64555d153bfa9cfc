/*
 * allocators/malloc.c -- the `malloc` backend: the C library's malloc/free.
 *
 * The baseline every other backend is compared against, so it adds nothing
 * of its own: alloc is malloc, free is free.  Nothing is counted per op (a
 * malloc_usable_size on every alloc and free cost glibc 15-20 ns per op,
 * which the other backends did not pay; see allocators/peers.h).
 *
 * The figures are read from mallinfo2() when stats() is called (off the
 * clock): block_bytes = uordblks (bytes of chunks in use in the arenas) +
 * hblkhd (bytes of blocks the library mmapped individually); footprint =
 * arena (bytes of the heap arenas obtained with sbrk or mmap) + hblkhd.
 * Two consequences, stated in footprint_exact = 0:
 *   - the figures cover the whole process's malloc use, not only this heap
 *     (the harness's own buffers are in them too);
 *   - the peaks are the maxima over stats() calls, so a peak between two
 *     calls is missed.
 * Under AddressSanitizer malloc is the sanitizer's and mallinfo2() still
 * reads glibc's (idle) arenas, so block_bytes is the sanitizer's count of
 * bytes allocated (__sanitizer_get_current_allocated_bytes) and the
 * footprint means nothing there.
 */
#include "allocators/allocator.h"
#include "allocators/peers.h"

#include <assert.h>
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(HB_SANITIZE)
/* The sanitizer runtime's count (sanitizer/allocator_interface.h, which not
 * every compiler package installs). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* malloc's result is aligned for max_align_t; 16 bytes on x86-64 glibc. */
_Static_assert(alignof(max_align_t) >= AL_ALIGN,
               "the C library's malloc must return AL_ALIGN-aligned blocks");

/* Invariant: each peak is the maximum of the readings at stats() calls. */
typedef struct mal_heap {
    uint64_t peak_block_bytes;
    uint64_t peak_footprint_bytes;
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
    (void)ctx;
    void *p = malloc(size);
    assert(((uintptr_t)p & (AL_ALIGN - 1)) == 0);
    return p;
}

static void mal_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size; /* glibc's free is not sized */
    free(p);
}

/* al_heap calls malloc and free directly (al_backend.entry). */
static void mal_entry(void *ctx, al_entry *out)
{
    (void)ctx;
    out->alloc = malloc;
    out->free = free;
}

/* Bytes in blocks handed out, the process's whole malloc use. */
static uint64_t mal_in_use(const struct mallinfo2 *mi)
{
#if defined(HB_SANITIZE)
    (void)mi;
    return __sanitizer_get_current_allocated_bytes();
#else
    return (uint64_t)mi->uordblks + (uint64_t)mi->hblkhd;
#endif
}

static void mal_stats(void *ctx, al_backend_stats *out)
{
    mal_heap *m = ctx;
    struct mallinfo2 mi = mallinfo2();
    uint64_t fp = (uint64_t)mi.arena + (uint64_t)mi.hblkhd, used = mal_in_use(&mi);
    if (fp > m->peak_footprint_bytes)
        m->peak_footprint_bytes = fp;
    if (used > m->peak_block_bytes)
        m->peak_block_bytes = used;
    *out = (al_backend_stats){
        .block_bytes = used,
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
    fprintf(out, "malloc (%s): the whole process, from mallinfo2()\n", mal_version());
    fprintf(out, "  block bytes (in use)   %20llu\n", (unsigned long long)mal_in_use(&mi));
    fprintf(out, "  peak block bytes       %20llu  (of the readings)\n",
            (unsigned long long)m->peak_block_bytes);
    fprintf(out, "  arena (heap) bytes     %20zu\n", mi.arena);
    fprintf(out, "  mmapped block bytes    %20zu  (%zu blocks)\n", mi.hblkhd, mi.hblks);
    fprintf(out, "  in use (non-mmapped)   %20zu\n", mi.uordblks);
    fprintf(out, "  free in arenas         %20zu  (%zu free chunks)\n", mi.fordblks, mi.ordblks);
    fprintf(out, "  releasable top         %20zu\n", mi.keepcost);
    fprintf(out, "  footprint              %20zu  (arena + mmapped)\n", mi.arena + mi.hblkhd);
}

/* The C library's, or refused: under LD_PRELOAD of another allocator,
 * malloc here is that allocator's, and its rows would carry the wrong name.
 * Allowed stand-ins: valgrind's (its runs are about errors, not speed) and
 * a sanitizer's, in its own library or linked into the program (see the
 * top of the file). */
static const char *mal_unavailable(void)
{
#if defined(HB_SANITIZE)
    return NULL;
#else
    static char why[320];
    const char *home = al_malloc_home();
    Dl_info self;
    if (strstr(home, "/libc.so") != NULL || strstr(home, "vgpreload") != NULL ||
        strstr(home, "san.so") != NULL ||
        (dladdr((void *)&why, &self) != 0 && self.dli_fname && strcmp(self.dli_fname, home) == 0))
        return NULL;
    snprintf(why, sizeof why,
             "malloc in this process is %s's (LD_PRELOAD?), not the C library's: unset "
             "LD_PRELOAD, or name that allocator's own backend",
             home);
    return why;
#endif
}

const al_backend al_malloc = {
    .name = "malloc",
    .description = "the C library's malloc/free (footprint sampled from mallinfo2)",
    .version = mal_version,
    .unavailable = mal_unavailable,
    .create = mal_create,
    .destroy = mal_destroy,
    .alloc = mal_alloc,
    .free = mal_free,
    .reset = NULL,
    .stats = mal_stats,
    .threads = "native (glibc's per-thread arenas)",
    .dump = mal_dump,
    .entry = mal_entry,
};
