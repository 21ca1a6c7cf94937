/* nook update */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "nook.h"
#include "container.h"
#include "utils.h"

enum
{
  OPT_MEMORY = 1000,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_MEMORY_TCP,
  OPT_CPU_SHARES,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPU_BURST,
  OPT_CPU_IDLE,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
};

static const struct option options[] = {
  { "resources", required_argument, NULL, 'r' },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
  { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
  { "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
  { "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP },
  { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
  { "cpu-share", required_argument, NULL, OPT_CPU_SHARES }, /* runc's spelling */
  { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
  { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
  { "cpu-burst", required_argument, NULL, OPT_CPU_BURST },
  { "cpu-idle", required_argument, NULL, OPT_CPU_IDLE },
  { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
  { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
  { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
  { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
  { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
usage (void)
{
  printf ("Usage: nook update [OPTIONS] CONTAINER-ID\n\n"
          "Change the cgroup limits of a created, running or paused container.  What no\n"
          "option names stays as it is.\n\n"
          "Options:\n"
          "  -r, --resources FILE          the new limits as JSON in linux.resources' format\n"
          "                                (- for stdin); no other option goes with it\n"
          "      --memory BYTES            memory limit (64m, 1g, ...; -1: none)\n"
          "      --memory-reservation BYTES  soft limit\n"
          "      --memory-swap BYTES       memory+swap limit (-1: unlimited swap)\n"
          "      --kernel-memory BYTES     accepted and ignored, as Linux >= 6 does\n"
          "      --kernel-memory-tcp BYTES kernel TCP buffer limit (cgroup v1)\n"
          "      --cpu-shares N            relative CPU weight (also --cpu-share)\n"
          "      --cpu-quota USEC          CPU time per period (-1: none)\n"
          "      --cpu-period USEC         CFS period\n"
          "      --cpu-burst USEC          CFS burst\n"
          "      --cpu-idle 0|1            SCHED_IDLE for the cgroup\n"
          "      --cpu-rt-period USEC      realtime period (cgroup v1)\n"
          "      --cpu-rt-runtime USEC     realtime runtime (cgroup v1)\n"
          "      --cpuset-cpus LIST        CPUs to run on (0-3,5)\n"
          "      --cpuset-mems LIST        memory nodes to use\n"
          "      --pids-limit N            most tasks at once (0 or less: no limit)\n"
          "      --blkio-weight N          block I/O weight, up to 1000\n"
          "  -h, --help                    print this help\n");
}

/* docker/go-units' RAMInBytes, as runc reads sizes: a number, maybe with
 * a fraction, then k/m/g/t/p (powers of 1024) and an optional b or ib. */
static int
parse_bytes (const char *s, int64_t *out)
{
  static const char units[] = "kmgtp";
  long double v, mult = 1;
  const char *u;
  char *end;

  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  if (!isdigit ((unsigned char) s[0]))
    return -1;
  errno = 0;
  v = strtold (s, &end);
  if (errno || end == s)
    return -1;
  while (*end == ' ')
    end++;
  if (*end && (u = strchr (units, tolower ((unsigned char) *end))) != NULL)
    {
      int i;
      for (i = 0; i <= u - units; i++)
        mult *= 1024;
      end++;
    }
  if (strcasecmp (end, "ib") == 0 || strcasecmp (end, "b") == 0)
    end += strlen (end);
  if (*end != '\0' || v * mult >= (long double) INT64_MAX)
    return -1;
  *out = (int64_t) (v * mult);
  return 0;
}

struct update
{
  oci_resources *res;
  int n_flags;
};

static oci_memory *
memory_of (struct update *u)
{
  if (u->res->memory == NULL)
    u->res->memory = xmalloc0 (sizeof (oci_memory));
  return u->res->memory;
}

static oci_cpu *
cpu_of (struct update *u)
{
  if (u->res->cpu == NULL)
    u->res->cpu = xmalloc0 (sizeof (oci_cpu));
  return u->res->cpu;
}

static int
bad_value (const char *opt, const char *value, const char *what)
{
  return nook_usage_error ("update", "--%s: `%s` is not %s", opt, value, what);
}

static int
set_pids (struct update *u, const char *v)
{
  int64_t n;
  if (parse_int64 (v, &n) < 0)
    return bad_value ("pids-limit", v, "an integer");
  if (u->res->pids == NULL)
    u->res->pids = xmalloc0 (sizeof (oci_pids));
  u->res->pids->limit = n;
  return 0;
}

static int
set_blkio_weight (struct update *u, const char *v)
{
  uint64_t w;
  if (parse_uint64 (v, &w) < 0 || w > 1000)
    return bad_value ("blkio-weight", v, "a weight (up to 1000)");
  /* 0 means "not set", as in runc. */
  if (w == 0)
    return 0;
  if (u->res->block_io == NULL)
    u->res->block_io = xmalloc0 (sizeof (oci_block_io));
  u->res->block_io->weight = (uint16_t) w;
  u->res->block_io->has_weight = true;
  return 0;
}

static int
set_string (char **field, const char *v)
{
  free (*field);
  *field = xstrdup (v);
  return 0;
}

/* The numeric options: where each goes in linux.resources. */
enum number_kind
{
  NUMBER_BYTES, /* a size, with units */
  NUMBER_U64,
  NUMBER_I64,
};

#define MEM(opt, name, kind, f) \
  { opt, name, kind, false, offsetof (oci_memory, f), offsetof (oci_memory, has_##f) }
#define CPU(opt, name, kind, f) \
  { opt, name, kind, true, offsetof (oci_cpu, f), offsetof (oci_cpu, has_##f) }
static const struct number_option
{
  int id;
  const char *name;
  enum number_kind kind;
  bool cpu; /* in oci_cpu, else in oci_memory */
  size_t field, has;
} number_options[] = {
  MEM (OPT_MEMORY, "memory", NUMBER_BYTES, limit),
  MEM (OPT_MEMORY_RESERVATION, "memory-reservation", NUMBER_BYTES, reservation),
  MEM (OPT_MEMORY_SWAP, "memory-swap", NUMBER_BYTES, swap),
  MEM (OPT_KERNEL_MEMORY, "kernel-memory", NUMBER_BYTES, kernel),
  MEM (OPT_KERNEL_MEMORY_TCP, "kernel-memory-tcp", NUMBER_BYTES, kernel_tcp),
  CPU (OPT_CPU_SHARES, "cpu-shares", NUMBER_U64, shares),
  CPU (OPT_CPU_QUOTA, "cpu-quota", NUMBER_I64, quota),
  CPU (OPT_CPU_PERIOD, "cpu-period", NUMBER_U64, period),
  CPU (OPT_CPU_BURST, "cpu-burst", NUMBER_U64, burst),
  CPU (OPT_CPU_IDLE, "cpu-idle", NUMBER_I64, idle),
  CPU (OPT_CPU_RT_PERIOD, "cpu-rt-period", NUMBER_U64, realtime_period),
  CPU (OPT_CPU_RT_RUNTIME, "cpu-rt-runtime", NUMBER_I64, realtime_runtime),
};
#undef MEM
#undef CPU

static const char *const number_expected[] = {
  [NUMBER_BYTES] = "a size in bytes (like 1048576, 512k, 64m, 1g, or -1)",
  [NUMBER_U64] = "a non-negative integer",
  [NUMBER_I64] = "an integer",
};

static int
set_number (struct update *u, const struct number_option *o, const char *v)
{
  char *base = o->cpu ? (char *) cpu_of (u) : (char *) memory_of (u);
  void *field = base + o->field;
  int r;

  switch (o->kind)
    {
    case NUMBER_BYTES: r = parse_bytes (v, field); break;
    case NUMBER_U64: r = parse_uint64 (v, field); break;
    default: r = parse_int64 (v, field); break;
    }
  if (r < 0)
    return bad_value (o->name, v, number_expected[o->kind]);
  *(bool *) (base + o->has) = true;
  return 0;
}

/* One resource option into u->res; nonzero: a usage error was reported. */
static int
apply_option (struct update *u, int c, const char *v)
{
  size_t i;

  for (i = 0; i < sizeof (number_options) / sizeof (number_options[0]); i++)
    if (number_options[i].id == c)
      return set_number (u, &number_options[i], v);
  switch (c)
    {
    case OPT_CPUSET_CPUS: return set_string (&cpu_of (u)->cpus, v);
    case OPT_CPUSET_MEMS: return set_string (&cpu_of (u)->mems, v);
    case OPT_PIDS_LIMIT: return set_pids (u, v);
    case OPT_BLKIO_WEIGHT: return set_blkio_weight (u, v);
    }
  return 1;
}

static int
run_update (struct nook_global_opts *g, const char *id, const char *file, oci_resources *res)
{
  nook_error_t err = NULL;
  int ret = 0;

  if (file)
    {
      nook_resources_free (res);
      res = NULL;
      if (nook_resources_read (file, &res, &err) < 0)
        return nook_fail (&err);
    }
  if (nook_container_update (g->root, id, res, &err) < 0)
    ret = nook_fail (&err);
  nook_resources_free (res);
  return ret;
}

int
nook_cmd_update (struct nook_global_opts *g, int argc, char **argv)
{
  struct update u = { .res = xmalloc0 (sizeof (oci_resources)) };
  const char *file = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "+:r:h", options, NULL)) != -1)
    {
      int r = 0;
      switch (c)
        {
        case 'r': file = optarg; break;
        case 'h': usage (); nook_resources_free (u.res); return 0;
        case ':':
        case '?': r = nook_option_error ("update", c, argv); break;
        default:
          r = apply_option (&u, c, optarg);
          u.n_flags++;
        }
      if (r != 0)
        {
          nook_resources_free (u.res);
          return r;
        }
    }
  if (file && u.n_flags)
    {
      nook_resources_free (u.res);
      return nook_usage_error ("update", "--resources takes every limit from the file: no "
                               "other resource option goes with it");
    }
  if (nook_check_positional ("update", argc, argv, 1, "container id") != 0)
    {
      nook_resources_free (u.res);
      return 1;
    }
  return run_update (g, argv[optind], file, u.res);
}
