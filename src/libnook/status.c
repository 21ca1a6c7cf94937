/* nook - the state directory (see status.h). */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include "status.h"
#include "utils.h"

#define STATUS_FILE "status.json"
/* The cgroup a create or restore is about to make, written before the
 * first directory exists: a create killed before status.json leaves a
 * "creating" container whose cgroups delete can still find. */
#define CGROUP_FILE "cgroup.json"

static const char *const status_names[] = {
  [NOOK_STATUS_CREATING] = "creating",
  [NOOK_STATUS_CREATED] = "created",
  [NOOK_STATUS_RUNNING] = "running",
  [NOOK_STATUS_STOPPED] = "stopped",
  [NOOK_STATUS_PAUSED] = "paused",
};

const char *
nook_status_name (enum nook_container_status s)
{
  return status_names[s];
}

static int
lock_dir (int dirfd, const char *id, nook_error_t *err)
{
  int r;
  do
    r = flock (dirfd, LOCK_EX);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return nook_make_error (err, errno, "lock the state of container `%s`", id);
  return 0;
}

int
nook_status_create_dir (const char *root, const char *id, int *dirfd, nook_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  if (mkdir_p (root, 0700, err) < 0)
    return nook_error_wrap (err, "create state root");
  xasprintf (&path, "%s/%s", root, id);
  if (mkdir (path, 0700) < 0)
    {
      if (errno == EEXIST)
        return nook_make_error (err, 0, "container `%s` already exists", id);
      return nook_make_error (err, errno, "create state directory `%s`", path);
    }
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return nook_make_error (err, errno, "open state directory `%s`", path);
  if (lock_dir (fd, id, err) < 0)
    return -1;
  *dirfd = steal_fd (&fd);
  return 0;
}

int
nook_status_open_dir (const char *root, const char *id, bool lock, int *dirfd, nook_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  if (!container_id_valid (id))
    return invalid_id_error (id, err);
  xasprintf (&path, "%s/%s", root, id);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          /* errno kept for callers (delete --force), not printed. */
          nook_make_error (err, 0, "container `%s` does not exist", id);
          (*err)->status = ENOENT;
          return -1;
        }
      return nook_make_error (err, errno, "open state directory `%s`", path);
    }
  if (lock && lock_dir (fd, id, err) < 0)
    return -1;
  *dirfd = steal_fd (&fd);
  return 0;
}

int
nook_status_remove_dir (const char *root, const char *id, nook_error_t *err)
{
  cleanup_close int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return errno == ENOENT ? 0 : nook_make_error (err, errno, "open state root `%s`", root);
  return remove_tree_at (rootfd, id, err);
}

static void
gen_string (yajl_gen g, const char *key, const char *value)
{
  if (value == NULL)
    return;
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
  yajl_gen_string (g, (const unsigned char *) value, strlen (value));
}

static void
gen_integer (yajl_gen g, const char *key, long long value)
{
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
  yajl_gen_integer (g, value);
}

static void
gen_annotations (yajl_gen g, const oci_map *m)
{
  size_t i;
  yajl_gen_string (g, (const unsigned char *) "annotations", 11);
  yajl_gen_map_open (g);
  for (i = 0; i < m->len; i++)
    gen_string (g, m->keys[i], m->values[i]);
  yajl_gen_map_close (g);
}

int
nook_status_write (int dirfd, const struct nook_status *st, nook_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int ret;

  yajl_gen_map_open (g);
  gen_string (g, "id", st->id);
  gen_integer (g, "pid", st->pid);
  /* Start times exceed 2^53 never in practice; stored as an integer. */
  gen_integer (g, "pidStartTime", (long long) st->pid_start_time);
  gen_string (g, "bundle", st->bundle);
  gen_string (g, "rootfs", st->rootfs);
  gen_string (g, "created", st->created);
  gen_string (g, "owner", st->owner);
  gen_string (g, "cgroupManager", st->cgroup_manager);
  gen_string (g, "cgroupPath", st->cgroup_path);
  gen_annotations (g, &st->annotations);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  ret = write_file_atomic_at (dirfd, STATUS_FILE, buf, len, err);
  yajl_gen_free (g);
  return ret;
}

int
nook_status_write_cgroup (int dirfd, const char *manager, const char *path, nook_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int ret;

  yajl_gen_map_open (g);
  gen_string (g, "cgroupManager", manager);
  gen_string (g, "cgroupPath", path);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  /* A new file, not a rename over one: no flush on ext4.  A torn write
   * (create killed mid-way) reads back as no record. */
  ret = write_file_at (dirfd, CGROUP_FILE, buf, len, 0600, err);
  yajl_gen_free (g);
  return ret;
}

static char *
tree_string (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_integer (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

static void
tree_annotations (yajl_val root, oci_map *m)
{
  const char *path[] = { "annotations", NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_object);
  size_t i;

  if (v == NULL)
    return;
  m->keys = xmalloc0 (sizeof (char *) * (v->u.object.len + 1));
  m->values = xmalloc0 (sizeof (char *) * (v->u.object.len + 1));
  for (i = 0; i < v->u.object.len; i++)
    {
      if (!YAJL_IS_STRING (v->u.object.values[i]))
        continue;
      m->keys[m->len] = xstrdup (v->u.object.keys[i]);
      m->values[m->len] = xstrdup (YAJL_GET_STRING (v->u.object.values[i]));
      m->len++;
    }
}

static char *
owner_name (void)
{
  struct passwd *pw = getpwuid (geteuid ());
  char *s = NULL;
  if (pw)
    return xstrdup (pw->pw_name);
  xasprintf (&s, "#%u", (unsigned) geteuid ());
  return s;
}

int
nook_status_write_ready (int dirfd, struct nook_status *st, nook_error_t *err)
{
  cleanup_free char *created = timestamp_rfc3339 ();
  cleanup_free char *owner = owner_name ();
  int r;

  st->initialized = true;
  st->created = created;
  st->owner = owner;
  r = process_start_time (st->pid, &st->pid_start_time, err);
  if (r == 0)
    r = nook_status_write (dirfd, st, err);
  st->created = st->owner = NULL;
  return r;
}

/* cgroup.json of a container still (or forever) "creating"; absent or
 * torn means no cgroup was made yet. */
static void
read_cgroup_record (int dirfd, struct nook_status *st)
{
  cleanup_free char *data = NULL;
  nook_error_t ignored = NULL;
  yajl_val root;

  if (read_all_file_at (dirfd, CGROUP_FILE, &data, NULL, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return;
    }
  root = yajl_tree_parse (data, NULL, 0);
  if (root == NULL)
    return;
  st->cgroup_manager = tree_string (root, "cgroupManager");
  st->cgroup_path = tree_string (root, "cgroupPath");
  if (st->cgroup_manager == NULL || st->cgroup_path == NULL)
    {
      free (st->cgroup_manager);
      free (st->cgroup_path);
      st->cgroup_manager = st->cgroup_path = NULL;
    }
  yajl_tree_free (root);
}

int
nook_status_read (int dirfd, const char *id, struct nook_status *st, nook_error_t *err)
{
  cleanup_free char *data = NULL;
  char errbuf[256];
  yajl_val root;

  memset (st, 0, sizeof (*st));
  if (read_all_file_at (dirfd, STATUS_FILE, &data, NULL, err) < 0)
    {
      /* The directory exists but create has not written its state yet. */
      if ((*err)->status == ENOENT)
        {
          nook_error_release (err);
          st->id = xstrdup (id);
          read_cgroup_record (dirfd, st);
          return 0;
        }
      return nook_error_wrap (err, "read state of container `%s`", id);
    }
  root = yajl_tree_parse (data, errbuf, sizeof (errbuf));
  if (root == NULL)
    return nook_make_error (err, 0, "state of container `%s` is corrupt: %s", id, errbuf);
  st->id = xstrdup (id);
  st->pid = tree_integer (root, "pid");
  st->pid_start_time = tree_integer (root, "pidStartTime");
  st->initialized = true;
  st->bundle = tree_string (root, "bundle");
  st->rootfs = tree_string (root, "rootfs");
  st->created = tree_string (root, "created");
  st->owner = tree_string (root, "owner");
  st->cgroup_manager = tree_string (root, "cgroupManager");
  st->cgroup_path = tree_string (root, "cgroupPath");
  tree_annotations (root, &st->annotations);
  yajl_tree_free (root);
  return 0;
}

void
nook_status_free (struct nook_status *st)
{
  size_t i;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_manager);
  free (st->cgroup_path);
  for (i = 0; i < st->annotations.len; i++)
    {
      free (st->annotations.keys[i]);
      free (st->annotations.values[i]);
    }
  free (st->annotations.keys);
  free (st->annotations.values);
  memset (st, 0, sizeof (*st));
}

/* A zombie has finished running: it counts as stopped. */
static int
process_is_ours (const struct nook_status *st, bool *alive, nook_error_t *err)
{
  uint64_t start;
  char path[64], buf[512];
  ssize_t n;
  char *p;
  cleanup_close int fd = -1;

  *alive = false;
  if (st->pid <= 0)
    return 0;
  if (process_start_time (st->pid, &start, err) < 0)
    return -1;
  if (start == 0 || start != st->pid_start_time)
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) st->pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  *alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
  return 0;
}

int
nook_status_compute (int dirfd, const struct nook_status *st, enum nook_container_status *out,
                     nook_error_t *err)
{
  bool alive;
  struct stat sb;

  if (process_is_ours (st, &alive, err) < 0)
    return -1;
  if (!st->initialized)
    *out = alive || st->pid == 0 ? NOOK_STATUS_CREATING : NOOK_STATUS_STOPPED;
  else if (!alive)
    *out = NOOK_STATUS_STOPPED;
  else if (fstatat (dirfd, NOOK_EXEC_SOCKET, &sb, AT_SYMLINK_NOFOLLOW) == 0)
    *out = NOOK_STATUS_CREATED;
  else
    *out = NOOK_STATUS_RUNNING;
  return 0;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
nook_status_list_ids (const char *root, char ***ids, size_t *n, nook_error_t *err)
{
  cleanup_dir DIR *dir = opendir (root);
  struct dirent *de;
  size_t count = 0, alloc = 16;
  char **out;

  *ids = NULL;
  *n = 0;
  if (dir == NULL)
    return errno == ENOENT ? 0 : nook_make_error (err, errno, "open state root `%s`", root);
  out = xmalloc0 (sizeof (char *) * alloc);
  while ((de = readdir (dir)) != NULL)
    {
      if (de->d_type != DT_DIR || !container_id_valid (de->d_name))
        continue;
      if (count + 1 >= alloc)
        out = xrealloc (out, sizeof (char *) * (alloc *= 2));
      out[count++] = xstrdup (de->d_name);
    }
  qsort (out, count, sizeof (char *), compare_strings);
  *ids = out;
  *n = count;
  return 0;
}

int
nook_state_json (const char *id, const char *status, pid_t pid, const char *bundle,
                 const oci_map *annotations, char **json, nook_error_t *err)
{
  cleanup_free char *msg = NULL;
  oci_state st = {
    .oci_version = (char *) OCI_SPEC_VERSION,
    .id = (char *) id,
    .status = (char *) status,
    .pid = pid,
    .has_pid = true,
    .bundle = (char *) bundle,
  };

  if (annotations)
    st.annotations = *annotations;
  if (oci_state_generate (&st, false, json, NULL, &msg) < 0)
    return nook_make_error (err, 0, "write the state of `%s`: %s", id, msg);
  return 0;
}

/* The state dir's path may exceed sun_path: name it through our fd. */
static void
exec_socket_addr (int dirfd, struct sockaddr_un *addr)
{
  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;
  snprintf (addr->sun_path, sizeof (addr->sun_path), "/proc/self/fd/%d/%s", dirfd,
            NOOK_EXEC_SOCKET);
}

int
nook_exec_socket_listen (int dirfd, nook_error_t *err)
{
  struct sockaddr_un addr;
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return nook_make_error (err, errno, "create the exec socket");
  exec_socket_addr (dirfd, &addr);
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return nook_make_error (err, errno, "bind the exec socket");
  /* Root only: whoever connects starts the container. */
  if (fchmodat (dirfd, NOOK_EXEC_SOCKET, 0600, 0) < 0 || listen (fd, 1) < 0)
    return nook_make_error (err, errno, "listen on the exec socket");
  return steal_fd (&fd);
}

int
nook_exec_socket_connect (int dirfd, const char *id, nook_error_t *err)
{
  struct sockaddr_un addr;
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return nook_make_error (err, errno, "create a socket");
  exec_socket_addr (dirfd, &addr);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    {
      if (errno == ECONNREFUSED)
        return nook_make_error (err, 0, "start container `%s`: its init process is gone", id);
      return nook_make_error (err, errno, "start container `%s`: connect to its exec socket", id);
    }
  return steal_fd (&fd);
}
