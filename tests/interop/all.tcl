# all.tcl -- run the interop tests (tests/interop/*.test and
# tests/interop/*/*.test): siphon's agents against real SIP peers (SIPp,
# Kamailio, ...) on loopback. A peer that is not installed makes its
# tests skip (tcltest constraints), not fail.
#
#   build/asan/bin/sipcheck tests/interop/all.tcl ?tcltest options?
#
# The last line is the summary tools/run-tests.sh looks for:
#   interop: N passed, N failed, N skipped
# Exit status 1 when a test failed or a test file could not be sourced.

set testDir [file dirname [file normalize [info script]]]
source [file join $testDir .. tcl runner.tcl]
runSuite interop $testDir \
    [lsort [concat [glob -nocomplain -directory $testDir *.test] \
                   [glob -nocomplain -directory $testDir */*.test]]] \
    $argv {
        # A file that failed half-way must not leave peers running.
        if {[namespace exists ::peers]} {
            ::peers::stopAll
        }
    }
