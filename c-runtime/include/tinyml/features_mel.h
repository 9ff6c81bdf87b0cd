/*
 * TinyML Lab C runtime, features: audio. A mel filterbank as librosa.filters.mel(htk=False,
 * norm='slaney') builds it, mel power, log-mel, MFCC through a DCT-II (norm='ortho', as
 * scipy.fft.dct); the same with precomputed tables (twiddles, sparse filterbank, DCT
 * cosines) for a device: tml_logmel_t, frame by frame or a whole clip.
 *
 * Header-only C99, `static inline` throughout, float32, no malloc, no recursion, no state
 * outside the caller's buffers and structs: the caller provides every buffer. Every function
 * that takes sizes checks them (and its pointers) and returns a negative TML_E_* code instead
 * of reading or writing out of bounds. Inputs and outputs must not overlap unless a function
 * says so.
 */
#ifndef TINYML_FEATURES_MEL_H
#define TINYML_FEATURES_MEL_H

/* a standalone model header embeds these just before */
#ifndef TINYML_FEATURES_SPECTRUM_H
#include "tinyml/features_spectrum.h"
#endif

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

/* tml_dct2_ortho with the cosines from tml_dct2_table(n, n_out): the same bits. The table is
 * read as a model's tables are (TML_READ_F32): on AVR it must be in program memory. */
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
            sum += x[j] * TML_READ_F32(&row[j]);
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
        if ((int32_t)TML_READ_U16(&m->first_bin[band]) + (int32_t)TML_READ_U16(&m->n_weights[band]) > m->n_bins) {
            return TML_E_SIZE;
        }
        total += TML_READ_U16(&m->n_weights[band]);
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
        const float *p = power + TML_READ_U16(&m->first_bin[band]);
        int32_t n = TML_READ_U16(&m->n_weights[band]);
        float sum = 0.0f;
        for (k = 0; k < n; k++) {
            sum += TML_READ_F32(&w[k]) * p[k];
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
        re[k] = frame[k] * TML_READ_F32(&c->window[k]);
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

#endif /* TINYML_FEATURES_MEL_H */
