"""The run shared by the benchmarks whose wrapper returns a class index (bench/trees,
bench/boosting): every tool exports every case into its own directory, then each directory
is measured the same way (measure.py) and the results are printed with every tool's ratio to
the baseline tool.

    int32_t bench_predict(const float *x);   /* class index into model.classes_ */
"""
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import measure
import numpy as np
from tables import fmt_int, print_table, write_results_json

WRAPPER = "bench_predict.c"


@dataclass
class Case:
    name: str
    model: object
    rows: np.ndarray  # float32 test rows, what every tool's C code gets
    expected: np.ndarray  # index into model.classes_ of the reference model's prediction


@dataclass
class Tool:
    name: str
    export: Callable[[object, Path], None]  # (fitted model, directory) -> writes WRAPPER
    missing: Optional[str] = None  # why the tool cannot run here, or None


@dataclass
class Result:
    case: str
    tool: str
    flash: dict = field(default_factory=dict)  # target -> (model bytes, library bytes)
    ram: tuple = (None, None)  # static .data+.bss reached, M4F: (model, libraries)
    stack: int = None  # deepest stack of bench_predict on Cortex-M4F (QEMU, painted)
    host_ipp: float = None  # instructions per prediction, host
    m4f_ipp: float = None  # instructions per prediction, Cortex-M4F in QEMU
    m0p_ipp: float = None  # the same on Cortex-M0+ (ARMv6-M, soft float; measure.qemu_run)
    host_agree: str = "-"
    m4f_agree: str = "-"
    m0p_agree: str = "-"
    rv32_ipp: float = None  # instructions per prediction, RV32IMC in qemu-system-riscv32
    rv32_stack: int = None  # deepest stack of bench_predict on RV32IMC (painted)
    rv32_agree: str = "-"
    avr: dict = field(default_factory=dict)  # ATmega328P in simavr: measure.measure_avr's keys
    note: str = ""
    errors: list = field(default_factory=list)


def write_wrapper(directory: Path, includes: str, body: str) -> None:
    (directory / WRAPPER).write_text(
        f"#include <stdint.h>\n{includes}\n\nint32_t bench_predict(const float *x)\n{{\n{body}\n}}\n"
    )


def export(case: Case, tool: Tool, directory: Path) -> Result:
    """Runs in the main thread: exporters (TinyML Lab's embedded V8 included) are not
    assumed to be thread-safe."""
    result = Result(case.name, tool.name)
    directory.mkdir(parents=True)
    try:
        tool.export(case.model, directory)
        measure.write_rows_header(directory, case.rows, case.expected)
    except NotImplementedError as error:  # m2cgen's (and others') word for a model it does not take
        result.note = f"not supported: {str(error).splitlines()[0][:200]}"
    except Exception as error:
        result.errors.append(f"export: {str(error).splitlines()[0][:300] if str(error) else type(error).__name__}")
    return result


def measure_all(case: Case, result: Result, directory: Path, fw_rows: int) -> Result:
    """Each measurement is independent, so one failing (say, a compiler error) still lets
    the others fill their columns."""
    if result.errors or result.note:
        return result
    measure.measure_sizes(result, directory)
    try:
        result.host_ipp, predictions = measure.host_run(directory, len(case.rows))
        agree = int(np.sum(np.array(predictions) == case.expected))
        result.host_agree = f"{agree}/{len(case.rows)}"
    except Exception as error:
        result.errors.append(f"host: {error}")
    try:
        found = measure.qemu_run(directory, fw_rows)
        result.m4f_ipp, result.m4f_agree, result.stack = found["ipp"], found["agree"], found["stack"]
    except Exception as error:
        result.errors.append(f"qemu M4F: {error}")
    try:
        found = measure.qemu_run(directory, fw_rows, target="M0+")
        result.m0p_ipp, result.m0p_agree = found["ipp"], found["agree"]
    except Exception as error:
        result.errors.append(f"qemu M0+: {error}")
    measure.measure_rv32(result, directory, fw_rows)
    measure.measure_avr(result, directory, fw_rows)
    return result


def results_table(results: list) -> None:
    header = ["model", "tool", "flash M4F", "flash M0+", "lib M4F", "lib M0+", "static RAM", "stack M4F",
              "host instr/pred", "M4F instr/pred", "M0+ instr/pred", "agree host", "agree M4F", "agree M0+"]
    notes = any(r.note or r.errors for r in results)
    rows = []
    for r in results:
        if r.note or (r.errors and r.errors[0].startswith("export:")):
            # refused, or failed to export (the tool's own error; ERROR lines below have it whole)
            rows.append([r.case, r.tool, *["-"] * (len(header) - 2), r.note or r.errors[0][:100]])
            continue
        flash = {t: r.flash.get(t, (None, None)) for t in measure.ARM_TARGETS}
        rows.append([r.case, r.tool, fmt_int(flash["M4F"][0]), fmt_int(flash["M0+"][0]),
                     fmt_int(flash["M4F"][1]), fmt_int(flash["M0+"][1]), fmt_int(r.ram[0]), fmt_int(r.stack),
                     fmt_int(r.host_ipp), fmt_int(r.m4f_ipp), fmt_int(r.m0p_ipp), r.host_agree,
                     r.m4f_agree.replace("agree=", ""), r.m0p_agree.replace("agree=", ""),
                     *([""] if notes else [])])
    print_table(header + (["note"] if notes else []), rows)


def _metrics(r: Result) -> list:
    return [r.flash.get("M4F", (None,))[0], r.flash.get("M0+", (None,))[0], r.host_ipp, r.m4f_ipp, r.m0p_ipp]


def ratio_table(results: list, baseline: str) -> None:
    baselines = {r.case: r for r in results if r.tool == baseline}
    header = ["model", "tool / " + baseline, "flash M4F", "flash M0+", "host instr", "M4F instr", "M0+ instr"]
    rows = []
    for r in results:
        base = baselines.get(r.case)
        if r.tool == baseline or base is None or r.note or (r.errors and r.errors[0].startswith("export:")):
            continue
        cells = [f"{a / b:.2f}x" if a and b else "-" for a, b in zip(_metrics(r), _metrics(base))]
        rows.append([r.case, r.tool, *cells])
    print_table(header, rows)


def _all_agree(agree: str) -> bool:
    """Whether an agreement cell ("K/N" or "agree=K/N") says every row agreed."""
    found = re.fullmatch(r"(?:agree=)?(\d+)/(\d+)", agree)
    return bool(found) and found.group(1) == found.group(2)


def _measured(r: Result) -> bool:
    return not r.note and not (r.errors and r.errors[0].startswith("export:"))


def peer_table(results: list, peer: str, prefix: str = "tinyml") -> None:
    """Per tool of ours: the geometric mean, over the models the peer exports too, of its
    flash and instructions divided by the peer's (below 1: smaller or faster than the peer),
    and whether its labels equal scikit-learn's on every test row (host: all rows)."""
    peers = {r.case: r for r in results if r.tool == peer and _measured(r)}
    header = ["tool", f"models with {peer}", "flash M4F", "flash M0+", "host instr", "M4F instr", "M0+ instr",
              "labels = sklearn"]
    rows = []
    for tool in dict.fromkeys(r.tool for r in results if r.tool.startswith(prefix)):
        ours = [r for r in results if r.tool == tool and _measured(r)]
        pairs = [(r, peers[r.case]) for r in ours if r.case in peers]
        cells = []
        for k in range(5):
            ratios = [_metrics(a)[k] / _metrics(b)[k] for a, b in pairs if _metrics(a)[k] and _metrics(b)[k]]
            cells.append(f"{float(np.exp(np.mean(np.log(ratios)))):.2f}x" if ratios else "-")
        wrong = [r.case for r in ours if not all(_all_agree(a) for a in (r.host_agree, r.m4f_agree, r.m0p_agree))]
        rows.append([tool, len(pairs), *cells, "all rows" if not wrong else "NOT on " + ",".join(wrong)])
    print(f"Geometric mean of each tool's ratio to {peer} (below 1: smaller / fewer instructions)")
    print_table(header, rows)


def run_benchmark(family: str, cases: list, tools: list, args, modules: tuple, baseline: str,
                  peer: Optional[str] = None) -> int:
    """Exports, measures and prints every (case, tool); args: quick, workdir, json. With a
    peer, also every TinyML Lab tool's geometric-mean ratios to it (peer_table)."""
    missing = measure.missing_tool()
    if missing:
        print(missing)
        return 2
    started = time.time()
    fw_rows = 5 if args.quick else 20
    print(measure.versions(modules))
    tool_list, skipped = [], []
    for tool in tools:
        if tool.missing:
            print(f"SKIPPING {tool.name}: {tool.missing}")
            skipped.append(("*", tool.name, tool.missing))
        else:
            tool_list.append(tool)

    work = Path(args.workdir or tempfile.mkdtemp(prefix=f"bench_{family}_"))
    jobs = []
    for case in cases:
        for tool in tool_list:
            directory = work / case.name / tool.name
            shutil.rmtree(directory, ignore_errors=True)
            jobs.append((case, export(case, tool, directory), directory))

    # Compiles and emulators are separate processes: run them on every core.
    with ThreadPoolExecutor() as pool:
        results = list(pool.map(lambda job: measure_all(*job, fw_rows), jobs))

    print(f"\n{len(cases)} models; host: all test rows; M4F and M0+ (QEMU): first {fw_rows} test rows\n")
    results_table(results)
    print()
    ratio_table(results, baseline)
    if peer:
        print()
        peer_table(results, peer)
    for r in results:
        for error in r.errors:
            print(f"ERROR {r.case} {r.tool}: {error}")
    if args.json:
        write_results_json(args.json, family, results, skipped, versions=measure.versions(modules), fw_rows=fw_rows)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{time.time() - started:.0f} s")
    return 0
