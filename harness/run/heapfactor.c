/*
 * harness/run/heapfactor.c -- run core: the minimum-heap search (bisection
 * over the heap limit, with a repeat at the boundary and a probe log that
 * makes it resumable) and minheap.csv.  The contract is in heapfactor.h.
 */
#include "harness/run/heapfactor.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/hash.h"
#include "harness/formats/io.h"
#include "harness/run/run.h"

#define MH_MAX_PROBES 200 /* a search that takes more is not converging */

/* ------------------------------------------------------------------ */
/* Identity                                                             */
/* ------------------------------------------------------------------ */

void hb_minheap_settings_id(const hb_run_config *cfg, char out[17])
{
    hb_run_config c = *cfg;
    c.alloc = c.coll = c.work = c.trace_path = c.series_path = NULL;
    c.heap_limit_bytes = 0;
    c.reps = c.warmup = 0;
    c.isolate = 0;
    c.progress = 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hb_err e;
    if (f)
        hb_settings_write(&c, f, &e);
    if (f)
        fclose(f);
    snprintf(out, 17, "%016" PRIx64, hb_fnv1a(HB_FNV_OFFSET, buf ? buf : "", buf ? len : 0));
    free(buf);
}

/* ------------------------------------------------------------------ */
/* The probe log                                                        */
/* ------------------------------------------------------------------ */

/* A probe: one line "alloc,coll,work,scale,seed,settings_id,limit,status,peak". */
typedef struct mh_probe {
    uint64_t limit, peak;
    char status[16];
} mh_probe;

typedef struct mh_search {
    const hb_run_config *cfg;
    const hb_minheap_opts *o;
    hb_minheap *m;
    mh_probe *log; /* this cell's probes read back from the log */
    size_t nlog;
    unsigned *used; /* per log entry: already given out */
    char last[16];  /* the last probe's status */
    hb_err *e;
} mh_search;

static int same_cell(const hb_minheap *m, const char *a, const char *c, const char *w, double scale,
                     uint64_t seed, const char *id)
{
    return !strcmp(m->allocator, a) && !strcmp(m->collector, c) && !strcmp(m->workload, w) &&
           m->scale == scale && m->seed == seed && !strcmp(m->settings_id, id);
}

/* Reads the lines of the log that belong to this cell (a torn last line,
 * from a kill mid-write, has too few fields and is skipped). */
static void read_log(mh_search *s)
{
    if (s->o->probe_log == NULL)
        return;
    FILE *f = fopen(s->o->probe_log, "r");
    if (f == NULL)
        return;
    char line[512];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        char a[64], c[64], w[64], id[17], st[16];
        double scale;
        uint64_t seed, limit, peak;
        if (sscanf(line, "%63[^,],%63[^,],%63[^,],%lf,%" SCNu64 ",%16[^,],%" SCNu64 ",%15[^,],%" SCNu64,
                   a, c, w, &scale, &seed, id, &limit, st, &peak) != 9 ||
            !same_cell(s->m, a, c, w, scale, seed, id))
            continue;
        if (s->nlog == cap) {
            cap = cap ? cap * 2 : 32;
            mh_probe *v = realloc(s->log, cap * sizeof *v);
            unsigned *u = realloc(s->used, cap * sizeof *u);
            if (v == NULL || u == NULL) {
                free(v ? v : s->log);
                free(u ? u : s->used);
                s->log = NULL;
                s->used = NULL;
                s->nlog = 0;
                break;
            }
            s->log = v;
            s->used = u;
        }
        s->log[s->nlog] = (mh_probe){.limit = limit, .peak = peak};
        snprintf(s->log[s->nlog].status, sizeof s->log[0].status, "%s", st);
        s->used[s->nlog++] = 0;
    }
    fclose(f);
}

/* The next unused logged probe of this limit, or NULL. */
static const mh_probe *logged(mh_search *s, uint64_t limit)
{
    for (size_t i = 0; i < s->nlog; i++)
        if (s->log[i].limit == limit && !s->used[i]) {
            s->used[i] = 1;
            return &s->log[i];
        }
    return NULL;
}

static void append_log(mh_search *s, const mh_probe *p)
{
    if (s->o->probe_log == NULL)
        return;
    FILE *f = fopen(s->o->probe_log, "a");
    if (f == NULL)
        return; /* resumability lost, the answer not */
    const hb_minheap *m = s->m;
    fprintf(f, "%s,%s,%s,%.17g,%" PRIu64 ",%s,%" PRIu64 ",%s,%" PRIu64 "\n", m->allocator,
            m->collector, m->workload, m->scale, m->seed, m->settings_id, p->limit, p->status,
            p->peak);
    fclose(f);
}

/* ------------------------------------------------------------------ */
/* One probe                                                            */
/* ------------------------------------------------------------------ */

typedef struct mh_catch {
    char status[16];
    uint64_t peak;
} mh_catch;

/* The bytes held that the limit bounds: the wrapper's live bytes, or, for a
 * collector whose objects bypass it (its own heap), that heap's footprint. */
static int catch_row(void *arg, const hb_row *row)
{
    mh_catch *c = arg;
    snprintf(c->status, sizeof c->status, "%s", row->status ? row->status : "error");
    c->peak = row->peak_live_bytes ? row->peak_live_bytes : row->peak_footprint_bytes;
    return 0;
}

/* Runs (or reads back) one repetition at limit (0: none).  Returns 1 when
 * it ended ok, 0 when not, or -(hb_run's status) for a setup error (-2) or
 * an interrupt (-130). */
static int probe(mh_search *s, uint64_t limit, uint64_t *peak)
{
    const mh_probe *p = logged(s, limit);
    mh_probe got = {.limit = limit};
    if (p == NULL) {
        hb_run_config c = *s->cfg;
        c.heap_limit_bytes = limit;
        if (limit == 0)
            c.gcfg.trigger = NULL; /* no heap to fill: the upper bound's run grows (see .h) */
        c.reps = 1;
        c.warmup = 0;
        c.isolate = 1;
        c.progress = 0;
        c.series_path = NULL;
        c.on_note = NULL;
        mh_catch k = {"error", 0};
        int rc = hb_run(&c, catch_row, &k, s->e);
        if (rc == 2 || rc == 130)
            return -rc;
        snprintf(got.status, sizeof got.status, "%s", k.status);
        got.peak = k.peak;
        append_log(s, &got);
        p = &got;
    }
    s->m->probes++;
    snprintf(s->last, sizeof s->last, "%s", p->status);
    if (peak)
        *peak = p->peak;
    if (s->o->on_probe)
        s->o->on_probe(s->o->probe_arg, s->m, limit, p->status);
    return strcmp(p->status, "ok") == 0;
}

/* ------------------------------------------------------------------ */
/* The search                                                           */
/* ------------------------------------------------------------------ */

/* The geometric midpoint, rounded, strictly between lo and hi when the
 * bracket allows it. */
static uint64_t midpoint(uint64_t lo, uint64_t hi)
{
    double m = sqrt((double)lo * (double)hi);
    uint64_t v = (uint64_t)m;
    if (v <= lo)
        v = lo + 1;
    if (v >= hi)
        v = hi - 1;
    return v;
}

static int converged(uint64_t lo, uint64_t hi, double tol)
{
    return hi - lo <= 1 || (double)hi <= (double)lo * (1.0 + tol);
}

/* Doubles *hi until a run passes there; 1, 0 (no pass below the cap), or
 * a negative probe status. */
static int find_pass_above(mh_search *s, uint64_t *lo, uint64_t *hi)
{
    for (int i = 0; i < 24; i++) {
        int r = probe(s, *hi, NULL);
        if (r != 0)
            return r;
        *lo = *hi;
        *hi *= 2;
    }
    return 0;
}

/* Halves *lo until a run fails there (*hi passes); 1, or negative.  A
 * limit of 1 byte that passes means the workload needs nothing held. */
static int find_fail_below(mh_search *s, uint64_t *lo, uint64_t *hi)
{
    while (*lo == 0 || *lo >= *hi) {
        uint64_t t = *hi / 2 ? *hi / 2 : 1;
        if (t == *hi) {
            *lo = 0;
            return 1;
        }
        int r = probe(s, t, NULL);
        if (r < 0)
            return r;
        if (r == 0)
            *lo = t;
        else
            *hi = t;
    }
    return 1;
}

/* Bisection of (lo fails, hi passes) down to the tolerance. */
static int bisect(mh_search *s, uint64_t *lo, uint64_t *hi)
{
    while (!converged(*lo, *hi, s->o->tol) && s->m->probes < MH_MAX_PROBES) {
        uint64_t mid = midpoint(*lo, *hi);
        int r = probe(s, mid, NULL);
        if (r < 0)
            return r;
        if (r)
            *hi = mid;
        else
            *lo = mid;
    }
    return 1;
}

/* The repeat at the boundary: hi must pass again and lo fail again;
 * returns 1 when both held, 0 when the bracket moved (search again), or
 * negative. */
static int confirm(mh_search *s, uint64_t *lo, uint64_t *hi)
{
    int r = probe(s, *hi, NULL);
    if (r < 0)
        return r;
    if (r == 0) { /* hi passed by luck: the minimum is above it */
        *lo = *hi;
        *hi = (uint64_t)((double)*hi * (1.0 + 4 * s->o->tol)) + 1;
        r = find_pass_above(s, lo, hi);
        return r < 0 ? r : 0;
    }
    if (*lo == 0)
        return 1;
    r = probe(s, *lo, NULL);
    if (r < 0)
        return r;
    if (r == 1) { /* lo failed by bad luck once: it can pass */
        *hi = *lo;
        *lo = 0;
        r = find_fail_below(s, lo, hi);
        return r < 0 ? r : 0;
    }
    return 1;
}

static int search(mh_search *s)
{
    uint64_t peak = 0;
    int r = probe(s, 0, &peak);
    if (r <= 0) { /* no minimum: the run fails without any limit */
        if (r == 0)
            snprintf(s->m->status, sizeof s->m->status, "%s", s->last);
        return r;
    }
    s->m->unlimited_peak_bytes = peak;
    uint64_t lo = 0, hi = peak ? peak : 1u << 20;
    if ((r = find_pass_above(s, &lo, &hi)) <= 0)
        return r;
    if ((r = find_fail_below(s, &lo, &hi)) < 0)
        return r;
    for (int round = 0; round < 8; round++) {
        if ((r = bisect(s, &lo, &hi)) < 0)
            return r;
        if ((r = confirm(s, &lo, &hi)) != 0)
            break;
    }
    if (r < 0)
        return r;
    s->m->min_heap_bytes = hi;
    s->m->fail_bytes = lo;
    snprintf(s->m->status, sizeof s->m->status, "%s", r == 1 ? "ok" : "unstable");
    return 1;
}

int hb_minheap_find(const hb_run_config *cfg, const hb_minheap_opts *o, hb_minheap *out,
                    hb_err *e)
{
    hb_minheap_opts dflt = {0};
    if (o == NULL)
        o = &dflt;
    hb_minheap_opts oo = *o;
    if (!(oo.tol > 0))
        oo.tol = 0.01;
    memset(out, 0, sizeof *out);
    snprintf(out->allocator, sizeof out->allocator, "%s", cfg->alloc ? cfg->alloc : "");
    snprintf(out->collector, sizeof out->collector, "%s", cfg->coll ? cfg->coll : "none");
    snprintf(out->workload, sizeof out->workload, "%s", cfg->work ? cfg->work : "");
    out->scale = cfg->wp.scale;
    out->seed = cfg->wp.seed;
    hb_minheap_settings_id(cfg, out->settings_id);
    snprintf(out->status, sizeof out->status, "error");
    mh_search s = {.cfg = cfg, .o = &oo, .m = out, .e = e};
    read_log(&s);
    int r = search(&s);
    free(s.log);
    free(s.used);
    return r < 0 ? -r : 0;
}

/* ------------------------------------------------------------------ */
/* minheap.csv                                                          */
/* ------------------------------------------------------------------ */

void hb_minheap_csv_header(FILE *f)
{
    fputs("allocator,collector,workload,scale,seed,settings_id,min_heap_bytes,fail_bytes,"
          "unlimited_peak_bytes,probes,status\n", f);
}

void hb_minheap_csv(FILE *f, const hb_minheap *m)
{
    fprintf(f, "%s,%s,%s,%.17g,%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s\n",
            m->allocator, m->collector, m->workload, m->scale, m->seed, m->settings_id,
            m->min_heap_bytes, m->fail_bytes, m->unlimited_peak_bytes, m->probes, m->status);
}

static int parse_line(const char *line, hb_minheap *m)
{
    memset(m, 0, sizeof *m);
    return sscanf(line,
                  "%63[^,],%63[^,],%63[^,],%lf,%" SCNu64 ",%16[^,],%" SCNu64 ",%" SCNu64 ",%" SCNu64
                  ",%" SCNu64 ",%15[^,\n]",
                  m->allocator, m->collector, m->workload, &m->scale, &m->seed, m->settings_id,
                  &m->min_heap_bytes, &m->fail_bytes, &m->unlimited_peak_bytes, &m->probes,
                  m->status) == 11;
}

long hb_minheap_read(const char *path, hb_minheap **out, char *err, size_t cap)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    long n = 0, lineno = 1, ncap = 0;
    if (fgets(line, sizeof line, f) == NULL || strncmp(line, "allocator,collector,", 20) != 0) {
        fclose(f);
        snprintf(err, cap, "%s: not a minheap.csv (its header is not this schema's)", path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 16;
            hb_minheap *v = realloc(*out, (size_t)ncap * sizeof *v);
            if (v == NULL)
                break;
            *out = v;
        }
        if (!parse_line(line, &(*out)[n])) {
            snprintf(err, cap, "%s:%ld: malformed line", path, lineno);
            fclose(f);
            free(*out);
            *out = NULL;
            return -1;
        }
        n++;
    }
    fclose(f);
    return n;
}

int hb_minheap_write(const char *path, const hb_minheap *cells, size_t n, hb_err *e)
{
    hb_atomic a;
    if (hb_atomic_open(&a, path, e) != 0)
        return -1;
    hb_minheap_csv_header(a.f);
    for (size_t i = 0; i < n; i++)
        hb_minheap_csv(a.f, &cells[i]);
    return hb_atomic_commit(&a, e);
}

const hb_minheap *hb_minheap_lookup(const hb_minheap *v, size_t n, const hb_run_config *cfg)
{
    char id[17];
    hb_minheap_settings_id(cfg, id);
    for (size_t i = 0; i < n; i++)
        if (same_cell(&v[i], cfg->alloc ? cfg->alloc : "", cfg->coll ? cfg->coll : "none",
                      cfg->work ? cfg->work : "", cfg->wp.scale, cfg->wp.seed, id))
            return &v[i];
    return NULL;
}

/* hb_fail, with hb_run's status for a setup error. */
static int fail2(hb_err *e, hb_err_kind kind, const char *msg)
{
    hb_fail(e, kind, "%s", msg);
    return 2;
}

int hb_minheap_get(const char *dir, const hb_run_config *cfg, const hb_minheap_opts *o,
                   hb_minheap *out, int *cached, hb_err *e)
{
    char path[4096], probes[4096], err[600];
    if (hb_path(path, sizeof path, "%s/minheap.csv", dir) ||
        hb_path(probes, sizeof probes, "%s/minheap-probes.csv", dir))
        return fail2(e, HB_ERR_USAGE, "results folder path too long");
    hb_minheap *v;
    long n = hb_minheap_read(path, &v, err, sizeof err);
    if (n < 0)
        return fail2(e, HB_ERR_INPUT, err);
    const hb_minheap *had = hb_minheap_lookup(v, (size_t)n, cfg);
    *cached = had != NULL;
    if (had) {
        *out = *had;
        free(v);
        return 0;
    }
    hb_minheap_opts oo = o ? *o : (hb_minheap_opts){0};
    oo.probe_log = probes;
    int rc = hb_minheap_find(cfg, &oo, out, e);
    if (rc == 0) {
        hb_minheap *w = realloc(v, ((size_t)n + 1) * sizeof *w);
        if (w == NULL)
            rc = fail2(e, HB_ERR_NOMEM, "out of memory adding to minheap.csv");
        else {
            v = w;
            v[n++] = *out;
            if (hb_minheap_write(path, v, (size_t)n, e) != 0)
                rc = 2;
        }
    }
    free(v);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Heap factors                                                         */
/* ------------------------------------------------------------------ */

int hb_heap_factors_parse(const char *s, double *out, size_t cap, hb_err *e)
{
    char buf[512], *save = NULL;
    size_t n = 0;
    if (hb_path(buf, sizeof buf, "%s", s))
        return hb_fail(e, HB_ERR_USAGE, "the --heap-factors list is too long");
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double f;
        if (hb_parse_double(tok, &f) != 0 || !(f >= 1) || f > 1000)
            return hb_fail(e, HB_ERR_USAGE, "bad value '%s' in --heap-factors, expected numbers "
                           "from 1 to 1000 separated by commas, e.g. 1.25,1.5,2,3,4,6", tok);
        if (n && f <= out[n - 1])
            return hb_fail(e, HB_ERR_USAGE, "bad value '%s' in --heap-factors, expected "
                           "increasing factors", tok);
        if (n == cap)
            return hb_fail(e, HB_ERR_USAGE, "more than %zu heap factors", cap);
        out[n++] = f;
    }
    if (n == 0)
        return hb_fail(e, HB_ERR_USAGE, "empty --heap-factors, expected e.g. 1.25,1.5,2,3,4,6");
    return (int)n;
}

uint64_t hb_heap_factor_limit(double f, uint64_t m)
{
    return (uint64_t)ceil(f * (double)m);
}
