"""Where avr-gcc puts an exported header's data on AVR (ATmega328P): the tables in program
memory, the descriptors in RAM, as the AVR estimate counts them.

(The AVR code-size factors were a clang-to-clang transfer checked here against clang 14's AVR
back end; they are now fitted to avr-gcc and avr-libc and checked against avr-gcc's link like
the Arm and RV32IMC ones: tests/python/test_estimates_calibration.py, bench/avr/fit_code_size.py.)
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from size_probe import CLASSIFY, probe_main
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

import tinyml_lab
from tinyml_lab import _engine

#: `[ n] name type addr off size es flags ...` of readelf -S -W (binutils reads any ELF).
_SECTION = re.compile(r"\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)")


def _sections(obj) -> dict[str, tuple[str, int]]:
    out = subprocess.run(["readelf", "-S", "-W", str(obj)], capture_output=True, text=True, check=True).stdout
    sections = {}
    for line in out.splitlines():
        match = _SECTION.search(line)
        if match and "A" in match.group(4):
            sections[match.group(1)] = (match.group(2), int(match.group(3), 16))
    return sections


def test_avr_tables_live_in_program_memory(tmp_path):
    """On AVR the header's tables are in program memory (TML_CONST_TABLE: PROGMEM, read with
    lpm), so avr-gcc leaves them out of RAM: only the descriptor and the class names are
    ordinary const data, which avr-libc's start-up copies to RAM, and that is what the AVR
    estimate counts in RAM besides the stack."""
    if shutil.which("avr-gcc") is None:
        pytest.fail("avr-gcc is required (apt-get install gcc-avr avr-libc)")
    Xc, yc = load_breast_cancer(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(Xc, yc)
    converted = tinyml_lab.convert(forest, dtype="int16", strategy="tables")
    converted.save(tmp_path / "model.h")
    (tmp_path / "main.c").write_text(probe_main(converted.ir["n_features"], CLASSIFY))
    subprocess.run(["avr-gcc", "-mmcu=atmega328p", "-std=c99", "-Os", "-ffunction-sections", "-fdata-sections",
                    "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", "main.c", "-o", "main.o"],
                   cwd=tmp_path, check=True, capture_output=True)
    sections = _sections(tmp_path / "main.o")
    in_flash = {name: size for name, (_, size) in sections.items() if name.startswith(".progmem.data.model_")}
    copied = {name: size for name, (_, size) in sections.items()
              if name.startswith((".rodata", ".data")) and "model_" in name}
    assert in_flash and sum(in_flash.values()) > 200, sections
    # at most the descriptor (gcc may fold it into the code) and the class names
    assert set(copied) <= {".rodata.model_forest", ".rodata.model_class_names"}, copied
    estimates = _engine.call("estimate", converted.ir, converted.options)["estimates"]
    avr = next(e for e in estimates if e["target"] == "avr")
    in_ram = next(i["bytes"] for i in avr["ram"] if i["name"].startswith("descriptors copied to RAM"))
    # the estimate's descriptor has 4-byte pointers (2 on AVR): at least what the object holds
    assert sum(copied.values()) <= in_ram < sum(in_flash.values())
