"""Estimators no reader reads, with why and what to use instead: the "not supported" message
quotes this table, then falls back on advice by the kind of estimator (classifier, regressor,
outlier detector, clustering, transformer). Readers keep the advice on the classes of their own
library (XGBRanker, MultiOutputClassifier, ...) in their ``instead`` tables."""

from __future__ import annotations

from typing import Any

_ENSEMBLE_OF_ANY = ("an ensemble of arbitrary base estimators is not read; export each supported estimator on its "
                    "own, or train one ensemble the device reads: RandomForest, GradientBoosting or "
                    "HistGradientBoosting")
_NAIVE_BAYES = ("only the Gaussian naive Bayes is read (its per-class means and variances); GaussianNB, or "
                "LogisticRegression on the same (e.g. count) features, is supported")
_RADIUS = ("the number of neighbours in a radius varies per row, which a device without malloc cannot bound; "
           "KNeighborsClassifier / KNeighborsRegressor are supported")
_KERNEL_ALL_ROWS = ("a kernel model over every training row is not read; SVR / SVC with the same kernel keeps only "
                    "its support vectors and is supported")
_CENTROIDS = ("{what}; with C = {centres} and L = {labels}, convert(KNeighborsClassifier(n_neighbors=1)"
              ".fit(C, L), X_train=C, y_train=L) gives the same labels and is supported")
_SEARCH = "a search wraps the model it found: export model.best_estimator_ (refit=True) instead"

INSTEAD: dict[str, str] = {
    "KMeans": _CENTROIDS.format(what="not read as such, but its predict is the nearest centre",
                                centres="model.cluster_centers_", labels="range(model.n_clusters)"),
    "MiniBatchKMeans": _CENTROIDS.format(what="not read as such, but its predict is the nearest centre",
                                         centres="model.cluster_centers_", labels="range(model.n_clusters)"),
    "NearestCentroid": _CENTROIDS.format(what="not read as such, but its predict is the nearest class centroid",
                                         centres="model.centroids_", labels="model.classes_"),
    "AdaBoostClassifier": _ENSEMBLE_OF_ANY,
    "AdaBoostRegressor": _ENSEMBLE_OF_ANY,
    "BaggingClassifier": _ENSEMBLE_OF_ANY,
    "BaggingRegressor": _ENSEMBLE_OF_ANY,
    "VotingClassifier": _ENSEMBLE_OF_ANY,
    "VotingRegressor": _ENSEMBLE_OF_ANY,
    "StackingClassifier": _ENSEMBLE_OF_ANY,
    "StackingRegressor": _ENSEMBLE_OF_ANY,
    "MultinomialNB": _NAIVE_BAYES,
    "ComplementNB": _NAIVE_BAYES,
    "BernoulliNB": _NAIVE_BAYES,
    "CategoricalNB": _NAIVE_BAYES,
    "RadiusNeighborsClassifier": _RADIUS,
    "RadiusNeighborsRegressor": _RADIUS,
    "KernelRidge": _KERNEL_ALL_ROWS,
    "GaussianProcessClassifier": _KERNEL_ALL_ROWS,
    "GaussianProcessRegressor": _KERNEL_ALL_ROWS,
    "LinearDiscriminantAnalysis": ("not read yet; its decision is linear, so LogisticRegression or LinearSVC on "
                                   "the same data is supported"),
    "QuadraticDiscriminantAnalysis": ("not read yet; GaussianNB (per-class diagonal Gaussians) or a GaussianMixture "
                                      "is supported"),
    "LocalOutlierFactor": ("its score needs every training row and their neighbourhoods; IsolationForest, "
                           "OneClassSVM or EllipticEnvelope are supported outlier detectors"),
    "GridSearchCV": _SEARCH,
    "RandomizedSearchCV": _SEARCH,
    "HalvingGridSearchCV": _SEARCH,
    "HalvingRandomSearchCV": _SEARCH,
    "OneVsRestClassifier": ("a wrapper of one model per class is not read; the supported classifiers (trees, "
                            "boosting, LogisticRegression, SVC, MLPClassifier) take several classes themselves"),
    "OneVsOneClassifier": ("a wrapper of one model per pair of classes is not read; SVC (one-vs-one itself) and the "
                           "other supported classifiers take several classes themselves"),
}

#: Advice by scikit-learn's kind of estimator, for classes the table does not name.
BY_KIND: dict[str, str] = {
    "classifier": ("no reader for this classifier; RandomForestClassifier, HistGradientBoostingClassifier, "
                   "LogisticRegression or MLPClassifier trained on the same data are supported"),
    "regressor": ("no reader for this regressor; RandomForestRegressor, HistGradientBoostingRegressor, Ridge or "
                  "MLPRegressor trained on the same data are supported"),
    "outlier_detector": "no reader for it; IsolationForest, OneClassSVM or EllipticEnvelope are supported",
    "clusterer": ("clustering without a nearest-centre rule is not read; for new rows, train a classifier on its "
                  "cluster labels (e.g. RandomForestClassifier on model.labels_)"),
    "transformer": ("a transformer alone is not a model; as a Pipeline step before a supported model, use "
                    "StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler, PCA or a tinyml_lab.features stage"),
}


def advice_for(model: Any, short_name: str) -> str:
    """Why ``model`` (class ``short_name``) is not read and what to use instead; "" when
    nothing is known about it."""
    if short_name in INSTEAD:
        return INSTEAD[short_name]
    return BY_KIND.get(_estimator_kind(model), "")


def _estimator_kind(model: Any) -> str | None:
    """scikit-learn's kind of estimator ("classifier", "transformer", ...), from its tags
    (scikit-learn >= 1.6) or the older ``_estimator_type``; None for other objects."""
    try:
        from sklearn.utils import get_tags  # noqa: PLC0415 - scikit-learn >= 1.6 only

        tags = get_tags(model)
    except Exception:  # noqa: BLE001 - not a scikit-learn estimator, or an older scikit-learn
        kind = getattr(model, "_estimator_type", None)
        return "transformer" if kind is None and hasattr(model, "transform") and hasattr(model, "fit") else kind
    if tags.estimator_type is not None:
        return tags.estimator_type
    return "transformer" if tags.transformer_tags is not None else None


__all__ = ["BY_KIND", "INSTEAD", "advice_for"]
