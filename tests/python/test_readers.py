"""The reader registry (tinyml_lab/readers): every estimator is read by exactly one reader, the
"not supported" message is built from the readers' tables, the envelope has one key order."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import MultiOutputRegressor
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tinyml_lab import UnsupportedModelError
from tinyml_lab.readers import READERS, model_to_ir, supported_estimators
from tinyml_lab.readers.envelope import IR_FORMAT, IR_VERSION, estimator_name, ir_envelope


def test_every_name_has_one_reader():
    names = [name for reader in READERS for name in reader.estimators]
    assert len(names) == len(set(names))
    families = [reader.family for reader in READERS]
    assert len(families) == len(set(families))


def test_a_model_is_read_by_the_reader_whose_table_names_it():
    X, y = load_iris(return_X_y=True)
    cases = {
        "scikit-learn trees": RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y),
        "linear models": LogisticRegression(max_iter=300).fit(X, y),
        "Gaussian models": GaussianNB().fit(X, y),
        "pipelines": make_pipeline(StandardScaler(), GaussianNB()).fit(X, y),
    }
    for family, model in cases.items():
        name = estimator_name(model)
        assert [r.family for r in READERS if r.reads(model, name)] == [family]
    keras_file = "model.keras"
    assert [r.family for r in READERS if r.reads(keras_file, estimator_name(keras_file))] == ["saved Keras models"]


def test_supported_list_is_every_table_grouped_by_reader():
    text = supported_estimators()
    groups = text.split("; ")
    assert len(groups) == len(READERS)
    for reader, group in zip(READERS, groups):
        assert group == f"{', '.join(reader.labels())} ({reader.family})"
    assert text.startswith("DecisionTreeClassifier, DecisionTreeRegressor, ")
    assert "MLPClassifier, MLPRegressor, keras.Sequential, functional keras.Model (networks)" in text
    assert "KNeighborsRegressor (support vector machines and nearest neighbours)" in text


@pytest.mark.parametrize(
    "model, advice",
    [
        (MultiOutputRegressor(LogisticRegression()), "export one model per output instead (each of its estimators_)"),
        (object(), "object (builtins.object) is not supported yet; supported estimators: DecisionTreeClassifier"),
    ],
    ids=["multi-output", "no-advice"],
)
def test_not_supported_says_what_to_use_instead(model, advice):
    with pytest.raises(UnsupportedModelError) as info:
        model_to_ir(model)
    assert advice in str(info.value)
    assert str(info.value).endswith(f"supported estimators: {supported_estimators()}")


def test_envelope_keys_come_first_in_one_order():
    envelope = ir_envelope("svm", "sklearn.svm.SVC", "classification", 4, classes=[0, 1], feature_names=[],
                           kernel="rbf")
    assert list(envelope) == ["format", "version", "family", "estimator", "task", "classes", "n_features",
                              "feature_names", "kernel"]
    assert envelope["format"] == IR_FORMAT and envelope["version"] == IR_VERSION
    # optional keys are left out, not written as null
    assert "classes" not in ir_envelope("tree_ensemble", "t", "regression", 3, trees=[])
