"""The firmware main the size tests link an exported header into: it calls predict on
volatile inputs (so nothing is optimised away) or, for the empty baseline, only touches them.
The bytes a model adds are the difference of the two builds (measure_linked, on the Arm
cores and RV32IMC). Shared by test_estimates_calibration.py (arm-none-eabi-gcc), test_isa_code_size.py
(clang, RV32/AVR) and bench/size/fit_net_code.py."""

from __future__ import annotations

import subprocess

#: How main calls each kind of model's predict.
CLASSIFY = "tml_out = model_predict(x);"
REGRESS = "float y; model_predict(x, &y); tml_out = (int32_t)y;"
ANOMALY = "int32_t label; model_predict(x, &label); tml_out = label;"


def probe_main(n_features: int, call: str | None) -> str:
    """main.c calling model.h's predict with `call`, or the empty baseline when call is None."""
    include = '#include "model.h"\n' if call else ""
    return f"""{include}#include <stdint.h>
volatile float tml_in[{n_features}];
volatile int32_t tml_out;
int main(void) {{
  float x[{n_features}];
  for (int i = 0; i < {n_features}; i++) x[i] = tml_in[i];
  {call or "tml_out = (int32_t)x[0];"}
  return 0;
}}
"""


#: The cores the flash estimates are calibrated on, and their compiler flags.
FLAGS = {
    "cortex-m4f": ["-mthumb", "-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m7": ["-mthumb", "-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
    "cortex-m3": ["-mthumb", "-mcpu=cortex-m3", "-mfloat-abi=soft"],
    "cortex-m0plus": ["-mthumb", "-mcpu=cortex-m0plus", "-mfloat-abi=soft"],
    "esp32-c3": ["-march=rv32imc", "-mabi=ilp32"],
}

#: Per target: the toolchain's prefix and its C library (newlib nano on Arm, given at link time;
#: picolibc, whose specs also give the compiler its headers).
TOOLCHAIN = {target: ("arm-none-eabi-", [], ["--specs=nano.specs"]) for target in FLAGS}
TOOLCHAIN["esp32-c3"] = ("riscv64-unknown-elf-", ["--specs=picolibc.specs"], [])

# The wrapper's object and the libraries land in separate output sections, so a failure can
# say which of the two the estimate got wrong.
LINKER_SCRIPT = """ENTRY(main)
SECTIONS {
  .model 0 : { *main.o(.text* .rodata* .srodata* .data* .sdata*) }
  .libs : { *(.text* .rodata* .srodata* .data* .sdata*) }
  .ram (NOLOAD) : { *main.o(.bss* .sbss* COMMON) }
  .libram (NOLOAD) : { *(.bss*) *(.sbss*) *(.tbss*) *(COMMON) }
  /DISCARD/ : { *(.ARM.exidx*) *(.ARM.extab*) }
}
"""


def _link(work, source: str, target: str) -> dict[str, int]:
    (work / "main.c").write_text(source)
    prefix, libc, link_libc = TOOLCHAIN[target]
    flags = ["-std=c99", "-Os", "-ffunction-sections", "-fdata-sections", *FLAGS[target], *libc]
    subprocess.run([f"{prefix}gcc", *flags, "-I", str(work), "-c", "main.c", "-o", "main.o"],
                   cwd=work, check=True, capture_output=True)
    subprocess.run([f"{prefix}gcc", *flags, *link_libc, "-nostartfiles", "-Wl,--gc-sections",
                    "-T", "link.ld", "main.o", "-lm", "-o", "a.elf"], cwd=work, check=True, capture_output=True)
    out = subprocess.run([f"{prefix}size", "-A", "a.elf"], cwd=work, check=True, capture_output=True,
                         text=True).stdout
    return section_sizes(out)


def section_sizes(size_output: str) -> dict[str, int]:
    """{section: bytes} from the output of `size -A` (arm-none-eabi-size, avr-size)."""
    sizes = {}
    for line in size_output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def measure_linked(converted, n_features: int, call: str, target: str, work, defines: str = "") -> dict[str, int]:
    """Bytes the model adds to an empty firmware on `target` (arm-none-eabi-gcc, or for
    esp32-c3 riscv64-unknown-elf-gcc -march=rv32imc with picolibc, -Os): its own
    code and tables, the libraries it pulls in, and static RAM. `defines` go before the model
    header (bench/size/fit_net_code.py compiles extra kernels in that way)."""
    converted.save(work / "model.h")
    (work / "link.ld").write_text(LINKER_SCRIPT)
    empty = _link(work, probe_main(n_features, None), target)
    full = _link(work, defines + probe_main(n_features, call), target)
    delta = {k: full.get(k, 0) - empty.get(k, 0) for k in (".model", ".libs", ".ram", ".libram")}
    return {"model": delta[".model"], "libs": delta[".libs"], "flash": delta[".model"] + delta[".libs"],
            "ram": delta[".ram"]}
