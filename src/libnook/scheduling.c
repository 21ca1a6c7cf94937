/* nook - process scheduling knobs and personality: process.ioPriority,
 * process.scheduler, process.execCPUAffinity, linux.personality.
 *
 * Every value is turned into its kernel form by one resolve_* function,
 * used by validation in the parent (so a typo fails `create` before
 * anything exists) and again by the child that applies it (exec may come
 * with its own process.json). */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include "scheduling.h"
#include "utils.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

#ifndef IOPRIO_NR_LEVELS
# define IOPRIO_NR_LEVELS 8
#endif

/* Linux reserves policy 4 for SCHED_ISO but never implemented it. */
#define NOOK_SCHED_ISO 4

/* Deadline parameters are kept in units of 2^DL_SCALE ns by the kernel. */
#define DL_MIN_RUNTIME_NS 1024
#define SCHED_CAPACITY_SCALE 1024

/* CPU numbers above any kernel's NR_CPUS: the limit keeps a typo like
 * "0-4000000000" from allocating half a gigabyte of mask. */
#define CPU_NUMBER_LIMIT 65536

struct named_value
{
  const char *name;
  unsigned long value;
};

static const struct named_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
  { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
  { "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};

static const struct named_value sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER },
  { "SCHED_FIFO", SCHED_FIFO },
  { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH },
  { "SCHED_ISO", NOOK_SCHED_ISO },
  { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct named_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK },
  { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
  { "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },
  { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
  { "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};

/* runtime-spec 1.2 defines no personality flags: any flag is unknown. */
static const struct named_value personality_domains[] = {
  { "LINUX", PER_LINUX },
  { "LINUX32", PER_LINUX32 },
};

/* struct sched_attr of <linux/sched/types.h>, which cannot be included
 * next to glibc's <sched.h>: both define struct sched_param. */
struct nook_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};
#define NOOK_SCHED_ATTR_SIZE_VER0 48

struct cpu_mask
{
  cpu_set_t *set;
  size_t size; /* bytes, for the CPU_*_S macros */
};

static void
cpu_mask_free (struct cpu_mask *m)
{
  if (m->set)
    CPU_FREE (m->set);
  m->set = NULL;
}
#define cleanup_cpu_mask __attribute__ ((cleanup (cpu_mask_free)))

static bool
is_empty (const char *s)
{
  return s == NULL || s[0] == '\0';
}

/* ---- names ---- */

static const struct named_value *
name_lookup (const struct named_value *table, size_t n, const char *name)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

/* "FIELD: unknown WHAT `NAME` (one of A, B, C)" */
static int
unknown_name_error (const char *field, const char *what, const char *name,
                    const struct named_value *table, size_t n, nook_error_t *err)
{
  cleanup_free char *list = NULL;
  size_t i;

  for (i = 0; i < n; i++)
    {
      char *longer = NULL;
      xasprintf (&longer, "%s%s%s", list ? list : "", list ? ", " : "", table[i].name);
      free (list);
      list = longer;
    }
  return nook_make_error (err, 0, "%s: unknown %s `%s` (one of %s)", field, what, name, list);
}

/* ---- resolve: config values into kernel values (no host state read) ---- */

static int
resolve_io_priority (const oci_io_priority *io, int *ioprio, nook_error_t *err)
{
  const struct named_value *class = name_lookup (ioprio_classes, N_ELEMENTS (ioprio_classes),
                                                 io->class);

  if (class == NULL)
    return unknown_name_error ("process.ioPriority.class", "class", io->class, ioprio_classes,
                               N_ELEMENTS (ioprio_classes), err);
  if (io->priority < 0 || io->priority >= IOPRIO_NR_LEVELS)
    return nook_make_error (err, 0, "process.ioPriority.priority: %d is out of range 0..%d",
                            (int) io->priority, IOPRIO_NR_LEVELS - 1);
  *ioprio = IOPRIO_PRIO_VALUE (class->value, io->priority);
  return 0;
}

static int
resolve_sched_flags (const oci_scheduler *s, uint64_t *flags, nook_error_t *err)
{
  size_t i;

  *flags = 0;
  for (i = 0; i < s->flags_len; i++)
    {
      const struct named_value *f = name_lookup (sched_flags, N_ELEMENTS (sched_flags),
                                                 s->flags[i]);
      char field[64];

      if (f == NULL)
        {
          snprintf (field, sizeof (field), "process.scheduler.flags[%zu]", i);
          return unknown_name_error (field, "flag", s->flags[i], sched_flags,
                                     N_ELEMENTS (sched_flags), err);
        }
      *flags |= f->value;
    }
  return 0;
}

/* The kernel's own rules for a deadline task (__checkparam_dl), except
 * the sysctl bounds on the period: validate_deadline_period reads those. */
static int
check_deadline_params (const oci_scheduler *s, nook_error_t *err)
{
  uint64_t period = s->period ? s->period : s->deadline;

  if (s->deadline == 0)
    return nook_make_error (err, 0, "process.scheduler.deadline: SCHED_DEADLINE needs a "
                                    "non-zero deadline");
  if (s->runtime < DL_MIN_RUNTIME_NS)
    return nook_make_error (err, 0, "process.scheduler.runtime: %" PRIu64 " ns is below the "
                                    "kernel's minimum of %d ns for SCHED_DEADLINE",
                            s->runtime, DL_MIN_RUNTIME_NS);
  if ((s->deadline | s->period) & (UINT64_C (1) << 63))
    return nook_make_error (err, 0, "process.scheduler: deadline %" PRIu64 " and period %" PRIu64
                                    " must be below 2^63 ns",
                            s->deadline, s->period);
  if (s->runtime > s->deadline)
    return nook_make_error (err, 0, "process.scheduler: runtime %" PRIu64 " must not exceed "
                                    "deadline %" PRIu64,
                            s->runtime, s->deadline);
  if (period < s->deadline)
    return nook_make_error (err, 0, "process.scheduler: deadline %" PRIu64 " must not exceed "
                                    "period %" PRIu64,
                            s->deadline, s->period);
  return 0;
}

static int
check_policy_params (const oci_scheduler *s, int policy, nook_error_t *err)
{
  int min = sched_get_priority_min (policy);
  int max = sched_get_priority_max (policy);

  if (min < 0 || max < 0)
    return nook_make_error (err, 0, "process.scheduler.policy: %s is not supported by this kernel",
                            s->policy);
  if (s->priority < min || s->priority > max)
    return nook_make_error (err, 0, "process.scheduler.priority: %d is out of range %d..%d for %s",
                            (int) s->priority, min, max, s->policy);
  if (policy == SCHED_DEADLINE)
    return check_deadline_params (s, err);
  if (s->runtime || s->deadline || s->period)
    return nook_make_error (err, 0, "process.scheduler: runtime, deadline and period are for "
                                    "SCHED_DEADLINE, not %s",
                            s->policy);
  return 0;
}

static int
resolve_scheduler (const oci_scheduler *s, struct nook_sched_attr *attr, nook_error_t *err)
{
  const struct named_value *policy = name_lookup (sched_policies, N_ELEMENTS (sched_policies),
                                                  s->policy);
  uint64_t flags;

  if (policy == NULL)
    return unknown_name_error ("process.scheduler.policy", "policy", s->policy, sched_policies,
                               N_ELEMENTS (sched_policies), err);
  if (resolve_sched_flags (s, &flags, err) < 0)
    return -1;
  if (s->nice < -20 || s->nice > 19)
    return nook_make_error (err, 0, "process.scheduler.nice: %d is out of range -20..19",
                            (int) s->nice);
  if (check_policy_params (s, policy->value, err) < 0)
    return -1;

  *attr = (struct nook_sched_attr){
    .size = sizeof (*attr),
    .sched_policy = policy->value,
    .sched_flags = flags,
    .sched_nice = s->nice,
    .sched_priority = s->priority,
    .sched_runtime = s->runtime,
    .sched_deadline = s->deadline,
    .sched_period = s->period,
    /* The spec has the clamp flags but no clamp values: a flag alone asks
     * for the neutral clamp, not util_max 0 (the slowest CPU capacity). */
    .sched_util_min = 0,
    .sched_util_max = SCHED_CAPACITY_SCALE,
  };
  /* Kernels before 5.3 refuse a larger struct with non-zero tail bytes. */
  if (!(flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX)))
    attr->size = NOOK_SCHED_ATTR_SIZE_VER0;
  return 0;
}

static int
resolve_personality (const oci_personality *p, unsigned long *persona, nook_error_t *err)
{
  const struct named_value *domain = name_lookup (personality_domains,
                                                  N_ELEMENTS (personality_domains), p->domain);

  if (domain == NULL)
    return unknown_name_error ("linux.personality.domain", "domain", p->domain,
                               personality_domains, N_ELEMENTS (personality_domains), err);
  if (p->flags_len > 0)
    return nook_make_error (err, 0, "linux.personality.flags[0]: unknown flag `%s` "
                                    "(runtime-spec 1.2 defines no personality flags)",
                            p->flags[0]);
  *persona = domain->value;
  return 0;
}

/* ---- CPU lists ---- */

/* One "N" or "N-M" of a CPU list; *p moves past it and its comma. */
static int
next_cpu_range (const char **p, unsigned long *lo, unsigned long *hi)
{
  char *end;

  if (!isdigit ((unsigned char) **p))
    return -1;
  errno = 0;
  *lo = *hi = strtoul (*p, &end, 10);
  if (*end == '-')
    {
      if (!isdigit ((unsigned char) end[1]))
        return -1;
      *hi = strtoul (end + 1, &end, 10);
    }
  if (errno != 0 || *hi < *lo)
    return -1;
  if (*end == ',' && end[1] != '\0')
    end++;
  else if (*end != '\0')
    return -1;
  *p = end;
  return 0;
}

/* A CPU list as the kernel prints it ("0-3,7") into a new mask. */
static int
parse_cpu_list (const char *field, const char *list, struct cpu_mask *mask, nook_error_t *err)
{
  unsigned long lo, hi, cpu, max = 0;
  const char *p = list;

  while (*p)
    {
      if (next_cpu_range (&p, &lo, &hi) < 0)
        return nook_make_error (err, 0, "%s: `%s` is not a CPU list (like `0-3,7`)", field, list);
      if (hi >= CPU_NUMBER_LIMIT)
        return nook_make_error (err, 0, "%s: CPU %lu does not exist", field, hi);
      if (hi > max)
        max = hi;
    }
  mask->set = CPU_ALLOC (max + 1);
  if (mask->set == NULL)
    return nook_make_error (err, ENOMEM, "%s: CPU mask for `%s`", field, list);
  mask->size = CPU_ALLOC_SIZE (max + 1);
  CPU_ZERO_S (mask->size, mask->set);
  for (p = list; *p;)
    {
      next_cpu_range (&p, &lo, &hi);
      for (cpu = lo; cpu <= hi; cpu++)
        CPU_SET_S (cpu, mask->size, mask->set);
    }
  return 0;
}

/* The first CPU in a that b lacks, or -1. */
static long
first_cpu_missing (const struct cpu_mask *a, const struct cpu_mask *b)
{
  size_t cpu;

  for (cpu = 0; cpu < a->size * 8; cpu++)
    if (CPU_ISSET_S (cpu, a->size, a->set) && !CPU_ISSET_S (cpu, b->size, b->set))
      return (long) cpu;
  return -1;
}

static int
online_cpus (struct cpu_mask *online, nook_error_t *err)
{
  static const char path[] = "/sys/devices/system/cpu/online";
  cleanup_free char *text = NULL;
  nook_error_t unreadable = NULL;
  size_t len;

  if (read_all_file (path, &text, &len, &unreadable) == 0)
    {
      while (len > 0 && isspace ((unsigned char) text[len - 1]))
        text[--len] = '\0';
      return parse_cpu_list (path, text, online, err);
    }
  nook_error_release (&unreadable);
  /* No sysfs (nook itself in a container): the CPUs nook may run on. */
  online->set = CPU_ALLOC (CPU_SETSIZE);
  if (online->set == NULL)
    return nook_make_error (err, ENOMEM, "CPU mask");
  online->size = CPU_ALLOC_SIZE (CPU_SETSIZE);
  if (sched_getaffinity (0, online->size, online->set) < 0)
    return nook_make_error (err, errno, "read the CPUs nook may run on");
  return 0;
}

static int
check_cpu_list (const char *field, const char *list, const struct cpu_mask *online,
                struct cpu_mask *mask, nook_error_t *err)
{
  long missing;

  if (parse_cpu_list (field, list, mask, err) < 0)
    return -1;
  missing = first_cpu_missing (mask, online);
  if (missing >= 0)
    return nook_make_error (err, 0, "%s: CPU %ld of `%s` does not exist or is offline", field,
                            missing, list);
  return 0;
}

/* The container's cpuset would silently narrow a final affinity that
 * reaches outside it: refuse the contradiction instead. */
static int
check_final_in_cpuset (const char *final, const struct cpu_mask *mask, const oci_linux *linux,
                       nook_error_t *err)
{
  const char *cpus = NULL;
  cleanup_cpu_mask struct cpu_mask cpuset = { 0 };
  nook_error_t bad_cpus = NULL;
  long missing;

  if (linux && linux->resources && linux->resources->cpu)
    cpus = linux->resources->cpu->cpus;
  if (is_empty (cpus))
    return 0;
  /* A malformed cpus is the cgroup code's error to report, by its field. */
  if (parse_cpu_list ("linux.resources.cpu.cpus", cpus, &cpuset, &bad_cpus) < 0)
    {
      nook_error_release (&bad_cpus);
      return 0;
    }
  missing = first_cpu_missing (mask, &cpuset);
  if (missing >= 0)
    return nook_make_error (err, 0, "process.execCPUAffinity.final: CPU %ld of `%s` is outside "
                                    "the container's cpuset (linux.resources.cpu.cpus `%s`)",
                            missing, final, cpus);
  return 0;
}

/* The kernel refuses SCHED_DEADLINE (EPERM) to a task whose affinity does
 * not span every CPU of its root domain, and such an affinity to a
 * deadline task (EBUSY). */
static int
check_final_for_deadline (const oci_process *proc, const struct cpu_mask *final,
                          const struct cpu_mask *online, nook_error_t *err)
{
  if (proc->scheduler == NULL || strcmp (proc->scheduler->policy, "SCHED_DEADLINE") != 0)
    return 0;
  if (first_cpu_missing (online, final) < 0)
    return 0;
  return nook_make_error (err, 0, "process.execCPUAffinity.final: `%s` leaves out online CPUs, "
                                  "which SCHED_DEADLINE (process.scheduler.policy) does not allow",
                          proc->exec_cpu_affinity->final);
}

static int
validate_affinity (const oci_process *proc, const oci_linux *linux, nook_error_t *err)
{
  const oci_exec_cpu_affinity *a = proc->exec_cpu_affinity;
  cleanup_cpu_mask struct cpu_mask online = { 0 };
  cleanup_cpu_mask struct cpu_mask initial = { 0 };
  cleanup_cpu_mask struct cpu_mask final = { 0 };

  if (a == NULL || (is_empty (a->initial) && is_empty (a->final)))
    return 0;
  if (online_cpus (&online, err) < 0)
    return -1;
  if (!is_empty (a->initial)
      && check_cpu_list ("process.execCPUAffinity.initial", a->initial, &online, &initial, err) < 0)
    return -1;
  if (is_empty (a->final))
    return 0;
  if (check_cpu_list ("process.execCPUAffinity.final", a->final, &online, &final, err) < 0)
    return -1;
  if (check_final_in_cpuset (a->final, &final, linux, err) < 0)
    return -1;
  return check_final_for_deadline (proc, &final, &online, err);
}

/* ---- validation: resolve, plus what only the host can tell ---- */

static int
read_sysctl_u64 (const char *path, uint64_t *out)
{
  cleanup_free char *text = NULL;
  nook_error_t ignored = NULL;
  size_t len;

  if (read_all_file (path, &text, &len, &ignored) < 0)
    {
      nook_error_release (&ignored);
      return -1;
    }
  while (len > 0 && isspace ((unsigned char) text[len - 1]))
    text[--len] = '\0';
  return parse_uint64 (text, out);
}

static int
validate_deadline_period (const oci_scheduler *s, nook_error_t *err)
{
  uint64_t period = s->period ? s->period : s->deadline;
  uint64_t min_us, max_us;

  /* Unreadable bounds (no /proc/sys): the kernel still checks them. */
  if (read_sysctl_u64 ("/proc/sys/kernel/sched_deadline_period_min_us", &min_us) < 0
      || read_sysctl_u64 ("/proc/sys/kernel/sched_deadline_period_max_us", &max_us) < 0)
    return 0;
  if (period < min_us * 1000 || period > max_us * 1000)
    return nook_make_error (err, 0, "process.scheduler: period %" PRIu64 " ns is outside the "
                                    "kernel's range %" PRIu64 "..%" PRIu64 " ns "
                                    "(kernel.sched_deadline_period_min_us/max_us)",
                            period, min_us * 1000, max_us * 1000);
  return 0;
}

static int
validate_scheduler (const oci_scheduler *s, nook_error_t *err)
{
  struct nook_sched_attr attr;

  if (resolve_scheduler (s, &attr, err) < 0)
    return -1;
  /* The sysctls exist exactly when the kernel has CONFIG_UCLAMP_TASK;
   * without it sched_setattr would fail with a bare EOPNOTSUPP. */
  if ((attr.sched_flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX))
      && access ("/proc/sys/kernel/sched_util_clamp_min", F_OK) < 0)
    return nook_make_error (err, 0, "process.scheduler.flags: SCHED_FLAG_UTIL_CLAMP_MIN/MAX: "
                                    "this kernel has no utilization clamping "
                                    "(CONFIG_UCLAMP_TASK)");
  if (attr.sched_policy == SCHED_DEADLINE)
    return validate_deadline_period (s, err);
  return 0;
}

int
nook_scheduling_validate_process (const oci_process *proc, const oci_linux *linux,
                                  nook_error_t *err)
{
  int ioprio;

  if (proc == NULL)
    return 0;
  if (proc->io_priority && resolve_io_priority (proc->io_priority, &ioprio, err) < 0)
    return -1;
  if (proc->scheduler && validate_scheduler (proc->scheduler, err) < 0)
    return -1;
  return validate_affinity (proc, linux, err);
}

int
nook_scheduling_validate (const oci_container *cfg, nook_error_t *err)
{
  const oci_linux *linux = cfg->linux;
  unsigned long persona;

  if (nook_scheduling_validate_process (cfg->process, linux, err) < 0)
    return -1;
  if (linux && linux->personality && resolve_personality (linux->personality, &persona, err) < 0)
    return -1;
  return 0;
}

/* ---- apply ---- */

static int
apply_io_priority (const oci_io_priority *io, nook_error_t *err)
{
  int ioprio;

  if (io == NULL)
    return 0;
  if (resolve_io_priority (io, &ioprio, err) < 0)
    return -1;
  if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, ioprio) < 0)
    return nook_make_error (err, errno, "process.ioPriority: ioprio_set %s priority %d%s",
                            io->class, (int) io->priority,
                            errno == EPERM ? " (IOPRIO_CLASS_RT needs CAP_SYS_NICE)" : "");
  return 0;
}

static int
apply_personality (const oci_personality *p, nook_error_t *err)
{
  unsigned long persona;

  if (p == NULL)
    return 0;
  if (resolve_personality (p, &persona, err) < 0)
    return -1;
  if (personality (persona) < 0)
    return nook_make_error (err, errno, "linux.personality: personality %s", p->domain);
  return 0;
}

/* What was asked, for the error: "SCHED_FIFO priority 50". */
static char *
describe_scheduler (const oci_scheduler *s, const struct nook_sched_attr *attr)
{
  char *what = NULL;
  size_t i;

  if (attr->sched_policy == SCHED_FIFO || attr->sched_policy == SCHED_RR)
    xasprintf (&what, "%s priority %d", s->policy, (int) s->priority);
  else if (attr->sched_policy == SCHED_DEADLINE)
    xasprintf (&what, "%s runtime %" PRIu64 " deadline %" PRIu64 " period %" PRIu64, s->policy,
               s->runtime, s->deadline, s->period);
  else
    xasprintf (&what, "%s nice %d", s->policy, (int) s->nice);
  for (i = 0; i < s->flags_len; i++)
    {
      char *longer = NULL;
      xasprintf (&longer, "%s%s%s", what, i ? "|" : " flags ", s->flags[i]);
      free (what);
      what = longer;
    }
  return what;
}

static const char *
scheduler_eperm_hint (const struct nook_sched_attr *attr)
{
  switch (attr->sched_policy)
    {
    case SCHED_FIFO:
    case SCHED_RR:
      return " (needs CAP_SYS_NICE or RLIMIT_RTPRIO, and realtime runtime in the cpu cgroup: "
             "linux.resources.cpu.realtimeRuntime)";
    case SCHED_DEADLINE:
      return " (needs CAP_SYS_NICE and an affinity spanning every CPU)";
    default:
      return " (a nice below the current one needs CAP_SYS_NICE or RLIMIT_NICE)";
    }
}

static int
apply_scheduler (const oci_scheduler *s, nook_error_t *err)
{
  struct nook_sched_attr attr;
  cleanup_free char *what = NULL;
  int saved;

  if (s == NULL)
    return 0;
  if (resolve_scheduler (s, &attr, err) < 0)
    return -1;
  if (syscall (SYS_sched_setattr, 0, &attr, 0) == 0)
    return 0;
  saved = errno;
  what = describe_scheduler (s, &attr);
  return nook_make_error (err, saved, "process.scheduler: sched_setattr %s%s", what,
                          saved == EPERM ? scheduler_eperm_hint (&attr) : "");
}

static int
set_affinity (const char *field, const char *list, pid_t pid, nook_error_t *err)
{
  cleanup_cpu_mask struct cpu_mask mask = { 0 };

  if (is_empty (list))
    return 0;
  if (parse_cpu_list (field, list, &mask, err) < 0)
    return -1;
  if (sched_setaffinity (pid, mask.size, mask.set) < 0)
    return nook_make_error (err, errno, "%s: sched_setaffinity `%s`", field, list);
  return 0;
}

int
nook_scheduling_apply_initial (const oci_process *proc, pid_t pid, nook_error_t *err)
{
  if (proc == NULL || proc->exec_cpu_affinity == NULL)
    return 0;
  return set_affinity ("process.execCPUAffinity.initial", proc->exec_cpu_affinity->initial, pid,
                       err);
}

int
nook_scheduling_apply (const oci_container *cfg, const oci_process *proc, nook_error_t *err)
{
  const oci_linux *linux = cfg ? cfg->linux : NULL;

  if (linux && apply_personality (linux->personality, err) < 0)
    return -1;
  if (proc == NULL)
    return 0;
  if (apply_io_priority (proc->io_priority, err) < 0)
    return -1;
  return apply_scheduler (proc->scheduler, err);
}

int
nook_scheduling_apply_final (const oci_process *proc, nook_error_t *err)
{
  if (proc == NULL || proc->exec_cpu_affinity == NULL)
    return 0;
  return set_affinity ("process.execCPUAffinity.final", proc->exec_cpu_affinity->final, 0, err);
}
