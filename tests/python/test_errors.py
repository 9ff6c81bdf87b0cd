"""Bad input gets an exception that names the problem; nothing crashes, no header is written."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import (
    AdaBoostClassifier,
    HistGradientBoostingClassifier,
    IsolationForest,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier

import tinyml_lab
from tinyml_lab import (
    CompilerError,
    InvalidInputError,
    InvalidModelError,
    NotFittedError,
    UnsupportedModelError,
)
from tinyml_lab.arrays import decode_array, encode_array
from tinyml_lab.convert import ConvertedModel, compile_options
from tinyml_lab.readers import model_to_ir


@pytest.fixture(scope="module")
def iris_forest():
    X, y = load_iris(return_X_y=True)
    return RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y), X, y


def test_unfitted_model():
    with pytest.raises(NotFittedError, match="RandomForestClassifier is not fitted yet"):
        tinyml_lab.convert(RandomForestClassifier())


@pytest.mark.parametrize("model", [AdaBoostClassifier(), HistGradientBoostingClassifier()])
def test_unsupported_estimator_is_named(model):
    with pytest.raises(UnsupportedModelError, match=type(model).__name__) as info:
        tinyml_lab.convert(model)
    assert "supported estimators: DecisionTreeClassifier" in str(info.value)


def test_multi_output_trees_are_refused():
    X = np.random.default_rng(0).normal(size=(40, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)
    with pytest.raises(UnsupportedModelError, match="multi-output"):
        tinyml_lab.convert(DecisionTreeClassifier().fit(X, Y))


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X), r"row 1, feature 3 is nan"),
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 0, np.inf, X), r"row 0, feature 0 is inf"),
        (lambda X: X[:, :3], r"X_test has 3 features per row, the model expects 4"),
        (lambda X: X[0], r"X_test is 1-D"),
        (lambda X: X * 1e39, r"too large for float32"),
        (lambda X: X.astype(str).astype(object) + "cm", r"X_test must be numeric"),
        (lambda X: X[:0], r"X_test has no rows"),
    ],
    ids=["nan", "inf", "feature-count", "1-d", "float32-overflow", "strings", "empty"],
)
def test_bad_test_data(iris_forest, bad, message):
    model, X, y = iris_forest
    with pytest.raises(InvalidInputError, match=message):
        tinyml_lab.inspect(model, bad(X), None)


def test_bad_data_for_evaluate_and_labels(iris_forest):
    model, X, y = iris_forest
    with pytest.raises(InvalidInputError, match="the model expects 4"):
        tinyml_lab.evaluate(model, X[:, :2])
    with pytest.raises(InvalidInputError, match="y has 10 labels for 150 rows"):
        tinyml_lab.evaluate(model, X, y[:10])


def test_nan_in_weights_is_refused(iris_forest):
    model, _, _ = iris_forest
    broken = copy.deepcopy(model)
    broken.estimators_[2].tree_.value[3, 0, 0] = np.nan
    with pytest.raises(InvalidModelError, match="tree 2: a leaf value is NaN"):
        tinyml_lab.convert(broken)


def _cycle_to_root(tree):
    tree.children_left[6] = 0


def _shared_child(tree):
    tree.children_right[6] = 3


def _detached_cycle(tree):
    # node 2 becomes a leaf; its subtree 3 <-> 6 (and 4, 5, 7, 8) is left hanging
    tree.children_left[2] = tree.children_right[2] = -1
    tree.children_left[6], tree.children_right[6] = 3, 7
    tree.children_left[3], tree.children_right[3] = 6, 4


def _child_out_of_range(tree):
    tree.children_right[0] = 99


@pytest.mark.parametrize(
    "break_tree, message",
    [
        (_cycle_to_root, r"tree 0 is not a tree: the root \(node 0\) is a child of node 6"),
        (_shared_child, r"tree 0 is not a tree: node 3 is a child of nodes 2 and 6"),
        (_detached_cycle, r"tree 0 is not a tree: 6 nodes \(first: node 3\) cannot be reached from the root"),
        (_child_out_of_range, r"tree 0 is not a tree: node 0 has child 99, outside 0\.\.8"),
    ],
    ids=["cycle-to-root", "shared-child", "detached-cycle", "out-of-range"],
)
def test_tree_that_is_not_a_tree_is_refused(break_tree, message):
    X, y = load_iris(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    assert model.tree_.children_left.tolist() == [1, -1, 3, 4, -1, -1, 7, -1, -1]  # the tree the cases edit
    assert model.tree_.children_right.tolist() == [2, -1, 6, 5, -1, -1, 8, -1, -1]
    break_tree(model.tree_)  # tree_'s arrays are views of its nodes
    with pytest.raises(InvalidModelError, match=f"sklearn.tree.DecisionTreeClassifier {message}"):
        model_to_ir(model)


def test_isolation_tree_with_a_cycle_is_refused():
    # The path lengths walk the tree from the root: a cycle used to make that walk endless.
    X, _ = load_iris(return_X_y=True)
    model = IsolationForest(n_estimators=3, random_state=0).fit(X)
    tree = model.estimators_[1].tree_
    inner = int(np.flatnonzero(tree.children_left != -1)[-1])
    tree.children_right[inner] = 0
    with pytest.raises(InvalidModelError, match=rf"sklearn.ensemble.IsolationForest tree 1 is not a tree: the root "
                                                rf"\(node 0\) is a child of node {inner}"):
        model_to_ir(model)


def test_compiler_rejects_malformed_ir_with_its_path(iris_forest):
    model, _, _ = iris_forest
    ir = model_to_ir(model)
    left = decode_array(ir["trees"][1]["children_left"])
    left[0] = 0  # a node that is its own child: not a tree
    ir["trees"][1]["children_left"] = encode_array(left, "int32")
    with pytest.raises(CompilerError, match=r"malformed model IR at trees\[1\].children\[0\]: node 0 is reached twice"):
        ConvertedModel(model, ir, compile_options())


def test_bad_options(iris_forest):
    model, _, _ = iris_forest
    with pytest.raises(InvalidInputError, match="dtype must be one of float32, int16, int8"):
        tinyml_lab.convert(model, dtype="int4")
    with pytest.raises(CompilerError, match="not a usable C identifier"):
        tinyml_lab.convert(model, name="my-model")
    with pytest.raises(InvalidInputError, match="strategy must be one of tables, inline, auto"):
        tinyml_lab.convert(model, strategy="fast")


def test_no_header_is_written_on_error(iris_forest, tmp_path):
    model, _, _ = iris_forest
    target = tmp_path / "model.h"
    with pytest.raises(CompilerError):
        tinyml_lab.export_header(model, target, name="0bad")
    assert not target.exists()
