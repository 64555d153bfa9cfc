/*
 * harness/formats/machine.h -- formats layer: what machine and build a result
 * came from, written as meta.json beside the rows, and the small JSON reader
 * that merging and plotting need.
 *
 * meta.json (one object; keys in this order, written by hb_meta_write):
 *   tool, version        "heapbench", the project version
 *   settings_id          6 hex digits: a hash of the settings text below
 *   settings             what decides the rows: the cell lists, scale, seed,
 *                        reps, warm-up, heap limit, series, commit, build
 *                        type.  Two folders may be merged only when their
 *                        settings agree byte for byte.
 *   shard                {"index": I, "count": N}
 *   command              the command line, one string per argument
 *   start_time           UTC, ISO 8601
 *   machine              hostname, cpu_model, cores, memory_bytes, kernel,
 *                        governor
 *   build                version, build_type, compiler, cflags, commit
 *   allocator_versions   {name: version} for every allocator in the cells
 *   skipped              notes on cells not run (unavailable backends)
 *
 * The reader understands any JSON but only walks it: hb_json_find returns
 * the raw text of a member's value, which callers copy, compare or decode.
 */
#ifndef HB_MACHINE_H
#define HB_MACHINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/core/hash.h"
#include "harness/formats/io.h"
#include "harness/formats/json.h"

typedef struct hb_machine {
    char hostname[128];
    char cpu_model[160];
    long cores; /* online */
    uint64_t memory_bytes;
    char kernel[320]; /* uname: sysname release version machine */
    char governor[64]; /* cpufreq governor of cpu0, or "unknown" */
} hb_machine;

void hb_machine_read(hb_machine *m);

/* The current time in UTC as "YYYY-MM-DDTHH:MM:SSZ" (cap >= 21). */
void hb_utc_now(char *buf, size_t cap);

typedef struct hb_meta {
    const char *settings_json; /* the "settings" object, written verbatim */
    const char *settings_id;
    unsigned shard_index, shard_count;
    int argc;
    char **argv;
    const char *start_time;
    const char *const *allocators; /* names whose versions are recorded */
    size_t nallocators;
    const char *const *skipped; /* notes */
    size_t nskipped;
} hb_meta;

/* Writes meta.json to path through a temporary file and a rename, so a
 * reader sees the old file or the new, whole.  0, or -1 with e filled (its
 * message names the file). */
int hb_meta_write(const char *path, const hb_meta *m, hb_err *e);

/* ---- JSON ---- */

/* The end of the JSON value starting at p (after leading blanks), or NULL
 * if it is malformed or runs past end. */
const char *hb_json_skip(const char *p, const char *end);
/* The raw value of member `key` of the object at obj (a pointer to its
 * '{'); NULL if absent or malformed.  *len receives the value's length. */
const char *hb_json_find(const char *obj, const char *end, const char *key, size_t *len);
/* Decodes a string value (raw, as hb_json_find gives it) into buf; -1 if
 * it is not a string or does not fit. */
int hb_json_string(const char *raw, size_t len, char *buf, size_t cap);
/* A number value, or NaN. */
double hb_json_number(const char *raw, size_t len);

/* Old names kept for callers not yet moved over (cmd_matrix.c): the one
 * whole-file reader (io.h) without its message, and the one hash (hash.h). */
static inline char *hb_read_file(const char *path, size_t *len)
{
    return hb_read_whole(path, len, NULL);
}

static inline uint64_t hb_hash64(const char *s, size_t n)
{
    return hb_fnv1a(HB_FNV_OFFSET, s, n);
}

#endif
