/*
 * tcl_sdp.c -- the ::sip::sdp ensemble: parse, print and answer.
 *
 * RFC 8866 (SDP), RFC 3264 §6 (answers). SDP bodies are byte strings in
 * Tcl, like messages; the parsed form is a dict built on demand. print is
 * the inverse of parse: it writes the dict's lines and sends them through
 * the library's parser and canonical printer, so that whatever a script
 * builds comes out in RFC 8866 order with CRLF line ends.
 */
#include "siphon_tcl.h"

#include <siphon/sdp.h>

#include <stdlib.h>
#include <string.h>

static int SdpParseCmd(void *clientData, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
static int SdpPrintCmd(void *clientData, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
static int SdpAnswerCmd(void *clientData, Tcl_Interp *interp, int objc,
                        Tcl_Obj *const objv[]);

static const SiphonSubcmd sdpCmds[] = {
    {"answer", SdpAnswerCmd},
    {"parse", SdpParseCmd},
    {"print", SdpPrintCmd},
    {NULL, NULL}
};

/*
 *----------------------------------------------------------------------
 *
 * SiphonSdpInit --
 *	Creates the ::sip::sdp ensemble.
 *
 *----------------------------------------------------------------------
 */
int
SiphonSdpInit(Tcl_Interp *interp, SiphonInterp *state)
{
    return SiphonMakeEnsemble(interp, state, "::sip::sdp", sdpCmds);
}

/*
 * SdpError --
 *	{SIP SDP PARSE offset rule} or {SIP SDP TOOBIG offset rule};
 *	{SIP NOMEM} for allocation failures.
 */
static int
SdpError(Tcl_Interp *interp, int code, const siphon_perr *err)
{
    const char *rule = (err && err->rule) ? err->rule : "";
    char offbuf[32];

    if (code == SIPHON_ENOMEM) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj("out of memory", -1));
        Tcl_SetErrorCode(interp, "SIP", "NOMEM", (char *) NULL);
        return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad SDP at offset %lu: %s%s%s%s",
            (unsigned long) (err ? err->offset : 0),
            (err && err->text[0]) ? err->text : siphon_strerror(code),
            rule[0] ? " (rule " : "", rule, rule[0] ? ")" : ""));
    snprintf(offbuf, sizeof(offbuf), "%lu",
             (unsigned long) (err ? err->offset : 0));
    Tcl_SetErrorCode(interp, "SIP", "SDP",
                     code == SIPHON_ETOOBIG ? "TOOBIG" : "PARSE", offbuf,
                     rule, (char *) NULL);
    return TCL_ERROR;
}

/* {SIP SDP DICT key}: the dict given to print is not one parse makes. */
static int
SdpDictError(Tcl_Interp *interp, const char *key, const char *why)
{
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad SDP dict: \"%s\" %s", key,
                                           why));
    Tcl_SetErrorCode(interp, "SIP", "SDP", "DICT", key, (char *) NULL);
    return TCL_ERROR;
}

/* {SIP SDP OPTION name}: an option value the answerer cannot use. */
static int
SdpOptionError(Tcl_Interp *interp, const char *opt, const char *why)
{
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("bad value for %s: %s", opt, why));
    Tcl_SetErrorCode(interp, "SIP", "SDP", "OPTION", opt, (char *) NULL);
    return TCL_ERROR;
}

static int
ParseSdp(Tcl_Interp *interp, Tcl_Obj *objPtr, int strict, siphon_sdp **sPtr)
{
    Tcl_DString ds;
    siphon_str body;
    siphon_perr err;
    siphon_sdp_opts opts;
    int rc;

    if (SiphonGetBytes(interp, objPtr, &ds, &body) != TCL_OK) {
        return TCL_ERROR;
    }
    siphon_sdp_opts_default(&opts);
    opts.strict = strict != 0;
    rc = siphon_sdp_parse(body.p, body.len, &opts, sPtr, &err);
    Tcl_DStringFree(&ds);
    if (rc != 0) {
        return SdpError(interp, rc, &err);
    }
    return TCL_OK;
}

/* ---- parse -------------------------------------------------------------- */

static Tcl_Obj *
ConnObj(const siphon_sdp_conn *c)
{
    Tcl_Obj *d = Tcl_NewDictObj();

    SiphonDictPut(d, "nettype", SiphonStrObj(c->nettype));
    SiphonDictPut(d, "addrtype", SiphonStrObj(c->addrtype));
    SiphonDictPut(d, "address", SiphonStrObj(c->address));
    return d;
}

/* Flat {type value ...}, as b= lines in order. */
static Tcl_Obj *
BwObj(const siphon_sdp_bw *v, size_t n)
{
    Tcl_Obj *l = Tcl_NewListObj(0, NULL);
    size_t i;

    for (i = 0; i < n; i++) {
        Tcl_ListObjAppendElement(NULL, l, SiphonStrObj(v[i].type));
        Tcl_ListObjAppendElement(NULL, l, Tcl_NewWideIntObj(
                (Tcl_WideInt) v[i].value));
    }
    return l;
}

/* A list of {name} or {name value}: a flat dict would lose repeats and
 * the difference between "a=x" and "a=x:". */
static Tcl_Obj *
AttrsObj(const siphon_sdp_attr *v, size_t n)
{
    Tcl_Obj *l = Tcl_NewListObj(0, NULL);
    size_t i;

    for (i = 0; i < n; i++) {
        Tcl_Obj *a = Tcl_NewListObj(0, NULL);

        Tcl_ListObjAppendElement(NULL, a, SiphonStrObj(v[i].name));
        if (v[i].has_value) {
            Tcl_ListObjAppendElement(NULL, a, SiphonStrObj(v[i].value));
        }
        Tcl_ListObjAppendElement(NULL, l, a);
    }
    return l;
}

/* A list of {after text}: the type letter of the line it followed ("" at
 * the top of the session). */
static Tcl_Obj *
UnknownObj(const siphon_sdp_line *v, size_t n)
{
    Tcl_Obj *l = Tcl_NewListObj(0, NULL);
    size_t i;

    for (i = 0; i < n; i++) {
        Tcl_Obj *e = Tcl_NewListObj(0, NULL);

        Tcl_ListObjAppendElement(NULL, e, Tcl_NewStringObj(&v[i].anchor,
                                                           v[i].anchor ? 1
                                                                       : 0));
        Tcl_ListObjAppendElement(NULL, e, SiphonStrObj(v[i].text));
        Tcl_ListObjAppendElement(NULL, l, e);
    }
    return l;
}

static Tcl_Obj *
StrsObj(const siphon_str *v, size_t n)
{
    Tcl_Obj *l = Tcl_NewListObj(0, NULL);
    size_t i;

    for (i = 0; i < n; i++) {
        Tcl_ListObjAppendElement(NULL, l, SiphonStrObj(v[i]));
    }
    return l;
}

static Tcl_Obj *
MediaObj(const siphon_sdp *s, const siphon_sdp_media *m)
{
    Tcl_Obj *d = Tcl_NewDictObj(), *codecs, *conns;
    size_t i;

    if (m->malformed) {
        SiphonDictPut(d, "raw", SiphonStrObj(m->raw));
    } else {
        SiphonDictPut(d, "media", SiphonStrObj(m->media));
        SiphonDictPut(d, "port", Tcl_NewWideIntObj(m->port));
        if (m->nports) {
            SiphonDictPut(d, "nports", Tcl_NewWideIntObj(m->nports));
        }
        SiphonDictPut(d, "proto", SiphonStrObj(m->proto));
        SiphonDictPut(d, "formats", StrsObj(m->fmts, m->nfmts));
    }
    codecs = Tcl_NewListObj(0, NULL);
    for (i = 0; i < m->nfmts; i++) {
        siphon_sdp_codec c;
        Tcl_Obj *cd = Tcl_NewDictObj();

        siphon_sdp_media_codec(m, i, &c);
        if (c.pt < 0) {
            continue;
        }
        SiphonDictPut(cd, "pt", Tcl_NewIntObj(c.pt));
        SiphonDictPut(cd, "name", SiphonStrObj(c.name));
        SiphonDictPut(cd, "rate", Tcl_NewWideIntObj(c.rate));
        SiphonDictPut(cd, "channels", Tcl_NewWideIntObj(c.channels ? c.channels
                                                                   : 1));
        SiphonDictPut(cd, "fmtp", SiphonStrObj(c.fmtp));
        Tcl_ListObjAppendElement(NULL, codecs, cd);
    }
    SiphonDictPut(d, "codecs", codecs);
    SiphonDictPut(d, "direction", Tcl_NewStringObj(siphon_sdp_dir_name(
            siphon_sdp_media_dir(s, m)), -1));
    SiphonDictPut(d, "hold", Tcl_NewBooleanObj(m->port != 0
            && siphon_sdp_media_on_hold(s, m)));
    if (m->has_info) {
        SiphonDictPut(d, "info", SiphonStrObj(m->info));
    }
    conns = Tcl_NewListObj(0, NULL);
    for (i = 0; i < m->nconns; i++) {
        Tcl_ListObjAppendElement(NULL, conns, ConnObj(&m->conns[i]));
    }
    SiphonDictPut(d, "connections", conns);
    SiphonDictPut(d, "bandwidths", BwObj(m->bws, m->nbws));
    if (m->has_key) {
        SiphonDictPut(d, "key", SiphonStrObj(m->key));
    }
    SiphonDictPut(d, "attributes", AttrsObj(m->attrs, m->nattrs));
    SiphonDictPut(d, "unknown", UnknownObj(m->extra, m->nextra));
    SiphonDictPut(d, "line", Tcl_NewWideIntObj(m->line));
    return d;
}

/*
 * SdpDictObj --
 *	The dict of a parsed session; keys for absent optional lines are
 *	left out (see docs/tcl-api.md).
 */
static Tcl_Obj *
SdpDictObj(const siphon_sdp *s)
{
    Tcl_Obj *d = Tcl_NewDictObj(), *l;
    size_t i;

    if (s->has_version) {
        SiphonDictPut(d, "version", Tcl_NewWideIntObj(s->version));
    }
    if (s->has_origin) {
        Tcl_Obj *o = Tcl_NewDictObj();

        SiphonDictPut(o, "username", SiphonStrObj(s->origin.username));
        SiphonDictPut(o, "sessid", SiphonStrObj(s->origin.sess_id));
        SiphonDictPut(o, "version", SiphonStrObj(s->origin.sess_version));
        SiphonDictPut(o, "nettype", SiphonStrObj(s->origin.nettype));
        SiphonDictPut(o, "addrtype", SiphonStrObj(s->origin.addrtype));
        SiphonDictPut(o, "address", SiphonStrObj(s->origin.address));
        SiphonDictPut(d, "origin", o);
    }
    if (s->has_name) {
        SiphonDictPut(d, "name", SiphonStrObj(s->name));
    }
    if (s->has_info) {
        SiphonDictPut(d, "info", SiphonStrObj(s->info));
    }
    if (s->has_uri) {
        SiphonDictPut(d, "uri", SiphonStrObj(s->uri));
    }
    SiphonDictPut(d, "emails", StrsObj(s->emails, s->nemails));
    SiphonDictPut(d, "phones", StrsObj(s->phones, s->nphones));
    if (s->has_conn) {
        SiphonDictPut(d, "connection", ConnObj(&s->conn));
    }
    SiphonDictPut(d, "bandwidths", BwObj(s->bws, s->nbws));
    l = Tcl_NewListObj(0, NULL);
    for (i = 0; i < s->ntimes; i++) {
        Tcl_Obj *t = Tcl_NewDictObj();

        SiphonDictPut(t, "start", Tcl_NewWideIntObj(
                (Tcl_WideInt) s->times[i].start));
        SiphonDictPut(t, "stop", Tcl_NewWideIntObj(
                (Tcl_WideInt) s->times[i].stop));
        SiphonDictPut(t, "repeats", StrsObj(s->times[i].repeats,
                                            s->times[i].nrepeats));
        Tcl_ListObjAppendElement(NULL, l, t);
    }
    SiphonDictPut(d, "times", l);
    if (s->has_zone) {
        SiphonDictPut(d, "zone", SiphonStrObj(s->zone));
    }
    if (s->has_key) {
        SiphonDictPut(d, "key", SiphonStrObj(s->key));
    }
    SiphonDictPut(d, "direction", Tcl_NewStringObj(siphon_sdp_dir_name(
            siphon_sdp_media_dir(s, NULL)), -1));
    SiphonDictPut(d, "attributes", AttrsObj(s->attrs, s->nattrs));
    SiphonDictPut(d, "unknown", UnknownObj(s->extra, s->nextra));
    l = Tcl_NewListObj(0, NULL);
    for (i = 0; i < s->nmedia; i++) {
        Tcl_ListObjAppendElement(NULL, l, MediaObj(s, s->media[i]));
    }
    SiphonDictPut(d, "media", l);
    l = Tcl_NewListObj(0, NULL);
    for (i = 0; i < s->nfindings; i++) {
        const siphon_sdp_finding *f = &s->findings[i];
        Tcl_Obj *fd = Tcl_NewDictObj();

        SiphonDictPut(fd, "line", Tcl_NewWideIntObj(f->line));
        SiphonDictPut(fd, "rule", Tcl_NewStringObj(f->rule, -1));
        SiphonDictPut(fd, "rfc", SiphonTextObj(f->rfc));
        SiphonDictPut(fd, "text", SiphonTextObj(f->text));
        Tcl_ListObjAppendElement(NULL, l, fd);
    }
    SiphonDictPut(d, "findings", l);
    return d;
}

/*
 *----------------------------------------------------------------------
 *
 * SdpParseCmd --
 *	sip::sdp parse ?-strict? TEXT -> the session's dict. -strict
 *	turns the first finding into {SIP SDP PARSE offset rule}.
 *
 *----------------------------------------------------------------------
 */
static int
SdpParseCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    siphon_sdp *s;
    int strict = objc == 3 && strcmp(Tcl_GetString(objv[1]), "-strict") == 0;

    (void) clientData;
    if (objc != 2 && !strict) {
        Tcl_WrongNumArgs(interp, 1, objv, "?-strict? text");
        return TCL_ERROR;
    }
    if (ParseSdp(interp, objv[objc - 1], strict, &s) != TCL_OK) {
        return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, SdpDictObj(s));
    siphon_sdp_free(s);
    return TCL_OK;
}

/* ---- print -------------------------------------------------------------- */

/*
 * Appending the dict's lines to a buffer. Each helper returns TCL_ERROR
 * with {SIP SDP DICT key} when a value has the wrong shape; values are
 * bytes (SiphonGetBytes), so a line can carry any byte but LF.
 */
typedef struct Out {
    Tcl_Interp *interp;
    siphon_buf *b;
    int nomem;
} Out;

static int
PutBytes(Out *o, Tcl_Obj *v, const char *key)
{
    Tcl_DString ds;
    siphon_str s;

    if (SiphonGetBytes(o->interp, v, &ds, &s) != TCL_OK) {
        return TCL_ERROR;
    }
    if (memchr(s.p ? s.p : "", '\n', s.len) != NULL) {
        Tcl_DStringFree(&ds);
        return SdpDictError(o->interp, key, "contains a line feed");
    }
    if (siphon_buf_append_str(o->b, s) != 0) {
        o->nomem = 1;
    }
    Tcl_DStringFree(&ds);
    return TCL_OK;
}

static void
PutC(Out *o, const char *c)
{
    if (siphon_buf_append_c(o->b, c) != 0) {
        o->nomem = 1;
    }
}

/* Value of key in dict d, or NULL when absent. */
static int
Get(Out *o, Tcl_Obj *d, const char *key, Tcl_Obj **vPtr)
{
    Tcl_Obj *k = Tcl_NewStringObj(key, -1);
    int rc;

    Tcl_IncrRefCount(k);
    rc = Tcl_DictObjGet(NULL, d, k, vPtr);
    Tcl_DecrRefCount(k);
    if (rc != TCL_OK) {
        return SdpDictError(o->interp, key, "is in something that is not a "
                            "dict");
    }
    return TCL_OK;
}

/* The elements of the list under key; none when key is absent. */
static int
GetList(Out *o, Tcl_Obj *d, const char *key, Tcl_Size *nPtr,
        Tcl_Obj ***elemsPtr)
{
    Tcl_Obj *v;

    *nPtr = 0;
    if (Get(o, d, key, &v) != TCL_OK) {
        return TCL_ERROR;
    }
    if (v != NULL && Tcl_ListObjGetElements(NULL, v, nPtr, elemsPtr)
            != TCL_OK) {
        return SdpDictError(o->interp, key, "is not a list");
    }
    return TCL_OK;
}

/* "<type>=<value>\r\n" for the value under key (list: for each of its
 * elements); nothing when key is absent. */
static int
PutLines(Out *o, Tcl_Obj *d, const char *key, const char *type, int list)
{
    Tcl_Obj *v, **elems = &v;
    Tcl_Size n = 1, i;

    if (list ? GetList(o, d, key, &n, &elems) : Get(o, d, key, &v)) {
        return TCL_ERROR;
    }
    for (i = 0; i < n && (list || v != NULL); i++) {
        PutC(o, type);
        if (PutBytes(o, elems[i], key) != TCL_OK) {
            return TCL_ERROR;
        }
        PutC(o, "\r\n");
    }
    return TCL_OK;
}

/* The fields of a dict joined by SP, in the order given. */
static int
PutFields(Out *o, Tcl_Obj *d, const char *key, const char *const *fields)
{
    int i;

    for (i = 0; fields[i] != NULL; i++) {
        Tcl_Obj *v;

        if (Get(o, d, fields[i], &v) != TCL_OK) {
            return TCL_ERROR;
        }
        if (v == NULL) {
            return SdpDictError(o->interp, key, "lacks a field");
        }
        if (i > 0) {
            PutC(o, " ");
        }
        if (PutBytes(o, v, key) != TCL_OK) {
            return TCL_ERROR;
        }
    }
    return TCL_OK;
}

static const char *const connFields[] = {"nettype", "addrtype", "address",
                                         NULL};

static int
PutConn(Out *o, Tcl_Obj *c)
{
    PutC(o, "c=");
    if (PutFields(o, c, "connection", connFields) != TCL_OK) {
        return TCL_ERROR;
    }
    PutC(o, "\r\n");
    return TCL_OK;
}

static int
PutBw(Out *o, Tcl_Obj *d)
{
    Tcl_Obj **elems;
    Tcl_Size n, i;

    if (GetList(o, d, "bandwidths", &n, &elems) != TCL_OK) {
        return TCL_ERROR;
    }
    if (n % 2) {
        return SdpDictError(o->interp, "bandwidths", "is not a {type value "
                            "...} list");
    }
    for (i = 0; i < n; i += 2) {
        PutC(o, "b=");
        if (PutBytes(o, elems[i], "bandwidths") != TCL_OK) {
            return TCL_ERROR;
        }
        PutC(o, ":");
        if (PutBytes(o, elems[i + 1], "bandwidths") != TCL_OK) {
            return TCL_ERROR;
        }
        PutC(o, "\r\n");
    }
    return TCL_OK;
}

static int
PutAttrs(Out *o, Tcl_Obj *d)
{
    Tcl_Obj **elems;
    Tcl_Size n, i;

    if (GetList(o, d, "attributes", &n, &elems) != TCL_OK) {
        return TCL_ERROR;
    }
    for (i = 0; i < n; i++) {
        Tcl_Obj **nv;
        Tcl_Size k;

        if (Tcl_ListObjGetElements(NULL, elems[i], &k, &nv) != TCL_OK
                || k < 1 || k > 2) {
            return SdpDictError(o->interp, "attributes", "has an element "
                                "that is not {name ?value?}");
        }
        PutC(o, "a=");
        if (PutBytes(o, nv[0], "attributes") != TCL_OK) {
            return TCL_ERROR;
        }
        if (k == 2) {
            PutC(o, ":");
            if (PutBytes(o, nv[1], "attributes") != TCL_OK) {
                return TCL_ERROR;
            }
        }
        PutC(o, "\r\n");
    }
    return TCL_OK;
}

/* Unknown lines anchored after type letter `after` ("" = top). */
static int
PutUnknown(Out *o, Tcl_Obj *d, const char *after)
{
    Tcl_Obj **elems;
    Tcl_Size n, i;

    if (GetList(o, d, "unknown", &n, &elems) != TCL_OK) {
        return TCL_ERROR;
    }
    for (i = 0; i < n; i++) {
        Tcl_Obj **e;
        Tcl_Size k;

        if (Tcl_ListObjGetElements(NULL, elems[i], &k, &e) != TCL_OK
                || k != 2) {
            return SdpDictError(o->interp, "unknown", "has an element that "
                                "is not {after text}");
        }
        if (strcmp(Tcl_GetString(e[0]), after) != 0) {
            continue;
        }
        if (PutBytes(o, e[1], "unknown") != TCL_OK) {
            return TCL_ERROR;
        }
        PutC(o, "\r\n");
    }
    return TCL_OK;
}

/*
 * What each line type of a dict level is written from: the RFC 8866 §5
 * order is the order of these tables.
 */
typedef enum ItemKind {
    ITEM_LINE,      /* one value: "<t>=value" */
    ITEM_LINES,     /* a list: one "<t>=" line each */
    ITEM_ORIGIN,    /* o= from a dict */
    ITEM_CONN,      /* c= from a dict */
    ITEM_CONNS,     /* c= from a list of dicts */
    ITEM_BW,        /* b= from {type value ...} */
    ITEM_TIMES,     /* t= (+ r=) from a list of dicts */
    ITEM_ATTRS      /* a= from {{name ?value?} ...} */
} ItemKind;

typedef struct Item {
    char type;
    const char *key;
    ItemKind kind;
} Item;

static const Item sessionItems[] = {
    {'v', "version", ITEM_LINE}, {'o', "origin", ITEM_ORIGIN},
    {'s', "name", ITEM_LINE}, {'i', "info", ITEM_LINE},
    {'u', "uri", ITEM_LINE}, {'e', "emails", ITEM_LINES},
    {'p', "phones", ITEM_LINES}, {'c', "connection", ITEM_CONN},
    {'b', "bandwidths", ITEM_BW}, {'t', "times", ITEM_TIMES},
    {'z', "zone", ITEM_LINE}, {'k', "key", ITEM_LINE},
    {'a', "attributes", ITEM_ATTRS}, {0, NULL, ITEM_LINE}
};

static const Item mediaItems[] = {
    {'i', "info", ITEM_LINE}, {'c', "connections", ITEM_CONNS},
    {'b', "bandwidths", ITEM_BW}, {'k', "key", ITEM_LINE},
    {'a', "attributes", ITEM_ATTRS}, {0, NULL, ITEM_LINE}
};

static int
PutItem(Out *o, Tcl_Obj *d, const Item *it)
{
    static const char *const oFields[] = {"username", "sessid", "version",
                                          "nettype", "addrtype", "address",
                                          NULL};
    static const char *const tFields[] = {"start", "stop", NULL};
    char type[3] = {it->type, '=', 0};
    Tcl_Obj *v, **elems;
    Tcl_Size n, i;

    switch (it->kind) {
    case ITEM_LINE:
        return PutLines(o, d, it->key, type, 0);
    case ITEM_LINES:
        return PutLines(o, d, it->key, type, 1);
    case ITEM_BW:
        return PutBw(o, d);
    case ITEM_ATTRS:
        return PutAttrs(o, d);
    default:
        break;
    }
    if (Get(o, d, it->key, &v) != TCL_OK) {
        return TCL_ERROR;
    }
    if (v == NULL) {
        return TCL_OK;
    }
    if (it->kind == ITEM_CONN) {
        return PutConn(o, v);
    }
    if (it->kind == ITEM_ORIGIN) {
        PutC(o, "o=");
        if (PutFields(o, v, it->key, oFields) != TCL_OK) {
            return TCL_ERROR;
        }
        PutC(o, "\r\n");
        return TCL_OK;
    }
    if (Tcl_ListObjGetElements(NULL, v, &n, &elems) != TCL_OK) {
        return SdpDictError(o->interp, it->key, "is not a list");
    }
    for (i = 0; i < n; i++) {
        if (it->kind == ITEM_CONNS) {
            if (PutConn(o, elems[i]) != TCL_OK) {
                return TCL_ERROR;
            }
            continue;
        }
        PutC(o, "t=");
        if (PutFields(o, elems[i], it->key, tFields) != TCL_OK) {
            return TCL_ERROR;
        }
        PutC(o, "\r\n");
        if (PutLines(o, elems[i], "repeats", "r=", 1) != TCL_OK) {
            return TCL_ERROR;
        }
    }
    return TCL_OK;
}

/* The lines of one level, each followed by the unknown lines that came
 * after its type. */
static int
PutItems(Out *o, Tcl_Obj *d, const Item *items)
{
    for (; items->key != NULL; items++) {
        char after[2] = {items->type, 0};

        if (PutItem(o, d, items) != TCL_OK
                || PutUnknown(o, d, after) != TCL_OK) {
            return TCL_ERROR;
        }
    }
    return TCL_OK;
}

static int
PutMedia(Out *o, Tcl_Obj *m)
{
    static const char *const parts[] = {"media", "port", "nports", "proto",
                                        NULL};
    Tcl_Obj *v, **elems;
    Tcl_Size n, i;
    int j;

    if (Get(o, m, "raw", &v) != TCL_OK) {
        return TCL_ERROR;
    }
    PutC(o, "m=");
    if (v != NULL) {
        if (PutBytes(o, v, "raw") != TCL_OK) {
            return TCL_ERROR;
        }
    } else {
        /* "<media> <port>[/<count>] <proto> <fmt> ..." (RFC 8866 §5.14) */
        for (j = 0; parts[j] != NULL; j++) {
            if (Get(o, m, parts[j], &v) != TCL_OK) {
                return TCL_ERROR;
            }
            if (v == NULL && j == 2) {
                continue;
            }
            if (v == NULL) {
                return SdpDictError(o->interp, parts[j], "is missing from "
                                    "a media dict");
            }
            PutC(o, j == 0 ? "" : j == 2 ? "/" : " ");
            if (PutBytes(o, v, parts[j]) != TCL_OK) {
                return TCL_ERROR;
            }
        }
        if (Get(o, m, "formats", &v) != TCL_OK) {
            return TCL_ERROR;
        }
        if (v != NULL && Tcl_ListObjGetElements(NULL, v, &n, &elems)
                != TCL_OK) {
            return SdpDictError(o->interp, "formats", "is not a list");
        }
        for (i = 0; v != NULL && i < n; i++) {
            PutC(o, " ");
            if (PutBytes(o, elems[i], "formats") != TCL_OK) {
                return TCL_ERROR;
            }
        }
    }
    PutC(o, "\r\n");
    return PutUnknown(o, m, "m") != TCL_OK ? TCL_ERROR
                                           : PutItems(o, m, mediaItems);
}

/* The lines of a session dict in RFC 8866 §5 order. */
static int
PutSession(Out *o, Tcl_Obj *d)
{
    Tcl_Obj *v, **elems;
    Tcl_Size n, i;

    if (PutUnknown(o, d, "") != TCL_OK || PutItems(o, d, sessionItems)
            != TCL_OK || Get(o, d, "media", &v) != TCL_OK) {
        return TCL_ERROR;
    }
    if (v == NULL) {
        return TCL_OK;
    }
    if (Tcl_ListObjGetElements(NULL, v, &n, &elems) != TCL_OK) {
        return SdpDictError(o->interp, "media", "is not a list");
    }
    for (i = 0; i < n; i++) {
        if (PutMedia(o, elems[i]) != TCL_OK) {
            return TCL_ERROR;
        }
    }
    return TCL_OK;
}

/* The canonical text of s as a byte value, or NULL ({SIP NOMEM} set). */
static Tcl_Obj *
PrintedObj(Tcl_Interp *interp, const siphon_sdp *s)
{
    siphon_buf b;
    Tcl_Obj *r = NULL;

    siphon_buf_init(&b, 0);
    if (siphon_sdp_print(s, &b) == 0) {
        r = SiphonBytesObj(b.p ? b.p : "", b.len);
    } else {
        SdpError(interp, SIPHON_ENOMEM, NULL);
    }
    siphon_buf_free(&b);
    return r;
}

/*
 *----------------------------------------------------------------------
 *
 * SdpPrintCmd --
 *	sip::sdp print DICT -> canonical SDP text. The keys parse returns
 *	are read; derived ones (codecs, direction, hold, line, findings)
 *	are ignored, so a script edits formats and attributes.
 *
 *----------------------------------------------------------------------
 */
static int
SdpPrintCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    siphon_buf b;
    Out o;
    siphon_sdp *s = NULL;
    siphon_perr err;
    Tcl_Size n;
    Tcl_Obj *r;
    int rc;

    (void) clientData;
    if (objc != 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "dict");
        return TCL_ERROR;
    }
    if (Tcl_DictObjSize(NULL, objv[1], &n) != TCL_OK) {
        return SdpDictError(interp, "", "the argument is not a dict");
    }
    siphon_buf_init(&b, 0);
    o.interp = interp;
    o.b = &b;
    o.nomem = 0;
    if (PutSession(&o, objv[1]) != TCL_OK) {
        siphon_buf_free(&b);
        return TCL_ERROR;
    }
    if (o.nomem) {
        siphon_buf_free(&b);
        return SdpError(interp, SIPHON_ENOMEM, NULL);
    }
    rc = siphon_sdp_parse(b.p ? b.p : "", b.len, NULL, &s, &err);
    siphon_buf_free(&b);
    if (rc != 0) {
        return SdpError(interp, rc, &err);
    }
    r = PrintedObj(interp, s);
    siphon_sdp_free(s);
    if (r == NULL) {
        return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, r);
    return TCL_OK;
}

/* ---- answer ------------------------------------------------------------- */

/*
 * A -codecs element: "PCMU", "opus/48000/2", "iLBC/8000" or a static
 * payload type number ("0"). Views point into the element's string, which
 * the caller keeps.
 */
static int
CodecFromObj(Tcl_Interp *interp, Tcl_Obj *e, siphon_sdp_codec *c)
{
    Tcl_Size len;
    const char *s = Tcl_GetStringFromObj(e, &len);
    const char *slash;
    int pt;

    memset(c, 0, sizeof(*c));
    c->pt = -1;
    if (len > 0 && Tcl_GetIntFromObj(NULL, e, &pt) == TCL_OK) {
        if (pt < 0 || pt > 127) {
            return SdpOptionError(interp, "-codecs",
                                  "payload type out of 0..127");
        }
        c->pt = pt;
        return TCL_OK;
    }
    slash = memchr(s, '/', (size_t) len);
    c->name = siphon_str_make(s, slash ? (size_t) (slash - s) : (size_t) len);
    if (c->name.len == 0) {
        return SdpOptionError(interp, "-codecs", "empty codec name");
    }
    if (slash) {
        char *end;
        unsigned long rate = strtoul(slash + 1, &end, 10);

        c->rate = (uint32_t) rate;
        if (*end == '/') {
            c->channels = (uint32_t) strtoul(end + 1, &end, 10);
        }
        if (*end != '\0' || rate == 0 || rate > 0xffffffffUL) {
            return SdpOptionError(interp, "-codecs",
                                  "not name/rate/channels");
        }
    } else {
        const char *sname;
        uint32_t rate, ch;
        int k;

        /* Well-known names get their usual rate, so that "PCMU" does not
         * also match a PCMU/16000 that no one uses. */
        for (k = 0; k < 35; k++) {
            if (siphon_sdp_static_pt(k, &sname, &rate, &ch)
                    && siphon_str_caseeq_c(c->name, sname)) {
                c->rate = rate;
                break;
            }
        }
        if (siphon_str_caseeq_c(c->name, "telephone-event")) {
            c->rate = 8000;
        }
    }
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * SdpAnswerCmd --
 *	sip::sdp answer OFFER ?-codecs LIST? ?-address IP? ?-port N?
 *	    ?-direction D? ?-media TYPE? ?-username U? ?-sessid N?
 *	    ?-previous SDP?
 *
 * Results:
 *	The answer's text (RFC 3264 §6).
 *
 *----------------------------------------------------------------------
 */
static int
SdpAnswerCmd(void *clientData, Tcl_Interp *interp, int objc,
             Tcl_Obj *const objv[])
{
    static const char *const options[] = {
        "-address", "-codecs", "-direction", "-media", "-port",
        "-previous", "-sessid", "-username", NULL
    };
    enum { OPT_ADDRESS, OPT_CODECS, OPT_DIRECTION, OPT_MEDIA, OPT_PORT,
           OPT_PREVIOUS, OPT_SESSID, OPT_USERNAME };
    Tcl_Obj *codecsObj = NULL, *prevObj = NULL, *r;
    const char *address = "127.0.0.1", *media = "audio", *user = "-";
    const char *dirName = "sendrecv";
    Tcl_WideInt sessid = 1;
    int port = 49170, i, idx, rc = TCL_ERROR;
    siphon_sdp *offer = NULL, *prev = NULL, *ans = NULL;
    siphon_sdp_codec *codecs = NULL;
    Tcl_Obj **elems;
    Tcl_Size ncodecs = 0, k;
    siphon_sdp_caps_media cm;
    siphon_sdp_caps caps;
    siphon_sdp_dir dir;
    static const char *const defaults[] = {"PCMU", "PCMA",
                                           "telephone-event"};
    Tcl_Obj *defaultObjs[3];

    (void) clientData;
    if (objc < 2 || objc % 2 != 0) {
        Tcl_WrongNumArgs(interp, 1, objv, "offer ?-option value ...?");
        return TCL_ERROR;
    }
    for (i = 2; i < objc; i += 2) {
        if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0, &idx)
                != TCL_OK) {
            return TCL_ERROR;
        }
        switch (idx) {
        case OPT_ADDRESS:
            address = Tcl_GetString(objv[i + 1]);
            if (!address[0] || strpbrk(address, " \r\n")) {
                return SdpOptionError(interp, "-address", "not an address");
            }
            break;
        case OPT_CODECS:
            codecsObj = objv[i + 1];
            break;
        case OPT_DIRECTION:
            dirName = Tcl_GetString(objv[i + 1]);
            break;
        case OPT_MEDIA:
            media = Tcl_GetString(objv[i + 1]);
            break;
        case OPT_PORT:
            if (Tcl_GetIntFromObj(NULL, objv[i + 1], &port) != TCL_OK
                    || port < 0 || port > 65535) {
                return SdpOptionError(interp, "-port", "not in 0..65535");
            }
            break;
        case OPT_PREVIOUS:
            prevObj = objv[i + 1];
            break;
        case OPT_SESSID:
            if (Tcl_GetWideIntFromObj(NULL, objv[i + 1], &sessid) != TCL_OK
                    || sessid < 0) {
                return SdpOptionError(interp, "-sessid",
                                      "not a non-negative integer");
            }
            break;
        case OPT_USERNAME:
            user = Tcl_GetString(objv[i + 1]);
            if (!user[0] || strpbrk(user, " \r\n")) {
                return SdpOptionError(interp, "-username", "not a token");
            }
            break;
        }
    }
    dir = siphon_sdp_dir_lookup(siphon_str_c(dirName));
    if (dir == SIPHON_SDP_DIR_NONE) {
        return SdpOptionError(interp, "-direction", "must be sendrecv, "
                              "sendonly, recvonly or inactive");
    }
    if (codecsObj == NULL) {
        for (k = 0; k < 3; k++) {
            defaultObjs[k] = Tcl_NewStringObj(defaults[k], -1);
        }
        codecsObj = Tcl_NewListObj(3, defaultObjs);
    }
    Tcl_IncrRefCount(codecsObj);
    if (Tcl_ListObjGetElements(NULL, codecsObj, &ncodecs, &elems) != TCL_OK) {
        SdpOptionError(interp, "-codecs", "not a list");
        goto done;
    }
    codecs = (siphon_sdp_codec *) ckalloc(sizeof(*codecs)
                                          * (size_t) (ncodecs + 1));
    for (k = 0; k < ncodecs; k++) {
        if (CodecFromObj(interp, elems[k], &codecs[k]) != TCL_OK) {
            goto done;
        }
    }
    if (ParseSdp(interp, objv[1], 0, &offer) != TCL_OK) {
        goto done;
    }
    if (prevObj != NULL && ParseSdp(interp, prevObj, 0, &prev) != TCL_OK) {
        goto done;
    }
    memset(&cm, 0, sizeof(cm));
    cm.media = media;
    cm.codecs = codecs;
    cm.ncodecs = (size_t) ncodecs;
    cm.dir = dir;
    cm.port = (uint32_t) port;
    memset(&caps, 0, sizeof(caps));
    caps.username = siphon_str_c(user);
    caps.sess_id = (uint64_t) sessid;
    caps.sess_version = (uint64_t) sessid;
    caps.address = siphon_str_c(address);
    caps.media = &cm;
    caps.nmedia = 1;
    caps.previous = prev;
    i = siphon_sdp_answer(offer, &caps, &ans);
    if (i != 0) {
        SiphonLibError(interp, "sip::sdp answer", i);
        goto done;
    }
    r = PrintedObj(interp, ans);
    if (r != NULL) {
        Tcl_SetObjResult(interp, r);
        rc = TCL_OK;
    }
done:
    siphon_sdp_free(ans);
    siphon_sdp_free(prev);
    siphon_sdp_free(offer);
    if (codecs != NULL) {
        ckfree(codecs);
    }
    Tcl_DecrRefCount(codecsObj);
    return rc;
}
