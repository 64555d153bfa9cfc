/*
 * workloads/server.c -- `server`: a long-running service in steady state, a
 * live cache beside per-request garbage, whose value sizes drift over time.
 *
 * The cache is one container of CACHE_ENTRIES slots held in register 0; an
 * entry is a container of two references, a key leaf (16-48 bytes) and a
 * value leaf whose payload is drawn from the current phase's size range.
 * Keys come from a key space four times the cache: 90% of lookups from a hot
 * range of 3/4 of the cache's size, 10% from anywhere.  A key has one slot
 * (a hash of the key), so a miss evicts whatever the slot held -- random
 * eviction, as a direct-mapped cache -- and 1% of requests also invalidate a
 * random slot.  Like memcached's -m, the cache has a memory budget
 * (CACHE_BUDGET bytes of values): an insert that passes it evicts random
 * entries until it fits, so phases of large values hold fewer entries, and
 * the live set is the budget whatever the scale.  Phase 0 opens by filling
 * the cache to its budget (a fixed cost, the server's warm-up), so a run's
 * live set does not depend on how long it runs and doubling the scale
 * doubles the work.
 *
 * A request builds a small graph of 10-200 objects (log-uniform): a root
 * container, child containers of up to 8 string-like leaves (16-256 bytes,
 * written in full), does 1-4 cache lookups (a hit reads and TOUCHes the
 * value and, 10% of the time, replaces it; a miss builds and inserts an
 * entry), stores the last value looked up in the root's slot 0, reads a few
 * of its leaves back, and drops the whole graph.
 *
 * The run is SV_PHASES phases, each opening with PHASE n (n the phase
 * index).  The value-size range cycles through small, large, tiny and medium
 * (phase_sizes below), so the cache's mix of sizes keeps shifting and
 * fragmentation over time shows.
 *
 * Parameters: scale multiplies the requests per phase (SV_REQUESTS_PER_SCALE
 * in all at scale 1.0); the phase count, the cache's slots and its budget
 * are fixed.
 *
 * Threads (--threads N, the GIL model; workloads/mutators.h): N worker
 * threads, each serving its own shard of the cache (CACHE_ENTRIES / N slots
 * rounded down to a power of two, CACHE_BUDGET / N bytes, a key space and
 * hot range of the shard's size, as a sharded cache gives each worker its
 * shard) on its own registers, taking turns request by request; the
 * requests are shared out.  The live set and the work are then those of
 * one thread whatever N; at one thread the stream is the one-thread
 * stream, byte for byte.
 */
#include "harness/core/mem.h"
#include "workloads/common.h"
#include "workloads/mutators.h"

/* Calibration: requests at scale 1.0, over all phases (about 200 ops each). */
#define SV_REQUESTS_PER_SCALE 350000.0

#define SV_PHASES 12u
#define CACHE_BITS 15u
#define CACHE_ENTRIES (1u << CACHE_BITS)
#define CACHE_BUDGET ((uint64_t)48 << 20) /* value bytes the cache may hold */
#define NO_KEY UINT32_MAX
#define LEAF_MIN_PAYLOAD 16u
#define REQ_MIN 10u
#define REQ_MAX 200u
#define FANOUT 8u
#define REQ_MAX_CHILDREN ((REQ_MAX - 1 + FANOUT) / (FANOUT + 1))

enum {
    R_CACHE = 0,
    R_ENTRY,
    R_KEY,
    R_VALUE,
    R_REQ,
    R_NODE,
    R_LEAF,
    SV_REGS
};

/* Value payload bytes per phase, log-uniform in [lo, hi]; phase n uses
 * entry n % 4. */
static const struct {
    uint32_t lo, hi;
} phase_sizes[] = {{64, 1024}, {1024, 16384}, {64, 256}, {256, 4096}};

typedef struct sv_state {
    wl_gen g;
    uint32_t phase;
    /* The shard: CACHE_ENTRIES, CACHE_BUDGET, ... at one thread */
    uint32_t bits, entries, key_space, hot_keys;
    uint64_t budget;
    uint32_t *slot_key;    /* the key each cache slot holds, or NO_KEY */
    uint32_t *slot_value;  /* that entry's value payload bytes */
    uint64_t value_bytes;  /* sum of slot_value over occupied slots */
    uint32_t children[REQ_MAX_CHILDREN]; /* leaves under each request child */
} sv_state;

static uint32_t sv_registers(const wl_params *p)
{
    return SV_REGS * wl_mut_count(p);
}

static uint32_t sv_value_bytes(sv_state *st)
{
    uint32_t k = st->phase % (uint32_t)(sizeof phase_sizes / sizeof phase_sizes[0]);
    return wl_logu(&st->g, phase_sizes[k].lo, phase_sizes[k].hi);
}

/* Fibonacci hashing: neighbouring keys land in unrelated slots. */
static uint32_t sv_slot(const sv_state *st, uint32_t key)
{
    return (uint32_t)(key * 2654435761u) >> (32 - st->bits);
}

static uint32_t sv_pick_key(sv_state *st)
{
    if (wl_chance(&st->g, 0.9))
        return wl_range(&st->g, 0, st->hot_keys - 1);
    return wl_range(&st->g, 0, st->key_space - 1);
}

/* A new value leaf of this phase's size into R_VALUE; returns its size. */
static uint32_t sv_new_value(sv_state *st)
{
    uint32_t bytes = sv_value_bytes(st);
    wl_gen_new(&st->g, R_VALUE, HB_LEAF, 0, 0, bytes);
    wl_gen_touch(&st->g, R_VALUE, bytes);
    return bytes;
}

/* Empties an occupied slot (its entry becomes garbage). */
static void sv_evict(sv_state *st, uint32_t slot)
{
    wl_gen_set(&st->g, R_CACHE, slot, HB_NIL);
    st->value_bytes -= st->slot_value[slot];
    st->slot_value[slot] = 0;
    st->slot_key[slot] = NO_KEY;
}

/* Evicts random entries other than keep until the values fit the budget. */
static void sv_fit_budget(sv_state *st, uint32_t keep)
{
    while (st->value_bytes > st->budget) {
        uint32_t slot = wl_range(&st->g, 0, st->entries - 1);
        if (slot != keep && st->slot_key[slot] != NO_KEY)
            sv_evict(st, slot);
    }
}

/* Sets a slot's value size, keeping value_bytes. */
static void sv_account(sv_state *st, uint32_t slot, uint32_t bytes)
{
    st->value_bytes += (uint64_t)bytes - st->slot_value[slot];
    st->slot_value[slot] = bytes;
}

/* A hit: read the value, maybe replace it.  Leaves the value in R_VALUE. */
static void sv_hit(sv_state *st, uint32_t slot)
{
    wl_gen *g = &st->g;
    wl_gen_get(g, R_ENTRY, R_CACHE, slot, wl_shape_of(HB_CONTAINER, 2, 0));
    wl_gen_get(g, R_VALUE, R_ENTRY, 1, wl_shape_of(HB_LEAF, 0, st->slot_value[slot]));
    wl_gen_touch(g, R_VALUE, 64);
    if (wl_chance(g, 0.10)) {
        sv_account(st, slot, sv_new_value(st));
        wl_gen_set(g, R_ENTRY, 1, R_VALUE);
    }
    wl_gen_drop(g, R_ENTRY);
    sv_fit_budget(st, slot);
}

/* A miss: build the entry and insert it, evicting the slot's old entry.
 * Leaves the value in R_VALUE. */
static void sv_miss(sv_state *st, uint32_t slot, uint32_t key)
{
    wl_gen *g = &st->g;
    wl_gen_new(g, R_ENTRY, HB_CONTAINER, 0, 2, 0);
    uint32_t kbytes = wl_range(g, 16, 48);
    wl_gen_new(g, R_KEY, HB_LEAF, 0, 0, kbytes);
    wl_gen_touch(g, R_KEY, kbytes);
    wl_gen_set(g, R_ENTRY, 0, R_KEY);
    wl_gen_drop(g, R_KEY);
    if (st->slot_key[slot] == NO_KEY)
        st->slot_value[slot] = 0; /* nothing held: nothing to take back */
    sv_account(st, slot, sv_new_value(st));
    wl_gen_set(g, R_ENTRY, 1, R_VALUE);
    wl_gen_set(g, R_CACHE, slot, R_ENTRY);
    wl_gen_drop(g, R_ENTRY);
    st->slot_key[slot] = key;
    sv_fit_budget(st, slot);
}

/* The warm-up: inserts entries of the first phase's sizes until the cache
 * holds its budget (or every slot is taken). */
static void sv_fill(sv_state *st)
{
    uint32_t filled = 0;
    while (st->value_bytes < st->budget && filled < st->entries && !wl_gen_stopped(&st->g)) {
        uint32_t key = sv_pick_key(st);
        uint32_t slot = sv_slot(st, key);
        if (st->slot_key[slot] != NO_KEY)
            continue;
        sv_miss(st, slot, key);
        wl_gen_drop(&st->g, R_VALUE);
        filled++;
    }
}

static void sv_lookup(sv_state *st)
{
    uint32_t key = sv_pick_key(st);
    uint32_t slot = sv_slot(st, key);
    if (st->slot_key[slot] == key)
        sv_hit(st, slot);
    else
        sv_miss(st, slot, key);
}

/* The request's graph: R_REQ with slot 0 free for a cached value and one
 * slot per child container of up to FANOUT leaves; n objects in all. */
static uint32_t sv_build_request(sv_state *st, uint32_t n)
{
    wl_gen *g = &st->g;
    uint32_t nchildren = (n - 1 + FANOUT) / (FANOUT + 1);
    uint32_t leaves = n - 1 - nchildren;
    wl_gen_new(g, R_REQ, HB_CONTAINER, 0, nchildren + 1, 32);
    wl_gen_touch(g, R_REQ, 32);
    for (uint32_t i = 0; i < nchildren; i++) {
        uint32_t c = leaves < FANOUT ? leaves : FANOUT;
        leaves -= c;
        st->children[i] = c;
        wl_gen_new(g, R_NODE, HB_CONTAINER, 0, c, 16);
        for (uint32_t j = 0; j < c; j++) {
            uint32_t bytes = wl_logu(g, LEAF_MIN_PAYLOAD, 256);
            wl_gen_new(g, R_LEAF, HB_LEAF, 0, 0, bytes);
            wl_gen_touch(g, R_LEAF, bytes);
            wl_gen_set(g, R_NODE, j, R_LEAF);
        }
        wl_gen_set(g, R_REQ, i + 1, R_NODE);
    }
    return nchildren;
}

/* Reads a few leaves back through the graph, as a handler formatting a
 * response would. */
static void sv_read_request(sv_state *st, uint32_t nchildren)
{
    wl_gen *g = &st->g;
    uint32_t reads = wl_range(g, 1, 3);
    for (uint32_t r = 0; r < reads; r++) {
        uint32_t i = wl_range(g, 0, nchildren - 1);
        uint32_t c = st->children[i];
        wl_gen_get(g, R_NODE, R_REQ, i + 1, wl_shape_of(HB_CONTAINER, c, 16));
        wl_gen_touch(g, R_NODE, 16);
        if (c > 0) {
            wl_gen_get(g, R_LEAF, R_NODE, wl_range(g, 0, c - 1),
                       wl_shape_of(HB_LEAF, 0, LEAF_MIN_PAYLOAD));
            wl_gen_touch(g, R_LEAF, LEAF_MIN_PAYLOAD);
        }
    }
}

static void sv_request(sv_state *st)
{
    wl_gen *g = &st->g;
    uint32_t nchildren = sv_build_request(st, wl_logu(g, REQ_MIN, REQ_MAX));
    uint32_t lookups = wl_range(g, 1, 4);
    for (uint32_t i = 0; i < lookups; i++)
        sv_lookup(st);
    wl_gen_set(g, R_REQ, 0, R_VALUE); /* the response carries the value */
    sv_read_request(st, nchildren);
    if (wl_chance(g, 0.01)) {
        uint32_t slot = wl_range(g, 0, st->entries - 1);
        if (st->slot_key[slot] != NO_KEY)
            sv_evict(st, slot);
    }
    for (uint32_t r = R_VALUE; r <= R_LEAF; r++) {
        if (g->reg[r].live)
            wl_gen_drop(g, r);
    }
}

/* The shard of thread 1 of n: the largest power of two of slots not above
 * CACHE_ENTRIES / n, and n-th of the budget. */
static void sv_shard(sv_state *st, uint32_t n)
{
    st->bits = CACHE_BITS;
    while (st->bits > 1 && (1u << st->bits) > CACHE_ENTRIES / n)
        st->bits--;
    st->entries = 1u << st->bits;
    st->key_space = 4u * st->entries;
    st->hot_keys = 3u * st->entries / 4;
    st->budget = CACHE_BUDGET / n;
}

/* Thread t's generator, writing into out, its cache made.  0 or -1. */
static int sv_open(sv_state *st, const wl_params *p, uint32_t t, uint32_t n, hb_sink *out)
{
    wl_params q = wl_mut_params(p, t);
    if (wl_gen_open(&st->g, "server", &q, out, SV_REGS) != 0)
        return -1;
    sv_shard(st, n);
    st->slot_key = hb_scratch_map(st->entries * sizeof *st->slot_key);
    st->slot_value = hb_scratch_map(st->entries * sizeof *st->slot_value);
    if (st->slot_key == NULL || st->slot_value == NULL) {
        hb_fail(p->err, HB_ERR_NOMEM, "workload server: out of memory for the cache model");
        hb_scratch_unmap(st->slot_key, st->entries * sizeof *st->slot_key);
        hb_scratch_unmap(st->slot_value, st->entries * sizeof *st->slot_value);
        wl_gen_close(&st->g);
        return -1;
    }
    for (uint32_t i = 0; i < st->entries; i++)
        st->slot_key[i] = NO_KEY;
    st->value_bytes = 0;
    wl_gen_new(&st->g, R_CACHE, HB_CONTAINER, 0, st->entries, 0);
    return 0;
}

static void sv_close(sv_state *st)
{
    hb_scratch_unmap(st->slot_key, st->entries * sizeof *st->slot_key);
    hb_scratch_unmap(st->slot_value, st->entries * sizeof *st->slot_value);
    wl_gen_close(&st->g);
}

/* One phase of every thread: its marker (and the warm-up in phase 0), then
 * the requests, one thread's after another's. */
static void sv_phase(sv_state *st, wl_muts *ms, uint32_t phase, uint64_t per_phase)
{
    uint32_t n = ms->n;
    for (uint32_t t = 0; t < n; t++) {
        st[t].phase = phase;
        wl_gen_phase(&st[t].g, phase);
        if (phase == 0)
            sv_fill(&st[t]);
        wl_mut_yield(ms, t);
    }
    for (uint64_t i = 0; i < wl_mut_share(per_phase, n, 0) && !hb_sink_stopped(ms->out); i++)
        for (uint32_t t = 0; t < n && i < wl_mut_share(per_phase, n, t); t++) {
            sv_request(&st[t]);
            wl_mut_yield(ms, t);
        }
}

static int sv_generate(const wl_params *p, hb_sink *out)
{
    wl_muts ms;
    uint32_t n = wl_mut_count(p), opened = 0;
    sv_state *st = hb_scratch_map((size_t)n * sizeof *st);
    if (st == NULL || wl_muts_open(&ms, p, out, SV_REGS) != 0) {
        hb_fail(p->err, HB_ERR_NOMEM, "workload server: out of memory for %u mutators", n);
        hb_scratch_unmap(st, (size_t)n * sizeof *st);
        return -1;
    }
    int rc = 0;
    for (; opened < n && rc == 0; opened++) {
        rc = sv_open(&st[opened], p, opened, n, wl_mut_sink(&ms, opened));
        wl_mut_yield(&ms, opened);
    }
    if (rc != 0)
        opened--;
    uint64_t per_phase = wl_scaled(p->scale, SV_REQUESTS_PER_SCALE / SV_PHASES);
    for (uint32_t phase = 0; rc == 0 && phase < SV_PHASES && !hb_sink_stopped(out); phase++)
        sv_phase(st, &ms, phase, per_phase);
    for (uint32_t t = 0; t < opened; t++)
        sv_close(&st[t]);
    wl_muts_close(&ms);
    hb_scratch_unmap(st, (size_t)n * sizeof *st);
    return rc;
}

const wl_workload wl_server = {
    .name = "server",
    .description = "a 48 MiB, 32 K-slot cache with random eviction beside request-scoped "
                   "graphs; value sizes shift over 12 phases",
    .registers = sv_registers,
    .generate = sv_generate,
    .mutators = 1,
};
