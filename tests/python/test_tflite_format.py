"""The pure-Python .tflite reader (tinyml_lab/readers/tflite_format.py) on the MLPerf Tiny models,
checked against a second reader: the flatbuffer classes generated from schema.fbs that the
tflite-micro wheel ships (with the `flatbuffers` package), and against TFLite Micro's host
interpreter, which runs the int8 models. Small models written with those generated classes cover
what the MLPerf files do not (defaults, custom and wide op codes, buffers past the flatbuffer,
damaged files)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import mlperf_tiny_models_dir

from tinyml_lab.errors import InvalidInputError, InvalidModelError, TinyMLError, UnsupportedModelError
from tinyml_lab.readers.tflite_format import TfliteModel, read_tflite, read_tflite_file

INT8_MODELS = ("ad01_int8", "kws_ref_model", "pretrainedResnet_quant", "vww_96_int8")
ALL_MODELS = (*INT8_MODELS, "kws_ref_model_float32")
KWS_OPERATORS = {"CONV_2D": 5, "DEPTHWISE_CONV_2D": 4, "AVERAGE_POOL_2D": 1, "RESHAPE": 1, "FULLY_CONNECTED": 1,
                 "SOFTMAX": 1}

#: per file: operator counts, (input shape, dtype), (output shape, dtype)
EXPECTED = {
    "ad01_int8": ({"FULLY_CONNECTED": 10}, ([1, 640], "int8"), ([1, 640], "int8")),
    "kws_ref_model": (KWS_OPERATORS, ([1, 49, 10, 1], "int8"), ([1, 12], "int8")),
    "kws_ref_model_float32": (KWS_OPERATORS, ([1, 49, 10, 1], "float32"), ([1, 12], "float32")),
    "pretrainedResnet_quant": (
        {"CONV_2D": 9, "ADD": 3, "AVERAGE_POOL_2D": 1, "RESHAPE": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1},
        ([1, 32, 32, 3], "int8"), ([1, 10], "int8")),
    "vww_96_int8": (
        {"CONV_2D": 14, "DEPTHWISE_CONV_2D": 13, "AVERAGE_POOL_2D": 1, "RESHAPE": 1, "FULLY_CONNECTED": 1,
         "SOFTMAX": 1},
        ([1, 96, 96, 3], "int8"), ([1, 2], "int8")),
}


@pytest.fixture(scope="module")
def models_dir() -> Path:
    return mlperf_tiny_models_dir()


def _path(models_dir: Path, name: str) -> Path:
    return models_dir / f"{name}.tflite"


@pytest.fixture(scope="module")
def models(models_dir) -> dict[str, TfliteModel]:
    return {name: read_tflite_file(_path(models_dir, name)) for name in ALL_MODELS}


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated

    return schema_py_generated


def _enum_names(enum_class) -> dict[int, str]:
    return {value: name for name, value in vars(enum_class).items() if not name.startswith("_")}


# ------------------------------------------------------------------------------ the real files


@pytest.mark.parametrize("name", ALL_MODELS)
def test_operators_inputs_and_outputs(models, name):
    model = models[name]
    operators, (input_shape, input_dtype), (output_shape, output_dtype) = EXPECTED[name]
    assert Counter(op.opcode for op in model.operators) == operators
    assert model.version == 3
    assert len(model.inputs) == 1 and len(model.outputs) == 1
    assert (model.tensors[model.inputs[0]].shape, model.tensors[model.inputs[0]].dtype) == (input_shape, input_dtype)
    assert (model.tensors[model.outputs[0]].shape, model.tensors[model.outputs[0]].dtype) == (output_shape,
                                                                                              output_dtype)
    assert model.tensors[model.inputs[0]].data is None and model.tensors[model.outputs[0]].data is None


@pytest.mark.parametrize("name", INT8_MODELS)
def test_int8_convolutions_are_quantized_per_output_channel(models, name):
    """Conv weights [out, kh, kw, in] along 0, depthwise [1, kh, kw, channels] along 3; bias int32,
    its scale the input's times the weights'; Dense weights per tensor."""
    model = models[name]
    for op in model.operators:
        if op.opcode not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        source, weights, bias = (model.tensors[i] for i in op.inputs)
        assert weights.dtype == "int8" and bias.dtype == "int32" and weights.data.dtype == np.int8
        assert bias.data.dtype == np.int32 and list(weights.data.shape) == weights.shape
        if op.opcode == "FULLY_CONNECTED":
            channels, dimension = weights.shape[0], 0
            assert len(weights.quantization.scale) == 1
        else:
            dimension = 0 if op.opcode == "CONV_2D" else 3
            channels = weights.shape[dimension]
            assert len(weights.quantization.scale) == channels
            assert weights.quantization.quantized_dimension == dimension
        assert bias.shape == [channels] and len(bias.quantization.scale) == len(weights.quantization.scale)
        assert not weights.quantization.zero_point.any() and not bias.quantization.zero_point.any()
        assert weights.quantization.scale.dtype == np.float32 and weights.quantization.zero_point.dtype == np.int64
        expected_bias_scale = source.quantization.scale[0] * weights.quantization.scale.astype(np.float64)
        np.testing.assert_allclose(bias.quantization.scale, expected_bias_scale, rtol=1e-6)


def test_float32_kws_is_a_hybrid_model(models):
    """The "float32" KWS file keeps float activations, depthwise and Dense weights, but its five Conv2D
    weights are int8 with one scale each (dynamic-range quantization)."""
    model = models["kws_ref_model_float32"]
    for op in model.operators:
        weights = model.tensors[op.inputs[1]] if len(op.inputs) > 1 else None
        if op.opcode == "CONV_2D":
            assert weights.dtype == "int8" and len(weights.quantization.scale) == 1
            assert model.tensors[op.inputs[2]].dtype == "float32"
        elif op.opcode in ("DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            assert weights.dtype == "float32" and weights.quantization is None


def test_options_of_a_few_operators(models):
    kws = models["kws_ref_model"].operators
    assert kws[0].options == {"padding": "SAME", "stride_w": 2, "stride_h": 2, "fused_activation_function": "RELU",
                              "dilation_w_factor": 1, "dilation_h_factor": 1}
    assert kws[1].options == {"padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 1,
                              "fused_activation_function": "RELU", "dilation_w_factor": 1, "dilation_h_factor": 1}
    assert kws[9].options == {"padding": "VALID", "stride_w": 5, "stride_h": 25, "filter_width": 5,
                              "filter_height": 25, "fused_activation_function": "NONE"}
    assert kws[10].opcode == "RESHAPE" and kws[10].options == {"new_shape": None}  # the shape is input 1
    assert kws[11].options["fused_activation_function"] == "NONE" and kws[11].options["keep_num_dims"] is False
    assert kws[12].options == {"beta": 1.0}
    ad01 = models["ad01_int8"].operators
    assert [op.options["fused_activation_function"] for op in ad01] == ["RELU"] * 9 + ["NONE"]
    assert all(op.options["weights_format"] == "DEFAULT" for op in ad01)
    resnet = models["pretrainedResnet_quant"]
    adds = [op for op in resnet.operators if op.opcode == "ADD"]
    assert all(op.options["fused_activation_function"] == "RELU" for op in adds)
    assert [resnet.tensors[op.inputs[1]].shape for op in resnet.operators if op.opcode == "CONV_2D"][5] == \
        [32, 1, 1, 16]  # the 1x1 stride-2 shortcut
    vww = models["vww_96_int8"].operators
    assert [op.options["stride_w"] for op in vww if op.opcode == "DEPTHWISE_CONV_2D"] == \
        [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


@pytest.mark.parametrize("name", ALL_MODELS)
def test_agrees_with_the_generated_flatbuffer_classes(models_dir, models, name):
    """Every tensor (name, shape, type, bytes, quantization) and operator (code, tensors, options)
    against the object API that flatc generated from schema.fbs, in the tflite-micro wheel."""
    from tflite_micro.python.tflite_micro import runtime

    schema = _schema()
    data = _path(models_dir, name).read_bytes()
    reference = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    graph, ours = reference.subgraphs[0], models[name]
    assert (list(graph.inputs), list(graph.outputs)) == (ours.inputs, ours.outputs)
    type_names = _enum_names(schema.TensorType)
    assert len(graph.tensors) == len(ours.tensors)
    for theirs, mine in zip(graph.tensors, ours.tensors):
        assert (theirs.name.decode(), list(theirs.shape), type_names[theirs.type].lower()) == \
            (mine.name, mine.shape, mine.dtype)
        buffer = reference.buffers[theirs.buffer].data
        if buffer is None or len(buffer) == 0:
            assert mine.data is None
        else:
            assert np.asarray(buffer, np.uint8).tobytes() == mine.data.tobytes()
        quantization = theirs.quantization
        if quantization is None or quantization.scale is None or len(quantization.scale) == 0:
            assert mine.quantization is None
        else:
            np.testing.assert_array_equal(quantization.scale, mine.quantization.scale)
            np.testing.assert_array_equal(quantization.zeroPoint, mine.quantization.zero_point)
            assert quantization.quantizedDimension == mine.quantization.quantized_dimension
    operator_names = _enum_names(schema.BuiltinOperator)
    assert len(graph.operators) == len(ours.operators)
    for theirs, mine in zip(graph.operators, ours.operators):
        code = reference.operatorCodes[theirs.opcodeIndex]
        assert operator_names[runtime.get_builtin_code_from_operator_code(code)] == mine.opcode
        assert (list(theirs.inputs), list(theirs.outputs)) == (mine.inputs, mine.outputs)
        _assert_same_options(schema, theirs.builtinOptions, mine.options)


def _assert_same_options(schema, theirs, mine: dict) -> None:
    if theirs is None:  # RESHAPE without options: its shape is input 1
        assert mine in ({}, {"new_shape": None})
        return
    enums = {"padding": _enum_names(schema.Padding),
             "fused_activation_function": _enum_names(schema.ActivationFunctionType),
             "weights_format": _enum_names(schema.FullyConnectedOptionsWeightsFormat)}
    for key, value in mine.items():
        words = key.split("_")
        theirs_value = getattr(theirs, words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:]))
        if key in enums:
            theirs_value = enums[key][theirs_value]
        elif isinstance(value, list) or value is None:
            theirs_value = None if theirs_value is None else [int(v) for v in theirs_value]
        assert value == theirs_value, key


def test_host_interpreter_runs_the_int8_models_with_the_shapes_read(models_dir, models):
    """TFLite Micro's host interpreter (tflite-micro wheel): the calls the bit-exact comparison uses."""
    from tflite_micro.python.tflite_micro import runtime

    rng = np.random.default_rng(0)
    for name in INT8_MODELS:
        model = models[name]
        source, result = model.tensors[model.inputs[0]], model.tensors[model.outputs[0]]
        interpreter = runtime.Interpreter.from_file(str(_path(models_dir, name)))
        details = interpreter.get_input_details(0)
        assert list(details["shape"]) == source.shape and details["dtype"] == np.int8
        np.testing.assert_array_equal(details["quantization_parameters"]["scales"], source.quantization.scale)
        np.testing.assert_array_equal(details["quantization_parameters"]["zero_points"],
                                      source.quantization.zero_point)
        assert list(interpreter.get_output_details(0)["shape"]) == result.shape
        interpreter.set_input(rng.integers(-128, 128, size=source.shape, dtype=np.int8), 0)
        interpreter.invoke()
        output = interpreter.get_output(0)
        assert list(output.shape) == result.shape and output.dtype == np.int8, name


def test_host_interpreter_keeps_every_tensor_with_the_shapes_read(models_dir, models):
    """kPreserveAllTensors keeps intermediate tensors readable after invoke (GetTensor)."""
    from tflite_micro.python.tflite_micro import runtime

    model = models["kws_ref_model"]
    interpreter = runtime.Interpreter.from_file(str(_path(models_dir, "kws_ref_model")),
                                                intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    interpreter.set_input(np.zeros(model.tensors[model.inputs[0]].shape, np.int8), 0)
    interpreter.invoke()
    for op in model.operators:
        kept = interpreter.GetTensor(op.outputs[0], 0)["tensor_data"]
        assert list(kept.shape) == model.tensors[op.outputs[0]].shape and kept.dtype == np.int8


def test_host_interpreter_refuses_the_hybrid_float32_kws(models_dir):
    from tflite_micro.python.tflite_micro import runtime

    with pytest.raises(RuntimeError, match="allocate"):
        runtime.Interpreter.from_file(str(_path(models_dir, "kws_ref_model_float32")))


# ---------------------------------------------------------------------------- damaged files


def _one_line_error(data: bytes, error=InvalidModelError) -> str:
    with pytest.raises(error) as caught:
        read_tflite(data)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


def test_bad_inputs_raise_one_line(models_dir):
    real = _path(models_dir, "kws_ref_model").read_bytes()
    assert "too short" in _one_line_error(b"")
    assert "too short" in _one_line_error(b"TFL3")
    assert "identifier" in _one_line_error(np.random.default_rng(0).bytes(5000))
    assert "identifier" in _one_line_error(real[:4] + b"ONNX" + real[8:])
    assert "identifier" in _one_line_error(b"\x89HDF\r\n\x1a\n" + bytes(100))
    for cut in (8, 100, len(real) // 2, len(real) - 16, len(real) - 1):
        assert "truncated" in _one_line_error(real[:cut])
    assert "past the end of the file" in _one_line_error(b"\xff\xff\xff\x7fTFL3" + bytes(64))


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot read"):
        read_tflite_file(tmp_path / "absent.tflite")
    (tmp_path / "damaged.tflite").write_bytes(b"\x00" * 3)
    with pytest.raises(InvalidModelError, match=r"damaged\.tflite: not a TFLite file"):
        read_tflite_file(tmp_path / "damaged.tflite")


def test_mutated_files_never_raise_anything_else(models_dir):
    """Random byte changes in a real file: a model or one of our errors, never an IndexError or a
    struct.error."""
    real = _path(models_dir, "kws_ref_model").read_bytes()
    rng = np.random.default_rng(1)
    for _ in range(400):
        data = bytearray(real)
        for _ in range(int(rng.integers(1, 6))):
            # the tables sit in the first few hundred bytes; the rest is mostly weights
            data[int(rng.integers(0, 1500 if rng.random() < 0.8 else len(data)))] = int(rng.integers(0, 256))
        try:
            read_tflite(bytes(data))
        except TinyMLError as exc:
            assert "\n" not in str(exc)


# ------------------------------------------------------- small models written with the generated classes


def _tiny_model(schema, **change):
    """input int8 [1, 4, 4, 2] -> CONV_2D (1x1, 3 filters, per-channel) -> output int8 [1, 4, 4, 3]."""
    weights = np.arange(-3, 3, dtype=np.int8).reshape(3, 1, 1, 2)
    bias = np.array([100, -200, 300], dtype="<i4")

    def tensor(name, shape, type_code, buffer=0, scale=(0.5,), zero_point=(0,), dimension=0):
        quantization = schema.QuantizationParametersT()
        quantization.scale, quantization.zeroPoint = list(scale), list(zero_point)
        quantization.quantizedDimension = dimension
        t = schema.TensorT()
        t.name, t.shape, t.type, t.buffer, t.quantization = name, list(shape), type_code, buffer, quantization
        return t

    tensors = [tensor("input", [1, 4, 4, 2], 9, zero_point=(-1,)),
               tensor("weights", [3, 1, 1, 2], 9, 1, (0.1, 0.2, 0.3), (0, 0, 0)),
               tensor("bias", [3], 2, 2, (0.05, 0.1, 0.15), (0, 0, 0)),
               tensor("output", [1, 4, 4, 3], 9, zero_point=(3,))]
    options = schema.Conv2DOptionsT()
    options.padding, options.strideW, options.strideH = schema.Padding.VALID, 1, 1
    options.fusedActivationFunction = schema.ActivationFunctionType.RELU6
    operator = schema.OperatorT()
    operator.opcodeIndex, operator.inputs, operator.outputs = 0, [0, 1, 2], [3]
    operator.builtinOptionsType, operator.builtinOptions = schema.BuiltinOptions.Conv2DOptions, options
    graph = schema.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs, graph.operators = tensors, [0], [3], [operator]
    code = schema.OperatorCodeT()
    code.deprecatedBuiltinCode, code.builtinCode = schema.BuiltinOperator.CONV_2D, schema.BuiltinOperator.CONV_2D
    buffers = [schema.BufferT() for _ in range(3)]
    buffers[1].data, buffers[2].data = list(weights.tobytes()), list(bias.tobytes())
    model = schema.ModelT()
    model.version, model.description = 3, "tiny"
    model.operatorCodes, model.subgraphs, model.buffers = [code], [graph], buffers
    for key, value in change.items():
        setattr(model, key, value)
    return model


def _pack(model) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_a_tiny_model_reads_back_with_schema_defaults():
    schema = _schema()
    model = read_tflite(_pack(_tiny_model(schema)))
    assert model.description == "tiny" and [t.name for t in model.tensors] == ["input", "weights", "bias", "output"]
    (conv,) = model.operators
    # dilations equal their schema default (1), so the writer left them out of the vtable
    assert conv.opcode == "CONV_2D" and conv.options == {
        "padding": "VALID", "stride_w": 1, "stride_h": 1, "fused_activation_function": "RELU6",
        "dilation_w_factor": 1, "dilation_h_factor": 1}
    np.testing.assert_array_equal(model.tensors[1].data, np.arange(-3, 3, dtype=np.int8).reshape(3, 1, 1, 2))
    np.testing.assert_array_equal(model.tensors[2].data, [100, -200, 300])
    assert model.tensors[0].quantization.zero_point.tolist() == [-1]
    np.testing.assert_array_equal(model.tensors[1].quantization.scale, np.float32([0.1, 0.2, 0.3]))

    raw = _tiny_model(schema)
    raw.subgraphs[0].operators[0].builtinOptionsType = 0  # no options table at all: every default
    raw.subgraphs[0].operators[0].builtinOptions = None
    assert read_tflite(_pack(raw)).operators[0].options == {
        "padding": "SAME", "stride_w": 0, "stride_h": 0, "fused_activation_function": "NONE",
        "dilation_w_factor": 1, "dilation_h_factor": 1}


def test_operator_codes_wide_old_and_custom():
    schema = _schema()
    raw = _tiny_model(schema)
    wide, old, custom = schema.OperatorCodeT(), schema.OperatorCodeT(), schema.OperatorCodeT()
    wide.deprecatedBuiltinCode, wide.builtinCode = 127, schema.BuiltinOperator.GELU  # past the byte: 150
    old.deprecatedBuiltinCode = schema.BuiltinOperator.DEPTHWISE_CONV_2D  # builtin_code left at 0
    custom.builtinCode, custom.deprecatedBuiltinCode, custom.customCode = 32, 32, "MyPostProcess"
    raw.operatorCodes = [wide, old, custom]
    ops = []
    for index in range(3):
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = index, [0, -1], [3]
        ops.append(op)
    raw.subgraphs[0].operators = ops
    model = read_tflite(_pack(raw))
    assert [op.opcode for op in model.operators] == ["GELU", "DEPTHWISE_CONV_2D", "CUSTOM"]
    assert model.operators[2].custom_code == "MyPostProcess" and model.operators[0].custom_code is None
    assert model.operators[0].inputs == [0, -1]  # -1: an optional input left out


def test_buffers_stored_after_the_flatbuffer():
    """Models past 2 GB keep constants after the flatbuffer, found by offset (from the file's start)
    and size instead of the data vector."""
    schema = _schema()
    raw = _tiny_model(schema)
    weights = bytes(raw.buffers[1].data)
    raw.buffers[1] = schema.BufferT()
    raw.buffers[1].offset, raw.buffers[1].size = 1 << 40, len(weights)  # sized like the real offset
    length = len(_pack(raw))
    raw.buffers[1].offset = length + 16
    packed = _pack(raw)
    assert len(packed) == length
    model = read_tflite(packed + bytes(16) + weights)
    np.testing.assert_array_equal(model.tensors[1].data.ravel(), np.arange(-3, 3))
    assert "past the end of the file" in _one_line_error(packed + bytes(16) + weights[:3])


def test_other_subgraphs_are_ignored_unless_an_operator_calls_them():
    schema = _schema()
    raw = _tiny_model(schema)
    raw.subgraphs.append(schema.SubGraphT())
    assert len(read_tflite(_pack(raw)).operators) == 1
    raw.operatorCodes[0].deprecatedBuiltinCode = raw.operatorCodes[0].builtinCode = schema.BuiltinOperator.WHILE
    raw.subgraphs[0].operators[0].builtinOptionsType = 0
    raw.subgraphs[0].operators[0].builtinOptions = None
    assert "WHILE" in _one_line_error(_pack(raw), UnsupportedModelError)


def test_refusals_of_tiny_models_name_the_problem():
    schema = _schema()
    raw = _tiny_model(schema)
    raw.subgraphs[0].tensors[3].type = 99
    assert "tensor type 99" in _one_line_error(_pack(raw), UnsupportedModelError)
    raw = _tiny_model(schema)
    raw.subgraphs[0].operators[0].inputs = [0, 1, 7]
    assert "tensor 7" in _one_line_error(_pack(raw))
    raw = _tiny_model(schema)
    raw.buffers[2].data = raw.buffers[2].data[:8]  # bias of 3 int32 in 8 bytes
    assert "needs 12 bytes" in _one_line_error(_pack(raw))
    raw = _tiny_model(schema)
    raw.subgraphs[0].tensors[1].quantization.scale = [0.1, 0.2]  # two scales for three filters
    assert "quantization scales" in _one_line_error(_pack(raw))
    raw = _tiny_model(schema)
    raw.subgraphs[0].operators[0].builtinOptionsType = schema.BuiltinOptions.Pool2DOptions
    raw.subgraphs[0].operators[0].builtinOptions = schema.Pool2DOptionsT()
    assert "Conv2DOptions" in _one_line_error(_pack(raw))


def test_int4_constants_unpack_low_nibble_first():
    schema = _schema()
    raw = _tiny_model(schema)
    raw.subgraphs[0].tensors[1].type = schema.TensorType.INT4
    raw.buffers[1].data = [0x21, 0xF8, 0x07]  # 1, 2, -8, -1, 7, 0
    assert read_tflite(_pack(raw)).tensors[1].data.ravel().tolist() == [1, 2, -8, -1, 7, 0]


def _options(schema, kind: str, **fields):
    options = getattr(schema, f"{kind}T")()
    for key, value in fields.items():
        setattr(options, key, value)
    return options


def test_options_of_every_decoded_builtin():
    """Each decoded options table, written with values away from the defaults, against the object that
    wrote it; the builtins without options read as {}."""
    schema = _schema()
    relu6, tanh = schema.ActivationFunctionType.RELU6, schema.ActivationFunctionType.TANH
    written = {
        "DEPTHWISE_CONV_2D": _options(schema, "DepthwiseConv2DOptions", padding=1, strideW=2, strideH=3,
                                      depthMultiplier=2, fusedActivationFunction=relu6, dilationWFactor=2,
                                      dilationHFactor=4),
        "MAX_POOL_2D": _options(schema, "Pool2DOptions", padding=1, strideW=2, strideH=1, filterWidth=3,
                                filterHeight=2, fusedActivationFunction=schema.ActivationFunctionType.RELU_N1_TO_1),
        "FULLY_CONNECTED": _options(schema, "FullyConnectedOptions", fusedActivationFunction=tanh,
                                    weightsFormat=schema.FullyConnectedOptionsWeightsFormat.SHUFFLED4x16INT8,
                                    keepNumDims=True),
        "CONCATENATION": _options(schema, "ConcatenationOptions", axis=-1, fusedActivationFunction=relu6),
        "ADD": _options(schema, "AddOptions", fusedActivationFunction=tanh),  # pot_scale_int16 left at True
        "SUB": _options(schema, "SubOptions", fusedActivationFunction=relu6, potScaleInt16=False),
        "MUL": _options(schema, "MulOptions", fusedActivationFunction=tanh),
        "MEAN": _options(schema, "ReducerOptions", keepDims=True),
        "RESHAPE": _options(schema, "ReshapeOptions", newShape=[1, -1]),
        "SQUEEZE": _options(schema, "SqueezeOptions", squeezeDims=[1, 2]),
        "SOFTMAX": _options(schema, "SoftmaxOptions", beta=0.5),
    }
    without = ("PAD", "EXPAND_DIMS", "LOGISTIC", "TANH", "RELU", "RELU6", "QUANTIZE", "DEQUANTIZE")
    names = [*written, *without]
    raw = _tiny_model(schema)
    raw.operatorCodes, raw.subgraphs[0].operators = [], []
    for index, name in enumerate(names):
        code = schema.OperatorCodeT()
        code.deprecatedBuiltinCode = code.builtinCode = getattr(schema.BuiltinOperator, name)
        raw.operatorCodes.append(code)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = index, [0], [3]
        if name in written:
            op.builtinOptionsType = getattr(schema.BuiltinOptions, type(written[name]).__name__[:-1])
            op.builtinOptions = written[name]
        raw.subgraphs[0].operators.append(op)
    model = read_tflite(_pack(raw))
    assert [op.opcode for op in model.operators] == names
    for op in model.operators:
        if op.opcode in written:
            _assert_same_options(schema, written[op.opcode], op.options)
        else:
            assert op.options == {}, op.opcode
    read = {op.opcode: op.options for op in model.operators}
    assert read["ADD"]["pot_scale_int16"] is True and read["SUB"]["pot_scale_int16"] is False
    assert read["DEPTHWISE_CONV_2D"]["padding"] == "VALID" and read["MAX_POOL_2D"]["fused_activation_function"] == \
        "RELU_N1_TO_1"
    assert read["FULLY_CONNECTED"]["weights_format"] == "SHUFFLED4x16INT8" and read["MEAN"] == {"keep_dims": True}
    assert read["RESHAPE"] == {"new_shape": [1, -1]} and read["SQUEEZE"] == {"squeeze_dims": [1, 2]}
    assert read["SOFTMAX"] == {"beta": 0.5}


def test_absent_option_fields_take_the_schema_defaults():
    schema = _schema()
    raw = _tiny_model(schema)
    codes = {"MEAN": schema.ReducerOptionsT(), "SUB": schema.SubOptionsT(), "SQUEEZE": schema.SqueezeOptionsT(),
             "SOFTMAX": schema.SoftmaxOptionsT(), "DEPTHWISE_CONV_2D": schema.DepthwiseConv2DOptionsT()}
    raw.operatorCodes, raw.subgraphs[0].operators = [], []
    for index, (name, options) in enumerate(codes.items()):
        code = schema.OperatorCodeT()
        code.deprecatedBuiltinCode = code.builtinCode = getattr(schema.BuiltinOperator, name)
        raw.operatorCodes.append(code)
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = index, [0], [3]
        op.builtinOptionsType = getattr(schema.BuiltinOptions, type(options).__name__[:-1])
        op.builtinOptions = options
        raw.subgraphs[0].operators.append(op)
    read = {op.opcode: op.options for op in read_tflite(_pack(raw)).operators}
    assert read["MEAN"] == {"keep_dims": False}
    assert read["SUB"] == {"fused_activation_function": "NONE", "pot_scale_int16": True}
    assert read["SQUEEZE"] == {"squeeze_dims": []} and read["SOFTMAX"] == {"beta": 0.0}
    assert read["DEPTHWISE_CONV_2D"] == {"padding": "SAME", "stride_w": 0, "stride_h": 0, "depth_multiplier": 0,
                                         "fused_activation_function": "NONE", "dilation_w_factor": 1,
                                         "dilation_h_factor": 1}
