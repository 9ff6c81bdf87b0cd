"""XGBoost and LightGBM model files on the command line, and the boosting libraries imported
only when one of their models is read. The runs that compile a header are in
test_boosting_device.py (they need the compiler that knows the issue-15 keys); the errors
here come before the compiler: one line, exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from boosting_data import regression
from test_cli import ROOT, assert_error, run_cli

from tinyml_lab.cli import load_model


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("boosting_files")
    X, y = regression()
    xgb.XGBRegressor(n_estimators=3).fit(X, y).save_model(folder / "xgb.json")
    xgb.XGBRegressor(n_estimators=3).fit(X, y).save_model(folder / "xgb.ubj")
    lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(X, y).booster_.save_model(folder / "lgbm.txt")
    ranking = xgb.train({"objective": "rank:pairwise"},
                        xgb.DMatrix(X, label=(y > 150).astype(int), qid=np.arange(len(y)) // 20), 2)
    ranking.save_model(folder / "ranking.json")
    linear = lgb.LGBMRegressor(n_estimators=2, linear_tree=True, verbose=-1).fit(X, y)
    linear.booster_.save_model(folder / "linear.txt")
    (folder / "package.json").write_text(json.dumps({"name": "not a model", "version": "1.0.0"}))
    (folder / "truncated.json").write_text((folder / "xgb.json").read_text()[:200])
    (folder / "truncated.ubj").write_bytes((folder / "xgb.ubj").read_bytes()[:100])
    (folder / "notes.txt").write_text("tree\nversion=v4\nthis is not a model\n")
    return folder


def test_model_files_are_read_from_their_path(model_files):
    """The command hands these paths to the readers, which read them as data."""
    for name in ("xgb.json", "xgb.ubj", "lgbm.txt"):
        assert load_model(str(model_files / name)) == str(model_files / name)


@pytest.mark.parametrize("name, fragments", [
    ("package.json", ("package.json is not an XGBoost model JSON", "save_model('m.json')")),
    ("truncated.json", ("truncated.json is not JSON",)),
    ("truncated.ubj", ("truncated.ubj is not a model file XGBoost can load",)),
    ("notes.txt", ("notes.txt is not a model file LightGBM can load",)),
    ("ranking.json", ("objective 'rank:pairwise' is not supported", "a ranking model")),
    ("linear.txt", ("is a linear tree (linear_tree=True)", "linear_tree=False")),
], ids=["other-json", "truncated-json", "truncated-ubj", "not-lightgbm", "ranking", "linear-tree"])
def test_file_errors_are_one_line_with_exit_code_2(model_files, name, fragments):
    assert_error(run_cli("convert", name, "-o", "m.h", cwd=model_files), *fragments)
    assert not (model_files / "m.h").exists()


def test_help_names_the_boosting_files(tmp_path):
    result = run_cli("convert", "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "XGBoost .json / .ubj" in text and "LightGBM .txt" in text


def test_boosting_libraries_are_imported_only_for_their_models():
    code = ("import sys, tinyml_lab, tinyml_lab.cli; "
            "print(sorted(m for m in ('xgboost', 'lightgbm') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_missing_library_says_how_to_install_it(model_files, monkeypatch):
    from tinyml_lab import model_to_ir

    monkeypatch.setitem(sys.modules, "lightgbm", None)
    with pytest.raises(ImportError, match=r"needs the lightgbm package: pip install 'tinyml-lab\[boosting\]'"):
        model_to_ir(str(model_files / "lgbm.txt"))
