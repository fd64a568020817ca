/*
 * The simulator's own PRNG: splitmix64 to seed, xoshiro256** to draw. Same seed,
 * same numbers on every platform (no libc rand(), no floating point in the core).
 */
#pragma once
#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

/* One splitmix64 step: also a good 64-bit hash for deriving per-VM seeds. */
uint64_t sim_rng_splitmix(uint64_t *x);
/* Seed from (seed, stream): stream i gives VM i its own sequence, so VM i's draws
 * do not depend on how many VMs the fleet has. */
void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, n); n = 0 gives 0. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* Uniform in [lo, hi] (inclusive). */
uint64_t sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi);
/* Uniform double in [0, 1) from the top 53 bits. */
double sim_rng_unit(struct sim_rng *r);
