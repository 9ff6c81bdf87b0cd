"""The FeatureView: its float64 reference against the C runtime (tinyml_lab.features runs the
same WebAssembly build) and against librosa/scipy, the widget's device half (the browser's
TypeScript, run headless) against the reference, model scores, errors and traits."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import scipy.ndimage
import scipy.signal
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

import tinyml_lab
from tinyml_lab import feature_view as fv
from tinyml_lab import features
from tinyml_lab.arrays import decode_array
from tinyml_lab.datasets import make_imu_windows
from tinyml_lab.errors import InvalidInputError

SR = 16000
BURSTS = ((0.3, 0.6), (1.1, 1.2), (1.5, 1.9))  # seconds


def chirp_noise_bursts(seconds=2.0, seed=0):
    """A quiet chirp (100 Hz to 6 kHz) in noise, with three loud bursts of chirp and noise;
    returns the float32 signal and the 0/1 burst envelope per sample."""
    t = np.arange(int(SR * seconds)) / SR
    rng = np.random.default_rng(seed)
    envelope = np.zeros_like(t)
    for start, end in BURSTS:
        envelope[(t >= start) & (t < end)] = 1
    chirp = 0.3 * scipy.signal.chirp(t, f0=100, t1=t[-1], f1=6000) + 0.02 * rng.normal(size=t.size)
    signal = chirp * (0.05 + envelope) + 0.2 * envelope * rng.normal(size=t.size)
    return signal.astype(np.float32), envelope


def imu_stream(n_windows=10, seed=0):
    """Idle, shaking, idle, walking, shaking: windows of make_imu_windows end to end, (n, 3)."""
    X, y = make_imu_windows(n_per_class=n_windows, steps=32, seed=seed)
    order = [0, 2, 0, 1, 2]
    return np.concatenate([X[y == label].reshape(-1, 3) for label in order]), X, y


@pytest.fixture(scope="module")
def audio():
    return chirp_noise_bursts()


# ---- the reference against librosa, scipy and the C runtime ----


def test_mel_filterbank_is_librosas():
    import librosa  # noqa: PLC0415 - a test dependency only

    for n_fft, n_mels, fmin, fmax in ((512, 40, 0.0, None), (1024, 64, 20.0, 7600.0), (256, 20, 300.0, 4000.0)):
        ours = fv.mel_filterbank(SR, n_fft, n_mels, fmin, fmax)
        theirs = librosa.filters.mel(sr=SR, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float64)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)


def test_audio_reference_is_librosas_log_mel(audio):
    import librosa  # noqa: PLC0415

    signal, _ = audio
    ref = fv.audio_reference(signal, SR, 512, 256, 40, n_mfcc=13)
    power = librosa.feature.melspectrogram(y=signal.astype(np.float64), sr=SR, n_fft=512, hop_length=256, center=False,
                                           window="hann", power=2.0, n_mels=40, dtype=np.float64)
    db = librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=None).T
    np.testing.assert_allclose(ref["log_mel"], db, atol=1e-9)
    np.testing.assert_allclose(ref["mfcc"], scipy.fft.dct(db, type=2, norm="ortho", axis=1)[:, :13], atol=1e-9)


def test_audio_reference_equals_the_c_runtime_within_float32_rounding(audio):
    signal, _ = audio
    ref = fv.audio_reference(signal, SR, 512, 256, 40, fmin=20, fmax=7600, n_mfcc=13)
    power = features.power_spectrum(features.frames(signal, 512, 256))
    # float32 FFT: within 1e-6 of each frame's largest bin
    np.testing.assert_allclose(power, ref["power"], atol=1e-6 * ref["power"].max(axis=1, keepdims=True).max())
    log_mel = features.log_mel(power, 512, SR, 40, fmin=20, fmax=7600)
    assert np.abs(log_mel - ref["log_mel"]).max() < 0.01  # dB
    mfcc = features.mfcc(log_mel, 13)
    assert np.abs(mfcc - ref["mfcc"]).max() < 1e-5 * np.abs(ref["mfcc"]).max()


def test_imu_reference_equals_the_c_runtime():
    stream, _, _ = imu_stream()
    ref = fv.imu_reference(stream, 32, 16)
    device = features.imu_window_stats(fv.frame_rows(stream, 32, 16))
    assert device.shape == ref["features"].shape == (len(stream) // 16 - 1, 28)
    counts = np.arange(28) % 7 == 6
    scale = np.abs(ref["features"][:, ~counts]).max()
    np.testing.assert_allclose(device[:, ~counts], ref["features"][:, ~counts], atol=1e-6 * scale)
    # a zero crossing moves only where a sample sits within float32 rounding of the mean
    assert np.mean(device[:, counts] == ref["features"][:, counts]) >= 0.99
    # the level is the magnitude's RMS
    magnitude = np.linalg.norm(fv.frame_rows(stream.astype(np.float64), 32, 16), axis=2)
    np.testing.assert_allclose(ref["level"], np.sqrt(np.mean(magnitude**2, axis=1)), rtol=1e-12)
    two_axes = fv.imu_reference(stream[:, :2], 32, 16)
    np.testing.assert_allclose(two_axes["level"], np.sqrt(np.mean(np.sum(fv.frame_rows(stream[:, :2].astype(np.float64),
                                                                                        32, 16) ** 2, axis=2), axis=1)))


def test_reference_events_are_the_c_runtimes_on_the_same_scores():
    rng = np.random.default_rng(1)
    for _ in range(20):
        score = np.cumsum(rng.normal(size=200)).astype(np.float32)
        on, off = np.percentile(score, [70, 50])
        for min_duration in (0, 1, 4):
            expected = features.detect_events(score, on, off, min_duration)
            assert fv.hysteresis_events(score, on, off, min_duration) == expected


# ---- the widget: device half (the browser's code) against the reference ----


def test_audio_view_device_and_reference_find_the_same_events(audio):
    signal, envelope = audio
    view = tinyml_lab.view_features(signal, sample_rate=SR, n_mfcc=13, min_duration=3)
    device = view.compute_device()
    ref = view.reference_result()
    summary = view.summary
    assert summary["n_frames"] == (len(signal) - 512) // 256 + 1 == device["features"].shape[0]
    assert summary["max_abs_feature_diff"] < 0.01  # dB
    assert summary["max_abs_mfcc_diff"] < 1e-5 * np.abs(ref["mfcc"]).max()
    assert summary["max_abs_score_diff"] < 1e-3  # dB
    assert summary["events_identical"] and summary["differing_events"] == []
    assert device["events"] == ref["events"]
    assert len(ref["events"]) == len(BURSTS)
    # each event covers its burst, give or take a frame and the median filter's reach
    for (onset, offset), (start, end) in zip(ref["events"], BURSTS):
        assert abs(onset * 256 / SR - start) <= 3 * 512 / SR
        assert abs(((offset - 1) * 256 + 512) / SR - end) <= 3 * 512 / SR
    # the browser's features are the C runtime's, bit for bit
    power = features.power_spectrum(features.frames(signal, 512, 256))
    np.testing.assert_array_equal(device["features"], features.log_mel(power, 512, SR, 40))
    np.testing.assert_array_equal(device["filtered"], features.median_filter(device["score"], 5))
    np.testing.assert_allclose(device["score"], device["features"].astype(np.float64).mean(axis=1), atol=1e-4)
    np.testing.assert_allclose(ref["filtered"], scipy.ndimage.median_filter(ref["score"], size=5, mode="nearest"))


def test_imu_view_device_and_reference_find_the_same_events():
    stream, _, _ = imu_stream()
    view = tinyml_lab.view_features(stream, window=32, hop=16, median=3, min_duration=2)
    device = view.compute_device()
    assert view.params["kind"] == "imu" and view.params["n_axes"] == 3
    summary = view.summary
    assert summary["feature_width"] == 28 and summary["zero_crossing_mismatches"] == 0
    assert summary["max_abs_feature_diff"] < 1e-5
    assert summary["events_identical"] and len(device["events"]) >= 2  # the two shaking stretches at least
    np.testing.assert_array_equal(device["features"], features.imu_window_stats(fv.frame_rows(stream, 32, 16)))
    np.testing.assert_array_equal(device["score"], device["features"][:, 23])  # the magnitude's RMS


def test_a_classifier_scores_the_frames_on_both_sides(audio):
    signal, envelope = audio
    ref = fv.audio_reference(signal, SR, 512, 256, 40)
    centres = np.arange(len(ref["log_mel"])) * 256 + 256
    labels = np.where(envelope[centres] > 0, "burst", "quiet")
    forest = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(ref["log_mel"], labels)
    view = tinyml_lab.view_features(signal, sample_rate=SR, model=forest, positive_class="burst", min_duration=2)
    assert view.params["score_name"] == "P(burst)" and (view.params["on"], view.params["off"]) == (0.6, 0.4)
    reference = view.reference_result()
    np.testing.assert_allclose(reference["score"], forest.predict_proba(ref["log_mel"])[:, 0])
    device = view.compute_device()
    # the C forest on the device's features, as convert() compiles it
    _, values = tinyml_lab.convert(forest).predict_device(device["features"])
    np.testing.assert_array_equal(device["score"], values[:, 0])
    assert view.summary["max_abs_score_diff"] < 1e-5
    assert view.summary["events_identical"] and len(device["events"]) == len(BURSTS)

    # A decision function: positive for the second class, negated for the first.
    svm = LinearSVC(random_state=0).fit(ref["log_mel"], labels)
    view = tinyml_lab.view_features(signal, sample_rate=SR, model=svm, positive_class="burst", on=0.5, off=-0.5)
    np.testing.assert_allclose(view.reference_result()["score"], -svm.decision_function(ref["log_mel"]))
    view.compute_device()
    assert view.summary["max_abs_score_diff"] < 1e-3 and view.summary["events_identical"]


def test_a_pipeline_on_raw_windows_scores_imu_frames():
    stream, X, y = imu_stream()
    pipeline = make_pipeline(features.IMUFeatures(), RandomForestClassifier(n_estimators=10, random_state=0))
    pipeline.fit(X, np.where(y == 2, "shaking", "other"))
    view = tinyml_lab.view_features(stream, window=32, hop=16, model=pipeline, positive_class="shaking", median=3)
    assert view.model["input"] == "frames"  # the pipeline's feature stage takes the raw window
    view.compute_device()
    assert view.summary["max_abs_score_diff"] < 1e-5 and view.summary["events_identical"]
    assert view.summary["device_events"] >= 2


# ---- errors ----


@pytest.mark.parametrize("signal, options, message", [
    (np.r_[np.zeros(1000), np.nan], {}, "NaN or infinite values \\(the first at sample 1000\\)"),
    (np.zeros(1000), {"n_fft": 500}, "n_fft must be a power of two"),
    (np.zeros(100), {}, "shorter than one frame \\(n_fft = 512\\)"),
    (np.zeros((20, 3)), {"window": 32}, "shorter than one frame \\(window = 32\\)"),
    (np.zeros(1000), {"on": 0.1, "off": 0.5}, "off \\(0.5\\) must not be above on \\(0.1\\)"),
    (np.zeros(1000), {"median": 4}, "must be odd"),
    (np.zeros(1000), {"n_mfcc": 50}, "n_mfcc \\(50\\) cannot exceed n_mels \\(40\\)"),
    (np.zeros(1000), {"fmin": 9000.0}, "need 0 <= fmin < fmax"),
    (np.zeros(1000), {"sample_rate": -1}, "sample_rate must be positive"),
    (np.zeros(1000), {"fft_window": "kaiser"}, "fft_window must be one of hann, hamming, rect"),
    (np.zeros(4000), {"n_mels": 0}, "n_mels must be an integer >= 1, got 0"),
    (np.zeros(4000), {"min_duration": 1.5}, "min_duration must be an integer >= 0"),
    (np.zeros((10, 10, 3)), {}, "audio \\(n_samples,\\) or an IMU stream"),
    (np.zeros((100, 3)), {"hop": 0}, "hop must be an integer >= 1"),
])
def test_bad_input_is_named(signal, options, message):
    with pytest.raises(InvalidInputError, match=message):
        tinyml_lab.view_features(signal, **options)


def test_bad_models_are_named(audio):
    signal, envelope = audio
    ref = fv.audio_reference(signal, SR, 512, 256, 40)
    labels = (envelope[np.arange(len(ref["log_mel"])) * 256 + 256] > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(ref["log_mel"], labels)
    with pytest.raises(InvalidInputError, match="positive_class 'loud' is not one of the model's classes \\[0, 1\\]"):
        tinyml_lab.view_features(signal, sample_rate=SR, model=forest, positive_class="loud")
    with pytest.raises(InvalidInputError, match="the model takes 40 values per frame; the frames give features: 20"):
        tinyml_lab.view_features(signal, sample_rate=SR, n_mels=20, model=forest)
    with pytest.raises(InvalidInputError, match="must be a fitted scikit-learn estimator"):
        tinyml_lab.view_features(signal, sample_rate=SR, model=lambda x: x)
    # n_mfcc == n_mels: the model's input is ambiguous until named
    with pytest.raises(InvalidInputError, match="pass model_input='features' or 'mfcc'"):
        tinyml_lab.view_features(signal, sample_rate=SR, n_mfcc=40, model=forest)
    view = tinyml_lab.view_features(signal, sample_rate=SR, n_mfcc=40, model=forest, model_input="features")
    assert view.model["input"] == "features"


def test_the_device_half_checks_what_it_is_sent(audio):
    """The browser validates the traits too: a reference out of step with the parameters is
    reported, not plotted."""
    signal, _ = audio
    view = tinyml_lab.view_features(signal, sample_rate=SR)
    view.params = {**view.params, "hop": 128, "n_frames": (len(signal) - 512) // 128 + 1}
    with pytest.raises(InvalidInputError, match="reference.features: has 4960 values, the device computed 9880"):
        view.compute_device()


# ---- the widget's state ----


def test_traits_are_what_the_front_end_reads(audio):
    signal, _ = audio
    view = tinyml_lab.FeatureView(signal, sample_rate=SR, n_mels=32, hop=128, on=-20.0, off=-30.0)
    assert (view._model_name, view._view_name, view._view_module) == ("FeatureViewModel", "FeatureViewView",
                                                                      "tinyml-lab")
    x = decode_array(view.signal["x"])
    assert x.dtype == np.float32 and x.shape == signal.shape
    assert set(view.params) == {"kind", "sample_rate", "frame_length", "hop", "n_frames", "median", "on", "off",
                                "min_duration", "score_name", "n_fft", "n_mels", "fmin", "fmax", "amin", "n_mfcc",
                                "fft_window"}
    assert view.params["n_frames"] == (len(signal) - 512) // 128 + 1
    assert (view.params["on"], view.params["off"]) == (-20.0, -30.0)
    assert view.model == {}
    ref = view.reference
    assert decode_array(ref["features"]).shape == (view.params["n_frames"], 32)
    assert decode_array(ref["features"]).dtype == np.float64
    assert len(ref["feature_names"]) == 32 and all(isinstance(e, list) and len(e) == 2 for e in ref["events"])
    assert view.device == {} and view.device_result() is None and view.summary is None  # the browser fills it
    # JSON-safe: what ipywidgets sends
    import json  # noqa: PLC0415

    json.dumps({"params": view.params, "reference": view.reference}, allow_nan=False)

    imu = tinyml_lab.view_features(imu_stream()[0], window=32)
    assert imu.params["sample_rate"] is None and imu.params["hop"] == 16
    assert imu.reference["feature_names"][:2] == ["x mean", "x std"]
    assert imu.reference["feature_names"][-1] == "magnitude zero_crossings"
