/*
 * harness/micro/gbench_shim.cc -- micro layer: the C API of harness/micro/gbench_shim.h over Google
 * Benchmark; the only C++ in the project.
 *
 * Each registered benchmark is a lambda that wraps the library's State in a
 * small hb_bench_state (which also counts the iterations handed out, so
 * that batches never overshoot) and calls the C function with its ctx.
 * Nothing here allocates or does work inside the timed loop except
 * KeepRunningBatch itself.  The C callbacks never throw.
 */
#include "harness/micro/gbench_shim.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

/* Invariant: done <= st->max_iterations; batch >= 1. */
struct hb_bench_state {
    benchmark::State *st;
    uint64_t done;  /* iterations handed out so far */
    uint64_t batch; /* largest batch to hand out */
};

static benchmark::internal::Benchmark *bench_of(hb_bench *b)
{
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}

extern "C" {

hb_bench *hb_bench_register(const char *name, hb_bench_fn fn, void *ctx)
{
    auto body = [fn, ctx](benchmark::State &st) {
        hb_bench_state s{&st, 0, HB_BENCH_BATCH};
        fn(&s, ctx);
    };
    return reinterpret_cast<hb_bench *>(benchmark::RegisterBenchmark(name, body));
}

void hb_bench_time_unit(hb_bench *b, char unit)
{
    benchmark::TimeUnit u = unit == 'u'   ? benchmark::kMicrosecond
                            : unit == 'm' ? benchmark::kMillisecond
                                          : benchmark::kNanosecond;
    bench_of(b)->Unit(u);
}

void hb_bench_fixed_iterations(hb_bench *b, uint64_t n)
{
    bench_of(b)->Iterations(static_cast<benchmark::IterationCount>(n));
}

/*
 * Asks the library for exactly min(batch, iterations left) more, so the
 * reported iteration count is exact.  When none are left, a request of 1
 * makes the library stop the timer and answer false.
 */
int hb_bench_next_batch(hb_bench_state *s, uint64_t *n)
{
    uint64_t max = static_cast<uint64_t>(s->st->max_iterations);
    uint64_t left = max - s->done;
    uint64_t k = left < s->batch ? left : s->batch;
    if (k == 0)
        k = 1;
    if (!s->st->KeepRunningBatch(static_cast<benchmark::IterationCount>(k))) {
        *n = 0;
        return 0;
    }
    s->done += k;
    *n = k;
    return 1;
}

void hb_bench_set_batch(hb_bench_state *s, uint64_t max)
{
    s->batch = max ? max : 1;
}

uint64_t hb_bench_iterations(const hb_bench_state *s)
{
    return static_cast<uint64_t>(s->st->iterations());
}

void hb_bench_pause(hb_bench_state *s)
{
    s->st->PauseTiming();
}

void hb_bench_resume(hb_bench_state *s)
{
    s->st->ResumeTiming();
}

void hb_bench_error(hb_bench_state *s, const char *msg)
{
    s->st->SkipWithError(msg);
}

void hb_bench_items_processed(hb_bench_state *s, uint64_t items)
{
    s->st->SetItemsProcessed(static_cast<int64_t>(items));
}

void hb_bench_bytes_processed(hb_bench_state *s, uint64_t bytes)
{
    s->st->SetBytesProcessed(static_cast<int64_t>(bytes));
}

void hb_bench_label(hb_bench_state *s, const char *label)
{
    s->st->SetLabel(label);
}

void hb_bench_counter(hb_bench_state *s, const char *name, double value, unsigned flags)
{
    int f = benchmark::Counter::kDefaults;
    if (flags & HB_COUNTER_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & HB_COUNTER_PER_ITER)
        f |= benchmark::Counter::kAvgIterations;
    if (flags & HB_COUNTER_INVERT)
        f |= benchmark::Counter::kInvert;
    s->st->counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

void hb_bench_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

int hb_bench_init(int *argc, char **argv)
{
    benchmark::Initialize(argc, argv);
    return benchmark::ReportUnrecognizedArguments(*argc, argv) ? -1 : 0;
}

uint64_t hb_bench_run(void)
{
    return static_cast<uint64_t>(benchmark::RunSpecifiedBenchmarks());
}

void hb_bench_shutdown(void)
{
    benchmark::Shutdown();
}

} /* extern "C" */
