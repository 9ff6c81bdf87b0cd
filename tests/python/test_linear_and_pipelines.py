"""Linear models and preprocessing pipelines: one C function from raw features, agreeing with
scikit-learn through gcc and WebAssembly on real data sets."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import split
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.svm import LinearSVC, LinearSVR
from sklearn.tree import DecisionTreeClassifier

import tinyml_lab
from tinyml_lab import UnsupportedModelError

#: float32 against scikit-learn's float64 (the scalers and the dot products round differently)
RTOL = 1e-5


def _labels_agree_away_from_ties(device, reference, scores, margin):
    """Labels equal scikit-learn's wherever its top two scores are more than margin apart."""
    scores = np.asarray(scores).reshape(len(device), -1)
    if scores.shape[1] == 1:
        gap = np.abs(scores[:, 0])
    else:
        top2 = np.sort(scores, axis=1)[:, -2:]
        gap = top2[:, 1] - top2[:, 0]
    clear = gap > margin
    np.testing.assert_array_equal(device[clear], reference[clear])
    return int((~clear).sum())


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits],
                         ids=lambda f: f.__name__[5:])
def test_logistic_regression_in_a_scaling_pipeline(loader, run_header):
    X, y = loader(return_X_y=True)
    X_train, y_train, _, _ = split(X, y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X_train, y_train)
    x32 = X.astype(np.float32)
    proba = model.predict_proba(x32)
    converted = tinyml_lab.convert(model)
    assert converted.ir["layers"][0]["kind"] == "affine"  # the scaler runs on the device
    out = run_header(converted.header, X)
    np.testing.assert_allclose(out[:, 1:], proba, atol=1e-5)
    _labels_agree_away_from_ties(model.classes_[out[:, 0].astype(int)], model.predict(x32), proba, 1e-5)
    report = converted.evaluate(X, y)
    assert report.max_abs_error < 1e-5


@pytest.mark.parametrize(
    "make",
    [lambda: LinearSVC(max_iter=5000), lambda: RidgeClassifier(), lambda: SGDClassifier(random_state=0)],
    ids=["LinearSVC", "RidgeClassifier", "SGDClassifier"],
)
@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine], ids=["binary", "multiclass"])
def test_decision_score_classifiers(make, loader, run_header):
    X, y = loader(return_X_y=True)
    X_train, y_train, _, _ = split(X, y)
    model = make_pipeline(RobustScaler(), make()).fit(X_train, y_train)
    x32 = X.astype(np.float32)
    scores = model.decision_function(x32).reshape(len(X), -1)
    converted = tinyml_lab.convert(model)
    assert "model_decision_function" in converted.header and "model_predict_proba" not in converted.header
    out = run_header(converted.header, X)
    np.testing.assert_allclose(out[:, 1:], scores, rtol=RTOL, atol=RTOL * np.abs(scores).max())
    _labels_agree_away_from_ties(model.classes_[out[:, 0].astype(int)], model.predict(x32), scores,
                                 2 * RTOL * np.abs(scores).max())
    report = converted.evaluate(X, y)
    assert report.label_agreement >= 0.99


@pytest.mark.parametrize(
    "steps",
    [
        [StandardScaler(), LinearRegression()],
        [MinMaxScaler(), Ridge(alpha=0.5)],
        [MaxAbsScaler(), Lasso(alpha=0.1)],
        [StandardScaler(), PCA(n_components=6), ElasticNet(alpha=0.05)],
        [StandardScaler(), PCA(n_components=5, whiten=True), SGDRegressor(random_state=0)],
        [RobustScaler(), LinearSVR(max_iter=5000)],
    ],
    ids=["standard-linear", "minmax-ridge", "maxabs-lasso", "pca-elasticnet", "whiten-sgd", "robust-linearsvr"],
)
def test_regression_pipelines(steps, diabetes, run_header):
    X, y = diabetes
    X_train, y_train, _, _ = split(X, y)
    model = make_pipeline(*steps).fit(X_train, y_train)
    reference = model.predict(X.astype(np.float32))
    converted = tinyml_lab.convert(model)
    out = run_header(converted.header, X)[:, 0]
    np.testing.assert_allclose(out, reference, rtol=RTOL, atol=RTOL * np.abs(reference).max())
    assert tinyml_lab.evaluate(model, X).relative_l2 < RTOL


def test_multi_output_linear_regression(diabetes, run_header):
    X, y = diabetes
    targets = np.stack([y, np.log(y)], axis=1)
    model = LinearRegression().fit(X, targets)
    out = run_header(tinyml_lab.convert(model).header, X)
    np.testing.assert_allclose(out, model.predict(X.astype(np.float32)), rtol=RTOL, atol=RTOL * targets.max())


def test_pca_pipeline_in_front_of_an_mlp_and_in_int8(run_header):
    X, y = load_digits(return_X_y=True)
    X_train, y_train, X_test, y_test = split(X, y)
    model = make_pipeline(StandardScaler(), PCA(n_components=20),
                          MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=0)).fit(X_train, y_train)
    converted = tinyml_lab.convert(model)
    assert [layer["kind"] for layer in converted.ir["layers"]] == ["affine", "dense", "dense", "dense"]
    out = run_header(converted.header, X_test)
    np.testing.assert_allclose(out[:, 1:], model.predict_proba(X_test.astype(np.float32)), atol=1e-5)
    int8 = tinyml_lab.convert(model, dtype="int8", calibration=X_train[:300]).evaluate(X_test, y_test)
    assert int8.label_agreement >= 0.95


def test_pipeline_errors_name_the_step():
    X, y = load_iris(return_X_y=True)
    from sklearn.preprocessing import PolynomialFeatures

    with pytest.raises(UnsupportedModelError, match="PolynomialFeatures .* cannot be exported as a pipeline step"):
        tinyml_lab.convert(make_pipeline(PolynomialFeatures(), LogisticRegression()).fit(X, y))
    with pytest.raises(UnsupportedModelError, match="clip=True"):
        tinyml_lab.convert(make_pipeline(MinMaxScaler(clip=True), LogisticRegression()).fit(X, y))
    with pytest.raises(UnsupportedModelError, match="ending in DecisionTreeClassifier"):
        tinyml_lab.convert(make_pipeline(StandardScaler(), DecisionTreeClassifier()).fit(X, y))


def test_pipelines_in_front_of_gaussian_svm_and_neighbour_models(run_header):
    from sklearn.covariance import EllipticEnvelope
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    X, y = load_wine(return_X_y=True)
    X_train, y_train, X_test, y_test = split(X, y)
    x32 = X_test.astype(np.float32)
    cases = [
        (make_pipeline(StandardScaler(), PCA(n_components=5), GaussianNB()), {}),
        (make_pipeline(StandardScaler(), SVC()), {"X_train": X_train}),  # gamma="scale" on scaled data
        (make_pipeline(MinMaxScaler(), KNeighborsClassifier(n_neighbors=5)), {"X_train": X_train, "y_train": y_train}),
    ]
    for model, data in cases:
        model.fit(X_train, y_train)
        converted = tinyml_lab.convert(model, **data)
        assert converted.ir.get("preprocess"), type(model[-1]).__name__
        assert "model_preprocess" in converted.header
        out = run_header(converted.header, X_test)
        device = model.classes_[out[:, 0].astype(int)]
        assert (device == model.predict(x32)).mean() >= 0.98, type(model[-1]).__name__
        report = converted.evaluate(X_test, y_test)
        assert report.label_agreement >= 0.98
    envelope = make_pipeline(StandardScaler(), EllipticEnvelope(random_state=0)).fit(X_train[:, :6])
    out = run_header(tinyml_lab.convert(envelope).header, X_test[:, :6])
    score = envelope.score_samples(X_test[:, :6].astype(np.float32))
    np.testing.assert_allclose(out[:, 1], score, rtol=1e-4, atol=1e-4 * np.abs(score).max())
