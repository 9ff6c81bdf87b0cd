#!/bin/sh
# Builds bench/nets/c/dsp_check.c for Cortex-M4 (the SMLAD int8 kernels) and runs it in QEMU
# (mps2-an386); prints "dsp_check: <sums> sums, <outputs> outputs, 0 mismatches" when the
# kernels give the plain loops' integers. Needs gcc-arm-none-eabi and qemu-system-arm.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${TMPDIR:-/tmp}/tinyml_dsp_check.elf
arm-none-eabi-gcc -std=c99 -Os -mthumb -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
    -Wall -Wextra -Werror -Wno-unused-function -I "$root/c-runtime/include" -I "$root/c-runtime/tests" -I "$root/bench/common/c" \
    -I "$root/c-runtime/bundle" "$here/c/dsp_check.c" "$root/c-runtime/bundle/target/mps2_an386/target.c" \
    --specs=nano.specs -nostartfiles -Wl,--gc-sections -T "$root/c-runtime/bundle/target/mps2_an386/mps2_an386.ld" -lm -o "$out"
qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$out" 2>&1
