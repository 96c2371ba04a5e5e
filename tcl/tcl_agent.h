/*
 * tcl_agent.h -- what tcl_agent.c (life cycle, endpoint callbacks,
 * sip::agent create) and tcl_agent_cmds.c (the object command's
 * subcommands) share. Private to the Tcl binding.
 */
#ifndef SIPHON_TCL_AGENT_H
#define SIPHON_TCL_AGENT_H

#include "siphon_tcl.h"

#include <siphon/capture.h>
#include <siphon/net.h>
#include <siphon/ua.h>

/* Listening points one agent may open (-udp/-tcp/-tls/-ws/-wss). */
#define AGENT_MAX_LP 16

/* A listening point as opened: its transport and real address. */
typedef struct AgentLp {
    siphon_transport transport;
    struct sockaddr_storage addr;
} AgentLp;

/*
 * One message waiting in an agent's inbox: a new request (its server
 * transaction lives in the endpoint and is found again from the response
 * by siphon_ua_respond), a stray (ACK for a 2xx, stray response), or in
 * raw mode anything.
 */
typedef struct AgentMsg {
    struct AgentMsg *nextPtr;
    siphon_msg *msg;            /* One reference. */
    siphon_ua_flow flow;        /* Where it came from. */
    uint64_t timeMs;            /* Loop clock when it was handed to us. */
} AgentMsg;

struct Agent;

/*
 * A client transaction started by [$a request]. Freed with
 * Tcl_EventuallyFree: waits and queued -command events preserve it.
 */
typedef struct AgentClient {
    struct Agent *agentPtr;
    Tcl_HashEntry *hPtr;        /* In agentPtr->clients; NULL once released. */
    char name[32];              /* Handle name, "req3". */
    siphon_ua_client *uc;       /* NULL once ended or released. */
    Tcl_Obj *responsesPtr;      /* List of sip::msg values (own ref). */
    Tcl_Obj *commandPtr;        /* -command prefix, or NULL. */
    const char *result;         /* "pending", "final", "timeout", ... */
    int err;                    /* 0 or the SIPHON_E* code of the end. */
    int done;                   /* The final callback has run. */
    int released;               /* Out of the table; freed when unused. */
    int silenced;               /* No more -command calls (forgotten,
                                 * guard expired, or the agent went). */
    int invite;                 /* An INVITE (Timer B) or not (Timer F). */
    int ack;                    /* An ACK: sent without a transaction. */
} AgentClient;

/* One sip::agent object. Freed with Tcl_EventuallyFree. */
typedef struct Agent {
    Tcl_Interp *interp;
    Tcl_Command token;
    siphon_loop *loop;
    siphon_ua *ua;
    siphon_tls_ctx *tls;        /* Owned; outlives ua. */
    siphon_pcap_writer *pcap;   /* Owned; closed after ua. */
    char *dnsServers;           /* Owned copy for the config. */
    siphon_uas_policy uas;      /* -uas: the §8.2 checks the endpoint runs */
    const char **uasLists[3];   /* Owned Tcl_SplitList arrays behind uas:
                                 * -allow, -supported, -accept. */
    unsigned long dialogSeq;    /* names of dialog objects */
    siphon_reg *reg;            /* -registrar: owned, outlives ua */
    siphon_auth_server *authSrv; /* -users: digest for REGISTER */
    siphon_auth_users *users;
    void *regs;                 /* tcl_agent_register.c: registrations */
    int raw;
    int deleted;                /* The command is gone; ua freed. */
    AgentLp lp[AGENT_MAX_LP];
    int nlp;
    AgentMsg *inHead, *inTail;
    size_t inCount;
    Tcl_HashTable clients;      /* Handle name -> AgentClient. */
    unsigned long clientSeq;
    uint64_t serverErrors;      /* server_error callbacks seen. */
    uint64_t serverTimeouts;    /* of those, Timer H */
} Agent;

/* tcl_agent.c */
/* Sets the {SIP STATE NESTED} error of a wait that AgentWait refused
 * (-3) and returns TCL_ERROR. */
int AgentNestedError(Tcl_Interp *interp);
/* The error of a wait that did not end in done: AgentWait's result r (-3
 * nested, -1 agent gone, 1 done but the thing waited for went away, 0
 * wall timeout, else interrupted). what names the request in the timeout
 * text (NULL: none); gone is the text for r == 1. Returns TCL_ERROR. */
int AgentWaitFailed(Tcl_Interp *interp, int r, int timeoutMs,
                    const char *what, const char *gone);
typedef int AgentDoneProc(Agent *a, void *arg);
int AgentWait(Agent *a, AgentDoneProc *done, void *arg, int timeoutMs);
AgentClient *AgentClientNew(Agent *a, Tcl_Obj *commandPtr);
/* tcl_agent_cmds.c: the sip:/sips: URI of a listening point. */
Tcl_Obj *AgentLpUri(const AgentLp *lp);
/* tcl_agent_dialog.c: $a call, $a dialog (agents with -dialogs 1). */
int AgentCallCmd(Agent *a, Tcl_Interp *interp, int objc,
                 Tcl_Obj *const objv[]);
int AgentDialogCmd(Agent *a, Tcl_Interp *interp, int objc,
                   Tcl_Obj *const objv[]);
/* $a options URI ... and $a message URI TEXT ... (method names it). */
int AgentSimpleCmd(Agent *a, Tcl_Interp *interp, int objc,
                   Tcl_Obj *const objv[], const char *method);
/* tcl_agent_cmds.c: wait for cl's end (wall guard timeoutMs) and set its
 * outcome as the result: the responses, or {SIP TIMEOUT ...} /
 * {SIP TRANSPORT ...} / {SIP GONE}. */
int AgentWaitClient(Agent *a, Tcl_Interp *interp, AgentClient *cl,
                    int timeoutMs, int forgetOnTimeout);
void AgentClientDrop(AgentClient *cl, int silence);
void AgentOnResponse(void *arg, siphon_ua_client *c, siphon_msg *resp,
                     int err, bool final);
int AgentTransportFromObj(Tcl_Interp *interp, Tcl_Obj *objPtr,
                          siphon_transport *out);
const char *AgentTransportLower(siphon_transport t);
Tcl_Obj *AgentAddrObj(const struct sockaddr_storage *ss);
int AgentMsPositive(Tcl_Interp *interp, Tcl_Obj *objPtr, int *msPtr);
int AgentNextOption(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[],
                    int *iPtr, const char *const options[],
                    const char *const flags[], int *idxPtr,
                    Tcl_Obj **valuePtr);
void AgentInboxClear(Agent *a);

/* tcl_agent_register.c: $a register, unregister, registrations;
 * AgentRegistrationsFree stops them all before the endpoint goes. */
int AgentRegisterCmd(Agent *a, Tcl_Interp *interp, int objc,
                     Tcl_Obj *const objv[]);
int AgentUnregisterCmd(Agent *a, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
int AgentRegistrationsCmd(Agent *a, Tcl_Interp *interp, int objc,
                          Tcl_Obj *const objv[]);
void AgentRegistrationsFree(Agent *a);

/* tcl_agent_cmds.c */
int AgentObjCmd(void *clientData, Tcl_Interp *interp, int objc,
                Tcl_Obj *const objv[]);

#endif /* SIPHON_TCL_AGENT_H */
