"""End to end through the compiler and the C runtime (its WebAssembly build): boosted trees,
missing values and categorical splits, compared with the libraries' own predictions by
``tinyml_lab.convert(model).evaluate(X)`` and by ``tinyml-lab report`` on saved model files.

These need the compiler and C runtime of issue 15 (split_rule, missing_left, category_set /
category_bits, link "exp"): they pass only once that branch is merged with the readers'."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb
from boosting_data import categorical_regression, classification, regression, unseen_categories
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from test_cli import run_cli

import tinyml_lab

#: float32 on the device against float64 in the libraries: rounding only
MAX_RELATIVE_L2 = 1e-5


def assert_device_agrees(model, X, y=None):
    report = tinyml_lab.convert(model).evaluate(X, y)
    if report.label_agreement is not None:
        assert report.label_agreement == 1.0, report.disagreeing_rows[:20]
    assert report.non_finite_values == 0
    assert report.relative_l2 <= MAX_RELATIVE_L2, str(report)
    return report


CLASSIFIERS = {
    "hgb": lambda: HistGradientBoostingClassifier(max_iter=30, random_state=0),
    "xgb": lambda: xgb.XGBClassifier(n_estimators=30, max_depth=4, random_state=0),
    "xgbrf": lambda: xgb.XGBRFClassifier(n_estimators=10, max_depth=4, random_state=0),
    "lgbm": lambda: lgb.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1, random_state=0),
    "forest": lambda: RandomForestClassifier(n_estimators=10, random_state=0),
}


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("dataset", ["breast_cancer", "iris"])
@pytest.mark.parametrize("make", CLASSIFIERS.values(), ids=CLASSIFIERS.keys())
def test_classifiers(make, dataset, missing):
    X, y = classification(dataset, missing)
    assert_device_agrees(make().fit(X, y), X, y)


REGRESSORS = {
    "hgb-poisson": lambda: HistGradientBoostingRegressor(loss="poisson", max_iter=30, random_state=0),
    "hgb-squared": lambda: HistGradientBoostingRegressor(max_iter=30, random_state=0),
    "xgb-gamma": lambda: xgb.XGBRegressor(objective="reg:gamma", n_estimators=30, random_state=0),
    "xgb-squared": lambda: xgb.XGBRegressor(n_estimators=30, random_state=0),
    "lgbm-tweedie": lambda: lgb.LGBMRegressor(objective="tweedie", n_estimators=30, verbose=-1, random_state=0),
    "lgbm-l1": lambda: lgb.LGBMRegressor(objective="regression_l1", n_estimators=30, verbose=-1, random_state=0),
    "forest": lambda: RandomForestRegressor(n_estimators=10, random_state=0),
}


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("make", REGRESSORS.values(), ids=REGRESSORS.keys())
def test_regressors(make, missing):
    X, y = regression(missing)
    assert_device_agrees(make().fit(X, y), X)


def test_lightgbm_zero_as_missing():
    X, y = regression(missing=True)
    X[np.random.default_rng(3).random(X.shape) < 0.2] = 0.0
    model = lgb.LGBMRegressor(n_estimators=30, zero_as_missing=True, verbose=-1, random_state=0).fit(X, y)
    assert_device_agrees(model, X)


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
def test_categorical_splits(missing):
    X, y = categorical_regression(missing)
    X_test = unseen_categories(X)
    hgb = HistGradientBoostingRegressor(max_iter=30, categorical_features=[4, 5], random_state=0).fit(X, y)
    assert_device_agrees(hgb, X_test)
    lgbm = lgb.LGBMRegressor(n_estimators=30, verbose=-1, min_data_per_group=5, random_state=0)
    assert_device_agrees(lgbm.fit(X, y, categorical_feature=[4, 5]), X_test)


def test_boosters():
    X, y = classification("wine", missing=True)
    booster = xgb.train({"objective": "multi:softprob", "num_class": 3}, xgb.DMatrix(X, label=y), 20)
    assert_device_agrees(booster, X, y)
    booster = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1}, lgb.Dataset(X, y), 20)
    assert_device_agrees(booster, X, y)


@pytest.mark.parametrize("name", ["model.json", "model.ubj", "model.txt"])
def test_command_line_convert_and_report_on_saved_files(tmp_path, name):
    X, y = classification("breast_cancer", missing=True)
    if name.endswith(".txt"):
        lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y).booster_.save_model(tmp_path / name)
    else:
        xgb.XGBClassifier(n_estimators=20, max_depth=4).fit(X, y).save_model(tmp_path / name)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    result = run_cli("convert", name, "-o", "model.h", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "model.h").is_file()
    result = run_cli("report", name, "--data", "X.npy", "--labels", "y.npy", "--max-error", str(MAX_RELATIVE_L2),
                     cwd=tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "label agreement 100.00%" in result.stdout and result.stdout.strip().endswith("OK")
