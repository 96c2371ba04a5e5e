/*
 * tcl_build.c -- the editing and building commands of ::sip::msg: set,
 * add, remove (a new message from an old one), request and response
 * (RFC 3261 §8.1.1, §8.2.6).
 *
 * Messages are immutable values, so every command here goes through a
 * builder: siphon_msgb_from_msg (or _request, _response_to), the edits,
 * then siphon_msgb_finish, which prints canonically and parses the result
 * into a new message. The old value is never touched.
 */
#include "siphon_tcl.h"

#include <stdio.h>
#include <string.h>

/*
 * Prototypes for functions referenced only in this file:
 */
static int FinishBuilder(Tcl_Interp *interp, siphon_msgb *b);
static int HeaderError(Tcl_Interp *interp, const char *verb, siphon_str name,
                       int code);
static int GetStatusCode(Tcl_Interp *interp, Tcl_Obj *objPtr, int *codePtr);

/*
 * Copies of the bytes of several arguments, which must all stay valid
 * until the builder has finished (it may keep views until
 * siphon_msgb_finish).
 */
typedef struct ArgBytes {
    Tcl_DString *ds;          /* One DString per argument slot. */
    int n;                    /* Slots in ds. */
} ArgBytes;

static void
ArgBytesInit(ArgBytes *ab, int n)
{
    int i;

    ab->n = n;
    ab->ds = (Tcl_DString *) ckalloc(sizeof(Tcl_DString) * (size_t) (n + 1));
    for (i = 0; i <= n; i++) {
        Tcl_DStringInit(&ab->ds[i]);
    }
}

static void
ArgBytesFree(ArgBytes *ab)
{
    int i;

    for (i = 0; i <= ab->n; i++) {
        Tcl_DStringFree(&ab->ds[i]);
    }
    ckfree(ab->ds);
}

/* The bytes are always copied: a view into an argument could dangle if
 * a later argument is the same Tcl_Obj and gets converted (to an integer,
 * say), which frees a byte array's internal representation. */
static int
ArgBytesGet(Tcl_Interp *interp, ArgBytes *ab, Tcl_Obj *const objv[], int i,
            siphon_str *out)
{
    Tcl_DString *dsPtr = &ab->ds[i];

    Tcl_DStringFree(dsPtr);
    if (SiphonGetBytes(interp, objv[i], dsPtr, out) != TCL_OK) {
        return TCL_ERROR;
    }
    if (out->p != Tcl_DStringValue(dsPtr)) {
        Tcl_DStringAppend(dsPtr, out->p, (Tcl_Size) out->len);
    }
    *out = siphon_str_make(Tcl_DStringValue(dsPtr),
                           (size_t) Tcl_DStringLength(dsPtr));
    return TCL_OK;
}

/*
 * FinishBuilder --
 *	Turns a builder into a new message value (the interpreter result)
 *	and frees the builder.
 */
static int
FinishBuilder(Tcl_Interp *interp, siphon_msgb *b)
{
    siphon_msg *out = NULL;
    siphon_perr err;
    int rc;

    memset(&err, 0, sizeof(err));
    rc = siphon_msgb_finish(b, &out, &err);
    siphon_msgb_free(b);
    if (rc < 0) {
        if (err.rule != NULL) {
            return SiphonParseError(interp, "message", rc, &err);
        }
        return SiphonLibError(interp, "cannot build message", rc);
    }
    Tcl_SetObjResult(interp, SiphonNewMsgObj(out));
    return TCL_OK;
}

/* A builder refusal about one header, naming it: "cannot add header
 * "Bad Name": invalid argument". Names are cut at 64 bytes. */
static int
HeaderError(Tcl_Interp *interp, const char *verb, siphon_str name, int code)
{
    char what[200];
    Tcl_Obj *nameObj = SiphonStrObj(siphon_str_make(name.p,
                                    name.len > 64 ? 64 : name.len));

    Tcl_IncrRefCount(nameObj);
    snprintf(what, sizeof(what), "cannot %s header \"%s\"", verb,
             Tcl_GetString(nameObj));
    Tcl_DecrRefCount(nameObj);
    return SiphonLibError(interp, what, code);
}

/* A status code a status line may carry (RFC 3261 §7.2, 100..699). */
static int
GetStatusCode(Tcl_Interp *interp, Tcl_Obj *objPtr, int *codePtr)
{
    if (Tcl_GetIntFromObj(interp, objPtr, codePtr) != TCL_OK) {
        return TCL_ERROR;
    }
    if (*codePtr < 100 || *codePtr > 699) {
        return SiphonUsageError(interp, "STATUS",
                "status code %d is not in 100..699", *codePtr);
    }
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgSetCmd --
 *	sip::msg set MSG ?NAME VALUE ...? ?-body TEXT ?-type CT??
 *	             ?-ruri URI? ?-method M? ?-status CODE ?REASON??
 *
 *	Each NAME VALUE replaces every field of that name by one field. The
 *	options change the start line and the body; Content-Length is
 *	always recomputed.
 *
 * Results:
 *	A new message.
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgSetCmd(void *clientData, Tcl_Interp *interp, int objc,
          Tcl_Obj *const objv[])
{
    static const char *const options[] = {
        "-body", "-type", "-ruri", "-method", "-status", NULL
    };
    enum { OPT_BODY, OPT_TYPE, OPT_RURI, OPT_METHOD, OPT_STATUS };
    siphon_msg *m;
    siphon_msgb *b = NULL;
    ArgBytes ab;
    siphon_str method, ruri, body, ctype = SIPHON_STR_NULL, reason;
    int i, idx, e, rc = TCL_ERROR, code = 0;
    int hasBody = 0, hasType = 0, hasRuri = 0, hasMethod = 0, hasStatus = 0;
    int hasReason = 0;

    (void) clientData;
    if (objc < 4) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg name value ?name value ...? "
                         "| msg ?-body text ?-type ct?? ?-ruri uri? "
                         "?-method m? ?-status code ?reason??");
        return TCL_ERROR;
    }
    if (SiphonGetMsgFromObj(interp, objv[1], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    siphon_msg_ref(m);
    ArgBytesInit(&ab, objc);
    b = siphon_msgb_from_msg(m);
    if (b == NULL) {
        rc = SiphonLibError(interp, "cannot edit message", SIPHON_ENOMEM);
        goto done;
    }
    method = siphon_msg_method(m);
    ruri = siphon_msg_ruri_str(m);
    reason = SIPHON_STR_NULL;

    for (i = 2; i < objc; i += 2) {
        const char *arg = Tcl_GetString(objv[i]);

        if (arg[0] != '-' || Tcl_GetIndexFromObj(NULL, objv[i], options,
                                                 "option", TCL_EXACT,
                                                 &idx) != TCL_OK) {
            siphon_str name, value;

            /* A header name. Tokens may start with '-', so only the five
             * exact option words are options. */
            if (i + 1 >= objc) {
                rc = SiphonUsageError(interp, "ARGS",
                        "header \"%s\" has no value", arg);
                goto done;
            }
            if (ArgBytesGet(interp, &ab, objv, i, &name) != TCL_OK
                    || ArgBytesGet(interp, &ab, objv, i + 1, &value)
                       != TCL_OK) {
                goto done;
            }
            e = siphon_msgb_set(b, name, value);
            if (e < 0) {
                rc = HeaderError(interp, "set", name, e);
                goto done;
            }
            continue;
        }
        if (i + 1 >= objc) {
            rc = SiphonUsageError(interp, "ARGS", "option %s needs a value",
                                  options[idx]);
            goto done;
        }
        switch (idx) {
        case OPT_BODY:
            hasBody = 1;
            if (ArgBytesGet(interp, &ab, objv, i + 1, &body) != TCL_OK) {
                goto done;
            }
            break;
        case OPT_TYPE:
            hasType = 1;
            if (ArgBytesGet(interp, &ab, objv, i + 1, &ctype) != TCL_OK) {
                goto done;
            }
            break;
        case OPT_RURI:
            hasRuri = 1;
            if (ArgBytesGet(interp, &ab, objv, i + 1, &ruri) != TCL_OK) {
                goto done;
            }
            break;
        case OPT_METHOD:
            hasMethod = 1;
            if (ArgBytesGet(interp, &ab, objv, i + 1, &method) != TCL_OK) {
                goto done;
            }
            break;
        default: /* OPT_STATUS */
            hasStatus = 1;
            if (GetStatusCode(interp, objv[i + 1], &code) != TCL_OK) {
                goto done;
            }
            /* The reason phrase is optional: take the next word unless it
             * is one of the options. */
            if (i + 2 < objc && Tcl_GetIndexFromObj(NULL, objv[i + 2],
                        options, "option", TCL_EXACT, &idx) != TCL_OK) {
                hasReason = 1;
                if (ArgBytesGet(interp, &ab, objv, i + 2, &reason)
                        != TCL_OK) {
                    goto done;
                }
                i++;
            }
            break;
        }
    }

    if (hasType && !hasBody) {
        rc = SiphonUsageError(interp, "ARGS", "-type needs -body");
        goto done;
    }
    if ((hasRuri || hasMethod) && !siphon_msg_is_request(m)) {
        rc = SiphonUsageError(interp, "NOTREQUEST",
                "-ruri and -method apply to requests; this message is a "
                "response");
        goto done;
    }
    if (hasStatus && siphon_msg_is_request(m)) {
        rc = SiphonUsageError(interp, "NOTRESPONSE",
                "-status applies to responses; this message is a request");
        goto done;
    }
    if (hasRuri || hasMethod) {
        e = siphon_msgb_set_request_line(b, method, ruri);
        if (e < 0) {
            rc = SiphonLibError(interp, "cannot set request line", e);
            goto done;
        }
    }
    if (hasStatus) {
        if (!hasReason) {
            reason = siphon_str_c(siphon_status_phrase(code));
        }
        e = siphon_msgb_set_status(b, code, reason);
        if (e < 0) {
            rc = SiphonLibError(interp, "cannot set status line", e);
            goto done;
        }
    }
    if (hasBody) {
        e = siphon_msgb_set_body(b, ctype, body);
        if (e < 0) {
            rc = SiphonLibError(interp, "cannot set body", e);
            goto done;
        }
    }
    rc = FinishBuilder(interp, b);
    b = NULL;

done:
    if (b != NULL) {
        siphon_msgb_free(b);
    }
    ArgBytesFree(&ab);
    siphon_msg_unref(m);
    return rc;
}

/* What EditFields does to the message's fields. */
typedef enum FieldEdit {
    EDIT_ADD, EDIT_ADD_TOP, EDIT_REMOVE, EDIT_REMOVE_FIRST
} FieldEdit;

/*
 * The body shared by [sip::msg add] and [sip::msg remove]: a builder made
 * from MSG, one edit of the field objv[2] (with value objv[3] for add),
 * and the new message as the result. MSG itself never changes.
 */
static int
EditFields(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], FieldEdit edit)
{
    siphon_msg *m;
    siphon_msgb *b;
    ArgBytes ab;
    siphon_str name, value = SIPHON_STR_NULL;
    int rc;
    int adding = edit == EDIT_ADD || edit == EDIT_ADD_TOP;

    if (SiphonGetMsgFromObj(interp, objv[1], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    siphon_msg_ref(m);
    ArgBytesInit(&ab, objc);
    b = siphon_msgb_from_msg(m);
    if (b == NULL) {
        rc = SiphonLibError(interp, "cannot edit message", SIPHON_ENOMEM);
    } else if (ArgBytesGet(interp, &ab, objv, 2, &name) != TCL_OK
               || (adding && ArgBytesGet(interp, &ab, objv, 3, &value) != TCL_OK)) {
        siphon_msgb_free(b);
        rc = TCL_ERROR;
    } else {
        switch (edit) {
        case EDIT_ADD: rc = siphon_msgb_add(b, name, value); break;
        case EDIT_ADD_TOP: rc = siphon_msgb_add_top(b, name, value); break;
        case EDIT_REMOVE: rc = siphon_msgb_remove(b, name, false); break;
        default: rc = siphon_msgb_remove(b, name, true); break;
        }
        if (rc < 0) {
            siphon_msgb_free(b);
            rc = HeaderError(interp, adding ? "add" : "remove", name, rc);
        } else {
            rc = FinishBuilder(interp, b);
        }
    }
    ArgBytesFree(&ab);
    siphon_msg_unref(m);
    return rc;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgAddCmd --
 *	sip::msg add MSG NAME VALUE ?-top?
 *
 *	Appends a field, or with -top inserts it above the first field of
 *	that name (as a proxy adds its Via, RFC 3261 §16.6 step 8).
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgAddCmd(void *clientData, Tcl_Interp *interp, int objc,
          Tcl_Obj *const objv[])
{
    static const char *const options[] = {"-top", NULL};
    int idx, top = 0;

    (void) clientData;
    if (objc != 4 && objc != 5) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg name value ?-top?");
        return TCL_ERROR;
    }
    if (objc == 5) {
        if (Tcl_GetIndexFromObj(interp, objv[4], options, "option", 0,
                                &idx) != TCL_OK) {
            return TCL_ERROR;
        }
        top = 1;
    }
    return EditFields(interp, objc, objv, top ? EDIT_ADD_TOP : EDIT_ADD);
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgRemoveCmd --
 *	sip::msg remove MSG NAME ?-first?
 *
 *	Removes every field of that name, or only the first. Removing a
 *	header the message does not have is not an error.
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgRemoveCmd(void *clientData, Tcl_Interp *interp, int objc,
             Tcl_Obj *const objv[])
{
    static const char *const options[] = {"-first", NULL};
    int idx, first = 0;

    (void) clientData;
    if (objc != 3 && objc != 4) {
        Tcl_WrongNumArgs(interp, 1, objv, "msg name ?-first?");
        return TCL_ERROR;
    }
    if (objc == 4) {
        if (Tcl_GetIndexFromObj(interp, objv[3], options, "option", 0,
                                &idx) != TCL_OK) {
            return TCL_ERROR;
        }
        first = 1;
    }
    return EditFields(interp, objc, objv, first ? EDIT_REMOVE_FIRST : EDIT_REMOVE);
}

/* ---- request and response ----------------------------------------- */

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgResponseCmd --
 *	sip::msg response REQUEST STATUS ?REASON? ?-totag TAG?
 *
 *	A response built per RFC 3261 §8.2.6 (siphon_msgb_response_to):
 *	Vias, From, To, Call-ID and CSeq copied, TAG added to To unless the
 *	request's To already has a tag or STATUS is 100. Without REASON the
 *	§21 phrase is used.
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgResponseCmd(void *clientData, Tcl_Interp *interp, int objc,
               Tcl_Obj *const objv[])
{
    static const char *const options[] = {"-totag", NULL};
    siphon_msg *m;
    siphon_msgb *b;
    ArgBytes ab;
    siphon_str reason = SIPHON_STR_NULL, tag = SIPHON_STR_NULL;
    int i, idx, code, rc = TCL_ERROR, hasReason = 0;

    (void) clientData;
    if (objc < 3 || objc > 6) {
        Tcl_WrongNumArgs(interp, 1, objv,
                         "request status ?reason? ?-totag tag?");
        return TCL_ERROR;
    }
    if (SiphonGetMsgFromObj(interp, objv[1], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    siphon_msg_ref(m);
    ArgBytesInit(&ab, objc);
    if (!siphon_msg_is_request(m)) {
        rc = SiphonUsageError(interp, "NOTREQUEST",
                              "cannot answer a response");
        goto done;
    }
    if (GetStatusCode(interp, objv[2], &code) != TCL_OK) {
        goto done;
    }
    for (i = 3; i < objc; i++) {
        if (Tcl_GetIndexFromObj(NULL, objv[i], options, "option",
                                TCL_EXACT, &idx) == TCL_OK) {
            if (i + 1 >= objc) {
                rc = SiphonUsageError(interp, "ARGS",
                                      "option -totag needs a value");
                goto done;
            }
            if (ArgBytesGet(interp, &ab, objv, ++i, &tag) != TCL_OK) {
                goto done;
            }
        } else if (!hasReason) {
            hasReason = 1;
            if (ArgBytesGet(interp, &ab, objv, i, &reason) != TCL_OK) {
                goto done;
            }
        } else {
            Tcl_WrongNumArgs(interp, 1, objv,
                             "request status ?reason? ?-totag tag?");
            goto done;
        }
    }
    b = siphon_msgb_response_to(m, code, reason, tag);
    if (b == NULL) {
        rc = SiphonLibError(interp, "cannot build response", SIPHON_EINVAL);
        goto done;
    }
    rc = FinishBuilder(interp, b);

done:
    ArgBytesFree(&ab);
    siphon_msg_unref(m);
    return rc;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonMsgRequestCmd --
 *	sip::msg request METHOD RURI ?HEADERS? ?BODY?
 *
 *	A request with exactly the given header fields (HEADERS is a flat
 *	{name value ...} list, kept in order and duplicates allowed) and
 *	body; Content-Length is computed. Nothing is added behind the
 *	script's back: tests need to build incomplete requests too.
 *
 *----------------------------------------------------------------------
 */
int
SiphonMsgRequestCmd(void *clientData, Tcl_Interp *interp, int objc,
              Tcl_Obj *const objv[])
{
    siphon_msgb *b = NULL;
    ArgBytes ab, hb;
    siphon_str method, ruri, body;
    Tcl_Obj **hv = NULL;
    Tcl_Size hc = 0, i;
    int rc = TCL_ERROR;

    (void) clientData;
    if (objc < 3 || objc > 5) {
        Tcl_WrongNumArgs(interp, 1, objv, "method ruri ?headers? ?body?");
        return TCL_ERROR;
    }
    if (objc >= 4) {
        if (Tcl_ListObjGetElements(interp, objv[3], &hc, &hv) != TCL_OK) {
            return TCL_ERROR;
        }
        if (hc % 2 != 0) {
            return SiphonUsageError(interp, "ARGS",
                    "header list must have an even number of elements");
        }
    }
    ArgBytesInit(&ab, objc);
    /* The list's elements are views too; they must outlive finish. The
     * list itself stays alive: objv[3] is held by the caller, and nothing
     * below shimmers it. */
    ArgBytesInit(&hb, (int) hc);
    if (ArgBytesGet(interp, &ab, objv, 1, &method) != TCL_OK
            || ArgBytesGet(interp, &ab, objv, 2, &ruri) != TCL_OK) {
        goto done;
    }
    b = siphon_msgb_request(method, ruri);
    if (b == NULL) {
        rc = SiphonLibError(interp, "cannot build request", SIPHON_EINVAL);
        goto done;
    }
    for (i = 0; i < hc; i += 2) {
        siphon_str name, value;
        int err;

        if (ArgBytesGet(interp, &hb, hv, (int) i, &name) != TCL_OK
                || ArgBytesGet(interp, &hb, hv, (int) i + 1, &value)
                   != TCL_OK) {
            goto done;
        }
        err = siphon_msgb_add(b, name, value);
        if (err < 0) {
            rc = HeaderError(interp, "add", name, err);
            goto done;
        }
    }
    if (objc == 5) {
        int err;

        if (ArgBytesGet(interp, &ab, objv, 4, &body) != TCL_OK) {
            goto done;
        }
        err = siphon_msgb_set_body(b, SIPHON_STR_NULL, body);
        if (err < 0) {
            rc = SiphonLibError(interp, "cannot set body", err);
            goto done;
        }
    }
    rc = FinishBuilder(interp, b);
    b = NULL;

done:
    if (b != NULL) {
        siphon_msgb_free(b);
    }
    ArgBytesFree(&hb);
    ArgBytesFree(&ab);
    return rc;
}
