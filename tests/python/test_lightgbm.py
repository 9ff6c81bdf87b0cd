"""LightGBM models read through dump_model(), checked with the NumPy IR evaluator against
LightGBM's raw scores and predictions: estimators, Boosters and .txt files, every supported
objective, the three missing types, categorical splits, random forests, early stopping;
refusals naming the reason."""

from __future__ import annotations

import time

import lightgbm as lgb
import numpy as np
import pytest
from boosting_data import categorical_regression, classification, regression, unseen_categories
from tree_ir_eval import assert_agrees

from tinyml_lab import model_to_ir
from tinyml_lab.errors import InvalidModelError, NotFittedError, UnsupportedModelError
from tinyml_lab.readers.lightgbm_models import ZERO_THRESHOLD


def _raw(model, X):
    return model.predict(X, raw_score=True).reshape(len(X), -1)


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("dataset", ["breast_cancer", "iris", "wine"])
def test_classifier(dataset, missing):
    X, y = classification(dataset, missing)
    model = lgb.LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1, random_state=0).fit(X, y)
    ir = model_to_ir(model)
    assert "split_rule" not in ir and ir["link"] == ("logistic" if dataset == "breast_cancer" else "softmax")
    assert_agrees(ir, X, raw=_raw(model, X), values=model.predict_proba(X), labels=model.predict(X))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("objective, link", [
    ("regression", "identity"), ("regression_l1", "identity"), ("huber", "identity"), ("fair", "identity"),
    ("quantile", "identity"), ("mape", "identity"), ("poisson", "exp"), ("gamma", "exp"), ("tweedie", "exp"),
])
def test_regressor_objectives(objective, link, missing):
    X, y = regression(missing)
    model = lgb.LGBMRegressor(objective=objective, n_estimators=40, num_leaves=15, verbose=-1,
                              random_state=0).fit(X, y)
    ir = model_to_ir(model)
    assert ir["link"] == link
    assert_agrees(ir, X, raw=_raw(model, X), values=model.predict(X))


def _rows_with_tiny_values(X):
    """X, then X with a third of its values replaced by 1e-36, -1e-36 and -1e-35: values LightGBM's
    predict reads as 0.0 (|x| <= kZeroThreshold), and zeros."""
    rng = np.random.default_rng(2)
    blocks = [X] + [np.where(rng.random(X.shape) < 0.3, np.float32(v), X) for v in (1e-36, -1e-36, -1e-35, 0.0)]
    return np.vstack(blocks).astype(np.float32)


@pytest.mark.parametrize("settings, missing_type", [({}, "NaN"), ({"use_missing": False}, "None"),
                                                     ({"zero_as_missing": True}, "Zero")])
def test_missing_types(settings, missing_type):
    X, y = regression(missing=True)
    X[np.random.default_rng(3).random(X.shape) < 0.2] = 0.0  # zeros for the splits at +-kZeroThreshold
    model = lgb.LGBMRegressor(n_estimators=40, verbose=-1, random_state=0, **settings).fit(X, y)
    dumped = [t["tree_structure"] for t in model.booster_.dump_model()["tree_info"]]
    types, thresholds, stack = set(), set(), list(dumped)
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            types.add(node["missing_type"])
            thresholds.add(node["threshold"])
            stack += [node["left_child"], node["right_child"]]
    assert types == {missing_type}
    # splits between zero and its neighbours sit at -kZeroThreshold or kZeroThreshold
    assert {-ZERO_THRESHOLD, ZERO_THRESHOLD} & thresholds
    X_test = _rows_with_tiny_values(X)
    assert_agrees(model_to_ir(model), X_test, raw=_raw(model, X_test), values=model.predict(X_test))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
def test_categorical_splits(missing):
    """Categories in the split's set go left; NaN, negative values and other categories right."""
    X, y = categorical_regression(missing)
    model = lgb.LGBMRegressor(n_estimators=40, verbose=-1, min_data_per_group=5, cat_smooth=1,
                              random_state=0).fit(X, y, categorical_feature=[4, 5])
    ir = model_to_ir(model)
    assert any("category_set" in tree for tree in ir["trees"])
    X_test = unseen_categories(X)
    assert_agrees(ir, X_test, raw=_raw(model, X_test), values=model.predict(X_test))


def test_categorical_classifier():
    X, y = categorical_regression(missing=True)
    labels = (y > np.median(y)).astype(int)
    model = lgb.LGBMClassifier(n_estimators=30, verbose=-1, min_data_per_group=5,
                               random_state=0).fit(X, labels, categorical_feature=[4, 5])
    X_test = unseen_categories(X)
    assert_agrees(model_to_ir(model), X_test, raw=_raw(model, X_test), values=model.predict_proba(X_test),
                  labels=model.predict(X_test))


@pytest.mark.parametrize("dataset", ["breast_cancer", "iris"])
def test_random_forest_averages_its_trees(dataset):
    X, y = classification(dataset, missing=True)
    model = lgb.LGBMClassifier(boosting_type="rf", n_estimators=15, bagging_freq=1, bagging_fraction=0.6,
                               verbose=-1, random_state=0).fit(X, y)
    ir = model_to_ir(model)
    # raw_score is the sum; predict averages it over the iterations, as the IR's tree_scale does
    assert ir["tree_scale"] == pytest.approx(1 / 15)
    assert_agrees(ir, X, raw=_raw(model, X) / 15, values=model.predict_proba(X), labels=model.predict(X))


def test_boosters_and_files_use_the_best_iteration(tmp_path):
    """A Booster kept training past its best iteration predicts with the best one, and so does
    its dump: the IR has the trees up to it. A saved file and an estimator hold only those."""
    X, y = classification("iris", missing=True)
    booster = lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1}, lgb.Dataset(X[::2], y[::2]),
                        300, valid_sets=[lgb.Dataset(X[1::2], y[1::2])], keep_training_booster=True,
                        callbacks=[lgb.early_stopping(3, verbose=False)])
    assert booster.best_iteration < booster.current_iteration()
    ir = model_to_ir(booster)
    assert len(ir["trees"]) == 3 * booster.best_iteration
    assert [tree["output"] for tree in ir["trees"][:6]] == [0, 1, 2, 0, 1, 2]
    assert_agrees(ir, X, raw=booster.predict(X, raw_score=True), values=booster.predict(X),
                  labels=np.argmax(booster.predict(X), axis=1))
    booster.save_model(tmp_path / "iris.txt")
    loaded = lgb.Booster(model_file=str(tmp_path / "iris.txt"))
    for source in (str(tmp_path / "iris.txt"), tmp_path / "iris.txt"):
        ir = model_to_ir(source)
        assert ir["estimator"] == "lightgbm.basic.Booster" and ir["classes"] == [0, 1, 2]
        assert_agrees(ir, X, raw=loaded.predict(X, raw_score=True), values=loaded.predict(X))
    model = lgb.LGBMClassifier(n_estimators=300, verbose=-1, random_state=0)
    model.fit(X[::2], y[::2], eval_X=(X[1::2],), eval_y=(y[1::2],), callbacks=[lgb.early_stopping(3, verbose=False)])
    assert_agrees(model_to_ir(model), X, raw=_raw(model, X), values=model.predict_proba(X), labels=model.predict(X))


def test_booster_binary_and_regression():
    X, y = classification("breast_cancer", missing=True)
    booster = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(X, y), 20)
    p = booster.predict(X)
    assert_agrees(model_to_ir(booster), X, values=np.stack([1 - p, p], axis=1), labels=p > 0.5)
    X, y = regression(missing=True)
    booster = lgb.train({"objective": "poisson", "verbose": -1}, lgb.Dataset(X, y), 20)
    assert_agrees(model_to_ir(booster), X, values=booster.predict(X))


def _ranking_booster(objective):
    def make(X, y):
        data = lgb.Dataset(X, (y > 150).astype(int), group=[20] * (len(y) // 20) + [len(y) % 20])
        return lgb.train({"objective": objective, "verbose": -1}, data, 2)
    return make


REFUSALS = [
    (lambda X, y: lgb.LGBMClassifier(objective="multiclassova", n_estimators=2, verbose=-1)
     .fit(X, (y // 100).astype(int)), r"objective 'multiclassova' is not supported: one-vs-all"),
    (_ranking_booster("lambdarank"), r"objective 'lambdarank' is not supported: a ranking model"),
    (_ranking_booster("rank_xendcg"), r"objective 'rank_xendcg' is not supported: a ranking model"),
    (lambda X, y: lgb.LGBMRanker(n_estimators=2, verbose=-1)
     .fit(X, (y > 150).astype(int), group=[20] * (len(y) // 20) + [len(y) % 20]),
     r"LGBMRanker .* a ranking model's scores order the rows"),
    (lambda X, y: lgb.LGBMRegressor(linear_tree=True, n_estimators=2, verbose=-1).fit(X, y),
     r"is a linear tree \(linear_tree=True\)"),
    (lambda X, y: lgb.LGBMRegressor(objective=lambda t, p: (p - t, np.ones_like(t)), n_estimators=2,
                                    verbose=-1).fit(X, y), r"LGBMRegressor with a custom objective function"),
    (lambda X, y: lgb.train({"objective": lambda p, d: (p - d.get_label(), np.ones_like(p)), "verbose": -1},
                            lgb.Dataset(X, y), 2), r"lightgbm.Booster was trained with a custom objective"),
    (lambda X, y: lgb.LGBMClassifier(sigmoid=2.0, n_estimators=2, verbose=-1).fit(X, (y > 150).astype(int)),
     r"objective 'binary' and sigmoid=2 is not supported: the device's logistic link has slope 1"),
    (lambda X, y: lgb.LGBMRegressor(objective="cross_entropy_lambda", n_estimators=2, verbose=-1)
     .fit(X, y / y.max()), r"objective 'cross_entropy_lambda' is not supported"),
    (lambda X, y: lgb.LGBMRegressor(objective="cross_entropy", n_estimators=2, verbose=-1)
     .fit(X, y / y.max()), r"objective 'cross_entropy' is not supported: .* train objective='binary'"),
    (lambda X, y: lgb.train({"objective": "xentropy", "verbose": -1}, lgb.Dataset(X, y / y.max()), 2),
     r"objective 'cross_entropy' is not supported: it predicts a probability through a logistic link"),
    (lambda X, y: lgb.LGBMRegressor(), r"LGBMRegressor is not fitted yet"),
]


@pytest.mark.parametrize("make, message", REFUSALS, ids=[
    "multiclassova", "lambdarank", "rank_xendcg", "ranker", "linear-tree", "custom-objective",
    "custom-objective-booster", "sigmoid", "cross-entropy-lambda", "cross-entropy", "xentropy-booster", "unfitted"])
def test_refusals_say_why_in_one_line(make, message):
    X, y = regression()
    with pytest.raises((UnsupportedModelError, NotFittedError), match=message) as info:
        model_to_ir(make(X, y))
    assert "\n" not in str(info.value)


def test_a_text_file_lightgbm_cannot_load(tmp_path):
    (tmp_path / "notes.txt").write_text("not a model\n")
    with pytest.raises(InvalidModelError, match="notes.txt is not a model file LightGBM can load"):
        model_to_ir(str(tmp_path / "notes.txt"))


def test_two_thousand_iterations_read_in_reasonable_time():
    X, y = regression()
    model = lgb.LGBMRegressor(n_estimators=2000, num_leaves=31, min_child_samples=5, verbose=-1,
                              random_state=0).fit(X, y)
    start = time.perf_counter()
    ir = model_to_ir(model)
    seconds = time.perf_counter() - start
    nodes = sum(tree["children_left"]["shape"][0] for tree in ir["trees"])
    print(f"\nLightGBM 2000 iterations: {nodes} nodes read in {seconds:.2f} s")
    assert len(ir["trees"]) == 2000
    assert_agrees(ir, X, raw=_raw(model, X), values=model.predict(X))
