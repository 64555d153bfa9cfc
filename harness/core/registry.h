/*
 * harness/core/registry.h -- base layer: the one lookup the three registries
 * share (allocators/, collectors/, workloads/ registry.c).
 *
 * Each registry describes itself with an hb_registry (what it holds, and its
 * entries by index); hb_registry_find and hb_registry_resolve then serve all
 * three: by name, the list of names for messages, and the check that an
 * entry can run in this build.  Names are looked up by every command; no
 * other code walks a registry to find a name.
 */
#ifndef HB_REGISTRY_H
#define HB_REGISTRY_H

#include <stdio.h>
#include <string.h>

#include "harness/core/err.h"

typedef struct hb_registry {
    const char *what; /* "allocator", "collector", "workload" */
    size_t (*count)(void);
    const void *(*at)(size_t i);
    const char *(*name_at)(size_t i);
    /* NULL when entry i can run here, else why not (as "install X") */
    const char *(*unavailable_at)(size_t i);
} hb_registry;

extern const hb_registry al_registry, gc_registry, wl_registry;

/* The index of the entry called name, or count() when there is none. */
static inline size_t hb_registry_index(const hb_registry *r, const char *name)
{
    size_t i = 0, n = r->count();
    while (name != NULL && i < n && strcmp(r->name_at(i), name) != 0)
        i++;
    return name == NULL ? n : i;
}

/* The entry called name, or NULL. */
static inline const void *hb_registry_find(const hb_registry *r, const char *name)
{
    size_t i = hb_registry_index(r, name);
    return i < r->count() ? r->at(i) : NULL;
}

/* Writes "a, b, c" into buf, cut short (always terminated) to fit cap. */
static inline void hb_registry_names(const hb_registry *r, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return;
    size_t used = 0, n = r->count();
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", r->name_at(i));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* The entry called name that can run in this build: 0 and *out set, or -1
 * with e naming the bad value and the valid choices, or why that one
 * cannot run here (HB_ERR_USAGE). */
static inline int hb_registry_resolve(const hb_registry *r, const char *name, const void **out,
                                      hb_err *e)
{
    size_t i = hb_registry_index(r, name);
    if (i == r->count()) {
        char names[512];
        hb_registry_names(r, names, sizeof names);
        return hb_fail(e, HB_ERR_USAGE, "unknown %s '%s', expected one of: %s", r->what,
                       name ? name : "", names);
    }
    const char *why = r->unavailable_at(i);
    if (why)
        return hb_fail(e, HB_ERR_USAGE, "%s '%s' is unavailable in this build: %s", r->what, name,
                       why);
    *out = r->at(i);
    return 0;
}

#endif
