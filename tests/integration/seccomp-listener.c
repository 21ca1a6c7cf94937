/* A seccomp agent for the integration tests (seccomp.bats):
 *
 *   seccomp-listener SOCKET OUTDIR errno:N|continue [COUNT]
 *
 * Listens on the unix stream socket SOCKET, takes one connection from the
 * runtime, receives the notify fd (SCM_RIGHTS) and the container process
 * state JSON, writes the JSON to OUTDIR/state.json and the number of fds
 * that came with it to OUTDIR/nfds, then answers COUNT notifications
 * (default 1): with -N (the syscall fails with errno N) or with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE.  Each answered notification appends
 * "SYSCALL_NR PID" to OUTDIR/notifications.  OUTDIR/ready appears once it
 * listens.  Exits 0 after COUNT answers, 1 on any error (printed).
 * The state ends with the connection or with its closing brace.
 * Linked statically like the other test helpers; it runs on the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/seccomp.h>

static const char *outdir;

static void
die (const char *what)
{
  fprintf (stderr, "seccomp-listener: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
write_out (const char *name, const char *data, size_t len, int flags)
{
  char path[4096];
  int fd;

  snprintf (path, sizeof (path), "%s/%s", outdir, name);
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
  if (fd < 0 || write (fd, data, len) != (ssize_t) len)
    die (path);
  close (fd);
}

static int
listen_on (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (s < 0)
    die ("socket");
  if (strlen (path) >= sizeof (addr.sun_path))
    {
      errno = ENAMETOOLONG;
      die (path);
    }
  strcpy (addr.sun_path, path);
  unlink (path);
  if (bind (s, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (s, 1) < 0)
    die (path);
  write_out ("ready", "", 0, O_TRUNC);
  return s;
}

/* True once buf holds a whole JSON object: the spec says the runtime
 * closes the connection after sending, but runc 1.1.5 keeps it open, and
 * an agent should not depend on either. */
static int
json_complete (const char *buf, size_t len)
{
  int depth = 0, in_string = 0, escaped = 0;
  size_t i;

  for (i = 0; i < len; i++)
    {
      char ch = buf[i];
      if (in_string)
        {
          if (escaped)
            escaped = 0;
          else if (ch == '\\')
            escaped = 1;
          else if (ch == '"')
            in_string = 0;
        }
      else if (ch == '"')
        in_string = 1;
      else if (ch == '{' || ch == '[')
        depth++;
      else if ((ch == '}' || ch == ']') && --depth == 0)
        return 1;
    }
  return 0;
}

/* The state JSON and the fd that comes with its first bytes. */
static int
receive_state (int conn)
{
  static char json[1 << 16];
  char control[CMSG_SPACE (4 * sizeof (int))];
  size_t len = 0;
  int notify = -1, nfds = 0;
  char nfds_text[16];

  for (;;)
    {
      struct iovec iov = { .iov_base = json + len, .iov_len = sizeof (json) - 1 - len };
      struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                           .msg_controllen = sizeof (control) };
      struct cmsghdr *c;
      ssize_t r = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        die ("recvmsg");
      for (c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
          {
            int n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
            if (notify < 0 && n > 0)
              memcpy (&notify, CMSG_DATA (c), sizeof (int));
            nfds += n;
          }
      if (r == 0)
        break;
      len += r;
      if (len == sizeof (json) - 1 || json_complete (json, len))
        break;
    }
  write_out ("state.json", json, len, O_TRUNC);
  snprintf (nfds_text, sizeof (nfds_text), "%d\n", nfds);
  write_out ("nfds", nfds_text, strlen (nfds_text), O_TRUNC);
  if (notify < 0)
    {
      errno = EBADMSG;
      die ("no fd came with the state");
    }
  return notify;
}

static void
answer (int notify, int error, unsigned flags)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  char line[64];

  memset (&req, 0, sizeof (req));
  while (ioctl (notify, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    {
      if (errno != EINTR)
        die ("SECCOMP_IOCTL_NOTIF_RECV");
      memset (&req, 0, sizeof (req));
    }
  memset (&resp, 0, sizeof (resp));
  resp.id = req.id;
  resp.error = error;
  resp.flags = flags;
  if (ioctl (notify, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
    die ("SECCOMP_IOCTL_NOTIF_SEND");
  snprintf (line, sizeof (line), "%d %u\n", req.data.nr, req.pid);
  write_out ("notifications", line, strlen (line), O_APPEND);
}

int
main (int argc, char **argv)
{
  int s, conn, notify, error = 0, count = 1, i;
  unsigned flags = 0;

  if (argc < 4 || argc > 5)
    {
      fprintf (stderr, "usage: seccomp-listener SOCKET OUTDIR errno:N|continue [COUNT]\n");
      return 2;
    }
  outdir = argv[2];
  if (strncmp (argv[3], "errno:", 6) == 0)
    error = -atoi (argv[3] + 6);
  else if (strcmp (argv[3], "continue") == 0)
    flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else
    {
      fprintf (stderr, "seccomp-listener: unknown answer `%s`\n", argv[3]);
      return 2;
    }
  if (argc == 5)
    count = atoi (argv[4]);
  s = listen_on (argv[1]);
  do
    conn = accept4 (s, NULL, NULL, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  if (conn < 0)
    die ("accept");
  notify = receive_state (conn);
  close (conn);
  close (s);
  for (i = 0; i < count; i++)
    answer (notify, error, flags);
  return 0;
}
