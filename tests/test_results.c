/*
 * tests/test_results.c -- the result writers and the CSV reader: format
 * names, CSV quoting, a round trip through append and read, the header
 * written once and a foreign header refused, malformed input reported with
 * its line, JSON against a fixed expected line, and the table's shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/formats/results.h"
#include "tests/test_support.h"

static int setup_dir(void **state)
{
    (void)state;
    return test_dir_make("hb_test_results");
}

static int remove_dir(void **state)
{
    (void)state;
    return test_dir_remove();
}

/* A fresh path in the scratch folder: nothing is there under that name. */
static void path_in_tmp(char *buf, size_t cap, const char *name)
{
    test_path(buf, cap, name);
    unlink(buf);
}

static void write_bytes(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_file(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* The whole file, NUL-terminated (malloc'd). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* What a writer puts on a stream, as a malloc'd string. */
typedef void (*row_writer)(FILE *, const hb_row *);
static char *capture(row_writer fn, const hb_row *r)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    assert_non_null(m);
    fn(m, r);
    fclose(m);
    return s;
}

static void fill_row(hb_row *r, const char *alloc, const char *coll, uint64_t k)
{
    memset(r, 0, sizeof *r);
    r->allocator = alloc;
    r->collector = coll;
    r->workload = "binary-trees";
    r->scale = 0.1;
    r->seed = UINT64_MAX - k;
    r->rep = k;
    r->status = "ok";
    r->ops = 1000000 + k;
    r->objects = 123456;
    r->bytes_allocated = 98765432109ull;
    r->wall_s = 1.0 / 3.0;
    r->mutator_s = 0.25;
    r->gc_s = 1.0 / 3.0 - 0.25;
    r->ops_per_s = 3000000.0 + (double)k;
    r->pauses = 42;
    r->pause_p50_us = 12.5;
    r->pause_p90_us = 1e-300;
    r->pause_p99_us = 123456.789;
    r->pause_p999_us = NAN;
    r->pause_max_us = INFINITY;
    r->mmu_1ms = 0.0;
    r->mmu_10ms = 0.8;
    r->mmu_100ms = -0.0;
    r->peak_live_bytes = 10 << 20;
    r->peak_footprint_bytes = 15 << 20;
    r->frag_jw2_at_peak_live = 0.5;
    r->frag_jw4_peaks = 2.0 / 7.0;
    r->peak_rss_bytes = 1ull << 40;
    r->minor_faults = 7;
    r->leaked_objects = 3;
    r->leaked_bytes = 96;
    r->header_bytes = 16;
    r->collections = 9;
    r->full_collections = 2;
    r->finalizers_run = 1;
    r->noop_ops = 5;
    r->alloc_stat_exact = 1;
    r->mmu_100us = 0.0;
    r->mmu_300us = 0.125;
    r->mmu_3ms = 0.5;
    r->mmu_30ms = 0.75;
    r->mmu_300ms = 0.875;
    r->mmu_1s = 1.0;
    r->frag_jw1_mean = 0.25;
    r->frag_jw3_at_peak_footprint = 0.75;
    r->alloc_stat_peak_bytes = 16 << 20;
    r->alloc_stat_sampled_peak_bytes = 8 << 20;
    r->baseline_rss_bytes = 1 << 20;
}

static void assert_same_double(double a, double b)
{
    if (isnan(a) && isnan(b))
        return;
    if (memcmp(&a, &b, sizeof a) != 0)
        fail_msg("%.17g != %.17g", a, b);
}

static void assert_rows_equal(const hb_row *a, const hb_row *b)
{
#define CMP_STR(name) assert_string_equal(a->name ? a->name : "", b->name ? b->name : "");
#define CMP_U64(name) assert_int_equal(a->name, b->name);
#define CMP_F64(name) assert_same_double(a->name, b->name);
#define CMP_(type, name) CMP_##type(name)
    HB_ROW_FIELDS(CMP_)
#undef CMP_
#undef CMP_STR
#undef CMP_U64
#undef CMP_F64
}

/* ---- format names ---- */

static void test_format_parse(void **state)
{
    (void)state;
    assert_int_equal(hb_format_parse("table"), HB_FMT_TABLE);
    assert_int_equal(hb_format_parse("csv"), HB_FMT_CSV);
    assert_int_equal(hb_format_parse("json"), HB_FMT_JSON);
    assert_int_equal(hb_format_parse("CSV"), -1);
    assert_int_equal(hb_format_parse("jsonl"), -1);
    assert_int_equal(hb_format_parse(""), -1);
    assert_int_equal(hb_format_parse(NULL), -1);
}

/* ---- CSV writing ---- */

static void header_writer(FILE *f, const hb_row *r)
{
    (void)r;
    hb_row_csv_header(f);
}

static void test_csv_header(void **state)
{
    (void)state;
    char *h = capture(header_writer, NULL);
    assert_non_null(strstr(h, "allocator,collector,workload,scale,seed,rep,status,ops,"));
    size_t len = strlen(h), commas = 0;
    assert_true(len > 1 && h[len - 1] == '\n');
    assert_string_equal(h + len - strlen(",major_gc_s,cpu_s,involuntary_switches\n"),
                        ",major_gc_s,cpu_s,involuntary_switches\n");
    for (const char *p = h; *p; p++)
        commas += *p == ',';
    assert_int_equal(commas, sizeof(hb_row) / 8 - 1); /* every member is 8 bytes */
    free(h);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    hb_row r;
    fill_row(&r, "a,b", "say \"hi\"", 0);
    r.workload = "two\nlines";
    r.status = " padded";
    char *s = capture(hb_row_csv, &r);
    const char *want = "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",0.1,18446744073709551615,0,\" padded\",1000000,";
    assert_memory_equal(s, want, strlen(want));
    /* NaN is an empty field; infinity reads back with strtod. */
    assert_non_null(strstr(s, ",0.3333333333333333,0.25,0.08333333333333331,"));
    assert_non_null(strstr(s, ",123456.789,,inf,0,0.8,-0,"));
    free(s);
    r.allocator = NULL; /* a missing string is an empty field */
    s = capture(hb_row_csv, &r);
    assert_true(s[0] == ',');
    free(s);
}

/* ---- CSV round trip ---- */

static void test_csv_round_trip(void **state)
{
    (void)state;
    char path[128];
    hb_err e;
    path_in_tmp(path, sizeof path, "round.csv");
    hb_row in[3];
    fill_row(&in[0], "malloc", "mark-sweep", 0);
    fill_row(&in[1], "we,ird", "q\"uote", 1);
    fill_row(&in[2], "multi\r\nline", "", 2);
    in[2].status = "  spaced  ";
    in[2].scale = 1e300;
    in[2].ops_per_s = -INFINITY;
    assert_int_equal(hb_rows_append_csv(path, in, 3, NULL), 0);

    hb_row *out;
    char *arena;
    long n = hb_rows_read_csv(path, &out, &arena, &e);
    if (n < 0)
        fail_msg("read: %s", e.msg);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++)
        assert_rows_equal(&in[i], &out[i]);
    hb_rows_free(out, arena);
}

static size_t count_occurrences(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        k++;
    return k;
}

static void test_csv_header_once(void **state)
{
    (void)state;
    char path[128];
    hb_err e;
    path_in_tmp(path, sizeof path, "twice.csv");
    hb_row r[2];
    fill_row(&r[0], "bump", "none", 0);
    fill_row(&r[1], "bump", "rc", 1);
    assert_int_equal(hb_rows_append_csv(path, r, 1, NULL), 0);
    assert_int_equal(hb_rows_append_csv(path, r, 2, NULL), 0);
    assert_int_equal(hb_rows_append_csv(path, r, 0, NULL), 0); /* nothing to add */
    char *text = read_file(path);
    assert_int_equal(count_occurrences(text, "allocator,collector,"), 1);
    assert_int_equal(count_occurrences(text, "\n"), 4);
    free(text);

    hb_row *out;
    char *arena;
    assert_int_equal(hb_rows_read_csv(path, &out, &arena, &e), 3);
    assert_string_equal(out[2].collector, "rc");
    hb_rows_free(out, arena);

    /* A new file with no rows gets the header alone and reads as empty. */
    path_in_tmp(path, sizeof path, "empty.csv");
    assert_int_equal(hb_rows_append_csv(path, r, 0, NULL), 0);
    text = read_file(path);
    assert_int_equal(count_occurrences(text, "\n"), 1);
    free(text);
    assert_int_equal(hb_rows_read_csv(path, &out, &arena, &e), 0);
    hb_rows_free(out, arena);
}

/* A refused append: -1, e's kind, and a message holding `part`. */
static void expect_append_error(const char *path, const hb_row *r, hb_err_kind kind,
                                const char *part)
{
    hb_err e;
    hb_err_clear(&e);
    assert_int_equal(hb_rows_append_csv(path, r, 1, &e), -1);
    assert_int_equal(e.kind, kind);
    if (strstr(e.msg, part) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", e.msg, part);
}

static void test_csv_foreign_file_refused(void **state)
{
    (void)state;
    char path[128];
    hb_row r;
    fill_row(&r, "bump", "none", 0);

    path_in_tmp(path, sizeof path, "foreign.csv");
    write_file(path, "a,b,c\n1,2,3\n");
    expect_append_error(path, &r, HB_ERR_INPUT, "header is not this schema's");
    char *text = read_file(path);
    assert_string_equal(text, "a,b,c\n1,2,3\n"); /* untouched */
    free(text);

    /* Our header, but the last line was cut short: refused, not glued on. */
    path_in_tmp(path, sizeof path, "cut.csv");
    assert_int_equal(hb_rows_append_csv(path, &r, 1, NULL), 0);
    FILE *f = fopen(path, "a");
    fputs("bump,none", f);
    fclose(f);
    expect_append_error(path, &r, HB_ERR_INPUT, "cut short");

    /* A header that is ours with one column fewer (an older schema). */
    path_in_tmp(path, sizeof path, "older.csv");
    write_file(path, "allocator,collector\nx,y\n");
    expect_append_error(path, &r, HB_ERR_INPUT, "header is not this schema's");

    /* A path that cannot be opened says the system's reason. */
    expect_append_error("/nonexistent-dir/x.csv", &r, HB_ERR_SYSTEM, strerror(ENOENT));
}

static void test_csv_concurrent_appends(void **state)
{
    (void)state;
    char path[128];
    hb_err e;
    path_in_tmp(path, sizeof path, "parallel.csv");
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            hb_row r;
            fill_row(&r, k ? "child1" : "child0", "none", 0);
            for (int i = 0; i < 40; i++)
                if (hb_rows_append_csv(path, &r, 1, NULL) != 0)
                    _exit(1);
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    hb_row *out;
    char *arena;
    long n = hb_rows_read_csv(path, &out, &arena, &e);
    if (n < 0)
        fail_msg("read: %s", e.msg);
    assert_int_equal(n, 80); /* one header, no torn rows */
    hb_rows_free(out, arena);
}

/* ---- CSV reading ---- */

static void expect_read_error_n(const char *text, size_t len, const char *part1,
                                const char *part2)
{
    char path[128];
    hb_err e;
    path_in_tmp(path, sizeof path, "bad.csv");
    write_bytes(path, text, len);
    hb_row *out = (hb_row *)1;
    char *arena = (char *)1;
    assert_int_equal(hb_rows_read_csv(path, &out, &arena, &e), -1);
    assert_null(out);
    assert_null(arena);
    assert_int_equal(e.kind, HB_ERR_INPUT);
    if (strstr(e.msg, part1) == NULL || strstr(e.msg, part2) == NULL)
        fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", e.msg, part1, part2);
}

static void expect_read_error(const char *text, const char *part1, const char *part2)
{
    expect_read_error_n(text, strlen(text), part1, part2);
}

static void test_csv_malformed(void **state)
{
    (void)state;
    expect_read_error("allocator,ops\nmalloc,1\nbump\n", "line 3", "1 fields, expected 2");
    expect_read_error("allocator,ops\nmalloc,1\nbump,2,3\n", "line 3", "3 fields");
    expect_read_error("allocator,ops\nmalloc,12x\n", "line 2", "ops");
    expect_read_error("allocator,ops\nmalloc,-1\n", "line 2", "unsigned integer");
    expect_read_error("allocator,ops\nmalloc,99999999999999999999\n", "line 2", "ops");
    expect_read_error("allocator,wall_s\nmalloc,1.5s\n", "line 2", "wall_s");
    /* A quoted field spanning lines 2-3 moves the count on. */
    expect_read_error("allocator,ops\n\"a\nb\",1\n\"open,2\nmore\n", "line 4", "unterminated");
    expect_read_error("allocator,ops\n\"a\"x,1\n", "line 2", "after a closing quote");
    expect_read_error("allocator,ops\nma\"lloc,1\n", "line 2", "unquoted");
    expect_read_error("allocator,ops,allocator\nx,1,y\n", "line 1", "twice");
    expect_read_error("foo,bar\n1,2\n", "line 1", "no known column");
    static const char nul[] = "allocator,ops\nmalloc,1\nx\0y,2\n";
    expect_read_error_n(nul, sizeof nul - 1, "line 3", "NUL");

    hb_err e;
    hb_row *out;
    char *arena;
    assert_int_equal(hb_rows_read_csv("/nonexistent-dir/r.csv", &out, &arena, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent-dir/r.csv"));
    /* A NULL hb_err is allowed. */
    assert_int_equal(hb_rows_read_csv("/nonexistent-dir/r.csv", &out, &arena, NULL), -1);
}

static void test_csv_older_and_reordered(void **state)
{
    (void)state;
    char path[128];
    hb_err e;
    path_in_tmp(path, sizeof path, "old.csv");
    /* Fewer columns, another order, an unknown one, CRLF, a blank line,
     * and a byte-order mark. */
    write_file(path, "\xef\xbb\xbfops,future_column,allocator,wall_s,mmu_10ms\r\n"
                     "5,whatever,malloc,1.5,\r\n"
                     "\r\n"
                     "7,\"x,y\",\"bump \"\"fast\"\"\",2e-3,0.25\r\n");
    hb_row *out;
    char *arena;
    long n = hb_rows_read_csv(path, &out, &arena, &e);
    if (n < 0)
        fail_msg("read: %s", e.msg);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].ops, 5);
    assert_string_equal(out[0].allocator, "malloc");
    assert_true(out[0].wall_s == 1.5);
    assert_true(isnan(out[0].mmu_10ms)); /* empty: no value */
    assert_string_equal(out[0].collector, ""); /* absent columns */
    assert_int_equal(out[0].seed, 0);
    assert_true(isnan(out[0].gc_s));
    assert_int_equal(out[1].ops, 7);
    assert_string_equal(out[1].allocator, "bump \"fast\"");
    assert_true(out[1].wall_s == 2e-3);
    assert_true(out[1].mmu_10ms == 0.25);
    hb_rows_free(out, arena);

    /* No trailing newline, and a trailing empty field. */
    write_file(path, "allocator,status\nmalloc,");
    n = hb_rows_read_csv(path, &out, &arena, &e);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].allocator, "malloc");
    assert_string_equal(out[0].status, "");
    hb_rows_free(out, arena);

    write_file(path, ""); /* an empty file: no rows, no error */
    assert_int_equal(hb_rows_read_csv(path, &out, &arena, &e), 0);
    hb_rows_free(out, arena);
}

/* ---- JSON ---- */

static void test_json_fixed_row(void **state)
{
    (void)state;
    hb_row r;
    fill_row(&r, "malloc", "mark-sweep", 1);
    char *s = capture(hb_row_json, &r);
    const char *want =
        "{\"allocator\":\"malloc\",\"collector\":\"mark-sweep\",\"workload\":\"binary-trees\","
        "\"scale\":0.1,\"seed\":18446744073709551614,\"rep\":1,\"status\":\"ok\","
        "\"ops\":1000001,\"objects\":123456,\"bytes_allocated\":98765432109,"
        "\"wall_s\":0.3333333333333333,\"mutator_s\":0.25,\"gc_s\":0.08333333333333331,"
        "\"ops_per_s\":3000001,\"pauses\":42,\"pause_p50_us\":12.5,\"pause_p90_us\":1e-300,"
        "\"pause_p99_us\":123456.789,\"pause_p999_us\":null,\"pause_max_us\":null,"
        "\"mmu_1ms\":0,\"mmu_10ms\":0.8,\"mmu_100ms\":-0,"
        "\"peak_live_bytes\":10485760,\"peak_footprint_bytes\":15728640,"
        "\"frag_jw2_at_peak_live\":0.5,\"frag_jw4_peaks\":0.2857142857142857,"
        "\"peak_rss_bytes\":1099511627776,\"minor_faults\":7,\"leaked_objects\":3,"
        "\"leaked_bytes\":96,\"header_bytes\":16,\"collections\":9,\"full_collections\":2,"
        "\"finalizers_run\":1,\"noop_ops\":5,\"alloc_stat_exact\":1,"
        "\"mmu_100us\":0,\"mmu_300us\":0.125,\"mmu_3ms\":0.5,\"mmu_30ms\":0.75,"
        "\"mmu_300ms\":0.875,\"mmu_1s\":1,\"frag_jw1_mean\":0.25,"
        "\"frag_jw3_at_peak_footprint\":0.75,\"alloc_stat_peak_bytes\":16777216,"
        "\"alloc_stat_sampled_peak_bytes\":8388608,"
        "\"baseline_rss_bytes\":1048576,\"heap_factor\":0,\"min_heap_bytes\":0,"
        "\"threads\":0,\"cross_thread_frees\":0,\"gil_switches\":0,"
        "\"minor_collections\":0,\"major_collections\":0,\"minor_gc_s\":0,\"major_gc_s\":0,"
        "\"cpu_s\":0,\"involuntary_switches\":0}\n";
    assert_string_equal(s, want);
    free(s);
}

static void test_json_escapes(void **state)
{
    (void)state;
    hb_row r;
    fill_row(&r, "q\"b\\s\n\t\x01", "caf\xc3\xa9", 0);
    r.workload = "bad\xff\xc3(";
    r.status = NULL;
    char *s = capture(hb_row_json, &r);
    assert_non_null(strstr(s, "{\"allocator\":\"q\\\"b\\\\s\\n\\t\\u0001\","));
    assert_non_null(strstr(s, "\"collector\":\"caf\xc3\xa9\","));
    assert_non_null(strstr(s, "\"workload\":\"bad\\ufffd\\ufffd(\","));
    assert_non_null(strstr(s, "\"status\":null,"));
    assert_int_equal(count_occurrences(s, "\n"), 1); /* one line */
    free(s);
}

/* ---- table ---- */

static void test_table(void **state)
{
    (void)state;
    hb_row r[2];
    fill_row(&r[0], "malloc", "mark-sweep", 0);
    fill_row(&r[1], "segfit", "generational", 1);
    r[0].ops_per_s = 1234567.0;
    r[1].wall_s = 0; /* gc % undefined: shown as "-" */
    r[1].pause_p99_us = NAN;
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    hb_rows_table(m, r, 2);
    fclose(m);

    size_t lines = 0, longest = 0, cur = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\n') {
            lines++;
            longest = cur > longest ? cur : longest;
            cur = 0;
        } else {
            cur++;
        }
    }
    assert_int_equal(lines, 4); /* two header lines, two rows */
    if (longest > 120)
        fail_msg("a table line is %zu columns wide:\n%s", longest, s);
    assert_non_null(strstr(s, "allocator"));
    assert_non_null(strstr(s, "ops/s"));
    const char *row0 = strstr(s, "malloc");
    const char *row1 = strstr(s, "segfit");
    assert_non_null(row0);
    assert_non_null(row1);
    assert_non_null(strstr(row0, " 1.23M "));
    assert_non_null(strstr(row0, " 25.0 ")); /* gc %: 0.0833 / 0.3333 */
    assert_non_null(strstr(row0, " 123457 ")); /* p99 us */
    assert_non_null(strstr(row0, " 10.0 "));  /* peak live MiB */
    assert_non_null(strstr(row0, " 15.0 "));  /* peak footprint MiB */
    assert_non_null(strstr(row1, " - "));
    /* Columns line up: "ops/s" ends where each row's ops/s value ends. */
    const char *hdr2 = strchr(s, '\n') + 1;
    long col = strstr(hdr2, "ops/s") + 5 - hdr2;
    assert_true(row0[col - 1] == 'M' && row0[col] == ' ');
    free(s);

    m = open_memstream(&s, &len);
    hb_rows_table(m, NULL, 0); /* no rows: headers only, no crash */
    fclose(m);
    assert_int_equal(count_occurrences(s, "\n"), 2);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_csv_round_trip),
        cmocka_unit_test(test_csv_header_once),
        cmocka_unit_test(test_csv_foreign_file_refused),
        cmocka_unit_test(test_csv_concurrent_appends),
        cmocka_unit_test(test_csv_malformed),
        cmocka_unit_test(test_csv_older_and_reordered),
        cmocka_unit_test(test_json_fixed_row),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
