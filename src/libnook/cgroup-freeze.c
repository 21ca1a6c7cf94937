/* nook - pause and resume: freezing a container's cgroup.
 *
 * v1 has the freezer controller (freezer.state: THAWED, FREEZING, FROZEN);
 * cgroup2 has cgroup.freeze in every non-root cgroup, and cgroup.events
 * says "frozen 1" once every task has stopped.  A hybrid host uses the v1
 * freezer when it is mounted (as runc does), else its cgroup2 mount.
 *
 * Kernel semantics the callers rely on: on cgroup2 a frozen task still
 * dies of SIGKILL; in a v1 FROZEN cgroup a SIGKILLed task stays until the
 * cgroup is thawed, so killing a paused container means kill, then thaw.
 */
#include <config.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include "cgroup-internal.h"
#include "utils.h"

/* Freezing waits for every task to reach a safe point; one stuck in an
 * uninterruptible sleep (D state, e.g. on a dead NFS server) never does. */
#define FREEZE_TIMEOUT_MS 2000
/* v1: writing FROZEN again restarts the freezing of tasks that raced it
 * (forked meanwhile): the kernel's own advice is to retry. */
#define FREEZE_REWRITE_MS 100

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* ------------------------------------------------------ v1 freezer */

static int
v1_wait_state (const char *dir, const char *want, int ms, bool *reached, nook_error_t *err)
{
  int waited;

  *reached = false;
  for (waited = 0; waited <= ms; waited++)
    {
      cleanup_free char *cur = NULL;
      if (cgroup_read (dir, "freezer.state", &cur, err) < 0)
        return -1;
      if (strcmp (cur, want) == 0)
        {
          *reached = true;
          return 0;
        }
      sleep_ms (1);
    }
  return 0;
}

static int
v1_freezer_set (const char *dir, bool frozen, nook_error_t *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  int spent;

  for (spent = 0; spent < FREEZE_TIMEOUT_MS; spent += FREEZE_REWRITE_MS)
    {
      bool reached;
      if (cgroup_write (dir, "freezer.state", want, NULL, NULL, err) < 0
          || v1_wait_state (dir, want, FREEZE_REWRITE_MS, &reached, err) < 0)
        return -1;
      if (reached)
        return 0;
    }
  if (frozen)
    {
      /* Half frozen is worse than not paused: give the tasks back. */
      nook_error_t ignored = NULL;
      if (v1_freezer_set (dir, false, &ignored) < 0)
        nook_error_release (&ignored);
    }
  return nook_make_error (err, 0, "%s cgroup `%s`: freezer.state did not become %s within %d ms "
                          "(a process in uninterruptible sleep?)", frozen ? "freeze" : "thaw",
                          dir, want, FREEZE_TIMEOUT_MS);
}

bool
cgroup_v1_freezer_paused (const char *dir)
{
  cleanup_free char *state = NULL, *self = NULL;
  nook_error_t e = NULL;

  if (cgroup_read (dir, "freezer.state", &state, &e) < 0)
    {
      nook_error_release (&e);
      return false;
    }
  if (strcmp (state, "THAWED") == 0)
    return false;
  /* FROZEN because an ancestor is: not paused by us (runc agrees). */
  if (cgroup_read (dir, "freezer.self_freezing", &self, &e) < 0)
    {
      nook_error_release (&e);
      return true;
    }
  return strcmp (self, "1") == 0;
}

/* ------------------------------------------------------ cgroup2 */

/* cgroup.events: "populated 1\nfrozen 0\n". */
static int
v2_read_frozen_event (const char *dir, bool *frozen, nook_error_t *err)
{
  cleanup_free char *events = NULL;
  const char *p;

  if (cgroup_read (dir, "cgroup.events", &events, err) < 0)
    return -1;
  p = strstr (events, "frozen ");
  *frozen = p && p[7] == '1';
  return 0;
}

static int
v2_freeze_dir (const char *dir, bool frozen, nook_error_t *err)
{
  int waited;

  if (cgroup_write (dir, "cgroup.freeze", frozen ? "1" : "0",
                    frozen ? "pause" : "resume", "(kernel older than 5.2?)", err) < 0)
    return -1;
  for (waited = 0; waited < FREEZE_TIMEOUT_MS; waited++)
    {
      bool now;
      if (v2_read_frozen_event (dir, &now, err) < 0)
        return -1;
      if (now == frozen)
        return 0;
      sleep_ms (1);
    }
  if (frozen)
    {
      nook_error_t ignored = NULL;
      if (cgroup_write (dir, "cgroup.freeze", "0", NULL, NULL, &ignored) < 0)
        nook_error_release (&ignored);
    }
  return nook_make_error (err, 0, "%s cgroup `%s`: cgroup.events did not say frozen %d within "
                          "%d ms (a process in uninterruptible sleep?)",
                          frozen ? "freeze" : "thaw", dir, frozen, FREEZE_TIMEOUT_MS);
}

static int
v2_is_frozen_dir (const char *dir, bool *frozen, nook_error_t *err)
{
  cleanup_free char *v = NULL;

  if (cgroup_read (dir, "cgroup.freeze", &v, err) < 0)
    {
      /* No cgroup.freeze (an old kernel): nothing can have frozen it. */
      if ((*err)->status != ENOENT)
        return -1;
      nook_error_release (err);
      *frozen = false;
      return 0;
    }
  *frozen = strcmp (v, "1") == 0;
  return 0;
}

/* ------------------------------------------------------ the drivers */

/* Which directory freezes the container, and whether it is a v1 freezer. */
static struct cgroup_hierarchy *
freezer_of (struct cgroup_fs *fs, bool *v1)
{
  struct cgroup_hierarchy *h = cgroup_fs_find (fs, "freezer");

  *v1 = h != NULL;
  if (h == NULL && fs->mode == NOOK_CGROUP_MODE_HYBRID)
    h = cgroup_fs_find (fs, "");
  return h;
}

int
cgroup_v1_freeze (struct nook_cgroup *cg, bool frozen, nook_error_t *err)
{
  bool v1;
  struct cgroup_hierarchy *h = freezer_of (cg->priv, &v1);

  if (h == NULL)
    return nook_make_error (err, 0, "%s: no cgroup v1 `freezer` hierarchy is mounted on this "
                            "host", frozen ? "pause" : "resume");
  return v1 ? v1_freezer_set (h->dir, frozen, err) : v2_freeze_dir (h->dir, frozen, err);
}

int
cgroup_v1_is_frozen (struct nook_cgroup *cg, bool *frozen, nook_error_t *err)
{
  bool v1;
  struct cgroup_hierarchy *h = freezer_of (cg->priv, &v1);

  *frozen = false;
  if (h == NULL)
    return 0;
  if (v1)
    {
      *frozen = cgroup_v1_freezer_paused (h->dir);
      return 0;
    }
  return v2_is_frozen_dir (h->dir, frozen, err);
}

int
cgroup_v2_freeze (struct nook_cgroup *cg, bool frozen, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  return v2_freeze_dir (fs->h[0].dir, frozen, err);
}

int
cgroup_v2_is_frozen (struct nook_cgroup *cg, bool *frozen, nook_error_t *err)
{
  struct cgroup_fs *fs = cg->priv;
  return v2_is_frozen_dir (fs->h[0].dir, frozen, err);
}

/* ------------------------------------------------------ front */

static int
not_supported (const struct nook_cgroup *cg, const char *what, nook_error_t *err)
{
  return nook_make_error (err, 0, "%s is not supported by the %s cgroup manager", what,
                          cg->manager ? cg->manager : "current");
}

int
nook_cgroup_freeze (struct nook_cgroup *cg, bool frozen, nook_error_t *err)
{
  if (cg->ops->freeze == NULL)
    return not_supported (cg, frozen ? "pause" : "resume", err);
  return cg->ops->freeze (cg, frozen, err);
}

int
nook_cgroup_is_frozen (struct nook_cgroup *cg, bool *frozen, nook_error_t *err)
{
  *frozen = false;
  if (cg->ops->is_frozen == NULL)
    return 0;
  return cg->ops->is_frozen (cg, frozen, err);
}
