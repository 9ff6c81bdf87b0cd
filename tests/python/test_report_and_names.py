"""Hardening (issue 14): what a hostile or unlucky user hit, one test per finding. The agreement
report never passes a device that outputs NaN or infinities or that measured nothing; its memory
grows with the rows, not with classes squared; headers never clash with the runtime or break
their own comments; numbers the device cannot hold are refused where they are; quantization that
cannot be right is refused and one that may lose is warned about; every header says what it does
with a NaN feature and can check for one."""

from __future__ import annotations

import pickle
import subprocess

import numpy as np
import pytest
from conftest import STRICT_FLAGS
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeRegressor
from test_cli import assert_error, run_cli

import tinyml_lab
from tinyml_lab.errors import CompilerError, InvalidInputError


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


# ---- the agreement report -------------------------------------------------------------------


@pytest.fixture(scope="module")
def overflowing_boosting(iris):
    """Leaves near float32's top: their float32 sums overflow to +inf on some rows, while
    scikit-learn's float64 ones do not."""
    X, _ = iris
    return GradientBoostingRegressor(n_estimators=50, learning_rate=1.0, random_state=0).fit(X, X[:, 0] * 5e37), X


def test_infinite_device_outputs_are_disagreements_and_fail_the_report(overflowing_boosting):
    model, X = overflowing_boosting
    report = tinyml_lab.convert(model).evaluate(X)
    infinite = np.flatnonzero(~np.isfinite(report.device_values.ravel()))
    assert len(infinite) > 0
    assert report.non_finite_values == len(infinite) and report.non_finite_rows == infinite.tolist()
    failures = report.failures()
    assert failures and "NaN or infinite" in failures[0] and "overflow" in failures[0]
    assert "NaN or infinite device values" in str(report)


def test_the_command_line_reports_infinite_outputs_as_outside_the_tolerance(overflowing_boosting, tmp_path):
    model, X = overflowing_boosting
    with open(tmp_path / "boost.pkl", "wb") as f:
        pickle.dump(model, f)
    np.save(tmp_path / "X.npy", X)
    result = run_cli("report", "boost.pkl", "--data", "X.npy", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout and "NaN or infinite" in result.stdout
    assert "OK" not in result.stdout.splitlines()[-1]


def test_a_report_that_measured_nothing_never_passes(iris):
    X, y = iris
    report = tinyml_lab.convert(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)).evaluate(X)
    assert report.measured and report.failures(1.0, 1e-4) == []
    empty = type(report)(**{**vars(report), "label_agreement": None, "relative_l2": None})
    assert not empty.measured and any("nothing was measured" in f for f in empty.failures())


def test_confusion_memory_grows_with_rows_not_classes_squared():
    """15,000 classes: a dense confusion matrix would be 225 million cells (the engine ran out
    of memory); the report keeps the non-zero cells, at most one per row."""
    n_classes = 15_000
    X = np.arange(2 * n_classes, dtype=np.float64).reshape(n_classes, 2)
    model = GaussianNB(var_smoothing=1e-3).fit(X, np.arange(n_classes))
    report = tinyml_lab.convert(model).evaluate(X[:10], np.arange(10))
    assert report.confusion is None
    assert 1 <= len(report.confusion_cells) <= 10
    assert sum(rows for _, _, rows in report.confusion_cells) == 10
    assert len(report.reference_class_counts) == n_classes and sum(report.device_class_counts) == 10


def test_a_few_classes_keep_the_dense_confusion_matrix(iris):
    X, y = iris
    report = tinyml_lab.convert(GaussianNB().fit(X, y)).evaluate(X, y)
    assert np.asarray(report.confusion).shape == (3, 3)
    assert {(r, d): n for r, d, n in report.confusion_cells} == {
        (r, d): report.confusion[r][d] for r in range(3) for d in range(3) if report.confusion[r][d]}


# ---- names and comments -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tml_forest", "TML_NET", "tml", "tv_predict", "tv", "_Model", "__x"])
def test_names_that_clash_with_the_runtime_are_refused(iris, name):
    X, y = iris
    model = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y)
    with pytest.raises(CompilerError, match="clash with the runtime's own symbols"):
        tinyml_lab.convert(model, name=name)


def test_a_non_string_name_is_refused_in_python_words(iris):
    X, y = iris
    with pytest.raises(InvalidInputError, match=r"name must be a C identifier such as 'model', got None"):
        tinyml_lab.convert(RandomForestClassifier(n_estimators=2).fit(X, y), name=None)


def test_the_command_line_checks_the_name_it_derives_from_the_file(iris, tmp_path):
    X, y = iris
    with open(tmp_path / "m.pkl", "wb") as f:
        pickle.dump(RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y), f)
    assert_error(run_cli("convert", "m.pkl", "-o", "tml_forest.h", cwd=tmp_path),
                 "tml_forest", "clash", "--name")
    assert not (tmp_path / "tml_forest.h").exists()
    assert run_cli("convert", "m.pkl", "-o", "tml_forest.h", "--name", "forest", cwd=tmp_path).returncode == 0


def test_names_with_comment_markers_keep_the_header_compiling(iris, tmp_path, run_header):
    """Feature and class names go into comments and strings: "/*" inside a comment is an
    error under -Werror (-Wcomment), "*/" would end it early."""
    X, y = iris
    labels = np.array(["x/*", "*/y", "z"])[y]
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, labels)
    # what fitting on a DataFrame with these column names records
    model.feature_names_in_ = np.array(["a/*b", "c*/d", "e//f", "g\\"], dtype=object)
    converted = tinyml_lab.convert(model)
    assert "a/ *b" in converted.header and "c* /d" in converted.header
    out = run_header(converted.header, X)
    assert len(out) == len(X)
    bundle = converted.save_bundle(tmp_path / "b", X[:5])
    assert tinyml_lab.bundle.run_on_host(bundle.path).passed


# ---- numbers the device cannot hold ----------------------------------------------------------


def test_leaves_beyond_float32_are_refused_where_they_are():
    X, _ = load_diabetes(return_X_y=True)
    model = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, X[:, 0] * 1e40)
    with pytest.raises(CompilerError, match=r"trees\[0\]\.value\[\d+\].*beyond float32's range.*rescale the target"):
        tinyml_lab.convert(model)


def test_a_wide_network_input_is_accepted():
    """docs/ir.md allows 2^24 inputs; a dimension above 32,767 used to be 'malformed'."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 33_000)).astype(np.float32)
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0).fit(X, np.arange(12) % 2)
    report = tinyml_lab.convert(model).evaluate(X)
    assert report.label_agreement == 1.0 and report.relative_l2 < 1e-5


# ---- quantization that loses ----------------------------------------------------------------


def test_int8_calibration_on_zeros_is_refused_and_on_one_row_warned_about(iris):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, y)
    with pytest.raises(InvalidInputError, match="int8 calibration: all 10 row.*zeros.*representative"):
        tinyml_lab.convert(model, dtype="int8", calibration=np.zeros((10, 4)))
    converted = tinyml_lab.convert(model, dtype="int8", calibration=np.tile(X[:1], (50, 1)))
    assert any("all 50 rows are the same row" in w for w in converted.warnings)
    report = converted.evaluate(X, y)
    assert any("same row" in w for w in report.warnings) and "warning: int8 calibration" in str(report)
    assert tinyml_lab.convert(model, dtype="int8", calibration=X).warnings == []


def test_int16_leaves_that_would_all_be_zero_are_refused(iris):
    X, _ = iris
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, X[:, 0] * 1e-40)
    with pytest.raises(InvalidInputError, match=r"int16 leaves cannot hold these leaf values.*leaf_dtype=\"float32\""):
        tinyml_lab.convert(model, leaf_dtype="int16")
    assert tinyml_lab.convert(model).warnings == []


def test_int16_leaves_coarser_than_int16_are_warned_about(iris):
    """Leaves near 1e-29: steps of 2^-100 (the smallest the runtime takes) are a few percent
    of them, where int16 would give 0.003%."""
    X, _ = iris
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, X[:, 0] * 1e-29)
    converted = tinyml_lab.convert(model, leaf_dtype="int16")
    assert any("too small for full int16 precision" in w for w in converted.warnings)
    report = converted.evaluate(X)
    assert report.warnings == converted.warnings
    assert tinyml_lab.convert(model, leaf_dtype="float32").warnings == []


# ---- non-finite inputs on the device --------------------------------------------------------


def test_every_header_says_what_nan_does_and_checks_its_input(iris, tmp_path):
    X, y = iris
    models = {"forest": RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y),
              "mlp": MLPClassifier(hidden_layer_sizes=(4,), max_iter=50, random_state=0).fit(X, y),
              "bayes": GaussianNB().fit(X, y), "svc": SVC(gamma=0.5).fit(X, y)}
    for name, model in models.items():
        header = tinyml_lab.convert(model, name=name).header
        assert "Non-finite inputs:" in header and f"{name}_check_input(x) finds one" in header
        (tmp_path / f"{name}.h").write_text(header)
        (tmp_path / "main.c").write_text(
            f'#include <math.h>\n#include "{name}.h"\n'
            "int main(void) {\n"
            "    float x[4] = {5.1f, 3.5f, 1.4f, 0.2f};\n"
            f"    if ({name}_check_input(x) != -1) return 1;\n"
            f"    x[2] = NAN;\n    if ({name}_check_input(x) != 2) return 2;\n"
            f"    x[2] = 1.0f; x[3] = -INFINITY;\n    if ({name}_check_input(x) != 3) return 3;\n"
            "    return 0;\n}\n")
        subprocess.run(["gcc", *STRICT_FLAGS, "-o", str(tmp_path / "main"), str(tmp_path / "main.c"), "-lm"],
                       check=True, capture_output=True, text=True)
        assert subprocess.run([str(tmp_path / "main")]).returncode == 0, name
