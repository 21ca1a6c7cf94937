/* nook - cgroup managers: the generic front, and what the cgroupfs drivers
 * share (finding hierarchies, resolving and persisting paths, file I/O;
 * resources are checked in cgroup-resources.c).
 *
 * The persisted path of the cgroupfs manager (nook_cgroup.path, kept in
 * the state file) is the container's cgroup, absolute in every hierarchy,
 * e.g. "/nook/abc".  Two things may follow it, separated by ';':
 *   - "created=N": how many trailing components nook created (and so may
 *     remove); absent means 1, the leaf only.  "/nook/abc;created=2" means
 *     nook also made "/nook", removed by destroy() if it is empty then.
 *   - "<controllers>:<path>" for a hierarchy where the cgroup is elsewhere,
 *     as happens on v1 with a relative cgroupsPath (each controller has its
 *     own parent), e.g. "/c1;memory:/process_api/x/c1".  A "created=N"
 *     right after it is about that hierarchy.
 * ';' is therefore refused in cgroupsPath.  Hierarchies are named as in
 * /proc/self/cgroup ("cpu,cpuacct", "name=systemd"; "" for cgroup2).
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include "cgroup-internal.h"
#include "mountinfo.h"
#include "utils.h"

#ifndef N_ELEMENTS
# define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"
#define MANAGER_CGROUPFS "cgroupfs"

/* How long destroy() waits for exiting tasks to leave a cgroup. */
#define REMOVE_TIMEOUT_NS 1000000000L
#define REMOVE_RETRY_NS 20000000L

/* ---------------------------------------------------------------- mode */

static bool
fs_type_is (const char *path, unsigned long magic)
{
  struct statfs st;
  return statfs (path, &st) == 0 && (unsigned long) st.f_type == magic;
}

int
nook_cgroup_detect_mode (enum nook_cgroup_mode *mode, nook_error_t *err)
{
  struct statfs st;

  if (statfs (CGROUP_ROOT, &st) < 0)
    return nook_make_error (err, errno, "statfs `%s`", CGROUP_ROOT);
  if ((unsigned long) st.f_type == CGROUP2_SUPER_MAGIC)
    *mode = NOOK_CGROUP_MODE_V2;
  else if ((unsigned long) st.f_type == TMPFS_MAGIC
           && fs_type_is (CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC))
    *mode = NOOK_CGROUP_MODE_HYBRID;
  else
    *mode = NOOK_CGROUP_MODE_V1;
  return 0;
}

static const struct nook_cgroup_ops *const ops_by_mode[] = {
  [NOOK_CGROUP_MODE_V1] = &cgroup_v1_ops,
  [NOOK_CGROUP_MODE_HYBRID] = &cgroup_v1_ops,
  [NOOK_CGROUP_MODE_V2] = &cgroup_v2_ops,
};

/* Where the cgroup2 hierarchy is expected, to choose among several mounts. */
static const char *const v2_mountpoint_by_mode[] = {
  [NOOK_CGROUP_MODE_V1] = NULL,
  [NOOK_CGROUP_MODE_HYBRID] = CGROUP_ROOT "/unified",
  [NOOK_CGROUP_MODE_V2] = CGROUP_ROOT,
};

/* ------------------------------------------------- /proc/self/{mountinfo,cgroup} */

/* Strings point into the struct mountinfo they were read from. */
struct cgroup_mount
{
  bool v2;
  const char *mountpoint;
  const char *root;
  const char *options; /* super options: the controllers for v1 */
};

struct proc_cgroup
{
  char *controllers; /* "" for the cgroup2 line "0::/..." */
  char *path;
};

bool
cgroup_controllers_have (const char *list, const char *controller)
{
  size_t len = strlen (controller);
  const char *p = list;

  while (p && *p)
    {
      if (strncmp (p, controller, len) == 0 && (p[len] == ',' || p[len] == ' ' || p[len] == '\0'))
        return true;
      p += strcspn (p, ", ");
      if (*p)
        p++;
    }
  return false;
}

static int
read_cgroup_mounts (struct mountinfo *mi, struct cgroup_mount **out, size_t *n_out,
                    nook_error_t *err)
{
  const struct mountinfo_entry *e;
  struct cgroup_mount *m = NULL;
  size_t n = 0;

  if (mountinfo_open (mi, err) < 0)
    return -1;
  while ((e = mountinfo_next (mi)) != NULL)
    {
      bool v2 = strcmp (e->fstype, "cgroup2") == 0;
      if (!v2 && strcmp (e->fstype, "cgroup") != 0)
        continue;
      m = xrealloc (m, (n + 1) * sizeof (*m));
      m[n++] = (struct cgroup_mount) { v2, e->mount_point, e->root, e->super_options };
    }
  *out = m;
  *n_out = n;
  return 0;
}

static void
free_proc_cgroups (struct proc_cgroup *c, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (c[i].controllers);
      free (c[i].path);
    }
  free (c);
}

static int
read_proc_cgroups (struct proc_cgroup **out, size_t *n_out, nook_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct proc_cgroup *c = NULL;
  char *line, *save = NULL;
  size_t n = 0;

  if (read_all_file ("/proc/self/cgroup", &buf, NULL, err) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *ctrl = strchr (line, ':'), *path;
      if (ctrl == NULL || (path = strchr (ctrl + 1, ':')) == NULL)
        continue;
      *path++ = '\0';
      c = xrealloc (c, (n + 1) * sizeof (*c));
      c[n].controllers = xstrdup (ctrl + 1);
      c[n].path = xstrdup (path);
      n++;
    }
  *out = c;
  *n_out = n;
  return 0;
}

static bool
mount_has_controllers (const struct cgroup_mount *m, const char *controllers)
{
  cleanup_free char *copy = xstrdup (controllers);
  char *tok, *save = NULL;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (!cgroup_controllers_have (m->options, tok))
      return false;
  return true;
}

/* A hierarchy can be mounted several times (bind mounts into containers):
 * prefer the whole hierarchy, then the expected place, then the first. */
static const struct cgroup_mount *
pick_mount (const struct cgroup_mount *m, size_t n, bool v2, const char *controllers,
            const char *preferred)
{
  const struct cgroup_mount *best = NULL;
  int best_score = -1;
  size_t i;

  for (i = 0; i < n; i++)
    {
      int score = 0;
      if (m[i].v2 != v2 || (!v2 && !mount_has_controllers (&m[i], controllers)))
        continue;
      if (strcmp (m[i].root, "/") == 0)
        score += 2;
      if (preferred ? strcmp (m[i].mountpoint, preferred) == 0
                    : strncmp (m[i].mountpoint, CGROUP_ROOT "/", strlen (CGROUP_ROOT) + 1) == 0)
        score += 1;
      if (score > best_score)
        {
          best = &m[i];
          best_score = score;
        }
    }
  return best;
}

static void
free_hierarchy (struct cgroup_hierarchy *h)
{
  free (h->controllers);
  free (h->mountpoint);
  free (h->mount_root);
  free (h->own);
  free (h->path);
  free (h->dir);
}

static void
cgroup_fs_free (void *priv)
{
  struct cgroup_fs *fs = priv;
  size_t i;
  if (fs == NULL)
    return;
  for (i = 0; i < fs->n; i++)
    free_hierarchy (&fs->h[i]);
  free (fs->h);
  free (fs);
}

static void
add_hierarchy (struct cgroup_fs *fs, const struct cgroup_mount *m, const struct proc_cgroup *c)
{
  struct cgroup_hierarchy *h;
  fs->h = xrealloc (fs->h, (fs->n + 1) * sizeof (*fs->h));
  h = &fs->h[fs->n++];
  memset (h, 0, sizeof (*h));
  h->controllers = xstrdup (c->controllers);
  h->mountpoint = xstrdup (m->mountpoint);
  h->mount_root = xstrdup (m->root);
  h->own = xstrdup (c->path);
  h->v2 = m->v2;
}

static void
add_hierarchies (struct cgroup_fs *fs, const struct cgroup_mount *m, size_t nm,
                 const struct proc_cgroup *c, size_t nc)
{
  const char *v2_preferred = v2_mountpoint_by_mode[fs->mode];
  size_t i;

  for (i = 0; i < nc; i++)
    {
      bool v2 = c[i].controllers[0] == '\0';
      const struct cgroup_mount *mnt;
      if (v2 != (fs->mode == NOOK_CGROUP_MODE_V2) && !(v2 && fs->mode == NOOK_CGROUP_MODE_HYBRID))
        continue;
      mnt = pick_mount (m, nm, v2, c[i].controllers, v2 ? v2_preferred : NULL);
      if (mnt == NULL)
        {
          nook_debug ("cgroup: hierarchy `%s` is not mounted, not using it",
                      v2 ? "cgroup2" : c[i].controllers);
          continue;
        }
      add_hierarchy (fs, mnt, &c[i]);
    }
}

/* Every hierarchy the driver of this mode uses, with nook's own cgroup in each. */
static int
cgroup_fs_discover (enum nook_cgroup_mode mode, struct cgroup_fs **out, nook_error_t *err)
{
  cleanup_mountinfo struct mountinfo mi = MOUNTINFO_INIT;
  cleanup_free struct cgroup_mount *m = NULL;
  struct proc_cgroup *c = NULL;
  size_t nm = 0, nc = 0;
  struct cgroup_fs *fs;

  if (read_cgroup_mounts (&mi, &m, &nm, err) < 0 || read_proc_cgroups (&c, &nc, err) < 0)
    return -1;
  fs = xmalloc0 (sizeof (*fs));
  fs->mode = mode;
  add_hierarchies (fs, m, nm, c, nc);
  free_proc_cgroups (c, nc);
  if (fs->n == 0)
    {
      cgroup_fs_free (fs);
      return nook_make_error (err, 0, "no cgroup%s hierarchy is mounted (see /proc/self/mountinfo)",
                              mode == NOOK_CGROUP_MODE_V2 ? "2" : " v1");
    }
  *out = fs;
  return 0;
}

struct cgroup_hierarchy *
cgroup_fs_find (struct cgroup_fs *fs, const char *controller)
{
  size_t i;
  for (i = 0; i < fs->n; i++)
    {
      if (controller[0] == '\0' ? fs->h[i].v2
                                : !fs->h[i].v2 && cgroup_controllers_have (fs->h[i].controllers,
                                                                           controller))
        return &fs->h[i];
    }
  return NULL;
}

/* ------------------------------------------------------------- paths */

/* Absolute, no "." or ".." (a cgroup must stay below its hierarchy), no
 * empty components, and none of the separators of the persisted form. */
static int
normalize_path (const char *in, const char *what, char **out, nook_error_t *err)
{
  cleanup_free char *copy = xstrdup (in);
  char *res = xmalloc0 (strlen (in) + 2), *tok, *save = NULL;
  size_t len = 0;

  if (strpbrk (in, ";\n") != NULL)
    {
      free (res);
      return nook_make_error (err, 0, "%s `%s`: `;` and newlines are not allowed in a cgroup path",
                              what, in);
    }
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0 || strcmp (tok, "..") == 0)
        {
          free (res);
          return nook_make_error (err, 0, "%s `%s`: `.` and `..` are not allowed in a cgroup path",
                                  what, in);
        }
      res[len++] = '/';
      strcpy (res + len, tok);
      len += strlen (tok);
    }
  if (len == 0)
    res[len++] = '/';
  res[len] = '\0';
  *out = res;
  return 0;
}

/* h->dir: where h->path is on the host, given which directory of the
 * hierarchy is mounted at h->mountpoint. */
static int
hierarchy_set_path (struct cgroup_hierarchy *h, const char *path, nook_error_t *err)
{
  size_t rootlen = strlen (h->mount_root);
  const char *rel = path;

  if (strcmp (h->mount_root, "/") != 0)
    {
      if (strncmp (path, h->mount_root, rootlen) != 0 || (path[rootlen] != '/'))
        return nook_make_error (err, 0, "cgroup `%s` is outside `%s`, the part of hierarchy `%s` "
                                "mounted at `%s`", path, h->mount_root,
                                h->v2 ? "cgroup2" : h->controllers, h->mountpoint);
      rel = path + rootlen;
    }
  free (h->path);
  free (h->dir);
  h->path = xstrdup (path);
  xasprintf (&h->dir, "%s%s", strcmp (h->mountpoint, "/") == 0 ? "" : h->mountpoint, rel);
  return 0;
}

static int
resolve_paths (struct cgroup_fs *fs, const char *id, const char *cgroups_path, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < fs->n; i++)
    {
      struct cgroup_hierarchy *h = &fs->h[i];
      cleanup_free char *joined = NULL;
      cleanup_free char *path = NULL;

      if (cgroups_path == NULL || cgroups_path[0] == '\0')
        xasprintf (&joined, "/nook/%s", id);
      else if (cgroups_path[0] == '/')
        joined = xstrdup (cgroups_path);
      else if (h->v2)
        {
          /* As runc's v2 driver: beside nook's own cgroup, not below it.
           * A cgroup with processes may not enable controllers for its
           * children ("no internal processes"), and nook's own has one. */
          cleanup_free char *parent = xstrdup (h->own);
          char *slash = strrchr (parent, '/');
          if (slash)
            *slash = '\0';
          xasprintf (&joined, "%s/%s", parent, cgroups_path);
        }
      else
        xasprintf (&joined, "%s/%s", h->own, cgroups_path);
      if (normalize_path (joined, "linux.cgroupsPath", &path, err) < 0)
        return -1;
      if (strcmp (path, "/") == 0)
        return nook_make_error (err, 0, "linux.cgroupsPath `%s` is the root cgroup",
                                cgroups_path);
      if (hierarchy_set_path (h, path, err) < 0)
        return -1;
    }
  return 0;
}

static int
hierarchy_created (const struct cgroup_fs *fs, const struct cgroup_hierarchy *h)
{
  /* Before enter(), show what enter() will normally do: create the leaf. */
  return fs->entered ? h->created : 1;
}

static void
append_created (char **s, int created)
{
  char *old = *s;
  if (created == 1)
    return;
  xasprintf (s, "%s;created=%d", old, created);
  free (old);
}

char *
cgroup_fs_encode_path (const struct cgroup_fs *fs)
{
  size_t i, j, best = 0, best_count = 0;
  char *s;

  /* The most common (path, created) pair is the main one: fewest overrides. */
  for (i = 0; i < fs->n; i++)
    {
      size_t count = 0;
      for (j = 0; j < fs->n; j++)
        if (strcmp (fs->h[i].path, fs->h[j].path) == 0
            && hierarchy_created (fs, &fs->h[i]) == hierarchy_created (fs, &fs->h[j]))
          count++;
      if (count > best_count)
        {
          best = i;
          best_count = count;
        }
    }
  s = xstrdup (fs->h[best].path);
  append_created (&s, hierarchy_created (fs, &fs->h[best]));
  for (i = 0; i < fs->n; i++)
    {
      char *old = s;
      if (strcmp (fs->h[i].path, fs->h[best].path) == 0
          && hierarchy_created (fs, &fs->h[i]) == hierarchy_created (fs, &fs->h[best]))
        continue;
      xasprintf (&s, "%s;%s:%s", old, fs->h[i].controllers, fs->h[i].path);
      free (old);
      append_created (&s, hierarchy_created (fs, &fs->h[i]));
    }
  return s;
}

static int
parse_created (const char *s, int *out)
{
  int64_t v;
  if (parse_int64 (s, &v) < 0 || v < 0 || v > 1024)
    return -1;
  *out = (int) v;
  return 0;
}

/* Apply one field of the persisted path; *cur is the hierarchy the next
 * "created=" is about (NULL: all of them, after the main path). */
static int
decode_field (struct cgroup_fs *fs, const char *field, struct cgroup_hierarchy **cur,
              bool *all, const char *persisted, nook_error_t *err)
{
  const char *colon;
  size_t i;

  if (strncmp (field, "created=", 8) == 0)
    {
      int created;
      if (parse_created (field + 8, &created) < 0)
        return nook_make_error (err, 0, "cgroup path `%s`: bad `%s`", persisted, field);
      for (i = 0; i < fs->n; i++)
        if (*all || &fs->h[i] == *cur)
          fs->h[i].created = created;
      return 0;
    }
  *all = false;
  *cur = NULL;
  colon = strchr (field, ':');
  if (colon == NULL)
    return nook_make_error (err, 0, "cgroup path `%s`: bad `%s`", persisted, field);
  for (i = 0; i < fs->n; i++)
    if (strlen (fs->h[i].controllers) == (size_t) (colon - field)
        && strncmp (fs->h[i].controllers, field, colon - field) == 0)
      {
        *cur = &fs->h[i];
        fs->h[i].created = 1;
        return hierarchy_set_path (&fs->h[i], colon + 1, err);
      }
  nook_warning ("cgroup path `%s`: hierarchy `%.*s` is not mounted any more", persisted,
                (int) (colon - field), field);
  return 0;
}

static int
decode_path (struct cgroup_fs *fs, const char *persisted, nook_error_t *err)
{
  cleanup_free char *copy = xstrdup (persisted);
  struct cgroup_hierarchy *cur = NULL;
  char *field, *save = NULL;
  bool all = true;
  size_t i;

  field = strtok_r (copy, ";", &save);
  if (field == NULL || field[0] != '/' || strcmp (field, "/") == 0)
    return nook_make_error (err, 0, "cgroup path `%s` is not a cgroup below the root", persisted);
  for (i = 0; i < fs->n; i++)
    {
      fs->h[i].created = 1;
      if (hierarchy_set_path (&fs->h[i], field, err) < 0)
        return -1;
    }
  while ((field = strtok_r (NULL, ";", &save)) != NULL)
    if (decode_field (fs, field, &cur, &all, persisted, err) < 0)
      return -1;
  return 0;
}

/* ------------------------------------------------------------- front */

static struct nook_cgroup *
cgroup_new_handle (const struct nook_cgroup_ops *ops, const char *manager, void *priv)
{
  struct nook_cgroup *cg = xmalloc0 (sizeof (*cg));
  cg->ops = ops;
  cg->manager = xstrdup (manager);
  cg->priv = priv;
  return cg;
}

static int
cgroupfs_new (const char *id, const char *cgroups_path, struct nook_cgroup **out,
              nook_error_t *err)
{
  enum nook_cgroup_mode mode;
  struct cgroup_fs *fs = NULL;
  struct nook_cgroup *cg;

  if ((cgroups_path == NULL || cgroups_path[0] == '\0') && !container_id_valid (id))
    return nook_make_error (err, 0, "container id `%s` is not valid for a cgroup name",
                            id ? id : "");
  if (nook_cgroup_detect_mode (&mode, err) < 0 || cgroup_fs_discover (mode, &fs, err) < 0)
    return -1;
  if (resolve_paths (fs, id, cgroups_path, err) < 0)
    {
      cgroup_fs_free (fs);
      return -1;
    }
  cg = cgroup_new_handle (ops_by_mode[mode], MANAGER_CGROUPFS, fs);
  cg->path = cgroup_fs_encode_path (fs);
  *out = cg;
  return 0;
}

static int
cgroupfs_load (const char *path, struct nook_cgroup **out, nook_error_t *err)
{
  enum nook_cgroup_mode mode;
  struct cgroup_fs *fs = NULL;
  struct nook_cgroup *cg;
  size_t i;

  if (nook_cgroup_detect_mode (&mode, err) < 0 || cgroup_fs_discover (mode, &fs, err) < 0)
    return -1;
  for (i = 0; i < fs->n; i++)
    {
      /* nook's own cgroup now is not the creator's: never resolve with it. */
      free (fs->h[i].own);
      fs->h[i].own = NULL;
    }
  if (decode_path (fs, path, err) < 0)
    {
      cgroup_fs_free (fs);
      return -1;
    }
  fs->entered = true;
  cg = cgroup_new_handle (ops_by_mode[mode], MANAGER_CGROUPFS, fs);
  cg->path = xstrdup (path);
  *out = cg;
  return 0;
}

int
nook_cgroup_new (const char *id, const char *cgroups_path, bool systemd, struct nook_cgroup **out,
                 nook_error_t *err)
{
  if (systemd || cgroup_systemd_path_wanted (cgroups_path))
    return cgroup_systemd_new (id, cgroups_path, out, err);
  return cgroupfs_new (id, cgroups_path, out, err);
}

static const struct
{
  const char *manager;
  int (*load) (const char *path, struct nook_cgroup **out, nook_error_t *err);
} managers[] = {
  { MANAGER_CGROUPFS, cgroupfs_load },
  { "systemd", cgroup_systemd_load },
};

int
nook_cgroup_load (const char *manager, const char *path, struct nook_cgroup **out,
                  nook_error_t *err)
{
  size_t i;

  if (path == NULL || path[0] == '\0')
    return nook_make_error (err, 0, "no cgroup path recorded for manager `%s`",
                            manager ? manager : "");
  for (i = 0; i < N_ELEMENTS (managers); i++)
    if (manager && strcmp (manager, managers[i].manager) == 0)
      return managers[i].load (path, out, err);
  return nook_make_error (err, 0, "unknown cgroup manager `%s`", manager ? manager : "");
}

static bool
deepest_existing_writable (const char *dir, char **blocked)
{
  cleanup_free char *d = xstrdup (dir);
  struct stat st;
  char *slash;

  while (stat (d, &st) < 0 && (slash = strrchr (d, '/')) != NULL && slash != d)
    *slash = '\0';
  if (faccessat (AT_FDCWD, d, W_OK, AT_EACCESS) == 0)
    return true;
  *blocked = steal_pointer (&d);
  return false;
}

bool
nook_cgroup_writable (struct nook_cgroup *cg, char **blocked)
{
  struct cgroup_fs *fs = cg->priv;
  size_t i;

  *blocked = NULL;
  if (strcmp (cg->manager, MANAGER_CGROUPFS) != 0)
    return true;
  for (i = 0; i < fs->n; i++)
    if (!deepest_existing_writable (fs->h[i].dir, blocked))
      return false;
  return true;
}

bool
nook_cgroup_limits_wanted (const oci_resources *res)
{
  return res
         && (res->memory || res->cpu || res->pids || res->block_io || res->hugepage_limits_len
             || res->network || res->rdma_len || res->unified.len);
}

int
nook_cgroup_enter (struct nook_cgroup *cg, pid_t pid, const oci_resources *res,
                   nook_error_t *err)
{
  if (cgroup_validate_resources (res, err) < 0)
    return -1;
  return cg->ops->enter (cg, pid, res, err);
}

int
cgroup_fs_attach (struct nook_cgroup *cg, pid_t pid, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", (int) pid);
  size_t i;

  for (i = 0; i < fs->n; i++)
    {
      cleanup_free char *procs = NULL;
      xasprintf (&procs, "%s/cgroup.procs", fs->h[i].dir);
      if (write_existing_file_at (AT_FDCWD, procs, buf, len, err) < 0)
        return -1;
    }
  return 0;
}

int
nook_cgroup_attach (struct nook_cgroup *cg, pid_t pid, nook_error_t *err)
{
  return cg->ops->attach (cg, pid, err);
}

int
nook_cgroup_kill_all (struct nook_cgroup *cg, int sig, nook_error_t *err)
{
  return cg->ops->kill_all (cg, sig, err);
}

int
nook_cgroup_pids (struct nook_cgroup *cg, pid_t **pids, size_t *n, nook_error_t *err)
{
  return cg->ops->pids (cg, pids, n, err);
}

int
nook_cgroup_destroy (struct nook_cgroup *cg, nook_error_t *err)
{
  return cg->ops->destroy (cg, err);
}

int
nook_cgroup_mount (struct nook_cgroup *cg, int target_fd, unsigned long mount_flags,
                   bool own_cgroupns, nook_error_t *err)
{
  return cg->ops->mount (cg, target_fd, mount_flags, own_cgroupns, err);
}

void
nook_cgroup_free (struct nook_cgroup *cg)
{
  if (cg == NULL)
    return;
  if (cg->ops && cg->ops->free_priv)
    cg->ops->free_priv (cg->priv);
  free (cg->manager);
  free (cg->path);
  free (cg);
}

void
cgroup_fs_free_priv (void *priv)
{
  cgroup_fs_free (priv);
}

void
cgroup_fs_entered (struct nook_cgroup *cg)
{
  struct cgroup_fs *fs = cg->priv;
  fs->entered = true;
  free (cg->path);
  cg->path = cgroup_fs_encode_path (fs);
}

char *
cgroup_fd_path (int fd)
{
  char link[64], buf[4096];
  ssize_t r;
  char *out = NULL;

  snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  r = readlink (link, buf, sizeof (buf) - 1);
  if (r <= 0)
    xasprintf (&out, "fd %d", fd);
  else
    {
      buf[r] = '\0';
      out = xstrdup (buf);
    }
  return out;
}

/* ----------------------------------------------- create, remove, attach */

static int
mkdir_components (struct cgroup_hierarchy *h, nook_error_t *err)
{
  cleanup_free char *d = xstrdup (h->dir);
  size_t base = strlen (h->mountpoint);
  int total = 0, index = 0;
  char *p;

  for (p = d + base; *p; p++)
    if (*p == '/')
      total++;
  h->created = 0;
  for (p = d + base + 1;; p++)
    {
      char c = *p;
      if (c != '/' && c != '\0')
        continue;
      *p = '\0';
      index++;
      if (mkdir (d, 0755) == 0)
        {
          if (h->created == 0)
            h->created = total - index + 1;
        }
      else if (errno != EEXIST)
        return nook_make_error (err, errno, "create cgroup `%s`", d);
      *p = c;
      if (c == '\0')
        return 0;
    }
}

int
cgroup_hierarchy_create (struct cgroup_hierarchy *h, nook_error_t *err)
{
  int attempt;

  /* A parent can vanish under us when another container's destroy()
   * removes it as empty: start over then. */
  for (attempt = 0;; attempt++)
    {
      if (mkdir_components (h, err) == 0)
        return 0;
      if ((*err)->status != ENOENT || attempt == 3)
        return -1;
      nook_error_release (err);
    }
}

static bool
deadline_passed (const struct timespec *deadline)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return now.tv_sec > deadline->tv_sec
         || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static int
rmdir_retry (const char *dir, const struct timespec *deadline, nook_error_t *err)
{
  for (;;)
    {
      struct timespec pause = { 0, REMOVE_RETRY_NS };
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || deadline_passed (deadline))
        return nook_make_error (err, errno, "remove cgroup `%s`", dir);
      nanosleep (&pause, NULL);
    }
}

/* The container may have made cgroups of its own below its cgroup. */
static int
remove_cgroup_tree (const char *dir, const struct timespec *deadline, nook_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return errno == ENOENT ? 0 : nook_make_error (err, errno, "open cgroup `%s`", dir);
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *child = NULL;
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      xasprintf (&child, "%s/%s", dir, de->d_name);
      if (remove_cgroup_tree (child, deadline, err) < 0)
        return -1;
    }
  return rmdir_retry (dir, deadline, err);
}

int
cgroup_hierarchy_remove (struct cgroup_hierarchy *h, const struct timespec *deadline,
                         nook_error_t *err)
{
  cleanup_free char *d = NULL;
  size_t base = strlen (h->mountpoint);
  int i;

  if (h->created <= 0 || h->dir == NULL)
    return 0;
  if (remove_cgroup_tree (h->dir, deadline, err) < 0)
    return -1;
  d = xstrdup (h->dir);
  for (i = 1; i < h->created; i++)
    {
      char *slash = strrchr (d, '/');
      if (slash == NULL || (size_t) (slash - d) <= base)
        break;
      *slash = '\0';
      /* Still used by another container: it stays, and so do its parents. */
      if (rmdir (d) < 0 && errno != ENOENT)
        {
          if (errno == EBUSY || errno == ENOTEMPTY || errno == EEXIST)
            break;
          return nook_make_error (err, errno, "remove cgroup `%s`", d);
        }
    }
  h->created = 0;
  return 0;
}

int
cgroup_fs_remove_all (struct cgroup_fs *fs, nook_error_t *err)
{
  struct timespec deadline;
  int ret = 0;
  size_t i;

  clock_gettime (CLOCK_MONOTONIC, &deadline);
  deadline.tv_nsec += REMOVE_TIMEOUT_NS % 1000000000L;
  deadline.tv_sec += REMOVE_TIMEOUT_NS / 1000000000L + deadline.tv_nsec / 1000000000L;
  deadline.tv_nsec %= 1000000000L;
  for (i = 0; i < fs->n; i++)
    {
      nook_error_t e = NULL;
      if (cgroup_hierarchy_remove (&fs->h[i], &deadline, &e) < 0)
        {
          ret = -1;
          if (err && *err == NULL)
            *err = e;
          else
            {
              nook_debug ("%s", e->msg);
              nook_error_release (&e);
            }
        }
    }
  return ret;
}

int
cgroup_attach (const struct cgroup_hierarchy *h, pid_t pid, nook_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%d", (int) pid);
  return cgroup_write (h->dir, "cgroup.procs", buf, NULL, NULL, err);
}

void
cgroup_detach (const struct cgroup_hierarchy *h, pid_t pid)
{
  struct cgroup_hierarchy own = *h;
  nook_error_t e = NULL;
  char buf[32];

  own.path = own.dir = NULL;
  if (h->own == NULL || hierarchy_set_path (&own, h->own, &e) < 0)
    {
      nook_error_release (&e);
      return;
    }
  snprintf (buf, sizeof (buf), "%d", (int) pid);
  if (cgroup_write (own.dir, "cgroup.procs", buf, NULL, NULL, &e) < 0)
    {
      nook_debug ("cgroup: %s", e->msg);
      nook_error_release (&e);
    }
  free (own.path);
  free (own.dir);
}

/* ------------------------------------------------------------- files */

int
cgroup_write (const char *dir, const char *file, const char *value, const char *what,
              const char *hint, nook_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  size_t len = strlen (value);

  xasprintf (&path, "%s/%s", dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return nook_make_error (err, 0, "%s%s`%s` does not exist%s%s", what ? what : "",
                            what ? ": " : "", path, hint ? " " : "", hint ? hint : "");
  if (fd < 0)
    return nook_make_error (err, errno, "%s%sopen `%s`", what ? what : "", what ? ": " : "",
                            path);
  /* One write() per value: cgroup files take a value per write. */
  if (write (fd, value, len) != (ssize_t) len)
    return nook_make_error (err, errno ? errno : EIO, "%s%swrite `%s` to `%s`", what ? what : "",
                            what ? ": " : "", value, path);
  return 0;
}

void
cgroup_format_int64 (char *buf, size_t size, int64_t v, const char *negative)
{
  if (v < 0)
    snprintf (buf, size, "%s", negative);
  else
    snprintf (buf, size, "%" PRId64, v);
}

int
cgroup_write_int64 (const char *dir, const char *file, int64_t value, const char *what,
                    nook_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%" PRId64, value);
  return cgroup_write (dir, file, buf, what, NULL, err);
}

int
cgroup_read (const char *dir, const char *file, char **out, nook_error_t *err)
{
  cleanup_free char *path = NULL;
  size_t len;

  xasprintf (&path, "%s/%s", dir, file);
  if (read_all_file (path, out, &len, err) < 0)
    return -1;
  while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == ' '))
    (*out)[--len] = '\0';
  return 0;
}

bool
cgroup_file_exists (const char *dir, const char *file)
{
  cleanup_free char *path = NULL;
  xasprintf (&path, "%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

static int
append_pids (const char *dir, pid_t **pids, size_t *n, nook_error_t *err)
{
  cleanup_free char *buf = NULL;
  char *line, *save = NULL;

  if (cgroup_read (dir, "cgroup.procs", &buf, err) < 0)
    {
      /* Removed while we walked it. */
      if ((*err)->status == ENOENT)
        {
          nook_error_release (err);
          return 0;
        }
      return -1;
    }
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      int64_t v;
      if (parse_int64 (line, &v) < 0 || v <= 0)
        continue;
      *pids = xrealloc (*pids, (*n + 1) * sizeof (**pids));
      (*pids)[(*n)++] = (pid_t) v;
    }
  return 0;
}

static int
collect_pids (const char *dir, pid_t **pids, size_t *n, nook_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return errno == ENOENT ? 0 : nook_make_error (err, errno, "open cgroup `%s`", dir);
  if (append_pids (dir, pids, n, err) < 0)
    return -1;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *child = NULL;
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      xasprintf (&child, "%s/%s", dir, de->d_name);
      if (collect_pids (child, pids, n, err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_read_pids (const char *dir, pid_t **pids, size_t *n, nook_error_t *err)
{
  *pids = NULL;
  *n = 0;
  if (collect_pids (dir, pids, n, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

int
cgroup_signal_pids (const char *dir, int sig, nook_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n, i;

  if (cgroup_read_pids (dir, &pids, &n, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return nook_make_error (err, errno, "send signal %d to pid %d of cgroup `%s`", sig,
                              (int) pids[i], dir);
  return 0;
}

/* ------------------------------------------------------------- mount */

static const struct
{
  unsigned long ms;
  uint64_t attr;
} mount_attr_map[] = {
  { MS_RDONLY, MOUNT_ATTR_RDONLY },
  { MS_NOSUID, MOUNT_ATTR_NOSUID },
  { MS_NODEV, MOUNT_ATTR_NODEV },
  { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
  { MS_NOATIME, MOUNT_ATTR_NOATIME },
  { MS_STRICTATIME, MOUNT_ATTR_STRICTATIME },
  { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME },
};

uint64_t
cgroup_mount_attrs (unsigned long mount_flags)
{
  /* Nothing in a cgroup fs is to be executed or is a device. */
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  size_t i;

  for (i = 0; i < N_ELEMENTS (mount_attr_map); i++)
    if (mount_flags & mount_attr_map[i].ms)
      attrs |= mount_attr_map[i].attr;
  return attrs;
}

/* The kernel explains fsconfig() failures through the fs context fd. */
static const char *
fs_context_message (int fsfd, char *buf, size_t size)
{
  ssize_t r = read (fsfd, buf, size - 1);
  if (r <= 2)
    return "";
  buf[r] = '\0';
  if (buf[r - 1] == '\n')
    buf[r - 1] = '\0';
  return buf + 2; /* skip "e " */
}

static int
fsconfig_v1_controllers (int fsfd, const char *controllers)
{
  cleanup_free char *copy = xstrdup (controllers);
  char *tok, *save = NULL;
  bool any_controller = false;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      int r;
      if (strncmp (tok, "name=", 5) == 0)
        r = fsconfig (fsfd, FSCONFIG_SET_STRING, "name", tok + 5, 0);
      else
        {
          r = fsconfig (fsfd, FSCONFIG_SET_FLAG, tok, NULL, 0);
          any_controller = true;
        }
      if (r < 0)
        return -1;
    }
  /* A named hierarchy without controllers: "none,name=systemd". */
  if (!any_controller && fsconfig (fsfd, FSCONFIG_SET_FLAG, "none", NULL, 0) < 0)
    return -1;
  return 0;
}

static int
fresh_cgroup_mount (const struct cgroup_hierarchy *h, uint64_t attrs, const char *desc,
                    nook_error_t *err)
{
  const char *type = h->v2 ? "cgroup2" : "cgroup";
  cleanup_close int fsfd = fsopen (type, FSOPEN_CLOEXEC);
  char msg[256];
  int mfd;

  if (fsfd < 0)
    return nook_make_error (err, errno, "mount `%s` on `%s`: fsopen", type, desc);
  if ((!h->v2 && fsconfig_v1_controllers (fsfd, h->controllers) < 0)
      || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      int saved = errno;
      const char *why = fs_context_message (fsfd, msg, sizeof (msg));
      return nook_make_error (err, saved, "mount `%s` (%s) on `%s`%s%s", type,
                              h->v2 ? "cgroup2" : h->controllers, desc, why[0] ? ": " : "", why);
    }
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) attrs);
  if (mfd < 0)
    return nook_make_error (err, errno, "mount `%s` on `%s`: fsmount", type, desc);
  return mfd;
}

static int
bind_cgroup_dir (const struct cgroup_hierarchy *h, uint64_t attrs, const char *desc,
                 nook_error_t *err)
{
  struct mount_attr attr = { .attr_set = attrs, .attr_clr = MOUNT_ATTR__ATIME };
  int mfd = open_tree (AT_FDCWD, h->dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

  if (mfd < 0)
    return nook_make_error (err, errno, "bind `%s` on `%s`", h->dir, desc);
  if (mount_setattr (mfd, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    {
      int saved = errno;
      close (mfd);
      return nook_make_error (err, saved, "set the mount options of `%s` on `%s`", h->dir, desc);
    }
  return mfd;
}

int
cgroup_mount_hierarchy (const struct cgroup_hierarchy *h, int target_fd, uint64_t attrs,
                        bool own_cgroupns, const char *desc, nook_error_t *err)
{
  cleanup_close int mfd = -1;

  mfd = own_cgroupns ? fresh_cgroup_mount (h, attrs, desc, err)
                     : bind_cgroup_dir (h, attrs, desc, err);
  /* Inside a user namespace a v1 hierarchy cannot be mounted afresh; the
   * container's own directory bound there shows it the same tree. */
  if (mfd < 0 && own_cgroupns && (*err)->status == EPERM)
    {
      nook_debug ("%s; binding `%s` instead", (*err)->msg, h->dir);
      nook_error_release (err);
      mfd = bind_cgroup_dir (h, attrs, desc, err);
    }
  if (mfd < 0)
    return -1;
  if (move_mount (mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return nook_make_error (err, errno, "mount `%s` on `%s`",
                            own_cgroupns ? (h->v2 ? "cgroup2" : h->controllers) : h->dir, desc);
  return 0;
}
