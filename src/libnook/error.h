/* nook - error idiom shared by the whole runtime.
 *
 * Every function that can fail returns an int (negative on failure) and
 * fills a nook_error_t with the errno and a message saying what was being
 * done to what ("mount `proc` on `/proc`: Operation not permitted").
 * Only the CLI prints errors (nook_log_error), to stderr and to --log.
 */
#ifndef NOOK_ERROR_H
#define NOOK_ERROR_H

#include <stdbool.h>
#include <stdarg.h>

struct nook_error_s
{
  int status; /* errno value, 0 when the error has none */
  char *msg;  /* complete message; includes strerror(status) when status != 0 */
};
typedef struct nook_error_s *nook_error_t;

/* Fill *err (if not already set) and return -1.  When errno_ != 0 the
 * message gets ": <strerror>" appended.  */
int nook_make_error (nook_error_t *err, int errno_, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Prefix an existing error with more context: "create container `x`: <old>". */
int nook_error_wrap (nook_error_t *err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

void nook_error_release (nook_error_t *err);

/* Logging: set up once by the CLI from --log/--log-format/--debug. */
enum nook_log_format
{
  NOOK_LOG_TEXT,
  NOOK_LOG_JSON,
};

enum nook_log_level
{
  NOOK_LOG_LEVEL_ERROR,
  NOOK_LOG_LEVEL_WARNING,
  NOOK_LOG_LEVEL_INFO,
  NOOK_LOG_LEVEL_DEBUG,
};

/* path may be NULL (stderr only).  Returns -1 and fills err when the log
 * file cannot be opened.  */
int nook_log_init (const char *path, enum nook_log_format fmt, bool debug, nook_error_t *err);
void nook_log (enum nook_log_level level, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* Print err to stderr and to the log file (as JSON if asked), then release it. */
void nook_log_error (nook_error_t *err);

#define nook_debug(...) nook_log (NOOK_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define nook_warning(...) nook_log (NOOK_LOG_LEVEL_WARNING, __VA_ARGS__)

/* The fd of the log file (or -1) so a forked child can keep logging, and
 * close it before execve.  */
int nook_log_fd (void);

#endif
