"""The reader registry (tinyml_lab/readers): every estimator is read by exactly one reader, the
"not supported" message is built from the readers' tables, the envelope has one key order."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.cluster import DBSCAN, KMeans
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.multioutput import MultiOutputRegressor
from sklearn.naive_bayes import GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, LocalOutlierFactor, NearestCentroid
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

import tinyml_lab
from tinyml_lab import UnsupportedModelError
from tinyml_lab.readers import READERS, model_to_ir, not_read, supported_estimators, supported_families
from tinyml_lab.readers.envelope import IR_FORMAT, IR_VERSION, estimator_name, ir_envelope


def test_every_name_has_one_reader():
    names = [name for reader in READERS for name in reader.estimators]
    assert len(names) == len(set(names))
    families = [reader.family for reader in READERS]
    assert len(families) == len(set(families))


def test_a_model_is_read_by_the_reader_whose_table_names_it():
    X, y = load_iris(return_X_y=True)
    cases = {
        "scikit-learn trees": RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y),
        "linear models": LogisticRegression(max_iter=300).fit(X, y),
        "Gaussian models": GaussianNB().fit(X, y),
        "pipelines": make_pipeline(StandardScaler(), GaussianNB()).fit(X, y),
    }
    for family, model in cases.items():
        name = estimator_name(model)
        assert [r.family for r in READERS if r.reads(model, name)] == [family]
    keras_file = "model.keras"
    assert [r.family for r in READERS if r.reads(keras_file, estimator_name(keras_file))] == ["saved Keras models"]


def test_supported_list_is_every_table_grouped_by_reader():
    text = supported_estimators()
    groups = text.split("; ")
    assert len(groups) == len(READERS)
    for reader, group in zip(READERS, groups):
        assert group == f"{', '.join(reader.labels())} ({reader.family})"
    assert text.startswith("DecisionTreeClassifier, DecisionTreeRegressor, ")
    assert "MLPClassifier, MLPRegressor, keras.Sequential, functional keras.Model (networks)" in text
    assert "KNeighborsRegressor (support vector machines and nearest neighbours)" in text


class _HomeMadeRegressor(RegressorMixin, BaseEstimator):
    """A regressor no table names: the advice comes from its kind."""


@pytest.mark.parametrize(
    "model, advice",
    [
        (MultiOutputRegressor(LogisticRegression()),
         "is not supported: export one model per output instead (each of its estimators_). Supported: "),
        (MultinomialNB(), "is not supported: only the Gaussian naive Bayes is read"),
        (LocalOutlierFactor(), "IsolationForest, OneClassSVM or EllipticEnvelope are supported outlier detectors"),
        (GridSearchCV(LogisticRegression(), {"C": [1]}), "export model.best_estimator_ (refit=True) instead"),
        # advice by scikit-learn's kind of estimator, for classes the table does not name
        (DBSCAN(), "train a classifier on its cluster labels (e.g. RandomForestClassifier on model.labels_)"),
        (PolynomialFeatures(), "a transformer alone is not a model; as a Pipeline step before a supported model"),
        (_HomeMadeRegressor(), "no reader for this regressor; RandomForestRegressor"),
        (object(), "object (builtins.object) is not supported: no reader for it. Supported: scikit-learn trees"),
    ],
    ids=["multi-output", "naive-bayes", "outliers", "search", "clustering", "transformer", "regressor", "no-advice"],
)
def test_not_supported_says_why_and_what_to_use_instead(model, advice):
    with pytest.raises(UnsupportedModelError) as info:
        model_to_ir(model)
    assert advice in str(info.value)
    assert str(info.value).endswith(f"Supported: {supported_families()} (every estimator: "
                                    "tinyml_lab.supported_estimators(), or `tinyml-lab supported`)")


def test_advice_table_names_only_estimators_no_reader_reads():
    readers_names = {name.rsplit(".", 1)[-1] for reader in READERS for name in reader.estimators}
    assert not set(not_read.INSTEAD) & readers_names
    for reader in READERS:
        assert not set(reader.instead) & set(not_read.INSTEAD), reader.family


@pytest.mark.parametrize("estimator", [KMeans, NearestCentroid])
def test_nearest_centre_advice_gives_the_same_labels_on_the_device(estimator):
    """The KMeans / NearestCentroid advice is exact: a one-neighbour classifier on the centres
    converts, and the device gives the estimator's own labels on every row."""
    X, y = load_iris(return_X_y=True)
    if estimator is KMeans:
        model = KMeans(n_clusters=4, n_init=2, random_state=0).fit(X)
        centres, labels = model.cluster_centers_, np.arange(model.n_clusters)
    else:
        model = NearestCentroid().fit(X, y)
        centres, labels = model.centroids_, model.classes_
    assert "KNeighborsClassifier(n_neighbors=1)" in str(pytest.raises(UnsupportedModelError, model_to_ir, model).value)
    stand_in = KNeighborsClassifier(n_neighbors=1).fit(centres, labels)
    indices, _ = tinyml_lab.convert(stand_in, X_train=centres, y_train=labels).predict_device(X)
    np.testing.assert_array_equal(labels[indices], model.predict(X))


def test_envelope_keys_come_first_in_one_order():
    envelope = ir_envelope("svm", "sklearn.svm.SVC", "classification", 4, classes=[0, 1], feature_names=[],
                           kernel="rbf")
    assert list(envelope) == ["format", "version", "family", "estimator", "task", "classes", "n_features",
                              "feature_names", "kernel"]
    assert envelope["format"] == IR_FORMAT and envelope["version"] == IR_VERSION
    # optional keys are left out, not written as null
    assert "classes" not in ir_envelope("tree_ensemble", "t", "regression", 3, trees=[])
