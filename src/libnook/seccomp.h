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

/* A compiled filter, made by the parent before it clones or forks: the
 * child only loads it.  Compiling a large profile (podman's default has
 * ~1100 instructions) takes libseccomp several milliseconds per container,
 * so programs are cached in <root>/.cache/seccomp/, keyed by everything
 * that decides the program (the section, libseccomp's version and API
 * level, nook's version) and checked byte for byte on every hit. */
struct nook_seccomp_prog
{
  void *insns; /* struct sock_filter[n] */
  size_t n;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* sc == NULL: *out stays empty.  A cache that cannot be read or written
 * only costs the compile (logged at debug). */
int nook_seccomp_prepare (const oci_seccomp *sc, const char *root, struct nook_seccomp_prog *out,
                          nook_error_t *err);
void nook_seccomp_prog_release (struct nook_seccomp_prog *p);

/* Child: load the filter prog compiled by nook_seccomp_prepare (an empty
 * one, from no linux.seccomp, loads nothing).  When it uses SCMP_ACT_NOTIFY,
 * *notify_fd gets the listener fd (O_CLOEXEC, the caller's to close; else
 * -1).  Where, as runc: with process.noNewPrivileges, as the last step
 * before execve (after capabilities and PR_SET_NO_NEW_PRIVS), so the filter
 * sees as few of nook's own syscalls as possible; without it, before the
 * user and capabilities change, because loading a filter without
 * no_new_privs needs CAP_SYS_ADMIN (SCMP_FLTATR_CTL_NNP is off: nook sets
 * no_new_privs itself). */
int nook_seccomp_load (const struct nook_seccomp_prog *prog, int *notify_fd, nook_error_t *err);

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
