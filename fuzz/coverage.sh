#!/usr/bin/env bash
# fuzz/coverage.sh DIR NAME... -- source-based coverage of lib/ reached by
# the corpora ("make fuzz-coverage").
#
# DIR/NAME_replay is the replay driver built with -fprofile-instr-generate.
# It runs over corpus/NAME, corpus/regress and, when a fuzz-smoke run left
# one, build/fuzz/work/NAME. Prints llvm-cov's summary per harness and for
# all together; the annotated sources go to DIR/html/index.html.
set -uo pipefail
cd "$(dirname "$0")/.."

dir=${1:?usage: fuzz/coverage.sh DIR NAME...}
shift
profdata=${LLVM_PROFDATA:-llvm-profdata-14}
cov=${LLVM_COV:-llvm-cov-14}
command -v "$profdata" >/dev/null || { echo "fuzz-coverage: $profdata not found" >&2; exit 1; }
command -v "$cov" >/dev/null || { echo "fuzz-coverage: $cov not found" >&2; exit 1; }

rm -rf "$dir/prof"
mkdir -p "$dir/prof"
objs=()
for name in "$@"; do
  bin=$dir/${name}_replay
  inputs=()
  for d in "corpus/$name" corpus/regress "build/fuzz/work/$name"; do
    [ -d "$d" ] && inputs+=("$d")
  done
  LLVM_PROFILE_FILE="$dir/prof/$name-%p.profraw" "$bin" "${inputs[@]}" \
    || { echo "fuzz-coverage: $name failed on its corpus" >&2; exit 1; }
  "$profdata" merge -sparse -o "$dir/prof/$name.profdata" "$dir"/prof/"$name"-*.profraw
  echo "== $name (${inputs[*]})"
  "$cov" report "$bin" -instr-profile="$dir/prof/$name.profdata" lib/ | tail -1
  objs+=("$bin")
done

"$profdata" merge -sparse -o "$dir/prof/all.profdata" "$dir"/prof/*.profraw
extra=()
for o in "${objs[@]:1}"; do extra+=(-object "$o"); done
echo "== all harnesses, per file"
"$cov" report "${objs[0]}" "${extra[@]}" -instr-profile="$dir/prof/all.profdata" lib/
"$cov" show "${objs[0]}" "${extra[@]}" -instr-profile="$dir/prof/all.profdata" \
  -format=html -output-dir="$dir/html" lib/ >/dev/null
echo "fuzz-coverage: HTML in $dir/html/index.html"
