/*
 * main.c -- sipcheck: a Tcl shell with the siphon stack built in.
 *
 *   sipcheck                      interactive shell (package siphon loaded)
 *   sipcheck SCRIPT ?ARG ...?     run a script, as tclsh does
 *   sipcheck lint ...             judge raw message files (lint.c)
 *   sipcheck --version | --help
 *
 * Subcommands are dispatched before Tcl_Main, which would otherwise take
 * "lint" for a script file name.
 */
#include <stdio.h>
#include <string.h>

#include <tcl.h>

#include "siphon_tcl.h"
#include "sipcheck.h"

/*
 * Prototypes for functions referenced only in this file:
 */
static int AppInit(Tcl_Interp *interp);
static void Usage(FILE *out);

int
main(int argc, char **argv)
{
    if (argc >= 2) {
        if (strcmp(argv[1], "lint") == 0) {
            return sipcheck_lint(argc - 1, argv + 1);
        }
        if (strcmp(argv[1], "--version") == 0) {
            int major, minor, patch;

            Tcl_GetVersion(&major, &minor, &patch, NULL);
            printf("sipcheck %s (Tcl %d.%d.%d)\n", SIPHON_VERSION, major,
                   minor, patch);
            return 0;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            Usage(stdout);
            return 0;
        }
    }
    Tcl_Main(argc, argv, AppInit);
    return 0; /* not reached: Tcl_Main exits */
}

/*
 *----------------------------------------------------------------------
 *
 * AppInit --
 *	Tcl_AppInit for sipcheck: the Tcl library, then package siphon,
 *	registered as a static package so that [package require siphon]
 *	works here and [load {} Siphon $child] in child interpreters.
 *
 * Results:
 *	TCL_OK or TCL_ERROR (Tcl_Main then reports and goes on, as tclsh).
 *
 *----------------------------------------------------------------------
 */
static int
AppInit(Tcl_Interp *interp)
{
    if (Tcl_Init(interp) != TCL_OK) {
        return TCL_ERROR;
    }
    if (Siphon_Init(interp) != TCL_OK) {
        return TCL_ERROR;
    }
    Tcl_StaticPackage(interp, "Siphon", Siphon_Init, Siphon_SafeInit);
    Tcl_SetVar(interp, "tcl_rcFileName", "~/.sipcheckrc", TCL_GLOBAL_ONLY);
    return TCL_OK;
}

static void
Usage(FILE *out)
{
    fputs("usage: sipcheck [SCRIPT [ARG ...]]\n"
          "       sipcheck lint [--strict] [--stream] [--json] FILE...\n"
          "       sipcheck --version | --help\n"
          "\n"
          "Without arguments, an interactive Tcl shell with package siphon\n"
          "(namespace ::sip) loaded. With SCRIPT, run it; ARG ... are in $argv.\n"
          "lint judges raw SIP messages as a receiving element would.\n"
          "See sipcheck(1).\n", out);
}
