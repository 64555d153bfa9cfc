/*
 * harness/micro/gcbench_native.c -- `heapbench-gcbench`: GCBench written
 * natively in C against the collector and allocator tables, beside its
 * replay through hb_replay, one process per figure.
 *
 *   heapbench-gcbench --collector NAME --mode native|replay|libgc
 *                     [--allocator NAME] [--scale S]
 *
 * Modes:
 *   replay  the `gcbench` workload's op stream (workloads/gcbench.c) fed
 *           chunk by chunk to hb_replay, as `heapbench run -w gcbench`
 *           does: generation between chunks is untimed, each chunk's
 *           replay is timed (harness/run/run.c's flush_chunk).
 *   native  the same program as C functions calling the collector's table
 *           directly (new_obj, field_store, reg_write): the same objects
 *           (containers of 2 references and 8 payload bytes, the 4 MB
 *           array), the same order, the same register file as roots, so
 *           every collector sees the same calls and the same roots; what
 *           is gone is the op stream and its interpreter.
 *   libgc   boehm only: the classic GCBench on libgc itself (GC_malloc of a
 *           24-byte node: two pointers and two ints; C locals as roots):
 *           what heapbench's object layout (16-byte hb_obj header, a
 *           typed allocation, registers in memory) costs on top.
 * Prints one line: collector allocator mode seconds objects.  Time is wall
 * time, every collection included, the collector's creation and
 * destruction excluded (wall, not CPU time, so that whatever thread a
 * library would start counts too; libgc is set to one marker thread, as
 * allocators/boehm_alloc.c says, like every other collector here).
 *
 * Exit status: 0, 1 when memory ran out or a library is missing, 2 bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/peers.h"
#include "collectors/collector.h"
#include "harness/core/clock.h"
#include "harness/run/replay.h"
#include "workloads/gcbench.h"

#define CHUNK_OPS 65536u

extern const wl_workload wl_gcbench;

/* ---- one collector over one heap ---- */

/* The walker of workloads/gcbench.h's walk, for the native program. */
typedef struct gb_walker bench;
struct gb_walker {
    const gc_strategy *gs;
    void *gc;
    al_heap heap;
    gc_env env;
    gc_config cfg;
    hb_obj *reg[GB_REGS];
    uint64_t objects;
    int oom;
};

static void no_pause(void *h, uint64_t s, uint64_t e)
{
    (void)h, (void)s, (void)e;
}

static void no_finalize(void *h, hb_obj *o)
{
    (void)h, (void)o;
}

static int bench_open(bench *b, const gc_strategy *gs, const al_backend *ab)
{
    memset(b, 0, sizeof *b);
    b->gs = gs;
    if (al_heap_open(&b->heap, ab, NULL) != 0)
        return -1;
    b->env = (gc_env){.heap = &b->heap, .roots = b->reg, .nroots = GB_REGS, .cfg = &b->cfg,
                      .harness = b, .pause = no_pause, .finalize = no_finalize};
    b->gc = gs->create(&b->env);
    if (b->gc == NULL) {
        al_heap_close(&b->heap);
        return -1;
    }
    return 0;
}

static void bench_close(bench *b)
{
    b->gs->destroy(b->gc);
    al_heap_close(&b->heap);
}

/* ---- native: GCBench as C calling the tables ---- */

static void gbw_node(bench *b, uint32_t r)
{
    if (b->gs->new_obj(b->gc, &b->reg[r], HB_CONTAINER, 0, GB_NODE_NREFS, GB_NODE_PAYLOAD) == NULL)
        b->oom = 1;
    b->objects++;
}

static void gbw_set(bench *b, uint32_t node, uint32_t i, uint32_t child)
{
    b->gs->field_store(b->gc, b->reg[node], i, b->reg[child]);
}

static void gbw_get(bench *b, uint32_t dst, uint32_t node, uint32_t i)
{
    b->gs->reg_write(b->gc, &b->reg[dst], b->reg[node]->refs[i]);
}

static void gbw_drop(bench *b, uint32_t r)
{
    b->gs->reg_write(b->gc, &b->reg[r], NULL);
}

static int gbw_live(bench *b, uint32_t r)
{
    return b->reg[r] != NULL;
}

static void gbw_array(bench *b, uint32_t r)
{
    if (b->gs->new_obj(b->gc, &b->reg[r], HB_ARRAY, 0, 0, GB_ARRAY_BYTES) == NULL) {
        b->oom = 1;
        return;
    }
    b->objects++;
    memset(hb_obj_payload(b->reg[r]), 0, GB_ARRAY_WRITTEN);
}

static void gbw_phase(bench *b, uint32_t n)
{
    (void)b, (void)n; /* the native program has no phase markers */
}

static int gbw_failed(bench *b)
{
    return b->oom;
}

static int gbw_stopped(bench *b)
{
    return b->oom;
}

/* ---- replay: the op stream through hb_replay, chunk by chunk ---- */

typedef struct feed {
    hb_vm vm;
    uint64_t ns;
    const char *why;
} feed;

static int feed_chunk(hb_sink *s)
{
    feed *f = s->ctx;
    const char *why;
    if (hb_ops_validate(s->buf, s->len, f->vm.nregs, &why) != s->len) { /* untimed */
        f->why = why;
        return 1;
    }
    uint64_t t0 = hb_now_ns();
    hb_replay(&f->vm, s->buf, s->len);
    f->ns += hb_now_ns() - t0;
    s->len = 0;
    return f->vm.status != HB_VM_OK;
}

static int replay_gcbench(bench *b, double scale, uint64_t *ns)
{
    static hb_op buf[CHUNK_OPS];
    wl_params p = {.scale = scale, .seed = 1};
    if (wl_gcbench.registers(&p) != GB_REGS) {
        fprintf(stderr, "heapbench-gcbench: workloads/gcbench.c uses %u registers, this "
                        "program %u: they no longer match\n",
                wl_gcbench.registers(&p), (unsigned)GB_REGS);
        return -1;
    }
    feed f = {.vm = {.gs = b->gs, .gc = b->gc, .regs = b->reg, .nregs = GB_REGS}};
    hb_sink sink = {.buf = buf, .cap = CHUNK_OPS, .ctx = &f, .flush = feed_chunk};
    hb_err why;
    hb_err_clear(&why);
    p.err = &why;
    int gen = wl_gcbench.generate(&p, &sink);
    hb_sink_flush(&sink);
    if (gen != 0 && why.msg[0])
        fprintf(stderr, "heapbench-gcbench: %s\n", why.msg);
    b->objects = f.vm.objects;
    *ns = f.ns;
    if (f.why) {
        fprintf(stderr, "heapbench-gcbench: bad stream: %s\n", f.why);
        return -1;
    }
    b->oom = f.vm.status != HB_VM_OK;
    return gen;
}

/* ---- libgc: the classic GCBench on GC_malloc ---- */

typedef struct gnode {
    struct gnode *left, *right;
    int i, j;
} gnode;

static const al_gc_api *gc;
static uint64_t gc_objects;

static gnode *gnew(gnode *l, gnode *r)
{
    gnode *n = gc->malloc_(sizeof *n);
    if (n == NULL) {
        fprintf(stderr, "heapbench-gcbench: GC_malloc failed\n");
        exit(1);
    }
    n->left = l;
    n->right = r;
    gc_objects++;
    return n;
}

static void gpopulate(uint32_t depth, gnode *node)
{
    if (depth == 0)
        return;
    node->left = gnew(NULL, NULL);
    node->right = gnew(NULL, NULL);
    gpopulate(depth - 1, node->left);
    gpopulate(depth - 1, node->right);
}

static gnode *gmake(uint32_t depth)
{
    if (depth == 0)
        return gnew(NULL, NULL);
    gnode *l = gmake(depth - 1);
    gnode *r = gmake(depth - 1);
    return gnew(l, r);
}

static void libgc_gcbench(double scale)
{
    volatile gnode *keep = gmake(GB_STRETCH_DEPTH);
    keep = NULL;
    gnode *volatile long_tree = gnew(NULL, NULL);
    gpopulate(GB_LONG_LIVED_DEPTH, long_tree);
    double *volatile array = gc->malloc_atomic(GB_ARRAY_BYTES);
    memset(array, 0, GB_ARRAY_WRITTEN);
    gc_objects++;
    for (uint32_t d = GB_MIN_DEPTH; d <= GB_MAX_DEPTH; d += GB_DEPTH_STEP) {
        uint64_t n = gb_iters(scale, d);
        for (uint64_t i = 0; i < n; i++) {
            keep = gnew(NULL, NULL);
            gpopulate(d, (gnode *)keep);
            keep = NULL;
        }
        for (uint64_t i = 0; i < n; i++) {
            keep = gmake(d);
            keep = NULL;
        }
    }
    (void)keep;
    long_tree = NULL;
    array = NULL;
}

/* ---- the program ---- */

static int usage(const char *why)
{
    fprintf(stderr,
            "heapbench-gcbench: %s\n"
            "usage: heapbench-gcbench --collector NAME --mode native|replay|libgc "
            "[--allocator NAME] [--scale S]\n",
            why);
    return 2;
}

static int run_libgc(double scale)
{
    gc = al_gc_api_get();
    if (gc == NULL) {
        fprintf(stderr, "heapbench-gcbench: libgc unavailable: %s\n", al_gc_unavailable());
        return 1;
    }
    uint64_t t0 = hb_now_ns();
    libgc_gcbench(scale);
    uint64_t ns = hb_now_ns() - t0;
    printf("boehm libgc libgc %.6f %llu\n", ns / 1e9, (unsigned long long)gc_objects);
    return 0;
}

int main(int argc, char **argv)
{
    hb_err tls;
    if (al_peer_reexec_for_tls(argv, &tls) != 0)
        fprintf(stderr, "heapbench-gcbench: %s\n", tls.msg);
    const char *coll = NULL, *mode = NULL, *alloc = NULL;
    double scale = 1.0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage("every option takes a value");
        const char *v = argv[++i];
        if (strcmp(argv[i - 1], "--collector") == 0)
            coll = v;
        else if (strcmp(argv[i - 1], "--mode") == 0)
            mode = v;
        else if (strcmp(argv[i - 1], "--allocator") == 0)
            alloc = v;
        else if (strcmp(argv[i - 1], "--scale") == 0) {
            char *end;
            scale = strtod(v, &end);
            if (*v == '\0' || *end != '\0' || !(scale > 0 && scale <= 1e4))
                return usage("bad value for --scale, expected a number > 0 and <= 10000");
        } else {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown option '%s'", argv[i - 1]);
            return usage(msg);
        }
    }
    if (coll == NULL || mode == NULL)
        return usage("--collector and --mode are required");
    const gc_strategy *gs = gc_find(coll);
    if (gs == NULL) {
        char names[256], msg[400];
        gc_names(names, sizeof names);
        snprintf(msg, sizeof msg, "unknown collector '%s', expected one of %s", coll, names);
        return usage(msg);
    }
    int native = strcmp(mode, "native") == 0;
    if (strcmp(mode, "libgc") == 0) {
        if (strcmp(gs->name, "boehm") != 0)
            return usage("--mode libgc is for --collector boehm only");
        return run_libgc(scale);
    }
    if (!native && strcmp(mode, "replay") != 0)
        return usage("bad value for --mode, expected native, replay or libgc");
    if (alloc == NULL)
        alloc = gs->needs.allocator ? gs->needs.allocator : al_backends[0]->name;
    const al_backend *ab = al_find(alloc);
    if (ab == NULL)
        return usage("unknown allocator (see heapbench list)");
    const char *why = gs->unavailable ? gs->unavailable() : NULL;
    if (why == NULL && ab->unavailable)
        why = ab->unavailable();
    if (why != NULL) {
        fprintf(stderr, "heapbench-gcbench: %s/%s unavailable: %s\n", ab->name, gs->name, why);
        return 1;
    }
    static bench b;
    if (bench_open(&b, gs, ab) != 0) {
        fprintf(stderr, "heapbench-gcbench: could not open %s over %s\n", gs->name, ab->name);
        return 1;
    }
    uint64_t ns = 0;
    int rc = 0;
    if (native) {
        uint64_t t0 = hb_now_ns();
        gb_walk(&b, scale);
        ns = hb_now_ns() - t0;
    } else {
        rc = replay_gcbench(&b, scale, &ns);
    }
    if (rc != 0 || b.oom) {
        fprintf(stderr, "heapbench-gcbench: %s/%s %s: %s\n", ab->name, gs->name, mode,
                b.oom ? "out of memory" : "the stream failed");
        bench_close(&b);
        return 1;
    }
    printf("%s %s %s %.6f %llu\n", gs->name, ab->name, mode, ns / 1e9,
           (unsigned long long)b.objects);
    bench_close(&b);
    return 0;
}
