"""Builds and measures the TFLite Micro firmwares for the MLPerf Tiny models, reusing the shared
anchor's firmware (../shared/tflm/fw/main.cc) and its helpers (fw.py: flags, sizes, linker-map
attribution, symbol ranges, console parsing) against a libtensorflow-microlite.a that
../shared/tflm/build.sh built.

Why not `MODELS=dir build.sh` alone: its fw.py measures only the two anchor models by default, caps
the arena at 32 KiB (VWW and the ResNet need more), has no ADD in its operator table (the ResNet
needs it), traces to a file (hundreds of millions of lines here), and its main.cc expects the older
bench/common/c (firmware.ld, write_text/semihost_call in firmware_base.h), which the export-bundle
glue replaced. So this module:

- writes a compat include directory under build/ (firmware_base.h = today's bench/common/c one +
  the bundle's mps2-an386 start-up and semihosting glue + the two names main.cc still uses;
  firmware.ld = the bundle's mps2_an386.ld) and points fw.py's BENCH_C at it;
- writes fw_model.h itself (int8-only registrations for every op that has one: CONV_2D,
  DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, ADD);
- finds the smallest arena AllocateTensors accepts with an open upper bound;
- counts instructions by streaming QEMU's trace through a FIFO into trace_count.c (same window rule
  as bench/common/measure.py), on the first `count_rows` rows."""
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import streamed  # noqa: E402

SHARED_TFLM = Path(os.environ.get("SHARED_TFLM", ROOT.parent / "shared" / "tflm"))
OUT = ROOT / "build" / "mlperf_tiny"
BUNDLE = ROOT / "c-runtime" / "bundle"

# TFLite builtin -> MicroMutableOpResolver method, and the ops with an int8-only registration
ADD_METHOD = {"FULLY_CONNECTED": "AddFullyConnected", "CONV_2D": "AddConv2D", "MAX_POOL_2D": "AddMaxPool2D",
              "MEAN": "AddMean", "RESHAPE": "AddReshape", "SOFTMAX": "AddSoftmax",
              "AVERAGE_POOL_2D": "AddAveragePool2D", "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D",
              "QUANTIZE": "AddQuantize", "DEQUANTIZE": "AddDequantize", "ADD": "AddAdd", "MUL": "AddMul",
              "PAD": "AddPad", "RELU": "AddRelu", "SQUEEZE": "AddSqueeze", "EXPAND_DIMS": "AddExpandDims"}
INT8_REG = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "SOFTMAX",
            "ADD", "MUL", "PAD"}
KERNEL_HEADERS = ["add.h", "conv.h", "depthwise_conv.h", "fully_connected.h", "mul.h", "pad.h", "pooling.h",
                  "softmax.h"]
BIG_ARENA = 1024 * 1024  # pass 1: roomy, to read arena_used_bytes()


def run(cmd, cwd, timeout=1800):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))[:300]} failed ({done.returncode}):\n"
                           + (done.stderr or done.stdout)[-3000:])
    return done


# ---- the shared fw.py, pointed at a compat include directory --------------------------------
def write_compat(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    header = directory / "firmware_base.h"
    text = f"""/* Written by bench/mlperf_tiny/tflm_fw.py: what
 * ../shared/tflm/fw/main.cc expects from the project's firmware_base.h, made of today's pieces:
 * bench/common/c/firmware_base.h (format_uint,
 * window markers, stack paint) and the export bundle's mps2-an386 glue (vector table, reset
 * handler, semihosting target_write/target_exit), compiled into main.o as the start-up was. */
#include "{ROOT / 'bench/common/c/firmware_base.h'}"
#include "{BUNDLE / 'target/mps2_an386/target.c'}"
#define SEMIHOST_EXIT SYS_EXIT
static inline void write_text(const char *text) {{ target_write(text); }}
static inline void semihost_call(int op, const void *reason)
{{
    (void)op; /* main.cc only exits through it */
    target_exit(reason == (const void *)ADP_STOPPED_APPLICATION_EXIT ? 0 : 1);
}}
"""
    if not header.exists() or header.read_text() != text:  # another run may be using it
        header.write_text(text)
    link = directory / "firmware.ld"
    target = BUNDLE / "target/mps2_an386/mps2_an386.ld"
    if not (link.is_symlink() and link.resolve() == target.resolve()):
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return directory


def load_fw(work: Path):
    """Imports ../shared/tflm/fw/fw.py with WORK (the unpacked sources) and BENCH_C (compat dir)."""
    os.environ["WORK"] = str(work)
    os.environ["BENCH_C"] = str(write_compat(OUT / "compat"))
    spec = importlib.util.spec_from_file_location("shared_tflm_fw", SHARED_TFLM / "fw" / "fw.py")
    fw = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fw)
    fw.CXXFLAGS += ["-I", str(BUNDLE)]  # today's firmware_base.h includes "target.h"
    return fw


# ---- generated sources ----------------------------------------------------------------------
def write_header(directory: Path, info: dict, rows, expected):
    ops = info["builtin_ops"]
    missing = [op for op in ops if op not in ADD_METHOD]
    if missing:
        raise RuntimeError(f"no resolver method known for {missing}")
    i8 = " ".join(f"r.{ADD_METHOD[op]}(tflite::Register_{op}_INT8());" if op in INT8_REG else f"r.{ADD_METHOD[op]}();"
                  for op in ops)
    lines = ["#pragma once", "#include <stdint.h>", "#ifndef FW_BASELINE"]
    lines += [f'#include "tensorflow/lite/micro/kernels/{h}"' for h in KERNEL_HEADERS]
    lines += ["#endif", f"#define FW_ROWS {len(rows)}", f"#define FW_IN {rows.shape[1]}",
              f"#define FW_OUT {expected.shape[1]}", f"#define FW_N_OPS {len(ops)}",
              "#define FW_ADD_OPS(r) do { " + " ".join(f"r.{ADD_METHOD[op]}();" for op in ops) + " } while (0)",
              "#define FW_ADD_OPS_I8(r) do { " + i8 + " } while (0)",
              "static const int8_t fw_rows[FW_ROWS][FW_IN] = {"]
    lines += ["  {" + ",".join(str(int(v)) for v in row) + "}," for row in rows]
    lines += ["};", "static const int8_t fw_expected[FW_ROWS][FW_OUT] = {"]
    lines += ["  {" + ",".join(str(int(v)) for v in row) + "}," for row in expected]
    lines += ["};"]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "fw_model.h").write_text("\n".join(lines) + "\n")


def model_object(fw, directory: Path, tflite: Path) -> Path:
    """model_data.o: the .tflite as an aligned const array (compiled once per model and kernel set)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = tflite.read_bytes()
    (directory / "model_data.cc").write_text(
        "extern const unsigned char g_model[];\n"
        f"alignas(16) const unsigned char g_model[{len(data)}] = {{\n{fw.c_bytes(data)}\n}};\n")
    run(["arm-none-eabi-g++", *fw.CXXFLAGS, "-c", "model_data.cc", "-o", "model_data.o"], directory)
    return directory / "model_data.o"


def build(fw, directory: Path, lib: Path, defines, model_obj=None):
    flags = fw.CXXFLAGS + ["-I", str(directory)] + [f"-D{d}" for d in defines]
    run(["arm-none-eabi-g++", *flags, "-c", fw.HERE / "main.cc", "-o", "main.o"], directory)
    objs = ["main.o"] + ([str(model_obj)] if model_obj else [])
    run(["arm-none-eabi-g++", *fw.LDFLAGS, "-Wl,-Map=fw.map", *objs, lib, "-lm", "-o", "fw.elf"], directory)
    return directory / "fw.elf"


# ---- running --------------------------------------------------------------------------------
def qemu_plain(fw, elf: Path, timeout=900) -> str:
    done = subprocess.run([*fw.QEMU, "-kernel", str(elf)], cwd=elf.parent, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return done.stdout + done.stderr


def qemu_traced(fw, elf: Path, timeout=3600) -> dict:
    """The window's instructions with the trace streamed (streamed.py): {"count", "profile" (the
    15 largest, demangled), "console", "seconds"}."""
    ranges = fw.symbol_ranges(elf)
    functions = [(lo, hi, name) for name, (lo, hi) in fw.symbol_ranges(elf, types="tTwW").items() if hi > lo]
    found = streamed.count_streamed(elf, fw.QEMU, ranges, functions, timeout)
    names = [n for n, _ in found["profile"][:15]]
    demangled = subprocess.run(["arm-none-eabi-c++filt"], input="\n".join(names), capture_output=True,
                               text=True).stdout.splitlines()
    found["profile"] = [(dm[:100], c) for dm, (_, c) in zip(demangled, found["profile"][:15])]
    return found


def works(console: str) -> bool:
    return re.search(r"\barena_used=\d+", console) is not None


# ---- one model --------------------------------------------------------------------------------
def by(origin: dict, key: str, field: str = "flash") -> int:
    return origin.get(key, {}).get(field, 0)


def measure_model(fw, root: Path, lib: Path, models: Path, name: str, defines, count_rows: int,
                  with_default_regs: bool = True, log=print) -> dict:
    import numpy as np

    info = json.loads((models / f"{name}.json").read_text())
    data = np.load(models / f"{name}_rows.npz")
    rows, host, lite = data["rows"], data["tflm_host_out"], data["tflite_out"]
    k = min(count_rows, len(rows))
    d = root / name
    obj = model_object(fw, d / "model", models / f"{name}.tflite")
    i8 = [*defines, "FW_INT8_REGS"]
    t0 = time.time()

    write_header(d / "nomodel", info, rows[:1], host[:1])
    elf = build(fw, d / "nomodel", lib, [*i8, "FW_NO_MODEL"])
    nomodel = {"size": fw.sizes(elf), "by_origin": fw.attribute(elf.parent / "fw.map")}

    # pass 1 (first k rows): roomy arena -> arena_used_bytes(); then the smallest arena that works
    small = d / "count"
    write_header(small, info, rows[:k], host[:k])
    console = qemu_plain(fw, build(fw, small, lib, [*i8, f"FW_ARENA_BYTES={BIG_ARENA}"], obj))
    first = fw.parse_console(console, 0)
    if not works(console):
        raise RuntimeError(f"{name}: AllocateTensors failed with a {BIG_ARENA} B arena:\n{console[-2000:]}")
    used = int(first["arena_used"])
    probes = []

    def try_arena(size):
        ok = works(qemu_plain(fw, build(fw, small, lib, [*i8, f"FW_ARENA_BYTES={size}"], obj)))
        probes.append((size, ok))
        return ok

    lo = (used + 15) // 16 * 16 - 16  # assumed to fail: below what the interpreter reported using
    step, hi = 256, (used + 15) // 16 * 16
    while not try_arena(hi):
        lo, step = hi, step * 4
        hi = min(hi + step, BIG_ARENA)
    if hi - lo == 16 and try_arena(lo):  # confirm the bound below arena_used fails (else search down)
        hi, lo = lo, max(16, lo - 1024)
        while lo > 16 and try_arena(lo):
            hi, lo = lo, max(16, lo - 1024)
    while hi - lo > 16:
        mid = (lo + hi) // 32 * 16
        if try_arena(mid):
            hi = mid
        else:
            lo = mid
    arena = hi
    log(f"  {name}: arena_used={used} arena_min={arena} ({len(probes)} probes, {time.time() - t0:.0f} s)")

    # all rows, smallest arena: sizes, map attribution, outputs vs the host interpreters
    full = d / "check"
    write_header(full, info, rows, host)
    elf = build(fw, full, lib, [*i8, f"FW_ARENA_BYTES={arena}"], obj)
    console = qemu_plain(fw, elf)
    found = fw.parse_console(console, 0)
    outputs = np.asarray(found["outputs"], dtype=np.int8)
    entry = {
        "registrations": "int8", "size": fw.sizes(elf), "by_origin": fw.attribute(full / "fw.map"),
        "nomodel": nomodel, "arena_used_bytes": used, "arena_min_bytes": arena, "arena_probes": probes,
        "stack_bytes": int(found["stack"]) if found["stack"] else None,
        "main_frame_objects": {"MicroInterpreter": int(found["interp_obj"] or 0),
                               "MicroMutableOpResolver": int(found["resolver_obj"] or 0)},
        "rows_checked": len(rows), "agree_firmware_vs_tflm_host": found["agree"],
        "equal_tflm_host": bool(outputs.shape == host.shape and np.array_equal(outputs, host)),
        "equal_tflite": bool(outputs.shape == lite.shape and np.array_equal(outputs, lite)),
        "outputs": outputs.tolist(),
    }

    # the instruction count: first k rows, same code, traced
    elf = build(fw, small, lib, [*i8, f"FW_ARENA_BYTES={arena}"], obj)
    traced = qemu_traced(fw, elf)
    counted = fw.parse_console(traced["console"], 0)
    entry.update({
        "rows_counted": k, "instructions_total": traced["count"],
        "instructions_per_inference": traced["count"] / k,
        "profile_top_functions": [(f, c / k) for f, c in traced["profile"]],
        "trace_seconds": round(traced["seconds"], 1),
        "traced_outputs_equal_tflm_host": bool(np.array_equal(np.asarray(counted["outputs"], dtype=np.int8), host[:k])),
    })
    log(f"  {name}: flash={entry['size']['flash']} ipi={entry['instructions_per_inference']:,.0f} "
        f"({k} rows traced in {traced['seconds']:.0f} s) agree={found['agree']} "
        f"eq_host={entry['equal_tflm_host']} stack={entry['stack_bytes']}")

    if with_default_regs:  # default (all-type) registrations: flash only, same arena, outputs checked
        dd = d / "default_regs"
        write_header(dd, info, rows[:k], host[:k])
        elf = build(fw, dd, lib, [*defines, f"FW_ARENA_BYTES={arena}"], obj)
        console = qemu_plain(fw, elf)
        found_default = fw.parse_console(console, 0)
        write_header(d / "nomodel_default", info, rows[:1], host[:1])
        nm = build(fw, d / "nomodel_default", lib, [*defines, "FW_NO_MODEL"])
        entry["default_registrations"] = {
            "size": fw.sizes(elf), "by_origin": fw.attribute(dd / "fw.map"),
            "nomodel": {"size": fw.sizes(nm), "by_origin": fw.attribute(nm.parent / "fw.map")},
            "allocates_with_arena_min": works(console),
            "equal_tflm_host": bool(np.array_equal(np.asarray(found_default["outputs"], dtype=np.int8), host[:k])),
        }
    entry["seconds"] = round(time.time() - t0, 1)
    return entry


def derive(entry: dict, baseline: dict, noops: dict) -> dict:
    """The flash/RAM split reported in the tables (bytes).

    total     = firmware flash - baseline firmware flash (same start-up, no TFLM) - test rows
    framework = noops firmware (interpreter, empty resolver, dummy model) - baseline
    kernels   = nomodel firmware (interpreter + this model's ops, dummy model) - noops
    model     = the flatbuffer array (model_data.o); other = total - framework - kernels - model
    by origin (linker map): TFLM code, CMSIS-NN code (arm_*.o), libs over the baseline's
    RAM       = arena_min + static RAM of TFLM/CMSIS-NN/libs (.data+.bss; not the harness's
                output buffer); MicroInterpreter and resolver objects and the stack are listed apart."""
    o, base_o = entry["by_origin"], baseline["by_origin"]
    total = entry["size"]["flash"] - baseline["size"]["flash"] - by(o, "rows")
    framework = noops["size"]["flash"] - baseline["size"]["flash"]
    kernels = (entry["nomodel"]["size"]["flash"] - by(entry["nomodel"]["by_origin"], "rows")) \
        - (noops["size"]["flash"] - by(noops["by_origin"], "rows"))
    model = by(o, "model")
    static = by(o, "tflm", "ram") + by(o, "cmsis_nn", "ram") + by(o, "libs", "ram") - by(base_o, "libs", "ram")
    out = {"flash_total": total, "flash_framework": framework, "flash_kernels": kernels, "flash_model": model,
           "flash_other": total - framework - kernels - model,
           "tflm_code": by(o, "tflm"), "cmsis_nn_code": by(o, "cmsis_nn"),
           "libs_over_baseline": by(o, "libs") - by(base_o, "libs"),
           "arena_min": entry["arena_min_bytes"], "arena_used": entry["arena_used_bytes"],
           "static_ram": static, "ram_total": entry["arena_min_bytes"] + static,
           "interpreter_objects_on_stack": sum(entry["main_frame_objects"].values()),
           "stack": entry["stack_bytes"], "instructions_per_inference": entry.get("instructions_per_inference")}
    default = entry.get("default_registrations")
    if default:
        dflt_o = default["by_origin"]
        out["default_regs_flash_total"] = default["size"]["flash"] - baseline["size"]["flash"] - by(dflt_o, "rows")
    return out


def measure_kernel_set(fw, kernels: str, lib: Path, models: Path, names, count_rows: dict,
                       with_default_regs=True, log=print) -> dict:
    root = OUT / "fw" / kernels
    defines = ["CMSIS_NN"] if kernels.startswith("cmsis_nn") else []
    result = {"kernels": kernels, "lib": str(lib), "defines": defines, "models": {}, "derived": {}}
    for label, define in (("baseline", "FW_BASELINE"), ("noops", "FW_NO_OPS")):
        d = root / label
        d.mkdir(parents=True, exist_ok=True)
        fw.write_dummy_header(d)
        elf = build(fw, d, lib, [*defines, define])
        result[label] = {"size": fw.sizes(elf), "by_origin": fw.attribute(d / "fw.map")}
    console = qemu_plain(fw, root / "baseline" / "fw.elf")
    if "baseline stack=" not in console:
        raise RuntimeError(f"baseline firmware did not run: {console[-500:]}")
    for name in names:
        try:
            entry = measure_model(fw, root, lib, models, name, defines, count_rows.get(name, 1),
                                  with_default_regs, log)
            result["models"][name] = entry
            result["derived"][name] = derive(entry, result["baseline"], result["noops"])
        except Exception as error:  # report and go on with the next model
            log(f"  {name}: ERROR {error}")
            result["models"][name] = {"error": str(error)[-3000:]}
    return result
