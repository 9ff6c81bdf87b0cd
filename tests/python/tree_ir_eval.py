"""A NumPy reference of the tree-ensemble IR's meaning (docs/ir.md "Tree ensembles" and the
issue-15 keys: split_rule, missing_left, category_set / category_bits, link "exp"), for testing
readers without the compiler and C runtime.

It computes what the device computes, in float32: x is cast to float32; an "le" split sends x
left when (double)x <= threshold, an "lt" split when x < threshold; NaN takes missing_left (right
when the key is absent); a categorical split follows the rule of the spec (NaN, x < 0 or trunc(x)
beyond the bits: the missing direction; else bit trunc(x)). Leaves are float32(value *
tree_scale), summed in float32 on the float32 baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinyml_lab.arrays import decode_array


@dataclass
class TreeOutputs:
    #: the raw output before the link: sums of boosting ([n, n_outputs]), averages of forests
    raw: np.ndarray
    #: what predict_proba (classification), predict (regression) or score_samples (anomaly) give
    values: np.ndarray
    #: class indices (classification), -1 / 1 (anomaly), None (regression)
    labels: np.ndarray | None


def _leaf_indices(tree: dict[str, Any], x32: np.ndarray, split_rule: str) -> np.ndarray:
    """The leaf each row of x32 reaches in one tree."""
    left = decode_array(tree["children_left"]).astype(np.int64)
    right = decode_array(tree["children_right"]).astype(np.int64)
    feature = decode_array(tree["feature"]).astype(np.int64)
    threshold = decode_array(tree["threshold"])
    n_nodes = left.shape[0]
    missing_left = (decode_array(tree["missing_left"]) != 0 if "missing_left" in tree
                    else np.zeros(n_nodes, dtype=bool))
    category_set = (decode_array(tree["category_set"]).astype(np.int64) if "category_set" in tree
                    else np.full(n_nodes, -1))
    bits = decode_array(tree["category_bits"]) if "category_bits" in tree else np.zeros((1, 1), np.uint32)
    n_categories = 32 * bits.shape[1]

    node = np.zeros(x32.shape[0], dtype=np.int64)
    rows = np.arange(x32.shape[0])
    while True:
        inner = left[node] != -1
        if not inner.any():
            return node
        at, r = node[inner], rows[inner]
        x = x32[r, np.maximum(feature[at], 0)]
        nan = np.isnan(x)
        with np.errstate(invalid="ignore"):
            numeric = (x.astype(np.float64) <= threshold[at]) if split_rule == "le" else (x < threshold[at])
            sets = category_set[at]
            categorical = sets >= 0
            not_a_category = nan | (x < 0) | (np.trunc(x) >= n_categories)
            c = np.where(not_a_category | ~categorical, 0, np.trunc(np.nan_to_num(x))).astype(np.int64)
        in_set = (bits[np.maximum(sets, 0), c >> 5] >> (c & 31).astype(np.uint32)) & 1 == 1
        go_left = np.where(categorical, np.where(not_a_category, missing_left[at], in_set),
                           np.where(nan, missing_left[at], numeric))
        node[inner] = np.where(go_left, left[at], right[at])


def evaluate_ir(ir: dict[str, Any], X: Any) -> TreeOutputs:
    """The device's outputs of a tree_ensemble IR on the rows of X."""
    assert ir["family"] == "tree_ensemble"
    x32 = np.asarray(X, dtype=np.float64).astype(np.float32)
    n = x32.shape[0]
    combine = ir.get("combine", "mean")
    task = ir["task"]
    link = ir.get("link", "isolation" if task == "anomaly" else "identity")
    split_rule = ir.get("split_rule", "le")
    scale = np.float64(ir.get("tree_scale", 1.0))
    trees = ir["trees"]

    if combine == "sum":
        n_outputs = int(ir.get("n_outputs", 1))
        raw = np.tile(np.asarray(ir.get("baseline", [0.0] * n_outputs), dtype=np.float32), (n, 1))
        for tree in trees:
            leaves = _leaf_indices(tree, x32, split_rule)
            value = decode_array(tree["value"]).reshape(len(decode_array(tree["children_left"])), -1)
            raw[:, tree.get("output", 0)] += (value[leaves, 0] * scale).astype(np.float32)
    else:
        total = None
        for tree in trees:
            leaves = _leaf_indices(tree, x32, split_rule)
            value = decode_array(tree["value"]).reshape(len(decode_array(tree["children_left"])), -1)
            rows = value[leaves].astype(np.float32)
            if task == "classification":
                rows = rows / rows.sum(axis=1, keepdims=True)
            total = rows if total is None else total + rows
        raw = (total / np.float32(len(trees))).astype(np.float32)

    if task == "classification":
        if link == "logistic":
            p = (1.0 / (1.0 + np.exp(-raw[:, 0].astype(np.float64)))).astype(np.float32)
            values = np.stack([1 - p, p], axis=1)
            labels = (raw[:, 0] > 0).astype(np.int64)
        elif link == "softmax":
            shifted = np.exp((raw - raw.max(axis=1, keepdims=True)).astype(np.float64))
            values = (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)
            labels = np.argmax(raw, axis=1)
        else:
            values, labels = raw, np.argmax(raw, axis=1)
        return TreeOutputs(raw, values, labels)
    if task == "anomaly":
        score = -np.power(2.0, -raw[:, 0].astype(np.float64) / ir["link_param"]).astype(np.float32)
        labels = np.where(score - np.float32(ir.get("offset", 0.0)) < 0, -1, 1)
        return TreeOutputs(raw, score, labels)
    outputs = {"identity": lambda r: r, "exp": np.exp,
               "logistic": lambda r: 1.0 / (1.0 + np.exp(-r))}[link](raw[:, 0].astype(np.float64))
    return TreeOutputs(raw, outputs.astype(np.float32), None)


def assert_close(device: np.ndarray, reference: np.ndarray, rtol: float = 1e-5, what: str = "values") -> None:
    """Every value within float32 rounding of the library's: relative rtol of the largest
    magnitude involved (a sum of many leaves cancels to small values)."""
    device = np.asarray(device, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64).reshape(device.shape)
    scale = max(1.0, float(np.max(np.abs(reference))))
    error = np.abs(device - reference)
    worst = int(np.argmax(error))
    assert error.flat[worst] <= rtol * scale, (
        f"{what}: the largest difference is {error.flat[worst]:.3g} at flat index {worst} "
        f"({device.flat[worst]!r} against {reference.flat[worst]!r}), above {rtol} x {scale:.3g}")


def assert_agrees(ir: dict[str, Any], X: np.ndarray, *, raw: Any = None, values: Any = None,
                  labels: Any = None) -> TreeOutputs:
    """The IR evaluated on X against the library's raw outputs (margins, decision_function),
    values (predict_proba, predict) and labels (class indices): labels equal on every row,
    numbers within float32 rounding."""
    outputs = evaluate_ir(ir, X)
    if raw is not None:
        assert_close(outputs.raw, raw, what="raw outputs")
    if values is not None:
        assert_close(outputs.values, values, what="values")
    if labels is not None:
        differ = np.flatnonzero(outputs.labels != np.asarray(labels).ravel())
        assert differ.size == 0, f"labels differ on {differ.size} rows, the first {differ[:10].tolist()}"
    return outputs
