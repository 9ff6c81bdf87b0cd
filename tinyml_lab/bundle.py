"""Export bundles: the model header with test vectors and a C harness that checks, on the
device, that the C code answers as scikit-learn does (src/core/bundle/bundle.ts writes the files).

``export_bundle(model, X, y, path, target=...)`` writes one; ``run_in_qemu(path)`` builds it
for its target (arm-none-eabi-gcc for an emulated Cortex-M4F, qemu-system-arm -M mps2-an386;
riscv64-unknown-elf-gcc for rv32imc, qemu-system-riscv32 -M virt), runs it and counts the
instructions of each inference in QEMU's instruction trace; ``run_on_host(path)`` builds and
runs the same harness with the PC's C compiler. A bundle for ``target="atmega328p"`` (an
Arduino Uno's part) runs in simavr instead: tinyml_lab/simavr.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import _engine
from .arrays import check_features, encode_array, input_count, require_rows
from .errors import InvalidInputError, TinyMLError


@dataclass(frozen=True)
class EmulatedTarget:
    """A bundle target that an emulator runs: its glue directory in the bundle (BUNDLE_TARGETS
    in bundle.ts), the tools that build and inspect its ELF, and the emulator's command line
    (the Makefile's, without the trace options)."""

    glue: str
    compiler: str
    nm: str
    emulator: str
    emulator_args: tuple[str, ...]

    @property
    def elf(self) -> str:
        return f"build/{self.glue}.elf"


_SEMIHOSTING = ("-nographic", "-monitor", "none", "-serial", "none", "-semihosting-config", "enable=on,target=native")

#: Bundle targets that QEMU runs, by the name users pass.
TARGETS = {
    "cortex-m4f": EmulatedTarget("mps2_an386", "arm-none-eabi-gcc", "arm-none-eabi-nm", "qemu-system-arm",
                                 ("-M", "mps2-an386", *_SEMIHOSTING)),
    "rv32imc": EmulatedTarget("qemu_virt_rv32", "riscv64-unknown-elf-gcc", "riscv64-unknown-elf-nm",
                              "qemu-system-riscv32", ("-M", "virt", "-bios", "none", *_SEMIHOSTING)),
}

#: Bundle targets that simavr runs (tinyml_lab/simavr.py); their glue directory is their name.
SIMAVR_TARGETS = ("atmega328p",)

#: The estimate profile (src/core/estimate/profiles.ts) of each bundle target's core: what
#: strategy="auto" chooses for in export_bundle.
ESTIMATE_PROFILES = {"cortex-m4f": "cortex-m4f", "rv32imc": "esp32-c3", "atmega328p": "avr"}

#: Where each tool comes from on Debian/Ubuntu, for the error when it is missing.
APT_PACKAGES = {
    "make": "make",
    "cc": "gcc",
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "arm-none-eabi-nm": "binutils-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
    "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
    "riscv64-unknown-elf-nm": "binutils-riscv64-unknown-elf",
    "qemu-system-riscv32": "qemu-system-misc",
    "avr-gcc": "gcc-avr avr-libc",
    "avr-size": "binutils-avr",
    "simavr": "simavr",
    "arduino-builder": "arduino-builder arduino-core-avr",
}


class ToolchainError(TinyMLError):
    """A compiler or emulator the bundle needs is missing, or building the bundle failed."""


@dataclass
class Bundle:
    """An export bundle on disk."""

    path: Path
    target: str
    #: relative paths of the files written
    files: list[str]
    #: the sets of expected outputs: {"name", "checked", "why"}
    sets: list[dict[str, Any]]

    def run_in_qemu(self, timeout: float = 600) -> HarnessRun:
        return run_in_qemu(self.path, timeout=timeout)

    def run_on_host(self, timeout: float = 300) -> HarnessRun:
        return run_on_host(self.path, timeout=timeout)

    def run_in_simavr(self, timeout: float = 600) -> HarnessRun:
        from .simavr import run_in_simavr  # noqa: PLC0415 - simavr.py builds on this module

        return run_in_simavr(self.path, timeout=timeout)


@dataclass
class AgreementLine:
    """One line of the harness: the device against one set of expected outputs."""

    name: str
    vectors: int
    #: None for regressors (no labels)
    labels_equal: int | None
    max_abs_error: float
    within_tolerance: int
    #: "PASS", "FAIL" or "REPORTED" (a set shown but not checked, e.g. scikit-learn for int8)
    status: str
    line: str


@dataclass
class HarnessRun:
    """What the harness printed, parsed, and (QEMU) the instructions of each inference."""

    passed: bool
    agreement: list[AgreementLine]
    #: (correct, known) against the y given to the bundle, if any
    accuracy: tuple[int, int] | None
    console: str = field(repr=False)
    #: instructions executed per inference, one per vector (QEMU only)
    instructions: list[int] | None = None
    #: CPU cycles per inference, one per vector (targets with a cycle counter: simavr)
    cycles: list[int] | None = None

    @property
    def mean_instructions(self) -> float | None:
        return sum(self.instructions) / len(self.instructions) if self.instructions else None

    def line(self, name: str) -> AgreementLine:
        for a in self.agreement:
            if a.name == name:
                return a
        raise KeyError(f"no agreement line for {name!r}; the harness printed {[a.name for a in self.agreement]}")


def save_bundle(converted: Any, path: str | os.PathLike[str] | None, X: Any, y: Any = None, *,
                target: str = "cortex-m4f") -> Bundle:
    """Writes the bundle of a ConvertedModel to directory ``path`` (default <name>_bundle):
    X's rows become the test vectors, the model's own outputs on them the expected ones."""
    if target not in (*TARGETS, *SIMAVR_TARGETS):
        raise InvalidInputError(f"target must be one of {', '.join((*TARGETS, *SIMAVR_TARGETS))}, got {target!r}")
    return write_bundle(converted, *bundle_vectors(converted, X, y), path, target=target)


def bundle_vectors(converted: Any, X: Any, y: Any = None) -> tuple[np.ndarray, dict[str, Any]]:
    """X's rows as float32 and the model's own outputs on them (y, if given, as the truth): the
    test vectors of a bundle or an Arduino library's example."""
    from .convert import reference_outputs  # noqa: PLC0415 - convert imports this module

    x32 = require_rows(check_features(X, input_count(converted.ir), "X", allow_nan=converted.accepts_nan), "X",
                       "a bundle needs at least one test vector")
    return x32, reference_outputs(converted.model, converted.ir, x32, y)


def write_bundle(converted: Any, x32: np.ndarray, reference: dict[str, Any],
                 path: str | os.PathLike[str] | None, *, target: str = "cortex-m4f") -> Bundle:
    """The compiler core's bundle for float32 rows x32 and their encoded reference outputs,
    written to directory ``path`` (default <name>_bundle)."""
    result = _engine.call("bundle", converted.engine_ir, converted.options,
                          {"x": encode_array(x32, "float32"), "reference": reference, "target": target})
    directory = Path(os.fspath(path) if path is not None else f"{converted.name}_bundle")
    if directory.exists() and not directory.is_dir():
        raise InvalidInputError(f"{directory} exists and is not a directory")
    for relative, text in result["files"].items():
        target_path = directory / relative
        target_path.parent.mkdir(parents=True, exist_ok=True)
        with open(target_path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return Bundle(directory, target, sorted(result["files"]), result["sets"])


def export_bundle(model: Any, X: Any, y: Any = None, path: str | os.PathLike[str] | None = None, *,
                  name: str = "model", dtype: str = "float32", target: str = "cortex-m4f",
                  **convert_options: Any) -> Bundle:
    """convert(model, name=name, dtype=dtype, **convert_options).save_bundle(path, X, y).

    The bundle holds <name>.h, test_vectors.h (X's rows, scikit-learn's outputs and those of
    the WebAssembly build of the C runtime, with tolerances and why), main.c (the harness),
    target glue for ``target`` and for a PC, a Makefile and a README. strategy="auto" chooses
    the code form for ``target``'s core (ESTIMATE_PROFILES: rv32imc is the ESP32-C3's profile).
    """
    from .convert import DEFAULT_TARGET, convert  # noqa: PLC0415

    profile = ESTIMATE_PROFILES.get(target, DEFAULT_TARGET)  # an unknown target: save_bundle refuses it
    converted = convert(model, name=name, dtype=dtype, target=profile, **convert_options)
    return save_bundle(converted, path, X, y, target=target)


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise ToolchainError(f"{tool} not found: install it (apt-get install {APT_PACKAGES[tool]})")
    return found


def _run(cmd: list[str], cwd: Path, timeout: float, what: str) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{what} did not finish within {timeout:g} s") from None
    return done


def _build(directory: Path, make_target: str, timeout: float) -> None:
    """make <target> in the bundle, with the compiler's message on failure."""
    if not (directory / "Makefile").is_file():
        raise InvalidInputError(f"{directory} is not a bundle (no Makefile): write one with export_bundle")
    done = _run([_require("make"), "-C", str(directory), make_target], directory, timeout, f"make {make_target}")
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        hint = ""
        if "nano.specs" in message:
            hint = " (newlib is missing: apt-get install libnewlib-arm-none-eabi)"
        raise ToolchainError(f"building the bundle ({make_target}) failed{hint}:\n{message[-2000:]}")


_LINE = re.compile(
    r"^(?P<name>[^:\n]+): vectors (?P<vectors>\d+), labels equal (?P<labels>\d+|-), "
    r"max abs error (?P<error>\S+), within tolerance (?P<within>\d+)/\d+, (?P<status>PASS|FAIL|REPORTED)",
    re.M,
)


def parse_harness_output(console: str) -> HarnessRun:
    """The harness's lines as a HarnessRun; raises if it never printed its RESULT line."""
    result = re.search(r"^RESULT (PASS|FAIL)$", console, re.M)
    if result is None:
        tail = "\n".join(console.strip().splitlines()[-10:])
        raise ToolchainError(f"the harness did not finish (no RESULT line); its output ended with:\n{tail}")
    lines = [
        AgreementLine(
            name=m["name"].strip(), vectors=int(m["vectors"]),
            labels_equal=None if m["labels"] == "-" else int(m["labels"]),
            max_abs_error=float(m["error"]), within_tolerance=int(m["within"]), status=m["status"],
            line=m.group(0),
        )
        for m in _LINE.finditer(console)
    ]
    accuracy = re.search(r"^accuracy against y: (\d+)/(\d+)$", console, re.M)
    return HarnessRun(
        passed=result.group(1) == "PASS",
        agreement=lines,
        accuracy=(int(accuracy.group(1)), int(accuracy.group(2))) if accuracy else None,
        console=console,
    )


def run_on_host(path: str | os.PathLike[str], *, timeout: float = 300) -> HarnessRun:
    """Builds the harness with this PC's compiler (make host, -Werror) and runs it."""
    directory = Path(path).resolve()
    _require("cc")
    _build(directory, "build/host", timeout)
    done = _run([str(directory / "build" / "host")], directory, timeout, "the host harness")
    return parse_harness_output(done.stdout + done.stderr)


def _function_ranges(elf: Path, names: tuple[str, ...], nm: str = "arm-none-eabi-nm") -> dict[str, tuple[int, int]]:
    """{name: (start, end)} of the functions in the ELF (Arm's Thumb bit dropped)."""
    out = subprocess.run([_require(nm), "-S", str(elf)], capture_output=True, text=True, check=True).stdout
    ranges = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT" and parts[3] in names:
            start = int(parts[0], 16) & ~1
            ranges[parts[3]] = (start, start + int(parts[1], 16))
    missing = set(names) - set(ranges)
    if missing:
        raise ToolchainError(f"{elf.name} has no function(s) {', '.join(sorted(missing))}; was it built from main.c?")
    if ranges["tv_inference_begin"][0] == ranges["tv_inference_end"][0]:
        raise ToolchainError("the compiler merged tv_inference_begin and tv_inference_end; cannot cut the trace")
    return ranges


#: One executed translation block in QEMU's -d exec,nochain log; group 1 is its first PC.
_TRACE_PC = re.compile(rb"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
#: One guest instruction of a block's -d in_asm listing; group 1 is its PC.
_LISTED_PC = re.compile(rb"^0x([0-9a-f]+):")

#: QEMU's log options for counting: each block's instructions once (in_asm, when translated),
#: then one line per block executed (exec; nochain: blocks do not jump to each other unlogged).
#: A line per instruction (-singlestep) made a 4.2 GB log and 170 s for one 40-vector soft-float
#: SVM bundle on RV32; per block it is 0.75 GB and 18 s, with the same counts.
QEMU_COUNT_LOG = "in_asm,exec,nochain"


def count_inferences(trace: Path, ranges: dict[str, tuple[int, int]]) -> list[int]:
    """Instructions executed between each return from tv_inference_begin and the entry of
    tv_inference_end, not counting main's own (the loop around the call): the measured call
    (tv_predict) and everything it calls, once per vector. The log is QEMU_COUNT_LOG's: a block
    ends at every branch, call and return, so each lies in one function and counts whole."""
    begin, end, loop = ranges["tv_inference_begin"], ranges["tv_inference_end"], ranges["main"]
    counts: list[int] = []
    block_sizes: dict[int, int] = {}
    listing: int | None = None  # the block being listed (its first PC), if any
    inside, count = False, 0
    with open(trace, "rb") as lines:
        for line in lines:
            listed = _LISTED_PC.match(line)
            if listed:
                pc = int(listed.group(1), 16)
                if listing is None:
                    listing, block_sizes[pc] = pc, 0
                block_sizes[listing] += 1
                continue
            listing = None
            match = _TRACE_PC.match(line)
            if not match:
                continue
            pc = int(match.group(1), 16)
            if not inside:
                if begin[0] <= pc < begin[1]:
                    inside, count = True, 0
                continue
            if end[0] <= pc < end[1]:
                counts.append(count)
                inside = False
            elif not (loop[0] <= pc < loop[1] or begin[0] <= pc < begin[1]):
                if pc not in block_sizes:
                    raise ToolchainError(f"QEMU's log runs a block at {pc:#x} it never listed: cannot count")
                count += block_sizes[pc]
    return counts


def bundle_target(path: str | os.PathLike[str]) -> str:
    """The target a bundle was written for: the one whose glue directory it holds."""
    directory = Path(path)
    found = [name for name, target in TARGETS.items() if (directory / "target" / target.glue).is_dir()]
    avr = [name for name in SIMAVR_TARGETS if (directory / "target" / name).is_dir()]
    if avr and not found:
        raise InvalidInputError(f"{directory} is a bundle for {avr[0]}, which QEMU does not emulate: run it with "
                                "tinyml_lab.simavr.run_in_simavr")
    if len(found) != 1:
        raise InvalidInputError(f"{directory} is not a bundle for one emulated target (no target/<glue>/ of "
                                f"{', '.join(t.glue for t in TARGETS.values())}): write one with export_bundle")
    return found[0]


def run_in_qemu(path: str | os.PathLike[str], *, timeout: float = 600, count_instructions: bool = True) -> HarnessRun:
    """Builds the bundle for its target (make: mps2-an386 for cortex-m4f, the virt machine for
    rv32imc), runs it in QEMU with semihosting and returns the harness's agreement lines; with
    ``count_instructions``, QEMU logs every block it executes (QEMU_COUNT_LOG) and each
    inference's count is returned. QEMU models no cycles: these are instructions, not time."""
    directory = Path(path).resolve()
    if not (directory / "Makefile").is_file():
        raise InvalidInputError(f"{directory} is not a bundle (no Makefile): write one with export_bundle")
    target = TARGETS[bundle_target(directory)]
    _require(target.compiler)
    qemu = _require(target.emulator)
    _build(directory, target.elf, timeout)
    elf = directory / target.elf
    with tempfile.TemporaryDirectory(prefix="tinyml_trace_") as tmp:
        trace = Path(tmp) / "trace.log"
        cmd = [qemu, *target.emulator_args, "-kernel", str(elf)]
        if count_instructions:
            cmd += ["-d", QEMU_COUNT_LOG, "-D", str(trace)]
        done = _run(cmd, directory, timeout, target.emulator)
        # Semihosting output lands on stdout or stderr depending on the terminal: read both.
        run = parse_harness_output(done.stdout + done.stderr)
        if count_instructions:
            ranges = _function_ranges(elf, ("tv_inference_begin", "tv_inference_end", "main"), target.nm)
            run.instructions = count_inferences(trace, ranges)
            vectors = run.agreement[0].vectors if run.agreement else None
            if vectors is not None and len(run.instructions) != vectors:
                raise ToolchainError(f"the trace holds {len(run.instructions)} inferences for {vectors} vectors")
    return run


__all__ = ["AgreementLine", "Bundle", "EmulatedTarget", "HarnessRun", "ToolchainError", "bundle_target",
           "export_bundle", "parse_harness_output", "run_in_qemu", "run_on_host", "save_bundle"]
