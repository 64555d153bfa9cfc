/*
 * workloads/common.h -- what every workload generator shares: the shadow
 * register file, the checked op emitters, seeding and scale.
 *
 * A generator never sees the heap, so it keeps a model of what each register
 * holds (kind, slot count, payload bytes, or empty) and emits ops only
 * through the wl_gen_* calls below, which keep the model current and assert
 * (in debug builds) that every op is meaningful: no SET, GET or TOUCH on an
 * empty register, no slot index past the object's slots, no TOUCH of an
 * object without payload, no leaf with slots.  What a GET loads is not known
 * to the register model (it depends on the object graph), so the caller,
 * whose own bookkeeping knows what it stored there, passes its shape.
 *
 * The allocator workloads (larson, xmalloc, cache-scratch) have no register
 * model: they share only the thread count and the opening below.
 *
 * Everything here is static inline: each generator file includes it and
 * exports only its one wl_workload table.
 */
#ifndef HB_WL_COMMON_H
#define HB_WL_COMMON_H

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/hash.h"
#include "harness/core/mem.h"
#include "workloads/workload.h"

/* Scales above this would overflow op counts long before they finish. */
#define WL_SCALE_MAX 1.0e6

/* What one register (or one slot the generator tracks) holds. */
typedef struct wl_shape {
    uint8_t live; /* 0: empty (NULL); the other fields are then zero */
    uint8_t kind; /* enum hb_kind */
    uint32_t nrefs;
    uint32_t payload;
} wl_shape;

typedef struct wl_gen {
    hb_sink *out;
    hb_rng rng;
    uint32_t nregs;
    wl_shape *reg; /* reg[r] is what register r holds */
} wl_gen;

static inline wl_shape wl_shape_of(uint8_t kind, uint32_t nrefs, uint32_t payload)
{
    wl_shape s = {1, kind, nrefs, payload};
    return s;
}

static inline wl_shape wl_shape_none(void)
{
    wl_shape s = {0, 0, 0, 0};
    return s;
}

/* 0 when the scale is usable; otherwise says why in p->err and returns -1. */
static inline int wl_check_scale(const char *name, const wl_params *p)
{
    if (isfinite(p->scale) && p->scale > 0.0 && p->scale <= WL_SCALE_MAX)
        return 0;
    return hb_fail(p->err, HB_ERR_USAGE,
                   "workload %s: scale %g is out of range, expected a number in (0, %g]", name,
                   p->scale, WL_SCALE_MAX);
}

/* per_scale units of work times scale, rounded, and never below one, so the
 * smallest scale still emits a valid (if short) stream. */
static inline uint64_t wl_scaled(double scale, double per_scale)
{
    double n = nearbyint(scale * per_scale);
    return n < 1.0 ? 1 : (uint64_t)n;
}

/*
 * Seeds from the workload's name as well as the seed, so two workloads run
 * with one seed draw unrelated numbers.  Returns -1 (why in p->err) on a
 * bad scale or when the register model cannot be allocated.
 */
static inline int wl_gen_open(wl_gen *g, const char *name, const wl_params *p,
                              hb_sink *out, uint32_t nregs)
{
    uint64_t h = hb_fnv1a(HB_FNV_OFFSET, name, strlen(name));
    g->out = out;
    g->nregs = nregs;
    g->reg = NULL;
    if (wl_check_scale(name, p) != 0)
        return -1;
    hb_rng_seed(&g->rng, p->seed ^ h);
    /* Scratch, not the C library's heap: the malloc backend and the peers
     * would count it, and the run takes scratch off the footprint. */
    g->reg = hb_scratch_map((size_t)nregs * sizeof *g->reg);
    if (g->reg == NULL)
        return hb_fail(p->err, HB_ERR_NOMEM, "workload %s: out of memory for %u registers", name,
                       nregs);
    return 0;
}

static inline void wl_gen_close(wl_gen *g)
{
    hb_scratch_unmap(g->reg, (size_t)g->nregs * sizeof *g->reg);
    g->reg = NULL;
}

static inline int wl_gen_stopped(const wl_gen *g)
{
    return hb_sink_stopped(g->out);
}

/* ---- allocator workloads (wl_workload.heap): no register model ---- */

/* The OS threads the stream is written for: at least one. */
static inline uint32_t wl_threads(const wl_params *p)
{
    return p->threads > 1 ? p->threads : 1;
}

/* Seeds rng from the seed alone (not the name: these streams' recorded
 * results stay reproducible) and returns per_scale units of work times the
 * scale, truncated. */
static inline uint64_t wl_heap_open(hb_rng *rng, const wl_params *p, double per_scale)
{
    hb_rng_seed(rng, p->seed);
    return (uint64_t)(p->scale * per_scale);
}

/* ---- the checked emitters ---- */

static inline void wl_gen_new(wl_gen *g, uint32_t r, uint8_t kind, uint8_t flags,
                              uint32_t nrefs, uint32_t bytes)
{
    assert(r < g->nregs && kind < HB_KIND_COUNT);
    assert(kind != HB_LEAF || nrefs == 0);
    g->reg[r] = wl_shape_of(kind, nrefs, bytes);
    hb_new(g->out, r, kind, flags, nrefs, bytes);
}

/* r.refs[i] := s; s may be HB_NIL (a NULL store). */
static inline void wl_gen_set(wl_gen *g, uint32_t r, uint32_t i, uint32_t s)
{
    assert(r < g->nregs && g->reg[r].live && i < g->reg[r].nrefs);
    assert(s == HB_NIL || (s < g->nregs && g->reg[s].live));
    hb_set(g->out, r, i, s);
}

/* d := r.refs[i], which the caller knows to hold an object of shape `what`. */
static inline void wl_gen_get(wl_gen *g, uint32_t d, uint32_t r, uint32_t i, wl_shape what)
{
    assert(d < g->nregs && r < g->nregs && g->reg[r].live && i < g->reg[r].nrefs);
    g->reg[d] = what;
    hb_get(g->out, d, r, i);
}

static inline void wl_gen_mov(wl_gen *g, uint32_t d, uint32_t s)
{
    assert(d < g->nregs && s < g->nregs && g->reg[s].live);
    g->reg[d] = g->reg[s];
    hb_mov(g->out, d, s);
}

static inline void wl_gen_drop(wl_gen *g, uint32_t r)
{
    assert(r < g->nregs && g->reg[r].live);
    g->reg[r] = wl_shape_none();
    hb_drop(g->out, r);
}

/* Writes min(bytes, payload) payload bytes of a live object with a payload. */
static inline void wl_gen_touch(wl_gen *g, uint32_t r, uint32_t bytes)
{
    assert(r < g->nregs && g->reg[r].live && g->reg[r].payload > 0 && bytes > 0);
    hb_touch(g->out, r, bytes);
}

/* r := r's object with nrefs slots (RESIZE): a live non-leaf. */
static inline void wl_gen_resize(wl_gen *g, uint32_t r, uint32_t nrefs)
{
    assert(r < g->nregs && g->reg[r].live && g->reg[r].kind != HB_LEAF);
    g->reg[r].nrefs = nrefs;
    hb_resize(g->out, r, nrefs);
}

static inline void wl_gen_collect(wl_gen *g)
{
    hb_collect(g->out);
}

static inline void wl_gen_phase(wl_gen *g, uint32_t n)
{
    hb_phase(g->out, n);
}

/* ---- random draws ---- */

static inline uint32_t wl_range(wl_gen *g, uint32_t lo, uint32_t hi)
{
    return (uint32_t)hb_rng_range(&g->rng, lo, hi);
}

static inline uint32_t wl_logu(wl_gen *g, uint32_t lo, uint32_t hi)
{
    return (uint32_t)hb_rng_logu(&g->rng, lo, hi);
}

/* True with probability p. */
static inline int wl_chance(wl_gen *g, double p)
{
    return hb_rng_unit(&g->rng) < p;
}

#endif
