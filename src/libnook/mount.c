/* nook - the container's filesystem view: rootfs, mounts, pivot (the
 * device nodes of /dev are devices.c's).
 *
 * Everything inside the rootfs is reached through fds: a destination is
 * resolved with openat2(RESOLVE_IN_ROOT) and mounted on through
 * /proc/self/fd/N, so a symlink planted in the image (or swapped in through
 * a shared volume) can never carry a mount outside the rootfs.  After the
 * pivot the container may have no /proc at all, so the masked and read-only
 * paths use the fd-based mount API (open_tree, move_mount, mount_setattr,
 * fsmount), which needs no path strings.
 */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#include "mount.h"
#include "mount-internal.h"
#include "mountinfo.h"
#include "utils.h"

/* ---- Mount options ---- */

enum opt_kind
{
  OPT_SET,         /* MS_* flag */
  OPT_CLEAR,       /* MS_* flag explicitly cleared */
  OPT_PROPAGATION, /* MS_SHARED ... (| MS_REC), applied after the mount */
  OPT_REC_SET,     /* MOUNT_ATTR_* set on the whole tree */
  OPT_REC_CLEAR,   /* MOUNT_ATTR_* cleared on the whole tree */
  OPT_REC_ATIME,   /* atime mode (MOUNT_ATTR_*ATIME) of the whole tree */
  OPT_COPYUP,      /* tmpcopyup */
  OPT_IDMAP,       /* idmap (0), ridmap (1: recursive): see idmap.h */
  OPT_NOOP,        /* "defaults": nothing, and nothing for the kernel either */
};

struct mount_option
{
  const char *name;
  enum opt_kind kind;
  unsigned long value;
};

static const struct mount_option mount_options[] = {
  { "defaults", OPT_NOOP, 0 },
  { "ro", OPT_SET, MS_RDONLY }, { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID }, { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV }, { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC }, { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS }, { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC }, { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK }, { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME }, { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME }, { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME }, { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME }, { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME }, { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "iversion", OPT_SET, MS_I_VERSION }, { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "silent", OPT_SET, MS_SILENT }, { "loud", OPT_CLEAR, MS_SILENT },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW }, { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "bind", OPT_SET, MS_BIND }, { "rbind", OPT_SET, MS_BIND | MS_REC },
  { "shared", OPT_PROPAGATION, MS_SHARED }, { "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
  { "slave", OPT_PROPAGATION, MS_SLAVE }, { "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
  { "private", OPT_PROPAGATION, MS_PRIVATE }, { "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
  { "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
  { "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY }, { "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID }, { "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV }, { "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC }, { "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_REC_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
  /* One atime mode per mount, not independent bits: clearing noatime or
   * strictatime falls back to the kernel's default, relatime. */
  { "rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME }, { "ratime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME },
  { "tmpcopyup", OPT_COPYUP, 0 }, { "idmap", OPT_IDMAP, 0 }, { "ridmap", OPT_IDMAP, 1 },
};

/* Per-mount flags: what a bind remount can change (the rest belong to the
 * superblock and a bind mount shares it with its source). */
#define PER_MOUNT_FLAGS                                                              \
  (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME         \
   | MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW)

/* The flags the kernel locks on mounts inherited by a less privileged user
 * namespace; a remount must keep them. */
static const struct
{
  unsigned long st_flag;
  unsigned long ms_flag;
} lockable_flags[] = {
  { ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
};

/* Everything a config mount asks for.  struct nook_mount_flags (mount.h) has
 * no room for the recursive attributes and extensions, hence the wrapper. */
struct mount_request
{
  struct nook_mount_flags f;
  unsigned long rec_set; /* MOUNT_ATTR_* for mount_setattr (AT_RECURSIVE) */
  unsigned long rec_clear;
  bool rec_atime;     /* rec_set carries an atime mode */
  bool copyup;
  bool idmap;         /* idmap or ridmap */
  bool idmap_recursive;
};

static const struct mount_option *
find_option (const char *name, size_t len)
{
  for (size_t i = 0; i < ARRAY_SIZE (mount_options); i++)
    if (strncmp (mount_options[i].name, name, len) == 0 && mount_options[i].name[len] == '\0')
      return &mount_options[i];
  return NULL;
}

static const char *
cleared_option_name (unsigned long flag)
{
  for (size_t i = 0; i < ARRAY_SIZE (mount_options); i++)
    if (mount_options[i].kind == OPT_CLEAR && (mount_options[i].value & flag))
      return mount_options[i].name;
  return "?";
}

static void
move_bits (unsigned long *to, unsigned long *from, unsigned long bits)
{
  *to |= bits;
  *from &= ~bits;
}

static void
apply_option (struct mount_request *req, const struct mount_option *o)
{
  if (o->kind == OPT_SET)
    move_bits (&req->f.flags, &req->f.clear, o->value);
  else if (o->kind == OPT_CLEAR)
    move_bits (&req->f.clear, &req->f.flags, o->value);
  else if (o->kind == OPT_REC_SET)
    move_bits (&req->rec_set, &req->rec_clear, o->value);
  else if (o->kind == OPT_REC_CLEAR)
    move_bits (&req->rec_clear, &req->rec_set, o->value);
  else if (o->kind == OPT_PROPAGATION)
    req->f.propagation = o->value;
  else if (o->kind == OPT_COPYUP)
    req->copyup = true;
  else if (o->kind == OPT_IDMAP)
    {
      req->idmap = true;
      req->idmap_recursive = o->value != 0;
    }
  else if (o->kind == OPT_REC_ATIME)
    {
      req->rec_set = (req->rec_set & ~(unsigned long) MOUNT_ATTR__ATIME) | o->value;
      req->rec_atime = true;
    }
}

static int
append_data (char **data, const char *opt, nook_error_t *err)
{
  char *joined = NULL;

  if (*data == NULL)
    joined = xstrdup (opt);
  else if (xasprintf (&joined, "%s,%s", *data, opt) < 0)
    return nook_make_error (err, ENOMEM, "mount option `%s`", opt);
  free (*data);
  *data = joined;
  return 0;
}

static int
parse_one_option (const char *opt, struct mount_request *req, nook_error_t *err)
{
  const struct mount_option *o = find_option (opt, strlen (opt));
  const char *eq;

  if (o != NULL)
    {
      apply_option (req, o);
      return 0;
    }
  eq = strchr (opt, '=');
  if (eq != NULL && find_option (opt, eq - opt) != NULL)
    return nook_make_error (err, 0, "mount option `%s`: `%.*s` takes no value", opt,
                            (int) (eq - opt), opt);
  /* Anything else is the filesystem's business (size=, mode=, lowerdir=...). */
  return append_data (&req->f.data, opt, err);
}

static int
parse_request (char **options, size_t n, struct mount_request *req, nook_error_t *err)
{
  memset (req, 0, sizeof *req);
  for (size_t i = 0; i < n; i++)
    {
      if (options[i] == NULL || options[i][0] == '\0')
        continue;
      if (parse_one_option (options[i], req, err) < 0)
        {
          free (req->f.data);
          req->f.data = NULL;
          return -1;
        }
    }
  return 0;
}

/* The recursive attributes (rro, rnosuid...), tmpcopyup and idmap/ridmap
 * are accepted but cannot be reported through struct nook_mount_flags. */
int
mount_parse_options (char **options, size_t n, struct nook_mount_flags *out, nook_error_t *err)
{
  struct mount_request req;

  if (parse_request (options, n, &req, err) < 0)
    return -1;
  *out = req.f;
  return 0;
}

/* runtime-spec 1.2: mappings alone make an idmapped mount too; `idmap`
 * only says "not recursive", even on an rbind (as runc). */
int
mount_idmap_request (const oci_mount *m, struct nook_mount_idmap *out, nook_error_t *err)
{
  struct mount_request req;

  if (parse_request (m->options, m->options_len, &req, err) < 0)
    return -1;
  free (req.f.data);
  out->idmapped = req.idmap || m->uid_mappings_len > 0 || m->gid_mappings_len > 0;
  out->bind = (req.f.flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0);
  out->rec_tree = (req.f.flags & MS_REC) != 0;
  out->rec_idmap = req.idmap_recursive;
  return 0;
}

/* ---- Paths ---- */

/* Only for comparisons: resolution in the rootfs is the kernel's job. */
char *
mount_path_clean (const char *path)
{
  char *out = xmalloc0 (strlen (path) + 2);
  size_t o = 0;
  const char *p = path;

  while (*p)
    {
      const char *s;
      size_t n;

      while (*p == '/')
        p++;
      s = p;
      while (*p && *p != '/')
        p++;
      n = p - s;
      if (n == 0 || (n == 1 && s[0] == '.'))
        continue;
      if (n == 2 && s[0] == '.' && s[1] == '.')
        {
          while (o > 0 && out[--o] != '/')
            ;
          out[o] = '\0';
          continue;
        }
      out[o++] = '/';
      memcpy (out + o, s, n);
      o += n;
    }
  if (o == 0)
    out[o++] = '/';
  out[o] = '\0';
  return out;
}

bool
mount_path_is (const char *path, const char *clean)
{
  cleanup_free char *p = mount_path_clean (path);
  return strcmp (p, clean) == 0;
}

/* path is prefix or below it, component-wise. */
static bool
path_has_prefix (const char *path, const char *prefix)
{
  size_t n = strlen (prefix);

  if (strcmp (prefix, "/") == 0)
    return true;
  while (n > 1 && prefix[n - 1] == '/')
    n--;
  return strncmp (path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *
mount_fd_path (char buf[FD_PATH_SIZE], int fd)
{
  snprintf (buf, FD_PATH_SIZE, "/proc/self/fd/%d", fd);
  return buf;
}

/* O_PATH fd of path as the container will see it, the rootfs being "/". */
static int
open_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = O_PATH | O_CLOEXEC | flags,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  /* EAGAIN: a rename or mount somewhere on the host raced with a ".." walk. */
  for (int tries = 0; tries < 64; tries++)
    {
      fd = syscall (SYS_openat2, rootfd, path, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN)
        break;
    }
  return fd;
}

enum create_kind
{
  CREATE_NOTHING,
  CREATE_DIR,
  CREATE_FILE,
};

#define MAX_SYMLINK_HOPS 40

/* Rewrite *path so that the dangling symlink `name` in `parent` (the first
 * start bytes of *path) is replaced by its target, rest following. */
static int
follow_dangling_link (char **path, size_t start, const char *target, const char *rest)
{
  char *next = NULL;
  int ret;

  if (target[0] == '/')
    ret = xasprintf (&next, "%s/%s", target, rest);
  else
    ret = xasprintf (&next, "%.*s/%s/%s", (int) start, *path, target, rest);
  if (ret < 0)
    return -1;
  free (*path);
  *path = next;
  return 0;
}

/* Make the first missing component of *path exist: a directory (or, for the
 * last component, what kind asks for).  A dangling symlink is followed
 * instead, inside the rootfs, as the kernel would have. */
static int
create_missing_component (int rootfd, char **path, enum create_kind kind, int *hops,
                          const char *dest, nook_error_t *err)
{
  const char *p = *path;
  size_t i = 0;

  for (;;)
    {
      cleanup_free char *prefix = NULL;
      cleanup_free char *parent_path = NULL;
      cleanup_free char *name = NULL;
      cleanup_close int parent = -1;
      cleanup_close int fd = -1;
      char target[PATH_MAX];
      size_t start;
      ssize_t n;
      bool last;

      while (p[i] == '/')
        i++;
      if (p[i] == '\0')
        return nook_make_error (err, ENOENT, "resolve `%s` in rootfs", dest);
      start = i;
      while (p[i] && p[i] != '/')
        i++;
      prefix = strndup (p, i);
      fd = open_in_root (rootfd, prefix, 0);
      if (fd >= 0)
        continue;
      if (errno != ENOENT)
        return nook_make_error (err, errno, "resolve `%s` in rootfs", dest);

      parent_path = strndup (p, start);
      parent = open_in_root (rootfd, parent_path, O_DIRECTORY);
      if (parent < 0)
        return nook_make_error (err, errno, "resolve `%s` in rootfs", dest);
      name = strndup (p + start, i - start);
      last = p[i + strspn (p + i, "/")] == '\0';

      n = readlinkat (parent, name, target, sizeof target - 1);
      if (n >= 0)
        {
          target[n] = '\0';
          if (++*hops > MAX_SYMLINK_HOPS)
            return nook_make_error (err, ELOOP, "resolve `%s` in rootfs", dest);
          if (follow_dangling_link (path, start, target, p + i) < 0)
            return nook_make_error (err, ENOMEM, "resolve `%s` in rootfs", dest);
          return 0;
        }
      if (last && kind == CREATE_FILE)
        n = mknodat (parent, name, S_IFREG | 0644, 0);
      else
        n = mkdirat (parent, name, 0755);
      if (n < 0 && errno != EEXIST)
        return nook_make_error (err, errno, "create `%s` in rootfs", dest);
      return 0;
    }
}

/* Resolve dest inside the rootfs, creating what is missing when kind says
 * so.  Returns an O_PATH fd. */
static int
resolve_in_root (int rootfd, const char *dest, enum create_kind kind, nook_error_t *err)
{
  cleanup_free char *path = xstrdup (dest);
  int hops = 0;

  /* Each round creates one component or follows one symlink. */
  for (int round = 0; round < 1024; round++)
    {
      int fd = open_in_root (rootfd, path, 0);

      if (fd >= 0)
        return fd;
      if (errno != ENOENT || kind == CREATE_NOTHING)
        return nook_make_error (err, errno, "resolve `%s` in rootfs", dest);
      if (create_missing_component (rootfd, &path, kind, &hops, dest, err) < 0)
        return -1;
    }
  return nook_make_error (err, ELOOP, "resolve `%s` in rootfs", dest);
}

int
mount_resolve_dir (int rootfd, const char *dir, nook_error_t *err)
{
  return resolve_in_root (rootfd, dir, CREATE_DIR, err);
}

int
mount_resolve_create (int rootfd, const char *dest, bool dir, nook_error_t *err)
{
  return resolve_in_root (rootfd, dest, dir ? CREATE_DIR : CREATE_FILE, err);
}

/* Which mount fd is on, and where (as the host sees it). */
static int
fd_whereabouts (int fd, uint64_t *mnt_id, char *buf, size_t size)
{
  char p[FD_PATH_SIZE];
  struct statx st;
  ssize_t n;

  if (statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &st) < 0)
    return -1;
  *mnt_id = st.stx_mnt_id;
  n = readlink (mount_fd_path (p, fd), buf, size - 1);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

/* After a mount on lowerfd's path, lowerfd still names the directory
 * underneath.  Resolve dest again to reach the new mount, and check it is
 * the same place (nothing was swapped in between) on another mount. */
static int
reopen_mount_top (int rootfd, const char *dest, int lowerfd, nook_error_t *err)
{
  cleanup_close int fd = open_in_root (rootfd, dest, 0);
  char lower_path[PATH_MAX], top_path[PATH_MAX];
  uint64_t lower_id, top_id;

  if (fd < 0)
    return nook_make_error (err, errno, "resolve `%s` in rootfs", dest);
  if (fd_whereabouts (lowerfd, &lower_id, lower_path, sizeof lower_path) < 0
      || fd_whereabouts (fd, &top_id, top_path, sizeof top_path) < 0)
    return nook_make_error (err, errno, "inspect the mount on `%s`", dest);
  if (lower_id == top_id || strcmp (lower_path, top_path) != 0)
    return nook_make_error (err, 0, "the mount on `%s` is not where it was made (`%s` changed underneath)",
                            dest, dest);
  return steal_fd (&fd);
}

/* ---- Preparing the rootfs ---- */

/* pivot_root refuses a shared parent, and binding the rootfs under a shared
 * parent would propagate the bind to the host: make that one mount private
 * (as runc does; with the default rslave "/" it is never shared). */
static int
make_rootfs_parent_private (const char *rootfs, nook_error_t *err)
{
  cleanup_mountinfo struct mountinfo mi = MOUNTINFO_INIT;
  const struct mountinfo_entry *e;
  const char *mount_point = NULL;
  bool shared = false;

  if (mountinfo_open (&mi, err) < 0)
    return -1;
  while ((e = mountinfo_next (&mi)) != NULL)
    /* ">=": of mounts stacked on one point, the last listed is on top. */
    if (path_has_prefix (rootfs, e->mount_point)
        && (mount_point == NULL || strlen (e->mount_point) >= strlen (mount_point)))
      {
        mount_point = e->mount_point;
        shared = e->shared != 0;
      }
  if (mount_point == NULL || !shared)
    return 0;
  if (mount (NULL, mount_point, NULL, MS_PRIVATE, NULL) < 0)
    return nook_make_error (err, errno, "make `%s` (the mount holding the rootfs) private", mount_point);
  return 0;
}

static int
prepare_root (const char *rootfs, unsigned long root_propagation, nook_error_t *err)
{
  if (mount (NULL, "/", NULL, root_propagation, NULL) < 0)
    return nook_make_error (err, errno, "set the propagation of `/`");
  if (make_rootfs_parent_private (rootfs, err) < 0)
    return -1;
  /* pivot_root needs the new root to be a mount point. */
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return nook_make_error (err, errno, "bind the rootfs `%s` on itself", rootfs);
  return 0;
}

/* ---- Config mounts ---- */

struct setup_ctx
{
  const oci_container *cfg;
  const struct nook_mount_opts *opts;
  int rootfd;    /* the rootfs (its self-bind), O_PATH */
  bool dev_bound; /* /dev comes from the host: no devices to create */
  bool dev_ro;    /* the /dev tmpfs asked for ro: applied once devices exist */
};

struct fs_type;

struct mount_job
{
  const char *dest; /* as written in the config */
  const char *source;
  const char *type; /* "bind" for every bind mount */
  const struct fs_type *fs;
  struct mount_request req;
  int destfd;  /* O_PATH: what the mount goes on */
  int topfd;   /* O_PATH: the new mount, opened when needed */
  int lowerfd; /* tmpcopyup: the directory the tmpfs hides */
  int treefd;  /* idmapped: the detached tree to attach (not ours to close) */
};

static void
mount_job_release (struct mount_job *job)
{
  free (job->req.f.data);
  cleanup_closep (&job->destfd);
  cleanup_closep (&job->topfd);
  cleanup_closep (&job->lowerfd);
}

typedef int (*mount_fn) (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err);

struct fs_type
{
  const char *type;
  mount_fn fn;
  /* Bound from the host instead when the kernel refuses a fresh instance
   * (sysfs of a network namespace we do not own, mqueue in a userns). */
  const char *eperm_bind;
  /* Later code trusts this path to be the filesystem: refuse a symlink. */
  bool real_dir;
};

/* Files in /proc that may be covered by a bind (lxcfs and friends), as runc
 * allows; anything else in a mounted procfs stays out of reach. */
static const char *const proc_bind_allowed[] = {
  "/proc", "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
  "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
  "/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled",
};

static int
mount_error (const struct mount_job *job, int errno_, const char *step, nook_error_t *err)
{
  return nook_make_error (err, errno_, "mount `%s` (type %s) on `%s`%s%s", job->source, job->type,
                          job->dest, step ? ": " : "", step ? step : "");
}

static int
job_top (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  if (job->topfd < 0)
    job->topfd = reopen_mount_top (ctx->rootfd, job->dest, job->destfd, err);
  return job->topfd;
}

/* Checks on the resolved destination: writing under a mounted procfs
 * (/proc/self/attr, /proc/sys...) must stay what the kernel provides. */
static int
check_destination (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  struct statfs sfs;

  if (job->fs->real_dir)
    {
      cleanup_close int fd = open_in_root (ctx->rootfd, job->dest, O_NOFOLLOW);
      struct stat st;

      if (fd < 0 || fstat (fd, &st) < 0)
        return mount_error (job, errno, NULL, err);
      if (!S_ISDIR (st.st_mode))
        return mount_error (job, ENOTDIR, "must be mounted on an ordinary directory", err);
    }
  if (strcmp (job->type, "proc") == 0)
    return 0;
  if (fstatfs (job->destfd, &sfs) < 0)
    return mount_error (job, errno, "statfs", err);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE (proc_bind_allowed); i++)
    if (mount_path_is (job->dest, proc_bind_allowed[i]))
      return 0;
  return mount_error (job, EPERM, "the destination is inside /proc", err);
}

static int
open_destination (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  enum create_kind kind = CREATE_DIR;

  if (strcmp (job->type, "bind") == 0)
    {
      struct stat st;

      if ((job->treefd >= 0 ? fstat (job->treefd, &st) : stat (job->source, &st)) < 0)
        return mount_error (job, errno, NULL, err);
      if (!S_ISDIR (st.st_mode))
        kind = CREATE_FILE;
    }
  job->destfd = resolve_in_root (ctx->rootfd, job->dest, kind, err);
  if (job->destfd < 0)
    return -1;
  return check_destination (ctx, job, err);
}

/* A bind mount ignores every flag but MS_REC: the flags need a remount.  In
 * a user namespace, flags the source has may be locked; then retry with
 * them kept, unless the config explicitly asked to clear one (runc does the
 * same rather than silently produce something else). */
static int
remount_bind (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  unsigned long flags = MS_REMOUNT | MS_BIND | (job->req.f.flags & PER_MOUNT_FLAGS);
  unsigned long locked = 0, refused;
  char p[FD_PATH_SIZE];
  struct statvfs sv;

  if (job_top (ctx, job, err) < 0)
    return -1;
  if (mount (NULL, mount_fd_path (p, job->topfd), NULL, flags, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return mount_error (job, errno, "remount", err);
  if (fstatvfs (job->topfd, &sv) < 0)
    return mount_error (job, errno, "statvfs", err);
  for (size_t i = 0; i < ARRAY_SIZE (lockable_flags); i++)
    if (sv.f_flag & lockable_flags[i].st_flag)
      locked |= lockable_flags[i].ms_flag;
  refused = locked & job->req.f.clear;
  if (refused)
    return nook_make_error (err, EPERM, "mount `%s` (type %s) on `%s`: cannot clear the locked flag `%s`",
                            job->source, job->type, job->dest, cleared_option_name (refused));
  if (mount (NULL, p, NULL, flags | locked, NULL) < 0)
    return mount_error (job, errno, "remount", err);
  return 0;
}

/* An idmapped mount arrives ready made (idmap.h): only attaching it is left. */
static int
mount_bind (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  char p[FD_PATH_SIZE];

  if (job->treefd >= 0)
    {
      if (move_mount (job->treefd, "", job->destfd, "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
          < 0)
        return mount_error (job, errno, "attach the idmapped mount", err);
    }
  else if (mount (job->source, mount_fd_path (p, job->destfd), NULL,
                  MS_BIND | (job->req.f.flags & MS_REC), NULL)
           < 0)
    return mount_error (job, errno, NULL, err);
  if ((job->req.f.flags & PER_MOUNT_FLAGS) == 0)
    return 0;
  return remount_bind (ctx, job, err);
}

static int
mount_fs (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  char p[FD_PATH_SIZE];

  if (mount (job->source, mount_fd_path (p, job->destfd), job->type, job->req.f.flags & ~MS_REC,
             job->req.f.data)
      == 0)
    return 0;
  if (errno != EPERM || job->fs->eperm_bind == NULL)
    return mount_error (job, errno, NULL, err);
  nook_debug ("mount %s on %s refused, binding the host's %s instead", job->type, job->dest,
              job->fs->eperm_bind);
  job->source = job->fs->eperm_bind;
  job->type = "bind";
  job->req.f.flags |= MS_BIND | MS_REC;
  return mount_bind (ctx, job, err);
}

static int
set_mount_readonly (int fd, const char *what, nook_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

  if (mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return nook_make_error (err, errno, "make `%s` read-only", what);
  return 0;
}

static int copy_dir_contents (int srcfd, int dstfd, const char *where, nook_error_t *err);

static int
tmpfs_copy_up (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  cleanup_close int dst = -1;

  if (job_top (ctx, job, err) < 0)
    return -1;
  dst = openat (job->topfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0)
    return mount_error (job, errno, "tmpcopyup", err);
  return copy_dir_contents (job->lowerfd, dst, job->dest, err);
}

/* A ro tmpfs that must be filled first (tmpcopyup, or /dev before the
 * devices exist) is mounted rw and made ro afterwards, as runc does. */
static int
mount_tmpfs (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  bool is_dev = mount_path_is (job->dest, "/dev");
  bool late_ro = (job->req.f.flags & MS_RDONLY) && (job->req.copyup || is_dev);

  if (job->req.copyup)
    {
      job->lowerfd = openat (job->destfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (job->lowerfd < 0)
        return mount_error (job, errno, "tmpcopyup", err);
    }
  if (late_ro)
    job->req.f.flags &= ~MS_RDONLY;
  if (mount_fs (ctx, job, err) < 0)
    return -1;
  if (job->req.copyup && tmpfs_copy_up (ctx, job, err) < 0)
    return -1;
  if (!late_ro)
    return 0;
  if (is_dev)
    {
      ctx->dev_ro = true;
      return 0;
    }
  if (job_top (ctx, job, err) < 0)
    return -1;
  return set_mount_readonly (job->topfd, job->dest, err);
}

/* A container without a cgroup (rootless, nothing delegated) sees the
 * host's hierarchies, read-only, as with runc. */
static int
bind_host_cgroups (struct mount_job *job, nook_error_t *err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                                         | MOUNT_ATTR_NOEXEC };
  cleanup_close int mfd = open_tree (AT_FDCWD, "/sys/fs/cgroup",
                                     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

  if (mfd < 0)
    return mount_error (job, errno, "bind the host's /sys/fs/cgroup", err);
  if (mount_setattr (mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof (attr)) < 0)
    return mount_error (job, errno, "make the host's /sys/fs/cgroup read-only", err);
  if (move_mount (mfd, "", job->destfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return mount_error (job, errno, "bind the host's /sys/fs/cgroup", err);
  return 0;
}

static int
mount_cgroup (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  if (ctx->opts->cgroup == NULL)
    return bind_host_cgroups (job, err);
  return nook_cgroup_mount (ctx->opts->cgroup, job->destfd, job->req.f.flags & ~(MS_BIND | MS_REC),
                            ctx->opts->own_cgroupns, err);
}

/* Propagation and recursive attributes apply to the new mount (its fd), so
 * they come after it exists. */
static int
finish_mount (struct setup_ctx *ctx, struct mount_job *job, nook_error_t *err)
{
  char p[FD_PATH_SIZE];

  if (job->req.f.propagation)
    {
      if (job_top (ctx, job, err) < 0)
        return -1;
      if (mount (NULL, mount_fd_path (p, job->topfd), NULL, job->req.f.propagation, NULL) < 0)
        return mount_error (job, errno, "set propagation", err);
    }
  if (job->req.rec_set || job->req.rec_clear || job->req.rec_atime)
    {
      struct mount_attr attr = { .attr_set = job->req.rec_set, .attr_clr = job->req.rec_clear };

      if (job->req.rec_atime)
        attr.attr_clr |= MOUNT_ATTR__ATIME;
      if (job_top (ctx, job, err) < 0)
        return -1;
      if (mount_setattr (job->topfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return mount_error (job, errno, "set recursive mount attributes", err);
    }
  return 0;
}

static const struct fs_type fs_types[] = {
  { "bind", mount_bind, NULL, false },
  { "proc", mount_fs, NULL, true },
  { "sysfs", mount_fs, "/sys", true },
  { "mqueue", mount_fs, "/dev/mqueue", false },
  { "tmpfs", mount_tmpfs, NULL, false },
  { "cgroup", mount_cgroup, NULL, false },
  { "cgroup2", mount_cgroup, NULL, false },
};

static const struct fs_type other_fs_type = { NULL, mount_fs, NULL, false };

static const struct fs_type *
find_fs_type (const char *type)
{
  for (size_t i = 0; i < ARRAY_SIZE (fs_types); i++)
    if (strcmp (fs_types[i].type, type) == 0)
      return &fs_types[i];
  return &other_fs_type;
}

/* Type, source and options of a config mount, checked. */
static int
prepare_job (const oci_mount *m, struct mount_job *job, nook_error_t *err)
{
  bool bind;

  if (m->destination == NULL || m->destination[0] == '\0')
    return nook_make_error (err, 0, "mount: missing destination");
  if (m->destination[0] != '/')
    nook_warning ("mount destination `%s` is relative: taken relative to `/` (deprecated)", m->destination);
  if (parse_request (m->options, m->options_len, &job->req, err) < 0)
    {
      nook_error_wrap (err, "mount on `%s`", m->destination);
      return -1;
    }
  /* Without its tree, binding the source would drop the mapping. */
  if ((job->req.idmap || m->uid_mappings_len > 0 || m->gid_mappings_len > 0) && job->treefd < 0)
    return nook_make_error (err, 0, "mount on `%s`: the idmapped mount was not prepared",
                            m->destination);

  bind = (job->req.f.flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0);
  if (bind)
    {
      job->type = "bind";
      job->req.f.flags |= MS_BIND;
      if (m->source == NULL || m->source[0] == '\0')
        return nook_make_error (err, 0, "mount on `%s`: a bind mount needs a source", m->destination);
    }
  else if (m->type == NULL || m->type[0] == '\0')
    return nook_make_error (err, 0, "mount on `%s`: missing type", m->destination);
  else
    job->type = m->type;
  job->source = m->source && m->source[0] ? m->source : job->type;
  job->fs = find_fs_type (job->type);
  if (job->req.copyup && strcmp (job->type, "tmpfs") != 0)
    return nook_make_error (err, 0, "mount on `%s`: `tmpcopyup` needs a tmpfs", m->destination);
  return 0;
}

static int
do_config_mount (struct setup_ctx *ctx, const oci_mount *m, int treefd, nook_error_t *err)
{
  __attribute__ ((cleanup (mount_job_release)))
  struct mount_job job = { .dest = m->destination, .destfd = -1, .topfd = -1, .lowerfd = -1,
                           .treefd = treefd };

  if (prepare_job (m, &job, err) < 0)
    return -1;
  if (strcmp (job.type, "bind") == 0 && mount_path_is (job.dest, "/dev"))
    ctx->dev_bound = true;
  if (open_destination (ctx, &job, err) < 0)
    return -1;
  if (job.fs->fn (ctx, &job, err) < 0)
    return -1;
  return finish_mount (ctx, &job, err);
}

static int
mount_config_mounts (struct setup_ctx *ctx, nook_error_t *err)
{
  const int *idmap_fds = ctx->opts->idmap_fds;

  for (size_t i = 0; i < ctx->cfg->mounts_len; i++)
    if (do_config_mount (ctx, &ctx->cfg->mounts[i], idmap_fds ? idmap_fds[i] : -1, err) < 0)
      return -1;
  return 0;
}

/* ---- tmpcopyup ---- */

static int
copy_file_at (int srcdir, int dstdir, const char *name, const char *where, nook_error_t *err)
{
  cleanup_close int src = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int dst = -1;
  ssize_t n;

  if (src < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: open `%s`", where, name);
  dst = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (dst < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: create `%s`", where, name);
  do
    n = sendfile (dst, src, NULL, 1 << 20);
  while (n > 0);
  if (n < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: copy `%s`", where, name);
  return 0;
}

static int
copy_subdir_at (int srcdir, int dstdir, const char *name, const char *where, nook_error_t *err)
{
  cleanup_close int src = -1;
  cleanup_close int dst = -1;

  if (mkdirat (dstdir, name, 0700) < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: mkdir `%s`", where, name);
  src = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  dst = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0 || dst < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: open `%s`", where, name);
  return copy_dir_contents (src, dst, where, err);
}

static int
copy_symlink_at (int srcdir, int dstdir, const char *name, const char *where, nook_error_t *err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (srcdir, name, target, sizeof target - 1);

  if (n < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: readlink `%s`", where, name);
  target[n] = '\0';
  if (symlinkat (target, dstdir, name) < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: symlink `%s`", where, name);
  return 0;
}

/* Owner first: chown clears the setuid/setgid bits chmod then restores. */
static int
copy_entry (int srcdir, int dstdir, const char *name, const struct stat *st, const char *where,
            nook_error_t *err)
{
  int ret;

  switch (st->st_mode & S_IFMT)
    {
    case S_IFDIR:
      ret = copy_subdir_at (srcdir, dstdir, name, where, err);
      break;
    case S_IFREG:
      ret = copy_file_at (srcdir, dstdir, name, where, err);
      break;
    case S_IFLNK:
      ret = copy_symlink_at (srcdir, dstdir, name, where, err);
      break;
    default:
      ret = mknodat (dstdir, name, st->st_mode, st->st_rdev);
      if (ret < 0)
        ret = nook_make_error (err, errno, "tmpcopyup into `%s`: mknod `%s`", where, name);
    }
  if (ret < 0)
    return ret;
  if (fchownat (dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: chown `%s`", where, name);
  if (!S_ISLNK (st->st_mode) && fchmodat (dstdir, name, st->st_mode & 07777, 0) < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: chmod `%s`", where, name);
  return 0;
}

static int
copy_dir_contents (int srcfd, int dstfd, const char *where, nook_error_t *err)
{
  int dirfd = openat (srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;

  if (dirfd < 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: open", where);
  dir = fdopendir (dirfd);
  if (dir == NULL)
    {
      close (dirfd);
      return nook_make_error (err, errno, "tmpcopyup into `%s`: open", where);
    }
  for (errno = 0; (de = readdir (dir)) != NULL; errno = 0)
    {
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (srcfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return nook_make_error (err, errno, "tmpcopyup into `%s`: stat `%s`", where, de->d_name);
      if (copy_entry (srcfd, dstfd, de->d_name, &st, where, err) < 0)
        return -1;
    }
  if (errno != 0)
    return nook_make_error (err, errno, "tmpcopyup into `%s`: readdir", where);
  return 0;
}

/* ---- /dev ---- */

static int
set_dev_readonly (struct setup_ctx *ctx, nook_error_t *err)
{
  cleanup_close int fd = open_in_root (ctx->rootfd, "/dev", 0);

  if (fd < 0)
    return nook_make_error (err, errno, "resolve `/dev` in rootfs");
  return set_mount_readonly (fd, "/dev", err);
}

static int
setup_dev (struct setup_ctx *ctx, nook_error_t *err)
{
  if (ctx->dev_bound)
    return 0;
  if (devices_create (ctx->rootfd, ctx->cfg->linux, err) < 0)
    return -1;
  return ctx->dev_ro ? set_dev_readonly (ctx, err) : 0;
}

/* ---- Switching root ---- */

/* pivot_root(".", ".") stacks the old root on the new one; detaching it
 * from there needs no directory for it inside the rootfs. */
static int
pivot_to (const char *rootfs, nook_error_t *err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0)
    return nook_make_error (err, errno, "open `/`");
  if (newroot < 0)
    return nook_make_error (err, errno, "open the rootfs `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return nook_make_error (err, errno, "chdir to the rootfs `%s`", rootfs);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return nook_make_error (err, errno, "pivot_root to `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return nook_make_error (err, errno, "chdir to the old root");
  /* Our unmount must not reach the host through shared propagation. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return nook_make_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return nook_make_error (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return nook_make_error (err, errno, "chdir to `/`");
  return 0;
}

/* With chroot the host's tree stays in the namespace.  Whole procfs and
 * sysfs instances there would let the kernel accept new proc/sysfs mounts
 * the container should not get (mnt_too_revealing) and are one chroot
 * escape away: drop them first, as runc does. */
static int
hide_if_host_proc_sys (const struct mountinfo_entry *e, const char *rootfs, nook_error_t *err)
{
  if (strcmp (e->root, "/") != 0 || (strcmp (e->fstype, "proc") != 0 && strcmp (e->fstype, "sysfs") != 0)
      || path_has_prefix (e->mount_point, rootfs))
    return 0;
  if (mount (NULL, e->mount_point, NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return errno == ENOENT || errno == EINVAL ? 0 : nook_make_error (err, errno, "make `%s` rslave", e->mount_point);
  if (umount2 (e->mount_point, MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT)
    return 0;
  if (errno != EPERM)
    return nook_make_error (err, errno, "unmount the host's `%s`", e->mount_point);
  if (mount ("tmpfs", e->mount_point, "tmpfs", MS_RDONLY, NULL) < 0)
    return nook_make_error (err, errno, "cover the host's `%s`", e->mount_point);
  return 0;
}

static int
hide_host_proc_sys (const char *rootfs, nook_error_t *err)
{
  cleanup_mountinfo struct mountinfo mi = MOUNTINFO_INIT;
  const struct mountinfo_entry *e;

  if (mountinfo_open (&mi, err) < 0)
    return -1;
  while ((e = mountinfo_next (&mi)) != NULL)
    if (hide_if_host_proc_sys (e, rootfs, err) < 0)
      return -1;
  return 0;
}

static int
move_to (const char *rootfs, nook_error_t *err)
{
  cleanup_close int newroot = -1;

  if (hide_host_proc_sys (rootfs, err) < 0)
    return -1;
  newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return nook_make_error (err, errno, "open the rootfs `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return nook_make_error (err, errno, "chdir to the rootfs `%s`", rootfs);
  if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return nook_make_error (err, errno, "move the rootfs `%s` to `/`", rootfs);
  if (chroot (".") < 0)
    return nook_make_error (err, errno, "chroot to the rootfs `%s`", rootfs);
  if (chdir ("/") < 0)
    return nook_make_error (err, errno, "chdir to `/`");
  return 0;
}

/* ---- After the pivot: masked and read-only paths ---- */

/* Clone the tree at srcfd and attach it on dstfd; attr (may be NULL) is
 * applied to the clone's top before it becomes visible. */
static int
bind_fd (int srcfd, int dstfd, bool recursive, struct mount_attr *attr)
{
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
  cleanup_close int tree = open_tree (srcfd, "", flags | (recursive ? AT_RECURSIVE : 0));

  if (tree < 0)
    return -1;
  if (attr && mount_setattr (tree, "", AT_EMPTY_PATH, attr, sizeof *attr) < 0)
    return -1;
  return move_mount (tree, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int
mount_empty_ro_tmpfs (int dstfd)
{
  cleanup_close int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  cleanup_close int mnt = -1;

  if (fs < 0 || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  mnt = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
  if (mnt < 0)
    return -1;
  return move_mount (mnt, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* A /dev/null swapped for something else would bind that something over
 * the masked file (runc CVE-2025-31133): use it only if it is the device. */
static int
open_dev_null (int rootfd, nook_error_t *err)
{
  cleanup_close int fd = open_in_root (rootfd, "/dev/null", 0);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0)
    return nook_make_error (err, errno, "open `/dev/null` to mask paths");
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return nook_make_error (err, 0, "`/dev/null` is not the null device: refusing to mask paths with it");
  return steal_fd (&fd);
}

/* A directory gets an empty read-only tmpfs, anything else /dev/null; a
 * path that does not exist needs no masking. */
static int
mask_path (int rootfd, int *nullfd, const char *path, nook_error_t *err)
{
  cleanup_close int fd = open_in_root (rootfd, path, 0);
  struct stat st;

  if (fd < 0)
    return errno == ENOENT ? 0 : nook_make_error (err, errno, "resolve `%s` in rootfs", path);
  if (fstat (fd, &st) < 0)
    return nook_make_error (err, errno, "mask `%s`", path);
  if (S_ISDIR (st.st_mode))
    return mount_empty_ro_tmpfs (fd) < 0 ? nook_make_error (err, errno, "mask `%s`", path) : 0;
  if (*nullfd < 0 && (*nullfd = open_dev_null (rootfd, err)) < 0)
    return -1;
  if (bind_fd (*nullfd, fd, false, NULL) < 0)
    return nook_make_error (err, errno, "mask `%s`", path);
  return 0;
}

/* Only the top of the bind gets ro, as with runc's remount; mount_setattr
 * keeps nosuid/nodev/noexec and the atime mode as they were. */
static int
readonly_path (int rootfd, const char *path, nook_error_t *err)
{
  cleanup_close int fd = open_in_root (rootfd, path, 0);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

  if (fd < 0)
    return errno == ENOENT ? 0 : nook_make_error (err, errno, "resolve `%s` in rootfs", path);
  if (bind_fd (fd, fd, true, &attr) < 0)
    return nook_make_error (err, errno, "make `%s` read-only", path);
  return 0;
}

static int
protect_paths (const oci_linux *l, nook_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int nullfd = -1;

  if (l == NULL || (l->masked_paths_len == 0 && l->readonly_paths_len == 0))
    return 0;
  rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return nook_make_error (err, errno, "open `/`");
  for (size_t i = 0; i < l->masked_paths_len; i++)
    if (mask_path (rootfd, &nullfd, l->masked_paths[i], err) < 0)
      return -1;
  for (size_t i = 0; i < l->readonly_paths_len; i++)
    if (readonly_path (rootfd, l->readonly_paths[i], err) < 0)
      return -1;
  return 0;
}

static int
finish_root (const oci_container *cfg, const struct nook_mount_opts *opts, unsigned long propagation,
             nook_error_t *err)
{
  /* Before /proc/sys and friends turn read-only: sysctls are written there. */
  if (opts->after_pivot && opts->after_pivot (opts->after_pivot_arg, err) < 0)
    return -1;
  if (protect_paths (cfg->linux, err) < 0)
    return -1;
  if (cfg->root && cfg->root->readonly)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

      if (mount_setattr (AT_FDCWD, "/", 0, &attr, sizeof attr) < 0)
        return nook_make_error (err, errno, "make the root read-only");
    }
  /* Only now: on the old "/" it would have reached the host's mounts. */
  if (propagation && mount (NULL, "/", NULL, propagation, NULL) < 0)
    return nook_make_error (err, errno, "set the rootfs propagation");
  return 0;
}

/* ---- Entry point ---- */

static int
configured_propagation (const oci_container *cfg, unsigned long *out, nook_error_t *err)
{
  const char *name = cfg->linux ? cfg->linux->rootfs_propagation : NULL;
  const struct mount_option *o;

  *out = 0;
  if (name == NULL || name[0] == '\0')
    return 0;
  o = find_option (name, strlen (name));
  if (o == NULL || o->kind != OPT_PROPAGATION)
    return nook_make_error (err, 0, "linux.rootfsPropagation: unknown value `%s`", name);
  *out = o->value;
  return 0;
}

int
mount_setup_container (const oci_container *cfg, const struct nook_mount_opts *opts, nook_error_t *err)
{
  struct setup_ctx ctx = { .cfg = cfg, .opts = opts, .rootfd = -1 };
  unsigned long propagation;
  int ret;

  if (configured_propagation (cfg, &propagation, err) < 0)
    return -1;
  /* Default rslave, as runc: host mounts still reach the container. */
  /* An unbindable / could not be bound onto itself: the rootfs gets it in
   * finish_root, / stays private until then. */
  if (prepare_root (opts->rootfs,
                    !propagation ? MS_SLAVE | MS_REC
                    : (propagation & MS_UNBINDABLE) ? MS_PRIVATE | MS_REC
                                                    : propagation,
                    err)
      < 0)
    return -1;
  ctx.rootfd = open (opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx.rootfd < 0)
    return nook_make_error (err, errno, "open the rootfs `%s`", opts->rootfs);
  ret = mount_config_mounts (&ctx, err);
  if (ret == 0)
    ret = setup_dev (&ctx, err);
  cleanup_closep (&ctx.rootfd);
  if (ret < 0)
    return -1;
  /* Hooks that must see the container's mounts before the root moves
   * (createRuntime in the parent, createContainer here) run now. */
  if (opts->before_pivot && opts->before_pivot (opts->before_pivot_arg, err) < 0)
    return -1;
  ret = opts->no_pivot ? move_to (opts->rootfs, err) : pivot_to (opts->rootfs, err);
  if (ret < 0)
    return -1;
  return finish_root (cfg, opts, propagation, err);
}

char **
mount_supported_options (size_t *n)
{
  char **out = xmalloc0 (sizeof (char *) * (ARRAY_SIZE (mount_options) + 1));
  size_t i;

  *n = 0;
  for (i = 0; i < ARRAY_SIZE (mount_options); i++)
    out[(*n)++] = xstrdup (mount_options[i].name);
  return out;
}
