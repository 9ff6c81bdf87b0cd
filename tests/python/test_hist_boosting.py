"""HistGradientBoostingClassifier / Regressor read from scikit-learn's private trees, checked
with the NumPy IR evaluator against decision_function / predict_proba / predict, with NaN and
categorical features, and the pinned private layout."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import sklearn
from boosting_data import SPARSE_CATEGORIES, categorical_regression, classification, regression, unseen_categories
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from tree_ir_eval import assert_agrees

from tinyml_lab import model_to_ir
from tinyml_lab.arrays import decode_array
from tinyml_lab.errors import NotFittedError, UnsupportedModelError
from tinyml_lab.readers.sklearn_hist_boosting import VERIFIED_SKLEARN_VERSIONS


def _installed_minor() -> str:
    return ".".join(sklearn.__version__.split(".")[:2])


def test_the_installed_scikit_learn_is_a_verified_version():
    """The reader was checked against the private layout of these versions: when scikit-learn
    moves on, this fails until the tests below pass on the new version and it joins the list."""
    assert _installed_minor() in VERIFIED_SKLEARN_VERSIONS, (
        f"scikit-learn {sklearn.__version__} is not among the verified versions {VERIFIED_SKLEARN_VERSIONS}: run "
        "the tests of this file on it and add it to VERIFIED_SKLEARN_VERSIONS")


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("dataset", ["breast_cancer", "iris", "wine"])
def test_classifier(dataset, missing):
    X, y = classification(dataset, missing)
    model = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X, y)
    ir = model_to_ir(model)
    assert ir["link"] == ("logistic" if dataset == "breast_cancer" else "softmax")
    assert_agrees(ir, X, raw=model.decision_function(X).reshape(len(X), -1), values=model.predict_proba(X),
                  labels=model.predict(X))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("loss, link", [("squared_error", "identity"), ("absolute_error", "identity"),
                                        ("gamma", "exp"), ("poisson", "exp"), ("quantile", "identity")])
def test_regressor_losses(loss, link, missing):
    X, y = regression(missing)
    extra = {"quantile": 0.8} if loss == "quantile" else {}
    model = HistGradientBoostingRegressor(loss=loss, max_iter=40, random_state=0, **extra).fit(X, y)
    ir = model_to_ir(model)
    assert ir["link"] == link and ir["combine"] == "sum"
    assert_agrees(ir, X, raw=model._raw_predict(X), values=model.predict(X))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
def test_categorical_features(missing):
    """Categories given by column index; the second column's values are not 0..n-1 (one is
    300), so the reader folds scikit-learn's ordinal encoding back into the bits. Unknown
    categories, negative values and values beyond the bits take the missing direction."""
    X, y = categorical_regression(missing)
    model = HistGradientBoostingRegressor(max_iter=40, categorical_features=[4, 5], random_state=0).fit(X, y)
    ir = model_to_ir(model)
    categorical_trees = [tree for tree in ir["trees"] if "category_set" in tree]
    assert categorical_trees
    # category 300 needs 10 words of 32 bits (scikit-learn's own bitsets have 8)
    assert SPARSE_CATEGORIES.max() == 300
    assert {tuple(decode_array(tree["category_bits"]).shape[1:]) for tree in categorical_trees} == {(10,)}
    X_test = unseen_categories(X)
    assert_agrees(ir, X_test, raw=model._raw_predict(X_test), values=model.predict(X_test))


def test_categorical_classifier_on_nan():
    X, y = categorical_regression(missing=True)
    labels = (y > np.median(y)).astype(int)
    model = HistGradientBoostingClassifier(max_iter=30, categorical_features=[4, 5], random_state=0).fit(X, labels)
    X_test = unseen_categories(X)
    assert_agrees(model_to_ir(model), X_test, raw=model.decision_function(X_test).reshape(len(X), 1),
                  values=model.predict_proba(X_test), labels=model.predict(X_test))


@pytest.mark.parametrize("category, reason", [(2.5, "the category 2.5"), (-3.0, "the category -3.0")])
def test_categories_the_device_cannot_read_are_refused(category, reason):
    X, y = categorical_regression()
    X[::5, 5] = category
    model = HistGradientBoostingRegressor(max_iter=5, categorical_features=[4, 5]).fit(X, y)
    with pytest.raises(UnsupportedModelError, match=f"categorical feature 5 has {reason}.*whole numbers") as info:
        model_to_ir(model)
    assert "\n" not in str(info.value)


def test_a_changed_private_layout_is_refused_naming_the_version():
    X, y = regression()
    model = copy.deepcopy(HistGradientBoostingRegressor(max_iter=3).fit(X, y))
    predictor = model._predictors[0][0]
    fields = [(name if name != "num_threshold" else "threshold", predictor.nodes.dtype[name])
              for name in predictor.nodes.dtype.names]
    predictor.nodes = predictor.nodes.astype(np.dtype(fields))
    with pytest.raises(UnsupportedModelError) as info:
        model_to_ir(model)
    message = str(info.value)
    assert f"scikit-learn {sklearn.__version__}" in message
    assert "no field num_threshold" in message
    assert f"verified with scikit-learn {', '.join(VERIFIED_SKLEARN_VERSIONS)}" in message


def test_unfitted():
    with pytest.raises(NotFittedError, match="HistGradientBoostingClassifier is not fitted yet"):
        model_to_ir(HistGradientBoostingClassifier())


def test_ir_keys():
    X, y = classification("iris", missing=True)
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(X, y)
    ir = model_to_ir(model)
    assert ir["estimator"] == "sklearn.ensemble.HistGradientBoostingClassifier"
    assert ir["n_outputs"] == 3 and len(ir["baseline"]) == 3
    assert [tree["output"] for tree in ir["trees"][:6]] == [0, 1, 2, 0, 1, 2]
    assert "split_rule" not in ir  # scikit-learn's x <= threshold, the default
