/* nook - the parent/child protocol of `create`, in one place.
 *
 * `nook create` (the parent) clones the container init (the child) into its
 * new namespaces.  They talk over a SOCK_SEQPACKET socketpair, one message
 * per packet (a message may carry one fd, SCM_RIGHTS), in this order:
 *
 *   parent                                   child (container init)
 *   ------                                   ----------------------
 *   clone()  ------------------------------> waits for PARENT_SETUP_DONE
 *   write uid_map/gid_map (user namespace)
 *   place the child in its cgroup
 *   send PARENT_SETUP_DONE  ---------------> becomes root of its user ns,
 *                                            joins namespaces by path,
 *                                            unshares its cgroup namespace,
 *                                            hostname, mounts, devices
 *   run prestart + createRuntime hooks <---- CHILD_HOOKS   (only with hooks)
 *   send PARENT_HOOKS_DONE  ---------------> createContainer hooks,
 *                                            pivot_root, masks, sysctl,
 *                                            the terminal:
 *   keep / forward the pty master  <-------- CHILD_CONSOLE + fd (terminal)
 *                                            rlimits, user, caps, seccomp:
 *   send it to listenerPath  <-------------- CHILD_SECCOMP + fd (notify)
 *   wait  <--------------------------------- CHILD_READY  (or CHILD_ERROR)
 *   mark the container created,
 *   write --pid-file, exit                   waits on exec.sock until `nook
 *                                            start` connects, runs the
 *                                            startContainer hooks, execve()s
 *                                            the user process (or sends start
 *                                            the error on that connection).
 *
 * The parent answers every message in a loop (parent_drive_init in
 * container.c) until CHILD_READY or CHILD_ERROR.  A CHILD_ERROR carries the
 * errno and the message of the child's nook_error_t, so create reports the
 * real cause ("mount `proc` on `/proc`: ...").  If the child dies without a
 * message, the parent reports that.  If the parent dies first, the child
 * gets SIGKILL (PR_SET_PDEATHSIG) until it sends CHILD_READY.
 */
#ifndef NOOK_SYNC_H
#define NOOK_SYNC_H

#include "error.h"

enum nook_sync_type
{
  NOOK_SYNC_EOF = 0, /* the other end closed (exec's child: execve succeeded) */
  NOOK_SYNC_PARENT_SETUP_DONE = 1,
  NOOK_SYNC_CHILD_READY = 2,
  NOOK_SYNC_CHILD_ERROR = 3,
  NOOK_SYNC_CHILD_HOOKS = 4,
  NOOK_SYNC_PARENT_HOOKS_DONE = 5,
  NOOK_SYNC_CHILD_CONSOLE = 6,
  NOOK_SYNC_CHILD_SECCOMP = 7,
};

/* A socketpair: [0] for the parent, [1] for the child; both CLOEXEC. */
int nook_sync_pair (int fds[2], nook_error_t *err);

/* Send a message without payload. */
int nook_sync_send (int fd, enum nook_sync_type type, nook_error_t *err);

/* Send a message carrying one fd. */
int nook_sync_send_fd (int fd, enum nook_sync_type type, int passed, nook_error_t *err);

/* Receive the next message, whatever it is: *type, and *passed (or -1)
 * when it carries an fd.  End-of-file is *type NOOK_SYNC_EOF.  A
 * CHILD_ERROR becomes *err (returns -1). */
int nook_sync_recv (int fd, enum nook_sync_type *type, int *passed, nook_error_t *err);

/* Child side: ship *child_err to the parent (and release it). */
void nook_sync_send_error (int fd, nook_error_t *child_err);

/* Wait for `expected`.  A CHILD_ERROR becomes *err with the child's message;
 * EOF becomes "container init exited before it was ready". */
int nook_sync_expect (int fd, enum nook_sync_type expected, nook_error_t *err);

/* A message the receiver has no answer for: close its fd, and the error. */
int nook_sync_unexpected (enum nook_sync_type type, int passed, const char *from,
                          nook_error_t *err);

/* "CHILD_READY" ... for messages. */
const char *nook_sync_name (enum nook_sync_type type);

#endif
