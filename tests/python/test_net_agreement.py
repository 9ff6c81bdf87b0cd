"""Neural networks: the exported header (gcc) and the WebAssembly runtime agree with
scikit-learn's MLPs and with Keras on real data sets, in float32 (within 1e-5) and in int8
(accuracy drop reported and bounded)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from conftest import REPOSITORY, split
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import tinyml_lab
from tinyml_lab.datasets import make_imu_windows
from tinyml_lab.errors import InvalidInputError

os.environ.setdefault("KERAS_BACKEND", "jax")

#: float32 sums of float32 weights against scikit-learn's float64 and Keras' float32
FLOAT_TOLERANCE = 1e-5


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _near_ties(proba: np.ndarray, margin: float) -> set[int]:
    top2 = np.sort(proba, axis=1)[:, -2:]
    return set(np.flatnonzero(top2[:, 1] - top2[:, 0] <= margin).tolist())


@pytest.mark.parametrize(
    "loader, activation",
    [(load_digits, "relu"), (load_breast_cancer, "tanh"), (load_iris, "logistic")],
    ids=["digits-relu", "breast_cancer-tanh", "iris-logistic"],
)
def test_mlp_classifier_float32_matches_sklearn(loader, activation, run_header):
    X, y = _scaled(loader)
    X_train, y_train, _, _ = split(X, y)
    model = MLPClassifier(hidden_layer_sizes=(32, 16), activation=activation, max_iter=300,
                          random_state=0).fit(X_train, y_train)
    x32 = X.astype(np.float32)
    proba = model.predict_proba(x32)
    converted = tinyml_lab.convert(model)
    out = run_header(converted.header, X)
    np.testing.assert_allclose(out[:, 1:], proba, atol=FLOAT_TOLERANCE)
    device = model.classes_[out[:, 0].astype(int)]
    mismatches = set(np.flatnonzero(device != model.predict(x32)).tolist())
    assert mismatches <= _near_ties(proba, 2 * FLOAT_TOLERANCE)
    report = converted.evaluate(X, y)
    assert report.max_abs_error < FLOAT_TOLERANCE
    assert set(report.disagreeing_rows) <= _near_ties(proba, 2 * FLOAT_TOLERANCE)


def test_mlp_regressor_float32_matches_sklearn(run_header):
    X, y = _scaled(load_diabetes)
    targets = np.stack([y, np.sqrt(y)], axis=1)  # two outputs
    X_train, t_train, _, _ = split(X, targets)
    model = MLPRegressor(hidden_layer_sizes=(16,), max_iter=500, random_state=0).fit(X_train, t_train)
    reference = model.predict(X.astype(np.float32))
    out = run_header(tinyml_lab.convert(model).header, X)
    np.testing.assert_allclose(out, reference, rtol=FLOAT_TOLERANCE, atol=FLOAT_TOLERANCE * np.abs(reference).max())


def test_mlp_int8_bounded_accuracy_drop_and_same_c_code_everywhere(run_header):
    X, y = _scaled(load_digits)
    X_train, y_train, X_test, y_test = split(X, y)
    model = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=300, random_state=0).fit(X_train, y_train)
    converted = tinyml_lab.convert(model, dtype="int8", calibration=X_train[:300])
    assert "int8_t model_l0_weight_i8" in converted.header
    float_report = tinyml_lab.evaluate(model, X_test, y_test)
    report = converted.evaluate(X_test, y_test)
    # int8 keeps most labels and loses little accuracy on digits
    assert report.label_agreement >= 0.97
    assert report.device_accuracy >= float_report.device_accuracy - 0.02
    # the gcc build of the header and the WebAssembly build run the same C code
    out = run_header(converted.header, X_test)
    np.testing.assert_array_equal(out[:, 0].astype(int), report.device_classes)
    np.testing.assert_allclose(out[:, 1:], report.device_values, atol=1e-6)
    # int8 weights take a quarter of float32's flash
    float_weights = tinyml_lab.convert(model).size["flash"][0]["bytes"]
    assert converted.size["flash"][0]["bytes"] * 4 == float_weights


def test_int8_needs_calibration_rows_and_networks_refuse_int16():
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0).fit(X, y)
    with pytest.raises(InvalidInputError, match="int8 needs representative input rows"):
        tinyml_lab.convert(model, dtype="int8")
    with pytest.raises(InvalidInputError, match="calibration has 3 features per row"):
        tinyml_lab.convert(model, dtype="int8", calibration=X[:, :3])
    with pytest.raises(Exception, match="float32 or int8, not int16"):
        tinyml_lab.convert(model, dtype="int16")


# ---- Keras -------------------------------------------------------------------------------

import keras  # noqa: E402 - after KERAS_BACKEND is set


def _train(model, X, y, loss, epochs=8):
    keras.utils.set_random_seed(0)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def imu_model():
    X, y = make_imu_windows()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32, 3)),
        keras.layers.Conv1D(8, 5, strides=2, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.MaxPooling1D(2),
        keras.layers.Conv1D(12, 3, padding="valid", activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    order = np.random.default_rng(1).permutation(len(X))
    train, test = order[: len(X) // 2], order[len(X) // 2:]
    _train(model, X[train], y[train], "sparse_categorical_crossentropy")
    return model, X[train], y[train], X[test], y[test]


def test_keras_conv1d_imu_float32_and_int8(imu_model, run_header):
    model, X_train, _, X_test, y_test = imu_model
    reference = np.asarray(model.predict(X_test, verbose=0), dtype=np.float64)
    converted = tinyml_lab.convert(model)
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_allclose(out[:, 1:], reference, atol=FLOAT_TOLERANCE)
    report = converted.evaluate(X_test, y_test)
    assert report.max_abs_error < FLOAT_TOLERANCE
    int8 = tinyml_lab.convert(model, dtype="int8", calibration=X_train)
    int8_report = int8.evaluate(X_test, y_test)
    assert int8_report.label_agreement >= 0.95
    assert int8_report.device_accuracy >= report.device_accuracy - 0.05
    assert int8.tables["arena_bytes"] < converted.tables["arena_bytes"]


def _digit_images():
    """digits as 8x8x1 images in [0, 1], split into (X_train, y_train, X_test, y_test)."""
    X, y = load_digits(return_X_y=True)
    return split((X / 16.0).reshape(-1, 8, 8, 1).astype(np.float32), y)


def test_keras_conv2d_digits_float32_and_int8(run_header):
    X_train, y_train, X_test, y_test = _digit_images()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(8, 2, strides=2, padding="same"),  # 8 -> 4, padding after
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.AveragePooling2D(2, strides=1, padding="same"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    _train(model, X_train, y_train, "sparse_categorical_crossentropy", epochs=6)
    reference = np.asarray(model.predict(X_test, verbose=0), dtype=np.float64)
    converted = tinyml_lab.convert(model)
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_allclose(out[:, 1:], reference, atol=FLOAT_TOLERANCE)
    float_report = converted.evaluate(X_test, y_test)
    int8_report = tinyml_lab.convert(model, dtype="int8", calibration=X_train[:300]).evaluate(X_test, y_test)
    assert int8_report.device_accuracy >= float_report.device_accuracy - 0.03


def test_keras_depthwise_conv2d_float32_and_int8(run_header):
    """MobileNet-style blocks: DepthwiseConv2D (depth multipliers 1 and 2, strides 1 and 2,
    "same" and "valid" padding, no bias), batch norm folded into it, ReLU6, a 1x1 Conv2D."""
    X_train, y_train, X_test, y_test = _digit_images()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(max_value=6.0),
        keras.layers.Conv2D(8, 1),
        keras.layers.DepthwiseConv2D(2, strides=2, padding="valid", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    _train(model, X_train, y_train, "sparse_categorical_crossentropy", epochs=6)
    reference = np.asarray(model.predict(X_test, verbose=0), dtype=np.float64)
    converted = tinyml_lab.convert(model)
    assert [layer["kind"] for layer in converted.structure["layers"]].count("depthwise") == 2
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_allclose(out[:, 1:], reference, atol=FLOAT_TOLERANCE)
    float_report = converted.evaluate(X_test, y_test)
    assert float_report.max_abs_error < FLOAT_TOLERANCE
    int8 = tinyml_lab.convert(model, dtype="int8", calibration=X_train[:300])
    int8_out = run_header(int8.header, X_test.reshape(len(X_test), -1))
    int8_report = int8.evaluate(X_test, y_test)
    # the header compiled by gcc gives the WebAssembly build's int8 outputs (the integers are the
    # same; the last layer's softmax calls each C library's expf)
    np.testing.assert_array_equal(int8_out[:, 0], np.asarray(int8_report.device_classes))
    np.testing.assert_allclose(int8_out[:, 1:], np.asarray(int8_report.device_values).reshape(len(X_test), -1),
                               atol=1e-6)
    assert int8_report.device_accuracy >= float_report.device_accuracy - 0.03


def test_keras_regression_and_binary_sigmoid(run_header):
    X, y = _scaled(load_diabetes)
    keras.utils.set_random_seed(0)
    regressor = _train(keras.Sequential([keras.Input((10,)), keras.layers.Dense(16, activation="tanh"),
                                         keras.layers.Dense(1)]), X, (y - y.mean()) / y.std(), "mse")
    reference = np.asarray(regressor.predict(X.astype(np.float32), verbose=0), dtype=np.float64)[:, 0]
    out = run_header(tinyml_lab.convert(regressor).header, X)[:, 0]
    np.testing.assert_allclose(out, reference, atol=FLOAT_TOLERANCE * max(1, np.abs(reference).max()))

    Xb, yb = _scaled(load_breast_cancer)
    binary = _train(keras.Sequential([keras.Input((30,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(1, activation="sigmoid")]), Xb, yb, "binary_crossentropy")
    p = np.asarray(binary.predict(Xb.astype(np.float32), verbose=0), dtype=np.float64)[:, 0]
    out = run_header(tinyml_lab.convert(binary).header, Xb)
    np.testing.assert_allclose(out[:, 2], p, atol=FLOAT_TOLERANCE)
    np.testing.assert_allclose(out[:, 1], 1 - p, atol=FLOAT_TOLERANCE)
    clear = np.abs(p - 0.5) > 2 * FLOAT_TOLERANCE
    np.testing.assert_array_equal(out[clear, 0], (p[clear] > 0.5).astype(float))


def test_keras_file_converts_like_the_live_model(imu_model, tmp_path):
    model = imu_model[0]
    path = tmp_path / "imu.keras"
    model.save(path)
    assert tinyml_lab.convert(path).header == tinyml_lab.convert(model).header
    report = tinyml_lab.evaluate(path, imu_model[3][:20])
    assert report.max_abs_error < FLOAT_TOLERANCE


@pytest.mark.parametrize("dtype", ["float32", "int8"])
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m0plus"])
def test_network_headers_cross_compile_with_werror(imu_model, dtype, target, tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is required (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    model, X_train = imu_model[0], imu_model[1]
    calibration = X_train if dtype == "int8" else None
    tinyml_lab.convert(model, dtype=dtype, calibration=calibration).save(tmp_path / "model.h")
    (tmp_path / "use.c").write_text(
        '#include "model.h"\nint32_t use(const float *x) '
        '{ float p[3]; return model_predict(x) + model_predict_proba(x, p, 3); }\n')
    flags = {"cortex-m4f": ["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
             "cortex-m0plus": ["-mcpu=cortex-m0plus", "-mfloat-abi=soft"]}[target]
    subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-Os", "-mthumb", *flags, "-Wall", "-Wextra", "-Werror",
                    "-pedantic", "-c", "use.c", "-o", "use.o"], cwd=tmp_path, check=True, capture_output=True)


def test_dsp_kernels_give_the_plain_loops_integers_on_a_cortex_m4():
    """The Armv7E-M int8 kernels (SMLAD dot products, the four-channel depthwise kernel,
    convolutions through their gathered windows), which no host build compiles, run on a
    Cortex-M4 in QEMU against the plain loops: bench/nets/dsp_check.sh."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                        "qemu-system-arm)")
    script = REPOSITORY / "bench" / "nets" / "dsp_check.sh"
    out = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    found = re.search(r"dsp_check: (\d+) sums, (\d+) outputs, (\d+) mismatches", out.stdout)
    assert found, out.stdout + out.stderr
    sums, outputs, mismatches = map(int, found.groups())
    assert sums > 30000 and outputs > 50000 and mismatches == 0


def test_two_net_headers_in_one_c_file_compile_only_the_kernels_they_need(imu_model, tmp_path):
    """Each header compiles in only its net's kernels (TML_NET_LAYERS): the first net header of
    a C file decides, so a digits MLP (dense layers) included before a Conv1D net stops the
    build with one #error naming the fix; the other order, or TML_NET_ALL_KERNELS defined first,
    builds and both models give their own answers."""
    X, y = load_digits(return_X_y=True)
    mlp = tinyml_lab.convert(MLPClassifier((8,), max_iter=30, random_state=0).fit(X, y), name="digits")
    conv = tinyml_lab.convert(imu_model[0], name="imu")
    assert "TML_LAYER_MAX_POOL" not in mlp.header.split("#define DIGITS_NET_ACTIVATIONS")[0]
    assert "TML_LAYER_MAX_POOL" in conv.header.split("#define IMU_NET_ACTIVATIONS")[0]
    mlp.save(tmp_path / "digits.h")
    conv.save(tmp_path / "imu.h")
    x_digit, x_imu = X[0].astype(np.float32), imu_model[1][0].astype(np.float32).ravel()
    def c_floats(values) -> str:
        return ", ".join(f"{v:.9e}f" for v in values)

    main = (
        "#include <stdio.h>\n"
        f"static const float x_digit[64] = {{{c_floats(x_digit)}}};\n"
        f"static const float x_imu[{len(x_imu)}] = {{{c_floats(x_imu)}}};\n"
        'int main(void) { printf("%d %d\\n", (int)digits_predict(x_digit), (int)imu_predict(x_imu)); return 0; }\n'
    )

    def build(prelude: str) -> subprocess.CompletedProcess:
        (tmp_path / "main.c").write_text(prelude + main)
        return subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-o", "both",
                               "main.c", "-lm"], cwd=tmp_path, capture_output=True, text=True)

    refused = build('#include "digits.h"\n#include "imu.h"\n')
    assert refused.returncode != 0
    errors = [line for line in refused.stderr.splitlines() if "error: #error" in line]
    assert len(errors) == 1 and "imu: a net header included before this one left out kernels" in errors[0]
    expected = f"{int(mlp.predict_device(X[:1])[0][0])} {int(conv.predict_device(imu_model[1][:1])[0][0])}"
    for prelude in ('#include "imu.h"\n#include "digits.h"\n',
                    '#define TML_NET_ALL_KERNELS\n#include "digits.h"\n#include "imu.h"\n'):
        built = build(prelude)
        assert built.returncode == 0, built.stderr
        assert subprocess.run(["./both"], cwd=tmp_path, capture_output=True, text=True).stdout.strip() == expected


def _graph_model():
    """A functional graph: a residual block (Conv2D, batch norm, Add, ReLU), a 1x1 branch joined by
    Concatenate, and every other merge (Multiply, a three-way Average, Maximum, Subtract)."""
    L = keras.layers
    inputs = keras.Input((8, 8, 1))
    trunk = L.Conv2D(6, 3, padding="same", activation="relu")(inputs)
    branch = L.BatchNormalization()(L.Conv2D(6, 3, padding="same")(trunk))
    block = L.Activation("relu")(L.Add()([trunk, branch]))
    joined = L.Concatenate()([block, L.Conv2D(2, 1)(block)])
    product = L.Multiply()([joined, joined])
    mean = L.Average()([product, joined, joined])
    top = L.Maximum()([mean, joined])
    difference = L.Subtract()([top, L.Conv2D(8, 1)(joined)])
    pooled = L.MaxPooling2D(2)(difference)
    outputs = L.Dense(10, activation="softmax")(L.Flatten()(pooled))
    return keras.Model(inputs, outputs)


def test_keras_graph_with_every_merge_float32_and_int8(run_header, tmp_path):
    """Branches, a skip connection and the six merge layers: float32 agrees with Keras (header
    under gcc and WebAssembly alike), the arena plan keeps a skip connection's tensor alive, the
    saved file converts to the same IR, and int8 stays close to float."""
    X_train, y_train, X_test, y_test = _digit_images()
    keras.utils.set_random_seed(1)
    model = _graph_model()
    _train(model, X_train, y_train, "sparse_categorical_crossentropy", epochs=4)
    reference = np.asarray(model.predict(X_test, verbose=0), dtype=np.float64)
    converted = tinyml_lab.convert(model)
    kinds = [layer["kind"] for layer in converted.structure["layers"]]
    assert {kind: kinds.count(kind) for kind in ("add", "mul", "max", "concat")} == {
        "add": 4, "mul": 1, "max": 1, "concat": 1}  # Add, Average (two), Subtract
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_allclose(out[:, 1:], reference, atol=FLOAT_TOLERANCE)
    float_report = converted.evaluate(X_test, y_test)
    assert float_report.max_abs_error < FLOAT_TOLERANCE
    model.save(tmp_path / "graph.keras")
    assert tinyml_lab.convert(tmp_path / "graph.keras").header == converted.header

    int8 = tinyml_lab.convert(model, dtype="int8", calibration=X_train[:300])
    int8_out = run_header(int8.header, X_test.reshape(len(X_test), -1))
    int8_report = int8.evaluate(X_test, y_test)
    np.testing.assert_array_equal(int8_out[:, 0], np.asarray(int8_report.device_classes))
    assert int8_report.device_accuracy >= float_report.device_accuracy - 0.05


def test_keras_activations_separable_rescaling_and_reshape(run_header):
    """The layers and activations real models bring besides convolutions: Rescaling, Reshape,
    SeparableConv2D and SeparableConv1D (depthwise then pointwise), LeakyReLU, ELU, ReLU with a
    negative slope, and the activations leaky_relu, elu, hard_sigmoid and hard_silu (Keras 3's)."""
    L = keras.layers
    X_train, y_train, X_test, y_test = _digit_images()
    keras.utils.set_random_seed(2)
    inputs = keras.Input((8, 8, 1))
    x = L.Rescaling(0.5, offset=-0.25)(inputs)
    x = L.SeparableConv2D(6, 3, padding="same", depth_multiplier=2, activation="hard_silu")(x)
    x = L.LeakyReLU(negative_slope=0.1)(x)
    x = L.Conv2D(4, 3, activation="elu")(x)
    x = L.Reshape((36, 4))(x)
    x = L.SeparableConv1D(5, 3, strides=2, activation="leaky_relu")(x)
    x = L.ReLU(negative_slope=0.05)(x)
    x = L.ELU(alpha=0.5)(L.Flatten()(x))
    x = L.Dense(12, activation="hard_sigmoid")(x)
    model = keras.Model(inputs, L.Dense(10, activation="softmax")(x))
    _train(model, X_train, y_train, "sparse_categorical_crossentropy", epochs=3)
    reference = np.asarray(model.predict(X_test, verbose=0), dtype=np.float64)
    converted = tinyml_lab.convert(model)
    activations = [layer["activation"] for layer in converted.structure["layers"]]
    assert {"hard_swish", "leaky_relu", "elu", "hard_sigmoid"} <= set(activations)
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_allclose(out[:, 1:], reference, atol=FLOAT_TOLERANCE)
    assert converted.evaluate(X_test, y_test).max_abs_error < FLOAT_TOLERANCE
    int8 = tinyml_lab.convert(model, dtype="int8", calibration=X_train[:300])
    int8_out = run_header(int8.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_array_equal(int8_out[:, 0], np.asarray(int8.evaluate(X_test, y_test).device_classes))


def test_keras_padding_cropping_and_upsampling(run_header):
    """ZeroPadding, Cropping and UpSampling (nearest), 2-D and 1-D, as a small encoder-decoder."""
    L = keras.layers
    X_train, y_train, X_test, y_test = _digit_images()
    keras.utils.set_random_seed(3)
    inputs = keras.Input((8, 8, 1))
    x = L.ZeroPadding2D(((1, 0), (2, 1)))(inputs)
    x = L.Conv2D(4, 3, strides=2, activation="relu")(x)
    x = L.UpSampling2D((2, 3))(x)
    x = L.Cropping2D(((1, 1), (0, 2)))(x)
    x = L.Reshape((-1, 4))(x)
    x = L.ZeroPadding1D(2)(x)
    x = L.UpSampling1D(2)(x)
    x = L.Cropping1D((3, 1))(x)
    x = L.Conv1D(3, 5, strides=3, activation="relu")(x)
    model = keras.Model(inputs, L.Dense(10, activation="softmax")(L.Flatten()(x)))
    _train(model, X_train, y_train, "sparse_categorical_crossentropy", epochs=2)
    reference = np.asarray(model.predict(X_test, verbose=0), dtype=np.float64)
    converted = tinyml_lab.convert(model)
    kinds = [layer["kind"] for layer in converted.structure["layers"]]
    assert kinds.count("pad") == 4 and kinds.count("upsample") == 2
    out = run_header(converted.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_allclose(out[:, 1:], reference, atol=FLOAT_TOLERANCE)
    int8 = tinyml_lab.convert(model, dtype="int8", calibration=X_train[:300])
    int8_out = run_header(int8.header, X_test.reshape(len(X_test), -1))
    np.testing.assert_array_equal(int8_out[:, 0], np.asarray(int8.evaluate(X_test, y_test).device_classes))
