"""Linear models, read into the neural-net IR (public fitted attributes only).

A linear model is one dense layer: logistic regression with its logistic or softmax output
(predict_proba), the other linear classifiers with their decision scores (``"output":
"decision"``: class 1 where the score is > 0, else the largest score), regressors with none.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arrays import encode_array
from ..errors import InvalidModelError, NotFittedError
from .envelope import class_labels, feature_names_of, ir_envelope
from .reader import Estimator, Reader, table_entry

#: Classifiers: how their outputs read (probabilities through a link, or decision scores).
LINEAR_CLASSIFIERS = {
    "sklearn.linear_model.LogisticRegression": "probabilities",
    "sklearn.linear_model.LogisticRegressionCV": "probabilities",
    "sklearn.svm.LinearSVC": "decision",
    "sklearn.linear_model.SGDClassifier": "decision",
    "sklearn.linear_model.RidgeClassifier": "decision",
    "sklearn.linear_model.RidgeClassifierCV": "decision",
    "sklearn.linear_model.Perceptron": "decision",
    "sklearn.linear_model.PassiveAggressiveClassifier": "decision",
}

#: Regressors whose prediction is X @ coef_.T + intercept_ (no link function).
LINEAR_REGRESSORS = {
    f"sklearn.linear_model.{name}"
    for name in (
        "LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV",
        "SGDRegressor", "HuberRegressor", "BayesianRidge", "ARDRegression", "Lars", "LarsCV",
        "LassoLars", "LassoLarsCV", "LassoLarsIC", "OrthogonalMatchingPursuit", "TheilSenRegressor",
        "QuantileRegressor", "RANSACRegressor",
    )
} | {"sklearn.svm.LinearSVR"}

_OUTPUTS = {"probabilities": "predict_proba (logistic or softmax output)", "decision": "decision_function scores"}
#: The reader's table; the "supported estimators" list shows it in this (alphabetical) order.
ESTIMATORS = {
    name: Estimator("classification", f"one dense layer, {_OUTPUTS[LINEAR_CLASSIFIERS[name]]}")
    if name in LINEAR_CLASSIFIERS else Estimator("regression", "one dense layer, X @ coef_.T + intercept_")
    for name in sorted((*LINEAR_CLASSIFIERS, *LINEAR_REGRESSORS), key=lambda n: n.rsplit(".", 1)[1])
}


def check_finite(short: str, what: str, *arrays: np.ndarray) -> None:
    """InvalidModelError naming ``what`` of ``short`` unless every value is finite."""
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise InvalidModelError(f"{short}: {what} has NaN or infinite values; the model cannot be exported")


def dense_layer(weights: np.ndarray, bias: np.ndarray, activation: str) -> dict[str, Any]:
    """A float64 dense layer (pipelines.py writes PCA as one)."""
    return {
        "kind": "dense",
        "weights": encode_array(np.asarray(weights, dtype=np.float64), "float64"),
        "bias": encode_array(np.asarray(bias, dtype=np.float64), "float64"),
        "activation": activation,
    }


def linear_to_ir(model: Any) -> dict[str, Any]:
    """The IR of a fitted linear classifier or regressor: one dense layer."""
    name, entry = table_entry(model, ESTIMATORS, "a supported linear model")
    short, task = type(model).__name__, entry.task
    if name == "sklearn.linear_model.RANSACRegressor":
        model = getattr(model, "estimator_", None) or model
    if not hasattr(model, "coef_"):
        raise NotFittedError(f"{short} is not fitted yet: call fit(X, y) before exporting it")
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))  # [n_outputs, n_features]
    intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (coef.shape[0],))
    check_finite(short, "coef_ or intercept_", coef, intercept)
    n_outputs, n_features = coef.shape
    output = LINEAR_CLASSIFIERS.get(name, "values")
    activation = "identity"
    classes = None
    if task == "classification":
        classes = class_labels(np.asarray(model.classes_), f"{short}.classes_")
        if output == "probabilities":
            activation = "logistic" if n_outputs == 1 else "softmax"
    # classifiers say how their outputs read; regressors have values only
    outputs = {"output": output} if task == "classification" else {}
    return ir_envelope(
        "neural_net",
        name,
        task,
        n_features,
        classes=classes,
        input_shape=[n_features],
        feature_names=feature_names_of(model) or [],
        **outputs,
        n_outputs=int(n_outputs),
        layers=[dense_layer(coef.T, intercept, activation)],
    )


def read_linear(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """linear_to_ir for the registry (X_train / y_train are not needed)."""
    return linear_to_ir(model)


READER = Reader("linear models", ESTIMATORS, read_linear)

__all__ = ["ESTIMATORS", "LINEAR_CLASSIFIERS", "LINEAR_REGRESSORS", "READER", "dense_layer", "check_finite",
           "linear_to_ir"]


