# runner.tcl -- the suite runner behind tests/tcl/all.tcl and
# tests/interop/all.tcl: source each test file in this interpreter with
# tcltest and end with the summary line tools/run-tests.sh looks for,
#   SUITE: N passed, N failed, N skipped
# and exit status 1 when a test failed or a file could not be sourced.
#
# The files are sourced here rather than through [runAllTests], whose
# final cleanupTests resets the counters before we can read them.

package require Tcl 8.6
package require tcltest 2.5
package require siphon

# runSuite SUITE TESTDIR FILES ARGV ?AFTERFILE?
#   FILES: the test files (absolute); -file patterns match their tails.
#   AFTERFILE: a script run after each file (cleanup of what it started).
proc runSuite {suite testDir files argv {afterFile {}}} {
    # Files the tests make (makeFile) go to a private directory, not to
    # the working directory, which is the repository root under make test.
    set tmpRoot [expr {[info exists ::env(TMPDIR)] ? $::env(TMPDIR) : "/tmp"}]
    set tmpDir [file join $tmpRoot siphon-$suite-[pid]]
    file mkdir $tmpDir
    ::tcltest::configure -testdir $testDir -tmpdir $tmpDir -singleproc 1 \
        {*}$argv
    # Deferred reporting: each file's cleanupTests adds to the totals
    # instead of printing and resetting them.
    set ::tcltest::testSingleFile false

    set fileErrors 0
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
        uplevel #0 $afterFile
    }

    set passed $::tcltest::numTests(Passed)
    set failed [expr {$::tcltest::numTests(Failed) + $fileErrors}]
    set skipped $::tcltest::numTests(Skipped)

    # tcltest's own summary (and its list of skipped constraints), then ours.
    ::tcltest::cleanupTests 1
    file delete -force $tmpDir
    puts "$suite: $passed passed, $failed failed, $skipped skipped"
    flush stdout
    exit [expr {$failed > 0}]
}
