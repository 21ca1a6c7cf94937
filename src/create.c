/* nook create */
#include <config.h>
#include "nook.h"
#include "container.h"

int
nook_cmd_create (struct nook_global_opts *g, int argc, char **argv)
{
  struct nook_create_opts o;
  nook_error_t err = NULL;
  int r = nook_parse_create_opts (argc, argv, g, &o, NULL);

  if (r >= 0)
    return r;
  if (nook_container_create (&o, NULL, &err) < 0)
    return nook_fail (&err);
  return 0;
}
