/* nook - seccomp filters from linux.seccomp, through libseccomp. */
#ifndef NOOK_SECCOMP_H
#define NOOK_SECCOMP_H

#include <stdbool.h>
#include "oci.h"
#include "error.h"

/* Parent, before clone: check everything that can be checked without
 * loading: actions, operators, architectures, flags, syscall names
 * (unknown syscall names are errors, as the issue asks), argument indexes,
 * errnoRet only with ERRNO/TRACE, listenerPath required when some action is
 * SCMP_ACT_NOTIFY (ignored otherwise, as the spec says), listenerMetadata
 * only with listenerPath, NOTIFY neither the default action nor on
 * `sendmsg` (the init hands the fd over with it).  Errors name the
 * JSON path: "linux.seccomp.syscalls[3].names[0]: unknown syscall `foo`". */
int nook_seccomp_validate (const oci_seccomp *sc, nook_error_t *err);

/* Child: build and load the filter.  When it uses SCMP_ACT_NOTIFY,
 * *notify_fd gets the listener fd (O_CLOEXEC, the caller's to close; else
 * -1).  Where, as runc: with process.noNewPrivileges, as the last step
 * before execve (after capabilities and PR_SET_NO_NEW_PRIVS), so the filter
 * sees as few of nook's own syscalls as possible; without it, before the
 * user and capabilities change, because loading a filter without
 * no_new_privs needs CAP_SYS_ADMIN (SCMP_FLTATR_CTL_NNP is off: nook sets
 * no_new_privs itself).  sc == NULL loads nothing. */
int nook_seccomp_load (const oci_seccomp *sc, int *notify_fd, nook_error_t *err);

/* Send the notify fd to linux.seccomp.listenerPath over SCM_RIGHTS with the
 * container state, as runtime-spec "The Container Process State" describes:
 * {"ociVersion","fds":["seccompFd"],"pid","metadata","state":{...}}, one
 * connection, closed after sending.  state_json is the container's state
 * document (a JSON object, status "creating").  notify_fd stays the
 * caller's. */
int nook_seccomp_send_listener (const oci_seccomp *sc, int notify_fd, pid_t pid,
                                const char *state_json, nook_error_t *err);

/* For `features`: what this libseccomp and kernel support. */
void nook_seccomp_features (oci_features_seccomp *out);

#endif
