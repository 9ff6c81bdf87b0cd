"""Support vector machines and nearest neighbours, read into the "svm" and "neighbors" IR
families.

Both keep data that scikit-learn does not expose as a public fitted attribute in every case:
SVC(gamma="scale") computes gamma from the training data's variance, and the nearest-neighbour
estimators keep their training set privately. TinyML Lab reads public attributes only, so
those models take the training data they were fitted on (``X_train``, ``y_train``); the
agreement report then proves that it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arrays import check_features, encode_array
from ..errors import InvalidInputError, InvalidModelError, NotFittedError, UnsupportedModelError
from .envelope import class_labels, estimator_name, feature_names_of, finite_number, ir_envelope
from .reader import Estimator, Reader, table_entry

SVM_ESTIMATORS = {
    "sklearn.svm.SVC": Estimator("classification", "support vectors and dual coefficients, decision_function"),
    "sklearn.svm.NuSVC": Estimator("classification", "support vectors and dual coefficients, decision_function"),
    "sklearn.svm.SVR": Estimator("regression", "support vectors and dual coefficients"),
    "sklearn.svm.NuSVR": Estimator("regression", "support vectors and dual coefficients"),
    "sklearn.svm.OneClassSVM": Estimator("anomaly", "support vectors and dual coefficients"),
}

NEIGHBOR_ESTIMATORS = {
    "sklearn.neighbors.KNeighborsClassifier": Estimator("classification", "the training set (X_train, y_train)"),
    "sklearn.neighbors.KNeighborsRegressor": Estimator("regression", "the training set (X_train, y_train)"),
}

_KERNELS = ("linear", "rbf", "poly", "sigmoid")
_METRICS = {"euclidean": "euclidean", "l2": "euclidean", "manhattan": "manhattan", "l1": "manhattan",
            "cityblock": "manhattan", "chebyshev": "chebyshev", "infinity": "chebyshev", "minkowski": "minkowski"}


def _gamma(model: Any, short: str, n_features: int, X_train: Any) -> float:
    """The gamma the fitted kernel uses, from public parameters (and the training data for 'scale')."""
    gamma = model.gamma
    if gamma == "auto":
        return 1.0 / n_features
    if gamma == "scale":
        if X_train is None:
            raise InvalidInputError(
                f"{short}(gamma='scale') computed gamma from its training data, and scikit-learn keeps that "
                "value private: pass X_train=<the data it was fitted on> to convert/inspect, or fit with a "
                "number for gamma"
            )
        x = check_features(X_train, n_features, "X_train").astype(np.float64)
        variance = x.var()
        return 1.0 / (n_features * variance) if variance != 0 else 1.0
    return finite_number(gamma, short, "gamma")


def svm_to_ir(model: Any, X_train: Any = None) -> dict[str, Any]:
    """The IR of a fitted SVC, NuSVC, SVR, NuSVR or OneClassSVM (kernels linear, rbf, poly, sigmoid)."""
    name, entry = table_entry(model, SVM_ESTIMATORS, "a supported support vector machine")
    short, task = type(model).__name__, entry.task
    if not hasattr(model, "support_vectors_"):
        raise NotFittedError(f"{short} is not fitted yet: call fit before exporting it")
    if model.kernel not in _KERNELS:
        raise UnsupportedModelError(
            f"{short}(kernel={model.kernel!r}): only {', '.join(_KERNELS)} kernels can be exported")
    n_features = int(model.n_features_in_)
    support = np.asarray(model.support_vectors_, dtype=np.float64)
    dual = np.asarray(model.dual_coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64).reshape(-1)
    if not all(np.all(np.isfinite(a)) for a in (support, dual, intercept)):
        raise InvalidModelError(f"{short}: support vectors or coefficients have NaN or infinite values")
    classes: list[Any] = []
    if task == "classification":
        classes = class_labels(np.asarray(model.classes_), f"{short}.classes_")
    elif task == "anomaly":
        classes = [-1, 1]
    ir = ir_envelope(
        "svm",
        name,
        task,
        n_features,
        classes=classes,
        feature_names=feature_names_of(model) or [],
        kernel=model.kernel,
        gamma=_gamma(model, short, n_features, X_train) if model.kernel != "linear" else 1.0,
        coef0=finite_number(model.coef0, short, "coef0"),
        degree=int(model.degree),
        support_vectors=encode_array(support, "float64"),
        dual_coef=encode_array(dual, "float64"),
        intercept=encode_array(intercept, "float64"),
    )
    if task == "classification":
        ir["n_support"] = [int(n) for n in model.n_support_]
        ir["decision_shape"] = model.decision_function_shape
        ir["output"] = "decision"  # decision_function (predict_proba needs probability=True's Platt model)
    if task == "anomaly":
        ir["offset"] = finite_number(np.asarray(model.offset_).reshape(-1)[0], short, "offset_")
    return ir


def neighbors_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a fitted KNeighborsClassifier/Regressor, from the data it was fitted on."""
    name, entry = table_entry(model, NEIGHBOR_ESTIMATORS, "a supported nearest-neighbour model")
    short, task = type(model).__name__, entry.task
    if not hasattr(model, "n_samples_fit_"):
        raise NotFittedError(f"{short} is not fitted yet: call fit before exporting it")
    metric = _METRICS.get(str(model.effective_metric_))
    if metric is None or callable(model.weights) or model.weights not in ("uniform", "distance"):
        raise UnsupportedModelError(
            f"{short}(metric={model.effective_metric_!r}, weights={model.weights!r}): metrics "
            f"{', '.join(sorted(set(_METRICS.values())))} and weights uniform/distance can be exported"
        )
    if X_train is None or y_train is None:
        raise InvalidInputError(
            f"{short} keeps its training set in private attributes: pass X_train and y_train (the data it "
            "was fitted on) to convert/inspect; the device searches them for the nearest neighbours"
        )
    n_features = int(model.n_features_in_)
    x = check_features(X_train, n_features, "X_train")
    if x.shape[0] != int(model.n_samples_fit_):
        raise InvalidInputError(f"X_train has {x.shape[0]} rows, {short} was fitted on {model.n_samples_fit_}")
    y = np.asarray(y_train)
    if y.shape[0] != x.shape[0]:
        raise InvalidInputError(f"y_train has {y.shape[0]} values for {x.shape[0]} rows of X_train")
    p = finite_number(model.effective_metric_params_.get("p", getattr(model, "p", 2)) or 2, short, "p")
    if metric == "minkowski" and p in (1.0, 2.0):
        metric = "manhattan" if p == 1.0 else "euclidean"
    ir = ir_envelope("neighbors", name, task, n_features, classes=[], feature_names=feature_names_of(model) or [])
    if task == "classification":
        if y.ndim != 1:
            raise UnsupportedModelError(f"{short}: multi-output classification is not supported")
        ir["classes"] = class_labels(np.asarray(model.classes_), f"{short}.classes_")
        lookup = {c: i for i, c in enumerate(np.asarray(model.classes_).tolist())}
        labels = np.array([lookup.get(v, -1) for v in y.tolist()], dtype=np.int32)
        if (labels < 0).any():
            raise InvalidInputError(f"y_train has labels {short} was not fitted on")
        ir["labels"] = encode_array(labels, "int32")
    else:
        targets = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        ir["targets"] = encode_array(targets, "float64")
    ir.update({
        "n_neighbors": int(model.n_neighbors),
        "metric": metric,
        "p": p,
        "weights": model.weights,
        "samples": encode_array(x, "float32"),
    })
    return ir


def svm_or_neighbors_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """svm_to_ir or neighbors_to_ir, by the model's class."""
    if estimator_name(model) in SVM_ESTIMATORS:
        return svm_to_ir(model, X_train)
    return neighbors_to_ir(model, X_train, y_train)


READER = Reader("support vector machines and nearest neighbours", {**SVM_ESTIMATORS, **NEIGHBOR_ESTIMATORS},
                svm_or_neighbors_to_ir)

__all__ = ["NEIGHBOR_ESTIMATORS", "READER", "SVM_ESTIMATORS", "neighbors_to_ir", "svm_or_neighbors_to_ir",
           "svm_to_ir"]
