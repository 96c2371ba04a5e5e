/*
 * tcl_agent_cmds.c --
 *
 *	The subcommands of a sip::agent object (see tcl_agent.c for the
 *	life cycle and docs/tcl-api.md for the manual):
 *
 *	$a addr ?TRANSPORT?          $a uri ?TRANSPORT?
 *	$a send MSG -to ADDR ?-transport T? ?-servername NAME?
 *	$a request MSG ?-to ADDR? ?-transport T? ?-servername NAME?
 *	    ?-user NAME -password SECRET? (digest answers to 401/407)
 *	    ?-timeout MS? ?-async? ?-command SCRIPT?
 *	$a responses H      $a result H      $a wait H ?-timeout MS?
 *	$a forget H         $a handles
 *	$a expect ?-timeout MS? ?-method M? ?-status N|Nxx? ?-from ADDR?
 *	    ?-transport T? ?-info VAR?
 *	$a respond RESPONSE
 *	$a respond REQUEST STATUS ?REASON? ?-totag TAG? ?-header LIST?
 *	    ?-body TEXT? ?-type CT?
 *	$a cancel H (§9.1)  $a bindings AOR (-registrar agents)
 *	$a stats     $a inbox ?-clear?     $a destroy
 *
 *	Elsewhere: $a call, $a dialog, $a options and $a message
 *	(tcl_agent_dialog.c), $a register,
 *	$a unregister and $a registrations (tcl_agent_register.c).
 */

#include "tcl_agent.h"

#include <stdio.h>
#include <string.h>

#define REQUEST_TIMEOUT_MS 40000
#define EXPECT_TIMEOUT_MS 5000

/* ---- addr, uri -------------------------------------------------------- */

static AgentLp *
FindLp(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    siphon_transport t;
    int i;

    if (objc < 3) {
        return &a->lp[0];
    }
    if (AgentTransportFromObj(interp, objv[2], &t) != TCL_OK) {
        return NULL;
    }
    for (i = 0; i < a->nlp; i++) {
        if (a->lp[i].transport == t) {
            return &a->lp[i];
        }
    }
    Tcl_SetObjResult(interp, Tcl_ObjPrintf(
            "agent has no %s listening point", AgentTransportLower(t)));
    Tcl_SetErrorCode(interp, "SIP", "LOOKUP", "TRANSPORT",
                     AgentTransportLower(t), (char *) NULL);
    return NULL;
}

static int
AddrCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[],
        int uri)
{
    AgentLp *lp;

    if (objc > 3) {
        Tcl_WrongNumArgs(interp, 2, objv, "?transport?");
        return TCL_ERROR;
    }
    if ((lp = FindLp(a, interp, objc, objv)) == NULL) {
        return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, uri ? AgentLpUri(lp) : AgentAddrObj(&lp->addr));
    return TCL_OK;
}

Tcl_Obj *
AgentLpUri(const AgentLp *lp)
{
    Tcl_Obj *r = Tcl_NewStringObj(
            lp->transport == SIPHON_RESOLVE_TLS
            || lp->transport == SIPHON_RESOLVE_WSS ? "sips:" : "sip:", -1);

    Tcl_AppendObjToObj(r, AgentAddrObj(&lp->addr));
    /* UDP is the default and sips: means TLS (RFC 5630 §3.1.3
     * deprecates ;transport=tls); the others must be named. */
    if (lp->transport != SIPHON_RESOLVE_UDP
            && lp->transport != SIPHON_RESOLVE_TLS) {
        Tcl_AppendStringsToObj(r, ";transport=",
                               AgentTransportLower(lp->transport),
                               (char *) NULL);
    }
    return r;
}

/* ---- send, request ---------------------------------------------------- */

/* An "ip:port" or "[ipv6]:port" option value; {SIP USAGE ADDRESS}. */
static int
ParseAddr(Tcl_Interp *interp, const char *s, struct sockaddr_storage *ss)
{
    if (siphon_addr_parse(siphon_str_make(s, strlen(s)), ss, NULL) != 0) {
        return SiphonUsageError(interp, "ADDRESS",
                "bad address \"%s\": want ip:port or [ipv6]:port", s);
    }
    return TCL_OK;
}

/* The destination options shared by send and request. */
typedef struct DestOpts {
    siphon_ua_dest dest;
    siphon_ua_credentials cred;  /* -user/-password: dest.credentials */
    int timeoutMs;
    int async;
    Tcl_Obj *commandPtr;
} DestOpts;

static int
ParseDestOpts(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int i,
              int request, DestOpts *d)
{
    static const char *const sendOpts[] = {
        "-servername", "-to", "-transport", NULL
    };
    static const char *const requestOpts[] = {
        "-async", "-command", "-password", "-servername", "-timeout", "-to",
        "-transport", "-user", NULL
    };
    static const char *const flags[] = {"-async", NULL};
    const char *const *options = request ? requestOpts : sendOpts;
    int idx;

    memset(d, 0, sizeof(*d));
    d->timeoutMs = REQUEST_TIMEOUT_MS;
    while (i < objc) {
        const char *opt;
        Tcl_Obj *v;

        if (AgentNextOption(interp, objc, objv, &i, options, flags, &idx, &v)
                != TCL_OK) {
            return TCL_ERROR;
        }
        opt = options[idx];
        if (strcmp(opt, "-async") == 0) {
            d->async = 1;
        } else if (strcmp(opt, "-to") == 0) {
            d->dest.addr = Tcl_GetString(v);
        } else if (strcmp(opt, "-transport") == 0) {
            if (AgentTransportFromObj(interp, v, &d->dest.transport)
                    != TCL_OK) {
                return TCL_ERROR;
            }
        } else if (strcmp(opt, "-servername") == 0) {
            d->dest.server_name = Tcl_GetString(v);
        } else if (strcmp(opt, "-timeout") == 0) {
            if (AgentMsPositive(interp, v, &d->timeoutMs) != TCL_OK) {
                return TCL_ERROR;
            }
        } else if (strcmp(opt, "-command") == 0) {
            d->commandPtr = v;
        } else if (strcmp(opt, "-user") == 0) {
            d->cred.username = Tcl_GetString(v);
        } else if (strcmp(opt, "-password") == 0) {
            d->cred.password = Tcl_GetString(v);
        }
    }
    if ((d->cred.username == NULL) != (d->cred.password == NULL)) {
        return SiphonUsageError(interp, "ARGS",
                "-user and -password go together");
    }
    if (d->cred.username != NULL) {
        /* RFC 3261 §22: the endpoint answers 401/407 itself. */
        d->dest.credentials = &d->cred;
    }
    if (d->dest.addr != NULL) {
        struct sockaddr_storage ss;

        return ParseAddr(interp, d->dest.addr, &ss);
    }
    return TCL_OK;
}

/* A transport failure of send or request as {SIP TRANSPORT errname}. */
static int
TransportError(Tcl_Interp *interp, const char *what, int code)
{
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("%s: %s", what,
                                           siphon_strerror(code)));
    Tcl_SetErrorCode(interp, "SIP", "TRANSPORT", siphon_errname(code),
                     (char *) NULL);
    return TCL_ERROR;
}

static int
SendCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    DestOpts d;
    Tcl_DString ds;
    siphon_str bytes;
    int rc;

    if (objc < 3) {
        Tcl_WrongNumArgs(interp, 2, objv,
                "message -to addr ?-transport t? ?-servername name?");
        return TCL_ERROR;
    }
    if (ParseDestOpts(interp, objc, objv, 3, 0, &d) != TCL_OK) {
        return TCL_ERROR;
    }
    if (d.dest.addr == NULL) {
        return SiphonUsageError(interp, "ARGS", "send needs -to addr");
    }
    if (SiphonGetBytes(interp, objv[2], &ds, &bytes) != TCL_OK) {
        return TCL_ERROR;
    }
    rc = siphon_ua_send_raw(a->ua, &d.dest, bytes.p, bytes.len);
    Tcl_DStringFree(&ds);
    SiphonClockKick(interp);
    if (rc != 0) {
        return TransportError(interp, "cannot send", rc);
    }
    return TCL_OK;
}

static int
ClientDone(Agent *a, void *arg)
{
    AgentClient *cl = arg;
    (void) a;
    return cl->done || cl->released;
}

/*
 * The outcome of an ended handle: its responses, or the error it ended
 * with ({SIP TIMEOUT B|F}, {SIP TRANSPORT errname}).
 */
static int
ClientOutcome(Tcl_Interp *interp, AgentClient *cl)
{
    switch (cl->err) {
    case 0:
        Tcl_SetObjResult(interp, cl->responsesPtr);
        return TCL_OK;
    case SIPHON_ETIMEDOUT:
        Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                "%s timed out: no final response (Timer %s)",
                cl->invite ? "INVITE" : "request", cl->invite ? "B" : "F"));
        Tcl_SetErrorCode(interp, "SIP", "TIMEOUT", cl->invite ? "B" : "F",
                         (char *) NULL);
        return TCL_ERROR;
    case SIPHON_ENOENT:
        Tcl_SetObjResult(interp, Tcl_NewStringObj(
                "no target: the destination could not be resolved", -1));
        Tcl_SetErrorCode(interp, "SIP", "TRANSPORT", "SIPHON_ENOENT",
                         (char *) NULL);
        return TCL_ERROR;
    default:
        return TransportError(interp, "request failed", cl->err);
    }
}

/*
 * Waits for cl's end (wall-clock guard timeoutMs) and gives its outcome.
 * forgetOnTimeout: a synchronous request stops listening when the guard
 * fires; [$a wait] keeps the handle.
 */
int
AgentWaitClient(Agent *a, Tcl_Interp *interp, AgentClient *cl, int timeoutMs,
                int forgetOnTimeout)
{
    int r, rc;

    Tcl_Preserve(a);
    Tcl_Preserve(cl);
    r = AgentWait(a, ClientDone, cl, timeoutMs);
    if (r == 1 && cl->done) {
        rc = ClientOutcome(interp, cl);
    } else {
        rc = AgentWaitFailed(interp, r, timeoutMs, NULL,
                             "handle forgotten while waiting");
        if (r == 0 && forgetOnTimeout) {
            AgentClientDrop(cl, 1);
        }
    }
    Tcl_Release(cl);
    Tcl_Release(a);
    return rc;
}

static int
RequestCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    DestOpts d;
    siphon_msg *m;
    siphon_ua_client *uc = NULL;
    AgentClient *cl;
    int rc;

    if (objc < 3) {
        Tcl_WrongNumArgs(interp, 2, objv,
                "message ?-to addr? ?-transport t? ?-servername name? "
                "?-user name -password secret? "
                "?-timeout ms? ?-async? ?-command script?");
        return TCL_ERROR;
    }
    if (ParseDestOpts(interp, objc, objv, 3, 1, &d) != TCL_OK) {
        return TCL_ERROR;
    }
    if (SiphonGetMsgFromObj(interp, objv[2], &m) != TCL_OK) {
        return TCL_ERROR;
    }
    if (!siphon_msg_is_request(m)) {
        return SiphonUsageError(interp, "NOTREQUEST",
                "request needs a request, not a response");
    }
    siphon_msg_ref(m);
    cl = AgentClientNew(a, d.commandPtr);
    cl->invite = siphon_msg_method_id(m) == SIPHON_METHOD_INVITE;
    cl->ack = siphon_msg_method_id(m) == SIPHON_METHOD_ACK;
    rc = siphon_ua_request(a->ua, m, &d.dest,
                           cl->ack ? NULL : AgentOnResponse, cl, &uc);
    siphon_msg_unref(m);
    SiphonClockKick(interp);
    if (rc != 0) {
        cl->done = 1;           /* never called back */
        AgentClientDrop(cl, 1);
        if (rc == SIPHON_EINVAL || rc == SIPHON_ENOMEM) {
            return SiphonLibError(interp, "cannot send request", rc);
        }
        return TransportError(interp, "cannot send request", rc);
    }
    if (cl->ack) {
        /* §17.1.1.3: an ACK has no transaction and gets no response. */
        cl->done = 1;
        cl->result = "sent";
    } else if (!cl->done) {
        cl->uc = uc;
    }
    if (d.async) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj(cl->name, -1));
        return TCL_OK;
    }
    Tcl_Preserve(cl);
    rc = AgentWaitClient(a, interp, cl, d.timeoutMs, 1);
    AgentClientDrop(cl, 0);
    Tcl_Release(cl);
    return rc;
}

/* ---- handles ---------------------------------------------------------- */

static AgentClient *
GetClient(Agent *a, Tcl_Interp *interp, Tcl_Obj *objPtr)
{
    Tcl_HashEntry *hPtr = Tcl_FindHashEntry(&a->clients,
                                            Tcl_GetString(objPtr));

    if (hPtr == NULL) {
        Tcl_SetObjResult(interp, Tcl_ObjPrintf("no request handle \"%s\"",
                                               Tcl_GetString(objPtr)));
        Tcl_SetErrorCode(interp, "SIP", "LOOKUP", "HANDLE",
                         Tcl_GetString(objPtr), (char *) NULL);
        return NULL;
    }
    return Tcl_GetHashValue(hPtr);
}

static int
HandleCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[],
          const char *sub)
{
    AgentClient *cl;

    if (strcmp(sub, "wait") == 0) {
        int timeoutMs = REQUEST_TIMEOUT_MS;

        if (objc != 3 && !(objc == 5
                && strcmp(Tcl_GetString(objv[3]), "-timeout") == 0)) {
            Tcl_WrongNumArgs(interp, 2, objv, "handle ?-timeout ms?");
            return TCL_ERROR;
        }
        if (objc == 5
                && AgentMsPositive(interp, objv[4], &timeoutMs) != TCL_OK) {
            return TCL_ERROR;
        }
        if ((cl = GetClient(a, interp, objv[2])) == NULL) {
            return TCL_ERROR;
        }
        return AgentWaitClient(a, interp, cl, timeoutMs, 0);
    }
    if (objc != 3) {
        Tcl_WrongNumArgs(interp, 2, objv, "handle");
        return TCL_ERROR;
    }
    if ((cl = GetClient(a, interp, objv[2])) == NULL) {
        return TCL_ERROR;
    }
    if (strcmp(sub, "cancel") == 0) {
        /* §9.1: a CANCEL copying the INVITE's Request-URI, Call-ID, From,
         * To, CSeq number and top Via, to the same target; the INVITE's
         * handle then gets its 487. */
        int rc = cl->uc ? siphon_ua_cancel(cl->uc, NULL, NULL, NULL)
                        : SIPHON_ESTATE;

        SiphonClockKick(interp);
        if (rc != 0) {
            Tcl_SetObjResult(interp, Tcl_NewStringObj(rc == SIPHON_ESTATE
                    ? "nothing to cancel: not an INVITE still in progress"
                    : siphon_strerror(rc), -1));
            Tcl_SetErrorCode(interp, "SIP", "STATE", "CANCEL", (char *) NULL);
            return TCL_ERROR;
        }
    } else if (strcmp(sub, "responses") == 0) {
        Tcl_SetObjResult(interp, cl->responsesPtr);
    } else if (strcmp(sub, "result") == 0) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj(cl->result, -1));
    } else {                    /* forget */
        AgentClientDrop(cl, 1);
    }
    return TCL_OK;
}

static int
HandlesCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    Tcl_HashSearch search;
    Tcl_HashEntry *hPtr;
    Tcl_Obj *listPtr = Tcl_NewListObj(0, NULL);

    if (objc != 2) {
        Tcl_WrongNumArgs(interp, 2, objv, "");
        return TCL_ERROR;
    }
    for (hPtr = Tcl_FirstHashEntry(&a->clients, &search); hPtr != NULL;
         hPtr = Tcl_NextHashEntry(&search)) {
        AgentClient *cl = Tcl_GetHashValue(hPtr);

        Tcl_ListObjAppendElement(NULL, listPtr,
                                 Tcl_NewStringObj(cl->name, -1));
    }
    Tcl_SetObjResult(interp, listPtr);
    return TCL_OK;
}

/* ---- expect ------------------------------------------------------------ */

typedef struct ExpectFilter {
    const char *method;         /* NULL: any */
    int status;                 /* 0: any; 1..6: class (Nxx); else exact */
    int hasTransport;
    siphon_transport transport;
    struct sockaddr_storage from;
    int hasFrom;
    AgentMsg *found;            /* Unlinked match. */
} ExpectFilter;

static int
Matches(const ExpectFilter *f, AgentMsg *e)
{
    siphon_msg *m = e->msg;

    if (f->method != NULL) {
        siphon_str meth;

        if (!siphon_msg_is_request(m)) {
            return 0;
        }
        meth = siphon_msg_method(m);
        if (meth.len != strlen(f->method)
                || memcmp(meth.p, f->method, meth.len) != 0) {
            return 0;
        }
    }
    if (f->status != 0) {
        int st;

        if (siphon_msg_is_request(m)) {
            return 0;
        }
        st = siphon_msg_status(m);
        if (f->status < 10 ? st / 100 != f->status : st != f->status) {
            return 0;
        }
    }
    if (f->hasTransport && e->flow.transport != f->transport) {
        return 0;
    }
    if (f->hasFrom
            && siphon_addr_cmp((const struct sockaddr *) &f->from,
                               (const struct sockaddr *) &e->flow.peer) != 0) {
        return 0;
    }
    return 1;
}

/* AgentDoneProc: unlinks the first inbox entry matching the filter. */
static int
ExpectDone(Agent *a, void *arg)
{
    ExpectFilter *f = arg;
    AgentMsg **pp, *prev = NULL;

    for (pp = &a->inHead; *pp != NULL; prev = *pp, pp = &(*pp)->nextPtr) {
        AgentMsg *e = *pp;

        if (Matches(f, e)) {
            *pp = e->nextPtr;
            if (a->inTail == e) {
                a->inTail = prev;
            }
            a->inCount--;
            e->nextPtr = NULL;
            f->found = e;
            return 1;
        }
    }
    return 0;
}

static int
ExpectCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    static const char *const options[] = {
        "-from", "-info", "-method", "-status", "-timeout", "-transport",
        NULL
    };
    enum { E_FROM, E_INFO, E_METHOD, E_STATUS, E_TIMEOUT, E_TRANSPORT };
    ExpectFilter f;
    Tcl_Obj *infoVar = NULL;
    int timeoutMs = EXPECT_TIMEOUT_MS, i, idx, r;

    memset(&f, 0, sizeof(f));
    i = 2;
    while (i < objc) {
        Tcl_Obj *v;

        if (AgentNextOption(interp, objc, objv, &i, options, NULL, &idx, &v)
                != TCL_OK) {
            return TCL_ERROR;
        }
        switch (idx) {
        case E_FROM:
            if (ParseAddr(interp, Tcl_GetString(v), &f.from) != TCL_OK) {
                return TCL_ERROR;
            }
            f.hasFrom = 1;
            break;
        case E_INFO: infoVar = v; break;
        case E_METHOD: f.method = Tcl_GetString(v); break;
        case E_STATUS: {
            const char *s = Tcl_GetString(v);
            int n;

            if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '6'
                    && (s[1] == 'x' || s[1] == 'X')
                    && (s[2] == 'x' || s[2] == 'X')) {
                f.status = s[0] - '0';
            } else if (Tcl_GetIntFromObj(NULL, v, &n) == TCL_OK
                       && n >= 100 && n <= 699) {
                f.status = n;
            } else {
                return SiphonUsageError(interp, "STATUS",
                        "bad status \"%s\": want 100..699 or a class such "
                        "as 2xx", s);
            }
            break;
        }
        case E_TIMEOUT:
            if (AgentMsPositive(interp, v, &timeoutMs) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case E_TRANSPORT:
            if (AgentTransportFromObj(interp, v, &f.transport) != TCL_OK) {
                return TCL_ERROR;
            }
            f.hasTransport = 1;
            break;
        }
    }

    Tcl_Preserve(a);
    r = AgentWait(a, ExpectDone, &f, timeoutMs);
    Tcl_Release(a);
    if (r == -3) {
        return AgentNestedError(interp);
    }
    if (r != 1) {
        if (r == 0) {
            Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                    "no matching message within %d ms", timeoutMs));
            Tcl_SetErrorCode(interp, "SIP", "TIMEOUT", "EXPECT",
                             (char *) NULL);
        } else {
            Tcl_SetObjResult(interp, Tcl_NewStringObj(
                    "agent destroyed while waiting", -1));
            Tcl_SetErrorCode(interp, "SIP", "GONE", (char *) NULL);
        }
        return TCL_ERROR;
    }
    if (infoVar != NULL) {
        Tcl_Obj *d = Tcl_NewDictObj();

        SiphonDictPut(d, "transport", Tcl_NewStringObj(
                AgentTransportLower(f.found->flow.transport), -1));
        SiphonDictPut(d, "src", AgentAddrObj(&f.found->flow.peer));
        SiphonDictPut(d, "dst", AgentAddrObj(&f.found->flow.local));
        SiphonDictPut(d, "time",
                      Tcl_NewWideIntObj((Tcl_WideInt) f.found->timeMs));
        if (Tcl_ObjSetVar2(interp, infoVar, NULL, d, TCL_LEAVE_ERR_MSG)
                == NULL) {
            /* put the message back at the head */
            f.found->nextPtr = a->inHead;
            a->inHead = f.found;
            if (a->inTail == NULL) {
                a->inTail = f.found;
            }
            a->inCount++;
            return TCL_ERROR;
        }
    }
    Tcl_SetObjResult(interp, SiphonNewMsgObj(f.found->msg)); /* takes ref */
    ckfree(f.found);
    return TCL_OK;
}

/* ---- respond ----------------------------------------------------------- */

/* A To tag that is the same for every response to one dialog's requests
 * (Call-ID and From tag), so that 180 and 200 agree, and reproducible. */
static void
DialogTag(siphon_msg *req, const char *salt, char *buf, size_t cap)
{
    uint64_t h = 1469598103934665603ULL;
    siphon_str cid = siphon_msg_call_id(req);
    const siphon_nameaddr *from = siphon_msg_from(req);
    size_t i;

#define FNV(c) (h = (h ^ (unsigned char) (c)) * 1099511628211ULL)
    for (i = 0; i < cid.len; i++) {
        FNV(cid.p[i]);
    }
    FNV(0);
    if (from != NULL && from->has_tag) {
        for (i = 0; i < from->tag.len; i++) {
            FNV(from->tag.p[i]);
        }
    }
    FNV(0);
    for (; *salt; salt++) {
        FNV(*salt);
    }
#undef FNV
    snprintf(buf, cap, "%016llx", (unsigned long long) h);
}

/* Builds the response of the long form of respond; TCL_OK with *out. */
static int
BuildResponse(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[],
              siphon_msg **out)
{
    static const char *const options[] = {
        "-body", "-header", "-totag", "-type", NULL
    };
    enum { R_BODY, R_HEADER, R_TOTAG, R_TYPE };
    int n = objc + 8, used = 0, i, idx, code, rc = TCL_ERROR;
    Tcl_DString *ds = (Tcl_DString *) ckalloc(sizeof(Tcl_DString) * n);
    siphon_str reason = SIPHON_STR_NULL, tag = SIPHON_STR_NULL;
    siphon_str body = SIPHON_STR_NULL, ctype = SIPHON_STR_NULL;
    Tcl_Obj *headers = NULL, *bodyObj = NULL;
    siphon_msg *req;
    siphon_msgb *b = NULL;
    siphon_perr err;
    char tagbuf[32];
    int hasBody = 0, hused = 0;
    Tcl_DString *hds = NULL;

#define BYTES(obj, dst) \
    (SiphonGetBytes(interp, (obj), &ds[used++], &(dst)) == TCL_OK)

    if (SiphonGetMsgFromObj(interp, objv[2], &req) != TCL_OK) {
        ckfree(ds);
        return TCL_ERROR;
    }
    siphon_msg_ref(req);
    if (!siphon_msg_is_request(req)) {
        rc = SiphonUsageError(interp, "NOTREQUEST",
                              "cannot answer a response");
        goto done;
    }
    if (Tcl_GetIntFromObj(NULL, objv[3], &code) != TCL_OK || code < 100
            || code > 699) {
        rc = SiphonUsageError(interp, "STATUS",
                "bad status \"%s\": want 100..699", Tcl_GetString(objv[3]));
        goto done;
    }
    i = 4;
    if (i < objc && Tcl_GetString(objv[i])[0] != '-') {
        if (!BYTES(objv[i], reason)) {
            goto done;
        }
        i++;
    }
    while (i < objc) {
        Tcl_Obj *v;

        if (AgentNextOption(interp, objc, objv, &i, options, NULL, &idx, &v)
                != TCL_OK) {
            goto done;
        }
        switch (idx) {
        case R_BODY: bodyObj = v; hasBody = 1; break;
        case R_HEADER: headers = v; break;
        case R_TOTAG:
            if (!BYTES(v, tag)) {
                goto done;
            }
            break;
        case R_TYPE:
            if (!BYTES(v, ctype)) {
                goto done;
            }
            break;
        }
    }
    if (tag.p == NULL) {
        DialogTag(req, Tcl_GetCommandName(interp, a->token), tagbuf,
                  sizeof(tagbuf));
        tag = siphon_str_make(tagbuf, strlen(tagbuf));
    }
    b = siphon_msgb_response_to(req, code, reason, tag);
    if (b == NULL) {
        rc = SiphonLibError(interp, "cannot build response", SIPHON_EINVAL);
        goto done;
    }
    if (headers != NULL) {
        Tcl_Obj **hv;
        Tcl_Size hc, k;

        if (Tcl_ListObjGetElements(interp, headers, &hc, &hv) != TCL_OK) {
            goto done;
        }
        if (hc % 2 != 0) {
            rc = SiphonUsageError(interp, "ARGS",
                    "header list must have an even number of elements");
            goto done;
        }
        /* The builder may keep views until finish: the bytes live in
         * hds (or in the list's elements, which objv keeps alive). */
        hds = (Tcl_DString *) ckalloc(sizeof(Tcl_DString) * (size_t) (hc + 1));
        for (k = 0; k < hc; k += 2) {
            siphon_str hn, hval;
            int e;

            if (SiphonGetBytes(interp, hv[k], &hds[hused++], &hn) != TCL_OK
                    || SiphonGetBytes(interp, hv[k + 1], &hds[hused++],
                                      &hval) != TCL_OK) {
                goto done;
            }
            e = siphon_msgb_add(b, hn, hval);
            if (e < 0) {
                rc = SiphonLibError(interp, "cannot add header", e);
                goto done;
            }
        }
    }
    if (hasBody) {
        int e;

        if (!BYTES(bodyObj, body)) {
            goto done;
        }
        e = siphon_msgb_set_body(b, ctype, body);
        if (e < 0) {
            rc = SiphonLibError(interp, "cannot set body", e);
            goto done;
        }
    }
    memset(&err, 0, sizeof(err));
    if ((code = siphon_msgb_finish(b, out, &err)) < 0) {
        rc = SiphonParseError(interp, "message", code, &err);
        goto done;
    }
    rc = TCL_OK;

done:
#undef BYTES
    siphon_msgb_free(b);
    siphon_msg_unref(req);
    for (i = 0; i < used; i++) {
        Tcl_DStringFree(&ds[i]);
    }
    ckfree(ds);
    for (i = 0; i < hused; i++) {
        Tcl_DStringFree(&hds[i]);
    }
    if (hds != NULL) {
        ckfree(hds);
    }
    return rc;
}

/* Why siphon_ua_respond refused a response (rc, not 0), as the error. */
static int
RespondError(Agent *a, Tcl_Interp *interp, int rc)
{
    if (rc == SIPHON_ENOENT && a->raw) {
        /* stateless: no listening point of the top Via's transport */
        Tcl_SetObjResult(interp, Tcl_NewStringObj(
                "no listening point for the transport of the response's "
                "top Via", -1));
        Tcl_SetErrorCode(interp, "SIP", "LOOKUP", "TRANSPORT", (char *) NULL);
    } else if (rc == SIPHON_ENOENT) {
        /* Outside raw mode a response goes only through its server
         * transaction, never statelessly. */
        Tcl_SetObjResult(interp, Tcl_NewStringObj(
                "no server transaction for this response (it ended, or "
                "the response matches no request)", -1));
        Tcl_SetErrorCode(interp, "SIP", "NOTXN", (char *) NULL);
    } else if (rc == SIPHON_ESTATE) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj(
                "the transaction takes no such response now (a second "
                "final response?)", -1));
        Tcl_SetErrorCode(interp, "SIP", "STATE", (char *) NULL);
    } else {
        return TransportError(interp, "cannot respond", rc);
    }
    return TCL_ERROR;
}

static int
RespondCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    siphon_msg *resp;
    int rc;

    if (objc < 3) {
        Tcl_WrongNumArgs(interp, 2, objv,
                "response | request status ?reason? ?-totag tag? "
                "?-header {name value ...}? ?-body text? ?-type ct?");
        return TCL_ERROR;
    }
    if (objc == 3) {
        if (SiphonGetMsgFromObj(interp, objv[2], &resp) != TCL_OK) {
            return TCL_ERROR;
        }
        if (siphon_msg_is_request(resp)) {
            return SiphonUsageError(interp, "NOTRESPONSE",
                    "respond needs a response, or a request and a status");
        }
        siphon_msg_ref(resp);
    } else if (BuildResponse(a, interp, objc, objv, &resp) != TCL_OK) {
        return TCL_ERROR;
    }

    rc = siphon_ua_respond(a->ua, NULL, resp);
    SiphonClockKick(interp);
    if (rc != 0) {
        siphon_msg_unref(resp);
        return RespondError(a, interp, rc);
    }
    Tcl_SetObjResult(interp, SiphonNewMsgObj(resp)); /* takes the ref */
    return TCL_OK;
}

/* ---- stats, inbox ------------------------------------------------------ */

static int
StatsCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    siphon_ua_stats s;
    Tcl_Obj *d;

    if (objc != 2) {
        Tcl_WrongNumArgs(interp, 2, objv, "");
        return TCL_ERROR;
    }
    siphon_ua_get_stats(a->ua, &s);
    d = Tcl_NewDictObj();
#define PUT(k, v) SiphonDictPut(d, k, Tcl_NewWideIntObj((Tcl_WideInt) (v)))
    PUT("rx_messages", s.rx_messages);
    PUT("tx_messages", s.tx_messages);
    PUT("rx_malformed", s.rx_malformed);
    PUT("rejected_400", s.rejected_400);
    PUT("tcp_switches", s.tcp_switches);
    PUT("failovers", s.failovers);
    PUT("transport_errors", s.transport_errors);
    PUT("server_errors", a->serverErrors);
    PUT("server_timeouts", a->serverTimeouts);
    PUT("inbox", a->inCount);
    PUT("transactions", siphon_txn_count(siphon_ua_txn_layer(a->ua)));
#undef PUT
    Tcl_SetObjResult(interp, d);
    return TCL_OK;
}

static int
InboxCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    size_t n = a->inCount;

    if (objc > 3 || (objc == 3
                     && strcmp(Tcl_GetString(objv[2]), "-clear") != 0)) {
        Tcl_WrongNumArgs(interp, 2, objv, "?-clear?");
        return TCL_ERROR;
    }
    if (objc == 3) {
        AgentInboxClear(a);
    }
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) n));
    return TCL_OK;
}

/* $a bindings AOR: the live bindings of a -registrar agent, best q
 * first, each a dict {contact uri expires seconds-left q n source flow}. */
static int
BindingsCmd(Agent *a, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    const siphon_reg_binding *b[128];
    uint64_t now = siphon_loop_now(a->loop);
    long n;
    Tcl_Obj *list;

    if (objc != 3) {
        Tcl_WrongNumArgs(interp, 2, objv, "aor");
        return TCL_ERROR;
    }
    if (a->reg == NULL) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj(
                "not a registrar: create the agent with -registrar 1", -1));
        Tcl_SetErrorCode(interp, "SIP", "STATE", "NOREGISTRAR", (char *) NULL);
        return TCL_ERROR;
    }
    n = siphon_reg_lookup(a->reg, siphon_str_c(Tcl_GetString(objv[2])), now,
                          b, sizeof b / sizeof *b);
    if (n < 0) {
        return SiphonUsageError(interp, "AOR", "bad address-of-record \"%s\"",
                                Tcl_GetString(objv[2]));
    }
    list = Tcl_NewListObj(0, NULL);
    for (long i = 0; i < n && i < (long) (sizeof b / sizeof *b); i++) {
        Tcl_Obj *d = Tcl_NewDictObj();

        SiphonDictPut(d, "contact", SiphonStrObj(b[i]->contact));
        SiphonDictPut(d, "expires", Tcl_NewWideIntObj((Tcl_WideInt)
                ((b[i]->expires_at > now ? b[i]->expires_at - now : 0)
                 / 1000)));
        SiphonDictPut(d, "q", Tcl_ObjPrintf("%u.%03u", b[i]->q / 1000,
                                            b[i]->q % 1000));
        SiphonDictPut(d, "source", SiphonStrObj(b[i]->source));
        Tcl_ListObjAppendElement(NULL, list, d);
    }
    Tcl_SetObjResult(interp, list);
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * AgentObjCmd --
 *	The object command of one agent: dispatches to the subcommands.
 *
 *----------------------------------------------------------------------
 */
int
AgentObjCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    static const char *const subs[] = {
        "addr", "bindings", "call", "cancel", "destroy", "dialog", "expect",
        "forget", "handles", "inbox", "message", "options",
        "register", "registrations", "request", "respond", "responses",
        "result", "send", "stats", "unregister", "uri", "wait", NULL
    };
    enum {
        S_ADDR, S_BINDINGS, S_CALL, S_CANCEL, S_DESTROY, S_DIALOG, S_EXPECT,
        S_FORGET, S_HANDLES, S_INBOX, S_MESSAGE, S_OPTIONS,
        S_REGISTER, S_REGISTRATIONS, S_REQUEST, S_RESPOND, S_RESPONSES,
        S_RESULT, S_SEND, S_STATS, S_UNREGISTER, S_URI, S_WAIT
    };
    Agent *a = clientData;
    int idx, rc = TCL_OK;

    if (objc < 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "subcommand ?arg ...?");
        return TCL_ERROR;
    }
    if (Tcl_GetIndexFromObj(interp, objv[1], subs, "subcommand", 0, &idx)
            != TCL_OK) {
        return TCL_ERROR;
    }
    Tcl_Preserve(a);
    switch (idx) {
    case S_ADDR: rc = AddrCmd(a, interp, objc, objv, 0); break;
    case S_BINDINGS: rc = BindingsCmd(a, interp, objc, objv); break;
    case S_CALL: rc = AgentCallCmd(a, interp, objc, objv); break;
    case S_MESSAGE: rc = AgentSimpleCmd(a, interp, objc, objv, "MESSAGE"); break;
    case S_OPTIONS: rc = AgentSimpleCmd(a, interp, objc, objv, "OPTIONS"); break;
    case S_CANCEL: rc = HandleCmd(a, interp, objc, objv, "cancel"); break;
    case S_DIALOG: rc = AgentDialogCmd(a, interp, objc, objv); break;
    case S_URI: rc = AddrCmd(a, interp, objc, objv, 1); break;
    case S_DESTROY:
        if (objc != 2) {
            Tcl_WrongNumArgs(interp, 2, objv, "");
            rc = TCL_ERROR;
        } else {
            Tcl_DeleteCommandFromToken(interp, a->token);
        }
        break;
    case S_EXPECT: rc = ExpectCmd(a, interp, objc, objv); break;
    case S_FORGET: rc = HandleCmd(a, interp, objc, objv, "forget"); break;
    case S_RESPONSES:
        rc = HandleCmd(a, interp, objc, objv, "responses");
        break;
    case S_RESULT: rc = HandleCmd(a, interp, objc, objv, "result"); break;
    case S_WAIT: rc = HandleCmd(a, interp, objc, objv, "wait"); break;
    case S_HANDLES: rc = HandlesCmd(a, interp, objc, objv); break;
    case S_INBOX: rc = InboxCmd(a, interp, objc, objv); break;
    case S_REGISTER: rc = AgentRegisterCmd(a, interp, objc, objv); break;
    case S_REGISTRATIONS:
        rc = AgentRegistrationsCmd(a, interp, objc, objv);
        break;
    case S_UNREGISTER: rc = AgentUnregisterCmd(a, interp, objc, objv); break;
    case S_REQUEST: rc = RequestCmd(a, interp, objc, objv); break;
    case S_RESPOND: rc = RespondCmd(a, interp, objc, objv); break;
    case S_SEND: rc = SendCmd(a, interp, objc, objv); break;
    case S_STATS: rc = StatsCmd(a, interp, objc, objv); break;
    }
    Tcl_Release(a);
    return rc;
}
