/*
 * tcl_check.c -- [sip::msg lint] and [sip::msg verdict]: the findings the
 * parser recorded and the verdict a receiving element acts on (RFC 3261
 * §8.2, §16.3, §18.3; RFC 4475).
 *
 * Both report on the message rather than fail on it: a message that the
 * library would reject is exactly what these commands exist to describe.
 */
#include "siphon_tcl.h"

#include <stdio.h>
#include <string.h>

/*
 * Prototypes for functions referenced only in this file:
 */
static Tcl_Obj *ErrorFindingObj(const siphon_perr *err, int code);
static Tcl_Obj *VerdictObj(const siphon_verdict *v);

/*
 *----------------------------------------------------------------------
 *
 * SiphonFindingObj --
 *	{level note|tolerated rule R rfc "RFC 3261 §x" header H offset N
 *	 text T}; header "" for the start line and the body.
 *
 *----------------------------------------------------------------------
 */
Tcl_Obj *
SiphonFindingObj(const siphon_finding *f)
{
    Tcl_Obj *d = Tcl_NewDictObj();

    SiphonDictPut(d, "level", Tcl_NewStringObj(
            f->level == SIPHON_FINDING_TOLERATED ? "tolerated" : "note", -1));
    SiphonDictPut(d, "rule", SiphonTextObj(f->rule));
    SiphonDictPut(d, "rfc", SiphonTextObj(f->rfc));
    SiphonDictPut(d, "header", SiphonTextObj(f->header));
    SiphonDictPut(d, "offset", Tcl_NewWideIntObj((Tcl_WideInt) f->offset));
    SiphonDictPut(d, "text", SiphonTextObj(f->text));
    return d;
}

/* The fault that stopped a parse, in the shape of a finding with level
 * "error" (rfc is "": the library reports the ABNF rule, not a clause). */
static Tcl_Obj *
ErrorFindingObj(const siphon_perr *err, int code)
{
    Tcl_Obj *d = Tcl_NewDictObj();

    SiphonDictPut(d, "level", Tcl_NewStringObj("error", -1));
    SiphonDictPut(d, "rule", SiphonTextObj(err->rule));
    SiphonDictPut(d, "rfc", Tcl_NewObj());
    SiphonDictPut(d, "header", SiphonTextObj(err->header));
    SiphonDictPut(d, "offset", Tcl_NewWideIntObj((Tcl_WideInt) err->offset));
    SiphonDictPut(d, "text", SiphonTextObj(err->text[0] ? err->text
                                           : siphon_strerror(code)));
    return d;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgLintCmd --
 *	sip::msg lint MSG ?-strict?
 *
 *	Judges the message (siphon_msg_verdict, which parses every typed
 *	header) and lists the findings, oldest first. When the message
 *	would not be accepted, the fault ends the list as a {level error
 *	...} entry, so that lint and [sipcheck lint] report the same
 *	things. -strict judges the message's bytes again with strict
 *	options: the first tolerated deviation then is the error entry.
 *
 * Results:
 *	A list of finding dicts (see SiphonFindingObj); errors only for
 *	bad usage or an unparsable MSG value.
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgLintCmd(void *clientData, Tcl_Interp *interp, int objc,
                 Tcl_Obj *const objv[])
{
    static const char *const options[] = {"-strict", NULL};
    siphon_msg *m, *target;
    siphon_perr err;
    const siphon_finding *f;
    siphon_verdict v;
    Tcl_Obj *listPtr;
    int idx, rc, strict = 0;

    (void) clientData;
    if (objc != 2 && objc != 3) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg ?-strict?");
        return TCL_ERROR;
    }
    if (objc == 3) {
        if (Tcl_GetIndexFromObj(interp, objv[2], options, "option", 0,
                                &idx) != TCL_OK) {
            return TCL_ERROR;
        }
        strict = 1;
    }
    if (SiphonGetMsgFromObj(interp, objv[1], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    target = siphon_msg_ref(m);
    listPtr = Tcl_NewListObj(0, NULL);
    memset(&err, 0, sizeof(err));

    if (strict && !siphon_msg_opts(m)->strict) {
        siphon_parse_opts opts = *siphon_msg_opts(m);
        siphon_str b = siphon_msg_bytes(m);

        opts.strict = true;
        siphon_msg_unref(target);
        target = NULL;
        rc = siphon_msg_parse(b.p, b.len, &opts, &target, &err);
        if (rc == SIPHON_ENOMEM) {
            Tcl_DecrRefCount(listPtr);
            return SiphonParseError(interp, "message", rc, &err);
        }
        if (rc < 0) {
            Tcl_ListObjAppendElement(NULL, listPtr,
                                     ErrorFindingObj(&err, rc));
            Tcl_SetObjResult(interp, listPtr);
            return TCL_OK;
        }
    }

    /* The verdict parses every typed header and makes the checks that
     * only the whole message allows (transaction id, mandatory headers),
     * some of which record findings too. */
    siphon_msg_verdict(target, &v);
    rc = siphon_msg_parse_all(target, &err);
    if (rc == SIPHON_ENOMEM) {
        siphon_msg_unref(target);
        Tcl_DecrRefCount(listPtr);
        return SiphonParseError(interp, "message", rc, &err);
    }
    for (f = siphon_msg_findings(target); f != NULL; f = f->next) {
        Tcl_ListObjAppendElement(NULL, listPtr, SiphonFindingObj(f));
    }
    if (v.kind != SIPHON_VERDICT_ACCEPT) {
        if (v.where.text[0] == '\0') {
            snprintf(v.where.text, sizeof(v.where.text), "%s", v.reason);
        }
        Tcl_ListObjAppendElement(NULL, listPtr,
                                 ErrorFindingObj(&v.where, SIPHON_EPARSE));
    }
    siphon_msg_unref(target);
    Tcl_SetObjResult(interp, listPtr);
    return TCL_OK;
}

/*
 * VerdictObj --
 *	{verdict accept|reject|drop status N reason R offset N header H
 *	 rule R}. Every key is always present so that scripts can [dict get]
 *	without testing: an accept has status 0 and empty strings.
 */
static Tcl_Obj *
VerdictObj(const siphon_verdict *v)
{
    Tcl_Obj *d = Tcl_NewDictObj();
    int accept = v->kind == SIPHON_VERDICT_ACCEPT;

    SiphonDictPut(d, "verdict",
                  Tcl_NewStringObj(siphon_verdict_name(v->kind), -1));
    SiphonDictPut(d, "status", Tcl_NewIntObj(accept ? 0 : v->status));
    SiphonDictPut(d, "reason", SiphonTextObj(accept ? "" : v->reason));
    SiphonDictPut(d, "offset", accept ? Tcl_NewObj()
                  : Tcl_NewWideIntObj((Tcl_WideInt) v->where.offset));
    SiphonDictPut(d, "header", SiphonTextObj(accept ? "" : v->where.header));
    SiphonDictPut(d, "rule", SiphonTextObj(accept ? "" : v->where.rule));
    return d;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgVerdictCmd --
 *	sip::msg verdict MSG
 *	sip::msg verdict -bytes TEXT ?-strict? ?-stream?
 *
 *	The first form judges a parsed message with the options it was
 *	parsed with. The second judges raw bytes and never fails on their
 *	content: bytes that do not parse give a reject or drop verdict.
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgVerdictCmd(void *clientData, Tcl_Interp *interp, int objc,
                    Tcl_Obj *const objv[])
{
    static const char *const options[] = {
        "-bytes", "-strict", "-stream", NULL
    };
    enum { OPT_BYTES, OPT_STRICT, OPT_STREAM };
    siphon_parse_opts opts;
    siphon_verdict v;
    Tcl_Obj *msgObj = NULL, *bytesObj = NULL;
    int i, idx, optsGiven = 0;

    (void) clientData;
    siphon_parse_opts_default(&opts);
    for (i = 1; i < objc; i++) {
        const char *arg = Tcl_GetString(objv[i]);

        if (arg[0] == '-' && Tcl_GetIndexFromObj(NULL, objv[i], options,
                                                 "option", 0, &idx) == TCL_OK) {
            if (idx == OPT_BYTES) {
                if (i + 1 >= objc || bytesObj != NULL) {
                    goto usage;
                }
                bytesObj = objv[++i];
            } else if (idx == OPT_STRICT) {
                opts.strict = true;
                optsGiven = 1;
            } else {
                opts.stream = true;
                optsGiven = 1;
            }
        } else if (msgObj == NULL) {
            msgObj = objv[i];
        } else {
            goto usage;
        }
    }
    if ((msgObj == NULL) == (bytesObj == NULL)) {
        goto usage;
    }
    if (msgObj != NULL && optsGiven) {
        return SiphonUsageError(interp, "OPTION",
                "-strict and -stream go with -bytes; a parsed message is "
                "judged with the options it was parsed with");
    }

    memset(&v, 0, sizeof(v));
    if (msgObj != NULL) {
        siphon_msg *m;

        if (SiphonGetMsgFromObj(interp, msgObj, &m) != TCL_OK) {
            return TCL_ERROR;
        }
        siphon_msg_verdict(m, &v);
    } else {
        Tcl_DString ds;
        siphon_str b;

        if (SiphonGetBytes(interp, bytesObj, &ds, &b) != TCL_OK) {
            return TCL_ERROR;
        }
        siphon_verdict_bytes(b.p, b.len, &opts, &v, NULL);
        Tcl_DStringFree(&ds);
    }
    Tcl_SetObjResult(interp, VerdictObj(&v));
    return TCL_OK;

usage:
    Tcl_WrongNumArgs(interp, 1, objv,
                     "msg | -bytes text ?-strict? ?-stream?");
    return TCL_ERROR;
}
