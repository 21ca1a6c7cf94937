/* nook - signal names <-> numbers (table driven). */
#ifndef NOOK_SIGNALS_H
#define NOOK_SIGNALS_H

#include "error.h"

/* Accepts "9", "KILL", "SIGKILL", "kill", "RTMIN+3", "SIGRTMAX-1".
 * Unknown or out-of-range: -1 and err "unknown signal `X`". */
int nook_signal_parse (const char *s, int *signo, nook_error_t *err);
/* "SIGKILL" for 9; NULL if unknown.  Static storage. */
const char *nook_signal_name (int signo);

#endif
