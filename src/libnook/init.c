/* nook - the container init: everything between clone() and execve() of
 * the user process, in the order sync.h describes. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include "init.h"
#include "hooks.h"
#include "idmap.h"
#include "mount.h"
#include "process.h"
#include "scheduling.h"
#include "seccomp.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

struct init_ctx
{
  struct nook_init_args *a;
  char *created_state; /* state JSON for createContainer hooks ("creating") */
  char *start_state;   /* state JSON for startContainer hooks ("created") */
};

static int
join_session_keyring (const struct init_ctx *c, nook_error_t *err)
{
  if (c->a->opts->no_new_keyring)
    return 0;
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
    return nook_make_error (err, errno, "join a new session keyring");
  return 0;
}

static int
pass_preserved_fds (int preserve_fds, nook_error_t *err)
{
  int fd, first_closed = 3 + preserve_fds;

  for (fd = 3; fd < first_closed; fd++)
    {
      int flags = fcntl (fd, F_GETFD);
      if (flags >= 0 && fcntl (fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return nook_make_error (err, errno, "pass fd %d into the container", fd);
    }
  /* Whatever else the caller left open must not reach the container. */
  if (syscall (SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return nook_make_error (err, errno, "mark inherited fds close-on-exec");
  return 0;
}

/* createContainer and startContainer run in the container's namespaces:
 * the spec wants the pid as the container sees it there. */
static int
prepare_states (struct init_ctx *c, nook_error_t *err)
{
  const struct nook_init_args *a = c->a;

  if (a->cfg->hooks == NULL)
    return 0;
  if (nook_state_json (a->opts->id, "creating", getpid (), a->bundle, &a->cfg->annotations,
                       &c->created_state, err) < 0)
    return -1;
  return nook_state_json (a->opts->id, "created", getpid (), a->bundle, &a->cfg->annotations,
                          &c->start_state, err);
}

static int
setup_namespaces (struct init_ctx *c, nook_error_t *err)
{
  struct nook_namespaces *ns = c->a->ns;

  if (nook_become_userns_root (ns, err) < 0)
    return -1;
  if (nook_namespaces_join_others (ns, err) < 0)
    return -1;
  /* Unshared only now, after the parent moved us into our cgroup, so the
   * namespace is rooted at the container's own cgroup. */
  if (ns->new_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    return nook_make_error (err, errno, "unshare the cgroup namespace");
  if (join_session_keyring (c, err) < 0)
    return -1;
  if (nook_loopback_up (ns, err) < 0)
    return -1;
  return nook_set_hostname (c->a->cfg, ns, err);
}

static int
run_hooks (const oci_container *cfg, enum nook_hook_kind kind, const char *state,
           nook_error_t *err)
{
  size_t n;
  const oci_hook *h = nook_hooks_of (cfg, kind, &n);
  return n ? nook_hooks_run (h, n, kind, state, err) : 0;
}

/* Mounts are in place, the root not moved yet: the parent runs prestart
 * and createRuntime hooks (runtime namespace), then createContainer
 * hooks run here (container namespaces). */
static int
before_pivot (void *arg, nook_error_t *err)
{
  struct init_ctx *c = arg;
  const oci_container *cfg = c->a->cfg;
  size_t n_prestart, n_runtime;

  nook_hooks_of (cfg, NOOK_HOOK_PRESTART, &n_prestart);
  nook_hooks_of (cfg, NOOK_HOOK_CREATE_RUNTIME, &n_runtime);
  if (n_prestart + n_runtime > 0)
    {
      if (nook_sync_send (c->a->syncfd, NOOK_SYNC_CHILD_HOOKS, err) < 0)
        return -1;
      if (nook_sync_expect (c->a->syncfd, NOOK_SYNC_PARENT_HOOKS_DONE, err) < 0)
        return -1;
    }
  return run_hooks (cfg, NOOK_HOOK_CREATE_CONTAINER, c->created_state, err);
}

/* In the new root, before readonlyPaths can make /proc/sys read-only (as
 * runc orders it: podman always lists /proc/sys there). */
static int
after_pivot (void *arg, nook_error_t *err)
{
  struct init_ctx *c = arg;
  return nook_apply_sysctl (c->a->cfg->linux, err);
}

static int
setup_filesystem (struct init_ctx *c, nook_error_t *err)
{
  const struct nook_init_args *a = c->a;
  struct nook_mount_opts mopts = {
    .rootfs = a->rootfs,
    .no_pivot = a->opts->no_pivot,
    .cgroup = a->cg,
    .own_cgroupns = a->ns->new_cgroupns,
    .own_netns = a->ns->own_netns,
    .before_pivot = before_pivot,
    .before_pivot_arg = c,
    .after_pivot = after_pivot,
    .after_pivot_arg = c,
    .idmap_fds = a->idmap_fds,
  };
  int ret;

  if (chdir (a->bundle) < 0)
    return nook_make_error (err, errno, "chdir to bundle `%s`", a->bundle);
  ret = mount_setup_container (a->cfg, &mopts, err);
  /* Handles on host trees: gone before anything of the container runs
   * (--preserve-fds could otherwise pass one on). */
  nook_idmap_release (steal_pointer (&c->a->idmap_fds), a->cfg->mounts_len);
  return ret;
}

int
nook_setup_terminal (const oci_process *p, const char *console_path, int syncfd,
                     nook_error_t *err)
{
  cleanup_close int master = -1;

  if (!p->terminal)
    return 0;
  if (nook_terminal_setup (p->console_size, console_path, &master, err) < 0)
    return -1;
  /* While still root: the pty belongs to the process's user, as in runc. */
  if (p->user && nook_terminal_chown (p->user->uid, err) < 0)
    return -1;
  return nook_sync_send_fd (syncfd, NOOK_SYNC_CHILD_CONSOLE, master, err);
}

static int
load_seccomp (const struct nook_seccomp_prog *prog, int syncfd, nook_error_t *err)
{
  cleanup_close int notify = -1;

  if (nook_seccomp_load (prog, &notify, err) < 0)
    return -1;
  if (notify >= 0)
    return nook_sync_send_fd (syncfd, NOOK_SYNC_CHILD_SECCOMP, notify, err);
  return 0;
}

/* Identity and seccomp: without noNewPrivileges the filter needs
 * CAP_SYS_ADMIN, so it goes first; with it, the filter goes last and need
 * not allow the identity switch. */
int
nook_setup_process (const oci_container *cfg, const oci_process *p,
                    const struct nook_seccomp_prog *seccomp, int syncfd, int preserve_fds,
                    bool is_exec, nook_error_t *err)
{
  if (pass_preserved_fds (preserve_fds, err) < 0)
    return -1;
  if (nook_scheduling_apply (cfg, p, err) < 0)
    return -1;
  /* runtime-spec: execCPUAffinity "is not applicable to the container's
   * init process". */
  if (is_exec && nook_scheduling_apply_final (p, err) < 0)
    return -1;
  if (!p->no_new_privileges && load_seccomp (seccomp, syncfd, err) < 0)
    return -1;
  if (nook_process_apply_identity (p, err) < 0)
    return -1;
  if (p->no_new_privileges && load_seccomp (seccomp, syncfd, err) < 0)
    return -1;
  return nook_process_chdir (p, err);
}

static int
init_setup (struct init_ctx *c, char **exe, nook_error_t *err)
{
  if (prepare_states (c, err) < 0)
    return -1;
  if (nook_sync_expect (c->a->syncfd, NOOK_SYNC_PARENT_SETUP_DONE, err) < 0)
    return -1;
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return nook_make_error (err, errno, "prctl PR_SET_DUMPABLE");
  if (setup_namespaces (c, err) < 0)
    return -1;
  if (nook_process_apply_limits (c->a->cfg->process, err) < 0)
    return -1;
  if (setup_filesystem (c, err) < 0)
    return -1;
  if (nook_setup_terminal (c->a->cfg->process, "/dev/console", c->a->syncfd, err) < 0)
    return -1;
  if (nook_setup_process (c->a->cfg, c->a->cfg->process, c->a->seccomp, c->a->syncfd,
                          c->a->preserve_fds, false, err)
      < 0)
    return -1;
  return nook_process_find_executable (c->a->cfg->process, exe, err);
}

static void
exit_on_signal (int sig)
{
  _exit (128 + sig);
}

/* Until execve, the init is pid 1 of its namespace and would ignore
 * signals without a handler: `kill` of a created container must work. */
static void
handle_signals_while_created (void)
{
  static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };
  struct sigaction sa = { .sa_handler = exit_on_signal };
  sigset_t empty;
  size_t i;

  for (i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
    sigaction (sigs[i], &sa, NULL);
  sigemptyset (&empty);
  sigprocmask (SIG_SETMASK, &empty, NULL);
}

/* The error goes to `start` over its connection, then the init exits:
 * the container stops, as the spec wants when startContainer fails. */
static void __attribute__ ((noreturn))
fail_start (int conn, nook_error_t *err, int status)
{
  (void) write_all (conn, (*err)->msg, strlen ((*err)->msg));
  _exit (status);
}

static int
accept_start (int sock)
{
  char byte;
  int conn;
  ssize_t r;

  do
    conn = accept4 (sock, NULL, NULL, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0)
    return -1;
  do
    r = read (conn, &byte, 1);
  while (r < 0 && errno == EINTR);
  return r == 1 ? conn : -1;
}

static void __attribute__ ((noreturn))
wait_and_exec (struct init_ctx *c, const char *exe)
{
  const oci_process *p = c->a->cfg->process;
  char **env = nook_process_env (p);
  nook_error_t err = NULL;
  int conn;

  handle_signals_while_created ();
  conn = accept_start (c->a->exec_sock);
  if (conn < 0)
    _exit (1);
  close (c->a->exec_sock);
  if (run_hooks (c->a->cfg, NOOK_HOOK_START_CONTAINER, c->start_state, &err) < 0)
    fail_start (conn, &err, 1);
  /* conn is close-on-exec: `start` sees end-of-file once the program runs. */
  execve (exe, p->args, env);
  nook_make_error (&err, errno, "exec `%s`", exe);
  fail_start (conn, &err, 127);
}

void
nook_init_run (struct nook_init_args *a)
{
  struct init_ctx c = { .a = a };
  nook_error_t err = NULL;
  cleanup_free char *exe = NULL;
  size_t i;

  /* The state dir fd carries create's flock: holding it while waiting for
   * `start` would block every later writer. */
  for (i = 0; i < sizeof (a->close_fds) / sizeof (a->close_fds[0]); i++)
    if (a->close_fds[i] >= 0)
      close (a->close_fds[i]);
  /* Not dumpable from the parent's setup until execve: no process in the
   * container may open our /proc/PID/exe (the nook binary) or our fds.
   * Only an unprivileged parent needs us dumpable until then (the owner of
   * a non-dumpable process's /proc files is root, not the caller, so it
   * could not write our uid_map); nothing of the container runs before. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    _exit (1);
  if (!a->unprivileged_parent && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    _exit (1);
  if (init_setup (&c, &exe, &err) < 0)
    {
      nook_sync_send_error (a->syncfd, &err);
      _exit (1);
    }
  /* From here on the container outlives `nook create`. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (nook_sync_send (a->syncfd, NOOK_SYNC_CHILD_READY, &err) < 0)
    _exit (1);
  close (a->syncfd);
  wait_and_exec (&c, exe);
}
