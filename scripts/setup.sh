#!/usr/bin/env bash
# Installs everything TinyML Lab needs on a fresh Debian 12 machine, from the package
# registries only, and builds it: the C runtime (gcc, and clang for WebAssembly and libFuzzer), the
# TypeScript core and JupyterLab extension (npm), and the Python package in .venv.
# Safe to run again: each step is quick when there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/.."

# libclang-rt-14-dev: libFuzzer and the sanitizers' runtimes for clang (tests/fuzz)
# gcc-avr ... qemu-system-misc: the AVR (ATmega328P in simavr, Arduino Uno sketches) and RISC-V
# (rv32imc in qemu-system-riscv32) targets, measured like the Arm ones.
# cmake: the C runtime's CMake package, ESP-IDF component and Zephyr module (tests/python/test_manifests.py).
APT_PACKAGES=(gcc make cmake clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev chromium gcc-arm-none-eabi
              libnewlib-arm-none-eabi qemu-system-arm gcc-avr avr-libc simavr arduino-builder arduino-core-avr
              gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # --no-install-recommends: recommends would pull in far more than we use.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "== python: creating .venv"
  python3 -m venv .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
echo "== pip: build and test dependencies"
python -m pip install -q --upgrade pip
python -m pip install -q 'jupyterlab>=4.5,<4.6' 'hatchling>=1.21' 'hatch-jupyter-builder>=0.9' 'hatch-nodejs-version>=0.3.2' pytest-timeout 'pytest-xdist>=3.5' ruff

# npm ci starts from scratch; skip it while node_modules matches the lock file.
npm_ci() {
  if [ ! -f "$1/node_modules/.package-lock.json" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    (cd "$1" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

echo "== npm: compiler core, widgets and labextension"
npm_ci .
npm run build:prod --silent

echo "== pip: tinyml-lab with its prebuilt labextension"
python -m pip install -q --no-build-isolation '.[test,boosting]'

echo "== npm: UI test tools (Galata; the browser is Debian's chromium)"
npm_ci ui-tests
echo "== setup done"
