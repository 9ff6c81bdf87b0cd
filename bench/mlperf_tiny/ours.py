#!/usr/bin/env python3
"""TinyML Lab's side of the MLPerf Tiny comparison: each int8 .tflite exported by the working
tree's tinyml_lab (dtype="int8": the file's own quantization) and measured the way run.py
measures TensorFlow Lite Micro's firmware, same rows, same toolchain, same window rule.

    python bench/mlperf_tiny/ours.py [--models build/mlperf_tiny/models] [--json FILE]

- flash: the wrapper's object linked alone with --gc-sections (bench/common/measure.py's
  flash_bytes): generated tables, the runtime code one prediction reaches; libgcc / libm apart.
- RAM: the activation arena (M_ARENA_BYTES, a static buffer in the wrapper, so it is counted
  in static RAM like TFLM's tensor arena) + everything else static; the stack apart.
- input and output: the int8 tensors (m_run_int8), as TFLM's firmware gives them, the rows'
  codes in and the argmax of the int8 outputs out.
- instructions: the bench firmware (bench/common/c/firmware.c) on QEMU mps2-an386, Cortex-M4F,
  -singlestep trace streamed through trace_count.c, window = bench_predict and what it calls.
- labels: the firmware's against TFLite Micro's host interpreter on the same rows (the outputs
  bit for bit are checked by tests/python/test_mlperf_tiny.py).
- estimate: the compiler's Cortex-M4F instruction estimate (what the Inspector shows) less its
  price of quantizing float inputs (m_run_int8 takes the int8 tensor), and its error against
  the count.
Writes the JSON run.py --ours reads."""
import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # the working tree's tinyml_lab
sys.path.insert(0, str(HERE.parent / "common"))
sys.path.insert(0, str(HERE))
import measure  # noqa: E402
import streamed  # noqa: E402

OUT = ROOT / "build" / "mlperf_tiny"
#: the int8 instruction estimate's price of quantizing one float input (INSTRUCTIONS.int8.input in
#: src/core/families/nets/describe.ts), which the int8 tensor in does not pay
INPUT_QUANTIZE_INSTRUCTIONS = 41
#: rows per model whose instructions are counted (single-stepping VWW or ResNet takes minutes a row)
COUNT_ROWS = {"kws": 3, "ad": 3, "vww": 1, "ic": 1}

WRAPPER = """#include <stdint.h>
#include "model.h"

/* The arena as a static buffer, as TFLM's tensor arena is: static RAM counts it. */
static uint32_t arena[(M_ARENA_BYTES + 3) / 4];

/* int8 in and out, as TFLM's firmware gives the model its input tensor and reads its output */
int32_t bench_predict(const int8_t *x)
{
    int8_t out[M_N_OUTPUTS_MAX];
    int32_t k, best = 0;
    if (m_run_int8(x, arena, out, M_N_OUTPUTS_MAX) != 0) {
        return -1;
    }
    for (k = 1; k < M_N_OUTPUTS_MAX; k++) {
        best = out[k] > out[best] ? k : best;
    }
    return best;
}
"""


def export(name: str, models: Path, directory: Path, n_rows: int) -> dict:
    import tinyml_lab  # noqa: PLC0415 - the working tree's, after sys.path is set
    from tinyml_lab import _engine  # noqa: PLC0415

    info = json.loads((models / f"{name}.json").read_text())
    converted = tinyml_lab.convert(models / f"{name}.tflite", name="m", dtype="int8")
    estimates = _engine.call("estimate", converted.engine_ir, converted.options)["estimates"]
    m4f = next(e for e in estimates if e["target"] == "cortex-m4f")["m4fInstructions"]
    header = converted.header + f"\n#define M_N_OUTPUTS_MAX {converted.ir['n_outputs']}\n"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.h").write_text(header)
    (directory / "bench_predict.c").write_text(WRAPPER)
    data = np.load(models / f"{name}_rows.npz")
    rows = data["rows"][:n_rows].astype(np.int8)  # the input tensor's values, as TFLM's firmware gets them
    expected = data["tflm_host_out"][:n_rows]
    measure.write_rows_header(directory, rows.reshape(n_rows, -1), expected.argmax(axis=1))
    arena = int(re.search(r"^#define M_ARENA_BYTES (\d+)", converted.header, re.M).group(1))
    estimate = m4f - INPUT_QUANTIZE_INSTRUCTIONS * converted.ir["n_features"]
    return {"info": info, "arena": arena, "expected": expected, "estimate": estimate}


def count_instructions(directory: Path, n_rows: int) -> dict:
    """Builds the bench firmware (as bench/common/measure.py's qemu_run does) and counts the
    window's instructions with the trace streamed (streamed.py)."""
    work = directory / "qemu"
    work.mkdir(exist_ok=True)
    measure.run(["arm-none-eabi-gcc", *measure.ARM_COMMON, *measure.ARM_TARGETS["M4F"],
                 f"-DBENCH_FW_ROWS={n_rows}", "-I", str(directory), str(measure.C_DIR / "firmware.c"),
                 str(directory / "bench_predict.c"), *measure.FIRMWARE_SOURCES, *measure.FIRMWARE_LINK, "-lm",
                 "-o", "fw.elf"], work)
    ranges = measure._symbol_ranges(work / "fw.elf", work)
    functions = [(lo, hi, name) for name, (lo, hi) in ranges.items() if hi > lo]
    found = streamed.count_streamed(work / "fw.elf", measure.QEMU, ranges, functions)
    profile = [(name, round(count / n_rows)) for name, count in found["profile"][:8]]
    return {"instructions": found["count"] / n_rows, "console": found["console"].strip(),
            "profile": profile, "seconds": round(found["seconds"], 1)}


def measure_model(name: str, models: Path, n_rows: int | None = None) -> dict:
    directory = OUT / "ours" / name
    n_rows = n_rows or COUNT_ROWS[name]
    exported = export(name, models, directory, n_rows)
    flash_model, flash_libs = measure.flash_bytes(directory, "M4F")
    ram_model, ram_libs = measure.static_ram(directory, "M4F")
    counted = count_instructions(directory, n_rows)
    agree = re.search(r"agree=(\d+)/(\d+)", counted["console"])
    stack = re.search(r"stack=(\d+)", counted["console"])
    return {
        "label": "TinyML Lab int8",
        "flash_total": flash_model,
        "flash_libs": flash_libs,
        "arena": exported["arena"],
        "ram_total": ram_model + ram_libs,
        "stack": int(stack.group(1)) if stack else None,
        "instructions_per_inference": round(counted["instructions"]),
        "estimated_instructions": round(exported["estimate"]),
        "rows_counted": n_rows,
        "labels_equal_tflm_host": agree.group(0) if agree else counted["console"][:80],
        "profile": counted["profile"],
        "seconds": counted["seconds"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=OUT / "models", help="prepare.py's directory")
    parser.add_argument("--json", type=Path, default=OUT / "ours.json")
    parser.add_argument("--rows", type=int, help="rows to count (default: 3 for KWS and AD, 1 for IC and VWW)")
    parser.add_argument("--profile", action="store_true", help="print the functions taking most instructions")
    parser.add_argument("names", nargs="*", default=["kws", "ad", "ic", "vww"])
    args = parser.parse_args()
    results = {}
    for name in args.names:
        results[name] = measure_model(name, args.models, args.rows)
        r = results[name]
        error = r["estimated_instructions"] / r["instructions_per_inference"] - 1
        print(f"{name}: flash {r['flash_total']:,} B (+{r['flash_libs']:,} libs), arena {r['arena']:,} B, RAM "
              f"{r['ram_total']:,} B, stack {r['stack']}, {r['instructions_per_inference']:,} instructions "
              f"({r['rows_counted']} rows, {r['seconds']} s), labels {r['labels_equal_tflm_host']}; estimate "
              f"{r['estimated_instructions']:,} ({error:+.1%})", flush=True)
        if args.profile:
            for function, count in r["profile"]:
                print(f"  {count:>12,}  {function}")
    args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
