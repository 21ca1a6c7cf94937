/* nook - what mount.c and devices.c share (not for callers outside them). */
#ifndef NOOK_MOUNT_INTERNAL_H
#define NOOK_MOUNT_INTERNAL_H

#include <stdbool.h>
#include "oci.h"
#include "error.h"

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* ---- mount.c: paths ---- */

/* Lexically clean an absolute path ("//a/./b/../c/" -> "/a/c"); ".." stops
 * at "/" as it does in the container.  malloc'd. */
char *mount_path_clean (const char *path);
/* path, cleaned, is clean. */
bool mount_path_is (const char *path, const char *clean);

#define FD_PATH_SIZE 32
/* "/proc/self/fd/N" in buf, to operate on what fd is. */
const char *mount_fd_path (char buf[FD_PATH_SIZE], int fd);

/* O_PATH fd of the directory dir as the container will see it (rootfd,
 * the rootfs, being "/"), missing components created; symlinks are
 * followed inside the rootfs, never out of it. */
int mount_resolve_dir (int rootfd, const char *dir, nook_error_t *err);

/* ---- devices.c ---- */

/* The nodes of the container's /dev, the rootfs being rootfd: the default
 * devices (null zero full random urandom tty) the config does not name,
 * then linux.devices (l may be NULL), then /dev/pts and the /dev symlinks
 * (fd stdin stdout stderr ptmx, core when the host has /proc/kcore).  An
 * entry that exists is left alone.  mknod refused (user namespace): the
 * host's node of the same path is bound instead. */
int devices_create (int rootfd, const oci_linux *l, nook_error_t *err);

#endif
