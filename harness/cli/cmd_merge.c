/*
 * harness/cli/cmd_merge.c -- command layer: `heapbench merge`: the joining
 * of results folders that shards of one sweep (`heapbench matrix --shard`)
 * wrote: rows deduplicated, series files copied, one meta.json listing every
 * shard's.  Folders whose settings differ are refused (hb_settings_diff
 * says where).
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli/cli.h"
#include "harness/formats/io.h"
#include "harness/formats/machine.h"
#include "harness/formats/results.h"

#define MX_PATH 4096

static const char merge_usage[] =
    "usage: heapbench merge OUT DIR...\n"
    "\n"
    "Joins results folders written by `heapbench matrix --shard` into OUT: rows\n"
    "deduplicated by allocator, collector, workload and repetition, series files\n"
    "copied, and a meta.json that lists every shard's own meta.json.  Folders\n"
    "whose settings differ are refused.\n";

typedef struct mg_src {
    const char *dir;
    char *meta;     /* the whole meta.json */
    char *settings; /* its settings object */
    hb_row *rows;
    char *arena;
    long n;
} mg_src;

static int load_source(mg_src *s)
{
    char path[MX_PATH];
    hb_err e;
    hb_path(path, sizeof path, "%s/meta.json", s->dir);
    if ((s->meta = hb_read_file(path, NULL)) == NULL)
        return hb_usage_error("merge", "cannot read %s: %s, expected a folder written by "
                                       "heapbench matrix", path, strerror(errno));
    if ((s->settings = hb_meta_settings(s->meta)) == NULL)
        return hb_usage_error("merge", "%s has no settings, expected a meta.json written by "
                                       "heapbench matrix", path);
    hb_path(path, sizeof path, "%s/rows.csv", s->dir);
    if (access(path, F_OK) != 0)
        return 0; /* a shard that has not finished a cell yet */
    s->n = hb_rows_read_csv(path, &s->rows, &s->arena, &e);
    if (s->n < 0)
        return hb_usage_error("merge", "cannot read %s: %s", path, e.msg);
    return 0;
}

static int same_key(const hb_row *a, const hb_row *b)
{
    return a->rep == b->rep && !strcmp(a->allocator, b->allocator) &&
           !strcmp(a->collector, b->collector) && !strcmp(a->workload, b->workload);
}

/* Every row once per (allocator, collector, workload, rep), first seen
 * wins.  Quadratic, which is fine for the few thousand rows of a sweep. */
static size_t dedup_rows(mg_src *src, size_t ns, hb_row *out, size_t *dups)
{
    size_t n = 0;
    *dups = 0;
    for (size_t s = 0; s < ns; s++)
        for (long i = 0; i < src[s].n; i++) {
            size_t j = 0;
            while (j < n && !same_key(&out[j], &src[s].rows[i]))
                j++;
            if (j < n)
                (*dups)++;
            else
                out[n++] = src[s].rows[i];
        }
    return n;
}

/* A hard link where the file system allows, else a whole copy. */
static int copy_file(const char *from, const char *to)
{
    if (link(from, to) == 0)
        return 0;
    FILE *in = fopen(from, "rb");
    hb_atomic out = {0};
    char buf[1 << 15];
    if (in == NULL || hb_atomic_open(&out, to, NULL) != 0) {
        if (in)
            fclose(in);
        return -1;
    }
    size_t k;
    int rc = 0;
    while (rc == 0 && (k = fread(buf, 1, sizeof buf, in)) > 0)
        rc = fwrite(buf, 1, k, out.f) == k ? 0 : -1;
    rc = rc || ferror(in);
    fclose(in);
    if (rc) {
        hb_atomic_abort(&out);
        return -1;
    }
    return hb_atomic_commit(&out, NULL);
}

/* Copies series files that OUT does not have yet; returns how many. */
static size_t copy_series(const char *out, const mg_src *src, size_t ns)
{
    char pattern[MX_PATH], dst[MX_PATH];
    size_t copied = 0;
    for (size_t s = 0; s < ns; s++) {
        hb_path(pattern, sizeof pattern, "%s/series/*.csv", src[s].dir);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) != 0)
            continue;
        hb_path(dst, sizeof dst, "%s/series", out);
        hb_mkdirs(dst, NULL);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            hb_path(dst, sizeof dst, "%s/series/%s", out, strrchr(g.gl_pathv[i], '/') + 1);
            if (access(dst, F_OK) != 0 && copy_file(g.gl_pathv[i], dst) == 0)
                copied++;
        }
        globfree(&g);
    }
    return copied;
}

static int write_merged_meta(const char *out, const mg_src *src, size_t ns, int argc, char **argv)
{
    char path[MX_PATH], now[32];
    hb_atomic a;
    hb_path(path, sizeof path, "%s/meta.json", out);
    if (hb_atomic_open(&a, path, NULL) != 0)
        return -1;
    FILE *f = a.f;
    size_t len = 0;
    const char *id = hb_json_find(src[0].meta, src[0].meta + strlen(src[0].meta), "settings_id",
                                  &len);
    hb_utc_now(now, sizeof now);
    fprintf(f, "{\n  \"tool\": \"heapbench\",\n  \"merged\": true,\n  \"settings_id\": %.*s,\n",
            (int)(id ? len : 2), id ? id : "\"\"");
    fprintf(f, "  \"settings\": %s,\n  \"merge_time\": \"%s\",\n  \"command\": [", src[0].settings,
            now);
    for (int i = 0; i < argc; i++) {
        fputs(i ? ", " : "", f);
        hb_json_str(f, argv[i]);
    }
    fputs("],\n  \"shards\": [\n", f);
    for (size_t s = 0; s < ns; s++) {
        fputs("    {\"dir\": ", f);
        hb_json_str(f, src[s].dir);
        fprintf(f, ", \"meta\": %s}%s\n", src[s].meta, s + 1 < ns ? "," : "");
    }
    fputs("  ]\n}\n", f);
    return hb_atomic_commit(&a, NULL);
}

/* rows.csv whole or not at all. */
static int write_rows(const char *path, const hb_row *rows, size_t n)
{
    hb_atomic a;
    if (hb_atomic_open(&a, path, NULL) != 0)
        return -1;
    hb_row_csv_header(a.f);
    for (size_t i = 0; i < n; i++)
        hb_row_csv(a.f, &rows[i]);
    return hb_atomic_commit(&a, NULL);
}

static int merge_into(const char *out, mg_src *src, size_t ns, int argc, char **argv)
{
    size_t total = 0, dups;
    for (size_t s = 0; s < ns; s++)
        total += (size_t)src[s].n;
    hb_row *rows = calloc(total + 1, sizeof *rows);
    if (rows == NULL)
        return HB_EXIT_FAIL;
    size_t n = dedup_rows(src, ns, rows, &dups);
    char path[MX_PATH];
    hb_path(path, sizeof path, "%s/rows.csv", out);
    int rc = hb_mkdirs(out, NULL) || (n && write_rows(path, rows, n)) ||
             write_merged_meta(out, src, ns, argc, argv);
    free(rows);
    if (rc) {
        fprintf(stderr, "heapbench merge: cannot write into %s: %s\n", out, strerror(errno));
        return HB_EXIT_FAIL;
    }
    size_t copied = copy_series(out, src, ns);
    fprintf(stderr, "heapbench merge: %zu rows from %zu folders into %s (%zu duplicates dropped, "
                    "%zu series files)\n", n, ns, out, dups, copied);
    return HB_EXIT_OK;
}

int hb_cmd_merge(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(merge_usage, stdout);
        return HB_EXIT_OK;
    }
    if (argc < 3)
        return hb_usage_error("merge", "expected OUT and at least one results folder");
    const char *out = argv[1];
    char path[MX_PATH];
    hb_path(path, sizeof path, "%s/rows.csv", out);
    if (access(path, F_OK) == 0)
        return hb_usage_error("merge", "%s already has rows.csv, expected a new or empty folder",
                              out);
    size_t ns = (size_t)argc - 2;
    mg_src *src = calloc(ns, sizeof *src);
    int rc = src ? 0 : HB_EXIT_FAIL;
    for (size_t s = 0; s < ns && rc == 0; s++) {
        src[s].dir = argv[s + 2];
        rc = load_source(&src[s]);
        if (rc == 0 && s > 0 && strcmp(src[s].settings, src[0].settings) != 0) {
            char msg[512];
            hb_settings_diff(src[0].settings, src[s].settings, msg, sizeof msg);
            rc = hb_usage_error("merge", "%s and %s come from different settings: %s; expected "
                                         "shards of one sweep", src[0].dir, src[s].dir, msg);
        }
    }
    if (rc == 0)
        rc = merge_into(out, src, ns, argc, argv);
    for (size_t s = 0; src && s < ns; s++) {
        free(src[s].meta);
        free(src[s].settings);
        if (src[s].rows)
            hb_rows_free(src[s].rows, src[s].arena);
    }
    free(src);
    return rc;
}
