/*
 * TinyML Lab C runtime: feature extraction and post-processing for signals (audio, IMU).
 *
 * Header-only C99, `static inline` throughout, float32, no malloc, no recursion, no state
 * outside the caller's buffers and structs: the caller provides every buffer.
 *
 *   - Spectra: an in-place radix-2 FFT, the one-sided power spectrum, periodic windows.
 *   - Audio: a mel filterbank as librosa.filters.mel(htk=False, norm='slaney') builds it,
 *     mel power, log-mel, MFCC through a DCT-II (norm='ortho', as scipy.fft.dct); the
 *     same with precomputed tables (twiddles, sparse filterbank, DCT cosines) for a
 *     device: tml_logmel_t, frame by frame or a whole clip.
 *   - Spectral shape: centroid, bandwidth, 85 % roll-off, flatness; band energies.
 *   - IMU windows: mean, std, rms, min, max, peak-to-peak, zero crossings (strided, so one
 *     axis of interleaved xyz data needs no copy), orientation-free magnitude.
 *   - Streaming: a framer that cuts a sample stream into overlapping windows.
 *   - Post-processing of per-frame outputs: median filter, moving average, hysteresis,
 *     event extraction, majority vote.
 *
 * Every function that takes sizes checks them (and its pointers) and returns a negative
 * TML_E_* code instead of reading or writing out of bounds. Inputs and outputs must not
 * overlap unless a function says so.
 */
#ifndef TINYML_FEATURES_H
#define TINYML_FEATURES_H

#ifndef TINYML_COMMON_H /* a standalone header embeds it just before */
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
 * permutation, then log2(n) butterfly stages. twiddles is tml_fft_twiddles(n)'s table, or
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
                wr = twiddles[2 * i * stride]; /* -2 pi (i stride) / n = -2 pi i / len */
                wi = twiddles[2 * i * stride + 1];
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

/* ---- mel filterbank, log-mel, MFCC ---- */

/* Slaney's mel scale (librosa, htk=False): linear below 1000 Hz at 200/3 Hz per mel, then
 * logarithmic with log(6.4)/27 per mel, so that 1000 Hz is mel 15. */
#define TML_MEL_F_SP (200.0f / 3.0f)
#define TML_MEL_MIN_LOG_HZ 1000.0f
#define TML_MEL_MIN_LOG_MEL 15.0f
#define TML_MEL_LOGSTEP 0.06875177742094912f /* log(6.4) / 27 */

static inline float tml_hz_to_mel(float hz)
{
    if (hz >= TML_MEL_MIN_LOG_HZ) {
        return TML_MEL_MIN_LOG_MEL + logf(hz / TML_MEL_MIN_LOG_HZ) / TML_MEL_LOGSTEP;
    }
    return hz / TML_MEL_F_SP;
}

static inline float tml_mel_to_hz(float mel)
{
    if (mel >= TML_MEL_MIN_LOG_MEL) {
        return TML_MEL_MIN_LOG_HZ * expf(TML_MEL_LOGSTEP * (mel - TML_MEL_MIN_LOG_MEL));
    }
    return TML_MEL_F_SP * mel;
}

/* Edge i (0..n_mels+1) of the filterbank: mel points evenly spaced as numpy's linspace
 * spaces them (the last one exactly the top), mapped back to Hz. */
static inline float tml_mel_edge(float mel_lo, float mel_hi, int32_t n_mels, int32_t i)
{
    if (i == n_mels + 1) {
        return tml_mel_to_hz(mel_hi);
    }
    return tml_mel_to_hz(mel_lo + (float)i * ((mel_hi - mel_lo) / (float)(n_mels + 1)));
}

/*
 * Mel filterbank weights[n_mels][n_fft/2 + 1] as librosa.filters.mel(sr, n_fft, n_mels, fmin,
 * fmax, htk=False, norm='slaney'): triangle m rises from edge m to edge m+1 and falls to
 * edge m+2 over the FFT bin frequencies k * sample_rate / n_fft, scaled by 2 / (edge m+2 -
 * edge m) so each filter has unit area. Needs 0 <= fmin < fmax and sample_rate > 0, finite
 * (TML_E_SCALE otherwise, or when the edges are so close that two coincide in float32);
 * fmax above sample_rate / 2 is allowed, as librosa allows it (the top filters come out
 * empty).
 */
static inline int tml_mel_filterbank(int32_t n_fft, float sample_rate, int32_t n_mels, float fmin, float fmax,
                                     float *weights)
{
    int32_t m, k, n_bins;
    float mel_lo, mel_hi, bin_hz;
    if (weights == NULL) {
        return TML_E_NULL;
    }
    if (n_fft < 2 || n_mels < 1 || n_mels > INT32_MAX - 2) {
        return TML_E_SIZE;
    }
    n_bins = n_fft / 2 + 1;
    if (tml_count_product(n_mels, n_bins) < 0) {
        return TML_E_SIZE;
    }
    if (!(sample_rate > 0.0f) || !tml_is_finite(sample_rate) || !(fmin >= 0.0f) || !(fmax > fmin) ||
        !tml_is_finite(fmax)) {
        return TML_E_SCALE;
    }
    mel_lo = tml_hz_to_mel(fmin);
    mel_hi = tml_hz_to_mel(fmax);
    /* Every triangle needs a positive width on both sides: check before writing anything. */
    {
        float prev = tml_mel_edge(mel_lo, mel_hi, n_mels, 0);
        for (m = 1; m <= n_mels + 1; m++) {
            float edge = tml_mel_edge(mel_lo, mel_hi, n_mels, m);
            if (!(edge > prev)) {
                return TML_E_SCALE;
            }
            prev = edge;
        }
    }
    bin_hz = sample_rate / (float)n_fft;
    for (m = 0; m < n_mels; m++) {
        float lo = tml_mel_edge(mel_lo, mel_hi, n_mels, m);
        float mid = tml_mel_edge(mel_lo, mel_hi, n_mels, m + 1);
        float hi = tml_mel_edge(mel_lo, mel_hi, n_mels, m + 2);
        float enorm = 2.0f / (hi - lo);
        float *row = weights + (size_t)m * (size_t)n_bins;
        for (k = 0; k < n_bins; k++) {
            float f = (float)k * bin_hz;
            float lower = (f - lo) / (mid - lo);
            float upper = (hi - f) / (hi - mid);
            float w = lower < upper ? lower : upper;
            row[k] = w > 0.0f ? w * enorm : 0.0f;
        }
    }
    return TML_OK;
}

/* mel[m] = sum_k weights[m][k] * power[k] for a filterbank of n_mels rows of n_bins. */
static inline int tml_mel_power(const float *weights, int32_t n_mels, int32_t n_bins, const float *power,
                                float *mel)
{
    int32_t m, k;
    if (weights == NULL || power == NULL || mel == NULL) {
        return TML_E_NULL;
    }
    if (n_mels < 1 || n_bins < 1 || tml_count_product(n_mels, n_bins) < 0) {
        return TML_E_SIZE;
    }
    for (m = 0; m < n_mels; m++) {
        const float *row = weights + (size_t)m * (size_t)n_bins;
        float sum = 0.0f;
        for (k = 0; k < n_bins; k++) {
            sum += row[k] * power[k];
        }
        mel[m] = sum;
    }
    return TML_OK;
}

/* out[i] = 10 log10(max(mel[i], amin)) with amin > 0 (librosa.power_to_db with ref 1 and
 * no top_db clipping). out may be mel itself. */
static inline int tml_log_mel(const float *mel, int32_t n, float amin, float *out)
{
    int32_t i;
    if (mel == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n < 1) {
        return TML_E_SIZE;
    }
    if (!(amin > 0.0f) || !tml_is_finite(amin)) {
        return TML_E_SCALE;
    }
    for (i = 0; i < n; i++) {
        float v = mel[i] > amin ? mel[i] : amin; /* NaN stays NaN */
        out[i] = 10.0f * log10f(mel[i] != mel[i] ? mel[i] : v);
    }
    return TML_OK;
}

/*
 * The cosine of DCT-II term (k, j) of length n: cos(pi k (2j + 1) / (2n)), its angle's integer
 * part k(2j+1) reduced modulo 4n first so cosf always sees an angle below 2 pi. Callers walk
 * j upwards and keep r = k(2j+1) mod 4n by adding 2k (< 4n), so no division is needed.
 */
static inline float tml_dct2_cos(int32_t r, int32_t n)
{
    return cosf(TML_PI_F * ((float)r / (float)(2 * n)));
}

/*
 * First n_out coefficients of the DCT-II of x[n] with norm='ortho', as scipy.fft.dct(x,
 * type=2, norm='ortho')[:n_out]: out[k] = s_k sum_j x[j] cos(pi k (2j + 1) / (2n)) with
 * s_0 = sqrt(1/n), s_k = sqrt(2/n). O(n * n_out) cosf calls; tml_dct2_table stores the
 * cosines once (tml_dct2_ortho_table gives the same bits without a cosf).
 */
static inline int tml_dct2_ortho(const float *x, int32_t n, float *out, int32_t n_out)
{
    int32_t k, j;
    float scale0, scale;
    if (x == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || n_out < 1 || n_out > n || n > TML_FFT_MAX) {
        return TML_E_SIZE;
    }
    scale0 = sqrtf(1.0f / (float)n);
    scale = sqrtf(2.0f / (float)n);
    for (k = 0; k < n_out; k++) {
        float sum = 0.0f;
        int32_t r = k; /* k (2j + 1) mod 4n at j = 0 */
        for (j = 0; j < n; j++) {
            sum += x[j] * tml_dct2_cos(r, n);
            r += 2 * k;
            r = r >= 4 * n ? r - 4 * n : r;
        }
        out[k] = sum * (k == 0 ? scale0 : scale);
    }
    return TML_OK;
}

/* The cosines of tml_dct2_ortho into table[n_out][n] (no scale factors). */
static inline int tml_dct2_table(int32_t n, int32_t n_out, float *table)
{
    int32_t k, j;
    if (table == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || n_out < 1 || n_out > n || n > TML_FFT_MAX) {
        return TML_E_SIZE;
    }
    for (k = 0; k < n_out; k++) {
        int32_t r = k;
        for (j = 0; j < n; j++) {
            table[(size_t)k * (size_t)n + (size_t)j] = tml_dct2_cos(r, n);
            r += 2 * k;
            r = r >= 4 * n ? r - 4 * n : r;
        }
    }
    return TML_OK;
}

/* tml_dct2_ortho with the cosines from tml_dct2_table(n, n_out): the same bits. */
static inline int tml_dct2_ortho_table(const float *x, int32_t n, const float *table, float *out, int32_t n_out)
{
    int32_t k, j;
    float scale0, scale;
    if (x == NULL || table == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || n_out < 1 || n_out > n || n > TML_FFT_MAX) {
        return TML_E_SIZE;
    }
    scale0 = sqrtf(1.0f / (float)n);
    scale = sqrtf(2.0f / (float)n);
    for (k = 0; k < n_out; k++) {
        const float *row = table + (size_t)k * (size_t)n;
        float sum = 0.0f;
        for (j = 0; j < n; j++) {
            sum += x[j] * row[j];
        }
        out[k] = sum * (k == 0 ? scale0 : scale);
    }
    return TML_OK;
}

/*
 * A mel filterbank stored sparsely: each triangle is non-zero over one run of bins, so only
 * that run is kept (a 40-band filterbank of a 512-point FFT keeps ~500 of its 10,280
 * weights). Band m covers bins first_bin[m] .. first_bin[m] + n_weights[m] - 1; its weights
 * follow band m - 1's in weights[] (n_stored in all). A band can be empty (n_weights 0).
 */
typedef struct {
    int32_t n_mels;
    int32_t n_bins; /* n_fft / 2 + 1 */
    int32_t n_stored;
    const uint16_t *first_bin;
    const uint16_t *n_weights;
    const float *weights;
} tml_mel_sparse_t;

/* Checks every band's run lies inside the spectrum and the runs add up to n_stored. */
static inline int tml_mel_sparse_validate(const tml_mel_sparse_t *m)
{
    int32_t band;
    int64_t total = 0;
    if (m == NULL || m->first_bin == NULL || m->n_weights == NULL || (m->weights == NULL && m->n_stored > 0)) {
        return TML_E_NULL;
    }
    if (m->n_mels < 1 || m->n_bins < 2 || m->n_bins > TML_FFT_MAX / 2 + 1 || m->n_stored < 0) {
        return TML_E_SIZE;
    }
    for (band = 0; band < m->n_mels; band++) {
        if ((int32_t)m->first_bin[band] + (int32_t)m->n_weights[band] > m->n_bins) {
            return TML_E_SIZE;
        }
        total += m->n_weights[band];
    }
    return total == m->n_stored ? TML_OK : TML_E_SIZE;
}

/*
 * The non-zero run of each row of a dense filterbank dense[n_mels][n_bins] (from
 * tml_mel_filterbank) into first_bin/n_weights/weights (room for capacity weights);
 * *n_stored gets how many were kept. Zeros inside a run are kept, so tml_mel_power_sparse
 * adds exactly the products tml_mel_power adds, in the same order: the same bits.
 */
static inline int tml_mel_sparsify(const float *dense, int32_t n_mels, int32_t n_bins, uint16_t *first_bin,
                                   uint16_t *n_weights, float *weights, int32_t capacity, int32_t *n_stored)
{
    int32_t band, k, stored = 0;
    if (dense == NULL || first_bin == NULL || n_weights == NULL || weights == NULL || n_stored == NULL) {
        return TML_E_NULL;
    }
    if (n_mels < 1 || n_bins < 2 || n_bins > TML_FFT_MAX / 2 + 1 || capacity < 0 ||
        tml_count_product(n_mels, n_bins) < 0) {
        return TML_E_SIZE;
    }
    for (band = 0; band < n_mels; band++) {
        const float *row = dense + (size_t)band * (size_t)n_bins;
        int32_t lo = 0, hi = n_bins - 1;
        while (lo < n_bins && row[lo] == 0.0f) {
            lo++;
        }
        while (hi >= lo && row[hi] == 0.0f) {
            hi--;
        }
        first_bin[band] = (uint16_t)(lo < n_bins ? lo : 0);
        n_weights[band] = (uint16_t)(hi - lo + 1);
        if (stored + (hi - lo + 1) > capacity) {
            return TML_E_SIZE;
        }
        for (k = lo; k <= hi; k++) {
            weights[stored++] = row[k];
        }
    }
    *n_stored = stored;
    return TML_OK;
}

/* mel[m] = the sum over band m's run of weight * power[bin], for a validated filterbank. */
static inline int tml_mel_power_sparse(const tml_mel_sparse_t *m, const float *power, float *mel)
{
    int32_t band, k;
    const float *w;
    if (m == NULL || power == NULL || mel == NULL || m->first_bin == NULL || m->n_weights == NULL) {
        return TML_E_NULL;
    }
    w = m->weights;
    for (band = 0; band < m->n_mels; band++) {
        const float *p = power + m->first_bin[band];
        int32_t n = m->n_weights[band];
        float sum = 0.0f;
        for (k = 0; k < n; k++) {
            sum += w[k] * p[k];
        }
        w += n;
        mel[band] = sum;
    }
    return TML_OK;
}

/*
 * A log-mel (or MFCC) extractor with every table precomputed, as tinyml_lab.features.
 * LogMelFeatures computes it: each frame of n_fft samples is multiplied by the window,
 * transformed with the twiddle table, its power spectrum goes through the sparse mel
 * filterbank and 10 log10(max(., amin)), and with n_mfcc > 0 through the DCT-II table.
 * A header keeps all of it in flash (const), made by the same C code the notebook ran.
 */
typedef struct {
    int32_t n_fft;
    const float *window;   /* [n_fft] */
    const float *twiddles; /* [n_fft], tml_fft_twiddles */
    tml_mel_sparse_t mel;
    float amin;
    int32_t n_mfcc;   /* 0: the log-mel energies are the features */
    const float *dct; /* [n_mfcc][mel.n_mels], tml_dct2_table; unused when n_mfcc is 0 */
} tml_logmel_t;

/* Floats of scratch tml_logmel_frame needs: re and im, the power spectrum, the mel energies. */
#define TML_LOGMEL_SCRATCH(n_fft, n_mels) (2 * (n_fft) + (n_fft) / 2 + 1 + (n_mels))

/* Features per frame: n_mfcc, or n_mels without MFCCs. */
static inline int32_t tml_logmel_width(const tml_logmel_t *c)
{
    return c->n_mfcc > 0 ? c->n_mfcc : c->mel.n_mels;
}

static inline int tml_logmel_validate(const tml_logmel_t *c)
{
    int status;
    if (c == NULL || c->window == NULL || c->twiddles == NULL || (c->n_mfcc > 0 && c->dct == NULL)) {
        return TML_E_NULL;
    }
    if (c->n_fft < 2 || c->n_fft > TML_FFT_MAX || (c->n_fft & (c->n_fft - 1)) != 0 ||
        c->mel.n_bins != c->n_fft / 2 + 1 || c->n_mfcc < 0 || c->n_mfcc > c->mel.n_mels) {
        return TML_E_SIZE;
    }
    if (!(c->amin > 0.0f) || !tml_is_finite(c->amin)) {
        return TML_E_SCALE;
    }
    status = tml_mel_sparse_validate(&c->mel);
    return status;
}

/*
 * Features of one frame[n_fft] into out[tml_logmel_width(c)], with scratch of
 * TML_LOGMEL_SCRATCH(n_fft, n_mels) floats. c must have passed tml_logmel_validate.
 */
static inline int tml_logmel_frame(const tml_logmel_t *c, const float *frame, float *scratch, float *out)
{
    int32_t k, n;
    float *re, *im, *power, *mel;
    int status;
    if (c == NULL || frame == NULL || scratch == NULL || out == NULL) {
        return TML_E_NULL;
    }
    n = c->n_fft;
    re = scratch;
    im = re + n;
    power = im + n;
    mel = power + n / 2 + 1;
    for (k = 0; k < n; k++) {
        re[k] = frame[k] * c->window[k];
        im[k] = 0.0f;
    }
    status = tml_fft_table(re, im, n, c->twiddles);
    if (status != TML_OK) {
        return status;
    }
    for (k = 0; k <= n / 2; k++) {
        power[k] = re[k] * re[k] + im[k] * im[k];
    }
    status = tml_mel_power_sparse(&c->mel, power, mel);
    if (status != TML_OK) {
        return status;
    }
    if (c->n_mfcc == 0) {
        return tml_log_mel(mel, c->mel.n_mels, c->amin, out);
    }
    status = tml_log_mel(mel, c->mel.n_mels, c->amin, mel);
    if (status != TML_OK) {
        return status;
    }
    return tml_dct2_ortho_table(mel, c->mel.n_mels, c->dct, out, c->n_mfcc);
}

/* Frames of n_fft samples every hop in a clip of n_samples (>= n_fft): 1 + (n - n_fft) / hop. */
static inline int32_t tml_logmel_frames(int32_t n_samples, int32_t n_fft, int32_t hop)
{
    if (n_fft < 1 || hop < 1 || n_samples < n_fft) {
        return TML_E_SIZE;
    }
    return 1 + (n_samples - n_fft) / hop;
}

/*
 * Features of a whole clip[n_samples]: frame f starts at sample f * hop, its features go to
 * out + f * width (frame after frame, as LogMelFeatures flattens them).
 */
static inline int tml_logmel_clip(const tml_logmel_t *c, const float *clip, int32_t n_samples, int32_t hop,
                                  float *scratch, float *out)
{
    int32_t f, n_frames, width;
    int status = tml_logmel_validate(c);
    if (status != TML_OK) {
        return status;
    }
    if (clip == NULL || scratch == NULL || out == NULL) {
        return TML_E_NULL;
    }
    n_frames = tml_logmel_frames(n_samples, c->n_fft, hop);
    if (n_frames < 0) {
        return n_frames;
    }
    width = tml_logmel_width(c);
    for (f = 0; f < n_frames; f++) {
        status = tml_logmel_frame(c, clip + (size_t)f * (size_t)hop, scratch, out + (size_t)f * (size_t)width);
        if (status != TML_OK) {
            return status;
        }
    }
    return TML_OK;
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

/* ---- IMU / window statistics ---- */

typedef struct {
    float mean, std, rms, min, max, peak_to_peak;
    int32_t zero_crossings;
} tml_stats_t;

/*
 * Statistics of n samples x[0], x[stride], ..., x[(n-1) stride] (one axis of interleaved
 * xyz data: x + axis, n, 3): mean, population std (ddof 0, from the deviations: a second
 * pass, no cancellation), rms, min, max, peak-to-peak, and the sign changes between
 * consecutive samples of x - mean, a zero counting as positive.
 */
static inline int tml_window_stats(const float *x, int32_t n, int32_t stride, tml_stats_t *s)
{
    int32_t i;
    float sum = 0.0f, sq = 0.0f, dev = 0.0f, lo, hi, mean;
    int32_t crossings = 0, prev_positive = 0;
    if (x == NULL || s == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || stride < 1 || (int64_t)(n - 1) * (int64_t)stride >= INT32_MAX) {
        return TML_E_SIZE;
    }
    lo = hi = x[0];
    for (i = 0; i < n; i++) {
        float v = x[(size_t)i * (size_t)stride];
        sum += v;
        sq += v * v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    mean = sum / (float)n;
    for (i = 0; i < n; i++) {
        float d = x[(size_t)i * (size_t)stride] - mean;
        int positive = d >= 0.0f;
        dev += d * d;
        if (i > 0 && positive != prev_positive) {
            crossings++;
        }
        prev_positive = positive;
    }
    s->mean = mean;
    s->std = sqrtf(dev / (float)n);
    s->rms = sqrtf(sq / (float)n);
    s->min = lo;
    s->max = hi;
    s->peak_to_peak = hi - lo;
    s->zero_crossings = crossings;
    return TML_OK;
}

/* out[i] = sqrt(x^2 + y^2 + z^2) of interleaved xyz[n][3]: the same whatever the sensor's
 * orientation. out may be xyz itself (each write lands behind every read still to come). */
static inline int tml_magnitude(const float *xyz, int32_t n, float *out)
{
    int32_t i;
    if (xyz == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || n > INT32_MAX / 3) {
        return TML_E_SIZE;
    }
    for (i = 0; i < n; i++) {
        const float *v = xyz + (size_t)i * 3u;
        out[i] = sqrtf(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    }
    return TML_OK;
}

/* ---- streaming windows ---- */

/*
 * Cuts a sample stream into windows of `window` samples every `hop` samples. The samples
 * live in the caller's ring buffer of exactly `window` floats; this struct holds the rest.
 *   filled      samples seen, until window; after that it cycles through window..2 window-1,
 *               so filled % window is always the slot the next sample goes to
 *   since_emit  samples pushed since the last frame (0..hop-1)
 */
typedef struct {
    int32_t window, hop, filled, since_emit;
} tml_framer_t;

static inline int tml_framer_init(tml_framer_t *f, int32_t window, int32_t hop)
{
    if (f == NULL) {
        return TML_E_NULL;
    }
    if (window < 1 || hop < 1 || window > INT32_MAX / 2) {
        return TML_E_SIZE;
    }
    f->window = window;
    f->hop = hop;
    f->filled = 0;
    f->since_emit = 0;
    return TML_OK;
}

/*
 * Pushes one sample. Returns 1 and writes the last `window` samples, oldest first, to
 * frame[window] when a frame is due: once the window first fills, then every hop samples.
 * Returns 0 otherwise, or a negative TML_E_* code (ring_len != window, or a struct that
 * tml_framer_init did not set up, is TML_E_SIZE).
 */
static inline int tml_framer_push(tml_framer_t *f, float *ring, int32_t ring_len, float sample, float *frame)
{
    int32_t w, at, j, was_full;
    if (f == NULL || ring == NULL || frame == NULL) {
        return TML_E_NULL;
    }
    w = f->window;
    if (w < 1 || w > INT32_MAX / 2 || f->hop < 1 || ring_len != w || f->filled < 0 || f->filled >= 2 * w ||
        f->since_emit < 0 || f->since_emit >= f->hop) {
        return TML_E_SIZE;
    }
    was_full = f->filled >= w;
    ring[f->filled % w] = sample;
    f->filled = f->filled + 1 == 2 * w ? w : f->filled + 1;
    if (!was_full) {
        if (f->filled < w) {
            return 0;
        }
    } else if (++f->since_emit < f->hop) {
        return 0;
    }
    f->since_emit = 0;
    at = f->filled % w; /* the next slot to write holds the oldest sample */
    for (j = 0; j < w; j++) {
        frame[j] = ring[at];
        at = at + 1 == w ? 0 : at + 1;
    }
    return 1;
}

/* ---- post-processing ---- */

/*
 * Median over a centred window of odd length k, the signal's edge values repeated beyond
 * its ends (scipy.ndimage.median_filter(x, size=k, mode='nearest')). scratch holds k floats;
 * out must not overlap x. Insertion sort per output: O(n k^2) at worst, fine for small k.
 */
static inline int tml_median_filter(const float *x, int32_t n, int32_t k, float *scratch, float *out)
{
    int32_t i, j, half;
    if (x == NULL || scratch == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || k < 1 || k % 2 == 0) {
        return TML_E_SIZE;
    }
    half = k / 2;
    for (i = 0; i < n; i++) {
        for (j = 0; j < k; j++) {
            int64_t at = (int64_t)i - half + j;
            float v = x[at < 0 ? 0 : (at >= n ? n - 1 : at)];
            int32_t p = j;
            while (p > 0 && scratch[p - 1] > v) {
                scratch[p] = scratch[p - 1];
                p--;
            }
            scratch[p] = v;
        }
        out[i] = scratch[half];
    }
    return TML_OK;
}

/*
 * Trailing mean out[i] = mean(x[max(0, i-k+1)..i]): fewer samples at the start. A running
 * sum, recomputed from scratch every k outputs so rounding cannot drift over a long signal.
 * out must not overlap x.
 */
static inline int tml_moving_average(const float *x, int32_t n, int32_t k, float *out)
{
    int32_t i, j;
    float sum = 0.0f;
    if (x == NULL || out == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || k < 1) {
        return TML_E_SIZE;
    }
    for (i = 0; i < n; i++) {
        int32_t first = i >= k ? i - k + 1 : 0;
        if (i % k == 0) {
            sum = 0.0f;
            for (j = first; j <= i; j++) {
                sum += x[j];
            }
        } else {
            sum += x[i];
            if (i >= k) {
                sum -= x[i - k];
            }
        }
        out[i] = sum / (float)(i - first + 1);
    }
    return TML_OK;
}

/*
 * Two-threshold switch: state[i] turns 1 once x[i] >= on and back to 0 once x[i] < off,
 * starting at 0 (on >= off, so a value between them keeps the state: no chatter). NaN keeps
 * the state.
 */
static inline int tml_hysteresis(const float *x, int32_t n, float on, float off, int32_t *state)
{
    int32_t i, s = 0;
    if (x == NULL || state == NULL) {
        return TML_E_NULL;
    }
    if (n < 1) {
        return TML_E_SIZE;
    }
    if (!(on >= off) || !tml_is_finite(on) || !tml_is_finite(off)) {
        return TML_E_SCALE;
    }
    for (i = 0; i < n; i++) {
        if (s == 0 && x[i] >= on) {
            s = 1;
        } else if (s == 1 && x[i] < off) {
            s = 0;
        }
        state[i] = s;
    }
    return TML_OK;
}

/*
 * Events in an on/off sequence (nonzero is on): runs of at least min_duration on-frames
 * (0 counts as 1), onset = first index, offset = index after the last (n for a run that
 * reaches the end). Writes at most max_events pairs (onset and offset may be NULL when
 * max_events is 0) and returns the number of events, or TML_E_SIZE when there are more
 * than max_events (the first max_events are still written).
 */
static inline int tml_events(const int32_t *state, int32_t n, int32_t min_duration, int32_t *onset,
                             int32_t *offset, int32_t max_events)
{
    int32_t i, start = -1, count = 0;
    if (state == NULL || (max_events > 0 && (onset == NULL || offset == NULL))) {
        return TML_E_NULL;
    }
    if (n < 1 || min_duration < 0 || max_events < 0) {
        return TML_E_SIZE;
    }
    for (i = 0; i <= n; i++) {
        int on = i < n && state[i] != 0;
        if (on && start < 0) {
            start = i;
        } else if (!on && start >= 0) {
            if (i - start >= min_duration) {
                if (count < max_events) {
                    onset[count] = start;
                    offset[count] = i;
                }
                count++;
            }
            start = -1;
        }
    }
    return count > max_events ? TML_E_SIZE : count;
}

/* Most frequent of labels[n] in [0, n_classes), ties to the lowest label; counts is scratch
 * of n_classes. Returns the label, or a negative TML_E_* code (a label out of range is
 * TML_E_KIND). */
static inline int32_t tml_majority_vote(const int32_t *labels, int32_t n, int32_t n_classes, int32_t *counts)
{
    int32_t i, best = 0;
    if (labels == NULL || counts == NULL) {
        return TML_E_NULL;
    }
    if (n < 1 || n_classes < 1) {
        return TML_E_SIZE;
    }
    for (i = 0; i < n_classes; i++) {
        counts[i] = 0;
    }
    for (i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= n_classes) {
            return TML_E_KIND;
        }
        counts[labels[i]]++;
    }
    for (i = 1; i < n_classes; i++) {
        if (counts[i] > counts[best]) {
            best = i;
        }
    }
    return best;
}

#endif /* TINYML_FEATURES_H */
