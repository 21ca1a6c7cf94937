/* nook - cgroup resources that every cgroupfs driver shares: checking a
 * config's linux.resources before anything is made (bad numbers, names and
 * keys are refused up front, with the JSON path), and the writers that are
 * the same on v1 and v2 (weights, rdma, hugetlb).
 */

#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "cgroup-internal.h"
#include "utils.h"

/* Block devices are named by number; the kernel checks they exist. */
static int
validate_device_number (int64_t major, int64_t minor, const char *what, size_t i,
                        nook_error_t *err)
{
  if (major < 0 || minor < 0 || major > UINT32_MAX || minor > UINT32_MAX)
    return nook_make_error (err, 0, "%s[%zu]: %" PRId64 ":%" PRId64 " is not a device number",
                            what, i, major, minor);
  return 0;
}

/* 0 leaves the kernel's default, as runc and crun read it. */
static int
validate_weight (bool has, uint16_t w, const char *what, nook_error_t *err)
{
  if (has && w > 1000)
    return nook_make_error (err, 0, "%s: %u is more than 1000, the largest weight", what,
                            (unsigned) w);
  return 0;
}

static int
validate_weight_devices (const oci_block_io *b, nook_error_t *err)
{
  static const char what[] = "linux.resources.blockIO.weightDevice";
  size_t i;

  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *d = &b->weight_device[i];
      char field[96];
      if (validate_device_number (d->major, d->minor, what, i, err) < 0)
        return -1;
      if (!d->has_weight && !d->has_leaf_weight)
        return nook_make_error (err, 0, "%s[%zu]: needs weight or leafWeight", what, i);
      snprintf (field, sizeof (field), "%s[%zu].weight", what, i);
      if (validate_weight (d->has_weight, d->weight, field, err) < 0)
        return -1;
      snprintf (field, sizeof (field), "%s[%zu].leafWeight", what, i);
      if (validate_weight (d->has_leaf_weight, d->leaf_weight, field, err) < 0)
        return -1;
    }
  return 0;
}

static int
validate_block_io (const oci_block_io *b, nook_error_t *err)
{
  struct cgroup_throttle t[CGROUP_N_THROTTLES];
  size_t i, j;

  if (b == NULL)
    return 0;
  if (validate_weight (b->has_weight, b->weight, "linux.resources.blockIO.weight", err) < 0
      || validate_weight (b->has_leaf_weight, b->leaf_weight,
                          "linux.resources.blockIO.leafWeight", err) < 0
      || validate_weight_devices (b, err) < 0)
    return -1;
  cgroup_block_io_throttles (b, t);
  for (i = 0; i < CGROUP_N_THROTTLES; i++)
    for (j = 0; j < t[i].n; j++)
      {
        cleanup_free char *what = NULL;
        xasprintf (&what, "linux.resources.blockIO.%s", t[i].field);
        if (validate_device_number (t[i].devs[j].major, t[i].devs[j].minor, what, j, err) < 0)
          return -1;
      }
  return 0;
}

/* Names end up in "<name> <value>" lines of cgroup files. */
static bool
is_cgroup_key (const char *s, size_t max_len)
{
  return s && s[0] && strlen (s) <= max_len && strpbrk (s, " \t\n=") == NULL;
}

static int
validate_network (const oci_network *net, nook_error_t *err)
{
  size_t i;

  if (net == NULL)
    return 0;
  for (i = 0; i < net->priorities_len; i++)
    if (!is_cgroup_key (net->priorities[i].name, IFNAMSIZ - 1))
      return nook_make_error (err, 0, "linux.resources.network.priorities[%zu].name: `%s` is not "
                              "an interface name", i,
                              net->priorities[i].name ? net->priorities[i].name : "");
  return 0;
}

static int
validate_rdma (const oci_resources *res, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < res->rdma_len; i++)
    if (!is_cgroup_key (res->rdma[i].device, 64))
      return nook_make_error (err, 0, "linux.resources.rdma: `%s` is not an RDMA device name",
                              res->rdma[i].device ? res->rdma[i].device : "");
  return 0;
}

static int
validate_devices (const oci_resources *res, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < res->devices_len; i++)
    {
      const oci_device_cgroup *d = &res->devices[i];
      if (d->type && strcmp (d->type, "a") != 0 && strcmp (d->type, "b") != 0
          && strcmp (d->type, "c") != 0)
        return nook_make_error (err, 0, "linux.resources.devices[%zu].type: `%s` is not one of "
                                "a, b, c", i, d->type);
      if (d->access && (d->access[0] == '\0' || d->access[strspn (d->access, "rwm")] != '\0'))
        return nook_make_error (err, 0, "linux.resources.devices[%zu].access: `%s` is not a "
                                "combination of r, w, m", i, d->access);
      if ((d->has_major && (d->major < -1 || d->major > UINT32_MAX))
          || (d->has_minor && (d->minor < -1 || d->minor > UINT32_MAX)))
        return nook_make_error (err, 0, "linux.resources.devices[%zu]: %" PRId64 ":%" PRId64
                                " is not a device number (-1 means any)", i,
                                d->has_major ? d->major : -1, d->has_minor ? d->minor : -1);
    }
  return 0;
}

static int
validate_memory_limit (bool has, int64_t value, const char *name, nook_error_t *err)
{
  if (has && value < -1)
    return nook_make_error (err, 0, "linux.resources.memory.%s: %" PRId64 " is not a limit "
                            "(-1 means unlimited)", name, value);
  return 0;
}

static int
validate_memory (const oci_memory *m, nook_error_t *err)
{
  if (m == NULL)
    return 0;
  if (validate_memory_limit (m->has_limit, m->limit, "limit", err) < 0
      || validate_memory_limit (m->has_reservation, m->reservation, "reservation", err) < 0
      || validate_memory_limit (m->has_swap, m->swap, "swap", err) < 0
      || validate_memory_limit (m->has_kernel_tcp, m->kernel_tcp, "kernelTCP", err) < 0)
    return -1;
  if (m->has_swap && m->swap > 0 && m->has_limit && m->limit > 0 && m->swap < m->limit)
    return nook_make_error (err, 0, "linux.resources.memory.swap (%" PRId64 ") must be >= "
                            "linux.resources.memory.limit (%" PRId64 "): it limits memory+swap",
                            m->swap, m->limit);
  if (m->has_swappiness && m->swappiness > 100 && m->swappiness != UINT64_MAX)
    return nook_make_error (err, 0, "linux.resources.memory.swappiness: %" PRIu64 " is out of "
                            "range 0-100", m->swappiness);
  return 0;
}

static int
validate_hugepages (const oci_resources *res, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < res->hugepage_limits_len; i++)
    {
      const char *s = res->hugepage_limits[i].page_size;
      size_t digits = strspn (s, "0123456789");
      if (digits == 0 || (strcmp (s + digits, "KB") != 0 && strcmp (s + digits, "MB") != 0
                          && strcmp (s + digits, "GB") != 0))
        return nook_make_error (err, 0, "linux.resources.hugepageLimits[%zu].pageSize: `%s` is "
                                "not a size like 2MB or 1GB", i, s);
    }
  return 0;
}

static int
validate_unified_keys (const oci_map *u, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < u->len; i++)
    {
      const char *k = u->keys[i];
      if (k[0] == '\0' || strchr (k, '/') || strcmp (k, ".") == 0 || strcmp (k, "..") == 0)
        return nook_make_error (err, 0, "linux.resources.unified: `%s` is not a cgroup file name",
                                k);
    }
  return 0;
}

int
cgroup_validate_resources (const oci_resources *res, nook_error_t *err)
{
  if (res == NULL)
    return 0;
  if (validate_block_io (res->block_io, err) < 0 || validate_network (res->network, err) < 0
      || validate_rdma (res, err) < 0 || validate_devices (res, err) < 0
      || validate_memory (res->memory, err) < 0 || validate_hugepages (res, err) < 0
      || validate_unified_keys (&res->unified, err) < 0)
    return -1;
  return 0;
}

void
cgroup_warn_kernel_memory (const oci_resources *res)
{
  if (res && res->memory && res->memory->has_kernel && res->memory->kernel != 0)
    nook_warning ("linux.resources.memory.kernel: kernel memory limits are ignored by "
                  "Linux >= 6");
}

void
cgroup_block_io_throttles (const oci_block_io *b, struct cgroup_throttle out[CGROUP_N_THROTTLES])
{
  const struct cgroup_throttle t[CGROUP_N_THROTTLES] = {
    { "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps",
      b->throttle_read_bps_device, b->throttle_read_bps_device_len },
    { "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps",
      b->throttle_write_bps_device, b->throttle_write_bps_device_len },
    { "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops",
      b->throttle_read_iops_device, b->throttle_read_iops_device_len },
    { "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops",
      b->throttle_write_iops_device, b->throttle_write_iops_device_len },
  };
  memcpy (out, t, sizeof (t));
}

bool
cgroup_block_io_wanted (const oci_resources *res)
{
  const oci_block_io *b = res->block_io;
  struct cgroup_throttle t[CGROUP_N_THROTTLES];
  size_t i;

  if (b == NULL)
    return false;
  if ((b->has_weight && b->weight) || (b->has_leaf_weight && b->leaf_weight)
      || b->weight_device_len)
    return true;
  cgroup_block_io_throttles (b, t);
  for (i = 0; i < CGROUP_N_THROTTLES; i++)
    if (t[i].n)
      return true;
  return false;
}

int
cgroup_write_weight (const char *dir, const char *file, const char *line, const char *what,
                     nook_error_t *err)
{
  if (cgroup_write (dir, file, line, what, NULL, err) == 0)
    return 0;
  if ((*err)->status != EOPNOTSUPP)
    return -1;
  nook_error_release (err);
  if (strstr (file, "bfq") == NULL)
    return nook_make_error (err, EOPNOTSUPP, "%s: write `%s` to `%s/%s` (per-device io.weight "
                            "needs iocost enabled for that device: io.cost.qos of the root "
                            "cgroup)", what, line, dir, file);
  return nook_make_error (err, EOPNOTSUPP, "%s: write `%s` to `%s/%s` (per-device weights need "
                          "the bfq I/O scheduler on that device: see "
                          "/sys/dev/block/MAJOR:MINOR/queue/scheduler)", what, line, dir, file);
}

int
cgroup_apply_rdma (const char *dir, const oci_resources *res, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < res->rdma_len; i++)
    {
      const oci_rdma *r = &res->rdma[i];
      cleanup_free char *line = NULL, *what = NULL;
      size_t len;

      /* The kernel keeps the limits a line does not name. */
      if (!r->has_hca_handles && !r->has_hca_objects)
        continue;
      line = xmalloc0 (strlen (r->device) + 64);
      len = (size_t) sprintf (line, "%s", r->device);
      if (r->has_hca_handles)
        len += (size_t) sprintf (line + len, " hca_handle=%" PRIu32, r->hca_handles);
      if (r->has_hca_objects)
        sprintf (line + len, " hca_object=%" PRIu32, r->hca_objects);
      xasprintf (&what, "linux.resources.rdma `%s`", r->device);
      if (cgroup_write (dir, "rdma.max", line, what,
                        "(no rdma controller here: is it enabled, is the kernel built with it?)",
                        err) < 0)
        return -1;
    }
  return 0;
}

int
cgroup_apply_hugetlb (const char *dir, const oci_resources *res, const char *suffix,
                      nook_error_t *err)
{
  size_t i;

  for (i = 0; i < res->hugepage_limits_len; i++)
    {
      const oci_hugepage_limit *l = &res->hugepage_limits[i];
      cleanup_free char *file = NULL, *what = NULL, *value = NULL;
      xasprintf (&file, "hugetlb.%s.%s", l->page_size, suffix);
      xasprintf (&what, "linux.resources.hugepageLimits[%zu]", i);
      xasprintf (&value, "%" PRIu64, l->limit);
      if (cgroup_write (dir, file, value, what, "(no huge pages of that size on this host?)",
                        err) < 0)
        return -1;
    }
  return 0;
}
