/* nook - signal names <-> numbers.
 *
 * Names follow kill(1): an optional "SIG" prefix, any case, plus the
 * real-time forms RTMIN, RTMIN+N, RTMAX-N, RTMAX.  glibc reserves the first
 * real-time signals for itself, so SIGRTMIN and SIGRTMAX are values known
 * only at run time (function calls behind the macros), never hard coded. */
#include <config.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "signals.h"
#include "utils.h"

struct signal_entry
{
  const char *name; /* with the SIG prefix, as nook_signal_name returns it */
  int signo;
};

/* The first entry for a number is its canonical name; aliases follow it. */
static const struct signal_entry SIGNALS[] = {
  { "SIGHUP", SIGHUP },
  { "SIGINT", SIGINT },
  { "SIGQUIT", SIGQUIT },
  { "SIGILL", SIGILL },
  { "SIGTRAP", SIGTRAP },
  { "SIGABRT", SIGABRT },
  { "SIGIOT", SIGIOT },
  { "SIGBUS", SIGBUS },
  { "SIGFPE", SIGFPE },
  { "SIGKILL", SIGKILL },
  { "SIGUSR1", SIGUSR1 },
  { "SIGSEGV", SIGSEGV },
  { "SIGUSR2", SIGUSR2 },
  { "SIGPIPE", SIGPIPE },
  { "SIGALRM", SIGALRM },
  { "SIGTERM", SIGTERM },
  { "SIGSTKFLT", SIGSTKFLT },
  { "SIGCHLD", SIGCHLD },
  { "SIGCLD", SIGCHLD },
  { "SIGCONT", SIGCONT },
  { "SIGSTOP", SIGSTOP },
  { "SIGTSTP", SIGTSTP },
  { "SIGTTIN", SIGTTIN },
  { "SIGTTOU", SIGTTOU },
  { "SIGURG", SIGURG },
  { "SIGXCPU", SIGXCPU },
  { "SIGXFSZ", SIGXFSZ },
  { "SIGVTALRM", SIGVTALRM },
  { "SIGPROF", SIGPROF },
  { "SIGWINCH", SIGWINCH },
  { "SIGIO", SIGIO },
  { "SIGPOLL", SIGPOLL },
  { "SIGPWR", SIGPWR },
  { "SIGSYS", SIGSYS },
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Names of the real-time signals as kill -l prints them: the lower half
 * counts up from RTMIN, the upper half down from RTMAX.  Linux has 31 of
 * them with glibc (34..64); 32 names per side covers any split. */
#define RT_NAMES(base, op)                                                         \
  base, base op "1", base op "2", base op "3", base op "4", base op "5", base op "6", \
    base op "7", base op "8", base op "9", base op "10", base op "11", base op "12",   \
    base op "13", base op "14", base op "15", base op "16", base op "17", base op "18", \
    base op "19", base op "20", base op "21", base op "22", base op "23", base op "24", \
    base op "25", base op "26", base op "27", base op "28", base op "29", base op "30", \
    base op "31"
static const char *const RTMIN_NAMES[] = { RT_NAMES ("SIGRTMIN", "+") };
static const char *const RTMAX_NAMES[] = { RT_NAMES ("SIGRTMAX", "-") };

static int
unknown_signal (const char *s, nook_error_t *err)
{
  return nook_make_error (err, 0, "unknown signal `%s`", s);
}

/* Only plain decimal digits: no sign, no spaces, no hex. */
static bool
parse_decimal (const char *s, int64_t *out)
{
  if (*s < '0' || *s > '9')
    return false;
  return parse_int64 (s, out) == 0 && strspn (s, "0123456789") == strlen (s);
}

/* "RTMIN", "RTMIN+3", "RTMAX-1", "RTMAX" (prefix already stripped). */
static bool
parse_realtime (const char *s, int *signo)
{
  int64_t off = 0;
  int base, sign;

  if (strncasecmp (s, "RTMIN", 5) == 0)
    base = SIGRTMIN, sign = 1;
  else if (strncasecmp (s, "RTMAX", 5) == 0)
    base = SIGRTMAX, sign = -1;
  else
    return false;

  s += 5;
  if (*s != '\0')
    {
      if (*s != (sign > 0 ? '+' : '-') || ! parse_decimal (s + 1, &off))
        return false;
      if (off > SIGRTMAX - SIGRTMIN)
        return false;
    }
  *signo = base + sign * (int) off;
  return true;
}

int
nook_signal_parse (const char *s, int *signo, nook_error_t *err)
{
  const char *name = s;
  int64_t n;
  size_t i;

  if (parse_decimal (s, &n))
    {
      if (n < 1 || n > SIGRTMAX)
        return unknown_signal (s, err);
      *signo = (int) n;
      return 0;
    }

  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;

  for (i = 0; i < N_ELEMENTS (SIGNALS); i++)
    if (strcasecmp (name, SIGNALS[i].name + 3) == 0)
      {
        *signo = SIGNALS[i].signo;
        return 0;
      }

  if (parse_realtime (name, signo))
    return 0;

  return unknown_signal (s, err);
}

const char *
nook_signal_name (int signo)
{
  int rtmin = SIGRTMIN, rtmax = SIGRTMAX;
  int half = (rtmax - rtmin) / 2;
  size_t i;

  for (i = 0; i < N_ELEMENTS (SIGNALS); i++)
    if (SIGNALS[i].signo == signo)
      return SIGNALS[i].name;

  if (signo < rtmin || signo > rtmax)
    return NULL;
  if (signo - rtmin <= half && (size_t) (signo - rtmin) < N_ELEMENTS (RTMIN_NAMES))
    return RTMIN_NAMES[signo - rtmin];
  if ((size_t) (rtmax - signo) < N_ELEMENTS (RTMAX_NAMES))
    return RTMAX_NAMES[rtmax - signo];
  return NULL;
}
