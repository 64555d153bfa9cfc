/*
 * harness/formats/machine.c -- formats layer: machine metadata, meta.json, and a
 * small JSON walker.
 *
 * Everything a reader of a figure needs to judge it comes from here: the
 * CPU, core count, memory, kernel and frequency governor (from /proc, /sys
 * and uname; a missing source gives "unknown", never an error), the build
 * (the generated build_info.h), and each allocator's version as the backend
 * reports it.  meta.json is written whole (hb_atomic_*, io.h).
 * The JSON walker finds members and skips values without building a tree;
 * merge and plot read only a few fields of files this program wrote, or of
 * Google Benchmark's output.
 */
#include "harness/formats/machine.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "allocators/allocator.h"
#include "build_info.h"

/* ---- Machine ---- */

/* The value after "key<blanks>:" on the first line of path starting with key. */
static int read_keyed_line(const char *path, const char *key, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[512];
    int found = -1;
    size_t klen = strlen(key);
    while (found < 0 && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, key, klen) != 0 || colon == NULL)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(buf, cap, "%s", v);
        found = 0;
    }
    fclose(f);
    return found;
}

static int read_first_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

void hb_machine_read(hb_machine *m)
{
    memset(m, 0, sizeof *m);
    if (gethostname(m->hostname, sizeof m->hostname - 1) != 0)
        snprintf(m->hostname, sizeof m->hostname, "unknown");
    /* x86 names the CPU "model name"; some arm64 kernels only "Hardware". */
    if (read_keyed_line("/proc/cpuinfo", "model name", m->cpu_model, sizeof m->cpu_model) &&
        read_keyed_line("/proc/cpuinfo", "Hardware", m->cpu_model, sizeof m->cpu_model))
        snprintf(m->cpu_model, sizeof m->cpu_model, "unknown");
    m->cores = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    m->memory_bytes = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof m->kernel, "%s %s %s %s", u.sysname, u.release, u.version,
                 u.machine);
    else
        snprintf(m->kernel, sizeof m->kernel, "unknown");
    if (read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", m->governor,
                        sizeof m->governor))
        snprintf(m->governor, sizeof m->governor, "unknown");
}

void hb_utc_now(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- meta.json ---- */

static void write_machine(FILE *f)
{
    hb_machine m;
    hb_machine_read(&m);
    fputs("  \"machine\": {\"hostname\": ", f);
    hb_json_str(f, m.hostname);
    fputs(", \"cpu_model\": ", f);
    hb_json_str(f, m.cpu_model);
    fprintf(f, ", \"cores\": %ld, \"memory_bytes\": %llu, \"kernel\": ", m.cores,
            (unsigned long long)m.memory_bytes);
    hb_json_str(f, m.kernel);
    fputs(", \"governor\": ", f);
    hb_json_str(f, m.governor);
    fputs("},\n", f);
}

static void write_build(FILE *f)
{
    static const char *const kv[][2] = {
        {"version", HB_VERSION}, {"build_type", HB_BUILD_TYPE}, {"compiler", HB_COMPILER},
        {"cflags", HB_CFLAGS},   {"commit", HB_GIT_COMMIT},
    };
    fputs("  \"build\": {", f);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        fprintf(f, "%s\"%s\": ", i ? ", " : "", kv[i][0]);
        hb_json_str(f, kv[i][1]);
    }
    fputs("},\n", f);
}

static void write_versions(FILE *f, const hb_meta *m)
{
    fputs("  \"allocator_versions\": {", f);
    for (size_t i = 0; i < m->nallocators; i++) {
        const al_backend *b = al_find(m->allocators[i]);
        const char *v = "unknown";
        if (b != NULL && (b->unavailable == NULL || b->unavailable() == NULL) && b->version)
            v = b->version();
        fputs(i ? ", " : "", f);
        hb_json_str(f, m->allocators[i]);
        fputs(": ", f);
        hb_json_str(f, v ? v : "unknown");
    }
    fputs("},\n", f);
}

static void write_string_list(FILE *f, const char *const *s, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        hb_json_str(f, s[i]);
    }
    fputc(']', f);
}

static void write_meta(FILE *f, const hb_meta *m)
{
    fprintf(f, "{\n  \"tool\": \"heapbench\",\n  \"version\": \"%s\",\n", HB_VERSION);
    fprintf(f, "  \"settings_id\": \"%s\",\n  \"settings\": %s,\n", m->settings_id,
            m->settings_json);
    fprintf(f, "  \"shard\": {\"index\": %u, \"count\": %u},\n", m->shard_index, m->shard_count);
    fputs("  \"command\": ", f);
    write_string_list(f, (const char *const *)m->argv, (size_t)m->argc);
    fputs(",\n  \"start_time\": ", f);
    hb_json_str(f, m->start_time);
    fputs(",\n", f);
    write_machine(f);
    write_build(f);
    write_versions(f, m);
    fputs("  \"skipped\": ", f);
    write_string_list(f, m->skipped, m->nskipped);
    fputs("\n}\n", f);
}

int hb_meta_write(const char *path, const hb_meta *m, hb_err *e)
{
    hb_atomic a;
    if (hb_atomic_open(&a, path, e) != 0)
        return -1;
    write_meta(a.f, m);
    return hb_atomic_commit(&a, e);
}

/* ---- JSON ---- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* p at the opening quote; returns just past the closing one. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* p at '{' or '['; strings are skipped whole so brackets in them are inert. */
static const char *skip_nested(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        if (*p == '"') {
            p = skip_string(p, end);
            if (p == NULL)
                return NULL;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

const char *hb_json_skip(const char *p, const char *end)
{
    p = skip_ws(p, end);
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[')
        return skip_nested(p, end);
    const char *q = p; /* a number, true, false or null */
    while (q < end && !strchr(",}] \t\r\n", *q))
        q++;
    return q > p ? q : NULL;
}

const char *hb_json_find(const char *obj, const char *end, const char *key, size_t *len)
{
    const char *p = skip_ws(obj, end);
    if (p >= end || *p != '{')
        return NULL;
    size_t klen = strlen(key);
    for (p++;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return NULL; /* '}' (not found) or malformed */
        const char *k = p + 1, *kend = skip_string(p, end);
        if (kend == NULL)
            return NULL;
        p = skip_ws(kend, end);
        if (p >= end || *p != ':')
            return NULL;
        const char *v = skip_ws(p + 1, end), *vend = hb_json_skip(v, end);
        if (vend == NULL)
            return NULL;
        if ((size_t)(kend - 1 - k) == klen && memcmp(k, key, klen) == 0) {
            *len = (size_t)(vend - v);
            return v;
        }
        p = skip_ws(vend, end);
        if (p >= end || *p != ',')
            return NULL;
        p++;
    }
}

int hb_json_string(const char *raw, size_t len, char *buf, size_t cap)
{
    if (raw == NULL || len < 2 || raw[0] != '"' || raw[len - 1] != '"' || cap == 0)
        return -1;
    size_t o = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        char c = raw[i];
        if (c == '\\' && i + 2 < len) {
            c = raw[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'u' ? '?' : c;
            if (raw[i] == 'u')
                i += 4; /* non-ASCII escapes are not needed by any reader here */
        }
        if (o + 1 >= cap)
            return -1;
        buf[o++] = c;
    }
    buf[o] = '\0';
    return 0;
}

double hb_json_number(const char *raw, size_t len)
{
    char tmp[64];
    if (raw == NULL || len == 0 || len >= sizeof tmp)
        return NAN;
    memcpy(tmp, raw, len);
    tmp[len] = '\0';
    char *e;
    double v = strtod(tmp, &e);
    return e == tmp || *e ? NAN : v;
}
