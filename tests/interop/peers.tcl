# peers.tcl -- start, watch and stop the external programs the interop
# tests talk to (SIPp, ...). Sourced by the *.test files.
#
# A peer runs as a command pipeline opened for reading, so that we know
# its pid, can drain its output into a log file without it ever blocking
# on a full pipe, and get its exit status when it ends. Peers are stopped
# by pid only ([exec kill PID]), never by name.
#
#   peers::start NAME CMD LOGFILE    -> pid
#   peers::wait PID ?MS?             -> exit code; kills the peer after MS
#   peers::stop PID                  -> exit code (SIGTERM, then wait)
#   peers::stopAll                   -> stops whatever is still running
#   peers::waitPort PROTO PORT ?MS?  -> 1 when something listens there
#   peers::log PID                   -> what the peer printed so far

namespace eval ::peers {
    # pid -> dict: name chan logfile logchan code done
    variable peers [dict create]
    # pid -> log file, kept after the peer ended
    variable logs [dict create]
}

proc ::peers::start {name cmd logfile} {
    variable peers
    variable logs
    set chan [open |[concat $cmd [list 2>@1]] r]
    fconfigure $chan -blocking 0 -translation binary
    set pid [lindex [pid $chan] 0]
    set logchan [open $logfile wb]
    fconfigure $logchan -buffering none
    dict set peers $pid [dict create name $name chan $chan logfile $logfile \
        logchan $logchan code "" done 0]
    dict set logs $pid $logfile
    fileevent $chan readable [list ::peers::Drain $pid]
    return $pid
}

# Copies output to the log; at end of file collects the exit status:
# 0, the exit code, or "killed SIGNAL".
proc ::peers::Drain {pid} {
    variable peers
    set chan [dict get $peers $pid chan]
    set data [read $chan]
    if {$data ne ""} {
        puts -nonewline [dict get $peers $pid logchan] $data
    }
    if {![eof $chan]} {
        return
    }
    fileevent $chan readable {}
    fconfigure $chan -blocking 1
    set code 0
    if {[catch {close $chan} msg opts]} {
        set ec [dict get $opts -errorcode]
        switch -- [lindex $ec 0] {
            CHILDSTATUS {set code [lindex $ec 2]}
            CHILDKILLED {set code "killed [lindex $ec 2]"}
            default {set code "error $msg"}
        }
    }
    close [dict get $peers $pid logchan]
    dict set peers $pid code $code
    dict set peers $pid done 1
    set ::peers::ended($pid) 1
}

# Waits (running the event loop) until the peer ends; after ms kills it.
proc ::peers::wait {pid {ms 20000}} {
    variable peers
    if {![dict exists $peers $pid]} {
        error "no peer with pid $pid"
    }
    if {![dict get $peers $pid done]} {
        set id [after $ms [list set ::peers::ended($pid) timeout]]
        vwait ::peers::ended($pid)
        after cancel $id
        if {![dict get $peers $pid done]} {
            catch {exec kill $pid}
            set id [after 3000 [list set ::peers::ended($pid) timeout]]
            vwait ::peers::ended($pid)
            after cancel $id
            if {![dict get $peers $pid done]} {
                catch {exec kill -KILL $pid}
                vwait ::peers::ended($pid)
            }
            set code [dict get $peers $pid code]
            dict unset peers $pid
            unset -nocomplain ::peers::ended($pid)
            return "timeout ($code)"
        }
    }
    set code [dict get $peers $pid code]
    dict unset peers $pid
    unset -nocomplain ::peers::ended($pid)
    return $code
}

proc ::peers::stop {pid} {
    variable peers
    if {[dict exists $peers $pid] && ![dict get $peers $pid done]} {
        catch {exec kill $pid}
    }
    return [wait $pid 5000]
}

proc ::peers::stopAll {} {
    variable peers
    foreach pid [dict keys $peers] {
        catch {stop $pid}
    }
}

proc ::peers::log {pid} {
    variable logs
    if {![dict exists $logs $pid]
            || [catch {open [dict get $logs $pid] rb} f]} {
        return ""
    }
    set data [read $f]
    close $f
    return $data
}

# Something is bound (udp) or listening (tcp) on 127.0.0.1 or any
# address at port, according to /proc/net/{udp,tcp}{,6}.
proc ::peers::bound {proto port} {
    set hex [format %04X $port]
    foreach file [list /proc/net/$proto /proc/net/${proto}6] {
        if {[catch {open $file r} f]} continue
        set lines [split [read $f] \n]
        close $f
        foreach line [lrange $lines 1 end] {
            set fields [regexp -all -inline {\S+} $line]
            if {[llength $fields] < 4} continue
            lassign $fields - local - state
            if {[lindex [split $local :] end] ne $hex} continue
            # tcp: 0A LISTEN; udp: 07 (unconnected)
            if {($proto eq "tcp" && $state eq "0A")
                    || ($proto eq "udp" && $state eq "07")} {
                return 1
            }
        }
    }
    return 0
}

proc ::peers::waitPort {proto port {ms 5000}} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while {[clock milliseconds] < $deadline} {
        if {[bound $proto $port]} {
            return 1
        }
        after 20 {set ::peers::tick 1}
        vwait ::peers::tick
    }
    return 0
}
