/*
 * harness/record/record_preload.c -- record layer: the LD_PRELOAD library behind `heapbench
 * record`: logs a program's malloc-family calls into an allocator trace
 * (kind 2, harness/formats/trace.h).
 *
 * What is logged: sizes and order, never addresses.  Each live block gets a
 * register index (freed indices are reused, last freed first), so the trace
 * reads MALLOC r bytes / FREE r / REALLOC r bytes.  calloc, the aligned
 * forms (posix_memalign, aligned_alloc, memalign, valloc, pvalloc) and
 * reallocarray are logged as MALLOC / REALLOC of their byte count; the
 * alignment is not kept.  A size above 4 GiB - 1 is logged as 4 GiB - 1.
 *
 * Care points:
 *   - No recursion into malloc: the library's own state (the address map,
 *     the free-register stack) is mapped with mmap, the op buffer is static,
 *     and a thread-local flag lets calls made from inside a hook (dlsym, the
 *     real allocator, our own file writes) pass straight through.
 *   - Bootstrap: dlsym may call calloc before the real one is known; such
 *     calls are served from a static buffer whose blocks are never freed.
 *   - Threads: one mutex around the real call and its record, so the order
 *     in the trace is an order the allocator really saw (a block freed by
 *     one thread and handed out again to another is logged in that order).
 *     Each op carries its thread's number (trace format v2): threads are
 *     numbered 0, 1, ... in the order of their first recorded call (a
 *     __thread variable), folded modulo 255 past that many; the header
 *     says how many there were, so the trace replays on as many.
 *   - Processes: the process whose pid is $HB_RECORD_TOP writes
 *     $HB_RECORD_OUT; any other process that loads the library (a program
 *     started by exec) writes $HB_RECORD_OUT.PID.PROGRAM.  A child forked
 *     without exec stops recording at the fork (its history would start
 *     with the parent's blocks), and closes the parent's file.
 *   - The trace is streamed to FILE.tmp.PID and finished (header, checksum,
 *     rename) by a destructor at normal exit; each finished trace appends
 *     one line to $HB_RECORD_INDEX for heapbench record to report.
 *
 * Built as its own shared library (heapbench-record) from this file,
 * harness/formats/trace.c and harness/core/ops.c, with hidden visibility except the hooks.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/formats/trace.h"

#define HOOK __attribute__((visibility("default")))

/* The hooks are exported from this file only; declared here so that
 * -Wmissing-prototypes sees them declared (they are the C library's). */
HOOK void *malloc(size_t n);
HOOK void free(void *p);
HOOK void *calloc(size_t n, size_t size);
HOOK void *realloc(void *p, size_t n);
HOOK void *reallocarray(void *p, size_t n, size_t size);
HOOK int posix_memalign(void **out, size_t align, size_t n);
HOOK void *aligned_alloc(size_t align, size_t n);
HOOK void *memalign(size_t align, size_t n);
HOOK void *valloc(size_t n);
HOOK void *pvalloc(size_t n);

static struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
} real;

/* ------------------------------------------------------------------ */
/* Bootstrap blocks (before dlsym has answered)                         */
/* ------------------------------------------------------------------ */

#define BOOT_BYTES (64u << 10)
static _Alignas(16) unsigned char boot[BOOT_BYTES];
static size_t boot_used; /* only grows: boot blocks are never reused */

/* A 16-byte header holds the size, for realloc of a boot block. */
static void *boot_alloc(size_t n)
{
    size_t need = 16 + ((n + 15) & ~(size_t)15);
    size_t at = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
    if (n > BOOT_BYTES || at + need > BOOT_BYTES)
        return NULL;
    memcpy(boot + at, &n, sizeof n);
    return boot + at + 16;
}

static int in_boot(const void *p)
{
    return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + BOOT_BYTES;
}

static size_t boot_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - 16, sizeof n);
    return n;
}

/* ------------------------------------------------------------------ */
/* State                                                                */
/* ------------------------------------------------------------------ */

enum { REC_OFF, REC_ON, REC_DONE };

static int state; /* REC_ON only between init and exit (or a fork) */
static __thread int in_hook __attribute__((tls_model("initial-exec")));
/* This thread's number in the trace, plus one (0: not numbered yet). */
static __thread uint32_t my_thread __attribute__((tls_model("initial-exec")));
static uint32_t threads_seen; /* under the lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int fork_locked;

static hb_trace_writer writer;
static hb_op obuf[4096];
static size_t olen;
static const char *index_path;

/* Address -> register: open addressing, linear probing, deletion by
 * backward shift (no tombstones).  Load stays at most one half. */
typedef struct slot {
    uintptr_t key; /* 0: empty */
    uint32_t reg;
    uint32_t spare;
} slot;

static slot *map;
static size_t map_cap, map_used;
static uint32_t *free_regs; /* freed register indices, a stack */
static size_t free_n, free_cap;
static uint32_t nregs;      /* registers used so far: the high-water mark */

static void *map_pages(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Something the recording needs failed: stop recording, leave no file. */
static void give_up(void)
{
    state = REC_DONE;
    hb_trace_abandon(&writer);
}

static size_t slot_of(uintptr_t key, size_t cap)
{
    return (size_t)(((uint64_t)key >> 4) * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
}

static void map_insert_raw(slot *m, size_t cap, uintptr_t key, uint32_t reg)
{
    size_t i = slot_of(key, cap);
    while (m[i].key != 0)
        i = (i + 1) & (cap - 1);
    m[i].key = key;
    m[i].reg = reg;
}

static int map_grow(void)
{
    size_t cap = map_cap ? map_cap * 2 : (size_t)1 << 16;
    slot *m = map_pages(cap * sizeof(slot));
    if (m == NULL)
        return -1;
    for (size_t i = 0; i < map_cap; i++)
        if (map[i].key)
            map_insert_raw(m, cap, map[i].key, map[i].reg);
    if (map)
        munmap(map, map_cap * sizeof(slot));
    map = m;
    map_cap = cap;
    return 0;
}

/* Removes key; 1 and *reg when it was there. */
static int map_remove(uintptr_t key, uint32_t *reg)
{
    size_t i = slot_of(key, map_cap);
    while (map[i].key != key) {
        if (map[i].key == 0)
            return 0;
        i = (i + 1) & (map_cap - 1);
    }
    *reg = map[i].reg;
    map_used--;
    /* Backward shift: move later entries of the run into the hole when
     * their home slot is not between the hole and them. */
    for (size_t j = (i + 1) & (map_cap - 1); map[j].key != 0; j = (j + 1) & (map_cap - 1)) {
        size_t home = slot_of(map[j].key, map_cap);
        if (((j - home) & (map_cap - 1)) >= ((j - i) & (map_cap - 1))) {
            map[i] = map[j];
            i = j;
        }
    }
    map[i].key = 0;
    return 1;
}

static int map_insert(uintptr_t key, uint32_t reg)
{
    if ((map_used + 1) * 2 > map_cap && map_grow() != 0)
        return -1;
    map_insert_raw(map, map_cap, key, reg);
    map_used++;
    return 0;
}

static int push_free_reg(uint32_t r)
{
    if (free_n == free_cap) {
        size_t cap = free_cap ? free_cap * 2 : 4096;
        uint32_t *v = map_pages(cap * sizeof *v);
        if (v == NULL)
            return -1;
        if (free_regs) {
            memcpy(v, free_regs, free_n * sizeof *v);
            munmap(free_regs, free_cap * sizeof *v);
        }
        free_regs = v;
        free_cap = cap;
    }
    free_regs[free_n++] = r;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Recording (called with the lock held and state == REC_ON)            */
/* ------------------------------------------------------------------ */

/* The calling thread's number, given at its first recorded call. */
static uint8_t thread_number(void)
{
    if (my_thread == 0)
        my_thread = threads_seen++ % HB_TRACE_MAX_THREADS + 1;
    return (uint8_t)(my_thread - 1);
}

static void emit(uint8_t code, uint32_t r, size_t bytes)
{
    hb_op op = {code, 0, 0, thread_number(), r, 0,
                bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes};
    obuf[olen++] = op;
    if (olen == sizeof obuf / sizeof obuf[0]) {
        if (hb_trace_append(&writer, obuf, olen) != 0)
            give_up();
        olen = 0;
    }
}

static void rec_free(void *p)
{
    uint32_t r;
    if (!map_remove((uintptr_t)p, &r))
        return; /* allocated before recording began */
    emit(HB_OP_FREE, r, 0);
    if (push_free_reg(r) != 0)
        give_up();
}

static void rec_alloc(void *p, size_t n)
{
    uint32_t r;
    if (map_remove((uintptr_t)p, &r)) /* freed behind our back (cannot happen under the lock) */
        emit(HB_OP_FREE, r, 0);
    else
        r = free_n ? free_regs[--free_n] : nregs++;
    if (map_insert((uintptr_t)p, r) != 0) {
        give_up();
        return;
    }
    emit(HB_OP_MALLOC, r, n);
}

static void rec_realloc(void *old, void *p, size_t n)
{
    uint32_t r;
    if (!map_remove((uintptr_t)old, &r)) {
        rec_alloc(p, n);
        return;
    }
    if (map_insert((uintptr_t)p, r) != 0) {
        give_up();
        return;
    }
    emit(HB_OP_REALLOC, r, n);
}

/* ------------------------------------------------------------------ */
/* Start, fork, exit                                                    */
/* ------------------------------------------------------------------ */

static void resolve(void)
{
    real.malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real.free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real.calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real.realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real.posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real.aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real.memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real.valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    real.pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    if (!real.malloc || !real.free || !real.calloc || !real.realloc) {
        static const char msg[] = "heapbench record: cannot find the C library's malloc\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
}

static void on_fork_prepare(void)
{
    fork_locked = state == REC_ON;
    if (fork_locked)
        pthread_mutex_lock(&lock);
}

static void on_fork_parent(void)
{
    if (fork_locked)
        pthread_mutex_unlock(&lock);
}

/* The child of a fork without exec: not recorded; the file is the parent's. */
static void on_fork_child(void)
{
    if (state == REC_ON) {
        state = REC_OFF;
        if (writer.a.fd >= 0)
            close(writer.a.fd);
        writer.a.fd = -1;
    }
    if (fork_locked)
        pthread_mutex_unlock(&lock);
}

/* The program's name, printable, for the header and the file name. */
static void program_name(char *out, size_t cap)
{
    snprintf(out, cap, "%s", program_invocation_short_name);
    for (char *c = out; *c; c++)
        if (*c < 0x21 || *c > 0x7e || *c == '/')
            *c = '_';
}

static void init(void)
{
    resolve();
    const char *out = getenv("HB_RECORD_OUT"), *top = getenv("HB_RECORD_TOP");
    index_path = getenv("HB_RECORD_INDEX");
    if (out == NULL || *out == '\0')
        return;
    char path[4096], name[64];
    hb_trace_header h;
    memset(&h, 0, sizeof h);
    program_name(name, sizeof name);
    if (top && strtol(top, NULL, 10) == (long)getpid())
        snprintf(path, sizeof path, "%s", out);
    else
        snprintf(path, sizeof path, "%s.%ld.%s", out, (long)getpid(), name);
    h.kind = HB_TRACE_ALLOC;
    snprintf(h.source, sizeof h.source, "%.16s", name);
    writer.a.fd = -1;
    if (map_grow() != 0 || hb_trace_create(&writer, path, &h) != 0)
        return;
    pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
    state = REC_ON;
}

/* Every hook starts here (unless nested): in_hook set, the library ready. */
static void enter(void)
{
    in_hook = 1;
    pthread_once(&once, init);
}

static void note_in_index(void)
{
    char line[4096 + 128];
    if (index_path == NULL)
        return;
    int fd = open(index_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return;
    int n = snprintf(line, sizeof line, "%ld\t%llu\t%u\t%s\t%s\n", (long)getpid(),
                     (unsigned long long)writer.h.ops, nregs ? nregs : 1, writer.a.path,
                     writer.h.source);
    if (n > 0 && (size_t)n < sizeof line) {
        ssize_t w = write(fd, line, (size_t)n); /* one write: lines never interleave */
        (void)w;
    }
    close(fd);
}

__attribute__((destructor)) static void finish(void)
{
    if (state != REC_ON)
        return;
    in_hook = 1;
    pthread_mutex_lock(&lock);
    if (state == REC_ON) {
        state = REC_DONE;
        writer.h.threads = threads_seen < HB_TRACE_MAX_THREADS ? threads_seen : HB_TRACE_MAX_THREADS;
        if (writer.h.threads == 0)
            writer.h.threads = 1;
        if (olen && hb_trace_append(&writer, obuf, olen) != 0)
            hb_trace_abandon(&writer);
        else if (hb_trace_finish(&writer, nregs) == 0)
            note_in_index();
        olen = 0;
    }
    pthread_mutex_unlock(&lock);
    in_hook = 0;
}

/* ------------------------------------------------------------------ */
/* The hooks                                                            */
/* ------------------------------------------------------------------ */

HOOK void *malloc(size_t n)
{
    if (in_hook)
        return real.malloc ? real.malloc(n) : boot_alloc(n);
    enter();
    void *p;
    if (state != REC_ON) {
        p = real.malloc(n);
    } else {
        pthread_mutex_lock(&lock);
        p = real.malloc(n);
        if (p && state == REC_ON)
            rec_alloc(p, n);
        pthread_mutex_unlock(&lock);
    }
    in_hook = 0;
    return p;
}

HOOK void free(void *p)
{
    if (p == NULL || in_boot(p))
        return;
    if (in_hook) {
        if (real.free)
            real.free(p);
        return;
    }
    enter();
    if (state != REC_ON) {
        real.free(p);
    } else {
        pthread_mutex_lock(&lock);
        if (state == REC_ON)
            rec_free(p); /* before the real free: the address may be reused at once */
        real.free(p);
        pthread_mutex_unlock(&lock);
    }
    in_hook = 0;
}

HOOK void *calloc(size_t n, size_t size)
{
    if (in_hook) {
        if (real.calloc)
            return real.calloc(n, size);
        size_t bytes;
        return __builtin_mul_overflow(n, size, &bytes) ? NULL : boot_alloc(bytes); /* zeroed */
    }
    enter();
    void *p;
    if (state != REC_ON) {
        p = real.calloc(n, size);
    } else {
        pthread_mutex_lock(&lock);
        p = real.calloc(n, size);
        if (p && state == REC_ON)
            rec_alloc(p, n * size);
        pthread_mutex_unlock(&lock);
    }
    in_hook = 0;
    return p;
}

/* A boot block grows into a real (recorded) one. */
static void *realloc_boot(void *p, size_t n)
{
    void *q = malloc(n);
    if (q) {
        size_t old = boot_size(p);
        memcpy(q, p, old < n ? old : n);
    }
    return q;
}

HOOK void *realloc(void *p, size_t n)
{
    if (p && in_boot(p))
        return realloc_boot(p, n);
    if (in_hook)
        return real.realloc ? real.realloc(p, n) : (p ? NULL : boot_alloc(n));
    enter();
    void *q;
    if (state != REC_ON) {
        q = real.realloc(p, n);
    } else {
        pthread_mutex_lock(&lock);
        q = real.realloc(p, n);
        if (state == REC_ON) {
            if (q && p)
                rec_realloc(p, q, n);
            else if (q)
                rec_alloc(q, n);
            else if (p && n == 0) /* realloc(p, 0) freed p */
                rec_free(p);
        }
        pthread_mutex_unlock(&lock);
    }
    in_hook = 0;
    return q;
}

HOOK void *reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, bytes);
}

/* The aligned forms share one shape: call, then record what came back. */
#define ALIGNED_HOOK(call, bytes)                          \
    if (in_hook)                                           \
        return call;                                       \
    enter();                                               \
    if (state != REC_ON) {                                 \
        result = call;                                     \
    } else {                                               \
        pthread_mutex_lock(&lock);                         \
        result = call;                                     \
        if (RESULT_PTR && state == REC_ON)                 \
            rec_alloc(RESULT_PTR, bytes);                  \
        pthread_mutex_unlock(&lock);                       \
    }                                                      \
    in_hook = 0;                                           \
    return result

#define RESULT_PTR result
HOOK void *aligned_alloc(size_t align, size_t n)
{
    void *result;
    ALIGNED_HOOK(real.aligned_alloc ? real.aligned_alloc(align, n) : NULL, n);
}

HOOK void *memalign(size_t align, size_t n)
{
    void *result;
    ALIGNED_HOOK(real.memalign ? real.memalign(align, n) : NULL, n);
}

HOOK void *valloc(size_t n)
{
    void *result;
    ALIGNED_HOOK(real.valloc ? real.valloc(n) : NULL, n);
}

HOOK void *pvalloc(size_t n)
{
    void *result;
    ALIGNED_HOOK(real.pvalloc ? real.pvalloc(n) : NULL, n);
}
#undef RESULT_PTR

#define RESULT_PTR (result == 0 ? *out : NULL)
HOOK int posix_memalign(void **out, size_t align, size_t n)
{
    int result;
    ALIGNED_HOOK(real.posix_memalign ? real.posix_memalign(out, align, n) : ENOMEM, n);
}
#undef RESULT_PTR
