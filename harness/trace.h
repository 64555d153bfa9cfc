/*
 * harness/trace.h -- trace files: op streams saved to disk, and real
 * programs' allocation traces.
 *
 * Format, version 1 (all integers little-endian):
 *
 *   offset size  field
 *   0      8     magic "HBTRACE\0"
 *   8      4     version (1)
 *   12     4     kind: 1 = op stream (NEW/SET/.../PHASE, for a collector),
 *                      2 = allocator trace (MALLOC/FREE/REALLOC only)
 *   16     4     registers the stream uses
 *   20     4     flags (0)
 *   24     8     op count N
 *   32     8     seed it was generated from (0 for recorded traces)
 *   40     8     scale, an IEEE-754 double (0 for recorded traces)
 *   48     16    source: workload or program name, NUL-padded
 *   64     16*N  the ops, each as struct hb_op: code, kind, flags, spare
 *                (u8 each), then a, b, c (u32 each)
 *   64+16N 8     checksum: FNV-1a 64 over every byte before it
 *
 * The same workload and seed give byte-identical files.
 */
#ifndef HB_TRACE_H
#define HB_TRACE_H

#include <stdint.h>

#define HB_TRACE_MAGIC "HBTRACE"
#define HB_TRACE_VERSION 1
#define HB_TRACE_HEADER_BYTES 64

enum hb_trace_kind { HB_TRACE_OPS = 1, HB_TRACE_ALLOC = 2 };

#endif
