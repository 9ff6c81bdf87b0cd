"""Gradient boosting and isolation forests: the exported header and the WebAssembly
runtime agree with scikit-learn on real data sets."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLASSIFICATION_SETS, split
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, IsolationForest

import tinyml_lab
from tinyml_lab import UnsupportedModelError
from tinyml_lab.readers.sklearn_trees import average_path_length


@pytest.mark.parametrize("strategy", ["tables", "inline"])
@pytest.mark.parametrize("dtype", ["float32", "int16", "int8"])
def test_gradient_boosting_classifier_matches_sklearn(classification_set, dtype, strategy, run_header):
    name, X, y = classification_set
    X_train, y_train, _, _ = split(X, y)
    model = GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0).fit(X_train, y_train)
    converted = tinyml_lab.convert(model, dtype=dtype, strategy=strategy)
    out = run_header(converted.header, X)
    x32 = X.astype(np.float32)
    device = model.classes_[out[:, 0].astype(int)]
    report = converted.evaluate(X)
    mismatches = np.flatnonzero(device != model.predict(x32))
    # Labels may differ only where quantization moved a split (reported) ...
    assert set(mismatches.tolist()) <= set(report.rows_with_routing_changes), f"{name}: rows {mismatches[:10]}"
    if dtype == "float32":
        assert mismatches.size == 0
        # ... and probabilities follow float32 sums of float32 leaf values.
        np.testing.assert_allclose(out[:, 1:], model.predict_proba(x32), atol=1e-5)
    assert report.label_agreement == 1 - len(mismatches) / len(X)
    np.testing.assert_allclose(report.device_values, out[:, 1:], atol=1e-6)


def test_gradient_boosting_decision_function_in_header(run_header):
    X, y = load_breast_cancer(return_X_y=True)
    model = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(X, y)
    header = tinyml_lab.convert(model).header
    assert "static inline int model_decision_function(const float *x, float *scores, int32_t n)" in header
    assert "#define MODEL_N_OUTPUTS 1" in header and "#define MODEL_N_CLASSES 2" in header


def test_gradient_boosting_regressor_matches_sklearn(diabetes, run_header):
    X, y = diabetes
    X_train, y_train, _, _ = split(X, y)
    for loss in ("squared_error", "absolute_error", "huber", "quantile"):
        model = GradientBoostingRegressor(n_estimators=50, loss=loss, random_state=0).fit(X_train, y_train)
        reference = model.predict(X.astype(np.float32))
        out = run_header(tinyml_lab.convert(model).header, X)[:, 0]
        np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-5 * np.abs(reference).max(), err_msg=loss)


def _fixed_point_bound(converted):
    """Largest move of a sum of int16 leaves: half a step per tree, plus float32 rounding."""
    tables = converted.tables
    return tables["n_trees"] * tables["leaf_scale"] / 2


@pytest.mark.parametrize("strategy", ["tables", "inline"])
def test_int16_leaves_of_a_boosted_regressor_stay_within_half_a_step_per_tree(diabetes, strategy, run_header):
    X, y = diabetes
    X_train, y_train, _, _ = split(X, y)
    model = GradientBoostingRegressor(n_estimators=100, random_state=0).fit(X_train, y_train)
    reference = model.predict(X.astype(np.float32))
    converted = tinyml_lab.convert(model, leaf_dtype="int16", strategy=strategy)
    assert "int16_t model_leaf_values" in converted.header
    out = run_header(converted.header, X)[:, 0]
    bound = _fixed_point_bound(converted) + 1e-5 * np.abs(reference).max()
    assert np.abs(out - reference).max() <= bound
    report = converted.evaluate(X)
    assert report.max_abs_error <= bound
    np.testing.assert_allclose(report.device_values[:, 0], out, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_int16_leaves_of_a_boosted_classifier_keep_labels(classification_set, dtype, run_header):
    name, X, y = classification_set
    X_train, y_train, _, _ = split(X, y)
    model = GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0).fit(X_train, y_train)
    x32 = X.astype(np.float32)
    converted = tinyml_lab.convert(model, dtype=dtype, leaf_dtype="int16")
    out = run_header(converted.header, X)
    device = model.classes_[out[:, 0].astype(int)]
    report = converted.evaluate(X)
    # A label can only change where sklearn's raw scores are within the leaves' rounding of
    # a tie, or where quantized features moved a split (reported).
    raw = model.decision_function(x32).reshape(len(X), -1)
    if raw.shape[1] == 1:
        margin = np.abs(raw[:, 0])
    else:
        top2 = np.sort(raw, axis=1)[:, -2:]
        margin = top2[:, 1] - top2[:, 0]
    near_tie = set(np.flatnonzero(margin <= 2 * _fixed_point_bound(converted) + 1e-5).tolist())
    mismatches = set(np.flatnonzero(device != model.predict(x32)).tolist())
    assert mismatches <= near_tie | set(report.rows_with_routing_changes), name
    if dtype == "float32":
        np.testing.assert_allclose(out[:, 1:], model.predict_proba(x32), atol=_fixed_point_bound(converted) + 1e-5)


@pytest.mark.parametrize("strategy", ["tables", "inline"])
@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine, load_digits], ids=lambda f: f.__name__[5:])
def test_isolation_forest_matches_sklearn(loader, strategy, run_header):
    X, _ = loader(return_X_y=True)
    model = IsolationForest(n_estimators=60, random_state=0).fit(X[::2])
    x32 = X.astype(np.float32)
    out = run_header(tinyml_lab.convert(model, strategy=strategy).header, X)
    np.testing.assert_array_equal(out[:, 0], model.predict(x32))
    np.testing.assert_allclose(out[:, 1], model.score_samples(x32), rtol=1e-6, atol=1e-6)
    report = tinyml_lab.evaluate(model, X)
    assert report.label_agreement == 1.0
    assert report.max_abs_error < 1e-6


def test_isolation_forest_with_int16_leaves(run_header):
    X, _ = load_breast_cancer(return_X_y=True)
    model = IsolationForest(n_estimators=100, random_state=0).fit(X[::2])
    x32 = X.astype(np.float32)
    converted = tinyml_lab.convert(model, leaf_dtype="int16")
    out = run_header(converted.header, X)
    score = model.score_samples(x32)
    # Path lengths move by half a step per tree at most; the score's slope in the mean
    # path length is below 1 (it is 2^(-l/c) ln 2 / c with c > 1).
    assert np.abs(out[:, 1] - score).max() <= _fixed_point_bound(converted) / len(model.estimators_) + 1e-6
    near_threshold = np.abs(score - model.offset_) <= 1e-4
    np.testing.assert_array_equal(out[~near_threshold, 0], model.predict(x32)[~near_threshold])


def test_isolation_forest_with_feature_subsets(run_header):
    """max_features < 1: each tree sees its own feature subset (estimators_features_)."""
    X, _ = load_wine(return_X_y=True)
    model = IsolationForest(n_estimators=40, max_features=0.5, random_state=0).fit(X)
    out = run_header(tinyml_lab.convert(model, dtype="int16").header, X)
    x32 = X.astype(np.float32)
    np.testing.assert_array_equal(out[:, 0], model.predict(x32))


def test_average_path_length_matches_known_values():
    np.testing.assert_allclose(average_path_length(np.array([1, 2, 3, 256])),
                               [0.0, 1.0, 2 * (np.log(2) + np.euler_gamma) - 4 / 3,
                                2 * (np.log(255) + np.euler_gamma) - 2 * 255 / 256])


def test_unsupported_boosting_settings_are_named():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(UnsupportedModelError, match="loss='exponential' is not supported"):
        tinyml_lab.convert(GradientBoostingClassifier(n_estimators=3, loss="exponential").fit(X, y))
    from sklearn.linear_model import LogisticRegression

    custom_init = GradientBoostingClassifier(n_estimators=3, init=LogisticRegression(max_iter=5000)).fit(X, y)
    with pytest.raises(UnsupportedModelError, match="init=LogisticRegression is not supported"):
        tinyml_lab.convert(custom_init)


assert CLASSIFICATION_SETS  # the classification_set fixture covers iris, wine, breast_cancer, digits
