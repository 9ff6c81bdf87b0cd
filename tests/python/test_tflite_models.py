""".tflite files into the network IR (tinyml_lab/readers/tflite_models.py): small models written
with the flatbuffer classes the tflite-micro wheel ships (the MLPerf Tiny files are in
test_mlperf_tiny.py): int8 bit for bit with TensorFlow Lite Micro's interpreter, the refused
operators named once each, the command line."""

from __future__ import annotations

import numpy as np
import pytest
from test_tflite_format import _pack, _schema, _tiny_model

import tinyml_lab
from tinyml_lab import cli
from tinyml_lab.errors import UnsupportedModelError


def _write(tmp_path, raw, name="tiny.tflite"):
    path = tmp_path / name
    path.write_bytes(_pack(raw))
    return path


def test_a_tiny_int8_convolution_is_bit_exact_with_tflite_micro(tmp_path):
    """1x1 CONV_2D with per-channel weights, an input zero point and a fused RELU6: the clamp at
    6 / scale is TFLite's."""
    path = _write(tmp_path, _tiny_model(_schema()))
    converted = tinyml_lab.convert(path, dtype="int8")
    assert converted.ir["task"] == "regression" and converted.ir["input_quantization"] == {"scale": 0.5,
                                                                                          "zero_point": -1}
    codes = np.random.default_rng(0).integers(-128, 128, (200, 32))
    X = (np.float32(0.5) * (codes + 1)).astype(np.float32)
    report = converted.evaluate(X)
    assert report.max_abs_error == 0 and not report.failures(max_relative_error=0.0)
    # and the outputs reach both ends of the clamp: 0 and RELU6's 6 (output scale 0.5, zero 3)
    _, device = converted.predict_device(X)
    assert np.asarray(device).min() == 0 and np.asarray(device).max() == 6



def test_an_int8_file_keeps_its_own_quantization_in_the_header_and_the_inspector(tmp_path):
    """The header says whose numbers it computes (no calibration rows were measured), and the
    Inspector does not calibrate an int8 file on its test rows, which would only earn a warning
    that they are not used; rows passed on purpose still get it."""
    path = _write(tmp_path, _tiny_model(_schema()))
    converted = tinyml_lab.convert(path, dtype="int8")
    assert "the model file's own quantization" in converted.header
    assert "ranges measured" not in converted.header and not converted.warnings
    X = (np.float32(0.5) * (np.random.default_rng(3).integers(-128, 128, (20, 32)) + 1)).astype(np.float32)
    assert tinyml_lab.inspect(path, X, dtype="int8").converted().warnings == []
    assert any("calibration rows are not" in w for w in tinyml_lab.convert(path, dtype="int8", calibration=X).warnings)

def test_refused_operators_are_named_once_each(tmp_path):
    schema = _schema()
    raw = _tiny_model(schema)
    code = raw.operatorCodes[0]
    code.deprecatedBuiltinCode, code.builtinCode = 127, schema.BuiltinOperator.GELU
    raw.subgraphs[0].operators[0].builtinOptionsType, raw.subgraphs[0].operators[0].builtinOptions = 0, None
    with pytest.raises(UnsupportedModelError) as info:
        tinyml_lab.convert(_write(tmp_path, raw))
    assert str(info.value).splitlines()[1:] == ["  operator 0 GELU: operator not supported"]

    raw = _tiny_model(schema)
    raw.subgraphs[0].operators[0].builtinOptions.dilationHFactor = 2
    with pytest.raises(UnsupportedModelError, match=r"operator 0 CONV_2D: dilation; only 1 is supported"):
        tinyml_lab.convert(_write(tmp_path, raw))


def test_the_command_line_converts_a_tflite_file(tmp_path, monkeypatch):
    path = _write(tmp_path, _tiny_model(_schema()))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["convert", str(path), "-o", "tiny.h", "--dtype", "int8"]) == 0
    header = (tmp_path / "tiny.h").read_text()
    assert "TML_LAYER_CONV" in header and "tiny_predict" in header


def test_pad_before_a_convolution_is_read(tmp_path):
    """PAD (zeros around height and width, as TFLite writes a "same" convolution's padding in
    front of a "valid" one) then the convolution: bit for bit with TFLite Micro."""
    schema = _schema()
    raw = _tiny_model(schema)
    graph = raw.subgraphs[0]
    padded = schema.TensorT()
    padded.name, padded.shape, padded.type, padded.buffer = "padded", [1, 6, 5, 2], 9, 0
    padded.quantization = graph.tensors[0].quantization
    paddings = schema.TensorT()
    paddings.name, paddings.shape, paddings.type, paddings.buffer = "paddings", [4, 2], 2, 3
    graph.tensors += [padded, paddings]
    graph.tensors[3].shape = [1, 6, 5, 3]
    buffer = schema.BufferT()
    buffer.data = list(np.array([[0, 0], [1, 1], [0, 1], [0, 0]], dtype="<i4").tobytes())
    raw.buffers.append(buffer)
    pad = schema.OperatorT()
    pad.opcodeIndex, pad.inputs, pad.outputs = 1, [0, 5], [4]
    graph.operators[0].inputs = [4, 1, 2]
    graph.operators = [pad, graph.operators[0]]
    code = schema.OperatorCodeT()
    code.deprecatedBuiltinCode, code.builtinCode = schema.BuiltinOperator.PAD, schema.BuiltinOperator.PAD
    raw.operatorCodes.append(code)
    converted = tinyml_lab.convert(_write(tmp_path, raw), dtype="int8")
    assert [layer["kind"] for layer in converted.structure["layers"]] == ["pad", "conv"]
    codes = np.random.default_rng(1).integers(-128, 128, (50, 32))
    report = converted.evaluate((np.float32(0.5) * (codes + 1)).astype(np.float32))
    assert report.max_abs_error == 0 and not report.failures(max_relative_error=0.0)


def test_a_reshape_in_front_is_read(tmp_path):
    """RESHAPE from a vector of 32 to [4, 4, 2] (the values stay where they are), then the
    convolution: the IR's reshape, bit for bit with TFLite Micro."""
    schema = _schema()
    raw = _tiny_model(schema)
    graph = raw.subgraphs[0]
    flat, target = schema.TensorT(), schema.TensorT()
    flat.name, flat.shape, flat.type, flat.buffer = "flat", [1, 32], 9, 0
    flat.quantization = graph.tensors[0].quantization
    target.name, target.shape, target.type, target.buffer = "target", [4], 2, 3
    graph.tensors += [flat, target]
    buffer = schema.BufferT()
    buffer.data = list(np.array([1, 4, 4, 2], dtype="<i4").tobytes())
    raw.buffers.append(buffer)
    reshape = schema.OperatorT()
    reshape.opcodeIndex, reshape.inputs, reshape.outputs = 1, [4, 5], [0]
    graph.inputs = [4]
    graph.operators = [reshape, graph.operators[0]]
    code = schema.OperatorCodeT()
    code.deprecatedBuiltinCode, code.builtinCode = schema.BuiltinOperator.RESHAPE, schema.BuiltinOperator.RESHAPE
    raw.operatorCodes.append(code)
    converted = tinyml_lab.convert(_write(tmp_path, raw), dtype="int8")
    assert converted.ir["input_shape"] == [32] and converted.ir["layers"][0]["kind"] == "reshape"
    codes = np.random.default_rng(2).integers(-128, 128, (50, 32))
    report = converted.evaluate((np.float32(0.5) * (codes + 1)).astype(np.float32))
    assert report.max_abs_error == 0 and not report.failures(max_relative_error=0.0)
