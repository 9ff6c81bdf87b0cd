"""The exporters under comparison for Gaussian models. Each one writes the generated model
code plus two small wrappers into a directory:

    bench_predict.c   int32_t bench_predict(const float *x);   class / component index
    bench_score.c     int bench_score(const float *x, float *score);   log-likelihood score

bench_predict.c is what flash, RAM, host and QEMU measure (bench/common/measure.py), exactly
as in bench/trees and bench/nets; the wrapper is part of what is measured. bench_score.c is
only compiled on the host, with c/score_driver.c, to compare the tool's continuous score
with scikit-learn's: score_samples for mixtures and EllipticEnvelope, log p(x) = logsumexp of
the joint log-likelihood for GaussianNB. A tool without a score writes no bench_score.c.

An exporter returns a dict ("note": what the reader should know about the tool's output);
it raises when the tool cannot handle the model, and the run prints SKIPPING with the
reason and keeps a "not supported" row."""
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from measure import missing_module  # bench/common: on the path run.py sets up

WRAPPER = "bench_predict.c"
SCORE = "bench_score.c"


@dataclass
class Tool:
    name: str
    export: Callable  # (case, directory) -> dict; writes WRAPPER (and SCORE when it can)
    missing: Optional[str] = None  # why the tool cannot run here at all, or None


def _write(directory: Path, file: str, signature: str, includes: str, body: str) -> None:
    (directory / file).write_text(f"#include <stdint.h>\n{includes}\n\n{signature}\n{{\n{body}\n}}\n")


def _predict(directory: Path, includes: str, body: str) -> None:
    _write(directory, WRAPPER, "int32_t bench_predict(const float *x)", includes, body)


def _score(directory: Path, includes: str, body: str) -> None:
    _write(directory, SCORE, "int bench_score(const float *x, float *score)", includes, body)


def _argmax(values: str, n: int) -> str:
    """C statements returning the first largest of values[0..n) (numpy's argmax rule)."""
    return f"""    int32_t best = 0;
    for (int32_t k = 1; k < {n}; k++)
        if ({values}[k] > {values}[best]) best = k;
    return best;"""


# ---- TinyML Lab ----------------------------------------------------------------------------
def _tinyml_export(case, directory: Path) -> dict:
    """tinyml_lab.convert(model, name="m") (float32: the only dtype of its Gaussian family).
    Classifiers and mixtures: m_predict(x) is the class / component index and
    m_score_samples(x, &s) the log-likelihood. EllipticEnvelope: m_predict(x, &label) gives
    -1 / +1 (index 0 / 1 of classes [-1, 1]) and m_score_samples minus the squared
    Mahalanobis distance, as scikit-learn's."""
    import tinyml_lab

    tinyml_lab.convert(case.model, name="m").save(str(directory / "model.h"))
    include = '#include "model.h"'
    if case.kind == "envelope":
        _predict(directory, include, "    int32_t label;\n    m_predict(x, &label);\n    return label > 0;")
    else:
        _predict(directory, include, "    return m_predict(x);")
    _score(directory, include, "    return m_score_samples(x, score);")
    return {"note": ""}


# ---- emlearn -------------------------------------------------------------------------------
def _copy_emlearn_headers(directory: Path) -> None:
    """emlearn's runtime headers beside the model, so they compile into the measured object
    (counted as model flash, as bench/nets does)."""
    import emlearn

    for header in Path(emlearn.includedir).glob("eml_*.h"):
        shutil.copy(header, directory / header.name)


def _emlearn_export(case, directory: Path) -> dict:
    """emlearn.convert(model) with its defaults and save(name="m"):

    - GaussianNB ("loadable", the only method): EmlBayesSummary tables of Q16 fixed-point
      mean / std / log2 std (not const: they are .data), eml_bayes_predict returns the class.
      No class priors, no score function.
    - GaussianMixture / BayesianGaussianMixture: every covariance type converted to full
      (n_components x n_features^2 float precision factors); m_predict_log_proba(x, n, out)
      gives the weighted log-probability of each component (the wrapper takes the argmax,
      which is scikit-learn's predict), m_score(x, n, out, &score) their log-sum-exp
      (score_samples).
    - EllipticEnvelope (method "inline", the only one): eml_elliptic_envelope_predict returns
      1 for an outlier, and the squared Mahalanobis distance (score = minus it)."""
    import emlearn

    kind, n_features, n_out = case.kind, case.rows.shape[1], case.n_outputs
    method = "inline" if kind == "envelope" else None
    converted = emlearn.convert(case.model, method=method)
    converted.save(name="m", file=str(directory / "model.h"))
    _copy_emlearn_headers(directory)
    include = '#include "model.h"'
    if kind == "nb":
        _predict(directory, include, f"    return m_predict(x, {n_features});")
        return {"note": "Q16 fixed point, no class priors, no score"}
    if kind == "envelope":
        _predict(directory, include,
                 f"    return eml_elliptic_envelope_predict(&m_classifier, x, {n_features}, 0) ? 0 : 1;")
        _score(directory, include,
               f"    float dist = 0.0f;\n    eml_elliptic_envelope_predict(&m_classifier, x, {n_features}, &dist);\n"
               "    *score = -dist;\n    return 0;")
        return {"note": ""}
    _predict(directory, include,
             f"    float lp[{n_out}];\n    m_predict_log_proba(x, {n_features}, lp);\n" + _argmax("lp", n_out))
    _score(directory, include,
           f"    float lp[{n_out}];\n    return m_score(x, {n_features}, lp, score);")
    cov = getattr(case.model, "covariance_type", "full")
    return {"note": "" if cov == "full" else f"{cov} stored as full"}


# ---- m2cgen --------------------------------------------------------------------------------
def _m2cgen_export(case, directory: Path) -> dict:
    """m2cgen.export_to_c(model): m2cgen 0.10 has assemblers for linear models, SVMs, trees
    and boosted ensembles, none for naive Bayes, mixtures or covariance estimators, so this
    raises NotImplementedError for every model here (kept, so the table says so)."""
    import m2cgen

    code = m2cgen.export_to_c(case.model, function_name="score")
    (directory / "model.c").write_text(code)
    raise RuntimeError("m2cgen exported this model; bench/mixtures/tools.py has no wrapper for it yet")


def all_tools() -> list:
    return [
        Tool("tinyml-f32", _tinyml_export, missing_module("tinyml_lab")),
        Tool("emlearn", _emlearn_export, missing_module("emlearn")),
        Tool("m2cgen", _m2cgen_export, missing_module("m2cgen")),
    ]
