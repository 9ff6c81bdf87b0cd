"""tinyml_lab.sweep: candidates x export options through the C runtime, per-target estimates,
and the Pareto front of flash against accuracy among the points that fit."""

from __future__ import annotations

import itertools

import joblib
import lightgbm
import pytest
import xgboost
from boosting_data import with_nan
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

import tinyml_lab
from tinyml_lab.convert import FEATURE_TYPES, LEAF_TYPES, STRATEGIES
from tinyml_lab.errors import InvalidInputError
from tinyml_lab.readers import model_to_ir
from tinyml_lab.sweep import SweepPoint, _export_options, pareto_front, sweep


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


#: Between the smallest float32 forests (3.1 and 3.9 KB on Cortex-M0+, missing-value bits and
#: the general walk included) and every quantized one (4.9 KB and up): some points fit, some not
FLASH_BUDGET = 4000


def _forests():
    return {f"depth {d}": RandomForestClassifier(n_estimators=8, max_depth=d, random_state=0) for d in (2, 4, 8)}


@pytest.fixture(scope="module")
def result(cancer):
    X_train, X_test, y_train, y_test = cancer
    return sweep(_forests(), X_train, y_train, X_test=X_test, y_test=y_test, target="cortex-m0plus",
                 flash_budget=FLASH_BUDGET, dtypes=("float32", "int16", "int8"), strategies=("tables",),
                 leaf_dtypes=("float32",), n_jobs=1)


def test_every_candidate_and_option_is_a_point(result):
    assert len(result.points) == 3 * 3
    assert {p.name for p in result.points} == {"depth 2", "depth 4", "depth 8"}
    assert {p.options["dtype"] for p in result.points} == {"float32", "int16", "int8"}
    assert all(p.error is None for p in result.points)
    assert result.metric == "accuracy" and result.target == "cortex-m0plus"
    # the options named as the Inspector's trade-off table names them (the family's optionLabel)
    assert {p.label for p in result.points if p.name == "depth 2"} == {
        "depth 2 · float32 · tables", "depth 2 · int16 · tables", "depth 2 · int8 · tables"}


def test_points_carry_the_target_estimate_and_the_c_runtime_agreement(result, cancer):
    X_train, X_test, y_train, y_test = cancer
    point = next(p for p in result.points if p.name == "depth 4" and p.options["dtype"] == "int16")
    model = RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0).fit(X_train, y_train)
    converted = tinyml_lab.convert(model, dtype="int16")
    report = converted.evaluate(X_test, y_test)
    estimate = next(e for e in tinyml_lab._engine.call("estimate", converted.ir, converted.options)["estimates"]
                    if e["target"] == "cortex-m0plus")
    assert point.flash_bytes == estimate["flashBytes"] and point.cycles == estimate["cycles"]
    assert point.agreement == report.label_agreement
    assert point.accuracy == report.device_accuracy
    # float32 trees are exact: the device gives scikit-learn's label on every row
    assert all(p.agreement == 1.0 for p in result.points if p.options["dtype"] == "float32")


def test_fits_respects_the_budget(result):
    assert result.flash_budget == FLASH_BUDGET and result.ram_budget == 8 * 1024  # STM32G031K8's RAM
    assert any(p.fits for p in result.points) and any(not p.fits for p in result.points)
    for p in result.points:
        assert p.fits_flash == (p.flash_bytes <= FLASH_BUDGET)
        assert p.fits_ram == (p.ram_bytes <= 8 * 1024)
        assert p.fits == (p.fits_flash and p.fits_ram)


def test_front_is_the_set_of_non_dominated_fitting_points(result):
    fitting = [i for i, p in enumerate(result.points) if p.fits]
    assert result.front and set(result.front) <= set(fitting)

    def dominates(a, b):
        return (a.flash_bytes <= b.flash_bytes and a.accuracy >= b.accuracy
                and (a.flash_bytes < b.flash_bytes or a.accuracy > b.accuracy))

    pts = result.points
    for i in result.front:
        assert not any(dominates(pts[j], pts[i]) for j in fitting)
    for i in set(fitting) - set(result.front):
        assert any(dominates(pts[j], pts[i])
                   or (pts[j].flash_bytes, pts[j].accuracy) == (pts[i].flash_bytes, pts[i].accuracy)
                   for j in result.front)
    flashes = [pts[i].flash_bytes for i in result.front]
    scores = [pts[i].accuracy for i in result.front]
    assert flashes == sorted(flashes) and scores == sorted(scores)
    assert result.best() is pts[result.front[-1]]


def test_pareto_front_on_hand_made_points():
    def point(flash, acc, fits=True):
        return SweepPoint(name="m", params={}, options={}, flash_bytes=flash, accuracy=acc, fits=fits)

    points = [point(100, 0.90), point(200, 0.85), point(300, 0.95), point(50, 0.99, fits=False), point(100, 0.90)]
    assert pareto_front(points, "accuracy") == [0, 2]
    # rmse is minimised
    rmse = [SweepPoint(name="m", params={}, options={}, flash_bytes=f, rmse=r, fits=True)
            for f, r in ((100, 5.0), (200, 3.0), (300, 4.0))]
    assert pareto_front(rmse, "rmse") == [0, 1]


def test_two_workers_give_the_same_points(result, cancer):
    X_train, X_test, y_train, y_test = cancer
    parallel = sweep(_forests(), X_train, y_train, X_test=X_test, y_test=y_test, target="cortex-m0plus",
                     flash_budget=FLASH_BUDGET, dtypes=("float32", "int16", "int8"), strategies=("tables",),
                     leaf_dtypes=("float32",), n_jobs=2)
    assert parallel.to_records() == result.to_records()
    assert parallel.front == result.front


def test_threads_share_the_engine(cancer):
    X_train, X_test, y_train, y_test = cancer
    model = RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0).fit(X_train, y_train)
    with joblib.parallel_config(backend="threading"):
        threaded = sweep(model, X_train, y_train, X_test=X_test, y_test=y_test, n_jobs=2, target="cortex-m4f")
    serial = sweep(model, X_train, y_train, X_test=X_test, y_test=y_test, n_jobs=1, target="cortex-m4f")
    assert threaded.to_records() == serial.to_records()
    # a fitted model alone: its export options (3 dtypes x 2 strategies x 2 leaf types)
    assert len(serial.points) == 12


def test_param_grid_and_regression_rmse():
    X, y = load_diabetes(return_X_y=True)
    result = sweep(RandomForestRegressor(n_estimators=4, random_state=0), X, y, param_grid={"max_depth": [2, 6]},
                   dtypes=("float32",), strategies=("tables",), target="cortex-m4f")
    assert result.metric == "rmse"
    assert {p.name for p in result.points} == {"RandomForestRegressor(max_depth=2)",
                                               "RandomForestRegressor(max_depth=6)"}
    assert {p.params["max_depth"] for p in result.points} == {2, 6}
    assert all(p.rmse is not None and p.rmse > 0 for p in result.points)
    front_rmse = [result.points[i].rmse for i in result.front]
    assert front_rmse == sorted(front_rmse, reverse=True)


def test_boosted_candidates_on_data_with_missing_values(cancer):
    """HistGradientBoosting, XGBoost and LightGBM fitted by the sweep on rows with 10% NaN: every
    export option runs (int8 too: the trees ignore the calibration rows a sweep hands int8
    options, NaN and all), float32 agrees with each library on every test row, NaN rows included."""
    X_train, X_test, y_train, y_test = (with_nan(part) if k < 2 else part for k, part in enumerate(cancer))
    candidates = {
        "hist": HistGradientBoostingClassifier(max_iter=15, max_leaf_nodes=8, random_state=0),
        "xgboost": xgboost.XGBClassifier(n_estimators=15, max_depth=3, n_jobs=1, random_state=0),
        "lightgbm": lightgbm.LGBMClassifier(n_estimators=15, num_leaves=8, n_jobs=1, verbose=-1, random_state=0),
    }
    result = sweep(candidates, X_train, y_train, X_test=X_test, y_test=y_test, target="cortex-m0plus",
                   strategies=("tables", "inline"), leaf_dtypes=("float32",), n_jobs=1)
    assert {p.name for p in result.points} == set(candidates)
    assert [p.error for p in result.points if p.error] == []
    assert {p.options["dtype"] for p in result.points} == {"float32", "int16", "int8"}
    for point in result.points:
        assert point.flash_bytes > 0 and point.agreement is not None and point.accuracy is not None
        if point.options["dtype"] == "float32":
            assert point.agreement == 1.0 and point.accuracy == point.reference_accuracy, point
    assert result.front


def _option_models():
    """One model of each kind of option table, fitted on iris."""
    X, y = load_iris(return_X_y=True)
    return {
        "forest classifier": RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y),
        "forest regressor": RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0).fit(X, X[:, 0]),
        "boosting": GradientBoostingClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y),
        "isolation": IsolationForest(n_estimators=2, random_state=0).fit(X),
        "network": LogisticRegression(max_iter=300).fit(X, y),
        "gaussian": GaussianNB().fit(X, y),
    }


def test_export_options_are_the_compilers():
    trees = list(itertools.product(("float32", "int16", "int8"), ("tables", "inline")))
    expected = {
        "forest classifier": [(d, s, leaf) for d, s in trees for leaf in ("float32", "uint8")],
        "forest regressor": [(d, s, leaf) for d, s in trees for leaf in ("float32", "int16")],
        "boosting": [(d, s, leaf) for d, s in trees for leaf in ("float32", "int16")],
        "isolation": [(d, s, leaf) for d, s in trees for leaf in ("float32", "int16")],
        "network": [("float32", "tables", "float32"), ("int8", "tables", "float32")],
        "gaussian": [("float32", "tables", "float32")],
    }
    for kind, model in _option_models().items():
        options = _export_options(model_to_ir(model), None, None, None)
        assert [(o["dtype"], o["strategy"], o["leaf_dtype"]) for o, _ in options] == expected[kind], kind
    forest = model_to_ir(_option_models()["forest classifier"])
    assert _export_options(forest, ("int8",), ("inline",), None) == [
        ({"dtype": "int8", "strategy": "inline", "leaf_dtype": "float32"}, "int8 · inline"),
        ({"dtype": "int8", "strategy": "inline", "leaf_dtype": "uint8"}, "int8 · inline · u8 leaves"),
    ]


def test_option_values_checked_before_an_ir_are_what_the_compiler_offers():
    offered = [tinyml_lab._engine.call("exportOptions", model_to_ir(m)) for m in _option_models().values()]
    assert tuple(offered[0]["feature_types"]) == FEATURE_TYPES  # trees offer every feature type
    assert {leaf for o in offered for leaf in o["leaf_types"]} == set(LEAF_TYPES)
    # "auto" is a choice between the code forms, not a form of its own
    assert (*offered[0]["strategies"], "auto") == STRATEGIES


def test_bad_input_is_named(cancer):
    X_train, _, y_train, _ = cancer
    model = RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0)
    with pytest.raises(InvalidInputError, match="unknown target 'cortex-m99'"):
        sweep(model, X_train, y_train, target="cortex-m99")
    with pytest.raises(InvalidInputError, match="flash_budget must be a positive number"):
        sweep(model, X_train, y_train, flash_budget=-5)
    with pytest.raises(InvalidInputError, match="metric must be one of"):
        sweep(model, X_train, y_train, metric="f1")
    with pytest.raises(InvalidInputError, match="no export options left"):
        sweep(model, X_train, y_train, dtypes=("float16",))


def test_sweep_view_carries_points_and_front(result):
    view = result.show()
    assert (view._model_name, view._view_name) == ("SweepModel", "SweepView")
    assert view.metric == "accuracy" and view.target == "cortex-m0plus" and view.flash_budget == FLASH_BUDGET
    assert len(view.points) == len(result.points)
    assert [i for i, p in enumerate(view.points) if p["on_front"]] == sorted(result.front)
    assert all(p["label"].startswith(p["name"]) for p in view.points)
