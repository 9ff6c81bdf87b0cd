"""The ``tinyml-lab`` command: convert a saved model to a C header, or report how the C
runtime agrees with it on data, without writing Python.

    tinyml-lab convert model.pkl -o model.h --dtype int16
    tinyml-lab report model.joblib --data X_test.npy --labels y_test.npy
    tinyml-lab supported

Models: pickled or joblib-dumped scikit-learn estimators (.pkl, .pickle, .joblib), Keras
files (.keras, .h5, read without Keras; ``report`` needs Keras to compute the reference),
XGBoost model files (.json, read as JSON; .ubj, loaded by XGBoost), LightGBM model files
(.txt, loaded by LightGBM); ``report`` on those needs the library (the ``boosting`` extra), and
TensorFlow Lite files (.tflite, read as data; ``report`` runs them in TensorFlow Lite Micro's
interpreter, the ``tflite-micro`` wheel).
Data: .npy, .npz (arrays ``X`` and ``y``, or a single array) or .csv (comma-separated, an
optional header line).

Untrusted files: a pickle (.pkl, .pickle, .joblib) runs code when it is loaded, before the
command can see what it holds, so load only pickles from sources you trust. Keras files are
read as data (JSON and HDF5) and never run code; ``report`` has Keras load them in safe mode,
which refuses a Lambda layer's code. XGBoost and LightGBM model files are data too: their
libraries parse them and run no code from them. .npy / .npz data are never unpickled.

Exit codes: 0 success; 1 ``report`` found the device outside the tolerance; 2 bad input
(missing, damaged or unreadable file, not a model, unsupported estimator, bad option, data of
the wrong shape), printed as one line ``tinyml-lab: error: ...``; 3 an internal error (a bug,
with its traceback).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import pickle
import re
import sys
import traceback
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import _engine
from ._version import __version__
from .arduino import save_arduino
from .arrays import input_count
from .convert import DEFAULT_TARGET, FEATURE_TYPES, LEAF_TYPES, STRATEGIES, ConvertedModel, convert
from .errors import TinyMLError, first_line
from .readers import READERS
from .readers.keras_files import KERAS_FILE_SUFFIXES
from .readers.lightgbm_models import LIGHTGBM_FILE_SUFFIXES
from .readers.tflite_models import TFLITE_FILE_SUFFIXES
from .readers.xgboost_models import XGBOOST_FILE_SUFFIXES

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
#: model files the readers read from their path (as data): Keras, XGBoost, LightGBM, TensorFlow Lite
DATA_MODEL_SUFFIXES = KERAS_FILE_SUFFIXES + XGBOOST_FILE_SUFFIXES + LIGHTGBM_FILE_SUFFIXES + TFLITE_FILE_SUFFIXES
DATA_SUFFIXES = (".npy", ".npz", ".csv")
#: Default tolerance of ``report`` for float32 exports: the C runtime computes sklearn's
#: function, so every label agrees and values differ by float32 rounding only (relative L2).
DEFAULT_MAX_RELATIVE_ERROR = 1e-4

EXIT_OK, EXIT_DISAGREES, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
#: what `convert --help` and `report --help` say about files from elsewhere
UNTRUSTED_FILES = (
    "Untrusted files: a .pkl, .pickle or .joblib file runs code when it is loaded, before tinyml-lab can see "
    "what it holds: load only pickles from sources you trust. .keras and .h5 files are read as data (JSON and "
    "HDF5) and never run code; report's Keras reference loads them in safe mode, which refuses Lambda layers. "
    "XGBoost (.json, .ubj) and LightGBM (.txt) model files are data, parsed by their libraries, never code; "
    ".tflite files are data too."
)


class CliError(Exception):
    """A problem with the command's input, reported as one line."""


# --------------------------------------------------------------------------- loading


def _input_file(path_text: str, label: str, suffixes: tuple[str, ...], kind: str) -> Path:
    """The path of an input file after the checks every input gets: a known suffix, an existing
    regular file (not a directory), readable. ``label`` names it in the error ("--data X.npy")."""
    path = Path(path_text)
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise CliError(f"{label}: unknown {kind} file type {suffix or '(none)'!r}; "
                       f"expected one of {', '.join(suffixes)}")
    if path.is_dir():
        raise CliError(f"{label} is a directory; expected a {kind} file ({', '.join(suffixes)})")
    if not path.exists():
        raise CliError(f"{label}: no such file")
    if not path.is_file():
        raise CliError(f"{label} is not a regular file; expected a {kind} file ({', '.join(suffixes)})")
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as exc:
        raise CliError(f"{label} cannot be read ({exc.strerror or exc})") from None
    return path


def load_model(path_text: str) -> Any:
    """A fitted estimator from a pickle/joblib file, or the path itself for a Keras, XGBoost or
    LightGBM model file (the readers read those as data)."""
    path = _input_file(path_text, path_text, PICKLE_SUFFIXES + DATA_MODEL_SUFFIXES, "model")
    suffix = path.suffix.lower()
    if suffix in DATA_MODEL_SUFFIXES:
        return str(path)
    try:
        if suffix == ".joblib":
            import joblib  # noqa: PLC0415 - a scikit-learn dependency, needed for .joblib files only

            model = joblib.load(path)
        else:
            with open(path, "rb") as f:
                model = pickle.load(f)
    except ModuleNotFoundError as exc:
        # the pickle refers to a package this Python lacks (xgboost, a custom module, ...)
        raise CliError(f"{path}: the pickled model needs the module {exc.name!r}, which is not installed") from None
    except Exception as exc:  # noqa: BLE001 - unpickling raises anything; all mean "not readable"
        raise CliError(f"{path}: cannot be read as a {suffix[1:]} file ({type(exc).__name__}: {first_line(exc)}); "
                       "is it complete? copy it again, or save the model again (pickle.dump, joblib.dump)") from None
    if not (hasattr(model, "fit") and (hasattr(model, "predict") or hasattr(model, "score_samples"))):
        raise CliError(f"{path} holds a {type(model).__module__}.{type(model).__qualname__}, "
                       "not a fitted scikit-learn estimator")
    return model


def _read_csv(path: Path, label: str) -> np.ndarray:
    """Comma-separated numbers, one row a line, an optional header line of column names first;
    blank lines and # comments are skipped (as numpy.loadtxt does). UTF-8 or ASCII."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(f"{label} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                       "save it as UTF-8 (or plain ASCII) CSV") from None
    rows: list[list[float]] = []
    first_line = 0
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [cell.strip() for cell in line.split("#", 1)[0].split(",")]
        if cells == [""]:
            continue
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            if not rows and not first_line:
                first_line = -1  # the header line: column names
                continue
            bad = next(i for i, cell in enumerate(cells) if not _is_number(cell))
            raise CliError(f"{label} line {number}, column {bad + 1}: {cells[bad]!r} is not a number") from None
        if rows and len(values) != len(rows[0]):
            raise CliError(f"{label} line {number} has {len(values)} values, line {first_line} has {len(rows[0])}; "
                           "every row needs the same number of columns") from None
        if not rows:
            first_line = number
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(rows[0]) if rows else 0)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numpy_read(read: Callable[[], Any], where: str, pickled: str) -> Any:
    """read() (np.load, an archive member), numpy's errors made one CliError: ``pickled`` when
    numpy would have to unpickle, else ``where`` with the reason and what to do."""
    try:
        return read()
    except ValueError as exc:
        if "pickle" in str(exc):
            raise CliError(pickled) from None
        reason = first_line(exc)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        reason = first_line(exc)
    raise CliError(f"{where} ({reason}); the file is damaged or truncated: save it again")


def _read_numpy(path: Path, label: str, npz_key: str, *, only_named: bool = False) -> np.ndarray | None:
    """The array of a .npy file, or of a .npz archive the one named ``npz_key``, else its only
    array (``only_named``: else None). Never unpickles: that can run code."""
    suffix = path.suffix.lower()
    loaded = _numpy_read(lambda: np.load(path, allow_pickle=False), f"{label} cannot be read as {suffix}",
                         f"{label} is not a {suffix} file of numbers: numpy would have to unpickle it, which can run "
                         "code and which this command never does; save the array with np.save / np.savez")
    if not hasattr(loaded, "files"):  # a .npy array
        if suffix == ".npz":
            raise CliError(f"{label} is a .npy array, not a .npz archive: rename it to .npy")
        return loaded
    with loaded:
        keys = list(loaded.files)
        if suffix == ".npy":
            raise CliError(f"{label} is a .npz archive (arrays {keys}), not a .npy array: rename it to .npz")
        if npz_key in keys:
            key = npz_key
        elif only_named:
            return None
        elif len(keys) == 1:
            key = keys[0]
        else:
            raise CliError(f"{label} holds arrays {keys}; name the one to use {npz_key!r}")
        return _numpy_read(lambda: loaded[key], f"{label}: array {key!r} cannot be read",
                           f"{label}: array {key!r} holds Python objects, which this command never unpickles (it "
                           "can run code); save numbers or strings")


#: numpy dtype kinds of feature rows (bool, integers, floats) and of labels (also strings)
NUMBER_KINDS, LABEL_KINDS = "biuf", "biufUS"


def load_array(path_text: str, what: str, npz_key: str, *, labels: bool = False) -> np.ndarray:
    """An array from .npy, .csv or .npz (``npz_key``, or the only array it holds): numbers
    (strings too for ``labels``) with at least one row."""
    label = f"{what} {path_text}"
    path = _input_file(path_text, label, DATA_SUFFIXES, "data")
    array = _read_csv(path, label) if path.suffix.lower() == ".csv" else _read_numpy(path, label, npz_key)
    kinds = LABEL_KINDS if labels else NUMBER_KINDS
    if array.dtype.kind not in kinds:
        what_kind = "numbers or strings" if labels else "numbers"
        raise CliError(f"{label} holds {array.dtype} values, not {what_kind}")
    if array.ndim == 0:
        raise CliError(f"{label} holds a single value, not rows; save an array with one row per sample")
    if array.shape[0] == 0:
        raise CliError(f"{label} has no rows (shape {array.shape}); save at least one row in it")
    return array


def load_labels(args: argparse.Namespace, n_rows: int) -> np.ndarray | None:
    """--labels, else y from the --data .npz file if it has one."""
    if args.labels:
        where = f"--labels {args.labels}"
        y = load_array(args.labels, "--labels", "y", labels=True)
    elif Path(args.data).suffix.lower() == ".npz":
        where = f"--data {args.data}"
        y = _npz_labels(Path(args.data), where)
    else:
        return None
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.ravel()  # one CSV column
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise CliError(f"{where}: labels have shape {y.shape}; expected one label per data row ({n_rows})")
    return y


def _npz_labels(path: Path, label: str) -> np.ndarray | None:
    """The array ``y`` of a .npz data file, or None."""
    y = _read_numpy(path, label, "y", only_named=True)
    if y is not None and y.dtype.kind not in LABEL_KINDS:
        raise CliError(f"{label}: its y holds {y.dtype} values, not numbers or strings")
    return y


# --------------------------------------------------------------------------- commands


def _convert(args: argparse.Namespace, name: str) -> ConvertedModel:
    model = load_model(args.model)
    calibration = load_array(args.calibration, "--calibration", "X") if args.calibration else None
    X_train = load_array(args.train_data, "--train-data", "X") if args.train_data else None
    y_train = load_array(args.train_labels, "--train-labels", "y", labels=True).ravel() if args.train_labels else None
    return convert(model, name=name, dtype=args.dtype, strategy=args.strategy, leaf_dtype=args.leaf_dtype,
                   calibration=calibration, X_train=X_train, y_train=y_train, target=args.target)


def _default_name(model_path: str) -> str:
    """A C identifier from the file name: model.pkl -> model, 2-class net.keras -> m_2_class_net."""
    stem = "".join(c if c.isalnum() else "_" for c in Path(model_path).stem).strip("_").lower() or "model"
    return stem if not stem[0].isdigit() else f"m_{stem}"


def _size_line(converted: ConvertedModel) -> str:
    """The size estimate in one line, and --strategy auto's choice and reason on a second one."""
    line = (f"{converted.ir['estimator']}, {converted.options['featureType']} features, "
            f"{converted.strategy}: ~{converted.flash_bytes} B flash, ~{converted.ram_bytes} B RAM "
            f"({converted.size['target']})")
    return f"{line}\n{converted.auto_choice}" if converted.auto_choice else line


def _header_name(args: argparse.Namespace, source: str) -> str:
    """--name, else a name derived from `source`, checked by the compiler's own rule so that a
    file called tml_forest.h cannot make a header that clashes with the runtime."""
    name = args.name or _default_name(source)
    try:
        _engine.call("checkModelName", name)
    except TinyMLError as exc:
        if args.name:
            raise CliError(f"--name: {exc}") from None
        raise CliError(f"{exc} (the name comes from {source}: pass --name NAME)") from None
    return name


def command_convert(args: argparse.Namespace) -> int:
    name = _header_name(args, args.output)
    converted = _convert(args, name)
    try:
        path = converted.save(args.output)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {path}: {_size_line(converted)}")
    return EXIT_OK


def _load_rows(args: argparse.Namespace, converted: ConvertedModel) -> np.ndarray:
    """--data's rows, checked against the model's input width."""
    X = load_array(args.data, "--data", "X")
    n_inputs = input_count(converted.ir)
    if X.ndim < 2 or int(np.prod(X.shape[1:])) != n_inputs:
        raise CliError(f"--data {args.data} has shape {X.shape}; the model takes rows of {n_inputs} values "
                       f"(shape (n_rows, {n_inputs}))")
    return X


def command_arduino(args: argparse.Namespace) -> int:
    name = _header_name(args, args.model)
    converted = _convert(args, name)
    X = _load_rows(args, converted)
    try:
        library = save_arduino(converted, args.output, X, load_labels(args, len(X)))
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote the Arduino library {library.path} (example {library.example.name}): {_size_line(converted)}")
    return EXIT_OK


def _tolerances(args: argparse.Namespace, converted: ConvertedModel) -> tuple[float | None, float | None]:
    """(min label agreement, max relative L2) to check: the ones given, else for an all-float32
    export the defaults (exact labels, float rounding); a quantized export is only reported."""
    exact = converted.options["featureType"] == "float32" and converted.options["leafType"] == "float32"
    min_agreement = args.min_agreement if args.min_agreement is not None else (1.0 if exact else None)
    max_error = args.max_error if args.max_error is not None else (DEFAULT_MAX_RELATIVE_ERROR if exact else None)
    return min_agreement, max_error


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN
    return value


def _keras_backend_default(model_path: str) -> None:
    """Keras computes a Keras file's reference outputs; without TensorFlow, run it on JAX."""
    if (Path(model_path).suffix.lower() in KERAS_FILE_SUFFIXES and "KERAS_BACKEND" not in os.environ
            and importlib.util.find_spec("tensorflow") is None and importlib.util.find_spec("jax") is not None):
        os.environ["KERAS_BACKEND"] = "jax"


def command_report(args: argparse.Namespace) -> int:
    _keras_backend_default(args.model)
    name = _header_name(args, args.model)
    converted = _convert(args, name)
    X = _load_rows(args, converted)
    y = load_labels(args, len(X))
    report = converted.evaluate(X, y)
    min_agreement, max_error = _tolerances(args, converted)
    failures = report.failures(min_agreement, max_error)
    if args.json:
        fields = {k: _json_value(v) for k, v in vars(report).items() if k not in ("device_classes", "device_values")}
        out = {
            "model": args.model,
            "estimator": converted.ir["estimator"],
            "options": {k: v for k, v in converted.options.items() if k != "calibration"},
            "strategy": converted.strategy,
            "auto_choice": converted.auto_choice,
            "size": converted.size,
            "report": fields,
            "tolerance": {"min_agreement": min_agreement, "max_relative_error": max_error},
            "ok": not failures,
            "failures": failures,
        }
        print(json.dumps(out, indent=2))
    else:
        print(_size_line(converted))
        print(report)
        checked = [f"labels >= {min_agreement:.4%}" if min_agreement is not None else None,
                   f"relative L2 <= {max_error:.3g}" if max_error is not None else None]
        checked_text = ", ".join(c for c in checked if c)
        print(f"tolerance: {checked_text or 'nothing (quantized export: pass --min-agreement / --max-error)'}")
        print("FAILED: " + "; ".join(failures) if failures else "OK")
    return EXIT_DISAGREES if failures else EXIT_OK


# --------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every other input error
        self.exit(EXIT_ERROR, f"tinyml-lab: error: {message} (see {self.prog} --help)\n")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}") from None
    if not value >= 0.0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}")
    return value


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="the fitted model: .pkl / .pickle / .joblib (scikit-learn; unpickling runs "
                                 "code, so load only files you trust), .keras / .h5, XGBoost .json / .ubj, "
                                 "LightGBM .txt or TensorFlow Lite .tflite")
    p.add_argument("--name", help="C identifier prefix of the header's functions and tables "
                                  "(default: from the file name)")
    p.add_argument("--dtype", default="float32", choices=FEATURE_TYPES,
                   help="feature type on the device; networks take float32 or int8 (default: float32)")
    p.add_argument("--strategy", default="tables", choices=STRATEGIES,
                   help="trees as const node tables, inline if/else code, or auto: the fastest of them that fits "
                        "--target's part, else the smallest (default: tables)")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="PROFILE",
                   help="the target profile --strategy auto chooses for, e.g. cortex-m0plus, avr, esp32-c3 "
                        f"(default: {DEFAULT_TARGET}); the header is the same C for every target")
    p.add_argument("--leaf-dtype", default="float32", choices=LEAF_TYPES,
                   help="leaf storage: uint8 probabilities (forest classifiers), int16 fixed point "
                        "(regressors, boosting, isolation forests) (default: float32)")
    p.add_argument("--calibration", metavar="ROWS", help="int8 networks: representative input rows "
                                                         "(.npy, .npz array X, .csv)")
    p.add_argument("--train-data", metavar="ROWS", help="the rows the model was fitted on, for models that keep "
                                                        "them private (KNeighbors*, SVC/SVR with gamma='scale')")
    p.add_argument("--train-labels", metavar="LABELS", help="their labels (KNeighbors*)")


def command_supported(args: argparse.Namespace) -> int:
    for reader in READERS:
        print(f"{reader.family}: {', '.join(reader.labels())}")
    return 0


def _add_data_options(p: argparse.ArgumentParser, rows: str) -> None:
    p.add_argument("--data", required=True, metavar="X", help=f"{rows}: .npy, .npz (array X) or .csv")
    p.add_argument("--labels", metavar="Y", help="true labels, for accuracy (.npy, .npz array y, .csv; "
                                                 "default: y from a --data .npz)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinyml-lab",
        description="Export scikit-learn, XGBoost, LightGBM and Keras models as C99 headers for microcontrollers, "
                    "and check the C runtime (its WebAssembly build) against the model.",
        epilog="Exit codes: 0 success, 1 report outside the tolerance, 2 bad input or options, 3 internal error. "
               + UNTRUSTED_FILES,
    )
    parser.add_argument("--version", action="version", version=f"tinyml-lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser("convert", help="write the C header of a model",
                            description="Write the C header of a saved model and print its size estimate.",
                            epilog=UNTRUSTED_FILES)
    _add_model_options(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.h", help="header file to write")
    p.set_defaults(run=command_convert)

    p = commands.add_parser(
        "report", help="agreement of the C runtime with the model on data, and size",
        description="Run the C runtime (WebAssembly) on the data rows and compare it with the model's own "
                    "predictions. A float32 export must give every label and values within "
                    f"{DEFAULT_MAX_RELATIVE_ERROR:g} relative L2 unless told otherwise; a quantized one is only "
                    "reported unless --min-agreement / --max-error are given. Exit code 1 when outside them.",
        epilog=UNTRUSTED_FILES,
    )
    _add_model_options(p)
    _add_data_options(p, "input rows")
    p.add_argument("--min-agreement", type=_fraction, metavar="FRACTION",
                   help="fail when fewer rows get the model's label (default: 1 for float32 exports)")
    p.add_argument("--max-error", type=_non_negative, metavar="REL_L2",
                   help="fail when the relative L2 error of probabilities / scores / outputs is larger "
                        f"(default: {DEFAULT_MAX_RELATIVE_ERROR:g} for float32 exports)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=command_report)

    p = commands.add_parser("supported", help="list the estimators and model files that can be converted",
                            description="List the estimators and model files each reader converts, by family.")
    p.set_defaults(run=command_supported)

    p = commands.add_parser(
        "arduino", help="write an Arduino library of a model, with an example that checks it on the board",
        description="Write an Arduino library: library.properties, src/NAME.h and examples/NAME_test, a sketch "
                    "that runs the --data rows as test vectors on the board and prints RESULT PASS over Serial.",
        epilog=UNTRUSTED_FILES,
    )
    _add_model_options(p)
    _add_data_options(p, "test vectors")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the library's directory")
    p.set_defaults(run=command_arduino)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CliError, TinyMLError) as exc:
        message = str(exc)
    except ImportError as exc:  # an optional dependency: h5py, Keras, XGBoost or LightGBM
        message = str(exc)
    except KeyboardInterrupt:
        return 130
    except Exception:  # noqa: BLE001 - a bug: its traceback, and never exit code 1 ("outside tolerance")
        traceback.print_exc()
        print("tinyml-lab: internal error (the traceback above): please report it with the command line",
              file=sys.stderr)
        return EXIT_INTERNAL
    print("tinyml-lab: error: " + re.sub(r"\s*\n\s*", " ", message.strip()), file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
