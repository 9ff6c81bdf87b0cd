"""Missing values (issue 15): NaN features follow each split's learned direction on the device,
as scikit-learn's trees send them (missing_go_to_left, also for trees trained without NaN),
in the WebAssembly build and in the header under gcc, float32 and int16; rows with NaN are
counted apart in the agreement report; models without a rule for NaN, and libraries that
refuse it, say so in one line."""

from __future__ import annotations

import numpy as np
import pytest
from boosting_data import with_nan
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import tinyml_lab
from tinyml_lab.arrays import decode_array
from tinyml_lab.errors import CompilerError, InvalidInputError


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X.astype(np.float32), y, test_size=200, random_state=0, stratify=y)


TREE_CLASSIFIERS = [
    DecisionTreeClassifier(random_state=0),
    RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0),
    ExtraTreesClassifier(n_estimators=20, max_depth=8, random_state=0),
]


@pytest.mark.parametrize("trained_with_nan", [False, True], ids=["trained-without-nan", "trained-with-nan"])
@pytest.mark.parametrize("model", TREE_CLASSIFIERS, ids=lambda m: type(m).__name__)
def test_nan_rows_follow_scikit_learns_directions(cancer, model, trained_with_nan, run_header):
    X_train, X_test, y_train, _ = cancer
    fitted = model.fit(with_nan(X_train, 0.1, seed=1) if trained_with_nan else X_train, y_train)
    X = with_nan(X_test, 0.1)
    converted = tinyml_lab.convert(fitted, name="model")
    report = converted.evaluate(X)
    assert report.missing_rows == int(np.isnan(X).any(axis=1).sum()) > 100
    assert report.label_agreement == 1.0 and report.missing_label_agreement == 1.0, report
    assert report.max_abs_error < 1e-6
    out = run_header(converted.header, X)
    assert np.array_equal(out[:, 0].astype(int), np.searchsorted(fitted.classes_, fitted.predict(X)))
    np.testing.assert_allclose(out[:, 1:], fitted.predict_proba(X), atol=1e-6)


def test_int16_routes_nan_as_float32_does(cancer):
    X_train, X_test, y_train, _ = cancer
    forest = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(with_nan(X_train, 0.1), y_train)
    X = with_nan(X_test, 0.1)
    report = tinyml_lab.convert(forest, name="model", dtype="int16").evaluate(X)
    # quantization may move a split on a value between grid points; NaN itself is never moved
    moved = set(report.rows_with_routing_changes)
    assert set(report.disagreeing_rows) <= moved
    assert report.missing_rows > 100
    # trees trained with NaN split "NaN against every value" (threshold +inf): such splits
    # must not set the feature's scale (they once moved 4,134 splits on these rows)
    assert len(moved) <= 0.02 * len(X), report


def test_int8_refuses_splits_that_send_only_nan_right(cancer):
    X_train, X_test, y_train, _ = cancer
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(with_nan(X_train, 0.1), y_train)
    with pytest.raises(CompilerError, match=r"every value left and only NaN right .*export with int16 or float32"):
        tinyml_lab.convert(forest, dtype="int8")
    assert tinyml_lab.convert(forest, dtype="int16").evaluate(with_nan(X_test, 0.1)).missing_rows > 0


def test_a_regressor_reports_its_error_on_the_rows_with_nan():
    X, y = load_diabetes(return_X_y=True)
    X = X.astype(np.float32)
    model = RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0).fit(with_nan(X, 0.1, seed=2), y)
    report = tinyml_lab.convert(model).evaluate(with_nan(X, 0.2))
    assert report.missing_rows > 200
    assert report.missing_max_abs_error is not None and report.missing_max_abs_error < 1e-3
    assert "rows with NaN" in str(report)


def test_a_library_that_refuses_nan_says_so_in_one_line(cancer):
    X_train, X_test, y_train, _ = cancer
    boosting = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X_train, y_train)
    with pytest.raises(InvalidInputError, match=r"^GradientBoostingClassifier refuses NaN \(Input X contains NaN.*"
                       r"rows of X have no reference.*drop or impute those rows to compare$"):
        tinyml_lab.convert(boosting).evaluate(with_nan(X_test, 0.1))
    # the device itself takes the rows: every split has a direction
    classes, _ = tinyml_lab.convert(boosting).predict_device(with_nan(X_test, 0.1))
    assert classes.shape == (len(X_test),)


def test_models_without_a_rule_for_nan_refuse_it_and_infinity_is_refused_everywhere(cancer):
    X_train, X_test, y_train, _ = cancer
    svm = SVC(gamma=0.001).fit(X_train, y_train)
    with pytest.raises(InvalidInputError, match=r"X row \d+, feature \d+ is nan .*remove or impute NaN"):
        tinyml_lab.convert(svm).evaluate(with_nan(X_test, 0.1))
    with pytest.raises(InvalidInputError, match=r"X_test row \d+, feature \d+ is nan .*remove or impute NaN"):
        tinyml_lab.inspect(svm, with_nan(X_test, 0.1))
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X_train, y_train)
    X = X_test.copy()
    X[3, 4] = np.inf
    with pytest.raises(InvalidInputError, match=r"X row 3, feature 4 is inf .*replace infinite values"):
        tinyml_lab.convert(forest).evaluate(X)
    # the Inspector takes a tree model's rows with NaN as they are
    inspector = tinyml_lab.inspect(forest, with_nan(X_test, 0.1))
    assert np.isnan(decode_array(inspector.data["x"])).any()
