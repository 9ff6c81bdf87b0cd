#!/usr/bin/env python3
"""Measures what the AVR profile's flash and RAM estimates model (src/core/estimate/targets.ts
and each family's codeFactor, the avr8 column of LibraryBytes): every header of
tests/python/test_estimates_calibration.py linked into an empty ATmega328P firmware with
avr-gcc -Os, avr-libc, --gc-sections (tests/python/avr_probe.py), split into the model's own
bytes and the C library's, and its static RAM (the descriptors avr-gcc copies to RAM).

    python bench/avr/fit_code_size.py [--only case,case] [--json out.json]

Per case it prints the code factor over the Cortex-M4F estimate's code that the measured AVR
code implies ((model bytes - table bytes) / M4F code), the library bytes against the
estimate's, the static RAM against the estimate's descriptors, and the estimate's error; then
per family key the implied factors. Cases whose table passes AVR's 32 KB object limit are
listed as not built."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "bench" / "avr"))

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine  # noqa: E402

CODE_ITEMS = ("evaluator code", "inline tree code", "runtime code", "preprocessing")
COPIED = "descriptors copied to RAM (not PROGMEM)"


def measure(case: str, entry, work: Path) -> dict | None:
    from avr_probe import measure_avr  # noqa: PLC0415

    model, options, call = entry
    converted = tinyml_lab.convert(model, **options)
    try:
        avr = measure_avr(converted, converted.ir["n_features"], call, work)
    except subprocess.CalledProcessError as failed:  # a table over 32 KB: no AVR object holds it
        reason = next((line for line in failed.stderr.splitlines() if "error" in line), failed.stderr[-200:])
        print(f"{case}: not built for AVR: {reason.split('error: ')[-1]}", flush=True)
        return None
    estimates = {e["target"]: e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]}
    est, m4f = estimates["avr"], estimates["cortex-m4f"]
    code = sum(i["bytes"] for i in m4f["flash"] if i["name"] in CODE_ITEMS)
    tables = sum(i["bytes"] for i in est["flash"]
                 if i["name"] not in CODE_ITEMS and not i["name"].startswith("C library"))
    libs = sum(i["bytes"] for i in est["flash"] if i["name"].startswith("C library"))
    ram = sum(i["bytes"] for i in est["ram"] if i["name"] == COPIED)
    return {"case": case, "model": avr["model"], "libs": avr["libs"], "ram": avr["ram"], "m4f_code": code,
            "tables": tables, "estimate_libs": libs, "estimate_ram": ram, "estimate": est["flashBytes"],
            "measured": avr["flash"]}


def main() -> None:
    from fit_cycles import arguments  # noqa: PLC0415 - the AVR fits' command line
    from test_estimates_calibration import CASES  # noqa: PLC0415 - the calibration headers, one source

    args = arguments(__doc__)
    rows = []
    groups = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="avr_size_") as tmp:
        for case in [c for c in args.only.split(",") if c] or sorted(CASES):
            r = measure(case, CASES[case], Path(tmp))
            if r is None:
                continue
            rows.append(r)
            implied = (r["model"] - r["tables"]) / max(r["m4f_code"], 1)
            groups[case.rsplit("-", 1)[0] if case.startswith(("forest", "small", "digits")) else case].append(implied)
            print(f"{case}: AVR model {r['model']} B (tables {r['tables']}, M4F code {r['m4f_code']}: implied "
                  f"factor {implied:.2f}), libs {r['libs']} B (estimate {r['estimate_libs']}), static RAM "
                  f"{r['ram']} B (estimate {r['estimate_ram']}); flash estimate {r['estimate']} B vs "
                  f"{r['measured']} B ({(r['estimate'] - r['measured']) / r['measured']:+.1%})", flush=True)
    for key, values in groups.items():
        print(f"{key}: implied code factor {min(values):.2f}-{max(values):.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
