/* nook state */
#include <config.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "nook.h"
#include "container.h"

static const struct option options[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

int
nook_cmd_state (struct nook_global_opts *g, int argc, char **argv)
{
  nook_error_t err = NULL;
  oci_state *state = NULL;
  char *json = NULL, *msg = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "+:h", options, NULL)) != -1)
    {
      if (c != 'h')
        return nook_option_error ("state", c, argv);
      printf ("Usage: nook state CONTAINER-ID\n\n"
              "Print the runtime-spec state of a container as JSON (status is one of\n"
              "creating, created, running, paused, stopped).\n");
      return 0;
    }
  if (nook_check_positional ("state", argc, argv, 1, "container id") != 0)
    return 1;
  if (nook_container_state (g->root, argv[optind], &state, &err) < 0)
    return nook_fail (&err);
  if (oci_state_generate (state, true, &json, NULL, &msg) < 0)
    {
      oci_state_free (state);
      nook_usage_error ("state", "cannot write the state: %s", msg);
      free (msg);
      return 1;
    }
  printf ("%s\n", json);
  free (json);
  oci_state_free (state);
  return 0;
}
