"""The FeatureView widget: Python half of src/widgets/featureView.ts (same class names).

A signal (audio, 1-D; or an IMU stream, (n_samples, n_axes)) is cut into frames, turned
into features, an event score per frame, a median-filtered score and events (hysteresis with
a minimum duration). Two sides compute all of it:

- reference: this module, in float64 with numpy/scipy (the formulas librosa and scipy use:
  periodic windows, the one-sided power spectrum, Slaney's mel filterbank, 10 log10, the
  orthonormal DCT-II, population statistics, a nearest-edge median filter);
- device: the browser, running the C runtime's features.h (its WebAssembly build) on the same
  float32 signal, and the compiled C model for a model's score. It writes its results back
  into the ``device`` trait; ``compute_device()`` runs the same TypeScript code headless.

The widget plots both and lists where they differ: feature values, scores and events.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft
import scipy.ndimage
from traitlets import Dict, Unicode

from . import _engine
from ._widget_base import TinyMLWidget
from .arrays import decode_array, encode_array, input_count
from .convert import compile_options
from .errors import InvalidInputError
from .features import STAT_NAMES
from .readers import model_to_ir

#: FFT windows the C runtime has (tml_window), all periodic.
FFT_WINDOWS = ("hann", "hamming", "rect")
#: What a model's per-frame input can be: the feature vector, the MFCCs, or the raw frame.
MODEL_INPUTS = ("features", "mfcc", "frames")
#: Largest FFT of the C runtime (TML_FFT_MAX).
FFT_MAX = 65536

# Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above.
_MEL_F_SP = 200.0 / 3.0
_MEL_MIN_LOG_HZ = 1000.0
_MEL_MIN_LOG_MEL = _MEL_MIN_LOG_HZ / _MEL_F_SP
_MEL_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(hz: Any) -> np.ndarray:
    """Slaney mel of frequencies in Hz (float64)."""
    f = np.asarray(hz, dtype=np.float64)
    log_part = _MEL_MIN_LOG_MEL + np.log(np.maximum(f, _MEL_MIN_LOG_HZ) / _MEL_MIN_LOG_HZ) / _MEL_LOGSTEP
    return np.where(f >= _MEL_MIN_LOG_HZ, log_part, f / _MEL_F_SP)


def mel_to_hz(mel: Any) -> np.ndarray:
    """Inverse of hz_to_mel."""
    m = np.asarray(mel, dtype=np.float64)
    log_part = _MEL_MIN_LOG_HZ * np.exp(_MEL_LOGSTEP * (np.maximum(m, _MEL_MIN_LOG_MEL) - _MEL_MIN_LOG_MEL))
    return np.where(m >= _MEL_MIN_LOG_MEL, log_part, _MEL_F_SP * m)


def mel_filterbank(sample_rate: float, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """Slaney-normalised triangular mel filters, (n_mels, n_fft/2 + 1), float64: filter m
    rises from edge m to m+1 and falls to m+2 (edges evenly spaced in mel), scaled to unit
    area by 2 / (edge m+2 - edge m)."""
    fmax = sample_rate / 2 if fmax is None else fmax
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    if np.any(np.diff(edges) <= 0):
        raise InvalidInputError(f"{n_mels} mel bands do not fit between fmin={fmin} and fmax={fmax} Hz")
    bins = np.arange(n_fft // 2 + 1) * (sample_rate / n_fft)
    lower = (bins[np.newaxis, :] - edges[:-2, np.newaxis]) / np.diff(edges)[:-1, np.newaxis]
    upper = (edges[2:, np.newaxis] - bins[np.newaxis, :]) / np.diff(edges)[1:, np.newaxis]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, np.newaxis]


def fft_window(kind: str, n: int) -> np.ndarray:
    """Periodic window (scipy.signal.get_window's default), as tml_window makes it."""
    if kind == "rect" or n == 1:
        return np.ones(n)
    a0, a1 = (0.5, 0.5) if kind == "hann" else (0.54, 0.46)
    return a0 - a1 * np.cos(2 * np.pi * np.arange(n) / n)


def frame_rows(signal: np.ndarray, frame_length: int, hop: int) -> np.ndarray:
    """Frames of frame_length samples every hop samples, no padding (as tml_framer_t emits
    them): (n_frames, frame_length, *signal.shape[1:])."""
    starts = np.arange(0, len(signal) - frame_length + 1, hop)
    return np.stack([signal[s:s + frame_length] for s in starts])


def audio_reference(signal: Any, sample_rate: float, n_fft: int, hop: int, n_mels: int, fmin: float = 0.0,
                    fmax: float | None = None, n_mfcc: int = 0, window: str = "hann",
                    amin: float = 1e-10) -> dict[str, np.ndarray]:
    """Reference audio features in float64: power spectrum, log-mel (dB), MFCCs, and the
    frame level (mean log-mel, dB) of each frame."""
    frames = frame_rows(np.asarray(signal, dtype=np.float64), n_fft, hop)
    power = np.abs(np.fft.rfft(frames * fft_window(window, n_fft), axis=1)) ** 2
    mel = power @ mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax).T
    log_mel = 10 * np.log10(np.maximum(mel, amin))
    out = {"power": power, "log_mel": log_mel, "level": log_mel.mean(axis=1)}
    if n_mfcc:
        out["mfcc"] = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=1)[:, :n_mfcc]
    return out


def window_statistics(windows: np.ndarray) -> np.ndarray:
    """STAT_NAMES of each (window, axis) of windows (n_windows, steps, n_axes), float64:
    population std, zero crossings of x - mean with a zero counted as positive."""
    mean = windows.mean(axis=1, keepdims=True)
    positive = (windows - mean) >= 0
    crossings = np.sum(positive[:, 1:] != positive[:, :-1], axis=1)
    stats = [mean[:, 0], windows.std(axis=1), np.sqrt(np.mean(windows**2, axis=1)), windows.min(axis=1),
             windows.max(axis=1), np.ptp(windows, axis=1), crossings.astype(np.float64)]
    return np.stack(stats, axis=2).reshape(len(windows), -1)  # axis-major: axis 0's 7, then axis 1's...


def imu_reference(stream: Any, window: int, hop: int) -> dict[str, np.ndarray]:
    """Reference IMU features in float64: per window, STAT_NAMES of every axis and (3 axes)
    of the magnitude, as IMUFeatures lays them out; the level is the magnitude's RMS (with
    other axis counts sqrt of the sum of the axes' mean squares, the same quantity)."""
    windows = frame_rows(np.asarray(stream, dtype=np.float64), window, hop)
    stats = window_statistics(windows)
    n_axes = windows.shape[2]
    if n_axes == 3:
        magnitude = np.linalg.norm(windows, axis=2)[:, :, np.newaxis]
        stats = np.hstack([stats, window_statistics(magnitude)])
        level = stats[:, 3 * 7 + 2]
    else:
        level = np.sqrt(np.sum(stats[:, 2::7] ** 2, axis=1))
    return {"features": stats, "level": level}


def imu_feature_names(n_axes: int) -> list[str]:
    axes = ["x", "y", "z", "magnitude"] if n_axes == 3 else [f"axis{a}" for a in range(n_axes)]
    return [f"{axis} {stat}" for axis in axes for stat in STAT_NAMES]


def hysteresis_events(score: Any, on: float, off: float, min_duration: int = 1) -> list[tuple[int, int]]:
    """Events as tml_hysteresis + tml_events find them: on once score >= on, off once it is
    below off; runs of at least min_duration frames as (onset, offset one past the end)."""
    events, start, state = [], -1, False
    values = list(np.asarray(score, dtype=np.float64)) + [None]  # None closes a run at the end
    for i, v in enumerate(values):
        if v is not None:
            state = (v >= on) if not state else not (v < off)
        active = v is not None and state
        if active and start < 0:
            start = i
        elif not active and start >= 0:
            if i - start >= max(min_duration, 1):
                events.append((start, i))
            start = -1
    return events


def _positive_int(value: Any, what: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InvalidInputError(f"{what} must be an integer >= {low}, got {value!r}")
    return int(value)


def _finite(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a number, got {value!r}") from None
    if not np.isfinite(v):
        raise InvalidInputError(f"{what} must be finite, got {value!r}")
    return v


def _signal(signal: Any) -> np.ndarray:
    try:
        arr = np.asarray(signal, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"signal must be numeric: {exc}") from None
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise InvalidInputError(
            f"signal must be audio (n_samples,) or an IMU stream (n_samples, n_axes), got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.argwhere(bad)[0][0])
        raise InvalidInputError(f"signal has {int(bad.sum())} NaN or infinite values (the first at sample {first})")
    if arr.ndim == 2 and not 1 <= arr.shape[1] <= 64:
        raise InvalidInputError(f"an IMU stream has 1 to 64 axes per sample, got {arr.shape[1]} (shape {arr.shape})")
    with np.errstate(over="ignore"):
        arr32 = arr.astype(np.float32)
    if not np.all(np.isfinite(arr32)):
        raise InvalidInputError("signal has values too large for float32, the type the device computes in")
    return arr32


class FeatureView(TinyMLWidget):
    """A signal, its features, event score and events: the C runtime (WebAssembly, in the
    browser) against a float64 reference computed here.

    Audio (1-D): frames of ``n_fft`` samples every ``hop`` (default n_fft // 2), ``fft_window``,
    ``n_mels`` Slaney mel bands from ``fmin`` to ``fmax`` (default sample_rate / 2), log-mel in
    dB, and ``n_mfcc`` MFCCs when it is above 0. IMU ((n_samples, n_axes)): windows of
    ``window`` samples every ``hop``, STAT_NAMES per axis and of the magnitude (3 axes).
    ``sample_rate`` (default 16000 for audio; optional for IMU) sets the time axis.

    Score per frame: the level (mean log-mel dB; magnitude RMS), or with ``model`` a fitted
    scikit-learn estimator on each frame's features (``model_input`` "features", "mfcc" or
    "frames", inferred from its input width): predict_proba's ``positive_class`` column (default
    the last class), else its decision function, prediction or anomaly score. Events: a
    ``median`` filter (odd, frames), then on at >= ``on`` and off below ``off``, runs of at least
    ``min_duration`` frames. Without on/off: 0.6/0.4 for probabilities, else 60%/40% of the way
    from the 10th to the 90th percentile of the filtered reference score.
    """

    _model_name = Unicode("FeatureViewModel").tag(sync=True)
    _view_name = Unicode("FeatureViewView").tag(sync=True)

    #: {"x": float32 [n] (audio) or [n, n_axes] (IMU)} in the IR's array encoding.
    signal = Dict().tag(sync=True)
    #: Framing, feature and event parameters, all resolved (see _params); snake_case keys.
    params = Dict().tag(sync=True)
    #: {} for the frame level, or {"ir", "options", "input", "width", "column", "sign", "name"}.
    model = Dict().tag(sync=True)
    #: float64 features, mfcc, score, filtered score (encoded) and events [[onset, offset], ...].
    reference = Dict().tag(sync=True)
    #: Written by the browser (or compute_device): the device's features, scores, events, summary.
    device = Dict().tag(sync=True)

    def __init__(self, signal: Any, *, sample_rate: float | None = None, n_fft: int = 512, hop: int | None = None,
                 n_mels: int = 40, fmin: float = 0.0, fmax: float | None = None, n_mfcc: int = 0,
                 fft_window: str = "hann", window: int = 32, median: int = 5, on: float | None = None,
                 off: float | None = None, min_duration: int = 1, model: Any = None, positive_class: Any = None,
                 model_input: str | None = None, **kwargs: Any):
        x = _signal(signal)
        params = _params(x, sample_rate=sample_rate, n_fft=n_fft, hop=hop, n_mels=n_mels, fmin=fmin, fmax=fmax,
                         n_mfcc=n_mfcc, fft_window=fft_window, window=window, median=median,
                         min_duration=min_duration)
        reference = _reference_features(x, params)
        model_state: dict[str, Any] = {}
        if model is not None:
            model_state, score = _model_score(model, positive_class, model_input, x, params, reference)
            params["score_name"] = model_state["name"]
        else:
            score = reference["level"]
            params["score_name"] = "mean log-mel (dB)" if params["kind"] == "audio" else "magnitude RMS"
        filtered = scipy.ndimage.median_filter(score, size=params["median"], mode="nearest")
        params["on"], params["off"] = _thresholds(on, off, filtered, probability=model_state.get("probability", False))
        events = hysteresis_events(filtered, params["on"], params["off"], params["min_duration"])
        encoded = {
            "features": encode_array(reference["features"], "float64"),
            "score": encode_array(np.asarray(score, dtype=np.float64), "float64"),
            "filtered": encode_array(filtered, "float64"),
            "events": [[int(a), int(b)] for a, b in events],
            "feature_names": reference["names"],
        }
        if "mfcc" in reference:
            encoded["mfcc"] = encode_array(reference["mfcc"], "float64")
        super().__init__(signal={"x": encode_array(x, "float32")}, params=params, model=model_state,
                         reference=encoded, device={}, **kwargs)

    def reference_result(self) -> dict[str, Any]:
        """The reference side decoded: features, mfcc (when asked), score, filtered, events."""
        return _decoded(self.reference)

    def device_result(self) -> dict[str, Any] | None:
        """The device side decoded (None until the browser, or compute_device, has run)."""
        return _decoded(self.device) if self.device else None

    @property
    def summary(self) -> dict[str, Any] | None:
        """Max feature and score differences, event counts and the events that differ."""
        return self.device.get("summary") if self.device else None

    def compute_device(self) -> dict[str, Any]:
        """Runs the browser's device half (src/core/features/view.ts, the same bundle and
        WebAssembly runtime) in the kernel's embedded V8, stores it in ``device`` as the browser
        would, and returns it decoded: for scripts and tests with no front end."""
        state = {"signal": self.signal, "params": self.params, "model": self.model, "reference": self.reference}
        self.device = _engine.call("featureView", state)["device"]
        return _decoded(self.device)


def _params(x: np.ndarray, *, sample_rate: float | None, n_fft: int, hop: int | None, n_mels: int, fmin: float,
            fmax: float | None, n_mfcc: int, fft_window: str, window: int, median: int,
            min_duration: int) -> dict[str, Any]:
    """Checks the parameters against the signal; returns them resolved (defaults filled in)."""
    kind = "audio" if x.ndim == 1 else "imu"
    if sample_rate is not None or kind == "audio":
        sample_rate = _finite(16000 if sample_rate is None else sample_rate, "sample_rate")
        if sample_rate <= 0:
            raise InvalidInputError(f"sample_rate must be positive, got {sample_rate}")
    if kind == "audio":
        n_fft = _positive_int(n_fft, "n_fft", 2)
        if n_fft & (n_fft - 1) or n_fft > FFT_MAX:
            raise InvalidInputError(
                f"n_fft must be a power of two in [2, {FFT_MAX}] (the C runtime's FFT), got {n_fft}")
        frame = n_fft
    else:
        frame = _positive_int(window, "window")
    hop = _positive_int(max(frame // 2, 1) if hop is None else hop, "hop")
    if len(x) < frame:
        unit = "n_fft" if kind == "audio" else "window"
        raise InvalidInputError(f"the signal has {len(x)} samples, shorter than one frame ({unit} = {frame})")
    params: dict[str, Any] = {
        "kind": kind, "sample_rate": sample_rate, "frame_length": frame, "hop": hop,
        "n_frames": (len(x) - frame) // hop + 1, "median": _positive_int(median, "median"),
        "min_duration": _positive_int(min_duration, "min_duration", 0),
    }
    if params["median"] % 2 == 0:
        raise InvalidInputError(f"median (the median filter's length in frames) must be odd, got {median}")
    if kind == "imu":
        params["n_axes"] = int(x.shape[1])
        return params
    fmin = _finite(fmin, "fmin")
    fmax = _finite(sample_rate / 2 if fmax is None else fmax, "fmax")
    if not 0 <= fmin < fmax:
        raise InvalidInputError(f"need 0 <= fmin < fmax, got fmin={fmin}, fmax={fmax}")
    if fft_window not in FFT_WINDOWS:
        raise InvalidInputError(f"fft_window must be one of {', '.join(FFT_WINDOWS)}, got {fft_window!r}")
    n_mels = _positive_int(n_mels, "n_mels")
    n_mfcc = _positive_int(n_mfcc, "n_mfcc", 0)
    if n_mfcc > n_mels:
        raise InvalidInputError(f"n_mfcc ({n_mfcc}) cannot exceed n_mels ({n_mels})")
    params.update({"n_fft": n_fft, "n_mels": n_mels, "fmin": fmin, "fmax": fmax, "n_mfcc": n_mfcc,
                   "fft_window": fft_window, "amin": 1e-10})
    return params


def _reference_features(x: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    if params["kind"] == "audio":
        ref = audio_reference(x, params["sample_rate"], params["n_fft"], params["hop"], params["n_mels"],
                              params["fmin"], params["fmax"], params["n_mfcc"], params["fft_window"], params["amin"])
        ref["features"] = ref["log_mel"]
        ref["names"] = [f"mel {m}" for m in range(params["n_mels"])]
    else:
        ref = imu_reference(x, params["frame_length"], params["hop"])
        ref["names"] = imu_feature_names(params["n_axes"])
    ref["frames"] = frame_rows(x.astype(np.float64), params["frame_length"], params["hop"])
    return ref


def _thresholds(on: float | None, off: float | None, filtered: np.ndarray, probability: bool) -> tuple[float, float]:
    """on/off as given, else defaults: 0.6/0.4 for a probability; for other scores 60% and
    40% of the way from the 10th to the 90th percentile of the filtered reference score."""
    if on is None or off is None:
        if probability:
            lo, hi = 0.0, 1.0
        else:
            lo, hi = (float(v) for v in np.percentile(filtered, [10, 90]))
        on = lo + 0.6 * (hi - lo) if on is None else on
        off = lo + 0.4 * (hi - lo) if off is None else off
    on, off = _finite(on, "on"), _finite(off, "off")
    if off > on:
        raise InvalidInputError(f"off ({off}) must not be above on ({on}): the event ends below off and starts at on")
    return on, off


def _model_score(model: Any, positive_class: Any, model_input: str | None, x: np.ndarray, params: dict[str, Any],
                 reference: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
    """The model's state for the browser and its reference score per frame, from the
    reference features: predict_proba's column of positive_class, else decision_function
    (negated for the first class of a binary model), else predict / score_samples."""
    from sklearn.base import BaseEstimator  # noqa: PLC0415 - sklearn is imported by the package anyway

    if not isinstance(model, BaseEstimator):
        raise InvalidInputError(f"model must be a fitted scikit-learn estimator, got {type(model).__name__}")
    ir = model_to_ir(model)
    n_in = input_count(ir)
    widths = {"features": reference["features"].shape[1], "mfcc": params.get("n_mfcc", 0),
              "frames": reference["frames"][0].size}
    if model_input is None:
        matching = [k for k in MODEL_INPUTS if widths[k] == n_in]
        if len(matching) != 1:
            raise InvalidInputError(
                f"the model takes {n_in} values per frame; the frames give "
                + ", ".join(f"{k}: {w}" for k, w in widths.items() if w)
                + (": pass model_input=" + " or ".join(repr(k) for k in matching) if matching else ""))
        model_input = matching[0]
    if model_input not in MODEL_INPUTS or widths[model_input] != n_in:
        raise InvalidInputError(
            f"model_input must be one of {', '.join(MODEL_INPUTS)} with {n_in} values per frame, got {model_input!r}"
            + (f" ({widths[model_input]} values)" if model_input in widths else ""))
    rows = {"features": reference["features"], "mfcc": reference.get("mfcc"),
            "frames": reference["frames"].reshape(params["n_frames"], -1)}[model_input]

    task = ir["task"]
    if task == "anomaly":
        values, method = model.score_samples(rows), "score_samples"
    elif task == "regression":
        values, method = model.predict(rows), "predict"
    elif ir.get("output") == "decision":
        values, method = model.decision_function(rows), "decision_function"
    else:
        values, method = model.predict_proba(rows), "predict_proba"
    values = np.asarray(values, dtype=np.float64).reshape(len(rows), -1)
    column, sign, name = 0, 1.0, method
    if task == "classification":
        classes = list(ir["classes"])
        label = classes[-1] if positive_class is None else positive_class
        if label not in classes:
            raise InvalidInputError(f"positive_class {positive_class!r} is not one of the model's classes {classes}")
        k = classes.index(label)
        if values.shape[1] == len(classes):
            column = k
        else:  # a binary decision function: positive for the second class
            sign = 1.0 if k == len(classes) - 1 else -1.0
        name = f"P({label})" if method == "predict_proba" else f"{method} ({label})"
    state = {"ir": ir, "options": compile_options("model", n_features=n_in), "input": model_input,
             "width": int(values.shape[1]), "column": int(column), "sign": sign, "name": name,
             "probability": method == "predict_proba"}
    return state, sign * values[:, column]


def _decoded(trait: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in trait.items():
        if isinstance(value, dict) and {"dtype", "shape", "data"} <= value.keys():
            out[key] = decode_array(value)
        elif key == "events":
            out[key] = [(int(a), int(b)) for a, b in value]
        else:
            out[key] = value
    return out


def view_features(signal: Any, **options: Any) -> FeatureView:
    """Shows a signal's features, event score and events, device (C runtime, WebAssembly)
    against a float64 reference: ``FeatureView(signal, **options)`` (its docstring lists them).
    Audio: 1-D with sample_rate, n_fft, hop, n_mels, fmin, fmax, n_mfcc; IMU: (n_samples,
    n_axes) with window and hop. Events: median, on, off, min_duration (frames); model= a
    fitted classifier scoring each frame's features."""
    return FeatureView(signal, **options)


__all__ = ["FeatureView", "audio_reference", "hysteresis_events", "imu_reference", "mel_filterbank", "view_features"]
