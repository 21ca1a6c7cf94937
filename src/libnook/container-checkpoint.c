/* nook - `checkpoint` (runc's), through CRIU (criu.h).
 *
 * CRIU dumps the container's process tree (root: the init) with the
 * container's rootfs as its root.  What CRIU cannot see from inside the
 * container is declared: bind mounts as external mounts (key = their
 * destination), a network namespace joined by path as "extRootNetNS",
 * stdio fds that are files of the host as external files.  The init's fds
 * 0-2 go to descriptors.json (runc's format) so restore can reconnect pipes.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>
#include <limits.h>
#include "libcriu.h"
#include "criu.h"
#include "cgroup.h"
#include "mount.h"
#include "container.h"
#include "container-internal.h"
#include "container-criu-internal.h"
#include "hooks.h"
#include "status.h"
#include "terminal.h"
#include "utils.h"

static int
dump_mounts (struct nook_criu *c, const oci_container *cfg, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < cfg->mounts_len; i++)
    if (cr_is_bind_mount (&cfg->mounts[i])
        && criu_local_add_ext_mount (nook_criu_opts (c), cfg->mounts[i].destination,
                                     cfg->mounts[i].destination)
             < 0)
      return nook_make_error (err, ENOMEM, "CRIU: external mount `%s`",
                              cfg->mounts[i].destination);
  return 0;
}

/* A network namespace the container joined by path stays outside: CRIU
 * records it as a key, and restore hands the new one in under that key. */
static int
dump_netns (struct nook_criu *c, const oci_container *cfg, nook_error_t *err)
{
  const char *path = cr_netns_path (cfg);
  cleanup_free char *key = NULL;
  struct stat st;

  if (path == NULL)
    return 0;
  if (stat (path, &st) < 0)
    return nook_make_error (err, errno, "network namespace `%s`", path);
  xasprintf (&key, "net[%lu]:" EXT_NETNS_KEY, (unsigned long) st.st_ino);
  if (criu_local_add_external (nook_criu_opts (c), key) < 0)
    return nook_make_error (err, ENOMEM, "CRIU: external `%s`", key);
  return write_file_at (nook_criu_images_fd (c), NOOK_CRIU_EXTERNAL_NETNS, "net\n", 4, 0600, err);
}

static int
fd_mnt_id (pid_t pid, int fd, int *mnt_id)
{
  char path[64], line[256];
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/fdinfo/%d", (int) pid, fd);
  f = fopen (path, "re");
  if (f == NULL)
    return -1;
  *mnt_id = -1;
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "mnt_id: %d", mnt_id) == 1)
      break;
  fclose (f);
  return *mnt_id < 0 ? -1 : 0;
}

/* Is mount mnt_id one of the container's own mounts? */
static bool
mount_in_container (pid_t pid, int mnt_id)
{
  char path[64], line[4096];
  bool found = false;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/mountinfo", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    return false;
  while (!found && fgets (line, sizeof line, f))
    found = atoi (line) == mnt_id;
  fclose (f);
  return found;
}


/* A terminal is CRIU's to handle (--shell-job, a console): not a file. */
static bool
is_tty (const struct stat *st)
{
  unsigned int maj = major (st->st_rdev);
  return S_ISCHR (st->st_mode) && ((maj >= 136 && maj <= 143) || maj == 4 || maj == 5);
}

/* One stdio fd of the init: a host file (such as the host's /dev/null the
 * container was started with) is declared external, so the dump does not
 * fail on a mount the container does not have; restore passes nook's own
 * fd in its place.  *line: its line for NOOK_CRIU_EXTERNAL_FDS, or NULL. */
static int
dump_stdio_fd (struct nook_criu *c, pid_t pid, int fd, const char *target, char **line,
               nook_error_t *err)
{
  cleanup_free char *key = NULL;
  char link[64];
  struct stat st;
  int mnt_id;

  *line = NULL;
  snprintf (link, sizeof link, "/proc/%d/fd/%d", (int) pid, fd);
  if (target[0] != '/' || stat (link, &st) < 0 || is_tty (&st) || fd_mnt_id (pid, fd, &mnt_id) < 0
      || mount_in_container (pid, mnt_id))
    return 0;
  xasprintf (&key, "file[%x:%lx]", mnt_id, (unsigned long) st.st_ino);
  if (criu_local_add_external (nook_criu_opts (c), key) < 0)
    return nook_make_error (err, ENOMEM, "CRIU: external file for fd %d", fd);
  xasprintf (line, "%d %s %o\n", fd, key, (unsigned) (st.st_mode & S_IFMT));
  return 0;
}

/* The init's fds 0-2 in descriptors.json (runc's format: restore
 * reconnects pipes to nook's own fds), and the external files. */
static int
dump_stdio (struct nook_criu *c, pid_t pid, nook_error_t *err)
{
  char *json = xstrdup (""), *ext = xstrdup ("");
  int fd, r = 0;

  for (fd = 0; fd < 3 && r == 0; fd++)
    {
      char link[64], target[PATH_MAX];
      cleanup_free char *line = NULL;
      ssize_t n;

      snprintf (link, sizeof link, "/proc/%d/fd/%d", (int) pid, fd);
      n = readlink (link, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      /* The kernel's names of pipes and sockets need no escaping; a path
       * that would is recorded as "" (restore only looks for pipes). */
      json = criu_append (json, "%s%s\"%s\"", fd ? "," : "", strpbrk (target, "\"\\") ? "" : target);
      r = dump_stdio_fd (c, pid, fd, target, &line, err);
      if (r == 0 && line)
        ext = criu_append (ext, "%s%s%s", line, "");
    }
  json = criu_append (json, "[%s%s%s", "]", ""); /* "[" items "]" */
  if (r == 0)
    r = write_file_at (nook_criu_images_fd (c), NOOK_CRIU_DESCRIPTORS, json, strlen (json), 0600,
                       err);
  if (r == 0)
    r = write_file_at (nook_criu_images_fd (c), NOOK_CRIU_EXTERNAL_FDS, ext, strlen (ext), 0600,
                       err);
  free (json);
  free (ext);
  return r;
}

/* CRIU freezes the tasks with the container's freezer cgroup (runc's
 * choice: no task escapes while it seizes them one by one). */
static int
set_freeze_cgroup (struct nook_criu *c, const struct nook_status *st, nook_error_t *err)
{
  enum nook_cgroup_mode mode;
  cleanup_free char *path = NULL;
  struct stat sb;

  if (st->cgroup_path == NULL || nook_cgroup_detect_mode (&mode, err) < 0)
    return st->cgroup_path == NULL ? 0 : -1;
  /* The persisted path may carry ";created=N" and per-hierarchy parts
   * (cgroup.c): the freezer's own directory is the main path. */
  xasprintf (&path, "/sys/fs/cgroup%s%.*s", mode == NOOK_CGROUP_MODE_V2 ? "" : "/freezer",
             (int) strcspn (st->cgroup_path, ";"), st->cgroup_path);
  if (stat (path, &sb) < 0)
    return 0; /* no freezer: CRIU seizes the tasks without one */
  if (criu_local_set_freeze_cgroup (nook_criu_opts (c), path) < 0)
    return nook_make_error (err, ENOMEM, "CRIU: freeze cgroup");
  return 0;
}

static int
parse_page_server (struct nook_criu *c, const char *arg, nook_error_t *err)
{
  cleanup_free char *addr = xstrdup (arg);
  char *colon = strrchr (addr, ':');
  int64_t port;

  if (colon == NULL || parse_int64 (colon + 1, &port) < 0 || port <= 0 || port > 65535)
    return nook_make_error (err, 0, "--page-server must be ADDRESS:PORT, not `%s`", arg);
  *colon = '\0';
  /* bookworm's libcriu returns -ENOMEM even when it stored the address:
   * whether the request has it is the answer. */
  criu_local_set_page_server_address_port (nook_criu_opts (c), addr, port);
  if (nook_criu_rpc (c)->ps == NULL || nook_criu_rpc (c)->ps->address == NULL)
    return nook_make_error (err, ENOMEM, "CRIU: page server");
  return 0;
}

static int
dump_options (struct nook_criu *c, const struct nook_checkpoint_opts *o, nook_error_t *err)
{
  criu_opts *opts = nook_criu_opts (c);
  struct CriuOpts *rpc = nook_criu_rpc (c);

  criu_local_set_leave_running (opts, o->leave_running || o->pre_dump);
  criu_local_set_tcp_established (opts, o->tcp_established);
  criu_local_set_ext_unix_sk (opts, o->ext_unix_sk);
  criu_local_set_shell_job (opts, o->shell_job);
  criu_local_set_file_locks (opts, o->file_locks);
  criu_local_set_auto_dedup (opts, o->auto_dedup);
  criu_local_set_orphan_pts_master (opts, true);
  cr_set_network_lock (c, o->tcp_established);
  /* A pre-dump leaves memory tracking on for the next (pre-)dump. */
  criu_local_set_track_mem (opts, o->pre_dump);
  if (o->parent_path && criu_local_set_parent_images (opts, o->parent_path) < 0)
    return nook_make_error (err, ENOMEM, "CRIU: parent images");
  if (o->page_server && parse_page_server (c, o->page_server, err) < 0)
    return -1;
  if (o->empty_ns)
    {
      if (strcmp (o->empty_ns, "network") != 0)
        return nook_make_error (err, 0, "--empty-ns: only `network` is supported, not `%s`",
                                o->empty_ns);
      rpc->has_empty_ns = true;
      rpc->empty_ns = CLONE_NEWNET;
    }
  if (o->lazy_pages)
    {
      rpc->has_lazy_pages = rpc->lazy_pages = true;
      if (o->status_fd >= 0)
        {
          rpc->has_status_fd = true;
          rpc->status_fd = o->status_fd;
        }
    }
  else if (o->status_fd >= 0)
    return cr_refuse ("--status-fd", "only meaningful with --lazy-pages", err);
  return cr_set_cg_mode (c, o->manage_cgroups_mode, err);
}

/* --status-fd: CRIU writes a byte to it when its lazy page server is up. */
static int
check_status_fd (int fd, nook_error_t *err)
{
  int fl = fcntl (fd, F_GETFL);

  if (fl < 0)
    return nook_make_error (err, errno, "--status-fd %d", fd);
  if ((fl & O_ACCMODE) == O_RDONLY)
    return nook_make_error (err, 0, "--status-fd %d: not open for writing", fd);
  return 0;
}

/* Features of the kernel CRIU needs for these flags: named errors first. */
static int
check_features (const struct nook_checkpoint_opts *o, nook_error_t *err)
{
  int version;
  bool ok, lazy, track;

  /* Without one CRIU serves on a port of its choosing, which it tells no one. */
  if (o->lazy_pages && o->page_server == NULL)
    return cr_refuse ("--lazy-pages", "needs --page-server ADDRESS:PORT, where the dump serves "
                      "the memory to `criu lazy-pages`", err);
  if (o->lazy_pages && o->status_fd >= 0 && check_status_fd (o->status_fd, err) < 0)
    return -1;
  if (o->lazy_pages && nook_criu_lazy_pipe_check (err) < 0)
    return -1;
  if (!o->lazy_pages && !o->pre_dump)
    return 0;
  if (nook_criu_probe (&version, &ok, &lazy, &track, err) < 0)
    return -1;
  if (o->lazy_pages && !lazy)
    return cr_refuse ("--lazy-pages", "CRIU reports no lazy-pages support (userfaultfd) here", err);
  if (o->pre_dump && !track)
    return cr_refuse ("--pre-dump",
                   "CRIU reports no memory change tracking (soft-dirty pages) on this kernel",
                   err);
  return 0;
}

static int
checkpoint_loaded (const struct nook_checkpoint_opts *o, struct nook_loaded *l,
                   nook_error_t *err)
{
  const char *images = o->image_path ? o->image_path : "checkpoint";
  struct nook_criu *c = NULL;
  oci_container *cfg = NULL;
  int r;

  if (l->status != NOOK_STATUS_RUNNING && l->status != NOOK_STATUS_PAUSED)
    return nook_make_error (err, 0, "cannot checkpoint container `%s`: it is %s, not running",
                            o->id, nook_status_name (l->status));
  if (check_features (o, err) < 0)
    return -1;
  if (nook_load_state_config (l, &cfg, err) < 0)
    return -1;
  r = nook_criu_new (images, true, o->work_path, NOOK_CRIU_DUMP_LOG, o->root, &c, err);
  if (r == 0)
    {
      criu_local_set_pid (nook_criu_opts (c), l->st.pid);
      if (criu_local_set_root (nook_criu_opts (c), l->st.rootfs) < 0)
        r = nook_make_error (err, ENOMEM, "CRIU: root");
    }
  if (r == 0)
    r = dump_options (c, o, err);
  if (r == 0)
    r = set_freeze_cgroup (c, &l->st, err);
  if (r == 0 && !o->pre_dump && cfg)
    r = dump_mounts (c, cfg, err);
  if (r == 0 && !o->pre_dump && cfg)
    r = dump_netns (c, cfg, err);
  if (r == 0 && !o->pre_dump)
    r = dump_cgroup_mounts (c, l->st.pid, err);
  if (r == 0 && !o->pre_dump && cfg)
    r = dump_blank_netns (c, cfg, o->empty_ns, l->st.pid, err);
  if (r == 0 && !o->pre_dump)
    r = dump_stdio (c, l->st.pid, err);
  if (r == 0 && !o->pre_dump && l->status == NOOK_STATUS_PAUSED)
    r = write_file_at (nook_criu_images_fd (c), NOOK_CRIU_PAUSED, "", 0, 0600, err);
  if (r == 0)
    {
      r = nook_criu_run (c, o->pre_dump ? criu_local_pre_dump : criu_local_dump, err);
      if (r < 0)
        nook_criu_fail (c, r, o->pre_dump ? "pre-dump" : "dump", err);
    }
  nook_criu_free (c);
  oci_container_free (cfg);
  return r < 0 ? -1 : 0;
}

int
nook_container_checkpoint (const struct nook_checkpoint_opts *o, nook_error_t *err)
{
  struct nook_loaded l;
  int r;

  if (nook_container_load (o->root, o->id, true, &l, err) < 0)
    return nook_error_wrap (err, "checkpoint");
  r = checkpoint_loaded (o, &l, err);
  nook_loaded_release (&l);
  if (r < 0)
    return nook_error_wrap (err, "checkpoint container `%s`", o->id);
  /* As runc: a container dumped without --leave-running is gone (CRIU
   * killed its processes); its state, cgroup and hooks go with it. */
  if (!o->leave_running && !o->pre_dump && nook_container_delete (o->root, o->id, true, err) < 0)
    return nook_error_wrap (err, "checkpoint container `%s`: remove it after the dump", o->id);
  return 0;
}
