/* nook - namespaces, clone, hostname, sysctl. */
#ifndef NOOK_LINUX_H
#define NOOK_LINUX_H

#include <stdbool.h>
#include <sys/types.h>
#include "oci.h"
#include "error.h"

/* What linux.namespaces asks for, sorted out once. */
struct nook_namespaces
{
  int clone_flags;     /* new namespaces created by clone() */
  bool new_cgroupns;   /* unshared by the child after it joined its cgroup */
  bool new_timens;     /* unshared by the parent before clone, offsets written */
  bool own_netns;      /* new or joined: not the host's */
  bool own_uts;
  /* Namespaces joined by path, opened by the parent before clone. */
  struct
  {
    int fd;
    int nstype;
    const char *type;
    const char *path;
  } join[8];
  size_t n_join;
};

/* Validate linux.namespaces (known types, no duplicates, paths that are
 * namespaces of the right type) and open the ones given by path.  Types
 * this build cannot do yet are errors that name them. */
int nook_namespaces_prepare (const oci_linux *linux, struct nook_namespaces *ns, nook_error_t *err);
void nook_namespaces_close (struct nook_namespaces *ns);

/* Parent, before clone: join a pid namespace given by path (affects the
 * children created afterwards only). */
int nook_namespaces_join_pid (struct nook_namespaces *ns, nook_error_t *err);
/* Child: join every other namespace given by path. */
int nook_namespaces_join_others (struct nook_namespaces *ns, nook_error_t *err);

/* fork()-like clone with extra CLONE_NEW* flags: 0 in the child. */
pid_t nook_clone (int flags, nook_error_t *err);

/* Parent, after clone: write linux.uidMappings/gidMappings for a new user
 * namespace (before the child goes on). */
int nook_write_id_maps (pid_t pid, const oci_linux *l, const struct nook_namespaces *ns,
                        nook_error_t *err);
/* Child, once mapped: become uid/gid 0 of its user namespace. */
int nook_become_userns_root (const struct nook_namespaces *ns, nook_error_t *err);

/* Parent: clock names and ranges of linux.timeOffsets. */
int nook_timens_check (const oci_linux *l, nook_error_t *err);
/* Parent, before clone: a new time namespace for the child, with the
 * offsets of linux.timeOffsets. */
int nook_timens_unshare (const oci_linux *l, const struct nook_namespaces *ns, nook_error_t *err);

/* Child: a new network namespace starts with `lo` down; programs expect
 * localhost to work, as runc and crun set it up. */
int nook_loopback_up (const struct nook_namespaces *ns, nook_error_t *err);

/* Child, in its own uts namespace: hostname and domainname. */
int nook_set_hostname (const oci_container *cfg, const struct nook_namespaces *ns, nook_error_t *err);

/* The entry of linux.namespaces of TYPE ("network", "uts", ...), or NULL. */
const oci_namespace *nook_config_namespace (const oci_linux *l, const char *type);

/* Does the container get its own namespace of this CLONE_NEW* type? */
bool nook_namespaces_owns (const struct nook_namespaces *ns, int nstype);

/* Parent, before clone: refuse sysctls that are not namespaced or whose
 * namespace would be the host's. */
int nook_check_sysctl (const oci_linux *linux, const struct nook_namespaces *ns, nook_error_t *err);
/* Child, after pivot_root: write linux.sysctl under /proc/sys. */
int nook_apply_sysctl (const oci_linux *linux, nook_error_t *err);

/* The namespace types nook can create or join (malloc'd strv), for features. */
char **nook_namespaces_supported (size_t *n);

#endif
