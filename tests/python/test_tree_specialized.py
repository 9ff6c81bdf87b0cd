"""The predict a header generates for its model (a single tree's leaf class, pure leaves' votes,
generated sums over inline code or packed tables, float compares on the bits for cores without
an FPU) gives what the general runtime gives: the WebAssembly build of forest.h over the full
node tables, and the header's own runtime methods. Every data set, model kind, feature type
and strategy, with NaN in some rows, and both float-compare forms of forest.h."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from conftest import CLASSIFICATION_SETS, STRICT_FLAGS, split
from sklearn.datasets import load_diabetes
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import tinyml_lab

#: Prints, per row: predict, the runtime's class (tml_forest_predict_class over the header's
#: forest), predict_quantized of the quantized row (or predict again), then predict_proba.
CLASS_HARNESS = r"""
#include <stdio.h>
#include "model.h"

int main(int argc, char **argv)
{
    float x[MODEL_N_FEATURES], raw[MODEL_N_OUTPUTS], proba[MODEL_N_CLASSES];
    FILE *in;
    int32_t k;
    if (argc != 2 || (in = fopen(argv[1], "rb")) == NULL || model_validate() != TML_OK) {
        return 2;
    }
    while (fread(x, sizeof(float), MODEL_N_FEATURES, in) == MODEL_N_FEATURES) {
        int32_t label = model_predict(x), quantized_label = label;
#if defined(MODEL_QUANTIZED)
        int16_t xq[MODEL_N_FEATURES];
        if (model_quantize(x, xq) != TML_OK) {
            return 3;
        }
        quantized_label = model_predict_quantized(xq);
#define GENERAL_ARGS NULL, xq /* generated walks of quantized models read quantized features */
#else
#define GENERAL_ARGS x, NULL
#endif
        if (label < 0 || model_predict_proba(x, proba, MODEL_N_CLASSES) != TML_OK) {
            return 3;
        }
        printf("%d %d %d", (int)label, (int)tml_forest_predict_class(&model_forest, GENERAL_ARGS, raw, MODEL_N_OUTPUTS),
               (int)quantized_label);
        for (k = 0; k < MODEL_N_CLASSES; k++) {
            printf(" %.9g", (double)proba[k]);
        }
        printf("\n");
    }
    return 0;
}
"""

#: Prints, per row: predict's value and the runtime's (tml_forest_predict_values), exactly.
REGRESSION_HARNESS = r"""
#include <stdio.h>
#include "model.h"

int main(int argc, char **argv)
{
    float x[MODEL_N_FEATURES], y, general;
    FILE *in;
    if (argc != 2 || (in = fopen(argv[1], "rb")) == NULL || model_validate() != TML_OK) {
        return 2;
    }
    while (fread(x, sizeof(float), MODEL_N_FEATURES, in) == MODEL_N_FEATURES) {
#if defined(MODEL_QUANTIZED) /* generated walks of quantized models read quantized features */
        int16_t xq[MODEL_N_FEATURES];
        if (model_quantize(x, xq) != TML_OK ||
            tml_forest_predict_values(&model_forest, NULL, xq, &general, 1) != TML_OK) {
            return 3;
        }
#else
        if (tml_forest_predict_values(&model_forest, x, NULL, &general, 1) != TML_OK) {
            return 3;
        }
#endif
        if (model_predict(x, &y) != TML_OK) {
            return 3;
        }
        printf("%a %a\n", (double)y, (double)general);
    }
    return 0;
}
"""

CLASSIFIERS = {
    "tree": lambda: DecisionTreeClassifier(random_state=0),
    "pure_forest": lambda: RandomForestClassifier(n_estimators=12, random_state=0),
    "impure_forest": lambda: RandomForestClassifier(n_estimators=12, max_depth=3, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=7, random_state=0),
}


def _with_nan(X: np.ndarray) -> np.ndarray:
    """X as float32 with 3% of its values NaN: the splits' missing-value directions are walked too."""
    X = X.astype(np.float32).copy()
    X[np.random.default_rng(0).random(X.shape) < 0.03] = np.nan
    return X


def _run(tmp_path, harness: str, header: str, X: np.ndarray, compare_bits: int, quantized: bool) -> list:
    (tmp_path / "model.h").write_text(header)
    (tmp_path / "main.c").write_text(harness)
    exe = tmp_path / "main"
    defines = [f"-DTML_FLOAT_COMPARE_BITS={compare_bits}"] + (["-DMODEL_QUANTIZED"] if quantized else [])
    subprocess.run(["gcc", *STRICT_FLAGS, *defines, "-o", str(exe), str(tmp_path / "main.c"), "-lm"],
                   check=True, capture_output=True, text=True)
    np.ascontiguousarray(X, dtype="<f4").tofile(tmp_path / "x.bin")
    out = subprocess.run([str(exe), str(tmp_path / "x.bin")], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()]


@pytest.mark.parametrize("compare_bits", [0, 1])
@pytest.mark.parametrize("strategy", ["tables", "inline"])
@pytest.mark.parametrize("dtype", ["float32", "int16", "int8"])
@pytest.mark.parametrize("kind", sorted(CLASSIFIERS))
@pytest.mark.parametrize("dataset", sorted(CLASSIFICATION_SETS))
def test_generated_class_predict_equals_the_general_runtime(tmp_path, dataset, kind, dtype, strategy, compare_bits):
    X, y = CLASSIFICATION_SETS[dataset](return_X_y=True)
    X_train, y_train, _, _ = split(X, y)
    model = CLASSIFIERS[kind]().fit(X_train.astype(np.float32), y_train)
    converted = tinyml_lab.convert(model, dtype=dtype, strategy=strategy)
    rows = _with_nan(X)
    out = _run(tmp_path, CLASS_HARNESS, converted.header, rows, compare_bits, dtype != "float32")
    labels = np.array([int(r[0]) for r in out])
    proba = np.array([[float(v) for v in r[3:]] for r in out])
    wasm_classes, wasm_values = converted.predict_device(rows)
    np.testing.assert_array_equal(labels, wasm_classes)  # the full tables' runtime walk
    np.testing.assert_array_equal(labels, [int(r[1]) for r in out])  # the header's runtime method
    np.testing.assert_array_equal(labels, [int(r[2]) for r in out])  # predict_quantized
    np.testing.assert_allclose(proba, wasm_values, rtol=0, atol=1e-7)
    if dtype == "float32":
        finite = ~np.isnan(rows).any(axis=1)
        np.testing.assert_array_equal(model.classes_[labels[finite]], model.predict(rows[finite]))


@pytest.mark.parametrize("compare_bits", [0, 1])
@pytest.mark.parametrize("strategy", ["tables", "inline"])
@pytest.mark.parametrize("dtype", ["float32", "int16"])
@pytest.mark.parametrize("kind", ["tree", "forest"])
def test_generated_regression_predict_equals_the_general_runtime(tmp_path, kind, dtype, strategy, compare_bits):
    X, y = load_diabetes(return_X_y=True)
    make = DecisionTreeRegressor if kind == "tree" else lambda **kw: RandomForestRegressor(n_estimators=9, **kw)
    model = make(max_depth=7, random_state=0).fit(X.astype(np.float32), y)
    converted = tinyml_lab.convert(model, dtype=dtype, strategy=strategy)
    rows = _with_nan(X)
    out = _run(tmp_path, REGRESSION_HARNESS, converted.header, rows, compare_bits, dtype != "float32")
    values = np.array([float.fromhex(r[0]) for r in out], dtype=np.float32)
    # the same float32 operations in the same order: equal bits, not merely close values
    np.testing.assert_array_equal(values, np.array([float.fromhex(r[1]) for r in out], dtype=np.float32))
    np.testing.assert_array_equal(values, converted.predict_device(rows)[1][:, 0].astype(np.float32))


def test_boosted_classifier_walks_the_packed_tables_like_the_runtime(tmp_path):
    X, y = CLASSIFICATION_SETS["breast_cancer"](return_X_y=True)
    model = GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X, y)
    converted = tinyml_lab.convert(model)
    rows = _with_nan(X)
    for compare_bits in (0, 1):
        out = _run(tmp_path, CLASS_HARNESS, converted.header, rows, compare_bits, False)
        np.testing.assert_array_equal([int(r[0]) for r in out], converted.predict_device(rows)[0])


@pytest.mark.parametrize("n_trees", [2, 4, 6])
def test_tied_votes_give_scikit_learns_label(run_header, n_trees):
    """An even number of fully grown trees on noisy labels ties often; scikit-learn's argmax of
    the averaged probabilities takes the first tied class, and so must the vote count."""
    rng = np.random.default_rng(n_trees)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=300)  # noise: the trees disagree
    model = RandomForestClassifier(n_estimators=n_trees, random_state=0).fit(X, y)
    probe = rng.normal(size=(400, 4)).astype(np.float32)
    proba = model.predict_proba(probe)
    top = proba.max(axis=1, keepdims=True)
    ties = np.flatnonzero((proba == top).sum(axis=1) > 1)
    assert ties.size > 20  # the case under test really happens
    header = tinyml_lab.convert(model).header
    assert "tml_argmax_votes" in header  # pure leaves: the vote count is what runs
    labels = run_header(header, probe)[:, 0].astype(int)
    np.testing.assert_array_equal(model.classes_[labels], model.predict(probe))


@pytest.mark.parametrize("kind", ["tree", "pure_forest", "impure_forest"])
def test_inline_predict_holds_every_tree(kind):
    """Inline predict is one function with the trees in it: its leaves return their class, vote
    or add their values where they are reached (no call per tree, no leaf row to look up)."""
    X, y = CLASSIFICATION_SETS["breast_cancer"](return_X_y=True)
    model = CLASSIFIERS[kind]().fit(X.astype(np.float32), y)
    header = tinyml_lab.convert(model, name="m", strategy="inline").header
    predict = header[header.index("static inline int32_t m_predict(") :]
    predict = predict[: predict.index("\n}\n")]
    assert "m_tree_" not in predict and "m_leaf_" not in predict
    assert {"tree": "return 1;", "pure_forest": "votes_1++;", "impure_forest": "s1 += "}[kind] in predict
