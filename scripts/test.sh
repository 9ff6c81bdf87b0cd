#!/usr/bin/env bash
# Runs every test suite (C runtime, fuzzers, jest, pytest, Galata in Chromium) after setting up a
# fresh machine, and ends with one line "N passed, N failed" summing all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
source .venv/bin/activate
# Keras models run on JAX (CPU wheels from PyPI), unless you chose another backend.
export KERAS_BACKEND="${KERAS_BACKEND:-jax}"
RESULTS="$ROOT/build/test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"

echo "== lint (eslint + prettier on the TypeScript, ruff on the Python)"
npm run --silent lint:check 2>&1 | tail -n 20
echo "eslint+prettier ${PIPESTATUS[0]}" > "$RESULTS/lint.txt"
ruff check tinyml_lab tests scripts bench 2>&1 | tail -n 20
echo "ruff ${PIPESTATUS[0]}" >> "$RESULTS/lint.txt"

echo "== C runtime (gcc -std=c99 -Wall -Wextra -Werror -pedantic, ASan + UBSan)"
make -s -C c-runtime test 2>&1 | tee "$RESULTS/c.txt"

echo "== fuzzing (libFuzzer on every family's validator and methods, mutated IRs through the compiler)"
bash tests/fuzz/run.sh "$RESULTS/fuzz.txt" 2>&1 | tail -n 40

echo "== jest (compiler core, WebAssembly runtime, widget panel)"
npx jest --ci --json --outputFile="$RESULTS/jest.json" 2>&1 | tail -n 25

echo "== pytest (sklearn agreement via gcc and WebAssembly, errors, widget, notebooks)"
# one worker per CPU (at most 4), a test file per worker at a time (module fixtures built once):
# on 2 CPUs 17 minutes instead of 31, most of it gcc, QEMU and Python that do not share a core
python -m pytest -q -p no:cacheprovider --timeout 900 -n auto --maxprocesses 4 --dist loadfile \
  --junitxml="$RESULTS/pytest.xml" 2>&1 | tail -n 25

echo "== Galata (JupyterLab + Chromium)"
(cd ui-tests && npx playwright test 2>&1 | tail -n 40)
cp ui-tests/test-results/results.json "$RESULTS/galata.json" 2>/dev/null || true

python scripts/summarize_tests.py "$RESULTS"
