"""The IR's typed-array codec and the checks of the feature rows a model is run on.

Arrays travel in the IR as ``{"dtype", "shape", "data"}`` with little-endian bytes in base64;
the TypeScript core (src/core/ir/encoding.ts) reads and writes the same form.

Inside the package an array may also stay an ``IRArray`` (the numpy array itself) until the IR
is needed as JSON: the tree readers write them, so that a large forest goes to the embedded V8
as bytes (_engine.py) without a base64 text of tens of megabytes made and parsed on the way.
``json_ir`` turns an IR with IRArrays into the JSON form; ``decode_array`` reads either.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from .errors import InvalidInputError

_DTYPES = {"float64": "<f8", "float32": "<f4", "int32": "<i4", "int16": "<i2", "uint8": "u1", "uint32": "<u4"}


class IRArray:
    """An IR array not yet encoded: ``dtype`` (an IR dtype name) and ``array``, C-contiguous and
    little-endian in that dtype. Not JSON: ``json_ir`` encodes it where JSON is needed."""

    __slots__ = ("array", "dtype")

    def __init__(self, array: Any, dtype: str):
        self.dtype = dtype
        self.array = np.ascontiguousarray(np.asarray(array).astype(_DTYPES[dtype], copy=False))

    def encoded(self) -> dict[str, Any]:
        """The JSON form, as encode_array writes it."""
        return {"dtype": self.dtype, "shape": list(self.array.shape),
                "data": base64.b64encode(self.array.tobytes()).decode("ascii")}

    def __repr__(self) -> str:
        return f"IRArray({self.dtype}, shape={list(self.array.shape)})"


def ir_array(array: Any, dtype: str) -> IRArray:
    """``array`` converted to ``dtype``, kept as an IRArray (see the module's docstring)."""
    return IRArray(array, dtype)


def encode_array(array: Any, dtype: str) -> dict[str, Any]:
    """The IR's typed-array form of ``array`` converted to ``dtype``."""
    return IRArray(array, dtype).encoded()


def json_ir(value: Any) -> Any:
    """``value`` (an IR, or any JSON-like value) with every IRArray in the JSON form; the parts
    without one are the same objects."""
    if isinstance(value, IRArray):
        return value.encoded()
    if isinstance(value, dict):
        converted = {k: json_ir(v) for k, v in value.items()}
        return value if all(converted[k] is v for k, v in value.items()) else converted
    if isinstance(value, list) and value and isinstance(value[0], (dict, list, IRArray)):
        converted_items = [json_ir(v) for v in value]
        return value if all(a is b for a, b in zip(converted_items, value)) else converted_items
    return value


def decode_array(encoded: dict[str, Any] | IRArray) -> np.ndarray:
    """Inverse of encode_array (an IRArray's array, copied)."""
    if isinstance(encoded, IRArray):
        return encoded.array.copy()
    raw = base64.b64decode(encoded["data"])
    return np.frombuffer(raw, dtype=_DTYPES[encoded["dtype"]]).reshape(encoded["shape"]).copy()


def input_count(ir: dict[str, Any]) -> int:
    """Values per row the device takes: raw window samples when a feature stage comes first."""
    return int(ir.get("n_inputs", ir["n_features"]))


def check_features(X: Any, n_features: int, what: str = "X", *, allow_nan: bool = False) -> np.ndarray:
    """X as a C-contiguous float32 matrix (what sklearn's trees compare on), or a clear error.
    ``allow_nan``: NaN passes (a model whose splits route it: ConvertedModel.accepts_nan);
    infinite values never do."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} must be numeric: {exc}") from None
    if arr.ndim == 1:
        raise InvalidInputError(
            f"{what} is 1-D with {arr.shape[0]} values; pass a 2-D array of shape (n_rows, {n_features})"
        )
    if arr.ndim > 2 and int(np.prod(arr.shape[1:])) == n_features:
        arr = arr.reshape(arr.shape[0], n_features)  # images, signals: one flat row per sample
    if arr.ndim != 2:
        raise InvalidInputError(f"{what} must be 2-D (n_rows, n_features), got shape {arr.shape}")
    if arr.shape[1] != n_features:
        raise InvalidInputError(f"{what} has {arr.shape[1]} features per row, the model expects {n_features}")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        fix = ("replace infinite values (NaN is allowed: each split sends it its learned way)" if allow_nan else
               "remove or impute NaN and infinite values first (this model's device code has no rule for them)")
        raise InvalidInputError(
            f"{what} row {row}, feature {col} is {arr[row, col]} ({int(bad.sum())} such values in all); {fix}"
        )
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported just below
        arr32 = np.ascontiguousarray(arr.astype(np.float32))
    if np.isinf(arr32).any():
        raise InvalidInputError(f"{what} has values too large for float32, the type the device compares on")
    return arr32


def require_rows(x32: np.ndarray, what: str, purpose: str) -> np.ndarray:
    """x32, checked by check_features, unless it has no rows: then an InvalidInputError naming
    the argument and what needs the rows (before scikit-learn is asked about them)."""
    if x32.shape[0] == 0:
        raise InvalidInputError(f"{what} has no rows (shape {tuple(x32.shape)}); {purpose}: pass at least one row")
    return x32


__all__ = ["IRArray", "check_features", "decode_array", "encode_array", "input_count", "ir_array", "json_ir",
           "require_rows"]
