/*
 * harness/core/mem.c -- base layer: mapped memory and the growable vector
 * (contract in mem.h).
 */
#include "harness/core/mem.h"

#include <sys/mman.h>
#include <unistd.h>

static size_t page_round(size_t bytes)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (bytes + pg - 1) / pg * pg;
}

void *hb_map(size_t bytes, int noreserve)
{
    if (bytes == 0)
        return NULL;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0);
    void *p = mmap(NULL, page_round(bytes), PROT_READ | PROT_WRITE, flags, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void hb_unmap(void *p, size_t bytes)
{
    if (p != NULL && bytes != 0)
        munmap(p, page_round(bytes));
}

void *hb_remap(void *p, size_t old_bytes, size_t new_bytes)
{
    void *q = mremap(p, page_round(old_bytes), page_round(new_bytes), MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
}

/* Pages of scratch held, and their peak: one process, one thread writes. */
static uint64_t scratch_now, scratch_top;

void *hb_scratch_map(size_t bytes)
{
    void *p = hb_map(bytes, 0);
    if (p == NULL)
        return NULL;
    size_t n = page_round(bytes), pg = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < n; off += pg) /* resident now, not mid-run */
        ((volatile char *)p)[off] = 0;
    scratch_now += n;
    if (scratch_now > scratch_top)
        scratch_top = scratch_now;
    return p;
}

void hb_scratch_unmap(void *p, size_t bytes)
{
    if (p == NULL || bytes == 0)
        return;
    hb_unmap(p, bytes);
    scratch_now -= page_round(bytes);
}

uint64_t hb_resident_bytes(const void *p, size_t bytes)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = page_round(bytes) / pg;
    unsigned char vec[4096];
    uint64_t resident = 0;
    for (size_t at = 0; p != NULL && at < n;) {
        size_t k = n - at < sizeof vec ? n - at : sizeof vec;
        if (mincore((char *)(uintptr_t)p + at * pg, k * pg, vec) != 0)
            return (uint64_t)page_round(bytes); /* cannot tell: all of it */
        for (size_t i = 0; i < k; i++)
            resident += (vec[i] & 1) ? pg : 0;
        at += k;
    }
    return resident;
}

uint64_t hb_scratch_bytes(void)
{
    return scratch_now;
}

uint64_t hb_scratch_peak(void)
{
    return scratch_top;
}

void hb_scratch_reset_peak(void)
{
    scratch_top = scratch_now;
}

int hb_vec_init(hb_vec *s, size_t elem, size_t first)
{
    size_t bytes = page_round((first ? first : 1) * elem);
    s->elem = elem;
    s->len = 0;
    s->max = 0;
    s->v = hb_map(bytes, 0);
    s->cap = s->v ? bytes / elem : 0;
    return s->v ? 0 : -1;
}

void hb_vec_fini(hb_vec *s)
{
    hb_unmap(s->v, s->cap * s->elem);
    s->v = NULL;
    s->len = s->cap = 0;
}

static int resize(hb_vec *s, size_t cap)
{
    if (s->max != 0 && cap > s->max)
        cap = s->max;
    if (cap <= s->cap)
        return -1;
    void *p = s->v ? hb_remap(s->v, s->cap * s->elem, cap * s->elem) : hb_map(cap * s->elem, 0);
    if (p == NULL)
        return -1;
    s->v = p;
    s->cap = page_round(cap * s->elem) / s->elem;
    return 0;
}

int hb_vec_grow(hb_vec *s)
{
    return resize(s, s->cap ? 2 * s->cap : 512);
}

int hb_vec_reserve(hb_vec *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 512;
    while (cap < n)
        cap *= 2;
    return resize(s, cap);
}
