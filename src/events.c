/* nook events */
#include <config.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook.h"
#include "container.h"

enum
{
  OPT_STATS = 1000,
  OPT_INTERVAL,
};

static const struct option options[] = {
  { "stats", no_argument, NULL, OPT_STATS },
  { "interval", required_argument, NULL, OPT_INTERVAL },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Go's time.ParseDuration units, as runc's --interval takes them. */
static const struct
{
  const char *suffix;
  double ms;
} units[] = {
  { "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 }, { "\xce\xbcs", 1e-3 },
  { "ms", 1 },    { "s", 1e3 },   { "m", 60e3 },          { "h", 3600e3 },
};

static void
usage (void)
{
  printf ("Usage: nook events [OPTIONS] CONTAINER-ID\n\n"
          "Print the container's events as JSON lines, as runc does: {\"type\":\"oom\"} when\n"
          "the OOM killer strikes in its cgroup, and {\"type\":\"stats\",\"data\":{...}} every\n"
          "interval, until the container stops.\n\n"
          "Options:\n"
          "      --stats          print the stats once, then exit\n"
          "      --interval DUR   time between stats: 5s (default), 500ms, 1m30s...\n"
          "  -h, --help           print this help\n");
}

/* "1m30s", "500ms", "1.5s" -> milliseconds, rounded up. */
static int
parse_duration (const char *s, uint64_t *out_ms)
{
  const char *p = s;
  double total = 0;

  if (strcmp (s, "0") == 0)
    {
      *out_ms = 0;
      return 0;
    }
  while (*p)
    {
      char *end;
      double v;
      size_t i, best = 0, best_len = 0;

      if ((*p < '0' || *p > '9') && *p != '.')
        return -1;
      errno = 0;
      v = strtod (p, &end);
      if (end == p || errno)
        return -1;
      for (i = 0; i < sizeof (units) / sizeof (units[0]); i++)
        {
          size_t len = strlen (units[i].suffix);
          if (strncmp (end, units[i].suffix, len) == 0 && len > best_len)
            {
              best = i;
              best_len = len;
            }
        }
      if (best_len == 0)
        return -1;
      total += v * units[best].ms;
      p = end + best_len;
    }
  if (total > (double) UINT32_MAX * 1000)
    return -1;
  *out_ms = (uint64_t) total;
  if ((double) *out_ms < total)
    (*out_ms)++;
  return 0;
}

static int
print_line (const char *json, void *data)
{
  (void) data;
  if (puts (json) < 0 || fflush (stdout) != 0)
    return -1;
  return 0;
}

int
nook_cmd_events (struct nook_global_opts *g, int argc, char **argv)
{
  nook_error_t err = NULL;
  uint64_t interval_ms = 5000;
  bool stats = false;
  int c;

  while ((c = getopt_long (argc, argv, "+:h", options, NULL)) != -1)
    switch (c)
      {
      case OPT_STATS: stats = true; break;
      case OPT_INTERVAL:
        if (parse_duration (optarg, &interval_ms) < 0)
          return nook_usage_error ("events", "--interval: `%s` is not a duration (like 5s, "
                                   "500ms or 1m30s)", optarg);
        if (interval_ms == 0)
          return nook_usage_error ("events", "--interval must be greater than 0");
        break;
      case 'h': usage (); return 0;
      default: return nook_option_error ("events", c, argv);
      }
  if (nook_check_positional ("events", argc, argv, 1, "container id") != 0)
    return 1;
  if (nook_container_events (g->root, argv[optind], stats, interval_ms, print_line, NULL, &err)
      < 0)
    return nook_fail (&err);
  return 0;
}
