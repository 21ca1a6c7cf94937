/* nook - systemd cgroup driver (`--systemd-cgroup`).
 *
 * Not there yet: the sd-bus driver (transient scope units) comes in a
 * later issue.  Until then asking for it is an error, never a silent fall
 * back to cgroupfs: systemd would not know the cgroup and could move or
 * remove it under the container.
 */
#include <config.h>
#include "cgroup-internal.h"

#define NOT_YET "systemd cgroup driver (--systemd-cgroup) is not supported yet"

int
cgroup_systemd_new (const char *id, const char *cgroups_path, struct nook_cgroup **out,
                    nook_error_t *err)
{
  (void) id;
  (void) cgroups_path;
  (void) out;
  return nook_make_error (err, 0, NOT_YET);
}

int
cgroup_systemd_load (const char *path, struct nook_cgroup **out, nook_error_t *err)
{
  (void) path;
  (void) out;
  return nook_make_error (err, 0, NOT_YET);
}
