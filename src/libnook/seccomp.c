/* nook - seccomp filters from linux.seccomp, through libseccomp.
 *
 * The parent checks the whole section against the tables below before it
 * clones (errors name the JSON path) and compiles it (or takes the
 * compiled program from the cache); the container init only loads it.  With SCMP_ACT_NOTIFY the init hands
 * the listener fd to the parent, which sends it to listenerPath with the
 * container state (runtime-spec "The Container Process State"). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "seccomp.h"
#include "utils.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* The kernel keeps 16 bits of data with SECCOMP_RET_ERRNO / _TRACE. */
#define ERRNO_RET_MAX 0xffffU
#define SYSCALL_ARGS_MAX 6

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
# define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* libseccomp 2.6 added the attribute behind WAIT_KILLABLE_RECV.  It is an
 * enum member, so the version decides; 0 (_SCMP_FLTATR_MIN) means "this
 * libseccomp cannot set the flag". */
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
# define ATTR_WAITKILL SCMP_FLTATR_CTL_WAITKILL
#else
# define ATTR_WAITKILL 0
#endif

#define STR_(x) #x
#define STR(x) STR_ (x)
#define LIBSECCOMP_VERSION STR (SCMP_VER_MAJOR) "." STR (SCMP_VER_MINOR) "." STR (SCMP_VER_MICRO)

struct action_desc
{
  const char *name;
  uint32_t action;
  bool takes_errno;  /* ERRNO and TRACE carry errnoRet in their data bits */
  unsigned api_level; /* seccomp_api_get () needed: kernel + libseccomp */
};

static const struct action_desc ACTIONS[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false, 1 },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, 3 },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, 1 },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, 1 },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true, 1 },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true, 1 },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, 1 },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false, 3 },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, 5 },
};

struct operator_desc
{
  const char *name;
  enum scmp_compare op;
};

static const struct operator_desc OPERATORS[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

struct arch_desc
{
  const char *name;
  uint32_t arch;
};

static const struct arch_desc ARCHES[] = {
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#ifdef SCMP_ARCH_LOONGARCH64
  { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
#ifdef SCMP_ARCH_M68K
  { "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#endif
#ifdef SCMP_ARCH_SH
  { "SCMP_ARCH_SH", SCMP_ARCH_SH },
  { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#endif
};

struct flag_desc
{
  const char *name;
  unsigned long kernel_flag;
  unsigned long probe_with; /* flags the kernel insists on alongside */
  enum scmp_filter_attr attr; /* 0: this libseccomp cannot set it */
};

static const struct flag_desc FLAGS[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, 0, SCMP_FLTATR_CTL_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, 0, SCMP_FLTATR_CTL_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, 0, SCMP_FLTATR_CTL_SSB },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
    SECCOMP_FILTER_FLAG_NEW_LISTENER, ATTR_WAITKILL },
};

/* The init hands the listener fd to the parent with sendmsg() after the
 * filter is loaded: a notification there would wait for a listener that
 * cannot have the fd yet, and create would hang (runc refuses `write` for
 * the same reason). */
static const char *const NOTIFY_REFUSED[] = { "sendmsg" };

static const struct action_desc *
action_lookup (const char *name)
{
  size_t i;

  for (i = 0; name && i < N_ELEMENTS (ACTIONS); i++)
    if (strcmp (ACTIONS[i].name, name) == 0)
      return &ACTIONS[i];
  return NULL;
}

static const struct operator_desc *
operator_lookup (const char *name)
{
  size_t i;

  for (i = 0; name && i < N_ELEMENTS (OPERATORS); i++)
    if (strcmp (OPERATORS[i].name, name) == 0)
      return &OPERATORS[i];
  return NULL;
}

static const struct arch_desc *
arch_lookup (const char *name)
{
  size_t i;

  for (i = 0; name && i < N_ELEMENTS (ARCHES); i++)
    if (strcmp (ARCHES[i].name, name) == 0)
      return &ARCHES[i];
  return NULL;
}

static const struct flag_desc *
flag_lookup (const char *name)
{
  size_t i;

  for (i = 0; name && i < N_ELEMENTS (FLAGS); i++)
    if (strcmp (FLAGS[i].name, name) == 0)
      return &FLAGS[i];
  return NULL;
}

/* The kernel checks the flags before it reads the program: with a NULL
 * program a known flag fails with EFAULT (or EACCES when unprivileged),
 * an unknown one with EINVAL. */
static bool
kernel_has_flag (const struct flag_desc *f)
{
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->kernel_flag | f->probe_with, NULL) < 0
         && errno != EINVAL;
}

static bool
action_available (const struct action_desc *a)
{
  return seccomp_api_get () >= a->api_level;
}

static bool
is_notify (const char *action)
{
  const struct action_desc *a = action_lookup (action);
  return a && a->action == SCMP_ACT_NOTIFY;
}

/* ---- checks, in the parent ---- */

/* The action and its errnoRet (path: "linux.seccomp.syscalls[3]"). */
static int
check_action (const char *path, const char *action_key, const char *name, bool has_errno,
              uint32_t errno_ret, const char *errno_key, nook_error_t *err)
{
  const struct action_desc *a = action_lookup (name);

  if (a == NULL)
    return nook_make_error (err, 0, "%s.%s: unknown action `%s`", path, action_key,
                            name ? name : "");
  if (!action_available (a))
    return nook_make_error (err, 0, "%s.%s: %s is not supported by this kernel and libseccomp %s",
                            path, action_key, name, LIBSECCOMP_VERSION);
  if (has_errno && !a->takes_errno)
    return nook_make_error (err, 0,
                            "%s.%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s",
                            path, errno_key, name);
  if (has_errno && errno_ret > ERRNO_RET_MAX)
    return nook_make_error (err, 0, "%s.%s: %u does not fit in the 16 bits seccomp keeps for it",
                            path, errno_key, errno_ret);
  return 0;
}

static int
check_arg (const oci_seccomp_arg *arg, size_t s, size_t k, nook_error_t *err)
{
  if (arg->index >= SYSCALL_ARGS_MAX)
    return nook_make_error (err, 0,
                            "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range "
                            "(a syscall has arguments 0 to %d)",
                            s, k, arg->index, SYSCALL_ARGS_MAX - 1);
  if (operator_lookup (arg->op) == NULL)
    return nook_make_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator `%s`",
                            s, k, arg->op ? arg->op : "");
  return 0;
}

static int
check_name (const char *name, bool notify, size_t s, size_t j, nook_error_t *err)
{
  size_t i;

  /* libseccomp resolves every name of every architecture it knows (those
   * missing on this one get a pseudo number), so only a name no
   * architecture has is unknown. */
  if (name == NULL || seccomp_syscall_resolve_name (name) == __NR_SCMP_ERROR)
    return nook_make_error (err, 0, "linux.seccomp.syscalls[%zu].names[%zu]: unknown syscall `%s`",
                            s, j, name ? name : "");
  for (i = 0; notify && i < N_ELEMENTS (NOTIFY_REFUSED); i++)
    if (strcmp (name, NOTIFY_REFUSED[i]) == 0)
      return nook_make_error (err, 0,
                              "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be "
                              "used for `%s`: the container init needs it to hand the listener "
                              "fd over",
                              s, j, name);
  return 0;
}

static int
check_syscall (const oci_seccomp_syscall *sys, size_t s, nook_error_t *err)
{
  cleanup_free char *path = NULL;
  bool notify = is_notify (sys->action);
  size_t j;

  xasprintf (&path, "linux.seccomp.syscalls[%zu]", s);
  if (check_action (path, "action", sys->action, sys->has_errno_ret, sys->errno_ret, "errnoRet",
                    err) < 0)
    return -1;
  if (sys->names_len == 0)
    return nook_make_error (err, 0, "%s.names: at least one syscall name is required", path);
  for (j = 0; j < sys->names_len; j++)
    if (check_name (sys->names[j], notify, s, j, err) < 0)
      return -1;
  for (j = 0; j < sys->args_len; j++)
    if (check_arg (&sys->args[j], s, j, err) < 0)
      return -1;
  return 0;
}

static int
check_flags (const oci_seccomp *sc, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < sc->flags_len; i++)
    {
      const struct flag_desc *f = flag_lookup (sc->flags[i]);

      if (f == NULL)
        return nook_make_error (err, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i,
                                sc->flags[i]);
      if (f->attr == 0)
        return nook_make_error (err, 0, "linux.seccomp.flags[%zu]: %s is not supported by libseccomp %s",
                                i, f->name, LIBSECCOMP_VERSION);
      if (!kernel_has_flag (f))
        return nook_make_error (err, 0, "linux.seccomp.flags[%zu]: %s is not supported by this kernel",
                                i, f->name);
    }
  return 0;
}

static bool
uses_notify (const oci_seccomp *sc)
{
  size_t i;

  for (i = 0; i < sc->syscalls_len; i++)
    if (is_notify (sc->syscalls[i].action))
      return true;
  return false;
}

static int
check_listener (const oci_seccomp *sc, nook_error_t *err)
{
  struct sockaddr_un addr;

  if (sc->listener_metadata && sc->listener_path == NULL)
    return nook_make_error (err, 0, "linux.seccomp.listenerMetadata: requires listenerPath");
  /* Without SCMP_ACT_NOTIFY the spec says listenerPath is ignored. */
  if (!uses_notify (sc))
    return 0;
  if (sc->listener_path == NULL || sc->listener_path[0] == '\0')
    return nook_make_error (err, 0,
                            "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY");
  if (strlen (sc->listener_path) >= sizeof (addr.sun_path))
    return nook_make_error (err, 0,
                            "linux.seccomp.listenerPath: `%s` is longer than a unix socket "
                            "address allows (%zu bytes)",
                            sc->listener_path, sizeof (addr.sun_path) - 1);
  return 0;
}

int
nook_seccomp_validate (const oci_seccomp *sc, nook_error_t *err)
{
  size_t i;

  if (sc == NULL)
    return 0;
  if (check_action ("linux.seccomp", "defaultAction", sc->default_action,
                    sc->has_default_errno_ret, sc->default_errno_ret, "defaultErrnoRet", err) < 0)
    return -1;
  /* Every syscall of the init after the load, sendmsg of the fd included,
   * would wait for a listener that does not have the fd yet (runc too). */
  if (is_notify (sc->default_action))
    return nook_make_error (err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
                                    "default action");
  for (i = 0; i < sc->architectures_len; i++)
    if (arch_lookup (sc->architectures[i]) == NULL)
      return nook_make_error (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture `%s`",
                              i, sc->architectures[i]);
  if (check_flags (sc, err) < 0)
    return -1;
  for (i = 0; i < sc->syscalls_len; i++)
    if (check_syscall (&sc->syscalls[i], i, err) < 0)
      return -1;
  return check_listener (sc, err);
}

/* ---- the filter, in the container init ---- */

static void
cleanup_filterp (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
#define cleanup_filter __attribute__ ((cleanup (cleanup_filterp)))

/* ERRNO and TRACE default to EPERM, as runc and crun do. */
static uint32_t
action_value (const char *name, bool has_errno, uint32_t errno_ret)
{
  const struct action_desc *a = action_lookup (name);

  if (!a->takes_errno)
    return a->action;
  return a->action | ((has_errno ? errno_ret : EPERM) & ERRNO_RET_MAX);
}

static int
add_architectures (scmp_filter_ctx ctx, const oci_seccomp *sc, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < sc->architectures_len; i++)
    {
      int r = seccomp_arch_add (ctx, arch_lookup (sc->architectures[i])->arch);

      /* The native architecture is in every new filter already. */
      if (r < 0 && r != -EEXIST)
        return nook_make_error (err, -r, "seccomp: add architecture %s", sc->architectures[i]);
    }
  return 0;
}

static int
set_attributes (scmp_filter_ctx ctx, const oci_seccomp *sc, nook_error_t *err)
{
  size_t i;
  int r;

  /* nook sets no_new_privs itself, from process.noNewPrivileges. */
  r = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    return nook_make_error (err, -r, "seccomp: leave no_new_privs to process.noNewPrivileges");
  for (i = 0; i < sc->flags_len; i++)
    {
      const struct flag_desc *f = flag_lookup (sc->flags[i]);

      r = seccomp_attr_set (ctx, f->attr, 1);
      if (r < 0)
        return nook_make_error (err, -r, "seccomp: set flag %s", f->name);
    }
  return 0;
}

/* libseccomp refuses two conditions on one argument in a rule.  Like runc
 * and crun, such an entry becomes one rule per condition: the syscall
 * matches when any condition holds. */
static bool
repeats_an_index (const oci_seccomp_syscall *sys)
{
  unsigned seen = 0;
  size_t k;

  for (k = 0; k < sys->args_len; k++)
    {
      unsigned bit = 1U << sys->args[k].index;
      if (seen & bit)
        return true;
      seen |= bit;
    }
  return false;
}

static int
add_rule (scmp_filter_ctx ctx, uint32_t action, const char *name, const struct scmp_arg_cmp *conds,
          size_t n, bool one_per_condition, nook_error_t *err)
{
  int nr = seccomp_syscall_resolve_name (name);
  size_t k;
  int r;

  if (!one_per_condition)
    {
      r = seccomp_rule_add_array (ctx, action, nr, n, conds);
      if (r < 0)
        return nook_make_error (err, -r, "seccomp: add the rule for `%s`", name);
      return 0;
    }
  for (k = 0; k < n; k++)
    {
      r = seccomp_rule_add_array (ctx, action, nr, 1, &conds[k]);
      if (r < 0)
        return nook_make_error (err, -r, "seccomp: add the rule for `%s` (condition %zu)", name, k);
    }
  return 0;
}

static int
add_syscall (scmp_filter_ctx ctx, const oci_seccomp_syscall *sys, size_t s, uint32_t default_action,
             nook_error_t *err)
{
  uint32_t action = action_value (sys->action, sys->has_errno_ret, sys->errno_ret);
  cleanup_free struct scmp_arg_cmp *conds = NULL;
  bool split = repeats_an_index (sys);
  size_t j;

  /* libseccomp refuses a rule that repeats the default action (EACCES);
   * it would change nothing. */
  if (action == default_action)
    {
      nook_debug ("linux.seccomp.syscalls[%zu]: same action as the default, skipped", s);
      return 0;
    }
  conds = xmalloc0 ((sys->args_len + 1) * sizeof (*conds));
  for (j = 0; j < sys->args_len; j++)
    {
      conds[j].arg = sys->args[j].index;
      conds[j].op = operator_lookup (sys->args[j].op)->op;
      conds[j].datum_a = sys->args[j].value;
      conds[j].datum_b = sys->args[j].value_two;
    }
  for (j = 0; j < sys->names_len; j++)
    if (add_rule (ctx, action, sys->names[j], conds, sys->args_len, split, err) < 0)
      return nook_error_wrap (err, "linux.seccomp.syscalls[%zu].names[%zu]", s, j);
  return 0;
}

static int
build_filter (const oci_seccomp *sc, scmp_filter_ctx *out, nook_error_t *err)
{
  uint32_t default_action
      = action_value (sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret);
  cleanup_filter scmp_filter_ctx ctx = seccomp_init (default_action);
  size_t i;

  if (ctx == NULL)
    return nook_make_error (err, 0, "seccomp: create a filter with default action %s",
                            sc->default_action);
  if (add_architectures (ctx, sc, err) < 0 || set_attributes (ctx, sc, err) < 0)
    return -1;
  for (i = 0; i < sc->syscalls_len; i++)
    if (add_syscall (ctx, &sc->syscalls[i], i, default_action, err) < 0)
      return -1;
  *out = steal_pointer (&ctx);
  return 0;
}

/* ---- compiled programs and their cache ---- */

static unsigned int
load_flags (const oci_seccomp *sc)
{
  unsigned int flags = 0;
  size_t i;

  for (i = 0; i < sc->flags_len; i++)
    flags |= (unsigned int) flag_lookup (sc->flags[i])->kernel_flag;
  if (uses_notify (sc))
    {
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      /* The kernel refuses TSYNC with a listener unless told how to fail. */
      if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
  return flags;
}

/* Everything that decides the compiled program, as text: two sections
 * with the same key compile to the same instructions. */
static char *
cache_key (const oci_seccomp *sc)
{
  const struct scmp_version *v = seccomp_version ();
  char *buf = NULL;
  size_t len = 0, i, j;
  FILE *f = open_memstream (&buf, &len);

  if (f == NULL)
    return NULL;
  fprintf (f, "nook %s\nlibseccomp %u.%u.%u api %u\ndefault %s %d %u\n", PACKAGE_VERSION,
           v->major, v->minor, v->micro, seccomp_api_get (), sc->default_action,
           sc->has_default_errno_ret, sc->default_errno_ret);
  for (i = 0; i < sc->architectures_len; i++)
    fprintf (f, "arch %s\n", sc->architectures[i]);
  for (i = 0; i < sc->flags_len; i++)
    fprintf (f, "flag %s\n", sc->flags[i]);
  for (i = 0; i < sc->syscalls_len; i++)
    {
      const oci_seccomp_syscall *sys = &sc->syscalls[i];
      fprintf (f, "rule %s %d %u", sys->action, sys->has_errno_ret, sys->errno_ret);
      for (j = 0; j < sys->names_len; j++)
        fprintf (f, " %s", sys->names[j]);
      for (j = 0; j < sys->args_len; j++)
        fprintf (f, " (%u %s %" PRIu64 " %" PRIu64 ")", sys->args[j].index, sys->args[j].op,
                 sys->args[j].value, sys->args[j].value_two);
      fputc ('\n', f);
    }
  if (fclose (f) != 0)
    {
      free (buf);
      return NULL;
    }
  return buf;
}

/* FNV-1a: only names the file; the key inside is compared in full. */
static uint64_t
key_hash (const char *key)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *key; key++)
    h = (h ^ (unsigned char) *key) * 0x100000001b3ULL;
  return h;
}

/* The file: the key, a NUL, then the instructions. */
static bool
cache_read (const char *path, const char *key, struct nook_seccomp_prog *out)
{
  char *data = NULL;
  size_t len = 0;

  if (!nook_cache_read (AT_FDCWD, path, key, strlen (key) + 1, &data, &len))
    return false;
  if (len == 0 || len % sizeof (struct sock_filter) != 0)
    {
      free (data);
      return false;
    }
  out->n = len / sizeof (struct sock_filter);
  out->insns = data;
  return true;
}

static void
cache_write (const char *root, const char *name, const char *key,
             const struct nook_seccomp_prog *p)
{
  cleanup_free char *dir = NULL;
  nook_error_t e = NULL;
  cleanup_close int dfd = -1;

  xasprintf (&dir, "%s/.cache/seccomp", root);
  if (mkdir_p (dir, 0700, &e) < 0
      || (dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0
      || nook_cache_write (dfd, name, key, strlen (key) + 1, p->insns,
                           p->n * sizeof (struct sock_filter), &e) < 0)
    {
      nook_debug ("seccomp: not cached in `%s`: %s", dir, e ? e->msg : strerror (errno));
      nook_error_release (&e);
    }
}

static int
compile (const oci_seccomp *sc, struct nook_seccomp_prog *out, nook_error_t *err)
{
  cleanup_filter scmp_filter_ctx ctx = NULL;
  cleanup_close int fd = -1;
  cleanup_free char *data = NULL;
  size_t len = 0;
  int r;

  if (build_filter (sc, &ctx, err) < 0)
    return -1;
  fd = memfd_create ("nook-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return nook_make_error (err, errno, "seccomp: memfd for the compiled filter");
  r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return nook_make_error (err, -r, "seccomp: compile the filter");
  if (lseek (fd, 0, SEEK_SET) < 0 || read_all_fd (fd, "the compiled filter", &data, &len, err) < 0)
    return -1;
  if (len == 0 || len % sizeof (struct sock_filter) != 0)
    return nook_make_error (err, 0, "seccomp: libseccomp exported %zu bytes of filter", len);
  out->n = len / sizeof (struct sock_filter);
  out->insns = steal_pointer (&data);
  return 0;
}

int
nook_seccomp_prepare (const oci_seccomp *sc, const char *root, struct nook_seccomp_prog *out,
                      nook_error_t *err)
{
  cleanup_free char *key = NULL, *path = NULL;
  char name[32] = "";

  memset (out, 0, sizeof (*out));
  if (sc == NULL)
    return 0;
  out->flags = load_flags (sc);
  key = cache_key (sc);
  if (key && root)
    {
      snprintf (name, sizeof (name), "%016" PRIx64, key_hash (key));
      xasprintf (&path, "%s/.cache/seccomp/%s", root, name);
      if (cache_read (path, key, out))
        {
          nook_debug ("seccomp: compiled filter from `%s`", path);
          return 0;
        }
    }
  if (compile (sc, out, err) < 0)
    return -1;
  nook_debug ("seccomp: compiled the filter (%zu instructions)", out->n);
  if (key && root)
    cache_write (root, name, key, out);
  return 0;
}

void
nook_seccomp_prog_release (struct nook_seccomp_prog *p)
{
  free (p->insns);
  p->insns = NULL;
  p->n = 0;
}

/* The listener fd, with SECCOMP_FILTER_FLAG_NEW_LISTENER among p->flags,
 * is O_CLOEXEC (the kernel makes it so). */
static int
load_prog (const struct nook_seccomp_prog *p, int *notify_fd, nook_error_t *err)
{
  struct sock_fprog fprog = { .len = (unsigned short) p->n, .filter = p->insns };
  long r = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &fprog);

  if (r < 0 && errno == EACCES)
    return nook_make_error (err, errno, "load the seccomp filter (without no_new_privs this needs "
                                        "CAP_SYS_ADMIN)");
  if (r < 0)
    return nook_make_error (err, errno, "load the seccomp filter");
  /* The kernel made the listener O_CLOEXEC. */
  if (p->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    *notify_fd = (int) r;
  return 0;
}

int
nook_seccomp_load (const struct nook_seccomp_prog *prog, int *notify_fd, nook_error_t *err)
{
  *notify_fd = -1;
  if (prog == NULL || prog->n == 0)
    return 0;
  return load_prog (prog, notify_fd, err);
}

/* ---- the listener, in the parent ---- */

static void
gen_key (yajl_gen g, const char *key)
{
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
}

/* Re-emit a parsed document, so the state is embedded as an object. */
static void
gen_tree (yajl_gen g, yajl_val v)
{
  size_t i;

  if (YAJL_IS_OBJECT (v))
    {
      yajl_gen_map_open (g);
      for (i = 0; i < v->u.object.len; i++)
        {
          gen_key (g, v->u.object.keys[i]);
          gen_tree (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
    }
  else if (YAJL_IS_ARRAY (v))
    {
      yajl_gen_array_open (g);
      for (i = 0; i < v->u.array.len; i++)
        gen_tree (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
    }
  else if (YAJL_IS_STRING (v))
    gen_key (g, v->u.string);
  else if (YAJL_IS_NUMBER (v))
    yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
  else if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    yajl_gen_bool (g, YAJL_IS_TRUE (v));
  else
    yajl_gen_null (g);
}

static int
process_state_json (const oci_seccomp *sc, pid_t pid, const char *state_json, char **out,
                    size_t *len, nook_error_t *err)
{
  char errbuf[256] = "";
  yajl_val state = yajl_tree_parse (state_json, errbuf, sizeof (errbuf));
  yajl_gen g;
  const unsigned char *buf;
  size_t buf_len;

  if (state == NULL || !YAJL_IS_OBJECT (state))
    {
      yajl_tree_free (state);
      return nook_make_error (err, 0, "seccomp listener: the container state is not a JSON object%s%s",
                              errbuf[0] ? ": " : "", errbuf);
    }
  g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  gen_key (g, "ociVersion");
  gen_key (g, OCI_SPEC_VERSION);
  gen_key (g, "fds");
  yajl_gen_array_open (g);
  gen_key (g, "seccompFd");
  yajl_gen_array_close (g);
  gen_key (g, "pid");
  yajl_gen_integer (g, pid);
  if (sc->listener_metadata)
    {
      gen_key (g, "metadata");
      gen_key (g, sc->listener_metadata);
    }
  gen_key (g, "state");
  gen_tree (g, state);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &buf_len);
  *out = xmalloc0 (buf_len + 1);
  memcpy (*out, buf, buf_len);
  *len = buf_len;
  yajl_gen_free (g);
  yajl_tree_free (state);
  return 0;
}

/* The fd travels with the first bytes; the rest follows on plain writes,
 * as the spec allows. */
static int
send_with_fd (int sock, int fd, const char *data, size_t len)
{
  char control[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof (control) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  ssize_t r;

  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  do
    r = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  return write_all (sock, data + r, len - r);
}

int
nook_seccomp_send_listener (const oci_seccomp *sc, int notify_fd, pid_t pid,
                            const char *state_json, nook_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = -1;
  cleanup_free char *doc = NULL;
  size_t len = 0;

  if (sc == NULL || sc->listener_path == NULL)
    return nook_make_error (err, 0, "seccomp listener: linux.seccomp.listenerPath is not set");
  if (strlen (sc->listener_path) >= sizeof (addr.sun_path))
    return nook_make_error (err, ENAMETOOLONG, "seccomp listener `%s`", sc->listener_path);
  strcpy (addr.sun_path, sc->listener_path);
  if (process_state_json (sc, pid, state_json, &doc, &len, err) < 0)
    return -1;
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return nook_make_error (err, errno, "seccomp listener: create a socket");
  if (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return nook_make_error (err, errno, "connect to the seccomp listener `%s`", sc->listener_path);
  if (send_with_fd (sock, notify_fd, doc, len) < 0)
    return nook_make_error (err, errno, "send the seccomp fd to the listener `%s`",
                            sc->listener_path);
  return 0;
}

/* ---- features ---- */

static char **
names_where (const void *table, size_t n, size_t stride, bool (*keep) (const void *), size_t *len)
{
  char **out = xmalloc0 ((n + 1) * sizeof (char *));
  size_t i, k = 0;

  for (i = 0; i < n; i++)
    {
      const void *entry = (const char *) table + i * stride;
      /* Every table starts with its `const char *name`. */
      if (keep == NULL || keep (entry))
        out[k++] = xstrdup (*(const char *const *) entry);
    }
  *len = k;
  return out;
}

static bool
keep_available_action (const void *entry)
{
  return action_available (entry);
}

static bool
keep_supported_flag (const void *entry)
{
  const struct flag_desc *f = entry;
  return f->attr != 0 && kernel_has_flag (f);
}

#define TABLE_NAMES(t, keep, len) names_where ((t), N_ELEMENTS (t), sizeof ((t)[0]), (keep), (len))

void
nook_seccomp_features (oci_features_seccomp *out)
{
  out->actions = TABLE_NAMES (ACTIONS, keep_available_action, &out->actions_len);
  out->operators = TABLE_NAMES (OPERATORS, NULL, &out->operators_len);
  out->archs = TABLE_NAMES (ARCHES, NULL, &out->archs_len);
  out->known_flags = TABLE_NAMES (FLAGS, NULL, &out->known_flags_len);
  out->supported_flags = TABLE_NAMES (FLAGS, keep_supported_flag, &out->supported_flags_len);
}
