/*
 * siphon_tcl.h -- declarations shared by the files of the Tcl binding
 * (package "siphon", namespace ::sip). Not installed.
 *
 * Text conventions of the whole binding: SIP text is bytes. A Tcl string
 * whose characters are all in U+0000..U+00FF stands for the bytes with
 * those values (the "binary"/iso8859-1 view that [read] gives for a channel
 * configured with -translation binary). Bytes handed back to scripts use the
 * same mapping. Texts written by the library for people (finding texts,
 * RFC clauses, reason phrases of parse errors) are UTF-8 and become
 * ordinary Tcl strings.
 */
#ifndef SIPHON_TCL_H
#define SIPHON_TCL_H

#include <limits.h>

#include <tcl.h>

#include <siphon/msg.h>
#include <siphon/uri.h>

#ifndef SIPHON_VERSION
#define SIPHON_VERSION "0.1.0"
#endif

/* Tcl 9 counts with Tcl_Size; 8.6 with int. The binding uses Tcl_Size so
 * that it builds against both. */
#ifndef TCL_SIZE_MAX
typedef int Tcl_Size;
#define TCL_SIZE_MAX INT_MAX
#endif

/*
 * Per-interpreter state, hung off the interpreter with Tcl_SetAssocData
 * under SIPHON_ASSOC_KEY and passed to every command as its clientData.
 */
#define SIPHON_ASSOC_KEY "siphon"

typedef struct SiphonInterp {
    Tcl_Interp *interp;       /* The interpreter this state belongs to.
                               * Later ensembles (agents, clock, pcap)
                               * keep their handle tables here. */
    unsigned long agentSeq;   /* Last N of ::sip::agentN (tcl_agent.c). */
} SiphonInterp;

/* One ensemble subcommand. */
typedef struct SiphonSubcmd {
    const char *name;         /* Subcommand name, e.g. "parse". */
    Tcl_ObjCmdProc *proc;     /* Implementation; clientData is the
                               * SiphonInterp. */
} SiphonSubcmd;

/* siphon_tcl.c */
int Siphon_Init(Tcl_Interp *interp);
int Siphon_SafeInit(Tcl_Interp *interp);
int SiphonMakeEnsemble(Tcl_Interp *interp, SiphonInterp *state,
                       const char *name, const SiphonSubcmd *cmds);
int SiphonGetBytes(Tcl_Interp *interp, Tcl_Obj *objPtr, Tcl_DString *dsPtr,
                   siphon_str *out);
Tcl_Obj *SiphonBytesObj(const char *p, size_t len);
Tcl_Obj *SiphonStrObj(siphon_str s);
Tcl_Obj *SiphonTextObj(const char *text);
char *SiphonBytesToUtf(const char *p, size_t len, Tcl_Size *lenPtr);
int SiphonParseError(Tcl_Interp *interp, const char *what, int code,
                     const siphon_perr *err);
int SiphonUsageError(Tcl_Interp *interp, const char *kind, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));
int SiphonLibError(Tcl_Interp *interp, const char *what, int code);
int SiphonLookupError(Tcl_Interp *interp, const char *name);
void SiphonDictPut(Tcl_Obj *dictPtr, const char *key, Tcl_Obj *valuePtr);
Tcl_Obj *SiphonParamsObj(const siphon_params *ps);

/* tcl_clock.c */
struct siphon_loop;
int SiphonClockInit(Tcl_Interp *interp, SiphonInterp *state);
struct siphon_loop *SiphonGetLoop(Tcl_Interp *interp);
void SiphonClockKick(Tcl_Interp *interp);

/* tcl_agent.c */
int SiphonAgentInit(Tcl_Interp *interp, SiphonInterp *state);

/* tcl_msg.c */
int SiphonMsgInit(Tcl_Interp *interp, SiphonInterp *state);
int SiphonGetMsgFromObj(Tcl_Interp *interp, Tcl_Obj *objPtr,
                        siphon_msg **msgPtr);
Tcl_Obj *SiphonNewMsgObj(siphon_msg *m);

/* tcl_build.c */
int SiphonMsgSetCmd(void *clientData, Tcl_Interp *interp, int objc,
                    Tcl_Obj *const objv[]);
int SiphonMsgAddCmd(void *clientData, Tcl_Interp *interp, int objc,
                    Tcl_Obj *const objv[]);
int SiphonMsgRemoveCmd(void *clientData, Tcl_Interp *interp, int objc,
                       Tcl_Obj *const objv[]);
int SiphonMsgRequestCmd(void *clientData, Tcl_Interp *interp, int objc,
                        Tcl_Obj *const objv[]);
int SiphonMsgResponseCmd(void *clientData, Tcl_Interp *interp, int objc,
                         Tcl_Obj *const objv[]);

/* tcl_typed.c */
int SiphonTypedObj(Tcl_Interp *interp, siphon_msg *m, siphon_str name,
                   int all, Tcl_Obj **resultPtr);
const char *SiphonHostTypeName(siphon_host_type t);

/* tcl_check.c */
int SiphonMsgLintCmd(void *clientData, Tcl_Interp *interp, int objc,
                     Tcl_Obj *const objv[]);
int SiphonMsgVerdictCmd(void *clientData, Tcl_Interp *interp, int objc,
                        Tcl_Obj *const objv[]);
Tcl_Obj *SiphonFindingObj(const siphon_finding *f);

/* tcl_uri.c */
int SiphonUriInit(Tcl_Interp *interp, SiphonInterp *state);

/* tcl_sdp.c */
int SiphonSdpInit(Tcl_Interp *interp, SiphonInterp *state);

#endif /* SIPHON_TCL_H */
