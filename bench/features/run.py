#!/usr/bin/env python3
"""Feature-extraction benchmark: the cost of each extractor of c-runtime/include/tinyml/features.h
on Cortex-M4F (and its flash on Cortex-M0+), one small C wrapper per extractor.

    python bench/features/run.py [--quick] [--workdir DIR]

See README.md beside this file for what is measured and how."""
import argparse
import bisect
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "common"))  # measure.py, tables.py: shared with bench/trees, bench/nets

import measure  # noqa: E402
import numpy as np  # noqa: E402
from tables import fmt_int, fmt_ratio, print_table  # noqa: E402

C_DIR = HERE / "c"  # cases.c, firmware.c, host_driver.c
INCLUDES = ["-I", str(ROOT / "c-runtime" / "include"), "-I", str(C_DIR)]


# ---- cases ---------------------------------------------------------------------------------
@dataclass
class Case:
    name: str  # BENCH_CASE_<name> in c/cases.c
    what: str
    input: str  # key of make_inputs()
    one_off: bool = False  # a set-up cost, paid once at start-up, not per frame
    int_output: bool = False  # bench_output holds int32 values, not float32
    pair: str = None  # the table-free case this one must equal bit for bit (same platform)


CASES = [
    Case("power_256", "Hann + FFT + power, n_fft 256", "audio_256"),
    Case("power_256_table", "as power_256, const window + twiddle table", "audio_256", pair="power_256"),
    Case("power_512", "Hann + FFT + power, n_fft 512", "audio_512"),
    Case("power_512_table", "as power_512, const window + twiddle table", "audio_512", pair="power_512"),
    Case("logmel_512", "log-mel 40, n_fft 512, 16 kHz (filterbank precomputed)", "audio_512"),
    Case("logmel_512_frame", "as logmel_512: tml_logmel_frame, const tables, sparse", "audio_512",
         pair="logmel_512"),
    Case("mfcc_512_frame", "tml_logmel_frame, 13 MFCC of 40 mel, const tables", "audio_512"),
    Case("mfcc_13", "MFCC 13 of 40 log-mel (DCT-II ortho)", "logmel_40"),
    Case("mfcc_13_table", "as mfcc_13, const 13 x 40 cosine table", "logmel_40", pair="mfcc_13"),
    Case("spectral_257", "centroid, bandwidth, rolloff, flatness; 257 bins", "spectrum_257"),
    Case("imu_stats_3x50", "IMU stats: 3 axes x 50 + magnitude + its stats", "imu_3x50"),
    Case("bands_8x129", "band energies, 8 bands of 129 bins", "spectrum_129"),
    Case("median_5x100", "median filter k=5, 100 samples", "signal_100"),
    Case("movavg_8x100", "moving average k=8, 100 samples", "signal_100"),
    Case("hysteresis_events_100", "hysteresis 0.6/0.4 + events (min 3), 100", "prob_100", int_output=True),
    Case("majority_15x5", "majority vote, 15 labels of 5 classes", "labels_15", int_output=True),
    Case("framer_16_64", "framer: push 16 samples (window 64, hop 16)", "audio_16"),
    Case("setup_hann_512", "one-off: Hann window 512 (tml_window)", "audio_16", one_off=True),
    Case("setup_melfb_512", "one-off: mel filterbank 40 x 257 (16 kHz)", "audio_16", one_off=True),
]
QUICK = ["power_256", "power_256_table", "logmel_512", "logmel_512_frame", "mfcc_13", "mfcc_13_table",
         "imu_stats_3x50", "median_5x100", "framer_16_64", "setup_melfb_512"]


def make_inputs() -> dict:
    """Fixed, deterministic inputs (numpy's PCG64 with seed 0): name -> (C type, values)."""
    rng = np.random.default_rng(0)
    t = np.arange(512) / 16000.0
    audio = (0.5 * np.sin(2 * np.pi * 440 * t) + 0.25 * np.sin(2 * np.pi * 1250 * t + 0.3)
             + 0.05 * rng.standard_normal(512)).astype(np.float32)

    def spectrum(x):
        w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(len(x)) / len(x))
        return (np.abs(np.fft.rfft(x * w)) ** 2).astype(np.float32)

    k = np.arange(50)
    imu = np.stack([0.3 * np.sin(2 * np.pi * k / 25) + 0.05 * rng.standard_normal(50),
                    0.2 * np.cos(2 * np.pi * k / 17) + 0.05 * rng.standard_normal(50),
                    1.0 + 0.1 * np.sin(2 * np.pi * k / 10) + 0.05 * rng.standard_normal(50)], axis=1)
    n = np.arange(100)
    signal = np.sin(2 * np.pi * n / 40) + 0.2 * rng.standard_normal(100)
    signal[[13, 47, 81]] += 3.0  # spikes for the median filter
    prob = np.clip(0.5 + 0.45 * np.sin(2 * np.pi * n / 30) + 0.1 * rng.standard_normal(100), 0, 1)
    return {
        "audio_16": ("float", audio[:16]),
        "audio_256": ("float", audio[:256]),
        "audio_512": ("float", audio),
        "logmel_40": ("float", (-60 + 50 * rng.random(40)).astype(np.float32)),
        "spectrum_257": ("float", spectrum(audio)),
        "spectrum_129": ("float", spectrum(audio[:256])),
        "imu_3x50": ("float", imu.astype(np.float32).reshape(-1)),  # x0 y0 z0 x1 y1 z1 ...
        "signal_100": ("float", signal.astype(np.float32)),
        "prob_100": ("float", prob.astype(np.float32)),
        "labels_15": ("int32_t", rng.integers(0, 5, 15)),
    }


def make_tables(work: Path) -> str:
    """bench_tables.h: c/make_tables.c built and run on the host (gcc -std=c99 -O2, as the host
    driver): the window, twiddle, sparse mel and DCT tables of the table cases, const arrays."""
    measure.run(["gcc", "-std=c99", "-O2", *INCLUDES, str(C_DIR / "make_tables.c"), "-lm", "-o", "make_tables"],
                work)
    return measure.run(["./make_tables"], work).stdout


def table_bytes(header: str) -> dict:
    """{array name: bytes} of bench_tables.h's const arrays."""
    size = {"float": 4, "uint16_t": 2}
    return {name: size[ctype] * int(n)
            for ctype, name, n in re.findall(r"static const (\w+) (\w+)\[(\d+)\]", header)}


def write_case(case: Case, inputs: dict, directory: Path, tables: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench_tables.h").write_text(tables)
    (directory / "bench_predict.c").write_text(f'#define BENCH_CASE_{case.name}\n#include "cases.c"\n')
    ctype, values = inputs[case.input]
    if ctype == "float":
        cells = [float(v).hex() + "f" for v in np.asarray(values, dtype=np.float32)]
    else:
        cells = [str(int(v)) for v in values]
    lines = ["#include <stdint.h>", f"static const {ctype} bench_input[{len(cells)}] = {{"]
    lines += ["    " + ", ".join(cells[i:i + 8]) + "," for i in range(0, len(cells), 8)]
    lines.append("};")
    (directory / "bench_input.h").write_text("\n".join(lines) + "\n")


# ---- measurements --------------------------------------------------------------------------
@dataclass
class Result:
    case: Case
    flash: dict = field(default_factory=dict)  # target -> (own bytes, library bytes)
    ram: tuple = (None, None)  # static .data+.bss, M4F: (own, libraries)
    stack: int = None
    m4f_ipc: float = None  # instructions per call, Cortex-M4F in QEMU
    m4f_lib: Counter = None  # library function -> instructions per call
    host_ipc: float = None
    agree: str = "-"
    words: dict = field(default_factory=dict)  # "host" / "M4F" -> printed ret/out words
    errors: list = field(default_factory=list)


def arm_object(directory: Path, target: str) -> Path:
    work = directory / f"flash_{target.replace('+', 'p')}"
    work.mkdir(exist_ok=True)
    measure.run(["arm-none-eabi-gcc", *measure.ARM_COMMON, *measure.ARM_TARGETS[target], "-I", str(directory),
                 *INCLUDES, "-c", str(directory / "bench_predict.c"), "-o", "bench_predict.o"], work)
    return work


def sizes_from(script: str, work: Path, target: str) -> dict:
    """Links bench_predict.o through bench/common/c/<script> (ENTRY(bench_predict), --gc-sections)
    with bench_setup as a second root: what one call plus the start-up set-up can reach."""
    measure.run(["arm-none-eabi-gcc", *measure.ARM_COMMON, *measure.ARM_TARGETS[target], "--specs=nano.specs",
                 "-nostartfiles", "-Wl,--gc-sections", "-Wl,--undefined=bench_setup",
                 "-T", str(measure.C_DIR / script), "bench_predict.o", "-lm", "-o", "link.elf"], work)
    return measure._section_sizes(work / "link.elf", work)


def flash_and_ram(directory: Path, result: Result) -> None:
    for target in measure.ARM_TARGETS:
        try:
            work = arm_object(directory, target)
            sizes = sizes_from("flash.ld", work, target)
            result.flash[target] = (sizes.get(".model", 0), sizes.get(".libs", 0))
            if target == "M4F":
                sizes = sizes_from("ram.ld", work, target)
                result.ram = (sizes.get(".model_ram", 0), sizes.get(".libs_ram", 0))
        except Exception as error:
            result.errors.append(f"flash {target}: {error}")


def parse_words(text: str) -> dict:
    found = {"ret": [], "out": []}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in found:
            found[parts[0]] += parts[1:]
    return found


def host_run(directory: Path, calls: int) -> tuple:
    """(instructions per call under callgrind, printed words)."""
    measure.run(["gcc", "-std=c99", "-O2", f"-DBENCH_FW_CALLS={calls}", "-I", str(directory), *INCLUDES,
                 str(C_DIR / "host_driver.c"), str(directory / "bench_predict.c"), "-lm",
                 "-Wl,-z,now", "-o", "host_bench"],  # bind libm at start-up: no lazy PLT resolution counted
                directory)
    out_file = directory / "callgrind.out"
    done = measure.run(["valgrind", "--tool=callgrind", "--toggle-collect=bench_predict",
                        f"--callgrind-out-file={out_file}", "./host_bench"], directory, env=measure.HOST_ENV)
    totals = re.search(r"^totals:\s+(\d+)", out_file.read_text(), re.M)
    return int(totals.group(1)) / calls, parse_words(done.stdout)


def own_functions(obj: Path, cwd: Path) -> set:
    out = measure.run(["arm-none-eabi-nm", "--defined-only", str(obj)], cwd).stdout
    return {parts[2] for parts in (line.split() for line in out.splitlines())
            if len(parts) == 3 and parts[1] in "tT"}


def code_symbols(elf: Path, cwd: Path) -> tuple:
    """(sorted start addresses, names) of every code symbol of the image, sized or not
    (libgcc's assembly routines such as __aeabi_ldivmod carry no size); Thumb bit dropped."""
    out = measure.run(["arm-none-eabi-nm", "-n", "--defined-only", str(elf)], cwd).stdout
    starts, names = [], []
    for parts in (line.split() for line in out.splitlines()):
        if len(parts) == 3 and parts[1] in "tTwW" and not parts[2].startswith("$"):
            starts.append(int(parts[0], 16) & ~1)
            names.append(parts[2])
    return starts, names


def count_window(trace: Path, ranges: dict, symbols: tuple, own: set) -> tuple:
    """(instructions after bench_window_begin and before bench_window_end, minus main's loop
    (as measure._count_window counts them), {library function: instructions}): every
    instruction outside the case's own functions is attributed to the nearest code symbol
    at or below its address."""
    begin, end, loop = ranges["bench_window_begin"], ranges["bench_window_end"], ranges["main"]
    starts, names = symbols
    pc_pattern = re.compile(rb"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
    inside, count, per_pc = False, 0, Counter()
    with open(trace, "rb") as lines:
        for line in lines:
            match = pc_pattern.match(line)
            if not match:
                continue
            pc = int(match.group(1), 16)
            if not inside:
                inside = begin[0] <= pc < begin[1]
                continue
            if end[0] <= pc < end[1]:
                break
            if not (loop[0] <= pc < loop[1] or begin[0] <= pc < begin[1]):
                count += 1
                per_pc[pc] += 1
        else:
            raise RuntimeError("trace ended before bench_window_end")
    libs = Counter()
    for pc, n in per_pc.items():
        at = bisect.bisect_right(starts, pc) - 1
        name = names[at] if at >= 0 else "?"
        if name not in own:
            libs[name] += n
    return count, libs


def m4f_run(directory: Path, calls: int) -> tuple:
    """(instructions per call, {library function: instructions per call}, stack bytes,
    printed words) on Cortex-M4F in QEMU mps2-an386."""
    work = directory / "qemu"
    work.mkdir(exist_ok=True)
    flags = [*measure.ARM_COMMON, *measure.ARM_TARGETS["M4F"], f"-DBENCH_FW_CALLS={calls}",
             "-I", str(directory), *INCLUDES]
    measure.run(["arm-none-eabi-gcc", *flags, "-c", str(directory / "bench_predict.c"), "-o", "bench_predict.o"],
                work)
    measure.run(["arm-none-eabi-gcc", *flags, str(C_DIR / "firmware.c"), "bench_predict.o",
                 *measure.FIRMWARE_SOURCES, *measure.FIRMWARE_LINK, "-lm", "-o", "fw.elf"], work)
    trace = work / "trace.log"
    done = measure.run([*measure.QEMU, "-kernel", "fw.elf", "-singlestep", "-d", "exec,nochain",
                        "-D", str(trace)], work, timeout=900)
    console = done.stdout + done.stderr  # semihosting output: either, depending on the terminal
    if "fault" in console:
        raise RuntimeError("firmware fault")
    stack = re.search(r"stack=(\d+)", console)
    count, libs = count_window(trace, measure._symbol_ranges(work / "fw.elf", work),
                               code_symbols(work / "fw.elf", work), own_functions(work / "bench_predict.o", work))
    trace.unlink()
    per_call = Counter({name: n / calls for name, n in libs.items()})
    return count / calls, per_call, int(stack.group(1)) if stack else None, parse_words(console)


def compare(host: dict, device: dict, int_output: bool) -> str:
    """"yes" when every returned value and every output word is bit-identical; otherwise how
    many words differ and, for float outputs, the largest difference relative to the largest
    magnitude among the host's outputs (a difference in a near-zero bin is not one in the
    result)."""
    if not device["out"] or not host["out"]:
        return "no output"
    if host == device:
        return "yes"
    h, d = host["ret"] + host["out"], device["ret"] + device["out"]
    if len(h) != len(d):
        return "no (lengths differ)"
    differ = sum(a != b for a, b in zip(h, d))
    if int_output:
        return f"no: {differ}/{len(h)} words"
    as_float = lambda words: np.array([int(w, 16) for w in words], dtype=np.uint32).view(np.float32)  # noqa: E731
    ho, do = as_float(host["out"]).astype(np.float64), as_float(device["out"]).astype(np.float64)
    scale = np.max(np.abs(ho)) or 1.0
    return f"no: {differ}/{len(h)} words, {np.max(np.abs(ho - do)) / scale:.0e} of max"


def measure_case(case: Case, directory: Path, calls: int) -> Result:
    result = Result(case)
    flash_and_ram(directory, result)
    host_words = device_words = None
    try:
        result.host_ipc, host_words = host_run(directory, calls)
    except Exception as error:
        result.errors.append(f"host: {error}")
    try:
        result.m4f_ipc, result.m4f_lib, result.stack, device_words = m4f_run(directory, calls)
    except Exception as error:
        result.errors.append(f"qemu: {error}")
    if host_words is not None and device_words is not None:
        result.agree = compare(host_words, device_words, case.int_output)
    result.words = {k: v for k, v in (("host", host_words), ("M4F", device_words)) if v is not None}
    return result


# ---- printing ------------------------------------------------------------------------------
def fmt_stack(stack) -> str:
    return f">={stack:,}" if stack is not None and stack >= measure.STACK_SPAN else fmt_int(stack)


def results_table(results: list) -> None:
    header = ["case", "what", "flash M4F", "flash M0+", "lib M4F", "lib M0+", "static RAM", "stack M4F",
              "M4F instr/call", "in libs", "host instr/call", "agree"]
    rows = []
    for r in results:
        flash = {t: r.flash.get(t, (None, None)) for t in measure.ARM_TARGETS}
        lib_share = "-"
        if r.m4f_ipc and r.m4f_lib is not None:
            lib_share = f"{100 * sum(r.m4f_lib.values()) / r.m4f_ipc:.0f}%"
        rows.append([r.case.name, r.case.what, fmt_int(flash["M4F"][0]), fmt_int(flash["M0+"][0]),
                     fmt_int(flash["M4F"][1]), fmt_int(flash["M0+"][1]), fmt_int(r.ram[0]), fmt_stack(r.stack),
                     fmt_int(r.m4f_ipc), lib_share, fmt_int(r.host_ipc), r.agree])
    print_table(header, rows)


def library_lines(results: list) -> None:
    """Where the library share of the M4F instructions goes, for cases where it is >= 5 %."""
    for r in results:
        if not r.m4f_ipc or not r.m4f_lib or sum(r.m4f_lib.values()) < 0.05 * r.m4f_ipc:
            continue
        top = ", ".join(f"{name} {n:,.0f}" for name, n in r.m4f_lib.most_common(5))
        print(f"  {r.case.name}: {top}")


def ram_in_use(r: Result):
    return r.ram[0] + r.stack if r.ram[0] is not None and r.stack is not None else None


def pair_lines(results: list, tables: dict) -> None:
    """Each table case against its table-free pair: are the outputs bit-identical on each
    platform (the tables come from the host's libm, so the host pair must be; on the device
    the table-free case's window, twiddles, filterbank or cosines come from newlib instead),
    and what the tables change: instructions, flash, RAM."""
    by_name = {r.case.name: r for r in results}
    pairs = [(by_name[r.case.pair], r) for r in results if r.case.pair in by_name]
    if not pairs:
        return
    print("\nTable case vs its table-free pair (same platform, every returned value and output word):")
    for old, new in pairs:
        checks = []
        for platform in ("host", "M4F"):
            a, b = old.words.get(platform), new.words.get(platform)
            checks.append(f"{platform} {compare(a, b, new.case.int_output) if a and b else '-'}")
        print(f"  {new.case.name} = {old.case.name}? " + "; ".join(checks))
    print("  (bench_tables.h is made on the host, with glibc's cosf/sinf/logf/expf: on M4F the table-free case\n"
          "  makes its own window, twiddles, filterbank or cosines with newlib's, while the table case reproduces\n"
          "  the host's bits: its own agree column)")
    print("\nRatios, table case / table-free pair (flash = code + const data of the case, + lib = with the "
          "libm/libgcc code it pulls in; RAM in use = static + stack; total = flash + lib + RAM in use, M4F):")
    header = ["table case", "M4F instr/call", "host instr/call", "flash M4F", "flash + lib M4F",
              "flash + lib M0+", "static RAM", "RAM in use", "total M4F"]

    def flash(r, target, lib):
        own, libs = r.flash.get(target, (None, None))
        return None if own is None or (lib and libs is None) else own + (libs if lib else 0)

    def total(r):
        parts = [flash(r, "M4F", True), ram_in_use(r)]
        return None if None in parts else sum(parts)

    rows = []
    for old, new in pairs:
        def both(get, old=old, new=new):
            a, b = get(old), get(new)
            return f"{fmt_int(b)} / {fmt_int(a)} = {fmt_ratio(b, a)}"
        rows.append([new.case.name, both(lambda r: r.m4f_ipc), both(lambda r: r.host_ipc),
                     both(lambda r: flash(r, "M4F", False)), both(lambda r: flash(r, "M4F", True)),
                     both(lambda r: flash(r, "M0+", True)), both(lambda r: r.ram[0]), both(ram_in_use),
                     both(total)])
    print_table(header, rows)
    if tables:
        print("\nbench_tables.h (bytes, const): " + ", ".join(f"{k} {v:,}" for k, v in tables.items()))
        sparse = sum(v for k, v in tables.items() if k.startswith("bench_mel_"))
        dense = 40 * 257 * 4
        print(f"mel filterbank 40 x 257: sparse {sparse:,} (first_bin + n_weights + weights) vs dense {dense:,} "
              f"= {fmt_ratio(sparse, dense)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK)} cases, 2 calls each")
    parser.add_argument("--workdir", help="keep generated wrappers, binaries and callgrind files here")
    args = parser.parse_args()

    missing = measure.missing_tool()
    if missing:
        print(missing)
        return 2

    started = time.time()
    calls = 2 if args.quick else 5
    cases = [c for c in CASES if not args.quick or c.name in QUICK]
    print(measure.versions((), [f"numpy {np.__version__}"]))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_features_"))
    inputs = make_inputs()
    work.mkdir(parents=True, exist_ok=True)
    tables = make_tables(work)
    for case in cases:
        shutil.rmtree(work / case.name, ignore_errors=True)
        write_case(case, inputs, work / case.name, tables)

    with ThreadPoolExecutor() as pool:  # compilers, valgrind and QEMU are separate processes
        results = list(pool.map(lambda c: measure_case(c, work / c.name, calls), cases))

    print(f"\n{len(cases)} cases; {calls} calls each on Cortex-M4F (QEMU) and on the host (callgrind), "
          "after one bench_setup\n")
    results_table(results)
    print("\nM4F library instructions per call (top functions):")
    library_lines(results)
    pair_lines(results, table_bytes(tables))
    for r in results:
        for error in r.errors:
            print(f"ERROR {r.case.name}: {error}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
