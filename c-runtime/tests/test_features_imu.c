/* Unit tests of the IMU window statistics (features_imu.h), against references computed differently (naive formulas, in
 * double). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0xc2b2ae3d27d4eb4fULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/features_imu.h"

/* ---- IMU statistics ---- */

static void test_stats(void)
{
    float xyz[3 * 50], mag[50];
    tml_stats_t s;
    int32_t i, a, ok_mag = 1;
    for (i = 0; i < 50; i++) {
        xyz[3 * i] = (float)sin(0.7 * i) * 2.0f + 1.0f;
        xyz[3 * i + 1] = rng_float(-3.0f, 3.0f);
        xyz[3 * i + 2] = 9.81f;
    }
    for (a = 0; a < 3; a++) {
        double sum = 0.0, sq = 0.0, dev = 0.0, mean, lo = 1e30, hi = -1e30;
        int32_t crossings = 0;
        for (i = 0; i < 50; i++) {
            double v = (double)xyz[3 * i + a];
            sum += v;
            sq += v * v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        mean = sum / 50.0;
        for (i = 0; i < 50; i++) {
            dev += ((double)xyz[3 * i + a] - mean) * ((double)xyz[3 * i + a] - mean);
            if (i > 0 && (((double)xyz[3 * i + a] - mean >= 0.0) != ((double)xyz[3 * (i - 1) + a] - mean >= 0.0))) {
                crossings++;
            }
        }
        CHECK(tml_window_stats(xyz + a, 50, 3, &s) == TML_OK);
        CHECK(close_to(s.mean, mean, 1e-5));
        CHECK(fabs((double)s.std - sqrt(dev / 50.0)) < 1e-5 * (1.0 + fabs(mean)));
        CHECK(close_to(s.rms, sqrt(sq / 50.0), 1e-5));
        CHECK(s.min == (float)lo && s.max == (float)hi && s.peak_to_peak == (float)hi - (float)lo);
        if (a < 2) {
            CHECK(s.zero_crossings == crossings && crossings > 5);
        } else {
            CHECK(s.zero_crossings == 0 && s.std < 1e-5f); /* constant axis */
        }
    }
    /* zero crossings by hand: x - mean = -1, 1, 0, -2, 2 -> -,+,+,-,+ : 3 changes */
    {
        const float z[5] = {-1.0f, 1.0f, 0.0f, -2.0f, 2.0f};
        CHECK(tml_window_stats(z, 5, 1, &s) == TML_OK);
        CHECK(s.mean == 0.0f && s.zero_crossings == 3 && s.peak_to_peak == 4.0f && close_to(s.std, sqrt(2.0), 1e-6));
        CHECK(tml_window_stats(z, 1, 1, &s) == TML_OK && s.std == 0.0f && s.zero_crossings == 0);
    }
    CHECK(tml_window_stats(NULL, 50, 3, &s) == TML_E_NULL);
    CHECK(tml_window_stats(xyz, 50, 3, NULL) == TML_E_NULL);
    CHECK(tml_window_stats(xyz, 0, 3, &s) == TML_E_SIZE);
    CHECK(tml_window_stats(xyz, 50, 0, &s) == TML_E_SIZE);
    CHECK(tml_window_stats(xyz, 1 << 20, 1 << 12, &s) == TML_E_SIZE);

    CHECK(tml_magnitude(xyz, 50, mag) == TML_OK);
    for (i = 0; i < 50; i++) {
        double x = (double)xyz[3 * i], y = (double)xyz[3 * i + 1], z = (double)xyz[3 * i + 2];
        ok_mag &= close_to(mag[i], sqrt(x * x + y * y + z * z), 1e-6);
    }
    CHECK(ok_mag);
    {
        float v[6] = {3.0f, 4.0f, 0.0f, 1.0f, 2.0f, 2.0f};
        CHECK(tml_magnitude(v, 2, v) == TML_OK && v[0] == 5.0f && v[1] == 3.0f); /* in place */
    }
    CHECK(tml_magnitude(NULL, 50, mag) == TML_E_NULL);
    CHECK(tml_magnitude(xyz, 50, NULL) == TML_E_NULL);
    CHECK(tml_magnitude(xyz, 0, mag) == TML_E_SIZE);
    CHECK(tml_magnitude(xyz, INT32_MAX / 2, mag) == TML_E_SIZE);
}

int main(void)
{
    test_stats();
    return CHECK_REPORT("features_imu");
}
