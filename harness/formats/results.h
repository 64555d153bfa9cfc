/*
 * harness/formats/results.h -- one result row per repetition, and its writers.
 *
 * The columns come from one field list (HB_ROW_FIELDS), which yields the
 * struct, the CSV header, the CSV and JSON writers and the table, so a
 * column cannot be added to one and forgotten in another.  results/README.md
 * documents each column's unit and definition; keep the two in step.
 *
 * X(type, name): type is STR (const char *, owned elsewhere), U64, F64.
 */
#ifndef HB_RESULTS_H
#define HB_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#define HB_ROW_FIELDS(X)            \
    X(STR, allocator)               \
    X(STR, collector)               \
    X(STR, workload)                \
    X(F64, scale)                   \
    X(U64, seed)                    \
    X(U64, rep)                     \
    X(STR, status)                  \
    X(U64, ops)                     \
    X(U64, objects)                 \
    X(U64, bytes_allocated)         \
    X(F64, wall_s)                  \
    X(F64, mutator_s)               \
    X(F64, gc_s)                    \
    X(F64, ops_per_s)               \
    X(U64, pauses)                  \
    X(F64, pause_p50_us)            \
    X(F64, pause_p90_us)            \
    X(F64, pause_p99_us)            \
    X(F64, pause_p999_us)           \
    X(F64, pause_max_us)            \
    X(F64, mmu_1ms)                 \
    X(F64, mmu_10ms)                \
    X(F64, mmu_100ms)               \
    X(U64, peak_live_bytes)         \
    X(U64, peak_footprint_bytes)    \
    X(F64, frag_at_peak_live)       \
    X(F64, frag_peaks)              \
    X(U64, peak_rss_bytes)          \
    X(U64, minor_faults)            \
    X(U64, leaked_objects)          \
    X(U64, leaked_bytes)            \
    X(U64, header_bytes)            \
    X(U64, collections)             \
    X(U64, full_collections)        \
    X(U64, finalizers_run)          \
    X(U64, noop_ops)                \
    X(U64, footprint_exact)         \
    X(F64, mmu_100us)               \
    X(F64, mmu_300us)               \
    X(F64, mmu_3ms)                 \
    X(F64, mmu_30ms)                \
    X(F64, mmu_300ms)               \
    X(F64, mmu_1s)

#define HB_ROW_CTYPE_STR const char *
#define HB_ROW_CTYPE_U64 uint64_t
#define HB_ROW_CTYPE_F64 double
#define HB_ROW_MEMBER_(type, name) HB_ROW_CTYPE_##type name;

typedef struct hb_row {
    HB_ROW_FIELDS(HB_ROW_MEMBER_)
} hb_row;

enum hb_format { HB_FMT_TABLE, HB_FMT_CSV, HB_FMT_JSON };

/* Parses "table", "csv", "json"; returns -1 for anything else. */
int hb_format_parse(const char *s);

/* CSV: the header line, and one row (fields quoted where needed). */
void hb_row_csv_header(FILE *out);
void hb_row_csv(FILE *out, const hb_row *r);
/* JSON: one object per row, on one line (JSON Lines). */
void hb_row_json(FILE *out, const hb_row *r);
/* An aligned, human-readable summary of n rows: the columns a reader scans
 * first (names, status, ops/s, pauses, footprint, fragmentation, leaks). */
void hb_rows_table(FILE *out, const hb_row *rows, size_t n);

/*
 * Appends rows to a CSV file, writing the header only if the file is empty
 * or new.  Each call writes its rows with one write() of whole lines to a
 * file opened O_APPEND, so a crash leaves whole rows or none.  Returns 0, or
 * -1 with errno set.  A file whose header differs from ours is refused
 * (-1, errno = EINVAL), never mixed.
 */
int hb_rows_append_csv(const char *path, const hb_row *rows, size_t n);

/*
 * Reads a CSV file written by hb_rows_append_csv.  Returns the number of
 * rows (>= 0) into *rows (malloc'd; strings owned by *arena, free both with
 * hb_rows_free), or -1 with a message in err naming the line and what was
 * wrong.
 */
long hb_rows_read_csv(const char *path, hb_row **rows, char **arena, char *err, size_t errcap);
void hb_rows_free(hb_row *rows, char *arena);

#endif
