/*
 * siphon_tcl.c -- the entry point of the Tcl package "siphon": package
 * initialisation, the ::sip namespace and its ensembles, per-interpreter
 * state, and the helpers every command uses to move bytes between Tcl
 * values and the library and to report errors with a {SIP ...} errorcode.
 *
 * The same objects are linked statically into sipcheck (against libtcl)
 * and into the loadable libsiphontcl.so. Tcl_InitStubs is called in both
 * cases: without USE_TCL_STUBS tcl.h maps it to Tcl_PkgInitStubsCheck,
 * which only checks the interpreter's version.
 */
#include "siphon_tcl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Prototypes for functions referenced only in this file:
 */
static void StateDeleteProc(void *clientData, Tcl_Interp *interp);
static size_t Utf8SeqLen(const unsigned char *p, size_t avail);

/*
 *----------------------------------------------------------------------
 *
 * Siphon_Init --
 *	The package entry point ([load libsiphontcl.so Siphon], or
 *	Tcl_StaticPackage in sipcheck).
 *
 * Results:
 *	TCL_OK, or TCL_ERROR with a message in the interpreter result.
 *
 * Side effects:
 *	Creates ::sip, the ensembles ::sip::msg, ::sip::uri, ::sip::clock
 *	and (outside safe interpreters) ::sip::agent, the per-interpreter
 *	state, and provides package siphon.
 *
 *----------------------------------------------------------------------
 */
int
Siphon_Init(Tcl_Interp *interp)
{
    SiphonInterp *state;
    Tcl_Namespace *nsPtr;

    if (Tcl_InitStubs(interp, "8.6", 0) == NULL) {
        return TCL_ERROR;
    }

    /* Loading twice into one interpreter must not leak or duplicate the
     * state: reuse what the first load created. */
    state = Tcl_GetAssocData(interp, SIPHON_ASSOC_KEY, NULL);
    if (state == NULL) {
        state = (SiphonInterp *) ckalloc(sizeof(*state));
        memset(state, 0, sizeof(*state));
        state->interp = interp;
        Tcl_SetAssocData(interp, SIPHON_ASSOC_KEY, StateDeleteProc, state);
    }

    nsPtr = Tcl_FindNamespace(interp, "::sip", NULL, TCL_GLOBAL_ONLY);
    if (nsPtr == NULL) {
        nsPtr = Tcl_CreateNamespace(interp, "::sip", NULL, NULL);
        if (nsPtr == NULL) {
            return TCL_ERROR;
        }
    }
    if (SiphonMsgInit(interp, state) != TCL_OK
            || SiphonUriInit(interp, state) != TCL_OK
            || SiphonSdpInit(interp, state) != TCL_OK
            || SiphonClockInit(interp, state) != TCL_OK) {
        return TCL_ERROR;
    }
    /* Agents open sockets and files: not for safe interpreters. */
    if (!Tcl_IsSafe(interp) && SiphonAgentInit(interp, state) != TCL_OK) {
        return TCL_ERROR;
    }

    /* So that [namespace import sip::*] brings msg and uri in. */
    if (Tcl_Export(interp, nsPtr, "msg", 0) != TCL_OK
            || Tcl_Export(interp, nsPtr, "uri", 0) != TCL_OK
            || Tcl_Export(interp, nsPtr, "sdp", 0) != TCL_OK
            || Tcl_Export(interp, nsPtr, "clock", 0) != TCL_OK
            || Tcl_Export(interp, nsPtr, "agent", 0) != TCL_OK) {
        return TCL_ERROR;
    }
    return Tcl_PkgProvideEx(interp, "siphon", SIPHON_VERSION, NULL);
}

/*
 *----------------------------------------------------------------------
 *
 * Siphon_SafeInit --
 *	Entry point for safe interpreters. They get every command except
 *	sip::agent, which opens sockets and files (Siphon_Init checks
 *	Tcl_IsSafe); the rest is computation on values and the stack's
 *	timers.
 *
 *----------------------------------------------------------------------
 */
int
Siphon_SafeInit(Tcl_Interp *interp)
{
    return Siphon_Init(interp);
}

/*
 *----------------------------------------------------------------------
 *
 * StateDeleteProc --
 *	Frees the per-interpreter state when its interpreter is deleted.
 *	Tcl tears down the namespaces (and so our commands) before it runs
 *	AssocData callbacks, so no command can see freed state.
 *
 *----------------------------------------------------------------------
 */
static void
StateDeleteProc(void *clientData, Tcl_Interp *interp)
{
    (void) interp;
    ckfree(clientData);
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonMakeEnsemble --
 *	Builds an ensemble through the public API only (the recipe Tk's
 *	TkMakeEnsemble uses): a namespace named like the ensemble, one
 *	command per subcommand inside it, and a mapping dict.
 *
 * Results:
 *	TCL_OK or TCL_ERROR.
 *
 * Side effects:
 *	Creates the namespace "name", the commands "name::sub" and the
 *	ensemble command "name" (unique prefixes accepted).
 *
 *----------------------------------------------------------------------
 */
int
SiphonMakeEnsemble(Tcl_Interp *interp, SiphonInterp *state, const char *name,
                   const SiphonSubcmd *cmds)
{
    Tcl_Namespace *nsPtr;
    Tcl_Command ensemble;
    Tcl_Obj *mapPtr;
    Tcl_DString ds;

    nsPtr = Tcl_FindNamespace(interp, name, NULL, TCL_GLOBAL_ONLY);
    if (nsPtr == NULL) {
        nsPtr = Tcl_CreateNamespace(interp, name, NULL, NULL);
        if (nsPtr == NULL) {
            return TCL_ERROR;
        }
    }
    mapPtr = Tcl_NewObj();
    Tcl_IncrRefCount(mapPtr);
    Tcl_DStringInit(&ds);
    for (; cmds->name != NULL; cmds++) {
        Tcl_DStringSetLength(&ds, 0);
        Tcl_DStringAppend(&ds, name, -1);
        Tcl_DStringAppend(&ds, "::", 2);
        Tcl_DStringAppend(&ds, cmds->name, -1);
        Tcl_CreateObjCommand(interp, Tcl_DStringValue(&ds), cmds->proc,
                             state, NULL);
        Tcl_DictObjPut(NULL, mapPtr, Tcl_NewStringObj(cmds->name, -1),
                       Tcl_NewStringObj(Tcl_DStringValue(&ds),
                                        Tcl_DStringLength(&ds)));
    }
    Tcl_DStringFree(&ds);

    ensemble = Tcl_CreateEnsemble(interp, name, nsPtr, TCL_ENSEMBLE_PREFIX);
    if (ensemble == NULL
            || Tcl_SetEnsembleMappingDict(interp, ensemble, mapPtr) != TCL_OK) {
        Tcl_DecrRefCount(mapPtr);
        return TCL_ERROR;
    }
    Tcl_DecrRefCount(mapPtr);
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonGetBytes --
 *	The bytes a Tcl value stands for (see siphon_tcl.h): a pure byte
 *	array as is, any other value character by character, each of which
 *	must be in U+0000..U+00FF.
 *
 *	Tcl_GetByteArrayFromObj is not used on strings because in 8.6 it
 *	silently keeps only the low 8 bits of wider characters; a script
 *	that passes "€" deserves an error, not a corrupted message.
 *
 * Results:
 *	TCL_OK with *out set, or TCL_ERROR ({SIP USAGE BINARY}). The view
 *	points into objPtr or into *dsPtr, which the caller must free with
 *	Tcl_DStringFree in both cases and must keep, like objPtr, for as long
 *	as it uses *out.
 *
 *----------------------------------------------------------------------
 */
int
SiphonGetBytes(Tcl_Interp *interp, Tcl_Obj *objPtr, Tcl_DString *dsPtr,
               siphon_str *out)
{
    const char *s;
    Tcl_Size len, i, index;

    Tcl_DStringInit(dsPtr);
    if (objPtr->bytes == NULL
            && objPtr->typePtr == Tcl_GetObjType("bytearray")) {
        unsigned char *bytes = Tcl_GetByteArrayFromObj(objPtr, &len);

        *out = siphon_str_make((const char *) bytes, (size_t) len);
        return TCL_OK;
    }

    s = Tcl_GetStringFromObj(objPtr, &len);
    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] >= 0x80) {
            break;
        }
    }
    if (i == len) {
        /* Plain ASCII: the string rep is the bytes (Tcl encodes NUL as
         * C0 80, so an ASCII-only rep has no NUL either). */
        *out = siphon_str_make(s, (size_t) len);
        return TCL_OK;
    }

    Tcl_DStringAppend(dsPtr, s, i);
    index = i;
    while (i < len) {
        Tcl_UniChar ch = 0;
        unsigned char byte;

        i += Tcl_UtfToUniChar(s + i, &ch);
        if (ch > 0xFF) {
            Tcl_DStringFree(dsPtr);
            return SiphonUsageError(interp, "BINARY",
                    "character U+%04X at index %ld is not a byte: SIP text "
                    "is bytes, convert it first (encoding convertto utf-8)",
                    (unsigned) ch, (long) index);
        }
        byte = (unsigned char) ch;
        Tcl_DStringAppend(dsPtr, (const char *) &byte, 1);
        index++;
    }
    *out = siphon_str_make(Tcl_DStringValue(dsPtr),
                           (size_t) Tcl_DStringLength(dsPtr));
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonBytesToUtf --
 *	Converts bytes to Tcl's internal string form, one character per
 *	byte: 0x01..0x7F stay, NUL becomes C0 80 (Tcl's encoding of U+0000)
 *	and 0x80..0xFF take two bytes.
 *
 * Results:
 *	A ckalloc'd NUL-terminated string the caller owns (an objPtr->bytes
 *	candidate); *lenPtr receives its length.
 *
 *----------------------------------------------------------------------
 */
char *
SiphonBytesToUtf(const char *p, size_t len, Tcl_Size *lenPtr)
{
    size_t i, n = 0;
    char *out, *q;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) p[i];
        n += (c == 0 || c >= 0x80) ? 2 : 1;
    }
    out = q = ckalloc(n + 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) p[i];

        if (c == 0 || c >= 0x80) {
            *q++ = (char) (0xC0 | (c >> 6));
            *q++ = (char) (0x80 | (c & 0x3F));
        } else {
            *q++ = (char) c;
        }
    }
    *q = '\0';
    *lenPtr = (Tcl_Size) n;
    return out;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonBytesObj, SiphonStrObj --
 *	A new Tcl value standing for bytes. Printable ASCII becomes a plain
 *	string (what scripts compare most); anything else a byte array,
 *	whose string form Tcl derives with the same one-byte-one-char rule.
 *
 *----------------------------------------------------------------------
 */
Tcl_Obj *
SiphonBytesObj(const char *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) p[i];
        if (c == 0 || c >= 0x80) {
            return Tcl_NewByteArrayObj((const unsigned char *) p,
                                       (Tcl_Size) len);
        }
    }
    return Tcl_NewStringObj(p, (Tcl_Size) len);
}

Tcl_Obj *
SiphonStrObj(siphon_str s)
{
    return SiphonBytesObj(s.p != NULL ? s.p : "", s.len);
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonTextObj --
 *	A Tcl string from text the library wrote for people (UTF-8, such as
 *	"RFC 3261 §25.1"). Such text may quote wire bytes that are not
 *	UTF-8; those bytes are taken one-byte-one-char so that the result is
 *	always a well-formed Tcl string. NULL gives "".
 *
 *----------------------------------------------------------------------
 */
Tcl_Obj *
SiphonTextObj(const char *text)
{
    const unsigned char *p = (const unsigned char *) (text ? text : "");
    size_t len = strlen((const char *) p), i = 0;
    Tcl_Obj *objPtr = Tcl_NewObj();

    while (i < len) {
        size_t start = i, n;

        while (i < len && (n = Utf8SeqLen(p + i, len - i)) > 0) {
            i += n;
        }
        if (i > start) {
            Tcl_AppendToObj(objPtr, (const char *) p + start,
                            (Tcl_Size) (i - start));
        }
        if (i < len) {
            Tcl_Size ulen;
            char *u = SiphonBytesToUtf((const char *) p + i, 1, &ulen);

            Tcl_AppendToObj(objPtr, u, ulen);
            ckfree(u);
            i++;
        }
    }
    return objPtr;
}

/* Length of the well-formed UTF-8 sequence at p, or 0 if there is none
 * (stray continuation byte, overlong form, surrogate, truncation). */
static size_t
Utf8SeqLen(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    size_t n, k;
    unsigned long cp;

    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2; cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3; cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4; cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n) {
        return 0;
    }
    for (k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return n;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonParseError --
 *	Reports a parse failure from the library.
 *
 * Results:
 *	TCL_ERROR, with a message such as
 *	    bad header "To" at offset 42: unterminated quoted-string
 *	    (rule quoted-string)
 *	and the errorcode {SIP PARSE offset header rule} (header "" when the
 *	fault is not inside a header field). what names the input in the
 *	message when the fault is outside a header ("message", "URI").
 *	SIPHON_ENOMEM gives {SIP NOMEM} instead.
 *
 *----------------------------------------------------------------------
 */
int
SiphonParseError(Tcl_Interp *interp, const char *what, int code,
                 const siphon_perr *err)
{
    const char *rule = (err && err->rule) ? err->rule : "";
    const char *header = (err && err->header) ? err->header : "";
    const char *text = (err && err->text[0]) ? err->text
                                             : siphon_strerror(code);
    size_t offset = err ? err->offset : 0;
    char offbuf[32];
    Tcl_Obj *msgPtr;

    if (code == SIPHON_ENOMEM) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj("out of memory", -1));
        Tcl_SetErrorCode(interp, "SIP", "NOMEM", (char *) NULL);
        return TCL_ERROR;
    }
    if (header[0] != '\0') {
        msgPtr = Tcl_ObjPrintf("bad header \"%s\" at offset %lu: ", header,
                               (unsigned long) offset);
    } else {
        msgPtr = Tcl_ObjPrintf("bad %s at offset %lu: ", what,
                               (unsigned long) offset);
    }
    Tcl_AppendObjToObj(msgPtr, SiphonTextObj(text));
    if (rule[0] != '\0') {
        Tcl_AppendPrintfToObj(msgPtr, " (rule %s)", rule);
    }
    Tcl_SetObjResult(interp, msgPtr);
    snprintf(offbuf, sizeof(offbuf), "%lu", (unsigned long) offset);
    Tcl_SetErrorCode(interp, "SIP", "PARSE", offbuf, header, rule,
                     (char *) NULL);
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonUsageError --
 *	Reports a misuse by the script (bad option value, wrong kind of
 *	message, ...).
 *
 * Results:
 *	TCL_ERROR with the formatted message and errorcode
 *	{SIP USAGE kind}.
 *
 *----------------------------------------------------------------------
 */
int
SiphonUsageError(Tcl_Interp *interp, const char *kind, const char *fmt, ...)
{
    va_list ap;
    char buf[512];

    /* Messages are one line; longer ones are cut rather than allocated,
     * since they only quote short script arguments. */
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(buf, -1));
    Tcl_SetErrorCode(interp, "SIP", "USAGE", kind, (char *) NULL);
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonLibError --
 *	Reports a library error code that is not a parse error (builder
 *	refusals, allocation failures).
 *
 * Results:
 *	TCL_ERROR with "what: strerror" and errorcode {SIP ERROR errname},
 *	e.g. {SIP ERROR SIPHON_EINVAL}; SIPHON_ENOMEM gives {SIP NOMEM}.
 *
 *----------------------------------------------------------------------
 */
int
SiphonLibError(Tcl_Interp *interp, const char *what, int code)
{
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s: %s", what,
                                           siphon_strerror(code)));
    if (code == SIPHON_ENOMEM) {
        Tcl_SetErrorCode(interp, "SIP", "NOMEM", (char *) NULL);
    } else {
        Tcl_SetErrorCode(interp, "SIP", "ERROR", siphon_errname(code),
                         (char *) NULL);
    }
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonLookupError --
 *	Reports a header the message does not have.
 *
 * Results:
 *	TCL_ERROR, errorcode {SIP LOOKUP HEADER name}.
 *
 *----------------------------------------------------------------------
 */
int
SiphonLookupError(Tcl_Interp *interp, const char *name)
{
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("no header \"%s\" in message",
                                           name));
    Tcl_SetErrorCode(interp, "SIP", "LOOKUP", "HEADER", name, (char *) NULL);
    return TCL_ERROR;
}

/* Tcl_DictObjPut with a C string key; the dicts built here are fresh and
 * unshared, so the call cannot fail. */
void
SiphonDictPut(Tcl_Obj *dictPtr, const char *key, Tcl_Obj *valuePtr)
{
    Tcl_DictObjPut(NULL, dictPtr, Tcl_NewStringObj(key, -1), valuePtr);
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonParamsObj --
 *	Parameters as a flat {name value ...} list in received order, values
 *	as written (escaped or quoted) and "" for a parameter without one.
 *	A list rather than a dict so that repeated names survive; [dict get]
 *	still works on it.
 *
 *----------------------------------------------------------------------
 */
Tcl_Obj *
SiphonParamsObj(const siphon_params *ps)
{
    Tcl_Obj *listPtr = Tcl_NewListObj(0, NULL);
    size_t i;

    for (i = 0; ps != NULL && i < ps->n; i++) {
        Tcl_ListObjAppendElement(NULL, listPtr, SiphonStrObj(ps->v[i].name));
        Tcl_ListObjAppendElement(NULL, listPtr,
                                 SiphonStrObj(ps->v[i].value));
    }
    return listPtr;
}
