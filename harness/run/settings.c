/*
 * harness/run/settings.c -- run core: everything generated from
 * HB_RUN_SETTINGS (harness/run/settings.h): the descriptors the command line
 * reads, defaults, bounded parsing, the child's request and meta.json's part.
 *
 * Each setting's member is reached through one generated `case` per
 * operation (set, print), so a member of any C type (size_t in al_config,
 * uint32_t in gc_config) is assigned by value, never through a cast pointer.
 */
#include "harness/run/settings.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/formats/machine.h"

#define HB_AT_RUN(c, m) (c)->m
#define HB_AT_AL(c, m) (c)->acfg.m
#define HB_AT_GC(c, m) (c)->gcfg.m
#define HB_AT_WL(c, m) (c)->wp.m

#define DESC_(at, T, m, key, opt, role, def, lo, hi, help) \
    [HB_SETTING_##m] = {key, opt, HB_SET_##T, HB_ROLE_##role, def, help, (double)(lo), (double)(hi)},
const hb_setting_desc hb_settings[HB_SETTING_COUNT] = {HB_RUN_SETTINGS(DESC_)};
#undef DESC_

#define ALIAS_(opt, m, value, help) {opt, HB_SETTING_##m, value, help},
const hb_setting_alias hb_setting_aliases[] = {HB_RUN_SETTING_ALIASES(ALIAS_)};
#undef ALIAS_
const size_t hb_setting_alias_count = sizeof hb_setting_aliases / sizeof hb_setting_aliases[0];

/* ------------------------------------------------------------------ */
/* Parsing one value                                                    */
/* ------------------------------------------------------------------ */

int hb_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Bytes with an optional K, M or G (powers of 1024), "KiB"/"KB" alike. */
int hb_parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if ((*end == 'b' || *end == 'B') && shift)
        end++;
    if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int hb_parse_double(const char *s, double *out)
{
    char *end;
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int in_bounds(const hb_setting_desc *d, uint64_t v)
{
    return (double)v >= d->lo && (d->hi >= (double)UINT64_MAX || (double)v <= d->hi);
}

static int parse_whole(const hb_setting_desc *d, const char *s, uint64_t *v)
{
    int bad = d->type == HB_SET_U64 ? hb_parse_u64(s, v) : hb_parse_size(s, v);
    if (!bad && d->type == HB_SET_POW2 && (*v & (*v - 1)) != 0)
        bad = 1;
    return bad || !in_bounds(d, *v) ? -1 : 0;
}

static int parse_thresh(const hb_setting_desc *d, const char *s, uint32_t t[3])
{
    uint64_t v[3];
    char buf[128];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    for (int i = 0; i < 3; i++, tok = strtok_r(NULL, ",", &save))
        if (tok == NULL || hb_parse_u64(tok, &v[i]) != 0 || !in_bounds(d, v[i]))
            return -1;
    if (tok != NULL)
        return -1;
    for (int i = 0; i < 3; i++)
        t[i] = (uint32_t)v[i];
    return 0;
}

static void fmt_bound(char *buf, size_t cap, const hb_setting_desc *d, double v)
{
    if (d->type == HB_SET_SIZE || d->type == HB_SET_POW2) {
        uint64_t b = (uint64_t)v;
        const char *unit = b && b % (1u << 30) == 0 ? "G" : b && b % (1u << 20) == 0 ? "M"
                         : b && b % 1024 == 0 ? "K" : "";
        uint64_t div = *unit == 'G' ? 1u << 30 : *unit == 'M' ? 1u << 20 : *unit == 'K' ? 1024 : 1;
        snprintf(buf, cap, "%" PRIu64 "%s", b / div, unit);
    } else {
        snprintf(buf, cap, "%.17g", v);
    }
}

void hb_setting_expected(int i, char *buf, size_t cap)
{
    const hb_setting_desc *d = &hb_settings[i];
    char lo[32], hi[32];
    fmt_bound(lo, sizeof lo, d, d->lo);
    fmt_bound(hi, sizeof hi, d, d->hi);
    int open = d->hi >= (double)UINT64_MAX || (d->type == HB_SET_THRESH && d->hi >= UINT32_MAX);
    switch (d->type) {
    case HB_SET_F64: snprintf(buf, cap, "a number > %s and <= %s", lo, hi); break;
    case HB_SET_U64:
        if (open)
            snprintf(buf, cap, "a whole number >= %s", lo);
        else
            snprintf(buf, cap, "a whole number from %s to %s", lo, hi);
        break;
    case HB_SET_SIZE:
        snprintf(buf, cap, "a size in bytes >= %s, with an optional K, M or G suffix", lo);
        break;
    case HB_SET_POW2: snprintf(buf, cap, "a power of two in bytes, as 1M"); break;
    case HB_SET_THRESH: snprintf(buf, cap, "three whole numbers >= %s, as 2000,10,10", lo); break;
    case HB_SET_NAME: snprintf(buf, cap, "a name or path without a newline"); break;
    case HB_SET_ON: case HB_SET_OFF: snprintf(buf, cap, "no value"); break;
    }
}

static int bad_value(int i, const char *text, hb_err *e)
{
    const hb_setting_desc *d = &hb_settings[i];
    char expected[160];
    hb_setting_expected(i, expected, sizeof expected);
    if (d->option)
        return hb_fail(e, HB_ERR_USAGE, "bad value '%s' for --%s, expected %s", text, d->option,
                       expected);
    return hb_fail(e, HB_ERR_USAGE, "bad value '%s' for setting %s, expected %s", text, d->key,
                   expected);
}

/* Per type: parse `text` into the lvalue LV, or fail.  ON and OFF take an
 * optional "0"/"1" (the request spells them out; the command line gives none). */
#define SET_NAME(LV) LV = text
#define SET_F64(LV)                                                                      \
    do {                                                                                 \
        double v_;                                                                       \
        if (hb_parse_double(text, &v_) || !(v_ > d->lo) || !(v_ <= d->hi))                     \
            return bad_value(i, text, e);                                                \
        LV = v_;                                                                         \
    } while (0)
#define SET_WHOLE(LV)                                                                    \
    do {                                                                                 \
        uint64_t v_;                                                                     \
        if (parse_whole(d, text, &v_))                                                   \
            return bad_value(i, text, e);                                                \
        LV = v_;                                                                         \
    } while (0)
#define SET_U64 SET_WHOLE
#define SET_SIZE SET_WHOLE
#define SET_POW2 SET_WHOLE
#define SET_FLAG(LV, given)                                                              \
    do {                                                                                 \
        if (text == NULL)                                                                \
            LV = (given);                                                                \
        else if (strcmp(text, "0") == 0 || strcmp(text, "1") == 0)                       \
            LV = text[0] - '0';                                                          \
        else                                                                             \
            return bad_value(i, text, e);                                                \
    } while (0)
#define SET_ON(LV) SET_FLAG(LV, 1)
#define SET_OFF(LV) SET_FLAG(LV, 0)
#define SET_THRESH(LV)                                                                   \
    do {                                                                                 \
        if (parse_thresh(d, text, LV))                                                   \
            return bad_value(i, text, e);                                                \
    } while (0)

#define SET_CASE_(at, T, m, ...)      \
    case HB_SETTING_##m:              \
        SET_##T(HB_AT_##at(c, m));    \
        return 0;

int hb_setting_set(hb_run_config *c, int i, const char *text, hb_err *e)
{
    if (i < 0 || i >= HB_SETTING_COUNT)
        return hb_fail(e, HB_ERR_USAGE, "no setting number %d", i);
    const hb_setting_desc *d = &hb_settings[i];
    if (text == NULL && d->type != HB_SET_ON && d->type != HB_SET_OFF)
        return hb_fail(e, HB_ERR_USAGE, "--%s needs a value", d->option ? d->option : d->key);
    switch (i) {
        HB_RUN_SETTINGS(SET_CASE_)
    }
    return -1;
}

void hb_settings_defaults(hb_run_config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < HB_SETTING_COUNT; i++)
        if (hb_settings[i].def != NULL)
            hb_setting_set(c, i, hb_settings[i].def, NULL); /* the list's own: in bounds */
}

/* ------------------------------------------------------------------ */
/* Printing                                                             */
/* ------------------------------------------------------------------ */

static void print_name(FILE *f, const char *s, int json)
{
    if (json)
        hb_json_str(f, s ? s : "");
    else
        fputs(s ? s : "", f);
}

#define PUT_NAME(LV) print_name(f, LV, json)
#define PUT_F64(LV) fprintf(f, "%.17g", (double)(LV))
#define PUT_WHOLE(LV) fprintf(f, "%" PRIu64, (uint64_t)(LV))
#define PUT_U64 PUT_WHOLE
#define PUT_SIZE PUT_WHOLE
#define PUT_POW2 PUT_WHOLE
#define PUT_ON(LV) fputs(json ? ((LV) ? "true" : "false") : ((LV) ? "1" : "0"), f)
#define PUT_OFF PUT_ON
#define PUT_THRESH(LV) \
    fprintf(f, json ? "[%" PRIu32 ", %" PRIu32 ", %" PRIu32 "]" : "%" PRIu32 ",%" PRIu32 ",%" PRIu32, \
            (LV)[0], (LV)[1], (LV)[2])

#define PUT_CASE_(at, T, m, ...)     \
    case HB_SETTING_##m:             \
        PUT_##T(HB_AT_##at(c, m));   \
        return;

void hb_setting_print(const hb_run_config *c, int i, FILE *f, int json)
{
    switch (i) {
        HB_RUN_SETTINGS(PUT_CASE_)
    }
}

/* ------------------------------------------------------------------ */
/* The request, meta.json                                               */
/* ------------------------------------------------------------------ */

/* A NAME setting's text, or NULL (also for settings of other types). */
#define NAME_CASE_NAME(at, m) case HB_SETTING_##m: return HB_AT_##at(c, m);
#define NAME_CASE_F64(at, m)
#define NAME_CASE_U64(at, m)
#define NAME_CASE_SIZE(at, m)
#define NAME_CASE_POW2(at, m)
#define NAME_CASE_ON(at, m)
#define NAME_CASE_OFF(at, m)
#define NAME_CASE_THRESH(at, m)
#define NAME_CASE_(at, T, m, ...) NAME_CASE_##T(at, m)

static const char *name_value(const hb_run_config *c, int i)
{
    switch (i) {
        HB_RUN_SETTINGS(NAME_CASE_)
    }
    return NULL;
}

/* Whether setting i of c holds zero ("unset": whoever reads it takes its
 * own default), which the request leaves out: bounds such as --every >= 1
 * are for values given, not for the zero that means none was. */
static int is_zero(const hb_run_config *c, int i)
{
    static const hb_run_config zero;
    char a[64], b[64];
    FILE *fa = fmemopen(a, sizeof a, "w"), *fb = fmemopen(b, sizeof b, "w");
    if (fa == NULL || fb == NULL) {
        if (fa)
            fclose(fa);
        if (fb)
            fclose(fb);
        return 0;
    }
    hb_setting_print(c, i, fa, 0);
    hb_setting_print(&zero, i, fb, 0);
    fputc('\0', fa);
    fputc('\0', fb);
    fclose(fa);
    fclose(fb);
    a[sizeof a - 1] = b[sizeof b - 1] = '\0';
    return strcmp(a, b) == 0;
}

int hb_settings_write(const hb_run_config *c, FILE *f, hb_err *e)
{
    for (int i = 0; i < HB_SETTING_COUNT; i++) {
        const char *s = name_value(c, i);
        if (s && strchr(s, '\n'))
            return hb_fail(e, HB_ERR_USAGE, "the %s '%s' holds a newline, expected none",
                           hb_settings[i].key, s);
        if (is_zero(c, i))
            continue;
        fprintf(f, "%s=", hb_settings[i].key);
        hb_setting_print(c, i, f, 0);
        fputc('\n', f);
    }
    return 0;
}

static int setting_by_key(const char *key)
{
    for (int i = 0; i < HB_SETTING_COUNT; i++)
        if (strcmp(hb_settings[i].key, key) == 0)
            return i;
    return -1;
}

int hb_settings_read(hb_run_config *c, char *text, hb_err *e)
{
    memset(c, 0, sizeof *c);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (eq == NULL)
            return hb_fail(e, HB_ERR_INPUT, "request line '%s' has no '=', expected key=value", line);
        *eq = '\0';
        int i = setting_by_key(line);
        if (i < 0)
            return hb_fail(e, HB_ERR_INPUT, "unknown setting '%s' in the request", line);
        if (hb_setting_set(c, i, eq + 1, e) != 0)
            return -1;
    }
    return 0;
}

void hb_settings_json(const hb_run_config *c, FILE *f)
{
    int first = 1;
    for (int i = 0; i < HB_SETTING_COUNT; i++) {
        if (hb_settings[i].role != HB_ROLE_SWEEP)
            continue;
        fprintf(f, "%s\"%s\": ", first ? "" : ", ", hb_settings[i].key);
        hb_setting_print(c, i, f, 1);
        first = 0;
    }
}

size_t hb_settings_json_keys(const char **keys, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < HB_SETTING_COUNT; i++)
        if (hb_settings[i].role == HB_ROLE_SWEEP && n < cap)
            keys[n++] = hb_settings[i].key;
    return n;
}

int hb_settings_equal(const hb_run_config *a, const hb_run_config *b)
{
    char *ta = NULL, *tb = NULL;
    size_t la = 0, lb = 0;
    FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
    int same = fa && fb && hb_settings_write(a, fa, NULL) == 0 && hb_settings_write(b, fb, NULL) == 0;
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    same = same && la == lb && memcmp(ta, tb, la) == 0;
    free(ta);
    free(tb);
    return same;
}
