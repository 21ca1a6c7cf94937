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
#include <stdint.h>
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

/* Whether the caller may create the container's cgroup: in every
 * hierarchy the deepest existing directory of its path must be writable
 * (for an unprivileged user: a subtree delegated to it).  When not,
 * *blocked (malloc'd) names the directory.  The systemd driver asks
 * systemd, so it always says yes here. */
bool nook_cgroup_writable (struct nook_cgroup *cg, char **blocked);

/* Whether res asks for any limit (device rules aside: an unprivileged
 * runtime cannot enforce those, runc skips them too). */
bool nook_cgroup_limits_wanted (const oci_resources *res);

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

/* ---- update, pause, stats, OOM (cgroup-freeze.c, cgroup-stats.c) ---- */

/* Apply res to the existing cgroup (`update`): creates nothing, moves
 * nobody; devices rules are not changed (as runc).  With
 * memory.checkBeforeUpdate, a limit below the current usage is refused. */
int nook_cgroup_update (struct nook_cgroup *cg, const oci_resources *res, nook_error_t *err);

/* Freeze (pause) or thaw (resume) every process in the cgroup, and wait
 * until the kernel says it is done. */
int nook_cgroup_freeze (struct nook_cgroup *cg, bool frozen, nook_error_t *err);
/* Whether the cgroup is frozen, or being frozen; no freezer: false. */
int nook_cgroup_is_frozen (struct nook_cgroup *cg, bool *frozen, nook_error_t *err);

/* The numbers runc's `events` reports (its types.Stats).  What the host
 * lacks stays 0 / empty. */
struct nook_cgroup_memory_entry
{
  uint64_t limit, usage, max, failcnt;
};

struct nook_cgroup_blkio_entry
{
  uint64_t major, minor;
  char *op; /* "Read", "Write", "Sync", "Async", "Discard", "Total"; NULL: none */
  uint64_t value;
};

enum nook_cgroup_blkio_kind
{
  NOOK_BLKIO_SERVICE_BYTES,
  NOOK_BLKIO_SERVICED,
  NOOK_BLKIO_QUEUED,
  NOOK_BLKIO_SERVICE_TIME,
  NOOK_BLKIO_WAIT_TIME,
  NOOK_BLKIO_MERGED,
  NOOK_BLKIO_TIME,
  NOOK_BLKIO_SECTORS,
  NOOK_BLKIO_KINDS,
};

struct nook_cgroup_hugetlb
{
  char *page_size; /* "2MB" */
  uint64_t usage, max, failcnt;
};

struct nook_cgroup_stats
{
  struct
  {
    uint64_t total, kernel, user; /* ns */
    uint64_t *percpu, *percpu_kernel, *percpu_user;
    size_t n_percpu, n_percpu_kernel, n_percpu_user;
    uint64_t periods, throttled_periods, throttled_time;
  } cpu;
  struct
  {
    uint16_t *cpus, *mems;
    size_t n_cpus, n_mems;
    uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate, memory_spread_page,
      memory_spread_slab, memory_pressure, sched_load_balance;
    int64_t sched_relax_domain_level;
  } cpuset;
  struct
  {
    uint64_t cache;
    struct nook_cgroup_memory_entry usage, swap, kernel, kernel_tcp;
    char **raw_keys; /* memory.stat, in file order */
    uint64_t *raw_values;
    size_t n_raw;
  } memory;
  struct
  {
    uint64_t current, limit; /* limit 0: none */
  } pids;
  struct
  {
    struct nook_cgroup_blkio_entry *e[NOOK_BLKIO_KINDS];
    size_t n[NOOK_BLKIO_KINDS];
  } blkio;
  struct nook_cgroup_hugetlb *hugetlb;
  size_t n_hugetlb;
};

int nook_cgroup_stats (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err);
void nook_cgroup_stats_free (struct nook_cgroup_stats *st);

/* OOM notifications: an fd to poll (readable when something happened),
 * then nook_cgroup_oom_read says how many OOM kills since the last read
 * and whether the cgroup is gone. */
struct nook_cgroup_oom_watch;
int nook_cgroup_oom_watch (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out,
                           nook_error_t *err);
int nook_cgroup_oom_fd (const struct nook_cgroup_oom_watch *w);
int nook_cgroup_oom_read (struct nook_cgroup_oom_watch *w, uint64_t *ooms, bool *gone,
                          nook_error_t *err);
void nook_cgroup_oom_watch_free (struct nook_cgroup_oom_watch *w);

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
