#!/usr/bin/env python3
"""Measures the bytes of the network runtime's code (NET_CODE, NET_KERNEL_CODE and the
library figures in src/core/families/nets/estimate.ts) on Cortex-M4F, M3 and M0+.

    python bench/size/fit_net_code.py

A model header compiles in only the kernels its net uses (TML_NET_LAYERS and
TML_NET_ACTIVATIONS, c-runtime/include/tinyml/net_types.h). This script links a small
two-layer net (dense ReLU, dense softmax; float32 and int8) into an empty firmware with
arm-none-eabi-gcc -Os, as tests/python/test_estimates_calibration.py does, and takes the
model's code as its bytes less its tables (weights, biases, requantization, layer
descriptors, class names: those estimates are exact). Then it compiles each other layer
kind and activation in as well, one at a time, by defining the two macros before the model
header: the difference is that kernel's code (and, in the libraries, expf or tanhf when it
brings them). A single-layer net (a linear model) is measured apart: gcc folds its one layer
into straight code, descriptor included.

It prints the figures per core and dtype; the estimate takes the Cortex-M4F column and
scales it to other cores as before."""
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the working tree's tinyml_lab
sys.path.insert(0, str(HERE.parents[1] / "tests" / "python"))  # the linking probe the calibration uses

import keras  # noqa: E402
from size_probe import CLASSIFY, REGRESS, measure_linked  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine  # noqa: E402

CORES = ("cortex-m4f", "cortex-m3", "cortex-m0plus")
#: What the base net compiles in (two dense layers: CONV; ReLU, softmax) and the kernels added one at a time.
LAYER_KINDS = ("MAX_POOL", "AVG_POOL", "AFFINE", "ACTIVATION", "DEPTHWISE", "ADD", "MUL", "MAX", "CONCAT", "PAD",
               "UPSAMPLE")
ACTIVATIONS = ("RELU6", "TANH", "LOGISTIC", "LEAKY_RELU", "ELU", "HARD_SIGMOID", "HARD_SWISH")
BASE_LAYERS = "(1L << TML_LAYER_CONV)"
BASE_ACTIVATIONS = "((1L << TML_ACT_IDENTITY) | (1L << TML_ACT_RELU) | (1L << TML_ACT_SOFTMAX))"
TABLE_ITEMS = ("weights", "biases", "requantization", "layer descriptors", "class names")


def base_net(dtype: str):
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(4, activation="softmax")])
    x = rng.normal(size=(64, 16)).astype(np.float32)
    return tinyml_lab.convert(model, dtype=dtype, calibration=x if dtype == "int8" else None), CLASSIFY


def single_layer_nets(dtype: str):
    """Linear models of 64 features (digits-sized): a regressor, 10 and 2 classes."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 64))
    calibration = {"dtype": dtype, "calibration": x} if dtype == "int8" else {}
    return {
        "identity (Ridge)": (tinyml_lab.convert(Ridge().fit(x, x[:, 0]), **calibration), REGRESS),
        "softmax (LogisticRegression, 10 classes)": (
            tinyml_lab.convert(LogisticRegression().fit(x, np.argmax(x[:, :10], axis=1)), **calibration), CLASSIFY),
        "logistic (LogisticRegression, 2 classes)": (
            tinyml_lab.convert(LogisticRegression().fit(x, x[:, 0] > 0), **calibration), CLASSIFY),
    }


def table_bytes(converted) -> int:
    estimate = _engine.call("estimate", converted.ir, converted.options)["estimates"][0]
    return sum(item["bytes"] for item in estimate["flash"] if item["name"] in TABLE_ITEMS)


def defines(layers: str, activations: str) -> str:
    return f"#define TML_NET_LAYERS ({layers})\n#define TML_NET_ACTIVATIONS ({activations})\n"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for dtype in ("float32", "int8"):
            converted, call = base_net(dtype)
            n = converted.ir["n_features"]
            tables = table_bytes(converted)
            print(f"\n== {dtype}: code bytes (model less its tables), then what each kernel adds; "
                  f"libraries in brackets ==")
            print(f"{'':28}" + "".join(f"{core:>22}" for core in CORES))
            base = {core: measure_linked(converted, n, call, core, work,
                                         defines(BASE_LAYERS, BASE_ACTIVATIONS)) for core in CORES}
            print(f"{'base (dense, ReLU, softmax)':28}" + "".join(
                f"{base[c]['model'] - tables:>14} [{base[c]['libs']:>5}]" for c in CORES))
            extras = [(f"layer {k}", f"{BASE_LAYERS} | (1L << TML_LAYER_{k})", BASE_ACTIVATIONS) for k in LAYER_KINDS]
            extras += [(f"activation {a}", BASE_LAYERS, f"{BASE_ACTIVATIONS} | (1L << TML_ACT_{a})")
                       for a in ACTIVATIONS]
            for label, layers, activations in extras:
                row = {core: measure_linked(converted, n, call, core, work, defines(layers, activations))
                       for core in CORES}
                print(f"{label:28}" + "".join(
                    f"{row[c]['model'] - base[c]['model']:>+14} [{row[c]['libs'] - base[c]['libs']:>+5}]"
                    for c in CORES))
            print(f"-- single layer, {dtype}: code bytes [libraries]")
            for label, (single, single_call) in single_layer_nets(dtype).items():
                rows = {core: measure_linked(single, single.ir["n_features"], single_call, core, work)
                        for core in CORES}
                code = table_bytes(single)
                print(f"{label:42}" + "".join(f"{rows[c]['model'] - code:>10} [{rows[c]['libs']:>5}]"
                                              for c in CORES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
