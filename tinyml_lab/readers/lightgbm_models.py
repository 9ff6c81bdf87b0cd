"""LightGBM models, read into the "tree_ensemble" IR through LightGBM's public ``dump_model()``.

Sources: LGBMClassifier / LGBMRegressor, a ``lightgbm.Booster``, and saved ``.txt`` model files
(``Booster(model_file=...)``: LightGBM parses the text; it is data, never code).

``dump_model()`` gives every tree as nested nodes. A numeric split (decision_type "<=") sends
``x <= threshold`` left (split_rule "le", thresholds in float64, as LightGBM compares doubles);
NaN follows LightGBM's ``NumericalDecision``:

* missing_type "NaN": NaN goes the default_left direction;
* missing_type "None": NaN becomes 0.0 first, so it goes left when 0.0 <= threshold;
* missing_type "Zero": NaN and every x with |x| <= kZeroThreshold (float32 1e-35) go the
  default direction; the node is rewritten into plain splits (x < -k, |x| <= k, x > k), which
  copies a child subtree where two branches reach it.

A categorical split (decision_type "==", threshold "a||b||c") sends the listed categories left;
NaN, negative values and all other categories go right (``CategoricalDecision``), so
missing_left is 0. LightGBM reads -1 < x < 0 as category 0; the device reads it as "not a
category" and sends it right: a documented divergence.

LightGBM's predict turns every |x| <= kZeroThreshold into 0.0 before any split (dense rows
become sparse ones): numeric thresholds in [-k, k) are moved so that the device, comparing x
itself, routes those values alike; a categorical split reads them as category 0, and so does
the device for 0 <= x <= k (not for -k <= x < 0: the divergence above).

Trees used: ``dump_model()`` and ``predict`` both default to the best iteration when the model
has one, else every iteration. Multi-class trees come interleaved by class (tree i feeds output
i % num_class). A random forest (boosting "rf") averages its trees: tree_scale 1/iterations.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInputError, InvalidModelError, NotFittedError, UnsupportedModelError, first_line
from .envelope import class_labels, estimator_name, feature_names_of, ir_envelope
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

LIGHTGBM_FILE_SUFFIXES = (".txt",)
BOOSTER = "lightgbm.basic.Booster"
SKLEARN_ESTIMATORS = ("lightgbm.sklearn.LGBMClassifier", "lightgbm.sklearn.LGBMRegressor")

ESTIMATORS = {
    "lightgbm.sklearn.LGBMClassifier": Estimator("classification", "boosted trees, logistic or softmax link"),
    "lightgbm.sklearn.LGBMRegressor": Estimator("regression", "boosted trees, identity or exp link"),
    BOOSTER: Estimator("from the objective", "the trees of a trained Booster", label="lightgbm.Booster"),
    ".txt": Estimator("from the objective", "LightGBM model text (save_model('m.txt'))", label=".txt LightGBM files"),
}

#: objective (the first word of dump_model()["objective"]) -> (task, link)
OBJECTIVES = {
    "binary": ("classification", "logistic"),
    "multiclass": ("classification", "softmax"),
    "regression": ("regression", "identity"),
    "regression_l1": ("regression", "identity"),
    "huber": ("regression", "identity"),
    "fair": ("regression", "identity"),
    "quantile": ("regression", "identity"),
    "mape": ("regression", "identity"),
    "poisson": ("regression", "exp"),
    "gamma": ("regression", "exp"),
    "tweedie": ("regression", "exp"),
}

REFUSED_OBJECTIVES = {
    "multiclassova": "one-vs-all classes each go through their own sigmoid, which the IR's softmax link does not "
                     "compute: use objective='multiclass'",
    "lambdarank": "a ranking model's scores order the rows of a query group; there is no per-row prediction",
    "rank_xendcg": "a ranking model's scores order the rows of a query group; there is no per-row prediction",
    "cross_entropy": "it predicts a probability through a logistic link on a regression target, and the IR's "
                     "regressors have identity and exp links only: for 0/1 labels train objective='binary' (the "
                     "same link, exported as a classifier)",
    "cross_entropy_lambda": "its link, log(1 + exp(x)), is not in the IR: for 0/1 labels train objective='binary'",
}

#: LightGBM's kZeroThreshold (float 1e-35): |x| at most this is "zero" for missing_type "Zero"
ZERO_THRESHOLD = float(np.float32(1e-35))
#: the largest float32 below -kZeroThreshold: x <= it exactly when x < -kZeroThreshold
BELOW_NEGATIVE_ZERO_THRESHOLD = float(np.nextafter(np.float32(-ZERO_THRESHOLD), np.float32(-np.inf)))


def is_lightgbm_source(model: Any) -> bool:
    """A LightGBM estimator or Booster, or the path of a .txt file."""
    if isinstance(model, (str, os.PathLike)):
        return Path(model).suffix.lower() in LIGHTGBM_FILE_SUFFIXES
    return estimator_name(model) in ESTIMATORS


class _TreeArrays:
    """One IR tree grown node by node (the nested dump becomes flat arrays)."""

    def __init__(self) -> None:
        self.left: list[int] = []
        self.right: list[int] = []
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.value: list[float] = []
        self.missing_left: list[int] = []
        self.category_set: list[int] = []
        self.category_rows: list[list[int]] = []
        #: training rows through each node (a copied subtree counts its rows again: estimate weights only)
        self.samples: list[float] = []

    def add(self, feature: int = -2, threshold: float = 0.0, value: float = 0.0, missing_left: bool = False,
            categories: list[int] | None = None, samples: float = 0.0) -> int:
        self.samples.append(samples)
        self.left.append(-1)
        self.right.append(-1)
        self.feature.append(feature)
        self.threshold.append(threshold)
        self.value.append(value)
        self.missing_left.append(int(missing_left))
        self.category_set.append(-1 if categories is None else len(self.category_rows))
        if categories is not None:
            self.category_rows.append(categories)
        return len(self.left) - 1

    def link(self, parent: int | None, side: str, child: int) -> None:
        if parent is not None:
            (self.left if side == "left" else self.right)[parent] = child


def _categories(threshold: Any, where: str) -> list[int]:
    categories = [int(c) for c in str(threshold).split("||")]
    outside = [c for c in categories if not 0 <= c < 32 * MAX_CATEGORY_WORDS]
    if outside:
        raise UnsupportedModelError(f"{where}: a categorical split lists category {outside[0]}; the device "
                                    f"reads categories 0..{32 * MAX_CATEGORY_WORDS - 1}")
    return categories


def _tree(structure: dict[str, Any], where: str, output: int) -> dict[str, Any]:
    """One dumped tree as IR arrays. A work stack (node, parent, side) instead of recursion: trees
    can be deeper than Python's recursion limit; a node pushed twice (missing_type "Zero") is
    copied."""
    arrays = _TreeArrays()
    stack: list[tuple[dict[str, Any], int | None, str]] = [(structure, None, "left")]
    while stack:
        node, parent, side = stack.pop()
        if "split_feature" not in node:
            if "leaf_coeff" in node or "leaf_const" in node:
                raise UnsupportedModelError(f"{where} is a linear tree (linear_tree=True): its leaves are linear "
                                            "models, not constants; refit with linear_tree=False")
            arrays.link(parent, side, arrays.add(value=float(node["leaf_value"]), samples=node.get("leaf_count", 0)))
            continue
        feature = int(node["split_feature"])
        left, right = node["left_child"], node["right_child"]
        default_left = bool(node.get("default_left", False))
        missing_type = node.get("missing_type", "None")
        samples = node.get("internal_count", 0)
        if node["decision_type"] == "==":
            split = arrays.add(feature, categories=_categories(node["threshold"], where), samples=samples)
        elif node["decision_type"] != "<=":
            raise InvalidModelError(f"{where}: unknown decision_type {node['decision_type']!r}")
        elif missing_type == "Zero":
            _zero_split(arrays, stack, node, parent, side, default_left)
            continue
        else:
            threshold = _zero_snapped(float(node["threshold"]))
            goes_left = default_left if missing_type == "NaN" else threshold >= 0.0
            split = arrays.add(feature, threshold, missing_left=goes_left, samples=samples)
        arrays.link(parent, side, split)
        stack.append((right, split, "right"))
        stack.append((left, split, "left"))
    category_bits = None
    if arrays.category_rows:
        n_words = max(max(row) for row in arrays.category_rows) // 32 + 1
        category_bits = np.array([category_words(row, n_words) for row in arrays.category_rows])
    return tree_to_ir(arrays.left, arrays.right, arrays.feature, arrays.threshold, arrays.value, where,
                      output=output, missing_left=arrays.missing_left,
                      category_set=arrays.category_set if category_bits is not None else None,
                      category_bits=category_bits, node_samples=arrays.samples)


def _zero_snapped(threshold: float) -> float:
    """A threshold for the device, which compares x itself, where LightGBM's predict compares
    0.0 for every |x| <= kZeroThreshold (its dense rows become sparse ones, dropping those):
    a threshold in [-k, 0) sends them right, so x <= (the float32 below -k); one in [0, k)
    sends them left, so x <= k. Other thresholds already treat all of them as 0.0."""
    if -ZERO_THRESHOLD <= threshold < 0.0:
        return BELOW_NEGATIVE_ZERO_THRESHOLD
    if 0.0 <= threshold < ZERO_THRESHOLD:
        return ZERO_THRESHOLD
    return threshold


def _zero_split(arrays: _TreeArrays, stack: list, node: dict[str, Any], parent: int | None, side: str,
                default_left: bool) -> None:
    """missing_type "Zero" as plain splits: x < -k, then |x| <= k (and NaN) the default way,
    then x > k; each range compared with the threshold only where the outcome is not fixed."""
    feature, threshold = int(node["split_feature"]), float(node["threshold"])
    left, right = node["left_child"], node["right_child"]
    samples = node.get("internal_count", 0)
    negative = arrays.add(feature, BELOW_NEGATIVE_ZERO_THRESHOLD, missing_left=False,  # NaN on to the zero test
                          samples=samples)
    arrays.link(parent, side, negative)
    zero = arrays.add(feature, ZERO_THRESHOLD, missing_left=True, samples=samples)  # NaN is zero for LightGBM here
    arrays.link(negative, "right", zero)
    stack.append((left if default_left else right, zero, "left"))
    # x < -k: all left when threshold >= -k, else compared with the threshold
    _range_child(arrays, stack, node, negative, "left", fixed=left if threshold >= -ZERO_THRESHOLD else None)
    # x > k: all right when threshold <= k, else compared with the threshold
    _range_child(arrays, stack, node, zero, "right", fixed=right if threshold <= ZERO_THRESHOLD else None)


def _range_child(arrays: _TreeArrays, stack: list, node: dict[str, Any], parent: int, side: str,
                 fixed: dict[str, Any] | None) -> None:
    """Below ``parent`` on ``side``: the child ``fixed`` when every x of the range goes there,
    else the plain split ``x <= threshold`` (NaN never reaches it) over copies of both children."""
    if fixed is not None:
        stack.append((fixed, parent, side))
        return
    split = arrays.add(int(node["split_feature"]), float(node["threshold"]), samples=node.get("internal_count", 0))
    arrays.link(parent, side, split)
    stack.append((node["right_child"], split, "right"))
    stack.append((node["left_child"], split, "left"))


def _objective(dump: dict[str, Any], where: str) -> tuple[str, str]:
    text = dump.get("objective")
    if not text:
        raise UnsupportedModelError(f"{where} was trained with a custom objective function: its link is unknown; "
                                    f"use one of the objectives {', '.join(OBJECTIVES)}")
    words = str(text).split()
    name, options = words[0], dict(w.split(":", 1) for w in words[1:] if ":" in w)
    if name in REFUSED_OBJECTIVES:
        raise UnsupportedModelError(f"{where} with objective {name!r} is not supported: {REFUSED_OBJECTIVES[name]}")
    if name not in OBJECTIVES:
        raise UnsupportedModelError(f"{where} with objective {name!r} is not supported; supported objectives: "
                                    f"{', '.join(OBJECTIVES)}")
    if name == "binary" and float(options.get("sigmoid", "1")) != 1.0:
        raise UnsupportedModelError(
            f"{where} with objective 'binary' and sigmoid={options['sigmoid']} is not supported: the device's "
            "logistic link has slope 1; refit with sigmoid=1 (the default)")
    return OBJECTIVES[name]


def dump_to_ir(dump: dict[str, Any], estimator: str, where: str, *, classes: list[Any] | None = None,
               feature_names: list[str] | None = None) -> dict[str, Any]:
    """The IR of a LightGBM ``dump_model()`` dict. ``classes``: the estimator's, else 0..n-1."""
    task, link = _objective(dump, where)
    n_features = int(dump["max_feature_idx"]) + 1
    if n_features > MAX_FEATURES:
        raise UnsupportedModelError(f"{where} has {n_features} features; at most {MAX_FEATURES} are supported")
    per_iteration = int(dump.get("num_tree_per_iteration", 1))
    n_outputs = per_iteration if link == "softmax" else 1
    if per_iteration != n_outputs:
        raise InvalidModelError(f"{where}: {per_iteration} trees per iteration for {n_outputs} outputs")
    infos = dump["tree_info"]
    if not infos:
        raise InvalidModelError(f"{where} has no trees; train it for at least one iteration")
    trees = [_tree(info["tree_structure"], f"{where} tree {i}", i % n_outputs) for i, info in enumerate(infos)]
    # boosting "rf" averages each output's trees; the others add them
    tree_scale = per_iteration / len(infos) if dump.get("average_output") else 1.0
    if task == "classification" and classes is None:
        classes = list(range(max(int(dump.get("num_class", 1)), 2)))
    fields = boosted_fields(trees, link=link, baseline=[0.0] * n_outputs, tree_scale=tree_scale)
    return ir_envelope(FAMILY, estimator, task, n_features, classes=classes if task == "classification" else None,
                       feature_names=feature_names, **fields)


def _dump(booster: Any, where: str) -> dict[str, Any]:
    try:
        return booster.dump_model()
    except Exception as exc:  # noqa: BLE001 - LightGBM raises its own LightGBMError
        raise InvalidModelError(f"{where}: LightGBM cannot dump the model ({first_line(exc)})") from None


def _named_features(dump: dict[str, Any]) -> list[str] | None:
    """The dump's feature names unless they are LightGBM's defaults (Column_0, Column_1, ...)."""
    names = [str(n) for n in dump.get("feature_names", [])]
    return None if names == [f"Column_{i}" for i in range(len(names))] else names


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """LightGBM's C++ prints "[LightGBM] [Fatal] ..." on file descriptor 2 before raising the
    same message as an exception, which the reader's error quotes: silenced while a file loads,
    so the command line's error stays one line."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def lightgbm_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a LightGBM estimator, Booster or saved .txt file (X_train / y_train unused)."""
    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if path.suffix.lower() not in LIGHTGBM_FILE_SUFFIXES or not path.is_file():
            raise InvalidInputError(f"{path}: expected an existing LightGBM .txt model file")
        lightgbm = optional_library("lightgbm", path.name)
        try:
            with _native_stderr_silenced():
                booster = lightgbm.Booster(model_file=str(path))
        except lightgbm.basic.LightGBMError as exc:
            raise InvalidModelError(f"{path} is not a model file LightGBM can load ({first_line(exc)}); "
                                    "save the model again with booster.save_model('m.txt')") from None
        dump = _dump(booster, str(path))
        return dump_to_ir(dump, BOOSTER, str(path), feature_names=_named_features(dump))
    name = estimator_name(model)
    if name == BOOSTER:
        dump = _dump(model, "lightgbm.Booster")
        return dump_to_ir(dump, BOOSTER, "lightgbm.Booster", feature_names=_named_features(dump))
    if name not in SKLEARN_ESTIMATORS:
        raise UnsupportedModelError(f"{type(model).__name__} ({name}) is not a LightGBM model")
    short = type(model).__name__
    if callable(getattr(model, "objective", None)):
        raise UnsupportedModelError(f"{short} with a custom objective function is not supported: its link is "
                                    f"unknown; use one of the objectives {', '.join(OBJECTIVES)}")
    try:
        booster = model.booster_
    except Exception as exc:  # noqa: BLE001 - LightGBM raises its own LGBMNotFittedError
        raise NotFittedError(f"{short} is not fitted yet: call fit(X, y) before exporting it "
                             f"({first_line(exc)})") from None
    classes = class_labels(np.asarray(model.classes_), f"{short}.classes_") if hasattr(model, "classes_") else None
    ir = dump_to_ir(_dump(booster, short), name, short, classes=classes, feature_names=feature_names_of(model))
    if ESTIMATORS[name].task != ir["task"]:
        raise UnsupportedModelError(f"{short} with objective {model.booster_.params.get('objective')!r} predicts "
                                    f"a {ir['task']} output")
    return ir


def booster_reference(model: Any, ir: dict[str, Any], x32: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(class indices or None, values) of a Booster's or a saved file's own predict on x32, shaped
    as the device's output: probabilities per class, or the regression value."""
    lightgbm = optional_library("lightgbm", "the reference outputs of a LightGBM model")
    booster = lightgbm.Booster(model_file=os.fspath(model)) if isinstance(model, (str, os.PathLike)) else model
    out = np.asarray(booster.predict(x32), dtype=np.float64)
    if ir["task"] != "classification":
        return None, out.reshape(-1)
    if out.ndim == 1:  # binary: the probability of class 1
        return (out > 0.5).astype(np.int32), np.stack([1 - out, out], axis=1)
    return np.argmax(out, axis=1).astype(np.int32), out


def is_booster_source(model: Any) -> bool:
    """A Booster or a saved file: the sources without scikit-learn's predict_proba / predict."""
    return is_lightgbm_source(model) and estimator_name(model) not in SKLEARN_ESTIMATORS


#: LightGBM estimators not read, and why
INSTEAD = {"LGBMRanker": "a ranking model's scores order the rows of a query group, with no per-row prediction to "
                         "export; use LGBMClassifier or LGBMRegressor"}

READER = Reader("LightGBM", ESTIMATORS, lightgbm_to_ir, claims=is_lightgbm_source, instead=INSTEAD)

__all__ = ["ESTIMATORS", "LIGHTGBM_FILE_SUFFIXES", "OBJECTIVES", "READER", "booster_reference", "dump_to_ir",
           "is_booster_source", "is_lightgbm_source", "lightgbm_to_ir"]
