"""Reads fitted neural networks into the model IR (family "neural_net", see docs/ir.md).

Two sources:

* scikit-learn's MLPClassifier / MLPRegressor: a chain of dense layers read from the public
  fitted attributes (``coefs_``, ``intercepts_``, ``activation``, ``out_activation_``, ...).
* Keras models, Sequential or functional: chains, or graphs with branches, skip connections
  and merge layers (Add, Subtract, Multiply, Average, Maximum, Concatenate). A live
  model is read through its public API here (``model.layers``, ``layer.get_config()``,
  ``layer.get_weights()``); keras_files.py reads saved ``.keras`` / ``.h5`` files. Both turn
  the model into a list of KerasLayer records and hand it to ``keras_layers_to_ir``, so a
  file and the live model it was saved from give the same IR.

Keras itself is never imported: a Keras object is recognised by the module of its classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..arrays import encode_array
from ..errors import InvalidInputError, InvalidModelError, NotFittedError, UnsupportedModelError
from .envelope import class_labels, estimator_name, feature_names_of, ir_envelope
from .reader import Estimator, Reader, table_entry

FAMILY = "neural_net"
ACTIVATIONS = ("identity", "relu", "relu6", "tanh", "logistic", "softmax")

MLP_ESTIMATORS = {
    "sklearn.neural_network.MLPClassifier": Estimator("classification", "dense layers from coefs_ and intercepts_"),
    "sklearn.neural_network.MLPRegressor": Estimator("regression", "dense layers from coefs_ and intercepts_"),
}
#: Keras models are recognised by class (see is_keras_model), not by these names.
KERAS_ESTIMATORS = {
    "keras.Sequential": Estimator("from the last activation", "a chain of supported layers",
                                  label="keras.Sequential"),
    "keras.Functional": Estimator("from the last activation", "keras.Model(inputs, outputs): a graph of "
                                  "supported layers, one input and one output", label="functional keras.Model"),
}
ESTIMATORS = {**MLP_ESTIMATORS, **KERAS_ESTIMATORS}
KERAS_MODEL_CLASSES = {"Sequential": "keras.Sequential", "Functional": "keras.Functional"}

# Keras activation names and their IR names.
KERAS_ACTIVATIONS = {
    "linear": "identity",
    "relu": "relu",
    "relu6": "relu6",
    "tanh": "tanh",
    "sigmoid": "logistic",
    "softmax": "softmax",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "hard_sigmoid": "hard_sigmoid",
    "hard_silu": "hard_swish",
    "hard_swish": "hard_swish",
}
#: Keras 2's hard_sigmoid is 0.2 x + 0.5, clipped; Keras 3's is relu6(x + 3) / 6 (slope 1/6, the IR's default)
KERAS2_HARD_SIGMOID_SLOPE = 0.2
# Layers that do nothing at inference: left out of the IR.
NO_OP_LAYERS = {
    "InputLayer",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "ActivityRegularization",
}
# Weights are kept in the layer's own dtype policy; these all store float variables.
FLOAT_DTYPE_POLICIES = {"float32", "float64", "float16", "mixed_float16", "mixed_bfloat16"}
SHARED_LAYER = "a layer called more than once (shared weights) is not supported; give each call a layer of its own"


# --------------------------------------------------------------------------- common


def _network_ir(
    *,
    estimator: str,
    task: str,
    classes: list[Any] | None,
    input_shape: Sequence[int],
    feature_names: list[str],
    n_outputs: int,
    layers: list[dict[str, Any]],
) -> dict[str, Any]:
    """The IR of a network: the envelope (classes for classification only), its output width and layers."""
    return ir_envelope(
        FAMILY,
        estimator,
        task,
        math.prod(input_shape),
        classes=classes if task == "classification" else None,
        input_shape=input_shape,
        feature_names=feature_names,
        n_outputs=int(n_outputs),
        layers=layers,
    )


def _dense_layer(weights: np.ndarray, bias: np.ndarray, activation: str, dtype: str) -> dict[str, Any]:
    return {
        "kind": "dense",
        "weights": encode_array(weights, dtype),
        "bias": encode_array(bias, dtype),
        "activation": activation,
    }


def _all_finite(*arrays: np.ndarray) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


# --------------------------------------------------------------------------- scikit-learn MLP


def mlp_to_ir(model: Any) -> dict[str, Any]:
    """The IR of a fitted MLPClassifier or MLPRegressor: one dense layer per ``coefs_`` entry."""
    name, entry = table_entry(model, MLP_ESTIMATORS, "an MLPClassifier or MLPRegressor")
    short, task = type(model).__name__, entry.task
    if not hasattr(model, "coefs_"):
        raise NotFittedError(f"{short} is not fitted yet: call fit(X, y) before exporting it")

    hidden = _mlp_activation(short, "activation", model.activation)
    output = _mlp_activation(short, "out_activation_", model.out_activation_)
    n_outputs = int(model.coefs_[-1].shape[1])
    classes = None
    if task == "classification":
        # A logistic output of several units scores each label on its own: multilabel y.
        if output == "logistic" and n_outputs > 1:
            raise UnsupportedModelError(
                f"{short} was fitted on multilabel y ({n_outputs} independent labels); "
                "only binary and multi-class classification are supported"
            )
        classes = class_labels(np.asarray(model.classes_), f"{short}.classes_")

    n_layers = len(model.coefs_)
    layers = []
    for i, (weights, bias) in enumerate(zip(model.coefs_, model.intercepts_)):
        if not _all_finite(weights, bias):
            raise InvalidModelError(
                f"{short} layer {i + 1} of {n_layers} ({weights.shape[0]} -> {weights.shape[1]} units): "
                "a weight or bias is NaN or infinite; the model cannot be exported"
            )
        activation = output if i == n_layers - 1 else hidden
        layers.append(_dense_layer(weights, bias, activation, "float64"))

    return _network_ir(
        estimator=name,
        task=task,
        classes=classes,
        input_shape=[int(model.n_features_in_)],
        feature_names=feature_names_of(model) or [],
        n_outputs=n_outputs,
        layers=layers,
    )


def _mlp_activation(short: str, attribute: str, value: str) -> str:
    if value not in ACTIVATIONS:
        raise UnsupportedModelError(
            f"{short} with {attribute}={value!r} is not supported; supported: {', '.join(ACTIVATIONS)}"
        )
    return value


# --------------------------------------------------------------------------- Keras: live models


@dataclass
class KerasLayer:
    """One Keras layer as both readers hand it to the converter."""

    name: str
    class_name: str
    config: dict[str, Any]
    weights: list[np.ndarray] = field(default_factory=list)
    #: why the reader already knows this layer cannot be exported (custom class, shared, ...)
    problems: list[str] = field(default_factory=list)
    #: names of the layers whose outputs it takes, in call order (functional models); None:
    #: the layer before it (Sequential)
    sources: list[str] | None = None
    #: the Keras that wrote it: 2 for a legacy .h5 file of Keras 2, whose hard_sigmoid differs
    keras_major: int = 3


def is_keras_model(obj: Any) -> bool:
    """True for any Keras model object, found by class module so keras need not be imported."""
    return any(cls.__name__ == "Model" and cls.__module__.split(".")[0] == "keras" for cls in type(obj).__mro__)


def keras_to_ir(model: Any, task: str | None = None, classes: Sequence[Any] | None = None) -> dict[str, Any]:
    """The IR of a live Keras 3 Sequential or chain-shaped functional model.

    ``task`` ("classification" or "regression") and ``classes`` override what the last
    activation suggests (see ``keras_layers_to_ir``)."""
    if not is_keras_model(model):
        raise UnsupportedModelError(f"{type(model).__name__} is not a Keras model")
    cls = type(model)
    estimator = KERAS_MODEL_CLASSES.get(cls.__name__) if cls.__module__.startswith("keras.") else None
    if estimator is None:
        raise UnsupportedModelError(
            f"{cls.__name__} ({cls.__module__}) is a subclassed Keras model; "
            "only keras.Sequential and functional models (keras.Model(inputs, outputs)) are supported"
        )
    input_shape = _live_input_shape(model, estimator)
    layers = [_live_layer(layer) for layer in model.layers]
    graph = None
    if estimator == "keras.Functional":
        config = model.get_config()
        graph = link_graph(config.get("layers", []), config, layers)
    return keras_layers_to_ir(estimator, input_shape, layers, task=task, classes=classes, graph=graph)


def _live_input_shape(model: Any, estimator: str) -> tuple[Any, ...]:
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs:
        raise UnsupportedModelError(
            f"{estimator} {model.name!r} is not built: give it a keras.Input(shape) or call it on data first"
        )
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedModelError(
            f"{estimator} {model.name!r} has {len(inputs)} inputs and {len(outputs)} outputs; "
            "only single-input, single-output models are supported"
        )
    return tuple(inputs[0].shape)[1:]


def _live_layer(layer: Any) -> KerasLayer:
    cls = type(layer)
    record = KerasLayer(layer.name, cls.__name__, {})
    if not cls.__module__.startswith("keras."):
        record.problems.append(f"custom layer class from module {cls.__module__}")
        return record
    try:
        record.config = layer.get_config()
    except Exception as exc:  # a layer that cannot describe itself cannot be exported
        record.problems.append(f"get_config() failed: {exc}")
        return record
    record.weights = [np.asarray(w) for w in layer.get_weights()]
    return record


def layer_refs(value: Any) -> list[list[Any]]:
    """input_layers / output_layers of a functional config: one [name, node, tensor] or a list of them."""
    if value and isinstance(value[0], str):
        return [value]
    return list(value or [])


def inbound_sources(value: Any) -> list[str]:
    """Names of the layers whose outputs a serialized call node consumes: Keras 3 writes each
    input as a {"class_name": "__keras_tensor__", ...} dict, Keras 2 as a list
    [layer name, node index, tensor index, call kwargs]."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value["config"]["keras_history"][0]]
        return [name for item in value.values() for name in inbound_sources(item)]
    if isinstance(value, (list, tuple)):  # a live model's get_config() has tuples
        if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):
            return [value[0]]
        return [name for item in value for name in inbound_sources(item)]
    return []


def entry_name(entry: dict[str, Any]) -> str:
    """A layer's name in a model config (Keras 3 puts it beside the config, Keras 2 inside)."""
    return entry.get("name") or entry.get("config", {}).get("name", "?")


def link_graph(entries: list[Any], config: dict[str, Any], records: list[KerasLayer]) -> tuple[str, str]:
    """Sets each layer's sources from its entry in a functional model's config (the live
    model's get_config() or a file's, Keras 2 or 3 alike); a layer called more than once gets a
    problem. Returns the names of the model's input and output layers."""
    by_name = {record.name: record for record in records}
    for entry in entries:
        record = by_name.get(entry_name(entry))
        if record is None or record.class_name == "InputLayer":
            continue
        nodes = entry.get("inbound_nodes", [])
        if len(nodes) > 1:
            record.problems.append(f"called {len(nodes)} times; {SHARED_LAYER}")
        record.sources = inbound_sources(nodes[0]) if nodes else []
    return layer_refs(config.get("input_layers"))[0][0], layer_refs(config.get("output_layers"))[0][0]


# --------------------------------------------------------------------------- Keras: shared converter


class _Refused(Exception):
    """A layer option the IR cannot express; the message is the reason."""


def keras_layers_to_ir(
    estimator: str,
    input_shape: Sequence[Any],
    layers: list[KerasLayer],
    task: str | None = None,
    classes: Sequence[Any] | None = None,
    graph: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The IR of Keras layers applied to one sample of ``input_shape``: a chain (Sequential),
    or with ``graph`` (the names of the input and output layers) a functional model's graph,
    each layer taking the outputs of its ``sources``.

    Every unsupported layer is collected first and reported in one UnsupportedModelError;
    then NaN or infinite weights raise InvalidModelError naming the layer.

    Task: a softmax last activation (2+ units) means classification with classes
    0..n_outputs-1; a 1-unit logistic output means binary classification, classes [0, 1];
    anything else regression. ``task`` / ``classes`` override this."""
    ir_layers, output_shape, problems = _convert_graph(layers, _checked_input_shape(estimator, input_shape), graph)
    if problems:
        raise UnsupportedModelError(
            f"{estimator} cannot be exported; unsupported layers:\n  "
            + "\n  ".join(problems)
            + f"\nSupported layers: {', '.join(sorted({*CONVERTERS, *MERGE_CONVERTERS}))}; dropped at inference: "
            + ", ".join(sorted(NO_OP_LAYERS))
        )
    _check_finite_weights(layers)
    n_outputs = output_shape[0]
    task, labels = _keras_task(ir_layers[-1].get("activation"), n_outputs, task, classes)
    return _network_ir(
        estimator=estimator,
        task=task,
        classes=labels,
        input_shape=input_shape,
        feature_names=[],
        n_outputs=n_outputs,
        layers=ir_layers,
    )


def _convert_graph(
    layers: list[KerasLayer], shape: tuple[int, ...], graph: tuple[str, str] | None
) -> tuple[list[dict[str, Any]], tuple[int, ...] | None, list[str]]:
    """IR layers, the output shape of one sample and one "name (Class): reasons" line per
    layer that cannot be exported. Layers come in an order where each one's sources come
    first (Keras's own); an IR layer that does not read the one before names its inputs."""
    input_name, output_name = graph if graph else (None, None)
    ir_layers: list[dict[str, Any]] = []
    problems: list[str] = []
    # per layer name: (index of the IR layer holding its output or -1, output shape), or None
    # once a refused layer upstream leaves it unknown
    values: dict[str, tuple[int, tuple[int, ...]] | None] = {}
    previous: tuple[int, tuple[int, ...]] | None = (-1, shape)
    if input_name is not None:
        values[input_name] = previous
    for layer in layers:
        if layer.name == input_name:
            continue
        reasons = layer.problems + _option_problems(layer)
        if layer.sources is None:
            inputs = [previous]
        elif not layer.sources:
            reasons.append("it is never called on an input (not part of the model's graph)")
            inputs = []
        else:
            late = [name for name in layer.sources if name not in values]
            if late:
                reasons.append(f"its input {late[0]!r} is not computed before it")
            inputs = [values.get(name) for name in layer.sources]
        value = None
        # Shapes are only known up to a refused layer; after it, options alone are checked.
        if not reasons and inputs and all(v is not None for v in inputs):
            try:
                converted, out_shape = _convert_layer(layer, [v[1] for v in inputs])
                if layer.keras_major == 2:
                    for ir_layer in converted:
                        if ir_layer.get("activation") == "hard_sigmoid":
                            ir_layer["alpha"] = KERAS2_HARD_SIGMOID_SLOPE
                sources = [v[0] for v in inputs]
                if converted:
                    if sources != [len(ir_layers) - 1]:
                        converted[0]["inputs"] = sources
                    ir_layers.extend(converted)
                    value = (len(ir_layers) - 1, out_shape)
                else:
                    value = (sources[0], out_shape)
            except _Refused as refused:
                reasons.append(str(refused))
        if reasons:
            problems.append(f"{layer.name} ({layer.class_name}): {'; '.join(reasons)}")
        values[layer.name] = previous = value
    output = values.get(output_name) if output_name is not None else previous
    if problems:
        return ir_layers, None, problems
    if not ir_layers:
        return ir_layers, None, ["the model has no layers that compute anything"]
    last = [layer for layer in layers if layer.class_name not in NO_OP_LAYERS][-1]
    if output is None or output[0] != len(ir_layers) - 1:
        return ir_layers, None, [f"{last.name} ({last.class_name}): it is computed after the model output "
                                 f"{output_name!r} and does not feed it; drop it"]
    if len(output[1]) != 1:
        problems.append(
            f"{last.name} ({last.class_name}): the model output has shape {list(output[1])} per sample; "
            "it must be a vector (add Flatten or a global pooling layer)"
        )
    return ir_layers, output[1], problems


def _check_finite_weights(layers: list[KerasLayer]) -> None:
    for layer in layers:
        with np.errstate(over="ignore"):  # float64 weights too large for float32 become inf: caught here
            finite = _all_finite(*(np.asarray(w, dtype=np.float32) for w in layer.weights))
        if not finite:
            raise InvalidModelError(
                f"{layer.name} ({layer.class_name}): a weight is NaN or infinite in float32; "
                "the model cannot be exported"
            )


def _checked_input_shape(estimator: str, input_shape: Sequence[Any]) -> tuple[int, ...]:
    if not input_shape or any(not isinstance(n, (int, np.integer)) or n < 1 for n in input_shape):
        raise UnsupportedModelError(
            f"{estimator} input shape {list(input_shape)} is not fixed; every dimension but the batch "
            "must have a known size (e.g. keras.Input(shape=(64, 3)))"
        )
    return tuple(int(n) for n in input_shape)


def _keras_task(
    last_activation: str | None, n_outputs: int, task: str | None, classes: Sequence[Any] | None
) -> tuple[str, list[Any] | None]:
    binary = n_outputs == 1 and last_activation == "logistic"
    if task is None:
        multi_class = n_outputs > 1 and last_activation == "softmax"
        task = "classification" if classes is not None or binary or multi_class else "regression"
    if task not in ("classification", "regression"):
        raise InvalidInputError(f"task must be 'classification' or 'regression', got {task!r}")
    if task == "regression":
        if classes is not None:
            raise InvalidInputError("classes were given but task is 'regression'")
        return task, None
    if n_outputs == 1 and not binary:
        raise UnsupportedModelError(
            f"a classifier with one output unit must end in a sigmoid, this one ends in {last_activation!r}"
        )
    width = 2 if n_outputs == 1 else n_outputs
    if classes is None:
        return task, list(range(width))
    labels = class_labels(np.array([c.item() if isinstance(c, np.generic) else c for c in classes], dtype=object),
                          "the classes given")
    if len(labels) != width:
        raise InvalidInputError(f"classes has {len(labels)} labels; the model scores {width} classes")
    if len(set(labels)) != len(labels):
        raise InvalidInputError(f"classes has repeated labels: {labels}")
    return task, labels


def _option_problems(layer: KerasLayer) -> list[str]:
    """Reasons the layer cannot be exported that its config alone shows."""
    name = layer.class_name
    if name in NO_OP_LAYERS:
        return []
    if name in KERAS_MODEL_CLASSES or name == "Model":
        return ["nested models are not supported; build one flat Sequential or functional model"]
    if name not in CONVERTERS and name not in MERGE_CONVERTERS:
        return ["layer type not supported"]
    config, reasons = layer.config, []
    if config.get("data_format", "channels_last") != "channels_last":
        reasons.append(f"data_format={config['data_format']!r}; only 'channels_last' is supported")
    if any(d != 1 for d in _as_tuple(config.get("dilation_rate", 1))):
        reasons.append(f"dilation_rate={_as_tuple(config['dilation_rate'])}; only 1 is supported")
    if config.get("groups", 1) != 1:
        reasons.append(f"groups={config['groups']}; only 1 is supported")
    if name not in ("ZeroPadding1D", "ZeroPadding2D") and config.get("padding", "valid") not in ("valid", "same"):
        reasons.append(f"padding={config['padding']!r}; only 'valid' and 'same' are supported")
    if "activation" in config and _keras_activation_name(config["activation"]) not in KERAS_ACTIVATIONS:
        reasons.append(
            f"activation {_keras_activation_name(config['activation'])!r}; supported: {', '.join(KERAS_ACTIVATIONS)}"
        )
    if config.get("keepdims"):
        reasons.append("keepdims=True; only keepdims=False is supported")
    if config.get("lora_rank"):
        reasons.append("LoRA is enabled; merge it into the kernel first")
    if config.get("quantization_config") is not None:
        reasons.append("quantized layers are not supported")
    policy = _dtype_policy_name(config.get("dtype"))
    if policy is not None and policy not in FLOAT_DTYPE_POLICIES:
        reasons.append(f"dtype policy {policy!r}; only float policies ({', '.join(sorted(FLOAT_DTYPE_POLICIES))})")
    if name == "ReLU":
        reasons += _relu_problems(config)
    if name == "BatchNormalization" and len(_as_tuple(config.get("axis", -1))) != 1:
        reasons.append(f"axis={config['axis']}; only the last axis is supported")
    return reasons


def _relu_problems(config: dict[str, Any]) -> list[str]:
    max_value, slope = config.get("max_value"), config.get("negative_slope", 0) or 0
    if config.get("threshold", 0) != 0 or max_value not in (None, 6) or (slope and max_value is not None):
        return [
            f"ReLU(max_value={max_value}, negative_slope={slope}, threshold={config.get('threshold', 0)}); "
            "supported: the default arguments, max_value=6, or a negative_slope alone (leaky ReLU)"
        ]
    return []


def _keras_activation_name(value: Any) -> str:
    """The activation's name as a string. Built-ins serialize as their name (older files may
    wrap it in a dict from module keras.activations); anything else is named as custom."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and str(value.get("module", "")).startswith("keras"):
        return str(value.get("config"))
    return f"custom {value.get('config') if isinstance(value, dict) else value}"


def _dtype_policy_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("config", {}).get("name")
    return value if isinstance(value, str) else None


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


# Each converter takes the layer and the shape of one input sample (channels last, no batch)
# and returns its IR layers and the output sample shape, or raises _Refused.


def _convert_layer(
    layer: KerasLayer, shapes: list[tuple[int, ...]]
) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    if layer.class_name in MERGE_CONVERTERS:
        if len(shapes) < 2:
            raise _Refused(f"takes {len(shapes)} input; a merge layer takes 2 or more")
        return MERGE_CONVERTERS[layer.class_name](layer, shapes)
    if len(shapes) != 1:
        raise _Refused(f"takes {len(shapes)} inputs; only merge layers ({', '.join(sorted(MERGE_CONVERTERS))}) "
                       "take more than one")
    if layer.class_name in NO_OP_LAYERS:
        return [], shapes[0]
    return CONVERTERS[layer.class_name](layer, shapes[0])


def _require_rank(shape: tuple[int, ...], rank: int, expected: str) -> None:
    if len(shape) != rank:
        raise _Refused(f"needs a {expected} input per sample, got shape {list(shape)}")


def _named_weights(layer: KerasLayer, names: list[str]) -> dict[str, np.ndarray]:
    if len(layer.weights) != len(names):
        raise InvalidModelError(
            f"{layer.name} ({layer.class_name}): expected {len(names)} weight arrays ({', '.join(names)}), "
            f"found {len(layer.weights)}"
        )
    return dict(zip(names, layer.weights))


def _check_shape(layer: KerasLayer, what: str, array: np.ndarray, expected: tuple[int, ...]) -> None:
    if tuple(array.shape) != tuple(expected):
        raise InvalidModelError(
            f"{layer.name} ({layer.class_name}): {what} has shape {list(array.shape)}, expected {list(expected)}"
        )


def _f32(array: np.ndarray) -> dict[str, Any]:
    return encode_array(array, "float32")


def _activation(config: dict[str, Any]) -> str:
    return KERAS_ACTIVATIONS[_keras_activation_name(config.get("activation"))]


def _kernel_and_bias(layer: KerasLayer, kernel_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Kernel and bias; a layer built with use_bias=False gets a zero bias."""
    use_bias = layer.config.get("use_bias", True)
    weights = _named_weights(layer, ["kernel", "bias"] if use_bias else ["kernel"])
    _check_shape(layer, "kernel", weights["kernel"], kernel_shape)
    bias = weights.get("bias", np.zeros(kernel_shape[-1], dtype=np.float32))
    _check_shape(layer, "bias", bias, (kernel_shape[-1],))
    return weights["kernel"], bias


def _dense(layer: KerasLayer, shape: tuple[int, ...]):
    # Keras applies Dense to the last axis of a longer shape; the IR's dense takes a vector.
    _require_rank(shape, 1, "vector (Flatten or global pooling first)")
    units = int(layer.config["units"])
    kernel, bias = _kernel_and_bias(layer, (shape[0], units))
    return [_dense_layer(kernel, bias, _activation(layer.config), "float32")], (units,)


def _output_size(size: int, window: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-size // stride)
    return (size - window) // stride + 1


def _spatial_output(shape, window, strides, padding) -> tuple[int, ...]:
    spatial = tuple(_output_size(n, k, s, padding) for n, k, s in zip(shape[:-1], window, strides))
    if min(spatial) < 1:
        raise _Refused(f"window {list(window)} does not fit the input {list(shape)} with padding 'valid'")
    return spatial


def _conv(layer: KerasLayer, shape: tuple[int, ...], rank: int):
    _require_rank(shape, rank + 1, "[height, width, channels]" if rank == 2 else "[steps, channels]")
    config = layer.config
    window = tuple(int(k) for k in _as_tuple(config["kernel_size"]))
    strides = tuple(int(s) for s in _as_tuple(config["strides"]))
    filters = int(config["filters"])
    kernel, bias = _kernel_and_bias(layer, (*window, shape[-1], filters))
    spatial = _spatial_output(shape, window, strides, config["padding"])
    ir_layer = {
        "kind": f"conv{rank}d",
        "weights": _f32(kernel),
        "bias": _f32(bias),
        "strides": list(strides),
        "padding": config["padding"],
        "activation": _activation(config),
    }
    return [ir_layer], (*spatial, filters)


def _depthwise(layer: KerasLayer, shape: tuple[int, ...]):
    """DepthwiseConv2D: one kh x kw filter per (input channel, multiplier) pair; Keras's kernel
    is [kh, kw, channels, depth_multiplier], output channel c * multiplier + m."""
    _require_rank(shape, 3, "[height, width, channels]")
    config = layer.config
    window = tuple(int(k) for k in _as_tuple(config["kernel_size"]))
    strides = tuple(int(s) for s in _as_tuple(config["strides"]))
    if any(int(d) != 1 for d in _as_tuple(config.get("dilation_rate", 1))):
        raise _Refused(f"dilation_rate={config.get('dilation_rate')}; only 1 is supported")
    multiplier = int(config.get("depth_multiplier", 1))
    kernel_shape = (*window, shape[-1], multiplier)
    use_bias = config.get("use_bias", True)
    weights = _named_weights(layer, ["depthwise_kernel", "bias"] if use_bias else ["depthwise_kernel"])
    _check_shape(layer, "depthwise_kernel", weights["depthwise_kernel"], kernel_shape)
    bias = weights.get("bias", np.zeros(shape[-1] * multiplier, dtype=np.float32))
    _check_shape(layer, "bias", bias, (shape[-1] * multiplier,))
    spatial = _spatial_output(shape, window, strides, config["padding"])
    ir_layer = {
        "kind": "depthwise_conv2d",
        "weights": _f32(weights["depthwise_kernel"]),
        "bias": _f32(bias),
        "strides": list(strides),
        "padding": config["padding"],
        "activation": _activation(config),
    }
    return [ir_layer], (*spatial, shape[-1] * multiplier)


def _pool(layer: KerasLayer, shape: tuple[int, ...], rank: int, op: str):
    _require_rank(shape, rank + 1, "[height, width, channels]" if rank == 2 else "[steps, channels]")
    config = layer.config
    window = tuple(int(p) for p in _as_tuple(config["pool_size"]))
    strides = tuple(int(s) for s in _as_tuple(config.get("strides") or window))
    spatial = _spatial_output(shape, window, strides, config["padding"])
    ir_layer = {
        "kind": f"{op}_pool{rank}d",
        "pool_size": list(window),
        "strides": list(strides),
        "padding": config["padding"],
    }
    return [ir_layer], (*spatial, shape[-1])


def _global_pool(layer: KerasLayer, shape: tuple[int, ...], rank: int, op: str):
    _require_rank(shape, rank + 1, "[height, width, channels]" if rank == 2 else "[steps, channels]")
    return [{"kind": f"global_{op}_pool{rank}d"}], (shape[-1],)


def _flatten(layer: KerasLayer, shape: tuple[int, ...]):
    return [{"kind": "flatten"}], (math.prod(shape),)


def _activation_layer(layer: KerasLayer, shape: tuple[int, ...]):
    return [{"kind": "activation", "activation": _activation(layer.config)}], shape


def _relu_layer(layer: KerasLayer, shape: tuple[int, ...]):
    slope = layer.config.get("negative_slope", 0) or 0
    if slope:
        return [{"kind": "activation", "activation": "leaky_relu", "alpha": float(slope)}], shape
    activation = "relu" if layer.config.get("max_value") is None else "relu6"
    return [{"kind": "activation", "activation": activation}], shape


def _leaky_relu_layer(layer: KerasLayer, shape: tuple[int, ...]):
    # Keras 3 names the slope negative_slope, Keras 2 alpha; both default to 0.3 in this layer
    slope = layer.config.get("negative_slope", layer.config.get("alpha", 0.3))
    return [{"kind": "activation", "activation": "leaky_relu", "alpha": float(slope)}], shape


def _elu_layer(layer: KerasLayer, shape: tuple[int, ...]):
    return [{"kind": "activation", "activation": "elu", "alpha": float(layer.config.get("alpha", 1.0))}], shape


def _rescaling(layer: KerasLayer, shape: tuple[int, ...]):
    """x * scale + offset, each a number or one per channel (Keras broadcasts them)."""
    channels = shape[-1]
    try:
        scale = np.broadcast_to(np.asarray(layer.config.get("scale", 1.0), dtype=np.float64), (channels,))
        offset = np.broadcast_to(np.asarray(layer.config.get("offset", 0.0), dtype=np.float64), (channels,))
    except ValueError:
        raise _Refused(f"scale and offset must be numbers or one per channel ({channels})") from None
    return [{"kind": "affine", "scale": _f32(scale), "offset": _f32(offset)}], shape


def _reshape(layer: KerasLayer, shape: tuple[int, ...]):
    """A new shape over the same values: channels-last row-major data does not move."""
    target = [int(n) for n in layer.config.get("target_shape", ())]
    if target.count(-1) == 1:
        known = math.prod(n for n in target if n != -1)
        target[target.index(-1)] = math.prod(shape) // known if known else 0
    if not 1 <= len(target) <= 3 or math.prod(target) != math.prod(shape) or min(target) < 1:
        raise _Refused(f"target_shape={layer.config.get('target_shape')} for an input of shape {list(shape)}; "
                       "1 to 3 dimensions holding the same values")
    if len(target) == 1:
        return [{"kind": "flatten"}], (target[0],)
    return [{"kind": "reshape", "shape": target}], tuple(target)


def _pairs(value: Any, rank: int) -> list[tuple[int, int]]:
    """Keras's padding / cropping argument (n, (a, b) or ((t, b), (l, r))) as one (before, after)
    pair per spatial axis."""
    items = list(value) if isinstance(value, (list, tuple)) else [value] * rank
    if rank == 1 and len(items) == 2 and all(isinstance(v, int) for v in items):
        return [(int(items[0]), int(items[1]))]
    pairs = [tuple(v) if isinstance(v, (list, tuple)) else (v, v) for v in items]
    return [(int(a), int(b)) for a, b in pairs]


def _pad_or_crop(layer: KerasLayer, shape: tuple[int, ...], rank: int, sign: int):
    """ZeroPadding (sign 1) and Cropping (sign -1), 1-D and 2-D."""
    _require_rank(shape, rank + 1, "[height, width, channels]" if rank == 2 else "[steps, channels]")
    pairs = _pairs(layer.config.get("padding" if sign > 0 else "cropping"), rank)
    if len(pairs) != rank or min(min(p) for p in pairs) < 0:
        raise _Refused(f"{'padding' if sign > 0 else 'cropping'} {pairs}: expected {rank} (before, after) pair(s)")
    spatial = tuple(n + sign * (a + b) for n, (a, b) in zip(shape[:-1], pairs))
    if min(spatial) < 1:
        raise _Refused(f"crops the input {list(shape)} to nothing")
    (top, bottom), (left, right) = ((0, 0), *pairs) if rank == 1 else pairs
    return [{"kind": "pad", "pads": [sign * top, sign * bottom, sign * left, sign * right]}], (*spatial, shape[-1])


def _upsampling(layer: KerasLayer, shape: tuple[int, ...], rank: int):
    _require_rank(shape, rank + 1, "[height, width, channels]" if rank == 2 else "[steps, channels]")
    if layer.config.get("interpolation", "nearest") != "nearest":
        raise _Refused(f"interpolation={layer.config['interpolation']!r}; only 'nearest' is supported")
    size = [int(n) for n in _as_tuple(layer.config.get("size", 2))]
    size = size * rank if len(size) == 1 else size
    factors = [1, *size] if rank == 1 else size
    return [{"kind": "upsample", "size": factors}], (*(n * f for n, f in zip(shape[:-1], size)), shape[-1])


def _separable(layer: KerasLayer, shape: tuple[int, ...], rank: int):
    """SeparableConv1D / 2D: a depthwise convolution (depth_multiplier filters per channel, no
    bias) then a 1x1 convolution with the bias and the activation."""
    _require_rank(shape, rank + 1, "[height, width, channels]" if rank == 2 else "[steps, channels]")
    config = layer.config
    window = tuple(int(k) for k in _as_tuple(config["kernel_size"]))
    strides = tuple(int(s) for s in _as_tuple(config["strides"]))
    multiplier, filters, channels = int(config.get("depth_multiplier", 1)), int(config["filters"]), shape[-1]
    use_bias = config.get("use_bias", True)
    weights = _named_weights(layer, ["depthwise_kernel", "pointwise_kernel"] + (["bias"] if use_bias else []))
    _check_shape(layer, "depthwise_kernel", weights["depthwise_kernel"], (*window, channels, multiplier))
    _check_shape(layer, "pointwise_kernel", weights["pointwise_kernel"], (*([1] * rank), channels * multiplier,
                                                                           filters))
    bias = weights.get("bias", np.zeros(filters, dtype=np.float32))
    _check_shape(layer, "bias", bias, (filters,))
    spatial = _spatial_output(shape, window, strides, config["padding"])
    depthwise = weights["depthwise_kernel"].reshape((1, *window, channels, multiplier)[-4:])  # 1-D: kh = 1
    depthwise_layer = {
        "kind": "depthwise_conv2d",
        "weights": _f32(depthwise),
        "bias": _f32(np.zeros(channels * multiplier)),
        "strides": list(strides) if rank == 2 else [1, strides[0]],
        "padding": config["padding"],
        "activation": "identity",
    }
    pointwise_layer = {
        "kind": f"conv{rank}d",
        "weights": _f32(weights["pointwise_kernel"]),
        "bias": _f32(bias),
        "strides": [1] * rank,
        "padding": "valid",
        "activation": _activation(config),
    }
    return [depthwise_layer, pointwise_layer], (*spatial, filters)


def _is_last_axis(axis: Any, shape: tuple[int, ...]) -> bool:
    # Axes count the batch dimension: the last one is -1 or len(shape).
    return axis in (-1, len(shape))


def _softmax_layer(layer: KerasLayer, shape: tuple[int, ...]):
    axis = _as_tuple(layer.config.get("axis", -1))
    if len(axis) != 1 or not _is_last_axis(axis[0], shape):
        raise _Refused(f"axis={layer.config.get('axis')}; only the last axis is supported")
    return [{"kind": "activation", "activation": "softmax"}], shape


def _batch_norm(layer: KerasLayer, shape: tuple[int, ...]):
    config = layer.config
    axis = _as_tuple(config.get("axis", -1))[0]
    if not _is_last_axis(axis, shape):
        raise _Refused(f"axis={axis}; only the last axis is supported")
    names = (["gamma"] if config.get("scale", True) else []) + (["beta"] if config.get("center", True) else [])
    weights = _named_weights(layer, names + ["moving_mean", "moving_variance"])
    channels = shape[-1]
    for what, array in weights.items():
        _check_shape(layer, what, array, (channels,))
    if np.any(np.asarray(weights["moving_variance"]) < 0):
        raise InvalidModelError(f"{layer.name} ({layer.class_name}): a moving variance is negative")
    epsilon = float(config.get("epsilon", 1e-3))
    if not math.isfinite(epsilon):
        raise InvalidModelError(f"{layer.name} ({layer.class_name}): epsilon is {epsilon}; a header holds finite "
                                "numbers only: save the model with a finite epsilon (Keras's default is 0.001)")
    ir_layer = {
        "kind": "batch_norm",
        "gamma": _f32(weights.get("gamma", np.ones(channels))),
        "beta": _f32(weights.get("beta", np.zeros(channels))),
        "mean": _f32(weights["moving_mean"]),
        "variance": _f32(weights["moving_variance"]),
        "epsilon": epsilon,
    }
    return [ir_layer], shape


def _merge(layer: KerasLayer, shapes: list[tuple[int, ...]], kind: str):
    """Add, Subtract, Multiply, Average, Maximum: element by element over inputs of one shape."""
    if any(s != shapes[0] for s in shapes):
        raise _Refused(f"its inputs have shapes {[list(s) for s in shapes]}; they must be equal (no broadcasting)")
    if kind == "subtract" and len(shapes) != 2:
        raise _Refused(f"takes {len(shapes)} inputs; Subtract takes 2")
    return [{"kind": kind}], shapes[0]


def _concatenate(layer: KerasLayer, shapes: list[tuple[int, ...]]):
    axis = layer.config.get("axis", -1)
    if not all(_is_last_axis(axis, s) for s in shapes):
        raise _Refused(f"axis={axis}; only the last axis (channels) is supported")
    if any(s[:-1] != shapes[0][:-1] for s in shapes):
        raise _Refused(f"its inputs have shapes {[list(s) for s in shapes]}; all but the last axis must be equal")
    return [{"kind": "concatenate"}], (*shapes[0][:-1], sum(s[-1] for s in shapes))


MERGE_CONVERTERS = {
    "Add": lambda layer, shapes: _merge(layer, shapes, "add"),
    "Subtract": lambda layer, shapes: _merge(layer, shapes, "subtract"),
    "Multiply": lambda layer, shapes: _merge(layer, shapes, "multiply"),
    "Average": lambda layer, shapes: _merge(layer, shapes, "average"),
    "Maximum": lambda layer, shapes: _merge(layer, shapes, "maximum"),
    "Concatenate": _concatenate,
}

CONVERTERS = {
    "Dense": _dense,
    "Conv1D": lambda layer, shape: _conv(layer, shape, 1),
    "Conv2D": lambda layer, shape: _conv(layer, shape, 2),
    "DepthwiseConv2D": _depthwise,
    "MaxPooling1D": lambda layer, shape: _pool(layer, shape, 1, "max"),
    "AveragePooling1D": lambda layer, shape: _pool(layer, shape, 1, "avg"),
    "MaxPooling2D": lambda layer, shape: _pool(layer, shape, 2, "max"),
    "AveragePooling2D": lambda layer, shape: _pool(layer, shape, 2, "avg"),
    "GlobalAveragePooling1D": lambda layer, shape: _global_pool(layer, shape, 1, "avg"),
    "GlobalMaxPooling1D": lambda layer, shape: _global_pool(layer, shape, 1, "max"),
    "GlobalAveragePooling2D": lambda layer, shape: _global_pool(layer, shape, 2, "avg"),
    "GlobalMaxPooling2D": lambda layer, shape: _global_pool(layer, shape, 2, "max"),
    "Flatten": _flatten,
    "Activation": _activation_layer,
    "ReLU": _relu_layer,
    "LeakyReLU": _leaky_relu_layer,
    "ELU": _elu_layer,
    "Rescaling": _rescaling,
    "Reshape": _reshape,
    "ZeroPadding1D": lambda layer, shape: _pad_or_crop(layer, shape, 1, 1),
    "ZeroPadding2D": lambda layer, shape: _pad_or_crop(layer, shape, 2, 1),
    "Cropping1D": lambda layer, shape: _pad_or_crop(layer, shape, 1, -1),
    "Cropping2D": lambda layer, shape: _pad_or_crop(layer, shape, 2, -1),
    "UpSampling1D": lambda layer, shape: _upsampling(layer, shape, 1),
    "UpSampling2D": lambda layer, shape: _upsampling(layer, shape, 2),
    "SeparableConv1D": lambda layer, shape: _separable(layer, shape, 1),
    "SeparableConv2D": lambda layer, shape: _separable(layer, shape, 2),
    "Softmax": _softmax_layer,
    "BatchNormalization": _batch_norm,
}


def is_network(model: Any) -> bool:
    """A live Keras model or a scikit-learn MLP."""
    return is_keras_model(model) or estimator_name(model) in MLP_ESTIMATORS


def network_to_ir(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """The IR of a live Keras model or a fitted MLP (X_train / y_train are not needed)."""
    return keras_to_ir(model) if is_keras_model(model) else mlp_to_ir(model)


READER = Reader("networks", ESTIMATORS, network_to_ir, claims=is_network)
