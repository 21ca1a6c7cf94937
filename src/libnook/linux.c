/* nook - namespaces, clone, hostname, sysctl. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <sys/syscall.h>
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

/* user and time namespaces need id/offset maps written between clone and
 * setup; they arrive with the rest of runtime-spec coverage. */
static const struct ns_kind ns_kinds[] = {
  { "pid", CLONE_NEWPID, true },
  { "network", CLONE_NEWNET, true },
  { "mount", CLONE_NEWNS, true },
  { "ipc", CLONE_NEWIPC, true },
  { "uts", CLONE_NEWUTS, true },
  { "cgroup", CLONE_NEWCGROUP, true },
  { "user", CLONE_NEWUSER, false },
  { "time", CLONE_NEWTIME, false },
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
      if (open_ns_path (k, n->path, &fd, err) < 0)
        return -1;
      ns->join[ns->n_join].fd = fd;
      ns->join[ns->n_join].nstype = k->flag;
      ns->join[ns->n_join].type = k->type;
      ns->join[ns->n_join].path = n->path;
      ns->n_join++;
      return 0;
    }
  if (k->flag == CLONE_NEWCGROUP)
    ns->new_cgroupns = true;
  else
    ns->clone_flags |= k->flag;
  return 0;
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
join (struct nook_namespaces *ns, bool pid, nook_error_t *err)
{
  size_t i;
  for (i = 0; i < ns->n_join; i++)
    {
      if ((ns->join[i].nstype == CLONE_NEWPID) != pid)
        continue;
      if (setns (ns->join[i].fd, ns->join[i].nstype) < 0)
        return nook_make_error (err, errno, "join %s namespace `%s`", ns->join[i].type,
                                ns->join[i].path);
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
