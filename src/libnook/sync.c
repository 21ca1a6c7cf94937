/* nook - the create protocol's messages (see sync.h for the sequence). */
#include <config.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sync.h"
#include "utils.h"

#define SYNC_MSG_MAX 4096

struct sync_header
{
  uint32_t type;
  int32_t status; /* errno of a CHILD_ERROR */
};

static const char *const sync_names[] = {
  [NOOK_SYNC_EOF] = "end-of-file",
  [NOOK_SYNC_PARENT_SETUP_DONE] = "PARENT_SETUP_DONE",
  [NOOK_SYNC_CHILD_READY] = "CHILD_READY",
  [NOOK_SYNC_CHILD_ERROR] = "CHILD_ERROR",
  [NOOK_SYNC_CHILD_HOOKS] = "CHILD_HOOKS",
  [NOOK_SYNC_PARENT_HOOKS_DONE] = "PARENT_HOOKS_DONE",
  [NOOK_SYNC_CHILD_CONSOLE] = "CHILD_CONSOLE",
  [NOOK_SYNC_CHILD_SECCOMP] = "CHILD_SECCOMP",
};

static const char *
sync_name (uint32_t type)
{
  if (type < sizeof (sync_names) / sizeof (sync_names[0]) && sync_names[type])
    return sync_names[type];
  return "unknown";
}

int
nook_sync_pair (int fds[2], nook_error_t *err)
{
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return nook_make_error (err, errno, "create sync socketpair");
  return 0;
}

static int
send_packet (int fd, uint32_t type, int32_t status, const char *msg, int passed)
{
  char buf[SYNC_MSG_MAX];
  char control[CMSG_SPACE (sizeof (int))];
  struct sync_header h = { .type = type, .status = status };
  size_t len = msg ? strnlen (msg, sizeof (buf) - sizeof (h) - 1) : 0;
  struct iovec iov;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t r;

  memcpy (buf, &h, sizeof (h));
  if (len)
    memcpy (buf + sizeof (h), msg, len);
  iov.iov_base = buf;
  iov.iov_len = sizeof (h) + len;
  if (passed >= 0)
    {
      struct cmsghdr *c;
      memset (control, 0, sizeof (control));
      mh.msg_control = control;
      mh.msg_controllen = sizeof (control);
      c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &passed, sizeof (int));
    }
  do
    r = sendmsg (fd, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int
nook_sync_send (int fd, enum nook_sync_type type, nook_error_t *err)
{
  if (send_packet (fd, type, 0, NULL, -1) < 0)
    return nook_make_error (err, errno, "send %s on the sync socket", sync_name (type));
  return 0;
}

int
nook_sync_send_fd (int fd, enum nook_sync_type type, int passed, nook_error_t *err)
{
  if (send_packet (fd, type, 0, NULL, passed) < 0)
    return nook_make_error (err, errno, "send %s on the sync socket", sync_name (type));
  return 0;
}

void
nook_sync_send_error (int fd, nook_error_t *child_err)
{
  if (child_err == NULL || *child_err == NULL)
    return;
  /* The message already carries strerror; status lets the parent keep errno. */
  (void) send_packet (fd, NOOK_SYNC_CHILD_ERROR, (*child_err)->status, (*child_err)->msg, -1);
  nook_error_release (child_err);
}

static int
received_fd (struct msghdr *mh)
{
  struct cmsghdr *c;
  int passed = -1;

  for (c = CMSG_FIRSTHDR (mh); c; c = CMSG_NXTHDR (mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
        && c->cmsg_len == CMSG_LEN (sizeof (int)))
      memcpy (&passed, CMSG_DATA (c), sizeof (int));
  return passed;
}

int
nook_sync_recv (int fd, enum nook_sync_type *type, int *passed, nook_error_t *err)
{
  char buf[SYNC_MSG_MAX + 1];
  char control[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = buf, .iov_len = SYNC_MSG_MAX };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof (control) };
  struct sync_header h;
  ssize_t r;

  *passed = -1;
  do
    r = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return nook_make_error (err, errno, "read the sync socket");
  if (r == 0)
    {
      *type = NOOK_SYNC_EOF;
      return 0;
    }
  if ((size_t) r < sizeof (h))
    return nook_make_error (err, 0, "short message on the sync socket (%zd bytes)", r);
  memcpy (&h, buf, sizeof (h));
  buf[r] = '\0';
  *passed = received_fd (&mh);
  *type = h.type;
  if (h.type == NOOK_SYNC_CHILD_ERROR)
    {
      /* Rebuild the child's error as is: its text already has strerror. */
      int ret = nook_make_error (err, 0, "%s", buf + sizeof (h));
      (*err)->status = h.status;
      return ret;
    }
  return 0;
}

int
nook_sync_expect (int fd, enum nook_sync_type expected, nook_error_t *err)
{
  enum nook_sync_type type;
  int passed;

  if (nook_sync_recv (fd, &type, &passed, err) < 0)
    return -1;
  if (passed >= 0)
    close (passed);
  if (type == NOOK_SYNC_EOF)
    return nook_make_error (err, 0, "container init exited before it was ready");
  if (type != expected)
    return nook_make_error (err, 0, "sync protocol: expected %s, got %s", sync_name (expected),
                            sync_name (type));
  return 0;
}

const char *
nook_sync_name (enum nook_sync_type type)
{
  return sync_name (type);
}

int
nook_sync_unexpected (enum nook_sync_type type, int passed, const char *from, nook_error_t *err)
{
  if (passed >= 0)
    close (passed);
  return nook_make_error (err, 0, "sync protocol: unexpected %s from %s", sync_name (type), from);
}
