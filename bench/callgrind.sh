#!/usr/bin/env bash
# bench/callgrind.sh BENCH_PARSE CORPUS OUT.tsv [COUNT]
#
# Instructions per message for every parser compiled into BENCH_PARSE:
#   (Ir of "bench_parse --only NAME" - Ir of "bench_parse --only none") / N
# where both runs load the same corpus and N messages are parsed (COUNT, or
# the whole corpus). The "none" run loads the corpus and parses nothing, so
# the difference is the parse loop plus the library's one-off set-up
# (libre_init, parser_init), which is amortised over N. Ir is the
# "summary:" line of the callgrind output file (instructions executed).
# Callgrind's counts do not depend on machine load, so the runs go in
# parallel, one per CPU. Writes "name<TAB>instr_per_msg" lines to OUT.tsv.
set -euo pipefail

bin=${1:?usage: callgrind.sh BENCH_PARSE CORPUS OUT.tsv [COUNT]}
corpus=${2:?corpus}
out=${3:?out.tsv}
count=${4:-}

command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }

dir=$(dirname "$out")/callgrind
mkdir -p "$dir"
rm -f "$dir"/*.out "$dir"/*.log

count_args=()
[ -n "$count" ] && count_args=(--count "$count")

mapfile -t names < <("$bin" --list | cut -f1)
jobs_max=$(nproc 2>/dev/null || echo 2)

run_one() { # name
    valgrind --tool=callgrind --callgrind-out-file="$dir/$1.out" \
        "$bin" --corpus "$corpus" --only "$1" --rounds 1 --no-pin "${count_args[@]}" \
        >"$dir/$1.log" 2>&1
}

pids=()
status=0
for name in none "${names[@]}"; do
    run_one "$name" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$jobs_max" ]; then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

ir() { awk '/^summary:/ {print $2; exit}' "$dir/$1.out"; }

base=$(ir none)
[ -n "$base" ] || { echo "callgrind.sh: baseline run failed, see $dir/none.log" >&2; exit 2; }
n=$(awk '/ messages loaded/ {print $2; exit}' "$dir/none.log")

: >"$out"
printf '%-8s %16s %16s %12s\n' parser "Ir (run)" "Ir (parsing)" "instr/msg"
for name in "${names[@]}"; do
    total=$(ir "$name" || true)
    if [ -z "$total" ] || ! grep -q ' messages, checksum ' "$dir/$name.log"; then
        echo "callgrind.sh: run for $name failed, see $dir/$name.log" >&2
        status=1
        continue
    fi
    grep -q -E ' (ok|n/a)$' "$dir/$name.log" || {
        echo "callgrind.sh: $name: $(grep ' checksum ' "$dir/$name.log")" >&2
        status=1
    }
    per=$(( (total - base + n / 2) / n ))
    printf '%-8s %16d %16d %12d\n' "$name" "$total" $((total - base)) "$per"
    printf '%s\t%d\n' "$name" "$per" >>"$out"
done
echo "($n messages under callgrind; baseline $base Ir loads the corpus and parses nothing)"
exit $status
