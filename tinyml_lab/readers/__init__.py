"""Readers: fitted models into the model IR (docs/ir.md), one module per source library or family.

Each reader module declares a ``READER`` (readers/reader.py): the table of the estimators it
reads, the function that reads one, and, for sources not named by class (Keras objects, saved
Keras files), a ``claims`` predicate. ``model_to_ir`` asks the readers of ``READERS`` in order;
the "not supported" message lists their tables. Adding a source means adding a module and
one line below (docs/architecture.md, "Adding a model family").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..arrays import json_ir
from ..errors import UnsupportedModelError
from . import (
    gaussian,
    keras_files,
    lightgbm_models,
    linear,
    networks,
    pipelines,
    sklearn_hist_boosting,
    sklearn_trees,
    svm_neighbors,
    tflite_models,
    xgboost_models,
)
from .envelope import estimator_name
from .not_read import advice_for
from .reader import Reader

#: The readers, in the order they are asked and listed.
READERS: tuple[Reader, ...] = (
    sklearn_trees.READER,
    sklearn_hist_boosting.READER,
    xgboost_models.READER,
    lightgbm_models.READER,
    networks.READER,
    keras_files.READER,
    tflite_models.READER,
    linear.READER,
    gaussian.READER,
    svm_neighbors.READER,
    pipelines.READER,
)


def model_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a fitted estimator, as JSON (docs/ir.md). Raises UnsupportedModelError,
    NotFittedError or InvalidModelError with a message that names the problem. X_train /
    y_train: the data the model was fitted on, for the models that keep it (or what they
    computed from it) private: nearest neighbours, SVC(gamma='scale'); ignored by the others."""
    return json_ir(read_ir(model, X_train, y_train))


def read_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """model_to_ir, with the arrays a reader kept as IRArrays left so (arrays.py): what convert
    hands the engine, which sends them as bytes."""
    name = estimator_name(model)
    for reader in READERS:
        if reader.reads(model, name):
            return reader.read(model, X_train, y_train)
    raise UnsupportedModelError(not_supported_message(model))


def supported_estimators() -> str:
    """Every reader's table as one line: the names of a reader, then its family in parentheses."""
    return "; ".join(f"{', '.join(reader.labels())} ({reader.family})" for reader in READERS)


def model_file_suffixes() -> list[str]:
    """The suffixes of the model files some reader reads (".json", ".txt", ".keras", ...)."""
    return [name for reader in READERS for name in reader.estimators if name.startswith(".")]


def supported_families() -> str:
    """The readers' families, in order: the short "supported" list of a refusal."""
    return ", ".join(reader.family for reader in READERS)


def not_supported_message(model: Any) -> str:
    """What model_to_ir says of a model no reader reads: its name, why it is not read and what
    to use instead (a reader's own advice, then readers/not_read.py), and the supported families
    (for a path: the file types read)."""
    if isinstance(model, (str, os.PathLike)):
        suffix = Path(model).suffix.lower()
        kind = f"{suffix} files are" if suffix else "a path without a suffix is"
        return f"{model}: {kind} not read; model files read: {', '.join(model_file_suffixes())}"
    short = type(model).__name__
    advice = [reader.instead[short] for reader in READERS if short in reader.instead] or [advice_for(model, short)]
    why = "; ".join(text for text in advice if text) or "no reader for it"
    return (f"{short} ({estimator_name(model)}) is not supported: {why}. Supported: {supported_families()} "
            f"(every estimator: tinyml_lab.supported_estimators(), or `tinyml-lab supported`)")


__all__ = ["READERS", "model_file_suffixes", "model_to_ir", "not_supported_message", "read_ir",
           "supported_estimators", "supported_families"]
