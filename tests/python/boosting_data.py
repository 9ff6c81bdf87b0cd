"""Data for the boosted-tree reader tests: scikit-learn's bundled data sets (no download), as
float32 so that the libraries and the IR evaluator see the same numbers, with and without
missing values, and a data set with categorical columns."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

#: classification sets: binary (breast_cancer) and multi-class (iris, wine)
CLASSIFICATION = {"breast_cancer": load_breast_cancer, "iris": load_iris, "wine": load_wine}


def float32_data(load) -> tuple[np.ndarray, np.ndarray]:
    X, y = load(return_X_y=True)
    return X.astype(np.float32), y


def with_nan(X: np.ndarray, fraction: float = 0.1, seed: int = 0) -> np.ndarray:
    """X with ``fraction`` of its values set to NaN (missing), at random places."""
    X = X.copy()
    X[np.random.default_rng(seed).random(X.shape) < fraction] = np.nan
    return X


def classification(name: str, missing: bool) -> tuple[np.ndarray, np.ndarray]:
    X, y = float32_data(CLASSIFICATION[name])
    return (with_nan(X) if missing else X), y


def regression(missing: bool = False) -> tuple[np.ndarray, np.ndarray]:
    X, y = float32_data(load_diabetes)
    return (with_nan(X) if missing else X), y


#: the values of the second categorical column: not 0..n-1, and one beyond 255
SPARSE_CATEGORIES = np.array([0, 3, 7, 40, 41, 300], dtype=np.float32)


def categorical_regression(missing: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """diabetes' first four columns and two categorical ones the target depends on: column 4
    holds categories 0..11, column 5 the sparse values of SPARSE_CATEGORIES."""
    X, y = float32_data(load_diabetes)
    rng = np.random.default_rng(seed)
    dense = rng.integers(0, 12, len(X)).astype(np.float32)
    sparse = SPARSE_CATEGORIES[rng.integers(0, len(SPARSE_CATEGORIES), len(X))]
    target = y + 30.0 * (dense % 3) + 25.0 * (sparse == 40) - 20.0 * (sparse == 300)
    Xc = np.column_stack([X[:, :4], dense, sparse]).astype(np.float32)
    return (with_nan(Xc, seed=seed + 1) if missing else Xc), target


def unseen_categories(X: np.ndarray) -> np.ndarray:
    """Rows of categorical_regression with categories the model never saw: 13 and -1 in
    column 4, 5 and 1000 in column 5 (every 7th, 11th, 13th and 17th row)."""
    X = X.copy()
    X[::7, 4] = 13
    X[::13, 4] = -1
    X[::11, 5] = 5
    X[::17, 5] = 1000
    return X
