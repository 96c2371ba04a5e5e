#!/usr/bin/env bash
# fuzz/smoke.sh NAME... -- run each libFuzzer harness build/fuzz/NAME for a
# short while and report its speed and coverage ("make fuzz-smoke").
#
# Each harness works on a fresh copy of its seeds (corpus/NAME, plus
# corpus/regress read-only) in build/fuzz/work/NAME; FUZZ_KEEP_WORK=1 keeps
# what an earlier run found instead. Inputs that crash, leak, time out or
# break an invariant are written to build/fuzz/crashes/ and fail the run.
#
# Environment: FUZZ_SECONDS (60), FUZZ_MAX_LEN (8192), FUZZ_KEEP_WORK (0),
# FUZZ_EXTRA (more libFuzzer flags).
set -uo pipefail
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-8192}
crashdir=build/fuzz/crashes
logdir=build/fuzz/logs
mkdir -p "$crashdir" "$logdir"

[ $# -gt 0 ] || { echo "usage: fuzz/smoke.sh NAME..." >&2; exit 2; }

failed=0
summary=()
for name in "$@"; do
  bin=build/fuzz/$name
  work=build/fuzz/work/$name
  log=$logdir/$name.log
  if [ ! -x "$bin" ]; then
    echo "fuzz-smoke: $bin missing (run make fuzz)" >&2
    failed=1; continue
  fi
  if [ "${FUZZ_KEEP_WORK:-0}" != 1 ]; then
    rm -rf "$work"
  fi
  mkdir -p "$work"
  if [ -d "corpus/$name" ]; then
    find "corpus/$name" -maxdepth 1 -type f ! -name '.*' ! -name '*.md' \
      -exec cp -n -t "$work" {} +
  fi
  dict=()
  [ "$name" = fuzz_msg ] && [ -f corpus/sip.dict ] && dict=(-dict=corpus/sip.dict)
  seeds=$(find "$work" -type f | wc -l)

  echo "== $name: $secs s, $seeds seeds, max_len $max_len, log $log"
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$secs" -print_final_stats=1 -max_len="$max_len" \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$crashdir/$name-" \
    "${dict[@]}" ${FUZZ_EXTRA:-} "$work" corpus/regress >"$log" 2>&1
  rc=$?

  execs=$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]*([0-9]+).*/\1/p' "$log" | tail -1)
  units=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+).*/\1/p' "$log" | tail -1)
  rss=$(sed -nE 's/^stat::peak_rss_mb:[[:space:]]*([0-9]+).*/\1/p' "$log" | tail -1)
  status=$(grep -E '^#[0-9]+.* cov: [0-9]+' "$log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$status")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$status")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9A-Za-z]+).*/\1/p' <<<"$status")
  line="$name: ${execs:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corp ${corp:-?}, ${units:-?} runs, peak rss ${rss:-?} MB"

  if [ $rc -ne 0 ]; then
    failed=1
    line="$line -- FAILED (exit $rc)"
    echo "!! $name failed (exit $rc); artifacts:"
    grep -E '(Test unit written to|artifact_prefix|INVARIANT FAILED|ERROR: (Address|Leak|libFuzzer)|runtime error)' "$log" | head -10
    echo "   log tail:"
    tail -40 "$log" | sed 's/^/   /'
  fi
  echo "$line"
  summary+=("$line")
done

echo "== fuzz-smoke summary ($secs s per harness)"
printf '%s\n' "${summary[@]}"
crashes=$(find "$crashdir" -type f | wc -l)
echo "fuzz-smoke: $crashes file(s) in $crashdir"
exit $failed
