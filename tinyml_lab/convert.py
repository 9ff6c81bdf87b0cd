"""Headless API: convert a fitted model to C, save the header, run the C runtime on data.

Everything here runs the TypeScript compiler core and the WebAssembly build of the C
runtime inside an embedded V8 (see _engine.py): no browser and no Node install needed.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _engine
from .arrays import check_features, encode_array, input_count, ir_array, json_ir, require_rows
from .errors import InvalidInputError, InvalidModelError, first_line
from .readers import lightgbm_models, read_ir, xgboost_models
from .readers.tflite_models import is_tflite_file, tflite_reference

#: Boosters and saved files of the boosting libraries: reference outputs from the library's predict
BOOSTER_REFERENCES = (xgboost_models, lightgbm_models)

# Every value the compiler takes (resolveOptions in src/core/compile.ts), for checking options
# before there is an IR to ask about: the CLI's choices and compile_options. Which of them a
# given model offers comes from the compiler (headless.exportOptions, see sweep.py);
# test_sweep.py checks that these lists are the union of what it offers.
FEATURE_TYPES = ("float32", "int16", "int8")
STRATEGIES = ("tables", "inline", "auto")
LEAF_TYPES = ("float32", "uint8", "int16")
#: The target profile strategy="auto" chooses for unless told (DEFAULT_TARGET in src/core/options.ts);
#: the profiles themselves are the compiler's (src/core/estimate/profiles.ts).
DEFAULT_TARGET = "cortex-m4f"


def option_label(offered: dict[str, Any], dtype: str, strategy: str, leaf_dtype: str) -> str:
    """An export option's name as the Inspector's trade-off table and the sweep show it
    ("int16 · tables · u8 leaves", a network's "int8"): the family's optionLabel, which
    headless.exportOptions (``offered``) lists for each option it offers."""
    return offered["labels"][f"{dtype}/{strategy}/{leaf_dtype}"]


def compile_options(
    name: str = "model",
    dtype: str = "float32",
    standalone: bool = True,
    strategy: str = "tables",
    leaf_dtype: str = "float32",
    calibration: Any = None,
    n_features: int | None = None,
    target: str = DEFAULT_TARGET,
) -> dict[str, Any]:
    """Options in the form the compiler core takes (CompileOptions in src/core/options.ts).

    ``calibration`` (int8 networks): representative input rows, checked against n_features.
    ``target``: the profile strategy="auto" chooses for (the compiler checks the name).
    """
    if not isinstance(name, str):
        raise InvalidInputError(f"name must be a C identifier such as 'model', got {name!r}")
    for value, allowed, what in ((dtype, FEATURE_TYPES, "dtype"), (strategy, STRATEGIES, "strategy"),
                                 (leaf_dtype, LEAF_TYPES, "leaf_dtype")):
        if value not in allowed:
            raise InvalidInputError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
    check_target(target)
    options: dict[str, Any] = {"name": name, "featureType": dtype, "standalone": bool(standalone),
                               "strategy": strategy, "leafType": leaf_dtype, "target": target}
    if calibration is not None:
        if n_features is None:
            raise InvalidInputError("calibration rows need the model's feature count")
        # NaN passes here: the family that reads calibration rows (int8 networks) refuses it
        # itself, and trees, which route NaN, ignore them (a sweep hands every int8 option rows)
        options["calibration"] = encode_array(check_features(calibration, n_features, "calibration",
                                                             allow_nan=True), "float32")
    return options


def check_target(target: Any) -> None:
    """Raises InvalidInputError unless ``target`` names one of the compiler's target profiles."""
    ids = [t["id"] for t in _engine.call("targetProfiles")["targets"]]
    if target not in ids:
        raise InvalidInputError(f"unknown target {target!r}; use one of {', '.join(ids)}")


@dataclass
class AgreementReport:
    """How the C runtime's output compares with the reference (scikit-learn) on the same rows."""

    task: str
    n_rows: int
    label_agreement: float | None
    disagreeing_rows: list[int]
    #: confusion[reference class][device class] (rows); None beyond 64 classes, see confusion_cells
    confusion: list[list[int]] | None
    device_accuracy: float | None
    reference_accuracy: float | None
    max_abs_error: float | None
    #: mixtures: score_samples (log-likelihood) of the device against the reference's
    score_max_abs_error: float | None
    score_relative_l2: float | None
    rmse: float | None
    relative_l2: float | None
    cosine_similarity: float | None
    #: rows per class (in the order of classes_) as sklearn and as the device assign them
    reference_class_counts: list[int] | None
    device_class_counts: list[int] | None
    #: int16 only: splits that quantization routes differently from sklearn, one dict per
    #: (row, tree) with the sklearn node index, feature, value and threshold.
    routing_changes: list[dict[str, Any]]
    rows_with_routing_changes: list[int]
    device_classes: np.ndarray = field(repr=False)
    device_values: np.ndarray = field(repr=False)
    #: the non-zero cells of the confusion matrix, (reference class, device class, rows)
    confusion_cells: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    #: device values that are NaN or infinite where the reference's are finite, and their rows:
    #: each is a disagreement, and the error figures above leave them out
    #: rows of X with a NaN feature, and the agreement on those rows alone
    missing_rows: int = 0
    missing_label_agreement: float | None = None
    missing_max_abs_error: float | None = None
    non_finite_values: int = 0
    non_finite_rows: list[int] = field(default_factory=list)
    #: what the export may have lost and why (calibration, fixed-point leaves, ...)
    warnings: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        """Whether anything was compared: labels, or values against the reference's."""
        return self.label_agreement is not None or self.relative_l2 is not None

    def failures(self, min_agreement: float | None = None, max_relative_error: float | None = None) -> list[str]:
        """Why the device is outside these tolerances (empty: within them). Non-finite device
        output always fails, and so does a report that measured nothing."""
        failures = []
        if self.non_finite_values:
            failures.append(f"the device gave {self.non_finite_values} NaN or infinite value(s), on "
                            f"{len(self.non_finite_rows)} row(s) (first: {self.non_finite_rows[:5]}); the "
                            "reference's are finite: the model's sums overflow float32 there")
        if not self.measured:
            failures.append("nothing was measured: the reference gave neither labels nor values to compare")
        if min_agreement is not None and self.label_agreement is not None and self.label_agreement < min_agreement:
            failures.append(f"label agreement {self.label_agreement:.4%} is below {min_agreement:.4%} "
                            f"({len(self.disagreeing_rows)} rows differ)")
        if (max_relative_error is not None and self.relative_l2 is not None
                and not self.relative_l2 <= max_relative_error):
            failures.append(f"relative L2 error {self.relative_l2:.3g} is above {max_relative_error:.3g}")
        return failures

    def __str__(self) -> str:
        lines = [f"{self.task}, {self.n_rows} rows"]
        if self.label_agreement is not None:
            lines.append(
                f"label agreement {self.label_agreement:.2%} "
                f"({self.n_rows - len(self.disagreeing_rows)}/{self.n_rows} rows)"
            )
        if self.device_accuracy is not None:
            lines.append(f"accuracy device {self.device_accuracy:.4f}, reference {self.reference_accuracy:.4f}")
        if self.max_abs_error is not None:
            lines.append(
                f"max abs error {self.max_abs_error:.3g}, RMSE {self.rmse:.3g}, "
                f"relative L2 {self.relative_l2:.3g}, cosine {self.cosine_similarity:.9f}"
            )
        if self.reference_class_counts is not None:
            lines.append(f"rows per class: reference {self.reference_class_counts}, device {self.device_class_counts}")
        if self.missing_rows:
            on_them = (f"label agreement {self.missing_label_agreement:.2%}" if self.missing_label_agreement is not None
                       else f"max abs error {self.missing_max_abs_error:.3g}")
            lines.append(f"rows with NaN: {self.missing_rows}, {on_them} on them")
        if self.routing_changes:
            lines.append(
                f"quantization routes {len(self.routing_changes)} splits differently, "
                f"on {len(self.rows_with_routing_changes)} rows"
            )
        if self.disagreeing_rows:
            more = " ..." if len(self.disagreeing_rows) > 20 else ""
            lines.append(f"disagreeing rows: {self.disagreeing_rows[:20]}{more}")
        if self.non_finite_values:
            more = " ..." if len(self.non_finite_rows) > 20 else ""
            lines.append(f"NaN or infinite device values: {self.non_finite_values}, on rows "
                         f"{self.non_finite_rows[:20]}{more} (the errors above leave them out)")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


class ConvertedModel:
    """A model compiled to C: the header text, its size estimate and structure."""

    def __init__(self, model: Any, ir: dict[str, Any], options: dict[str, Any]):
        self.model = model
        #: the IR as given: from convert, with the readers' IRArrays (sent to the engine as bytes)
        self.engine_ir = ir
        self._json_ir: dict[str, Any] | None = None
        self.options = options
        #: the engine keeps the lowered model under this key, so device runs skip the IR
        self._engine_key = uuid.uuid4().hex
        result = _engine.call("compile", ir, options, self._engine_key)
        self.header: str = result["header"]
        self.size: dict[str, Any] = result["size"]
        self.structure: dict[str, Any] = result["structure"]
        self.tables: dict[str, Any] = result["tables"]
        #: "tables" or "inline": options["strategy"] with "auto" resolved for options["target"]
        self.strategy: str = result["strategy"]
        #: strategy="auto" on a model with several code forms: what it chose on the target and why,
        #: in one line with every form's estimated cycles, flash and RAM there; else None
        self.auto_choice: str | None = result.get("auto_choice")
        #: what these options lose and why (int8 calibration, fixed-point leaves, ...)
        self.warnings: list[str] = list(result.get("warnings", []))
        #: whether rows with NaN may be run: the model's splits route NaN (trees)
        self.accepts_nan: bool = bool(result.get("accepts_nan", False))

    @property
    def ir(self) -> dict[str, Any]:
        """The model's IR as JSON (docs/ir.md), made on first use."""
        if self._json_ir is None:
            self._json_ir = json_ir(self.engine_ir)
        return self._json_ir

    @property
    def name(self) -> str:
        return self.options["name"]

    @property
    def flash_bytes(self) -> int:
        return int(self.size["flashBytes"])

    @property
    def ram_bytes(self) -> int:
        return int(self.size["ramBytes"])

    def save(self, path: str | os.PathLike[str] | None = None) -> str:
        """Writes the header (default: <name>.h in the working directory); returns the path.
        The header is written whole or not at all: to a temporary file beside it, then renamed."""
        target = os.fspath(path) if path is not None else f"{self.name}.h"
        write_whole(target, self.header)
        return target

    def save_bundle(self, path: str | os.PathLike[str] | None, X: Any, y: Any = None, *,
                    target: str = "cortex-m4f") -> Any:
        """Writes an export bundle to directory ``path``: the header, X's rows as test vectors
        with the expected outputs and tolerances, a C harness and target glue (tinyml_lab.bundle)."""
        from .bundle import save_bundle  # noqa: PLC0415 - bundle imports this module

        return save_bundle(self, path, X, y, target=target)

    def _run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The device run on the model the engine kept at compile time, or, when it no longer
        has it (a fresh engine after fork, or evicted by newer models), from the IR."""
        result = _engine.call("runKept", self._engine_key, inputs)
        if result.get("missing"):
            result = _engine.call("run", self.engine_ir, self.options, inputs)
        return result

    def predict_device(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """(class indices, values) from the WebAssembly build of the C runtime."""
        x32 = check_features(X, input_count(self.engine_ir), "X", allow_nan=self.accepts_nan)
        result = self._run({"x": ir_array(x32, "float32")})
        return result["classes"], result["values"]

    def evaluate(self, X: Any, y: Any = None) -> AgreementReport:
        """Runs the C runtime (WebAssembly) on X and compares it with the model's own output."""
        x32 = require_rows(check_features(X, input_count(self.engine_ir), "X", allow_nan=self.accepts_nan), "X",
                           "evaluate compares the C runtime with the model on its rows")
        reference = reference_outputs(self.model, self.engine_ir, x32, y)
        result = self._run({"x": ir_array(x32, "float32"), "reference": reference})
        report = result["report"]
        classes, values, missing = report.get("classes"), report.get("values"), report.get("missing")
        return AgreementReport(
            task=report["task"],
            n_rows=int(x32.shape[0]),
            label_agreement=float(classes["rate"]) if classes else None,
            disagreeing_rows=list(classes["disagreeing"]) if classes else [],
            confusion=classes["confusion"] if classes else None,
            device_accuracy=classes["deviceAccuracy"] if classes else None,
            reference_accuracy=classes["referenceAccuracy"] if classes else None,
            max_abs_error=values["maxAbsError"] if values else None,
            score_max_abs_error=report["scores"]["maxAbsError"] if report.get("scores") else None,
            score_relative_l2=report["scores"]["relativeL2"] if report.get("scores") else None,
            rmse=values["rmse"] if values else None,
            relative_l2=values["relativeL2"] if values else None,
            cosine_similarity=values["cosine"] if values else None,
            reference_class_counts=classes["referenceCounts"] if classes else None,
            device_class_counts=classes["deviceCounts"] if classes else None,
            routing_changes=list(report["routingChanges"]),
            rows_with_routing_changes=list(report["rowsWithRoutingChanges"]),
            device_classes=result["classes"],
            device_values=result["values"],
            confusion_cells=[tuple(c) for c in classes["confusionCells"]] if classes else [],
            missing_rows=int(missing["nRows"]) if missing else 0,
            missing_label_agreement=float(missing["classes"]["rate"]) if missing and missing["classes"] else None,
            missing_max_abs_error=missing["values"]["maxAbsError"] if missing and missing["values"] else None,
            non_finite_values=int(values["nonFinite"]) if values else 0,
            non_finite_rows=list(values["nonFiniteRows"]) if values else [],
            warnings=list(result.get("warnings", [])),
        )

    def __repr__(self) -> str:
        return (
            f"<ConvertedModel {self.name}: {self.engine_ir['estimator']}, {self.options['featureType']} features, "
            f"~{self.flash_bytes} B flash, ~{self.ram_bytes} B RAM>"
        )


def write_whole(target: str, text: str) -> None:
    """Writes text to the file target whole or not at all (a full disk, an interrupt): into a
    temporary file beside it, renamed over it. A symlink keeps pointing at the file; what is not
    a regular file (/dev/stdout, a pipe) is written directly."""
    if os.path.exists(target) and not os.path.isfile(target):
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return
    final = os.path.realpath(target)
    partial = os.path.join(os.path.dirname(final), f".{os.path.basename(final)}.{os.getpid()}.partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(partial, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(partial)
        raise


def class_indices(labels: Any, classes: list[Any]) -> np.ndarray:
    """Labels mapped to indices into classes (-1 for a label the model does not know)."""
    lookup = {c: i for i, c in enumerate(classes)}
    values = np.asarray(labels).ravel().tolist()
    return np.array([lookup.get(v, -1) for v in values], dtype=np.int32)


def _truth_indices(y: Any, classes: list[Any], n_rows: int) -> np.ndarray:
    y_arr = np.asarray(y).ravel()
    if y_arr.shape[0] != n_rows:
        raise InvalidInputError(f"y has {y_arr.shape[0]} labels for {n_rows} rows of X")
    return class_indices(y_arr, classes)


#: The classes of an anomaly detector's predict, as the compiler numbers them.
ANOMALY_CLASSES = [-1, 1]


def reference_outputs(model: Any, ir: dict[str, Any], x32: np.ndarray, y: Any = None) -> dict[str, Any]:
    """What the model itself predicts on x32, in the IR's encoding: class indices and
    predict_proba (classifier), predict and score_samples (anomaly), predict (regressor);
    a Keras model's predict, as probabilities or outputs; an XGBoost / LightGBM Booster's or
    saved file's predict, as probabilities or outputs. A library that refuses the NaN in x32
    gets one line saying so and what the device does instead."""
    try:
        return _reference_outputs(model, ir, x32, y)
    except ValueError as error:
        missing = np.isnan(x32).any(axis=1)
        if not missing.any() or isinstance(error, InvalidInputError):
            raise
        raise InvalidInputError(
            f"{type(model).__name__} refuses NaN ({first_line(error)}), so {int(missing.sum())} rows of X have no "
            "reference to compare the device with; the device sends NaN down each split's missing-value "
            "direction (the header's 'Non-finite inputs' note): drop or impute those rows to compare"
        ) from None


def _reference_outputs(model: Any, ir: dict[str, Any], x32: np.ndarray, y: Any = None) -> dict[str, Any]:
    library = next((module for module in BOOSTER_REFERENCES if module.is_booster_source(model)), None)
    if library is not None or (ir.get("family") == "neural_net" and _is_keras(model)):
        reference = (library.booster_reference if library is not None else
                     tflite_reference if is_tflite_file(model) else _keras_reference)
        indices, values = reference(model, ir, x32)
        ref = {"values": encode_array(values, "float64")}
        if indices is not None:
            ref["classes"] = encode_array(indices, "int32")
            if y is not None:
                ref["truth"] = encode_array(_truth_indices(y, ir["classes"], len(x32)), "int32")
        return ref
    if ir["task"] in ("classification", "anomaly"):
        classes = ir["classes"] if ir["task"] == "classification" else ANOMALY_CLASSES
        if ir["task"] == "anomaly":
            values = model.score_samples(x32)
        elif ir.get("output") == "decision":  # linear classifiers without predict_proba
            values = model.decision_function(x32)
        else:
            values = model.predict_proba(x32)
        labels = (np.asarray(model.classes_).take(np.argmax(values, axis=1)) if _predicts_argmax(model, ir)
                  else model.predict(x32))
        ref: dict[str, Any] = {
            "classes": encode_array(class_indices(labels, classes), "int32"),
            "values": encode_array(np.asarray(values, dtype=np.float64).reshape(len(x32), -1), "float64"),
        }
        if ir.get("family") == "gaussian" and ir["task"] == "classification" and hasattr(model, "score_samples"):
            ref["scores"] = encode_array(np.asarray(model.score_samples(x32), dtype=np.float64), "float64")
        if y is not None:
            ref["truth"] = encode_array(_truth_indices(y, classes, len(x32)), "int32")
        return ref
    return {"values": encode_array(np.asarray(model.predict(x32), dtype=np.float64).reshape(-1), "float64")}


def _predicts_argmax(model: Any, ir: dict[str, Any]) -> bool:
    """Whether the model's predict is scikit-learn's forest classifier predict, which is by
    definition classes_[argmax(predict_proba)]: the labels then come from the probabilities
    already computed instead of walking every tree again (0.06 s for 500 trees)."""
    if ir["task"] != "classification" or ir.get("output") == "decision":
        return False
    try:
        from sklearn.ensemble._forest import ForestClassifier  # noqa: PLC0415 - only for scikit-learn models
    except ImportError:
        return False
    return getattr(type(model), "predict", None) is ForestClassifier.predict


def _keras_reference(model: Any, ir: dict[str, Any], x32: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(class indices or None, values) from a Keras model's own predict, shaped as the
    compiler's device output: probabilities (two columns for one sigmoid unit) or outputs."""
    if isinstance(model, (str, os.PathLike)):
        try:
            import keras  # noqa: PLC0415 - optional, only to compute the reference
        except ImportError:
            raise InvalidInputError(
                f"comparing with {os.fspath(model)} needs Keras to compute the reference outputs; "
                "pip install keras jax, or pass the loaded model"
            ) from None
        model = _load_keras_file(keras, os.fspath(model))
    out = np.asarray(model.predict(x32.reshape((-1, *ir["input_shape"])), verbose=0), dtype=np.float64)
    out = out.reshape(len(x32), -1)
    if ir["task"] != "classification":
        return None, out
    if out.shape[1] == 1:
        p = out[:, 0]
        return (p > 0.5).astype(np.int32), np.stack([1 - p, p], axis=1)
    return np.argmax(out, axis=1).astype(np.int32), out


def _load_keras_file(keras: Any, path: str) -> Any:
    """The model of a .keras / .h5 file, loaded by Keras in safe mode (a Lambda layer's code is
    never deserialized) and without its training configuration (only predict is needed)."""
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises anything on a file it cannot load
        text = str(exc).strip()
        if "safe_mode" in text:
            raise InvalidInputError(
                f"Keras refused to load {path} in safe mode, which tinyml-lab always uses: the file holds Python "
                "code (a Lambda layer's function) that loading would run; only if you trust its source, load it "
                "yourself (keras.saving.load_model(path, safe_mode=False)) and pass the model instead of the file"
            ) from None
        raise InvalidModelError(
            f"Keras cannot load {path} to compute the reference ({type(exc).__name__}: {first_line(exc)})") from None


def _is_keras(model: Any) -> bool:
    return isinstance(model, (str, os.PathLike)) or any(
        c.__module__.split(".")[0] == "keras" for c in type(model).__mro__)


def convert(
    model: Any,
    *,
    name: str = "model",
    dtype: str = "float32",
    standalone: bool = True,
    strategy: str = "tables",
    leaf_dtype: str = "float32",
    calibration: Any = None,
    X_train: Any = None,
    y_train: Any = None,
    target: str = DEFAULT_TARGET,
) -> ConvertedModel:
    """Compiles a fitted estimator (or a Keras model, or a .keras / .h5 file) to a C header.

    ``dtype`` is the feature type the device compares on: "float32" (exactly sklearn's
    splits), "int16" (features quantized as floor(x * scale) - offset, with a power-of-two
    scale and a whole-number offset fitted to each feature's thresholds) or "int8" (the
    same with thresholds narrowed to int8: half the threshold table, coarser splits).
    ``strategy`` is "tables" (const node tables and a walk), "inline" (one function of
    if/else code holding every tree, usually faster, usually larger) or "auto": on the target
    profile ``target`` ("cortex-m4f" unless given; "cortex-m0plus", "avr", "esp32-c3", ...:
    an unknown name's error lists them all), the code form with the fewest estimated cycles among
    those whose flash and RAM fit the profile's part, else the smallest. ``auto_choice`` of the
    result says in one line what it chose and why. ``target`` changes nothing else: the C is
    the same for every core.
    ``leaf_dtype`` "uint8" stores a forest classifier's leaf probabilities as k/255: a
    quarter of the leaf table, probabilities within 1/510 of sklearn's. "int16" stores
    models with one value per leaf (regressors, boosting, isolation forests) in fixed point
    k * 2^-n, summed in an int32 on the device: half the leaf table, no float add per tree,
    each leaf within half a step of sklearn's value.

    Networks (MLPClassifier/MLPRegressor, Keras) are exported as ``dtype`` "float32" or
    "int8"; int8 measures each layer's range on ``calibration``, a few hundred representative
    input rows (training data, say), by running the float32 net in the C runtime.

    ``X_train`` / ``y_train``: the data the model was fitted on, needed by the models that
    keep it private (KNeighbors*, SVC/SVR with gamma="scale"); other models ignore them.
    """
    ir = read_ir(model, X_train, y_train)
    options = compile_options(name, dtype, standalone, strategy, leaf_dtype, calibration, input_count(ir), target)
    return ConvertedModel(model, ir, options)


def export_header(model: Any, path: str | os.PathLike[str], **options: Any) -> str:
    """convert(model, **options).save(path)."""
    return convert(model, **options).save(path)


def evaluate(model: Any, X: Any, y: Any = None, **options: Any) -> AgreementReport:
    """convert(model, **options).evaluate(X, y): C runtime output against the model's own."""
    return convert(model, **options).evaluate(X, y)
