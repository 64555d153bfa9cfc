/*
 * harness/run/oracle.c -- the reachability oracle and the leak count.
 *
 * A pointer map (open addressing, linear probing, deletion by backward
 * shift so there are no tombstones) records every live block the collector
 * holds.  Checks walk the object graph from the registers with an explicit
 * stack, looking each pointer up before dereferencing it, so a dangling
 * reference is reported rather than followed.
 */
#include "harness/run/oracle.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Pointer map                                                          */
/* ------------------------------------------------------------------ */

typedef struct entry {
    uintptr_t key; /* 0: empty */
    uint64_t size;
    uint32_t mark;     /* the check epoch that reached it */
    uint32_t incoming; /* references counted by the last count check */
    uint32_t finalized;
} entry;

typedef struct ptrmap {
    entry *e;
    size_t cap; /* a power of two */
    size_t n;
} ptrmap;

static size_t slot_of(uintptr_t key, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15u;
    return (size_t)(h >> 17) & (cap - 1);
}

static int map_init(ptrmap *m, size_t cap)
{
    m->cap = cap;
    m->n = 0;
    m->e = calloc(cap, sizeof(entry));
    return m->e ? 0 : -1;
}

static entry *map_find(const ptrmap *m, uintptr_t key)
{
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->e[i].key == key)
            return &m->e[i];
        if (m->e[i].key == 0)
            return NULL;
    }
}

static int map_grow(ptrmap *m);

static entry *map_insert(ptrmap *m, uintptr_t key)
{
    if ((m->n + 1) * 2 > m->cap && map_grow(m) != 0)
        return NULL;
    size_t i = slot_of(key, m->cap);
    while (m->e[i].key != 0 && m->e[i].key != key)
        i = (i + 1) & (m->cap - 1);
    if (m->e[i].key == 0) {
        m->n++;
        memset(&m->e[i], 0, sizeof(entry));
        m->e[i].key = key;
    }
    return &m->e[i];
}

static int map_grow(ptrmap *m)
{
    ptrmap bigger;
    if (map_init(&bigger, m->cap * 2) != 0)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->e[i].key) {
            entry *d = map_insert(&bigger, m->e[i].key);
            *d = m->e[i];
        }
    }
    free(m->e);
    *m = bigger;
    return 0;
}

/* Removes key; later entries of its probe run shift back into the hole. */
static int map_remove(ptrmap *m, uintptr_t key)
{
    size_t mask = m->cap - 1, i = slot_of(key, m->cap);
    while (m->e[i].key != key) {
        if (m->e[i].key == 0)
            return -1;
        i = (i + 1) & mask;
    }
    size_t hole = i;
    for (size_t j = (hole + 1) & mask; m->e[j].key != 0; j = (j + 1) & mask) {
        size_t home = slot_of(m->e[j].key, m->cap);
        /* Entry j may fill the hole if its home is not in (hole, j]. */
        int between = hole < j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            m->e[hole] = m->e[j];
            hole = j;
        }
    }
    m->e[hole].key = 0;
    m->n--;
    return 0;
}

/* ------------------------------------------------------------------ */
/* A growable stack of object pointers                                  */
/* ------------------------------------------------------------------ */

typedef struct ostack {
    hb_obj **v;
    size_t n, cap;
} ostack;

static int push(ostack *s, hb_obj *o)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        hb_obj **v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = o;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reachability without a record of live blocks (the leak count)        */
/* ------------------------------------------------------------------ */

int hb_reachable(hb_obj *const *regs, size_t nregs, size_t header_bytes,
                 uint64_t *objects, uint64_t *bytes)
{
    ptrmap seen;
    ostack st = {0};
    int rc = 0;
    *objects = *bytes = 0;
    if (map_init(&seen, 1024) != 0)
        return -1;
    for (size_t r = 0; r < nregs && rc == 0; r++)
        if (regs[r])
            rc = push(&st, regs[r]);
    while (rc == 0 && st.n > 0) {
        hb_obj *o = st.v[--st.n];
        if (map_find(&seen, (uintptr_t)o))
            continue;
        if (map_insert(&seen, (uintptr_t)o) == NULL) {
            rc = -1;
            break;
        }
        *objects += 1;
        *bytes += hb_obj_bytes(o, header_bytes);
        for (uint32_t i = 0; i < o->nrefs && rc == 0; i++)
            if (o->refs[i])
                rc = push(&st, o->refs[i]);
    }
    free(st.v);
    free(seen.e);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The oracle                                                           */
/* ------------------------------------------------------------------ */

struct hb_oracle {
    al_heap *real;
    size_t header_bytes;
    ptrmap live;
    uint32_t epoch;
    uint64_t violations, checks;
    char first[256];
};

static void violation(hb_oracle *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void violation(hb_oracle *o, const char *fmt, ...)
{
    if (o->violations++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(o->first, sizeof o->first, fmt, ap);
        va_end(ap);
    }
}

static void *shim_alloc(void *ctx, size_t size)
{
    hb_oracle *o = ctx;
    void *p = al_alloc(o->real, size);
    if (p == NULL)
        return NULL;
    entry *e = map_insert(&o->live, (uintptr_t)p);
    if (e == NULL) {
        al_free(o->real, p, size);
        return NULL;
    }
    e->size = size;
    return p;
}

static void shim_free(void *ctx, void *p, size_t size)
{
    hb_oracle *o = ctx;
    entry *e = map_find(&o->live, (uintptr_t)p);
    if (e == NULL)
        violation(o, "free of a block that is not live: %p (%zu bytes)", p, size);
    else if (e->size != size)
        violation(o, "free of %p with size %zu, allocated with %" PRIu64, p, size, e->size);
    if (e)
        map_remove(&o->live, (uintptr_t)p);
    al_free(o->real, p, size);
}

static void shim_stats(void *ctx, al_backend_stats *out)
{
    hb_oracle *o = ctx;
    o->real->b->stats(o->real->ctx, out);
}

static const char *shim_version(void)
{
    return "oracle";
}

static const al_backend oracle_shim = {
    .name = "oracle",
    .description = "records live blocks for the reachability oracle",
    .version = shim_version,
    .alloc = shim_alloc,
    .free = shim_free,
    .stats = shim_stats,
};

hb_oracle *hb_oracle_new(al_heap *real, size_t header_bytes)
{
    hb_oracle *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    if (map_init(&o->live, 4096) != 0) {
        free(o);
        return NULL;
    }
    o->real = real;
    o->header_bytes = header_bytes;
    return o;
}

void hb_oracle_heap(hb_oracle *o, al_heap *shim)
{
    memset(shim, 0, sizeof *shim);
    shim->b = &oracle_shim;
    shim->ctx = o;
    al_heap_set_limit(shim, o->real->limit_bytes); /* so the collector sees the limit */
}

void hb_oracle_free(hb_oracle *o)
{
    if (o) {
        free(o->live.e);
        free(o);
    }
}

uint64_t hb_oracle_violations(const hb_oracle *o)
{
    return o->violations;
}

uint64_t hb_oracle_checks(const hb_oracle *o)
{
    return o->checks;
}

const char *hb_oracle_first(const hb_oracle *o)
{
    return o->first;
}

static entry *live_entry(hb_oracle *o, const hb_obj *obj)
{
    return map_find(&o->live, (uintptr_t)hb_obj_block((hb_obj *)obj, o->header_bytes));
}

void hb_oracle_finalizing(hb_oracle *o, hb_obj *obj)
{
    entry *e = live_entry(o, obj);
    if (e == NULL)
        violation(o, "finalizer run on an object that is not live: %p", (void *)obj);
    else if (e->finalized++)
        violation(o, "finalizer run twice on object serial %" PRIu32, obj->serial);
    else if (!(obj->flags & HB_F_FINALIZER))
        violation(o, "finalizer run on object serial %" PRIu32 " that has none", obj->serial);
}

/* o is held by the collector outside the heap (its nursery). */
static int held(const gc_strategy *gs, void *gc, const hb_obj *obj)
{
    return gs->holds != NULL && gs->holds(gc, obj);
}

/* Marks everything reachable with this epoch; returns heap objects reached.
 * Objects the collector holds outside the heap are walked through (once
 * each, recorded in `young`) but not counted: only heap blocks are. */
static uint64_t mark_reachable(hb_oracle *o, const gc_strategy *gs, void *gc,
                               hb_obj *const *regs, size_t nregs)
{
    ostack st = {0};
    ptrmap young;
    uint64_t reached = 0;
    if (map_init(&young, 1024) != 0)
        return 0;
    for (size_t r = 0; r < nregs; r++) {
        if (regs[r] == NULL)
            continue;
        if (live_entry(o, regs[r]) == NULL && !held(gs, gc, regs[r])) {
            violation(o, "register %zu names a freed object %p", r, (void *)regs[r]);
            continue;
        }
        push(&st, regs[r]);
    }
    while (st.n > 0) {
        hb_obj *obj = st.v[--st.n];
        entry *e = live_entry(o, obj);
        if (e == NULL) {
            if (map_find(&young, (uintptr_t)obj))
                continue;
            map_insert(&young, (uintptr_t)obj);
        } else {
            if (e->mark == o->epoch)
                continue;
            e->mark = o->epoch;
            reached++;
            if (hb_obj_bytes(obj, o->header_bytes) != e->size)
                violation(o, "object %p's header says %zu bytes, its block has %" PRIu64,
                          (void *)obj, hb_obj_bytes(obj, o->header_bytes), e->size);
        }
        for (uint32_t i = 0; i < obj->nrefs; i++) {
            hb_obj *c = obj->refs[i];
            if (c == NULL)
                continue;
            if (live_entry(o, c) == NULL && !held(gs, gc, c))
                violation(o, "slot %u of reachable object serial %" PRIu32
                          " names a freed object %p", i, obj->serial, (void *)c);
            else
                push(&st, c);
        }
    }
    free(st.v);
    free(young.e);
    return reached;
}

/* The object in slot i of the live table, or NULL for an empty slot. */
static hb_obj *slot_obj(const hb_oracle *o, size_t i)
{
    uintptr_t key = o->live.e[i].key;
    return key ? hb_block_obj((void *)key, o->header_bytes) : NULL;
}

/* Each live object's count must equal its references from registers and
 * from live objects' slots (reachable or not). */
static void check_counts(hb_oracle *o, const gc_strategy *gs, void *gc,
                         hb_obj *const *regs, size_t nregs)
{
    ptrmap *m = &o->live;
    for (size_t i = 0; i < m->cap; i++)
        m->e[i].incoming = 0;
    for (size_t r = 0; r < nregs; r++) {
        entry *e = regs[r] ? live_entry(o, regs[r]) : NULL;
        if (e)
            e->incoming++;
    }
    for (size_t i = 0; i < m->cap; i++) {
        hb_obj *obj = slot_obj(o, i);
        if (obj == NULL)
            continue;
        for (uint32_t k = 0; k < obj->nrefs; k++) {
            entry *e = obj->refs[k] ? live_entry(o, obj->refs[k]) : NULL;
            if (obj->refs[k] && e == NULL)
                violation(o, "slot %u of live object serial %" PRIu32 " names a freed object",
                          k, obj->serial);
            if (e)
                e->incoming++;
        }
    }
    for (size_t i = 0; i < m->cap; i++) {
        hb_obj *obj = slot_obj(o, i);
        if (obj == NULL)
            continue;
        uint64_t rc = gs->refcount(gc, obj);
        if (rc != m->e[i].incoming)
            violation(o, "object serial %" PRIu32 " has count %" PRIu64 " but %" PRIu32
                      " references", obj->serial, rc, m->e[i].incoming);
    }
}

uint64_t hb_oracle_check(hb_oracle *o, const gc_strategy *gs, void *gc,
                         hb_obj *const *regs, size_t nregs, int complete)
{
    uint64_t before = o->violations;
    o->checks++;
    o->epoch++;
    uint64_t reached = mark_reachable(o, gs, gc, regs, nregs);
    if (complete && reached != o->live.n)
        violation(o, "%zu unreachable objects survived a complete collection by %s",
                  (size_t)(o->live.n - reached), gs->name);
    if (gs->refcount)
        check_counts(o, gs, gc, regs, nregs);
    return o->violations - before;
}
