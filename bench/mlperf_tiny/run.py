#!/usr/bin/env python3
"""MLPerf Tiny on Cortex-M4F: TensorFlow Lite Micro's side (CMSIS-NN and reference kernels).

    python bench/mlperf_tiny/run.py                      # prepare, build TFLM, measure, tables, JSON
    python bench/mlperf_tiny/run.py --kernels cmsis_nn   # one kernel set
    python bench/mlperf_tiny/run.py --from-json build/mlperf_tiny/tflm.json [--ours ours.json]

1. prepare.py writes build/mlperf_tiny/models/ (NAME.tflite symlinks to ../shared/models/mlperf-tiny,
   NAME.json, NAME_rows.npz: seeded random int8 rows + TFLite Micro host interpreter outputs);
2. ../shared/tflm/build.sh builds libtensorflow-microlite.a per kernel set (WORK=build/tflm);
3. tflm_fw.py builds the shared anchor firmware per model, finds the smallest arena, runs it in
   QEMU mps2-an386 (outputs checked against the host interpreter on every row) and counts
   instructions per inference (QEMU -singlestep trace, measure.py's window);
4. prints a markdown table per model and writes the JSON (default build/mlperf_tiny/tflm.json).

Run from the project root with a Python that has numpy and tflite-micro (ai-edge-litert optional)."""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED_TFLM = Path(os.environ.get("SHARED_TFLM", ROOT.parent / "shared" / "tflm"))
WORK = ROOT / "build" / "tflm"
DEFAULT_JSON = ROOT / "build" / "mlperf_tiny" / "tflm.json"
# rows whose instructions are counted (QEMU single-steps with one log line per instruction:
# about 10 s per 10^7 instructions here); outputs are checked on all prepared rows regardless
COUNT_ROWS = {"kws": 3, "vww": 1, "ic": 1, "ad": 3}
# TFLM's own build flags for the all -Os variant (kernels and CMSIS-NN are -O2 by default)
ALL_OS_FLAGS = ["KERNEL_OPTIMIZATION_LEVEL=-Os", "THIRD_PARTY_KERNEL_OPTIMIZATION_LEVEL=-Os"]


def log(*args):
    print(*args, flush=True, file=sys.stderr)


# ---- building TFLM ----------------------------------------------------------------------------
def build_lib(kernels: str) -> Path:
    """libtensorflow-microlite.a for one kernel set via the shared build script (idempotent).
    "<set>_os" builds the same set with every part at -Os, with TFLM's Makefile run the way the
    shared script runs it, plus ALL_OS_FLAGS, into its own GENDIR."""
    env = {**os.environ, "WORK": str(WORK)}
    base = kernels.removesuffix("_os")
    done = subprocess.run(["bash", str(SHARED_TFLM / "build.sh")], cwd=ROOT, env={**env, "KERNELS": base},
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    (ROOT / "build" / "mlperf_tiny").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "mlperf_tiny" / f"build_{base}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"build.sh KERNELS={base} failed:\n{done.stderr[-3000:]}")
    lib = Path(next(line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("built ")))
    if kernels == base:
        return lib
    gendir = f"gen/cortex_m_generic_cortex-m4+fp_release_{base}_allOs_gcc/"
    args = ["TARGET=cortex_m_generic", "TARGET_ARCH=cortex-m4+fp", "TARGET_TOOLCHAIN_ROOT=/usr/bin/",
            "BUILD_TYPE=release", *ALL_OS_FLAGS, f"GENDIR={gendir}", "-j2", "microlite"]
    if base == "cmsis_nn":
        args.insert(0, "OPTIMIZED_KERNEL_DIR=cmsis_nn")
    src = WORK / "tflite-micro"
    done = subprocess.run(["make", "-f", "tensorflow/lite/micro/tools/make/Makefile", *args], cwd=src,
                          env={**env, "PATH": f"{WORK / 'mkvenv' / 'bin'}:{os.environ['PATH']}"},
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    (ROOT / "build" / "mlperf_tiny" / f"build_{kernels}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"make ({kernels}) failed:\n{done.stderr[-3000:]}")
    return src / gendir / "lib" / "libtensorflow-microlite.a"


def toolchain() -> dict:
    found = {}
    for cmd in ("arm-none-eabi-gcc", "qemu-system-arm"):
        try:
            found[cmd] = subprocess.run([cmd, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        except Exception as error:
            found[cmd] = f"missing ({error})"
    readme = SHARED_TFLM / "README.md"
    if readme.exists():
        text = readme.read_text()
        start = text.find("commit ")
        found["tflite-micro"] = text[start:start + 48].split()[1] if start >= 0 else "?"
    try:
        from tflite_micro.python.tflite_micro import _version
        found["tflite-micro wheel (host reference)"] = getattr(_version, "__version__", "?")
    except Exception:
        found["tflite-micro wheel (host reference)"] = "missing"
    return found


# ---- our runtime (filled in later) ------------------------------------------------------------
def add_our_runtime(results: dict, measurements: dict) -> dict:
    """PLACE FOR OUR RUNTIME'S COLUMN (TinyML Lab's firmware for the same models; not measured here).

    measurements: {model ("kws", "vww", "ic", "ad"): {"label": "tinyml-i8", "flash_total": bytes,
    "ram_total": bytes (buffers + static), "stack": bytes, "instructions_per_inference": n,
    "equal_tflm_host": bool, ...}} measured on the same rows (build/mlperf_tiny/models/NAME_rows.npz)
    and counted with the same window rule (bench/common/measure.py). The tables then show it as one
    more row with ratios to TFLM CMSIS-NN (int8 registrations)."""
    results["ours"] = measurements
    return results


# ---- tables -------------------------------------------------------------------------------------
def fmt(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def markdown(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


KERNEL_LABEL = {"cmsis_nn": "CMSIS-NN", "reference": "reference", "cmsis_nn_os": "CMSIS-NN all -Os",
                "reference_os": "reference all -Os"}


def tables(results: dict) -> str:
    out = []
    ours = results.get("ours") or {}
    for name, info in results["models"].items():
        header = ["kernels", "flash total", "framework", "kernels", "model", "other", "TFLM code", "CMSIS-NN code",
                  "libs", "default regs flash", "arena min (used)", "static RAM", "RAM total", "stack",
                  "instr / inference", "outputs = TFLM host"]
        rows, anchor = [], None
        for kernels, res in results["tflm"].items():
            entry, der = res["models"].get(name, {}), res["derived"].get(name)
            label = KERNEL_LABEL.get(kernels, kernels)
            if der is None:
                rows.append([label, f"ERROR: {entry.get('error', 'not measured')[:120]}"] + ["-"] * (len(header) - 2))
                continue
            if kernels == "cmsis_nn":
                anchor = der
            rows.append([label, fmt(der["flash_total"]), fmt(der["flash_framework"]), fmt(der["flash_kernels"]),
                         fmt(der["flash_model"]), fmt(der["flash_other"]), fmt(der["tflm_code"]),
                         fmt(der["cmsis_nn_code"]), fmt(der["libs_over_baseline"]),
                         fmt(der.get("default_regs_flash_total")),
                         f"{fmt(der['arena_min'])} ({fmt(der['arena_used'])})", fmt(der["static_ram"]),
                         fmt(der["ram_total"]), fmt(der["stack"]),
                         f"{fmt(der['instructions_per_inference'])} ({entry['rows_counted']} row"
                         f"{'s' if entry['rows_counted'] > 1 else ''})",
                         f"{'yes' if entry['equal_tflm_host'] else 'NO'} ({entry['agree_firmware_vs_tflm_host']})"])
        mine = ours.get(name)
        if mine:  # our runtime, with ratios to TFLM CMSIS-NN int8
            a = anchor or {}
            rows.append([mine.get("label", "ours"),
                         f"{fmt(mine.get('flash_total'))} ({ratio(mine.get('flash_total'), a.get('flash_total'))})",
                         "-", "-", "-", "-", "-", "-", "-", "-", "-", "-",
                         f"{fmt(mine.get('ram_total'))} ({ratio(mine.get('ram_total'), a.get('ram_total'))})",
                         fmt(mine.get("stack")),
                         f"{fmt(mine.get('instructions_per_inference'))} "
                         f"({ratio(mine.get('instructions_per_inference'), a.get('instructions_per_inference'))})",
                         "yes" if mine.get("equal_tflm_host") else "-"])
        ops = ", ".join(info["builtin_ops"])
        out.append(f"### {name}: {info['source'].rsplit('/', 1)[-1]} ({info['tflite_bytes']:,} B; {info['task']})\n\n"
                   f"{len(info['ops'])} operators: {ops}. Int8-only registrations (Register_X_INT8()); "
                   "'default regs flash': the same firmware with the default (all-type) ones.\n\n"
                   + markdown(header, rows))
    return "\n\n".join(out)


def summary(results: dict) -> str:
    header = ["model", "kernels", "flash: framework + kernels + model = total", "arena + static = RAM",
              "instr / inference"]
    rows = []
    for name in results["models"]:
        for kernels, res in results["tflm"].items():
            der = res["derived"].get(name)
            if der is None:
                continue
            rows.append([name, KERNEL_LABEL.get(kernels, kernels),
                         f"{fmt(der['flash_framework'])} + {fmt(der['flash_kernels'])} + {fmt(der['flash_model'])}"
                         f" = {fmt(der['flash_total'])}",
                         f"{fmt(der['arena_min'])} + {fmt(der['static_ram'])} = {fmt(der['ram_total'])}",
                         fmt(der["instructions_per_inference"])])
    return markdown(header, rows)


def floors(results: dict) -> str:
    rows = []
    for kernels, res in results["tflm"].items():
        b, n = res["baseline"]["size"], res["noops"]["size"]
        rows.append([KERNEL_LABEL.get(kernels, kernels), fmt(b["flash"]), fmt(n["flash"] - b["flash"])])
    return markdown(["kernels", "baseline firmware flash (no TFLM)", "framework floor (noops - baseline)"], rows)


# ---- main ---------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", nargs="*", default=["cmsis_nn", "reference"],
                        help="cmsis_nn, reference, and cmsis_nn_os / reference_os (all -Os build)")
    parser.add_argument("--models", nargs="*", default=["kws", "vww", "ic", "ad"])
    parser.add_argument("--rows", type=int, default=10, help="test rows checked against the host interpreter")
    parser.add_argument("--count-rows", type=int, help="rows traced for the instruction count (default per model)")
    parser.add_argument("--no-default-regs", action="store_true", help="skip the default-registration flash build")
    parser.add_argument("--no-prepare", action="store_true", help="reuse the prepared build/mlperf_tiny/models")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--from-json", type=Path, nargs="+",
                        help="print the tables of earlier runs (kernel sets merged in order), build nothing")
    parser.add_argument("--ours", type=Path, help="JSON of our runtime's measurements (see add_our_runtime)")
    args = parser.parse_args()

    if args.from_json:
        results = json.loads(args.from_json[0].read_text())
        for more in args.from_json[1:]:
            results["tflm"].update(json.loads(more.read_text())["tflm"])
    else:
        sys.path.insert(0, str(HERE))
        import prepare
        import tflm_fw

        start = time.time()
        models_dir = ROOT / "build" / "mlperf_tiny" / "models"
        if args.no_prepare:  # reuse build/mlperf_tiny/models as an earlier run wrote it
            infos = {m: json.loads((models_dir / f"{m}.json").read_text()) for m in args.models}
        else:
            infos = prepare.prepare(models_dir, args.rows, prepare.SEED, args.models)
        count_rows = {m: args.count_rows or COUNT_ROWS.get(m, 1) for m in args.models}
        results = {"generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   "toolchain": toolchain(), "models": infos, "tflm": {}, "timing_seconds": {}}
        for kernels in args.kernels:
            t0 = time.time()
            log(f"{kernels}: building libtensorflow-microlite.a ...")
            lib = build_lib(kernels)
            results["timing_seconds"][f"build_{kernels}"] = round(time.time() - t0, 1)
            log(f"{kernels}: {lib} ({time.time() - t0:.0f} s); measuring ...")
            t0 = time.time()
            fw = tflm_fw.load_fw(WORK)
            results["tflm"][kernels] = tflm_fw.measure_kernel_set(
                fw, kernels, lib, models_dir, args.models, count_rows, not args.no_default_regs, log)
            results["timing_seconds"][f"measure_{kernels}"] = round(time.time() - t0, 1)
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=1))  # after each kernel set
        results["timing_seconds"]["total"] = round(time.time() - start, 1)
        args.json.write_text(json.dumps(results, indent=1))
        log(f"wrote {args.json}")
    if args.ours:
        add_our_runtime(results, json.loads(args.ours.read_text()))

    print(f"TFLite Micro on Cortex-M4F (QEMU mps2-an386), {results['generated']}")
    print("; ".join(f"{k}: {v}" for k, v in results["toolchain"].items()) + "\n")
    print(summary(results) + "\n")
    print(floors(results) + "\n")
    print(tables(results))
    failed = [f"{k}/{m}" for k, r in results["tflm"].items() for m, e in r["models"].items()
              if "error" in e or not e.get("equal_tflm_host")]
    if failed:
        print(f"\nERRORS or output mismatches: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
