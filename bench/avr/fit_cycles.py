#!/usr/bin/env python3
"""Fits the AVR profile's cycle prices (src/core/estimate/profiles.ts, AVR_CYCLES) to simavr:
every model of tests/python/test_avr.py and every case of tests/python/test_cycles_calibration.py
that fits an ATmega328P is exported as an atmega328p bundle, run in simavr at 16 MHz
(tinyml_lab.simavr.run_in_simavr, cycles per inference from Timer1), and the mean cycles per
inference are fitted by least squares (relative error) to the estimate's Cortex-M4F operations:
AVR cycles = a * integer instructions + b * float arithmetic + k * tree split compares
+ c * math calls (the cycle prices of the AVR profile).

    python bench/avr/fit_cycles.py [--only case,case] [--json out.json]

Prints one line per case (operations, simavr cycles, the current estimate), the cases that do
not fit the part (their bundle does not link), the fit and each case under it. Needs avr-gcc,
avr-libc and simavr."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "bench" / "rv32"))

from fit_instructions import terms  # noqa: E402 - the same operation terms as RV32's fit

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine, simavr  # noqa: E402
from tinyml_lab.bundle import ToolchainError  # noqa: E402


def avr_cases() -> dict:
    """case -> builder returning (model, X, options): test_avr's models, then the cycle
    calibration's (most of which fit the part with their ten vectors)."""
    import test_avr  # noqa: PLC0415 - the AVR models, one source
    import test_cycles_calibration  # noqa: PLC0415 - the calibration cases, one source

    def without_labels(builder):
        def build():
            model, X, _, options = builder()
            return model, X, options
        return build

    cases = {f"avr/{name}": without_labels(builder) for name, (builder, _) in test_avr.CASES.items()}
    cases.update({name: builder for name, (builder, _) in test_cycles_calibration.CASES.items()})
    return cases


def measure(case: str, builder, work: Path) -> dict | None:
    model, X, options = builder()
    converted = tinyml_lab.convert(model, name=case.replace("/", "_"), **options)
    try:
        run = simavr.run_in_simavr(converted.save_bundle(work / case.replace("/", "_"), X, target="atmega328p").path)
    except (ToolchainError, subprocess.CalledProcessError) as failed:
        print(f"{case}: not built for the ATmega328P ({str(failed).splitlines()[-1][:120]})", flush=True)
        return None
    if not run.passed:  # e.g. a network whose arena does not fit 2 KB of RAM
        failure = next((line for line in run.console.splitlines() if "failed" in line), "RESULT FAIL")
        print(f"{case}: does not run on the ATmega328P ({failure})", flush=True)
        return None
    avr = next(e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]
               if e["target"] == "avr")
    return {"case": case, "operations": avr["operations"], "estimate": avr["cycles"],
            "simavr": float(np.mean(run.cycles))}


def fit(rows: list[dict]) -> np.ndarray:
    """The prices minimising the relative error (each row divided by its measured count), none
    negative: unconstrained, a split's compare comes out at -8 cycles, the integer price taking
    up what the compare's other instructions cost."""
    from scipy.optimize import nnls  # noqa: PLC0415 - scikit-learn's dependency

    ops = np.array([terms(r["operations"]) for r in rows], dtype=float)
    measured = np.array([r["simavr"] for r in rows])
    coefficients, _ = nnls(ops / measured[:, None], np.ones(len(rows)))
    return coefficients


def arguments(doc: str) -> argparse.Namespace:
    """--only case,case and --json out.json, as the AVR fits take them (warnings silenced)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--json")
    warnings.filterwarnings("ignore")
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__)
    cases = avr_cases()
    names = [c for c in args.only.split(",") if c] or list(cases)
    rows = []
    with tempfile.TemporaryDirectory(prefix="avr_fit_") as tmp:
        for case in names:
            row = measure(case, cases[case], Path(tmp))
            if row is None:
                continue
            rows.append(row)
            print(f"{case}: ops {row['operations']}, simavr {row['simavr']:.0f}, estimate {row['estimate']} "
                  f"({(row['estimate'] - row['simavr']) / row['simavr']:+.1%})", flush=True)
    prices = fit(rows)
    a, b, k, c = prices
    print(f"fit: {a:.2f} cycles per integer instruction, {b:.1f} per float op, {k:.1f} per split compare, "
          f"{c:.0f} per math call")
    for r in rows:
        fitted = float(np.dot(terms(r["operations"]), prices))
        error = (fitted - r["simavr"]) / r["simavr"]
        print(f"  {r['case']}: simavr {r['simavr']:.0f}, fitted {fitted:.0f} ({error:+.1%}), "
              f"current estimate {(r['estimate'] - r['simavr']) / r['simavr']:+.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "fit": prices.tolist()}, indent=1))


if __name__ == "__main__":
    main()
