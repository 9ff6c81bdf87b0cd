"""Writes the tutorial notebooks in notebooks/ from the cells below (keeps them reviewable
as Python). Run: python scripts/make_notebook.py"""

from pathlib import Path

import nbformat as nbf

TREES = [
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


NETWORK = [
    ("markdown", """# A neural network in int8: activity recognition from accelerometer windows

A small 1-D convolutional network (Keras, JAX backend) recognizes idle / walking / shaking
from 32-sample windows of a 3-axis accelerometer, synthesized here. TinyML Lab exports it in
float32 and in int8, shows what int8 costs layer by layer, and checks both against Keras with
the same C runtime the device runs."""),
    ("code", """import os
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras
import numpy as np

import tinyml_lab
from tinyml_lab.datasets import IMU_ACTIVITIES, make_imu_windows

X, y = make_imu_windows(n_per_class=150)
order = np.random.default_rng(0).permutation(len(X))
train, test = order[: len(X) * 2 // 3], order[len(X) * 2 // 3:]
X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]
print(X_train.shape, "windows of 32 samples x 3 axes;", IMU_ACTIVITIES)"""),
    ("code", """keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input((32, 3)),
    keras.layers.Conv1D(8, 5, strides=2, padding="same"),
    keras.layers.BatchNormalization(),            # folded into the convolution on export
    keras.layers.ReLU(),
    keras.layers.MaxPooling1D(2),
    keras.layers.Conv1D(12, 3, activation="relu"),
    keras.layers.Dropout(0.2),                    # nothing at inference
    keras.layers.GlobalAveragePooling1D(),
    keras.layers.Dense(len(IMU_ACTIVITIES), activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, epochs=30, batch_size=32, verbose=0)
print("Keras test accuracy", model.evaluate(X_test, y_test, verbose=0)[1])"""),
    ("markdown", """## Inspect
The layer table and charts show parameters, multiply-adds and bytes per layer, the
activation memory while each layer runs (the arena the device needs), and each layer's value
range on the test rows against what int8 holds there. The trade-off table compares float32
and int8: size, RAM and agreement with Keras. `calibration` gives int8 its representative
rows (training data)."""),
    ("code", """inspector = tinyml_lab.inspect(model, X_test, y_test, name="activity", calibration=X_train[:300])
inspector"""),
    ("markdown", """## int8 from code
The int8 ranges are measured by the C runtime itself (its WebAssembly build) running the
float32 network on the calibration rows."""),
    ("code", """float_net = tinyml_lab.convert(model, name="activity")
int8_net = tinyml_lab.convert(model, name="activity_int8", dtype="int8", calibration=X_train[:300])
for converted in (float_net, int8_net):
    print(converted, "arena", converted.tables["arena_bytes"], "bytes")
    print(converted.evaluate(X_test, y_test))
    print()"""),
    ("code", """report = float_net.evaluate(X_test, y_test)
assert report.max_abs_error < 1e-5          # float32: Keras' probabilities, within float rounding
int8_report = int8_net.evaluate(X_test, y_test)
print(f"int8 keeps {int8_report.label_agreement:.1%} of Keras' labels")
path = int8_net.save("activity_int8.h")
print("wrote", path)"""),
    ("markdown", """## On the device
```c
#include "activity_int8.h"

float window[ACTIVITY_INT8_N_FEATURES];          /* 32 samples x 3 axes, sample-major */
int32_t activity = activity_int8_predict(window); /* index into activity_int8_class_names */
```
`activity_int8_predict` keeps its `ACTIVITY_INT8_ARENA_BYTES` of scratch on the stack;
`activity_int8_run(x, arena, out, n)` takes a buffer of yours instead."""),
]

NOTEBOOKS = {"getting_started_trees.ipynb": TREES, "neural_network_int8.ipynb": NETWORK}


def main() -> None:
    for filename, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "markdown" else nbf.v4.new_code_cell(src)
                    for kind, src in cells]
        for i, cell in enumerate(nb.cells):
            cell.id = f"{Path(filename).stem}-{i}"  # stable ids: regenerating changes nothing
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        out = Path(__file__).resolve().parent.parent / "notebooks" / filename
        nbf.write(nb, out)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
