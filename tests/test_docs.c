/*
 * tests/test_docs.c -- the READMEs against the code: results/README.md must
 * list exactly the columns of rows.csv (HB_ROW_FIELDS, in order) and every
 * status word; plots/README.md exactly the columns `heapbench report
 * --format csv` writes into summary.csv, mmu.csv and pauses.csv (from
 * cmd_report.c's lists) and the MMU windows (HB_MMU_WINDOWS).  Also: every
 * row column of the MMU or pause-quantile kind is in its list.  README.md
 * must state the reference-count pause rule in the words of
 * GC_RC_PAUSE_RULE, and its numbers must be the collectors' defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "collectors/rc_core.h"
#include "harness/cli/report.h"
#include "harness/formats/io.h"
#include "harness/formats/results.h"

#define MAXN 512

typedef struct names {
    char *v[MAXN];
    size_t n;
} names;

static void add(names *l, const char *s, size_t len)
{
    assert_true(l->n < MAXN);
    l->v[l->n] = strndup(s, len);
    assert_non_null(l->v[l->n]);
    l->n++;
}

static void clear(names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

/* The backticked words of text[0..len), in order. */
static void ticks(names *l, const char *text, size_t len)
{
    const char *end = text + len;
    for (const char *p = memchr(text, '`', len); p && p < end; p = memchr(p, '`', (size_t)(end - p))) {
        const char *q = memchr(p + 1, '`', (size_t)(end - p - 1));
        if (q == NULL)
            return;
        add(l, p + 1, (size_t)(q - p - 1));
        p = q + 1;
    }
}

/* A comma-separated header line into names. */
static void split_header(names *l, const char *line)
{
    for (const char *p = line; *p && *p != '\n';) {
        size_t n = strcspn(p, ",\n");
        add(l, p, n);
        p += n + (p[n] == ',');
    }
}

static char *readme(const char *rel)
{
    char path[4096];
    hb_err e;
    assert_int_equal(hb_path(path, sizeof path, "%s/%s", HB_SOURCE_DIR, rel), 0);
    char *s = hb_read_whole(path, NULL, &e);
    if (s == NULL)
        fail_msg("%s", e.msg);
    return s;
}

/* The text from the line starting with `from` to the next line starting
 * with "## " (or the end). */
static const char *section(const char *doc, const char *from, size_t *len)
{
    const char *p = strstr(doc, from);
    if (p == NULL)
        fail_msg("README has no section '%s'", from);
    const char *q = strstr(p + 1, "\n## ");
    *len = q ? (size_t)(q - p) : strlen(p);
    return p;
}

static void same_list(const names *doc, const names *code, const char *what)
{
    size_t n = doc->n > code->n ? doc->n : code->n;
    for (size_t i = 0; i < n; i++) {
        const char *d = i < doc->n ? doc->v[i] : "(nothing)";
        const char *c = i < code->n ? code->v[i] : "(nothing)";
        if (strcmp(d, c) != 0)
            fail_msg("%s, column %zu: the README says '%s', the code writes '%s'", what, i + 1, d, c);
    }
}

/* ---- results/README.md ---- */

static void rows_columns_match(void **state)
{
    (void)state;
    char *doc = readme("results/README.md");
    size_t len;
    const char *sec = section(doc, "## Columns", &len);
    names d = {0}, c = {0};
    /* Each table row's first cell names one column or several. */
    for (const char *p = sec; p < sec + len;) {
        const char *nl = memchr(p, '\n', (size_t)(sec + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(sec + len - p);
        if (n > 3 && strncmp(p, "| `", 3) == 0) {
            const char *bar = memchr(p + 1, '|', n - 1);
            ticks(&d, p + 1, (size_t)(bar - p - 1));
        }
        p += n + 1;
    }
    for (size_t i = 0; i < hb_n_row_columns; i++)
        add(&c, hb_row_columns[i].name, strlen(hb_row_columns[i].name));
    same_list(&d, &c, "results/README.md, rows.csv");
    clear(&d);
    clear(&c);
    free(doc);
}

static void status_words_documented(void **state)
{
    (void)state;
    char *doc = readme("results/README.md");
    const char *row = strstr(doc, "| `status` |");
    assert_non_null(row);
    size_t n = strcspn(row, "\n");
    names d = {0};
    ticks(&d, row, n);
    for (int s = 0; s < HB_NSTATUS; s++) {
        int found = 0;
        for (size_t i = 0; i < d.n; i++)
            found |= strcmp(d.v[i], hb_status_name((hb_status)s)) == 0;
        if (!found)
            fail_msg("results/README.md's status row does not name `%s`", hb_status_name((hb_status)s));
        assert_int_equal(hb_status_parse(hb_status_name((hb_status)s)), s);
    }
    assert_int_equal(hb_status_parse("fine"), -1);
    clear(&d);
    free(doc);
}

/* ---- plots/README.md ---- */

static char *header_of(void (*fill)(FILE *, FILE *, FILE *, int), int which)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fill(f, f, f, which);
    fclose(f);
    return buf;
}

/* hb_report_headers writes three lines; one of them goes to a real stream. */
static void fill_one(FILE *f, FILE *g, FILE *h, int which)
{
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    (void)g;
    (void)h;
    hb_report_headers(which == 0 ? f : null, which == 1 ? f : null, which == 2 ? f : null);
    fclose(null);
}

static void summary_columns_match(void **state)
{
    (void)state;
    char *doc = readme("plots/README.md");
    size_t len;
    const char *sec = section(doc, "## summary.csv", &len);
    names metrics = {0}, d = {0}, c = {0}, line = {0};
    const char *ml = strstr(sec, "\nThe metrics X");
    assert_true(ml != NULL && ml < sec + len);
    const char *mend = strstr(ml + 1, "\n\n");
    ticks(&metrics, ml, (size_t)(mend ? mend - ml : sec + len - ml));
    assert_true(metrics.n > 0);
    /* "- " lines, in order; a template word X_tail is expanded over the metrics. */
    for (const char *p = sec; p < ml;) {
        size_t n = strcspn(p, "\n");
        if (strncmp(p, "- ", 2) == 0) {
            ticks(&line, p, n);
            if (line.n && strncmp(line.v[0], "X_", 2) == 0) {
                for (size_t m = 0; m < metrics.n; m++)
                    for (size_t t = 0; t < line.n; t++) {
                        char w[256];
                        snprintf(w, sizeof w, "%s%s", metrics.v[m], line.v[t] + 1);
                        add(&d, w, strlen(w));
                    }
            } else {
                for (size_t t = 0; t < line.n; t++)
                    add(&d, line.v[t], strlen(line.v[t]));
            }
            clear(&line);
        }
        p += n + 1;
    }
    char *h = header_of(fill_one, 0);
    split_header(&c, h);
    same_list(&d, &c, "plots/README.md, summary.csv");
    free(h);
    clear(&metrics);
    clear(&d);
    clear(&c);
    free(doc);
}

static void check_line(const char *doc, const char *start, int which, const char *what)
{
    const char *p = strstr(doc, start);
    if (p == NULL)
        fail_msg("plots/README.md has no line starting '%s'", start + 1);
    p++;
    names d = {0}, c = {0};
    ticks(&d, p, strcspn(p, "\n"));
    char *h = header_of(fill_one, which);
    split_header(&c, h);
    same_list(&d, &c, what);
    free(h);
    clear(&d);
    clear(&c);
}

static void mmu_and_pauses_columns_match(void **state)
{
    (void)state;
    char *doc = readme("plots/README.md");
    check_line(doc, "\nmmu.csv:", 1, "plots/README.md, mmu.csv");
    check_line(doc, "\npauses.csv:", 2, "plots/README.md, pauses.csv");
    free(doc);
}

static void mmu_windows_documented(void **state)
{
    (void)state;
    char *doc = readme("plots/README.md");
    char want[256] = "";
    for (size_t i = 0; i < hb_n_mmu_windows; i++) {
        char w[32];
        snprintf(w, sizeof w, "%s%g", i ? ", " : "", hb_mmu_windows[i].ms);
        strcat(want, w);
    }
    strcat(want, " ms");
    const char *row = strstr(doc, "| mmu.gp |");
    assert_non_null(row);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(row, "\n"), row);
    if (strstr(line, want) == NULL)
        fail_msg("plots/README.md's mmu.gp row does not list the windows '%s'", want);
    free(doc);
}

/* ---- the lists against the field list ---- */

static int in_mmu_list(const char *name)
{
    for (size_t i = 0; i < hb_n_mmu_windows; i++)
        if (strcmp(hb_mmu_windows[i].column, name) == 0)
            return 1;
    return 0;
}

static int in_quantile_list(const char *name)
{
    for (size_t i = 0; i < hb_n_pause_quantiles; i++)
        if (strcmp(hb_pause_quantiles[i].column, name) == 0)
            return 1;
    return 0;
}

static void kind_lists_complete(void **state)
{
    (void)state;
    for (size_t i = 0; i < hb_n_row_columns; i++) {
        const char *n = hb_row_columns[i].name;
        if (strncmp(n, "mmu_", 4) == 0 && !in_mmu_list(n))
            fail_msg("row column %s is not in HB_MMU_WINDOWS", n);
        if (strncmp(n, "pause_", 6) == 0 && !in_quantile_list(n))
            fail_msg("row column %s is not in HB_PAUSE_QUANTILES", n);
    }
    for (size_t i = 1; i < hb_n_mmu_windows; i++)
        assert_true(hb_mmu_windows[i - 1].ns < hb_mmu_windows[i].ns);
    for (size_t i = 0; i < hb_n_mmu_windows; i++)
        assert_true(hb_mmu_windows[i].ms * 1e6 == (double)hb_mmu_windows[i].ns);
    for (size_t i = 1; i < hb_n_pause_quantiles; i++)
        assert_true(hb_pause_quantiles[i - 1].q < hb_pause_quantiles[i].q);
}

/* ---- README.md: the pause rule ---- */

/* The number in s after `before` (which must be there), up to `after`. */
static unsigned long number_between(const char *s, const char *before, const char *after)
{
    const char *p = strstr(s, before);
    if (p == NULL)
        fail_msg("README.md's pause rule has no '%s'", before);
    char *end;
    unsigned long v = strtoul(p + strlen(before), &end, 10);
    if (end == p + strlen(before) || strncmp(end, after, strlen(after)) != 0)
        fail_msg("README.md's pause rule: no number between '%s' and '%s'", before, after);
    return v;
}

/* The sentence is GC_RC_PAUSE_RULE word for word, and the numbers it states
 * are those rc_core.h applies: a constant that drifts changes the sentence
 * (built from it) or breaks the comparison, a README that drifts breaks the
 * match. */
static void pause_rule_documented(void **state)
{
    (void)state;
    char *doc = readme("README.md");
    const char *rule = strstr(doc, "A reference-count cascade (");
    if (rule == NULL)
        fail_msg("README.md does not state the pause rule ('A reference-count cascade (...')");
    if (strncmp(rule, GC_RC_PAUSE_RULE, strlen(GC_RC_PAUSE_RULE)) != 0)
        fail_msg("README.md's pause rule is not GC_RC_PAUSE_RULE (collectors/collector.h):\n"
                 "README: %.*s\ncode:   %s", (int)strcspn(rule, "\n"), rule, GC_RC_PAUSE_RULE);
    char sentence[1024];
    snprintf(sentence, sizeof sentence, "%.*s", (int)strlen(GC_RC_PAUSE_RULE), rule);
    assert_int_equal(number_between(sentence, "when it takes ", " \xc2\xb5s") * 1000u,
                     RC_PAUSE_NS_DEFAULT);
    assert_int_equal(number_between(sentence, "or frees ", " MiB") << 20, RC_PAUSE_BYTES_DEFAULT);
    assert_int_equal(number_between(sentence, "reaches ", " objects"), RC_CLOCK_OBJECTS_DEFAULT);
    assert_int_equal(number_between(sentence, "objects or ", " KiB") << 10, RC_CLOCK_BYTES);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_columns_match),
        cmocka_unit_test(status_words_documented),
        cmocka_unit_test(summary_columns_match),
        cmocka_unit_test(mmu_and_pauses_columns_match),
        cmocka_unit_test(mmu_windows_documented),
        cmocka_unit_test(kind_lists_complete),
        cmocka_unit_test(pause_rule_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
