"""What a model adds to an empty ATmega328P firmware (avr-gcc -Os): size_probe.py's main with
and without the model, linked with avr-libc and --gc-sections, the difference of flash
(.text + .data, the initial values) and of static RAM (.data + .bss). Flash is not capped at
the part's 32 KB, so large models are measured too. Used by bench/size/avr_errors.py."""

from __future__ import annotations

import subprocess

from size_probe import probe_main, section_sizes

FLAGS = ["-mmcu=atmega328p", "-std=c99", "-Os", "-ffunction-sections", "-fdata-sections"]
#: Lets the link go past 32 KB (avr-libc's scripts read the region's length from this symbol).
UNCAPPED = "-Wl,--gc-sections,--defsym=__TEXT_REGION_LENGTH__=0x100000"


def _link(work, source: str, name: str) -> dict[str, int]:
    (work / f"{name}.c").write_text(source)
    subprocess.run(["avr-gcc", *FLAGS, "-I", str(work), f"{name}.c", UNCAPPED, "-lm", "-o", f"{name}.elf"],
                   cwd=work, check=True, capture_output=True, text=True)
    sections = section_sizes(subprocess.run(["avr-size", "-A", f"{name}.elf"], cwd=work, check=True,
                                            capture_output=True, text=True).stdout)
    return {"flash": sections.get(".text", 0) + sections.get(".data", 0),
            "ram": sections.get(".data", 0) + sections.get(".bss", 0)}


def measure_avr(converted, n_features: int, call: str, work) -> dict[str, int]:
    """Flash and static RAM bytes the model adds on the ATmega328P."""
    converted.save(work / "model.h")
    empty = _link(work, probe_main(n_features, None), "empty")
    full = _link(work, probe_main(n_features, call), "full")
    return {k: full[k] - empty[k] for k in ("flash", "ram")}
