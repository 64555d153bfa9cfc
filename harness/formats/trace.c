/*
 * harness/formats/trace.c -- formats layer: trace files (format v2,
 * harness/formats/trace.h): encoding, checking, reading in chunks, and writing.
 *
 * Checking is in the order a reader can trust things: the header against
 * the file's size first, then the checksum over the whole file, then every
 * op against the header's kind and register count -- all before a single op
 * is replayed.  Every complaint names the byte offset where the problem is.
 *
 * The writer makes no call that allocates (open, write, pread, rename and a
 * stack buffer), because the recording preload library uses it from inside
 * the program's malloc.
 */
#include "harness/formats/trace.h"
#include "harness/formats/io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *hb_trace_kind_name(uint32_t kind)
{
    return kind == HB_TRACE_OPS ? "op stream" : kind == HB_TRACE_ALLOC ? "allocator trace" : NULL;
}

/* ------------------------------------------------------------------ */
/* Little-endian fields                                                 */
/* ------------------------------------------------------------------ */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void hb_trace_encode_header(const hb_trace_header *h, unsigned char out[HB_TRACE_HEADER_BYTES])
{
    uint64_t scale_bits;
    memset(out, 0, HB_TRACE_HEADER_BYTES);
    memcpy(out, HB_TRACE_MAGIC, sizeof HB_TRACE_MAGIC); /* 7 letters and the NUL */
    put_u32(out + 8, h->version);
    put_u32(out + 12, h->kind);
    put_u32(out + 16, h->registers);
    put_u32(out + 20, h->version >= 2 ? (h->threads ? h->threads : 1) : h->flags);
    put_u64(out + 24, h->ops);
    put_u64(out + 32, h->seed);
    memcpy(&scale_bits, &h->scale, sizeof scale_bits);
    put_u64(out + 40, scale_bits);
    memcpy(out + 48, h->source, strnlen(h->source, HB_TRACE_SOURCE_BYTES));
}

/* The ops encoded on disk are struct hb_op in little-endian order; on a
 * little-endian machine that is the struct's own layout. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "trace files are little-endian");

/* ------------------------------------------------------------------ */
/* Checking                                                             */
/* ------------------------------------------------------------------ */

#define FAIL(...) (snprintf(err, errcap, __VA_ARGS__), -1)

static int check_source(const unsigned char *s, char *err, size_t errcap)
{
    size_t i = 0;
    for (; i < HB_TRACE_SOURCE_BYTES && s[i]; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return FAIL("byte %zu: source name has byte 0x%02x, expected printable ASCII "
                        "padded with NUL", 48 + i, s[i]);
    for (; i < HB_TRACE_SOURCE_BYTES; i++)
        if (s[i])
            return FAIL("byte %zu: source name has byte 0x%02x after its end, expected NUL "
                        "padding", 48 + i, s[i]);
    return 0;
}

int hb_trace_decode_header(const unsigned char *b, uint64_t file_size, hb_trace_header *h,
                           char *err, size_t errcap)
{
    const uint64_t fixed = HB_TRACE_HEADER_BYTES + HB_TRACE_CHECKSUM_BYTES;
    if (file_size < fixed)
        return FAIL("byte %" PRIu64 ": file ends after %" PRIu64 " bytes, expected at least %"
                    PRIu64 " (header and checksum)", file_size, file_size, fixed);
    if (memcmp(b, HB_TRACE_MAGIC, sizeof HB_TRACE_MAGIC) != 0)
        return FAIL("byte 0: bad magic, expected \"HBTRACE\\0\" (not a heapbench trace)");
    memset(h, 0, sizeof *h);
    h->version = get_u32(b + 8);
    if (h->version != 1 && h->version != HB_TRACE_VERSION)
        return FAIL("byte 8: version %" PRIu32 ", expected 1 or %d", h->version, HB_TRACE_VERSION);
    h->kind = get_u32(b + 12);
    h->registers = get_u32(b + 16);
    h->flags = h->version >= 2 ? 0 : get_u32(b + 20);
    h->threads = h->version >= 2 ? get_u32(b + 20) : 1;
    h->ops = get_u64(b + 24);
    h->seed = get_u64(b + 32);
    uint64_t scale_bits = get_u64(b + 40);
    memcpy(&h->scale, &scale_bits, sizeof h->scale);
    memcpy(h->source, b + 48, HB_TRACE_SOURCE_BYTES);
    if (hb_trace_kind_name(h->kind) == NULL)
        return FAIL("byte 12: kind %" PRIu32 ", expected 1 (op stream) or 2 (allocator trace)",
                    h->kind);
    if (h->registers == 0 || h->registers > HB_TRACE_MAX_REGISTERS)
        return FAIL("byte 16: %" PRIu32 " registers, expected 1..%u", h->registers,
                    HB_TRACE_MAX_REGISTERS);
    if (h->flags != 0)
        return FAIL("byte 20: flags 0x%" PRIx32 ", expected 0", h->flags);
    if (h->threads == 0 || h->threads > HB_TRACE_MAX_THREADS)
        return FAIL("byte 20: %" PRIu32 " threads, expected 1..%d", h->threads,
                    HB_TRACE_MAX_THREADS);
    if (h->threads > 1 && h->kind != HB_TRACE_ALLOC)
        return FAIL("byte 20: %" PRIu32 " threads in an op stream, expected 1 (op streams run "
                    "on one thread)", h->threads);
    uint64_t body = file_size - fixed;
    if (body % sizeof(hb_op) != 0 || h->ops != body / sizeof(hb_op))
        return FAIL("byte 24: op count %" PRIu64 " does not match the file's %" PRIu64
                    " bytes, expected %" PRIu64 " + 16 x count (truncated or extended?)",
                    h->ops, file_size, fixed);
    if (!(h->scale >= 0 && h->scale <= 1e9))
        return FAIL("byte 40: scale %g, expected a number from 0 to 1e9", h->scale);
    return check_source(b + 48, err, errcap);
}

size_t hb_trace_check_ops(const hb_trace_header *h, const hb_op *ops, size_t n, uint64_t first,
                          char *err, size_t errcap)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = ops[i].code;
        uint64_t at = HB_TRACE_HEADER_BYTES + (first + i) * sizeof(hb_op);
        if (c == 0 || c >= HB_OP_COUNT) {
            snprintf(err, errcap, "byte %" PRIu64 ": op %" PRIu64 " has unknown code 0x%02x, "
                     "expected 1..%d", at, first + i, c, HB_OP_COUNT - 1);
            return i;
        }
        int alloc_op = c >= HB_OP_MALLOC && c <= HB_OP_REALLOC;
        /* TOUCH (writes into a block) belongs to both kinds */
        if (c != HB_OP_TOUCH && alloc_op != (h->kind == HB_TRACE_ALLOC)) {
            snprintf(err, errcap, "byte %" PRIu64 ": op %" PRIu64 " is %s, not allowed in an %s "
                     "(kind %" PRIu32 "), expected %s", at, first + i, hb_op_name(c),
                     hb_trace_kind_name(h->kind), h->kind,
                     alloc_op ? "NEW..PHASE" : "MALLOC, FREE, REALLOC or TOUCH");
            return i;
        }
        if (c == HB_OP_TOUCH && h->kind == HB_TRACE_ALLOC && ops[i].c > HB_TOUCH_MAX_WRITES) {
            snprintf(err, errcap, "byte %" PRIu64 ": op %" PRIu64 " is a TOUCH of %" PRIu32
                     " writes, expected at most %u in one op of an %s (split it)",
                     at, first + i, ops[i].c, HB_TOUCH_MAX_WRITES, hb_trace_kind_name(h->kind));
            return i;
        }
        uint32_t nthreads = h->threads ? h->threads : 1;
        if (ops[i].thread >= nthreads) {
            snprintf(err, errcap, "byte %" PRIu64 ": op %" PRIu64 " runs on thread %u, expected "
                     "a thread below the header's %" PRIu32, at + 3, first + i, ops[i].thread,
                     nthreads);
            return i;
        }
    }
    const char *why = NULL;
    size_t bad = hb_ops_validate(ops, n, h->registers, &why);
    if (bad < n)
        snprintf(err, errcap, "byte %" PRIu64 ": op %" PRIu64 " (%s a=%" PRIu32 " b=%" PRIu32
                 " c=%" PRIu32 "): %s (the header says %" PRIu32 " registers)",
                 HB_TRACE_HEADER_BYTES + (first + bad) * sizeof(hb_op), first + bad,
                 hb_op_name(ops[bad].code), ops[bad].a, ops[bad].b, ops[bad].c, why,
                 h->registers);
    return bad;
}

static int checksum_error(uint64_t at, uint64_t stored, uint64_t computed, char *err,
                          size_t errcap)
{
    return FAIL("byte %" PRIu64 ": checksum 0x%016" PRIx64 " does not match the content's "
                "0x%016" PRIx64 ", expected FNV-1a 64 of bytes 0..%" PRIu64 " (corrupt file)",
                at, stored, computed, at);
}

int hb_trace_check_buffer(const void *data, size_t size, hb_trace_header *h, char *err,
                          size_t errcap)
{
    const unsigned char *b = data;
    unsigned char hdr[HB_TRACE_HEADER_BYTES] = {0};
    memcpy(hdr, b, size < sizeof hdr ? size : sizeof hdr);
    if (hb_trace_decode_header(hdr, size, h, err, errcap) != 0)
        return -1;
    size_t body_end = size - HB_TRACE_CHECKSUM_BYTES;
    uint64_t sum = hb_fnv1a(HB_FNV_OFFSET, b, body_end);
    if (sum != get_u64(b + body_end))
        return checksum_error(body_end, get_u64(b + body_end), sum, err, errcap);
    hb_op ops[256];
    for (uint64_t i = 0; i < h->ops; i += 256) {
        size_t n = h->ops - i < 256 ? (size_t)(h->ops - i) : 256;
        memcpy(ops, b + HB_TRACE_HEADER_BYTES + i * sizeof(hb_op), n * sizeof(hb_op));
        if (hb_trace_check_ops(h, ops, n, i, err, errcap) != n)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */
/* ------------------------------------------------------------------ */

static ssize_t pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Checksum, then every op, reading the file in chunks. */
static int verify_body(hb_trace_file *t, uint64_t size, char *err, size_t errcap)
{
    enum { CHUNK = 4096 };
    static _Thread_local hb_op ops[CHUNK];
    uint64_t body_end = size - HB_TRACE_CHECKSUM_BYTES, sum = HB_FNV_OFFSET;
    unsigned char hdr[HB_TRACE_HEADER_BYTES], tail[8];
    if (pread_all(t->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr)
        return FAIL("byte 0: read error: %s", strerror(errno));
    sum = hb_fnv1a(sum, hdr, sizeof hdr);
    for (uint64_t i = 0; i < t->h.ops; i += CHUNK) {
        size_t n = t->h.ops - i < CHUNK ? (size_t)(t->h.ops - i) : CHUNK;
        if (hb_trace_read(t, i, ops, n) != (long)n)
            return FAIL("byte %" PRIu64 ": read error or file shrank", (uint64_t)64 + 16 * i);
        sum = hb_fnv1a(sum, ops, n * sizeof(hb_op));
    }
    if (pread_all(t->fd, tail, 8, body_end) != 8)
        return FAIL("byte %" PRIu64 ": read error or file shrank", body_end);
    if (sum != get_u64(tail))
        return checksum_error(body_end, get_u64(tail), sum, err, errcap);
    for (uint64_t i = 0; i < t->h.ops; i += CHUNK) {
        size_t n = t->h.ops - i < CHUNK ? (size_t)(t->h.ops - i) : CHUNK;
        if (hb_trace_read(t, i, ops, n) != (long)n)
            return FAIL("byte %" PRIu64 ": read error or file shrank", (uint64_t)64 + 16 * i);
        if (hb_trace_check_ops(&t->h, ops, n, i, err, errcap) != n)
            return -1;
    }
    return 0;
}

int hb_trace_open(hb_trace_file *t, const char *path, int verify, char *err, size_t errcap)
{
    char why[400];
    unsigned char hdr[HB_TRACE_HEADER_BYTES] = {0};
    struct stat st;
    t->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t->fd < 0)
        return FAIL("trace %s: cannot open: %s", path, strerror(errno));
    if (fstat(t->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        hb_trace_close(t);
        return FAIL("trace %s: not a regular file, expected a trace written by heapbench", path);
    }
    ssize_t got = pread_all(t->fd, hdr, sizeof hdr, 0);
    int rc = got < 0 ? (snprintf(why, sizeof why, "byte 0: read error: %s", strerror(errno)), -1)
                     : hb_trace_decode_header(hdr, (uint64_t)st.st_size, &t->h, why, sizeof why);
    if (rc == 0 && verify)
        rc = verify_body(t, (uint64_t)st.st_size, why, sizeof why);
    if (rc != 0) {
        hb_trace_close(t);
        return FAIL("trace %s: %s", path, why);
    }
    return 0;
}

long hb_trace_read(hb_trace_file *t, uint64_t first, hb_op *buf, size_t n)
{
    if (first >= t->h.ops)
        return 0;
    if (n > t->h.ops - first)
        n = (size_t)(t->h.ops - first);
    ssize_t got = pread_all(t->fd, buf, n * sizeof(hb_op), HB_TRACE_HEADER_BYTES + first * sizeof(hb_op));
    return got < 0 ? -1 : (long)((size_t)got / sizeof(hb_op));
}

void hb_trace_close(hb_trace_file *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */
/* ------------------------------------------------------------------ */

int hb_trace_create(hb_trace_writer *w, const char *path, const hb_trace_header *h)
{
    w->h = *h;
    w->h.version = HB_TRACE_VERSION;
    w->h.flags = 0;
    w->h.ops = 0;
    if (hb_atomic_open_fd(&w->a, path, NULL) != 0)
        return -1;
    unsigned char hdr[HB_TRACE_HEADER_BYTES];
    hb_trace_encode_header(&w->h, hdr); /* a placeholder until finish */
    if (hb_write_all(w->a.fd, hdr, sizeof hdr) != 0) {
        hb_trace_abandon(w);
        return -1;
    }
    return 0;
}

int hb_trace_append(hb_trace_writer *w, const hb_op *ops, size_t n)
{
    if (hb_write_all(w->a.fd, ops, n * sizeof(hb_op)) != 0)
        return -1;
    w->h.ops += n;
    return 0;
}

int hb_trace_finish(hb_trace_writer *w, uint32_t registers)
{
    unsigned char buf[16384];
    int fd = w->a.fd;
    w->h.registers = registers ? registers : 1;
    hb_trace_encode_header(&w->h, buf);
    if (pwrite(fd, buf, HB_TRACE_HEADER_BYTES, 0) != HB_TRACE_HEADER_BYTES)
        goto fail;
    uint64_t end = HB_TRACE_HEADER_BYTES + w->h.ops * sizeof(hb_op), sum = HB_FNV_OFFSET;
    for (uint64_t off = 0; off < end;) {
        size_t n = end - off < sizeof buf ? (size_t)(end - off) : sizeof buf;
        if (pread_all(fd, buf, n, off) != (ssize_t)n)
            goto fail;
        sum = hb_fnv1a(sum, buf, n);
        off += n;
    }
    put_u64(buf, sum);
    if (pwrite(fd, buf, 8, (off_t)end) != 8)
        goto fail;
    return hb_atomic_commit(&w->a, NULL); /* removes the file on failure */
fail:
    hb_trace_abandon(w);
    return -1;
}

void hb_trace_abandon(hb_trace_writer *w)
{
    hb_atomic_abort(&w->a); /* keeps errno */
}
