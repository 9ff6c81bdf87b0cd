"""Shared fixtures: real data sets shipped with scikit-learn, and a gcc harness that
compiles an exported header and runs it on every row."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine

# Keras runs on JAX in the tests (CPU wheels from PyPI; no TensorFlow needed).
os.environ.setdefault("KERAS_BACKEND", "jax")

CLASSIFICATION_SETS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}

HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "model.h"

#if defined(MODEL_N_OUTPUTS) /* several predicted values (networks, neighbours) */
#define MODEL_N_VALUES MODEL_N_OUTPUTS
#else
#define MODEL_N_VALUES 1
#endif

/* Reads n_rows x MODEL_N_FEATURES float32 from argv[1]; prints one prediction per line. */
int main(int argc, char **argv)
{
    float x[MODEL_N_FEATURES];
#if defined(MODEL_N_INPUTS) /* a feature stage first: rows are raw windows */
    float raw[MODEL_N_INPUTS];
#define MODEL_ROW raw
#define MODEL_ROW_LENGTH MODEL_N_INPUTS
#else
#define MODEL_ROW x
#define MODEL_ROW_LENGTH MODEL_N_FEATURES
#endif
    FILE *in;
    if (model_validate() != TML_OK) {
        return 4; /* the generated tables must pass the runtime's own checks */
    }
    if (argc != 2 || (in = fopen(argv[1], "rb")) == NULL) {
        return 2;
    }
    while (fread(MODEL_ROW, sizeof(float), MODEL_ROW_LENGTH, in) == MODEL_ROW_LENGTH) {
#if defined(MODEL_N_INPUTS)
        if (model_features(raw, x) != TML_OK) {
            return 5;
        }
#endif
#if defined(MODEL_OFFSET)
        float score;
        int32_t label;
        if (model_score_samples(x, &score) != TML_OK || model_predict(x, &label) != TML_OK) {
            return 3;
        }
        printf("%d %.9g\n", (int)label, (double)score);
#elif defined(MODEL_N_SCORES) /* a linear classifier: label, then decision_function */
        float scores[MODEL_N_SCORES];
        int32_t k, label = model_predict(x);
        if (label < 0 || model_decision_function(x, scores, MODEL_N_SCORES) != TML_OK) {
            return 3;
        }
        printf("%d", (int)label);
        for (k = 0; k < MODEL_N_SCORES; k++) {
            printf(" %.9g", (double)scores[k]);
        }
        printf("\n");
#elif defined(MODEL_N_CLASSES)
        float proba[MODEL_N_CLASSES];
        int32_t k, label = model_predict(x);
        if (label < 0 || model_predict_proba(x, proba, MODEL_N_CLASSES) != TML_OK) {
            return 3;
        }
        printf("%d", (int)label);
        for (k = 0; k < MODEL_N_CLASSES; k++) {
            printf(" %.9g", (double)proba[k]);
        }
        printf("\n");
#else
        float y[MODEL_N_VALUES];
        int32_t k;
        if (model_predict(x, y) != TML_OK) {
            return 3;
        }
        for (k = 0; k < MODEL_N_VALUES; k++) {
            printf(k ? " %.9g" : "%.9g", (double)y[k]);
        }
        printf("\n");
#endif
    }
    fclose(in);
    return 0;
}
"""

STRICT_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]

REPOSITORY = Path(__file__).resolve().parents[2]


def split(X: np.ndarray, y: np.ndarray, seed: int = 0):
    """Deterministic half/half split."""
    order = np.random.default_rng(seed).permutation(len(X))
    train, test = order[: len(X) // 2], order[len(X) // 2 :]
    return X[train], y[train], X[test], y[test]


@pytest.fixture(params=sorted(CLASSIFICATION_SETS))
def classification_set(request):
    X, y = CLASSIFICATION_SETS[request.param](return_X_y=True)
    return request.param, X, y


@pytest.fixture(scope="session")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.fixture
def run_header(tmp_path: Path):
    """Compiles header text with the harness under gcc -Werror and runs it on X.

    Returns a list of output lines split into fields (numbers as floats)."""
    if shutil.which("gcc") is None:
        pytest.fail("gcc is required for the header agreement tests")

    def run(header: str, X: np.ndarray) -> np.ndarray:
        (tmp_path / "model.h").write_text(header)
        (tmp_path / "main.c").write_text(HARNESS)
        exe = tmp_path / "main"
        subprocess.run(["gcc", *STRICT_FLAGS, "-o", str(exe), str(tmp_path / "main.c"), "-lm"],
                       check=True, capture_output=True, text=True)
        data = tmp_path / "x.bin"
        np.ascontiguousarray(X, dtype="<f4").tofile(data)
        out = subprocess.run([str(exe), str(data)], check=True, capture_output=True, text=True).stdout
        return np.array([[float(v) for v in line.split()] for line in out.splitlines()])

    return run


def mlperf_tiny_models_dir() -> Path:
    """The folder of the MLPerf Tiny reference models (../shared/models/mlperf-tiny/ beside the repository,
    or TINYML_MODELS_DIR); fails the test when it is not found."""
    candidates = [Path(os.environ["TINYML_MODELS_DIR"])] if "TINYML_MODELS_DIR" in os.environ else []
    candidates += [parent / "shared" / "models" / "mlperf-tiny" for parent in REPOSITORY.parents]
    for candidate in candidates:
        if (candidate / "ad01.h5").is_file():
            return candidate
    pytest.fail("the MLPerf Tiny models are not found: looked in "
                f"{', '.join(str(c) for c in candidates)} (set TINYML_MODELS_DIR to the folder with ad01.h5)")
