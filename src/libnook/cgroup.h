/* nook - cgroup managers.
 *
 * A manager is a table of operations (cgroup-internal.h); the drivers are
 * cgroupfs on v1, on hybrid hosts (v1 controllers plus a cgroup2 mount that
 * owns some controllers, e.g. hugetlb at /sys/fs/cgroup/unified), on pure v2,
 * and systemd.  Callers hold a struct nook_cgroup and never branch on which
 * driver is behind it.
 */
#ifndef NOOK_CGROUP_H
#define NOOK_CGROUP_H

#include <sys/types.h>
#include <stdbool.h>
#include "oci.h"
#include "error.h"

struct nook_cgroup_ops;

struct nook_cgroup
{
  const struct nook_cgroup_ops *ops;
  char *manager; /* persisted name of the driver: "cgroupfs" or "systemd" */
  char *path;    /* resolved absolute path below each hierarchy's root, e.g. "/nook/abc" */
  void *priv;    /* driver data */
};

/* Decide the driver for this host and resolve the path; creates nothing.
 * cgroups_path may be NULL/"" (default "/nook/<id>"); a relative path is
 * taken relative to nook's own cgroup, as runc does.  systemd selects the
 * systemd driver (`--systemd-cgroup`). */
int nook_cgroup_new (const char *id, const char *cgroups_path, bool systemd,
                     struct nook_cgroup **out, nook_error_t *err);

/* Rebuild a handle from what the state file recorded (manager + path). */
int nook_cgroup_load (const char *manager, const char *path, struct nook_cgroup **out,
                      nook_error_t *err);

/* Create the cgroup(s), apply resources (may be NULL) and move pid in.
 * A resource the host cannot honour is an error naming it.  On failure,
 * everything created is removed again. */
int nook_cgroup_enter (struct nook_cgroup *cg, pid_t pid, const oci_resources *res,
                       nook_error_t *err);

/* Move pid into the existing cgroup (exec joins the container). */
int nook_cgroup_attach (struct nook_cgroup *cg, pid_t pid, nook_error_t *err);

/* Send sig to every process in the cgroup. */
int nook_cgroup_kill_all (struct nook_cgroup *cg, int sig, nook_error_t *err);

/* List the pids in the cgroup (*pids malloc'd). */
int nook_cgroup_pids (struct nook_cgroup *cg, pid_t **pids, size_t *n, nook_error_t *err);

/* Remove every directory nook created (waits briefly for exiting tasks);
 * a cgroup that is already gone is not an error. */
int nook_cgroup_destroy (struct nook_cgroup *cg, nook_error_t *err);

/* Mount the cgroup filesystem for the container on target_fd (an O_PATH fd
 * of the directory inside the rootfs, e.g. /sys/fs/cgroup).  Runs in the
 * container's mount namespace, after it joined its cgroup (and cgroup
 * namespace when own_cgroupns).  mount_flags are MS_* (e.g. MS_RDONLY,
 * MS_NOSUID...) from the config mount's options. */
int nook_cgroup_mount (struct nook_cgroup *cg, int target_fd, unsigned long mount_flags,
                       bool own_cgroupns, nook_error_t *err);

void nook_cgroup_free (struct nook_cgroup *cg);

/* Host layout, for `features` and error messages. */
enum nook_cgroup_mode
{
  NOOK_CGROUP_MODE_V1,
  NOOK_CGROUP_MODE_HYBRID,
  NOOK_CGROUP_MODE_V2,
};
int nook_cgroup_detect_mode (enum nook_cgroup_mode *mode, nook_error_t *err);

#endif
