/* One wrapper per feature extractor of c-runtime/include/tinyml/features.h.
 *
 * run.py compiles this file once per case, as `bench_predict.c` holding
 * `#define BENCH_CASE_<name>` then `#include "cases.c"`, so each case is its own translation
 * unit (the compiler's inlining decisions for one case do not depend on the others) and the
 * shared linker scripts of bench/common/c (which look for bench_predict.o) apply unchanged.
 *
 * Every case defines:
 *   void bench_setup(const void *input)        once, before the measured calls (precomputed
 *                                              tables, a primed framer); empty for most cases
 *   uint32_t bench_predict(const void *input)  one run of the extractor on the fixed input;
 *                                              returns the bits of one output value
 *   const void *bench_output(uint32_t *bytes)  the whole output of the last call, read by the
 *                                              drivers outside the measured window
 * Buffers are static (outputs, precomputed tables, FFT scratch) or on the stack (scratch that
 * does not outlive a call). The input comes from the driver (bench_input.h), so it is in
 * neither the flash nor the RAM of a case.
 *
 * The *_table and *_frame cases use tables precomputed off the device, `static const` (in
 * flash) as an exported header stores them: bench_tables.h, written by make_tables.c (run.py
 * puts it beside bench_predict.c); each case defines BENCH_TABLES_<set> for the ones it uses. */
#include <stdint.h>
#include <string.h>

#include "tinyml/features.h"

static uint32_t bench_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

#define BENCH_SAMPLE_RATE 16000.0f
#define BENCH_N_MELS 40

/* ---- Hann window + FFT + power spectrum, n_fft 256 or 512 --------------------------------- */
#if defined(BENCH_CASE_power_256) || defined(BENCH_CASE_power_512) || defined(BENCH_CASE_logmel_512)
#ifdef BENCH_CASE_power_256
#define BENCH_NFFT 256
#else
#define BENCH_NFFT 512
#endif
static float window_[BENCH_NFFT];             /* Hann, computed once in bench_setup */
static float re_[BENCH_NFFT], im_[BENCH_NFFT]; /* FFT scratch */
static float power_[BENCH_NFFT / 2 + 1];

static int windowed_power(const float *x)
{
    int32_t i;
    for (i = 0; i < BENCH_NFFT; i++) {
        re_[i] = x[i] * window_[i];
    }
    return tml_power_spectrum(re_, BENCH_NFFT, re_, im_, power_);
}
#endif

#if defined(BENCH_CASE_power_256) || defined(BENCH_CASE_power_512)
void bench_setup(const void *input)
{
    (void)input;
    tml_window(TML_WINDOW_HANN, window_, BENCH_NFFT);
}

uint32_t bench_predict(const void *input)
{
    int status = windowed_power((const float *)input);
    return status != TML_OK ? (uint32_t)status : bench_bits(power_[BENCH_NFFT / 8]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof power_;
    return power_;
}
#endif

/* ---- log-mel: window + power spectrum + 40-mel filterbank (precomputed) + 10 log10 -------- */
#ifdef BENCH_CASE_logmel_512
static float filterbank_[BENCH_N_MELS * (BENCH_NFFT / 2 + 1)]; /* computed once in bench_setup */
static float logmel_[BENCH_N_MELS];

void bench_setup(const void *input)
{
    (void)input;
    tml_window(TML_WINDOW_HANN, window_, BENCH_NFFT);
    tml_mel_filterbank(BENCH_NFFT, BENCH_SAMPLE_RATE, BENCH_N_MELS, 0.0f, BENCH_SAMPLE_RATE / 2.0f, filterbank_);
}

uint32_t bench_predict(const void *input)
{
    int status = windowed_power((const float *)input);
    if (status == TML_OK) {
        status = tml_mel_power(filterbank_, BENCH_N_MELS, BENCH_NFFT / 2 + 1, power_, logmel_);
    }
    if (status == TML_OK) {
        status = tml_log_mel(logmel_, BENCH_N_MELS, 1e-10f, logmel_);
    }
    return status != TML_OK ? (uint32_t)status : bench_bits(logmel_[0]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof logmel_;
    return logmel_;
}
#endif

/* ---- one-off set-up costs, measured as calls of their own ---------------------------------- */
#ifdef BENCH_CASE_setup_hann_512
static float window_[512];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int status = tml_window(TML_WINDOW_HANN, window_, 512);
    (void)input;
    return status != TML_OK ? (uint32_t)status : bench_bits(window_[100]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof window_;
    return window_;
}
#endif

#ifdef BENCH_CASE_setup_melfb_512
static float filterbank_[BENCH_N_MELS * 257];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int status = tml_mel_filterbank(512, BENCH_SAMPLE_RATE, BENCH_N_MELS, 0.0f, BENCH_SAMPLE_RATE / 2.0f, filterbank_);
    (void)input;
    return status != TML_OK ? (uint32_t)status : bench_bits(filterbank_[257 * 10 + 20]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof filterbank_;
    return filterbank_;
}
#endif

/* ---- MFCC: DCT-II (ortho), first 13 of 40 log-mel values ----------------------------------- */
#ifdef BENCH_CASE_mfcc_13
static float mfcc_[13];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int status = tml_dct2_ortho((const float *)input, BENCH_N_MELS, mfcc_, 13);
    return status != TML_OK ? (uint32_t)status : bench_bits(mfcc_[1]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof mfcc_;
    return mfcc_;
}
#endif

/* ---- spectral shape of a 257-bin power spectrum (n_fft 512 at 16 kHz) ----------------------- */
#ifdef BENCH_CASE_spectral_257
static float shape_[4];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int status = tml_spectral_features((const float *)input, 257, BENCH_SAMPLE_RATE / 512.0f, &shape_[0],
                                       &shape_[1], &shape_[2], &shape_[3]);
    return status != TML_OK ? (uint32_t)status : bench_bits(shape_[0]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof shape_;
    return shape_;
}
#endif

/* ---- IMU window: statistics of 3 interleaved axes x 50 samples, magnitude, its statistics ---- */
#ifdef BENCH_CASE_imu_stats_3x50
static tml_stats_t stats_[4]; /* x, y, z, magnitude */

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    const float *xyz = (const float *)input;
    float magnitude[50];
    int32_t axis;
    int status = TML_OK;
    for (axis = 0; axis < 3 && status == TML_OK; axis++) {
        status = tml_window_stats(xyz + axis, 50, 3, &stats_[axis]);
    }
    if (status == TML_OK) {
        status = tml_magnitude(xyz, 50, magnitude);
    }
    if (status == TML_OK) {
        status = tml_window_stats(magnitude, 50, 1, &stats_[3]);
    }
    return status != TML_OK ? (uint32_t)status : bench_bits(stats_[3].std);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof stats_;
    return stats_;
}
#endif

/* ---- band energies: 8 bands of a 129-bin power spectrum ------------------------------------- */
#ifdef BENCH_CASE_bands_8x129
static float bands_[8];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int status = tml_band_energies((const float *)input, 129, 8, bands_);
    return status != TML_OK ? (uint32_t)status : bench_bits(bands_[2]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof bands_;
    return bands_;
}
#endif

/* ---- post-processing over 100 per-frame values --------------------------------------------- */
#ifdef BENCH_CASE_median_5x100
static float median_[100];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    float scratch[5];
    int status = tml_median_filter((const float *)input, 100, 5, scratch, median_);
    return status != TML_OK ? (uint32_t)status : bench_bits(median_[50]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof median_;
    return median_;
}
#endif

#ifdef BENCH_CASE_movavg_8x100
static float average_[100];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int status = tml_moving_average((const float *)input, 100, 8, average_);
    return status != TML_OK ? (uint32_t)status : bench_bits(average_[50]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof average_;
    return average_;
}
#endif

#ifdef BENCH_CASE_hysteresis_events_100
#define BENCH_MAX_EVENTS 8
/* state[100], then the event count, then onset[8] and offset[8] */
static int32_t events_[100 + 1 + 2 * BENCH_MAX_EVENTS];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int32_t *state = events_, *onset = events_ + 101, *offset = onset + BENCH_MAX_EVENTS;
    int status = tml_hysteresis((const float *)input, 100, 0.6f, 0.4f, state);
    if (status == TML_OK) {
        status = tml_events(state, 100, 3, onset, offset, BENCH_MAX_EVENTS);
        events_[100] = status;
    }
    return (uint32_t)status;
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof events_;
    return events_;
}
#endif

#ifdef BENCH_CASE_majority_15x5
static int32_t vote_;

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int32_t counts[5];
    vote_ = tml_majority_vote((const int32_t *)input, 15, 5, counts);
    return (uint32_t)vote_;
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof vote_;
    return &vote_;
}
#endif

/* ---- streaming framer: push 16 samples, window 64, hop 16 ---------------------------------- */
#ifdef BENCH_CASE_framer_16_64
static tml_framer_t framer_;
static float ring_[64];
static float frame_[64];
static int32_t frames_;

/* Init and one full window (the 16 input samples four times): from then on every call of 16
 * pushes emits exactly one frame, at its last push (the steady state). */
void bench_setup(const void *input)
{
    const float *x = (const float *)input;
    int32_t i;
    tml_framer_init(&framer_, 64, 16);
    for (i = 0; i < 64; i++) {
        frames_ += tml_framer_push(&framer_, ring_, 64, x[i % 16], frame_);
    }
}

uint32_t bench_predict(const void *input)
{
    const float *x = (const float *)input;
    int32_t i;
    for (i = 0; i < 16; i++) {
        int got = tml_framer_push(&framer_, ring_, 64, x[i], frame_);
        if (got < 0) {
            return (uint32_t)got;
        }
        frames_ += got;
    }
    return (uint32_t)frames_;
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof frame_;
    return frame_;
}
#endif

/* ---- the same with tables precomputed off the device (bench_tables.h, const in flash) ------- */

/* Hann + FFT with the twiddle table + power: power_256 / power_512's computation step for step
 * (tml_power_spectrum with tml_fft_table instead of tml_fft_real), window and twiddles const. */
#if defined(BENCH_CASE_power_256_table) || defined(BENCH_CASE_power_512_table)
#ifdef BENCH_CASE_power_256_table
#define BENCH_NFFT 256
#define BENCH_TABLES_256
#define BENCH_WINDOW bench_window_256
#define BENCH_TWIDDLES bench_twiddles_256
#else
#define BENCH_NFFT 512
#define BENCH_TABLES_512
#define BENCH_WINDOW bench_window_512
#define BENCH_TWIDDLES bench_twiddles_512
#endif
#include "bench_tables.h"
static float re_[BENCH_NFFT], im_[BENCH_NFFT]; /* FFT scratch, static as in power_<n> */
static float power_[BENCH_NFFT / 2 + 1];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    const float *x = (const float *)input;
    int32_t i;
    int status;
    for (i = 0; i < BENCH_NFFT; i++) {
        re_[i] = x[i] * BENCH_WINDOW[i];
        im_[i] = 0.0f;
    }
    status = tml_fft_table(re_, im_, BENCH_NFFT, BENCH_TWIDDLES);
    for (i = 0; i <= BENCH_NFFT / 2; i++) {
        power_[i] = re_[i] * re_[i] + im_[i] * im_[i];
    }
    return status != TML_OK ? (uint32_t)status : bench_bits(power_[BENCH_NFFT / 8]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof power_;
    return power_;
}
#endif

/* tml_logmel_frame as an exported header's <name>_frame_features runs it: a const
 * tml_logmel_t over const tables (window, twiddles, sparse filterbank; DCT cosines for MFCC),
 * the scratch on the stack. logmel_512_frame gives logmel_512's 40 log-mel values;
 * mfcc_512_frame 13 MFCCs of them. tml_logmel_validate runs once, in bench_setup. */
#if defined(BENCH_CASE_logmel_512_frame) || defined(BENCH_CASE_mfcc_512_frame)
#define BENCH_TABLES_512
#define BENCH_TABLES_MEL
#ifdef BENCH_CASE_mfcc_512_frame
#define BENCH_TABLES_DCT
#define BENCH_WIDTH 13
#define BENCH_DCT bench_dct_13x40
#else
#define BENCH_WIDTH BENCH_N_MELS
#define BENCH_DCT NULL
#endif
#include "bench_tables.h"
static const tml_logmel_t logmel_config_ = {
    512, bench_window_512, bench_twiddles_512,
    {BENCH_N_MELS, 257, BENCH_MEL_N_STORED, bench_mel_first_bin, bench_mel_n_weights, bench_mel_weights},
    1e-10f, BENCH_WIDTH == BENCH_N_MELS ? 0 : BENCH_WIDTH, BENCH_DCT};
static float features_[BENCH_WIDTH];
static int32_t valid_;

void bench_setup(const void *input)
{
    (void)input;
    valid_ = tml_logmel_validate(&logmel_config_);
}

uint32_t bench_predict(const void *input)
{
    float scratch[TML_LOGMEL_SCRATCH(512, BENCH_N_MELS)];
    int status = valid_;
    if (status == TML_OK) {
        status = tml_logmel_frame(&logmel_config_, (const float *)input, scratch, features_);
    }
    return status != TML_OK ? (uint32_t)status : bench_bits(features_[BENCH_WIDTH == 13 ? 1 : 0]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof features_;
    return features_;
}
#endif

/* ---- MFCC with the DCT cosines precomputed: tml_dct2_ortho_table, 13 x 40 const ------------- */
#ifdef BENCH_CASE_mfcc_13_table
#define BENCH_TABLES_DCT
#include "bench_tables.h"
static float mfcc_[13];

void bench_setup(const void *input) { (void)input; }

uint32_t bench_predict(const void *input)
{
    int status = tml_dct2_ortho_table((const float *)input, BENCH_N_MELS, bench_dct_13x40, mfcc_, 13);
    return status != TML_OK ? (uint32_t)status : bench_bits(mfcc_[1]);
}

const void *bench_output(uint32_t *bytes)
{
    *bytes = sizeof mfcc_;
    return mfcc_;
}
#endif
