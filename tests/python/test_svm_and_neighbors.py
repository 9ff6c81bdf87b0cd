"""Support vector machines and nearest neighbours: the header (gcc) and the WebAssembly
runtime agree with scikit-learn on real data sets; models that keep their training data
private are exported from the training data the user passes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import split
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, NuSVC, OneClassSVM

import tinyml_lab
from tinyml_lab.errors import InvalidInputError

RTOL = 1e-4  # kernel sums of float32 terms against float64


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _clear_rows(scores, margin):
    scores = np.asarray(scores).reshape(len(scores), -1)
    if scores.shape[1] == 1:
        return np.abs(scores[:, 0]) > margin
    top2 = np.sort(scores, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0] > margin


@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer], ids=["iris", "wine", "breast_cancer"])
def test_svc_matches_sklearn(loader, kernel, run_header):
    X, y = _scaled(loader)
    X_train, y_train, _, _ = split(X, y)
    model = SVC(kernel=kernel, gamma="scale", C=1.0).fit(X_train, y_train)
    x32 = X.astype(np.float32)
    scores = model.decision_function(x32).reshape(len(X), -1)
    converted = tinyml_lab.convert(model, X_train=X_train)
    out = run_header(converted.header, X)
    scale = np.abs(scores).max()
    np.testing.assert_allclose(out[:, 1:], scores, rtol=RTOL, atol=RTOL * scale)
    device = model.classes_[out[:, 0].astype(int)]
    clear = _clear_rows(scores, 2 * RTOL * scale)
    np.testing.assert_array_equal(device[clear], model.predict(x32)[clear])
    assert converted.evaluate(X, y).label_agreement >= 0.99


def test_svc_gamma_scale_needs_the_training_data():
    X, y = _scaled(load_iris)
    model = SVC().fit(X, y)
    with pytest.raises(InvalidInputError, match="pass X_train"):
        tinyml_lab.convert(model)
    assert tinyml_lab.convert(SVC(gamma=0.3).fit(X, y)).ir["gamma"] == 0.3
    assert tinyml_lab.convert(SVC(gamma="auto").fit(X, y)).ir["gamma"] == 0.25


def test_nu_svc_ovo_shape_svr_and_one_class(run_header, diabetes):
    X, y = _scaled(load_wine)
    nu = NuSVC(decision_function_shape="ovo", gamma=0.1).fit(X, y)
    out = run_header(tinyml_lab.convert(nu).header, X)
    np.testing.assert_allclose(out[:, 1:], nu.decision_function(X.astype(np.float32)), rtol=RTOL, atol=RTOL * 10)

    Xd, yd = diabetes
    Xd = StandardScaler().fit_transform(Xd)
    svr = SVR(C=50, gamma=0.05).fit(Xd, yd)
    out = run_header(tinyml_lab.convert(svr).header, Xd)[:, 0]
    reference = svr.predict(Xd.astype(np.float32))
    np.testing.assert_allclose(out, reference, rtol=RTOL, atol=RTOL * np.abs(reference).max())

    Xb, _ = _scaled(load_breast_cancer)
    ocsvm = OneClassSVM(gamma=0.02, nu=0.1).fit(Xb[::2])
    out = run_header(tinyml_lab.convert(ocsvm).header, Xb)
    score = ocsvm.score_samples(Xb.astype(np.float32))
    np.testing.assert_allclose(out[:, 1], score, rtol=RTOL, atol=RTOL * np.abs(score).max())
    clear = np.abs(ocsvm.decision_function(Xb.astype(np.float32))) > RTOL * np.abs(score).max()
    np.testing.assert_array_equal(out[clear, 0], ocsvm.predict(Xb.astype(np.float32))[clear])
    assert tinyml_lab.evaluate(ocsvm, Xb).label_agreement >= 0.99


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "chebyshev", "minkowski"])
def test_knn_classifier_matches_sklearn(metric, weights, run_header):
    X, y = _scaled(load_wine)
    X_train, y_train, X_test, _ = split(X, y)
    params = {"p": 3} if metric == "minkowski" else {}
    model = KNeighborsClassifier(n_neighbors=5, metric=metric, weights=weights, **params).fit(X_train, y_train)
    x32 = X_test.astype(np.float32)
    proba = model.predict_proba(x32)
    converted = tinyml_lab.convert(model, X_train=X_train, y_train=y_train)
    out = run_header(converted.header, X_test)
    # neighbours can swap only where two distances are within float32 rounding: rare, and reported
    close = np.all(np.abs(out[:, 1:] - proba) < 1e-5, axis=1)
    assert close.mean() >= 0.98
    np.testing.assert_array_equal(model.classes_[out[close, 0].astype(int)], model.predict(x32)[close])
    assert converted.evaluate(X_test).label_agreement >= 0.98


def test_knn_regressor_and_the_training_data_it_needs(run_header, diabetes):
    X, y = diabetes
    X_train, y_train, X_test, _ = split(X, y)
    model = KNeighborsRegressor(n_neighbors=7, weights="distance").fit(X_train, y_train)
    out = run_header(tinyml_lab.convert(model, X_train=X_train, y_train=y_train).header, X_test)[:, 0]
    reference = model.predict(X_test.astype(np.float32))
    assert np.mean(np.abs(out - reference) <= 1e-3 * np.abs(reference)) >= 0.98
    with pytest.raises(InvalidInputError, match="pass X_train and y_train"):
        tinyml_lab.convert(model)
    with pytest.raises(InvalidInputError, match="was fitted on"):
        tinyml_lab.convert(model, X_train=X_train[:10], y_train=y_train[:10])
