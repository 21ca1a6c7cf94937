/* nook - a container's cgroup from outside: pause, resume, ps, events,
 * update.  The outputs are runc's, byte for byte where clients parse them
 * (containerd and podman read `ps --format json` and `events`).
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include "container.h"
#include "container-internal.h"
#include "cgroup.h"
#include "status.h"
#include "utils.h"

extern char **environ;

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* An opened container and its cgroup. */
struct target
{
  struct nook_loaded l;
  struct nook_cgroup *cg;
};

static void
target_release (struct target *t)
{
  nook_cgroup_free (t->cg);
  t->cg = NULL;
  nook_loaded_release (&t->l);
}

/* Load id and its cgroup; what is one of `ok` statuses, else an error
 * "cannot VERB container `id`: it is STATUS". */
static int
target_open (const char *root, const char *id, bool lock, const char *verb,
             const enum nook_container_status *ok, size_t n_ok, struct target *t,
             nook_error_t *err)
{
  size_t i;

  t->cg = NULL;
  if (nook_container_load (root, id, lock, &t->l, err) < 0)
    return -1;
  for (i = 0; i < n_ok && t->l.status != ok[i]; i++)
    ;
  if (i == n_ok)
    nook_make_error (err, 0, "cannot %s container `%s`: it is %s", verb, id,
                     nook_status_name (t->l.status));
  else if (t->l.st.cgroup_manager == NULL || t->l.st.cgroup_path == NULL)
    nook_make_error (err, 0, "cannot %s container `%s`: it has no cgroup (an unprivileged user "
                     "created it outside a delegated cgroup subtree)", verb, id);
  else if (nook_cgroup_load (t->l.st.cgroup_manager, t->l.st.cgroup_path, &t->cg, err) == 0)
    return 0;
  target_release (t);
  return -1;
}

static const enum nook_container_status alive[] = {
  NOOK_STATUS_CREATED,
  NOOK_STATUS_RUNNING,
  NOOK_STATUS_PAUSED,
};
/* pause takes what runc's pause takes. */
static const enum nook_container_status pausable[] = {
  NOOK_STATUS_CREATED,
  NOOK_STATUS_RUNNING,
};
static const enum nook_container_status paused[] = { NOOK_STATUS_PAUSED };
static const enum nook_container_status any_but_creating[] = {
  NOOK_STATUS_CREATED,
  NOOK_STATUS_RUNNING,
  NOOK_STATUS_PAUSED,
  NOOK_STATUS_STOPPED,
};

/* ---------------------------------------------------------- pause */

/* pause (frozen) or resume a container in one of the n_ok statuses. */
static int
set_frozen (const char *root, const char *id, bool frozen, const enum nook_container_status *ok,
            size_t n_ok, nook_error_t *err)
{
  struct target t;
  int ret;

  if (target_open (root, id, true, frozen ? "pause" : "resume", ok, n_ok, &t, err) < 0)
    return -1;
  ret = nook_cgroup_freeze (t.cg, frozen, err);
  target_release (&t);
  return ret;
}

int
nook_container_pause (const char *root, const char *id, nook_error_t *err)
{
  return set_frozen (root, id, true, pausable, N_ELEMENTS (pausable), err);
}

int
nook_container_resume (const char *root, const char *id, nook_error_t *err)
{
  return set_frozen (root, id, false, paused, N_ELEMENTS (paused), err);
}

/* ---------------------------------------------------------- ps */

static char *
pids_json (const pid_t *pids, size_t n)
{
  char *s = NULL;
  size_t len, i;
  FILE *f = open_memstream (&s, &len);

  if (f == NULL)
    abort ();
  fputc ('[', f);
  for (i = 0; i < n; i++)
    fprintf (f, "%s%d", i ? "," : "", (int) pids[i]);
  fputs ("]\n", f);
  fclose (f);
  return s;
}

/* Run ps(1) with args (runc's default: -ef) and take its stdout. */
static int
run_ps (char *const *args, char **out, nook_error_t *err)
{
  posix_spawn_file_actions_t fa;
  cleanup_free char **argv = NULL;
  cleanup_close int rd = -1;
  int p[2], r, status;
  size_t n = 0, i;
  pid_t pid;

  while (args && args[n])
    n++;
  argv = xmalloc0 ((n + 3) * sizeof (char *));
  argv[0] = (char *) "ps";
  for (i = 0; i < n; i++)
    argv[i + 1] = args[i];
  if (n == 0)
    argv[1] = (char *) "-ef";
  if (pipe2 (p, O_CLOEXEC) < 0)
    return nook_make_error (err, errno, "ps: pipe");
  rd = p[0];
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, p[1], STDOUT_FILENO);
  r = posix_spawnp (&pid, "ps", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (p[1]);
  if (r != 0)
    return nook_make_error (err, r, "run `ps`");
  r = read_all_fd (rd, "the output of ps", out, NULL, err);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return nook_make_error (err, errno, "wait for `ps`");
  if (r < 0)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      free (*out);
      *out = NULL;
      return nook_make_error (err, 0, "`ps` failed (exit status %d): check the ps options",
                              WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
    }
  return 0;
}

/* The n-th whitespace-separated field of line (a copy), or NULL. */
static char *
field_at (const char *line, size_t n)
{
  size_t i = 0;
  const char *p = line;

  for (;;)
    {
      size_t len;
      p += strspn (p, " \t");
      if (*p == '\0')
        return NULL;
      len = strcspn (p, " \t");
      if (i++ == n)
        {
          char *f = xmalloc0 (len + 1);
          memcpy (f, p, len);
          return f;
        }
      p += len;
    }
}

static bool
pid_listed (const pid_t *pids, size_t n, const char *field)
{
  int64_t v;
  size_t i;

  if (field == NULL || parse_int64 (field, &v) < 0)
    return false;
  for (i = 0; i < n; i++)
    if (pids[i] == v)
      return true;
  return false;
}

/* ps's header and the lines whose PID column is one of pids. */
static int
filter_ps (const char *text, const pid_t *pids, size_t n, char **out, nook_error_t *err)
{
  cleanup_free char *copy = xstrdup (text);
  char *line, *save = NULL;
  size_t col, len;
  FILE *f;

  line = strtok_r (copy, "\n", &save);
  for (col = 0;; col++)
    {
      cleanup_free char *field = line ? field_at (line, col) : NULL;
      if (field == NULL)
        return nook_make_error (err, 0, "ps: no PID column in its output (keep `pid` in -o)");
      if (strcmp (field, "PID") == 0)
        break;
    }
  f = open_memstream (out, &len);
  if (f == NULL)
    abort ();
  fprintf (f, "%s\n", line);
  while ((line = strtok_r (NULL, "\n", &save)) != NULL)
    {
      cleanup_free char *field = field_at (line, col);
      if (pid_listed (pids, n, field))
        fprintf (f, "%s\n", line);
    }
  fclose (f);
  return 0;
}

int
nook_container_ps (const char *root, const char *id, enum nook_ps_format format,
                   char *const *ps_args, char **out, nook_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  cleanup_free char *table = NULL;
  struct target t;
  size_t n = 0;
  int ret;

  *out = NULL;
  if (target_open (root, id, false, "list the processes of", any_but_creating,
                   N_ELEMENTS (any_but_creating), &t, err) < 0)
    return -1;
  ret = nook_cgroup_pids (t.cg, &pids, &n, err);
  target_release (&t);
  if (ret < 0)
    return -1;
  if (format == NOOK_PS_JSON)
    {
      *out = pids_json (pids, n);
      return 0;
    }
  if (run_ps (ps_args, &table, err) < 0)
    return -1;
  return filter_ps (table, pids, n, out, err);
}

/* ---------------------------------------------------------- events: JSON */

static void
gen_key (yajl_gen g, const char *key)
{
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
}

/* Go's encoding/json writes uint64 exactly; yajl's integer is signed. */
static void
gen_u64 (yajl_gen g, const char *key, uint64_t v, bool omitempty)
{
  char buf[32];
  if (omitempty && v == 0)
    return;
  gen_key (g, key);
  snprintf (buf, sizeof (buf), "%" PRIu64, v);
  yajl_gen_number (g, buf, strlen (buf));
}

static void
gen_str (yajl_gen g, const char *key, const char *v)
{
  gen_key (g, key);
  yajl_gen_string (g, (const unsigned char *) v, strlen (v));
}

static void
gen_u64_array (yajl_gen g, const char *key, const uint64_t *a, size_t n)
{
  size_t i;
  if (n == 0)
    return;
  gen_key (g, key);
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    {
      char buf[32];
      snprintf (buf, sizeof (buf), "%" PRIu64, a[i]);
      yajl_gen_number (g, buf, strlen (buf));
    }
  yajl_gen_array_close (g);
}

static void
gen_u16_array (yajl_gen g, const char *key, const uint16_t *a, size_t n)
{
  size_t i;
  if (n == 0)
    return;
  gen_key (g, key);
  yajl_gen_array_open (g);
  for (i = 0; i < n; i++)
    yajl_gen_integer (g, a[i]);
  yajl_gen_array_close (g);
}

static void
gen_cpu (yajl_gen g, const struct nook_cgroup_stats *s)
{
  gen_key (g, "cpu");
  yajl_gen_map_open (g);
  gen_key (g, "usage");
  yajl_gen_map_open (g);
  gen_u64 (g, "total", s->cpu.total, true);
  gen_u64_array (g, "percpu", s->cpu.percpu, s->cpu.n_percpu);
  gen_u64_array (g, "percpu_kernel", s->cpu.percpu_kernel, s->cpu.n_percpu_kernel);
  gen_u64_array (g, "percpu_user", s->cpu.percpu_user, s->cpu.n_percpu_user);
  gen_u64 (g, "kernel", s->cpu.kernel, false);
  gen_u64 (g, "user", s->cpu.user, false);
  yajl_gen_map_close (g);
  gen_key (g, "throttling");
  yajl_gen_map_open (g);
  gen_u64 (g, "periods", s->cpu.periods, true);
  gen_u64 (g, "throttledPeriods", s->cpu.throttled_periods, true);
  gen_u64 (g, "throttledTime", s->cpu.throttled_time, true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
gen_cpuset (yajl_gen g, const struct nook_cgroup_stats *s)
{
  gen_key (g, "cpuset");
  yajl_gen_map_open (g);
  gen_u16_array (g, "cpus", s->cpuset.cpus, s->cpuset.n_cpus);
  gen_u64 (g, "cpu_exclusive", s->cpuset.cpu_exclusive, false);
  gen_u16_array (g, "mems", s->cpuset.mems, s->cpuset.n_mems);
  gen_u64 (g, "mem_hardwall", s->cpuset.mem_hardwall, false);
  gen_u64 (g, "mem_exclusive", s->cpuset.mem_exclusive, false);
  gen_u64 (g, "memory_migrate", s->cpuset.memory_migrate, false);
  gen_u64 (g, "memory_spread_page", s->cpuset.memory_spread_page, false);
  gen_u64 (g, "memory_spread_slab", s->cpuset.memory_spread_slab, false);
  gen_u64 (g, "memory_pressure", s->cpuset.memory_pressure, false);
  gen_u64 (g, "sched_load_balance", s->cpuset.sched_load_balance, false);
  gen_key (g, "sched_relax_domain_level");
  yajl_gen_integer (g, s->cpuset.sched_relax_domain_level);
  yajl_gen_map_close (g);
}

static void
gen_memory_entry (yajl_gen g, const char *key, const struct nook_cgroup_memory_entry *e)
{
  gen_key (g, key);
  yajl_gen_map_open (g);
  gen_u64 (g, "limit", e->limit, false);
  gen_u64 (g, "usage", e->usage, true);
  gen_u64 (g, "max", e->max, true);
  gen_u64 (g, "failcnt", e->failcnt, false);
  yajl_gen_map_close (g);
}

static void
gen_memory (yajl_gen g, const struct nook_cgroup_stats *s)
{
  size_t i;

  gen_key (g, "memory");
  yajl_gen_map_open (g);
  gen_u64 (g, "cache", s->memory.cache, true);
  gen_memory_entry (g, "usage", &s->memory.usage);
  gen_memory_entry (g, "swap", &s->memory.swap);
  gen_memory_entry (g, "kernel", &s->memory.kernel);
  gen_memory_entry (g, "kernelTCP", &s->memory.kernel_tcp);
  if (s->memory.n_raw)
    {
      gen_key (g, "raw");
      yajl_gen_map_open (g);
      for (i = 0; i < s->memory.n_raw; i++)
        gen_u64 (g, s->memory.raw_keys[i], s->memory.raw_values[i], false);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

static void
gen_blkio (yajl_gen g, const struct nook_cgroup_stats *s)
{
  static const char *const names[NOOK_BLKIO_KINDS] = {
    [NOOK_BLKIO_SERVICE_BYTES] = "ioServiceBytesRecursive",
    [NOOK_BLKIO_SERVICED] = "ioServicedRecursive",
    [NOOK_BLKIO_QUEUED] = "ioQueueRecursive",
    [NOOK_BLKIO_SERVICE_TIME] = "ioServiceTimeRecursive",
    [NOOK_BLKIO_WAIT_TIME] = "ioWaitTimeRecursive",
    [NOOK_BLKIO_MERGED] = "ioMergedRecursive",
    [NOOK_BLKIO_TIME] = "ioTimeRecursive",
    [NOOK_BLKIO_SECTORS] = "sectorsRecursive",
  };
  size_t k, i;

  gen_key (g, "blkio");
  yajl_gen_map_open (g);
  for (k = 0; k < NOOK_BLKIO_KINDS; k++)
    {
      if (s->blkio.n[k] == 0)
        continue;
      gen_key (g, names[k]);
      yajl_gen_array_open (g);
      for (i = 0; i < s->blkio.n[k]; i++)
        {
          const struct nook_cgroup_blkio_entry *e = &s->blkio.e[k][i];
          yajl_gen_map_open (g);
          gen_u64 (g, "major", e->major, true);
          gen_u64 (g, "minor", e->minor, true);
          if (e->op && e->op[0])
            gen_str (g, "op", e->op);
          gen_u64 (g, "value", e->value, true);
          yajl_gen_map_close (g);
        }
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

static void
gen_stats_data (yajl_gen g, const struct nook_cgroup_stats *s)
{
  size_t i;

  yajl_gen_map_open (g);
  gen_cpu (g, s);
  gen_cpuset (g, s);
  gen_memory (g, s);
  gen_key (g, "pids");
  yajl_gen_map_open (g);
  gen_u64 (g, "current", s->pids.current, true);
  gen_u64 (g, "limit", s->pids.limit, true);
  yajl_gen_map_close (g);
  gen_blkio (g, s);
  gen_key (g, "hugetlb");
  yajl_gen_map_open (g);
  for (i = 0; i < s->n_hugetlb; i++)
    {
      gen_key (g, s->hugetlb[i].page_size);
      yajl_gen_map_open (g);
      gen_u64 (g, "usage", s->hugetlb[i].usage, true);
      gen_u64 (g, "max", s->hugetlb[i].max, true);
      gen_u64 (g, "failcnt", s->hugetlb[i].failcnt, false);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  /* No Intel RDT nor network stats (yet): runc writes these when it has none. */
  gen_key (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  gen_key (g, "network_interfaces");
  yajl_gen_null (g);
  yajl_gen_map_close (g);
}

/* {"type":TYPE,"id":ID[,"data":STATS]} */
static int
emit_event (const char *type, const char *id, const struct nook_cgroup_stats *stats,
            nook_event_fn emit, void *data)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  int ret;

  yajl_gen_map_open (g);
  gen_str (g, "type", type);
  gen_str (g, "id", id);
  if (stats)
    {
      gen_key (g, "data");
      gen_stats_data (g, stats);
    }
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  ret = emit ((const char *) buf, data);
  yajl_gen_free (g);
  return ret;
}

/* ---------------------------------------------------------- events: loop */

/* -1: no stats (err set); -2: the consumer is gone (err set). */
static int
emit_stats (struct target *t, nook_event_fn emit, void *data, nook_error_t *err)
{
  struct nook_cgroup_stats st;
  int r;

  if (nook_cgroup_stats (t->cg, &st, err) < 0)
    return -1;
  r = emit_event ("stats", t->l.st.id, &st, emit, data);
  nook_cgroup_stats_free (&st);
  if (r < 0)
    {
      nook_make_error (err, errno, "events: write");
      return -2;
    }
  return 0;
}

/* An fd that polls readable when the container's init exits; -1 (and no
 * error) when it has already. */
static int
init_pidfd (const struct nook_status *st, nook_error_t *err)
{
  uint64_t start;
  int fd = syscall (SYS_pidfd_open, st->pid, 0);

  if (fd < 0)
    return errno == ESRCH ? -1 : nook_make_error (err, errno, "pidfd_open %d", (int) st->pid);
  if (process_start_time (st->pid, &start, err) < 0)
    {
      close (fd);
      return -1;
    }
  if (start != st->pid_start_time)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Report what the OOM watch has; *gone when the cgroup went away. */
static int
drain_ooms (struct target *t, struct nook_cgroup_oom_watch *w, bool *gone, nook_event_fn emit,
            void *data, nook_error_t *err)
{
  uint64_t n;

  if (nook_cgroup_oom_read (w, &n, gone, err) < 0)
    return -1;
  for (; n > 0; n--)
    if (emit_event ("oom", t->l.st.id, NULL, emit, data) < 0)
      return nook_make_error (err, errno, "events: write");
  return 0;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A stats error (a cgroup file that vanished) does not end the stream;
 * runc logs it too. */
static void
tick (struct target *t, nook_event_fn emit, void *data, bool *stop, nook_error_t *err)
{
  nook_error_t e = NULL;
  int r = emit_stats (t, emit, data, &e);

  if (r == -2)
    {
      *err = e;
      *stop = true;
    }
  else if (r < 0)
    nook_log_error (&e);
}

static int
stream_events (struct target *t, uint64_t interval_ms, nook_event_fn emit, void *data,
               nook_error_t *err)
{
  struct nook_cgroup_oom_watch *w = NULL;
  cleanup_close int pidfd = -1;
  int64_t next = now_ms () + (int64_t) interval_ms;
  bool gone = false, stop = false;
  int ret = -1;

  if (nook_cgroup_oom_watch (t->cg, &w, err) < 0)
    return -1;
  /* Without an init (it exited since the state was read) there is
   * nothing to follow. */
  pidfd = init_pidfd (&t->l.st, err);
  if (pidfd < 0)
    {
      ret = *err ? -1 : 0;
      goto out;
    }
  while (!stop && !gone)
    {
      struct pollfd p[2] = { { nook_cgroup_oom_fd (w), POLLIN, 0 }, { pidfd, POLLIN, 0 } };
      int64_t wait = next - now_ms ();
      int r = poll (p, 2, wait < 0 ? 0 : (int) (wait > 60000 ? 60000 : wait));

      if (r < 0 && errno != EINTR)
        {
          nook_make_error (err, errno, "events: poll");
          goto out;
        }
      if (r > 0 && (p[0].revents & POLLIN) && drain_ooms (t, w, &gone, emit, data, err) < 0)
        goto out;
      /* The init is gone: the container stopped.  An OOM kill that ended
       * it may be news still. */
      if (r > 0 && p[1].revents)
        {
          if (drain_ooms (t, w, &gone, emit, data, err) < 0)
            goto out;
          break;
        }
      if (!gone && now_ms () >= next)
        {
          tick (t, emit, data, &stop, err);
          next += (int64_t) interval_ms;
          if (next < now_ms ())
            next = now_ms () + (int64_t) interval_ms;
        }
    }
  ret = stop ? -1 : 0;
out:
  nook_cgroup_oom_watch_free (w);
  return ret;
}

int
nook_container_events (const char *root, const char *id, bool stats_only, uint64_t interval_ms,
                       nook_event_fn emit, void *data, nook_error_t *err)
{
  struct target t;
  int ret;

  if (!stats_only && interval_ms == 0)
    return nook_make_error (err, 0, "events: the interval must be greater than 0");
  if (target_open (root, id, false, "get the events of", alive, N_ELEMENTS (alive), &t, err) < 0)
    return -1;
  /* Streaming may last long: other commands must not wait for us. */
  if (t.l.dirfd >= 0)
    {
      close (t.l.dirfd);
      t.l.dirfd = -1;
    }
  ret = stats_only ? (emit_stats (&t, emit, data, err) < 0 ? -1 : 0)
                   : stream_events (&t, interval_ms, emit, data, err);
  target_release (&t);
  return ret;
}

/* ---------------------------------------------------------- update */

/* Was the container created with memory.checkBeforeUpdate? */
static bool
config_checks_before_update (const struct nook_loaded *l)
{
  oci_container *cfg = NULL;
  nook_error_t ignored = NULL;
  bool check;

  if (nook_load_state_config (l, &cfg, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return false;
    }
  check = cfg && cfg->linux && cfg->linux->resources && cfg->linux->resources->memory
          && cfg->linux->resources->memory->check_before_update;
  oci_container_free (cfg);
  return check;
}

int
nook_container_update (const char *root, const char *id, const oci_resources *res,
                       nook_error_t *err)
{
  oci_resources r = *res;
  oci_memory m;
  struct target t;
  int ret;

  if (target_open (root, id, true, "update", alive, N_ELEMENTS (alive), &t, err) < 0)
    return -1;
  /* As runc, whose update starts from the cgroup settings of create: a new
   * memory limit keeps to the container's checkBeforeUpdate unless the
   * update says otherwise. */
  if (r.memory && r.memory->has_limit && !r.memory->has_check_before_update
      && config_checks_before_update (&t.l))
    {
      m = *r.memory;
      m.check_before_update = m.has_check_before_update = true;
      r.memory = &m;
    }
  ret = nook_cgroup_update (t.cg, &r, err);
  if (ret < 0)
    nook_error_wrap (err, "update container `%s`", id);
  target_release (&t);
  return ret;
}

/* The document is linux.resources of a config: parse it as one, so that
 * errors name the field the way config errors do. */
int
nook_resources_read (const char *path, oci_resources **out, nook_error_t *err)
{
  static const char head[] = "{\"ociVersion\":\"\",\"linux\":{\"resources\":";
  cleanup_free char *data = NULL, *doc = NULL, *msg = NULL;
  oci_container *c = NULL;
  size_t len;

  *out = NULL;
  if (strcmp (path, "-") == 0 ? read_all_fd (STDIN_FILENO, "stdin", &data, &len, err)
                              : read_all_file (path, &data, &len, err))
    return nook_error_wrap (err, "update --resources");
  if (memchr (data, '\0', len))
    return nook_make_error (err, 0, "update --resources `%s`: not a JSON document", path);
  /* The file's lines keep their numbers in syntax errors. */
  xasprintf (&doc, "%s%s\n}}", head, data);
  if (oci_container_parse_data (doc, strlen (doc), &c, &msg) < 0)
    return nook_make_error (err, 0, "update --resources `%s`: %s", path, msg);
  if (c->linux && c->linux->resources)
    *out = steal_pointer (&c->linux->resources);
  else
    *out = xmalloc0 (sizeof (oci_resources));
  oci_container_free (c);
  return 0;
}

void
nook_resources_free (oci_resources *res)
{
  oci_container *c;

  if (res == NULL)
    return;
  /* libocispec frees a document, not a part: hand it one. */
  c = xmalloc0 (sizeof (*c));
  c->linux = xmalloc0 (sizeof (*c->linux));
  c->linux->resources = res;
  oci_container_free (c);
}
