/* nook - `exec`: a new process in a running container. */
#ifndef NOOK_EXEC_H
#define NOOK_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

struct nook_exec_opts
{
  const char *root;
  const char *id;
  const char *process_file; /* --process: a process.json; else the fields below */
  char **args;              /* the program and its arguments */
  size_t args_len;
  char **env; /* -e KEY=VALUE, added to (or replacing in) the container's env */
  size_t env_len;
  const char *cwd;  /* --cwd */
  const char *user; /* --user UID[:GID] */
  char **caps;      /* --cap CAP_X, added to every set */
  size_t caps_len;
  bool no_new_privs;
  bool tty;                   /* -t */
  bool detach;                /* -d */
  const char *console_socket; /* --console-socket */
  const char *pid_file;
  int preserve_fds;
};

/* The new process joins every namespace and the cgroup of the container
 * and gets its seccomp filter, capabilities and limits (or those of
 * process.json).  Without detach, waits for it (forwarding signals,
 * relaying a terminal) and returns its exit status in *exit_status. */
int nook_container_exec (const struct nook_exec_opts *o, int *exit_status, nook_error_t *err);

#endif
