"""The MLPerf Tiny reference models (issue 16), as their authors published them: files other
people made, read from the shared folder beside the repository (never copied into it; see
../shared/models/mlperf-tiny/README.md). TINYML_MODELS_DIR overrides where they are looked for.

The Keras files: ad01.h5, the anomaly-detection autoencoder written by Keras 2.4 in the legacy
HDF5 format (Keras 2's inbound_nodes lists), vww_96.h5, MobileNetV1 with DepthwiseConv2D, and
pretrainedResnet.h5, ResNet-8, a graph whose three residual stacks join with Add. The four int8
.tflite files: exported as int8 with their own quantization, bit for bit what TensorFlow Lite
Micro's host interpreter (its reference kernels) computes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import STRICT_FLAGS, mlperf_tiny_models_dir

import tinyml_lab
from tinyml_lab.errors import InvalidInputError

#: float32 device output against Keras: |device - keras| <= this * max(1, |keras|)
RELATIVE_TOLERANCE = 1e-4
N_ROWS = 100


@pytest.fixture(scope="module")
def models_dir() -> Path:
    return mlperf_tiny_models_dir()


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


def test_resnet_h5_graph_agrees_with_keras_and_int8_reports_its_drop(models_dir):
    """ResNet-8 (CIFAR-10): skip connections joined by Add, 1x1 stride-2 shortcuts. The arena
    holds at most three 32x32x16 tensors at once: a residual block's input stays alive across
    the block for its Add."""
    path = models_dir / "pretrainedResnet.h5"
    converted = tinyml_lab.convert(str(path))
    assert [layer["kind"] for layer in converted.structure["layers"]].count("add") == 3
    reference = keras.models.load_model(path, compile=False)
    rng = np.random.default_rng(0)
    images = (rng.random((N_ROWS + 40, 32, 32, 3)) * 255).astype(np.float32)  # pixels 0..255, as trained
    expected = np.asarray(reference.predict(images[:N_ROWS], verbose=0), dtype=np.float64)
    _, device = converted.predict_device(images[:N_ROWS].reshape(N_ROWS, -1))
    device = np.asarray(device, dtype=np.float64).reshape(expected.shape)
    assert (np.abs(device - expected) / np.maximum(1.0, np.abs(expected))).max() <= RELATIVE_TOLERANCE
    assert converted.structure["arenaBytes"] == 3 * 32 * 32 * 16 * 4

    int8 = tinyml_lab.convert(str(path), dtype="int8", calibration=images[N_ROWS:].reshape(40, -1))
    _, quantized = int8.predict_device(images[:N_ROWS].reshape(N_ROWS, -1))
    quantized = np.asarray(quantized, dtype=np.float64).reshape(expected.shape)
    agreement = float((quantized.argmax(1) == expected.argmax(1)).mean())
    print(f"ResNet-8 int8 calibrated on 40 rows: top-1 agrees with float on {agreement:.0%} of {N_ROWS} rows, "
          f"largest probability difference {np.abs(quantized - expected).max():.3f}")
    assert agreement >= 0.95
    # plus the two gathered windows of the widest 3x3 convolution (64 input channels: 576 bytes each)
    assert int8.structure["arenaBytes"] == 3 * 32 * 32 * 16 + 2 * 3 * 3 * 64


#: (file, input scale, input zero point): random int8 codes, as real values the header quantizes back
INT8_FILES = [
    ("ad01_int8.tflite", 0.3910152316093445, 89),
    ("kws_ref_model.tflite", 0.5847029089927673, 83),
    ("pretrainedResnet_quant.tflite", 1.0, -128),
    ("vww_96_int8.tflite", 0.003921568859368563, -128),
]


def _int8_rows(scale: float, zero: int, n_features: int, seed: int = 0) -> np.ndarray:
    codes = np.random.default_rng(seed).integers(-128, 128, (N_ROWS, n_features))
    return (np.float32(scale) * (codes - zero).astype(np.float32)).astype(np.float32)


@pytest.mark.parametrize("name, scale, zero", INT8_FILES)
def test_int8_tflite_is_bit_exact_with_tflite_micro(models_dir, name, scale, zero):
    """The file's own quantization (per-channel weight scales, int32 biases, every tensor's
    parameters) gives the integers of TFLite Micro's reference kernels on 100 random inputs:
    convolutions, depthwise, dense, ADD, average pooling and softmax alike."""
    converted = tinyml_lab.convert(str(models_dir / name), dtype="int8")
    X = _int8_rows(scale, zero, converted.ir["n_features"])
    report = converted.evaluate(X)
    assert report.measured and not report.failures(min_agreement=1.0, max_relative_error=0.0)
    assert report.max_abs_error == 0 and report.n_rows == N_ROWS
    if converted.ir["task"] == "classification":
        assert report.label_agreement == 1.0


@pytest.mark.parametrize("name, scale, zero", [INT8_FILES[1], INT8_FILES[3]])
def test_int8_tflite_header_under_gcc_gives_the_same_integers(models_dir, run_header, name, scale, zero):
    """The exported header, compiled by gcc with every warning an error, gives the WebAssembly
    device run's outputs (which the test above holds to TFLite Micro's). The visual wake words
    net's last pointwise layers store only their channels with a nonzero weight (row masks)."""
    converted = tinyml_lab.convert(str(models_dir / name), dtype="int8")
    X = _int8_rows(scale, zero, converted.ir["n_features"], seed=1)
    _, device = converted.predict_device(X)
    out = run_header(converted.header, X)
    np.testing.assert_array_equal(out[:, 1:], np.asarray(device).reshape(N_ROWS, -1))
    assert (".row_mask = " in converted.header) == name.startswith("vww")


#: Runs kws_run_int8 and kws_run on the same rows of int8 codes; prints per row the int8 outputs
#: and how many differ from the float path's outputs once dequantized (0 when the integers agree).
INT8_TENSORS_MAIN = r"""
#include <stdio.h>
#include "kws.h"

int main(int argc, char **argv)
{
    static int8_t codes[KWS_N_FEATURES], q[KWS_N_OUTPUTS];
    static float x[KWS_N_FEATURES], out[KWS_N_OUTPUTS], arena[(KWS_ARENA_BYTES + 3) / 4];
    const tml_layer_t *first = &kws_net.layers[0], *last = &kws_net.layers[kws_net.n_layers - 1];
    FILE *f = fopen(argv[1], "rb");
    int32_t k;
    (void)argc;
    while (fread(codes, 1, sizeof codes, f) == sizeof codes) {
        int differ = 0;
        for (k = 0; k < KWS_N_FEATURES; k++) {
            x[k] = tml_dequantize_i8(codes[k], first->in_scale, first->in_zero);
        }
        if (kws_run_int8(codes, arena, q, KWS_N_OUTPUTS) != TML_OK || kws_run(x, arena, out, KWS_N_OUTPUTS) != TML_OK) {
            return 1;
        }
        for (k = 0; k < KWS_N_OUTPUTS; k++) {
            differ += tml_dequantize_i8(q[k], last->out_scale, last->out_zero) != out[k];
            printf("%d ", q[k]);
        }
        printf("%d\n", differ);
    }
    return 0;
}
"""


def test_int8_tensors_in_and_out_give_the_float_paths_integers(models_dir, tmp_path):
    """kws_run_int8 takes the input tensor's int8 codes and gives the output tensor's, as TFLite
    Micro does: the same integers as kws_run on those codes as real values, row by row."""
    converted = tinyml_lab.convert(str(models_dir / "kws_ref_model.tflite"), dtype="int8", name="kws")
    assert "static inline int kws_run_int8(const int8_t *x, void *arena, int8_t *out, int32_t n)" in converted.header
    (tmp_path / "kws.h").write_text(converted.header)
    (tmp_path / "main.c").write_text(INT8_TENSORS_MAIN)
    codes = np.random.default_rng(2).integers(-128, 128, (N_ROWS, 490)).astype(np.int8)
    codes.tofile(tmp_path / "codes.bin")
    subprocess.run(["gcc", *STRICT_FLAGS, "-o", str(tmp_path / "main"), str(tmp_path / "main.c"), "-lm"],
                   check=True, capture_output=True, text=True)
    run = subprocess.run([str(tmp_path / "main"), str(tmp_path / "codes.bin")], check=True, capture_output=True,
                         text=True)
    rows = np.array([[int(v) for v in line.split()] for line in run.stdout.splitlines()])
    assert rows.shape == (N_ROWS, 13)
    assert not rows[:, -1].any()  # every output's integer is the float path's
    assert len(np.unique(rows[:, :-1].argmax(axis=1))) > 1  # not one answer for every row
    # a float model has no int8 tensors to take
    floating = tinyml_lab.convert(str(models_dir / "kws_ref_model.tflite"), name="kws")
    assert "_run_int8" not in floating.header


def test_float_tflite_files_export_float32_and_name_what_they_are(models_dir):
    """The float32 KWS file is a "hybrid": int8 convolution weights, float activations. Its
    weights are dequantized into a float32 export; TFLite Micro refuses to run such a file, so
    the report says it has no reference instead of passing anything."""
    path = str(models_dir / "kws_ref_model_float32.tflite")
    converted = tinyml_lab.convert(path)
    assert converted.ir["task"] == "classification" and "input_quantization" not in converted.ir
    X = _int8_rows(0.5847029089927673, 83, 490)[:5]
    with pytest.raises(InvalidInputError, match="TensorFlow Lite Micro cannot run kws_ref_model_float32.tflite"):
        converted.evaluate(X)
    twin = tinyml_lab.convert(str(models_dir / "kws_ref_model.tflite"))  # an int8 file's float32 twin
    assert any("dequantized" in w for w in twin.warnings)
