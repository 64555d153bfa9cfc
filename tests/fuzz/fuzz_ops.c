/*
 * tests/fuzz/fuzz_ops.c -- libFuzzer over op streams.
 *
 * The input is the harness's own language: byte 0 picks the allocator,
 * byte 1 the collector, the rest is read as 16-byte ops, exactly as a trace
 * file's body.  The stream is validated like any other (an invalid op ends
 * it, as the run's status says); what is valid is replayed with the
 * reachability oracle checking every collection.  Any crash, sanitizer
 * report or oracle violation is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/run.h"

#define FUZZ_REGS 16

static const hb_op *fuzz_ops;
static size_t fuzz_nops;

static uint32_t fuzz_registers(const wl_params *p)
{
    (void)p;
    return FUZZ_REGS;
}

static int fuzz_generate(const wl_params *p, hb_sink *s)
{
    (void)p;
    for (size_t i = 0; i < fuzz_nops; i++)
        hb_emit(s, fuzz_ops[i]);
    return 0;
}

static const wl_workload fuzz_workload = {
    .name = "fuzz", .description = "libFuzzer input", .registers = fuzz_registers,
    .generate = fuzz_generate,
};

static int check_row(void *arg, const hb_row *row)
{
    (void)arg;
    /* "error" is a validation failure: fine, the stream was malformed. */
    if (strcmp(row->status, "oracle") == 0) {
        fprintf(stderr, "oracle violation on %s/%s\n", row->allocator, row->collector);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static hb_op ops[4096];
    fuzz_nops = (size - 2) / sizeof(hb_op);
    if (fuzz_nops > 4096)
        fuzz_nops = 4096;
    memcpy(ops, data + 2, fuzz_nops * sizeof(hb_op));
    fuzz_ops = ops;

    hb_run_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.alloc = al_backends[data[0] % 3]->name;    /* pool, malloc, bump */
    static const char *const colls[] = {"rc", "rc-cycle", "mark-sweep", "incremental", "gen-copy"};
    cfg.coll = colls[data[1] % 5];
    cfg.custom_work = &fuzz_workload;
    cfg.wp.scale = 1;
    cfg.reps = 1;
    cfg.oracle = 1;
    cfg.heap_limit_bytes = 64u << 20;
    cfg.gcfg.threshold[0] = 8;
    cfg.gcfg.min_heap_bytes = 4096;
    hb_run(&cfg, check_row, NULL, NULL);
    return 0;
}
