#!/usr/bin/env bash
# tools/deps.sh check|install -- the Debian packages siphon needs.
#
# "check" exits non-zero (with the list) when any is missing; "install"
# installs the missing ones non-interactively. Both are quick when all are
# present: one dpkg-query call.
set -euo pipefail

PACKAGES=(
  # build
  gcc make pkg-config tcl-dev libjansson-dev libpcap-dev libc-ares-dev
  libssl-dev libwslay-dev
  # tests: tclsh for the installed package, python3 to read JSON back
  tcl python3 tshark dnsmasq-base openssl
  # real peers for the interop tests (tests/interop)
  sip-tester sipsak kamailio kamailio-tls-modules kamailio-websocket-modules
  # tests and fuzzing
  clang llvm-14 libclang-rt-14-dev afl++
  # benchmarks: the parsers we compare with, and instruction counts
  libosip2-dev libsofia-sip-ua-dev libre-dev valgrind
)

missing() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null \
              | awk '$NF == "installed" {print $1}')
  local p
  for p in "${PACKAGES[@]}"; do
    grep -qx -- "$p" <<<"$installed" || echo "$p"
  done
}

mode=${1:-check}
todo=$(missing | tr '\n' ' ')
case $mode in
  check)
    if [ -n "${todo// /}" ]; then
      echo "siphon: missing Debian packages: $todo" >&2
      echo "siphon: run 'make deps' (as root) to install them" >&2
      exit 1
    fi ;;
  install)
    [ -z "${todo// /}" ] && exit 0
    echo "siphon: installing $todo"
    sudo=
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null || { echo "siphon: need root to install: $todo" >&2; exit 1; }
      sudo=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq --no-install-recommends $todo ;;
  *)
    echo "usage: tools/deps.sh check|install" >&2; exit 2 ;;
esac
