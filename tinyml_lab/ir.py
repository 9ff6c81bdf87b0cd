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
FOREST_ESTIMATORS = {
    "sklearn.tree.DecisionTreeClassifier": "classification",
    "sklearn.tree.DecisionTreeRegressor": "regression",
    "sklearn.tree.ExtraTreeClassifier": "classification",
    "sklearn.tree.ExtraTreeRegressor": "regression",
    "sklearn.ensemble.RandomForestClassifier": "classification",
    "sklearn.ensemble.RandomForestRegressor": "regression",
    "sklearn.ensemble.ExtraTreesClassifier": "classification",
    "sklearn.ensemble.ExtraTreesRegressor": "regression",
}
BOOSTING_ESTIMATORS = {
    "sklearn.ensemble.GradientBoostingClassifier": "classification",
    "sklearn.ensemble.GradientBoostingRegressor": "regression",
}
ANOMALY_ESTIMATORS = {"sklearn.ensemble.IsolationForest": "anomaly"}
TREE_ESTIMATORS = {**FOREST_ESTIMATORS, **BOOSTING_ESTIMATORS, **ANOMALY_ESTIMATORS}


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
    trees = [name.rsplit(".", 1)[1] for name in TREE_ESTIMATORS]
    nets = ["MLPClassifier", "MLPRegressor", "keras.Sequential", "functional keras.Model", ".keras/.h5 files"]
    from .linear import LINEAR_CLASSIFIERS, LINEAR_REGRESSORS  # noqa: PLC0415 - linear.py imports this module

    linear = sorted(name.rsplit(".", 1)[1] for name in (*LINEAR_CLASSIFIERS, *LINEAR_REGRESSORS))
    pipeline = ["Pipeline (StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler, PCA, then a linear model or MLP)"]
    from .gaussian import GAUSSIAN_ESTIMATORS  # noqa: PLC0415

    from .kernels import NEIGHBOR_ESTIMATORS, SVM_ESTIMATORS  # noqa: PLC0415

    others = [name.rsplit(".", 1)[1] for name in (*GAUSSIAN_ESTIMATORS, *SVM_ESTIMATORS, *NEIGHBOR_ESTIMATORS)]
    return ", ".join(trees + nets + linear + others + pipeline)


def _check_fitted(model: Any, name: str) -> None:
    fitted = [attr for attr in ("tree_", "estimators_") if hasattr(model, attr)]
    if not fitted:
        raise NotFittedError(f"{name.rsplit('.', 1)[1]} is not fitted yet: call fit(X, y) before exporting it")


def _tree_to_ir(
    tree: Any,
    width: int,
    where: str,
    *,
    value: np.ndarray | None = None,
    output: int | None = None,
    features: np.ndarray | None = None,
) -> dict[str, Any]:
    """One tree's arrays. ``value`` replaces tree_.value (isolation path lengths), ``output``
    is the raw output a boosting tree feeds, ``features`` maps a tree trained on a feature
    subset (IsolationForest's estimators_features_) back to the model's feature indices."""
    if tree.n_outputs != 1:
        raise UnsupportedModelError(f"{where}: multi-output trees (y with {tree.n_outputs} columns) are not supported")
    if value is None:
        value = np.asarray(tree.value, dtype=np.float64).reshape(tree.node_count, -1)
    if value.shape[1] != width:
        raise InvalidModelError(f"{where}: tree has {value.shape[1]} output columns, expected {width}")
    feature = np.asarray(tree.feature)
    if features is not None:
        feature = np.where(feature >= 0, np.asarray(features)[np.maximum(feature, 0)], feature)
    threshold = np.asarray(tree.threshold, dtype=np.float64)
    internal = np.asarray(tree.children_left) != -1
    if not np.all(np.isfinite(threshold[internal])):
        raise InvalidModelError(f"{where}: a split threshold is NaN or infinite")
    if not np.all(np.isfinite(value)):
        raise InvalidModelError(f"{where}: a leaf value is NaN or infinite")
    encoded = {
        "children_left": encode_array(tree.children_left, "int32"),
        "children_right": encode_array(tree.children_right, "int32"),
        "feature": encode_array(feature, "int32"),
        "threshold": encode_array(threshold, "float64"),
        "value": encode_array(value, "float64"),
    }
    if output is not None:
        encoded["output"] = int(output)
    return encoded


def average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n): the average path length of an unsuccessful search in a binary search tree of
    n points, which IsolationForest adds at each leaf (c(1) = 0, c(2) = 1)."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    big = n > 2
    out[n == 2] = 1.0
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


def _node_depths(tree: Any) -> np.ndarray:
    depth = np.zeros(tree.node_count, dtype=np.float64)
    stack = [0]
    while stack:  # iterative: deep trees must not hit Python's recursion limit
        node = stack.pop()
        for child in (tree.children_left[node], tree.children_right[node]):
            if child != -1:
                depth[child] = depth[node] + 1
                stack.append(child)
    return depth


def _boosting_fields(model: Any, name: str, task: str) -> dict[str, Any]:
    """Baseline, link and the stage-major trees of a fitted GradientBoosting model."""
    init = model.init_
    n_raw = model.estimators_.shape[1]
    if task == "classification":
        if model.loss != "log_loss":
            raise UnsupportedModelError(f"{name} with loss={model.loss!r} is not supported; use loss='log_loss'")
        link = "logistic" if n_raw == 1 else "softmax"
    else:
        link = "identity"
    if isinstance(init, str) and init == "zero":
        baseline = np.zeros(n_raw)
    elif task == "classification" and type(init).__name__ == "DummyClassifier" and init.strategy == "prior":
        # sklearn links the prior through the loss: log-odds, or log(p) - mean(log p).
        eps = np.finfo(np.float64).eps
        prior = np.clip(np.asarray(init.class_prior_, dtype=np.float64), eps, 1 - eps)
        if n_raw == 1:
            baseline = np.array([np.log(prior[1] / (1 - prior[1]))])
        else:
            baseline = np.log(prior) - np.mean(np.log(prior))
    elif task == "regression" and type(init).__name__ == "DummyRegressor":
        baseline = np.asarray(init.constant_, dtype=np.float64).reshape(-1)
    else:
        raise UnsupportedModelError(
            f"{name} with init={type(init).__name__} is not supported; use the default init or 'zero'"
        )
    trees = [
        _tree_to_ir(est.tree_, 1, f"{name} stage {stage} output {k}", output=k)
        for stage, row in enumerate(model.estimators_)
        for k, est in enumerate(row)
    ]
    return {
        "combine": "sum",
        "link": link,
        "n_outputs": n_raw,
        "baseline": [float(v) for v in baseline],
        "tree_scale": float(model.learning_rate),
        "trees": trees,
    }


def _isolation_fields(model: Any, name: str) -> dict[str, Any]:
    """Path-length leaves and the score normalizer of a fitted IsolationForest."""
    trees = []
    for i, (est, features) in enumerate(zip(model.estimators_, model.estimators_features_)):
        tree = est.tree_
        # A row's path length in a tree: the depth of its leaf plus c(samples left there).
        value = (_node_depths(tree) + average_path_length(tree.n_node_samples)).reshape(-1, 1)
        trees.append(_tree_to_ir(tree, 1, f"{name} tree {i}", value=value, features=features))
    return {
        "combine": "mean",
        "link": "isolation",
        "link_param": float(average_path_length(np.array([model.max_samples_]))[0]),
        "offset": float(model.offset_),
        "trees": trees,
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


def model_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a fitted estimator. Raises UnsupportedModelError, NotFittedError or
    InvalidModelError with a message that names the problem. X_train / y_train: the data
    the model was fitted on, for the models that keep it (or what they computed from it)
    private: nearest neighbours, SVC(gamma='scale'); ignored by the others."""
    # Neural networks (MLP, Keras models, saved .keras/.h5 files) have their own readers.
    # Imported here, not at the top: nets.py and keras_files.py import this module.
    from . import gaussian, kernels, keras_files, linear, nets

    if keras_files.is_keras_file(model):
        return keras_files.keras_file_to_ir(model)
    if nets.is_keras_model(model):
        return nets.keras_to_ir(model)
    name = estimator_name(model)
    if name in nets.MLP_ESTIMATORS:
        return nets.mlp_to_ir(model)
    if linear.is_linear(name):
        return linear.linear_to_ir(model)
    if name in gaussian.GAUSSIAN_ESTIMATORS:
        return gaussian.gaussian_to_ir(model)
    if name in kernels.SVM_ESTIMATORS:
        return kernels.svm_to_ir(model, X_train)
    if name in kernels.NEIGHBOR_ESTIMATORS:
        return kernels.neighbors_to_ir(model, X_train, y_train)
    if name == linear.PIPELINE:
        return linear.pipeline_to_ir(model, model_to_ir, X_train, y_train)
    task = TREE_ESTIMATORS.get(name)
    if task is None:
        raise UnsupportedModelError(
            f"{type(model).__name__} ({name}) is not supported yet; supported estimators: {_supported_list()}"
        )
    _check_fitted(model, name)
    n_features = int(model.n_features_in_)
    if n_features > MAX_FEATURES:
        raise UnsupportedModelError(f"{name} has {n_features} features; at most {MAX_FEATURES} are supported")
    classes = []
    if task == "classification":
        if isinstance(model.classes_, list):
            raise UnsupportedModelError(f"{name}: multi-output classification is not supported")
        classes = _class_labels(np.asarray(model.classes_))
    ir: dict[str, Any] = {
        "format": IR_FORMAT,
        "version": IR_VERSION,
        "family": "tree_ensemble",
        "estimator": name,
        "task": task,
        "n_features": n_features,
    }
    if name in BOOSTING_ESTIMATORS:
        ir.update(_boosting_fields(model, name, task))
    elif name in ANOMALY_ESTIMATORS:
        ir.update(_isolation_fields(model, name))
    else:
        trees = [model.tree_] if hasattr(model, "tree_") else [est.tree_ for est in model.estimators_]
        width = len(classes) if task == "classification" else 1
        ir["trees"] = [_tree_to_ir(t, width, f"{name} tree {i}") for i, t in enumerate(trees)]
    if task == "classification":
        ir["classes"] = classes
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        ir["feature_names"] = [str(n) for n in names]
    return ir


def input_count(ir: dict[str, Any]) -> int:
    """Values per row the device takes: raw window samples when a feature stage comes first."""
    return int(ir.get("n_inputs", ir["n_features"]))


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
    if arr.ndim > 2 and int(np.prod(arr.shape[1:])) == n_features:
        arr = arr.reshape(arr.shape[0], n_features)  # images, signals: one flat row per sample
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
