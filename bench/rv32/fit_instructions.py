#!/usr/bin/env python3
"""Fits the RV32IMC instruction model of the ESP32-C3 profile (src/core/estimate/profiles.ts,
ownInstructions) to QEMU: every case of tests/python/test_cycles_calibration.py is exported as
an rv32imc bundle, run in qemu-system-riscv32 -M virt (tinyml_lab.bundle.run_in_qemu), and the
mean instructions per inference are fitted by least squares (relative error) to the estimate's
Cortex-M4F operations: RV32 = a * integer instructions + b * float arithmetic + k * tree split
compares + d * a generated predict's leaf adds + c * math calls (OwnInstructions in profiles.ts).

    python bench/rv32/fit_instructions.py [--only case,case] [--json out.json]

Prints one line per case (operations, QEMU count, the fitted and the current estimate) and the
fit. Needs riscv64-unknown-elf-gcc, picolibc-riscv64-unknown-elf and qemu-system-riscv32."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine, bundle  # noqa: E402


def measure(case: str, builder, work: Path) -> dict:
    model, X, options = builder()
    converted = tinyml_lab.convert(model, name=case, **options)
    run = bundle.run_in_qemu(converted.save_bundle(work / case, X, target="rv32imc").path)
    if not run.passed:
        raise SystemExit(f"{case}: the rv32imc harness failed:\n{run.console}")
    estimates = {e["target"]: e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]}
    esp = estimates["esp32-c3"]
    return {"case": case, "operations": esp["operations"], "estimate": esp["instructions"],
            "qemu": run.mean_instructions}


def terms(o: dict) -> list[float]:
    """The operations as the fit prices them: integer instructions, float arithmetic, split
    compares, a generated predict's leaf adds, math calls."""
    compares, adds = o.get("floatCompares", 0), o.get("leafAdds", 0)
    return [o["instructions"] - o["floatOps"], o["floatOps"] - compares - adds, compares, adds, o["mathCalls"]]


def fit(rows: list[dict]) -> np.ndarray:
    """The prices minimising the relative error: each row divided by its measured count."""
    ops = np.array([terms(r["operations"]) for r in rows], dtype=float)
    measured = np.array([r["qemu"] for r in rows])
    coefficients, *_ = np.linalg.lstsq(ops / measured[:, None], np.ones(len(rows)), rcond=None)
    return coefficients


def main() -> None:
    from test_cycles_calibration import CASES  # noqa: PLC0415 - the calibration cases, one source

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--json")
    args = parser.parse_args()
    names = [c for c in args.only.split(",") if c] or list(CASES)
    rows = []
    with tempfile.TemporaryDirectory(prefix="rv32_fit_") as tmp:
        for case in names:
            rows.append(measure(case, CASES[case][0], Path(tmp)))
            r = rows[-1]
            print(f"{case}: ops {r['operations']}, QEMU {r['qemu']:.0f}, estimate {r['estimate']}", flush=True)
    prices = fit(rows)
    a, b, k, add, c = prices
    print(f"fit: {a:.3f} per integer instruction, {b:.1f} per float op, {k:.1f} per split compare, "
          f"{add:.1f} per leaf add, {c:.0f} per math call")
    for r in rows:
        fitted = float(np.dot(terms(r["operations"]), prices))
        print(f"  {r['case']}: QEMU {r['qemu']:.0f}, fitted {fitted:.0f} ({(fitted - r['qemu']) / r['qemu']:+.1%})"
              + (f", current estimate {(r['estimate'] - r['qemu']) / r['qemu']:+.1%}" if r["estimate"] else ""))
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "fit": prices.tolist()}, indent=1))


if __name__ == "__main__":
    main()
