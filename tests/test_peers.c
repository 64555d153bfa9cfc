/*
 * tests/test_peers.c -- the real peers: jemalloc, mimalloc, tcmalloc, the
 * boehm allocator backend and the boehm collector.
 *
 * For each allocator whose library is installed: the allocation contract
 * (alignment, contents, live and peak counts), a footprint read from the
 * library's own statistics that is plausible after 10 MB, a real version
 * string, and a clear reason naming the Debian package when the library is
 * missing (simulated in a child process through HB_PEER_LIB_<NAME>).  A
 * missing library skips its tests, saying so.  The contract holds through
 * the backend's table and through the library's own entry points
 * (al_backend.entry, as al_heap_open takes them); for boehm the two give
 * the same blocks for every size.
 *
 * Isolation: after every peer is loaded, malloc in this process still binds
 * to the C library's, and glibc's own counters see what malloc hands out.
 *
 * boehm: reachable objects survive collections intact, unreachable ones are
 * collected (the heap stays bounded in a loop, the census says so),
 * payload bytes are never taken for references, finalizers run once, and
 * pauses are reported.
 *
 * main() re-executes the test with the static TLS tunable jemalloc needs
 * (see allocators/peers.h).  `test_peers --reason NAME` prints the backend's
 * unavailable() and exits: the child side of the missing-library tests.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "allocators/allocator.h"
#include "allocators/peers.h"
#include "collectors/collector.h"

extern const al_backend al_jemalloc, al_mimalloc, al_tcmalloc, al_boehm;
extern const gc_strategy gc_boehm;

#include "tests/test_support.h" /* UNDER_ASAN */

#define MB (1024u * 1024u)

/* One peer: its table, the variable that renames its library, and a word
 * its missing-library reason must contain. */
typedef struct peer {
    const al_backend *b;
    const char *env;
    const char *package;
    const char *soname;
    uint64_t granule; /* footprint may exceed live by this much at least */
} peer;

static const peer peers[] = {
    {&al_jemalloc, "HB_PEER_LIB_JEMALLOC", "libjemalloc2", "libjemalloc.so.2", 0},
    {&al_mimalloc, "HB_PEER_LIB_MIMALLOC", "libmimalloc2.0", "libmimalloc.so.2", 32 * MB},
    {&al_tcmalloc, "HB_PEER_LIB_TCMALLOC", "libtcmalloc-minimal4", "libtcmalloc_minimal.so.4", 0},
    {&al_boehm, "HB_PEER_LIB_GC", "libgc1", "libgc.so.1", 0},
};

static int skip_if_missing(const al_backend *b)
{
    const char *why = b->unavailable();
    if (why == NULL)
        return 0;
    print_message("skipping %s: %s\n", b->name, why);
    return 1;
}

/* A heap over b.  entry 0: without al_heap_open, so al_alloc/al_free call
 * the table (b->alloc/b->free with the context) and the inline wrapper does
 * the counting; 1: with al_heap_open, so they call the library's own entry
 * points when the backend has them, as every run does. */
static void open_heap(al_heap *h, const al_backend *b, int entry)
{
    if (entry) {
        assert_int_equal(al_heap_open(h, b, NULL), 0);
        assert_true((h->lib.alloc != NULL) == (b->entry != NULL));
        assert_true((h->lib.free != NULL) == (b->entry != NULL));
        return;
    }
    memset(h, 0, sizeof *h);
    h->b = b;
    h->ctx = b->create(&(al_config){0});
    assert_non_null(h->ctx);
}

/* ==================== allocator contract ==================== */

static unsigned char pattern(size_t i, size_t k)
{
    return (unsigned char)(i * 31 + k * 7 + 1);
}

static void check_contract(const peer *pe, int entry)
{
    const al_backend *b = pe->b;
    enum { N = 700 };
    static void *blocks[N];
    static size_t sizes[N];
    al_heap h;
    open_heap(&h, b, entry);
    uint64_t requested = 0;
    for (size_t i = 0; i < N; i++) {
        sizes[i] = i < 600 ? i + 1 : (i - 599) * 3001; /* 1..600, then up to 300 KB */
        blocks[i] = al_alloc(&h, sizes[i]);
        assert_non_null(blocks[i]);
        assert_int_equal((uintptr_t)blocks[i] % AL_ALIGN, 0);
        for (size_t k = 0; k < sizes[i]; k++)
            ((unsigned char *)blocks[i])[k] = pattern(i, k);
        requested += sizes[i];
    }
    al_backend_stats s;
    b->stats(h.ctx, &s);
    uint64_t full = s.block_bytes;
    assert_int_equal(h.live_bytes, requested);
    assert_true(s.block_bytes >= requested);
    assert_true(s.peak_block_bytes >= s.block_bytes);
    assert_true(s.peak_footprint_bytes >= s.footprint_bytes);
    assert_int_equal(s.large_bytes, 0);
    assert_int_equal(s.footprint_exact, 0);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(((unsigned char *)blocks[i])[k], pattern(i, k));
    uint64_t peak = s.peak_block_bytes;
    for (size_t i = 0; i < N; i++)
        al_free(&h, blocks[i], sizes[i]);
    /* Stale pointers in static data are roots to libgc: they would keep
     * whatever later reuses these blocks alive (boehm tests below). */
    memset(blocks, 0, sizeof blocks);
    b->stats(h.ctx, &s);
    assert_int_equal(h.live_bytes, 0);
    assert_int_equal(h.peak_live_bytes, requested);
    /* The library's reading falls by about what was freed; what its thread
     * caches keep (under 1 MiB here) may still count as in use. */
    if (full - s.block_bytes + (1u << 20) < requested)
        fail_msg("%s: block bytes fell by %llu after freeing %llu", b->name,
                 (unsigned long long)(full - s.block_bytes), (unsigned long long)requested);
    assert_int_equal(s.peak_block_bytes, peak);
    b->destroy(h.ctx);
}

/* Every size from 1 to 4 KiB, three times each, comes back 16-aligned. */
static void check_alignment(const peer *pe, int entry)
{
    al_heap h;
    open_heap(&h, pe->b, entry);
    for (size_t size = 1; size <= 4096; size++) {
        void *p[3];
        for (int r = 0; r < 3; r++) {
            p[r] = al_alloc(&h, size);
            assert_non_null(p[r]);
            assert_int_equal((uintptr_t)p[r] % AL_ALIGN, 0);
        }
        for (int r = 0; r < 3; r++)
            al_free(&h, p[r], size);
    }
    pe->b->destroy(h.ctx);
}

/* 10 MB in 10 KB blocks, every page written: the library's own footprint
 * must cover it and stay within three times it -- or, for mimalloc, within
 * one 32 MiB segment more, because it commits whole segments at once (its
 * committed bytes read 33.6 MB while the process's RSS grows by 10.3 MB). */
static void check_footprint(const peer *pe)
{
    enum { N = 1000, SIZE = 10000 };
    static void *blocks[N];
    al_heap h;
    open_heap(&h, pe->b, 0);
    for (size_t i = 0; i < N; i++) {
        blocks[i] = al_alloc(&h, SIZE);
        assert_non_null(blocks[i]);
        memset(blocks[i], (int)i, SIZE);
    }
    al_backend_stats s;
    pe->b->stats(h.ctx, &s);
    print_message("%s %s: footprint %.1f MB for %.1f MB live (block bytes %.1f MB)\n",
                  pe->b->name, pe->b->version(), s.footprint_bytes / 1e6, N * SIZE / 1e6,
                  s.block_bytes / 1e6);
    assert_true(s.footprint_bytes >= (uint64_t)N * SIZE);
    uint64_t cap = 3ull * N * SIZE;
    if ((uint64_t)N * SIZE + pe->granule > cap)
        cap = (uint64_t)N * SIZE + pe->granule;
    assert_true(s.footprint_bytes <= cap);
    assert_true(s.peak_footprint_bytes >= s.footprint_bytes);
    /* block_bytes is read from the library at stats(), not counted per op:
     * it covers the live blocks and lies within the footprint. */
    assert_true(s.block_bytes >= (uint64_t)N * SIZE);
    assert_true(s.block_bytes <= s.footprint_bytes);
    assert_true(s.peak_block_bytes >= s.block_bytes);
    for (size_t i = 0; i < N; i++)
        al_free(&h, blocks[i], SIZE);
    memset(blocks, 0, sizeof blocks); /* no stale roots for libgc */
    pe->b->destroy(h.ctx);
}

static void check_version(const peer *pe)
{
    const char *v = pe->b->version();
    assert_non_null(v);
    assert_true(strlen(v) > 0);
    assert_string_not_equal(v, "unavailable");
    assert_true(v[0] >= '0' && v[0] <= '9');
    print_message("%s version %s\n", pe->b->name, v);
}

/* Runs `self --reason NAME` with the library renamed to a file that does
 * not exist, and checks the reason names the file and the package. */
static void check_missing(const peer *pe)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "%s=libhb-no-such-lib.so.9 '%s' --reason %s", pe->env, self,
             pe->b->name);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char out[1024] = "";
    size_t got = fread(out, 1, sizeof out - 1, f);
    out[got] = '\0';
    assert_int_equal(pclose(f), 0);
    print_message("%s missing: %s", pe->b->name, out);
    assert_non_null(strstr(out, "libhb-no-such-lib.so.9"));
    assert_non_null(strstr(out, pe->package));
}

#define PEER_TESTS(i, tag)                                                                  \
    static void test_contract_##tag(void **state)                                           \
    {                                                                                       \
        (void)state;                                                                        \
        if (skip_if_missing(peers[i].b))                                                    \
            skip();                                                                         \
        check_contract(&peers[i], 0);                                                       \
        check_contract(&peers[i], 1);                                                       \
        check_alignment(&peers[i], 0);                                                      \
        check_alignment(&peers[i], 1);                                                      \
        check_version(&peers[i]);                                                           \
    }                                                                                       \
    static void test_footprint_##tag(void **state)                                          \
    {                                                                                       \
        (void)state;                                                                        \
        if (skip_if_missing(peers[i].b))                                                    \
            skip();                                                                         \
        check_footprint(&peers[i]);                                                         \
    }                                                                                       \
    static void test_missing_##tag(void **state)                                            \
    {                                                                                       \
        (void)state;                                                                        \
        check_missing(&peers[i]);                                                           \
    }

PEER_TESTS(0, jemalloc)
PEER_TESTS(1, mimalloc)
PEER_TESTS(2, tcmalloc)
PEER_TESTS(3, boehm_alloc)

/* ==================== boehm: the entry and the table ==================== */

/* libgc's largest small object (MAXOBJBYTES, half of its 4 KiB heap block
 * on x86-64): up to it, freed objects go on a free list per size class. */
#define GC_SMALL_MAX 2048

/* The boehm backend's entry points are libgc's own, and al_alloc/al_free
 * through them (sizes under AL_ALIGN raised) give what the table gives for
 * every size: a block of the same usable size (GC_size), all of it
 * writable and apart from every other, the same live bytes and peak, and
 * the block back to libgc at the free: a small block freed on one path is
 * the next the other path gets for its size.  Each heap may free the
 * other's blocks: both free with GC_free. */
static void test_entry_is_table_boehm_alloc(void **state)
{
    (void)state;
    if (skip_if_missing(&al_boehm))
        skip();
    const al_gc_api *gc = al_gc_api_get();
    assert_non_null(gc);
    al_heap e, t;
    open_heap(&e, &al_boehm, 1);
    open_heap(&t, &al_boehm, 0);
    assert_ptr_equal((void *)e.lib.alloc, (void *)gc->malloc_atomic_uncollectable);
    assert_ptr_equal((void *)e.lib.free, (void *)gc->free_);
    assert_null(t.lib.alloc);
    static const size_t big[] = {4097, 8191, 8192, 65536, 300000, (1u << 20) + 1};
    enum { NBIG = sizeof big / sizeof big[0], NSIZES = 4096 + NBIG };
    static unsigned char *pe[NSIZES], *pt[NSIZES];
    static size_t sz[NSIZES], usable[NSIZES];
    uint64_t live = 0;
    for (size_t i = 0; i < NSIZES; i++) {
        size_t n = sz[i] = i < 4096 ? i + 1 : big[i - 4096];
        pe[i] = al_alloc(&e, n);
        pt[i] = al_alloc(&t, n);
        assert_non_null(pe[i]);
        assert_non_null(pt[i]);
        assert_int_equal((uintptr_t)pe[i] % AL_ALIGN, 0);
        size_t us = gc->size(pe[i]), ut = gc->size(pt[i]);
        if (us != ut)
            fail_msg("boehm: %zu bytes: GC_size %zu through the entry, %zu through the table", n,
                     us, ut);
        assert_true(us >= n);
        usable[i] = us;
        memset(pe[i], (int)pattern(i, 0), us);
        memset(pt[i], (int)pattern(i, 1), us);
        live += n;
        assert_int_equal(e.live_bytes, live);
        assert_int_equal(t.live_bytes, live);
    }
    for (size_t i = 0; i < NSIZES; i++) /* no block overlaps another */
        for (size_t k = 0; k < usable[i]; k += 1 + k / 8) {
            assert_int_equal(pe[i][k], pattern(i, 0));
            assert_int_equal(pt[i][k], pattern(i, 1));
        }
    assert_int_equal(e.peak_live_bytes, live);
    assert_int_equal(t.peak_live_bytes, live);
    for (size_t i = 0; i < NSIZES; i++) {
        size_t n = sz[i];
        al_free(&e, pe[i], n);
        unsigned char *q2 = al_alloc(&t, n); /* the table's alloc takes what the entry freed */
        al_free(&t, pt[i], n);
        unsigned char *p2 = al_alloc(&e, n); /* and the entry's what the table freed */
        assert_non_null(p2);
        assert_non_null(q2);
        if (usable[i] <= GC_SMALL_MAX) { /* one free list per size class: LIFO */
            assert_ptr_equal(q2, pe[i]);
            assert_ptr_equal(p2, pt[i]);
        }
        al_free(&t, p2, n); /* each heap frees the block the other took */
        al_free(&e, q2, n);
    }
    memset(pe, 0, sizeof pe); /* no stale roots for libgc */
    memset(pt, 0, sizeof pt);
    assert_int_equal(e.live_bytes, 0);
    assert_int_equal(t.live_bytes, 0);
    assert_int_equal(e.failed + t.failed, 0);
    al_heap_close(&e);
    al_boehm.destroy(t.ctx);
}

/* ==================== isolation ==================== */

static int names_a_peer(const char *file)
{
    static const char *const words[] = {"jemalloc", "mimalloc", "tcmalloc", "libgc"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (file && strstr(file, words[i]))
            return 1;
    return 0;
}

/* A peer's own malloc, when it is loaded: it must not be the process's. */
static void check_peer_malloc_is_private(const peer *pe, void *global_malloc)
{
    void *h = dlopen(pe->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (h == NULL)
        return;
    /* dlsym on a handle also searches its dependencies (libc): only a
     * malloc defined in the peer itself counts. */
    void *own = dlsym(h, "malloc");
    Dl_info di;
    if (own && dladdr(own, &di) && names_a_peer(di.dli_fname)) {
        print_message("%s defines its own malloc; the process does not use it\n",
                      pe->b->name);
        assert_ptr_not_equal(own, global_malloc);
    }
    dlclose(h);
}

static void test_malloc_is_still_libc(void **state)
{
    (void)state;
    int loaded = 0;
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++)
        loaded += peers[i].b->unavailable() == NULL;
    if (loaded == 0)
        skip();
    void *global_malloc = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info di;
    assert_true(dladdr(global_malloc, &di) != 0);
    print_message("malloc resolves to %s (%d peers loaded)\n", di.dli_fname, loaded);
    assert_false(names_a_peer(di.dli_fname));
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++)
        check_peer_malloc_is_private(&peers[i], global_malloc);
    if (UNDER_ASAN)
        return; /* ASan's malloc keeps glibc's counters at zero */
    /* glibc's own counters see what malloc hands out. */
    enum { N = 64, SIZE = 1000 };
    void *volatile blocks[N];
    struct mallinfo2 before = mallinfo2();
    for (size_t i = 0; i < N; i++)
        blocks[i] = malloc(SIZE);
    struct mallinfo2 after = mallinfo2();
    for (size_t i = 0; i < N; i++)
        free(blocks[i]);
    print_message("glibc's mallinfo2: in-use bytes grew by %zu for %d x %d bytes\n",
                  after.uordblks - before.uordblks, N, SIZE);
    /* No upper bound: tcmalloc grows its heap with sbrk, and glibc then
     * counts the foreign break region in its arena (30 MB after 20 MB of
     * tc_malloc), so glibc's figures are not clean after tcmalloc ran. */
    assert_true(after.uordblks - before.uordblks >= (size_t)N * SIZE);
}

/* ==================== boehm collector ==================== */

enum { NREGS = 8, MAX_FIN = 4096 };

typedef struct harness {
    hb_obj *regs[NREGS];
    uint64_t pauses, bad_pauses;
    size_t nfin;
    hb_obj *fin[MAX_FIN];
} harness;

static void on_pause(void *arg, uint64_t start, uint64_t end)
{
    harness *hs = arg;
    hs->pauses++;
    hs->bad_pauses += end < start;
}

static void on_finalize(void *arg, hb_obj *o)
{
    harness *hs = arg;
    for (size_t i = 0; i < hs->nfin; i++)
        assert_ptr_not_equal(hs->fin[i], o); /* once per object */
    assert_true(o->flags & HB_F_FINALIZED);
    if (hs->nfin < MAX_FIN)
        hs->fin[hs->nfin++] = o;
}

typedef struct gc_fixture {
    harness *hs; /* malloc'd: libgc must not see the registers but as roots */
    al_heap heap;
    gc_config cfg;
    gc_env env;
    void *ctx;
} gc_fixture;

static void gc_open(gc_fixture *f, int incremental)
{
    memset(f, 0, sizeof *f);
    f->hs = calloc(1, sizeof *f->hs);
    assert_non_null(f->hs);
    f->cfg.incremental = incremental;
    f->env = (gc_env){.heap = &f->heap, .roots = f->hs->regs, .nroots = NREGS, .cfg = &f->cfg,
                      .harness = f->hs, .pause = on_pause, .finalize = on_finalize};
    f->ctx = gc_boehm.create(&f->env);
    assert_non_null(f->ctx);
}

static void gc_close(gc_fixture *f)
{
    gc_boehm.destroy(f->ctx);
    free(f->hs);
}

static hb_obj *new_obj(gc_fixture *f, int reg, uint8_t kind, uint8_t flags, uint32_t nrefs,
                       uint32_t payload)
{
    hb_obj *o = gc_boehm.new_obj(f->ctx, &f->hs->regs[reg], kind, flags, nrefs, payload);
    assert_non_null(o);
    assert_ptr_equal(f->hs->regs[reg], o);
    return o;
}

/* A list of n nodes from register 0, each node's payload filled with its
 * index; register 1 churns garbage in between. */
static void __attribute__((noinline)) build_list(gc_fixture *f, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        hb_obj *prev = f->hs->regs[0];
        hb_obj *o = new_obj(f, 2, HB_CONTAINER, 0, 2, 64);
        memset(hb_obj_payload(o), (int)(i & 0xff), 64);
        gc_boehm.field_store(f->ctx, o, 0, prev);
        gc_boehm.reg_write(f->ctx, &f->hs->regs[0], o);
        new_obj(f, 1, HB_ARRAY, 0, 0, 4000); /* garbage at once */
    }
    gc_boehm.reg_write(f->ctx, &f->hs->regs[1], NULL);
    gc_boehm.reg_write(f->ctx, &f->hs->regs[2], NULL);
}

/* Overwrites dead stack below the caller, where a stale copy of the list's
 * head would otherwise be a conservative root keeping the whole list. */
static void __attribute__((noinline)) scrub_stack(void)
{
    volatile unsigned char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

static void check_list(gc_fixture *f, uint32_t n)
{
    uint32_t i = n;
    for (hb_obj *o = f->hs->regs[0]; o; o = o->refs[0]) {
        i--;
        assert_int_equal(o->kind, HB_CONTAINER);
        assert_int_equal(o->nrefs, 2);
        assert_null(o->refs[1]);
        for (size_t k = 0; k < 64; k++)
            assert_int_equal(hb_obj_payload(o)[k], i & 0xff);
    }
    assert_int_equal(i, 0);
}

static void test_boehm_survivors(void **state)
{
    (void)state;
    if (skip_if_missing(&al_boehm))
        skip();
    gc_fixture f;
    gc_open(&f, 0);
    enum { N = 3000 };
    build_list(&f, N);
    gc_boehm.collect(f.ctx);
    check_list(&f, N);
    gc_stats s;
    gc_boehm.stats(f.ctx, &s);
    print_message("boehm: %llu allocated, %llu live after collect, %llu collections, "
                  "%llu pauses\n",
                  (unsigned long long)s.objects_allocated, (unsigned long long)s.objects_live,
                  (unsigned long long)s.collections, (unsigned long long)f.hs->pauses);
    assert_int_equal(s.objects_allocated, 2 * N);
    assert_int_equal(s.objects_live + s.objects_freed, s.objects_allocated);
    /* Census: the list, plus the few a stale stack word may hold. */
    assert_true(s.objects_live >= N);
    assert_true(s.objects_live <= N + 64);
    assert_true(s.bytes_live >= (uint64_t)N * hb_obj_body_bytes(2, 64));
    assert_true(s.collections >= 1);
    assert_true(f.hs->pauses >= s.collections);
    assert_int_equal(f.hs->bad_pauses, 0);
    /* Dropping the list frees it. */
    gc_boehm.reg_write(f.ctx, &f.hs->regs[0], NULL);
    scrub_stack();
    gc_boehm.collect(f.ctx);
    gc_boehm.stats(f.ctx, &s);
    print_message("boehm: %llu live after dropping the list\n",
                  (unsigned long long)s.objects_live);
    assert_true(s.objects_live <= 64);
    gc_close(&f);
}

/* 400 MB of garbage through two registers: the GC heap stays bounded. */
static void test_boehm_garbage_bounded(void **state)
{
    (void)state;
    if (skip_if_missing(&al_boehm))
        skip();
    const al_gc_api *gc = al_gc_api_get();
    gc_fixture f;
    gc_open(&f, 0);
    size_t heap_max = 0;
    for (int i = 0; i < 100000; i++) {
        hb_obj *o = new_obj(&f, i & 1, i % 3 ? HB_ARRAY : HB_CONTAINER, 0, i % 3 ? 0 : 4, 4000);
        hb_obj_payload(o)[0] = 1;
        size_t hs = gc->get_heap_size();
        heap_max = hs > heap_max ? hs : heap_max;
    }
    gc_stats s;
    gc_boehm.stats(f.ctx, &s);
    print_message("boehm: 400 MB of garbage, GC heap peaked at %.1f MB, %llu collections, "
                  "%llu pauses\n",
                  heap_max / 1e6, (unsigned long long)s.collections,
                  (unsigned long long)f.hs->pauses);
    assert_true(heap_max < 64 * MB);
    assert_true(s.collections >= 3);
    assert_true(f.hs->pauses >= s.collections);
    assert_true(s.objects_live <= s.objects_allocated);
    gc_close(&f);
}

/* Targets stored only where libgc must not look (payload bytes) die; a
 * target stored in a reference slot lives. */
static void __attribute__((noinline)) plant(gc_fixture *f, int in_slot, int atomic_holder)
{
    hb_obj *holder = new_obj(f, 0, atomic_holder ? HB_LEAF : HB_CONTAINER, 0,
                             atomic_holder ? 0 : 1, 16 * sizeof(void *));
    for (int i = 0; i < 16; i++) {
        hb_obj *t = new_obj(f, 1, HB_LEAF, HB_F_FINALIZER, 0, 8);
        if (in_slot && i == 0)
            gc_boehm.field_store(f->ctx, holder, 0, t);
        else
            memcpy(hb_obj_payload(holder) + i * sizeof t, &t, sizeof t);
    }
    gc_boehm.reg_write(f->ctx, &f->hs->regs[1], NULL);
}

static void run_plant(int in_slot, int atomic_holder, size_t *finalized)
{
    gc_fixture f;
    gc_open(&f, 0);
    plant(&f, in_slot, atomic_holder);
    gc_boehm.collect(f.ctx);
    gc_boehm.collect(f.ctx);
    *finalized = f.hs->nfin;
    gc_stats s;
    gc_boehm.stats(f.ctx, &s);
    assert_int_equal(s.finalizers_run, f.hs->nfin);
    gc_close(&f);
}

static void test_boehm_payload_not_scanned(void **state)
{
    (void)state;
    if (skip_if_missing(&al_boehm))
        skip();
    size_t fin_atomic, fin_typed, fin_slot;
    run_plant(0, 1, &fin_atomic);
    run_plant(0, 0, &fin_typed);
    run_plant(1, 0, &fin_slot);
    print_message("boehm: finalized %zu/16 (payload of a leaf), %zu/16 (payload of a "
                  "container), %zu/16 (one in a slot)\n",
                  fin_atomic, fin_typed, fin_slot);
    assert_true(fin_atomic >= 14);
    assert_true(fin_typed >= 14);
    assert_true(fin_slot <= 15); /* the one in the slot lives */
}

static void test_boehm_finalizers_once(void **state)
{
    (void)state;
    if (skip_if_missing(&al_boehm))
        skip();
    gc_fixture f;
    gc_open(&f, 0);
    enum { N = 500 };
    for (int i = 0; i < N; i++)
        new_obj(&f, 3, HB_CONTAINER, HB_F_FINALIZER, 1, 24);
    gc_boehm.reg_write(f.ctx, &f.hs->regs[3], NULL);
    for (int r = 0; r < 4; r++)
        gc_boehm.collect(f.ctx);
    gc_stats s;
    gc_boehm.stats(f.ctx, &s);
    print_message("boehm: %zu of %d finalized\n", f.hs->nfin, N);
    assert_true(f.hs->nfin >= N - 16);
    assert_int_equal(s.finalizers_run, f.hs->nfin);
    assert_true(s.objects_live <= 32);
    gc_close(&f);
}

/* Last: incremental mode cannot be turned off again in this process. */
static void test_boehm_incremental(void **state)
{
    (void)state;
    if (skip_if_missing(&al_boehm))
        skip();
    gc_fixture f;
    gc_open(&f, 1);
    assert_true(al_gc_api_get()->is_incremental_mode());
    enum { N = 2000 };
    build_list(&f, N);
    gc_boehm.collect(f.ctx);
    check_list(&f, N);
    gc_stats s;
    gc_boehm.stats(f.ctx, &s);
    assert_true(s.objects_live >= N && s.objects_live <= N + 64);
    assert_true(f.hs->pauses >= 1);
    assert_int_equal(f.hs->bad_pauses, 0);
    gc_close(&f);
}

/* ==================== main ==================== */

static int print_reason(const char *name)
{
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
        if (strcmp(peers[i].b->name, name) == 0) {
            const char *why = peers[i].b->unavailable();
            printf("%s\n", why ? why : "(available)");
            return 0;
        }
    }
    printf("no peer named %s\n", name);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--reason") == 0)
        return print_reason(argv[2]);
    al_peer_reexec_for_tls(argv, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract_jemalloc),    cmocka_unit_test(test_footprint_jemalloc),
        cmocka_unit_test(test_missing_jemalloc),     cmocka_unit_test(test_contract_mimalloc),
        cmocka_unit_test(test_footprint_mimalloc),   cmocka_unit_test(test_missing_mimalloc),
        cmocka_unit_test(test_contract_tcmalloc),    cmocka_unit_test(test_footprint_tcmalloc),
        cmocka_unit_test(test_missing_tcmalloc),     cmocka_unit_test(test_contract_boehm_alloc),
        cmocka_unit_test(test_footprint_boehm_alloc), cmocka_unit_test(test_missing_boehm_alloc),
        cmocka_unit_test(test_malloc_is_still_libc), cmocka_unit_test(test_boehm_survivors),
        cmocka_unit_test(test_boehm_garbage_bounded), cmocka_unit_test(test_boehm_payload_not_scanned),
        cmocka_unit_test(test_boehm_finalizers_once), cmocka_unit_test(test_boehm_incremental),
        /* last: its blocks, were it to fail midway, must not be roots to the above */
        cmocka_unit_test(test_entry_is_table_boehm_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
