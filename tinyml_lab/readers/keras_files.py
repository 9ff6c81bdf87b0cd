"""Reads saved Keras 3 models into the model IR without importing keras (json, zipfile, h5py).

Two formats, both as Keras 3 writes them:

* ``.keras``: a zip with ``config.json`` (the model's serialized config) and
  ``model.weights.h5``. Weights sit under ``layers/<slot>/vars/<i>``, where ``<slot>`` is the
  layer's class name in snake case, numbered ``_1``, ``_2``, ... on repeats, in the order of
  ``model.layers`` (not the layer's own name), and ``<i>`` follows ``layer.get_weights()``.
* legacy ``.h5`` (``model.save("m.h5")``): HDF5 with a ``model_config`` attribute (JSON) and a
  ``model_weights`` group holding one group per layer name whose ``weight_names`` attribute
  lists its datasets in ``layer.get_weights()`` order.

The layers then go through the same converter as a live model (networks.keras_layers_to_ir).
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InvalidInputError, InvalidModelError, TinyMLError, UnsupportedModelError, first_line
from .networks import KERAS_MODEL_CLASSES, KerasLayer, entry_name, keras_layers_to_ir, layer_refs, link_graph
from .reader import Estimator, Reader

KERAS_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")

#: Saved Keras files, by suffix (a path is claimed by its suffix, see is_keras_file).
ESTIMATORS = {
    ".keras": Estimator("from the last activation", "a Keras 3 zip: config.json and model.weights.h5",
                        label=".keras files"),
    ".h5": Estimator("from the last activation", "legacy HDF5 of model.save('m.h5'), also .hdf5", label=".h5 files"),
}


def is_keras_file(obj: Any) -> bool:
    """True for a str or path naming a .keras or .h5 file (it need not exist yet)."""
    return isinstance(obj, (str, os.PathLike)) and Path(obj).suffix.lower() in KERAS_FILE_SUFFIXES


def keras_file_to_ir(
    path: str | os.PathLike, task: str | None = None, classes: Sequence[Any] | None = None
) -> dict[str, Any]:
    """The IR of a Keras model saved as .keras or legacy .h5; the same IR as
    networks.keras_to_ir gives for the model before it was saved."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist or is not a file")
    suffix = path.suffix.lower()
    if suffix not in KERAS_FILE_SUFFIXES:
        raise InvalidInputError(f"{path}: expected a .keras or .h5 file")
    read = _read_keras_archive if suffix == ".keras" else _read_legacy_h5
    try:
        return read(path, task, classes)
    except (TinyMLError, ImportError):
        raise
    except _DAMAGE as exc:
        # a file no Keras wrote (edited by hand, damaged) can break the reader anywhere: one message
        raise InvalidModelError(
            f"{path} is not a {suffix} file Keras 3 wrote ({type(exc).__name__}: {first_line(exc)}); "
            "save the model again with model.save()"
        ) from None


#: What a damaged or hand-made file can make the reader raise past its own checks.
_DAMAGE = (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, IndexError, TypeError, AttributeError,
           ValueError, RuntimeError, NotImplementedError)


def _model_config(raw: bytes | str, where: str) -> dict[str, Any]:
    """The model config JSON (config.json, the model_config attribute) as a dict, or an
    InvalidModelError naming ``where`` and the problem."""
    try:
        config = json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidModelError(f"{where} is not UTF-8 text; the file is damaged: save the model again") from None
    except json.JSONDecodeError as exc:
        raise InvalidModelError(f"{where} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                                "the file is damaged: save the model again") from None
    if not isinstance(config, dict):
        raise InvalidModelError(f"{where} holds a JSON {type(config).__name__}, not a Keras model config (an object "
                                "with class_name and config); the file is damaged: save the model again")
    return config


def _h5py():
    try:
        import h5py  # noqa: PLC0415 - optional (tinyml-lab[nets]), for Keras files only
    except ImportError:
        raise ImportError("reading Keras files needs h5py: pip install h5py") from None
    return h5py


# --------------------------------------------------------------------------- .keras


def _read_keras_archive(path: Path, task, classes) -> dict[str, Any]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InvalidModelError(f"{path} is not a .keras archive (not a zip file)") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with archive:
        names = set(archive.namelist())
        if "config.json" not in names:
            raise InvalidModelError(f"{path} has no config.json; is it a Keras 3 .keras file?")
        if "model.weights.h5" not in names:
            raise UnsupportedModelError(
                f"{path} has no model.weights.h5 (sharded or other weight stores are not supported)"
            )
        config_bytes, weights_bytes = (_unpack(archive, member, path) for member in ("config.json", "model.weights.h5"))
    model_config = _model_config(config_bytes, f"{path}: config.json")
    estimator, entries, input_shape = _describe_model(model_config, str(path))
    slots = _weight_slots(estimator, entries)
    h5py = _h5py()
    try:
        weights_file = h5py.File(io.BytesIO(weights_bytes), "r")
    except OSError:
        raise InvalidModelError(f"{path}: its model.weights.h5 is not an HDF5 file; the file is damaged: "
                                "save the model again") from None
    with weights_file:

        def weights_of(index: int, entry: dict[str, Any]) -> list[np.ndarray]:
            group = weights_file.get(f"layers/{slots[index]}/vars") if slots[index] else None
            if group is None:
                return []
            return [np.asarray(group[key]) for key in sorted(group.keys(), key=int)]

        layers, graph = _layer_records(estimator, entries, model_config, weights_of)
    return keras_layers_to_ir(estimator, input_shape, layers, task=task, classes=classes, graph=graph)


def _snake_case(class_name: str) -> str:
    """Conv2D -> conv2d, BatchNormalization -> batch_normalization: Keras's slot names."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)  # a capitalised word starts a new part
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()  # so does a capital after lower case


def _weight_slots(estimator: str, entries: list[dict[str, Any]]) -> list[str | None]:
    """Each config entry's group name under ``layers/`` in model.weights.h5 (None if it has none).

    Keras walks ``model.layers``: for Sequential that omits the leading InputLayer, for a
    functional model it includes the input layers."""
    slots: list[str | None] = []
    used: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if estimator == "keras.Sequential" and index == 0 and entry.get("class_name") == "InputLayer":
            slots.append(None)
            continue
        slot = _snake_case(entry.get("class_name", ""))
        if slot in used:
            used[slot] += 1
            slot = f"{slot}_{used[slot]}"
        else:
            used[slot] = 0
        slots.append(slot)
    return slots


def _unpack(archive: zipfile.ZipFile, member: str, path: Path) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:  # a CRC error, truncated data
        raise InvalidModelError(f"{path} is damaged: its {member} does not unpack ({first_line(exc)}); copy the "
                                "file again or save the model again") from None


# --------------------------------------------------------------------------- legacy .h5


def _read_legacy_h5(path: Path, task, classes) -> dict[str, Any]:
    h5py = _h5py()
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        h5_file = h5py.File(path, "r")
    except OSError:
        raise InvalidModelError(f"{path} is not an HDF5 file") from None
    with h5_file:
        raw = h5_file.attrs.get("model_config")
        if raw is None or "model_weights" not in h5_file:
            raise InvalidModelError(
                f"{path} has no model_config and model_weights: it holds weights only, not a saved model"
            )
        model_config = _model_config(raw, f"{path}: the model_config attribute")
        estimator, entries, input_shape = _describe_model(model_config, str(path))
        weights_group = h5_file["model_weights"]

        def weights_of(index: int, entry: dict[str, Any]) -> list[np.ndarray]:
            group = weights_group.get(entry_name(entry))
            if group is None:
                return []
            names = [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in group.attrs.get("weight_names", [])]
            missing = [name for name in names if name not in group]
            if missing:
                raise InvalidModelError(
                    f"{path}: layer {entry_name(entry)!r} lists the weights {missing} in weight_names, but "
                    "model_weights does not hold them; the file is damaged or incomplete: save the model again")
            return [np.asarray(group[name]) for name in names]

        layers, graph = _layer_records(estimator, entries, model_config, weights_of)
        writer = h5_file.attrs.get("keras_version", "3")
        if str(writer.decode() if isinstance(writer, bytes) else writer).startswith("2."):
            for layer in layers:
                layer.keras_major = 2
    return keras_layers_to_ir(estimator, input_shape, layers, task=task, classes=classes, graph=graph)


# --------------------------------------------------------------------------- shared


def _describe_model(model_config: dict[str, Any], where: str) -> tuple[str, list[dict[str, Any]], tuple]:
    """Estimator name, the layer entries of the config and the input shape of one sample."""
    class_name = model_config.get("class_name")
    estimator = "keras.Functional" if class_name == "Model" else KERAS_MODEL_CLASSES.get(str(class_name))
    if estimator is None:
        raise UnsupportedModelError(
            f"{where} holds a {class_name} model; only keras.Sequential and functional models are supported"
        )
    config = model_config.get("config", {})
    entries = config.get("layers", []) if isinstance(config, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InvalidModelError(f"{where}: the model config's layers are not a list of layer objects; the file is "
                                "damaged: save the model again")
    if estimator == "keras.Sequential":
        input_shape = _sequential_input_shape(config, entries, where)
    else:
        input_shape = _functional_input_shape(config, entries, where)
    return estimator, entries, input_shape


def _batch_shape(entry: dict[str, Any]) -> list | None:
    config = entry.get("config", {})
    return config.get("batch_shape") or config.get("batch_input_shape")


def _sequential_input_shape(config: dict[str, Any], entries: list[dict[str, Any]], where: str) -> tuple:
    shape = None
    if entries and entries[0].get("class_name") == "InputLayer":
        shape = _batch_shape(entries[0])
    shape = shape or config.get("build_input_shape")
    if not shape:
        raise UnsupportedModelError(f"{where}: the Sequential model was saved before it was built")
    return tuple(shape)[1:]


def _functional_input_shape(config: dict[str, Any], entries: list[dict[str, Any]], where: str) -> tuple:
    inputs, outputs = layer_refs(config.get("input_layers")), layer_refs(config.get("output_layers"))
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedModelError(
            f"{where}: the model has {len(inputs)} inputs and {len(outputs)} outputs; "
            "only single-input, single-output models are supported"
        )
    for entry in entries:
        if entry_name(entry) == inputs[0][0] and _batch_shape(entry):
            return tuple(_batch_shape(entry))[1:]
    raise InvalidModelError(f"{where}: no input layer {inputs[0][0]!r} with a shape in the config")


def _custom_class_problem(entry: dict[str, Any]) -> str | None:
    """Built-in layers are serialized with module keras.layers (or none, in legacy files)."""
    module = entry.get("module")
    registered = entry.get("registered_name")
    if module is not None and module.split(".")[0] != "keras":
        return f"custom layer class from module {module}"
    if registered is not None and registered != entry.get("class_name"):
        return f"custom layer class {registered}"
    return None


def _layer_records(
    estimator: str,
    entries: list[dict[str, Any]],
    model_config: dict[str, Any],
    weights_of: Callable[[int, dict[str, Any]], list[np.ndarray]],
) -> tuple[list[KerasLayer], tuple[str, str] | None]:
    """One record per layer with its weights, and for a functional model the names of its
    input and output layers (each record's sources set from the config)."""
    records = []
    for index, entry in enumerate(entries):
        record = KerasLayer(entry_name(entry), entry.get("class_name", "?"), entry.get("config", {}))
        problem = _custom_class_problem(entry)
        if problem:
            record.problems.append(problem)
        else:
            record.weights = weights_of(index, entry)
        records.append(record)
    if estimator == "keras.Functional":
        return records, link_graph(entries, model_config.get("config", {}), records)
    return records, None


def read_keras_file(path: str | os.PathLike, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """keras_file_to_ir for the registry (X_train / y_train are not needed)."""
    return keras_file_to_ir(path)


READER = Reader("saved Keras models", ESTIMATORS, read_keras_file, claims=is_keras_file)
