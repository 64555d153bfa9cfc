/*
 * allocators/vg.h -- memcheck annotations for the backends that carve their
 * blocks out of their own mappings (pool, bump), so that valgrind sees those
 * blocks as it sees malloc's: a block is addressable (and undefined) from
 * alloc to free, and inaccessible before and after, so that a collector's
 * use after free, or a read past the requested size, is reported.
 *
 * Each heap context is one memcheck "mempool" (valgrind.h's mempool API):
 * alloc registers a block of the requested size, free unregisters it (a
 * double free is reported as an invalid free), and destroying the mempool
 * forgets every block at once (bump's reset, and destroy).  Bytes a backend
 * keeps for itself inside its mappings (pool headers, free-list links) are
 * opened with al_vg_defined/al_vg_undefined around its own accesses only.
 *
 * When the annotations are on.  Only if HB_VALGRIND is defined and
 * <valgrind/memcheck.h> exists; otherwise every function here is empty and
 * compiles to nothing.  The debug preset defines HB_VALGRIND (the valgrind
 * pass of scripts/test.sh runs that build).  The release preset does not:
 * a client request costs only a few instructions when not under valgrind,
 * but it is an asm statement with a memory clobber, so on the alloc and
 * free paths it also stops the compiler from keeping values in registers
 * across it, and the figures come from that build.  The asan preset does
 * not either: a sanitized binary cannot run under valgrind, so there the
 * requests would be pure cost.
 */
#ifndef HB_VG_H
#define HB_VG_H

#include <stddef.h>

#if defined(HB_VALGRIND) && defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define AL_VG 1
#endif
#endif
#ifndef AL_VG
#define AL_VG 0
#endif

#if AL_VG

/* The heap context `pool` becomes a mempool whose blocks start undefined. */
static inline void al_vg_pool_create(const void *pool)
{
    VALGRIND_CREATE_MEMPOOL(pool, 0, 0);
}

/* Forgets every block of the pool (their bytes become inaccessible). */
static inline void al_vg_pool_destroy(const void *pool)
{
    VALGRIND_DESTROY_MEMPOOL(pool);
}

/* [p, p + n) is a live block of the pool: addressable, undefined. */
static inline void al_vg_alloc(const void *pool, const void *p, size_t n)
{
    VALGRIND_MEMPOOL_ALLOC(pool, p, n);
}

/* The block at p is freed: inaccessible; memcheck keeps where it was freed. */
static inline void al_vg_free(const void *pool, const void *p)
{
    VALGRIND_MEMPOOL_FREE(pool, p);
}

static inline void al_vg_noaccess(const void *p, size_t n)
{
    (void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
}

static inline void al_vg_undefined(const void *p, size_t n)
{
    (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}

static inline void al_vg_defined(const void *p, size_t n)
{
    (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
}

/* Nonzero when the program runs under valgrind. */
static inline unsigned al_vg_running(void)
{
    return (unsigned)RUNNING_ON_VALGRIND;
}

/* Copies the validity bits of [p, p + n) to bits (0x00 per defined byte,
 * 0xff per undefined one) without reporting anything.  Returns 0 when not
 * under valgrind, 1 on success, 3 when a byte is not addressable. */
static inline unsigned al_vg_vbits(const void *p, unsigned char *bits, size_t n)
{
    return VALGRIND_GET_VBITS(p, bits, n);
}

/* Errors memcheck has reported so far (0 when not under valgrind). */
static inline unsigned al_vg_errors(void)
{
    return VALGRIND_COUNT_ERRORS;
}

#else /* annotations off: nothing */

static inline void al_vg_pool_create(const void *pool)
{
    (void)pool;
}

static inline void al_vg_pool_destroy(const void *pool)
{
    (void)pool;
}

static inline void al_vg_alloc(const void *pool, const void *p, size_t n)
{
    (void)pool, (void)p, (void)n;
}

static inline void al_vg_free(const void *pool, const void *p)
{
    (void)pool, (void)p;
}

static inline void al_vg_noaccess(const void *p, size_t n)
{
    (void)p, (void)n;
}

static inline void al_vg_undefined(const void *p, size_t n)
{
    (void)p, (void)n;
}

static inline void al_vg_defined(const void *p, size_t n)
{
    (void)p, (void)n;
}

static inline unsigned al_vg_running(void)
{
    return 0;
}

static inline unsigned al_vg_vbits(const void *p, unsigned char *bits, size_t n)
{
    (void)p, (void)bits, (void)n;
    return 0;
}

static inline unsigned al_vg_errors(void)
{
    return 0;
}

#endif
#endif
