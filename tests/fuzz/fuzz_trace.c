/*
 * tests/fuzz/fuzz_trace.c -- libFuzzer over the trace reader.
 *
 * The input is a whole trace file.  It is checked twice: as it is (a random
 * input almost never carries the right checksum, so this exercises the
 * header and checksum checks), and with its checksum recomputed, so that
 * the op checks are reached too.  A copy that passes is written to a memory
 * file and replayed through hb_run like any trace -- an op stream under a
 * collector with the reachability oracle, an allocator trace against a
 * heap -- on an allocator and collector picked from its bytes.  A crash, a
 * sanitizer report, a checker that disagrees with the replay's own per-chunk
 * checks (a "error" row from a trace the checker passed), or an oracle
 * violation is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness/run/run.h"
#include "harness/formats/trace.h"

static int check_row(void *arg, const hb_row *row)
{
    (void)arg;
    if (strcmp(row->status, "oracle") == 0 || strcmp(row->status, "error") == 0) {
        fprintf(stderr, "%s row on %s/%s from a trace that passed the checks\n", row->status,
                row->allocator, row->collector);
        abort();
    }
    return 0;
}

static void replay(const uint8_t *data, size_t size, const hb_trace_header *h)
{
    if (h->ops > 4096 || h->registers > 4096)
        return; /* keep each input fast */
    int fd = memfd_create("fuzz_trace", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    hb_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.alloc = al_backends[data[48] % 3]->name; /* pool, malloc, bump (from the source bytes) */
    cfg.coll = h->kind == HB_TRACE_OPS ? gc_strategies[data[49] % 3]->name : NULL;
    cfg.trace_path = path;
    cfg.reps = 1;
    cfg.oracle = 1;
    cfg.heap_limit_bytes = 64u << 20;
    cfg.gcfg.threshold[0] = 8;
    cfg.gcfg.min_heap_bytes = 4096;
    int rc = hb_run(&cfg, check_row, NULL, NULL);
    close(fd);
    if (rc == 2) {
        fprintf(stderr, "hb_run refused a trace that passed hb_trace_check_buffer\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hb_trace_header h;
    char err[600];
    hb_trace_check_buffer(data, size, &h, err, sizeof err);
    if (size < HB_TRACE_HEADER_BYTES + HB_TRACE_CHECKSUM_BYTES || size > (1u << 20))
        return 0;
    uint8_t *copy = malloc(size);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    uint64_t sum = hb_fnv1a(HB_FNV_OFFSET, copy, size - 8);
    for (int i = 0; i < 8; i++)
        copy[size - 8 + i] = (uint8_t)(sum >> (8 * i));
    if (hb_trace_check_buffer(copy, size, &h, err, sizeof err) == 0)
        replay(copy, size, &h);
    free(copy);
    return 0;
}
