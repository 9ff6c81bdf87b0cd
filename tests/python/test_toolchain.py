"""The toolchain's shortcuts give the answers of the long way (bench/toolchain measures their
speed): the tree reader's checks of a whole forest at once, IR arrays sent to the engine as
bytes, and compiled models kept in the engine and their tables in the WebAssembly runtime."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

import tinyml_lab
from tinyml_lab import _engine
from tinyml_lab.arrays import IRArray, decode_array, json_ir
from tinyml_lab.convert import ConvertedModel, compile_options
from tinyml_lab.errors import InvalidModelError
from tinyml_lab.readers import model_to_ir, read_ir
from tinyml_lab.readers.tree_ir import check_binary_tree, check_binary_trees


@pytest.fixture(scope="module")
def forest():
    X, y = load_wine(return_X_y=True)
    return RandomForestClassifier(n_estimators=12, max_depth=6, random_state=0).fit(X, y), X.astype(np.float32)


def _children(model):
    return [(e.tree_.children_left.copy(), e.tree_.children_right.copy()) for e in model.estimators_]


def test_a_forest_checked_at_once_has_each_tree_s_depths(forest):
    model, _ = forest
    children = _children(model)
    wheres = [f"tree {i}" for i in range(len(children))]
    together = check_binary_trees(children, wheres)
    assert len(together) == len(children)
    for (left, right), depth, where in zip(children, together, wheres):
        np.testing.assert_array_equal(depth, check_binary_tree(left, right, where))


@pytest.mark.parametrize("damage", ["out of range", "one child", "shared child", "root as child", "detached"])
def test_a_forest_checked_at_once_names_the_tree_that_is_not_one(forest, damage):
    model, _ = forest
    children = _children(model)
    left, right = children[7]
    inner = np.flatnonzero(left != -1)
    a, b = int(inner[1]), int(inner[2])
    if damage == "out of range":
        right[a] = len(left)
    elif damage == "one child":
        leaf = int(np.flatnonzero(left == -1)[0])
        left[leaf] = 1
    elif damage == "shared child":
        right[b] = right[a]
    elif damage == "root as child":
        right[a] = 0
    else:  # node a's children hang off a new cycle: unreached from the root
        left[a], right[a] = -1, -1
    wheres = [f"tree {i}" for i in range(len(children))]
    with pytest.raises(InvalidModelError) as alone:
        check_binary_tree(left, right, "tree 7")
    with pytest.raises(InvalidModelError) as together:
        check_binary_trees(children, wheres)
    assert str(together.value) == str(alone.value)


def test_the_public_ir_is_json_and_the_reader_s_form_holds_the_same_arrays(forest):
    model, _ = forest
    raw = read_ir(model)
    public = model_to_ir(model)
    assert isinstance(raw["trees"][0]["threshold"], IRArray)
    assert json.loads(json.dumps(public)) == public
    assert json_ir(raw) == public
    for key in ("children_left", "feature", "threshold", "value"):
        np.testing.assert_array_equal(decode_array(raw["trees"][3][key]), decode_array(public["trees"][3][key]))


@pytest.mark.parametrize("options", [{}, {"dtype": "int16", "strategy": "inline"}, {"leaf_dtype": "uint8"}])
def test_arrays_sent_as_bytes_or_as_base64_give_the_same_header_and_output(forest, options):
    model, X = forest
    opts = compile_options(**options)
    as_bytes = ConvertedModel(model, read_ir(model), opts)
    as_base64 = ConvertedModel(model, model_to_ir(model), opts)
    assert as_bytes.header == as_base64.header
    for a, b in zip(as_bytes.predict_device(X), as_base64.predict_device(X)):
        np.testing.assert_array_equal(a, b)
    classes, values = as_bytes.predict_device(X)
    assert classes.dtype == np.int32 and values.dtype == np.float32 and values.shape == (len(X), 3)


def test_models_run_in_turn_each_give_their_own_output(forest):
    """Compiled models stay in the engine and their tables in the runtime: runs of other
    models, and other options of the same model, in between change nothing."""
    model, X = forest
    Xc, yc = load_breast_cancer(return_X_y=True)
    boosted = GradientBoostingClassifier(n_estimators=15, random_state=0).fit(Xc, yc)
    converted = [tinyml_lab.convert(model), tinyml_lab.convert(model, dtype="int16"),
                 tinyml_lab.convert(model, leaf_dtype="uint8"), tinyml_lab.convert(boosted),
                 tinyml_lab.convert(boosted, leaf_dtype="int16"), tinyml_lab.convert(model, strategy="inline")]
    rows = [X if c.model is model else Xc.astype(np.float32) for c in converted]
    first = [c.predict_device(x) for c, x in zip(converted, rows)]
    assert not np.array_equal(first[0][1], first[1][1]) or not np.array_equal(first[0][1], first[2][1])
    for _ in range(2):
        for c, x, expected in zip(converted, rows, first):
            for got, want in zip(c.predict_device(x), expected):
                np.testing.assert_array_equal(got, want)


def test_a_model_the_engine_no_longer_keeps_is_sent_again(forest):
    model, X = forest
    converted = tinyml_lab.convert(model)
    expected = converted.predict_device(X)
    for _ in range(6):  # more models than the engine keeps (KEPT_MODELS in headless.ts)
        tinyml_lab.convert(model, dtype="int16")
    assert _engine.call("runKept", converted._engine_key, {"x": {"dtype": "float32", "shape": [0, 13],
                                                                  "data": ""}}).get("missing")
    for got, want in zip(converted.predict_device(X), expected):
        np.testing.assert_array_equal(got, want)


def test_evaluate_agrees_with_sklearn_through_the_binary_path(forest):
    model, X = forest
    report = tinyml_lab.convert(model).evaluate(X)
    assert report.label_agreement == 1.0
    assert report.max_abs_error < 1e-6
    np.testing.assert_array_equal(report.device_classes, np.searchsorted(model.classes_, model.predict(X)))
