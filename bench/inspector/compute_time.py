#!/usr/bin/env python3
"""How long the Inspector's computation takes, piece by piece, on digits forests.

    python bench/inspector/compute_time.py [--trees 100 500] [--depth 8]

For each forest it writes the widget's state (what tinyml_lab.inspect sends the browser) and
runs compute_time.mjs in Node on the compiler core bundle (tinyml_lab/js/tinyml_core.js: the
same code the Inspector's Web Worker runs). It prints the time of each step and the longest
piece between two pauses (what the page runs at once where there is no worker). Build the core
bundle first (npm run build:core-bundle). A benchmark: it prints, it never fails on a number."""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # the working tree's tinyml_lab, not an installed one

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402

import tinyml_lab  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--depth", type=int, default=8)
    args = parser.parse_args()
    x, y = load_digits(return_X_y=True)
    with tempfile.TemporaryDirectory() as work:
        for n_trees in args.trees:
            model = RandomForestClassifier(n_estimators=n_trees, max_depth=args.depth, random_state=0, n_jobs=1)
            model.fit(x[:1400], y[:1400])
            widget = tinyml_lab.inspect(model, x[1400:1760], y[1400:1760], name="digits")
            state = Path(work) / f"state{n_trees}.json"
            state.write_text(json.dumps({"ir": widget.ir, "options": widget.options, "data": widget.data,
                                         "target": widget.target}))
            print(f"== {n_trees} trees, depth {args.depth}, {len(x[1400:1760])} rows", flush=True)
            subprocess.run(["node", str(HERE / "compute_time.mjs"), str(state)], check=True)


if __name__ == "__main__":
    main()
