/* nook - the container process up to execve: rlimits, user, caps, env. */
#ifndef NOOK_PROCESS_H
#define NOOK_PROCESS_H

#include <stdbool.h>
#include "oci.h"
#include "error.h"

/* Parent, before clone: reject what cannot work (unknown rlimit or
 * capability names, rlimits with soft > hard, missing args). */
int nook_process_validate (const oci_process *proc, nook_error_t *err);

/* Child: rlimits, oom_score_adj, umask.  An rlimit above the current hard
 * limit fails with a message naming it (this needs CAP_SYS_RESOURCE). */
int nook_process_apply_limits (const oci_process *proc, nook_error_t *err);

/* Child: supplementary groups, gid, uid, then the five capability sets
 * (bounding dropped first, ambient raised last) and noNewPrivileges. */
int nook_process_apply_identity (const oci_process *proc, nook_error_t *err);

/* Child, after the identity switch: chdir to process.cwd. */
int nook_process_chdir (const oci_process *proc, nook_error_t *err);

/* Resolve args[0] with the PATH of process.env (or a default PATH), as
 * execvp would, so a missing program fails `create`, not `start`. */
int nook_process_find_executable (const oci_process *proc, char **path, nook_error_t *err);

/* Child, after pivot_root: the environment for execve (NULL terminated;
 * the strings are borrowed from proc, the added HOME is not freed). */
char **nook_process_env (const oci_process *proc);

/* Is cap in process.capabilities.bounding (could the process ever hold it)? */
bool nook_process_may_hold_cap (const oci_process *proc, const char *cap);

#endif
