/* nook - `exec`: a new process in a running container.
 *
 * The protocol is create's (sync.h), shortened: nook exec (the parent)
 * joins the container's pid and time namespaces (they take effect for
 * children), forks, puts the child in the container's cgroup and sends
 * PARENT_SETUP_DONE; the child joins the other namespaces, may send
 * CHILD_CONSOLE / CHILD_SECCOMP, and execve()s.  Its end of the socket is
 * close-on-exec, so end-of-file means the program runs; CHILD_ERROR means
 * it does not. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exec.h"
#include "cgroup.h"
#include "container-internal.h"
#include "init.h"
#include "linux.h"
#include "process.h"
#include "reexec.h"
#include "scheduling.h"
#include "seccomp.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

/* The container's namespaces, in the order they are joined: user first (it
 * owns the others); pid and time are joined by the parent. */
static const struct
{
  const char *name; /* /proc/PID/ns/<name> */
  int type;
  bool by_parent;
} exec_ns[] = {
  { "user", CLONE_NEWUSER, false }, { "mnt", CLONE_NEWNS, false },
  { "uts", CLONE_NEWUTS, false },   { "ipc", CLONE_NEWIPC, false },
  { "net", CLONE_NEWNET, false },   { "cgroup", CLONE_NEWCGROUP, false },
  { "pid", CLONE_NEWPID, true },    { "time", CLONE_NEWTIME, true },
};
#define N_EXEC_NS (sizeof (exec_ns) / sizeof (exec_ns[0]))

struct exec_ctx
{
  const struct nook_exec_opts *o;
  struct nook_loaded l;
  oci_container *cfg;
  oci_process *proc; /* points into cfg, or the parsed --process */
  oci_process *own_proc;
  int ns_fd[N_EXEC_NS]; /* -1: the same namespace as ours, nothing to join */
  int sync[2];
  int master;
  struct nook_terminal_relay *relay; /* prepared as soon as the master arrives */
  pid_t pid;
  struct nook_seccomp_prog seccomp; /* compiled here, loaded by the child */
};

/* ---- the process to run ---- */

static char **
strv_dup (char **v, size_t n, size_t extra)
{
  char **out = xmalloc0 (sizeof (char *) * (n + extra + 1));
  size_t i;
  for (i = 0; i < n; i++)
    out[i] = xstrdup (v[i]);
  return out;
}

static void
strv_free (char **v, size_t n)
{
  size_t i;
  for (i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

static void
set_env (oci_process *p, const char *kv)
{
  size_t klen = strcspn (kv, "=") + 1, i;

  for (i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], kv, klen) == 0)
      {
        free (p->env[i]);
        p->env[i] = xstrdup (kv);
        return;
      }
  strv_append (&p->env, &p->env_len, xstrdup (kv));
}

static int
set_user (oci_process *p, const char *spec, nook_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *colon = strchr (copy, ':');
  uint64_t uid, gid = p->user->gid;

  if (colon)
    *colon = '\0';
  if (parse_uint64 (copy, &uid) < 0 || uid > UINT32_MAX
      || (colon && (parse_uint64 (colon + 1, &gid) < 0 || gid > UINT32_MAX)))
    return nook_make_error (err, 0, "--user `%s`: expected UID[:GID] as numbers", spec);
  p->user->uid = uid;
  p->user->gid = gid;
  return 0;
}

static void
add_cap (char ***set, size_t *len, const char *cap)
{
  size_t i;
  for (i = 0; i < *len; i++)
    if (strcmp ((*set)[i], cap) == 0)
      return;
  strv_append (set, len, xstrdup (cap));
}

/* --cap adds to every set, as runc does, so the capability is usable. */
static void
add_caps (oci_process *p, char **caps, size_t n)
{
  size_t i;
  if (n && p->capabilities == NULL)
    p->capabilities = xmalloc0 (sizeof (*p->capabilities));
  for (i = 0; i < n; i++)
    {
      oci_capabilities *c = p->capabilities;
      add_cap (&c->bounding, &c->bounding_len, caps[i]);
      add_cap (&c->effective, &c->effective_len, caps[i]);
      add_cap (&c->permitted, &c->permitted_len, caps[i]);
      add_cap (&c->inheritable, &c->inheritable_len, caps[i]);
      add_cap (&c->ambient, &c->ambient_len, caps[i]);
    }
}

/* The container's process with the command line's changes. */
static int
derive_process (struct exec_ctx *c, nook_error_t *err)
{
  const struct nook_exec_opts *o = c->o;
  oci_process *p = c->cfg->process;
  size_t i;

  if (p == NULL)
    return nook_make_error (err, 0, "the container's config has no process to start from");
  if (o->args_len == 0)
    return nook_make_error (err, 0, "exec: give the program to run, or --process FILE");
  strv_free (p->args, p->args_len);
  p->args = strv_dup (o->args, o->args_len, 0);
  p->args_len = o->args_len;
  for (i = 0; i < o->env_len; i++)
    {
      if (strchr (o->env[i], '=') == NULL)
        return nook_make_error (err, 0, "--env `%s`: expected KEY=VALUE", o->env[i]);
      set_env (p, o->env[i]);
    }
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  if (o->user && set_user (p, o->user, err) < 0)
    return -1;
  add_caps (p, o->caps, o->caps_len);
  p->no_new_privileges |= o->no_new_privs;
  p->terminal = o->tty;
  c->proc = p;
  return 0;
}

static int
load_process (struct exec_ctx *c, nook_error_t *err)
{
  cleanup_free char *msg = NULL;

  if (c->o->process_file == NULL)
    return derive_process (c, err);
  if (c->o->args_len || c->o->env_len || c->o->cwd || c->o->user || c->o->caps_len)
    return nook_make_error (err, 0, "--process cannot be combined with args, --env, --cwd, "
                                    "--user or --cap");
  if (oci_process_parse_file (c->o->process_file, &c->own_proc, &msg) < 0)
    return nook_make_error (err, 0, "--process: %s", msg);
  c->proc = c->own_proc;
  if (c->o->tty)
    c->proc->terminal = true;
  return 0;
}

static int
check_terminal (const struct exec_ctx *c, nook_error_t *err)
{
  if (c->proc->terminal && c->o->detach && c->o->console_socket == NULL)
    return nook_make_error (err, 0, "a terminal for a detached exec needs --console-socket");
  if (!c->proc->terminal && c->o->console_socket)
    return nook_make_error (err, 0, "--console-socket given without a terminal (-t)");
  return 0;
}

/* ---- the container's namespaces ---- */

static int
open_namespaces (struct exec_ctx *c, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < N_EXEC_NS; i++)
    {
      char path[64], self[64];
      struct stat theirs, ours;
      int fd;

      snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int) c->l.st.pid, exec_ns[i].name);
      snprintf (self, sizeof (self), "/proc/self/ns/%s", exec_ns[i].name);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          if (errno == ENOENT && exec_ns[i].type == CLONE_NEWTIME)
            continue; /* a kernel without time namespaces */
          return nook_make_error (err, errno, "open `%s`", path);
        }
      if (fstat (fd, &theirs) == 0 && stat (self, &ours) == 0 && theirs.st_ino == ours.st_ino
          && theirs.st_dev == ours.st_dev)
        {
          close (fd);
          continue;
        }
      c->ns_fd[i] = fd;
    }
  return 0;
}

static int
join_namespaces (struct exec_ctx *c, bool by_parent, nook_error_t *err)
{
  size_t i;
  for (i = 0; i < N_EXEC_NS; i++)
    if (c->ns_fd[i] >= 0 && exec_ns[i].by_parent == by_parent)
      {
        if (setns (c->ns_fd[i], exec_ns[i].type) < 0)
          return nook_make_error (err, errno, "join the container's %s namespace", exec_ns[i].name);
        close (steal_fd (&c->ns_fd[i]));
      }
  return 0;
}

/* ---- the child ---- */

static int
child_setup (struct exec_ctx *c, char **exe, nook_error_t *err)
{
  if (nook_sync_expect (c->sync[1], NOOK_SYNC_PARENT_SETUP_DONE, err) < 0)
    return -1;
  /* Joining the mount namespace also moves our root and cwd to its root:
   * the container's rootfs. */
  if (join_namespaces (c, false, err) < 0)
    return -1;
  if (nook_process_apply_limits (c->proc, err) < 0)
    return -1;
  if (nook_setup_terminal (c->proc, NULL, c->sync[1], err) < 0)
    return -1;
  if (nook_setup_process (c->cfg, c->proc, &c->seccomp, c->sync[1], c->o->preserve_fds, true, err)
      < 0)
    return -1;
  return nook_process_find_executable (c->proc, exe, err);
}

static void __attribute__ ((noreturn))
exec_child (struct exec_ctx *c)
{
  nook_error_t err = NULL;
  cleanup_free char *exe = NULL;

  close (c->sync[0]);
  close (c->l.dirfd);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* Until execve, nothing in the container may open our /proc/PID/exe. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (child_setup (c, &exe, &err) == 0)
    {
      char **env = nook_process_env (c->proc);
      prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
      execve (exe, c->proc->args, env);
      nook_make_error (&err, errno, "exec `%s`", exe);
    }
  nook_sync_send_error (c->sync[1], &err);
  _exit (127);
}

/* ---- the parent ---- */

static int
answer_child (struct exec_ctx *c, enum nook_sync_type type, int passed, nook_error_t *err)
{
  cleanup_free char *state = NULL;
  int r;

  if (type == NOOK_SYNC_CHILD_CONSOLE && passed >= 0)
    {
      if (c->o->console_socket == NULL)
        {
          nook_error_t relay_err = NULL;
          c->master = passed;
          /* Before the child goes on to execve: its first output must
           * find our terminal ready. */
          if (!c->o->detach && nook_terminal_relay_prepare (c->master, &c->relay, &relay_err) < 0)
            nook_log_error (&relay_err);
          return 0;
        }
      r = nook_terminal_send_to_socket (c->o->console_socket, passed, err);
      close (passed);
      return r;
    }
  if (type == NOOK_SYNC_CHILD_SECCOMP && passed >= 0)
    {
      r = nook_state_json (c->l.st.id, "running", c->l.st.pid, c->l.st.bundle,
                           &c->l.st.annotations, &state, err);
      if (r == 0)
        r = nook_seccomp_send_listener (c->cfg->linux->seccomp, passed, c->pid, state, err);
      close (passed);
      return r;
    }
  return nook_sync_unexpected (type, passed, "the exec'd process", err);
}

static int
attach_cgroup (struct exec_ctx *c, nook_error_t *err)
{
  struct nook_cgroup *cg = NULL;
  int r;

  if (c->l.st.cgroup_manager == NULL)
    return 0;
  r = nook_cgroup_load (c->l.st.cgroup_manager, c->l.st.cgroup_path, &cg, err);
  if (r == 0)
    r = nook_cgroup_attach (cg, c->pid, err);
  nook_cgroup_free (cg);
  return r;
}

/* Until end-of-file: the child exec'd (its socket end is close-on-exec). */
static int
drive_child (struct exec_ctx *c, nook_error_t *err)
{
  if (nook_scheduling_apply_initial (c->proc, c->pid, err) < 0)
    return -1;
  if (attach_cgroup (c, err) < 0)
    return -1;
  if (nook_sync_send (c->sync[0], NOOK_SYNC_PARENT_SETUP_DONE, err) < 0)
    return -1;
  for (;;)
    {
      enum nook_sync_type type;
      int passed;

      if (nook_sync_recv (c->sync[0], &type, &passed, err) < 0)
        return -1;
      if (type == NOOK_SYNC_EOF)
        return 0;
      if (answer_child (c, type, passed, err) < 0)
        return -1;
    }
}

static int
spawn (struct exec_ctx *c, nook_error_t *err)
{
  if (nook_sync_pair (c->sync, err) < 0)
    return -1;
  /* An unprivileged caller has no capability over the container's pid
   * namespace until it is in the user namespace that owns it (exec_ns[0]);
   * the child inherits it then. */
  if (geteuid () != 0 && c->ns_fd[0] >= 0)
    {
      if (setns (c->ns_fd[0], CLONE_NEWUSER) < 0)
        return nook_make_error (err, errno, "join the container's user namespace");
      close (steal_fd (&c->ns_fd[0]));
    }
  if (join_namespaces (c, true, err) < 0)
    return -1;
  c->pid = fork ();
  if (c->pid < 0)
    return nook_make_error (err, errno, "fork the exec'd process");
  if (c->pid == 0)
    exec_child (c);
  close (steal_fd (&c->sync[1]));
  return 0;
}

/* A created container's init is still nook.  A process with
 * CAP_SYS_PTRACE passes the non-dumpable check on its /proc/PID/exe; that
 * is safe only when the init runs from a sealed copy. */
static int
check_init_exposure (const struct exec_ctx *c, nook_error_t *err)
{
  char path[64];
  cleanup_close int fd = -1;
  int seals;

  if (c->l.status != NOOK_STATUS_CREATED || !nook_process_may_hold_cap (c->proc, "CAP_SYS_PTRACE"))
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/exe", (int) c->l.st.pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  seals = fd >= 0 ? fcntl (fd, F_GET_SEALS) : -1;
  if (seals >= 0 && (seals & F_SEAL_WRITE))
    return 0;
  return nook_make_error (err, 0,
                          "a process with CAP_SYS_PTRACE could reach nook's binary through the "
                          "init of created container `%s`: start the container first",
                          c->o->id);
}

static int
prepare (struct exec_ctx *c, nook_error_t *err)
{
  if (nook_container_load (c->o->root, c->o->id, false, &c->l, err) < 0)
    return -1;
  if (c->l.status != NOOK_STATUS_CREATED && c->l.status != NOOK_STATUS_RUNNING)
    return nook_make_error (err, 0, "cannot exec in container `%s`: it is %s", c->o->id,
                            nook_status_name (c->l.status));
  if (nook_load_state_config (&c->l, &c->cfg, err) < 0)
    return -1;
  if (c->cfg == NULL)
    return nook_make_error (err, 0, "container `%s` has no saved config", c->o->id);
  if (load_process (c, err) < 0 || check_terminal (c, err) < 0)
    return -1;
  if (nook_process_validate (c->proc, err) < 0
      || nook_scheduling_validate_process (c->proc, c->cfg->linux, err) < 0
      || check_init_exposure (c, err) < 0)
    return -1;
  if (c->cfg->linux
      && nook_seccomp_prepare (c->cfg->linux->seccomp, c->o->root, &c->seccomp, err) < 0)
    return -1;
  return open_namespaces (c, err);
}

static void
release (struct exec_ctx *c)
{
  size_t i;
  for (i = 0; i < N_EXEC_NS; i++)
    if (c->ns_fd[i] >= 0)
      close (c->ns_fd[i]);
  if (c->sync[0] >= 0)
    close (c->sync[0]);
  if (c->sync[1] >= 0)
    close (c->sync[1]);
  nook_terminal_relay_free (c->relay);
  if (c->master >= 0)
    close (c->master);
  if (c->l.dirfd >= 0)
    nook_loaded_release (&c->l);
  oci_process_free (c->own_proc);
  nook_seccomp_prog_release (&c->seccomp);
  oci_container_free (c->cfg);
}

static int
exec_steps (struct exec_ctx *c, int *exit_status, nook_error_t *err)
{
  nook_error_t relay_err = NULL;

  /* The exec'd process joins a container whose processes already run:
   * until it execs, it must not be the host's nook binary. */
  if (!nook_running_sealed () && nook_reexec_sealed (err) < 0)
    return -1;
  if (prepare (c, err) < 0 || spawn (c, err) < 0)
    return -1;
  if (drive_child (c, err) < 0)
    {
      while (waitpid (c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return -1;
    }
  if (c->o->pid_file && nook_write_pid_file (c->o->pid_file, c->pid, err) < 0)
    return -1;
  if (c->o->detach)
    return 0;
  nook_forward_signals_to (c->pid);
  if (c->relay && nook_terminal_relay_run (steal_pointer (&c->relay), c->pid, &relay_err) < 0)
    nook_log_error (&relay_err);
  return nook_wait_child_status (c->pid, exit_status, err);
}

int
nook_container_exec (const struct nook_exec_opts *o, int *exit_status, nook_error_t *err)
{
  struct exec_ctx c = { .o = o, .sync = { -1, -1 }, .master = -1, .l = { .dirfd = -1 } };
  size_t i;
  int ret;

  for (i = 0; i < N_EXEC_NS; i++)
    c.ns_fd[i] = -1;
  *exit_status = 0;
  ret = exec_steps (&c, exit_status, err);
  if (ret < 0)
    nook_error_wrap (err, "exec in container `%s`", o->id);
  release (&c);
  return ret;
}
