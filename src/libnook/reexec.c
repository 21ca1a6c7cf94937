/* nook - re-execute from a sealed memfd (see reexec.h).
 *
 * Only where a container process could reach a nook process before it
 * execs: `exec` (it joins a running container) and containers that share a
 * pid namespace or may hold CAP_SYS_PTRACE.  Elsewhere the container init
 * is alone in a new pid namespace and not dumpable, and nobody in the
 * container can open its /proc/PID/exe; the copy would only cost time. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include "reexec.h"
#include "utils.h"

extern char **environ;

#define NOOK_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* Parsed once in main(), like the global options. */
static char **saved_argv;

void
nook_reexec_init (char **argv)
{
  saved_argv = argv;
}

bool
nook_running_sealed (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int seals;

  if (fd < 0)
    return false;
  seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & NOOK_SEALS) == NOOK_SEALS;
}

static int
copy_binary (int from, int to, nook_error_t *err)
{
  struct stat st;
  off_t off = 0;

  if (fstat (from, &st) < 0)
    return nook_make_error (err, errno, "stat /proc/self/exe");
  while (off < st.st_size)
    {
      ssize_t n = sendfile (to, from, &off, st.st_size - off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return nook_make_error (err, n < 0 ? errno : EIO, "copy nook's binary into a memfd");
    }
  return 0;
}

int
nook_reexec_sealed (nook_error_t *err)
{
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;

  if (saved_argv == NULL)
    return nook_make_error (err, 0, "re-exec: arguments unknown");
  if (exe < 0)
    return nook_make_error (err, errno, "open /proc/self/exe");
  mfd = memfd_create ("nook", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return nook_make_error (err, errno, "memfd_create");
  if (copy_binary (exe, mfd, err) < 0)
    return -1;
  if (fcntl (mfd, F_ADD_SEALS, NOOK_SEALS) < 0)
    return nook_make_error (err, errno, "seal the memfd copy of nook");
  fexecve (mfd, saved_argv, environ);
  return nook_make_error (err, errno, "re-execute nook from its sealed copy");
}
