"""scikit-learn trees and missing values: missing_left from tree_.missing_go_to_left, trees
fitted on data with NaN (their +inf thresholds), checked with the NumPy IR evaluator against
scikit-learn's own predictions on rows with NaN."""

from __future__ import annotations

import numpy as np
import pytest
from boosting_data import classification, regression, with_nan
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor
from tree_ir_eval import assert_agrees

from tinyml_lab import model_to_ir
from tinyml_lab.arrays import decode_array
from tinyml_lab.readers.tree_ir import FLOAT32_MAX

CLASSIFIERS = [
    DecisionTreeClassifier(random_state=0),
    ExtraTreeClassifier(random_state=0),
    RandomForestClassifier(n_estimators=15, random_state=0),
    ExtraTreesClassifier(n_estimators=15, random_state=0),
]
REGRESSORS = [
    DecisionTreeRegressor(random_state=0),
    ExtraTreeRegressor(random_state=0),
    RandomForestRegressor(n_estimators=15, random_state=0),
    ExtraTreesRegressor(n_estimators=15, random_state=0),
]


@pytest.mark.parametrize("dataset", ["breast_cancer", "iris", "wine"])
@pytest.mark.parametrize("model", CLASSIFIERS, ids=lambda m: type(m).__name__)
def test_classifiers_fitted_on_missing_values(model, dataset):
    X, y = classification(dataset, missing=True)
    model.fit(X, y)
    ir = model_to_ir(model)
    assert all("missing_left" in tree for tree in ir["trees"])
    assert_agrees(ir, X, values=model.predict_proba(X), labels=model.predict(X))


@pytest.mark.parametrize("model", REGRESSORS, ids=lambda m: type(m).__name__)
def test_regressors_fitted_on_missing_values(model):
    X, y = regression(missing=True)
    model.fit(X, y)
    assert_agrees(model_to_ir(model), X, values=model.predict(X))


def test_isolation_forest_fitted_on_missing_values():
    X, _ = regression(missing=True)
    model = IsolationForest(n_estimators=30, random_state=0).fit(X)
    assert_agrees(model_to_ir(model), X, values=model.score_samples(X), labels=model.predict(X))


@pytest.mark.parametrize("model", [DecisionTreeClassifier(random_state=0),
                                   RandomForestClassifier(n_estimators=15, random_state=0)],
                         ids=lambda m: type(m).__name__)
def test_trees_fitted_without_nan_send_it_where_predict_does(model):
    """Fitted on complete rows, scikit-learn's predict sends NaN to each split's larger child;
    missing_go_to_left says which, and so does the IR."""
    X, y = classification("breast_cancer", missing=False)
    model.fit(X, y)
    X_missing = with_nan(X)
    assert_agrees(model_to_ir(model), X_missing, values=model.predict_proba(X_missing),
                  labels=model.predict(X_missing))


def test_infinite_threshold_becomes_the_largest_float32():
    """A split "every value left, NaN right" has threshold +inf: it was refused as a NaN or
    infinite threshold; it is now x <= FLT_MAX, the same for every finite float32."""
    X, y = classification("breast_cancer", missing=True)
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    tree = model.tree_
    infinite = np.flatnonzero((tree.children_left != -1) & np.isinf(tree.threshold))
    assert infinite.size, "this data set no longer gives an infinite threshold: pick a split that does"
    ir_tree = model_to_ir(model)["trees"][0]
    threshold = decode_array(ir_tree["threshold"])
    assert np.all(threshold[infinite] == FLOAT32_MAX)
    np.testing.assert_array_equal(decode_array(ir_tree["missing_left"])[infinite], tree.missing_go_to_left[infinite])


@pytest.mark.parametrize("model, dataset", [
    (GradientBoostingClassifier(n_estimators=20, random_state=0), "breast_cancer"),
    (GradientBoostingClassifier(n_estimators=10, random_state=0), "iris"),
    (GradientBoostingRegressor(n_estimators=20, random_state=0), None),
], ids=["binary", "multiclass", "regressor"])
def test_gradient_boosting_routes_nan_by_missing_go_to_left(model, dataset):
    """GradientBoosting's predict refuses NaN; the device sends it the way the stage trees'
    missing_go_to_left say (tree_.predict does the same): checked here against the stage trees'
    own predictions, and on complete rows against predict."""
    X, y = classification(dataset, missing=False) if dataset else regression()
    model.fit(X, y)
    ir = model_to_ir(model)
    decision = model.decision_function(X) if dataset else model.predict(X)
    assert_agrees(ir, X, raw=decision.reshape(len(X), -1))
    X_missing = with_nan(X)
    raw = np.tile(np.asarray(ir["baseline"]), (len(X), 1))
    for stage in model.estimators_:
        for k, tree in enumerate(stage):
            raw[:, k] += model.learning_rate * tree.tree_.predict(X_missing).reshape(-1)
    assert_agrees(ir, X_missing, raw=raw)
