/* nook - `create`: load and check the bundle, clone the container init,
 * place it in its cgroup and wait until it is ready (protocol: sync.h). */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "container.h"
#include "container-internal.h"
#include "cgroup.h"
#include "hooks.h"
#include "idmap.h"
#include "init.h"
#include "linux.h"
#include "process.h"
#include "reexec.h"
#include "scheduling.h"
#include "seccomp.h"
#include "signals.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

struct create_ctx
{
  const struct nook_create_opts *opts;
  oci_container *cfg;
  char *config_data; /* config.json as read, kept in the state dir */
  size_t config_len;
  int *console_out;  /* `run` relays the terminal itself: the pty master goes here */
  char *bundle; /* absolute */
  char *rootfs; /* absolute, resolved */
  struct nook_namespaces ns;
  struct nook_cgroup *cg;
  int dirfd;
  int exec_sock;
  int sync[2];
  int *idmap_fds; /* parallel to cfg->mounts, or NULL (idmap.h) */
  pid_t pid;
  bool cgroup_entered; /* only then is the cgroup ours to remove */
  bool spawned;        /* the init existed: poststop hooks run on rollback */
  int preserve_fds;    /* --preserve-fds plus systemd's LISTEN_FDS */
  struct nook_seccomp_prog seccomp; /* compiled here, loaded by the init */
};

static int
load_bundle (struct create_ctx *c, nook_error_t *err)
{
  char resolved[PATH_MAX];
  cleanup_free char *config_path = NULL;
  cleanup_free char *msg = NULL;
  const char *b = c->opts->bundle ? c->opts->bundle : ".";

  if (realpath (b, resolved) == NULL)
    return nook_make_error (err, errno, "bundle `%s`", b);
  xasprintf (&config_path, "%s/config.json", resolved);
  if (read_all_file (config_path, &c->config_data, &c->config_len, err) < 0)
    return -1;
  if (oci_container_parse_data (c->config_data, c->config_len, &c->cfg, &msg) < 0)
    return nook_make_error (err, 0, "%s: %s", config_path, msg);
  c->bundle = xstrdup (resolved);
  return 0;
}

/* Fields of runtime-spec 1.2 that this build does not implement: each is
 * refused by name rather than silently ignored. */
static int
refuse_unsupported (const struct create_ctx *c, nook_error_t *err)
{
  const oci_container *cfg = c->cfg;
  const oci_process *p = cfg->process;
  const oci_linux *l = cfg->linux;
  const char *what = NULL;

  if (l && l->intel_rdt)
    what = "linux.intelRdt (no resctrl filesystem support)";
  else if (l && l->net_devices_len)
    what = "linux.netDevices";
  if (what)
    return nook_make_error (err, 0, "config.json: %s is not supported yet", what);
  /* No LSM is enabled on the hosts nook supports today: accepted, logged. */
  if (p->apparmor_profile || p->selinux_label || (l && l->mount_label))
    nook_debug ("AppArmor/SELinux labels given, but neither LSM is enabled here: skipped");
  return 0;
}

/* A terminal goes to a console socket, or to `run`, which relays it. */
static int
check_terminal (const struct create_ctx *c, nook_error_t *err)
{
  bool terminal = c->cfg->process->terminal;

  if (terminal && c->opts->console_socket == NULL && c->console_out == NULL)
    return nook_make_error (err, 0,
                            "process.terminal is true: give --console-socket (or use `run` in "
                            "the foreground)");
  if (!terminal && c->opts->console_socket)
    return nook_make_error (err, 0, "--console-socket given but process.terminal is false");
  return 0;
}

static int
resolve_rootfs (struct create_ctx *c, nook_error_t *err)
{
  char resolved[PATH_MAX];
  cleanup_free char *path = NULL;
  struct stat st;

  if (c->cfg->root == NULL || c->cfg->root->path == NULL)
    return nook_make_error (err, 0, "config.json: root.path: required");
  if (c->cfg->root->path[0] == '/')
    path = xstrdup (c->cfg->root->path);
  else
    xasprintf (&path, "%s/%s", c->bundle, c->cfg->root->path);
  if (realpath (path, resolved) == NULL)
    {
      if (errno == ENOENT)
        return nook_make_error (err, 0, "rootfs `%s` does not exist", path);
      return nook_make_error (err, errno, "rootfs `%s`", path);
    }
  if (stat (resolved, &st) < 0 || !S_ISDIR (st.st_mode))
    return nook_make_error (err, ENOTDIR, "rootfs `%s`", path);
  c->rootfs = xstrdup (resolved);
  return 0;
}

/* systemd socket activation, as runc does: the LISTEN_FDS sockets follow
 * the preserved fds into the container, which sees them as its own
 * (LISTEN_PID=1: the container's process). */
static int
pass_listen_fds (struct create_ctx *c, nook_error_t *err)
{
  const char *v = getenv ("LISTEN_FDS");
  cleanup_free char *kv = NULL;
  int64_t n;

  c->preserve_fds = c->opts->preserve_fds;
  if (v == NULL || v[0] == '\0')
    return 0;
  if (parse_int64 (v, &n) < 0 || n < 0 || n > 65536)
    return nook_make_error (err, 0, "LISTEN_FDS=`%s` is not a count of fds", v);
  if (n == 0)
    return 0;
  c->preserve_fds += n;
  xasprintf (&kv, "LISTEN_FDS=%lld", (long long) n);
  strv_append (&c->cfg->process->env, &c->cfg->process->env_len, steal_pointer (&kv));
  strv_append (&c->cfg->process->env, &c->cfg->process->env_len, xstrdup ("LISTEN_PID=1"));
  return 0;
}

static int
validate_features (struct create_ctx *c, nook_error_t *err)
{
  const oci_linux *l = c->cfg->linux;

  if (nook_process_validate (c->cfg->process, err) < 0)
    return -1;
  if (refuse_unsupported (c, err) < 0 || check_terminal (c, err) < 0)
    return -1;
  if (nook_hooks_validate (c->cfg, err) < 0 || nook_scheduling_validate (c->cfg, err) < 0)
    return -1;
  if (l && l->seccomp && nook_seccomp_validate (l->seccomp, err) < 0)
    return -1;
  return nook_timens_check (l, err);
}

static int
validate_config (struct create_ctx *c, nook_error_t *err)
{
  if (validate_features (c, err) < 0 || pass_listen_fds (c, err) < 0)
    return -1;
  if (resolve_rootfs (c, err) < 0)
    return -1;
  if (c->opts->preserve_fds < 0)
    return nook_make_error (err, 0, "--preserve-fds must not be negative");
  if (nook_namespaces_prepare (c->cfg->linux, &c->ns, err) < 0)
    return -1;
  if (!(c->ns.clone_flags & CLONE_NEWNS))
    return nook_make_error (err, 0,
                            "linux.namespaces: a new mount namespace is required (nook never "
                            "changes the host's mount table)");
  return nook_check_sysctl (c->cfg->linux, &c->ns, err);
}

/* ---- the parent ---- */

/* Written once, when the init is ready.  A create killed before this point
 * leaves a "creating" dir that delete removes. */
static int
record_status (const struct create_ctx *c, nook_error_t *err)
{
  struct nook_status st = {
    .id = (char *) c->opts->id,
    .pid = c->pid,
    .bundle = c->bundle,
    .rootfs = c->rootfs,
    .cgroup_manager = c->cg ? c->cg->manager : NULL,
    .cgroup_path = c->cg ? c->cg->path : NULL,
    .annotations = c->cfg->annotations,
  };

  return nook_status_write_ready (c->dirfd, &st, err);
}

int
nook_write_pid_file (const char *path, pid_t pid, nook_error_t *err)
{
  cleanup_free char *tmp = NULL;
  char buf[32];
  int len = snprintf (buf, sizeof (buf), "%d", (int) pid);

  xasprintf (&tmp, "%s.nook-tmp", path);
  if (write_file_at (AT_FDCWD, tmp, buf, len, 0644, err) < 0)
    return nook_error_wrap (err, "--pid-file");
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return nook_make_error (err, saved, "write --pid-file `%s`", path);
    }
  return 0;
}

static int
state_json (const struct create_ctx *c, const char *status, char **json, nook_error_t *err)
{
  return nook_state_json (c->opts->id, status, c->pid, c->bundle, &c->cfg->annotations, json,
                          err);
}

/* CHILD_HOOKS: mounts are ready; prestart and createRuntime run here, in
 * the runtime namespace.  A failure aborts the create. */
static int
run_runtime_hooks (struct create_ctx *c, nook_error_t *err)
{
  static const enum nook_hook_kind kinds[] = { NOOK_HOOK_PRESTART, NOOK_HOOK_CREATE_RUNTIME };
  cleanup_free char *state = NULL;
  size_t i, n;

  if (state_json (c, "creating", &state, err) < 0)
    return -1;
  for (i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++)
    {
      const oci_hook *h = nook_hooks_of (c->cfg, kinds[i], &n);
      if (n && nook_hooks_run (h, n, kinds[i], state, err) < 0)
        return -1;
    }
  return nook_sync_send (c->sync[0], NOOK_SYNC_PARENT_HOOKS_DONE, err);
}

/* CHILD_CONSOLE: the pty master, for the console socket or for `run`. */
static int
take_console (struct create_ctx *c, int master, nook_error_t *err)
{
  if (c->opts->console_socket)
    {
      int r = nook_terminal_send_to_socket (c->opts->console_socket, master, err);
      close (master);
      return r;
    }
  *c->console_out = master;
  return 0;
}

/* CHILD_SECCOMP: the notify fd goes to linux.seccomp.listenerPath. */
static int
forward_seccomp (struct create_ctx *c, int notify, nook_error_t *err)
{
  cleanup_free char *state = NULL;
  int r = state_json (c, "creating", &state, err);

  if (r == 0)
    r = nook_seccomp_send_listener (c->cfg->linux->seccomp, notify, c->pid, state, err);
  close (notify);
  return r;
}

static int
answer_child (struct create_ctx *c, enum nook_sync_type type, int passed, nook_error_t *err)
{
  switch (type)
    {
    case NOOK_SYNC_CHILD_HOOKS:
      return run_runtime_hooks (c, err);
    case NOOK_SYNC_CHILD_CONSOLE:
      if (passed >= 0 && c->cfg->process->terminal)
        return take_console (c, passed, err);
      break;
    case NOOK_SYNC_CHILD_SECCOMP:
      if (passed >= 0 && c->cfg->linux && c->cfg->linux->seccomp)
        return forward_seccomp (c, passed, err);
      break;
    default:
      break;
    }
  return nook_sync_unexpected (type, passed, "the container init", err);
}

/* The init went away without a word: say how, which points at the cause
 * (SIGSYS: a seccomp filter that denies the init's own syscalls). */
static int
init_died (struct create_ctx *c, nook_error_t *err)
{
  int status;
  pid_t r;

  do
    r = waitpid (c->pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r != c->pid)
    return nook_make_error (err, 0, "container init exited before it was ready");
  c->pid = 0; /* reaped: nothing for the rollback to kill */
  if (WIFSIGNALED (status))
    return nook_make_error (err, 0, "container init was killed by %s before it was ready%s",
                            nook_signal_name (WTERMSIG (status)) ?: "a signal",
                            WTERMSIG (status) == SIGSYS
                                ? " (does linux.seccomp deny a syscall nook needs before execve?)"
                                : "");
  return nook_make_error (err, 0, "container init exited with status %d before it was ready",
                          WEXITSTATUS (status));
}

static int
parent_drive_init (struct create_ctx *c, nook_error_t *err)
{
  const oci_resources *res = c->cfg->linux ? c->cfg->linux->resources : NULL;

  if (nook_write_id_maps (c->pid, c->cfg->linux, &c->ns, err) < 0)
    return -1;
  if (c->cg
      && (nook_status_write_cgroup (c->dirfd, c->cg->manager, c->cg->path, err) < 0
          || nook_cgroup_enter (c->cg, c->pid, res, err) < 0))
    return -1;
  c->cgroup_entered = c->cg != NULL;
  if (nook_sync_send (c->sync[0], NOOK_SYNC_PARENT_SETUP_DONE, err) < 0)
    return -1;
  for (;;)
    {
      enum nook_sync_type type;
      int passed;

      if (nook_sync_recv (c->sync[0], &type, &passed, err) < 0)
        return -1;
      if (type == NOOK_SYNC_CHILD_READY)
        break;
      if (type == NOOK_SYNC_EOF)
        return init_died (c, err);
      if (answer_child (c, type, passed, err) < 0)
        return -1;
    }
  if (write_file_at (c->dirfd, NOOK_STATE_CONFIG, c->config_data, c->config_len, 0600, err) < 0)
    return -1;
  if (record_status (c, err) < 0)
    return -1;
  if (c->opts->pid_file && nook_write_pid_file (c->opts->pid_file, c->pid, err) < 0)
    return -1;
  return 0;
}

static int
open_exec_socket (struct create_ctx *c, nook_error_t *err)
{
  c->exec_sock = nook_exec_socket_listen (c->dirfd, err);
  return c->exec_sock < 0 ? -1 : 0;
}

static int
spawn_init (struct create_ctx *c, nook_error_t *err)
{
  struct nook_init_args args = {
    .opts = c->opts,
    .cfg = c->cfg,
    .bundle = c->bundle,
    .rootfs = c->rootfs,
    .ns = &c->ns,
    .cg = c->cg,
    .idmap_fds = c->idmap_fds,
    .unprivileged_parent = geteuid () != 0,
    .seccomp = &c->seccomp,
  };

  if (nook_sync_pair (c->sync, err) < 0)
    return -1;
  if (nook_namespaces_join_pid (&c->ns, err) < 0)
    return -1;
  if (nook_timens_unshare (c->cfg->linux, &c->ns, err) < 0)
    return -1;
  c->pid = nook_clone (c->ns.clone_flags, err);
  if (c->pid < 0)
    return -1;
  c->spawned = c->pid > 0;
  if (c->pid == 0)
    {
      args.syncfd = c->sync[1];
      args.exec_sock = c->exec_sock;
      args.preserve_fds = c->preserve_fds;
      args.close_fds[0] = c->sync[0];
      args.close_fds[1] = c->dirfd;
      args.close_fds[2] = -1;
      /* As runc: the container is its own session, so CRIU finds the
       * session leader inside the pid namespace it checkpoints. */
      setsid ();
      nook_init_run (&args);
    }
  close (steal_fd (&c->sync[1]));
  close (steal_fd (&c->exec_sock));
  return 0;
}

static void
run_poststop_hooks (struct create_ctx *c)
{
  cleanup_free char *state = NULL;
  nook_error_t err = NULL;
  size_t n;
  const oci_hook *h = nook_hooks_of (c->cfg, NOOK_HOOK_POSTSTOP, &n);

  if (n == 0)
    return;
  if (state_json (c, "stopped", &state, &err) == 0)
    nook_hooks_run_all (h, n, NOOK_HOOK_POSTSTOP, state, &err);
  if (err)
    {
      nook_warning ("%s", err->msg);
      nook_error_release (&err);
    }
}

/* Undo a failed create: the init, its cgroup, the state dir (only what this
 * create made: a duplicate id must not touch the other container). */
static void
create_rollback (struct create_ctx *c)
{
  nook_error_t ignored = NULL;

  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      while (waitpid (c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (c->cgroup_entered && nook_cgroup_destroy (c->cg, &ignored) < 0)
    nook_log_error (&ignored);
  if (c->dirfd >= 0 && nook_status_remove_dir (c->opts->root, c->opts->id, &ignored) < 0)
    nook_log_error (&ignored);
  /* runtime-spec lifecycle: a container that got as far as its process
   * (its hooks may have run) continues at poststop once destroyed. */
  if (c->spawned)
    run_poststop_hooks (c);
}

static void
create_ctx_release (struct create_ctx *c)
{
  if (c->dirfd >= 0)
    close (c->dirfd);
  if (c->exec_sock >= 0)
    close (c->exec_sock);
  if (c->sync[0] >= 0)
    close (c->sync[0]);
  if (c->sync[1] >= 0)
    close (c->sync[1]);
  nook_namespaces_close (&c->ns);
  nook_idmap_release (c->idmap_fds, c->cfg ? c->cfg->mounts_len : 0);
  nook_cgroup_free (c->cg);
  nook_seccomp_prog_release (&c->seccomp);
  oci_container_free (c->cfg);
  free (c->config_data);
  free (c->bundle);
  free (c->rootfs);
}

/* Could a process of the container reach the init while it is still
 * nook?  Only when the pid namespace is shared, or with CAP_SYS_PTRACE,
 * which passes the non-dumpable check on /proc/PID/exe. */
static bool
needs_sealed_binary (const struct create_ctx *c)
{
  return !(c->ns.clone_flags & CLONE_NEWPID)
         || nook_process_may_hold_cap (c->cfg->process, "CAP_SYS_PTRACE");
}

/* An unprivileged user gets a cgroup only inside a subtree delegated to
 * it.  Without one the container runs in the caller's cgroup, as with
 * runc, unless the config asks for limits that only a cgroup can enforce. */
static int
rootless_cgroup (struct create_ctx *c, nook_error_t *err)
{
  const oci_resources *res = c->cfg->linux ? c->cfg->linux->resources : NULL;
  cleanup_free char *blocked = NULL;

  if (nook_cgroup_writable (c->cg, &blocked))
    return 0;
  if (nook_cgroup_limits_wanted (res))
    return nook_make_error (err, 0, "linux.resources: an unprivileged user can set limits only in "
                            "a cgroup delegated to it, and `%s` is not writable (set "
                            "linux.cgroupsPath inside a delegated subtree, or drop the limits)",
                            blocked);
  nook_debug ("no cgroup for container `%s`: `%s` is not writable by uid %u", c->opts->id,
              blocked, (unsigned) geteuid ());
  nook_cgroup_free (c->cg);
  c->cg = NULL;
  return 0;
}

static int
create_steps (struct create_ctx *c, nook_error_t *err)
{
  const char *cgroups_path = c->cfg->linux ? c->cfg->linux->cgroups_path : NULL;

  if (validate_config (c, err) < 0)
    return -1;
  /* Nothing is created yet: starting over from the sealed copy is free. */
  if (needs_sealed_binary (c) && !nook_running_sealed () && nook_reexec_sealed (err) < 0)
    return -1;
  if (nook_idmap_prepare (c->cfg, c->bundle, &c->idmap_fds, err) < 0)
    return -1;
  if (c->cfg->linux
      && nook_seccomp_prepare (c->cfg->linux->seccomp, c->opts->root, &c->seccomp, err) < 0)
    return -1;
  if (nook_cgroup_new (c->opts->id, cgroups_path, c->opts->systemd_cgroup, &c->cg, err) < 0)
    return -1;
  if (geteuid () != 0 && rootless_cgroup (c, err) < 0)
    return -1;
  if (nook_status_create_dir (c->opts->root, c->opts->id, &c->dirfd, err) < 0)
    return -1;
  if (open_exec_socket (c, err) < 0 || spawn_init (c, err) < 0)
    return -1;
  return parent_drive_init (c, err);
}

int
nook_container_create_full (const struct nook_create_opts *opts, pid_t *pid, int *console_out,
                            nook_error_t *err)
{
  struct create_ctx c = { .opts = opts, .console_out = console_out, .dirfd = -1, .exec_sock = -1,
                          .sync = { -1, -1 } };
  int ret;

  if (console_out)
    *console_out = -1;
  if (!container_id_valid (opts->id))
    return invalid_id_error (opts->id, err);
  ret = load_bundle (&c, err);
  if (ret == 0)
    ret = create_steps (&c, err);
  if (ret < 0)
    {
      if (console_out && *console_out >= 0)
        close (steal_fd (console_out));
      create_rollback (&c);
      nook_error_wrap (err, "create container `%s`", opts->id);
    }
  else if (pid)
    *pid = c.pid;
  create_ctx_release (&c);
  return ret;
}

int
nook_container_create (const struct nook_create_opts *opts, pid_t *pid, nook_error_t *err)
{
  return nook_container_create_full (opts, pid, NULL, err);
}
