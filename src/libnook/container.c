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
#include <linux/keyctl.h>
#include "container.h"
#include "cgroup.h"
#include "linux.h"
#include "mount.h"
#include "process.h"
#include "status.h"
#include "sync.h"
#include "utils.h"

struct create_ctx
{
  const struct nook_create_opts *opts;
  oci_container *cfg;
  char *bundle; /* absolute */
  char *rootfs; /* absolute, resolved */
  struct nook_namespaces ns;
  struct nook_cgroup *cg;
  int dirfd;
  int fifo_fd;
  int sync[2];
  pid_t pid;
  bool cgroup_entered; /* only then is the cgroup ours to remove */
};

static int
load_bundle (const char *bundle_arg, char **bundle, oci_container **cfg, nook_error_t *err)
{
  char resolved[PATH_MAX];
  cleanup_free char *config_path = NULL;
  cleanup_free char *msg = NULL;
  const char *b = bundle_arg ? bundle_arg : ".";

  if (realpath (b, resolved) == NULL)
    return nook_make_error (err, errno, "bundle `%s`", b);
  xasprintf (&config_path, "%s/config.json", resolved);
  if (oci_container_parse_file (config_path, cfg, &msg) < 0)
    return nook_make_error (err, 0, "%s%s%s", strstr (msg, config_path) ? "" : config_path,
                            strstr (msg, config_path) ? "" : ": ", msg);
  *bundle = xstrdup (resolved);
  return 0;
}

/* Fields of runtime-spec 1.2 that this build does not implement yet: each
 * is refused by name rather than silently ignored. */
static int
refuse_unsupported (const struct create_ctx *c, nook_error_t *err)
{
  const oci_container *cfg = c->cfg;
  const oci_process *p = cfg->process;
  const oci_linux *l = cfg->linux;
  const char *what = NULL;

  if (c->opts->console_socket)
    what = "--console-socket (terminals)";
  else if (p->terminal)
    what = "process.terminal (terminals)";
  else if (p->io_priority)
    what = "process.ioPriority";
  else if (p->scheduler)
    what = "process.scheduler";
  else if (p->exec_cpu_affinity)
    what = "process.execCPUAffinity";
  else if (cfg->hooks)
    what = "hooks";
  else if (l && l->seccomp)
    what = "linux.seccomp";
  else if (l && (l->uid_mappings_len || l->gid_mappings_len))
    what = "linux.uidMappings/gidMappings (user namespaces)";
  else if (l && l->time_offsets_len)
    what = "linux.timeOffsets (time namespaces)";
  else if (l && l->personality)
    what = "linux.personality";
  else if (l && l->intel_rdt)
    what = "linux.intelRdt";
  else if (l && l->net_devices_len)
    what = "linux.netDevices";
  if (what)
    return nook_make_error (err, 0, "config.json: %s is not supported yet", what);
  /* No LSM is enabled on the hosts nook supports today: accepted, logged. */
  if (p->apparmor_profile || p->selinux_label || (l && l->mount_label))
    nook_debug ("AppArmor/SELinux labels given, but neither LSM is enabled here: skipped");
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

static int
validate_config (struct create_ctx *c, nook_error_t *err)
{
  if (nook_process_validate (c->cfg->process, err) < 0)
    return -1;
  if (refuse_unsupported (c, err) < 0)
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

/* ---- the child: container init ---- */

static int
join_session_keyring (const struct create_ctx *c, nook_error_t *err)
{
  if (c->opts->no_new_keyring)
    return 0;
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
    return nook_make_error (err, errno, "join a new session keyring");
  return 0;
}

static int
pass_preserved_fds (const struct create_ctx *c, nook_error_t *err)
{
  int fd, first_closed = 3 + c->opts->preserve_fds;

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

static int
init_setup_namespaces (struct create_ctx *c, nook_error_t *err)
{
  if (nook_namespaces_join_others (&c->ns, err) < 0)
    return -1;
  /* Unshared only now, after the parent moved us into our cgroup, so the
   * namespace is rooted at the container's own cgroup. */
  if (c->ns.new_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    return nook_make_error (err, errno, "unshare the cgroup namespace");
  if (join_session_keyring (c, err) < 0)
    return -1;
  if (nook_loopback_up (&c->ns, err) < 0)
    return -1;
  return nook_set_hostname (c->cfg, &c->ns, err);
}

static int
init_setup (struct create_ctx *c, char **exe, nook_error_t *err)
{
  struct nook_mount_opts mopts = {
    .rootfs = c->rootfs,
    .no_pivot = c->opts->no_pivot,
    .cgroup = c->cg,
    .own_cgroupns = c->ns.new_cgroupns,
    .own_netns = c->ns.own_netns,
  };

  if (nook_sync_expect (c->sync[1], NOOK_SYNC_PARENT_CGROUP_DONE, err) < 0)
    return -1;
  if (init_setup_namespaces (c, err) < 0)
    return -1;
  if (chdir (c->bundle) < 0)
    return nook_make_error (err, errno, "chdir to bundle `%s`", c->bundle);
  if (nook_process_apply_limits (c->cfg->process, err) < 0)
    return -1;
  if (mount_setup_container (c->cfg, &mopts, err) < 0)
    return -1;
  if (nook_apply_sysctl (c->cfg->linux, err) < 0)
    return -1;
  if (pass_preserved_fds (c, err) < 0)
    return -1;
  if (nook_process_apply_identity (c->cfg->process, err) < 0)
    return -1;
  if (nook_process_chdir (c->cfg->process, err) < 0)
    return -1;
  return nook_process_find_executable (c->cfg->process, exe, err);
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

static void __attribute__ ((noreturn))
init_wait_and_exec (struct create_ctx *c, const char *exe)
{
  char **env = nook_process_env (c->cfg->process);
  char byte;
  ssize_t r;

  handle_signals_while_created ();
  do
    r = read (c->fifo_fd, &byte, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    _exit (1);
  execve (exe, c->cfg->process->args, env);
  fprintf (stderr, "nook: exec `%s`: %s\n", exe, strerror (errno));
  _exit (127);
}

static void __attribute__ ((noreturn))
container_init (struct create_ctx *c)
{
  nook_error_t err = NULL;
  cleanup_free char *exe = NULL;

  close (c->sync[0]);
  /* The state dir fd carries create's flock: holding it while waiting for
   * `start` would block every later writer. */
  close (c->dirfd);
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    _exit (1);
  if (init_setup (c, &exe, &err) < 0)
    {
      nook_sync_send_error (c->sync[1], &err);
      _exit (1);
    }
  /* From here on the container outlives `nook create`. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (nook_sync_send (c->sync[1], NOOK_SYNC_CHILD_READY, &err) < 0)
    _exit (1);
  close (c->sync[1]);
  init_wait_and_exec (c, exe);
}

/* ---- the parent ---- */

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  char *s = NULL;
  if (pw)
    return xstrdup (pw->pw_name);
  xasprintf (&s, "#%u", (unsigned) geteuid ());
  return s;
}

/* Written once, when the init is ready: a second write would replace the
 * file, and ext4 flushes data on rename-over-existing (auto_da_alloc),
 * which costs a millisecond per create.  A create killed before this point
 * leaves a "creating" dir that delete removes. */
static int
record_status (const struct create_ctx *c, nook_error_t *err)
{
  cleanup_free char *created = timestamp_rfc3339 ();
  cleanup_free char *owner = owner_name ();
  struct nook_status st = {
    .id = (char *) c->opts->id,
    .pid = c->pid,
    .initialized = true,
    .bundle = c->bundle,
    .rootfs = c->rootfs,
    .created = created,
    .owner = owner,
    .cgroup_manager = c->cg->manager,
    .cgroup_path = c->cg->path,
    .annotations = c->cfg->annotations,
  };

  if (process_start_time (c->pid, &st.pid_start_time, err) < 0)
    return -1;
  return nook_status_write (c->dirfd, &st, err);
}

static int
write_pid_file (const char *path, pid_t pid, nook_error_t *err)
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
parent_drive_init (struct create_ctx *c, nook_error_t *err)
{
  const oci_resources *res = c->cfg->linux ? c->cfg->linux->resources : NULL;

  if (nook_cgroup_enter (c->cg, c->pid, res, err) < 0)
    return -1;
  c->cgroup_entered = true;
  if (nook_sync_send (c->sync[0], NOOK_SYNC_PARENT_CGROUP_DONE, err) < 0)
    return -1;
  if (nook_sync_expect (c->sync[0], NOOK_SYNC_CHILD_READY, err) < 0)
    return -1;
  if (record_status (c, err) < 0)
    return -1;
  if (c->opts->pid_file && write_pid_file (c->opts->pid_file, c->pid, err) < 0)
    return -1;
  return 0;
}

static int
open_exec_fifo (struct create_ctx *c, nook_error_t *err)
{
  if (mkfifoat (c->dirfd, NOOK_EXEC_FIFO, 0600) < 0)
    return nook_make_error (err, errno, "create exec fifo");
  /* Read-write: the open does not block, and the init's read() waits for
   * data instead of seeing end-of-file while no writer exists. */
  c->fifo_fd = openat (c->dirfd, NOOK_EXEC_FIFO, O_RDWR | O_CLOEXEC);
  if (c->fifo_fd < 0)
    return nook_make_error (err, errno, "open exec fifo");
  return 0;
}

static int
spawn_init (struct create_ctx *c, nook_error_t *err)
{
  if (nook_sync_pair (c->sync, err) < 0)
    return -1;
  if (nook_namespaces_join_pid (&c->ns, err) < 0)
    return -1;
  c->pid = nook_clone (c->ns.clone_flags, err);
  if (c->pid < 0)
    return -1;
  if (c->pid == 0)
    container_init (c);
  close (steal_fd (&c->sync[1]));
  close (steal_fd (&c->fifo_fd));
  return 0;
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
}

static void
create_ctx_release (struct create_ctx *c)
{
  if (c->dirfd >= 0)
    close (c->dirfd);
  if (c->fifo_fd >= 0)
    close (c->fifo_fd);
  if (c->sync[0] >= 0)
    close (c->sync[0]);
  if (c->sync[1] >= 0)
    close (c->sync[1]);
  nook_namespaces_close (&c->ns);
  nook_cgroup_free (c->cg);
  oci_container_free (c->cfg);
  free (c->bundle);
  free (c->rootfs);
}

static int
create_steps (struct create_ctx *c, nook_error_t *err)
{
  const char *cgroups_path = c->cfg->linux ? c->cfg->linux->cgroups_path : NULL;

  if (validate_config (c, err) < 0)
    return -1;
  if (nook_cgroup_new (c->opts->id, cgroups_path, c->opts->systemd_cgroup, &c->cg, err) < 0)
    return -1;
  if (nook_status_create_dir (c->opts->root, c->opts->id, &c->dirfd, err) < 0)
    return -1;
  if (open_exec_fifo (c, err) < 0 || spawn_init (c, err) < 0)
    return -1;
  return parent_drive_init (c, err);
}

int
nook_container_create (const struct nook_create_opts *opts, pid_t *pid, nook_error_t *err)
{
  struct create_ctx c = { .opts = opts, .dirfd = -1, .fifo_fd = -1, .sync = { -1, -1 } };
  int ret;

  if (!container_id_valid (opts->id))
    return invalid_id_error (opts->id, err);
  if (load_bundle (opts->bundle, &c.bundle, &c.cfg, err) < 0)
    return -1;
  ret = create_steps (&c, err);
  if (ret < 0)
    {
      create_rollback (&c);
      nook_error_wrap (err, "create container `%s`", opts->id);
    }
  else if (pid)
    *pid = c.pid;
  create_ctx_release (&c);
  return ret;
}
