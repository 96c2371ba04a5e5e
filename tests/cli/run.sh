#!/usr/bin/env bash
# tests/cli/run.sh SIPCHECK -- command-line tests of sipcheck, mainly
# "sipcheck lint": output lines, exit status (0 valid, 1 invalid or
# dropped, 2 usage or unreadable file), --strict, --stream, --json.
#
# Run from anywhere; the last line is "cli: N passed, N failed, N skipped"
# and the exit status is 1 when a check failed.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 path/to/sipcheck" >&2
  exit 2
fi
SIPCHECK=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
D=tests/data/rfc4475

TMP=$(mktemp -d "${TMPDIR:-/tmp}/siphon-cli.XXXXXX") || exit 2
trap 'chmod -R u+rwx "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT

pass=0 fail=0 skip=0

# run ARGS... : run sipcheck, keeping stdout, stderr and status.
run() {
  "$SIPCHECK" "$@" >"$TMP/out" 2>"$TMP/err" <"${STDIN:-/dev/null}"
  rc=$?
  out=$(cat "$TMP/out")
  err=$(cat "$TMP/err")
}

ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() {
  fail=$((fail + 1))
  echo "not ok - $1"
  echo "#   exit status: $rc"
  sed 's/^/#   stdout: /' "$TMP/out" | head -20
  sed 's/^/#   stderr: /' "$TMP/err" | head -20
  [ -n "${2:-}" ] && echo "#   $2"
  return 0
}
skipped() { skip=$((skip + 1)); echo "ok - $1 # SKIP $2"; }

# expect_rc NAME STATUS
expect_rc() {
  if [ "$rc" = "$2" ]; then ok "$1"; else not_ok "$1" "expected exit status $2"; fi
}
# expect_line NAME LINE: stdout has exactly this line
expect_line() {
  if grep -Fxq -- "$2" "$TMP/out"; then ok "$1"; else not_ok "$1" "missing line: $2"; fi
}
# expect_match NAME REGEX [FILE]: a line of stdout (or FILE) matches
expect_match() {
  if grep -Eq -- "$2" "${3:-$TMP/out}"; then ok "$1"; else not_ok "$1" "no line matches: $2"; fi
}
# expect_empty NAME FILE
expect_empty() {
  if [ ! -s "$2" ]; then ok "$1"; else not_ok "$1" "expected $(basename "$2") to be empty"; fi
}

# ---- one valid, one invalid, one dropped message --------------------------

run lint $D/wsinv.dat
expect_rc    "valid message exits 0" 0
expect_line  "valid message: verdict line" "$D/wsinv.dat: valid"
expect_empty "valid message: nothing on stderr" "$TMP/err"

run lint $D/quotbal.dat
expect_rc    "invalid message exits 1" 1
expect_line  "invalid message: verdict line with status and reason" \
             "$D/quotbal.dat: invalid 400 Bad To"
expect_match "invalid message: fault line file:offset: error rule in header" \
             "^  $D/quotbal\.dat:41: error quoted-string in To(: .*)?\$"

run lint $D/bigcode.dat
expect_rc    "dropped response exits 1" 1
expect_match "dropped response: verdict line" "^$D/bigcode\.dat: drop( .*)?\$"
expect_match "dropped response: fault line" "^  $D/bigcode\.dat:8: error Status-Code"

# ---- findings and --strict (RFC 4475 §3.1.2.9) -------------------------------

run lint $D/lwsstart.dat
expect_rc    "lwsstart lenient: valid" 0
expect_match "lwsstart lenient: tolerated finding line" \
             "^  $D/lwsstart\.dat:[0-9]+: tolerated request-line-extra-sp \(RFC [^)]*\) .+"

run lint --strict $D/lwsstart.dat
expect_rc    "lwsstart --strict: invalid" 1
expect_match "lwsstart --strict: 400" "^$D/lwsstart\.dat: invalid 400 "

run lint $D/ltgtruri.dat $D/lwsstart.dat
expect_rc    "several valid files exit 0" 0

run lint $D/wsinv.dat $D/quotbal.dat $D/wsinv.dat
expect_rc    "one invalid among valid files exits 1" 1
if [ "$(grep -c '^[^ ]' "$TMP/out")" = 3 ]; then
  ok "one verdict line per file"
else
  not_ok "one verdict line per file"
fi

# ---- --stream (RFC 3261 §18.3) -------------------------------------------------

printf 'OPTIONS sip:b@b.example SIP/2.0\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK1\r\nTo: <sip:b@b.example>\r\nFrom: <sip:a@a.example>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n' >"$TMP/nocl.sip"
run lint "$TMP/nocl.sip"
expect_rc    "no Content-Length in a datagram: valid" 0
run lint --stream "$TMP/nocl.sip"
expect_rc    "no Content-Length on a stream: invalid" 1
expect_match "--stream fault names Content-Length" "error Content-Length in Content-Length"

# ---- all 49 torture messages ---------------------------------------------------------

run lint $D/*.dat
expect_rc    "the torture set has invalid messages: exit 1" 1
n=$(grep -c '^[^ ]' "$TMP/out")
if [ "$n" = 49 ]; then ok "49 verdict lines for 49 files"; else not_ok "49 verdict lines for 49 files" "got $n"; fi

# ---- --json --------------------------------------------------------------------------

run lint --json $D/wsinv.dat $D/lwsstart.dat $D/quotbal.dat $D/bigcode.dat
expect_rc    "--json: exit status as in text mode" 1
if [ "$(wc -l <"$TMP/out")" = 4 ]; then ok "--json: one line per file"; else not_ok "--json: one line per file"; fi
if command -v python3 >/dev/null 2>&1; then
  if python3 - "$TMP/out" "$D" <<'EOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
d = sys.argv[2]
objs = [json.loads(l) for l in lines]
keys = ["file", "verdict", "status", "reason", "offset", "header", "rule",
        "text", "findings"]
for o in objs:
    assert list(o) == keys, list(o)
v = {o["file"]: o for o in objs}
assert v[d + "/wsinv.dat"]["verdict"] == "valid"
assert v[d + "/wsinv.dat"]["status"] is None
ls = v[d + "/lwsstart.dat"]
assert ls["verdict"] == "valid"
f = [x for x in ls["findings"] if x["rule"] == "request-line-extra-sp"]
assert f and f[0]["level"] == "tolerated" and f[0]["rfc"].startswith("RFC")
assert isinstance(f[0]["offset"], int)
assert set(f[0]) == {"rule", "rfc", "offset", "level", "header", "text"}
q = v[d + "/quotbal.dat"]
assert (q["verdict"], q["status"], q["offset"], q["header"], q["rule"]) == \
    ("invalid", 400, 41, "To", "quoted-string"), q
b = v[d + "/bigcode.dat"]
assert b["verdict"] == "drop" and b["offset"] == 8, b
EOF
  then ok "--json: parses and carries verdict, status, offset, findings"
  else not_ok "--json: parses and carries verdict, status, offset, findings"
  fi
else
  skipped "--json: parsed back" "python3 not found"
fi

run lint --json --strict $D/lwsstart.dat
expect_match "--json --strict: invalid 400" '"verdict":"invalid","status":400'

# ---- standard input and odd names ------------------------------------------------------

STDIN=$D/dblreq.dat run lint -
STDIN=
expect_rc    "- reads standard input" 0
expect_line  "standard input is named <stdin>" "<stdin>: valid"

cp $D/wsinv.dat "$TMP/-odd.sip"
(cd "$TMP" && "$SIPCHECK" lint -- -odd.sip >out 2>err); rc=$?
if [ "$rc" = 0 ] && grep -Fxq -- "-odd.sip: valid" "$TMP/out"; then
  ok "-- ends the options"
else
  not_ok "-- ends the options"
fi

# ---- unreadable files ---------------------------------------------------------------------

run lint "$TMP/missing.sip" $D/wsinv.dat
expect_rc    "missing file exits 2" 2
expect_match "missing file: strerror on stderr" \
             "^sipcheck: $TMP/missing\.sip: No such file or directory\$" "$TMP/err"
expect_line  "missing file: the other files are still checked" "$D/wsinv.dat: valid"

run lint "$TMP/missing.sip" $D/quotbal.dat
expect_rc    "unreadable beats invalid: exit 2" 2

mkdir "$TMP/dir.sip"
run lint "$TMP/dir.sip"
expect_rc    "a directory is unreadable: exit 2" 2
expect_match "a directory: strerror on stderr" "^sipcheck: $TMP/dir\.sip: Is a directory\$" "$TMP/err"

if [ "$(id -u)" = 0 ]; then
  skipped "a file without read permission" "running as root"
else
  cp $D/wsinv.dat "$TMP/noread.sip"
  chmod 000 "$TMP/noread.sip"
  run lint "$TMP/noread.sip"
  expect_rc "a file without read permission: exit 2" 2
fi

# ---- usage errors ---------------------------------------------------------------------------

run lint --bogus $D/wsinv.dat
expect_rc    "unknown option exits 2" 2
expect_match "unknown option is named" "unknown option '--bogus'" "$TMP/err"
expect_empty "unknown option: nothing checked" "$TMP/out"

run lint
expect_rc    "no files exits 2" 2
expect_match "no files: usage on stderr" "^usage: sipcheck lint" "$TMP/err"

run lint --strict
expect_rc    "options but no files exits 2" 2

run lint --help
expect_rc    "lint --help exits 0" 0
expect_match "lint --help prints usage" "^usage: sipcheck lint"

# ---- the program itself ----------------------------------------------------------------------

run --version
expect_rc    "--version exits 0" 0
expect_match "--version names the version" "^sipcheck [0-9]+\.[0-9]+\.[0-9]+ \(Tcl 8\.6"

run --help
expect_rc    "--help exits 0" 0
expect_match "--help shows lint" "sipcheck lint"

cat >"$TMP/script.tcl" <<'EOF'
package require siphon
puts "[llength $argv] [lindex $argv 1] [sip::msg get "OPTIONS sip:a@b.example SIP/2.0\r\n\r\n" method]"
exit 3
EOF
run "$TMP/script.tcl" one two
expect_rc    "a script's exit status is the program's" 3
expect_line  "a script gets its arguments in argv" "2 two OPTIONS"

echo 'puts [sip::uri compare sip:a@B.example sip:a@b.example]' >"$TMP/stdin.tcl"
STDIN=$TMP/stdin.tcl run
STDIN=
expect_line  "without arguments, commands come from standard input" "1"

echo "cli: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
