/*
 * harness/core/hash.h -- base layer: FNV-1a 64, the one hash of the suite
 * (trace checksums, settings ids, workload names).  Header-only so that the
 * recorder library and the plug-ins get it without linking the core.
 */
#ifndef HB_CORE_HASH_H
#define HB_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HB_FNV_OFFSET 0xcbf29ce484222325ull
#define HB_FNV_PRIME 0x100000001b3ull

/* FNV-1a 64 of p[0..n), continuing from h (HB_FNV_OFFSET to start). */
static inline uint64_t hb_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= HB_FNV_PRIME;
    }
    return h;
}

#endif
