/*
 * tcl_msg.c -- the sip.msg value type and the read side of the ::sip::msg
 * ensemble: parse, get, exists, print and equiv. Editing and building (set, add,
 * remove, request, response) live in tcl_build.c, lint and verdict in
 * tcl_check.c, typed header dicts in tcl_typed.c.
 *
 * A SIP message is a Tcl value whose string form is the wire form
 * (RFC 3261 §7). Its internal representation holds one reference to a
 * parsed, immutable siphon_msg, so a message passed from command to command
 * is parsed once. Editing commands never change a message: they return a
 * new one built with siphon_msgb_* (values are immutable in Tcl too).
 */
#include "siphon_tcl.h"

#include <stdlib.h>
#include <string.h>

/*
 * Prototypes for functions referenced only in this file:
 */
static void FreeMsgRep(Tcl_Obj *objPtr);
static void DupMsgRep(Tcl_Obj *srcPtr, Tcl_Obj *dupPtr);
static void UpdateMsgString(Tcl_Obj *objPtr);
static int SetMsgFromAny(Tcl_Interp *interp, Tcl_Obj *objPtr);
static int MsgParseCmd(void *clientData, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
static int MsgGetCmd(void *clientData, Tcl_Interp *interp, int objc,
                     Tcl_Obj *const objv[]);
static int MsgExistsCmd(void *clientData, Tcl_Interp *interp, int objc,
                        Tcl_Obj *const objv[]);
static int MsgPrintCmd(void *clientData, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
static int MsgEquivCmd(void *clientData, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
static int GetHeader(Tcl_Interp *interp, siphon_msg *m, Tcl_Obj *nameObj,
                     int all);
static int GetKeyword(Tcl_Interp *interp, siphon_msg *m, const char *what,
                      int *handled);
static Tcl_Obj *UnfoldObj(siphon_str v);
static void SplitList(Tcl_Obj *listPtr, siphon_str v);
static int IsListHeader(siphon_hdr_id id);
static Tcl_Obj *StartLineObj(siphon_msg *m);

/*
 * The value type. Its name shows in [tcl::unsupported::representation].
 * It is not registered with Tcl_RegisterObjType: nothing needs to find it
 * by name, and registration would be process-wide.
 */
static const Tcl_ObjType msgType = {
    "sip.msg",          /* name */
    FreeMsgRep,         /* freeIntRepProc */
    DupMsgRep,          /* dupIntRepProc */
    UpdateMsgString,    /* updateStringProc */
    SetMsgFromAny       /* setFromAnyProc */
};

#define MSG_REP(objPtr) ((siphon_msg *) (objPtr)->internalRep.twoPtrValue.ptr1)

static const SiphonSubcmd msgCmds[] = {
    {"add", SiphonMsgAddCmd},
    {"equiv", MsgEquivCmd},
    {"exists", MsgExistsCmd},
    {"get", MsgGetCmd},
    {"lint", SiphonMsgLintCmd},
    {"parse", MsgParseCmd},
    {"print", MsgPrintCmd},
    {"remove", SiphonMsgRemoveCmd},
    {"request", SiphonMsgRequestCmd},
    {"response", SiphonMsgResponseCmd},
    {"set", SiphonMsgSetCmd},
    {"verdict", SiphonMsgVerdictCmd},
    {NULL, NULL}
};

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgInit --
 *	Creates the ::sip::msg ensemble.
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgInit(Tcl_Interp *interp, SiphonInterp *state)
{
    return SiphonMakeEnsemble(interp, state, "::sip::msg", msgCmds);
}

/* ---- the value type ------------------------------------------------ */

static void
FreeMsgRep(Tcl_Obj *objPtr)
{
    siphon_msg_unref(MSG_REP(objPtr));
    objPtr->internalRep.twoPtrValue.ptr1 = NULL;
    objPtr->typePtr = NULL;
}

/* Duplicates share the parsed message: it is immutable, and its lazily
 * filled typed-header cache is the same for every holder. */
static void
DupMsgRep(Tcl_Obj *srcPtr, Tcl_Obj *dupPtr)
{
    dupPtr->internalRep.twoPtrValue.ptr1 = siphon_msg_ref(MSG_REP(srcPtr));
    dupPtr->internalRep.twoPtrValue.ptr2 = NULL;
    dupPtr->typePtr = &msgType;
}

static void
UpdateMsgString(Tcl_Obj *objPtr)
{
    siphon_str b = siphon_msg_bytes(MSG_REP(objPtr));
    Tcl_Size len;

    objPtr->bytes = SiphonBytesToUtf(b.p, b.len, &len);
    objPtr->length = len;
}

/*
 *----------------------------------------------------------------------
 *
 * SetMsgFromAny --
 *	Parses a value as a message with the default (lenient, datagram)
 *	options.
 *
 * Results:
 *	TCL_OK, or TCL_ERROR with a {SIP PARSE ...} error when interp is
 *	not NULL.
 *
 * Side effects:
 *	On success the value's internal representation becomes sip.msg. Its
 *	string form is generated first if missing: the parser may leave
 *	trailing datagram bytes out of the message (RFC 3261 §18.3), and a
 *	type change must never change a value.
 *
 *----------------------------------------------------------------------
 */
static int
SetMsgFromAny(Tcl_Interp *interp, Tcl_Obj *objPtr)
{
    Tcl_DString ds;
    siphon_str b;
    siphon_msg *m = NULL;
    siphon_perr err;
    int rc;

    if (SiphonGetBytes(interp, objPtr, &ds, &b) != TCL_OK) {
        return TCL_ERROR;
    }
    memset(&err, 0, sizeof(err));
    rc = siphon_msg_parse(b.p, b.len, NULL, &m, &err);
    Tcl_DStringFree(&ds);
    if (rc < 0) {
        return interp ? SiphonParseError(interp, "message", rc, &err)
                      : TCL_ERROR;
    }
    (void) Tcl_GetString(objPtr);
    if (objPtr->typePtr != NULL && objPtr->typePtr->freeIntRepProc != NULL) {
        objPtr->typePtr->freeIntRepProc(objPtr);
    }
    objPtr->internalRep.twoPtrValue.ptr1 = m;
    objPtr->internalRep.twoPtrValue.ptr2 = NULL;
    objPtr->typePtr = &msgType;
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonGetMsgFromObj --
 *	The message a value stands for, parsing it if needed.
 *
 * Results:
 *	TCL_OK with *msgPtr set (borrowed from objPtr: take a reference with
 *	siphon_msg_ref before anything may shimmer objPtr, such as reading
 *	another argument that is the same Tcl_Obj), or TCL_ERROR.
 *
 *----------------------------------------------------------------------
 */
int
SiphonGetMsgFromObj(Tcl_Interp *interp, Tcl_Obj *objPtr, siphon_msg **msgPtr)
{
    if (objPtr->typePtr != &msgType
            && SetMsgFromAny(interp, objPtr) != TCL_OK) {
        return TCL_ERROR;
    }
    *msgPtr = MSG_REP(objPtr);
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonNewMsgObj --
 *	A new value for a message; it takes over the caller's reference.
 *	The string form is generated only when a script asks for it.
 *
 *----------------------------------------------------------------------
 */
Tcl_Obj *
SiphonNewMsgObj(siphon_msg *m)
{
    Tcl_Obj *objPtr = Tcl_NewObj();

    Tcl_InvalidateStringRep(objPtr);
    objPtr->internalRep.twoPtrValue.ptr1 = m;
    objPtr->internalRep.twoPtrValue.ptr2 = NULL;
    objPtr->typePtr = &msgType;
    return objPtr;
}

/* ---- sip::msg parse ------------------------------------------------- */

/*
 *----------------------------------------------------------------------
 *
 * MsgParseCmd --
 *	sip::msg parse ?-strict? ?-stream? ?--? TEXT
 *
 *	Parses and validates TEXT: framing, start line, header fields, the
 *	Request-URI and the grammar of every header the library knows
 *	(siphon_msg_parse_all). Semantic checks (mandatory headers, CSeq
 *	method, version) are left to [sip::msg verdict]: a test tool must be
 *	able to hold such messages. -strict refuses tolerated deviations;
 *	-stream parses as received on a reliable transport (Content-Length
 *	required, RFC 3261 §18.3).
 *
 *	Plain text used where a message is expected is parsed only as far
 *	as the first pass (SetMsgFromAny), so that malformed messages can
 *	still be inspected and sent.
 *
 * Results:
 *	The message, or a {SIP PARSE offset header rule} error.
 *
 *----------------------------------------------------------------------
 */
static int
MsgParseCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    static const char *const options[] = {"-strict", "-stream", "--", NULL};
    enum { OPT_STRICT, OPT_STREAM, OPT_END };
    siphon_parse_opts opts;
    siphon_msg *m = NULL;
    siphon_perr err;
    Tcl_DString ds;
    siphon_str b;
    int i, idx, rc;

    (void) clientData;
    siphon_parse_opts_default(&opts);
    for (i = 1; i < objc - 1; i++) {
        if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
                                &idx) != TCL_OK) {
            return TCL_ERROR;
        }
        if (idx == OPT_STRICT) {
            opts.strict = true;
        } else if (idx == OPT_STREAM) {
            opts.stream = true;
        } else {
            i++;
            break;
        }
    }
    if (i != objc - 1) {
        Tcl_WrongNumArgs(interp, 1, objv, "?-strict? ?-stream? ?--? text");
        return TCL_ERROR;
    }
    if (SiphonGetBytes(interp, objv[i], &ds, &b) != TCL_OK) {
        return TCL_ERROR;
    }
    memset(&err, 0, sizeof(err));
    rc = siphon_msg_parse(b.p, b.len, &opts, &m, &err);
    Tcl_DStringFree(&ds);
    if (rc == 0) {
        rc = siphon_msg_parse_all(m, &err);
        if (rc < 0) {
            siphon_msg_unref(m);
        }
    }
    if (rc < 0) {
        return SiphonParseError(interp, "message", rc, &err);
    }
    Tcl_SetObjResult(interp, SiphonNewMsgObj(m));
    return TCL_OK;
}

/* ---- sip::msg get / exists ------------------------------------------ */

/*
 *----------------------------------------------------------------------
 *
 * MsgGetCmd --
 *	sip::msg get MSG WHAT ?-all? ?-typed?
 *
 *	WHAT is a lower-case keyword (method ruri version status reason
 *	body startline headers type) or else a header name, full or
 *	compact, in any case ("Reason" is the RFC 3326 header, "reason"
 *	the status line's phrase).
 *
 * Results:
 *	See docs/tcl-api.md. A missing header is an error
 *	{SIP LOOKUP HEADER name}, except with -all, which gives {}.
 *
 *----------------------------------------------------------------------
 */
static int
MsgGetCmd(void *clientData, Tcl_Interp *interp, int objc,
          Tcl_Obj *const objv[])
{
    static const char *const options[] = {"-all", "-typed", NULL};
    enum { OPT_ALL, OPT_TYPED };
    siphon_msg *m;
    int i, idx, all = 0, typed = 0, handled, rc;

    (void) clientData;
    if (objc < 3) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg what ?-all? ?-typed?");
        return TCL_ERROR;
    }
    if (SiphonGetMsgFromObj(interp, objv[1], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    siphon_msg_ref(m);
    for (i = 3; i < objc; i++) {
        if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0,
                                &idx) != TCL_OK) {
            siphon_msg_unref(m);
            return TCL_ERROR;
        }
        if (idx == OPT_ALL) {
            all = 1;
        } else {
            typed = 1;
        }
    }

    rc = GetKeyword(interp, m, Tcl_GetString(objv[2]), &handled);
    if (handled) {
        if (rc == TCL_OK && (all || typed)) {
            rc = SiphonUsageError(interp, "OPTION",
                    "-all and -typed apply to header names, not to \"%s\"",
                    Tcl_GetString(objv[2]));
        }
    } else if (typed) {
        Tcl_DString ds;
        siphon_str name;
        Tcl_Obj *resultPtr = NULL;

        rc = SiphonGetBytes(interp, objv[2], &ds, &name);
        if (rc == TCL_OK) {
            rc = SiphonTypedObj(interp, m, name, all, &resultPtr);
        }
        Tcl_DStringFree(&ds);
        if (rc == TCL_OK) {
            Tcl_SetObjResult(interp, resultPtr);
        }
    } else {
        rc = GetHeader(interp, m, objv[2], all);
    }
    siphon_msg_unref(m);
    return rc;
}

/*
 * GetKeyword --
 *	The start-line and whole-message items of [sip::msg get]. Sets
 *	*handled to 0 when what is not a keyword (then it is a header name).
 */
static int
GetKeyword(Tcl_Interp *interp, siphon_msg *m, const char *what, int *handled)
{
    static const char *const keywords[] = {
        "body", "headers", "method", "reason", "ruri", "startline",
        "status", "type", "version", NULL
    };
    enum { K_BODY, K_HEADERS, K_METHOD, K_REASON, K_RURI, K_STARTLINE,
           K_STATUS, K_TYPE, K_VERSION };
    bool request = siphon_msg_is_request(m);
    Tcl_Obj *resultPtr;
    int k;

    /* Exact, case-sensitive match: "Reason" must stay a header name. */
    for (k = 0; keywords[k] != NULL; k++) {
        if (strcmp(what, keywords[k]) == 0) {
            break;
        }
    }
    *handled = keywords[k] != NULL;
    if (!*handled) {
        return TCL_OK;
    }
    if ((k == K_METHOD || k == K_RURI) && !request) {
        return SiphonUsageError(interp, "NOTREQUEST",
                "\"%s\" applies to requests; this message is a response",
                what);
    }
    if ((k == K_STATUS || k == K_REASON) && request) {
        return SiphonUsageError(interp, "NOTRESPONSE",
                "\"%s\" applies to responses; this message is a request",
                what);
    }
    switch (k) {
    case K_BODY: {
        siphon_str body = siphon_msg_body(m);
        /* A byte array even when ASCII: bodies go to binary channels. */
        resultPtr = Tcl_NewByteArrayObj((const unsigned char *) body.p,
                                        (Tcl_Size) body.len);
        break;
    }
    case K_HEADERS: {
        size_t i, n = siphon_msg_hdr_count(m);

        resultPtr = Tcl_NewListObj(0, NULL);
        for (i = 0; i < n; i++) {
            const siphon_hdr *h = siphon_msg_hdr_at(m, i);
            Tcl_Obj *pair[2];

            pair[0] = SiphonStrObj(h->name);
            pair[1] = SiphonStrObj(h->value);
            Tcl_ListObjAppendElement(NULL, resultPtr,
                                     Tcl_NewListObj(2, pair));
        }
        break;
    }
    case K_METHOD:
        resultPtr = SiphonStrObj(siphon_msg_method(m));
        break;
    case K_REASON:
        resultPtr = SiphonStrObj(siphon_msg_reason(m));
        break;
    case K_RURI:
        resultPtr = SiphonStrObj(siphon_msg_ruri_str(m));
        break;
    case K_STARTLINE:
        resultPtr = StartLineObj(m);
        break;
    case K_STATUS:
        resultPtr = Tcl_NewIntObj(siphon_msg_status(m));
        break;
    case K_TYPE:
        resultPtr = Tcl_NewStringObj(request ? "request" : "response", -1);
        break;
    default: /* K_VERSION */
        resultPtr = SiphonStrObj(siphon_msg_version(m));
        break;
    }
    Tcl_SetObjResult(interp, resultPtr);
    return TCL_OK;
}

/* The first line of the message as received, without its terminator.
 * Leading CRLFs are skipped as RFC 3261 §7.5 lets a receiver do. */
static Tcl_Obj *
StartLineObj(siphon_msg *m)
{
    siphon_str b = siphon_msg_bytes(m);
    size_t i = 0, j;

    while (i < b.len && (b.p[i] == '\r' || b.p[i] == '\n')) {
        i++;
    }
    for (j = i; j < b.len && b.p[j] != '\r' && b.p[j] != '\n'; j++) {
    }
    return SiphonBytesObj(b.p + i, j - i);
}

/*
 * GetHeader --
 *	A header's value: the first field's value unfolded, or with all the
 *	list of every value (the comma-separated elements of every field for
 *	headers whose grammar is a list, RFC 3261 §7.3.1; one element per
 *	field for the others, whose values may contain commas).
 */
static int
GetHeader(Tcl_Interp *interp, siphon_msg *m, Tcl_Obj *nameObj, int all)
{
    Tcl_DString ds;
    siphon_str name;
    Tcl_Obj *resultPtr;
    long at;

    if (SiphonGetBytes(interp, nameObj, &ds, &name) != TCL_OK) {
        return TCL_ERROR;
    }
    at = siphon_msg_hdr_next_name(m, name.p, name.len, 0);
    if (!all) {
        Tcl_DStringFree(&ds);
        if (at < 0) {
            return SiphonLookupError(interp, Tcl_GetString(nameObj));
        }
        Tcl_SetObjResult(interp,
                         UnfoldObj(siphon_msg_hdr_at(m, (size_t) at)->value));
        return TCL_OK;
    }
    resultPtr = Tcl_NewListObj(0, NULL);
    while (at >= 0) {
        const siphon_hdr *h = siphon_msg_hdr_at(m, (size_t) at);

        if (IsListHeader(h->id)) {
            SplitList(resultPtr, h->value);
        } else {
            Tcl_ListObjAppendElement(NULL, resultPtr, UnfoldObj(h->value));
        }
        at = siphon_msg_hdr_next_name(m, name.p, name.len, (size_t) at + 1);
    }
    Tcl_DStringFree(&ds);
    Tcl_SetObjResult(interp, resultPtr);
    return TCL_OK;
}


/* Headers whose ABNF is a comma-separated list (RFC 3261 §20 and the
 * extension RFCs), so that several fields may be combined into one
 * (§7.3.1). The auth headers are excluded on purpose: §7.3.1 names them
 * as the exception. */
static int
IsListHeader(siphon_hdr_id id)
{
    switch (id) {
    case SIPHON_HDR_ACCEPT: case SIPHON_HDR_ACCEPT_CONTACT:
    case SIPHON_HDR_ACCEPT_ENCODING: case SIPHON_HDR_ACCEPT_LANGUAGE:
    case SIPHON_HDR_ALERT_INFO: case SIPHON_HDR_ALLOW:
    case SIPHON_HDR_ALLOW_EVENTS: case SIPHON_HDR_CALL_INFO:
    case SIPHON_HDR_CONTACT: case SIPHON_HDR_CONTENT_ENCODING:
    case SIPHON_HDR_CONTENT_LANGUAGE: case SIPHON_HDR_ERROR_INFO:
    case SIPHON_HDR_IN_REPLY_TO: case SIPHON_HDR_P_ASSERTED_IDENTITY:
    case SIPHON_HDR_PATH: case SIPHON_HDR_PROXY_REQUIRE:
    case SIPHON_HDR_REASON: case SIPHON_HDR_RECORD_ROUTE:
    case SIPHON_HDR_REJECT_CONTACT: case SIPHON_HDR_REQUEST_DISPOSITION:
    case SIPHON_HDR_REQUIRE: case SIPHON_HDR_ROUTE:
    case SIPHON_HDR_SERVICE_ROUTE: case SIPHON_HDR_SUPPORTED:
    case SIPHON_HDR_UNSUPPORTED: case SIPHON_HDR_VIA:
    case SIPHON_HDR_WARNING:
        return 1;
    default:
        return 0;
    }
}

static int
IsWsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * UnfoldObj --
 *	A header value with each run of linear white space that contains a
 *	line break (RFC 3261 §7.3.1 folding, *WSP CRLF 1*WSP) replaced by
 *	one SP, and outer white space trimmed.
 */
static Tcl_Obj *
UnfoldObj(siphon_str v)
{
    Tcl_DString ds;
    Tcl_Obj *objPtr;
    size_t i = 0, end = v.len;

    while (i < end && IsWsp(v.p[i])) {
        i++;
    }
    while (end > i && IsWsp(v.p[end - 1])) {
        end--;
    }
    Tcl_DStringInit(&ds);
    while (i < end) {
        if (IsWsp(v.p[i])) {
            size_t j = i;
            int fold = 0;

            while (j < end && IsWsp(v.p[j])) {
                fold |= v.p[j] == '\r' || v.p[j] == '\n';
                j++;
            }
            if (fold) {
                Tcl_DStringAppend(&ds, " ", 1);
            } else {
                Tcl_DStringAppend(&ds, v.p + i, (Tcl_Size) (j - i));
            }
            i = j;
        } else {
            Tcl_DStringAppend(&ds, v.p + i, 1);
            i++;
        }
    }
    objPtr = SiphonBytesObj(Tcl_DStringValue(&ds),
                            (size_t) Tcl_DStringLength(&ds));
    Tcl_DStringFree(&ds);
    return objPtr;
}

/*
 * SplitList --
 *	Appends the elements of a comma-separated header value to listPtr,
 *	unfolded and trimmed. Commas inside quoted-strings, <...> and
 *	(comments) do not separate. Empty elements (stray commas, as in
 *	RFC 4475 §3.1.2.1) are left out; lint reports them.
 */
static void
SplitList(Tcl_Obj *listPtr, siphon_str v)
{
    size_t i, start = 0;
    int quoted = 0, angle = 0, comment = 0;

    for (i = 0; i <= v.len; i++) {
        char c = i < v.len ? v.p[i] : ',';

        if (quoted) {
            if (c == '\\' && i + 1 < v.len) {
                i++;
            } else if (c == '"') {
                quoted = 0;
            }
            if (i < v.len) {
                continue;
            }
        } else if (c == '"') {
            quoted = 1;
            continue;
        } else if (c == '<') {
            angle = 1;
            continue;
        } else if (c == '>') {
            angle = 0;
            continue;
        } else if (c == '(' && !angle) {
            comment++;
            continue;
        } else if (c == ')' && comment > 0) {
            comment--;
            continue;
        }
        if (c != ',' || ((angle || comment) && i < v.len)) {
            continue;
        }
        {
            Tcl_Obj *elemPtr = UnfoldObj(siphon_str_make(v.p + start,
                                                         i - start));
            Tcl_Size len;

            (void) Tcl_GetStringFromObj(elemPtr, &len);
            if (len > 0) {
                Tcl_ListObjAppendElement(NULL, listPtr, elemPtr);
            } else {
                Tcl_DecrRefCount(elemPtr);
            }
        }
        start = i + 1;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * MsgExistsCmd --
 *	sip::msg exists MSG NAME -> 1 when the message has a field of that
 *	name (full or compact, any case), else 0.
 *
 *----------------------------------------------------------------------
 */
static int
MsgExistsCmd(void *clientData, Tcl_Interp *interp, int objc,
             Tcl_Obj *const objv[])
{
    siphon_msg *m;
    Tcl_DString ds;
    siphon_str name;
    long at;

    (void) clientData;
    if (objc != 3) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg name");
        return TCL_ERROR;
    }
    if (SiphonGetMsgFromObj(interp, objv[1], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    siphon_msg_ref(m);
    if (SiphonGetBytes(interp, objv[2], &ds, &name) != TCL_OK) {
        siphon_msg_unref(m);
        return TCL_ERROR;
    }
    at = siphon_msg_hdr_next_name(m, name.p, name.len, 0);
    Tcl_DStringFree(&ds);
    siphon_msg_unref(m);
    Tcl_SetObjResult(interp, Tcl_NewBooleanObj(at >= 0));
    return TCL_OK;
}

/* ---- printing ------------------------------------------------------ */

/*
 *----------------------------------------------------------------------
 *
 * MsgPrintCmd --
 *	sip::msg print MSG ?-canonical?
 *
 * Results:
 *	The bytes (a byte array): exactly as received, or the canonical
 *	form (full names, one SP, unfolded values, CRLF, Content-Length
 *	recomputed).
 *
 *----------------------------------------------------------------------
 */
static int
MsgPrintCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    static const char *const options[] = {"-canonical", NULL};
    siphon_msg *m;
    siphon_buf buf;
    int idx, rc;
    siphon_print_mode mode = SIPHON_PRINT_WIRE;

    (void) clientData;
    if (objc != 2 && objc != 3) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg ?-canonical?");
        return TCL_ERROR;
    }
    if (objc == 3) {
        if (Tcl_GetIndexFromObj(interp, objv[2], options, "option", 0,
                                &idx) != TCL_OK) {
            return TCL_ERROR;
        }
        mode = SIPHON_PRINT_CANONICAL;
    }
    if (SiphonGetMsgFromObj(interp, objv[1], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    siphon_buf_init(&buf, 0);
    rc = siphon_msg_print(m, mode, &buf);
    if (rc < 0) {
        siphon_buf_free(&buf);
        return SiphonLibError(interp, "cannot print message", rc);
    }
    Tcl_SetObjResult(interp, Tcl_NewByteArrayObj((unsigned char *) buf.p,
                                                 (Tcl_Size) buf.len));
    siphon_buf_free(&buf);
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * MsgEquivCmd --
 *	sip::msg equiv A B -> 1 when the messages are structurally equal
 *	(siphon_msg_equiv: same start line, same fields in the same order
 *	with names compared by header and values with folding collapsed,
 *	same body), else 0. This is the print round-trip invariant:
 *	[sip::msg equiv $m [sip::msg print $m -canonical]].
 *
 *----------------------------------------------------------------------
 */
static int
MsgEquivCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    siphon_msg *a, *b;
    int equal;

    (void) clientData;
    if (objc != 3) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg1 msg2");
        return TCL_ERROR;
    }
    if (SiphonGetMsgFromObj(interp, objv[1], &a) != TCL_OK) {
        return TCL_ERROR;
    }
    /* Hold a: converting objv[2] replaces the internal representation
     * of whatever Tcl_Obj it is, which may be the one holding a. */
    siphon_msg_ref(a);
    if (SiphonGetMsgFromObj(interp, objv[2], &b) != TCL_OK) {
        siphon_msg_unref(a);
        return TCL_ERROR;
    }
    equal = siphon_msg_equiv(a, b);
    siphon_msg_unref(a);
    Tcl_SetObjResult(interp, Tcl_NewBooleanObj(equal));
    return TCL_OK;
}
