/*
 * TinyML Lab C runtime, features: spectra. An in-place radix-2 FFT (from cosf/sinf, or from
 * a twiddle table a header stores), the one-sided power spectrum, periodic windows, a
 * spectrum's shape (centroid, bandwidth, 85 % roll-off, flatness) and band energies, and a
 * signal's level (rms, dB).
 *
 * Header-only C99, `static inline` throughout, float32, no malloc, no recursion, no state
 * outside the caller's buffers and structs: the caller provides every buffer. Every function
 * that takes sizes checks them (and its pointers) and returns a negative TML_E_* code instead
 * of reading or writing out of bounds. Inputs and outputs must not overlap unless a function
 * says so.
 */
#ifndef TINYML_FEATURES_SPECTRUM_H
#define TINYML_FEATURES_SPECTRUM_H

/* a standalone model header embeds these just before */
#ifndef TINYML_COMMON_H
#include "tinyml/common.h"
#endif

#define TML_FFT_MAX 65536
#define TML_TWO_PI_F 6.28318530717958647692f
#define TML_PI_F 3.14159265358979323846f

#define TML_WINDOW_RECT 0
#define TML_WINDOW_HANN 1    /* periodic: 0.5 - 0.5 cos(2 pi i / n) */
#define TML_WINDOW_HAMMING 2 /* periodic: 0.54 - 0.46 cos(2 pi i / n) */

/* ---- FFT and power spectrum ---- */

/*
 * Twiddle factors of an n-point FFT into twiddles[n]: (cos, sin) of -2 pi k / n for
 * k < n/2, interleaved. Each comes straight from cosf/sinf of its own angle, so rounding
 * does not build up as a recurrence's would. A header stores this table in flash: the
 * device then needs no cosf/sinf and computes bit for bit what the table's maker did.
 */
static inline int tml_fft_twiddles(int32_t n, float *twiddles)
{
    int32_t k;
    if (twiddles == NULL) {
        return TML_E_NULL;
    }
    if (n < 2 || n > TML_FFT_MAX || (n & (n - 1)) != 0) {
        return TML_E_SIZE;
    }
    for (k = 0; k < n / 2; k++) {
        float angle = -TML_TWO_PI_F * ((float)k / (float)n); /* k/n is exact: n is 2^m */
        twiddles[2 * k] = cosf(angle);
        twiddles[2 * k + 1] = sinf(angle);
    }
    return TML_OK;
}

/*
 * In-place forward complex FFT of re[n] + i im[n], unnormalized (X[k] = sum x[j]
 * e^{-2 pi i jk/n}), n a power of two in [2, TML_FFT_MAX]. Iterative radix-2: a bit-reversal
 * permutation, then log2(n) butterfly stages. twiddles is tml_fft_twiddles(n)'s table (read
 * as a model's tables are, TML_READ_F32: in program memory on AVR), or
 * NULL to compute each twiddle on the way with the same expression (same result, but
 * n - 1 cosf/sinf pairs per call: about half the instructions of a 512-point transform).
 */
static inline int tml_fft_table(float *re, float *im, int32_t n, const float *twiddles)
{
    int32_t i, j, len;
    if (re == NULL || im == NULL) {
        return TML_E_NULL;
    }
    if (n < 2 || n > TML_FFT_MAX || (n & (n - 1)) != 0) {
        return TML_E_SIZE;
    }
    /* Bit reversal: j runs through the reversed indices of i; swap each pair once. */
    for (i = 0, j = 0; i < n; i++) {
        int32_t bit = n >> 1;
        if (i < j) {
            float t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
        while (bit > 0 && (j & bit) != 0) {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
    }
    for (len = 2; len <= n; len <<= 1) {
        int32_t half = len >> 1, stride = n / len;
        /* One twiddle per offset i, applied to every block of this stage. */
        for (i = 0; i < half; i++) {
            float wr, wi;
            int32_t start;
            if (twiddles != NULL) {
                wr = TML_READ_F32(&twiddles[2 * i * stride]); /* -2 pi (i stride) / n = -2 pi i / len */
                wi = TML_READ_F32(&twiddles[2 * i * stride + 1]);
            } else {
                float angle = -TML_TWO_PI_F * ((float)i / (float)len); /* the table's value */
                wr = cosf(angle);
                wi = sinf(angle);
            }
            for (start = 0; start < n; start += len) {
                int32_t a = start + i, b = a + half;
                float tr = wr * re[b] - wi * im[b];
                float ti = wr * im[b] + wi * re[b];
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
    }
    return TML_OK;
}

/* tml_fft_table without a table: twiddles computed per call. */
static inline int tml_fft_real(float *re, float *im, int32_t n)
{
    return tml_fft_table(re, im, n, NULL);
}

/*
 * One-sided power spectrum of the real signal x[n]: copies x to re (im = 0), transforms,
 * and writes power[k] = re^2 + im^2 for k = 0..n/2 (n/2 + 1 values). x may be re itself.
 */
static inline int tml_power_spectrum(const float *x, int32_t n, float *re, float *im, float *power)
{
    int32_t k;
    int status;
    if (x == NULL || re == NULL || im == NULL || power == NULL) {
        return TML_E_NULL;
    }
    if (n < 2 || n > TML_FFT_MAX || (n & (n - 1)) != 0) {
        return TML_E_SIZE;
    }
    for (k = 0; k < n; k++) {
        re[k] = x[k];
        im[k] = 0.0f;
    }
    status = tml_fft_real(re, im, n);
    if (status != TML_OK) {
        return status;
    }
    for (k = 0; k <= n / 2; k++) {
        power[k] = re[k] * re[k] + im[k] * im[k];
    }
    return TML_OK;
}

/*
 * Window of kind TML_WINDOW_* into w[n], periodic (the DFT-even form spectral analysis uses,
 * as scipy.signal.get_window). As scipy, n == 1 gives [1] for every kind.
 */
static inline int tml_window(int32_t kind, float *w, int32_t n)
{
    int32_t i;
    float a0, a1;
    if (w == NULL) {
        return TML_E_NULL;
    }
    if (n < 1) {
        return TML_E_SIZE;
    }
    if (kind == TML_WINDOW_RECT) {
        a0 = 1.0f;
        a1 = 0.0f;
    } else if (kind == TML_WINDOW_HANN) {
        a0 = 0.5f;
        a1 = 0.5f;
    } else if (kind == TML_WINDOW_HAMMING) {
        a0 = 0.54f;
        a1 = 0.46f;
    } else {
        return TML_E_KIND;
    }
    if (n == 1) {
        w[0] = 1.0f;
        return TML_OK;
    }
    for (i = 0; i < n; i++) {
        w[i] = a0 - a1 * cosf(TML_TWO_PI_F * ((float)i / (float)n));
    }
    return TML_OK;
}

/* ---- level ---- */

/* Root mean square of x[n]; 0 for NULL or n < 1 (an empty signal carries no energy). */
static inline float tml_rms(const float *x, int32_t n)
{
    float sum = 0.0f;
    int32_t i;
    if (x == NULL || n < 1) {
        return 0.0f;
    }
    for (i = 0; i < n; i++) {
        sum += x[i] * x[i];
    }
    return sqrtf(sum / (float)n);
}

/* max(10 log10(power), floor_db); power <= 0 (or NaN) gives floor_db, not -inf. */
static inline float tml_db(float power, float floor_db)
{
    float db;
    if (!(power > 0.0f)) {
        return floor_db;
    }
    db = 10.0f * log10f(power);
    return db > floor_db ? db : floor_db;
}

/* ---- spectral shape ---- */

/*
 * Shape of a power spectrum power[n_bins] whose bin k lies at k * bin_hz:
 *   centroid  sum f p / sum p
 *   bandwidth sqrt(sum (f - centroid)^2 p / sum p)
 *   rolloff85 lowest bin frequency where the cumulative sum reaches 0.85 of the total
 *   flatness  geometric mean / arithmetic mean of p + 1e-10 (the offset keeps log finite)
 * All four are 0 for an all-zero spectrum. Negative or non-finite power is TML_E_SCALE.
 */
static inline int tml_spectral_features(const float *power, int32_t n_bins, float bin_hz, float *centroid,
                                        float *bandwidth, float *rolloff85, float *flatness)
{
    int32_t k;
    float total = 0.0f, weighted = 0.0f, spread = 0.0f, cum = 0.0f, threshold, c, log_sum = 0.0f,
          lin_sum = 0.0f;
    if (power == NULL || centroid == NULL || bandwidth == NULL || rolloff85 == NULL || flatness == NULL) {
        return TML_E_NULL;
    }
    if (n_bins < 1) {
        return TML_E_SIZE;
    }
    if (!(bin_hz > 0.0f) || !tml_is_finite(bin_hz)) {
        return TML_E_SCALE;
    }
    for (k = 0; k < n_bins; k++) {
        if (!(power[k] >= 0.0f) || !tml_is_finite(power[k])) {
            return TML_E_SCALE;
        }
        total += power[k];
        weighted += (float)k * bin_hz * power[k];
    }
    if (total == 0.0f) {
        *centroid = *bandwidth = *rolloff85 = *flatness = 0.0f;
        return TML_OK;
    }
    c = weighted / total;
    threshold = 0.85f * total;
    *rolloff85 = (float)(n_bins - 1) * bin_hz;
    for (k = 0; k < n_bins; k++) {
        float d = (float)k * bin_hz - c;
        float p = power[k] + 1e-10f;
        spread += d * d * power[k];
        log_sum += logf(p);
        lin_sum += p;
    }
    /* Same summation order as total: the last cumulative sum equals total, so one bin
     * always reaches the threshold. */
    for (k = 0; k < n_bins; k++) {
        cum += power[k];
        if (cum >= threshold) {
            *rolloff85 = (float)k * bin_hz;
            break;
        }
    }
    *centroid = c;
    *bandwidth = sqrtf(spread / total);
    *flatness = expf(log_sum / (float)n_bins) / (lin_sum / (float)n_bins);
    return TML_OK;
}

/*
 * Energy per band: bins 1..n_bins-1 (DC left out) split into n_bands contiguous groups of
 * nearly equal size, group b covering [1 + b(n_bins-1)/n_bands, 1 + (b+1)(n_bins-1)/n_bands)
 * in integer division. Needs 1 <= n_bands <= n_bins - 1, so no group is empty.
 */
static inline int tml_band_energies(const float *power, int32_t n_bins, int32_t n_bands, float *out)
{
    int32_t b, k;
    int64_t span;
    if (power == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n_bins < 2 || n_bands < 1 || n_bands > n_bins - 1) {
        return TML_E_SIZE;
    }
    span = (int64_t)n_bins - 1;
    for (b = 0; b < n_bands; b++) {
        int32_t first = 1 + (int32_t)(((int64_t)b * span) / n_bands);
        int32_t end = 1 + (int32_t)(((int64_t)(b + 1) * span) / n_bands);
        float sum = 0.0f;
        for (k = first; k < end; k++) {
            sum += power[k];
        }
        out[b] = sum;
    }
    return TML_OK;
}

#endif /* TINYML_FEATURES_SPECTRUM_H */
