/* nook run */
#include <config.h>
#include "nook.h"
#include "container.h"

int
nook_cmd_run (struct nook_global_opts *g, int argc, char **argv)
{
  struct nook_create_opts o;
  nook_error_t err = NULL;
  bool detach = false;
  int status;
  int r = nook_parse_create_opts (argc, argv, g, &o, &detach);

  if (r >= 0)
    return r;
  if (nook_container_run (&o, detach, &status, &err) < 0)
    return nook_fail (&err);
  return status;
}
