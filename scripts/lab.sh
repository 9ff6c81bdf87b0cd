#!/usr/bin/env bash
# Sets up a fresh machine (see setup.sh) and opens the tutorial notebook in JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate
# Keras models run on JAX (CPU wheels from PyPI), unless you chose another backend.
export KERAS_BACKEND="${KERAS_BACKEND:-jax}"
extra=()
[ "$(id -u)" -ne 0 ] || extra+=(--allow-root)
exec jupyter lab "${extra[@]}" notebooks/getting_started_trees.ipynb "$@"
