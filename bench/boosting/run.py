#!/usr/bin/env python3
"""Boosted-tree C export benchmark: TinyML Lab vs m2cgen vs emlearn on HistGradientBoosting,
XGBoost and LightGBM classifiers, same models, same run.

    python bench/boosting/run.py [--quick] [--workdir DIR] [--json FILE]

See README.md beside this file for what is measured and how."""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the working tree's tinyml_lab, not an installed one
sys.path.insert(0, str(HERE))  # tools.py
sys.path.insert(0, str(HERE.parent / "common"))  # the run, measure.py, tables.py: shared with other benchmarks

import numpy as np  # noqa: E402
import tools  # noqa: E402
from classifier_bench import Case, run_benchmark  # noqa: E402
from measure import missing_module  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_wine  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

BASELINE = "tinyml-f32"
#: share of the breast_cancer values replaced by NaN (train and test): missing sensor readings
MISSING = 0.10


def _xgboost(n_trees: int, depth: int):
    from xgboost import XGBClassifier

    return XGBClassifier(n_estimators=n_trees, max_depth=depth, learning_rate=0.3, random_state=0, n_jobs=1)


def _lightgbm(n_trees: int, leaves: int):
    from lightgbm import LGBMClassifier

    return LGBMClassifier(n_estimators=n_trees, num_leaves=leaves, random_state=0, n_jobs=1, verbose=-1)


def _hist(n_trees: int, leaves: int):
    return HistGradientBoostingClassifier(max_iter=n_trees, max_leaf_nodes=leaves, early_stopping=False,
                                          random_state=0)


def make_cases(quick: bool) -> list:
    """breast_cancer with 10% of its values missing (binary), wine as is (3 classes)."""
    specs = [
        ("cancer_nan_hgb", "cancer", lambda: _hist(50, 15)),
        ("cancer_nan_xgb", "cancer", lambda: _xgboost(50, 4)),
        ("cancer_nan_lgbm", "cancer", lambda: _lightgbm(50, 15)),
        ("wine_hgb", "wine", lambda: _hist(30, 8)),
        ("wine_xgb", "wine", lambda: _xgboost(30, 3)),
        ("wine_lgbm", "wine", lambda: _lightgbm(30, 8)),
    ]
    if quick:
        specs = [s for s in specs if s[0] in ("cancer_nan_xgb", "cancer_nan_lgbm", "wine_hgb")]
    cases = []
    for name, dataset, make in specs:
        library = {"xgb": "xgboost", "lgbm": "lightgbm"}.get(name.rsplit("_", 1)[1])
        if library and missing_module(library):
            print(f"SKIPPING {name}: {missing_module(library)}")
            continue
        X, y = (load_breast_cancer if dataset == "cancer" else load_wine)(return_X_y=True)
        X = X.astype(np.float32)  # what every tool's C code compares
        if dataset == "cancer":
            X[np.random.default_rng(0).random(X.shape) < MISSING] = np.nan
        X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
        model = make().fit(X_train, y_train)
        expected = np.searchsorted(model.classes_, model.predict(X_test))
        cases.append(Case(name, model, X_test, expected))
    return cases


#: Whose versions a run prints: the tools compared and the training libraries.
MEASURED_MODULES = ("tinyml_lab", "m2cgen", "emlearn", "sklearn", "xgboost", "lightgbm")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 models, 5 QEMU rows")
    parser.add_argument("--workdir", help="keep generated code and binaries here")
    parser.add_argument("--json", help="also write the results as JSON here (bench/compare.py reads it)")
    args = parser.parse_args()
    return run_benchmark("boosting", make_cases(args.quick), tools.all_tools(), args, MEASURED_MODULES, BASELINE)


if __name__ == "__main__":
    sys.exit(main())
