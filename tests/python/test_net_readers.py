"""The neural-network readers: the IR of an MLP or a Keras model, run by a plain numpy forward
pass (net_reference.py), computes what the model computes; saved .keras/.h5 files give the
same IR as the live model, without keras; what the IR cannot express is refused up front."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")  # before anything imports keras

import numpy as np
import pytest
from net_reference import forward
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from tinyml_lab import (
    InvalidInputError,
    InvalidModelError,
    NotFittedError,
    UnsupportedModelError,
    supported_estimators,
)
from tinyml_lab.arrays import decode_array
from tinyml_lab.readers import model_to_ir
from tinyml_lab.readers.keras_files import keras_file_to_ir
from tinyml_lab.readers.networks import keras_to_ir, mlp_to_ir

REPO = Path(__file__).resolve().parents[2]
# Keras 3 itself calls np.array(variable) in a way numpy 2 warns about; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
TOP_LEVEL_KEYS = ["format", "version", "family", "estimator", "task", "classes", "n_features", "input_shape",
                  "feature_names", "n_outputs", "layers"]


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    """Relative to the output's magnitude: float32 model vs float64 reference."""
    expected = np.asarray(expected, dtype=np.float64).reshape(actual.shape)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(expected).max()))


def check_top_level(ir: dict) -> None:
    json.dumps(ir)  # JSON-serialisable as it is
    expected = TOP_LEVEL_KEYS if ir["task"] == "classification" else [k for k in TOP_LEVEL_KEYS if k != "classes"]
    assert list(ir) == expected
    assert ir["format"] == "tinyml-lab-ir" and ir["version"] == 1 and ir["family"] == "neural_net"
    assert ir["n_features"] == int(np.prod(ir["input_shape"]))


# --------------------------------------------------------------------------- scikit-learn MLP


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def standardized(X: np.ndarray) -> np.ndarray:
    return ((X - X.mean(axis=0)) / (X.std(axis=0) + 1e-9)).astype(np.float32)


@pytest.mark.parametrize(
    "data, activation",
    [("digits", "relu"), ("digits", "tanh"), ("digits", "logistic"), ("breast_cancer", "relu"),
     ("breast_cancer", "logistic")],
)
def test_mlp_classifier_ir_computes_predict_proba(data, activation):
    X, y = {"digits": load_digits, "breast_cancer": load_breast_cancer}[data](return_X_y=True)
    X = standardized(X)
    mlp = MLPClassifier(hidden_layer_sizes=(12, 7), activation=activation, max_iter=60, random_state=0)
    model = fit_quietly(mlp, X, y)
    ir = mlp_to_ir(model)
    check_top_level(ir)
    assert ir["estimator"] == "sklearn.neural_network.MLPClassifier"
    assert ir["classes"] == model.classes_.tolist()
    assert ir["input_shape"] == [X.shape[1]] and ir["feature_names"] == []
    assert [layer["activation"] for layer in ir["layers"]] == [activation, activation, model.out_activation_]
    assert all(layer["weights"]["dtype"] == "float64" for layer in ir["layers"])

    out = forward(ir, X)
    proba = model.predict_proba(X)
    if data == "breast_cancer":  # binary: one logistic unit, the probability of classes_[1]
        assert ir["n_outputs"] == 1
        assert_close(out, proba[:, 1])
    else:
        assert ir["n_outputs"] == 10
        assert_close(out, proba)
    labels = np.asarray(ir["classes"])[proba.argmax(axis=1)]
    np.testing.assert_array_equal(labels, model.predict(X))


def test_mlp_classifier_string_labels():
    X, y = load_breast_cancer(return_X_y=True)
    labels = np.array(["benign", "malignant"])[y]
    model = fit_quietly(MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0), standardized(X), labels)
    assert mlp_to_ir(model)["classes"] == ["benign", "malignant"]


@pytest.mark.parametrize("n_targets", [1, 2])
def test_mlp_regressor_ir_computes_predict(n_targets):
    X, y = load_diabetes(return_X_y=True)
    X = standardized(X)
    y = y if n_targets == 1 else np.stack([y, -0.5 * y], axis=1)
    model = fit_quietly(MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, random_state=0), X, y)
    ir = model_to_ir(model)  # through the dispatch
    check_top_level(ir)
    assert ir["task"] == "regression" and ir["n_outputs"] == n_targets
    assert ir["layers"][-1]["activation"] == "identity"
    assert_close(forward(ir, X), model.predict(X))


def test_poisson_mlp_regressor_is_refused():
    X, y = load_diabetes(return_X_y=True)
    model = fit_quietly(MLPRegressor(loss="poisson", hidden_layer_sizes=(4,), max_iter=5, random_state=0), X, y)
    with pytest.raises(UnsupportedModelError, match="out_activation_='exp' is not supported"):
        mlp_to_ir(model)


def test_unfitted_mlp_is_refused():
    with pytest.raises(NotFittedError, match="MLPClassifier is not fitted yet"):
        model_to_ir(MLPClassifier())


def test_multilabel_mlp_is_refused():
    X = np.random.default_rng(0).normal(size=(60, 4))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0], axis=1).astype(int)
    model = fit_quietly(MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0), X, Y)
    with pytest.raises(UnsupportedModelError, match="multilabel"):
        mlp_to_ir(model)


def test_nan_weight_in_mlp_names_the_layer():
    X, y = load_diabetes(return_X_y=True)
    model = fit_quietly(MLPRegressor(hidden_layer_sizes=(6, 5), max_iter=5, random_state=0), X, y)
    model.coefs_[1][2, 3] = np.nan
    with pytest.raises(InvalidModelError, match=r"MLPRegressor layer 2 of 3 \(6 -> 5 units\).*NaN"):
        mlp_to_ir(model)


def test_unsupported_estimator_message_lists_networks():
    from sklearn.ensemble import AdaBoostClassifier

    # The message names the families; the full list of estimators is one call away.
    with pytest.raises(UnsupportedModelError, match=r"Supported: .*\bnetworks\b.*supported_estimators\(\)"):
        model_to_ir(AdaBoostClassifier())
    assert "MLPClassifier, MLPRegressor, keras.Sequential" in supported_estimators()


# --------------------------------------------------------------------------- Keras models


@pytest.fixture(scope="module")
def keras():
    import keras  # noqa: PLC0415 - a test dependency (KERAS_BACKEND=jax, set in conftest)

    keras.utils.set_random_seed(0)
    return keras


def randomize(model, seed: int = 0):
    """Random weights in every layer, moving variances positive, so batch norm really acts."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
        if type(layer).__name__ == "BatchNormalization":
            values[-1] = rng.uniform(0.5, 2.0, size=values[-1].shape)
        layer.set_weights([v.astype(np.float32) for v in values])
    return model


def dense_bn_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((8,)),
        L.Dense(16, activation="relu"),
        L.BatchNormalization(),
        L.Dropout(0.3),
        L.Dense(8, activation="tanh", use_bias=False),
        L.BatchNormalization(center=False, epsilon=0.01),
        L.GaussianNoise(0.1),
        L.Dense(3, activation="softmax"),
    ])


def conv1d_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((23, 3)),
        L.Conv1D(4, 3, strides=2, padding="valid", activation="relu"),
        L.MaxPooling1D(2, padding="same"),
        L.Conv1D(5, 4, strides=2, padding="same", activation="tanh"),
        L.AveragePooling1D(2, strides=1, padding="same"),
        L.Conv1D(6, 2, padding="valid"),
        L.AveragePooling1D(2),
        L.GlobalAveragePooling1D(),
        L.Dense(2),
    ])


def conv2d_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((11, 9, 2)),
        L.Conv2D(4, (4, 2), padding="same", activation="relu"),  # even kernels: padding 1+2, 0+1
        L.Conv2D(5, 3, strides=2, padding="same"),  # 11 -> 6 with padding 1+1; 9 -> 5 with 1+1
        L.ReLU(max_value=6),
        L.MaxPooling2D((2, 2), padding="same"),  # 6x5 -> 3x3: width padded 0+1
        L.Conv2D(3, 2, strides=(1, 2), padding="same", activation="sigmoid"),  # 3x3 -> 3x2, pads 0+1
        L.Flatten(),
        L.Dropout(0.2),
        L.Dense(4, activation="softmax"),
    ])


def conv2d_pooling_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((10, 7, 3)),
        L.Conv2D(4, 3, activation="relu6"),
        L.SpatialDropout2D(0.2),
        L.AveragePooling2D((2, 2), strides=(1, 2), padding="same"),
        L.BatchNormalization(scale=False),
        L.GlobalMaxPooling2D(),
        L.Dense(1),
    ])


def global_avg_2d_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((5, 5, 2)),
        L.Conv2D(3, 2, activation="tanh"),
        L.GlobalAveragePooling2D(),
        L.Activation("softmax"),
    ])


def functional_chain_model(keras):
    L = keras.layers
    inputs = keras.Input((6,), name="features")
    x = L.Dense(5, name="hidden")(inputs)
    x = L.ReLU(name="hidden_relu")(x)
    x = L.Dense(4, name="hidden_2")(x)
    x = L.BatchNormalization(name="norm")(x)
    x = L.Dense(3, name="logits")(x)
    outputs = L.Softmax(name="proba")(x)
    return keras.Model(inputs, outputs)


def sigmoid_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((4,)),
        L.Dense(3, activation="relu6"),
        L.Dense(1, activation="sigmoid"),
    ])


def global_max_1d_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((9, 2)),
        L.Conv1D(3, 3, padding="same", activation="relu"),
        L.GlobalMaxPooling1D(),
        L.Dense(2, activation="linear"),
    ])


KERAS_MODELS = {
    "dense_bn": (dense_bn_model, "classification", [0, 1, 2]),
    "conv1d": (conv1d_model, "regression", None),
    "conv2d": (conv2d_model, "classification", [0, 1, 2, 3]),
    "conv2d_pooling": (conv2d_pooling_model, "regression", None),
    "global_avg_2d": (global_avg_2d_model, "classification", [0, 1, 2]),
    "functional_chain": (functional_chain_model, "classification", [0, 1, 2]),
    "sigmoid": (sigmoid_model, "classification", [0, 1]),
    "global_max_1d": (global_max_1d_model, "regression", None),
}


@pytest.fixture(scope="module")
def keras_models(keras):
    return {name: randomize(build(keras), seed=i) for i, (name, (build, _, _)) in enumerate(KERAS_MODELS.items())}


def sample_rows(model, n: int = 12) -> np.ndarray:
    shape = tuple(model.inputs[0].shape[1:])
    return np.random.default_rng(1).normal(size=(n, *shape)).astype(np.float32)


@pytest.mark.parametrize("name", sorted(KERAS_MODELS))
def test_keras_ir_computes_predict(keras_models, name):
    model = keras_models[name]
    _, task, classes = KERAS_MODELS[name]
    ir = keras_to_ir(model)
    check_top_level(ir)
    assert ir["estimator"] == ("keras.Functional" if name == "functional_chain" else "keras.Sequential")
    assert ir["task"] == task and ir.get("classes") == classes
    assert ir["input_shape"] == list(model.inputs[0].shape[1:])
    assert ir["n_outputs"] == model.outputs[0].shape[-1]
    arrays = [value for layer in ir["layers"] for value in layer.values() if isinstance(value, dict)]
    assert arrays and all(array["dtype"] == "float32" for array in arrays)

    X = sample_rows(model)
    assert_close(forward(ir, X), model.predict(X, verbose=0))
    assert model_to_ir(model) == ir  # the dispatch routes Keras models here


def test_keras_ir_layer_contents(keras_models):
    ir = keras_to_ir(keras_models["dense_bn"])
    assert [layer["kind"] for layer in ir["layers"]] == ["dense", "batch_norm", "dense", "batch_norm", "dense"]
    no_bias, bn_no_center = ir["layers"][2], ir["layers"][3]
    assert not decode_array(no_bias["bias"]).any()
    assert not decode_array(bn_no_center["beta"]).any() and bn_no_center["epsilon"] == pytest.approx(0.01)
    conv = keras_to_ir(keras_models["conv1d"])["layers"][2]
    assert conv["kind"] == "conv1d" and conv["strides"] == [2] and conv["padding"] == "same"
    assert decode_array(conv["weights"]).shape == (4, 4, 5)
    pool = keras_to_ir(keras_models["conv2d_pooling"])["layers"][1]
    assert pool == {"kind": "avg_pool2d", "pool_size": [2, 2], "strides": [1, 2], "padding": "same"}


def test_keras_task_override(keras_models):
    model = keras_models["dense_bn"]
    assert keras_to_ir(model, task="regression")["task"] == "regression"
    assert "classes" not in keras_to_ir(model, task="regression")
    assert keras_to_ir(model, classes=["cat", "dog", "fox"])["classes"] == ["cat", "dog", "fox"]
    assert keras_to_ir(keras_models["sigmoid"], classes=np.array([3, 7]))["classes"] == [3, 7]
    regression = keras_to_ir(keras_models["global_max_1d"], task="classification")
    assert regression["task"] == "classification" and regression["classes"] == [0, 1]
    with pytest.raises(InvalidInputError, match="classes has 2 labels; the model scores 3 classes"):
        keras_to_ir(model, classes=["a", "b"])
    with pytest.raises(InvalidInputError, match="task must be"):
        keras_to_ir(model, task="clustering")
    with pytest.raises(UnsupportedModelError, match="one output unit must end in a sigmoid"):
        keras_to_ir(keras_models["conv2d_pooling"], task="classification")


# --------------------------------------------------------------------------- Keras files


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(KERAS_MODELS))
def test_keras_file_gives_the_live_ir(keras_models, tmp_path, name, suffix):
    model = keras_models[name]
    path = tmp_path / f"model{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns that .h5 is a legacy format
        model.save(path)
    # Equal dicts: equal base64 data, so bit-identical weights.
    assert keras_file_to_ir(path) == keras_to_ir(model)
    assert model_to_ir(str(path)) == keras_to_ir(model)


def test_keras_file_reads_without_keras(keras_models, tmp_path):
    paths = []
    for name in ("conv2d", "functional_chain"):
        for suffix in (".keras", ".h5"):
            paths.append(tmp_path / f"{name}{suffix}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                keras_models[name].save(paths[-1])
    script = (
        "import json, sys\n"
        "sys.modules['keras'] = None  # any import of keras now fails\n"
        "sys.modules['tensorflow'] = None\n"
        "from tinyml_lab.readers.keras_files import keras_file_to_ir\n"
        "irs = [keras_file_to_ir(p) for p in sys.argv[1:]]\n"
        "assert 'keras' not in {m.split('.')[0] for m, v in sys.modules.items() if v is not None}\n"
        "print(json.dumps(irs))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    irs = json.loads(done.stdout)
    expected = [keras_to_ir(keras_models[name]) for name in ("conv2d", "functional_chain") for _ in range(2)]
    assert irs == expected


def test_keras_slot_names_follow_keras(keras):
    from keras.src.utils.naming import to_snake_case  # the naming the weights file uses

    from tinyml_lab.readers.keras_files import _snake_case
    from tinyml_lab.readers.networks import CONVERTERS, NO_OP_LAYERS

    for class_name in [*CONVERTERS, *NO_OP_LAYERS, "LSTM", "Conv2DTranspose", "ZeroPadding2D"]:
        assert _snake_case(class_name) == to_snake_case(class_name)


def test_not_a_keras_file(tmp_path):
    path = tmp_path / "m.keras"
    path.write_text("not a zip")
    with pytest.raises(InvalidModelError, match="not a .keras archive"):
        keras_file_to_ir(path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        keras_file_to_ir(tmp_path / "missing.h5")


# --------------------------------------------------------------------------- Keras refusals


def test_every_unsupported_layer_is_listed(keras, tmp_path):
    L = keras.layers
    model = keras.Sequential([
        keras.Input((9, 9, 3)),
        L.Conv2D(4, 3, dilation_rate=2, name="dilated"),
        L.Permute((2, 1, 3), name="permute"),
        L.Reshape((25, 4), name="reshape"),
        L.LSTM(3, name="lstm"),
        L.Dense(2, activation="gelu", name="gelu_dense"),
        L.Dense(2, name="fine"),
    ])
    expected = [
        r"dilated \(Conv2D\): dilation_rate=\(2, 2\); only 1 is supported",
        r"permute \(Permute\): layer type not supported",
        r"lstm \(LSTM\): layer type not supported",
        r"gelu_dense \(Dense\): activation 'gelu'",
    ]
    with pytest.raises(UnsupportedModelError) as info:
        keras_to_ir(model)
    message = str(info.value)
    for pattern in expected:
        assert re.search(pattern, message), (pattern, message)
    assert "fine (Dense)" not in message

    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(UnsupportedModelError) as from_file:
        keras_file_to_ir(path)
    assert str(from_file.value) == message


def doubled(x):
    """A custom activation function."""
    return 2 * x


@pytest.mark.parametrize(
    "build, reason",
    [
        (lambda L: [L.Conv1D(2, 3, padding="causal")], "padding='causal'"),
        (lambda L: [L.Conv1D(2, 3, data_format="channels_first")], "data_format='channels_first'"),
        (lambda L: [L.Conv1D(4, 3, groups=2)], "groups=2"),
        (lambda L: [L.GlobalAveragePooling1D(keepdims=True)], "keepdims=True"),
        (lambda L: [L.ReLU(max_value=6.0, negative_slope=0.1)], "negative_slope=0.1"),
        (lambda L: [L.BatchNormalization(axis=1)], "axis=1; only the last axis"),
        (lambda L: [L.Softmax(axis=1)], "axis=1; only the last axis"),
        (lambda L: [L.Dense(3)],
         r"needs a vector \(Flatten or global pooling first\) input per sample, got shape \[6, 4\]"),
        (lambda L: [L.PReLU()], "layer type not supported"),
        (lambda L: [L.Dense(2, activation=doubled)], "activation 'custom doubled'"),
        (lambda L: [L.Conv1D(2, 3)], r"the model output has shape \[4, 2\]"),
    ],
)
def test_unsupported_options_are_named(keras, build, reason):
    model = keras.Sequential([keras.Input((6, 4)), *build(keras.layers)])
    with pytest.raises(UnsupportedModelError, match=reason):
        keras_to_ir(model)


def branching_model(keras):
    L = keras.layers
    inputs = keras.Input((4,))
    trunk = L.Dense(4, name="trunk")(inputs)
    left = L.Dense(3, name="left")(trunk)
    right = L.Dense(3, name="right")(trunk)
    merged = L.Add(name="merge")([left, right])
    return keras.Model(inputs, L.Dense(2, name="head")(merged))


def test_branching_functional_model_is_a_graph(keras, tmp_path):
    """Two branches from one trunk joined by Add: each layer names the IR layers it reads where
    that is not the one before, the live model and its saved file alike."""
    model = branching_model(keras)
    ir = keras_to_ir(model)
    assert [layer["kind"] for layer in ir["layers"]] == ["dense", "dense", "dense", "add", "dense"]
    assert [layer.get("inputs") for layer in ir["layers"]] == [None, None, [0], [1, 2], None]
    model.save(tmp_path / "branching.keras")
    assert keras_file_to_ir(tmp_path / "branching.keras") == ir


def test_graph_problems_are_one_line_per_layer(keras):
    L = keras.layers
    inputs = keras.Input((4, 3))
    with pytest.raises(UnsupportedModelError, match=r"join \(Concatenate\): axis=1; only the last axis"):
        keras_to_ir(keras.Model(inputs, L.Concatenate(axis=1, name="join")([inputs, inputs])))
    minimum = keras.Model(inputs, L.Minimum(name="low")([inputs, inputs]))
    with pytest.raises(UnsupportedModelError, match=r"low \(Minimum\): layer type not supported"):
        keras_to_ir(minimum)


def test_shared_layer_and_multiple_inputs_are_refused(keras, tmp_path):
    L = keras.layers
    inputs = keras.Input((3,))
    shared = L.Dense(3, name="shared")
    model = keras.Model(inputs, shared(shared(inputs)))
    with pytest.raises(UnsupportedModelError, match=r"shared \(Dense\): called 2 times; a layer called more"):
        keras_to_ir(model)
    model.save(tmp_path / "shared.keras")
    with pytest.raises(UnsupportedModelError, match=r"shared \(Dense\): called 2 times"):
        keras_file_to_ir(tmp_path / "shared.keras")

    a, b = keras.Input((2,)), keras.Input((2,))
    two_inputs = keras.Model([a, b], L.Dense(1)(L.Concatenate()([a, b])))
    with pytest.raises(UnsupportedModelError, match="2 inputs"):
        keras_to_ir(two_inputs)


def test_unbuilt_and_nested_models_are_refused(keras):
    with pytest.raises(UnsupportedModelError, match="not built"):
        keras_to_ir(keras.Sequential([keras.layers.Dense(2)]))
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="inner")
    outer = keras.Sequential([keras.Input((3,)), inner])
    with pytest.raises(UnsupportedModelError, match=r"inner \(Sequential\): nested models"):
        keras_to_ir(outer)


def test_custom_layer_is_refused(keras):
    class Doubling(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    model = keras.Sequential([keras.Input((3,)), Doubling(name="doubling"), keras.layers.Dense(2)])
    with pytest.raises(UnsupportedModelError, match=r"doubling \(Doubling\): custom layer class"):
        keras_to_ir(model)


def test_nan_weight_in_keras_names_the_layer(keras):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="first"),
                              keras.layers.Dense(2, name="second")])
    kernel, bias = model.layers[1].get_weights()
    kernel[1, 1] = np.inf
    model.layers[1].set_weights([kernel, bias])
    with pytest.raises(InvalidModelError, match=r"second \(Dense\): a weight is NaN or infinite"):
        keras_to_ir(model)
