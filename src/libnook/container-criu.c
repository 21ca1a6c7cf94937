/* nook - `restore` (runc's), through CRIU (criu.h); `checkpoint` is in
 * container-checkpoint.c, what both use in container-criu-internal.h.
 *
 * restore: a state dir for the new id, the bundle's cgroup, and a helper
 * process placed in that cgroup which runs CRIU there (so the restored
 * tasks land in it) in a private mount namespace where the new bundle's
 * rootfs is bound on itself (CRIU wants its root to be a mount point).
 * CRIU creates the container's pid namespace itself: every restore of one
 * image gets its own, which is what lets one image be restored many times
 * at once.  The restored init becomes nook's child (nook is a subreaper
 * unless --no-subreaper), then status.json makes it an ordinary running
 * container for state, kill, exec, delete. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>
#include <limits.h>
#include "libcriu.h"
#include "criu.h"
#include "cgroup.h"
#include "linux.h"
#include "mount.h"
#include "container.h"
#include "container-internal.h"
#include "container-criu-internal.h"
#include "hooks.h"
#include "status.h"
#include "terminal.h"
#include "utils.h"

char *
criu_append (char *s, const char *fmt, const char *a, const char *b)
{
  char *out = NULL;
  xasprintf (&out, fmt, s, a, b);
  free (s);
  return out;
}

bool
cr_is_bind_mount (const oci_mount *m)
{
  size_t i;

  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

const char *
cr_netns_path (const oci_container *cfg)
{
  const oci_namespace *ns = nook_config_namespace (cfg->linux, "network");
  return ns ? ns->path : NULL;
}

/* Features this libcriu/CRIU pair cannot do on a request: named errors. */
int
cr_refuse (const char *flag, const char *why, nook_error_t *err)
{
  return nook_make_error (err, 0, "%s: %s", flag, why);
}

/* CRIU locks the network (iptables-restore, ~57 ms per restore here) so
 * that established TCP connections survive; without --tcp-established
 * there are none in the image (CRIU refuses to dump them), so nook skips
 * the lock (CRIU >= 3.18: CRIU_NETWORK_LOCK_METHOD SKIP = 3, which this
 * libcriu's enum does not name yet). */
void
cr_set_network_lock (struct nook_criu *c, bool tcp_established)
{
  struct CriuOpts *rpc = nook_criu_rpc (c);

  if (tcp_established)
    return;
  rpc->has_network_lock = true;
  rpc->network_lock = (CriuNetworkLockMethod) 3;
}

int
cr_set_cg_mode (struct nook_criu *c, const char *name, nook_error_t *err)
{
  int mode = CRIU_CG_MODE_SOFT; /* runc's default */

  if (name && nook_criu_cg_mode (name, &mode, err) < 0)
    return -1;
  criu_local_set_manage_cgroups (nook_criu_opts (c), true);
  criu_local_set_manage_cgroups_mode (nook_criu_opts (c), mode);
  return 0;
}

/* ---- restore ---- */

struct restore_ctx
{
  const struct nook_restore_opts *o;
  oci_container *cfg;
  char *config_data;
  size_t config_len;
  char *bundle;
  char *rootfs;
  struct nook_cgroup *cg;
  struct nook_criu *c;
  int dirfd;
  int netns_fd;
  int stdio[3]; /* nook's fds 0-2, moved up: CRIU's own fd 2 is captured */
  pid_t helper;
  pid_t pid;
  bool cgroup_entered;
  bool blank_netns; /* the image's netns is CRIU's "empty" one: lo up */
  bool has_hooks;   /* prestart or createRuntime: run at "setup-namespaces" */
  nook_error_t hook_err; /* why a hook failed (the parent ran it) */
};

/* A blank image restored into a bundle that names no network namespace:
 * CRIU makes the namespace anew (empty) and nook brings lo up in it. */
static bool
new_blank_netns (const struct restore_ctx *x)
{
  return x->blank_netns && cr_netns_path (x->cfg) == NULL;
}

/* libcriu's notify callback takes no context: what it needs is set in the
 * restore helper process (single-threaded, used for one request) before
 * CRIU runs, and the callback's own error is kept for the helper. */
static struct
{
  const char *console_socket; /* gets the "orphan-pts-master" */
  bool loopback_up;           /* at "post-setup-namespaces": a blank netns */
  const char *hostname;       /* at "post-setup-namespaces": the bundle's */
  const char *domainname;
  pid_t pid; /* the restored init, from "setup-namespaces" */
  int hooks_ask;   /* >= 0: ask the parent to run the hooks ("h<pid>\n") */
  int hooks_reply; /* ... and read its answer: '0' ran, '1' one failed */
  nook_error_t err;
} notify = { .hooks_ask = -1, .hooks_reply = -1 };

/* At "setup-namespaces" CRIU has made the restored init in its new
 * namespaces and restored nothing else yet: prestart and createRuntime
 * hooks run here, as runc runs them.  The parent runs them, outside the
 * container's cgroup (the helper and CRIU are in it), and keeps a failing
 * hook's error to report. */
static int
ask_parent_for_hooks (pid_t pid)
{
  char msg[32], answer = 0;
  int len = snprintf (msg, sizeof msg, "h%d\n", (int) pid);
  ssize_t r;

  if (write_all (notify.hooks_ask, msg, len) < 0)
    {
      nook_make_error (&notify.err, errno, "ask for the restore's hooks");
      return -1;
    }
  do
    r = read (notify.hooks_reply, &answer, 1);
  while (r < 0 && errno == EINTR);
  if (r == 1 && answer == '0')
    return 0;
  nook_make_error (&notify.err, 0, "a hook failed");
  return -1;
}

static int
set_names (void *unused, nook_error_t *err)
{
  const char *hostname = notify.hostname, *domainname = notify.domainname;

  (void) unused;
  if (hostname && sethostname (hostname, strlen (hostname)) < 0)
    return nook_make_error (err, errno, "restored container: set the hostname `%s`", hostname);
  if (domainname && setdomainname (domainname, strlen (domainname)) < 0)
    return nook_make_error (err, errno, "restored container: set the domain name `%s`",
                            domainname);
  return 0;
}

/* The bundle's hostname and domain name, not the image's: every copy of
 * one image gets the name its own config.json gives it. */
static int
set_names_in (pid_t pid, nook_error_t *err)
{
  char path[64];

  snprintf (path, sizeof path, "/proc/%d/ns/uts", (int) pid);
  return cr_in_ns (path, "uts", CLONE_NEWUTS, set_names, NULL, err);
}

static int
get_names (void *u, nook_error_t *err)
{
  if (uname (u) < 0)
    return nook_make_error (err, errno, "uname");
  return 0;
}

static int
setup_namespaces (pid_t pid)
{
  if (!notify.loopback_up && !notify.hostname && !notify.domainname)
    return 0;
  if (pid <= 0)
    {
      nook_make_error (&notify.err, 0, "CRIU did not name the restored init's pid");
      return -1;
    }
  if (notify.loopback_up && loopback_up_in (pid, &notify.err) < 0)
    return -1;
  if ((notify.hostname || notify.domainname)
      && set_names_in (pid, &notify.err) < 0)
    return -1;
  return 0;
}

static int
restore_notify (char *action, criu_notify_arg_t na)
{
  int master;

  /* CRIU names the init's pid at "setup-namespaces" only; nook acts after
   * CRIU restored the namespaces (the image's hostname among them), at
   * "post-setup-namespaces", before the tasks run. */
  if (strcmp (action, "setup-namespaces") == 0)
    {
      notify.pid = criu_notify_pid (na);
      if (notify.hooks_ask >= 0)
        return ask_parent_for_hooks (notify.pid);
      return 0;
    }
  if (strcmp (action, "post-setup-namespaces") == 0)
    return setup_namespaces (notify.pid);
  if (strcmp (action, "orphan-pts-master") != 0 || notify.console_socket == NULL)
    return 0;
  master = criu_get_orphan_pts_master_fd ();
  if (master < 0)
    return -1;
  if (nook_terminal_send_to_socket (notify.console_socket, master, &notify.err) < 0)
    {
      close (master);
      return -1;
    }
  close (master);
  return 0;
}

static int
load_bundle (struct restore_ctx *x, nook_error_t *err)
{
  char resolved[PATH_MAX];
  cleanup_free char *config_path = NULL, *msg = NULL, *root = NULL;
  const char *b = x->o->bundle ? x->o->bundle : ".";

  if (realpath (b, resolved) == NULL)
    return nook_make_error (err, errno, "bundle `%s`", b);
  x->bundle = xstrdup (resolved);
  xasprintf (&config_path, "%s/config.json", x->bundle);
  if (read_all_file (config_path, &x->config_data, &x->config_len, err) < 0)
    return -1;
  if (oci_container_parse_data (x->config_data, x->config_len, &x->cfg, &msg) < 0)
    return nook_make_error (err, 0, "%s: %s", config_path, msg);
  if (x->cfg->root == NULL || x->cfg->root->path == NULL || x->cfg->process == NULL)
    return nook_make_error (err, 0, "%s: root.path and process are required", config_path);
  if (x->cfg->root->path[0] == '/')
    root = xstrdup (x->cfg->root->path);
  else
    xasprintf (&root, "%s/%s", x->bundle, x->cfg->root->path);
  if (realpath (root, resolved) == NULL)
    return nook_make_error (err, errno, "rootfs `%s`", root);
  x->rootfs = xstrdup (resolved);
  return 0;
}

/* prestart and createRuntime run on restore (the parent runs them when
 * CRIU has made the namespaces), poststop on delete.  The program is not
 * started but resumed: createContainer, startContainer and poststart do
 * not apply, as with runc, and a warning says so once the restore is done
 * (before, it would change the size of a regular file on nook's stderr,
 * which the restored process may get back, and CRIU would refuse it). */
static const enum nook_hook_kind restore_skips[] = { NOOK_HOOK_CREATE_CONTAINER,
                                                     NOOK_HOOK_START_CONTAINER,
                                                     NOOK_HOOK_POSTSTART };

static void
warn_skipped_hooks (const oci_container *cfg)
{
  size_t i, n;

  for (i = 0; i < sizeof (restore_skips) / sizeof (restore_skips[0]); i++)
    if (nook_hooks_of (cfg, restore_skips[i], &n) && n > 0)
      nook_warning ("restore: %s hooks are not run: the restored process resumes, it is not "
                    "started",
                    nook_hook_kind_name (restore_skips[i]));
}

static int
check_hooks (struct restore_ctx *x, nook_error_t *err)
{
  size_t n;

  if (nook_hooks_validate (x->cfg, err) < 0)
    return -1;
  x->has_hooks = (nook_hooks_of (x->cfg, NOOK_HOOK_PRESTART, &n) && n > 0)
                 || (nook_hooks_of (x->cfg, NOOK_HOOK_CREATE_RUNTIME, &n) && n > 0);
  return 0;
}

static int
check_request (struct restore_ctx *x, nook_error_t *err)
{
  const struct nook_restore_opts *o = x->o;
  bool terminal = x->cfg->process->terminal;
  struct stat st;

  if (o->no_pivot)
    return cr_refuse ("--no-pivot", "CRIU always pivot_roots into the restored root; a rootfs "
                                 "where pivot_root fails cannot be restored",
                   err);
  if (terminal && o->console_socket == NULL)
    return nook_make_error (err, 0, "process.terminal is true: give --console-socket");
  if (!terminal && o->console_socket)
    return nook_make_error (err, 0, "--console-socket given but process.terminal is false");
  if (fstatat (nook_criu_images_fd (x->c), "inventory.img", &st, 0) < 0)
    return nook_make_error (err, 0, "`%s` holds no checkpoint (no inventory.img)",
                            o->image_path ? o->image_path : "checkpoint");
  return check_hooks (x, err);
}

/* An image of a paused container: CRIU's full and strict modes would
 * restore its freezer FROZEN (see NOOK_CRIU_PAUSED). */
static int
check_paused_image (struct restore_ctx *x, nook_error_t *err)
{
  const char *mode = x->o->manage_cgroups_mode;

  if (mode == NULL || (strcmp (mode, "full") != 0 && strcmp (mode, "strict") != 0)
      || faccessat (nook_criu_images_fd (x->c), NOOK_CRIU_PAUSED, F_OK, 0) != 0)
    return 0;
  return nook_make_error (err, 0, "--manage-cgroups-mode %s: the image was taken while the "
                          "container was paused, and CRIU would restore its freezer frozen and "
                          "wait for it for ever; use soft (the default) or ignore",
                          mode);
}

/* What the image holds of the network namespace, against what the bundle
 * asks: blank (left out) goes anywhere; joined by path at checkpoint
 * (external) needs a path now; dumped in full cannot go into a namespace
 * that exists (CRIU would make a new one and the bundle's path would be
 * ignored). */
static int
check_netns (struct restore_ctx *x, nook_error_t *err)
{
  int images = nook_criu_images_fd (x->c);
  const char *net = cr_netns_path (x->cfg);

  x->blank_netns = faccessat (images, NOOK_CRIU_BLANK_NETNS, F_OK, 0) == 0;
  if (faccessat (images, NOOK_CRIU_EXTERNAL_NETNS, F_OK, 0) == 0)
    {
      if (net == NULL)
        return nook_make_error (err, 0, "the checkpointed container joined a network namespace "
                                "by path: the bundle must join one by path too "
                                "(linux.namespaces, type network, with a path)");
      return 0;
    }
  if (net && !x->blank_netns)
    return nook_make_error (err, 0, "the image holds the container's own network namespace, "
                            "dumped in full: it cannot be restored into `%s` (give the bundle "
                            "a network namespace of its own, or checkpoint with --empty-ns "
                            "network)",
                            net);
  return 0;
}

static int
restore_mounts (struct restore_ctx *x, nook_error_t *err)
{
  size_t i;

  for (i = 0; i < x->cfg->mounts_len; i++)
    {
      const oci_mount *m = &x->cfg->mounts[i];
      cleanup_free char *src = NULL;

      if (!cr_is_bind_mount (m) || m->source == NULL)
        continue;
      if (m->source[0] == '/')
        src = xstrdup (m->source);
      else
        xasprintf (&src, "%s/%s", x->bundle, m->source);
      if (criu_local_add_ext_mount (nook_criu_opts (x->c), m->destination, src) < 0)
        return nook_make_error (err, ENOMEM, "CRIU: external mount `%s`", m->destination);
    }
  return 0;
}

/* Namespaces the bundle joins by path: the network namespace replaces the
 * one the image recorded as external; ipc, uts and time are joined.  The
 * others CRIU makes anew from the image (pid: exact pids, each copy its
 * own): a path for them would be ignored, so it is refused. */
static int
restore_namespaces (struct restore_ctx *x, nook_error_t *err)
{
  static const char *const joined[][2] = { { "ipc", "ipc" }, { "uts", "uts" }, { "time", "time" } };
  static const char *const refused[] = { "pid", "mount", "user", "cgroup" };
  const oci_linux *l = x->cfg->linux;
  const char *net = cr_netns_path (x->cfg);
  size_t i, j;

  for (i = 0; l && i < l->namespaces_len; i++)
    for (j = 0; l->namespaces[i].path && j < sizeof (refused) / sizeof (refused[0]); j++)
      if (strcmp (l->namespaces[i].type, refused[j]) == 0)
        return nook_make_error (err, 0, "the bundle joins the %s namespace `%s`: a restore cannot "
                                "(CRIU makes the container's own from the image; only network, "
                                "ipc, uts and time namespaces can be joined by path)",
                                refused[j], l->namespaces[i].path);

  /* The image left its (blank) netns out: the restored tasks join the
   * bundle's as CRIU's join-ns, nothing of the image goes into it. */
  if (net && x->blank_netns)
    {
      if (criu_local_join_ns_add (nook_criu_opts (x->c), "net", net, NULL) < 0)
        return nook_make_error (err, 0, "CRIU: join net namespace `%s`", net);
    }
  else if (net)
    {
      x->netns_fd = open (net, O_RDONLY); /* inherited by CRIU: no O_CLOEXEC */
      if (x->netns_fd < 0)
        return nook_make_error (err, errno, "network namespace `%s`", net);
      if (criu_local_add_inherit_fd (nook_criu_opts (x->c), x->netns_fd, EXT_NETNS_KEY) < 0)
        return nook_make_error (err, ENOMEM, "CRIU: inherit fd");
    }
  for (i = 0; l && i < l->namespaces_len; i++)
    for (j = 0; j < sizeof (joined) / sizeof (joined[0]); j++)
      if (l->namespaces[i].path && strcmp (l->namespaces[i].type, joined[j][0]) == 0
          && criu_local_join_ns_add (nook_criu_opts (x->c), joined[j][1], l->namespaces[i].path,
                                     NULL)
               < 0)
        return nook_make_error (err, 0, "CRIU: join %s namespace `%s`", joined[j][1],
                                l->namespaces[i].path);
  return 0;
}

/* nook's own fds 0-2 replace the container's: pipes by their names in
 * descriptors.json (as runc), host files by their external keys. */
static int
restore_stdio (struct restore_ctx *x, nook_error_t *err)
{
  int images = nook_criu_images_fd (x->c);
  cleanup_free char *desc = NULL, *ext = NULL;
  char *p, *save = NULL;
  size_t len;
  int fd = 0;

  for (fd = 0; fd < 3; fd++)
    x->stdio[fd] = fcntl (fd, F_DUPFD, 10); /* CRIU inherits them: no CLOEXEC */
  fd = 0;
  if (read_all_file_at (images, NOOK_CRIU_DESCRIPTORS, &desc, &len, err) == 0)
    /* "pipe:[123]" holds brackets: split on quotes and commas only, past
     * the array's own "[" (the "]" comes after the third entry). */
    for (p = strtok_r (desc[0] == '[' ? desc + 1 : desc, "\",", &save); p && fd < 3;
         p = strtok_r (NULL, "\",", &save))
      {
        if (strncmp (p, "pipe:", 5) == 0 && x->stdio[fd] >= 0
            && criu_local_add_inherit_fd (nook_criu_opts (x->c), x->stdio[fd], p) < 0)
          return nook_make_error (err, ENOMEM, "CRIU: inherit fd");
        fd++;
      }
  else if ((*err)->status == ENOENT)
    nook_error_release (err);
  else
    return -1;
  if (read_all_file_at (images, NOOK_CRIU_EXTERNAL_FDS, &ext, &len, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      nook_error_release (err);
      return 0;
    }
  for (p = strtok_r (ext, "\n", &save); p; p = strtok_r (NULL, "\n", &save))
    {
      char key[128];
      unsigned mode = 0;
      struct stat st;

      if (sscanf (p, "%d %127s %o", &fd, key, &mode) < 2 || fd < 0 || fd > 2)
        continue;
      /* CRIU checks the file it is given has the type the dumped one had. */
      if (x->stdio[fd] < 0 || fstat (x->stdio[fd], &st) < 0
          || (mode && (st.st_mode & S_IFMT) != mode))
        return nook_make_error (err, 0,
                                "the container's fd %d was a %s at checkpoint: restore needs "
                                "the same kind of file on its own fd %d",
                                fd, S_ISCHR (mode) ? "character device (such as /dev/null)"
                                    : S_ISREG (mode) ? "regular file" : "file",
                                fd);
      if (criu_local_add_inherit_fd (nook_criu_opts (x->c), x->stdio[fd], key) < 0)
        return nook_make_error (err, ENOMEM, "CRIU: inherit fd");
    }
  return 0;
}

static int
restore_options (struct restore_ctx *x, nook_error_t *err)
{
  const struct nook_restore_opts *o = x->o;
  criu_opts *opts = nook_criu_opts (x->c);

  if (criu_local_set_root (opts, x->rootfs) < 0)
    return nook_make_error (err, ENOMEM, "CRIU: root");
  criu_local_set_tcp_established (opts, o->tcp_established);
  criu_local_set_ext_unix_sk (opts, o->ext_unix_sk);
  criu_local_set_shell_job (opts, o->shell_job);
  criu_local_set_file_locks (opts, o->file_locks);
  criu_local_set_evasive_devices (opts, true);
  criu_local_set_orphan_pts_master (opts, true);
  criu_local_set_notify_cb (opts, restore_notify);
  cr_set_network_lock (x->c, o->tcp_established);
  if (o->lazy_pages)
    nook_criu_rpc (x->c)->has_lazy_pages = nook_criu_rpc (x->c)->lazy_pages = true;
  if (check_paused_image (x, err) < 0 || check_netns (x, err) < 0)
    return -1;
  /* A blank netns is made anew, unless the bundle joins one by path
   * (restore_namespaces): a pod's container goes into the pod's. */
  if (new_blank_netns (x))
    {
      nook_criu_rpc (x->c)->has_empty_ns = true;
      nook_criu_rpc (x->c)->empty_ns |= CLONE_NEWNET;
    }
  if (cr_set_cg_mode (x->c, o->manage_cgroups_mode, err) < 0)
    return -1;
  if (restore_mounts (x, err) < 0 || restore_namespaces (x, err) < 0)
    return -1;
  return restore_stdio (x, err);
}

/* The helper's cgroups (the container's, nook placed it there) become
 * CRIU's roots: the image's cgroup of the init maps onto them. */
static int
add_cgroup_roots (criu_opts *opts, nook_error_t *err)
{
  char line[4096];
  FILE *f = fopen ("/proc/self/cgroup", "re");

  if (f == NULL)
    return nook_make_error (err, errno, "open /proc/self/cgroup");
  while (fgets (line, sizeof line, f))
    {
      char *ctrl = strchr (line, ':'), *path;
      if (ctrl == NULL || (path = strchr (++ctrl, ':')) == NULL)
        continue;
      *path++ = '\0';
      path[strcspn (path, "\n")] = '\0';
      if (criu_local_add_cg_root (opts, *ctrl ? ctrl : NULL, path) < 0)
        {
          fclose (f);
          return nook_make_error (err, ENOMEM, "CRIU: cgroup root");
        }
    }
  fclose (f);
  return 0;
}

/* CRIU mounts the image's bind mounts on their destinations in the new
 * rootfs: a fresh rootfs (podman restore --import, --name) lacks those the
 * runtime created at `create` (/etc/hosts...).  Made as create makes them:
 * resolved inside the rootfs, so a symlink in it cannot send them out. */
static int
make_mountpoints (const struct restore_ctx *x, nook_error_t *err)
{
  cleanup_close int rootfd = open (x->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  size_t i;

  if (rootfd < 0)
    return nook_make_error (err, errno, "open the rootfs `%s`", x->rootfs);
  for (i = 0; i < x->cfg->mounts_len; i++)
    {
      const oci_mount *m = &x->cfg->mounts[i];
      struct stat st;
      int fd;

      if (!cr_is_bind_mount (m) || m->source == NULL || m->source[0] != '/'
          || stat (m->source, &st) < 0)
        continue;
      fd = mount_resolve_create (rootfd, m->destination, S_ISDIR (st.st_mode), err);
      if (fd < 0)
        return nook_error_wrap (err, "restore: mount point of `%s`", m->destination);
      close (fd);
    }
  return 0;
}

/* CRIU wants its root to be a mount point whose parent is not
 * overmounted: the rootfs bound on itself, in a mount namespace of the
 * helper's own, so nothing is left on the host's mount table. */
static int
private_root (const struct restore_ctx *x, nook_error_t *err)
{
  if (unshare (CLONE_NEWNS) < 0)
    return nook_make_error (err, errno, "unshare the mount namespace");
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return nook_make_error (err, errno, "make `/` private");
  if (mount (x->rootfs, x->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return nook_make_error (err, errno, "bind the rootfs `%s` on itself", x->rootfs);
  if (make_mountpoints (x, err) < 0)
    return -1;
  if (x->cfg->root->readonly
      && mount (NULL, x->rootfs, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    return nook_make_error (err, errno, "make the rootfs `%s` read-only", x->rootfs);
  return 0;
}

static bool
under_run (const char *path)
{
  char resolved[PATH_MAX];

  if (path == NULL)
    return false;
  if (realpath (path, resolved) == NULL)
    return true; /* cannot tell */
  return strcmp (resolved, "/run") == 0 || strncmp (resolved, "/run/", 5) == 0;
}

/* Does CRIU (or the notify callback) reach anything under /run: the
 * rootfs, images, bind sources, namespaces joined by path, the console
 * socket, or iptables' lock (a netns that is not blank, the TCP lock)? */
static bool
needs_run (const struct restore_ctx *x)
{
  const struct nook_restore_opts *o = x->o;
  const oci_linux *l = x->cfg->linux;
  size_t i;

  if (!x->blank_netns || o->tcp_established || under_run (x->rootfs) || under_run (x->bundle)
      || under_run (o->image_path ? o->image_path : "checkpoint")
      || under_run (o->work_path) || under_run (o->console_socket))
    return true;
  for (i = 0; i < x->cfg->mounts_len; i++)
    if (cr_is_bind_mount (&x->cfg->mounts[i]) && x->cfg->mounts[i].source
        && x->cfg->mounts[i].source[0] == '/' && under_run (x->cfg->mounts[i].source))
      return true;
  for (i = 0; l && i < l->namespaces_len; i++)
    if (under_run (l->namespaces[i].path))
      return true;
  return false;
}

/* In the helper's mount namespace: CRIU's restore; the init's pid or -1. */
static int
run_criu (struct restore_ctx *x, int kdat, nook_error_t *err)
{
  int r;

  if (nook_criu_reopen_dirs (x->c, err) < 0 || add_cgroup_roots (nook_criu_opts (x->c), err) < 0
      || restore_cgroup_mounts (x->c, err) < 0)
    return -1;
  r = nook_criu_run (x->c, criu_local_restore_child, err);
  if (r <= 0 && notify.err)
    {
      nook_error_wrap (&notify.err, "restore");
      *err = steal_pointer (&notify.err);
      return -1;
    }
  if (r <= 0)
    {
      nook_criu_fail (x->c, r < 0 ? r : -EBADE, "restore", err);
      return -1;
    }
  if (kdat == 1)
    nook_criu_kdat_store (x->o->root);
  return r;
}

/* The helper: waits until it is in the container's cgroup, runs CRIU and
 * sends back "<pid>" or "-<errno> <message>". */
static void __attribute__ ((noreturn))
helper_main (struct restore_ctx *x, int go, int result)
{
  nook_error_t err = NULL;
  cleanup_free char *msg = NULL;
  const oci_namespace *uts = nook_config_namespace (x->cfg->linux, "uts");
  struct utsname joined;
  char b;
  int r = 0, kdat = 0;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (read (go, &b, 1) != 1)
    _exit (1);
  if (x->has_hooks)
    {
      notify.hooks_ask = result;
      notify.hooks_reply = go; /* the parent's answers follow the "go" byte */
    }
  notify.console_socket = x->o->console_socket;
  notify.loopback_up = new_blank_netns (x);
  if (cr_owns_ns (x->cfg, "uts"))
    {
      notify.hostname = x->cfg->hostname;
      notify.domainname = x->cfg->domainname;
    }
  /* A uts namespace the bundle joins by path: CRIU writes the image's
   * names into it (restoring into an existing namespace), so its own are
   * read now and put back, as a copy's own are set, before the tasks run. */
  else if (uts && uts->path
           && (r = cr_in_ns (uts->path, "uts", CLONE_NEWUTS, get_names, &joined, &err)) == 0)
    {
      notify.hostname = joined.nodename;
      notify.domainname = joined.domainname;
    }
  if (r == 0)
    r = private_root (x, &err);
  if (r == 0 && !needs_run (x))
    kdat = nook_criu_kdat_load (x->o->root);
  if (r == 0)
    r = run_criu (x, kdat, &err);
  if (r > 0)
    xasprintf (&msg, "%d", r);
  else
    xasprintf (&msg, "-%d %s", err->status, err->msg);
  write_all (result, msg, strlen (msg));
  _exit (r > 0 ? 0 : 1);
}

/* CRIU 4.1 loops for ever on a pages file shorter than its pagemap,
 * writing "Advanced iov 0 bytes" to its log by the gigabyte: a restore
 * whose log grows past this is a damaged image, and is stopped. */
#define RESTORE_LOG_LIMIT (256LL << 20)

/* When a late step of a restore fails, CRIU kills the restored tree and
 * waits for its init.  An init that waits for a child CRIU still traces
 * never exits, and neither does CRIU (4.1.1; seen when the lazy-pages
 * daemon of a lazy restore lost its page server).  A restore that has not
 * ended this long after CRIU logged that kill is stopped. */
#define CRIU_KILLING "Killing processes because of failure on restore"
#define RESTORE_KILL_GRACE_MS 3000

static int
wait_helper (struct restore_ctx *x, int result, nook_error_t *err)
{
  struct pollfd p = { .fd = result, .events = POLLIN };
  nook_error_t ignored = NULL;
  int killing_ms = 0;
  bool damaged = false;

  for (;;)
    {
      int r = poll (&p, 1, 500);
      if (r > 0)
        return 0;
      if (r < 0 && errno != EINTR)
        return nook_make_error (err, errno, "wait for the restore helper");
      if (r < 0)
        continue;
      if ((damaged = nook_criu_log_size (x->c) > RESTORE_LOG_LIMIT))
        break;
      if (nook_criu_log_tail_has (x->c, CRIU_KILLING)
          && (killing_ms += 500) > RESTORE_KILL_GRACE_MS)
        break;
    }
  /* CRIU and the helper run in the container's cgroup. */
  if (x->cgroup_entered && nook_cgroup_kill_all (x->cg, SIGKILL, &ignored) < 0)
    nook_error_release (&ignored);
  kill (x->helper, SIGKILL);
  if (!damaged)
    return nook_criu_fail (x->c, -EBADE,
                           "restore (stopped: CRIU hung killing the restored processes after "
                           "its failure)",
                           err);
  return nook_make_error (err, 0, "restore: CRIU's log `%s/%s` passed %lld MiB and the restore "
                          "did not end: the image is damaged (CRIU loops on a pages file "
                          "shorter than its pagemap); stopped",
                          nook_criu_work_dir (x->c), NOOK_CRIU_RESTORE_LOG,
                          RESTORE_LOG_LIMIT >> 20);
}

/* "h<pid>\n" from the helper: run prestart and createRuntime with the
 * restored init's pid, answer '0' or '1' (the error stays in x). */
static int
run_restore_hooks (struct restore_ctx *x, int result, int reply, nook_error_t *err)
{
  static const enum nook_hook_kind kinds[] = { NOOK_HOOK_PRESTART, NOOK_HOOK_CREATE_RUNTIME };
  cleanup_free char *state = NULL;
  char line[32];
  size_t len = 0, i, n;
  int64_t pid = 0;
  int r = 0;

  while (len < sizeof (line) - 1 && read (result, &line[len], 1) == 1 && line[len] != '\n')
    len++;
  line[len] = '\0';
  if (parse_int64 (line, &pid) < 0 || pid <= 0)
    return nook_make_error (err, 0, "the restore helper asked for hooks with `%s`", line);
  if (nook_state_json (x->o->id, "creating", (pid_t) pid, x->bundle, &x->cfg->annotations, &state,
                       err) < 0)
    return -1;
  for (i = 0; r == 0 && i < sizeof (kinds) / sizeof (kinds[0]); i++)
    {
      const oci_hook *h = nook_hooks_of (x->cfg, kinds[i], &n);
      if (n)
        r = nook_hooks_run (h, n, kinds[i], state, &x->hook_err);
    }
  if (write (reply, r == 0 ? "0" : "1", 1) != 1)
    return nook_make_error (err, errno, "answer the restore helper");
  return 0;
}

static int
read_helper_result (struct restore_ctx *x, int result, int reply, nook_error_t *err)
{
  cleanup_free char *msg = NULL, *rest = NULL;
  size_t len;
  int64_t pid;
  int status;
  char first;
  ssize_t r;

  for (;;)
    {
      if (wait_helper (x, result, err) < 0)
        return -1;
      do
        r = read (result, &first, 1);
      while (r < 0 && errno == EINTR);
      if (r < 0)
        return nook_make_error (err, errno, "read from the restore helper");
      if (r == 0 || first != 'h' || !x->has_hooks)
        break;
      if (run_restore_hooks (x, result, reply, err) < 0)
        return -1;
    }
  if (read_all_fd (result, "the restore helper", &rest, &len, err) < 0)
    return -1;
  if (r == 1)
    {
      xasprintf (&msg, "%c%s", first, rest);
      len++;
    }
  else
    msg = steal_pointer (&rest);
  while (waitpid (x->helper, &status, 0) < 0 && errno == EINTR)
    ;
  x->helper = 0;
  if (x->hook_err)
    {
      /* The hook's own error, not CRIU's report of the aborted restore. */
      *err = steal_pointer (&x->hook_err);
      return nook_error_wrap (err, "restore");
    }
  if (len > 0 && msg[0] == '-')
    {
      char *sp = strchr (msg, ' ');
      return nook_make_error (err, atoi (msg + 1), "%s", sp ? sp + 1 : msg);
    }
  if (parse_int64 (msg, &pid) < 0 || pid <= 0)
    return nook_make_error (err, 0, "the restore helper exited without a result");
  x->pid = pid;
  return 0;
}

static int
run_helper (struct restore_ctx *x, nook_error_t *err)
{
  const oci_resources *res = x->cfg->linux ? x->cfg->linux->resources : NULL;
  int go[2] = { -1, -1 }, result[2] = { -1, -1 };
  int r = -1;

  if (pipe2 (go, O_CLOEXEC) < 0 || pipe2 (result, O_CLOEXEC) < 0)
    {
      nook_make_error (err, errno, "pipe");
      goto out;
    }
  x->helper = fork ();
  if (x->helper < 0)
    {
      nook_make_error (err, errno, "fork the restore helper");
      goto out;
    }
  if (x->helper == 0)
    {
      close (go[1]);
      close (result[0]);
      helper_main (x, go[0], result[1]);
    }
  close (steal_fd (&go[0]));
  close (steal_fd (&result[1]));
  if (nook_status_write_cgroup (x->dirfd, x->cg->manager, x->cg->path, err) < 0
      || nook_cgroup_enter (x->cg, x->helper, res, err) < 0)
    goto out;
  x->cgroup_entered = true;
  if (write (go[1], "1", 1) != 1)
    {
      nook_make_error (err, errno, "start the restore helper");
      goto out;
    }
  r = read_helper_result (x, result[0], go[1], err);
out:
  for (int i = 0; i < 2; i++)
    {
      if (go[i] >= 0)
        close (go[i]);
      if (result[i] >= 0)
        close (result[i]);
    }
  return r;
}

static int
record_restored (struct restore_ctx *x, nook_error_t *err)
{
  struct nook_status st = {
    .id = (char *) x->o->id,
    .pid = x->pid,
    .bundle = x->bundle,
    .rootfs = x->rootfs,
    .cgroup_manager = x->cg->manager,
    .cgroup_path = x->cg->path,
    .annotations = x->cfg->annotations,
  };

  if (write_file_at (x->dirfd, NOOK_STATE_CONFIG, x->config_data, x->config_len, 0600, err) < 0)
    return -1;
  if (nook_status_write_ready (x->dirfd, &st, err) < 0)
    return -1;
  if (x->o->pid_file && nook_write_pid_file (x->o->pid_file, x->pid, err) < 0)
    return -1;
  return 0;
}

static int
restore_steps (struct restore_ctx *x, nook_error_t *err)
{
  const struct nook_restore_opts *o = x->o;
  const char *images = o->image_path ? o->image_path : "checkpoint";
  const char *cgroups_path = x->cfg->linux ? x->cfg->linux->cgroups_path : NULL;

  if (nook_criu_new (images, false, o->work_path, NOOK_CRIU_RESTORE_LOG, o->root,
                     &x->c, err) < 0)
    return -1;
  if (check_request (x, err) < 0 || restore_options (x, err) < 0)
    return -1;
  if (nook_cgroup_new (o->id, cgroups_path, o->systemd_cgroup, &x->cg, err) < 0)
    return -1;
  if (nook_status_create_dir (o->root, o->id, &x->dirfd, err) < 0)
    return -1;
  /* The restored init is reparented to nook once CRIU and the helper are
   * gone: nook can wait for it and reap it. */
  if (!o->no_subreaper && prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    return nook_make_error (err, errno, "become a subreaper");
  if (run_helper (x, err) < 0)
    return -1;
  return record_restored (x, err);
}

static void
restore_rollback (struct restore_ctx *x)
{
  nook_error_t ignored = NULL;

  if (x->helper > 0)
    {
      kill (x->helper, SIGKILL);
      while (waitpid (x->helper, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (x->pid > 0)
    {
      kill (x->pid, SIGKILL);
      waitpid (x->pid, NULL, 0);
    }
  if (x->cgroup_entered && nook_cgroup_destroy (x->cg, &ignored) < 0)
    nook_log_error (&ignored);
  if (x->dirfd >= 0 && nook_status_remove_dir (x->o->root, x->o->id, &ignored) < 0)
    nook_log_error (&ignored);
}

static void
restore_ctx_release (struct restore_ctx *x)
{
  if (x->dirfd >= 0)
    close (x->dirfd);
  if (x->netns_fd >= 0)
    close (x->netns_fd);
  for (int i = 0; i < 3; i++)
    if (x->stdio[i] >= 0)
      close (x->stdio[i]);
  nook_criu_free (x->c);
  nook_cgroup_free (x->cg);
  if (x->hook_err)
    nook_error_release (&x->hook_err);
  oci_container_free (x->cfg);
  free (x->config_data);
  free (x->bundle);
  free (x->rootfs);
}

/* --no-subreaper: the init is not nook's child; wait until it is gone. */
static int
wait_not_child (pid_t pid, nook_error_t *err)
{
  cleanup_close int fd = syscall (SYS_pidfd_open, pid, 0);
  struct pollfd p = { .fd = fd, .events = POLLIN };

  if (fd < 0)
    return errno == ESRCH ? 0 : nook_make_error (err, errno, "pidfd_open %d", (int) pid);
  while (poll (&p, 1, -1) < 0)
    if (errno != EINTR)
      return nook_make_error (err, errno, "wait for the restored container");
  return 0;
}

static int
restore_foreground (const struct nook_restore_opts *o, pid_t pid, int *exit_status,
                    nook_error_t *err)
{
  nook_forward_signals_to (pid);
  if (o->no_subreaper)
    {
      /* Its exit status went to its real parent. */
      if (wait_not_child (pid, err) < 0)
        return -1;
    }
  else if (nook_wait_child_status (pid, exit_status, err) < 0)
    return -1;
  return nook_container_delete (o->root, o->id, true, err);
}

int
nook_container_restore (const struct nook_restore_opts *o, int *exit_status, nook_error_t *err)
{
  struct restore_ctx x = { .o = o, .dirfd = -1, .netns_fd = -1, .stdio = { -1, -1, -1 } };
  pid_t pid;
  int r;

  *exit_status = 0;
  if (!container_id_valid (o->id))
    return invalid_id_error (o->id, err);
  r = load_bundle (&x, err);
  if (r == 0)
    r = restore_steps (&x, err);
  if (r < 0)
    {
      restore_rollback (&x);
      nook_error_wrap (err, "restore container `%s`", o->id);
    }
  else
    warn_skipped_hooks (x.cfg);
  pid = x.pid;
  restore_ctx_release (&x);
  if (r < 0 || o->detach)
    return r;
  return restore_foreground (o, pid, exit_status, err);
}
