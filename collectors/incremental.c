/*
 * collectors/incremental.c -- `incremental`: a tri-colour incremental
 * mark-sweep, paced by allocation, over any allocator.
 *
 * A cycle is a state machine of small steps (Lua 5.4's lgc.c is the model):
 *
 *     PAUSE --(heap passed threshold)--> ROOTS --> MARK --(gray set empty:
 *     the atomic phase)--> FINALIZE --> SWEEP_FIN --> SWEEP_ALL --> PAUSE
 *
 * Each step runs inside new_obj, is one pause reported to the harness, and
 * does a bounded amount of work.  Marking, sweeping and the object tables
 * are collectors/ms_core.h's, shared with `mark-sweep`.
 *
 * The barrier: Yuasa's deletion barrier (snapshot at the beginning).  While
 * marking, a field store first shades the value it overwrites, unless the
 * object written is already black (its old value was pushed when it was
 * scanned).  Why deletion and not Dijkstra's insertion barrier: with an
 * insertion barrier the registers are unbarriered roots that must be
 * scanned again, and everything newly reachable from them marked, in the
 * final atomic phase -- work that grows with the register file and with
 * what the mutator loaded during the cycle, and that cannot be bounded.
 * With a snapshot, everything reachable when the cycle began is marked
 * whatever the mutator does later, and objects allocated during marking are
 * allocated black, so the atomic phase re-scans nothing: it only checks
 * that the gray set is empty and fixes the sweep's bounds, O(1) whatever
 * the register file.  The registers themselves are snapshotted in budgeted
 * steps (ROOTS); until that ends, a register write shades the value it
 * overwrites too, so a large register file costs no long pause either.  The
 * price is floating garbage: what dies during the cycle is kept until the
 * next one (so a cycle's end is not a complete collection for the oracle).
 *
 * The invariant (the weak tri-colour invariant a snapshot barrier keeps):
 * during marking, every white object reachable from the registers is
 * reachable from a gray object (an edge on the mark stack or in the prefetch
 * FIFO, an object marked but not wholly scanned, or a register not yet
 * snapshotted) through a chain of white objects.  A black object may point
 * at a white one (Dijkstra's strong invariant does not hold here).  During
 * the sweep, every reachable object not yet swept is marked.
 * gc_incremental_validate() checks both (tests run it after every step).
 *
 * Pacing (Lua 5.4's pause and step multiplier):
 *   - pause: a cycle begins once bytes_live passes threshold = max(pause x
 *     the bytes marked by the last cycle, min_heap_bytes).  pause is
 *     gc_config.growth (default 2.0, Lua's 200%); min_heap_bytes defaults to
 *     4 MiB as mark-sweep's.
 *   - step multiplier: during a cycle every byte allocated is debt; once the
 *     debt reaches IC_STEP_BYTES (32 KiB) a step pays up to
 *     IC_MAX_STEP_BYTES (128 KiB) of it with IC_STEPMUL_PCT / 100 (1.5) work
 *     units per byte (ms_core.h: marking counts the bytes of the objects
 *     marked, sweeping a fixed amount per object, and moving a table entry
 *     down behind the survivors IC_MOVE_WORK).  A step's time is thus
 *     bounded by its budget.  Why the move counts 8 and not 1: the entries
 *     moved are those allocated since the sweep began, cold in cache; a
 *     move measured 0.6-1.1 ns an entry on gcbench (pool, scale 1)
 *     against 0.15-0.2 ns a unit for the rest of the sweep and for
 *     marking, and at 1 a unit the steps that only moved (49,200 entries
 *     each) took 40-100 us where the others of the same budget took 7.
 *     The price: a cycle is longer (gcbench on pool: 24 cycles instead of
 *     30, peak footprint 72.3 MiB against 71.6).  Filling each freed slot
 *     with the newest entry instead, so that
 *     little is left to move, kept 29 cycles but left the table out of
 *     allocation order, and the next sweep's frees in that order cost the
 *     malloc backend 0.44 ns a unit against 0.31 (gc time +15%).  A huge
 *     block is debt in full, paid by one bounded step at each following
 *     allocation until it is paid (capping it instead let large-arrays'
 *     heap grow to 1.5 GiB: the cycle fell behind).  These are constants:
 *     gc_config has no fields for them.
 * The sweep is incremental too; objects allocated after the atomic phase
 * are white and lie past the bounds the sweep was given.
 *
 * The "full" trigger (gc_config.trigger, --trigger full; it needs a heap
 * limit).  The growth pause is replaced by the heap limit: a cycle begins
 * once bytes_live + the allocation would pass limit - R, where R is the
 * allocation the last cycle took from its start to its end at the step
 * multiplier (its work units x 100 / IC_STEPMUL_PCT), plus an eighth, plus
 * one largest step (IC_MAX_STEP_BYTES), and at most half the limit; before
 * the first cycle R is half the limit.  So a cycle started at that point
 * ends about when the heap is full, as Lua's pause would if it were set
 * from the heap size.  An allocation that would still pass the limit
 * (gc_heap_fits) finishes the cycle in progress at once, one pause; if
 * there is still no room, one whole cycle runs (collect()'s), then the
 * allocation is refused (oom).
 *
 * collect(), and an allocation the allocator refuses, finish the cycle in
 * progress and run one whole cycle without the mutator: one pause, a
 * complete collection.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "collectors/ms_core.h"
#include "harness/core/clock.h"
#include "harness/core/mem.h"
#include "harness/core/object.h"

#define IC_DEFAULT_PAUSE 2.0
#define IC_DEFAULT_MIN_HEAP ((uint64_t)4 << 20)
#define IC_STEP_BYTES ((uint64_t)32 << 10)      /* allocation between steps */
#define IC_MAX_STEP_BYTES ((uint64_t)128 << 10) /* debt one step pays at most */
#define IC_STEPMUL_PCT 150u /* work units per 100 bytes of debt */
#define IC_ROOT_WORK 8u                         /* per register snapshotted */
#define IC_MOVE_WORK 8u /* per table entry the sweep moves down (see the top) */
#define IC_VALIDATE_BIT 0x8000u                 /* gcbits: the validator's walk */

enum ic_phase { IC_PAUSE, IC_ROOTS, IC_MARK, IC_FINALIZE, IC_SWEEP_FIN, IC_SWEEP_ALL };

typedef struct ic_state {
    ms_core c;
    enum ic_phase phase;
    int marking; /* phase is ROOTS or MARK: the barrier is on */
    double pause;
    uint64_t min_heap;
    int full;            /* the "full" trigger (collector.h) */
    uint64_t cycle_work; /* work units of the cycle in progress */
    uint64_t last_work;  /* of the last cycle that ended (0: none yet) */
    uint64_t threshold; /* a cycle begins once bytes_live passes this */
    uint64_t debt;      /* bytes allocated during the cycle, not yet paid */
    size_t root_at;     /* registers [0, root_at) are snapshotted */
    size_t fin_at, fin_end;
    ms_sweep sweep_fin, sweep_all;
    int cycle_ended; /* set by the step that ended a cycle */
    size_t step_budget, step_moved; /* the last paced step's (tests) */
} ic_state;

/* Tests only: called after every step (and every atomic collection). */
static void (*ic_step_hook)(void *ctx, void *arg);
static void *ic_step_arg;

void gc_incremental_step_hook(void (*hook)(void *ctx, void *arg), void *arg);
uint64_t gc_incremental_validate(void *ctx);
int gc_incremental_marking(void *ctx);
void gc_incremental_last_step(void *ctx, size_t *budget, size_t *moved);

/* Installs a function called with the collector after each of its steps,
 * for every incremental collector; NULL removes it.  Tests only. */
void gc_incremental_step_hook(void (*hook)(void *ctx, void *arg), void *arg)
{
    ic_step_hook = hook;
    ic_step_arg = arg;
}

/* Tests only: 1 while the barrier is on (the cycle is marking). */
int gc_incremental_marking(void *ctx)
{
    return ((const ic_state *)ctx)->marking;
}

/* Tests only: the last paced step's budget, and the table entries its
 * sweep moved down. */
void gc_incremental_last_step(void *ctx, size_t *budget, size_t *moved)
{
    const ic_state *g = ctx;
    *budget = g->step_budget;
    *moved = g->step_moved;
}

/* ===================================================================
 * Barrier
 * =================================================================== */

static inline void shade(ic_state *g, hb_obj *o)
{
    if (o != NULL && !(o->gcbits & MS_MARK))
        ms_push(&g->c, o);
}

/* ===================================================================
 * The cycle's steps
 * =================================================================== */

/* Under "full": the limit less the allocation a cycle takes to finish
 * (see the top). */
static uint64_t full_threshold(const ic_state *g)
{
    uint64_t limit = g->c.env.heap->limit_bytes, half = limit / 2;
    if (g->last_work == 0)
        return limit - half;
    uint64_t bytes = g->last_work * 100 / IC_STEPMUL_PCT;
    uint64_t reserve = bytes + bytes / 8 + IC_MAX_STEP_BYTES;
    return limit - (reserve < half ? reserve : half);
}

static void set_threshold(ic_state *g)
{
    if (g->full) {
        g->threshold = full_threshold(g);
        return;
    }
    double t = g->pause * (double)g->c.marked_bytes;
    uint64_t th = t >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)t;
    g->threshold = th > g->min_heap ? th : g->min_heap;
}

static void start_cycle(ic_state *g)
{
    g->c.overflowed = 0;
    g->c.marked_bytes = 0;
    g->root_at = 0;
    g->debt = 0;
    g->cycle_work = 0;
    g->sweep_fin.moved = g->sweep_all.moved = 0; /* the last sweep's count */
    g->phase = IC_ROOTS;
    g->marking = 1;
}

/* Snapshots the next registers; returns the work done. */
static size_t step_roots(ic_state *g, size_t budget)
{
    size_t left = g->c.env.nroots - g->root_at;
    size_t n = budget / IC_ROOT_WORK + 1;
    if (n > left)
        n = left;
    ms_push_roots(&g->c, g->root_at, g->root_at + n);
    g->root_at += n;
    if (g->root_at == g->c.env.nroots)
        g->phase = IC_MARK;
    return n * IC_ROOT_WORK + 1;
}

/*
 * The atomic phase: the gray set is empty, so every object reachable at the
 * snapshot is marked.  Nothing is re-scanned; only an overflow of the mark
 * stack (the OS refused to grow it) makes it scan the gray-in-heap objects.
 * The sweep's bounds are fixed here: what is allocated from now on is
 * white and past them.
 */
static void atomic_phase(ic_state *g)
{
    ms_mark_overflow_rescan(&g->c, NULL);
    g->marking = 0;
    g->fin_at = 0;
    g->fin_end = g->c.fin.len;
    ms_sweep_begin(&g->sweep_fin, &g->c.fin);
    ms_sweep_begin(&g->sweep_all, &g->c.all);
    g->sweep_fin.move_work = IC_MOVE_WORK;
    g->sweep_all.move_work = IC_MOVE_WORK;
    g->phase = IC_FINALIZE;
}

static size_t step_mark(ic_state *g, size_t budget)
{
    size_t work = ms_mark_drain(&g->c, budget);
    if (ms_mark_idle(&g->c))
        atomic_phase(g);
    return work + 1;
}

static size_t step_finalize(ic_state *g, size_t budget)
{
    size_t work = ms_finalize_step(&g->c, &g->fin_at, g->fin_end, budget);
    if (g->fin_at == g->fin_end)
        g->phase = IC_SWEEP_FIN;
    return work + 1;
}

static void end_cycle(ic_state *g)
{
    g->phase = IC_PAUSE;
    g->c.st.collections++;
    g->c.st.major_collections++; /* a cycle is of the whole heap */
    set_threshold(g);
    g->cycle_ended = 1;
}

static size_t step_sweep(ic_state *g, size_t budget)
{
    int fin = g->phase == IC_SWEEP_FIN;
    ms_sweep *s = fin ? &g->sweep_fin : &g->sweep_all;
    size_t work = ms_sweep_step(&g->c, fin ? &g->c.fin : &g->c.all, s, budget);
    if (s->done) {
        if (fin)
            g->phase = IC_SWEEP_ALL;
        else
            end_cycle(g);
    }
    return work + 1;
}

static size_t phase_step(ic_state *g, size_t budget)
{
    switch (g->phase) {
    case IC_ROOTS: return step_roots(g, budget);
    case IC_MARK: return step_mark(g, budget);
    case IC_FINALIZE: return step_finalize(g, budget);
    case IC_SWEEP_FIN:
    case IC_SWEEP_ALL: return step_sweep(g, budget);
    case IC_PAUSE: break;
    }
    return 0;
}

/* One piece of the cycle's work, at most about `budget`; returns the work.
 * Under "full", the step that ends a cycle sets the next start from the
 * cycle's work. */
static size_t single_step(ic_state *g, size_t budget)
{
    size_t work = phase_step(g, budget);
    g->cycle_work += work;
    if (g->full && g->phase == IC_PAUSE) {
        g->last_work = g->cycle_work;
        set_threshold(g);
    }
    return work;
}

/* Tells the harness (and the test hook) that a pause ended. */
static void report(ic_state *g, uint64_t start, int complete)
{
    uint64_t end = hb_now_ns();
    gc_env *env = &g->c.env;
    g->c.st.major_ns += end - start; /* every step is a cycle's work */
    if (env->pause)
        env->pause(env->harness, start, end);
    if (ic_step_hook)
        ic_step_hook(g, ic_step_arg);
    if ((g->cycle_ended || complete) && env->collected)
        env->collected(env->harness, complete);
    g->cycle_ended = 0;
}

/* A step paid for by allocation: one pause. */
static void paced_step(ic_state *g)
{
    uint64_t pay = g->debt < IC_MAX_STEP_BYTES ? g->debt : IC_MAX_STEP_BYTES;
    g->debt -= pay;
    size_t budget = (size_t)(pay * IC_STEPMUL_PCT / 100), work = 0;
    size_t moved = g->sweep_all.moved + g->sweep_fin.moved;
    uint64_t start = hb_now_ns();
    while (work < budget && g->phase != IC_PAUSE)
        work += single_step(g, budget - work);
    g->step_budget = budget;
    g->step_moved = g->sweep_all.moved + g->sweep_fin.moved - moved;
    report(g, start, 0);
}

static void finish_cycle(ic_state *g)
{
    while (g->phase != IC_PAUSE)
        single_step(g, SIZE_MAX);
}

/* Ends the cycle in progress and runs a whole one: a complete collection,
 * one pause. */
static void full_collection(ic_state *g)
{
    uint64_t start = hb_now_ns();
    finish_cycle(g);
    start_cycle(g);
    finish_cycle(g);
    g->c.st.full_collections++;
    report(g, start, 1);
}

/* ===================================================================
 * The strategy's table
 * =================================================================== */

static int read_config(ic_state *g, const gc_config *cfg, hb_err *err)
{
    g->pause = IC_DEFAULT_PAUSE;
    g->min_heap = IC_DEFAULT_MIN_HEAP;
    if (cfg == NULL)
        return 0;
    g->full = gc_trigger_full(cfg);
    if (cfg->growth != 0.0) {
        if (!isfinite(cfg->growth) || cfg->growth < 1.0) {
            return hb_fail(err, HB_ERR_USAGE,
                           "incremental: growth (the pause) %g is invalid: expected a finite "
                           "factor >= 1.0 (0 means the default, %.1f)",
                           cfg->growth, IC_DEFAULT_PAUSE);
        }
        g->pause = cfg->growth;
    }
    if (cfg->min_heap_bytes != 0)
        g->min_heap = cfg->min_heap_bytes;
    return 0;
}

/* Entries [w, r) of a table being swept are objects already freed or
 * moved down: drop them, so that the table lists each live object once. */
static void drop_swept(hb_vec *t, ms_sweep *s)
{
    if (s->done || s->r == s->w)
        return;
    uintptr_t *v = hb_vec_words(t);
    memmove(v + s->w, v + s->r, (t->len - s->r) * sizeof *v);
    t->len -= s->r - s->w;
    s->r = s->w;
}

static void ic_destroy(void *ctx)
{
    ic_state *g = ctx;
    if (g == NULL)
        return;
    if (g->phase == IC_SWEEP_FIN || g->phase == IC_SWEEP_ALL) { /* a sweep in progress */
        drop_swept(&g->c.fin, &g->sweep_fin);
        drop_swept(&g->c.all, &g->sweep_all);
    }
    ms_core_fini(&g->c);
    hb_unmap(g, sizeof *g);
}

static void *ic_create(const gc_env *env)
{
    if (env == NULL)
        return NULL; /* nowhere to say why */
    if (env->heap == NULL || (env->roots == NULL && env->nroots > 0)) {
        hb_fail(env->err, HB_ERR_USAGE,
                "incremental: expected an open heap and a register file in env");
        return NULL;
    }
    ic_state *g = hb_map(sizeof *g, 0);
    if (g == NULL) {
        hb_fail(env->err, HB_ERR_NOMEM, "incremental: cannot map %zu bytes for the collector",
                sizeof *g);
        return NULL;
    }
    if (read_config(g, env->cfg, env->err) != 0) {
        hb_unmap(g, sizeof *g);
        return NULL;
    }
    if (ms_core_init(&g->c, env, SIZE_MAX / sizeof(uintptr_t) / 4) != 0) {
        hb_fail(env->err, HB_ERR_NOMEM,
                "incremental: cannot map the object tables and mark stack");
        ic_destroy(g);
        return NULL;
    }
    g->phase = IC_PAUSE;
    set_threshold(g);
    return g;
}

static void *alloc_block(ic_state *g, uint8_t flags, size_t bytes)
{
    if (ms_table_room(ms_table_for(&g->c, flags)) != 0)
        return NULL;
    return al_alloc(g->c.env.heap, bytes);
}

/* Before an allocation: begins a cycle when due, pays debt when due. */
static void pace(ic_state *g, size_t bytes)
{
    if (g->phase == IC_PAUSE) {
        if (g->c.st.bytes_live + bytes <= g->threshold)
            return;
        start_cycle(g);
    }
    g->debt += bytes;
    if (g->debt >= IC_STEP_BYTES)
        paced_step(g); /* *dst still holds its old value: a root */
}

/* Under "full", the heap is full: the cycle in progress is finished at
 * once (one pause); if that freed too little, or none was running, one
 * whole cycle runs (a complete collection, one pause). */
static void make_room_full(ic_state *g, size_t bytes)
{
    if (g->phase != IC_PAUSE) {
        uint64_t start = hb_now_ns();
        finish_cycle(g);
        report(g, start, 0);
        if (gc_heap_fits(g->c.env.heap, bytes))
            return;
    }
    full_collection(g);
}

static hb_obj *ic_new_obj(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                          uint32_t payload)
{
    ic_state *g = ctx;
    size_t bytes = hb_obj_body_bytes(nrefs, payload);
    pace(g, bytes);
    if (g->full && !gc_heap_fits(g->c.env.heap, bytes))
        make_room_full(g, bytes);
    void *block = alloc_block(g, flags, bytes);
    if (block == NULL) {
        full_collection(g); /* emergency: free what we can, retry once */
        block = alloc_block(g, flags, bytes);
        if (block == NULL)
            return NULL;
    }
    uint16_t colour = 0;
    if (g->marking) { /* allocated black; the register's old value shaded */
        colour = MS_COLOUR;
        g->c.marked_bytes += bytes;
        if (g->phase == IC_ROOTS)
            shade(g, *dst);
    }
    hb_obj *o = ms_init_object(&g->c, ms_table_for(&g->c, flags), block, bytes, kind, flags, nrefs,
                               payload, colour);
    *dst = o;
    return o;
}

/* Registers are barriered only while they are being snapshotted. */
static void ic_reg_write(void *ctx, hb_obj **reg, hb_obj *val)
{
    ic_state *g = ctx;
    if (g->phase == IC_ROOTS)
        shade(g, *reg);
    *reg = val;
}

/* Yuasa: the overwritten value is shaded unless o is black. */
static void ic_field_store(void *ctx, hb_obj *o, uint32_t i, hb_obj *val)
{
    ic_state *g = ctx;
    if (g->marking && !(o->gcbits & MS_BLACK))
        shade(g, o->refs[i]);
    o->refs[i] = val;
}

static void ic_collect(void *ctx)
{
    full_collection(ctx);
}

static void ic_stats(void *ctx, gc_stats *out)
{
    const ic_state *g = ctx;
    *out = g->c.st;
}

/* ===================================================================
 * The debug validator (tests)
 * =================================================================== */

/* Pushes o for the walk if it is not NULL and not yet walked. */
static void walk_push(hb_vec *q, hb_obj *o, uint64_t *oom)
{
    if (o == NULL || (o->gcbits & IC_VALIDATE_BIT))
        return;
    o->gcbits |= IC_VALIDATE_BIT;
    if (hb_vec_push_word(q, (uintptr_t)o) != 0)
        (*oom)++;
}

/* Walks from what q holds; only through white objects when white_only. */
static void walk(hb_vec *q, int white_only, uint64_t *oom)
{
    while (q->len > 0) {
        hb_obj *o = (hb_obj *)hb_vec_pop_word(q);
        if (white_only && (o->gcbits & MS_MARK))
            continue;
        for (uint32_t i = 0; i < o->nrefs; i++) {
            hb_obj *k = o->refs[i];
            if (k != NULL && (!white_only || !(k->gcbits & MS_MARK)))
                walk_push(q, k, oom);
        }
    }
}

/* Entries [*lo, *hi) of t are stale while t is being swept (objects freed
 * or moved down); empty otherwise. */
static void stale_range(const ic_state *g, const hb_vec *t, size_t *lo, size_t *hi)
{
    const ms_sweep *s = t == &g->c.fin ? &g->sweep_fin : &g->sweep_all;
    *lo = *hi = 0;
    if (!g->marking && g->phase != IC_PAUSE && !s->done) {
        *lo = s->w;
        *hi = s->r;
    }
}

static void clear_walk_bits(const ic_state *g, hb_vec *t)
{
    size_t lo, hi;
    stale_range(g, t, &lo, &hi);
    for (size_t i = 0; i < t->len; i++)
        if (i < lo || i >= hi)
            ((hb_obj *)hb_vec_words(t)[i])->gcbits &= (uint16_t)~IC_VALIDATE_BIT;
}

/* A gray source: a white target gets the walk bit itself; a marked one
 * (gray in the heap) lends it to its white children. */
static void walk_source(hb_vec *q, hb_obj *o, uint64_t *oom)
{
    if (o == NULL)
        return;
    if (!(o->gcbits & MS_MARK)) {
        walk_push(q, o, oom);
    } else {
        for (uint32_t i = 0; i < o->nrefs; i++)
            if (o->refs[i] != NULL && !(o->refs[i]->gcbits & MS_MARK))
                walk_push(q, o->refs[i], oom);
    }
    walk(q, 1, oom);
}

/* The white objects a gray object reaches through white objects get the
 * walk bit.  Gray: the edges on the stack and in the FIFO, the objects
 * marked but not black (continuations on the stack are among them), the
 * registers not yet snapshotted. */
static void walk_from_gray(ic_state *g, hb_vec *q, uint64_t *oom)
{
    ms_core *c = &g->c;
    uintptr_t *s = hb_vec_words(&c->stack);
    for (size_t i = c->stack.len; i > 0;) {
        uintptr_t w = s[--i];
        if (w & MS_CONT)
            i--; /* the index word below it; the object is gray in the heap */
        else
            walk_source(q, (hb_obj *)w, oom);
    }
    for (unsigned k = 0; k < c->fifo.n; k++)
        walk_source(q, c->fifo.o[(c->fifo.head + k) & (MS_FIFO - 1)], oom);
    hb_vec *tables[2] = {&c->all, &c->fin};
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < tables[t]->len; i++) {
            hb_obj *o = (hb_obj *)hb_vec_words(tables[t])[i];
            if ((o->gcbits & MS_COLOUR) == MS_MARK)
                walk_source(q, o, oom);
        }
    if (g->phase == IC_ROOTS)
        for (size_t i = g->root_at; i < c->env.nroots; i++)
            walk_source(q, c->env.roots[i], oom);
}

/* Marking: every white object reachable from the registers was reached by
 * the walk from the gray objects.  Returns the violations. */
static uint64_t validate_marking(ic_state *g, hb_vec *q, uint64_t *oom)
{
    ms_core *c = &g->c;
    walk_from_gray(g, q, oom);
    /* Every object the gray walk did not reach: is it white and reachable? */
    hb_vec reach;
    uint64_t bad = 0;
    if (hb_vec_init(&reach, sizeof(uintptr_t), 1024) != 0)
        return ++*oom;
    for (size_t i = 0; i < c->env.nroots; i++)
        if (c->env.roots[i] != NULL)
            hb_vec_push_word(&reach, (uintptr_t)c->env.roots[i]);
    /* Depth-first over the whole graph with a second visited mark: the
     * object's slot array is walked once; IC_VALIDATE_BIT means
     * "gray-reachable", so visited objects are tracked in `seen`. */
    hb_vec seen;
    if (hb_vec_init(&seen, sizeof(uintptr_t), 1024) != 0) {
        hb_vec_fini(&reach);
        return ++*oom;
    }
    while (reach.len > 0) {
        hb_obj *o = (hb_obj *)hb_vec_pop_word(&reach);
        if (o->gcbits & 0x4000u)
            continue;
        o->gcbits |= 0x4000u;
        hb_vec_push_word(&seen, (uintptr_t)o);
        if (!(o->gcbits & MS_MARK) && !(o->gcbits & IC_VALIDATE_BIT))
            bad++;
        for (uint32_t k = 0; k < o->nrefs; k++)
            if (o->refs[k] != NULL && hb_vec_push_word(&reach, (uintptr_t)o->refs[k]) != 0)
                (*oom)++;
    }
    for (size_t i = 0; i < seen.len; i++)
        ((hb_obj *)hb_vec_words(&seen)[i])->gcbits &= (uint16_t)~0x4000u;
    hb_vec_fini(&seen);
    hb_vec_fini(&reach);
    return bad;
}

/* Sweeping: every reachable object in a table's unswept part is marked;
 * everything past the sweep's bounds is white. */
static uint64_t validate_sweep_part(hb_vec *t, size_t from, size_t end)
{
    uint64_t bad = 0;
    for (size_t i = from; i < t->len; i++) {
        hb_obj *o = (hb_obj *)hb_vec_words(t)[i];
        if (i < end && (o->gcbits & IC_VALIDATE_BIT) && !(o->gcbits & MS_MARK))
            bad++;
        if (i >= end && (o->gcbits & MS_COLOUR))
            bad++;
    }
    return bad;
}

static uint64_t validate_sweeping(ic_state *g, hb_vec *q, uint64_t *oom)
{
    ms_core *c = &g->c;
    for (size_t i = 0; i < c->env.nroots; i++)
        walk_push(q, c->env.roots[i], oom);
    walk(q, 0, oom);
    uint64_t bad = 0;
    const ms_sweep *sf = &g->sweep_fin, *sa = &g->sweep_all;
    bad += validate_sweep_part(&c->fin, g->phase == IC_SWEEP_ALL ? c->fin.len : sf->r, sf->end);
    bad += validate_sweep_part(&c->all, sa->r, sa->end);
    return bad;
}

/* Between cycles: no object has a colour. */
static uint64_t validate_pause(ic_state *g)
{
    uint64_t bad = 0;
    hb_vec *tables[2] = {&g->c.all, &g->c.fin};
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < tables[t]->len; i++)
            if (((hb_obj *)hb_vec_words(tables[t])[i])->gcbits & MS_COLOUR)
                bad++;
    return bad;
}

/*
 * Checks the invariant of the phase the collector is in (the file's
 * opening comment); returns the number of objects that break it (0: all
 * well; a walk that ran out of memory counts as one).  Walks the heap:
 * tests only.
 */
uint64_t gc_incremental_validate(void *ctx)
{
    ic_state *g = ctx;
    hb_vec q;
    uint64_t oom = 0, bad = 0;
    if (hb_vec_init(&q, sizeof(uintptr_t), 1024) != 0)
        return 1;
    if (g->phase == IC_PAUSE)
        bad = validate_pause(g);
    else if (g->marking)
        bad = validate_marking(g, &q, &oom);
    else
        bad = validate_sweeping(g, &q, &oom);
    clear_walk_bits(g, &g->c.all);
    clear_walk_bits(g, &g->c.fin);
    hb_vec_fini(&q);
    return bad + (oom ? 1 : 0);
}

const gc_strategy gc_incremental = {
    .name = "incremental",
    .description = "tri-colour incremental mark-sweep, Yuasa deletion barrier, steps paced by "
                   "allocation (pause = --growth, default 2)",
    .header_bytes = 0,
    .unavailable = NULL,
    .needs = {.allocator = NULL},
    .create = ic_create,
    .destroy = ic_destroy,
    .new_obj = ic_new_obj,
    .reg_write = ic_reg_write,
    .field_store = ic_field_store,
    .safepoint = NULL,
    .collect = ic_collect,
    .stats = ic_stats,
    .refcount = NULL,
};
