/* nook - the device nodes of the container's /dev: the default devices,
 * linux.devices, and the /dev symlinks.  Paths are resolved in the rootfs
 * as for every mount (mount.c), never by walking a string path. */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mount-internal.h"
#include "utils.h"

static const struct
{
  const char *name;
  mode_t kind;
  bool numbered;
} device_types[] = {
  { "c", S_IFCHR, true }, { "u", S_IFCHR, true }, { "b", S_IFBLK, true }, { "p", S_IFIFO, false },
};

static const struct
{
  const char *path;
  unsigned int major;
  unsigned int minor;
} default_devices[] = {
  { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct
{
  const char *name;
  const char *target;
  const char *host_needs; /* only when this exists on the host */
} dev_links[] = {
  { "fd", "/proc/self/fd", NULL },
  { "stdin", "/proc/self/fd/0", NULL },
  { "stdout", "/proc/self/fd/1", NULL },
  { "stderr", "/proc/self/fd/2", NULL },
  { "ptmx", "pts/ptmx", NULL },
  { "core", "/proc/kcore", "/proc/kcore" },
};

static int
device_kind (const oci_device *d, mode_t *kind, nook_error_t *err)
{
  for (size_t i = 0; i < ARRAY_SIZE (device_types); i++)
    {
      if (d->type == NULL || strcmp (d->type, device_types[i].name) != 0)
        continue;
      if (device_types[i].numbered && !(d->has_major && d->has_minor))
        return nook_make_error (err, 0, "device `%s`: type `%s` needs a major and a minor",
                                d->path, d->type);
      *kind = device_types[i].kind;
      return 0;
    }
  return nook_make_error (err, 0, "device `%s`: unknown type `%s`", d->path,
                          d->type ? d->type : "");
}

/* mknod is refused in a user namespace: cover an empty file with the
 * host's node of the same path instead, as runc does. */
static int
bind_host_device (int parentfd, const char *name, const char *path, nook_error_t *err)
{
  cleanup_close int fd = -1;
  char p[FD_PATH_SIZE];

  if (mknodat (parentfd, name, S_IFREG | 0000, 0) < 0 && errno != EEXIST)
    return nook_make_error (err, errno, "create `%s`", path);
  fd = openat (parentfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return nook_make_error (err, errno, "open `%s`", path);
  if (mount (path, mount_fd_path (p, fd), NULL, MS_BIND, NULL) < 0)
    return nook_make_error (err, errno, "bind the host's `%s`", path);
  return 0;
}

/* The parent directory and final name of a device path. */
static int
open_device_parent (int rootfd, const char *clean, const char **name, nook_error_t *err)
{
  cleanup_free char *dir = NULL;
  const char *slash = strrchr (clean, '/');

  if (slash[1] == '\0')
    return nook_make_error (err, 0, "device `%s`: not a file path", clean);
  *name = slash + 1;
  dir = strndup (clean, slash - clean);
  return mount_resolve_dir (rootfd, dir, err);
}

/* An existing entry is left alone, as runc does. */
static int
create_device (int rootfd, const oci_device *d, nook_error_t *err)
{
  cleanup_free char *clean = NULL;
  cleanup_close int parent = -1;
  const char *name = NULL;
  mode_t kind = 0, perm;
  dev_t dev;

  if (d->path == NULL)
    return nook_make_error (err, 0, "device: missing path");
  if (device_kind (d, &kind, err) < 0)
    return -1;
  clean = mount_path_clean (d->path);
  parent = open_device_parent (rootfd, clean, &name, err);
  if (parent < 0)
    return -1;
  perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
  dev = kind == S_IFIFO ? 0 : makedev (d->major, d->minor);
  if (mknodat (parent, name, kind | perm, dev) < 0)
    {
      if (errno == EEXIST)
        return 0;
      if (errno == EPERM && kind != S_IFIFO)
        return bind_host_device (parent, name, clean, err);
      return nook_make_error (err, errno, "mknod `%s`", clean);
    }
  if (fchownat (parent, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return nook_make_error (err, errno, "chown `%s`", clean);
  return 0;
}

static bool
device_configured (const oci_linux *l, const char *path)
{
  for (size_t i = 0; l && i < l->devices_len; i++)
    if (l->devices[i].path && mount_path_is (l->devices[i].path, path))
      return true;
  return false;
}

static int
create_devices (int rootfd, const oci_linux *l, nook_error_t *err)
{
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      oci_device d = {
        .type = (char *) "c",
        .path = (char *) default_devices[i].path,
        .major = default_devices[i].major,
        .has_major = true,
        .minor = default_devices[i].minor,
        .has_minor = true,
      };

      if (device_configured (l, d.path))
        continue;
      if (create_device (rootfd, &d, err) < 0)
        return -1;
    }
  for (size_t i = 0; l && i < l->devices_len; i++)
    if (create_device (rootfd, &l->devices[i], err) < 0)
      return -1;
  return 0;
}

static int
create_dev_links (int rootfd, nook_error_t *err)
{
  cleanup_close int devfd = mount_resolve_dir (rootfd, "/dev", err);

  if (devfd < 0)
    return -1;
  if (mkdirat (devfd, "pts", 0755) < 0 && errno != EEXIST)
    return nook_make_error (err, errno, "mkdir `/dev/pts`");
  for (size_t i = 0; i < ARRAY_SIZE (dev_links); i++)
    {
      if (dev_links[i].host_needs && access (dev_links[i].host_needs, F_OK) < 0)
        continue;
      if (symlinkat (dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
        return nook_make_error (err, errno, "symlink `/dev/%s` -> `%s`", dev_links[i].name,
                                dev_links[i].target);
    }
  return 0;
}

int
devices_create (int rootfd, const oci_linux *l, nook_error_t *err)
{
  mode_t old_umask;
  int ret;

  /* fileMode is the exact mode the config asks for. */
  old_umask = umask (0);
  ret = create_devices (rootfd, l, err);
  if (ret == 0)
    ret = create_dev_links (rootfd, err);
  umask (old_umask);
  return ret;
}
