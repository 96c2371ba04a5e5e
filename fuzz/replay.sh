#!/usr/bin/env bash
# fuzz/replay.sh DIR -- run the fuzz harnesses' replay programs (built by
# "make fuzz-replay-build" into DIR, normally build/asan/fuzz-replay) over
# every corpus, as regression tests. Deterministic: no fuzzing happens.
# When DIR-scalar exists (the same programs over the library built with
# -DSIPHON_NO_SIMD), every corpus runs through it too.
#
# corpus/regress runs through every harness (an input that crashed one must
# not crash the others either); corpus/regress-pending holds failing inputs
# of bugs not fixed yet and is never run here.
#
# One test per (harness, corpus) run; it passes when the program exits 0,
# that is when no input crashed, leaked or broke an invariant. Corpora in
# ../shared/corpus-ref (beside the checkout, not part of the project) are
# skipped with a note when that folder is absent. Output is TAP-like; the
# last line is "fuzz-replay: N passed, N failed, N skipped". Exit 1 on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."

dir=${1:-build/asan/fuzz-replay}
ref=${SIPHON_CORPUS_REF:-../shared/corpus-ref}
logdir=build/asan/fuzz-replay-logs
mkdir -p "$logdir"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

pass=0 fail=0 skip=0 n=0

# run HARNESS LABEL PATH... : one test.
run() {
  local harness=$1 label=$2
  shift 2
  n=$((n + 1))
  local bin=$bindir/fuzz_${harness}_replay
  label="$label$tag"
  local log=$logdir/$n-$harness-${label//[^A-Za-z0-9_.-]/_}.log
  if [ ! -x "$bin" ]; then
    echo "not ok $n - $harness $label"
    echo "#   $bin not built (make fuzz-replay-build)"
    fail=$((fail + 1))
    return
  fi
  # (in a subshell, so that the shell's "Aborted" note goes to the log)
  ( "$bin" "$@"; exit $? ) >"$log" 2>&1
  local rc=$?
  local count
  count=$(grep -E "^fuzz-replay-$harness: [0-9]+ files" "$log" | tail -1 | sed -E 's/.*: ([0-9]+) files/\1/')
  if [ $rc -eq 0 ] && [ -n "$count" ]; then
    echo "ok $n - $harness $label ($count files)"
    pass=$((pass + 1))
  else
    echo "not ok $n - $harness $label (exit $rc)"
    grep -E '^(FAIL |fuzz-replay: crashed on input )|INVARIANT FAILED|ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY:' "$log" \
      | head -8 | sed 's/^/#   /'
    echo "#   full log: $log"
    fail=$((fail + 1))
  fi
}

# skipped LABEL WHY : one skipped test.
skipped() {
  n=$((n + 1))
  echo "ok $n - $1$tag # SKIP $2"
  skip=$((skip + 1))
}

# Existing files matching a glob, sorted (an unmatched glob gives nothing).
files() {
  local f
  for f in "$@"; do [ -e "$f" ] && printf '%s\n' "$f"; done | LC_ALL=C sort
}

# suite BINDIR TAG : every corpus through the programs in BINDIR.
suite() {
  bindir=$1 tag=$2
  # The project's own corpora.
  run msg corpus/fuzz_msg corpus/fuzz_msg
  run msg corpus/regress corpus/regress
  mapfile -t rfc < <(files tests/data/rfc4475/*.dat)
  if [ ${#rfc[@]} -gt 0 ]; then
    run msg tests/data/rfc4475 "${rfc[@]}"
  else
    n=$((n + 1)); fail=$((fail + 1))
    echo "not ok $n - msg tests/data/rfc4475$tag"
    echo "#   no .dat files in tests/data/rfc4475"
  fi
  run uri corpus/fuzz_uri corpus/fuzz_uri
  run uri corpus/regress corpus/regress
  run txn corpus/fuzz_txn corpus/fuzz_txn
  run txn corpus/regress corpus/regress
  run ws corpus/fuzz_ws corpus/fuzz_ws
  run ws corpus/regress corpus/regress
  run ua corpus/fuzz_ua corpus/fuzz_ua
  run ua corpus/regress corpus/regress
  run sdp corpus/fuzz_sdp corpus/fuzz_sdp
  run sdp corpus/regress corpus/regress
  run auth corpus/fuzz_auth corpus/fuzz_auth
  run auth corpus/regress corpus/regress
  run dialog corpus/fuzz_dialog corpus/fuzz_dialog
  run dialog corpus/regress corpus/regress
  run reg corpus/fuzz_reg corpus/fuzz_reg
  run reg corpus/regress corpus/regress
  run proxy corpus/fuzz_proxy corpus/fuzz_proxy
  run proxy corpus/regress corpus/regress

  # Reference data beside the checkout (read in place, never copied in).
  m=$ref/messages
  refsets=(
    "msg|jain-sip-torture|$m/jain-sip-torture/cases"
    "msg|sipparser-volte|$m/sipparser-volte"
    "msg|sip2json-samples|$m/sip2json-samples"
    "msg|pjsip-fuzz-seeds|$m/pjsip-fuzz-seeds"
    "uri|jain-sip-torture-url|$m/jain-sip-torture/cases/*.url"
    "uri|pjsip-fuzz-uri|$m/pjsip-fuzz-seeds/fuzz-uri"
  )
  for entry in "${refsets[@]}"; do
    IFS='|' read -r harness label pattern <<<"$entry"
    if [ ! -d "$m" ]; then
      skipped "$harness $label" "$ref absent"
      continue
    fi
    # shellcheck disable=SC2206
    paths=($pattern)
    mapfile -t paths < <(files "${paths[@]}")
    if [ ${#paths[@]} -eq 0 ]; then
      skipped "$harness $label" "nothing at $pattern"
      continue
    fi
    run "$harness" "$label" "${paths[@]}"
  done
}

if [ -d "$ref/messages" ]; then
  echo "# reference corpora from $ref"
else
  echo "# $ref/messages absent: reference corpora skipped"
fi
suite "$dir" ""
[ -d "$dir-scalar" ] && suite "$dir-scalar" " [scalar]"

echo "fuzz-replay: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
