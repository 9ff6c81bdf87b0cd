/* Unit tests of the audio features (features_mel.h): mel filterbank, log-mel, DCT, the log-mel extractor with tables, against references computed differently (naive formulas, in
 * double). */
#include <math.h>
#include <string.h>

#define CHECK_RNG_SEED 0x7f4a7c159e3779b9ULL /* this file's pseudo-random sequence */
#include "check.h"
#include "tinyml/features_mel.h"

static const double PI = 3.14159265358979323846;

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

/* The DCT from a table of cosines gives the bits of the direct one, also for lengths whose
 * angles wrap (4n). */
static void test_dct_table_equal_direct(void)
{
    static float x[64], direct[64], tabled[64], cosines[64 * 64];
    int32_t len, n_out, k, same = 1;
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
    test_mel();
    test_dct();
    test_dct_table_equal_direct();
    test_logmel_stage();
    return CHECK_REPORT("features_mel");
}
