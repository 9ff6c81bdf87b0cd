"""scikit-learn's HistGradientBoostingClassifier / Regressor, read into the "tree_ensemble" IR.

scikit-learn keeps these trees private: ``_predictors`` (per iteration, one TreePredictor per
raw output, each with a ``nodes`` record array and ``raw_left_cat_bitsets``),
``_baseline_prediction``, ``_loss`` (its ``link``), ``_bin_mapper`` (known categories) and, when
some features are categorical, ``_preprocessor`` (an OrdinalEncoder in a ColumnTransformer that
puts the categorical columns first). Their layout is checked before anything is read, and a
layout other than the one of the verified versions is refused naming the installed version.

Categorical splits follow ``_predict_from_raw_data``: NaN and x < 0 go the node's missing
direction, a known category goes left when its code is in the node's bitset and right
otherwise, an unknown category goes the missing direction. The OrdinalEncoder's mapping from
the values the model is given to codes is folded into the bits, so the device takes the raw
values; they must be whole numbers from 0 up. A value between two whole numbers is an unknown
category to scikit-learn and trunc(x) to the device: a documented divergence.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import NotFittedError, UnsupportedModelError
from .envelope import class_labels, feature_names_of, finite_number, ir_envelope
from .reader import Estimator, Reader
from .tree_ir import (
    FAMILY,
    MAX_CATEGORY_WORDS,
    MAX_FEATURES,
    boosted_fields,
    le_thresholds,
    tree_to_ir,
)

ESTIMATORS = {
    "sklearn.ensemble.HistGradientBoostingClassifier": Estimator(
        "classification", "binned-split trees summed on the baseline, logistic or softmax link; NaN and categories"),
    "sklearn.ensemble.HistGradientBoostingRegressor": Estimator(
        "regression", "binned-split trees summed on the baseline, identity or exp link; NaN and categories"),
}

#: scikit-learn minor versions whose private layout this reader was checked against (by
#: tests/python/test_hist_boosting.py, on the version installed when it runs).
VERIFIED_SKLEARN_VERSIONS = ("1.9",)

#: The fields of a TreePredictor's ``nodes`` that are read, and their numpy kinds.
NODE_FIELDS = {
    "value": "f", "count": "u", "feature_idx": "iu", "num_threshold": "f", "missing_go_to_left": "u", "left": "iu",
    "right": "iu", "is_leaf": "u", "is_categorical": "u", "bitset_idx": "iu",
}

#: scikit-learn's link classes (sklearn._loss.link) -> the IR's link
LINKS = {"IdentityLink": "identity", "LogLink": "exp", "LogitLink": "logistic", "MultinomialLogit": "softmax"}


def is_hist_boosting(model: Any) -> bool:
    """A HistGradientBoosting estimator (its module, sklearn.ensemble._hist_gradient_boosting.
    gradient_boosting, is not the public sklearn.ensemble the table names)."""
    return type(model).__module__.startswith("sklearn.") and _public_name(model) in ESTIMATORS


def _public_name(model: Any) -> str:
    return f"sklearn.ensemble.{type(model).__name__}"


def _sklearn_version() -> str:
    import sklearn  # noqa: PLC0415 - only for the version in a message

    return sklearn.__version__


def _layout_error(short: str, what: str) -> UnsupportedModelError:
    return UnsupportedModelError(
        f"{short}: the private layout of scikit-learn {_sklearn_version()} differs from the one this reader knows "
        f"(verified with scikit-learn {', '.join(VERIFIED_SKLEARN_VERSIONS)}): {what}; install one of those "
        "versions, or export a GradientBoosting model instead")


def _check_layout(model: Any, short: str) -> None:
    """The private attributes read below, with the node fields and kinds expected."""
    for attribute in ("_predictors", "_baseline_prediction", "_loss", "_bin_mapper", "_preprocessor",
                      "n_trees_per_iteration_", "is_categorical_"):
        if not hasattr(model, attribute):
            raise _layout_error(short, f"no attribute {attribute}")
    predictors = model._predictors
    if not predictors or not all(len(row) == model.n_trees_per_iteration_ for row in predictors):
        raise _layout_error(short, f"_predictors is not {model.n_trees_per_iteration_} predictors per iteration")
    for predictor in (predictors[0][0], predictors[-1][-1]):
        for attribute in ("nodes", "raw_left_cat_bitsets"):
            if not hasattr(predictor, attribute):
                raise _layout_error(short, f"a predictor has no attribute {attribute}")
        names = predictor.nodes.dtype.names or ()
        for name, kinds in NODE_FIELDS.items():
            if name not in names or predictor.nodes.dtype[name].kind not in kinds:
                raise _layout_error(short, f"the nodes record has no field {name} of kind {kinds!r}")
    if not hasattr(model._bin_mapper, "make_known_categories_bitsets"):
        raise _layout_error(short, "_bin_mapper has no make_known_categories_bitsets")


def _input_columns(model: Any, short: str) -> np.ndarray:
    """For each column the trees index (the preprocessor's output), the model's input column."""
    n_features = int(model.n_features_in_)
    preprocessor = model._preprocessor
    if preprocessor is None:
        return np.arange(n_features)
    order = np.full(n_features, -1)
    for name, _, columns in preprocessor.transformers_:
        if name not in preprocessor.output_indices_:
            continue
        columns = np.asarray(columns)
        inputs = np.flatnonzero(columns) if columns.dtype == bool else columns.astype(np.int64)
        order[preprocessor.output_indices_[name]] = inputs
    if np.any(order < 0) or sorted(order.tolist()) != list(range(n_features)):
        raise _layout_error(short, "the preprocessor's columns do not map one to one onto the input columns")
    return order


def _category_values(model: Any, short: str) -> dict[int, np.ndarray]:
    """Trees' column -> the input values of its categories, in code order (code i is the i-th),
    for the categorical columns; each checked to be a whole number the device can read."""
    if model._preprocessor is None:
        return {}
    encoder = model._preprocessor.named_transformers_["encoder"]
    columns = np.flatnonzero(model._bin_mapper.is_categorical_)
    input_columns = _input_columns(model, short)
    values = {}
    for column, categories in zip(columns, encoder.categories_):
        where = f"{short}: categorical feature {int(input_columns[column])}"
        try:
            numbers = np.asarray(categories, dtype=np.float64)
        except (TypeError, ValueError):
            raise UnsupportedModelError(
                f"{where} has categories {list(categories)[:5]} that are not numbers; the device reads a category as "
                "a whole number: encode them as 0, 1, 2, ... (OrdinalEncoder) before fitting") from None
        numbers = numbers[~np.isnan(numbers)]  # NaN is the missing value, not a category
        bad = numbers[(numbers < 0) | (numbers != np.floor(numbers)) | (numbers >= 32 * MAX_CATEGORY_WORDS)]
        if bad.size:
            raise UnsupportedModelError(
                f"{where} has the category {bad[0]}; the device reads categories as whole numbers 0.."
                f"{32 * MAX_CATEGORY_WORDS - 1}: encode them so before fitting")
        values[int(column)] = numbers.astype(np.int64)
    return values


def _tree(predictor: Any, where: str, output: int, input_columns: np.ndarray, categories: dict[int, np.ndarray],
          known: np.ndarray, known_row: np.ndarray, n_words: int) -> dict[str, Any]:
    nodes = predictor.nodes
    leaf = nodes["is_leaf"] != 0
    left = np.where(leaf, -1, nodes["left"].astype(np.int64))
    right = np.where(leaf, -1, nodes["right"].astype(np.int64))
    columns = nodes["feature_idx"].astype(np.int64)
    feature = np.where(leaf, -2, input_columns[np.where(leaf, 0, columns)])
    categorical = ~leaf & (nodes["is_categorical"] != 0)
    category_set = np.full(len(nodes), -1)
    rows = []
    for node in np.flatnonzero(categorical):
        column = int(columns[node])
        raw_left = predictor.raw_left_cat_bitsets[nodes["bitset_idx"][node]]
        known_codes = known[known_row[column]]
        goes_missing = bool(nodes["missing_go_to_left"][node])
        # values that are no category (and those beyond the row) take the missing direction
        row = np.full(n_words, 0xFFFFFFFF if goes_missing else 0, dtype=np.uint32)
        for code, value in enumerate(categories[column]):
            in_left = bool(raw_left[code >> 5] >> (code & 31) & 1)
            is_known = bool(known_codes[code >> 5] >> (code & 31) & 1)
            go_left = in_left if is_known else goes_missing
            bit = np.uint32(1) << np.uint32(value & 31)
            row[value >> 5] = (row[value >> 5] | bit) if go_left else (row[value >> 5] & ~bit)
        category_set[node] = len(rows)
        rows.append(row)
    threshold = np.where(categorical, 0.0, le_thresholds(nodes["num_threshold"], leaf))
    return tree_to_ir(left, right, feature, threshold, nodes["value"], where, output=output,
                      missing_left=nodes["missing_go_to_left"], category_set=category_set if rows else None,
                      category_bits=np.array(rows) if rows else None, node_samples=nodes["count"])


def hist_boosting_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a fitted HistGradientBoostingClassifier / Regressor (X_train / y_train unused)."""
    short = type(model).__name__
    if not is_hist_boosting(model):
        raise UnsupportedModelError(f"{short} ({type(model).__module__}) is not a HistGradientBoosting model")
    name = _public_name(model)
    entry = ESTIMATORS[name]
    if not hasattr(model, "_predictors"):
        raise NotFittedError(f"{short} is not fitted yet: call fit(X, y) before exporting it")
    _check_layout(model, short)
    n_features = int(model.n_features_in_)
    if n_features > MAX_FEATURES:
        raise UnsupportedModelError(f"{name} has {n_features} features; at most {MAX_FEATURES} are supported")
    link_class = type(model._loss.link).__name__
    if link_class not in LINKS:
        raise UnsupportedModelError(f"{name} with loss={model.loss!r} (link {link_class}) is not supported")
    classes = None
    if entry.task == "classification":
        classes = class_labels(np.asarray(model.classes_), f"{short}.classes_")

    input_columns = _input_columns(model, short)
    categories = _category_values(model, short)
    known, known_row = model._bin_mapper.make_known_categories_bitsets()
    largest = max((int(v.max()) for v in categories.values() if v.size), default=0)
    n_words = max(8, largest // 32 + 1)  # scikit-learn's 256 bits, or more for larger input values
    trees = [
        _tree(predictor, f"{name} iteration {i} output {k}", k, input_columns, categories, known, known_row, n_words)
        for i, row in enumerate(model._predictors)
        for k, predictor in enumerate(row)
    ]
    baseline = [finite_number(v, short, "_baseline_prediction") for v in np.ravel(model._baseline_prediction)]
    fields = boosted_fields(trees, link=LINKS[link_class], baseline=baseline)
    return ir_envelope(FAMILY, name, entry.task, n_features, classes=classes, feature_names=feature_names_of(model),
                       **fields)


READER = Reader("scikit-learn histogram boosting", ESTIMATORS, hist_boosting_to_ir, claims=is_hist_boosting)

__all__ = ["ESTIMATORS", "READER", "is_hist_boosting", "VERIFIED_SKLEARN_VERSIONS", "hist_boosting_to_ir"]
