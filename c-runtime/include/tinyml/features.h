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
 *
 * The files, one part each (including this header includes them all):
 *   features_spectrum.h  FFT, windows, power spectrum, spectral shape, band energies, level
 *   features_mel.h       mel filterbank, log-mel, MFCC, tml_logmel_t (tables for a device)
 *   features_imu.h       window statistics, magnitude
 *   features_post.h      framer, median filter, moving average, hysteresis, events, vote
 */
#ifndef TINYML_FEATURES_H
#define TINYML_FEATURES_H

/* a standalone model header embeds these just before */
#ifndef TINYML_FEATURES_MEL_H
#include "tinyml/features_mel.h"
#endif
#ifndef TINYML_FEATURES_IMU_H
#include "tinyml/features_imu.h"
#endif
#ifndef TINYML_FEATURES_POST_H
#include "tinyml/features_post.h"
#endif

#endif /* TINYML_FEATURES_H */
