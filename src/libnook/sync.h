/* nook - the parent/child protocol of `create`, in one place.
 *
 * `nook create` (the parent) clones the container init (the child) into its
 * new namespaces.  They talk over a SOCK_SEQPACKET socketpair, one message
 * per packet, in exactly this order:
 *
 *   parent                                   child (container init)
 *   ------                                   ----------------------
 *   clone()  ------------------------------> waits for PARENT_CGROUP_DONE
 *   record pid in the state dir
 *   place the child in its cgroup
 *   send PARENT_CGROUP_DONE  --------------> joins namespaces by path,
 *                                            unshares its cgroup namespace,
 *                                            hostname, mounts, pivot_root,
 *                                            sysctl, rlimits, user, caps
 *   wait  <--------------------------------- CHILD_READY  (or CHILD_ERROR)
 *   mark the container created,
 *   write --pid-file, exit                   blocks reading exec.fifo until
 *                                            `nook start` writes to it,
 *                                            then execve()s the user process.
 *
 * A CHILD_ERROR carries the errno and the message of the child's
 * nook_error_t, so create reports the real cause ("mount `proc` on `/proc`:
 * ...").  If the child dies without a message, the parent reports that.
 * If the parent dies first, the child gets SIGKILL (PR_SET_PDEATHSIG) until
 * it sends CHILD_READY.
 */
#ifndef NOOK_SYNC_H
#define NOOK_SYNC_H

#include "error.h"

enum nook_sync_type
{
  NOOK_SYNC_PARENT_CGROUP_DONE = 1,
  NOOK_SYNC_CHILD_READY = 2,
  NOOK_SYNC_CHILD_ERROR = 3,
};

/* A socketpair: [0] for the parent, [1] for the child; both CLOEXEC. */
int nook_sync_pair (int fds[2], nook_error_t *err);

/* Send a message without payload. */
int nook_sync_send (int fd, enum nook_sync_type type, nook_error_t *err);

/* Child side: ship *child_err to the parent (and release it). */
void nook_sync_send_error (int fd, nook_error_t *child_err);

/* Wait for `expected`.  A CHILD_ERROR becomes *err with the child's message;
 * EOF becomes "container init exited before it was ready". */
int nook_sync_expect (int fd, enum nook_sync_type expected, nook_error_t *err);

#endif
