/*
 * tests/test_workloads.c -- the five workload generators and their registry.
 *
 * Each generator's stream is captured through a sink whose flush appends to
 * a growable array, then checked three ways: hb_ops_validate against the
 * generator's own register count; a shadow interpreter (a tiny exact model of
 * the object graph: registers -> objects of known kind and slot count, with a
 * mark-sweep of its own) that fails on every op the replay loop would count
 * as a no-op; and workload-specific facts read off the model (finalizers and
 * cycles in `cycles`, the list-growth copies in `large-arrays`, the
 * long-lived tree surviving in `gcbench`, phases in `server`).  Determinism
 * (same seed and scale: the same bytes; another seed: other bytes), scaling
 * (twice the scale, twice the ops), early stop and bad scales are checked
 * for every workload.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/workload.h"

#define NONE UINT32_MAX
#define MIB (1024u * 1024u)

/* ---- capturing and counting sinks ---- */

typedef struct capture {
    hb_op *ops;
    size_t n, cap;
} capture;

static int capture_flush(hb_sink *s)
{
    capture *c = s->ctx;
    if (c->n + s->len > c->cap) {
        size_t cap = c->cap ? c->cap : 1u << 16;
        while (cap < c->n + s->len)
            cap *= 2;
        hb_op *ops = realloc(c->ops, cap * sizeof *ops);
        if (ops == NULL)
            return -1;
        c->ops = ops;
        c->cap = cap;
    }
    memcpy(c->ops + c->n, s->buf, s->len * sizeof *s->buf);
    c->n += s->len;
    return 0;
}

typedef struct compare {
    const capture *ref;
    size_t at;
    int differs;
} compare;

/* Compares the stream with a captured one as it goes, without storing it. */
static int compare_flush(hb_sink *s)
{
    compare *c = s->ctx;
    if (c->at + s->len > c->ref->n ||
        memcmp(c->ref->ops + c->at, s->buf, s->len * sizeof *s->buf) != 0)
        c->differs = 1;
    c->at += s->len;
    return 0;
}

typedef struct counter {
    uint64_t seen;
    uint64_t at_phase2; /* ops before the PHASE 2 marker, if any */
} counter;

static int count_flush(hb_sink *s)
{
    counter *c = s->ctx;
    for (size_t i = 0; i < s->len; i++) {
        if (s->buf[i].code == HB_OP_PHASE && s->buf[i].c == 2)
            c->at_phase2 = c->seen + i;
    }
    c->seen += s->len;
    return 0;
}

/* Stops the stream at its first flush. */
static int stop_flush(hb_sink *s)
{
    (void)s;
    return -1;
}

static int generate_into(const wl_workload *w, double scale, uint64_t seed,
                         int (*flush)(hb_sink *), void *ctx, uint64_t *emitted)
{
    static hb_op buf[4096];
    hb_sink s = {buf, 0, sizeof buf / sizeof buf[0], flush, ctx, 0, 0};
    wl_params p = {.scale = scale, .seed = seed};
    int rc = w->generate(&p, &s);
    hb_sink_flush(&s);
    if (emitted)
        *emitted = s.emitted;
    return rc;
}

static capture capture_stream(const wl_workload *w, double scale, uint64_t seed)
{
    capture c = {NULL, 0, 0};
    uint64_t emitted = 0;
    assert_int_equal(generate_into(w, scale, seed, capture_flush, &c, &emitted), 0);
    assert_int_equal(emitted, c.n);
    return c;
}

static uint64_t count_ops(const wl_workload *w, double scale, uint64_t seed, counter *c)
{
    memset(c, 0, sizeof *c);
    assert_int_equal(generate_into(w, scale, seed, count_flush, c, NULL), 0);
    return c->seen;
}

/* ---- the shadow interpreter ---- */

typedef struct sobj {
    uint8_t kind, flags, mark, live;
    uint8_t rc_dead; /* reference counting would have freed it */
    uint32_t rc;     /* references from registers and slots */
    uint32_t nrefs, payload;
    uint32_t *refs; /* object ids or NONE */
} sobj;

typedef struct shadow {
    uint32_t nregs;
    uint32_t *reg; /* object id or NONE */
    sobj *obj;
    uint32_t nobj, objcap; /* ids in use: [0, nobj) */
    uint32_t *free_ids;
    uint32_t nfree;
    uint32_t live;     /* objects not yet swept */
    uint32_t gc_at;    /* the shadow collects when live passes this */
    uint32_t *stack;   /* the mark stack */
    uint32_t stack_cap, sp;
    /* what the stream did */
    uint64_t ops, noops, news, finalizers, collects, phases;
    uint32_t last_phase;
    int phases_in_order;
    uint64_t max_payload;
    uint32_t phase_max_payload[64]; /* the largest NEW in each phase */
    uint64_t big_gets;              /* GETs from objects of >= 1000 slots */
    /* Pure reference counting, run alongside: what it would free. */
    uint64_t rc_freed;
    uint32_t *rcstack;
    uint32_t rcstack_cap;
    const char *first_noop;
    uint64_t first_noop_at;
    int saw_cycle;
    /* list growth: the last GET, and copies into bigger arrays */
    int get_valid;
    uint32_t get_dst, get_src, get_idx;
    uint64_t growths; /* complete copies into a CPython-sized array */
} shadow;

static void shadow_init(shadow *sh, uint32_t nregs)
{
    memset(sh, 0, sizeof *sh);
    sh->nregs = nregs;
    sh->reg = malloc(nregs * sizeof *sh->reg);
    assert_non_null(sh->reg);
    for (uint32_t i = 0; i < nregs; i++)
        sh->reg[i] = NONE;
    sh->phases_in_order = 1;
    sh->gc_at = 65536;
}

static void shadow_free(shadow *sh)
{
    free(sh->rcstack);
    for (uint32_t i = 0; i < sh->nobj; i++)
        free(sh->obj[i].refs);
    free(sh->obj);
    free(sh->free_ids);
    free(sh->stack);
    free(sh->reg);
}

static void noop(shadow *sh, const char *why)
{
    if (sh->noops++ == 0) {
        sh->first_noop = why;
        sh->first_noop_at = sh->ops;
    }
}

/* The mark stack holds each object at most once, so objcap entries do. */
static void push(shadow *sh, uint32_t id)
{
    if (sh->stack_cap < sh->objcap) {
        sh->stack_cap = sh->objcap;
        sh->stack = realloc(sh->stack, sh->stack_cap * sizeof *sh->stack);
        assert_non_null(sh->stack);
    }
    sh->stack[sh->sp++] = id;
}

/* Marks everything reachable from the registers; returns the count. */
static uint32_t shadow_mark(shadow *sh)
{
    uint32_t marked = 0;
    for (uint32_t i = 0; i < sh->nobj; i++)
        sh->obj[i].mark = 0;
    for (uint32_t r = 0; r < sh->nregs; r++) {
        if (sh->reg[r] != NONE && !sh->obj[sh->reg[r]].mark) {
            sh->obj[sh->reg[r]].mark = 1;
            push(sh, sh->reg[r]);
        }
    }
    while (sh->sp > 0) {
        sobj *o = &sh->obj[sh->stack[--sh->sp]];
        marked++;
        for (uint32_t i = 0; i < o->nrefs; i++) {
            uint32_t t = o->refs[i];
            if (t != NONE && !sh->obj[t].mark) {
                sh->obj[t].mark = 1;
                push(sh, t);
            }
        }
    }
    return marked;
}

/*
 * Is any live object reachable from itself?  An iterative depth-first search
 * with three colours in `mark` (0 new, 2 on the path, 3 done): an edge to an
 * object on the path closes a cycle.  The stack holds (object, next slot)
 * as two entries.
 */
static int shadow_has_cycle(shadow *sh)
{
    uint32_t cap = 2 * sh->objcap + 16, depth = 0;
    uint32_t *st = malloc(cap * sizeof *st);
    assert_non_null(st);
    int found = 0;
    for (uint32_t i = 0; i < sh->nobj; i++)
        sh->obj[i].mark = 0;
    for (uint32_t s = 0; s < sh->nobj && !found; s++) {
        if (!sh->obj[s].live || sh->obj[s].mark)
            continue;
        sh->obj[s].mark = 2;
        st[depth++] = s;
        st[depth++] = 0;
        while (depth > 0 && !found) {
            sobj *o = &sh->obj[st[depth - 2]];
            uint32_t slot = st[depth - 1]++;
            if (slot >= o->nrefs) {
                o->mark = 3;
                depth -= 2;
                continue;
            }
            uint32_t t = o->refs[slot];
            if (t == NONE || sh->obj[t].mark == 3)
                continue;
            if (sh->obj[t].mark == 2) {
                found = 1;
            } else {
                sh->obj[t].mark = 2;
                st[depth++] = t;
                st[depth++] = 0;
            }
        }
    }
    free(st);
    return found;
}

/* Frees what the registers cannot reach, looking for cycles among it first. */
static void shadow_gc(shadow *sh)
{
    if (!sh->saw_cycle)
        sh->saw_cycle = shadow_has_cycle(sh);
    shadow_mark(sh);
    uint32_t live = 0;
    for (uint32_t i = 0; i < sh->nobj; i++) {
        sobj *o = &sh->obj[i];
        if (!o->live)
            continue;
        if (o->mark) {
            live++;
            continue;
        }
        free(o->refs);
        o->refs = NULL;
        o->live = 0;
        sh->free_ids[sh->nfree++] = i;
    }
    sh->live = live;
    sh->gc_at = 2 * live + 65536;
}

static uint32_t shadow_alloc(shadow *sh)
{
    if (sh->live > sh->gc_at)
        shadow_gc(sh);
    if (sh->nfree > 0)
        return sh->free_ids[--sh->nfree];
    if (sh->nobj == sh->objcap) {
        sh->objcap = sh->objcap ? 2 * sh->objcap : 4096;
        sh->obj = realloc(sh->obj, sh->objcap * sizeof *sh->obj);
        sh->free_ids = realloc(sh->free_ids, sh->objcap * sizeof *sh->free_ids);
        assert_non_null(sh->obj);
        assert_non_null(sh->free_ids);
    }
    return sh->nobj++;
}

static void rc_push(shadow *sh, uint32_t *sp, uint32_t id)
{
    if (*sp == sh->rcstack_cap) {
        sh->rcstack_cap = sh->rcstack_cap ? 2 * sh->rcstack_cap : 1024;
        sh->rcstack = realloc(sh->rcstack, sh->rcstack_cap * sizeof *sh->rcstack);
        assert_non_null(sh->rcstack);
    }
    sh->rcstack[(*sp)++] = id;
}

/* Drops one reference; at zero, reference counting frees the object and
 * drops its references in turn.  (The shadow's own mark-sweep reclaims the
 * memory later; this only counts.) */
static void rc_dec(shadow *sh, uint32_t id)
{
    uint32_t sp = 0;
    if (id == NONE || --sh->obj[id].rc > 0)
        return;
    rc_push(sh, &sp, id);
    while (sp > 0) {
        sobj *o = &sh->obj[sh->rcstack[--sp]];
        o->rc_dead = 1;
        sh->rc_freed++;
        for (uint32_t i = 0; i < o->nrefs; i++) {
            uint32_t t = o->refs[i];
            if (t != NONE && --sh->obj[t].rc == 0)
                rc_push(sh, &sp, t);
        }
    }
}

static void set_reg(shadow *sh, uint32_t r, uint32_t id)
{
    uint32_t old = sh->reg[r];
    if (id != NONE)
        sh->obj[id].rc++;
    sh->reg[r] = id;
    rc_dec(sh, old);
}

static void set_slot(shadow *sh, uint32_t obj, uint32_t i, uint32_t id)
{
    uint32_t old = sh->obj[obj].refs[i];
    if (id != NONE)
        sh->obj[id].rc++;
    sh->obj[obj].refs[i] = id;
    rc_dec(sh, old);
}

static void do_new(shadow *sh, const hb_op *op)
{
    uint32_t id = shadow_alloc(sh);
    sobj *o = &sh->obj[id];
    o->kind = op->kind;
    o->flags = op->flags;
    o->live = 1;
    o->nrefs = op->b;
    o->payload = op->c;
    o->refs = malloc((op->b ? op->b : 1) * sizeof *o->refs);
    assert_non_null(o->refs);
    for (uint32_t i = 0; i < op->b; i++)
        o->refs[i] = NONE;
    sh->live++;
    sh->news++;
    if (op->flags & HB_F_FINALIZER)
        sh->finalizers++;
    o->rc = 0;
    o->rc_dead = 0;
    if (op->c > sh->max_payload)
        sh->max_payload = op->c;
    if (sh->phases > 0 && sh->phases <= 64 && op->c > sh->phase_max_payload[sh->phases - 1])
        sh->phase_max_payload[sh->phases - 1] = op->c;
    set_reg(sh, op->a, id);
}

/* CPython's list capacity for a list that must hold newsize items. */
static uint32_t pylist_capacity(uint32_t newsize)
{
    return (newsize + (newsize >> 3) + 6) & ~3u;
}

/* A SET that stores what the last GET loaded, at the same index, from a
 * smaller array into a bigger one is a list-growth copy; its last item
 * completes a growth. */
static void note_copy(shadow *sh, const hb_op *op)
{
    if (!sh->get_valid || op->c != sh->get_dst || op->b != sh->get_idx)
        return;
    const sobj *from = &sh->obj[sh->get_src], *to = &sh->obj[sh->reg[op->a]];
    if (from->kind == HB_ARRAY && to->kind == HB_ARRAY && to->nrefs > from->nrefs &&
        op->b == from->nrefs - 1 && to->nrefs == pylist_capacity(from->nrefs + 1))
        sh->growths++;
}

/* RESIZE as its semantics say (harness/core/ops.h): a copy with the new slot
 * count into the same register; a CPython-sized one is a list growth. */
static void do_resize(shadow *sh, const hb_op *op)
{
    uint32_t r = sh->reg[op->a];
    if (r == NONE || sh->obj[r].kind == HB_LEAF || (sh->obj[r].flags & HB_F_FINALIZER)) {
        noop(sh, "RESIZE of an empty register, a leaf or a finalizer object");
        return;
    }
    if (op->c == pylist_capacity(sh->obj[r].nrefs + 1))
        sh->growths++;
    sh->obj[r].rc++; /* held across the register write */
    hb_op mk = {HB_OP_NEW, sh->obj[r].kind, 0, 0, op->a, op->c, sh->obj[r].payload};
    do_new(sh, &mk);
    uint32_t n = sh->reg[op->a];
    for (uint32_t i = 0; i < op->c && i < sh->obj[r].nrefs; i++)
        set_slot(sh, n, i, sh->obj[r].refs[i]);
    rc_dec(sh, r);
}

static void do_set(shadow *sh, const hb_op *op)
{
    uint32_t r = sh->reg[op->a];
    if (r == NONE) {
        noop(sh, "SET on an empty register");
    } else if (op->b >= sh->obj[r].nrefs) {
        noop(sh, "SET past the object's slots");
    } else if (op->c != HB_NIL && sh->reg[op->c] == NONE) {
        noop(sh, "SET from an empty register (use HB_NIL)");
    } else {
        note_copy(sh, op);
        set_slot(sh, r, op->b, op->c == HB_NIL ? NONE : sh->reg[op->c]);
    }
}

static void do_get(shadow *sh, const hb_op *op)
{
    uint32_t r = sh->reg[op->b];
    if (r == NONE) {
        noop(sh, "GET from an empty register");
        return;
    }
    if (op->c >= sh->obj[r].nrefs) {
        noop(sh, "GET past the object's slots");
        return;
    }
    if (sh->obj[r].nrefs >= 1000)
        sh->big_gets++;
    set_reg(sh, op->a, sh->obj[r].refs[op->c]);
    sh->get_valid = 1;
    sh->get_dst = op->a;
    sh->get_src = r;
    sh->get_idx = op->c;
}

static void do_touch(shadow *sh, const hb_op *op)
{
    uint32_t r = sh->reg[op->a];
    if (r == NONE)
        noop(sh, "TOUCH on an empty register");
    else if (sh->obj[r].payload == 0 || op->c == 0)
        noop(sh, "TOUCH of no payload bytes");
}

static void do_phase(shadow *sh, const hb_op *op)
{
    if (op->c != (sh->phases ? sh->last_phase + 1 : 0))
        sh->phases_in_order = 0;
    sh->last_phase = op->c;
    sh->phases++;
}

static void shadow_op(shadow *sh, const hb_op *op)
{
    int was_get = op->code == HB_OP_GET;
    switch (op->code) {
    case HB_OP_NEW: do_new(sh, op); break;
    case HB_OP_SET: do_set(sh, op); break;
    case HB_OP_GET: do_get(sh, op); break;
    case HB_OP_MOV:
        if (sh->reg[op->b] == NONE)
            noop(sh, "MOV from an empty register");
        set_reg(sh, op->a, sh->reg[op->b]);
        break;
    case HB_OP_DROP:
        if (sh->reg[op->a] == NONE)
            noop(sh, "DROP of an empty register");
        set_reg(sh, op->a, NONE);
        break;
    case HB_OP_TOUCH: do_touch(sh, op); break;
    case HB_OP_COLLECT: sh->collects++; break;
    case HB_OP_PHASE: do_phase(sh, op); break;
    case HB_OP_RESIZE: do_resize(sh, op); break;
    default: noop(sh, "an allocator-trace op in a workload stream"); break;
    }
    if (!was_get && op->code != HB_OP_SET)
        sh->get_valid = 0;
    sh->ops++;
}

/* Validates and interprets a whole stream; the caller frees sh. */
static void shadow_run(shadow *sh, const capture *c, uint32_t nregs)
{
    const char *why = NULL;
    size_t bad = hb_ops_validate(c->ops, c->n, nregs, &why);
    if (bad != c->n)
        fail_msg("op %zu invalid: %s", bad, why);
    shadow_init(sh, nregs);
    for (size_t i = 0; i < c->n; i++)
        shadow_op(sh, &c->ops[i]);
    if (sh->noops != 0)
        fail_msg("%llu no-op ops, the first at op %llu: %s", (unsigned long long)sh->noops,
                 (unsigned long long)sh->first_noop_at, sh->first_noop);
    shadow_gc(sh);
}

/* ---- generic checks, run for every workload ---- */

static const wl_workload *workload(void **state)
{
    return *state;
}

static int setup_named(void **state, const char *name)
{
    *state = (void *)wl_find(name);
    return *state ? 0 : -1;
}

static int setup_small(void **state) { return setup_named(state, "small-objects"); }
static int setup_cycles(void **state) { return setup_named(state, "cycles"); }
static int setup_large(void **state) { return setup_named(state, "large-arrays"); }
static int setup_gcbench(void **state) { return setup_named(state, "gcbench"); }
static int setup_server(void **state) { return setup_named(state, "server"); }

static uint32_t registers_of(const wl_workload *w, double scale)
{
    wl_params p = {.scale = scale, .seed = 1};
    uint32_t n = w->registers(&p);
    assert_true(n >= 1 && n <= 100000);
    return n;
}

static void test_valid_and_meaningful(void **state)
{
    const wl_workload *w = workload(state);
    const double scales[] = {0.01, 0.001};
    for (size_t k = 0; k < 2; k++) {
        capture c = capture_stream(w, scales[k], 1);
        assert_true(c.n > 10);
        shadow sh;
        shadow_run(&sh, &c, registers_of(w, scales[k]));
        assert_true(sh.news > 0);
        shadow_free(&sh);
        free(c.ops);
    }
}

static void test_deterministic(void **state)
{
    const wl_workload *w = workload(state);
    capture c = capture_stream(w, 0.01, 7);
    compare same = {&c, 0, 0}, other = {&c, 0, 0};
    assert_int_equal(generate_into(w, 0.01, 7, compare_flush, &same, NULL), 0);
    assert_false(same.differs);
    assert_int_equal(same.at, c.n);
    assert_int_equal(generate_into(w, 0.01, 8, compare_flush, &other, NULL), 0);
    if (strcmp(w->name, "gcbench") == 0) {
        /* GCBench has no random choices: every seed gives the same stream. */
        assert_false(other.differs || other.at != c.n);
    } else {
        assert_true(other.differs || other.at != c.n);
    }
    free(c.ops);
}

/* Twice the scale is twice the ops.  gcbench has fixed work (the stretch
 * and long-lived trees, and at most scales the floor of one tree per
 * depth), so there the ops from its third phase on are compared, at scales
 * where that floor does not bind. */
static void test_scales_linearly(void **state)
{
    const wl_workload *w = workload(state);
    int fixed_part = strcmp(w->name, "gcbench") == 0;
    /* server's warm-up fill is a fixed ~250 k ops: at 0.1 it is 4% of the
     * stream, so the ratio stays within the band. */
    double s = fixed_part ? 0.125 : strcmp(w->name, "server") == 0 ? 0.1 : 0.01;
    counter c1, c2;
    uint64_t n1 = count_ops(w, s, 3, &c1), n2 = count_ops(w, 2 * s, 3, &c2);
    if (fixed_part) {
        assert_true(c1.at_phase2 > 0 && c1.at_phase2 == c2.at_phase2);
        n1 -= c1.at_phase2;
        n2 -= c2.at_phase2;
    }
    double ratio = (double)n2 / (double)n1;
    if (ratio < 1.9 || ratio > 2.1)
        fail_msg("%s: %llu ops at scale %g, %llu at %g: ratio %.3f, expected 1.9-2.1", w->name,
                 (unsigned long long)n1, s, (unsigned long long)n2, 2 * s, ratio);
}

static void test_stops_early(void **state)
{
    const wl_workload *w = workload(state);
    counter full;
    uint64_t total = count_ops(w, 0.01, 1, &full), emitted = 0;
    assert_int_equal(generate_into(w, 0.01, 1, stop_flush, NULL, &emitted), 0);
    assert_true(emitted < total);
}

static void test_rejects_bad_scale(void **state)
{
    const wl_workload *w = workload(state);
    const double bad[] = {0.0, -1.0, NAN, INFINITY, 1e12};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t emitted = 0;
        counter c = {0, 0};
        assert_int_equal(generate_into(w, bad[i], 1, count_flush, &c, &emitted), -1);
        assert_int_equal(emitted, 0);
    }
}

/* ---- what each workload is about ---- */

static void run_model(const wl_workload *w, double scale, shadow *sh)
{
    capture c = capture_stream(w, scale, 1);
    shadow_run(sh, &c, registers_of(w, scale));
    free(c.ops);
}

/* No cycles: reference counting alone frees every object that died. */
static void assert_acyclic_garbage(shadow *sh, uint32_t reachable)
{
    if (sh->rc_freed != sh->news - reachable)
        fail_msg("%llu objects made, %u reachable, but reference counting freed %llu",
                 (unsigned long long)sh->news, reachable, (unsigned long long)sh->rc_freed);
}

/* Most objects die young; the table keeps some. */
static void test_small_objects_facts(void **state)
{
    shadow sh;
    run_model(workload(state), 0.01, &sh);
    uint32_t reachable = shadow_mark(&sh);
    assert_true(reachable > 10);            /* the table and what it keeps */
    assert_true(reachable < sh.news / 10); /* most died */
    assert_int_equal(sh.finalizers, 0);
    assert_acyclic_garbage(&sh, reachable);
    shadow_free(&sh);
}

/* Finalizers near 5%, cycles, a COLLECT, and nothing reachable at the end:
 * everything built was dropped, so all of it is cyclic garbage. */
static void test_cycles_facts(void **state)
{
    shadow sh;
    capture c = capture_stream(workload(state), 0.01, 1);
    shadow_init(&sh, registers_of(workload(state), 0.01));
    /* The shadow's collector looks for a cycle among the garbage before
     * each sweep (saw_cycle); the final search covers what is left. */
    for (size_t i = 0; i < c.n; i++)
        shadow_op(&sh, &c.ops[i]);
    assert_int_equal(sh.noops, 0);
    assert_true(shadow_has_cycle(&sh) || sh.saw_cycle);
    assert_true(sh.finalizers > sh.news / 50 && sh.finalizers < sh.news / 12);
    assert_true(sh.collects >= 1);
    assert_int_equal(shadow_mark(&sh), 0);
    /* Pure reference counting leaks nearly all of it: only the containers
     * holding random graphs, and graph nodes no other node points to, die. */
    assert_true(sh.rc_freed < sh.news / 20);
    shadow_free(&sh);
    free(c.ops);
}

/* A payload of at least 1 MiB, and at least one list grown the CPython way
 * (one RESIZE to CPython's capacity). */
static void test_large_arrays_facts(void **state)
{
    shadow sh;
    run_model(workload(state), 0.01, &sh);
    assert_true(sh.max_payload >= MIB);
    assert_true(sh.growths >= 1);
    assert_acyclic_garbage(&sh, shadow_mark(&sh));
    shadow_free(&sh);
}

/* The long-lived tree (TreeSize(16) nodes) and array survive to the end,
 * and nothing else does. */
static void test_gcbench_facts(void **state)
{
    shadow sh;
    run_model(workload(state), 0.01, &sh);
    assert_int_equal(shadow_mark(&sh), (2u << 16) - 1 + 1);
    assert_acyclic_garbage(&sh, (2u << 16) - 1 + 1);
    assert_true(sh.phases_in_order);
    assert_int_equal(sh.phases, 2 + 7); /* stretch, long-lived, depths 4..16 */
    assert_int_equal(sh.max_payload, 4000000);
    shadow_free(&sh);
}

static void test_server_facts(void **state)
{
    shadow sh;
    run_model(workload(state), 0.01, &sh);
    assert_true(sh.phases >= 10);
    assert_true(sh.phases_in_order);
    uint32_t reachable = shadow_mark(&sh);
    assert_true(reachable > 100); /* the cache */
    assert_true(sh.big_gets > 0); /* cache hits */
    assert_acyclic_garbage(&sh, reachable);
    /* Value sizes shift: phase 1 makes values of 1-16 KiB, phase 2 nothing
     * over 256 bytes (values, keys and request leaves alike). */
    assert_true(sh.phase_max_payload[1] > 4096);
    assert_true(sh.phase_max_payload[2] <= 256);
    shadow_free(&sh);
}

/* ---- the registry ---- */

static void test_registry(void **state)
{
    (void)state;
    static const char *const order[] = {"small-objects", "cycles", "large-arrays", "gcbench",
                                        "server", "larson", "xmalloc",
                                        "cache-scratch"};
    assert_int_equal(wl_workload_count, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(wl_workloads[i]->name, order[i]);
        assert_ptr_equal(wl_find(order[i]), wl_workloads[i]);
        assert_non_null(wl_workloads[i]->description);
    }
    assert_null(wl_find("gc-bench"));
    assert_null(wl_find(""));
    assert_null(wl_find(NULL));
    char buf[128];
    wl_names(buf, sizeof buf);
    assert_string_equal(buf, "small-objects, cycles, large-arrays, gcbench, server, larson, xmalloc, "
                             "cache-scratch");
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    wl_names(tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

#define PER_WORKLOAD(setup, facts)                                          \
    cmocka_unit_test_setup(test_valid_and_meaningful, setup),              \
        cmocka_unit_test_setup(test_deterministic, setup),                 \
        cmocka_unit_test_setup(test_scales_linearly, setup),               \
        cmocka_unit_test_setup(test_stops_early, setup),                   \
        cmocka_unit_test_setup(test_rejects_bad_scale, setup),             \
        cmocka_unit_test_setup(facts, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        PER_WORKLOAD(setup_small, test_small_objects_facts),
        PER_WORKLOAD(setup_cycles, test_cycles_facts),
        PER_WORKLOAD(setup_large, test_large_arrays_facts),
        PER_WORKLOAD(setup_gcbench, test_gcbench_facts),
        PER_WORKLOAD(setup_server, test_server_facts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
