/*
 * tcl_clock.c --
 *
 *	The stack's event loop inside Tcl's, and sip::clock: real or virtual
 *	time for the loop's timers.
 *
 *	One siphon_loop per interpreter, made on first use. Its epoll fd is
 *	registered once with Tcl_CreateFileHandler (Debian's Tcl 8.6 uses a
 *	select notifier, so the fd must stay below 1024: the loop is made
 *	early, when few fds are open), and one Tcl timer is re-armed to the
 *	loop's next deadline, so [vwait] and [update] drive the stack
 *	(DESIGN.md, "Tcl binding").
 *
 *	In virtual mode time moves only by [sip::clock advance]: every timer
 *	due by the new time fires, in deadline order, each seeing the clock at
 *	its own deadline. That is how a test checks Timer B (32 s) in
 *	milliseconds of wall time.
 *
 *	sip::clock now
 *	sip::clock mode
 *	sip::clock real
 *	sip::clock virtual
 *	sip::clock advance DURATION
 *	sip::clock after DURATION SCRIPT
 *	sip::clock cancel ID
 *
 *	DURATION is milliseconds, or a number with a unit: ms, s, m, h
 *	("500ms", "32s", "1.5s", "1h").
 */

#include "siphon_tcl.h"

#include <siphon/net.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A script scheduled with [sip::clock after], owned by the loop state
 * until it fires or is cancelled.
 */
typedef struct ClockAfter {
    struct ClockAfter *nextPtr; /* List of pending scripts. */
    struct SiphonClock *clockPtr;
    uint64_t id;                /* The loop timer id (the script's id). */
    Tcl_Obj *scriptPtr;         /* Script to evaluate at global level. */
} ClockAfter;

/* The loop of one interpreter. */
typedef struct SiphonClock {
    Tcl_Interp *interp;
    siphon_loop *loop;
    int fd;                     /* The loop's epoll fd, watched by Tcl. */
    Tcl_TimerToken timer;       /* Re-armed to the next deadline (real). */
    int virtualMode;            /* Time moves only by [advance]. */
    uint64_t virtualNow;        /* The virtual time in ms. */
    ClockAfter *afters;         /* Pending [after] scripts. */
} SiphonClock;

#define CLOCK_ASSOC_KEY "siphon::clock"

static void ClockDeleteProc(void *clientData, Tcl_Interp *interp);
static void ClockFileProc(void *clientData, int mask);
static void ClockTimerProc(void *clientData);
static void ClockRearm(SiphonClock *c);
static void ClockRun(SiphonClock *c);
static uint64_t VirtualClock(void *arg);
static void AfterFire(siphon_loop *loop, uint64_t id, void *arg);
static int GetDuration(Tcl_Interp *interp, Tcl_Obj *objPtr, uint64_t *msPtr);

/*
 *----------------------------------------------------------------------
 *
 * SiphonGetLoop --
 *	The interpreter's siphon_loop, made and hooked into Tcl's notifier
 *	on first use.
 *
 * Results:
 *	The loop, or NULL with an error in the interpreter.
 *
 *----------------------------------------------------------------------
 */
siphon_loop *
SiphonGetLoop(Tcl_Interp *interp)
{
    SiphonClock *c = Tcl_GetAssocData(interp, CLOCK_ASSOC_KEY, NULL);
    if (c != NULL) {
        return c->loop;
    }
    c = (SiphonClock *) ckalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->interp = interp;
    int rc = siphon_loop_new(&c->loop);
    if (rc != 0) {
        ckfree(c);
        SiphonLibError(interp, "cannot create the event loop", rc);
        return NULL;
    }
    c->fd = siphon_loop_fd(c->loop);
    Tcl_CreateFileHandler(c->fd, TCL_READABLE, ClockFileProc, c);
    Tcl_SetAssocData(interp, CLOCK_ASSOC_KEY, ClockDeleteProc, c);
    return c->loop;
}

/*
 *----------------------------------------------------------------------
 *
 * SiphonClockKick --
 *	Re-arms the Tcl timer to the loop's next deadline. For commands
 *	that add loop timers from outside the loop (an agent starting a
 *	transaction adds Timer A/E): the timer is otherwise re-armed only
 *	after the loop ran. A no-op before the loop exists.
 *
 *----------------------------------------------------------------------
 */
void
SiphonClockKick(Tcl_Interp *interp)
{
    SiphonClock *c = Tcl_GetAssocData(interp, CLOCK_ASSOC_KEY, NULL);

    if (c != NULL) {
        ClockRearm(c);
    }
}

static SiphonClock *
GetClock(Tcl_Interp *interp)
{
    if (SiphonGetLoop(interp) == NULL) {
        return NULL;
    }
    return Tcl_GetAssocData(interp, CLOCK_ASSOC_KEY, NULL);
}

/*
 * Called when the interpreter goes: the loop, the Tcl handlers and every
 * pending script go with it.
 */
static void
ClockDeleteProc(void *clientData, Tcl_Interp *interp)
{
    SiphonClock *c = clientData;
    (void) interp;
    Tcl_DeleteFileHandler(c->fd);
    if (c->timer != NULL) {
        Tcl_DeleteTimerHandler(c->timer);
    }
    while (c->afters != NULL) {
        ClockAfter *a = c->afters;
        c->afters = a->nextPtr;
        Tcl_DecrRefCount(a->scriptPtr);
        ckfree(a);
    }
    siphon_loop_free(c->loop);
    ckfree(c);
}

/* Runs the ready work of the loop, then re-arms the Tcl timer. */
static void
ClockRun(SiphonClock *c)
{
    Tcl_Preserve(c->interp);
    (void) siphon_loop_run_once(c->loop, 0);
    ClockRearm(c);
    Tcl_Release(c->interp);
}

static void
ClockFileProc(void *clientData, int mask)
{
    (void) mask;
    ClockRun(clientData);
}

static void
ClockTimerProc(void *clientData)
{
    SiphonClock *c = clientData;
    c->timer = NULL;
    ClockRun(c);
}

/*
 * One Tcl timer, set to the loop's next deadline. In virtual mode there is
 * none: deadlines are reached by [advance] only.
 */
static void
ClockRearm(SiphonClock *c)
{
    if (c->timer != NULL) {
        Tcl_DeleteTimerHandler(c->timer);
        c->timer = NULL;
    }
    if (c->virtualMode) {
        return;
    }
    uint64_t deadline = siphon_loop_next_deadline(c->loop);
    if (deadline == UINT64_MAX) {
        return;
    }
    uint64_t now = siphon_loop_now(c->loop);
    uint64_t wait = deadline > now ? deadline - now : 0;
    if (wait > INT_MAX) {
        wait = INT_MAX;
    }
    c->timer = Tcl_CreateTimerHandler((int) wait, ClockTimerProc, c);
}

static uint64_t
VirtualClock(void *arg)
{
    return ((SiphonClock *) arg)->virtualNow;
}

/*
 * A [sip::clock after] script fires: it is unlinked before it runs (the
 * script may cancel others or delete the interpreter), and errors go to
 * the background error handler, never up through C.
 */
static void
AfterFire(siphon_loop *loop, uint64_t id, void *arg)
{
    ClockAfter *a = arg;
    SiphonClock *c = a->clockPtr;
    ClockAfter **pp;
    (void) loop;
    (void) id;

    for (pp = &c->afters; *pp != NULL; pp = &(*pp)->nextPtr) {
        if (*pp == a) {
            *pp = a->nextPtr;
            break;
        }
    }
    Tcl_Interp *interp = c->interp;
    Tcl_Preserve(interp);
    int code = Tcl_EvalObjEx(interp, a->scriptPtr, TCL_EVAL_GLOBAL);
    if (code != TCL_OK) {
        Tcl_BackgroundException(interp, code);
    }
    Tcl_DecrRefCount(a->scriptPtr);
    ckfree(a);
    Tcl_Release(interp);
}

/*
 * DURATION: an integer number of milliseconds, or a number with a unit
 * (ms, s, m, h). Negative and absurd values are refused.
 */
static int
GetDuration(Tcl_Interp *interp, Tcl_Obj *objPtr, uint64_t *msPtr)
{
    const char *s = Tcl_GetString(objPtr);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double scale = 1.0;
    if (end == s || errno != 0 || !isfinite(v) || v < 0) {
        goto bad;
    }
    if (*end == '\0' || strcmp(end, "ms") == 0) {
        scale = 1.0;
    } else if (strcmp(end, "s") == 0) {
        scale = 1000.0;
    } else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0) {
        scale = 60000.0;
    } else if (strcmp(end, "h") == 0) {
        scale = 3600000.0;
    } else {
        goto bad;
    }
    v = v * scale;
    if (v > 1e15) {
        goto bad;
    }
    *msPtr = (uint64_t) llround(v);
    return TCL_OK;
bad:
    return SiphonUsageError(interp, "DURATION",
            "bad duration \"%s\": want milliseconds or a number with ms, s, m or h",
            s);
}

/* ---- sip::clock subcommands ------------------------------------------ */

static int
ClockNowCmd(void *clientData, Tcl_Interp *interp, int objc,
            Tcl_Obj *const objv[])
{
    (void) clientData;
    if (objc != 1) {
        Tcl_WrongNumArgs(interp, 1, objv, "");
        return TCL_ERROR;
    }
    SiphonClock *c = GetClock(interp);
    if (c == NULL) {
        return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) siphon_loop_now(c->loop)));
    return TCL_OK;
}

static int
ClockModeCmd(void *clientData, Tcl_Interp *interp, int objc,
             Tcl_Obj *const objv[])
{
    (void) clientData;
    if (objc != 1) {
        Tcl_WrongNumArgs(interp, 1, objv, "");
        return TCL_ERROR;
    }
    SiphonClock *c = GetClock(interp);
    if (c == NULL) {
        return TCL_ERROR;
    }
    Tcl_SetObjResult(interp, Tcl_NewStringObj(c->virtualMode ? "virtual" : "real", -1));
    return TCL_OK;
}

/*
 * Switching keeps time continuous: virtual time starts at the real time
 * of the switch, and going back to real keeps deadlines meaningful for
 * timers added in virtual mode only if virtual time was not advanced far
 * ahead (documented in docs/tcl-api.md).
 */
static int
SwitchMode(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int toVirtual)
{
    if (objc != 1) {
        Tcl_WrongNumArgs(interp, 1, objv, "");
        return TCL_ERROR;
    }
    SiphonClock *c = GetClock(interp);
    if (c == NULL) {
        return TCL_ERROR;
    }
    if (toVirtual && !c->virtualMode) {
        c->virtualNow = siphon_loop_now(c->loop);
        c->virtualMode = 1;
        siphon_loop_set_clock(c->loop, VirtualClock, c);
    } else if (!toVirtual && c->virtualMode) {
        c->virtualMode = 0;
        siphon_loop_set_clock(c->loop, NULL, NULL);
    }
    ClockRearm(c);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(c->virtualMode ? "virtual" : "real", -1));
    return TCL_OK;
}

static int
ClockRealCmd(void *clientData, Tcl_Interp *interp, int objc,
             Tcl_Obj *const objv[])
{
    (void) clientData;
    return SwitchMode(interp, objc, objv, 0);
}

static int
ClockVirtualCmd(void *clientData, Tcl_Interp *interp, int objc,
                Tcl_Obj *const objv[])
{
    (void) clientData;
    return SwitchMode(interp, objc, objv, 1);
}

/* The DURATION ?SCRIPT? commands' arguments: objc must be want, objv[1]
 * a duration. Returns the interpreter's clock, or NULL with an error. */
static SiphonClock *
DurationArgs(Tcl_Interp *interp, int objc, Tcl_Obj *const objv[], int want,
             const char *usage, uint64_t *ms)
{
    if (objc != want) {
        Tcl_WrongNumArgs(interp, 1, objv, usage);
        return NULL;
    }
    if (GetDuration(interp, objv[1], ms) != TCL_OK) {
        return NULL;
    }
    return GetClock(interp);
}

/*
 * sip::clock advance DURATION: step virtual time to each due deadline in
 * turn, so every timer fires at its own time and in order, then to the
 * target. Returns the new time.
 */
static int
ClockAdvanceCmd(void *clientData, Tcl_Interp *interp, int objc,
                Tcl_Obj *const objv[])
{
    uint64_t ms;
    (void) clientData;
    SiphonClock *c = DurationArgs(interp, objc, objv, 2, "duration", &ms);
    if (c == NULL) {
        return TCL_ERROR;
    }
    if (!c->virtualMode) {
        return SiphonUsageError(interp, "CLOCK",
                "sip::clock advance needs virtual time: call sip::clock virtual first");
    }
    uint64_t target = c->virtualNow + ms;
    Tcl_Preserve(interp);
    for (;;) {
        uint64_t next = siphon_loop_next_deadline(c->loop);
        if (next > target) {
            break;
        }
        if (next > c->virtualNow) {
            c->virtualNow = next;
        }
        if (siphon_loop_run_once(c->loop, 0) < 0) {
            break;
        }
    }
    c->virtualNow = target;
    (void) siphon_loop_run_once(c->loop, 0);
    Tcl_Release(interp);
    Tcl_SetObjResult(interp, Tcl_NewWideIntObj((Tcl_WideInt) c->virtualNow));
    return TCL_OK;
}

/* sip::clock after DURATION SCRIPT: a script on the stack's own timers. */
static int
ClockAfterCmd(void *clientData, Tcl_Interp *interp, int objc,
              Tcl_Obj *const objv[])
{
    uint64_t ms;
    (void) clientData;
    SiphonClock *c = DurationArgs(interp, objc, objv, 3, "duration script",
                                  &ms);
    if (c == NULL) {
        return TCL_ERROR;
    }
    ClockAfter *a = (ClockAfter *) ckalloc(sizeof(*a));
    a->clockPtr = c;
    a->scriptPtr = objv[2];
    Tcl_IncrRefCount(a->scriptPtr);
    int rc = siphon_loop_timer_add(c->loop, siphon_loop_now(c->loop) + ms, AfterFire, a,
                                   &a->id);
    if (rc != 0) {
        Tcl_DecrRefCount(a->scriptPtr);
        ckfree(a);
        return SiphonLibError(interp, "cannot add a timer", rc);
    }
    a->nextPtr = c->afters;
    c->afters = a;
    ClockRearm(c);
    char idbuf[40];
    snprintf(idbuf, sizeof idbuf, "sipclock#%llu", (unsigned long long) a->id);
    Tcl_SetObjResult(interp, Tcl_NewStringObj(idbuf, -1));
    return TCL_OK;
}

/* sip::clock cancel ID: 1 if a pending script was cancelled, else 0. */
static int
ClockCancelCmd(void *clientData, Tcl_Interp *interp, int objc,
               Tcl_Obj *const objv[])
{
    unsigned long long id;
    (void) clientData;
    if (objc != 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "id");
        return TCL_ERROR;
    }
    if (sscanf(Tcl_GetString(objv[1]), "sipclock#%llu", &id) != 1) {
        return SiphonUsageError(interp, "ID", "bad clock id \"%s\"",
                                Tcl_GetString(objv[1]));
    }
    SiphonClock *c = GetClock(interp);
    if (c == NULL) {
        return TCL_ERROR;
    }
    for (ClockAfter **pp = &c->afters; *pp != NULL; pp = &(*pp)->nextPtr) {
        ClockAfter *a = *pp;
        if (a->id == id) {
            *pp = a->nextPtr;
            (void) siphon_loop_timer_cancel(c->loop, a->id);
            Tcl_DecrRefCount(a->scriptPtr);
            ckfree(a);
            ClockRearm(c);
            Tcl_SetObjResult(interp, Tcl_NewBooleanObj(1));
            return TCL_OK;
        }
    }
    Tcl_SetObjResult(interp, Tcl_NewBooleanObj(0));
    return TCL_OK;
}

static const SiphonSubcmd clockCmds[] = {
    {"advance", ClockAdvanceCmd},
    {"after", ClockAfterCmd},
    {"cancel", ClockCancelCmd},
    {"mode", ClockModeCmd},
    {"now", ClockNowCmd},
    {"real", ClockRealCmd},
    {"virtual", ClockVirtualCmd},
    {NULL, NULL}
};

/*
 *----------------------------------------------------------------------
 *
 * SiphonClockInit --
 *	Creates the sip::clock ensemble. The loop itself is made on first
 *	use, so interpreters that only parse messages open no fd.
 *
 *----------------------------------------------------------------------
 */
int
SiphonClockInit(Tcl_Interp *interp, SiphonInterp *state)
{
    return SiphonMakeEnsemble(interp, state, "::sip::clock", clockCmds);
}
