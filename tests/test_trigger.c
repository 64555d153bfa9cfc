/*
 * tests/test_trigger.c -- the "full" trigger (gc_config.trigger,
 * --trigger full): under a heap limit, each tracing collector collects only
 * when the heap is full, and more heap means fewer collections.
 *
 * Directly over the pool allocator, one mutator for every collector: 64
 * registers, each allocation replaces a register's object (an object of two
 * slots with a payload of 0-255 bytes, pointing at itself, so that rc-cycle
 * sees cyclic garbage; one in eight also points at the object of the next
 * register).  Before each new_obj the test notes the bytes the heap holds
 * and the object's size; the collector's collected() hook tells which calls
 * collected.  Then, per collector, what "the heap is full" means:
 *   mark-sweep  a collection only in a call where held + size > limit;
 *   rc-cycle    the same for its full collections (the generation
 *               thresholds set out of reach, so no other one runs);
 *   gen-copy    minor collections when eden is full, as always; a major one
 *               only in a call where the old generation held more than
 *               3/4 of the limit (old + nursery + copy reserve passed the
 *               limit, the nursery and its reserve at most 1/8 each);
 *   incremental a cycle begins only once held + size passed half the limit
 *               (its early start is at most half the limit), and a
 *               complete collection only in a call where held + size >
 *               limit;
 *   boehm       (its own heap, one per process: through hb_run, isolated)
 *               fewer collections under "full" than under "growth" at a
 *               large limit, and fewer at 4x a limit than at 1x.
 * And for the first four, doubling the limit twice strictly lowers the
 * number of (major) collections each time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allocators/allocator.h"
#include "collectors/collector.h"
#include "harness/core/object.h"
#include "harness/core/rng.h"
#include "harness/run/run.h"

/* The test seam of collectors/incremental.c (not in a header). */
int gc_incremental_marking(void *ctx);

#define NREGS 64
#define ALLOCS 200000

typedef struct tr {
    al_heap heap;
    hb_obj *regs[NREGS];
    gc_config cfg;
    gc_env env;
    const gc_strategy *s;
    void *ctx;
    int in_call_full, in_call_minor; /* collected() during this new_obj */
    uint64_t collections, majors;
    uint64_t bad;                    /* collections that broke the rule */
    char why[256];                   /* the first of them */
} tr;

static void on_collected(void *arg, int full)
{
    tr *t = arg;
    if (full)
        t->in_call_full = 1;
    else
        t->in_call_minor = 1;
}

static void tr_open(tr *t, const char *coll, uint64_t limit)
{
    memset(t, 0, sizeof *t);
    al_config acfg = {0};
    assert_int_equal(al_heap_open(&t->heap, al_find("pool"), &acfg), 0);
    al_heap_set_limit(&t->heap, limit);
    t->cfg.trigger = "full";
    if (strcmp(coll, "rc-cycle") == 0)
        for (int g = 0; g < 3; g++)
            t->cfg.threshold[g] = UINT32_MAX; /* only the heap limit collects */
    t->env = (gc_env){.heap = &t->heap, .roots = t->regs, .nroots = NREGS, .cfg = &t->cfg,
                      .harness = t, .collected = on_collected};
    t->s = gc_find(coll);
    assert_non_null(t->s);
    t->ctx = t->s->create(&t->env);
    assert_non_null(t->ctx);
}

static void tr_close(tr *t)
{
    t->s->destroy(t->ctx);
    assert_int_equal(t->heap.live_bytes, 0);
    al_heap_close(&t->heap);
}

static void note_bad(tr *t, const char *what, uint64_t held, size_t bytes)
{
    if (t->bad++ == 0)
        snprintf(t->why, sizeof t->why, "%s: held %llu + %zu against limit %llu", what,
                 (unsigned long long)held, bytes, (unsigned long long)t->heap.limit_bytes);
}

/* Checks one new_obj call against the collector's rule (top of file). */
static void check_call(tr *t, const char *coll, uint64_t held, size_t bytes, int began)
{
    uint64_t limit = t->heap.limit_bytes;
    int over = held + bytes > limit;
    if (strcmp(coll, "gen-copy") == 0) {
        if (t->in_call_full && !(held > limit / 4 * 3))
            note_bad(t, "a major collection below 3/4 of the heap", held, bytes);
    } else if (t->in_call_full && !over) {
        note_bad(t, "a complete collection with room left", held, bytes);
    }
    if (strcmp(coll, "mark-sweep") == 0 && t->in_call_minor && !over)
        note_bad(t, "a collection with room left", held, bytes);
    if (began && !(held + bytes > limit / 2))
        note_bad(t, "a cycle begun below half the heap", held, bytes);
}

/* The mutator of the top of the file; returns 0, or -1 at an oom. */
static int tr_drive(tr *t, const char *coll, uint64_t seed)
{
    hb_rng r;
    hb_rng_seed(&r, seed);
    int inc = strcmp(coll, "incremental") == 0;
    for (int i = 0; i < ALLOCS; i++) {
        unsigned k = (unsigned)hb_rng_below(&r, NREGS);
        uint32_t payload = (uint32_t)hb_rng_below(&r, 256);
        size_t bytes = t->s->header_bytes + hb_obj_body_bytes(2, payload);
        uint64_t held = t->heap.live_bytes;
        int marking = inc && gc_incremental_marking(t->ctx);
        t->in_call_full = t->in_call_minor = 0;
        hb_obj *o = t->s->new_obj(t->ctx, &t->regs[k], HB_CONTAINER, 0, 2, payload);
        if (o == NULL)
            return -1;
        int began = inc && !marking && gc_incremental_marking(t->ctx);
        check_call(t, coll, held, bytes, began);
        t->collections += (uint64_t)(t->in_call_full + t->in_call_minor);
        t->s->field_store(t->ctx, o, 0, o);
        if (hb_rng_below(&r, 8) == 0)
            t->s->field_store(t->ctx, o, 1, t->regs[(k + 1) % NREGS]);
    }
    return 0;
}

/* Collections of the whole heap (gen-copy: major ones) at one limit. */
static uint64_t full_heap_run(const char *coll, uint64_t limit)
{
    tr t;
    tr_open(&t, coll, limit);
    if (tr_drive(&t, coll, 7) != 0)
        fail_msg("%s at limit %llu: oom", coll, (unsigned long long)limit);
    gc_stats st;
    t.s->stats(t.ctx, &st);
    if (t.bad)
        fail_msg("%s at limit %llu: %llu collections broke the rule, first: %s", coll,
                 (unsigned long long)limit, (unsigned long long)t.bad, t.why);
    tr_close(&t);
    return st.major_collections;
}

static void collects_when_full(const char *coll)
{
    uint64_t limit = 384u << 10;
    uint64_t c1 = full_heap_run(coll, limit);
    uint64_t c2 = full_heap_run(coll, limit * 2);
    uint64_t c4 = full_heap_run(coll, limit * 4);
    printf("%s: %llu, %llu, %llu collections at 1x, 2x, 4x\n", coll, (unsigned long long)c1,
           (unsigned long long)c2, (unsigned long long)c4);
    assert_true(c1 > 0);
    assert_true(c2 < c1);
    assert_true(c4 < c2);
}

static void mark_sweep_collects_when_full(void **state)
{
    (void)state;
    collects_when_full("mark-sweep");
}

static void incremental_collects_when_full(void **state)
{
    (void)state;
    collects_when_full("incremental");
}

static void gen_copy_collects_when_full(void **state)
{
    (void)state;
    collects_when_full("gen-copy");
}

static void rc_cycle_collects_when_full(void **state)
{
    (void)state;
    collects_when_full("rc-cycle");
}

/* ---- boehm, through hb_run (libgc is one per process) ---- */

typedef struct got {
    char status[16];
    uint64_t collections;
} got;

static int keep(void *arg, const hb_row *row)
{
    got *g = arg;
    snprintf(g->status, sizeof g->status, "%s", row->status);
    g->collections = row->collections;
    return 0;
}

static uint64_t boehm_run(const char *trigger, uint64_t limit)
{
    got g = {"none", 0};
    hb_run_config cfg = {.alloc = "boehm", .coll = "boehm", .work = "gcbench",
                         .wp = {.scale = 0.02, .seed = 1}, .reps = 1, .isolate = 1,
                         .heap_limit_bytes = limit};
    cfg.gcfg.trigger = trigger;
    int rc = hb_run(&cfg, keep, &g, NULL);
    if (rc != 0 || strcmp(g.status, "ok") != 0)
        fail_msg("boehm --trigger %s --heap-limit %llu: rc %d, status %s", trigger,
                 (unsigned long long)limit, rc, g.status);
    return g.collections;
}

static void boehm_full_collects_less(void **state)
{
    (void)state;
    const gc_strategy *b = gc_find("boehm");
    if (b == NULL || (b->unavailable && b->unavailable()))
        skip();
    uint64_t grow = boehm_run("growth", 64u << 20), full = boehm_run("full", 64u << 20);
    uint64_t full1 = boehm_run("full", 32u << 20), full4 = boehm_run("full", 128u << 20);
    printf("boehm: growth %llu, full %llu collections at 64M; full %llu at 32M, %llu at 128M\n",
           (unsigned long long)grow, (unsigned long long)full, (unsigned long long)full1,
           (unsigned long long)full4);
    assert_true(full < grow);
    assert_true(full4 < full1);
}

/* ---- the setting itself ---- */

static void full_needs_a_limit_and_a_known_name(void **state)
{
    (void)state;
    hb_err e;
    assert_int_equal(gc_trigger_check(NULL, 0, &e), 0);
    assert_int_equal(gc_trigger_check("growth", 0, &e), 0);
    assert_int_equal(gc_trigger_check("full", 1 << 20, &e), 0);
    assert_int_equal(gc_trigger_check("full", 0, &e), -1);
    assert_non_null(strstr(e.msg, "--heap-limit"));
    assert_int_equal(gc_trigger_check("fill", 1 << 20, &e), -1);
    assert_non_null(strstr(e.msg, "'fill'"));
    gc_config c = {.trigger = "full"};
    assert_true(gc_trigger_full(&c));
    c.trigger = "growth";
    assert_false(gc_trigger_full(&c));
    assert_false(gc_trigger_full(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_needs_a_limit_and_a_known_name),
        cmocka_unit_test(mark_sweep_collects_when_full),
        cmocka_unit_test(incremental_collects_when_full),
        cmocka_unit_test(gen_copy_collects_when_full),
        cmocka_unit_test(rc_cycle_collects_when_full),
        cmocka_unit_test(boehm_full_collects_less),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
