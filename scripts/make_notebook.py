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
    ("markdown", """## Will it fit a Cortex-M0+? A sweep
A 1-USD Cortex-M0+ part has 64 KB of flash and 8 KB of RAM, and no FPU. `sweep` tries forests
of a few sizes with every export option, runs each through the C runtime on the test rows,
estimates flash, RAM and cycles on the target, and returns the Pareto front of flash against
accuracy among the options that fit. It runs on joblib: `n_jobs` here, or a Dask or Ray
cluster through `joblib.parallel_config(backend=...)`."""),
    ("code", """result = tinyml_lab.sweep(
    RandomForestClassifier(random_state=0), X_train, y_train, X_test=X_test, y_test=y_test,
    param_grid={"n_estimators": [5, 20], "max_depth": [3, 6]}, dtypes=["float32", "int16", "int8"],
    strategies=["tables"], target="cortex-m0plus", n_jobs=2)
print(result)
assert result.front_points and all(p.fits for p in result.front_points)
result.show()"""),
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


REGRESSION = [
    ("markdown", """# Regression: a boosted model and a linear one, with fixed-point leaves

Predict disease progression from the ten measurements of scikit-learn's diabetes data set
with gradient boosting and with ridge regression, export both as C, and see what storing the
boosted leaves as int16 fixed point saves in flash and costs in accuracy. The C runtime (its
WebAssembly build) is checked against `model.predict` on every test row."""),
    ("code", """import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split

import tinyml_lab

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
boosted = GradientBoostingRegressor(n_estimators=100, max_depth=3, learning_rate=0.05, random_state=0).fit(X_train, y_train)
ridge = Ridge(alpha=0.1).fit(X_train, y_train)
for model in (boosted, ridge):
    print(f"{type(model).__name__}: test MAE {mean_absolute_error(y_test, model.predict(X_test)):.2f}")"""),  # noqa: E501 - the notebook's cell as users see it
    ("markdown", """## Inspect
For a regressor the widget plots the device's prediction against scikit-learn's on every test
row. The trade-off table lists each export option with its flash, RAM and error; pick
**int16 leaves** to see the fixed-point variant."""),
    ("code", """inspector = tinyml_lab.inspect(boosted, X_test, y_test, name="diabetes")
inspector"""),
    ("markdown", """## float32 leaves against int16 fixed-point leaves
`leaf_dtype="int16"` stores each leaf as k · 2^-n and adds a prediction's leaves in an int32:
half the leaf table and no float addition per tree. Each leaf moves by at most half a step,
so a prediction moves by at most half a step per tree."""),
    ("code", """exact = tinyml_lab.convert(boosted, name="diabetes")
fixed = tinyml_lab.convert(boosted, name="diabetes_fixed", leaf_dtype="int16")
linear = tinyml_lab.convert(ridge, name="diabetes_ridge")
reports = {}
for label, converted in (("float32 leaves", exact), ("int16 leaves", fixed), ("ridge", linear)):
    reports[label] = report = converted.evaluate(X_test)
    device_mae = mean_absolute_error(y_test, report.device_values[:, 0])
    print(f"{label:15s} ~{converted.flash_bytes:6d} B flash  max |device - sklearn| {report.max_abs_error:.2e}  "
          f"device MAE {device_mae:.3f}")"""),
    ("code", """step = fixed.tables["leaf_scale"]                  # 2^-n, the fixed-point step
bound = fixed.tables["n_trees"] * step / 2 + 1e-5 * np.abs(boosted.predict(X_test)).max()
print(f"step {step:g}, bound {bound:.2e} over {fixed.tables['n_trees']} trees")
assert reports["float32 leaves"].relative_l2 < 1e-5   # float32 sums of scikit-learn's leaves
assert reports["int16 leaves"].max_abs_error <= bound  # half a step per tree, plus float32 rounding
assert reports["ridge"].relative_l2 < 1e-5
assert fixed.flash_bytes < exact.flash_bytes"""),
    ("markdown", """## Export and agreement report"""),
    ("code", """print(fixed.save("diabetes_fixed.h"), linear.save("diabetes_ridge.h"))
print(reports["int16 leaves"])"""),
    ("markdown", """## On the device
```c
#include "diabetes_fixed.h"

float x[DIABETES_FIXED_N_FEATURES] = { /* age, sex, bmi, bp, s1 ... s6, as in training */ };
float progression;
if (diabetes_fixed_predict(x, &progression) != TML_OK) { /* NaN or a bad table */ }
```"""),
]


ANOMALY = [
    ("markdown", """# Anomaly detection: flag readings unlike anything seen in training

An analyser measures 13 properties of each wine sample (scikit-learn's wine data). A faulty
probe shifts a few measurements far from where they usually are; the detector learns only
from normal samples. This tutorial fits an `IsolationForest` and a scaled `OneClassSVM`,
exports both, and checks the device's labels and scores against scikit-learn's. The
outliers are synthesised here, so no download is needed."""),
    ("code", """import numpy as np
from sklearn.datasets import load_wine
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

import tinyml_lab

X, _ = load_wine(return_X_y=True)
X_train, X_normal = train_test_split(X, test_size=0.4, random_state=0)

# Faulty readings: normal samples with three measurements moved 3-5 standard deviations.
rng = np.random.default_rng(0)
faulty = X_normal[rng.integers(0, len(X_normal), 30)].copy()
spread = X_train.std(axis=0)
for row in faulty:
    cols = rng.choice(X.shape[1], 3, replace=False)
    row[cols] += rng.choice([-1, 1], 3) * rng.uniform(3, 5, 3) * spread[cols]
X_test = np.vstack([X_normal, faulty])
y_test = np.r_[np.ones(len(X_normal), dtype=int), -np.ones(len(faulty), dtype=int)]  # 1 normal, -1 anomaly

forest = IsolationForest(n_estimators=100, random_state=0).fit(X_train)
svm = make_pipeline(StandardScaler(), OneClassSVM(nu=0.02, gamma=0.01)).fit(X_train)
for label, model in (("IsolationForest", forest), ("StandardScaler + OneClassSVM", svm)):
    flagged = model.predict(X_test) == -1
    print(f"{label}: caught {flagged[y_test == -1].mean():.0%} of faulty readings, "
          f"{flagged[y_test == 1].mean():.0%} false alarms")"""),
    ("markdown", """## Inspect
For an isolation forest the widget shows the distribution of the anomaly score
(`score_samples`) as the device computes it, with the threshold (`offset_`) that separates
normal from anomalous, next to the size and the agreement with scikit-learn."""),
    ("code", """inspector = tinyml_lab.inspect(forest, X_test, y_test, name="wine_iforest")
inspector"""),
    ("markdown", """## Agreement: labels and scores
The device computes scikit-learn's `score_samples` (path lengths for the forest, the kernel
sum for the SVM, after the scaler) and compares it with the same threshold."""),
    ("code", """forest_c = tinyml_lab.convert(forest, name="wine_iforest")
svm_c = tinyml_lab.convert(svm, name="wine_ocsvm")
forest_q = tinyml_lab.convert(forest, name="wine_iforest_q", dtype="int16", leaf_dtype="int16")
for converted in (forest_c, forest_q, svm_c):
    report = converted.evaluate(X_test, y_test)
    print(converted)
    print(report, end="\\n\\n")
    assert report.label_agreement == 1.0
    assert report.relative_l2 < 1e-4              # scores: float32 rounding (and int16 leaves)"""),
    ("markdown", """## Export and agreement report"""),
    ("code", """path = forest_c.save("wine_iforest.h")
svm_c.save("wine_ocsvm.h")
report = forest_c.evaluate(X_test, y_test)
print("wrote", path)
print(report)
assert report.relative_l2 < 1e-6"""),
    ("markdown", """## On the device
```c
#include "wine_iforest.h"

float x[WINE_IFOREST_N_FEATURES];            /* the 13 measurements, in training order */
float score;
int32_t label;                               /* -1 anomaly, 1 normal, as predict */
if (wine_iforest_score_samples(x, &score) == TML_OK && wine_iforest_predict(x, &label) == TML_OK) {
    /* score < WINE_IFOREST_OFFSET means anomalous: report how far */
}
```"""),
]


IMU = [
    ("markdown", """# Activity recognition from IMU windows: features and forest in one header

A wrist-worn accelerometer gives 32-sample windows of three axes (synthesised here: idle,
walking, shaking, in random orientations). `IMUFeatures` turns each window into statistics
per axis and of the orientation-free magnitude, **computed by the C runtime's own
`features.h`**; a random forest classifies them. Exported as one pipeline, the header takes
the raw window and runs the same feature code, so the device agrees with the notebook."""),
    ("code", """import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

import tinyml_lab
from tinyml_lab.datasets import IMU_ACTIVITIES, make_imu_windows
from tinyml_lab.features import STAT_NAMES, IMUFeatures

X, y = make_imu_windows(n_per_class=100)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
print(X.shape, "windows of 32 samples x 3 axes;", IMU_ACTIVITIES)
print("features per axis and of the magnitude:", STAT_NAMES)"""),
    ("code", """pipeline = Pipeline([
    ("features", IMUFeatures()),                     # 4 x 7 statistics, by the C runtime
    ("forest", RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0)),
]).fit(X_train, y_train)
print(f"test accuracy {pipeline.score(X_test, y_test):.3f}")"""),
    ("markdown", """## Inspect
The widget takes the raw windows: structure and size include the feature stage, and the
agreement is measured from window to label."""),
    ("code", """inspector = tinyml_lab.inspect(pipeline, X_test, y_test, name="gesture")
inspector"""),
    ("markdown", """## Export with the feature stage
The header gets `gesture_features(window, features)` and `GESTURE_N_INPUTS` (raw samples per
window) next to the forest."""),
    ("code", """converted = tinyml_lab.convert(pipeline, name="gesture")
print(converted)
for line in converted.header.splitlines():
    if "define GESTURE_N_" in line or "gesture_features(" in line:
        print(line)"""),
    ("markdown", """## Agreement report
The training features came from the same C code, so the forest sees the same numbers on the
device and every window gets scikit-learn's label; int16 features route every split the same
way unless the report lists a routing change."""),
    ("code", """report = converted.evaluate(X_test, y_test)
print(report)
assert report.label_agreement == 1.0 and report.max_abs_error < 1e-6
quantized = tinyml_lab.convert(pipeline, name="gesture_q", dtype="int16")
q_report = quantized.evaluate(X_test, y_test)
print(quantized)
print(q_report)
assert q_report.label_agreement >= 1 - len(q_report.rows_with_routing_changes) / len(X_test)
print("wrote", converted.save("gesture.h"))"""),
    ("markdown", """## On the device
```c
#include "gesture.h"

float window[GESTURE_N_INPUTS];       /* 32 samples x 3 axes, sample-major (x, y, z, x, ...) */
float features[GESTURE_N_FEATURES];
if (gesture_features(window, features) == TML_OK) {
    int32_t activity = gesture_predict(features);   /* index into gesture_class_names */
}
```"""),
]

AUDIO = [
    ("markdown", """# Event detection from audio features: whistles in a recording

A microphone at 8 kHz, cut into 256-sample frames (32 ms). Each frame becomes a 24-band
log-mel spectrum **computed by the C runtime's own `features.h`**, a small forest says whether
the frame holds a whistle, and a median filter plus hysteresis turn the per-frame probability
into events with an onset and an offset. The data are synthesised (background noise, gliding
whistles, knocks), so nothing is downloaded. Exported as one pipeline, the header takes raw
samples and computes the same features: its tables (window, FFT twiddles, the mel filterbank)
are the very numbers the notebook used."""),
    ("code", """import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

import tinyml_lab
from tinyml_lab.datasets import AUDIO_EVENTS, make_audio_clips, make_audio_stream
from tinyml_lab.features import LogMelFeatures, detect_events, frames, median_filter

SR, FRAME = 8000, 256
clips, labels = make_audio_clips(n_per_class=60, sample_rate=SR)   # 0.256 s each: 8 frames
# every frame of a clip is one training row, labelled 1 where its clip holds a whistle
X = np.concatenate([frames(clip, FRAME, FRAME) for clip in clips])
y = np.repeat(labels == 1, len(X) // len(clips)).astype(int)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
print(AUDIO_EVENTS, "->", X.shape, "frames of raw samples, whistle share", y.mean().round(2))"""),
    ("code", """pipeline = Pipeline([
    ("logmel", LogMelFeatures(sample_rate=SR, n_fft=FRAME, hop=FRAME, n_mels=24)),  # one frame in, 24 bands out
    ("forest", RandomForestClassifier(n_estimators=15, max_depth=8, random_state=0)),
]).fit(X_train, y_train)
print(f"frame accuracy {pipeline.score(X_test, y_test):.3f}")"""),
    ("markdown", """## Features and events, device against reference
A six-second recording with whistles and knocks at known places. The feature view computes
the log-mel frames (every 128 samples) twice: in float64 with numpy (the reference) and with
the C runtime compiled to WebAssembly (the device, in your browser). The forest scores each
frame on both sides, a 5-frame median filter smooths the score, and an event starts at 0.6
and ends below 0.4, lasting at least 4 frames. The summary lists any event that differs."""),
    ("code", """signal, truth = make_audio_stream(seconds=6.0, sample_rate=SR)
view = tinyml_lab.view_features(signal, sample_rate=SR, n_fft=FRAME, hop=FRAME // 2, n_mels=24,
                                model=pipeline.named_steps["forest"], positive_class=1,
                                median=5, on=0.6, off=0.4, min_duration=4)
view"""),
    ("code", """device = view.compute_device()   # the browser's device half, run in the kernel: no front end needed
print(view.summary)
hop = FRAME // 2
whistles = [(start // hop, end // hop) for label, start, end in truth if AUDIO_EVENTS[label] == "whistle"]
print("whistles in the recording (frames):", whistles)
print("events, device:", device["events"])
assert view.summary["events_identical"] and len(device["events"]) == len(whistles)
assert all(abs(a - a0) <= 2 and abs(b - b0) <= 2 for (a, b), (a0, b0) in zip(device["events"], whistles))"""),
    ("markdown", """## Inspect and export
The inspector takes raw frames: structure and size include the feature stage (its tables,
code and scratch), and agreement is measured from samples to label."""),
    ("code", """inspector = tinyml_lab.inspect(pipeline, X_test, y_test, name="whistle")
inspector"""),
    ("code", """converted = tinyml_lab.convert(pipeline, name="whistle")
print(converted)
for item in converted.size["flash"]:
    print(f"  {item['bytes']:6d} B  {item['name']}")
for line in converted.header.splitlines():
    if line.startswith("#define WHISTLE_") or "whistle_features(" in line or "whistle_frame_features(" in line:
        print(line)"""),
    ("markdown", """## Agreement report
The training features came from the same C code, so the forest sees the same numbers on the
device: every frame gets scikit-learn's label."""),
    ("code", """report = converted.evaluate(X_test, y_test)
print(report)
assert report.label_agreement == 1.0
print("wrote", converted.save("whistle.h"))"""),
    ("markdown", """## On the device
A stream: `tml_framer_t` cuts the microphone's samples into frames (state in your struct, no
allocation), the header computes the features and the probability, and the post-processing of
`features.h` makes events of it, as the view above did.
```c
#include "whistle.h"

static float ring[WHISTLE_N_INPUTS];          /* the framer's memory: one frame */
static tml_framer_t framer;                   /* tml_framer_init(&framer, WHISTLE_N_INPUTS, 128) */

void on_sample(float sample)
{
    float frame[WHISTLE_N_INPUTS], features[WHISTLE_N_FEATURES], proba[2];
    if (tml_framer_push(&framer, ring, WHISTLE_N_INPUTS, sample, frame) == 1 &&
        whistle_features(frame, features) == TML_OK) {
        whistle_predict_proba(features, proba, 2);  /* proba[1]: a whistle; then median + hysteresis */
    }
}
```"""),
]

BOOSTING = [
    ("markdown", """# Boosted trees on a sensor log with missing readings

A water pump's condition monitor logs six sensors once a minute, and like every real sensor log
it has gaps: a reading times out, a wireless node drops a packet, a loosening sensor stops
answering. Gradient-boosted trees (scikit-learn's HistGradientBoosting, XGBoost, LightGBM) take
those gaps as they are: every split learns which way a missing value goes. This tutorial trains
one, checks that the exported C sends every NaN where the library does, on every row, and
compares the three libraries on the same data. The data are synthesised (`make_pump_log`), so
nothing is downloaded."""),
    ("code", """import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

import tinyml_lab
from tinyml_lab.datasets import PUMP_CONDITIONS, PUMP_SENSORS, make_pump_log

X, y = make_pump_log(n_rows=2000)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
print("missing:", ", ".join(f"{name} {share:.1%}" for name, share in zip(PUMP_SENSORS, np.isnan(X).mean(axis=0))))
print(f"{np.isnan(X_test).any(axis=1).mean():.0%} of the test rows miss at least one reading")

model = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=0).fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.3f} ({model.n_iter_} iterations x 4 classes)")"""),
    ("markdown", """## Inspect
Structure, size per target, the header and the agreement of the C runtime (compiled to
WebAssembly, in your browser) with `model.predict`; rows with a missing reading are counted
apart, so you see that the learned directions hold where they matter."""),
    ("code", """inspector = tinyml_lab.inspect(model, X_test, y_test, name="pump")
inspector"""),
    ("markdown", """## Agreement report
Headless, the same runtime: every label equal to scikit-learn's, probabilities within float32
rounding, the rows with NaN included. int16 features keep a code for NaN, so the quantized
header routes missing readings the same way."""),
    ("code", """converted = tinyml_lab.convert(model, name="pump")
report = converted.evaluate(X_test, y_test)
print(converted)
print(report)
assert report.label_agreement == 1.0 and not report.failures()

quantized = tinyml_lab.convert(model, name="pump_q", dtype="int16")
q_report = quantized.evaluate(X_test, y_test)
print(q_report)
nan_rows = np.isnan(X_test).any(axis=1)
print(f"int16: {q_report.label_agreement:.3f} label agreement, {nan_rows.sum()} rows with NaN")"""),
    ("markdown", """## XGBoost and LightGBM on the same log
With the `boosting` extra (`pip install "tinyml-lab[boosting]"`) the same calls take XGBoost
and LightGBM models, their sklearn-style classes, their `Booster`s and their saved files
(`.json`, `.ubj`, `.txt`). Each library's own split rule is kept: XGBoost goes left when
`x < t`, LightGBM and scikit-learn when `x <= t`."""),
    ("code", """from lightgbm import LGBMClassifier
from xgboost import XGBClassifier

peers = {
    "XGBoost": XGBClassifier(n_estimators=60, max_depth=4, random_state=0, n_jobs=1),
    "LightGBM": LGBMClassifier(n_estimators=60, num_leaves=15, random_state=0, n_jobs=1, verbose=-1),
}
for library, peer in peers.items():
    peer.fit(X_train, y_train)
    peer_converted = tinyml_lab.convert(peer, name="pump")
    peer_report = peer_converted.evaluate(X_test, y_test)
    print(f"{library:9s} accuracy {peer.score(X_test, y_test):.3f}, labels equal on "
          f"{peer_report.label_agreement:.1%} of the rows, ~{peer_converted.flash_bytes:,} B flash")
    assert peer_report.label_agreement == 1.0"""),
    ("markdown", """## Export
The header holds the trees as tables, each split's missing-value direction as one bit, and
`pump_check_input` for firmware that wants to know whether a row is complete."""),
    ("code", """print("wrote", converted.save("pump.h"))
for line in converted.header.splitlines():
    if "Non-finite inputs" in line or line.startswith("#define PUMP_N_"):
        print(line)"""),
    ("markdown", """## On the device
A reading that timed out is stored as NaN; the model takes the row as it is.
```c
#include <math.h>
#include "pump.h"

float row[PUMP_N_FEATURES] = {temperature, vibration, current, suction, discharge, NAN};
int32_t condition = pump_predict(row);      /* index into pump_class_names */
```"""),
]

KWS = [
    ("markdown", """# Keyword spotting from a `.tflite` file: MLPerf Tiny's DS-CNN on a Cortex-M4F, bit for bit

MLPerf Tiny's keyword-spotting reference model is a depthwise-separable CNN (DS-CNN): it takes one
second of speech as 49 frames of 10 MFCCs and picks one of 12 classes (ten Speech Commands
keywords, silence, unknown). MLCommons publishes it trained and quantized, as a full-integer int8
TensorFlow Lite file (Apache License 2.0). This tutorial takes that file as it is and

1. shows what it holds: layers, parameters, multiply-adds, activation memory;
2. answers whether it fits a Cortex-M4F part with 256 KB of flash and 64 KB of RAM;
3. checks the exported C against TensorFlow Lite Micro's interpreter: every output, then every
   intermediate tensor, bit for bit;
4. builds the header for a Cortex-M4F, runs it in QEMU and measures its flash.

Besides tinyml-lab it needs the model file (next cell), TFLite Micro's Python interpreter for the
reference (`pip install --pre tflite-micro`), gcc, and for the last part `arm-none-eabi-gcc` with
newlib and `qemu-system-arm` (Debian: `apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi
qemu-system-arm`)."""),
    ("markdown", """## The model file
It is not in this repository: MLCommons' [tiny](https://github.com/mlcommons/tiny) repository has
it as `benchmark/training/keyword_spotting/trained_models/kws_ref_model.tflite`. The next cell
looks for it where the project's tests do: in the folder `TINYML_MODELS_DIR` names, else in
`shared/models/mlperf-tiny/` in the notebook's folder or any folder above it."""),
    ("code", """import os
import subprocess
from pathlib import Path

import numpy as np

import tinyml_lab


class ModelNotFound(Exception):
    def _render_traceback_(self):  # Jupyter shows this line instead of a traceback
        return [f"ModelNotFound: {self}"]


def find_model(filename):
    env = os.environ.get("TINYML_MODELS_DIR")
    places = [Path(env)] if env else []
    places += [folder / "shared" / "models" / "mlperf-tiny" for folder in (Path.cwd(), *Path.cwd().parents)]
    for place in places:
        if (place / filename).is_file():
            return place / filename
    raise ModelNotFound(
        f"{filename} is not in {'TINYML_MODELS_DIR=' + env + ', nor in ' if env else ''}shared/models/mlperf-tiny "
        f"in {Path.cwd()} or a folder above it: set TINYML_MODELS_DIR to the folder that holds it "
        "(mlcommons/tiny: benchmark/training/keyword_spotting/trained_models)")


MODEL = find_model("kws_ref_model.tflite")
print(f"{MODEL}: {MODEL.stat().st_size:,} bytes")"""),
    ("markdown", """## What is in it
`convert(..., dtype="int8")` reads the file's operators and keeps its quantization: per-channel
weight scales, int32 biases, every tensor's scale and zero point. Nothing is calibrated: the
integers are the file's. The table lists what the C code runs: the file's 13 operators make 12
layers (the RESHAPE before the dense layer moves no data). *live B* is the activation memory
held while a layer runs; the largest is the arena the header needs."""),
    ("code", """kws = tinyml_lab.convert(MODEL, name="kws", dtype="int8")
q_in = kws.ir["input_quantization"]
print(kws)
print(f"input {kws.ir['input_shape']} (49 frames x 10 MFCCs): int8, scale {q_in['scale']:.7g}, "
      f"zero point {q_in['zero_point']}; {kws.ir['n_outputs']} classes (the file names none: 0-11)\\n")
structure = kws.structure
print(f"{'layer':20s} {'output':>9s} {'params':>7s} {'mult-adds':>10s} {'weights B':>9s} {'live B':>7s}")
for layer in structure["layers"]:
    shape = "x".join(map(str, layer["outShape"]))
    print(f"{layer['name']:20s} {shape:>9s} {layer['params']:7,d} {layer['macs']:10,d} "
          f"{layer['weightBytes']:9,d} {layer['liveBytes']:7,d}")
print(f"\\n{structure['totalParams']:,} parameters, {structure['totalMacs']:,} multiply-adds per inference, "
      f"arena {structure['arenaBytes']:,} B")"""),
    ("markdown", """## Inspect
The widget shows the same layers with charts, the size on each target, the header, and the
agreement of the C runtime (compiled to WebAssembly, in your browser) with TFLite Micro on the
rows it is given. The rows: 100 random inputs over the whole int8 input range. The header takes
real-valued features and quantizes them with the file's input scale and zero point, so
`scale * (code - zero)` gives each int8 code back exactly."""),
    ("code", """codes = np.random.default_rng(0).integers(-128, 128, size=(100, 490)).astype(np.int8)
X = (np.float32(q_in["scale"]) * (codes.astype(np.float32) - q_in["zero_point"])).astype(np.float32)
inspector = tinyml_lab.inspect(MODEL, X, name="kws", dtype="int8")
inspector"""),
    ("markdown", """## Does it fit?
The estimate for a Cortex-M4F (the tables are the header's bytes; the code size is fitted to
arm-none-eabi-gcc -Os builds), against a part with 256 KB of flash and 64 KB of RAM such as an
STM32L432KC. It counts the model only: not the MFCC front end that turns audio into these 490
values, not its audio buffers, not the rest of your firmware. The flash is measured further down."""),
    ("code", """PART = {"name": "STM32L432KC (Cortex-M4F, 256 KB flash, 64 KB RAM)", "flash": 256 * 1024,
        "ram": 64 * 1024}
size = kws.size
print(f"estimate on {size['target']} against {PART['name']}:")
for memory, total in (("flash", kws.flash_bytes), ("ram", kws.ram_bytes)):
    share = total / PART[memory]
    print(f"  {memory.upper():5s} {total:7,d} B = {share:5.1%} of {PART[memory] // 1024} KB: "
          f"{'fits' if share <= 1 else 'does NOT fit'}")
    for item in size[memory]:
        print(f"        {item['bytes']:7,d} B  {item['name']}")
assert kws.flash_bytes <= PART["flash"] and kws.ram_bytes <= PART["ram"]"""),
    ("markdown", """## Agreement with TensorFlow Lite Micro
`evaluate` runs the C runtime (WebAssembly) on the 100 rows and TFLite Micro's host interpreter
(the `tflite-micro` package, its reference kernels) on the same int8 codes, and compares the
outputs: max abs error 0 means every output is the same integer.

This checks arithmetic, not accuracy. Every layer is integer arithmetic the file fixes: int8
products summed in int32, a per-channel fixed-point requantization with its rounding, a clamp.
No input is special to that arithmetic: random codes over the whole int8 range run every one of
those operations on every value of every layer, and reach saturation and the clamps more often
than speech does, so a different rounding or clamp rule would show. What it says nothing about is
how well the model spots keywords: no audio is used here, and on random inputs the labels
themselves mean nothing."""),
    ("code", """report = kws.evaluate(X)
print(report)
assert report.max_abs_error == 0 and report.label_agreement == 1.0
assert not report.failures(min_agreement=1.0, max_relative_error=0.0)"""),
    ("markdown", """The outputs alone are a weak test, though: on random inputs the softmax saturates, and most
outputs are the code of probability 0. A difference of one unit in an earlier layer could vanish
there. Compare every layer below, after the export."""),
    ("code", """out_q = kws.ir["layers"][-1]["quantization"]["output"]
device_codes = np.round(report.device_values.reshape(len(X), -1) / out_q["scale"]).astype(int) + out_q["zero_point"]
print(f"{np.mean(device_codes == -128):.0%} of the {device_codes.size:,} outputs are -128 (probability 0); "
      f"{len({tuple(row) for row in device_codes})} different output rows of {len(X)}")"""),
    ("markdown", """## Export the header
One file with the tables and the runtime it uses: no other source, no allocation."""),
    ("code", """print("wrote", kws.save("kws.h"))
print("\\n".join(kws.header.splitlines()[:11]))"""),
    ("markdown", """## Every layer, bit for bit
The header compiled with gcc runs the network a layer at a time (`tml_net_load_input`, then
`tml_net_run_layer` for each layer: the runtime's own driver, in the header) and writes each
layer's int8 output; TFLite Micro's interpreter keeps every intermediate tensor when asked to
(`kPreserveAllTensors`). The layer names number the file's operators, so each C layer is compared
with its operator's output tensor."""),
    ("code", """from tflite_micro.python.tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

Path("kws_layers.c").write_text(\"\"\"#include <stdio.h>
#include "kws.h"

/* Rows of KWS_N_FEATURES float32 on stdin; each layer's int8 output, in order, on stdout. */
int main(void)
{
    static float arena[(KWS_ARENA_BYTES + 3) / 4];
    float x[KWS_N_FEATURES];
    int32_t k;
    while (fread(x, sizeof x[0], KWS_N_FEATURES, stdin) == KWS_N_FEATURES) {
        tml_net_load_input(&kws_net, x, arena);
        for (k = 0; k < kws_net.n_layers; k++) {
            const tml_layer_t *layer = &kws_net.layers[k];
            tml_net_run_layer(&kws_net, k, arena);
            fwrite((const char *)arena + layer->out_offset, 1, (size_t)(layer->out_h * layer->out_w * layer->out_c),
                   stdout);
        }
    }
    return 0;
}
\"\"\")
subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                "kws_layers.c", "-o", "kws_layers", "-lm"], check=True)
layers = structure["layers"]
sizes = [int(np.prod(layer["outShape"])) for layer in layers]
ours = subprocess.run(["./kws_layers"], input=X.tobytes(), capture_output=True, check=True).stdout
ours = np.frombuffer(ours, dtype=np.int8).reshape(len(X), sum(sizes))

flatbuffer = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(MODEL.read_bytes(), 0))
operators = flatbuffer.subgraphs[0].operators
tflm = runtime.Interpreter.from_file(str(MODEL), intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
differing = np.zeros(len(layers), dtype=int)
for row, code in enumerate(codes):
    tflm.set_input(code.reshape(1, 49, 10, 1), 0)
    tflm.invoke()
    start = 0
    for k, layer in enumerate(layers):
        operator = operators[int(layer["name"].split()[-1])]   # "conv2d 0": the file's operator 0
        theirs = tflm.GetTensor(operator.outputs[0], 0)["tensor_data"].reshape(-1)
        assert theirs.size == sizes[k], layer["name"]
        differing[k] += np.count_nonzero(theirs != ours[row, start:start + sizes[k]])
        start += sizes[k]
for layer, n, d in zip(layers, sizes, differing):
    print(f"{layer['name']:20s} {n * len(X):9,d} int8 values, {d} differ")
print(f"every layer: {sum(sizes) * len(X):,} values compared, {differing.sum()} differ")
assert differing.sum() == 0"""),
    ("markdown", """## On an emulated Cortex-M4F
`save_bundle` writes the header with test vectors (input rows and the outputs expected: TFLite
Micro's, and the WebAssembly runtime's), a C harness, start-up code and a linker script for
QEMU's `mps2-an386` board (a Cortex-M4F), and a Makefile. `run_in_qemu` builds it with
arm-none-eabi-gcc (-Os, hard float, newlib nano) and runs it. The harness prints one line per set
of expected outputs; it calls the first one *scikit-learn* whatever the model came from: here it
holds TFLite Micro's outputs. Eight vectors take a few seconds."""),
    ("code", """from tinyml_lab.bundle import run_in_qemu

bundle = kws.save_bundle("kws_bundle", X[:8])
run = run_in_qemu(bundle.path, count_instructions=False)
print(run.console.strip())
assert run.passed and all(line.status == "PASS" and line.max_abs_error == 0 for line in run.agreement)"""),
    ("markdown", """### Flash and stack, measured
The bundle's firmware also holds the harness and the test vectors. To see what the model costs,
compile a function that only calls `kws_predict`, with the bundle's compiler flags: the object is
the model's code and tables; linking it pulls in the C library functions it calls (`expf`, for
the softmax); gcc's `-fstack-usage` gives each function's stack frame, and as nothing recurses,
their sum bounds the stack one inference needs."""),
    ("code", """makefile = (bundle.path / "Makefile").read_text()
arm_flags = next(line for line in makefile.splitlines() if line.startswith("ARM_FLAGS")).split("=", 1)[1].split()
Path("kws_probe.c").write_text(\"\"\"#include "kws.h"

int32_t kws_classify(const float *x)
{
    return kws_predict(x);
}
\"\"\")
subprocess.run(["arm-none-eabi-gcc", "-std=c99", *arm_flags, "-fstack-usage", "-c", "kws_probe.c",
                "-o", "kws_probe.o"], check=True)
subprocess.run(["arm-none-eabi-gcc", *arm_flags, "--specs=nano.specs", "-nostartfiles", "-Wl,--gc-sections",
                "-Wl,-e,kws_classify", "kws_probe.o", "-lm", "-o", "kws_probe.elf"], check=True)


def flash(path):  # .text + .data, as arm-none-eabi-size counts them
    text, data = subprocess.run(["arm-none-eabi-size", path], capture_output=True, text=True,
                                check=True).stdout.splitlines()[1].split()[:2]
    return int(text) + int(data)


frames = {line.split()[0].rsplit(":", 1)[1]: int(line.split()[1])
          for line in Path("kws_probe.su").read_text().splitlines()}
for label, path, what in (("kws_predict and its tables", "kws_probe.o", "compiled"),
                          ("the same, linked", "kws_probe.elf", "+ the C library functions it calls"),
                          ("the whole test firmware", bundle.path / "build" / "mps2_an386.elf",
                           "harness, 8 test vectors, start-up, newlib nano")):
    print(f"flash  {label:27s} {flash(path):7,d} B  {what}")
print(f"flash  {'estimated':27s} {kws.flash_bytes:7,d} B")
stack = sum(frames.values())   # no recursion: the deepest call path holds at most every frame once
print(f"stack  at most {stack:,} B: kws_predict's frame {frames['kws_predict']:,} B (the {structure['arenaBytes']:,} B "
      f"arena lives there) + its helpers' {stack - frames['kws_predict']} B, expf's aside; RAM estimated "
      f"{kws.ram_bytes:,} B")
assert flash("kws_probe.elf") <= PART["flash"] and stack <= PART["ram"]"""),
    ("markdown", """### Instructions per inference
QEMU models no cycles, but it can log every instruction it executes: `Bundle.run_in_qemu()` (and
the widget's *Export bundle* with a QEMU run) traces each test vector and counts the instructions
between the harness's markers. This model executes about 22 million per inference, and tracing
them takes QEMU one and a half to two minutes per vector on a two-core PC, so this notebook does
not by default: set `COUNT_INSTRUCTIONS = True` to count one inference. Without it, the cell prints
the compiler's estimate, which the project's tests check against QEMU counts (within 15% for
networks). Instructions are not cycles: on a real Cortex-M4 loads, taken branches and flash wait
states cost more than one cycle."""),
    ("code", """COUNT_INSTRUCTIONS = False   # True: trace one inference in QEMU (about two minutes)

estimate = kws.structure["estimatedInstructions"]
if COUNT_INSTRUCTIONS:
    traced = kws.save_bundle("kws_bundle_traced", X[:1]).run_in_qemu()
    assert traced.passed
    print(f"{traced.mean_instructions:,.0f} instructions per inference, counted in QEMU "
          f"(estimate {estimate:,}: {estimate / traced.mean_instructions - 1:+.1%})")
else:
    print(f"{estimate:,} instructions per inference, estimated; "
          "set COUNT_INSTRUCTIONS = True to count them in QEMU")"""),
    ("markdown", """## What this measured, and what it did not
**Measured here:** the header computes TFLite Micro's integers (its reference kernels, the host
interpreter) on 100 random inputs: all 1,200 outputs, and all 7.2 million values of the
intermediate layers; the same header, built for a Cortex-M4F, gives the same outputs in QEMU on
8 of them; its flash, compiled and linked; its stack frames.

**Not measured:** accuracy on Speech Commands (no audio here; equal integers on these inputs are
evidence, not proof, that the file's accuracy carries over); the MFCC front end, which the header
does not contain, and its cost; time on a real part (QEMU counts instructions, not cycles).

**For comparison** (`bench/mlperf_tiny/README.md`: this model, firmware for the same emulated
board, instructions counted the same way): TensorFlow Lite Micro with CMSIS-NN kernels needs
106,608 B of flash and 7.70 M instructions per inference, with its reference kernels 94,504 B and
43.0 M; this runtime about 34 KB and 7.6 M (int8 tensors in and out, as TFLM's firmware runs
it). The runtime is portable C99 with a few Armv7E-M paths: a third of the flash, under a fifth
of the reference kernels' instructions, and 0.98 times CMSIS-NN's hand-tuned kernels'."""),
    ("markdown", """## On the device
```c
#include "kws.h"

float mfcc[KWS_N_FEATURES];             /* 49 frames x 10 MFCCs, frame by frame, real values */
int32_t keyword = kws_predict(mfcc);    /* 0..11, or a negative TML_E_* code */
```
`kws_predict` puts its `KWS_ARENA_BYTES` (16,040) of scratch on the stack; `kws_run(x, arena, out,
n)` takes a static buffer of yours instead. A front end that already gives the int8 codes of the
input tensor passes them to `kws_run_int8(codes, arena, out, n)`, which gives the output tensor's
int8 values as TensorFlow Lite Micro does, with no float conversion on the way."""),
]

NOTEBOOKS = {
    "getting_started_trees.ipynb": TREES,
    "neural_network_int8.ipynb": NETWORK,
    "regression.ipynb": REGRESSION,
    "anomaly_detection.ipynb": ANOMALY,
    "imu_gesture.ipynb": IMU,
    "audio_event_detection.ipynb": AUDIO,
    "boosted_trees_missing_values.ipynb": BOOSTING,
    "keyword_spotting_tflite.ipynb": KWS,
}


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
