"""Sweep: which model and export option fits a target, and what it costs in accuracy.

``sweep(candidates, X, y, target="cortex-m0plus", flash_budget=...)`` fits the candidates that
are not fitted yet, exports each one with every quantization option, runs every export
through the C runtime (its WebAssembly build, as ``evaluate`` does), estimates flash, RAM and
cycles on the target (src/core/estimate/targets.ts) and returns all points with the Pareto front of
flash against accuracy (or agreement, or RMSE) among those that fit.

The work runs through ``joblib.Parallel``: the default (loky) backend gives each worker
process its own embedded V8, a forked worker (the "multiprocessing" backend) makes its own
(see _engine.py), and ``with joblib.parallel_config(backend="dask"):`` (or "ray") sends it
to a cluster.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import _engine
from .convert import convert, option_label
from .errors import InvalidInputError, TinyMLError
from .readers import read_ir

#: What the front maximises (accuracy, agreement) or minimises (rmse).
METRICS = ("accuracy", "agreement", "rmse")


@dataclass
class SweepPoint:
    """One candidate model with one export option."""

    name: str
    #: the candidate's parameters that were swept (param_grid), else {}
    params: dict[str, Any]
    #: convert() options: dtype, strategy, leaf_dtype
    options: dict[str, str]
    #: the options' name, as the Inspector's trade-off table shows it ("int16 · tables")
    option: str = ""
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    cycles: int | None = None
    microseconds: float | None = None
    fits_flash: bool = False
    fits_ram: bool = False
    fits: bool = False
    #: device labels equal to the model's own (classifiers, anomaly detectors)
    agreement: float | None = None
    #: device labels against the true labels
    accuracy: float | None = None
    #: the model's own accuracy on the same rows
    reference_accuracy: float | None = None
    #: regressors: device output against the true values
    rmse: float | None = None
    #: why this point could not be exported or run, else None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} · {self.option}"


@dataclass
class SweepResult:
    target: str
    metric: str
    flash_budget: int
    ram_budget: int
    points: list[SweepPoint]
    #: indices into points: the Pareto front of flash vs metric among the points that fit,
    #: by increasing flash
    front: list[int] = field(default_factory=list)

    @property
    def front_points(self) -> list[SweepPoint]:
        return [self.points[i] for i in self.front]

    def best(self) -> SweepPoint | None:
        """The front's best point by the metric (the largest model that is worth its size)."""
        return self.front_points[-1] if self.front else None

    def to_records(self) -> list[dict[str, Any]]:
        return [{**asdict(p), "label": p.label, "on_front": i in self.front} for i, p in enumerate(self.points)]

    def to_frame(self):
        """The points as a pandas DataFrame (pandas is only needed for this)."""
        import pandas as pd  # noqa: PLC0415 - optional

        return pd.DataFrame(self.to_records())

    def show(self):
        """The Pareto chart and table as a widget (JupyterLab)."""
        from .sweep_view import SweepView  # noqa: PLC0415 - ipywidgets only when shown

        return SweepView(self)

    def __str__(self) -> str:
        lines = [f"sweep on {self.target}: {len(self.points)} points, "
                 f"{sum(p.fits for p in self.points)} fit {self.flash_budget} B flash / {self.ram_budget} B RAM; "
                 f"front ({self.metric}):"]
        for p in self.front_points:
            lines.append(f"  {p.label}: {p.flash_bytes} B flash, {p.ram_bytes} B RAM, ~{p.cycles} cycles, "
                         f"{self.metric} {_score(p, self.metric):.4g}")
        return "\n".join(lines)


def _score(point: SweepPoint, metric: str) -> float | None:
    return getattr(point, metric)


def pareto_front(points: list[SweepPoint], metric: str) -> list[int]:
    """Indices of the points that fit and that no other fitting point beats: no other has at
    most the flash and at least the score (at most, for rmse) with one of them strictly."""
    sign = -1.0 if metric == "rmse" else 1.0
    candidates = [i for i, p in enumerate(points) if p.fits and p.error is None and _score(p, metric) is not None]
    # Sorted by flash, then best score first: a point is on the front when its score beats every
    # point before it (each of those has less flash, or the same flash and at least its score).
    candidates.sort(key=lambda i: (points[i].flash_bytes, -sign * _score(points[i], metric), i))
    front, best = [], -np.inf
    for i in candidates:
        score = sign * _score(points[i], metric)
        if score > best:
            front.append(i)
            best = score
    return front


# ---- candidates and options -------------------------------------------------------------

def _is_fitted(model: Any) -> bool:
    from sklearn.exceptions import NotFittedError  # noqa: PLC0415
    from sklearn.utils.validation import check_is_fitted  # noqa: PLC0415

    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    except TypeError:  # not a scikit-learn estimator (a Keras model): taken as it is
        return True
    return True


def _candidates(model_or_candidates: Any, param_grid: Any) -> list[tuple[str, dict[str, Any], Any]]:
    """(name, swept parameters, estimator) per candidate."""
    from sklearn.base import clone  # noqa: PLC0415
    from sklearn.model_selection import ParameterGrid  # noqa: PLC0415

    if param_grid is not None:
        if isinstance(model_or_candidates, (list, tuple, dict)):
            raise InvalidInputError("param_grid applies to one estimator; pass a single unfitted estimator with it")
        base = model_or_candidates
        out = []
        for params in ParameterGrid(param_grid):
            text = ", ".join(f"{k}={v!r}" for k, v in params.items())
            out.append((f"{type(base).__name__}({text})", dict(params), clone(base).set_params(**params)))
        return out
    if isinstance(model_or_candidates, dict):
        items = list(model_or_candidates.items())
    elif isinstance(model_or_candidates, (list, tuple)):
        items = [(type(m).__name__, m) for m in model_or_candidates]
    else:
        items = [(type(model_or_candidates).__name__, model_or_candidates)]
    if not items:
        raise InvalidInputError("no candidate models to sweep")
    names = [n for n, _ in items]
    # Same class twice: number them so the table tells them apart.
    return [(f"{n} #{names[:k].count(n) + 1}" if names.count(n) > 1 else n, {}, m) for k, (n, m) in enumerate(items)]


def _export_options(ir: dict[str, Any], dtypes: Any, strategies: Any,
                    leaf_dtypes: Any) -> list[tuple[dict[str, str], str]]:
    """The export options the compiler offers this model (headless.exportOptions, the lists the
    Inspector shows), narrowed to the ones asked for: every dtype x strategy x leaf type, each
    with its name as the Inspector shows it."""
    offered = _engine.call("exportOptions", ir)
    return [({"dtype": d, "strategy": s, "leaf_dtype": leaf}, option_label(offered, d, s, leaf))
            for d, s, leaf in itertools.product(offered["feature_types"], offered["strategies"], offered["leaf_types"])
            if (dtypes is None or d in dtypes) and (strategies is None or s in strategies)
            and (leaf_dtypes is None or leaf in leaf_dtypes)]


# ---- the work (top-level functions: joblib pickles them to its workers) ------------------

def _fit(model: Any, X: np.ndarray, y: Any) -> Any:
    return model.fit(X, y) if y is not None else model.fit(X)


def _evaluate(name: str, params: dict[str, Any], model: Any, options: dict[str, str], option: str, train: tuple,
              test: tuple, target: str, budgets: dict[str, Any]) -> SweepPoint:
    X_train, y_train = train
    X_test, y_test = test
    point = SweepPoint(name=name, params=params, options=dict(options), option=option)
    try:
        calibration = X_train[:500] if options["dtype"] == "int8" else None
        converted = convert(model, calibration=calibration, X_train=X_train, y_train=y_train, **options)
        estimates = _engine.call("estimate", converted.engine_ir, converted.options, budgets)["estimates"]
        est = next(e for e in estimates if e["target"] == target)
        point.flash_bytes, point.ram_bytes = int(est["flashBytes"]), int(est["ramBytes"])
        point.cycles, point.microseconds = int(est["cycles"]), float(est["microseconds"])
        point.fits_flash, point.fits_ram, point.fits = bool(est["fitsFlash"]), bool(est["fitsRam"]), bool(est["fits"])
        report = converted.evaluate(X_test, y_test)
        point.agreement = report.label_agreement
        point.accuracy = report.device_accuracy
        point.reference_accuracy = report.reference_accuracy
        if converted.ir["task"] == "regression" and y_test is not None:
            device = np.asarray(report.device_values, dtype=np.float64).reshape(len(X_test), -1)
            truth = np.asarray(y_test, dtype=np.float64).reshape(len(X_test), -1)
            point.rmse = float(np.sqrt(np.mean((device - truth) ** 2)))
    except TinyMLError as exc:
        point.error = str(exc)
    return point


def sweep(
    model_or_candidates: Any,
    X: Any,
    y: Any = None,
    *,
    target: str = "cortex-m0plus",
    flash_budget: int | None = None,
    ram_budget: int | None = None,
    param_grid: Any = None,
    dtypes: Any = None,
    strategies: Any = None,
    leaf_dtypes: Any = None,
    X_test: Any = None,
    y_test: Any = None,
    test_size: float = 0.25,
    random_state: int | None = 0,
    metric: str | None = None,
    n_jobs: int | None = None,
) -> SweepResult:
    """Tries every candidate model with every export option on ``target``.

    ``model_or_candidates``: a fitted model (its export options are swept), a list or
    {name: estimator} dict of fitted or unfitted estimators, or one unfitted estimator with
    ``param_grid`` (as scikit-learn's ParameterGrid). Unfitted ones are fitted on the
    training data: ``X, y`` when ``X_test`` is given, else a ``test_size`` split of them.
    ``dtypes`` / ``strategies`` / ``leaf_dtypes`` narrow the export options (default: all
    that the compiler offers each model). ``flash_budget`` / ``ram_budget`` (bytes) default
    to the target profile's part. ``metric``: "accuracy" (default with labels), "agreement"
    (the device against the model itself), "rmse" (default for regressors).
    ``n_jobs`` as in joblib; the backend is joblib's current one (``parallel_config``).
    """
    import joblib  # noqa: PLC0415 - a scikit-learn dependency

    if metric is not None and metric not in METRICS:
        raise InvalidInputError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    profiles = {t["id"]: t for t in _target_profiles()}
    if target not in profiles:
        raise InvalidInputError(f"unknown target {target!r}; use one of {', '.join(profiles)}")
    for value, what in ((flash_budget, "flash_budget"), (ram_budget, "ram_budget")):
        if value is not None and (not isinstance(value, (int, np.integer)) or value <= 0):
            raise InvalidInputError(f"{what} must be a positive number of bytes, got {value!r}")
    train, test = _split(X, y, X_test, y_test, test_size, random_state)
    candidates = _candidates(model_or_candidates, param_grid)

    parallel = joblib.Parallel(n_jobs=n_jobs)
    unfitted = [k for k, (_, _, m) in enumerate(candidates) if not _is_fitted(m)]
    fitted = parallel(joblib.delayed(_fit)(candidates[k][2], *train) for k in unfitted)
    models = [m for _, _, m in candidates]
    for k, m in zip(unfitted, fitted):
        models[k] = m

    budgets = {"flash_budget": flash_budget, "ram_budget": ram_budget}
    tasks = []
    for (name, params, _), model in zip(candidates, models):
        ir = read_ir(model, *train)
        for options, option in _export_options(ir, dtypes, strategies, leaf_dtypes):
            tasks.append((name, params, model, options, option))
    if not tasks:
        raise InvalidInputError("no export options left: check dtypes, strategies and leaf_dtypes")
    points = parallel(joblib.delayed(_evaluate)(name, params, model, options, option, train, test, target, budgets)
                      for name, params, model, options, option in tasks)

    task = next((p for p in points if p.error is None), None)
    if metric is None:
        metric = "rmse" if task is not None and task.rmse is not None else (
            "accuracy" if task is not None and task.accuracy is not None else "agreement")
    result = SweepResult(
        target=target, metric=metric,
        flash_budget=int(flash_budget if flash_budget is not None else profiles[target]["flashBytes"]),
        ram_budget=int(ram_budget if ram_budget is not None else profiles[target]["ramBytes"]),
        points=list(points),
    )
    result.front = pareto_front(result.points, metric)
    return result


def _target_profiles() -> list[dict[str, Any]]:
    """The compiler's target profiles (src/core/estimate/targets.ts)."""
    return _engine.call("targetProfiles")["targets"]


def _rows(X: Any, y: Any, what: str, what_y: str) -> np.ndarray:
    """X as an array of at least one row, and y (if given) one label per row: checked here,
    before scikit-learn's fit or split is asked about them."""
    X = np.asarray(X)
    if X.ndim == 0 or len(X) == 0:
        raise InvalidInputError(f"{what} has no rows (shape {X.shape}); sweep fits and compares the models on its "
                                "rows: pass at least one row")
    if y is not None and np.ndim(y) >= 1 and len(y) != len(X):
        raise InvalidInputError(f"{what_y} has {len(y)} labels for {len(X)} rows of {what}")
    return X


def _split(X: Any, y: Any, X_test: Any, y_test: Any, test_size: float, random_state: int | None) -> tuple[tuple, tuple]:
    X = _rows(X, y, "X", "y")
    y = None if y is None else np.asarray(y)
    if X_test is not None:
        return (X, y), (_rows(X_test, y_test, "X_test", "y_test"), None if y_test is None else np.asarray(y_test))
    from sklearn.model_selection import train_test_split  # noqa: PLC0415

    arrays = (X,) if y is None else (X, y)
    try:
        parts = train_test_split(*arrays, test_size=test_size, random_state=random_state)
    except ValueError as exc:  # too few rows for test_size, a test_size out of range
        raise InvalidInputError(f"cannot hold out test_size={test_size!r} of the {len(X)} rows of X ({exc}); "
                                "pass more rows, another test_size, or X_test and y_test") from None
    if y is None:
        return (parts[0], None), (parts[1], None)
    X_train, X_hold, y_train, y_hold = parts
    return (X_train, y_train), (X_hold, y_hold)


__all__ = ["SweepPoint", "SweepResult", "pareto_front", "sweep"]
