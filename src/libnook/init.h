/* nook - the container init: the child side of `create` (see sync.h). */
#ifndef NOOK_INIT_H
#define NOOK_INIT_H

#include "oci.h"
#include "seccomp.h"
#include "cgroup.h"
#include "container.h"
#include "linux.h"

/* What the parent prepared before clone; the child reads it from its copy
 * of the parent's memory. */
struct nook_init_args
{
  const struct nook_create_opts *opts;
  const oci_container *cfg;
  const char *bundle;
  const char *rootfs;
  struct nook_namespaces *ns;
  struct nook_cgroup *cg;
  int syncfd;   /* the child's end of the sync socketpair */
  int exec_sock; /* listening on exec.sock (see status.h) */
  int preserve_fds; /* fds 3.. that stay open: --preserve-fds + LISTEN_FDS */
  int close_fds[3]; /* the parent's fds the child must not keep (-1: none) */
  int *idmap_fds;   /* idmapped mount trees, parallel to cfg->mounts (idmap.h), or NULL */
  bool unprivileged_parent; /* writes our id maps as an ordinary user */
  const struct nook_seccomp_prog *seccomp; /* compiled by the parent */
};

/* Never returns: execve()s the user process or exits with status 1 after
 * sending CHILD_ERROR. */
void nook_init_run (struct nook_init_args *a) __attribute__ ((noreturn));

/* Shared with exec: the pty (sent to the parent as CHILD_CONSOLE) when
 * p->terminal, bound on console_path if not NULL. */
int nook_setup_terminal (const oci_process *p, const char *console_path, int syncfd,
                         nook_error_t *err);
/* Shared with exec, the last steps before execve: preserved fds,
 * scheduling (execCPUAffinity only for exec, as the spec says), identity
 * and seccomp (notify fd sent as CHILD_SECCOMP), process.cwd. */
int nook_setup_process (const oci_container *cfg, const oci_process *p,
                        const struct nook_seccomp_prog *seccomp, int syncfd, int preserve_fds,
                        bool is_exec, nook_error_t *err);

#endif
