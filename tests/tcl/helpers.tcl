# helpers.tcl -- shared by the tests/tcl/*.test files (sourced, not a test
# file itself). Paths are found from this file, so the tests run from any
# working directory.

namespace eval ::siphontest {
    variable here [file dirname [file normalize [info script]]]
    variable root [file normalize [file join $here .. ..]]
    variable rfc4475 [file join $root tests data rfc4475]
    namespace export readBytes torture readTsv verdictWord ruleList invite \
        errorCode
}

# The bytes of a file, exactly: -translation binary maps byte N to
# character U+00NN, which is what the siphon commands take.
proc ::siphontest::readBytes {path} {
    set f [open $path rb]
    try {
        return [read $f]
    } finally {
        close $f
    }
}

# One RFC 4475 torture message by name ("wsinv").
proc ::siphontest::torture {name} {
    variable rfc4475
    return [readBytes [file join $rfc4475 $name.dat]]
}

# Rows of a tab-separated file as a list of lists, without comment lines
# and without a header row (one whose first column is "name"; expect.tsv
# has its header as a comment, INDEX.tsv as a plain row).
proc ::siphontest::readTsv {path} {
    set rows {}
    foreach line [split [readBytes $path] \n] {
        set line [string trimright $line \r]
        if {$line eq "" || [string index $line 0] eq "#"} continue
        set row [split $line \t]
        if {[lindex $row 0] eq "name"} continue
        lappend rows $row
    }
    return $rows
}

# "accept", "reject 400" or "drop" from a verdict dict, the notation of
# conformance/rfc4475/expect.tsv.
proc ::siphontest::verdictWord {v} {
    if {[dict get $v verdict] eq "reject"} {
        return "reject [dict get $v status]"
    }
    return [dict get $v verdict]
}

# The rules of the lint findings of a given level.
proc ::siphontest::ruleList {findings {level tolerated}} {
    set rules {}
    foreach f $findings {
        if {[dict get $f level] eq $level} {
            lappend rules [dict get $f rule]
        }
    }
    return $rules
}

# A small, valid request to edit in tests. CRLF line ends as on the wire.
proc ::siphontest::invite {{body ""}} {
    set lines {
        "INVITE sip:bob@biloxi.example.com SIP/2.0"
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds"
        "Max-Forwards: 70"
        "To: Bob <sip:bob@biloxi.example.com>"
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774"
        "Call-ID: a84b4c76e66710@pc33.atlanta.example.com"
        "CSeq: 314159 INVITE"
        "Contact: <sip:alice@pc33.atlanta.example.com>"
    }
    if {$body ne ""} {
        lappend lines "Content-Type: application/sdp"
    }
    lappend lines "Content-Length: [string length $body]" ""
    return "[join $lines \r\n]\r\n$body"
}

# The errorcode of a script that must fail, or "no error".
proc ::siphontest::errorCode {script} {
    if {[catch {uplevel 1 $script} msg opts]} {
        return [dict get $opts -errorcode]
    }
    return "no error"
}

# ---- agents (sip::agent) ------------------------------------------------

namespace eval ::siphontest {
    variable callSeq 0
    namespace export mkreq freePort serveOnce
}

# A request without a Via (the agent adds its own), with a fresh Call-ID
# and From tag unless given: mkreq METHOD RURI ?HEADER VALUE ...? ?-body B?
# Headers given replace the defaults of the same name.
proc ::siphontest::mkreq {method ruri args} {
    variable callSeq
    incr callSeq
    set body ""
    if {[llength $args] % 2 == 1} {
        set body [lindex $args end]
        set args [lrange $args 0 end-1]
    }
    set hdrs [dict create \
        Max-Forwards 70 \
        To <$ruri> \
        From "<sip:alice@client.invalid>;tag=ft$callSeq" \
        Call-ID "call$callSeq-[pid]@client.invalid" \
        CSeq "1 $method" \
        Contact <sip:alice@client.invalid>]
    foreach {k v} $args {dict set hdrs $k $v}
    if {$body ne ""} {
        dict set hdrs Content-Type application/sdp
        return [sip::msg request $method $ruri $hdrs $body]
    }
    return [sip::msg request $method $ruri $hdrs]
}

# A TCP port that was free a moment ago on 127.0.0.1 (UDP on the same
# number is almost always free too).
proc ::siphontest::freePort {{host 127.0.0.1}} {
    set s [socket -server {apply {args {}}} -myaddr $host 0]
    set port [lindex [fconfigure $s -sockname] 2]
    close $s
    return $port
}

# For a synchronous [$a request]: schedule the peer to answer the next
# request with the given statuses (each a status or {status reason}).
proc ::siphontest::serveOnce {agent statuses {method ""}} {
    after 0 [list apply {{agent statuses method} {
        set opts {}
        if {$method ne ""} {lappend opts -method $method}
        set req [$agent expect {*}$opts]
        foreach st $statuses {
            $agent respond $req {*}$st
        }
    }} $agent $statuses $method]
}
