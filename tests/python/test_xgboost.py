"""XGBoost models read from their public model JSON, checked with the NumPy IR evaluator against
XGBoost's own margins and predictions: estimators, Boosters, saved .json / .ubj files, every
supported objective, NaN, dart, random forests, early stopping; refusals naming the reason."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import xgboost as xgb
from boosting_data import categorical_regression, classification, regression
from tree_ir_eval import assert_agrees

from tinyml_lab import model_to_ir
from tinyml_lab.errors import InvalidModelError, NotFittedError, UnsupportedModelError


def _margin(model, X):
    return model.predict(X, output_margin=True).reshape(len(X), -1)


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("dataset", ["breast_cancer", "iris", "wine"])
def test_classifier(dataset, missing):
    X, y = classification(dataset, missing)
    model = xgb.XGBClassifier(n_estimators=40, max_depth=4, random_state=0).fit(X, y)
    ir = model_to_ir(model)
    assert ir["split_rule"] == "lt" and ir["link"] == ("logistic" if dataset == "breast_cancer" else "softmax")
    assert_agrees(ir, X, raw=_margin(model, X), values=model.predict_proba(X), labels=model.predict(X))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("objective, link", [
    ("reg:squarederror", "identity"), ("reg:absoluteerror", "identity"), ("reg:pseudohubererror", "identity"),
    ("count:poisson", "exp"), ("reg:gamma", "exp"), ("reg:tweedie", "exp"),
])
def test_regressor_objectives(objective, link, missing):
    X, y = regression(missing)
    model = xgb.XGBRegressor(objective=objective, n_estimators=40, max_depth=4, random_state=0).fit(X, y)
    ir = model_to_ir(model)
    assert ir["link"] == link
    assert_agrees(ir, X, raw=_margin(model, X), values=model.predict(X))


@pytest.mark.parametrize("dataset", ["breast_cancer", "iris"])
def test_random_forest_classifier(dataset):
    X, y = classification(dataset, missing=True)
    model = xgb.XGBRFClassifier(n_estimators=20, max_depth=5, random_state=0).fit(X, y)
    assert_agrees(model_to_ir(model), X, raw=_margin(model, X), values=model.predict_proba(X),
                  labels=model.predict(X))


def test_random_forest_regressor():
    X, y = regression(missing=True)
    model = xgb.XGBRFRegressor(n_estimators=20, max_depth=5, random_state=0).fit(X, y)
    assert_agrees(model_to_ir(model), X, raw=_margin(model, X), values=model.predict(X))


def test_dart_weights_every_tree_as_predict_does():
    X, y = classification("breast_cancer", missing=True)
    model = xgb.XGBClassifier(booster="dart", rate_drop=0.3, n_estimators=20, max_depth=3, random_state=0).fit(X, y)
    weights = json.loads(model.get_booster().save_raw("json"))["learner"]["gradient_booster"]["weight_drop"]
    assert min(weights) < 1.0  # trees were dropped in training: their weights matter
    assert_agrees(model_to_ir(model), X, raw=_margin(model, X), values=model.predict_proba(X),
                  labels=model.predict(X))


def test_logitraw_booster_exports_its_margins():
    """A binary:logitraw Booster predicts the raw margin: the device's decision_function gives it
    (its label, margin >= 0, and the logistic of the margin come with the classifier's link).
    The scikit-learn wrapper with that objective is refused (REFUSALS): its predict_proba passes
    the margin off as a probability and its predict compares the margin with 0.5."""
    X, y = classification("breast_cancer", missing=True)
    booster = xgb.train({"objective": "binary:logitraw", "max_depth": 3}, xgb.DMatrix(X, label=y), 20)
    margins = booster.predict(xgb.DMatrix(X)).reshape(len(X), -1)
    ir = model_to_ir(booster)
    assert ir["task"] == "classification" and ir["link"] == "logistic"
    assert_agrees(ir, X, raw=margins, labels=(margins[:, 0] >= 0).astype(int))


def test_multiclass_base_score_vector():
    X, y = classification("iris", missing=False)
    model = xgb.XGBClassifier(n_estimators=5, base_score=[0.2, 0.3, 0.5]).fit(X, y)
    ir = model_to_ir(model)
    assert ir["baseline"] == pytest.approx([0.2, 0.3, 0.5])
    assert_agrees(ir, X, raw=_margin(model, X), values=model.predict_proba(X), labels=model.predict(X))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
def test_categorical_splits(missing):
    """enable_categorical: the listed categories go right, the others (seen or not, up to the
    largest listed) left, NaN the default_left way; the second column has categories to 299."""
    X, y = categorical_regression(missing)
    X[:, 5] = np.random.default_rng(4).integers(0, 300, len(X))
    model = xgb.XGBRegressor(n_estimators=30, max_depth=4, enable_categorical=True, tree_method="hist",
                             max_cat_to_onehot=1, feature_types=["q"] * 4 + ["c", "c"], random_state=0).fit(X, y)
    ir = model_to_ir(model)
    assert any("category_set" in tree for tree in ir["trees"])
    X_test = X.copy()
    X_test[::7, 4] = 2.5  # read as category 2, as trunc does
    assert_agrees(ir, X_test, raw=_margin(model, X_test), values=model.predict(X_test))


def _early_stopped(X, y):
    noisy = np.where(np.random.default_rng(1).random(len(y)) < 0.3, 1 - y, y)
    model = xgb.XGBClassifier(n_estimators=200, max_depth=6, learning_rate=0.5, early_stopping_rounds=3,
                              random_state=0)
    model.fit(X[:300], noisy[:300], eval_set=[(X[300:], noisy[300:])], verbose=False)
    assert model.best_iteration + 1 < model.get_booster().num_boosted_rounds()
    return model


def test_estimator_reads_the_rounds_up_to_best_iteration():
    """XGBModel.predict uses the rounds up to best_iteration; so does the IR of the estimator."""
    X, y = classification("breast_cancer", missing=True)
    model = _early_stopped(X, y)
    ir = model_to_ir(model)
    assert len(ir["trees"]) == model.best_iteration + 1
    assert_agrees(ir, X, raw=_margin(model, X), values=model.predict_proba(X), labels=model.predict(X))


@pytest.mark.parametrize("suffix", ["json", "ubj"])
def test_booster_and_files_read_every_tree(tmp_path, suffix):
    """Booster.predict (and a saved model's) uses every tree, best_iteration or not."""
    X, y = classification("breast_cancer", missing=True)
    booster = _early_stopped(X, y).get_booster()
    margin = booster.predict(xgb.DMatrix(X), output_margin=True).reshape(-1, 1)
    p = booster.predict(xgb.DMatrix(X))
    path = tmp_path / f"model.{suffix}"
    booster.save_model(path)
    for source in (booster, str(path), path):
        ir = model_to_ir(source)
        assert len(ir["trees"]) == booster.num_boosted_rounds()
        assert ir["estimator"] == "xgboost.core.Booster" and ir["classes"] == [0, 1]
        assert_agrees(ir, X, raw=margin, values=np.stack([1 - p, p], axis=1), labels=p > 0.5)


def test_booster_regression_and_multiclass(tmp_path):
    X, y = regression(missing=True)
    booster = xgb.train({"objective": "count:poisson", "max_depth": 4}, xgb.DMatrix(X, label=y), 20)
    assert_agrees(model_to_ir(booster), X, values=booster.predict(xgb.DMatrix(X)))
    X, y = classification("wine", missing=True)
    booster = xgb.train({"objective": "multi:softmax", "num_class": 3}, xgb.DMatrix(X, label=y), 10)
    booster.save_model(tmp_path / "wine.json")
    ir = model_to_ir(str(tmp_path / "wine.json"))
    assert ir["classes"] == [0, 1, 2]
    assert_agrees(ir, X, raw=booster.predict(xgb.DMatrix(X), output_margin=True),
                  labels=booster.predict(xgb.DMatrix(X)))


def test_the_json_file_is_read_without_xgboost(tmp_path, monkeypatch):
    """A .json model is data read as JSON: it needs no XGBoost (a .ubj file does)."""
    X, y = regression()
    model = xgb.XGBRegressor(n_estimators=5).fit(X, y)
    model.save_model(tmp_path / "m.json")
    model.save_model(tmp_path / "m.ubj")
    monkeypatch.setitem(__import__("sys").modules, "xgboost", None)
    assert_agrees(model_to_ir(str(tmp_path / "m.json")), X, values=model.predict(X))
    with pytest.raises(ImportError, match=r"pip install 'tinyml-lab\[boosting\]'"):
        model_to_ir(str(tmp_path / "m.ubj"))


REFUSALS = [
    (lambda X, y: xgb.XGBRanker(n_estimators=2).fit(X, (y > 150).astype(int), qid=np.arange(len(y)) // 20),
     r"XGBRanker .* a ranking model's scores order the rows"),
    (lambda X, y: xgb.train({"objective": "survival:cox"}, xgb.DMatrix(X, label=np.where(y > 150, y, -y)), 2),
     r"objective 'survival:cox' is not supported: a survival model"),
    (lambda X, y: xgb.train({"objective": "rank:pairwise"}, xgb.DMatrix(X, label=(y > 150).astype(int),
                                                                     qid=np.arange(len(y)) // 20), 2),
     r"objective 'rank:pairwise' is not supported: a ranking model"),
    (lambda X, y: xgb.XGBRegressor(booster="gblinear", n_estimators=2).fit(X, y),
     r"booster 'gblinear' is not supported: only tree boosters"),
    (lambda X, y: xgb.XGBRegressor(n_estimators=2, objective=lambda t, p: (p - t, np.ones_like(t))).fit(X, y),
     r"XGBRegressor with a custom objective function is not supported"),
    (lambda X, y: xgb.XGBRegressor(n_estimators=2, missing=0.0).fit(X, y),
     r"missing=0.0 is not supported: the device treats only NaN as missing"),
    (lambda X, y: xgb.XGBRegressor(n_estimators=2, objective="reg:logistic").fit(X, y / y.max()),
     r"objective 'reg:logistic' is not supported"),
    (lambda X, y: xgb.XGBClassifier(n_estimators=2, objective="binary:hinge").fit(X, (y > 150).astype(int)),
     r"objective 'binary:hinge' is not supported: its prediction is a 0/1 step"),
    (lambda X, y: xgb.XGBRegressor(n_estimators=2, objective="reg:quantileerror", quantile_alpha=[0.2, 0.8])
     .fit(X, y), r"objective 'reg:quantileerror' is not supported"),
    (lambda X, y: xgb.XGBClassifier(n_estimators=2, multi_strategy="multi_output_tree")
     .fit(X, (y // 100).astype(int)), r"vector leaves .*multi_strategy='one_output_per_tree'"),
    (lambda X, y: xgb.XGBClassifier(n_estimators=2, objective="binary:logitraw").fit(X, (y > 150).astype(int)),
     r"XGBClassifier with objective 'binary:logitraw' is not supported: its predict_proba returns the raw margin"),
    (lambda X, y: xgb.XGBRegressor(), r"XGBRegressor is not fitted yet"),
]


@pytest.mark.parametrize("make, message", REFUSALS, ids=[
    "ranker", "survival", "ranking-objective", "gblinear", "custom-objective", "missing-marker", "reg-logistic",
    "hinge", "quantiles", "vector-leaves", "logitraw-classifier", "unfitted"])
def test_refusals_say_why_in_one_line(make, message):
    X, y = regression()
    with pytest.raises((UnsupportedModelError, NotFittedError), match=message) as info:
        model_to_ir(make(X, y))
    assert "\n" not in str(info.value)


def test_json_that_is_not_an_xgboost_model(tmp_path):
    (tmp_path / "other.json").write_text('{"name": "tree", "tree_info": []}')
    with pytest.raises(InvalidModelError, match="other.json is not an XGBoost model JSON"):
        model_to_ir(str(tmp_path / "other.json"))
    (tmp_path / "broken.json").write_text('{"learner": ')
    with pytest.raises(InvalidModelError, match="broken.json is not JSON"):
        model_to_ir(str(tmp_path / "broken.json"))


def test_a_thousand_deep_trees_on_300_features_read_in_reasonable_time():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 300)).astype(np.float32)
    y = X[:, :20].sum(axis=1) + np.sin(X[:, 20:40]).sum(axis=1) + rng.normal(size=1000)
    # min_child_weight=0 and no regularization: trees stay deep on 1,000 rows; colsample_bytree: fast to train
    model = xgb.XGBRegressor(n_estimators=1000, max_depth=8, learning_rate=0.05, tree_method="hist", max_bin=32,
                             min_child_weight=0, reg_lambda=0, colsample_bytree=0.1, random_state=0).fit(X, y)
    start = time.perf_counter()
    ir = model_to_ir(model)
    seconds = time.perf_counter() - start
    nodes = sum(tree["children_left"]["shape"][0] for tree in ir["trees"])
    print(f"\nXGBoost 1000 trees, depth 8, 300 features: {nodes} nodes read in {seconds:.2f} s")
    assert len(ir["trees"]) == 1000
    assert_agrees(ir, X[:500], raw=_margin(model, X[:500]), values=model.predict(X[:500]))
