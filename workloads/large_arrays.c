/*
 * workloads/large_arrays.c -- `large-arrays`: big objects, the case that
 * stresses an allocator's large-block path and a collector's scanning of
 * long reference arrays.
 *
 * Three kinds of work, interleaved so that each has spent the same share of
 * its budget at every moment:
 *   - payload arrays (HB_ARRAY without references) of 4 KiB-64 MiB,
 *     log-uniform, each written in full by one TOUCH; the last PAY_REGS are
 *     kept, fewer when they would pass PAY_LIVE_MAX bytes;
 *   - reference arrays of 1,000-1,000,000 slots (log-uniform), each slot
 *     filled with a new 16-64 byte leaf, then every 64th item read back and
 *     touched; the last two are kept, one when both would pass REF_LIVE_MAX
 *     slots;
 *   - lists grown one append at a time the way CPython grows a list: when
 *     full, capacity becomes (n + (n >> 3) + 6) & ~3 for the new length n
 *     and the list is resized by one RESIZE op, as list_resize reallocates
 *     its items (no count changes; a collector moves the array).  Lists
 *     take 1,000-200,000 appends (log-uniform); the previous list dies when
 *     the next starts.
 * So the live set stays under about 128 MiB of payload + 1.5 M small items
 * + one list.
 *
 * With --no-leaves (wl_params.no_leaves) the same draws make the same large
 * blocks, but no leaf is made: the slots stay empty, the reads are skipped.
 * The small objects are gone and the large-block path's footprint is left
 * (the claims' large-arrays experiment: the footprint split).
 *
 * Parameters: scale multiplies the three budgets (bytes written, slots
 * filled, appends); a draw larger than what is left of its budget is cut to
 * it, so the work is proportional to scale even at tiny scales.
 */
#include "workloads/common.h"

/* Calibration: the three budgets at scale 1.0. */
#define LA_PAYLOAD_BYTES_PER_SCALE (3.0 * 1024 * 1024 * 1024)
#define LA_REF_SLOTS_PER_SCALE 6000000.0
#define LA_APPENDS_PER_SCALE 750000.0

#define PAY_MIN (4u << 10)
#define PAY_MAX (64u << 20)
#define PAY_REGS 8u
#define PAY_LIVE_MAX (128ull << 20)
#define REF_MIN 1000u
#define REF_MAX 1000000u
#define REF_LIVE_MAX 1500000ull
#define REF_READ_STRIDE 64u
#define LIST_MIN 1000u
#define LIST_MAX 200000u
#define LEAF_MIN_PAYLOAD 16u

enum {
    R_PAY = 0, /* R_PAY .. R_PAY + PAY_REGS - 1, a ring, oldest at pay_next */
    R_REF = PAY_REGS, /* R_REF, R_REF + 1 */
    R_LIST = R_REF + 2,
    R_T,
    LA_REGS
};

typedef struct la_state {
    wl_gen g;
    uint64_t pay_left, ref_left, app_left; /* what is left of each budget */
    uint32_t pay_next, ref_next;
    int no_leaves; /* wl_params: the arrays' slots stay empty */
} la_state;

static uint32_t la_registers(const wl_params *p)
{
    (void)p;
    return LA_REGS;
}

static uint64_t la_payload_live(const la_state *st)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < PAY_REGS; i++)
        sum += st->g.reg[R_PAY + i].payload;
    return sum;
}

/* A draw cut to what is left of its budget, but at least lo (or left). */
static uint64_t la_cut(uint64_t draw, uint64_t left, uint64_t lo)
{
    if (draw > left)
        draw = left;
    return draw < lo && lo <= left ? lo : draw;
}

static void la_payload_step(la_state *st)
{
    wl_gen *g = &st->g;
    uint32_t bytes = (uint32_t)la_cut(wl_logu(g, PAY_MIN, PAY_MAX), st->pay_left, PAY_MIN);
    if (bytes < PAY_MIN)
        bytes = PAY_MIN; /* the budget's last few bytes */
    /* Oldest first: the slot to be reused, then as many more as it takes. */
    for (uint32_t k = 0; k < PAY_REGS; k++) {
        uint32_t r = R_PAY + (st->pay_next + k) % PAY_REGS;
        if (k > 0 && la_payload_live(st) + bytes <= PAY_LIVE_MAX)
            break;
        if (g->reg[r].live)
            wl_gen_drop(g, r);
    }
    uint32_t r = R_PAY + st->pay_next;
    st->pay_next = (st->pay_next + 1) % PAY_REGS;
    wl_gen_new(g, r, HB_ARRAY, 0, 0, bytes);
    wl_gen_touch(g, r, bytes);
    st->pay_left -= bytes < st->pay_left ? bytes : st->pay_left;
}

static void la_ref_step(la_state *st)
{
    wl_gen *g = &st->g;
    uint32_t n = (uint32_t)la_cut(wl_logu(g, REF_MIN, REF_MAX), st->ref_left, REF_MIN);
    uint32_t r = R_REF + st->ref_next;
    uint32_t other = R_REF + (st->ref_next ^ 1);
    st->ref_next ^= 1;
    if (g->reg[r].live)
        wl_gen_drop(g, r);
    if (g->reg[other].live && (uint64_t)g->reg[other].nrefs + n > REF_LIVE_MAX)
        wl_gen_drop(g, other);
    wl_gen_new(g, r, HB_ARRAY, 0, n, 0);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t payload = wl_range(g, LEAF_MIN_PAYLOAD, 64); /* drawn either way */
        if (st->no_leaves)
            continue;
        wl_gen_new(g, R_T, HB_LEAF, 0, 0, payload);
        wl_gen_set(g, r, i, R_T);
    }
    for (uint32_t i = 0; !st->no_leaves && i < n; i += REF_READ_STRIDE) {
        wl_gen_get(g, R_T, r, i, wl_shape_of(HB_LEAF, 0, LEAF_MIN_PAYLOAD));
        wl_gen_touch(g, R_T, 8);
    }
    if (g->reg[R_T].live)
        wl_gen_drop(g, R_T);
    st->ref_left -= n < st->ref_left ? n : st->ref_left;
}

/* The list in R_LIST holds len items and is full: resize it, with CPython's
 * list_resize growth pattern for an append. */
static uint32_t la_grow(la_state *st, uint32_t len)
{
    uint32_t newsize = len + 1;
    uint32_t cap = (newsize + (newsize >> 3) + 6) & ~3u;
    wl_gen_resize(&st->g, R_LIST, cap);
    return cap;
}

static void la_list_step(la_state *st)
{
    wl_gen *g = &st->g;
    uint32_t n = (uint32_t)la_cut(wl_logu(g, LIST_MIN, LIST_MAX), st->app_left, LIST_MIN);
    if (g->reg[R_LIST].live)
        wl_gen_drop(g, R_LIST); /* the previous list dies */
    wl_gen_new(g, R_LIST, HB_ARRAY, 0, 0, 0); /* [] */
    uint32_t len = 0, cap = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (len == cap)
            cap = la_grow(st, len);
        uint32_t payload = wl_range(g, LEAF_MIN_PAYLOAD, 32); /* drawn either way */
        len++;
        if (st->no_leaves)
            continue;
        wl_gen_new(g, R_T, HB_LEAF, 0, 0, payload);
        wl_gen_set(g, R_LIST, len - 1, R_T);
    }
    if (g->reg[R_T].live)
        wl_gen_drop(g, R_T);
    st->app_left -= n < st->app_left ? n : st->app_left;
}

static int la_generate(const wl_params *p, hb_sink *out)
{
    la_state st = {0};
    if (wl_gen_open(&st.g, "large-arrays", p, out, LA_REGS) != 0)
        return -1;
    st.no_leaves = p->no_leaves;
    const double pay = (double)(st.pay_left = wl_scaled(p->scale, LA_PAYLOAD_BYTES_PER_SCALE));
    const double ref = (double)(st.ref_left = wl_scaled(p->scale, LA_REF_SLOTS_PER_SCALE));
    const double app = (double)(st.app_left = wl_scaled(p->scale, LA_APPENDS_PER_SCALE));
    /* Each step goes to the kind that has spent the least of its budget, so
     * the mix of work is the same at every moment of the run whatever the
     * scale: a longer run is more of the same, and its cost grows linearly
     * (stepping each kind in turn instead ends the reference arrays early at
     * small scales and late at large ones, and the live set with them). */
    while ((st.pay_left | st.ref_left | st.app_left) != 0 && !wl_gen_stopped(&st.g)) {
        double fp = st.pay_left ? 1 - (double)st.pay_left / pay : 2;
        double fr = st.ref_left ? 1 - (double)st.ref_left / ref : 2;
        double fa = st.app_left ? 1 - (double)st.app_left / app : 2;
        if (fp <= fr && fp <= fa)
            la_payload_step(&st);
        else if (fr <= fa)
            la_ref_step(&st);
        else
            la_list_step(&st);
    }
    wl_gen_close(&st.g);
    return 0;
}

const wl_workload wl_large_arrays = {
    .name = "large-arrays",
    .description = "payload arrays of 4 KiB-64 MiB, reference arrays of up to 1 M slots, "
                   "lists grown as CPython grows them",
    .registers = la_registers,
    .generate = la_generate,
};
