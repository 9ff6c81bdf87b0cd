#!/usr/bin/env python3
"""The tool chain on large forests: how long convert takes and how much memory it peaks at,
and the fixed and per-row cost of running the device (the C runtime's WebAssembly build in
the embedded V8) from Python, next to scikit-learn's own predict on the same rows.

    python bench/toolchain/run.py            # a 500-tree digits forest and a 2,000-tree regressor
    python bench/toolchain/run.py --quick    # the digits forest and a 400-tree regressor

Each model is measured in a fresh Python process, so its peak resident memory (ru_maxrss:
Python, the IR, the V8 heap and the header together) belongs to that model alone. Figures are
wall-clock seconds on whatever else this machine is doing: a benchmark, not a test.

The second table holds issue 17's toolchain goals, each beside scikit-learn's predict on the
same rows: convert (goal <= 1 s for a 200k-node forest; the fresh process's first call, so
V8's start and warm-up are in it), the fixed cost of a device run from Python (goal <= 50 ms:
predict_device on one row, median of 21 after the first) and tree walks per second of the
WebAssembly runtime (goal >= 20 M: rows x trees / seconds of one run on WALK_ROWS_MIN rows or
more) in the embedded V8 (through predict_device, transfers included), in Node and in Chromium
(walks.js on the same bundle, IR and rows; headless /usr/bin/chromium, when installed).

From 64 rows up the device runs a forest in blocks of 64 rows, tree by tree, through a
branch-free walk table (forest.h, tml_forest_raw_rows; the same bits as row by row; quantized
forests too since 2026-12-04, on each block's rows quantized once: an int16 digits_rf500 with
uint8 leaves on 360 rows 21 -> 7 ms in Node). --quick at
8a7c39a against its parent, one after the other on 2 cores shared with other jobs (load ~5.5),
walks/s before -> after: digits_rf500 V8 3.5M -> 5.9M, Node 4.1M -> 10.6M, Chromium 6.4M ->
17.4M; synthetic_rf400_d25 V8 0.9M -> 1.9M, Node 1.6M -> 3.0M, Chromium 1.2M -> 4.0M. On a quieter
machine (load ~2) the same wasm run gave 19-25M in Node.

The embedded V8 trailed Node (8.3M at load ~1): mini-racer runs V8 --single-threaded, which
never tiers WebAssembly up from Liftoff (tier-up runs on background threads). With
--no-liftoff (tinyml_lab/_engine.py, V8_FLAGS), --quick at load ~1, digits_rf500: V8 21.6M,
Node 23.3M, Chromium 24.7M walks/s (all three >= 20M); convert 0.62 s; 1-row call 3.9 -> 2.4 ms.
synthetic_rf400_d25 (1.2M nodes, depth 25: a 20 MB table that misses the caches): V8 3.3M -> 6.6M."""
from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
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
#: walks/s are measured on at least this many rows (the data set's rows repeated)
WALK_ROWS_MIN = 20000
BUNDLE = HERE.parent.parent / "tinyml_lab" / "js" / "tinyml_core.js"
CHROMIUM = "/usr/bin/chromium"


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
    model.predict(rows)
    result["sklearn_predict_s"] = time.perf_counter() - t
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["model_mb"] = (before / 1024)  # the process before convert: Python, scikit-learn, the model

    one = rows[:1]
    result["one_row_ms"] = 1000 * statistics.median(_seconds(lambda: converted.predict_device(one)) for _ in range(21))
    result["sklearn_one_row_ms"] = 1000 * statistics.median(_seconds(lambda: model.predict(one)) for _ in range(5))
    many = np.tile(X.astype(np.float32), (-(-WALK_ROWS_MIN // len(X)), 1))
    walks = len(many) * len(model.estimators_)
    result["walk_rows"] = len(many)
    result["v8_walks_per_s"] = walks / min(_seconds(lambda: converted.predict_device(many)) for _ in range(2))
    result["sklearn_walks_per_s"] = walks / _seconds(lambda: model.predict(many))
    # what Node and Chromium run: the same IR and rows, written beside the fitted model
    (cache / f"{name}.ir.json").write_text(json.dumps(converted.ir))
    many.tofile(cache / f"{name}.rows.f32")
    result["n_features"] = int(X.shape[1])
    return result


def _seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def node_walks(name: str, cache: Path, n_features: int) -> dict | None:
    """walks.js in Node, or None without node."""
    if shutil.which("node") is None:
        return None
    done = subprocess.run(["node", "--max-old-space-size=4096", str(HERE / "walks.js"), str(BUNDLE),
                           str(cache / f"{name}.ir.json"), str(cache / f"{name}.rows.f32"), str(n_features)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def chromium_walks(name: str, cache: Path, n_features: int) -> dict | None:
    """walks.js in a page of headless Chromium (the bundle, IR and rows inline), or None
    without Chromium. The page writes its result into the DOM, which --dump-dom prints."""
    if not Path(CHROMIUM).exists():
        return None
    rows = base64.b64encode((cache / f"{name}.rows.f32").read_bytes()).decode("ascii")
    page = "\n".join([
        "<html><body><script>", BUNDLE.read_text(), "</script><script>", (HERE / "walks.js").read_text(),
        f"const IR = {(cache / f'{name}.ir.json').read_text()};",
        f"const ROWS = TinyMLCore.base64ToBytes('{rows}');",
        "let result;",
        f"try {{ result = measureWalks(TinyMLCore, IR, new Float32Array(ROWS.slice().buffer), {n_features}); }}",
        "catch (e) { result = {error: String(e)}; }",
        "document.body.textContent = 'RESULT ' + JSON.stringify(result);",
        "</script></body></html>"])
    with tempfile.TemporaryDirectory() as folder:
        html = Path(folder) / "walks.html"
        html.write_text(page)
        done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={folder}",
                               "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=600)
    found = [line for line in done.stdout.split("RESULT ")[1:]]
    if not found:
        raise RuntimeError(f"chromium gave no result: {done.stderr[-500:]}")
    result = json.loads(found[0].split("<")[0].strip())
    if "error" in result:
        raise RuntimeError(f"chromium: {result['error']}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 400-tree regressor instead of 2,000 trees")
    parser.add_argument("--workdir", default=str(HERE / ".cache"), help="fitted models are kept here")
    parser.add_argument("--json", help="write the measurements here")
    parser.add_argument("--no-chromium", action="store_true", help="leave Chromium out")
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
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["node"] = node_walks(name, cache, result["n_features"])
        result["chromium"] = chromium_walks(name, cache, result["n_features"]) if not args.no_chromium else None
        results.append(result)
    rows = [[r["model"], fmt_int(r["nodes"]), f"{r['convert_s']:.2f}", f"{r['header_mb']:.1f}",
             f"{r['peak_mb']:.0f}", f"{(r['peak_mb'] - r['model_mb']) * 1e6 / r['nodes']:.0f}",
             f"{r['evaluate_s']:.2f}", f"{r['evaluate_s'] / r['sklearn_predict_s']:.1f}x"] for r in results]
    print_table(["model", "nodes", "convert s", "header MB", "peak MB", "bytes/node", f"evaluate {EVAL_ROWS} s",
                 "vs sklearn predict"], rows)
    print("peak MB: the process's peak resident memory; bytes/node: what convert and evaluate added to the "
          "process (peak minus before convert) per stored node\n")

    def walks(r: dict, where: str) -> str:
        measured = r[where] if where != "v8" else {"walks_per_s": r["v8_walks_per_s"]}
        if measured is None:
            return "-"
        return f"{measured['walks_per_s'] / 1e6:.1f}M ({measured['walks_per_s'] / r['sklearn_walks_per_s']:.1f}x)"

    goals = [[r["model"], f"{r['convert_s']:.2f} ({r['convert_s'] / r['sklearn_predict_s']:.1f}x)",
              f"{r['one_row_ms']:.1f} ({r['one_row_ms'] / r['sklearn_one_row_ms']:.3f}x)",
              walks(r, "v8"), walks(r, "node"), walks(r, "chromium"),
              f"{r['sklearn_walks_per_s'] / 1e6:.2f}M"] for r in results]
    print_table(["model", "convert s (goal <= 1)", "1-row device call ms (<= 50)", "walks/s V8 (>= 20M)",
                 "walks/s Node", "walks/s Chromium", "sklearn walks/s"], goals)
    print(f"(x): convert against sklearn's predict on {EVAL_ROWS} rows, the 1-row call against sklearn's predict on "
          "the same row, walks/s against sklearn's predict on the same rows (rows x trees / seconds, "
          f"{results[0]['walk_rows'] if results else 0}+ rows); Chromium: "
          + ("headless /usr/bin/chromium" if Path(CHROMIUM).exists() and not args.no_chromium else "not measured"))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
