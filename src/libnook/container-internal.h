/* nook - shared between container.c (create) and container-ops.c. */
#ifndef NOOK_CONTAINER_INTERNAL_H
#define NOOK_CONTAINER_INTERNAL_H

#include <sys/types.h>
#include "container.h"
#include "status.h"

/* create, and for `run` in the foreground with process.terminal: the pty
 * master comes back in *console_out (-1 without a terminal) instead of
 * going to a console socket. */
int nook_container_create_full (const struct nook_create_opts *opts, pid_t *pid, int *console_out,
                                nook_error_t *err);

/* An opened container: its state dir (locked or not), what status.json
 * says and what that means now. */
struct nook_loaded
{
  int dirfd;
  struct nook_status st;
  enum nook_container_status status;
};

int nook_container_load (const char *root, const char *id, bool lock, struct nook_loaded *l,
                         nook_error_t *err);
void nook_loaded_release (struct nook_loaded *l);
/* The config the container was created with (*cfg NULL if it never
 * finished create). */
int nook_load_state_config (const struct nook_loaded *l, oci_container **cfg, nook_error_t *err);

/* Write a --pid-file atomically (tmp + rename), as runc does. */
int nook_write_pid_file (const char *path, pid_t pid, nook_error_t *err);

/* run and exec in the foreground: signals to nook go to pid. */
void nook_forward_signals_to (pid_t pid);
/* waitpid; exit status or 128 + signal. */
int nook_wait_child_status (pid_t pid, int *exit_status, nook_error_t *err);

#endif
