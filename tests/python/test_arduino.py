"""Arduino libraries (tinyml_lab.export_arduino and `tinyml-lab arduino`): the library's layout,
and its example sketch built offline with arduino-builder for arduino:avr:uno (Debian's
arduino-core-avr) and run in simavr, where it prints its agreement over Serial and RESULT PASS."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.naive_bayes import GaussianNB

import tinyml_lab
from tinyml_lab import bundle, cli, simavr
from tinyml_lab.errors import InvalidInputError


@pytest.fixture(scope="module", autouse=True)
def toolchain():
    for tool, package in (("arduino-builder", "arduino-builder arduino-core-avr"), ("avr-gcc", "gcc-avr avr-libc"),
                          ("simavr", "simavr")):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install {package})")


def _passes_on_the_uno(library, tmp_path) -> bundle.HarnessRun:
    elf = library.build_example(tmp_path / "build")
    run = bundle.parse_harness_output(simavr.simavr_console(elf, timeout=120))
    assert run.passed, run.console
    return run


def test_arduino_library_example_passes_on_a_simulated_uno(tmp_path):
    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X[::2], y[::2])
    library = tinyml_lab.export_arduino(model, tmp_path / "iris_forest", X[1::2][:30], y[1::2][:30],
                                        name="iris_forest")
    files = sorted(str(p.relative_to(library.path)) for p in library.path.rglob("*") if p.is_file())
    assert files == ["examples/iris_forest_test/harness.c", "examples/iris_forest_test/iris_forest_test.ino",
                     "examples/iris_forest_test/model_glue.h", "examples/iris_forest_test/target.h",
                     "examples/iris_forest_test/test_vectors.h", "library.properties", "src/iris_forest.h"]
    properties = dict(line.split("=", 1) for line in (library.path / "library.properties").read_text().splitlines())
    assert properties["name"] == "iris_forest" and properties["includes"] == "iris_forest.h"
    assert properties["version"] == tinyml_lab.__version__ and properties["architectures"] == "*"
    sketch = (library.example / "iris_forest_test.ino").read_text()
    assert "#include <iris_forest.h>" in sketch and "tv_main();" in sketch

    run = _passes_on_the_uno(library, tmp_path)
    assert [(a.name, a.within_tolerance, a.status) for a in run.agreement] == \
        [("scikit-learn", 30, "PASS"), ("wasm runtime", 30, "PASS")]
    assert run.accuracy == (30, 30)


def test_cli_writes_an_arduino_library_that_passes(tmp_path, monkeypatch, capsys):
    X, y = load_wine(return_X_y=True)
    monkeypatch.chdir(tmp_path)
    with open("wine_nb.pkl", "wb") as f:
        pickle.dump(GaussianNB().fit(X[::2], y[::2]), f)
    np.savez("rows.npz", X=X[1::2][:25], y=y[1::2][:25])
    assert cli.main(["arduino", "wine_nb.pkl", "--data", "rows.npz", "-o", "libraries/wine_nb"]) == 0
    assert "wrote the Arduino library libraries/wine_nb (example wine_nb_test)" in capsys.readouterr().out
    library = tinyml_lab.arduino.ArduinoLibrary(tmp_path / "libraries" / "wine_nb", "wine_nb",
                                                tmp_path / "libraries" / "wine_nb" / "examples" / "wine_nb_test")
    run = _passes_on_the_uno(library, tmp_path)
    assert run.accuracy is not None and run.accuracy[1] == 25


def test_arduino_export_errors_name_the_problem(tmp_path, capsys):
    X, y = load_iris(return_X_y=True)
    model = GaussianNB().fit(X, y)
    (tmp_path / "taken").write_text("")
    with pytest.raises(InvalidInputError, match=r"taken exists and is not a directory"):
        tinyml_lab.export_arduino(model, tmp_path / "taken", X[:5], y[:5])
    with pytest.raises(InvalidInputError, match=r"X has 3 features per row, the model expects 4"):
        tinyml_lab.export_arduino(model, tmp_path / "lib", X[:5, :3], y[:5])
    np.save(tmp_path / "bad.npy", X[:5, :3])
    with open(tmp_path / "nb.pkl", "wb") as f:
        pickle.dump(model, f)
    assert cli.main(["arduino", str(tmp_path / "nb.pkl"), "--data", str(tmp_path / "bad.npy"),
                     "-o", str(tmp_path / "lib")]) == 2
    assert "the model takes rows of 4 values" in capsys.readouterr().err
