"""Reads fitted scikit-learn estimators into the model IR (see docs/ir.md).

Only public fitted attributes are read (``tree_``, ``estimators_``, ``classes_``,
``n_features_in_``). The TypeScript core (src/core/ir.ts) parses the same format; arrays
travel as ``{"dtype", "shape", "data"}`` with little-endian bytes in base64.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from .errors import InvalidInputError, InvalidModelError, NotFittedError, UnsupportedModelError

IR_FORMAT = "tinyml-lab-ir"
IR_VERSION = 1
MAX_FEATURES = 32767

_DTYPES = {"float64": "<f8", "float32": "<f4", "int32": "<i4", "int16": "<i2", "uint8": "u1"}

# Estimators whose fitted trees the tree-ensemble IR describes exactly, with their task.
TREE_ESTIMATORS = {
    "sklearn.tree.DecisionTreeClassifier": "classification",
    "sklearn.tree.DecisionTreeRegressor": "regression",
    "sklearn.tree.ExtraTreeClassifier": "classification",
    "sklearn.tree.ExtraTreeRegressor": "regression",
    "sklearn.ensemble.RandomForestClassifier": "classification",
    "sklearn.ensemble.RandomForestRegressor": "regression",
    "sklearn.ensemble.ExtraTreesClassifier": "classification",
    "sklearn.ensemble.ExtraTreesRegressor": "regression",
}


def encode_array(array: np.ndarray, dtype: str) -> dict[str, Any]:
    """The IR's typed-array form of ``array`` converted to ``dtype``."""
    data = np.ascontiguousarray(np.asarray(array).astype(_DTYPES[dtype], copy=False))
    return {"dtype": dtype, "shape": list(data.shape), "data": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_array(encoded: dict[str, Any]) -> np.ndarray:
    """Inverse of encode_array."""
    raw = base64.b64decode(encoded["data"])
    return np.frombuffer(raw, dtype=_DTYPES[encoded["dtype"]]).reshape(encoded["shape"]).copy()


def estimator_name(model: Any) -> str:
    """Public dotted name, e.g. sklearn.ensemble.RandomForestClassifier."""
    cls = type(model)
    module = cls.__module__
    if module.startswith("sklearn."):
        # sklearn.ensemble._forest -> sklearn.ensemble: the documented import path.
        module = ".".join(part for part in module.split(".") if not part.startswith("_"))
    return f"{module}.{cls.__qualname__}"


def _supported_list() -> str:
    return ", ".join(name.rsplit(".", 1)[1] for name in TREE_ESTIMATORS)


def _check_fitted(model: Any, name: str) -> None:
    fitted = [attr for attr in ("tree_", "estimators_") if hasattr(model, attr)]
    if not fitted:
        raise NotFittedError(f"{name.rsplit('.', 1)[1]} is not fitted yet: call fit(X, y) before exporting it")


def _tree_to_ir(tree: Any, n_outputs: int, where: str) -> dict[str, Any]:
    if tree.n_outputs != 1:
        raise UnsupportedModelError(f"{where}: multi-output trees (y with {tree.n_outputs} columns) are not supported")
    value = np.asarray(tree.value, dtype=np.float64).reshape(tree.node_count, -1)
    if value.shape[1] != n_outputs:
        raise InvalidModelError(f"{where}: tree has {value.shape[1]} output columns, expected {n_outputs}")
    threshold = np.asarray(tree.threshold, dtype=np.float64)
    internal = np.asarray(tree.children_left) != -1
    if not np.all(np.isfinite(threshold[internal])):
        raise InvalidModelError(f"{where}: a split threshold is NaN or infinite")
    if not np.all(np.isfinite(value)):
        raise InvalidModelError(f"{where}: a leaf value is NaN or infinite")
    return {
        "children_left": encode_array(tree.children_left, "int32"),
        "children_right": encode_array(tree.children_right, "int32"),
        "feature": encode_array(tree.feature, "int32"),
        "threshold": encode_array(threshold, "float64"),
        "value": encode_array(value, "float64"),
    }


def _class_labels(classes: np.ndarray) -> list[Any]:
    labels = []
    for c in classes.tolist():
        if isinstance(c, (bool, np.bool_)):
            labels.append(int(c))
        elif isinstance(c, (int, float, str)):
            labels.append(c)
        else:
            labels.append(str(c))
    return labels


def model_to_ir(model: Any) -> dict[str, Any]:
    """The IR of a fitted estimator. Raises UnsupportedModelError, NotFittedError or
    InvalidModelError with a message that names the problem."""
    name = estimator_name(model)
    task = TREE_ESTIMATORS.get(name)
    if task is None:
        raise UnsupportedModelError(
            f"{type(model).__name__} ({name}) is not supported yet; supported estimators: {_supported_list()}"
        )
    _check_fitted(model, name)
    trees = [model.tree_] if hasattr(model, "tree_") else [est.tree_ for est in model.estimators_]
    n_features = int(model.n_features_in_)
    if n_features > MAX_FEATURES:
        raise UnsupportedModelError(f"{name} has {n_features} features; at most {MAX_FEATURES} are supported")
    if task == "classification":
        if np.ndim(model.classes_) != 1 and len(model.classes_) and np.ndim(model.classes_[0]) > 0:
            raise UnsupportedModelError(f"{name}: multi-output classification is not supported")
        classes = _class_labels(np.asarray(model.classes_))
        n_outputs = len(classes)
    else:
        classes = []
        n_outputs = 1
    ir: dict[str, Any] = {
        "format": IR_FORMAT,
        "version": IR_VERSION,
        "family": "tree_ensemble",
        "estimator": name,
        "task": task,
        "n_features": n_features,
        "trees": [_tree_to_ir(t, n_outputs, f"{name} tree {i}") for i, t in enumerate(trees)],
    }
    if task == "classification":
        ir["classes"] = classes
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        ir["feature_names"] = [str(n) for n in names]
    return ir


def check_features(X: Any, n_features: int, what: str = "X") -> np.ndarray:
    """X as a C-contiguous float32 matrix (what sklearn's trees compare on), or a clear error."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} must be numeric: {exc}") from None
    if arr.ndim == 1:
        raise InvalidInputError(
            f"{what} is 1-D with {arr.shape[0]} values; pass a 2-D array of shape (n_rows, {n_features})"
        )
    if arr.ndim != 2:
        raise InvalidInputError(f"{what} must be 2-D (n_rows, n_features), got shape {arr.shape}")
    if arr.shape[1] != n_features:
        raise InvalidInputError(f"{what} has {arr.shape[1]} features per row, the model expects {n_features}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise InvalidInputError(
            f"{what} row {row}, feature {col} is {arr[row, col]} ({int(bad.sum())} non-finite values in all); "
            "remove or impute NaN and infinite values first"
        )
    with np.errstate(over="ignore"):  # overflow is reported just below
        arr32 = np.ascontiguousarray(arr.astype(np.float32))
    if not np.all(np.isfinite(arr32)):
        raise InvalidInputError(f"{what} has values too large for float32, the type the device compares on")
    return arr32
