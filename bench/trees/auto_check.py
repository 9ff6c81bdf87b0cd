#!/usr/bin/env python3
"""Does strategy="auto" pick the code form that measures fastest? For every model of a
bench/trees run and every feature type it measured both ways, auto's choice for Cortex-M4F
and for Cortex-M0+ (made from the estimates, src/core/estimate/targets.ts resolveStrategy)
against the instructions per prediction QEMU counted for tables and for inline, among the
forms whose measured flash (model + C library) fits the profile's part.

    python bench/trees/run.py --quick --json results.json \\
        --tools tinyml-f32,tinyml-f32-inline,tinyml-i16,tinyml-i16-inline,tinyml-i8,tinyml-i8-inline
    python bench/trees/auto_check.py results.json

Instructions, not cycles: QEMU counts no cycles, so this checks the ranking on the measured
proxy. It is a benchmark: it prints and never fails."""
import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # run.py: the same models, fitted the same way

import run  # noqa: E402

import tinyml_lab  # noqa: E402 - run.py put the working tree first on sys.path

#: feature type -> (tables tool, inline tool) of tools.py
TOOLS = {"float32": ("tinyml-f32", "tinyml-f32-inline"), "int16": ("tinyml-i16", "tinyml-i16-inline"),
         "int8": ("tinyml-i8", "tinyml-i8-inline")}
#: estimate profile -> (its run.py columns: instructions, flash, C library), part's flash
TARGETS = {"cortex-m4f": ("m4f_ipp", "flash_m4f", "lib_m4f", 512 * 1024),
           "cortex-m0plus": ("m0p_ipp", "flash_m0p", "lib_m0p", 64 * 1024)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="run.py --json output")
    args = parser.parse_args()
    rows = {(r["case"], r["tool"]): r for r in json.loads(Path(args.results).read_text())["rows"]}
    models = {c.name: c.model for c in run.make_cases(quick=False, only=",".join({c for c, _ in rows}))}
    lines, agree, total, worst = [], 0, 0, 1.0
    for name, model in models.items():
        for dtype, (tables_tool, inline_tool) in TOOLS.items():
            measured = {"tables": rows.get((name, tables_tool)), "inline": rows.get((name, inline_tool))}
            if any(r is None or r["m4f_ipp"] is None for r in measured.values()):
                continue
            for target, (ipp, flash, lib, part) in TARGETS.items():
                fits = {s: r[flash] + (r[lib] or 0) <= part for s, r in measured.items()}
                candidates = [s for s in measured if fits[s]] or list(measured)
                best = min(candidates, key=lambda s: measured[s][ipp])
                chosen = tinyml_lab.convert(model, dtype=dtype, strategy="auto", target=target).strategy
                cost = measured[chosen][ipp] / measured[best][ipp]
                agree += chosen == best
                total += 1
                worst = max(worst, cost)
                lines.append(f"{name:>16} {dtype:>8} {target:>14} {chosen:>7} {best:>9} "
                             f"{measured['tables'][ipp]:>12,.0f} {measured['inline'][ipp]:>12,.0f} {cost:>9.2f}x")
    print(f"{'model':>16} {'features':>8} {'target':>14} {'auto':>7} {'measured':>9} "
          f"{'tables instr':>12} {'inline instr':>12} {'auto/best':>10}")
    print("\n".join(lines))
    print(f"auto picked the measured-faster form that fits in {agree} of {total}; "
          f"its worst pick takes {worst:.2f}x the best's instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
