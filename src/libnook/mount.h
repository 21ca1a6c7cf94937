/* nook - the container's filesystem view: rootfs, mounts, devices, pivot. */
#ifndef NOOK_MOUNT_H
#define NOOK_MOUNT_H

#include <stdbool.h>
#include "oci.h"
#include "error.h"
#include "cgroup.h"

struct nook_mount_opts
{
  const char *rootfs;        /* absolute, symlinks resolved, on the host */
  bool no_pivot;             /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  struct nook_cgroup *cgroup; /* for mounts of type "cgroup"/"cgroup2" */
  bool own_cgroupns;         /* the container has its own cgroup namespace */
  bool own_netns;            /* sysfs needs care when the netns is the host's */
  /* Called after every mount and device is in place, before pivot_root
   * (may be NULL). */
  int (*before_pivot) (void *arg, nook_error_t *err);
  void *before_pivot_arg;
  /* Called in the new root, before maskedPaths and readonlyPaths (which
   * may make /proc/sys read-only) (may be NULL). */
  int (*after_pivot) (void *arg, nook_error_t *err);
  void *after_pivot_arg;
  /* Parallel to cfg->mounts (may be NULL): the idmapped mount trees
   * nook_idmap_prepare made (idmap.h), -1 for other mounts.  An idmapped
   * mount is attached from its tree, never bound from its source. */
  const int *idmap_fds;
};

/* Runs in the container init, in its new mount namespace, as root, after
 * it joined its cgroup.  In order:
 *   - make / rslave (or linux.rootfsPropagation) so nothing leaks to the host;
 *   - bind the rootfs on itself;
 *   - every config mount, in order (bind/rbind, tmpfs, proc, sysfs, devpts,
 *     mqueue, cgroup, any other fs type) with its options, destinations
 *     resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), created as dir
 *     or file as the source needs; an idmapped bind is attached from its
 *     tree in opts->idmap_fds;
 *   - default devices (null zero full random urandom tty) and linux.devices,
 *     /dev symlinks (fd stdin stdout stderr ptmx core), /dev/pts ptmx;
 *   - opts->before_pivot;
 *   - pivot_root (or --no-pivot), old root detached;
 *   - opts->after_pivot;
 *   - maskedPaths, readonlyPaths, root.readonly;
 *   - rootfs propagation as configured.
 * Errors say which mount failed: "mount `proc` on `/proc`: EPERM". */
int mount_setup_container (const oci_container *cfg, const struct nook_mount_opts *opts,
                           nook_error_t *err);

/* Parse a list of mount options into MS_* flags, propagation flags and the
 * remaining data string (comma separated, malloc'd).  Unknown options that
 * look like flags are passed on as data, as the kernel decides. */
struct nook_mount_flags
{
  unsigned long flags;       /* MS_RDONLY MS_NOSUID ... MS_BIND MS_REC */
  unsigned long clear;       /* flags explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation; /* MS_SHARED MS_SLAVE MS_PRIVATE MS_UNBINDABLE (| MS_REC) */
  char *data;
};
/* dest resolved inside the rootfs rootfd (symlinks cannot lead out),
 * created with what is missing on the way: a directory, or an empty file
 * when !dir.  Returns an O_PATH fd. */
int mount_resolve_create (int rootfd, const char *dest, bool dir, nook_error_t *err);

int mount_parse_options (char **options, size_t n, struct nook_mount_flags *out, nook_error_t *err);

/* What a config mount asks of idmapping, for nook_idmap_prepare: the
 * option table lives here, so the two cannot disagree. */
struct nook_mount_idmap
{
  bool idmapped;  /* `idmap` or `ridmap`, or uidMappings/gidMappings given */
  bool bind;      /* type "bind", or a bind/rbind option */
  bool rec_tree;  /* rbind: the source's submounts come along */
  bool rec_idmap; /* ridmap: the submounts are idmapped too */
};
int mount_idmap_request (const oci_mount *m, struct nook_mount_idmap *out, nook_error_t *err);

/* The option names mount_parse_options implements (malloc'd strv), for
 * the features document: one table, so the two cannot drift apart. */
char **mount_supported_options (size_t *n);

#endif
