/*
 * sipcheck.h -- declarations shared by the files of the sipcheck program.
 */
#ifndef SIPCHECK_H
#define SIPCHECK_H

/*
 * sipcheck lint [--strict] [--stream] [--json] FILE...
 * argv[0] is "lint". Returns the process exit status: 0 when every
 * message is valid, 1 when any is not, 2 for a usage error or a file that
 * could not be read.
 */
int sipcheck_lint(int argc, char **argv);

#endif /* SIPCHECK_H */
