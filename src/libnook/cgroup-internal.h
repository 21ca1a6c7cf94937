/* nook - what the cgroup drivers share (not for callers outside cgroup*.c).
 *
 * A driver is a struct nook_cgroup_ops.  The cgroupfs drivers (v1 and
 * hybrid in cgroup-v1.c, pure v2 in cgroup-v2.c) keep a struct cgroup_fs in
 * nook_cgroup.priv: every hierarchy they use, where it is mounted and where
 * the container lives in it.  cgroup.c finds the hierarchies, resolves and
 * persists the paths, and holds the file helpers both drivers use.
 */
#ifndef NOOK_CGROUP_INTERNAL_H
#define NOOK_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include "cgroup.h"

struct nook_cgroup_ops
{
  int (*enter) (struct nook_cgroup *cg, pid_t pid, const oci_resources *res, nook_error_t *err);
  int (*attach) (struct nook_cgroup *cg, pid_t pid, nook_error_t *err);
  int (*kill_all) (struct nook_cgroup *cg, int sig, nook_error_t *err);
  int (*pids) (struct nook_cgroup *cg, pid_t **pids, size_t *n, nook_error_t *err);
  int (*destroy) (struct nook_cgroup *cg, nook_error_t *err);
  int (*mount) (struct nook_cgroup *cg, int target_fd, unsigned long mount_flags,
                bool own_cgroupns, nook_error_t *err);
  void (*free_priv) (void *priv);
};

extern const struct nook_cgroup_ops cgroup_v1_ops; /* v1 and hybrid */
extern const struct nook_cgroup_ops cgroup_v2_ops;

/* The systemd driver (cgroup-systemd.c). */
int cgroup_systemd_new (const char *id, const char *cgroups_path, struct nook_cgroup **out,
                        nook_error_t *err);
int cgroup_systemd_load (const char *path, struct nook_cgroup **out, nook_error_t *err);

/* One mounted hierarchy and the container's place in it. */
struct cgroup_hierarchy
{
  char *controllers; /* as /proc/self/cgroup names it: "memory", "cpu,cpuacct",
                        "name=systemd"; "" for cgroup2 */
  char *mountpoint;  /* "/sys/fs/cgroup/memory" */
  char *mount_root;  /* the hierarchy's directory mounted there, usually "/" */
  char *own;         /* nook's own cgroup (from /proc/self/cgroup); NULL after load */
  char *path;        /* the container's cgroup, absolute in the hierarchy */
  char *dir;         /* where that cgroup is on the host: mountpoint + path */
  int created;       /* trailing components of path that nook created */
  bool v2;
};

struct cgroup_fs
{
  enum nook_cgroup_mode mode;
  struct cgroup_hierarchy *h;
  size_t n;
  bool entered; /* enter() succeeded, or the handle was loaded from state */
};

/* ---- cgroup.c: hierarchies ---- */

void cgroup_fs_free_priv (void *priv);
/* Move pid into the container's existing cgroup in every hierarchy. */
int cgroup_fs_attach (struct nook_cgroup *cg, pid_t pid, nook_error_t *err);
/* After a successful enter(): record what was created in cg->path. */
void cgroup_fs_entered (struct nook_cgroup *cg);
/* What fd points to, for messages ("fd N" when unknown); malloc'd. */
char *cgroup_fd_path (int fd);

/* The hierarchy that holds controller ("memory"; "" for the cgroup2 one). */
struct cgroup_hierarchy *cgroup_fs_find (struct cgroup_fs *fs, const char *controller);
/* controller in a ','- or ' '-separated list ("cpu,cpuacct", cgroup.controllers). */
bool cgroup_controllers_have (const char *list, const char *controller);

/* mkdir every missing component of h->path; sets h->created. */
int cgroup_hierarchy_create (struct cgroup_hierarchy *h, nook_error_t *err);
/* rmdir what h->created says nook made (child cgroups first), retrying
 * while tasks exit until deadline (CLOCK_MONOTONIC).  Gone is success. */
int cgroup_hierarchy_remove (struct cgroup_hierarchy *h, const struct timespec *deadline,
                             nook_error_t *err);
/* Remove everything every hierarchy of fs created; err gets the first failure. */
int cgroup_fs_remove_all (struct cgroup_fs *fs, nook_error_t *err);
/* The persisted form of fs's paths (see cgroup.c), for nook_cgroup.path. */
char *cgroup_fs_encode_path (const struct cgroup_fs *fs);

int cgroup_attach (const struct cgroup_hierarchy *h, pid_t pid, nook_error_t *err);
/* Undo an attach: pid back to nook's own cgroup (best effort). */
void cgroup_detach (const struct cgroup_hierarchy *h, pid_t pid);

/* ---- cgroup.c: files ----
 * what names the resource for messages ("linux.resources.memory.limit"),
 * or NULL; hint is appended when the file does not exist (may be NULL). */
int cgroup_write (const char *dir, const char *file, const char *value, const char *what,
                  const char *hint, nook_error_t *err);
int cgroup_write_int64 (const char *dir, const char *file, int64_t value, const char *what,
                        nook_error_t *err);
/* value in decimal, or negative for any value < 0 ("max" for a v2 limit,
 * "*" for a v1 device number). */
void cgroup_format_int64 (char *buf, size_t size, int64_t value, const char *negative);
int cgroup_read (const char *dir, const char *file, char **out, nook_error_t *err);
bool cgroup_file_exists (const char *dir, const char *file);

/* Every pid in dir and the cgroups below it. */
int cgroup_read_pids (const char *dir, pid_t **pids, size_t *n, nook_error_t *err);
/* kill(2) every pid in dir and below; a process already gone is fine. */
int cgroup_signal_pids (const char *dir, int sig, nook_error_t *err);

/* ---- cgroup.c: resources both drivers check the same way ---- */

/* Before anything is created: blockIO/network/rdma, devices rules syntax,
 * memory swap/swappiness ranges, hugepage sizes, unified keys. */
int cgroup_validate_resources (const oci_resources *res, nook_error_t *err);
/* memory.kernel: accepted and ignored, as the kernel does. */
void cgroup_warn_kernel_memory (const oci_resources *res);
/* "none"/"all" wildcard rules only: what v2 without eBPF can honour. */
bool cgroup_devices_only_wildcards (const oci_resources *res);
/* hugepageLimits, each into hugetlb.<pageSize>.<suffix>: the drivers
 * differ only in the suffix ("limit_in_bytes" on v1, "max" on v2). */
int cgroup_apply_hugetlb (const char *dir, const oci_resources *res, const char *suffix,
                          nook_error_t *err);

/* ---- cgroup.c: mounting one hierarchy for the container ---- */

/* MS_* flags -> MOUNT_ATTR_* (nosuid, nodev, noexec always set). */
uint64_t cgroup_mount_attrs (unsigned long mount_flags);
/* Mount h on target_fd: a fresh cgroup (v1 controllers or cgroup2) when
 * own_cgroupns, else a bind of the container's own directory h->dir.
 * desc names the target in messages. */
int cgroup_mount_hierarchy (const struct cgroup_hierarchy *h, int target_fd, uint64_t attrs,
                            bool own_cgroupns, const char *desc, nook_error_t *err);

/* ---- cgroup-v2.c, also used by the hybrid driver for its cgroup2 mount ---- */

/* Enable controllers along h->path (not in the leaf).  wanted NULL: every
 * available one, best effort (pure v2, like runc); else exactly those, or
 * an error naming the one that cannot be enabled. */
int cgroup_v2_enable_controllers (const struct cgroup_hierarchy *h, const char *const *wanted,
                                  size_t n_wanted, nook_error_t *err);
int cgroup_v2_apply_hugetlb (const char *dir, const oci_resources *res, nook_error_t *err);
int cgroup_v2_apply_unified (const char *dir, const oci_resources *res, nook_error_t *err);
/* SIGKILL through cgroup.kill when the kernel has it, else pid by pid. */
int cgroup_v2_kill (const char *dir, int sig, nook_error_t *err);

#endif
