"""The Inspector widget: Python half of src/widgets/inspector.ts (same class names).

The kernel sends the model IR, the test features and scikit-learn's own predictions. The
browser compiles the IR with the TypeScript core, runs the WebAssembly C runtime on the
features, and reports the agreement back into the ``agreement`` trait. Exporting from a
cell (``export_header``) and from the widget's button both write the header that the
same compiler core produced.
"""

from __future__ import annotations

import os
from typing import Any

import ipywidgets as widgets
from traitlets import Dict, Unicode, observe

from ._version import __version__
from .convert import ConvertedModel, compile_options, reference_outputs
from .errors import InvalidInputError
from .ir import check_features, encode_array, input_count, model_to_ir

MODULE_NAME = "tinyml-lab"
MODULE_VERSION = f"^{__version__}"


class Inspector(widgets.DOMWidget):
    """Model structure, C header, flash/RAM estimate and device-vs-reference agreement."""

    _model_name = Unicode("InspectorModel").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_name = Unicode("InspectorView").tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    ir = Dict().tag(sync=True)
    options = Dict().tag(sync=True)
    #: {"x": float32 [n_rows, n_features], "reference": {...}} in the IR's array encoding.
    data = Dict().tag(sync=True)
    #: Written by the browser after it ran the C runtime: rate, confusion, disagreeing rows.
    agreement = Dict().tag(sync=True)
    #: Last export, for the widget's status line.
    export_status = Unicode("").tag(sync=True)

    def __init__(self, model: Any, X_test: Any, y_test: Any = None, *, name: str = "model",
                 dtype: str = "float32", strategy: str = "tables", leaf_dtype: str = "float32",
                 calibration: Any = None, X_train: Any = None, y_train: Any = None, **kwargs: Any):
        # calibration: representative rows for an int8 network (else the widget uses X_test);
        # X_train / y_train: training data of the models that keep it private (see convert)
        ir = model_to_ir(model, X_train, y_train)
        options = compile_options(name, dtype, strategy=strategy, leaf_dtype=leaf_dtype,
                                  calibration=calibration, n_features=input_count(ir))
        super().__init__(ir=ir, options=options, **kwargs)
        self._model = model
        self.set_data(X_test, y_test)
        self.on_msg(self._handle_message)

    def set_data(self, X_test: Any, y_test: Any = None) -> None:
        """Replaces the test rows the widget runs the C runtime on."""
        x32 = check_features(X_test, input_count(self.ir), "X_test")
        if x32.shape[0] == 0:
            raise InvalidInputError("X_test has no rows")
        reference = reference_outputs(self._model, self.ir, x32, y_test)
        self.agreement = {}
        self.data = {"x": encode_array(x32, "float32"), "reference": reference}

    @observe("options")
    def _options_changed(self, change: dict[str, Any]) -> None:
        # The browser may change the feature type; keep it a valid compile option.
        opts = change["new"]
        compile_options(
            opts.get("name", "model"), opts.get("featureType", "float32"), opts.get("standalone", True),
            opts.get("strategy", "tables"), opts.get("leafType", "float32"),
        )

    def converted(self) -> ConvertedModel:
        """The model compiled with the widget's current options (same core as the browser)."""
        return ConvertedModel(self._model, self.ir, dict(self.options))

    @property
    def header(self) -> str:
        return self.converted().header

    def export_header(self, path: str | os.PathLike[str] | None = None) -> str:
        """Writes the header for the current options; returns the path written."""
        target = self.converted().save(path)
        self.export_status = f"wrote {os.path.abspath(target)}"
        return target

    def _handle_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("event") == "export":
            try:
                self.export_header(content.get("path") or None)
            except (OSError, ValueError) as exc:
                self.export_status = f"export failed: {exc}"


def inspect(model: Any, X_test: Any, y_test: Any = None, **options: Any) -> Inspector:
    """Shows a fitted model in JupyterLab: structure, size, C header and device agreement."""
    return Inspector(model, X_test, y_test, **options)


__all__ = ["Inspector", "inspect"]
