"""Export bundles on an emulated RV32IMC core (the ESP32-C3's instruction set): the twelve
model kinds of test_bundle.py build with riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32
(-Werror, picolibc), run in qemu-system-riscv32 -M virt with semihosting, and the harness
reports every vector within tolerance of scikit-learn and of the WebAssembly runtime, with the
same agreement as the host build; QEMU's instruction trace gives a count per inference."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from test_bundle import CASES, check_emulated_run, gaussian_nb

import tinyml_lab
from tinyml_lab import bundle
from tinyml_lab.errors import InvalidInputError


@pytest.fixture(scope="module", autouse=True)
def toolchain():
    for tool, package in (("riscv64-unknown-elf-gcc", "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"),
                          ("qemu-system-riscv32", "qemu-system-misc"), ("make", "make"), ("cc", "gcc")):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install {package})")


@pytest.mark.parametrize("case", list(CASES))
def test_bundle_agrees_on_emulated_rv32imc_and_on_the_host(case, tmp_path):
    builder, sklearn_checked = CASES[case]
    model, X, y, options = builder()
    made = tinyml_lab.export_bundle(model, X, y, tmp_path / case, name=case, target="rv32imc", **options)
    assert {"target/qemu_virt_rv32/target.c", "target/qemu_virt_rv32/qemu_virt_rv32.ld",
            "target/host/target.c"} <= set(made.files)
    assert not any(f.startswith("target/mps2_an386/") for f in made.files)

    check_emulated_run(made, X, y, sklearn_checked)


def test_the_rv32_build_is_rv32imc_with_compressed_instructions(tmp_path):
    """The ELF is a 32-bit RISC-V executable whose code uses the C extension (the ESP32-C3's
    RV32IMC), so its size is what such a part would hold."""
    model, X, y, _ = gaussian_nb()
    made = tinyml_lab.export_bundle(model, X[:3], y[:3], tmp_path / "b", target="rv32imc")
    assert bundle.run_in_qemu(made.path, count_instructions=False).passed
    elf = made.path / bundle.TARGETS["rv32imc"].elf
    header = subprocess.run(["riscv64-unknown-elf-readelf", "-h", str(elf)], capture_output=True, text=True,
                            check=True).stdout
    assert "ELF32" in header and "RISC-V" in header and "RVC" in header
    readme = (made.path / "README.md").read_text()
    assert "qemu-system-riscv32" in readme and "picolibc-riscv64-unknown-elf" in readme


def test_a_bundle_names_its_target(tmp_path):
    model, X, y, _ = gaussian_nb()
    made = tinyml_lab.export_bundle(model, X[:2], y[:2], tmp_path / "b", target="rv32imc")
    assert bundle.bundle_target(made.path) == "rv32imc"
    with pytest.raises(InvalidInputError, match=r"not a bundle for one emulated target"):
        bundle.bundle_target(tmp_path)
