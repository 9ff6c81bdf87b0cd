"""The AVR (ATmega328P) code-size factors of src/core/estimate/targets.ts against what clang
makes of the exported headers. (RV32IMC, the ESP32-C3, is measured with riscv64-unknown-elf-gcc
and picolibc like the Arm cores: tests/python/test_estimates_calibration.py.)

The factors are a clang-to-clang transfer: a header's code compiled by clang for AVR over the
same header's code compiled by clang for Thumb-2 soft float (Cortex-M3) is the ratio the
estimate must show between its AVR code and its gcc-calibrated Cortex-M3 code
(tests/python/test_estimates_calibration.py checks that one against arm-none-eabi-gcc's link).

Measured code: objects of a main that reads the features from a volatile array and calls
predict, -Os -ffunction-sections -fdata-sections, minus the same main without the model; every
allocated section but the model's const tables (.rodata.model_*, string literals). Nothing is
linked: there is no C library for these targets here, so soft-float helpers and expf stay
undefined and the library bytes of the estimate are not checked (they remain assumptions).

Measured (clang 14.0.6, 40 headers of test_estimates_calibration.py): the estimate's ratio is
within -17.2% to +19.6% of clang's on AVR; these 11 headers cover every family and export option.
`pytest -s` prints the errors of the current run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest
from size_probe import CLASSIFY, probe_main
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

import tinyml_lab
from tinyml_lab import _engine

#: Largest relative error of the estimate's code ratio (ISA over Thumb-2 soft float) against
#: clang's, per ISA.
BAND = {"avr8": 0.25}

#: Target profile whose estimate each ISA's code is compared with.
PROFILE = {"thumb2": "cortex-m3", "avr8": "avr"}

CLANG = {
    "thumb2": ["--target=thumbv7m-none-eabi", "-mcpu=cortex-m3", "-mfloat-abi=soft", "-mthumb"],
    "avr8": ["--target=avr", "-mmcu=atmega328p"],
}

CODE_ITEMS = ("evaluator code", "inline tree code", "runtime code", "preprocessing")

#: The few <math.h> and <string.h> names the runtime uses: there is no C library for these
#: targets, and -nostdlibinc keeps the host's headers out (clang's own stdint.h and stddef.h
#: serve the rest).
MATH_H = """#ifndef TML_TEST_MATH_H
#define TML_TEST_MATH_H
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define isinf(x) __builtin_isinf(x)
#define isnan(x) __builtin_isnan(x)
float expf(float); float exp2f(float); float logf(float); float log10f(float);
float sqrtf(float); float floorf(float); float fabsf(float); float powf(float, float);
float tanhf(float); float sinf(float); float cosf(float);
#endif
"""
#: avr-libc is not on clang's path: tables stay ordinary const data read with plain loads, as
#: the clang factors were measured (avr-gcc puts them in program memory: see the last test).
PGMSPACE_H = """#ifndef TML_TEST_PGMSPACE_H
#define TML_TEST_PGMSPACE_H
#define PROGMEM
#define pgm_read_byte(p) (*(const unsigned char *)(p))
#define pgm_read_word(p) (*(const unsigned short *)(p))
#define pgm_read_dword(p) (*(const unsigned long *)(p))
#define pgm_read_float(p) (*(const float *)(p))
#endif
"""
STRING_H = """#ifndef TML_TEST_STRING_H
#define TML_TEST_STRING_H
#include <stddef.h>
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
#endif
"""

#: `[ n] name type addr off size es flags ...` of readelf -S -W (binutils reads any ELF).
_SECTION = re.compile(r"\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)")
_TABLE = re.compile(r"^\.s?rodata\.(model_|str|\.L\.str)|^\.rodata\.str|^\.progmem")


def _sections(obj) -> dict[str, tuple[str, int]]:
    out = subprocess.run(["readelf", "-S", "-W", str(obj)], capture_output=True, text=True, check=True).stdout
    sections = {}
    for line in out.splitlines():
        match = _SECTION.search(line)
        if match and "A" in match.group(4):
            sections[match.group(1)] = (match.group(2), int(match.group(3), 16))
    return sections


def _code_bytes(sections: dict[str, tuple[str, int]]) -> int:
    return sum(size for name, (kind, size) in sections.items()
               if kind != "NOBITS" and not name.startswith(".ARM.ex") and not _TABLE.match(name))


def _compile(work, isa: str, source: str, name: str) -> dict[str, tuple[str, int]]:
    (work / f"{name}.c").write_text(source)
    cmd = ["clang", *CLANG[isa], "-std=c99", "-Os", "-ffunction-sections", "-fdata-sections", "-nostdlibinc",
           "-I", str(work / "include"), "-I", str(work), "-c", f"{name}.c", "-o", f"{name}-{isa}.o"]
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    # clang 14's AVR back end is experimental: a crash (exit code 70, "PLEASE submit a bug
    # report") is a compiler bug, shown from its first lines
    errors = [line for line in done.stderr.splitlines() if "warning" not in line and not line.startswith(" ")]
    assert done.returncode == 0, f"clang for {isa} failed (exit code {done.returncode}):\n" + "\n".join(errors[:40])
    return _sections(work / f"{name}-{isa}.o")


@pytest.fixture(scope="module")
def clang():
    if shutil.which("clang") is None or shutil.which("readelf") is None:
        pytest.fail("clang and readelf are required (apt-get install clang binutils)")
    targets = subprocess.run(["clang", "--print-targets"], capture_output=True, text=True, check=True).stdout
    missing = [t for t in ("thumb", "avr") if not re.search(rf"^\s+{t}\s", targets, re.M)]
    if missing:
        pytest.fail(f"this clang has no {', '.join(missing)} back end")


def _work(tmp_path):
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "math.h").write_text(MATH_H)
    (tmp_path / "include" / "string.h").write_text(STRING_H)
    (tmp_path / "include" / "avr").mkdir()
    (tmp_path / "include" / "avr" / "pgmspace.h").write_text(PGMSPACE_H)
    return tmp_path


def _cases():
    Xc, yc = load_breast_cancer(return_X_y=True)
    Xd, yd = load_digits(return_X_y=True)
    Xi, yi = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0).fit(Xc, yc)
    small = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(Xi, yi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier((32,), max_iter=60, random_state=0).fit(Xd, yd)
        logistic = LogisticRegression(max_iter=300).fit(Xd, yd)
    return {
        "forest-float32-tables": (forest, {}),
        "forest-int16-tables": (forest, {"dtype": "int16"}),
        "forest-float32-inline": (forest, {"strategy": "inline"}),
        "forest-int8-inline": (forest, {"dtype": "int8", "strategy": "inline"}),
        "small-forest-int16-inline": (small, {"dtype": "int16", "strategy": "inline"}),
        "mlp-float32": (mlp, {}),
        "mlp-int8": (mlp, {"dtype": "int8", "calibration": Xd[:300]}),
        "logistic-regression": (logistic, {}),
        "gaussian-nb": (GaussianNB().fit(Xd, yd), {}),
        "svc-rbf": (SVC().fit(Xc, yc), {"X_train": Xc, "y_train": yc}),
        "knn": (KNeighborsClassifier().fit(Xi, yi), {"X_train": Xi, "y_train": yi}),
    }


CASES = _cases()
ERRORS: dict[str, list[tuple[str, float]]] = {isa: [] for isa in BAND}


@pytest.fixture(scope="module", autouse=True)
def _report_band():
    yield
    for isa, errors in ERRORS.items():
        if errors:
            worst = max(errors, key=lambda e: abs(e[1]))
            print(f"\n{isa}: {len(errors)} headers, worst code-ratio error {worst[1]:+.1%} ({worst[0]}), "
                  f"mean |error| {np.mean([abs(e) for _, e in errors]):.1%}")


def _estimated_code(converted) -> dict[str, int]:
    estimates = {e["target"]: e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]}
    return {isa: sum(i["bytes"] for i in estimates[target]["flash"] if i["name"] in CODE_ITEMS)
            for isa, target in PROFILE.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_code_factor_matches_clang(case, clang, tmp_path):
    model, options = CASES[case]
    converted = tinyml_lab.convert(model, **options)
    work = _work(tmp_path)
    converted.save(work / "model.h")
    n = converted.ir["n_features"]
    measured = {}
    for isa in CLANG:
        full = _code_bytes(_compile(work, isa, probe_main(n, CLASSIFY), "full"))
        empty = _code_bytes(_compile(work, isa, probe_main(n, None), "empty"))
        measured[isa] = full - empty
    estimated = _estimated_code(converted)
    for isa, band in BAND.items():
        ratio = measured[isa] / measured["thumb2"]
        expected = estimated["thumb2"] * ratio
        error = (estimated[isa] - expected) / expected
        ERRORS[isa].append((case, error))
        assert abs(error) <= band, (
            f"{case} on {isa}: clang code {measured[isa]} B = {ratio:.2f}x its Thumb-2 code ({measured['thumb2']} B), "
            f"so {expected:.0f} B from the Cortex-M3 estimate's {estimated['thumb2']} B; estimated {estimated[isa]} B"
        )


def test_avr_tables_live_in_program_memory(tmp_path):
    """On AVR the header's tables are in program memory (TML_CONST_TABLE: PROGMEM, read with
    lpm), so avr-gcc leaves them out of RAM: only the descriptor and the class names are
    ordinary const data, which avr-libc's start-up copies to RAM, and that is what the AVR
    estimate counts in RAM besides the stack."""
    if shutil.which("avr-gcc") is None:
        pytest.fail("avr-gcc is required (apt-get install gcc-avr avr-libc)")
    converted = tinyml_lab.convert(CASES["forest-int16-tables"][0], dtype="int16", strategy="tables")
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
