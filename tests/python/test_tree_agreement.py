"""The exported C header, compiled with gcc, predicts what scikit-learn predicts on every
row of real data sets; the WebAssembly build of the same runtime agrees too."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import split
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import tinyml_lab

CLASSIFIERS = {
    "DecisionTreeClassifier": lambda: DecisionTreeClassifier(random_state=0),
    "RandomForestClassifier": lambda: RandomForestClassifier(n_estimators=30, random_state=0),
    "ExtraTreesClassifier": lambda: ExtraTreesClassifier(n_estimators=30, random_state=0),
    "RandomForestClassifier_shallow": lambda: RandomForestClassifier(n_estimators=10, max_depth=4, random_state=1),
}


@pytest.mark.parametrize("strategy", ["tables", "inline"])
@pytest.mark.parametrize("estimator", sorted(CLASSIFIERS))
@pytest.mark.parametrize("dtype", ["float32", "int16", "int8"])
def test_header_labels_equal_sklearn_on_every_row(classification_set, estimator, dtype, strategy, run_header):
    name, X, y = classification_set
    X_train, y_train, _, _ = split(X, y)
    model = CLASSIFIERS[estimator]().fit(X_train, y_train)
    converted = tinyml_lab.convert(model, dtype=dtype, strategy=strategy)
    assert converted.strategy == strategy

    out = run_header(converted.header, X)  # every row, training and test
    device_labels = model.classes_[out[:, 0].astype(int)]
    reference = model.predict(X.astype(np.float32))
    mismatches = np.flatnonzero(device_labels != reference)
    if dtype == "float32":
        assert mismatches.size == 0, f"{name}/{estimator}: rows {mismatches[:10]} differ"
    else:
        # Quantized, a row may leave sklearn's path only at a split the report names.
        report = converted.evaluate(X)
        unexplained = set(mismatches.tolist()) - set(report.rows_with_routing_changes)
        assert not unexplained, f"{name}/{estimator}/{dtype}: rows {sorted(unexplained)[:10]} differ unexplained"
        if dtype == "int16":  # int8 thresholds are coarser: only the explanation is guaranteed
            assert len(report.rows_with_routing_changes) <= 0.05 * len(X)
        assert sorted(report.disagreeing_rows) == mismatches.tolist()

    if dtype == "float32":
        # Every row takes sklearn's path through every tree: probabilities equal up to float32 sums.
        np.testing.assert_allclose(out[:, 1:], model.predict_proba(X.astype(np.float32)), atol=2e-6)

    # The WebAssembly build of the same runtime gives the same labels and probabilities.
    wasm_classes, wasm_values = converted.predict_device(X)
    np.testing.assert_array_equal(wasm_classes, out[:, 0].astype(int))
    np.testing.assert_allclose(wasm_values, out[:, 1:], rtol=0, atol=1e-7)


def test_int16_routes_integer_features_exactly():
    """digits has integer pixel values: on the quantization grid, so every tree routes
    every row exactly as sklearn and the probabilities match, not only the labels."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    report = tinyml_lab.convert(model, dtype="int16").evaluate(X, y)
    assert report.routing_changes == []
    assert report.label_agreement == 1.0
    assert report.max_abs_error < 1e-6


@pytest.mark.parametrize(
    "make",
    [
        lambda: DecisionTreeRegressor(random_state=0),
        lambda: RandomForestRegressor(n_estimators=20, random_state=0),
        lambda: ExtraTreesRegressor(n_estimators=20, random_state=0),
    ],
    ids=["DecisionTreeRegressor", "RandomForestRegressor", "ExtraTreesRegressor"],
)
def test_regressor_header_matches_sklearn(diabetes, make, run_header):
    X, y = diabetes
    X_train, y_train, _, _ = split(X, y)
    model = make().fit(X_train, y_train)
    reference = model.predict(X.astype(np.float32))
    out = run_header(tinyml_lab.convert(model).header, X)[:, 0]
    # float32 leaf values and sums: relative error of a few float32 ulps.
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-6 * np.abs(reference).max())
    report = tinyml_lab.evaluate(model, X)
    assert report.max_abs_error <= 1e-5 * np.abs(reference).max()


def test_threshold_ties_go_left_like_sklearn(run_header):
    """Rows exactly at a threshold and one float32 step either side route as in sklearn.
    Quantized, the step above is replaced by the next point of the 1/scale grid: inputs
    strictly between t and that grid point are the documented int16 approximation."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
    y = np.array([0, 0, 1, 1])
    model = DecisionTreeClassifier().fit(X, y)
    t = np.float32(model.tree_.threshold[0])
    below, above = np.nextafter(t, np.float32(-10)), np.nextafter(t, np.float32(10))
    probes = np.array([[t], [below], [above], [np.nan]], dtype=np.float32)
    for strategy in ("tables", "inline"):  # NaN goes right in both, as in the WebAssembly runtime
        out = run_header(tinyml_lab.convert(model, strategy=strategy).header, probes)
        np.testing.assert_array_equal(model.classes_[out[:3, 0].astype(int)], model.predict(probes[:3]))
        assert out[3, 0] == out[2, 0]

    converted = tinyml_lab.convert(model, dtype="int16")
    scale = converted.tables["feature_scale"][0]
    next_grid_point = (np.floor(t * scale) + 1) / scale
    probes = np.array([[t], [below], [next_grid_point]], dtype=np.float32)
    out = run_header(converted.header, probes)
    np.testing.assert_array_equal(model.classes_[out[:, 0].astype(int)], model.predict(probes))


def test_string_class_labels(run_header):
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array(["cat", "cat", "dog \"x\"", "dog \"x\""])
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    header = tinyml_lab.convert(model, name="pets").header
    assert 'static const char *const pets_class_names[2] = {\n    "cat", "dog \\"x\\""\n};' in header
    assert "pets_class_labels" not in header


@pytest.mark.parametrize("dataset", ["iris", "digits"])
def test_auto_strategy_gives_both_code_forms_answers_on_every_target(run_header, dataset):
    """strategy="auto" emits one of the two code forms, chosen per target (digits' forest:
    inline where it fits, tables on AVR), and gives scikit-learn's labels and both forms' labels
    and values on every row, as gcc runs its header and as the WebAssembly runtime does."""
    from sklearn.datasets import load_digits, load_iris

    X, y = (load_iris if dataset == "iris" else load_digits)(return_X_y=True)
    model = RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0).fit(X, y)
    x32 = X.astype(np.float32)
    headers = {s: tinyml_lab.convert(model, strategy=s).header for s in ("tables", "inline")}
    outputs = {header: run_header(header, X) for header in headers.values()}  # gcc once per header
    explicit = {s: outputs[header] for s, header in headers.items()}
    chosen = {}
    for target in ("cortex-m4f", "cortex-m0plus", "avr", "esp32-c3"):
        auto = tinyml_lab.convert(model, strategy="auto", target=target)
        chosen[target] = auto.strategy
        assert auto.auto_choice.startswith(f"auto chose {auto.strategy} for ")
        out = outputs.get(auto.header)
        if out is None:  # not one of the two forms' headers: run it too (then the test fails on it)
            out = run_header(auto.header, X)
        np.testing.assert_array_equal(model.classes_[out[:, 0].astype(int)], model.predict(x32))
        for strategy, expected in explicit.items():
            np.testing.assert_array_equal(out[:, 0], expected[:, 0], err_msg=f"{target}: labels vs {strategy}")
            np.testing.assert_allclose(out[:, 1:], expected[:, 1:], rtol=1e-6, atol=1e-7,
                                       err_msg=f"{target}: values vs {strategy}")
        report = auto.evaluate(X, y)
        assert report.label_agreement == 1.0 and report.relative_l2 < 1e-6
    assert tinyml_lab.convert(model, strategy="auto").strategy == chosen["cortex-m4f"] == "inline"
    if dataset == "digits":  # 127.9 KiB of inline code on AVR's 32 KiB part: the tables' 23.5 KiB fit
        assert chosen["avr"] == "tables"


@pytest.mark.parametrize("strategy", ["tables", "inline"])
@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_uint8_leaves_keep_probabilities_within_half_a_step(classification_set, dtype, strategy, run_header):
    """Leaf probabilities rounded to k/255: each moves by at most 1/510, so their mean does
    too; labels change only where sklearn's top two classes are that close."""
    name, X, y = classification_set
    X_train, y_train, _, _ = split(X, y)
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)
    converted = tinyml_lab.convert(model, dtype=dtype, strategy=strategy, leaf_dtype="uint8")
    assert "static const uint8_t model_leaf_values" in converted.header
    out = run_header(converted.header, X)
    x32 = X.astype(np.float32)
    proba = model.predict_proba(x32)
    report = converted.evaluate(X)
    moved = set(report.rows_with_routing_changes)
    exact_rows = [r for r in range(len(X)) if r not in moved]
    np.testing.assert_allclose(out[exact_rows, 1:], proba[exact_rows], atol=1 / 510 + 1e-6)
    top2 = np.sort(proba, axis=1)[:, -2:]
    close = set(np.flatnonzero(top2[:, 1] - top2[:, 0] <= 2 / 510 + 1e-6).tolist())
    mismatches = set(np.flatnonzero(model.classes_[out[:, 0].astype(int)] != model.predict(x32)).tolist())
    assert mismatches <= close | moved, f"{name}: rows {sorted(mismatches - close - moved)[:10]}"
    float_leaves = tinyml_lab.convert(model, dtype=dtype, strategy=strategy)

    # uint8 rows shrink the leaf table; the total can grow where de-duplication left few rows,
    # as rescaling the sums costs 32 B of code (measured, src/core/families/trees/estimate.ts)
    def leaf_table(c):
        items = (item["bytes"] for item in c.size["flash"] if item["name"] in ("leaf values", "leaf classes"))
        return next(items, 0)  # none: inline code holds the leaves

    rows = converted.tables["n_leaf_rows"]
    assert f"static const uint8_t model_leaf_values[{rows * len(model.classes_)}]" in converted.header
    assert f"static const float model_leaf_values[{rows * len(model.classes_)}]" in float_leaves.header
    if "tml_argmax_votes" in converted.header or "votes_1++" in converted.header:
        # pure leaves: predict counts votes from the class of each leaf row, whatever the rows'
        # type: a table of classes, or inline code that holds them (no table)
        assert leaf_table(converted) == leaf_table(float_leaves) == (rows if strategy == "tables" else 0)
    else:
        assert leaf_table(converted) < leaf_table(float_leaves)


def test_uint8_leaves_need_a_forest_classifier():
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor

    X, y = load_diabetes(return_X_y=True)
    model = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y)
    with pytest.raises(tinyml_lab.CompilerError, match="only forest classifiers"):
        tinyml_lab.convert(model, leaf_dtype="uint8")
