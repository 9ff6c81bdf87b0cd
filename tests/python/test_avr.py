"""Export bundles on an ATmega328P (an Arduino Uno) emulated by simavr: for every model family
the bundle builds with avr-gcc (-mmcu=atmega328p -Os, -Werror; the tables in program memory),
runs in simavr at 16 MHz and its harness reports every vector within tolerance of scikit-learn
and of the WebAssembly runtime, with the cycles of each inference (Timer1, read by the firmware).

The models are those of test_bundle.py (the Cortex-M4F bundles) where they fit the part's 32 KB
of flash and 2 KB of RAM with their test vectors; the rest are made smaller here and say why.
Two kinds of test_bundle.py do not fit: the log-mel pipeline (a 256-point FFT needs 2.6 KB of
scratch RAM) and int8 networks (their runtime is about 28 KB of AVR code: an int8 MLP's bundle
links to 35 KB, an int8 logistic regression's to 35 KB; the requantization's 64-bit products
are library calls on an 8-bit core). An int8-threshold forest stands in for int8."""

from __future__ import annotations

import shutil
import warnings

import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import GradientBoostingClassifier, IsolationForest, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_bundle import (
    _halves,
    assert_agreement,
    boosting_int16_leaves,
    forest_float32,
    forest_int16,
    gaussian_nb,
    imu_pipeline,
    knn,
    logistic_pipeline,
    svc_pipeline,
)

import tinyml_lab
from tinyml_lab import simavr

#: The ATmega328P's memories: what a bundle must fit, harness and test vectors included.
FLASH_BYTES = 32 * 1024
RAM_BYTES = 2 * 1024


@pytest.fixture(scope="module", autouse=True)
def toolchain():
    for tool, package in (("avr-gcc", "gcc-avr avr-libc"), ("avr-size", "binutils-avr"), ("simavr", "simavr"),
                          ("make", "make")):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install {package})")


def isolation_forest():
    """25 trees, not test_bundle's 50: 50 trees' tables and 40 rows of 30 features fill 31.8 KB."""
    X_train, _, X, _ = _halves(*load_breast_cancer(return_X_y=True))
    return IsolationForest(n_estimators=25, random_state=0).fit(X_train), X, None, {}


def _wine_mlp():
    """Wine (13 features) through 16 hidden units: test_bundle's digits MLP (64 inputs, 32 units)
    and its 40 rows of 64 floats need 42 KB of flash."""
    X_train, y_train, X, y = _halves(*load_wine(return_X_y=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=500,
                                                             random_state=0)).fit(X_train, y_train)
    return model, X, y, {}


def mlp_float32():
    return _wine_mlp()


def forest_int8():
    X_train, y_train, X, y = _halves(*load_wine(return_X_y=True))
    return RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0).fit(X_train, y_train), X, y, \
        {"dtype": "int8"}


def boosting_classifier():
    X_train, y_train, X, y = _halves(*load_wine(return_X_y=True))
    return GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X_train, y_train), X, y, {}


def ridge():
    X_train, y_train, X, _ = _halves(*load_diabetes(return_X_y=True))
    return Ridge(alpha=0.1).fit(X_train, y_train), X, None, {}


#: case -> (builder, whether scikit-learn's answers are checked or only reported), as in test_bundle.py
CASES = {
    "forest_float32": (forest_float32, True),
    "forest_int16": (forest_int16, False),  # quantized splits may move: reported
    "boosting_int16_leaves": (boosting_int16_leaves, True),
    "boosting_classifier": (boosting_classifier, True),
    "isolation_forest": (isolation_forest, True),
    "mlp_float32": (mlp_float32, True),
    "forest_int8": (forest_int8, False),  # quantized splits may move: reported
    "logistic_pipeline": (logistic_pipeline, True),
    "ridge": (ridge, True),
    "gaussian_nb": (gaussian_nb, True),
    "svc_pipeline": (svc_pipeline, True),
    "knn": (knn, False),  # float32 distance ties may swap neighbours: reported
    "imu_pipeline": (imu_pipeline, True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bundle_agrees_on_emulated_atmega328p(case, tmp_path):
    builder, sklearn_checked = CASES[case]
    model, X, y, options = builder()
    made = tinyml_lab.export_bundle(model, X, y, tmp_path / case, name=case, target="atmega328p", **options)
    assert {"target/atmega328p/target.c", "Makefile", "README.md"} <= set(made.files)

    run = made.run_in_simavr()
    assert_agreement(run, X, y, sklearn_checked)
    # One count per inference, read from Timer1 by the firmware around the call.
    assert run.cycles is not None and len(run.cycles) == len(X) and min(run.cycles) > 0
    sizes = simavr.avr_sizes(made.path / "build" / "atmega328p.elf")
    assert sizes.flash <= FLASH_BYTES and sizes.ram < RAM_BYTES


def test_simavr_uart_lines_become_text():
    console = "Loaded 10 .text\n\x1b[32mRESULT PASS.\x1b[0m\n\x1b[32mcycles vector 0: 12.\x1b[0m\n"
    assert simavr.uart_text(console) == "Loaded 10 .text\nRESULT PASS\ncycles vector 0: 12\n"
