"""Export bundles on an emulated Cortex-M4F: for each model family, the bundle builds with
arm-none-eabi-gcc (-Werror, newlib nano), runs in qemu-system-arm -M mps2-an386 with
semihosting, and its harness reports every vector within tolerance of scikit-learn and of the
WebAssembly runtime; QEMU's instruction trace gives a count per inference. The same harness
builds and runs on the host with gcc -Werror."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import GradientBoostingRegressor, IsolationForest, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import tinyml_lab
from tinyml_lab import bundle
from tinyml_lab.datasets import make_audio_clips, make_imu_windows
from tinyml_lab.errors import InvalidInputError
from tinyml_lab.features import IMUFeatures, LogMelFeatures

N_VECTORS = 40
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def toolchain():
    for tool, package in (("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi"),
                          ("qemu-system-arm", "qemu-system-arm"), ("make", "make"), ("cc", "gcc")):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install {package})")


def _halves(X, y):
    return X[::2], y[::2], X[1::2][:N_VECTORS], y[1::2][:N_VECTORS]


def forest_float32():
    X_train, y_train, X, y = _halves(*load_breast_cancer(return_X_y=True))
    return RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(X_train, y_train), X, y, {}


def forest_int16():
    X_train, y_train, X, y = _halves(*load_iris(return_X_y=True))
    model = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0).fit(X_train, y_train)
    return model, X, y, {"dtype": "int16"}


def boosting_int16_leaves():
    X_train, y_train, X, _ = _halves(*load_diabetes(return_X_y=True))
    model = GradientBoostingRegressor(n_estimators=60, random_state=0).fit(X_train, y_train)
    return model, X, None, {"leaf_dtype": "int16"}


def isolation_forest():
    X_train, _, X, _ = _halves(*load_breast_cancer(return_X_y=True))
    return IsolationForest(n_estimators=50, random_state=0).fit(X_train), X, None, {}


def _digits():
    X, y = load_digits(return_X_y=True)
    return _halves(X / 16.0, y)


def mlp_float32():
    X_train, y_train, X, y = _digits()
    model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X_train, y_train)
    return model, X, y, {}


def mlp_int8():
    X_train, y_train, X, y = _digits()
    model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X_train, y_train)
    return model, X, y, {"dtype": "int8", "calibration": X_train[:300]}


def logistic_pipeline():
    X_train, y_train, X, y = _halves(*load_wine(return_X_y=True))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    return model, X, y, {}


def gaussian_nb():
    X_train, y_train, X, y = _halves(*load_wine(return_X_y=True))
    return GaussianNB().fit(X_train, y_train), X, y, {}


def svc_pipeline():
    X_train, y_train, X, y = _halves(*load_breast_cancer(return_X_y=True))
    model = make_pipeline(StandardScaler(), SVC()).fit(X_train, y_train)
    return model, X, y, {"X_train": X_train, "y_train": y_train}


def knn():
    X_train, y_train, X, y = _halves(*load_iris(return_X_y=True))
    model = KNeighborsClassifier(n_neighbors=5).fit(X_train, y_train)
    return model, X, y, {"X_train": X_train, "y_train": y_train}


def imu_pipeline():
    windows, labels = make_imu_windows(n_per_class=40)
    X_train, y_train, X, y = windows[::2], labels[::2], windows[1::2][::2][:N_VECTORS], labels[1::2][::2][:N_VECTORS]
    model = make_pipeline(IMUFeatures(), RandomForestClassifier(n_estimators=10, random_state=0)).fit(X_train, y_train)
    return model, X, y, {}


def logmel_pipeline():
    clips, labels = make_audio_clips(n_per_class=30)
    frames = clips[:, :256]  # one 256-sample frame of each clip: the header takes raw samples
    X_train, y_train, X, y = frames[::2], labels[::2], frames[1::2][::2][:N_VECTORS], labels[1::2][::2][:N_VECTORS]
    model = make_pipeline(LogMelFeatures(sample_rate=8000, n_fft=256, hop=256, n_mels=24),
                          RandomForestClassifier(n_estimators=10, random_state=0)).fit(X_train, y_train)
    return model, X, y, {}


#: case -> (builder, whether scikit-learn's answers are checked or only reported)
CASES = {
    "forest_float32": (forest_float32, True),
    "forest_int16": (forest_int16, False),  # quantized splits may move: reported
    "boosting_int16_leaves": (boosting_int16_leaves, True),  # within half a step per tree
    "isolation_forest": (isolation_forest, True),
    "mlp_float32": (mlp_float32, True),
    "mlp_int8": (mlp_int8, False),  # quantization changes outputs by design: reported
    "logistic_pipeline": (logistic_pipeline, True),
    "gaussian_nb": (gaussian_nb, True),
    "svc_pipeline": (svc_pipeline, True),
    "knn": (knn, False),  # float32 distance ties may swap neighbours: reported
    "imu_pipeline": (imu_pipeline, True),
    "logmel_pipeline": (logmel_pipeline, True),  # tables from the wasm build: the device needs no cosf
}


def assert_agreement(run, X, y, sklearn_checked: bool) -> None:
    """The harness passed: every vector within tolerance of the WebAssembly build of the same
    runtime, every time, and of scikit-learn where its answers are checked (else reported)."""
    assert run.passed, run.console
    sklearn, wasm = run.line("scikit-learn"), run.line("wasm runtime")
    assert sklearn.vectors == wasm.vectors == len(X)
    assert wasm.status == "PASS" and wasm.within_tolerance == len(X), wasm.line
    if sklearn_checked:
        assert sklearn.status == "PASS" and sklearn.within_tolerance == len(X), sklearn.line
    else:
        assert sklearn.status == "REPORTED", sklearn.line
    if y is not None:
        assert run.accuracy is not None and run.accuracy[1] == len(X)


@pytest.mark.parametrize("case", list(CASES))
def test_bundle_agrees_on_emulated_cortex_m4f_and_on_the_host(case, tmp_path):
    builder, sklearn_checked = CASES[case]
    model, X, y, options = builder()
    made = tinyml_lab.export_bundle(model, X, y, tmp_path / case, name=case, **options)
    assert {f"{case}.h", "test_vectors.h", "main.c", "target.h", "Makefile", "README.md",
            "target/mps2_an386/target.c", "target/mps2_an386/mps2_an386.ld", "target/host/target.c"} <= set(made.files)

    check_emulated_run(made, X, y, sklearn_checked)


def check_emulated_run(made, X, y, sklearn_checked):
    """Runs a bundle in QEMU and on the host: every vector agrees, one count per inference."""
    run = bundle.run_in_qemu(made.path)
    assert_agreement(run, X, y, sklearn_checked)
    # One count per inference, from QEMU's instruction trace between the harness's markers.
    assert run.instructions is not None and len(run.instructions) == len(X)
    assert min(run.instructions) > 0

    host = bundle.run_on_host(made.path)
    assert host.passed, host.console
    assert [(a.name, a.labels_equal, a.within_tolerance) for a in host.agreement] == \
        [(a.name, a.labels_equal, a.within_tolerance) for a in run.agreement]


def test_a_wrong_expected_output_fails_the_harness(tmp_path):
    """The harness really compares: one expected value moved far outside its tolerance gives
    FAIL, the vector's line, and exit code 1 (run_on_host parses it instead of raising)."""
    model, X, y, _ = gaussian_nb()
    made = tinyml_lab.export_bundle(model, X[:5], y[:5], tmp_path / "b")
    vectors = made.path / "test_vectors.h"
    text = vectors.read_text()
    head, rest = text.split("static const float tv_wasm_values[", 1)
    values_start = rest.index("{") + 1
    first = re.match(r"\s*(\S+?)f,", rest[values_start:])
    rest = rest[:values_start] + rest[values_start:].replace(first.group(1) + "f,", "12.5f,", 1)
    vectors.write_text(head + "static const float tv_wasm_values[" + rest)
    run = bundle.run_on_host(made.path)
    assert not run.passed
    assert run.line("wasm runtime").status == "FAIL" and run.line("wasm runtime").within_tolerance == 4
    assert run.line("scikit-learn").status == "PASS"
    assert "wasm runtime: vector 0" in run.console


def test_bundle_files_follow_the_model(tmp_path):
    model, X, y, _ = boosting_int16_leaves()
    converted = tinyml_lab.convert(model, name="sugar", leaf_dtype="int16")
    made = converted.save_bundle(tmp_path / "sugar", X[:3])
    vectors = (made.path / "test_vectors.h").read_text()
    assert "#define TV_N_VECTORS 3" in vectors and "#define TV_HAS_LABELS 0" in vectors
    assert f"#define TV_N_INPUTS {X.shape[1]}" in vectors
    assert "int16 fixed-point leaves: half a step" in vectors
    glue = (made.path / "model_glue.h").read_text()  # the harness (main.c) is the same for every model
    assert '#include "sugar.h"' in glue and "sugar_predict(x, values)" in glue
    assert (made.path / "main.c").read_text() == (ROOT / "c-runtime" / "bundle" / "main.c").read_text()
    assert (made.path / "sugar.h").read_text() == converted.header
    assert "\tmkdir -p build" in (made.path / "Makefile").read_text()


def test_export_bundle_auto_chooses_the_code_form_for_the_boards_core(tmp_path):
    X, y = load_digits(return_X_y=True)
    model = RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0).fit(X, y)
    headers = {}
    for target, profile, strategy in (("cortex-m4f", "cortex-m4f", "inline"), ("atmega328p", "avr", "tables")):
        made = tinyml_lab.export_bundle(model, X[:3], y[:3], tmp_path / target, target=target, strategy="auto")
        expected = tinyml_lab.convert(model, strategy="auto", target=profile)
        assert expected.strategy == strategy  # the inline forest is ~128 KiB of AVR code, over its 32 KiB
        headers[target] = (made.path / "model.h").read_text()
        assert headers[target] == expected.header
    assert headers["cortex-m4f"] != headers["atmega328p"]


def test_bundle_errors_name_the_problem(tmp_path, monkeypatch):
    model, X, y, _ = gaussian_nb()
    with pytest.raises(InvalidInputError, match=r"X has 12 features per row, the model expects 13"):
        tinyml_lab.export_bundle(model, X[:, :12], y, tmp_path / "a")
    targets = "cortex-m4f, rv32imc, atmega328p"
    with pytest.raises(InvalidInputError, match=rf"target must be one of {targets}, got .cortex-m0."):
        tinyml_lab.export_bundle(model, X, y, tmp_path / "a", target="cortex-m0")
    with pytest.raises(InvalidInputError, match=r"at least one test vector"):
        tinyml_lab.export_bundle(model, X[:0], None, tmp_path / "a")
    with pytest.raises(InvalidInputError, match=r"y has 3 labels for 40 rows"):
        tinyml_lab.export_bundle(model, X, y[:3], tmp_path / "a")
    with pytest.raises(InvalidInputError, match=r"standalone"):
        tinyml_lab.export_bundle(model, X, y, tmp_path / "a", standalone=False)
    with pytest.raises(InvalidInputError, match=r"not a bundle \(no Makefile\)"):
        bundle.run_in_qemu(tmp_path)
    made = tinyml_lab.export_bundle(model, X[:2], y[:2], tmp_path / "b")
    real_which = shutil.which
    monkeypatch.setattr(bundle.shutil, "which", lambda tool: None if tool == "qemu-system-arm" else real_which(tool))
    with pytest.raises(bundle.ToolchainError, match=r"qemu-system-arm not found: .*apt-get install qemu-system-arm"):
        bundle.run_in_qemu(made.path)
    monkeypatch.setattr(bundle.shutil, "which", lambda tool: None)
    with pytest.raises(bundle.ToolchainError,
                       match=r"arm-none-eabi-gcc not found: .*gcc-arm-none-eabi libnewlib-arm-none-eabi"):
        bundle.run_in_qemu(made.path)


def test_the_harness_output_is_parsed_or_refused():
    run = bundle.parse_harness_output(
        "TinyML Lab bundle: m, 2 vectors, 1 value(s) each\n"
        "scikit-learn: vectors 2, labels equal -, max abs error 1.50e-06, within tolerance 2/2, PASS\n"
        "RESULT PASS\n")
    assert run.passed and run.line("scikit-learn").labels_equal is None
    assert run.line("scikit-learn").max_abs_error == pytest.approx(1.5e-6)
    with pytest.raises(bundle.ToolchainError, match="no RESULT line"):
        bundle.parse_harness_output("fault: the CPU raised an exception\n")
    assert np.isfinite(run.line("scikit-learn").max_abs_error)
