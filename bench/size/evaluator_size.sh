#!/usr/bin/env bash
# Measures the code size and stack frame of an exported forest's predict function on
# Cortex-M4F and Cortex-M0+ with arm-none-eabi-gcc -Os, for float32 and int16 features:
# the constants behind src/core/families/trees/estimate.ts. Needs gcc-arm-none-eabi and a built tinyml_lab.
#   apt-get install -y --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python - <<'PY'
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
import tinyml_lab
X, y = load_iris(return_X_y=True)
model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
for dtype in ("float32", "int16", "int8"):
    tinyml_lab.convert(model, name="m", dtype=dtype).save(f"m_{dtype}.h")
PY
printf 'target\tfeatures\tcode_bytes\tstack_bytes (3-class scratch and, quantized, 4 int16 features included)\n'
for dtype in float32 int16 int8; do
  printf '#include "m_%s.h"\nint32_t wrap_predict(const float *x) { return m_predict(x); }\n' "$dtype" > "w_$dtype.c"
  for target in "cortex-m4f:-mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16" "cortex-m0plus:-mcpu=cortex-m0plus -mfloat-abi=soft"; do
    name=${target%%:*}; flags=${target#*:}
    # shellcheck disable=SC2086
    arm-none-eabi-gcc -std=c99 -Os -mthumb $flags -Wall -Wextra -Werror -fstack-usage -c "w_$dtype.c" -o "w_$dtype.o"
    # All code the object holds (gcc may keep a runtime helper out of line), and the stack of
    # every function in it added up: an upper bound on the deepest call chain.
    code=0
    while read -r _ size kind _; do
      case $kind in t|T) code=$((code + 16#$size)) ;; esac
    done < <(arm-none-eabi-nm -S "w_$dtype.o")
    stack=$(awk '{ total += $2 } END { print total }' "w_$dtype.su")
    printf '%s\t%s\t%s\t%s\n' "$name" "$dtype" "$code" "$stack"
  done
done
