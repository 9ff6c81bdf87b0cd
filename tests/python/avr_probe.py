"""What a model adds to an empty ATmega328P firmware (avr-gcc -Os): size_probe.py's main with
and without the model, linked with avr-libc and --gc-sections, the difference of flash
(.text + .data, the initial values) and of static RAM (.data + .bss), the flash split into the
model's own bytes (symbols main.o defines) and what avr-libc and libgcc add (the rest). Flash is
not capped at the part's 32 KB, so large models are measured too. Used by bench/size/avr_errors.py,
bench/avr/fit_code_size.py and tests/python/test_estimates_calibration.py."""

from __future__ import annotations

import subprocess

from size_probe import probe_main, section_sizes

FLAGS = ["-mmcu=atmega328p", "-std=c99", "-Os", "-ffunction-sections", "-fdata-sections"]
#: Lets the link go past 32 KB (avr-libc's scripts read the region's length from this symbol).
UNCAPPED = "-Wl,--gc-sections,--defsym=__TEXT_REGION_LENGTH__=0x100000"


def _tool(work, *command: str) -> str:
    return subprocess.run(list(command), cwd=work, check=True, capture_output=True, text=True).stdout


def _symbol_sizes(nm_output: str) -> dict[str, int]:
    """{name: bytes} of the sized symbols `avr-nm -S` lists."""
    sizes = {}
    for line in nm_output.splitlines():
        parts = line.split()
        if len(parts) == 4:
            sizes[parts[3]] = sizes.get(parts[3], 0) + int(parts[1], 16)
    return sizes


def _link(work, source: str, name: str) -> dict[str, int]:
    (work / f"{name}.c").write_text(source)
    _tool(work, "avr-gcc", *FLAGS, "-I", str(work), "-c", f"{name}.c", "-o", f"{name}.o")
    _tool(work, "avr-gcc", *FLAGS, f"{name}.o", UNCAPPED, "-lm", "-o", f"{name}.elf")
    sections = section_sizes(_tool(work, "avr-size", "-A", f"{name}.elf"))
    own = set(_symbol_sizes(_tool(work, "avr-nm", "-S", "--defined-only", f"{name}.o")))
    linked = _symbol_sizes(_tool(work, "avr-nm", "-S", "--defined-only", f"{name}.elf"))
    return {"flash": sections.get(".text", 0) + sections.get(".data", 0),
            "ram": sections.get(".data", 0) + sections.get(".bss", 0),
            "model": sum(size for symbol, size in linked.items() if symbol in own)}


def measure_avr(converted, n_features: int, call: str, work) -> dict[str, int]:
    """Flash and static RAM bytes the model adds on the ATmega328P: flash, of which the model's
    own code, tables and descriptors (model) and the C libraries' (libs), and ram."""
    converted.save(work / "model.h")
    empty = _link(work, probe_main(n_features, None), "empty")
    full = _link(work, probe_main(n_features, call), "full")
    delta = {k: full[k] - empty[k] for k in ("flash", "ram", "model")}
    return {**delta, "libs": delta["flash"] - delta["model"]}
