"""Gaussian models, read into the "gaussian" IR family: GaussianNB, GaussianMixture,
BayesianGaussianMixture (all four covariance types, kept compact) and EllipticEnvelope.

Each is K Gaussian components scored on x: log_prob[k] = log_norm[k] - 0.5 * m_k(x), with
m_k the squared Mahalanobis distance through the component's precision Cholesky factor (as
scikit-learn stores it: ``precisions_cholesky_``, upper triangular) and log_norm[k] every term
that does not depend on x, computed here in float64 from public fitted attributes. The device
then takes the argmax (predict), the softmax (predict_proba) or the log-sum-exp
(score_samples); EllipticEnvelope's score is -m_0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..arrays import encode_array
from ..errors import InvalidModelError, NotFittedError
from .envelope import class_labels, feature_names_of, finite_number, ir_envelope
from .reader import Estimator, Reader, table_entry

GAUSSIAN_ESTIMATORS = {
    "sklearn.naive_bayes.GaussianNB": Estimator("classification", "one diagonal Gaussian per class"),
    "sklearn.mixture.GaussianMixture": Estimator("classification", "the components; classes are their indices"),
    "sklearn.mixture.BayesianGaussianMixture": Estimator("classification", "the components, with digamma weights"),
    "sklearn.covariance.EllipticEnvelope": Estimator("anomaly", "one robust Gaussian; score -Mahalanobis^2"),
}

_LOG_2PI = math.log(2.0 * math.pi)


def _log_det(prec_chol: np.ndarray, covariance: str, n_features: int) -> np.ndarray:
    """log det of each component's precision Cholesky factor (half the log det of its precision)."""
    if covariance == "full":
        return np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
    if covariance == "tied":
        return np.sum(np.log(np.diag(prec_chol)))
    if covariance == "diag":
        return np.sum(np.log(prec_chol), axis=1)
    return n_features * np.log(prec_chol)  # spherical


def _mixture_log_weights(model: Any, name: str) -> np.ndarray:
    """log mixing weights, as each mixture class scores them."""
    if name.endswith("BayesianGaussianMixture"):
        from scipy.special import digamma  # noqa: PLC0415 - scikit-learn depends on scipy

        concentration = model.weight_concentration_
        if model.weight_concentration_prior_type == "dirichlet_process":
            a, b = (np.asarray(c, dtype=np.float64) for c in concentration)
            digamma_sum = digamma(a + b)
            return digamma(a) - digamma_sum + np.hstack((0.0, np.cumsum(digamma(b) - digamma_sum)[:-1]))
        concentration = np.asarray(concentration, dtype=np.float64)
        return digamma(concentration) - digamma(np.sum(concentration))
    return np.log(np.asarray(model.weights_, dtype=np.float64))


def _bayesian_correction(model: Any, n_features: int) -> np.ndarray:
    """BayesianGaussianMixture's extra per-component terms of its expected log-likelihood."""
    from scipy.special import digamma  # noqa: PLC0415

    dof = np.asarray(model.degrees_of_freedom_, dtype=np.float64)
    log_lambda = n_features * np.log(2.0) + np.sum(
        digamma(0.5 * (dof - np.arange(n_features)[:, np.newaxis])), axis=0)
    return -0.5 * n_features * np.log(dof) + 0.5 * (log_lambda - n_features / np.asarray(model.mean_precision_))


def gaussian_to_ir(model: Any) -> dict[str, Any]:
    """The IR of a fitted GaussianNB, GaussianMixture, BayesianGaussianMixture or EllipticEnvelope."""
    name, entry = table_entry(model, GAUSSIAN_ESTIMATORS, "a supported Gaussian model")
    short = type(model).__name__
    fitted = {"GaussianNB": "theta_", "EllipticEnvelope": "location_"}.get(short, "means_")
    if not hasattr(model, fitted):
        raise NotFittedError(f"{short} is not fitted yet: call fit(X) before exporting it")
    n_features = int(model.n_features_in_)
    extra: dict[str, Any] = {}
    if short == "GaussianNB":
        variance = np.asarray(model.var_, dtype=np.float64)
        means = np.asarray(model.theta_, dtype=np.float64)
        covariance = "diag"
        prec_chol = 1.0 / np.sqrt(variance)
        log_weights = np.log(np.asarray(model.class_prior_, dtype=np.float64))
        classes = class_labels(np.asarray(model.classes_), f"{short}.classes_")
        score = "log_likelihood"
    elif short == "EllipticEnvelope":
        import scipy.linalg  # noqa: PLC0415

        means = np.asarray(model.location_, dtype=np.float64)[np.newaxis, :]
        covariance = "tied"
        try:
            cov_chol = scipy.linalg.cholesky(np.asarray(model.covariance_, dtype=np.float64), lower=True)
        except np.linalg.LinAlgError:
            raise InvalidModelError(f"{short}: covariance_ is not positive definite; it cannot be exported") from None
        # The upper-triangular U with U U^T = precision_: x -> (x - mean) @ U, |.|^2 = Mahalanobis.
        prec_chol = scipy.linalg.solve_triangular(cov_chol, np.eye(n_features), lower=True).T
        log_weights = np.zeros(1)
        classes = [-1, 1]
        score = "mahalanobis"
        extra["offset"] = finite_number(model.offset_, short, "offset_")
    else:
        covariance = model.covariance_type
        means = np.asarray(model.means_, dtype=np.float64)
        prec_chol = np.asarray(model.precisions_cholesky_, dtype=np.float64)
        log_weights = _mixture_log_weights(model, name)
        classes = list(range(means.shape[0]))
        score = "log_likelihood"
    log_norm = log_weights - 0.5 * n_features * _LOG_2PI + _log_det(prec_chol, covariance, n_features)
    if score == "mahalanobis":
        log_norm = np.zeros(1)
    elif short == "BayesianGaussianMixture":
        log_norm = log_norm + _bayesian_correction(model, n_features)
    for what, array in (("means", means), ("precision Cholesky factors", prec_chol), ("log weights", log_norm)):
        if not np.all(np.isfinite(array)):
            raise InvalidModelError(f"{short}: the {what} have NaN or infinite values; the model cannot be exported")
    return ir_envelope(
        "gaussian",
        name,
        entry.task,
        n_features,
        classes=classes,
        feature_names=feature_names_of(model) or [],
        covariance=covariance,
        means=encode_array(means, "float64"),
        prec_chol=encode_array(np.asarray(prec_chol, dtype=np.float64).reshape(np.shape(prec_chol)), "float64"),
        log_norm=encode_array(np.asarray(log_norm, dtype=np.float64).reshape(-1), "float64"),
        score=score,
        **extra,
    )


def read_gaussian(model: Any, X_train: Any = None, y_train: Any = None) -> dict[str, Any]:
    """gaussian_to_ir for the registry (X_train / y_train are not needed)."""
    return gaussian_to_ir(model)


READER = Reader("Gaussian models", GAUSSIAN_ESTIMATORS, read_gaussian)

__all__ = ["GAUSSIAN_ESTIMATORS", "READER", "gaussian_to_ir"]
