"""The benchmark's three networks, built and trained in the run with fixed seeds.

    digits_mlp     scikit-learn MLPClassifier (64, 32) relu on digits, standardized
    digits_dense   Keras Sequential 64 -> 32 relu -> 10 softmax on the same rows
    accel_conv1d   Keras Conv1D net on synthetic 3-axis accelerometer windows (32 x 3)

Every dataset is split 50/50 (stratified, random_state=0); the test rows every tool's C
code gets are float32, flattened channels-last ([t][axis] for the accelerometer)."""
import os
from dataclasses import dataclass

os.environ.setdefault("KERAS_BACKEND", "jax")  # the main venv has Keras on JAX, no TensorFlow

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

SEED = 0
CALIBRATION_ROWS = 500  # int8 calibration: the first (up to) 500 training rows, every tool


@dataclass
class Case:
    name: str
    model: object  # fitted MLPClassifier or keras.Sequential
    kind: str  # "sklearn" or "keras"
    input_shape: tuple  # the Keras input shape (without the batch axis); (n,) for sklearn
    train: np.ndarray  # float32 training rows, flattened
    rows: np.ndarray  # float32 test rows, flattened: what every tool's C code gets
    truth: np.ndarray  # test labels as class indices
    expected: np.ndarray  # the reference's class indices (model.predict / Keras argmax)
    description: str = ""

    @property
    def calibration(self) -> np.ndarray:
        return self.train[:CALIBRATION_ROWS]

    @property
    def reference_accuracy(self) -> float:
        return float(np.mean(self.expected == self.truth))


# ---- data ----------------------------------------------------------------------------------
def digits_split():
    """digits, stratified 50/50, standardized on the training half, float32."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=SEED
    )
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train).astype(np.float32), scaler.transform(X_test).astype(np.float32),
            y_train, y_test)


ACCEL_CLASSES = ("still", "walk", "run")


def accelerometer_windows(n_per_class: int = 600, steps: int = 32, rate_hz: float = 16.0, seed: int = SEED):
    """Synthetic 3-axis accelerometer windows in g, 2 s at 16 Hz, three classes.

    Every window has gravity (1 g along a random direction: the sensor's orientation) plus
    sensor noise. "still" adds a slow sway; "walk" a periodic body motion at 1.4-2.4 Hz,
    0.15-0.6 g, with a second harmonic; "run" the same at 2.2-3.4 Hz, 0.45-1.3 g. The
    frequency and amplitude ranges overlap, so the classes are not perfectly separable."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps) / rate_hz
    X, y = [], []
    for label in range(len(ACCEL_CLASSES)):
        for _ in range(n_per_class):
            g = rng.normal(size=3)
            g /= np.linalg.norm(g)
            window = np.tile(g, (steps, 1))
            if label == 0:
                freq, amp = rng.uniform(0.1, 0.6), rng.uniform(0.0, 0.12)
            elif label == 1:
                freq, amp = rng.uniform(1.4, 2.4), rng.uniform(0.15, 0.6)
            else:
                freq, amp = rng.uniform(2.2, 3.4), rng.uniform(0.45, 1.3)
            axis = rng.normal(size=3)
            axis /= np.linalg.norm(axis)
            phase = rng.uniform(0, 2 * np.pi)
            motion = amp * (np.sin(2 * np.pi * freq * t + phase)
                            + rng.uniform(0.1, 0.5) * np.sin(4 * np.pi * freq * t + 2 * phase))
            window += motion[:, None] * axis[None, :]
            window += rng.normal(scale=0.12, size=window.shape)
            X.append(window)
            y.append(label)
    return np.asarray(X, dtype=np.float32), np.asarray(y)


# ---- models --------------------------------------------------------------------------------
def _keras():
    import keras

    keras.utils.set_random_seed(SEED)
    return keras


def _keras_case(name, model, X_train, X_test, y_train, y_test, epochs, description):
    keras = _keras()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], steps_per_execution=8)
    model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0, shuffle=True)
    expected = np.argmax(model.predict(X_test, verbose=0), axis=1).astype(np.int32)
    n = len(X_test)
    return Case(name, model, "keras", tuple(X_test.shape[1:]), X_train.reshape(len(X_train), -1),
                X_test.reshape(n, -1), np.asarray(y_test, dtype=np.int32), expected, description)


def digits_mlp() -> Case:
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = digits_split()
    model = MLPClassifier((64, 32), activation="relu", max_iter=500, random_state=SEED)
    model.fit(X_train, y_train)
    expected = np.searchsorted(model.classes_, model.predict(X_test)).astype(np.int32)
    return Case("digits_mlp", model, "sklearn", (X_train.shape[1],), X_train, X_test,
                np.searchsorted(model.classes_, y_test).astype(np.int32), expected,
                "MLPClassifier (64, 32) relu, digits standardized")


def digits_dense(epochs: int = 60) -> Case:
    keras = _keras()
    X_train, X_test, y_train, y_test = digits_split()
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(32, activation="relu", name="dense_1"),
        keras.layers.Dense(10, activation="softmax", name="dense_2"),
    ], name="digits_dense")
    return _keras_case("digits_dense", model, X_train, X_test, y_train, y_test, epochs,
                       "Keras Dense 64 -> 32 relu -> 10 softmax, digits standardized")


def accel_conv1d(epochs: int = 60) -> Case:
    keras = _keras()
    X, y = accelerometer_windows()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=SEED
    )
    model = keras.Sequential([
        keras.Input(shape=X.shape[1:]),
        keras.layers.Conv1D(8, 5, strides=2, padding="same", name="conv_1"),
        keras.layers.ReLU(name="relu_1"),
        keras.layers.MaxPooling1D(2, name="pool_1"),
        keras.layers.Conv1D(12, 3, activation="relu", name="conv_2"),
        keras.layers.GlobalAveragePooling1D(name="gap"),
        keras.layers.Dense(len(ACCEL_CLASSES), activation="softmax", name="dense_1"),
    ], name="accel_conv1d")
    return _keras_case("accel_conv1d", model, X_train, X_test, y_train, y_test, epochs,
                       "Keras Conv1D(8,5,s2,same)+ReLU, MaxPool(2), Conv1D(12,3,relu), GAP, Dense(3) "
                       "on synthetic accelerometer windows 32x3")


def make_cases(names=None) -> list:
    builders = {"digits_mlp": digits_mlp, "digits_dense": digits_dense, "accel_conv1d": accel_conv1d}
    return [builders[name]() for name in (names or builders)]
