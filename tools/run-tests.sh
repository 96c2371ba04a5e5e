#!/usr/bin/env bash
# tools/run-tests.sh -- run every test suite of the sanitizer build and add
# up their results. Each suite prints, as its last line,
#   "<suite>: N passed, N failed[, N skipped]"
# and this script ends with the sum in the same form (without the prefix).
# Exit status: 0 only when nothing failed and every suite ran.
set -uo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

suites=(
  "unit|build/asan/bin/unit_tests"
  "unit-scalar|env UNIT_SUITE=unit-scalar build/scalar/bin/unit_tests"
  "tcl|build/asan/bin/sipcheck tests/tcl/all.tcl"
  "interop|build/asan/bin/sipcheck tests/interop/all.tcl"
  "cli|bash tests/cli/run.sh build/asan/bin/sipcheck"
  "fuzz-replay|bash fuzz/replay.sh build/asan/fuzz-replay"
  "install|bash tests/install/run.sh"
)

total_pass=0 total_fail=0 total_skip=0 broken=0
for entry in "${suites[@]}"; do
  name=${entry%%|*} cmd=${entry#*|}
  log=build/asan/test-$name.log
  mkdir -p build/asan
  echo "== $name: $cmd"
  $cmd >"$log" 2>&1
  rc=$?
  grep -E '^(not ok|#   )' "$log" | head -40
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "!! suite $name did not report (exit $rc); last lines:"
    tail -20 "$log"
    broken=$((broken + 1))
    total_fail=$((total_fail + 1))
    continue
  fi
  echo "$line"
  p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  s=0
  grep -q skipped <<<"$line" && s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "!! suite $name exited $rc with no failure counted (sanitizer report?):"
    tail -30 "$log"
    f=1
  fi
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
done

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ] && [ "$broken" = 0 ]
