"""The IR's typed-array codec and the checks of the feature rows a model is run on.

Arrays travel in the IR as ``{"dtype", "shape", "data"}`` with little-endian bytes in base64;
the TypeScript core (src/core/ir/encoding.ts) reads and writes the same form.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from .errors import InvalidInputError

_DTYPES = {"float64": "<f8", "float32": "<f4", "int32": "<i4", "int16": "<i2", "uint8": "u1",
           # categorical splits' bitsets (category_bits)
           "uint32": "<u4"}


def encode_array(array: np.ndarray, dtype: str) -> dict[str, Any]:
    """The IR's typed-array form of ``array`` converted to ``dtype``."""
    data = np.ascontiguousarray(np.asarray(array).astype(_DTYPES[dtype], copy=False))
    return {"dtype": dtype, "shape": list(data.shape), "data": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_array(encoded: dict[str, Any]) -> np.ndarray:
    """Inverse of encode_array."""
    raw = base64.b64decode(encoded["data"])
    return np.frombuffer(raw, dtype=_DTYPES[encoded["dtype"]]).reshape(encoded["shape"]).copy()


def input_count(ir: dict[str, Any]) -> int:
    """Values per row the device takes: raw window samples when a feature stage comes first."""
    return int(ir.get("n_inputs", ir["n_features"]))


def check_features(X: Any, n_features: int, what: str = "X", *, allow_nan: bool = False) -> np.ndarray:
    """X as a C-contiguous float32 matrix (what sklearn's trees compare on), or a clear error.
    ``allow_nan``: NaN is a missing value the model routes (tree ensembles: missing_left), so
    it is kept; infinite values are refused all the same."""
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
    bad = ~np.isfinite(arr) & ~(allow_nan & np.isnan(arr))
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise InvalidInputError(
            f"{what} row {row}, feature {col} is {arr[row, col]} ({int(bad.sum())} non-finite values in all); "
            "remove or impute NaN and infinite values first"
        )
    with np.errstate(over="ignore"):  # overflow is reported just below
        arr32 = np.ascontiguousarray(arr.astype(np.float32))
    if np.any(np.isinf(arr32)):
        raise InvalidInputError(f"{what} has values too large for float32, the type the device compares on")
    return arr32


def require_rows(x32: np.ndarray, what: str, purpose: str) -> np.ndarray:
    """x32, checked by check_features, unless it has no rows: then an InvalidInputError naming
    the argument and what needs the rows (before scikit-learn is asked about them)."""
    if x32.shape[0] == 0:
        raise InvalidInputError(f"{what} has no rows (shape {tuple(x32.shape)}); {purpose}: pass at least one row")
    return x32


__all__ = ["check_features", "decode_array", "encode_array", "input_count", "require_rows"]
