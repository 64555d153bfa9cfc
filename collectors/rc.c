/*
 * collectors/rc.c -- `rc`: pure reference counting.
 *
 * Every register and every slot that names an object is one reference.
 * When a count reaches zero the object's finalizer runs, its slots are
 * released and it is freed; the cascade that follows is iterative
 * (collectors/rc_core.h), so any chain frees in constant C stack.  Cycles
 * are never freed: they stay allocated, and the harness reports them as
 * leaks (objects live minus objects reachable from the registers).
 *
 * There is no collection: collect() does nothing and counts nothing, and
 * there is no safepoint.  The only pauses are release cascades, by the pause
 * rule (GC_RC_PAUSE_RULE in collectors/collector.h; rc_core.h says why its
 * bounds are what they are).  (Timing every cascade cost about 12% on
 * small-objects, where one op in twenty drops a container with its own
 * children.)
 *
 * Header: 8 bytes, the count word (a 32-bit count and the object's index in
 * the live table that lets destroy() free leaked cycles).
 */
#include "collectors/rc_core.h"

static void *rc_create(const gc_env *env)
{
    if (env == NULL)
        return NULL; /* nowhere to say why */
    if (env->heap == NULL) {
        hb_fail(env->err, HB_ERR_USAGE, "rc: no heap given: expected an open al_heap in env->heap");
        return NULL;
    }
    return rc_core_new(env, RC_HEADER_BYTES, sizeof(rc_core));
}

static void rc_destroy(void *ctx)
{
    if (ctx)
        rc_core_destroy(ctx, sizeof(rc_core));
}

static hb_obj *rc_new_obj(void *ctx, hb_obj **dst, uint8_t kind, uint8_t flags, uint32_t nrefs,
                          uint32_t payload)
{
    rc_core *c = ctx;
    hb_obj *o = rc_core_alloc(c, kind, flags, nrefs, payload);
    if (o)
        rc_core_put(c, dst, o);
    return o;
}

static void rc_reg_write(void *ctx, hb_obj **reg, hb_obj *val)
{
    rc_core_put(ctx, reg, val);
}

static void rc_field_store(void *ctx, hb_obj *o, uint32_t i, hb_obj *val)
{
    rc_core_field_store(ctx, o, i, val);
}

/* RESIZE: moved in place when the register is the object's only
 * reference; otherwise a copy, since the other holders keep the old one. */
static hb_obj *rc_resize(void *ctx, hb_obj **reg, uint32_t nrefs)
{
    rc_core *c = ctx;
    hb_obj *o = *reg, *tmp = NULL;
    if (rc_w(o)->count == 1)
        return rc_core_move(c, reg, nrefs);
    hb_obj *n = rc_new_obj(c, &tmp, o->kind, o->flags, nrefs, o->payload);
    if (n == NULL)
        return NULL;
    rc_core_copy_into(n, o);
    rc_core_put(c, reg, n);
    rc_core_put(c, &tmp, NULL);
    return n;
}

/* Pure counting has nothing to collect: cycles stay until destroy(). */
static void rc_collect(void *ctx)
{
    (void)ctx;
}

static void rc_stats(void *ctx, gc_stats *out)
{
    *out = ((rc_core *)ctx)->st;
}

static uint64_t rc_refcount(void *ctx, const hb_obj *o)
{
    (void)ctx;
    return rc_core_refcount(o);
}

const gc_strategy gc_rc = {
    .name = "rc",
    .description = "reference counting, iterative release cascades; cycles leak",
    .header_bytes = RC_HEADER_BYTES,
    .unavailable = NULL,
    .needs = {.allocator = NULL},
    .create = rc_create,
    .destroy = rc_destroy,
    .new_obj = rc_new_obj,
    .reg_write = rc_reg_write,
    .field_store = rc_field_store,
    .safepoint = NULL,
    .collect = rc_collect,
    .stats = rc_stats,
    .resize = rc_resize,
    .refcount = rc_refcount,
};
