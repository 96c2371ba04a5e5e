# all.tcl -- run the interop tests (tests/interop/*.test and
# tests/interop/*/*.test): siphon's agents against real SIP peers (SIPp,
# ...) on loopback. A peer that is not installed makes its tests skip
# (tcltest constraints), not fail.
#
#   build/asan/bin/sipcheck tests/interop/all.tcl ?tcltest options?
#
# The last line is the summary tools/run-tests.sh looks for:
#   interop: N passed, N failed, N skipped
# Exit status 1 when a test failed or a test file could not be sourced.

package require Tcl 8.6
package require tcltest 2.5
package require siphon

set testDir [file dirname [file normalize [info script]]]

set tmpRoot [expr {[info exists ::env(TMPDIR)] ? $::env(TMPDIR) : "/tmp"}]
set tmpDir [file join $tmpRoot siphon-interop-[pid]]
file mkdir $tmpDir

::tcltest::configure -testdir $testDir -tmpdir $tmpDir -singleproc 1 {*}$argv

# Deferred reporting, as in tests/tcl/all.tcl.
set ::tcltest::testSingleFile false

set fileErrors 0
set files [lsort [concat [glob -nocomplain -directory $testDir *.test] \
                         [glob -nocomplain -directory $testDir */*.test]]]
foreach file $files {
    set tail [string range $file [string length $testDir/] end]
    if {[llength [::tcltest::matchFiles]] > 0} {
        set wanted 0
        foreach pattern [::tcltest::matchFiles] {
            if {[string match $pattern [file tail $file]]} {set wanted 1}
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
    # A file that failed half-way must not leave peers running.
    if {[namespace exists ::peers]} {
        ::peers::stopAll
    }
}

set passed $::tcltest::numTests(Passed)
set failed [expr {$::tcltest::numTests(Failed) + $fileErrors}]
set skipped $::tcltest::numTests(Skipped)

::tcltest::cleanupTests 1
file delete -force $tmpDir
puts "interop: $passed passed, $failed failed, $skipped skipped"
flush stdout
exit [expr {$failed > 0}]
