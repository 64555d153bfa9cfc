/*
 * harness/core/registry.h -- base layer: the lookups the three registries share
 * (allocators/, collectors/, workloads/ registry.c): by name, and the list
 * of names for messages.  Each registry gives its entry's name by index.
 */
#ifndef HB_REGISTRY_H
#define HB_REGISTRY_H

#include <stdio.h>
#include <string.h>

typedef const char *(*hb_name_at)(size_t i);

/* The index of the entry called name, or n when there is none. */
static inline size_t hb_registry_index(hb_name_at name_at, size_t n, const char *name)
{
    size_t i = 0;
    while (name != NULL && i < n && strcmp(name_at(i), name) != 0)
        i++;
    return name == NULL ? n : i;
}

/* Writes "a, b, c" into buf, cut short (always terminated) to fit cap. */
static inline void hb_registry_names(hb_name_at name_at, size_t n, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", name_at(i));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

#endif
