/* Unit tests of the spectra (features_spectrum.h): FFT, windows, level, spectral shape, against references computed differently (naive formulas, in
 * double). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x9e3779b97f4a7c15ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/features_spectrum.h"

int32_t second_unit_fft_real(float *re, float *im, int32_t n);

static const double PI = 3.14159265358979323846;

/* ---- FFT ---- */

#define FFT_MAX_TEST 1024

static float fft_re[FFT_MAX_TEST], fft_im[FFT_MAX_TEST], sig[FFT_MAX_TEST], power[FFT_MAX_TEST / 2 + 1];

/* Naive DFT in double: largest |X_fft - X_dft| over the spectrum, relative to the largest |X|. */
static double fft_error(const float *x, int32_t n)
{
    double worst = 0.0, scale = 0.0;
    int32_t k, j;
    for (j = 0; j < n; j++) {
        fft_re[j] = x[j];
        fft_im[j] = 0.0f;
    }
    if (tml_fft_real(fft_re, fft_im, n) != TML_OK) {
        return 1e30;
    }
    for (k = 0; k < n; k++) {
        double sr = 0.0, si = 0.0, d;
        for (j = 0; j < n; j++) {
            double a = -2.0 * PI * (double)(((int64_t)k * j) % n) / (double)n;
            sr += (double)x[j] * cos(a);
            si += (double)x[j] * sin(a);
        }
        d = hypot((double)fft_re[k] - sr, (double)fft_im[k] - si);
        worst = d > worst ? d : worst;
        scale = hypot(sr, si) > scale ? hypot(sr, si) : scale;
    }
    return worst / (scale > 0.0 ? scale : 1.0);
}

static void test_fft(void)
{
    static const int32_t sizes[3] = {8, 64, 1024};
    int32_t s, j;
    for (s = 0; s < 3; s++) {
        int32_t n = sizes[s];
        double energy = 0.0, spectrum = 0.0;
        for (j = 0; j < n; j++) {
            sig[j] = rng_float(-1.0f, 1.0f);
        }
        CHECK(fft_error(sig, n) < 1e-5);
        /* Parseval: sum |x|^2 = (1/n) sum |X|^2 */
        for (j = 0; j < n; j++) {
            energy += (double)sig[j] * (double)sig[j];
            spectrum += (double)fft_re[j] * (double)fft_re[j] + (double)fft_im[j] * (double)fft_im[j];
        }
        CHECK(fabs(energy - spectrum / (double)n) < 1e-5 * energy);
        /* A sine at bin 3 plus an offset: energy only at bins 0, 3 and n-3. */
        for (j = 0; j < n; j++) {
            sig[j] = 0.25f + (float)sin(2.0 * PI * 3.0 * (double)j / (double)n);
        }
        CHECK(fft_error(sig, n) < 1e-5);
        CHECK(close_to(fft_re[0], 0.25 * n, 1e-5));
        CHECK(close_to(fft_im[3], -0.5 * n, 1e-5) && close_to(fft_im[n - 3], 0.5 * n, 1e-5));
        CHECK(fabsf(fft_re[1]) < 1e-4f * (float)n && fabsf(fft_im[1]) < 1e-4f * (float)n);
        /* Power spectrum: n/2 + 1 values, |X|^2 */
        CHECK(tml_power_spectrum(sig, n, fft_re, fft_im, power) == TML_OK);
        CHECK(close_to(power[3], 0.25 * n * n, 1e-5));
        CHECK(close_to(power[0], 0.0625 * n * n, 1e-5));
        CHECK(power[n / 2] < 1e-6f * (float)n * (float)n);
    }
    /* n = 2 by hand; the second unit runs the same code */
    fft_re[0] = 1.0f;
    fft_re[1] = 3.0f;
    fft_im[0] = fft_im[1] = 0.0f;
    CHECK(second_unit_fft_real(fft_re, fft_im, 2) == TML_OK);
    CHECK(fft_re[0] == 4.0f && fft_re[1] == -2.0f && fft_im[0] == 0.0f && fft_im[1] == 0.0f);
    /* argument checks */
    CHECK(tml_fft_real(NULL, fft_im, 8) == TML_E_NULL);
    CHECK(tml_fft_real(fft_re, NULL, 8) == TML_E_NULL);
    CHECK(tml_fft_real(fft_re, fft_im, 0) == TML_E_SIZE);
    CHECK(tml_fft_real(fft_re, fft_im, 1) == TML_E_SIZE);
    CHECK(tml_fft_real(fft_re, fft_im, 12) == TML_E_SIZE);
    CHECK(tml_fft_real(fft_re, fft_im, -8) == TML_E_SIZE);
    CHECK(tml_fft_real(fft_re, fft_im, 131072) == TML_E_SIZE);
    CHECK(tml_power_spectrum(NULL, 8, fft_re, fft_im, power) == TML_E_NULL);
    CHECK(tml_power_spectrum(sig, 8, NULL, fft_im, power) == TML_E_NULL);
    CHECK(tml_power_spectrum(sig, 8, fft_re, NULL, power) == TML_E_NULL);
    CHECK(tml_power_spectrum(sig, 8, fft_re, fft_im, NULL) == TML_E_NULL);
    CHECK(tml_power_spectrum(sig, 6, fft_re, fft_im, power) == TML_E_SIZE);
}

/* ---- windows and level ---- */

static void test_windows_and_level(void)
{
    float w[16];
    int32_t i, ok_hann = 1, ok_hamming = 1, ok_rect = 1;
    CHECK(tml_window(TML_WINDOW_HANN, w, 16) == TML_OK);
    for (i = 0; i < 16; i++) {
        ok_hann &= close_to(w[i], 0.5 - 0.5 * cos(2.0 * PI * i / 16.0), 1e-6);
    }
    CHECK(ok_hann);
    CHECK(w[0] == 0.0f && close_to(w[8], 1.0, 1e-7)); /* periodic: peak at n/2, no trailing zero */
    CHECK(tml_window(TML_WINDOW_HAMMING, w, 16) == TML_OK);
    for (i = 0; i < 16; i++) {
        ok_hamming &= close_to(w[i], 0.54 - 0.46 * cos(2.0 * PI * i / 16.0), 1e-6);
    }
    CHECK(ok_hamming);
    CHECK(tml_window(TML_WINDOW_RECT, w, 16) == TML_OK);
    for (i = 0; i < 16; i++) {
        ok_rect &= w[i] == 1.0f;
    }
    CHECK(ok_rect);
    CHECK(tml_window(TML_WINDOW_HANN, w, 1) == TML_OK && w[0] == 1.0f); /* as scipy */
    CHECK(tml_window(3, w, 16) == TML_E_KIND);
    CHECK(tml_window(-1, w, 16) == TML_E_KIND);
    CHECK(tml_window(TML_WINDOW_HANN, NULL, 16) == TML_E_NULL);
    CHECK(tml_window(TML_WINDOW_HANN, w, 0) == TML_E_SIZE);

    {
        const float x[4] = {1.0f, -1.0f, 3.0f, -3.0f};
        CHECK(close_to(tml_rms(x, 4), sqrt(5.0), 1e-6));
        CHECK(tml_rms(NULL, 4) == 0.0f && tml_rms(x, 0) == 0.0f);
    }
    CHECK(close_to(tml_db(100.0f, -120.0f), 20.0, 1e-6));
    CHECK(close_to(tml_db(1e-3f, -120.0f), -30.0, 1e-5));
    CHECK(tml_db(1e-20f, -120.0f) == -120.0f);
    CHECK(tml_db(0.0f, -80.0f) == -80.0f);
    CHECK(tml_db(-1.0f, -80.0f) == -80.0f);
    CHECK(tml_db(NAN, -80.0f) == -80.0f);
}

/* ---- spectral shape, band energies ---- */

static void test_spectral(void)
{
    float p[9], c, bw, ro, fl, bands[8];
    double tot = 0.0, wsum = 0.0, var = 0.0, cum = 0.0, lsum = 0.0, asum = 0.0, want_c, want_ro = -1.0;
    int32_t k;
    for (k = 0; k < 9; k++) {
        p[k] = rng_float(0.0f, 2.0f);
        tot += (double)p[k];
        wsum += 100.0 * k * (double)p[k];
    }
    want_c = wsum / tot;
    for (k = 0; k < 9; k++) {
        var += (100.0 * k - want_c) * (100.0 * k - want_c) * (double)p[k];
        cum += (double)p[k];
        if (want_ro < 0.0 && cum >= 0.85 * tot) {
            want_ro = 100.0 * k;
        }
        lsum += log((double)p[k] + 1e-10);
        asum += (double)p[k] + 1e-10;
    }
    CHECK(tml_spectral_features(p, 9, 100.0f, &c, &bw, &ro, &fl) == TML_OK);
    CHECK(close_to(c, want_c, 1e-5));
    CHECK(close_to(bw, sqrt(var / tot), 1e-5));
    CHECK(ro == (float)want_ro);
    CHECK(close_to(fl, exp(lsum / 9.0) / (asum / 9.0), 1e-5));
    /* A single peak: centroid there, no spread, roll-off there, flatness about 0. */
    memset(p, 0, sizeof p);
    p[3] = 4.0f;
    CHECK(tml_spectral_features(p, 9, 50.0f, &c, &bw, &ro, &fl) == TML_OK);
    CHECK(c == 150.0f && bw == 0.0f && ro == 150.0f && fl < 1e-6f);
    /* White: flatness 1, roll-off at the bin where 85 % is reached (8 bins: 7th, index 6). */
    for (k = 0; k < 8; k++) {
        p[k] = 1.0f;
    }
    CHECK(tml_spectral_features(p, 8, 10.0f, &c, &bw, &ro, &fl) == TML_OK);
    CHECK(close_to(c, 35.0, 1e-6) && close_to(fl, 1.0, 1e-5) && ro == 60.0f);
    memset(p, 0, sizeof p);
    c = bw = ro = fl = 7.0f;
    CHECK(tml_spectral_features(p, 9, 50.0f, &c, &bw, &ro, &fl) == TML_OK);
    CHECK(c == 0.0f && bw == 0.0f && ro == 0.0f && fl == 0.0f);
    CHECK(tml_spectral_features(NULL, 9, 50.0f, &c, &bw, &ro, &fl) == TML_E_NULL);
    CHECK(tml_spectral_features(p, 9, 50.0f, NULL, &bw, &ro, &fl) == TML_E_NULL);
    CHECK(tml_spectral_features(p, 9, 50.0f, &c, NULL, &ro, &fl) == TML_E_NULL);
    CHECK(tml_spectral_features(p, 9, 50.0f, &c, &bw, NULL, &fl) == TML_E_NULL);
    CHECK(tml_spectral_features(p, 9, 50.0f, &c, &bw, &ro, NULL) == TML_E_NULL);
    CHECK(tml_spectral_features(p, 0, 50.0f, &c, &bw, &ro, &fl) == TML_E_SIZE);
    CHECK(tml_spectral_features(p, 9, 0.0f, &c, &bw, &ro, &fl) == TML_E_SCALE);
    CHECK(tml_spectral_features(p, 9, NAN, &c, &bw, &ro, &fl) == TML_E_SCALE);
    p[2] = -1.0f;
    CHECK(tml_spectral_features(p, 9, 50.0f, &c, &bw, &ro, &fl) == TML_E_SCALE);
    p[2] = INFINITY;
    CHECK(tml_spectral_features(p, 9, 50.0f, &c, &bw, &ro, &fl) == TML_E_SCALE);

    /* Band energies: 9 bins -> bins 1..8, 3 bands: [1,3), [3,6), [6,9). */
    for (k = 0; k < 9; k++) {
        p[k] = (float)(1 << k);
    }
    CHECK(tml_band_energies(p, 9, 3, bands) == TML_OK);
    CHECK(bands[0] == 2.0f + 4.0f && bands[1] == 8.0f + 16.0f + 32.0f && bands[2] == 64.0f + 128.0f + 256.0f);
    CHECK(tml_band_energies(p, 9, 4, bands) == TML_OK);
    CHECK(bands[0] == 6.0f && bands[1] == 24.0f && bands[2] == 96.0f && bands[3] == 384.0f);
    CHECK(tml_band_energies(p, 9, 8, bands) == TML_OK && bands[0] == 2.0f); /* one bin each */
    CHECK(tml_band_energies(NULL, 9, 3, bands) == TML_E_NULL);
    CHECK(tml_band_energies(p, 9, 3, NULL) == TML_E_NULL);
    CHECK(tml_band_energies(p, 1, 1, bands) == TML_E_SIZE);
    CHECK(tml_band_energies(p, 9, 0, bands) == TML_E_SIZE);
    CHECK(tml_band_energies(p, 9, 9, bands) == TML_E_SIZE);
}

static float tw_table[FFT_MAX_TEST], tw_re[FFT_MAX_TEST], tw_im[FFT_MAX_TEST];

/* The FFT from a twiddle table gives the bits of the table-free one. */
static void test_twiddles_equal_direct(void)
{
    int32_t n, k, same = 1;
    for (n = 2; n <= FFT_MAX_TEST; n *= 2) {
        for (k = 0; k < n; k++) {
            fft_re[k] = tw_re[k] = rng_float(-1.0f, 1.0f);
            fft_im[k] = tw_im[k] = 0.0f;
        }
        CHECK(tml_fft_twiddles(n, tw_table) == TML_OK);
        CHECK(tml_fft_real(fft_re, fft_im, n) == TML_OK);
        CHECK(tml_fft_table(tw_re, tw_im, n, tw_table) == TML_OK);
        same &= memcmp(fft_re, tw_re, sizeof(float) * (size_t)n) == 0;
        same &= memcmp(fft_im, tw_im, sizeof(float) * (size_t)n) == 0;
    }
    CHECK(same);
    CHECK(tml_fft_twiddles(12, tw_table) == TML_E_SIZE);
    CHECK(tml_fft_twiddles(8, NULL) == TML_E_NULL);
    CHECK(tml_fft_table(tw_re, tw_im, 6, tw_table) == TML_E_SIZE);
}

int main(void)
{
    test_fft();
    test_windows_and_level();
    test_spectral();
    test_twiddles_equal_direct();
    return CHECK_REPORT("features_spectrum");
}
