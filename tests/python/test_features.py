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
    np.testing.assert_allclose(coefficients,
                               scipy.fft.dct(device.astype(np.float64), type=2, norm="ortho", axis=1)[:, :13],
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
        expected = np.stack([signal.mean(1), signal.std(1), np.sqrt(np.mean(signal**2, 1)), signal.min(1),
                             signal.max(1), np.ptp(signal, 1)], axis=1)
        np.testing.assert_allclose(got[:, :6], expected, rtol=1e-4, atol=1e-4)
        # a crossing can flip only where a sample sits within float32 rounding of the mean
        assert np.mean(got[:, 6] == crossings) >= 0.95


def test_median_filter_matches_scipy_and_events_follow_hysteresis():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=300)).astype(np.float32)
    for k in (1, 3, 7, 15):
        np.testing.assert_array_equal(features.median_filter(x, k),
                                      scipy.ndimage.median_filter(x, size=k, mode="nearest"))
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
    model = make_pipeline(features.IMUFeatures(), RandomForestClassifier(n_estimators=20, random_state=0))
    model.fit(X[::2], y[::2])
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
    forest = make_pipeline(features.IMUFeatures(), RandomForestClassifier(n_estimators=10, random_state=0))
    forest.fit(X_train, y_train)
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


# ---- the log-mel stage a header exports (tml_logmel_t: tables in flash) ----

def audio_set():
    from tinyml_lab.datasets import make_audio_clips
    X, y = make_audio_clips(n_per_class=40)
    return X[::2], y[::2], X[1::2], y[1::2]


@pytest.mark.parametrize("n_mfcc", [None, 12])
def test_log_mel_features_are_the_stepwise_functions_bit_for_bit(n_mfcc):
    """The stage (twiddle table, sparse filterbank, DCT table) computes exactly what the
    table-free functions compute, which the tests above hold against numpy and librosa."""
    clips = np.stack([chirp_and_noise(0.1, seed) for seed in range(3)])
    stage = features.LogMelFeatures(n_fft=256, hop=100, n_mels=32, fmin=50, fmax=7000, n_mfcc=n_mfcc).fit(clips)
    out = stage.transform(clips)
    assert stage.n_frames_ == 1 + (1600 - 256) // 100 and out.shape == (3, stage.n_frames_ * (n_mfcc or 32))
    for clip, row in zip(clips, out):
        mel = features.log_mel(features.power_spectrum(features.frames(clip, 256, 100)), 256, SR, 32, 50, 7000)
        want = features.mfcc(mel, n_mfcc) if n_mfcc else mel
        np.testing.assert_array_equal(row, want.ravel())


def test_log_mel_features_match_librosa():
    import librosa  # noqa: PLC0415 - a test dependency
    clip = chirp_and_noise(0.2)
    out = features.LogMelFeatures(n_fft=512, hop=256, n_mels=40).fit(clip[None]).transform(clip[None])
    mel = librosa.feature.melspectrogram(y=clip.astype(np.float64), sr=SR, n_fft=512, hop_length=256, n_mels=40,
                                         center=False, power=2.0, window="hann", htk=False, norm="slaney")
    reference = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T
    device = out.reshape(reference.shape)
    loud = reference > reference.max() - 60  # float32 noise floor: compare bands within 60 dB of the top
    assert np.abs(device - reference)[loud].max() < 0.01


@pytest.mark.parametrize("n_mfcc", [None, 13])
def test_a_pipeline_starting_with_log_mel_features_exports_the_stage_with_the_model(run_header, n_mfcc):
    """Raw clips in, on the device (gcc) as in the notebook: the header's tables are the ones
    the training features came from, so a forest gives the pipeline's label on every clip and
    a network its probabilities within 1e-5."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import tinyml_lab

    X_train, y_train, X_test, y_test = audio_set()
    stage = dict(sample_rate=8000, n_fft=256, hop=128, n_mels=24, n_mfcc=n_mfcc)
    forest = make_pipeline(features.LogMelFeatures(**stage), RandomForestClassifier(n_estimators=20, random_state=0))
    forest.fit(X_train, y_train)
    assert forest.score(X_test, y_test) > 0.85
    converted = tinyml_lab.convert(forest, name="model")
    width = n_mfcc or 24
    assert converted.ir["n_inputs"] == 2048 and converted.ir["n_features"] == 15 * width
    header = converted.header
    for text in ("static inline int model_features(const float *clip, float *features)",
                 "static inline int model_frame_features(const float *frame, float *out)",
                 "static inline int model_features_validate(void)",
                 "#define MODEL_N_FRAMES 15", f"#define MODEL_FRAME_FEATURES {width}"):
        assert text in header
    n_weights = int(header.split("model_mel_weights[")[1].split("]")[0])
    assert 24 < n_weights < 24 * 129 // 4  # the filterbank is stored sparsely
    assert ("model_dct[" in header) == bool(n_mfcc)
    flash = {item["name"]: item["bytes"] for item in converted.size["flash"]}
    tables = next(v for k, v in flash.items() if k.startswith("feature tables"))
    assert tables == 4 * (256 + 256 + n_weights + (n_mfcc or 0) * 24) + 2 * 2 * 24
    out = run_header(header, X_test)
    np.testing.assert_array_equal(forest.classes_[out[:, 0].astype(int)], forest.predict(X_test))
    assert converted.evaluate(X_test, y_test).label_agreement == 1.0

    net = make_pipeline(features.LogMelFeatures(**stage), StandardScaler(),
                        MLPClassifier(hidden_layer_sizes=(24,), max_iter=400, random_state=0)).fit(X_train, y_train)
    converted = tinyml_lab.convert(net, name="model")
    out = run_header(converted.header, X_test)
    np.testing.assert_allclose(out[:, 1:], net.predict_proba(X_test), atol=1e-5)
    int8 = tinyml_lab.convert(net, dtype="int8", calibration=X_train)  # raw clips: the stage runs first
    assert int8.evaluate(X_test, y_test).label_agreement >= 0.9


def test_log_mel_stage_errors_are_named():
    import tinyml_lab
    from tinyml_lab.convert import ConvertedModel, compile_options
    from tinyml_lab.errors import CompilerError

    with pytest.raises(InvalidInputError, match="shorter than one frame"):
        features.LogMelFeatures(n_fft=512).fit(np.zeros((2, 300)))
    with pytest.raises(InvalidInputError, match="power of two"):
        features.LogMelFeatures(n_fft=500).fit(np.zeros((2, 1000)))
    with pytest.raises(InvalidInputError, match="NaN"):
        features.LogMelFeatures(n_fft=64).fit(np.full((1, 128), np.nan))
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline

    X_train, y_train, _, _ = audio_set()
    model = make_pipeline(features.LogMelFeatures(sample_rate=8000, n_fft=256, hop=256, n_mels=16),
                          RandomForestClassifier(n_estimators=3, random_state=0)).fit(X_train, y_train)
    ir = tinyml_lab.model_to_ir(model)
    ir["feature_stage"]["fmin"] = 20.0
    ir["feature_stage"]["fmax"] = 10.0
    with pytest.raises(CompilerError, match=r"feature_stage.fmax: must be above fmin \(20\), got 10"):
        ConvertedModel(model, ir, compile_options())
    ir["feature_stage"].update(fmin=0.0, fmax=4000.0, samples=2000)  # 2048 in training
    with pytest.raises(CompilerError, match="feature_stage"):
        ConvertedModel(model, ir, compile_options())
