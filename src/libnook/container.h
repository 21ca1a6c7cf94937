/* nook - the container lifecycle (runtime-spec "Operations"). */
#ifndef NOOK_CONTAINER_H
#define NOOK_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "oci.h"
#include "error.h"

struct nook_create_opts
{
  const char *root;           /* state root (--root) */
  const char *id;
  const char *bundle;         /* NULL: the current directory */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* NULL: none */
  int preserve_fds;           /* fds 3 .. 3+N-1 pass into the container */
  bool no_pivot;
  bool no_new_keyring;
  bool systemd_cgroup;
};

/* Set everything up and leave the user process waiting before execve
 * until `start`.  *pid (may be NULL) gets the container init's pid. */
int nook_container_create (const struct nook_create_opts *opts, pid_t *pid, nook_error_t *err);
int nook_container_start (const char *root, const char *id, nook_error_t *err);
/* create + start; without detach, wait for the container, forward signals
 * to it, delete it and return its exit status in *exit_status. */
int nook_container_run (const struct nook_create_opts *opts, bool detach, int *exit_status,
                        nook_error_t *err);
int nook_container_state (const char *root, const char *id, oci_state **out, nook_error_t *err);
int nook_container_kill (const char *root, const char *id, int sig, bool all, nook_error_t *err);
int nook_container_delete (const char *root, const char *id, bool force, nook_error_t *err);
/* States of every container under root; unreadable ones are skipped with a warning. */
int nook_container_list (const char *root, oci_state ***states, size_t *n, nook_error_t *err);

/* ---- the container's cgroup from outside (container-cgroup.c) ---- */

/* Freeze every process of a created or running container (state says
 * "paused"), and thaw a paused one. */
int nook_container_pause (const char *root, const char *id, nook_error_t *err);
int nook_container_resume (const char *root, const char *id, nook_error_t *err);

enum nook_ps_format
{
  NOOK_PS_TABLE, /* ps(1)'s output, only the container's lines */
  NOOK_PS_JSON,  /* a JSON array of the pids */
};
/* The container's processes (host pids) as runc's `ps` prints them, in
 * *out (malloc'd).  ps_args (NULL-terminated, may be NULL: "-ef") go to
 * ps(1) for the table; its output must keep a PID column. */
int nook_container_ps (const char *root, const char *id, enum nook_ps_format format,
                       char *const *ps_args, char **out, nook_error_t *err);

/* One line of runc's `events` JSON ({"type":"stats"|"oom","id":...}),
 * without the newline; a negative return stops the stream. */
typedef int (*nook_event_fn) (const char *json, void *data);
/* stats_only: one "stats" event, then return.  Else stream an "oom" event
 * per OOM kill and a "stats" event every interval_ms, until the container
 * stops or its cgroup goes. */
int nook_container_events (const char *root, const char *id, bool stats_only,
                           uint64_t interval_ms, nook_event_fn emit, void *data,
                           nook_error_t *err);

/* Apply res to a created, running or paused container's cgroup (what res
 * leaves out stays as it is). */
int nook_container_update (const char *root, const char *id, const oci_resources *res,
                           nook_error_t *err);
/* runc's `update --resources` document (linux.resources' fields) from
 * path, "-" for stdin.  Free with nook_resources_free. */
int nook_resources_read (const char *path, oci_resources **out, nook_error_t *err);
/* Free res and what it points to (all of it malloc'd); NULL is fine. */
void nook_resources_free (oci_resources *res);

#endif
