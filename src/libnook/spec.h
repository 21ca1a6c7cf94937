/* nook - the default config.json (`nook spec`). */
#ifndef NOOK_SPEC_H
#define NOOK_SPEC_H

#include <stdbool.h>
#include "oci.h"
#include "error.h"

struct nook_spec_opts
{
  bool rootless; /* user namespace mapping the caller's uid/gid, no netns, no cgroup limits */
};

/* Build the default document (like runc spec: busybox-friendly, args ["sh"],
 * terminal false, default mounts, masked/readonly paths, namespaces). */
int nook_spec_default (const struct nook_spec_opts *opts, oci_container **out, nook_error_t *err);

/* Write <bundle>/config.json; fails if it exists already (as runc). */
int nook_spec_write (const char *bundle, const struct nook_spec_opts *opts, nook_error_t *err);

#endif
