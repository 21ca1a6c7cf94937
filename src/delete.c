/* nook delete */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include "nook.h"
#include "container.h"

static const struct option options[] = {
  { "force", no_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
nook_cmd_delete (struct nook_global_opts *g, int argc, char **argv)
{
  nook_error_t err = NULL;
  bool force = false;
  int c;

  while ((c = getopt_long (argc, argv, "+:fh", options, NULL)) != -1)
    switch (c)
      {
      case 'f': force = true; break;
      case 'h':
        printf ("Usage: nook delete [OPTIONS] CONTAINER-ID\n\n"
                "Delete a stopped container: its cgroup and state. A created or running\n"
                "container is refused unless --force, which kills it first.\n\n"
                "Options:\n"
                "  -f, --force  kill the container if needed; a missing container is not an error\n"
                "  -h, --help   print this help\n");
        return 0;
      default: return nook_option_error ("delete", c, argv);
      }
  if (nook_check_positional ("delete", argc, argv, 1, "container id") != 0)
    return 1;
  if (nook_container_delete (g->root, argv[optind], force, &err) < 0)
    return nook_fail (&err);
  return 0;
}
