/*
 * tcl_agent.c --
 *
 *	sip::agent: a SIP endpoint (siphon/ua.h, RFC 3261 §17 transactions
 *	over the §18 transports) as a Tcl object command, for tests that
 *	talk to a peer: send raw bytes, run client transactions, answer
 *	requests through server transactions, and wait for what arrives.
 *
 *	sip::agent create ?NAME? ?-udp ADDR? ?-tcp ADDR? ?-tls ADDR? ?-ws ADDR?
 *	    ?-wss ADDR? ?-cert FILE -key FILE? ?-cafile FILE? ?-insecure BOOL?
 *	    ?-tlsmin 1.2|1.3? ?-tlsmax 1.2|1.3? ?-keylog FILE? ?-raw BOOL?
 *	    ?-t1 MS? ?-t2 MS? ?-t4 MS? ?-trying MS|never? ?-udpmax BYTES?
 *	    ?-dns SERVERS? ?-pcap FILE? ?-hep ADDR?
 *
 *	This file holds the life cycle, the endpoint's callbacks and the
 *	waiting; the subcommands are in tcl_agent_cmds.c.
 *
 *	The endpoint runs on the interpreter's siphon_loop (tcl_clock.c), so
 *	[vwait], [update] and the waits here drive it, and sip::clock's
 *	virtual time drives its transaction timers. No script ever runs
 *	inside an endpoint callback: requests and strays are queued in the
 *	inbox, responses are stored on their handle, and -command scripts
 *	are posted to Tcl's event queue. So a script may wait, send or
 *	destroy the agent from anywhere without re-entering the endpoint.
 */

#include "tcl_agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int AgentCreateCmd(void *clientData, Tcl_Interp *interp, int objc,
                          Tcl_Obj *const objv[]);
static void AgentDeleteProc(void *clientData);
static void AgentFreeProc(char *blockPtr);
static void ClientFreeProc(char *blockPtr);
static void OnRequest(void *arg, siphon_ua *ua, siphon_txn *stx,
                      siphon_msg *req, const siphon_ua_flow *from);
static void OnStray(void *arg, siphon_ua *ua, siphon_msg *m,
                    const siphon_ua_flow *from);
static void OnServerError(void *arg, siphon_ua *ua, siphon_txn *stx, int err);
static int CommandEventProc(Tcl_Event *evPtr, int flags);
static void WaitTimerProc(void *clientData);

static const SiphonSubcmd agentCmds[] = {
    {"create", AgentCreateCmd},
    {NULL, NULL}
};

/*
 *----------------------------------------------------------------------
 *
 * SiphonAgentInit --
 *	Creates the sip::agent ensemble. No loop or socket is made until an
 *	agent is created.
 *
 *----------------------------------------------------------------------
 */
int
SiphonAgentInit(Tcl_Interp *interp, SiphonInterp *state)
{
    return SiphonMakeEnsemble(interp, state, "::sip::agent", agentCmds);
}

/* ---- small helpers shared with tcl_agent_cmds.c ------------------- */

/* A transport name in any case ("udp", "TLS"); {SIP USAGE TRANSPORT}. */
int
AgentTransportFromObj(Tcl_Interp *interp, Tcl_Obj *objPtr,
                      siphon_transport *out)
{
    Tcl_Size len;
    const char *s = Tcl_GetStringFromObj(objPtr, &len);

    if (siphon_transport_parse(siphon_str_make(s, (size_t) len), out) != 0) {
        return SiphonUsageError(interp, "TRANSPORT",
                "bad transport \"%s\": must be udp, tcp, tls, ws or wss", s);
    }
    return TCL_OK;
}

/* "udp", "tcp"... as scripts write them. */
const char *
AgentTransportLower(siphon_transport t)
{
    switch (t) {
    case SIPHON_RESOLVE_UDP: return "udp";
    case SIPHON_RESOLVE_TCP: return "tcp";
    case SIPHON_RESOLVE_TLS: return "tls";
    case SIPHON_RESOLVE_WS: return "ws";
    case SIPHON_RESOLVE_WSS: return "wss";
    }
    return "?";
}

/* "ip:port" or "[v6]:port"; "" for an unset address. */
Tcl_Obj *
AgentAddrObj(const struct sockaddr_storage *ss)
{
    char buf[SIPHON_ADDR_STRLEN];

    if (siphon_addr_format((const struct sockaddr *) ss, buf,
                           sizeof(buf)) < 0) {
        return Tcl_NewObj();
    }
    return Tcl_NewStringObj(buf, -1);
}

/* A millisecond count >= 0 that fits an int; {SIP USAGE TIMEOUT}. */
int
AgentMsPositive(Tcl_Interp *interp, Tcl_Obj *objPtr, int *msPtr)
{
    int ms;

    if (Tcl_GetIntFromObj(NULL, objPtr, &ms) != TCL_OK || ms < 0) {
        return SiphonUsageError(interp, "TIMEOUT",
                "bad time \"%s\": want milliseconds (an integer >= 0)",
                Tcl_GetString(objPtr));
    }
    *msPtr = ms;
    return TCL_OK;
}

/*
 * One option of an "-option value ..." list, for every subcommand that
 * takes one, so that all of them name a bad option and a missing value
 * alike. Looks objv[*iPtr] up in options (NULL-terminated) and sets
 * *idxPtr to its index and *valuePtr to the word after it; an option
 * also named in flags (NULL-terminated; NULL: none) takes no value and
 * gets NULL. *iPtr moves past what was taken. An unknown option is
 * Tcl_GetIndexFromObj's error, a missing value {SIP USAGE ARGS}.
 */
int
AgentNextOption(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[],
                int *iPtr, const char *const options[],
                const char *const flags[], int *idxPtr, Tcl_Obj **valuePtr)
{
    int i = *iPtr;

    if (Tcl_GetIndexFromObj(interp, objv[i], options, "option", 0, idxPtr)
            != TCL_OK) {
        return TCL_ERROR;
    }
    for (; flags != NULL && *flags != NULL; flags++) {
        if (strcmp(*flags, options[*idxPtr]) == 0) {
            *valuePtr = NULL;
            *iPtr = i + 1;
            return TCL_OK;
        }
    }
    if (i + 1 >= objc) {
        return SiphonUsageError(interp, "ARGS", "option %s needs a value",
                                options[*idxPtr]);
    }
    *valuePtr = objv[i + 1];
    *iPtr = i + 2;
    return TCL_OK;
}

/* Drops every message waiting in the inbox. */
void
AgentInboxClear(Agent *a)
{
    while (a->inHead != NULL) {
        AgentMsg *e = a->inHead;

        a->inHead = e->nextPtr;
        siphon_msg_unref(e->msg);
        ckfree(e);
    }
    a->inTail = NULL;
    a->inCount = 0;
}

/* ---- waiting -------------------------------------------------------- */

static void
WaitTimerProc(void *clientData)
{
    *(int *) clientData = 1;
}

/*
 *----------------------------------------------------------------------
 *
 * AgentWait --
 *	Runs Tcl's event loop (like [vwait]: the stack's loop, timers, file
 *	events, queued -command scripts) until done(a, arg) holds or
 *	timeoutMs of wall time have passed. The caller must hold
 *	Tcl_Preserve(a).
 *
 * Results:
 *	1 done, 0 wall timeout, -1 the agent was destroyed meanwhile, -2
 *	the interpreter is being deleted or hit a limit, -3 called from
 *	inside the stack's loop (a [sip::clock after] script), where the
 *	loop cannot run.
 *
 *----------------------------------------------------------------------
 */
int
AgentNestedError(Tcl_Interp *interp)
{
    Tcl_SetObjResult(interp, Tcl_NewStringObj(
            "cannot wait for the network inside a sip::clock after script: "
            "the stack's loop is running that script", -1));
    Tcl_SetErrorCode(interp, "SIP", "STATE", "NESTED", (char *) NULL);
    return TCL_ERROR;
}

int
AgentWaitFailed(Tcl_Interp *interp, int r, int timeoutMs, const char *what,
                const char *gone)
{
    switch (r) {
    case -3:
        return AgentNestedError(interp);
    case -1:
    case 1:
        Tcl_SetObjResult(interp, Tcl_NewStringObj(
                r == -1 ? "agent destroyed while waiting" : gone, -1));
        Tcl_SetErrorCode(interp, "SIP", "GONE", (char *) NULL);
        return TCL_ERROR;
    case 0:
        Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                "no final response%s%s within %d ms (wall clock)",
                what ? " to " : "", what ? what : "", timeoutMs));
        Tcl_SetErrorCode(interp, "SIP", "TIMEOUT", "WALL", (char *) NULL);
        return TCL_ERROR;
    default:
        Tcl_SetObjResult(interp, Tcl_NewStringObj("interrupted", -1));
        Tcl_SetErrorCode(interp, "SIP", "GONE", (char *) NULL);
        return TCL_ERROR;
    }
}

int
AgentWait(Agent *a, AgentDoneProc *done, void *arg, int timeoutMs)
{
    Tcl_Interp *interp = a->interp;
    int expired = 0, r;
    Tcl_TimerToken timer;

    if (done(a, arg)) {
        return 1;
    }
    /* Inside one of the stack's own callbacks (a [sip::clock after]
     * script) the loop cannot run again, so nothing could ever arrive. */
    if (siphon_loop_dispatching(SiphonGetLoop(interp))) {
        return -3;
    }
    timer = Tcl_CreateTimerHandler(timeoutMs, WaitTimerProc, &expired);
    for (;;) {
        Tcl_DoOneEvent(TCL_ALL_EVENTS);
        if (a->deleted) {
            r = -1;
            break;
        }
        if (done(a, arg)) {
            r = 1;
            break;
        }
        if (expired) {
            r = 0;
            break;
        }
        if (Tcl_InterpDeleted(interp) || Tcl_LimitExceeded(interp)) {
            r = -2;
            break;
        }
    }
    if (!expired) {
        Tcl_DeleteTimerHandler(timer);
    }
    return r;
}

/* ---- endpoint callbacks: never run scripts ------------------------ */

static void
InboxPush(Agent *a, siphon_msg *m, const siphon_ua_flow *from)
{
    AgentMsg *e = (AgentMsg *) ckalloc(sizeof(*e));

    memset(e, 0, sizeof(*e));
    e->msg = siphon_msg_ref(m);
    if (from != NULL) {
        e->flow = *from;
    }
    e->timeMs = siphon_loop_now(a->loop);
    if (a->inTail != NULL) {
        a->inTail->nextPtr = e;
    } else {
        a->inHead = e;
    }
    a->inTail = e;
    a->inCount++;
}

static void
OnRequest(void *arg, siphon_ua *ua, siphon_txn *stx, siphon_msg *req,
          const siphon_ua_flow *from)
{
    (void) ua;
    (void) stx; /* found again from the response: siphon_ua_respond(NULL) */
    InboxPush(arg, req, from);
}

static void
OnStray(void *arg, siphon_ua *ua, siphon_msg *m, const siphon_ua_flow *from)
{
    (void) ua;
    InboxPush(arg, m, from);
}

static void
OnServerError(void *arg, siphon_ua *ua, siphon_txn *stx, int err)
{
    Agent *a = arg;
    (void) ua;
    (void) stx;
    a->serverErrors++;
    if (err == SIPHON_ETIMEDOUT) {
        a->serverTimeouts++;
    }
}

/* A -command call waiting in Tcl's event queue. */
typedef struct CommandEvent {
    Tcl_Event header;
    AgentClient *cl;            /* Preserved. */
    Agent *a;                   /* Preserved. */
    Tcl_Obj *respPtr;           /* The response or NULL (own ref). */
    const char *event;          /* "provisional", "final", "timeout"... */
} CommandEvent;

/* The word [$a result] gives for how a client transaction ended. */
static const char *
ResultWord(int err)
{
    switch (err) {
    case 0: return "final";
    case SIPHON_ETIMEDOUT: return "timeout";
    case SIPHON_EIO: return "transport-error";
    case SIPHON_ETLS: return "tls-error";
    case SIPHON_ENOENT: return "no-target";
    default: return "error";
    }
}

/*
 *----------------------------------------------------------------------
 *
 * AgentOnResponse --
 *	The siphon_ua_response_fn of every [$a request]: stores the
 *	response on the handle, records the end, and posts the -command
 *	call to Tcl's event queue (never evaluated here: this runs inside
 *	the stack's loop).
 *
 *----------------------------------------------------------------------
 */
void
AgentOnResponse(void *arg, siphon_ua_client *c, siphon_msg *resp, int err,
                bool final)
{
    AgentClient *cl = arg;
    Tcl_Obj *respPtr = NULL;
    const char *event;
    (void) c;

    if (resp != NULL) {
        respPtr = SiphonNewMsgObj(siphon_msg_ref(resp));
        if (Tcl_IsShared(cl->responsesPtr)) {
            Tcl_Obj *dup = Tcl_DuplicateObj(cl->responsesPtr);

            Tcl_IncrRefCount(dup);
            Tcl_DecrRefCount(cl->responsesPtr);
            cl->responsesPtr = dup;
        }
        Tcl_ListObjAppendElement(NULL, cl->responsesPtr, respPtr);
        event = final ? "final" : "provisional";
    } else {
        event = ResultWord(err == 0 ? SIPHON_EINVAL : err);
    }
    if (final) {
        cl->done = 1;
        cl->uc = NULL;          /* the endpoint forgets it after this call */
        cl->err = resp != NULL ? 0 : (err != 0 ? err : SIPHON_EINVAL);
        cl->result = ResultWord(cl->err);
    }
    if (cl->commandPtr != NULL && !cl->silenced) {
        CommandEvent *e = (CommandEvent *) ckalloc(sizeof(*e));

        e->header.proc = CommandEventProc;
        e->header.nextPtr = NULL;
        e->cl = cl;
        e->a = cl->agentPtr;
        e->respPtr = respPtr;
        e->event = event;
        if (respPtr != NULL) {
            Tcl_IncrRefCount(respPtr);
        }
        Tcl_Preserve(e->a);
        Tcl_Preserve(cl);
        Tcl_QueueEvent(&e->header, TCL_QUEUE_TAIL);
    }
}

/*
 * Runs one -command call: SCRIPT handle response-or-empty event, at
 * global level; errors go to the background error handler. Skipped when
 * the agent or the handle went in the meantime.
 */
static int
CommandEventProc(Tcl_Event *evPtr, int flags)
{
    CommandEvent *e = (CommandEvent *) evPtr;
    Agent *a = e->a;
    AgentClient *cl = e->cl;

    if (!(flags & TCL_FILE_EVENTS)) {
        return 0;
    }
    if (!a->deleted && !cl->silenced && cl->commandPtr != NULL) {
        Tcl_Interp *interp = a->interp;
        Tcl_Obj *cmdPtr = Tcl_DuplicateObj(cl->commandPtr);
        int code;

        Tcl_IncrRefCount(cmdPtr);
        Tcl_ListObjAppendElement(NULL, cmdPtr,
                                 Tcl_NewStringObj(cl->name, -1));
        Tcl_ListObjAppendElement(NULL, cmdPtr,
                e->respPtr != NULL ? e->respPtr : Tcl_NewObj());
        Tcl_ListObjAppendElement(NULL, cmdPtr,
                                 Tcl_NewStringObj(e->event, -1));
        Tcl_Preserve(interp);
        code = Tcl_EvalObjEx(interp, cmdPtr, TCL_EVAL_GLOBAL);
        if (code != TCL_OK) {
            Tcl_BackgroundException(interp, code);
        }
        Tcl_Release(interp);
        Tcl_DecrRefCount(cmdPtr);
    }
    if (e->respPtr != NULL) {
        Tcl_DecrRefCount(e->respPtr);
    }
    Tcl_Release(cl);
    Tcl_Release(a);
    return 1;
}

/* ---- client handles ------------------------------------------------ */

/* A new pending handle "reqN" in the agent's table. */
AgentClient *
AgentClientNew(Agent *a, Tcl_Obj *commandPtr)
{
    AgentClient *cl = (AgentClient *) ckalloc(sizeof(*cl));
    int isNew;

    memset(cl, 0, sizeof(*cl));
    cl->agentPtr = a;
    do {
        snprintf(cl->name, sizeof(cl->name), "req%lu", ++a->clientSeq);
        cl->hPtr = Tcl_CreateHashEntry(&a->clients, cl->name, &isNew);
    } while (!isNew);
    Tcl_SetHashValue(cl->hPtr, cl);
    cl->responsesPtr = Tcl_NewListObj(0, NULL);
    Tcl_IncrRefCount(cl->responsesPtr);
    if (commandPtr != NULL) {
        cl->commandPtr = commandPtr;
        Tcl_IncrRefCount(commandPtr);
    }
    cl->result = "pending";
    return cl;
}

/*
 * Release a handle: its name goes, the endpoint never calls back for it
 * again (the transaction itself runs on), and the memory goes when no
 * wait or queued -command call holds it. silence also cancels the
 * -command calls still queued ([$a forget], an expired guard, the
 * agent's end); a synchronous request that ended releases its handle
 * without silencing, so its last calls still run.
 */
void
AgentClientDrop(AgentClient *cl, int silence)
{
    if (silence) {
        cl->silenced = 1;
    }
    if (cl->released) {
        return;
    }
    cl->released = 1;
    if (cl->uc != NULL) {
        if (!cl->agentPtr->deleted) {
            siphon_ua_client_forget(cl->uc);
        }
        cl->uc = NULL;
        cl->silenced = 1;
    }
    if (cl->hPtr != NULL) {
        Tcl_DeleteHashEntry(cl->hPtr);
        cl->hPtr = NULL;
    }
    Tcl_EventuallyFree(cl, ClientFreeProc);
}

static void
ClientFreeProc(char *blockPtr)
{
    AgentClient *cl = (AgentClient *) blockPtr;

    Tcl_DecrRefCount(cl->responsesPtr);
    if (cl->commandPtr != NULL) {
        Tcl_DecrRefCount(cl->commandPtr);
    }
    ckfree(cl);
}

/* ---- life cycle ---------------------------------------------------- */

/*
 * The command goes ([$a destroy], [rename $a {}], the namespace or the
 * interpreter going): the endpoint is freed (no callback runs after
 * this), pending handles are forgotten, queued messages dropped.
 */
static void
AgentDeleteProc(void *clientData)
{
    Agent *a = clientData;
    Tcl_HashSearch search;
    Tcl_HashEntry *hPtr;

    a->deleted = 1;
    AgentRegistrationsFree(a);  /* before the endpoint they use */
    siphon_ua_free(a->ua);
    a->ua = NULL;
    while ((hPtr = Tcl_FirstHashEntry(&a->clients, &search)) != NULL) {
        AgentClient *cl = Tcl_GetHashValue(hPtr);

        cl->uc = NULL;  /* died with the endpoint */
        AgentClientDrop(cl, 1);
    }
    Tcl_DeleteHashTable(&a->clients);
    AgentInboxClear(a);
    if (a->pcap != NULL) {
        (void) siphon_pcap_writer_close(a->pcap);
        a->pcap = NULL;
    }
    siphon_tls_ctx_free(a->tls);
    a->tls = NULL;
    Tcl_EventuallyFree(a, AgentFreeProc);
}

static void
AgentFreeProc(char *blockPtr)
{
    Agent *a = (Agent *) blockPtr;

    for (int k = 0; k < 3; k++) {
        if (a->uasLists[k] != NULL) {
            ckfree((char *) a->uasLists[k]);
        }
    }
    /* The endpoint that borrowed these is gone by now. */
    siphon_reg_free(a->reg);
    siphon_auth_server_free(a->authSrv);
    siphon_auth_users_free(a->users);
    if (a->dnsServers != NULL) {
        ckfree(a->dnsServers);
    }
    ckfree(a);
}

/* ---- sip::agent create ---------------------------------------------- */

/* What create collected from its options before anything is opened. */
typedef struct CreateOpts {
    struct {
        siphon_transport t;
        Tcl_Obj *addrPtr;
    } listen[AGENT_MAX_LP];
    int nlisten;
    siphon_tls_config tls;
    int wantTls;                /* a TLS option or a TLS/WSS listener */
    int needCert;               /* a TLS/WSS listener */
    siphon_ua_config cfg;
    const char *dns;
    const char *pcap;
    const char *hep;
    int uas;                    /* -uas or one of its lists was given */
    int registrar;              /* -registrar */
    const char *realm;          /* -realm */
    const char *usersFile;      /* -users */
    Tcl_Obj *algosPtr;          /* -algorithms */
    Tcl_Obj *uasLists[3];       /* -allow, -supported, -accept */
} CreateOpts;

static int
GetTlsVersion(Tcl_Interp *interp, Tcl_Obj *objPtr, siphon_tls_version *out)
{
    const char *s = Tcl_GetString(objPtr);

    if (strcmp(s, "1.2") == 0) {
        *out = SIPHON_TLS_1_2;
    } else if (strcmp(s, "1.3") == 0) {
        *out = SIPHON_TLS_1_3;
    } else {
        return SiphonUsageError(interp, "TLSVERSION",
                "bad TLS version \"%s\": must be 1.2 or 1.3", s);
    }
    return TCL_OK;
}

static int
GetTimerMs(Tcl_Interp *interp, Tcl_Obj *objPtr, uint32_t *out)
{
    int ms;

    if (AgentMsPositive(interp, objPtr, &ms) != TCL_OK) {
        return TCL_ERROR;
    }
    *out = (uint32_t) ms;
    return TCL_OK;
}

/*
 * -registrar: the endpoint answers REGISTER itself (RFC 3261 §10.3) from
 * a location service, and with -users authenticates it with digest
 * (§22): one challenge per -algorithms entry, in that order (RFC 8760;
 * MD5 first for SIPp and sipsak, which read only the first).
 */
static int
StartRegistrar(Tcl_Interp *interp, Agent *a, const CreateOpts *o)
{
    siphon_reg_config rc = SIPHON_REG_CONFIG_DEFAULT;
    siphon_ua_registrar r;
    const char *realm = o->realm ? o->realm : "siphon";
    int err = 0;

    memset(&r, 0, sizeof(r));
    a->reg = siphon_reg_new(&rc);
    if (a->reg == NULL) {
        return SiphonLibError(interp, "cannot make the registrar",
                              SIPHON_ENOMEM);
    }
    r.reg = a->reg;
    if (o->usersFile != NULL) {
        siphon_auth_server_config sc;
        siphon_perr perr;
        int rc2 = siphon_auth_users_load(o->usersFile, realm, &a->users,
                                         &perr);

        if (rc2 != 0) {
            Tcl_SetObjResult(interp, Tcl_ObjPrintf("cannot use users file: %s",
                                                   perr.text));
            Tcl_SetErrorCode(interp, "SIP", "USERS", siphon_errname(rc2),
                             (char *) NULL);
            return TCL_ERROR;
        }
        siphon_auth_server_config_default(&sc);
        sc.realm = realm;
        sc.rng = siphon_auth_rng_openssl;
        if (o->algosPtr != NULL) {
            Tcl_Size n;
            Tcl_Obj **elems;

            if (Tcl_ListObjGetElements(interp, o->algosPtr, &n, &elems)
                    != TCL_OK) {
                return TCL_ERROR;
            }
            if (n < 1 || n > SIPHON_AUTH__ALGO_COUNT) {
                return SiphonUsageError(interp, "ALGORITHM",
                        "-algorithms wants 1 to %d names",
                        SIPHON_AUTH__ALGO_COUNT);
            }
            for (Tcl_Size i = 0; i < n; i++) {
                const char *s = Tcl_GetString(elems[i]);

                if (siphon_auth_algo_lookup(siphon_str_c(s),
                                            &sc.algos[i]) != 0) {
                    return SiphonUsageError(interp, "ALGORITHM",
                            "unknown digest algorithm \"%s\": want MD5, "
                            "SHA-256, SHA-512-256 or a -sess variant", s);
                }
            }
            sc.nalgos = (size_t) n;
        }
        a->authSrv = siphon_auth_server_new(&sc, &err);
        if (a->authSrv == NULL) {
            return SiphonLibError(interp, "cannot make the digest server",
                                  err ? err : SIPHON_ENOMEM);
        }
        r.auth = a->authSrv;
        r.lookup = siphon_auth_users_lookup;
        r.lookup_arg = a->users;
    }
    siphon_ua_set_registrar(a->ua, &r);
    return TCL_OK;
}

static int
ParseCreateOpts(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int i,
                CreateOpts *o)
{
    static const char *const options[] = {
        "-cafile", "-cert", "-dns", "-hep", "-insecure", "-key", "-keylog",
        "-pcap", "-raw", "-t1", "-t2", "-t4", "-tcp", "-tls", "-tlsmax",
        "-tlsmin", "-trying", "-udp", "-udpmax", "-ws", "-wss",
        "-uas", "-allow", "-supported", "-accept",
        "-registrar", "-realm", "-users", "-algorithms", "-dialogs", NULL
    };
    enum {
        O_CAFILE, O_CERT, O_DNS, O_HEP, O_INSECURE, O_KEY, O_KEYLOG,
        O_PCAP, O_RAW, O_T1, O_T2, O_T4, O_TCP, O_TLS, O_TLSMAX,
        O_TLSMIN, O_TRYING, O_UDP, O_UDPMAX, O_WS, O_WSS,
        O_UAS, O_ALLOW, O_SUPPORTED, O_ACCEPT,
        O_REGISTRAR, O_REALM, O_USERS, O_ALGORITHMS, O_DIALOGS
    };
    int idx, b;

    while (i < objc) {
        Tcl_Obj *v;
        siphon_transport t = 0;

        if (AgentNextOption(interp, objc, objv, &i, options, NULL, &idx, &v)
                != TCL_OK) {
            return TCL_ERROR;
        }
        switch (idx) {
        case O_UDP: t = SIPHON_RESOLVE_UDP; break;
        case O_TCP: t = SIPHON_RESOLVE_TCP; break;
        case O_TLS: t = SIPHON_RESOLVE_TLS; break;
        case O_WS: t = SIPHON_RESOLVE_WS; break;
        case O_WSS: t = SIPHON_RESOLVE_WSS; break;
        case O_CERT: o->tls.cert_file = Tcl_GetString(v); o->wantTls = 1; break;
        case O_KEY: o->tls.key_file = Tcl_GetString(v); o->wantTls = 1; break;
        case O_CAFILE: o->tls.ca_file = Tcl_GetString(v); o->wantTls = 1; break;
        case O_KEYLOG:
            o->tls.keylog_file = Tcl_GetString(v);
            o->wantTls = 1;
            break;
        case O_INSECURE:
            if (Tcl_GetBooleanFromObj(interp, v, &b) != TCL_OK) {
                return TCL_ERROR;
            }
            o->tls.insecure = b != 0;
            o->wantTls = 1;
            break;
        case O_TLSMIN:
            if (GetTlsVersion(interp, v, &o->tls.min_version) != TCL_OK) {
                return TCL_ERROR;
            }
            o->wantTls = 1;
            break;
        case O_TLSMAX:
            if (GetTlsVersion(interp, v, &o->tls.max_version) != TCL_OK) {
                return TCL_ERROR;
            }
            o->wantTls = 1;
            break;
        case O_RAW:
            if (Tcl_GetBooleanFromObj(interp, v, &b) != TCL_OK) {
                return TCL_ERROR;
            }
            o->cfg.raw = b != 0;
            break;
        case O_T1:
            if (GetTimerMs(interp, v, &o->cfg.txn.t1_ms) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case O_T2:
            if (GetTimerMs(interp, v, &o->cfg.txn.t2_ms) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case O_T4:
            if (GetTimerMs(interp, v, &o->cfg.txn.t4_ms) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case O_TRYING:
            if (strcmp(Tcl_GetString(v), "never") == 0) {
                o->cfg.txn.trying_ms = SIPHON_TXN_NO_AUTO_100;
            } else if (GetTimerMs(interp, v, &o->cfg.txn.trying_ms)
                       != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case O_UDPMAX: {
            int n;

            if (Tcl_GetIntFromObj(NULL, v, &n) != TCL_OK || n < 0) {
                return SiphonUsageError(interp, "ARGS",
                        "bad size \"%s\": want bytes (an integer >= 0)",
                        Tcl_GetString(v));
            }
            o->cfg.udp_max_request = (size_t) n;
            break;
        }
        case O_UAS:
            if (Tcl_GetBooleanFromObj(interp, v, &b) != TCL_OK) {
                return TCL_ERROR;
            }
            o->uas = b;
            break;
        case O_ALLOW:
        case O_SUPPORTED:
        case O_ACCEPT:
            o->uasLists[idx - O_ALLOW] = v;
            o->uas = 1;
            break;
        case O_REGISTRAR:
            if (Tcl_GetBooleanFromObj(interp, v, &b) != TCL_OK) {
                return TCL_ERROR;
            }
            o->registrar = b;
            break;
        case O_DIALOGS:
            if (Tcl_GetBooleanFromObj(interp, v, &b) != TCL_OK) {
                return TCL_ERROR;
            }
            o->cfg.dialogs = b != 0;
            break;
        case O_REALM: o->realm = Tcl_GetString(v); o->registrar = 1; break;
        case O_USERS: o->usersFile = Tcl_GetString(v); o->registrar = 1; break;
        case O_ALGORITHMS: o->algosPtr = v; o->registrar = 1; break;
        case O_DNS: o->dns = Tcl_GetString(v); break;
        case O_PCAP: o->pcap = Tcl_GetString(v); break;
        case O_HEP: o->hep = Tcl_GetString(v); break;
        }
        if (t != 0) {
            if (o->nlisten == AGENT_MAX_LP) {
                return SiphonUsageError(interp, "ARGS",
                        "too many listening points (at most %d)",
                        AGENT_MAX_LP);
            }
            o->listen[o->nlisten].t = t;
            o->listen[o->nlisten].addrPtr = v;
            o->nlisten++;
            if (t == SIPHON_RESOLVE_TLS || t == SIPHON_RESOLVE_WSS) {
                o->wantTls = o->needCert = 1;
            }
        }
    }
    if (o->nlisten == 0) {
        return SiphonUsageError(interp, "ARGS",
                "an agent needs at least one of -udp, -tcp, -tls, -ws or "
                "-wss");
    }
    if (o->needCert && (o->tls.cert_file == NULL
                        || o->tls.key_file == NULL)) {
        return SiphonUsageError(interp, "ARGS",
                "-tls and -wss need -cert and -key");
    }
    return TCL_OK;
}

/* Where the new command goes: NAME as given (relative to the current
 * namespace), else the first free ::sip::agentN. */
static void
CommandName(Tcl_Interp *interp, SiphonInterp *state, Tcl_Obj *nameObj,
            Tcl_DString *dsPtr)
{
    Tcl_DStringInit(dsPtr);
    if (nameObj != NULL) {
        const char *name = Tcl_GetString(nameObj);

        if (strncmp(name, "::", 2) != 0) {
            Tcl_Namespace *ns = Tcl_GetCurrentNamespace(interp);

            Tcl_DStringAppend(dsPtr, ns->fullName, -1);
            if (strcmp(ns->fullName, "::") != 0) {
                Tcl_DStringAppend(dsPtr, "::", 2);
            }
        }
        Tcl_DStringAppend(dsPtr, name, -1);
        return;
    }
    for (;;) {
        char buf[64];
        Tcl_CmdInfo info;

        snprintf(buf, sizeof(buf), "::sip::agent%lu", ++state->agentSeq);
        if (!Tcl_GetCommandInfo(interp, buf, &info)) {
            Tcl_DStringAppend(dsPtr, buf, -1);
            return;
        }
    }
}

/*
 *----------------------------------------------------------------------
 *
 * AgentCreateCmd --
 *	sip::agent create ?NAME? ?options?
 *
 * Results:
 *	The fully qualified name of the new object command.
 *
 * Side effects:
 *	Opens the listening points (in the order given; the first of each
 *	transport is the one requests go out on), the TLS context, the
 *	capture file and the HEP mirror.
 *
 *----------------------------------------------------------------------
 */
static int
AgentCreateCmd(void *clientData, Tcl_Interp *interp, int objc,
               Tcl_Obj *const objv[])
{
    SiphonInterp *state = clientData;
    siphon_ua_handlers h;
    CreateOpts o;
    Tcl_Obj *nameObj = NULL;
    Tcl_DString name;
    Tcl_CmdInfo info;
    siphon_loop *loop;
    Agent *a;
    int i = 1, k, rc;

    if (objc >= 2 && Tcl_GetString(objv[1])[0] != '-') {
        nameObj = objv[1];
        i = 2;
    }
    memset(&o, 0, sizeof(o));
    siphon_ua_config_default(&o.cfg);
    siphon_tls_config_default(&o.tls);
    if (ParseCreateOpts(interp, objc, objv, i, &o) != TCL_OK) {
        return TCL_ERROR;
    }
    CommandName(interp, state, nameObj, &name);
    if (Tcl_GetCommandInfo(interp, Tcl_DStringValue(&name), &info)) {
        SiphonUsageError(interp, "EXISTS",
                "cannot create agent \"%s\": command already exists",
                Tcl_DStringValue(&name));
        Tcl_DStringFree(&name);
        return TCL_ERROR;
    }
    loop = SiphonGetLoop(interp);
    if (loop == NULL) {
        Tcl_DStringFree(&name);
        return TCL_ERROR;
    }

    a = (Agent *) ckalloc(sizeof(*a));
    memset(a, 0, sizeof(*a));
    a->interp = interp;
    a->loop = loop;
    a->raw = o.cfg.raw;
    Tcl_InitHashTable(&a->clients, TCL_STRING_KEYS);

    if (o.wantTls) {
        rc = siphon_tls_ctx_new(&o.tls, &a->tls);
        if (rc != 0) {
            SiphonLibError(interp, "cannot make the TLS context", rc);
            goto fail;
        }
        o.cfg.tls_client = a->tls;
    }
    if (o.uas) {
        /* RFC 3261 §8.2: the endpoint answers what this UAS cannot serve
         * (405 with Allow, 420 with Unsupported, 415 with Accept...). */
        const char *const **slots[3] = {&a->uas.methods, &a->uas.extensions,
                                        &a->uas.content_types};
        siphon_uas_policy_default(&a->uas);
        for (int slot = 0; slot < 3; slot++) {
            Tcl_Size n;

            if (o.uasLists[slot] == NULL) {
                continue;
            }
            if (Tcl_SplitList(interp, Tcl_GetString(o.uasLists[slot]), &n,
                              &a->uasLists[slot]) != TCL_OK) {
                goto fail;
            }
            *slots[slot] = a->uasLists[slot];
        }
        o.cfg.uas = &a->uas;
    }
    if (o.dns != NULL) {
        a->dnsServers = ckalloc(strlen(o.dns) + 1);
        strcpy(a->dnsServers, o.dns);
        o.cfg.dns_servers = a->dnsServers;
    }
    memset(&h, 0, sizeof(h));
    h.request = OnRequest;
    h.stray = OnStray;
    h.server_error = OnServerError;
    h.arg = a;
    rc = siphon_ua_new(loop, &o.cfg, &h, &a->ua);
    if (rc != 0) {
        SiphonLibError(interp, "cannot create the endpoint", rc);
        goto fail;
    }
    if (o.registrar && StartRegistrar(interp, a, &o) != TCL_OK) {
        goto fail;
    }
    for (k = 0; k < o.nlisten; k++) {
        siphon_ua_listen_opts lo;
        const char *addr = Tcl_GetString(o.listen[k].addrPtr);

        memset(&lo, 0, sizeof(lo));
        lo.tls = a->tls;
        rc = siphon_ua_listen(a->ua, o.listen[k].t, addr, &lo,
                              &a->lp[a->nlp].addr);
        if (rc == SIPHON_EPARSE || rc == SIPHON_ERANGE) {
            SiphonUsageError(interp, "ADDRESS",
                    "bad address \"%s\": want ip:port or [ipv6]:port", addr);
            goto fail;
        }
        if (rc != 0) {
            Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                    "cannot listen on %s %s: %s",
                    AgentTransportLower(o.listen[k].t), addr,
                    siphon_strerror(rc)));
            Tcl_SetErrorCode(interp, "SIP", "LISTEN", siphon_errname(rc),
                             (char *) NULL);
            goto fail;
        }
        a->lp[a->nlp].transport = o.listen[k].t;
        a->nlp++;
    }
    if (o.pcap != NULL) {
        char err[SIPHON_CAPTURE_ERRLEN];

        err[0] = '\0';
        rc = siphon_pcap_writer_open(o.pcap, &a->pcap, err);
        if (rc != 0) {
            Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                    "cannot write capture \"%s\": %s", o.pcap,
                    err[0] ? err : siphon_strerror(rc)));
            Tcl_SetErrorCode(interp, "SIP", "ERROR", siphon_errname(rc),
                             (char *) NULL);
            goto fail;
        }
        siphon_ua_capture_pcap(a->ua, a->pcap);
    }
    if (o.hep != NULL) {
        rc = siphon_ua_capture_hep(a->ua, o.hep, NULL);
        if (rc == SIPHON_EPARSE) {
            SiphonUsageError(interp, "ADDRESS",
                    "bad HEP collector \"%s\": want ip:port", o.hep);
            goto fail;
        }
        if (rc != 0) {
            SiphonLibError(interp, "cannot start HEP capture", rc);
            goto fail;
        }
    }

    a->token = Tcl_CreateObjCommand(interp, Tcl_DStringValue(&name),
                                    AgentObjCmd, a, AgentDeleteProc);
    Tcl_DStringFree(&name);
    {
        Tcl_Obj *full = Tcl_NewObj();

        Tcl_GetCommandFullName(interp, a->token, full);
        Tcl_SetObjResult(interp, full);
    }
    return TCL_OK;

fail:
    Tcl_DStringFree(&name);
    siphon_ua_free(a->ua);
    if (a->pcap != NULL) {
        (void) siphon_pcap_writer_close(a->pcap);
    }
    siphon_tls_ctx_free(a->tls);
    Tcl_DeleteHashTable(&a->clients);
    AgentFreeProc((char *) a);
    return TCL_ERROR;
}
