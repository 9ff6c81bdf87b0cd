"""Measurements shared by bench/trees and bench/nets, each run the same way for every
tool's `bench_predict.c` (a directory holding it and `bench_rows.h`):

flash_bytes        arm-none-eabi-gcc -Os object, linked from bench_predict with --gc-sections
static_ram         the same link: .data + .bss that one prediction reaches (model vs libraries)
host_run           gcc -O2 driver under callgrind, instructions inside bench_predict
qemu_run           bare-metal firmware in QEMU mps2-an386, instructions from its block log, plus
                   the stack high-water mark of the predictions (painted stack); with
                   target="M0+" the firmware is built for Cortex-M0+ (ARMv6-M, soft float);
                   target="RV32" for RV32IMC (riscv64-unknown-elf-gcc, picolibc) in
                   qemu-system-riscv32 -M virt, with the bundle's qemu_virt_rv32 glue
measure_avr        ATmega328P (avr-gcc -mmcu=atmega328p -Os, avr-libc): flash and RAM of the
                   model part (c/avr_sizes.ld), the firmware in simavr at 16 MHz with the
                   bundle's atmega328p glue (cycles per prediction from Timer1, painted stack,
                   agreement), and whether the whole firmware fits the part's 32 KB / 2 KB
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

from tinyml_lab.bundle import QEMU_COUNT_LOG, count_inferences

HERE = Path(__file__).resolve().parent
C_DIR = HERE / "c"
# The export bundle's glue for QEMU's mps2-an386 (start-up, vector table, linker script,
# semihosting console): every firmware here links it, so models run as in a bundle.
BUNDLE_DIR = HERE.parents[1] / "c-runtime" / "bundle"
FIRMWARE_SOURCES = ["-I", str(BUNDLE_DIR), str(BUNDLE_DIR / "target" / "mps2_an386" / "target.c")]
FIRMWARE_LINK = ["--specs=nano.specs", "-nostartfiles", "-Wl,--gc-sections",
                 "-T", str(BUNDLE_DIR / "target" / "mps2_an386" / "mps2_an386.ld")]

ARM_COMMON = ["-std=c99", "-Os", "-mthumb", "-ffunction-sections", "-fdata-sections"]
ARM_TARGETS = {
    "M4F": ["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "M0+": ["-mcpu=cortex-m0plus", "-mfloat-abi=soft"],
}

# RV32IMC (the ESP32-C3's instruction set): its compiler flags (picolibc's specs give the
# headers and libraries) and the bundle's glue for QEMU's virt machine.
RV32_FLAGS = ["-std=c99", "-Os", "-ffunction-sections", "-fdata-sections", "-march=rv32imc", "-mabi=ilp32",
              "--specs=picolibc.specs"]
RV32_GLUE = BUNDLE_DIR / "target" / "qemu_virt_rv32"
RV32_QEMU = ["qemu-system-riscv32", "-M", "virt", "-bios", "none", "-nographic", "-monitor", "none",
             "-serial", "none", "-semihosting-config", "enable=on,target=native"]


def _toolchain(target: str) -> tuple:
    """(tool prefix, compile flags, firmware glue sources, firmware link flags, QEMU command)."""
    if target == "RV32":
        return ("riscv64-unknown-elf-", RV32_FLAGS, ["-I", str(BUNDLE_DIR), str(RV32_GLUE / "target.c")],
                ["-nostartfiles", "-Wl,--gc-sections", "-T", str(RV32_GLUE / "qemu_virt_rv32.ld")], RV32_QEMU)
    return ("arm-none-eabi-", ARM_COMMON + ARM_TARGETS[target], FIRMWARE_SOURCES, FIRMWARE_LINK, QEMU)


def run(cmd, cwd, timeout=600, env=None):
    """Run a command; on failure raise with its stderr tail so the table can say why."""
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{cmd[0]} failed: {' | '.join(tail)}")
    return done


# ---- test rows -----------------------------------------------------------------------------
#: The most rows a firmware runs (bench --quick: 5, full: 20): rows the header can leave out.
FIRMWARE_ROWS = 20


def write_rows_header(directory: Path, rows, expected) -> None:
    """Test rows as float32 hex literals (exact, C99; NaN as NAN), or as int8 when rows are
    int8 (an int8 model's quantized input tensor; BENCH_ROW_T tells the firmware which), and
    the expected class indices. Both tables are declared BENCH_ROWS_STORAGE, empty unless the
    firmware defines it, and hold only the first BENCH_KEEP_ROWS rows when the firmware defines
    that (at most FIRMWARE_ROWS apart): the AVR firmware keeps the rows it runs, in program
    memory (PROGMEM), so they take none of its 2 KB of RAM and as little of its 32 KB of flash
    as they can."""
    int8_rows = str(getattr(rows, "dtype", "")) == "int8"

    def kept_from(k):
        return f"#if !defined(BENCH_KEEP_ROWS) || BENCH_KEEP_ROWS > {k}"

    def table(declaration, cells):
        body = []
        for k, cell in enumerate(cells[:FIRMWARE_ROWS]):
            body += [kept_from(k), f"    {cell},", "#endif"] if k else [f"    {cell},"]
        if len(cells) > FIRMWARE_ROWS:
            body += [kept_from(FIRMWARE_ROWS), *[f"    {cell}," for cell in cells[FIRMWARE_ROWS:]], "#endif"]
        return [f"{declaration} BENCH_ROWS_STORAGE = {{", *body, "};"]

    def row_cells(row):
        return (str(int(v)) if int8_rows else "NAN" if v != v else float(v).hex() + "f" for v in row)

    lines = [
        "#include <math.h> /* NAN: a missing value */",
        "#include <stdint.h>",
        "#ifndef BENCH_ROWS_STORAGE",
        "#define BENCH_ROWS_STORAGE",
        "#endif",
        f"#if defined(BENCH_KEEP_ROWS) && BENCH_KEEP_ROWS < {len(rows)}",
        "#define BENCH_N_ROWS BENCH_KEEP_ROWS",
        "#else",
        f"#define BENCH_N_ROWS {len(rows)}",
        "#endif",
        f"#define BENCH_N_FEATURES {rows.shape[1]}",
        f"#define BENCH_ROW_T {'int8_t' if int8_rows else 'float'}",
        *table("static const BENCH_ROW_T bench_rows[BENCH_N_ROWS][BENCH_N_FEATURES]",
               ["{" + ", ".join(row_cells(row)) + "}" for row in rows]),
        *table("static const int32_t bench_expected[BENCH_N_ROWS]", [str(int(k)) for k in expected]),
    ]
    (directory / "bench_rows.h").write_text("\n".join(lines) + "\n")


# ---- flash ---------------------------------------------------------------------------------
def _section_sizes(elf: Path, cwd: Path, prefix: str = "arm-none-eabi-") -> dict:
    out = run([f"{prefix}size", "-A", str(elf)], cwd).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def flash_bytes(directory: Path, target: str) -> tuple:
    """(model bytes, library bytes) for one prediction on `target`.

    model = text+rodata+data of the wrapper's object (generated tables, code and runtime);
    library = libgcc/newlib code the prediction pulls in (soft-float helpers, memcpy/memset,
    floorf for int16 quantization)."""
    directory = directory.resolve()
    work = directory / f"flash_{target.replace('+', 'p')}"
    work.mkdir(exist_ok=True)
    prefix, flags = _toolchain(target)[:2]
    libc = [] if target == "RV32" else ["--specs=nano.specs"]
    run([f"{prefix}gcc", *flags, "-I", str(directory), "-c",
         str(directory / "bench_predict.c"), "-o", "bench_predict.o"], work)
    run([f"{prefix}gcc", *flags, *libc, "-nostartfiles",
         "-Wl,--gc-sections", "-T", str(C_DIR / "flash.ld"), "bench_predict.o",
         "-lm", "-o", "flash.elf"], work)
    sizes = _section_sizes(work / "flash.elf", work, prefix)
    return sizes.get(".model", 0), sizes.get(".libs", 0)


def static_ram(directory: Path, target: str = "M4F") -> tuple:
    """(model bytes, library bytes) of RAM reserved at link time for one prediction: .data
    and .bss reachable from bench_predict (static buffers, a non-const model struct), the
    wrapper's object vs libgcc/newlib (say, errno behind a libm call). Stack is not in it.
    Uses the object flash_bytes compiled, linked again through c/ram.ld."""
    directory = directory.resolve()
    work = directory / f"flash_{target.replace('+', 'p')}"
    if not (work / "bench_predict.o").exists():
        flash_bytes(directory, target)
    flags = ARM_COMMON + ARM_TARGETS[target]
    run(["arm-none-eabi-gcc", *flags, "--specs=nano.specs", "-nostartfiles",
         "-Wl,--gc-sections", "-T", str(C_DIR / "ram.ld"), "bench_predict.o",
         "-lm", "-o", "ram.elf"], work)
    sizes = _section_sizes(work / "ram.elf", work)
    return sizes.get(".model_ram", 0), sizes.get(".libs_ram", 0)


# ---- host ----------------------------------------------------------------------------------
# Pinned so glibc picks the same memcpy/libm variants on every machine of this kind.
HOST_ENV = {**os.environ, "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-FMA,-AVX2"}


def host_run(directory: Path, n_rows: int) -> tuple:
    """(instructions per prediction, list of predicted class indices) on the host."""
    directory = directory.resolve()
    run(["gcc", "-std=c99", "-O2", "-I", str(directory), str(C_DIR / "host_driver.c"),
         str(directory / "bench_predict.c"), "-lm", "-o", "host_bench"], directory)
    out_file = directory / "callgrind.out"
    done = run(["valgrind", "--tool=callgrind", "--toggle-collect=bench_predict",
                f"--callgrind-out-file={out_file}", "./host_bench"], directory, env=HOST_ENV)
    predictions = [int(line) for line in done.stdout.split()]
    totals = re.search(r"^totals:\s+(\d+)", out_file.read_text(), re.M)
    return int(totals.group(1)) / n_rows, predictions


# ---- Cortex-M4F in QEMU --------------------------------------------------------------------
STACK_SPAN = 16 * 1024  # bytes the firmware paints below main's frame (c/firmware.c)
QEMU = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
        "-serial", "none", "-semihosting-config", "enable=on,target=native"]


def _symbol_ranges(elf: Path, cwd: Path, prefix: str = "arm-none-eabi-") -> dict:
    """{function name: (start, end)} from nm -S; the Thumb bit is dropped."""
    ranges = {}
    out = run([f"{prefix}nm", "-S", str(elf)], cwd).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            start = int(parts[0], 16) & ~1
            ranges[parts[3]] = (start, start + int(parts[1], 16))
    return ranges


def _count_window(trace: Path, ranges: dict) -> int:
    """Instructions executed after bench_window_begin and before bench_window_end, minus
    those of main (the loop that calls bench_predict): what remains is bench_predict and
    everything it calls, as callgrind's --toggle-collect counts it on the host. Counted as a
    bundle's inferences are (tinyml_lab.bundle.count_inferences, one window here), from the
    log QEMU writes with -d QEMU_COUNT_LOG."""
    counts = count_inferences(trace, {"tv_inference_begin": ranges["bench_window_begin"],
                                      "tv_inference_end": ranges["bench_window_end"], "main": ranges["main"]})
    if not counts:
        raise RuntimeError("trace ended before bench_window_end")
    return counts[0]


def qemu_run(directory: Path, n_rows: int, target: str = "M4F") -> dict:
    """Cortex-M4F (or target) in QEMU over the first n_rows test rows: {"ipp": instructions per
    prediction, "agree": "agree=K/N" as the firmware reports it, "stack": deepest stack
    of bench_predict in bytes, everything it calls included (None if not reported; the
    firmware paints STACK_SPAN bytes, so that value means "at least")}.

    target="M0+" builds the same firmware for Cortex-M0+ and runs it on the same emulated
    board: QEMU has no Cortex-M0+ board with this memory map, and ARMv6-M is a subset of
    ARMv7-M, so the M4 core executes exactly the instructions an M0+ would (the count is
    the M0+'s; its cycles are not measured here)."""
    directory = directory.resolve()
    work = directory / ("qemu" if target == "M4F" else f"qemu_{target.replace('+', 'p')}")
    work.mkdir(exist_ok=True)
    prefix, flags, glue, link, qemu = _toolchain(target)
    run([f"{prefix}gcc", *flags, f"-DBENCH_FW_ROWS={n_rows}",
         "-I", str(directory), str(C_DIR / "firmware.c"), str(directory / "bench_predict.c"),
         *glue, *link, "-lm", "-o", "fw.elf"], work)
    trace = work / "trace.log"
    done = run([*qemu, "-kernel", "fw.elf", "-d", QEMU_COUNT_LOG,
                "-D", str(trace)], work, timeout=900)
    # Semihosting console output lands on stdout or stderr depending on whether stdout is
    # a terminal, so look in both.
    console = done.stdout + done.stderr
    reported = re.search(r"agree=\d+/\d+|fault", console)
    agree = reported.group(0) if reported else "no output"
    stack = re.search(r"stack=(\d+)", console)
    count = _count_window(trace, _symbol_ranges(work / "fw.elf", work, prefix))
    trace.unlink()  # can be hundreds of MB for the big forests
    return {"ipp": count / n_rows, "agree": agree, "stack": int(stack.group(1)) if stack else None}


# ---- ATmega328P in simavr --------------------------------------------------------------------
AVR_FLASH, AVR_RAM = 32 * 1024, 2 * 1024  # the ATmega328P's (an Arduino Uno's)
AVR_FLAGS = ["-std=c99", "-Os", "-ffunction-sections", "-fdata-sections", "-mmcu=atmega328p"]
AVR_GLUE = BUNDLE_DIR / "target" / "atmega328p"
SIMAVR = ["simavr", "-m", "atmega328p", "-f", "16000000"]


def _avr_sections(elf: Path, cwd: Path) -> dict:
    return _section_sizes(elf, cwd, "avr-")


def avr_sizes(directory: Path) -> dict:
    """Flash and static RAM of one prediction on AVR, the wrapper's object (model) apart from
    avr-libc and libgcc (libs): {"flash", "ram", "lib_flash", "lib_ram"}. Plain `const` data
    counts in both flash and RAM there (c/avr_sizes.ld)."""
    directory = directory.resolve()
    work = directory / "avr"
    work.mkdir(exist_ok=True)
    run(["avr-gcc", *AVR_FLAGS, "-I", str(directory), "-c", str(directory / "bench_predict.c"),
         "-o", "bench_predict.o"], work)
    run(["avr-gcc", *AVR_FLAGS, "-nostartfiles", "-Wl,--gc-sections", "-T", str(C_DIR / "avr_sizes.ld"),
         "bench_predict.o", "-lm", "-o", "sizes.elf"], work)
    s = _avr_sections(work / "sizes.elf", work)
    return {"flash": s.get(".model_code", 0) + s.get(".model_data", 0),
            "ram": s.get(".model_data", 0) + s.get(".model_bss", 0),
            "lib_flash": s.get(".libs_code", 0) + s.get(".libs_data", 0),
            "lib_ram": s.get(".libs_data", 0) + s.get(".libs_bss", 0)}


def _does_not_fit(what: str, used: int, room: int) -> str:
    return f"does not fit: {what} {used:,} B > {room:,}"


def avr_run(directory: Path, n_rows: int) -> dict:
    """The firmware (c/firmware_avr.c) for the ATmega328P over the first n_rows test rows, run
    in simavr when it fits the part: {"fit": None or why it does not fit, "firmware_flash",
    "firmware_ram" (.text + .data less the test rows, .data + .bss of the whole image: start-up,
    UART and timer glue, the row buffer, the model and libraries), and when it ran "cycles"
    (per prediction, Timer1), "agree" ("K/N"), "stack" (deepest stack of the predictions)}."""
    directory = directory.resolve()
    work = directory / "avr"
    work.mkdir(exist_ok=True)
    # Linked with room past the part's 32 KB of flash and 2 KB of RAM: whether the model fits is
    # judged below, from the image less the test rows (the firmware keeps the n_rows it runs, in
    # flash), so a model too large is reported with its size rather than as a link error.
    run(["avr-gcc", *AVR_FLAGS, "-DF_CPU=16000000UL", "-DTARGET_CYCLES", f"-DBENCH_FW_ROWS={n_rows}",
         "-I", str(directory), "-I", str(BUNDLE_DIR), str(C_DIR / "firmware_avr.c"),
         str(directory / "bench_predict.c"), str(AVR_GLUE / "target.c"), "-Wl,--gc-sections",
         f"-Wl,--defsym=__TEXT_REGION_LENGTH__={4 * AVR_FLASH}", "-Wl,--defsym=__DATA_REGION_LENGTH__=0xffa0",
         "-lm", "-o", "fw.elf"], work)
    s = _avr_sections(work / "fw.elf", work)
    # The test rows in flash are the benchmark's, not the model's: a device holds none of them.
    symbols = run(["avr-nm", "-S", "fw.elf"], work).stdout.split("\n")
    rows = sum(int(line.split()[1], 16) for line in symbols
               if line.endswith((" bench_rows", " bench_expected")) and len(line.split()) == 4)
    image = s.get(".text", 0) + s.get(".data", 0)
    found = {"firmware_flash": image - rows, "firmware_ram": s.get(".data", 0) + s.get(".bss", 0), "fit": None}
    if found["firmware_flash"] > AVR_FLASH:
        return {**found, "fit": _does_not_fit("flash", found["firmware_flash"], AVR_FLASH)}
    if found["firmware_ram"] >= AVR_RAM:  # no room left for a stack: simavr would run off the RAM
        return {**found, "fit": _does_not_fit("static RAM", found["firmware_ram"], AVR_RAM)}
    if image > AVR_FLASH:
        return {**found, "fit": f"fits ({found['firmware_flash']:,} B), not run: with the test rows the image "
                                f"is {image:,} B"}
    done = run([*SIMAVR, "fw.elf"], work, timeout=900)
    console = done.stdout + done.stderr
    reported = re.search(r"agree=(\d+/\d+) stack=(\d+) free=(\d+) cycles=(\d+)", console)
    if reported is None:
        raise RuntimeError(f"simavr: no result line ({console.strip().splitlines()[-1:]})")
    stack, free = int(reported.group(2)), int(reported.group(3))
    if stack >= free:  # not one painted byte left: the stack ran over .bss, so nothing it said is sure
        return {**found, "stack": stack,
                "fit": f"does not fit: the stack ran into the static RAM ({found['firmware_ram']:,} B)"}
    return {**found, "agree": reported.group(1), "stack": stack, "cycles": int(reported.group(4)) / n_rows}


def measure_avr(result, directory: Path, fw_rows: int) -> None:
    """Fills result.avr (the keys of avr_sizes and avr_run) for the ATmega328P. Code avr-gcc does
    not compile gets "does not build: <its error>" as its fit; any other failure goes to
    result.errors."""
    result.avr = {}
    try:
        result.avr.update(avr_sizes(directory))
    except RuntimeError as error:  # avr-gcc refused the tool's code: a result for the table
        said = next((part for part in str(error).split(" | ") if "error:" in part), str(error))
        result.avr["fit"] = f"does not build: {said.split('error:')[-1].strip()[:120]}"
        return
    try:
        result.avr.update(avr_run(directory, fw_rows))
    except Exception as error:
        result.errors.append(f"AVR: {error}")


# ---- what was measured with ------------------------------------------------------------------
TOOLCHAIN = ("gcc", "arm-none-eabi-gcc", "qemu-system-arm", "valgrind")


def missing_tool():
    """None when the whole toolchain is on PATH, else the line to print (with the apt fix)."""
    for command in TOOLCHAIN:
        if shutil.which(command) is None:
            return (f"missing {command}: apt-get install --no-install-recommends gcc "
                    "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm valgrind")
    return None


def measure_sizes(result, directory: Path) -> None:
    """Fills result.flash per Arm target and result.ram (static, M4F); a failing measurement
    goes to result.errors and leaves its column empty (result: a benchmark's Result)."""
    for target in ARM_TARGETS:
        try:
            result.flash[target] = flash_bytes(directory, target)
        except Exception as error:
            result.errors.append(f"flash {target}: {error}")
    try:
        result.ram = static_ram(directory, "M4F")
    except Exception as error:
        result.errors.append(f"ram: {error}")
    try:
        result.flash["RV32"] = flash_bytes(directory, "RV32")
    except Exception as error:
        result.errors.append(f"flash RV32: {error}")


def measure_rv32(result, directory: Path, fw_rows: int) -> None:
    """Fills result.rv32_ipp, rv32_agree and rv32_stack from the RV32IMC firmware in
    qemu-system-riscv32; a failure goes to result.errors."""
    try:
        found = qemu_run(directory, fw_rows, target="RV32")
        result.rv32_ipp, result.rv32_agree, result.rv32_stack = found["ipp"], found["agree"], found["stack"]
    except Exception as error:
        result.errors.append(f"qemu RV32: {error}")


def missing_module(module: str):
    """None when `module` imports, else why not (a benchmark skips that tool and says so)."""
    try:
        __import__(module)
        return None
    except Exception as error:  # ImportError, or a broken install
        return f"cannot import {module}: {error} (pip install {module})"


def versions(modules, extra=()) -> str:
    """One line naming the Python modules' and the toolchain's versions, for a run's header."""
    found = []
    for module in modules:
        try:
            found.append(f"{module} {__import__(module).__version__}")
        except Exception:
            found.append(f"{module} missing")
    found += list(extra)
    for command in TOOLCHAIN:
        try:
            done = subprocess.run([command, "--version"], capture_output=True, text=True)
            found.append(done.stdout.splitlines()[0].strip())
        except Exception:
            found.append(f"{command} missing")
    return "; ".join(found)
