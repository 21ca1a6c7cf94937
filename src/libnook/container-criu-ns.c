/* nook - checkpoint/restore: the container's cgroup mounts and its network
 * namespace, the parts of its namespaces CRIU is not left to handle alone. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>
#include <limits.h>
#include "libcriu.h"
#include "criu.h"
#include "cgroup.h"
#include "linux.h"
#include "mount.h"
#include "container.h"
#include "container-internal.h"
#include "container-criu-internal.h"
#include "status.h"
#include "terminal.h"
#include "utils.h"

/* ---- cgroup mounts (both directions) ----
 *
 * The container sees its cgroups as binds of sub-directories of the host's
 * hierarchies (root "/nook/ID" in its mountinfo), which CRIU cannot dump
 * ("doesn't have a proper root mount"): as runc, nook declares each one an
 * external mount keyed by its mount point and records which hierarchy it
 * was ("MOUNTPOINT CONTROLLERS", "-" for cgroup2) in NOOK_CRIU_CGROUP_MOUNTS;
 * restore binds the new container's cgroup of that hierarchy there. */

/* Super options that are not controllers. */
static bool
cgroup_option_skipped (const char *opt)
{
  static const char *const skip[]
      = { "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "nsdelegate",
          "memory_localevents", "memory_recursiveprot", "favordynmods",
          "memory_hugetlb_accounting" };
  size_t i;

  if (strncmp (opt, "release_agent=", 14) == 0)
    return true;
  for (i = 0; i < sizeof (skip) / sizeof (skip[0]); i++)
    if (strcmp (opt, skip[i]) == 0)
      return true;
  return false;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* "cpuacct,cpu" or "rw,cpu,cpuacct" -> "cpu,cpuacct"; "" -> "-". */
static char *
cgroup_controllers (const char *list, bool super_options)
{
  cleanup_free char *copy = xstrdup (list);
  char *tok, *save = NULL, *names[64], *out = xstrdup ("");
  size_t n = 0, i;

  for (tok = strtok_r (copy, ",", &save); tok && n < 64; tok = strtok_r (NULL, ",", &save))
    if (!super_options || !cgroup_option_skipped (tok))
      names[n++] = tok;
  qsort (names, n, sizeof (names[0]), cmp_str);
  for (i = 0; i < n; i++)
    out = criu_append (out, "%s%s%s", i ? "," : "", names[i]);
  if (n == 0)
    out = criu_append (out, "%s%s%s", "-", "");
  return out;
}

/* One mountinfo line: its root, mount point, fs type and super options
 * (pointers into line, which is cut up).  false: not parseable. */
static bool
parse_mountinfo_line (char *line, char **root, char **mnt, char **fstype, char **super)
{
  char *save = NULL, *f[6], *sep = strstr (line, " - ");
  int i;

  if (sep == NULL)
    return false;
  *sep = '\0';
  f[0] = strtok_r (line, " ", &save);
  for (i = 1; i < 5 && f[i - 1]; i++)
    f[i] = strtok_r (NULL, " ", &save);
  if (i < 5 || f[4] == NULL)
    return false;
  *root = f[3];
  *mnt = f[4];
  save = NULL;
  *fstype = strtok_r (sep + 3, " ", &save);
  if (*fstype == NULL || strtok_r (NULL, " ", &save) == NULL)
    return false;
  *super = strtok_r (NULL, " \n", &save);
  return *super != NULL;
}

static bool
is_cgroup_fs (const char *fstype)
{
  return strcmp (fstype, "cgroup") == 0 || strcmp (fstype, "cgroup2") == 0;
}

int
dump_cgroup_mounts (struct nook_criu *c, pid_t pid, nook_error_t *err)
{
  char path[64], line[4096];
  char *out = xstrdup (""), *root, *mnt, *fstype, *super;
  FILE *f;
  int r = 0;

  snprintf (path, sizeof path, "/proc/%d/mountinfo", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    {
      free (out);
      return nook_make_error (err, errno, "open `%s`", path);
    }
  while (r == 0 && fgets (line, sizeof line, f))
    {
      cleanup_free char *ctrl = NULL;

      if (!parse_mountinfo_line (line, &root, &mnt, &fstype, &super) || !is_cgroup_fs (fstype)
          || strcmp (root, "/") == 0 || strchr (mnt, '\\'))
        continue;
      ctrl = strcmp (fstype, "cgroup2") == 0 ? xstrdup ("-") : cgroup_controllers (super, true);
      if (criu_local_add_ext_mount (nook_criu_opts (c), mnt, mnt) < 0)
        r = nook_make_error (err, ENOMEM, "CRIU: external mount `%s`", mnt);
      out = criu_append (out, "%s%s %s\n", mnt, ctrl);
    }
  fclose (f);
  if (r == 0)
    r = write_file_at (nook_criu_images_fd (c), NOOK_CRIU_CGROUP_MOUNTS, out, strlen (out), 0600,
                       err);
  free (out);
  return r;
}

/* The host's mount point of the hierarchy with these controllers ("-":
 * cgroup2), from the caller's mountinfo; NULL if there is none. */
static char *
host_cgroup_mount (const char *controllers)
{
  char line[4096], *root, *mnt, *fstype, *super, *found = NULL;
  FILE *f = fopen ("/proc/self/mountinfo", "re");

  if (f == NULL)
    return NULL;
  while (found == NULL && fgets (line, sizeof line, f))
    {
      cleanup_free char *ctrl = NULL;

      if (!parse_mountinfo_line (line, &root, &mnt, &fstype, &super) || !is_cgroup_fs (fstype)
          || strcmp (root, "/") != 0)
        continue;
      ctrl = strcmp (fstype, "cgroup2") == 0 ? xstrdup ("-") : cgroup_controllers (super, true);
      if (strcmp (ctrl, controllers) == 0)
        found = xstrdup (mnt);
    }
  fclose (f);
  return found;
}

/* The caller's cgroup in the hierarchy with these controllers. */
static char *
own_cgroup (const char *controllers)
{
  char line[4096], *found = NULL;
  FILE *f = fopen ("/proc/self/cgroup", "re");

  if (f == NULL)
    return NULL;
  while (found == NULL && fgets (line, sizeof line, f))
    {
      char *ctrl = strchr (line, ':'), *path;
      cleanup_free char *norm = NULL;

      if (ctrl == NULL || (path = strchr (++ctrl, ':')) == NULL)
        continue;
      *path++ = '\0';
      path[strcspn (path, "\n")] = '\0';
      norm = cgroup_controllers (ctrl, false);
      if (strcmp (norm, controllers) == 0)
        found = xstrdup (path);
    }
  fclose (f);
  return found;
}

/* In the restore helper, once it is in the container's cgroups: each
 * recorded cgroup mount gets the new container's cgroup as its source. */
int
restore_cgroup_mounts (struct nook_criu *c, nook_error_t *err)
{
  cleanup_free char *data = NULL;
  char *p, *save = NULL;
  size_t len;

  if (read_all_file_at (nook_criu_images_fd (c), NOOK_CRIU_CGROUP_MOUNTS, &data, &len, err)
      < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      nook_error_release (err); /* an image without cgroup mounts */
      return 0;
    }
  for (p = strtok_r (data, "\n", &save); p; p = strtok_r (NULL, "\n", &save))
    {
      cleanup_free char *host = NULL, *cg = NULL, *src = NULL;
      char *ctrl = strchr (p, ' ');

      if (ctrl == NULL)
        continue;
      *ctrl++ = '\0';
      host = host_cgroup_mount (ctrl);
      cg = own_cgroup (ctrl);
      if (host == NULL || cg == NULL)
        return nook_make_error (err, 0,
                                "the image has the cgroup hierarchy `%s` mounted at `%s`; this "
                                "host has no such hierarchy to restore it from",
                                ctrl, p);
      xasprintf (&src, "%s%s", host, strcmp (cg, "/") == 0 ? "" : cg);
      if (criu_local_add_ext_mount (nook_criu_opts (c), p, src) < 0)
        return nook_make_error (err, ENOMEM, "CRIU: external mount `%s`", p);
    }
  return 0;
}

/* ---- a blank network namespace ----
 *
 * A container's own network namespace that still is what nook made of it
 * (lo up, nothing else) need not go through CRIU, which restores one with
 * a dozen `ip` and `iptables-restore` runs (~20 ms of every restore here):
 * dumped as CRIU's "empty" namespace, restore gets a new one and nook
 * brings lo up in it before the tasks run (the "post-setup-namespaces"
 * notification).  Blank means: its own namespace (not joined by path), no
 * `net.*` sysctls in the config, only `lo` in it, /proc/sys read-only and
 * neither CAP_NET_ADMIN nor CAP_SYS_ADMIN in the bounding set of the init
 * (so no task could have changed addresses, routes, rules, netfilter or
 * sysctls since).  The image says so in NOOK_CRIU_BLANK_NETNS. */

bool
cr_owns_ns (const oci_container *cfg, const char *type)
{
  const oci_namespace *ns = nook_config_namespace (cfg->linux, type);
  return ns && ns->path == NULL;
}

static bool
net_sysctls (const oci_container *cfg)
{
  size_t i;

  for (i = 0; cfg->linux && i < cfg->linux->sysctl.len; i++)
    if (strncmp (cfg->linux->sysctl.keys[i], "net.", 4) == 0)
      return true;
  return false;
}

/* Only lo in /proc/PID/net/dev (two header lines, then one per link). */
static bool
only_loopback (pid_t pid)
{
  char path[64], line[512];
  int n = 0, lo = 0;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/net/dev", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    if (++n > 2)
      lo += strncmp (line + strspn (line, " "), "lo:", 3) == 0 ? 1 : 100;
  fclose (f);
  return lo == 1;
}

static bool
net_caps_dropped (pid_t pid)
{
  char path[64], line[256];
  unsigned long long bnd = ~0ULL;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "CapBnd: %llx", &bnd) == 1)
      break;
  fclose (f);
  return (bnd & ((1ULL << 12) | (1ULL << 21))) == 0; /* CAP_NET_ADMIN, CAP_SYS_ADMIN */
}

static bool
proc_sys_readonly (pid_t pid)
{
  char path[64], line[4096];
  bool ro = false;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/mountinfo", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    return false;
  while (fgets (line, sizeof line, f))
    {
      char *root, *mnt, *fstype, *super, *opts;

      if (!parse_mountinfo_line (line, &root, &mnt, &fstype, &super) || strcmp (mnt, "/proc/sys"))
        continue;
      opts = mnt + strlen (mnt) + 1; /* the mount options follow the mount point */
      ro = strncmp (opts, "ro,", 3) == 0 || strcmp (opts, "ro") == 0;
    }
  fclose (f);
  return ro;
}

int
dump_blank_netns (struct nook_criu *c, const oci_container *cfg, const char *empty_ns, pid_t pid,
                  nook_error_t *err)
{
  struct CriuOpts *rpc = nook_criu_rpc (c);

  if (empty_ns == NULL
      && (!cr_owns_ns (cfg, "network") || net_sysctls (cfg) || !only_loopback (pid)
          || !net_caps_dropped (pid) || !proc_sys_readonly (pid)))
    return 0;
  rpc->has_empty_ns = true;
  rpc->empty_ns |= CLONE_NEWNET;
  return write_file_at (nook_criu_images_fd (c), NOOK_CRIU_BLANK_NETNS, "lo\n", 3, 0600, err);
}

int
cr_in_ns (const char *path, const char *ns, int type, int (*fn) (void *, nook_error_t *),
          void *arg, nook_error_t *err)
{
  char self_path[32];
  cleanup_close int self = -1, target = -1;
  int r;

  snprintf (self_path, sizeof self_path, "/proc/self/ns/%s", ns);
  self = open (self_path, O_RDONLY | O_CLOEXEC);
  target = open (path, O_RDONLY | O_CLOEXEC);
  if (self < 0 || target < 0)
    return nook_make_error (err, errno, "open the %s namespace `%s`", ns, path);
  if (setns (target, type) < 0)
    return nook_make_error (err, errno, "join the %s namespace `%s`", ns, path);
  r = fn (arg, err);
  if (setns (self, type) < 0 && r == 0)
    r = nook_make_error (err, errno, "return to the helper's %s namespace", ns);
  return r;
}

static int
loopback_up (void *unused, nook_error_t *err)
{
  cleanup_close int sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = { .ifr_name = "lo" };

  (void) unused;
  if (sock < 0 || ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    return nook_make_error (err, errno, "restored network namespace: read the flags of `lo`");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (sock, SIOCSIFFLAGS, &ifr) < 0)
    return nook_make_error (err, errno, "restored network namespace: bring `lo` up");
  return 0;
}

/* In the restore helper, at "post-setup-namespaces": lo up in the new
 * namespace of pid, then back to the helper's own. */
int
loopback_up_in (pid_t pid, nook_error_t *err)
{
  char path[64];

  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  return cr_in_ns (path, "net", CLONE_NEWNET, loopback_up, NULL, err);
}

