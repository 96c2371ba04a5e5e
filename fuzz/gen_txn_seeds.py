#!/usr/bin/env python3
"""fuzz/gen_txn_seeds.py -- write the seed scripts of fuzz_txn into
corpus/fuzz_txn/ (run once by hand; the files are committed).

The byte format is the one fuzz/fuzz_txn.c documents: a configuration
byte, then ops (opcode byte + operands). Each seed is a small scenario of
RFC 3261 §17 / RFC 6026, named after what it walks through.
"""
import os
import sys

METHODS = ["INVITE", "OPTIONS", "BYE", "REGISTER", "ACK", "CANCEL", "INFO",
           "FOO", "invite"]
RX = [100, 180, 183, 199, 200, 202, 299, 300, 302, 401, 404, 408, 486, 487,
      500, 503, 603, 699]
TU = [100, 101, 180, 183, 200, 202, 299, 300, 400, 408, 486, 487, 500, 603,
      699]
# op_advance: amount byte % 16
ADV = {"0": 0, "1": 1, "t1": 3, "2t1": 5, "t2": 6, "t4": 7, "trying": 8,
       "32t1": 9, "64t1-1": 10, "64t1": 11, "d": 12}


def cseqm(m):
    """The F_CSEQM byte naming METHODS[m] (0 = the request's own)."""
    if m is None:
        return 0
    return next(b for b in range(0xE0, 0x100) if 1 + b % 9 == m + 1)


def fields(method="INVITE", branch=0, sentby=0, cseq=0, cm=None, totag=0,
           callid=0, fromtag=0, ruri=0):
    return [METHODS.index(method), branch, sentby, cseq,
            cseqm(None if cm is None else METHODS.index(cm)), totag, callid,
            fromtag, ruri]


def start(rel=0, **kw):
    return [0] + fields(**kw) + [rel]


def req(rel=0, **kw):
    return [1, 0] + fields(**kw) + [rel]


def resp(status, rel=0, **kw):
    return [2, 0] + fields(**kw) + [RX.index(status), rel]


FIELD_IX = {"method": 0, "branch": 1, "sentby": 2, "cseq": 3, "cm": 4,
            "totag": 5, "callid": 6, "fromtag": 7}


def _derived(entry, over):
    mask, vals = 0, []
    for name, ix in sorted(FIELD_IX.items(), key=lambda kv: kv[1]):
        if name in over:
            mask |= 1 << ix
            v = over[name]
            if name == "method":
                v = METHODS.index(v)
            elif name == "cm":
                v = cseqm(METHODS.index(v))
            vals.append(v)
    return [0x80, entry, mask] + vals


def req_from(entry, rel=0, **over):
    """A request derived from transaction #entry's fields."""
    return [1] + _derived(entry, over) + [rel]


def resp_from(entry, status, rel=0, **over):
    return [2] + _derived(entry, over) + [RX.index(status), rel]


def respond(sel, status, src=0, tag=0):
    return [3, sel, TU.index(status), src, tag]


def adv(what):
    return [4, ADV[what]]


def terr(sel):
    return [5, sel]


def drain(n=None):
    """All events, or n polls."""
    return [6, 1] if n is None else [6, 4 * (n - 1)]


def again(rx, rel=0):
    return [7, rx, rel]


QUIT = [0xFF]


def script(cfg, *ops):
    out = [cfg]
    for op in ops:
        out += op
    return bytes(out)


S = {}
for cfg in (0, 1, 3):
    c = "cfg%d" % cfg
    S[c + "-ict-180-200-accepted"] = script(
        cfg, start(), drain(), resp_from(0, 180), resp_from(0, 200), drain(),
        resp_from(0, 200), drain(), adv("64t1"), drain())
    S[c + "-ict-timer-a-b"] = script(
        cfg, start(), adv("t1"), adv("2t1"), drain(), adv("64t1"), drain())
    S[c + "-ict-486-ack-d"] = script(
        cfg, start(), resp_from(0, 486), drain(), resp_from(0, 486), drain(),
        adv("d"), drain())
    S[c + "-ist-486-ack-confirmed"] = script(
        cfg, req(), drain(), respond(0, 180), respond(0, 486, tag=0),
        adv("t1"), req_from(0, method="ACK", totag=1), drain(), adv("t4"),
        drain())
    S[c + "-ist-200-ack-accepted"] = script(
        cfg, req(), drain(), respond(0, 200), again(0),
        req_from(0, method="ACK", totag=1), drain(), respond(0, 200),
        terr(0), drain(), adv("64t1"), drain())
    S[c + "-nict-options-100-200"] = script(
        cfg, start(method="OPTIONS"), adv("t1"), resp_from(0, 100),
        adv("t2"), resp_from(0, 200), resp_from(0, 200), drain(), adv("t4"),
        drain())
    S[c + "-nist-100-200-retransmit"] = script(
        cfg, req(method="OPTIONS"), drain(), again(0), respond(0, 100),
        again(0), respond(0, 200), again(0), drain(), adv("64t1"), drain())

S["ict-reliable-486-ends-at-once"] = script(
    0, start(rel=1), resp_from(0, 486), drain(), terr(0))
S["ict-proceeding-waits-for-end"] = script(
    0, start(), resp_from(0, 183), adv("64t1"), drain())
S["nict-timer-f"] = script(2, start(method="REGISTER"), adv("64t1"), drain())
S["nict-reliable-200"] = script(
    0, start(method="BYE", rel=1), resp_from(0, 200, rel=1), drain())
S["nist-reliable-200-ends"] = script(
    0, req(method="INFO", rel=1), drain(), respond(0, 200), drain())
S["nist-never-answered"] = script(
    2, req(method="FOO"), drain(), adv("64t1"), adv("64t1"), drain())
S["ist-auto-100-retransmit"] = script(
    0, req(), adv("trying"), again(0), drain(), adv("64t1"), drain())
S["ist-no-auto-100"] = script(
    2, req(), adv("trying"), again(0), drain(), respond(0, 603), drain(),
    adv("64t1"), drain())
S["ist-timer-h-timeout"] = script(
    0, req(), drain(), respond(0, 500), adv("64t1"), drain())
S["ist-reliable-ack-ends"] = script(
    0, req(rel=1), drain(), respond(0, 400),
    req_from(0, method="ACK", totag=1, rel=1), drain())
S["ist-rfc2543-ack"] = script(
    0, req(branch=7), drain(), respond(0, 486, tag=0),
    req_from(0, method="ACK", totag=1), req_from(0, method="ACK", totag=3),
    drain(), adv("t4"), drain())
S["ist-rfc2543-old-branch-retransmit"] = script(
    0, req(branch=5), drain(), req_from(0), req_from(0, ruri=1),
    req_from(0, fromtag=1), req_from(0, callid=2), drain(),
    respond(0, 180), again(1), drain())
S["ist-cancel"] = script(
    0, req(), drain(), req_from(0, method="CANCEL"), drain(),
    respond(1, 200), respond(0, 487), req_from(0, method="ACK", totag=1),
    drain(), adv("64t1"), drain())
S["ist-sent-by-variants"] = script(
    0, req(), req_from(0, sentby=1), req_from(0, sentby=2), req_from(0, sentby=3),
    req_from(0, branch=1), drain(), adv("t1"), drain())
S["ict-cancel-same-branch"] = script(
    0, start(), resp_from(0, 100), start(method="CANCEL"), drain(),
    resp_from(1, 200), resp_from(0, 487), drain(), adv("d"), drain())
S["ict-edup-and-case-branch"] = script(
    0, start(), start(), start(branch=1), start(branch=4), drain(),
    resp_from(0, 200, branch=1), drain(), adv("64t1"), drain())
S["client-einval"] = script(
    0, start(method="ACK"), start(branch=7), start(cm="BYE"),
    req(cm="OPTIONS"), drain())
S["strays"] = script(
    0, resp(200), resp(180, branch=2), req(method="ACK"), start(),
    resp_from(0, 200, cm="BYE"), resp_from(0, 200, branch=7), drain())
S["transport-errors"] = script(
    0, start(), start(method="OPTIONS", branch=2), req(branch=3), drain(),
    terr(0), terr(1), drain(), terr(0), drain())
S["partial-drain-just-terminated"] = script(
    0, start(method="OPTIONS", rel=1), resp_from(0, 200), drain(1), drain(1),
    drain(1), terr(0), respond(0, 200), drain(1), drain())
S["quit-with-events-queued"] = script(
    0, start(), req(branch=2), respond(0, 200), resp_from(0, 486), adv("t1"),
    drain(1), drain(1), drain(1), drain(1), QUIT)
S["respond-wrong-request-and-client"] = script(
    0, start(), req(method="OPTIONS", branch=2), drain(),
    respond(1, 200, src=0x80), respond(0, 200), respond(1, 200, src=0x81),
    drain(), respond(1, 200), drain())
S["base-time-1e12"] = script(
    4, start(), req(branch=2), drain(), respond(1, 486), adv("t1"),
    resp_from(0, 180), adv("64t1"), drain())
S["mixed-long"] = script(
    1, start(), start(method="REGISTER", branch=2, rel=1), req(branch=3),
    req(method="BYE", branch=5, sentby=3), drain(), resp_from(0, 100),
    respond(2, 100), respond(3, 180), adv("t1"), resp_from(1, 401, rel=1),
    start(method="REGISTER", branch=3, cseq=1), again(2), drain(),
    respond(2, 300), respond(3, 200), resp_from(0, 603), adv("t1"),
    req_from(2, method="ACK", totag=1), drain(), adv("t4"), terr(0),
    adv("32t1"), drain(), adv("64t1"), drain())

S["grammar-route-and-folded-from-ack"] = script(
    0, start(ruri=5), resp_from(0, 486), start(branch=2, ruri=10),
    resp_from(1, 603), drain(), adv("d"), drain())
S["grammar-unparsable-ruri-rfc2543"] = script(
    0, req(branch=5, ruri=4), drain(), req_from(0), respond(0, 486),
    req_from(0, method="ACK", totag=1), drain(), adv("t4"), drain())
S["grammar-no-via"] = script(
    0, start(sentby=5), req(sentby=5), resp(200, sentby=5), drain())
# Configuration byte: bit 4 with preset 0 = a NULL config, bit 3 = the
# default T1/T2/T4 passed as 0 (the layer must use the defaults).
S["config-null-defaults"] = script(
    16, start(), req(branch=2), drain(), respond(1, 486), adv("t1"),
    adv("64t1"), drain())
S["config-zero-timers-mean-defaults"] = script(
    8 | 2, start(method="OPTIONS"), req(branch=2), drain(), respond(1, 200),
    adv("t1"), adv("t2"), adv("t4"), adv("64t1"), drain())
# More live transactions than the index has buckets (64).
many = []
for m in ("INVITE", "OPTIONS", "BYE", "REGISTER", "CANCEL", "INFO", "FOO"):
    for b in range(7):
        many.append(start(method=m, branch=b))
for m in ("INVITE", "OPTIONS", "BYE"):
    for b in range(7):
        for sb in (0, 2, 3, 4):
            many.append(req(method=m, branch=b, sentby=sb))
S["many-transactions-grow-index"] = script(
    0, *many, drain(), resp_from(0, 180), respond(0, 200), adv("t1"),
    drain(), adv("64t1"), drain())

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "fuzz_txn")
os.makedirs(out, exist_ok=True)
for name, data in sorted(S.items()):
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(S), out))
