/* nook - the container lifecycle (runtime-spec "Operations"). */
#ifndef NOOK_CONTAINER_H
#define NOOK_CONTAINER_H

#include <stdbool.h>
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

#endif
