/* nook - the state directory: one dir per container under --root.
 *
 * <root>/<id>/status.json  what nook needs later (pid, start time, bundle,
 *                          cgroup, annotations), written once (tmp + rename)
 *                          when create has finished; until then the
 *                          container is "creating"
 * <root>/<id>/cgroup.json  the cgroup manager and path, written by create
 *                          and restore before the cgroup is made: delete of
 *                          a create that died before status.json removes it
 * <root>/<id>/config.json  the config the container was created with (hooks
 *                          for start and delete, defaults for exec)
 * <root>/<id>/exec.sock    exists between create and start: a unix socket
 *                          the container init listens on; `start` connects,
 *                          and the connection closes when the user's program
 *                          runs (close-on-exec) or carries the error why not
 * Writers (create, start, kill, delete, pause, resume, update) hold an
 * exclusive flock on the directory; readers (state, list, ps, events) do
 * not lock: the file is replaced by rename, never rewritten in place.
 */
#ifndef NOOK_STATUS_H
#define NOOK_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "oci.h"
#include "error.h"

#define NOOK_EXEC_SOCKET "exec.sock"
#define NOOK_STATE_CONFIG "config.json"

struct nook_status
{
  char *id;
  pid_t pid;
  uint64_t pid_start_time; /* tells a reused pid from ours */
  bool initialized;        /* status.json exists: create finished */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  char *cgroup_manager;
  char *cgroup_path;
  oci_map annotations;
};

enum nook_container_status
{
  NOOK_STATUS_CREATING,
  NOOK_STATUS_CREATED,
  NOOK_STATUS_RUNNING,
  NOOK_STATUS_STOPPED,
  /* Alive but frozen by `pause`: not something status.json or the pid
   * can tell; nook_container_load asks the cgroup. */
  NOOK_STATUS_PAUSED,
};

const char *nook_status_name (enum nook_container_status s);

/* mkdir <root> (0700) and <root>/<id>; an existing id is an error
 * ("container `x` already exists").  *dirfd is locked exclusively. */
int nook_status_create_dir (const char *root, const char *id, int *dirfd, nook_error_t *err);
/* Open an existing container's dir ("container `x` does not exist");
 * lock it exclusively when lock is true. */
int nook_status_open_dir (const char *root, const char *id, bool lock, int *dirfd, nook_error_t *err);
int nook_status_remove_dir (const char *root, const char *id, nook_error_t *err);

int nook_status_write (int dirfd, const struct nook_status *st, nook_error_t *err);
/* Write the status of a container whose process st->pid is ready (create,
 * restore): st gives the id, pid, bundle, rootfs, cgroup and annotations;
 * this adds the creation time, the owner and the pid's start time.  Once
 * per container: a second write would replace the file, and ext4 flushes
 * data on rename-over-existing (auto_da_alloc), a millisecond each. */
int nook_status_write_ready (int dirfd, struct nook_status *st, nook_error_t *err);
/* Record the cgroup about to be made (cgroup.json), for a create that
 * dies before nook_status_write_ready. */
int nook_status_write_cgroup (int dirfd, const char *manager, const char *path,
                              nook_error_t *err);
int nook_status_read (int dirfd, const char *id, struct nook_status *st, nook_error_t *err);
void nook_status_free (struct nook_status *st);

/* Derive the runtime-spec status from the pid, its start time and exec.sock. */
int nook_status_compute (int dirfd, const struct nook_status *st, enum nook_container_status *out,
                         nook_error_t *err);

/* create: listen on <dir>/exec.sock (the container init inherits it). */
int nook_exec_socket_listen (int dirfd, nook_error_t *err);
/* start: connect to it ("its init process is gone" when nobody listens). */
int nook_exec_socket_connect (int dirfd, const char *id, nook_error_t *err);

/* The runtime-spec state document (hooks get it on stdin, the seccomp
 * listener inside its message). */
int nook_state_json (const char *id, const char *status, pid_t pid, const char *bundle,
                     const oci_map *annotations, char **json, nook_error_t *err);

/* The ids under root (sorted); a missing root is an empty list. */
int nook_status_list_ids (const char *root, char ***ids, size_t *n, nook_error_t *err);

#endif
