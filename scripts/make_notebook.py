"""Writes notebooks/getting_started_trees.ipynb from the cells below (keeps the tutorial
reviewable as Python). Run: python scripts/make_notebook.py"""

from pathlib import Path

import nbformat as nbf

CELLS = [
    ("markdown", """# Getting started: a random forest on a microcontroller

This tutorial trains a scikit-learn random forest, looks at how big it is, exports it as a
C header for a microcontroller, and checks that the C code gives scikit-learn's answers.
The widget runs **the same C runtime** compiled to WebAssembly on your test rows, in the
browser; `evaluate` does the same headless."""),
    ("code", """import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

import tinyml_lab

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
model = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.3f}")"""),
    ("markdown", """## Inspect
Structure (trees, nodes, leaf depths), estimated flash and RAM, the header, and the
agreement of the C runtime with scikit-learn. Switch the feature type to `int16` to see
what quantization costs; **Export** writes the header next to the notebook."""),
    ("code", """inspector = tinyml_lab.inspect(model, X_test, y_test, name="cancer_forest")
inspector"""),
    ("markdown", """## Export from code
`convert(...).save(...)` needs no browser; `inspector.export_header(...)` writes the same
header as the widget's Export button."""),
    ("code", """converted = tinyml_lab.convert(model, name="cancer_forest")
path = converted.save("cancer_forest.h")
print(converted)
assert open(path).read() == open(inspector.export_header("cancer_forest_from_widget.h")).read()"""),
    ("markdown", """## Agreement report
The WebAssembly build of the C runtime against `model.predict` on every test row."""),
    ("code", """report = converted.evaluate(X_test, y_test)
print(report)
assert report.label_agreement == 1.0"""),
    ("markdown", """Quantized to int16, the tables shrink; the report names any split that quantization
routes differently from scikit-learn."""),
    ("code", """quantized = tinyml_lab.convert(model, name="cancer_forest_q", dtype="int16")
print(quantized)
print(quantized.evaluate(X_test, y_test))"""),
    ("markdown", """## On the device
```c
#include "cancer_forest.h"

float x[CANCER_FOREST_N_FEATURES] = { /* 30 features, in the training order */ };
int32_t label = cancer_forest_predict(x);   /* index into cancer_forest_class_names */
```"""),
]


def main() -> None:
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "markdown" else nbf.v4.new_code_cell(src)
                for kind, src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out = Path(__file__).resolve().parent.parent / "notebooks" / "getting_started_trees.ipynb"
    nbf.write(nb, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
