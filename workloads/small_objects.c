/*
 * workloads/small_objects.c -- `small-objects`: a Python-like mix of small
 * objects, most of which die young.
 *
 * The stream is a sequence of "statements".  Each makes one value -- an
 * int-like leaf (16-32 payload bytes, 45%), a string-like leaf (24-200
 * bytes, log-uniform, written in full, 35%) or a tuple-like container of 1-4
 * references to leaves (20%, built in a temp: NEW the tuple, NEW or borrow
 * each child, SET it, DROP the temps) -- and stores it in a ring of
 * RING_REGS local-variable registers, so a value dies RING_REGS statements
 * later unless something else holds it.  5% of values are promoted into a
 * long-lived table (one container of TABLE_SLOTS slots held in register 0)
 * at a random slot, killing whatever the slot held; 1% of statements delete
 * a table entry.  30% of statements read a table entry (and, for a tuple,
 * one of its items) and TOUCH it; 20% TOUCH a ring value (mutator work).
 *
 * Sizes are payload bytes: every object also has the 16-byte hb_obj header,
 * 8 bytes per slot and the collector's header.
 *
 * With --intern (wl_params.intern) an int-like leaf is not made afresh: the
 * one leaf of its value (its drawn payload size stands for the value: 17
 * values, 16..32) is made once into a cache register and then shared by a
 * MOV, as CPython's small-int cache shares -5..256.  The same draws are
 * made, so the two variants run the same statements.
 *
 * Parameters: scale multiplies the statement count (SO_STATEMENTS_PER_SCALE
 * at scale 1.0); the table and ring sizes are fixed, so the long-lived data
 * does not grow with scale.
 *
 * Threads (--threads N, the GIL model; workloads/mutators.h): N mutators,
 * each this program on its own registers (its own ring, temps and table),
 * taking turns statement by statement.  The statements are shared out (the
 * total does not change with N) and so are the table's slots (TABLE_SLOTS
 * / N each), so the work and the long-lived data are those of one thread
 * whatever N; at one thread the stream is the one-thread stream, byte for
 * byte.
 */
#include "harness/core/mem.h"
#include "workloads/common.h"
#include "workloads/mutators.h"

/* Calibration: statements at scale 1.0 (about 4.6 ops each). */
#define SO_STATEMENTS_PER_SCALE 20000000.0

#define TABLE_SLOTS 10000u
#define RING_REGS 64u

enum {
    R_TABLE = 0,
    R_RING = 1, /* R_RING .. R_RING + RING_REGS - 1 */
    R_T0 = R_RING + RING_REGS,
    R_T1,
    R_T2,
    R_INTS, /* R_INTS .. + INT_VALUES - 1: the shared ints, with --intern only */
};

#define INT_MIN_PAYLOAD 16u
#define INT_MAX_PAYLOAD 32u
#define INT_VALUES (INT_MAX_PAYLOAD - INT_MIN_PAYLOAD + 1)

/* Every leaf has at least this much payload, so TOUCHing 8 bytes of any
 * leaf is meaningful even when only "a leaf" is known about it. */
#define LEAF_MIN_PAYLOAD 16u

typedef struct so_state {
    wl_gen g;
    wl_shape *table; /* what each table slot holds */
    uint32_t slots;  /* table slots: TABLE_SLOTS / threads */
    int intern;      /* share int-like leaves (wl_params) */
} so_state;

/* One mutator's registers; without --intern what they always were. */
static uint32_t so_thread_registers(const wl_params *p)
{
    return p->intern ? R_INTS + INT_VALUES : R_INTS;
}

static uint32_t so_registers(const wl_params *p)
{
    return so_thread_registers(p) * wl_mut_count(p);
}

/* An int-like leaf of `bytes` payload into r: a fresh one, or with intern
 * the shared one of that value (made on first use). */
static void so_new_int(so_state *st, uint32_t r, uint32_t bytes)
{
    wl_gen *g = &st->g;
    if (!st->intern) {
        wl_gen_new(g, r, HB_LEAF, 0, 0, bytes);
        return;
    }
    uint32_t c = R_INTS + (bytes - INT_MIN_PAYLOAD);
    if (!g->reg[c].live)
        wl_gen_new(g, c, HB_LEAF, 0, 0, bytes);
    wl_gen_mov(g, r, c);
}

/* An int- or string-like leaf into register r. */
static void so_new_leaf(so_state *st, uint32_t r)
{
    wl_gen *g = &st->g;
    if (wl_chance(g, 0.6)) {
        so_new_int(st, r, wl_range(g, INT_MIN_PAYLOAD, INT_MAX_PAYLOAD));
    } else {
        uint32_t bytes = wl_logu(g, 24, 200);
        wl_gen_new(g, r, HB_LEAF, 0, 0, bytes);
        wl_gen_touch(g, r, bytes); /* the string's characters */
    }
}

/* A tuple of 1-4 leaves, built in R_T0; each item is new or, sometimes, a
 * leaf already in the ring (tuples share their items). */
static void so_new_tuple(so_state *st)
{
    wl_gen *g = &st->g;
    uint32_t n = wl_range(g, 1, 4);
    wl_gen_new(g, R_T0, HB_CONTAINER, 0, n, 0);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = R_RING + wl_range(g, 0, RING_REGS - 1);
        if (wl_chance(g, 0.15) && g->reg[k].live && g->reg[k].kind == HB_LEAF) {
            wl_gen_set(g, R_T0, i, k);
        } else {
            so_new_leaf(st, R_T1);
            wl_gen_set(g, R_T0, i, R_T1);
        }
    }
    if (g->reg[R_T1].live)
        wl_gen_drop(g, R_T1);
}

/* Makes one value into ring register r (the old value there dies). */
static void so_make_value(so_state *st, uint32_t r)
{
    wl_gen *g = &st->g;
    double u = hb_rng_unit(&g->rng);
    if (u < 0.45) {
        so_new_int(st, r, wl_range(g, INT_MIN_PAYLOAD, INT_MAX_PAYLOAD));
    } else if (u < 0.80) {
        uint32_t bytes = wl_logu(g, 24, 200);
        wl_gen_new(g, r, HB_LEAF, 0, 0, bytes);
        wl_gen_touch(g, r, bytes);
    } else {
        so_new_tuple(st);
        wl_gen_mov(g, r, R_T0);
        wl_gen_drop(g, R_T0);
    }
}

/* Reads a random table entry and does a little work on it. */
static void so_read_table(so_state *st)
{
    wl_gen *g = &st->g;
    uint32_t j = wl_range(g, 0, st->slots - 1);
    wl_shape e = st->table[j];
    if (!e.live)
        return;
    wl_gen_get(g, R_T2, R_TABLE, j, e);
    if (e.kind == HB_LEAF) {
        wl_gen_touch(g, R_T2, 8);
    } else {
        /* Tuple items are leaves with at least LEAF_MIN_PAYLOAD bytes. */
        wl_gen_get(g, R_T1, R_T2, wl_range(g, 0, e.nrefs - 1),
                   wl_shape_of(HB_LEAF, 0, LEAF_MIN_PAYLOAD));
        wl_gen_touch(g, R_T1, 8);
        wl_gen_drop(g, R_T1);
    }
    wl_gen_drop(g, R_T2);
}

static void so_statement(so_state *st, uint64_t it)
{
    wl_gen *g = &st->g;
    uint32_t r = R_RING + (uint32_t)(it % RING_REGS);
    so_make_value(st, r);
    if (wl_chance(g, 0.05)) {
        uint32_t j = wl_range(g, 0, st->slots - 1);
        wl_gen_set(g, R_TABLE, j, r);
        st->table[j] = g->reg[r];
    }
    if (wl_chance(g, 0.01)) {
        uint32_t j = wl_range(g, 0, st->slots - 1);
        if (st->table[j].live) {
            wl_gen_set(g, R_TABLE, j, HB_NIL);
            st->table[j] = wl_shape_none();
        }
    }
    if (wl_chance(g, 0.30))
        so_read_table(st);
    if (wl_chance(g, 0.20)) {
        uint32_t k = R_RING + wl_range(g, 0, RING_REGS - 1);
        if (g->reg[k].live && g->reg[k].payload > 0)
            wl_gen_touch(g, k, 8);
    }
}

/* Thread t's generator, writing into out; its table made.  0 or -1. */
static int so_open(so_state *st, const wl_params *p, uint32_t t, uint32_t n, hb_sink *out)
{
    wl_params q = wl_mut_params(p, t);
    if (wl_gen_open(&st->g, "small-objects", &q, out, so_thread_registers(p)) != 0)
        return -1;
    st->intern = p->intern;
    st->slots = TABLE_SLOTS / n;
    st->table = hb_scratch_map(st->slots * sizeof *st->table);
    if (st->table == NULL) {
        hb_fail(p->err, HB_ERR_NOMEM, "workload small-objects: out of memory for the table model");
        wl_gen_close(&st->g);
        return -1;
    }
    wl_gen_new(&st->g, R_TABLE, HB_CONTAINER, 0, st->slots, 0);
    return 0;
}

static void so_close(so_state *st)
{
    hb_scratch_unmap(st->table, st->slots * sizeof *st->table);
    wl_gen_close(&st->g);
}

static int so_generate(const wl_params *p, hb_sink *out)
{
    wl_muts ms;
    uint32_t n = wl_mut_count(p), opened = 0;
    so_state *st = hb_scratch_map((size_t)n * sizeof *st);
    if (st == NULL || wl_muts_open(&ms, p, out, so_thread_registers(p)) != 0) {
        hb_fail(p->err, HB_ERR_NOMEM, "workload small-objects: out of memory for %u mutators", n);
        hb_scratch_unmap(st, (size_t)n * sizeof *st);
        return -1;
    }
    int rc = 0;
    for (; opened < n && rc == 0; opened++) {
        rc = so_open(&st[opened], p, opened, n, wl_mut_sink(&ms, opened));
        wl_mut_yield(&ms, opened);
    }
    if (rc != 0)
        opened--;
    uint64_t total = wl_scaled(p->scale, SO_STATEMENTS_PER_SCALE);
    for (uint64_t it = 0; rc == 0 && it < wl_mut_share(total, n, 0) && !hb_sink_stopped(out); it++)
        for (uint32_t t = 0; t < n && it < wl_mut_share(total, n, t); t++) {
            so_statement(&st[t], it);
            wl_mut_yield(&ms, t);
        }
    for (uint32_t t = 0; t < opened; t++)
        so_close(&st[t]);
    wl_muts_close(&ms);
    hb_scratch_unmap(st, (size_t)n * sizeof *st);
    return rc;
}

const wl_workload wl_small_objects = {
    .name = "small-objects",
    .description = "Python-like small ints, strings and tuples; most die young, 5% kept in a table",
    .registers = so_registers,
    .generate = so_generate,
    .mutators = 1,
};
