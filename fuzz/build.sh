#!/bin/bash -eu
# fuzz/build.sh -- build the fuzz harnesses the OSS-Fuzz / ClusterFuzzLite
# way. Those builders run it with:
#   CC, CFLAGS            compiler and flags (sanitizer + coverage)
#   CXX, CXXFLAGS         used to link: the fuzzing engine is C++
#   LIB_FUZZING_ENGINE    the engine to link (-fsanitize=fuzzer, libAFLDriver, …)
#   OUT                   where the harnesses, seed corpora and dictionary go
#   SRC, WORK             source and scratch directories
# It compiles lib/base, lib/msg, lib/txn, lib/dialog, lib/sdp, lib/reg and lib/proxy (which
# need no third-party library) and each fuzz/fuzz_NAME.c, and writes $OUT/fuzz_NAME, with its
# seeds as $OUT/fuzz_NAME_seed_corpus.zip (corpus/fuzz_NAME plus
# corpus/regress) and the SIP dictionary as $OUT/fuzz_msg.dict.
#
# Locally, for instance:
#   CC=clang CXX=clang++ CFLAGS="-fsanitize=address,fuzzer-no-link -g" \
#   CXXFLAGS="-fsanitize=address,fuzzer-no-link -g" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out bash fuzz/build.sh

# The shebang's -eu is lost when the builder runs "bash fuzz/build.sh".
set -eu

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

: "${CC:=clang}"
: "${CXX:=clang++}"
: "${CFLAGS:=}"
: "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the output directory}"
: "${SRC:=$(dirname "$root")}"
WORK=${WORK:-$(mktemp -d)}

obj=$WORK/siphon-obj
rm -rf "$obj"
mkdir -p "$obj" "$OUT"

own_flags=(-std=c17 -D_GNU_SOURCE -Ilib)

# The library, as one static archive.
lib_objs=()
for src in lib/base/*.c lib/msg/*.c lib/txn/*.c lib/dialog/*.c lib/sdp/*.c lib/reg/*.c lib/proxy/*.c; do
  o=$obj/$(echo "${src%.c}" | tr / _).o
  # shellcheck disable=SC2086
  $CC $CFLAGS "${own_flags[@]}" -c "$src" -o "$o"
  lib_objs+=("$o")
done
rm -f "$obj/libsiphon.a"
ar rcs "$obj/libsiphon.a" "${lib_objs[@]}"

# One program per harness. A harness of an I/O-edge module adds that
# module's sources and the system libraries they need (the base image
# must provide them: libwslay-dev and libssl-dev for fuzz_ws, libssl-dev
# for fuzz_ua).
for src in fuzz/fuzz_*.c; do
  name=$(basename "${src%.c}")
  extra_src=() extra_libs=()
  case $name in
    fuzz_ws) extra_src=(lib/net/ws.c lib/net/ws_handshake.c)
             extra_libs=(-lwslay -lcrypto) ;;
    fuzz_auth) extra_src=(lib/auth/client.c lib/auth/digest.c lib/auth/parse.c
                          lib/auth/server.c lib/auth/users.c)
               extra_libs=(-lcrypto -ljansson) ;;
    fuzz_ua) extra_src=(lib/ua/route.c lib/net/addr.c)
             extra_libs=(-lcrypto) ;;
  esac
  extra_objs=()
  for e in ${extra_src[@]+"${extra_src[@]}"}; do
    o=$obj/$(echo "${e%.c}" | tr / _).o
    # shellcheck disable=SC2086
    $CC $CFLAGS "${own_flags[@]}" -c "$e" -o "$o"
    extra_objs+=("$o")
  done
  # shellcheck disable=SC2086
  $CC $CFLAGS "${own_flags[@]}" -c "$src" -o "$obj/$name.o"
  # shellcheck disable=SC2086
  $CXX $CXXFLAGS "$obj/$name.o" ${extra_objs[@]+"${extra_objs[@]}"} "$obj/libsiphon.a" \
    $LIB_FUZZING_ENGINE ${extra_libs[@]+"${extra_libs[@]}"} -lm -o "$OUT/$name"

  rm -f "$OUT/${name}_seed_corpus.zip"
  seeds=()
  for d in "corpus/$name" corpus/regress; do
    [ -d "$d" ] && while IFS= read -r f; do seeds+=("$f"); done \
      < <(find "$d" -type f ! -name '.*' ! -name '*.md' | LC_ALL=C sort)
  done
  if [ ${#seeds[@]} -gt 0 ]; then
    zip -q -j "$OUT/${name}_seed_corpus.zip" "${seeds[@]}"
  fi
done

cp corpus/sip.dict "$OUT/fuzz_msg.dict"
