/* nook - cgroupfs driver for pure cgroup v2 hosts.
 *
 * The tree helpers (enabling controllers, hugetlb, unified, kill) are also
 * what the hybrid driver uses for its cgroup2 mount.
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup-internal.h"
#include "utils.h"

#ifndef N_ELEMENTS
# define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#endif

/* ------------------------------------------------------ controllers */

/* Pure v2, like runc: everything the parent offers, one by one when the
 * whole set is refused (a parent with processes, threaded cgroups, ...);
 * what stays off shows up later as a missing file naming the resource. */
static int
enable_available (const char *dir, nook_error_t *err)
{
  cleanup_free char *avail = NULL, *enabled = NULL, *all = NULL;
  char *tok, *save = NULL;
  nook_error_t e = NULL;

  if (cgroup_read (dir, "cgroup.controllers", &avail, err) < 0
      || cgroup_read (dir, "cgroup.subtree_control", &enabled, err) < 0)
    return -1;
  all = xstrdup ("");
  for (tok = strtok_r (avail, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
    {
      char *old = all;
      if (cgroup_controllers_have (enabled, tok))
        continue;
      xasprintf (&all, "%s%s+%s", old, old[0] ? " " : "", tok);
      free (old);
    }
  if (all[0] == '\0' || cgroup_write (dir, "cgroup.subtree_control", all, NULL, NULL, &e) == 0)
    return 0;
  nook_debug ("cgroup: %s; enabling one by one", e->msg);
  nook_error_release (&e);
  save = NULL;
  for (tok = strtok_r (all, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
    if (cgroup_write (dir, "cgroup.subtree_control", tok, NULL, NULL, &e) < 0)
      {
        nook_debug ("cgroup: %s", e->msg);
        nook_error_release (&e);
      }
  return 0;
}

static int
enable_wanted (const char *dir, const char *const *wanted, size_t n, nook_error_t *err)
{
  cleanup_free char *avail = NULL, *enabled = NULL;
  size_t i;

  if (cgroup_read (dir, "cgroup.controllers", &avail, err) < 0
      || cgroup_read (dir, "cgroup.subtree_control", &enabled, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    {
      cleanup_free char *plus = NULL;
      if (cgroup_controllers_have (enabled, wanted[i]))
        continue;
      if (!cgroup_controllers_have (avail, wanted[i]))
        return nook_make_error (err, 0, "the %s controller is not available in `%s` (it "
                                "offers: %s)", wanted[i], dir, avail[0] ? avail : "nothing");
      xasprintf (&plus, "+%s", wanted[i]);
      if (cgroup_write (dir, "cgroup.subtree_control", plus, NULL, NULL, err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_v2_enable_controllers (const struct cgroup_hierarchy *h, const char *const *wanted,
                              size_t n_wanted, nook_error_t *err)
{
  cleanup_free char *d = xstrdup (h->dir);
  char *p;

  /* Every ancestor from the mount down; never the leaf, which holds the
   * processes ("no internal processes" rule). */
  for (p = d + strlen (h->mountpoint); p; p = strchr (p + 1, '/'))
    {
      int r;
      char saved = *p;
      *p = '\0';
      r = wanted ? enable_wanted (d[0] ? d : "/", wanted, n_wanted, err)
                 : enable_available (d[0] ? d : "/", err);
      *p = saved;
      if (r < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------ resources */

/* A v2 file is missing when its controller is not enabled for the cgroup. */
static int
v2_write (const char *dir, const char *file, const char *value, const char *what,
          nook_error_t *err)
{
  cleanup_free char *hint = NULL;
  xasprintf (&hint, "(is the %.*s controller enabled for this cgroup?)", (int) strcspn (file, "."),
             file);
  return cgroup_write (dir, file, value, what, hint, err);
}

static int
v2_write_int64 (const char *dir, const char *file, int64_t value, const char *what,
                nook_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%" PRId64, value);
  return v2_write (dir, file, buf, what, err);
}

static int
write_max (const char *dir, const char *file, int64_t v, const char *what, const char *hint,
           nook_error_t *err)
{
  char buf[32];
  cgroup_format_int64 (buf, sizeof (buf), v, "max");
  if (hint == NULL)
    return v2_write (dir, file, buf, what, err);
  return cgroup_write (dir, file, buf, what, hint, err);
}

/* v1's swap is memory+swap; v2's memory.swap.max is swap alone (runc's rule). */
static int
swap_value (const oci_memory *m, int64_t *out, nook_error_t *err)
{
  int64_t limit = m->has_limit ? m->limit : 0;
  int64_t swap = m->has_swap ? m->swap : 0;

  *out = swap;
  if (swap == 0 || swap == -1)
    return 0;
  if (limit == 0 || limit == -1)
    return nook_make_error (err, 0, "linux.resources.memory.swap needs a "
                            "linux.resources.memory.limit on cgroup v2");
  *out = swap - limit;
  return 0;
}

static int
validate_v2_block_io (const oci_block_io *b, nook_error_t *err)
{
  size_t i;

  if (b == NULL)
    return 0;
  if (b->has_leaf_weight && b->leaf_weight != 0)
    return nook_make_error (err, 0, "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf "
                            "weights");
  for (i = 0; i < b->weight_device_len; i++)
    if (b->weight_device[i].has_leaf_weight)
      return nook_make_error (err, 0, "linux.resources.blockIO.weightDevice[%zu].leafWeight: "
                              "cgroup v2 has no leaf weights", i);
  return 0;
}

/* What v2 cannot do at all, refused before anything is created. */
static int
validate_v2 (const oci_resources *res, nook_error_t *err)
{
  const oci_memory *m = res ? res->memory : NULL;
  const oci_cpu *c = res ? res->cpu : NULL;
  int64_t swap;

  if (m && m->has_swappiness && m->swappiness != UINT64_MAX)
    return nook_make_error (err, 0, "linux.resources.memory.swappiness is not supported on "
                            "cgroup v2");
  if (m && m->has_kernel_tcp && m->kernel_tcp != 0)
    return nook_make_error (err, 0, "linux.resources.memory.kernelTCP is not supported on "
                            "cgroup v2");
  if (m && m->disable_oom_killer)
    return nook_make_error (err, 0, "linux.resources.memory.disableOOMKiller is not supported "
                            "on cgroup v2");
  if (m && m->has_use_hierarchy && !m->use_hierarchy)
    return nook_make_error (err, 0, "linux.resources.memory.useHierarchy=false is not possible "
                            "on cgroup v2");
  if (m && swap_value (m, &swap, err) < 0)
    return -1;
  if (c && ((c->has_realtime_runtime && c->realtime_runtime != 0)
            || (c->has_realtime_period && c->realtime_period != 0)))
    return nook_make_error (err, 0, "linux.resources.cpu.realtimeRuntime/realtimePeriod are not "
                            "supported on cgroup v2");
  if (c && c->has_shares && c->shares != 0 && (c->shares < 2 || c->shares > 262144))
    return nook_make_error (err, 0, "linux.resources.cpu.shares: %" PRIu64 " is out of range "
                            "2-262144", c->shares);
  if (res && validate_v2_block_io (res->block_io, err) < 0)
    return -1;
  /* runc ignores these on v2; the spec wants an error for what cannot be set. */
  if (res && res->network && (res->network->has_class_id || res->network->priorities_len))
    return nook_make_error (err, 0, "linux.resources.network: cgroup v2 has no net_cls or "
                            "net_prio controller to set classID or priorities with");
  return 0;
}

static int
apply_memory (const char *dir, const oci_resources *res, nook_error_t *err)
{
  const oci_memory *m = res->memory;
  int64_t swap;

  if (m == NULL)
    return 0;
  if (m->has_limit && m->limit != 0
      && write_max (dir, "memory.max", m->limit, "linux.resources.memory.limit", NULL, err) < 0)
    return -1;
  if (swap_value (m, &swap, err) < 0)
    return -1;
  /* swap == limit is "no swap": memory.swap.max 0. */
  if (m->has_swap && m->swap != 0
      && write_max (dir, "memory.swap.max", swap, "linux.resources.memory.swap",
                    "(swap accounting disabled?)", err) < 0)
    return -1;
  if (m->has_reservation && m->reservation != 0
      && write_max (dir, "memory.low", m->reservation, "linux.resources.memory.reservation", NULL,
                    err) < 0)
    return -1;
  cgroup_warn_kernel_memory (res);
  return 0;
}

/* runc's mapping of cpu.shares [2, 262144] onto cpu.weight [1, 10000]. */
static uint64_t
shares_to_weight (uint64_t shares)
{
  return 1 + ((shares - 2) * 9999) / 262142;
}

static int
apply_cpu_max (const char *dir, const oci_cpu *c, nook_error_t *err)
{
  bool quota = c->has_quota && c->quota != 0;
  bool period = c->has_period && c->period != 0;
  char buf[64];

  if (!quota && !period)
    return 0;
  /* Without a period the kernel keeps the current one. */
  cgroup_format_int64 (buf, sizeof (buf), quota ? c->quota : -1, "max");
  if (period)
    snprintf (buf + strlen (buf), sizeof (buf) - strlen (buf), " %" PRIu64, c->period);
  return v2_write (dir, "cpu.max", buf, "linux.resources.cpu.quota/period", err);
}

static int
apply_cpu (const char *dir, const oci_resources *res, nook_error_t *err)
{
  const oci_cpu *c = res->cpu;

  if (c == NULL)
    return 0;
  if (c->has_shares && c->shares != 0
      && v2_write_int64 (dir, "cpu.weight", (int64_t) shares_to_weight (c->shares),
                             "linux.resources.cpu.shares", err) < 0)
    return -1;
  if (apply_cpu_max (dir, c, err) < 0)
    return -1;
  if (c->has_burst
      && v2_write_int64 (dir, "cpu.max.burst", (int64_t) c->burst, "linux.resources.cpu.burst",
                             err) < 0)
    return -1;
  if (c->has_idle
      && v2_write_int64 (dir, "cpu.idle", c->idle, "linux.resources.cpu.idle", err) < 0)
    return -1;
  if (c->cpus && c->cpus[0]
      && v2_write (dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (c->mems && c->mems[0]
      && v2_write (dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int
apply_pids (const char *dir, const oci_resources *res, nook_error_t *err)
{
  /* runc >= 1.2: a limit <= 0 means no limit. */
  if (res->pids == NULL)
    return 0;
  return write_max (dir, "pids.max", res->pids->limit > 0 ? res->pids->limit : -1,
                    "linux.resources.pids.limit", NULL, err);
}

int
cgroup_v2_apply_hugetlb (const char *dir, const oci_resources *res, nook_error_t *err)
{
  return cgroup_apply_hugetlb (dir, res, "max", err);
}

/* ------------------------------------------------------ io */

/* blkio weights are 10-1000, io.weight's 1-10000: the linear map runc and
 * crun use (below 10, which BFQ allows, gives the smallest). */
static uint64_t
blkio_to_io_weight (uint16_t w)
{
  return w < 10 ? 1 : 1 + ((uint64_t) w - 10) * 9999 / 990;
}

/* BFQ takes blkio weights as they are; io.weight (iocost) is the fallback.
 * Both read "default N" and "MAJOR:MINOR N"; a device's weight of 0 (v1's
 * way to drop it) is "MAJOR:MINOR default" there. */
static int
write_io_weight (const char *dir, const char *device, uint16_t w, const char *what,
                 nook_error_t *err)
{
  char line[64];

  if (cgroup_file_exists (dir, "io.bfq.weight"))
    {
      snprintf (line, sizeof (line), w ? "%s %u" : "%s default", device, (unsigned) w);
      return cgroup_write_weight (dir, "io.bfq.weight", line, what, err);
    }
  if (cgroup_file_exists (dir, "io.weight"))
    {
      snprintf (line, sizeof (line), w ? "%s %" PRIu64 : "%s default", device,
                blkio_to_io_weight (w));
      return cgroup_write_weight (dir, "io.weight", line, what, err);
    }
  return nook_make_error (err, 0, "%s: neither `%s/io.bfq.weight` nor `%s/io.weight` exists (is "
                          "the io controller enabled? a kernel without BFQ and iocost?)", what,
                          dir, dir);
}

static int
apply_io_weights (const char *dir, const oci_block_io *b, nook_error_t *err)
{
  size_t i;

  if (b->has_weight && b->weight != 0
      && write_io_weight (dir, "default", b->weight, "linux.resources.blockIO.weight", err) < 0)
    return -1;
  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *d = &b->weight_device[i];
      char device[48], what[80];
      if (!d->has_weight)
        continue;
      snprintf (device, sizeof (device), "%" PRId64 ":%" PRId64, d->major, d->minor);
      snprintf (what, sizeof (what), "linux.resources.blockIO.weightDevice[%zu]", i);
      if (write_io_weight (dir, device, d->weight, what, err) < 0)
        return -1;
    }
  return 0;
}

/* io.max takes every limit of a device on one line. */
struct io_max_device
{
  int64_t major, minor;
  bool set[CGROUP_N_THROTTLES];
  uint64_t rate[CGROUP_N_THROTTLES];
};

static struct io_max_device *
io_max_device (struct io_max_device **devs, size_t *n, int64_t major, int64_t minor)
{
  size_t i;

  for (i = 0; i < *n; i++)
    if ((*devs)[i].major == major && (*devs)[i].minor == minor)
      return &(*devs)[i];
  *devs = xrealloc (*devs, (*n + 1) * sizeof (**devs));
  memset (&(*devs)[*n], 0, sizeof (**devs));
  (*devs)[*n].major = major;
  (*devs)[*n].minor = minor;
  return &(*devs)[(*n)++];
}

static int
write_io_max (const char *dir, const struct io_max_device *d,
              const struct cgroup_throttle t[CGROUP_N_THROTTLES], nook_error_t *err)
{
  char line[256], what[96];
  size_t i, len;

  len = (size_t) snprintf (line, sizeof (line), "%" PRId64 ":%" PRId64, d->major, d->minor);
  for (i = 0; i < CGROUP_N_THROTTLES; i++)
    {
      char value[32];
      if (!d->set[i])
        continue;
      /* 0 is "no limit" in blkio; io.max says it with "max". */
      cgroup_format_int64 (value, sizeof (value), d->rate[i] ? (int64_t) d->rate[i] : -1, "max");
      len += (size_t) snprintf (line + len, sizeof (line) - len, " %s=%s", t[i].v2_key, value);
    }
  snprintf (what, sizeof (what), "linux.resources.blockIO throttles of device %" PRId64 ":%" PRId64,
            d->major, d->minor);
  return v2_write (dir, "io.max", line, what, err);
}

static int
apply_io_max (const char *dir, const oci_block_io *b, nook_error_t *err)
{
  struct cgroup_throttle t[CGROUP_N_THROTTLES];
  cleanup_free struct io_max_device *devs = NULL;
  size_t n = 0, i, j;

  cgroup_block_io_throttles (b, t);
  for (i = 0; i < CGROUP_N_THROTTLES; i++)
    for (j = 0; j < t[i].n; j++)
      {
        struct io_max_device *d = io_max_device (&devs, &n, t[i].devs[j].major,
                                                 t[i].devs[j].minor);
        d->set[i] = true;
        d->rate[i] = t[i].devs[j].rate;
      }
  for (i = 0; i < n; i++)
    if (write_io_max (dir, &devs[i], t, err) < 0)
      return -1;
  return 0;
}

int
cgroup_v2_apply_io (const char *dir, const oci_resources *res, nook_error_t *err)
{
  if (!cgroup_block_io_wanted (res))
    return 0;
  if (validate_v2_block_io (res->block_io, err) < 0)
    return -1;
  if (apply_io_weights (dir, res->block_io, err) < 0)
    return -1;
  return apply_io_max (dir, res->block_io, err);
}

/* ------------------------------------------------------ devices, rdma */

/* Always, as on v1: no rules in the config still means runc's defaults. */
static int
apply_devices (const char *dir, const oci_resources *res, nook_error_t *err)
{
  cleanup_free struct cgroup_device_rule *rules = NULL;
  size_t n = cgroup_device_rules (res, &rules);

  return cgroup_bpf_apply_devices (dir, rules, n, err);
}

int
cgroup_v2_apply_unified (const char *dir, const oci_resources *res, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < res->unified.len; i++)
    {
      cleanup_free char *what = NULL;
      xasprintf (&what, "linux.resources.unified `%s`", res->unified.keys[i]);
      if (cgroup_write (dir, res->unified.keys[i], res->unified.values[i], what,
                        "(is its controller enabled?)", err) < 0)
        return -1;
    }
  return 0;
}

/* unified last: it is there to override what the typed fields set. */
static int (*const v2_appliers[]) (const char *, const oci_resources *, nook_error_t *) = {
  apply_memory, apply_cpu, apply_pids, cgroup_v2_apply_hugetlb, cgroup_v2_apply_io,
  cgroup_apply_rdma, apply_devices, cgroup_v2_apply_unified,
};

/* ------------------------------------------------------ driver */

int
cgroup_v2_kill (const char *dir, int sig, nook_error_t *err)
{
  if (sig == SIGKILL && cgroup_file_exists (dir, "cgroup.kill"))
    return cgroup_write (dir, "cgroup.kill", "1", NULL, NULL, err);
  return cgroup_signal_pids (dir, sig, err);
}

static int
v2_setup (struct cgroup_hierarchy *h, pid_t pid, const oci_resources *res, nook_error_t *err)
{
  size_t i;

  if (cgroup_hierarchy_create (h, err) < 0 || cgroup_v2_enable_controllers (h, NULL, 0, err) < 0)
    return -1;
  for (i = 0; i < N_ELEMENTS (v2_appliers); i++)
    if (v2_appliers[i](h->dir, res, err) < 0)
      return -1;
  return cgroup_attach (h, pid, err);
}

static int
v2_enter (struct nook_cgroup *cg, pid_t pid, const oci_resources *res, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  static const oci_resources no_resources;

  if (res == NULL)
    res = &no_resources;
  if (validate_v2 (res, err) < 0)
    return -1;
  if (v2_setup (&fs->h[0], pid, res, err) < 0)
    {
      cgroup_fs_remove_all (fs, NULL);
      return -1;
    }
  cgroup_fs_entered (cg);
  return 0;
}

static int
v2_kill_all (struct nook_cgroup *cg, int sig, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  return cgroup_v2_kill (fs->h[0].dir, sig, err);
}

static int
v2_pids (struct nook_cgroup *cg, pid_t **pids, size_t *n, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  return cgroup_read_pids (fs->h[0].dir, pids, n, err);
}

static int
v2_destroy (struct nook_cgroup *cg, nook_error_t *err)
{
  return cgroup_fs_remove_all (cg->priv, err);
}

static int
v2_mount (struct nook_cgroup *cg, int target_fd, unsigned long mount_flags, bool own_cgroupns,
          nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  cleanup_free char *desc = cgroup_fd_path (target_fd);

  return cgroup_mount_hierarchy (&fs->h[0], target_fd, cgroup_mount_attrs (mount_flags),
                                 own_cgroupns, desc, err);
}

/* `update`: the same appliers on the existing cgroup, device rules aside
 * (runc's update never changes them; clients send them along anyway). */
static int
v2_update (struct nook_cgroup *cg, const oci_resources *res, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  size_t i;

  if (validate_v2 (res, err) < 0)
    return -1;
  for (i = 0; i < N_ELEMENTS (v2_appliers); i++)
    if (v2_appliers[i] != apply_devices && v2_appliers[i](fs->h[0].dir, res, err) < 0)
      return -1;
  return 0;
}

const struct nook_cgroup_ops cgroup_v2_ops = {
  .enter = v2_enter,
  .attach = cgroup_fs_attach,
  .kill_all = v2_kill_all,
  .pids = v2_pids,
  .destroy = v2_destroy,
  .mount = v2_mount,
  .free_priv = cgroup_fs_free_priv,
  .update = v2_update,
  .freeze = cgroup_v2_freeze,
  .is_frozen = cgroup_v2_is_frozen,
  .stats = cgroup_v2_stats,
  .oom_watch = cgroup_v2_oom_watch,
};
