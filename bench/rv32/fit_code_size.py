#!/usr/bin/env python3
"""Measures what the ESP32-C3 profile's flash estimate models (src/core/estimate/targets.ts and
each family's codeFactor): every header of tests/python/test_estimates_calibration.py linked
with riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -Os, picolibc, --gc-sections
(tests/python/size_probe.py), split into the model's own bytes and the C library's, next to
the Cortex-M3 (Thumb-2 soft float) link of the same header.

    python bench/rv32/fit_code_size.py [--only case,case] [--json out.json]

Per case it prints the code factor over the Cortex-M4F estimate's code that the measured
RV32 code implies ((model bytes - table bytes) / M4F code), the library bytes over the M3's,
and the current estimate's error; then per family key the mean implied factor."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine  # noqa: E402

CODE_ITEMS = ("evaluator code", "inline tree code", "runtime code", "preprocessing")


def measure(case: str, entry, work: Path) -> dict:
    from size_probe import measure_linked  # noqa: PLC0415

    model, options, call = entry
    converted = tinyml_lab.convert(model, **options)
    n = converted.ir["n_features"]
    rv = measure_linked(converted, n, call, "esp32-c3", work)
    m3 = measure_linked(converted, n, call, "cortex-m3", work)
    estimates = {e["target"]: e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]}
    esp, m4f = estimates["esp32-c3"], estimates["cortex-m4f"]
    code = sum(i["bytes"] for i in m4f["flash"] if i["name"] in CODE_ITEMS)
    tables = sum(i["bytes"] for i in esp["flash"]
                 if i["name"] not in CODE_ITEMS and not i["name"].startswith("C library"))
    return {"case": case, "rv_model": rv["model"], "rv_libs": rv["libs"], "m3_libs": m3["libs"],
            "m4f_code": code, "tables": tables, "estimate": esp["flashBytes"], "measured": rv["flash"]}


def main() -> None:
    from test_estimates_calibration import CASES  # noqa: PLC0415 - the calibration headers, one source

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    groups = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="rv32_size_") as tmp:
        for case in [c for c in args.only.split(",") if c] or sorted(CASES):
            r = measure(case, CASES[case], Path(tmp))
            rows.append(r)
            implied = (r["rv_model"] - r["tables"]) / max(r["m4f_code"], 1)
            groups[case.split("-")[0]].append(implied)
            print(f"{case}: RV32 model {r['rv_model']} B (tables {r['tables']}, M4F code {r['m4f_code']}: "
                  f"implied factor {implied:.2f}), libs {r['rv_libs']} B vs M3 {r['m3_libs']} B; estimate "
                  f"{r['estimate']} B vs {r['measured']} B ({(r['estimate'] - r['measured']) / r['measured']:+.1%})",
                  flush=True)
    for key, values in groups.items():
        print(f"{key}: implied code factor {min(values):.2f}-{max(values):.2f}, mean {sum(values) / len(values):.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
