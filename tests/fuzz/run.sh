#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c: clang, libFuzzer, ASan, UBSan) and runs
# each for FUZZ_SECONDS (default 20), FUZZ_JOBS at a time (default 2), together with the IR
# mutation fuzzer (ir_fuzz.py, FUZZ_IR_SECONDS, default 30). Each starts from its committed
# corpus (tests/fuzz/corpus/<target>) and keeps what it finds in build/fuzz/corpus/<target>.
#
#   tests/fuzz/run.sh [RESULTS_FILE] [TARGET...]    targets: forest net gauss svm knn features ir
#
# FUZZ_SEED (default 1) makes a run repeatable, so the test command does not fail at random;
# FUZZ_SEED=random draws a new one each run (printed in the logs), for longer searches.
#
# RESULTS_FILE (default build/fuzz/results.txt) gets one line per target, "<target> <status>
# <executions> <seconds>": status 0 means no finding. A finding's input is in
# build/fuzz/artifacts/<target>/ and the log says how to run it again. FUZZ_MERGE=1 afterwards
# merges the inputs that add coverage into the committed corpora (then commit them).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
WORK="$ROOT/build/fuzz"
RESULTS="${1:-$WORK/results.txt}"
shift || true
ALL_TARGETS=(forest net gauss svm knn features ir)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
SECONDS_EACH="${FUZZ_SECONDS:-20}"
IR_SECONDS="${FUZZ_IR_SECONDS:-30}"
JOBS="${FUZZ_JOBS:-2}"
SEED="${FUZZ_SEED:-1}"
if [ "$SEED" = random ]; then SEED=$((RANDOM * 32768 + RANDOM)); fi
CC="${FUZZ_CC:-clang}"
CFLAGS=(-std=c99 -g -O1 -Wall -Wextra -Werror -Wno-unknown-attributes
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
        -I"$ROOT/c-runtime/include")
mkdir -p "$WORK/logs" "$(dirname "$RESULTS")"
: > "$RESULTS"

# libFuzzer stops at the first finding; an input that runs longer than this is a hang
LIBFUZZER_FLAGS=(-timeout=10 -max_len=16384 -rss_limit_mb=2048 -print_final_stats=1)

# Builds a target unless its binary is newer than every source it includes.
build() {
    local target=$1 exe="$WORK/fuzz_$1"
    if [ -x "$exe" ] && [ -z "$(find "$ROOT/tests/fuzz" "$ROOT/c-runtime/include" "$ROOT/c-runtime/wasm" \
            -name '*.[ch]' -newer "$exe" -print -quit)" ]; then
        return 0
    fi
    "$CC" "${CFLAGS[@]}" -o "$exe" "$ROOT/tests/fuzz/fuzz_$target.c" -lm > "$WORK/logs/$target.build.log" 2>&1
}

fuzz_c() {
    local target=$1 log="$WORK/logs/$target.log" status runs
    mkdir -p "$WORK/corpus/$target" "$WORK/artifacts/$target"
    if ! build "$target"; then
        echo "fuzz $target: the target does not build (clang with libFuzzer: libclang-rt-14-dev)"
        tail -n 5 "$WORK/logs/$target.build.log"
        echo "$target 1 0 0" >> "$RESULTS"
        return
    fi
    local started=$SECONDS
    # the first corpus directory is written to: the committed one is only read
    "$WORK/fuzz_$target" "${LIBFUZZER_FLAGS[@]}" -max_total_time="$SECONDS_EACH" -seed="$SEED" \
        -artifact_prefix="$WORK/artifacts/$target/" "$WORK/corpus/$target" "$ROOT/tests/fuzz/corpus/$target" \
        > "$log" 2>&1
    status=$?
    runs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
    [ -n "$runs" ] || runs=$(grep -Eo '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
    echo "$target $status ${runs:-0} $((SECONDS - started))" >> "$RESULTS"
    if [ "$status" -eq 0 ]; then
        echo "fuzz $target: no finding, ${runs:-0} inputs in $((SECONDS - started)) s"
    else
        echo "fuzz $target: FINDING (exit status $status), log $log"
        grep -E 'ERROR|property failed|SUMMARY|Test unit written' "$log" | head -n 8
        local input
        input=$(grep -Eo "Test unit written to \S+" "$log" | tail -n 1 | cut -d' ' -f5)
        [ -z "$input" ] || echo "  run it again: $WORK/fuzz_$target $input"
    fi
}

fuzz_ir() {
    local started=$SECONDS
    python "$ROOT/tests/fuzz/ir_fuzz.py" --seconds "$IR_SECONDS" --seed "$SEED" --results "$RESULTS" > "$WORK/logs/ir.log" 2>&1
    local status=$?
    grep -q '^ir ' "$RESULTS" || echo "ir 1 0 $((SECONDS - started))" >> "$RESULTS"
    if [ "$status" -eq 0 ]; then
        echo "fuzz ir: no finding, $(tail -n 1 "$WORK/logs/ir.log")"
    else
        echo "fuzz ir: FINDING (exit status $status), log $WORK/logs/ir.log"
        grep -A1 -E '^FINDING|Error|Traceback' "$WORK/logs/ir.log" | head -n 12
    fi
}

running=0
for target in "${TARGETS[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    if [ "$target" = ir ]; then
        fuzz_ir &
    else
        fuzz_c "$target" &
    fi
    running=$((running + 1))
done
wait

if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    for target in "${TARGETS[@]}"; do
        [ "$target" != ir ] || continue
        "$WORK/fuzz_$target" -merge=1 "${LIBFUZZER_FLAGS[@]}" "$ROOT/tests/fuzz/corpus/$target" "$WORK/corpus/$target" \
            > "$WORK/logs/$target.merge.log" 2>&1
        echo "merged $target: $(grep -Eo 'MERGE-OUTER: [0-9]+ new files' "$WORK/logs/$target.merge.log")," \
            "$(du -sk "$ROOT/tests/fuzz/corpus/$target" | cut -f1) KB"
    done
fi
awk '$2 != 0 { bad++ } END { exit bad > 0 }' "$RESULTS"
