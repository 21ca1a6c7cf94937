/* nook - device cgroup rules: the list both cgroupfs drivers apply (v1
 * writes it to devices.allow/deny), and on cgroup v2 the eBPF program of
 * type BPF_PROG_TYPE_CGROUP_DEVICE it compiles to, built from raw
 * instructions and loaded with bpf(2) (no libbpf).
 *
 * Semantics of the program: the rules come as cgroup_device_rules() lists
 * them (deny all, the config's rules, runc's default devices) and a later
 * rule wins over an earlier one, access by access: for each of the r, w, m
 * bits the kernel asks about, the last rule that matches the device and
 * names the bit decides it.  The request is allowed when every bit is
 * allowed.  This is what "last match wins" means for v1's allow and deny
 * lists, except where v1 itself is odd: a v1 deny narrower than an earlier
 * allow ("allow c 240:* rw" then "deny c 240:7 w") is a no-op in the v1
 * kernel, while here it denies writing 240:7; and a v1 "a" rule resets the
 * whole list whatever major/minor it names, while here it is "any type".
 *
 * The program walks the rules from the last to the first.  r3 holds the
 * access bits not decided yet: an allow rule clears its bits (all cleared:
 * allowed), a deny rule naming a bit still undecided denies.  A rule for
 * every device and every access decides everything, so the walk stops
 * there and that rule's verdict is the default; the leading "deny all"
 * makes the default deny.
 */
#include <config.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "cgroup-internal.h"
#include "utils.h"

#define BPF_LOG_SIZE (64 * 1024)

#ifndef N_ELEMENTS
# define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))
#endif

/* What runc allows on top of the config's rules: mknod of anything (the
 * node is useless without rw), and the devices every container gets. */
static const struct cgroup_device_rule default_devices[] = {
  { true, 'c', -1, -1, "m" },
  { true, 'b', -1, -1, "m" },
  { true, 'c', 1, 3, "rwm" },    /* /dev/null */
  { true, 'c', 1, 5, "rwm" },    /* /dev/zero */
  { true, 'c', 1, 7, "rwm" },    /* /dev/full */
  { true, 'c', 5, 0, "rwm" },    /* /dev/tty */
  { true, 'c', 1, 8, "rwm" },    /* /dev/random */
  { true, 'c', 1, 9, "rwm" },    /* /dev/urandom */
  { true, 'c', 136, -1, "rwm" }, /* /dev/pts/N */
  { true, 'c', 5, 2, "rwm" },    /* /dev/ptmx */
  { true, 'c', 5, 1, "rwm" },    /* /dev/console */
};

size_t
cgroup_device_rules (const oci_resources *res, struct cgroup_device_rule **out)
{
  size_t n_config = res ? res->devices_len : 0;
  size_t n = 1 + n_config + N_ELEMENTS (default_devices), i, k = 0;
  struct cgroup_device_rule *r = xmalloc0 (n * sizeof (*r));

  r[k++] = (struct cgroup_device_rule) { false, 'a', -1, -1, "rwm" };
  for (i = 0; i < n_config; i++)
    {
      const oci_device_cgroup *d = &res->devices[i];
      r[k++] = (struct cgroup_device_rule) {
        .allow = d->allow,
        .type = d->type ? d->type[0] : 'a',
        .major = d->has_major ? d->major : -1,
        .minor = d->has_minor ? d->minor : -1,
        .access = d->access ? d->access : "rwm",
      };
    }
  for (i = 0; i < N_ELEMENTS (default_devices); i++)
    r[k++] = default_devices[i];
  *out = r;
  return k;
}

/* ------------------------------------------------------ the eBPF program */

struct bpf_prog_buf
{
  struct bpf_insn *insns;
  size_t n, cap;
};

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

static void
emit (struct bpf_prog_buf *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      p->insns = xrealloc (p->insns, p->cap * sizeof (*p->insns));
    }
  p->insns[p->n++] = (struct bpf_insn) {
    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm
  };
}

/* 32-bit compares: majors and minors are u32, an immediate is s32. */
static void
emit_jmp32 (struct bpf_prog_buf *p, uint8_t op, uint8_t reg, int32_t imm, int16_t off)
{
  emit (p, BPF_JMP32 | op | BPF_K, reg, 0, off, imm);
}

static void
emit_return (struct bpf_prog_buf *p, int32_t verdict)
{
  emit (p, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, verdict);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int32_t
access_bits (const char *access)
{
  int32_t bits = 0;
  if (strchr (access, 'r'))
    bits |= BPF_DEVCG_ACC_READ;
  if (strchr (access, 'w'))
    bits |= BPF_DEVCG_ACC_WRITE;
  if (strchr (access, 'm'))
    bits |= BPF_DEVCG_ACC_MKNOD;
  return bits;
}

static const int32_t ALL_ACCESS = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

static bool
rule_covers_everything (const struct cgroup_device_rule *r)
{
  return r->type == 'a' && r->major < 0 && r->minor < 0 && access_bits (r->access) == ALL_ACCESS;
}

/* struct bpf_cgroup_dev_ctx: access_type is (access << 16) | type. */
static void
emit_prologue (struct bpf_prog_buf *p)
{
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
  emit (p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
  emit (p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
}

/* One rule: the device tests jump past the block when they fail. */
static void
emit_rule (struct bpf_prog_buf *p, const struct cgroup_device_rule *r)
{
  int32_t bits = access_bits (r->access);
  size_t skips[3], n_skips = 0, i;

  if (r->type != 'a')
    {
      skips[n_skips++] = p->n;
      emit_jmp32 (p, BPF_JNE, BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
                  0);
    }
  if (r->major >= 0)
    {
      skips[n_skips++] = p->n;
      emit_jmp32 (p, BPF_JNE, BPF_REG_4, (int32_t) (uint32_t) r->major, 0);
    }
  if (r->minor >= 0)
    {
      skips[n_skips++] = p->n;
      emit_jmp32 (p, BPF_JNE, BPF_REG_5, (int32_t) (uint32_t) r->minor, 0);
    }
  if (r->allow)
    {
      emit (p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_3, 0, 0, ~bits);
      emit_jmp32 (p, BPF_JNE, BPF_REG_3, 0, 2);
      emit_return (p, 1);
    }
  else
    {
      emit_jmp32 (p, BPF_JSET, BPF_REG_3, bits, 1);
      emit (p, BPF_JMP | BPF_JA, 0, 0, 2, 0);
      emit_return (p, 0);
    }
  for (i = 0; i < n_skips; i++)
    p->insns[skips[i]].off = (int16_t) (p->n - skips[i] - 1);
}

static void
compile (const struct cgroup_device_rule *rules, size_t n, struct bpf_prog_buf *p)
{
  int32_t verdict = 0;
  size_t i;

  emit_prologue (p);
  for (i = n; i-- > 0;)
    {
      if (rule_covers_everything (&rules[i]))
        {
          verdict = rules[i].allow;
          break;
        }
      emit_rule (p, &rules[i]);
    }
  emit_return (p, verdict);
}

/* The verifier's last words, for the error message. */
static const char *
log_tail (char *log)
{
  size_t len = strlen (log);
  char *nl;

  while (len > 0 && log[len - 1] == '\n')
    log[--len] = '\0';
  nl = strrchr (log, '\n');
  return nl ? nl + 1 : log;
}

static int
load_program (const struct bpf_prog_buf *p, nook_error_t *err)
{
  static const char license[] = "GPL";
  cleanup_free char *log = NULL;
  union bpf_attr attr;
  int fd, saved;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) p->insns;
  attr.insn_cnt = (uint32_t) p->n;
  attr.license = (uint64_t) (uintptr_t) license;
  fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0 || errno != EINVAL)
    return fd >= 0 ? fd
                   : nook_make_error (err, errno, "linux.resources.devices: load the eBPF device "
                                      "program (%zu instructions)", p->n);
  /* Again with the verifier's log, to say why. */
  log = xmalloc0 (BPF_LOG_SIZE);
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = BPF_LOG_SIZE;
  attr.log_level = 1;
  fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  saved = errno;
  return nook_make_error (err, saved, "linux.resources.devices: load the eBPF device program "
                          "(%zu instructions): verifier says `%s`", p->n, log_tail (log));
}

/* Device programs attached to this very cgroup (not its parents'). */
static int
query_attached (int cgroup_fd, uint32_t **ids, uint32_t *n)
{
  union bpf_attr attr;
  uint32_t cap = 16;

  for (;;)
    {
      *ids = xrealloc (*ids, cap * sizeof (**ids));
      memset (&attr, 0, sizeof (attr));
      attr.query.target_fd = (uint32_t) cgroup_fd;
      attr.query.attach_type = BPF_CGROUP_DEVICE;
      attr.query.prog_ids = (uint64_t) (uintptr_t) *ids;
      attr.query.prog_cnt = cap;
      if (sys_bpf (BPF_PROG_QUERY, &attr) == 0)
        {
          *n = attr.query.prog_cnt;
          return 0;
        }
      if (errno != ENOSPC)
        return -1;
      cap = attr.query.prog_cnt;
    }
}

static void
detach_program (int cgroup_fd, uint32_t id, const char *dir)
{
  union bpf_attr attr;
  cleanup_close int fd = -1;

  memset (&attr, 0, sizeof (attr));
  attr.prog_id = id;
  fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd >= 0)
    {
      memset (&attr, 0, sizeof (attr));
      attr.target_fd = (uint32_t) cgroup_fd;
      attr.attach_bpf_fd = (uint32_t) fd;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) == 0)
        return;
    }
  nook_warning ("cgroup `%s`: detach the earlier device program %" PRIu32 ": %s", dir, id,
                strerror (errno));
}

/* Attach first, detach the old ones after: never a moment without rules. */
static int
attach_replacing (int cgroup_fd, int prog_fd, const char *dir, nook_error_t *err)
{
  cleanup_free uint32_t *old = NULL;
  union bpf_attr attr;
  uint32_t n_old = 0, i;

  if (query_attached (cgroup_fd, &old, &n_old) < 0)
    {
      nook_debug ("cgroup `%s`: cannot list its device programs (%s); keeping them", dir,
                  strerror (errno));
      n_old = 0;
    }
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) cgroup_fd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return nook_make_error (err, errno, "linux.resources.devices: attach the eBPF device program "
                            "to cgroup `%s`", dir);
  for (i = 0; i < n_old; i++)
    detach_program (cgroup_fd, old[i], dir);
  return 0;
}

int
cgroup_bpf_apply_devices (const char *dir, const struct cgroup_device_rule *rules, size_t n,
                          nook_error_t *err)
{
  struct bpf_prog_buf p = { NULL, 0, 0 };
  cleanup_close int cgroup_fd = -1, prog_fd = -1;

  cgroup_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd < 0)
    return nook_make_error (err, errno, "open cgroup `%s`", dir);
  compile (rules, n, &p);
  prog_fd = load_program (&p, err);
  free (p.insns);
  if (prog_fd < 0)
    {
      /* Loading needs CAP_BPF or CAP_SYS_ADMIN: a rootless runtime has
       * neither, and its devices are the host's bind-mounted nodes (runc
       * skips the rules then too). */
      if ((*err)->status == EPERM && geteuid () != 0)
        {
          nook_debug ("%s (not root: device rules are not enforced)", (*err)->msg);
          nook_error_release (err);
          return 0;
        }
      return -1;
    }
  return attach_replacing (cgroup_fd, prog_fd, dir, err);
}
