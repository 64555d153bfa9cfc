/*
 * harness/formats/results.h -- formats layer: one result row per repetition,
 * and its writers and reader.
 *
 * The columns come from one field list (HB_ROW_FIELDS), which yields the
 * struct, the CSV header, the CSV and JSON writers, the reader and the
 * table, so a column cannot be added to one and forgotten in another.  The
 * lists of the columns of one kind (MMU windows, pause quantiles) and the
 * statuses sit beside it; each entry of them names a row column, checked at
 * compile time (results.c), and a test checks that no row column of their
 * kind is missing from them and that results/README.md and plots/README.md
 * list exactly the columns written (tests/test_docs.c).
 *
 * X(type, name): type is STR (const char *, owned elsewhere), U64, F64.
 */
#ifndef HB_RESULTS_H
#define HB_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "harness/core/err.h"

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
    X(F64, frag_jw2_at_peak_live)   \
    X(F64, frag_jw4_peaks)          \
    X(U64, peak_rss_bytes)          \
    X(U64, minor_faults)            \
    X(U64, leaked_objects)          \
    X(U64, leaked_bytes)            \
    X(U64, header_bytes)            \
    X(U64, collections)             \
    X(U64, full_collections)        \
    X(U64, finalizers_run)          \
    X(U64, noop_ops)                \
    X(U64, alloc_stat_exact)        \
    X(F64, mmu_100us)               \
    X(F64, mmu_300us)               \
    X(F64, mmu_3ms)                 \
    X(F64, mmu_30ms)                \
    X(F64, mmu_300ms)               \
    X(F64, mmu_1s)                  \
    X(F64, frag_jw1_mean)           \
    X(F64, frag_jw3_at_peak_footprint) \
    X(U64, alloc_stat_peak_bytes)   \
    X(U64, alloc_stat_sampled_peak_bytes) \
    X(U64, baseline_rss_bytes)       \
    X(F64, heap_factor)             \
    X(U64, min_heap_bytes)          \
    X(U64, threads)                 \
    X(U64, cross_thread_frees)      \
    X(U64, gil_switches)            \
    X(U64, minor_collections)       \
    X(U64, major_collections)       \
    X(F64, minor_gc_s)              \
    X(F64, major_gc_s)              \
    X(F64, cpu_s)                   \
    X(U64, involuntary_switches)

/*
 * The MMU windows, shortest first: W(column, window in ns, label in ms).
 * The run fills column with hb_mmu(log, timeline, ns); the report summarizes
 * each and writes mmu.csv's window_ms from the label.
 */
#define HB_MMU_WINDOWS(W)                  \
    W(mmu_100us, 100000ull, 0.1)           \
    W(mmu_300us, 300000ull, 0.3)           \
    W(mmu_1ms, 1000000ull, 1)              \
    W(mmu_3ms, 3000000ull, 3)              \
    W(mmu_10ms, 10000000ull, 10)           \
    W(mmu_30ms, 30000000ull, 30)           \
    W(mmu_100ms, 100000000ull, 100)        \
    W(mmu_300ms, 300000000ull, 300)        \
    W(mmu_1s, 1000000000ull, 1000)

/* The pause quantiles, ascending: Q(column, quantile, label).  The run fills
 * column with hb_hist_quantile_ns(hist, quantile) / 1e3 (1.0 is the maximum);
 * pauses.csv names each by its label. */
#define HB_PAUSE_QUANTILES(Q)              \
    Q(pause_p50_us, 0.50, "p50")           \
    Q(pause_p90_us, 0.90, "p90")           \
    Q(pause_p99_us, 0.99, "p99")           \
    Q(pause_p999_us, 0.999, "p99.9")       \
    Q(pause_max_us, 1.0, "max")

/* A repetition's status: S(enum tail, the word written in the status
 * column).  Rows hold the word (const char *): files keep these strings. */
#define HB_STATUSES(S)  \
    S(OK, "ok")         \
    S(OOM, "oom")       \
    S(ERROR, "error")   \
    S(ORACLE, "oracle") \
    S(CRASH, "crash")

#define HB_STATUS_ENUM_(tail, word) HB_STATUS_##tail,
typedef enum hb_status { HB_STATUSES(HB_STATUS_ENUM_) HB_NSTATUS } hb_status;
#undef HB_STATUS_ENUM_

/* The word of a status ("ok", "oom", ...). */
const char *hb_status_name(hb_status s);
/* The status of a word, or -1 if it is none of them. */
int hb_status_parse(const char *word);

/* The same lists as data, for loops (run.c's fill_row, the report). */
typedef struct hb_mmu_window {
    const char *column;
    uint64_t ns;
    double ms;
    size_t off; /* offsetof(hb_row, column) */
} hb_mmu_window;
typedef struct hb_pause_quantile {
    const char *column, *label;
    double q;
    size_t off;
} hb_pause_quantile;
extern const hb_mmu_window hb_mmu_windows[];
extern const size_t hb_n_mmu_windows;
extern const hb_pause_quantile hb_pause_quantiles[];
extern const size_t hb_n_pause_quantiles;

/* The row's columns by name, for loops over them: kind 0 STR, 1 U64, 2 F64. */
typedef struct hb_row_column {
    const char *name;
    int kind;
    size_t off;
} hb_row_column;
extern const hb_row_column hb_row_columns[];
extern const size_t hb_n_row_columns;

#define HB_ROW_CTYPE_STR const char *
#define HB_ROW_CTYPE_U64 uint64_t
#define HB_ROW_CTYPE_F64 double
#define HB_ROW_MEMBER_(type, name) HB_ROW_CTYPE_##type name;

typedef struct hb_row {
    HB_ROW_FIELDS(HB_ROW_MEMBER_)
} hb_row;

/* A row's F64 column at offset off (from the lists above), to read or fill. */
static inline double *hb_row_f64(hb_row *r, size_t off)
{
    return (double *)((char *)r + off);
}

enum hb_format { HB_FMT_TABLE, HB_FMT_CSV, HB_FMT_JSON };

/* Parses "table", "csv", "json"; returns -1 for anything else. */
int hb_format_parse(const char *s);

/* v with about three significant digits and a k/M/G/T/P/E suffix (powers of
 * 1000): 0.333, 12.3, 123, 12.3k, 1.23M; "-" for NaN.  The one number format
 * of the tables (rows and report). */
void hb_fmt_si(char *buf, size_t cap, double v);

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
 * file opened O_APPEND, so a crash leaves whole rows or none.  Returns 0,
 * or -1 with e filled (the message does not name the file: the caller
 * does): a file whose header differs from ours, or whose last line is cut
 * short, is refused (HB_ERR_INPUT) and left untouched, never mixed; a
 * failed open, lock or write is HB_ERR_SYSTEM (a failed write is cut back).
 */
int hb_rows_append_csv(const char *path, const hb_row *rows, size_t n, hb_err *e);

/*
 * Reads a CSV file written by hb_rows_append_csv.  Returns the number of
 * rows (>= 0) into *rows (malloc'd; strings owned by *arena, free both with
 * hb_rows_free), or -1 with e filled: HB_ERR_INPUT for an unreadable or
 * malformed file (the message names the line and the bad value, and what
 * was expected), HB_ERR_NOMEM.
 */
long hb_rows_read_csv(const char *path, hb_row **rows, char **arena, hb_err *e);
void hb_rows_free(hb_row *rows, char *arena);

#endif
