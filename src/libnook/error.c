/* nook - errors and logging.
 *
 * Errors travel up as nook_error_t; only the CLI prints them.  containerd
 * and podman read the runtime's --log file (with --log-format json), so
 * every error reaches it as a JSON line {"level","msg","time"} as runc
 * writes them. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include "error.h"
#include "utils.h"

/* Parsed once from global options; not mutated afterwards. */
static struct
{
  int fd;
  enum nook_log_format format;
  bool debug;
} log_config = { .fd = -1 };

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

int
nook_make_error (nook_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  if (err == NULL || *err != NULL)
    return -1;

  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);

  *err = xmalloc0 (sizeof (**err));
  (*err)->status = errno_;
  if (errno_ != 0)
    {
      char *full = NULL;
      xasprintf (&full, "%s: %s", msg, strerror (errno_));
      free (msg);
      msg = full;
    }
  (*err)->msg = msg;
  return -1;
}

int
nook_error_wrap (nook_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *prefix, *full = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  prefix = vformat (fmt, ap);
  va_end (ap);
  xasprintf (&full, "%s: %s", prefix, (*err)->msg);
  free (prefix);
  free ((*err)->msg);
  (*err)->msg = full;
  return -1;
}

void
nook_error_release (nook_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
nook_log_init (const char *path, enum nook_log_format fmt, bool debug, nook_error_t *err)
{
  log_config.format = fmt;
  log_config.debug = debug;
  if (path == NULL || path[0] == '\0')
    return 0;
  log_config.fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_config.fd < 0)
    return nook_make_error (err, errno, "open log file `%s`", path);
  return 0;
}

int
nook_log_fd (void)
{
  return log_config.fd;
}

static const char *const level_names[] = {
  [NOOK_LOG_LEVEL_ERROR] = "error",
  [NOOK_LOG_LEVEL_WARNING] = "warning",
  [NOOK_LOG_LEVEL_INFO] = "info",
  [NOOK_LOG_LEVEL_DEBUG] = "debug",
};

static void
format_time (char *buf, size_t size)
{
  struct timespec ts;
  struct tm tm;
  char base[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof (base), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, size, "%s.%09ldZ", base, ts.tv_nsec);
}

/* One JSON object per line, built with yajl so messages are escaped right. */
static char *
json_log_line (enum nook_log_level level, const char *msg, size_t *len)
{
  const unsigned char *buf;
  size_t buflen;
  char when[64], *out;
  yajl_gen g = yajl_gen_alloc (NULL);

  format_time (when, sizeof (when));
  yajl_gen_map_open (g);
  yajl_gen_string (g, (const unsigned char *) "level", 5);
  yajl_gen_string (g, (const unsigned char *) level_names[level], strlen (level_names[level]));
  yajl_gen_string (g, (const unsigned char *) "msg", 3);
  yajl_gen_string (g, (const unsigned char *) msg, strlen (msg));
  yajl_gen_string (g, (const unsigned char *) "time", 4);
  yajl_gen_string (g, (const unsigned char *) when, strlen (when));
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &buflen);
  out = xmalloc0 (buflen + 2);
  memcpy (out, buf, buflen);
  out[buflen] = '\n';
  *len = buflen + 1;
  yajl_gen_free (g);
  return out;
}

static void
log_to_file (enum nook_log_level level, const char *msg)
{
  char *line = NULL;
  size_t len;

  if (log_config.fd < 0)
    return;
  if (log_config.format == NOOK_LOG_JSON)
    line = json_log_line (level, msg, &len);
  else
    {
      char when[64];
      format_time (when, sizeof (when));
      len = xasprintf (&line, "%s %s: %s\n", when, level_names[level], msg);
    }
  (void) write_all (log_config.fd, line, len);
  free (line);
}

static void
log_message (enum nook_log_level level, const char *msg)
{
  if (level == NOOK_LOG_LEVEL_DEBUG && !log_config.debug)
    return;
  log_to_file (level, msg);
  /* With a log file, stderr still gets errors (shims and conmon show the
   * runtime's stderr too), but not warnings: a warning from the container
   * init would land in the container's own stderr stream. */
  if (level == NOOK_LOG_LEVEL_ERROR || log_config.fd < 0)
    {
      if (level == NOOK_LOG_LEVEL_ERROR)
        fprintf (stderr, "nook: %s\n", msg);
      else
        fprintf (stderr, "nook: %s: %s\n", level_names[level], msg);
    }
}

void
nook_log (enum nook_log_level level, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  if (level == NOOK_LOG_LEVEL_DEBUG && !log_config.debug)
    return;
  va_start (ap, fmt);
  msg = vformat (fmt, ap);
  va_end (ap);
  log_message (level, msg);
  free (msg);
}

void
nook_log_error (nook_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  log_message (NOOK_LOG_LEVEL_ERROR, (*err)->msg);
  nook_error_release (err);
}
