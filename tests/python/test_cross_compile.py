"""Exported headers compile for microcontrollers: arm-none-eabi-gcc, C99, every warning an
error, Cortex-M4F (hard float) and Cortex-M0+ (soft float), for every model kind."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)

import tinyml_lab

TARGETS = {
    "cortex-m4f": ["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m0plus": ["-mcpu=cortex-m0plus", "-mfloat-abi=soft"],
}

CALLS = {
    "classification": "float p[8]; return model_predict(x) + model_predict_proba(x, p, 8);",
    "regression": "float y; return model_predict(x, &y);",
    "anomaly": "int32_t label; float d; return model_predict(x, &label) + model_decision_function(x, &d);",
}


def _models():
    X, y = load_iris(return_X_y=True)
    Xw, yw = load_wine(return_X_y=True)
    Xd, yd = load_diabetes(return_X_y=True)
    return {
        "forest": (RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y), "classification"),
        "forest-u8-leaves": (RandomForestClassifier(n_estimators=5, random_state=0).fit(Xw, yw), "classification"),
        "boosting-binary": (GradientBoostingClassifier(n_estimators=5).fit(X, y == 0), "classification"),
        "boosting-multi": (GradientBoostingClassifier(n_estimators=5).fit(Xw, yw), "classification"),
        "forest-regressor": (RandomForestRegressor(n_estimators=5, random_state=0).fit(Xd, yd), "regression"),
        "boosting-regressor": (GradientBoostingRegressor(n_estimators=5).fit(Xd, yd), "regression"),
        "isolation": (IsolationForest(n_estimators=5, random_state=0).fit(Xw), "anomaly"),
        "boosting-multi-i16-leaves": (GradientBoostingClassifier(n_estimators=5).fit(Xw, yw), "classification"),
        "forest-regressor-i16-leaves": (RandomForestRegressor(n_estimators=5, random_state=0).fit(Xd, yd),
                                        "regression"),
        "isolation-i16-leaves": (IsolationForest(n_estimators=5, random_state=0).fit(Xw), "anomaly"),
    }


MODELS = _models()


@pytest.mark.parametrize("strategy", ["tables", "inline"])
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("dtype", ["float32", "int16", "int8"])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_header_cross_compiles_with_werror(kind, dtype, target, strategy, tmp_path):
    compiler = shutil.which("arm-none-eabi-gcc")
    if compiler is None:
        pytest.fail("arm-none-eabi-gcc is required (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    model, task = MODELS[kind]
    leaf_dtype = {"u8-leaves": "uint8", "i16-leaves": "int16"}.get(kind[-9:], "float32")
    tinyml_lab.convert(model, dtype=dtype, strategy=strategy, leaf_dtype=leaf_dtype).save(tmp_path / "model.h")
    source = tmp_path / "main.c"
    source.write_text(f'#include "model.h"\nint use_model(const float *x);\n'
                      f'int use_model(const float *x) {{ {CALLS[task]} }}\n')
    result = subprocess.run(
        [compiler, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wshadow", "-Wdouble-promotion",
         "-Os", "-mthumb", *TARGETS[target], "-c", str(source), "-o", str(tmp_path / "main.o")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dtype", ["float32", "int16"])
@pytest.mark.parametrize("n_trees, depth", [(5, 4), (20, 8)])
def test_flash_estimate_of_tables_is_close_to_the_compiled_size(n_trees, depth, dtype, tmp_path):
    """The widget's flash figure against what arm-none-eabi-gcc makes of the header on
    Cortex-M4F: text + rodata + data of a translation unit that calls predict."""
    compiler = shutil.which("arm-none-eabi-gcc")
    if compiler is None:
        pytest.fail("arm-none-eabi-gcc is required (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    X, y = load_wine(return_X_y=True)
    model = RandomForestClassifier(n_estimators=n_trees, max_depth=depth, random_state=0).fit(X, y)
    converted = tinyml_lab.convert(model, dtype=dtype)
    converted.save(tmp_path / "model.h")
    source = tmp_path / "main.c"
    source.write_text('#include "model.h"\nint32_t use_model(const float *x);\n'
                      'int32_t use_model(const float *x) { return model_predict(x); }\n')
    obj = tmp_path / "main.o"
    subprocess.run([compiler, "-std=c99", "-Os", "-mthumb", *TARGETS["cortex-m4f"], "-c", str(source), "-o", str(obj)],
                   check=True)
    sections = subprocess.run(["arm-none-eabi-size", "-A", str(obj)], check=True, capture_output=True, text=True).stdout
    measured = sum(int(line.split()[1]) for line in sections.splitlines()
                   if line.startswith((".text", ".rodata", ".data")))
    assert abs(converted.flash_bytes - measured) <= 0.12 * measured, (converted.flash_bytes, measured)
