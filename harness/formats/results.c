/*
 * harness/formats/results.c -- formats layer: result rows out (CSV, JSON Lines, an aligned table)
 * and back in (CSV).
 *
 * Everything here walks one table of field descriptors generated from
 * HB_ROW_FIELDS (name, type, offset), so no column has code of its own; the
 * human-readable table is a list of (header, field offsets, format) entries,
 * also data.  Output is built in a local buffer (stack first, then mmap'd)
 * and not with the C library's malloc, because rows are written between
 * repetitions while the malloc backend's footprint is measured process-wide.
 *
 * Conventions (results/README.md says the same for readers):
 *   CSV   RFC 4180: a field holding a comma, quote, CR, LF or a leading or
 *         trailing space is quoted, quotes doubled; lines end in LF.  U64 in
 *         decimal; F64 in the shortest of %.15g..%.17g that reads back to the
 *         same double; NaN (a value that does not exist, e.g. MMU when the
 *         pause log overflowed) is an empty field; infinities are inf, -inf.
 *         A NULL string is an empty field.
 *   JSON  one object per line, keys in column order; strings escaped (control
 *         characters as \u00XX, invalid UTF-8 as U+FFFD); NaN and infinities
 *         are null; a NULL string is null.
 * The CSV reader maps columns by header name, so files with fewer, more or
 * reordered columns still read: an absent STR column reads as "", U64 as 0,
 * F64 as NaN; an unknown column is ignored.
 */
#include "harness/formats/results.h"
#include "harness/formats/io.h"
#include "harness/formats/json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Field descriptors, from the X-macro
 * ------------------------------------------------------------------------ */

enum fkind { K_STR, K_U64, K_F64 };

typedef hb_row_column field_desc;

#define HB_FIELD_DESC_(type, name) { #name, K_##type, offsetof(hb_row, name) },
const hb_row_column hb_row_columns[] = { HB_ROW_FIELDS(HB_FIELD_DESC_) };
#undef HB_FIELD_DESC_
const size_t hb_n_row_columns = sizeof hb_row_columns / sizeof hb_row_columns[0];
#define fields hb_row_columns
#define NFIELDS (sizeof hb_row_columns / sizeof hb_row_columns[0])

/* ------------------------------------------------------------------------
 * The lists of one kind of column, and the statuses.  offsetof fails to
 * compile for a name that is no row column; the assertions, for one that
 * is not an F64.
 * ------------------------------------------------------------------------ */

#define HB_IS_F64_(name) _Generic(((hb_row *)0)->name, double: 1, default: 0)
#define HB_MMU_ENTRY_(col, ns, ms) { #col, ns, ms, offsetof(hb_row, col) },
#define HB_MMU_CHECK_(col, ns, ms) _Static_assert(HB_IS_F64_(col), #col " must be an F64 column");
const hb_mmu_window hb_mmu_windows[] = { HB_MMU_WINDOWS(HB_MMU_ENTRY_) };
const size_t hb_n_mmu_windows = sizeof hb_mmu_windows / sizeof hb_mmu_windows[0];
HB_MMU_WINDOWS(HB_MMU_CHECK_)

#define HB_PQ_ENTRY_(col, q, label) { #col, label, q, offsetof(hb_row, col) },
#define HB_PQ_CHECK_(col, q, label) _Static_assert(HB_IS_F64_(col), #col " must be an F64 column");
const hb_pause_quantile hb_pause_quantiles[] = { HB_PAUSE_QUANTILES(HB_PQ_ENTRY_) };
const size_t hb_n_pause_quantiles = sizeof hb_pause_quantiles / sizeof hb_pause_quantiles[0];
HB_PAUSE_QUANTILES(HB_PQ_CHECK_)

#define HB_STATUS_WORD_(tail, word) [HB_STATUS_##tail] = word,
static const char *const status_words[HB_NSTATUS] = { HB_STATUSES(HB_STATUS_WORD_) };

const char *hb_status_name(hb_status s)
{
    return (unsigned)s < HB_NSTATUS ? status_words[s] : "error";
}

int hb_status_parse(const char *word)
{
    for (int i = 0; word != NULL && i < HB_NSTATUS; i++)
        if (strcmp(word, status_words[i]) == 0)
            return i;
    return -1;
}

static const char *get_str(const hb_row *r, size_t off)
{
    const char *p;
    memcpy(&p, (const char *)r + off, sizeof p);
    return p;
}

static uint64_t get_u64(const hb_row *r, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)r + off, sizeof v);
    return v;
}

static double get_f64(const hb_row *r, size_t off)
{
    double v;
    memcpy(&v, (const char *)r + off, sizeof v);
    return v;
}

/* ------------------------------------------------------------------------
 * Output buffer: inline storage, then anonymous mappings.  On a failed
 * growth it stops accepting bytes and remembers the failure.
 * ------------------------------------------------------------------------ */

typedef struct obuf {
    char *p;
    size_t len, cap;
    int mapped, failed;
    char small[4096];
} obuf;

static void ob_init(obuf *b)
{
    b->p = b->small;
    b->len = 0;
    b->cap = sizeof b->small;
    b->mapped = 0;
    b->failed = 0;
}

static void ob_release(obuf *b)
{
    if (b->mapped)
        munmap(b->p, b->cap);
    ob_init(b);
}

static int ob_reserve(obuf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra <= b->cap - b->len)
        return 0;
    size_t want = b->cap;
    while (want - b->len < extra) {
        if (want > SIZE_MAX / 2) {
            b->failed = 1;
            return -1;
        }
        want *= 2;
    }
    void *q = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        b->failed = 1;
        return -1;
    }
    memcpy(q, b->p, b->len);
    if (b->mapped)
        munmap(b->p, b->cap);
    b->p = q;
    b->cap = want;
    b->mapped = 1;
    return 0;
}

static void ob_put(obuf *b, const char *s, size_t n)
{
    if (ob_reserve(b, n) == 0) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

static void ob_puts(obuf *b, const char *s)
{
    ob_put(b, s, strlen(s));
}

static void ob_putc(obuf *b, char c)
{
    ob_put(b, &c, 1);
}

static void ob_printf(obuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ob_printf(obuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        ob_put(b, tmp, (size_t)n);
        return;
    }
    if (ob_reserve(b, (size_t)n + 1) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Writes the buffer to a stream.  If the buffer could not grow, nothing is
 * written: half a row would read back as a malformed one. */
static void ob_flush_to(obuf *b, FILE *out)
{
    if (!b->failed && b->len > 0)
        fwrite(b->p, 1, b->len, out);
    ob_release(b);
}

/* ------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------ */

/* The shortest %.Ng (N = 15..17) that reads back as the same double. */
static void fmt_double(char *buf, size_t cap, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void put_f64_csv(obuf *b, double v)
{
    char tmp[40];
    if (isnan(v))
        return; /* empty field */
    if (isinf(v)) {
        ob_puts(b, v > 0 ? "inf" : "-inf");
        return;
    }
    fmt_double(tmp, sizeof tmp, v);
    ob_puts(b, tmp);
}

static void put_f64_json(obuf *b, double v)
{
    char tmp[40];
    if (!isfinite(v)) {
        ob_puts(b, "null");
        return;
    }
    fmt_double(tmp, sizeof tmp, v);
    ob_puts(b, tmp);
}

/* ------------------------------------------------------------------------
 * CSV writing
 * ------------------------------------------------------------------------ */

static int csv_needs_quotes(const char *s)
{
    size_t n = strlen(s);
    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

static void put_str_csv(obuf *b, const char *s)
{
    if (s == NULL)
        return;
    if (!csv_needs_quotes(s)) {
        ob_puts(b, s);
        return;
    }
    ob_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            ob_putc(b, '"');
        ob_putc(b, *s);
    }
    ob_putc(b, '"');
}

static void csv_header_into(obuf *b)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        if (i > 0)
            ob_putc(b, ',');
        ob_puts(b, fields[i].name);
    }
    ob_putc(b, '\n');
}

static void csv_row_into(obuf *b, const hb_row *r)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_desc *f = &fields[i];
        if (i > 0)
            ob_putc(b, ',');
        if (f->kind == K_STR)
            put_str_csv(b, get_str(r, f->off));
        else if (f->kind == K_U64)
            ob_printf(b, "%" PRIu64, get_u64(r, f->off));
        else
            put_f64_csv(b, get_f64(r, f->off));
    }
    ob_putc(b, '\n');
}

void hb_row_csv_header(FILE *out)
{
    obuf b;
    ob_init(&b);
    csv_header_into(&b);
    ob_flush_to(&b, out);
}

void hb_row_csv(FILE *out, const hb_row *r)
{
    obuf b;
    ob_init(&b);
    csv_row_into(&b, r);
    ob_flush_to(&b, out);
}

/* ------------------------------------------------------------------------
 * JSON writing
 * ------------------------------------------------------------------------ */

static void put_str_json(obuf *b, const char *s)
{
    if (s == NULL) {
        ob_puts(b, "null");
        return;
    }
    char tmp[8];
    size_t used;
    ob_putc(b, '"');
    while (*s) {
        ob_put(b, tmp, hb_json_escape_next(s, tmp, &used));
        s += used;
    }
    ob_putc(b, '"');
}

static void json_row_into(obuf *b, const hb_row *r)
{
    ob_putc(b, '{');
    for (size_t i = 0; i < NFIELDS; i++) {
        const field_desc *f = &fields[i];
        ob_printf(b, "%s\"%s\":", i > 0 ? "," : "", f->name);
        if (f->kind == K_STR)
            put_str_json(b, get_str(r, f->off));
        else if (f->kind == K_U64)
            ob_printf(b, "%" PRIu64, get_u64(r, f->off));
        else
            put_f64_json(b, get_f64(r, f->off));
    }
    ob_puts(b, "}\n");
}

void hb_row_json(FILE *out, const hb_row *r)
{
    obuf b;
    ob_init(&b);
    json_row_into(&b, r);
    ob_flush_to(&b, out);
}

int hb_format_parse(const char *s)
{
    static const char *const names[] = {
        [HB_FMT_TABLE] = "table", [HB_FMT_CSV] = "csv", [HB_FMT_JSON] = "json"
    };
    if (s == NULL)
        return -1;
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------------
 * The aligned table
 * ------------------------------------------------------------------------ */

/* T_SIG: about three significant digits, never fewer than the integer part
 * (0.333, 12.3, 123, 12345); T_SI: the same with a k/M/G suffix. */
enum tfmt { T_TEXT, T_INT, T_FIXED, T_SIG, T_SI };

/* A column: num (divided by den when den != NO_DEN) times scale. */
typedef struct tcol {
    const char *h1, *h2;
    enum tfmt fmt;
    int prec;
    size_t num, den;
    double scale;
} tcol;

#define NO_DEN ((size_t)-1)
#define MIB (1.0 / 1048576.0)
#define OFF(name) offsetof(hb_row, name)

static const tcol table_cols[] = {
    { "", "allocator", T_TEXT, 0, OFF(allocator), NO_DEN, 1 },
    { "", "collector", T_TEXT, 0, OFF(collector), NO_DEN, 1 },
    { "", "workload", T_TEXT, 0, OFF(workload), NO_DEN, 1 },
    { "", "rep", T_INT, 0, OFF(rep), NO_DEN, 1 },
    { "", "status", T_TEXT, 0, OFF(status), NO_DEN, 1 },
    { "", "ops/s", T_SI, 0, OFF(ops_per_s), NO_DEN, 1 },
    { "wall", "s", T_SIG, 0, OFF(wall_s), NO_DEN, 1 },
    { "gc", "%", T_SIG, 0, OFF(gc_s), OFF(wall_s), 100 },
    { "", "pauses", T_INT, 0, OFF(pauses), NO_DEN, 1 },
    { "p99", "us", T_SIG, 0, OFF(pause_p99_us), NO_DEN, 1 },
    { "max", "us", T_SIG, 0, OFF(pause_max_us), NO_DEN, 1 },
    { "mmu", "10ms", T_FIXED, 3, OFF(mmu_10ms), NO_DEN, 1 },
    { "peak", "live MiB", T_SIG, 0, OFF(peak_live_bytes), NO_DEN, MIB },
    { "peak", "foot MiB", T_SIG, 0, OFF(peak_footprint_bytes), NO_DEN, MIB },
    { "frag", "@live", T_FIXED, 3, OFF(frag_jw2_at_peak_live), NO_DEN, 1 },
    { "leaked", "objs", T_INT, 0, OFF(leaked_objects), NO_DEN, 1 },
};
#define NTCOLS (sizeof table_cols / sizeof table_cols[0])

static enum fkind kind_at(size_t off)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].off == off)
            return fields[i].kind;
    return K_STR; /* unreachable: every table offset names a field */
}

static double number_at(const hb_row *r, size_t off)
{
    return kind_at(off) == K_U64 ? (double)get_u64(r, off) : get_f64(r, off);
}

static int sig_prec(double v)
{
    double a = fabs(v);
    return a == 0 ? 0 : a < 1 ? 3 : a < 10 ? 2 : a < 100 ? 1 : 0;
}

void hb_fmt_si(char *buf, size_t cap, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, isnan(v) ? "-" : v > 0 ? "inf" : "-inf");
        return;
    }
    static const char suffix[] = " kMGTPE";
    size_t k = 0;
    while (fabs(v) >= 1000.0 && k + 1 < sizeof suffix - 1) {
        v /= 1000.0;
        k++;
    }
    int prec = k == 0 && fabs(v) < 1 ? 2 : sig_prec(v);
    if (k == 0)
        snprintf(buf, cap, "%.*f", prec, v);
    else
        snprintf(buf, cap, "%.*f%c", prec, v, suffix[k]);
}

static void fmt_number(char *buf, size_t cap, const tcol *c, const hb_row *r)
{
    if (c->fmt == T_INT && kind_at(c->num) == K_U64) {
        snprintf(buf, cap, "%" PRIu64, get_u64(r, c->num));
        return;
    }
    double v = number_at(r, c->num);
    if (c->den != NO_DEN) {
        double d = number_at(r, c->den);
        v = d != 0 ? v / d : NAN;
    }
    v *= c->scale;
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (isinf(v))
        snprintf(buf, cap, v > 0 ? "inf" : "-inf");
    else if (c->fmt == T_SI)
        hb_fmt_si(buf, cap, v);
    else
        snprintf(buf, cap, "%.*f", c->fmt == T_FIXED ? c->prec : sig_prec(v), v);
}

/* The cell's text: a string column's own string, else buf filled in. */
static const char *cell(char *buf, size_t cap, const tcol *c, const hb_row *r)
{
    if (c->fmt == T_TEXT) {
        const char *s = get_str(r, c->num);
        return s != NULL ? s : "-";
    }
    fmt_number(buf, cap, c, r);
    return buf;
}

static void table_widths(size_t *w, const hb_row *rows, size_t n)
{
    char buf[64];
    for (size_t j = 0; j < NTCOLS; j++) {
        size_t a = strlen(table_cols[j].h1), b = strlen(table_cols[j].h2);
        w[j] = a > b ? a : b;
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(cell(buf, sizeof buf, &table_cols[j], &rows[i]));
            if (len > w[j])
                w[j] = len;
        }
    }
}

static void table_line(obuf *b, const size_t *w, const char *const *text)
{
    for (size_t j = 0; j < NTCOLS; j++) {
        int left = table_cols[j].fmt == T_TEXT;
        int last = j + 1 == NTCOLS;
        if (left && last)
            ob_puts(b, text[j]);
        else
            ob_printf(b, "%*s", left ? -(int)w[j] : (int)w[j], text[j]);
        ob_puts(b, last ? "\n" : " ");
    }
}

static void table_headers(obuf *b, const size_t *w)
{
    const char *t[NTCOLS];
    int any_h1 = 0;
    for (size_t j = 0; j < NTCOLS; j++) {
        t[j] = table_cols[j].h1;
        any_h1 |= t[j][0] != '\0';
    }
    if (any_h1)
        table_line(b, w, t);
    for (size_t j = 0; j < NTCOLS; j++)
        t[j] = table_cols[j].h2;
    table_line(b, w, t);
}

void hb_rows_table(FILE *out, const hb_row *rows, size_t n)
{
    size_t w[NTCOLS];
    char bufs[NTCOLS][64];
    const char *t[NTCOLS];
    obuf b;
    ob_init(&b);
    table_widths(w, rows, n);
    table_headers(&b, w);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < NTCOLS; j++)
            t[j] = cell(bufs[j], sizeof bufs[j], &table_cols[j], &rows[i]);
        table_line(&b, w, t);
    }
    ob_flush_to(&b, out);
}

/* ------------------------------------------------------------------------
 * Appending to a CSV file
 * ------------------------------------------------------------------------ */

/* The refusal of a file that is not ours to append to. */
static int not_ours(hb_err *e)
{
    return hb_fail(e, HB_ERR_INPUT, "its header is not this schema's (expected a rows.csv "
                                    "written by this version of heapbench, or a new file)");
}

/* 0 if the file of the given size starts with exactly our header line and
 * ends with a newline (so appended rows start on a line of their own). */
static int check_existing(int fd, off_t size, const obuf *hdr, hb_err *e)
{
    char last;
    if (pread(fd, &last, 1, size - 1) != 1)
        return hb_fail(e, HB_ERR_SYSTEM, "cannot read it: %s", strerror(errno));
    if ((size_t)size < hdr->len)
        return not_ours(e);
    char tmp[4096];
    for (size_t done = 0; done < hdr->len;) {
        size_t want = hdr->len - done < sizeof tmp ? hdr->len - done : sizeof tmp;
        ssize_t got = pread(fd, tmp, want, (off_t)done);
        if (got < 0)
            return hb_fail(e, HB_ERR_SYSTEM, "cannot read it: %s", strerror(errno));
        if (got == 0 || memcmp(tmp, hdr->p + done, (size_t)got) != 0)
            return not_ours(e);
        done += (size_t)got;
    }
    if (last != '\n')
        return hb_fail(e, HB_ERR_INPUT, "its last line is cut short (no line end), expected "
                                        "whole rows only; remove the partial line first");
    return 0;
}

/* Writes all of buf and syncs it; on any failure cuts the file back to
 * old_size so that no partial row is left behind. */
static int write_whole(int fd, const char *p, size_t len, off_t old_size, hb_err *e)
{
    if (hb_write_all(fd, p, len) == 0 && fsync(fd) == 0)
        return 0;
    hb_fail(e, HB_ERR_SYSTEM, "cannot write %zu bytes: %s", len, strerror(errno));
    if (ftruncate(fd, old_size) != 0) { /* best effort */ }
    return -1;
}

static int append_locked(int fd, const hb_row *rows, size_t n, hb_err *e)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return hb_fail(e, HB_ERR_SYSTEM, "cannot stat it: %s", strerror(errno));
    obuf b;
    ob_init(&b);
    csv_header_into(&b);
    if (st.st_size > 0) {
        if (check_existing(fd, st.st_size, &b, e) != 0) {
            ob_release(&b);
            return -1;
        }
        b.len = 0; /* the header is there already */
    }
    for (size_t i = 0; i < n; i++)
        csv_row_into(&b, &rows[i]);
    int rc = b.failed ? hb_fail(e, HB_ERR_NOMEM, "out of memory for %zu rows", n)
                      : write_whole(fd, b.p, b.len, st.st_size, e);
    ob_release(&b);
    return rc;
}

int hb_rows_append_csv(const char *path, const hb_row *rows, size_t n, hb_err *e)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return hb_fail(e, HB_ERR_SYSTEM, "%s", strerror(errno));
    /* The lock makes "is it empty? then write the header" one step for
     * concurrent writers to the same file (parallel matrix cells). */
    int rc = flock(fd, LOCK_EX) == 0 ? append_locked(fd, rows, n, e)
                                     : hb_fail(e, HB_ERR_SYSTEM, "cannot lock it: %s",
                                               strerror(errno));
    close(fd);
    return rc;
}

/* ------------------------------------------------------------------------
 * Reading a CSV file
 *
 * The file is read whole into one buffer that becomes the arena: fields are
 * unquoted in place (the write position never passes the read position, and
 * each field's end has a delimiter byte, or the spare byte at the end, to
 * hold its NUL), so row strings point into it.
 * ------------------------------------------------------------------------ */

typedef struct csv_reader {
    char *buf;
    size_t len, pos;
    unsigned long line; /* physical line of pos, from 1 */
    char **f;           /* the current record's fields */
    size_t nf, fcap;
    hb_err *e;
} csv_reader;

/* Malformed input: the message names the line and what was expected. */
static void set_err(csv_reader *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(csv_reader *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hb_vfail(c->e, HB_ERR_INPUT, fmt, ap);
    va_end(ap);
}

static void set_nomem(csv_reader *c, const char *what)
{
    hb_fail(c->e, HB_ERR_NOMEM, "line %lu: out of memory for %s", c->line, what);
}

static int push_field(csv_reader *c, char *start)
{
    if (c->nf == c->fcap) {
        size_t cap = c->fcap ? c->fcap * 2 : 64;
        char **g = realloc(c->f, cap * sizeof *g);
        if (g == NULL) {
            set_nomem(c, "the fields");
            return -1;
        }
        c->f = g;
        c->fcap = cap;
    }
    c->f[c->nf++] = start;
    return 0;
}

/* A quoted field's body, from just past its opening quote to just past its
 * closing quote; output at *w.  Returns -1 (message set) if unterminated. */
static int read_quoted(csv_reader *c, size_t *w)
{
    unsigned long opened = c->line;
    for (;;) {
        if (c->pos >= c->len) {
            set_err(c, "line %lu: unterminated quoted field (no closing '\"' before the end of the file)",
                    opened);
            return -1;
        }
        char ch = c->buf[c->pos++];
        if (ch == '"') {
            if (c->pos < c->len && c->buf[c->pos] == '"')
                c->pos++; /* "" is a literal quote */
            else
                return 0;
        } else if (ch == '\n') {
            c->line++;
        }
        c->buf[(*w)++] = ch;
    }
}

/* An unquoted field's text, up to (not past) the next comma or line end. */
static int read_plain(csv_reader *c, size_t *w)
{
    while (c->pos < c->len) {
        char ch = c->buf[c->pos];
        if (ch == ',' || ch == '\n' || (ch == '\r' && c->pos + 1 < c->len && c->buf[c->pos + 1] == '\n'))
            return 0;
        if (ch == '"') {
            set_err(c, "line %lu: a '\"' inside an unquoted field (field %zu)", c->line, c->nf);
            return -1;
        }
        c->buf[(*w)++] = ch;
        c->pos++;
    }
    return 0;
}

/* Consumes the delimiter after a field: 1 more fields follow, 0 the record
 * ended, -1 junk after a closing quote. */
static int read_delim(csv_reader *c)
{
    if (c->pos >= c->len)
        return 0;
    char ch = c->buf[c->pos];
    if (ch == ',') {
        c->pos++;
        return 1;
    }
    if (ch == '\r' && c->pos + 1 < c->len && c->buf[c->pos + 1] == '\n')
        c->pos++;
    if (c->buf[c->pos] == '\n') {
        c->pos++;
        c->line++;
        return 0;
    }
    set_err(c, "line %lu: unexpected '%c' after a closing quote (field %zu), expected ',' or the line's end",
            c->line, ch, c->nf);
    return -1;
}

static int at_blank_line(const csv_reader *c)
{
    const char *p = c->buf + c->pos;
    size_t left = c->len - c->pos;
    return p[0] == '\n' || (left >= 2 && p[0] == '\r' && p[1] == '\n');
}

/* Reads one record into c->f / c->nf.  Returns 1, 0 at the end of the file,
 * -1 on malformed input (message set).  Blank lines are skipped.
 * *first_line gets the physical line the record starts on. */
static int read_record(csv_reader *c, unsigned long *first_line)
{
    while (c->pos < c->len && at_blank_line(c)) {
        c->pos += c->buf[c->pos] == '\r' ? 2 : 1;
        c->line++;
    }
    if (c->pos >= c->len)
        return 0;
    *first_line = c->line;
    c->nf = 0;
    size_t w = c->pos;
    for (;;) {
        size_t start = w;
        int quoted = c->buf[c->pos] == '"';
        if (quoted)
            c->pos++;
        if (push_field(c, c->buf + start) != 0 ||
            (quoted ? read_quoted(c, &w) : read_plain(c, &w)) != 0)
            return -1;
        int more = read_delim(c);
        if (more < 0)
            return -1;
        c->buf[w++] = '\0'; /* w <= the delimiter's old position */
        if (!more)
            return 1;
        if (c->pos >= c->len) { /* a trailing comma: one last empty field */
            if (push_field(c, c->buf + w) != 0)
                return -1;
            c->buf[w] = '\0';
            return 1;
        }
    }
}

/* For each header column, the index of its field, or -1 if unknown. */
static int map_header(csv_reader *c, long *col_field, unsigned long line)
{
    int known = 0;
    for (size_t j = 0; j < c->nf; j++) {
        col_field[j] = -1;
        for (size_t i = 0; i < NFIELDS; i++)
            if (strcmp(c->f[j], fields[i].name) == 0)
                col_field[j] = (long)i;
        for (size_t k = 0; k < j && col_field[j] >= 0; k++) {
            if (col_field[k] == col_field[j]) {
                set_err(c, "line %lu: column '%s' appears twice in the header", line, c->f[j]);
                return -1;
            }
        }
        known += col_field[j] >= 0;
    }
    if (!known) {
        set_err(c, "line %lu: no known column in the header (expected names such as allocator, collector, ops)",
                line);
        return -1;
    }
    return 0;
}

/* An empty integer field is "not measured" (rows from the CPython replayer),
 * read as 0 as a missing column is. */
static int parse_u64_field(const char *s, uint64_t *out)
{
    if (*s == '\0') {
        *out = 0;
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_f64_field(const char *s, double *out)
{
    if (*s == '\0') {
        *out = NAN;
        return 0;
    }
    if (*s == ' ' || *s == '\t')
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static void row_defaults(hb_row *r)
{
    static const char empty[] = "";
    for (size_t i = 0; i < NFIELDS; i++) {
        char *p = (char *)r + fields[i].off;
        if (fields[i].kind == K_STR) {
            const char *s = empty;
            memcpy(p, &s, sizeof s);
        } else if (fields[i].kind == K_U64) {
            uint64_t z = 0;
            memcpy(p, &z, sizeof z);
        } else {
            double d = NAN;
            memcpy(p, &d, sizeof d);
        }
    }
}

static int store_field(csv_reader *c, hb_row *r, const field_desc *f, const char *s,
                       unsigned long line)
{
    char *p = (char *)r + f->off;
    if (f->kind == K_STR) {
        memcpy(p, &s, sizeof s);
        return 0;
    }
    uint64_t u;
    double d;
    if (f->kind == K_U64 && parse_u64_field(s, &u) == 0) {
        memcpy(p, &u, sizeof u);
        return 0;
    }
    if (f->kind == K_F64 && parse_f64_field(s, &d) == 0) {
        memcpy(p, &d, sizeof d);
        return 0;
    }
    set_err(c, "line %lu, column %s: '%.40s%s' is not %s", line, f->name, s,
            strlen(s) > 40 ? "..." : "",
            f->kind == K_U64 ? "an unsigned integer (or empty)" : "a number (or empty)");
    return -1;
}

static int row_from_record(csv_reader *c, hb_row *r, const long *col_field, size_t ncols,
                           unsigned long line)
{
    if (c->nf != ncols) {
        set_err(c, "line %lu: %zu fields, expected %zu as in the header", line, c->nf, ncols);
        return -1;
    }
    row_defaults(r);
    for (size_t j = 0; j < ncols; j++)
        if (col_field[j] >= 0 && store_field(c, r, &fields[col_field[j]], c->f[j], line) != 0)
            return -1;
    return 0;
}

static int push_row(csv_reader *c, hb_row **rows, size_t *n, size_t *cap)
{
    if (*n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 16;
    hb_row *g = realloc(*rows, want * sizeof *g);
    if (g == NULL) {
        set_nomem(c, "the rows");
        return -1;
    }
    *rows = g;
    *cap = want;
    return 0;
}

/* The records after the header, into *rows. */
static long read_rows(csv_reader *c, const long *col_field, size_t ncols, hb_row **rows)
{
    size_t n = 0, cap = 0;
    unsigned long line = 0;
    int got;
    while ((got = read_record(c, &line)) == 1) {
        if (push_row(c, rows, &n, &cap) != 0 ||
            row_from_record(c, &(*rows)[n], col_field, ncols, line) != 0)
            return -1;
        n++;
    }
    return got < 0 ? -1 : (long)n;
}

static long parse_csv(csv_reader *c, hb_row **rows)
{
    const char *z = memchr(c->buf, '\0', c->len);
    if (z != NULL) {
        unsigned long line = 1;
        for (const char *p = c->buf; p < z; p++)
            line += *p == '\n';
        set_err(c, "line %lu: a NUL byte (expected a text CSV file)", line);
        return -1;
    }
    if (c->len >= 3 && memcmp(c->buf, "\xef\xbb\xbf", 3) == 0)
        c->pos = 3; /* a byte-order mark some editors add */
    unsigned long line = 0;
    int got = read_record(c, &line);
    if (got <= 0)
        return got; /* an empty file has no rows */
    size_t ncols = c->nf;
    long *col_field = malloc(ncols * sizeof *col_field);
    if (col_field == NULL) {
        set_nomem(c, "the header");
        return -1;
    }
    long n = map_header(c, col_field, line) != 0 ? -1 : read_rows(c, col_field, ncols, rows);
    free(col_field);
    return n;
}

long hb_rows_read_csv(const char *path, hb_row **rows, char **arena, hb_err *e)
{
    *rows = NULL;
    *arena = NULL;
    hb_err_clear(e);
    csv_reader c = { 0 };
    c.e = e;
    c.line = 1;
    c.buf = hb_read_whole(path, &c.len, e);
    if (c.buf == NULL)
        return -1;
    long n = parse_csv(&c, rows);
    free(c.f);
    if (n < 0) {
        free(*rows);
        free(c.buf);
        *rows = NULL;
        return -1;
    }
    *arena = c.buf;
    return n;
}

void hb_rows_free(hb_row *rows, char *arena)
{
    free(rows);
    free(arena);
}
