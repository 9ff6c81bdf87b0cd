"""Reads TensorFlow Lite flatbuffer files (.tflite) into plain dataclasses, without TensorFlow and
without the ``flatbuffers`` package.

A flatbuffer is a tree of tables addressed by little-endian offsets. A table starts with a signed
32-bit offset back to its *vtable*: a list of 16-bit offsets, one per field id, where 0 means
"absent, use the schema's default". Strings and vectors start with a 32-bit length; references to
tables, strings and vectors are unsigned 32-bit offsets relative to where they are stored. Field
ids and defaults below follow TensorFlow Lite's ``schema.fbs`` (file identifier "TFL3"); a union
takes two ids, its type (one byte) then its value.

Only subgraph 0 is read (the model's main graph). Every offset is checked against the file's
size, so a damaged file raises InvalidModelError with one line instead of an IndexError.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InvalidInputError, InvalidModelError, UnsupportedModelError

FILE_IDENTIFIER = b"TFL3"

# --------------------------------------------------------------------------- the schema's numbers

#: BuiltinOperator, by value from 0 (schema.fbs); a newer code reads as "BUILTIN_<n>".
_BUILTIN_OPERATOR_NAMES = """
ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR
FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION
LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH
CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER
BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE
BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM
ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE
TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK
LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD
RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N
GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE
NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL
PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO RFFT2D CONV_3D IMAG REAL COMPLEX_ABS HASHTABLE
HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL CONV_3D_TRANSPOSE VAR_HANDLE READ_VARIABLE
ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE RANDOM_UNIFORM MULTINOMIAL GELU
DYNAMIC_UPDATE_SLICE RELU_0_TO_1 UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_SUM ATAN2
UNSORTED_SEGMENT_MIN SIGN BITCAST BITWISE_XOR RIGHT_SHIFT STABLEHLO_LOGISTIC STABLEHLO_ADD STABLEHLO_DIVIDE
STABLEHLO_MULTIPLY STABLEHLO_MAXIMUM STABLEHLO_RESHAPE STABLEHLO_CLAMP STABLEHLO_CONCATENATE
STABLEHLO_BROADCAST_IN_DIM STABLEHLO_CONVOLUTION STABLEHLO_SLICE STABLEHLO_CUSTOM_CALL STABLEHLO_REDUCE
STABLEHLO_ABS STABLEHLO_AND STABLEHLO_COSINE STABLEHLO_EXPONENTIAL STABLEHLO_FLOOR STABLEHLO_LOG STABLEHLO_MINIMUM
STABLEHLO_NEGATE STABLEHLO_OR STABLEHLO_POWER STABLEHLO_REMAINDER STABLEHLO_RSQRT STABLEHLO_SELECT
STABLEHLO_SUBTRACT STABLEHLO_TANH STABLEHLO_SCATTER STABLEHLO_COMPARE STABLEHLO_CONVERT STABLEHLO_DYNAMIC_SLICE
STABLEHLO_DYNAMIC_UPDATE_SLICE STABLEHLO_PAD STABLEHLO_IOTA STABLEHLO_DOT_GENERAL STABLEHLO_REDUCE_WINDOW
STABLEHLO_SORT STABLEHLO_WHILE STABLEHLO_GATHER STABLEHLO_TRANSPOSE DILATE STABLEHLO_RNG_BIT_GENERATOR
REDUCE_WINDOW STABLEHLO_COMPOSITE STABLEHLO_SHIFT_LEFT STABLEHLO_CBRT STABLEHLO_CASE
"""
BUILTIN_OPERATORS: dict[int, str] = dict(enumerate(_BUILTIN_OPERATOR_NAMES.split()))

#: Operators that run other subgraphs: this reader keeps subgraph 0 only, so it refuses them.
_SUBGRAPH_CALLERS = frozenset({
    "CALL", "IF", "WHILE", "CALL_ONCE", "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE", "STABLEHLO_REDUCE_WINDOW",
    "STABLEHLO_SCATTER", "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_COMPOSITE", "STABLEHLO_CASE",
})


@dataclass(frozen=True)
class _TensorType:
    name: str
    numpy: str | None  # little-endian numpy dtype; None where the bytes are not a plain array


#: TensorType, by value.
TENSOR_TYPES: dict[int, _TensorType] = {
    0: _TensorType("float32", "<f4"),
    1: _TensorType("float16", "<f2"),
    2: _TensorType("int32", "<i4"),
    3: _TensorType("uint8", "u1"),
    4: _TensorType("int64", "<i8"),
    5: _TensorType("string", None),
    6: _TensorType("bool", "?"),
    7: _TensorType("int16", "<i2"),
    8: _TensorType("complex64", "<c8"),
    9: _TensorType("int8", "i1"),
    10: _TensorType("float64", "<f8"),
    11: _TensorType("complex128", "<c16"),
    12: _TensorType("uint64", "<u8"),
    13: _TensorType("resource", None),
    14: _TensorType("variant", None),
    15: _TensorType("uint32", "<u4"),
    16: _TensorType("uint16", "<u2"),
    17: _TensorType("int4", None),  # two values a byte, unpacked by _int4_values
    18: _TensorType("bfloat16", None),
    19: _TensorType("int2", None),
    20: _TensorType("uint4", None),
    21: _TensorType("float8_e4m3fn", None),
    22: _TensorType("float8_e5m2", None),
}

#: Field ids of the tables read here (schema.fbs, in declaration order; a union's type comes first).
_FIELD_IDS: dict[str, dict[str, int]] = {
    "Model": {"version": 0, "operator_codes": 1, "subgraphs": 2, "description": 3, "buffers": 4},
    "OperatorCode": {"deprecated_builtin_code": 0, "custom_code": 1, "version": 2, "builtin_code": 3},
    "SubGraph": {"tensors": 0, "inputs": 1, "outputs": 2, "operators": 3, "name": 4},
    "Tensor": {"shape": 0, "type": 1, "buffer": 2, "name": 3, "quantization": 4, "is_variable": 5, "sparsity": 6,
               "external_buffer": 10},
    "QuantizationParameters": {"min": 0, "max": 1, "scale": 2, "zero_point": 3, "details_type": 4, "details": 5,
                               "quantized_dimension": 6},
    "Buffer": {"data": 0, "offset": 1, "size": 2},
    "Operator": {"opcode_index": 0, "inputs": 1, "outputs": 2, "builtin_options_type": 3, "builtin_options": 4,
                 "custom_options": 5},
}

_PADDING = ("SAME", "VALID")
_ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
_WEIGHTS_FORMATS = ("DEFAULT", "SHUFFLED4x16INT8")

# ------------------------------------------------------------------------------ the result


@dataclass
class TfliteQuantization:
    """real = scale * (q - zero_point), per tensor (one scale) or per slice along quantized_dimension."""

    scale: np.ndarray  # float32
    zero_point: np.ndarray  # int64
    quantized_dimension: int


@dataclass
class TfliteTensor:
    name: str
    shape: list[int]
    dtype: str  # 'float32', 'int8', ... (TENSOR_TYPES)
    data: np.ndarray | None  # the constant's values in `shape`, or None (activations, inputs)
    quantization: TfliteQuantization | None
    is_variable: bool = False


@dataclass
class TfliteOperator:
    opcode: str  # 'CONV_2D', ...; 'CUSTOM' for custom operators, named by custom_code
    inputs: list[int]  # tensor indices; -1 marks an optional input left out
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)  # decoded for the builtins of _OPTIONS only
    custom_code: str | None = None
    version: int = 1


@dataclass
class TfliteModel:
    version: int  # of the schema: 3
    description: str
    inputs: list[int]  # tensor indices of subgraph 0
    outputs: list[int]
    tensors: list[TfliteTensor]
    operators: list[TfliteOperator]  # in execution order


# --------------------------------------------------------------------------- flatbuffer reading


class _Bytes:
    """The file, with reads that check their range first."""

    def __init__(self, data: memoryview):
        self.view = data
        self.size = len(data)

    def check_range(self, position: int, length: int, where: str) -> None:
        if position < 0 or length < 0 or position + length > self.size:
            raise InvalidModelError(
                f"the TFLite file is truncated or damaged: {where} points to bytes {position}..{position + length}, "
                f"past the end of the file ({self.size} bytes)")

    def unpack(self, fmt: str, position: int, where: str) -> Any:
        self.check_range(position, struct.calcsize(fmt), where)
        return struct.unpack_from(fmt, self.view, position)[0]

    def follow(self, position: int, where: str) -> int:
        """Where the unsigned offset stored at `position` points."""
        return position + self.unpack("<I", position, where)


class _Table:
    """One flatbuffer table of the schema's type `kind`, found at `position`; `where` names it in errors."""

    def __init__(self, file: _Bytes, position: int, kind: str, where: str):
        self.file, self.position, self.kind, self.where = file, position, kind, where
        vtable = position - file.unpack("<i", position, where)
        self.vtable_size = file.unpack("<H", vtable, f"{where}'s vtable")
        # the vtable lists its own size, the table's size, then one slot per field
        file.check_range(vtable, max(self.vtable_size, 4), f"{where}'s vtable")
        self.vtable = vtable

    def has(self, name: str) -> bool:
        return self._field_position(name) is not None

    def _field_position(self, name: str) -> int | None:
        slot = 4 + 2 * _FIELD_IDS[self.kind][name]
        if slot + 2 > self.vtable_size:
            return None  # written by an older schema: the field is absent
        offset = self.file.unpack("<H", self.vtable + slot, f"{self.where}'s vtable")
        return self.position + offset if offset else None

    def scalar(self, name: str, fmt: str, default: Any) -> Any:
        position = self._field_position(name)
        return default if position is None else self.file.unpack(fmt, position, f"{self.where}.{name}")

    def _target(self, name: str) -> int | None:
        position = self._field_position(name)
        return None if position is None else self.file.follow(position, f"{self.where}.{name}")

    def table(self, name: str, kind: str) -> _Table | None:
        target = self._target(name)
        return None if target is None else _Table(self.file, target, kind, f"{self.where}.{name}")

    def _vector(self, name: str, item_size: int) -> tuple[int, int]:
        """(position of the first item, number of items) of a vector field; (0, 0) when absent."""
        target = self._target(name)
        if target is None:
            return 0, 0
        where = f"{self.where}.{name}"
        count = self.file.unpack("<I", target, where)
        self.file.check_range(target + 4, count * item_size, where)
        return target + 4, count

    def tables(self, name: str, kind: str) -> list[_Table]:
        start, count = self._vector(name, 4)
        where = f"{self.where}.{name}"
        return [_Table(self.file, self.file.follow(start + 4 * i, where), kind, f"{where}[{i}]")
                for i in range(count)]

    def numbers(self, name: str, dtype: str) -> np.ndarray:
        """A vector of scalars as a numpy array of native byte order (empty when absent)."""
        little_endian = np.dtype(dtype)
        start, count = self._vector(name, little_endian.itemsize)
        values = np.frombuffer(self.file.view, dtype=little_endian, count=count, offset=start) if count else \
            np.zeros(0, little_endian)
        return values.astype(little_endian.newbyteorder("="))  # a copy: the result does not hold the file

    def raw_bytes(self, name: str) -> memoryview:
        start, count = self._vector(name, 1)
        return self.file.view[start:start + count]

    def string(self, name: str) -> str | None:
        if not self.has(name):
            return None
        try:
            return bytes(self.raw_bytes(name)).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidModelError(f"the TFLite file is damaged: {self.where}.{name} is not UTF-8 text") from None

    def union(self, name: str) -> tuple[int, int | None]:
        """(type code, position of the value's table) of a union field; (0, None) when it is NONE."""
        code = self.scalar(f"{name}_type", "<B", 0)
        return code, (self._target(name) if code else None)


# --------------------------------------------------------------------------- operator options

_Decoder = Callable[[_Table, str, Any], Any]


def _enum(names: tuple[str, ...]) -> _Decoder:
    def decode(table: _Table, name: str, default: str) -> str:
        value = table.scalar(name, "<b", None)
        if value is None:
            return default
        if not 0 <= value < len(names):
            raise InvalidModelError(f"the TFLite file is damaged: {table.where}.{name} is {value}, "
                                    f"not one of {', '.join(names)}")
        return names[value]
    return decode


def _int32(table: _Table, name: str, default: int) -> int:
    return table.scalar(name, "<i", default)


def _bool(table: _Table, name: str, default: bool) -> bool:
    return bool(table.scalar(name, "<B", int(default)))


def _float32(table: _Table, name: str, default: float) -> float:
    return table.scalar(name, "<f", default)


def _int32_list(table: _Table, name: str, default: tuple[int, ...] | None) -> list[int] | None:
    if table.has(name):
        return [int(v) for v in table.numbers(name, "<i4")]
    return None if default is None else list(default)  # a new list each time: callers may change it


class _AbsentTable:
    """Stands for an options table the writer left out: every field is absent, so takes its default."""

    where = "(no options table)"

    def has(self, name: str) -> bool:
        return False

    def scalar(self, name: str, fmt: str, default: Any) -> Any:
        return default


_padding, _activation, _weights_format = _enum(_PADDING), _enum(_ACTIVATIONS), _enum(_WEIGHTS_FORMATS)


@dataclass(frozen=True)
class _OptionsTable:
    """One BuiltinOptions member: its union type code and its fields (name, decoder, schema default as decoded)."""

    kind: str
    union_code: int
    fields: tuple[tuple[str, _Decoder, Any], ...]


_CONV_2D = _OptionsTable("Conv2DOptions", 1, (
    ("padding", _padding, "SAME"), ("stride_w", _int32, 0), ("stride_h", _int32, 0),
    ("fused_activation_function", _activation, "NONE"), ("dilation_w_factor", _int32, 1),
    ("dilation_h_factor", _int32, 1)))
_DEPTHWISE_CONV_2D = _OptionsTable("DepthwiseConv2DOptions", 2, (
    ("padding", _padding, "SAME"), ("stride_w", _int32, 0), ("stride_h", _int32, 0), ("depth_multiplier", _int32, 0),
    ("fused_activation_function", _activation, "NONE"), ("dilation_w_factor", _int32, 1),
    ("dilation_h_factor", _int32, 1)))
_POOL_2D = _OptionsTable("Pool2DOptions", 5, (
    ("padding", _padding, "SAME"), ("stride_w", _int32, 0), ("stride_h", _int32, 0), ("filter_width", _int32, 0),
    ("filter_height", _int32, 0), ("fused_activation_function", _activation, "NONE")))
_FULLY_CONNECTED = _OptionsTable("FullyConnectedOptions", 8, (
    ("fused_activation_function", _activation, "NONE"), ("weights_format", _weights_format, "DEFAULT"),
    ("keep_num_dims", _bool, False), ("asymmetric_quantize_inputs", _bool, False)))
_SOFTMAX = _OptionsTable("SoftmaxOptions", 9, (("beta", _float32, 0.0),))
_CONCATENATION = _OptionsTable("ConcatenationOptions", 10, (
    ("axis", _int32, 0), ("fused_activation_function", _activation, "NONE")))
_ADD = _OptionsTable("AddOptions", 11, (("fused_activation_function", _activation, "NONE"),
                                        ("pot_scale_int16", _bool, True)))
# new_shape None: absent (newer converters give the shape as a second input tensor instead)
_RESHAPE = _OptionsTable("ReshapeOptions", 17, (("new_shape", _int32_list, None),))
_MUL = _OptionsTable("MulOptions", 21, (("fused_activation_function", _activation, "NONE"),))
_REDUCER = _OptionsTable("ReducerOptions", 27, (("keep_dims", _bool, False),))
_SUB = _OptionsTable("SubOptions", 28, (("fused_activation_function", _activation, "NONE"),
                                        ("pot_scale_int16", _bool, True)))
_SQUEEZE = _OptionsTable("SqueezeOptions", 30, (("squeeze_dims", _int32_list, ()),))

#: The builtins whose options are decoded. Others keep `options == {}`.
_OPTIONS: dict[str, _OptionsTable] = {
    "CONV_2D": _CONV_2D, "DEPTHWISE_CONV_2D": _DEPTHWISE_CONV_2D, "AVERAGE_POOL_2D": _POOL_2D,
    "MAX_POOL_2D": _POOL_2D, "FULLY_CONNECTED": _FULLY_CONNECTED, "SOFTMAX": _SOFTMAX,
    "CONCATENATION": _CONCATENATION, "ADD": _ADD, "SUB": _SUB, "MUL": _MUL, "RESHAPE": _RESHAPE, "MEAN": _REDUCER,
    "SQUEEZE": _SQUEEZE,
}
# Each options table above lists every field up to its last, in schema order from id 0: its ids are positions.
_FIELD_IDS.update({layout.kind: {name: i for i, (name, _, _) in enumerate(layout.fields)}
                   for layout in _OPTIONS.values()})


def _read_options(operator: _Table, opcode: str) -> dict[str, Any]:
    layout = _OPTIONS.get(opcode)
    if layout is None:
        return {}
    code, position = operator.union("builtin_options")
    if code not in (0, layout.union_code):
        raise InvalidModelError(f"the TFLite file is damaged: {operator.where} ({opcode}) carries builtin options of "
                                f"type {code}, not {layout.kind} ({layout.union_code})")
    options = _AbsentTable() if position is None else \
        _Table(operator.file, position, layout.kind, f"{operator.where}.builtin_options")
    return {name: decode(options, name, default) for name, decode, default in layout.fields}


# --------------------------------------------------------------------------------- the model


def read_tflite(data: bytes | bytearray | memoryview) -> TfliteModel:
    """Parses the bytes of a .tflite file (subgraph 0). Raises InvalidModelError for a file that is
    not TFLite or is damaged, UnsupportedModelError for what this reader does not handle."""
    view = memoryview(data).cast("B")
    if len(view) < 8:
        raise InvalidModelError(f"not a TFLite file: {len(view)} bytes, too short for a flatbuffer")
    identifier = bytes(view[4:8])
    if identifier != FILE_IDENTIFIER:
        raise InvalidModelError(f"not a TFLite file: its flatbuffer file identifier is {identifier!r}, "
                                f"not {FILE_IDENTIFIER!r}")
    file = _Bytes(view)
    model = _Table(file, file.follow(0, "the root offset"), "Model", "model")
    subgraphs = model.tables("subgraphs", "SubGraph")
    if not subgraphs:
        raise InvalidModelError("the TFLite file has no subgraph")
    opcodes = [_opcode(code) for code in model.tables("operator_codes", "OperatorCode")]
    buffers = model.tables("buffers", "Buffer")
    graph = subgraphs[0]
    tensors = [_read_tensor(tensor, buffers, file) for tensor in graph.tables("tensors", "Tensor")]
    operators = [_read_operator(op, opcodes) for op in graph.tables("operators", "Operator")]
    inputs = [int(i) for i in graph.numbers("inputs", "<i4")]
    outputs = [int(i) for i in graph.numbers("outputs", "<i4")]
    _check_tensor_indices("subgraphs[0].inputs", inputs, len(tensors), optional=False)
    _check_tensor_indices("subgraphs[0].outputs", outputs, len(tensors), optional=False)
    for i, op in enumerate(operators):
        _check_tensor_indices(f"operator {i} ({op.opcode}) inputs", op.inputs, len(tensors), optional=True)
        _check_tensor_indices(f"operator {i} ({op.opcode}) outputs", op.outputs, len(tensors), optional=False)
    return TfliteModel(version=model.scalar("version", "<I", 0), description=model.string("description") or "",
                       inputs=inputs, outputs=outputs, tensors=tensors, operators=operators)


def read_tflite_file(path: str | Path) -> TfliteModel:
    """read_tflite on a file's bytes; InvalidInputError when the file cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return read_tflite(data)
    except (InvalidModelError, UnsupportedModelError) as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _check_tensor_indices(where: str, indices: list[int], n_tensors: int, optional: bool) -> None:
    lowest = -1 if optional else 0
    for index in indices:
        if not lowest <= index < n_tensors:
            raise InvalidModelError(f"the TFLite file is damaged: {where} refer to tensor {index}, "
                                    f"but subgraph 0 has {n_tensors} tensors")


@dataclass(frozen=True)
class _Opcode:
    name: str
    custom_code: str | None
    version: int


def _opcode(code: _Table) -> _Opcode:
    # Codes past 127 live in builtin_code (int32) while the byte-wide deprecated field holds 127;
    # older files set only the byte: the schema says to take the larger of the two.
    value = max(code.scalar("deprecated_builtin_code", "<b", 0), code.scalar("builtin_code", "<i", 0))
    name = BUILTIN_OPERATORS.get(value, f"BUILTIN_{value}")
    return _Opcode(name, code.string("custom_code"), code.scalar("version", "<i", 1))


def _read_operator(operator: _Table, opcodes: list[_Opcode]) -> TfliteOperator:
    index = operator.scalar("opcode_index", "<I", 0)
    if index >= len(opcodes):
        raise InvalidModelError(f"the TFLite file is damaged: {operator.where} uses operator code {index}, "
                                f"but the model lists {len(opcodes)}")
    code = opcodes[index]
    if code.name in _SUBGRAPH_CALLERS:
        raise UnsupportedModelError(f"{operator.where} ({code.name}) runs another subgraph: only models whose "
                                    "graph is one subgraph are read")
    return TfliteOperator(opcode=code.name, inputs=[int(i) for i in operator.numbers("inputs", "<i4")],
                          outputs=[int(i) for i in operator.numbers("outputs", "<i4")],
                          options=_read_options(operator, code.name),
                          custom_code=code.custom_code if code.name == "CUSTOM" else None, version=code.version)


# --------------------------------------------------------------------------------- tensors


def _read_tensor(tensor: _Table, buffers: list[_Table], file: _Bytes) -> TfliteTensor:
    name = tensor.string("name") or ""
    label = f"{tensor.where} ({name!r})"
    type_code = tensor.scalar("type", "<b", 0)
    if type_code not in TENSOR_TYPES:
        raise UnsupportedModelError(f"{label} has tensor type {type_code}, which is not a TFLite TensorType "
                                    "this reader knows (schema.fbs enum TensorType)")
    tensor_type = TENSOR_TYPES[type_code]
    shape = [int(d) for d in tensor.numbers("shape", "<i4")]
    raw = _buffer_bytes(tensor, buffers, file, label)
    data = None
    if raw is not None and len(raw):
        if tensor.table("sparsity", "SparsityParameters") is not None:
            raise UnsupportedModelError(f"{label} is a sparse constant: sparse tensors are not read")
        data = _tensor_values(raw, tensor_type, shape, label)
    return TfliteTensor(name=name, shape=shape, dtype=tensor_type.name, data=data,
                        quantization=_read_quantization(tensor, shape, label),
                        is_variable=bool(tensor.scalar("is_variable", "<B", 0)))


def _buffer_bytes(tensor: _Table, buffers: list[_Table], file: _Bytes, label: str) -> memoryview | None:
    if tensor.scalar("external_buffer", "<I", 0):
        raise UnsupportedModelError(f"{label} keeps its values in an external buffer (outside the .tflite file), "
                                    "which this reader does not load")
    index = tensor.scalar("buffer", "<I", 0)
    if index >= len(buffers):
        if index == 0:
            return None  # no buffers at all: nothing is constant
        raise InvalidModelError(f"the TFLite file is damaged: {label} uses buffer {index}, "
                                f"but the model has {len(buffers)}")
    buffer = buffers[index]
    # Models past 2 GB keep their constants after the flatbuffer: offset (from the file's start) and size,
    # an offset of 0 or 1 meaning "not used" (schema.fbs)
    offset = buffer.scalar("offset", "<Q", 0)
    if offset > 1:
        size = buffer.scalar("size", "<Q", 0)
        file.check_range(offset, size, f"{buffer.where} (offset {offset}, size {size})")
        return file.view[offset:offset + size]
    return buffer.raw_bytes("data")


def _tensor_values(raw: memoryview, tensor_type: _TensorType, shape: list[int], label: str) -> np.ndarray:
    if any(d < 0 for d in shape):
        raise InvalidModelError(f"the TFLite file is damaged: {label} holds constant data but its shape {shape} "
                                "has unknown dimensions")
    count = math.prod(shape)
    if tensor_type.name == "int4":
        values = _int4_values(raw, count, label)
    elif tensor_type.numpy is None:
        raise UnsupportedModelError(f"{label} holds constant {tensor_type.name} data, which this reader does not read")
    else:
        dtype = np.dtype(tensor_type.numpy)
        if len(raw) != count * dtype.itemsize:
            raise InvalidModelError(f"the TFLite file is damaged: {label} of shape {shape} and type {tensor_type.name} "
                                    f"needs {count * dtype.itemsize} bytes, its buffer has {len(raw)}")
        values = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
    return values.reshape(shape)


def _int4_values(raw: memoryview, count: int, label: str) -> np.ndarray:
    """INT4 constants pack two values a byte, the first in the low nibble: unpacked to int8."""
    packed = np.frombuffer(raw, dtype=np.uint8)
    if len(packed) != (count + 1) // 2:
        raise InvalidModelError(f"the TFLite file is damaged: {label}, int4 of {count} values, has {len(packed)} "
                                f"bytes, not {(count + 1) // 2}")
    nibbles = np.stack([packed & 0x0F, packed >> 4], axis=1).reshape(-1)[:count].astype(np.int8)
    return np.where(nibbles > 7, nibbles - 16, nibbles).astype(np.int8)


def _read_quantization(tensor: _Table, shape: list[int], label: str) -> TfliteQuantization | None:
    parameters = tensor.table("quantization", "QuantizationParameters")
    if parameters is None:
        return None
    if parameters.scalar("details_type", "<B", 0):
        raise UnsupportedModelError(f"{label} uses custom quantization (QuantizationDetails), which is not read")
    scale = parameters.numbers("scale", "<f4")
    if not len(scale):
        return None  # float tensors often carry an empty QuantizationParameters table
    zero_point = parameters.numbers("zero_point", "<i8")
    if not len(zero_point):
        zero_point = np.zeros(len(scale), np.int64)
    dimension = parameters.scalar("quantized_dimension", "<i", 0)
    if len(zero_point) != len(scale):
        raise InvalidModelError(f"the TFLite file is damaged: {label} has {len(scale)} quantization scales "
                                f"but {len(zero_point)} zero points")
    if len(scale) > 1 and not (0 <= dimension < len(shape) and shape[dimension] == len(scale)):
        raise InvalidModelError(f"the TFLite file is damaged: {label} of shape {shape} has {len(scale)} "
                                f"quantization scales along dimension {dimension}")
    return TfliteQuantization(scale=scale.astype(np.float32), zero_point=zero_point.astype(np.int64),
                              quantized_dimension=dimension)
