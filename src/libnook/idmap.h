/* nook - idmapped bind mounts (mount uidMappings/gidMappings, `idmap`,
 * `ridmap`), prepared by `create` before the container init exists. */
#ifndef NOOK_IDMAP_H
#define NOOK_IDMAP_H

#include <stddef.h>
#include "oci.h"
#include "error.h"

/* A user namespace whose uid_map and gid_map are the given mappings (as
 * written in config.json: containerID is the id on the filesystem, hostID
 * the id it is shown as), for MOUNT_ATTR_IDMAP.  *fd is O_RDONLY|O_CLOEXEC
 * on /proc/PID/ns/user of a helper that is gone again on return.  what
 * names the mappings in errors ("mounts[2]"). */
int nook_idmap_userns_fd (const oci_id_mapping *uid, size_t nuid, const oci_id_mapping *gid,
                          size_t ngid, const char *what, int *fd, nook_error_t *err);

/* Parent, as host root, before clone: for every idmapped config mount, a
 * detached clone of its source (relative sources are taken from bundle)
 * with MOUNT_ATTR_IDMAP set, AT_RECURSIVE for rbind / ridmap.  *fds is
 * malloc'd, parallel to cfg->mounts, -1 where a mount is not idmapped
 * (NULL when cfg has no mounts).  The container init attaches them
 * (mount.c); until then each holds only a detached tree, which vanishes
 * with its last fd: a failed create leaves no mount behind.
 *
 * Here, not in the init: setting MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN over
 * the user namespace of the source's superblock (the host's), which an
 * init inside its own user namespace never has.
 *
 * Errors name the mount: "mounts[2]: idmapped mount of `/src` on `/dst`:
 * the filesystem does not support idmapped mounts: Invalid argument". */
int nook_idmap_prepare (const oci_container *cfg, const char *bundle, int **fds,
                        nook_error_t *err);

/* Close every fd >= 0 of fds[0..n) and free fds (NULL is fine). */
void nook_idmap_release (int *fds, size_t n);

#endif
