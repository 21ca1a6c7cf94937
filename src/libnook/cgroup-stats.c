/* nook - what a container's cgroup has used (runc's `events` numbers), and
 * OOM notifications.
 *
 * The numbers and their sources follow runc, so that clients reading
 * `events --stats` see what they know: on v1 cpuacct/cpu/cpuset/memory/
 * pids/blkio/hugetlb files; on v2 cpu.stat, memory.*, pids.*, io.stat and
 * hugetlb.*, mapped onto the v1 layout (swap usage is memory+swap, as v1
 * reports it).  A file the host does not have leaves its numbers at 0.
 *
 * OOM: v1 delivers an eventfd registered through cgroup.event_control on
 * memory.oom_control (it also fires when the cgroup is removed); v2 has a
 * counter, oom_kill in memory.events, watched with inotify.
 *
 * The front of `update` is here too: its memory.checkBeforeUpdate needs
 * the usage; the drivers' update ops reuse their create-time appliers.
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "cgroup-internal.h"
#include "utils.h"

#ifndef N_ELEMENTS
# define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#endif

#define NSEC_PER_SEC 1000000000ULL
#define HUGEPAGES_DIR "/sys/kernel/mm/hugepages"

/* ------------------------------------------------------ file helpers */

/* The file's contents, or NULL (and 0) when the host does not have it. */
static int
read_optional (const char *dir, const char *file, char **out, nook_error_t *err)
{
  *out = NULL;
  if (cgroup_read (dir, file, out, err) == 0)
    return 0;
  if ((*err)->status != ENOENT)
    return -1;
  nook_error_release (err);
  return 0;
}

/* "max" is the kernel's no limit: as runc, the largest value. */
static bool
parse_value (const char *s, uint64_t *v)
{
  if (strcmp (s, "max") == 0)
    {
      *v = UINT64_MAX;
      return true;
    }
  /* v1 reports "no limit" as a huge signed value; -1 shows up too. */
  if (s[0] == '-')
    {
      *v = 0;
      return true;
    }
  return parse_uint64 (s, v) == 0;
}

static int
read_u64 (const char *dir, const char *file, uint64_t *v, nook_error_t *err)
{
  cleanup_free char *s = NULL;

  *v = 0;
  if (read_optional (dir, file, &s, err) < 0)
    return -1;
  if (s && !parse_value (s, v))
    return nook_make_error (err, 0, "cgroup `%s/%s`: `%s` is not a number", dir, file, s);
  return 0;
}

/* The value of `key` in a "key value" per line text; 0 when absent. */
static uint64_t
keyed_value (const char *text, const char *key)
{
  size_t len = strlen (key);
  const char *p = text;
  uint64_t v = 0;

  while (p && *p)
    {
      if (strncmp (p, key, len) == 0 && p[len] == ' ')
        {
          char buf[32];
          size_t n = strcspn (p + len + 1, "\n");
          if (n >= sizeof (buf))
            return 0;
          memcpy (buf, p + len + 1, n);
          buf[n] = '\0';
          return parse_value (buf, &v) ? v : 0;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return 0;
}

static int
read_keyed (const char *dir, const char *file, const char *key, uint64_t *v, nook_error_t *err)
{
  cleanup_free char *s = NULL;

  if (read_optional (dir, file, &s, err) < 0)
    return -1;
  *v = s ? keyed_value (s, key) : 0;
  return 0;
}

static void
append_u64 (uint64_t **a, size_t *n, uint64_t v)
{
  *a = xrealloc (*a, (*n + 1) * sizeof (**a));
  (*a)[(*n)++] = v;
}

/* "123 456 789": cpuacct.usage_percpu and friends. */
static int
read_u64_list (const char *dir, const char *file, uint64_t **a, size_t *n, nook_error_t *err)
{
  cleanup_free char *s = NULL;
  char *tok, *save = NULL;

  if (read_optional (dir, file, &s, err) < 0)
    return -1;
  for (tok = s ? strtok_r (s, " \n", &save) : NULL; tok; tok = strtok_r (NULL, " \n", &save))
    {
      uint64_t v;
      if (parse_uint64 (tok, &v) < 0)
        return nook_make_error (err, 0, "cgroup `%s/%s`: `%s` is not a number", dir, file, tok);
      append_u64 (a, n, v);
    }
  return 0;
}

/* "0-3,5" -> 0 1 2 3 5 */
static int
read_id_list (const char *dir, const char *file, uint16_t **a, size_t *n, nook_error_t *err)
{
  cleanup_free char *s = NULL;
  char *tok, *save = NULL;

  if (read_optional (dir, file, &s, err) < 0)
    return -1;
  for (tok = s ? strtok_r (s, ",\n", &save) : NULL; tok; tok = strtok_r (NULL, ",\n", &save))
    {
      unsigned lo, hi;
      int got = sscanf (tok, "%u-%u", &lo, &hi);
      if (got == 1)
        hi = lo;
      if (got < 1 || hi < lo || hi > UINT16_MAX)
        return nook_make_error (err, 0, "cgroup `%s/%s`: `%s` is not a range", dir, file, tok);
      for (; lo <= hi; lo++)
        {
          *a = xrealloc (*a, (*n + 1) * sizeof (**a));
          (*a)[(*n)++] = (uint16_t) lo;
        }
    }
  return 0;
}

/* memory.stat, every line, in order. */
static int
read_raw (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  cleanup_free char *s = NULL;
  char *line, *save = NULL;

  if (read_optional (dir, "memory.stat", &s, err) < 0)
    return -1;
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      uint64_t v;
      if (sp == NULL || parse_uint64 (sp + 1, &v) < 0)
        continue;
      *sp = '\0';
      st->memory.raw_keys = xrealloc (st->memory.raw_keys,
                                      (st->memory.n_raw + 1) * sizeof (char *));
      st->memory.raw_keys[st->memory.n_raw] = xstrdup (line);
      append_u64 (&st->memory.raw_values, &st->memory.n_raw, v);
    }
  return 0;
}

static uint64_t
raw_value (const struct nook_cgroup_stats *st, const char *key)
{
  size_t i;
  for (i = 0; i < st->memory.n_raw; i++)
    if (strcmp (st->memory.raw_keys[i], key) == 0)
      return st->memory.raw_values[i];
  return 0;
}

static void
add_blkio (struct nook_cgroup_stats *st, enum nook_cgroup_blkio_kind k, uint64_t major,
           uint64_t minor, const char *op, uint64_t value)
{
  struct nook_cgroup_blkio_entry *e;

  st->blkio.e[k] = xrealloc (st->blkio.e[k], (st->blkio.n[k] + 1) * sizeof (*e));
  e = &st->blkio.e[k][st->blkio.n[k]++];
  e->major = major;
  e->minor = minor;
  e->op = op ? xstrdup (op) : NULL;
  e->value = value;
}

/* The huge page sizes of this host, named as the hugetlb files name them. */
static char **
hugepage_sizes (size_t *n)
{
  cleanup_dir DIR *d = opendir (HUGEPAGES_DIR);
  struct dirent *de;
  char **out = NULL;

  *n = 0;
  while (d && (de = readdir (d)) != NULL)
    {
      unsigned long kb;
      char *name = NULL;
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      if (kb % (1024 * 1024) == 0)
        xasprintf (&name, "%luGB", kb / (1024 * 1024));
      else if (kb % 1024 == 0)
        xasprintf (&name, "%luMB", kb / 1024);
      else
        xasprintf (&name, "%luKB", kb);
      out = xrealloc (out, (*n + 1) * sizeof (char *));
      out[(*n)++] = name;
    }
  return out;
}

/* v1 names the files usage_in_bytes/max_usage_in_bytes/failcnt; v2
 * current and events' "max" (no peak). */
static int
stat_hugetlb (const char *dir, bool v2, struct nook_cgroup_stats *st, nook_error_t *err)
{
  size_t n, i;
  char **sizes = hugepage_sizes (&n);
  int ret = 0;

  for (i = 0; i < n && ret == 0; i++)
    {
      struct nook_cgroup_hugetlb h = { 0 };
      cleanup_free char *usage = NULL, *max = NULL, *fail = NULL;

      xasprintf (&usage, "hugetlb.%s.%s", sizes[i], v2 ? "current" : "usage_in_bytes");
      /* The controller is not enabled for this cgroup: nothing to say. */
      if (!cgroup_file_exists (dir, usage))
        continue;
      xasprintf (&max, "hugetlb.%s.max_usage_in_bytes", sizes[i]);
      xasprintf (&fail, "hugetlb.%s.%s", sizes[i], v2 ? "events" : "failcnt");
      if (read_u64 (dir, usage, &h.usage, err) < 0
          || (!v2 && read_u64 (dir, max, &h.max, err) < 0)
          || (v2 ? read_keyed (dir, fail, "max", &h.failcnt, err)
                 : read_u64 (dir, fail, &h.failcnt, err)) < 0)
        ret = -1;
      else
        {
          h.page_size = xstrdup (sizes[i]);
          st->hugetlb = xrealloc (st->hugetlb, (st->n_hugetlb + 1) * sizeof (h));
          st->hugetlb[st->n_hugetlb++] = h;
        }
    }
  for (i = 0; i < n; i++)
    free (sizes[i]);
  free (sizes);
  return ret;
}

/* ------------------------------------------------------ v1 */

static int
v1_stat_cpuacct (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  cleanup_free char *s = NULL;
  long ticks = sysconf (_SC_CLK_TCK);

  if (read_u64 (dir, "cpuacct.usage", &st->cpu.total, err) < 0
      || read_u64_list (dir, "cpuacct.usage_percpu", &st->cpu.percpu, &st->cpu.n_percpu, err) < 0
      || read_u64_list (dir, "cpuacct.usage_percpu_sys", &st->cpu.percpu_kernel,
                        &st->cpu.n_percpu_kernel, err) < 0
      || read_u64_list (dir, "cpuacct.usage_percpu_user", &st->cpu.percpu_user,
                        &st->cpu.n_percpu_user, err) < 0
      || read_optional (dir, "cpuacct.stat", &s, err) < 0)
    return -1;
  /* cpuacct.stat counts in USER_HZ ticks. */
  if (s && ticks > 0)
    {
      st->cpu.user = keyed_value (s, "user") * NSEC_PER_SEC / (uint64_t) ticks;
      st->cpu.kernel = keyed_value (s, "system") * NSEC_PER_SEC / (uint64_t) ticks;
    }
  return 0;
}

static int
v1_stat_cpu (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  cleanup_free char *s = NULL;

  if (read_optional (dir, "cpu.stat", &s, err) < 0)
    return -1;
  if (s)
    {
      st->cpu.periods = keyed_value (s, "nr_periods");
      st->cpu.throttled_periods = keyed_value (s, "nr_throttled");
      st->cpu.throttled_time = keyed_value (s, "throttled_time");
    }
  return 0;
}

static const struct
{
  const char *file;
  size_t offset;
} cpuset_files[] = {
#define CPUSET_FIELD(f) { "cpuset." #f, offsetof (struct nook_cgroup_stats, cpuset.f) }
  CPUSET_FIELD (cpu_exclusive),      CPUSET_FIELD (mem_hardwall),
  CPUSET_FIELD (mem_exclusive),      CPUSET_FIELD (memory_migrate),
  CPUSET_FIELD (memory_spread_page), CPUSET_FIELD (memory_spread_slab),
  CPUSET_FIELD (memory_pressure),    CPUSET_FIELD (sched_load_balance),
#undef CPUSET_FIELD
};

static int
v1_stat_cpuset (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  cleanup_free char *level = NULL;
  size_t i;

  if (read_id_list (dir, "cpuset.cpus", &st->cpuset.cpus, &st->cpuset.n_cpus, err) < 0
      || read_id_list (dir, "cpuset.mems", &st->cpuset.mems, &st->cpuset.n_mems, err) < 0)
    return -1;
  for (i = 0; i < N_ELEMENTS (cpuset_files); i++)
    if (read_u64 (dir, cpuset_files[i].file,
                  (uint64_t *) ((char *) st + cpuset_files[i].offset), err) < 0)
      return -1;
  if (read_optional (dir, "cpuset.sched_relax_domain_level", &level, err) < 0)
    return -1;
  if (level && parse_int64 (level, &st->cpuset.sched_relax_domain_level) < 0)
    st->cpuset.sched_relax_domain_level = 0;
  return 0;
}

/* memory.<prefix>{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes} */
static int
v1_memory_entry (const char *dir, const char *prefix, struct nook_cgroup_memory_entry *e,
                 nook_error_t *err)
{
  static const char *const suffix[] = { "limit_in_bytes", "usage_in_bytes",
                                        "max_usage_in_bytes", "failcnt" };
  uint64_t *field[] = { &e->limit, &e->usage, &e->max, &e->failcnt };
  size_t i;

  for (i = 0; i < N_ELEMENTS (suffix); i++)
    {
      cleanup_free char *file = NULL;
      xasprintf (&file, "memory.%s%s", prefix, suffix[i]);
      if (read_u64 (dir, file, field[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_stat_memory (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  if (read_raw (dir, st, err) < 0 || v1_memory_entry (dir, "", &st->memory.usage, err) < 0
      || v1_memory_entry (dir, "memsw.", &st->memory.swap, err) < 0
      || v1_memory_entry (dir, "kmem.", &st->memory.kernel, err) < 0
      || v1_memory_entry (dir, "kmem.tcp.", &st->memory.kernel_tcp, err) < 0)
    return -1;
  st->memory.cache = raw_value (st, "cache");
  return 0;
}

static int
stat_pids (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  if (read_u64 (dir, "pids.current", &st->pids.current, err) < 0
      || read_u64 (dir, "pids.max", &st->pids.limit, err) < 0)
    return -1;
  /* "max": no limit, which runc reports as 0. */
  if (st->pids.limit == UINT64_MAX)
    st->pids.limit = 0;
  return 0;
}

/* "8:0 Read 4096" lines, and a "Total N" line to skip. */
static int
v1_blkio_file (const char *dir, const char *file, enum nook_cgroup_blkio_kind k,
               struct nook_cgroup_stats *st, nook_error_t *err)
{
  cleanup_free char *s = NULL;
  char *line, *save = NULL;

  if (read_optional (dir, file, &s, err) < 0)
    return -1;
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long major, minor, value;
      char op[16];
      if (sscanf (line, "%llu:%llu %15s %llu", &major, &minor, op, &value) == 4)
        add_blkio (st, k, major, minor, op, value);
      else if (sscanf (line, "%llu:%llu %llu", &major, &minor, &value) == 3)
        add_blkio (st, k, major, minor, NULL, value);
    }
  return 0;
}

/* Like runc: the BFQ scheduler's numbers when it has any, else the
 * throttling layer's (which sees every I/O). */
static int
v1_stat_blkio (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  static const struct
  {
    const char *file;
    enum nook_cgroup_blkio_kind kind;
  } bfq[] = {
    { "blkio.bfq.io_service_bytes_recursive", NOOK_BLKIO_SERVICE_BYTES },
    { "blkio.bfq.io_serviced_recursive", NOOK_BLKIO_SERVICED },
  }, throttle[] = {
    { "blkio.throttle.io_service_bytes_recursive", NOOK_BLKIO_SERVICE_BYTES },
    { "blkio.throttle.io_serviced_recursive", NOOK_BLKIO_SERVICED },
  };
  size_t i;

  for (i = 0; i < N_ELEMENTS (bfq); i++)
    if (v1_blkio_file (dir, bfq[i].file, bfq[i].kind, st, err) < 0)
      return -1;
  if (st->blkio.n[NOOK_BLKIO_SERVICE_BYTES] > 0)
    return 0;
  for (i = 0; i < N_ELEMENTS (throttle); i++)
    {
      size_t k = throttle[i].kind;
      while (st->blkio.n[k] > 0)
        free (st->blkio.e[k][--st->blkio.n[k]].op);
      if (v1_blkio_file (dir, throttle[i].file, throttle[i].kind, st, err) < 0)
        return -1;
    }
  return 0;
}

static int
v1_stat_hugetlb (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  return stat_hugetlb (dir, false, st, err);
}

static const struct
{
  const char *controller;
  int (*stat) (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err);
} v1_stats[] = {
  { "cpuacct", v1_stat_cpuacct }, { "cpu", v1_stat_cpu },     { "cpuset", v1_stat_cpuset },
  { "memory", v1_stat_memory },   { "pids", stat_pids },      { "blkio", v1_stat_blkio },
  { "hugetlb", v1_stat_hugetlb },
};

static int
cgroup_gone (const char *dir, nook_error_t *err)
{
  return nook_make_error (err, 0, "cgroup `%s` does not exist (the container is gone?)", dir);
}

int
cgroup_v1_stats (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  struct cgroup_hierarchy *u;
  size_t i;

  for (i = 0; i < N_ELEMENTS (v1_stats); i++)
    {
      struct cgroup_hierarchy *h = cgroup_fs_find (fs, v1_stats[i].controller);
      if (h == NULL)
        continue;
      if (access (h->dir, F_OK) < 0)
        return cgroup_gone (h->dir, err);
      if (v1_stats[i].stat (h->dir, st, err) < 0)
        return -1;
    }
  /* A hybrid host's hugetlb may live on its cgroup2 mount. */
  u = fs->mode == NOOK_CGROUP_MODE_HYBRID ? cgroup_fs_find (fs, "") : NULL;
  if (u && cgroup_fs_find (fs, "hugetlb") == NULL)
    return stat_hugetlb (u->dir, true, st, err);
  return 0;
}

/* ------------------------------------------------------ v2 */

static int
v2_stat_cpu (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  cleanup_free char *s = NULL;

  if (read_optional (dir, "cpu.stat", &s, err) < 0)
    return -1;
  if (s == NULL)
    return 0;
  st->cpu.total = keyed_value (s, "usage_usec") * 1000;
  st->cpu.user = keyed_value (s, "user_usec") * 1000;
  st->cpu.kernel = keyed_value (s, "system_usec") * 1000;
  st->cpu.periods = keyed_value (s, "nr_periods");
  st->cpu.throttled_periods = keyed_value (s, "nr_throttled");
  st->cpu.throttled_time = keyed_value (s, "throttled_usec") * 1000;
  return 0;
}

/* memory.<name>{current,max,peak} and events' "max" as failcnt. */
static int
v2_memory_entry (const char *dir, const char *name, struct nook_cgroup_memory_entry *e,
                 nook_error_t *err)
{
  cleanup_free char *cur = NULL, *max = NULL, *peak = NULL, *events = NULL;

  xasprintf (&cur, "memory.%scurrent", name);
  xasprintf (&max, "memory.%smax", name);
  xasprintf (&peak, "memory.%speak", name);
  xasprintf (&events, "memory.%sevents", name);
  if (read_u64 (dir, cur, &e->usage, err) < 0 || read_u64 (dir, max, &e->limit, err) < 0
      || read_u64 (dir, peak, &e->max, err) < 0
      || read_keyed (dir, events, "max", &e->failcnt, err) < 0)
    return -1;
  return 0;
}

static int
v2_stat_memory (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  struct nook_cgroup_memory_entry *mem = &st->memory.usage, *swap = &st->memory.swap;

  if (read_raw (dir, st, err) < 0 || v2_memory_entry (dir, "", mem, err) < 0
      || v2_memory_entry (dir, "swap.", swap, err) < 0)
    return -1;
  st->memory.cache = raw_value (st, "file");
  /* v1 reports memory+swap: so does runc on v2, for its clients. */
  swap->usage += mem->usage;
  if (swap->limit != UINT64_MAX && mem->limit != UINT64_MAX)
    swap->limit += mem->limit;
  else
    swap->limit = UINT64_MAX;
  return 0;
}

/* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" */
static int
v2_stat_io (const char *dir, struct nook_cgroup_stats *st, nook_error_t *err)
{
  static const struct
  {
    const char *key;
    enum nook_cgroup_blkio_kind kind;
    const char *op;
  } keys[] = {
    { "rbytes", NOOK_BLKIO_SERVICE_BYTES, "Read" },
    { "wbytes", NOOK_BLKIO_SERVICE_BYTES, "Write" },
    { "rios", NOOK_BLKIO_SERVICED, "Read" },
    { "wios", NOOK_BLKIO_SERVICED, "Write" },
  };
  cleanup_free char *s = NULL;
  char *line, *save = NULL;

  if (read_optional (dir, "io.stat", &s, err) < 0)
    return -1;
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long major, minor;
      char *tok, *save2 = NULL;
      if (sscanf (line, "%llu:%llu", &major, &minor) != 2)
        continue;
      strtok_r (line, " ", &save2);
      while ((tok = strtok_r (NULL, " ", &save2)) != NULL)
        {
          char *eq = strchr (tok, '=');
          uint64_t v;
          size_t i;
          if (eq == NULL || parse_uint64 (eq + 1, &v) < 0)
            continue;
          *eq = '\0';
          for (i = 0; i < N_ELEMENTS (keys); i++)
            if (strcmp (tok, keys[i].key) == 0)
              add_blkio (st, keys[i].kind, major, minor, keys[i].op, v);
        }
    }
  return 0;
}

int
cgroup_v2_stats (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  const char *dir = fs->h[0].dir;

  if (access (dir, F_OK) < 0)
    return cgroup_gone (dir, err);
  if (v2_stat_cpu (dir, st, err) < 0 || v2_stat_memory (dir, st, err) < 0
      || stat_pids (dir, st, err) < 0 || v2_stat_io (dir, st, err) < 0
      || stat_hugetlb (dir, true, st, err) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------ OOM watch */

struct nook_cgroup_oom_watch
{
  int fd;          /* v1: the eventfd; v2: the inotify fd */
  int oom_control; /* v1: memory.oom_control, open while registered */
  bool v2;
  char *dir;
  uint64_t seen; /* v2: oom_kill already reported */
};

static struct nook_cgroup_oom_watch *
oom_watch_new (const char *dir, bool v2)
{
  struct nook_cgroup_oom_watch *w = xmalloc0 (sizeof (*w));
  w->fd = -1;
  w->oom_control = -1;
  w->v2 = v2;
  w->dir = xstrdup (dir);
  return w;
}

int
cgroup_v1_oom_watch (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out,
                     nook_error_t *err)
{
  struct cgroup_hierarchy *h = cgroup_fs_find (cg->priv, "memory");
  struct nook_cgroup_oom_watch *w;
  cleanup_free char *path = NULL;
  char line[64];

  if (h == NULL)
    return nook_make_error (err, 0, "OOM notifications: no cgroup v1 `memory` hierarchy is "
                            "mounted on this host");
  w = oom_watch_new (h->dir, false);
  xasprintf (&path, "%s/memory.oom_control", h->dir);
  w->oom_control = open (path, O_RDONLY | O_CLOEXEC);
  if (w->oom_control < 0)
    {
      nook_make_error (err, errno, "OOM notifications: open `%s`", path);
      goto fail;
    }
  w->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->fd < 0)
    {
      nook_make_error (err, errno, "OOM notifications: eventfd");
      goto fail;
    }
  snprintf (line, sizeof (line), "%d %d", w->fd, w->oom_control);
  if (cgroup_write (h->dir, "cgroup.event_control", line, "OOM notifications", NULL, err) < 0)
    goto fail;
  *out = w;
  return 0;
fail:
  nook_cgroup_oom_watch_free (w);
  return -1;
}

static int
v2_oom_kills (const char *dir, uint64_t *n, bool *gone, nook_error_t *err)
{
  cleanup_free char *s = NULL;

  *n = 0;
  *gone = false;
  if (read_optional (dir, "memory.events", &s, err) < 0)
    return -1;
  if (s == NULL)
    *gone = true;
  else
    *n = keyed_value (s, "oom_kill");
  return 0;
}

int
cgroup_v2_oom_watch (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out,
                     nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  struct nook_cgroup_oom_watch *w = oom_watch_new (fs->h[0].dir, true);
  cleanup_free char *path = NULL;
  bool gone;

  xasprintf (&path, "%s/memory.events", w->dir);
  w->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (w->fd < 0)
    {
      nook_make_error (err, errno, "OOM notifications: inotify_init1");
      goto fail;
    }
  if (inotify_add_watch (w->fd, path, IN_MODIFY) < 0)
    {
      nook_make_error (err, errno == ENOENT ? 0 : errno, "OOM notifications: watch `%s`%s",
                       path, errno == ENOENT ? ": the memory controller is not enabled for "
                                               "this cgroup" : "");
      goto fail;
    }
  /* Only what happens from now on is news. */
  if (v2_oom_kills (w->dir, &w->seen, &gone, err) < 0)
    goto fail;
  *out = w;
  return 0;
fail:
  nook_cgroup_oom_watch_free (w);
  return -1;
}

int
nook_cgroup_oom_fd (const struct nook_cgroup_oom_watch *w)
{
  return w->fd;
}

static int
v1_oom_read (struct nook_cgroup_oom_watch *w, uint64_t *ooms, bool *gone, nook_error_t *err)
{
  uint64_t count = 0;

  if (read (w->fd, &count, sizeof (count)) < 0 && errno != EAGAIN)
    return nook_make_error (err, errno, "OOM notifications: read the eventfd of `%s`", w->dir);
  /* Removing the cgroup signals the eventfd too: that is no OOM. */
  *gone = !cgroup_file_exists (w->dir, "cgroup.event_control");
  *ooms = *gone ? 0 : count;
  return 0;
}

static int
v2_oom_read (struct nook_cgroup_oom_watch *w, uint64_t *ooms, bool *gone, nook_error_t *err)
{
  char buf[4096];
  uint64_t n;

  while (read (w->fd, buf, sizeof (buf)) > 0)
    ;
  if (v2_oom_kills (w->dir, &n, gone, err) < 0)
    return -1;
  *ooms = n > w->seen ? n - w->seen : 0;
  if (n > w->seen)
    w->seen = n;
  return 0;
}

int
nook_cgroup_oom_read (struct nook_cgroup_oom_watch *w, uint64_t *ooms, bool *gone,
                      nook_error_t *err)
{
  return w->v2 ? v2_oom_read (w, ooms, gone, err) : v1_oom_read (w, ooms, gone, err);
}

void
nook_cgroup_oom_watch_free (struct nook_cgroup_oom_watch *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd);
  if (w->oom_control >= 0)
    close (w->oom_control);
  free (w->dir);
  free (w);
}

/* ------------------------------------------------------ front */

int
nook_cgroup_stats (struct nook_cgroup *cg, struct nook_cgroup_stats *st, nook_error_t *err)
{
  memset (st, 0, sizeof (*st));
  if (cg->ops->stats == NULL)
    return nook_make_error (err, 0, "stats are not supported by the %s cgroup manager",
                            cg->manager);
  if (cg->ops->stats (cg, st, err) < 0)
    {
      nook_cgroup_stats_free (st);
      return -1;
    }
  return 0;
}

void
nook_cgroup_stats_free (struct nook_cgroup_stats *st)
{
  size_t i, k;

  free (st->cpu.percpu);
  free (st->cpu.percpu_kernel);
  free (st->cpu.percpu_user);
  free (st->cpuset.cpus);
  free (st->cpuset.mems);
  for (i = 0; i < st->memory.n_raw; i++)
    free (st->memory.raw_keys[i]);
  free (st->memory.raw_keys);
  free (st->memory.raw_values);
  for (k = 0; k < NOOK_BLKIO_KINDS; k++)
    {
      for (i = 0; i < st->blkio.n[k]; i++)
        free (st->blkio.e[k][i].op);
      free (st->blkio.e[k]);
    }
  for (i = 0; i < st->n_hugetlb; i++)
    free (st->hugetlb[i].page_size);
  free (st->hugetlb);
  memset (st, 0, sizeof (*st));
}

int
nook_cgroup_oom_watch (struct nook_cgroup *cg, struct nook_cgroup_oom_watch **out,
                       nook_error_t *err)
{
  *out = NULL;
  if (cg->ops->oom_watch == NULL)
    return nook_make_error (err, 0, "OOM notifications are not supported by the %s cgroup "
                            "manager", cg->manager);
  return cg->ops->oom_watch (cg, out, err);
}

/* ------------------------------------------------------ update
 * (here because checkBeforeUpdate needs the memory usage) */

/* A limit below what is in use would make the kernel reclaim hard or
 * OOM-kill at once: memory.checkBeforeUpdate asks for a refusal instead. */
static int
check_before_update (struct nook_cgroup *cg, const oci_resources *res, nook_error_t *err)
{
  const oci_memory *m = res->memory;
  struct nook_cgroup_stats st;
  int ret = 0;

  if (m == NULL || !m->check_before_update || !m->has_limit || m->limit <= 0)
    return 0;
  if (nook_cgroup_stats (cg, &st, err) < 0)
    return -1;
  if ((uint64_t) m->limit < st.memory.usage.usage)
    ret = nook_make_error (err, 0, "linux.resources.memory.limit: %" PRId64 " is below the "
                           "current usage, %" PRIu64 " (memory.checkBeforeUpdate)", m->limit,
                           st.memory.usage.usage);
  nook_cgroup_stats_free (&st);
  return ret;
}

int
nook_cgroup_update (struct nook_cgroup *cg, const oci_resources *res, nook_error_t *err)
{
  oci_resources r = *res;

  if (cg->ops->update == NULL)
    return nook_make_error (err, 0, "update is not supported by the %s cgroup manager",
                            cg->manager);
  /* runc's update never changes device rules, and clients (containerd's
   * CRI) send the container's whole resources, devices included. */
  if (r.devices_len)
    nook_debug ("update: linux.resources.devices left as they are");
  r.devices = NULL;
  r.devices_len = 0;
  if (cgroup_validate_resources (&r, err) < 0 || check_before_update (cg, &r, err) < 0)
    return -1;
  return cg->ops->update (cg, &r, err);
}
