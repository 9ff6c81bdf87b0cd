#!/usr/bin/env python3
"""The README's targets table: the getting-started forest (notebooks/getting_started_trees:
breast_cancer, RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0), float32,
tables) measured on the cores with an emulator here.

    python bench/rv32/getting_started.py

flash: what the model adds to an empty firmware, its code and tables plus the C library code
one prediction pulls in (tests/python/size_probe.py: gcc -Os, --gc-sections; newlib nano on
Arm, picolibc on RV32; tests/python/avr_probe.py: avr-gcc, avr-libc, tables in program memory
on AVR). static RAM: the same link's .data + .bss of the model. Per prediction: the mean over
the notebook's test rows of QEMU's instruction count (tinyml_lab.bundle.run_in_qemu) or, on
the ATmega328P, of simavr's cycle count (tinyml_lab.simavr.run_in_simavr: the first
AVR_ROWS test rows, as 171 rows of 30 floats do not fit its 32 KB of flash beside the model),
every row checked against scikit-learn; next to it the estimate. The stack is the estimate's
(the bundles do not paint the stack)."""
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
from tinyml_lab import _engine, bundle, simavr  # noqa: E402

#: profile id -> bundle target
CORES = {"cortex-m4f": "cortex-m4f", "esp32-c3": "rv32imc", "avr": "atmega328p"}
#: Test rows the ATmega328P bundle carries (its flash holds the model and these).
AVR_ROWS = 40


def agreeing(run, target: str, rows: int):
    sklearn = run.line("scikit-learn")
    if not run.passed or sklearn.labels_equal != rows:
        raise SystemExit(f"{target}: the harness disagrees with scikit-learn:\n{run.console}")
    return run


def main() -> None:
    from avr_probe import measure_avr  # noqa: PLC0415
    from size_probe import CLASSIFY, measure_linked  # noqa: PLC0415

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(X_train, y_train)
    converted = tinyml_lab.convert(model)  # named "model", as size_probe's main calls it
    estimates = {e["target"]: e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]}
    print("| core | flash (estimate) | static RAM | stack (estimate) | per prediction (estimate) | rows agreeing |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory(prefix="getting_started_") as tmp:
        work = Path(tmp)
        for profile, target in CORES.items():
            estimate = estimates[profile]
            if target == "atmega328p":
                size = measure_avr(converted, X.shape[1], CLASSIFY, work)
                rows = AVR_ROWS
                run = agreeing(simavr.run_in_simavr(
                    converted.save_bundle(work / target, X_test[:rows], y_test[:rows], target=target).path),
                    target, rows)
                cost = f"{sum(run.cycles) / len(run.cycles):,.0f} cycles ({estimate['cycles']:,})"
                stack = sum(i["bytes"] for i in estimate["ram"] if not i["name"].startswith("descriptors"))
            else:
                size = measure_linked(converted, X.shape[1], CLASSIFY, profile, work)
                rows = len(X_test)
                run = agreeing(bundle.run_in_qemu(
                    converted.save_bundle(work / target, X_test, y_test, target=target).path), target, rows)
                counted = estimate["instructions"] or estimate["m4fInstructions"]
                cost = f"{run.mean_instructions:,.0f} instructions ({counted:,})"
                stack = estimate["ramBytes"]
            print(f"| {profile} | {size['flash']:,} B ({estimate['flashBytes']:,} B) | {size['ram']} B | {stack:,} B "
                  f"| {cost} | {rows}/{rows} |")


if __name__ == "__main__":
    main()
