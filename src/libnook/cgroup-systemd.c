/* nook - systemd cgroup driver (`--systemd-cgroup`, or a cgroupsPath
 * "slice:prefix:name").
 *
 * As runc and crun do: systemd creates a transient unit for the container
 * over D-Bus (StartTransientUnit) with the init pid in it, Delegate=yes,
 * and the resources systemd has properties for; systemd then owns the
 * cgroup and keeps those limits across daemon-reload.  What systemd has no
 * property for (swappiness, hugetlb, rdma, unified keys, the v1
 * hierarchies systemd does not manage...) is applied by the cgroupfs
 * driver on the unit's cgroup, which is also what reads pids and stats,
 * freezes, kills and mounts.  That cgroupfs handle only removes what it
 * created itself: the unit's own directories are systemd's (StopUnit).
 *
 * Names follow runc: "system.slice:nook:ID" is the scope "nook-ID.scope"
 * in "system.slice"; an empty slice is "system.slice"; a name ending in
 * ".slice" makes a slice unit instead (its parent is implied by its name,
 * "a-b.slice" lives in "a.slice").  Without a cgroupsPath: "nook-ID.scope"
 * in "system.slice".
 *
 * The persisted path (nook_cgroup.path) is "<slice>:<unit>;<cgroupfs
 * path>", e.g. "system.slice:nook-abc.scope;/system.slice/nook-abc.scope;
 * created=0" (the cgroupfs part is cgroup.c's encoding).  Unit names
 * contain neither ':' nor ';' here: the cgroupsPath is split on ':'.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dlfcn.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include "cgroup-internal.h"
#include "utils.h"

/* libsystemd is opened only when this driver talks to systemd: linked, it
 * would pull five more libraries into every nook process (~0.2 ms per run
 * of the loader), and most containers never use it.  The functions come
 * from the real library, with the header's own prototypes. */
#define SD_BUS_FUNCTIONS(X)                                                                  \
  X (sd_bus_call) X (sd_bus_call_method) X (sd_bus_error_free) X (sd_bus_error_has_name)    \
  X (sd_bus_error_is_set) X (sd_bus_flush_close_unref) X (sd_bus_get_property_string)        \
  X (sd_bus_is_bus_client) X (sd_bus_match_signal) X (sd_bus_message_append)                 \
  X (sd_bus_message_append_array) X (sd_bus_message_close_container)                         \
  X (sd_bus_message_new_method_call) X (sd_bus_message_open_container)                       \
  X (sd_bus_message_read) X (sd_bus_message_unref) X (sd_bus_open_system)                    \
  X (sd_bus_path_encode) X (sd_bus_process) X (sd_bus_slot_unref) X (sd_bus_wait)

#define SD_DECLARE(name) __typeof__ (name) *name;
/* Filled once by load_libsystemd (), then only read: a cache of the
 * library, like the parsed global options. */
static struct
{
  SD_BUS_FUNCTIONS (SD_DECLARE)
} sd;
#undef SD_DECLARE

static int
load_libsystemd (nook_error_t *err)
{
  void *h;

  if (sd.sd_bus_open_system)
    return 0;
  h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return nook_make_error (err, 0, "the systemd cgroup driver needs libsystemd.so.0: %s",
                            dlerror ());
#define SD_RESOLVE(name)                                                                     \
  if ((*(void **) &sd.name = dlsym (h, #name)) == NULL)                                      \
    return nook_make_error (err, 0, "libsystemd.so.0 has no `%s`", #name);
  SD_BUS_FUNCTIONS (SD_RESOLVE)
#undef SD_RESOLVE
  return 0;
}

/* From here on every sd_bus_X call goes through sd.sd_bus_X. */
#define sd_bus_call sd.sd_bus_call
#define sd_bus_call_method sd.sd_bus_call_method
#define sd_bus_error_free sd.sd_bus_error_free
#define sd_bus_error_has_name sd.sd_bus_error_has_name
#define sd_bus_error_is_set sd.sd_bus_error_is_set
#define sd_bus_flush_close_unref sd.sd_bus_flush_close_unref
#define sd_bus_get_property_string sd.sd_bus_get_property_string
#define sd_bus_is_bus_client sd.sd_bus_is_bus_client
#define sd_bus_match_signal sd.sd_bus_match_signal
#define sd_bus_message_append sd.sd_bus_message_append
#define sd_bus_message_append_array sd.sd_bus_message_append_array
#define sd_bus_message_close_container sd.sd_bus_message_close_container
#define sd_bus_message_new_method_call sd.sd_bus_message_new_method_call
#define sd_bus_message_open_container sd.sd_bus_message_open_container
#define sd_bus_message_read sd.sd_bus_message_read
#define sd_bus_message_unref sd.sd_bus_message_unref
#define sd_bus_open_system sd.sd_bus_open_system
#define sd_bus_path_encode sd.sd_bus_path_encode
#define sd_bus_process sd.sd_bus_process
#define sd_bus_slot_unref sd.sd_bus_slot_unref
#define sd_bus_wait sd.sd_bus_wait

#define MANAGER_SYSTEMD "systemd"
#define DEFAULT_SLICE "system.slice"
#define DEFAULT_PREFIX "nook"
#define SLICE_SUFFIX ".slice"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT_PATH "/org/freedesktop/systemd1/unit"

/* runc waits 30 s for systemd's jobs. */
#define JOB_TIMEOUT_USEC (30ULL * 1000000ULL)
#define USEC_INFINITY UINT64_MAX
/* cgroup v1's default cpu.cfs_period_us, when only a quota is given. */
#define DEFAULT_CPU_PERIOD 100000ULL
/* AllowedCPUs / AllowedMemoryNodes bit masks: enough for any host. */
#define MAX_CPUSET_BITS 8192

#define NO_SYSTEMD                                                                              \
  "the systemd cgroup driver needs systemd running as PID 1 (no /run/systemd/system here)"

struct systemd_cg
{
  char *id;           /* for the unit's Description; NULL after load */
  char *slice;        /* "system.slice" */
  char *unit;         /* "nook-abc.scope" or "x-y.slice" */
  char *cgroup;       /* the unit's cgroup, "/system.slice/nook-abc.scope" */
  struct nook_cgroup *fs; /* cgroupfs handle on cgroup */
  bool v2;            /* systemd takes the v2 property names (MemoryMax...) */
};

static void
systemd_cg_free (void *priv)
{
  struct systemd_cg *s = priv;
  if (s == NULL)
    return;
  free (s->id);
  free (s->slice);
  free (s->unit);
  free (s->cgroup);
  nook_cgroup_free (s->fs);
  free (s);
}

static char *
dup_n (const char *s, size_t n)
{
  char *d = xmalloc0 (n + 1);
  memcpy (d, s, n);
  return d;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t ls = strlen (s), lx = strlen (suffix);
  return ls >= lx && strcmp (s + ls - lx, suffix) == 0;
}

/* ------------------------------------------------------------- names */

bool
cgroup_systemd_path_wanted (const char *cgroups_path)
{
  const char *first, *second;

  if (cgroups_path == NULL || cgroups_path[0] == '/' || cgroups_path[0] == '\0')
    return false;
  first = strchr (cgroups_path, ':');
  second = first ? strchr (first + 1, ':') : NULL;
  return second != NULL && strchr (second + 1, ':') == NULL;
}

/* systemd's unit name characters ('@' aside: no templates here). */
static bool
unit_name_chars_ok (const char *s)
{
  static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.\\";
  return s[0] != '\0' && s[strspn (s, ok)] == '\0' && strlen (s) < 256;
}

/* "a-b.slice" -> "/a.slice/a-b.slice"; "-.slice" -> "/" (runc's expandSlice). */
static int
expand_slice (const char *slice, char **out, nook_error_t *err)
{
  size_t base_len, start = 0, i;
  char *path;

  if (!has_suffix (slice, SLICE_SUFFIX) || strlen (slice) == strlen (SLICE_SUFFIX)
      || strchr (slice, '/') != NULL || !unit_name_chars_ok (slice))
    return nook_make_error (err, 0, "`%s` is not a systemd slice name", slice);
  base_len = strlen (slice) - strlen (SLICE_SUFFIX);
  if (base_len == 1 && slice[0] == '-')
    {
      *out = xstrdup ("/");
      return 0;
    }
  path = xmalloc0 (base_len * (base_len + strlen (SLICE_SUFFIX) + 1) + 2);
  for (i = 0; i <= base_len; i++)
    {
      if (i < base_len && slice[i] != '-')
        continue;
      /* "a--b.slice" and "-a.slice" are not slices. */
      if (i == start)
        {
          free (path);
          return nook_make_error (err, 0, "`%s` is not a systemd slice name", slice);
        }
      sprintf (path + strlen (path), "/%.*s" SLICE_SUFFIX, (int) i, slice);
      start = i + 1;
    }
  *out = path;
  return 0;
}

/* The unit and its slice from the cgroupsPath (runc's rules, see the top). */
static int
parse_cgroups_path (struct systemd_cg *s, const char *id, const char *cgroups_path,
                    nook_error_t *err)
{
  cleanup_free char *copy = NULL;
  const char *slice = "", *prefix = DEFAULT_PREFIX, *name = id;

  if (cgroups_path && cgroups_path[0])
    {
      char *c1, *c2;
      if (!cgroup_systemd_path_wanted (cgroups_path))
        return nook_make_error (err, 0, "linux.cgroupsPath `%s`: the systemd cgroup driver "
                                "expects \"slice:prefix:name\", e.g. \"system.slice:nook:%s\"",
                                cgroups_path, id ? id : "ID");
      copy = xstrdup (cgroups_path);
      c1 = strchr (copy, ':');
      c2 = strchr (c1 + 1, ':');
      *c1 = *c2 = '\0';
      slice = copy;
      prefix = c1 + 1;
      name = c2 + 1;
    }
  if (name == NULL || !unit_name_chars_ok (name))
    return nook_make_error (err, 0, "linux.cgroupsPath `%s`: `%s` is not usable in a systemd "
                            "unit name", cgroups_path ? cgroups_path : "", name ? name : "");
  if (prefix[0] && !unit_name_chars_ok (prefix))
    return nook_make_error (err, 0, "linux.cgroupsPath `%s`: `%s` is not usable in a systemd "
                            "unit name", cgroups_path, prefix);
  s->slice = xstrdup (slice[0] ? slice : DEFAULT_SLICE);
  if (has_suffix (name, SLICE_SUFFIX))
    s->unit = xstrdup (name);
  else if (prefix[0])
    xasprintf (&s->unit, "%s-%s.scope", prefix, name);
  else
    xasprintf (&s->unit, "%s.scope", name);
  return 0;
}

/* Where systemd will put the unit: a scope in its slice; a slice where its
 * name says. */
static int
resolve_cgroup (struct systemd_cg *s, nook_error_t *err)
{
  cleanup_free char *slice_path = NULL;

  if (expand_slice (s->slice, &slice_path, err) < 0)
    return -1;
  if (has_suffix (s->unit, SLICE_SUFFIX))
    return expand_slice (s->unit, &s->cgroup, err);
  xasprintf (&s->cgroup, "%s/%s", strcmp (slice_path, "/") == 0 ? "" : slice_path, s->unit);
  return 0;
}

/* ------------------------------------------------------------- bus */

static int
bus_open (sd_bus **bus, nook_error_t *err)
{
  int r;

  /* sd_booted ()'s test, without loading libsystemd for it. */
  if (access ("/run/systemd/system", F_OK) < 0)
    return nook_make_error (err, 0, NO_SYSTEMD);
  if (load_libsystemd (err) < 0)
    return -1;
  r = sd_bus_open_system (bus);
  if (r < 0)
    return nook_make_error (err, -r, "the systemd cgroup driver: connect to the system bus "
                            "(is D-Bus running?)");
  return 0;
}

static void
bus_closep (sd_bus **bus)
{
  if (*bus)
    sd_bus_flush_close_unref (*bus);
}
#define cleanup_bus __attribute__ ((cleanup (bus_closep)))

static void
msg_unrefp (sd_bus_message **m)
{
  sd_bus_message_unref (*m);
}
#define cleanup_msg __attribute__ ((cleanup (msg_unrefp)))

static int
bus_fail (nook_error_t *err, int r, const sd_bus_error *e, const char *method, const char *unit)
{
  if (e && sd_bus_error_is_set (e))
    return nook_make_error (err, 0, "systemd %s `%s`: %s: %s", method, unit, e->name,
                            e->message ? e->message : "");
  return nook_make_error (err, r < 0 ? -r : EIO, "systemd %s `%s`", method, unit);
}

struct job_wait
{
  const char *job; /* object path of the job; NULL until the call returned */
  char *result;    /* JobRemoved's result: "done", "failed", "canceled"... */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  struct job_wait *w = userdata;
  const char *path, *unit, *result;
  uint32_t id;

  (void) e;
  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job && w->result == NULL && strcmp (path, w->job) == 0)
    w->result = xstrdup (result);
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Process the bus until JobRemoved names w->job. */
static int
wait_job (sd_bus *bus, struct job_wait *w, const char *method, const char *unit,
          nook_error_t *err)
{
  uint64_t deadline = now_usec () + JOB_TIMEOUT_USEC;

  while (w->result == NULL)
    {
      uint64_t now = now_usec ();
      int r = sd_bus_process (bus, NULL);
      if (r < 0)
        return nook_make_error (err, -r, "systemd %s `%s`: wait for job %s", method, unit, w->job);
      if (r > 0)
        continue;
      if (now >= deadline)
        return nook_make_error (err, ETIMEDOUT, "systemd %s `%s`: job %s did not finish",
                                method, unit, w->job);
      r = sd_bus_wait (bus, deadline - now);
      if (r < 0)
        return nook_make_error (err, -r, "systemd %s `%s`: wait for job %s", method, unit, w->job);
    }
  if (strcmp (w->result, "done") != 0)
    return nook_make_error (err, 0, "systemd %s `%s`: job %s finished with result `%s` (see "
                            "`journalctl -u %s`)", method, unit, w->job, w->result, unit);
  return 0;
}

/* Call a Manager method that returns a job, and wait for the job.  The
 * match is in place before the call: a quick job is removed before the
 * reply is read.  *gone (may be NULL) reports systemd's NoSuchUnit. */
static int
call_job (sd_bus *bus, sd_bus_message *m, const char *method, const char *unit, bool *gone,
          nook_error_t *err)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_msg sd_bus_message *reply = NULL;
  sd_bus_slot *slot = NULL;
  struct job_wait w = { NULL, NULL };
  const char *job;
  int r, ret;

  /* On systemd's private socket (DBUS_SYSTEM_BUS_ADDRESS=unix:path=
   * /run/systemd/private) messages carry no sender to match. */
  r = sd_bus_match_signal (bus, &slot, sd_bus_is_bus_client (bus) ? SD_DEST : NULL, SD_PATH,
                           SD_MANAGER, "JobRemoved", on_job_removed, &w);
  if (r < 0)
    return nook_make_error (err, -r, "systemd %s `%s`: subscribe to JobRemoved", method, unit);
  r = sd_bus_call (bus, m, JOB_TIMEOUT_USEC, &e, &reply);
  if (r < 0 && gone && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    {
      *gone = true;
      ret = 0;
    }
  else if (r < 0)
    ret = bus_fail (err, r, &e, method, unit);
  else if ((r = sd_bus_message_read (reply, "o", &job)) < 0)
    ret = nook_make_error (err, -r, "systemd %s `%s`: read the reply", method, unit);
  else
    {
      w.job = job;
      ret = wait_job (bus, &w, method, unit, err);
    }
  sd_bus_error_free (&e);
  sd_bus_slot_unref (slot);
  free (w.result);
  return ret;
}

static int
new_manager_call (sd_bus *bus, sd_bus_message **m, const char *method, const char *unit,
                  nook_error_t *err)
{
  int r = sd_bus_message_new_method_call (bus, m, SD_DEST, SD_PATH, SD_MANAGER, method);
  if (r < 0)
    return nook_make_error (err, -r, "systemd %s `%s`: build the message", method, unit);
  return 0;
}

/* ------------------------------------------------------- properties */

/* AllowedCPUs= takes a bit mask, byte 0 holding CPUs 0-7. */
static int
list_to_mask (const char *list, const char *what, uint8_t **mask, size_t *len,
              nook_error_t *err)
{
  cleanup_free char *copy = xstrdup (list);
  uint8_t *bits = xmalloc0 (MAX_CPUSET_BITS / 8);
  char *tok, *save = NULL;
  size_t used = 0;

  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *end;
      unsigned long lo, hi, i;
      errno = 0;
      lo = strtoul (tok, &end, 10);
      hi = lo;
      if (end != tok && *end == '-')
        {
          char *s = end + 1;
          hi = strtoul (s, &end, 10);
          if (end == s)
            end = s - 1;
        }
      if (errno || end == tok || *end != '\0' || hi < lo || hi >= MAX_CPUSET_BITS)
        {
          free (bits);
          return nook_make_error (err, 0, "%s: `%s` is not a list like 0-3,5", what, list);
        }
      for (i = lo; i <= hi; i++)
        bits[i / 8] |= (uint8_t) (1u << (i % 8));
      if (hi / 8 + 1 > used)
        used = hi / 8 + 1;
    }
  *mask = bits;
  *len = used;
  return 0;
}

static int
append_bytes (sd_bus_message *m, const char *name, const uint8_t *b, size_t len)
{
  int r;
  if ((r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", name)) < 0
      || (r = sd_bus_message_open_container (m, 'v', "ay")) < 0
      || (r = sd_bus_message_append_array (m, 'y', b, len)) < 0
      || (r = sd_bus_message_close_container (m)) < 0)
    return r;
  return sd_bus_message_close_container (m);
}

static int
append_u64 (sd_bus_message *m, const char *name, uint64_t v)
{
  return sd_bus_message_append (m, "(sv)", name, "t", v);
}

static int
append_bool (sd_bus_message *m, const char *name, bool v)
{
  return sd_bus_message_append (m, "(sv)", name, "b", (int) v);
}

static uint64_t
limit_value (int64_t v)
{
  return v < 0 ? USEC_INFINITY : (uint64_t) v;
}

static int
append_memory (sd_bus_message *m, const oci_memory *mem, bool v2)
{
  int r = 0;

  if (mem == NULL)
    return 0;
  if (mem->has_limit && mem->limit != 0)
    r = append_u64 (m, v2 ? "MemoryMax" : "MemoryLimit", limit_value (mem->limit));
  if (r >= 0 && v2 && mem->has_reservation && mem->reservation != 0)
    r = append_u64 (m, "MemoryLow", limit_value (mem->reservation));
  /* v2's swap is swap alone, the OCI value memory+swap (as cgroup-v2.c). */
  if (r >= 0 && v2 && mem->has_swap && mem->swap == -1)
    r = append_u64 (m, "MemorySwapMax", USEC_INFINITY);
  else if (r >= 0 && v2 && mem->has_swap && mem->swap > 0 && mem->has_limit && mem->limit > 0
           && mem->swap >= mem->limit)
    r = append_u64 (m, "MemorySwapMax", (uint64_t) (mem->swap - mem->limit));
  return r;
}

/* runc's mapping of cpu.shares [2, 262144] onto CPUWeight [1, 10000]. */
static uint64_t
shares_to_weight (uint64_t shares)
{
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* systemd keeps the quota as a percentage: round up to 10 ms per second so
 * the cgroup gets at least the quota asked for (runc does the same). */
static uint64_t
quota_per_sec (const oci_cpu *c)
{
  uint64_t period = c->has_period && c->period ? c->period : DEFAULT_CPU_PERIOD;
  uint64_t v;

  if (!c->has_quota || c->quota <= 0)
    return USEC_INFINITY;
  v = (uint64_t) c->quota * 1000000ULL / period;
  if (v % 10000)
    v = (v / 10000 + 1) * 10000;
  return v;
}

static int
append_cpuset (sd_bus_message *m, const char *name, const char *list, const char *what,
               nook_error_t *err)
{
  cleanup_free uint8_t *mask = NULL;
  size_t len = 0;
  int r;

  if (list == NULL || list[0] == '\0')
    return 0;
  if (list_to_mask (list, what, &mask, &len, err) < 0)
    return -1;
  r = append_bytes (m, name, mask, len);
  if (r < 0)
    return nook_make_error (err, -r, "systemd: append property %s", name);
  return 0;
}

static int
append_cpu (sd_bus_message *m, const oci_cpu *c, bool v2, nook_error_t *err)
{
  int r = 0;

  if (c == NULL)
    return 0;
  if (c->has_shares && c->shares != 0)
    r = v2 ? append_u64 (m, "CPUWeight", shares_to_weight (c->shares))
           : append_u64 (m, "CPUShares", c->shares);
  if (r >= 0 && c->has_period && c->period != 0)
    r = append_u64 (m, "CPUQuotaPeriodUSec", c->period);
  if (r >= 0 && ((c->has_quota && c->quota != 0) || (c->has_period && c->period != 0)))
    r = append_u64 (m, "CPUQuotaPerSecUSec", quota_per_sec (c));
  if (r < 0)
    return nook_make_error (err, -r, "systemd: append the cpu properties");
  /* systemd has no cpuset on v1: cgroupfs sets it there. */
  if (!v2)
    return 0;
  if (append_cpuset (m, "AllowedCPUs", c->cpus, "linux.resources.cpu.cpus", err) < 0
      || append_cpuset (m, "AllowedMemoryNodes", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

static uint64_t
blkio_to_io_weight (uint16_t w)
{
  return w < 10 ? 1 : 1 + ((uint64_t) w - 10) * 9999 / 990;
}

/* ---------------------------------------------------------- devices */

/* The device rules as DevicePolicy + DeviceAllow, so that systemd, which
 * owns the unit's device cgroup (v1) or device program (v2), keeps them
 * across daemon-reload.  systemd has only allow lists: the rules
 * (deny all, the config's, the defaults; later ones win) are folded into
 * one, as runc's emulator does.  A rule systemd cannot express (a deny
 * inside an allowed range, an allow-all followed by denies) leaves the
 * properties out; cgroupfs still applies the exact rules. */
struct sd_device
{
  char type; /* 'c' or 'b' */
  int64_t major, minor; /* -1: any */
  char access[4];
};

struct sd_devices
{
  bool allow_all;
  struct sd_device *d;
  size_t n;
};

static bool
covers (int64_t outer, int64_t inner)
{
  return outer < 0 || outer == inner;
}

static void
remove_access (char *access, const char *drop)
{
  char *w = access, *r;
  for (r = access; *r; r++)
    if (strchr (drop, *r) == NULL)
      *w++ = *r;
  *w = '\0';
}

static void
add_access (char *access, const char *add)
{
  for (; *add; add++)
    if (strchr (access, *add) == NULL && strlen (access) < 3)
      strncat (access, add, 1);
}

static int
fold_allow (struct sd_devices *out, const struct cgroup_device_rule *r)
{
  const char *types = r->type == 'a' ? "cb" : (r->type == 'c' ? "c" : "b");
  size_t i;

  if (r->type == 'a' && r->major < 0 && r->minor >= 0)
    return -1; /* "any major, minor N" has no systemd name */
  for (; *types; types++)
    {
      for (i = 0; i < out->n; i++)
        if (out->d[i].type == *types && out->d[i].major == r->major
            && out->d[i].minor == r->minor)
          break;
      if (i == out->n)
        {
          out->d = xrealloc (out->d, (out->n + 1) * sizeof (*out->d));
          out->d[out->n++] = (struct sd_device) { *types, r->major, r->minor, "" };
        }
      add_access (out->d[i].access, r->access);
    }
  return 0;
}

static int
fold_deny (struct sd_devices *out, const struct cgroup_device_rule *r)
{
  size_t i;

  for (i = 0; i < out->n; i++)
    {
      struct sd_device *d = &out->d[i];
      bool same_type = r->type == 'a' || r->type == d->type;
      if (same_type && covers (r->major, d->major) && covers (r->minor, d->minor))
        remove_access (d->access, r->access);
      else if (same_type && covers (d->major, r->major) && covers (d->minor, r->minor)
               && strpbrk (d->access, r->access))
        return -1; /* a hole in an allowed range */
    }
  return 0;
}

static int
fold_device_rules (const oci_resources *res, struct sd_devices *out)
{
  cleanup_free struct cgroup_device_rule *rules = NULL;
  size_t n = cgroup_device_rules (res, &rules), i;

  for (i = 0; i < n; i++)
    {
      const struct cgroup_device_rule *r = &rules[i];
      if (r->type == 'a' && r->major < 0 && r->minor < 0)
        {
          out->allow_all = r->allow;
          out->n = 0;
        }
      else if (out->allow_all ? !r->allow : (r->allow ? fold_allow (out, r) : fold_deny (out, r)) < 0)
        return -1;
    }
  return 0;
}

/* "char-pts" for major 136: the driver name /proc/devices gives it. */
static char *
device_class (char type, int64_t major)
{
  const char *section = type == 'c' ? "Character devices:" : "Block devices:";
  cleanup_free char *text = NULL;
  char *line, *save = NULL, *out = NULL;
  bool in = false;

  if (read_all_file_at (AT_FDCWD, "/proc/devices", &text, NULL, NULL) < 0)
    return NULL;
  for (line = strtok_r (text, "\n", &save); line && !out; line = strtok_r (NULL, "\n", &save))
    {
      long m;
      char name[64];
      if (strchr (line, ':'))
        in = strcmp (line, section) == 0;
      else if (in && sscanf (line, "%ld %63s", &m, name) == 2 && m == major)
        xasprintf (&out, "%s-%s", type == 'c' ? "char" : "block", name);
    }
  return out;
}

static int
append_device_allow (sd_bus_message *m, const struct sd_device *d)
{
  cleanup_free char *name = NULL;
  const char *kind = d->type == 'c' ? "char" : "block";

  if (d->access[0] == '\0')
    return 0;
  if (d->major < 0)
    xasprintf (&name, "%s-*", kind);
  else if (d->minor < 0)
    {
      /* No driver has that major: no such device can exist to allow. */
      if ((name = device_class (d->type, d->major)) == NULL)
        return 0;
    }
  else
    xasprintf (&name, "/dev/%s/%" PRId64 ":%" PRId64, kind, d->major, d->minor);
  return sd_bus_message_append (m, "(ss)", name, d->access);
}

static int
append_devices (sd_bus_message *m, const oci_resources *res)
{
  struct sd_devices devs = { 0 };
  size_t i;
  int r;

  if (fold_device_rules (res, &devs) < 0)
    {
      nook_debug ("systemd: the device rules have no DeviceAllow form; set through cgroupfs only");
      free (devs.d);
      return 0;
    }
  if ((r = sd_bus_message_append (m, "(sv)", "DevicePolicy", "s",
                                  devs.allow_all ? "auto" : "strict")) < 0
      || (r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", "DeviceAllow")) < 0
      || (r = sd_bus_message_open_container (m, 'v', "a(ss)")) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(ss)")) < 0)
    goto out;
  for (i = 0; i < devs.n && r >= 0; i++)
    r = append_device_allow (m, &devs.d[i]);
  if (r >= 0 && (r = sd_bus_message_close_container (m)) >= 0
      && (r = sd_bus_message_close_container (m)) >= 0)
    r = sd_bus_message_close_container (m);
out:
  free (devs.d);
  return r;
}

/* The resources systemd has properties for; cgroupfs sets them again, and
 * everything else, on the unit's cgroup afterwards. */
static int
append_resources (sd_bus_message *m, const oci_resources *res, bool v2, nook_error_t *err)
{
  int r = 0;

  if (res == NULL)
    return 0;
  if (append_memory (m, res->memory, v2) < 0)
    return nook_make_error (err, EINVAL, "systemd: append the memory properties");
  if (append_cpu (m, res->cpu, v2, err) < 0)
    return -1;
  /* A pids limit <= 0 is no limit (runc >= 1.2). */
  if (res->pids)
    r = append_u64 (m, "TasksMax", res->pids->limit > 0 ? (uint64_t) res->pids->limit
                                                        : USEC_INFINITY);
  if (r >= 0 && res->block_io && res->block_io->has_weight && res->block_io->weight != 0)
    r = v2 ? append_u64 (m, "IOWeight", blkio_to_io_weight (res->block_io->weight))
           : append_u64 (m, "BlockIOWeight", res->block_io->weight);
  if (r < 0)
    return nook_make_error (err, -r, "systemd: append the resource properties");
  return 0;
}

static int
append_unit_properties (sd_bus_message *m, const struct systemd_cg *s, pid_t pid, bool v2)
{
  cleanup_free char *desc = NULL;
  bool slice = has_suffix (s->unit, SLICE_SUFFIX);
  int r;

  xasprintf (&desc, "nook container %s", s->id ? s->id : s->unit);
  if ((r = sd_bus_message_append (m, "(sv)", "Description", "s", desc)) < 0
      || (r = append_bool (m, "DefaultDependencies", false)) < 0
      || (r = append_bool (m, "MemoryAccounting", true)) < 0
      || (r = append_bool (m, "CPUAccounting", true)) < 0
      || (r = append_bool (m, v2 ? "IOAccounting" : "BlockIOAccounting", true)) < 0
      || (r = append_bool (m, "TasksAccounting", true)) < 0)
    return r;
  /* A slice's parent is implied by its name: it only wants the slice asked
   * for; it cannot hold processes itself, cgroupfs moves pid there. */
  if (slice)
    return sd_bus_message_append (m, "(sv)", "Wants", "as", 1, s->slice);
  if ((r = sd_bus_message_append (m, "(sv)", "Slice", "s", s->slice)) < 0
      || (r = append_bool (m, "Delegate", true)) < 0)
    return r;
  return sd_bus_message_append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
}

/* ------------------------------------------------------------ units */

static int
start_unit (sd_bus *bus, const struct systemd_cg *s, pid_t pid, const oci_resources *res,
            nook_error_t *err)
{
  static const char method[] = "StartTransientUnit";
  cleanup_msg sd_bus_message *m = NULL;
  int r;

  if (new_manager_call (bus, &m, method, s->unit, err) < 0)
    return -1;
  if ((r = sd_bus_message_append (m, "ss", s->unit, "replace")) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(sv)")) < 0
      || (r = append_unit_properties (m, s, pid, s->v2)) < 0)
    return nook_make_error (err, -r, "systemd %s `%s`: build the message", method, s->unit);
  if (append_resources (m, res, s->v2, err) < 0)
    return -1;
  /* Only here: update never changes device rules (runc's neither). */
  if ((r = append_devices (m, res)) < 0)
    return nook_make_error (err, -r, "systemd %s `%s`: append the device properties", method,
                            s->unit);
  if ((r = sd_bus_message_close_container (m)) < 0
      || (r = sd_bus_message_append (m, "a(sa(sv))", 0)) < 0)
    return nook_make_error (err, -r, "systemd %s `%s`: build the message", method, s->unit);
  return call_job (bus, m, method, s->unit, NULL, err);
}

static int
stop_unit (sd_bus *bus, const char *unit, nook_error_t *err)
{
  cleanup_msg sd_bus_message *m = NULL;
  bool gone = false;
  int r;

  if (new_manager_call (bus, &m, "StopUnit", unit, err) < 0)
    return -1;
  if ((r = sd_bus_message_append (m, "ss", unit, "replace")) < 0)
    return nook_make_error (err, -r, "systemd StopUnit `%s`: build the message", unit);
  if (call_job (bus, m, "StopUnit", unit, &gone, err) < 0)
    return -1;
  if (!gone)
    {
      /* A scope whose processes were killed is left "failed", and its
       * name taken, until reset (runc does the same). */
      sd_bus_error e = SD_BUS_ERROR_NULL;
      r = sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", &e, NULL,
                              "s", unit);
      if (r < 0 && !sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        nook_debug ("systemd ResetFailedUnit `%s`: %s: %s", unit, e.name ? e.name : "",
                    e.message ? e.message : strerror (-r));
      sd_bus_error_free (&e);
    }
  return 0;
}

/* The cgroup systemd gave the unit must be the one the cgroupfs handle
 * (and the container's cgroup mount) was built for. */
static int
check_control_group (sd_bus *bus, const struct systemd_cg *s, nook_error_t *err)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *path = NULL, *cgroup = NULL;
  const char *iface = has_suffix (s->unit, SLICE_SUFFIX) ? "org.freedesktop.systemd1.Slice"
                                                         : "org.freedesktop.systemd1.Scope";
  int r;

  r = sd_bus_path_encode (SD_UNIT_PATH, s->unit, &path);
  if (r < 0)
    return nook_make_error (err, -r, "systemd: object path of `%s`", s->unit);
  r = sd_bus_get_property_string (bus, SD_DEST, path, iface, "ControlGroup", &e, &cgroup);
  if (r < 0)
    {
      r = bus_fail (err, r, &e, "Get ControlGroup of", s->unit);
      sd_bus_error_free (&e);
      return r;
    }
  if (strcmp (cgroup, s->cgroup) != 0)
    return nook_make_error (err, 0, "systemd put unit `%s` in cgroup `%s`, not in `%s` where "
                            "nook expected it", s->unit, cgroup, s->cgroup);
  return 0;
}

/* ------------------------------------------------------------ driver */

static struct nook_cgroup *
inner (struct nook_cgroup *cg)
{
  return ((struct systemd_cg *) cg->priv)->fs;
}

static void
update_path (struct nook_cgroup *cg)
{
  struct systemd_cg *s = cg->priv;
  free (cg->path);
  xasprintf (&cg->path, "%s:%s;%s", s->slice, s->unit, s->fs->path);
}

static int
systemd_enter (struct nook_cgroup *cg, pid_t pid, const oci_resources *res, nook_error_t *err)
{
  struct systemd_cg *s = cg->priv;
  cleanup_bus sd_bus *bus = NULL;

  if (bus_open (&bus, err) < 0 || start_unit (bus, s, pid, res, err) < 0)
    return -1;
  if (check_control_group (bus, s, err) < 0 || nook_cgroup_enter (s->fs, pid, res, err) < 0)
    {
      nook_error_t e = NULL;
      if (stop_unit (bus, s->unit, &e) < 0)
        nook_log_error (&e);
      return -1;
    }
  update_path (cg);
  return 0;
}

static int
systemd_destroy (struct nook_cgroup *cg, nook_error_t *err)
{
  struct systemd_cg *s = cg->priv;
  cleanup_bus sd_bus *bus = NULL;

  if (bus_open (&bus, err) < 0 || stop_unit (bus, s->unit, err) < 0)
    return -1;
  /* What cgroupfs made itself (v1 hierarchies systemd does not manage). */
  return nook_cgroup_destroy (s->fs, err);
}

static int
set_unit_properties (sd_bus *bus, const struct systemd_cg *s, const oci_resources *res,
                     nook_error_t *err)
{
  static const char method[] = "SetUnitProperties";
  cleanup_msg sd_bus_message *m = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r;

  if (new_manager_call (bus, &m, method, s->unit, err) < 0)
    return -1;
  if ((r = sd_bus_message_append (m, "sb", s->unit, 1)) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(sv)")) < 0)
    return nook_make_error (err, -r, "systemd %s `%s`: build the message", method, s->unit);
  if (append_resources (m, res, s->v2, err) < 0)
    return -1;
  if ((r = sd_bus_message_close_container (m)) < 0)
    return nook_make_error (err, -r, "systemd %s `%s`: build the message", method, s->unit);
  r = sd_bus_call (bus, m, JOB_TIMEOUT_USEC, &e, NULL);
  if (r < 0)
    r = bus_fail (err, r, &e, method, s->unit);
  sd_bus_error_free (&e);
  return r < 0 ? -1 : 0;
}

/* systemd first, so a daemon-reload keeps the new values. */
static int
systemd_update (struct nook_cgroup *cg, const oci_resources *res, nook_error_t *err)
{
  struct systemd_cg *s = cg->priv;
  cleanup_bus sd_bus *bus = NULL;

  if (bus_open (&bus, err) < 0 || set_unit_properties (bus, s, res, err) < 0)
    return -1;
  return nook_cgroup_update (s->fs, res, err);
}

static int
systemd_attach (struct nook_cgroup *cg, pid_t pid, nook_error_t *err)
{
  return nook_cgroup_attach (inner (cg), pid, err);
}

static int
systemd_kill_all (struct nook_cgroup *cg, int sig, nook_error_t *err)
{
  return nook_cgroup_kill_all (inner (cg), sig, err);
}

static int
systemd_pids (struct nook_cgroup *cg, pid_t **pids, size_t *n, nook_error_t *err)
{
  return nook_cgroup_pids (inner (cg), pids, n, err);
}

static int
systemd_mount (struct nook_cgroup *cg, int target_fd, unsigned long mount_flags,
               bool own_cgroupns, nook_error_t *err)
{
  return nook_cgroup_mount (inner (cg), target_fd, mount_flags, own_cgroupns, err);
}

static int
systemd_freeze (struct nook_cgroup *cg, bool frozen, nook_error_t *err)
{
  return nook_cgroup_freeze (inner (cg), frozen, err);
}

static int
systemd_is_frozen (struct nook_cgroup *cg, bool *frozen, nook_error_t *err)
{
  return nook_cgroup_is_frozen (inner (cg), frozen, err);
}

static int
systemd_stats (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err)
{
  return nook_cgroup_stats (inner (cg), st, err);
}

static int
systemd_oom_watch (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out, nook_error_t *err)
{
  return nook_cgroup_oom_watch (inner (cg), out, err);
}

static const struct nook_cgroup_ops cgroup_systemd_ops = {
  .enter = systemd_enter,
  .attach = systemd_attach,
  .kill_all = systemd_kill_all,
  .pids = systemd_pids,
  .destroy = systemd_destroy,
  .mount = systemd_mount,
  .free_priv = systemd_cg_free,
  .update = systemd_update,
  .freeze = systemd_freeze,
  .is_frozen = systemd_is_frozen,
  .stats = systemd_stats,
  .oom_watch = systemd_oom_watch,
};

static struct nook_cgroup *
new_handle (struct systemd_cg *s)
{
  struct nook_cgroup *cg = xmalloc0 (sizeof (*cg));
  cg->ops = &cgroup_systemd_ops;
  cg->manager = xstrdup (MANAGER_SYSTEMD);
  cg->priv = s;
  update_path (cg);
  return cg;
}

static int
detect_v2 (bool *v2, nook_error_t *err)
{
  enum nook_cgroup_mode mode;
  if (nook_cgroup_detect_mode (&mode, err) < 0)
    return -1;
  *v2 = mode == NOOK_CGROUP_MODE_V2;
  return 0;
}

/* systemd must be there now, not only at enter(): never a silent cgroupfs. */
static int
check_systemd (nook_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  return bus_open (&bus, err);
}

int
cgroup_systemd_new (const char *id, const char *cgroups_path, struct nook_cgroup **out,
                    nook_error_t *err)
{
  struct systemd_cg *s;

  /* The system manager takes transient units from root only; a user's own
   * manager (the session bus) is not driven yet. */
  if (geteuid () != 0)
    return nook_make_error (err, 0, "the systemd cgroup driver needs root (units in a user's own "
                            "systemd manager are not supported yet): use the cgroupfs driver "
                            "with a delegated cgroup");
  s = xmalloc0 (sizeof (*s));
  s->id = id ? xstrdup (id) : NULL;
  if (parse_cgroups_path (s, id, cgroups_path, err) < 0 || resolve_cgroup (s, err) < 0
      || check_systemd (err) < 0 || detect_v2 (&s->v2, err) < 0
      || nook_cgroup_new (id, s->cgroup, false, &s->fs, err) < 0)
    {
      systemd_cg_free (s);
      return -1;
    }
  *out = new_handle (s);
  return 0;
}

int
cgroup_systemd_load (const char *path, struct nook_cgroup **out, nook_error_t *err)
{
  struct systemd_cg *s;
  const char *colon = strchr (path, ':');
  const char *semi = colon ? strchr (colon, ';') : NULL;

  if (colon == NULL || semi == NULL || semi[1] != '/')
    return nook_make_error (err, 0, "systemd cgroup path `%s` is not \"slice:unit;/path\"", path);
  s = xmalloc0 (sizeof (*s));
  s->slice = dup_n (path, (size_t) (colon - path));
  s->unit = dup_n (colon + 1, (size_t) (semi - colon - 1));
  s->cgroup = dup_n (semi + 1, strcspn (semi + 1, ";"));
  if (detect_v2 (&s->v2, err) < 0 || nook_cgroup_load ("cgroupfs", semi + 1, &s->fs, err) < 0)
    {
      systemd_cg_free (s);
      return -1;
    }
  *out = new_handle (s);
  return 0;
}
