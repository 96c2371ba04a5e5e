/*
 * tcl_agent_dialog.c -- calls and dialogs of a sip::agent (RFC 3261
 * §12-§15, §13.2.2.4), for agents created with -dialogs 1:
 *
 *	$a call URI ?-to ADDR? ?-transport T? ?-user U -password P?
 *	    ?-body TEXT ?-type CT?? ?-header {NAME VALUE ...}? ?-timeout MS?
 *	    -> a dialog object after the 2xx (the ACK is sent), or an error
 *	       {SIP CALL status reason} for a final non-2xx
 *	$a dialog MSG -> the dialog object of a message (a request we got or
 *	    a response of ours), {SIP LOOKUP DIALOG} when none
 *	$a options URI ...  $a message URI TEXT ... -> the responses of one
 *	    request outside any dialog (MESSAGE: RFC 3428, text/plain)
 *
 *	$d info | state | request METHOD ?-body T ?-type CT?? ?-timeout MS?
 *	   | bye ?-timeout MS? | destroy
 *
 * A dialog object holds the dialog's ID, not its pointer: the endpoint
 * may end and free the dialog at any time (a BYE from the peer), and the
 * object then answers "terminated".
 */
#include "tcl_agent.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

/* n random hex digits into out (n + 1 bytes): tags need 32 random bits
 * at least (RFC 3261 §19.3), Call-IDs global uniqueness (§8.1.1.4). */
static void
RandomHex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[32];

    if (RAND_bytes(r, (int) ((n + 1) / 2)) != 1) {
        memset(r, 0x5a, sizeof r);
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = hex[(r[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    }
    out[n] = '\0';
}

/* Our Contact: the listening point of transport t, else the first. */
static Tcl_Obj *
ContactUri(Agent *a, siphon_transport t)
{
    for (int k = 0; k < a->nlp; k++) {
        if (a->lp[k].transport == t) {
            return AgentLpUri(&a->lp[k]);
        }
    }
    return AgentLpUri(&a->lp[0]);
}

typedef struct AgentDialog {
    Agent *agentPtr;
    Tcl_Command token;
    char *callId, *localTag, *remoteTag;
} AgentDialog;

static char *
CopyStr(siphon_str s)
{
    char *p = ckalloc(s.len + 1);

    memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    return p;
}

/* The live dialog behind d, or NULL once it ended (or the agent went). */
static siphon_dialog *
Lookup(AgentDialog *d)
{
    Agent *a = d->agentPtr;

    if (a->deleted || a->ua == NULL) {
        return NULL;
    }
    return siphon_dialog_find(siphon_ua_dialogs(a->ua),
                              siphon_str_c(d->callId),
                              siphon_str_c(d->localTag),
                              siphon_str_c(d->remoteTag));
}

static int
GoneError(Tcl_Interp *interp)
{
    Tcl_SetObjResult(interp, Tcl_NewStringObj("the dialog has ended", -1));
    Tcl_SetErrorCode(interp, "SIP", "STATE", "TERMINATED", (char *) NULL);
    return TCL_ERROR;
}

static void
DialogDeleteProc(void *clientData)
{
    AgentDialog *d = clientData;

    ckfree(d->callId);
    ckfree(d->localTag);
    ckfree(d->remoteTag);
    Tcl_Release(d->agentPtr);
    ckfree(d);
}

/* Sends METHOD within the dialog and waits for the final response. */
static int
DialogRequest(AgentDialog *d, Tcl_Interp *interp, const char *method,
              siphon_str type, siphon_str body, int timeoutMs)
{
    Agent *a = d->agentPtr;
    siphon_dialog *dl = Lookup(d);
    siphon_ua_client *uc = NULL;
    AgentClient *cl;
    int rc;

    if (dl == NULL) {
        return GoneError(interp);
    }
    cl = AgentClientNew(a, NULL);
    cl->invite = strcmp(method, "INVITE") == 0;
    cl->ack = strcmp(method, "ACK") == 0;
    rc = siphon_ua_dialog_request(a->ua, dl, siphon_str_c(method), type, body,
                                  NULL, cl->ack ? NULL : AgentOnResponse, cl,
                                  &uc);
    SiphonClockKick(interp);
    if (rc != 0) {
        cl->done = 1;
        AgentClientDrop(cl, 1);
        if (rc == SIPHON_ESTATE) {
            Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                    "no %s in this dialog now (RFC 3261 §12.2.1.1, §15)",
                    method));
            Tcl_SetErrorCode(interp, "SIP", "STATE", method, (char *) NULL);
            return TCL_ERROR;
        }
        return SiphonLibError(interp, "cannot send within the dialog", rc);
    }
    if (cl->ack) {
        cl->done = 1;
        AgentClientDrop(cl, 0);
        return TCL_OK;
    }
    if (!cl->done) {
        cl->uc = uc;
    }
    Tcl_Preserve(cl);
    rc = AgentWaitClient(a, interp, cl, timeoutMs, 1);
    AgentClientDrop(cl, 0);
    Tcl_Release(cl);
    return rc;
}

/* -body TEXT -type CT -timeout MS, from objv[i]. */
static int
BodyOpts(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int i,
         siphon_str *type, siphon_str *body, int *timeoutMs)
{
    static const char *const opts[] = {"-body", "-timeout", "-type", NULL};
    int idx;
    Tcl_Obj *v;

    *type = SIPHON_STR_NULL;
    *body = SIPHON_STR_NULL;
    while (i < objc) {
        if (AgentNextOption(interp, objc, objv, &i, opts, NULL, &idx, &v)
                != TCL_OK) {
            return TCL_ERROR;
        }
        switch (idx) {
        case 0: *body = siphon_str_c(Tcl_GetString(v)); break;
        case 1:
            if (AgentMsPositive(interp, v, timeoutMs) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case 2: *type = siphon_str_c(Tcl_GetString(v)); break;
        }
    }
    if (body->len && !type->len) {
        *type = siphon_str_c("application/sdp");
    }
    return TCL_OK;
}

static int
DialogObjCmd(void *clientData, Tcl_Interp *interp, int objc,
             Tcl_Obj *const objv[])
{
    static const char *const subs[] = {
        "bye", "destroy", "info", "request", "state", NULL
    };
    enum { D_BYE, D_DESTROY, D_INFO, D_REQUEST, D_STATE };
    AgentDialog *d = clientData;
    siphon_dialog *dl;
    int idx, rc, timeoutMs = 32000;
    siphon_str type, body;

    if (objc < 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "subcommand ?arg ...?");
        return TCL_ERROR;
    }
    if (Tcl_GetIndexFromObj(interp, objv[1], subs, "subcommand", 0, &idx)
            != TCL_OK) {
        return TCL_ERROR;
    }
    switch (idx) {
    case D_DESTROY:
        Tcl_DeleteCommandFromToken(interp, d->token);
        return TCL_OK;
    case D_STATE:
        dl = Lookup(d);
        Tcl_SetObjResult(interp, Tcl_NewStringObj(
                dl ? siphon_dialog_state_name(siphon_dialog_state_of(dl))
                   : "TERMINATED", -1));
        return TCL_OK;
    case D_INFO: {
        Tcl_Obj *r = Tcl_NewDictObj(), *routes = Tcl_NewListObj(0, NULL);
        bool has;

        dl = Lookup(d);
        SiphonDictPut(r, "call-id", Tcl_NewStringObj(d->callId, -1));
        SiphonDictPut(r, "local-tag", Tcl_NewStringObj(d->localTag, -1));
        SiphonDictPut(r, "remote-tag", Tcl_NewStringObj(d->remoteTag, -1));
        SiphonDictPut(r, "state", Tcl_NewStringObj(dl ?
                siphon_dialog_state_name(siphon_dialog_state_of(dl))
                : "TERMINATED", -1));
        if (dl != NULL) {
            uint32_t lc = siphon_dialog_local_cseq(dl, &has);

            SiphonDictPut(r, "role", Tcl_NewStringObj(siphon_dialog_role_name(
                    siphon_dialog_role_of(dl)), -1));
            SiphonDictPut(r, "remote-target",
                          SiphonStrObj(siphon_dialog_remote_target(dl)));
            for (size_t i = 0; i < siphon_dialog_route_count(dl); i++) {
                Tcl_ListObjAppendElement(NULL, routes,
                        SiphonStrObj(siphon_dialog_route(dl, i)));
            }
            SiphonDictPut(r, "route-set", routes);
            SiphonDictPut(r, "local-cseq", has ?
                    Tcl_NewWideIntObj(lc) : Tcl_NewObj());
        } else {
            Tcl_DecrRefCount(routes);
        }
        Tcl_SetObjResult(interp, r);
        return TCL_OK;
    }
    case D_BYE:
        if (BodyOpts(interp, objc, objv, 2, &type, &body, &timeoutMs)
                != TCL_OK) {
            return TCL_ERROR;
        }
        rc = DialogRequest(d, interp, "BYE", SIPHON_STR_NULL, SIPHON_STR_NULL,
                           timeoutMs);
        break;
    case D_REQUEST:
        if (objc < 3) {
            Tcl_WrongNumArgs(interp, 2, objv,
                    "method ?-body text? ?-type ct? ?-timeout ms?");
            return TCL_ERROR;
        }
        if (BodyOpts(interp, objc, objv, 3, &type, &body, &timeoutMs)
                != TCL_OK) {
            return TCL_ERROR;
        }
        rc = DialogRequest(d, interp, Tcl_GetString(objv[2]), type, body,
                           timeoutMs);
        break;
    default:
        return TCL_ERROR;
    }
    return rc;
}

/* A dialog object for an ID (call-id, local tag, remote tag). */
static void
NewDialogObj(Tcl_Interp *interp, Agent *a, siphon_str callId,
             siphon_str localTag, siphon_str remoteTag)
{
    AgentDialog *d = (AgentDialog *) ckalloc(sizeof(*d));
    char name[64];
    Tcl_Obj *full = Tcl_NewObj();

    d->agentPtr = a;
    Tcl_Preserve(a);
    d->callId = CopyStr(callId);
    d->localTag = CopyStr(localTag);
    d->remoteTag = CopyStr(remoteTag);
    do {
        snprintf(name, sizeof name, "::sip::dialog%lu", ++a->dialogSeq);
    } while (Tcl_FindCommand(interp, name, NULL, 0) != NULL);
    d->token = Tcl_CreateObjCommand(interp, name, DialogObjCmd, d,
                                    DialogDeleteProc);
    Tcl_GetCommandFullName(interp, d->token, full);
    Tcl_SetObjResult(interp, full);
}

static int
NoDialogs(Tcl_Interp *interp)
{
    Tcl_SetObjResult(interp, Tcl_NewStringObj(
            "this agent keeps no dialogs: create it with -dialogs 1", -1));
    Tcl_SetErrorCode(interp, "SIP", "STATE", "NODIALOGS", (char *) NULL);
    return TCL_ERROR;
}

/* $a dialog MSG: the dialog of a message with both tags -- a request we
 * received or a response we sent (ours is the To tag), or a response we
 * received or a request we sent (ours is the From tag). Tags are random
 * (§19.3), so trying both ways finds the one dialog. */
int
AgentDialogCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    siphon_msg *m;
    const siphon_nameaddr *from, *to;
    siphon_str local, remote;

    if (objc != 3) {
        Tcl_WrongNumArgs(interp, 2, objv, "message");
        return TCL_ERROR;
    }
    if (siphon_ua_dialogs(a->ua) == NULL) {
        return NoDialogs(interp);
    }
    if (SiphonGetMsgFromObj(interp, objv[2], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    from = siphon_msg_from(m);
    to = siphon_msg_to(m);
    if (from == NULL || to == NULL || !from->has_tag || !to->has_tag) {
        return SiphonUsageError(interp, "DIALOG",
                "the message has no dialog ID (From and To tags)");
    }
    local = to->tag;
    remote = from->tag;
    if (siphon_dialog_find(siphon_ua_dialogs(a->ua), siphon_msg_call_id(m),
                           local, remote) == NULL) {
        local = from->tag;
        remote = to->tag;
    }
    if (siphon_dialog_find(siphon_ua_dialogs(a->ua), siphon_msg_call_id(m),
                           local, remote) == NULL) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj("no such dialog", -1));
        Tcl_SetErrorCode(interp, "SIP", "LOOKUP", "DIALOG", (char *) NULL);
        return TCL_ERROR;
    }
    NewDialogObj(interp, a, siphon_msg_call_id(m), local, remote);
    return TCL_OK;
}

/*
 * A request outside any dialog (§8.1.1): METHOD to URI, a fresh Call-ID
 * (callId, 33 bytes) and From tag (tag, 17 bytes), our Contact for
 * INVITE, CSeq 1, Max-Forwards 70, extra headers, an optional body.
 */
static int
BuildRequest(Agent *a, Tcl_Interp *interp, const char *method,
             const char *uri, siphon_transport tp, Tcl_Obj *headersPtr,
             Tcl_Obj *bodyPtr, const char *ctype, char *callId, char *tag,
             siphon_msg **out)
{
    siphon_msgb *b;
    siphon_perr err;
    char cseq[48];
    int rc;

    RandomHex(tag, 16);
    RandomHex(callId, 32);
    b = siphon_msgb_request(siphon_str_c(method), siphon_str_c(uri));
    if (b == NULL) {
        return SiphonLibError(interp, "cannot build the request",
                              SIPHON_ENOMEM);
    }
    snprintf(cseq, sizeof cseq, "1 %s", method);
    {
        Tcl_Obj *addr = AgentAddrObj(&a->lp[0].addr);
        Tcl_Obj *from, *to;

        Tcl_IncrRefCount(addr);
        from = Tcl_ObjPrintf("<sip:siphon@%s>;tag=%s", Tcl_GetString(addr),
                             tag);
        Tcl_DecrRefCount(addr);
        to = Tcl_ObjPrintf("<%s>", uri);
        Tcl_IncrRefCount(from);
        Tcl_IncrRefCount(to);
        siphon_msgb_add(b, siphon_str_c("Max-Forwards"), siphon_str_c("70"));
        siphon_msgb_add(b, siphon_str_c("From"),
                        siphon_str_c(Tcl_GetString(from)));
        siphon_msgb_add(b, siphon_str_c("To"), siphon_str_c(Tcl_GetString(to)));
        siphon_msgb_add(b, siphon_str_c("Call-ID"), siphon_str_c(callId));
        siphon_msgb_add(b, siphon_str_c("CSeq"), siphon_str_c(cseq));
        Tcl_DecrRefCount(from);
        Tcl_DecrRefCount(to);
    }
    if (strcmp(method, "INVITE") == 0) {
        /* §8.1.1.8: a request that can establish a dialog has Contact. */
        Tcl_Obj *contact = ContactUri(a, tp ? tp : SIPHON_RESOLVE_UDP);
        Tcl_Obj *ct;

        Tcl_IncrRefCount(contact);
        ct = Tcl_ObjPrintf("<%s>", Tcl_GetString(contact));
        Tcl_IncrRefCount(ct);
        siphon_msgb_add(b, siphon_str_c("Contact"),
                        siphon_str_c(Tcl_GetString(ct)));
        Tcl_DecrRefCount(ct);
        Tcl_DecrRefCount(contact);
    }
    if (headersPtr != NULL) {
        Tcl_Size n;
        Tcl_Obj **hv;

        if (Tcl_ListObjGetElements(interp, headersPtr, &n, &hv) != TCL_OK ||
                n % 2) {
            siphon_msgb_free(b);
            return SiphonUsageError(interp, "ARGS",
                    "-header wants a list of names and values");
        }
        for (Tcl_Size k = 0; k < n; k += 2) {
            siphon_msgb_add(b, siphon_str_c(Tcl_GetString(hv[k])),
                            siphon_str_c(Tcl_GetString(hv[k + 1])));
        }
    }
    if (bodyPtr != NULL) {
        siphon_msgb_set_body(b, siphon_str_c(ctype),
                             siphon_str_c(Tcl_GetString(bodyPtr)));
    }
    rc = siphon_msgb_finish(b, out, &err);
    siphon_msgb_free(b);
    if (rc != 0) {
        return SiphonParseError(interp, "cannot build the request", rc, &err);
    }
    return TCL_OK;
}

/* Options of the UAC helpers (call, options, message). */
typedef struct UacOpts {
    siphon_ua_dest dest;
    siphon_ua_credentials cred;
    Tcl_Obj *bodyPtr, *headersPtr;
    const char *ctype;
    int timeoutMs;
} UacOpts;

static int
ParseUacOpts(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int i,
             UacOpts *o)
{
    static const char *const opts[] = {
        "-body", "-header", "-password", "-timeout", "-to", "-transport",
        "-type", "-user", NULL
    };
    enum { C_BODY, C_HEADER, C_PASSWORD, C_TIMEOUT, C_TO, C_TRANSPORT,
           C_TYPE, C_USER };
    struct sockaddr_storage ss;
    Tcl_Obj *v;
    int idx;

    while (i < objc) {
        if (AgentNextOption(interp, objc, objv, &i, opts, NULL, &idx, &v)
                != TCL_OK) {
            return TCL_ERROR;
        }
        switch (idx) {
        case C_BODY: o->bodyPtr = v; break;
        case C_HEADER: o->headersPtr = v; break;
        case C_PASSWORD: o->cred.password = Tcl_GetString(v); break;
        case C_USER: o->cred.username = Tcl_GetString(v); break;
        case C_TO:
            o->dest.addr = Tcl_GetString(v);
            if (siphon_addr_parse(siphon_str_c(o->dest.addr), &ss, NULL)
                    != 0) {
                return SiphonUsageError(interp, "ADDRESS",
                        "bad address \"%s\": want ip:port or [ipv6]:port",
                        o->dest.addr);
            }
            break;
        case C_TRANSPORT:
            if (AgentTransportFromObj(interp, v, &o->dest.transport)
                    != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case C_TYPE: o->ctype = Tcl_GetString(v); break;
        case C_TIMEOUT:
            if (AgentMsPositive(interp, v, &o->timeoutMs) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        }
    }
    if ((o->cred.username == NULL) != (o->cred.password == NULL)) {
        return SiphonUsageError(interp, "ARGS",
                                "-user and -password go together");
    }
    if (o->cred.username != NULL) {
        o->dest.credentials = &o->cred;
    }
    return TCL_OK;
}

/* Sends m (one reference taken over) and waits for its final response;
 * the result is the list of responses. *clOut keeps the handle (held
 * with Tcl_Preserve) for the caller to inspect, or NULL to drop it. */
static int
SendAndWait(Agent *a, Tcl_Interp *interp, siphon_msg *m, UacOpts *o,
            AgentClient **clOut)
{
    siphon_ua_client *uc = NULL;
    AgentClient *cl = AgentClientNew(a, NULL);
    int rc;

    cl->invite = siphon_msg_method_id(m) == SIPHON_METHOD_INVITE;
    rc = siphon_ua_request(a->ua, m, &o->dest, AgentOnResponse, cl, &uc);
    siphon_msg_unref(m);
    SiphonClockKick(interp);
    if (rc != 0) {
        cl->done = 1;
        AgentClientDrop(cl, 1);
        return SiphonLibError(interp, "cannot send the request", rc);
    }
    if (!cl->done) {
        cl->uc = uc;
    }
    Tcl_Preserve(cl);
    rc = AgentWaitClient(a, interp, cl, o->timeoutMs, 1);
    if (clOut != NULL) {
        *clOut = cl;            /* the caller releases */
        return rc;
    }
    AgentClientDrop(cl, 0);
    Tcl_Release(cl);
    return rc;
}

/* $a options URI ... / $a message URI TEXT ...: one request outside a
 * dialog, its responses returned (as $a request does). */
int
AgentSimpleCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[],
               const char *method)
{
    UacOpts o;
    char tag[17], callId[33];
    siphon_msg *m = NULL;
    int message = strcmp(method, "MESSAGE") == 0, first = message ? 4 : 3;

    if (objc < first) {
        Tcl_WrongNumArgs(interp, 2, objv, message
                ? "uri text ?-to addr? ?-transport t? ?-type ct? "
                  "?-user u -password p? ?-header list? ?-timeout ms?"
                : "uri ?-to addr? ?-transport t? ?-user u -password p? "
                  "?-header list? ?-timeout ms?");
        return TCL_ERROR;
    }
    memset(&o, 0, sizeof o);
    o.timeoutMs = 40000;
    o.ctype = "text/plain";
    if (ParseUacOpts(interp, objc, objv, first, &o) != TCL_OK) {
        return TCL_ERROR;
    }
    if (message) {
        o.bodyPtr = objv[3]; /* RFC 3428 §4: the message is the body */
    }
    if (BuildRequest(a, interp, method, Tcl_GetString(objv[2]),
                     o.dest.transport, o.headersPtr, o.bodyPtr, o.ctype,
                     callId, tag, &m) != TCL_OK) {
        return TCL_ERROR;
    }
    return SendAndWait(a, interp, m, &o, NULL);
}

/* $a call URI ...: INVITE, wait for the final response, ACK a 2xx. */
int
AgentCallCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    UacOpts o;
    char tag[17], callId[33];
    siphon_msg *inv = NULL, *final;
    AgentClient *cl = NULL;
    int rc;

    if (objc < 3) {
        Tcl_WrongNumArgs(interp, 2, objv, "uri ?-to addr? ?-transport t? "
                "?-user u -password p? ?-body text ?-type ct?? "
                "?-header {name value ...}? ?-timeout ms?");
        return TCL_ERROR;
    }
    if (siphon_ua_dialogs(a->ua) == NULL) {
        return NoDialogs(interp);
    }
    memset(&o, 0, sizeof o);
    o.timeoutMs = 40000;
    o.ctype = "application/sdp";
    if (ParseUacOpts(interp, objc, objv, 3, &o) != TCL_OK ||
            BuildRequest(a, interp, "INVITE", Tcl_GetString(objv[2]),
                         o.dest.transport, o.headersPtr, o.bodyPtr, o.ctype,
                         callId, tag, &inv) != TCL_OK) {
        return TCL_ERROR;
    }
    rc = SendAndWait(a, interp, inv, &o, &cl);
    if (rc == TCL_OK) {
        Tcl_Obj *last = NULL;
        Tcl_Size n = 0;

        Tcl_ListObjLength(NULL, cl->responsesPtr, &n);
        Tcl_ListObjIndex(NULL, cl->responsesPtr, n - 1, &last);
        rc = last ? SiphonGetMsgFromObj(interp, last, &final) : TCL_ERROR;
        if (rc == TCL_OK && siphon_msg_status(final) / 100 != 2) {
            siphon_str reason = siphon_msg_reason(final);
            char status[16];

            snprintf(status, sizeof status, "%d", siphon_msg_status(final));
            Tcl_SetObjResult(interp, Tcl_ObjPrintf("call failed: %d %.*s",
                    siphon_msg_status(final), (int) reason.len, reason.p));
            Tcl_SetErrorCode(interp, "SIP", "CALL", status, (char *) NULL);
            rc = TCL_ERROR;
        } else if (rc == TCL_OK) {
            /* §13.2.2.4: the UAC core ACKs the 2xx within its dialog. */
            const siphon_nameaddr *to = siphon_msg_to(final);
            siphon_dialog *dl = to && to->has_tag ? siphon_dialog_find(
                    siphon_ua_dialogs(a->ua), siphon_str_c(callId),
                    siphon_str_c(tag), to->tag) : NULL;

            if (dl == NULL ||
                siphon_ua_dialog_request(a->ua, dl, siphon_str_c("ACK"),
                                         SIPHON_STR_NULL, SIPHON_STR_NULL,
                                         NULL, NULL, NULL, NULL) != 0) {
                rc = SiphonLibError(interp, "cannot ACK the 2xx",
                                    SIPHON_ESTATE);
            } else {
                SiphonClockKick(interp);
                NewDialogObj(interp, a, siphon_str_c(callId),
                             siphon_str_c(tag), to->tag);
            }
        }
    }
    if (cl != NULL) {
        AgentClientDrop(cl, 0);
        Tcl_Release(cl);
    }
    return rc;
}
