"""The MLPerf Tiny reference models (issue 16), as their authors published them: files other
people made, read from the shared folder beside the repository (never copied into it; see
../shared/models/mlperf-tiny/README.md). TINYML_MODELS_DIR overrides where they are looked for.

What works today: ad01.h5, the anomaly-detection autoencoder written by Keras 2.4 in the legacy
HDF5 format, whose functional graph (Keras 2's inbound_nodes lists) is a chain, and vww_96.h5,
MobileNetV1 with DepthwiseConv2D. The ResNet needs the graph executor (Add), KWS a .tflite
reader: they are refused in one line per layer or per file."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import pytest

import tinyml_lab
from tinyml_lab.errors import UnsupportedModelError

REPOSITORY = Path(__file__).resolve().parents[2]
#: float32 device output against Keras: |device - keras| <= this * max(1, |keras|)
RELATIVE_TOLERANCE = 1e-4
N_ROWS = 100


def _models_dir() -> Path:
    candidates = [Path(os.environ["TINYML_MODELS_DIR"])] if "TINYML_MODELS_DIR" in os.environ else []
    candidates += [parent / "shared" / "models" / "mlperf-tiny" for parent in REPOSITORY.parents]
    for candidate in candidates:
        if (candidate / "ad01.h5").is_file():
            return candidate
    pytest.fail("the MLPerf Tiny models are not found: looked in "
                f"{', '.join(str(c) for c in candidates)} (set TINYML_MODELS_DIR to the folder with ad01.h5)")


@pytest.fixture(scope="module")
def models_dir() -> Path:
    return _models_dir()


def test_ad01_keras2_h5_agrees_with_keras(models_dir):
    path = models_dir / "ad01.h5"
    converted = tinyml_lab.convert(str(path))
    assert converted.ir["task"] == "regression" and converted.ir["n_features"] == 640
    reference = keras.models.load_model(path, compile=False)
    # the model's inputs are log-mel energies, standardized: normal rows span their range
    X = np.random.default_rng(0).standard_normal((N_ROWS, 640)).astype(np.float32)
    expected = np.asarray(reference.predict(X, verbose=0), dtype=np.float64)
    _, device = converted.predict_device(X)
    device = np.asarray(device, dtype=np.float64).reshape(expected.shape)
    error = np.abs(device - expected) / np.maximum(1.0, np.abs(expected))
    assert error.max() <= RELATIVE_TOLERANCE, error.max()
    report = converted.evaluate(X)
    assert report.max_abs_error <= RELATIVE_TOLERANCE * max(1.0, float(np.abs(expected).max()))


class _DepthwiseConv2DWithoutGroups(keras.layers.DepthwiseConv2D):
    """Keras 3 refuses the `groups` argument that TF 2.3 wrote into DepthwiseConv2D configs:
    the reference loads the file with this stand-in (the project's reader does not use Keras)."""

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)


def test_vww_96_h5_agrees_with_keras_and_int8_keeps_the_labels(models_dir):
    """MobileNetV1 (alpha 0.25) of visual wake words: 13 DepthwiseConv2D blocks."""
    path = models_dir / "vww_96.h5"
    converted = tinyml_lab.convert(str(path))
    reference = keras.models.load_model(path, compile=False,
                                        custom_objects={"DepthwiseConv2D": _DepthwiseConv2DWithoutGroups})
    rng = np.random.default_rng(0)
    images = rng.random((60, 96, 96, 3)).astype(np.float32)  # pixels scaled to [0, 1], as in training
    expected = np.asarray(reference.predict(images[:20], verbose=0), dtype=np.float64)
    _, device = converted.predict_device(images[:20].reshape(20, -1))
    device = np.asarray(device, dtype=np.float64).reshape(expected.shape)
    assert (np.abs(device - expected) / np.maximum(1.0, np.abs(expected))).max() <= RELATIVE_TOLERANCE
    int8 = tinyml_lab.convert(str(path), dtype="int8", calibration=images[20:].reshape(40, -1))
    _, quantized = int8.predict_device(images[:20].reshape(20, -1))
    quantized = np.asarray(quantized, dtype=np.float64).reshape(expected.shape)
    assert (quantized.argmax(1) == expected.argmax(1)).all()
    assert np.abs(quantized - expected).max() < 0.05
    assert int8.flash_bytes < 0.3 * converted.flash_bytes


@pytest.mark.parametrize("name, message", [
    ("pretrainedResnet.h5", r"add \(Add\): takes 2 inputs"),
    ("kws_ref_model.tflite", r"kws_ref_model.tflite: .tflite files are not read; model files read: .json, .ubj"),
])
def test_what_is_not_read_yet_is_named(models_dir, name, message):
    with pytest.raises(UnsupportedModelError, match=message):
        tinyml_lab.convert(str(models_dir / name))
