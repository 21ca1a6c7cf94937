/* nook features: print what this build supports (runtime-spec features). */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nook.h"
#include "features.h"

static const char FEATURES_USAGE[]
  = "Usage: nook features\n"
    "\n"
    "Print the runtime-spec features document (JSON) of this build on this host.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n";

static const struct option FEATURES_OPTIONS[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* -1: go on; otherwise the exit status to return now. */
static int
parse_features_options (int argc, char **argv)
{
  int c;

  optind = 0; /* reinitialise getopt: nook.c parsed the global options */
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:h", FEATURES_OPTIONS, NULL)) != -1)
    switch (c)
      {
      case 'h':
        fputs (FEATURES_USAGE, stdout);
        return 0;
      default:
        return nook_option_error ("features", c, argv);
      }
  if (nook_check_positional ("features", argc, argv, 0, "nothing") != 0)
    return 1;
  return -1;
}

int
nook_cmd_features (struct nook_global_opts *g, int argc, char **argv)
{
  nook_error_t err = NULL;
  char *json = NULL;
  size_t len;
  int ret;

  ret = parse_features_options (argc, argv);
  if (ret >= 0)
    return ret;

  if (nook_features_json (&json, &err) < 0)
    return nook_fail (&err);
  len = strlen (json);
  ret = fputs (json, stdout) < 0 || (len > 0 && json[len - 1] != '\n' && putchar ('\n') == EOF)
        || fflush (stdout) != 0;
  free (json);
  if (ret)
    {
      nook_make_error (&err, errno, "write the features document to stdout");
      return nook_fail (&err);
    }
  return 0;
}
