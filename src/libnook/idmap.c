/* nook - idmapped bind mounts: runtime-spec 1.2 mount uidMappings and
 * gidMappings, options `idmap` and `ridmap` (see idmap.h for why this runs
 * in `create`, before the container init exists).
 *
 * The mapping of an idmapped mount is a user namespace's: a helper child
 * is cloned into a new user namespace, given the mapping, and its
 * namespace is handed to mount_setattr(MOUNT_ATTR_IDMAP); the mount keeps
 * its own reference, so the helper is killed right away.
 */
#ifdef HAVE_CONFIG_H
# include <config.h>
#endif
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "idmap.h"
#include "linux.h"
#include "mount.h"
#include "utils.h"

/* One mapping, and the user namespace made for it (mounts with the same
 * mapping share it). */
struct mapping
{
  const oci_id_mapping *uid;
  size_t nuid;
  const oci_id_mapping *gid;
  size_t ngid;
  int userns;
};

/* What nook_idmap_prepare carries from mount to mount. */
struct prepare_ctx
{
  const oci_container *cfg;
  const char *bundle;
  int bundlefd; /* opened at the first idmapped mount */
  struct mapping *maps;
  size_t n_maps;
};

/* ---- The user namespace of a mapping ---- */

/* Lives only until killed, and never beyond its parent. */
static pid_t
spawn_userns_holder (const char *what, nook_error_t *err)
{
  pid_t parent = getpid ();
  pid_t pid = syscall (SYS_clone, (unsigned long) CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);

  if (pid < 0)
    return nook_make_error (err, errno, "%s: create a user namespace for the idmapping", what);
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      if (getppid () != parent)
        _exit (0);
      for (;;)
        pause ();
    }
  return pid;
}

/* The kernel takes a whole map in one write. */
static int
write_map (pid_t pid, const char *file, const oci_id_mapping *m, size_t n, const char *what,
           nook_error_t *err)
{
  cleanup_free char *buf = xmalloc0 (n * 34 + 1);
  cleanup_close int fd = -1;
  char path[64];
  size_t len = 0;

  for (size_t i = 0; i < n; i++)
    len += sprintf (buf + len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0 && write (fd, buf, len) == (ssize_t) len)
    return 0;
  /* One line: the map's newlines become ";". */
  for (char *p = buf; (p = strchr (p, '\n')) != NULL; p++)
    *p = p[1] ? ';' : '\0';
  return nook_make_error (err, errno, "%s: the kernel refuses the %s `%s`", what, file, buf);
}

int
nook_idmap_userns_fd (const oci_id_mapping *uid, size_t nuid, const oci_id_mapping *gid,
                      size_t ngid, const char *what, int *fd, nook_error_t *err)
{
  char path[64];
  pid_t pid = spawn_userns_holder (what, err);
  int ret;

  *fd = -1;
  if (pid < 0)
    return -1;
  ret = write_map (pid, "uid_map", uid, nuid, what, err);
  if (ret == 0)
    ret = write_map (pid, "gid_map", gid, ngid, what, err);
  if (ret == 0)
    {
      snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
      *fd = open (path, O_RDONLY | O_CLOEXEC);
      if (*fd < 0)
        ret = nook_make_error (err, errno, "%s: open the user namespace of the idmapping", what);
    }
  kill (pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return ret;
}

static bool
same_ids (const oci_id_mapping *a, size_t na, const oci_id_mapping *b, size_t nb)
{
  return na == nb && (na == 0 || memcmp (a, b, na * sizeof *a) == 0);
}

/* Borrowed: nook_idmap_prepare closes them all. */
static int
userns_of (struct prepare_ctx *ctx, const struct mapping *want, const char *what, int *fd,
           nook_error_t *err)
{
  struct mapping *m;

  for (size_t i = 0; i < ctx->n_maps; i++)
    {
      m = &ctx->maps[i];
      if (same_ids (m->uid, m->nuid, want->uid, want->nuid)
          && same_ids (m->gid, m->ngid, want->gid, want->ngid))
        {
          *fd = m->userns;
          return 0;
        }
    }
  m = &ctx->maps[ctx->n_maps];
  *m = *want;
  if (nook_idmap_userns_fd (m->uid, m->nuid, m->gid, m->ngid, what, &m->userns, err) < 0)
    return -1;
  ctx->n_maps++;
  *fd = m->userns;
  return 0;
}

/* ---- Which mapping a mount gets ---- */

static bool
has_new_userns (const oci_linux *l)
{
  const oci_namespace *ns = nook_config_namespace (l, "user");
  return ns && (ns->path == NULL || ns->path[0] == '\0');
}

/* runtime-spec 1.2: the mount's own mappings, both of them; without any,
 * `idmap`/`ridmap` may take the container's user namespace mapping, and
 * must fail when there is none. */
static int
choose_mapping (const oci_container *cfg, const oci_mount *m, const char *what,
                struct mapping *out, nook_error_t *err)
{
  const oci_linux *l = cfg->linux;

  if (m->uid_mappings_len > 0 && m->gid_mappings_len > 0)
    {
      *out = (struct mapping) { m->uid_mappings, m->uid_mappings_len, m->gid_mappings,
                                m->gid_mappings_len, -1 };
      return 0;
    }
  if (m->uid_mappings_len > 0 || m->gid_mappings_len > 0)
    return nook_make_error (err, 0, "%s: uidMappings and gidMappings must be given together",
                            what);
  if (!has_new_userns (l) || l->uid_mappings_len == 0 || l->gid_mappings_len == 0)
    return nook_make_error (err, 0,
                            "%s: `idmap`/`ridmap` without uidMappings and gidMappings needs the "
                            "container's own user namespace (linux.uidMappings) to take them from",
                            what);
  *out = (struct mapping) { l->uid_mappings, l->uid_mappings_len, l->gid_mappings,
                            l->gid_mappings_len, -1 };
  return 0;
}

/* ---- The idmapped tree ---- */

static const struct
{
  int errno_;
  const char *why;
} setattr_errors[] = {
  { EINVAL, "the filesystem does not support idmapped mounts" },
  { EPERM, "not permitted (already an idmapped mount, or a filesystem of another user namespace)" },
  { ENOSYS, "this kernel has no idmapped mounts (Linux 5.12 or later needed)" },
};

static int
setattr_error (const oci_mount *m, const char *what, int errno_, nook_error_t *err)
{
  const char *why = "set MOUNT_ATTR_IDMAP";

  for (size_t i = 0; i < sizeof setattr_errors / sizeof setattr_errors[0]; i++)
    if (setattr_errors[i].errno_ == errno_)
      why = setattr_errors[i].why;
  return nook_make_error (err, errno_, "%s: idmapped mount of `%s` on `%s`: %s", what, m->source,
                          m->destination, why);
}

/* A detached copy: nothing is visible anywhere until the init attaches it. */
static int
idmapped_tree (const oci_mount *m, int bundlefd, const struct nook_mount_idmap *req, int userns,
               const char *what, int *out, nook_error_t *err)
{
  unsigned int tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                            | (req->rec_tree ? AT_RECURSIVE : 0);
  unsigned int attr_flags = AT_EMPTY_PATH | (req->rec_idmap ? AT_RECURSIVE : 0);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };
  cleanup_close int tree = open_tree (bundlefd, m->source, tree_flags);

  if (tree < 0)
    return nook_make_error (err, errno, "%s: idmapped mount of `%s` on `%s`: open the source", what,
                            m->source, m->destination);
  if (mount_setattr (tree, "", attr_flags, &attr, sizeof attr) < 0)
    return setattr_error (m, what, errno, err);
  *out = steal_fd (&tree);
  return 0;
}

static int
prepare_one (struct prepare_ctx *ctx, size_t i, int *out, nook_error_t *err)
{
  const oci_mount *m = &ctx->cfg->mounts[i];
  struct nook_mount_idmap req;
  struct mapping map;
  char what[32];
  int userns;

  snprintf (what, sizeof what, "mounts[%zu]", i);
  if (mount_idmap_request (m, &req, err) < 0)
    return nook_error_wrap (err, "%s", what);
  if (!req.idmapped)
    return 0;
  if (!req.bind)
    return nook_make_error (err, 0, "%s: idmapped mounts must be bind mounts (type `%s` on `%s`)",
                            what, m->type ? m->type : "", m->destination ? m->destination : "");
  if (m->source == NULL || m->source[0] == '\0')
    return nook_make_error (err, 0, "%s: a bind mount needs a source", what);
  if (choose_mapping (ctx->cfg, m, what, &map, err) < 0)
    return -1;
  if (userns_of (ctx, &map, what, &userns, err) < 0)
    return -1;
  if (ctx->bundlefd < 0)
    {
      ctx->bundlefd = open (ctx->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (ctx->bundlefd < 0)
        return nook_make_error (err, errno, "open the bundle `%s`", ctx->bundle);
    }
  return idmapped_tree (m, ctx->bundlefd, &req, userns, what, out, err);
}

static void
prepare_ctx_release (struct prepare_ctx *ctx)
{
  for (size_t i = 0; i < ctx->n_maps; i++)
    close (ctx->maps[i].userns);
  free (ctx->maps);
  cleanup_closep (&ctx->bundlefd);
}

/* The common case, no idmapped mount, costs an option scan and no
 * syscall; *fds stays NULL then. */
int
nook_idmap_prepare (const oci_container *cfg, const char *bundle, int **fds, nook_error_t *err)
{
  struct prepare_ctx ctx = { .cfg = cfg, .bundle = bundle, .bundlefd = -1 };
  size_t n = cfg->mounts_len, i;
  bool any = false;
  int *out;
  int ret = 0;

  *fds = NULL;
  if (n == 0)
    return 0;
  out = xmalloc0 (n * sizeof *out);
  ctx.maps = xmalloc0 (n * sizeof *ctx.maps);
  for (i = 0; i < n; i++)
    out[i] = -1;
  for (i = 0; ret == 0 && i < n; i++)
    {
      ret = prepare_one (&ctx, i, &out[i], err);
      any = any || out[i] >= 0;
    }
  prepare_ctx_release (&ctx);
  if (ret < 0 || !any)
    {
      nook_idmap_release (out, n);
      return ret;
    }
  *fds = out;
  return 0;
}

void
nook_idmap_release (int *fds, size_t n)
{
  if (fds == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}
