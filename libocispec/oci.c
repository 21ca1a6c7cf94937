/* libocispec - the public API of oci.h on top of the walker. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"
#include "oci-walker.h"

const char *
oci_map_get (const oci_map *m, const char *key)
{
  size_t i;

  if (m == NULL || key == NULL)
    return NULL;
  for (i = 0; i < m->len; i++)
    if (m->keys[i] && strcmp (m->keys[i], key) == 0)
      return m->values[i];
  return NULL;
}

static int
file_error (char **errmsg, const char *what, const char *path, const char *detail)
{
  if (asprintf (errmsg, "%s `%s`: %s", what, path, detail) < 0)
    *errmsg = strdup ("out of memory");
  return -1;
}

static int
read_whole_fd (int fd, char **out, size_t *out_len)
{
  size_t len = 0, cap = 0;
  char *buf = NULL;

  for (;;)
    {
      ssize_t n;

      if (cap - len < 4096)
        {
          char *nbuf = realloc (buf, cap ? cap * 2 : 16384);
          if (nbuf == NULL)
            {
              free (buf);
              errno = ENOMEM;
              return -1;
            }
          buf = nbuf;
          cap = cap ? cap * 2 : 16384;
        }
      n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          free (buf);
          return -1;
        }
      if (n == 0)
        break;
      len += n;
    }
  *out = buf;
  *out_len = len;
  return 0;
}

/* Errors name the file: "open `/b/config.json`: No such file or directory",
 * "parse `/b/config.json`: process.cwd: required field missing". */
static int
parse_file (const oci_desc *desc, const char *path, void **out, char **errmsg)
{
  oci_cleanup_free char *data = NULL;
  oci_cleanup_free char *msg = NULL;
  size_t len = 0;
  int fd, r;

  *out = NULL;
  *errmsg = NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return file_error (errmsg, "open", path, strerror (errno));
  r = read_whole_fd (fd, &data, &len);
  if (r < 0)
    {
      int saved = errno;
      close (fd);
      return file_error (errmsg, "read", path, strerror (saved));
    }
  close (fd);
  if (oci_walk_parse (desc, data, len, out, &msg) < 0)
    return file_error (errmsg, "parse", path, msg);
  return 0;
}

#define OCI_DEFINE_DOCUMENT(name)                                                          \
  int name##_parse_data (const char *data, size_t len, name **out, char **errmsg)        \
  {                                                                                        \
    void *doc = NULL;                                                                      \
    int r = oci_walk_parse (&name##_desc, data, len, &doc, errmsg);                        \
    *out = doc;                                                                            \
    return r;                                                                              \
  }                                                                                        \
  int name##_parse_file (const char *path, name **out, char **errmsg)                    \
  {                                                                                        \
    void *doc = NULL;                                                                      \
    int r = parse_file (&name##_desc, path, &doc, errmsg);                                 \
    *out = doc;                                                                            \
    return r;                                                                              \
  }                                                                                        \
  int name##_generate (const name *doc, bool pretty, char **json, size_t *len,            \
                       char **errmsg)                                                     \
  {                                                                                        \
    return oci_walk_generate (&name##_desc, doc, pretty, json, len, errmsg);              \
  }                                                                                        \
  void name##_free (name *doc) { oci_walk_free (&name##_desc, doc); }

OCI_DEFINE_DOCUMENT (oci_container)
OCI_DEFINE_DOCUMENT (oci_process)
OCI_DEFINE_DOCUMENT (oci_state)
OCI_DEFINE_DOCUMENT (oci_features)
