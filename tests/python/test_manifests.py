"""The C runtime as embedded developers depend on it (c-runtime/): a CMake package (by
add_subdirectory and installed, by find_package), an ESP-IDF component, a Zephyr module and a
PlatformIO library. Each manifest's fields are checked, and a minimal project that uses a
model exported without the runtime embedded (standalone=False, `#include "tinyml/forest.h"`)
is built the way the framework would build it:

- CMake: configured, built and run on the host, its labels compared with scikit-learn's;
- ESP-IDF (not installable here): CMakeLists.txt run with ESP_PLATFORM set and an
  idf_component_register that records what a component registers, the project compiled with
  ESP-IDF's ESP32-C3 flags (-march=rv32imc_zicsr_zifencei -mabi=ilp32) by riscv64-unknown-elf-gcc;
- Zephyr (not installable here): zephyr/CMakeLists.txt run with CONFIG_TINYML=y and a
  zephyr_include_directories that records the directories, compiled for a Cortex-M4F board;
- PlatformIO (not installable here): library.json's includeDir and srcFilter applied as
  PlatformIO's library builder applies them, compiled with arm-none-eabi-gcc.
The versions of the manifests agree with package.json's, the project's one version."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

import tinyml_lab

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "c-runtime"
VERSION = json.loads((ROOT / "package.json").read_text())["version"]
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
N_ROWS = 12


def _require(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (scripts/setup.sh installs it)")


@pytest.fixture(scope="module")
def forest():
    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X[::2], y[::2])
    rows = X[1::2][:N_ROWS].astype(np.float32)
    return tinyml_lab.convert(model, name="iris", standalone=False), rows, model.predict(rows)


def _app(work: Path, converted, rows) -> Path:
    """An application that prints the model's label for each row; the model header includes
    the runtime from the package."""
    work.mkdir(parents=True, exist_ok=True)
    converted.save(work / "iris.h")
    values = ", ".join(f"{v!r}f" for v in rows.ravel().tolist())
    (work / "main.c").write_text(f"""#include <stdio.h>
#include "iris.h"

static const float rows[{rows.size}] = {{{values}}};

int main(void)
{{
    int i;
    for (i = 0; i < {len(rows)}; i++) {{
        printf("%d\\n", (int)iris_predict(rows + i * {rows.shape[1]}));
    }}
    return 0;
}}
""")
    return work


def _cmake(*args, cwd: Path) -> str:
    done = subprocess.run(["cmake", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"cmake {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _labels(binary: Path) -> list[int]:
    return [int(v) for v in subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.split()]


# ---- versions ----------------------------------------------------------------------------------


def test_every_manifest_carries_the_package_version():
    library = json.loads((RUNTIME / "library.json").read_text())
    component = yaml.safe_load((RUNTIME / "idf_component.yml").read_text())
    assert library["version"] == component["version"] == VERSION
    # CMake reads library.json's version: no third copy
    cmake = (RUNTIME / "CMakeLists.txt").read_text()
    assert 'string(JSON TINYML_VERSION GET "${TINYML_LIBRARY_JSON}" version)' in cmake


# ---- plain CMake ---------------------------------------------------------------------------------


def test_cmake_add_subdirectory_builds_and_agrees_with_scikit_learn(forest, tmp_path):
    _require("cmake", "cc")
    converted, rows, expected = forest
    app = _app(tmp_path / "app", converted, rows)
    (app / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.19)
project(app C)
add_subdirectory("{RUNTIME.as_posix()}" tinyml)
add_executable(app main.c)
target_compile_options(app PRIVATE {' '.join(STRICT)})
target_link_libraries(app PRIVATE tinyml::tinyml)
""")
    _cmake("-S", str(app), "-B", str(app / "build"), cwd=app)
    _cmake("--build", str(app / "build"), cwd=app)
    assert _labels(app / "build" / "app") == expected.tolist()


def test_cmake_package_installs_and_find_package_finds_it(forest, tmp_path):
    _require("cmake", "cc")
    converted, rows, expected = forest
    prefix = tmp_path / "prefix"
    _cmake("-S", str(RUNTIME), "-B", str(tmp_path / "runtime-build"), cwd=tmp_path)
    _cmake("--install", str(tmp_path / "runtime-build"), "--prefix", str(prefix), cwd=tmp_path)
    assert (prefix / "include" / "tinyml" / "forest.h").is_file()
    app = _app(tmp_path / "app", converted, rows)
    (app / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.19)
project(app C)
find_package(tinyml {VERSION} CONFIG REQUIRED)
message(STATUS "tinyml version ${{tinyml_VERSION}}")
add_executable(app main.c)
target_compile_options(app PRIVATE {' '.join(STRICT)})
target_link_libraries(app PRIVATE tinyml::tinyml)
""")
    out = _cmake("-S", str(app), "-B", str(app / "build"), f"-DCMAKE_PREFIX_PATH={prefix}", cwd=app)
    assert f"tinyml version {VERSION}" in out
    _cmake("--build", str(app / "build"), cwd=app)
    assert _labels(app / "build" / "app") == expected.tolist()


# ---- ESP-IDF -------------------------------------------------------------------------------------

#: What ESP-IDF 5 compiles a C component with for the ESP32-C3 (its toolchain file and the
#: project's default warnings), -Werror added.
ESP32_C3_FLAGS = "-march=rv32imc_zicsr_zifencei -mabi=ilp32 -Os -ffunction-sections -fdata-sections " \
                 "-Wall -Werror=all -Wextra -Werror"


def test_esp_idf_component_registers_the_headers_and_builds_for_esp32_c3(forest, tmp_path):
    _require("cmake", "riscv64-unknown-elf-gcc")
    component = yaml.safe_load((RUNTIME / "idf_component.yml").read_text())
    assert {"version", "description", "targets"} <= set(component)
    assert "esp32c3" in component["targets"]
    assert all(not pattern.startswith("include") for pattern in component["files"]["exclude"])
    converted, rows, _ = forest
    app = _app(tmp_path / "app", converted, rows)
    # ESP-IDF's build runs each component's CMakeLists.txt with ESP_PLATFORM set; its
    # idf_component_register makes a library of the registered directories.
    (app / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.19)
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
project(app C)
set(ESP_PLATFORM 1)
function(idf_component_register)
  cmake_parse_arguments(ARG "" "" "SRCS;INCLUDE_DIRS;REQUIRES;PRIV_REQUIRES" ${{ARGN}})
  list(TRANSFORM ARG_INCLUDE_DIRS PREPEND "${{CMAKE_CURRENT_LIST_DIR}}/")
  add_library(idf_tinyml INTERFACE)
  target_include_directories(idf_tinyml INTERFACE ${{ARG_INCLUDE_DIRS}})
  message(STATUS "registered sources [${{ARG_SRCS}}] includes [${{ARG_INCLUDE_DIRS}}]")
endfunction()
add_subdirectory("{RUNTIME.as_posix()}" tinyml)
add_library(app STATIC main.c)
target_compile_options(app PRIVATE --specs=picolibc.specs)
target_link_libraries(app PRIVATE idf_tinyml)
""")
    out = _cmake("-S", str(app), "-B", str(app / "build"), f"-DCMAKE_C_FLAGS={ESP32_C3_FLAGS}", cwd=app)
    assert f"registered sources [] includes [{RUNTIME.as_posix()}/include]" in out
    _cmake("--build", str(app / "build"), cwd=app)
    objects = [p for p in (app / "build").rglob("main.c.o*") if p.suffix != ".d"]
    header = subprocess.run(["riscv64-unknown-elf-readelf", "-h", str(objects[0])], capture_output=True, text=True,
                            check=True).stdout
    assert "ELF32" in header and "RISC-V" in header


# ---- Zephyr --------------------------------------------------------------------------------------


def test_zephyr_module_adds_the_headers_when_enabled_and_builds_for_cortex_m4f(forest, tmp_path):
    _require("cmake", "arm-none-eabi-gcc")
    module = yaml.safe_load((RUNTIME / "zephyr" / "module.yml").read_text())
    assert module["name"] == "tinyml"
    assert (RUNTIME / module["build"]["cmake"] / "CMakeLists.txt").is_file()
    kconfig = (RUNTIME / module["build"]["kconfig"]).read_text()
    assert re.search(r"^config TINYML\n\tbool ", kconfig, re.M)
    converted, rows, _ = forest
    app = _app(tmp_path / "app", converted, rows)
    # Zephyr runs the module's CMakeLists.txt with the Kconfig symbols as CMake variables;
    # zephyr_include_directories adds to the zephyr_interface library every target links.
    (app / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.19)
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
project(app C)
add_library(zephyr_interface INTERFACE)
function(zephyr_include_directories)
  target_include_directories(zephyr_interface INTERFACE ${{ARGN}})
endfunction()
add_subdirectory("{(RUNTIME / 'zephyr').as_posix()}" tinyml)
get_target_property(dirs zephyr_interface INTERFACE_INCLUDE_DIRECTORIES)
message(STATUS "zephyr includes [${{dirs}}]")
add_library(app STATIC main.c)
target_compile_options(app PRIVATE {' '.join(STRICT)} --specs=nano.specs)
target_link_libraries(app PRIVATE zephyr_interface)
""")
    flags = "-DCMAKE_C_FLAGS=-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os"
    disabled = _cmake("-S", str(app), "-B", str(app / "off"), flags, cwd=app)
    assert "zephyr includes [dirs-NOTFOUND]" in disabled
    enabled = _cmake("-S", str(app), "-B", str(app / "build"), flags, "-DCONFIG_TINYML=y", cwd=app)
    assert re.search(r"zephyr includes \[\S*/zephyr/\.\./include\]", enabled)
    _cmake("--build", str(app / "build"), cwd=app)


# ---- PlatformIO ----------------------------------------------------------------------------------


def test_platformio_library_exports_the_headers_and_compiles_no_sources(forest, tmp_path):
    _require("arm-none-eabi-gcc")
    library = json.loads((RUNTIME / "library.json").read_text())
    assert {"name", "version", "description", "keywords", "license", "frameworks", "platforms", "build"} <= set(library)
    assert re.fullmatch(r"[a-z0-9_-]+", library["name"])
    build = library["build"]
    assert (RUNTIME / build["includeDir"] / library["headers"]).is_file()
    # The runtime is header-only: the filter must leave out the unit tests, wasm/ and bundle/
    # that PlatformIO would otherwise compile as the library's sources.
    assert build["srcFilter"] == ["-<*>"]
    for path in library["export"]["include"]:
        assert (RUNTIME / path).exists(), path
    converted, rows, _ = forest
    app = _app(tmp_path / "app", converted, rows)
    # PlatformIO adds the library's includeDir to the project's include path (-I).
    subprocess.run(["arm-none-eabi-gcc", *STRICT, "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                    "-mfpu=fpv4-sp-d16", "-Os", "--specs=nano.specs", "-I", str(RUNTIME / build["includeDir"]),
                    "-c", "main.c", "-o", "main.o"], cwd=app, check=True)
