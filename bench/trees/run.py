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
from sklearn.base import is_regressor  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine, make_classification  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402

BASELINE = "tinyml-f32"
#: The peer every TinyML Lab variant's geometric-mean ratios are printed against.
PEER = "emlearn"
#: The models of --quick: one of each kind the issue (#17) asks for.
QUICK = ("wine_dt", "cancer_rf10", "digits_rf10", "sonar_rf10", "cancer_rf100_d4", "diabetes_dtr", "cancer_gb")


def _sonar_like():
    """A stand-in for emlearn's published benchmark data set (UCI sonar: 208 rows, 60 real
    features, 2 classes), which scikit-learn does not ship: the same shape, generated."""
    return make_classification(n_samples=208, n_features=60, n_informative=20, n_redundant=10,
                               class_sep=0.8, random_state=0)


# ---- models --------------------------------------------------------------------------------
def make_cases(quick: bool, only: str = "") -> list:
    datasets = {"wine": load_wine, "cancer": load_breast_cancer, "digits": load_digits,
                "sonar": lambda return_X_y: _sonar_like(), "diabetes": load_diabetes}

    def forest(n, depth=8):
        return RandomForestClassifier(n_estimators=n, max_depth=depth, random_state=0)

    specs = [
        ("wine_dt", "wine", DecisionTreeClassifier(random_state=0)),
        ("cancer_rf10", "cancer", forest(10)),
        ("cancer_rf50", "cancer", forest(50)),
        ("digits_rf10", "digits", forest(10)),
        ("digits_rf50", "digits", forest(50)),
        # emlearn's published configuration: 10 trees, depth 10, 60 features
        ("sonar_rf10", "sonar", forest(10, depth=10)),
        # shallow trees: impure leaves, so the trees' probabilities must really be averaged
        ("cancer_rf100_d4", "cancer", forest(100, depth=4)),
        ("diabetes_dtr", "diabetes", DecisionTreeRegressor(max_depth=8, random_state=0)),
        ("cancer_gb", "cancer", GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0)),
    ]
    if quick:
        specs = [s for s in specs if s[0] in QUICK]
    if only:
        specs = [s for s in specs if s[0] in only.split(",")]
    cases = []
    for name, dataset, model in specs:
        X, y = datasets[dataset](return_X_y=True)
        regression = is_regressor(model)
        # float32 throughout: scikit-learn's trees compare float32 features anyway.
        X_train, X_test, y_train, _ = train_test_split(
            X.astype(np.float32), y, test_size=0.5, stratify=None if regression else y, random_state=0
        )
        model.fit(X_train, y_train)
        if regression:
            # the wrapper returns the float32 prediction's bits: equal bits, equal value
            expected = model.predict(X_test).astype(np.float32).view(np.int32)
        else:
            expected = np.searchsorted(model.classes_, model.predict(X_test))
        cases.append(Case(name, model, X_test, expected))
    return cases


#: Whose versions a run prints: the tools compared and scikit-learn.
MEASURED_MODULES = ("tinyml_lab", "emlearn", "m2cgen", "sklearn")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK)} models (no 50-tree forests), 5 QEMU rows")
    parser.add_argument("--workdir", help="keep generated code and binaries here")
    parser.add_argument("--models", default="", help="only these models (comma-separated names)")
    parser.add_argument("--tools", default="", help="only these tools (comma-separated names)")
    parser.add_argument("--json", help="also write the results as JSON here (bench/compare.py reads it)")
    args = parser.parse_args()
    chosen = [t for t in tools.all_tools() if not args.tools or t.name in args.tools.split(",")]
    return run_benchmark("trees", make_cases(args.quick, args.models), chosen, args, MEASURED_MODULES, BASELINE,
                         peer=PEER)


if __name__ == "__main__":
    sys.exit(main())
