#!/usr/bin/env python3
"""All four export benchmarks in one run, one side-by-side table: trees, boosted trees, nets
and mixtures (Gaussian models), TinyML Lab vs emlearn vs m2cgen (and TFLite int8 for the nets).

    python bench/compare.py [--full] [--workdir DIR] [--only trees,boosting,nets,mixtures,mlperf]

`mlperf` (with --full, or named in --only) adds the MLPerf Tiny int8 models against TensorFlow
Lite Micro built from source, CMSIS-NN and reference kernels, in the same run
(bench/mlperf_tiny: ours.py, then run.py, which builds TFLM once into build/tflm and reuses it;
about 20 minutes with the traces), and prints run.py's tables after the others.

Runs bench/trees/run.py, bench/boosting/run.py, bench/nets/run.py and bench/mixtures/run.py
one after the other, each with --quick (unless --full) and --json, keeps their own output in
the work directory (printed on failure), and prints per family and model: flash (Cortex-M4F, M0+), RAM (static
+ stack high-water on M4F), instructions per prediction on M4F and (trees, boosting) M0+ in QEMU, agreement with the
reference model, and every other tool's ratio to TinyML Lab float32; then the same on
RV32IMC (riscv64-unknown-elf-gcc + picolibc, qemu-system-riscv32) and on the ATmega328P
(avr-gcc + avr-libc, simavr: cycles), where a model that does not fit the part's 32 KB of flash
and 2 KB of RAM is shown as such. See bench/README.md."""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "common"))

from tables import fmt_int, fmt_ratio, print_table  # noqa: E402

FAMILIES = ("trees", "boosting", "nets", "mixtures")
#: Not in the default set: the TFLM builds and traces take about 20 minutes.
MLPERF = "mlperf"
BASELINE = "tinyml-f32"
# Per family, the tools in the order the table lists them (anything else follows).
TOOL_ORDER = ["tinyml-f32", "tinyml-i16", "tinyml-i8", "tinyml-f32-inline", "tinyml-i16-inline",
              "emlearn", "m2cgen", "tflite-i8", "tflm"]

# bench/nets has no m2cgen tool: m2cgen 0.10's SUPPORTED_MODELS (m2cgen/assemblers/__init__.py)
# lists linear models, SVMs, trees and boosted ensembles, no MLPClassifier or Keras model.
M2CGEN_NETS = "m2cgen 0.10 has no assembler for MLPClassifier or Keras models (not in bench/nets)"


def run_benchmark(family: str, work: Path, full: bool) -> dict:
    """Runs one benchmark; returns its JSON (None on failure) and how long it took."""
    out_json, log = work / f"{family}.json", work / f"{family}.log"
    cmd = [sys.executable, str(HERE / family / "run.py"), "--json", str(out_json)]
    if not full:
        cmd.append("--quick")
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    started = time.time()
    with open(log, "w") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                              stdin=subprocess.DEVNULL, timeout=1800)
    took = time.time() - started
    lines = log.read_text().splitlines()
    problems = [line for line in lines if line.startswith("ERROR")]
    print(f"{family}: {' '.join(cmd[1:]).replace(str(ROOT) + '/', '')} -> exit {done.returncode}, {took:.0f} s"
          + (f", {len(problems)} ERROR lines" if problems else ""))
    for line in problems:
        print(f"  {line}")
    if done.returncode != 0 or not out_json.exists():
        print("  " + "\n  ".join(lines[-15:]))
        return None
    found = json.loads(out_json.read_text())
    found["seconds"] = took
    return found


def run_mlperf(work: Path) -> bool:
    """bench/mlperf_tiny: our int8 exports (ours.py), then TFLM with both kernel sets (run.py,
    given ours so that its tables put both side by side); prints run.py's report."""
    here = HERE / "mlperf_tiny"
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    ours, tflm = work / "mlperf_ours.json", work / "mlperf_tflm.json"
    steps = [
        [sys.executable, str(here / "prepare.py")],
        [sys.executable, str(here / "ours.py"), "--json", str(ours)],
        [sys.executable, str(here / "run.py"), "--no-prepare", "--no-default-regs", "--json", str(tflm),
         "--ours", str(ours)],
    ]
    for cmd in steps:
        started = time.time()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                              timeout=7200)
        (work / f"mlperf_{Path(cmd[1]).stem}.log").write_text(done.stdout + done.stderr)
        print(f"{MLPERF}: {' '.join(cmd[1:]).replace(str(ROOT) + '/', '')} -> exit {done.returncode}, "
              f"{time.time() - started:.0f} s")
        if done.returncode != 0:
            print("  " + "\n  ".join((done.stdout + done.stderr).splitlines()[-15:]))
            return False
    print("\n" + done.stdout)
    return True


def tool_rank(tool: str) -> int:
    return TOOL_ORDER.index(tool) if tool in TOOL_ORDER else len(TOOL_ORDER)


def ram_total(row: dict):
    if row.get("ram_static") is None or row.get("stack") is None:
        return None
    return row["ram_static"] + row["stack"]


def agreement(row: dict) -> str:
    host, m4f = row.get("host_agree", "-"), row.get("m4f_agree", "-")
    return host if m4f in ("-", None, "") else f"{host} | {m4f}"


def fmt_err(value) -> str:
    if value is None:
        return "-"
    return "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.2g}"


def score_cell(row: dict) -> str:
    """max |score - scikit-learn's| (relative to max(1, |reference|) in parentheses)."""
    if row.get("score_err") is None:
        return "-"
    return f"{fmt_err(row['score_err'])} ({fmt_err(row.get('score_rel'))})"


def fmt_stack(stack) -> str:
    return f">={stack:,}" if stack is not None and stack >= 16 * 1024 else fmt_int(stack)


def _by_case(found: dict) -> dict:
    """{model: {tool: row}} of one benchmark's JSON rows."""
    by_case = {}
    for row in found["rows"]:
        by_case.setdefault(row["case"], {})[row["tool"]] = row
    return by_case


def family_rows(found: dict) -> list:
    """Table rows of one benchmark, grouped by model, tools in TOOL_ORDER; skipped exports
    and TFLite int8 (nets) get rows of their own."""
    family = found["family"]
    by_case = _by_case(found)
    cases = list(by_case)
    for skip in found.get("skipped", []):
        if skip["case"] != "*" and skip["case"] not in cases:
            cases.append(skip["case"])
    out = []
    for case in cases:
        tools = dict(by_case.get(case, {}))
        base = tools.get(BASELINE)
        lines = []
        for tool, row in tools.items():
            ratios = ["-", "-", "-"]
            if base is not None and tool != BASELINE:
                ratios = [fmt_ratio(row.get("flash_m4f"), base.get("flash_m4f")),
                          fmt_ratio(ram_total(row), ram_total(base)),
                          fmt_ratio(row.get("m4f_ipp"), base.get("m4f_ipp"))]
            note = row.get("note") or ""
            if row.get("errors"):
                note = (note + "; " if note else "") + f"{len(row['errors'])} measurement error(s)"
            lines.append((tool, [family, case, tool, fmt_int(row.get("flash_m4f")), fmt_int(row.get("flash_m0p")),
                                 fmt_int(row.get("ram_static")), fmt_stack(row.get("stack")),
                                 fmt_int(row.get("m4f_ipp")), fmt_int(row.get("m0p_ipp")), agreement(row),
                                 score_cell(row),
                                 *ratios, note]))
        for skip in found.get("skipped", []):
            if skip["case"] == case or (skip["case"] == "*" and skip["tool"] != "tflm"):
                lines.append((skip["tool"], [family, case, skip["tool"], *["-"] * 11,
                                             "not supported: " + skip["reason"]]))
        tflite = found.get("tflite", {}).get(case)
        if family == "nets" and "m2cgen" not in tools:
            lines.append(("m2cgen", [family, case, "m2cgen", *["-"] * 11, "not supported: " + M2CGEN_NETS]))
        if family == "nets":
            if tflite is None:
                lines.append(("tflite-i8", [family, case, "tflite-i8", *["-"] * 11,
                                            "not run (no TensorFlow venv, see bench/nets/README.md)"]))
            else:
                agree = tflite.get("agree", "-")
                arena = tflite.get("tflm_arena") or {}
                note = (f"host only (TFLite ref. kernels): .tflite {fmt_int(tflite.get('tflite_bytes'))} B"
                        + (f", TFLM host arena {fmt_int(arena.get('head'))}/{fmt_int(arena.get('total'))} B"
                           if arena else "")
                        + "; no TFLM device build here")
                lines.append(("tflite-i8", [family, case, "tflite-i8", *["-"] * 6, agree, "-",
                                            "-", "-", "-", note]))
        lines.sort(key=lambda item: tool_rank(item[0]))
        out += [cells for _, cells in lines]
    return out


def geomeans(found: dict) -> list:
    """Per peer tool: geometric mean over the family's models of its flash M4F, RAM and M4F
    instruction ratios to TinyML Lab float32 (models where both sides were measured)."""
    ratios = {}
    for tools in _by_case(found).values():
        base = tools.get(BASELINE)
        if base is None:
            continue
        for tool, row in tools.items():
            if tool == BASELINE:
                continue
            for k, (a, b) in enumerate([(row.get("flash_m4f"), base.get("flash_m4f")),
                                        (ram_total(row), ram_total(base)),
                                        (row.get("m4f_ipp"), base.get("m4f_ipp"))]):
                if a and b:
                    ratios.setdefault(tool, ([], [], []))[k].append(a / b)
    out = []
    for tool in sorted(ratios, key=tool_rank):
        cells = []
        for values in ratios[tool]:
            cells.append(f"{math.exp(sum(map(math.log, values)) / len(values)):.2f}x (n={len(values)})"
                         if values else "-")
        out.append([found["family"], tool, *cells])
    return out


def rv32_rows(found: dict) -> list:
    """The RV32IMC columns of one benchmark (riscv64-unknown-elf-gcc -Os + picolibc, the
    firmware in qemu-system-riscv32): flash, static RAM + stack, instructions per prediction,
    agreement, and the ratios to TinyML Lab float32 on the same core."""
    out = []
    for case, tools in _by_case(found).items():
        base = tools.get(BASELINE, {})
        for tool in sorted(tools, key=tool_rank):
            row = tools[tool]
            if row.get("flash_rv32") is None and row.get("rv32_ipp") is None:
                continue  # refused or failed to export: the main table says why
            ram = (row["ram_static"] + row["rv32_stack"]
                   if row.get("ram_static") is not None and row.get("rv32_stack") is not None else None)
            base_ram = (base["ram_static"] + base["rv32_stack"]
                        if base.get("ram_static") is not None and base.get("rv32_stack") is not None else None)
            same = tool == BASELINE
            out.append([found["family"], case, tool, fmt_int(row.get("flash_rv32")), fmt_int(ram),
                        fmt_int(row.get("rv32_ipp")), row.get("rv32_agree", "-"),
                        "-" if same else fmt_ratio(row.get("flash_rv32"), base.get("flash_rv32")),
                        "-" if same else fmt_ratio(ram, base_ram),
                        "-" if same else fmt_ratio(row.get("rv32_ipp"), base.get("rv32_ipp"))])
    return out


def avr_ram(avr: dict):
    """The model's static RAM on AVR (plain `const` tables included) + the predictions' stack."""
    return avr["ram"] + avr["stack"] if avr.get("ram") is not None and avr.get("stack") is not None else None


def avr_rows(found: dict) -> list:
    """The ATmega328P columns of one benchmark (avr-gcc -mmcu=atmega328p -Os, the firmware in
    simavr): flash and static RAM + stack of the model part, cycles per prediction (Timer1),
    agreement, the ratios to TinyML Lab float32, and whether the whole firmware fits the part."""
    out = []
    for case, tools in _by_case(found).items():
        base = tools.get(BASELINE, {}).get("avr") or {}
        for tool in sorted(tools, key=tool_rank):
            avr = tools[tool].get("avr") or {}
            if not avr:
                continue  # refused or failed to export: the main table says why
            same = tool == BASELINE
            out.append([found["family"], case, tool, fmt_int(avr.get("flash")), fmt_int(avr_ram(avr)),
                        fmt_int(avr.get("cycles")), avr.get("agree", "-"),
                        "-" if same else fmt_ratio(avr.get("flash"), base.get("flash")),
                        "-" if same else fmt_ratio(avr_ram(avr), avr_ram(base)),
                        "-" if same else fmt_ratio(avr.get("cycles"), base.get("cycles")),
                        avr.get("fit") or ("fits" if "firmware_flash" in avr else "-")])
    return out


def git_state() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.rstrip("\n")

    head = git("rev-parse", "--short=12", "HEAD")
    dirty = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return f"commit {head}" + (f" + uncommitted changes in {len(dirty)} tracked file(s): {', '.join(dirty)}"
                               if dirty else " (clean)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the benchmarks' full model sets, not --quick")
    parser.add_argument("--workdir", help="keep each benchmark's JSON and output here")
    parser.add_argument("--only", help="comma-separated subset of " + ", ".join((*FAMILIES, MLPERF))
                        + f" (default: all; {MLPERF} only with --full)")
    args = parser.parse_args()
    chosen = [f.strip() for f in args.only.split(",")] if args.only else [*FAMILIES, *([MLPERF] if args.full else [])]

    started = time.time()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_compare_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {git_state()}")
    print(f"mode: {'full' if args.full else '--quick'}; outputs in {work}\n")
    results = {}
    for family in (f for f in chosen if f != MLPERF):
        found = run_benchmark(family, work, args.full)
        if found is not None:
            results[family] = found

    if results:
        print_families(results)
    mlperf_ok = run_mlperf(work) if MLPERF in chosen else True
    print(f"\n{time.time() - started:.0f} s")
    return 0 if mlperf_ok and len(results) == len([f for f in chosen if f != MLPERF]) else 1


def print_families(results: dict) -> None:
    """The side-by-side table of the benchmarks that ran, then the geometric means."""
    print()
    for family, found in results.items():
        print(f"{family} ({found['seconds']:.0f} s, M4F over the first {found.get('fw_rows')} test rows): "
              f"{found.get('versions', '')}")
    print()
    header = ["family", "model", "tool", "flash M4F", "flash M0+", "static RAM", "stack M4F", "M4F instr/pred",
              "M0+ instr/pred", "agree host | M4F", "score err (rel)", "flash x", "RAM x", "instr x", "note"]
    rows = []
    for found in results.values():
        rows += family_rows(found)
    print_table(header, rows)
    print()
    summary = []
    for found in results.values():
        summary += geomeans(found)
    print_table(["family", "tool / " + BASELINE, "flash M4F (geomean)", "RAM (geomean)", "M4F instr (geomean)"],
                summary)
    rv32 = [row for found in results.values() for row in rv32_rows(found)]
    if rv32:
        print("\nRV32IMC (ESP32-C3's instruction set): riscv64-unknown-elf-gcc -Os + picolibc, qemu-system-riscv32 "
              "-M virt; RAM is static + painted stack")
        print_table(["family", "model", "tool", "flash RV32", "RAM RV32", "RV32 instr/pred", "agree RV32",
                     "flash x", "RAM x", "instr x"], rv32)
    avr = [row for found in results.values() for row in avr_rows(found)]
    if avr:
        print("\nATmega328P (Arduino Uno): avr-gcc -mmcu=atmega328p -Os + avr-libc, simavr at 16 MHz, cycles from "
              "Timer1; RAM is the model's static RAM (const tables not in PROGMEM included) + painted stack; "
              "fits: the whole firmware in the part's 32 KB of flash and 2 KB of RAM")
        print_table(["family", "model", "tool", "flash AVR", "RAM AVR", "AVR cycles/pred", "agree AVR",
                     "flash x", "RAM x", "cycles x", "fits"], avr)


if __name__ == "__main__":
    sys.exit(main())
