"""The Inspector's "Export bundle": from the button (the message the browser sends) and from a
cell, for the option selected in the widget, optionally run on an emulated Cortex-M4F."""

from __future__ import annotations

import re
import shutil

import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.neural_network import MLPClassifier
from sklearn.tree import DecisionTreeClassifier

import tinyml_lab
from tinyml_lab.bundle import ToolchainError
from tinyml_lab.errors import InvalidInputError
from tinyml_lab.widget import QEMU_TOOLS, _vector_rows, missing_qemu_tools

FILES = ["Makefile", "README.md", "iris.h", "main.c", "model_glue.h", "target.h", "target/host/target.c",
         "target/mps2_an386/mps2_an386.ld", "target/mps2_an386/target.c", "test_vectors.h"]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)  # sorted by class
    return DecisionTreeClassifier(random_state=0).fit(X, y), X, y


@pytest.fixture(scope="module")
def toolchain():
    if missing_qemu_tools():
        pytest.fail(f"{', '.join(missing_qemu_tools())} required (apt-get install gcc-arm-none-eabi "
                    "libnewlib-arm-none-eabi binutils-arm-none-eabi qemu-system-arm make)")


def _send(w, **content):
    w._handle_message(w, {"event": "export_bundle", **content}, [])


def _wait(w):
    assert w._bundle_thread is not None
    w._bundle_thread.join(timeout=300)
    assert not w._bundle_thread.is_alive()


def _vector_count(directory):
    match = re.search(r"#define TV_N_VECTORS (\d+)", (directory / "test_vectors.h").read_text())
    assert match, "test_vectors.h names no TV_N_VECTORS"
    return int(match.group(1))


def test_vector_rows_spread_over_the_test_rows():
    assert _vector_rows(150, 40).tolist()[:3] == [0, 3, 7]
    assert _vector_rows(150, 40)[-1] == 149 and len(set(_vector_rows(150, 40).tolist())) == 40
    assert _vector_rows(5, 40).tolist() == [0, 1, 2, 3, 4]
    assert _vector_rows(5, 1).tolist() == [0]
    for bad in (0, -3, 2.5, None, "40", True):
        with pytest.raises(InvalidInputError, match="n_vectors must be a positive integer"):
            _vector_rows(10, bad)


def test_button_writes_a_bundle_for_the_selected_option(iris, tmp_path):
    model, X, y = iris
    w = tinyml_lab.inspect(model, X, y, name="iris")
    w.options = {**w.options, "featureType": "int16"}  # as the browser's dtype menu does
    target = tmp_path / "iris_bundle"
    _send(w, path=str(target), n_vectors=12, run=False)
    assert w._bundle_thread is None  # no QEMU asked for: nothing left running
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == FILES
    header = (target / "iris.h").read_text()
    assert "static const int16_t iris_split_threshold" in header
    assert header == w.header  # the header the widget shows and Export writes
    assert _vector_count(target) == 12
    status = w.export_status
    assert status.startswith(f"wrote bundle {target} (12 vectors, int16 · tables): ")
    assert ", ".join(FILES) in status
    # default: 40 vectors, <name>_bundle in the working directory, float32 back again
    w.options = {**w.options, "featureType": "float32"}
    w.export_bundle(tmp_path / "default")
    assert _vector_count(tmp_path / "default") == 40
    assert "float32 · tables" in w.export_status
    assert "static const float iris_split_threshold" in (tmp_path / "default" / "iris.h").read_text()


def test_button_runs_the_selected_option_in_qemu(iris, tmp_path, toolchain):
    model, X, y = iris
    w = tinyml_lab.inspect(model, X, y, name="iris", dtype="int16")
    assert w.can_run_bundle
    _send(w, path=str(tmp_path / "q"), n_vectors=40, run=True)
    # the handler returned with the bundle written; QEMU runs in a thread
    assert "running it on an emulated Cortex-M4F" in w.export_status
    _send(w, path=str(tmp_path / "other"), n_vectors=5, run=True)
    if w._bundle_thread.is_alive():  # a second click while QEMU runs is refused, not queued
        assert w.export_status == "bundle failed: the previous bundle is still running in QEMU"
        assert not (tmp_path / "other").exists()
    _wait(w)
    status = w.export_status
    assert "emulated Cortex-M4F (QEMU mps2-an386): RESULT PASS" in status
    assert re.search(r"^wasm runtime: vectors 40, labels equal 40, .*, PASS$", status, re.M)
    assert re.search(r"^scikit-learn: vectors 40, .*REPORTED", status, re.M)  # int16: reported, not checked
    mean = re.search(r"^mean (\d+) instructions per inference", status, re.M)
    assert mean and 20 < int(mean.group(1)) < 2000
    assert "int16_t iris_split_threshold" in (tmp_path / "q" / "iris.h").read_text()


def test_export_bundle_from_a_cell_runs_in_qemu(iris, tmp_path, toolchain):
    model, X, y = iris
    w = tinyml_lab.inspect(model, X, y, name="iris", strategy="inline", leaf_dtype="uint8")
    exported = w.export_bundle(tmp_path / "b", n_vectors=15, run=True)
    assert exported.path == tmp_path / "b" and exported.files == FILES and exported.n_vectors == 15
    assert exported.option == "float32 · inline · u8 leaves"
    assert exported.run.passed and len(exported.run.instructions) == 15
    assert exported.run.line("scikit-learn").labels_equal == 15
    assert exported.run.accuracy == (15, 15)  # y_test rides along as the reference's truth
    assert w.export_status == exported.status() and "RESULT PASS" in w.export_status


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_int8_network_bundle_is_calibrated_on_x_test_like_the_browser(tmp_path):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    model = MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0).fit(X[::2], y[::2])
    w = tinyml_lab.inspect(model, X[1::2][:200], y[1::2][:200], name="digits", dtype="int8")
    exported = w.export_bundle(tmp_path / "net", n_vectors=8)
    assert exported.option == "int8" and exported.n_vectors == 8
    assert "int8_t digits_l0_weight_i8" in (tmp_path / "net" / "digits.h").read_text()
    expected = tinyml_lab.convert(model, name="digits", dtype="int8", calibration=X[1::2][:200]).header
    assert (tmp_path / "net" / "digits.h").read_text() == expected


def test_errors_in_the_widget_and_in_python(iris, tmp_path, monkeypatch):
    model, X, y = iris
    w = tinyml_lab.inspect(model, X, y, name="iris")
    # not writable: a file where the directory should be, and a directory below a file
    (tmp_path / "file").write_text("x")
    _send(w, path=str(tmp_path / "file"), n_vectors=40, run=False)
    assert w.export_status == f"bundle failed: {tmp_path / 'file'} exists and is not a directory"
    _send(w, path=str(tmp_path / "file" / "below"), n_vectors=40, run=False)
    assert w.export_status.startswith("bundle failed: [Errno")
    with pytest.raises(OSError):
        w.export_bundle(tmp_path / "file" / "below")
    assert w.export_status.startswith("bundle failed: [Errno")
    # a bad vector count from the browser's number field (empty -> null)
    _send(w, path=str(tmp_path / "n"), n_vectors=None, run=False)
    assert w.export_status == "bundle failed: n_vectors must be a positive integer, got None"
    # toolchain missing when asked to run: said up front, nothing written
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert tinyml_lab.inspect(model, X[:5], name="iris").can_run_bundle is False
    _send(w, path=str(tmp_path / "t"), n_vectors=40, run=True)
    assert w.export_status.startswith("bundle failed: running the bundle on an emulated Cortex-M4F needs "
                                      f"{', '.join(QEMU_TOOLS)} on PATH (apt-get install ")
    assert not (tmp_path / "t").exists() and w._bundle_thread is None
    with pytest.raises(ToolchainError, match="needs make, arm-none-eabi-gcc"):
        w.export_bundle(tmp_path / "t", run=True)
    monkeypatch.undo()
    # no test rows
    w.data = {}
    _send(w, path=str(tmp_path / "e"), n_vectors=40, run=False)
    assert w.export_status == "bundle failed: the widget has no test rows: call set_data(X_test, y_test)"
    with pytest.raises(InvalidInputError, match="no test rows"):
        w.export_bundle(tmp_path / "e")
    assert not (tmp_path / "e").exists()


ARDUINO_FILES = ["examples/iris_test/harness.c", "examples/iris_test/iris_test.ino", "examples/iris_test/model_glue.h",
                 "examples/iris_test/target.h", "examples/iris_test/test_vectors.h", "library.properties", "src/iris.h"]


def _send_arduino(w, **content):
    w._handle_message(w, {"event": "export_arduino", **content}, [])


def test_arduino_button_writes_the_library_of_the_selected_option(iris, tmp_path, monkeypatch):
    model, X, y = iris
    w = tinyml_lab.inspect(model, X, y, name="iris")
    w.options = {**w.options, "featureType": "int16"}  # as the browser's dtype menu does
    target = tmp_path / "libraries" / "iris"
    _send_arduino(w, path=str(target), n_vectors=9)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == ARDUINO_FILES
    assert "static const int16_t iris_split_threshold" in (target / "src" / "iris.h").read_text()
    assert _vector_count(target / "examples" / "iris_test") == 9
    assert w.export_status == (f"wrote Arduino library {target} (9 vectors, int16 · tables): src/iris.h, example "
                               "examples/iris_test; copy the folder into your Arduino libraries folder")
    # from a cell: default <name>_arduino in the working directory, 40 vectors
    monkeypatch.chdir(tmp_path)
    library = w.export_arduino()
    assert library.path.resolve() == (tmp_path / "iris_arduino").resolve() and library.name == "iris"
    assert _vector_count(library.example) == 40
    assert w.export_status.startswith(f"wrote Arduino library {tmp_path / 'iris_arduino'} (40 vectors, ")


def test_arduino_button_failures_are_one_line_in_the_status(iris, tmp_path):
    model, X, y = iris
    w = tinyml_lab.inspect(model, X, y, name="iris")
    taken = tmp_path / "taken"
    taken.write_text("a file, not a directory")
    _send_arduino(w, path=str(taken), n_vectors=5)  # the handler reports, it does not raise
    assert w.export_status == f"Arduino library failed: {taken} exists and is not a directory"
    _send_arduino(w, path=str(tmp_path / "ok"), n_vectors=0)
    assert w.export_status == "Arduino library failed: n_vectors must be a positive integer, got 0"
    assert not (tmp_path / "ok").exists()
    with pytest.raises(InvalidInputError, match="exists and is not a directory"):
        w.export_arduino(taken)  # a cell gets the exception as well
    assert w.export_status.startswith("Arduino library failed: ")


def test_arduino_library_from_the_widget_passes_on_a_simulated_uno(iris, tmp_path):
    """The example checks the device against the reference outputs the widget holds."""
    from tinyml_lab import bundle, simavr

    for tool in ("arduino-builder", "avr-gcc", "simavr"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install arduino-builder arduino-core-avr gcc-avr avr-libc "
                        "simavr)")
    model, X, y = iris
    w = tinyml_lab.inspect(model, X, y, name="iris", dtype="int16")
    library = w.export_arduino(tmp_path / "iris", n_vectors=20)
    run = bundle.parse_harness_output(simavr.simavr_console(library.build_example(tmp_path / "build"), timeout=120))
    assert run.passed, run.console
    assert run.line("wasm runtime").labels_equal == 20
    assert run.accuracy == (20, 20)  # y_test rides along as the reference's truth
