#!/usr/bin/env python3
"""The tool chain on large forests: how long convert takes and how much memory it peaks at,
and the fixed and per-row cost of running the device (the C runtime's WebAssembly build in
the embedded V8) from Python, next to scikit-learn's own predict on the same rows.

    python bench/toolchain/run.py            # a 500-tree digits forest and a 2,000-tree regressor
    python bench/toolchain/run.py --quick    # the digits forest and a 400-tree regressor

Each model is measured in a fresh Python process, so its peak resident memory (ru_maxrss:
Python, the IR, the V8 heap and the header together) belongs to that model alone. Figures are
wall-clock seconds on whatever else this machine is doing: a benchmark, not a test."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "common"))

from tables import fmt_int, print_table  # noqa: E402

#: name -> (estimator, data set, n_estimators, max_depth); the regressor is the issue's 4.6M-node case
MODELS = {
    "digits_rf500": ("RandomForestClassifier", "digits", 500, None),
    "synthetic_rf2000_d25": ("RandomForestRegressor", "synthetic", 2000, 25),
}
QUICK = {"digits_rf500": MODELS["digits_rf500"], "synthetic_rf400_d25": ("RandomForestRegressor", "synthetic", 400, 25)}
EVAL_ROWS = 200


def measure(name: str, spec: tuple, cache: Path) -> dict:
    """Runs in a child process: fits (or loads) the model, then times each step."""
    import pickle
    import resource

    import numpy as np
    from sklearn import ensemble
    from sklearn.datasets import load_digits

    import tinyml_lab

    estimator, data, n_estimators, max_depth = spec
    if data == "digits":
        X, y = load_digits(return_X_y=True)
    else:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(2400, 20))
        y = X[:, 0] * 3 + np.sin(X[:, 1] * 2) + rng.normal(scale=0.3, size=len(X))
    path = cache / f"{name}.pkl"
    if path.exists():
        model = pickle.loads(path.read_bytes())
    else:
        model = getattr(ensemble, estimator)(n_estimators=n_estimators, max_depth=max_depth, random_state=0,
                                             n_jobs=-1).fit(X, y)
        path.write_bytes(pickle.dumps(model))
    rows = X[:EVAL_ROWS].astype(np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"model": name, "nodes": int(sum(e.tree_.node_count for e in model.estimators_))}
    t = time.perf_counter()
    converted = tinyml_lab.convert(model)
    result["convert_s"] = time.perf_counter() - t
    result["header_mb"] = len(converted.header) / 1e6
    t = time.perf_counter()
    converted.evaluate(rows)
    result["evaluate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    converted.predict_device(rows[:1])
    result["one_row_s"] = time.perf_counter() - t
    t = time.perf_counter()
    model.predict(rows)
    result["sklearn_predict_s"] = time.perf_counter() - t
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["model_mb"] = (before / 1024)  # the process before convert: Python, scikit-learn, the model
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 400-tree regressor instead of 2,000 trees")
    parser.add_argument("--workdir", default=str(HERE / ".cache"), help="fitted models are kept here")
    parser.add_argument("--json", help="write the measurements here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cache = Path(args.workdir)
    cache.mkdir(parents=True, exist_ok=True)
    models = QUICK if args.quick else MODELS
    if args.child:
        print(json.dumps(measure(args.child, models[args.child], cache)))
        return 0
    results = []
    for name in models:
        done = subprocess.run([sys.executable, __file__, "--child", name, "--workdir", str(cache),
                               *(["--quick"] if args.quick else [])], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{name}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            return 1
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows = [[r["model"], fmt_int(r["nodes"]), f"{r['convert_s']:.2f}", f"{r['header_mb']:.1f}",
             f"{r['peak_mb']:.0f}", f"{(r['peak_mb'] - r['model_mb']) * 1e6 / r['nodes']:.0f}",
             f"{r['evaluate_s']:.2f}", f"{r['one_row_s'] * 1000:.0f}",
             f"{r['evaluate_s'] / r['sklearn_predict_s']:.0f}x"] for r in results]
    print_table(["model", "nodes", "convert s", "header MB", "peak MB", "bytes/node", f"evaluate {EVAL_ROWS} s",
                 "1-row call ms", "vs sklearn predict"], rows)
    print("peak MB: the process's peak resident memory; bytes/node: what convert and evaluate added to the "
          "process (peak minus before convert) per stored node")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
