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
  /* update, pause, stats: NULL where a driver cannot (the front says so). */
  int (*update) (struct nook_cgroup *cg, const oci_resources *res, nook_error_t *err);
  int (*freeze) (struct nook_cgroup *cg, bool frozen, nook_error_t *err);
  int (*is_frozen) (struct nook_cgroup *cg, bool *frozen, nook_error_t *err);
  int (*stats) (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err);
  int (*oom_watch) (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out,
                    nook_error_t *err);
};

extern const struct nook_cgroup_ops cgroup_v1_ops; /* v1 and hybrid */
extern const struct nook_cgroup_ops cgroup_v2_ops;

/* The systemd driver (cgroup-systemd.c). */
int cgroup_systemd_new (const char *id, const char *cgroups_path, struct nook_cgroup **out,
                        nook_error_t *err);
int cgroup_systemd_load (const char *path, struct nook_cgroup **out, nook_error_t *err);
/* cgroups_path has runc's systemd form "slice:prefix:name": nook_cgroup_new
 * picks the systemd driver for it even without --systemd-cgroup. */
bool cgroup_systemd_path_wanted (const char *cgroups_path);

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


/* blockIO: the four throttle lists, with their v1 file and v2 io.max key. */
struct cgroup_throttle
{
  const char *field;   /* "throttleReadBpsDevice" */
  const char *v1_file; /* "blkio.throttle.read_bps_device" */
  const char *v2_key;  /* "rbps" */
  const oci_throttle_device *devs;
  size_t n;
};
#define CGROUP_N_THROTTLES 4
void cgroup_block_io_throttles (const oci_block_io *b,
                                struct cgroup_throttle out[CGROUP_N_THROTTLES]);
/* Anything to set in blockIO (a weight of 0 means "not set", as runc). */
bool cgroup_block_io_wanted (const oci_resources *res);
/* Write a "<device> <weight>" line; EOPNOTSUPP (BFQ's answer for a device
 * that is not using it, iocost's for one it is not enabled for) gets an
 * error that says so. */
int cgroup_write_weight (const char *dir, const char *file, const char *line, const char *what,
                         nook_error_t *err);
/* rdma.max: the same lines on v1 and v2 ("mlx4_0 hca_handle=2 hca_object=8"). */
int cgroup_apply_rdma (const char *dir, const oci_resources *res, nook_error_t *err);
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
/* blockIO as io.weight / io.bfq.weight / io.max. */
int cgroup_v2_apply_io (const char *dir, const oci_resources *res, nook_error_t *err);
int cgroup_v2_apply_unified (const char *dir, const oci_resources *res, nook_error_t *err);
/* SIGKILL through cgroup.kill when the kernel has it, else pid by pid. */
int cgroup_v2_kill (const char *dir, int sig, nook_error_t *err);

/* ---- cgroup-devices-bpf.c: device rules; v2's eBPF device program ---- */

/* One device cgroup rule.  type 'a': any device; major, minor -1: any. */
struct cgroup_device_rule
{
  bool allow;
  char type;
  int64_t major, minor;
  const char *access; /* some of "rwm" */
};
/* The rules in the order they apply, a later one winning over an earlier
 * one (as runc): deny everything, then linux.resources.devices, then the
 * devices every container gets.  Returns how many; *rules is malloc'd, its
 * strings point into res. */
size_t cgroup_device_rules (const oci_resources *res, struct cgroup_device_rule **rules);

/* Compile rules (as cgroup_device_rules gives them) into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to the cgroup2
 * directory dir, replacing the device programs attached there before.
 * The program goes away with the cgroup (rmdir). */
int cgroup_bpf_apply_devices (const char *dir, const struct cgroup_device_rule *rules, size_t n,
                              nook_error_t *err);

/* ---- cgroup-freeze.c: the cgroupfs drivers' pause ----
 * v1 uses the freezer hierarchy, or on a hybrid host without one the
 * cgroup2 mount's cgroup.freeze; v2 uses cgroup.freeze. */
int cgroup_v1_freeze (struct nook_cgroup *cg, bool frozen, nook_error_t *err);
int cgroup_v1_is_frozen (struct nook_cgroup *cg, bool *frozen, nook_error_t *err);
int cgroup_v2_freeze (struct nook_cgroup *cg, bool frozen, nook_error_t *err);
int cgroup_v2_is_frozen (struct nook_cgroup *cg, bool *frozen, nook_error_t *err);
/* freezer.state of a v1 freezer cgroup is FROZEN or FREEZING by its own
 * request (not an ancestor's): what `pause` did. */
bool cgroup_v1_freezer_paused (const char *dir);

/* ---- cgroup-stats.c: the cgroupfs drivers' stats and OOM watch ---- */
int cgroup_v1_stats (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err);
int cgroup_v2_stats (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err);
/* v1: an eventfd on memory.oom_control (cgroup.event_control). */
int cgroup_v1_oom_watch (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out,
                         nook_error_t *err);
/* v2: inotify on memory.events, counting oom_kill. */
int cgroup_v2_oom_watch (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out,
                         nook_error_t *err);

#endif
