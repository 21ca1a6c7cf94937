/* nook - small helpers with no policy. */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "utils.h"

void
cleanup_freep (void *p)
{
  free (*(void **) p);
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

void
cleanup_dirp (void *d)
{
  DIR **dir = d;
  if (*dir)
    closedir (*dir);
}

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t size)
{
  p = realloc (p, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

int
xasprintf (char **out, const char *fmt, ...)
{
  va_list ap;
  int r;
  va_start (ap, fmt);
  r = vasprintf (out, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return r;
}

void
strv_append (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, sizeof (char *) * (*n + 2));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= w;
    }
  return 0;
}

int
read_all_fd (int fd, const char *description, char **out, size_t *len, nook_error_t *err)
{
  size_t size = 0, alloc = 8192;
  char *buf = xmalloc0 (alloc + 1);

  for (;;)
    {
      ssize_t r = read (fd, buf + size, alloc - size);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          free (buf);
          return nook_make_error (err, errno, "read `%s`", description);
        }
      if (r == 0)
        break;
      size += r;
      if (size == alloc)
        {
          alloc *= 2;
          buf = xrealloc (buf, alloc + 1);
        }
    }
  buf[size] = '\0';
  *out = buf;
  if (len)
    *len = size;
  return 0;
}

int
read_all_file_at (int dirfd, const char *path, char **out, size_t *len, nook_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return nook_make_error (err, errno, "open `%s`", path);
  return read_all_fd (fd, path, out, len, err);
}

int
write_file_at (int dirfd, const char *path, const void *data, size_t len, mode_t mode,
               nook_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return nook_make_error (err, errno, "open `%s` for writing", path);
  if (write_all (fd, data, len) < 0)
    return nook_make_error (err, errno, "write `%s`", path);
  return 0;
}

int
write_existing_file_at (int dirfd, const char *name, const char *data, size_t len,
                        nook_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return nook_make_error (err, errno, "open `%s`", name);
  /* cgroup and proc files want one write() per value: no partial writes. */
  if (write (fd, data, len) != (ssize_t) len)
    return nook_make_error (err, errno, "write `%.*s` to `%s`", (int) len, data, name);
  return 0;
}

bool
nook_cache_read (int dirfd, const char *name, const char *key, size_t klen, char **payload,
                 size_t *len)
{
  nook_error_t ignored = NULL;
  char *data = NULL;
  size_t n = 0;

  if (read_all_file_at (dirfd, name, &data, &n, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return false;
    }
  if (n < klen || memcmp (data, key, klen) != 0)
    {
      free (data);
      return false;
    }
  memmove (data, data + klen, n - klen + 1); /* with the NUL */
  *payload = data;
  *len = n - klen;
  return true;
}

int
nook_cache_write (int dirfd, const char *name, const char *key, size_t klen, const void *payload,
                  size_t len, nook_error_t *err)
{
  cleanup_free char *data = xmalloc0 (klen + len);

  memcpy (data, key, klen);
  memcpy (data + klen, payload, len);
  return write_file_atomic_at (dirfd, name, data, klen + len, err);
}

int
write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len,
                      nook_error_t *err)
{
  cleanup_free char *tmp = NULL;
  xasprintf (&tmp, ".%s.tmp", name);
  if (write_file_at (dirfd, tmp, data, len, 0600, err) < 0)
    return -1;
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return nook_make_error (err, saved, "rename `%s` to `%s`", tmp, name);
    }
  return 0;
}

int
mkdir_p (const char *path, mode_t mode, nook_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  char *p;

  for (p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return nook_make_error (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return nook_make_error (err, errno, "mkdir `%s`", copy);
  return 0;
}

static int
remove_dir_contents (int dfd, const char *name, nook_error_t *err)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  int fd = dup (dfd);

  if (fd < 0)
    return nook_make_error (err, errno, "dup fd of `%s`", name);
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return nook_make_error (err, errno, "opendir `%s`", name);
    }
  while ((de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (remove_tree_at (dfd, de->d_name, err) < 0)
        return -1;
    }
  return 0;
}

int
remove_tree_at (int dirfd, const char *name, nook_error_t *err)
{
  cleanup_close int dfd = -1;

  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return nook_make_error (err, errno, "remove `%s`", name);
  /* O_NOFOLLOW|O_DIRECTORY: never follow a symlink out of the tree. */
  dfd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return nook_make_error (err, errno, "open `%s`", name);
  if (remove_dir_contents (dfd, name, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return nook_make_error (err, errno, "rmdir `%s`", name);
  return 0;
}

int
parse_int64 (const char *s, int64_t *out)
{
  char *end;
  long long v;
  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int
parse_uint64 (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

bool
container_id_valid (const char *id)
{
  size_t i, len;
  if (id == NULL)
    return false;
  len = strlen (id);
  if (len == 0 || len > 1024)
    return false;
  for (i = 0; i < len; i++)
    {
      char c = id[i];
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (alnum)
        continue;
      if (i > 0 && strchr ("_.+-", c) != NULL)
        continue;
      return false;
    }
  return true;
}

int
invalid_id_error (const char *id, nook_error_t *err)
{
  cleanup_free char *shown = xmalloc0 (strlen (id) * 4 + 1);
  char *w = shown;
  const unsigned char *p;

  /* One error line, whatever the id holds: control bytes are escaped. */
  for (p = (const unsigned char *) id; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      w += sprintf (w, "\\x%02x", *p);
    else
      *w++ = *p;
  return nook_make_error (err, 0,
                          "invalid container id `%s`: use letters, digits and `_.+-`, "
                          "starting with a letter or digit",
                          shown);
}

int
process_start_time (pid_t pid, uint64_t *out, nook_error_t *err)
{
  char path[64];
  cleanup_free char *buf = NULL;
  char *p;
  int field;

  *out = 0;
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  {
    cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      {
        if (errno == ENOENT || errno == ESRCH)
          return 0;
        return nook_make_error (err, errno, "open `%s`", path);
      }
    if (read_all_fd (fd, path, &buf, NULL, err) < 0)
      {
        /* The process went away between open and read. */
        if ((*err)->status == ESRCH)
          {
            nook_error_release (err);
            return 0;
          }
        return -1;
      }
  }
  /* comm (field 2) may contain spaces and parentheses: skip to the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL)
    return nook_make_error (err, 0, "cannot parse `%s`", path);
  /* p + 1 is the space before field 3; walk to the space before field 22. */
  p++;
  for (field = 3; field < 22 && p; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL || parse_uint64 (strtok (p + 1, " "), out) < 0)
    return nook_make_error (err, 0, "cannot parse start time in `%s`", path);
  return 0;
}

char *
timestamp_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char base[32];
  char *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (base, sizeof (base), "%Y-%m-%dT%H:%M:%S", &tm);
  xasprintf (&out, "%s.%09ldZ", base, ts.tv_nsec);
  return out;
}

static bool
fd_kept (int fd, const int *keep, size_t nkeep)
{
  size_t i;
  for (i = 0; i < nkeep; i++)
    if (keep[i] == fd)
      return true;
  return false;
}

int
close_fds_from (int first, const int *keep, size_t nkeep)
{
  cleanup_dir DIR *dir = opendir ("/proc/self/fd");
  struct dirent *de;
  int dfd;

  if (dir == NULL)
    {
      /* No /proc (e.g. after pivot without proc): the kernel can do it. */
      int fd;
      for (fd = first; fd < 1024; fd++)
        if (!fd_kept (fd, keep, nkeep))
          close (fd);
      return 0;
    }
  dfd = dirfd (dir);
  while ((de = readdir (dir)) != NULL)
    {
      int64_t fd;
      if (parse_int64 (de->d_name, &fd) < 0 || fd < first || fd == dfd)
        continue;
      if (!fd_kept (fd, keep, nkeep))
        close (fd);
    }
  return 0;
}
