"""Linear models and preprocessing pipelines, read into the neural-net IR.

A linear model is one dense layer: logistic regression with its logistic or softmax output
(predict_proba), the other linear classifiers with their decision scores (``"output":
"decision"``: class 1 where the score is > 0, else the largest score), regressors with none.
A Pipeline's scalers become per-feature affine layers and PCA a dense layer, in front of the
final estimator's layers, so the exported C function takes the raw features: nothing of the
preprocessing is left for the user to rewrite. Public fitted attributes only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidModelError, NotFittedError, UnsupportedModelError
from .ir import IR_FORMAT, IR_VERSION, _class_labels, encode_array, estimator_name

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

#: Preprocessing steps a Pipeline may hold before its final estimator.
TRANSFORMERS = (
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.decomposition.PCA",
)

PIPELINE = "sklearn.pipeline.Pipeline"


def is_linear(name: str) -> bool:
    return name in LINEAR_CLASSIFIERS or name in LINEAR_REGRESSORS


def _finite(short: str, what: str, *arrays: np.ndarray) -> None:
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise InvalidModelError(f"{short}: {what} has NaN or infinite values; the model cannot be exported")


def _dense(weights: np.ndarray, bias: np.ndarray, activation: str) -> dict[str, Any]:
    return {
        "kind": "dense",
        "weights": encode_array(np.asarray(weights, dtype=np.float64), "float64"),
        "bias": encode_array(np.asarray(bias, dtype=np.float64), "float64"),
        "activation": activation,
    }


def linear_to_ir(model: Any) -> dict[str, Any]:
    """The IR of a fitted linear classifier or regressor: one dense layer."""
    name = estimator_name(model)
    short = type(model).__name__
    if not is_linear(name):
        raise UnsupportedModelError(f"{short} ({name}) is not a supported linear model")
    if name == "sklearn.linear_model.RANSACRegressor":
        model = getattr(model, "estimator_", None) or model
    if not hasattr(model, "coef_"):
        raise NotFittedError(f"{short} is not fitted yet: call fit(X, y) before exporting it")
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=np.float64))  # [n_outputs, n_features]
    intercept = np.broadcast_to(np.asarray(model.intercept_, dtype=np.float64), (coef.shape[0],))
    _finite(short, "coef_ or intercept_", coef, intercept)
    n_outputs, n_features = coef.shape
    task = "classification" if name in LINEAR_CLASSIFIERS else "regression"
    output = LINEAR_CLASSIFIERS.get(name, "values")
    activation = "identity"
    classes = None
    if task == "classification":
        classes = _class_labels(np.asarray(model.classes_))
        if output == "probabilities":
            activation = "logistic" if n_outputs == 1 else "softmax"
    ir: dict[str, Any] = {
        "format": IR_FORMAT,
        "version": IR_VERSION,
        "family": "neural_net",
        "estimator": name,
        "task": task,
    }
    if classes is not None:
        ir["classes"] = classes
        ir["output"] = output
    names = getattr(model, "feature_names_in_", None)
    ir.update({
        "n_features": int(n_features),
        "input_shape": [int(n_features)],
        "feature_names": [] if names is None else [str(n) for n in names],
        "n_outputs": int(n_outputs),
        "layers": [_dense(coef.T, intercept, activation)],
    })
    return ir


def _affine(scale: np.ndarray, offset: np.ndarray) -> dict[str, Any]:
    return {
        "kind": "affine",
        "scale": encode_array(np.asarray(scale, dtype=np.float64), "float64"),
        "offset": encode_array(np.asarray(offset, dtype=np.float64), "float64"),
    }


def _reciprocal(values: Any, n: int) -> np.ndarray:
    """1 / values, with sklearn's convention that a missing scale is 1."""
    return np.ones(n) if values is None else 1.0 / np.asarray(values, dtype=np.float64)


def transformer_layers(step: Any, n_in: int) -> tuple[list[dict[str, Any]], int]:
    """IR layers computing a fitted preprocessing step, and the width it outputs."""
    name = estimator_name(step)
    short = type(step).__name__
    if name not in TRANSFORMERS:
        raise UnsupportedModelError(
            f"{short} ({name}) cannot be exported as a pipeline step; supported steps: "
            f"{', '.join(t.rsplit('.', 1)[1] for t in TRANSFORMERS)}"
        )
    if not hasattr(step, "n_features_in_"):
        raise NotFittedError(f"{short} in the pipeline is not fitted yet")
    if int(step.n_features_in_) != n_in:
        raise InvalidModelError(f"{short} expects {step.n_features_in_} features, the step before gives {n_in}")
    if name.endswith("PCA"):  # (x - mean_) @ components_.T, / sqrt(explained_variance_) when whitening
        weights = np.asarray(step.components_, dtype=np.float64).T
        if step.whiten:
            weights = weights / np.sqrt(np.asarray(step.explained_variance_, dtype=np.float64))
        bias = -np.asarray(step.mean_, dtype=np.float64) @ weights
        _finite(short, "components_ or mean_", weights, bias)
        return [_dense(weights, bias, "identity")], int(weights.shape[1])
    if name.endswith("MinMaxScaler"):
        if step.clip:
            raise UnsupportedModelError("MinMaxScaler(clip=True) cannot be exported: clipping is not supported")
        scale, offset = np.asarray(step.scale_, dtype=np.float64), np.asarray(step.min_, dtype=np.float64)
    elif name.endswith("MaxAbsScaler"):
        scale, offset = _reciprocal(step.scale_, n_in), np.zeros(n_in)
    else:  # StandardScaler, RobustScaler: (x - center) / scale
        center = step.mean_ if name.endswith("StandardScaler") else step.center_
        scale = _reciprocal(step.scale_, n_in)
        offset = -(np.zeros(n_in) if center is None else np.asarray(center, dtype=np.float64)) * scale
    _finite(short, "a fitted scale or offset", scale, offset)
    return [_affine(scale, offset)], n_in


def pipeline_to_ir(pipeline: Any, final_to_ir, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a fitted Pipeline of TRANSFORMERS and a final estimator. In front of a
    network (linear models, MLPs) the steps become its first layers; in front of a Gaussian,
    SVM or nearest-neighbour model they become its ``preprocess`` list. ``final_to_ir`` reads
    the final estimator (model_to_ir); X_train, if given, reaches it transformed."""
    steps = [step for _, step in pipeline.steps if step is not None and step != "passthrough"]
    step_names = " -> ".join(type(s).__name__ for s in steps)
    if not steps:
        raise UnsupportedModelError("the Pipeline has no steps")
    # A tinyml_lab.features transformer first: exported as the header's feature stage.
    stage = None
    if steps and hasattr(steps[0], "feature_stage"):
        if not hasattr(steps[0], "n_features_in_"):
            raise NotFittedError(f"{type(steps[0]).__name__} in the pipeline is not fitted yet")
        n_inputs = int(steps[0].n_features_in_)  # raw samples per window or clip
        stage, steps = steps[0].feature_stage(), steps[1:]
        if X_train is not None:
            X_train = pipeline[:1].transform(X_train)
    if not steps:
        raise UnsupportedModelError("the Pipeline has no model after its feature stage")
    *transformers, final = steps
    first = transformers[0] if transformers else final
    if not hasattr(first, "n_features_in_"):
        raise NotFittedError("the Pipeline is not fitted yet: call fit(X, y) before exporting it")
    n_features = int(first.n_features_in_)
    layers: list[dict[str, Any]] = []
    width = n_features
    for step in transformers:
        step_layers, width = transformer_layers(step, width)
        layers += step_layers
    if X_train is not None and transformers:
        for step in transformers:  # the final estimator was fitted on these
            X_train = step.transform(X_train)
    ir = final_to_ir(final, X_train, y_train)
    if ir["n_features"] != width:
        raise InvalidModelError(f"{type(final).__name__} expects {ir['n_features']} features, the steps give {width}")
    names = getattr(pipeline, "feature_names_in_", None)
    ir.update({
        "estimator": f"{PIPELINE}({step_names})",
        "n_features": n_features,
        "feature_names": [] if names is None else [str(n) for n in names],
    })
    if ir["family"] == "neural_net":
        ir.update({"input_shape": [n_features], "layers": layers + ir["layers"]})
    elif ir["family"] in ("gaussian", "svm", "neighbors"):
        if layers:
            ir["preprocess"] = layers
    elif stage is not None and not layers:
        pass  # features straight into trees: the same float32 features as in training
    else:
        raise UnsupportedModelError(
            f"a Pipeline ending in {type(final).__name__} cannot be exported: tree splits are exact on the "
            "raw features, and scaled ones would round differently; export the trees without the scaler"
        )
    if stage is not None:
        ir["feature_stage"] = stage
        ir["n_inputs"] = n_inputs
        ir["feature_names"] = []
    return ir


__all__ = ["LINEAR_CLASSIFIERS", "LINEAR_REGRESSORS", "TRANSFORMERS", "linear_to_ir", "pipeline_to_ir"]
