#!/usr/bin/env python3
"""Fits the bytes of inline tree code on Cortex-M4F, M3 and M0+ (INLINE_CODE in
src/core/families/trees/estimate.ts) from measured objects.

    python bench/size/fit_inline_code.py [--quick]

For forests and boosted models of several sizes (scikit-learn, XGBoost, LightGBM; float32 and
int16 features) it exports inline code, compiles a caller of predict and predict_proba with
arm-none-eabi-gcc -Os for each core and takes text + rodata + data of the object. The code's
share is that total less the estimate's other items (tables, descriptor, class names: those
estimates are exact). The code is then fitted by least squares on the relative error of the
total against what the generated C holds, read from the header itself:

    splits      `if (...) goto nK;` lines
    trees       tree functions
    wide leaves `return K;` with K > 255: a 4-byte movw where a smaller row takes a 2-byte movs
    far splits  splits whose left subtree holds more than FAR_SPLITS splits: the branch over it
                leaves the 2-byte conditional branch's 254-byte reach and takes 4 bytes
    missing     splits with a test of their own for NaN (quantized: NaN's code goes left)
    categorical splits that call the runtime's category bit test
    literals    distinct constants a tree function compares with: a float32 threshold is a
                4-byte literal that gcc stores once per function (0.0 needs none); an int16
                threshold outside 0 ... 255 does not fit a 2-byte compare

Classifiers only, each object calling predict and predict_proba: a regressor whose predict is
the only caller lets gcc inline every tree into the summing loop and fold the leaf table into
the code (a 2,000-tree LightGBM regressor's 56 kB of leaf values disappear), which would
charge the code with bytes the estimate already counts as the leaf table.

It prints the fitted bytes and each model's error with the converter's estimate as it is and with
the fitted constants."""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from lightgbm import LGBMClassifier
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from xgboost import XGBClassifier

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the working tree's tinyml_lab

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine  # noqa: E402
from tinyml_lab.errors import TinyMLError  # noqa: E402

ARM_FLAGS = ["-std=c99", "-Os", "-mthumb", "-c"]
#: the cores INLINE_CODE has constants for: an FPU, Thumb-2 without one, Thumb-1
CORES = {
    "fpu": ["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "thumb2Soft": ["-mcpu=cortex-m3", "-mfloat-abi=soft"],
    "thumb1": ["-mcpu=cortex-m0plus", "-mfloat-abi=soft"],
}
DTYPES = ("float32", "int16", "int8")
#: the estimate's target for each core
CORE_TARGETS = {"fpu": "cortex-m4f", "thumb2Soft": "cortex-m3", "thumb1": "cortex-m0plus"}
#: splits in a left subtree past which the branch over it needs the 4-byte encoding (its
#: code at ~24 bytes a split passes the narrow branch's 254 bytes)
FAR_SPLITS = 10
SPLIT = re.compile(r"^(?:n(\d+): )?\s*if \(.*\) goto n(\d+);$")
THRESHOLD = re.compile(r"(?:<=|<|>) (-?[0-9][0-9.e+-]*)f?\b")
SHAPE = ("splits", "trees", "wide_leaves", "far_splits", "missing", "categorical", "literals")
LABEL = re.compile(r"^n(\d+): ")
RETURN = re.compile(r"return (\d+);$")


def code_shape(header: str) -> dict:
    """What the inline code holds, counted in the generated C (see the module docstring)."""
    shape = dict.fromkeys(SHAPE, 0)
    body = []
    for line in header.splitlines():
        if re.match(r"static inline int32_t \w+_tree_\d+\(", line):
            shape["trees"] += 1
            body = []
            continue
        if line.startswith("}") and body:
            _count_tree(body, shape)
            body = []
            continue
        if shape["trees"] and (SPLIT.match(line.strip()) or RETURN.search(line)):
            body.append(line.strip())
    return shape


def _count_tree(lines: list, shape: dict) -> None:
    where = {}
    for k, line in enumerate(lines):
        label = LABEL.match(line)
        if label:
            where[label.group(1)] = k
    constants = set()
    for line in lines:
        for value in THRESHOLD.findall(line):
            number, is_float = float(value), "." in value or "e" in value
            if (number != 0.0) if is_float else not 0 <= number <= 255:
                constants.add(value)
    shape["literals"] += len(constants)
    splits_before = np.cumsum([0] + [1 if SPLIT.match(line) else 0 for line in lines])
    for k, line in enumerate(lines):
        split = SPLIT.match(line)
        if split:
            shape["splits"] += 1
            shape["missing"] += "TML_QUANTIZED_NAN" in line
            shape["categorical"] += "tml_category_left" in line
            target = where[split.group(2)]
            if splits_before[target] - splits_before[k + 1] > FAR_SPLITS:
                shape["far_splits"] += 1

        leaf = RETURN.search(line)
        if leaf and int(leaf.group(1)) > 255:
            shape["wide_leaves"] += 1


#: a caller of every method, so that the object keeps all the model's code
CALLS = {
    "classification": "float p[16]; return m_predict(x) + m_predict_proba(x, p, 16);",
    "regression": "float y; return m_predict(x, &y);",
}


def object_bytes(converted, core: str, work: Path) -> int:
    converted.save(str(work / "model.h"))
    (work / "use.c").write_text('#include "model.h"\nint use_model(const float *x);\n'
                                f"int use_model(const float *x) {{ {CALLS[converted.ir['task']]} }}\n")
    subprocess.run(["arm-none-eabi-gcc", *ARM_FLAGS, *CORES[core], "use.c", "-o", "use.o"], cwd=work, check=True)
    out = subprocess.run(["arm-none-eabi-size", "-A", "use.o"], cwd=work, check=True, capture_output=True,
                         text=True).stdout
    return sum(int(line.split()[1]) for line in out.splitlines()
               if line.split() and line.split()[0].startswith((".text", ".rodata", ".data")))


def models(quick: bool):
    rng = np.random.default_rng(0)
    synthetic = rng.standard_normal((3000, 30)).astype(np.float32)
    synthetic_y = (synthetic.sum(1) + 3 * np.sin(synthetic[:, 0] * synthetic[:, 1])
                   + rng.standard_normal(3000) > 0).astype(int)
    iris, iris_y = load_iris(return_X_y=True)
    # a categorical column (20 categories) that moves the label: categorical splits
    categories = rng.integers(0, 20, len(synthetic))
    with_categories = np.column_stack([synthetic[:, :10], categories])
    with_categories_y = (synthetic[:, :10].sum(1) + np.isin(categories, [1, 4, 7, 9, 15]) * 2 > 1).astype(int)
    data = {"wine": load_wine(return_X_y=True), "cancer": load_breast_cancer(return_X_y=True),
            "digits": load_digits(return_X_y=True), "synthetic": (synthetic, synthetic_y),
            "iris+category": (np.column_stack([iris, np.arange(len(iris)) % 7]), iris_y),
            "synthetic+category": (with_categories, with_categories_y)}
    specs = [
        ("wine", lambda: RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
        ("cancer", lambda: RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0)),
        ("digits", lambda: RandomForestClassifier(n_estimators=10, max_depth=12, random_state=0)),
        ("digits", lambda: RandomForestClassifier(n_estimators=3, random_state=0)),
        ("cancer", lambda: XGBClassifier(n_estimators=50, max_depth=4, n_jobs=1, random_state=0)),
        ("synthetic", lambda: XGBClassifier(n_estimators=40, max_depth=3, learning_rate=0.05, n_jobs=1)),
        ("synthetic", lambda: XGBClassifier(n_estimators=40, max_depth=6, learning_rate=0.05, n_jobs=1)),
        ("synthetic", lambda: XGBClassifier(n_estimators=40, max_depth=8, learning_rate=0.05, n_jobs=1)),
        ("wine", lambda: XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1)),
        ("cancer", lambda: LGBMClassifier(n_estimators=50, num_leaves=15, n_jobs=1, verbose=-1)),
        ("synthetic", lambda: LGBMClassifier(n_estimators=100, num_leaves=63, n_jobs=1, verbose=-1)),
        ("cancer", lambda: HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=15, random_state=0)),
        ("digits", lambda: HistGradientBoostingClassifier(max_iter=10, random_state=0)),
        ("iris+category", lambda: HistGradientBoostingClassifier(max_iter=10, categorical_features=[4],
                                                                 random_state=0)),
        ("synthetic+category", lambda: HistGradientBoostingClassifier(max_iter=40, categorical_features=[10],
                                                                      random_state=0)),
        ("synthetic+category", lambda: LGBMClassifier(n_estimators=40, num_leaves=15, n_jobs=1, verbose=-1)),
    ]
    if quick:
        specs = specs[::3]
    for dataset, make in specs:
        X, y = data[dataset]
        model = make()
        if isinstance(model, LGBMClassifier) and dataset.endswith("category"):
            model.fit(X.astype(np.float32), y, categorical_feature=[X.shape[1] - 1])
        else:
            model.fit(X.astype(np.float32), y)
        yield f"{type(model).__name__}/{dataset}", model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a third of the models")
    args = parser.parse_args()
    rows = []
    for name, model in models(args.quick):
        for dtype in DTYPES:
            try:
                converted = tinyml_lab.convert(model, name="m", dtype=dtype, strategy="inline")
            except TinyMLError as refused:  # int8 refuses "every value left" splits
                print(f"{name} {dtype}: {refused}")
                continue
            items = {i["name"]: i["bytes"] for i in converted.size["flash"]}
            tables = converted.flash_bytes - items.get("inline tree code", 0) - items.get("evaluator code", 0)
            estimates = {e["target"]: e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]}
            for core in CORES:
                with tempfile.TemporaryDirectory() as work:
                    measured = object_bytes(converted, core, Path(work))
                flash = estimates[CORE_TARGETS[core]]["flash"]
                estimate = sum(i["bytes"] for i in flash if not i["name"].startswith("C library"))
                rows.append({"name": f"{name} {dtype}", "dtype": dtype, "core": core, "total": measured,
                             "code": measured - tables, "estimate": estimate, **code_shape(converted.header)})
    for core in CORES:
        for dtype in DTYPES:
            chosen = [r for r in rows if r["dtype"] == dtype and r["core"] == core]
            features = np.array([[r[k] for k in SHAPE] + [1.0] for r in chosen], dtype=float)
            weights = 1.0 / np.array([r["total"] for r in chosen], dtype=float)
            target = np.array([r["code"] for r in chosen], dtype=float)
            fit, *_ = np.linalg.lstsq(features * weights[:, None], target * weights, rcond=None)
            if fit[-1] < 0:  # no code is smaller than none: fit again without a fixed part
                fit, *_ = np.linalg.lstsq(features[:, :-1] * weights[:, None], target * weights, rcond=None)
                fit = np.append(fit, 0.0)
            print(f"\n{core} {dtype}: bytes per " + ", ".join(f"{k} {v:.1f}" for k, v in zip(SHAPE, fit))
                  + f", once {fit[-1]:.0f}")
            for row, predicted in zip(chosen, features @ fit):
                fitted_total = row["total"] - row["code"] + predicted
                counts = " ".join(f"{k} {row[k]}" for k in SHAPE)
                errors = [row["estimate"] / row["total"] - 1, fitted_total / row["total"] - 1]
                print(f"  {row['name']:<44} {counts}\n      measured {row['total']:>7}"
                      f"  estimate {errors[0]:+6.1%}  fitted {errors[1]:+6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
