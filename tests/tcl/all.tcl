# all.tcl -- run every tests/tcl/*.test in this interpreter with tcltest.
#
#   build/asan/bin/sipcheck tests/tcl/all.tcl ?tcltest options?
#
# The last line is the summary tools/run-tests.sh looks for:
#   tcl: N passed, N failed, N skipped
# Exit status 1 when a test failed or a test file could not be sourced.

set testDir [file dirname [file normalize [info script]]]
source [file join $testDir runner.tcl]
runSuite tcl $testDir [lsort [glob -nocomplain -directory $testDir *.test]] \
    $argv
