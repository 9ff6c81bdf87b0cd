"""The tinyml-lab command, run as `python -m tinyml_lab` in a subprocess: headers equal the
Python API's, reports match evaluate(), bad input gives one error line and exit code 2."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
from conftest import split
from sklearn.datasets import load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import AdaBoostClassifier, GradientBoostingRegressor, RandomForestClassifier
from sklearn.naive_bayes import GaussianNB

import tinyml_lab
from tinyml_lab.readers import READERS

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, KERAS_BACKEND="jax")
    # this checkout's tinyml_lab, whatever version is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "tinyml_lab", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit code 2 and one line on stderr naming the problem; no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tinyml-lab: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def iris_forest(tmp_path_factory):
    X, y = load_iris(return_X_y=True)
    X_train, y_train, X_test, y_test = split(X, y)
    model = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(X_train, y_train)
    folder = tmp_path_factory.mktemp("forest")
    with open(folder / "forest.pkl", "wb") as f:
        pickle.dump(model, f)
    np.save(folder / "X_test.npy", X_test)
    np.save(folder / "y_test.npy", y_test)
    return folder, model, X_test, y_test


def test_help_lists_the_commands_and_options(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "convert" in result.stdout and "report" in result.stdout and "Exit codes" in result.stdout
    result = run_cli("convert", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for option in ("--dtype", "float32,int16,int8", "--strategy", "--target", "--leaf-dtype", "--calibration", "-o"):
        assert option in result.stdout
    result = run_cli("report", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for option in ("--data", "--labels", "--json", "--min-agreement", "--max-error"):
        assert option in result.stdout


def test_convert_pickled_forest_writes_the_api_header(iris_forest):
    folder, model, _, _ = iris_forest
    result = run_cli("convert", "forest.pkl", "-o", "iris_q.h", "--dtype", "int16", "--strategy", "inline",
                     cwd=folder)
    assert result.returncode == 0, result.stderr
    expected = tinyml_lab.convert(model, name="iris_q", dtype="int16", strategy="inline")
    assert (folder / "iris_q.h").read_text() == expected.header  # the name comes from the output file
    assert f"~{expected.flash_bytes} B flash" in result.stdout
    result = run_cli("convert", "forest.pkl", "-o", "other.h", "--name", "flower", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "other.h").read_text() == tinyml_lab.convert(model, name="flower").header


def test_convert_strategy_auto_chooses_for_the_target_and_says_why(tmp_path):
    X, y = load_digits(return_X_y=True)
    model = RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0).fit(X, y)
    with open(tmp_path / "digits.pkl", "wb") as f:
        pickle.dump(model, f)
    for target, strategy in ((None, "inline"), ("avr", "tables")):
        result = run_cli("convert", "digits.pkl", "-o", "d.h", "--strategy", "auto",
                         *(("--target", target) if target else ()), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        expected = tinyml_lab.convert(model, name="d", strategy="auto", target=target or "cortex-m4f")
        assert expected.strategy == strategy
        assert (tmp_path / "d.h").read_text() == expected.header
        lines = result.stdout.splitlines()
        assert lines[0].startswith("wrote d.h: ") and f", {strategy}: ~{expected.flash_bytes} B flash" in lines[0]
        assert lines[1] == expected.auto_choice
        assert lines[1].startswith(f"auto chose {strategy} for {'AVR' if target else 'Cortex-M4F'}: ")
    np.save(tmp_path / "X.npy", X[:50])
    result = run_cli("report", "digits.pkl", "--data", "X.npy", "--strategy", "auto", "--target", "avr", "--json",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["ok"] and out["strategy"] == "tables" and out["options"]["target"] == "avr"
    assert out["auto_choice"].startswith("auto chose tables for AVR: ")


def test_report_pickled_forest_text_and_json(iris_forest):
    folder, model, X_test, y_test = iris_forest
    result = run_cli("report", "forest.pkl", "--data", "X_test.npy", "--labels", "y_test.npy", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "label agreement 100.00%" in result.stdout and result.stdout.strip().endswith("OK")

    result = run_cli("report", "forest.pkl", "--data", "X_test.npy", "--labels", "y_test.npy", "--dtype", "int8",
                     "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    expected = tinyml_lab.convert(model, name="forest", dtype="int8")
    report = expected.evaluate(X_test, y_test)
    assert out["ok"] and out["tolerance"] == {"min_agreement": None, "max_relative_error": None}  # quantized
    assert out["report"]["n_rows"] == len(X_test)
    assert out["report"]["label_agreement"] == report.label_agreement
    assert out["report"]["device_accuracy"] == report.device_accuracy
    assert out["report"]["routing_changes"] == report.routing_changes
    assert out["size"]["flashBytes"] == expected.flash_bytes and out["options"]["featureType"] == "int8"


def test_joblib_gaussian_nb_with_npz_and_csv_data(tmp_path):
    X, y = load_wine(return_X_y=True)
    X_train, y_train, X_test, y_test = split(X, y)
    model = GaussianNB().fit(X_train, y_train)
    joblib.dump(model, tmp_path / "nb.joblib")
    np.savez(tmp_path / "test.npz", X=X_test, y=y_test)
    result = run_cli("report", "nb.joblib", "--data", "test.npz", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    report = tinyml_lab.evaluate(model, X_test, y_test)
    assert out["estimator"] == "sklearn.naive_bayes.GaussianNB"
    assert out["report"]["label_agreement"] == 1.0 == report.label_agreement
    assert out["report"]["reference_accuracy"] == report.reference_accuracy  # y came from the .npz
    assert out["report"]["max_abs_error"] == pytest.approx(report.max_abs_error)

    # CSV with a header line, labels as one column
    header = ",".join(f"f{i}" for i in range(X.shape[1]))
    np.savetxt(tmp_path / "X.csv", X_test, delimiter=",", header=header, comments="")
    np.savetxt(tmp_path / "y.csv", y_test, delimiter=",")
    result = run_cli("report", "nb.joblib", "--data", "X.csv", "--labels", "y.csv", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["report"]["reference_accuracy"] == report.reference_accuracy

    result = run_cli("convert", "nb.joblib", "-o", "wine_nb.h", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wine_nb.h").read_text() == tinyml_lab.convert(model, name="wine_nb").header


def test_report_exit_code_follows_the_tolerance(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    X_train, y_train, X_test, _ = split(X, y)
    model = GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=0).fit(X_train, y_train)
    with open(tmp_path / "gbr.pkl", "wb") as f:
        pickle.dump(model, f)
    np.save(tmp_path / "X.npy", X_test)
    error = tinyml_lab.evaluate(model, X_test, leaf_dtype="int16").relative_l2
    assert error > 0  # fixed-point leaves are not exact
    common = ("report", "gbr.pkl", "--data", "X.npy", "--leaf-dtype", "int16")
    assert run_cli(*common, cwd=tmp_path).returncode == 0  # quantized: reported, not checked
    assert run_cli(*common, "--max-error", f"{error * 2:.6g}", cwd=tmp_path).returncode == 0
    failed = run_cli(*common, "--max-error", f"{error / 2:.6g}", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    assert "FAILED: relative L2 error" in failed.stdout
    assert run_cli("report", "gbr.pkl", "--data", "X.npy", cwd=tmp_path).returncode == 0  # float32: default check


def test_saved_keras_model(tmp_path):
    import keras  # the test extra installs it (JAX backend)

    X, y = load_iris(return_X_y=True)
    X_train, y_train, X_test, y_test = split(X.astype(np.float32), y)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X_train, y_train, epochs=5, verbose=0)
    model.save(tmp_path / "net.keras")
    np.save(tmp_path / "X_test.npy", X_test)
    np.save(tmp_path / "X_train.npy", X_train)

    model.save(tmp_path / "net.h5")  # the legacy HDF5 format
    expected = tinyml_lab.convert(model, name="net").header
    for saved in ("net.keras", "net.h5"):
        result = run_cli("convert", saved, "-o", "net.h", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "net.h").read_text() == expected, saved

    result = run_cli("report", "net.keras", "--data", "X_test.npy", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["report"]["label_agreement"] == 1.0 and out["report"]["max_abs_error"] < 1e-5

    result = run_cli("report", "net.keras", "--data", "X_test.npy", "--dtype", "int8",
                     "--calibration", "X_train.npy", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    int8 = tinyml_lab.convert(model, name="net", dtype="int8", calibration=X_train).evaluate(X_test)
    assert out["options"]["featureType"] == "int8"
    assert out["report"]["label_agreement"] == int8.label_agreement


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    X, y = load_iris(return_X_y=True)
    with open(folder / "dict.pkl", "wb") as f:
        pickle.dump({"weights": [1, 2, 3]}, f)
    (folder / "text.pkl").write_text("this is not a pickle\n")
    with open(folder / "adaboost.pkl", "wb") as f:
        pickle.dump(AdaBoostClassifier(n_estimators=5).fit(X, y), f)
    with open(folder / "forest.pkl", "wb") as f:
        pickle.dump(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y), f)
    (folder / "model.onnx").write_bytes(b"\0")
    np.save(folder / "X.npy", X)
    np.save(folder / "X3.npy", X[:, :3])
    np.save(folder / "y_short.npy", y[:10])
    return folder


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("convert", "missing.pkl", "-o", "m.h"), ("missing.pkl: no such file",)),
        (("convert", "model.onnx", "-o", "m.h"), ("unknown model file type '.onnx'", ".joblib", ".keras")),
        (("convert", "dict.pkl", "-o", "m.h"), ("builtins.dict", "not a fitted scikit-learn estimator")),
        (("convert", "text.pkl", "-o", "m.h"), ("text.pkl: cannot be read as a pkl file",)),
        (("convert", "adaboost.pkl", "-o", "m.h"), ("AdaBoostClassifier", "not supported",
                                                             "train one ensemble the device reads")),
        (("convert", "forest.pkl", "-o", "m.h", "--dtype", "int4"), ("--dtype", "int4", "float32")),
        (("convert", "forest.pkl"), ("-o",)),
        (("convert", "forest.pkl", "-o", "no/such/dir/m.h"), ("cannot write no/such/dir/m.h",)),
        (("report", "forest.pkl", "--data", "X3.npy"), ("X3.npy has shape (150, 3)", "rows of 4 values")),
        (("report", "forest.pkl", "--data", "X.npy", "--labels", "y_short.npy"), ("labels have shape (10,)", "150")),
        (("report", "forest.pkl", "--data", "X.parquet"), ("unknown data file type '.parquet'",)),
        (("report", "forest.pkl", "--data", "X.npy", "--min-agreement", "2"), ("--min-agreement",)),
        (("report", "forest.pkl", "--data", "X.npy", "--leaf-dtype", "uint8", "--dtype", "float32",
          "--strategy", "fastest"), ("--strategy", "fastest")),
        (("convert", "forest.pkl", "-o", "m.h", "--strategy", "auto", "--target", "cortex-m99"),
         ("unknown target 'cortex-m99'", "cortex-m0plus", "avr")),
        ((), ("COMMAND",)),
    ],
    ids=["missing", "suffix", "not-a-model", "not-a-pickle", "unsupported", "dtype", "no-output", "unwritable",
         "feature-count", "label-count", "data-suffix", "bad-tolerance", "bad-strategy", "bad-target", "no-command"],
)
def test_errors_are_one_line_with_exit_code_2(bad_files, args, fragments):
    assert_error(run_cli(*args, cwd=bad_files), *fragments)
    assert not (bad_files / "m.h").exists()


# --------------------------------------------------------------------------- damaged and odd files


def _rezip(source: Path, target: Path, replace: dict[str, bytes]) -> None:
    """A copy of the zip `source` with some members' bytes replaced (stored, not compressed)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zout:
        for name in zin.namelist():
            zout.writestr(name, replace.get(name, zin.read(name)))


def _lambda_net(folder: Path, marker: Path):
    """A Keras net whose Lambda layer creates `marker` when it runs."""
    import keras

    touch = eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]")  # noqa: S307 - the code a file carries
    return keras.Sequential([keras.Input((4,)), keras.layers.Lambda(touch, output_shape=(4,)),
                             keras.layers.Dense(3, activation="softmax")])


@pytest.fixture(scope="module")
def damaged_files(tmp_path_factory):
    import h5py
    import keras

    folder = tmp_path_factory.mktemp("damaged")
    X, y = load_iris(return_X_y=True)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                            keras.layers.Dense(3, activation="softmax")])
    net.save(folder / "net.keras")
    net.save(folder / "net.h5")
    _rezip(folder / "net.keras", folder / "bad_json.keras", {"config.json": b'{"class_name": "Sequential",'})
    _rezip(folder / "net.keras", folder / "list_config.keras", {"config.json": b"[1, 2, 3]"})
    _rezip(folder / "net.keras", folder / "weights_not_hdf5.keras", {"model.weights.h5": b"not HDF5 at all"})
    _rezip(folder / "net.keras", folder / "stored.keras", {})
    raw = bytearray((folder / "stored.keras").read_bytes())
    raw[raw.index(b'"class_name"') + 1] ^= 0x20  # one flipped bit inside config.json: a CRC error
    (folder / "crc.keras").write_bytes(bytes(raw))
    shutil.copy(folder / "net.h5", folder / "bad_config.h5")
    with h5py.File(folder / "bad_config.h5", "r+") as f:
        f.attrs["model_config"] = '{"class_name": "Sequential", "config": {'
    shutil.copy(folder / "net.h5", folder / "missing_weights.h5")
    with h5py.File(folder / "missing_weights.h5", "r+") as f:
        group = f["model_weights"][net.layers[0].name]
        kernel = next(n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"])
        del group[kernel]
    marker = folder / "lambda_ran"
    lambda_net = _lambda_net(folder, marker)
    lambda_net.save(folder / "lambda.keras")
    lambda_net.save(folder / "lambda.h5")

    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    with open(folder / "forest.pkl", "wb") as f:
        pickle.dump(model, f)
    blob = pickle.dumps(model)
    (folder / "truncated.pkl").write_bytes(blob[: len(blob) // 2])
    (folder / "folder.pkl").mkdir()
    np.save(folder / "X.npy", X)
    np.save(folder / "no_rows.npy", X[:0])
    np.save(folder / "column.npy", X[:, 0])
    np.save(folder / "strings.npy", X.astype(str))
    np.save(folder / "scalar.npy", np.float64(1.0))
    raw = (folder / "X.npy").read_bytes()
    (folder / "truncated.npy").write_bytes(raw[: len(raw) // 2])
    np.savez(folder / "data.npz", X=X, y=y)
    raw = (folder / "data.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    shutil.copy(folder / "data.npz", folder / "npz_named.npy")
    shutil.copy(folder / "X.npy", folder / "npy_named.npz")
    np.savez(folder / "objects.npz", X=np.array([{"a": 1}], dtype=object))
    (folder / "folder.npy").mkdir()
    with open(folder / "latin1.csv", "w", encoding="latin-1") as f:
        f.write("longueur sépale,largeur sépale,longueur pétale,largeur pétale\n")
        np.savetxt(f, X, delimiter=",")
    (folder / "ragged.csv").write_text("1,2,3,4\n5,6,7,8\n9,10,11\n")
    (folder / "words.csv").write_text("a,b,c,d\n1,2,3,4\n5,6,seven,8\n")
    np.save(folder / "y_short.npy", y[:-1])
    return folder


@pytest.mark.parametrize(
    "args, fragments",
    [
        # the cases of issue 14: each was a traceback with exit code 1
        (("convert", "bad_json.keras", "-o", "m.h"),
         ("bad_json.keras: config.json is not valid JSON", "save the model again")),
        (("convert", "list_config.keras", "-o", "m.h"), ("list_config.keras: config.json holds a JSON list",)),
        (("convert", "weights_not_hdf5.keras", "-o", "m.h"), ("its model.weights.h5 is not an HDF5 file",)),
        (("convert", "crc.keras", "-o", "m.h"), ("crc.keras is damaged: its config.json does not unpack", "CRC")),
        (("convert", "bad_config.h5", "-o", "m.h"), ("bad_config.h5: the model_config attribute is not valid JSON",)),
        (("convert", "missing_weights.h5", "-o", "m.h"), ("missing_weights.h5: layer 'dense", "lists the weights",
                                                         "damaged or incomplete")),
        (("report", "forest.pkl", "--data", "no_rows.npy"), ("--data no_rows.npy has no rows (shape (0, 4))",)),
        (("report", "forest.pkl", "--data", "truncated.npz"), ("--data truncated.npz cannot be read as .npz",
                                                               "damaged or truncated")),
        (("report", "forest.pkl", "--data", "npz_named.npy"), ("npz_named.npy is a .npz archive", "rename it to .npz")),
        (("report", "forest.pkl", "--data", "npy_named.npz"), ("npy_named.npz is a .npy array", "rename it to .npy")),
        (("report", "forest.pkl", "--data", "latin1.csv"),
         ("latin1.csv is not UTF-8 text (byte 0xe9", "save it as UTF-8")),
        # more of the same kind
        (("convert", "truncated.pkl", "-o", "m.h"), ("truncated.pkl: cannot be read as a pkl file", "truncated")),
        (("convert", "folder.pkl", "-o", "m.h"), ("folder.pkl is a directory; expected a model file",)),
        (("report", "forest.pkl", "--data", "folder.npy"), ("--data folder.npy is a directory",)),
        (("report", "forest.pkl", "--data", "strings.npy"), ("--data strings.npy holds <U32 values, not numbers",)),
        (("report", "forest.pkl", "--data", "scalar.npy"), ("--data scalar.npy holds a single value, not rows",)),
        (("report", "forest.pkl", "--data", "truncated.npy"), ("--data truncated.npy cannot be read as .npy",)),
        (("report", "forest.pkl", "--data", "objects.npz"), ("objects.npz: array 'X' holds Python objects",
                                                             "never unpickles")),
        (("report", "forest.pkl", "--data", "ragged.csv"), ("--data ragged.csv line 3 has 3 values, line 1 has 4",)),
        (("report", "forest.pkl", "--data", "words.csv"),
         ("--data words.csv line 3, column 3: 'seven' is not a number",)),
        (("report", "forest.pkl", "--data", "column.npy"), ("--data column.npy has shape (150,)", "rows of 4 values")),
        (("report", "forest.pkl", "--data", "data.npz", "--labels", "y_short.npy"),
         ("--labels y_short.npy: labels have shape (149,)", "(150)")),
        (("report", "forest.pkl", "--data", "X.npy", "--labels", "latin1.csv"), ("--labels latin1.csv is not UTF-8",)),
        (("convert", "forest.pkl", "-o", "m.h", "--train-data", "truncated.npz"), ("--train-data truncated.npz",)),
    ],
    ids=["keras-bad-json", "keras-config-list", "keras-weights-not-hdf5", "keras-crc", "h5-bad-config",
         "h5-missing-weights", "npy-no-rows", "npz-truncated", "npz-named-npy", "npy-named-npz", "csv-latin1",
         "pkl-truncated", "model-directory", "data-directory", "npy-strings", "npy-scalar", "npy-truncated",
         "npz-objects", "csv-ragged", "csv-word", "data-1d", "labels-length", "labels-latin1", "train-data-truncated"],
)
def test_damaged_files_are_one_line_with_exit_code_2(damaged_files, args, fragments):
    assert_error(run_cli(*args, cwd=damaged_files), *fragments)
    assert not (damaged_files / "m.h").exists()


@pytest.mark.parametrize("saved", ["lambda.keras", "lambda.h5"])
def test_keras_files_never_run_their_code(damaged_files, saved):
    marker = damaged_files / "lambda_ran"
    assert not marker.exists()  # saving it did not run the Lambda either
    assert_error(run_cli("convert", saved, "-o", "m.h", cwd=damaged_files), "lambda (Lambda): layer type not supported")
    assert_error(run_cli("report", saved, "--data", "X.npy", cwd=damaged_files), "layer type not supported")
    assert not marker.exists() and not (damaged_files / "m.h").exists()
    # the reference of a report: Keras loads the file in safe mode, which refuses the Lambda's code
    from tinyml_lab.convert import _keras_reference

    with pytest.raises(tinyml_lab.InvalidInputError, match=r"refused to load .*lambda\.\w+ in safe mode.*trust"):
        _keras_reference(str(damaged_files / saved), {"input_shape": [4], "task": "classification"},
                         np.zeros((2, 4), dtype=np.float32))
    assert not marker.exists()
    # what the file would do if loaded unsafely: run its code
    import keras

    keras.saving.load_model(damaged_files / saved, safe_mode=False, compile=False).predict(np.zeros((1, 4)), verbose=0)
    assert marker.exists()
    marker.unlink()


def test_unreadable_file_is_one_line(damaged_files, monkeypatch, capsys):
    # run in-process: a permission error cannot be made with chmod when the tests run as root
    import builtins

    from tinyml_lab import cli

    real_open = builtins.open

    def deny(file, *args, **kwargs):
        if str(file).endswith("X.npy"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    monkeypatch.chdir(damaged_files)
    assert cli.main(["report", "forest.pkl", "--data", "X.npy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tinyml-lab: error: --data X.npy cannot be read (Permission denied)"]


def test_internal_error_is_not_exit_code_1(damaged_files, monkeypatch, capsys):
    # exit code 1 means "outside the tolerance": a bug must never look like that
    from tinyml_lab import cli

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "convert", broken)
    monkeypatch.chdir(damaged_files)
    assert cli.main(["convert", "forest.pkl", "-o", "m.h"]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: a bug" in err and err.strip().splitlines()[-1].startswith("tinyml-lab: internal error")
    assert not (damaged_files / "m.h").exists()


def test_untrusted_files_are_explained(tmp_path):
    for command in ("convert", "report"):
        result = run_cli(command, "--help", cwd=tmp_path)
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert "runs code when it is loaded" in text and "sources you trust" in text, command
        assert ".keras and .h5 files are read as data" in text and "never run code" in text, command
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "Untrusted files" in readme and "run code when they are loaded" in readme
    assert "safe mode" in readme


def test_supported_lists_every_reader_by_family(tmp_path):
    result = run_cli("supported", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [reader.family for reader in READERS]
    assert lines[0].startswith("scikit-learn trees: DecisionTreeClassifier, DecisionTreeRegressor, ")
    assert "TensorFlow Lite models: .tflite files" in lines
