"""What a reader module declares: the table of the estimators it reads and how the registry
(readers/__init__.py) finds the reader of a model.

Most models are found by their public class name in the table. Sources that are not named by
class (Keras model objects, paths of saved Keras files) give a ``claims`` predicate instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import UnsupportedModelError
from .envelope import estimator_name


@dataclass(frozen=True)
class Estimator:
    """One row of a reader's table."""

    #: the IR task ("classification", "regression", "anomaly"), or how the model decides it
    task: str
    #: what of the model is read, in a few words
    description: str
    #: how the "supported estimators" list names it; empty: the class name
    label: str = ""


@dataclass(frozen=True)
class Reader:
    """A reader: its table, the function that reads a model into the IR and, for models not
    found by class name, the predicate that recognises them."""

    #: the group name in the "supported estimators" list
    family: str
    #: public dotted class name (or, for files, the suffix) -> Estimator, in the listed order
    estimators: Mapping[str, Estimator]
    #: read(model, X_train, y_train) -> IR; X_train / y_train are None when not given
    read: Callable[[Any, Any, Any], dict[str, Any]]
    #: claims(model) -> bool; None: the model is claimed when its class name is in ``estimators``
    claims: Callable[[Any], bool] | None = None
    #: class names this reader does not read, mapped to what to use instead
    instead: Mapping[str, str] = field(default_factory=dict)

    def reads(self, model: Any, name: str) -> bool:
        """Whether this reader reads ``model``, whose public class name is ``name``."""
        return self.claims(model) if self.claims is not None else name in self.estimators

    def labels(self) -> list[str]:
        """The table's names as the "supported estimators" list shows them."""
        return [entry.label or name.rsplit(".", 1)[-1] for name, entry in self.estimators.items()]


def table_entry(model: Any, table: Mapping[str, Estimator], what: str) -> tuple[str, Estimator]:
    """The public name of ``model`` and its row of ``table``. A reader function called directly
    on a model its table does not list raises UnsupportedModelError "<class> (<name>) is not <what>"."""
    name = estimator_name(model)
    entry = table.get(name)
    if entry is None:
        raise UnsupportedModelError(f"{type(model).__name__} ({name}) is not {what}")
    return name, entry


__all__ = ["Estimator", "Reader", "table_entry"]
