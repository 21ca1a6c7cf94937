/* nook spec [--bundle DIR] [--rootless]: write a default config.json. */
#include <config.h>

#include <getopt.h>
#include <stdio.h>

#include "nook.h"
#include "spec.h"

struct spec_cmd_opts
{
  const char *bundle;
  struct nook_spec_opts spec;
};

static const char SPEC_USAGE[]
  = "Usage: nook spec [OPTIONS]\n"
    "\n"
    "Write a default config.json into the bundle directory.\n"
    "\n"
    "Options:\n"
    "  -b, --bundle DIR   bundle directory (default: the current directory)\n"
    "      --rootless     a spec for a container run by an unprivileged user\n"
    "  -h, --help         show this help\n";

enum
{
  OPT_ROOTLESS = 0x100,
};

static const struct option SPEC_OPTIONS[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "rootless", no_argument, NULL, OPT_ROOTLESS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* -1: go on; otherwise the exit status to return now. */
static int
parse_spec_options (int argc, char **argv, struct spec_cmd_opts *o)
{
  int c;

  optind = 0; /* reinitialise getopt: nook.c parsed the global options */
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:b:h", SPEC_OPTIONS, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->bundle = optarg;
        break;
      case OPT_ROOTLESS:
        o->spec.rootless = true;
        break;
      case 'h':
        fputs (SPEC_USAGE, stdout);
        return 0;
      default:
        return nook_option_error ("spec", c, argv);
      }
  if (nook_check_positional ("spec", argc, argv, 0, "nothing") != 0)
    return 1;
  return -1;
}

int
nook_cmd_spec (struct nook_global_opts *g, int argc, char **argv)
{
  struct spec_cmd_opts o = { .bundle = "." };
  nook_error_t err = NULL;
  int ret;

  ret = parse_spec_options (argc, argv, &o);
  if (ret >= 0)
    return ret;

  if (nook_spec_write (o.bundle, &o.spec, &err) < 0)
    return nook_fail (&err);
  return 0;
}
