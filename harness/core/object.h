/*
 * harness/core/object.h -- base layer: the object model every collector and workload shares.
 *
 * One object in memory, from the block the allocator returned:
 *
 *     +----------------------+  <- block (al_alloc)
 *     | collector header     |     gc_strategy.header_bytes (0, 8, 24, ...)
 *     +----------------------+  <- hb_obj *: what registers and slots hold
 *     | hb_obj (16 bytes)    |     kind, flags, gcbits, nrefs, payload, serial
 *     | refs[nrefs]          |     8 bytes each, NULL or another hb_obj *
 *     | payload[payload]     |     bytes the mutator may TOUCH
 *     +----------------------+
 *
 * Invariants:
 *   kind == HB_LEAF implies nrefs == 0.
 *   hb_obj_bytes(o, hdr) is the size given to al_alloc and to al_free.
 *   Every refs[i] is NULL or points at a live object (the oracle checks it).
 */
#ifndef HB_OBJECT_H
#define HB_OBJECT_H

#include <stddef.h>
#include <stdint.h>

enum hb_kind {
    HB_LEAF = 0,      /* no references: int-, float-, string-like */
    HB_CONTAINER = 1, /* references: tuple-, list-, dict-like */
    HB_ARRAY = 2,     /* a large payload, optionally with references */
    HB_KIND_COUNT
};

enum hb_flag {
    HB_F_FINALIZER = 1u << 0, /* has a finalizer that must run once */
    HB_F_FINALIZED = 1u << 1  /* set by the collector when it ran */
};

typedef struct hb_obj {
    uint8_t kind;   /* enum hb_kind */
    uint8_t flags;  /* enum hb_flag */
    uint16_t gcbits; /* free for the collector: mark bits, generation, ... */
    uint32_t nrefs;  /* reference slots */
    uint32_t payload; /* payload bytes after the slots */
    uint32_t serial;  /* allocation sequence number (wraps), for debugging */
    struct hb_obj *refs[];
} hb_obj;

_Static_assert(sizeof(hb_obj) == 16, "the common object header is 16 bytes");

/* Bytes of one object without the collector header. */
static inline size_t hb_obj_body_bytes(uint32_t nrefs, uint32_t payload)
{
    return sizeof(hb_obj) + (size_t)nrefs * sizeof(hb_obj *) + payload;
}

/* Bytes of the whole block for an object, collector header included. */
static inline size_t hb_obj_bytes(const hb_obj *o, size_t header_bytes)
{
    return header_bytes + hb_obj_body_bytes(o->nrefs, o->payload);
}

static inline unsigned char *hb_obj_payload(hb_obj *o)
{
    return (unsigned char *)&o->refs[o->nrefs];
}

static inline void *hb_obj_block(hb_obj *o, size_t header_bytes)
{
    return (char *)o - header_bytes;
}

static inline hb_obj *hb_block_obj(void *block, size_t header_bytes)
{
    return (hb_obj *)((char *)block + header_bytes);
}

#endif
