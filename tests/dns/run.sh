#!/usr/bin/env bash
# tests/dns/run.sh -- the RFC 3263 resolver against a real dnsmasq.
#
# The cases live in tests/unit/test_net_resolve_dns.c (they start and stop
# their own dnsmasq on a free loopback port, by pid, and skip when
# dnsmasq is not installed); this script runs just them from the unit
# runner and reports in the run-tests.sh form:
#   dns: N passed, N failed, N skipped
# Usage: bash tests/dns/run.sh [build/asan/bin/unit_tests]
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/asan/bin/unit_tests}
if [ ! -x "$bin" ]; then
  echo "dns: unit runner $bin not built (make $bin)"
  echo "dns: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
out=$("$bin" net_resolve_dns 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^unit: '
line=$(printf '%s\n' "$out" | grep -E '^unit: [0-9]+ passed' | tail -1)
if [ -z "$line" ]; then
  echo "dns: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "dns: ${line#unit: }"
exit $rc
