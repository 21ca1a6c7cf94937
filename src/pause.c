/* nook pause */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include "nook.h"
#include "container.h"

static const struct option options[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
nook_cmd_pause (struct nook_global_opts *g, int argc, char **argv)
{
  nook_error_t err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "+:h", options, NULL)) != -1)
    {
      if (c != 'h')
        return nook_option_error ("pause", c, argv);
      printf ("Usage: nook pause CONTAINER-ID\n\n"
              "Freeze every process of a created or running container (its cgroup's\n"
              "freezer); `nook state` says \"paused\" until `nook resume`.\n");
      return 0;
    }
  if (nook_check_positional ("pause", argc, argv, 1, "container id") != 0)
    return 1;
  if (nook_container_pause (g->root, argv[optind], &err) < 0)
    return nook_fail (&err);
  return 0;
}
