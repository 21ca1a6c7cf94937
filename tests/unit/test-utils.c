/* Unit tests for nook's pure helpers: ids, numbers, signals, mount options,
 * the create protocol's messages, the state file, logging. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include "unit.h"
#include "utils.h"
#include "error.h"
#include "signals.h"
#include "mount.h"
#include "sync.h"
#include "status.h"

static void
test_container_ids (void)
{
  CHECK (container_id_valid ("abc"));
  CHECK (container_id_valid ("a-b_c.d+e"));
  CHECK (container_id_valid ("0123"));
  CHECK (!container_id_valid (""));
  CHECK (!container_id_valid (NULL));
  CHECK (!container_id_valid ("../etc"));
  CHECK (!container_id_valid ("a/b"));
  CHECK (!container_id_valid ("-leading-dash"));
  CHECK (!container_id_valid (".hidden"));
  CHECK (!container_id_valid ("sp ace"));
}

static void
test_numbers (void)
{
  int64_t i;
  uint64_t u;

  CHECK (parse_int64 ("-42", &i) == 0 && i == -42);
  CHECK (parse_int64 ("9223372036854775807", &i) == 0 && i == INT64_MAX);
  CHECK (parse_int64 ("9223372036854775808", &i) < 0);
  CHECK (parse_int64 ("12x", &i) < 0);
  CHECK (parse_int64 ("", &i) < 0);
  CHECK (parse_uint64 ("18446744073709551615", &u) == 0 && u == UINT64_MAX);
  CHECK (parse_uint64 ("-1", &u) < 0);
  CHECK (parse_uint64 (" 1", &u) < 0);
}

static void
test_signals (void)
{
  nook_error_t err = NULL;
  int sig = 0;

  CHECK (nook_signal_parse ("KILL", &sig, &err) == 0 && sig == SIGKILL);
  CHECK (nook_signal_parse ("SIGTERM", &sig, &err) == 0 && sig == SIGTERM);
  CHECK (nook_signal_parse ("hup", &sig, &err) == 0 && sig == SIGHUP);
  CHECK (nook_signal_parse ("9", &sig, &err) == 0 && sig == 9);
  CHECK (nook_signal_parse ("RTMIN+1", &sig, &err) == 0 && sig == SIGRTMIN + 1);
  CHECK (nook_signal_parse ("SIGRTMAX-1", &sig, &err) == 0 && sig == SIGRTMAX - 1);
  CHECK (nook_signal_parse ("FOO", &sig, &err) < 0);
  CHECK_STR_CONTAINS (err ? err->msg : NULL, "FOO");
  nook_error_release (&err);
  CHECK (nook_signal_parse ("0", &sig, &err) < 0);
  nook_error_release (&err);
  CHECK (nook_signal_parse ("65", &sig, &err) < 0);
  nook_error_release (&err);
  CHECK (nook_signal_parse ("RTMAX+1", &sig, &err) < 0);
  nook_error_release (&err);
  CHECK_STR_EQ (nook_signal_name (SIGKILL), "SIGKILL");
}

static void
test_mount_options (void)
{
  char *opts[] = { "ro", "nosuid", "rw", "rprivate", "mode=755", "size=65536k", "rbind" };
  struct nook_mount_flags f;
  nook_error_t err = NULL;

  memset (&f, 0, sizeof (f));
  CHECK (mount_parse_options (opts, 7, &f, &err) == 0);
  /* Later options win: "rw" after "ro" clears read-only. */
  CHECK (!(f.flags & MS_RDONLY));
  CHECK (f.flags & MS_NOSUID);
  CHECK (f.flags & MS_BIND);
  CHECK (f.flags & MS_REC);
  CHECK (f.propagation & MS_PRIVATE);
  CHECK_STR_EQ (f.data, "mode=755,size=65536k");
  free (f.data);
}

static void
test_sync_protocol (void)
{
  nook_error_t err = NULL, child_err = NULL;
  int fds[2];

  if (!CHECK (nook_sync_pair (fds, &err) == 0))
    return;
  CHECK (nook_sync_send (fds[1], NOOK_SYNC_CHILD_READY, &err) == 0);
  CHECK (nook_sync_expect (fds[0], NOOK_SYNC_CHILD_READY, &err) == 0);

  /* A child's error arrives with its message and errno intact. */
  nook_make_error (&child_err, EPERM, "mount `proc` on `/proc`");
  nook_sync_send_error (fds[1], &child_err);
  CHECK_NULL (child_err);
  CHECK (nook_sync_expect (fds[0], NOOK_SYNC_CHILD_READY, &err) < 0);
  CHECK_STR_EQ (err ? err->msg : NULL, "mount `proc` on `/proc`: Operation not permitted");
  CHECK_INT_EQ (err ? err->status : 0, EPERM);
  nook_error_release (&err);

  /* An unexpected message is a protocol error, not success. */
  CHECK (nook_sync_send (fds[1], NOOK_SYNC_PARENT_SETUP_DONE, &err) == 0);
  CHECK (nook_sync_expect (fds[0], NOOK_SYNC_CHILD_READY, &err) < 0);
  CHECK_STR_CONTAINS (err ? err->msg : NULL, "expected CHILD_READY");
  nook_error_release (&err);

  /* The child vanishing is reported as such. */
  close (fds[1]);
  CHECK (nook_sync_expect (fds[0], NOOK_SYNC_CHILD_READY, &err) < 0);
  CHECK_STR_CONTAINS (err ? err->msg : NULL, "exited before it was ready");
  nook_error_release (&err);
  close (fds[0]);
}

static void
test_start_time (void)
{
  nook_error_t err = NULL;
  uint64_t t = 0;
  pid_t pid;

  CHECK (process_start_time (getpid (), &t, &err) == 0 && t > 0);
  {
    /* Field 22 of /proc/self/stat, counted by hand; comm may hold spaces. */
    cleanup_free char *stat = NULL;
    char *p;
    int i;
    CHECK (read_all_file ("/proc/self/stat", &stat, NULL, &err) == 0);
    p = strrchr (stat, ')') + 2; /* field 3 */
    for (i = 3; i < 22; i++)
      p = strchr (p, ' ') + 1;
    CHECK_UINT_EQ (t, strtoull (p, NULL, 10));
  }
  pid = fork ();
  if (pid == 0)
    _exit (0);
  waitpid (pid, NULL, 0);
  CHECK (process_start_time (pid, &t, &err) == 0 && t == 0);
}

static char *
make_tmpdir (void)
{
  char tmpl[] = "/tmp/nook-unit-XXXXXX";
  return xstrdup (mkdtemp (tmpl));
}

static void
test_status_roundtrip (void)
{
  cleanup_free char *root = make_tmpdir ();
  nook_error_t err = NULL;
  struct nook_status st, back;
  enum nook_container_status s;
  char *keys[] = { "a" }, *values[] = { "b" };
  int dirfd = -1, dirfd2 = -1;

  if (!CHECK (nook_status_create_dir (root, "c1", &dirfd, &err) == 0))
    return;
  /* The same id twice is refused. */
  CHECK (nook_status_create_dir (root, "c1", &dirfd2, &err) < 0);
  CHECK_STR_CONTAINS (err ? err->msg : NULL, "already exists");
  nook_error_release (&err);

  memset (&st, 0, sizeof (st));
  st.id = "c1";
  st.pid = getpid ();
  CHECK (process_start_time (st.pid, &st.pid_start_time, &err) == 0);
  st.initialized = true;
  st.bundle = "/b";
  st.annotations.keys = keys;
  st.annotations.values = values;
  st.annotations.len = 1;
  CHECK (nook_status_write (dirfd, &st, &err) == 0);
  CHECK (nook_status_read (dirfd, "c1", &back, &err) == 0);
  CHECK_INT_EQ (back.pid, getpid ());
  CHECK_STR_EQ (back.bundle, "/b");
  CHECK_INT_EQ (back.annotations.len, 1);
  CHECK_STR_EQ (back.annotations.len ? back.annotations.values[0] : NULL, "b");

  /* Alive with exec.sock: created; gone: running; other start time: stopped. */
  CHECK (mkfifoat (dirfd, NOOK_EXEC_SOCKET, 0600) == 0);
  CHECK (nook_status_compute (dirfd, &back, &s, &err) == 0 && s == NOOK_STATUS_CREATED);
  unlinkat (dirfd, NOOK_EXEC_SOCKET, 0);
  CHECK (nook_status_compute (dirfd, &back, &s, &err) == 0 && s == NOOK_STATUS_RUNNING);
  back.pid_start_time++;
  CHECK (nook_status_compute (dirfd, &back, &s, &err) == 0 && s == NOOK_STATUS_STOPPED);
  nook_status_free (&back);

  close (dirfd);
  CHECK (nook_status_remove_dir (root, "c1", &err) == 0);
  CHECK (nook_status_open_dir (root, "c1", false, &dirfd, &err) < 0);
  CHECK_STR_CONTAINS (err ? err->msg : NULL, "does not exist");
  nook_error_release (&err);
  rmdir (root);
}

static void
test_json_log (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_free char *path = NULL, *data = NULL;
  nook_error_t err = NULL;
  yajl_val v;
  const char *level[] = { "level", NULL }, *msg[] = { "msg", NULL };

  xasprintf (&path, "%s/log.json", dir);
  CHECK (nook_log_init (path, NOOK_LOG_JSON, false, &err) == 0);
  nook_make_error (&err, ENOENT, "open \"quoted\" `x`");
  nook_log_error (&err);
  CHECK (read_all_file (path, &data, NULL, &err) == 0);
  v = data ? yajl_tree_parse (data, NULL, 0) : NULL;
  if (CHECK_NOT_NULL (v))
    {
      CHECK_STR_EQ (YAJL_GET_STRING (yajl_tree_get (v, level, yajl_t_string)), "error");
      CHECK_STR_EQ (YAJL_GET_STRING (yajl_tree_get (v, msg, yajl_t_string)),
                    "open \"quoted\" `x`: No such file or directory");
      yajl_tree_free (v);
    }
  unlink (path);
  rmdir (dir);
}

static void
test_cache_files (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  nook_error_t err = NULL;
  char *payload = NULL;
  size_t len = 0;

  CHECK (dfd >= 0);
  /* a missing file is a miss, not an error */
  CHECK (!nook_cache_read (dfd, "c", "key ", 4, &payload, &len));
  CHECK (nook_cache_write (dfd, "c", "key ", 4, "42\n", 3, &err) == 0);
  CHECK (nook_cache_read (dfd, "c", "key ", 4, &payload, &len));
  CHECK (len == 3);
  CHECK_STR_EQ (payload, "42\n");
  free (payload);
  /* another key, a longer key, and one its file only starts like: misses */
  CHECK (!nook_cache_read (dfd, "c", "kez ", 4, &payload, &len));
  CHECK (!nook_cache_read (dfd, "c", "key 42\nmore", 11, &payload, &len));
  CHECK (!nook_cache_read (dfd, "c", "key", 4, &payload, &len));
  /* a key with its NUL separator and a binary payload */
  CHECK (nook_cache_write (dfd, "b", "k", 2, "\0\1\2", 3, &err) == 0);
  CHECK (nook_cache_read (dfd, "b", "k", 2, &payload, &len));
  CHECK (len == 3 && memcmp (payload, "\0\1\2", 3) == 0);
  free (payload);
  nook_error_release (&err);
  unlinkat (dfd, "c", 0);
  unlinkat (dfd, "b", 0);
  rmdir (dir);
}

static void
test_error_wrap (void)
{
  nook_error_t err = NULL;
  nook_make_error (&err, 0, "inner");
  nook_error_wrap (&err, "outer %d", 1);
  CHECK_STR_EQ (err->msg, "outer 1: inner");
  /* The first error wins: a second make_error keeps the original. */
  nook_make_error (&err, 0, "later");
  CHECK_STR_EQ (err->msg, "outer 1: inner");
  nook_error_release (&err);
}

int
main (void)
{
  RUN_TEST (test_container_ids);
  RUN_TEST (test_numbers);
  RUN_TEST (test_signals);
  RUN_TEST (test_mount_options);
  RUN_TEST (test_sync_protocol);
  RUN_TEST (test_start_time);
  RUN_TEST (test_status_roundtrip);
  RUN_TEST (test_json_log);
  RUN_TEST (test_cache_files);
  RUN_TEST (test_error_wrap);
  return unit_finish ();
}
