/* nook kill */
#include <config.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include "nook.h"
#include "container.h"
#include "signals.h"

static const struct option options[] = {
  { "all", no_argument, NULL, 'a' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
usage (void)
{
  printf ("Usage: nook kill [OPTIONS] CONTAINER-ID [SIGNAL]\n\n"
          "Send SIGNAL (default SIGTERM; a name such as KILL or SIGKILL, or a number)\n"
          "to the container's process.\n\n"
          "Options:\n"
          "  -a, --all    signal every process in the container's cgroup\n"
          "  -h, --help   print this help\n");
}

int
nook_cmd_kill (struct nook_global_opts *g, int argc, char **argv)
{
  nook_error_t err = NULL;
  bool all = false;
  int c, sig = SIGTERM, nargs;

  while ((c = getopt_long (argc, argv, "+:ah", options, NULL)) != -1)
    switch (c)
      {
      case 'a': all = true; break;
      case 'h': usage (); return 0;
      default: return nook_option_error ("kill", c, argv);
      }
  nargs = argc - optind;
  if (nargs < 1 || nargs > 2)
    return nook_check_positional ("kill", argc, argv, nargs < 1 ? 1 : 2, "container id");
  if (nargs == 2 && nook_signal_parse (argv[optind + 1], &sig, &err) < 0)
    return nook_fail (&err);
  if (nook_container_kill (g->root, argv[optind], sig, all, &err) < 0)
    return nook_fail (&err);
  return 0;
}
