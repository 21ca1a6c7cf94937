/* nook - terminals: the pty of process.terminal, the console socket, and
 * the relay of `run` in the foreground.
 *
 * The pty is made inside the container, from its own devpts, so the
 * process sees /dev/pts/0 of its own instance (as with runc).  The master
 * leaves the container: to a --console-socket (one message, as runc sends
 * it, so containerd's go-runc and conmon accept it) or to `nook run`,
 * which relays it to its own stdin/stdout.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <linux/magic.h>
#include "terminal.h"
#include "utils.h"

/* runc sends the master under the name it opened it by; receivers keep it
 * as the file's name only. */
#define MASTER_NAME "/dev/ptmx"

/* ---- in the container: the pty ---- */

/* TIOCGPTPEER gives the slave of exactly this master without a path
 * lookup, so nothing mounted over /dev/pts can stand in for it. */
static int
open_pty (int *master, int *slave, nook_error_t *err)
{
  cleanup_close int m = -1;
  struct statfs sfs;
  int unlock = 0, s;

  m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return nook_make_error (err, errno, "open the container's `/dev/ptmx`");
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    return nook_make_error (err, errno, "unlock the pty of `/dev/ptmx`");
  s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return nook_make_error (err, errno, "open the pty slave of `/dev/ptmx`");
  if (fstatfs (s, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC)
    {
      close (s);
      return nook_make_error (err, 0, "the pty slave of `/dev/ptmx` is not on a devpts file system");
    }
  *master = steal_fd (&m);
  *slave = s;
  return 0;
}

static int
apply_console_size (int master, const oci_console_size *size, nook_error_t *err)
{
  struct winsize ws = { 0 };

  /* As runc: a size with a zero in it is no size. */
  if (size == NULL || size->height == 0 || size->width == 0)
    return 0;
  if (size->height > 0xffff || size->width > 0xffff)
    return nook_make_error (err, 0, "process.consoleSize: %ux%u is too large (at most 65535)",
                            size->height, size->width);
  ws.ws_row = (unsigned short) size->height;
  ws.ws_col = (unsigned short) size->width;
  if (ioctl (master, TIOCSWINSZ, &ws) < 0)
    return nook_make_error (err, errno, "apply process.consoleSize");
  return 0;
}

/* An empty file to bind the slave on: the rootfs may have none, or a
 * symlink the container planted (replaced, never followed). */
static int
make_console_target (const char *path, nook_error_t *err)
{
  struct stat st;

  if (fstatat (AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return nook_make_error (err, EISDIR, "bind the terminal on `%s`", path);
      if (!S_ISLNK (st.st_mode))
        return 0;
      if (unlink (path) < 0)
        return nook_make_error (err, errno, "remove the symlink `%s`", path);
    }
  else if (errno != ENOENT)
    return nook_make_error (err, errno, "stat `%s`", path);
  if (mknod (path, S_IFREG | 0666, 0) < 0 && errno != EEXIST)
    return nook_make_error (err, errno, "create `%s`", path);
  if (fchmodat (AT_FDCWD, path, 0666, 0) < 0)
    return nook_make_error (err, errno, "chmod `%s`", path);
  return 0;
}

static int
bind_console (int slave, const char *path, nook_error_t *err)
{
  cleanup_close int tree = -1;

  if (make_console_target (path, err) < 0)
    return -1;
  tree = open_tree (slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return nook_make_error (err, errno, "bind the terminal on `%s`: open_tree", path);
  if (move_mount (tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return nook_make_error (err, errno, "bind the terminal on `%s`", path);
  return 0;
}

/* A new session whose controlling terminal is the slave, on fds 0-2. */
static int
take_terminal (int slave, nook_error_t *err)
{
  int fd;

  if (setsid () < 0 && getsid (0) != getpid ())
    return nook_make_error (err, errno, "start a new session for the terminal");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return nook_make_error (err, errno, "make the pty the controlling terminal");
  for (fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return nook_make_error (err, errno, "make the pty fd %d", fd);
  return 0;
}

int
nook_terminal_setup (const oci_console_size *size, const char *console_path, int *master,
                     nook_error_t *err)
{
  cleanup_close int m = -1;
  cleanup_close int s = -1;

  if (open_pty (&m, &s, err) < 0)
    return -1;
  if (apply_console_size (m, size, err) < 0)
    return -1;
  if (console_path && bind_console (s, console_path, err) < 0)
    return -1;
  if (take_terminal (s, err) < 0)
    return -1;
  if (s <= 2)
    s = -1; /* now one of the stdio fds: stays open */
  *master = steal_fd (&m);
  return 0;
}

int
nook_terminal_chown (uid_t uid, nook_error_t *err)
{
  struct stat st;

  if (fstat (0, &st) < 0)
    return nook_make_error (err, errno, "stat the terminal");
  if (!isatty (0) || st.st_uid == uid)
    return 0;
  /* Only the uid, as runc: devpts gives the tty group.  A uid the user
   * namespace does not map, or a read-only /dev, leaves the owner as is. */
  if (fchown (0, uid, (gid_t) -1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
    return nook_make_error (err, errno, "give the terminal to uid %u", (unsigned) uid);
  return 0;
}

/* ---- on the host: the console socket ---- */

int
nook_terminal_connect_socket (const char *socket_path, int *sock, nook_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (socket_path) >= sizeof (addr.sun_path))
    return nook_make_error (err, ENAMETOOLONG, "console socket `%s`", socket_path);
  strcpy (addr.sun_path, socket_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return nook_make_error (err, errno, "create a socket for the console socket");
  while (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    if (errno != EINTR)
      return nook_make_error (err, errno, "connect to the console socket `%s`", socket_path);
  *sock = steal_fd (&fd);
  return 0;
}

/* One sendmsg: go-runc reads the name and the fd with one recvmsg and
 * wants exactly one SCM_RIGHTS with one fd. */
int
nook_terminal_send_master (int sock, int master, nook_error_t *err)
{
  static const char name[] = MASTER_NAME;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = (void *) name, .iov_len = sizeof (name) - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *cmsg;
  ssize_t r;

  memset (&u, 0, sizeof (u));
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &master, sizeof (int));
  do
    r = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return nook_make_error (err, errno, "send the terminal to the console socket");
  if ((size_t) r != iov.iov_len)
    return nook_make_error (err, 0, "send the terminal to the console socket: short write");
  return 0;
}

int
nook_terminal_send_to_socket (const char *socket_path, int master, nook_error_t *err)
{
  cleanup_close int sock = -1;

  if (nook_terminal_connect_socket (socket_path, &sock, err) < 0)
    return -1;
  return nook_terminal_send_master (sock, master, err);
}

/* ---- on the host: `run` in the foreground relays the terminal ---- */

enum
{
  RELAY_MASTER,
  RELAY_STDIN,
  RELAY_SIGNALS,
  RELAY_PID,
  RELAY_NFDS
};

struct nook_terminal_relay
{
  int master;
  int host_tty;    /* first of stdin/stdout/stderr that is a terminal, or -1 */
  bool raw;        /* stdin was put in raw mode: restore `saved` */
  struct termios saved;
  bool stdin_open;
  bool out_broken; /* stdout is gone: keep reading the master, drop the output */
  bool exited;     /* the container process exited: drain the master, then stop */
  char last_in;    /* last byte sent to the master: does a line wait for EOF? */
  char in[4096];   /* stdin not yet accepted by the master */
  size_t in_len;
  int sigfd;
  int pidfd;
  bool masked; /* old_mask is to be restored */
  sigset_t old_mask;
};

/* The container's output goes to a pipe or a file as is: its newlines need
 * no \r, and our own terminal (with OPOST kept) adds them. */
static void
clear_onlcr (int master)
{
  struct termios t;

  if (tcgetattr (master, &t) == 0)
    {
      t.c_oflag &= ~ONLCR;
      tcsetattr (master, TCSANOW, &t);
    }
}

static void
copy_window_size (struct nook_terminal_relay *r)
{
  struct winsize ws;

  /* A terminal that knows no size (0x0) keeps process.consoleSize. */
  if (r->host_tty < 0 || ioctl (r->host_tty, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0
      || ws.ws_col == 0)
    return;
  ioctl (r->master, TIOCSWINSZ, &ws);
}

/* Raw input, so keys (^C, ^Z, ^D) reach the container's terminal; output
 * processing stays on, as runc's console does. */
static void
make_stdin_raw (struct nook_terminal_relay *r)
{
  struct termios t;

  if (!isatty (0) || tcgetattr (0, &r->saved) < 0)
    return;
  t = r->saved;
  cfmakeraw (&t);
  t.c_oflag |= OPOST;
  if (tcsetattr (0, TCSANOW, &t) < 0)
    {
      nook_warning ("cannot put the terminal in raw mode: %s", strerror (errno));
      return;
    }
  r->raw = true;
}

static int
relay_open (struct nook_terminal_relay *r, int master, nook_error_t *err)
{
  sigset_t mask;
  int flags;

  r->master = master;
  r->host_tty = isatty (0) ? 0 : isatty (1) ? 1 : isatty (2) ? 2 : -1;
  r->stdin_open = true;
  r->last_in = '\n';
  r->sigfd = r->pidfd = -1;
  flags = fcntl (master, F_GETFL);
  if (flags < 0 || fcntl (master, F_SETFL, flags | O_NONBLOCK) < 0)
    return nook_make_error (err, errno, "make the terminal non-blocking");
  /* SIGWINCH becomes a resize (the kernel signals the container's
   * foreground group); SIGPIPE must not kill us while a terminal is raw. */
  sigemptyset (&mask);
  sigaddset (&mask, SIGWINCH);
  sigaddset (&mask, SIGPIPE);
  if (sigprocmask (SIG_BLOCK, &mask, &r->old_mask) < 0)
    return nook_make_error (err, errno, "block SIGWINCH");
  r->masked = true;
  sigdelset (&mask, SIGPIPE);
  r->sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (r->sigfd < 0)
    return nook_make_error (err, errno, "signalfd for SIGWINCH");
  clear_onlcr (master);
  copy_window_size (r);
  make_stdin_raw (r);
  return 0;
}

static void
relay_close (struct nook_terminal_relay *r)
{
  const struct timespec zero = { 0 };
  sigset_t pipe_only;

  if (r->raw)
    tcsetattr (0, TCSANOW, &r->saved);
  if (r->sigfd >= 0)
    close (r->sigfd);
  if (r->pidfd >= 0)
    close (r->pidfd);
  if (!r->masked)
    return;
  /* A SIGPIPE earned while blocked is consumed, not delivered late. */
  sigemptyset (&pipe_only);
  sigaddset (&pipe_only, SIGPIPE);
  while (sigtimedwait (&pipe_only, NULL, &zero) > 0)
    ;
  sigprocmask (SIG_SETMASK, &r->old_mask, NULL);
}

static void
write_output (struct nook_terminal_relay *r, const char *buf, size_t len)
{
  while (len > 0 && !r->out_broken)
    {
      ssize_t w = write (1, buf, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        {
          struct pollfd p = { .fd = 1, .events = POLLOUT };
          poll (&p, 1, -1);
          continue;
        }
      if (w < 0)
        {
          /* The container must not block on a full terminal because
           * nobody reads us: its output is dropped from now on. */
          nook_debug ("terminal relay: stdout: %s; dropping the output", strerror (errno));
          r->out_broken = true;
          return;
        }
      buf += w;
      len -= (size_t) w;
    }
}

/* Returns false once the master reports the end (every slave is closed). */
static bool
relay_output (struct nook_terminal_relay *r)
{
  char buf[65536];

  for (;;)
    {
      ssize_t n = read (r->master, buf, sizeof (buf));
      if (n > 0)
        {
          write_output (r, buf, (size_t) n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      return n < 0 && errno == EAGAIN;
    }
}

/* Our stdin ended (a pipe or file drained, a terminal hung up).  A
 * program reading its terminal line by line gets end-of-file as if ^D
 * was typed: twice when a partial line waits, once to push it out. */
static void
queue_eof (struct nook_terminal_relay *r)
{
  struct termios t;
  bool pending_line;
  int n;

  r->stdin_open = false;
  if (tcgetattr (r->master, &t) < 0 || !(t.c_lflag & ICANON) || t.c_cc[VEOF] == _POSIX_VDISABLE)
    return;
  pending_line = r->last_in != '\n' && !(r->last_in == '\r' && (t.c_iflag & ICRNL));
  for (n = pending_line ? 2 : 1; n > 0 && r->in_len < sizeof (r->in); n--)
    r->in[r->in_len++] = (char) t.c_cc[VEOF];
}

static void
read_stdin (struct nook_terminal_relay *r)
{
  ssize_t n;

  do
    n = read (0, r->in + r->in_len, sizeof (r->in) - r->in_len);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN)
    return;
  if (n <= 0)
    {
      queue_eof (r);
      return;
    }
  r->in_len += (size_t) n;
  r->last_in = r->in[r->in_len - 1];
}

static void
write_input (struct nook_terminal_relay *r)
{
  ssize_t w = write (r->master, r->in, r->in_len);

  if (w < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        r->in_len = 0; /* EIO: the terminal is gone; the output side ends the relay */
      return;
    }
  memmove (r->in, r->in + w, r->in_len - (size_t) w);
  r->in_len -= (size_t) w;
}

static void
take_signals (struct nook_terminal_relay *r)
{
  struct signalfd_siginfo si;

  while (read (r->sigfd, &si, sizeof (si)) == (ssize_t) sizeof (si))
    copy_window_size (r);
}

static void
fill_pollfds (const struct nook_terminal_relay *r, struct pollfd *p)
{
  p[RELAY_MASTER] = (struct pollfd) { .fd = r->master, .events = POLLIN };
  if (r->in_len > 0 && !r->exited)
    p[RELAY_MASTER].events |= POLLOUT;
  /* Stdin is read only when its last bytes are gone: the master sets the
   * pace, so nothing piles up here. */
  p[RELAY_STDIN] = (struct pollfd) { .fd = r->stdin_open && r->in_len == 0 && !r->exited ? 0 : -1,
                                     .events = POLLIN };
  p[RELAY_SIGNALS] = (struct pollfd) { .fd = r->sigfd, .events = POLLIN };
  p[RELAY_PID] = (struct pollfd) { .fd = r->exited ? -1 : r->pidfd, .events = POLLIN };
}

/* How long the output may take to arrive once the container process is
 * gone, when something outside its pid namespace keeps the pty open. */
#define DRAIN_MS 200

static int
relay_loop (struct nook_terminal_relay *r, nook_error_t *err)
{
  struct pollfd p[RELAY_NFDS];

  for (;;)
    {
      int n;

      fill_pollfds (r, p);
      n = poll (p, RELAY_NFDS, r->exited ? DRAIN_MS : -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return nook_make_error (err, errno, "poll the terminal");
      if (n == 0)
        return 0; /* drained */
      if (p[RELAY_MASTER].revents & (POLLIN | POLLHUP | POLLERR) && !relay_output (r))
        return 0;
      if (p[RELAY_MASTER].revents & POLLOUT)
        write_input (r);
      if (p[RELAY_STDIN].revents)
        read_stdin (r);
      if (p[RELAY_SIGNALS].revents)
        take_signals (r);
      if (p[RELAY_PID].revents)
        r->exited = true;
    }
}

int
nook_terminal_relay_prepare (int master, struct nook_terminal_relay **relay, nook_error_t *err)
{
  struct nook_terminal_relay *r = xmalloc0 (sizeof (*r));

  if (relay_open (r, master, err) < 0)
    {
      nook_terminal_relay_free (r);
      return -1;
    }
  *relay = r;
  return 0;
}

int
nook_terminal_relay_run (struct nook_terminal_relay *r, pid_t pid, nook_error_t *err)
{
  int ret = 0;

  if (pid > 0)
    {
      r->pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      if (r->pidfd < 0)
        ret = nook_make_error (err, errno, "pidfd_open %d", (int) pid);
    }
  if (ret == 0)
    ret = relay_loop (r, err);
  nook_terminal_relay_free (r);
  return ret;
}

void
nook_terminal_relay_free (struct nook_terminal_relay *r)
{
  if (r == NULL)
    return;
  relay_close (r);
  free (r);
}

int
nook_terminal_relay (int master, pid_t pid, nook_error_t *err)
{
  struct nook_terminal_relay *r;

  if (nook_terminal_relay_prepare (master, &r, err) < 0)
    return -1;
  return nook_terminal_relay_run (r, pid, err);
}
