/* nook ps */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook.h"
#include "container.h"

static const struct option options[] = {
  { "format", required_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static const struct
{
  const char *name;
  enum nook_ps_format format;
} formats[] = {
  { "table", NOOK_PS_TABLE },
  { "json", NOOK_PS_JSON },
};

static void
usage (void)
{
  printf ("Usage: nook ps [OPTIONS] CONTAINER-ID [--] [PS-ARGS...]\n\n"
          "List the processes in the container's cgroup (host pids).  The table is\n"
          "ps(1)'s output for PS-ARGS (default -ef), only the container's lines; it\n"
          "must keep a PID column.\n\n"
          "Options:\n"
          "  -f, --format FORMAT  table (default) or json (an array of pids)\n"
          "  -h, --help           print this help\n");
}

static int
parse_format (const char *s, enum nook_ps_format *out)
{
  size_t i;
  for (i = 0; i < sizeof (formats) / sizeof (formats[0]); i++)
    if (strcmp (s, formats[i].name) == 0)
      {
        *out = formats[i].format;
        return 0;
      }
  return nook_usage_error ("ps", "--format must be `table` or `json`, not `%s`", s);
}

int
nook_cmd_ps (struct nook_global_opts *g, int argc, char **argv)
{
  enum nook_ps_format format = NOOK_PS_TABLE;
  nook_error_t err = NULL;
  char **ps_args, *out = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "+:f:h", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (parse_format (optarg, &format) != 0)
          return 1;
        break;
      case 'h': usage (); return 0;
      default: return nook_option_error ("ps", c, argv);
      }
  if (optind >= argc)
    return nook_check_positional ("ps", argc, argv, 1, "container id");
  /* Everything after the id is ps(1)'s, with or without a `--` first. */
  ps_args = argv + optind + 1;
  if (ps_args[0] && strcmp (ps_args[0], "--") == 0)
    ps_args++;
  if (format == NOOK_PS_JSON && ps_args[0])
    return nook_usage_error ("ps", "ps arguments (`%s`) are for --format table", ps_args[0]);
  if (nook_container_ps (g->root, argv[optind], format, ps_args, &out, &err) < 0)
    return nook_fail (&err);
  fputs (out, stdout);
  free (out);
  return 0;
}
