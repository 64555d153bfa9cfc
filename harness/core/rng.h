/*
 * harness/core/rng.h -- base layer: the deterministic random numbers every generator uses.
 *
 * xoshiro256** seeded through splitmix64: the same seed gives the same
 * stream on every machine and compiler, so a workload and seed name one op
 * stream exactly.
 */
#ifndef HB_RNG_H
#define HB_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct hb_rng {
    uint64_t s[4];
} hb_rng;

static inline uint64_t hb_rotl_(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t hb_splitmix_(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline void hb_rng_seed(hb_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = hb_splitmix_(&seed);
}

static inline uint64_t hb_rng_next(hb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = hb_rotl_(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = hb_rotl_(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; bias < 2^-32). */
static inline uint64_t hb_rng_below(hb_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)hb_rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi], inclusive. */
static inline uint64_t hb_rng_range(hb_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + hb_rng_below(r, hi - lo + 1);
}

/* Uniform in [0, 1). */
static inline double hb_rng_unit(hb_rng *r)
{
    return (double)(hb_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Log-uniform in [lo, hi], lo >= 1. */
static inline uint64_t hb_rng_logu(hb_rng *r, uint64_t lo, uint64_t hi)
{
    double x = exp(log((double)lo) + hb_rng_unit(r) * (log((double)hi) - log((double)lo)));
    uint64_t v = (uint64_t)x;
    return v < lo ? lo : v > hi ? hi : v;
}

#endif
