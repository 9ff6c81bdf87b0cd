"""Feature extraction and post-processing: the C runtime's code (WebAssembly, from Python)
against numpy, scipy and librosa on synthesised signals, with stated tolerances."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import scipy.ndimage
import scipy.signal

from tinyml_lab import features
from tinyml_lab.datasets import make_imu_windows
from tinyml_lab.errors import InvalidInputError

SR = 16000


def chirp_and_noise(seconds=0.5, seed=0):
    t = np.arange(int(SR * seconds)) / SR
    rng = np.random.default_rng(seed)
    return (0.6 * scipy.signal.chirp(t, f0=100, t1=t[-1], f1=6000) + 0.05 * rng.normal(size=t.size)).astype(np.float32)


@pytest.mark.parametrize("window", ["rect", "hann", "hamming"])
@pytest.mark.parametrize("n_fft", [64, 512, 1024])
def test_power_spectrum_matches_numpy(window, n_fft):
    frames = features.frames(chirp_and_noise(), n_fft, n_fft // 2)
    w = scipy.signal.get_window("boxcar" if window == "rect" else window, n_fft)  # periodic, as the C runtime
    reference = np.abs(np.fft.rfft(frames.astype(np.float64) * w, axis=1)) ** 2
    device = features.power_spectrum(frames, window)
    assert device.shape == reference.shape
    # float32 FFT: errors relative to each frame's largest bin
    np.testing.assert_allclose(device, reference, atol=2e-5 * reference.max(axis=1, keepdims=True).max())


def test_log_mel_and_mfcc_match_librosa():
    import librosa  # noqa: PLC0415 - a test dependency
    n_fft, n_mels = 512, 40
    power = features.power_spectrum(features.frames(chirp_and_noise(), n_fft, 256))
    device = features.log_mel(power, n_fft, SR, n_mels, fmin=20, fmax=7600)
    bank = librosa.filters.mel(sr=SR, n_fft=n_fft, n_mels=n_mels, fmin=20, fmax=7600)  # Slaney, norm="slaney"
    reference = 10 * np.log10(np.maximum(power.astype(np.float64) @ bank.T.astype(np.float64), 1e-10))
    np.testing.assert_allclose(device, reference, atol=0.01)  # dB
    coefficients = features.mfcc(device, 13)
    librosa_mfcc = librosa.feature.mfcc(S=device.T.astype(np.float64), n_mfcc=13, norm="ortho").T
    np.testing.assert_allclose(coefficients, librosa_mfcc, atol=1e-3 * np.abs(librosa_mfcc).max())
    np.testing.assert_allclose(coefficients, scipy.fft.dct(device.astype(np.float64), type=2, norm="ortho", axis=1)[:, :13],
                               atol=1e-3 * np.abs(librosa_mfcc).max())


def test_imu_window_statistics_match_numpy():
    X, _ = make_imu_windows(n_per_class=20)
    out = features.imu_window_stats(X)
    assert out.shape == (len(X), 4 * len(features.STAT_NAMES))
    for axis in range(4):
        signal = np.linalg.norm(X.astype(np.float64), axis=2) if axis == 3 else X[:, :, axis].astype(np.float64)
        got = out[:, axis * 7:(axis + 1) * 7]
        centred = signal - signal.mean(axis=1, keepdims=True)
        crossings = np.sum((centred[:, 1:] >= 0) != (centred[:, :-1] >= 0), axis=1)
        expected = np.stack([signal.mean(1), signal.std(1), np.sqrt(np.mean(signal**2, 1)), signal.min(1), signal.max(1),
                             np.ptp(signal, 1)], axis=1)
        np.testing.assert_allclose(got[:, :6], expected, rtol=1e-4, atol=1e-4)
        # a crossing can flip only where a sample sits within float32 rounding of the mean
        assert np.mean(got[:, 6] == crossings) >= 0.95


def test_median_filter_matches_scipy_and_events_follow_hysteresis():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=300)).astype(np.float32)
    for k in (1, 3, 7, 15):
        np.testing.assert_array_equal(features.median_filter(x, k), scipy.ndimage.median_filter(x, size=k, mode="nearest"))
    scores = np.zeros(100, dtype=np.float32)
    scores[10:14] = 0.9   # 4 samples: too short
    scores[30:50] = 0.8   # an event, dipping to 0.5 (still above off) in the middle
    scores[38:41] = 0.5
    scores[90:] = 0.7     # runs to the end
    assert features.detect_events(scores, on=0.6, off=0.4, min_duration=5) == [(30, 50), (90, 100)]
    with pytest.raises(InvalidInputError, match="must not be above"):
        features.detect_events(scores, on=0.2, off=0.4)


def test_transformers_in_a_pipeline():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline

    X, y = make_imu_windows(n_per_class=40)
    model = make_pipeline(features.IMUFeatures(), RandomForestClassifier(n_estimators=20, random_state=0)).fit(X[::2], y[::2])
    assert model.score(X[1::2], y[1::2]) > 0.9
    clips = np.stack([chirp_and_noise(0.1, seed) for seed in range(4)])
    mel = features.LogMelFeatures(n_fft=256, hop=128, n_mels=20).fit(clips).transform(clips)
    assert mel.shape == (4, 11 * 20)


def test_bad_input_is_named():
    with pytest.raises(Exception, match="TML_E_SIZE"):
        features.power_spectrum(np.ones((2, 100)))  # not a power of two
    with pytest.raises(InvalidInputError, match="NaN"):
        features.power_spectrum(np.full((1, 64), np.nan))


def test_a_pipeline_starting_with_imu_features_exports_the_stage_with_the_model(run_header):
    """The device computes the features from raw windows with the same C code that computed
    them in training: a forest on them agrees with the pipeline on every row."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import tinyml_lab

    X, y = make_imu_windows(n_per_class=60)
    X_train, y_train, X_test, y_test = X[::2], y[::2], X[1::2], y[1::2]
    forest = make_pipeline(features.IMUFeatures(), RandomForestClassifier(n_estimators=10, random_state=0)).fit(X_train, y_train)
    converted = tinyml_lab.convert(forest, name="model")
    assert converted.ir["n_inputs"] == 32 * 3 and converted.ir["n_features"] == 28
    assert "static inline int model_features(const float *window, float *features)" in converted.header
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_array_equal(forest.classes_[out[:, 0].astype(int)], forest.predict(X_test))
    assert converted.evaluate(X_test, y_test).label_agreement == 1.0

    net = make_pipeline(features.IMUFeatures(), StandardScaler(),
                        MLPClassifier(hidden_layer_sizes=(16,), max_iter=500, random_state=0)).fit(X_train, y_train)
    converted = tinyml_lab.convert(net, name="model")
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_allclose(out[:, 1:], net.predict_proba(X_test), atol=1e-5)
    int8 = tinyml_lab.convert(net, dtype="int8", calibration=X_train)  # raw windows: the stage runs first
    assert int8.evaluate(X_test, y_test).label_agreement >= 0.95
