/*
 * harness/core/mem.h -- base layer: the one helper for memory the harness maps
 * for itself (registers, work stacks, tables, pause logs, generators' scratch),
 * and the one growable vector built on it.
 *
 * Why mapped and never malloc'd: the `malloc` backend and the peers measure the
 * process's C-library heap, so nothing the harness owns may live there.  Pages
 * are mapped private and anonymous, so they count in the process's RSS but in
 * no allocator's books; the run's start-of-run baseline takes them off.
 */
#ifndef HB_CORE_MEM_H
#define HB_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

/* bytes rounded up to whole pages, zero-filled; NULL if the OS refused.
 * noreserve: MAP_NORESERVE (for large, sparsely used reservations). */
void *hb_map(size_t bytes, int noreserve);
/* Unmaps what hb_map returned for the same byte count; NULL is a no-op. */
void hb_unmap(void *p, size_t bytes);
/* Grows (or shrinks) a mapping, possibly moving it; NULL (old kept) on refusal. */
void *hb_remap(void *p, size_t old_bytes, size_t new_bytes);

/*
 * The harness's scratch (generators' tables, anything it holds while a run
 * is measured): mapped like hb_map, every page written at once so that it
 * is resident from the start, and counted in a process-wide gauge, which
 * the run subtracts from the process's resident memory (the footprint is
 * the heap's alone).  hb_scratch_bytes(): what is held now; its peak since
 * hb_scratch_reset_peak().
 */
void *hb_scratch_map(size_t bytes);
void hb_scratch_unmap(void *p, size_t bytes);
uint64_t hb_scratch_bytes(void);
/* The resident bytes of the pages of [p, p + bytes) (p page-aligned, as
 * hb_map's and hb_vec's are), by mincore; all of them if it cannot tell. */
uint64_t hb_resident_bytes(const void *p, size_t bytes);
uint64_t hb_scratch_peak(void);
void hb_scratch_reset_peak(void);

/*
 * A growable vector of fixed-size elements in its own mapping, doubled with
 * mremap when full.  Invariant: len <= cap; v is NULL exactly when cap == 0.
 */
typedef struct hb_vec {
    void *v;
    size_t len, cap; /* in elements */
    size_t elem;     /* bytes per element */
    size_t max;      /* most elements it may hold (0: no bound) */
} hb_vec;

/* first: initial capacity in elements (rounded up to a page); 0 or -1. */
int hb_vec_init(hb_vec *s, size_t elem, size_t first);
void hb_vec_fini(hb_vec *s);
/* Doubles the capacity (bounded by max); 0, or -1 (unchanged) when refused. */
int hb_vec_grow(hb_vec *s);
/* At least n elements of capacity; 0 or -1. */
int hb_vec_reserve(hb_vec *s, size_t n);

/* Word vectors, the common case (work stacks of object pointers). */
static inline int hb_vec_push_word(hb_vec *s, uintptr_t x)
{
    if (s->len == s->cap && hb_vec_grow(s) != 0)
        return -1;
    ((uintptr_t *)s->v)[s->len++] = x;
    return 0;
}

static inline uintptr_t hb_vec_pop_word(hb_vec *s)
{
    return ((uintptr_t *)s->v)[--s->len];
}

static inline uintptr_t *hb_vec_words(const hb_vec *s)
{
    return (uintptr_t *)s->v;
}

#endif
