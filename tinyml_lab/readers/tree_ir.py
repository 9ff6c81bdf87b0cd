"""What every tree reader shares: the checks and encoding of one tree's arrays, the ensemble
keys of a boosted model, and the lazy import of an optional boosting library.

The tree IR is docs/ir.md's "Tree" section: scikit-learn's node arrays, plus the optional
``missing_left``, ``category_set`` and ``category_bits`` of boosted trees (where a NaN goes, and
categorical splits as bitsets of the categories that go left).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..arrays import ir_array
from ..errors import InvalidModelError, UnsupportedModelError

FAMILY = "tree_ensemble"
MAX_FEATURES = 32767
#: The largest float32: ``x <= FLOAT32_MAX`` holds for every finite float32 x, which is what an
#: infinite threshold means for the finite inputs the device takes.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: category_bits rows are at most this many 32-bit words (the compiler's limit).
MAX_CATEGORY_WORDS = 1024


def check_binary_tree(left: np.ndarray, right: np.ndarray, where: str) -> np.ndarray:
    """The depth of every node, after checking that the child arrays make a binary tree rooted
    at node 0 (the walks and the compiler assume one): child indices in range, two children or
    none, every node the child of at most one node and reached from the root. ``where`` names
    the estimator and tree in the InvalidModelError."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    n_nodes = left.shape[0] if left.ndim == 1 else 0
    if left.shape != (n_nodes,) or right.shape != (n_nodes,) or n_nodes < 1:
        raise InvalidModelError(
            f"{where} is not a tree: children arrays of shapes {left.shape}, {right.shape} for {n_nodes} nodes")
    for children in (left, right):
        bad = np.flatnonzero((children < -1) | (children >= n_nodes))
        if bad.size:
            raise InvalidModelError(f"{where} is not a tree: node {int(bad[0])} has child {int(children[bad[0]])}, "
                                    f"outside 0..{n_nodes - 1}")
    one_child = np.flatnonzero((left == -1) != (right == -1))
    if one_child.size:
        raise InvalidModelError(f"{where} is not a tree: node {int(one_child[0])} has one child; a split has two")
    parents = np.bincount(np.concatenate([left[left >= 0], right[right >= 0]]), minlength=n_nodes)
    shared = np.flatnonzero(parents > 1)
    if parents[0] or shared.size:
        node = 0 if parents[0] else int(shared[0])
        of = " and ".join(str(i) for i in np.flatnonzero((left == node) | (right == node)))
        what = f"the root (node 0) is a child of node {of}" if node == 0 else f"node {node} is a child of nodes {of}"
        raise InvalidModelError(f"{where} is not a tree: {what}")
    depth = _depths(left, right, np.array([0]))
    unreached = np.flatnonzero(depth < 0)
    if unreached.size:
        raise InvalidModelError(f"{where} is not a tree: {unreached.size} nodes (first: node {int(unreached[0])}) "
                                "cannot be reached from the root")
    return depth


def _depths(left: np.ndarray, right: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """Depth of every node below ``roots`` (-1: not reached), children given as node indices.
    With no node reached twice, a walk from the roots ends; level by level keeps it in numpy
    and out of Python's recursion limit on deep trees."""
    depth = np.full(left.shape[0], -1.0)
    level, d = roots, 0
    while level.size:
        depth[level] = d
        inner = level[left[level] != -1]
        level, d = np.concatenate([left[inner], right[inner]]), d + 1
    return depth


def check_binary_trees(children: Sequence[tuple[Any, Any]], wheres: Sequence[str]) -> list[np.ndarray]:
    """check_binary_tree of many trees (a forest's ``(left, right)`` arrays), the same checks
    and depths, done on all trees side by side: one walk of the deepest tree's levels instead of
    one per tree, the reader's cost on forests of hundreds of trees. A tree that fails is then
    checked alone, which raises the error naming it (``wheres[t]``)."""
    lefts = [np.asarray(left, dtype=np.int64) for left, _ in children]
    rights = [np.asarray(right, dtype=np.int64) for _, right in children]
    sizes = np.array([left.shape[0] if left.ndim == 1 else 0 for left in lefts], dtype=np.int64)
    shapes_ok = [left.shape == (n,) and right.shape == (n,) and n >= 1 for left, right, n in zip(lefts, rights, sizes)]
    if not all(shapes_ok):
        t = shapes_ok.index(False)
        check_binary_tree(lefts[t], rights[t], wheres[t])
    if not lefts:
        return []
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    tree_of = np.repeat(np.arange(len(lefts)), sizes)
    left, right = np.concatenate(lefts), np.concatenate(rights)
    local_size = sizes[tree_of]
    bad = ((left < -1) | (left >= local_size) | (right < -1) | (right >= local_size)
           | ((left == -1) != (right == -1)))
    # Children as indices into the joined arrays; the checks above keep them inside their tree.
    offset = starts[tree_of]
    left_all = np.where(left >= 0, left + offset, -1)
    right_all = np.where(right >= 0, right + offset, -1)
    if not bad.any():
        parents = np.bincount(np.concatenate([left_all[left_all >= 0], right_all[right_all >= 0]]),
                              minlength=left.shape[0])
        bad = (parents > 1)
        bad[starts] |= parents[starts] > 0
        if not bad.any():
            depth = _depths(left_all, right_all, starts)
            bad = depth < 0
            if not bad.any():
                return np.split(depth, starts[1:])
    t = int(tree_of[np.flatnonzero(bad)[0]])
    check_binary_tree(lefts[t], rights[t], wheres[t])
    raise AssertionError(f"{wheres[t]}: check_binary_trees and check_binary_tree disagree")  # pragma: no cover


def tree_to_ir(
    left: Any,
    right: Any,
    feature: Any,
    threshold: Any,
    value: Any,
    where: str,
    *,
    output: int | None = None,
    missing_left: Any = None,
    category_set: Any = None,
    category_bits: Any = None,
    node_samples: Any = None,
    checked: bool = False,
) -> dict[str, Any]:
    """One tree's IR from its node arrays, checked: a binary tree, finite thresholds at numeric
    splits and finite leaf values. ``value`` is [n_nodes] or [n_nodes, width]; ``output`` the raw
    output a boosted tree feeds; ``missing_left`` (0/1 per node) where a NaN goes;
    ``category_set`` (-1, or a row of ``category_bits``) the categorical splits. At leaves,
    missing_left is written 0 and category_set -1 whatever they held; the other arrays as given.
    ``node_samples``: the training samples (or their weight) that reached each node, which the
    cost estimate weights the paths with; left out when not finite and >= 0 everywhere.
    ``checked``: the caller has already run check_binary_tree(s) on these children.

    The arrays stay IRArrays (arrays.py): a forest goes to the compiler as bytes."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if not checked:
        check_binary_tree(left, right, where)
    n_nodes = left.shape[0]
    leaf = left == -1
    value = np.asarray(value, dtype=np.float64).reshape(n_nodes, -1)
    threshold = np.asarray(threshold, dtype=np.float64)
    numeric = ~leaf if category_set is None else ~leaf & (np.asarray(category_set) < 0)
    if not np.all(np.isfinite(threshold[numeric])):
        node = int(np.flatnonzero(numeric & ~np.isfinite(threshold))[0])
        raise InvalidModelError(f"{where}: the threshold of node {node} is {threshold[node]}")
    if not np.all(np.isfinite(value)):  # the IR holds every node's row
        raise InvalidModelError(f"{where}: a leaf value is NaN or infinite")
    encoded: dict[str, Any] = {
        "children_left": ir_array(left, "int32"),
        "children_right": ir_array(right, "int32"),
        "feature": ir_array(feature, "int32"),
        "threshold": ir_array(threshold, "float64"),
        "value": ir_array(value, "float64"),
    }
    if output is not None:
        encoded["output"] = int(output)
    if missing_left is not None:
        encoded["missing_left"] = ir_array(np.where(leaf, 0, np.asarray(missing_left) != 0), "uint8")
    if node_samples is not None:
        samples = np.asarray(node_samples, dtype=np.float64).reshape(-1)
        if samples.shape == (n_nodes,) and np.all(np.isfinite(samples) & (samples >= 0)):
            encoded["node_samples"] = ir_array(samples, "float32")
    if category_set is not None and np.any(np.asarray(category_set)[~leaf] >= 0):
        bits = np.asarray(category_bits, dtype=np.uint32)
        if bits.ndim != 2 or not 1 <= bits.shape[1] <= MAX_CATEGORY_WORDS:
            raise UnsupportedModelError(f"{where}: categories need {bits.shape[-1]} words of 32 bits; "
                                        f"at most {MAX_CATEGORY_WORDS} (categories 0..{32 * MAX_CATEGORY_WORDS - 1})")
        encoded["category_set"] = ir_array(np.where(leaf, -1, np.asarray(category_set)), "int32")
        encoded["category_bits"] = ir_array(bits, "uint32")
    return encoded


def le_thresholds(threshold: Any, leaf: Any) -> np.ndarray:
    """Thresholds of "le" splits with +inf at a split replaced by FLOAT32_MAX: scikit-learn
    writes +inf for "every value left, NaN the other way", and ``x <= FLOAT32_MAX`` says the
    same for every finite float32 x while the IR holds finite numbers only."""
    threshold = np.asarray(threshold, dtype=np.float64)
    return np.where(~np.asarray(leaf, dtype=bool) & (threshold == np.inf), FLOAT32_MAX, threshold)


def category_words(categories: Any, n_words: int) -> np.ndarray:
    """A category_bits row: bit c (word c >> 5, bit c & 31) set for every category c."""
    row = np.zeros(n_words, dtype=np.uint32)
    for c in np.asarray(categories, dtype=np.int64).ravel():
        row[c >> 5] |= np.uint32(1) << np.uint32(c & 31)
    return row


def boosted_fields(
    trees: list[dict[str, Any]],
    *,
    link: str,
    baseline: Any,
    split_rule: str = "le",
    tree_scale: float = 1.0,
) -> dict[str, Any]:
    """The ensemble keys of a boosted model: trees summed (stage-major, each naming its
    ``output``) on ``baseline``, one raw output per baseline entry, through ``link``."""
    baseline = [float(v) for v in np.ravel(baseline)]
    fields: dict[str, Any] = {
        "combine": "sum",
        "link": link,
        "n_outputs": len(baseline),
        "baseline": baseline,
        "tree_scale": float(tree_scale),
    }
    if split_rule != "le":
        fields["split_rule"] = split_rule
    fields["trees"] = trees
    return fields


def optional_library(module: str, what: str) -> Any:
    """The optional boosting library ``module`` (imported only when one of its models is read),
    or an ImportError saying how to install it; ``what`` names what needed it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"reading {what} needs the {module} package: pip install 'tinyml-lab[boosting]' "
                          f"(or pip install {'xgboost-cpu' if module == 'xgboost' else module})") from None


__all__ = ["FAMILY", "FLOAT32_MAX", "MAX_CATEGORY_WORDS", "MAX_FEATURES", "boosted_fields", "category_words",
           "check_binary_tree", "check_binary_trees", "le_thresholds", "optional_library", "tree_to_ir"]
