#!/usr/bin/env bash
# tests/install/run.sh -- "make install PREFIX=... DESTDIR=..." into a
# scratch directory, then use what was installed: a C program built with
# pkg-config against <siphon/msg.h> (static and shared), the sipcheck
# binary, and the Tcl package loaded by a plain tclsh.
# Last line: "install: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/../.."

pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/siphon-test

if make --no-print-directory install PREFIX=$prefix DESTDIR="$dest" >"$dest/make.log" 2>&1; then
  ok "make install"
else
  bad "make install"; tail -20 "$dest/make.log"
fi

root=$dest$prefix
for f in include/siphon/msg.h include/siphon/uri.h include/siphon/base.h lib/libsiphon.a \
         lib/libsiphon.so lib/pkgconfig/libsiphon.pc bin/sipcheck; do
  [ -e "$root/$f" ] && ok "installed $f" || bad "installed $f"
done

cat >"$dest/t.c" <<'C'
#include <siphon/msg.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    const char *s = "OPTIONS sip:a@example.com SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKinstall\r\n\r\n";
    siphon_msg *m = NULL;
    if (siphon_msg_parse(s, strlen(s), NULL, &m, NULL) != 0)
        return 1;
    const siphon_via *v = siphon_msg_via(m);
    int rc = !(v && v->branch.len == 14);
    siphon_msg_unref(m);
    return rc;
}
C
export PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$root/lib/pkgconfig
flags=$(pkg-config --cflags --libs libsiphon 2>/dev/null)
if [ -n "$flags" ] && cc -std=c17 "$dest/t.c" $flags -o "$dest/t-shared" &&
   LD_LIBRARY_PATH=$root/lib "$dest/t-shared"; then
  ok "program linked against the shared library via pkg-config"
else
  bad "program linked against the shared library via pkg-config"
fi
if cc -std=c17 "$dest/t.c" $(pkg-config --cflags libsiphon) "$root/lib/libsiphon.a" \
      $(pkg-config --static --libs-only-l libsiphon | sed 's/-lsiphon//') -o "$dest/t-static" &&
   "$dest/t-static"; then
  ok "program linked against the static library"
else
  bad "program linked against the static library"
fi
if "$root/bin/sipcheck" lint tests/data/rfc4475/wsinv.dat >/dev/null; then
  ok "installed sipcheck lints"
else
  bad "installed sipcheck lints"
fi
out=$(printf 'lappend auto_path %s\npackage require siphon\nputs [dict get [sip::uri parse sip:bob@example.com] host]\n' \
      "$root/lib/tcltk" | tclsh 2>&1)
[ "$out" = example.com ] && ok "tclsh loads the installed package" \
                         || bad "tclsh loads the installed package ($out)"

echo "install: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
