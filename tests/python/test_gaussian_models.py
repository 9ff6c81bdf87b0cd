"""Gaussian models (naive Bayes, mixtures with every covariance type, elliptic envelope): the
exported header (gcc) and the WebAssembly runtime agree with scikit-learn on real data sets."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import split
from sklearn.covariance import EllipticEnvelope
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler

import tinyml_lab

#: log-likelihoods are sums of D squared terms in float32: relative to their magnitude
SCORE_RTOL = 2e-5

HARNESS = r"""
#include <stdio.h>
#include "model.h"
int main(int argc, char **argv)
{
    float x[MODEL_N_FEATURES];
    FILE *in = argc == 2 ? fopen(argv[1], "rb") : NULL;
    if (in == NULL || tml_gauss_validate(&model_gauss) != TML_OK) {
        return 2;
    }
    while (fread(x, sizeof(float), MODEL_N_FEATURES, in) == MODEL_N_FEATURES) {
        float score;
#if defined(MODEL_OFFSET)
        int32_t label;
        if (model_predict(x, &label) != TML_OK || model_score_samples(x, &score) != TML_OK) {
            return 3;
        }
        printf("%d %.9g\n", (int)label, (double)score);
#else
        float proba[MODEL_N_CLASSES];
        int32_t k, label = model_predict(x);
        if (label < 0 || model_predict_proba(x, proba, MODEL_N_CLASSES) != TML_OK ||
            model_score_samples(x, &score) != TML_OK) {
            return 3;
        }
        printf("%d %.9g", (int)label, (double)score);
        for (k = 0; k < MODEL_N_CLASSES; k++) {
            printf(" %.9g", (double)proba[k]);
        }
        printf("\n");
#endif
    }
    fclose(in);
    return 0;
}
"""


@pytest.fixture
def run_gauss(tmp_path):
    import subprocess

    def run(header, X):
        (tmp_path / "model.h").write_text(header)
        (tmp_path / "main.c").write_text(HARNESS)
        subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-o", "main", "main.c",
                        "-lm"], cwd=tmp_path, check=True, capture_output=True, text=True)
        np.ascontiguousarray(X, dtype="<f4").tofile(tmp_path / "x.bin")
        out = subprocess.run(["./main", "x.bin"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
        return np.array([[float(v) for v in line.split()] for line in out.splitlines()])

    return run


def _close_labels(device, reference, proba, margin=1e-4):
    top2 = np.sort(proba, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > margin
    np.testing.assert_array_equal(device[clear], reference[clear])


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits],
                         ids=lambda f: f.__name__[5:])
def test_gaussian_nb_matches_sklearn(loader, run_gauss):
    X, y = loader(return_X_y=True)
    X_train, y_train, _, _ = split(X, y)
    model = GaussianNB().fit(X_train, y_train)
    x32 = X.astype(np.float32)
    proba = model.predict_proba(x32)
    converted = tinyml_lab.convert(model)
    out = run_gauss(converted.header, X)
    _close_labels(model.classes_[out[:, 0].astype(int)], model.predict(x32), proba)
    np.testing.assert_allclose(out[:, 2:], proba, atol=1e-4)
    report = converted.evaluate(X, y)
    assert report.label_agreement >= 0.99
    assert report.max_abs_error < 1e-4


@pytest.mark.parametrize("covariance", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("mixture", [GaussianMixture, BayesianGaussianMixture], ids=["GMM", "BayesianGMM"])
@pytest.mark.parametrize("loader", [load_iris, load_wine], ids=["iris", "wine"])
def test_mixtures_match_sklearn_for_every_covariance_type(mixture, covariance, loader, run_gauss):
    X = StandardScaler().fit_transform(loader(return_X_y=True)[0])
    model = mixture(n_components=3, covariance_type=covariance, random_state=0, max_iter=200).fit(X)
    x32 = X.astype(np.float32)
    score = model.score_samples(x32)
    proba = model.predict_proba(x32)
    converted = tinyml_lab.convert(model)
    out = run_gauss(converted.header, X)
    np.testing.assert_allclose(out[:, 1], score, rtol=SCORE_RTOL, atol=SCORE_RTOL * np.abs(score).max())
    np.testing.assert_allclose(out[:, 2:], proba, atol=1e-4)
    _close_labels(out[:, 0].astype(int), model.predict(x32), proba)
    report = converted.evaluate(X)
    assert report.score_relative_l2 < SCORE_RTOL
    # compact storage: no covariance type is expanded to full per component
    d = X.shape[1]
    stored = {"full": 3 * d * d, "tied": d * d, "diag": 3 * d, "spherical": 3}[covariance]
    assert converted.size["flash"][1]["bytes"] == 4 * stored


@pytest.mark.parametrize("loader", [load_wine, load_breast_cancer], ids=["wine", "breast_cancer"])
def test_elliptic_envelope_matches_sklearn(loader, run_gauss):
    X = loader(return_X_y=True)[0][:, :8]
    model = EllipticEnvelope(random_state=0, contamination=0.1).fit(X)
    x32 = X.astype(np.float32)
    score = model.score_samples(x32)
    out = run_gauss(tinyml_lab.convert(model).header, X)
    np.testing.assert_allclose(out[:, 1], score, rtol=SCORE_RTOL, atol=SCORE_RTOL * np.abs(score).max())
    clear = np.abs(model.decision_function(x32)) > SCORE_RTOL * np.abs(score).max()
    np.testing.assert_array_equal(out[clear, 0], model.predict(x32)[clear])
    report = tinyml_lab.evaluate(model, X)
    assert report.label_agreement >= 0.99


def test_gaussian_models_are_float32_only():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(Exception, match="float32 only"):
        tinyml_lab.convert(GaussianNB().fit(X, y), dtype="int16")
