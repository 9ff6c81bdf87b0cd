#!/usr/bin/env python3
"""How far the AVR (ATmega328P) estimates of src/core/estimate are from avr-gcc and simavr:
the numbers a refit of the AVR profile starts from.

    python bench/size/avr_errors.py [--cycles-only | --flash-only]

Flash: every header of tests/python/test_estimates_calibration.py linked into an empty
ATmega328P firmware with avr-gcc -Os (tests/python/avr_probe.py: the model's flash, tables in
program memory, and its static RAM), against the estimate's flash. Cycles: every model of
tests/python/test_avr.py as an export bundle run in simavr (cycles per inference from Timer1,
mean over its vectors), against the estimate's cycles. Prints one line per model and the worst
and mean |error| of each."""
import argparse
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the working tree's tinyml_lab
sys.path.insert(0, str(HERE.parents[1] / "tests" / "python"))  # the calibration models and the AVR probe

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine, simavr  # noqa: E402


def avr_estimate(converted) -> dict:
    return next(e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]
                if e["target"] == "avr")


def summary(what: str, errors: list) -> None:
    worst = max(errors, key=lambda e: abs(e[1]))
    print(f"{what}: {len(errors)} models, worst {worst[1]:+.1%} ({worst[0]}), "
          f"mean |error| {np.mean([abs(e) for _, e in errors]):.1%}\n")


def flash_errors() -> None:
    from avr_probe import measure_avr  # noqa: PLC0415
    from test_estimates_calibration import CASES  # noqa: PLC0415

    errors = []
    print(f"{'model':44s} {'avr-gcc':>8s} {'static RAM':>10s} {'estimate':>8s} {'error':>7s}")
    for case, (model, options, call) in sorted(CASES.items()):
        converted = tinyml_lab.convert(model, **options)
        with tempfile.TemporaryDirectory() as work:
            try:
                measured = measure_avr(converted, converted.ir["n_features"], call, Path(work))
            except subprocess.CalledProcessError as failed:  # a table over 32 KB: no AVR object holds it
                reason = next(line for line in failed.stderr.splitlines() if "error" in line)
                print(f"{case:44s} not built for AVR: {reason.split('error: ')[-1]}")
                continue
        estimated = avr_estimate(converted)["flashBytes"]
        errors.append((case, (estimated - measured["flash"]) / measured["flash"]))
        print(f"{case:44s} {measured['flash']:8d} {measured['ram']:10d} {estimated:8d} {errors[-1][1]:+7.1%}")
    summary("AVR flash", errors)


def cycle_errors() -> None:
    from test_avr import CASES  # noqa: PLC0415

    errors = []
    print(f"{'model':24s} {'simavr':>9s} {'estimate':>9s} {'error':>7s}")
    for case, (builder, _) in CASES.items():
        model, X, y, options = builder()
        with tempfile.TemporaryDirectory() as work:
            made = tinyml_lab.export_bundle(model, X, y, Path(work) / case, name=case, target="atmega328p",
                                            **options)
            measured = float(np.mean(simavr.run_in_simavr(made.path).cycles))
        estimated = avr_estimate(tinyml_lab.convert(model, name=case, **options))["cycles"]
        errors.append((case, (estimated - measured) / measured))
        print(f"{case:24s} {measured:9.0f} {estimated:9d} {errors[-1][1]:+7.1%}")
    summary("AVR cycles per inference", errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles-only", action="store_true")
    parser.add_argument("--flash-only", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not args.cycles_only:
        flash_errors()
    if not args.flash_only:
        cycle_errors()
    return 0


if __name__ == "__main__":
    sys.exit(main())
