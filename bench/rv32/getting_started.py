#!/usr/bin/env python3
"""The README's targets table: the getting-started forest (notebooks/getting_started_trees:
breast_cancer, RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0), float32,
tables) measured on the cores with an emulator here.

    python bench/rv32/getting_started.py

flash: what the model adds to an empty firmware, its code and tables plus the C library code
one prediction pulls in (tests/python/size_probe.py: gcc -Os, --gc-sections; newlib nano on
Arm, picolibc on RV32). static RAM: the same link's .data + .bss of the model. instructions:
the mean per prediction over the notebook's test rows, from QEMU's trace of the export bundle
(tinyml_lab.bundle.run_in_qemu), every row checked against scikit-learn. The stack is the
estimate's (the bundle does not paint the stack)."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine, bundle  # noqa: E402

#: profile id -> bundle target
CORES = {"cortex-m4f": "cortex-m4f", "esp32-c3": "rv32imc"}


def main() -> None:
    from size_probe import CLASSIFY, measure_linked  # noqa: PLC0415

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(X_train, y_train)
    converted = tinyml_lab.convert(model)  # named "model", as size_probe's main calls it
    estimates = {e["target"]: e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]}
    print("| core | flash (model and C library) | static RAM | stack (estimate) | instructions per prediction |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory(prefix="getting_started_") as tmp:
        work = Path(tmp)
        for profile, target in CORES.items():
            size = measure_linked(converted, X.shape[1], CLASSIFY, profile, work)
            run = bundle.run_in_qemu(converted.save_bundle(work / target, X_test, y_test, target=target).path)
            sklearn = run.line("scikit-learn")
            if not run.passed or sklearn.labels_equal != len(X_test):
                raise SystemExit(f"{target}: the harness disagrees with scikit-learn:\n{run.console}")
            print(f"| {profile} | {size['flash']:,} B | {size['ram']} B "
                  f"| {estimates[profile]['ramBytes']:,} B | {run.mean_instructions:,.0f} "
                  f"(estimate {estimates[profile]['instructions'] or estimates[profile]['m4fInstructions']:,}) |")


if __name__ == "__main__":
    main()
