/*
 * TinyML Lab C runtime, features: streams and what follows a model. A framer that cuts a
 * sample stream into overlapping windows, and post-processing of per-frame outputs: median
 * filter, moving average, hysteresis, event extraction, majority vote.
 *
 * Header-only C99, `static inline` throughout, float32, no malloc, no recursion, no state
 * outside the caller's buffers and structs: the caller provides every buffer. Every function
 * that takes sizes checks them (and its pointers) and returns a negative TML_E_* code instead
 * of reading or writing out of bounds. Inputs and outputs must not overlap unless a function
 * says so.
 */
#ifndef TINYML_FEATURES_POST_H
#define TINYML_FEATURES_POST_H

/* a standalone model header embeds these just before */
#ifndef TINYML_COMMON_H
#include "tinyml/common.h"
#endif

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

#endif /* TINYML_FEATURES_POST_H */
