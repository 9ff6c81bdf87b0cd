"""Preprocessing pipelines: a Pipeline's scalers become per-feature affine layers and PCA a
dense layer, in front of the final estimator's layers (networks, linear models) or as its
``preprocess`` list (Gaussian, SVM, nearest neighbours), so the exported C function takes the
raw features: nothing of the preprocessing is left for the user to rewrite. A
tinyml_lab.features transformer as the first step becomes the header's feature stage.
Public fitted attributes only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arrays import encode_array
from ..errors import InvalidModelError, NotFittedError, UnsupportedModelError
from .envelope import estimator_name, feature_names_of
from .linear import check_finite, dense_layer
from .reader import Estimator, Reader

PIPELINE = "sklearn.pipeline.Pipeline"

#: Preprocessing steps a Pipeline may hold before its final estimator.
TRANSFORMERS = (
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.decomposition.PCA",
)

ESTIMATORS = {
    PIPELINE: Estimator(
        "its final estimator's",
        "preprocessing steps in front of a supported model",
        label=f"Pipeline of {', '.join(t.rsplit('.', 1)[1] for t in TRANSFORMERS)} or a tinyml_lab.features "
        "transformer before one of the above",
    ),
}

#: Meta-estimators of one independent model per output: each can be exported on its own.
INSTEAD = {
    name: "export one model per output instead (each of its estimators_)"
    for name in ("MultiOutputClassifier", "MultiOutputRegressor")
}


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
        check_finite(short, "components_ or mean_", weights, bias)
        return [dense_layer(weights, bias, "identity")], int(weights.shape[1])
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
    check_finite(short, "a fitted scale or offset", scale, offset)
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
    ir.update({
        "estimator": f"{PIPELINE}({step_names})",
        "n_features": n_features,
        "feature_names": feature_names_of(pipeline) or [],
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


def read_pipeline(pipeline: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """pipeline_to_ir with the registry reading the final estimator."""
    from . import read_ir  # noqa: PLC0415 - the registry (readers/__init__.py) imports this module

    return pipeline_to_ir(pipeline, read_ir, X_train, y_train)


READER = Reader("pipelines", ESTIMATORS, read_pipeline, instead=INSTEAD)

__all__ = ["ESTIMATORS", "PIPELINE", "READER", "TRANSFORMERS", "pipeline_to_ir", "transformer_layers"]
