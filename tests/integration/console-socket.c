/* console-socket: the receiving end of a --console-socket, for the tests.
 *
 *   console-socket [-d] [-i TEXT] [-o OUT] [-m META] [-t SECONDS] SOCKET
 *
 * Listens on the unix socket path SOCKET, accepts one connection and
 * receives the pty master from one message, checked as containerd's
 * go-runc and conmon check it (exactly one SCM_RIGHTS message carrying one
 * fd; the data is a name).  Then writes TEXT to the master and copies what
 * the master says to OUT (default stdout) until it reports end-of-file or
 * EIO: every process holding the pty slave is gone.
 *
 * META (a file) gets one line per fact, for the tests to check:
 *   name NAME        the message's data
 *   tty 1            the fd received is a terminal
 *   size ROWS COLS   its window size on arrival
 *   eof eio|eof|timeout|error   last, after OUT is complete
 *
 * -d: daemonize once the socket listens (so a test can start the runtime
 * right away): prints the pid of the process that stays, exits 0.
 * -t: give up after SECONDS (default 60), so a test never hangs on it.
 * Exit status: 0 when the master was received and read to its end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

struct options
{
  const char *socket_path;
  const char *input;
  const char *out_path;
  const char *meta_path;
  unsigned timeout;
  int daemonize;
};

static FILE *meta;

static void
die (const char *what)
{
  fprintf (stderr, "console-socket: %s: %s\n", what, strerror (errno));
  if (meta)
    fprintf (meta, "eof error\n");
  exit (1);
}

static void
on_alarm (int sig)
{
  static const char msg[] = "eof timeout\n";
  (void) sig;
  if (meta)
    {
      /* async-signal-safe: the FILE buffer is flushed after every line. */
      ssize_t r = write (fileno (meta), msg, sizeof msg - 1);
      (void) r;
    }
  _exit (2);
}

static int
listen_on (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      errno = ENAMETOOLONG;
      die (path);
    }
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die ("socket");
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    die (path);
  if (listen (fd, 1) < 0)
    die ("listen");
  return fd;
}

/* One recvmsg, as go-runc's recvFd: the name and the fd arrive together. */
static int
receive_master (int conn)
{
  char name[4096];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof u.buf };
  struct cmsghdr *cmsg;
  ssize_t n;
  int fd;

  do
    n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    die ("recvmsg");
  if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
    {
      errno = EMSGSIZE;
      die ("message truncated");
    }
  cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS
      || cmsg->cmsg_len != CMSG_LEN (sizeof (int)) || CMSG_NXTHDR (&msg, cmsg) != NULL)
    {
      errno = EPROTO;
      die ("expected one SCM_RIGHTS message with one fd");
    }
  memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
  name[n] = '\0';
  fprintf (meta, "name %s\n", name);
  return fd;
}

static void
report_terminal (int master)
{
  struct winsize ws;

  fprintf (meta, "tty %d\n", isatty (master));
  if (ioctl (master, TIOCGWINSZ, &ws) == 0)
    fprintf (meta, "size %u %u\n", ws.ws_row, ws.ws_col);
}

static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, buf, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      buf += w;
      len -= (size_t) w;
    }
  return 0;
}

static const char *
copy_until_end (int master, int out)
{
  char buf[65536];

  for (;;)
    {
      ssize_t r = read (master, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EIO)
        return "eio";
      if (r < 0)
        die ("read the master");
      if (r == 0)
        return "eof";
      if (write_all (out, buf, (size_t) r) < 0)
        die ("write the output");
    }
}

/* Returns in the parent only when not daemonizing. */
static void
maybe_daemonize (const struct options *o)
{
  int ready[2];
  pid_t pid;
  char c;

  if (!o->daemonize)
    return;
  if (pipe2 (ready, O_CLOEXEC) < 0)
    die ("pipe");
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid > 0)
    {
      close (ready[1]);
      /* The child writes once it listens; EOF means it failed. */
      if (read (ready[0], &c, 1) != 1)
        exit (1);
      printf ("%d\n", (int) pid);
      exit (0);
    }
  close (ready[0]);
  setsid ();
  /* Whoever captures our stdout (a $(...)) must not wait for the daemon. */
  {
    int null = open ("/dev/null", O_RDWR);
    if (null < 0)
      die ("open /dev/null");
    dup2 (null, 0);
    dup2 (null, 1);
    close (null);
  }
  /* Handed back through ready[1] by main once listening. */
  dup2 (ready[1], 100);
  close (ready[1]);
}

static void
parse_options (int argc, char **argv, struct options *o)
{
  int c;

  o->timeout = 60;
  while ((c = getopt (argc, argv, "di:o:m:t:")) != -1)
    switch (c)
      {
      case 'd': o->daemonize = 1; break;
      case 'i': o->input = optarg; break;
      case 'o': o->out_path = optarg; break;
      case 'm': o->meta_path = optarg; break;
      case 't': o->timeout = (unsigned) strtoul (optarg, NULL, 10); break;
      default:
        fprintf (stderr, "usage: console-socket [-d] [-i TEXT] [-o OUT] [-m META] [-t SECONDS] "
                         "SOCKET\n");
        exit (2);
      }
  if (optind != argc - 1)
    {
      fprintf (stderr, "console-socket: one SOCKET path expected\n");
      exit (2);
    }
  if (o->daemonize && o->out_path == NULL)
    {
      fprintf (stderr, "console-socket: -d needs -o\n");
      exit (2);
    }
  o->socket_path = argv[optind];
}

int
main (int argc, char **argv)
{
  struct options o = { 0 };
  int lfd, conn, master, out = 1;
  const char *how;

  parse_options (argc, argv, &o);
  meta = fopen (o.meta_path ? o.meta_path : "/dev/null", "w");
  if (meta == NULL)
    die ("open the meta file");
  setvbuf (meta, NULL, _IOLBF, 0);
  if (o.out_path)
    {
      out = open (o.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out < 0)
        die (o.out_path);
    }
  signal (SIGALRM, on_alarm);
  signal (SIGPIPE, SIG_IGN);
  maybe_daemonize (&o);
  lfd = listen_on (o.socket_path);
  if (o.daemonize)
    {
      if (write (100, "1", 1) != 1)
        die ("tell the parent");
      close (100);
    }
  alarm (o.timeout);
  do
    conn = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0)
    die ("accept");
  close (lfd);
  unlink (o.socket_path);
  master = receive_master (conn);
  close (conn);
  report_terminal (master);
  if (o.input && write_all (master, o.input, strlen (o.input)) < 0)
    die ("write the input to the master");
  how = copy_until_end (master, out);
  fprintf (meta, "eof %s\n", how);
  return 0;
}
