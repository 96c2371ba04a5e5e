/*
 * tcl_uri.c -- the ::sip::uri ensemble: parse, compare and unescape.
 *
 * RFC 3261 §19.1 (SIP and SIPS URIs, comparison §19.1.4), RFC 3966 (tel),
 * RFC 3986 for any other scheme (RFC 3261 absoluteURI). URIs are plain
 * strings in Tcl; the parsed form is a dict built on demand.
 */
#include "siphon_tcl.h"

#include <ctype.h>
#include <string.h>

/* Inline arena storage: parameter arrays of a typical URI fit, so a parse
 * does not call malloc. */
#define URI_ARENA_INLINE 1024

/*
 * Prototypes for functions referenced only in this file:
 */
static int UriParseCmd(void *clientData, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
static int UriCompareCmd(void *clientData, Tcl_Interp *interp, int objc,
                         Tcl_Obj *const objv[]);
static int UriUnescapeCmd(void *clientData, Tcl_Interp *interp, int objc,
                          Tcl_Obj *const objv[]);
static int ParseUri(Tcl_Interp *interp, Tcl_Obj *objPtr, siphon_arena *a,
                    Tcl_DString *dsPtr, siphon_uri *uri);
static Tcl_Obj *UriDictObj(const siphon_uri *u);

static const SiphonSubcmd uriCmds[] = {
    {"compare", UriCompareCmd},
    {"parse", UriParseCmd},
    {"unescape", UriUnescapeCmd},
    {NULL, NULL}
};

/*
 *----------------------------------------------------------------------
 *
 * SiphonUriInit --
 *	Creates the ::sip::uri ensemble.
 *
 *----------------------------------------------------------------------
 */
int
SiphonUriInit(Tcl_Interp *interp, SiphonInterp *state)
{
    return SiphonMakeEnsemble(interp, state, "::sip::uri", uriCmds);
}

/*
 * ParseUri --
 *	Parses the bytes of objPtr. The URI's views point into *dsPtr or
 *	objPtr and its arrays into *a; the caller frees both (the DString
 *	also on error).
 */
static int
ParseUri(Tcl_Interp *interp, Tcl_Obj *objPtr, siphon_arena *a,
         Tcl_DString *dsPtr, siphon_uri *uri)
{
    siphon_str s;
    siphon_perr err;
    int rc;

    if (SiphonGetBytes(interp, objPtr, dsPtr, &s) != TCL_OK) {
        return TCL_ERROR;
    }
    memset(&err, 0, sizeof(err));
    rc = siphon_uri_parse(a, s.p, s.len, uri, &err);
    if (rc < 0) {
        return SiphonParseError(interp, "URI", rc, &err);
    }
    return TCL_OK;
}

/*
 * UriDictObj --
 *	The dict of a parsed URI, with only the keys that apply:
 *	  sip/sips: scheme user password host hosttype port params headers
 *	            opaque (user, password, port only when present);
 *	  tel:      scheme number global params opaque;
 *	  others:   scheme opaque.
 *	scheme is lower case; every other view is as written (escapes kept:
 *	[sip::uri unescape] decodes them).
 */
static Tcl_Obj *
UriDictObj(const siphon_uri *u)
{
    Tcl_Obj *d = Tcl_NewDictObj();

    switch (u->scheme) {
    case SIPHON_URI_SIP:
    case SIPHON_URI_SIPS:
        SiphonDictPut(d, "scheme", Tcl_NewStringObj(
                u->scheme == SIPHON_URI_SIP ? "sip" : "sips", -1));
        if (u->has_user) {
            SiphonDictPut(d, "user", SiphonStrObj(u->user));
        }
        if (u->has_password) {
            SiphonDictPut(d, "password", SiphonStrObj(u->password));
        }
        SiphonDictPut(d, "host", SiphonStrObj(u->host));
        SiphonDictPut(d, "hosttype", Tcl_NewStringObj(
                SiphonHostTypeName(u->host_type), -1));
        if (u->has_port) {
            SiphonDictPut(d, "port", Tcl_NewIntObj(u->port));
        }
        SiphonDictPut(d, "params", SiphonParamsObj(&u->params));
        SiphonDictPut(d, "headers", SiphonParamsObj(&u->headers));
        break;
    case SIPHON_URI_TEL:
        SiphonDictPut(d, "scheme", Tcl_NewStringObj("tel", -1));
        SiphonDictPut(d, "number", SiphonStrObj(u->number));
        SiphonDictPut(d, "global", Tcl_NewBooleanObj(u->global));
        SiphonDictPut(d, "params", SiphonParamsObj(&u->params));
        break;
    default: {
        /* Schemes are case-insensitive (RFC 3986 §3.1); report them the
         * way the three known ones are reported. */
        Tcl_DString ds;
        size_t i;

        Tcl_DStringInit(&ds);
        for (i = 0; i < u->scheme_name.len; i++) {
            char c = (char) tolower((unsigned char) u->scheme_name.p[i]);
            Tcl_DStringAppend(&ds, &c, 1);
        }
        SiphonDictPut(d, "scheme", SiphonBytesObj(Tcl_DStringValue(&ds),
                                       (size_t) Tcl_DStringLength(&ds)));
        Tcl_DStringFree(&ds);
        break;
    }
    }
    SiphonDictPut(d, "opaque", SiphonStrObj(u->opaque));
    return d;
}

/*
 *----------------------------------------------------------------------
 *
 * UriParseCmd --
 *	sip::uri parse URI
 *
 * Results:
 *	The URI's dict (UriDictObj), or {SIP PARSE offset "" rule}.
 *
 *----------------------------------------------------------------------
 */
static int
UriParseCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    double inlineBuf[URI_ARENA_INLINE / sizeof(double)];
    siphon_arena a;
    siphon_uri uri;
    Tcl_DString ds;
    int rc;

    (void) clientData;
    if (objc != 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "uri");
        return TCL_ERROR;
    }
    siphon_arena_init(&a, inlineBuf, sizeof(inlineBuf));
    rc = ParseUri(interp, objv[1], &a, &ds, &uri);
    if (rc == TCL_OK) {
        Tcl_SetObjResult(interp, UriDictObj(&uri));
    }
    Tcl_DStringFree(&ds);
    siphon_arena_free(&a);
    return rc;
}

/*
 *----------------------------------------------------------------------
 *
 * UriCompareCmd --
 *	sip::uri compare A B -> 1 when the URIs are equivalent under
 *	RFC 3261 §19.1.4 (sip, sips) or RFC 3966 §4 (tel), else 0.
 *
 *----------------------------------------------------------------------
 */
static int
UriCompareCmd(void *clientData, Tcl_Interp *interp, int objc,
              Tcl_Obj *const objv[])
{
    double inlineBuf[URI_ARENA_INLINE / sizeof(double)];
    siphon_arena a;
    siphon_uri ua, ub;
    Tcl_DString da, db;
    int rc;

    (void) clientData;
    if (objc != 3) {
        Tcl_WrongNumArgs(interp, 1, objv, "uri1 uri2");
        return TCL_ERROR;
    }
    siphon_arena_init(&a, inlineBuf, sizeof(inlineBuf));
    Tcl_DStringInit(&db);
    rc = ParseUri(interp, objv[1], &a, &da, &ua);
    if (rc == TCL_OK) {
        rc = ParseUri(interp, objv[2], &a, &db, &ub);
    }
    if (rc == TCL_OK) {
        Tcl_SetObjResult(interp, Tcl_NewBooleanObj(siphon_uri_equal(&ua,
                                                                    &ub)));
    }
    Tcl_DStringFree(&da);
    Tcl_DStringFree(&db);
    siphon_arena_free(&a);
    return rc;
}

/*
 *----------------------------------------------------------------------
 *
 * UriUnescapeCmd --
 *	sip::uri unescape TEXT
 *
 *	Decodes %HH escapes once (never recursively, RFC 4475 §3.1.1.3).
 *	A '%' not followed by two hex digits stays as is (RFC 4475
 *	§3.1.1.5 shows such text), which is not an error.
 *
 * Results:
 *	The decoded bytes; %00 gives a NUL character.
 *
 *----------------------------------------------------------------------
 */
static int
UriUnescapeCmd(void *clientData, Tcl_Interp *interp, int objc,
               Tcl_Obj *const objv[])
{
    Tcl_DString ds;
    siphon_str in;
    char *out;
    size_t outLen = 0;

    (void) clientData;
    if (objc != 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "text");
        return TCL_ERROR;
    }
    if (SiphonGetBytes(interp, objv[1], &ds, &in) != TCL_OK) {
        return TCL_ERROR;
    }
    out = ckalloc(in.len + 1);
    (void) siphon_uri_unescape(in, out, &outLen);
    Tcl_SetObjResult(interp, SiphonBytesObj(out, outLen));
    ckfree(out);
    Tcl_DStringFree(&ds);
    return TCL_OK;
}
