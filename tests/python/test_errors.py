"""Bad input gets an exception that names the problem; nothing crashes, no header is written."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from sklearn.covariance import EllipticEnvelope
from sklearn.datasets import load_iris
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC, OneClassSVM
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


@pytest.mark.parametrize("model", [AdaBoostClassifier(), BaggingClassifier()])
def test_unsupported_estimator_is_named_with_why_and_instead(model):
    with pytest.raises(UnsupportedModelError, match=type(model).__name__) as info:
        tinyml_lab.convert(model)
    message = str(info.value)
    assert "an ensemble of arbitrary base estimators is not read" in message
    assert "train one ensemble the device reads: RandomForest, GradientBoosting or HistGradientBoosting" in message
    # the families, not the ~60 estimator names: those are one call away
    assert "Supported: scikit-learn trees, scikit-learn histogram boosting, XGBoost, LightGBM, networks" in message
    assert message.endswith("(every estimator: tinyml_lab.supported_estimators(), or `tinyml-lab supported`)")
    assert "DecisionTreeClassifier" not in message


def test_multi_output_trees_are_refused():
    X = np.random.default_rng(0).normal(size=(40, 3))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)
    with pytest.raises(UnsupportedModelError, match="multi-output"):
        tinyml_lab.convert(DecisionTreeClassifier().fit(X, Y))


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 0, np.inf, X), r"row 0, feature 0 is inf"),
        (lambda X: X[:, :3], r"X_test has 3 features per row, the model expects 4"),
        (lambda X: X[0], r"X_test is 1-D"),
        (lambda X: X * 1e39, r"too large for float32"),
        (lambda X: X.astype(str).astype(object) + "cm", r"X_test must be numeric"),
        (lambda X: X[:0], r"X_test has no rows \(shape \(0, 4\)\); the Inspector"),
    ],
    ids=["inf", "feature-count", "1-d", "float32-overflow", "strings", "empty"],
)
def test_bad_test_data(iris_forest, bad, message):
    # NaN is not bad data for a forest: its splits route it (tests/python/test_missing_values.py)
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
    with pytest.raises(InvalidInputError, match="unknown target 'cortex-m99'; use one of cortex-m0plus, .*, avr"):
        tinyml_lab.convert(model, strategy="auto", target="cortex-m99")
    with pytest.raises(InvalidInputError, match="unknown target 'cortex-m99'"):
        tinyml_lab.inspect(model, np.zeros((2, 4)), target="cortex-m99")


def test_no_header_is_written_on_error(iris_forest, tmp_path):
    model, _, _ = iris_forest
    target = tmp_path / "model.h"
    with pytest.raises(CompilerError):
        tinyml_lab.export_header(model, target, name="0bad")
    assert not target.exists()


# --------------------------------------------------------------------------- non-finite scalars, empty data


def _fitted(make, edit):
    X, y = load_iris(return_X_y=True)
    model = make().fit(X, y)
    edit(model)
    return model


NAN = float("nan")


def _set(attribute, value):
    return lambda model: setattr(model, attribute, value)


@pytest.mark.parametrize(
    "make, edit, message",
    [
        (lambda: GradientBoostingClassifier(n_estimators=3, random_state=0), _set("learning_rate", NAN),
         r"GradientBoostingClassifier\.learning_rate is nan; .*set learning_rate to the finite value"),
        (lambda: GradientBoostingRegressor(n_estimators=3, random_state=0),
         lambda m: m.init_.constant_.fill(np.inf),
         r"GradientBoostingRegressor\.init_\.constant_ is inf; .*refit the model on training data without NaN"),
        (lambda: GradientBoostingClassifier(n_estimators=3, random_state=0),
         lambda m: m.init_.class_prior_.__setitem__(0, NAN),
         r"GradientBoostingClassifier\.init_\.class_prior_ is nan"),
        (lambda: IsolationForest(n_estimators=3, random_state=0), _set("offset_", NAN),
         r"IsolationForest\.offset_ is nan; .*refit"),
        (lambda: IsolationForest(n_estimators=3, random_state=0), _set("max_samples_", NAN),
         r"IsolationForest\.max_samples_ is nan"),
        (lambda: OneClassSVM(gamma=0.5), _set("offset_", np.array([NAN])), r"OneClassSVM\.offset_ is nan"),
        (lambda: SVC(gamma=0.5), _set("gamma", NAN), r"SVC\.gamma is nan; .*set gamma to the finite value"),
        (lambda: SVC(kernel="poly", gamma=0.5), _set("coef0", -np.inf), r"SVC\.coef0 is -inf"),
        (lambda: EllipticEnvelope(random_state=0), _set("offset_", NAN), r"EllipticEnvelope\.offset_ is nan"),
        (lambda: DecisionTreeClassifier(max_depth=2), _set("classes_", np.array([0.0, NAN, 2.0])),
         r"DecisionTreeClassifier\.classes_ holds nan \(class 1\); .*map the labels to integers or strings"),
        (lambda: LogisticRegression(max_iter=500), _set("classes_", np.array([0.0, 1.0, np.inf])),
         r"LogisticRegression\.classes_ holds inf \(class 2\)"),
        (lambda: KNeighborsClassifier(p=3), lambda m: m.effective_metric_params_.update(p=NAN),
         r"KNeighborsClassifier\.p is nan"),
    ],
    ids=["learning-rate", "init-constant", "init-prior", "isolation-offset", "isolation-max-samples",
         "one-class-svm-offset", "svc-gamma", "svc-coef0", "elliptic-offset", "nan-class", "inf-class",
         "minkowski-p"],
)
def test_non_finite_scalar_attribute_is_named(make, edit, message):
    model = _fitted(make, edit)
    X, y = load_iris(return_X_y=True)
    with pytest.raises(InvalidModelError, match=message) as info:
        tinyml_lab.convert(model, X_train=X, y_train=y)
    assert "JSON" not in str(info.value)


def test_non_finite_batch_norm_epsilon_is_named():
    from tinyml_lab.readers.networks import KerasLayer, keras_layers_to_ir

    ones = np.ones(4, dtype=np.float32)
    layers = [KerasLayer("bn", "BatchNormalization", {"axis": -1, "epsilon": NAN}, [ones, 0 * ones, 0 * ones, ones]),
              KerasLayer("out", "Dense", {"units": 2, "activation": "softmax"},
                         [np.ones((4, 2), dtype=np.float32), np.zeros(2, dtype=np.float32)])]
    with pytest.raises(InvalidModelError, match=r"bn \(BatchNormalization\): epsilon is nan; .*finite epsilon"):
        keras_layers_to_ir("keras.Sequential", (4,), layers)


def test_non_finite_value_left_in_the_ir_is_named_by_its_path(iris_forest):
    # the engine's safety net, for a value no reader checks: the IR path, not the JSON library's text
    model, _, _ = iris_forest
    ir = model_to_ir(model)
    ir["trees"][1]["scale"] = NAN
    with pytest.raises(InvalidModelError, match=r"the model's IR has nan at trees\[1\]\.scale; .*refit") as info:
        ConvertedModel(model, ir, compile_options())
    assert "JSON" not in str(info.value)


def test_no_rows_are_refused_before_scikit_learn_is_asked(iris_forest, tmp_path):
    model, X, y = iris_forest
    with pytest.raises(InvalidInputError, match=r"X has no rows \(shape \(0, 4\)\); evaluate .*pass at least one row"):
        tinyml_lab.evaluate(model, X[:0])
    with pytest.raises(InvalidInputError, match=r"X has no rows \(shape \(0, 4\)\); evaluate"):
        tinyml_lab.convert(model).evaluate(X[:0], y[:0])
    with pytest.raises(InvalidInputError, match=r"X_test has no rows \(shape \(0, 4\)\); the Inspector .*at least one"):
        tinyml_lab.inspect(model, X[:0])
    with pytest.raises(InvalidInputError, match=r"X has no rows \(shape \(0, 4\)\); a bundle needs at least one"):
        tinyml_lab.export_bundle(model, X[:0], None, tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (lambda X, y: (X[:0], y[:0]), r"X has no rows \(shape \(0, 4\)\); sweep .*pass at least one row"),
        (lambda X, y: (X, y, X[:0], y[:0]), r"X_test has no rows \(shape \(0, 4\)\)"),
        (lambda X, y: (X[:1], y[:1]), r"cannot hold out test_size=0.25 of the 1 rows of X .*X_test and y_test"),
        (lambda X, y: (X, y[:5]), r"y has 5 labels for 150 rows of X"),
    ],
    ids=["no-rows", "no-test-rows", "one-row", "label-count"],
)
def test_sweep_refuses_unusable_data_itself(args, message):
    X, y = load_iris(return_X_y=True)
    data = args(X, y)
    kwargs = {"X_test": data[2], "y_test": data[3]} if len(data) == 4 else {}
    with pytest.raises(InvalidInputError, match=message):
        tinyml_lab.sweep(DecisionTreeClassifier(max_depth=2), data[0], data[1], target="cortex-m4f", **kwargs)


def test_a_notebook_shows_the_message_and_the_users_line_not_our_frames(tmp_path):
    """In Jupyter an error raised on purpose is its message, the user's line and how to get
    the rest; tinyml_lab.show_traceback() prints the full traceback on demand."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import tinyml_lab\nfrom sklearn.ensemble import AdaBoostClassifier\n"
                                  "model = AdaBoostClassifier()\ntinyml_lab.convert(model)"),
        nbformat.v4.new_code_cell("tinyml_lab.show_traceback()"),
    ]
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    (error,) = nb.cells[0].outputs
    assert error["output_type"] == "error" and error["ename"] == "UnsupportedModelError"
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error["traceback"]]
    assert len(lines) == 3, lines
    assert lines[0].startswith("UnsupportedModelError: AdaBoostClassifier (sklearn.ensemble.AdaBoostClassifier) "
                               "is not supported: an ensemble of arbitrary base estimators")
    assert lines[1] == "  in your code: tinyml_lab.convert(model)"
    assert lines[2] == "  (the full traceback: tinyml_lab.show_traceback())"
    full = "".join(output.get("text", "") for output in nb.cells[1].outputs)
    assert "Traceback (most recent call last)" in full and "readers/__init__.py" in full
    assert full.rstrip().endswith("(every estimator: tinyml_lab.supported_estimators(), or `tinyml-lab supported`)")
