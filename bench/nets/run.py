#!/usr/bin/env python3
"""Neural-network C export benchmark: TinyML Lab (float32, int8) vs emlearn on device, and
TinyML Lab's int8 accuracy vs TFLite full-integer quantization, same models, same run.

    python bench/nets/run.py [--quick] [--workdir DIR] [--tfvenv DIR] [--json FILE]

See README.md beside this file for what is measured and how."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the working tree's tinyml_lab, not an installed one
sys.path.insert(0, str(HERE))  # models.py, tools.py
sys.path.insert(0, str(HERE.parent / "common"))  # measure.py, tables.py (shared with bench/trees)
os.environ.setdefault("KERAS_BACKEND", "jax")

import measure  # noqa: E402
import models  # noqa: E402
import numpy as np  # noqa: E402
import tools  # noqa: E402
from tables import fmt_int, fmt_ratio, print_table, write_results_json  # noqa: E402

BASELINE = "tinyml-f32"
DEFAULT_TFVENV = os.environ.get("BENCH_TFVENV", "/work/tfvenv")
TFVENV_SETUP = "python3 -m venv {venv} && {venv}/bin/pip install tensorflow-cpu tflite-micro"
SKIPPED = []  # (case, tool, reason) of every export a tool refused, for --json


# ---- one model x one tool ------------------------------------------------------------------
@dataclass
class Result:
    case: str
    tool: str
    arena: int = None  # scratch bytes the tool declares for activations
    flash: dict = field(default_factory=dict)  # target -> (model bytes, library bytes)
    ram: tuple = (None, None)  # static .data+.bss reached, M4F: (model, libraries)
    stack: int = None  # deepest stack of bench_predict on Cortex-M4F (QEMU, painted)
    host_ipp: float = None
    m4f_ipp: float = None
    host_agree: str = "-"
    m4f_agree: str = "-"
    rv32_ipp: float = None  # instructions per prediction, RV32IMC in qemu-system-riscv32
    rv32_stack: int = None  # deepest stack of bench_predict on RV32IMC (painted)
    rv32_agree: str = "-"
    avr: dict = field(default_factory=dict)  # ATmega328P in simavr: measure.measure_avr's keys
    accuracy: float = None  # host predictions vs the test labels
    host_labels: np.ndarray = None
    errors: list = field(default_factory=list)


def export(case, tool, directory: Path, n_rows: int):
    """Main thread (exporters are not assumed thread-safe). None when the tool cannot
    handle the model: it says why in a SKIPPING line and the run goes on."""
    directory.mkdir(parents=True)
    try:
        info = tool.export(case, directory)
    except Exception as error:  # noqa: BLE001 - any refusal of the exporter is a skip
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        print(f"SKIPPING {tool.name} on {case.name}: {error.__class__.__name__}: {reason}")
        SKIPPED.append((case.name, tool.name, f"{error.__class__.__name__}: {reason}"))
        return None
    measure.write_rows_header(directory, case.rows[:n_rows], case.expected[:n_rows])
    return Result(case.name, tool.name, arena=info.get("arena"))


def measure_all(case, result: Result, directory: Path, n_rows: int, fw_rows: int) -> Result:
    """Each measurement is independent: one failing still lets the others fill their columns."""
    measure.measure_sizes(result, directory)
    try:
        result.host_ipp, predictions = measure.host_run(directory, n_rows)
        labels = np.asarray(predictions, dtype=np.int32)
        result.host_labels = labels
        result.host_agree = f"{int(np.sum(labels == case.expected[:n_rows]))}/{n_rows}"
        result.accuracy = float(np.mean(labels == case.truth[:n_rows]))
    except Exception as error:
        result.errors.append(f"host: {error}")
    try:
        found = measure.qemu_run(directory, fw_rows)
        result.m4f_ipp, result.stack = found["ipp"], found["stack"]
        result.m4f_agree = found["agree"].replace("agree=", "")
    except Exception as error:
        result.errors.append(f"qemu: {error}")
    measure.measure_rv32(result, directory, fw_rows)
    measure.measure_avr(result, directory, fw_rows)
    return result


# ---- TFLite int8 conversion (separate venv) ------------------------------------------------
def keras_for_tflite(case):
    """The Keras model TFLite converts: the case's own, or for the scikit-learn MLP an
    equivalent Keras Sequential holding its weights (same layers, same activations)."""
    if case.kind == "keras":
        return case.model
    import keras

    mlp = case.model
    layers = [keras.Input(shape=(mlp.n_features_in_,))]
    for k, w in enumerate(mlp.coefs_):
        last = k == len(mlp.coefs_) - 1
        layers.append(keras.layers.Dense(w.shape[1], activation=mlp.out_activation_ if last else mlp.activation,
                                         name=f"dense_{k + 1}"))
    model = keras.Sequential(layers, name=case.name)
    for layer, w, bias in zip(model.layers, mlp.coefs_, mlp.intercepts_):
        layer.set_weights([w.astype(np.float32), bias.astype(np.float32)])
    return model


def start_tflite(work: Path, venv: str):
    """Starts bench/nets/tflite_helper.py under the TensorFlow venv in the background; it
    imports TensorFlow while this process trains the models, then reads its jobs from
    standard input (send_tflite_jobs). None (SKIPPING printed) without the venv."""
    python = Path(venv) / "bin" / "python"
    if not python.exists():
        print(f"SKIPPING tflite-i8 on all models: no TensorFlow venv at {venv}; create it with: "
              + TFVENV_SETUP.format(venv=venv))
        return None
    log = open(work / "tflite_helper.log", "w")  # noqa: SIM115 - the helper writes to it after this returns
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    env.pop("PYTHONPATH", None)
    return subprocess.Popen([str(python), str(HERE / "tflite_helper.py"), "-"], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.PIPE, env=env, text=True)


def send_tflite_jobs(process, cases, work: Path, rows_of: dict):
    """Every model as a .keras file, the calibration and test rows as .npy files, and the
    job list to the helper's standard input. Returns (process, {case name: output dir})."""
    if process is None:
        return None
    jobs, outputs = [], {}
    for case in cases:
        directory = work / case.name / "tflite"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        keras_for_tflite(case).save(str(directory / "model.keras"))
        np.save(directory / "calibration.npy", case.calibration)
        np.save(directory / "test.npy", case.rows[:rows_of[case.name]])
        jobs.append({"name": case.name, "model": str(directory / "model.keras"),
                     "input_shape": list(case.input_shape), "calibration": str(directory / "calibration.npy"),
                     "test": str(directory / "test.npy"), "out": str(directory / "out")})
        outputs[case.name] = directory / "out"
    (work / "tflite_jobs.json").write_text(json.dumps(jobs, indent=1))
    try:
        process.stdin.write(json.dumps(jobs))
        process.stdin.close()
    except BrokenPipeError:
        pass  # the helper died; collect_tflite reports its log
    return process, outputs


def collect_tflite(started, work: Path) -> dict:
    """{case name: result dict with "labels" / "tflm_labels" arrays added} from the helper."""
    if started is None:
        return {}
    process, outputs = started
    try:
        process.wait(timeout=900)
    except subprocess.TimeoutExpired:
        process.kill()
        print("ERROR tflite-i8: helper timed out")
        return {}
    found = {}
    for name, out in outputs.items():
        try:
            result = json.loads((out / "result.json").read_text())
        except Exception:
            tail = (work / "tflite_helper.log").read_text().strip().splitlines()[-3:]
            print(f"ERROR tflite-i8 on {name}: no result (helper exit {process.returncode}): {' | '.join(tail)}")
            continue
        for key, file in (("labels", "tflite_labels.npy"), ("tflm_labels", "tflm_labels.npy")):
            if (out / file).exists():
                result[key] = np.load(out / file)
        found[name] = result
    return found


# ---- printing ------------------------------------------------------------------------------
def results_table(results: list) -> None:
    header = ["model", "tool", "flash M4F", "flash M0+", "lib M4F", "lib M0+", "arena", "static RAM",
              "stack M4F", "host instr/pred", "M4F instr/pred", "agree host", "agree M4F", "accuracy"]
    rows = []
    for r in results:
        flash = {t: r.flash.get(t, (None, None)) for t in measure.ARM_TARGETS}
        rows.append([r.case, r.tool, fmt_int(flash["M4F"][0]), fmt_int(flash["M0+"][0]),
                     fmt_int(flash["M4F"][1]), fmt_int(flash["M0+"][1]), fmt_int(r.arena),
                     fmt_int(r.ram[0]), fmt_stack(r.stack), fmt_int(r.host_ipp), fmt_int(r.m4f_ipp),
                     r.host_agree, r.m4f_agree, "-" if r.accuracy is None else f"{r.accuracy:.4f}"])
    print_table(header, rows)


def fmt_stack(stack) -> str:
    """The firmware paints STACK_SPAN (16 KiB) bytes: that much means at least that much."""
    return f">={stack:,}" if stack is not None and stack >= measure.STACK_SPAN else fmt_int(stack)


def ram_total(r: Result):
    return None if r.ram[0] is None or r.stack is None else r.ram[0] + r.stack


def metrics(r: Result) -> list:
    return [r.flash.get("M4F", (None,))[0], r.flash.get("M0+", (None,))[0], ram_total(r), r.host_ipp, r.m4f_ipp]


def ratio_table(results: list) -> None:
    baselines = {r.case: r for r in results if r.tool == BASELINE}
    header = ["model", "tool / " + BASELINE, "flash M4F", "flash M0+", "RAM (static+stack)", "host instr",
              "M4F instr"]
    rows = []
    for r in results:
        base = baselines.get(r.case)
        if r.tool == BASELINE or base is None:
            continue
        rows.append([r.case, r.tool, *[fmt_ratio(a, b) for a, b in zip(metrics(r), metrics(base))]])
    print_table(header, rows)


def int8_table(cases, results: list, tflite: dict, rows_of: dict) -> None:
    """Accuracy and agreement of the int8 exports, TinyML Lab's C code on the host vs the
    TFLite converter's model in TFLite's and TFLite Micro's interpreters, same test rows."""
    by_key = {(r.case, r.tool): r for r in results}
    header = ["model", "int8 of", "accuracy", "agree ref", "agree tinyml-i8", "model bytes", "arena"]
    rows = []
    for case in cases:
        n_rows = rows_of[case.name]
        truth, expected = case.truth[:n_rows], case.expected[:n_rows]

        def cells(labels, mine, n_rows=n_rows, truth=truth, expected=expected):
            if labels is None or len(labels) != n_rows:
                return ["-", "-", "-"]
            agree_mine = "-" if mine is None else f"{int(np.sum(labels == mine))}/{n_rows}"
            return [f"{np.mean(labels == truth):.4f}", f"{int(np.sum(labels == expected))}/{n_rows}", agree_mine]

        rows.append([case.name, "reference (float)", f"{np.mean(expected == truth):.4f}", f"{n_rows}/{n_rows}",
                     "-", "-", "-"])
        ours = by_key.get((case.name, "tinyml-i8"))
        mine = ours.host_labels if ours is not None else None
        if ours is not None:
            rows.append([case.name, "tinyml-i8 (C, host)", *cells(mine, None),
                         fmt_int(ours.flash.get("M4F", (None,))[0]), fmt_int(ours.arena)])
        found = tflite.get(case.name)
        if found is None:
            continue
        if found.get("errors") and "labels" not in found:
            rows.append([case.name, "tflite-i8", "error", "-", "-", "-", "-"])
            continue
        rows.append([case.name, "tflite-i8 (TFLite ref)", *cells(found.get("labels"), mine),
                     fmt_int(found.get("tflite_bytes")), "-"])
        if "tflm_labels" in found:
            arena = found.get("tflm", {}).get("arena", {})
            rows.append([case.name, "tflite-i8 (TFLM host)", *cells(found["tflm_labels"], mine), "-",
                         f"{fmt_int(arena.get('head'))} / {fmt_int(arena.get('total'))}"])
    print_table(header, rows)


def tflite_summary(cases, tflite: dict, rows_of: dict) -> dict:
    """{case: agreement of the TFLite / TFLM int8 labels with the float reference, accuracy,
    .tflite bytes, TFLM host arena} for --json: what the int8 table prints."""
    summary = {}
    for case in cases:
        found, n_rows = tflite.get(case.name), rows_of[case.name]
        if found is None:
            continue
        entry = {"tflite_bytes": found.get("tflite_bytes"),
                 "tflm_arena": found.get("tflm", {}).get("arena", {}), "errors": found.get("errors", [])}
        for key in ("labels", "tflm_labels"):
            labels = found.get(key)
            if labels is not None and len(labels) == n_rows:
                entry[key.replace("labels", "agree")] = f"{int(np.sum(labels == case.expected[:n_rows]))}/{n_rows}"
                entry[key.replace("labels", "accuracy")] = float(np.mean(labels == case.truth[:n_rows]))
        summary[case.name] = entry
    return summary


def versions(tflite: dict) -> str:
    """measure.versions, plus the TFLite packages of the separate tfvenv that converted the nets."""
    tfvenv = []
    for result in tflite.values():
        tfvenv = [f"{k} {v} (tfvenv)" for k, v in result.get("versions", {}).items()]
        break
    return measure.versions(("tinyml_lab", "emlearn", "sklearn", "keras", "jax"), tfvenv)


# ---- main ----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2 models (no digits_dense), 200 host rows, 3 QEMU rows")
    parser.add_argument("--workdir", help="keep generated code, binaries and .tflite files here")
    parser.add_argument("--tfvenv", default=DEFAULT_TFVENV,
                        help="venv with tensorflow-cpu (+ tflite-micro) for the TFLite int8 comparison")
    parser.add_argument("--json", help="also write the results as JSON here (bench/compare.py reads it)")
    args = parser.parse_args()

    missing = measure.missing_tool()
    if missing:
        print(missing)
        return 2

    started = time.time()
    n_rows_max = 200 if args.quick else None
    fw_rows = 3 if args.quick else 10
    tool_list = []
    for tool in tools.all_tools():
        if tool.missing:
            print(f"SKIPPING {tool.name} on all models: {tool.missing}")
        else:
            tool_list.append(tool)
    print(f"SKIPPING tflm on all models: {tools.TFLM_SKIP_REASON}")
    SKIPPED.append(("*", "tflm", tools.TFLM_SKIP_REASON))
    # Importing emlearn runs numpy.seterr(all="raise") (emlearn/bayes.py), which would stop
    # scikit-learn's MLP training at its first harmless underflow: numpy's defaults again.
    np.seterr(divide="warn", over="warn", under="ignore", invalid="warn")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_nets_"))
    work.mkdir(parents=True, exist_ok=True)
    helper = start_tflite(work, args.tfvenv)
    cases = models.make_cases(["digits_mlp", "accel_conv1d"] if args.quick else None)
    rows_of = {c.name: len(c.rows) if n_rows_max is None else min(n_rows_max, len(c.rows)) for c in cases}
    helper = send_tflite_jobs(helper, cases, work, rows_of)
    stages = {"models": time.time() - started}

    jobs = []
    for case in cases:
        for tool in tool_list:
            directory = work / case.name / tool.name
            shutil.rmtree(directory, ignore_errors=True)
            result = export(case, tool, directory, rows_of[case.name])
            if result is not None:
                jobs.append((case, result, directory, rows_of[case.name]))

    # Compiles, callgrind and QEMU are separate processes: run them on every core.
    with ThreadPoolExecutor() as pool:
        results = list(pool.map(lambda job: measure_all(*job, fw_rows), jobs))
    stages["exports+measurements"] = time.time() - started - sum(stages.values())
    tflite = collect_tflite(helper, work)
    stages["waiting for tflite"] = time.time() - started - sum(stages.values())

    print()
    print(versions(tflite))
    print(f"\n{len(cases)} models; host: {'first ' + str(n_rows_max) if n_rows_max else 'all'} test rows; "
          f"M4F: first {fw_rows} test rows\n")
    for case in cases:
        print(f"  {case.name}: {case.description}; {len(case.rows)} test rows, "
              f"reference accuracy {case.reference_accuracy:.4f}")
    print()
    results_table(results)
    print()
    ratio_table(results)
    print()
    int8_table(cases, results, tflite, rows_of)
    for r in results:
        for error in r.errors:
            print(f"ERROR {r.case} {r.tool}: {error}")
    for name, found in tflite.items():
        for error in found.get("errors", []):
            print(f"ERROR tflite-i8 {name}: {error}")
    if args.json:
        write_results_json(args.json, "nets", results, SKIPPED, versions=versions(tflite), fw_rows=fw_rows,
                           descriptions={c.name: c.description for c in cases},
                           tflite=tflite_summary(cases, tflite, rows_of))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{time.time() - started:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in stages.items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
