"""TinyML Lab: scikit-learn models to C for microcontrollers, checked against the reference.

Headless: ``convert(model).save("model.h")``, ``evaluate(model, X, y)``.
In JupyterLab: ``inspect(model, X_test, y_test)`` shows structure, size, header and the
agreement of the C runtime (WebAssembly) with scikit-learn.
"""

from ._version import __version__
from ._widget_base import NPM_PACKAGE
from .arduino import export_arduino
from .bundle import export_bundle
from .convert import AgreementReport, ConvertedModel, convert, evaluate, export_header
from .errors import (
    CompilerError,
    InvalidInputError,
    InvalidModelError,
    NotFittedError,
    TinyMLError,
    UnsupportedModelError,
    show_traceback,
)
from .feature_view import FeatureView, view_features
from .readers import model_to_ir, supported_estimators
from .sweep import SweepResult, sweep
from .widget import Inspector, inspect

__all__ = [
    "AgreementReport",
    "CompilerError",
    "ConvertedModel",
    "FeatureView",
    "Inspector",
    "InvalidInputError",
    "InvalidModelError",
    "NotFittedError",
    "SweepResult",
    "TinyMLError",
    "UnsupportedModelError",
    "__version__",
    "convert",
    "evaluate",
    "export_arduino",
    "export_bundle",
    "export_header",
    "inspect",
    "model_to_ir",
    "show_traceback",
    "supported_estimators",
    "sweep",
    "view_features",
]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": NPM_PACKAGE}]
