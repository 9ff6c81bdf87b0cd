#!/usr/bin/env python3
"""Tree-model C export benchmark: TinyML Lab vs emlearn vs m2cgen, same models, same run.

    python bench/trees/run.py [--quick] [--workdir DIR] [--json FILE]

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
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

BASELINE = "tinyml-f32"


# ---- models --------------------------------------------------------------------------------
def make_cases(quick: bool) -> list:
    datasets = {"wine": load_wine, "cancer": load_breast_cancer, "digits": load_digits}

    def forest(n):
        return RandomForestClassifier(n_estimators=n, max_depth=8, random_state=0)

    specs = [
        ("wine_dt", "wine", DecisionTreeClassifier(random_state=0)),
        ("cancer_rf10", "cancer", forest(10)),
        ("cancer_rf50", "cancer", forest(50)),
        ("digits_rf10", "digits", forest(10)),
        ("digits_rf50", "digits", forest(50)),
    ]
    if quick:
        specs = [s for s in specs if s[0] in ("wine_dt", "cancer_rf10", "digits_rf10")]
    cases = []
    for name, dataset, model in specs:
        X, y = datasets[dataset](return_X_y=True)
        # float32 throughout: scikit-learn's trees compare float32 features anyway.
        X_train, X_test, y_train, _ = train_test_split(
            X.astype(np.float32), y, test_size=0.5, stratify=y, random_state=0
        )
        model.fit(X_train, y_train)
        expected = np.searchsorted(model.classes_, model.predict(X_test))
        cases.append(Case(name, model, X_test, expected))
    return cases


#: Whose versions a run prints: the tools compared and scikit-learn.
MEASURED_MODULES = ("tinyml_lab", "emlearn", "m2cgen", "sklearn")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 small models, 5 QEMU rows")
    parser.add_argument("--workdir", help="keep generated code and binaries here")
    parser.add_argument("--json", help="also write the results as JSON here (bench/compare.py reads it)")
    args = parser.parse_args()
    return run_benchmark("trees", make_cases(args.quick), tools.all_tools(), args, MEASURED_MODULES, BASELINE)


if __name__ == "__main__":
    sys.exit(main())
