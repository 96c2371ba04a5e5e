# verdicts.tcl -- the RFC 4475 torture messages against siphon's parser.
#
#   sipcheck conformance/rfc4475/verdicts.tcl ?DIR?
#
# DIR holds the 49 messages (NAME.dat) and INDEX.tsv, the RFC's expected
# verdicts; it defaults to tests/data/rfc4475 of this checkout. expect.tsv,
# beside this script, records the verdict siphon gives each message in
# lenient and strict mode.
#
# For every message the table shows the RFC's expectation, siphon's
# lenient and strict verdicts ("accept*" is an acceptance that recorded a
# tolerated deviation) and whether they agree. A row agrees when
#   - both verdicts are those of expect.tsv, and a rejection's reason (or
#     its header or rule) contains the word expect.tsv names; and
#   - they fit the RFC (INDEX.tsv "expected"):
#       valid            lenient mode accepts;
#       invalid          strict mode rejects or drops; lenient mode may
#                        accept only the eight messages RFC 4475 lets a
#                        liberal parser take, and then must record the
#                        tolerated finding expect.tsv names;
#       app-layer-error  the application decides; expect.tsv alone holds.
# Exit status 0 only when every row agrees.

package require Tcl 8.6
package require siphon

namespace eval ::rfc4475 {
    variable here [file dirname [file normalize [info script]]]

    # RFC 4475 §3.1.2.7-§3.1.2.14: invalid, but "a liberal parser" may
    # accept them (strip the <>, ignore the LWS, infer the brackets, ...).
    variable liberal {
        ltgtruri lwsruri lwsstart trws escruri baddate regbadct badaspec
    }
}

proc ::rfc4475::readBytes {path} {
    set f [open $path rb]
    try {
        return [read $f]
    } finally {
        close $f
    }
}

# A tab-separated file as a dict keyed by the first column, each value the
# dict of the row by column name. The header row is the first line whose
# first column is "name", commented out or not.
proc ::rfc4475::readTable {path} {
    set columns {}
    set table {}
    foreach line [split [readBytes $path] \n] {
        set line [string trimright $line \r]
        if {$line eq ""} continue
        if {[string match "#*" $line]} {
            set row [split [string trimleft $line "# "] \t]
            if {[lindex $row 0] eq "name" && $columns eq {}} {
                set columns $row
            }
            continue
        }
        set row [split $line \t]
        if {[lindex $row 0] eq "name"} {
            set columns $row
            continue
        }
        set entry {}
        foreach column $columns value $row {
            if {$column ne ""} {
                dict set entry $column $value
            }
        }
        dict set table [lindex $row 0] $entry
    }
    return $table
}

# "accept", "reject 400" or "drop": the notation of expect.tsv.
proc ::rfc4475::word {verdict} {
    if {[dict get $verdict verdict] eq "reject"} {
        return "reject [dict get $verdict status]"
    }
    return [dict get $verdict verdict]
}

# The rules of the tolerated findings lenient parsing records.
proc ::rfc4475::tolerated {bytes} {
    set rules {}
    if {[catch {sip::msg lint $bytes} findings]} {
        return {}
    }
    foreach f $findings {
        if {[dict get $f level] eq "tolerated"} {
            lappend rules [dict get $f rule]
        }
    }
    return $rules
}

# Judges one message. Returns a dict: lenient, strict (table words),
# ok (0|1) and note (why it disagrees, or what it shows).
proc ::rfc4475::judge {name bytes rfc expect} {
    variable liberal

    set len [sip::msg verdict -bytes $bytes]
    set str [sip::msg verdict -bytes $bytes -strict]
    set lenWord [word $len]
    set strWord [word $str]
    set rules [expr {$lenWord eq "accept" ? [tolerated $bytes] : {}}]
    set shown [expr {$rules ne {} ? "accept*" : $lenWord}]
    set want [dict get $expect rule_or_reason]

    set problems {}
    if {$lenWord ne [dict get $expect lenient]} {
        lappend problems "lenient should be [dict get $expect lenient]"
    }
    if {$strWord ne [dict get $expect strict]} {
        lappend problems "strict should be [dict get $expect strict]"
    }
    switch -- $rfc {
        valid {
            if {$lenWord ne "accept"} {
                lappend problems "RFC: a valid message must be accepted"
            }
        }
        invalid {
            if {$strWord eq "accept"} {
                lappend problems "RFC: strict mode must refuse it"
            }
            if {$lenWord eq "accept"} {
                if {$name ni $liberal} {
                    lappend problems "RFC: no liberal acceptance allowed"
                } elseif {$want eq "-" || $want ni $rules} {
                    lappend problems "liberal acceptance must record $want"
                }
            }
        }
        app-layer-error {}
        default {
            lappend problems "INDEX.tsv: unknown expectation \"$rfc\""
        }
    }
    if {$lenWord ne "accept" && $want ne "-"} {
        set said "[dict get $len reason] [dict get $len header] [dict get $len rule]"
        if {![string match -nocase *$want* $said]} {
            lappend problems "reason \"[dict get $len reason]\" should name $want"
        }
    }

    if {$problems ne {}} {
        set note [join $problems "; "]
    } elseif {$rules ne {}} {
        set note "tolerated [join $rules {, }]"
    } elseif {$lenWord ne "accept"} {
        set note [dict get $len reason]
    } else {
        set note ""
    }
    return [dict create lenient $shown strict $strWord \
                ok [expr {$problems eq {}}] note $note]
}

proc ::rfc4475::main {argv} {
    variable here

    set root [file normalize [file join $here .. ..]]
    set dir [expr {[llength $argv] ? [lindex $argv 0]
                   : [file join $root tests data rfc4475]}]
    set index [readTable [file join $dir INDEX.tsv]]
    set expect [readTable [file join $here expect.tsv]]

    set rows [list {name section {RFC 4475} lenient strict check notes}]
    set agree 0
    set disagree 0
    dict for {name entry} $index {
        set rfc [dict get $entry expected]
        set path [file join $dir $name.dat]
        if {![dict exists $expect $name]} {
            set r [dict create lenient - strict - ok 0 \
                       note "not in expect.tsv"]
        } elseif {![file readable $path]} {
            set r [dict create lenient - strict - ok 0 \
                       note "cannot read $path"]
        } else {
            set r [judge $name [readBytes $path] $rfc [dict get $expect $name]]
        }
        if {[dict get $r ok]} {
            incr agree
        } else {
            incr disagree
        }
        lappend rows [list $name [dict get $entry section] $rfc \
            [dict get $r lenient] [dict get $r strict] \
            [expr {[dict get $r ok] ? "ok" : "MISMATCH"}] [dict get $r note]]
    }
    # Messages expect.tsv knows but INDEX.tsv does not are a mistake too.
    foreach name [dict keys $expect] {
        if {![dict exists $index $name]} {
            incr disagree
            lappend rows [list $name - - - - MISMATCH "not in INDEX.tsv"]
        }
    }

    # Column widths from the contents; the last column is left ragged.
    set widths {}
    foreach row $rows {
        set i 0
        foreach cell [lrange $row 0 end-1] {
            set w [string length $cell]
            if {$i >= [llength $widths]} {
                lappend widths $w
            } elseif {$w > [lindex $widths $i]} {
                lset widths $i $w
            }
            incr i
        }
    }
    foreach row $rows {
        set line ""
        foreach cell [lrange $row 0 end-1] w $widths {
            append line [format "%-*s  " $w $cell]
        }
        puts [string trimright "$line[lindex $row end]"]
    }
    set total [expr {$agree + $disagree}]
    puts ""
    puts "$total messages: $agree agree, $disagree disagree"
    return [expr {$disagree == 0 ? 0 : 1}]
}

exit [::rfc4475::main $argv]
