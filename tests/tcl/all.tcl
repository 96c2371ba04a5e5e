# all.tcl -- run every tests/tcl/*.test in this interpreter with tcltest.
#
#   build/asan/bin/sipcheck tests/tcl/all.tcl ?tcltest options?
#
# The files are sourced here rather than through [runAllTests], whose
# final cleanupTests resets the counters before we can read them. The
# last line is the summary tools/run-tests.sh looks for:
#   tcl: N passed, N failed, N skipped
# Exit status 1 when a test failed or a test file could not be sourced.

package require Tcl 8.6
package require tcltest 2.5
package require siphon

set testDir [file dirname [file normalize [info script]]]

# Files the tests make (makeFile) go to a private directory, not to the
# working directory, which is the repository root under make test.
set tmpRoot [expr {[info exists ::env(TMPDIR)] ? $::env(TMPDIR) : "/tmp"}]
set tmpDir [file join $tmpRoot siphon-tcltest-[pid]]
file mkdir $tmpDir

::tcltest::configure -testdir $testDir -tmpdir $tmpDir -singleproc 1 {*}$argv

# Deferred reporting: each file's cleanupTests adds to the totals instead
# of printing and resetting them.
set ::tcltest::testSingleFile false

set fileErrors 0
foreach file [lsort [glob -nocomplain -directory $testDir *.test]] {
    set tail [file tail $file]
    if {[llength [::tcltest::matchFiles]] > 0} {
        set wanted 0
        foreach pattern [::tcltest::matchFiles] {
            if {[string match $pattern $tail]} {set wanted 1}
        }
        if {!$wanted} continue
    }
    puts [::tcltest::outputChannel] "== $tail"
    incr ::tcltest::numTestFiles
    if {[catch {uplevel #0 [list source $file]} msg opts]} {
        puts [::tcltest::outputChannel] \
            "not ok - test file $tail: $msg\n[dict get $opts -errorinfo]"
        incr fileErrors
    }
}

set passed $::tcltest::numTests(Passed)
set failed [expr {$::tcltest::numTests(Failed) + $fileErrors}]
set skipped $::tcltest::numTests(Skipped)

# tcltest's own summary (and its list of skipped constraints), then ours.
::tcltest::cleanupTests 1
file delete -force $tmpDir
puts "tcl: $passed passed, $failed failed, $skipped skipped"
flush stdout
exit [expr {$failed > 0}]
