"""Writes tests/fixtures/trees.json: model IRs with scikit-learn's own predictions, so the
jest suite checks the TypeScript compiler and the WebAssembly runtime against sklearn
without a Python kernel. Re-run after changing the IR format:

    python scripts/make_fixtures.py
"""

import json
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from tinyml_lab.convert import class_indices
from tinyml_lab.ir import encode_array, model_to_ir

CASES = [
    ("iris_tree", load_iris, lambda: DecisionTreeClassifier(random_state=0), None),
    ("iris_forest", load_iris, lambda: RandomForestClassifier(n_estimators=10, random_state=0), None),
    ("wine_forest", load_wine, lambda: RandomForestClassifier(n_estimators=10, random_state=0), None),
    ("breast_cancer_forest", load_breast_cancer,
     lambda: RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0), None),
    ("digits_forest", load_digits, lambda: RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0), 300),
]


def main() -> None:
    fixtures = {}
    for name, load, make, n_rows in CASES:
        X, y = load(return_X_y=True)
        model = make().fit(X[::2], y[::2])
        X_eval = X[1::2][:n_rows].astype(np.float32)
        fixtures[name] = {
            "ir": model_to_ir(model),
            "x": encode_array(X_eval, "float32"),
            "sklearn_classes": encode_array(class_indices(model.predict(X_eval), model.classes_.tolist()), "int32"),
            "sklearn_proba": encode_array(model.predict_proba(X_eval), "float64"),
        }
    out = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "trees.json"
    out.write_text(json.dumps(fixtures))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
