"""The Inspector widget: Python half of src/widgets/inspector.ts (same class names).

The kernel sends the model IR, the test features and scikit-learn's own predictions. The
browser compiles the IR with the TypeScript core, runs the WebAssembly C runtime on the
features, and reports the agreement back into the ``agreement`` trait. Exporting from a
cell (``export_header``) and from the widget's button both write the header that the
same compiler core produced. ``export_bundle`` (and the widget's "Export bundle" button)
writes an export bundle for the selected option from the widget's own test rows and
reference outputs, and can run it on an emulated Cortex-M4F (tinyml_lab.bundle);
``export_arduino`` (the "Arduino library" button) writes the Arduino library of that option
with the same test vectors (tinyml_lab.arduino).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from traitlets import Bool, Dict, Unicode, observe

from . import _engine
from ._widget_base import TinyMLWidget
from .arduino import ArduinoLibrary, write_arduino
from .arrays import check_features, decode_array, encode_array, input_count, require_rows
from .bundle import APT_PACKAGES, Bundle, HarnessRun, ToolchainError, run_in_qemu, write_bundle
from .convert import DEFAULT_TARGET, ConvertedModel, compile_options, option_label, reference_outputs
from .errors import InvalidInputError, TinyMLError
from .packed_state import is_packed, pack_arrays, unpack_arrays
from .readers import model_to_ir

#: Test vectors in a bundle unless asked otherwise (as tests/python/test_bundle.py uses).
DEFAULT_BUNDLE_VECTORS = 40

#: What run_in_qemu calls: building needs make and the Arm compiler, counting needs nm.
QEMU_TOOLS = ("make", "arm-none-eabi-gcc", "arm-none-eabi-nm", "qemu-system-arm")


def missing_qemu_tools() -> list[str]:
    """The tools of QEMU_TOOLS not on PATH."""
    return [tool for tool in QEMU_TOOLS if shutil.which(tool) is None]


@dataclass
class ExportedBundle:
    """What Inspector.export_bundle wrote and, with run=True, what the harness said in QEMU."""

    bundle: Bundle
    #: the option the bundle was compiled for, as the widget's trade-off table names it
    option: str
    n_vectors: int
    run: HarnessRun | None = None

    @property
    def path(self) -> Path:
        return self.bundle.path

    @property
    def files(self) -> list[str]:
        return self.bundle.files

    def status(self) -> str:
        """The widget's status line (one line per fact)."""
        lines = [f"wrote bundle {os.path.abspath(self.path)} ({self.n_vectors} vectors, {self.option}): "
                 + ", ".join(self.files)]
        if self.run is not None:
            lines.append(run_status(self.run))
        return "\n".join(lines)


def run_status(run: HarnessRun) -> str:
    """The harness's agreement lines and the mean instructions per inference."""
    lines = [f"emulated Cortex-M4F (QEMU mps2-an386): RESULT {'PASS' if run.passed else 'FAIL'}"]
    lines += [a.line for a in run.agreement]
    if run.mean_instructions is not None:
        lines.append(f"mean {run.mean_instructions:.0f} instructions per inference "
                     "(QEMU instruction count, not cycles)")
    return "\n".join(lines)


def _require_qemu_tools() -> None:
    missing = missing_qemu_tools()
    if missing:
        packages = " ".join(dict.fromkeys(APT_PACKAGES[tool] for tool in missing))
        raise ToolchainError(f"running the bundle on an emulated Cortex-M4F needs {', '.join(missing)} "
                             f"on PATH (apt-get install {packages})")


def _vector_rows(n_rows: int, n_vectors: Any) -> np.ndarray:
    """Up to n_vectors row indices spread evenly over the test rows (first and last
    included): the rows are often sorted by class, so the first N may hold only one."""
    if isinstance(n_vectors, bool) or not isinstance(n_vectors, (int, np.integer)) or n_vectors < 1:
        raise InvalidInputError(f"n_vectors must be a positive integer, got {n_vectors!r}")
    n = min(int(n_vectors), n_rows)
    # step (n_rows - 1) / (n - 1) >= 1, so the floored indices are distinct
    return np.linspace(0, n_rows - 1, n).astype(np.int64) if n > 1 else np.zeros(1, dtype=np.int64)


def _holds_nan(X: Any) -> bool:
    """Whether X holds a NaN; False for what is not numeric (check_features names the problem)."""
    try:
        return bool(np.isnan(np.asarray(X, dtype=np.float64)).any())
    except (TypeError, ValueError):
        return False


def _arrays_as_buffers(value: Any, _widget: Any = None) -> Any:
    """The widget state of an IR or of test rows: its arrays packed into deflated binary buffers
    (ipywidgets sends bytes beside the JSON): a 500-tree forest's 11 MB of arrays travel as
    1.2 MB (tinyml_lab.packed_state; src/widgets/buffers.ts reads them back)."""
    return pack_arrays(value)


def _arrays_from_buffers(value: Any, _widget: Any = None) -> Any:
    """Inverse of _arrays_as_buffers: what the browser sends back, in the IR's base64 form
    (packed, or each array's bytes as one buffer: the form sent before packing)."""
    if is_packed(value):
        return unpack_arrays(value)
    if isinstance(value, dict):
        if isinstance(value.get("data"), (bytes, memoryview)) and "dtype" in value:
            return {**value, "data": base64.b64encode(value["data"]).decode("ascii")}
        return {key: _arrays_from_buffers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_arrays_from_buffers(item) for item in value]
    return value


#: the sync options of the traits that hold encoded arrays
_BINARY = {"sync": True, "to_json": _arrays_as_buffers, "from_json": _arrays_from_buffers}


class Inspector(TinyMLWidget):
    """Model structure, C header, flash/RAM estimate and device-vs-reference agreement."""

    _model_name = Unicode("InspectorModel").tag(sync=True)
    _view_name = Unicode("InspectorView").tag(sync=True)

    ir = Dict().tag(**_BINARY)
    options = Dict().tag(sync=True)
    #: {"x": float32 [n_rows, n_features], "reference": {...}} in the IR's array encoding.
    data = Dict().tag(**_BINARY)
    #: Written by the browser after it ran the C runtime: rate, confusion, disagreeing rows.
    agreement = Dict().tag(sync=True)
    #: Last export, for the widget's status line.
    export_status = Unicode("").tag(sync=True)
    #: Whether the kernel can run a bundle in QEMU (the widget offers it only then).
    can_run_bundle = Bool(False).tag(sync=True)
    #: The target profile the verdict line answers for ("does it fit?"); the widget's picker sets it.
    #: strategy="auto" chooses for the one given to inspect() (options["target"]).
    target = Unicode(DEFAULT_TARGET).tag(sync=True)

    def __init__(self, model: Any, X_test: Any, y_test: Any = None, *, name: str = "model",
                 dtype: str = "float32", strategy: str = "tables", leaf_dtype: str = "float32",
                 calibration: Any = None, X_train: Any = None, y_train: Any = None,
                 target: str = DEFAULT_TARGET, **kwargs: Any):
        # calibration: representative rows for an int8 network (else the widget uses X_test);
        # X_train / y_train: training data of the models that keep it private (see convert)
        ir = model_to_ir(model, X_train, y_train)
        # strategy="auto" chooses for the target given here (the picker moves the verdict only)
        options = compile_options(name, dtype, strategy=strategy, leaf_dtype=leaf_dtype,
                                  calibration=calibration, n_features=input_count(ir), target=target)
        super().__init__(ir=ir, options=options, can_run_bundle=not missing_qemu_tools(), target=target, **kwargs)
        self._model = model
        self._bundle_thread: threading.Thread | None = None
        self._accepts_nan: bool | None = None
        self.set_data(X_test, y_test)
        self.on_msg(self._handle_message)

    def set_data(self, X_test: Any, y_test: Any = None) -> None:
        """Replaces the test rows the widget runs the C runtime on."""
        if self._accepts_nan is None and _holds_nan(X_test):
            # asked once, and only of rows with a NaN: the core parses the whole IR for it
            # (0.2 s for a 500-tree forest, a tenth of the Inspector's time to show)
            self._accepts_nan = bool(_engine.call("exportOptions", self.ir)["accepts_nan"])
        x32 = require_rows(check_features(X_test, input_count(self.ir), "X_test", allow_nan=bool(self._accepts_nan)),
                           "X_test", "the Inspector compares the C runtime with the model on its rows")
        reference = reference_outputs(self._model, self.ir, x32, y_test)
        self.agreement = {}
        self.data = {"x": encode_array(x32, "float32"), "reference": reference}

    @observe("options")
    def _options_changed(self, change: dict[str, Any]) -> None:
        # The browser may change the feature type; keep it a valid compile option.
        opts = change["new"]
        compile_options(
            opts.get("name", "model"), opts.get("featureType", "float32"), opts.get("standalone", True),
            opts.get("strategy", "tables"), opts.get("leafType", "float32"), target=opts.get("target", DEFAULT_TARGET),
        )

    def converted(self) -> ConvertedModel:
        """The model compiled with the widget's current options (same core as the browser)."""
        options = dict(self.options)
        if "calibration" not in options and self.data.get("x") and "input_quantization" not in self.ir:
            # as the browser does: an int8 network without calibration rows is calibrated on X_test
            # (a quantized file brings its own numbers)
            options["calibration"] = self.data["x"]
        return ConvertedModel(self._model, self.ir, options)

    @property
    def header(self) -> str:
        return self.converted().header

    def export_header(self, path: str | os.PathLike[str] | None = None) -> str:
        """Writes the header for the current options; returns the path written."""
        target = self.converted().save(path)
        self.export_status = f"wrote {os.path.abspath(target)}"
        return target

    def export_bundle(self, path: str | os.PathLike[str] | None = None, n_vectors: int = DEFAULT_BUNDLE_VECTORS,
                      run: bool = False, *, timeout: float = 600) -> ExportedBundle:
        """Writes an export bundle (default directory <name>_bundle) for the current options:
        the header, up to ``n_vectors`` of the widget's test rows (spread evenly) with the
        reference outputs the widget holds, the harness, target glue, Makefile and README.
        With ``run``, builds it and runs it on an emulated Cortex-M4F (qemu-system-arm
        mps2-an386); the result's ``run`` holds the agreement lines and instruction counts."""
        try:
            if run:
                _require_qemu_tools()  # before writing anything: the user asked for both
            exported = self._write_bundle(path, n_vectors)
            self.export_status = exported.status()
            if run:
                exported.run = run_in_qemu(exported.path, timeout=timeout)
                self.export_status = exported.status()
        except Exception as exc:
            # the widget shows the failure too, the cell gets the exception
            self.export_status = f"bundle failed: {exc}"
            raise
        return exported

    def _write_bundle(self, path: str | os.PathLike[str] | None, n_vectors: Any) -> ExportedBundle:
        x, reference = self._test_vectors(n_vectors)
        converted = self.converted()
        bundle = write_bundle(converted, x, reference, path or None)
        return ExportedBundle(bundle, self._option_label(converted), len(x))

    def _test_vectors(self, n_vectors: Any) -> tuple[np.ndarray, dict[str, Any]]:
        """Up to n_vectors of the widget's test rows (spread evenly) and the reference outputs
        the widget already holds (no second predict), cut to the same rows."""
        encoded = self.data.get("x")
        if not encoded:
            raise InvalidInputError("the widget has no test rows: call set_data(X_test, y_test)")
        x = decode_array(encoded)
        if x.ndim != 2 or x.shape[0] == 0:
            raise InvalidInputError("the widget has no test rows: call set_data(X_test, y_test)")
        rows = _vector_rows(x.shape[0], n_vectors)
        reference = {key: encode_array(decode_array(value)[rows], value["dtype"])
                     for key, value in (self.data.get("reference") or {}).items()}
        return x[rows], reference

    def export_arduino(self, path: str | os.PathLike[str] | None = None,
                       n_vectors: int = DEFAULT_BUNDLE_VECTORS) -> ArduinoLibrary:
        """Writes the Arduino library of the current options (default directory <name>_arduino):
        library.properties, src/<name>.h and the example examples/<name>_test, whose test
        vectors are up to ``n_vectors`` of the widget's rows (spread evenly) with the reference
        outputs the widget holds (tinyml_lab.arduino). The widget's status line says where."""
        try:
            x, reference = self._test_vectors(n_vectors)
            converted = self.converted()
            library = write_arduino(converted, x, reference, path or f"{converted.name}_arduino")
        except Exception as exc:
            self.export_status = f"Arduino library failed: {exc}"  # the widget shows it, the cell gets the exception
            raise
        self.export_status = (f"wrote Arduino library {os.path.abspath(library.path)} ({len(x)} vectors, "
                              f"{self._option_label(converted)}): src/{library.name}.h, example "
                              f"examples/{library.example.name}; copy the folder into your Arduino libraries folder")
        return library

    def _option_label(self, converted: ConvertedModel) -> str:
        """The option as the trade-off table names it (the family's optionLabel, through the engine)."""
        options = converted.options
        return option_label(_engine.call("exportOptions", self.ir), options["featureType"], converted.strategy,
                            options["leafType"])

    def _export_bundle_from_widget(self, content: dict[str, Any]) -> None:
        """The button: writes the bundle now, runs QEMU (seconds) in a thread so the kernel
        stays free; every outcome lands in export_status."""
        if self._bundle_thread is not None and self._bundle_thread.is_alive():
            self.export_status = "bundle failed: the previous bundle is still running in QEMU"
            return
        run = bool(content.get("run"))
        # A change even when the result repeats the last one: the browser shows "writing…" till then.
        self.export_status = "writing the bundle…"
        try:
            if run:
                _require_qemu_tools()
            exported = self._write_bundle(content.get("path") or None,
                                          content.get("n_vectors", DEFAULT_BUNDLE_VECTORS))
        except (OSError, TinyMLError, ValueError) as exc:
            self.export_status = f"bundle failed: {exc}"
            return
        written = exported.status()
        if not run:
            self.export_status = written
            return
        self.export_status = f"{written}\nrunning it on an emulated Cortex-M4F (QEMU mps2-an386)…"

        def work() -> None:
            try:
                exported.run = run_in_qemu(exported.path)
                self.export_status = exported.status()
            except Exception as exc:  # noqa: BLE001 - a thread's exception would vanish; show every one
                self.export_status = f"{written}\nbundle failed: running it in QEMU: {exc}"

        self._bundle_thread = threading.Thread(target=work, name="tinyml-bundle-qemu", daemon=True)
        self._bundle_thread.start()

    def _handle_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("event") == "export":
            try:
                self.export_header(content.get("path") or None)
            except (OSError, ValueError) as exc:
                self.export_status = f"export failed: {exc}"
        elif content.get("event") == "export_bundle":
            self._export_bundle_from_widget(content)
        elif content.get("event") == "export_arduino":
            # export_arduino puts a failure's one-line reason in export_status, which the widget shows
            with contextlib.suppress(OSError, TinyMLError, ValueError):
                self.export_arduino(content.get("path") or None, content.get("n_vectors", DEFAULT_BUNDLE_VECTORS))


def inspect(model: Any, X_test: Any, y_test: Any = None, **options: Any) -> Inspector:
    """Shows a fitted model in JupyterLab: structure, size, C header and device agreement."""
    return Inspector(model, X_test, y_test, **options)


__all__ = ["ExportedBundle", "Inspector", "inspect"]
