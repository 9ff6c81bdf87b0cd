"""AVR bundles: ``run_in_simavr(path)`` builds an export bundle made for ``target="atmega328p"``
with avr-gcc (-mmcu=atmega328p -Os, tables in program memory), runs it in simavr at 16 MHz and
returns the harness's agreement lines with the cycles of every inference, which the firmware
reads from Timer1 (target/atmega328p/target.c); ``avr_sizes(elf)`` gives its flash and RAM.

simavr prints what the firmware sends on USART0 a line at a time, in colour, with the line's
control characters (its newline) shown as dots: ``uart_text`` turns that back into the text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .bundle import HarnessRun, ToolchainError, _build, _require, _run, parse_harness_output

#: The Makefile's simavr command line (16 MHz: an Arduino Uno).
SIMAVR_ARGS = ["-m", "atmega328p", "-f", "16000000"]

_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_CYCLES = re.compile(r"^cycles vector (\d+): (\d+)$", re.M)


@dataclass
class AvrSizes:
    """What an AVR ELF takes: flash (.text + .data, the initial values) and static RAM (.data + .bss)."""

    flash: int
    ram: int


def uart_text(console: str) -> str:
    """simavr's UART lines ("\\x1b[32mtext.\\x1b[0m", the dot its newline) as the text sent."""
    lines = []
    for line in _COLOUR.sub("", console).splitlines():
        lines.append(line[:-1] if line.endswith(".") else line)
    return "\n".join(lines) + "\n"


def avr_sizes(elf: str | os.PathLike[str]) -> AvrSizes:
    """Flash and static RAM of an AVR ELF, from avr-size's sections."""
    done = _run([_require("avr-size"), "-A", str(elf)], Path(elf).parent, 60, "avr-size")
    sections = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            sections[parts[0]] = int(parts[1])
    data, bss = sections.get(".data", 0), sections.get(".bss", 0)
    return AvrSizes(flash=sections.get(".text", 0) + data, ram=data + bss)


def simavr_console(elf: str | os.PathLike[str], *, timeout: float = 600) -> str:
    """What an ATmega328P firmware sends on USART0 until it stops (sleep with interrupts off)."""
    done = _run([_require("simavr"), *SIMAVR_ARGS, str(elf)], Path(elf).parent, timeout, "simavr")
    return uart_text(done.stdout + done.stderr)


def run_in_simavr(path: str | os.PathLike[str], *, timeout: float = 600) -> HarnessRun:
    """Builds the bundle for the ATmega328P (make), runs it in simavr and returns the harness's
    agreement lines with each inference's cycles (``run.cycles``)."""
    directory = Path(path).resolve()
    _require("avr-gcc")
    _require("simavr")
    _build(directory, "build/atmega328p.elf", timeout)
    run = parse_harness_output(simavr_console(directory / "build" / "atmega328p.elf", timeout=timeout))
    run.cycles = [int(m.group(2)) for m in _CYCLES.finditer(run.console)]
    vectors = run.agreement[0].vectors if run.agreement else None
    if vectors is not None and len(run.cycles) != vectors:
        raise ToolchainError(f"the harness printed the cycles of {len(run.cycles)} inferences for {vectors} vectors")
    return run


__all__ = ["AvrSizes", "avr_sizes", "run_in_simavr", "simavr_console", "uart_text"]
