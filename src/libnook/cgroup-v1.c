/* nook - cgroupfs driver for cgroup v1 and hybrid hosts.
 *
 * Every v1 hierarchy found in /proc/self/mountinfo gets the container's
 * cgroup, named ones (name=systemd) included, so that tools looking at any
 * of them find it.  On a hybrid host the cgroup2 mount (e.g.
 * /sys/fs/cgroup/unified) gets it too; that mount owns the controllers no
 * v1 hierarchy has (here: hugetlb), and only those may be set there.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroup-internal.h"
#include "utils.h"

#ifndef N_ELEMENTS
# define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#endif

/* How long kill_all() waits for the freezer before signalling anyway. */
#define FREEZE_TIMEOUT_MS 500

/* ------------------------------------------------------ memory */

static int
apply_memory (const char *dir, const oci_resources *res, nook_error_t *err)
{
  const oci_memory *m = res->memory;

  if (m->has_limit && m->limit != 0
      && cgroup_write_int64 (dir, "memory.limit_in_bytes", m->limit,
                             "linux.resources.memory.limit", err) < 0)
    return -1;
  /* memsw is memory+swap: the kernel wants it >= the limit set just before. */
  if (m->has_swap && m->swap != 0)
    {
      char buf[32];
      snprintf (buf, sizeof (buf), "%" PRId64, m->swap);
      if (cgroup_write (dir, "memory.memsw.limit_in_bytes", buf, "linux.resources.memory.swap",
                        "(swap accounting disabled?)", err) < 0)
        return -1;
    }
  if (m->has_reservation && m->reservation != 0
      && cgroup_write_int64 (dir, "memory.soft_limit_in_bytes", m->reservation,
                             "linux.resources.memory.reservation", err) < 0)
    return -1;
  /* (uint64_t) -1 is how clients say "leave it". */
  if (m->has_swappiness && m->swappiness != UINT64_MAX
      && cgroup_write_int64 (dir, "memory.swappiness", (int64_t) m->swappiness,
                             "linux.resources.memory.swappiness", err) < 0)
    return -1;
  cgroup_warn_kernel_memory (res);
  if (m->has_kernel_tcp && m->kernel_tcp != 0
      && cgroup_write_int64 (dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp,
                             "linux.resources.memory.kernelTCP", err) < 0)
    return -1;
  if (m->disable_oom_killer
      && cgroup_write (dir, "memory.oom_control", "1", "linux.resources.memory.disableOOMKiller",
                       NULL, err) < 0)
    return -1;
  if (m->has_use_hierarchy
      && cgroup_write (dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
                       "linux.resources.memory.useHierarchy", NULL, err) < 0)
    return -1;
  return 0;
}

static bool
memory_wanted (const oci_resources *res)
{
  const oci_memory *m = res->memory;
  return m
         && ((m->has_limit && m->limit) || (m->has_swap && m->swap)
             || (m->has_reservation && m->reservation)
             || (m->has_swappiness && m->swappiness != UINT64_MAX)
             || (m->has_kernel_tcp && m->kernel_tcp) || m->disable_oom_killer
             || m->has_use_hierarchy || (m->has_kernel && m->kernel));
}

/* ------------------------------------------------------ cpu */

/* The kernel clamps cpu.shares silently: read it back to tell the user. */
static int
apply_cpu_shares (const char *dir, uint64_t shares, nook_error_t *err)
{
  cleanup_free char *got = NULL;
  uint64_t v;

  if (cgroup_write_int64 (dir, "cpu.shares", (int64_t) shares, "linux.resources.cpu.shares", err)
      < 0)
    return -1;
  if (cgroup_read (dir, "cpu.shares", &got, err) < 0)
    return -1;
  if (parse_uint64 (got, &v) == 0 && v != shares)
    return nook_make_error (err, 0, "linux.resources.cpu.shares: %" PRIu64 " is out of range: "
                            "the kernel made it %" PRIu64, shares, v);
  return 0;
}

static int
apply_cpu_bandwidth (const char *dir, const oci_cpu *c, nook_error_t *err)
{
  bool period_pending = false;

  if (c->has_period && c->period != 0)
    {
      nook_error_t e = NULL;
      if (cgroup_write_int64 (dir, "cpu.cfs_period_us", (int64_t) c->period,
                              "linux.resources.cpu.period", &e) < 0)
        {
          /* A shorter period can be refused with the old quota against the
           * parent's; setting the quota first makes it fit (as runc does). */
          if (e->status != EINVAL || !c->has_quota || c->quota == 0)
            {
              *err = e;
              return -1;
            }
          nook_error_release (&e);
          period_pending = true;
        }
    }
  if (c->has_quota && c->quota != 0
      && cgroup_write_int64 (dir, "cpu.cfs_quota_us", c->quota, "linux.resources.cpu.quota", err)
           < 0)
    return -1;
  if (period_pending
      && cgroup_write_int64 (dir, "cpu.cfs_period_us", (int64_t) c->period,
                             "linux.resources.cpu.period", err) < 0)
    return -1;
  if (c->has_burst
      && cgroup_write_int64 (dir, "cpu.cfs_burst_us", (int64_t) c->burst,
                             "linux.resources.cpu.burst", err) < 0)
    return -1;
  return 0;
}

static int
apply_cpu_rt (const char *dir, const oci_cpu *c, nook_error_t *err)
{
  static const char hint[] = "(kernel without CONFIG_RT_GROUP_SCHED?)";
  char buf[32];

  /* Period first: the runtime is checked against it. */
  if (c->has_realtime_period && c->realtime_period != 0)
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, c->realtime_period);
      if (cgroup_write (dir, "cpu.rt_period_us", buf, "linux.resources.cpu.realtimePeriod", hint,
                        err) < 0)
        return -1;
    }
  if (c->has_realtime_runtime && c->realtime_runtime != 0)
    {
      snprintf (buf, sizeof (buf), "%" PRId64, c->realtime_runtime);
      if (cgroup_write (dir, "cpu.rt_runtime_us", buf, "linux.resources.cpu.realtimeRuntime", hint,
                        err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_cpu (const char *dir, const oci_resources *res, nook_error_t *err)
{
  const oci_cpu *c = res->cpu;

  if (c->has_shares && c->shares != 0 && apply_cpu_shares (dir, c->shares, err) < 0)
    return -1;
  if (apply_cpu_bandwidth (dir, c, err) < 0 || apply_cpu_rt (dir, c, err) < 0)
    return -1;
  if (c->has_idle
      && cgroup_write_int64 (dir, "cpu.idle", c->idle, "linux.resources.cpu.idle", err) < 0)
    return -1;
  return 0;
}

static bool
cpu_wanted (const oci_resources *res)
{
  const oci_cpu *c = res->cpu;
  return c
         && ((c->has_shares && c->shares) || (c->has_quota && c->quota)
             || (c->has_period && c->period) || c->has_burst
             || (c->has_realtime_runtime && c->realtime_runtime)
             || (c->has_realtime_period && c->realtime_period) || c->has_idle);
}

/* ------------------------------------------------------ cpuset */

static int
apply_cpuset (const char *dir, const oci_resources *res, nook_error_t *err)
{
  const oci_cpu *c = res->cpu;

  if (c->cpus && c->cpus[0]
      && cgroup_write (dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", NULL, err) < 0)
    return -1;
  if (c->mems && c->mems[0]
      && cgroup_write (dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", NULL, err) < 0)
    return -1;
  return 0;
}

static bool
cpuset_wanted (const oci_resources *res)
{
  const oci_cpu *c = res->cpu;
  return c && ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]));
}

static int
cpuset_copy_if_empty (const char *parent, const char *dir, const char *file, nook_error_t *err)
{
  cleanup_free char *cur = NULL, *inherited = NULL;

  if (cgroup_read (dir, file, &cur, err) < 0)
    return -1;
  if (cur[0] != '\0')
    return 0;
  if (cgroup_read (parent, file, &inherited, err) < 0)
    return -1;
  return cgroup_write (dir, file, inherited, NULL, NULL, err);
}

/* A v1 cpuset starts with no cpus and no mems, and a task cannot join it
 * then: give every level down to the leaf what its parent has. */
static int
cpuset_fill_from_parents (const struct cgroup_hierarchy *h, nook_error_t *err)
{
  cleanup_free char *d = xstrdup (h->dir);
  size_t end, base = strlen (h->mountpoint);

  for (end = base + 1;; end++)
    {
      cleanup_free char *parent = NULL;
      char saved = d[end];
      if (saved != '/' && saved != '\0')
        continue;
      d[end] = '\0';
      xasprintf (&parent, "%.*s", (int) (strrchr (d, '/') - d), d);
      if (cpuset_copy_if_empty (parent, d, "cpuset.cpus", err) < 0
          || cpuset_copy_if_empty (parent, d, "cpuset.mems", err) < 0)
        return -1;
      d[end] = saved;
      if (saved == '\0')
        return 0;
    }
}

/* ------------------------------------------------------ pids */

static int
apply_pids (const char *dir, const oci_resources *res, nook_error_t *err)
{
  /* runc >= 1.2: a limit <= 0 means no limit. */
  if (res->pids->limit <= 0)
    return cgroup_write (dir, "pids.max", "max", "linux.resources.pids.limit", NULL, err);
  return cgroup_write_int64 (dir, "pids.max", res->pids->limit, "linux.resources.pids.limit",
                             err);
}

static bool
pids_wanted (const oci_resources *res)
{
  return res->pids != NULL;
}

/* ------------------------------------------------------ devices */

static int
write_device_rule (const char *dir, const struct cgroup_device_rule *r, nook_error_t *err)
{
  char major[24], minor[24], line[80];

  /* v1 reads "a" as the whole list: allow or deny everything. */
  if (r->type == 'a')
    snprintf (line, sizeof (line), "a");
  else
    {
      cgroup_format_int64 (major, sizeof (major), r->major, "*");
      cgroup_format_int64 (minor, sizeof (minor), r->minor, "*");
      snprintf (line, sizeof (line), "%c %s:%s %s", r->type, major, minor, r->access);
    }
  return cgroup_write (dir, r->allow ? "devices.allow" : "devices.deny", line,
                       "linux.resources.devices", NULL, err);
}

static int
apply_devices (const char *dir, const oci_resources *res, nook_error_t *err)
{
  cleanup_free struct cgroup_device_rule *rules = NULL;
  size_t n = cgroup_device_rules (res, &rules), i;

  for (i = 0; i < n; i++)
    if (write_device_rule (dir, &rules[i], err) < 0)
      {
        /* Writing device rules needs CAP_SYS_ADMIN even in a delegated
         * cgroup: a rootless container has only the host's bind-mounted
         * nodes anyway (runc skips the rules too). */
        if ((*err)->status == EPERM && geteuid () != 0)
          {
            nook_debug ("%s (not root: device rules are not enforced)", (*err)->msg);
            nook_error_release (err);
            return 0;
          }
        return -1;
      }
  return 0;
}

static bool
devices_wanted (const oci_resources *res)
{
  return res->devices_len > 0;
}

/* ------------------------------------------------------ blkio */

/* CFQ's file, else BFQ's (the only weights Linux >= 5.0 has). */
static int
write_blkio_weight (const char *dir, const char *cfq, const char *bfq, const char *line,
                    const char *what, nook_error_t *err)
{
  const char *file = cgroup_file_exists (dir, cfq) ? cfq : bfq;

  if (!cgroup_file_exists (dir, file))
    return nook_make_error (err, 0, "%s: neither `%s/%s` nor `%s/%s` exists (no CFQ or BFQ I/O "
                            "scheduler in this kernel)", what, dir, cfq, dir, bfq);
  return cgroup_write_weight (dir, file, line, what, err);
}

static int
apply_blkio_weights (const char *dir, const oci_block_io *b, nook_error_t *err)
{
  char line[64], what[96];
  size_t i;

  if (b->has_weight && b->weight != 0)
    {
      snprintf (line, sizeof (line), "%u", (unsigned) b->weight);
      if (write_blkio_weight (dir, "blkio.weight", "blkio.bfq.weight", line,
                              "linux.resources.blockIO.weight", err) < 0)
        return -1;
    }
  /* Only CFQ had leaf weights. */
  if (b->has_leaf_weight && b->leaf_weight != 0)
    {
      snprintf (line, sizeof (line), "%u", (unsigned) b->leaf_weight);
      if (cgroup_write (dir, "blkio.leaf_weight", line, "linux.resources.blockIO.leafWeight",
                        "(leaf weights are CFQ's, which Linux >= 5.0 does not have)", err) < 0)
        return -1;
    }
  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *d = &b->weight_device[i];
      if (d->has_weight)
        {
          snprintf (line, sizeof (line), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                    (unsigned) d->weight);
          snprintf (what, sizeof (what), "linux.resources.blockIO.weightDevice[%zu].weight", i);
          if (write_blkio_weight (dir, "blkio.weight_device", "blkio.bfq.weight_device", line,
                                  what, err) < 0)
            return -1;
        }
      if (d->has_leaf_weight)
        {
          snprintf (line, sizeof (line), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                    (unsigned) d->leaf_weight);
          snprintf (what, sizeof (what), "linux.resources.blockIO.weightDevice[%zu].leafWeight",
                    i);
          if (cgroup_write (dir, "blkio.leaf_weight_device", line, what,
                            "(leaf weights are CFQ's, which Linux >= 5.0 does not have)", err) < 0)
            return -1;
        }
    }
  return 0;
}

static int
apply_blkio (const char *dir, const oci_resources *res, nook_error_t *err)
{
  struct cgroup_throttle t[CGROUP_N_THROTTLES];
  size_t i, j;

  if (apply_blkio_weights (dir, res->block_io, err) < 0)
    return -1;
  cgroup_block_io_throttles (res->block_io, t);
  for (i = 0; i < CGROUP_N_THROTTLES; i++)
    for (j = 0; j < t[i].n; j++)
      {
        char line[96], what[96];
        /* A rate of 0 removes the device's limit. */
        snprintf (line, sizeof (line), "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].devs[j].major,
                  t[i].devs[j].minor, t[i].devs[j].rate);
        snprintf (what, sizeof (what), "linux.resources.blockIO.%s[%zu]", t[i].field, j);
        if (cgroup_write (dir, t[i].v1_file, line, what,
                          "(kernel without CONFIG_BLK_DEV_THROTTLING?)", err) < 0)
          return -1;
      }
  return 0;
}

/* ------------------------------------------------------ net_cls, net_prio */

static int
apply_net_cls (const char *dir, const oci_resources *res, nook_error_t *err)
{
  return cgroup_write_int64 (dir, "net_cls.classid", res->network->class_id,
                             "linux.resources.network.classID", err);
}

/* runc's reading: a classID of 0 is no classID. */
static bool
net_cls_wanted (const oci_resources *res)
{
  return res->network && res->network->has_class_id && res->network->class_id != 0;
}

static int
apply_net_prio (const char *dir, const oci_resources *res, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < res->network->priorities_len; i++)
    {
      const oci_net_priority *p = &res->network->priorities[i];
      cleanup_free char *line = NULL;
      char what[80];
      xasprintf (&line, "%s %" PRIu32, p->name, p->priority);
      snprintf (what, sizeof (what), "linux.resources.network.priorities[%zu]", i);
      if (cgroup_write (dir, "net_prio.ifpriomap", line, what, NULL, err) < 0)
        return -1;
    }
  return 0;
}

static bool
net_prio_wanted (const oci_resources *res)
{
  return res->network && res->network->priorities_len > 0;
}

static bool
rdma_wanted (const oci_resources *res)
{
  return res->rdma_len > 0;
}

/* ------------------------------------------------------ hugetlb */

static int
apply_hugetlb (const char *dir, const oci_resources *res, nook_error_t *err)
{
  return cgroup_apply_hugetlb (dir, res, "limit_in_bytes", err);
}

static bool
hugetlb_wanted (const oci_resources *res)
{
  return res->hugepage_limits_len > 0;
}

/* ------------------------------------------------------ the table */

static const oci_resources no_resources;

static const struct v1_resource
{
  const char *controller;
  const char *what; /* the config key, for "not mounted" errors */
  bool always;      /* applied even when the config says nothing (devices) */
  bool (*wanted) (const oci_resources *res);
  int (*apply) (const char *dir, const oci_resources *res, nook_error_t *err);
} v1_resources[] = {
  { "memory", "linux.resources.memory", false, memory_wanted, apply_memory },
  { "cpu", "linux.resources.cpu", false, cpu_wanted, apply_cpu },
  { "cpuset", "linux.resources.cpu.cpus/mems", false, cpuset_wanted, apply_cpuset },
  { "pids", "linux.resources.pids", false, pids_wanted, apply_pids },
  { "devices", "linux.resources.devices", true, devices_wanted, apply_devices },
  { "hugetlb", "linux.resources.hugepageLimits", false, hugetlb_wanted, apply_hugetlb },
  { "blkio", "linux.resources.blockIO", false, cgroup_block_io_wanted, apply_blkio },
  { "net_cls", "linux.resources.network.classID", false, net_cls_wanted, apply_net_cls },
  { "net_prio", "linux.resources.network.priorities", false, net_prio_wanted, apply_net_prio },
  { "rdma", "linux.resources.rdma", false, rdma_wanted, cgroup_apply_rdma },
};

static struct cgroup_hierarchy *
unified_hierarchy (struct cgroup_fs *fs)
{
  return fs->mode == NOOK_CGROUP_MODE_HYBRID ? cgroup_fs_find (fs, "") : NULL;
}

/* What lives in a v1 hierarchy when there is one, else may live in the
 * cgroup2 mount of a hybrid host (here: hugetlb), set the v2 way there. */
static const struct unified_resource
{
  const char *v1_controller;
  const char *v2_controller;
  bool (*wanted) (const oci_resources *res);
  int (*apply) (const char *dir, const oci_resources *res, nook_error_t *err);
} unified_resources[] = {
  { "hugetlb", "hugetlb", hugetlb_wanted, cgroup_v2_apply_hugetlb },
  { "blkio", "io", cgroup_block_io_wanted, cgroup_v2_apply_io },
  { "rdma", "rdma", rdma_wanted, cgroup_apply_rdma },
};

static const struct unified_resource *
unified_resource (const char *v1_controller)
{
  size_t i;
  for (i = 0; i < N_ELEMENTS (unified_resources); i++)
    if (strcmp (unified_resources[i].v1_controller, v1_controller) == 0)
      return &unified_resources[i];
  return NULL;
}

static bool
in_unified (struct cgroup_fs *fs, const struct unified_resource *ur, const oci_resources *res)
{
  return ur->wanted (res) && cgroup_fs_find (fs, ur->v1_controller) == NULL
         && unified_hierarchy (fs) != NULL;
}

/* ------------------------------------------------------ validation */

/* A unified key is "<controller>.<file>"; "cgroup.*" are core files. */
static char *
unified_key_controller (const char *key)
{
  const char *dot = strchr (key, '.');
  char *c = NULL;
  xasprintf (&c, "%.*s", dot ? (int) (dot - key) : (int) strlen (key), key);
  return c;
}

static int
validate_unified (struct cgroup_fs *fs, const oci_resources *res, nook_error_t *err)
{
  struct cgroup_hierarchy *u = unified_hierarchy (fs);
  cleanup_free char *owned = NULL;
  size_t i;

  if (res->unified.len == 0)
    return 0;
  if (u == NULL)
    return nook_make_error (err, 0, "linux.resources.unified requires cgroup v2");
  if (cgroup_read (u->mountpoint, "cgroup.controllers", &owned, err) < 0)
    return -1;
  for (i = 0; i < res->unified.len; i++)
    {
      cleanup_free char *c = unified_key_controller (res->unified.keys[i]);
      if (strcmp (c, "cgroup") == 0 || cgroup_controllers_have (owned, c))
        continue;
      return nook_make_error (err, 0, "linux.resources.unified `%s`: the %s controller is on "
                              "cgroup v1 on this hybrid host; the cgroup2 mount `%s` has only: %s",
                              res->unified.keys[i], c, u->mountpoint,
                              owned[0] ? owned : "no controllers");
    }
  return 0;
}

/* A resource no v1 hierarchy has: fine when the cgroup2 side offers it. */
static int
check_in_unified (struct cgroup_fs *fs, const struct v1_resource *r, nook_error_t *err)
{
  const struct unified_resource *ur = unified_resource (r->controller);
  struct cgroup_hierarchy *u = unified_hierarchy (fs);
  cleanup_free char *owned = NULL;

  if (ur == NULL || u == NULL)
    return nook_make_error (err, 0, "%s: no cgroup v1 `%s` hierarchy is mounted on this host",
                            r->what, r->controller);
  if (cgroup_read (u->mountpoint, "cgroup.controllers", &owned, err) < 0)
    return -1;
  if (cgroup_controllers_have (owned, ur->v2_controller))
    return 0;
  return nook_make_error (err, 0, "%s: no cgroup v1 `%s` hierarchy is mounted on this host, and "
                          "the cgroup2 mount `%s` has no %s controller (it has: %s)", r->what,
                          r->controller, u->mountpoint, ur->v2_controller,
                          owned[0] ? owned : "none");
}

static int
validate_v1 (struct cgroup_fs *fs, const oci_resources *res, nook_error_t *err)
{
  size_t i;

  if (validate_unified (fs, res, err) < 0)
    return -1;
  for (i = 0; i < N_ELEMENTS (v1_resources); i++)
    {
      const struct v1_resource *r = &v1_resources[i];
      if (r->wanted (res) && cgroup_fs_find (fs, r->controller) == NULL
          && check_in_unified (fs, r, err) < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------ enter */

static int
apply_v1_resources (struct cgroup_fs *fs, const oci_resources *res, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < N_ELEMENTS (v1_resources); i++)
    {
      const struct v1_resource *r = &v1_resources[i];
      struct cgroup_hierarchy *h = cgroup_fs_find (fs, r->controller);
      if (h == NULL)
        {
          if (r->always)
            nook_debug ("cgroup: no `%s` hierarchy, %s left as the host has it", r->controller,
                        r->what);
          continue;
        }
      if ((r->always || r->wanted (res)) && r->apply (h->dir, res, err) < 0)
        return -1;
    }
  return 0;
}

/* The cgroup2 side of a hybrid host: enable exactly what is used there. */
static int
apply_unified (struct cgroup_fs *fs, struct cgroup_hierarchy *u, const oci_resources *res,
               nook_error_t *err)
{
  size_t max = res->unified.len + N_ELEMENTS (unified_resources) + 1;
  const char **wanted = xmalloc0 (max * sizeof (*wanted));
  char **owned_names = xmalloc0 ((res->unified.len + 1) * sizeof (*owned_names));
  size_t n = 0, i, j;
  int ret = -1;

  for (i = 0; i < N_ELEMENTS (unified_resources); i++)
    if (in_unified (fs, &unified_resources[i], res))
      wanted[n++] = unified_resources[i].v2_controller;
  for (i = 0; i < res->unified.len; i++)
    {
      char *c = unified_key_controller (res->unified.keys[i]);
      bool dup = strcmp (c, "cgroup") == 0;
      for (j = 0; j < n && !dup; j++)
        dup = strcmp (wanted[j], c) == 0;
      owned_names[i] = c;
      if (!dup)
        wanted[n++] = c;
    }
  if (n > 0 && cgroup_v2_enable_controllers (u, wanted, n, err) < 0)
    goto out;
  for (i = 0; i < N_ELEMENTS (unified_resources); i++)
    if (in_unified (fs, &unified_resources[i], res)
        && unified_resources[i].apply (u->dir, res, err) < 0)
      goto out;
  ret = cgroup_v2_apply_unified (u->dir, res, err);
out:
  for (i = 0; i < res->unified.len; i++)
    free (owned_names[i]);
  free (owned_names);
  free (wanted);
  return ret;
}

static int
v1_setup (struct cgroup_fs *fs, pid_t pid, const oci_resources *res, nook_error_t *err)
{
  struct cgroup_hierarchy *cpuset = cgroup_fs_find (fs, "cpuset");
  struct cgroup_hierarchy *u = unified_hierarchy (fs);
  size_t i;

  for (i = 0; i < fs->n; i++)
    if (cgroup_hierarchy_create (&fs->h[i], err) < 0)
      return -1;
  if (cpuset && cpuset_fill_from_parents (cpuset, err) < 0)
    return -1;
  if (apply_v1_resources (fs, res, err) < 0)
    return -1;
  if (u && apply_unified (fs, u, res, err) < 0)
    return -1;
  for (i = 0; i < fs->n; i++)
    if (cgroup_attach (&fs->h[i], pid, err) < 0)
      {
        /* Out of the half-joined cgroups, or their rmdir waits in vain. */
        while (i-- > 0)
          cgroup_detach (&fs->h[i], pid);
        return -1;
      }
  return 0;
}

static int
v1_enter (struct nook_cgroup *cg, pid_t pid, const oci_resources *res, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;

  if (res == NULL)
    res = &no_resources;
  if (validate_v1 (fs, res, err) < 0)
    return -1;
  if (v1_setup (fs, pid, res, err) < 0)
    {
      cgroup_fs_remove_all (fs, NULL);
      return -1;
    }
  cgroup_fs_entered (cg);
  return 0;
}

/* ------------------------------------------------------ update */

/* memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes:
 * when both change, the one that makes room goes first (runc's order). */
static int
v1_update_swap_first (struct cgroup_fs *fs, const oci_memory *m, nook_error_t *err)
{
  struct cgroup_hierarchy *h = cgroup_fs_find (fs, "memory");
  cleanup_free char *cur = NULL;
  uint64_t v;

  if (m == NULL || h == NULL)
    return 0;
  if (!m->has_swap || m->swap == 0)
    {
      /* The kernel's EINVAL would not say why. */
      if (!m->has_limit || m->limit <= 0
          || !cgroup_file_exists (h->dir, "memory.memsw.limit_in_bytes"))
        return 0;
      if (cgroup_read (h->dir, "memory.memsw.limit_in_bytes", &cur, err) < 0)
        return -1;
      if (parse_uint64 (cur, &v) == 0 && v < (uint64_t) m->limit)
        return nook_make_error (err, 0, "linux.resources.memory.limit: %" PRId64 " is above the "
                                "memory+swap limit, %" PRIu64 ": raise memory.swap "
                                "(--memory-swap) with it", m->limit, v);
      return 0;
    }
  if (cgroup_read (h->dir, "memory.limit_in_bytes", &cur, err) < 0)
    return -1;
  if (m->swap != -1 && parse_uint64 (cur, &v) == 0 && v >= (uint64_t) m->swap)
    return 0;
  return cgroup_write_int64 (h->dir, "memory.memsw.limit_in_bytes", m->swap,
                             "linux.resources.memory.swap", err);
}

/* `update`: what res sets, on the existing cgroups; device rules never
 * (runc's update does not change them; clients send them along anyway). */
static int
v1_update (struct nook_cgroup *cg, const oci_resources *res, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  struct cgroup_hierarchy *u = unified_hierarchy (fs), *mem = cgroup_fs_find (fs, "memory");
  oci_resources r = *res;
  oci_memory m;
  size_t i;

  /* An unlimited memory limit takes memory+swap along, as runc does. */
  if (r.memory && r.memory->has_limit && r.memory->limit == -1
      && !(r.memory->has_swap && r.memory->swap != 0) && mem
      && cgroup_file_exists (mem->dir, "memory.memsw.limit_in_bytes"))
    {
      m = *r.memory;
      m.has_swap = true;
      m.swap = -1;
      r.memory = &m;
    }
  if (validate_v1 (fs, &r, err) < 0 || v1_update_swap_first (fs, r.memory, err) < 0)
    return -1;
  for (i = 0; i < N_ELEMENTS (v1_resources); i++)
    {
      const struct v1_resource *x = &v1_resources[i];
      struct cgroup_hierarchy *h = cgroup_fs_find (fs, x->controller);
      if (h == NULL || strcmp (x->controller, "devices") == 0 || !x->wanted (&r))
        continue;
      if (x->apply (h->dir, &r, err) < 0)
        return -1;
    }
  return u ? apply_unified (fs, u, &r, err) : 0;
}

/* ------------------------------------------------------ kill, pids */

/* Where to read the member list: any hierarchy has them all; prefer the
 * ones every container setup has. */
static struct cgroup_hierarchy *
procs_hierarchy (struct cgroup_fs *fs)
{
  static const char *const preferred[] = { "pids", "memory", "freezer", "cpu" };
  size_t i;

  for (i = 0; i < N_ELEMENTS (preferred); i++)
    {
      struct cgroup_hierarchy *h = cgroup_fs_find (fs, preferred[i]);
      if (h)
        return h;
    }
  return &fs->h[0];
}

static bool
freezer_set (const char *dir, const char *state)
{
  nook_error_t e = NULL;
  int waited;

  if (cgroup_write (dir, "freezer.state", state, NULL, NULL, &e) < 0)
    {
      nook_debug ("cgroup: %s", e->msg);
      nook_error_release (&e);
      return false;
    }
  for (waited = 0; waited < FREEZE_TIMEOUT_MS; waited++)
    {
      cleanup_free char *cur = NULL;
      struct timespec ms = { 0, 1000000L };
      if (cgroup_read (dir, "freezer.state", &cur, &e) < 0)
        {
          nook_error_release (&e);
          return false;
        }
      if (strcmp (cur, state) == 0)
        return true;
      nanosleep (&ms, NULL);
    }
  return false;
}

static int
v1_kill_all (struct nook_cgroup *cg, int sig, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  struct cgroup_hierarchy *u = unified_hierarchy (fs);
  struct cgroup_hierarchy *freezer = cgroup_fs_find (fs, "freezer");
  bool frozen;
  int ret;

  /* The hybrid host's cgroup2 side kills atomically, forks included. */
  if (sig == SIGKILL && u && cgroup_file_exists (u->dir, "cgroup.kill"))
    return cgroup_v2_kill (u->dir, sig, err);
  /* Frozen, the processes cannot fork new ones we would miss.  A paused
   * container is frozen already, and stays so (thawing is resume's). */
  frozen = freezer && access (freezer->dir, F_OK) == 0 && !cgroup_v1_freezer_paused (freezer->dir)
           && freezer_set (freezer->dir, "FROZEN");
  ret = cgroup_signal_pids (procs_hierarchy (fs)->dir, sig, err);
  if (freezer && frozen)
    freezer_set (freezer->dir, "THAWED");
  return ret;
}

static int
v1_pids (struct nook_cgroup *cg, pid_t **pids, size_t *n, nook_error_t *err)
{
  return cgroup_read_pids (procs_hierarchy (cg->priv)->dir, pids, n, err);
}

static int
v1_destroy (struct nook_cgroup *cg, nook_error_t *err)
{
  return cgroup_fs_remove_all (cg->priv, err);
}

/* ------------------------------------------------------ mount */

static const char *
subdir_name (const struct cgroup_hierarchy *h)
{
  const char *slash = strrchr (h->mountpoint, '/');
  return slash ? slash + 1 : h->mountpoint;
}

static int
tmpfs_for_hierarchies (uint64_t attrs, const char *desc, nook_error_t *err)
{
  cleanup_close int fsfd = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  int mfd;

  if (fsfd < 0 || fsconfig (fsfd, FSCONFIG_SET_STRING, "mode", "755", 0) < 0
      || fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return nook_make_error (err, errno, "mount `tmpfs` on `%s`", desc);
  /* Read-only comes last: the directories are made in it first. */
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) (attrs & ~(uint64_t) MOUNT_ATTR_RDONLY));
  if (mfd < 0)
    return nook_make_error (err, errno, "mount `tmpfs` on `%s`: fsmount", desc);
  return mfd;
}

static bool
is_subdir_name (struct cgroup_fs *fs, const char *name)
{
  size_t i;
  for (i = 0; i < fs->n; i++)
    if (strcmp (subdir_name (&fs->h[i]), name) == 0)
      return true;
  return false;
}

/* "cpu,cpuacct" gets "cpu" and "cpuacct" symlinks, as systemd makes them. */
static int
make_subdirs (struct cgroup_fs *fs, int mfd, const char *desc, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < fs->n; i++)
    {
      const char *name = subdir_name (&fs->h[i]);
      cleanup_free char *copy = xstrdup (name);
      char *tok, *save = NULL;

      if (mkdirat (mfd, name, 0755) < 0 && errno != EEXIST)
        return nook_make_error (err, errno, "mkdir `%s/%s`", desc, name);
      if (strchr (name, ',') == NULL)
        continue;
      for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
        {
          if (strncmp (tok, "name=", 5) == 0 || is_subdir_name (fs, tok))
            continue;
          if (symlinkat (name, mfd, tok) < 0 && errno != EEXIST)
            return nook_make_error (err, errno, "symlink `%s/%s` to `%s`", desc, tok, name);
        }
    }
  return 0;
}

static int
mount_hierarchies (struct cgroup_fs *fs, int mfd, uint64_t attrs, bool own_cgroupns,
                   const char *desc, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < fs->n; i++)
    {
      const char *name = subdir_name (&fs->h[i]);
      cleanup_free char *subdesc = NULL;
      cleanup_close int sfd = openat (mfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

      xasprintf (&subdesc, "%s/%s", desc, name);
      if (sfd < 0)
        return nook_make_error (err, errno, "open `%s`", subdesc);
      if (cgroup_mount_hierarchy (&fs->h[i], sfd, attrs, own_cgroupns, subdesc, err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_mount (struct nook_cgroup *cg, int target_fd, unsigned long mount_flags, bool own_cgroupns,
          nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  uint64_t attrs = cgroup_mount_attrs (mount_flags);
  cleanup_free char *desc = cgroup_fd_path (target_fd);
  cleanup_close int mfd = tmpfs_for_hierarchies (attrs, desc, err);

  if (mfd < 0 || make_subdirs (fs, mfd, desc, err) < 0)
    return -1;
  if (move_mount (mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return nook_make_error (err, errno, "mount `tmpfs` on `%s`", desc);
  /* mfd now is the attached tmpfs: its subdirectories are the targets. */
  if (mount_hierarchies (fs, mfd, attrs, own_cgroupns, desc, err) < 0)
    return -1;
  if (attrs & MOUNT_ATTR_RDONLY)
    {
      struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (mfd, "", AT_EMPTY_PATH, &ro, sizeof (ro)) < 0)
        return nook_make_error (err, errno, "make `%s` read-only", desc);
    }
  return 0;
}

const struct nook_cgroup_ops cgroup_v1_ops = {
  .enter = v1_enter,
  .attach = cgroup_fs_attach,
  .kill_all = v1_kill_all,
  .pids = v1_pids,
  .destroy = v1_destroy,
  .mount = v1_mount,
  .free_priv = cgroup_fs_free_priv,
  .update = v1_update,
  .freeze = cgroup_v1_freeze,
  .is_frozen = cgroup_v1_is_frozen,
  .stats = cgroup_v1_stats,
  .oom_watch = cgroup_v1_oom_watch,
};
