/* nook - OCI hooks (runtime-spec config.md "POSIX-platform Hooks").
 *
 * A hook is a plain fork + execve: exactly its argv and environment, the
 * container state on stdin, nothing else inherited but stdout and stderr,
 * which both go through pipes that nook drains and forwards (a hook never
 * holds nook's own stdio, so a terminal's job control cannot stop it, and
 * the first line of its stderr can be quoted when it fails).  One poll()
 * loop feeds stdin, drains the output and waits on a pidfd with the hook's
 * timeout: no sleeping, no SIGCHLD handler, no waiting for EOF on pipes a
 * daemon forked by the hook may keep open.
 *
 * Where a hook runs (runtime or container namespaces) and what its failure
 * means (abort or warn) is the caller's business. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "signals.h"
#include "utils.h"

#ifndef P_PIDFD
# define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
# define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* How much of the first stderr line goes into the error message. */
#define FIRST_LINE_MAX 240

struct hook_kind_info
{
  const char *name; /* the config.json key */
  size_t list;      /* offsetof the array in oci_hooks */
  size_t len;       /* offsetof its length */
};

#define HOOK_KIND(key, field) \
  { key, offsetof (oci_hooks, field), offsetof (oci_hooks, field##_len) }

static const struct hook_kind_info HOOK_KINDS[] = {
  [NOOK_HOOK_PRESTART] = HOOK_KIND ("prestart", prestart),
  [NOOK_HOOK_CREATE_RUNTIME] = HOOK_KIND ("createRuntime", create_runtime),
  [NOOK_HOOK_CREATE_CONTAINER] = HOOK_KIND ("createContainer", create_container),
  [NOOK_HOOK_START_CONTAINER] = HOOK_KIND ("startContainer", start_container),
  [NOOK_HOOK_POSTSTART] = HOOK_KIND ("poststart", poststart),
  [NOOK_HOOK_POSTSTOP] = HOOK_KIND ("poststop", poststop),
};

#define N_HOOK_KINDS (sizeof (HOOK_KINDS) / sizeof (HOOK_KINDS[0]))

const char *
nook_hook_kind_name (enum nook_hook_kind kind)
{
  if ((size_t) kind >= N_HOOK_KINDS)
    return "unknown";
  return HOOK_KINDS[kind].name;
}

const oci_hook *
nook_hooks_of (const oci_container *cfg, enum nook_hook_kind kind, size_t *n)
{
  const char *base;

  *n = 0;
  if (cfg == NULL || cfg->hooks == NULL || (size_t) kind >= N_HOOK_KINDS)
    return NULL;
  base = (const char *) cfg->hooks;
  *n = *(const size_t *) (base + HOOK_KINDS[kind].len);
  return *(oci_hook *const *) (base + HOOK_KINDS[kind].list);
}

int
nook_hooks_validate (const oci_container *cfg, nook_error_t *err)
{
  size_t k, i, n;

  for (k = 0; k < N_HOOK_KINDS; k++)
    {
      const oci_hook *hooks = nook_hooks_of (cfg, k, &n);
      for (i = 0; i < n; i++)
        {
          const oci_hook *h = &hooks[i];
          if (h->path == NULL || h->path[0] != '/')
            return nook_make_error (err, 0, "hooks.%s[%zu].path: `%s` is not an absolute path",
                                    HOOK_KINDS[k].name, i, h->path ? h->path : "");
          if (h->has_timeout && h->timeout <= 0)
            return nook_make_error (err, 0,
                                    "hooks.%s[%zu].timeout: must be greater than zero, got %lld",
                                    HOOK_KINDS[k].name, i, (long long) h->timeout);
        }
    }
  return 0;
}

/* ---- the child ---- */

struct hook_child
{
  const char *path;
  char **argv;
  char **envp;
  int fds[3];  /* becomes stdin, stdout, stderr */
  int exec_err; /* CLOEXEC pipe: errno if execve (or the setup) failed */
  pid_t parent;
};

static void
reset_signals (void)
{
  sigset_t empty;
  int sig;

  /* Dispositions set to SIG_IGN survive execve: the hook starts clean. */
  for (sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigemptyset (&empty);
  sigprocmask (SIG_SETMASK, &empty, NULL);
}

static int
install_stdio (const int fds[3])
{
  int moved[3], i;

  /* Out of 0..2 first, so no source is overwritten by another's dup2
   * (the caller may have run with some of 0..2 closed). */
  for (i = 0; i < 3; i++)
    if ((moved[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
      return -1;
  for (i = 0; i < 3; i++)
    if (dup2 (moved[i], i) < 0)
      return -1;
  return 0;
}

static void __attribute__ ((noreturn))
hook_child_exec (const struct hook_child *c)
{
  int e;

  /* A hook never outlives the nook that waits for it. */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    _exit (127);
  /* ... unless it died before prctl.  (0: the caller setns()ed its
   * children into another pid namespace, where it is not visible.) */
  if (getppid () != c->parent && getppid () != 0)
    _exit (127);
  /* Its own process group, so a timeout can kill what it forked too. */
  setpgid (0, 0);
  reset_signals ();
  if (install_stdio (c->fds) < 0)
    goto fail;
  /* Every other fd (ours, the caller's, the log) is closed by execve. */
  if (syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    goto fail;
  execve (c->path, c->argv, c->envp);
fail:
  e = errno;
  (void) write (c->exec_err, &e, sizeof (e));
  _exit (127);
}

/* ---- the parent ---- */

struct hook_io
{
  int in;       /* write end of the hook's stdin, nonblocking */
  int out;      /* read end of its stdout, nonblocking */
  int errp;     /* read end of its stderr, nonblocking */
  int forward;  /* where the output goes; -1 discards it */
  const char *input;
  size_t input_len, written;
  char line[FIRST_LINE_MAX + 4];
  size_t line_len;
  bool line_done;
};

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
pump_stdin (struct hook_io *io)
{
  while (io->written < io->input_len)
    {
      ssize_t w = write (io->in, io->input + io->written, io->input_len - io->written);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        return;
      if (w < 0)
        break; /* EPIPE: the hook does not read its stdin, its right. */
      io->written += w;
    }
  /* EOF tells the hook the state is complete. */
  close_fd (&io->in);
}

/* Keep the first non-empty line of stderr, printable, for the error. */
static void
capture_line (struct hook_io *io, const char *buf, size_t len)
{
  size_t i;

  for (i = 0; i < len && !io->line_done; i++)
    {
      unsigned char ch = buf[i];
      if (ch == '\n')
        {
          io->line_done = io->line_len > 0;
          continue;
        }
      if (ch == '\r')
        continue;
      if (io->line_len == FIRST_LINE_MAX)
        {
          memcpy (io->line + io->line_len, "...", 4);
          io->line_done = true;
          break;
        }
      io->line[io->line_len++] = (ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' : ch;
      io->line[io->line_len] = '\0';
    }
}

/* Read what is there; false at EOF (or an error) so the caller closes. */
static bool
pump_output (struct hook_io *io, int fd, bool capture)
{
  char buf[4096];

  for (;;)
    {
      ssize_t r = read (fd, buf, sizeof (buf));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return errno == EAGAIN;
      if (r == 0)
        return false;
      if (capture)
        capture_line (io, buf, r);
      if (io->forward >= 0)
        (void) write_all (io->forward, buf, r);
    }
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll()'s timeout until deadline (-1: none). */
static int
remaining_ms (int64_t deadline)
{
  int64_t left;

  if (deadline < 0)
    return -1;
  left = deadline - now_ms ();
  if (left < 0)
    return 0;
  return left > INT_MAX ? INT_MAX : (int) left;
}

/* Serve the hook's pipes until it exits (1) or the deadline passes (0). */
static int
serve_hook (struct hook_io *io, int pidfd, int64_t deadline, nook_error_t *err)
{
  for (;;)
    {
      struct pollfd p[4] = { { .fd = pidfd, .events = POLLIN } };
      nfds_t n = 1;
      int r, i, in_slot = -1, out_slot = -1, err_slot = -1;

      if (io->in >= 0)
        p[in_slot = n++] = (struct pollfd){ .fd = io->in, .events = POLLOUT };
      if (io->out >= 0)
        p[out_slot = n++] = (struct pollfd){ .fd = io->out, .events = POLLIN };
      if (io->errp >= 0)
        p[err_slot = n++] = (struct pollfd){ .fd = io->errp, .events = POLLIN };
      r = poll (p, n, remaining_ms (deadline));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return nook_make_error (err, errno, "poll");
      if (r == 0)
        return 0;
      if (in_slot > 0 && p[in_slot].revents)
        pump_stdin (io);
      for (i = 0; i < 2; i++)
        {
          int slot = i ? err_slot : out_slot;
          int *fd = i ? &io->errp : &io->out;
          if (slot > 0 && p[slot].revents && !pump_output (io, *fd, i == 1))
            close_fd (fd);
        }
      if (p[0].revents)
        return 1;
    }
}

static int
reap (int pidfd, siginfo_t *si, nook_error_t *err)
{
  memset (si, 0, sizeof (*si));
  while (waitid (P_PIDFD, pidfd, si, WEXITED) < 0)
    if (errno != EINTR)
      return nook_make_error (err, errno, "wait for the hook");
  return 0;
}

struct hook_pipes
{
  int in[2], out[2], errp[2], exec_err[2];
};

static void
hook_pipes_close (struct hook_pipes *p)
{
  int *fds = (int *) p;
  size_t i;
  for (i = 0; i < sizeof (*p) / sizeof (int); i++)
    close_fd (&fds[i]);
}

static int
hook_pipes_open (struct hook_pipes *p, nook_error_t *err)
{
  memset (p, -1, sizeof (*p));
  if (pipe2 (p->in, O_CLOEXEC) < 0 || pipe2 (p->out, O_CLOEXEC) < 0
      || pipe2 (p->errp, O_CLOEXEC) < 0 || pipe2 (p->exec_err, O_CLOEXEC) < 0)
    {
      int saved = errno;
      hook_pipes_close (p);
      return nook_make_error (err, saved, "create the pipes of a hook");
    }
  /* Our ends never block the loop. */
  fcntl (p->in[1], F_SETFL, O_NONBLOCK);
  fcntl (p->out[0], F_SETFL, O_NONBLOCK);
  fcntl (p->errp[0], F_SETFL, O_NONBLOCK);
  fcntl (p->exec_err[0], F_SETFL, O_NONBLOCK);
  return 0;
}

/* What one run of a hook came to. */
struct hook_outcome
{
  bool timed_out;
  int exec_errno; /* the hook never ran */
  siginfo_t si;
  char line[FIRST_LINE_MAX + 4];
};

static char **
hook_argv (const oci_hook *h)
{
  size_t i, n = h->args_len ? h->args_len : 1;
  char **argv = xmalloc0 ((n + 1) * sizeof (char *));

  for (i = 0; i < n; i++)
    argv[i] = h->args_len ? h->args[i] : h->path;
  return argv;
}

static char **
hook_envp (const oci_hook *h)
{
  char **envp = xmalloc0 ((h->env_len + 1) * sizeof (char *));
  size_t i;

  for (i = 0; i < h->env_len; i++)
    envp[i] = h->env[i];
  return envp;
}

/* SIGKILL the hook and whatever it forked into its process group.  The
 * group id is the hook's pid, which stays ours until reap(). */
static void
kill_hook (pid_t pid, int pidfd)
{
  kill (-pid, SIGKILL);
  syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

/* Milliseconds on CLOCK_MONOTONIC when the hook is killed; -1: never. */
static int64_t
deadline_of (const oci_hook *h)
{
  if (!h->has_timeout || h->timeout > INT64_MAX / 2000)
    return -1;
  return now_ms () + h->timeout * 1000;
}

static void
io_close (struct hook_io *io)
{
  close_fd (&io->in);
  close_fd (&io->out);
  close_fd (&io->errp);
}

/* Feed and watch the forked hook until it ends, then reap it.  The
 * parent's ends of the pipes move from p to the loop's hook_io. */
static int
supervise (struct hook_pipes *p, pid_t pid, const oci_hook *h, const char *state_json,
           int forward, struct hook_outcome *o, nook_error_t *err)
{
  struct hook_io io = { .in = steal_fd (&p->in[1]), .out = steal_fd (&p->out[0]),
                        .errp = steal_fd (&p->errp[0]), .forward = forward, .input = state_json,
                        .input_len = state_json ? strlen (state_json) : 0 };
  cleanup_close int pidfd = syscall (SYS_pidfd_open, pid, 0);
  int r, e;

  if (pidfd < 0)
    {
      e = errno;
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      io_close (&io);
      return nook_make_error (err, e, "pidfd_open for hook %d", (int) pid);
    }
  r = serve_hook (&io, pidfd, deadline_of (h), err);
  o->timed_out = r == 0;
  if (r <= 0)
    kill_hook (pid, pidfd);
  if (reap (pidfd, &o->si, err) < 0)
    r = -1;
  /* What the hook wrote before exiting; a daemon it left behind may hold
   * the pipes open: read what is there, never wait for EOF. */
  if (io.out >= 0)
    pump_output (&io, io.out, false);
  if (io.errp >= 0)
    pump_output (&io, io.errp, true);
  io_close (&io);
  if (read (p->exec_err[0], &e, sizeof (e)) == (ssize_t) sizeof (e))
    o->exec_errno = e;
  memcpy (o->line, io.line, sizeof (o->line));
  return r < 0 ? -1 : 0;
}

/* Fork and execve the hook, feed and watch it until it ends. */
static int
spawn_and_wait (const oci_hook *h, const char *state_json, int forward, struct hook_outcome *o,
                nook_error_t *err)
{
  cleanup_free char **argv = hook_argv (h);
  cleanup_free char **envp = hook_envp (h);
  struct hook_pipes p;
  struct hook_child c;
  pid_t pid;
  int r;

  if (hook_pipes_open (&p, err) < 0)
    return -1;
  c = (struct hook_child){ .path = h->path, .argv = argv, .envp = envp,
                           .fds = { p.in[0], p.out[1], p.errp[1] },
                           .exec_err = p.exec_err[1], .parent = getpid () };
  pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      hook_pipes_close (&p);
      return nook_make_error (err, saved, "fork");
    }
  if (pid == 0)
    hook_child_exec (&c);
  /* Only the child holds the write ends: EOF and exec_err mean it. */
  close_fd (&p.in[0]);
  close_fd (&p.out[1]);
  close_fd (&p.errp[1]);
  close_fd (&p.exec_err[1]);
  r = supervise (&p, pid, h, state_json, forward, o, err);
  hook_pipes_close (&p);
  return r;
}

/* A hook that stops reading its stdin makes our write fail with EPIPE:
 * SIGPIPE is held while hooks run and a SIGPIPE that we caused dropped. */
static void
sigpipe_hold (sigset_t *saved, bool *was_pending)
{
  sigset_t set, pending;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &set, saved);
  sigpending (&pending);
  *was_pending = sigismember (&pending, SIGPIPE) == 1;
}

static void
sigpipe_release (const sigset_t *saved, bool was_pending)
{
  sigset_t set, pending;
  struct timespec zero = { 0, 0 };

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  sigpending (&pending);
  if (!was_pending && sigismember (&pending, SIGPIPE) == 1)
    sigtimedwait (&set, NULL, &zero);
  sigprocmask (SIG_SETMASK, saved, NULL);
}

static int
hook_failure (const oci_hook *h, enum nook_hook_kind kind, size_t i, const struct hook_outcome *o,
              nook_error_t *err)
{
  const char *kname = nook_hook_kind_name (kind);
  const char *sep = o->line[0] ? ": " : "";
  const char *signame;

  if (o->timed_out)
    return nook_make_error (err, 0, "hook %s[%zu] `%s`: timed out after %lld s", kname, i,
                            h->path, (long long) h->timeout);
  if (o->exec_errno)
    return nook_make_error (err, o->exec_errno, "hook %s[%zu] `%s`: cannot execute", kname, i,
                            h->path);
  if (o->si.si_code == CLD_EXITED && o->si.si_status == 0)
    return 0;
  if (o->si.si_code == CLD_EXITED)
    return nook_make_error (err, 0, "hook %s[%zu] `%s`: exited with status %d%s%s", kname, i,
                            h->path, o->si.si_status, sep, o->line);
  signame = nook_signal_name (o->si.si_status);
  return nook_make_error (err, 0, "hook %s[%zu] `%s`: killed by signal %d (%s)%s%s", kname, i,
                          h->path, o->si.si_status, signame ? signame : "unknown", sep, o->line);
}

/* One hook, its failure (if any) in err. */
static int
run_one (const oci_hook *h, enum nook_hook_kind kind, size_t i, const char *state_json,
         int output_fd, nook_error_t *err)
{
  struct hook_outcome o = { 0 };

  if (spawn_and_wait (h, state_json, output_fd, &o, err) < 0)
    return nook_error_wrap (err, "hook %s[%zu] `%s`", nook_hook_kind_name (kind), i, h->path);
  return hook_failure (h, kind, i, &o, err);
}

int
nook_hooks_run_output (const oci_hook *hooks, size_t n, enum nook_hook_kind kind,
                       const char *state_json, int output_fd, nook_error_t *err)
{
  sigset_t saved;
  bool was_pending;
  size_t i;
  int r = 0;

  sigpipe_hold (&saved, &was_pending);
  for (i = 0; i < n && r == 0; i++)
    r = run_one (&hooks[i], kind, i, state_json, output_fd, err);
  sigpipe_release (&saved, was_pending);
  return r;
}

int
nook_hooks_run (const oci_hook *hooks, size_t n, enum nook_hook_kind kind,
                const char *state_json, nook_error_t *err)
{
  return nook_hooks_run_output (hooks, n, kind, state_json, STDERR_FILENO, err);
}

/* Append a later failure to the first: one warning names them all. */
static void
error_append (nook_error_t *err, nook_error_t *more)
{
  char *joined = NULL;

  if (*err == NULL)
    {
      *err = steal_pointer (more);
      return;
    }
  xasprintf (&joined, "%s; %s", (*err)->msg, (*more)->msg);
  free ((*err)->msg);
  (*err)->msg = joined;
  nook_error_release (more);
}

int
nook_hooks_run_all (const oci_hook *hooks, size_t n, enum nook_hook_kind kind,
                    const char *state_json, nook_error_t *err)
{
  sigset_t saved;
  bool was_pending;
  size_t i;
  int r = 0;

  sigpipe_hold (&saved, &was_pending);
  for (i = 0; i < n; i++)
    {
      nook_error_t one = NULL;
      if (run_one (&hooks[i], kind, i, state_json, STDERR_FILENO, &one) < 0)
        {
          error_append (err, &one);
          r = -1;
        }
    }
  sigpipe_release (&saved, was_pending);
  return r;
}

char **
nook_hooks_supported (size_t *n)
{
  size_t i, count = sizeof (HOOK_KINDS) / sizeof (HOOK_KINDS[0]);
  char **out = xmalloc0 (sizeof (char *) * (count + 1));

  for (i = 0; i < count; i++)
    out[i] = xstrdup (nook_hook_kind_name ((enum nook_hook_kind) i));
  *n = count;
  return out;
}
