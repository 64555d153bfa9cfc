/*
 * harness/core/clock.h -- base layer: the one clock every timing in the suite reads.
 *
 * CLOCK_MONOTONIC through the vDSO: about 20 ns a read where the kernel's
 * clocksource is the TSC.  Everything is in nanoseconds since an arbitrary
 * origin; the harness subtracts the run's start.
 */
#ifndef HB_CLOCK_H
#define HB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t hb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
