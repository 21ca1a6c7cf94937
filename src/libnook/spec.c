/* nook - the default config.json (`nook spec`).
 *
 * The content follows `runc spec` (runc 1.2 and later) so that bundles and
 * tutorials written for runc work unchanged.  Differences, on purpose:
 *  - process.terminal is false: a terminal needs --console-socket for
 *    create and run -d, and a starter config should run everywhere;
 *  - hostname is "nook";
 *  - the cgroup namespace is always listed (runc adds it only on pure
 *    cgroup v2 hosts): nook mounts the container's own cgroup view on every
 *    layout, and the document should not depend on the machine that wrote it.
 *
 * Everything is copied into malloc'd memory because the document is owned
 * (and freed) by oci_container_free. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec.h"
#include "utils.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static const char *const DEFAULT_ENV[] = {
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "TERM=xterm",
  NULL,
};

static const char *const DEFAULT_CAPS[] = {
  "CAP_AUDIT_WRITE",
  "CAP_KILL",
  "CAP_NET_BIND_SERVICE",
  NULL,
};

struct default_mount
{
  const char *destination;
  const char *type;
  const char *source;
  const char *const options[8]; /* NULL terminated */
};

static const struct default_mount DEFAULT_MOUNTS[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts", "devpts", "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* Without CAP_SYS_ADMIN in the initial user namespace sysfs cannot be
 * mounted fresh, so a rootless container gets the host's /sys bound in. */
static const struct default_mount ROOTLESS_SYS_MOUNT
  = { "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL } };

static const char *const MASKED_PATHS[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
  "/sys/devices/virtual/tpm",
  NULL,
};

static const char *const READONLY_PATHS[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct default_namespace
{
  const char *type;
  bool rootful_only; /* dropped by --rootless */
};

/* A rootless container cannot create a usable network (no veth without
 * privileges), so it shares the caller's, as with runc --rootless. */
static const struct default_namespace DEFAULT_NAMESPACES[] = {
  { "pid", false },  { "network", true }, { "ipc", false },
  { "uts", false },  { "mount", false },  { "cgroup", false },
};

/* Copy a NULL-terminated list, leaving out what skip() rejects. */
static char **
strv_copy (const char *const *src, bool (*skip) (const char *), size_t *len)
{
  size_t n = 0, i;
  char **out;

  while (src[n])
    n++;
  out = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0, *len = 0; i < n; i++)
    if (skip == NULL || ! skip (src[i]))
      out[(*len)++] = xstrdup (src[i]);
  return out;
}

/* Rootless containers cannot map the ids named in uid=/gid= options. */
static bool
is_id_option (const char *opt)
{
  return strncmp (opt, "uid=", 4) == 0 || strncmp (opt, "gid=", 4) == 0;
}

static oci_process *
default_process (void)
{
  oci_process *p = xmalloc0 (sizeof *p);
  oci_capabilities *caps = xmalloc0 (sizeof *caps);

  p->terminal = false;
  p->user = xmalloc0 (sizeof *p->user);
  p->args = xmalloc0 (2 * sizeof (char *));
  p->args[0] = xstrdup ("sh");
  p->args_len = 1;
  p->env = strv_copy (DEFAULT_ENV, NULL, &p->env_len);
  p->cwd = xstrdup ("/");

  caps->bounding = strv_copy (DEFAULT_CAPS, NULL, &caps->bounding_len);
  caps->effective = strv_copy (DEFAULT_CAPS, NULL, &caps->effective_len);
  caps->permitted = strv_copy (DEFAULT_CAPS, NULL, &caps->permitted_len);
  p->capabilities = caps;

  p->rlimits = xmalloc0 (sizeof *p->rlimits);
  p->rlimits[0].type = xstrdup ("RLIMIT_NOFILE");
  p->rlimits[0].hard = 1024;
  p->rlimits[0].soft = 1024;
  p->rlimits_len = 1;

  p->no_new_privileges = true;
  return p;
}

static void
default_mounts (const struct nook_spec_opts *opts, oci_mount **out, size_t *len)
{
  oci_mount *mounts = xmalloc0 (N_ELEMENTS (DEFAULT_MOUNTS) * sizeof *mounts);
  size_t i;

  for (i = 0; i < N_ELEMENTS (DEFAULT_MOUNTS); i++)
    {
      const struct default_mount *d = &DEFAULT_MOUNTS[i];
      oci_mount *m = &mounts[i];

      if (opts->rootless && strcmp (d->destination, "/sys") == 0)
        d = &ROOTLESS_SYS_MOUNT;

      m->destination = xstrdup (d->destination);
      m->type = xstrdup (d->type);
      m->source = xstrdup (d->source);
      if (d->options[0] != NULL)
        m->options = strv_copy (d->options, opts->rootless ? is_id_option : NULL, &m->options_len);
    }
  *out = mounts;
  *len = N_ELEMENTS (DEFAULT_MOUNTS);
}

static oci_id_mapping *
map_caller (uint32_t host_id, size_t *len)
{
  oci_id_mapping *m = xmalloc0 (sizeof *m);

  m->container_id = 0;
  m->host_id = host_id;
  m->size = 1;
  *len = 1;
  return m;
}

static void
default_namespaces (const struct nook_spec_opts *opts, oci_linux *l)
{
  size_t i, n = 0;

  l->namespaces = xmalloc0 ((N_ELEMENTS (DEFAULT_NAMESPACES) + 1) * sizeof *l->namespaces);
  for (i = 0; i < N_ELEMENTS (DEFAULT_NAMESPACES); i++)
    if (! (opts->rootless && DEFAULT_NAMESPACES[i].rootful_only))
      l->namespaces[n++].type = xstrdup (DEFAULT_NAMESPACES[i].type);
  if (opts->rootless)
    l->namespaces[n++].type = xstrdup ("user");
  l->namespaces_len = n;
}

static oci_linux *
default_linux (const struct nook_spec_opts *opts)
{
  oci_linux *l = xmalloc0 (sizeof *l);

  default_namespaces (opts, l);
  l->masked_paths = strv_copy (MASKED_PATHS, NULL, &l->masked_paths_len);
  l->readonly_paths = strv_copy (READONLY_PATHS, NULL, &l->readonly_paths_len);

  if (opts->rootless)
    {
      /* The effective ids: those are what the kernel lets an unprivileged
       * process map in a user namespace it creates. */
      l->uid_mappings = map_caller (geteuid (), &l->uid_mappings_len);
      l->gid_mappings = map_caller (getegid (), &l->gid_mappings_len);
      return l;
    }

  /* Deny every device by default; the runtime allows its default set. */
  l->resources = xmalloc0 (sizeof *l->resources);
  l->resources->devices = xmalloc0 (sizeof *l->resources->devices);
  l->resources->devices[0].allow = false;
  l->resources->devices[0].access = xstrdup ("rwm");
  l->resources->devices_len = 1;
  return l;
}

int
nook_spec_default (const struct nook_spec_opts *opts, oci_container **out, nook_error_t *err)
{
  static const struct nook_spec_opts no_opts;
  oci_container *c = xmalloc0 (sizeof *c);

  if (opts == NULL)
    opts = &no_opts;

  c->oci_version = xstrdup (OCI_SPEC_VERSION);
  c->process = default_process ();
  c->root = xmalloc0 (sizeof *c->root);
  c->root->path = xstrdup ("rootfs");
  c->root->readonly = true;
  c->hostname = xstrdup ("nook");
  default_mounts (opts, &c->mounts, &c->mounts_len);
  c->linux = default_linux (opts);

  *out = c;
  return 0;
}

static int
generate_json (const struct nook_spec_opts *opts, char **json, size_t *len, nook_error_t *err)
{
  oci_container *c = NULL;
  cleanup_free char *errmsg = NULL;
  int ret;

  ret = nook_spec_default (opts, &c, err);
  if (ret < 0)
    return ret;
  ret = oci_container_generate (c, true, json, len, &errmsg);
  oci_container_free (c);
  if (ret < 0)
    return nook_make_error (err, 0, "generate the default config.json: %s",
                            errmsg ? errmsg : "unknown error");
  return 0;
}

int
nook_spec_write (const char *bundle, const struct nook_spec_opts *opts, nook_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int dirfd = -1;
  cleanup_close int fd = -1;
  size_t len = 0;

  if (bundle == NULL || *bundle == '\0')
    bundle = ".";
  xasprintf (&path, "%s/config.json", bundle);

  /* Build the document first, so a failure leaves no file behind. */
  if (generate_json (opts, &json, &len, err) < 0)
    return -1;

  dirfd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return nook_make_error (err, errno, "open bundle directory `%s`", bundle);

  fd = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return nook_make_error (err, 0, "File `%s` exists. Remove it first", path);
  if (fd < 0)
    return nook_make_error (err, errno, "create `%s`", path);

  /* A text file ends with a newline, whether or not yajl added one. */
  if (write_all (fd, json, len) < 0
      || (len > 0 && json[len - 1] != '\n' && write_all (fd, "\n", 1) < 0))
    {
      int saved = errno;
      unlinkat (dirfd, "config.json", 0);
      return nook_make_error (err, saved, "write `%s`", path);
    }
  return 0;
}
