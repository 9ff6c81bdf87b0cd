/* Unit tests of feature extraction and post-processing (features.h), against references
 * computed differently (naive formulas, in double). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x9e3779b97f4a7c15ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/features.h"

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

/* ---- mel filterbank, log-mel, DCT ---- */

static double ref_hz_to_mel(double f)
{
    return f >= 1000.0 ? 15.0 + log(f / 1000.0) / (log(6.4) / 27.0) : f * 3.0 / 200.0;
}

static double ref_mel_to_hz(double m)
{
    return m >= 15.0 ? 1000.0 * exp((log(6.4) / 27.0) * (m - 15.0)) : m * 200.0 / 3.0;
}

#define MEL_N_FFT 512
#define MEL_BINS (MEL_N_FFT / 2 + 1)
#define MEL_N 40
static float mel_w[MEL_N * MEL_BINS];

/* librosa.filters.mel(htk=False, norm='slaney') in double; largest error relative to the
 * largest weight. */
static double mel_error(int32_t n_fft, double sr, int32_t n_mels, double fmin, double fmax, const float *w)
{
    double edges[MEL_N + 2], worst = 0.0, top = 0.0;
    double lo = ref_hz_to_mel(fmin), hi = ref_hz_to_mel(fmax);
    int32_t m, k, n_bins = n_fft / 2 + 1;
    for (m = 0; m < n_mels + 2; m++) {
        edges[m] = ref_mel_to_hz(lo + (hi - lo) * m / (n_mels + 1));
    }
    for (m = 0; m < n_mels; m++) {
        for (k = 0; k < n_bins; k++) {
            double f = k * sr / n_fft;
            double lower = (f - edges[m]) / (edges[m + 1] - edges[m]);
            double upper = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
            double v = lower < upper ? lower : upper;
            double d;
            v = (v > 0.0 ? v : 0.0) * 2.0 / (edges[m + 2] - edges[m]);
            d = fabs((double)w[m * n_bins + k] - v);
            worst = d > worst ? d : worst;
            top = v > top ? v : top;
        }
    }
    return worst / top;
}

static void test_mel(void)
{
    float mel[MEL_N], logmel[MEL_N], spec[MEL_BINS];
    int32_t m, k, all_rows_nonzero = 1;
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, 0.0f, 8000.0f, mel_w) == TML_OK);
    CHECK(mel_error(MEL_N_FFT, 16000.0, MEL_N, 0.0, 8000.0, mel_w) < 1e-4);
    for (m = 0; m < MEL_N; m++) {
        float row = 0.0f;
        for (k = 0; k < MEL_BINS; k++) {
            row += mel_w[m * MEL_BINS + k];
        }
        all_rows_nonzero &= row > 0.0f;
    }
    CHECK(all_rows_nonzero);
    /* By hand: the lowest edges lie in the linear part, e1 = (200/3) mel_hi / 41 and e2 = 2 e1,
     * mel_hi = 15 + log(8) / (log(6.4) / 27); bin 1 (31.25 Hz) is on filter 0's rising side. */
    {
        double e1 = 200.0 / 3.0 * (15.0 + log(8.0) / (log(6.4) / 27.0)) / 41.0;
        CHECK(close_to(mel_w[1], 31.25 / e1 * 2.0 / (2.0 * e1), 1e-5));
        CHECK(mel_w[0] == 0.0f);
    }
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, 300.0f, 6000.0f, mel_w) == TML_OK);
    CHECK(mel_error(MEL_N_FFT, 16000.0, MEL_N, 300.0, 6000.0, mel_w) < 1e-4);
    CHECK(mel_w[0] == 0.0f && mel_w[MEL_BINS - 1] == 0.0f); /* nothing below 300 Hz or above 6 kHz */
    CHECK(tml_mel_filterbank(400, 8000.0f, 20, 20.0f, 4000.0f, mel_w) == TML_OK); /* n_fft not 2^k */
    CHECK(mel_error(400, 8000.0, 20, 20.0, 4000.0, mel_w) < 1e-4);

    /* mel power: a flat spectrum of 2 gives 2 * row sums */
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, 0.0f, 8000.0f, mel_w) == TML_OK);
    for (k = 0; k < MEL_BINS; k++) {
        spec[k] = (float)(k % 7) * 0.5f;
    }
    CHECK(tml_mel_power(mel_w, MEL_N, MEL_BINS, spec, mel) == TML_OK);
    {
        int ok = 1;
        for (m = 0; m < MEL_N; m++) {
            double want = 0.0;
            for (k = 0; k < MEL_BINS; k++) {
                want += (double)mel_w[m * MEL_BINS + k] * (double)spec[k];
            }
            ok &= close_to(mel[m], want, 1e-5);
        }
        CHECK(ok);
    }
    mel[0] = 0.0f;
    mel[1] = 1e-12f;
    mel[2] = 10.0f;
    CHECK(tml_log_mel(mel, 3, 1e-10f, logmel) == TML_OK);
    CHECK(close_to(logmel[0], -100.0, 1e-6) && close_to(logmel[1], -100.0, 1e-6) && close_to(logmel[2], 10.0, 1e-6));
    CHECK(tml_log_mel(mel, 3, 1e-10f, mel) == TML_OK && close_to(mel[2], 10.0, 1e-6)); /* in place */

    /* argument checks */
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, 0.0f, 8000.0f, NULL) == TML_E_NULL);
    CHECK(tml_mel_filterbank(1, 16000.0f, MEL_N, 0.0f, 8000.0f, mel_w) == TML_E_SIZE);
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, 0, 0.0f, 8000.0f, mel_w) == TML_E_SIZE);
    CHECK(tml_mel_filterbank(INT32_MAX, 16000.0f, 40, 0.0f, 8000.0f, mel_w) == TML_E_SIZE);
    CHECK(tml_mel_filterbank(MEL_N_FFT, 0.0f, MEL_N, 0.0f, 8000.0f, mel_w) == TML_E_SCALE);
    CHECK(tml_mel_filterbank(MEL_N_FFT, INFINITY, MEL_N, 0.0f, 8000.0f, mel_w) == TML_E_SCALE);
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, -1.0f, 8000.0f, mel_w) == TML_E_SCALE);
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, 8000.0f, 8000.0f, mel_w) == TML_E_SCALE);
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, 0.0f, NAN, mel_w) == TML_E_SCALE);
    CHECK(tml_mel_filterbank(MEL_N_FFT, 16000.0f, MEL_N, 1000.0f, 1000.001f, mel_w) == TML_E_SCALE);
    CHECK(tml_mel_power(NULL, MEL_N, MEL_BINS, spec, mel) == TML_E_NULL);
    CHECK(tml_mel_power(mel_w, MEL_N, MEL_BINS, NULL, mel) == TML_E_NULL);
    CHECK(tml_mel_power(mel_w, MEL_N, MEL_BINS, spec, NULL) == TML_E_NULL);
    CHECK(tml_mel_power(mel_w, 0, MEL_BINS, spec, mel) == TML_E_SIZE);
    CHECK(tml_mel_power(mel_w, MEL_N, 0, spec, mel) == TML_E_SIZE);
    CHECK(tml_mel_power(mel_w, 65536, 65536, spec, mel) == TML_E_SIZE);
    CHECK(tml_log_mel(NULL, 3, 1e-10f, logmel) == TML_E_NULL);
    CHECK(tml_log_mel(mel, 3, 1e-10f, NULL) == TML_E_NULL);
    CHECK(tml_log_mel(mel, 0, 1e-10f, logmel) == TML_E_SIZE);
    CHECK(tml_log_mel(mel, 3, 0.0f, logmel) == TML_E_SCALE);
    CHECK(tml_log_mel(mel, 3, INFINITY, logmel) == TML_E_SCALE);
}

static void test_dct(void)
{
    float x[40], out[40];
    int32_t k, j, ok = 1;
    double energy = 0.0, coef_energy = 0.0;
    for (j = 0; j < 40; j++) {
        x[j] = rng_float(-50.0f, 10.0f);
        energy += (double)x[j] * (double)x[j];
    }
    CHECK(tml_dct2_ortho(x, 40, out, 13) == TML_OK);
    for (k = 0; k < 13; k++) {
        double sum = 0.0, s = k == 0 ? sqrt(1.0 / 40.0) : sqrt(2.0 / 40.0);
        for (j = 0; j < 40; j++) {
            sum += (double)x[j] * cos(PI * k * (2.0 * j + 1.0) / 80.0);
        }
        ok &= fabs((double)out[k] - s * sum) < 1e-4 * sqrt(energy);
    }
    CHECK(ok);
    /* Orthonormal: all 40 coefficients keep the energy. */
    CHECK(tml_dct2_ortho(x, 40, out, 40) == TML_OK);
    for (k = 0; k < 40; k++) {
        coef_energy += (double)out[k] * (double)out[k];
    }
    CHECK(fabs(coef_energy - energy) < 1e-5 * energy);
    /* A constant: only coefficient 0, sqrt(n) * c */
    for (j = 0; j < 8; j++) {
        x[j] = 2.0f;
    }
    CHECK(tml_dct2_ortho(x, 8, out, 4) == TML_OK);
    CHECK(close_to(out[0], 2.0 * sqrt(8.0), 1e-6) && fabsf(out[1]) < 1e-5f && fabsf(out[3]) < 1e-5f);
    CHECK(tml_dct2_ortho(NULL, 8, out, 4) == TML_E_NULL);
    CHECK(tml_dct2_ortho(x, 8, NULL, 4) == TML_E_NULL);
    CHECK(tml_dct2_ortho(x, 0, out, 1) == TML_E_SIZE);
    CHECK(tml_dct2_ortho(x, 8, out, 0) == TML_E_SIZE);
    CHECK(tml_dct2_ortho(x, 8, out, 9) == TML_E_SIZE);
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

/* ---- framer ---- */

static void test_framer(void)
{
    tml_framer_t f;
    float ring[8], frame[8];
    int32_t i, j, frames = 0, times_ok = 1, contents_ok = 1;
    CHECK(tml_framer_init(&f, 8, 3) == TML_OK);
    for (i = 0; i < 30; i++) {
        int r = tml_framer_push(&f, ring, 8, (float)i, frame);
        /* due after samples 7, 10, 13, ..., 28 */
        int due = i >= 7 && (i - 7) % 3 == 0;
        times_ok &= r == due;
        if (r == 1) {
            frames++;
            for (j = 0; j < 8; j++) {
                contents_ok &= frame[j] == (float)(i - 7 + j);
            }
        }
    }
    CHECK(times_ok);
    CHECK(contents_ok);
    CHECK(frames == 8);
    /* hop 1, window 1: every sample is a frame */
    CHECK(tml_framer_init(&f, 1, 1) == TML_OK);
    CHECK(tml_framer_push(&f, ring, 1, 5.0f, frame) == 1 && frame[0] == 5.0f);
    CHECK(tml_framer_push(&f, ring, 1, 6.0f, frame) == 1 && frame[0] == 6.0f);
    /* hop > window: windows skip samples */
    CHECK(tml_framer_init(&f, 2, 5) == TML_OK);
    {
        int32_t emitted[12], ok = 1;
        for (i = 0; i < 12; i++) {
            emitted[i] = tml_framer_push(&f, ring, 2, (float)i, frame);
            if (emitted[i] == 1) {
                ok &= frame[0] == (float)(i - 1) && frame[1] == (float)i;
            }
        }
        CHECK(ok && emitted[1] == 1 && emitted[6] == 1 && emitted[11] == 1 && emitted[5] == 0);
    }
    CHECK(tml_framer_init(NULL, 8, 3) == TML_E_NULL);
    CHECK(tml_framer_init(&f, 0, 3) == TML_E_SIZE);
    CHECK(tml_framer_init(&f, 8, 0) == TML_E_SIZE);
    CHECK(tml_framer_init(&f, 8, 3) == TML_OK);
    CHECK(tml_framer_push(NULL, ring, 8, 0.0f, frame) == TML_E_NULL);
    CHECK(tml_framer_push(&f, NULL, 8, 0.0f, frame) == TML_E_NULL);
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, NULL) == TML_E_NULL);
    CHECK(tml_framer_push(&f, ring, 7, 0.0f, frame) == TML_E_SIZE);
    f.filled = 16; /* corrupted: would index past the ring */
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, frame) == TML_E_SIZE);
    f.filled = 0;
    f.since_emit = 3;
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, frame) == TML_E_SIZE);
    f.since_emit = 0;
    f.hop = 0;
    CHECK(tml_framer_push(&f, ring, 8, 0.0f, frame) == TML_E_SIZE);
}

/* ---- post-processing ---- */

static void test_median_and_average(void)
{
    float x[37], out[37], scratch[9], sorted[9];
    int32_t ks[4] = {1, 3, 5, 9};
    int32_t t, i, j, ok = 1;
    for (i = 0; i < 37; i++) {
        x[i] = (float)(rng_u32() % 11); /* repeated values: ties */
    }
    for (t = 0; t < 4; t++) {
        int32_t k = ks[t];
        CHECK(tml_median_filter(x, 37, k, scratch, out) == TML_OK);
        for (i = 0; i < 37; i++) {
            /* brute force: gather with edge repetition, selection sort */
            int32_t a, b;
            for (j = 0; j < k; j++) {
                int32_t at = i - k / 2 + j;
                sorted[j] = x[at < 0 ? 0 : (at > 36 ? 36 : at)];
            }
            for (a = 0; a < k; a++) {
                for (b = a + 1; b < k; b++) {
                    if (sorted[b] < sorted[a]) {
                        float tmp = sorted[a];
                        sorted[a] = sorted[b];
                        sorted[b] = tmp;
                    }
                }
            }
            ok &= out[i] == sorted[k / 2];
        }
    }
    CHECK(ok);
    {
        const float spike[5] = {1.0f, 1.0f, 9.0f, 1.0f, 1.0f};
        const float edge[3] = {5.0f, 0.0f, 0.0f};
        CHECK(tml_median_filter(spike, 5, 3, scratch, out) == TML_OK && out[2] == 1.0f);
        /* nearest: [5,5,0] -> 5 at the left edge, [5,0,0] -> 0 */
        CHECK(tml_median_filter(edge, 3, 3, scratch, out) == TML_OK && out[0] == 5.0f && out[1] == 0.0f);
        CHECK(tml_median_filter(edge, 3, 9, scratch, out) == TML_OK); /* k > n is fine */
    }
    CHECK(tml_median_filter(NULL, 37, 3, scratch, out) == TML_E_NULL);
    CHECK(tml_median_filter(x, 37, 3, NULL, out) == TML_E_NULL);
    CHECK(tml_median_filter(x, 37, 3, scratch, NULL) == TML_E_NULL);
    CHECK(tml_median_filter(x, 0, 3, scratch, out) == TML_E_SIZE);
    CHECK(tml_median_filter(x, 37, 4, scratch, out) == TML_E_SIZE);
    CHECK(tml_median_filter(x, 37, 0, scratch, out) == TML_E_SIZE);
    CHECK(tml_median_filter(x, 37, -3, scratch, out) == TML_E_SIZE);

    for (t = 1; t <= 5; t++) {
        ok = 1;
        for (i = 0; i < 37; i++) {
            x[i] = rng_float(-10.0f, 10.0f);
        }
        CHECK(tml_moving_average(x, 37, t, out) == TML_OK);
        for (i = 0; i < 37; i++) {
            double sum = 0.0;
            int32_t first = i - t + 1 < 0 ? 0 : i - t + 1;
            for (j = first; j <= i; j++) {
                sum += (double)x[j];
            }
            ok &= fabs((double)out[i] - sum / (i - first + 1)) < 1e-5;
        }
        CHECK(ok);
    }
    CHECK(tml_moving_average(NULL, 37, 3, out) == TML_E_NULL);
    CHECK(tml_moving_average(x, 37, 3, NULL) == TML_E_NULL);
    CHECK(tml_moving_average(x, 0, 3, out) == TML_E_SIZE);
    CHECK(tml_moving_average(x, 37, 0, out) == TML_E_SIZE);
}

static void test_hysteresis_events_vote(void)
{
    const float x[12] = {0.1f, 0.8f, 0.6f, 0.4f, 0.2f, 0.7f, 0.5f, 0.9f, 0.2f, 0.1f, 0.75f, 0.6f};
    const int32_t want[12] = {0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1};
    int32_t state[12], onset[4], offset[4], i, ok = 1;
    CHECK(tml_hysteresis(x, 12, 0.7f, 0.3f, state) == TML_OK);
    for (i = 0; i < 12; i++) {
        ok &= state[i] == want[i];
    }
    CHECK(ok);
    CHECK(tml_hysteresis(x, 12, 0.5f, 0.5f, state) == TML_OK && state[6] == 1 && state[3] == 0); /* on == off */
    CHECK(tml_hysteresis(NULL, 12, 0.7f, 0.3f, state) == TML_E_NULL);
    CHECK(tml_hysteresis(x, 12, 0.7f, 0.3f, NULL) == TML_E_NULL);
    CHECK(tml_hysteresis(x, 0, 0.7f, 0.3f, state) == TML_E_SIZE);
    CHECK(tml_hysteresis(x, 12, 0.3f, 0.7f, state) == TML_E_SCALE);
    CHECK(tml_hysteresis(x, 12, NAN, 0.3f, state) == TML_E_SCALE);

    /* runs: [1,4) len 3, [5,8) len 3, [10,12) len 2 reaching the end */
    CHECK(tml_events(want, 12, 1, onset, offset, 4) == 3);
    CHECK(onset[0] == 1 && offset[0] == 4 && onset[1] == 5 && offset[1] == 8 && onset[2] == 10 && offset[2] == 12);
    CHECK(tml_events(want, 12, 3, onset, offset, 4) == 2 && onset[1] == 5 && offset[1] == 8);
    CHECK(tml_events(want, 12, 4, onset, offset, 4) == 0);
    CHECK(tml_events(want, 12, 2, onset, offset, 2) == TML_E_SIZE && onset[1] == 5);
    CHECK(tml_events(want, 12, 2, NULL, NULL, 0) == TML_E_SIZE);
    CHECK(tml_events(want, 12, 4, NULL, NULL, 0) == 0);
    {
        const int32_t all_on[3] = {1, 1, 1};
        CHECK(tml_events(all_on, 3, 0, onset, offset, 1) == 1 && onset[0] == 0 && offset[0] == 3);
    }
    CHECK(tml_events(NULL, 12, 1, onset, offset, 4) == TML_E_NULL);
    CHECK(tml_events(want, 12, 1, NULL, offset, 4) == TML_E_NULL);
    CHECK(tml_events(want, 12, 1, onset, NULL, 4) == TML_E_NULL);
    CHECK(tml_events(want, 0, 1, onset, offset, 4) == TML_E_SIZE);
    CHECK(tml_events(want, 12, -1, onset, offset, 4) == TML_E_SIZE);
    CHECK(tml_events(want, 12, 1, onset, offset, -1) == TML_E_SIZE);

    {
        const int32_t labels[7] = {2, 1, 2, 1, 0, 3, 3};
        const int32_t bad[2] = {0, 4};
        int32_t counts[4];
        CHECK(tml_majority_vote(labels, 7, 4, counts) == 1); /* 1, 2, 3 tie at 2: lowest */
        CHECK(counts[0] == 1 && counts[1] == 2 && counts[2] == 2 && counts[3] == 2);
        CHECK(tml_majority_vote(labels, 3, 4, counts) == 2);
        CHECK(tml_majority_vote(labels + 4, 1, 4, counts) == 0);
        CHECK(tml_majority_vote(bad, 2, 4, counts) == TML_E_KIND);
        CHECK(tml_majority_vote(NULL, 7, 4, counts) == TML_E_NULL);
        CHECK(tml_majority_vote(labels, 7, 4, NULL) == TML_E_NULL);
        CHECK(tml_majority_vote(labels, 0, 4, counts) == TML_E_SIZE);
        CHECK(tml_majority_vote(labels, 7, 0, counts) == TML_E_SIZE);
    }
}

/* ---- tables for a device: twiddles, sparse filterbank, DCT cosines, tml_logmel_t ---- */

static float tw_table[FFT_MAX_TEST], tw_re[FFT_MAX_TEST], tw_im[FFT_MAX_TEST];

/* Each table gives the bits of the table-free function it replaces. */
static void test_tables_equal_direct(void)
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
    {
        /* DCT: table and direct agree bit for bit, also for lengths whose angles wrap (4n). */
        static float x[64], direct[64], tabled[64], cosines[64 * 64];
        int32_t len, n_out;
        same = 1;
        for (len = 1; len <= 64; len += 7) {
            for (k = 0; k < len; k++) {
                x[k] = rng_float(-80.0f, 10.0f);
            }
            n_out = len < 13 ? len : 13;
            CHECK(tml_dct2_table(len, n_out, cosines) == TML_OK);
            CHECK(tml_dct2_ortho(x, len, direct, n_out) == TML_OK);
            CHECK(tml_dct2_ortho_table(x, len, cosines, tabled, n_out) == TML_OK);
            same &= memcmp(direct, tabled, sizeof(float) * (size_t)n_out) == 0;
        }
        CHECK(same);
        CHECK(tml_dct2_table(8, 9, cosines) == TML_E_SIZE);
        CHECK(tml_dct2_ortho_table(x, 8, NULL, tabled, 4) == TML_E_NULL);
    }
}

#define LM_FFT 256
#define LM_BINS (LM_FFT / 2 + 1)
#define LM_MELS 24
#define LM_MFCC 10
static float lm_dense[LM_MELS * LM_BINS], lm_weights[LM_MELS * LM_BINS], lm_window[LM_FFT], lm_twiddles[LM_FFT];
static float lm_dct[LM_MFCC * LM_MELS], lm_scratch[TML_LOGMEL_SCRATCH(LM_FFT, LM_MELS)];
static uint16_t lm_first[LM_MELS], lm_count[LM_MELS];

/* The log-mel extractor with tables against the table-free functions step by step. */
static void test_logmel_stage(void)
{
    static float clip[LM_FFT * 4], spec_re[LM_FFT], spec_im[LM_FFT], spec[LM_BINS], mel[LM_MELS];
    static float want[LM_MELS], got[16 * LM_MELS], mfcc_want[LM_MFCC];
    int32_t n_stored = -1, k, f, same_mel = 1, same_frames = 1;
    tml_logmel_t c;
    CHECK(tml_mel_filterbank(LM_FFT, 16000.0f, LM_MELS, 50.0f, 7000.0f, lm_dense) == TML_OK);
    CHECK(tml_mel_sparsify(lm_dense, LM_MELS, LM_BINS, lm_first, lm_count, lm_weights, LM_MELS * LM_BINS,
                           &n_stored) == TML_OK);
    CHECK(n_stored > LM_MELS && n_stored < LM_MELS * LM_BINS / 4); /* triangles: a few bins each */
    CHECK(tml_mel_sparsify(lm_dense, LM_MELS, LM_BINS, lm_first, lm_count, lm_weights, n_stored - 1,
                           &n_stored) == TML_E_SIZE);
    CHECK(tml_mel_sparsify(lm_dense, LM_MELS, LM_BINS, lm_first, lm_count, lm_weights, LM_MELS * LM_BINS,
                           &n_stored) == TML_OK);
    CHECK(tml_window(TML_WINDOW_HANN, lm_window, LM_FFT) == TML_OK);
    CHECK(tml_fft_twiddles(LM_FFT, lm_twiddles) == TML_OK);
    CHECK(tml_dct2_table(LM_MELS, LM_MFCC, lm_dct) == TML_OK);
    c.n_fft = LM_FFT;
    c.window = lm_window;
    c.twiddles = lm_twiddles;
    c.mel.n_mels = LM_MELS;
    c.mel.n_bins = LM_BINS;
    c.mel.n_stored = n_stored;
    c.mel.first_bin = lm_first;
    c.mel.n_weights = lm_count;
    c.mel.weights = lm_weights;
    c.amin = 1e-10f;
    c.n_mfcc = 0;
    c.dct = NULL;
    CHECK(tml_logmel_validate(&c) == TML_OK);
    CHECK(tml_logmel_width(&c) == LM_MELS);
    for (k = 0; k < LM_FFT * 4; k++) { /* a chirp in noise, silent for the first 40 samples */
        float t = (float)k / 16000.0f;
        clip[k] = k < 40 ? 0.0f : 0.5f * sinf(6.2831853f * (300.0f + 20000.0f * t) * t) + rng_float(-0.05f, 0.05f);
    }
    /* hop 100: frames 0..7 of a 1024-sample clip (1 + (1024 - 256) / 100 = 8) */
    CHECK(tml_logmel_frames(LM_FFT * 4, LM_FFT, 100) == 8);
    CHECK(tml_logmel_clip(&c, clip, LM_FFT * 4, 100, lm_scratch, got) == TML_OK);
    for (f = 0; f < 8; f++) {
        for (k = 0; k < LM_FFT; k++) {
            spec_re[k] = clip[f * 100 + k] * lm_window[k];
            spec_im[k] = 0.0f;
        }
        tml_fft_real(spec_re, spec_im, LM_FFT);
        for (k = 0; k < LM_BINS; k++) {
            spec[k] = spec_re[k] * spec_re[k] + spec_im[k] * spec_im[k];
        }
        tml_mel_power(lm_dense, LM_MELS, LM_BINS, spec, mel);
        tml_log_mel(mel, LM_MELS, 1e-10f, want);
        same_frames &= memcmp(want, got + f * LM_MELS, sizeof want) == 0;
        if (f == 3) { /* MFCCs of one frame: the table path against the direct DCT */
            float mfcc_got[LM_MFCC];
            c.n_mfcc = LM_MFCC;
            c.dct = lm_dct;
            CHECK(tml_logmel_frame(&c, clip + f * 100, lm_scratch, mfcc_got) == TML_OK);
            tml_dct2_ortho(want, LM_MELS, mfcc_want, LM_MFCC);
            CHECK(memcmp(mfcc_got, mfcc_want, sizeof mfcc_want) == 0);
            c.n_mfcc = 0;
        }
    }
    CHECK(same_frames);
    for (k = 0; k < LM_BINS; k++) {
        spec[k] = rng_float(0.0f, 3.0f);
    }
    {
        float dense_mel[LM_MELS];
        tml_mel_power(lm_dense, LM_MELS, LM_BINS, spec, dense_mel);
        tml_mel_power_sparse(&c.mel, spec, mel);
        same_mel = memcmp(dense_mel, mel, sizeof mel) == 0;
    }
    CHECK(same_mel);
    /* Errors: every malformed size or pointer is refused before anything is read. */
    CHECK(tml_logmel_clip(&c, clip, LM_FFT - 1, 100, lm_scratch, got) == TML_E_SIZE);
    CHECK(tml_logmel_clip(&c, clip, LM_FFT * 4, 0, lm_scratch, got) == TML_E_SIZE);
    CHECK(tml_logmel_clip(&c, NULL, LM_FFT * 4, 100, lm_scratch, got) == TML_E_NULL);
    c.mel.n_stored = n_stored + 1;
    CHECK(tml_logmel_validate(&c) == TML_E_SIZE);
    c.mel.n_stored = n_stored;
    lm_first[LM_MELS - 1] = (uint16_t)(LM_BINS - lm_count[LM_MELS - 1] + 1); /* runs past the spectrum */
    CHECK(tml_logmel_validate(&c) == TML_E_SIZE);
    lm_first[LM_MELS - 1] = (uint16_t)(LM_BINS - lm_count[LM_MELS - 1]);
    c.mel.n_bins = LM_BINS + 1;
    CHECK(tml_logmel_validate(&c) == TML_E_SIZE);
    c.mel.n_bins = LM_BINS;
    c.amin = 0.0f;
    CHECK(tml_logmel_validate(&c) == TML_E_SCALE);
    c.amin = 1e-10f;
    c.n_mfcc = LM_MELS + 1;
    c.dct = lm_dct;
    CHECK(tml_logmel_validate(&c) == TML_E_SIZE);
    c.n_mfcc = 2;
    c.dct = NULL;
    CHECK(tml_logmel_validate(&c) == TML_E_NULL);
}

int main(void)
{
    test_fft();
    test_windows_and_level();
    test_mel();
    test_dct();
    test_spectral();
    test_stats();
    test_framer();
    test_median_and_average();
    test_hysteresis_events_vote();
    test_tables_equal_direct();
    test_logmel_stage();
    return CHECK_REPORT("features");
}
