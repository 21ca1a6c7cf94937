/* nook - the container process up to execve: rlimits, user, caps, env. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "process.h"
#include "utils.h"

struct rlimit_name
{
  const char *name;
  int resource;
};

static const struct rlimit_name rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
rlimit_lookup (const char *name)
{
  size_t i;
  for (i = 0; i < sizeof (rlimit_names) / sizeof (rlimit_names[0]); i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

/* The spec spells capabilities "CAP_CHOWN"; libcap knows the names. */
static int
capability_lookup (const char *name, cap_value_t *cap, nook_error_t *err)
{
  if (strncmp (name, "CAP_", 4) != 0 || cap_from_name (name, cap) < 0)
    return nook_make_error (err, 0, "unknown capability `%s`", name);
  if (*cap >= (cap_value_t) cap_max_bits ())
    return nook_make_error (err, 0, "capability `%s` is not supported by this kernel", name);
  return 0;
}

struct cap_set_desc
{
  const char *json;
  size_t names_off;
  size_t len_off;
};

#define CAP_SET_DESC(field)                                                                   \
  { #field, offsetof (oci_capabilities, field), offsetof (oci_capabilities, field##_len) }

static const struct cap_set_desc cap_sets[] = {
  CAP_SET_DESC (bounding), CAP_SET_DESC (effective), CAP_SET_DESC (inheritable),
  CAP_SET_DESC (permitted), CAP_SET_DESC (ambient),
};

static char **
cap_set_names (const oci_capabilities *c, const struct cap_set_desc *d, size_t *len)
{
  *len = *(const size_t *) ((const char *) c + d->len_off);
  return *(char **const *) ((const char *) c + d->names_off);
}

static int
validate_caps (const oci_capabilities *c, nook_error_t *err)
{
  size_t s, i, n;
  cap_value_t cap;

  if (c == NULL)
    return 0;
  for (s = 0; s < sizeof (cap_sets) / sizeof (cap_sets[0]); s++)
    {
      char **names = cap_set_names (c, &cap_sets[s], &n);
      for (i = 0; i < n; i++)
        if (capability_lookup (names[i], &cap, err) < 0)
          return nook_error_wrap (err, "process.capabilities.%s", cap_sets[s].json);
    }
  return 0;
}

int
nook_process_validate (const oci_process *proc, nook_error_t *err)
{
  size_t i;

  if (proc == NULL)
    return nook_make_error (err, 0, "config.json: process: required to create a container");
  if (proc->args_len == 0 || proc->args[0] == NULL || proc->args[0][0] == '\0')
    return nook_make_error (err, 0, "config.json: process.args: must name a program");
  if (proc->cwd == NULL || proc->cwd[0] != '/')
    return nook_make_error (err, 0, "config.json: process.cwd: must be an absolute path");
  if (proc->user == NULL)
    return nook_make_error (err, 0, "config.json: process.user: required on Linux");
  for (i = 0; i < proc->rlimits_len; i++)
    {
      const oci_rlimit *r = &proc->rlimits[i];
      if (rlimit_lookup (r->type) < 0)
        return nook_make_error (err, 0, "process.rlimits[%zu]: unknown rlimit `%s`", i, r->type);
      if (r->soft > r->hard)
        return nook_make_error (err, 0, "process.rlimits[%zu]: %s soft limit %ju is above the hard limit %ju",
                                i, r->type, (uintmax_t) r->soft, (uintmax_t) r->hard);
    }
  return validate_caps (proc->capabilities, err);
}

static int
apply_rlimit (const oci_rlimit *r, nook_error_t *err)
{
  struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
  struct rlimit cur;
  int resource = rlimit_lookup (r->type);

  if (setrlimit (resource, &lim) == 0)
    return 0;
  if (errno == EPERM && getrlimit (resource, &cur) == 0 && lim.rlim_max > cur.rlim_max)
    return nook_make_error (err, EPERM,
                            "set %s to soft %ju hard %ju: raising the hard limit above %ju "
                            "needs CAP_SYS_RESOURCE",
                            r->type, (uintmax_t) r->soft, (uintmax_t) r->hard,
                            (uintmax_t) cur.rlim_max);
  return nook_make_error (err, errno, "set %s to soft %ju hard %ju", r->type, (uintmax_t) r->soft,
                          (uintmax_t) r->hard);
}

static int
apply_oom_score_adj (const oci_process *proc, nook_error_t *err)
{
  char buf[16];
  int len;

  if (!proc->has_oom_score_adj)
    return 0;
  len = snprintf (buf, sizeof (buf), "%d", (int) proc->oom_score_adj);
  if (write_existing_file_at (AT_FDCWD, "/proc/self/oom_score_adj", buf, len, err) < 0)
    {
      if ((*err)->status == EACCES || (*err)->status == EPERM)
        nook_error_wrap (err, "process.oomScoreAdj %d (lowering it below the current value "
                              "needs CAP_SYS_RESOURCE)",
                         (int) proc->oom_score_adj);
      return -1;
    }
  return 0;
}

int
nook_process_apply_limits (const oci_process *proc, nook_error_t *err)
{
  size_t i;

  if (apply_oom_score_adj (proc, err) < 0)
    return -1;
  for (i = 0; i < proc->rlimits_len; i++)
    if (apply_rlimit (&proc->rlimits[i], err) < 0)
      return -1;
  return 0;
}

static int
drop_bounding (const oci_capabilities *c, nook_error_t *err)
{
  cap_value_t cap, want;
  bool keep[CAP_LAST_CAP + 64] = { false };
  size_t i;
  int max = cap_max_bits ();

  for (i = 0; c && i < c->bounding_len; i++)
    {
      if (capability_lookup (c->bounding[i], &want, err) < 0)
        return -1;
      keep[want] = true;
    }
  for (cap = 0; cap < max; cap++)
    if (!keep[cap] && cap_drop_bound (cap) < 0 && errno != EINVAL)
      return nook_make_error (err, errno, "drop capability %s from the bounding set",
                              cap_to_name (cap));
  return 0;
}

static int
fill_cap_flag (cap_t caps, cap_flag_t flag, char **names, size_t n, const char *set,
               nook_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      cap_value_t v;
      if (capability_lookup (names[i], &v, err) < 0)
        return -1;
      /* Nothing can hand out a capability nook itself was never given
       * (this host's bounding set lacks CAP_SYS_RESOURCE, for one). */
      if (CAP_IS_SUPPORTED (v) && cap_get_bound (v) == 0)
        return nook_make_error (err, 0,
                                "process.capabilities.%s: cannot grant %s: it is not in nook's "
                                "own bounding set",
                                set, names[i]);
      if (cap_set_flag (caps, flag, 1, &v, CAP_SET) < 0)
        return nook_make_error (err, errno, "set %s in the %s set", names[i], set);
    }
  return 0;
}

static int
set_capability_sets (const oci_capabilities *c, nook_error_t *err)
{
  cap_t caps = cap_init ();
  int ret = -1;

  if (caps == NULL)
    return nook_make_error (err, errno, "cap_init");
  if (c
      && (fill_cap_flag (caps, CAP_EFFECTIVE, c->effective, c->effective_len, "effective", err) < 0
          || fill_cap_flag (caps, CAP_PERMITTED, c->permitted, c->permitted_len, "permitted", err) < 0
          || fill_cap_flag (caps, CAP_INHERITABLE, c->inheritable, c->inheritable_len,
                            "inheritable", err)
                 < 0))
    goto out;
  if (cap_set_proc (caps) < 0)
    {
      nook_make_error (err, errno,
                       "set process capabilities (is every effective capability also permitted?)");
      goto out;
    }
  ret = 0;
out:
  cap_free (caps);
  return ret;
}

static bool
in_set (char **names, size_t n, const char *name)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp (names[i], name) == 0)
      return true;
  return false;
}

bool
nook_process_may_hold_cap (const oci_process *proc, const char *cap)
{
  const oci_capabilities *c = proc->capabilities;
  return c && in_set (c->bounding, c->bounding_len, cap);
}

static int
raise_ambient (const oci_capabilities *c, nook_error_t *err)
{
  size_t i;
  if (c == NULL || c->ambient_len == 0)
    return 0;
  for (i = 0; i < c->ambient_len; i++)
    {
      cap_value_t v;
      if (capability_lookup (c->ambient[i], &v, err) < 0)
        return -1;
      if (cap_set_ambient (v, CAP_SET) == 0)
        continue;
      /* The kernel wants ambient ⊆ permitted ∩ inheritable; `runc spec`
       * writes ambient sets without inheritable ones, and runc only warns.
       * Do the same, naming the capability, rather than refuse such configs. */
      if (errno == EPERM && !in_set (c->inheritable, c->inheritable_len, c->ambient[i]))
        {
          nook_warning ("process.capabilities.ambient: %s not raised: it is not in the "
                        "inheritable set",
                        c->ambient[i]);
          continue;
        }
      return nook_make_error (err, errno, "raise ambient capability %s", c->ambient[i]);
    }
  return 0;
}

static bool
setgroups_denied (void)
{
  cleanup_free char *s = NULL;
  size_t len = 0;

  return read_all_file_at (AT_FDCWD, "/proc/self/setgroups", &s, &len, NULL) == 0
         && strncmp (s, "deny", 4) == 0;
}

static int
switch_user (const oci_user *u, nook_error_t *err)
{
  gid_t *groups = NULL;
  size_t i;
  int r;

  if (u->additional_gids_len > 0)
    {
      groups = xmalloc0 (sizeof (gid_t) * u->additional_gids_len);
      for (i = 0; i < u->additional_gids_len; i++)
        groups[i] = u->additional_gids[i];
    }
  r = setgroups (u->additional_gids_len, groups);
  free (groups);
  /* A namespace that maps only its creator's gid has setgroups denied:
   * there is nothing to drop then, and only extra groups are an error. */
  if (r < 0 && errno == EPERM && u->additional_gids_len == 0 && setgroups_denied ())
    r = 0;
  if (r < 0 && errno == EPERM && setgroups_denied ())
    return nook_make_error (err, 0, "process.user.additionalGids: setgroups is denied in this user "
                            "namespace (it maps only the caller's gid: map more gids with "
                            "/etc/subgid and newgidmap)");
  if (r < 0)
    return nook_make_error (err, errno, "setgroups (process.user.additionalGids)");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return nook_make_error (err, errno, "setgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return nook_make_error (err, errno, "setuid %u", u->uid);
  return 0;
}

int
nook_process_apply_identity (const oci_process *proc, nook_error_t *err)
{
  const oci_capabilities *c = proc->capabilities;

  if (drop_bounding (c, err) < 0)
    return -1;
  /* Keep the permitted set across the uid change; the sets are set below. */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return nook_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (switch_user (proc->user, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return nook_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (set_capability_sets (c, err) < 0 || raise_ambient (c, err) < 0)
    return -1;
  if (proc->user->has_umask)
    umask (proc->user->umask);
  if (proc->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return nook_make_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

int
nook_process_chdir (const oci_process *proc, nook_error_t *err)
{
  if (chdir (proc->cwd) < 0)
    return nook_make_error (err, errno, "chdir to process.cwd `%s`", proc->cwd);
  return 0;
}

static const char *
env_lookup (const oci_process *proc, const char *name)
{
  size_t i, len = strlen (name);
  for (i = 0; i < proc->env_len; i++)
    if (strncmp (proc->env[i], name, len) == 0 && proc->env[i][len] == '=')
      return proc->env[i] + len + 1;
  return NULL;
}

/* 0 if path is a regular file we may execute, else an errno. */
static int
executable_file_errno (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return errno;
  if (!S_ISREG (st.st_mode))
    return EACCES;
  return access (path, X_OK) < 0 ? errno : 0;
}

int
nook_process_find_executable (const oci_process *proc, char **path, nook_error_t *err)
{
  const char *arg0 = proc->args[0];
  const char *search = env_lookup (proc, "PATH");
  cleanup_free char *copy = NULL;
  char *dir, *save = NULL;

  if (strchr (arg0, '/'))
    {
      int e = executable_file_errno (arg0);
      if (e != 0)
        return nook_make_error (err, e, "executable `%s`", arg0);
      *path = xstrdup (arg0);
      return 0;
    }
  copy = xstrdup (search ? search : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *candidate = NULL;
      xasprintf (&candidate, "%s/%s", dir[0] ? dir : ".", arg0);
      if (executable_file_errno (candidate) == 0)
        {
          *path = steal_pointer (&candidate);
          return 0;
        }
    }
  return nook_make_error (err, 0, "executable `%s` not found in $PATH", arg0);
}

/* process.env, plus HOME from the container's /etc/passwd when unset, as
 * runc does: shells and many programs misbehave without it. */
char **
nook_process_env (const oci_process *proc)
{
  char **env = xmalloc0 (sizeof (char *) * (proc->env_len + 2));
  size_t i;

  for (i = 0; i < proc->env_len; i++)
    env[i] = proc->env[i];
  if (env_lookup (proc, "HOME") == NULL)
    {
      const char *home = "/";
      struct passwd *pw = NULL;
      FILE *f = fopen ("/etc/passwd", "re");
      if (f)
        {
          while ((pw = fgetpwent (f)) != NULL)
            if (pw->pw_uid == proc->user->uid)
              break;
          if (pw && pw->pw_dir && pw->pw_dir[0])
            home = pw->pw_dir;
        }
      xasprintf (&env[i++], "HOME=%s", home);
      if (f)
        fclose (f);
    }
  env[i] = NULL;
  return env;
}
