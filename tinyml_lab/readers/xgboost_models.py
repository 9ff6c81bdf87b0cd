"""XGBoost models, read into the "tree_ensemble" IR through XGBoost's public model JSON.

Sources: XGBClassifier / XGBRegressor / XGBRFClassifier / XGBRFRegressor, a raw
``xgboost.Booster``, and saved model files: ``.json`` is read as JSON (no XGBoost needed, and
never code), ``.ubj`` (Universal Binary JSON) is loaded by ``xgboost.Booster(model_file=...)``
and read back with ``save_raw("json")``.

What is read: every tree's ``left_children`` / ``right_children`` / ``split_indices`` /
``split_conditions`` (thresholds at splits, leaf values at leaves) / ``default_left`` (where NaN
goes: ``missing_left``), ``tree_info`` (the raw output each tree feeds), ``iteration_indptr``
(trees per boosting round), dart's ``weight_drop`` (each tree's weight at prediction), and
``learner_model_param.base_score`` (the base prediction, turned into a margin as the objective
does). XGBoost sends ``x < threshold`` left (split_rule "lt") and its thresholds are float32.

Categorical splits (enable_categorical=True, split_type 1): the categories a split lists go
right, the others left (``categories`` / ``categories_nodes`` / ``categories_segments`` /
``categories_sizes``); the device reads x as category trunc(x). A negative x, or a category
beyond the largest one the tree lists, goes left in XGBoost and the default_left way on the
device: they differ where default_left is 0 (pass the categories seen in training).

Trees used: the scikit-learn estimators predict with ``best_iteration`` when early stopping set
it (XGBoost 3's ``_get_iteration_range``), so only the rounds up to it are read; a Booster's and
a file's ``predict`` use every tree, and so does this reader.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInputError, InvalidModelError, NotFittedError, UnsupportedModelError, first_line
from .envelope import class_labels, estimator_name, ir_envelope
from .reader import Estimator, Reader
from .tree_ir import (
    FAMILY,
    MAX_CATEGORY_WORDS,
    MAX_FEATURES,
    boosted_fields,
    category_words,
    optional_library,
    tree_to_ir,
)

XGBOOST_FILE_SUFFIXES = (".json", ".ubj")
BOOSTER = "xgboost.core.Booster"
SKLEARN_ESTIMATORS = ("xgboost.sklearn.XGBClassifier", "xgboost.sklearn.XGBRegressor",
                      "xgboost.sklearn.XGBRFClassifier", "xgboost.sklearn.XGBRFRegressor")

ESTIMATORS = {
    "xgboost.sklearn.XGBClassifier": Estimator("classification", "boosted trees, logistic or softmax link"),
    "xgboost.sklearn.XGBRegressor": Estimator("regression", "boosted trees, identity or exp link"),
    "xgboost.sklearn.XGBRFClassifier": Estimator("classification", "a boosted random forest"),
    "xgboost.sklearn.XGBRFRegressor": Estimator("regression", "a boosted random forest"),
    BOOSTER: Estimator("from the objective", "the trees of a trained Booster", label="xgboost.Booster"),
    ".json": Estimator("from the objective", "XGBoost model JSON (save_model('m.json'))", label=".json XGBoost files"),
    ".ubj": Estimator("from the objective", "XGBoost Universal Binary JSON (save_model('m.ubj'))",
                      label=".ubj XGBoost files"),
}

#: objective -> (task, link, how base_score becomes the raw output's start)
OBJECTIVES = {
    "binary:logistic": ("classification", "logistic", "logit"),
    "binary:logitraw": ("classification", "logistic", "identity"),
    "multi:softprob": ("classification", "softmax", "identity"),
    "multi:softmax": ("classification", "softmax", "identity"),
    "reg:squarederror": ("regression", "identity", "identity"),
    "reg:absoluteerror": ("regression", "identity", "identity"),
    "reg:pseudohubererror": ("regression", "identity", "identity"),
    "count:poisson": ("regression", "exp", "log"),
    "reg:gamma": ("regression", "exp", "log"),
    "reg:tweedie": ("regression", "exp", "log"),
}

#: objective name prefixes refused, and why
REFUSED_OBJECTIVES = {
    "rank:": "a ranking model's scores order the rows of a query group; there is no per-row prediction to export",
    "survival:": "a survival model predicts hazard ratios or times through its own distribution",
    "binary:hinge": "its prediction is a 0/1 step of the margin, not a probability",
    "reg:logistic": "a regression through the logistic link is not in the IR",
    "reg:quantileerror": "quantile models (one tree output per quantile) are not supported yet",
}


def is_xgboost_source(model: Any) -> bool:
    """An XGBoost estimator or Booster, or the path of a .json / .ubj file."""
    if isinstance(model, (str, os.PathLike)):
        return Path(model).suffix.lower() in XGBOOST_FILE_SUFFIXES
    return estimator_name(model) in ESTIMATORS


def _parse_number_list(text: Any) -> list[float]:
    """base_score: a number, or XGBoost 3's vector string such as "[5E-1]" or "[0E0,0E0,0E0]"."""
    if isinstance(text, (int, float)):
        return [float(text)]
    return [float(part) for part in str(text).strip().strip("[]").split(",") if part.strip()]


def _margin(base: list[float], transform: str, objective: str, where: str) -> list[float]:
    """The objective's base prediction as a raw output (XGBoost's ProbToMargin)."""
    margins = []
    for value in base:
        if transform == "logit":
            if not 0.0 < value < 1.0:
                raise InvalidModelError(f"{where}: base_score {value} of {objective} is not a probability in (0, 1)")
            margins.append(math.log(value / (1.0 - value)))
        elif transform == "log":
            if not value > 0.0:
                raise InvalidModelError(f"{where}: base_score {value} of {objective} must be positive")
            margins.append(math.log(value))
        else:
            margins.append(value)
    return margins


def _check_objective(objective: str, where: str) -> tuple[str, str, str]:
    if objective in OBJECTIVES:
        return OBJECTIVES[objective]
    for prefix, reason in REFUSED_OBJECTIVES.items():
        if objective.startswith(prefix):
            raise UnsupportedModelError(f"{where} with objective {objective!r} is not supported: {reason}")
    raise UnsupportedModelError(f"{where} with objective {objective!r} is not supported; supported objectives: "
                                f"{', '.join(OBJECTIVES)}")


def _tree(tree: dict[str, Any], where: str, output: int, weight: float) -> dict[str, Any]:
    size_leaf_vector = int(tree["tree_param"].get("size_leaf_vector", "1"))
    if size_leaf_vector > 1:
        raise UnsupportedModelError(
            f"{where} has vector leaves ({size_leaf_vector} values, multi_strategy='multi_output_tree'); "
            "refit with the default multi_strategy='one_output_per_tree'")
    left = np.asarray(tree["left_children"], dtype=np.int64)
    leaf = left == -1
    # split_conditions are float32 numbers: thresholds at splits, leaf values at leaves
    conditions = np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64)
    categorical = ~leaf & (np.asarray(tree.get("split_type", np.zeros(len(left))), dtype=np.int64) != 0)
    threshold = np.where(leaf | categorical, 0.0, conditions)
    value = np.where(leaf, conditions * weight, 0.0)
    feature = np.where(leaf, -2, np.asarray(tree["split_indices"], dtype=np.int64))
    category_set, category_bits = _category_splits(tree, categorical, where)
    return tree_to_ir(left, tree["right_children"], feature, threshold, value, where, output=output,
                      missing_left=np.asarray(tree["default_left"], dtype=np.int64), category_set=category_set,
                      category_bits=category_bits, node_samples=tree.get("sum_hessian"))


def _category_splits(tree: dict[str, Any], categorical: np.ndarray, where: str) -> tuple[Any, Any]:
    """(category_set, category_bits) of a tree's categorical splits (enable_categorical=True),
    or (None, None): each split's listed categories (categories[segment : segment + size] of
    its entry in categories_nodes) go right, the other categories left, NaN default_left.
    The bits cover the categories up to the tree's largest listed one; XGBoost sends negative
    values and categories beyond those left, the device the default_left way (documented
    divergence where default_left is 0)."""
    if not categorical.any():
        return None, None
    nodes = [int(n) for n in tree["categories_nodes"]]
    segments, sizes = tree["categories_segments"], tree["categories_sizes"]
    listed = {node: [int(c) for c in tree["categories"][int(start): int(start) + int(size)]]
              for node, start, size in zip(nodes, segments, sizes)}
    if set(np.flatnonzero(categorical).tolist()) != set(nodes):
        raise InvalidModelError(f"{where}: categories_nodes {nodes} are not its categorical splits")
    largest = max((max(c) for c in listed.values() if c), default=0)
    if largest >= 32 * MAX_CATEGORY_WORDS:
        raise UnsupportedModelError(f"{where}: a categorical split lists category {largest}; the device reads "
                                    f"categories 0..{32 * MAX_CATEGORY_WORDS - 1}")
    category_set = np.full(len(categorical), -1)
    rows = []
    for node in nodes:
        category_set[node] = len(rows)
        rows.append(~category_words(listed[node], largest // 32 + 1))  # the listed ones go right
    return category_set, np.array(rows)


def document_to_ir(document: Any, estimator: str, where: str, *, n_rounds: int | None = None,
                   classes: list[Any] | None = None) -> dict[str, Any]:
    """The IR of an XGBoost model JSON (the dict of ``save_raw("json")`` or a saved .json).
    ``n_rounds``: read only the first rounds (best_iteration + 1); ``classes``: the
    estimator's, else 0..n-1 from the objective."""
    try:
        learner = document["learner"]
        booster = learner["gradient_booster"]
        objective = learner["objective"]["name"]
        params = learner["learner_model_param"]
    except (KeyError, TypeError):
        raise InvalidModelError(f"{where} is not an XGBoost model JSON (no learner, gradient_booster, objective "
                                "and learner_model_param); save the model with booster.save_model('m.json')") from None
    kind = booster.get("name")
    weights = None
    if kind == "dart":
        weights = [float(w) for w in booster.get("weight_drop", [])]
        booster = booster["gbtree"]
    elif kind != "gbtree":
        raise UnsupportedModelError(f"{where} with booster {kind!r} is not supported: only tree boosters ('gbtree', "
                                    "'dart') are; a linear booster is a linear model: fit one with scikit-learn")
    task, link, transform = _check_objective(objective, where)
    n_features = int(params["num_feature"])
    if not 1 <= n_features <= MAX_FEATURES:
        raise UnsupportedModelError(f"{where} has {n_features} features; 1 to {MAX_FEATURES} are supported")
    if int(params.get("num_target", "1")) > 1:
        raise UnsupportedModelError(f"{where} has {params['num_target']} targets; export one model per target")
    num_class = int(params.get("num_class", "0"))
    n_outputs = num_class if link == "softmax" else 1
    if link == "softmax" and num_class < 2:
        raise InvalidModelError(f"{where}: objective {objective} with num_class {num_class}")
    base = _parse_number_list(params["base_score"])
    if len(base) == 1:
        base = base * n_outputs
    if len(base) != n_outputs:
        raise InvalidModelError(f"{where}: base_score has {len(base)} values for {n_outputs} outputs")
    baseline = _margin(base, transform, objective, where)

    model = booster["model"]
    trees, groups = model["trees"], model["tree_info"]
    if n_rounds is not None:
        # trees per round: iteration_indptr (XGBoost >= 2), else parallel trees x outputs
        per_round = int(model["gbtree_model_param"].get("num_parallel_tree", "1")) * n_outputs
        indptr = model.get("iteration_indptr") or list(range(0, len(trees) + 1, per_round))
        trees = trees[: indptr[min(n_rounds, len(indptr) - 1)]]
    if not trees:
        raise InvalidModelError(f"{where} has no trees; train it for at least one round")
    if weights is not None and len(weights) < len(trees):
        raise InvalidModelError(f"{where}: dart has {len(weights)} tree weights for {len(trees)} trees")
    ir_trees = [
        _tree(tree, f"{where} tree {i}", int(groups[i]), weights[i] if weights is not None else 1.0)
        for i, tree in enumerate(trees)
    ]
    if task == "classification" and classes is None:
        classes = list(range(max(num_class, 2)))
    names = learner.get("feature_names") or None
    fields = boosted_fields(ir_trees, link=link, baseline=baseline, split_rule="lt")
    return ir_envelope(FAMILY, estimator, task, n_features, classes=classes if task == "classification" else None,
                       feature_names=[str(n) for n in names] if names else None, **fields)


def _file_document(path: Path) -> dict[str, Any]:
    """The model JSON of a .json file (read as JSON) or a .ubj file (loaded by XGBoost)."""
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist or is not a file")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidModelError(f"{path} is not JSON ({first_line(exc)}); save the model again") from None
    xgboost = optional_library("xgboost", f"{path.name}")
    try:
        booster = xgboost.Booster(model_file=str(path))
    except xgboost.core.XGBoostError as exc:
        raise InvalidModelError(f"{path} is not a model file XGBoost can load ({first_line(exc)}); "
                                "save the model again with booster.save_model('m.ubj')") from None
    return json.loads(booster.save_raw("json"))


def _estimator_document(model: Any, name: str) -> tuple[dict[str, Any], int | None, list[Any] | None]:
    """(model JSON, rounds predict uses, classes) of a scikit-learn-style XGBoost estimator."""
    short = type(model).__name__
    if callable(getattr(model, "objective", None)):
        raise UnsupportedModelError(f"{short} with a custom objective function is not supported: its link is unknown; "
                                    f"use one of the objectives {', '.join(OBJECTIVES)}")
    missing = getattr(model, "missing", np.nan)
    if missing is not None and not (isinstance(missing, float) and math.isnan(missing)):
        raise UnsupportedModelError(
            f"{short} with missing={missing!r} is not supported: the device treats only NaN as missing; refit with "
            "missing=np.nan (the default) after replacing the missing marker by NaN")
    try:
        booster = model.get_booster()
    except Exception as exc:  # noqa: BLE001 - XGBoost raises its own NotFittedError (a ValueError)
        raise NotFittedError(f"{short} is not fitted yet: call fit(X, y) before exporting it "
                             f"({first_line(exc)})") from None
    try:  # as XGBModel._get_iteration_range: best_iteration when early stopping set it
        n_rounds: int | None = int(model.best_iteration) + 1
    except AttributeError:
        n_rounds = None
    classes = class_labels(np.asarray(model.classes_), f"{short}.classes_") if hasattr(model, "classes_") else None
    return json.loads(booster.save_raw("json")), n_rounds, classes


def xgboost_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of an XGBoost estimator, Booster or saved .json / .ubj file (X_train / y_train unused)."""
    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if path.suffix.lower() not in XGBOOST_FILE_SUFFIXES:
            raise InvalidInputError(f"{path}: expected an XGBoost .json or .ubj model file")
        return document_to_ir(_file_document(path), BOOSTER, str(path))
    name = estimator_name(model)
    if name == BOOSTER:
        return document_to_ir(json.loads(model.save_raw("json")), BOOSTER, "xgboost.Booster")
    if name not in SKLEARN_ESTIMATORS:
        raise UnsupportedModelError(f"{type(model).__name__} ({name}) is not an XGBoost model")
    document, n_rounds, classes = _estimator_document(model, name)
    objective = document["learner"]["objective"]["name"]
    if objective == "binary:logitraw":
        # XGBoost's scikit-learn wrapper passes the raw margin off as class 1's probability and
        # thresholds it at 0.5; the Booster's own predict is the plain margin.
        raise UnsupportedModelError(
            f"{type(model).__name__} with objective 'binary:logitraw' is not supported: its predict_proba returns "
            "the raw margin as a probability and its predict compares the margin with 0.5, which no logistic link "
            "reproduces; train with 'binary:logistic' (the same trees), or export model.get_booster(), whose "
            "margins the device's decision_function gives")
    ir = document_to_ir(document, name, type(model).__name__, n_rounds=n_rounds, classes=classes)
    if ESTIMATORS[name].task != ir["task"]:
        raise UnsupportedModelError(f"{type(model).__name__} with objective {objective!r} predicts a "
                                    f"{ir['task']} output")
    return ir


def booster_reference(model: Any, ir: dict[str, Any], x32: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(class indices or None, values) of a Booster's or a saved file's own predict on x32, shaped
    as the device's output: probabilities per class, or the regression value."""
    xgboost = optional_library("xgboost", "the reference outputs of an XGBoost model")
    booster = xgboost.Booster(model_file=os.fspath(model)) if isinstance(model, (str, os.PathLike)) else model
    margin = np.asarray(booster.predict(xgboost.DMatrix(x32), output_margin=True), dtype=np.float64)
    if ir["task"] != "classification":
        return None, np.asarray(booster.predict(xgboost.DMatrix(x32)), dtype=np.float64).reshape(-1)
    # probabilities from the margin: multi:softmax and binary:logitraw predict labels or margins
    margin = margin.reshape(len(x32), -1)
    if margin.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-margin[:, 0]))
        return (margin[:, 0] > 0).astype(np.int32), np.stack([1 - p, p], axis=1)
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    return np.argmax(margin, axis=1).astype(np.int32), shifted / shifted.sum(axis=1, keepdims=True)


def is_booster_source(model: Any) -> bool:
    """A Booster or a saved file: the sources without scikit-learn's predict_proba / predict."""
    return is_xgboost_source(model) and estimator_name(model) not in SKLEARN_ESTIMATORS


#: XGBoost estimators not read, and why
INSTEAD = {"XGBRanker": "a ranking model's scores order the rows of a query group, with no per-row prediction to "
                        "export; use XGBClassifier or XGBRegressor"}

READER = Reader("XGBoost", ESTIMATORS, xgboost_to_ir, claims=is_xgboost_source, instead=INSTEAD)

__all__ = ["ESTIMATORS", "OBJECTIVES", "READER", "XGBOOST_FILE_SUFFIXES", "booster_reference", "document_to_ir",
           "is_booster_source", "is_xgboost_source", "xgboost_to_ir"]
