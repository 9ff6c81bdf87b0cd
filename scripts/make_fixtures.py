"""Writes tests/fixtures/models.json: model IRs with scikit-learn's own predictions, so the
jest suite checks the TypeScript compiler and the WebAssembly runtime against sklearn
without a Python kernel. Re-run after changing the IR format:

    python scripts/make_fixtures.py
"""

import json
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.ensemble import GradientBoostingClassifier, IsolationForest, RandomForestClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier

from tinyml_lab.arrays import encode_array
from tinyml_lab.convert import reference_outputs
from tinyml_lab.readers import model_to_ir

CASES = [
    ("iris_tree", load_iris, lambda: DecisionTreeClassifier(random_state=0), None),
    ("iris_forest", load_iris, lambda: RandomForestClassifier(n_estimators=10, random_state=0), None),
    ("wine_forest", load_wine, lambda: RandomForestClassifier(n_estimators=10, random_state=0), None),
    ("breast_cancer_forest", load_breast_cancer,
     lambda: RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0), None),
    ("digits_forest", load_digits, lambda: RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0), 300),
    ("breast_cancer_boosting", load_breast_cancer,
     lambda: GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0), None),
    ("wine_boosting", load_wine,
     lambda: GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0), None),
    ("wine_isolation", load_wine, lambda: IsolationForest(n_estimators=20, random_state=0), None),
    ("digits_mlp", load_digits,
     lambda: MLPClassifier(hidden_layer_sizes=(24,), max_iter=200, random_state=0), 200),
    ("breast_cancer_mlp", load_breast_cancer,
     lambda: MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", max_iter=200, random_state=0), None),
]


def main() -> None:
    fixtures = {}
    for name, load, make, n_rows in CASES:
        X, y = load(return_X_y=True)
        model = make().fit(X[::2], y[::2])
        X_eval = X[1::2][:n_rows].astype(np.float32)
        ir = model_to_ir(model)
        reference = reference_outputs(model, ir, X_eval)
        fixtures[name] = {
            "ir": ir,
            "x": encode_array(X_eval, "float32"),
            "sklearn_classes": reference["classes"],
            # predict_proba for classifiers, score_samples for the isolation forest
            "sklearn_values": reference["values"],
        }
    out = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "models.json"
    out.write_text(json.dumps(fixtures))
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
