"""Reads TensorFlow Lite flatbuffers (.tflite) into the neural-net IR (docs/ir.md).

The graph comes operator by operator (tflite_format.py parses the file), weights dequantized
to real values so the float32 export runs the file's own numbers. A full-integer int8 file
also keeps its quantization: the input's parameters and, per layer, the output's parameters,
the per-channel weight scales and the int32 biases exactly as stored, so that an int8 export
computes the integers TFLite's reference kernels compute (the compiler takes them instead of
measuring ranges on calibration rows).

Operators read: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, CONCATENATION (last
axis), AVERAGE_POOL_2D, MAX_POOL_2D, MEAN over height and width, PAD (zeros, height and
width), RESHAPE / SQUEEZE / EXPAND_DIMS (the same values, another shape), SOFTMAX (beta 1),
LOGISTIC, TANH, RELU, RELU6, and QUANTIZE / DEQUANTIZE at the model's edges. Anything else is
refused by name, every one listed at once.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..arrays import encode_array
from ..errors import InvalidInputError, InvalidModelError, UnsupportedModelError, first_line
from .envelope import ir_envelope
from .reader import Estimator, Reader
from .tflite_format import TfliteModel, TfliteOperator, TfliteTensor, read_tflite_file

TFLITE_FILE_SUFFIXES = (".tflite",)
ESTIMATORS = {
    ".tflite": Estimator("classification when the model ends in SOFTMAX, else regression",
                         "a TensorFlow Lite flatbuffer, float32 or full-integer int8", label=".tflite files"),
}
_ACTIVATIONS = {"NONE": "identity", "RELU": "relu", "RELU6": "relu6", "TANH": "tanh"}
_ACTIVATION_OPERATORS = {"RELU": "relu", "RELU6": "relu6", "LOGISTIC": "logistic", "TANH": "tanh"}
_PASS_THROUGH = {"QUANTIZE", "DEQUANTIZE"}
_RESHAPES = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}


def is_tflite_file(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike)) and Path(obj).suffix.lower() in TFLITE_FILE_SUFFIXES


def read_tflite_model(path: str | os.PathLike, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a .tflite file (X_train / y_train are not needed)."""
    model = read_tflite_file(path)
    return _GraphReader(model, Path(path).name).ir()


class _Refused(Exception):
    """An operator the IR cannot express; the message is the reason."""


class _AfterRefused(Exception):
    """An operator whose input comes from a refused one: only the first is reported."""


class _GraphReader:
    """Walks the operators in execution order, keeping for each tensor the IR layer that holds
    it (-1: the model input) and its shape without the batch axis."""

    def __init__(self, model: TfliteModel, name: str):
        self.model, self.name = model, name
        self.layers: list[dict[str, Any]] = []
        self.values: dict[int, int] = {}
        self.unknown: set[int] = set()  # outputs of refused operators
        self.integer = False

    # ---- the whole graph

    def ir(self) -> dict[str, Any]:
        model = self.model
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise UnsupportedModelError(f"{self.name} has {len(model.inputs)} inputs and {len(model.outputs)} "
                                        "outputs; only single-input, single-output models are supported")
        source = model.tensors[model.inputs[0]]
        if source.dtype not in ("float32", "int8"):
            raise UnsupportedModelError(f"{self.name}: its input is {source.dtype}; float32 and int8 inputs are read")
        self.values[model.inputs[0]] = -1
        input_quantization = self._input_quantization(source)
        problems = []
        for index, operator in enumerate(model.operators):
            try:
                self._operator(operator)
            except (_Refused, _AfterRefused) as refused:
                if isinstance(refused, _Refused):
                    problems.append(f"operator {index} {self._label(operator)}: {refused}")
                self.unknown.update(operator.outputs)
        if problems:
            raise UnsupportedModelError(f"{self.name} cannot be exported:\n  " + "\n  ".join(problems))
        output = model.outputs[0]
        if not self.layers or self.values.get(output) != len(self.layers) - 1:
            raise UnsupportedModelError(f"{self.name}: the model output is not computed by its last operator")
        shape = _sample_shape(model.tensors[output])
        n_outputs = math.prod(shape)
        classification = self.layers[-1].get("activation") == "softmax" and n_outputs > 1
        quantized = self.integer and input_quantization is not None
        ir = ir_envelope(
            "neural_net",
            "tflite",
            "classification" if classification else "regression",
            math.prod(_sample_shape(source)),
            classes=list(range(n_outputs)) if classification else None,
            input_shape=_sample_shape(source),
            feature_names=[],
            n_outputs=n_outputs,
            layers=self.layers if quantized else [_without_quantization(layer) for layer in self.layers],
        )
        if quantized:
            ir["input_quantization"] = input_quantization
        return ir

    def _input_quantization(self, source: TfliteTensor) -> dict[str, Any] | None:
        """The parameters int8 inputs come in: the input's own, or a leading QUANTIZE's output's."""
        if source.dtype == "int8":
            return _tensor_params(source, self.name)
        first = next((op for op in self.model.operators if self.model.inputs[0] in op.inputs), None)
        if first is not None and first.opcode == "QUANTIZE":
            return _tensor_params(self.model.tensors[first.outputs[0]], self.name)
        return None

    # ---- one operator

    def _operator(self, op: TfliteOperator) -> None:
        opcode = op.opcode
        if opcode in _PASS_THROUGH:
            self._alias(op)
        elif opcode in _RESHAPES:
            self._reshape(op)
        elif opcode == "CONV_2D":
            self._conv(op)
        elif opcode == "DEPTHWISE_CONV_2D":
            self._depthwise(op)
        elif opcode == "FULLY_CONNECTED":
            self._fully_connected(op)
        elif opcode in ("ADD", "MUL"):
            self._merge(op, "add" if opcode == "ADD" else "multiply")
        elif opcode == "CONCATENATION":
            self._concatenation(op)
        elif opcode in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            self._pool(op)
        elif opcode == "MEAN":
            self._mean(op)
        elif opcode in ("PAD", "PADV2"):
            self._pad(op)
        elif opcode == "SOFTMAX":
            if op.options.get("beta", 1.0) != 1.0:
                raise _Refused(f"beta={op.options['beta']}; only 1 is supported")
            self._activation(op, "softmax")
        elif opcode in _ACTIVATION_OPERATORS:
            self._activation(op, _ACTIVATION_OPERATORS[opcode])
        else:
            raise _Refused("operator not supported")

    def _label(self, op: TfliteOperator) -> str:
        return op.custom_code or op.opcode

    def _input(self, op: TfliteOperator, position: int = 0) -> tuple[int, TfliteTensor]:
        """The IR index holding an activation input and its tensor."""
        tensor_index = op.inputs[position]
        if tensor_index in self.unknown:
            raise _AfterRefused()
        if tensor_index not in self.values:
            tensor = self.model.tensors[tensor_index]
            raise _Refused(f"input {tensor.name!r} is a constant or comes from an operator that was not read"
                           if tensor.data is None else f"input {tensor.name!r} is a constant tensor")
        return self.values[tensor_index], self.model.tensors[tensor_index]

    def _constant(self, op: TfliteOperator, position: int, what: str) -> TfliteTensor | None:
        if position >= len(op.inputs) or op.inputs[position] < 0:
            return None
        tensor = self.model.tensors[op.inputs[position]]
        if tensor.data is None:
            raise _Refused(f"its {what} is computed, not stored; only constant {what}s are read")
        return tensor

    def _add_layer(self, op: TfliteOperator, layer: dict[str, Any], sources: list[int]) -> None:
        """Appends the layer with its inputs (when not the layer just before) and the output's
        quantization, and makes it the holder of the operator's output."""
        if sources != [len(self.layers) - 1]:
            layer["inputs"] = sources
        output = self.model.tensors[op.outputs[0]]
        if output.dtype == "int8":
            self.integer = True
            layer.setdefault("quantization", {})["output"] = _tensor_params(output, self.name)
        self.layers.append(layer)
        self.values[op.outputs[0]] = len(self.layers) - 1

    def _alias(self, op: TfliteOperator) -> None:
        index, _ = self._input(op)
        self.values[op.outputs[0]] = index

    def _reshape(self, op: TfliteOperator) -> None:
        """RESHAPE, SQUEEZE, EXPAND_DIMS: the same values seen as another shape (Keras's Conv1D
        arrives as EXPAND_DIMS, CONV_2D over one row, RESHAPE)."""
        index, tensor = self._input(op)
        out = self.model.tensors[op.outputs[0]]
        shape = [n for n in _sample_shape(out)]
        if shape == _sample_shape(tensor):
            self.values[op.outputs[0]] = index
            return
        while len(shape) > 3 and shape[0] == 1:
            shape = shape[1:]
        if len(shape) > 3 or out.shape[:1] != [1]:
            raise _Refused(f"to shape {out.shape}; a batch of 1 and at most 3 dimensions per sample are supported")
        self._add_layer(op, {"kind": "flatten"} if len(shape) == 1 else {"kind": "reshape", "shape": shape}, [index])

    def _fused(self, op: TfliteOperator) -> str:
        name = op.options.get("fused_activation_function", "NONE")
        if name not in _ACTIVATIONS:
            raise _Refused(f"fused activation {name}; supported: {', '.join(_ACTIVATIONS)}")
        return _ACTIVATIONS[name]

    def _filter_quantization(self, op: TfliteOperator, weights: TfliteTensor, bias: TfliteTensor | None,
                             channels: int, channel_axis: int) -> tuple[np.ndarray, dict[str, Any] | None]:
        """Real weights (float64) and, for an int8 operator, the weights' per-channel scales and
        the int32 bias as stored. A float operator with int8 weights (a "hybrid" file) has its
        weights dequantized."""
        data = np.asarray(weights.data)
        if weights.dtype == "float32":
            return data.astype(np.float64), None
        q = weights.quantization
        if weights.dtype != "int8" or q is None:
            raise _Refused(f"{weights.dtype} weights; float32 and int8 are read")
        if np.any(q.zero_point != 0):
            raise _Refused("weights with a zero point; TFLite's int8 weights are symmetric")
        scale = np.broadcast_to(np.asarray(q.scale, dtype=np.float64), (channels,)) if q.scale.size == 1 \
            else np.asarray(q.scale, dtype=np.float64)
        if scale.size != channels or (q.scale.size > 1 and q.quantized_dimension != channel_axis):
            raise _Refused(f"weight scales along axis {q.quantized_dimension} ({q.scale.size} of them); "
                           f"expected one or one per output channel along axis {channel_axis}")
        shape = [1] * data.ndim
        shape[channel_axis] = channels
        real = data.astype(np.float64) * scale.reshape(shape)
        if self.model.tensors[op.outputs[0]].dtype == "float32":
            return real, None
        quantization: dict[str, Any] = {"weight_scale": scale.astype(np.float32).tolist()}
        if bias is not None:
            if bias.dtype != "int32":
                raise _Refused(f"{bias.dtype} bias with int8 weights; TFLite's is int32")
            quantization["bias"] = encode_array(np.asarray(bias.data, dtype=np.int32), "int32")
        return real, quantization

    def _real_bias(self, bias: TfliteTensor | None, channels: int) -> np.ndarray:
        if bias is None:
            return np.zeros(channels)
        data = np.asarray(bias.data, dtype=np.float64)
        if bias.dtype == "int32" and bias.quantization is not None:
            data = data * np.asarray(bias.quantization.scale, dtype=np.float64)
        return data

    def _add_filter(self, op: TfliteOperator, index: int, kind: str, real: np.ndarray, bias: TfliteTensor | None,
                    out_c: int, quantization: dict[str, Any] | None) -> None:
        """A convolution's IR layer from its kind and kernel in Keras's layout: the real bias,
        the window options, the fused activation and, for int8, the file's integers."""
        if op.options.get("dilation_h_factor", 1) != 1 or op.options.get("dilation_w_factor", 1) != 1:
            raise _Refused("dilation; only 1 is supported")
        layer = {
            "kind": kind,
            "weights": encode_array(real, "float32"),
            "bias": encode_array(self._real_bias(bias, out_c), "float32"),
            **_window(op),
            "activation": self._fused(op),
        }
        if quantization:
            layer["quantization"] = quantization
        self._add_layer(op, layer, [index])

    def _conv(self, op: TfliteOperator) -> None:
        index, _ = self._input(op)
        weights, bias = self._constant(op, 1, "weight"), self._constant(op, 2, "bias")
        real, quantization = self._filter_quantization(op, weights, bias, weights.shape[0], 0)
        # [O, kh, kw, I] -> Keras's [kh, kw, I, O]
        self._add_filter(op, index, "conv2d", real.transpose(1, 2, 3, 0), bias, weights.shape[0], quantization)

    def _depthwise(self, op: TfliteOperator) -> None:
        index, tensor = self._input(op)
        weights, bias = self._constant(op, 1, "weight"), self._constant(op, 2, "bias")
        _, kh, kw, out_c = weights.shape
        in_c = _sample_shape(tensor)[-1]
        if out_c % in_c:
            raise _Refused(f"{out_c} output channels from {in_c}: not a whole depth multiplier")
        real, quantization = self._filter_quantization(op, weights, bias, out_c, 3)
        # [1, kh, kw, C * M], output channel c * M + m: Keras's [kh, kw, C, M]
        self._add_filter(op, index, "depthwise_conv2d", real.reshape(kh, kw, in_c, out_c // in_c), bias, out_c,
                         quantization)

    def _fully_connected(self, op: TfliteOperator) -> None:
        index, tensor = self._input(op)
        if op.options.get("keep_num_dims") or op.options.get("weights_format", "DEFAULT") != "DEFAULT":
            raise _Refused("keep_num_dims or shuffled weights are not supported")
        weights, bias = self._constant(op, 1, "weight"), self._constant(op, 2, "bias")
        out_c, in_c = weights.shape
        if math.prod(_sample_shape(tensor)) != in_c:
            raise _Refused(f"{in_c} inputs per row, its input holds {math.prod(_sample_shape(tensor))}")
        if len(_sample_shape(tensor)) != 1:  # FULLY_CONNECTED flattens its input itself
            self.layers.append({"kind": "flatten"} if index == len(self.layers) - 1 else
                               {"kind": "flatten", "inputs": [index]})
            index = len(self.layers) - 1
        real, quantization = self._filter_quantization(op, weights, bias, out_c, 0)
        layer = {
            "kind": "dense",
            "weights": encode_array(real.T, "float32"),
            "bias": encode_array(self._real_bias(bias, out_c), "float32"),
            "activation": self._fused(op),
        }
        if quantization:
            layer["quantization"] = quantization
        self._add_layer(op, layer, [index])

    def _merge(self, op: TfliteOperator, kind: str) -> None:
        (a, tensor_a), (b, tensor_b) = self._input(op, 0), self._input(op, 1)
        if tensor_a.shape != tensor_b.shape:
            raise _Refused(f"inputs of shapes {tensor_a.shape} and {tensor_b.shape}; broadcasting is not supported")
        activation = self._fused(op)
        self._add_layer(op, {"kind": kind}, [a, b])
        if activation != "identity":  # fused: the same output parameters, a clamp
            self._add_layer(op, {"kind": "activation", "activation": activation}, [len(self.layers) - 1])

    def _concatenation(self, op: TfliteOperator) -> None:
        inputs = [self._input(op, position) for position in range(len(op.inputs))]
        rank = len(inputs[0][1].shape)
        if op.options.get("axis") not in (-1, rank - 1):
            raise _Refused(f"axis={op.options.get('axis')}; only the last axis is supported")
        if self._fused(op) != "identity":
            raise _Refused("a fused activation on a concatenation is not supported")
        self._add_layer(op, {"kind": "concatenate"}, [index for index, _ in inputs])

    def _pool(self, op: TfliteOperator) -> None:
        index, _ = self._input(op)
        if self._fused(op) != "identity":
            raise _Refused("a fused activation on a pooling is not supported")
        kind = "avg_pool2d" if op.opcode == "AVERAGE_POOL_2D" else "max_pool2d"
        size = [int(op.options["filter_height"]), int(op.options["filter_width"])]
        self._add_layer(op, {"kind": kind, "pool_size": size, **_window(op)}, [index])

    def _mean(self, op: TfliteOperator) -> None:
        index, tensor = self._input(op)
        axes = self._constant(op, 1, "axis")
        if len(tensor.shape) != 4 or sorted(int(a) % 4 for a in np.ravel(axes.data)) != [1, 2]:
            raise _Refused("only the mean over height and width (a global average pooling) is supported")
        self._add_layer(op, {"kind": "global_avg_pool2d"}, [index])

    def _pad(self, op: TfliteOperator) -> None:
        index, tensor = self._input(op)
        paddings = np.asarray(self._constant(op, 1, "padding").data).reshape(-1, 2)
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            value = self.model.tensors[op.inputs[2]]
            zero = tensor.quantization.zero_point[0] if tensor.quantization is not None else 0
            if value.data is None or np.any(np.asarray(value.data) != zero):
                raise _Refused("padding with a value other than 0")
        if len(tensor.shape) != 4 or np.any(paddings[[0, 3]] != 0) or np.any(paddings < 0):
            raise _Refused("only zero padding of height and width is supported")
        (top, bottom), (left, right) = paddings[1], paddings[2]
        self._add_layer(op, {"kind": "pad", "pads": [int(top), int(bottom), int(left), int(right)]}, [index])

    def _activation(self, op: TfliteOperator, activation: str) -> None:
        index, _ = self._input(op)
        self._add_layer(op, {"kind": "activation", "activation": activation}, [index])


def _window(op: TfliteOperator) -> dict[str, Any]:
    """A convolution's or pooling's strides and padding, as the IR names them."""
    return {"strides": [int(op.options["stride_h"]), int(op.options["stride_w"])],
            "padding": op.options["padding"].lower()}


def _sample_shape(tensor: TfliteTensor) -> list[int]:
    """A tensor's shape without the batch axis (TFLite tensors carry a batch of 1)."""
    return [int(n) for n in tensor.shape[1:]] or [1]


def _tensor_params(tensor: TfliteTensor, name: str) -> dict[str, Any]:
    q = tensor.quantization
    if q is None or q.scale.size != 1:
        raise InvalidModelError(f"{name}: int8 tensor {tensor.name!r} has no per-tensor scale and zero point")
    return {"scale": float(q.scale[0]), "zero_point": int(q.zero_point[0])}


def _without_quantization(layer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in layer.items() if key != "quantization"}


READER = Reader("TensorFlow Lite models", ESTIMATORS, read_tflite_model, claims=is_tflite_file)


def tflite_reference(path: str | os.PathLike, ir: dict[str, Any], x32: np.ndarray) -> tuple[np.ndarray | None,
                                                                                             np.ndarray]:
    """(class indices or None, real outputs) of the file run by TensorFlow Lite Micro's host
    interpreter (the tflite-micro wheel, its reference kernels): rows of real inputs are
    quantized with the file's input parameters, its int8 outputs dequantized as the runtime
    dequantizes them (float32: scale * (q - zero))."""
    try:
        from tflite_micro.python.tflite_micro import runtime  # noqa: PLC0415 - optional, the reference only
    except ImportError:
        raise InvalidInputError(f"comparing with {os.fspath(path)} needs TensorFlow Lite Micro's interpreter to "
                                "compute the reference outputs: pip install tflite-micro") from None
    try:
        interpreter = runtime.Interpreter.from_file(os.fspath(path))
    except Exception as exc:  # noqa: BLE001 - the interpreter raises anything on a file it cannot run
        raise InvalidInputError(f"TensorFlow Lite Micro cannot run {Path(path).name} to compute the reference "
                                f"({first_line(exc)}); compare on a device or with another tool") from None
    source, target = interpreter.get_input_details(0), interpreter.get_output_details(0)
    rows = x32.reshape((len(x32), *ir["input_shape"]))
    outputs = []
    for row in rows:
        interpreter.set_input(_to_tensor(row[None], source), 0)
        interpreter.invoke()
        outputs.append(_from_tensor(interpreter.get_output(0), target).reshape(-1))
    values = np.asarray(outputs, dtype=np.float64).reshape(len(x32), -1)
    if ir["task"] != "classification":
        return None, values
    return np.argmax(values, axis=1).astype(np.int32), values


def _to_tensor(x: np.ndarray, details: dict[str, Any]) -> np.ndarray:
    if details["dtype"] != np.int8:
        return x.astype(details["dtype"])
    q = details["quantization_parameters"]
    scale, zero = np.float32(q["scales"][0]), int(q["zero_points"][0])
    # the runtime's tml_quantize_i8: x / scale in float32, halves away from zero, the zero point, saturated
    scaled = (x.astype(np.float32) / scale).astype(np.float32)
    whole = np.trunc(scaled)
    fraction = scaled - whole
    rounded = whole + (fraction >= 0.5) - (fraction <= -0.5)
    return np.clip(rounded + zero, -128, 127).astype(np.int8)


def _from_tensor(y: np.ndarray, details: dict[str, Any]) -> np.ndarray:
    if details["dtype"] != np.int8:
        return y.astype(np.float32)
    q = details["quantization_parameters"]
    scale, zero = np.float32(q["scales"][0]), int(q["zero_points"][0])
    return (scale * (y.astype(np.int32) - zero).astype(np.float32)).astype(np.float32)
