"""Writes the behaviour lock of the compiler: tests/fixtures/golden/cases.json (model IRs of
every family, task and export option, with input rows) and, with --record,
tests/fixtures/golden/expected.json (what the compiler gives for each: header, size and target
estimates, structure, device outputs through WebAssembly and through gcc).

tests/python/test_golden.py recomputes everything from cases.json and compares it with
expected.json. Both files were made before the move to per-family modules (issue 13) and must
not be re-recorded to make a refactoring pass: a difference there is a change of behaviour.

    python scripts/make_golden.py            # cases.json (needs scikit-learn, Keras on JAX)
    python scripts/make_golden.py --record   # expected.json from the current compiler
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
ROWS = 24  # input rows per case: enough to reach many leaves and both sides of thresholds


def _sets():
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine

    return {name: load(return_X_y=True) for name, load in (
        ("iris", load_iris), ("wine", load_wine), ("cancer", load_breast_cancer),
        ("digits", load_digits), ("diabetes", load_diabetes))}


def _keras_nets():
    """Small Keras nets (Conv1D on IMU windows, Conv2D on digits), fitted briefly."""
    import keras

    from tinyml_lab.datasets import make_imu_windows

    keras.utils.set_random_seed(0)
    X, y = make_imu_windows(n_per_class=20)
    conv1d = keras.Sequential([
        keras.Input((X.shape[1], X.shape[2])),
        keras.layers.Conv1D(6, 5, activation="relu"),
        keras.layers.MaxPooling1D(2),
        keras.layers.Conv1D(8, 3, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(int(y.max()) + 1, activation="softmax"),
    ])
    conv1d.compile("adam", "sparse_categorical_crossentropy")
    conv1d.fit(X, y, epochs=2, verbose=0)
    Xd, yd = _sets()["digits"]
    images = (Xd / 16.0).reshape(-1, 8, 8, 1).astype(np.float32)
    conv2d = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, strides=1, padding="valid", activation="tanh"),
        keras.layers.AveragePooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
        keras.layers.Activation("softmax"),
    ])
    conv2d.compile("adam", "sparse_categorical_crossentropy")
    conv2d.fit(images, yd, epochs=1, verbose=0)
    return (conv1d, X.reshape(len(X), -1)), (conv2d, images.reshape(len(images), -1))


def make_cases() -> list[dict]:
    from sklearn.covariance import EllipticEnvelope
    from sklearn.decomposition import PCA
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        IsolationForest,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
    from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    from sklearn.svm import SVC, SVR, LinearSVC, NuSVC, OneClassSVM
    from sklearn.tree import DecisionTreeClassifier, ExtraTreeRegressor

    from tinyml_lab.arrays import encode_array
    from tinyml_lab.datasets import make_audio_clips, make_imu_windows
    from tinyml_lab.features import IMUFeatures, LogMelFeatures
    from tinyml_lab.readers import model_to_ir

    sets = _sets()
    cases: list[dict] = []

    def add(name, model, data, options=None, calibrate=False, needs_train=False):
        X, y = data
        X = np.asarray(X, dtype=np.float64)
        train = slice(0, None, 2)
        fit_args = (X[train],) if y is None else (X[train], y[train])
        model.fit(*fit_args)
        extra = {"X_train": X[train], "y_train": None if y is None else y[train]} if needs_train else {}
        ir = model_to_ir(model, **extra)
        rows = X[1::2][:ROWS].astype(np.float32)
        opts = {"name": "model", **(options or {})}
        if calibrate:
            opts["calibration"] = encode_array(X[train][:200].astype(np.float32), "float32")
        cases.append({"name": name, "ir": ir, "options": opts, "x": encode_array(rows, "float32")})

    def add_ir(name, ir, x, options=None, calibration=None):
        opts = {"name": "model", **(options or {})}
        if calibration is not None:
            opts["calibration"] = encode_array(np.asarray(calibration, np.float32), "float32")
        cases.append({"name": name, "ir": ir, "options": opts,
                      "x": encode_array(np.asarray(x[:ROWS], np.float32), "float32")})

    iris, wine, cancer, digits, diabetes = (sets[k] for k in ("iris", "wine", "cancer", "digits", "diabetes"))
    unlabeled = (wine[0], None)

    # ---- trees: every feature type, leaf type and strategy
    add("dt_iris_tables", DecisionTreeClassifier(random_state=0), iris)
    add("dt_iris_inline", DecisionTreeClassifier(random_state=0), iris, {"strategy": "inline"})
    add("dt_iris_not_standalone", DecisionTreeClassifier(random_state=0), iris, {"standalone": False})
    for ft in ("float32", "int16", "int8"):
        for strategy in ("tables", "inline"):
            add(f"rf_wine_{ft}_{strategy}", RandomForestClassifier(n_estimators=6, max_depth=5, random_state=0),
                wine, {"featureType": ft, "strategy": strategy})
    add("rf_wine_auto", RandomForestClassifier(n_estimators=6, max_depth=5, random_state=0), wine,
        {"strategy": "auto"})
    # "auto" on AVR: 30 boosting rounds are inline code of ~60 KiB there, over the part's 32 KiB: tables
    add("gb_wine_auto_avr", GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0), wine,
        {"strategy": "auto", "target": "avr"})
    add("rf_cancer_leaf_uint8", RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0), cancer,
        {"leafType": "uint8"})
    add("rf_cancer_uint8_int16", RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0), cancer,
        {"leafType": "uint8", "featureType": "int16"})
    add("et_digits_inline_int8", ExtraTreesClassifier(n_estimators=4, max_depth=6, random_state=0), digits,
        {"strategy": "inline", "featureType": "int8"})
    add("etr_diabetes", ExtraTreeRegressor(max_depth=6, random_state=0), diabetes)
    add("rfr_diabetes_leaf_int16", RandomForestRegressor(n_estimators=5, max_depth=5, random_state=0), diabetes,
        {"leafType": "int16"})
    add("etsr_diabetes_int16_inline", ExtraTreesRegressor(n_estimators=4, max_depth=4, random_state=0), diabetes,
        {"featureType": "int16", "strategy": "inline"})
    add("gb_cancer_binary", GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=0), cancer)
    add("gb_wine_multiclass_inline", GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0), wine,
        {"strategy": "inline"})
    add("gb_wine_leaf_int16", GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0), wine,
        {"leafType": "int16", "featureType": "int16"})
    add("gbr_diabetes_huber", GradientBoostingRegressor(loss="huber", n_estimators=8, max_depth=3, random_state=0),
        diabetes)
    add("iso_wine", IsolationForest(n_estimators=10, random_state=0), unlabeled)
    add("iso_wine_leaf_int16_inline", IsolationForest(n_estimators=10, random_state=0), unlabeled,
        {"leafType": "int16", "strategy": "inline"})

    # ---- networks and linear models
    add("mlp_digits", MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0), digits)
    add("mlp_digits_int8", MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, random_state=0), digits,
        {"featureType": "int8"}, calibrate=True)
    add("mlp_cancer_tanh", make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(6,), activation="tanh",
                                                                         max_iter=80, random_state=0)), cancer)
    add("mlpr_diabetes", MLPRegressor(hidden_layer_sizes=(8,), max_iter=80, random_state=0), diabetes)
    add("mlpr_diabetes_int8", MLPRegressor(hidden_layer_sizes=(8,), max_iter=80, random_state=0), diabetes,
        {"featureType": "int8"}, calibrate=True)
    # half its hidden units pruned (all-zero weights): int8 stores weight rows for the others alone
    pruned = MLPClassifier(hidden_layer_sizes=(32,), max_iter=60, random_state=0).fit(digits[0][::2], digits[1][::2])
    pruned.coefs_[0][:, ::2] = 0
    add_ir("mlp_digits_int8_pruned", model_to_ir(pruned), np.asarray(digits[0][1::2], np.float32),
           {"featureType": "int8"}, calibration=digits[0][::2][:200])
    add("logreg_iris", LogisticRegression(max_iter=500), iris)
    add("logreg_cancer_int8", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), cancer,
        {"featureType": "int8"}, calibrate=True)
    add("linearsvc_wine", make_pipeline(MinMaxScaler(), LinearSVC(random_state=0)), wine)
    add("sgd_cancer", make_pipeline(StandardScaler(), SGDClassifier(random_state=0)), cancer)
    add("ridge_diabetes_pca", make_pipeline(StandardScaler(), PCA(5), Ridge()), diabetes)

    # ---- Gaussian models
    add("gnb_iris", GaussianNB(), iris)
    for cov in ("full", "tied", "diag", "spherical"):
        add(f"gmm_wine_{cov}", make_pipeline(StandardScaler(), GaussianMixture(3, covariance_type=cov, random_state=0)),
            unlabeled)
    add("bgmm_iris", BayesianGaussianMixture(n_components=3, random_state=0), (iris[0], None))
    add("envelope_wine", EllipticEnvelope(random_state=0), unlabeled)

    # ---- kernels and neighbours
    add("svc_rbf_iris", SVC(gamma=0.5), iris)
    add("svc_poly_cancer_ovo", make_pipeline(StandardScaler(), SVC(kernel="poly", degree=2, gamma=0.1,
                                                                   decision_function_shape="ovo")), cancer)
    add("nusvc_sigmoid_wine", make_pipeline(StandardScaler(), NuSVC(kernel="sigmoid", gamma=0.05)), wine)
    add("svr_diabetes", SVR(gamma=0.5), diabetes)
    add("ocsvm_wine", make_pipeline(StandardScaler(), OneClassSVM(gamma=0.1)), unlabeled)
    add("knn_iris_manhattan_distance", KNeighborsClassifier(5, metric="manhattan", weights="distance"), iris,
        needs_train=True)
    add("knn_wine_minkowski", make_pipeline(StandardScaler(), KNeighborsClassifier(3, p=3)), wine, needs_train=True)
    add("knnr_diabetes", KNeighborsRegressor(4), diabetes, needs_train=True)

    # ---- feature stages in front of models
    Xw, yw = make_imu_windows(n_per_class=20)
    flat = Xw.reshape(len(Xw), -1)
    imu_rf = make_pipeline(IMUFeatures(), RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0))
    imu_rf.fit(flat[::2], yw[::2])
    add_ir("imu_forest_int16", model_to_ir(imu_rf), flat[1::2], {"featureType": "int16"})
    imu_mlp = make_pipeline(IMUFeatures(), StandardScaler(),
                            MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0))
    imu_mlp.fit(flat[::2], yw[::2])
    add_ir("imu_mlp_int8", model_to_ir(imu_mlp), flat[1::2], {"featureType": "int8"}, calibration=flat[::2][:60])
    clips, yc = make_audio_clips(n_per_class=10)
    mel_rf = make_pipeline(LogMelFeatures(sample_rate=8000, n_fft=256, hop=128, n_mels=16),
                           RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0))
    mel_rf.fit(clips[::2], yc[::2])
    add_ir("logmel_forest", model_to_ir(mel_rf), clips[1::2])
    mfcc_mlp = make_pipeline(LogMelFeatures(sample_rate=8000, n_fft=256, hop=128, n_mels=16, n_mfcc=8),
                             StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=100, random_state=0))
    mfcc_mlp.fit(clips[::2], yc[::2])
    add_ir("mfcc_mlp", model_to_ir(mfcc_mlp), clips[1::2])

    # ---- Keras
    (conv1d, x1), (conv2d, x2) = _keras_nets()
    add_ir("keras_conv1d", model_to_ir(conv1d), x1[1::2])
    add_ir("keras_conv1d_int8", model_to_ir(conv1d), x1[1::2], {"featureType": "int8"}, calibration=x1[::2][:80])
    add_ir("keras_conv2d", model_to_ir(conv2d), x2[1::2])
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="write expected.json from the current compiler")
    args = parser.parse_args()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    cases_path = GOLDEN / "cases.json"
    if not args.record:
        cases = make_cases()
        cases_path.write_text(json.dumps(cases, separators=(",", ":")))
        print(f"wrote {len(cases)} cases to {cases_path} ({cases_path.stat().st_size} bytes)")
        return 0
    sys.path.insert(0, str(ROOT / "tests" / "python"))
    from golden import observe  # noqa: PLC0415 - the test's own measuring code

    cases = json.loads(cases_path.read_text())
    expected = {case["name"]: observe(case) for case in cases}
    (GOLDEN / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(expected)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
