/* nook - namespaces, clone, hostname, sysctl. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include "linux.h"
#include "utils.h"

struct ns_kind
{
  const char *type;  /* linux.namespaces[].type */
  int flag;          /* CLONE_NEW* */
  bool supported;    /* what this build can create or join today */
};

/* user comes first: joined before the others, it owns what follows. */
static const struct ns_kind ns_kinds[] = {
  { "user", CLONE_NEWUSER, true },
  { "pid", CLONE_NEWPID, true },
  { "network", CLONE_NEWNET, true },
  { "mount", CLONE_NEWNS, true },
  { "ipc", CLONE_NEWIPC, true },
  { "uts", CLONE_NEWUTS, true },
  { "cgroup", CLONE_NEWCGROUP, true },
  { "time", CLONE_NEWTIME, true },
};

static const struct ns_kind *
ns_kind_find (const char *type)
{
  size_t i;
  for (i = 0; i < sizeof (ns_kinds) / sizeof (ns_kinds[0]); i++)
    if (strcmp (ns_kinds[i].type, type) == 0)
      return &ns_kinds[i];
  return NULL;
}

static int
open_ns_path (const struct ns_kind *k, const char *path, int *out, nook_error_t *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  int type;

  if (fd < 0)
    return nook_make_error (err, errno, "open %s namespace `%s`", k->type, path);
  type = ioctl (fd, NS_GET_NSTYPE);
  if (type < 0 || type != k->flag)
    {
      close (fd);
      return nook_make_error (err, type < 0 ? errno : 0, "`%s` is not a %s namespace", path,
                              k->type);
    }
  *out = fd;
  return 0;
}

static int
prepare_one (const oci_namespace *n, struct nook_namespaces *ns, int *seen, nook_error_t *err)
{
  const struct ns_kind *k = ns_kind_find (n->type);

  if (k == NULL)
    return nook_make_error (err, 0, "linux.namespaces: unknown namespace type `%s`", n->type);
  if (*seen & k->flag)
    return nook_make_error (err, 0, "linux.namespaces: `%s` given twice", n->type);
  *seen |= k->flag;
  if (!k->supported)
    return nook_make_error (err, 0, "linux.namespaces: %s namespaces are not supported yet",
                            n->type);
  if (k->flag == CLONE_NEWNET)
    ns->own_netns = true;
  if (k->flag == CLONE_NEWUTS)
    ns->own_uts = true;
  if (n->path && n->path[0])
    {
      int fd = -1;
      /* The namespaces created next must belong to that user namespace,
       * which takes a second fork (setns, unshare, fork): not done yet. */
      if (k->flag == CLONE_NEWUSER)
        return nook_make_error (err, 0,
                                "linux.namespaces: joining a user namespace by path is not "
                                "supported yet");
      if (open_ns_path (k, n->path, &fd, err) < 0)
        return -1;
      ns->join[ns->n_join].fd = fd;
      ns->join[ns->n_join].nstype = k->flag;
      ns->join[ns->n_join].type = k->type;
      ns->join[ns->n_join].path = n->path;
      ns->n_join++;
      return 0;
    }
  /* cgroup: unshared by the child once in its cgroup; time: unshared by
   * the parent, which writes the offsets before the child enters it. */
  if (k->flag == CLONE_NEWCGROUP)
    ns->new_cgroupns = true;
  else if (k->flag == CLONE_NEWTIME)
    ns->new_timens = true;
  else
    ns->clone_flags |= k->flag;
  return 0;
}

/* Mappings and offsets belong with the namespaces that use them. */
static int
check_maps (const oci_linux *l, const struct nook_namespaces *ns, nook_error_t *err)
{
  bool maps = l->uid_mappings_len || l->gid_mappings_len;
  bool new_user = ns->clone_flags & CLONE_NEWUSER;

  if (new_user && (l->uid_mappings_len == 0 || l->gid_mappings_len == 0))
    return nook_make_error (err, 0,
                            "linux.uidMappings and linux.gidMappings are required for a new "
                            "user namespace");
  if (maps && !new_user)
    return nook_make_error (err, 0,
                            "linux.uidMappings/gidMappings need a new user namespace in "
                            "linux.namespaces");
  if (l->time_offsets_len && !ns->new_timens)
    return nook_make_error (err, 0, "linux.timeOffsets need a new time namespace in linux.namespaces");
  return 0;
}

const oci_namespace *
nook_config_namespace (const oci_linux *l, const char *type)
{
  size_t i;

  for (i = 0; l && i < l->namespaces_len; i++)
    if (l->namespaces[i].type && strcmp (l->namespaces[i].type, type) == 0)
      return &l->namespaces[i];
  return NULL;
}

int
nook_namespaces_prepare (const oci_linux *linux, struct nook_namespaces *ns, nook_error_t *err)
{
  size_t i;
  int seen = 0;

  memset (ns, 0, sizeof (*ns));
  if (linux == NULL)
    return 0;
  for (i = 0; i < linux->namespaces_len; i++)
    if (prepare_one (&linux->namespaces[i], ns, &seen, err) < 0)
      {
        nook_namespaces_close (ns);
        return -1;
      }
  if (check_maps (linux, ns, err) < 0)
    {
      nook_namespaces_close (ns);
      return -1;
    }
  return 0;
}

void
nook_namespaces_close (struct nook_namespaces *ns)
{
  size_t i;
  for (i = 0; i < ns->n_join; i++)
    if (ns->join[i].fd >= 0)
      close (ns->join[i].fd);
  ns->n_join = 0;
}

static int
join_one (const struct nook_namespaces *ns, size_t i, nook_error_t *err)
{
  if (setns (ns->join[i].fd, ns->join[i].nstype) < 0)
    return nook_make_error (err, errno, "join %s namespace `%s`", ns->join[i].type,
                            ns->join[i].path);
  return 0;
}

/* A user namespace is joined before the others: it owns them. */
static int
join (struct nook_namespaces *ns, bool pid, nook_error_t *err)
{
  size_t i;

  for (i = 0; !pid && i < ns->n_join; i++)
    if (ns->join[i].nstype == CLONE_NEWUSER && join_one (ns, i, err) < 0)
      return -1;
  for (i = 0; i < ns->n_join; i++)
    {
      int t = ns->join[i].nstype;
      if ((t == CLONE_NEWPID) != pid || t == CLONE_NEWUSER)
        continue;
      if (join_one (ns, i, err) < 0)
        return -1;
    }
  return 0;
}

int
nook_namespaces_join_pid (struct nook_namespaces *ns, nook_error_t *err)
{
  return join (ns, true, err);
}

int
nook_namespaces_join_others (struct nook_namespaces *ns, nook_error_t *err)
{
  return join (ns, false, err);
}

pid_t
nook_clone (int flags, nook_error_t *err)
{
  /* Raw clone with a NULL stack behaves like fork(): the child continues
   * on a copy of our stack.  glibc no longer caches the pid, so getpid()
   * stays right in the child. */
  pid_t pid = syscall (SYS_clone, (unsigned long) flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return nook_make_error (err, errno, "clone container init (flags 0x%x)", flags);
  return pid;
}

int
nook_set_hostname (const oci_container *cfg, const struct nook_namespaces *ns, nook_error_t *err)
{
  bool wants = (cfg->hostname && cfg->hostname[0]) || (cfg->domainname && cfg->domainname[0]);

  if (!wants)
    return 0;
  /* Setting it in the host's uts namespace would rename the host. */
  if (!ns->own_uts)
    return nook_make_error (err, 0, "hostname/domainname need a uts namespace in linux.namespaces");
  if (cfg->hostname && cfg->hostname[0]
      && sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
    return nook_make_error (err, errno, "set hostname `%s`", cfg->hostname);
  if (cfg->domainname && cfg->domainname[0]
      && setdomainname (cfg->domainname, strlen (cfg->domainname)) < 0)
    return nook_make_error (err, errno, "set domainname `%s`", cfg->domainname);
  return 0;
}

/* Only namespaced sysctls may be set, and only when the container has its
 * own namespace of that kind: anything else would change the host. */
struct sysctl_rule
{
  const char *prefix;
  bool exact;
  int nstype;
};

static const struct sysctl_rule sysctl_rules[] = {
  { "kernel.msgmax", true, CLONE_NEWIPC },
  { "kernel.msgmnb", true, CLONE_NEWIPC },
  { "kernel.msgmni", true, CLONE_NEWIPC },
  { "kernel.sem", true, CLONE_NEWIPC },
  { "kernel.shmall", true, CLONE_NEWIPC },
  { "kernel.shmmax", true, CLONE_NEWIPC },
  { "kernel.shmmni", true, CLONE_NEWIPC },
  { "kernel.shm_rmid_forced", true, CLONE_NEWIPC },
  { "fs.mqueue.", false, CLONE_NEWIPC },
  { "kernel.hostname", true, CLONE_NEWUTS },
  { "kernel.domainname", true, CLONE_NEWUTS },
  { "net.", false, CLONE_NEWNET },
};

static int
sysctl_allowed (const char *key, const struct nook_namespaces *ns, nook_error_t *err)
{
  size_t i;
  for (i = 0; i < sizeof (sysctl_rules) / sizeof (sysctl_rules[0]); i++)
    {
      const struct sysctl_rule *r = &sysctl_rules[i];
      bool match = r->exact ? strcmp (key, r->prefix) == 0
                            : strncmp (key, r->prefix, strlen (r->prefix)) == 0;
      if (!match)
        continue;
      if (!nook_namespaces_owns (ns, r->nstype))
        return nook_make_error (err, 0,
                                "linux.sysctl `%s` would change the host: the container has "
                                "no namespace of its own for it",
                                key);
      return 0;
    }
  return nook_make_error (err, 0, "linux.sysctl `%s` is not namespaced: not allowed", key);
}

bool
nook_namespaces_owns (const struct nook_namespaces *ns, int nstype)
{
  size_t i;
  if (ns->clone_flags & nstype)
    return true;
  for (i = 0; i < ns->n_join; i++)
    if (ns->join[i].nstype == nstype)
      return true;
  return false;
}

static int
write_sysctl (const char *key, const char *value, nook_error_t *err)
{
  cleanup_free char *path = NULL;
  char *p;

  if (key[0] == '\0' || strstr (key, "..") || key[0] == '/' || key[0] == '.')
    return nook_make_error (err, 0, "linux.sysctl: invalid key `%s`", key);
  xasprintf (&path, "/proc/sys/%s", key);
  /* "net.ipv4.ip_forward" and "net/ipv4/ip_forward" both name the file. */
  for (p = path + strlen ("/proc/sys/"); *p; p++)
    if (*p == '.')
      *p = '/';
  if (write_existing_file_at (AT_FDCWD, path, value, strlen (value), err) < 0)
    return nook_error_wrap (err, "linux.sysctl `%s`", key);
  return 0;
}

int
nook_check_sysctl (const oci_linux *linux, const struct nook_namespaces *ns, nook_error_t *err)
{
  size_t i;
  if (linux == NULL)
    return 0;
  for (i = 0; i < linux->sysctl.len; i++)
    if (sysctl_allowed (linux->sysctl.keys[i], ns, err) < 0)
      return -1;
  return 0;
}

int
nook_apply_sysctl (const oci_linux *linux, nook_error_t *err)
{
  size_t i;
  if (linux == NULL)
    return 0;
  for (i = 0; i < linux->sysctl.len; i++)
    if (write_sysctl (linux->sysctl.keys[i], linux->sysctl.values[i], err) < 0)
      return -1;
  return 0;
}

char **
nook_namespaces_supported (size_t *n)
{
  char **out = xmalloc0 (sizeof (char *) * (sizeof (ns_kinds) / sizeof (ns_kinds[0]) + 1));
  size_t i;

  *n = 0;
  for (i = 0; i < sizeof (ns_kinds) / sizeof (ns_kinds[0]); i++)
    if (ns_kinds[i].supported)
      out[(*n)++] = xstrdup (ns_kinds[i].type);
  return out;
}

int
nook_loopback_up (const struct nook_namespaces *ns, nook_error_t *err)
{
  struct ifreq ifr = { .ifr_name = "lo" };
  cleanup_close int fd = -1;

  /* A joined namespace is configured by whoever made it. */
  if (!(ns->clone_flags & CLONE_NEWNET))
    return 0;
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return nook_make_error (err, errno, "open a socket to bring up `lo`");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    return nook_make_error (err, errno, "read the flags of `lo`");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
    return nook_make_error (err, errno, "bring up `lo`");
  return 0;
}

static int
write_id_map (pid_t pid, const char *file, const oci_id_mapping *m, size_t n, nook_error_t *err)
{
  cleanup_free char *path = NULL, *buf = NULL;
  size_t len = 0, i;

  buf = xmalloc0 (n * 40 + 1);
  for (i = 0; i < n; i++)
    len += sprintf (buf + len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  xasprintf (&path, "/proc/%d/%s", (int) pid, file);
  return write_existing_file_at (AT_FDCWD, path, buf, len, err);
}

/* An unprivileged caller may map only its own id, once (and for gids only
 * after giving up setgroups in the namespace); anything else goes through
 * the setuid helpers that check /etc/subuid and /etc/subgid. */
static int
run_id_helper (const char *helper, pid_t pid, const oci_id_mapping *m, size_t n, nook_error_t *err)
{
  cleanup_free char **argv = xmalloc0 (sizeof (char *) * (3 * n + 3));
  cleanup_free char *out = NULL;
  char **nums = xmalloc0 (sizeof (char *) * (3 * n + 1));
  int pfd[2], status = 0, ret = -1;
  size_t i, k = 0, len = 0;
  pid_t child;

  argv[k++] = (char *) helper;
  xasprintf (&nums[0], "%d", (int) pid);
  argv[k++] = nums[0];
  for (i = 0; i < n; i++)
    {
      xasprintf (&nums[1 + 3 * i], "%u", m[i].container_id);
      xasprintf (&nums[2 + 3 * i], "%u", m[i].host_id);
      xasprintf (&nums[3 + 3 * i], "%u", m[i].size);
      argv[k++] = nums[1 + 3 * i];
      argv[k++] = nums[2 + 3 * i];
      argv[k++] = nums[3 + 3 * i];
    }
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    {
      nook_make_error (err, errno, "pipe for `%s`", helper);
      goto out;
    }
  child = fork ();
  if (child < 0)
    {
      close (pfd[0]);
      close (pfd[1]);
      nook_make_error (err, errno, "fork `%s`", helper);
      goto out;
    }
  if (child == 0)
    {
      dup2 (pfd[1], STDOUT_FILENO);
      dup2 (pfd[1], STDERR_FILENO);
      execvp (helper, argv);
      dprintf (pfd[1], "%s: %s", helper, strerror (errno));
      _exit (127);
    }
  close (pfd[1]);
  read_all_fd (pfd[0], helper, &out, &len, NULL);
  close (pfd[0]);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    ret = 0;
  else if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    nook_make_error (err, 0, "mapping ids other than your own needs `%s` (Debian package uidmap) "
                     "and entries in /etc/subuid and /etc/subgid", helper);
  else
    {
      while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
      nook_make_error (err, 0, "`%s` failed: %s", helper, len ? out : "no message");
    }
out:
  for (i = 0; i <= 3 * n; i++)
    free (nums[i]);
  free (nums);
  return ret;
}

static bool
maps_only (const oci_id_mapping *m, size_t n, unsigned id)
{
  return n == 1 && m[0].host_id == id && m[0].size == 1;
}

static int
map_ids (pid_t pid, bool gids, const oci_id_mapping *m, size_t n, nook_error_t *err)
{
  unsigned self = gids ? getegid () : geteuid ();
  int r;

  if (geteuid () == 0)
    r = write_id_map (pid, gids ? "gid_map" : "uid_map", m, n, err);
  else if (maps_only (m, n, self))
    {
      cleanup_free char *path = NULL;

      xasprintf (&path, "/proc/%d/setgroups", (int) pid);
      if (gids && write_existing_file_at (AT_FDCWD, path, "deny", 4, err) < 0)
        r = -1;
      else
        r = write_id_map (pid, gids ? "gid_map" : "uid_map", m, n, err);
    }
  else
    r = run_id_helper (gids ? "newgidmap" : "newuidmap", pid, m, n, err);
  if (r < 0)
    return nook_error_wrap (err, "linux.%s", gids ? "gidMappings" : "uidMappings");
  return 0;
}

int
nook_write_id_maps (pid_t pid, const oci_linux *l, const struct nook_namespaces *ns,
                    nook_error_t *err)
{
  if (!(ns->clone_flags & CLONE_NEWUSER))
    return 0;
  if (map_ids (pid, false, l->uid_mappings, l->uid_mappings_len, err) < 0)
    return -1;
  return map_ids (pid, true, l->gid_mappings, l->gid_mappings_len, err);
}

int
nook_become_userns_root (const struct nook_namespaces *ns, nook_error_t *err)
{
  if (!(ns->clone_flags & CLONE_NEWUSER) && !nook_namespaces_owns (ns, CLONE_NEWUSER))
    return 0;
  /* Root of the new namespace: uid/gid 0 must be mapped. */
  if (setresgid (0, 0, 0) < 0)
    return nook_make_error (err, errno, "setgid 0 in the user namespace (is gid 0 mapped?)");
  if (setresuid (0, 0, 0) < 0)
    return nook_make_error (err, errno, "setuid 0 in the user namespace (is uid 0 mapped?)");
  return 0;
}

static const struct
{
  const char *clock;
  int id;
} time_clocks[] = {
  { "monotonic", CLOCK_MONOTONIC },
  { "boottime", CLOCK_BOOTTIME },
};

int
nook_timens_check (const oci_linux *l, nook_error_t *err)
{
  size_t i, k;
  for (i = 0; l && i < l->time_offsets_len; i++)
    {
      for (k = 0; k < sizeof (time_clocks) / sizeof (time_clocks[0]); k++)
        if (strcmp (l->time_offsets[i].clock, time_clocks[k].clock) == 0)
          break;
      if (k == sizeof (time_clocks) / sizeof (time_clocks[0]))
        return nook_make_error (err, 0, "linux.timeOffsets: unknown clock `%s` (monotonic or boottime)",
                                l->time_offsets[i].clock);
      if (l->time_offsets[i].nanosecs >= 1000000000)
        return nook_make_error (err, 0, "linux.timeOffsets.%s.nanosecs: must be below 1000000000",
                                l->time_offsets[i].clock);
    }
  return 0;
}

int
nook_timens_unshare (const oci_linux *l, const struct nook_namespaces *ns, nook_error_t *err)
{
  char line[96];
  size_t i;

  if (!ns->new_timens)
    return 0;
  if (unshare (CLONE_NEWTIME) < 0)
    return nook_make_error (err, errno, "unshare the time namespace");
  /* Offsets can be written until the first process enters the namespace:
   * the child cloned next. */
  for (i = 0; i < l->time_offsets_len; i++)
    {
      const oci_time_offset *o = &l->time_offsets[i];
      int len = snprintf (line, sizeof (line), "%s %lld %u", o->clock, (long long) o->secs,
                          o->nanosecs);
      if (write_existing_file_at (AT_FDCWD, "/proc/self/timens_offsets", line, len, err) < 0)
        return nook_error_wrap (err, "linux.timeOffsets.%s", o->clock);
    }
  return 0;
}
