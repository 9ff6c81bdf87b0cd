"""Where avr-gcc puts an exported header's data on AVR (ATmega328P): the tables and a net's
layer descriptors in program memory, the other descriptors ordinary const data.

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
from sklearn.neural_network import MLPClassifier

import tinyml_lab

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


def _avr_object_sections(converted, tmp_path) -> dict[str, tuple[str, int]]:
    """The sections of main.o: the probe's main with the header, avr-gcc -Os for the ATmega328P."""
    if shutil.which("avr-gcc") is None:
        pytest.fail("avr-gcc is required (apt-get install gcc-avr avr-libc)")
    converted.save(tmp_path / "model.h")
    (tmp_path / "main.c").write_text(probe_main(converted.ir["n_features"], CLASSIFY))
    subprocess.run(["avr-gcc", "-mmcu=atmega328p", "-std=c99", "-Os", "-ffunction-sections", "-fdata-sections",
                    "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", "main.c", "-o", "main.o"],
                   cwd=tmp_path, check=True, capture_output=True)
    return _sections(tmp_path / "main.o")


def _placed(sections: dict[str, tuple[str, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """The model's sections in program memory, and those avr-libc's start-up copies to RAM."""
    in_flash = {name: size for name, (_, size) in sections.items() if name.startswith(".progmem.data.model_")}
    copied = {name: size for name, (_, size) in sections.items()
              if name.startswith((".rodata", ".data")) and "model_" in name}
    return in_flash, copied


def test_avr_tables_live_in_program_memory(tmp_path):
    """On AVR the header's tables are in program memory (TML_CONST_TABLE: PROGMEM, read with
    lpm), so avr-gcc leaves them out of RAM: only the descriptor and the class names are
    ordinary const data (gcc folds the forest's descriptor into the code, and the class
    names are not linked in: test_estimates_calibration.py checks the linked RAM)."""
    Xc, yc = load_breast_cancer(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(Xc, yc)
    in_flash, copied = _placed(_avr_object_sections(tinyml_lab.convert(forest, dtype="int16", strategy="tables"),
                                                    tmp_path))
    assert in_flash and sum(in_flash.values()) > 200, in_flash
    assert set(copied) <= {".rodata.model_forest", ".rodata.model_class_names"}, copied


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_avr_net_layers_live_in_program_memory(tmp_path):
    """A net of two or more layers keeps its layer descriptors in program memory as well (the
    runtime copies one at a time to the stack, tml_net_layer): only the tml_net_t (18 bytes)
    and the class names are ordinary const data."""
    Xc, yc = load_breast_cancer(return_X_y=True)
    mlp = MLPClassifier(hidden_layer_sizes=(8, 8), max_iter=50, random_state=0).fit(Xc[:, :6], yc)
    in_flash, copied = _placed(_avr_object_sections(tinyml_lab.convert(mlp), tmp_path))
    assert ".progmem.data.model_layers" in in_flash, in_flash
    assert in_flash[".progmem.data.model_layers"] == 3 * 128, in_flash
    assert set(copied) <= {".rodata.model_net", ".rodata.model_class_names"}, copied
    assert copied[".rodata.model_net"] == 18, copied
