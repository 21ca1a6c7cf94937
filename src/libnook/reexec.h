/* nook - run from a sealed copy of our own binary where a container could
 * otherwise reach it (CVE-2019-5736: a process in the container opens
 * /proc/PID/exe of the runtime and overwrites the host's binary). */
#ifndef NOOK_REEXEC_H
#define NOOK_REEXEC_H

#include <stdbool.h>
#include "error.h"

/* main() hands over argv once, so a re-exec can repeat the command. */
void nook_reexec_init (char **argv);

/* Is /proc/self/exe a sealed memfd (we were re-executed already)? */
bool nook_running_sealed (void);

/* Copy /proc/self/exe into a memfd, seal it against any write, and
 * fexecve it with the same arguments.  Returns only on failure. */
int nook_reexec_sealed (nook_error_t *err);

#endif
