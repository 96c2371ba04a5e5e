#!/usr/bin/env bash
# bench/report.sh DIR -- the combined table of "make bench" from the files
# bench_parse and callgrind.sh left in DIR: timing.tsv (msgs/s, MB/s,
# checksum), allocs.tsv (allocations per message), instr.tsv (callgrind
# instructions per message). "ratio" is msgs/s over the fastest peer's.
# Exits 1 when a checksum did not match.
set -euo pipefail
d=${1:?usage: report.sh DIR}
[ -s "$d/timing.tsv" ] || { echo "report.sh: no $d/timing.tsv" >&2; exit 1; }
touch "$d/allocs.tsv" "$d/instr.tsv"

awk -F'\t' -v peers="sofia osip re" '
function grouped(v,   s, o, n, i) {
    s = sprintf("%.0f", v); n = length(s); o = ""
    for (i = 1; i <= n; i++) {
        if (i > 1 && (n - i + 1) % 3 == 0) o = o ","
        o = o substr(s, i, 1)
    }
    return o
}
FILENAME ~ /allocs.tsv$/ { allocs[$1] = $2; next }
FILENAME ~ /instr.tsv$/  { instr[$1] = $2; next }
{
    order[++n] = $1; label[$1] = $2; mps[$1] = $3; mbs[$1] = $4; ck[$1] = $5
}
END {
    split(peers, pl, " ")
    for (i in pl) {
        p = pl[i]
        if (!(p in mps)) continue
        if (fast == "" || mps[p] > mps[fast]) fast = p
        if ((p in instr) && (least == "" || instr[p] + 0 < instr[least] + 0)) least = p
    }
    printf "| %-28s | %12s | %9s | %10s | %10s | %-11s | %6s |\n", "parser", "msgs/s", "MB/s", "instr/msg", "allocs/msg", "checksum ok", "ratio"
    printf "|------------------------------|-------------:|----------:|-----------:|-----------:|-------------|-------:|\n"
    bad = 0
    for (k = 1; k <= n; k++) {
        p = order[k]
        r = (fast != "") ? sprintf("%.2fx", mps[p] / mps[fast]) : "-"
        printf "| %-28s | %12s | %9.1f | %10s | %10s | %-11s | %6s |\n", label[p], grouped(mps[p]), mbs[p], (p in instr) ? grouped(instr[p]) : "-", (p in allocs) ? allocs[p] : "-", ck[p], r
        if (ck[p] != "ok" && ck[p] != "n/a") bad = 1
    }
    printf "\nratio: msgs/s relative to the fastest peer (%s)\n", label[fast]
    if (("siphon" in mps) && fast != "") {
        printf "siphon / fastest peer: %.2fx msgs/s (%s)", mps["siphon"] / mps[fast], label[fast]
        if (("siphon" in instr) && least != "")
            printf "; %.2fx instructions/msg (%s has the fewest: %s)", instr["siphon"] / instr[least], label[least], grouped(instr[least])
        printf "\n"
        if ("siphon" in instr)
            printf "target [1/8], at most 7,000 instructions/msg: siphon %s -> %s\n", grouped(instr["siphon"]), (instr["siphon"] + 0 <= 7000) ? "met" : "NOT met"
    }
    if (bad) { print "FAIL: a checksum did not match (see above)"; exit 1 }
}' "$d/allocs.tsv" "$d/instr.tsv" "$d/timing.tsv"
