"""scikit-learn's tree models, read into the "tree_ensemble" IR family: decision trees,
forests, extra trees, gradient boosting and isolation forests.

Only public fitted attributes are read (``tree_``, ``estimators_``, ``classes_``,
``n_features_in_``, ``init_``, ``estimators_features_``, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidModelError, NotFittedError, UnsupportedModelError
from .envelope import class_labels, feature_names_of, finite_number, ir_envelope
from .reader import Estimator, Reader, table_entry
from .tree_ir import FAMILY, MAX_FEATURES, check_binary_trees, le_thresholds, tree_to_ir

# Estimators whose fitted trees the tree-ensemble IR describes exactly.
FOREST_ESTIMATORS = {
    "sklearn.tree.DecisionTreeClassifier": Estimator("classification", "one CART tree"),
    "sklearn.tree.DecisionTreeRegressor": Estimator("regression", "one CART tree"),
    "sklearn.tree.ExtraTreeClassifier": Estimator("classification", "one randomized tree"),
    "sklearn.tree.ExtraTreeRegressor": Estimator("regression", "one randomized tree"),
    "sklearn.ensemble.RandomForestClassifier": Estimator("classification", "trees averaged"),
    "sklearn.ensemble.RandomForestRegressor": Estimator("regression", "trees averaged"),
    "sklearn.ensemble.ExtraTreesClassifier": Estimator("classification", "randomized trees averaged"),
    "sklearn.ensemble.ExtraTreesRegressor": Estimator("regression", "randomized trees averaged"),
}
BOOSTING_ESTIMATORS = {
    "sklearn.ensemble.GradientBoostingClassifier": Estimator(
        "classification", "stage trees summed on the init baseline, logistic or softmax link"),
    "sklearn.ensemble.GradientBoostingRegressor": Estimator("regression", "stage trees summed on the init baseline"),
}
ANOMALY_ESTIMATORS = {
    "sklearn.ensemble.IsolationForest": Estimator("anomaly", "path lengths averaged into the anomaly score"),
}
TREE_ESTIMATORS = {**FOREST_ESTIMATORS, **BOOSTING_ESTIMATORS, **ANOMALY_ESTIMATORS}


def _check_fitted(model: Any, name: str) -> None:
    fitted = [attr for attr in ("tree_", "estimators_") if hasattr(model, attr)]
    if not fitted:
        raise NotFittedError(f"{name.rsplit('.', 1)[1]} is not fitted yet: call fit(X, y) before exporting it")


def node_depths(trees: list[Any], wheres: list[str]) -> list[np.ndarray]:
    """The depth of every node of each fitted ``tree_``, after checking that each is a binary
    tree rooted at node 0 (tree_ir.check_binary_trees, all trees at once)."""
    for tree, where in zip(trees, wheres):
        n_nodes = int(tree.node_count)
        left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
        if left.shape != (n_nodes,) or right.shape != (n_nodes,):
            raise InvalidModelError(
                f"{where} is not a tree: children arrays of shapes {left.shape}, {right.shape} for {n_nodes} nodes")
    return check_binary_trees([(tree.children_left, tree.children_right) for tree in trees], wheres)


def _trees_to_ir(trees: list[Any], width: int, wheres: list[str], **each: list[Any]) -> list[dict[str, Any]]:
    """_tree_to_ir of every tree, their shapes checked together first (node_depths); ``each``
    maps a keyword of _tree_to_ir to its value per tree."""
    node_depths(trees, wheres)
    return [_tree_to_ir(tree, width, where, **{key: values[i] for key, values in each.items()})
            for i, (tree, where) in enumerate(zip(trees, wheres))]


def _tree_to_ir(
    tree: Any,
    width: int,
    where: str,
    *,
    value: np.ndarray | None = None,
    output: int | None = None,
    features: np.ndarray | None = None,
) -> dict[str, Any]:
    """One tree's arrays, its shape checked already (node_depths). ``value`` replaces
    tree_.value (isolation path lengths), ``output``
    is the raw output a boosting tree feeds, ``features`` maps a tree trained on a feature
    subset (IsolationForest's estimators_features_) back to the model's feature indices.

    Missing values: ``tree_.missing_go_to_left`` (scikit-learn >= 1.3) becomes ``missing_left``.
    A tree fitted on data with NaN may split "every value left, NaN right" with threshold +inf;
    for the finite values the device takes that is ``x <= FLOAT32_MAX``. A tree fitted without
    NaN sends NaN to its larger child at each split (missing_go_to_left says which), as
    DecisionTree / forest / IsolationForest predict do; GradientBoosting's predict refuses NaN,
    and the device sends it the same way as the other trees."""
    if tree.n_outputs != 1:
        raise UnsupportedModelError(f"{where}: multi-output trees (y with {tree.n_outputs} columns) are not supported")
    if value is None:
        value = np.asarray(tree.value, dtype=np.float64).reshape(tree.node_count, -1)
    if value.shape[1] != width:
        raise InvalidModelError(f"{where}: tree has {value.shape[1]} output columns, expected {width}")
    feature = np.asarray(tree.feature)
    if features is not None:
        feature = np.where(feature >= 0, np.asarray(features)[np.maximum(feature, 0)], feature)
    threshold = le_thresholds(tree.threshold, np.asarray(tree.children_left) == -1)
    missing_left = getattr(tree, "missing_go_to_left", None)
    return tree_to_ir(tree.children_left, tree.children_right, feature, threshold, value, where, output=output,
                      missing_left=None if missing_left is None else np.asarray(missing_left),
                      node_samples=tree.weighted_n_node_samples, checked=True)


def average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n): the average path length of an unsuccessful search in a binary search tree of
    n points, which IsolationForest adds at each leaf (c(1) = 0, c(2) = 1)."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    big = n > 2
    out[n == 2] = 1.0
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


def _boosting_fields(model: Any, name: str, task: str) -> dict[str, Any]:
    """Baseline, link and the stage-major trees of a fitted GradientBoosting model."""
    init = model.init_
    short = type(model).__name__
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
        prior = [finite_number(p, short, "init_.class_prior_") for p in np.ravel(init.class_prior_)]
        prior = np.clip(np.asarray(prior, dtype=np.float64), eps, 1 - eps)
        if n_raw == 1:
            baseline = np.array([np.log(prior[1] / (1 - prior[1]))])
        else:
            baseline = np.log(prior) - np.mean(np.log(prior))
    elif task == "regression" and type(init).__name__ == "DummyRegressor":
        baseline = np.array([finite_number(c, short, "init_.constant_") for c in np.ravel(init.constant_)])
    else:
        raise UnsupportedModelError(
            f"{name} with init={type(init).__name__} is not supported; use the default init or 'zero'"
        )
    stages = [(stage, k, est) for stage, row in enumerate(model.estimators_) for k, est in enumerate(row)]
    trees = _trees_to_ir([est.tree_ for _, _, est in stages], 1,
                         [f"{name} stage {stage} output {k}" for stage, k, _ in stages],
                         output=[k for _, k, _ in stages])
    return {
        "combine": "sum",
        "link": link,
        "n_outputs": n_raw,
        "baseline": [float(v) for v in baseline],
        "tree_scale": finite_number(model.learning_rate, short, "learning_rate"),
        "trees": trees,
    }


def _isolation_fields(model: Any, name: str) -> dict[str, Any]:
    """Path-length leaves and the score normalizer of a fitted IsolationForest."""
    short = type(model).__name__
    max_samples = finite_number(model.max_samples_, short, "max_samples_")
    offset = finite_number(model.offset_, short, "offset_")
    trees = [est.tree_ for est in model.estimators_]
    wheres = [f"{name} tree {i}" for i in range(len(trees))]
    # A row's path length in a tree: the depth of its leaf plus c(samples left there).
    trees = [_tree_to_ir(tree, 1, where, value=(depth + average_path_length(tree.n_node_samples)).reshape(-1, 1),
                         features=features)
             for tree, where, depth, features in zip(trees, wheres, node_depths(trees, wheres),
                                                     model.estimators_features_)]
    return {
        "combine": "mean",
        "link": "isolation",
        "link_param": float(average_path_length(np.array([max_samples]))[0]),
        "offset": offset,
        "trees": trees,
    }


def trees_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a fitted tree model of TREE_ESTIMATORS (X_train / y_train are not needed)."""
    name, entry = table_entry(model, TREE_ESTIMATORS, "a supported tree model")
    task = entry.task
    _check_fitted(model, name)
    n_features = int(model.n_features_in_)
    if n_features > MAX_FEATURES:
        raise UnsupportedModelError(f"{name} has {n_features} features; at most {MAX_FEATURES} are supported")
    classes = None
    if task == "classification":
        if isinstance(model.classes_, list):
            raise UnsupportedModelError(f"{name}: multi-output classification is not supported")
        classes = class_labels(np.asarray(model.classes_), f"{type(model).__name__}.classes_")
    if name in BOOSTING_ESTIMATORS:
        fields = _boosting_fields(model, name, task)
    elif name in ANOMALY_ESTIMATORS:
        fields = _isolation_fields(model, name)
    else:
        trees = [model.tree_] if hasattr(model, "tree_") else [est.tree_ for est in model.estimators_]
        width = len(classes) if task == "classification" else 1
        fields = {"trees": _trees_to_ir(trees, width, [f"{name} tree {i}" for i in range(len(trees))])}
    return ir_envelope(FAMILY, name, task, n_features, classes=classes, feature_names=feature_names_of(model),
                       **fields)


READER = Reader("scikit-learn trees", TREE_ESTIMATORS, trees_to_ir)

__all__ = ["ANOMALY_ESTIMATORS", "BOOSTING_ESTIMATORS", "FOREST_ESTIMATORS", "MAX_FEATURES", "READER",
           "TREE_ESTIMATORS", "average_path_length", "node_depths", "trees_to_ir"]
