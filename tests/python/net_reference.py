"""A plain numpy forward pass of the neural-network IR, in float64, for the tests only.

It is written for clarity, not speed: if it agrees with model.predict, the IR means what the
model computes. Shapes are one batch of samples, channels last: [n, features],
[n, steps, channels] or [n, height, width, channels].
"""

from __future__ import annotations

import numpy as np

from tinyml_lab.arrays import decode_array


def forward(ir: dict, X: np.ndarray) -> np.ndarray:
    """The network's output for each row of X: shape [n_rows, n_outputs]."""
    x = np.asarray(X, dtype=np.float64).reshape(len(X), *ir["input_shape"])
    for layer in ir["layers"]:
        x = LAYERS[layer["kind"]](layer, x)
    assert x.shape == (len(X), ir["n_outputs"]), x.shape
    return x


def weights(layer: dict, key: str) -> np.ndarray:
    return decode_array(layer[key]).astype(np.float64)


# --------------------------------------------------------------------------- activations


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = {
    "identity": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "tanh": np.tanh,
    "logistic": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "softmax": softmax,
}


def activation(layer: dict, x: np.ndarray) -> np.ndarray:
    return ACTIVATIONS[layer["activation"]](x)


# --------------------------------------------------------------------------- windows and padding


def same_padding(size: int, window: int, stride: int) -> tuple[int, int]:
    """Padding before and after one axis for 'same': the output has ceil(size / stride)
    positions; an odd total puts the extra element after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def pad_2d(x: np.ndarray, window, strides, padding: str, fill: float) -> np.ndarray:
    """x [n, h, w, c] padded with `fill` as 'same' padding asks (unchanged for 'valid')."""
    if padding == "valid":
        return x
    pads = [same_padding(x.shape[1 + i], window[i], strides[i]) for i in range(2)]
    return np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)], constant_values=fill)


def window_slices(x: np.ndarray, window, strides):
    """For each offset (i, j) inside the window: the [n, out_h, out_w, c] elements that sit at
    that offset of every output position."""
    out_h = (x.shape[1] - window[0]) // strides[0] + 1
    out_w = (x.shape[2] - window[1]) // strides[1] + 1
    for i in range(window[0]):
        for j in range(window[1]):
            rows = slice(i, i + strides[0] * (out_h - 1) + 1, strides[0])
            cols = slice(j, j + strides[1] * (out_w - 1) + 1, strides[1])
            yield i, j, x[:, rows, cols, :]


# 1-D layers run as 2-D ones on a height-1 image.
def as_2d(x: np.ndarray) -> np.ndarray:
    return x[:, np.newaxis, :, :]


def params_2d(values) -> list[int]:
    return [1, *values] if len(values) == 1 else list(values)


# --------------------------------------------------------------------------- layers


def dense(layer: dict, x: np.ndarray) -> np.ndarray:
    return activation(layer, x @ weights(layer, "weights") + weights(layer, "bias"))


def conv(layer: dict, x: np.ndarray) -> np.ndarray:
    kernel = weights(layer, "weights")
    one_d = layer["kind"] == "conv1d"
    if one_d:
        x, kernel = as_2d(x), kernel[np.newaxis]
    strides = params_2d(layer["strides"])
    x = pad_2d(x, kernel.shape[:2], strides, layer["padding"], 0.0)
    out = 0.0
    for i, j, part in window_slices(x, kernel.shape[:2], strides):
        out = out + part @ kernel[i, j]  # [n, oh, ow, c_in] @ [c_in, c_out]
    out = activation(layer, out + weights(layer, "bias"))
    return out[:, 0] if one_d else out


def pool(layer: dict, x: np.ndarray) -> np.ndarray:
    one_d = layer["kind"].endswith("1d")
    if one_d:
        x = as_2d(x)
    window, strides = params_2d(layer["pool_size"]), params_2d(layer["strides"])
    if layer["kind"].startswith("max"):
        padded = pad_2d(x, window, strides, layer["padding"], -np.inf)
        out = np.max([part for _, _, part in window_slices(padded, window, strides)], axis=0)
    else:
        # Average over the real elements only: padding is not counted.
        padded = pad_2d(x, window, strides, layer["padding"], 0.0)
        counted = pad_2d(np.ones_like(x), window, strides, layer["padding"], 0.0)
        total = np.sum([part for _, _, part in window_slices(padded, window, strides)], axis=0)
        count = np.sum([part for _, _, part in window_slices(counted, window, strides)], axis=0)
        out = total / count
    return out[:, 0] if one_d else out


def global_pool(layer: dict, x: np.ndarray) -> np.ndarray:
    spatial_axes = tuple(range(1, x.ndim - 1))
    return x.max(axis=spatial_axes) if "_max_" in layer["kind"] else x.mean(axis=spatial_axes)


def batch_norm(layer: dict, x: np.ndarray) -> np.ndarray:
    scale = weights(layer, "gamma") / np.sqrt(weights(layer, "variance") + layer["epsilon"])
    return (x - weights(layer, "mean")) * scale + weights(layer, "beta")


LAYERS = {
    "dense": dense,
    "conv1d": conv,
    "conv2d": conv,
    "max_pool1d": pool,
    "avg_pool1d": pool,
    "max_pool2d": pool,
    "avg_pool2d": pool,
    "global_avg_pool1d": global_pool,
    "global_max_pool1d": global_pool,
    "global_avg_pool2d": global_pool,
    "global_max_pool2d": global_pool,
    "flatten": lambda layer, x: x.reshape(len(x), -1),
    "activation": activation,
    "batch_norm": batch_norm,
}
