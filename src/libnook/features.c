/* nook - the runtime-spec features document (`nook features`).
 *
 * The document must tell the truth about this build on this host: callers
 * (containerd, podman, CRI) use it to decide what they may put in
 * config.json.  A feature that a later issue implements is listed only once
 * the code exists; an empty list means "none", an absent one "unknown". */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/syscall.h>

#include "features.h"
#include "cgroup.h"
#include "criu.h"
#include "hooks.h"
#include "linux.h"
#include "mount.h"
#include "oci.h"
#include "seccomp.h"
#include "utils.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static const char *const CGROUP_MODE_NAMES[] = {
  [NOOK_CGROUP_MODE_V1] = "v1",
  [NOOK_CGROUP_MODE_HYBRID] = "hybrid",
  [NOOK_CGROUP_MODE_V2] = "v2",
};

static oci_features_enabled *
enabled (bool value)
{
  oci_features_enabled *e = xmalloc0 (sizeof *e);

  e->enabled = value;
  e->has_enabled = true;
  return e;
}

/* Every capability both the kernel and libcap can name.  A capability
 * newer than libcap comes back as a bare number: config.json could not
 * name it, so it is left out. */
static char **
known_capabilities (size_t *len)
{
  cap_value_t max = cap_max_bits (), v;
  char **out = xmalloc0 (((size_t) max + 1) * sizeof (char *));
  size_t n = 0;

  for (v = 0; v < max; v++)
    {
      char *name = cap_to_name (v);
      char *p;

      if (name == NULL)
        continue;
      if (strncmp (name, "cap_", 4) == 0)
        {
          out[n] = xstrdup (name);
          for (p = out[n]; *p; p++)
            *p = toupper ((unsigned char) *p);
          n++;
        }
      cap_free (name);
    }
  *len = n;
  return out;
}

static oci_features_seccomp *
seccomp_features (void)
{
  oci_features_seccomp *s = xmalloc0 (sizeof *s);

  nook_seccomp_features (s);
  s->enabled = s->has_enabled = true;
  return s;
}

/* Idmapped mounts (idmap.c) need mount_setattr (Linux 5.12): a call that
 * cannot succeed tells ENOSYS from "there". */
static bool
kernel_has_idmapped_mounts (void)
{
  return !(syscall (SYS_mount_setattr, -1, "", 0, NULL, 0) < 0 && errno == ENOSYS);
}

static oci_features_linux *
linux_features (void)
{
  oci_features_linux *l = xmalloc0 (sizeof *l);

  l->namespaces = nook_namespaces_supported (&l->namespaces_len);
  l->capabilities = known_capabilities (&l->capabilities_len);

  l->cgroup = xmalloc0 (sizeof *l->cgroup);
  l->cgroup->v1 = l->cgroup->has_v1 = true;
  l->cgroup->v2 = l->cgroup->has_v2 = true;
  /* The systemd driver (sd-bus); not a user's own manager (rootless). */
  l->cgroup->systemd = l->cgroup->has_systemd = true;
  l->cgroup->has_systemd_user = true;
  l->cgroup->has_rdma = true;
  l->cgroup->rdma = true;

  l->seccomp = seccomp_features ();

  l->apparmor = enabled (false);
  l->selinux = enabled (false);
  l->intel_rdt = enabled (false);
  l->mount_extensions = xmalloc0 (sizeof *l->mount_extensions);
  l->mount_extensions->idmap = enabled (kernel_has_idmapped_mounts ());
  return l;
}

static void
map_add (oci_map *m, const char *key, const char *value)
{
  m->keys = xrealloc (m->keys, (m->len + 1) * sizeof (char *));
  m->values = xrealloc (m->values, (m->len + 1) * sizeof (char *));
  m->keys[m->len] = xstrdup (key);
  m->values[m->len] = xstrdup (value);
  m->len++;
}

static void
annotations (oci_map *m)
{
  enum nook_cgroup_mode mode;
  nook_error_t err = NULL;

  map_add (m, "io.github.nook.version", VERSION);
  map_add (m, "io.github.nook.commit", GIT_COMMIT);
  /* The layout is informative only: a host where it cannot be read still
   * gets a valid document, without the key. */
  if (nook_cgroup_detect_mode (&mode, &err) == 0 && (size_t) mode < N_ELEMENTS (CGROUP_MODE_NAMES))
    map_add (m, "run.oci.nook.cgroup-mode", CGROUP_MODE_NAMES[mode]);
  else
    {
      nook_debug ("features: cgroup mode not detected: %s", err ? err->msg : "unknown mode");
      nook_error_release (&err);
    }
}

/* Checkpoint/restore works when the criu binary is new enough (asked
 * through libcriu, as the commands talk to it).  CRIU's RPC check request
 * is stricter than `criu check` (it fails here, where `criu check` says
 * "Looks good" with dirty tracking off): reported, not decisive. */
static void
criu_annotations (oci_map *m)
{
  nook_error_t err = NULL;
  bool check_ok = false, lazy = false, track = false;
  int v = 0;
  char buf[32];

  if (nook_criu_probe (&v, &check_ok, &lazy, &track, &err) < 0)
    nook_error_release (&err);
  map_add (m, "run.oci.nook.checkpoint-restore", v >= NOOK_CRIU_MIN_VERSION ? "true" : "false");
  if (v <= 0)
    return;
  snprintf (buf, sizeof buf, "%d.%d.%d", v / 10000, (v / 100) % 100, v % 100);
  map_add (m, "run.oci.nook.criu-version", buf);
  map_add (m, "run.oci.nook.criu-check", check_ok ? "passed" : "failed");
  if (lazy && nook_criu_lazy_pipe_check (&err) < 0)
    {
      nook_error_release (&err);
      map_add (m, "run.oci.nook.criu-lazy-pages", "false: needs sysctl fs.pipe-max-size=4194304");
    }
  else
    map_add (m, "run.oci.nook.criu-lazy-pages", lazy ? "true" : "false");
  map_add (m, "run.oci.nook.criu-pre-dump", track ? "true" : "false");
}

static oci_features *
build_features (void)
{
  oci_features *f = xmalloc0 (sizeof *f);

  f->oci_version_min = xstrdup ("1.0.0");
  f->oci_version_max = xstrdup (OCI_SPEC_VERSION);
  f->hooks = nook_hooks_supported (&f->hooks_len);
  f->mount_options = mount_supported_options (&f->mount_options_len);
  f->linux = linux_features ();
  annotations (&f->annotations);
  criu_annotations (&f->annotations);
  return f;
}

int
nook_features_json (char **json, nook_error_t *err)
{
  cleanup_free char *errmsg = NULL;
  oci_features *f = build_features ();
  int ret;

  ret = oci_features_generate (f, true, json, NULL, &errmsg);
  oci_features_free (f);
  if (ret < 0)
    return nook_make_error (err, 0, "generate the features document: %s",
                            errmsg ? errmsg : "unknown error");
  return 0;
}
