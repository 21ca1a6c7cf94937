/* nook - the create protocol's messages (see sync.h for the sequence). */
#include <config.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
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
  [NOOK_SYNC_PARENT_CGROUP_DONE] = "PARENT_CGROUP_DONE",
  [NOOK_SYNC_CHILD_READY] = "CHILD_READY",
  [NOOK_SYNC_CHILD_ERROR] = "CHILD_ERROR",
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
send_packet (int fd, uint32_t type, int32_t status, const char *msg)
{
  char buf[SYNC_MSG_MAX];
  struct sync_header h = { .type = type, .status = status };
  size_t len = msg ? strnlen (msg, sizeof (buf) - sizeof (h) - 1) : 0;
  ssize_t r;

  memcpy (buf, &h, sizeof (h));
  if (len)
    memcpy (buf + sizeof (h), msg, len);
  do
    r = send (fd, buf, sizeof (h) + len, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int
nook_sync_send (int fd, enum nook_sync_type type, nook_error_t *err)
{
  if (send_packet (fd, type, 0, NULL) < 0)
    return nook_make_error (err, errno, "send %s on the sync socket", sync_name (type));
  return 0;
}

void
nook_sync_send_error (int fd, nook_error_t *child_err)
{
  if (child_err == NULL || *child_err == NULL)
    return;
  /* The message already carries strerror; status lets the parent keep errno. */
  (void) send_packet (fd, NOOK_SYNC_CHILD_ERROR, (*child_err)->status, (*child_err)->msg);
  nook_error_release (child_err);
}

int
nook_sync_expect (int fd, enum nook_sync_type expected, nook_error_t *err)
{
  char buf[SYNC_MSG_MAX + 1];
  struct sync_header h;
  ssize_t r;

  do
    r = recv (fd, buf, SYNC_MSG_MAX, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return nook_make_error (err, errno, "wait for %s on the sync socket", sync_name (expected));
  if (r == 0)
    return nook_make_error (err, 0, "container init exited before it was ready");
  if ((size_t) r < sizeof (h))
    return nook_make_error (err, 0, "short message on the sync socket (%zd bytes)", r);
  memcpy (&h, buf, sizeof (h));
  buf[r] = '\0';
  if (h.type == NOOK_SYNC_CHILD_ERROR)
    {
      /* Rebuild the child's error as is: its text already has strerror. */
      int ret = nook_make_error (err, 0, "%s", buf + sizeof (h));
      (*err)->status = h.status;
      return ret;
    }
  if (h.type != (uint32_t) expected)
    return nook_make_error (err, 0, "sync protocol: expected %s, got %s", sync_name (expected),
                            sync_name (h.type));
  return 0;
}
