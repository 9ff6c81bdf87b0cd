#!/bin/sh
# Runs each unit-test binary given and adds their "N checks passed, M failed" lines up into
# the one line "c-runtime: N passed, M failed" that scripts/summarize_tests.py reads. A
# binary that crashes (a sanitizer report, say) or prints no summary counts as a failure.
passed=0
failed=0
for test in "$@"; do
    out=$("./$test")
    status=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ checks passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        echo "$test: no summary (exit status $status)"
        failed=$((failed + 1))
        continue
    fi
    p=$(printf '%s\n' "$line" | sed -E 's/.*[^0-9]([0-9]+) checks passed, ([0-9]+) failed.*/\1/')
    f=$(printf '%s\n' "$line" | sed -E 's/.*[^0-9]([0-9]+) checks passed, ([0-9]+) failed.*/\2/')
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        failed=$((failed + 1))
    fi
done
echo "c-runtime: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
