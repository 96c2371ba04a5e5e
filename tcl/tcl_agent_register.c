/*
 * tcl_agent_register.c --
 *
 *	Registration with automatic refresh (RFC 3261 §10.2, siphon/ua.h's
 *	siphon_ua_reg) as subcommands of a sip::agent:
 *
 *	$a register AOR ?-registrar URI? ?-to ADDR? ?-transport T?
 *	    ?-servername NAME? ?-user NAME -password SECRET? ?-expires S?
 *	    ?-contact URI? ?-display NAME? ?-retry S? ?-timeout MS?
 *	$a unregister AOR ?-timeout MS?
 *	$a registrations
 *
 *	register waits for the first outcome and then leaves the
 *	registration refreshing itself on the stack's loop (so sip::clock's
 *	virtual time drives the refreshes); unregister removes the binding
 *	and forgets the registration. One registration per AOR and agent:
 *	registering an AOR again replaces it. They all stop (without
 *	unregistering) when the agent goes.
 *
 *	The library's callback runs inside the stack's loop and only
 *	records the outcome; no script runs there.
 */

#include "tcl_agent.h"

#include <stdio.h>
#include <string.h>

#define REGISTER_TIMEOUT_MS 40000

/* One registration of an agent. Freed with Tcl_EventuallyFree: waits
 * preserve it. */
typedef struct AgentReg {
    Agent *agentPtr;
    Tcl_HashEntry *hPtr;        /* In the agent's table; NULL once out. */
    siphon_ua_reg *reg;         /* NULL once freed. */
    char *aor;                  /* The table key, as the script gave it. */
    unsigned outcomes;          /* Callbacks so far. */
    unsigned unregOutcomes;     /* Of those, unregister outcomes. */
    siphon_ua_reg_event last;   /* resp cleared: see lastResp */
    Tcl_Obj *reasonPtr;         /* The last final response's reason. */
} AgentReg;

/* What hangs off Agent.regs. */
typedef struct AgentRegs {
    Tcl_HashTable table;        /* AOR -> AgentReg */
} AgentRegs;

static void
RegFreeProc(char *blockPtr)
{
    AgentReg *ar = (AgentReg *) blockPtr;

    if (ar->reasonPtr != NULL) {
        Tcl_DecrRefCount(ar->reasonPtr);
    }
    ckfree(ar->aor);
    ckfree(ar);
}

/* Stop the registration (no unregister), take it out of the table, and
 * free it once no wait holds it. */
static void
RegDrop(AgentReg *ar)
{
    if (ar->reg != NULL) {
        siphon_ua_reg_free(ar->reg);
        ar->reg = NULL;
    }
    if (ar->hPtr != NULL) {
        Tcl_DeleteHashEntry(ar->hPtr);
        ar->hPtr = NULL;
        Tcl_EventuallyFree(ar, RegFreeProc);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * AgentRegistrationsFree --
 *	The agent goes: every registration stops, before the endpoint is
 *	freed (a siphon_ua_reg must not outlive its endpoint).
 *
 *----------------------------------------------------------------------
 */
void
AgentRegistrationsFree(Agent *a)
{
    AgentRegs *rs = a->regs;
    Tcl_HashSearch search;
    Tcl_HashEntry *hPtr;

    if (rs == NULL) {
        return;
    }
    while ((hPtr = Tcl_FirstHashEntry(&rs->table, &search)) != NULL) {
        RegDrop(Tcl_GetHashValue(hPtr));
    }
    Tcl_DeleteHashTable(&rs->table);
    ckfree(rs);
    a->regs = NULL;
}

static AgentRegs *
Regs(Agent *a)
{
    if (a->regs == NULL) {
        AgentRegs *rs = (AgentRegs *) ckalloc(sizeof(*rs));

        Tcl_InitHashTable(&rs->table, TCL_STRING_KEYS);
        a->regs = rs;
    }
    return a->regs;
}

static AgentReg *
FindReg(Agent *a, const char *aor)
{
    Tcl_HashEntry *hPtr;

    if (a->regs == NULL) {
        return NULL;
    }
    hPtr = Tcl_FindHashEntry(&((AgentRegs *) a->regs)->table, aor);
    return hPtr != NULL ? Tcl_GetHashValue(hPtr) : NULL;
}

/* The siphon_ua_reg_fn: records the outcome (runs inside the loop). */
static void
OnReg(void *arg, siphon_ua_reg *r, const siphon_ua_reg_event *ev)
{
    AgentReg *ar = arg;
    (void) r;

    ar->last = *ev;
    ar->last.resp = NULL;
    if (ar->reasonPtr != NULL) {
        Tcl_DecrRefCount(ar->reasonPtr);
    }
    ar->reasonPtr = ev->resp != NULL ? SiphonStrObj(siphon_msg_reason(ev->resp))
                                     : Tcl_NewObj();
    Tcl_IncrRefCount(ar->reasonPtr);
    ar->outcomes++;
    if (ev->unregister) {
        ar->unregOutcomes++;
    }
}

typedef struct RegWait {
    AgentReg *ar;
    unsigned outcomes;          /* Done when ar's count passes this. */
    int unregister;             /* Count unregister outcomes instead. */
} RegWait;

static int
RegDone(Agent *a, void *arg)
{
    RegWait *w = arg;
    (void) a;

    if (w->ar->reg == NULL) {
        return 1;               /* dropped meanwhile */
    }
    return (w->unregister ? w->ar->unregOutcomes : w->ar->outcomes)
            > w->outcomes;
}

/*
 * Waits for the next outcome of ar and sets the interpreter result for
 * it: TCL_OK for a 2xx (the caller sets the value), else the error:
 * {SIP REGISTER status reason} for another final response, {SIP TIMEOUT
 * F}, {SIP TRANSPORT errname}, {SIP TIMEOUT WALL}, {SIP GONE}, {SIP
 * STATE NESTED}.
 */
static int
RegWaitOutcome(Agent *a, Tcl_Interp *interp, AgentReg *ar, int unregister,
               int timeoutMs)
{
    RegWait w;
    int r, rc = TCL_OK;

    w.ar = ar;
    w.unregister = unregister;
    w.outcomes = unregister ? ar->unregOutcomes : ar->outcomes;
    Tcl_Preserve(a);
    Tcl_Preserve(ar);
    r = AgentWait(a, RegDone, &w, timeoutMs);
    if (r == 1 && ar->reg != NULL) {
        const siphon_ua_reg_event *ev = &ar->last;

        if (ev->err == SIPHON_ETIMEDOUT) {
            Tcl_SetObjResult(interp, Tcl_NewStringObj(
                    "REGISTER timed out: no final response (Timer F)", -1));
            Tcl_SetErrorCode(interp, "SIP", "TIMEOUT", "F", (char *) NULL);
            rc = TCL_ERROR;
        } else if (ev->err != 0) {
            Tcl_SetObjResult(interp, Tcl_ObjPrintf("REGISTER failed: %s",
                    siphon_strerror(ev->err)));
            Tcl_SetErrorCode(interp, "SIP", "TRANSPORT",
                             siphon_errname(ev->err), (char *) NULL);
            rc = TCL_ERROR;
        } else if (ev->status < 200 || ev->status >= 300
                   || (!unregister && ev->expires == 0)) {
            Tcl_Obj *reason = ar->reasonPtr != NULL ? ar->reasonPtr
                                                    : Tcl_NewObj();
            char status[16];

            snprintf(status, sizeof(status), "%d", ev->status);
            Tcl_IncrRefCount(reason);
            Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                    "REGISTER %s: %d %s", unregister ? "(expires=0) refused"
                    : "refused", ev->status, Tcl_GetString(reason)));
            Tcl_SetErrorCode(interp, "SIP", "REGISTER", status,
                             Tcl_GetString(reason), (char *) NULL);
            Tcl_DecrRefCount(reason);
            rc = TCL_ERROR;
        }
    } else {
        rc = AgentWaitFailed(interp, r, timeoutMs, "REGISTER",
                             "registration dropped while waiting");
    }
    Tcl_Release(ar);
    Tcl_Release(a);
    return rc;
}

/* An integer option >= 1 that fits uint32_t; {SIP USAGE ARGS}. */
static int
GetSeconds(Tcl_Interp *interp, Tcl_Obj *objPtr, const char *opt,
           uint32_t *out)
{
    Tcl_WideInt v;

    if (Tcl_GetWideIntFromObj(NULL, objPtr, &v) != TCL_OK || v < 1
            || v > 0xFFFFFFFFLL) {
        return SiphonUsageError(interp, "ARGS",
                "bad %s \"%s\": want seconds (an integer >= 1)", opt,
                Tcl_GetString(objPtr));
    }
    *out = (uint32_t) v;
    return TCL_OK;
}

/*
 *----------------------------------------------------------------------
 *
 * AgentRegisterCmd --
 *	$a register AOR ?options?
 *
 * Results:
 *	A dict {status N expires GRANTED contact URI} once the first
 *	REGISTER succeeded; an error (and no registration left) otherwise.
 *
 *----------------------------------------------------------------------
 */
int
AgentRegisterCmd(Agent *a, Tcl_Interp *interp, int objc,
                 Tcl_Obj *const objv[])
{
    static const char *const options[] = {
        "-contact", "-display", "-expires", "-password", "-registrar",
        "-retry", "-servername", "-timeout", "-to", "-transport", "-user",
        NULL
    };
    enum {
        R_CONTACT, R_DISPLAY, R_EXPIRES, R_PASSWORD, R_REGISTRAR, R_RETRY,
        R_SERVERNAME, R_TIMEOUT, R_TO, R_TRANSPORT, R_USER
    };
    siphon_ua_reg_config cfg;
    siphon_ua_credentials cred;
    siphon_ua_reg_info info;
    int timeoutMs = REGISTER_TIMEOUT_MS, i = 3, idx, rc, isNew;
    AgentReg *ar, *old;
    const char *aor;
    Tcl_Obj *d;

    if (objc < 3) {
        Tcl_WrongNumArgs(interp, 2, objv,
                "aor ?-registrar uri? ?-to addr? ?-transport t? "
                "?-user name -password secret? ?-expires s? ?-contact uri? "
                "?-timeout ms?");
        return TCL_ERROR;
    }
    aor = Tcl_GetString(objv[2]);
    memset(&cfg, 0, sizeof(cfg));
    memset(&cred, 0, sizeof(cred));
    cfg.aor = aor;
    while (i < objc) {
        Tcl_Obj *v;

        if (AgentNextOption(interp, objc, objv, &i, options, NULL, &idx, &v)
                != TCL_OK) {
            return TCL_ERROR;
        }
        switch (idx) {
        case R_CONTACT: cfg.contact = Tcl_GetString(v); break;
        case R_DISPLAY: cfg.display = Tcl_GetString(v); break;
        case R_EXPIRES:
            if (GetSeconds(interp, v, "-expires", &cfg.expires) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case R_RETRY:
            if (GetSeconds(interp, v, "-retry", &cfg.retry_s) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case R_PASSWORD: cred.password = Tcl_GetString(v); break;
        case R_USER: cred.username = Tcl_GetString(v); break;
        case R_REGISTRAR: cfg.registrar = Tcl_GetString(v); break;
        case R_SERVERNAME: cfg.dest.server_name = Tcl_GetString(v); break;
        case R_TIMEOUT:
            if (AgentMsPositive(interp, v, &timeoutMs) != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        case R_TO: {
            struct sockaddr_storage ss;
            const char *s = Tcl_GetString(v);

            if (siphon_addr_parse(siphon_str_c(s), &ss, NULL) != 0) {
                return SiphonUsageError(interp, "ADDRESS",
                        "bad address \"%s\": want ip:port or [ipv6]:port", s);
            }
            cfg.dest.addr = s;
            break;
        }
        case R_TRANSPORT:
            if (AgentTransportFromObj(interp, v, &cfg.dest.transport)
                    != TCL_OK) {
                return TCL_ERROR;
            }
            break;
        }
    }
    if ((cred.username == NULL) != (cred.password == NULL)) {
        return SiphonUsageError(interp, "ARGS",
                "-user and -password go together");
    }
    if (cred.username != NULL) {
        cfg.dest.credentials = &cred;
    }

    ar = (AgentReg *) ckalloc(sizeof(*ar));
    memset(ar, 0, sizeof(*ar));
    ar->agentPtr = a;
    cfg.cb = OnReg;
    cfg.arg = ar;
    rc = siphon_ua_reg_new(a->ua, &cfg, &ar->reg);
    if (rc != 0) {
        ckfree(ar);
        if (rc == SIPHON_EINVAL) {
            return SiphonUsageError(interp, "REGISTER",
                    "cannot register \"%s\": the AOR and -registrar must be "
                    "sip: or sips: URIs, -contact a URI, and without "
                    "-contact the agent needs a listening point of the "
                    "transport", aor);
        }
        return SiphonLibError(interp, "cannot register", rc);
    }
    /* One registration per AOR: a new one replaces the old. */
    if ((old = FindReg(a, aor)) != NULL) {
        RegDrop(old);
    }
    ar->aor = ckalloc(strlen(aor) + 1);
    strcpy(ar->aor, aor);
    ar->hPtr = Tcl_CreateHashEntry(&Regs(a)->table, aor, &isNew);
    Tcl_SetHashValue(ar->hPtr, ar);

    rc = siphon_ua_reg_start(ar->reg);
    SiphonClockKick(interp);
    if (rc != 0) {
        RegDrop(ar);
        return SiphonLibError(interp, "cannot send REGISTER", rc);
    }
    Tcl_Preserve(ar);
    rc = RegWaitOutcome(a, interp, ar, 0, timeoutMs);
    if (rc == TCL_OK) {
        siphon_ua_reg_get_info(ar->reg, &info);
        d = Tcl_NewDictObj();
        SiphonDictPut(d, "status", Tcl_NewIntObj(ar->last.status));
        SiphonDictPut(d, "expires",
                      Tcl_NewWideIntObj((Tcl_WideInt) ar->last.expires));
        SiphonDictPut(d, "contact", Tcl_NewStringObj(info.contact, -1));
        Tcl_SetObjResult(interp, d);
    } else {
        /* The first REGISTER failed: no background retries. */
        RegDrop(ar);
    }
    Tcl_Release(ar);
    return rc;
}

static int
NoRegistration(Tcl_Interp *interp, const char *aor)
{
    Tcl_SetObjResult(interp, Tcl_ObjPrintf("no registration of \"%s\"",
                                           aor));
    Tcl_SetErrorCode(interp, "SIP", "LOOKUP", "REGISTRATION", aor,
                     (char *) NULL);
    return TCL_ERROR;
}

/*
 *----------------------------------------------------------------------
 *
 * AgentUnregisterCmd --
 *	$a unregister AOR ?-timeout MS?: REGISTER with our Contact and
 *	expires=0 (RFC 3261 §10.2.2); the registration is gone afterwards,
 *	whatever the answer.
 *
 * Results:
 *	The status of the 2xx; errors as register's.
 *
 *----------------------------------------------------------------------
 */
int
AgentUnregisterCmd(Agent *a, Tcl_Interp *interp, int objc,
                   Tcl_Obj *const objv[])
{
    int timeoutMs = REGISTER_TIMEOUT_MS, rc;
    AgentReg *ar;

    if (objc != 3 && !(objc == 5
            && strcmp(Tcl_GetString(objv[3]), "-timeout") == 0)) {
        Tcl_WrongNumArgs(interp, 2, objv, "aor ?-timeout ms?");
        return TCL_ERROR;
    }
    if (objc == 5 && AgentMsPositive(interp, objv[4], &timeoutMs) != TCL_OK) {
        return TCL_ERROR;
    }
    if ((ar = FindReg(a, Tcl_GetString(objv[2]))) == NULL) {
        return NoRegistration(interp, Tcl_GetString(objv[2]));
    }
    rc = siphon_ua_reg_unregister(ar->reg);
    SiphonClockKick(interp);
    if (rc == SIPHON_ESTATE) {
        Tcl_SetObjResult(interp, Tcl_ObjPrintf(
                "registration of \"%s\" is already being removed", ar->aor));
        Tcl_SetErrorCode(interp, "SIP", "STATE", "UNREGISTERING",
                         (char *) NULL);
        return TCL_ERROR;
    }
    if (rc != 0) {
        RegDrop(ar);
        return SiphonLibError(interp, "cannot send REGISTER", rc);
    }
    Tcl_Preserve(ar);
    rc = RegWaitOutcome(a, interp, ar, 1, timeoutMs);
    if (rc == TCL_OK) {
        Tcl_SetObjResult(interp, Tcl_NewIntObj(ar->last.status));
    }
    RegDrop(ar);
    Tcl_Release(ar);
    return rc;
}

/*
 *----------------------------------------------------------------------
 *
 * AgentRegistrationsCmd --
 *	$a registrations: a dict AOR -> {state S status N expires
 *	SECONDS-LEFT refresh SECONDS-TO-NEXT contact URI registrar URI
 *	call-id ID cseq N registrations N failures N}.
 *
 *----------------------------------------------------------------------
 */
int
AgentRegistrationsCmd(Agent *a, Tcl_Interp *interp, int objc,
                      Tcl_Obj *const objv[])
{
    uint64_t now = siphon_loop_now(a->loop);
    Tcl_Obj *result = Tcl_NewDictObj();
    Tcl_HashSearch search;
    Tcl_HashEntry *hPtr;

    if (objc != 2) {
        Tcl_WrongNumArgs(interp, 2, objv, "");
        return TCL_ERROR;
    }
    if (a->regs != NULL) {
        for (hPtr = Tcl_FirstHashEntry(&((AgentRegs *) a->regs)->table,
                                       &search);
                hPtr != NULL; hPtr = Tcl_NextHashEntry(&search)) {
            AgentReg *ar = Tcl_GetHashValue(hPtr);
            siphon_ua_reg_info info;
            Tcl_Obj *d = Tcl_NewDictObj();

            siphon_ua_reg_get_info(ar->reg, &info);
            SiphonDictPut(d, "state", Tcl_NewStringObj(
                    siphon_ua_reg_state_name(info.state), -1));
            SiphonDictPut(d, "status", Tcl_NewIntObj(info.last_status));
            SiphonDictPut(d, "expires", Tcl_NewWideIntObj((Tcl_WideInt)
                    (info.expires_at > now
                     ? (info.expires_at - now) / 1000 : 0)));
            SiphonDictPut(d, "refresh", Tcl_NewWideIntObj((Tcl_WideInt)
                    (info.refresh_at > now
                     ? (info.refresh_at - now) / 1000 : 0)));
            SiphonDictPut(d, "contact", Tcl_NewStringObj(info.contact, -1));
            SiphonDictPut(d, "registrar",
                          Tcl_NewStringObj(info.registrar, -1));
            SiphonDictPut(d, "call-id", Tcl_NewStringObj(info.call_id, -1));
            SiphonDictPut(d, "cseq",
                          Tcl_NewWideIntObj((Tcl_WideInt) info.cseq));
            SiphonDictPut(d, "registrations",
                          Tcl_NewWideIntObj((Tcl_WideInt)
                                            info.registrations));
            SiphonDictPut(d, "failures",
                          Tcl_NewWideIntObj((Tcl_WideInt) info.failures));
            Tcl_DictObjPut(NULL, result, Tcl_NewStringObj(ar->aor, -1), d);
        }
    }
    Tcl_SetObjResult(interp, result);
    return TCL_OK;
}
