/*
 * tests/test_payload.h -- a payload pattern that depends on the object and
 * the byte's position, so a test can tell that a collector kept (or moved)
 * an object's bytes whole.  Used by the mark-sweep and gen-copy tests.
 * Header-only; everything is static inline.
 */
#ifndef HB_TEST_PAYLOAD_H
#define HB_TEST_PAYLOAD_H

#include <stdint.h>

#include "harness/core/object.h"

static inline unsigned char pattern(uint32_t serial, uint32_t i)
{
    return (unsigned char)(serial * 131u + i * 7u + 1u);
}

/* Writes o's pattern over its payload. */
static inline void fill(hb_obj *o)
{
    unsigned char *p = hb_obj_payload(o);
    for (uint32_t i = 0; i < o->payload; i++)
        p[i] = pattern(o->serial, i);
}

/* Does o's payload still hold its pattern? */
static inline int intact(hb_obj *o)
{
    const unsigned char *p = hb_obj_payload(o);
    for (uint32_t i = 0; i < o->payload; i++)
        if (p[i] != pattern(o->serial, i))
            return 0;
    return 1;
}

#endif
