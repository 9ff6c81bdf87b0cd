/*
 * libFuzzer target: feature extraction and post-processing (features.h), every entry point
 * that takes sizes. The first input byte picks one (OPS below); its sizes and parameters
 * follow as raw int32 / float32, then the signal. Buffers are exactly as large as each
 * function documents for the sizes given, or empty when the sizes are not valid ones, so a
 * function that reads or writes before refusing its sizes shows as an AddressSanitizer report.
 * The log-mel extractor runs twice: on the tables tml_wasm_logmel_tables makes (one of them
 * then overwritten from the input), and on a descriptor and tables read whole from the input
 * (fuzz.h's layout, seeds from the golden feature stages).
 */
#include "fuzz.h"

#define FZ_MAX_SIGNAL (1 << 18) /* floats of one buffer */

/* Elements of each table of a log-mel extractor (features_mel.h's struct comments). */
static int64_t logmel_count(const tml_logmel_t *m, const char *field)
{
    if (fz_is(field, "window") || fz_is(field, "twiddles")) {
        return m->n_fft;
    }
    if (fz_is(field, "mel.first_bin") || fz_is(field, "mel.n_weights")) {
        return m->mel.n_mels;
    }
    if (fz_is(field, "mel.weights")) {
        return m->mel.n_stored;
    }
    if (fz_is(field, "dct")) {
        return fz_mul(m->n_mfcc, m->mel.n_mels);
    }
    return fz_unknown_field(field);
}

enum {
    OP_POWER_SPECTRUM,
    OP_LOG_MEL,
    OP_MFCC,
    OP_LOGMEL_TABLES,
    OP_LOGMEL_DESCRIPTOR,
    OP_WINDOW_STATS,
    OP_MEDIAN,
    OP_EVENTS,
    OP_MAGNITUDE,
    OP_SPECTRAL,
    OP_FRAMER,
    OP_AVERAGE_VOTE,
    OP_FFT_DCT,
    OP_MEL_SPARSE,
    N_OPS
};

#ifdef FUZZ_MAKE_SEED
FZ_DESCRIPTOR_ENCODER(encode_logmel, tml_logmel_t, TML_LOGMEL_DESCRIPTOR, logmel_count)

/* OP_LOGMEL_DESCRIPTOR for a header's feature stage: 2 clips of 2 frames each. */
int main(void)
{
    uint8_t op = OP_LOGMEL_DESCRIPTOR, rows = 2;
    int32_t hop = FUZZ_MODEL.n_fft / 2, samples = FUZZ_MODEL.n_fft + hop;
    fz_write(&op, 1);
    encode_logmel(&FUZZ_MODEL);
    fz_write(&rows, 1);
    fz_write(&samples, 4);
    fz_write(&hop, 4);
    fz_write_row(64);
    return 0;
}
#else
FZ_DESCRIPTOR_DECODER(decode_logmel, tml_logmel_t, TML_LOGMEL_DESCRIPTOR, logmel_from_descriptor, logmel_count)

/* A buffer size the harness gives: n when 0 <= n <= FZ_MAX_SIGNAL, else -1 (skip the input). */
static int64_t fz_size(int64_t n)
{
    return n < 0 ? 0 : n <= FZ_MAX_SIGNAL ? n : -1;
}

/* n floats read from the input (raw float32), malloc'd. */
static float *fz_signal(fz_input *in, int64_t n)
{
    float *x = FZ_ALLOC(float, n);
    fz_bytes(in, x, (size_t)(n > 0 ? n : 0) * sizeof(float));
    return x;
}

/* Rows of a run export: -128..127 from one byte (negative counts must be refused), at most 4. */
static int32_t fz_n_rows(fz_input *in)
{
    int32_t rows = (int8_t)fz_u8(in);
    return rows > 4 ? 4 : rows;
}

static int32_t fz_pos(int32_t n) { return n > 0 ? n : 0; }

/* tml_wasm_power_spectrum: rows of n_fft samples, a window kind. */
static void op_power_spectrum(fz_input *in)
{
    int32_t rows = fz_n_rows(in), n_fft = fz_i32(in), kind = fz_i32(in);
    /* only a power of two up to TML_FFT_MAX is valid; beyond, the buffers stay empty */
    int64_t n = n_fft >= 1 && n_fft <= TML_FFT_MAX ? n_fft : 0, bins = n > 0 ? n / 2 + 1 : 0;
    float *x = fz_signal(in, fz_pos(rows) * n), *re = FZ_ALLOC(float, n), *im = FZ_ALLOC(float, n);
    float *w = FZ_ALLOC(float, n), *out = FZ_ALLOC(float, fz_pos(rows) * bins);
    int status = tml_wasm_power_spectrum(x, rows, n_fft, kind, re, im, w, out);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    FZ_REQUIRE(status != TML_OK || (n > 0 && (n_fft & (n_fft - 1)) == 0 && rows >= 0));
    free(x);
    free(re);
    free(im);
    free(w);
    free(out);
}

/* tml_wasm_log_mel: the filterbank built, then rows of power spectra through it. */
static void op_log_mel(fz_input *in)
{
    int32_t rows = fz_n_rows(in), n_fft = fz_i32(in), n_mels = fz_i32(in);
    float sample_rate = fz_f32(in), fmin = fz_f32(in), fmax = fz_f32(in), amin = fz_f32(in);
    int64_t bins = n_fft >= 2 ? (int64_t)n_fft / 2 + 1 : 0, mels = n_mels >= 1 ? n_mels : 0;
    int64_t dense = fz_size(fz_mul(mels, bins)), power = fz_size(fz_mul(fz_pos(rows), bins));
    float *p, *weights, *mel, *out;
    int status;
    if (dense < 0 || power < 0 || fz_size(mels) < 0) {
        return;
    }
    p = fz_signal(in, power);
    weights = FZ_ALLOC(float, dense);
    mel = FZ_ALLOC(float, mels);
    out = FZ_ALLOC(float, fz_pos(rows) * mels);
    status = tml_wasm_log_mel(p, rows, n_fft, sample_rate, n_mels, fmin, fmax, amin, weights, mel, out);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    free(p);
    free(weights);
    free(mel);
    free(out);
}

/* tml_wasm_mfcc: rows of n_mels log-mel energies to n_mfcc coefficients. */
static void op_mfcc(fz_input *in)
{
    int32_t rows = fz_n_rows(in), n_mels = fz_i32(in), n_mfcc = fz_i32(in);
    int64_t mels = fz_size(fz_pos(n_mels)), mfcc = fz_size(fz_pos(n_mfcc));
    float *x, *out;
    int status;
    if (mels < 0 || mfcc < 0 || fz_mul(fz_mul(mels, mfcc), fz_pos(rows)) > FZ_MAX_WORK) {
        return;
    }
    x = fz_signal(in, fz_pos(rows) * mels);
    out = FZ_ALLOC(float, fz_pos(rows) * mfcc);
    status = tml_wasm_mfcc(x, rows, n_mels, n_mfcc, out);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    free(x);
    free(out);
}

/* Frames of a clip as tml_logmel_frames documents them, or 0 for sizes it refuses. */
static int64_t fz_frames(int32_t n_samples, int32_t n_fft, int32_t hop)
{
    return n_fft >= 1 && hop >= 1 && n_samples >= n_fft ? 1 + ((int64_t)n_samples - n_fft) / hop : 0;
}

/* tml_wasm_logmel_clips on the descriptor in words: rows of n_samples every hop, sizes next
 * in the input. A descriptor the validator refuses runs on empty buffers. */
static void logmel_clips(fz_input *in, int32_t *words)
{
    tml_logmel_t c = logmel_from_descriptor(words);
    int32_t rows = fz_n_rows(in), n_samples = fz_i32(in), hop = fz_i32(in), status;
    int ok;
    int64_t frames, width, scratch_n, samples;
    float *x, *scratch, *out;
    c.mel.n_bins = c.n_fft / 2 + 1;
    ok = tml_logmel_validate(&c) == TML_OK;
    frames = ok ? fz_frames(n_samples, c.n_fft, hop) : 0;
    width = ok ? tml_logmel_width(&c) : 0;
    scratch_n = ok ? TML_LOGMEL_SCRATCH((int64_t)c.n_fft, (int64_t)c.mel.n_mels) : 0;
    samples = fz_size(fz_mul(fz_pos(rows), fz_pos(n_samples)));
    if (samples < 0 || fz_size(scratch_n) < 0 || fz_size(fz_mul(fz_mul(frames, width), fz_pos(rows))) < 0 ||
        fz_mul(frames, (int64_t)c.n_fft * 16 + fz_mul(width, c.mel.n_mels) + c.mel.n_stored) > FZ_MAX_WORK) {
        return;
    }
    x = fz_signal(in, samples);
    scratch = FZ_ALLOC(float, scratch_n);
    out = FZ_ALLOC(float, fz_pos(rows) * frames * width);
    status = tml_wasm_logmel_clips(words, x, rows, n_samples, hop, scratch, out);
    FZ_REQUIRE(FZ_IS_STATUS(status));
    FZ_REQUIRE(status == TML_OK || !ok || rows < 0 || frames == 0);
    free(x);
    free(scratch);
    free(out);
}

/* tml_wasm_logmel_tables, then (when it made them) a log-mel extractor on those tables with
 * one value of first_bin, n_weights or amin taken from the input. */
static void op_logmel_tables(fz_input *in)
{
    int32_t n_fft = fz_i32(in), n_mels = fz_i32(in), n_mfcc = fz_i32(in), capacity = fz_i32(in), words[16];
    float sample_rate = fz_f32(in), fmin = fz_f32(in), fmax = fz_f32(in), amin = fz_f32(in);
    int64_t n = fz_size(fz_pos(n_fft)), mels = fz_size(fz_pos(n_mels));
    int64_t dense = fz_size(fz_mul(mels, n_fft >= 2 ? (int64_t)n_fft / 2 + 1 : 0));
    int64_t dct = fz_size(fz_mul(fz_pos(n_mfcc), mels)), cap = fz_size(fz_pos(capacity));
    float *window, *twiddles, *dense_w, *weights, *dct_t;
    uint16_t *first, *count;
    int32_t stored, pick;
    if (n < 0 || mels < 0 || dense < 0 || dct < 0 || cap < 0) {
        return;
    }
    window = FZ_ALLOC(float, n);
    twiddles = FZ_ALLOC(float, n);
    dense_w = FZ_ALLOC(float, dense);
    first = FZ_ALLOC(uint16_t, mels);
    count = FZ_ALLOC(uint16_t, mels);
    weights = FZ_ALLOC(float, cap);
    dct_t = FZ_ALLOC(float, dct);
    stored = tml_wasm_logmel_tables(n_fft, sample_rate, n_mels, fmin, fmax, n_mfcc, window, twiddles, dense_w, first,
                                    count, weights, capacity, dct_t);
    FZ_REQUIRE(stored >= 0 || FZ_IS_STATUS(stored));
    if (stored >= 0) {
        FZ_REQUIRE(stored <= capacity);
        pick = (int32_t)(fz_u8(in) % (uint32_t)n_mels);
        switch (fz_u8(in) % 4) {
        case 1:
            first[pick] = (uint16_t)fz_i32(in);
            break;
        case 2:
            count[pick] = (uint16_t)fz_i32(in);
            break;
        case 3:
            amin = fz_f32(in);
            break;
        default:
            break;
        }
        /* the descriptor of descriptors.h, its tables copied into the linear memory */
        words[0] = n_fft;
        words[1] = fz_low_alloc((size_t)n * 4);
        words[2] = fz_low_alloc((size_t)n * 4);
        words[3] = n_mels;
        words[4] = stored;
        words[5] = fz_low_alloc((size_t)mels * 2);
        words[6] = fz_low_alloc((size_t)mels * 2);
        words[7] = fz_low_alloc((size_t)stored * 4);
        memcpy(&words[8], &amin, 4);
        words[9] = n_mfcc > 0 ? n_mfcc : 0;
        words[10] = n_mfcc > 0 ? fz_low_alloc((size_t)dct * 4) : 0;
        memcpy((void *)(uintptr_t)(uint32_t)words[1], window, (size_t)n * 4);
        memcpy((void *)(uintptr_t)(uint32_t)words[2], twiddles, (size_t)n * 4);
        memcpy((void *)(uintptr_t)(uint32_t)words[5], first, (size_t)mels * 2);
        memcpy((void *)(uintptr_t)(uint32_t)words[6], count, (size_t)mels * 2);
        memcpy((void *)(uintptr_t)(uint32_t)words[7], weights, (size_t)stored * 4);
        if (words[10] != 0) {
            memcpy((void *)(uintptr_t)(uint32_t)words[10], dct_t, (size_t)dct * 4);
        }
        logmel_clips(in, words);
    }
    free(window);
    free(twiddles);
    free(dense_w);
    free(first);
    free(count);
    free(weights);
    free(dct_t);
}

/* tml_wasm_window_stats: rows of n samples of stride values, n_axes of them. */
static void op_window_stats(fz_input *in)
{
    int32_t rows = fz_n_rows(in), n = fz_i32(in), stride = fz_i32(in), n_axes = fz_i32(in);
    int64_t per_row = fz_size(fz_mul(fz_pos(n), fz_pos(stride))), out_n = fz_size(fz_mul(fz_pos(rows), fz_mul(fz_pos(n_axes), 7)));
    float *x, *out;
    if (per_row < 0 || out_n < 0) {
        return;
    }
    x = fz_signal(in, fz_pos(rows) * per_row);
    out = FZ_ALLOC(float, out_n);
    FZ_REQUIRE(FZ_IS_STATUS(tml_wasm_window_stats(x, rows, n, stride, n_axes, out)));
    free(x);
    free(out);
}

/* tml_wasm_median_filter: x[n], an odd window k. */
static void op_median(fz_input *in)
{
    int32_t n = fz_i32(in), k = fz_i32(in);
    int64_t nn = fz_size(fz_pos(n)), kk = fz_size(fz_pos(k));
    float *x, *scratch, *out;
    if (nn < 0 || kk < 0 || fz_mul(nn, fz_mul(kk, kk)) > FZ_MAX_WORK) {
        return;
    }
    x = fz_signal(in, nn);
    scratch = FZ_ALLOC(float, kk);
    out = FZ_ALLOC(float, nn);
    FZ_REQUIRE(FZ_IS_STATUS(tml_wasm_median_filter(x, n, k, scratch, out)));
    free(x);
    free(scratch);
    free(out);
}

/* tml_wasm_hysteresis_events: x[n], thresholds, room for max_events events. */
static void op_events(fz_input *in)
{
    int32_t n = fz_i32(in), min_duration = fz_i32(in), max_events = fz_i32(in), status;
    float on = fz_f32(in), off = fz_f32(in);
    int64_t nn = fz_size(fz_pos(n)), events = fz_size(fz_pos(max_events));
    float *x;
    int32_t *state, *onset, *offset;
    if (nn < 0 || events < 0) {
        return;
    }
    x = fz_signal(in, nn);
    state = FZ_ALLOC(int32_t, nn);
    onset = FZ_ALLOC(int32_t, events);
    offset = FZ_ALLOC(int32_t, events);
    status = tml_wasm_hysteresis_events(x, n, on, off, min_duration, state, onset, offset, max_events);
    FZ_REQUIRE(status >= 0 ? status <= max_events : FZ_IS_STATUS(status));
    free(x);
    free(state);
    free(onset);
    free(offset);
}

/* tml_wasm_magnitude: n xyz samples. */
static void op_magnitude(fz_input *in)
{
    int32_t n = fz_i32(in);
    int64_t nn = fz_size(fz_mul(fz_pos(n), 3));
    float *xyz, *out;
    if (nn < 0) {
        return;
    }
    xyz = fz_signal(in, nn);
    out = FZ_ALLOC(float, fz_pos(n));
    FZ_REQUIRE(FZ_IS_STATUS(tml_wasm_magnitude(xyz, n, out)));
    free(xyz);
    free(out);
}

/* tml_spectral_features and tml_band_energies of a spectrum of n_bins. */
static void op_spectral(fz_input *in)
{
    int32_t n_bins = fz_i32(in), n_bands = fz_i32(in);
    float bin_hz = fz_f32(in), centroid, bandwidth, rolloff, flatness;
    int64_t bins = fz_size(fz_pos(n_bins)), bands = fz_size(fz_pos(n_bands));
    float *power, *out;
    if (bins < 0 || bands < 0) {
        return;
    }
    power = fz_signal(in, bins);
    out = FZ_ALLOC(float, bands);
    FZ_REQUIRE(FZ_IS_STATUS(tml_spectral_features(power, n_bins, bin_hz, &centroid, &bandwidth, &rolloff, &flatness)));
    FZ_REQUIRE(FZ_IS_STATUS(tml_band_energies(power, n_bins, n_bands, out)));
    free(power);
    free(out);
}

/* The framer: init with window and hop, or a struct whose fields come from the input; then
 * pushes into a ring of ring_len. */
static void op_framer(fz_input *in)
{
    tml_framer_t f;
    int32_t window = fz_i32(in), hop = fz_i32(in), ring_len = fz_i32(in), pushes = fz_u8(in), k, status;
    int64_t ring_n = fz_size(fz_pos(ring_len)), frame_n;
    float *ring, *frame;
    if (fz_u8(in) & 1) {
        f.window = window;
        f.hop = hop;
        f.filled = fz_i32(in);
        f.since_emit = fz_i32(in);
    } else if (tml_framer_init(&f, window, hop) != TML_OK) {
        return;
    }
    frame_n = fz_size(fz_pos(f.window));
    if (ring_n < 0 || frame_n < 0) {
        return;
    }
    ring = FZ_ALLOC(float, ring_n);
    frame = FZ_ALLOC(float, frame_n);
    for (k = 0; k < pushes; k++) {
        status = tml_framer_push(&f, ring, ring_len, fz_f32(in), frame);
        FZ_REQUIRE(status == 0 || status == 1 || FZ_IS_STATUS(status));
    }
    free(ring);
    free(frame);
}

/* tml_moving_average of x[n] over k, tml_majority_vote of n labels among n_classes. */
static void op_average_vote(fz_input *in)
{
    int32_t n = fz_i32(in), k = fz_i32(in), n_classes = fz_i32(in), vote;
    int64_t nn = fz_size(fz_pos(n)), classes = fz_size(fz_pos(n_classes));
    float *x, *out;
    int32_t *labels, *counts;
    if (nn < 0 || classes < 0) {
        return;
    }
    x = fz_signal(in, nn);
    out = FZ_ALLOC(float, nn);
    labels = FZ_ALLOC(int32_t, nn);
    counts = FZ_ALLOC(int32_t, classes);
    fz_bytes(in, labels, (size_t)nn * 4);
    FZ_REQUIRE(FZ_IS_STATUS(tml_moving_average(x, n, k, out)));
    vote = tml_majority_vote(labels, n, n_classes, counts);
    FZ_REQUIRE(vote >= 0 ? vote < n_classes : FZ_IS_STATUS(vote));
    free(x);
    free(out);
    free(labels);
    free(counts);
}

/* The FFT with a twiddle table, the DCT-II with and without its table, the filterbank alone. */
static void op_fft_dct(fz_input *in)
{
    int32_t n = fz_i32(in), n_out = fz_i32(in), n_mels = fz_i32(in);
    float sample_rate = fz_f32(in), fmin = fz_f32(in), fmax = fz_f32(in);
    int64_t nn = fz_size(fz_pos(n)), outs = fz_size(fz_pos(n_out)), mels = fz_size(fz_pos(n_mels));
    int64_t bank = fz_size(fz_mul(mels, n >= 2 ? (int64_t)n / 2 + 1 : 0)), table = fz_size(fz_mul(outs, nn));
    float *re, *im, *tw, *dct, *out, *weights;
    if (nn < 0 || outs < 0 || mels < 0 || bank < 0 || table < 0 || fz_mul(nn, outs) > FZ_MAX_WORK) {
        return;
    }
    re = fz_signal(in, nn);
    im = fz_signal(in, nn);
    tw = FZ_ALLOC(float, nn);
    dct = FZ_ALLOC(float, table);
    out = FZ_ALLOC(float, outs);
    weights = FZ_ALLOC(float, bank);
    if (tml_fft_twiddles(n, tw) == TML_OK) {
        FZ_REQUIRE(tml_fft_table(re, im, n, tw) == TML_OK);
    }
    FZ_REQUIRE(FZ_IS_STATUS(tml_fft_real(re, im, n)));
    FZ_REQUIRE(FZ_IS_STATUS(tml_dct2_ortho(re, n, out, n_out)));
    if (tml_dct2_table(n, n_out, dct) == TML_OK) {
        FZ_REQUIRE(tml_dct2_ortho_table(re, n, dct, out, n_out) == TML_OK);
    }
    FZ_REQUIRE(FZ_IS_STATUS(tml_mel_filterbank(n, sample_rate, n_mels, fmin, fmax, weights)));
    free(re);
    free(im);
    free(tw);
    free(dct);
    free(out);
    free(weights);
}

/* A sparse filterbank read from the input: tml_mel_sparse_validate, and when it passes
 * tml_mel_power_sparse; tml_mel_sparsify of a dense one into room for capacity weights. */
static void op_mel_sparse(fz_input *in)
{
    tml_mel_sparse_t m;
    int32_t capacity = fz_i32(in), stored = 0;
    int64_t mels, bins, weights_n, cap;
    float *power, *mel, *dense, *weights;
    uint16_t *first, *count;
    m.n_mels = fz_i32(in);
    m.n_bins = fz_i32(in);
    m.n_stored = fz_i32(in);
    mels = fz_size(fz_pos(m.n_mels));
    bins = fz_size(fz_pos(m.n_bins));
    weights_n = fz_size(fz_pos(m.n_stored));
    cap = fz_size(fz_pos(capacity));
    if (mels < 0 || bins < 0 || weights_n < 0 || cap < 0 || fz_size(fz_mul(mels, bins)) < 0) {
        return;
    }
    first = FZ_ALLOC(uint16_t, mels);
    count = FZ_ALLOC(uint16_t, mels);
    fz_bytes(in, first, (size_t)mels * 2);
    fz_bytes(in, count, (size_t)mels * 2);
    m.first_bin = first;
    m.n_weights = count;
    m.weights = fz_signal(in, weights_n);
    power = fz_signal(in, bins);
    mel = FZ_ALLOC(float, mels);
    if (tml_mel_sparse_validate(&m) == TML_OK) {
        FZ_REQUIRE(tml_mel_power_sparse(&m, power, mel) == TML_OK);
    }
    dense = fz_signal(in, mels * bins);
    weights = FZ_ALLOC(float, cap);
    if (tml_mel_sparsify(dense, m.n_mels, m.n_bins, first, count, weights, capacity, &stored) == TML_OK) {
        FZ_REQUIRE(stored >= 0 && stored <= capacity);
    }
    free(first);
    free(count);
    free((void *)m.weights);
    free(power);
    free(mel);
    free(dense);
    free(weights);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = {data, size};
    int32_t words[16];
    fz_low_reset();
    switch (fz_u8(&in) % N_OPS) {
    case OP_POWER_SPECTRUM:
        op_power_spectrum(&in);
        break;
    case OP_LOG_MEL:
        op_log_mel(&in);
        break;
    case OP_MFCC:
        op_mfcc(&in);
        break;
    case OP_LOGMEL_TABLES:
        op_logmel_tables(&in);
        break;
    case OP_LOGMEL_DESCRIPTOR:
        if (decode_logmel(&in, words) >= 0) {
            logmel_clips(&in, words);
        }
        break;
    case OP_WINDOW_STATS:
        op_window_stats(&in);
        break;
    case OP_MEDIAN:
        op_median(&in);
        break;
    case OP_EVENTS:
        op_events(&in);
        break;
    case OP_MAGNITUDE:
        op_magnitude(&in);
        break;
    case OP_SPECTRAL:
        op_spectral(&in);
        break;
    case OP_FRAMER:
        op_framer(&in);
        break;
    case OP_AVERAGE_VOTE:
        op_average_vote(&in);
        break;
    case OP_FFT_DCT:
        op_fft_dct(&in);
        break;
    default:
        op_mel_sparse(&in);
        break;
    }
    return 0;
}
#endif
