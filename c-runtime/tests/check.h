/* A minimal test harness: CHECK records a failure with its line and carries on. */
#ifndef TML_CHECK_H
#define TML_CHECK_H
#include <stdio.h>

static int check_passed = 0;
static int check_failed = 0;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (cond) {                                                             \
            check_passed++;                                                     \
        } else {                                                                \
            check_failed++;                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                       \
    } while (0)

/* Prints the binary's summary line, which tests/run_all.sh adds up into the one line
 * .ci/run reads; the exit code says whether all passed. */
#define CHECK_REPORT(suite)                                                            \
    (printf("%s: %d checks passed, %d failed\n", suite, check_passed, check_failed), \
     check_failed == 0 ? 0 : 1)

#ifdef CHECK_RNG_SEED
/* Deterministic pseudo-random numbers (a 64-bit LCG, high bits) and a float comparison, for a
 * test file that defines its own CHECK_RNG_SEED before including this header. */
#include <math.h>
#include <stdint.h>

static uint64_t rng_state = CHECK_RNG_SEED;

static inline uint32_t rng_u32(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 32);
}

static inline float rng_float(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rng_u32() >> 8) / 16777216.0f;
}

/* |got - want| <= tol * (1 + |want|): relative to want, absolute near 0; got is the runtime's float. */
static inline int close_to(float got, double want, double tol)
{
    return fabs((double)got - want) <= tol * (1.0 + fabs(want));
}
#endif

#endif
