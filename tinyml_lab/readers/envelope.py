"""The IR envelope every reader builds (the top-level keys of docs/ir.md) and the names and
labels it is made of.

Key order: format, version, family, estimator, task, classes, n_features, input_shape,
feature_names, then the family's own keys. The TypeScript core (src/core/ir/envelope.ts) does not
depend on the order; it only keeps the JSON readable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidModelError

IR_FORMAT = "tinyml-lab-ir"
IR_VERSION = 1


def ir_envelope(
    family: str,
    estimator: str,
    task: str,
    n_features: int,
    *,
    classes: list[Any] | None = None,
    input_shape: list[int] | None = None,
    feature_names: list[str] | None = None,
    **family_fields: Any,
) -> dict[str, Any]:
    """The IR of one model: the common keys, then ``family_fields`` in the order given.
    ``classes``, ``input_shape`` and ``feature_names`` are left out when None."""
    ir: dict[str, Any] = {
        "format": IR_FORMAT,
        "version": IR_VERSION,
        "family": family,
        "estimator": estimator,
        "task": task,
    }
    if classes is not None:
        ir["classes"] = classes
    ir["n_features"] = int(n_features)
    if input_shape is not None:
        ir["input_shape"] = [int(n) for n in input_shape]
    if feature_names is not None:
        ir["feature_names"] = feature_names
    ir.update(family_fields)
    return ir


def estimator_name(model: Any) -> str:
    """Public dotted name, e.g. sklearn.ensemble.RandomForestClassifier."""
    cls = type(model)
    module = cls.__module__
    if module.startswith("sklearn."):
        # sklearn.ensemble._forest -> sklearn.ensemble: the documented import path.
        module = ".".join(part for part in module.split(".") if not part.startswith("_"))
    return f"{module}.{cls.__qualname__}"


def class_labels(classes: np.ndarray, where: str) -> list[Any]:
    """``classes_`` as JSON values: bools as 0/1, numbers and strings as they are, anything
    else as its string. ``where`` names them in the error a NaN or infinite label raises
    ("DecisionTreeClassifier.classes_")."""
    labels = []
    for i, c in enumerate(classes.tolist()):
        if isinstance(c, (bool, np.bool_)):
            labels.append(int(c))
        elif isinstance(c, float) and not math.isfinite(c):
            raise InvalidModelError(
                f"{where} holds {c} (class {i}); a header names classes by finite numbers or strings: refit on "
                "labels without NaN or infinity, or map the labels to integers or strings first"
            )
        elif isinstance(c, (int, float, str)):
            labels.append(c)
        else:
            labels.append(str(c))
    return labels


def finite_number(value: Any, short: str, attribute: str) -> float:
    """``float(value)``, or an InvalidModelError naming the estimator's attribute when it is
    NaN or infinite (JSON, the IR and a C constant have no such number). A fitted attribute
    (its name ends in "_") asks for a refit, a parameter for a finite value."""
    number = float(value)
    if not math.isfinite(number):
        fix = ("refit the model on training data without NaN or infinite values" if attribute.endswith("_")
               else f"set {attribute} to the finite value the model was fitted with")
        raise InvalidModelError(f"{short}.{attribute} is {number}; a header holds finite numbers only: {fix}")
    return number


def feature_names_of(model: Any) -> list[str] | None:
    """``feature_names_in_`` as strings (set when the model was fitted on a DataFrame), else None."""
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


__all__ = ["IR_FORMAT", "IR_VERSION", "class_labels", "estimator_name", "feature_names_of", "finite_number",
           "ir_envelope"]
