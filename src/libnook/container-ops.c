/* nook - start, run, state, kill, delete, list. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "container.h"
#include "container-internal.h"
#include "cgroup.h"
#include "hooks.h"
#include "status.h"
#include "terminal.h"
#include "utils.h"

void
nook_loaded_release (struct nook_loaded *l)
{
  if (l->dirfd >= 0)
    close (l->dirfd);
  l->dirfd = -1;
  nook_status_free (&l->st);
}

/* runc's "paused": alive, with its cgroup frozen by `pause`.  Only a
 * created or running container can be, so only then is the cgroup read. */
static void
detect_paused (struct nook_loaded *l)
{
  struct nook_cgroup *cg = NULL;
  nook_error_t e = NULL;
  bool frozen = false;

  if ((l->status != NOOK_STATUS_CREATED && l->status != NOOK_STATUS_RUNNING)
      || l->st.cgroup_manager == NULL || l->st.cgroup_path == NULL)
    return;
  if (nook_cgroup_load (l->st.cgroup_manager, l->st.cgroup_path, &cg, &e) < 0
      || nook_cgroup_is_frozen (cg, &frozen, &e) < 0)
    {
      nook_debug ("container `%s`: cannot tell whether it is paused: %s", l->st.id, e->msg);
      nook_error_release (&e);
    }
  else if (frozen)
    l->status = NOOK_STATUS_PAUSED;
  nook_cgroup_free (cg);
}

int
nook_container_load (const char *root, const char *id, bool lock, struct nook_loaded *l,
                     nook_error_t *err)
{
  l->dirfd = -1;
  memset (&l->st, 0, sizeof (l->st));
  if (nook_status_open_dir (root, id, lock, &l->dirfd, err) < 0)
    return -1;
  if (nook_status_read (l->dirfd, id, &l->st, err) < 0
      || nook_status_compute (l->dirfd, &l->st, &l->status, err) < 0)
    {
      nook_loaded_release (l);
      return -1;
    }
  detect_paused (l);
  return 0;
}

/* The config the container was created with, kept in its state dir. */
int
nook_load_state_config (const struct nook_loaded *l, oci_container **cfg, nook_error_t *err)
{
  cleanup_free char *data = NULL, *msg = NULL;
  size_t len;

  *cfg = NULL;
  if (read_all_file_at (l->dirfd, NOOK_STATE_CONFIG, &data, &len, err) < 0)
    {
      /* A container that never finished create has none: nothing to run. */
      if ((*err)->status != ENOENT)
        return -1;
      nook_error_release (err);
      return 0;
    }
  if (oci_container_parse_data (data, len, cfg, &msg) < 0)
    return nook_make_error (err, 0, "config of container `%s`: %s", l->st.id, msg);
  return 0;
}

/* poststart and poststop: the spec says a failure is a warning, and the
 * lifecycle goes on. */
static void
run_hooks_warn (const oci_container *cfg, const struct nook_loaded *l, enum nook_hook_kind kind,
                const char *status)
{
  cleanup_free char *state = NULL;
  nook_error_t err = NULL;
  const oci_hook *h;
  size_t n = 0;

  if (cfg == NULL || (h = nook_hooks_of (cfg, kind, &n)) == NULL || n == 0)
    return;
  if (nook_state_json (l->st.id, status, l->st.pid, l->st.bundle, &l->st.annotations, &state,
                       &err) == 0)
    nook_hooks_run_all (h, n, kind, state, &err);
  if (err)
    {
      nook_warning ("%s", err->msg);
      nook_error_release (&err);
    }
}

/* The same, with the config the container was created with. */
static void
run_state_hooks_warn (const struct nook_loaded *l, enum nook_hook_kind kind, const char *status)
{
  oci_container *cfg = NULL;
  nook_error_t err = NULL;

  if (nook_load_state_config (l, &cfg, &err) < 0)
    {
      nook_warning ("%s hooks not run: %s", nook_hook_kind_name (kind), err->msg);
      nook_error_release (&err);
      return;
    }
  run_hooks_warn (cfg, l, kind, status);
  oci_container_free (cfg);
}

/* Until end-of-file (the program runs: the init's end is close-on-exec),
 * or the reason it does not. */
static int
wait_for_exec (int conn, const char *id, nook_error_t *err)
{
  char msg[4096];
  size_t len = 0;
  ssize_t r;

  while (len < sizeof (msg) - 1)
    {
      r = read (conn, msg + len, sizeof (msg) - 1 - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += r;
    }
  if (len == 0)
    return 0;
  msg[len] = '\0';
  return nook_make_error (err, 0, "start container `%s`: %s", id, msg);
}

int
nook_container_start (const char *root, const char *id, nook_error_t *err)
{
  struct nook_loaded l;
  cleanup_close int conn = -1;
  int ret = -1;

  if (nook_container_load (root, id, true, &l, err) < 0)
    return -1;
  if (l.status != NOOK_STATUS_CREATED)
    {
      nook_make_error (err, 0, "cannot start container `%s`: it is %s, not created", id,
                       nook_status_name (l.status));
      goto out;
    }
  conn = nook_exec_socket_connect (l.dirfd, id, err);
  if (conn < 0)
    goto out;
  /* Gone socket == running: the init has been told to go on. */
  unlinkat (l.dirfd, NOOK_EXEC_SOCKET, 0);
  if (write (conn, "0", 1) != 1)
    {
      nook_make_error (err, errno, "start container `%s`: write to its exec socket", id);
      goto out;
    }
  if (wait_for_exec (conn, id, err) < 0)
    goto out;
  run_state_hooks_warn (&l, NOOK_HOOK_POSTSTART, "running");
  ret = 0;
out:
  nook_loaded_release (&l);
  return ret;
}

/* ---- signals to a container, and waiting for it ---- */

static int
open_init_pidfd (const struct nook_status *st, nook_error_t *err)
{
  uint64_t start;
  int fd = syscall (SYS_pidfd_open, st->pid, 0);

  if (fd < 0)
    return errno == ESRCH ? -2 : nook_make_error (err, errno, "pidfd_open %d", (int) st->pid);
  /* The pid may have been reused between reading the state and opening it. */
  if (process_start_time (st->pid, &start, err) < 0)
    {
      close (fd);
      return -1;
    }
  if (start != st->pid_start_time)
    {
      close (fd);
      return -2;
    }
  return fd;
}

static int
signal_init (const struct nook_status *st, int sig, nook_error_t *err)
{
  cleanup_close int fd = open_init_pidfd (st, err);
  if (fd == -2)
    /* "container not running" is the phrase containerd's runc shim looks
       for to tell an exited process from a failed kill (as runc says it). */
    return nook_make_error (err, 0, "cannot signal container `%s`: container not running",
                            st->id);
  if (fd < 0)
    return -1;
  if (syscall (SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
    return nook_make_error (err, errno, "send signal %d to container `%s`", sig, st->id);
  return 0;
}

/* A SIGKILLed task in a frozen v1 cgroup dies only once it is thawed
 * (runc thaws too); on cgroup2 it dies frozen, and the thaw is harmless. */
static void
thaw_after_kill (const struct nook_status *st)
{
  struct nook_cgroup *cg = NULL;
  nook_error_t e = NULL;

  if (nook_cgroup_load (st->cgroup_manager, st->cgroup_path, &cg, &e) < 0
      || nook_cgroup_freeze (cg, false, &e) < 0)
    nook_log_error (&e);
  nook_cgroup_free (cg);
}

static int
signal_all (const struct nook_status *st, int sig, nook_error_t *err)
{
  struct nook_cgroup *cg = NULL;
  int ret;

  if (st->cgroup_manager == NULL)
    return nook_make_error (err, 0, "cannot signal every process of container `%s`: it has no "
                            "cgroup (an unprivileged user created it outside a delegated cgroup "
                            "subtree)", st->id);
  if (nook_cgroup_load (st->cgroup_manager, st->cgroup_path, &cg, err) < 0)
    return -1;
  ret = nook_cgroup_kill_all (cg, sig, err);
  nook_cgroup_free (cg);
  return ret;
}

int
nook_container_kill (const char *root, const char *id, int sig, bool all, nook_error_t *err)
{
  struct nook_loaded l;
  int ret = -1;

  if (nook_container_load (root, id, true, &l, err) < 0)
    return -1;
  if (l.status != NOOK_STATUS_CREATED && l.status != NOOK_STATUS_RUNNING
      && l.status != NOOK_STATUS_PAUSED)
    nook_make_error (err, 0, "cannot kill container `%s`: container not running (it is %s)", id,
                     nook_status_name (l.status));
  else
    ret = all ? signal_all (&l.st, sig, err) : signal_init (&l.st, sig, err);
  if (ret == 0 && sig == SIGKILL && l.status == NOOK_STATUS_PAUSED)
    thaw_after_kill (&l.st);
  nook_loaded_release (&l);
  return ret;
}

static int
wait_for_exit (const struct nook_status *st, int timeout_ms, nook_error_t *err)
{
  cleanup_close int fd = open_init_pidfd (st, err);
  struct pollfd p;
  int r;

  if (fd == -2)
    return 0;
  if (fd < 0)
    return -1;
  p.fd = fd;
  p.events = POLLIN;
  do
    r = poll (&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return nook_make_error (err, 0, "container `%s` (pid %d) did not exit after SIGKILL", st->id,
                            (int) st->pid);
  return r < 0 ? nook_make_error (err, errno, "wait for container `%s`", st->id) : 0;
}

/* ---- delete ---- */

static int
kill_everything (struct nook_loaded *l, nook_error_t *err)
{
  nook_error_t ignored = NULL;

  /* The cgroup holds every process of the container, even without a pid
   * namespace; the init itself is signalled too in case it is elsewhere. */
  if (l->st.cgroup_manager && signal_all (&l->st, SIGKILL, &ignored) < 0)
    nook_log_error (&ignored);
  if (l->status == NOOK_STATUS_PAUSED)
    thaw_after_kill (&l->st);
  if (l->st.pid <= 0)
    return 0;
  if (signal_init (&l->st, SIGKILL, &ignored) < 0)
    nook_error_release (&ignored);
  return wait_for_exit (&l->st, 10000, err);
}

static int
remove_container (const char *root, struct nook_loaded *l, nook_error_t *err)
{
  oci_container *cfg = NULL;
  nook_error_t cfg_err = NULL;
  int r = 0;

  /* Read before the state goes: poststop runs once the container is gone. */
  if (nook_load_state_config (l, &cfg, &cfg_err) < 0)
    {
      nook_warning ("poststop hooks not run: %s", cfg_err->msg);
      nook_error_release (&cfg_err);
    }
  if (l->st.cgroup_manager && l->st.cgroup_path)
    {
      struct nook_cgroup *cg = NULL;
      r = nook_cgroup_load (l->st.cgroup_manager, l->st.cgroup_path, &cg, err);
      if (r == 0)
        r = nook_cgroup_destroy (cg, err);
      nook_cgroup_free (cg);
    }
  if (r == 0)
    r = nook_status_remove_dir (root, l->st.id, err);
  if (r == 0)
    run_hooks_warn (cfg, l, NOOK_HOOK_POSTSTOP, "stopped");
  oci_container_free (cfg);
  return r;
}

int
nook_container_delete (const char *root, const char *id, bool force, nook_error_t *err)
{
  struct nook_loaded l;
  int ret = -1;

  if (nook_container_load (root, id, true, &l, err) < 0)
    {
      /* As runc: forcing the removal of something absent is success. */
      if (force && (*err)->status == ENOENT)
        {
          nook_error_release (err);
          return 0;
        }
      return -1;
    }
  /* We hold the lock, so a "creating" container's `create` is gone: what
   * it left is removed like a stopped container. */
  if (l.status == NOOK_STATUS_CREATED || l.status == NOOK_STATUS_RUNNING
      || l.status == NOOK_STATUS_PAUSED)
    {
      if (!force)
        {
          nook_make_error (err, 0, "cannot delete container `%s`: it is %s (stop it first, or use --force)",
                           id, nook_status_name (l.status));
          goto out;
        }
    }
  if (l.status != NOOK_STATUS_STOPPED && kill_everything (&l, err) < 0)
    goto out;
  ret = remove_container (root, &l, err);
out:
  nook_loaded_release (&l);
  return ret;
}

/* ---- state and list ---- */

static void
copy_map (oci_map *dst, const oci_map *src)
{
  size_t i;
  dst->len = src->len;
  dst->keys = xmalloc0 (sizeof (char *) * (src->len + 1));
  dst->values = xmalloc0 (sizeof (char *) * (src->len + 1));
  for (i = 0; i < src->len; i++)
    {
      dst->keys[i] = xstrdup (src->keys[i]);
      dst->values[i] = xstrdup (src->values[i]);
    }
}

static oci_state *
make_state (const struct nook_loaded *l)
{
  oci_state *s = xmalloc0 (sizeof (*s));
  bool has_process = l->status == NOOK_STATUS_CREATED || l->status == NOOK_STATUS_RUNNING
                     || l->status == NOOK_STATUS_PAUSED;

  s->oci_version = xstrdup (OCI_SPEC_VERSION);
  s->id = xstrdup (l->st.id);
  s->status = xstrdup (nook_status_name (l->status));
  s->has_pid = true;
  s->pid = has_process ? l->st.pid : 0;
  s->bundle = xstrdup (l->st.bundle ? l->st.bundle : "");
  s->rootfs = xstrdup (l->st.rootfs);
  s->created = xstrdup (l->st.created);
  s->owner = xstrdup (l->st.owner);
  copy_map (&s->annotations, &l->st.annotations);
  return s;
}

int
nook_container_state (const char *root, const char *id, oci_state **out, nook_error_t *err)
{
  struct nook_loaded l;

  if (nook_container_load (root, id, false, &l, err) < 0)
    return -1;
  *out = make_state (&l);
  nook_loaded_release (&l);
  return 0;
}

int
nook_container_list (const char *root, oci_state ***states, size_t *n, nook_error_t *err)
{
  char **ids = NULL;
  size_t count = 0, i;
  oci_state **out;

  if (nook_status_list_ids (root, &ids, &count, err) < 0)
    return -1;
  out = xmalloc0 (sizeof (oci_state *) * (count + 1));
  *n = 0;
  for (i = 0; i < count; i++)
    {
      nook_error_t e = NULL;
      if (nook_container_state (root, ids[i], &out[*n], &e) < 0)
        {
          nook_log (NOOK_LOG_LEVEL_WARNING, "list: skip `%s`: %s", ids[i], e->msg);
          nook_error_release (&e);
        }
      else
        (*n)++;
      free (ids[i]);
    }
  free (ids);
  *states = out;
  return 0;
}

/* ---- run ---- */

/* The one piece of process-wide state: the signal handler must know whom to
 * forward to, and a handler takes no argument. */
static volatile sig_atomic_t forward_pid;

static void
forward_signal (int sig)
{
  if (forward_pid > 0)
    kill (forward_pid, sig);
}

void
nook_forward_signals_to (pid_t pid)
{
  static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };
  struct sigaction sa = { .sa_handler = forward_signal };
  size_t i;

  forward_pid = pid;
  for (i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
    sigaction (sigs[i], &sa, NULL);
}

int
nook_wait_child_status (pid_t pid, int *exit_status, nook_error_t *err)
{
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return nook_make_error (err, errno, "wait for the container process %d", (int) pid);
  *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  return 0;
}

int
nook_container_run (const struct nook_create_opts *opts, bool detach, int *exit_status,
                    nook_error_t *err)
{
  struct nook_terminal_relay *relay = NULL;
  nook_error_t ignored = NULL;
  cleanup_close int master = -1;
  pid_t pid;

  *exit_status = 0;
  /* In the foreground without a console socket, nook relays the terminal. */
  if (nook_container_create_full (opts, &pid, detach || opts->console_socket ? NULL : &master,
                                  err)
      < 0)
    return -1;
  if (!detach)
    nook_forward_signals_to (pid);
  /* Our terminal is set up before the program can write its first line. */
  if (master >= 0 && nook_terminal_relay_prepare (master, &relay, &ignored) < 0)
    nook_log_error (&ignored);
  if (nook_container_start (opts->root, opts->id, err) < 0)
    {
      nook_terminal_relay_free (relay);
      if (nook_container_delete (opts->root, opts->id, true, &ignored) < 0)
        nook_log_error (&ignored);
      return -1;
    }
  if (detach)
    return 0;
  if (relay && nook_terminal_relay_run (relay, pid, &ignored) < 0)
    nook_log_error (&ignored);
  if (nook_wait_child_status (pid, exit_status, err) < 0)
    return -1;
  return nook_container_delete (opts->root, opts->id, true, err);
}
