/*
 * harness/formats/trace.h -- formats layer: trace files: op streams saved to disk, and real
 * programs' allocation traces.
 *
 * Format, version 2 (all integers little-endian; version 1 is still read):
 *
 *   offset size  field
 *   0      8     magic "HBTRACE\0"
 *   8      4     version (2; 1 is read too)
 *   12     4     kind: 1 = op stream (NEW/SET/.../PHASE, for a collector),
 *                      2 = allocator trace (MALLOC/FREE/REALLOC only)
 *   16     4     registers the stream uses
 *   20     4     v2: threads the ops run on, 1..255 (an op's thread is below
 *                it); v1: flags (0), read as 1 thread
 *   24     8     op count N
 *   32     8     seed it was generated from (0 for recorded traces)
 *   40     8     scale, an IEEE-754 double (0 for recorded traces)
 *   48     16    source: workload or program name, NUL-padded
 *   64     16*N  the ops, each as struct hb_op: code, kind, flags, thread
 *                (u8 each), then a, b, c (u32 each); the ops are in one
 *                global order (the threads' interleaving), thread 0 in
 *                op streams and in every v1 file
 *   64+16N 8     checksum: FNV-1a 64 over every byte before it
 *
 * The same workload and seed give byte-identical files.
 */
#ifndef HB_TRACE_H
#define HB_TRACE_H

#include <stdint.h>

#define HB_TRACE_MAGIC "HBTRACE"
#define HB_TRACE_VERSION 2
#define HB_TRACE_MAX_THREADS 255
#define HB_TRACE_HEADER_BYTES 64

enum hb_trace_kind { HB_TRACE_OPS = 1, HB_TRACE_ALLOC = 2 };

#include <stddef.h>

#include "harness/core/hash.h"
#include "harness/core/ops.h"
#include "harness/formats/io.h"

#define HB_TRACE_CHECKSUM_BYTES 8
#define HB_TRACE_SOURCE_BYTES 16
/* More simultaneously used registers than this is taken for a corrupt header
 * (the register file is mapped whole: 8 bytes per register). */
#define HB_TRACE_MAX_REGISTERS (1u << 26)

/* A decoded header. */
typedef struct hb_trace_header {
    uint32_t version, kind, registers, flags;
    uint32_t threads; /* 1..HB_TRACE_MAX_THREADS (v1: 1); 0 when writing means 1 */
    uint64_t ops, seed;
    double scale;
    char source[HB_TRACE_SOURCE_BYTES + 1]; /* NUL-terminated */
} hb_trace_header;

/* The 64 header bytes of h (little-endian, source NUL-padded). */
void hb_trace_encode_header(const hb_trace_header *h, unsigned char out[HB_TRACE_HEADER_BYTES]);

/*
 * Checks the header b[0..64) of a file of file_size bytes: magic, version,
 * kind, registers (1..HB_TRACE_MAX_REGISTERS), flags, source, and that the op
 * count matches the size.  Returns 0 with *h filled, or -1 with "byte N:
 * what was wrong, expected what" in err.
 */
int hb_trace_decode_header(const unsigned char *b, uint64_t file_size, hb_trace_header *h,
                           char *err, size_t errcap);

/*
 * Checks ops[0..n), the trace's ops first..first+n, against the header:
 * codes allowed for its kind, then hb_ops_validate for its registers.
 * Returns n when all are good, else the index of the first bad one with
 * "byte N: op I ... " in err.
 */
size_t hb_trace_check_ops(const hb_trace_header *h, const hb_op *ops, size_t n, uint64_t first,
                          char *err, size_t errcap);

/* A whole trace in memory (fuzzer, tests): header, checksum, then every op.
 * 0, or -1 with err as above. */
int hb_trace_check_buffer(const void *data, size_t size, hb_trace_header *h, char *err,
                          size_t errcap);

/* ---- reading a file (ops stay on disk; chunks are read as needed) ---- */

typedef struct hb_trace_file {
    int fd;
    hb_trace_header h;
} hb_trace_file;

/*
 * Opens and checks a trace.  verify = 0 checks the header only; verify = 1
 * also reads the whole file to check the checksum and then every op, before
 * anything is replayed.  Returns 0, or -1 with "trace PATH: byte N: ..." in
 * err (the file is closed).
 */
int hb_trace_open(hb_trace_file *t, const char *path, int verify, char *err, size_t errcap);
/* Reads ops first..first+n into buf (n fewer at the end); returns the count
 * read, or -1 on a read error. */
long hb_trace_read(hb_trace_file *t, uint64_t first, hb_op *buf, size_t n);
void hb_trace_close(hb_trace_file *t);

/* ---- writing (no malloc: the recording preload library uses it too) ---- */

typedef struct hb_trace_writer {
    hb_atomic a;       /* a.fd: written at a.tmp, renamed to a.path when finished */
    hb_trace_header h; /* h.ops counts what was appended */
} hb_trace_writer;

/* Starts path (as path.tmp.PID) with header h (its ops and registers are
 * set by the writer).  0, or -1 with errno set. */
int hb_trace_create(hb_trace_writer *w, const char *path, const hb_trace_header *h);
/* Appends ops; 0, or -1 with errno set. */
int hb_trace_append(hb_trace_writer *w, const hb_op *ops, size_t n);
/* Writes the header with this register count, then the checksum, and
 * renames the file into place.  0, or -1 with errno set (file removed). */
int hb_trace_finish(hb_trace_writer *w, uint32_t registers);
/* Removes the unfinished file. */
void hb_trace_abandon(hb_trace_writer *w);

/* "op stream" or "allocator trace" for a kind, or NULL. */
const char *hb_trace_kind_name(uint32_t kind);

#endif
