/* nook - OCI hooks (runtime-spec config.md "POSIX-platform Hooks"). */
#ifndef NOOK_HOOKS_H
#define NOOK_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include "oci.h"
#include "error.h"

enum nook_hook_kind
{
  NOOK_HOOK_PRESTART,          /* deprecated; runtime ns, after create's setup, before pivot */
  NOOK_HOOK_CREATE_RUNTIME,    /* runtime namespace, during create */
  NOOK_HOOK_CREATE_CONTAINER,  /* container namespaces, during create, before pivot_root */
  NOOK_HOOK_START_CONTAINER,   /* container namespaces, during start, before execve */
  NOOK_HOOK_POSTSTART,         /* runtime namespace, after start */
  NOOK_HOOK_POSTSTOP,          /* runtime namespace, during delete */
};

const char *nook_hook_kind_name (enum nook_hook_kind kind); /* "createRuntime" ... */

/* The hooks of that kind from cfg (may be NULL/empty). */
const oci_hook *nook_hooks_of (const oci_container *cfg, enum nook_hook_kind kind, size_t *n);

/* Parent, before clone: every hook's path is absolute, timeouts > 0. */
int nook_hooks_validate (const oci_container *cfg, nook_error_t *err);

/* Run the hooks in order.  Each gets state_json on stdin, its args
 * (args[0] is argv[0], path is executed) and exactly its env; timeout (s)
 * kills it with SIGKILL.  The first one that fails (non-zero exit, signal,
 * timeout, cannot execute) stops the run and fills err with the hook's
 * kind, index, path and what happened, including the first line of its
 * stderr.  The caller decides what a failure means (abort or warn). */
int nook_hooks_run (const oci_hook *hooks, size_t n, enum nook_hook_kind kind,
                    const char *state_json, nook_error_t *err);

/* The same, with the hooks' stdout and stderr forwarded to output_fd
 * instead of nook's stderr (-1: discarded; the first stderr line still
 * goes into err).  nook_hooks_run forwards to STDERR_FILENO. */
int nook_hooks_run_output (const oci_hook *hooks, size_t n, enum nook_hook_kind kind,
                           const char *state_json, int output_fd, nook_error_t *err);

/* poststart and poststop (runtime-spec: a failure is a warning and "the
 * remaining hooks ... continue"): run every hook, even after a failure.
 * Returns -1 if any failed, err then names each failure, "; "-separated
 * (one warning for the caller to log). */
int nook_hooks_run_all (const oci_hook *hooks, size_t n, enum nook_hook_kind kind,
                        const char *state_json, nook_error_t *err);

/* Every hook kind nook runs (malloc'd strv), for the features document. */
char **nook_hooks_supported (size_t *n);

#endif
