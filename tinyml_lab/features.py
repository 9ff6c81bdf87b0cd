"""Feature extraction and post-processing from the kernel, running the C runtime's own code
(c-runtime/include/tinyml/features.h, its WebAssembly build in the embedded V8): what a model
is trained on here is computed exactly as the device will compute it.

Audio: power spectra, log-mel spectrograms (librosa's Slaney filterbank), MFCCs. IMU: window
statistics per axis and the orientation-free magnitude. Post-processing: median filter,
hysteresis thresholding and event detection. ``LogMelFeatures`` and ``IMUFeatures`` are
scikit-learn transformers for a Pipeline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from . import _engine
from .arrays import ir_array
from .errors import InvalidInputError

#: What IMUFeatures and imu_window_stats give per axis, in order.
STAT_NAMES = ("mean", "std", "rms", "min", "max", "peak_to_peak", "zero_crossings")


def _rows(x: Any, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidInputError(f"{what} must be a non-empty 1-D or 2-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"{what} has NaN or infinite values")
    return np.ascontiguousarray(arr.astype(np.float32))


def _call(name: str, **inputs: Any) -> dict[str, Any]:
    """The core's feature extractor ``name``; its outputs come back as numpy arrays."""
    return _engine.call("features", name, inputs)


def frames(signal: Any, frame_length: int, hop: int) -> np.ndarray:
    """Rows of frame_length samples every hop samples (as tml_framer_t emits them on a device)."""
    x = np.asarray(signal, dtype=np.float32).ravel()
    if frame_length < 1 or hop < 1 or len(x) < frame_length:
        raise InvalidInputError(f"cannot cut frames of {frame_length} every {hop} from {len(x)} samples")
    starts = range(0, len(x) - frame_length + 1, hop)
    return np.stack([x[s:s + frame_length] for s in starts])


def power_spectrum(frames_: Any, window: str = "hann") -> np.ndarray:
    """|FFT|^2 of each windowed row (n_fft = row length, a power of two): n_fft/2 + 1 bins."""
    x = _rows(frames_, "frames")
    return _call("power_spectrum", x=ir_array(x, "float32"), window=window)["out"]


def log_mel(power: Any, n_fft: int, sample_rate: float, n_mels: int = 40, fmin: float = 0.0,
            fmax: float | None = None, amin: float = 1e-10) -> np.ndarray:
    """10 log10 of the mel energies of power spectra (librosa's Slaney mel filterbank)."""
    p = _rows(power, "power")
    out = _call("log_mel", power=ir_array(p, "float32"), n_fft=int(n_fft), sample_rate=float(sample_rate),
                n_mels=int(n_mels), fmin=float(fmin), fmax=float(fmax if fmax is not None else sample_rate / 2),
                amin=float(amin))["out"]
    return out


def mfcc(log_mel_: Any, n_mfcc: int = 13) -> np.ndarray:
    """MFCCs: the orthonormal DCT-II of log-mel rows."""
    m = _rows(log_mel_, "log_mel")
    return _call("mfcc", log_mel=ir_array(m, "float32"), n_mfcc=int(n_mfcc))["out"]


def imu_window_stats(windows: Any, n_axes: int = 3, magnitude: bool = True) -> np.ndarray:
    """Per window: STAT_NAMES for each axis (and for the magnitude sqrt(x²+y²+z²) when asked),
    from windows of shape (n_windows, steps, n_axes) or flattened sample-major rows."""
    w = np.asarray(windows, dtype=np.float32)
    if w.ndim == 3:
        w = w.reshape(len(w), -1)
    x = _rows(w, "windows")
    if x.shape[1] % n_axes:
        raise InvalidInputError(f"rows of {x.shape[1]} values do not hold whole samples of {n_axes} axes")
    steps = x.shape[1] // n_axes
    out = _call("window_stats", x=ir_array(x, "float32"), n=steps, stride=n_axes, n_axes=n_axes)["out"]
    if magnitude and n_axes == 3:
        mag = _call("magnitude", xyz=ir_array(x.ravel(), "float32"))["out"].reshape(len(x), steps)
        mag_stats = _call("window_stats", x=ir_array(np.ascontiguousarray(mag), "float32"),
                          n=steps, stride=1, n_axes=1)["out"]
        out = np.hstack([out, mag_stats])
    return out


def median_filter(signal: Any, k: int) -> np.ndarray:
    """Median over k samples (odd), centred, edges repeated (scipy's mode='nearest')."""
    x = _rows(signal, "signal").ravel()
    return _call("median_filter", x=ir_array(x, "float32"), k=int(k))["out"]


def detect_events(scores: Any, on: float, off: float, min_duration: int = 1) -> list[tuple[int, int]]:
    """Hysteresis (on at >= on, off below off), then runs of at least min_duration samples:
    [(onset, offset), ...] with offset one past the last active sample."""
    if off > on:
        raise InvalidInputError(f"off ({off}) must not be above on ({on})")
    x = _rows(scores, "scores").ravel()
    r = _call("events", x=ir_array(x, "float32"), on=float(on), off=float(off), min_duration=int(min_duration))
    return list(zip(r["onsets"].tolist(), r["offsets"].tolist()))


class LogMelFeatures(BaseEstimator, TransformerMixin):
    """Audio clips (n_clips, n_samples) -> flattened log-mel spectrograms (or MFCCs with
    n_mfcc), computed by the C runtime as a device computes them: frames of n_fft every hop
    samples, periodic Hann window, power spectrum, Slaney mel filterbank, 10 log10(max(., amin)),
    and with n_mfcc the orthonormal DCT-II. Features are frame after frame (n_frames x width).
    In a Pipeline the stage is exported with the model: the header takes raw clips."""

    def __init__(self, sample_rate: float = 16000, n_fft: int = 512, hop: int = 256, n_mels: int = 40,
                 fmin: float = 0.0, fmax: float | None = None, n_mfcc: int | None = None, amin: float = 1e-10):
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop = hop
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.n_mfcc = n_mfcc
        self.amin = amin

    def _stage(self) -> dict[str, Any]:
        return {"kind": "log_mel", "n_fft": int(self.n_fft), "hop": int(self.hop),
                "sample_rate": float(self.sample_rate), "n_mels": int(self.n_mels), "fmin": float(self.fmin),
                "fmax": float(self.fmax if self.fmax is not None else self.sample_rate / 2),
                "amin": float(self.amin), "n_mfcc": int(self.n_mfcc) if self.n_mfcc else None}

    def fit(self, X: Any, y: Any = None) -> LogMelFeatures:
        clips = _rows(X, "clips")
        self.n_features_in_ = clips.shape[1]
        self.n_frames_ = n_frames(self.n_features_in_, self.n_fft, self.hop)
        return self

    def feature_stage(self) -> dict[str, Any]:
        """The IR of this stage, exported in front of the model (src/core/features/stage.ts)."""
        return {**self._stage(), "samples": int(self.n_features_in_)}

    def transform(self, X: Any) -> np.ndarray:
        clips = _rows(X, "clips")
        n_frames(clips.shape[1], self.n_fft, self.hop)  # a clear error for clips shorter than a frame
        out = _call("log_mel_clips", x=ir_array(clips, "float32"), stage=self._stage())["out"]
        return out


def n_frames(n_samples: int, n_fft: int, hop: int) -> int:
    """Frames of n_fft every hop samples in a clip of n_samples (as frames() cuts them)."""
    if n_fft < 2 or n_fft & (n_fft - 1) or hop < 1:
        raise InvalidInputError(f"n_fft must be a power of two >= 2 and hop >= 1, got n_fft={n_fft}, hop={hop}")
    if n_samples < n_fft:
        raise InvalidInputError(f"clips of {n_samples} samples are shorter than one frame (n_fft={n_fft})")
    return 1 + (n_samples - n_fft) // hop


class IMUFeatures(BaseEstimator, TransformerMixin):
    """IMU windows (n_windows, steps, 3) or flattened -> per-axis and magnitude statistics
    (STAT_NAMES each), computed by the C runtime."""

    def __init__(self, n_axes: int = 3, magnitude: bool = True):
        self.n_axes = n_axes
        self.magnitude = magnitude

    def fit(self, X: Any, y: Any = None) -> IMUFeatures:
        shape = np.shape(X)
        # windows (n, steps, axes) or flattened sample-major rows (n, steps * axes)
        self.n_features_in_ = int(np.prod(shape[1:]))
        self.steps_ = self.n_features_in_ // self.n_axes
        return self

    def feature_stage(self) -> dict[str, Any]:
        """The IR of this stage, exported in front of the model (src/core/features/stage.ts)."""
        return {"kind": "imu_stats", "steps": int(self.steps_), "n_axes": int(self.n_axes),
                "magnitude": bool(self.magnitude and self.n_axes == 3)}

    def transform(self, X: Any) -> np.ndarray:
        return imu_window_stats(X, self.n_axes, self.magnitude)


__all__ = ["IMUFeatures", "LogMelFeatures", "STAT_NAMES", "detect_events", "frames", "imu_window_stats",
           "log_mel", "median_filter", "mfcc", "n_frames", "power_spectrum"]
